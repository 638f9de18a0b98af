"""Multi-touch attribution: every expected amount worked out by hand in the comments.

Most cases are one opportunity of 1000 created at OPP_AT on lead L1, whose touches sit a whole
number of days before it, each on its own channel (A, B, C, ...) so that a channel's amount
is that touch's weight × 1000.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.display.html import money
from helpers.errors import ParameterError
from helpers.metrics.attribution import (
    MODELS,
    NO_LEAD,
    AttributionResult,
    attribute,
    attribute_all,
    touch_weights,
)

OPP_AT = pd.Timestamp("2026-07-31 12:00")
DAY = pd.Timedelta(days=1)


def _opps(*rows) -> pd.DataFrame:
    """Rows of (opportunity_id, lead_id, amount, created_at)."""
    return pd.DataFrame(
        {
            "opportunity_id": [r[0] for r in rows],
            "team": "north",
            "created_at": pd.to_datetime([r[3] for r in rows]),
            "status": "open",
            "amount": [float(r[2]) for r in rows],
            "lead_id": pd.Series([r[1] for r in rows], dtype=object),
            "source_type": "marketing",
        }
    )


def _touches(*rows) -> pd.DataFrame:
    """Rows of (lead_id, at, channel); campaign_id is ``c-<channel>``."""
    return pd.DataFrame(
        {
            "lead_id": [r[0] for r in rows],
            "at": pd.to_datetime([r[1] for r in rows]),
            "campaign_id": [f"c-{r[2]}" for r in rows],
            "channel": [r[2] for r in rows],
        }
    )


def _leads(*rows) -> pd.DataFrame:
    """Rows of (lead_id, created_at, channel, campaign_id)."""
    return pd.DataFrame(
        {
            "lead_id": [r[0] for r in rows],
            "created_at": pd.to_datetime([r[1] for r in rows]),
            "team": "north",
            "channel": [r[2] for r in rows],
            "source_type": "marketing",
            "campaign_id": pd.Series([r[3] for r in rows], dtype=object),
        }
    )


def _one_opp(days_before: list[float], lead_created_days_before: float = 30):
    """One 1000 opportunity on L1; touch k (channel A, B, ...) ``days_before[k]`` days earlier."""
    channels = "ABCDEFGH"
    touches = _touches(*[("L1", OPP_AT - d * DAY, channels[k]) for k, d in enumerate(days_before)])
    leads = _leads(("L1", OPP_AT - lead_created_days_before * DAY, "web", "c-web"))
    return _opps(("O1", "L1", 1000, OPP_AT)), touches, leads


def _amounts(result: AttributionResult) -> dict:
    return result.table.set_index(result.by)["amount"].to_dict()


# Three touches A, B, C 14, 7 and 0 days before the opportunity; the lead was created with A.
THREE = {
    "first_touch": {"A": 1000},
    "last_touch": {"C": 1000},
    "linear": {"A": 1000 / 3, "B": 1000 / 3, "C": 1000 / 3},
    # 40 % first, 20 % over the one middle touch, 40 % last.
    "u_shaped": {"A": 400, "B": 200, "C": 400},
    # A is first and lead-creation touch (0.3 + 0.3), C the opportunity-creation touch (0.3),
    # B the only remaining touch (0.1).
    "w_shaped": {"A": 600, "B": 100, "C": 300},
    # half-life 7: weights 2^(-14/7) = 0.25, 2^(-7/7) = 0.5, 2^0 = 1; sum 1.75;
    # 1000 × 0.25 / 1.75 = 142.86, 1000 × 0.5 / 1.75 = 285.71, 1000 / 1.75 = 571.43.
    "time_decay": {"A": 142.8571, "B": 285.7143, "C": 571.4286},
}


@pytest.mark.parametrize("model", MODELS, ids=MODELS)
def test_three_touches_by_model(model):
    opps, touches, leads = _one_opp([14, 7, 0], lead_created_days_before=14)
    result = attribute(opps, touches, leads, model=model)
    assert _amounts(result) == pytest.approx(THREE[model], abs=1e-4)
    assert result.model == model
    assert result.attributed_total == 1000
    assert result.fallback_amount == 0
    assert result.fallback_opportunities == 0


def test_table_layout_and_share():
    opps, touches, leads = _one_opp([14, 7, 0], lead_created_days_before=14)
    table = attribute(opps, touches, leads, model="u_shaped").to_frame()
    # Largest amount first; ties (A and C, 400 each) by name.
    expected = pd.DataFrame(
        {
            "channel": ["A", "C", "B"],
            "amount": [400.0, 400.0, 200.0],
            "share": [0.4, 0.4, 0.2],
            "opportunities": [0.4, 0.4, 0.2],
        }
    )
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


@pytest.mark.parametrize(
    ("days_before", "expected"),
    [
        ([3], {"A": 1000}),  # one touch takes it all
        ([9, 3], {"A": 500, "B": 500}),  # two touches: 50/50
        # four touches: 400 first, 400 last, 200 / 2 = 100 to each of the two in the middle
        ([9, 7, 5, 3], {"A": 400, "B": 100, "C": 100, "D": 400}),
    ],
    ids=["one", "two", "four"],
)
def test_u_shaped_small_journeys(days_before, expected):
    result = attribute(*_one_opp(days_before), model="u_shaped")
    assert _amounts(result) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("days_before", "lead_created", "expected"),
    [
        # Lead created 7 days before: the closest touch at or before that is B (8 days).
        # Roles A, B, E get 300 each; C and D share the 100 → 50 each.
        ([10, 8, 6, 4, 2], 7, {"A": 300, "B": 300, "C": 50, "D": 50, "E": 300}),
        # Lead created before every touch: the lead-creation touch is the first, A = 600;
        # E 300; B, C, D share 100 → 33.33 each.
        ([10, 8, 6, 4, 2], 20, {"A": 600, "B": 100 / 3, "C": 100 / 3, "D": 100 / 3, "E": 300}),
        # Lead created after the last touch: C is lead-creation and last touch (600),
        # A first (300), B the rest (100).
        ([10, 8, 6], 1, {"A": 300, "B": 100, "C": 600}),
        # Three touches, three distinct roles, nothing left: the 100 goes evenly to the
        # three role touches → 300 + 33.33 each.
        ([10, 8, 6], 8, {"A": 1000 / 3, "B": 1000 / 3, "C": 1000 / 3}),
        # Two touches, A first and lead-creation (600), B last (300); nothing left: the 100
        # goes evenly to the two distinct role touches → A 650, B 350.
        ([10, 6], 20, {"A": 650, "B": 350}),
        # One touch holds every role: 1000.
        ([4], 20, {"A": 1000}),
    ],
    ids=[
        "lead-touch-in-middle",
        "lead-before-touches",
        "lead-after-touches",
        "three",
        "two",
        "one",
    ],
)
def test_w_shaped_roles(days_before, lead_created, expected):
    opps, touches, leads = _one_opp(days_before, lead_created_days_before=lead_created)
    result = attribute(opps, touches, leads, model="w_shaped")
    assert _amounts(result) == pytest.approx(expected)


def test_w_shaped_lead_touch_at_lead_creation_counts_as_at_or_before():
    # Lead created exactly at B's time: B is the lead-creation touch.
    # A 300, B 300, D 300, C the rest 100.
    opps, touches, leads = _one_opp([10, 8, 6, 4], lead_created_days_before=8)
    result = attribute(opps, touches, leads, model="w_shaped")
    assert _amounts(result) == pytest.approx({"A": 300, "B": 300, "C": 100, "D": 300})


def test_time_decay_half_life_is_a_parameter():
    # half-life 14: weights 2^(-14/14) = 0.5, 2^(-7/14) = 0.70711, 1; sum 2.20711;
    # 1000 × 0.5 / 2.20711 = 226.54, 707.11 / 2.20711 = 320.38, 1000 / 2.20711 = 453.08.
    result = attribute(*_one_opp([14, 7, 0]), model="time_decay", half_life_days=14)
    assert _amounts(result) == pytest.approx({"A": 226.5409, "B": 320.3772, "C": 453.0818})


def test_time_decay_of_very_old_touches_does_not_underflow():
    # 10 007 and 10 000 days before, half-life 7: relative weights 0.5 and 1 → 333.33 / 666.67
    # (2^(-10000/7) alone would underflow to 0).
    result = attribute(*_one_opp([10_007, 10_000]), model="time_decay")
    assert _amounts(result) == pytest.approx({"A": 1000 / 3, "B": 2000 / 3})


def test_time_decay_uses_fractional_days():
    # 12 hours and 0 hours before, half-life 1 day: weights 2^(-0.5) = 0.70711 and 1;
    # 1000 × 0.70711 / 1.70711 = 414.21, 1000 / 1.70711 = 585.79.
    result = attribute(*_one_opp([0.5, 0]), model="time_decay", half_life_days=1)
    assert _amounts(result) == pytest.approx({"A": 414.2136, "B": 585.7864}, abs=1e-4)


@pytest.mark.parametrize("model", MODELS, ids=MODELS)
def test_touches_after_opportunity_creation_are_ignored(model):
    # A 5 days before, B exactly at creation (counts), C one second after, D a week after.
    touches = _touches(
        ("L1", OPP_AT - 5 * DAY, "A"),
        ("L1", OPP_AT, "B"),
        ("L1", OPP_AT + pd.Timedelta(seconds=1), "C"),
        ("L1", OPP_AT + 7 * DAY, "D"),
    )
    leads = _leads(("L1", OPP_AT - 30 * DAY, "web", "c-web"))
    result = attribute(_opps(("O1", "L1", 1000, OPP_AT)), touches, leads, model=model)
    amounts = _amounts(result)
    assert set(amounts) <= {"A", "B"}
    assert sum(amounts.values()) == pytest.approx(1000)


def test_each_opportunity_sees_only_touches_up_to_its_own_creation():
    # L1 touched by A (day -20) and B (day -5). O1 created day -10 sees A only: A 1000.
    # O2 created day 0 sees A and B: last touch B 500. Total: A 1000, B 500.
    touches = _touches(("L1", OPP_AT - 5 * DAY, "B"), ("L1", OPP_AT - 20 * DAY, "A"))
    leads = _leads(("L1", OPP_AT - 30 * DAY, "web", "c-web"))
    opps = _opps(("O1", "L1", 1000, OPP_AT - 10 * DAY), ("O2", "L1", 500, OPP_AT))
    result = attribute(opps, touches, leads, model="last_touch")
    assert _amounts(result) == pytest.approx({"A": 1000, "B": 500})


def test_touches_of_other_leads_do_not_leak():
    # L1 touched by A; L2 (its own opportunity of 200) by B and C.
    # linear: O1 → A 1000; O2 → B 100, C 100.
    touches = _touches(
        ("L2", OPP_AT - 3 * DAY, "C"),
        ("L1", OPP_AT - 2 * DAY, "A"),
        ("L2", OPP_AT - 4 * DAY, "B"),
    )
    leads = _leads(
        ("L1", OPP_AT - 30 * DAY, "web", "c-web"), ("L2", OPP_AT - 30 * DAY, "web", "c-web")
    )
    opps = _opps(("O1", "L1", 1000, OPP_AT), ("O2", "L2", 200, OPP_AT))
    result = attribute(opps, touches, leads, model="linear")
    assert _amounts(result) == pytest.approx({"A": 1000, "B": 100, "C": 100})


def _fallback_case():
    # O1 (1000) on L1, never touched → L1's own channel "web".
    # O2 (300) has no lead → "(sales-sourced, no lead)".
    # O3 (200) on L2, touched only after O3 was created → L2's own channel "events".
    # O4 (100) on L3, touched by "web" before → web by touch.
    touches = _touches(("L2", OPP_AT + DAY, "email"), ("L3", OPP_AT - DAY, "web"))
    leads = _leads(
        ("L1", OPP_AT - 30 * DAY, "web", "c-spring"),
        ("L2", OPP_AT - 30 * DAY, "events", None),
        ("L3", OPP_AT - 30 * DAY, "paid", "c-paid"),
    )
    opps = _opps(
        ("O1", "L1", 1000, OPP_AT),
        ("O2", None, 300, OPP_AT),
        ("O3", "L2", 200, OPP_AT),
        ("O4", "L3", 100, OPP_AT),
    )
    return opps, touches, leads


@pytest.mark.parametrize("model", MODELS, ids=MODELS)
def test_fallback_to_lead_channel_and_no_lead(model):
    result = attribute(*_fallback_case(), model=model)
    # web = 1000 (O1 fallback) + 100 (O4 by touch).
    assert _amounts(result) == pytest.approx({"web": 1100, NO_LEAD: 300, "events": 200})
    assert result.fallback_amount == 1500  # O1 + O2 + O3
    assert result.fallback_opportunities == 3
    assert result.attributed_total == 1600
    credits = result.table.set_index("channel")["opportunities"].to_dict()
    assert credits == pytest.approx({"web": 2, NO_LEAD: 1, "events": 1})
    # The report writes the amounts in its money format: 1500 / 1600 = 93.75 %.
    assert result.note(partial(money, currency="EUR")).startswith(
        f"{model}: €1,500 of €1,600 (93.8%) on 3 opportunities without an eligible touch"
    )


def test_by_campaign_id_with_fallback_and_missing_campaign():
    result = attribute(*_fallback_case(), model="linear", by="campaign_id")
    # O1 → L1's campaign c-spring; O2 → no lead; O3 → L2 has no campaign; O4 → touch c-web.
    expected = {"c-spring": 1000, NO_LEAD: 300, "(no campaign)": 200, "c-web": 100}
    assert _amounts(result) == pytest.approx(expected)
    assert result.table.columns.tolist() == ["campaign_id", "amount", "share", "opportunities"]


def test_by_campaign_id_splits_by_touch_campaign():
    # u_shaped over 3 touches with campaigns c-A, c-B, c-C: 400 / 200 / 400.
    result = attribute(*_one_opp([14, 7, 0]), model="u_shaped", by="campaign_id")
    assert _amounts(result) == pytest.approx({"c-A": 400, "c-B": 200, "c-C": 400})


def test_lead_id_missing_from_leads_falls_back_to_unknown_lead():
    touches = _touches(("L1", OPP_AT - DAY, "A"))
    leads = _leads(("L1", OPP_AT - 30 * DAY, "web", "c-web"))
    opps = _opps(("O1", "L1", 1000, OPP_AT), ("O2", "L7", 50, OPP_AT))
    result = attribute(opps, touches, leads, model="first_touch")
    assert _amounts(result) == pytest.approx({"A": 1000, "(unknown lead)": 50})


def test_nan_amount_counts_as_zero_and_is_reported():
    # O1 1000 on L1 (touch A), O2 amount missing on L1 → 0, but still one credit.
    opps, touches, leads = _one_opp([3])
    opps = pd.concat([opps, _opps(("O2", "L1", np.nan, OPP_AT))], ignore_index=True)
    result = attribute(opps, touches, leads, model="linear")
    assert _amounts(result) == pytest.approx({"A": 1000})
    assert result.attributed_total == 1000
    assert result.missing_amount_opportunities == 1
    assert result.table["opportunities"].tolist() == [2.0]
    assert "1 opportunity had no amount" in result.note()


def test_other_amount_column():
    opps, touches, leads = _one_opp([14, 7, 0])
    opps = opps.assign(won_amount=[600.0])
    result = attribute(opps, touches, leads, model="u_shaped", amount="won_amount")
    # 40/20/40 of 600: 240 / 120 / 240.
    assert _amounts(result) == pytest.approx({"A": 240, "B": 120, "C": 240})


def test_touch_order_in_the_input_does_not_matter():
    opps, touches, leads = _fallback_case()
    more = _touches(("L1", OPP_AT - 9 * DAY, "A"), ("L1", OPP_AT - 2 * DAY, "B"))
    touches = pd.concat([touches, more], ignore_index=True)
    shuffled = touches.sample(frac=1, random_state=7).reset_index(drop=True)
    for model in MODELS:
        a = attribute(opps, touches, leads, model=model).table
        b = attribute(opps, shuffled, leads, model=model).table
        pd.testing.assert_frame_equal(a, b)


def test_inputs_are_not_modified():
    opps, touches, leads = _fallback_case()
    before = [opps.copy(), touches.copy(), leads.copy()]
    attribute(opps, touches, leads, model="w_shaped", by="campaign_id")
    attribute_all(opps, touches, leads)
    for frame, copy in zip([opps, touches, leads], before, strict=True):
        pd.testing.assert_frame_equal(frame, copy)


def test_timezone_aware_tables_give_the_same_result():
    opps, touches, leads = _one_opp([14, 7, 0], lead_created_days_before=14)
    aware = [
        opps.assign(created_at=opps["created_at"].dt.tz_localize("Europe/Berlin")),
        touches.assign(at=touches["at"].dt.tz_localize("Europe/Berlin")),
        leads.assign(created_at=leads["created_at"].dt.tz_localize("Europe/Berlin")),
    ]
    for model in MODELS:
        naive = attribute(opps, touches, leads, model=model).table
        pd.testing.assert_frame_equal(attribute(*aware, model=model).table, naive)
    with pytest.raises(ParameterError, match="mix timezone-aware and naive"):
        attribute(aware[0], touches, leads, model="linear")


def test_categorical_columns_as_loaded_from_parquet():
    opps, touches, leads = _fallback_case()
    touches = touches.astype({"channel": "category", "campaign_id": "category"})
    leads = leads.astype({"channel": "category"})
    result = attribute(opps, touches, leads, model="linear")
    assert _amounts(result) == pytest.approx({"web": 1100, NO_LEAD: 300, "events": 200})


def test_empty_touches_everything_falls_back():
    opps, touches, leads = _fallback_case()
    result = attribute(opps, touches.iloc[0:0], leads, model="time_decay")
    assert result.fallback_opportunities == 4
    assert _amounts(result) == pytest.approx(
        {"web": 1000, NO_LEAD: 300, "events": 200, "paid": 100}
    )


def test_attribute_all_has_one_column_per_model():
    opps, touches, leads = _one_opp([14, 7, 0], lead_created_days_before=14)
    extra = _opps(("O2", None, 500, OPP_AT))
    wide = attribute_all(pd.concat([opps, extra], ignore_index=True), touches, leads)
    assert wide.columns.tolist() == list(MODELS)
    assert wide.index.name == "channel"
    # Rows by linear amount: no-lead 500, then A, B, C at 333.33 each (by name).
    assert wide.index.tolist() == [NO_LEAD, "A", "B", "C"]
    for model in MODELS:
        assert wide[model].sum() == pytest.approx(1500)
        expected = {**THREE[model], NO_LEAD: 500}
        got = wide[model][wide[model] > 0].to_dict()
        assert got == pytest.approx(expected, abs=1e-4)
    assert wide.loc["A", "last_touch"] == 0


def test_touch_weights_audit_view():
    opps, touches, leads = _one_opp([14, 7, 0], lead_created_days_before=14)
    weights = touch_weights(opps, touches, leads, model="w_shaped")
    assert weights["opportunity_id"].tolist() == ["O1", "O1", "O1"]
    assert weights["touch_number"].tolist() == [1, 2, 3]
    assert weights["touches"].tolist() == [3, 3, 3]
    assert weights["channel"].tolist() == ["A", "B", "C"]
    assert weights["weight"].tolist() == pytest.approx([0.6, 0.1, 0.3])


def test_repr_html_escapes_data_and_notes_the_fallback():
    opps, touches, leads = _fallback_case()
    leads = leads.assign(channel=["<script>alert(1)</script>", "events", "paid"])
    result = attribute(opps, touches, leads, model="linear")
    page = result._repr_html_()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "1,500.00 of 1,600.00 (93.8%) on 3 opportunities" in page
    assert "sales-sourced, no lead" in page


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model": "position_based"}, "model must be one of"),
        ({"model": "linear", "by": "team"}, "by must be one of"),
        ({"model": "time_decay", "half_life_days": 0}, "half_life_days must be a positive"),
        ({"model": "linear", "amount": "revenue"}, r"column\(s\) \['revenue'\]"),
    ],
    ids=["model", "by", "half-life", "amount-column"],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        attribute(*_fallback_case(), **kwargs)


# --- property: attribution adds up ------------------------------------------------------------

LEADS = _leads(
    ("L0", OPP_AT - 20 * DAY, "web", "c-web"),
    ("L1", OPP_AT - 10 * DAY, "events", None),
    ("L2", OPP_AT - 5 * DAY, "paid", "c-paid"),
    ("L3", OPP_AT - 40 * DAY, "email", "c-email"),
)
HOURS = st.integers(min_value=-40 * 24, max_value=2 * 24)  # hours relative to OPP_AT
AMOUNTS = st.one_of(st.floats(min_value=0, max_value=1e7), st.just(float("nan")))


@settings(derandomize=True, max_examples=60, deadline=None)
@given(
    opp_rows=st.lists(
        st.tuples(st.sampled_from([None, "L0", "L1", "L2", "L3", "L9"]), HOURS, AMOUNTS),
        min_size=1,
        max_size=8,
    ),
    touch_rows=st.lists(
        st.tuples(st.sampled_from(["L0", "L1", "L2", "L3", "L9"]), HOURS, st.sampled_from("ABCD")),
        max_size=15,
    ),
    half_life=st.floats(min_value=0.25, max_value=60),
)
def test_attribution_adds_up(opp_rows, touch_rows, half_life):
    opps = _opps(
        *[
            (f"O{i}", lead, amount, OPP_AT + h * pd.Timedelta(hours=1))
            for i, (lead, h, amount) in enumerate(opp_rows)
        ]
    )
    touches = _touches(
        *[(lead, OPP_AT + h * pd.Timedelta(hours=1), ch) for lead, h, ch in touch_rows]
    )
    total = float(np.nansum(opps["amount"]))
    # Eligible touches per opportunity, counted the slow and obvious way.
    eligible = {
        row.opportunity_id: sum(
            1 for t in touches.itertuples() if t.lead_id == row.lead_id and t.at <= row.created_at
        )
        for row in opps.itertuples()
    }
    for model in MODELS:
        for by in ("channel", "campaign_id") if model == "w_shaped" else ("channel",):
            result = attribute(opps, touches, LEADS, model=model, by=by, half_life_days=half_life)
            assert result.attributed_total == pytest.approx(total)
            assert result.table["amount"].sum() == pytest.approx(total, rel=1e-6, abs=1e-6)
            assert result.table["opportunities"].sum() == pytest.approx(len(opps))
            assert result.fallback_opportunities == sum(1 for n in eligible.values() if n == 0)
            assert 0 <= result.fallback_amount <= total * (1 + 1e-9)
        weights = touch_weights(opps, touches, LEADS, model=model, half_life_days=half_life)
        assert (weights["weight"] >= 0).all() and (weights["weight"] <= 1 + 1e-12).all()
        sums = weights.groupby("opportunity_id")["weight"].sum()
        assert sums.to_numpy() == pytest.approx(np.ones(len(sums)))
        counts = weights.groupby("opportunity_id").size().to_dict()
        assert counts == {k: n for k, n in eligible.items() if n > 0}
        created = weights["opportunity_id"].map(opps.set_index("opportunity_id")["created_at"])
        assert (weights["at"] <= created).all()
