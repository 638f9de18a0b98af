"""Pipeline and revenue metrics on small literal tables, every expected value worked out by hand.

The window is 2026Q3 = [1 Jul 2026, 1 Oct 2026). The opportunities of ``OPPS``:

| id | team  | source    | created    | status | amount | closed     | days |
|----|-------|-----------|------------|--------|--------|------------|------|
| P1 | north | marketing | 2026-07-05 | won    | 1000   | 2026-08-04 | 30   |
| P2 | north | sales     | 2026-07-10 | lost   | 500    | 2026-09-01 |      |
| P3 | north | partner   | 2026-08-01 | open   | NaN    |            |      |
| P4 | north | marketing | 2026-04-01 | won    | 3000   | 2026-07-11 | 101  |
| P5 | south | sales     | 2026-09-20 | won    | 2000   | 2026-09-30 | 10   |
| P6 | south | marketing | 2026-06-01 | lost   | 800    | 2026-10-02 |      |
| P7 | north | sales     | 2026-09-15 | open   | 700    |            |      |
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.data.source import load_dataset
from helpers.metrics.pipeline import (
    SOURCE_TYPES,
    WON_DEALS,
    Amount,
    amount_of,
    amount_reason,
    amounts_line,
    average_deal_size,
    count_of,
    marketing_sourced_share,
    open_at,
    pipeline_created,
    sales_cycle_days,
    sales_velocity,
    win_rate,
    won_deals,
    won_revenue,
)

Q3_START = pd.Timestamp("2026-07-01")
Q3_END = pd.Timestamp("2026-10-01")
Q1_START = pd.Timestamp("2026-01-01")
Q1_END = pd.Timestamp("2026-04-01")

NAN = math.nan
COLUMNS = [
    "opportunity_id",
    "team",
    "created_at",
    "status",
    "amount",
    "closed_at",
    "lead_id",
    "account_id",
    "source_type",
]


def opportunities(rows: list[tuple]) -> pd.DataFrame:
    """Typed like ``load_dataset``: nullable strings, datetime64[ns], float amounts."""
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("opportunity_id", "team", "status", "lead_id", "account_id", "source_type"):
        frame[column] = frame[column].astype("string")
    for column in ("created_at", "closed_at"):
        frame[column] = pd.to_datetime(frame[column], format="ISO8601").astype("datetime64[ns]")
    frame["amount"] = frame["amount"].astype("float64")
    return frame


OPPS = opportunities(
    [
        ("P1", "north", "2026-07-05", "won", 1000.0, "2026-08-04", "L1", "A1", "marketing"),
        ("P2", "north", "2026-07-10", "lost", 500.0, "2026-09-01", None, "A2", "sales"),
        ("P3", "north", "2026-08-01", "open", None, None, "L3", "A3", "partner"),
        ("P4", "north", "2026-04-01", "won", 3000.0, "2026-07-11", "L4", "A4", "marketing"),
        ("P5", "south", "2026-09-20", "won", 2000.0, "2026-09-30", None, None, "sales"),
        ("P6", "south", "2026-06-01", "lost", 800.0, "2026-10-02", "L6", "A6", "marketing"),
        ("P7", "north", "2026-09-15", "open", 700.0, None, None, "A7", "sales"),
    ]
)


def by_source(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("source_type")


def test_pipeline_created_by_source_type():
    # Created in Q3: P1 (marketing 1000), P2, P5, P7 (sales 500 + 2000 + 700 = 3200),
    # P3 (partner, no amount: partner's amount is not in this data, NaN, not 0; the total is
    # that of the 4 with an amount). P4 and P6 were created before July.
    table = pipeline_created(OPPS, Q3_START, Q3_END)
    expected = pd.DataFrame(
        {
            "source_type": ["marketing", "sales", "partner", "total"],
            "opportunities": [1, 3, 1, 5],
            "amount": [1000.0, 3200.0, NAN, 4200.0],
            "missing_amount": [0, 0, 1, 1],
            "share": [1000 / 4200, 3200 / 4200, NAN, 1.0],
        }
    )
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    assert marketing_sourced_share(OPPS, Q3_START, Q3_END) == pytest.approx(1000 / 4200)
    total = amount_of(table)
    assert (total.value, total.deals, total.missing, total.counted) == (4200.0, 5, 1, 4)
    assert total.basis() == "from 4 of 5 opportunities; 1 without an amount"


def test_won_revenue_by_source_type():
    # Won and closed in Q3: P1 (1000) and P4 (3000, created in Q2) marketing; P5 (2000) sales.
    table = won_revenue(OPPS, Q3_START, Q3_END)
    expected = pd.DataFrame(
        {
            "source_type": ["marketing", "sales", "partner", "total"],
            "opportunities": [2, 1, 0, 3],
            "amount": [4000.0, 2000.0, 0.0, 6000.0],
            "missing_amount": [0, 0, 0, 0],
            "share": [4000 / 6000, 2000 / 6000, 0.0, 1.0],
        }
    )
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


def test_win_rate_deal_size_cycle_and_velocity():
    # Closed in Q3: won P1, P4, P5; lost P2. P6 was lost on 2 Oct, after the window.
    rate = win_rate(OPPS, Q3_START, Q3_END)
    assert (rate.numerator, rate.denominator) == (3, 4)
    assert rate.small_sample
    # (1000 + 3000 + 2000) / 3
    assert average_deal_size(OPPS, Q3_START, Q3_END) == 2000.0
    # Days created -> closed: P1 30, P4 101 (30 + 31 + 30 + 10), P5 10; median 30.
    assert sales_cycle_days(OPPS, Q3_START, Q3_END) == 30.0
    # Open on 1 Oct: P3, P7 (open) and P6 (closed 2 Oct, so still open then): 3.
    assert sorted(open_at(OPPS, Q3_END)["opportunity_id"]) == ["P3", "P6", "P7"]
    # 3 open x 0.75 x 2000 / 30 days = 150 a day.
    assert sales_velocity(OPPS, Q3_START, Q3_END) == pytest.approx(150.0)


def test_quarter_without_closed_deals():
    # Nothing created or closed in 2026Q1.
    rate = win_rate(OPPS, Q1_START, Q1_END)
    assert rate.denominator == 0
    assert math.isnan(rate.value)
    assert str(rate) == "n/a (0 observations)"
    assert math.isnan(average_deal_size(OPPS, Q1_START, Q1_END))
    assert math.isnan(sales_cycle_days(OPPS, Q1_START, Q1_END))
    assert math.isnan(sales_velocity(OPPS, Q1_START, Q1_END))
    table = by_source(pipeline_created(OPPS, Q1_START, Q1_END))
    assert table["opportunities"].tolist() == [0, 0, 0, 0]
    assert table["amount"].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert table["share"].isna().all()
    assert math.isnan(marketing_sourced_share(OPPS, Q1_START, Q1_END))
    assert won_revenue(OPPS, Q1_START, Q1_END)["share"].isna().all()


def test_empty_table_gives_zeros_and_nan():
    empty = OPPS.iloc[:0]
    table = by_source(pipeline_created(empty, Q3_START, Q3_END))
    assert table.index.tolist() == ["marketing", "sales", "partner", "total"]
    assert table["opportunities"].sum() == 0
    assert win_rate(empty, Q3_START, Q3_END).denominator == 0
    assert math.isnan(sales_velocity(empty, Q3_START, Q3_END))


def test_some_won_amounts_missing_sum_the_known_ones_and_count_the_others():
    opps = OPPS.copy()
    opps.loc[opps["opportunity_id"] == "P1", "amount"] = np.nan
    revenue = won_revenue(opps, Q3_START, Q3_END)
    table = by_source(revenue)
    # Marketing: P1 (no amount, left out) + P4 3000; sales P5 2000.
    assert table.loc["marketing", "amount"] == 3000.0
    assert table.loc["marketing", "missing_amount"] == 1
    assert table.loc["total", "amount"] == 5000.0
    won = amount_of(revenue, noun=WON_DEALS)
    assert (won.value, won.basis()) == (5000.0, "from 2 of 3 won deals; 1 without an amount")
    assert amount_reason(revenue) is None  # some amounts: a value, not "not in this data"
    # The count of won deals needs no amount: P1, P4, P5.
    assert won_deals(opps, Q3_START, Q3_END) == 3
    # Mean of the known amounts: (3000 + 2000) / 2.
    assert average_deal_size(opps, Q3_START, Q3_END) == 2500.0


def test_zero_day_cycle_gives_nan_velocity():
    opps = opportunities(
        [
            (
                "Z1",
                "north",
                "2026-07-01 10:00",
                "won",
                100.0,
                "2026-07-01 10:00",
                None,
                "A",
                "sales",
            ),
            ("Z2", "north", "2026-07-02", "open", 50.0, None, None, "B", "sales"),
        ]
    )
    assert sales_cycle_days(opps, Q3_START, Q3_END) == 0.0
    assert math.isnan(sales_velocity(opps, Q3_START, Q3_END))


def test_nothing_open_gives_zero_velocity():
    # Only P1 (won, 30 days): 0 open x 1.0 x 1000 / 30 = 0.
    opps = OPPS[OPPS["opportunity_id"] == "P1"]
    assert sales_velocity(opps, Q3_START, Q3_END) == 0.0


def test_other_and_missing_source_types_get_their_own_rows():
    opps = OPPS.copy()
    opps.loc[opps["opportunity_id"] == "P2", "source_type"] = "event"
    opps.loc[opps["opportunity_id"] == "P7", "source_type"] = pd.NA
    table = by_source(pipeline_created(opps, Q3_START, Q3_END))
    assert table.index.tolist() == [*SOURCE_TYPES, "(missing)", "event", "total"]
    assert table.loc["event", "amount"] == 500.0
    assert table.loc["(missing)", "amount"] == 700.0
    assert table.loc["total", "amount"] == 4200.0


def test_inputs_are_not_modified():
    before = OPPS.copy()
    pipeline_created(OPPS, Q3_START, Q3_END)
    won_revenue(OPPS, Q3_START, Q3_END)
    sales_velocity(OPPS, Q3_START, Q3_END)
    pd.testing.assert_frame_equal(OPPS, before)


def test_on_the_tiny_fixture_as_loaded(tiny_dir):
    # O1 north marketing won 1000; O2 north sales lost 500; O3 south lead-less won 2000
    # (source type defaulted to sales by the loader).
    opps = load_dataset(tiny_dir).tables["opportunities"]
    rate = win_rate(opps, Q3_START, Q3_END)
    assert (rate.numerator, rate.denominator) == (2, 3)
    table = by_source(won_revenue(opps, Q3_START, Q3_END))
    assert table["amount"].tolist() == [1000.0, 2000.0, 0.0, 3000.0]
    north = opps[opps["team"] == "north"]
    assert win_rate(north, Q3_START, Q3_END).value == 0.5  # O1 won, O2 lost


# --- properties ------------------------------------------------------------------------------

BASE = pd.Timestamp("2026-05-01")

opportunity_rows = st.lists(
    st.tuples(
        st.sampled_from(["north", "south", "west"]),
        st.sampled_from(SOURCE_TYPES),
        st.sampled_from(["open", "won", "lost"]),
        st.integers(0, 200),  # created, days after 1 May 2026
        st.integers(0, 120),  # cycle in days
        st.one_of(st.none(), st.integers(0, 10_000)),  # amount, whole units
    ),
    max_size=30,
)


def _generated(rows: list[tuple]) -> pd.DataFrame:
    records = []
    for i, (team, source, status, created, cycle, amount) in enumerate(rows):
        created_at = BASE + pd.Timedelta(days=created)
        closed_at = None if status == "open" else created_at + pd.Timedelta(days=cycle)
        amount = None if amount is None else float(amount)
        records.append((f"G{i}", team, created_at, status, amount, closed_at, None, None, source))
    return opportunities(records)


@settings(derandomize=True, max_examples=50, deadline=None)
@given(opportunity_rows)
def test_properties_rates_shares_and_team_sums(rows):
    opps = _generated(rows)
    rate = win_rate(opps, Q3_START, Q3_END)
    assert rate.denominator == 0 or 0.0 <= rate.value <= 1.0

    for metric in (pipeline_created, won_revenue):
        table = by_source(metric(opps, Q3_START, Q3_END))
        parts = table.drop(index="total")
        total = table.loc["total", "amount"]
        if total > 0:
            assert parts["share"].sum() == pytest.approx(1.0)  # rows without amounts: NaN
        else:
            assert table["share"].isna().all()
        # A row's amount is not in this data exactly when it has deals and none has an amount.
        unknown = (table["opportunities"] > 0) & (table["missing_amount"] == table["opportunities"])
        assert (table["amount"].isna() == unknown).all()
        # The total is the sum of the known amounts (0 when there are none).
        assert parts["amount"].sum() == (0.0 if math.isnan(total) else total)
        assert parts["opportunities"].sum() == table.loc["total", "opportunities"]

        teams = [by_source(metric(g, Q3_START, Q3_END)) for _, g in opps.groupby("team")]
        for column in ("opportunities", "missing_amount"):
            summed = sum(t.loc["total", column] for t in teams)
            assert summed == table.loc["total", column]
        known = sum(
            t.loc["total", "amount"] for t in teams if not math.isnan(t.loc["total", "amount"])
        )
        assert known == (0.0 if math.isnan(total) else total)


# --- missing amounts: not in this data, or computed on the deals that have one -------------


def test_all_amounts_missing_is_not_in_this_data_never_zero():
    opps = OPPS.assign(amount=NAN)
    created = pipeline_created(opps, Q3_START, Q3_END)
    # Created in Q3: P1 marketing, P2 P5 P7 sales, P3 partner; none with an amount.
    table = by_source(created)
    assert table["amount"].isna().all()
    assert table["share"].isna().all()
    assert table["missing_amount"].tolist() == [1, 3, 1, 5]
    total = amount_of(created)
    assert math.isnan(total.value) and math.isnan(float(total)) and not total.known
    assert (total.deals, total.missing, total.counted) == (5, 5, 0)
    assert amount_reason(created) == (
        "not in this data: no opportunity amounts (5 opportunities without an amount)"
    )
    revenue = won_revenue(opps, Q3_START, Q3_END)  # P1, P4, P5 won in Q3
    assert amount_reason(revenue, noun=WON_DEALS) == (
        "not in this data: no opportunity amounts (3 won deals without an amount)"
    )
    assert math.isnan(marketing_sourced_share(opps, Q3_START, Q3_END))
    assert math.isnan(average_deal_size(opps, Q3_START, Q3_END))
    # No deal size, so no velocity; the counts need no amount and keep their values.
    assert math.isnan(sales_velocity(opps, Q3_START, Q3_END))
    assert won_deals(opps, Q3_START, Q3_END) == 3
    assert (
        win_rate(opps, Q3_START, Q3_END).numerator,
        win_rate(opps, Q3_START, Q3_END).denominator,
    ) == (3, 4)
    assert sales_cycle_days(opps, Q3_START, Q3_END) == 30.0
    assert amounts_line(created, revenue) == (
        "Not in this data: no opportunity amounts (5 opportunities created and 3 won deals in "
        "the quarter, none with an amount), so no pipeline created, won revenue, average deal "
        "size, sales velocity or marketing-sourced pipeline share."
    )


def test_an_empty_quarter_is_a_genuine_zero_not_missing():
    created = pipeline_created(OPPS.assign(amount=NAN), Q1_START, Q1_END)
    total = amount_of(created)
    assert (total.value, total.deals, total.missing, total.basis()) == (0.0, 0, 0, "")
    assert amount_reason(created) is None
    assert amounts_line(created, won_revenue(OPPS, Q1_START, Q1_END)) is None


def test_marketing_share_without_marketing_amounts_is_not_in_this_data():
    # P1, the only marketing opportunity created in Q3, has no amount; sales has 3200.
    opps = OPPS.copy()
    opps.loc[opps["opportunity_id"] == "P1", "amount"] = np.nan
    created = pipeline_created(opps, Q3_START, Q3_END)
    assert math.isnan(marketing_sourced_share(opps, Q3_START, Q3_END))
    assert amount_reason(created, ("total", "marketing")) == (
        "not in this data: no opportunity amounts (1 marketing-sourced opportunity without an "
        "amount)"
    )
    # Sales 3200 of the 3200 known (P3 partner and P1 marketing have none).
    assert by_source(created).loc["sales", "share"] == 1.0
    assert amounts_line(created, won_revenue(opps, Q3_START, Q3_END)) == (
        "Opportunities without an amount: pipeline created is from 3 of 5 opportunities (2 "
        "without an amount); won revenue is from 2 of 3 won deals (1 without an amount). "
        "Average deal size, sales velocity and the marketing-sourced pipeline share use only "
        "the deals with an amount; none counts as 0."
    )


def test_some_amounts_missing_velocity_uses_the_known_deal_sizes():
    # P4 (won, 3000) loses its amount: deal size (1000 + 2000) / 2 = 1500; velocity
    # 3 open x 3/4 x 1500 / 30 days = 112.5 a day.
    opps = OPPS.copy()
    opps.loc[opps["opportunity_id"] == "P4", "amount"] = np.nan
    assert average_deal_size(opps, Q3_START, Q3_END) == 1500.0
    assert sales_velocity(opps, Q3_START, Q3_END) == pytest.approx(112.5)


def test_amount_value_and_phrases():
    assert Amount(0.0, 1, 1, WON_DEALS).basis() == (
        "not in this data: no opportunity amounts (1 won deal without an amount)"
    )
    complete = Amount(1234.0, 3, 0)
    assert (complete == 1234.0, complete.basis(), complete.known) == (True, "", True)
    # A number: team amounts add up to a plain float; a copy keeps its deals.
    assert Amount(1.0, 1, 0) + Amount(2.0, 2, 1) == 3.0
    restored = pickle.loads(pickle.dumps(Amount(5.0, 3, 1, WON_DEALS)))
    assert (restored, restored.deals, restored.missing, restored.noun) == (5.0, 3, 1, WON_DEALS)
    assert Amount(10.0, 2, 1).partial and not Amount(10.0, 2, 0).partial
    assert not Amount(0.0, 2, 2).partial
    assert count_of(2, "marketing-sourced opportunities") == "2 marketing-sourced opportunities"
    assert count_of(1, "marketing-sourced opportunities") == "1 marketing-sourced opportunity"
