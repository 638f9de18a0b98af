"""The quarter forecast (issue 20): the method pinned on hand-made pipelines, backtest, leakage.

Expected values are worked out by hand in each test (the Poisson quantiles from scipy's own
Poisson distribution, an implementation independent of the Monte Carlo under test).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import PROJECT, TINY
from scipy import stats

from helpers.analysis.workbook import Workbook
from helpers.data.periods import Quarter
from helpers.errors import ParameterError
from helpers.metrics.stats import Rate
from helpers.prediction import forecast as fc

SAMPLE = PROJECT / "data" / "sample"


@pytest.fixture(scope="module")
def sample() -> Workbook:
    return Workbook.load(SAMPLE)


def _opps(rows):
    """Opportunities from (id, created, status, amount, closed) rows."""
    frame = pd.DataFrame(
        rows, columns=["opportunity_id", "created_at", "status", "amount", "closed_at"]
    )
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    frame["closed_at"] = pd.to_datetime(frame["closed_at"])
    frame["amount"] = frame["amount"].astype("float64")
    frame["team"] = "north"
    frame["source_type"] = "sales"
    return frame


def _degenerate_pipeline() -> pd.DataFrame:
    """12 reference deals that all win exactly 100 days after creation, and today's pipeline.

    Forecast of 2026Q3 as of 2026-08-01: H = 61 days left. A deal of age a wins before the
    quarter ends with p(a) = won(a) / open(a) over the deals created at least a + 61 days
    earlier: all 12 (created 2026-01-05) are open at any age up to 100 and win at age 100,
    which is before a + 61 only when a > 39. So p(20) = 0/12, p(45) = p(50) = 12/12.
    """
    reference = [
        (f"R{i:02d}", "2026-01-05", "won", 500.0, "2026-04-15") for i in range(12)
    ]  # 100 days
    today = [
        ("D", "2026-06-01", "won", 500.0, "2026-07-10"),  # won so far in 2026Q3
        ("A", "2026-07-12", "open", 1000.0, None),  # age 20: p = 0
        ("B", "2026-06-12", "open", 2000.0, None),  # age 50: p = 1
        ("C", "2026-06-17", "open", None, None),  # age 45: p = 1, no amount
    ]
    return _opps(reference + today)


def test_degenerate_pipeline_gives_an_exact_forecast():
    result = fc.forecast_quarter(
        _degenerate_pipeline(), Quarter(2026, 3), pd.Timestamp("2026-08-01"), simulations=2000
    )
    assert result.available and result.revenue_reason is None
    table = result.win_probabilities
    assert table["age_days"].tolist() == [20, 50, 45]
    assert table["reference_deals"].tolist() == [12, 12, 12]
    assert table["win_probability"].tolist() == [0.0, 1.0, 1.0]
    # New deals: created in the same part of 2026Q2 (from 2026-05-02) are D, B and C, none
    # won by 2026-07-01; 2026Q1's part (from 2026-02-01) has none: win share 0/3, no new wins.
    assert result.history_quarters == ("2026Q2", "2026Q1")
    assert result.new_win_share == Rate(0, 3)
    assert result.new_expected_wins == 0
    # Won: D (500, so far) + B (2000) + C, whose amount is unknown: sized from the amounts
    # won since the history began (the 12 reference deals and D), all 500. Exactly
    # 500 + 2000 + 500 = 3000 in every draw.
    assert result.sized == 1
    assert result.revenue == {"p10": 3000.0, "p50": 3000.0, "p90": 3000.0, "mean": 3000.0}
    assert result.deals == {"p10": 3.0, "p50": 3.0, "p90": 3.0, "mean": 3.0}
    assert (result.won_so_far, result.won_so_far_amount) == (1, 500.0)
    assert (result.open_deals, result.open_expected_wins) == (3, 2.0)
    # The open pipeline's amount is a sum of the known amounts (C has none), never C as 0.
    assert result.open_amount == 3000.0
    assert math.isnan(result.open_expected_revenue)


def test_new_deals_are_poisson_with_the_history_rate():
    """No open deal; 2 deals won in each of 2025Q3 and 2025Q4 (92 days each), all 100.

    Forecast of 2026Q1 (90 days) at its first day: λ = 4 created / 184 days × 4/4 won × 90
    days = 1.9565..., the same scaled count in both quarters (no extra spread), so won deals
    are Poisson(λ) and revenue 100 × that count.
    """
    opps = _opps(
        [
            ("N1", "2025-07-10", "won", 100.0, "2025-08-01"),
            ("N2", "2025-07-20", "won", 100.0, "2025-08-01"),
            ("N3", "2025-10-10", "won", 100.0, "2025-11-01"),
            ("N4", "2025-10-20", "won", 100.0, "2025-11-01"),
        ]
    )
    result = fc.forecast_quarter(opps, Quarter(2026, 1), pd.Timestamp("2026-01-01"))
    expected = 4 / 184 * 90
    assert result.new_expected_wins == pytest.approx(expected)
    # Poisson(1.9565) CDF: 0.141, 0.418, 0.688, 0.864, 0.953 at 0..4, so its 10th, 50th and
    # 90th percentiles are 0, 2 and 4 (margins of 0.03 or more, far beyond the Monte
    # Carlo's 0.004 over 10,000 draws).
    low, median, high = stats.poisson.ppf([0.1, 0.5, 0.9], expected)
    assert (low, median, high) == (0, 2, 4)
    assert (result.deals["p10"], result.deals["p50"], result.deals["p90"]) == (low, median, high)
    assert result.revenue["p50"] == 100 * median and result.revenue["p90"] == 100 * high
    assert result.deals["mean"] == pytest.approx(expected, rel=0.03)


def test_same_seed_same_forecast_other_seed_other_draws(sample):
    opps = sample.dataset["opportunities"]
    quarter, at = Quarter(2026, 2), pd.Timestamp("2026-05-01")
    one = fc.forecast_quarter(opps, quarter, at, simulations=2000)
    two = fc.forecast_quarter(opps, quarter, at, simulations=2000)
    other = fc.forecast_quarter(opps, quarter, at, simulations=2000, seed=1)
    assert one.revenue == two.revenue and one.deals == two.deals
    assert one.revenue != other.revenue
    assert other.revenue["p50"] == pytest.approx(one.revenue["p50"], rel=0.05)


def test_information_after_the_as_of_day_changes_nothing(sample):
    """Rewrite everything after 2025-08-15: the 2025Q3 backtest forecast stays the same."""
    opps = sample.dataset["opportunities"]
    opps = opps[opps["team"] == "emea-smb"].reset_index(drop=True)
    at = pd.Timestamp("2025-08-15")
    quarter = Quarter(2025, 3)
    offset = at - quarter.start
    later = (opps["closed_at"] >= at).to_numpy()
    assert later.sum() > 20  # deals open on that day that closed afterwards
    changed = opps.copy()
    # Deals closed later flip their outcome and close at another time; deals created later
    # vanish, and a big one appears.
    flipped = changed.loc[later, "status"].map({"won": "lost", "lost": "won", "open": "open"})
    changed.loc[later, "status"] = flipped
    changed.loc[later, "closed_at"] = changed.loc[later, "closed_at"] + pd.Timedelta(days=3)
    changed = changed[(changed["created_at"] < at + pd.Timedelta(days=10)).to_numpy()]
    changed = pd.concat(
        [changed, _opps([("Z", "2025-08-20", "won", 5e6, "2025-08-25")]).assign(team="emea-smb")],
        ignore_index=True,
    )
    before = fc.backtest(opps, [quarter], offset, simulations=2000)
    after = fc.backtest(changed, [quarter], offset, simulations=2000)
    forecast_columns = ["p10", "p50", "p90", "deals_p10", "deals_p50", "deals_p90"]
    pd.testing.assert_frame_equal(before[forecast_columns], after[forecast_columns])
    # ... while the actual the forecast is judged against did change.
    assert before["actual"].iloc[0] != after["actual"].iloc[0]


def test_known_at_reconstructs_status_as_of_a_day():
    opps = _opps(
        [
            ("W", "2026-01-05", "won", 10.0, "2026-01-20"),
            ("L", "2026-02-01", "lost", 20.0, "2026-04-10"),  # still open on 2026-04-01
            ("O", "2026-03-01", "open", 30.0, None),
            ("F", "2026-05-01", "won", 40.0, "2026-05-03"),  # created later: unknown
        ]
    )
    known = fc.known_at(opps, pd.Timestamp("2026-04-01"))
    assert known["opportunity_id"].tolist() == ["W", "L", "O"]
    assert known["status"].tolist() == ["won", "open", "open"]
    assert known["closed_at"].isna().tolist() == [False, True, True]
    assert opps.loc[1, "status"] == "lost"  # the input is not modified


def test_coverage_and_median_error_on_a_hand_made_backtest():
    table = pd.DataFrame(
        {
            "p10": [80.0, 80.0, 80.0, 80.0, 80.0, np.nan],
            "p50": [100.0, 100.0, 100.0, 100.0, 100.0, np.nan],
            "p90": [120.0, 120.0, 120.0, 120.0, 120.0, np.nan],
            # inside, on the lower edge, on the upper edge, above, unknown, no forecast
            "actual": [90.0, 80.0, 120.0, 125.0, np.nan, 100.0],
        }
    )
    assert fc.coverage(table) == Rate(3, 4)
    # (P50 − actual) / actual over the 4 known: +1/9, +1/4, −1/6, −1/5.
    errors = fc.median_errors(table.iloc[:5])
    relative = [1 / 9, 1 / 4, -1 / 6, -1 / 5]
    assert errors["mean_error"] == pytest.approx(sum(relative) / 4)
    # |errors| sorted: 1/9, 1/6, 1/5, 1/4 → median (1/6 + 1/5) / 2.
    assert errors["median_abs_error"] == pytest.approx((1 / 6 + 1 / 5) / 2)


def test_backtest_on_the_sample_covers_roughly_eighty_percent(sample):
    """Every team and the company, forecast on the first day of each past quarter."""
    workbook = sample
    tables = []
    for team in ["all", *workbook.dataset.teams]:
        report = fc.team_forecast(workbook, team, simulations=2000)
        assert report.forecast.quarter == Quarter(2026, 4) and report.line is None
        tables.append(report.backtest.assign(team=team))
    table = pd.concat(tables, ignore_index=True)
    assert sorted(set(table["quarter"])) == [
        "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3",
    ]  # fmt: skip
    revenue, deals = fc.coverage(table), fc.coverage(table, "deals_")
    errors = fc.median_errors(table)
    print(
        f"\nbacktest on the sample, {revenue.denominator} team-quarters: 80 % interval "
        f"coverage revenue {revenue.value:.0%}, deals {deals.value:.0%}; median error "
        f"of P50 {errors['median_abs_error']:.0%}, bias {errors['mean_error']:+.0%}"
    )
    assert revenue.denominator == 56
    assert 0.65 <= revenue.value <= 0.95 and 0.65 <= deals.value <= 0.95
    assert errors["median_abs_error"] < 0.3


def test_no_amounts_forecasts_won_deals_only():
    frame = _degenerate_pipeline().assign(amount=np.nan)
    result = fc.forecast_quarter(frame, Quarter(2026, 3), pd.Timestamp("2026-08-01"))
    assert result.revenue_reason.startswith("not in this data: no opportunity amounts")
    assert all(math.isnan(v) for v in result.revenue.values())
    assert result.deals["p50"] == 3.0


def test_too_few_quarters_is_not_in_this_data():
    frame = _degenerate_pipeline()
    result = fc.forecast_quarter(frame, Quarter(2026, 2), pd.Timestamp("2026-05-01"))
    assert not result.available
    assert result.reason == (
        "not in this data: 1 complete quarter(s) of opportunities before 2026-05-01, the "
        "forecast needs at least 2"
    )


def test_no_open_deals_in_the_data_is_said_in_one_line(tmp_path):
    import shutil

    shutil.copytree(SAMPLE, tmp_path / "data")
    path = tmp_path / "data" / "opportunities.csv"
    opps = pd.read_csv(path)
    opps[opps["status"] != "open"].to_csv(path, index=False)
    report = fc.team_forecast(Workbook.load(tmp_path / "data"), "emea-ent", simulations=500)
    assert report.line == (
        "Not in this data: no open opportunities (the data hold won and lost deals only), so "
        "no open pipeline to forecast from."
    )
    assert len(report.backtest) == 8  # the past can still be tested
    assert report.to_dict()["available"] is False


@pytest.mark.parametrize(
    ("quarter", "as_of", "message"),
    [
        ("2027Q1", None, "quarter 2027Q1 cannot be forecast"),
        ("2026Q2", "2026-09-01", "as-of day 2026-09-01 is outside 2026Q2"),
        ("2026Q4", "2026-11-01", "as-of day 2026-11-01 is outside 2026Q4"),
        ("2026Q2", "soon", "as-of day 'soon' is not a date"),
    ],
    ids=["after-the-data", "outside-the-quarter", "after-the-as-of-date", "not-a-date"],
)
def test_bad_parameters_are_refused(quarter, as_of, message):
    with pytest.raises(ParameterError, match=message):
        fc.team_forecast(Workbook.load(TINY), "all", quarter, as_of)


def _cli(*args):
    """Run ``workbook ARGS`` in this process (click's runner): exit code, stdout, stderr."""
    from click.testing import CliRunner

    from helpers.cli import main

    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_json_and_the_one_line_without_enough_history():
    code, out, err = _cli("forecast", "--data", str(TINY), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "alignment-workbook/forecast/v1"
    assert (doc["quarter"], doc["as_of"], doc["available"]) == ("2026Q4", "2026-10-01", False)
    assert doc["reason"].startswith("Not in this data: 1 complete quarter(s) of opportunities")
    assert doc["won_revenue"]["p50"] is None  # null, never 0
    assert doc["backtest"]["quarters"] == []
    code, out, _ = _cli("forecast", "--data", str(TINY))
    assert code == 0 and "Not in this data: 1 complete quarter(s)" in out
    code, _, err = _cli("forecast", "--data", str(TINY), "--quarter", "2026Q9")
    assert code == 2 and "Traceback" not in err
    assert err.startswith("error: quarter '2026Q9' is not well formed")


def test_metrics_json_carries_the_review_forecast():
    code, out, err = _cli("metrics", "--data", str(SAMPLE), "--team", "na-smb", "--format", "json")
    assert code == 0, err
    forecast = json.loads(out)["forecast"]
    # The report quarter 2026Q3 is complete: the review forecasts 2026Q4 from its end.
    assert (forecast["quarter"], forecast["as_of"], forecast["available"]) == (
        "2026Q4",
        "2026-10-01",
        True,
    )
    revenue = forecast["won_revenue"]
    assert revenue["p10"] <= revenue["p50"] <= revenue["p90"]
    assert forecast["backtest"]["revenue_coverage"]["quarters"] == 8
    assert forecast["method"] == fc.METHOD


def _hand_backtest() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "quarter": ["2026Q1", "2026Q2"],
            "as_of": pd.to_datetime(["2026-01-01", "2026-04-01"]),
            "p10": [80.0, 90.0],
            "p50": [100.0, 110.0],
            "p90": [120.0, 130.0],
            "actual": [110.0, 150.0],  # inside, then missed
            "covered": [True, False],
            "error": [-10 / 110, -40 / 150],
            "deals_p10": [1.0, 2.0],
            "deals_p50": [2.0, 3.0],
            "deals_p90": [3.0, 4.0],
            "deals_actual": [2.0, 3.0],
            "deals_covered": [True, True],
            "deals_error": [0.0, 0.0],
        }
    )


def test_chart_draws_each_interval_and_marks_the_miss():
    import matplotlib.pyplot as plt

    from helpers.display.forecast_plots import forecast_intervals

    _, ax = plt.subplots()
    forecast = {"quarter": "2026Q3", "p10": 100.0, "p50": 120.0, "p90": 140.0}
    forecast_intervals(_hand_backtest(), forecast=forecast, ax=ax)
    intervals = [seg for c in ax.collections for seg in c.get_segments()]
    assert [tuple(seg[:, 1]) for seg in intervals] == [(80, 120), (90, 130), (100, 140)]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2026Q1", "2026Q2", "2026Q3"]
    # The forecast quarter's interval is in the accent colour, the backtest's in another.
    colours = [tuple(c) for c in ax.collections[0].get_colors()]
    assert colours[0] == colours[1] != colours[2]
    actuals = [
        (line.get_marker(), float(x), float(y))
        for line in ax.lines
        if line.get_marker() in ("o", "X")
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)
    ]
    assert actuals == [("o", 0.0, 110.0), ("X", 1.0, 150.0)]  # 150 lies above the P90 of 130
    medians = sorted(
        (float(x), float(y))
        for line in ax.lines
        if line.get_marker() == "_"
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)
    )
    assert medians == [(0.0, 100.0), (1.0, 110.0), (2.0, 120.0)]


def test_chart_without_anything_to_draw_says_so():
    import matplotlib.pyplot as plt

    from helpers.display.forecast_plots import forecast_intervals

    _, ax = plt.subplots()
    forecast_intervals(_hand_backtest().iloc[:0], ax=ax, empty="Nothing here.")
    assert not ax.axison and [t.get_text() for t in ax.texts] == ["Nothing here."]


def test_section_tables_say_what_the_forecast_rests_on():
    from helpers.reports.forecast_formats import backtest_lines, backtest_tables, parts_table

    result = fc.forecast_quarter(
        _degenerate_pipeline(), Quarter(2026, 3), pd.Timestamp("2026-08-01"), simulations=500
    )
    report = fc.ForecastReport("north", "North", result, _hand_backtest(), currency="EUR")
    parts = parts_table(report).set_index("part")["value"]
    assert parts["Won so far"] == "1 won deal"
    assert parts["Open pipeline"] == "3 opportunities"
    assert parts["Deals without an amount"] == "1"
    tables = backtest_tables(report)
    revenue, deals = tables["Won revenue"], tables["Won deals"]
    assert revenue["in P10–P90"].tolist() == ["yes", "no"]
    assert revenue["actual"].tolist() == ["€110", "€150"]
    assert revenue["P50 vs actual"].tolist() == ["-9%", "-27%"]  # -10/110, -40/150
    assert deals["P90"].tolist() == ["3", "4"] and deals["in P10–P90"].tolist() == ["yes", "yes"]
    revenue_line = backtest_lines(report)[0]
    assert revenue_line.startswith("Won revenue: the 80 % interval held the actual in 1 of 2")
    # |error|: 10/110 and 40/150, median of the two = (0.0909 + 0.2667) / 2 = 18 %.
    assert "off by 18% in a typical quarter" in revenue_line


def test_history_quarters_follow_a_february_fiscal_year():
    """FY2027 starts in February 2026: 2027Q1 = Feb-Apr, 2027Q2 = May-Jul, 2027Q3 = Aug-Oct."""
    at = pd.Timestamp("2026-08-01")
    quarter = Quarter.containing(at, 2)
    assert (str(quarter), quarter.start, quarter.end) == (
        "2027Q3",
        pd.Timestamp("2026-08-01"),
        pd.Timestamp("2026-11-01"),
    )
    # The first deal (2026-01-05) is in 2026Q4 (Nov 2025 - Jan 2026); complete by 08-01 are
    # 2027Q2, 2027Q1 and 2026Q4, newest first.
    history = fc.history_quarters(_degenerate_pipeline(), quarter, at, 4)
    assert [str(q) for q in history] == ["2027Q2", "2027Q1", "2026Q4"]
    assert [q.start for q in history] == list(
        pd.to_datetime(["2026-05-01", "2026-02-01", "2025-11-01"])
    )


def test_a_data_set_without_amounts_forecasts_won_deals_and_says_why_not_revenue(tmp_path):
    import shutil

    shutil.copytree(SAMPLE, tmp_path / "data")
    path = tmp_path / "data" / "opportunities.csv"
    opps = pd.read_csv(path)
    opps.assign(amount=None).to_csv(path, index=False)
    report = fc.team_forecast(Workbook.load(tmp_path / "data"), "na-smb", simulations=500)
    assert report.line is None
    assert report.forecast.revenue_reason.startswith("not in this data: no opportunity amounts")
    doc = report.to_dict()
    assert doc["won_revenue"]["p50"] is None and doc["won_deals"]["p50"] > 0
    # The actuals have no amount either: revenue is tested in no quarter, won deals in all 8.
    assert doc["backtest"]["revenue_coverage"]["quarters"] == 0
    assert doc["backtest"]["deals_coverage"]["quarters"] == 8
    # The section shows won deals only, and says in one line why not revenue.
    from helpers.reports.forecast_formats import backtest_lines, backtest_tables, forecast_table

    assert forecast_table(report)["figure"].tolist() == ["Won deals"]
    assert list(backtest_tables(report)) == ["Won deals"]
    assert [line.split(":")[0] for line in backtest_lines(report)] == ["Won deals"]


def test_history_before_a_partial_read_is_not_used():
    """A database read from 2026-01-01 holds older deals only if they closed later or are open.

    The 12 reference deals, created 2025-12-30, would be such survivors: they must not stand
    for the deals of their age, so with the read starting 2026-01-01 there is no forecast.
    """
    frame = _degenerate_pipeline()
    reference = frame["opportunity_id"].str.startswith("R")
    frame.loc[reference, "created_at"] = pd.Timestamp("2025-12-30")
    frame.loc[reference, "closed_at"] = pd.Timestamp("2026-04-09")  # still 100 days later
    quarter, at = Quarter(2026, 3), pd.Timestamp("2026-08-01")
    whole = fc.forecast_quarter(frame, quarter, at, simulations=500)
    assert whole.available and whole.deals["p50"] == 3.0  # as in the exact example
    partial = fc.forecast_quarter(
        frame, quarter, at, simulations=500, history_start=pd.Timestamp("2026-01-01")
    )
    assert partial.history_quarters == ("2026Q2", "2026Q1")
    assert partial.reason.startswith("not in this data: fewer than 10 opportunities created")


def test_a_report_read_from_a_later_start_backtests_only_what_it_read(sample):
    from helpers.data.database import Scope

    narrowed = Workbook(sample.dataset, Scope(since=pd.Timestamp("2025-01-01")))
    report = fc.team_forecast(narrowed, "emea-smb", simulations=500)
    # History from 2025Q1: the first quarter with two complete quarters before it is 2025Q3.
    assert report.backtest["quarter"].tolist() == ["2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert report.line is None and report.forecast.history_quarters[-1] == "2025Q4"
