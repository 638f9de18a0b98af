"""Data quality: what was read, and what in it is duplicated, orphaned, missing or out of order.

SPEC section 3 ("Data quality", in every report). :func:`data_quality` returns one row per
check (per table for the table-level checks), always the same rows whatever the data, with a
count of 0 when the data is clean, so a report can show the table unconditionally.

Checks, in the order of the output:

==============================  ===============  ===================================================
check                           table            counts
==============================  ===============  ===================================================
rows read                       each table       rows in the file (``rows_read``), else in the table
rows rejected                   each table       rows read but not in the table
duplicate rows                  each table       rows identical in every column to an earlier row
orphan events                   lead_events      events whose lead_id is not in leads
orphan opportunities            opportunities    opportunities whose lead_id is set but not in leads
events without timestamp        lead_events      events with an empty ``at``
out-of-order events             flagged files    rows of the anomalies flagged at load
sql before mql                  lead_events      leads whose first sql precedes their first mql
skipped stages                  leads            leads that reached a stage but not its prerequisite
MQLs never touched              lead_events      MQL events with no ``first_touch`` afterwards
opportunities without amount    opportunities    amount empty or 0
won without close date          opportunities    won opportunities with no ``closed_at``
leads without channel           leads            leads with an empty channel
events before their lead        lead_events      events dated before their lead's ``created_at``
opportunity before its lead     opportunities    opportunities created before their lead was
won before first contact        opportunities    won deals closed before their lead's first contact
==============================  ===============  ===================================================

``share`` is ``count`` over the population named in ``detail`` (e.g. "1 of 6 events").
A check that cannot run because a table it needs is absent has ``count`` <NA> and says so in
``detail``; it is never reported as clean.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import PurePath

import numpy as np
import pandas as pd

from ..data.membership import is_in
from ..data.schema import TABLES
from ..data.stages import tracked_events
from ..errors import Problem
from .handoff import pair_mqls_with_touches

COLUMNS = ("check", "table", "count", "share", "detail")

# Skipped stages: a lead that reached the later stage must also have reached the earlier one
# (at any time; the order of the two is the out-of-order check's business). MQL is not a
# prerequisite of anything: outbound leads are touched, accepted and converted without one.
PREREQUISITES = (
    ("accepted", "first_touch"),
    ("sql", "accepted"),
    ("opportunity", "sql"),
)
_EXAMPLES = 5


def _row(check: str, table: str, count, base, detail: str) -> dict:
    if count is pd.NA or count is None:
        share = np.nan
    else:
        share = count / base if base else np.nan
    return {"check": check, "table": table, "count": count, "share": share, "detail": detail}


def _absent(check: str, table: str, *needed: str) -> dict:
    names = ", ".join(needed)
    return _row(check, table, pd.NA, 0, f"not checked: no {names} table")


def _examples(values: Iterable) -> str:
    shown = [str(v) for v in list(dict.fromkeys(values))[:_EXAMPLES]]
    return f" (e.g. {', '.join(shown)})" if shown else ""


def _ids(frame: pd.DataFrame, column: str, mask) -> Iterable:
    if column not in frame:
        return []
    return frame.loc[np.asarray(mask, dtype=bool), column].dropna().tolist()


def _table_order(tables: Mapping[str, pd.DataFrame], rows_read: Mapping[str, int]) -> list[str]:
    names = [n for n in TABLES if n in tables or n in rows_read]
    extra = sorted((set(tables) | set(rows_read)) - set(names))
    return names + extra


def _table_checks(
    tables: Mapping[str, pd.DataFrame], rows_read: Mapping[str, int] | None
) -> list[dict]:
    read_rows, rejected_rows, duplicate_rows = [], [], []
    known = rows_read or {}
    for name in _table_order(tables, known):
        kept = len(tables[name]) if name in tables else 0
        read = int(known.get(name, kept))
        read_rows.append(_row("rows read", name, read, 0, f"{kept} of {read} rows kept"))
        rejected = max(read - kept, 0)
        how = "" if rows_read is not None else " (rows read not supplied: counted in the table)"
        rejected_rows.append(
            _row("rows rejected", name, rejected, read, f"{rejected} of {read} rows{how}")
        )
        if name in tables:
            frame = tables[name]
            dupes = int(frame.duplicated().sum()) if len(frame.columns) else 0
            detail = f"{dupes} of {kept} rows repeat an earlier row exactly"
            duplicate_rows.append(_row("duplicate rows", name, dupes, kept, detail))
        else:
            duplicate_rows.append(_absent("duplicate rows", name, name))
    return read_rows + rejected_rows + duplicate_rows


def _orphans(tables: Mapping[str, pd.DataFrame]) -> list[dict]:
    rows = []
    events, leads, opps = (tables.get(n) for n in ("lead_events", "leads", "opportunities"))
    if events is None or leads is None:
        rows.append(
            _absent("orphan events", "lead_events", "lead_events" if events is None else "leads")
        )
    else:
        orphan = pd.Series(~is_in(events["lead_id"], leads["lead_id"]), index=events.index)
        n = int(orphan.sum())
        detail = f"{n} of {len(events)} events have a lead_id not in leads"
        rows.append(
            _row(
                "orphan events",
                "lead_events",
                n,
                len(events),
                detail + _examples(_ids(events, "lead_id", orphan)),
            )
        )
    if opps is None or leads is None:
        rows.append(
            _absent(
                "orphan opportunities",
                "opportunities",
                "opportunities" if opps is None else "leads",
            )
        )
    else:
        lead_id = opps["lead_id"] if "lead_id" in opps else pd.Series(pd.NA, index=opps.index)
        orphan = lead_id.notna() & ~pd.Series(is_in(lead_id, leads["lead_id"]), index=opps.index)
        n = int(orphan.sum())
        detail = f"{n} of {len(opps)} opportunities have a lead_id not in leads"
        rows.append(
            _row(
                "orphan opportunities",
                "opportunities",
                n,
                len(opps),
                detail + _examples(_ids(opps, "opportunity_id", orphan)),
            )
        )
    return rows


def _event_checks(tables: Mapping[str, pd.DataFrame], anomalies: Iterable[Problem]) -> list[dict]:
    events = tables.get("lead_events")
    rows = []
    if events is None:
        rows.append(_absent("events without timestamp", "lead_events", "lead_events"))
    else:
        missing = events["at"].isna() if "at" in events else pd.Series(True, index=events.index)
        n = int(missing.sum())
        detail = f"{n} of {len(events)} events have no timestamp"
        rows.append(
            _row(
                "events without timestamp",
                "lead_events",
                n,
                len(events),
                detail + _examples(_ids(events, "lead_id", missing)),
            )
        )

    flagged = [p for p in anomalies if p.severity == "warning"]
    n = sum(max(p.n_rows, len(p.rows)) for p in flagged)
    files = sorted({PurePath(p.file).stem for p in flagged}) or ["lead_events"]
    detail = "; ".join(p.message for p in flagged) or "no anomalies flagged at load"
    rows.append(_row("out-of-order events", ", ".join(files), n, 0, detail))

    if events is None:
        rows.append(_absent("sql before mql", "lead_events", "lead_events"))
        return rows
    first = _first_events(events)
    if "sql" in first and "mql" in first:
        both = first["sql"].notna() & first["mql"].notna()
        wrong = both & (first["sql"] < first["mql"])
        n, base, ids = int(wrong.sum()), int(both.sum()), first.index[wrong.to_numpy()]
    else:
        n, base, ids = 0, 0, []
    detail = f"{n} of {base} leads with both an sql and an mql have the sql first"
    rows.append(_row("sql before mql", "lead_events", n, base, detail + _examples(ids)))
    return rows


def _first_events(events: pd.DataFrame) -> pd.DataFrame:
    valid = events.dropna(subset=["lead_id", "at"])
    if valid.empty:
        return pd.DataFrame()
    return valid.groupby(["lead_id", "event"], observed=True)["at"].min().unstack()


def _skipped_stages(tables: Mapping[str, pd.DataFrame]) -> dict:
    events, leads, opps = (tables.get(n) for n in ("lead_events", "leads", "opportunities"))
    if events is None:
        return _absent("skipped stages", "leads", "lead_events")
    if leads is not None:
        population = pd.Index(leads["lead_id"].dropna().unique())
    else:
        population = pd.Index(events["lead_id"].dropna().unique())
    reached = {
        stage: set(events.loc[events["event"] == stage, "lead_id"].dropna())
        for stage in ("first_touch", "accepted", "sql")
    }
    rules = PREREQUISITES
    if opps is not None and "lead_id" in opps:
        reached["opportunity"] = set(opps["lead_id"].dropna())
    else:
        rules = tuple(r for r in rules if r[0] != "opportunity")
    # A prerequisite the data set never records is not skipped by anyone: it is not in this
    # data (an export with only MQL and SQL dates would otherwise flag every SQL).
    tracked = tracked_events(events)
    untracked = [r for r in rules if r[1] not in tracked]
    rules = tuple(r for r in rules if r[1] in tracked)
    skipped = pd.Series(False, index=population)
    ids = pd.Series(population)
    parts = []
    for later, earlier in rules:
        bad = is_in(ids, reached[later]) & ~is_in(ids, reached[earlier])
        parts.append(f"{later} without {earlier}: {int(bad.sum())}")
        skipped |= bad
    n = int(skipped.sum())
    detail = f"{n} of {len(population)} leads; " + ", ".join(parts)
    if not any(r[0] == "opportunity" for r in (*rules, *untracked)):
        detail += " (opportunity without sql not checked: no opportunities with lead_id)"
    for later, earlier in untracked:
        detail += f" ({later} without {earlier} not checked: no {earlier} events in this data)"
    ids = population[skipped.to_numpy()]
    return _row("skipped stages", "leads", n, len(population), detail + _examples(ids))


def _untouched_mqls(tables: Mapping[str, pd.DataFrame]) -> dict:
    events = tables.get("lead_events")
    if events is None:
        return _absent("MQLs never touched", "lead_events", "lead_events")
    paired = pair_mqls_with_touches(events)
    if paired.empty:
        return _row("MQLs never touched", "lead_events", 0, 0, "0 of 0 MQL events")
    if "first_touch" not in tracked_events(events):
        return _row(
            "MQLs never touched",
            "lead_events",
            pd.NA,
            0,
            "not checked: no first_touch events in this data",
        )
    answered = paired["touched_at"].notna()
    n = int((~answered).sum())
    detail = (
        f"{n} of {len(paired)} MQL events have no first_touch at or after them "
        "(and before the lead's next MQL)"
    )
    ids = paired.loc[~answered.to_numpy(), "lead_id"]
    return _row("MQLs never touched", "lead_events", n, len(paired), detail + _examples(ids))


def _record_checks(tables: Mapping[str, pd.DataFrame]) -> list[dict]:
    opps, leads = tables.get("opportunities"), tables.get("leads")
    rows = []
    if opps is None:
        rows.append(_absent("opportunities without amount", "opportunities", "opportunities"))
        rows.append(_absent("won without close date", "opportunities", "opportunities"))
    else:
        amount = opps["amount"] if "amount" in opps else pd.Series(np.nan, index=opps.index)
        no_amount = amount.isna().to_numpy() | (amount.fillna(0) == 0).to_numpy()
        n = int(no_amount.sum())
        detail = f"{n} of {len(opps)} opportunities have an empty or zero amount"
        rows.append(
            _row(
                "opportunities without amount",
                "opportunities",
                n,
                len(opps),
                detail + _examples(_ids(opps, "opportunity_id", no_amount)),
            )
        )
        won = (opps["status"] == "won").fillna(False).to_numpy(dtype=bool)
        closed = opps["closed_at"] if "closed_at" in opps else pd.Series(pd.NaT, index=opps.index)
        undated = won & closed.isna().to_numpy()
        n, base = int(undated.sum()), int(won.sum())
        detail = f"{n} of {base} won opportunities have no closed_at"
        rows.append(
            _row(
                "won without close date",
                "opportunities",
                n,
                base,
                detail + _examples(_ids(opps, "opportunity_id", undated)),
            )
        )
    if leads is None:
        rows.append(_absent("leads without channel", "leads", "leads"))
    else:
        channel = leads["channel"] if "channel" in leads else pd.Series(pd.NA, index=leads.index)
        blank = (
            channel.isna().to_numpy()
            | (channel.fillna("").astype(str).str.strip() == "").to_numpy()
        )
        n = int(blank.sum())
        detail = f"{n} of {len(leads)} leads have no channel"
        rows.append(
            _row(
                "leads without channel",
                "leads",
                n,
                len(leads),
                detail + _examples(_ids(leads, "lead_id", blank)),
            )
        )
    return rows


def data_quality(
    tables: Mapping[str, pd.DataFrame],
    anomalies: Iterable[Problem] = (),
    rows_read: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Data-quality checks of the canonical tables, one row per check.

    Parameters
    ----------
    tables : dict of DataFrame
        Canonical tables by name (as in ``Dataset.tables``). Any may be absent: the checks
        that need it report ``count`` <NA> and say so in ``detail``.
    anomalies : iterable of Problem
        Findings flagged at load (``Dataset.anomalies``); those with severity ``"warning"``
        are the out-of-order events. Others are ignored (errors stop a load).
    rows_read : dict of int, optional
        Rows read from each file before validation; rows read but absent from the table are
        counted as rejected. Without it, rows read are the rows in each table.

    Returns
    -------
    DataFrame
        Columns check, table, count (Int64), share (float), detail, in the order of the
        module's table of checks; the table-level checks (rows read, rows rejected,
        duplicate rows) have one row per table, in schema order. Definitions:

        - duplicate rows = rows equal in every column to an earlier row of the same table
          (empty cells compare equal);
        - orphan events = events whose lead_id is not in leads; orphan opportunities =
          opportunities with a non-empty lead_id that is not in leads;
        - out-of-order events = Σ offending rows over the flagged findings (a row flagged by
          two rules counts twice, so ``share`` is NaN); sql before mql = leads whose first
          ``sql`` event precedes their first ``mql``, over leads with both;
        - skipped stages = leads that reached a stage without ever reaching its
          prerequisite: accepted without first_touch, sql without accepted, an opportunity
          without sql (MQL is no prerequisite: outbound leads have none); a prerequisite
          that no event of the data set records is not checked, and ``detail`` says so;
        - MQLs never touched = MQL events with no ``first_touch`` at or after them and before
          the lead's next MQL (the pairing of :func:`helpers.metrics.handoff.mql_responses`);
          <NA> ("not checked") when the data set has no first_touch event at all;
        - opportunities without amount = amount empty or 0; won without close date = won
          opportunities without ``closed_at``, over won opportunities;
        - leads without channel = empty or blank channel;
        - events before their lead = events whose ``at`` precedes their lead's
          ``created_at``; opportunity before its lead = opportunities whose ``created_at``
          precedes their lead's; won before first contact = won opportunities whose
          ``closed_at`` precedes the lead's first contact (the earlier of its ``created_at``
          and its first event), over won opportunities with a known lead. Such rows are
          left out of stage velocity (a negative duration), so they are named here.

        ``share = count / population``; NaN when the population is 0.

    Examples
    --------
    >>> from helpers.data.source import load_dataset
    >>> ds = load_dataset("data/sample")  # doctest: +SKIP
    >>> data_quality(ds.tables, ds.anomalies)  # doctest: +SKIP
    """
    rows = _table_checks(tables, rows_read)
    rows += _orphans(tables)
    rows += _event_checks(tables, anomalies)
    rows.append(_skipped_stages(tables))
    rows.append(_untouched_mqls(tables))
    rows += _record_checks(tables)
    rows += _cross_table_order(tables)
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    return out.astype({"count": "Int64", "share": "float64"})


def _lead_dates(tables: Mapping[str, pd.DataFrame]) -> tuple[pd.Series, pd.Series] | None:
    """Each lead's ``created_at`` and first contact (earlier of created_at and first event)."""
    leads = tables.get("leads")
    if leads is None:
        return None
    created = leads.dropna(subset=["lead_id"]).drop_duplicates("lead_id").set_index("lead_id")
    created = created["created_at"]
    events = tables.get("lead_events")
    first = created
    if events is not None and len(events):
        first_event = events.dropna(subset=["lead_id", "at"]).groupby("lead_id")["at"].min()
        first = pd.concat([created, first_event], axis=1).min(axis=1)
    return created, first


def _cross_table_order(tables: Mapping[str, pd.DataFrame]) -> list[dict]:
    """Rows of one table dated before the lead they belong to (see :func:`data_quality`)."""
    checks = (
        ("events before their lead", "lead_events"),
        ("opportunity before its lead", "opportunities"),
        ("won before first contact", "opportunities"),
    )
    dates = _lead_dates(tables)
    if dates is None:
        return [_absent(check, table, "leads") for check, table in checks]
    created, first = dates
    rows = []
    events = tables.get("lead_events")
    if events is None:
        rows.append(_absent(*checks[0], "lead_events"))
    else:
        lead_created = events["lead_id"].map(created)
        known = events["at"].notna() & lead_created.notna()
        early = (known & (events["at"] < lead_created)).to_numpy(dtype=bool)
        n, base = int(early.sum()), int(known.sum())
        detail = f"{n} of {base} events are dated before their lead was created"
        rows.append(_row(*checks[0], n, base, detail + _examples(_ids(events, "lead_id", early))))
    opps = tables.get("opportunities")
    if opps is None or "lead_id" not in opps:
        why = "opportunities" if opps is None else "opportunities with lead_id"
        return [*rows, _absent(*checks[1], why), _absent(*checks[2], why)]
    lead_created = opps["lead_id"].map(created)
    known = opps["created_at"].notna() & lead_created.notna()
    early = (known & (opps["created_at"] < lead_created)).to_numpy(dtype=bool)
    n, base = int(early.sum()), int(known.sum())
    detail = f"{n} of {base} opportunities with a known lead were created before it"
    rows.append(_row(*checks[1], n, base, detail + _examples(_ids(opps, "opportunity_id", early))))
    contact = opps["lead_id"].map(first)
    won = (opps["status"] == "won").fillna(False) & opps["closed_at"].notna() & contact.notna()
    early = (won & (opps["closed_at"] < contact)).to_numpy(dtype=bool)
    n, base = int(early.sum()), int(won.sum())
    detail = f"{n} of {base} won opportunities with a known lead closed before its first contact"
    rows.append(_row(*checks[2], n, base, detail + _examples(_ids(opps, "opportunity_id", early))))
    return rows
