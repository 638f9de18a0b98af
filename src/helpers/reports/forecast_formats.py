"""The quarter forecast as text and tables: ``workbook forecast`` and the report section.

Formatting only, in the report's one number format (:mod:`helpers.display.html`); the figures
come from :mod:`helpers.prediction.forecast`. :func:`forecast_text` is what ``workbook
forecast`` prints; :func:`forecast_sentence`, :func:`forecast_table`, :func:`parts_table`,
:func:`backtest_lines` and :func:`backtest_tables` are what the report section shows
(:func:`helpers.reports.forecast_section.show_forecast`).
"""

from __future__ import annotations

import math

import pandas as pd

from ..display import html as rh
from ..metrics.pipeline import OPPORTUNITIES, WON_DEALS, count_of
from ..prediction.forecast import ForecastReport, coverage, covered_mark, median_errors

_PS = ("p10", "p50", "p90")


def forecast_sentence(report: ForecastReport) -> str:
    """The forecast in one sentence, or the line saying why there is none."""
    if report.line:
        return report.line
    f, currency = report.forecast, report.currency
    parts = []
    if f.revenue_reason is None:
        money = " / ".join(rh.money(f.revenue[k], currency) for k in _PS)
        parts.append(f"won revenue P10 / P50 / P90 {money}")
    deals = " / ".join(f"{f.deals[k]:,.0f}" for k in _PS)
    parts.append(f"won deals {deals}")
    return f"Forecast for {f.quarter} as of {f.as_of.date()}: {'; '.join(parts)}."


def forecast_table(report: ForecastReport) -> pd.DataFrame:
    """The forecast as display strings: figure, P10, P50, P90 (and actual, once known).

    Rows won revenue (left out when it is not in this data: see ``revenue_reason``) and won
    deals.
    """
    f, currency = report.forecast, report.currency
    revenue = f.revenue_reason is None
    rows = []
    if revenue:
        rows.append(("Won revenue", *(rh.money(f.revenue[k], currency) for k in _PS)))
    rows.append(("Won deals", *(f"{f.deals[k]:,.0f}" for k in _PS)))
    table = pd.DataFrame(rows, columns=["figure", "P10", "P50", "P90"])
    if report.actual is not None:
        won, deals = report.actual
        table["actual"] = [rh.money(won, currency), f"{deals:,}"][not revenue :]
    return table


def parts_table(report: ForecastReport) -> pd.DataFrame:
    """Where the forecast comes from: won so far, the open pipeline, new deals (short cells)."""
    f, currency = report.forecast, report.currency
    share = f.new_win_share
    history = f.history_quarters
    span = f"{history[-1]}–{history[0]}" if len(history) > 1 else "".join(history)
    rows = [
        ("Won so far", count_of(f.won_so_far, WON_DEALS), rh.money(f.won_so_far_amount, currency)),
        ("Open pipeline", count_of(f.open_deals, OPPORTUNITIES), rh.money(f.open_amount, currency)),
        (
            "Open deals expected to win",
            f"{f.open_expected_wins:,.1f}",
            f"Σ p(age), before {f.quarter.end.date()}",
        ),
        ("New deals created per day", f"{f.new_created_per_day:,.2f}", span),
        (
            "New deals won in their quarter",
            rh.format_value(share.value, "rate"),
            f"{share.numerator:,} of {share.denominator:,}",
        ),
        (
            "New deals expected to win",
            f"{f.new_expected_wins:,.1f}",
            f"mean amount {rh.money(f.new_mean_amount, currency)}",
        ),
    ]
    if f.sized:
        rows.append(("Deals without an amount", f"{f.sized:,}", "sized from recent won amounts"))
    rows.append(("Monte Carlo", f"{f.simulations:,} draws", f"seed {f.seed}"))
    return pd.DataFrame(rows, columns=["part", "value", "detail"])


def _figures(report: ForecastReport) -> list[tuple[str, str]]:
    """(label, column prefix) of the figures forecast: won revenue unless no amounts, won deals."""
    figures = [("Won revenue", ""), ("Won deals", "deals_")]
    return figures if report.forecast.revenue_reason is None else figures[1:]


def backtest_tables(report: ForecastReport) -> dict[str, pd.DataFrame]:
    """The backtest as display strings by figure (won revenue, won deals), a row per quarter.

    Columns quarter, forecast on, P10, P50, P90, actual, in P10–P90 (yes / no / n/a) and error
    of P50 ((P50 − actual) / actual). Without a revenue forecast (no amounts), won deals only.
    """
    tables = {}
    for label, prefix in _figures(report):
        kind = "count" if prefix else "amount"
        rows = []
        for row in report.backtest.to_dict("records"):
            error = row[f"{prefix}error"]
            rows.append(
                {
                    "quarter": row["quarter"],
                    "forecast on": str(row["as_of"].date()),
                    **{
                        k.upper(): rh.format_value(row[f"{prefix}{k}"], kind, report.currency)
                        for k in _PS
                    },
                    "actual": rh.format_value(row[f"{prefix}actual"], kind, report.currency),
                    "in P10–P90": covered_mark(row[f"{prefix}covered"]),
                    "P50 vs actual": "n/a" if math.isnan(error) else f"{error:+.0%}",
                }
            )
        columns = ["quarter", "forecast on", "P10", "P50", "P90", "actual", "in P10–P90"]
        tables[label] = pd.DataFrame(rows, columns=[*columns, "P50 vs actual"])
    return tables


def backtest_lines(report: ForecastReport) -> list[str]:
    """Coverage of the 80 % interval and error of the median: a line for revenue, one for deals.

    Without a revenue forecast (no amounts) only the line for won deals.
    """
    if report.backtest_line:
        return [report.backtest_line]
    lines = []
    for label, prefix in _figures(report):
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


def _cell(value: float, money: bool, currency: str) -> str:
    return rh.format_value(value, "amount" if money else "count", currency)


def forecast_text(report: ForecastReport) -> str:
    """``workbook forecast``: the forecast, its parts and the backtest as aligned text."""
    f, cur = report.forecast, report.currency
    lines = [f"{report.team_name} · forecast for {f.quarter} as of {f.as_of.date()}"]
    if report.line:
        lines.append(f"  {report.line}")
    else:
        lines.append(f"  {'':<12} {'P10':>16} {'P50':>16} {'P90':>16}")
        if f.revenue_reason is None:
            cells = [_cell(f.revenue[k], True, cur) for k in ("p10", "p50", "p90")]
            lines.append(f"  {'won revenue':<12} " + " ".join(f"{c:>16}" for c in cells))
        else:
            lines.append(f"  won revenue  {f.revenue_reason}")
        cells = [_cell(f.deals[k], False, cur) for k in ("p10", "p50", "p90")]
        lines.append(f"  {'won deals':<12} " + " ".join(f"{c:>16}" for c in cells))
        share = f.new_win_share
        lines += [
            f"  won so far: {count_of(f.won_so_far, WON_DEALS)} "
            f"({_cell(f.won_so_far_amount, True, cur)})",
            f"  open pipeline: {count_of(f.open_deals, OPPORTUNITIES)} "
            f"({_cell(f.open_amount, True, cur)}), "
            f"{f.open_expected_wins:,.1f} expected to win before {f.quarter.end.date()}",
            f"  new deals: {f.new_created_per_day:.2f} created a day × {share} won within "
            f"their quarter → {f.new_expected_wins:,.1f} expected wins, mean amount "
            f"{_cell(f.new_mean_amount, True, cur)}",
            f"  history: {', '.join(f.history_quarters)}; {f.simulations:,} draws, seed {f.seed}"
            + (f"; {f.sized:,} deals without an amount sized from recent wins" if f.sized else ""),
        ]
    if report.actual is not None:
        revenue, deals = report.actual
        lines.append(f"  actual: {_cell(revenue, True, cur)} won in {deals:,} deals")
    lines.append("Backtest: the same forecast on the same day of each earlier quarter")
    if report.backtest_line:
        lines.append(f"  {report.backtest_line}")
        return "\n".join(lines)
    lines.append(
        f"  {'quarter':<8} {'as of':<10} {'P10':>14} {'P50':>14} {'P90':>14} {'actual':>14} "
        f"{'in':>3} {'error':>7} │ {'deals P10–P90':>13} {'actual':>6} {'in':>3}"
    )
    for row in report.backtest.to_dict("records"):
        error = "n/a" if math.isnan(row["error"]) else f"{row['error']:+.0%}"
        band = f"{row['deals_p10']:,.0f}–{row['deals_p90']:,.0f}"
        lines.append(
            f"  {row['quarter']:<8} {row['as_of'].date()!s:<10} "
            + " ".join(f"{_cell(row[k], True, cur):>14}" for k in ("p10", "p50", "p90", "actual"))
            + f" {covered_mark(row['covered']):>3} {error:>7} │ "
            f"{band:>13} "
            f"{row['deals_actual']:>6,.0f} {covered_mark(row['deals_covered']):>3}"
        )
    for label, prefix in (("won revenue", ""), ("won deals", "deals_")):
        rate = coverage(report.backtest, prefix)
        errors = median_errors(report.backtest, prefix)
        if not rate.denominator:
            lines.append(f"  {label}: no quarter with a known actual")
            continue
        low, high = rate.interval
        lines.append(
            f"  {label}: the 80 % interval covered {rate.numerator} of {rate.denominator} "
            f"quarters ({rate.value:.0%}, 95 % CI {low:.0%}–{high:.0%}); median error of "
            f"P50 {errors['median_abs_error']:.0%}, bias {errors['mean_error']:+.0%}"
        )
    return "\n".join(lines)
