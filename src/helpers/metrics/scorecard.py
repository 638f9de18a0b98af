"""The alignment scorecard of the playbooks: the one KPI of it that no other module computes.

The scorecard's five KPIs (:data:`helpers.metrics.headline.SCORECARD`) are lead-to-customer
conversion (here), CAC (:func:`helpers.metrics.efficiency.cac`), bookings growth
(:func:`helpers.metrics.growth.bookings_growth`, year on year), customer retention
(:func:`helpers.metrics.growth.logo_retention`) and marketing ROI
(:func:`helpers.metrics.efficiency.marketing_roi`, the marketing line). Their targets may be
relative to an earlier quarter (``targets.basis``, see
:func:`helpers.metrics.goals.implied_target`).
"""

from __future__ import annotations

import math

import pandas as pd

from .scope import equals, within


def lead_to_customer(
    leads: pd.DataFrame, opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> dict[str, float]:
    """Lead-to-customer conversion of ``[start, end)``, a period ratio.

    ::

        lead → customer = leads won in the quarter / leads created in the quarter

    *Leads won* are the distinct ``lead_id`` of the opportunities won and closed in the window
    (a lead with two won deals counts once; a deal without a lead does not count); *leads
    created* are the leads whose ``created_at`` is in the window. Like the period funnel's
    ratios it compares the quarter's flows, not one group of leads followed over time (the
    won leads were mostly created in earlier quarters), so its value does not depend on how
    long ago the quarter ended and can be compared with Q−1 and Q−4; it carries no interval.

    Parameters
    ----------
    leads, opportunities : DataFrame
        Canonical ``leads`` and ``opportunities`` (of one team, or all).
    start, end : Timestamp
        The window.

    Returns
    -------
    dict
        ``won_leads``, ``leads`` (int) and ``value`` (NaN when no lead was created).

    Examples
    --------
    >>> leads = pd.DataFrame({"lead_id": ["A", "B"],
    ...                       "created_at": pd.to_datetime(["2026-07-01", "2026-08-01"])})
    >>> opps = pd.DataFrame({"lead_id": ["A"], "status": ["won"],
    ...                      "closed_at": pd.to_datetime(["2026-09-01"])})
    >>> lead_to_customer(leads, opps, pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01"))
    {'won_leads': 1, 'leads': 2, 'value': 0.5}
    """
    created = int(within(leads["created_at"], start, end).to_numpy(dtype=bool).sum())
    won = equals(opportunities["status"], "won")
    closed = within(opportunities["closed_at"], start, end).to_numpy(dtype=bool)
    won_leads = int(opportunities.loc[won & closed, "lead_id"].dropna().nunique())
    value = won_leads / created if created else math.nan
    return {"won_leads": won_leads, "leads": created, "value": value}
