"""Pipeline and revenue metrics: pipeline created, won revenue, win rate, deal size, velocity.

Every function takes the canonical ``opportunities`` table (already restricted to a team with
:func:`helpers.metrics.scope.for_team` if wanted) and a window ``[start, end)``. An opportunity
is *created* in the window when its ``created_at`` is in it and *closed* in the window when its
``closed_at`` is; won and lost opportunities are told apart by ``status``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .scope import equals, within
from .stats import Rate

SOURCE_TYPES = ("marketing", "sales", "partner")
TOTAL = "total"
UNKNOWN_SOURCE = "(missing)"
_SECONDS_PER_DAY = 86400.0


def _closed(
    opportunities: pd.DataFrame, status: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Opportunities with ``status`` whose ``closed_at`` is in ``[start, end)``."""
    mask = equals(opportunities["status"], status) & within(
        opportunities["closed_at"], start, end
    ).to_numpy(dtype=bool)
    return opportunities[mask]


def _by_source(chosen: pd.DataFrame) -> pd.DataFrame:
    """Count, amount, missing amounts and share of amount per source type, plus a total row."""
    source = chosen["source_type"].astype("object").fillna(UNKNOWN_SOURCE)
    extra = sorted(set(source) - set(SOURCE_TYPES))
    order = [*SOURCE_TYPES, *extra]
    amount = chosen["amount"].astype("float64")
    parts = pd.DataFrame(
        {
            "source_type": source.to_numpy(),
            "amount": amount.fillna(0.0).to_numpy(),
            "missing": amount.isna().to_numpy(dtype="int64"),
        }
    )
    grouped = parts.groupby("source_type")
    table = pd.DataFrame(
        {
            "opportunities": grouped.size().reindex(order, fill_value=0).astype("int64"),
            "amount": grouped["amount"].sum().reindex(order, fill_value=0.0).astype("float64"),
            "missing_amount": grouped["missing"].sum().reindex(order, fill_value=0),
        }
    )
    table["missing_amount"] = table["missing_amount"].astype("int64")
    table.loc[TOTAL] = table.sum()
    table = table.astype({"opportunities": "int64", "missing_amount": "int64"})
    total = table.loc[TOTAL, "amount"]
    table["share"] = table["amount"] / total if total > 0 else np.nan
    return table.rename_axis("source_type").reset_index()


def pipeline_created(
    opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Pipeline created in ``[start, end)``: opportunities created in the window, by source type.

    ``amount`` = sum of the amounts of the opportunities created in the window (a missing amount
    counts as 0 and is counted in ``missing_amount``); ``share`` = amount / total amount.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical ``opportunities`` (created_at, amount, source_type, ...).
    start, end : Timestamp
        The window ``[start, end)``.

    Returns
    -------
    DataFrame
        Columns source_type, opportunities (count), amount, missing_amount (count of
        opportunities without an amount), share (NaN when the total amount is 0). Rows
        ``marketing``, ``sales``, ``partner`` (always present, zeros when empty), any other
        source type found (sorted), then ``total``.

    Examples
    --------
    >>> opps = pd.DataFrame({
    ...     "created_at": pd.to_datetime(["2026-07-01", "2026-08-01"]),
    ...     "amount": [300.0, 100.0], "source_type": ["marketing", "sales"]})
    >>> table = pipeline_created(opps, pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01"))
    >>> table.set_index("source_type")["share"].tolist()
    [0.75, 0.25, 0.0, 1.0]
    """
    created = opportunities[within(opportunities["created_at"], start, end).to_numpy(dtype=bool)]
    return _by_source(created)


def marketing_sourced_share(
    opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> float:
    """Marketing-sourced pipeline share = marketing pipeline amount / total pipeline amount.

    Both amounts are those of :func:`pipeline_created` for the window; NaN when the total is 0.
    """
    table = pipeline_created(opportunities, start, end).set_index("source_type")
    return float(table.loc["marketing", "share"])


def won_revenue(
    opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Won revenue: opportunities won and closed in ``[start, end)``, by source type.

    ``amount`` = sum of the amounts of won opportunities with ``closed_at`` in the window (a
    missing amount counts as 0 and is counted in ``missing_amount``); ``share`` = amount /
    total amount.

    Returns
    -------
    DataFrame
        Same shape as :func:`pipeline_created`: columns source_type, opportunities (won
        deals), amount, missing_amount, share; rows marketing, sales, partner, any other
        source type, total.
    """
    return _by_source(_closed(opportunities, "won", start, end))


def win_rate(opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> Rate:
    """Win rate = won / (won + lost), opportunities closed in ``[start, end)``.

    Open opportunities do not count. With no closed opportunity the rate is ``n/a``
    (denominator 0, value NaN).
    """
    won = len(_closed(opportunities, "won", start, end))
    lost = len(_closed(opportunities, "lost", start, end))
    return Rate(won, won + lost)


def average_deal_size(opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Average deal size = mean amount of the opportunities won and closed in ``[start, end)``.

    Won opportunities without an amount are left out of the mean (their size is unknown, not
    0); NaN when no won opportunity with an amount closed in the window.
    """
    amounts = _closed(opportunities, "won", start, end)["amount"].astype("float64").dropna()
    return float(amounts.mean()) if len(amounts) else math.nan


def sales_cycle_days(opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Sales cycle = median of (closed_at − created_at) in days, won opportunities closed in window.

    Days are fractional (24 h = 1 day); NaN when no opportunity was won in the window.
    """
    won = _closed(opportunities, "won", start, end)
    days = ((won["closed_at"] - won["created_at"]).dt.total_seconds() / _SECONDS_PER_DAY).dropna()
    return float(days.median()) if len(days) else math.nan


def open_at(opportunities: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    """Opportunities open at time ``at``: created before ``at`` and not closed before ``at``.

    A deal closed at or after ``at`` (or not closed, ``closed_at`` NaT) was still open then,
    whatever its status today.
    """
    created = (opportunities["created_at"] < at).to_numpy(dtype=bool)
    closed = (opportunities["closed_at"] < at).to_numpy(dtype=bool)  # NaT compares False
    return opportunities[created & ~closed]


def sales_velocity(opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Sales velocity (amount per day) at the end of ``[start, end)``.

    ``velocity = open opportunities × win rate × average deal size / sales cycle days``

    where *open opportunities* is the number open at ``end`` (:func:`open_at`) and win rate,
    average deal size and sales cycle are those of the window (:func:`win_rate`,
    :func:`average_deal_size`, :func:`sales_cycle_days`).

    Returns
    -------
    float
        NaN when the win rate, deal size or cycle is undefined (no deal closed or won in the
        window) or the cycle is 0 days; 0 when nothing is open.
    """
    rate = win_rate(opportunities, start, end).value
    deal = average_deal_size(opportunities, start, end)
    cycle = sales_cycle_days(opportunities, start, end)
    if any(math.isnan(part) for part in (rate, deal, cycle)) or cycle == 0:
        return math.nan
    return len(open_at(opportunities, end)) * rate * deal / cycle
