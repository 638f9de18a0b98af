"""Hand-off metrics: speed to lead on the business-hours clock, SLA compliance, untouched MQLs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..data.clock import business_hours_between
from ..data.config import BusinessHours, Config
from ..data.membership import codes, is_in, lookup, take_at
from .scope import equals, within
from .stats import Rate

AGE_BANDS = (0, 8, 24, 48, 120, np.inf)
AGE_LABELS = ("0–8 h", "8–24 h", "24–48 h", "48–120 h", "> 120 h")
_DISPOSITIONS = ("first_touch", "accepted", "rejected", "recycled", "sql")


def pair_mqls_with_touches(events: pd.DataFrame) -> pd.DataFrame:
    """Each MQL event with the first touch that answered it.

    An MQL is answered by the lead's first ``first_touch`` at or after it and before the
    lead's next MQL (a recycled lead that comes back starts a new clock).

    Returns
    -------
    DataFrame
        One row per MQL event: lead_id, mql_at, next_mql_at, touched_at (NaT if unanswered).
    """
    valid = events.dropna(subset=["lead_id", "at"])
    # Leads as group numbers and times as int64: the pairing is a sort and a binary search in
    # numpy, with no text id compared or aligned in Python.
    lead, _ = codes(valid["lead_id"])
    at = valid["at"].to_numpy(dtype="datetime64[ns]").view("int64")
    mql_rows = np.flatnonzero(equals(valid["event"], "mql"))
    touch_rows = np.flatnonzero(equals(valid["event"], "first_touch"))
    return _paired_frame(valid["lead_id"], *_pair(lead, at, mql_rows, touch_rows))


def _pair(
    lead: np.ndarray, at: np.ndarray, mql_rows: np.ndarray, touch_rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pairing of :func:`pair_mqls_with_touches` on arrays, by MQL time.

    ``lead``: a group number per row (the same lead, the same number); ``at``: int64
    nanoseconds; ``mql_rows`` and ``touch_rows``: the rows of MQLs and first touches.
    Returns the MQL rows, their times, the lead's next MQL and the answering touch (int64,
    :data:`NAT` for none).
    """
    mql_rows = mql_rows[np.lexsort((at[mql_rows], lead[mql_rows]))]  # by lead, then time
    mql_lead, mql_at = lead[mql_rows], at[mql_rows]
    same_lead = np.append(mql_lead[1:] == mql_lead[:-1], False)
    next_mql = np.where(same_lead, np.append(mql_at[1:], NAT), NAT)
    touched = _first_at_or_after(mql_lead, mql_at, lead[touch_rows], at[touch_rows])
    touched[(next_mql != NAT) & (touched != NAT) & (touched >= next_mql)] = NAT  # stale
    order = np.argsort(mql_at, kind="stable")
    return mql_rows[order], mql_at[order], next_mql[order], touched[order]


def _paired_frame(
    lead_ids: pd.Series, rows: np.ndarray, mql_at: np.ndarray, next_mql: np.ndarray, touched
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lead_id": lead_ids.array.take(rows),
            "mql_at": mql_at.view("datetime64[ns]"),
            "next_mql_at": next_mql.view("datetime64[ns]"),
            "touched_at": touched.view("datetime64[ns]"),
        }
    )


NAT = np.iinfo(np.int64).min  # NaT as int64 nanoseconds


def _first_at_or_after(
    lead: np.ndarray, at: np.ndarray, other_lead: np.ndarray, other_at: np.ndarray
) -> np.ndarray:
    """For each (lead, at), the earliest ``other_at`` of the same lead at or after ``at``.

    Times are int64 nanoseconds; :data:`NAT` where there is none. Both sides are ranked on
    one time axis so that (lead, time) becomes one sortable int64 key.
    """
    # Each time's rank among the distinct times (what np.unique's return_inverse gives, with
    # fewer arrays of a million held at once; np.unique alone hashes, 8x slower than a sort).
    both = np.concatenate([at, other_at])
    times = np.sort(both)
    first = np.ones(len(times), dtype=bool)
    first[1:] = times[1:] != times[:-1]
    times = times[first]
    span = len(times)
    rank = np.searchsorted(times, both)
    del both, times
    # int64 keys whatever the leads' numbers are (int32 positions times a million times overflow)
    key = np.asarray(lead, dtype="int64") * span + rank[: len(at)]
    other_key = np.asarray(other_lead, dtype="int64") * span + rank[len(at) :]
    other_order = np.argsort(other_key, kind="stable")
    sorted_key = other_key[other_order]
    found = np.searchsorted(sorted_key, key, side="left")
    inside = found < len(sorted_key)
    found = np.minimum(found, max(len(sorted_key) - 1, 0))
    same = inside & (other_lead[other_order][found] == lead) if len(sorted_key) else inside
    return np.where(same, other_at[other_order][found] if len(sorted_key) else NAT, NAT)


_STATUSES = np.array(["in SLA", "late", "untouched, overdue", "untouched, within SLA"], object)


def mql_responses(
    leads: pd.DataFrame,
    events: pd.DataFrame,
    config: Config,
    as_of: pd.Timestamp,
    lead_of_event: np.ndarray | None = None,
) -> pd.DataFrame:
    """Every MQL event with the first touch that answered it.

    An MQL is answered by the lead's first ``first_touch`` at or after it and before the
    lead's next MQL (a recycled lead that comes back starts a new clock).

    Parameters
    ----------
    leads, events : DataFrame
        Canonical ``leads`` and ``lead_events``.
    config : Config
        Business hours and SLA limits (overall and per channel).
    as_of : Timestamp
        Time of observation: touches after it are unknown.
    lead_of_event : array of int, optional
        The position in ``leads`` of each event's lead (-1: none), when already known
        (``Dataset.lead_rows["lead_events"]``, found while validating); found here otherwise.

    Returns
    -------
    DataFrame
        One row per MQL: lead_id, channel, mql_at, touched_at (NaT if none), response_hours
        (business hours, NaN if untouched), sla_hours, waiting_hours (business hours from
        MQL to ``as_of`` for untouched MQLs), status: ``in SLA``, ``late``, ``untouched, overdue``
        or ``untouched, within SLA``.
    """
    return _responses(leads, events, config, as_of, lead_of_event)[0]


def _responses(
    leads: pd.DataFrame,
    events: pd.DataFrame,
    config: Config,
    as_of: pd.Timestamp,
    lead_of_event: np.ndarray | None,
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """:func:`mql_responses` and the position in ``leads`` of each row's lead (if known)."""
    before = (events["at"] < as_of).to_numpy(dtype=bool)
    known = lead_of_event is not None and len(lead_of_event) == len(events)
    if known:
        lead = np.asarray(lead_of_event)
        # An event whose lead is not in leads (no position) falls back to the ids.
        known = not (events["lead_id"].notna().to_numpy() & (lead < 0)).any()
    if known:
        # Each event's lead is its row in leads, found while validating: no million lead ids
        # hashed again to group the events (and to find the MQLs' channels), and no copy of
        # the events; only the MQL and first-touch rows before as_of are read.
        event, chosen = events["event"], before & (lead >= 0)
        at = events["at"].to_numpy(dtype="datetime64[ns]").view("int64")
        mql_rows = np.flatnonzero(equals(event, "mql") & chosen)
        touch_rows = np.flatnonzero(equals(event, "first_touch") & chosen)
        del before, chosen
        pairs = _pair(lead, at, mql_rows, touch_rows)
        del mql_rows, touch_rows
        # In the final order before any column is added: no copy of the whole table at the end.
        order = _by_time_then_lead(pairs[1], events["lead_id"].array.take(pairs[0]))
        pairs = tuple(values[order] for values in pairs)
        paired = _paired_frame(events["lead_id"], *pairs)
        lead_row = lead[pairs[0]]
        paired["channel"] = take_at(leads["channel"], lead_row, paired.index)
    else:
        paired = pair_mqls_with_touches(events[before])
        order = _by_time_then_lead(paired["mql_at"].to_numpy(), paired["lead_id"])
        paired = paired.take(order).reset_index(drop=True)
        paired["channel"] = lookup(paired["lead_id"], leads["lead_id"], leads["channel"])
        lead_row = None
    hours = config.business_hours
    paired["response_hours"] = business_hours_between(paired["mql_at"], paired["touched_at"], hours)
    as_of_series = pd.Series(as_of, index=paired.index)
    waiting = business_hours_between(paired["mql_at"], as_of_series, hours)
    paired["waiting_hours"] = waiting.where(paired["touched_at"].isna())
    channel, channels = codes(paired["channel"])
    limits = np.array([config.sla_for(c) for c in channels] + [config.sla_for(None)], "float64")
    paired["sla_hours"] = limits[channel]  # -1 (no channel) takes the last: the overall SLA
    touched = paired["touched_at"].notna()
    status = np.select(
        [
            touched & (paired["response_hours"] <= paired["sla_hours"]),
            touched,
            paired["waiting_hours"] > paired["sla_hours"],
        ],
        [0, 1, 2],
        default=3,
    )
    # The four texts by number (not np.select on the texts: a fixed-width copy of every
    # status, 40 MB at a million leads, before the column is made).
    paired["status"] = _STATUSES[status]
    columns = [
        "lead_id",
        "channel",
        "mql_at",
        "touched_at",
        "response_hours",
        "sla_hours",
        "waiting_hours",
        "status",
    ]
    return paired[columns], lead_row


def _by_time_then_lead(mql_at: np.ndarray, lead_ids) -> np.ndarray:
    """The order of the responses: by MQL time, then lead id; ties keep the given order.

    The lead ids are ranked by Arrow (sorting on text would factorize it in Python). Rows of
    the same lead and time keep the events' order, however the leads were numbered.
    """
    lead_rank = pc.rank(pa.array(lead_ids, from_pandas=True), tiebreaker="dense")
    return np.lexsort((lead_rank.to_numpy(), np.asarray(mql_at).view("int64")))


def team_responses(
    leads: pd.DataFrame,
    events: pd.DataFrame,
    config: Config,
    as_of: pd.Timestamp,
    lead_of_event: np.ndarray | None = None,
) -> pd.DataFrame:
    """:func:`mql_responses` with the ``team`` of each MQL's lead as a last column."""
    out, lead_row = _responses(leads, events, config, as_of, lead_of_event)
    if lead_row is None:
        return out.assign(team=lookup(out["lead_id"], leads["lead_id"], leads["team"]))
    return out.assign(team=take_at(leads["team"], lead_row, out.index))


def speed_to_lead(responses: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> dict:
    """Speed to lead for MQLs created in ``[start, end)``.

    SLA compliance = MQLs touched within their SLA / MQLs whose SLA window has closed
    (touched, or untouched for longer than the SLA). MQLs still inside their SLA window are
    left out of the denominator, neither met nor missed yet.

    Returns
    -------
    dict
        ``mqls`` (count), ``touched`` (count), ``median_hours`` and ``p90_hours`` (business
        hours among touched MQLs, NaN if none), ``sla_compliance`` (:class:`Rate`),
        ``untouched_overdue`` (count).
    """
    window = responses[within(responses["mql_at"], start, end)]
    hours = window["response_hours"].dropna()
    status = window["status"]
    met = int((status == "in SLA").sum())
    decided = int(status.isin(["in SLA", "late", "untouched, overdue"]).sum())
    return {
        "mqls": len(window),
        "touched": len(hours),
        "median_hours": float(hours.median()) if len(hours) else np.nan,
        "p90_hours": float(hours.quantile(0.9)) if len(hours) else np.nan,
        "sla_compliance": Rate(met, decided),
        "untouched_overdue": int((status == "untouched, overdue").sum()),
    }


def backlog_start(
    quarter_start: pd.Timestamp, hours: BusinessHours, window_business_days: int
) -> pd.Timestamp:
    """First instant of the waiting-MQL window, some business days before the quarter.

    Midnight of the day ``window_business_days`` business days (``[business_hours]`` days
    and holidays) before ``quarter_start``.

    Examples
    --------
    >>> from helpers.data.config import BusinessHours
    >>> backlog_start(pd.Timestamp("2026-07-01"), BusinessHours(), 10)  # a Wednesday
    Timestamp('2026-06-17 00:00:00')
    """
    day = np.datetime64(quarter_start.normalize().tz_localize(None).date(), "D")
    holidays = [np.datetime64(h, "D") for h in hours.holidays]
    first = np.busday_offset(
        day, -int(window_business_days), roll="forward", weekmask=hours.weekmask, holidays=holidays
    )
    start = pd.Timestamp(first)
    return start.tz_localize(quarter_start.tz) if quarter_start.tz is not None else start


def untouched_by_age(
    events: pd.DataFrame,
    config: Config,
    at: pd.Timestamp,
    since: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """MQLs still waiting for a first touch at ``at`` (e.g. quarter end), by business-hours age.

    A waiting MQL is the latest MQL of a lead before ``at`` with no first touch, acceptance,
    rejection, recycle or SQL after it and before ``at``. With ``since``, only MQLs from
    ``since`` on count (the backlog window, :func:`backlog_start`: the quarter and the
    ``[backlog] window_business_days`` before it); older never-answered MQLs are counted
    apart (:func:`stale_mqls`), not as today's backlog.

    Returns
    -------
    DataFrame
        Columns age_band (``0–8 h`` … ``> 120 h``), mqls; every band present, in order.
    """
    waiting = _waiting(events, at)
    if since is not None:
        waiting = waiting[waiting >= since]
    age = business_hours_between(
        pd.Series(waiting.to_numpy()),
        pd.Series(at, index=range(len(waiting))),
        config.business_hours,
    )
    bands = pd.cut(age, AGE_BANDS, labels=list(AGE_LABELS), right=False, include_lowest=True)
    counts = bands.value_counts().reindex(list(AGE_LABELS), fill_value=0)
    return pd.DataFrame({"age_band": list(AGE_LABELS), "mqls": counts.to_numpy().astype("int64")})


def stale_mqls(events: pd.DataFrame, at: pd.Timestamp, since: pd.Timestamp) -> int:
    """Leads whose latest MQL before ``since`` was never answered by ``at``.

    The older part of the waiting MQLs that :func:`untouched_by_age` leaves out of the
    backlog window: a lead never worked since before ``since`` (a data-quality matter, see
    "leads never touched"), not a queue to clear this week.
    """
    waiting = _waiting(events, at)
    return int((waiting < since).sum())


def _waiting(events: pd.DataFrame, at: pd.Timestamp) -> pd.Series:
    """Latest MQL time of each lead still waiting at ``at`` (index lead_id)."""
    before = events[events["at"] < at]
    last_mql = before[before["event"] == "mql"].groupby("lead_id")["at"].max()
    handled = before[before["event"].isin(_DISPOSITIONS)].groupby("lead_id")["at"].max()
    handled = handled.reindex(last_mql.index)
    return last_mql[~(handled >= last_mql)]


def _quarter_mqls(events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """Distinct lead ids with an ``mql`` event in ``[start, end)``."""
    mqls = events[
        (events["event"] == "mql").to_numpy(dtype=bool) & within(events["at"], start, end)
    ]
    return pd.unique(mqls["lead_id"].dropna())


def feedback_summary(
    feedback: pd.DataFrame, events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> dict:
    """Lead-quality feedback from sales on the MQLs of ``[start, end)``.

    The MQLs are the distinct leads with an ``mql`` event in the window; their feedback is
    every ``feedback`` row on those leads, whenever it was given (so the population is that of
    feedback coverage)::

        feedback coverage = MQLs with at least one feedback row / MQLs
        mean rating       = mean of the ratings (1–5) of those rows
        low ratings       = rows rated 1 or 2 / rows

    Parameters
    ----------
    feedback : DataFrame
        Canonical ``feedback`` (lead_id, at, rating, reason, comment).
    events : DataFrame
        Canonical ``lead_events``.
    start, end : Timestamp
        The window ``[start, end)``.

    Returns
    -------
    dict
        ``mqls`` (int), ``coverage`` (:class:`Rate`), ``ratings`` (number of feedback rows),
        ``mean_rating`` (NaN without a rating) and ``low_ratings`` (:class:`Rate`).

    Examples
    --------
    >>> events = pd.DataFrame({"lead_id": ["A", "B"], "event": ["mql", "mql"],
    ...                        "at": pd.to_datetime(["2026-07-01", "2026-07-02"])})
    >>> feedback = pd.DataFrame({"lead_id": ["A", "A"], "rating": [2, 5],
    ...                          "reason": ["no budget", "good fit"]})
    >>> s = feedback_summary(feedback, events, pd.Timestamp("2026-07-01"),
    ...                      pd.Timestamp("2026-10-01"))
    >>> str(s["coverage"]), s["mean_rating"]
    ('50.0% (1/2, 95% CI 9.5%–90.5%) (small sample)', 3.5)
    """
    leads = _quarter_mqls(events, start, end)
    rows = feedback[is_in(feedback["lead_id"], leads)]
    ratings = rows["rating"].astype("float64").dropna()
    return {
        "mqls": len(leads),
        "coverage": Rate(int(rows["lead_id"].nunique()), len(leads)),
        "ratings": len(rows),
        "mean_rating": float(ratings.mean()) if len(ratings) else np.nan,
        "low_ratings": Rate(int((ratings <= 2).sum()), len(ratings)),
    }


def feedback_reasons(
    feedback: pd.DataFrame, events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Pareto of the reasons sales gave in feedback on the MQLs of ``[start, end)``.

    Rows as in :func:`feedback_summary`; a missing reason counts as ``(no reason)``.
    ``share = count / rows``; ``mean_rating`` is the mean rating of the reason's rows.

    Returns
    -------
    DataFrame
        Columns reason, count, share, cumulative_share, mean_rating; most frequent first
        (ties by name). Empty (with these columns) when there is no feedback row.
    """
    leads = _quarter_mqls(events, start, end)
    rows = feedback[is_in(feedback["lead_id"], leads)]
    reason = rows["reason"].astype("object").fillna("(no reason)").to_numpy()
    grouped = rows["rating"].astype("float64").groupby(reason)
    table = pd.DataFrame({"count": grouped.size(), "mean_rating": grouped.mean()})
    table = table.rename_axis("reason").reset_index()
    table = table.sort_values(["count", "reason"], ascending=[False, True], ignore_index=True)
    table["count"] = table["count"].astype("int64")
    total = int(table["count"].sum())
    table["share"] = table["count"] / total if total else np.nan
    table["cumulative_share"] = table["share"].cumsum()
    return table[["reason", "count", "share", "cumulative_share", "mean_rating"]]
