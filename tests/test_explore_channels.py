"""Channel explorer on tests/data/tiny (and a copy with spend and touches), figures by hand.

The fixture is described in tests/test_explore_funnel.py. Channels of the leads: L1, L5, L6
paid_search (campaign C1); L2 paid_social (C2); L3 webinar (C3); L4 outbound (no campaign).
Decisions on MQLs in 2026Q3: accepted L1, L5; rejected L2, L6 (L4's acceptance is not on an
MQL). Deals closed in Q3: O1 won 1000 (L1), O2 lost (L4), O3 won 2000 (south, no lead).

The copy adds (all amounts by hand):
- spend.csv: north paid_search marketing 300 (Jul) + 100 (Aug), north webinar marketing 50
  (Sep), north outbound *sales* 999 (Jul, not marketing), north paid_search 1000 (Jun, Q2).
- touches.csv: L1 touched by email (campaign C9) on 20 Jun 00:00 and by paid_search (C1) on
  1 Jul 08:00, both before O1 was created (6 Jul 10:00).
"""

from __future__ import annotations

import math
import shutil

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import TESTS, TINY

from helpers.analysis.workbook import Workbook
from helpers.explore.channels import build_channel_explorer

COUNTS = ["leads", "mqls", "mql_sqls", "accepted", "rejected", "won", "lost"]


@pytest.fixture(scope="module")
def tiny():
    return Workbook.load(TINY)


@pytest.fixture(scope="module")
def with_spend(tmp_path_factory):
    copy = tmp_path_factory.mktemp("channels") / "tiny"
    shutil.copytree(TINY, copy)
    (copy / "spend.csv").write_text(
        "month,team,channel,category,amount\n"
        "2026-07,north,paid_search,marketing,300\n"
        "2026-08,north,paid_search,marketing,100\n"
        "2026-09,north,webinar,marketing,50\n"
        "2026-07,north,outbound,sales,999\n"
        "2026-06,north,paid_search,marketing,1000\n"
    )
    (copy / "touches.csv").write_text(
        "lead_id,at,campaign_id,channel\n"
        "L1,2026-06-20T00:00:00,C9,email\n"
        "L1,2026-07-01T08:00:00,C1,paid_search\n"
    )
    return Workbook.load(copy)


def build(workbook, tmp_path, **defaults):
    defaults = {"first_quarter": "2026Q3", "last_quarter": "2026Q3", **defaults}
    return build_channel_explorer(workbook, export_dir=tmp_path, **defaults)


def rows(explorer):
    table = explorer.table
    return table.set_index(table.columns[0])


def test_north_by_channel(tiny, tmp_path):
    explorer = build(tiny, tmp_path, team="north")
    table = rows(explorer)
    expected = pd.DataFrame(
        {
            # leads: L1 | L4 | L2 | L3 (L5 was created in Q2)
            "leads": [1, 1, 1, 1, 4],
            # MQLs in Q3: L1, L5 | - | L2 | L3
            "mqls": [2, 0, 1, 1, 4],
            # SQL after the Q3 MQL: L1, L5
            "mql_sqls": [2, 0, 0, 0, 2],
            "accepted": [2, 0, 0, 0, 2],
            "rejected": [0, 0, 1, 0, 1],
            "won": [1, 0, 0, 0, 1],
            "lost": [0, 1, 0, 0, 1],
        },
        index=pd.Index(["paid_search", "outbound", "paid_social", "webinar", "total"]),
    )
    pd.testing.assert_frame_equal(
        table[COUNTS], expected, check_index_type=False, check_names=False
    )
    assert table["mql_to_sql"].tolist() == pytest.approx([1, np.nan, 0, 0, 0.5], nan_ok=True)
    assert table["acceptance"].tolist() == pytest.approx([1, np.nan, 0, np.nan, 2 / 3], nan_ok=True)
    assert table["win_rate"].tolist() == pytest.approx([1, 0, np.nan, np.nan, 0.5], nan_ok=True)
    # No touches: O1's 1000 goes to its lead's own channel.
    assert table["attributed_revenue"].tolist() == [1000, 0, 0, 0, 1000]
    # No spend table: costs unknown, and the page says so.
    assert table[["spend", "cost_per_lead", "cost_per_mql"]].isna().all().all()
    assert any("no spend table" in note for note in explorer.notes)
    assert any("no touches table" in note for note in explorer.notes)


def test_team_control_and_sales_sourced_row(tiny, tmp_path):
    explorer = build(tiny, tmp_path, team="north")
    explorer.team.value = "all"
    table = rows(explorer)
    # paid_search gains L6 (lead, MQL, rejected); O3 (no lead) is its own row.
    assert table.loc["paid_search", COUNTS].tolist() == [2, 3, 2, 2, 1, 1, 0]
    assert table.loc["(sales-sourced, no lead)", ["leads", "won", "lost"]].tolist() == [0, 1, 0]
    assert table.loc["(sales-sourced, no lead)", "attributed_revenue"] == 2000
    assert table.loc["total", COUNTS].tolist() == [5, 5, 2, 2, 2, 2, 1]
    assert table.loc["total", "attributed_revenue"] == 3000
    explorer.team.value = "south"
    assert rows(explorer).index.tolist() == ["paid_search", "(sales-sourced, no lead)", "total"]


def test_campaign_level(tiny, tmp_path):
    explorer = build(tiny, tmp_path, team="north")
    explorer.level.value = "campaign"
    table = rows(explorer)
    assert table.index.tolist() == ["C1", "(no campaign)", "C2", "C3", "total"]
    assert table["channel"].tolist() == ["paid_search", "", "paid_social", "webinar", ""]
    assert table.loc["C1", COUNTS].tolist() == [1, 2, 2, 2, 0, 1, 0]
    assert table.loc["(no campaign)", ["leads", "lost"]].tolist() == [1, 1]  # L4, O2
    assert table.loc["C1", "attributed_revenue"] == 1000


def test_spend_and_costs(with_spend, tmp_path):
    explorer = build(with_spend, tmp_path, team="north")
    table = rows(explorer)
    # Q3 marketing spend: paid_search 300 + 100; webinar 50; outbound's 999 is sales cost.
    assert table.loc["paid_search", ["spend", "cost_per_lead", "cost_per_mql"]].tolist() == [
        400,
        400,
        200,
    ]
    assert table.loc["webinar", ["spend", "cost_per_lead", "cost_per_mql"]].tolist() == [50, 50, 50]
    assert np.isnan(table.loc["paid_social", "spend"])  # no spend row: unknown, not 0
    assert np.isnan(table.loc["outbound", "spend"])
    assert table.loc["total", ["spend", "cost_per_lead", "cost_per_mql"]].tolist() == [
        450,
        112.5,
        112.5,
    ]
    explorer.quarters.value = ("2026Q2", "2026Q3")
    table = rows(explorer)
    # + June's 1000 and L5 (created in Q2) for paid_search; L5's MQLs count once.
    assert table.loc["paid_search", ["leads", "mqls", "spend"]].tolist() == [2, 2, 1400]
    assert table.loc["paid_search", "cost_per_lead"] == 700
    explorer.level.value = "campaign"
    assert rows(explorer)["spend"].isna().all()  # spend is by channel
    assert any("not campaign" in note for note in explorer.notes)


def test_model_control(with_spend, tmp_path):
    explorer = build(with_spend, tmp_path, team="north")
    revenue = rows(explorer)["attributed_revenue"]
    # Linear: O1's 1000 split evenly over its two touches.
    assert revenue["email"] == 500 and revenue["paid_search"] == 500
    # email has no lead, MQL or spend: it is a row for its attributed revenue only.
    assert rows(explorer).loc["email", COUNTS].tolist() == [0] * 7

    def revenue_by(model):
        explorer.model.value = model
        table = rows(explorer)
        return {
            name: table.loc[name, "attributed_revenue"] if name in table.index else 0.0
            for name in ("email", "paid_search")
        }

    assert revenue_by("first_touch") == {"email": 1000, "paid_search": 0}
    assert revenue_by("last_touch") == {"email": 0, "paid_search": 1000}
    assert "email" not in rows(explorer).index  # nothing left in it under last touch
    assert revenue_by("u_shaped") == {"email": 500, "paid_search": 500}
    # W-shaped, 2 touches: first (email) 0.3; lead-creation touch = last touch at or before
    # L1's creation (1 Jul 09:00) = paid_search, 0.3 + 0.3 as last; 0.1 spread over the 2
    # role touches: email 0.35, paid_search 0.65.
    assert revenue_by("w_shaped") == pytest.approx({"email": 350, "paid_search": 650})
    # Time decay, half-life 7 days: ages 16 d 10 h and 5 d 2 h before O1 (6 Jul 10:00).
    older, newer = 2 ** (-(16 + 10 / 24) / 7), 2 ** (-(5 + 2 / 24) / 7)
    email = 1000 * older / (older + newer)
    assert revenue_by("time_decay") == pytest.approx({"email": email, "paid_search": 1000 - email})
    assert math.isclose(email, 245.5, abs_tol=0.1)


def test_untracked_rates_are_nan_and_said(tmp_path):
    # tests/data/partial: MQL and SQL events and won deals only.
    explorer = build(
        Workbook.load(TESTS / "data" / "partial"),
        tmp_path,
        first_quarter="2026Q1",
        last_quarter="2026Q1",
    )
    table = rows(explorer)
    assert table["acceptance"].isna().all() and table["accepted"].isna().all()
    assert table["win_rate"].isna().all() and table["lost"].isna().all()
    # MQL -> SQL is tracked: P1 (MQL 6 Jan, SQL 10 Jan) of P1, P2.
    assert table.loc["total", ["mqls", "mql_sqls", "mql_to_sql"]].tolist() == [2, 1, 0.5]
    assert any("no accepted or rejected events" in note for note in explorer.notes)


def test_figure_is_reused_and_nothing_stacks(with_spend, tmp_path):
    explorer = build(with_spend, tmp_path, team="north")
    figure, axes = explorer.figure, list(explorer.figure.axes)
    children = explorer.widget.children
    before = plt.get_fignums()
    explorer.team.value = "all"
    explorer.quarters.value = ("2026Q2", "2026Q3")
    explorer.level.value = "campaign"
    explorer.model.value = "first_touch"
    assert explorer.figure is figure and explorer.figure.axes == axes
    assert plt.get_fignums() == before
    assert explorer.widget.children == children
    assert explorer.table_view.value.count("<table") == 1


def test_sample_matches_the_team_quarter_api():
    # Not hand-computed: the explorer's arrays give what TeamQuarter computes from scratch.
    from conftest import PROJECT

    workbook = Workbook.load(PROJECT / "data" / "sample", reuse=True)
    explorer = build_channel_explorer(
        workbook, team="emea-ent", first_quarter="2026Q2", last_quarter="2026Q2"
    )
    view = workbook.view("emea-ent", "2026Q2")
    total = rows(explorer).loc["total"]
    assert total["mql_sqls"] == view.mql_to_sql().numerator
    assert total["mqls"] == view.mql_to_sql().denominator
    assert total["accepted"] == view.mql_acceptance().numerator
    assert total["won"] + total["lost"] == view.win_rate().denominator
    costs = view.cost_per_lead().set_index("channel")
    table = rows(explorer)
    assert table.loc["paid_search", "cost_per_lead"] == pytest.approx(
        costs.loc["paid_search", "cost_per_lead"]
    )
    assert total["spend"] == pytest.approx(costs.loc["total", "spend"])
    for level, by in (("channel", "channel"), ("campaign", "campaign_id")):
        explorer.level.value = level
        models = view.attribution_models(by=by, basis="revenue")
        for model in models.columns:
            explorer.model.value = model
            shown = rows(explorer)["attributed_revenue"].drop("total")
            expected = models[model][models[model] != 0]
            pd.testing.assert_series_equal(
                shown[shown != 0].sort_index(),
                expected.sort_index(),
                check_names=False,
                check_index_type=False,
            )


def test_won_deal_without_amount_is_not_credited_as_zero(tmp_path):
    # tiny with O1 (north, won 3 Aug, lead L1 on paid_search) stripped of its amount.
    copy = tmp_path / "tiny"
    shutil.copytree(TINY, copy)
    opps = copy / "opportunities.csv"
    opps.write_text(
        opps.read_text().replace(
            "O1,north,2026-07-06T10:00:00,won,1000,", "O1,north,2026-07-06T10:00:00,won,,"
        )
    )
    explorer = build(Workbook.load(copy), tmp_path, team="north")
    table = rows(explorer)
    assert math.isnan(table.loc["paid_search", "attributed_revenue"])
    assert table.loc["paid_search", "won_without_amount"] == 1
    assert math.isnan(table.loc["total", "attributed_revenue"])  # no north deal has an amount
    assert any("1 credit(s) of won deals without an amount" in note for note in explorer.notes)
