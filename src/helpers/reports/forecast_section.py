"""The report's quarter-forecast section: one call from the notebook, tables and chart inside.

:func:`show_forecast` renders the forecast a review of the report's quarter shows
(:func:`helpers.prediction.forecast.review_forecast`: the next quarter as of this one's end,
or a running quarter as of the as-of date) next to its backtest: the P10 / P50 / P90 of won
revenue and won deals with their parts, the chart of every earlier quarter's interval and
actual beside the forecast's, the backtest table and the coverage of the 80 % interval.
Every table is published for export with :func:`helpers.reports.outputs.show_table`; what
the data cannot support is one line saying why.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import pandas as pd

from ..display import html as rh
from ..display.forecast_plots import forecast_intervals
from ..metrics.pipeline import OPPORTUNITIES, WON_DEALS, count_of
from ..prediction.forecast import (
    ForecastReport,
    coverage,
    covered_mark,
    median_errors,
    review_forecast,
)
from .outputs import show_table

if TYPE_CHECKING:
    from ..analysis.workbook import TeamQuarter


def forecast_table(report: ForecastReport) -> pd.DataFrame:
    """The forecast as display strings: figure, P10, P50, P90 (and actual, once known)."""
    f, currency = report.forecast, report.currency
    rows = []
    if f.revenue_reason is None:
        rows.append(("Won revenue", *(_amount(f.revenue[k], currency) for k in _PS)))
    else:
        rows.append(("Won revenue", f.revenue_reason, "", ""))
    rows.append(("Won deals", *(f"{f.deals[k]:,.0f}" for k in _PS)))
    table = pd.DataFrame(rows, columns=["figure", "P10", "P50", "P90"])
    if report.actual is not None:
        revenue, deals = report.actual
        table["actual"] = [_amount(revenue, currency), f"{deals:,}"]
    return table


def parts_table(report: ForecastReport) -> pd.DataFrame:
    """Where the forecast comes from: won so far, the open pipeline, new deals."""
    f, currency = report.forecast, report.currency
    share = f.new_win_share
    rows = [
        (
            "Won so far in the quarter",
            count_of(f.won_so_far, WON_DEALS),
            _amount(f.won_so_far_amount, currency),
        ),
        ("Open pipeline", count_of(f.open_deals, OPPORTUNITIES), _amount(f.open_amount, currency)),
        (
            f"Open deals expected to win before {f.quarter.end.date()}",
            f"{f.open_expected_wins:,.1f}",
            "Σ p(age) over the open deals",
        ),
        (
            "New deals created per day (history)",
            f"{f.new_created_per_day:,.2f}",
            ", ".join(f.history_quarters),
        ),
        ("New deals won within their quarter", str(share), "won / created, same part of quarter"),
        (
            "New deals expected to be won",
            f"{f.new_expected_wins:,.1f}",
            f"mean amount {_amount(f.new_mean_amount, currency)}",
        ),
    ]
    if f.sized:
        rows.append(
            ("Deals without an amount", f"{f.sized:,}", "sized by drawing from recent won amounts")
        )
    rows.append(("Monte Carlo", f"{f.simulations:,} draws", f"seed {f.seed}"))
    return pd.DataFrame(rows, columns=["part", "value", "detail"])


def backtest_display(report: ForecastReport) -> pd.DataFrame:
    """The backtest as display strings, one row per quarter; amounts in the headers' currency."""
    unit = f" ({report.currency})" if report.currency else ""
    rows = []
    for row in report.backtest.to_dict("records"):
        rows.append(
            {
                "quarter": row["quarter"],
                "forecast on": str(row["as_of"].date()),
                **{f"{k.upper()}{unit}": _amount(row[k], "") for k in _PS},
                f"actual{unit}": _amount(row["actual"], ""),
                "in P10–P90": covered_mark(row["covered"]),
                "error of P50": "n/a" if math.isnan(row["error"]) else f"{row['error']:+.0%}",
                "deals P10–P90": f"{row['deals_p10']:,.0f}–{row['deals_p90']:,.0f}",
                "deals actual": f"{row['deals_actual']:,.0f}",
                "deals in": covered_mark(row["deals_covered"]),
            }
        )
    return pd.DataFrame(rows)


def backtest_lines(report: ForecastReport) -> list[str]:
    """Coverage of the 80 % interval and error of the median, one line each for revenue, deals."""
    if report.backtest_line:
        return [report.backtest_line]
    lines = []
    for label, prefix in (("Won revenue", ""), ("Won deals", "deals_")):
        rate = coverage(report.backtest, prefix)
        if not rate.denominator:
            lines.append(f"{label}: no earlier quarter with a known actual to test against.")
            continue
        errors = median_errors(report.backtest, prefix)
        low, high = rate.interval
        lines.append(
            f"{label}: the 80 % interval held the actual in {rate.numerator} of "
            f"{rate.denominator} earlier quarters ({rate.value:.0%}, 95 % CI {low:.0%}–"
            f"{high:.0%}; a calibrated forecast holds about 80 %); the median was off by "
            f"{errors['median_abs_error']:.0%} in a typical quarter, bias "
            f"{errors['mean_error']:+.0%}."
        )
    return lines


def show_forecast(view: TeamQuarter, **options) -> None:
    """Display the quarter forecast of ``view`` and its backtest in a report.

    Parameters
    ----------
    view : TeamQuarter
        The report's team and quarter.
    **options
        Passed to :func:`~helpers.prediction.forecast.review_forecast` (seed, simulations).
    """
    from IPython.display import HTML, display

    report = review_forecast(view, **options)
    f = report.forecast
    if report.line:
        display(HTML(rh.note(report.line)))
    else:
        display(HTML(rh.note(report.summary_line(with_backtest=False))))
        show_table(forecast_table(report), "forecast")
        show_table(parts_table(report), "forecast_parts")
    shown = report.backtest if len(report.backtest) else None
    current = None if report.line else {"quarter": str(f.quarter)}
    if shown is not None or current is not None:
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
        for ax, prefix, kind, title in (
            (left, "", "amount", "Won revenue"),
            (right, "deals_", "count", "Won deals"),
        ):
            point = None
            if current is not None:
                figures = f.revenue if prefix == "" else f.deals
                actual = None if report.actual is None else report.actual[0 if prefix == "" else 1]
                point = {**current, **{k: figures[k] for k in _PS}, "actual": actual}
            forecast_intervals(shown, prefix=prefix, forecast=point, kind=kind, ax=ax)
            ax.set_title(f"{title}: backtest and forecast for {f.quarter}")
        fig.tight_layout()
        display(fig)
        plt.close(fig)
    for line in backtest_lines(report):
        display(HTML(rh.note(line)))
    if shown is not None:
        show_table(backtest_display(report), "forecast_backtest")


_PS = ("p10", "p50", "p90")


def _amount(value: float, currency: str) -> str:
    return rh.figure_text(value, "amount", currency)
