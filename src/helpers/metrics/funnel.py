"""Funnel metrics: stage volumes, conversion (period and cohort views), acceptance, reasons.

Stages of the main chain, in order: lead → MQL → first touched → accepted (SAL) → SQL →
opportunity → won. Rejected and recycled are side branches, counted but not chained.

A data set need not record every stage (an export with only MQL and SQL dates has no first
touch or acceptance at all). The functions take the stages the data set tracks (see
:mod:`helpers.metrics.coverage`): an untracked stage has no volume (NaN, not 0) and the
funnels and velocities go straight from the stage before it to the stage after it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from ..data.membership import earliest, is_in, positions
from ..data.stages import CHAIN, SIDE, STAGE_LABELS
from .scope import equals, within
from .stats import Rate, rate_columns


def lead_journeys(
    leads: pd.DataFrame,
    events: pd.DataFrame,
    opportunities: pd.DataFrame,
    times: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per lead with the first time it reached each stage.

    Parameters
    ----------
    leads : DataFrame
        Canonical ``leads`` (lead_id, created_at, team, channel, source_type, ...).
    events : DataFrame
        Canonical ``lead_events`` (lead_id, event, at).
    opportunities : DataFrame
        Canonical ``opportunities``; only those with a lead_id count for the lead.
    times : DataFrame, optional
        :func:`stage_times` of these tables, when already computed (e.g. read from the shared
        per-lead tables); computed otherwise.

    Returns
    -------
    DataFrame
        Index lead_id; columns team, channel, source_type, one timestamp column per stage of
        :data:`CHAIN` and :data:`SIDE` (``lead`` = created_at; ``opportunity`` = first
        opportunity created; ``won`` = first won opportunity closed; NaT = never), and
        ``mql_count`` (number of MQL events: above 1 for a recycled lead that came back).
    """
    if times is None:
        times = stage_times(leads, events, opportunities)
    columns = {name: leads[name] for name in ("team", "channel", "source_type")}
    columns["lead"] = leads["created_at"]
    columns |= {name: times[name] for name in times.columns}
    # Columns side by side, not copied into one block: a million leads' times are not
    # held twice (the stage times may come from the shared per-lead tables).
    index = pd.Index(leads["lead_id"], name="lead_id")
    return pd.DataFrame(
        {n: c.to_numpy(copy=False) if c.dtype.kind == "M" else c.array for n, c in columns.items()},
        index=index,
        copy=False,
    )


def stage_times(
    leads: pd.DataFrame,
    events: pd.DataFrame,
    opportunities: pd.DataFrame,
    lead_rows: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The computed part of :func:`lead_journeys`: each lead's first time at each stage.

    ``lead_rows``: the position in ``leads`` of each event's and opportunity's lead, by table
    name, when already known (``Dataset.lead_rows``); found here otherwise.

    Returns
    -------
    DataFrame
        One row per row of ``leads``, in its order (RangeIndex): mql, first_touch, accepted,
        rejected, recycled, sql, opportunity, won (datetime64[ns], NaT = never) and
        mql_count (int64).
    """
    # Leads are found by position (Arrow hash lookups) and each stage's first time is a numpy
    # minimum per position: no alignment on the text index of a million lead ids.
    size, ids = len(leads), leads["lead_id"]
    lead_rows = lead_rows or {}
    lead_of_event = lead_rows.get("lead_events")
    if lead_of_event is None or len(lead_of_event) != len(events):
        lead_of_event = positions(events["lead_id"], ids)
    event = events["event"]
    stages = {}
    for stage in ("mql", "first_touch", "accepted", "rejected", "recycled", "sql"):
        chosen = equals(event, stage)
        stages[stage] = earliest(lead_of_event[chosen], events["at"].to_numpy()[chosen], size)
    lead_of_opportunity = lead_rows.get("opportunities")
    if lead_of_opportunity is None or len(lead_of_opportunity) != len(opportunities):
        lead_of_opportunity = positions(opportunities["lead_id"], ids)
    stages["opportunity"] = earliest(lead_of_opportunity, opportunities["created_at"], size)
    won = equals(opportunities["status"], "won")
    closed = opportunities["closed_at"].to_numpy()[won]
    stages["won"] = earliest(lead_of_opportunity[won], closed, size)
    mqls = lead_of_event[equals(event, "mql")]
    stages["mql_count"] = np.bincount(mqls[mqls >= 0], minlength=size).astype("int64")
    return pd.DataFrame(stages)


def _chain(stages: Collection[str] | None) -> list[str]:
    """The main-chain stages among ``stages`` (all of :data:`CHAIN` for None), in order."""
    return [s for s in CHAIN if stages is None or s in stages]


def stage_volumes(
    leads: pd.DataFrame,
    events: pd.DataFrame,
    opportunities: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    stages: Collection[str] | None = None,
) -> pd.DataFrame:
    """Period view: how many leads reached each stage during ``[start, end)``.

    A stage's volume is the number of distinct leads with that event in the window (a lead
    that became an MQL twice in the window counts once); ``lead`` counts leads created;
    ``opportunity`` counts opportunities created (with or without a lead) and ``won`` those
    won (closed) in the window.

    Parameters
    ----------
    leads, events, opportunities : DataFrame
        Canonical tables.
    start, end : Timestamp
        The window ``[start, end)``.
    stages : collection of str, optional
        Stages the data set tracks (``Dataset.tracked_stages``); others have volume NaN
        (not in this data) instead of 0. Default: every stage is tracked.

    Returns
    -------
    DataFrame
        Columns stage, label, volume, tracked; rows in the order of :data:`CHAIN` then
        :data:`SIDE`. ``volume`` is int64 when every stage is tracked, else float64.
    """
    in_window = events.loc[within(events["at"], start, end), ["event", "lead_id"]]
    distinct = in_window.groupby("event", observed=True)["lead_id"].nunique()
    volumes = {"lead": int(within(leads["created_at"], start, end).sum())}
    for stage in ("mql", "first_touch", "accepted", "sql", "rejected", "recycled"):
        volumes[stage] = int(distinct.get(stage, 0))
    volumes["opportunity"] = int(within(opportunities["created_at"], start, end).sum())
    won = opportunities["status"] == "won"
    volumes["won"] = int((won & within(opportunities["closed_at"], start, end)).sum())
    order = [*CHAIN, *SIDE]
    tracked = [stages is None or s in stages for s in order]
    counts = pd.Series([volumes[s] for s in order], dtype="int64")
    return pd.DataFrame(
        {
            "stage": order,
            "label": [STAGE_LABELS[s] for s in order],
            "volume": counts if all(tracked) else counts.where(tracked),
            "tracked": tracked,
        }
    )


def period_funnel(volumes: pd.DataFrame) -> pd.DataFrame:
    """Period view of the main chain with the ratio of each volume to the previous stage's.

    The ratio compares different leads (an SQL this quarter may have been an MQL last
    quarter), so it can exceed 1 and carries no confidence interval; use the cohort view
    for true conversion rates. Stages the data set does not track (``tracked`` False in
    ``volumes``) are left out, so the ratio is to the previous tracked stage.

    Returns
    -------
    DataFrame
        Columns stage, label, volume, ratio_to_previous (NaN for the first stage or a
        previous volume of 0).
    """
    shown = volumes[volumes["tracked"]] if "tracked" in volumes else volumes
    chain = shown.set_index("stage").loc[_chain(set(shown["stage"]))].reset_index()
    chain = chain.drop(columns="tracked", errors="ignore")
    previous = chain["volume"].shift(1)
    ratio = chain["volume"] / previous.where(previous > 0)
    return chain.assign(ratio_to_previous=ratio)


def _reached(
    journeys: pd.DataFrame, as_of: pd.Timestamp, strict: bool, chain: list[str]
) -> pd.DataFrame:
    reached = pd.DataFrame(index=journeys.index)
    previous_ok = pd.Series(True, index=journeys.index)
    previous_at = journeys["lead"]
    for stage in chain:
        at = journeys[stage]
        ok = at.notna() & (at < as_of)
        if strict:
            # In order: every earlier stage reached, and not before the previous one.
            ok = ok & previous_ok & (at >= previous_at)
            previous_at = at.where(ok, previous_at)
            previous_ok = ok
        reached[stage] = ok.to_numpy()
    return reached


def cohort_funnel(
    journeys: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    as_of: pd.Timestamp,
    *,
    strict: bool = False,
    stages: Collection[str] | None = None,
) -> pd.DataFrame:
    """Cohort view: leads created in ``[start, end)`` followed to wherever they got by ``as_of``.

    next-step conversion = reached(stage) / reached(previous stage);
    cumulative conversion = reached(stage) / leads in the cohort.

    In the **any-stage** funnel (``strict=False``) a lead counts at every stage it reached,
    even if it skipped one (an outbound lead has no MQL), so a next-step ratio can exceed 1
    and then has no interval. In the **strict** funnel a lead counts at a stage only if it
    reached every earlier stage, in order; every ratio is then a proper proportion.

    ``stages`` are the stages the data set tracks (``Dataset.tracked_stages``; default all):
    the others are left out of the funnel, so a strict lead goes from MQL straight to SQL when
    the data records neither first touch nor acceptance, instead of every lead stopping at a
    stage that never exists.

    Returns
    -------
    DataFrame
        One row per tracked stage of :data:`CHAIN`: columns stage, label, reached, next-step
        (``next_*``: numerator, denominator, rate, ci_low, ci_high, small_sample) and
        cumulative (``cum_*``) rate columns, and ``cohort_age_days`` (days from the cohort's
        end to ``as_of``).
    """
    chain = _chain(stages)
    cohort = journeys[within(journeys["lead"], start, end)]
    reached = _reached(cohort, as_of, strict, chain).sum().reindex(chain).astype("int64")
    counts = reached.to_numpy()
    previous = np.concatenate([[counts[0]], counts[:-1]])
    proper = counts <= previous
    nxt = rate_columns(np.where(proper, counts, 0), previous)
    nxt.loc[~proper, ["numerator", "rate", "ci_low", "ci_high"]] = np.nan
    nxt.loc[~proper, "rate"] = counts[~proper] / previous[~proper]
    cum = rate_columns(counts, np.full(len(counts), counts[0]))
    out = pd.DataFrame({"stage": chain, "label": [STAGE_LABELS[s] for s in chain]})
    out["reached"] = counts
    out = pd.concat([out, nxt.add_prefix("next_"), cum.add_prefix("cum_")], axis=1)
    out["cohort_age_days"] = max((as_of - end).days, 0)
    return out


def mql_acceptance(events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> Rate:
    """MQL acceptance rate = accepted / (accepted + rejected), decisions made in ``[start, end)``.

    Only decisions on MQLs count: the lead must have an ``mql`` event at or before the
    decision (an outbound lead accepted by sales is not an MQL acceptance). Events are
    counted, so a lead accepted after coming back from recycling counts again.
    """
    # Column by column: filtering the whole table copies every column of it (a report asks
    # this for every quarter of its trends).
    event, at, lead = events["event"], events["at"], events["lead_id"]
    chosen = is_in(event, ["accepted", "rejected"]) & within(at, start, end).to_numpy(dtype=bool)
    decided_lead, decided_at, decided = lead[chosen], at[chosen], event[chosen]
    # The first MQL of the leads decided in the window only: grouping every MQL of a million
    # leads held all their ids twice (issue 18). The same minimum for each decided lead.
    mqls = equals(event, "mql") & is_in(lead, decided_lead)
    first_mql = at[mqls].groupby(lead[mqls]).min()
    if first_mql.empty:  # no decision in the window was on an MQL
        return Rate(0, 0)
    # A lead without an MQL (or without an id) has no first MQL: NaT, never before.
    was_mql = first_mql.reindex(decided_lead).to_numpy() <= decided_at.to_numpy()
    decided = decided[was_mql]
    accepted = int(equals(decided, "accepted").sum())
    rejected = int(equals(decided, "rejected").sum())
    return Rate(accepted, accepted + rejected)


def mql_to_sql(journeys: pd.DataFrame, events: pd.DataFrame, start, end, as_of) -> Rate:
    """MQL→SQL conversion = leads that became MQL in the window and SQL at or after it, by as_of.

    Denominator: distinct leads with an ``mql`` event in ``[start, end)``. Numerator: those
    with an ``sql`` event at or after their first MQL of the window and before ``as_of``.
    """
    event, at, lead = events["event"], events["at"], events["lead_id"]  # as in mql_acceptance
    mqls = equals(event, "mql") & within(at, start, end).to_numpy(dtype=bool)
    first_mql = at[mqls].groupby(lead[mqls]).min()
    sqls = equals(event, "sql") & (at < as_of).to_numpy(dtype=bool)
    sqls &= is_in(lead, first_mql.index)
    sql_lead = lead[sqls]
    after = at[sqls].to_numpy() >= first_mql.reindex(sql_lead).to_numpy()
    converted = sql_lead[after].nunique()
    return Rate(int(converted), int(len(first_mql)))


def reason_pareto(
    events: pd.DataFrame, event: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Pareto table of the reasons given for ``event`` (``rejected`` or ``recycled``) in the window.

    Returns
    -------
    DataFrame
        Columns reason, count, share, cumulative_share; most frequent first (ties by name).
    """
    chosen = events[(events["event"] == event) & within(events["at"], start, end)]
    # reason is an optional column: without it every row is "(no reason)".
    reason = chosen.get("reason", pd.Series(pd.NA, index=chosen.index, dtype="string"))
    counts = reason.fillna("(no reason)").value_counts()
    table = counts.rename_axis("reason").reset_index(name="count")
    table = table.sort_values(["count", "reason"], ascending=[False, True], ignore_index=True)
    total = table["count"].sum()
    table["share"] = table["count"] / total if total else np.nan
    table["cumulative_share"] = table["share"].cumsum()
    return table


def stage_velocity(
    journeys: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    stages: Collection[str] | None = None,
) -> pd.DataFrame:
    """Median days between consecutive stages, for leads reaching the later stage in the window.

    Only pairs in order count (a later stage reached before the earlier one is skipped).
    Consecutive means consecutive among the ``stages`` the data set tracks (default all): with
    no first touch or acceptance in the data, MQL → SQL is one step.

    Returns
    -------
    DataFrame
        Columns from_stage, to_stage, leads, median_days, p90_days.
    """
    chain = _chain(stages)
    rows = []
    for before, after in zip(chain[:-1], chain[1:], strict=True):
        pair = journeys[[before, after]].dropna()
        pair = pair[within(pair[after], start, end) & (pair[after] >= pair[before])]
        days = (pair[after] - pair[before]).dt.total_seconds() / 86400
        rows.append(
            {
                "from_stage": STAGE_LABELS[before],
                "to_stage": STAGE_LABELS[after],
                "leads": len(days),
                "median_days": float(days.median()) if len(days) else np.nan,
                "p90_days": float(days.quantile(0.9)) if len(days) else np.nan,
            }
        )
    return pd.DataFrame(rows)
