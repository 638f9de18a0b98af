"""Talking-point rules on small literal inputs; every expected sentence written out by hand.

Issue 16: a change is a point only when both quarters rest on at least 30 observations
(``base``, ``base_previous``, ``base_year``), beyond ±500% it is written as its two figures, a
table that stopped early gives no base, an unfinished quarter is never compared with complete
ones, and an alignment index below its minimum of components never leads.
"""

from __future__ import annotations

import math
import shutil

import pandas as pd
import pytest
from conftest import PROJECT, TINY

import helpers.reports.talking_points as talking_points_module
from helpers import AlignmentIndex, Rate, Workbook
from helpers.errors import ParameterError
from helpers.reports.talking_points import (
    MIN_BASE,
    PAGE_ONE,
    SCORE_RULE,
    TalkingPoint,
    alignment_points,
    carries,
    channel_quality_points,
    evidence,
    feedback_points,
    figure,
    kpi_bases,
    kpi_change_points,
    outlier_team_points,
    pipeline_share_points,
    rank_points,
    ranked_talking_points,
    rejection_points,
    tables_cut_off,
    talking_points,
    target_points,
    untouched_points,
)

NAN = math.nan
ENOUGH = 100  # observations behind a figure, unless a test says otherwise


def _kpi(**row):
    base = {
        "metric": "x",
        "label": "X",
        "direction": "higher",
        "kind": "rate",
        "value": NAN,
        "previous": NAN,
        "change_previous": NAN,
        "p_previous": NAN,
        "significant_previous": False,
        "year": NAN,
        "change_year": NAN,
        "p_year": NAN,
        "significant_year": False,
        "target": NAN,
        "attainment": NAN,
        "rag": "none",
        "base": ENOUGH,
        "base_previous": ENOUGH,
        "base_year": ENOUGH,
    }
    return base | row


# --- figures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (0.84, "rate", "84.0%"),
        (0.6121, "rate", "61.2%"),
        (48.0, "hours", "48.0 h"),
        (1234567.4, "amount", "€1,234,567"),
        (212.0, "count", "212"),
        (NAN, "rate", "n/a"),
    ],
    ids=["rate", "rate-rounding", "hours", "amount", "count", "nan"],
)
def test_figure(value, kind, expected):
    assert figure(value, kind, "EUR") == expected


# --- significant and large changes -----------------------------------------------------------


def test_significant_rate_change_vs_previous_quarter_fires():
    kpis = pd.DataFrame(
        [
            _kpi(
                label="SLA compliance",
                value=0.612,
                previous=0.84,
                p_previous=0.003,
                significant_previous=True,
                year=0.62,
                p_year=0.8,
            )
        ]
    )
    assert kpi_change_points(kpis, previous_label="2026Q2", year_label="2025Q3") == [
        "SLA compliance fell from 84.0% in 2026Q2 to 61.2% (significant, p=0.003)."
    ]


def test_significant_change_vs_year_ago_with_tiny_p_value_fires():
    kpis = pd.DataFrame(
        [_kpi(label="Win rate", value=0.4, year=0.25, p_year=0.0004, significant_year=True)]
    )
    assert kpi_change_points(kpis) == [
        "Win rate rose from 25.0% in Q−4 to 40.0% (significant, p<0.001)."
    ]


def test_rate_change_that_is_not_significant_does_not_fire():
    kpis = pd.DataFrame(
        [_kpi(label="SLA compliance", value=0.5, previous=0.9, p_previous=0.07, year=NAN)]
    )
    assert kpi_change_points(kpis) == []


def test_large_amount_and_hours_changes_fire_with_direction():
    kpis = pd.DataFrame(
        [
            _kpi(label="Won revenue", kind="amount", value=600.0, previous=1000.0, year=550.0),
            _kpi(
                label="Speed to lead",
                kind="hours",
                direction="lower",
                value=6.0,
                previous=4.0,
                year=6.0,
            ),
        ]
    )
    # Won revenue: (600 − 1000) / 1000 = −40%; vs year ago +9.1%: below the 20% threshold.
    # Speed: (6 − 4) / 4 = +50%, worse because lower is better; unchanged vs year ago.
    assert kpi_change_points(kpis, currency="EUR") == [
        "Won revenue fell 40.0% against Q−1, from €1,000 to €600 (worse: higher is better).",
        "Speed to lead rose 50.0% against Q−1, from 4.0 h to 6.0 h (worse: lower is better).",
    ]


def test_the_minimum_base_is_the_small_sample_threshold():
    assert MIN_BASE == 30
    assert carries(30, 30) and not carries(29, 400) and not carries(400, 29)
    assert not carries(400, NAN) and not carries(None, 400)


def test_a_change_needs_the_minimum_base_on_both_sides():
    kpis = pd.DataFrame(
        [
            # MQLs: the base is the count itself. 29 → 80 has too few before; 30 → 80 fires:
            # (80 − 30) / 30 = 166.7%.
            _kpi(label="MQLs", kind="count", value=80.0, previous=29.0, base=80, base_previous=29),
            _kpi(
                label="MQLs again",
                kind="count",
                value=80.0,
                previous=30.0,
                base=80,
                base_previous=30,
            ),
            # Won revenue from 4 deals to 40: the earlier side cannot carry it.
            _kpi(
                label="Won revenue",
                kind="amount",
                value=9000.0,
                previous=4000.0,
                base=40,
                base_previous=4,
            ),
            # A significant rate change, but now on 12 MQLs only.
            _kpi(
                label="SLA compliance",
                value=0.25,
                previous=0.8,
                p_previous=0.001,
                significant_previous=True,
                base=12,
                base_previous=200,
            ),
            # No base at all for Q−1 (its table had ended): never a point, even at −100%.
            _kpi(label="Pipeline", kind="amount", value=0.0, previous=5000.0, base_previous=NAN),
        ]
    )
    assert kpi_change_points(kpis, currency="EUR") == [
        "MQLs again rose 166.7% against Q−1, from 30 to 80 (better: higher is better)."
    ]


def test_a_change_beyond_500_percent_is_written_as_its_two_figures():
    kpis = pd.DataFrame(
        [
            # (2655 − 40) / 40 = 6537.5%: written as the two figures.
            _kpi(label="MQLs", kind="count", value=2655.0, previous=40.0),
            # (240 − 40) / 40 = 500% exactly: still a percentage.
            _kpi(label="SQLs", kind="count", value=240.0, previous=40.0),
            # Amounts the same way: €1,000 → €7,000 is +600%.
            _kpi(label="Won revenue", kind="amount", value=7000.0, previous=1000.0),
        ]
    )
    assert kpi_change_points(kpis, currency="EUR", previous_label="2026Q2") == [
        "MQLs rose from 40 to 2,655 against 2026Q2 (better: higher is better).",
        "SQLs rose 500.0% against 2026Q2, from 40 to 240 (better: higher is better).",
        "Won revenue rose from €1,000 to €7,000 against 2026Q2 (better: higher is better).",
    ]


def test_small_change_or_zero_base_does_not_fire():
    kpis = pd.DataFrame(
        [
            _kpi(label="MQLs", kind="count", value=110.0, previous=100.0),  # +10%
            _kpi(label="Pipeline", kind="amount", value=500.0, previous=0.0),  # no base
        ]
    )
    assert kpi_change_points(kpis) == []


# --- targets -------------------------------------------------------------------------------


def test_red_and_amber_against_target_fire_red_first():
    kpis = pd.DataFrame(
        [
            _kpi(
                label="CAC",
                kind="amount",
                direction="lower",
                value=5000.0,
                target=4600.0,
                attainment=0.92,
                rag="amber",
            ),
            _kpi(label="SLA compliance", value=0.5, target=0.85, attainment=0.5 / 0.85, rag="red"),
            _kpi(label="Win rate", value=0.4, target=0.3, attainment=4 / 3, rag="green"),
        ]
    )
    assert target_points(kpis, currency="EUR") == [
        "Red against target: SLA compliance 50.0% vs a target of 85.0% (attainment 59%).",
        "Amber against target: CAC €5,000 vs a target of €4,600 (attainment 92%; lower is better).",
    ]


def test_an_unfinished_quarter_says_so_far_and_drops_volumes_against_target():
    kpis = pd.DataFrame(
        [
            _kpi(label="MQLs", kind="count", value=40.0, target=100.0, attainment=0.4, rag="red"),
            _kpi(label="SLA compliance", value=0.5, target=0.85, attainment=0.5 / 0.85, rag="red"),
            _kpi(
                label="Pipeline created",
                kind="amount",
                value=900.0,
                target=1000.0,
                attainment=0.9,
                rag="amber",
            ),
        ]
    )
    so_far = "so far (quarter not complete at 15 Aug 2026)"
    assert target_points(kpis, currency="EUR", so_far=so_far) == [
        "Red against target so far (quarter not complete at 15 Aug 2026): SLA compliance "
        "50.0% vs a target of 85.0% (attainment 59%)."
    ]


def test_green_or_no_target_does_not_fire():
    kpis = pd.DataFrame(
        [
            _kpi(label="Win rate", value=0.4, target=0.3, attainment=4 / 3, rag="green"),
            _kpi(label="MQLs", kind="count", value=10.0),
        ]
    )
    assert target_points(kpis) == []


# --- untouched MQLs ------------------------------------------------------------------------

WAITING = pd.DataFrame(
    {"age_band": ["0–8 h", "8–24 h", "24–48 h", "48–120 h", "> 120 h"], "mqls": [5, 4, 3, 200, 12]}
)


def test_untouched_mqls_fire_with_both_counts():
    assert untouched_points(WAITING, 63) == [
        "212 MQLs still waited for a first touch at quarter end after more than 48 business "
        "hours; 63 MQLs of the quarter passed the SLA without a touch."
    ]


def test_untouched_threshold_and_singular():
    waiting = WAITING.assign(mqls=[5, 4, 3, 0, 1])
    assert untouched_points(waiting, 0, over_hours=120) == [
        "1 MQL still waited for a first touch at quarter end after more than 120 business hours."
    ]


def test_untouched_mqls_do_not_fire_when_none_waited_long():
    waiting = WAITING.assign(mqls=[5, 4, 3, 0, 0])
    assert untouched_points(waiting, 0) == []
    assert untouched_points(waiting) == []


def test_untouched_mqls_of_an_unfinished_quarter_are_counted_on_the_as_of_date():
    assert untouched_points(WAITING, 0, when="on 15 Aug 2026 (quarter not complete)") == [
        "212 MQLs still waited for a first touch on 15 Aug 2026 (quarter not complete) after "
        "more than 48 business hours."
    ]


def test_untouched_threshold_must_be_a_band_boundary():
    with pytest.raises(ParameterError, match="over_hours is 30"):
        untouched_points(WAITING, over_hours=30)


# --- rejection reasons ---------------------------------------------------------------------


def test_top_rejection_reason_fires_when_it_dominates():
    reasons = pd.DataFrame({"reason": ["no budget", "wrong persona"], "count": [9, 3]})
    # 9 of 12 rejections = 75.0%
    assert rejection_points(reasons) == [
        "“no budget” was the top rejection reason: 9 of 12 rejected MQLs (75.0%); agree "
        "with marketing how to screen it out."
    ]


@pytest.mark.parametrize(
    "counts",
    [[2, 1], [3, 3, 3, 3, 3]],  # too few rejections (3 < 5); top share 20% < 25%
    ids=["few", "spread"],
)
def test_top_rejection_reason_does_not_fire(counts):
    reasons = pd.DataFrame({"reason": [f"r{i}" for i in range(len(counts))], "count": counts})
    assert rejection_points(reasons) == []
    assert rejection_points(reasons.iloc[:0]) == []


# --- marketing-sourced pipeline ------------------------------------------------------------

PIPELINE = pd.DataFrame(
    {"source_type": ["marketing", "sales", "partner", "total"], "amount": [600.0, 300, 100, 1000]}
)


def test_pipeline_share_against_target():
    assert pipeline_share_points(PIPELINE, 0.7, currency="EUR") == [
        "Marketing sourced 60.0% of the pipeline created (€600 of €1,000), below its "
        "target of 70.0%."
    ]
    assert pipeline_share_points(PIPELINE, 0.6) == [
        "Marketing sourced 60.0% of the pipeline created (600 of 1,000), at or above its "
        "target of 60.0%."
    ]
    assert pipeline_share_points(PIPELINE) == [
        "Marketing sourced 60.0% of the pipeline created (600 of 1,000)."
    ]


def test_pipeline_share_without_pipeline_does_not_fire():
    assert pipeline_share_points(PIPELINE.assign(amount=0.0), 0.5) == []


# --- alignment index -----------------------------------------------------------------------


def _index(value, scores, weights):
    table = pd.DataFrame(
        {
            "component": ["sla_compliance", "mql_acceptance"],
            "label": ["SLA compliance", "MQL acceptance"],
            "score": scores,
            "weight": weights,
        }
    )
    return AlignmentIndex(value, table)


def test_alignment_index_names_the_component_that_loses_most():
    # SLA: 100 × 0.5 × (1 − 0.8) = 10 points; acceptance: 100 × 0.5 × (1 − 0.4) = 30 points.
    index = _index(60.0, [0.8, 0.4], [0.5, 0.5])
    assert alignment_points(index) == [
        "The alignment index is 60.0/100; MQL acceptance costs it the most: a score of "
        "40.0% at a weight of 50.0% loses 30.0 points."
    ]


def test_alignment_index_perfect_or_nan_does_not_fire():
    assert alignment_points(_index(100.0, [1.0, 1.0], [0.5, 0.5])) == []
    assert alignment_points(_index(NAN, [NAN, NAN], [NAN, NAN])) == []


# --- feedback ------------------------------------------------------------------------------


def test_thin_feedback_fires():
    summary = {"coverage": Rate(30, 120), "mean_rating": 3.75, "ratings": 32}
    assert feedback_points(summary) == [
        "Sales gave feedback on 25.0% of the MQLs (30 of 120), mean rating 3.8 of 5 over "
        "32 ratings."
    ]


def test_poor_rating_fires_even_with_good_coverage():
    summary = {"coverage": Rate(90, 100), "mean_rating": 2.5, "ratings": 95}
    assert feedback_points(summary) == [
        "Sales gave feedback on 90.0% of the MQLs (90 of 100), mean rating 2.5 of 5 over "
        "95 ratings."
    ]


def test_good_feedback_or_no_table_does_not_fire():
    assert feedback_points({"coverage": Rate(60, 100), "mean_rating": 3.5, "ratings": 70}) == []
    assert feedback_points(None) == []


# --- the adapter on the hand-computed fixture --------------------------------------------------


def test_talking_points_on_tiny_north():
    # north 2026Q3 vs 2026Q2 (tests/test_comparison.py): MQLs 1 → 4 and speed to lead 1 h →
    # 5 h are changes on 1 and 4 observations, far below 30 (and tiny's lead export counts as
    # cut off for 2026Q3, see test_the_bases_of_tiny_north): no change point. L3 waits
    # untouched from Thu 2 Jul 10:00 to quarter end (far more than 120 business hours) and
    # passed its 8 h SLA; 1 rejection only; marketing pipeline 1000 of 1500. Alignment
    # components (tests/test_workbook_view.py): 4 of 5 (no feedback table), at least the 3
    # needed; SLA 0.5 at weight 0.25/0.85 loses 100 × 0.2941 × 0.5 = 14.7 points, the most.
    view = Workbook.load(TINY).view("north", "2026Q3")
    assert talking_points(view) == [
        "The alignment index is 56.9/100; SLA compliance costs it the most: a score of 50.0% "
        "at a weight of 29.4% loses 14.7 points.",
        "1 MQL still waited for a first touch at quarter end after more than 48 business "
        "hours; 1 MQL of the quarter passed the SLA without a touch.",
        "Marketing sourced 66.7% of the pipeline created (€1,000 of €1,500).",
    ]


def test_the_bases_of_tiny_north():
    # north 2026Q3 (tests/test_targets_and_rag.py): O1 (1,000) and O2 (500) created with an
    # amount, O1 won, O1 and O2 closed; no spend table, so no CAC base. tiny's leads and
    # events end on Mon 3 Aug while deals go on to Tue 15 Sep, more than a month later: for
    # 2026Q3 the lead export counts as cut off, so no lead-side base (NaN, never 0).
    view = Workbook.load(TINY).view("north", "2026Q3")
    assert tables_cut_off(view) == frozenset({"leads", "lead_events"})
    bases = kpi_bases(view)
    assert {m: b for m, b in bases.items() if not math.isnan(b)} == {
        "pipeline_created": 2,
        "won_revenue": 1,
        "won_deals": 1,
        "win_rate": 2,
        "bookings_growth": 1,  # O1, won with an amount
    }
    # 2026Q2 ends 30 Jun, before the lead export does: L5 is its 1 MQL, touched after 1 h,
    # past its SLA window, rejected; no deal created or closed.
    q2 = Workbook.load(TINY).view("north", "2026Q2")
    assert tables_cut_off(q2) == frozenset()
    without_tables = ("cac", "customer_retention", "marketing_roi")  # no spend, no revenue
    assert {m: b for m, b in kpi_bases(q2).items() if m not in without_tables} == {
        "mqls": 1,
        "sla_compliance": 1,
        "speed_to_lead_hours": 1,
        "mql_acceptance": 1,
        "mql_to_sql": 1,
        "pipeline_created": 0,
        "won_revenue": 0,
        "won_deals": 0,
        "win_rate": 0,
        "lead_to_customer": 1,  # L5, created 10 Apr
        "bookings_growth": 0,  # no deal won in 2026Q2
    }
    assert all(math.isnan(kpi_bases(q2)[m]) for m in without_tables)


TARGETS = "team,quarter,metric,target\nnorth,2026Q3,sla_compliance,0.9\nnorth,2026Q3,mqls,10\n"


def _tiny_copy(tmp_path, toml_extra: str = "", targets: str = TARGETS):
    data = tmp_path / "tiny"
    shutil.copytree(TINY, data)
    (data / "targets.csv").write_text(targets)
    if toml_extra:
        toml = data / "workbook.toml"
        toml.write_text(toml.read_text() + toml_extra)
    return data


def test_an_unfinished_quarter_is_not_compared_with_complete_ones(tmp_path):
    # tests/data/tiny with as_of 15 Aug 2026: 2026Q3 (to 30 Sep) is not complete. north's SLA
    # compliance is 2 of 4 either way (L1 2 h and L5 5 h in their 8 h SLA, L2 16 h late, L3
    # never touched and long overdue): 0.5 against 0.9 = attainment 56%, red, said "so far".
    # MQLs 4 against 10 is a part of a quarter against a whole quarter's target: left out.
    # L3 still waits on 15 Aug (more than 120 business hours after Thu 2 Jul 10:00).
    # An export taken on 15 Aug holds nothing dated later (the data refuse it): O2 and O3,
    # closed in September in tiny, are still open then.
    data = _tiny_copy(tmp_path)
    toml = data / "workbook.toml"
    toml.write_text(toml.read_text().replace('as_of = "2026-10-01"', 'as_of = "2026-08-15"'))
    opps = data / "opportunities.csv"
    opps.write_text(
        opps.read_text()
        .replace("lost,500,2026-09-01T10:00:00,L4,A2,sales,price", "open,500,,L4,A2,sales,")
        .replace("won,2000,2026-09-15T10:00:00,", "open,2000,,")
    )
    view = Workbook.load(data).view("north", "2026Q3")
    assert view.complete is False
    points = talking_points(view)
    assert points[1:3] == [
        "Red against target so far (quarter not complete at 15 Aug 2026): SLA compliance "
        "50.0% vs a target of 90.0% (attainment 56%).",
        "1 MQL still waited for a first touch on 15 Aug 2026 (quarter not complete) after "
        "more than 48 business hours; 1 MQL of the quarter passed the SLA without a touch.",
    ]
    assert not any("against 2026Q2" in p or "against 2025Q3" in p for p in points)
    assert not any(p.startswith("Red against target: MQLs") for p in points)


def test_a_complete_quarter_keeps_its_volumes_against_target(tmp_path):
    # The same targets with the as-of date of tests/data/tiny (1 Oct 2026): MQLs 4 of 10 =
    # attainment 40%, SLA compliance 0.5 of 0.9 = 56%; both red, in table order.
    view = Workbook.load(_tiny_copy(tmp_path)).view("north", "2026Q3")
    assert view.complete is True
    assert talking_points(view)[1:3] == [
        "Red against target: MQLs 4 vs a target of 10 (attainment 40%).",
        "Red against target: SLA compliance 50.0% vs a target of 90.0% (attainment 56%).",
    ]


def test_an_index_below_its_minimum_of_components_never_leads(tmp_path):
    # north 2026Q3 has 4 of the 5 components (no feedback table); asking for all 5 makes the
    # index n/a, and the points start with the first red KPI instead.
    data = _tiny_copy(tmp_path, "\n[alignment]\nmin_components = 5\n")
    view = Workbook.load(data).view("north", "2026Q3")
    assert view.alignment_index().na_reason == (
        "4 of 5 components in this data; the index needs at least 5"
    )
    points = talking_points(view)
    assert points[0] == "Red against target: MQLs 4 vs a target of 10 (attainment 40%)."
    assert not any("alignment index" in p for p in points)


# --- ranking (hand-made cases) ------------------------------------------------------------


def test_score_is_the_documented_formula():
    # 1 + 3 × 0.5 + 2 × 1 + 2 × 0.25 = 5.0; parts are clipped to [0, 1]; weight multiplies.
    assert TalkingPoint("x", gap=0.5, significance=1.0, money=0.25).score == 5.0
    assert TalkingPoint("x", gap=7.0, money=-3.0).score == 4.0
    assert TalkingPoint("x", gap=1.0, weight=0.5).score == 2.0
    assert TalkingPoint("x").score == 1.0
    assert "score = weight × (1 + 3 × gap + 2 × significance + 2 × money)" in (
        talking_points_module.__doc__
    )
    assert "1 + 3 × gap + 2 × significance + 2 × money" in SCORE_RULE


@pytest.mark.parametrize(
    ("p_value", "expected"),
    [(0.001, 1.0), (0.01, 2 / 3), (0.1, 1 / 3), (1.0, 0.0), (1e-9, 1.0), (math.nan, 0.0)],
    ids=["p=0.001", "p=0.01", "p=0.1", "p=1", "tiny", "none"],
)
def test_evidence_scales_minus_log10_p_over_3(p_value, expected):
    assert evidence(p_value) == pytest.approx(expected)


def test_rank_puts_the_highest_score_first_and_keeps_ties_in_rule_order():
    a = TalkingPoint("a", gap=0.2)  # 1.6
    b = TalkingPoint("b", significance=1.0)  # 3.0
    c = TalkingPoint("c", gap=0.2)  # 1.6, tie with a
    d = TalkingPoint("d", money=1.0, gap=1.0)  # 6.0
    assert rank_points([a, b, c, d, "plain"]) == ["d", "b", "a", "c", "plain"]


def _change_row(metric, kind, value, previous, year, direction="higher"):
    return {
        "metric": metric,
        "label": metric,
        "direction": direction,
        "kind": kind,
        "value": value,
        "previous": previous,
        "year": year,
        "significant_previous": False,
        "significant_year": False,
        "p_previous": math.nan,
        "p_year": math.nan,
        "base": 100,
        "base_previous": 100,
        "base_year": 100,
    }


def test_a_seasonal_drop_against_q1_ranks_below_the_same_drop_against_q4():
    # Won revenue 600 now, 1,000 in Q−1 and in Q−4: both fall 40%. Money: 400 of a
    # reference of 800 = 0.5. Q−4: 1 + 3 × 0.4 + 2 × 0.5 = 3.2; Q−1 counts half: 1.6.
    kpis = pd.DataFrame([_change_row("won_revenue", "amount", 600.0, 1000.0, 1000.0)])
    points = kpi_change_points(kpis, currency="EUR", reference=800.0)
    assert [p.score for p in points] == pytest.approx([1.6, 3.2])
    ranked = rank_points(points)
    assert ranked[0].startswith("won_revenue fell 40.0% against Q−4")
    # A rate's change is not seasonal: weight 1 against Q−1 too.
    rate = _change_row("sla_compliance", "rate", 0.5, 0.8, math.nan)
    rate |= {"significant_previous": True, "p_previous": 0.001}
    (point,) = kpi_change_points(pd.DataFrame([rate]))
    # gap |0.5 − 0.8| / 0.8 = 0.375; significance 1: 1 + 1.125 + 2 = 4.125.
    assert point.weight == 1.0 and point.score == pytest.approx(4.125)


def test_target_points_score_the_shortfall_and_the_money():
    # Won revenue 100 against 200: attainment 0.5, gap 0.5; money 100 of 400 = 0.25:
    # 1 + 1.5 + 0.5 = 3.0. MQL→SQL 60% of target: gap 0.4, no money: 2.2.
    kpis = pd.DataFrame(
        [
            {"metric": "mql_to_sql", "label": "MQL → SQL", "direction": "higher",
             "kind": "rate", "value": 0.18, "target": 0.3, "attainment": 0.6, "rag": "red"},
            {"metric": "won_revenue", "label": "Won revenue", "direction": "higher",
             "kind": "amount", "value": 100.0, "target": 200.0, "attainment": 0.5, "rag": "red"},
        ]
    )  # fmt: skip
    points = target_points(kpis, currency="EUR", reference=400.0)
    assert [p.score for p in points] == pytest.approx([2.2, 3.0])
    assert rank_points(points)[0].startswith("Red against target: Won revenue €100")


def _teams(values, *, kind="rate", direction="higher", n=100):
    return pd.DataFrame(
        [
            {"team": team, "metric": "sla_compliance", "label": "SLA compliance",
             "direction": direction, "kind": kind, "value": value,
             "numerator": round(value * n), "denominator": n}
            for team, value in values.items()
        ]
    )  # fmt: skip


def test_the_outlier_team_is_named_with_the_median_of_the_others():
    # Others of E: 0.90, 0.92, 0.88, 0.91 → median 0.905, deviations 0.005, 0.015, 0.025,
    # 0.005 → MAD 0.01; z = (0.30 − 0.905) / 0.014826 = −40.8, on the worse side, and 30/100
    # against 360/400 is significant. For C (0.88) the others' MAD is 0.01 too: z = −1.7.
    long = _teams({"a": 0.90, "b": 0.92, "c": 0.88, "d": 0.91, "e": 0.30})
    (point,) = outlier_team_points(long, {"e": "Team E"})
    assert point == (
        "Team E stands out from the other 4 teams: SLA compliance 30.0% against a median "
        "of 90.5% for the other teams."
    )
    # gap 0.605 / 0.905 = 0.6685, significance 1: 1 + 2.0055 + 2 = 5.0055.
    assert point.score == pytest.approx(1 + 3 * 0.605 / 0.905 + 2)


def test_an_outlier_on_the_better_side_or_among_few_teams_is_no_point():
    assert (
        outlier_team_points(_teams({"a": 0.90, "b": 0.92, "c": 0.88, "d": 0.91, "e": 0.99})) == []
    )
    assert outlier_team_points(_teams({"a": 0.90, "b": 0.92, "e": 0.30})) == []
    # Hours, lower is better: 25 h against 4, 4.2, 3.8, 4.1 (median 4.05, MAD 0.1) is out.
    hours = _teams(
        {"a": 4.0, "b": 4.2, "c": 3.8, "d": 4.1, "e": 25.0}, kind="hours", direction="lower"
    )
    (point,) = outlier_team_points(hours)
    assert point.startswith("e stands out from the other 4 teams: SLA compliance 25.0 h")


def test_the_low_quality_channel_is_named_against_the_other_channels():
    # A: 30 of 60 accepted (50%) against the others' 135 of 150 (90%): z = −6.4, p < 0.001;
    # gap (0.9 − 0.5) / 0.9 = 0.444; spend 200 of won revenue 1,000: money 0.2.
    channels = pd.DataFrame(
        {
            "channel": ["A", "B", "C"],
            "leads": [100, 50, 50],
            "accepted": [30, 90, 45],
            "decided": [60, 100, 50],
            "spend": [200.0, 50.0, math.nan],
        }
    )
    (point,) = channel_quality_points(channels, reference=1000.0)
    assert point == (
        "A brought 50.0% of the quarter's leads (100 of 200), but sales accepted only 50.0% "
        "of its MQLs (30 of 60) against 90.0% for the other channels (p<0.001); review its "
        "targeting together."
    )
    assert point.score == pytest.approx(1 + 3 * 0.4 / 0.9 + 2 + 2 * 0.2)
    # Below MIN_BASE decisions a channel is not judged.
    few = channels.assign(decided=[20, 100, 50], accepted=[10, 90, 45])
    assert channel_quality_points(few) == []


def test_the_company_report_names_the_sample_outlier_team_and_channel_on_page_one():
    # The sample's planted effects (data/sample/README.md): na-smb follows up slowly and
    # paid_social brings many low-quality leads. Both must be among the first five.
    from helpers.analysis import comparison

    workbook = Workbook.load(PROJECT / "data" / "sample")
    view = workbook.view("all", "2026Q3")
    long, ranking = comparison.team_comparison(workbook, view.quarter)
    names = dict(zip(ranking["team"], ranking["name"], strict=True))
    top = ranked_talking_points(view, teams_long=long, names=names)[:PAGE_ONE]
    assert any(p.startswith("North America SMB stands out") for p in top)
    assert any(p.startswith("paid_social brought") for p in top)


def test_a_change_for_the_better_ranks_below_the_same_change_for_the_worse():
    # MQLs 150 against 100 in Q−1 and in Q−4 (higher is better): gap 0.5, no money;
    # 1 + 1.5 = 2.5, halved for the better (Q−4: 1.25) and again for Q−1 (0.625).
    # Speed to lead 15 h against 10 h (lower is better, hours are not seasonal): worse, 2.5.
    kpis = pd.DataFrame(
        [
            _change_row("mqls", "count", 150.0, 100.0, 100.0),
            _change_row("speed_to_lead_hours", "hours", 15.0, 10.0, math.nan, "lower"),
        ]
    )
    points = kpi_change_points(kpis)
    assert [p.score for p in points] == pytest.approx([0.625, 1.25, 2.5])
    assert rank_points(points)[0].startswith("speed_to_lead_hours rose 50.0% against Q−1")
