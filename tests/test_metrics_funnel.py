"""Funnel and hand-off metrics on tests/data/tiny, every expected value worked out by hand.

The fixture (2026Q3 = 1 Jul – 30 Sep 2026, SLA 8 business hours, 09:00–17:00 Mon–Fri):
- L1 north: MQL Wed 1 Jul 10:00, touched 12:00 (2 h), accepted, SQL, opportunity O1 won.
- L2 north: MQL Wed 1 Jul 11:00, touched Fri 3 Jul 11:00 (6 + 8 + 2 = 16 h), rejected "no budget".
- L3 north: MQL Thu 2 Jul 10:00, never touched.
- L4 north: outbound, no MQL; touched, accepted, SQL, opportunity O2 lost.
- L5 north: created in 2026Q2, rejected and recycled in Q2, MQL again Fri 10 Jul 10:00,
  touched 15:00 (5 h), accepted, SQL.
- L6 south: MQL, touched, rejected "wrong persona". O3 south: no lead, won.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.data.source import load_dataset
from helpers.metrics.funnel import (
    cohort_funnel,
    lead_journeys,
    mql_acceptance,
    mql_to_sql,
    period_funnel,
    reason_pareto,
    stage_velocity,
    stage_volumes,
)
from helpers.metrics.handoff import (
    mql_responses,
    speed_to_lead,
    team_responses,
    untouched_by_age,
)
from helpers.metrics.scope import for_team

Q3_START = pd.Timestamp("2026-07-01")
Q3_END = pd.Timestamp("2026-10-01")
AS_OF = pd.Timestamp("2026-10-01")


@pytest.fixture
def tiny(tiny_dir):
    return load_dataset(tiny_dir)


def _tables(tiny, team):
    return for_team(dict(tiny.tables), team)


@pytest.mark.parametrize(
    ("team", "expected"),
    [
        # lead, mql, first_touch, accepted, sql, opportunity, won, rejected, recycled
        ("north", [4, 4, 4, 3, 3, 2, 1, 1, 0]),
        ("all", [5, 5, 5, 3, 3, 3, 2, 2, 0]),
        ("south", [1, 1, 1, 0, 0, 1, 1, 1, 0]),
    ],
    ids=["north", "all", "south"],
)
def test_stage_volumes_period_view(tiny, team, expected):
    t = _tables(tiny, team)
    volumes = stage_volumes(t["leads"], t["lead_events"], t["opportunities"], Q3_START, Q3_END)
    assert volumes["volume"].tolist() == expected
    assert volumes["stage"].tolist()[:3] == ["lead", "mql", "first_touch"]


def test_period_funnel_ratio_can_exceed_one_and_is_labelled_as_ratio(tiny):
    t = _tables(tiny, "south")
    volumes = stage_volumes(t["leads"], t["lead_events"], t["opportunities"], Q3_START, Q3_END)
    funnel = period_funnel(volumes)
    ratios = dict(zip(funnel["stage"], funnel["ratio_to_previous"], strict=True))
    assert np.isnan(ratios["lead"])
    assert ratios["mql"] == 1.0
    assert np.isnan(ratios["sql"])  # previous (accepted) volume is 0
    assert np.isnan(ratios["opportunity"])  # previous (sql) volume is 0


def test_cohort_any_stage_counts_skipped_stages(tiny):
    t = _tables(tiny, "north")
    journeys = lead_journeys(t["leads"], t["lead_events"], t["opportunities"])
    funnel = cohort_funnel(journeys, Q3_START, Q3_END, AS_OF, strict=False)
    # Cohort L1-L4: MQL L1-L3; touched L1, L2, L4; accepted/SQL/opportunity L1, L4; won L1.
    assert funnel["reached"].tolist() == [4, 3, 3, 2, 2, 2, 1]
    assert funnel["next_denominator"].tolist() == [4, 4, 3, 3, 2, 2, 2]
    assert funnel["next_rate"].tolist() == pytest.approx([1.0, 0.75, 1.0, 2 / 3, 1.0, 1.0, 0.5])
    assert funnel["cum_rate"].tolist() == pytest.approx([1.0, 0.75, 0.75, 0.5, 0.5, 0.5, 0.25])
    assert (funnel["cohort_age_days"] == 0).all()


def test_cohort_strict_requires_every_earlier_stage_in_order(tiny):
    t = _tables(tiny, "north")
    journeys = lead_journeys(t["leads"], t["lead_events"], t["opportunities"])
    funnel = cohort_funnel(journeys, Q3_START, Q3_END, AS_OF, strict=True)
    # L4 has no MQL, so it drops out at first touch; L2 was rejected.
    assert funnel["reached"].tolist() == [4, 3, 2, 1, 1, 1, 1]
    assert funnel["next_rate"].tolist() == pytest.approx([1.0, 0.75, 2 / 3, 0.5, 1.0, 1.0, 1.0])
    # Wilson 95 % for 3/4, worked by hand: centre 0.6275, half-width 0.3269.
    row = funnel.set_index("stage").loc["mql"]
    assert row["next_ci_low"] == pytest.approx(0.3006, abs=1e-4)
    assert row["next_ci_high"] == pytest.approx(0.9544, abs=1e-4)
    assert bool(row["next_small_sample"]) is True


def test_recycled_lead_counts_twice_in_mql_journey(tiny):
    t = _tables(tiny, "north")
    journeys = lead_journeys(t["leads"], t["lead_events"], t["opportunities"])
    assert journeys.loc["L5", "mql_count"] == 2
    assert journeys.loc["L5", "mql"] == pd.Timestamp("2026-04-10 10:00")


def test_mql_acceptance_ignores_non_mql_decisions(tiny):
    t = _tables(tiny, "north")
    # Accepted: L1, L5 (L4 is outbound, never an MQL). Rejected: L2. L5's Q2 rejection is outside.
    rate = mql_acceptance(t["lead_events"], Q3_START, Q3_END)
    assert (rate.numerator, rate.denominator) == (2, 3)


def test_mql_to_sql_uses_first_mql_of_the_window(tiny):
    t = _tables(tiny, "north")
    journeys = lead_journeys(t["leads"], t["lead_events"], t["opportunities"])
    rate = mql_to_sql(journeys, t["lead_events"], Q3_START, Q3_END, AS_OF)
    # MQLs in Q3: L1, L2, L3, L5; SQL after MQL: L1, L5.
    assert (rate.numerator, rate.denominator) == (2, 4)


def test_reason_pareto(tiny):
    t = _tables(tiny, "all")
    pareto = reason_pareto(t["lead_events"], "rejected", Q3_START, Q3_END)
    expected = pd.DataFrame(
        {
            "reason": ["no budget", "wrong persona"],
            "count": [1, 1],
            "share": [0.5, 0.5],
            "cumulative_share": [0.5, 1.0],
        }
    )
    pd.testing.assert_frame_equal(pareto, expected, check_dtype=False)
    empty = reason_pareto(t["lead_events"], "recycled", Q3_START, Q3_END)
    assert empty.empty


def test_speed_to_lead_and_sla(tiny):
    t = _tables(tiny, "north")
    responses = mql_responses(t["leads"], t["lead_events"], tiny.config, AS_OF)
    by_lead = responses.set_index(["lead_id", "mql_at"])
    assert by_lead.loc[("L1", pd.Timestamp("2026-07-01 10:00")), "response_hours"] == 2
    assert by_lead.loc[("L2", pd.Timestamp("2026-07-01 11:00")), "response_hours"] == 16
    assert by_lead.loc[("L5", pd.Timestamp("2026-07-10 10:00")), "response_hours"] == 5
    # L5's first MQL (Q2) was answered by its Q2 touch, not by the July one.
    assert by_lead.loc[("L5", pd.Timestamp("2026-04-10 10:00")), "response_hours"] == 1
    summary = speed_to_lead(responses, Q3_START, Q3_END)
    assert summary["mqls"] == 4
    assert summary["touched"] == 3
    assert summary["median_hours"] == 5
    assert summary["p90_hours"] == pytest.approx(5 + 0.8 * 11)  # linear between 5 and 16
    assert (summary["sla_compliance"].numerator, summary["sla_compliance"].denominator) == (2, 4)
    assert summary["untouched_overdue"] == 1


@pytest.mark.parametrize(
    "lead_of_event",
    [None, [2, 0, 0, 2, 2, 1, 1], [2, 0, 0, 2, 2, 1, -1]],
    ids=["ids", "positions-from-validation", "an-unknown-lead-falls-back-to-ids"],
)
def test_responses_pair_by_lead_however_leads_are_found(tiny, lead_of_event):
    # Leads in another order than their events, three MQLs at the same instant, a recycled
    # lead and a touch after the as-of date. Worked out by hand (Wed 1 Jul 2026, 09-17 clock):
    # A's 10:00 MQL is not answered by the 13:00 touch, which comes after A's next MQL (11:00)
    # and answers that one (2 h); B is touched at 12:00 (2 h); C's touch is after as_of.
    # Rows by MQL time, then lead id.
    day = "2026-07-01 "
    leads = pd.DataFrame(
        {
            "lead_id": pd.array(["B", "C", "A"], dtype="string"),
            "team": pd.array(["south", "south", "north"], dtype="string"),
            "channel": pd.array(["web", "events", None], dtype="string"),
        }
    )
    events = pd.DataFrame(
        {
            "lead_id": pd.array(["A", "B", "B", "A", "A", "C", "C"], dtype="string"),
            "event": pd.array(
                ["mql", "mql", "first_touch", "mql", "first_touch", "mql", "first_touch"],
                dtype="string",
            ),
            "at": pd.to_datetime(
                [day + "10:00", day + "10:00", day + "12:00", day + "11:00", day + "13:00"]
                + [day + "10:00", "2026-10-02 09:00"]
            ),
        }
    )
    at = None if lead_of_event is None else np.array(lead_of_event, dtype="int32")
    out = team_responses(leads, events, tiny.config, AS_OF, at)
    assert out["lead_id"].tolist() == ["A", "B", "C", "A"]
    assert (
        out["mql_at"].tolist()
        == pd.to_datetime([day + h for h in ("10:00",) * 3 + ("11:00",)]).tolist()
    )
    assert out["touched_at"].isna().tolist() == [True, False, True, False]
    assert (
        out["touched_at"].dropna().tolist()
        == pd.to_datetime([day + "12:00", day + "13:00"]).tolist()
    )
    assert out["response_hours"].dropna().tolist() == [2.0, 2.0]
    assert out["channel"].tolist() == [pd.NA, "web", "events", pd.NA]
    assert out["team"].tolist() == ["north", "south", "south", "north"]
    alone = mql_responses(leads, events, tiny.config, AS_OF, at)
    pd.testing.assert_frame_equal(alone, out.drop(columns="team"))


def test_mql_inside_its_sla_window_is_neither_met_nor_missed(tiny):
    t = _tables(tiny, "north")
    # Observed Thu 2 Jul 12:00: L3 (MQL 10:00) has waited 2 h of its 8 h.
    responses = mql_responses(
        t["leads"], t["lead_events"], tiny.config, pd.Timestamp("2026-07-02 12:00")
    )
    l3 = responses.set_index("lead_id").loc["L3"]
    assert l3["status"] == "untouched, within SLA"
    assert l3["waiting_hours"] == 2


def test_untouched_by_age_at_quarter_end(tiny):
    t = _tables(tiny, "north")
    table = untouched_by_age(t["lead_events"], tiny.config, Q3_END)
    assert table["mqls"].tolist() == [0, 0, 0, 0, 1]  # only L3, waiting since July
    # On Fri 3 Jul 09:00, L3 has waited 7 h (Thu 10-17);
    # L2 is still untouched: 14 h (Wed 11-17, Thu).
    early = untouched_by_age(t["lead_events"], tiny.config, pd.Timestamp("2026-07-03 09:00"))
    assert early["mqls"].tolist() == [1, 1, 0, 0, 0]


def test_stage_velocity(tiny):
    t = _tables(tiny, "north")
    journeys = lead_journeys(t["leads"], t["lead_events"], t["opportunities"])
    velocity = stage_velocity(journeys, Q3_START, Q3_END).set_index("to_stage")
    # MQL -> first touch in Q3, in order: L1 (2 h) and L2 (2 days). L5's first touch was in Q2.
    row = velocity.loc["First touched"]
    assert row["leads"] == 2
    assert row["median_days"] == pytest.approx((2 / 24 + 2) / 2)
    # Opportunity -> won: O1 created 6 Jul 10:00, won 3 Aug 10:00 = 28 days.
    assert velocity.loc["Won", "median_days"] == pytest.approx(28)


def test_acceptance_of_decisions_on_no_mql_is_zero_of_zero():
    # L8 is outbound: accepted without ever being an MQL; L9's MQL and rejection fall in Q2.
    events = pd.DataFrame(
        {
            "lead_id": pd.array(["L8", "L9", "L9"], dtype="string"),
            "event": pd.array(["accepted", "mql", "rejected"], dtype="string"),
            "at": pd.to_datetime(["2026-07-02 10:00", "2026-05-01 10:00", "2026-05-02 10:00"]),
        }
    )
    rate = mql_acceptance(events, Q3_START, Q3_END)
    assert (rate.numerator, rate.denominator) == (0, 0)
    q2 = mql_acceptance(events, pd.Timestamp("2026-04-01"), Q3_START)
    assert (q2.numerator, q2.denominator) == (0, 1)  # L9 rejected after its MQL
