"""Goals: RAG status, actual vs target, alignment index and reverse waterfall, worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.errors import ParameterError
from helpers.metrics.goals import (
    COMPONENTS,
    actual_vs_target,
    alignment_index,
    rag_status,
    reverse_waterfall,
)

INF = math.inf


@pytest.mark.parametrize(
    ("actual", "target", "direction", "attainment", "status"),
    [
        (100, 100, "higher", 1.0, "green"),  # 100 / 100, at the green line
        (95, 100, "higher", 0.95, "amber"),  # 95 / 100 ≥ 0.9
        (89, 100, "higher", 0.89, "red"),
        (400, 500, "lower", 1.25, "green"),  # CAC: 500 / 400
        (550, 500, "lower", 500 / 550, "amber"),  # 0.909 ≥ 0.9
        (600, 500, "lower", 500 / 600, "red"),  # 0.833
        (3, None, "higher", np.nan, "none"),
        (3, np.nan, "lower", np.nan, "none"),
        (np.nan, 5, "higher", np.nan, "none"),  # no actual
        (3, -1, "higher", np.nan, "none"),  # negative target: ratio undefined
        (0, 0, "higher", 1.0, "green"),  # target 0 met exactly
        (2, 0, "higher", INF, "green"),
        (-1, 0, "higher", -INF, "red"),
        (0, 500, "lower", INF, "green"),  # zero cost beats any positive target
        (0, 0, "lower", 1.0, "green"),
        (10, 0, "lower", 0.0, "red"),  # 0 / 10
    ],
    ids=[
        "met",
        "amber",
        "red",
        "lower-green",
        "lower-amber",
        "lower-red",
        "no-target",
        "nan-target",
        "no-actual",
        "negative-target",
        "target-0-actual-0",
        "target-0-above",
        "target-0-below",
        "lower-actual-0",
        "lower-both-0",
        "lower-target-0",
    ],
)
def test_rag_status(actual, target, direction, attainment, status):
    got_attainment, got_status = rag_status(actual, target, direction, green=1.0, amber=0.9)
    assert got_status == status
    if np.isnan(attainment):
        assert np.isnan(got_attainment)
    else:
        assert got_attainment == pytest.approx(attainment)


def test_rag_status_custom_thresholds():
    # 90 / 100 = 0.9: below green 0.95, above amber 0.8.
    assert rag_status(90, 100, "higher", green=0.95, amber=0.8) == (0.9, "amber")
    assert rag_status(79, 100, "higher", green=0.95, amber=0.8)[1] == "red"


def test_rag_status_rejects_bad_parameters():
    with pytest.raises(ParameterError, match="direction is 'up'; use 'higher'"):
        rag_status(1, 1, "up")
    with pytest.raises(ParameterError, match=r"amber \(0.95\) is above green \(0.9\)"):
        rag_status(1, 1, "higher", green=0.9, amber=0.95)


@pytest.fixture
def targets():
    return pd.DataFrame(
        [
            ("*", "2026Q3", "sla_compliance", 0.85),
            ("north", "2026Q3", "sla_compliance", 0.9),  # wins over the * row for north
            ("*", "2026Q3", "mql_acceptance", 0.75),
            ("north", "2026Q3", "cac", 500.0),
            ("north", "2026Q2", "mqls", 100.0),  # another quarter
            ("south", "2026Q3", "mqls", 999.0),  # another team
            ("north", "2026Q3", "won_revenue", 10000.0),  # target without an actual
        ],
        columns=["team", "quarter", "metric", "target"],
    )


ACTUALS = {"sla_compliance": 0.855, "mql_acceptance": 0.75, "cac": 400.0, "mqls": 120.0}


def test_actual_vs_target_team_row_wins_and_direction_counts(targets):
    table = actual_vs_target(ACTUALS, targets, "north", "2026Q3", {"cac": "lower"}, 1.0, 0.9)
    expected = pd.DataFrame(
        {
            "metric": ["sla_compliance", "mql_acceptance", "cac", "mqls", "won_revenue"],
            "actual": [0.855, 0.75, 400.0, 120.0, np.nan],
            "target": [0.9, 0.75, 500.0, np.nan, 10000.0],
            # 0.855 / 0.9; 0.75 / 0.75; CAC 500 / 400; no target; no actual
            "attainment": [0.95, 1.0, 1.25, np.nan, np.nan],
            "rag": ["amber", "green", "green", "none", "none"],
            "direction": ["higher", "higher", "lower", "higher", "higher"],
        }
    )
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


def test_actual_vs_target_other_team_uses_star_rows(targets):
    table = actual_vs_target(ACTUALS, targets, "south", "2026Q3", {"cac": "lower"}).set_index(
        "metric"
    )
    assert table.loc["sla_compliance", "target"] == 0.85  # the * row
    assert table.loc["sla_compliance", "attainment"] == pytest.approx(0.855 / 0.85)
    assert table.loc["mqls", "target"] == 999.0
    assert table.loc["mqls", "rag"] == "red"  # 120 / 999
    assert np.isnan(table.loc["cac", "target"])
    assert "won_revenue" not in table.index  # north's target


def test_actual_vs_target_without_targets_table():
    table = actual_vs_target({"mqls": 10.0}, None, "north", "2026Q3", {})
    assert table["rag"].tolist() == ["none"]
    assert np.isnan(table["target"].iloc[0])


def test_actual_vs_target_rejects_unknown_direction(targets):
    with pytest.raises(ParameterError, match="direction for metric 'cac' is 'down'"):
        actual_vs_target(ACTUALS, targets, "north", "2026Q3", {"cac": "down"})


WEIGHTS = {
    "sla_compliance": 0.25,
    "mql_acceptance": 0.2,
    "feedback_coverage": 0.15,
    "mql_to_sql": 0.25,
    "marketing_pipeline_share": 0.15,
}
RAW = {
    "sla_compliance": 0.8,
    "mql_acceptance": 0.6,
    "feedback_coverage": 0.5,
    "mql_to_sql": 0.15,
    "marketing_pipeline_share": 0.3,
}
TARGETS = {"mql_to_sql": 0.2, "marketing_pipeline_share": 0.4}


def test_alignment_index_with_targets():
    index = alignment_index(RAW, WEIGHTS, TARGETS)
    # Scores 0.8, 0.6, 0.5, min(0.15/0.2, 1) = 0.75, min(0.3/0.4, 1) = 0.75.
    # 100 × (0.25·0.8 + 0.2·0.6 + 0.15·0.5 + 0.25·0.75 + 0.15·0.75)
    #   = 100 × (0.2 + 0.12 + 0.075 + 0.1875 + 0.1125) = 69.5
    assert index.value == pytest.approx(69.5)
    assert index.missing == ()
    table = index.table
    assert table.columns.tolist() == [
        "component",
        "label",
        "raw",
        "target",
        "score",
        "weight",
        "contribution",
    ]
    assert table["score"].tolist() == pytest.approx([0.8, 0.6, 0.5, 0.75, 0.75])
    assert table["contribution"].tolist() == pytest.approx([20, 12, 7.5, 18.75, 11.25])


def test_alignment_index_without_targets_uses_raw_shares():
    # 100 × (0.2 + 0.12 + 0.075 + 0.25·0.15 + 0.15·0.3) = 100 × 0.4775
    assert alignment_index(RAW, WEIGHTS).value == pytest.approx(47.75)


def test_alignment_index_caps_score_and_target_zero_is_met():
    raw = {"mql_to_sql": 0.3, "marketing_pipeline_share": 0.5}
    weights = {"mql_to_sql": 1.0, "marketing_pipeline_share": 1.0}
    index = alignment_index(raw, weights, {"mql_to_sql": 0.0, "marketing_pipeline_share": 0.4})
    # 0.5 / 0.4 = 1.25, capped at 1; target 0 is met: 100 × (0.5·1 + 0.5·1)
    assert index.table["score"].tolist() == [1.0, 1.0]
    assert index.value == pytest.approx(100.0)


def test_alignment_index_missing_component_renormalises():
    raw = {**RAW, "feedback_coverage": np.nan}
    index = alignment_index(raw, WEIGHTS, TARGETS)
    # Weights left: 0.25 + 0.2 + 0.25 + 0.15 = 0.85.
    # (0.2 + 0.12 + 0.1875 + 0.1125) / 0.85 = 0.62 / 0.85 = 0.729411…
    assert index.value == pytest.approx(100 * 0.62 / 0.85)
    assert index.missing == ("feedback_coverage",)
    weights = index.table.set_index("component")["weight"]
    assert weights["sla_compliance"] == pytest.approx(0.25 / 0.85)
    assert weights["feedback_coverage"] == 0.0
    assert weights.sum() == pytest.approx(1.0)
    # A component left out of the dict altogether is missing too.
    absent = {k: v for k, v in RAW.items() if k != "feedback_coverage"}
    assert alignment_index(absent, WEIGHTS, TARGETS).value == pytest.approx(index.value)


def test_alignment_index_nothing_available():
    index = alignment_index({}, WEIGHTS)
    assert np.isnan(index.value)
    assert index.missing == COMPONENTS
    assert "n/a" in str(index)


def test_alignment_index_rejects_percentages_and_negative_weights():
    with pytest.raises(ParameterError, match="'sla_compliance' is 84.0; components are shares"):
        alignment_index({"sla_compliance": 84}, WEIGHTS)
    with pytest.raises(ParameterError, match="alignment weight 'mql_to_sql' is -1"):
        alignment_index(RAW, {**WEIGHTS, "mql_to_sql": -1})


def test_alignment_index_html_escapes_names():
    index = alignment_index({"<script>": 0.5}, {"<script>": 1.0})
    page = index._repr_html_()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "50.0" in page


@settings(max_examples=50, deadline=None, derandomize=True)
@given(
    raw=st.lists(st.one_of(st.floats(0, 1), st.just(float("nan"))), min_size=5, max_size=5),
    weights=st.lists(st.floats(0.01, 10), min_size=5, max_size=5),
)
def test_alignment_index_is_bounded_and_adds_up(raw, weights):
    index = alignment_index(
        dict(zip(COMPONENTS, raw, strict=True)), dict(zip(COMPONENTS, weights, strict=True))
    )
    if all(np.isnan(raw)):
        assert np.isnan(index.value)
    else:
        assert 0 <= index.value <= 100 + 1e-9
        assert index.table["contribution"].sum() == pytest.approx(index.value)
        assert index.table["weight"].sum() == pytest.approx(1.0)


CURRENT = {"won": 6, "opportunity": 30, "sql": 90, "mql": 300, "lead": 1000}


def test_reverse_waterfall():
    table = reverse_waterfall(100_000, 10_000, 0.25, 0.5, 0.2, 0.3, CURRENT)
    # 100 000 / 10 000 = 10 won; 10 / 0.25 = 40 opportunities; 40 / 0.5 = 80 SQLs;
    # 80 / 0.2 = 400 MQLs; 400 / 0.3 = 1333.3 → 1334 leads.
    expected = pd.DataFrame(
        {
            "stage": ["won", "opportunity", "sql", "mql", "lead"],
            "label": ["Won deals", "Opportunities", "SQL", "MQL", "Leads"],
            "conversion": [np.nan, 0.25, 0.5, 0.2, 0.3],
            "needed": [10.0, 40.0, 80.0, 400.0, 1334.0],
            "current": [6.0, 30.0, 90.0, 300.0, 1000.0],
            "gap": [4.0, 10.0, -10.0, 100.0, 334.0],
        }
    )
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


def test_reverse_waterfall_rounds_up_at_each_step():
    # 25 000 / 10 000 = 2.5 → 3 won; 3 / 0.5 = 6 opportunities (not ⌈2.5 / 0.5⌉ = 5).
    table = reverse_waterfall(25_000, 10_000, 0.5, 1.0, 1.0, 1.0)
    assert table["needed"].tolist()[:2] == [3.0, 6.0]
    assert table["current"].isna().all() and table["gap"].isna().all()


def test_reverse_waterfall_ignores_float_noise():
    # 21 / 0.7 is 30.000000000000004 in floating point; 30 opportunities are enough.
    table = reverse_waterfall(21, 1, 0.7, 1.0, 1.0, 1.0)
    assert table["needed"].tolist() == [21.0, 30.0, 30.0, 30.0, 30.0]


@pytest.mark.parametrize(
    ("rates", "expected"),
    [
        ((10_000, 0.0, 0.5, 0.2, 0.3), [10.0, np.nan, np.nan, np.nan, np.nan]),  # win rate 0
        ((10_000, 0.25, 0.5, np.nan, 0.3), [10.0, 40.0, 80.0, np.nan, np.nan]),  # NaN rate
        ((0.0, 0.25, 0.5, 0.2, 0.3), [np.nan] * 5),  # deal size 0
        ((10_000, 0.25, 0.5, 0.2, None), [10.0, 40.0, 80.0, 400.0, np.nan]),
    ],
    ids=["win-rate-zero", "nan-rate", "deal-size-zero", "none-rate"],
)
def test_reverse_waterfall_division_by_zero_is_nan_downstream(rates, expected):
    table = reverse_waterfall(100_000, *rates, current=CURRENT)
    np.testing.assert_array_equal(table["needed"].to_numpy(), np.array(expected))
    assert table["gap"].isna().tolist() == [np.isnan(x) for x in expected]


def test_reverse_waterfall_zero_and_negative_target():
    assert reverse_waterfall(0, 10_000, 0.25, 0.5, 0.2, 0.3)["needed"].tolist() == [0.0] * 5
    with pytest.raises(ParameterError, match="revenue target is -5"):
        reverse_waterfall(-5, 10_000, 0.25, 0.5, 0.2, 0.3)
