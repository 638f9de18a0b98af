"""Efficiency metrics: cost per lead, cost per MQL, CAC and marketing ROI, overall and by channel.

Spend is monthly: a ``spend`` row belongs to the window ``[start, end)`` when the first day of
its month does (:func:`spend_in_window`), so a fiscal quarter holds its three months. Spend of
category ``marketing`` is marketing spend (including partner fees booked as marketing); spend
of category ``sales`` is sales cost.

No spend row for a channel, team or window means the spend is *unknown*, not 0: it shows as
NaN and so does every cost or return computed from it. Any division by 0 gives NaN. Likewise
a won deal without an amount is unknown, not 0: marketing ROI follows the rule of
:mod:`helpers.metrics.pipeline` on missing amounts (the deals with an amount count, NaN when
none has one, and the count of those without is kept).
"""

from __future__ import annotations

import math

import pandas as pd

from .scope import equals, within

MARKETING = "marketing"
SALES = "sales"
TOTAL = "total"
NO_CHANNEL = "(missing)"
NO_LEAD = "(no lead)"


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``; NaN when either is NaN or the denominator is 0."""
    if math.isnan(numerator) or math.isnan(denominator) or denominator == 0:
        return math.nan
    return numerator / denominator


def _total(amounts: pd.Series) -> float:
    """Sum of ``amounts``; NaN when there is no row."""
    return float(amounts.astype("float64").sum(min_count=1))


def spend_in_window(spend: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The ``spend`` rows whose month's first day is in ``[start, end)``.

    Parameters
    ----------
    spend : DataFrame
        Canonical ``spend`` (month ``YYYY-MM``, team, channel, category, amount).
    start, end : Timestamp
        The window; for a fiscal quarter, its first day and the next quarter's first day.

    Returns
    -------
    DataFrame
        The selected rows, unchanged.
    """
    first_day = pd.to_datetime(spend["month"].astype("string") + "-01", format="%Y-%m-%d")
    return spend[within(first_day, start, end).to_numpy(dtype=bool)]


def _marketing_by_channel(spend: pd.DataFrame) -> pd.Series:
    marketing = spend[equals(spend["category"], MARKETING)]
    channel = marketing["channel"].astype("object").fillna(NO_CHANNEL)
    amount = marketing["amount"].astype("float64")
    return amount.groupby(channel.to_numpy()).sum(min_count=1)


def _cost_table(
    spend_by_channel: pd.Series, counts: pd.Series, total_spend: float, total_count: int, unit: str
) -> pd.DataFrame:
    channels = sorted(set(spend_by_channel.index) | set(counts.index))
    table = pd.DataFrame(
        {
            "spend": spend_by_channel.reindex(channels).astype("float64"),
            unit: counts.reindex(channels, fill_value=0).astype("int64"),
        }
    )
    table.loc[TOTAL] = [total_spend, total_count]
    table = table.astype({unit: "int64"})
    table[f"cost_per_{unit[:-1]}"] = table["spend"] / table[unit].where(table[unit] > 0)
    return table.rename_axis("channel").reset_index()


def cost_per_lead(
    spend: pd.DataFrame, leads: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Cost per lead = marketing spend / leads created, overall and by channel.

    Leads are those created in ``[start, end)`` (``leads.created_at``), by ``leads.channel``;
    spend is the marketing spend of the window's months by ``spend.channel``. The total row
    divides all marketing spend by all leads created, whatever their source (outbound leads
    included; their channel has no marketing spend, so its cost is NaN).

    Parameters
    ----------
    spend : DataFrame
        Canonical ``spend``.
    leads : DataFrame
        Canonical ``leads`` (lead_id, created_at, channel, ...).
    start, end : Timestamp
        The window ``[start, end)``.

    Returns
    -------
    DataFrame
        Columns channel, spend (NaN when the channel has no marketing spend row), leads,
        cost_per_lead (NaN when spend is NaN or leads is 0). One row per channel with spend
        or leads (sorted), then ``total``.
    """
    chosen = spend_in_window(spend, start, end)
    created = leads[within(leads["created_at"], start, end).to_numpy(dtype=bool)]
    counts = created["channel"].astype("object").fillna(NO_CHANNEL).value_counts()
    total_spend = _total(chosen.loc[equals(chosen["category"], MARKETING), "amount"])
    return _cost_table(_marketing_by_channel(chosen), counts, total_spend, len(created), "leads")


def cost_per_mql(
    spend: pd.DataFrame,
    lead_events: pd.DataFrame,
    leads: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Cost per MQL = marketing spend / MQLs, overall and by channel.

    MQLs = distinct leads with an ``mql`` event in ``[start, end)`` (a lead that became an MQL
    twice in the window counts once), by their lead's channel; spend as in
    :func:`cost_per_lead`.

    Returns
    -------
    DataFrame
        Columns channel, spend, mqls, cost_per_mql; one row per channel with spend or MQLs
        (sorted), then ``total``.
    """
    chosen = spend_in_window(spend, start, end)
    in_window = within(lead_events["at"], start, end).to_numpy(dtype=bool)
    mqls = lead_events[equals(lead_events["event"], "mql") & in_window]["lead_id"].unique()
    channel_of = leads.set_index("lead_id")["channel"].astype("object")
    channels = pd.Series(channel_of.reindex(mqls).to_numpy(), dtype="object")
    counts = channels.fillna(NO_CHANNEL).value_counts()
    total_spend = _total(chosen.loc[equals(chosen["category"], MARKETING), "amount"])
    return _cost_table(_marketing_by_channel(chosen), counts, total_spend, len(mqls), "mqls")


def _won_in(opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    won = equals(opportunities["status"], "won")
    closed = within(opportunities["closed_at"], start, end).to_numpy(dtype=bool)
    return opportunities[won & closed]


def cac(
    spend: pd.DataFrame, opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> dict[str, float]:
    """Customer acquisition cost, blended and marketing-only.

    ``cac = (marketing spend + sales spend) / new customers``;
    ``marketing_cac = marketing spend / marketing-sourced new customers``.

    New customers are the distinct ``account_id`` of the opportunities won and closed in
    ``[start, end)`` (an opportunity without an account counts as its own customer, keyed by
    ``opportunity_id``); marketing-sourced ones are those with at least one such opportunity
    of source type ``marketing``. Spend is that of the window's months.

    Returns
    -------
    dict
        ``new_customers`` and ``marketing_new_customers`` (int); ``marketing_spend``,
        ``sales_spend`` and ``spend`` (their sum; each NaN when there is no spend row);
        ``cac`` and ``marketing_cac`` (NaN when the spend is unknown or there is no customer).
    """
    chosen = spend_in_window(spend, start, end)
    marketing_spend = _total(chosen.loc[equals(chosen["category"], MARKETING), "amount"])
    sales_spend = _total(chosen.loc[equals(chosen["category"], SALES), "amount"])
    total_spend = float(pd.Series([marketing_spend, sales_spend]).sum(min_count=1))
    won = _won_in(opportunities, start, end)
    customer = won["account_id"].astype("string").fillna(won["opportunity_id"].astype("string"))
    new_customers = int(customer.nunique())
    marketing_customers = int(customer[equals(won["source_type"], MARKETING)].nunique())
    return {
        "new_customers": new_customers,
        "marketing_new_customers": marketing_customers,
        "marketing_spend": marketing_spend,
        "sales_spend": sales_spend,
        "spend": total_spend,
        "cac": _ratio(total_spend, new_customers),
        "marketing_cac": _ratio(marketing_spend, marketing_customers),
    }


def marketing_roi(
    spend: pd.DataFrame,
    opportunities: pd.DataFrame,
    leads: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    source_types: tuple[str, ...] = (MARKETING,),
) -> pd.DataFrame:
    """Marketing ROI = (marketing-sourced won revenue − marketing spend) / marketing spend.

    Won revenue is the amount of the opportunities won and closed in ``[start, end)`` whose
    source type is in ``source_types`` (default ``marketing``), over those that have an
    amount: a channel whose won deals all lack one has won revenue and ROI NaN (not in this
    data), never 0; ``missing_amount`` counts the won deals without an amount.
    A won opportunity's channel is its lead's channel; one without a (known) lead has no
    channel and is shown in a ``(no lead)`` row. Spend is the marketing spend of the window's
    months by ``spend.channel``.

    Parameters
    ----------
    spend, opportunities, leads : DataFrame
        Canonical ``spend``, ``opportunities`` and ``leads``.
    start, end : Timestamp
        The window ``[start, end)``.
    source_types : tuple of str
        Source types whose revenue counts; ``("marketing", "partner")`` also credits
        partner-sourced deals against partner fees booked as marketing spend.

    Returns
    -------
    DataFrame
        Columns channel, won_revenue, missing_amount (won deals of the channel without an
        amount), spend (NaN when no spend row), roi (NaN when the spend is NaN or 0, or the
        won revenue is NaN). One row per channel with spend or won deals (sorted), ``(no
        lead)`` if any, then ``total``.
    """
    chosen = spend_in_window(spend, start, end)
    won = _won_in(opportunities, start, end)
    won = won[won["source_type"].isin(list(source_types)).fillna(False).to_numpy(dtype=bool)]
    channel_of = leads.set_index("lead_id")["channel"].astype("object")
    channel = pd.Series(channel_of.reindex(won["lead_id"]).to_numpy(), dtype="object")
    channel = channel.fillna(NO_LEAD)
    amount = pd.Series(won["amount"].astype("float64").to_numpy())
    grouped = amount.groupby(channel.to_numpy())
    revenue = grouped.sum(min_count=1)  # NaN for a channel whose won deals have no amount
    missing = amount.isna().groupby(channel.to_numpy()).sum()
    by_channel = _marketing_by_channel(chosen)
    named = sorted((set(revenue.index) | set(by_channel.index)) - {NO_LEAD})
    channels = [*named, NO_LEAD] if NO_LEAD in revenue.index else named
    won_any = pd.Series(True, index=revenue.index).reindex(channels, fill_value=False)
    table = pd.DataFrame(
        {
            # A channel without a won deal won 0; one whose won deals lack amounts, NaN.
            "won_revenue": revenue.reindex(channels).where(won_any, 0.0).astype("float64"),
            "missing_amount": missing.reindex(channels, fill_value=0).astype("int64"),
            "spend": by_channel.reindex(channels).astype("float64"),
        }
    )
    total_spend = _total(chosen.loc[equals(chosen["category"], MARKETING), "amount"])
    total_revenue = float(amount.sum(min_count=1)) if len(amount) else 0.0
    table.loc[TOTAL] = [total_revenue, int(amount.isna().sum()), total_spend]
    table = table.astype({"won_revenue": "float64", "missing_amount": "int64", "spend": "float64"})
    positive = table["spend"].where(table["spend"] > 0)
    table["roi"] = (table["won_revenue"] - positive) / positive
    return table.rename_axis("channel").reset_index()


def roi_line(roi_table: pd.DataFrame) -> str | None:
    """The efficiency section's one line on won deals without an amount (None if there are none).

    Parameters
    ----------
    roi_table : DataFrame
        :func:`marketing_roi` (channel, won_revenue, missing_amount, ...).

    Returns
    -------
    str or None
        ``"Not in this data: no opportunity amounts (5 marketing-sourced won deals without an
        amount), so no marketing ROI."`` when none of them has an amount; else ``"Marketing
        ROI from won deals with an amount only: 3 marketing-sourced won deals have none
        (webinar 2, (no lead) 1)."``

    Examples
    --------
    >>> roi = pd.DataFrame({"channel": ["email", "webinar", "total"],
    ...                     "won_revenue": [500.0, float("nan"), 500.0],
    ...                     "missing_amount": [0, 2, 2]})
    >>> print(roi_line(roi))  # doctest: +NORMALIZE_WHITESPACE
    Marketing ROI from won deals with an amount only: 2 marketing-sourced won deals have none
    (webinar 2); no deal counts as 0.
    """
    if "missing_amount" not in roi_table.columns:
        return None
    table = roi_table.set_index("channel")
    missing = int(table.loc[TOTAL, "missing_amount"]) if TOTAL in table.index else 0
    if not missing:
        return None
    deals = f"{missing:,} marketing-sourced won deal{'' if missing == 1 else 's'}"
    if pd.isna(table.loc[TOTAL, "won_revenue"]):
        return (
            f"Not in this data: no opportunity amounts ({deals} without an amount), so no "
            "marketing ROI."
        )
    where = table.drop(index=TOTAL)
    where = where[where["missing_amount"] > 0]
    listed = ", ".join(f"{name} {int(n):,}" for name, n in where["missing_amount"].items())
    return (
        f"Marketing ROI from won deals with an amount only: {deals} "
        f"{'has' if missing == 1 else 'have'} none ({listed}); no deal counts as 0."
    )


def by_channel(
    cost_per_lead_table: pd.DataFrame,
    cost_per_mql_table: pd.DataFrame,
    roi_table: pd.DataFrame,
) -> pd.DataFrame:
    """Cost per lead, cost per MQL and marketing ROI side by side, one row per channel.

    The three tables share the channel's marketing spend of the window, so ``spend`` is the
    first of their ``spend`` values that is known. A channel missing from a table had no lead,
    MQL or marketing-sourced won deal there: its ``leads``, ``mqls`` or ``won_revenue`` is
    0 and its ratio stays as computed (NaN when missing). A won revenue that is NaN in the
    ROI table (won deals, none with an amount) stays NaN.

    Parameters
    ----------
    cost_per_lead_table, cost_per_mql_table, roi_table : DataFrame
        Outputs of :func:`cost_per_lead`, :func:`cost_per_mql` and :func:`marketing_roi` for
        the same spend and window.

    Returns
    -------
    DataFrame
        Columns channel, spend, leads, cost_per_lead, mqls, cost_per_mql, won_revenue, roi;
        named channels sorted, then ``(missing)`` and ``(no lead)`` if present, then
        ``total``.
    """
    tables = [t.set_index("channel") for t in (cost_per_lead_table, cost_per_mql_table, roi_table)]
    channels = set().union(*(t.index for t in tables))
    special = [c for c in (NO_CHANNEL, NO_LEAD) if c in channels]
    named = sorted(channels - {TOTAL, *special})
    order = [*named, *special, *([TOTAL] if TOTAL in channels else [])]
    lead, mql, roi = (t.reindex(order) for t in tables)
    spend = lead["spend"].combine_first(mql["spend"]).combine_first(roi["spend"])
    in_roi = pd.Series(order, index=order).isin(tables[2].index)
    out = pd.DataFrame(
        {
            "spend": spend.astype("float64"),
            "leads": lead["leads"].fillna(0).astype("int64"),
            "cost_per_lead": lead["cost_per_lead"].astype("float64"),
            "mqls": mql["mqls"].fillna(0).astype("int64"),
            "cost_per_mql": mql["cost_per_mql"].astype("float64"),
            "won_revenue": roi["won_revenue"].where(in_roi, 0.0).astype("float64"),
            "roi": roi["roi"].astype("float64"),
        },
        index=pd.Index(order, name="channel"),
    )
    return out.reset_index()
