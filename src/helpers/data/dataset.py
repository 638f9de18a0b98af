"""Loading a data source into validated, typed tables (SPEC sections 1 and 2).

A data source is a folder of table files, or a PostgreSQL database (:mod:`helpers.data.database`):
its URL, or a folder whose ``workbook.toml`` names it in ``[database] url``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import DataValidationError, ParameterError, Problem
from . import stages
from .config import Config, settings_content
from .database import Database, DatabaseUrl, Scope, missing_table_fix
from .loading import (
    SourceFile,
    find_table_file,
    parse_column,
    prepare_process,
    read_source,
    text_column,
)
from .membership import positions, positions_in, take_at
from .periods import Quarter, quarter_index
from .schema import ALL_TEAMS, COMPANY_NAME, REQUIRED_TABLES, SIDE_TABLES, SIDES, TABLES
from .validation import (
    check_actions,
    check_columns,
    check_events,
    check_not_after_as_of,
    check_opportunities,
    check_references,
    check_target_metrics,
    check_targets,
    check_team_ids,
)

# Tables and the timestamp columns that date their rows (they set the as-of date and the
# quarters); month tables are dated by month only.
TIMESTAMPS: dict[str, tuple[str, ...]] = {
    "leads": ("created_at",),
    "lead_events": ("at",),
    "opportunities": ("created_at", "closed_at"),
    "touches": ("at",),
    "feedback": ("at",),
}
MONTHS: dict[str, tuple[str, ...]] = {"spend": ("month",), "revenue": ("month",)}
# A table whose last date is this much earlier than the data set's latest was cut off.
CUT_OFF_GAP = pd.Timedelta(days=31)


@dataclass(frozen=True)
class WholeData:
    """Facts about the whole of a data set of which only part was read (a narrowed scope).

    They keep the quarters, the as-of date, the stages "not in this data" and the optional
    columns "not supplied" the same as a full read would make them.
    """

    first_timestamp: pd.Timestamp  # first lead created, else first opportunity
    last_timestamp: pd.Timestamp
    spans: tuple[tuple[str, pd.Timestamp, pd.Timestamp], ...]  # table, first, last
    events: tuple[str, ...]
    outcomes: tuple[str, ...]
    filled: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Dataset:
    """A validated data directory: typed tables, settings and what was found on the way.

    Timestamps are naive wall-clock times in ``config.timezone``. Optional tables that are
    absent are listed in ``missing_tables``; optional columns absent from a file are present
    and empty, so ``has_values`` tells whether the data supplied them. ``anomalies`` holds
    flagged (non-fatal) findings. ``tracked_events`` and ``tracked_outcomes`` say which funnel
    stages the data set records at all (see :mod:`helpers.metrics.coverage`).
    """

    directory: Path | str
    config: Config
    tables: Mapping[str, pd.DataFrame]
    files: Mapping[str, str] = field(default_factory=dict)
    anomalies: tuple[Problem, ...] = ()
    whole: WholeData | None = None  # set when only part of a database was read
    not_supplied: tuple[str, ...] = ()  # side tables left out, read as empty (see SIDES)
    sources_known: bool = True  # opportunities carry a source_type, or leads to take it from
    content_digest: str | None = None  # of the rows read from a database
    lead_rows: Mapping[str, np.ndarray] = field(default_factory=dict)
    """Position in ``leads`` of each row's lead (-1: none; int32), by table, for the tables
    that refer to a lead (events, touches, feedback, opportunities): found once while
    validating, reused by every lookup of a row's lead."""

    @property
    def source_name(self) -> str:
        """The folder's name, or the database URL (masked) the tables came from."""
        return self.directory.name if isinstance(self.directory, Path) else self.directory

    def has(self, name: str) -> bool:
        """Whether the table ``name`` was supplied (a side left out is read as empty tables)."""
        return name in self.tables and name not in self.not_supplied

    @property
    def sides(self) -> tuple[str, ...]:
        """The sides of :data:`~.schema.SIDES` the data set has: ``leads``, ``deals`` or both."""
        return tuple(side for side, names in SIDES.items() if self.has(names[0]))

    def __getitem__(self, name: str) -> pd.DataFrame:
        """The table called ``name``; a clear KeyError names the missing file."""
        if name not in self.tables:
            raise KeyError(f"table '{name}' is not in {self.source_name} (add {name}.csv)")
        return self.tables[name]

    def has_values(self, table: str, column: str) -> bool:
        """Whether ``table`` was supplied with at least one value in ``column`` (e.g. a score)."""
        frame = self.tables.get(table)
        if self.whole is not None:
            return frame is not None and (table, column) in self.whole.filled
        return frame is not None and column in frame and bool(frame[column].notna().any())

    @cached_property
    def tracked_events(self) -> tuple[str, ...]:
        """Canonical events that occur at least once anywhere in lead_events (after mapping).

        A stage outside it is *not in this data*: its figures are n/a, not 0.
        """
        if self.whole is not None:
            return stages.tracked_events(pd.DataFrame({"event": list(self.whole.events)}))
        return stages.tracked_events(self.tables["lead_events"])

    @cached_property
    def tracked_outcomes(self) -> tuple[str, ...]:
        """Closed statuses (``won``, ``lost``) that occur at least once in opportunities."""
        if self.whole is not None:
            return stages.tracked_outcomes(pd.DataFrame({"status": list(self.whole.outcomes)}))
        return stages.tracked_outcomes(self.tables["opportunities"])

    @property
    def tracked(self) -> tuple[str, ...]:
        """Tracked events and outcomes together (what ``coverage.not_in_data`` reads)."""
        return self.tracked_events + self.tracked_outcomes

    @property
    def tracked_stages(self) -> tuple[str, ...]:
        """Funnel stages the data set records (see :func:`stages.tracked_stages`)."""
        return stages.tracked_stages(self.tracked_events, self.tracked_outcomes, self.sides)

    @property
    def missing_tables(self) -> tuple[str, ...]:
        """Tables not supplied: optional tables and the side tables left out."""
        return tuple(name for name in TABLES if not self.has(name))

    @property
    def teams(self) -> list[str]:
        """Team ids in file order."""
        return self.tables["teams"]["team"].tolist()

    def team_name(self, team: str) -> str:
        """Display name of ``team`` (``all`` is the company)."""
        if team == ALL_TEAMS:
            return COMPANY_NAME
        names = self.tables["teams"].set_index("team")["name"]
        return str(names.get(team, team))

    @cached_property
    def as_of(self) -> pd.Timestamp:
        """Extraction date: ``as_of`` from workbook.toml, else the day after the last timestamp.

        The last timestamp is the latest of every timestamp column of every table (a deal
        closed months after the last lead counts); months of ``spend`` and ``revenue`` do not,
        since budgets are often entered ahead.
        """
        if self.config.as_of is not None:
            return pd.Timestamp(self.config.as_of)
        if self.whole is not None:
            return self.whole.last_timestamp.normalize() + pd.Timedelta(days=1)
        spans = self.table_spans()
        latest = spans.loc[spans["table"].isin(list(TIMESTAMPS)), "last"].max()
        return latest.normalize() + pd.Timedelta(days=1)

    @cached_property
    def _spans(self) -> pd.DataFrame:
        rows = []
        for name, columns in {**TIMESTAMPS, **MONTHS}.items():
            frame = self.tables.get(name)
            if frame is None or not self.has(name) or not len(frame):
                continue
            if name in MONTHS:
                months = pd.PeriodIndex(frame[columns[0]].dropna(), freq="M")
                first, last = months.min().start_time, months.max().end_time.normalize()
            else:
                stamps = pd.concat([frame[c].dropna() for c in columns if c in frame])
                first, last = stamps.min(), stamps.max()
            rows.append({"table": name, "first": first, "last": last, "rows": len(frame)})
        return pd.DataFrame(rows, columns=["table", "first", "last", "rows"])

    def table_spans(self) -> pd.DataFrame:
        """The first and last date of each supplied table that has dates.

        Returns
        -------
        DataFrame
            table, first, last, rows; one row per table of :data:`TIMESTAMPS` and
            :data:`MONTHS` that was supplied with rows (a month table spans whole months).
            For a narrowed database read, the whole tables' spans (rows unknown).
        """
        if self.whole is not None:
            rows = [(name, first, last, pd.NA) for name, first, last in self.whole.spans]
            return pd.DataFrame(rows, columns=["table", "first", "last", "rows"])
        return self._spans.copy()

    def is_complete(self, quarter: Quarter) -> bool:
        """Whether ``quarter`` had ended by the as-of date (an unfinished quarter is partial)."""
        return quarter.end <= self.as_of

    def tables_ending_before(self, quarter: Quarter) -> pd.DataFrame:
        """Supplied tables whose data stop before the end of ``quarter`` while others go on.

        A table is cut off when its last date is before the quarter's end (or the as-of
        date) *and* more than :data:`CUT_OFF_GAP` before the latest timestamp of the data
        set (months of spend or revenue entered ahead do not count): the export ended early,
        so its figures for that quarter are incomplete (not a quiet quarter).

        Returns
        -------
        DataFrame
            table, first, last, rows of the tables cut off (no rows when none is).
        """
        if quarter not in self._ending_before:
            spans = self.table_spans()
            if spans.empty:
                return spans
            latest = spans.loc[spans["table"].isin(list(TIMESTAMPS)), "last"].max()
            cut = (spans["last"] < min(quarter.end, self.as_of) - pd.Timedelta(days=1)) & (
                spans["last"] < latest - CUT_OFF_GAP
            )
            self._ending_before[quarter] = spans[cut].reset_index(drop=True)
        return self._ending_before[quarter].copy()

    @cached_property
    def _ending_before(self) -> dict[Quarter, pd.DataFrame]:
        return {}  # tables_ending_before by quarter: asked for every KPI of every view

    @property
    def quarters(self) -> list[Quarter]:
        """Fiscal quarters from the first lead (else the first opportunity) to the as-of date.

        Oldest first. The first lead starts them when the lead side is supplied: deals
        created before it (renewals, sales-sourced deals) do not add quarters whose funnel
        would be empty only because the lead export starts later.
        """
        return list(self._quarters)  # the caller's own list

    @cached_property
    def _quarters(self) -> tuple[Quarter, ...]:  # asked for by every view, many times
        fy = self.config.fiscal_year_start_month
        if self.whole is not None:
            first = Quarter.containing(self.whole.first_timestamp, fy)
        else:
            spans = self.table_spans().set_index("table")
            start = "leads" if "leads" in spans.index else "opportunities"
            first = Quarter.containing(spans.loc[start, "first"], fy)
        last = Quarter.containing(self.as_of - pd.Timedelta(microseconds=1), fy)
        return tuple(first.shift(i) for i in range(last.index - first.index + 1))

    @property
    def latest_complete_quarter(self) -> Quarter:
        """The latest quarter that ended on or before the as-of date."""
        complete = [q for q in self.quarters if q.end <= self.as_of]
        if not complete:
            raise ParameterError(
                f"{self.source_name}: no complete quarter before the as-of date "
                f"{self.as_of.date()}; pass --quarter explicitly."
            )
        return complete[-1]

    def quarter(self, text: str) -> Quarter:
        """Parse and check a quarter parameter against the data.

        Raises
        ------
        ParameterError
            When it is malformed or outside the quarters the data covers.
        """
        quarter = Quarter.parse(text, self.config.fiscal_year_start_month)
        known = self.quarters
        if quarter not in known:
            raise ParameterError(
                f"quarter {quarter} is not in the data, which covers {known[0]} to {known[-1]}; "
                "pick a quarter in that range."
            )
        return quarter

    def check_team(self, team: str) -> str:
        """Check a team parameter: a team id from teams.csv or ``all``.

        Raises
        ------
        ParameterError
            For any other value (path separators and quotes included).
        """
        if team == ALL_TEAMS or team in set(self.teams):
            return team
        known = ", ".join([ALL_TEAMS, *self.teams])
        raise ParameterError(f"team {team!r} is not in teams.csv; use one of: {known}.")

    def quarter_of(self, timestamps: pd.Series) -> pd.Series:
        """Running fiscal quarter index of each timestamp (compare with ``Quarter.index``)."""
        return quarter_index(timestamps, self.config.fiscal_year_start_month)

    def fingerprint(self) -> str:
        """SHA-256 over the names and bytes of the files read (first 16 hex digits).

        For a database, over the text of the rows read and the settings file, if any. Read
        once per data set: the files were read when it was loaded.
        """
        return self._fingerprint

    @cached_property
    def _fingerprint(self) -> str:
        digest = hashlib.sha256()
        if self.content_digest is not None:
            digest.update(self.content_digest.encode())
        else:
            for name in sorted(self.files):
                path = self.directory / self.files[name]
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
        if isinstance(self.directory, Path) and (self.directory / "workbook.toml").exists():
            digest.update(settings_content(self.directory / "workbook.toml"))
        return digest.hexdigest()[:16]


def _typed_table(
    source: SourceFile, config: Config, *, part: bool = False
) -> tuple[pd.DataFrame, list[Problem]]:
    table = source.table
    present = set(source.raw.columns)
    missing = [c.name for c in table.columns if c.required and c.name not in present]
    if missing:
        found = ", ".join(source.raw.columns) or "none"
        return pd.DataFrame(), [
            source.problem(
                ", ".join(missing),
                f"required column(s) missing; the header has: {found}",
                f"add the column(s) {', '.join(missing)} (names are snake_case, e.g. created_at)",
            )
        ]
    problems: list[Problem] = []
    typed = {}
    for column in table.columns:
        if column.name not in present:
            continue
        typed[column.name], found = parse_column(source, column, config.timezone)
        problems += found
    if table.extra_columns:
        known = {c.name for c in table.columns}
        for name in source.raw.columns:
            if name not in known:
                typed[name] = text_column(source.raw[name])
    frame = pd.DataFrame(typed, index=source.raw.index)
    for column in table.columns:
        # Optional columns the file leaves out are empty, so no metric trips on a missing
        # reason or score; Dataset.has_values tells them apart from supplied ones.
        if column.name not in frame:
            frame[column.name] = _empty_column(column.kind, frame.index)
    if table.name == "lead_events" and config.event_map:
        frame["event"] = frame["event"].replace(config.event_map)
    if not problems:
        problems += check_columns(source, frame)
    if (table.required or table.side) and len(frame) == 0 and not part:  # a part may be empty
        fix = "add at least one row"
        if table.side:
            fix += f" (or leave {table.name} out: a data set needs leads or opportunities)"
        problems.append(source.problem(None, "has a header but no rows", fix))
    return frame, problems


def _empty_column(kind: str, index: pd.Index) -> pd.Series:
    """An all-missing column of the dtype ``parse_column`` gives a column of ``kind``."""
    if kind == "datetime":
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if kind == "float":
        return pd.Series(float("nan"), index=index, dtype="float64")
    if kind == "int":
        return pd.Series(pd.NA, index=index, dtype="Int64")
    return pd.Series(pd.NA, index=index, dtype="string")


def load_folder(directory: Path, config: Config) -> Dataset:
    """Read and validate the table files of ``directory`` (see :class:`~.source.DataSource`).

    Raises
    ------
    DataValidationError
        Listing every problem found (file, column, lines, fix).
    """
    if not directory.is_dir():
        raise DataValidationError(
            str(directory),
            [
                Problem(
                    str(directory),
                    None,
                    "is not a folder",
                    "pass the data directory, e.g. data/sample, or a postgresql:// URL",
                )
            ],
        )
    prepare_process()  # the memory settings, before the first table is read
    problems: list[Problem] = []
    read: dict[str, SourceFile] = {}
    present: set[str] = set()  # files present, read or not (an unreadable one is not absent)
    for name, table in TABLES.items():
        path, ambiguous = find_table_file(directory, table)
        problems += ambiguous
        if path is not None or ambiguous:
            present.add(name)
        if path is None:
            if ambiguous:
                continue
            if table.required:  # a side's tables are checked together in _validated
                problems.append(
                    Problem(
                        f"{name}.csv",
                        None,
                        "required table is missing",
                        f"add {name}.csv (or {name}.parquet) to {directory.name}",
                    )
                )
            continue
        source_file, found = read_source(path, table)
        # Arrow's allocator keeps freed blocks (the parser's, the unstripped cells'): hand
        # them back before the next table, or they add up in the peak memory of a load.
        pa.default_memory_pool().release_unused()
        problems += found
        if source_file is not None:
            read[name] = source_file
    return _validated(directory, config, read, problems, present=present)


def database_catalogue(url: DatabaseUrl, config: Config, directory: Path | None) -> Dataset:
    """The teams table and the whole-data facts of a database, from aggregate queries."""
    with Database.connect(url, config.timezone) as db:
        relations = db.relations()
        missing = [_missing_table(db, n) for n in REQUIRED_TABLES if n not in relations]
        missing += _side_problems(set(relations), url.masked)
        if missing:
            raise DataValidationError(url.masked, missing)
        teams = TABLES["teams"]
        known = [c.name for c in teams.columns if c.name in relations["teams"]]
        source_file = SourceFile(teams, Path("teams"), db.read_text("teams", known), "table teams")
        frame, problems = _typed_table(source_file, config)
        if any(p.severity == "error" for p in problems):
            raise DataValidationError(url.masked, problems)
        whole = _whole_data(db, relations, config)
    return Dataset(directory or url.masked, config, {"teams": frame}, whole=whole)


def _validated(
    directory: Path | str,
    config: Config,
    read: dict[str, SourceFile],
    problems: list[Problem],
    present: set[str] | None = None,
    **extra,
) -> Dataset:
    """Type and check the tables as read; raise with every problem, or build the Dataset."""
    sources: dict[str, SourceFile] = {}
    tables: dict[str, pd.DataFrame] = {}
    clean: set[str] = set()
    late: list[Problem] = []  # timestamps on or after the as-of date, reported in order below
    for name, source_file in read.items():
        frame, found = _typed_table(source_file, config, part=extra.get("whole") is not None)
        problems += found
        if frame.columns.empty:
            continue
        sources[name], tables[name] = source_file, frame
        if not found:
            clean.add(name)
            if config.as_of is not None and name in TIMESTAMPS:
                as_of = pd.Timestamp(config.as_of)
                late += check_not_after_as_of(source_file, frame, TIMESTAMPS[name], as_of)
            # The text of clean timestamps is the bulk of a big table and no later check
            # quotes it: free it before the next table is typed.
            stamps = [c for c in TIMESTAMPS.get(name, ()) if c in source_file.raw]
            source_file.raw = source_file.raw.drop(columns=stamps)
            pa.default_memory_pool().release_unused()

    problems += _side_problems(set(read) if present is None else present, str(directory))
    lead_of = _lead_positions(sources, tables, clean)
    problems += _cross_table_checks(sources, tables, clean, config, late, lead_of)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DataValidationError(str(directory), problems)

    not_supplied = tuple(name for name in SIDE_TABLES if name not in tables)
    for name in not_supplied:
        tables[name] = _empty_table(TABLES[name])
    opps = tables["opportunities"]
    # Without a source_type and without leads, "sales" for every deal is a default, not a fact:
    # the marketing-sourced share is then not in this data.
    sources_known = bool(opps["source_type"].notna().any()) or "leads" not in not_supplied
    tables["opportunities"] = _default_source_type(opps, tables["leads"], lead_of)
    files = {name: source.name for name, source in sources.items()}
    return Dataset(
        directory,
        config,
        tables,
        files,
        tuple(problems),
        not_supplied=not_supplied,
        sources_known=sources_known or not len(opps),
        lead_rows={name: at.astype("int32") for name, at in lead_of.items()},
        **extra,
    )


def _side_problems(present: set[str], where: str) -> list[Problem]:
    """A data set needs leads or opportunities (see :data:`SIDES`); events need their leads.

    ``present`` names the tables found (read or not: an unreadable file is not absent).
    """
    problems = []
    if "lead_events" in present and "leads" not in present:
        problems.append(
            Problem(
                "lead_events.csv",
                None,
                "lead events are here but their leads are not",
                "add leads.csv (one row per lead the events refer to), or remove lead_events.csv",
            )
        )
    if "leads" not in present and "opportunities" not in present:
        problems.append(
            Problem(
                "leads.csv, opportunities.csv",
                None,
                f"{where} has neither leads nor opportunities, so there is nothing to report on",
                "add leads.csv (with lead_events.csv) for the funnel and hand-off, and/or "
                "opportunities.csv for pipeline and revenue",
            )
        )
    return problems


def _empty_table(table) -> pd.DataFrame:
    """A table with no rows and the columns and dtypes a read of ``table`` gives."""
    index = pd.RangeIndex(0)
    return pd.DataFrame({c.name: _empty_column(c.kind, index) for c in table.columns})


def load_database(
    url: DatabaseUrl,
    config: Config,
    directory: Path | str,
    scope: Scope,
    whole: WholeData | None = None,
) -> Dataset:
    """Read the canonical tables (narrowed by ``scope``) from the database at ``url``."""
    prepare_process()  # the memory settings, before the first table is read
    problems: list[Problem] = []
    read: dict[str, SourceFile] = {}
    digest = hashlib.sha256()
    with Database.connect(url, config.timezone) as db:
        relations = db.relations()
        for name, table in TABLES.items():
            if name not in relations:
                if table.required:  # a side's tables are checked together in _validated
                    problems.append(_missing_table(db, name))
                continue
            known = [c.name for c in table.columns if c.name in relations[name]]
            others = [c for c in relations[name] if c not in known] if table.extra_columns else []
            raw = db.read_text(name, known + others, scope)
            digest.update(f"{name}:{len(raw)}:".encode())
            digest.update(pd.util.hash_pandas_object(raw, index=False).to_numpy().tobytes())
            order = [c for c in table.key or () if c in known]
            label = f"table {name}" + (f" (rows by {', '.join(order)})" if order else "")
            read[name] = SourceFile(table, Path(name), raw, label=label)
        if not scope.narrowed:
            whole = None
        elif whole is None and not problems:
            whole = _whole_data(db, relations, config)
    return _validated(
        directory, config, read, problems, whole=whole, content_digest=digest.hexdigest()
    )


def _missing_table(db: Database, name: str) -> Problem:
    found = ", ".join(sorted(db.relations())) or "no tables"
    return Problem(
        f"table {name}",
        None,
        f"required table or view is missing in {db.where}, which has: {found}",
        missing_table_fix(TABLES[name]),
    )


def _whole_data(db: Database, relations: dict[str, list[str]], config: Config) -> WholeData:
    """What a narrowed read cannot see by itself, from aggregate queries over whole tables."""
    spans = []
    for name, columns in TIMESTAMPS.items():
        found = [db.extremes(name, c) for c in columns if c in relations.get(name, ())]
        firsts = [low for low, _ in found if low is not None]
        lasts = [high for _, high in found if high is not None]
        if firsts and lasts:
            spans.append((name, min(firsts), max(lasts)))
    events = db.distinct("lead_events", "event") if "lead_events" in relations else []
    outcomes = db.distinct("opportunities", "status") if "opportunities" in relations else []
    filled = set()
    for name, columns in relations.items():
        table = TABLES.get(name)
        if table is None:
            continue
        # Required columns without empty cells are filled wherever the table has rows (the
        # validation sees to it); count the others.
        certain = {c.name for c in table.columns if c.required and not c.nullable}
        filled |= {(name, c) for c in certain & set(columns)}
        others = [c for c in columns if c not in certain]
        if not table.extra_columns:
            others = [c for c in others if c in {col.name for col in table.columns}]
        filled |= {(name, c) for c in db.filled(name, others)}
    starts = {name: first for name, first, _ in spans}
    return WholeData(
        first_timestamp=starts.get("leads", starts.get("opportunities", pd.Timestamp("NaT"))),
        last_timestamp=max((last for *_, last in spans), default=pd.Timestamp("NaT")),
        spans=tuple(spans),
        events=tuple(config.event_map.get(e, e) for e in events),
        outcomes=tuple(outcomes),
        filled=frozenset(filled),
    )


def _lead_positions(sources, tables, clean) -> dict[str, np.ndarray]:
    """Position in leads of the lead of each row of the clean tables that refer to a lead.

    One Arrow hash table of the lead ids serves every such table (events, touches, feedback,
    opportunities) and the checks and lookups below; empty when leads are not clean.
    """
    if "leads" not in clean:
        return {}
    columns = {
        name: tables[name]["lead_id"]
        for name in clean
        if sources[name].table.references.get("lead_id") == "leads.lead_id"
        and "lead_id" in tables[name]
    }
    return positions_in(columns, tables["leads"]["lead_id"])


def _cross_table_checks(
    sources, tables, clean, config, late: list[Problem], lead_of: dict[str, np.ndarray]
) -> list[Problem]:
    problems: list[Problem] = []
    teams = tables["teams"]["team"] if "teams" in clean else None
    lead_ids = tables["leads"]["lead_id"] if "leads" in clean else None
    for name in clean:
        table = sources[name].table
        for column, target in table.references.items():
            if column not in tables[name]:
                continue
            values = teams if target == "teams.team" else lead_ids
            if values is not None:
                problems += check_references(
                    sources[name],
                    tables[name],
                    column,
                    values,
                    "teams.csv" if target == "teams.team" else "leads.csv",
                    at=lead_of.get(name) if target == "leads.lead_id" else None,
                )
    if "targets" in clean and teams is not None:
        problems += check_references(
            sources["targets"], tables["targets"], "team", teams, "teams.csv", extra_allowed=("*",)
        )
    if "actions" in clean and teams is not None:
        problems += check_actions(sources["actions"], tables["actions"], teams)
    if "teams" in clean:
        problems += check_team_ids(sources["teams"], tables["teams"])
    if "targets" in clean:
        problems += check_targets(sources["targets"], tables["targets"])
        problems += check_target_metrics(sources["targets"], tables["targets"])
    problems += late  # check_not_after_as_of of the clean tables, in _validated
    if "lead_events" in clean:
        leads = tables["leads"] if "leads" in clean else None
        problems += check_events(
            sources["lead_events"], tables["lead_events"], leads, config, lead_of.get("lead_events")
        )
    if "opportunities" in clean:
        problems += check_opportunities(sources["opportunities"], tables["opportunities"])
    return problems


def _default_source_type(
    opps: pd.DataFrame, leads: pd.DataFrame, lead_of: dict[str, np.ndarray]
) -> pd.DataFrame:
    # SPEC: source_type defaults to that of the lead, else "sales".
    from_lead = None
    if "lead_id" in opps:
        at = lead_of.get("opportunities")
        if at is None:
            at = positions(opps["lead_id"], leads["lead_id"])
        from_lead = take_at(leads["source_type"], at, opps.index)
    current = (
        opps["source_type"]
        if "source_type" in opps
        else pd.Series(pd.NA, index=opps.index, dtype="string")
    )
    filled = current.fillna(from_lead.astype(current.dtype)) if from_lead is not None else current
    return opps.assign(source_type=filled.fillna("sales").astype("string"))
