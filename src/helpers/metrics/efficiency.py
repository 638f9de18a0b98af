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

import numpy as np
import pandas as pd

from ..data.membership import codes
from .scope import equals, within

MARKETING = "marketing"
SALES = "sales"
PARTNER = "partner"
TOTAL = "total"
PARTNER_TOTAL = "partner total"
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


def cac_by_channel(
    spend: pd.DataFrame,
    opportunities: pd.DataFrame,
    leads: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Marketing CAC by channel: the channel's spend over the customers its leads brought.

    ::

        CAC of a channel = marketing spend of the channel / new customers of the channel

    Spend is the ``marketing``-category spend of the window's months on the channel. A new
    customer of the channel is a distinct ``account_id`` (else the opportunity) among the
    opportunities won and closed in ``[start, end)`` whose lead came from the channel and
    whose source type is the channel's own (:func:`channel_source_types`: marketing, or
    partner for a partner channel), the rule of :func:`marketing_roi` and :func:`cac`.

    Parameters
    ----------
    spend, opportunities, leads : DataFrame
        Canonical ``spend``, ``opportunities`` and ``leads``.
    start, end : Timestamp
        The window ``[start, end)``.

    Returns
    -------
    DataFrame
        Columns channel, spend (NaN when the channel has no spend row), new_customers,
        cac (NaN when the spend is unknown or 0, or the channel won no customer: not in this
        data, never 0). One row per channel with spend or new customers, sorted.

    Examples
    --------
    >>> spend = pd.DataFrame({"month": ["2026-07"], "team": ["t"], "channel": ["web"],
    ...                       "category": ["marketing"], "amount": [900.0]})
    >>> leads = pd.DataFrame({"lead_id": ["a", "b"], "channel": ["web", "web"],
    ...                       "source_type": ["marketing", "marketing"]})
    >>> opps = pd.DataFrame({"opportunity_id": ["o1", "o2"], "lead_id": ["a", "b"],
    ...                      "account_id": ["x", "y"], "status": ["won", "won"],
    ...                      "source_type": ["marketing", "marketing"], "amount": [1.0, 1.0],
    ...                      "closed_at": pd.to_datetime(["2026-07-10", "2026-08-10"])})
    >>> cac_by_channel(spend, opps, leads, pd.Timestamp("2026-07-01"),
    ...                pd.Timestamp("2026-10-01")).to_dict("records")
    [{'channel': 'web', 'spend': 900.0, 'new_customers': 2, 'cac': 450.0}]
    """
    chosen = spend_in_window(spend, start, end)
    by_spend = _marketing_by_channel(chosen)
    won = _won_in(opportunities, start, end)
    types = channel_source_types(leads)
    channel_of = leads.set_index("lead_id")["channel"].astype("object")
    channel = pd.Series(channel_of.reindex(won["lead_id"]).to_numpy(), dtype="object")
    source = pd.Series(won["source_type"].astype("object").to_numpy(), dtype="object")
    own_type = channel.map(types).where(channel.map(types) == PARTNER, MARKETING)
    counted = (channel.notna() & (source == own_type)).fillna(False).to_numpy(dtype=bool)
    customer = pd.Series(
        won["account_id"].astype("string").fillna(won["opportunity_id"].astype("string"))
    ).to_numpy()
    customers = (
        pd.Series(customer[counted]).groupby(channel[counted].to_numpy()).nunique()
        if counted.any()
        else pd.Series(dtype="int64")
    )
    names = sorted(set(by_spend.index) | set(customers.index))
    table = pd.DataFrame(
        {
            "channel": names,
            "spend": by_spend.reindex(names).astype("float64").to_numpy(),
            "new_customers": customers.reindex(names, fill_value=0).astype("int64").to_numpy(),
        }
    )
    spend_known = table["spend"].where(table["spend"] > 0)
    table["cac"] = spend_known / table["new_customers"].where(table["new_customers"] > 0)
    return table


def channel_source_types(leads: pd.DataFrame) -> pd.Series:
    """The source type of each channel: the one most of the channel's leads carry.

    Spend carries a channel, not a source type; partner fees are booked as marketing spend on
    the partner channels (the sample's ``referral``). A channel whose leads are mostly
    ``partner``-sourced is a partner channel, so its spend is set against partner-sourced
    revenue, not marketing-sourced (:func:`marketing_roi`). Ties go to ``marketing``, then
    ``partner``; every lead of every quarter counts (a channel keeps its type).

    Returns
    -------
    Series
        Index channel, values ``marketing``, ``partner`` or ``sales``.

    Examples
    --------
    >>> leads = pd.DataFrame({"channel": ["referral", "referral", "email"],
    ...                       "source_type": ["partner", "partner", "marketing"]})
    >>> channel_source_types(leads).to_dict()
    {'email': 'marketing', 'referral': 'partner'}
    """
    # Leads per channel and source type, as pd.crosstab counts them, but numbered by Arrow:
    # a million leads' labels never become Python strings.
    channel, channels = codes(leads["channel"])
    source, sources = codes(leads["source_type"])
    known = (channel >= 0) & (source >= 0)
    counts = pd.DataFrame()
    if known.any():
        matrix = np.zeros((len(channels), len(sources)), dtype="int64")
        np.add.at(matrix, (channel[known], source[known]), 1)
        counts = pd.DataFrame(matrix, index=pd.Index(channels), columns=pd.Index(sources))
        counts = counts.loc[counts.sum(axis=1) > 0, counts.sum(axis=0) > 0]
        counts = counts.sort_index().sort_index(axis=1)
    order = [t for t in (MARKETING, PARTNER, SALES) if t in counts.columns]
    order += [t for t in counts.columns if t not in order]
    if counts.empty:
        return pd.Series([], dtype="object", name="source_type")
    counts = counts[order]
    return counts.idxmax(axis=1).astype("object").rename("source_type").rename_axis(None)


def marketing_roi(
    spend: pd.DataFrame,
    opportunities: pd.DataFrame,
    leads: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    types: pd.Series | None = None,
) -> pd.DataFrame:
    """Marketing ROI and partner ROI, each spend against the revenue of its own source type.

    ::

        marketing ROI = (marketing-sourced won revenue − marketing spend) / marketing spend
        partner ROI   = (partner-sourced won revenue − partner fees) / partner fees

    Marketing spend is the ``marketing``-category spend of the window's months on marketing
    channels; partner fees are that of partner channels (:func:`channel_source_types`: a
    channel whose leads are mostly partner-sourced). Won revenue is the amount of the
    opportunities won and closed in ``[start, end)`` of that source type, over those that
    have an amount: NaN (not in this data) when all of them lack one, never 0;
    ``missing_amount`` counts those without. So a partner channel's revenue is never set
    against marketing ROI's −100 %, and partner fees do not lower marketing ROI.

    By channel, a channel's won revenue is that of its leads' won deals of the channel's own
    source type; a won opportunity without a (known) lead is in the ``(no lead)`` row
    (marketing-sourced) or only in ``partner total`` (partner-sourced).

    Parameters
    ----------
    spend, opportunities, leads : DataFrame
        Canonical ``spend``, ``opportunities`` and ``leads``.
    start, end : Timestamp
        The window ``[start, end)``.
    types : Series, optional
        :func:`channel_source_types` computed once over every lead (default: from ``leads``).

    Returns
    -------
    DataFrame
        Columns channel, source_type (``marketing`` / ``partner``), won_revenue,
        missing_amount, spend (NaN when no spend row), roi (NaN when the spend is NaN or 0, or
        the won revenue is NaN). One row per channel with marketing spend or won deals of its
        type (sorted), ``(no lead)`` if any, then ``total`` (the marketing line) and, when
        there is partner spend or partner-sourced revenue, ``partner total``.
    """
    chosen = spend_in_window(spend, start, end)
    won = _won_in(opportunities, start, end)
    types = channel_source_types(leads) if types is None else types
    channel_of = leads.set_index("lead_id")["channel"].astype("object")
    channel = pd.Series(channel_of.reindex(won["lead_id"]).to_numpy(), dtype="object")
    channel = channel.fillna(NO_LEAD)
    source, amount = _sources_and_amounts(won)
    own_type = channel.map(types).where(channel != NO_LEAD, MARKETING).fillna(MARKETING)
    counted = (source == own_type) & source.isin([MARKETING, PARTNER]).to_numpy()
    counted = counted.fillna(False).to_numpy(dtype=bool)
    grouped = amount[counted].groupby(channel[counted].to_numpy())
    revenue = grouped.sum(min_count=1)  # NaN for a channel whose won deals have no amount
    missing = amount[counted].isna().groupby(channel[counted].to_numpy()).sum()
    by_channel = _marketing_by_channel(chosen)
    named = sorted((set(revenue.index) | set(by_channel.index)) - {NO_LEAD})
    channels = [*named, NO_LEAD] if NO_LEAD in revenue.index else named
    won_any = pd.Series(True, index=revenue.index).reindex(channels, fill_value=False)
    kinds = pd.Series(channels, index=channels, dtype="object").map(types)
    kinds = kinds.where(kinds == PARTNER, MARKETING)
    table = pd.DataFrame(
        {
            "source_type": kinds,
            # A channel without a won deal won 0; one whose won deals lack amounts, NaN.
            "won_revenue": revenue.reindex(channels).where(won_any, 0.0).astype("float64"),
            "missing_amount": missing.reindex(channels, fill_value=0).astype("int64"),
            "spend": by_channel.reindex(channels).astype("float64"),
        }
    )
    for row, line in _roi_lines(chosen, source, amount, types).items():
        table.loc[row] = [
            line["source_type"],
            line["won_revenue"],
            line["missing_amount"],
            line["spend"],
        ]
    table = table.astype({"won_revenue": "float64", "missing_amount": "int64", "spend": "float64"})
    table["roi"] = _roi(table["won_revenue"].to_numpy(), table["spend"].to_numpy())
    return table.rename_axis("channel").reset_index()


def _roi(won_revenue: np.ndarray | float, spend: np.ndarray | float) -> np.ndarray:
    """(won revenue − spend) / spend; NaN when the spend is NaN or not above 0."""
    spend = np.asarray(spend, dtype="float64")
    positive = np.where(spend > 0, spend, np.nan)
    return (np.asarray(won_revenue, dtype="float64") - positive) / positive


def _sources_and_amounts(won: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The won deals' source types (object) and amounts (float, NaN when missing), 0-indexed."""
    source = pd.Series(won["source_type"].astype("object").to_numpy(), dtype="object")
    return source, pd.Series(won["amount"].astype("float64").to_numpy())


def _roi_lines(
    chosen: pd.DataFrame, source: pd.Series, amount: pd.Series, types: pd.Series
) -> dict[str, dict]:
    """The ``total`` (marketing) and ``partner total`` lines of :func:`marketing_roi`, without ROI.

    ``chosen`` is the window's spend, ``source`` and ``amount`` the window's won deals' source
    types and amounts; the partner line only when there is partner spend or revenue.
    """
    marketing_rows = chosen[equals(chosen["category"], MARKETING)]
    spend_type = marketing_rows["channel"].astype("object").map(types)
    partner_fee = (spend_type == PARTNER).fillna(False).to_numpy(dtype=bool)
    lines = {}
    for row, kind, fees in (
        (TOTAL, MARKETING, ~partner_fee),
        (PARTNER_TOTAL, PARTNER, partner_fee),
    ):
        of_kind = amount[(source == kind).fillna(False).to_numpy(dtype=bool)]
        line_spend = _total(marketing_rows.loc[fees, "amount"])
        if kind == PARTNER and not len(of_kind) and math.isnan(line_spend):
            continue
        lines[row] = {
            "source_type": kind,
            "won_revenue": float(of_kind.sum(min_count=1)) if len(of_kind) else 0.0,
            "missing_amount": int(of_kind.isna().sum()),
            "spend": line_spend,
        }
    return lines


def marketing_roi_line(
    spend: pd.DataFrame,
    opportunities: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    types: pd.Series,
) -> dict[str, float]:
    """The marketing line of :func:`marketing_roi` alone (the KPI), without the channel rows.

    Returns
    -------
    dict
        won_revenue, missing_amount, spend and roi of the ``total`` row of
        :func:`marketing_roi` (the same rule: :func:`_roi_lines`).
    """
    source, amount = _sources_and_amounts(_won_in(opportunities, start, end))
    line = _roi_lines(spend_in_window(spend, start, end), source, amount, types)[TOTAL]
    return {**line, "roi": float(_roi(line["won_revenue"], line["spend"]))}


def roi_by_source(roi_table: pd.DataFrame) -> pd.DataFrame:
    """The two lines of :func:`marketing_roi`: marketing ROI and partner ROI, side by side.

    Returns
    -------
    DataFrame
        Columns line (``Marketing`` / ``Partner``), source_type, spend, won_revenue,
        missing_amount, roi; the partner line only when the data has partner fees or
        partner-sourced revenue.
    """
    table = roi_table.set_index("channel")
    rows = [r for r in (TOTAL, PARTNER_TOTAL) if r in table.index]
    out = table.loc[rows, ["source_type", "spend", "won_revenue", "missing_amount", "roi"]]
    out.insert(0, "line", ["Marketing" if r == TOTAL else "Partner" for r in rows])
    return out.reset_index(drop=True)


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
        ``total``. Each channel's ROI is that of its own source type (marketing or partner,
        :func:`marketing_roi`); with partner fees, the ``total`` row sets all marketing-category
        spend against marketing- and partner-sourced revenue together (the two lines apart:
        :func:`roi_by_source`).
    """
    lines = roi_table.set_index("channel")
    roi_table = roi_table[roi_table["channel"] != PARTNER_TOTAL]  # a line, not a channel
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
    if TOTAL in order and PARTNER_TOTAL in lines.index:
        # The total row holds all acquisition spend (partner fees too), so its return is that
        # of marketing- and partner-sourced revenue together; the two lines: roi_by_source.
        both = lines.loc[[TOTAL, PARTNER_TOTAL], "won_revenue"].sum(min_count=2)
        out.loc[TOTAL, "won_revenue"] = both
        total_spend = out.loc[TOTAL, "spend"]
        out.loc[TOTAL, "roi"] = (both - total_spend) / total_spend if total_spend > 0 else np.nan
    return out.reset_index()
