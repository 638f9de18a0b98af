"""Cohort explorer on tests/data/tiny: curve points worked out by hand from the fixture CSVs.

As of 1 Oct 2026 00:00. North's cohorts: 2026Q2 = L5 (created 10 Apr 09:00); 2026Q3 = L1
(1 Jul 09:00), L2 (1 Jul 09:30), L3 (2 Jul 10:00), L4 (6 Jul 09:00). Their ages on 1 Oct:
L1 91 d 15 h, L2 91 d 14.5 h, L3 90 d 14 h, L4 86 d 15 h, L5 173 d 15 h.
First SQL: L1 3 Jul 09:00 (2 days after creation), L4 7 Jul 09:00 (1 day), L5 14 Jul 09:00
(95 days). First MQL: L1 after 1 h, L2 after 1.5 h, L3 at creation (0), L5 after 1 h.
South: L6 (created 3 Aug 09:00), MQL, never SQL. O1 (L1's deal) won 3 Aug 10:00: 33 d 1 h.
"""

from __future__ import annotations

import shutil

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from conftest import TESTS, TINY

from helpers.analysis.workbook import Workbook
from helpers.explore.cohorts import build_cohort_explorer


@pytest.fixture(scope="module")
def tiny():
    return Workbook.load(TINY)


@pytest.fixture
def explorer(tiny, tmp_path):
    return build_cohort_explorer(tiny, team="north", step_days=1, max_days=100, export_dir=tmp_path)


def points(explorer, cohort, days):
    table = explorer.table
    rows = table[table["cohort"] == cohort].set_index(table.columns[1])
    return [tuple(rows.loc[d, ["leads", "reached"]]) for d in days]


def test_sql_curve_by_days(explorer):
    assert explorer.stage.value == "sql"
    assert list(explorer.table["cohort"].unique()) == ["2026Q2", "2026Q3"]
    # 2026Q3: L4 at 1 day, L1 at 2 days. From day 87 L4 (86 d 15 h old) is not old enough.
    assert points(explorer, "2026Q3", [0, 1, 2, 86, 87, 91]) == [
        (4, 0),
        (4, 1),
        (4, 2),
        (4, 2),
        (3, 1),
        (2, 1),  # L1 and L2 are 91 d old: half the cohort, the least a point needs
    ]
    q3 = explorer.table[explorer.table["cohort"] == "2026Q3"]
    assert q3["days"].max() == 91  # at 92 days no lead is old enough
    # 2026Q2: L5 reached SQL 95 days after creation.
    assert points(explorer, "2026Q2", [94, 95, 100]) == [(1, 0), (1, 1), (1, 1)]
    row = q3.set_index("days").loc[2]
    assert row["share"] == 0.5
    # Wilson 95 % for 2/4 (z = 1.96): centre 0.5, half-width 0.3500.
    assert row["ci_low"] == pytest.approx(0.1500, abs=1e-4)
    assert row["ci_high"] == pytest.approx(0.8500, abs=1e-4)


def test_stage_control(explorer):
    assert [value for _, value in explorer.stage.options] == ["mql", "sql", "opportunity", "won"]
    explorer.stage.value = "mql"
    # L3 became an MQL at creation (day 0); L1, L2 within 2 hours; L5 within 1 hour.
    assert points(explorer, "2026Q3", [0, 1]) == [(4, 1), (4, 3)]
    assert points(explorer, "2026Q2", [0, 1]) == [(1, 0), (1, 1)]
    explorer.stage.value = "won"
    # O1 won 33 d 1 h after L1 was created.
    assert points(explorer, "2026Q3", [33, 34]) == [(4, 0), (4, 1)]


def test_unit_control_quarters_after_creation(explorer):
    explorer.unit.value = "quarters"
    expected = pd.DataFrame(
        {
            "cohort": ["2026Q2", "2026Q2", "2026Q3"],
            "quarters_after": [0, 1, 0],
            # L5: no SQL by 30 Jun, SQL by 30 Sep; L1 and L4 by 30 Sep. Whole cohorts.
            "leads": [1, 1, 4],
            "reached": [0, 1, 2],
            "share": [0.0, 1.0, 0.5],
        }
    )
    pd.testing.assert_frame_equal(
        explorer.table[expected.columns.tolist()], expected, check_dtype=False
    )


def test_team_and_channel_controls(explorer):
    explorer.team.value = "south"
    assert list(explorer.table["cohort"].unique()) == ["2026Q3"]
    assert set(explorer.table["reached"]) == {0}  # L6 never became SQL
    explorer.team.value = "all"
    explorer.channel.value = "paid_search"
    # 2026Q3 paid_search: L1 (SQL at 2 days) and L6 (created 3 Aug: 58 d 15 h old).
    assert points(explorer, "2026Q3", [1, 2, 58]) == [(2, 0), (2, 1), (2, 1)]
    assert explorer.table[explorer.table["cohort"] == "2026Q3"]["days"].max() == 91
    explorer.channel.value = "webinar"
    assert list(explorer.table["cohort"].unique()) == ["2026Q3"]  # L3 only


def test_quarter_range(explorer):
    explorer.quarters.value = ("2026Q3", "2026Q3")
    assert list(explorer.table["cohort"].unique()) == ["2026Q3"]
    assert list(explorer.table.columns) == [
        "cohort",
        "days",
        "leads",
        "reached",
        "share",
        "ci_low",
        "ci_high",
    ]


def test_figure_is_reused_and_nothing_stacks(explorer):
    figure, axes = explorer.figure, explorer.figure.axes[0]
    children = explorer.widget.children
    before = plt.get_fignums()
    lines = []
    for stage in ("mql", "won", "sql"):
        explorer.stage.value = stage
        lines.append(len(axes.lines))
    explorer.unit.value = "quarters"
    explorer.team.value = "all"
    explorer.channel.value = "outbound"
    assert explorer.figure is figure and explorer.figure.axes == [axes]
    assert lines == [2, 2, 2]  # one line per cohort, redrawn, not added to
    assert plt.get_fignums() == before
    assert explorer.widget.children == children
    assert explorer.table_view.value.count("<table") == 1


def test_untracked_stage_falls_back_with_a_note(tmp_path):
    copy = tmp_path / "partial"
    shutil.copytree(TESTS / "data" / "partial", copy)
    events = copy / "lead_events.csv"
    lines = events.read_text().splitlines()
    events.write_text("\n".join(line for line in lines if ",sql," not in line) + "\n")
    explorer = build_cohort_explorer(Workbook.load(copy), stage="sql", export_dir=tmp_path)
    assert explorer.stage.value == "mql"
    assert [value for _, value in explorer.stage.options] == ["mql", "opportunity", "won"]
    assert any("no sql events, so no SQL curve" in note for note in explorer.notes)


def test_bad_defaults_are_named(tiny, tmp_path):
    from helpers.errors import ParameterError

    with pytest.raises(ParameterError, match="stage 'lead'"):
        build_cohort_explorer(tiny, stage="lead", export_dir=tmp_path)
    with pytest.raises(ParameterError, match="step_days must be at least 1"):
        build_cohort_explorer(tiny, step_days=0, export_dir=tmp_path)


def test_fiscal_year_starting_in_february(tmp_path):
    # Feb-Apr 2026 is 2027Q1, May-Jul 2027Q2, Aug-Oct 2027Q3 (as of 1 Oct: not complete).
    copy = tmp_path / "tiny"
    shutil.copytree(TINY, copy)
    config = copy / "workbook.toml"
    config.write_text("fiscal_year_start_month = 2\n" + config.read_text())
    explorer = build_cohort_explorer(
        Workbook.load(copy), team="north", unit="quarters", export_dir=tmp_path
    )
    assert explorer.quarters.value == ("2027Q1", "2027Q2")  # up to the latest complete quarter
    expected = pd.DataFrame(
        {
            "cohort": ["2027Q1", "2027Q1", "2027Q2"],
            "quarters_after": [0, 1, 0],
            # L5 (created 10 Apr): SQL 14 Jul, after 30 Apr, before 31 Jul.
            # L1-L4 (created 1-6 Jul): L1 and L4 SQL by 31 Jul. 2027Q3 ends after the as-of.
            "leads": [1, 1, 4],
            "reached": [0, 1, 2],
        }
    )
    pd.testing.assert_frame_equal(
        explorer.table[expected.columns.tolist()], expected, check_dtype=False
    )
