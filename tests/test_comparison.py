"""Team-versus-team comparison and KPI trends; expected values worked out by hand.

tests/data/tiny in 2026Q3 (see tests/test_metrics_funnel.py for the worked figures):
- north: 4 MQLs (L1, L2, L3, L5); SLA 2 of 4; median speed to lead 5 h (2, 16, 5 h);
  acceptance 2 of 3; MQL→SQL 2 of 4; pipeline created 1500 (O1 1000 + O2 500); won 1000
  (O1, 1 won deal); win rate 1 of 2 (O1 won, O2 lost); no spend, so no CAC.
- south: 1 MQL (L6), touched after 0.5 business h (in SLA, 1 of 1), rejected (acceptance
  0 of 1), MQL→SQL 0 of 1; O3 created and won for 2000 (1 won deal; win rate 1 of 1).
Ranks (1 = best): north is first on MQLs, acceptance and MQL→SQL; south on SLA, speed (lower
is better), pipeline, won revenue and win rate; both first on won deals (1 each, a tie). CAC
has no value and no rank.
Mean rank: north (1+2+2+1+1+2+2+1+2)/9 = 14/9, south (2+1+1+2+2+1+1+1+1)/9 = 12/9.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import TINY

from helpers import Rate, Workbook
from helpers.analysis.comparison import (
    compare_teams,
    kpi_long,
    kpi_trend,
    rank_kpis,
    team_ranking,
    team_standing,
)

SPEC = {
    "mqls": ("MQLs", "higher", "count"),
    "speed": ("Speed", "lower", "hours"),
    "win_rate": ("Win rate", "higher", "rate"),
}


@pytest.fixture(scope="module")
def workbook():
    return Workbook.load(TINY)


def test_kpi_long_expands_rates_and_fills_missing_metrics():
    long = kpi_long({"a": {"mqls": 10.0, "win_rate": Rate(3, 4)}}, kpis=SPEC)
    assert long.columns.tolist()[:5] == ["team", "metric", "label", "direction", "kind"]
    row = long.set_index("metric").loc["win_rate"]
    assert (row["value"], row["numerator"], row["denominator"]) == (0.75, 3.0, 4.0)
    assert row["small_sample"]  # 4 < 30
    # Wilson interval of 3/4 worked out by hand: centre 0.6275, half 0.3269 (z = 1.96).
    assert row["ci_low"] == pytest.approx(0.3006, abs=1e-4)
    assert row["ci_high"] == pytest.approx(0.9544, abs=1e-4)
    speed = long.set_index("metric").loc["speed"]
    assert math.isnan(speed["value"]) and not speed["small_sample"]
    assert long["metric"].tolist() == ["mqls", "speed", "win_rate"]


def test_rank_kpis_is_direction_aware_with_shared_ties_and_no_rank_for_nan():
    values = {
        "a": {"mqls": 10.0, "speed": 5.0, "win_rate": Rate(1, 2)},
        "b": {"mqls": 10.0, "speed": 2.0, "win_rate": Rate(0, 0)},
        "c": {"mqls": 3.0, "speed": 9.0, "win_rate": Rate(3, 4)},
    }
    ranked = rank_kpis(kpi_long(values, kpis=SPEC))
    ranks = ranked.pivot(index="team", columns="metric", values="rank")
    assert ranks["mqls"].tolist() == [1.0, 1.0, 3.0]  # a and b tie at 10
    assert ranks["speed"].tolist() == [2.0, 1.0, 3.0]  # lower is better
    assert ranks.loc["a", "win_rate"] == 2.0 and ranks.loc["c", "win_rate"] == 1.0
    assert math.isnan(ranks.loc["b", "win_rate"])  # 0 of 0: no value, no rank


def test_team_ranking_orders_by_mean_rank():
    values = {
        "a": {"mqls": 10.0, "speed": 5.0, "win_rate": Rate(1, 2)},
        "b": {"mqls": 10.0, "speed": 2.0, "win_rate": Rate(0, 0)},
        "c": {"mqls": 3.0, "speed": 9.0, "win_rate": Rate(3, 4)},
    }
    ranking = team_ranking(rank_kpis(kpi_long(values, kpis=SPEC)), {"a": "Alpha"})
    # a: (1 + 2 + 2) / 3 = 5/3; b: (1 + 1) / 2 = 1; c: (3 + 3 + 1) / 3 = 7/3.
    assert ranking["team"].tolist() == ["b", "a", "c"]
    assert ranking["rank"].tolist() == [1.0, 2.0, 3.0]
    np.testing.assert_allclose(ranking["mean_rank"], [1.0, 5 / 3, 7 / 3])
    assert ranking["kpis_ranked"].tolist() == [2, 3, 3]
    assert ranking["name"].tolist() == ["b", "Alpha", "c"]
    assert ranking.loc[1, "speed"] == 5.0 and ranking.loc[1, "speed_rank"] == 2.0


def test_compare_teams_on_tiny(workbook):
    long = compare_teams(workbook, "2026Q3")
    value = long.pivot(index="metric", columns="team", values="value")
    rank = long.pivot(index="metric", columns="team", values="rank")
    assert value.loc["mqls"].tolist() == [4.0, 1.0]
    assert value.loc["sla_compliance"].tolist() == [0.5, 1.0]
    assert value.loc["speed_to_lead_hours"].tolist() == [5.0, 0.5]
    assert value.loc["mql_acceptance"].tolist() == pytest.approx([2 / 3, 0.0])
    assert value.loc["pipeline_created"].tolist() == [1500.0, 2000.0]
    assert value.loc["won_revenue"].tolist() == [1000.0, 2000.0]
    assert value.loc["won_deals"].tolist() == [1.0, 1.0]
    assert value.loc["win_rate"].tolist() == [0.5, 1.0]
    # Lead → customer: north won O1 from L1 of its 4 leads created in Q3; south's O3 has no
    # lead, of 1 lead created (L6): 0.
    assert value.loc["lead_to_customer"].tolist() == [0.25, 0.0]
    assert rank["north"].dropna().to_dict() == {
        "lead_to_customer": 1.0,
        "mql_acceptance": 1.0,
        "mql_to_sql": 1.0,
        "mqls": 1.0,
        "pipeline_created": 2.0,
        "sla_compliance": 2.0,
        "speed_to_lead_hours": 2.0,
        "win_rate": 2.0,
        "won_deals": 1.0,
        "won_revenue": 2.0,
    }
    assert rank.loc["cac"].isna().all()
    names = {"north": "North Pod", "south": "South Pod"}
    ranking = team_ranking(long, names)
    assert ranking["team"].tolist() == ["south", "north"]
    assert ranking["mean_rank"].tolist() == pytest.approx([14 / 10, 15 / 10])
    assert team_standing(ranking, "north") == (
        "North Pod ranks 2 of 2 teams on the shared KPIs (mean rank 1.5; 1 = best)."
    )


def test_team_standing_without_rank():
    ranking = pd.DataFrame(
        {"rank": [1.0, np.nan], "team": ["a", "b"], "name": ["A", "B"], "mean_rank": [1.0, np.nan]}
    )
    assert team_standing(ranking, "b") == "b has no ranked KPI among the 2 teams this quarter."


def test_kpi_trend_covers_every_kpi_of_the_quarters_in_the_data(workbook):
    trend = kpi_trend(workbook.view("north", "2026Q3"), 8)
    # The data start in 2026Q2 (L5 created 10 Apr), so only two of the eight quarters exist.
    assert sorted(set(trend["quarter"])) == ["2026Q2", "2026Q3"]
    q2 = trend[trend["quarter"] == "2026Q2"].set_index("metric")
    # 2026Q2, north: L5 MQL 10 Apr 10:00, touched 11:00 (1 h, in SLA), rejected; SQL in July.
    assert q2.loc["mqls", "value"] == 1.0
    assert q2.loc["speed_to_lead_hours", "value"] == 1.0
    assert (q2.loc["sla_compliance", "numerator"], q2.loc["sla_compliance", "denominator"]) == (
        1.0,
        1.0,
    )
    assert q2.loc["mql_acceptance", "value"] == 0.0
    assert q2.loc["pipeline_created", "value"] == 0.0
    assert math.isnan(q2.loc["win_rate", "value"])  # nothing closed
    assert q2.loc["won_deals", "value"] == 0.0  # nothing won in 2026Q2
    assert len(trend) == 2 * 14  # the 14 headline KPIs, the scorecard's among them


def test_growth_trend_books_each_quarters_won_amounts_and_has_no_retention_without_revenue():
    # tiny: O1 (north, won, 1,000, closed 2026-08-03) and O3 (south, won, 2,000, closed
    # 2026-09-15) are won in 2026Q3; O2 is lost. No revenue table, so no retention.
    from helpers.analysis.comparison import growth_trend

    workbook = Workbook.load(TINY)
    for team, booked in (("all", 3000.0), ("north", 1000.0), ("south", 2000.0)):
        bookings, retention = growth_trend(workbook.view(team, "2026Q3"))
        assert retention is None
        assert bookings["quarter"].iloc[-1] == "2026Q3"
        assert bookings["bookings"].iloc[-1] == booked
        assert (bookings["bookings"].iloc[:-1] == 0).all()
