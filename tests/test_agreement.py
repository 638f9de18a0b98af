"""Agreement statistics: published worked examples, hand-computed cases and properties.

Every expected value is worked out by hand in a comment or taken from the published source.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from helpers.metrics.agreement import (
    agreement_by_group,
    cohen_kappa,
    fleiss_kappa,
    interpret_kappa,
    mean_pairwise_cohen,
    most_disputed,
    pairwise_cohen,
    ratings_table,
)

# --- Cohen's kappa --------------------------------------------------------------------------


def test_cohen_wikipedia_example():
    # Wikipedia "Cohen's kappa": 50 proposals; both yes 20, A yes/B no 5, A no/B yes 10,
    # both no 15. p_o = 35/50 = 0.7; A yes 0.5, B yes 0.6 -> p_e = 0.5·0.6 + 0.5·0.4 = 0.5;
    # κ = (0.7 − 0.5) / (1 − 0.5) = 0.4.
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # p_o = 1, p_e = 0.5·0.5 + 0.5·0.5 = 0.5 -> κ = 0.5 / 0.5 = 1
        (["y", "y", "n", "n"], ["y", "y", "n", "n"], 1.0),
        # p_o = 0.5, p_e = 0.5 -> κ = 0
        (["y", "y", "n", "n"], ["y", "n", "y", "n"], 0.0),
        # p_o = 0, p_e = 0.5 -> κ = −0.5 / 0.5 = −1
        (["y", "y", "n", "n"], ["n", "n", "y", "y"], -1.0),
        # p_o = 1/4; A y 3/4, B y 1/2 -> p_e = 3/8 + 1/8 = 1/2; κ = (1/4 − 1/2) / (1/2) = −0.5
        (["y", "y", "y", "n"], ["y", "n", "n", "y"], -0.5),
        # three categories, only item 3 differs (b vs a): p_o = 5/6;
        # A: a 2, b 2, c 2; B: a 3, b 1, c 2 -> p_e = (2·3 + 2·1 + 2·2) / 36 = 1/3
        # κ = (5/6 − 1/3) / (2/3) = 3/4
        (list("aabbcc"), list("aaabcc"), 0.75),
        # one category used by both throughout: p_e = 1, documented as 1.0
        (["y", "y", "y"], ["y", "y", "y"], 1.0),
        # missing labels drop the item: left with the chance case above -> 0
        (["y", "y", "n", None, "n"], ["y", "n", "y", "y", "n"], 0.0),
        (["y", "y", "n", "n", "y"], ["y", "n", "y", "n", float("nan")], 0.0),
    ],
    ids=[
        "perfect",
        "at-chance",
        "total-disagreement",
        "systematic-disagreement",
        "three-categories",
        "single-category",
        "missing-none-dropped",
        "missing-nan-dropped",
    ],
)
def test_cohen_hand_computed(a, b, expected):
    assert cohen_kappa(a, b) == pytest.approx(expected)


def test_cohen_single_category_with_unused_categories_is_one():
    assert cohen_kappa(["y", "y"], ["y", "y"], categories=["y", "n"]) == 1.0


def test_cohen_categories_do_not_change_kappa():
    # the at-chance case with an unused category: still 0
    assert cohen_kappa(["y", "y", "n", "n"], ["y", "n", "y", "n"], categories="ynm") == 0.0


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "match"),
    [
        ([], [], {}, "no item rated by both"),
        ([None, "y"], ["y", None], {}, "no item rated by both"),
        (["y", "n"], ["y"], {}, "rater A gave 2 labels and rater B 1"),
        (["y", "maybe"], ["y", "n"], {"categories": ["y", "n"]}, "'maybe'"),
    ],
    ids=["empty", "all-missing", "lengths-differ", "outside-categories"],
)
def test_cohen_errors(a, b, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cohen_kappa(a, b, **kwargs)


labels = st.sampled_from(["yes", "no", "maybe"])
label_pairs = st.integers(1, 30).flatmap(
    lambda n: st.tuples(
        st.lists(labels, min_size=n, max_size=n), st.lists(labels, min_size=n, max_size=n)
    )
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(pair=label_pairs)
def test_cohen_symmetric_and_bounded(pair):
    a, b = pair
    kappa = cohen_kappa(a, b)
    assert kappa == cohen_kappa(b, a)
    assert -1.0 <= kappa <= 1.0


@settings(max_examples=100, deadline=None, derandomize=True)
@given(a=st.lists(labels, min_size=1, max_size=30))
def test_cohen_with_itself_is_one(a):
    assert cohen_kappa(a, a) == 1.0


# --- Fleiss' kappa --------------------------------------------------------------------------

# Fleiss (1971), reproduced in Wikipedia "Fleiss' kappa": 10 subjects, 5 categories, 14 raters.
FLEISS_1971 = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


@pytest.mark.parametrize(
    "as_type", [list, np.array, pd.DataFrame], ids=["list", "array", "dataframe"]
)
def test_fleiss_1971_worked_example(as_type):
    # published: P̄ = 0.378, P̄_e = 0.213, κ = 0.210
    assert fleiss_kappa(as_type(FLEISS_1971)) == pytest.approx(0.210, abs=5e-4)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        # every item unanimous, two categories used: P̄ = 1, P̄_e = (6/9)² + (3/9)² = 5/9 -> 1
        ([[3, 0], [0, 3], [3, 0]], 1.0),
        # everybody always chose one category: P̄_e = 1, documented as 1.0
        ([[3, 0], [3, 0]], 1.0),
        # 2 raters: P = 1, 1, 0 -> P̄ = 2/3; p = (1/2, 1/2) -> P̄_e = 1/2; κ = (1/6)/(1/2) = 1/3
        ([[2, 0], [0, 2], [1, 1]], 1 / 3),
        # 2 raters always split: P̄ = 0, P̄_e = 1/2 -> κ = −1
        ([[1, 1], [1, 1]], -1.0),
    ],
    ids=["perfect", "single-category", "two-raters", "always-split"],
)
def test_fleiss_hand_computed(table, expected):
    assert fleiss_kappa(table) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("table", "match"),
    [
        (
            pd.DataFrame([[2, 1], [3, 0], [1, 1], [0, 3]], index=["L1", "L2", "L3", "L4"]),
            r"most rows sum to 3 but row\(s\) 'L3' \(sum 2\) differ",
        ),
        ([[2, 1], [4, 0]], r"row\(s\) at position \(from 0\) 1 \(sum 4\)"),
        ([[1, 0], [0, 1]], "at least 2 ratings per item"),
        ([[3, -1], [2, 0]], "whole numbers"),
        ([[1.5, 0.5], [2, 0]], "whole numbers"),
        ([[np.nan, 2], [2, 0]], "whole numbers"),
        ([2, 0], "2-D"),
        (np.empty((0, 2)), "2-D"),
    ],
    ids=[
        "unequal-rows-frame",
        "unequal-rows-array",
        "one-rater",
        "negative",
        "fractional",
        "nan",
        "1-d",
        "no-rows",
    ],
)
def test_fleiss_errors(table, match):
    with pytest.raises(ValueError, match=match):
        fleiss_kappa(table)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    rows=st.integers(1, 8).flatmap(
        lambda n: st.lists(
            st.lists(st.integers(0, 4), min_size=3, max_size=3), min_size=n, max_size=n
        )
    )
)
def test_fleiss_at_most_one_and_row_order_free(rows):
    # pad the last category so every row sums to 12 raters
    table = [[*row, 12 - sum(row)] for row in rows]
    kappa = fleiss_kappa(table)
    assert kappa <= 1.0 + 1e-12
    assert fleiss_kappa(table[::-1]) == pytest.approx(kappa)


# --- Long-form answers ----------------------------------------------------------------------

# Four participants, two sales (s1, s2) and two marketing (m1, m2); L5 answered by s1 and m1
# only, and m2's answer to L6 is missing (so L6 is answered by nobody but s1).
#
#   item  s1   s2   m1   m2
#   L1    yes  yes  yes  yes
#   L2    yes  yes  no   no
#   L3    no   no   no   yes
#   L4    no   yes  no   yes
#   L5    yes  -    no   -
#   L6    no   -    -    (missing)
GRID = {
    "L1": {"s1": "yes", "s2": "yes", "m1": "yes", "m2": "yes"},
    "L2": {"s1": "yes", "s2": "yes", "m1": "no", "m2": "no"},
    "L3": {"s1": "no", "s2": "no", "m1": "no", "m2": "yes"},
    "L4": {"s1": "no", "s2": "yes", "m1": "no", "m2": "yes"},
    "L5": {"s1": "yes", "m1": "no"},
    "L6": {"s1": "no", "m2": None},
}
GROUPS = {"s1": "sales", "s2": "sales", "m1": "marketing", "m2": "marketing", "x9": "sales"}


@pytest.fixture
def answers() -> pd.DataFrame:
    rows = [(i, p, a) for i, by in GRID.items() for p, a in by.items()]
    return pd.DataFrame(rows, columns=["item", "participant", "answer"])


def test_ratings_table_keeps_items_every_rater_answered(answers):
    before = answers.copy()
    expected = pd.DataFrame(
        {"no": [0, 2, 3, 2], "yes": [4, 2, 1, 2]},
        index=pd.Index(["L1", "L2", "L3", "L4"], name="item"),
    )
    expected.columns.name = "answer"
    assert_frame_equal(ratings_table(answers), expected)
    assert_frame_equal(answers, before)  # input not mutated


def test_ratings_table_custom_column_names(answers):
    renamed = answers.rename(columns={"item": "lead", "participant": "who", "answer": "mql"})
    table = ratings_table(renamed, item="lead", rater="who", answer="mql")
    assert table.index.name == "lead" and table.columns.name == "mql"
    assert table.to_dict("index")["L3"] == {"no": 3, "yes": 1}


@pytest.mark.parametrize(
    ("frame", "kwargs", "match"),
    [
        (
            pd.DataFrame({"item": ["L1"], "who": ["a"], "answer": ["y"]}),
            {},
            r"rater='participant'.*Pass the right names",
        ),
        (
            pd.DataFrame({"item": ["L1", "L1"], "participant": ["a", "a"], "answer": ["y", "n"]}),
            {},
            r"one row per participant × item.*'L1'/'a'",
        ),
        (
            pd.DataFrame({"item": ["L1", "L2"], "participant": ["a", "b"], "answer": ["y", "n"]}),
            {},
            "No item was rated by all 2 raters",
        ),
        (
            pd.DataFrame({"item": ["L1"], "participant": ["a"], "answer": [None]}),
            {},
            "no non-missing value in column 'answer'",
        ),
    ],
    ids=["missing-column", "duplicate-answer", "no-complete-item", "no-answers"],
)
def test_ratings_table_errors(frame, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ratings_table(frame, **kwargs)


def test_pairwise_cohen(answers):
    # Each pair on the items both answered, κ = (N·agree − S) / (N² − S), S = Σ_k a_k b_k:
    # m1,m2 (L1-L4): agree 2, m1 y1 n3, m2 y3 n1: S = 6 -> (8 − 6) / (16 − 6) = 0.2
    # m1,s1 (L1-L5): agree 3, m1 y1 n4, s1 y3 n2: S = 11 -> (15 − 11) / (25 − 11) = 2/7
    # m1,s2 (L1-L4): agree 2, m1 y1 n3, s2 y3 n1: S = 6 -> 0.2
    # m2,s1 (L1-L4): agree 1, m2 y3 n1, s1 y2 n2: S = 8 -> (4 − 8) / (16 − 8) = −0.5
    # m2,s2 (L1-L4): agree 2, m2 y3 n1, s2 y3 n1: S = 10 -> (8 − 10) / (16 − 10) = −1/3
    # s1,s2 (L1-L4): agree 3, s1 y2 n2, s2 y3 n1: S = 8 -> (12 − 8) / (16 − 8) = 0.5
    expected = pd.DataFrame(
        {
            "rater_a": ["m1", "m1", "m1", "m2", "m2", "s1"],
            "rater_b": ["m2", "s1", "s2", "s1", "s2", "s2"],
            "n_items": [4, 5, 4, 4, 4, 4],
            "kappa": [0.2, 2 / 7, 0.2, -0.5, -1 / 3, 0.5],
        }
    )
    assert_frame_equal(pairwise_cohen(answers), expected)


def test_mean_pairwise_cohen(answers):
    # (0.2 + 2/7 + 0.2 − 0.5 − 1/3 + 0.5) / 6 = (37/105) / 6 = 37/630
    assert mean_pairwise_cohen(answers) == pytest.approx(37 / 630)


def test_mean_pairwise_cohen_needs_two_raters():
    one = pd.DataFrame({"item": ["L1", "L2"], "participant": ["a", "a"], "answer": ["y", "n"]})
    with pytest.raises(ValueError, match="found 0 pair"):
        mean_pairwise_cohen(one)


def test_agreement_by_group(answers):
    # sales (s1, s2) on L1-L4: P_i = 1, 1, 1, 0 -> P̄ = 3/4; yes 5/8, no 3/8
    #   P̄_e = 25/64 + 9/64 = 17/32; κ = (24/32 − 17/32) / (15/32) = 7/15  (moderate)
    # marketing (m1, m2) on L1-L4: P_i = 1, 1, 0, 0 -> P̄ = 1/2; yes 4/8 -> P̄_e = 1/2; κ = 0
    # all (4 raters) on L1-L4: P_i = 1, 1/3, 1/2, 1/3 -> P̄ = 13/24; yes 9/16, no 7/16
    #   P̄_e = (81 + 49) / 256 = 65/128; κ = (208/384 − 195/384) / (189/384) = 13/189 (slight)
    # cross pairs only: m1,s1 2/7; m1,s2 0.2; m2,s1 −0.5; m2,s2 −1/3
    #   mean = (60 + 42 − 105 − 70) / 210 / 4 = −73/840 (poor); items shared: L1-L5
    expected = pd.DataFrame(
        {
            "group": ["sales", "marketing", "all", "sales×marketing"],
            "statistic": ["fleiss_kappa"] * 3 + ["mean_pairwise_cohen_kappa"],
            "n_raters": [2, 2, 4, 4],
            "n_items": [4, 4, 4, 5],
            "kappa": [7 / 15, 0.0, 13 / 189, -73 / 840],
            "interpretation": ["moderate", "slight", "slight", "poor"],
        }
    )
    assert_frame_equal(agreement_by_group(answers, GROUPS), expected)


def test_agreement_by_group_single_rater_group_is_nan(answers):
    groups = {"s1": "sales", "s2": "sales", "m1": "marketing", "m2": "ops"}
    result = agreement_by_group(answers, groups).set_index("group")
    assert list(result.index) == [
        "sales", "marketing", "ops", "all", "sales×marketing", "sales×ops", "marketing×ops",
    ]  # fmt: skip
    assert math.isnan(result.loc["marketing", "kappa"])
    assert result.loc["marketing", "interpretation"] == ""
    # marketing×ops is the single pair m1,m2: κ = 0.2 on L1-L4
    assert result.loc["marketing×ops", "kappa"] == pytest.approx(0.2)
    assert result.loc["marketing×ops", "n_items"] == 4


@pytest.mark.parametrize(
    ("groups", "match"),
    [
        ({"s1": "sales", "s2": "sales", "m1": "marketing"}, r"'m2'.*have no group"),
        ({"s1": "all", "s2": "all", "m1": "marketing", "m2": "marketing"}, 'named "all"'),
    ],
    ids=["ungrouped-rater", "group-named-all"],
)
def test_agreement_by_group_errors(answers, groups, match):
    with pytest.raises(ValueError, match=match):
        agreement_by_group(answers, groups)


def test_most_disputed(answers):
    # P_i = (Σ_j n_ij² − n_i) / (n_i (n_i − 1)); L6 has one rating left and is dropped.
    # L5: 1 no, 1 yes -> (2 − 2) / 2 = 0;  L2, L4: 2/2 -> (8 − 4) / 12 = 1/3 (tie: L2 first)
    # L3: 3 no, 1 yes -> (10 − 4) / 12 = 1/2;  L1: 4 yes -> 1
    expected = pd.DataFrame(
        {
            "no": [1, 2, 2, 3, 0],
            "yes": [1, 2, 2, 1, 4],
            "n_ratings": [2, 4, 4, 4, 4],
            "agreement": [0.0, 1 / 3, 1 / 3, 0.5, 1.0],
        },
        index=pd.Index(["L5", "L2", "L4", "L3", "L1"], name="item"),
    )
    # object, not string dtype: answers need not be strings; None marks a tie
    expected["majority"] = pd.Series(
        [None, None, None, "no", "yes"], index=expected.index, dtype="object"
    )
    assert_frame_equal(most_disputed(answers), expected)
    assert_frame_equal(most_disputed(answers, top=2), expected.iloc[:2])


@pytest.mark.parametrize("top", [0, -1, 2.5, True], ids=["zero", "negative", "float", "bool"])
def test_most_disputed_rejects_bad_top(answers, top):
    with pytest.raises(ValueError, match="top must be a positive whole number"):
        most_disputed(answers, top=top)


# --- Landis & Koch --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "expected"),
    [
        (-0.5, "poor"),
        (-0.01, "poor"),
        (0.0, "slight"),
        (0.2, "slight"),
        (0.21, "fair"),
        (0.4, "fair"),
        (0.41, "moderate"),
        (0.6, "moderate"),
        (0.61, "substantial"),
        (0.8, "substantial"),
        (0.81, "almost perfect"),
        (1.0, "almost perfect"),
    ],
    ids=lambda v: str(v),
)
def test_interpret_kappa(k, expected):
    assert interpret_kappa(k) == expected


@pytest.mark.parametrize("k", [math.nan, 1.2], ids=["nan", "above-one"])
def test_interpret_kappa_rejects(k):
    with pytest.raises(ValueError, match="at most 1"):
        interpret_kappa(k)
