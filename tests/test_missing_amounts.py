"""Missing opportunity amounts are not zero (issue 16): every figure worked out by hand.

Two copies of tests/data/tiny (2026Q3 = 1 Jul – 30 Sep 2026):

- O1 north marketing (lead L1, paid_search), created 6 Jul, won 3 Aug, account A1, 1,000;
- O2 north sales (lead L4, outbound), created 8 Jul, lost 1 Sep, 500;
- O3 south (no lead; source type defaulted to sales), created 10 Aug, won 15 Sep, 2,000.

``blank_all``: every amount blank, plus a spend table (north: 600 paid_search marketing in
July, 400 outbound sales in August) and a targets table (north 2026Q3: won_deals 2,
pipeline_created 1,000). ``blank_some``: O1's amount blank only.

The rule (helpers.metrics.pipeline): a figure built on amounts is *not in this data* (null)
when no deal of its base has an amount, else computed on the deals that have one and says
which part; counts need no amount.

Worked out, ``blank_all``, north, 2026Q3:

- pipeline created: O1, O2 created, neither with an amount: null, "not in this data: no
  opportunity amounts (2 opportunities without an amount)"; target 1,000 but no RAG (none).
- won revenue: O1 won, no amount: null, "(1 won deal without an amount)".
- won deals 1 (O1) against a target of 2: attainment 0.5, red. Win rate 1 of 2 (O2 lost).
- CAC = (600 + 400) / 1 new customer (A1) = 1,000; average deal size, sales velocity,
  bookings, marketing ROI: null. Sales cycle 28 days (6 Jul 10:00 → 3 Aug 10:00).
- alignment index without the marketing-sourced share (no amounts) and feedback (no table):
  100 × (0.25 × 2/4 + 0.20 × 2/3 + 0.25 × 2/4) / 0.70 = 100 × 23/42 = 54.76.

``blank_some``, company (all), 2026Q3:

- pipeline created: O2 500 + O3 2,000 = 2,500 from 2 of 3 opportunities (O1 without).
- won revenue: O3 2,000 from 1 of 2 won deals (O1 without); won deals 2.
- north: pipeline 500 from 1 of 2; won revenue null (its one won deal, O1, has none); so in
  the team comparison north is not ranked on either, south is ranked 1 on both.
- marketing-sourced share: the only marketing opportunity (O1) has no amount: null.
"""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import papermill as pm
import pytest
from click.testing import CliRunner
from conftest import PROJECT, TINY
from notebook_checks import notebook_errors

from helpers import Workbook
from helpers.analysis import comparison
from helpers.cli import main
from helpers.display.html import kpi_tiles
from helpers.metrics.pipeline import Amount
from helpers.reports.outputs import tables_in

REPORT = PROJECT / "notebooks" / "reports" / "team_quarterly_report.ipynb"
QUARTER = "2026Q3"
NO_PIPELINE_AMOUNTS = "not in this data: no opportunity amounts (2 opportunities without an amount)"
NO_WON_AMOUNTS = "not in this data: no opportunity amounts (1 won deal without an amount)"


def _blank(folder: Path, ids: set[str] | None) -> None:
    """Blank the amount of the opportunities ``ids`` (every one when None)."""
    path = folder / "opportunities.csv"
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if ids is None or row["opportunity_id"] in ids:
            row["amount"] = ""
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def blank_all(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("amounts") / "blank-all"
    shutil.copytree(TINY, folder)
    _blank(folder, None)
    (folder / "spend.csv").write_text(
        "month,team,channel,category,amount\n"
        "2026-07,north,paid_search,marketing,600\n"
        "2026-08,north,outbound,sales,400\n"
    )
    (folder / "targets.csv").write_text(
        "team,quarter,metric,target\nnorth,2026Q3,won_deals,2\nnorth,2026Q3,pipeline_created,1000\n"
    )
    return folder


@pytest.fixture(scope="module")
def blank_some(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("amounts") / "blank-some"
    shutil.copytree(TINY, folder)
    _blank(folder, {"O1"})
    return folder


def _kpis(folder: Path, team: str):
    return Workbook.load(folder).view(team, QUARTER).kpis().set_index("metric")


# --- the view and the headline ------------------------------------------------------------


def test_all_blank_amounts_are_not_in_this_data(blank_all):
    kpis = _kpis(blank_all, "north")
    for metric, deals, note in (
        ("pipeline_created", 2, NO_PIPELINE_AMOUNTS),
        ("won_revenue", 1, NO_WON_AMOUNTS),
    ):
        row = kpis.loc[metric]
        assert math.isnan(row["value"]), metric
        assert (row["deals"], row["missing_amount"], row["note"]) == (deals, deals, note)
        # Q−1 (2026Q2) created and won nothing: a genuine 0, but 0 minus unknown is unknown.
        assert row["previous"] == 0 and math.isnan(row["change_previous"]), metric
    assert kpis.loc["pipeline_created", "target"] == 1000
    assert kpis.loc["pipeline_created", "rag"] == "none"
    # The counts need no amount.
    won = kpis.loc["won_deals"]
    assert (won["value"], won["target"], won["attainment"], won["rag"]) == (1, 2, 0.5, "red")
    assert won["note"] == "" and math.isnan(won["deals"])
    assert (kpis.loc["win_rate", "numerator"], kpis.loc["win_rate", "denominator"]) == (1, 2)
    assert kpis.loc["cac", "value"] == 1000  # (600 + 400) / 1


def test_all_blank_figures_beyond_the_headline(blank_all):
    view = Workbook.load(blank_all).view("north", QUARTER)
    deals = view.deal_metrics()
    assert math.isnan(deals["average_deal_size"])
    assert math.isnan(deals["sales_velocity_per_day"])
    assert math.isnan(deals["marketing_sourced_share"])
    assert deals["sales_cycle_days"] == 28
    assert (deals["won_deals"], deals["won_without_amount"]) == (1, 1)
    bookings = view.bookings_growth()
    assert math.isnan(bookings["bookings"]) and math.isnan(bookings["qoq"])
    assert bookings["previous_bookings"] == 0  # 2026Q2: nothing won
    assert (bookings["won_deals"], bookings["missing_amount"]) == (1, 1)
    roi = view.marketing_roi().set_index("channel")
    # O1 (marketing, lead L1 on paid_search) has no amount; paid_search spent 600.
    assert math.isnan(roi.loc["paid_search", "won_revenue"])
    assert math.isnan(roi.loc["paid_search", "roi"])
    assert roi.loc["total", "missing_amount"] == 1
    assert view.cac()["cac"] == 1000
    index = view.alignment_index()
    assert index.value == pytest.approx(100 * 23 / 42)
    assert "marketing_pipeline_share" in index.missing
    assert index.reasons["marketing_pipeline_share"] == NO_PIPELINE_AMOUNTS


def test_some_blank_amounts_say_which_part(blank_some):
    kpis = _kpis(blank_some, "all")
    created, won = kpis.loc["pipeline_created"], kpis.loc["won_revenue"]
    assert (created["value"], created["deals"], created["missing_amount"]) == (2500, 3, 1)
    assert created["note"] == "from 2 of 3 opportunities; 1 without an amount"
    assert (won["value"], won["deals"], won["missing_amount"]) == (2000, 2, 1)
    assert won["note"] == "from 1 of 2 won deals; 1 without an amount"
    assert kpis.loc["won_deals", "value"] == 2
    north = _kpis(blank_some, "north")
    assert north.loc["pipeline_created", "value"] == 500
    assert north.loc["pipeline_created", "note"] == "from 1 of 2 opportunities; 1 without an amount"
    assert math.isnan(north.loc["won_revenue", "value"])
    assert north.loc["won_revenue", "note"] == NO_WON_AMOUNTS
    south = _kpis(blank_some, "south")
    assert south.loc["pipeline_created", "value"] == 2000
    assert south.loc["pipeline_created", "note"] == ""
    share = Workbook.load(blank_some).view("all", QUARTER).alignment_index().reasons
    assert share["marketing_pipeline_share"] == (
        "not in this data: no opportunity amounts (1 marketing-sourced opportunity without an "
        "amount)"
    )


def test_team_comparison_does_not_rank_amounts_built_from_part_of_the_deals(blank_some):
    workbook = Workbook.load(blank_some)
    long, ranking = comparison.team_comparison(workbook, QUARTER)
    rank = long.pivot(index="metric", columns="team", values="rank")
    value = long.pivot(index="metric", columns="team", values="value")
    assert value.loc["pipeline_created", "north"] == 500  # shown ...
    assert math.isnan(rank.loc["pipeline_created", "north"])  # ... but not ranked
    assert math.isnan(rank.loc["won_revenue", "north"])  # no value at all
    assert rank.loc["pipeline_created", "south"] == 1 and rank.loc["won_revenue", "south"] == 1
    assert rank.loc["won_deals"].tolist() == [1.0, 1.0]  # a count: 1 each, ranked as a tie
    names = dict(zip(ranking["team"], ranking["name"], strict=True))
    assert comparison.unranked_amounts_line(long, names) == (
        "Some deals have no amount, so these are not ranked: North Pod (Pipeline created, Won "
        "revenue)."
    )


def test_the_change_of_a_partial_amount_names_the_earlier_part():
    from helpers.metrics.headline import headline_table

    values = {
        "mqls": 1.0,
        "sla_compliance": math.nan,
        "speed_to_lead_hours": math.nan,
        "mql_acceptance": math.nan,
        "mql_to_sql": math.nan,
        "pipeline_created": Amount(900.0, 4, 1),
        "won_revenue": Amount(300.0, 1, 0, "won deals"),
        "won_deals": 1.0,
        "win_rate": math.nan,
        "cac": math.nan,
        # the scorecard's other KPIs (issue 21)
        "lead_to_customer": math.nan,
        "bookings_growth": math.nan,
        "customer_retention": math.nan,
        "marketing_roi": math.nan,
    }
    before = {**values, "pipeline_created": Amount(600.0, 3, 1)}
    table = headline_table(values, before, None, {}, {}, green=1.0, amber=0.9)
    row = table.set_index("metric").loc["pipeline_created"]
    assert row["change_previous"] == 300  # 900 − 600, each from the deals with an amount
    assert row["note"] == "from 3 of 4 opportunities; 1 without an amount; Q−1 from 2 of 3"
    assert table.set_index("metric").loc["won_revenue", "note"] == ""


def test_kpi_tile_shows_not_in_this_data_never_a_number(blank_all):
    tiles = kpi_tiles(_kpis(blank_all, "north").reset_index())
    for label, reason in (
        ("Pipeline created", "no opportunity amounts (2 opportunities without an amount)"),
        ("Won revenue", "no opportunity amounts (1 won deal without an amount)"),
    ):
        value, sub = _tile(tiles, label)
        assert value == "not in this data", label
        assert sub.startswith(reason), label
    assert _tile(tiles, "Won deals")[0] == "1"


def _tile(tiles: str, label: str) -> tuple[str, str]:
    """The value and the first sub-line of the KPI tile ``label``, as text."""
    found = re.search(
        rf'<div class="aw-label">{re.escape(label)}</div>'
        r'<div class="aw-value">(.*?)</div><div class="aw-sub">(.*?)(?:<br>|</div>)',
        tiles,
    )
    assert found, label
    return re.sub(r"<[^>]+>", "", found.group(1)), found.group(2)


# --- workbook metrics ----------------------------------------------------------------------


def _metrics(folder: Path, team: str, fmt: str):
    args = ["metrics", "--data", str(folder), "--team", team, "--quarter", QUARTER]
    result = CliRunner().invoke(main, [*args, "--format", fmt])
    assert result.exit_code == 0, result.output
    return json.loads(result.output) if fmt == "json" else result.output


def test_metrics_json_gives_null_and_why(blank_all):
    document = _metrics(blank_all, "north", "json")
    metrics = {m["metric"]: m for m in document["metrics"]}
    created = metrics["pipeline_created"]
    assert created["value"] is None and created["change_previous"] is None
    assert (created["deals"], created["missing_amount"]) == (2, 2)
    assert created["note"] == NO_PIPELINE_AMOUNTS
    assert metrics["won_revenue"]["value"] is None
    assert metrics["won_revenue"]["note"] == NO_WON_AMOUNTS
    won = metrics["won_deals"]
    assert (won["value"], won["kind"], won["target"], won["rag"]) == (1, "count", 2, "red")
    assert metrics["cac"]["value"] == 1000
    assert (metrics["win_rate"]["numerator"], metrics["win_rate"]["denominator"]) == (1, 2)
    alignment = document["alignment_index"]
    assert alignment["value"] == pytest.approx(100 * 23 / 42)
    assert alignment["reasons"]["marketing_pipeline_share"] == NO_PIPELINE_AMOUNTS


def test_metrics_json_and_table_for_part_of_the_deals(blank_some):
    metrics = {m["metric"]: m for m in _metrics(blank_some, "all", "json")["metrics"]}
    created = metrics["pipeline_created"]
    assert (created["value"], created["deals"], created["missing_amount"]) == (2500, 3, 1)
    assert created["note"] == "from 2 of 3 opportunities; 1 without an amount"
    assert metrics["won_revenue"]["value"] == 2000
    assert metrics["won_deals"]["value"] == 2
    text = _metrics(blank_some, "north", "table")
    line = next(x for x in text.splitlines() if x.strip().startswith("Won revenue"))
    assert "n/a" in line and NO_WON_AMOUNTS in line
    assert not re.search(r"\s0\s", line)
    line = next(x for x in text.splitlines() if x.strip().startswith("Pipeline created"))
    assert "500" in line and "from 1 of 2 opportunities; 1 without an amount" in line


# --- the report ------------------------------------------------------------------------------


def _execute(tmp_path: Path, team: str, data: Path) -> nbformat.NotebookNode:
    out = tmp_path / "report.ipynb"
    pm.execute_notebook(
        str(REPORT),
        str(out),
        parameters={"team": team, "quarter": QUARTER, "data_dir": str(data.resolve())},
        cwd=str(REPORT.parent),
        progress_bar=False,
    )
    return nbformat.read(out, as_version=4)


def _html(nb) -> str:
    return "".join(
        "".join(o.get("data", {}).get("text/html", ""))
        for c in nb["cells"]
        for o in c.get("outputs", [])
    )


@pytest.mark.slow
def test_report_without_amounts_shows_no_zero_for_them(blank_all, tmp_path):
    nb = _execute(tmp_path, "north", blank_all)
    assert notebook_errors(nb) == []
    html = _html(nb)
    for label in ("Pipeline created", "Won revenue"):
        assert _tile(html, label)[0] == "not in this data", label
    assert _tile(html, "Won deals")[0] == "1"
    assert (
        "Not in this data: no opportunity amounts (2 opportunities created and 1 won deal in the "
        "quarter, none with an amount), so no pipeline created, won revenue, average deal size, "
        "sales velocity or marketing-sourced pipeline share." in html
    )
    assert (
        "Not in this data: no opportunity amounts, so no attribution of pipeline created or won "
        "revenue." in html
    )
    assert (
        "Not in this data: no opportunity amounts (1 marketing-sourced won deal without an "
        "amount), so no marketing ROI." in html
    )
    assert (
        "Bookings from won deals with an amount only: this quarter not in this data (1 won deal, "
        "none with an amount)." in html
    )
    assert "counted as 0" not in html
    tables = dict(tables_in(nb))
    assert "attribution_pipeline" not in tables and "attribution_revenue" not in tables
    amounts = tables["pipeline_by_source"].set_index("source_type")["amount"]
    # marketing (O1) and sales (O2) created, neither with an amount: null; partner: none, 0.
    assert amounts[["marketing", "sales", "total"]].isna().all()
    assert amounts["partner"] == 0
    figures = tables["deal_metrics"].set_index("figure")["value"]
    assert figures["Average deal size (won)"] == "n/a"
    assert figures["Sales velocity (per day)"] == "n/a"
    assert figures["Won deals"] == "1"
    assert figures["Won deals without an amount"] == "1"
    assert tables["growth_retention"].set_index("figure").loc["Bookings", "value"] == "n/a"
    headline = tables["headline_kpis"].set_index("metric")
    assert pd.isna(headline.loc["pipeline_created", "value"])  # null in the published table
    assert headline.loc["pipeline_created", "note"] == NO_PIPELINE_AMOUNTS


@pytest.mark.slow
def test_company_report_with_some_amounts_says_which_part(blank_some, tmp_path):
    nb = _execute(tmp_path, "all", blank_some)
    assert notebook_errors(nb) == []
    html = _html(nb)
    value, sub = _tile(html, "Pipeline created")
    assert value == "€2,500"  # tiles: the currency's symbol; K / M only from 10,000
    assert "from 2 of 3 opportunities; 1 without an amount" in html
    assert _tile(html, "Won revenue")[0] == "€2,000"
    assert "from 1 of 2 won deals; 1 without an amount" in html
    assert _tile(html, "Won deals")[0] == "2"
    assert (
        "Opportunities without an amount: pipeline created is from 2 of 3 opportunities (1 "
        "without an amount); won revenue is from 1 of 2 won deals (1 without an amount)." in html
    )
    assert (
        "Some deals have no amount, so these are not ranked: North Pod (Pipeline created, Won "
        "revenue)." in html
    )
    tables = dict(tables_in(nb))
    ranking = tables["team_ranking"].set_index("team")
    assert math.isnan(ranking.loc["north", "pipeline_created_rank"])
    assert ranking.loc["south", "pipeline_created_rank"] == 1
    created = tables["pipeline_by_source"].set_index("source_type")
    # O1 (marketing) has no amount: null, not 0; O2 500 + O3 2,000 are sales.
    assert pd.isna(created.loc["marketing", "amount"])
    assert created.loc["marketing", "missing_amount"] == 1
    assert created.loc["sales", "amount"] == 2500
