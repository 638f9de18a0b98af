"""Collaborative wins (issue 21, deliverable 3): targets hit and significant improvements first.

Literal KPI rows; every expected sentence written out by hand.
"""

from __future__ import annotations

import math

import pandas as pd

from helpers.reports.talking_points import (
    WIN_RULE,
    TalkingPoint,
    kpi_change_points,
    rank_points,
    wins_points,
)

NAN = math.nan


def row(**values):
    base = {
        "metric": "x",
        "label": "X",
        "direction": "higher",
        "kind": "rate",
        "value": NAN,
        "previous": NAN,
        "p_previous": NAN,
        "significant_previous": False,
        "year": NAN,
        "p_year": NAN,
        "significant_year": False,
        "target": NAN,
        "attainment": NAN,
        "rag": "none",
        "base": 100,
        "base_previous": 100,
        "base_year": 100,
    }
    return base | values


KPIS = pd.DataFrame(
    [
        # on target: a rate and a count
        row(label="SLA compliance", value=0.92, target=0.85, rag="green"),
        row(label="MQLs", kind="count", value=221.0, target=212.0, rag="green"),
        # amber: not a win
        row(label="Win rate", value=0.30, target=0.32, rag="amber"),
        # a significant improvement against Q-1 (higher is better)
        row(label="MQL → SQL", value=0.253, previous=0.201, p_previous=0.003,
            significant_previous=True),
        # a significant improvement of a lower-is-better rate against Q-4
        row(label="Rejection", direction="lower", value=0.10, year=0.18, p_year=0.0004,
            significant_year=True),
        # significant, but for the worse: not a win
        row(label="MQL acceptance", value=0.70, previous=0.80, p_previous=0.01,
            significant_previous=True),
        # better but not significant: not a win
        row(label="Feedback", value=0.50, previous=0.45, p_previous=0.2),
        # significant and better, but Q-1 rests on 12 observations: no comparison
        row(label="Thin", value=0.60, previous=0.30, p_previous=0.01, significant_previous=True,
            base_previous=12),
    ]
)  # fmt: skip


def test_wins_name_targets_hit_significant_improvements_and_actions_done():
    review = pd.DataFrame(
        {"action": ["One MQL definition", "Weekly call"], "status": ["done", "open"]}
    )
    (point,) = wins_points(KPIS, previous_label="2026Q2", year_label="2025Q3", review=review)
    assert point == (
        "Collaborative wins. On target: SLA compliance 92.0% (target 85.0%), MQLs 221 "
        "(target 212). Significant improvements: MQL → SQL from 20.1% in 2026Q2 to 25.3% "
        "(p=0.003); Rejection from 18.0% in 2025Q3 to 10.0% (p<0.001). Agreed actions done: "
        '"One MQL definition".'
    )
    assert point.rule == WIN_RULE


def test_an_unfinished_quarter_names_rates_on_target_so_far_and_no_change():
    (point,) = wins_points(KPIS, so_far="so far (quarter not complete at 15 Aug 2026)")
    assert point == (
        "Collaborative wins. On target so far (quarter not complete at 15 Aug 2026): SLA "
        "compliance 92.0% (target 85.0%)."
    )


def test_no_win_no_point():
    assert wins_points(pd.DataFrame([row(value=0.5, target=0.8, rag="red")])) == []


def test_the_change_rule_leaves_the_wins_to_the_wins_point():
    texts = kpi_change_points(KPIS, previous_label="2026Q2", year_label="2025Q3", without_wins=True)
    assert texts == ["MQL acceptance fell from 80.0% in 2026Q2 to 70.0% (significant, p=0.010)."]
    everything = kpi_change_points(KPIS, previous_label="2026Q2", year_label="2025Q3")
    assert len(everything) == 3  # with the two improvements


def test_the_wins_come_first_whatever_their_score():
    wins = TalkingPoint("Collaborative wins. On target: X.", rule=WIN_RULE)
    urgent = TalkingPoint("Red against target.", rule="target", gap=1.0, significance=1.0)
    assert rank_points([urgent, "plain", wins]) == [wins, urgent, "plain"]
    assert wins.score < urgent.score
