"""Validation rules of SPEC section 1: per-column checks (pandera) and cross-table checks.

Each rule returns :class:`~helpers.errors.Problem` objects naming the file, the column, the
offending lines and the fix; nothing here raises, so one run reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ..errors import Problem
from .config import CANONICAL_EVENTS, Config
from .loading import MAX_ROWS_SHOWN, SourceFile
from .membership import codes, earliest, equals, is_in, positions, take_at
from .schema import (
    ALL_TEAMS,
    MAX_AMOUNT,
    TARGET_BASES,
    TARGET_METRICS,
    TEAM_ID_RULE,
    Table,
    team_id_clashes,
    team_id_problem,
)
from .settings import did_you_mean

# Stage pairs whose first occurrences must be in this order within one lead.
STAGE_ORDER = (
    ("mql", "first_touch"),
    ("mql", "accepted"),
    ("mql", "sql"),
    ("accepted", "sql"),
    ("first_touch", "accepted"),
    ("rejected", "recycled"),
)
# One target per team, quarter and metric.
TARGET_KEY = ("team", "quarter", "metric")


def _pandera_schema(table: Table) -> pa.DataFrameSchema:
    columns = {}
    for col in table.columns:
        checks = []
        if col.allowed is not None:
            checks.append(pa.Check.isin(list(col.allowed)))
        if col.min_value is not None:
            checks.append(pa.Check.ge(col.min_value))
        if col.max_value is not None:
            checks.append(pa.Check.le(col.max_value))
        columns[col.name] = pa.Column(checks=checks, nullable=col.nullable, required=False)
    return pa.DataFrameSchema(columns, unique=list(table.key) or None, strict=False)


def _number(value: float) -> str:
    """A bound as people write it: ``100``, ``1,000,000,000,000``."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def _describe_check(check: str, table: Table, column: str) -> tuple[str, str]:
    spec = table.column(column) if column in {c.name for c in table.columns} else None
    if check == "not_nullable":
        return "has empty cells", f"fill in '{column}' on every row"
    if check.startswith("isin") and spec is not None and spec.allowed:
        allowed = ", ".join(spec.allowed)
        return f"has values outside {allowed}", f"use only {allowed}"
    if check.startswith("greater_than_or_equal_to"):
        low = _number(spec.min_value)
        if spec.max_value is not None and spec.max_value != MAX_AMOUNT:
            return f"has values below {low}", f"use values from {low} to {_number(spec.max_value)}"
        return f"has values below {low}", "amounts and counts cannot be negative"
    if check.startswith("less_than_or_equal_to"):
        high = _number(spec.max_value)
        if spec.max_value == MAX_AMOUNT:
            return (
                f"has values above {high}, the largest amount one row may hold",
                "check the export for a unit or format error (one deal, month or target "
                "above a trillion is not a real figure); see docs/data-model.md",
            )
        if spec.min_value is not None:
            low = _number(spec.min_value)
            return f"has values above {high}", f"use values from {low} to {high}"
        return f"has values above {high}", f"use values up to {high}"
    if "uniqueness" in check or check == "field_uniqueness":
        return "has duplicate keys", f"give each row its own '{column}' or remove the duplicates"
    return f"fails the check {check}", "correct the values"


def check_columns(source: SourceFile, typed: pd.DataFrame) -> list[Problem]:
    """Per-column rules with pandera: empty cells, allowed values, ranges, unique keys."""
    table = source.table
    try:
        _pandera_schema(table).validate(typed, lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    problems = []
    cases = cases[cases["index"].notna()]
    for (column, check), group in cases.groupby(["column", "check"], sort=False):
        what, fix = _describe_check(str(check), table, str(column))
        positions = group["index"].astype("int64").to_numpy()
        # Quote the cells as written in the file ('-500', not the parsed -500.0).
        received = (
            source.raw[column].iloc[positions]
            if column in source.raw
            else group["failure_case"].dropna()
        )
        examples = received.astype(str).unique()[:3]
        got = (
            f" (got {', '.join(repr(e) for e in examples)})"
            if len(examples) and "null" not in str(check)
            else ""
        )
        problems.append(source.problem(str(column), f"{what}{got}", fix, positions))
    return problems


def check_references(
    source: SourceFile,
    typed: pd.DataFrame,
    column: str,
    target: pd.Series,
    target_name: str,
    extra_allowed: tuple[str, ...] = (),
    at: np.ndarray | None = None,
) -> list[Problem]:
    """Every non-empty value of ``column`` must exist in ``target`` (e.g. leads.team in teams).

    ``at``: the position in ``target`` of each value (-1: not found), when already known
    (:func:`~.membership.positions_in`; no ``extra_allowed`` then).
    """
    values = typed[column]
    if at is not None:
        found = at >= 0
    else:
        known = target.dropna()
        if extra_allowed:
            known = pd.concat([known, pd.Series(extra_allowed, dtype=target.dtype)])
        found = is_in(values, known)
    orphan = values.notna().to_numpy() & ~found
    if not orphan.any():
        return []
    positions = np.flatnonzero(orphan)
    examples = ", ".join(repr(v) for v in pd.unique(values[orphan])[:3])
    return [
        source.problem(
            column,
            f"{orphan.sum()} value(s) do not exist in {target_name} (e.g. {examples})",
            f"add them to {target_name} or correct the values",
            positions,
        )
    ]


def check_events(
    source: SourceFile,
    events: pd.DataFrame,
    leads: pd.DataFrame | None,
    config: Config,
    lead_of_event: np.ndarray | None = None,
) -> list[Problem]:
    """Event vocabulary, reasons on rejections and recycles, and order of events per lead.

    ``lead_of_event``: the position in ``leads`` of each event's lead (-1: none), when already
    known (see :func:`~.membership.positions_in`).
    """
    problems = []
    unknown = (
        events["event"].notna().to_numpy() & ~events["event"].isin(CANONICAL_EVENTS).to_numpy()
    )
    if unknown.any():
        names = ", ".join(repr(v) for v in pd.unique(events.loc[unknown, "event"])[:5])
        problems.append(
            source.problem(
                "event",
                f"unknown event name(s) {names}",
                f"use {', '.join(CANONICAL_EVENTS)}, or map your names in workbook.toml under "
                '[events], e.g. "marketing_qualified" = "mql"',
                np.flatnonzero(unknown),
            )
        )

    needs_reason = events["event"].isin(["rejected", "recycled"]).to_numpy()
    reason = events["reason"] if "reason" in events else pd.Series(pd.NA, index=events.index)
    missing = needs_reason & reason.isna().to_numpy()
    if missing.any():
        problems.append(
            source.problem(
                "reason",
                f"{missing.sum()} rejected or recycled event(s) have no reason",
                "give every rejected and recycled event a reason (e.g. 'no budget')",
                np.flatnonzero(missing),
            )
        )

    if leads is not None:
        problems += _check_event_order(source, events, leads, config, lead_of_event)
    return problems


def _check_event_order(
    source: SourceFile,
    events: pd.DataFrame,
    leads: pd.DataFrame,
    config: Config,
    lead_of_event: np.ndarray | None = None,
) -> list[Problem]:
    problems = []
    if events.empty:  # a database read narrowed to a team without events
        return problems
    severity = "error" if config.out_of_order == "error" else "warning"
    # The fix names the setting that changes the outcome: "flag" when it is an error, and
    # "error" when it is already only flagged.
    setting = (
        'or set validation.out_of_order = "flag" in workbook.toml to keep them as flagged anomalies'
        if severity == "error"
        else '(kept as a flagged anomaly; set validation.out_of_order = "error" in '
        "workbook.toml to reject them)"
    )
    if lead_of_event is None:
        lead_of_event = positions(events["lead_id"], leads["lead_id"])
    created = take_at(leads["created_at"], lead_of_event, events.index)
    early = (events["at"] < created).to_numpy()
    if early.any():
        problems.append(
            source.problem(
                "at",
                f"{early.sum()} event(s) happen before their lead was created",
                f"check the event and lead timestamps (time zone?) {setting}",
                np.flatnonzero(early),
                severity=severity,
            )
        )

    # First time of each event per lead, leads numbered by position (no text index to
    # align); an event whose lead is not in leads (an error of its own) by Arrow's codes.
    if ((lead_of_event >= 0) | events["lead_id"].isna().to_numpy()).all():
        lead, count = lead_of_event, len(leads)
    else:
        lead, names = codes(events["lead_id"])
        count = len(names)
    first = {}
    for stage in {name for pair in STAGE_ORDER for name in pair}:
        chosen = equals(events["event"], stage)
        if chosen.any():
            first[stage] = earliest(lead[chosen], events["at"].to_numpy()[chosen], count)
    for before, after in STAGE_ORDER:
        if before not in first or after not in first:
            continue
        wrong = first[after] < first[before]  # NaT on either side compares False
        if not wrong.any():
            continue
        rows = np.flatnonzero(equals(events["event"], after) & (lead >= 0) & wrong[lead])
        problems.append(
            source.problem(
                "at",
                f"{int(wrong.sum())} lead(s) have '{after}' before their first '{before}'",
                f"correct the timestamps {setting}",
                rows,
                severity=severity,
            )
        )
    return problems


def check_opportunities(source: SourceFile, opps: pd.DataFrame) -> list[Problem]:
    """Closed opportunities need a close date that is not before their creation."""
    problems = []
    closed = opps["status"].isin(["won", "lost"]).to_numpy()
    closed_at = opps["closed_at"] if "closed_at" in opps else pd.Series(pd.NaT, index=opps.index)
    no_date = closed & closed_at.isna().to_numpy()
    if no_date.any():
        problems.append(
            source.problem(
                "closed_at",
                f"{no_date.sum()} won or lost opportunities have no close date",
                "add a closed_at timestamp to every won and lost opportunity",
                np.flatnonzero(no_date),
            )
        )
    backwards = (closed_at < opps["created_at"]).to_numpy()
    if backwards.any():
        problems.append(
            source.problem(
                "closed_at",
                f"{backwards.sum()} opportunities close before they were created",
                "correct created_at or closed_at",
                np.flatnonzero(backwards),
            )
        )
    return problems


def check_targets(source: SourceFile, targets: pd.DataFrame) -> list[Problem]:
    """One target per team, quarter and metric, and no negative target.

    Two rows for one ``(team, quarter, metric)`` would leave it to the reader which one counts;
    a negative target has no attainment. Each repeated key is one problem naming all its lines
    and the targets they hold; the negative targets are one problem.
    """
    problems = []
    key = list(TARGET_KEY)
    repeated = targets.duplicated(key, keep=False).to_numpy()
    if repeated.any():
        for (team, quarter, metric), group in targets[repeated].groupby(
            key, sort=False, dropna=False
        ):
            positions = targets.index.get_indexer(group.index)
            # Quote the targets as written in the file ('100', not the parsed 100.0).
            written = source.raw["target"].iloc[positions[:MAX_ROWS_SHOWN]].astype(str)
            values = ", ".join(repr(v) for v in written)
            problems.append(
                source.problem(
                    ", ".join(key),
                    f"{len(positions)} rows for team {team!r}, quarter {quarter}, metric "
                    f"{metric!r} (got targets {values})",
                    "keep one row per team, quarter and metric: delete the others",
                    positions,
                )
            )
    basis = _target_bases(targets)
    if "basis" in targets.columns:
        problems += unknown_names(
            source,
            "basis",
            targets["basis"].astype("object"),
            TARGET_BASES,
            "a target basis",
            known=basis.isin(TARGET_BASES),
            or_else=" (empty means absolute)",
        )
    absolute = (basis == "absolute").to_numpy()
    negative = (targets["target"] < 0).to_numpy() & absolute
    if negative.any():
        examples = source.raw["target"][negative].astype(str).unique()[:3]
        problems.append(
            source.problem(
                "target",
                f"{negative.sum()} target(s) are negative "
                f"(got {', '.join(repr(e) for e in examples)})",
                "targets cannot be negative: write a target of 0 or more (a fall such as "
                "-0.15 = -15 % is a relative target: give it a basis, vs_previous_quarter or "
                "vs_same_quarter_last_year)",
                np.flatnonzero(negative),
            )
        )
    relative = basis.isin(TARGET_BASES[1:]).to_numpy()
    gone = (targets["target"] <= -1).to_numpy() & relative
    if gone.any():
        examples = source.raw["target"][gone].astype(str).unique()[:3]
        problems.append(
            source.problem(
                "target",
                f"{gone.sum()} relative target(s) are a change of -100 % or less "
                f"(got {', '.join(repr(e) for e in examples)})",
                "a relative target is a change against its basis, above -1: write -0.15 for "
                "15 % below, 0.20 for 20 % above",
                np.flatnonzero(gone),
            )
        )
    return problems


def _target_bases(targets: pd.DataFrame) -> pd.Series:
    """Each row's basis as read: ``absolute`` for an empty cell or without the column."""
    if "basis" not in targets.columns:
        return pd.Series("absolute", index=targets.index, dtype="object")
    written = targets["basis"].astype("object")
    return written.where(written.notna(), "absolute").map(lambda b: str(b).strip() or "absolute")


def check_team_ids(source: SourceFile, teams: pd.DataFrame) -> list[Problem]:
    """Every ``teams.team`` follows the one rule of team ids (:func:`~.schema.team_id_problem`).

    The rule ``workbook reports`` and the workshop apply to the teams they name: an id names
    the report file ``OUT/<quarter>/<team>.html``, and ``all`` is the company.
    """
    problems = []
    found = pd.Series(
        [team_id_problem(team) if isinstance(team, str) else None for team in teams["team"]],
        index=teams.index,
        dtype=object,
    )
    unsafe = (found == "unsafe").to_numpy()
    if unsafe.any():
        examples = ", ".join(repr(v) for v in pd.unique(teams.loc[unsafe, "team"])[:3])
        problems.append(
            source.problem(
                "team",
                f"{unsafe.sum()} team id(s) cannot name a report file (got {examples})",
                f"rename them: {TEAM_ID_RULE} (e.g. emea-ent), in teams.csv and every table "
                "that names them",
                np.flatnonzero(unsafe),
            )
        )
    reserved = (found == "reserved").to_numpy()
    if reserved.any():
        examples = ", ".join(repr(v) for v in pd.unique(teams.loc[reserved, "team"])[:3])
        problems.append(
            source.problem(
                "team",
                f"the team id {examples} is reserved: {ALL_TEAMS!r} is the company (every team "
                f"together, the report {ALL_TEAMS}.html and --team {ALL_TEAMS})",
                "rename the team (e.g. all-regions), in teams.csv and every table that names it",
                np.flatnonzero(reserved),
            )
        )
    named = teams["team"].dropna()
    for group in team_id_clashes(str(team) for team in named):
        positions = np.flatnonzero(teams["team"].isin(group).to_numpy())
        problems.append(
            source.problem(
                "team",
                f"team ids {' and '.join(repr(t) for t in group)} differ only in case, so their "
                "reports would overwrite each other on some file systems",
                "rename one of them (a team id names its report file OUT/<quarter>/<team>.html), "
                "in teams.csv and every table that names it",
                positions,
            )
        )
    return problems


def check_target_metrics(source: SourceFile, targets: pd.DataFrame) -> list[Problem]:
    """Every target names a metric the reports read (:data:`~.schema.TARGET_METRICS`).

    A target of any other name would never be shown or scored, so a typo would silently drop
    it; each unknown name is one problem with its lines and the closest known name.
    """
    return unknown_names(
        source, "metric", targets["metric"], TARGET_METRICS, "a metric that has targets"
    )


def unknown_names(
    source: SourceFile,
    column: str,
    written: pd.Series,
    names: Sequence[str],
    what: str,
    *,
    known: pd.Series | None = None,
    or_else: str = "",
) -> list[Problem]:
    """One problem per distinct value of ``column`` that is not one of ``names``.

    Each names its lines and the closest known name (``did you mean 'cac'?``). ``known``
    marks the rows that are fine when they are judged on a normalised copy (default:
    ``written`` is one of ``names``); empty cells are never a problem. ``or_else`` ends the
    fix (e.g. ``", or leave the cell empty"``).
    """
    known = written.isin(names) if known is None else known
    problems = []
    for name in pd.unique(written[written.notna().to_numpy() & ~known.to_numpy()]):
        close = did_you_mean(str(name).strip(), names)
        hint = f"did you mean {close!r}? " if close else ""
        problems.append(
            source.problem(
                column,
                f"{name!r} is not {what}",
                f"{hint}use one of {', '.join(names)}{or_else}",
                np.flatnonzero((written == name).fillna(False).to_numpy()),
            )
        )
    return problems


def check_actions(source: SourceFile, actions: pd.DataFrame, teams: pd.Series) -> list[Problem]:
    """Agreed actions: a known team, a shared KPI, due no earlier than agreed.

    The team is one of teams.csv or ``all`` (the company review); the due quarter is no
    earlier than the quarter the action was agreed in.

    A KPI of another name would never be followed up, so each unknown name is one problem with
    its lines and the closest known name (:data:`~.schema.TARGET_METRICS`, the shared KPIs).
    """
    problems = check_references(
        source, actions, "team", teams, "teams.csv (or 'all', the company)", (ALL_TEAMS,)
    )
    if "kpi" in actions:
        problems += unknown_names(
            source,
            "kpi",
            actions["kpi"],
            TARGET_METRICS,
            "a shared KPI",
            or_else=", or leave the cell empty",
        )
    early = (actions["due_quarter"] < actions["quarter_agreed"]).fillna(False).to_numpy()
    if early.any():
        first = actions.iloc[np.flatnonzero(early)[0]]
        problems.append(
            source.problem(
                "due_quarter",
                f"{early.sum()} action(s) fall due before the quarter they were agreed in (e.g. "
                f"{first['action_id']!r}: agreed {first['quarter_agreed']}, due "
                f"{first['due_quarter']})",
                "set due_quarter to quarter_agreed or later",
                np.flatnonzero(early),
            )
        )
    return problems


def check_not_after_as_of(
    source: SourceFile, frame: pd.DataFrame, columns: tuple[str, ...], as_of: pd.Timestamp
) -> list[Problem]:
    """No timestamp on or after the as-of date set in workbook.toml (the data's extraction day).

    A row dated after the data was extracted cannot be real: it would be counted in a quarter
    the as-of date calls unfinished, or beyond the last one. ``closed_at`` counts only on won
    and lost deals (an open deal's is an expected close date, which is ignored).
    """
    problems = []
    for column in columns:
        if column not in frame:
            continue
        stamps = frame[column]
        late = (stamps >= as_of).to_numpy()
        if column == "closed_at" and "status" in frame:
            late = late & frame["status"].isin(["won", "lost"]).to_numpy()
        if not late.any():
            continue
        examples = source.raw[column][late].astype(str).unique()[:3]
        problems.append(
            source.problem(
                column,
                f"{late.sum()} timestamp(s) are on or after the as-of date {as_of.date()} of "
                f"workbook.toml (got {', '.join(repr(e) for e in examples)})",
                "correct the timestamps, or set as_of in workbook.toml to the day the data was "
                "extracted (or leave it empty: then it is the day after the latest timestamp)",
                np.flatnonzero(late),
            )
        )
    return problems
