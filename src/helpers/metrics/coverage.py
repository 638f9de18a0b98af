"""What a data set tracks at all, and the one line a report shows for what it does not.

A stage the data set never records anywhere (no ``first_touch`` event in the whole of
``lead_events``, no lost deal in ``opportunities``) is *not in this data*: every figure that
needs it is n/a (``None`` from a view, NaN as a KPI), it is left out of the alignment index,
the strict funnel skips it, and the report says so in one line. A stage that the data set
records somewhere but that did not happen in a given quarter is a genuine 0.

Tracking is decided over the whole data set (every team and quarter), after the event
vocabulary of ``workbook.toml`` has been applied, so one team's quiet quarter never switches a
section off.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from ..data.config import CANONICAL_EVENTS
from ..data.stages import CHAIN, OUTCOMES, STAGE_LABELS

# Figure -> the events or outcomes it needs. A figure is computable only when the data set
# tracks every one of them.
NEEDS: dict[str, tuple[str, ...]] = {
    "mqls": ("mql",),
    "speed_to_lead": ("mql", "first_touch"),
    "untouched_mqls": ("mql", "first_touch"),
    "mql_acceptance": ("mql", "accepted", "rejected"),
    "rejection_reasons": ("rejected",),
    "recycle_reasons": ("recycled",),
    "mql_to_sql": ("mql", "sql"),
    "win_rate": OUTCOMES,
}
# Figure -> what the report cannot show without it (listed after "so no ...").
WHAT: dict[str, tuple[str, ...]] = {
    "mqls": ("MQL count",),
    "speed_to_lead": ("speed to lead", "SLA compliance"),
    "untouched_mqls": ("count of MQLs still waiting for a first touch",),
    "mql_acceptance": ("MQL acceptance",),
    "rejection_reasons": ("rejection reasons",),
    "recycle_reasons": ("recycle reasons",),
    "mql_to_sql": ("MQL → SQL conversion",),
    "win_rate": ("win rate", "sales velocity"),
}
# Shared KPI (``helpers.analysis.workbook.KPIS``) or alignment component -> the figure it is.
KPI_FIGURES: dict[str, str] = {
    "mqls": "mqls",
    "sla_compliance": "speed_to_lead",
    "speed_to_lead_hours": "speed_to_lead",
    "mql_acceptance": "mql_acceptance",
    "mql_to_sql": "mql_to_sql",
    "win_rate": "win_rate",
}
# Shared KPI or alignment component -> the table whose rows it counts. A quarter that starts
# after that table's export stopped (while other tables go on) has no value, not a 0.
KPI_TABLES: dict[str, str] = {
    "mqls": "lead_events",
    "sla_compliance": "lead_events",
    "speed_to_lead_hours": "lead_events",
    "mql_acceptance": "lead_events",
    "mql_to_sql": "lead_events",
    "feedback_coverage": "lead_events",
    "pipeline_created": "opportunities",
    "won_revenue": "opportunities",
    "won_deals": "opportunities",
    "win_rate": "opportunities",
    "cac": "opportunities",
    "marketing_pipeline_share": "opportunities",
    "lead_to_customer": "leads",
    "bookings_growth": "opportunities",
    "customer_retention": "revenue",
    "marketing_roi": "spend",
}


def missing_for(figure: str, tracked: Collection[str]) -> tuple[str, ...]:
    """The events or outcomes ``figure`` needs that the data set does not track.

    Parameters
    ----------
    figure : str
        A key of :data:`NEEDS`, or a shared KPI name of :data:`KPI_FIGURES`
        (``"sla_compliance"`` needs what ``"speed_to_lead"`` needs).
    tracked : collection of str
        Tracked events and outcomes (e.g. ``Dataset.tracked_events + Dataset.tracked_outcomes``).

    Returns
    -------
    tuple of str
        Empty when the figure is computable.

    Raises
    ------
    ValueError
        When ``figure`` is neither.

    Examples
    --------
    >>> missing_for("speed_to_lead", ("mql", "sql"))
    ('first_touch',)
    >>> missing_for("sla_compliance", ("mql", "sql"))
    ('first_touch',)
    """
    key = KPI_FIGURES.get(figure, figure)
    if key not in NEEDS:
        known = ", ".join(sorted(set(NEEDS) | set(KPI_FIGURES)))
        raise ValueError(f"unknown figure {figure!r}; use one of {known}")
    return tuple(need for need in NEEDS[key] if need not in tracked)


def _either(names: Sequence[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def absent_phrase(missing: Iterable[str], not_supplied: Collection[str] = ()) -> str:
    """What the data lacks, e.g. ``no first_touch or accepted events``, ``no lost opportunities``.

    ``not_supplied`` names the side tables the data set left out (``Dataset.not_supplied``):
    their events or outcomes are then missing because the table is, and the phrase says so.

    Examples
    --------
    >>> absent_phrase(["first_touch", "accepted"])
    'no first_touch or accepted events'
    >>> absent_phrase(["rejected", "lost"])
    'no rejected events and no lost opportunities'
    >>> absent_phrase(["mql", "won"], not_supplied=("leads", "lead_events"))
    'no leads table and no won opportunities'
    """
    return " and ".join(_absent_parts(missing, not_supplied))


def _absent_parts(missing: Iterable[str], not_supplied: Collection[str] = ()) -> list[str]:
    missing = list(dict.fromkeys(missing))
    events = [m for m in CANONICAL_EVENTS if m in missing]
    outcomes = [m for m in OUTCOMES if m in missing]
    parts = []
    if events and "leads" in not_supplied:
        parts.append("no leads table")
    elif events and "lead_events" in not_supplied:
        parts.append("no lead_events table")
    elif events:
        parts.append(f"no {_either(events)} events")
    if outcomes and "opportunities" in not_supplied:
        parts.append("no opportunities table")
    elif outcomes:
        parts.append(f"no {_either(outcomes)} opportunities")
    return parts


def _and(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def not_in_data(
    figures: Iterable[str], tracked: Collection[str], not_supplied: Collection[str] = ()
) -> str | None:
    """The report's one line for the figures of a section the data set cannot fill.

    Parameters
    ----------
    figures : iterable of str
        Keys of :data:`NEEDS` shown in one section.
    tracked : collection of str
        Tracked events and outcomes.
    not_supplied : collection of str
        Side tables left out of the data set (see :func:`absent_phrase`).

    Returns
    -------
    str or None
        ``"Not in this data: no first_touch events, so no speed to lead or SLA compliance."``;
        None when every figure is computable.

    Examples
    --------
    >>> not_in_data(["mql_acceptance", "rejection_reasons"], ("mql", "accepted", "sql"))
    'Not in this data: no rejected events, so no MQL acceptance or rejection reasons.'
    >>> not_in_data(["speed_to_lead"], ("mql", "first_touch")) is None
    True
    """
    gaps = [(f, missing_for(f, tracked)) for f in figures]
    gaps = [(f, m) for f, m in gaps if m]
    if not gaps:
        return None
    missing = [name for _, m in gaps for name in m]
    what = list(dict.fromkeys(noun for f, _ in gaps for noun in WHAT[KPI_FIGURES.get(f, f)]))
    return f"Not in this data: {absent_phrase(missing, not_supplied)}, so no {_either(what)}."


def skipped_stages_line(stages: Collection[str], not_supplied: Collection[str] = ()) -> str | None:
    """The funnel section's line for main-chain stages the data set never records.

    Parameters
    ----------
    stages : collection of str
        Tracked stages (:func:`tracked_stages`).
    not_supplied : collection of str
        Side tables left out of the data set (see :func:`absent_phrase`).

    Returns
    -------
    str or None
        None when every stage of :data:`~helpers.metrics.funnel.CHAIN` is tracked.

    Examples
    --------
    >>> print(skipped_stages_line(("lead", "mql", "sql", "opportunity", "won")))
    ... # doctest: +NORMALIZE_WHITESPACE
    Not in this data: no first_touch or accepted events, so the funnels skip First touched
    and Accepted (SAL).
    """
    skipped = [s for s in CHAIN if s not in stages]
    if not skipped:
        return None
    labels = [STAGE_LABELS[s] for s in skipped]
    phrase = absent_phrase(skipped, not_supplied)
    return f"Not in this data: {phrase}, so the funnels skip {_and(labels)}."


def left_out_line(
    missing: Iterable[str],
    tables: Sequence[str],
    labels: Sequence[str],
    *,
    consequence: tuple[str, str] = ("is left out", "are left out"),
    not_supplied: Collection[str] = (),
) -> str | None:
    """One line for KPIs left out of a chart because the data set cannot measure them.

    Parameters
    ----------
    missing : iterable of str
        Untracked events and outcomes the KPIs need.
    tables : sequence of str
        Optional tables they need that are absent (e.g. ``spend`` for CAC).
    labels : sequence of str
        The KPIs' labels, in display order.
    consequence : (str, str)
        What follows for them, for one KPI and for several (e.g. ``("has no baseline",
        "have no baseline")``).
    not_supplied : collection of str
        Side tables left out of the data set (see :func:`absent_phrase`).

    Returns
    -------
    str or None
        None when ``labels`` is empty.

    Examples
    --------
    >>> print(left_out_line(["first_touch"], ["spend"], ["SLA compliance", "CAC"]))
    ... # doctest: +NORMALIZE_WHITESPACE
    Not in this data: no first_touch events and no spend table, so SLA compliance and CAC
    are left out.
    """
    labels = list(labels)
    if not labels:
        return None
    parts = [*_absent_parts(missing, not_supplied), *(f"no {name} table" for name in tables)]
    verb = consequence[0] if len(labels) == 1 else consequence[1]
    return f"Not in this data: {_and(parts)}, so {_and(labels)} {verb}."
