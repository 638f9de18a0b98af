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
