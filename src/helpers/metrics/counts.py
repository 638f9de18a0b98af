"""Why two counts of "MQLs" differ, and when a cohort is old enough to read.

A report counts MQLs several ways, each right for its own figure:

- **period MQLs**: distinct leads with an ``mql`` event in the quarter (the MQL KPI, the base
  of MQL→SQL and of feedback coverage);
- **MQL events**: every ``mql`` event in the quarter; a lead recycled and qualified again
  counts once per event, since each starts its own SLA clock (speed to lead);
- **SLA base**: MQL events whose SLA window had closed by the as-of date (touched, or
  untouched past their SLA), the denominator of SLA compliance;
- **MQLs answered**: MQL events with a first touch;
- **cohort MQLs**: leads *created* in the quarter that became MQL by the as-of date.

:func:`mql_count_table` states each count with its exact difference from the period MQLs;
:func:`count_difference` says in one sentence why any two of them differ, for the place where
a report shows both.

A cohort is followed from its creation to the as-of date; right after its quarter ends its
leads have had no time to convert (a cohort of the current quarter "at 0 days" reads as a
collapse). :func:`cohort_maturity` is the rule: a cohort is shown as mature only
``[cohorts] min_age_days`` (default 30) days after its quarter ended, else labelled immature.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

COUNTS = ("period", "mql_events", "sla_base", "answered", "cohort")
COUNT_LABELS = {
    "period": "MQLs (period)",
    "mql_events": "MQL events",
    "sla_base": "MQLs in the SLA base",
    "answered": "MQLs answered",
    "cohort": "MQLs of the cohort",
}


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def mql_count_table(figures: Mapping[str, int], quarter: str) -> pd.DataFrame:
    """Every count of MQLs of one team-quarter with its exact difference from the period MQLs.

    Parameters
    ----------
    figures : dict of int
        ``period`` (P, distinct leads with an MQL in the quarter), ``mql_events`` (E),
        ``repeat_leads`` (leads with more than one MQL event in the quarter), ``sla_base``
        (B), ``within_sla`` (MQL events still inside their SLA window: E − B),
        ``answered`` (T), ``overdue`` (untouched past their SLA), ``cohort`` (C),
        ``created_before`` (period MQLs created before the quarter) and ``mql_after``
        (cohort leads whose MQL came after the quarter). A count left out is not shown.
    quarter : str
        The quarter, for the wording.

    Returns
    -------
    DataFrame
        count, label, value, difference (value − P), explanation; rows in the order of
        :data:`COUNTS`. The differences add up: E − P = extra MQL events of the repeat
        leads; B = E − within_sla; T = E − untouched; C = P − created_before + mql_after.

    Examples
    --------
    >>> t = mql_count_table({"period": 10, "mql_events": 12, "repeat_leads": 2,
    ...                      "cohort": 9, "created_before": 3, "mql_after": 2}, "2026Q3")
    >>> t["difference"].tolist()
    [0, 2, -1]
    """
    p = int(figures["period"])
    rows = [
        (
            "period",
            p,
            f"distinct leads that became MQL in {quarter} (the MQL KPI and the base of "
            "MQL→SQL and feedback coverage)",
        )
    ]
    if "mql_events" in figures:
        e = int(figures["mql_events"])
        repeat = int(figures.get("repeat_leads", 0))
        why = f"every MQL event in {quarter}; each starts its own SLA clock"
        if e != p:
            why += (
                f": {_plural(e - p, 'more event')} than MQLs, as "
                f"{_plural(repeat, 'lead')} became MQL again after recycling"
            )
        rows.append(("mql_events", e, why))
    if "sla_base" in figures:
        b = int(figures["sla_base"])
        waiting = int(figures.get("within_sla", int(figures.get("mql_events", b)) - b))
        why = "MQL events whose SLA window had closed by the as-of date (the SLA compliance base)"
        if waiting:
            why += (
                f"; {_plural(waiting, 'MQL event')} still inside "
                f"{'its' if waiting == 1 else 'their'} SLA window, neither met nor missed, "
                f"{'is' if waiting == 1 else 'are'} left out"
            )
        rows.append(("sla_base", b, why))
    if "answered" in figures:
        t = int(figures["answered"])
        untouched = int(figures.get("mql_events", t)) - t
        why = "MQL events with a first touch (the speed-to-lead base)"
        if untouched:
            overdue = int(figures.get("overdue", 0))
            why += f"; {_plural(untouched, 'MQL event')} not touched ({overdue:,} past the SLA)"
        rows.append(("answered", t, why))
    if "cohort" in figures:
        c = int(figures["cohort"])
        before = int(figures.get("created_before", 0))
        after = int(figures.get("mql_after", 0))
        why = f"leads created in {quarter} that became MQL by the as-of date"
        parts = []
        if before:
            parts.append(
                f"{_plural(before, 'MQL')} of {quarter} created before it "
                f"{'is' if before == 1 else 'are'} not in the cohort"
            )
        if after:
            parts.append(f"{_plural(after, 'lead')} of the cohort became MQL after {quarter} ended")
        if parts:
            why += ": " + "; ".join(parts)
        rows.append(("cohort", c, why))
    table = pd.DataFrame(rows, columns=["count", "value", "explanation"])
    table.insert(1, "label", table["count"].map(COUNT_LABELS))
    table.insert(3, "difference", table["value"] - p)
    return table[["count", "label", "value", "difference", "explanation"]]


def count_difference(table: pd.DataFrame, first: str, second: str) -> str:
    """One sentence saying why two counts of MQLs of :func:`mql_count_table` differ.

    Examples
    --------
    >>> t = mql_count_table({"period": 10, "cohort": 9, "created_before": 3,
    ...                      "mql_after": 2}, "2026Q3")
    >>> count_difference(t, "period", "cohort")  # doctest: +NORMALIZE_WHITESPACE
    '10 MQLs (period) vs 9 MQLs of the cohort: leads created in 2026Q3 that became MQL by the
    as-of date: 3 MQLs of 2026Q3 created before it are not in the cohort; 2 leads of the cohort
    became MQL after 2026Q3 ended.'
    """
    rows = table.set_index("count")
    a, b = rows.loc[first], rows.loc[second]
    head = f"{int(a['value']):,} {a['label']} vs {int(b['value']):,} {b['label']}"
    if int(a["value"]) == int(b["value"]) and "period" in (first, second):
        return f"{head}: the same leads."
    # The SLA base and the MQLs answered are parts of the MQL events: their own reason says it.
    for part in ("sla_base", "answered"):
        if {first, second} == {"mql_events", part}:
            return f"{head}: {rows.loc[part, 'explanation']}."
    if first == "period":
        return f"{head}: {b['explanation']}."
    if second == "period":
        return f"{head}: {a['explanation']}."
    return f"{head}: {a['explanation']}; and {b['explanation']}."


def cohort_maturity(
    quarter_end: pd.Timestamp, as_of: pd.Timestamp, min_age_days: int
) -> dict[str, object]:
    """Whether a cohort is old enough to read: at least ``min_age_days`` after its quarter.

    ``age_days = (as_of − quarter_end)`` in whole days (0 while the quarter is running);
    mature when ``age_days ≥ min_age_days`` (``[cohorts] min_age_days``, default 30).

    Returns
    -------
    dict
        ``age_days`` (int), ``min_age_days`` (int), ``mature`` (bool) and ``label``
        (``"mature (45 days after the quarter)"`` or ``"immature: 0 days after the quarter,
        shown from 30"``).

    Examples
    --------
    >>> cohort_maturity(pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-01"), 30)["label"]
    'immature: 0 days after the quarter ended, read from 30 days on'
    """
    age = max(int((as_of - quarter_end).days), 0)
    mature = age >= int(min_age_days)
    if mature:
        label = f"mature ({_plural(age, 'day')} after the quarter ended)"
    else:
        label = (
            f"immature: {_plural(age, 'day')} after the quarter ended, read from "
            f"{_plural(int(min_age_days), 'day')} on"
        )
    return {"age_days": age, "min_age_days": int(min_age_days), "mature": mature, "label": label}
