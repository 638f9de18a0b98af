"""Fiscal quarters, the business-hours clock and rate statistics, against hand-worked values."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.data.clock import add_business_hours, business_hours_between
from helpers.data.config import BusinessHours, config_from_dict
from helpers.data.periods import Quarter, quarter_labels
from helpers.errors import ConfigError, ParameterError
from helpers.metrics.stats import (
    Rate,
    compare_rates,
    rate_columns,
    two_sided_normal_p,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("when", "start_month", "expected"),
    [
        ("2026-07-01", 1, "2026Q3"),
        ("2026-12-31", 1, "2026Q4"),
        # February start: February 2026 opens FY2027 (named after the year it ends in).
        ("2026-02-01", 2, "2027Q1"),
        ("2026-01-31", 2, "2026Q4"),
        ("2026-05-01", 2, "2027Q2"),
        ("2027-01-15", 2, "2027Q4"),
        # July start: July 2025 to June 2026 is FY2026.
        ("2025-07-01", 7, "2026Q1"),
        ("2026-06-30", 7, "2026Q4"),
    ],
    ids=[
        "cal-q3",
        "cal-q4",
        "feb-opens-fy",
        "feb-jan-closes",
        "feb-q2",
        "feb-q4",
        "jul-q1",
        "jul-q4",
    ],
)
def test_fiscal_quarter_of_a_date(when, start_month, expected):
    assert str(Quarter.containing(pd.Timestamp(when), start_month)) == expected
    labels = quarter_labels(pd.Series(pd.to_datetime([when])), start_month)
    assert labels.tolist() == [expected]


@pytest.mark.parametrize(
    ("text", "start_month", "start", "end"),
    [
        ("2026Q3", 1, "2026-07-01", "2026-10-01"),
        ("2027Q1", 2, "2026-02-01", "2026-05-01"),
        ("2027Q4", 2, "2026-11-01", "2027-02-01"),
        ("2026Q1", 7, "2025-07-01", "2025-10-01"),
    ],
    ids=["calendar", "feb-q1", "feb-q4", "jul-q1"],
)
def test_quarter_bounds(text, start_month, start, end):
    q = Quarter.parse(text, start_month)
    assert (q.start, q.end) == (pd.Timestamp(start), pd.Timestamp(end))


def test_quarter_shift_crosses_years():
    q = Quarter.parse("2026Q1")
    assert str(q.shift(-1)) == "2025Q4"
    assert str(q.shift(-4)) == "2025Q1"
    assert str(q.shift(7)) == "2027Q4"


@pytest.mark.parametrize("text", ["2026Q5", "2026q3", "26Q3", "../2026Q3", "2026Q3/x", ""])
def test_malformed_quarter_is_refused(text):
    with pytest.raises(ParameterError, match="not well formed"):
        Quarter.parse(text)


@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)), st.integers(1, 12))
def test_every_date_lies_within_its_quarter(day, start_month):
    ts = pd.Timestamp(day)
    q = Quarter.containing(ts, start_month)
    assert q.start <= ts < q.end
    assert Quarter.parse(str(q), start_month) == q


BH = BusinessHours()


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2026-07-01 10:00", "2026-07-01 12:30", 2.5),  # same day
        ("2026-07-03 16:00", "2026-07-06 10:00", 2.0),  # Friday to Monday over a weekend
        ("2026-07-01 18:00", "2026-07-02 08:00", 0.0),  # night only
        ("2026-07-04 12:00", "2026-07-05 12:00", 0.0),  # weekend only
        ("2026-07-01 08:00", "2026-07-08 08:00", 40.0),  # one full working week
        ("2026-07-01 12:00", "2026-07-01 10:00", -2.0),  # end before start
    ],
    ids=["same-day", "weekend", "night", "weekend-only", "full-week", "negative"],
)
def test_business_hours_between(start, end, hours):
    s = pd.Series(pd.to_datetime([start]))
    e = pd.Series(pd.to_datetime([end]))
    assert business_hours_between(s, e, BH).iloc[0] == pytest.approx(hours)


def test_holidays_stop_the_clock():
    # Thursday 2 July 2026 declared a holiday: Wed 16:00 -> Fri 10:00 is 1 + 1 hours.
    hours = BusinessHours(holidays=(date(2026, 7, 2),))
    s = pd.Series(pd.to_datetime(["2026-07-01 16:00"]))
    e = pd.Series(pd.to_datetime(["2026-07-03 10:00"]))
    assert business_hours_between(s, e, hours).iloc[0] == 2.0
    assert business_hours_between(s, e, BH).iloc[0] == 10.0


def test_missing_timestamps_give_nan():
    s = pd.Series(pd.to_datetime(["2026-07-01 10:00", None]))
    e = pd.Series(pd.to_datetime([None, "2026-07-01 10:00"]))
    assert business_hours_between(s, e, BH).isna().all()


@given(
    st.datetimes(
        pd.Timestamp("2020-01-01").to_pydatetime(), pd.Timestamp("2030-01-01").to_pydatetime()
    ),
    st.floats(0, 500, allow_nan=False),
)
def test_adding_business_hours_round_trips(start, hours):
    s = pd.Series([pd.Timestamp(start)])
    later = add_business_hours(s, np.array([hours]), BH)
    # Positions are float hours since 1970: exact to well under a microsecond.
    assert later.iloc[0] >= s.iloc[0] - pd.Timedelta(microseconds=1)
    assert business_hours_between(s, later, BH).iloc[0] == pytest.approx(
        hours + business_hours_between(s, s, BH).iloc[0], abs=1e-6
    )


def test_business_hours_config_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"business_hours.end.*after business_hours.start"):
        config_from_dict({"business_hours": {"start": "17:00", "end": "09:00"}})
    with pytest.raises(ConfigError, match="'fiscal_year_start_month' is 0"):
        config_from_dict({"fiscal_year_start_month": 0})


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Published Wilson intervals, Newcombe (1998) Stat Med 17:857, Table I, method 3.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
    ids=["81-of-263", "15-of-148", "0-of-20", "1-of-29"],
)
def test_wilson_interval_matches_newcombe(k, n, low, high):
    lo, hi = wilson_interval(k, n)
    assert float(lo) == pytest.approx(low, abs=1e-4)
    assert float(hi) == pytest.approx(high, abs=1e-4)


def test_rate_with_no_observations():
    rate = Rate(0, 0)
    assert np.isnan(rate.value)
    assert rate.small_sample
    assert str(rate) == "n/a (0 observations)"
    table = rate_columns([0, 5], [0, 40])
    assert np.isnan(table.loc[0, "rate"]) and table.loc[1, "rate"] == 0.125
    assert table["small_sample"].tolist() == [True, False]


@given(st.integers(0, 500), st.integers(0, 500))
def test_rates_and_intervals_lie_in_unit_interval(k, extra):
    n = k + extra
    table = rate_columns([k], [n])
    if n:
        row = table.iloc[0]
        assert 0 <= row["ci_low"] <= row["rate"] <= row["ci_high"] <= 1


def test_change_uses_z_test_for_large_counts():
    # 40/100 vs 60/100: pooled p = 0.5, se = sqrt(0.25 * 0.02) = 0.0707, z = 2.828, p = 0.00468.
    change = compare_rates(Rate(40, 100), Rate(60, 100))
    assert change.test == "z-test"
    assert change.p_value == pytest.approx(0.004678, abs=1e-5)
    assert change.significant
    assert change.difference == pytest.approx(0.2)


def test_change_uses_fisher_for_small_counts():
    # Fisher's tea-tasting table [[3, 1], [1, 3]]: two-sided p = 34/70 = 0.4857.
    change = compare_rates(Rate(3, 4), Rate(1, 4))
    assert change.test == "fisher"
    assert change.p_value == pytest.approx(34 / 70, abs=1e-4)
    assert not change.significant


def test_change_with_an_empty_side_is_not_tested():
    change = compare_rates(Rate(0, 0), Rate(5, 10))
    assert change.test == "none" and not change.significant


@given(st.floats(min_value=-40, max_value=40, allow_nan=False))
def test_two_sided_normal_p_is_scipys_to_the_last_bit(z):
    # The independent reference is scipy.stats itself, which the workbook no longer imports.
    from scipy.stats import norm

    assert two_sided_normal_p(z) == 2 * float(norm.sf(abs(z)))


def test_loading_a_data_set_does_not_import_scipy_stats():
    # scipy.stats adds about 60 MB to every process that loads data (issue 18); it is imported
    # only for Fisher's exact test of a small sample. A fresh process: this one imported it.
    code = (
        "import sys; from helpers.analysis.workbook import Workbook; "
        "Workbook.load('data/sample'); "
        "print('scipy.stats' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "WORKBOOK_CACHE_DIR": ""}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
