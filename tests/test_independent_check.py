"""The library's figures equal an independent plain-Python count for every team and quarter."""

from __future__ import annotations

import pytest
from conftest import PROJECT
from independent import figures

from helpers import Workbook

SAMPLE = PROJECT / "data" / "sample"
STAGES = ("lead", "mql", "first_touch", "accepted", "sql", "rejected", "recycled",
          "opportunity", "won")  # fmt: skip


@pytest.fixture(scope="module")
def both():
    return Workbook.load(SAMPLE), figures(SAMPLE)


def test_stage_volumes_match_for_every_team_and_quarter(both):
    workbook, expected = both
    assert workbook.dataset.config.fiscal_year_start_month == 1  # the check assumes it
    checked = 0
    for team in [*workbook.dataset.teams, "all"]:
        for quarter in workbook.dataset.quarters:
            volumes = workbook.view(team, quarter).stage_volumes().set_index("stage")["volume"]
            want = expected[(team, str(quarter))]
            got = {stage: int(volumes[stage]) for stage in STAGES}
            assert got == {stage: int(want.get(stage, 0)) for stage in STAGES}, (team, quarter)
            checked += 1
    assert checked == 7 * 10


def test_win_rate_and_pipeline_created_match_for_every_team_and_quarter(both):
    from helpers.metrics.pipeline import pipeline_created, win_rate

    workbook, expected = both
    for team in [*workbook.dataset.teams, "all"]:
        for quarter in workbook.dataset.quarters:
            view = workbook.view(team, quarter)
            opps = view.tables["opportunities"]
            want = expected[(team, str(quarter))]
            rate = win_rate(opps, view.start, view.end)
            assert rate.numerator == want.get("won", 0), (team, quarter)
            assert rate.denominator == want.get("won", 0) + want.get("lost", 0), (team, quarter)
            created = pipeline_created(opps, view.start, view.end).set_index("source_type")
            for source in ("marketing", "sales", "partner"):
                assert created.loc[source, "amount"] == pytest.approx(
                    want.get(f"pipeline_{source}", 0.0), abs=0.01
                ), (team, quarter, source)
