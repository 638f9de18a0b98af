"""Growth and retention: bookings and their growth, logo retention, gross and net revenue retention.

Retention compares two months of the ``revenue`` table (monthly recurring revenue, MRR, per
account): the **opening month** is the month before the window (for 2026Q3, June 2026: the
MRR the quarter started with) and the **closing month** is the window's last month (September
2026). Consecutive quarters therefore chain: one quarter's closing month is the next one's
opening month. An account's MRR in a month is the sum of its rows for that month; an account
without a row has 0. Only accounts with MRR > 0 in the opening month (the *starting
accounts*) count: accounts won during the window are excluded, so expansion shows in net
retention and new business does not.
"""

from __future__ import annotations

import math

import pandas as pd

from .pipeline import WON_DEALS, Amount, amount_of, count_of, won_revenue
from .stats import Rate


def won_amount(opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> Amount:
    """Bookings of ``[start, end)`` with the won deals they are built from (an :class:`Amount`).

    The total of :func:`helpers.metrics.pipeline.won_revenue`: Σ amount of the deals won and
    closed in the window that have one; ``missing`` counts the won deals without an amount.
    """
    return amount_of(won_revenue(opportunities, start, end), noun=WON_DEALS)


def bookings(opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Bookings = Σ amount of the opportunities won and closed in ``[start, end)`` that have one.

    A won deal without an amount is left out (its size is unknown, not 0): NaN (not in this
    data) when deals were won and none has an amount; 0 when nothing was won. The total of
    :func:`helpers.metrics.pipeline.won_revenue`.
    """
    return won_amount(opportunities, start, end).value


def growth(current: float, previous: float) -> float:
    """Growth = (current − previous) / previous; NaN if previous is 0 or NaN (or current NaN).

    Examples
    --------
    >>> growth(150.0, 100.0)
    0.5
    """
    if math.isnan(current) or math.isnan(previous) or previous == 0:
        return math.nan
    return (current - previous) / previous


def _months_between(start: pd.Timestamp, end: pd.Timestamp) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def bookings_growth(
    opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> dict[str, float]:
    """Bookings of the window with quarter-on-quarter and year-on-year growth.

    ``qoq = growth(bookings, bookings of the previous window)`` where the previous window is
    ``[start, end)`` moved back by its own length in months (3 for a quarter);
    ``yoy = growth(bookings, bookings of the window moved back 12 months)``. The window must
    start and end on the first day of a month.

    Bookings use the won deals with an amount (see :func:`bookings`): a quarter whose won
    deals have none has no bookings (NaN) and so no growth; one where only some lack an
    amount is compared as it is, and its count of won deals without an amount is returned
    beside it.

    Returns
    -------
    dict
        ``bookings``, ``previous_bookings``, ``year_ago_bookings``, ``qoq``, ``yoy`` (NaN when
        the earlier bookings are 0 or either is not in this data); ``won_deals``,
        ``previous_won_deals``, ``year_ago_won_deals`` (deals won in each window) and
        ``missing_amount``, ``previous_missing_amount``, ``year_ago_missing_amount`` (those
        of them without an amount).
    """
    length = pd.DateOffset(months=_months_between(start, end))
    year = pd.DateOffset(months=12)
    return bookings_figures(
        won_amount(opportunities, start, end),
        won_amount(opportunities, start - length, end - length),
        won_amount(opportunities, start - year, end - year),
    )


def bookings_figures(current: Amount, previous: Amount, year_ago: Amount) -> dict[str, float]:
    """The figures of :func:`bookings_growth` from the three windows' :func:`won_amount`.

    For a caller that already has the bookings of the window, the window before it and the
    one a year before (a quarter's view keeps each quarter's won revenue).
    """
    figures = {
        "bookings": current.value,
        "previous_bookings": previous.value,
        "year_ago_bookings": year_ago.value,
        "qoq": growth(current.value, previous.value),
        "yoy": growth(current.value, year_ago.value),
    }
    for prefix, amount in (("", current), ("previous_", previous), ("year_ago_", year_ago)):
        figures[f"{prefix}won_deals"] = amount.deals
        figures[f"{prefix}missing_amount"] = amount.missing
    return figures


def bookings_line(figures: dict) -> str | None:
    """The growth section's one line on won deals without an amount (None when there are none).

    Parameters
    ----------
    figures : dict
        :func:`bookings_growth` (a comparison quarter outside the data has NaN counts).

    Returns
    -------
    str or None
        ``"Bookings from won deals with an amount only: this quarter from 3 of 4 won deals
        (1 without an amount); previous quarter not in this data (2 won deals, none with an
        amount). …"``

    Examples
    --------
    >>> print(bookings_line({"won_deals": 4, "missing_amount": 1, "previous_won_deals": 2,
    ...     "previous_missing_amount": 2, "year_ago_won_deals": float("nan"),
    ...     "year_ago_missing_amount": float("nan")}))
    ... # doctest: +NORMALIZE_WHITESPACE
    Bookings from won deals with an amount only: this quarter from 3 of 4 won deals (1 without
    an amount); previous quarter not in this data (2 won deals, none with an amount). Growth
    compares the bookings as they are; no deal counts as 0.
    """
    parts = []
    for prefix, label in (
        ("", "this quarter"),
        ("previous_", "previous quarter"),
        ("year_ago_", "same quarter last year"),
    ):
        deals, missing = figures.get(f"{prefix}won_deals"), figures.get(f"{prefix}missing_amount")
        if deals is None or missing is None or math.isnan(missing) or not missing:
            continue
        amount = Amount(0.0, int(deals), int(missing), WON_DEALS)
        if amount.partial:
            parts.append(
                f"{label} from {amount.counted:,} of {count_of(amount.deals, WON_DEALS)} "
                f"({amount.missing:,} without an amount)"
            )
        else:
            parts.append(
                f"{label} not in this data ({count_of(amount.deals, WON_DEALS)}, none with an "
                "amount)"
            )
    if not parts:
        return None
    return (
        f"Bookings from won deals with an amount only: {'; '.join(parts)}. Growth compares the "
        "bookings as they are; no deal counts as 0."
    )


def retention_months(start: pd.Timestamp, end: pd.Timestamp) -> tuple[str, str]:
    """Opening and closing months (``YYYY-MM``) used for retention over ``[start, end)``.

    The opening month is the month before ``start``; the closing month is the month before
    ``end``, i.e. the window's last month.

    Examples
    --------
    >>> retention_months(pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01"))
    ('2026-06', '2026-09')
    """
    month = pd.DateOffset(months=1)
    return (start - month).strftime("%Y-%m"), (end - month).strftime("%Y-%m")


def _mrr(revenue: pd.DataFrame, month: str) -> pd.Series:
    rows = revenue[(revenue["month"] == month).fillna(False).to_numpy(dtype=bool)]
    amount = pd.Series(rows["recurring_revenue"].astype("float64").fillna(0.0).to_numpy())
    return amount.groupby(rows["account_id"].astype("object").to_numpy()).sum()


def starting_accounts(
    revenue: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[pd.Series, pd.Series]:
    """Opening MRR of the window's starting accounts and their closing MRR (0 when none).

    Both indexed by account, aligned; the months are those of :func:`retention_months`. What
    :func:`logo_retention` and :func:`revenue_retention` are computed from (a quarter's view
    keeps it for both).
    """
    opening_month, closing_month = retention_months(start, end)
    opening = _mrr(revenue, opening_month)
    opening = opening[opening > 0]
    closing = _mrr(revenue, closing_month).reindex(opening.index, fill_value=0.0)
    return opening, closing


def logo_retention(revenue: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> Rate:
    """Logo retention = starting accounts still paying in the closing month / starting accounts.

    Starting accounts have MRR > 0 in the opening month (the month before ``start``); an
    account is retained if its MRR in the closing month (the month before ``end``) is > 0.
    ``n/a`` (denominator 0) when no account paid in the opening month.
    """
    return logo_retention_of(*starting_accounts(revenue, start, end))


def logo_retention_of(opening: pd.Series, closing: pd.Series) -> Rate:
    """:func:`logo_retention` from the window's :func:`starting_accounts`."""
    return Rate(int((closing > 0).sum()), len(opening))


def revenue_retention(
    revenue: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> dict[str, float | int | str]:
    """Gross and net revenue retention of the accounts paying when ``[start, end)`` began.

    With ``s`` the opening-month MRR and ``e`` the closing-month MRR of each starting account
    (months as in :func:`retention_months`):

    ``gross revenue retention = Σ min(e, s) / Σ s`` (churn and contraction only, at most 1);
    ``net revenue retention = Σ e / Σ s`` (expansion counts; new accounts do not).

    Returns
    -------
    dict
        ``opening_month``, ``closing_month``, ``starting_accounts``, ``opening_mrr`` (Σ s),
        ``closing_mrr`` (Σ e), ``churned_mrr`` (Σ s of accounts with e = 0),
        ``contraction_mrr`` (Σ s − e of the others where e < s), ``expansion_mrr``
        (Σ e − s where e > s), ``gross_revenue_retention`` and ``net_revenue_retention``
        (NaN when Σ s is 0). ``opening − churned − contraction + expansion = closing``.
    """
    return revenue_retention_of(*starting_accounts(revenue, start, end), start, end)


def revenue_retention_of(
    opening: pd.Series, closing: pd.Series, start: pd.Timestamp, end: pd.Timestamp
) -> dict[str, float | int | str]:
    """:func:`revenue_retention` from the window's :func:`starting_accounts`."""
    opening_month, closing_month = retention_months(start, end)
    churned = closing <= 0
    total = float(opening.sum())
    retained = float(pd.concat([opening, closing], axis=1).min(axis=1).clip(lower=0).sum())
    closing_total = float(closing.sum())
    return {
        "opening_month": opening_month,
        "closing_month": closing_month,
        "starting_accounts": len(opening),
        "opening_mrr": total,
        "closing_mrr": closing_total,
        "churned_mrr": float(opening[churned].sum()),
        "contraction_mrr": float((opening - closing)[~churned & (closing < opening)].sum()),
        "expansion_mrr": float((closing - opening)[closing > opening].sum()),
        "gross_revenue_retention": retained / total if total > 0 else math.nan,
        "net_revenue_retention": closing_total / total if total > 0 else math.nan,
    }
