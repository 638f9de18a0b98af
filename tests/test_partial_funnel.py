"""Partial funnels: a data set that records only some stages (tests/data/partial).

The fixture, worked by hand (Europe/Berlin, as of 2026-10-01, default SLA 24 business hours,
default alignment weights SLA .25, acceptance .20, feedback .15, MQL→SQL .25, pipeline share
.15):

- one team ``east``; leads without ``score`` or ``campaign_id``; lead_events with ``mql`` and
  ``sql`` only (no first_touch, accepted, rejected or recycled anywhere, no actor or reason
  column); opportunities all won; no spend, revenue, touches, targets or feedback table.
- 2026Q1: P1 (paid_search, marketing) mql 01-06, sql 01-10, O1 created 01-15 won 02-20
  (1,000); P2 (webinar, marketing) mql 01-13 only; P3 (outbound, sales) sql 02-03, O2 created
  02-05 won 03-10 (3,000).
- 2026Q2: nothing at all (the gap quarter).
- 2026Q3: P4 (paid_search, marketing) mql 07-01, sql 07-08, O3 created 07-10 won 08-14
  (2,000); P5 (paid_search, marketing) mql 07-06 only; P6 (webinar, marketing) mql 07-21,
  sql 07-28; P7 (outbound, sales) sql 08-04, O4 created 08-05 won 09-01 (4,000).

Not in this data (n/a, never 0): speed to lead, SLA compliance, untouched MQLs, MQL
acceptance, rejection and recycle reasons, win rate (no deal was ever lost) and sales
velocity, CAC, feedback, retention. Genuine zeros: 2026Q2's MQLs, pipeline and revenue.
"""

from __future__ import annotations

import csv
import html
import json
import math
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import PROJECT, TESTS
from notebook_checks import notebook_errors

from helpers.analysis.workbook import Workbook
from helpers.cli import main
from helpers.data.source import load_dataset
from helpers.metrics.stats import Rate
from helpers.reports.render import notebook_to_html
from helpers.reports.talking_points import talking_points

PARTIAL = TESTS / "data" / "partial"
TRAINING = PROJECT / "notebooks" / "training"

SLA_LINE = "Not in this data: no first_touch events, so no speed to lead or SLA compliance."
FUNNEL_LINE = (
    "Not in this data: no first_touch or accepted events, so the funnels skip First touched "
    "and Accepted (SAL)."
)
ACCEPTANCE_LINE = (
    "Not in this data: no accepted, rejected or recycled events, so no MQL acceptance, "
    "rejection reasons or recycle reasons."
)
UNTOUCHED_LINE = (
    "Not in this data: no first_touch events, so no count of MQLs still waiting for a first touch."
)
WIN_RATE_LINE = "Not in this data: no lost opportunities, so no win rate or sales velocity."
FEEDBACK_LINE = "Not in this data: no feedback table, so no lead-quality feedback."
SPEND_LINE = "Not in this data: no spend table, so no spend, CPL, CAC or ROI."
REVENUE_LINE = "Not in this data: no revenue table, so no logo or revenue retention."
TOUCHES_LINE = "Not in this data: no touches table, so every opportunity is credited"
TARGETS_LINE = "Not in this data: no targets table, so no RAG status vs target."
REJECTIONS_LINE = "Not in this data: no rejected events, so no rejected MQLs to review."
NO_SCORE_LINE = "Not in this data: no lead scores, so no score thresholds"
# One line per section: each of these appears exactly once in a report.
SECTION_LINES = (
    SLA_LINE,
    FUNNEL_LINE,
    ACCEPTANCE_LINE,
    UNTOUCHED_LINE,
    WIN_RATE_LINE,
    FEEDBACK_LINE,
    SPEND_LINE,
    REVENUE_LINE,
    TOUCHES_LINE,
    TARGETS_LINE,
)


@pytest.fixture(scope="module")
def workbook() -> Workbook:
    return Workbook.load(PARTIAL)


@pytest.fixture
def with_one_touch(tmp_path) -> Path:
    """The partial data plus one first_touch event (P1, 1 business hour after its MQL).

    first_touch is then tracked by the data set, so a quarter without touches is a genuine 0.
    """
    target = tmp_path / "partial"
    shutil.copytree(PARTIAL, target)
    with (target / "lead_events.csv").open("a") as events:
        events.write("P1,first_touch,2026-01-06T11:00:00\n")
    return target


# --- (1) the folder validates ------------------------------------------------------------


def test_partial_folder_validates_through_the_cli():
    result = CliRunner().invoke(main, ["validate", str(PARTIAL)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    assert "quarters (3):  2026Q1 to 2026Q3" in result.output


def test_optional_columns_not_supplied_are_empty_not_missing():
    dataset = load_dataset(PARTIAL)
    assert [p for p in dataset.anomalies if p.severity == "error"] == []
    assert dataset.missing_tables == (
        "spend",
        "revenue",
        "touches",
        "targets",
        "feedback",
        "actions",
    )
    # leads.csv has no score or campaign_id, lead_events.csv no actor or reason column.
    assert not dataset.has_values("leads", "score")
    assert not dataset.has_values("leads", "campaign_id")
    assert not dataset.has_values("lead_events", "reason")
    assert dataset.has_values("leads", "channel")
    assert dataset["lead_events"]["reason"].isna().all()


# --- (2) what the data set tracks ---------------------------------------------------------


def test_tracked_events_outcomes_and_stages():
    dataset = load_dataset(PARTIAL)
    assert dataset.tracked_events == ("mql", "sql")
    assert dataset.tracked_outcomes == ("won",)
    assert dataset.tracked_stages == ("lead", "mql", "sql", "opportunity", "won")


def test_tracked_events_after_the_vocabulary_mapping(tmp_path):
    target = tmp_path / "mapped"
    shutil.copytree(PARTIAL, target)
    events = (target / "lead_events.csv").read_text().replace(",mql,", ",marketing_qualified,")
    (target / "lead_events.csv").write_text(events)
    config = (target / "workbook.toml").read_text()
    (target / "workbook.toml").write_text(config + '\n[events]\nmarketing_qualified = "mql"\n')
    assert load_dataset(target).tracked_events == ("mql", "sql")


def test_kpis_not_in_data_are_na_not_zero(workbook):
    kpis = workbook.view("east", "2026Q3").kpis().set_index("metric")
    # Computable: 3 MQLs (P4, P5, P6); MQL→SQL 2 of 3 (P4, P6); pipeline and revenue
    # O3 + O4 = 2,000 + 4,000.
    assert kpis.loc["mqls", "value"] == 3
    assert (kpis.loc["mql_to_sql", "numerator"], kpis.loc["mql_to_sql", "denominator"]) == (2, 3)
    assert kpis.loc["pipeline_created", "value"] == 6000
    assert kpis.loc["won_revenue", "value"] == 6000
    # Not in this data: n/a with no count pair (not "0/3"), and a note that says why.
    for metric in ("sla_compliance", "speed_to_lead_hours", "mql_acceptance", "win_rate", "cac"):
        assert math.isnan(kpis.loc[metric, "value"]), metric
        assert math.isnan(kpis.loc[metric, "denominator"]), metric
        assert kpis.loc[metric, "note"].startswith("not in this data: no "), metric
    assert kpis.loc["sla_compliance", "note"] == "not in this data: no first_touch events"
    assert kpis.loc["mql_acceptance", "note"] == "not in this data: no accepted or rejected events"
    assert kpis.loc["win_rate", "note"] == "not in this data: no lost opportunities"
    assert kpis.loc["cac", "note"] == "not in this data: no spend table"
    assert (kpis.loc[["mqls", "mql_to_sql", "won_revenue"], "note"] == "").all()


def test_not_in_data_takes_kpi_names_and_rejects_unknown_ones(workbook):
    view = workbook.view("east", "2026Q3")
    expected = "Not in this data: no first_touch events, so no speed to lead or SLA compliance."
    assert view.not_in_data("sla_compliance") == expected
    assert view.not_in_data("speed_to_lead_hours") == expected
    assert view.not_in_data("mql_to_sql") is None  # mql and sql are both recorded
    with pytest.raises(ValueError, match="unknown figure 'sla'"):
        view.not_in_data("sla")


def test_empty_quarter_gives_genuine_zeros(workbook):
    view = workbook.view("east", "2026Q2")
    kpis = view.kpis().set_index("metric")
    for metric in ("mqls", "pipeline_created", "won_revenue"):
        assert kpis.loc[metric, "value"] == 0, metric
        assert kpis.loc[metric, "note"] == "", metric
    # MQL→SQL is tracked but had no MQL this quarter: 0 of 0, n/a without a "not in data" note.
    assert (kpis.loc["mql_to_sql", "numerator"], kpis.loc["mql_to_sql", "denominator"]) == (0, 0)
    assert kpis.loc["mql_to_sql", "note"] == ""
    volumes = view.stage_volumes().set_index("stage")
    assert volumes.loc[["lead", "mql", "sql", "opportunity", "won"], "volume"].tolist() == [0] * 5
    assert volumes.loc[["first_touch", "accepted"], "volume"].isna().all()
    assert not volumes.loc["first_touch", "tracked"]
    assert view.cohort_funnel(strict=True)["reached"].tolist() == [0] * 5
    assert view.stage_velocity()["leads"].tolist() == [0] * 4
    assert view.reverse_waterfall()["current"].tolist() == [0.0] * 5


def test_sla_compliance_is_a_genuine_zero_once_first_touch_is_tracked(with_one_touch):
    workbook = Workbook.load(with_one_touch)
    assert workbook.dataset.tracked_events == ("mql", "first_touch", "sql")
    q3 = workbook.view("east", "2026Q3")
    # P4, P5 and P6 became MQLs in 2026Q3 and were never touched: all past their 24 business
    # hours by the as-of date, so 0 of 3 in SLA.
    assert q3.speed_to_lead()["sla_compliance"] == Rate(0, 3)
    assert q3.kpis().set_index("metric").loc["sla_compliance", "value"] == 0.0
    # P1 was touched 1 business hour after its MQL (in SLA), P2 never: 1 of 2 in 2026Q1.
    assert workbook.view("east", "2026Q1").speed_to_lead()["sla_compliance"] == Rate(1, 2)
    # The index now counts SLA compliance as 0: (.25 × 0 + .25 × 2/3 + .15 × 1/3) / .65.
    index = q3.alignment_index()
    assert index.value == pytest.approx(100 / 3)
    assert "sla_compliance" not in index.missing
    # And the strict funnel has a First touched stage, reached by nobody of the Q3 cohort.
    strict = q3.cohort_funnel(strict=True)
    assert strict["stage"].tolist() == ["lead", "mql", "first_touch", "sql", "opportunity", "won"]
    assert strict["reached"].tolist() == [4, 3, 0, 0, 0, 0]


def test_figures_needing_untracked_stages_are_none(workbook):
    view = workbook.view("east", "2026Q3")
    assert view.speed_to_lead() is None
    assert view.untouched_by_age() is None
    assert view.mql_acceptance() is None
    assert view.reasons("rejected") is None
    assert view.reasons("recycled") is None
    assert view.win_rate() is None
    assert view.mql_to_sql() == Rate(2, 3)
    deals = view.deal_metrics()
    # Won in Q3: O3 (2,000; 07-10 → 08-14, 35 days) and O4 (4,000; 08-05 → 09-01, 27 days).
    assert deals["average_deal_size"] == 3000
    assert deals["sales_cycle_days"] == 31
    assert math.isnan(deals["sales_velocity_per_day"])
    # Marketing-sourced pipeline: O3 (P4, marketing) 2,000 of 6,000.
    assert deals["marketing_sourced_share"] == pytest.approx(1 / 3)


def test_alignment_index_leaves_out_untracked_components(workbook):
    # 2026Q3: MQL→SQL 2/3 at .25 and pipeline share 1/3 at .15; SLA compliance, acceptance
    # and feedback coverage left out. Two of five components are short of the default
    # minimum of 3 (issue 16): no index, where it used to be 100 × (.25 × 2/3 + .15 × 1/3)
    # / .40 = 54.2 from two components.
    index = workbook.view("east", "2026Q3").alignment_index()
    assert math.isnan(index.value)
    assert index.na_reason == "2 of 5 components in this data; the index needs at least 3"
    assert index.missing == ("sla_compliance", "mql_acceptance", "feedback_coverage")
    assert index.reasons == {
        "sla_compliance": "not in this data: no first_touch events",
        "mql_acceptance": "not in this data: no accepted or rejected events",
        "feedback_coverage": "not in this data: no feedback table",
    }
    # 2026Q1: MQL→SQL 1/2 (P1 of P1, P2); pipeline O1 1,000 (marketing) of 4,000 = 1/4: the
    # same two components, so no index either.
    assert math.isnan(workbook.view("east", "2026Q1").alignment_index().value)
    # 2026Q2: nothing to score at all; the two tracked components are empty, not untracked.
    empty = workbook.view("east", "2026Q2").alignment_index()
    assert math.isnan(empty.value)
    assert empty.reasons["mql_to_sql"] == "no MQLs in 2026Q2"
    assert empty.reasons["marketing_pipeline_share"] == "no pipeline created in 2026Q2"


def test_strict_funnel_skips_untracked_stages(workbook):
    q3 = workbook.view("east", "2026Q3")
    strict = q3.cohort_funnel(strict=True)
    any_stage = q3.cohort_funnel(strict=False)
    assert strict["stage"].tolist() == ["lead", "mql", "sql", "opportunity", "won"]
    # Q3 cohort P4–P7. Strict: MQL P4, P5, P6; SQL after MQL P4, P6 (P7 has no MQL);
    # opportunity after SQL P4 (O3); won P4. Any stage: SQL P4, P6, P7; opportunity and won
    # P4, P7.
    assert strict["reached"].tolist() == [4, 3, 2, 1, 1]
    assert any_stage["reached"].tolist() == [4, 3, 3, 2, 2]
    assert strict["next_numerator"].tolist()[1:] == [3, 2, 1, 1]
    assert strict["next_denominator"].tolist()[1:] == [4, 3, 2, 1]
    q1 = workbook.view("east", "2026Q1")
    # Q1 cohort P1–P3: strict MQL P1, P2; SQL P1; opportunity O1; won O1. Any stage adds P3.
    assert q1.cohort_funnel(strict=True)["reached"].tolist() == [3, 2, 1, 1, 1]
    assert q1.cohort_funnel(strict=False)["reached"].tolist() == [3, 2, 2, 2, 2]
    assert q3.skipped_stages_line() == FUNNEL_LINE


def test_period_funnel_and_velocity_go_straight_from_mql_to_sql(workbook):
    q3 = workbook.view("east", "2026Q3")
    period = q3.period_funnel()
    # Q3 events: MQL P4, P5, P6; SQL P4, P6, P7; opportunities O3, O4 created; O3, O4 won.
    assert period["stage"].tolist() == ["lead", "mql", "sql", "opportunity", "won"]
    assert period["volume"].tolist() == [4, 3, 3, 2, 2]
    velocity = q3.stage_velocity().set_index(["from_stage", "to_stage"])
    # MQL → SQL: P4 07-01 → 07-08 and P6 07-21 → 07-28, 7 days each.
    assert velocity.loc[("MQL", "SQL"), "leads"] == 2
    assert velocity.loc[("MQL", "SQL"), "median_days"] == 7


def test_section_lines(workbook):
    view = workbook.view("east", "2026Q3")
    assert view.not_in_data("speed_to_lead") == SLA_LINE
    assert view.not_in_data("untouched_mqls") == UNTOUCHED_LINE
    assert view.not_in_data("mql_acceptance", "rejection_reasons", "recycle_reasons") == (
        ACCEPTANCE_LINE
    )
    assert view.not_in_data("win_rate") == WIN_RATE_LINE
    assert view.not_in_data("mql_to_sql") is None
    assert view.kpis_not_in_data("rate") == (
        "Not in this data: no first_touch, accepted or rejected events and no lost "
        "opportunities, so SLA compliance, MQL acceptance and Win rate are left out."
    )


def test_trends_and_comparison_leave_out_untracked_kpis(workbook):
    from helpers.analysis import comparison

    view = workbook.view("east", "2026Q3")
    # Retention stays as n/a (it lacks only the optional revenue table); lead -> customer
    # needs leads and won deals, which this data has.
    assert set(view.trend(8)["metric"]) == {"mql_to_sql", "lead_to_customer", "customer_retention"}
    trend = comparison.kpi_trend(view, 8)
    assert list(dict.fromkeys(trend["metric"])) == [
        "mqls",
        "mql_to_sql",
        "pipeline_created",
        "won_revenue",
        "won_deals",
        "cac",  # no spend table: n/a, like the scorecard's KPIs below
        "lead_to_customer",
        "bookings_growth",
        "customer_retention",
        "marketing_roi",
    ]
    assert trend["quarter"].unique().tolist() == ["2026Q1", "2026Q2", "2026Q3"]
    long, ranking = comparison.team_comparison(workbook, "2026Q3")
    assert "sla_compliance" not in set(long["metric"])
    assert ranking["team"].tolist() == ["east"]


def test_company_rollup_of_one_team_equals_the_team(workbook):
    for quarter in ("2026Q1", "2026Q2", "2026Q3"):
        team = workbook.view("east", quarter).kpis()
        company = workbook.view("all", quarter).kpis()
        columns = ["metric", "value", "numerator", "denominator", "note"]
        assert company[columns].equals(team[columns]), quarter


def test_bookings_before_the_data_starts_are_na(workbook):
    q1 = workbook.view("east", "2026Q1").bookings_growth()
    assert q1["bookings"] == 4000  # O1 1,000 + O2 3,000
    assert math.isnan(q1["previous_bookings"]) and math.isnan(q1["year_ago_bookings"])
    q3 = workbook.view("east", "2026Q3").bookings_growth()
    assert q3["previous_bookings"] == 0  # the empty 2026Q2: a genuine 0
    assert math.isnan(q3["year_ago_bookings"]) and math.isnan(q3["qoq"])


def test_attribution_without_campaign_id(workbook):
    view = workbook.view("east", "2026Q3")
    result = view.attribution("linear", by="campaign_id")
    assert result.table["campaign_id"].tolist() == ["(no campaign)"]
    assert result.attributed_total == 6000
    empty = workbook.view("east", "2026Q2").attribution("linear")
    assert empty.note() == "linear: no opportunities to attribute."


def test_data_quality_draws_no_verdict_on_untracked_stages(workbook):
    quality = workbook.view("east", "2026Q3").data_quality().set_index("check")
    never_touched = quality.loc["MQLs never touched"]
    assert pd.isna(never_touched["count"])
    assert never_touched["detail"] == "not checked: no first_touch events in this data"
    skipped = quality.loc["skipped stages"]
    assert skipped["count"] == 0
    assert (
        "sql without accepted not checked: no accepted events in this data" in (skipped["detail"])
    )


def test_talking_points_draw_no_conclusion_from_untracked_stages(workbook):
    points = talking_points(workbook.view("east", "2026Q3"))
    # No alignment index (2 of 5 components), no target, no prior quarter with a value,
    # nothing waiting.
    assert points == [
        "Marketing sourced 33.3% of the pipeline created (€2,000 of €6,000).",
        "This data has no first_touch, accepted, rejected or recycled events and no lost "
        "opportunities, so the figures that need them are left out rather than shown as 0; "
        "agree how the CRM export will record those stages.",
    ]


def test_metrics_cli_shows_na_not_zero():
    runner = CliRunner()
    text = runner.invoke(main, ["metrics", "--data", str(PARTIAL), "--quarter", "2026Q3"])
    assert text.exit_code == 0, text.output

    def line(label: str) -> str:
        return next(x for x in text.output.splitlines() if x.strip().startswith(label))

    assert "n/a" in line("SLA compliance") and "0.0%" not in line("SLA compliance")
    assert "0/" not in line("SLA compliance")
    assert "n/a" in line("Win rate") and "100.0%" not in line("Win rate")
    assert "66.7%" in line("MQL → SQL")
    result = runner.invoke(
        main, ["metrics", "--data", str(PARTIAL), "--quarter", "2026Q3", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    metrics = {m["metric"]: m for m in document["metrics"]}
    for metric in ("sla_compliance", "speed_to_lead_hours", "mql_acceptance", "win_rate"):
        assert metrics[metric]["value"] is None, metric
        assert metrics[metric]["denominator"] is None, metric
    assert metrics["mqls"]["value"] == 3
    assert document["alignment_index"]["value"] is None  # 2 of 5 components (issue 16)
    assert document["alignment_index"]["missing"] == [
        "sla_compliance",
        "mql_acceptance",
        "feedback_coverage",
    ]
    empty = runner.invoke(
        main, ["metrics", "--data", str(PARTIAL), "--quarter", "2026Q2", "--format", "json"]
    )
    assert empty.exit_code == 0, empty.output
    values = {m["metric"]: m["value"] for m in json.loads(empty.output)["metrics"]}
    assert values["mqls"] == 0 and values["won_revenue"] == 0
    assert values["sla_compliance"] is None


# --- exercises on partial data, unit level -----------------------------------------------


@pytest.fixture
def partial_copy(tmp_path) -> Path:
    """A private copy: the workshop answer store is written into the data directory."""
    target = tmp_path / "partial"
    shutil.copytree(PARTIAL, target)
    return target


def test_calibration_without_scores_with_answers(partial_copy):
    from helpers.display.widgets import static_html
    from helpers.training import calibration as cal
    from helpers.training.session import Workshop

    workshop = Workshop(partial_copy, "partial session")
    sample = cal.lead_sample(workshop.workbook(), "east", workshop.session)
    # Not sales-sourced: P1, P2, P4, P5, P6 (P3 and P7 are outbound).
    assert sorted(sample["lead_id"]) == ["P1", "P2", "P4", "P5", "P6"]
    assert sample["score"].isna().all()
    assert "campaign_id" not in sample.columns
    outcomes = dict(zip(sample["lead_id"], sample["outcome"], strict=True))
    assert outcomes["P2"] == "MQL, not (yet) an SQL"  # no acceptance recorded: no guess
    assert outcomes["P1"] == "became an SQL"
    for name, role, answer in (("Ana", "sales", "yes"), ("Bo", "marketing", "no")):
        pid = workshop.store.join(workshop.session, name, role, "east")
        for lead in ("P1", "P2"):
            workshop.store.record(workshop.session, pid, cal.EXERCISE, f"{lead}:mql", answer)
    summary = cal.summarise(workshop, "east")
    assert summary.participants == 2
    assert math.isnan(summary.figures["room_threshold"])
    assert summary.figures["scored"] is False
    page = html.unescape(static_html(summary.page_parts()))
    assert NO_SCORE_LINE in page
    assert "model's threshold" not in page and "own MQL threshold" not in page
    workshop.close()


def test_what_if_baseline_without_first_touch_or_lost_deals(partial_copy):
    from helpers.training import what_if

    view = Workbook.load(partial_copy).view("east", "2026Q3")
    base = what_if.baseline(view)
    assert not base.sla_tracked and not base.win_rate_tracked
    assert base.sla_compliance == 0.0 and base.sla_uplift == 0.0
    # Won deals / opportunities created in Q3: 2 / 2.
    assert base.win_rate == 1.0
    assert base.notes[0].startswith(SLA_LINE.removesuffix("."))
    assert "the SLA slider is disabled" in base.notes[0]
    # Moving the (disabled) SLA lever changes nothing.
    moved = what_if.project(base, sla_compliance=0.9).set_index("stage")
    assert moved.loc["sql", "projected"] == moved.loc["sql", "baseline"]
    table = what_if.baseline_table(base).set_index("lever")
    assert table.loc["SLA compliance", "baseline"] == "n/a"


def test_rejection_review_and_quiz_on_partial_data(partial_copy):
    from helpers.training import quiz, rejections
    from helpers.training.session import Workshop

    workshop = Workshop(partial_copy, "partial session")
    summary = rejections.summarise(workshop, "east")
    assert summary.headline == REJECTIONS_LINE
    figures = quiz.team_figures(workshop.workbook(), "east")
    assert figures["metric"].tolist() == ["mql_to_sql"]
    assert (figures["numerator"].iloc[0], figures["denominator"].iloc[0]) == (2, 3)
    workshop.close()


# --- (3) end to end through the CLI ------------------------------------------------------


class _Text(HTMLParser):
    """The visible text of a page (no styles or scripts), for 'Error' / line checks."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def _table(folder: Path, name: str) -> list[dict[str, str]]:
    (path,) = folder.glob(f"*_{name}.csv")
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("partial_reports") / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "helpers.cli",
            "reports",
            "--data",
            str(PARTIAL),
            "--out",
            str(out),
            "--quarter",
            "2026Q2",
            "--quarter",
            "2026Q3",
            "--jobs",
            "2",
            "--export",
            "csv",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout + result.stderr
    return out


@pytest.mark.slow
@pytest.mark.parametrize("quarter", ["2026Q2", "2026Q3"])
@pytest.mark.parametrize("team", ["east", "all"])
def test_reports_render_every_section_or_its_line(rendered, quarter, team):
    assert (rendered / "index.html").exists() and (rendered / "manifest.json").exists()
    page_path = rendered / quarter / f"{team}.html"
    assert page_path.exists()
    page = page_path.read_text()
    assert "Traceback" not in page
    text = visible_text(html.unescape(page))
    assert "Error" not in text and "Exception" not in text
    for heading in (
        "1. Headline in detail",
        "2. Funnel",
        "3. Hand-off",
        "4. Pipeline and revenue",
        "5. Efficiency",
        "6. Growth and retention",
        "7. Trend over the last 8 quarters",
        "8. All talking points",
        "9. Lead scoring",
        "10. Appendix: definitions and data quality",
    ):
        assert heading in text, heading
    assert "Alignment index" in text and "Cohort age:" in text
    for line in SECTION_LINES:
        assert text.count(line) == 1, line
    assert "Left out (no data): SLA compliance (not in this data: no first_touch events)" in text
    assert "Events not in this data: first_touch, accepted, rejected, recycled" in text
    # Nothing reads an untracked stage as 0.
    assert "0.0% (0/" not in text
    assert "MQLs never touched past their SLA" not in text
    tables = rendered / quarter / f"{team}.tables"
    strict = _table(tables, "cohort_funnel")
    assert [row["stage"] for row in strict] == ["lead", "mql", "sql", "opportunity", "won"]
    kpis = {row["metric"]: row for row in _table(tables, "headline_kpis")}
    assert kpis["sla_compliance"]["value"] == ""
    assert kpis["sla_compliance"]["note"] == "not in this data: no first_touch events"
    if quarter == "2026Q3":
        assert "n/a — 2 of 5 components in this data; the index needs at least 3" in text
        assert [int(row["reached"]) for row in strict] == [4, 3, 2, 1, 1]
        assert float(kpis["mqls"]["value"]) == 3
    else:
        assert "No leads were created in 2026Q2: the cohort is empty." in text
        assert [int(row["reached"]) for row in strict] == [0] * 5
        assert float(kpis["mqls"]["value"]) == 0
        assert "linear: no opportunities to attribute." in text


# --- (4) every training notebook on the partial data ---------------------------------------

TRAINING_LINES = {
    "01_lead_calibration": [NO_SCORE_LINE],
    "02_sla_what_if": [
        "Not in this data: no first_touch events, so no speed to lead or SLA compliance; the "
        "SLA slider is disabled, and SLA compliance cannot move MQL → SQL.",
        "Not in this data: no lost opportunities, so no win rate or sales velocity; the "
        "win-rate lever starts at won deals / opportunities created in the quarter.",
    ],
    "03_shared_goals": [
        "Not in this data: no first_touch, accepted or rejected events and no lost "
        "opportunities, so SLA compliance, Speed to lead (median business h), MQL acceptance "
        "and Win rate have no baseline."
    ],
    "04_metrics_quiz": [
        "Not in this data: no first_touch, accepted or rejected events and no lost "
        "opportunities, so SLA compliance, MQL acceptance and Win rate are left out."
    ],
    "05_rejection_review": [REJECTIONS_LINE],
    "facilitator_view": [NO_SCORE_LINE, REJECTIONS_LINE, "the SLA slider is disabled"],
    "session_summary": [NO_SCORE_LINE, REJECTIONS_LINE, "the SLA slider is disabled"],
}


@pytest.fixture(scope="module")
def partial_workshop_data(tmp_path_factory) -> Path:
    """A copy of the partial data for the training notebooks (their store is written there)."""
    copy = tmp_path_factory.mktemp("partial_workshop") / "partial"
    shutil.copytree(PARTIAL, copy)
    return copy


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TRAINING_LINES))
def test_training_notebook_runs_on_partial_data(name, tmp_path, partial_workshop_data, monkeypatch):
    import papermill as pm

    monkeypatch.setenv("WORKBOOK_DATA_DIR", str(partial_workshop_data))
    path = TRAINING / f"{name}.ipynb"
    out = tmp_path / path.name
    pm.execute_notebook(str(path), str(out), cwd=str(path.parent), progress_bar=False)
    nb = nbformat.reads(out.read_text(), as_version=4)
    assert notebook_errors(nb) == []
    page_path = tmp_path / "page.html"
    notebook_to_html(nb, page_path, title="training")
    page = page_path.read_text()
    assert "Traceback" not in page and "Loading widget" not in page
    assert "<table" in page
    text = visible_text(html.unescape(page))
    assert "Error" not in text
    for line in TRAINING_LINES[name]:
        assert line in text, line
