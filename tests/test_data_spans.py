"""Data that ends early, unfinished quarters and one-sided data sets (issue 16).

Fixtures (hand-made, figures worked out by hand from the CSV files):

- ``ends_early``: leads and events stop in May 2026 (last event 2026-05-21), deals go on to
  November (last close 2026-11-20). No ``as_of`` is set.
- ``deals_only``: teams and opportunities only, created 2026-04-10 … 2026-10-01.
- ``leads_only``: the tiny fixture without opportunities.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import TESTS

from helpers import Workbook
from helpers.data.periods import Quarter
from helpers.errors import DataValidationError
from helpers.metrics.stats import Rate

DATA = TESTS / "data"


def test_as_of_is_the_day_after_the_latest_timestamp_of_any_table():
    dataset = Workbook.load(DATA / "ends_early").dataset
    # The last deal closed 2026-11-20; the leads' last event (2026-05-21) would give 05-22.
    assert dataset.as_of == pd.Timestamp("2026-11-21")
    assert [str(q) for q in dataset.quarters] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert str(dataset.latest_complete_quarter) == "2026Q3"


def test_each_table_knows_its_own_span():
    spans = Workbook.load(DATA / "ends_early").dataset.table_spans().set_index("table")
    assert set(spans.index) == {"leads", "lead_events", "opportunities"}
    assert spans.loc["leads", "first"] == pd.Timestamp("2026-01-10 09:00")
    assert spans.loc["leads", "last"] == pd.Timestamp("2026-05-20 09:00")
    assert spans.loc["lead_events", "last"] == pd.Timestamp("2026-05-21 10:00")
    # Opportunities are dated by creation and closing: first created 02-02, last closed 11-20.
    assert spans.loc["opportunities", "first"] == pd.Timestamp("2026-02-02 10:00")
    assert spans.loc["opportunities", "last"] == pd.Timestamp("2026-11-20 10:00")
    assert spans.loc["opportunities", "rows"] == 5


def test_tables_that_end_before_a_quarter_are_named():
    dataset = Workbook.load(DATA / "ends_early").dataset
    cut = dataset.tables_ending_before(Quarter.parse("2026Q3", 1))
    assert sorted(cut["table"]) == ["lead_events", "leads"]
    # Q1 ends before either table stops: nothing is cut off.
    assert dataset.tables_ending_before(Quarter.parse("2026Q1", 1)).empty


def test_cohorts_follow_leads_to_deals_closed_after_the_last_lead():
    view = Workbook.load(DATA / "ends_early").view("north", "2026Q2")
    cohort = view.cohort_funnel(strict=False).set_index("stage")["reached"]
    # Q2 leads L3 and L4; L3's deal O2 was won on 2026-10-12, months after the last lead.
    assert cohort["lead"] == 2
    assert cohort["won"] == 1


def test_unfinished_quarter_is_known():
    workbook = Workbook.load(DATA / "ends_early")
    assert workbook.view("north", "2026Q3").complete
    q4 = workbook.view("north", "2026Q4")
    assert not q4.complete  # ends 2027-01-01, after the as-of date 2026-11-21
    # Q4 so far: O2 (3000, closed 10-12) and O5 (700, closed 11-20) won.
    won = q4.won_revenue().set_index("source_type")["amount"]
    assert won["total"] == pytest.approx(3700)


def test_deals_only_data_set_loads_and_measures_the_deal_side():
    workbook = Workbook.load(DATA / "deals_only")
    dataset = workbook.dataset
    assert dataset.sides == ("deals",)
    assert not dataset.has("leads") and not dataset.has("lead_events")
    assert dataset.as_of == pd.Timestamp("2026-10-02")  # last row: O7 created 2026-10-01
    assert [str(q) for q in dataset.quarters] == ["2026Q2", "2026Q3", "2026Q4"]
    view = workbook.view("all", "2026Q3")
    created = view.pipeline_created().set_index("source_type")["amount"]
    assert created["total"] == pytest.approx(2000 + 1500 + 900 + 400)
    won = view.won_revenue().set_index("source_type")["amount"]
    assert won["total"] == pytest.approx(2000 + 900)
    win = view.win_rate()
    assert (win.numerator, win.denominator) == (2, 3)  # O3, O5 won; O6 lost in Q3
    assert isinstance(win, Rate)


def test_deals_only_lead_side_figures_say_why_they_are_absent():
    view = Workbook.load(DATA / "deals_only").view("north", "2026Q3")
    assert view.speed_to_lead() is None
    assert view.mql_acceptance() is None
    line = view.not_in_data("speed_to_lead")
    assert line == "Not in this data: no leads table, so no speed to lead or SLA compliance."
    kpis = view.kpis().set_index("metric")
    assert pd.isna(kpis.loc["mqls", "value"])
    assert kpis.loc["mqls", "note"] == "not in this data: no leads table"
    assert "leads" in view.workbook.dataset.missing_tables


def test_leads_only_data_set_loads_and_says_deals_are_absent():
    workbook = Workbook.load(DATA / "leads_only")
    assert workbook.dataset.sides == ("leads",)
    view = workbook.view("north", "2026Q3")
    assert view.win_rate() is None
    kpis = view.kpis().set_index("metric")
    # North's MQLs in Q3: L1, L2, L3 and L5 (again on 07-10); L6 is south's (tiny fixture).
    assert kpis.loc["mqls", "value"] == 4
    assert kpis.loc["win_rate", "note"] == "not in this data: no opportunities table"


def test_neither_side_is_refused_with_a_fix(tmp_path):
    shutil.copy(DATA / "deals_only" / "teams.csv", tmp_path / "teams.csv")
    with pytest.raises(DataValidationError) as err:
        Workbook.load(tmp_path)
    text = str(err.value)
    assert "neither leads nor opportunities" in text
    assert "add leads.csv" in text


def test_events_without_their_leads_are_refused(tmp_path):
    for name in ("teams.csv", "opportunities.csv"):
        shutil.copy(DATA / "deals_only" / name, tmp_path / name)
    shutil.copy(DATA / "tiny" / "lead_events.csv", tmp_path / "lead_events.csv")
    with pytest.raises(DataValidationError) as err:
        Workbook.load(tmp_path)
    assert "lead events are here but their leads are not" in str(err.value)


def test_validate_prints_each_tables_dates_and_what_stops_early():
    from click.testing import CliRunner

    from helpers.cli import main

    result = CliRunner().invoke(main, ["validate", str(DATA / "ends_early")])
    assert result.exit_code == 0, result.output
    assert "  leads          2026-01-10 to 2026-05-20  (stops early" in result.output
    assert "  opportunities  2026-02-02 to 2026-11-20\n" in result.output
    assert "as of:          2026-11-21 (the day after the latest date)" in result.output
    assert "(latest complete: 2026Q3; 2026Q4 is not complete)" in result.output
    deals = CliRunner().invoke(main, ["validate", str(DATA / "deals_only")])
    assert deals.exit_code == 0, deals.output
    assert "  leads                   —  (not supplied" in deals.output


def test_kpis_of_a_quarter_after_a_table_stopped_are_not_in_this_data():
    # Q3 begins 2026-07-01, after the lead export stopped (events: 2026-05-21): lead-side KPIs
    # are unknown, not 0; the deal side goes on (O1 won 07-15, O3 lost 08-03).
    kpis = Workbook.load(DATA / "ends_early").view("north", "2026Q3").kpis().set_index("metric")
    assert pd.isna(kpis.loc["mqls", "value"])
    assert kpis.loc["mqls", "note"] == (
        "not in this data: the lead_events table stops on 2026-05-21, before 2026Q3"
    )
    assert pd.isna(kpis.loc["mqls", "change_previous"])
    assert kpis.loc["won_deals", "value"] == 1
    assert (kpis.loc["win_rate", "numerator"], kpis.loc["win_rate", "denominator"]) == (1, 2)
    # Q2 is only partly covered (leads go to 05-20): counted, with the warning on the page.
    q2 = Workbook.load(DATA / "ends_early").view("north", "2026Q2")
    assert q2.kpis().set_index("metric").loc["mqls", "value"] == 2  # L3 (04-07), L4 (05-20)
    assert any("The leads table stops on 2026-05-20" in w for w in q2.period_warnings())


def test_leads_only_deal_kpis_are_not_in_this_data():
    kpis = Workbook.load(DATA / "leads_only").view("north", "2026Q3").kpis().set_index("metric")
    for metric in ("pipeline_created", "won_revenue", "won_deals", "win_rate"):
        assert pd.isna(kpis.loc[metric, "value"]), metric
        assert kpis.loc[metric, "note"] == "not in this data: no opportunities table", metric


def test_deals_without_any_source_have_no_marketing_share():
    # deals_only has no source_type column and no leads: "sales" is a default, not a fact.
    workbook = Workbook.load(DATA / "deals_only")
    assert not workbook.dataset.sources_known
    view = workbook.view("all", "2026Q3")
    assert pd.isna(view.deal_metrics()["marketing_sourced_share"])
    index = view.alignment_index()
    assert index.reasons["marketing_pipeline_share"] == (
        "not in this data: no source_type on opportunities and no leads to take it from"
    )
    from helpers.reports.talking_points import talking_points

    points = talking_points(view)
    assert not any("Marketing sourced" in p for p in points)
    assert points[-1] == (
        "This data has no leads table, so the sections that need it say so rather than show "
        "0; add that export to measure them."
    )
    # The tiny fixture's deals carry a source: the share is known there.
    assert Workbook.load(DATA / "tiny").dataset.sources_known


@pytest.mark.slow
def test_unfinished_quarter_and_stopped_tables_are_labelled_in_report_index_and_json(tmp_path):
    import json

    from click.testing import CliRunner

    from helpers.cli import main

    data = DATA / "ends_early"
    args = ["reports", "--data", str(data), "--out", str(tmp_path), "--jobs", "1"]
    result = CliRunner().invoke(main, [*args, "--quarter", "2026Q4", "--team", "north"])
    assert result.exit_code == 0, result.output
    index = (tmp_path / "index.html").read_text()
    assert "quarter not complete as of 2026-11-21" in index
    page = (tmp_path / "2026Q4" / "north.html").read_text()
    assert "2026Q4 is not complete: the data end on 2026-11-20 (51 of 92 days)" in page
    assert "The leads table stops on 2026-05-20, before 2026Q4 ends" in page
    assert "Cohort still forming: 2026Q4 had not ended at the as-of date 2026-11-21" in page
    metrics = CliRunner().invoke(
        main, ["metrics", "--data", str(data), "--team", "north", "--quarter", "2026Q4",
               "--format", "json"]
    )  # fmt: skip
    document = json.loads(metrics.output)
    assert document["quarter_complete"] is False
    assert len(document["warnings"]) == 3  # unfinished; leads and lead_events stopped
    mqls = next(m for m in document["metrics"] if m["metric"] == "mqls")
    assert mqls["value"] is None
    assert (
        mqls["note"] == "not in this data: the lead_events table stops on 2026-05-21, before 2026Q4"
    )


def test_funnel_stages_follow_the_sides_supplied():
    deals = Workbook.load(DATA / "deals_only").view("all", "2026Q3")
    assert deals.stages == ("opportunity", "won")
    assert list(deals.period_funnel()["volume"]) == [4, 2]  # O3-O6 created; O3, O5 won
    assert deals.skipped_stages_line() == (
        "Not in this data: no leads table, so the funnels skip Leads, MQL, First touched, "
        "Accepted (SAL) and SQL."
    )
    leads = Workbook.load(DATA / "leads_only").view("north", "2026Q3")
    assert "opportunity" not in leads.stages and "won" not in leads.stages
    assert leads.skipped_stages_line() == (
        "Not in this data: no opportunities table, so the funnels skip Opportunities and Won."
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("folder", "lines"),
    [
        (
            "deals_only",
            (
                "Not in this data: no leads table, so no cohort funnel.",
                "Not in this data: no leads table, so no speed to lead or SLA compliance.",
                "every deal counts as sales-sourced by default",
            ),
        ),
        (
            "leads_only",
            (
                "Not in this data: no opportunities table, so no pipeline, revenue, win rate, "
                "deal size, cycle or velocity.",
                "Not in this data: no opportunities table, so no bookings or growth.",
                "Not in this data: no opportunities table, so the funnels skip Opportunities "
                "and Won.",
            ),
        ),
    ],
)
def test_one_sided_reports_say_what_is_absent(tmp_path, folder, lines):
    import html

    from click.testing import CliRunner

    from helpers.cli import main

    args = ["reports", "--data", str(DATA / folder), "--out", str(tmp_path), "--team", "all"]
    result = CliRunner().invoke(main, [*args, "--jobs", "1"])
    assert result.exit_code == 0, result.output
    page = html.unescape((tmp_path / "2026Q3" / "all.html").read_text())
    for line in lines:
        assert line in page, line
