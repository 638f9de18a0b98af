"""The metrics recover the effects the sample generator planted (data/sample/README.md)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import PROJECT

from helpers import Workbook
from helpers.data.sample import LOW_QUALITY_CHANNEL, SLOW_TEAM, SPEND_SPIKE

SAMPLE = PROJECT / "data" / "sample"


@pytest.fixture(scope="module")
def workbook():
    return Workbook.load(SAMPLE)


def test_slow_team_has_lowest_sla_compliance_and_mql_to_sql_every_quarter(workbook):
    others = [t for t in workbook.dataset.teams if t != SLOW_TEAM]
    for quarter in workbook.dataset.quarters:
        slow = workbook.view(SLOW_TEAM, quarter)
        slow_sla = slow.speed_to_lead()["sla_compliance"]
        slow_sql = slow.mql_to_sql()
        for team in others:
            other = workbook.view(team, quarter)
            assert slow_sla.value < other.speed_to_lead()["sla_compliance"].value, (quarter, team)
        # Conversion is noisier per quarter: compare with the other teams pooled.
        pooled = [workbook.view(t, quarter).mql_to_sql() for t in others]
        pooled_rate = sum(r.numerator for r in pooled) / sum(r.denominator for r in pooled)
        assert slow_sql.value < pooled_rate - 0.08, quarter


def test_slow_team_median_response_exceeds_the_sla(workbook):
    view = workbook.view(SLOW_TEAM, "2026Q3")
    assert view.speed_to_lead()["median_hours"] > workbook.dataset.config.sla_hours


def test_low_quality_channel_has_most_leads_and_highest_rejection(workbook):
    journeys = workbook.journeys
    volume = journeys["channel"].value_counts()
    assert volume.idxmax() == LOW_QUALITY_CHANNEL
    marketing = journeys[journeys["mql"].notna()]
    decided = marketing[marketing["accepted"].notna() | marketing["rejected"].notna()]
    rejection = decided["rejected"].notna().groupby(decided["channel"]).mean()
    assert rejection.idxmax() == LOW_QUALITY_CHANNEL


def test_spend_spike_quarter_stands_out(workbook):
    quarter, channel = SPEND_SPIKE
    spend = workbook.dataset["spend"]
    chosen = spend[spend["channel"] == channel]
    months = pd.to_datetime(chosen["month"] + "-01")
    by_quarter = chosen["amount"].groupby(workbook.dataset.quarter_of(months)).sum()
    spike_index = workbook.dataset.quarter(quarter).index
    others = by_quarter.drop(spike_index)
    assert by_quarter[spike_index] > 2.5 * others.mean()
