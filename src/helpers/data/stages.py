"""Funnel stages: their order, their labels, and which of them a data set records at all.

Stages of the main chain, in order: lead → MQL → first touched → accepted (SAL) → SQL →
opportunity → won. Rejected and recycled are side branches, counted but not chained. These
names and labels are written here once; the metrics, reports, explorers and exercises import
them.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from .config import CANONICAL_EVENTS

if TYPE_CHECKING:
    import pandas as pd

CHAIN = ("lead", "mql", "first_touch", "accepted", "sql", "opportunity", "won")
SIDE = ("rejected", "recycled")
STAGE_LABELS = {
    "lead": "Leads",
    "mql": "MQL",
    "first_touch": "First touched",
    "accepted": "Accepted (SAL)",
    "rejected": "Rejected",
    "recycled": "Recycled",
    "sql": "SQL",
    "opportunity": "Opportunities",
    "won": "Won",
}


OUTCOMES = ("won", "lost")
"""Opportunity statuses a rate can need (``open`` is never required)."""


def tracked_events(events: pd.DataFrame) -> tuple[str, ...]:
    """Canonical events that occur at least once in ``events``, in vocabulary order.

    Parameters
    ----------
    events : DataFrame
        Canonical ``lead_events`` (event names already mapped onto the vocabulary).

    Returns
    -------
    tuple of str
        A subset of :data:`helpers.data.config.CANONICAL_EVENTS`, in its order.

    Examples
    --------
    >>> tracked_events(pd.DataFrame({"event": ["sql", "mql", "mql"]}))
    ('mql', 'sql')
    """
    present = set(events["event"].dropna().unique()) if "event" in events else set()
    return tuple(e for e in CANONICAL_EVENTS if e in present)


def tracked_outcomes(opportunities: pd.DataFrame) -> tuple[str, ...]:
    """Closed statuses (``won``, ``lost``) that occur at least once in ``opportunities``.

    Examples
    --------
    >>> tracked_outcomes(pd.DataFrame({"status": ["won", "open"]}))
    ('won',)
    """
    present = set(opportunities["status"].dropna().unique()) if "status" in opportunities else set()
    return tuple(s for s in OUTCOMES if s in present)


def tracked_stages(
    events: Collection[str], outcomes: Collection[str], sides: Collection[str] = ("leads", "deals")
) -> tuple[str, ...]:
    """Funnel stages the data set records: leads, opportunities, the tracked events and ``won``.

    ``lead`` is tracked when the data set has its lead side, ``opportunity`` when it has its
    deal side (``Dataset.sides``; both by default); ``won`` when some opportunity was won.

    Parameters
    ----------
    events : collection of str
        :func:`tracked_events`.
    outcomes : collection of str
        :func:`tracked_outcomes`.
    sides : collection of str
        ``leads`` and/or ``deals``: the sides of the data set supplied.

    Returns
    -------
    tuple of str
        Stages of :data:`CHAIN` then its side branches, in that order.

    Examples
    --------
    >>> tracked_stages(("mql", "sql"), ("won",))
    ('lead', 'mql', 'sql', 'opportunity', 'won')
    """
    have = {*events} | ({"won"} if "won" in outcomes else set())
    have |= {"lead"} if "leads" in sides else set()
    have |= {"opportunity"} if "deals" in sides else set()
    return tuple(s for s in (*CHAIN, *SIDE) if s in have)
