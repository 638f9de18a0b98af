"""A workbook keeps one view per team and quarter, and a view computes each figure once (issue 18).

Within one report the alignment index, the deal metrics, pipeline created and the targets
were computed again and again (3, 4, 6 and 25 times); now each is computed once per view.
Counted by wrapping the metric functions the views call; the data is tests/data/tiny.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
from conftest import TINY

from helpers import Workbook
from helpers.metrics import goals, pipeline
from helpers.reports.talking_points import talking_points


def test_a_workbook_keeps_one_view_per_team_and_quarter():
    workbook = Workbook.load(TINY)
    view = workbook.view("north", "2026Q3")
    assert workbook.view("north", "2026Q3") is view
    assert view.shift(-1) is workbook.view("north", "2026Q2")
    assert view.shift(-1).shift(1) is view
    assert workbook.view("south", "2026Q3") is not view


@pytest.fixture
def calls(monkeypatch) -> Counter:
    """Calls of the metric functions behind the memoised figures, by (function, quarter start)."""
    counted: Counter = Counter()

    def counting(module, name, start_at):
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            counted[(name, str(args[start_at]))] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    # Functions that the views alone call, each once per view when memoised.
    counting(goals, "alignment_index", 0)  # keyed by its components
    counting(goals, "reverse_waterfall", 0)  # keyed by the won-revenue target
    counting(pipeline, "pipeline_created", 1)  # by the deal metrics and the index's share
    counting(pipeline, "won_revenue", 1)
    return counted


def test_a_report_computes_each_figure_once_per_quarter(calls):
    view = Workbook.load(TINY).view("north", "2026Q3")
    # What a report asks for: the headline (with Q−1 and Q−4), the index twice, the deal
    # metrics, the talking points (which ask for all of these again) and the trend.
    view.kpis()
    view.alignment_index()
    view.alignment_index()
    view.deal_metrics()
    view.reverse_waterfall()
    talking_points(view)
    view.trend(8)
    assert {name for name, _ in calls} == {
        "alignment_index",
        "reverse_waterfall",
        "pipeline_created",
        "won_revenue",
    }
    assert {key: n for key, n in calls.items() if n > 1} == {}


def test_the_targets_of_a_view_are_looked_up_once(monkeypatch):
    asked: Counter = Counter()
    indexed: Counter = Counter()
    pick, index = goals.pick_targets, goals.target_index

    def picking(targets, team, quarter):
        asked[(team, quarter)] += 1
        return pick(targets, team, quarter)

    def indexing(targets):
        indexed["targets"] += 1
        return index(targets)

    monkeypatch.setattr(goals, "pick_targets", picking)
    monkeypatch.setattr(goals, "target_index", indexing)
    workbook = Workbook.load(TINY)
    view = workbook.view("north", "2026Q3")
    for _ in range(3):
        view.alignment_index()
        view.reverse_waterfall()
        view.target("won_revenue")
        view.target("sla_compliance")
    assert asked and max(asked.values()) == 1
    workbook.view("south", "2026Q3").target("won_revenue")
    assert indexed == {"targets": 1}  # the table is read once for every view


def test_changing_a_returned_table_or_dict_does_not_change_the_next_answer():
    view = Workbook.load(TINY).view("north", "2026Q3")
    created = view.pipeline_created()
    expected = created.copy(deep=True)
    created["amount"] = -1.0
    created.loc[created.index[0], "source_type"] = "changed"
    pd.testing.assert_frame_equal(view.pipeline_created(), expected)
    deals = view.deal_metrics()
    won = deals["won_deals"]
    deals["won_deals"] = 999
    assert view.deal_metrics()["won_deals"] == won
