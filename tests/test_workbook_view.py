"""The team-quarter view wires the metric families together; figures worked out by hand."""

from __future__ import annotations

import math

import pytest
from conftest import PROJECT, TINY

from helpers import Workbook


@pytest.fixture(scope="module")
def north():
    return Workbook.load(TINY).view("north", "2026Q3")


def test_alignment_index_renormalises_without_feedback(north):
    # Components (tests/data/tiny, north, 2026Q3): SLA 2/4, acceptance 2/3, MQL→SQL 2/4,
    # marketing share of pipeline created 1000 / (1000 + 500); no feedback table, no targets.
    # Default weights 0.25, 0.2, (0.15 dropped), 0.25, 0.15 → sum 0.85.
    expected = 100 * (0.25 * 0.5 + 0.2 * 2 / 3 + 0.25 * 0.5 + 0.15 * 2 / 3) / 0.85
    index = north.alignment_index()
    assert index.value == pytest.approx(expected)  # 56.86
    assert index.missing == ("feedback_coverage",)


def test_reverse_waterfall_without_target_is_nan_but_shows_current_volumes(north):
    table = north.reverse_waterfall().set_index("stage")
    assert table["needed"].isna().all()
    assert table.loc["lead", "current"] == 4 and table.loc["won", "current"] == 1


def test_deal_metrics(north):
    deals = north.deal_metrics()
    assert deals["average_deal_size"] == 1000  # O1 only
    assert deals["sales_cycle_days"] == 28  # 6 Jul 10:00 → 3 Aug 10:00
    assert deals["marketing_sourced_share"] == pytest.approx(2 / 3)


def test_optional_tables_absent_give_none(north):
    assert north.cac() is None and north.cost_per_lead() is None
    assert north.logo_retention() is None and north.feedback_coverage() is None


def test_data_quality_finds_the_one_untouched_mql(north):
    checks = north.data_quality().set_index("check")
    assert int(checks.loc["MQLs never touched", "count"]) == 1  # L3
    assert int(checks.loc["orphan events", "count"]) == 0


def test_alignment_index_on_sample_ranks_the_slow_team_last():
    workbook = Workbook.load(PROJECT / "data" / "sample")
    values = {t: workbook.view(t, "2026Q3").alignment_index().value for t in workbook.dataset.teams}
    assert min(values, key=values.get) == "na-smb"
    assert all(0 <= v <= 100 and not math.isnan(v) for v in values.values())


def test_attribution_without_touches_falls_back_to_lead_channels(north):
    # No touches table in tiny: O1 (1000, lead L1 paid_search) and O2 (500, L4 outbound).
    result = north.attribution("u_shaped")
    amounts = dict(zip(result.table["channel"], result.table["amount"], strict=True))
    assert amounts == {"paid_search": 1000.0, "outbound": 500.0}
    assert result.fallback_amount == 1500.0
    revenue = north.attribution("linear", basis="revenue")
    assert revenue.attributed_total == 1000.0
    with pytest.raises(Exception, match="basis 'bookings' is unknown"):
        north.attribution(basis="bookings")


def test_results_show_as_tables_and_convert_to_frames(north):
    speed = north.speed_to_lead()
    frame = speed.to_frame().set_index("figure")
    assert frame.loc["sla_compliance", "numerator"] == 2
    assert frame.loc["sla_compliance", "denominator"] == 4
    assert frame.loc["median_hours", "value"] == 5
    assert "<table" in speed._repr_html_()
    rate = north.win_rate().to_frame()
    assert rate[["numerator", "denominator"]].iloc[0].tolist() == [1, 2]
    assert "<table" in north.win_rate()._repr_html_()
