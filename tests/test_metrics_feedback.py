"""Lead-quality feedback on the quarter's MQLs, on small literal tables worked out by hand.

Window 2026Q3. MQL events in Q3: A (twice), B, C -> 3 distinct MQLs. D became an MQL in June.
Feedback rows: A rated 2 ("no budget") and 4 ("good fit"), B rated 1 ("no budget"), D rated 5
(not a Q3 MQL: left out), E has no MQL at all (left out). C has no feedback.
So coverage = 2 of 3 MQLs; rows = 3; mean rating = (2 + 4 + 1) / 3 = 7/3; low (1 or 2) = 2 of 3.
Reasons: "no budget" 2 rows (ratings 2 and 1: mean 1.5), "good fit" 1 row (mean 4).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import TINY

from helpers import Rate, Workbook
from helpers.metrics.handoff import feedback_reasons, feedback_summary

START = pd.Timestamp("2026-07-01")
END = pd.Timestamp("2026-10-01")

EVENTS = pd.DataFrame(
    {
        "lead_id": ["A", "A", "B", "C", "D", "A"],
        "event": ["mql", "mql", "mql", "mql", "mql", "first_touch"],
        "at": pd.to_datetime(
            [
                "2026-07-01 10:00",
                "2026-08-01 10:00",
                "2026-07-02 10:00",
                "2026-09-30 23:00",
                "2026-06-30 10:00",
                "2026-07-01 11:00",
            ]
        ),
    }
)
FEEDBACK = pd.DataFrame(
    {
        "lead_id": ["A", "A", "B", "D", "E"],
        "at": pd.to_datetime(
            ["2026-07-02", "2026-08-02", "2026-07-03", "2026-07-01", "2026-07-01"]
        ),
        "rating": [2, 4, 1, 5, 3],
        "reason": ["no budget", "good fit", "no budget", "good fit", "duplicate"],
        "comment": [None, None, None, None, None],
    }
)


def test_feedback_summary_counts_the_quarters_mqls_only():
    summary = feedback_summary(FEEDBACK, EVENTS, START, END)
    assert summary["mqls"] == 3
    assert summary["coverage"] == Rate(2, 3)
    assert summary["ratings"] == 3
    assert summary["mean_rating"] == pytest.approx(7 / 3)
    assert summary["low_ratings"] == Rate(2, 3)


def test_feedback_reasons_pareto_with_mean_rating():
    table = feedback_reasons(FEEDBACK, EVENTS, START, END)
    expected = pd.DataFrame(
        {
            "reason": ["no budget", "good fit"],
            "count": [2, 1],
            "share": [2 / 3, 1 / 3],
            "cumulative_share": [2 / 3, 1.0],
            "mean_rating": [1.5, 4.0],
        }
    )
    pd.testing.assert_frame_equal(table, expected)


def test_missing_reason_is_named_and_no_feedback_gives_nan():
    feedback = FEEDBACK.assign(reason=[None, "good fit", None, None, None])
    table = feedback_reasons(feedback, EVENTS, START, END)
    assert table["reason"].tolist() == ["(no reason)", "good fit"]
    empty = feedback_summary(FEEDBACK.iloc[3:], EVENTS, START, END)
    assert empty["coverage"] == Rate(0, 3)
    assert empty["ratings"] == 0 and math.isnan(empty["mean_rating"])
    assert feedback_reasons(FEEDBACK.iloc[3:], EVENTS, START, END).empty


def test_inputs_are_not_modified():
    before_f, before_e = FEEDBACK.copy(), EVENTS.copy()
    feedback_summary(FEEDBACK, EVENTS, START, END)
    feedback_reasons(FEEDBACK, EVENTS, START, END)
    pd.testing.assert_frame_equal(FEEDBACK, before_f)
    pd.testing.assert_frame_equal(EVENTS, before_e)


def test_view_without_feedback_table_gives_none():
    view = Workbook.load(TINY).view("north", "2026Q3")
    assert view.feedback_summary() is None and view.feedback_reasons() is None
