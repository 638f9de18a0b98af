"""``workbook import``: export files + a checked mapping -> a validated canonical data directory.

This module runs the import. Each part of the mapping turns the rows of its export file(s)
into canonical rows (placeholders emptied, ``where``, columns, constants, lookups, value maps,
melt, dates, numbers). The rows of each table are stacked and checked (identical duplicates
dropped, conflicting keys refused, events of unknown leads dropped, teams generated). Writing
OUT is the job of :mod:`.output`, the log that of :mod:`.report`, the file-wide day/month
order of dates that of :mod:`.date_order`.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.config import CANONICAL_EVENTS
from ..data.database import is_database_url
from ..data.loading import prepare_process
from ..data.schema import (
    OPPORTUNITY_STATUSES,
    SIDES,
    SOURCE_TYPES,
    SPEND_CATEGORIES,
    TABLES,
)
from ..errors import DataValidationError, ParameterError, Problem
from .cleaning import blank_placeholders, normalise_key, parse_dates, parse_numbers, unify_spellings
from .database_tables import DatabaseExports
from .date_order import ORDER_SENTINELS, file_slash_order, slash_evidence
from .mapping import Lookup, Mapping, TablePart, load_mapping
from .output import canonical_order, check_target, write_output
from .reading import ExportTable, read_export
from .report import (
    DROP_DUPLICATE,
    DROP_EMPTY_DATE,
    DROP_UNKNOWN_LEAD,
    ImportReport,
    TableReport,
    as_code,
    describe_rule,
)

EXPORT_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
CATEGORY_COLUMNS = (
    "team",
    "channel",
    "source_type",
    "status",
    "event",
    "reason",
    "lost_reason",
    "category",
    "metric",
)
# Closed vocabularies: a value differing only in case or spaces gets the canonical spelling.
VOCABULARIES = {
    "source_type": SOURCE_TYPES,
    "status": OPPORTUNITY_STATUSES,
    "category": SPEND_CATEGORIES,
    "event": CANONICAL_EVENTS,
}
LEAD_TABLES = ("lead_events", "touches", "feedback")  # rows of unknown leads are dropped
UNSPECIFIED = "unspecified"

# Helper columns carried with each row: which piece it came from, its row position in the
# export (for line numbers) and, for melted rows, the export column of its date.
_PIECE, _POS, _MELTED = "_piece", "_pos", "_melted"


@dataclass(frozen=True)
class _Export:
    """One export or lookup file as read, with placeholders emptied."""

    source: ExportTable
    frame: pd.DataFrame


@dataclass(frozen=True)
class _Piece:
    """Where the rows of one part from one file came from, for messages."""

    source: ExportTable
    part: TablePart
    origin: dict[str, str | None]  # canonical column -> export column


def import_exports(
    mapping: Mapping | str, src: str | Path, out: str | Path, *, force: bool = False
) -> ImportReport:
    """Import the export files of ``src`` into the data directory ``out``.

    Parameters
    ----------
    mapping : Mapping or str
        A checked mapping, or a preset name / mapping file path for :func:`load_mapping`.
    src : str or Path
        Folder holding the export files (and optional lookup files), or a database URL
        whose tables are the exports (see :mod:`helpers.importing.database_tables`).
    out : str or Path
        Data directory to write. It must not exist, be empty, or (with ``force``) hold an
        earlier import.
    force : bool
        Replace ``out`` when an earlier ``workbook import`` made it.

    Returns
    -------
    ImportReport

    Raises
    ------
    MappingError
        When the mapping file is wrong.
    DataValidationError
        When an export or the imported tables have problems (file, column, lines, fix).
    ParameterError
        When SRC is not a folder or OUT may not be written.
    """
    if isinstance(mapping, str):
        mapping = load_mapping(mapping)
    out = Path(out)
    if is_database_url(src):
        src = DatabaseExports(str(src))
    else:
        src = Path(src)
        if not src.is_dir():
            raise ParameterError(
                f"{src} is not a folder. Fix: pass the folder that holds the export files, "
                "or a postgresql:// URL of the database holding them as tables."
            )
    check_target(out, force=force)
    report = ImportReport(
        mapping.label,
        mapping.description,
        src,
        out,
        created=datetime.now(UTC).replace(microsecond=0).isoformat(),
    )
    prepare_process()  # the memory settings, before the exports are read
    tables = _Importer(mapping, src, report).run()
    write_output(tables, mapping, report, out, force)
    return report


def find_files(folder: Path, pattern: str) -> list[Path]:
    """Export files in ``folder`` whose name (or name without suffix) matches ``pattern``.

    Matching ignores case; hidden files and Excel lock files (``~$...``) are skipped.
    """
    if not folder.is_dir():
        return []
    wanted = pattern.casefold()
    found = []
    for path in sorted(folder.iterdir()):
        name = path.name.casefold()
        if not path.is_file() or name.startswith((".", "~$")):
            continue
        if path.suffix.casefold() not in EXPORT_SUFFIXES:
            continue
        if fnmatch.fnmatchcase(name, wanted) or fnmatch.fnmatchcase(path.stem.casefold(), wanted):
            found.append(path)
    return found


def _without_footer(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Leave out a report footer: trailing rows with only their first cell filled.

    Salesforce report exports end with a copyright and "Generated By" block. A real row of
    an export with three or more columns fills more than its first cell.
    """
    if frame.shape[1] < 3 or frame.empty:
        return frame, []
    rest = (frame.iloc[:, 1:] != "").any(axis=1).to_numpy()
    filled = np.flatnonzero(rest)
    if not len(filled):  # no row fills more than its first cell: nothing to tell apart
        return frame, []
    end = int(filled[-1]) + 1
    footer = [str(v) for v in frame.iloc[end:, 0] if v != ""]
    return frame.iloc[:end], footer


def _each_distinct(values: pd.Series, function) -> pd.Series:
    """``values.map(function)``, calling ``function`` once per distinct value."""
    table = {value: function(value) for value in pd.unique(values)}
    return values.map(table)


def _resolve(columns, name: str) -> str | None:
    """The export column called ``name``, exactly or else ignoring case and spaces."""
    if name in columns:
        return name
    key = normalise_key(name)
    return next((c for c in columns if normalise_key(c) == key), None)


class _Importer:
    """Builds the canonical tables of one import (text cells, helper columns dropped)."""

    def __init__(self, mapping: Mapping, src: Path | DatabaseExports, report: ImportReport):
        self.mapping = mapping
        self.src = src
        self.report = report
        self.exports: dict[Path, _Export] = {}
        # Lookup tables read, by (file, match, value); an absent one is looked for again by
        # each lookup, whose own default decides between an error and a note.
        self.lookups: dict[tuple[str, str, str], dict[str, str]] = {}
        self.pieces: list[_Piece] = []
        self.orders: dict[Path, str | None] = {}  # day/month order of each file's dates

    def run(self) -> dict[str, pd.DataFrame]:
        stacked: dict[str, pd.DataFrame] = {}
        for name in TABLES:
            parts = self.mapping.parts_of(name)
            if not parts:
                continue
            report = self.report.table(name)
            frames = [frame for part in parts for frame in self._part(part, report)]
            if frames:
                stacked[name] = pd.concat(frames, ignore_index=True).fillna("")
        stacked = self._unify(stacked)
        for name in list(stacked):
            stacked[name] = self._deduplicate(name, stacked[name])
        stacked = self._cross_checks(stacked)
        stacked = self._without_empty_tables(stacked)
        if "teams" not in stacked:
            stacked["teams"] = self._generated_teams(stacked)
        result = {}
        for name in TABLES:
            if name in stacked:
                result[name] = canonical_order(name, stacked[name])
                self.report.table(name).kept = len(result[name])
        return result

    # --- files ---------------------------------------------------------------------------

    @property
    def _in_database(self) -> bool:
        return isinstance(self.src, DatabaseExports)

    def _find(self, pattern: str) -> list[Path]:
        if self._in_database:
            return self.src.find(pattern)
        return find_files(self.src, pattern)

    def _export(self, path: Path) -> _Export:
        if path not in self.exports:
            from_database = self._in_database and self.src.owns(path)
            source = self.src.read(path) if from_database else read_export(path)
            missing = (*self.mapping.missing, "")
            frame, footer = _without_footer(source.frame)
            frame, counts = blank_placeholders(frame, missing)
            line = f"{as_code(source.name)}: {len(frame)} rows, {source.encoding}"
            if source.separator:
                line += f", separator {source.separator!r}"
            blanked = {c: int(n) for c, n in dict(counts).items() if n}
            if blanked:
                line += "; placeholders emptied: " + ", ".join(
                    f"{as_code(c)} {n}" for c, n in blanked.items()
                )
            if footer:
                line += (
                    f"; {len(footer)} footer line(s) after the rows left out (only the first "
                    f"column filled), e.g. {footer[0]!r}"
                )
            self.report.files.append(line)
            self.report.files += [f"{as_code(source.name)}: {note}" for note in source.notes]
            self.exports[path] = _Export(source, frame)
        return self.exports[path]

    def _missing(self, part: TablePart, columns) -> list[str]:
        needed = [n for c, n in part.columns.items() if c not in part.optional]
        needed += list(part.where)
        needed += [n for n in part.melt if n not in part.optional]
        needed += [
            lookup.on
            for column, lookup in part.lookups.items()
            if lookup.default is None and column not in part.optional
        ]
        return list(dict.fromkeys(n for n in needed if _resolve(columns, n) is None))

    def _part(self, part: TablePart, report: TableReport) -> list[pd.DataFrame]:
        paths = self._find(part.file)
        if not paths:
            if not part.required:
                report.notes.append(
                    f"{part.key} skipped: no file in {as_code(self.src.name)} matches "
                    f"{as_code(part.file)}"
                )
                return []
            names = ", ".join(p.name for p in self._find("*")) or "no export files"
            where, thing = ("database", "table") if self._in_database else ("folder", "file")
            raise DataValidationError(
                str(self.src),
                [
                    Problem(
                        self.src.name,
                        None,
                        f"no {thing} matches {part.file!r} ({part.key}.file of "
                        f"{self.mapping.label}); the {where} has: {names}",
                        f"put the export there as a {thing}, or correct the file pattern in "
                        "the mapping file",
                    )
                ],
            )
        exports = [self._export(path) for path in paths]
        for export in exports:
            missing = self._missing(part, export.frame.columns)
            if not missing:
                continue
            if not part.required:
                report.notes.append(
                    f"{part.key} skipped: {as_code(export.source.name)} has no column "
                    + ", ".join(as_code(m) for m in missing)
                )
                return []
            header = ", ".join(export.frame.columns)
            raise DataValidationError(
                str(self.src),
                [
                    export.source.problem(
                        ", ".join(missing),
                        f"column(s) missing for {part.key} of {self.mapping.label}; "
                        f"the header has: {header}",
                        f"export these columns too, or correct the names in {part.key}, or "
                        f"list them in {part.key}.optional (or set required = false) if they "
                        "may be absent",
                    )
                ],
            )
        return [self._piece(part, export, report) for export in exports]

    # --- one part, one file --------------------------------------------------------------

    def _piece(self, part: TablePart, export: _Export, report: TableReport) -> pd.DataFrame:
        source, frame = export.source, export.frame
        if part.where:
            frame = self._where(part, source, frame, report)

        wide: dict[str, pd.Series] = {}
        origin: dict[str, str | None] = {}
        unified: dict[str, pd.Series] = {}
        for canon, name in part.columns.items():
            actual = _resolve(frame.columns, name)
            if actual is None:
                report.notes.append(
                    f"{canon} left out of {part.key}: {as_code(source.name)} has no column "
                    f"{as_code(name)}"
                )
                continue
            values = frame[actual]
            if canon in CATEGORY_COLUMNS:
                # Spellings are unified on the export values, before any value map.
                if actual not in unified:
                    unified[actual] = self._unify_export(source, actual, values, report)
                values = unified[actual]
            if canon in part.split:
                values = values.str.split(part.split[canon], n=1, regex=False).str[0].str.strip()
            wide[canon], origin[canon] = values, actual
        for canon, value in part.constants.items():
            wide[canon] = pd.Series(value, index=frame.index, dtype=object)
            origin[canon] = None
        for canon, lookup in part.lookups.items():
            values = self._lookup(part, lookup, source, frame, report)
            if values is not None:
                wide[canon] = values
                origin[canon] = _resolve(frame.columns, lookup.on) or lookup.on
        for name, snake in part.kept_columns.items():
            actual = _resolve(frame.columns, name)
            if actual is None:
                report.notes.append(
                    f"attribute {snake} left out: {as_code(source.name)} has no column "
                    f"{as_code(name)}"
                )
                continue
            wide[snake] = frame[actual]
        piece = pd.DataFrame(wide, index=frame.index)

        piece = self._melt(part, source, frame, piece, report) if part.melt else piece
        piece = piece.rename_axis(_POS).reset_index()
        report.read += len(piece)
        if part.melt:
            empty = (piece["at"] == "").to_numpy()
            report.dropped[DROP_EMPTY_DATE] += int(empty.sum())
            piece = piece[~empty].reset_index(drop=True)

        piece = self._map_values(part, piece, report)
        self._check_required(part, source, piece, origin)
        piece = self._parse(part, source, piece, origin, report)
        self.pieces.append(_Piece(source, part, origin))
        piece[_PIECE] = len(self.pieces) - 1
        return piece

    def _where(self, part, source, frame, report) -> pd.DataFrame:
        mask = np.ones(len(frame), dtype=bool)
        for name, accepted in part.where.items():
            keys = _each_distinct(frame[_resolve(frame.columns, name)], normalise_key)
            mask &= keys.isin({normalise_key(v) for v in accepted}).to_numpy()
        described = "; ".join(
            f"{as_code(name)} in {', '.join(as_code(v) for v in accepted)}"
            for name, accepted in part.where.items()
        )
        report.notes.append(
            f"{part.key}: {int(mask.sum())} of {len(frame)} rows of {as_code(source.name)} "
            f"match where {described}"
        )
        return frame[mask]

    def _unify_export(self, source, column, values, report) -> pd.Series:
        result, changes = unify_spellings(values)
        for variants, chosen in changes:
            where = f"{as_code(source.name)}, column {as_code(column)}"
            report.unifications.append((where, tuple(variants), chosen))
        return result

    def _melt(self, part, source, frame, piece, report) -> pd.DataFrame:
        longs = []
        for name, event in part.melt.items():
            actual = _resolve(frame.columns, name)
            if actual is None:
                report.notes.append(
                    f"event {as_code(event)} left out of {part.key}: {as_code(source.name)} has no "
                    f"column {as_code(name)}"
                )
                continue
            longs.append(piece.assign(event=event, at=frame[actual], **{_MELTED: name}))
        if not longs:
            return piece.assign(event="", at="", **{_MELTED: ""}).iloc[0:0]
        # Each export row's events stay together, in the order of the melt table.
        return pd.concat(longs).sort_index(kind="stable")

    def _lookup(self, part, lookup: Lookup, source, frame, report) -> pd.Series | None:
        key = f"{part.key}.lookups.{lookup.column}"
        on = _resolve(frame.columns, lookup.on)
        if on is None:
            if lookup.default is None:  # optional column: left out
                report.notes.append(
                    f"{lookup.column} left out of {part.key}: {as_code(source.name)} has no "
                    f"column {as_code(lookup.on)}"
                )
                return None
            report.notes.append(
                f"{key}: {as_code(source.name)} has no column {as_code(lookup.on)}; every row gets "
                f"the default {lookup.default!r}"
            )
            return pd.Series(lookup.default, index=frame.index, dtype=object)
        table = self._lookup_table(part, lookup, report)
        if table is None:
            return pd.Series(lookup.default, index=frame.index, dtype=object)
        found = _each_distinct(frame[on], normalise_key).map(table)
        unmatched = found.isna().to_numpy()
        if unmatched.any():
            if lookup.default is None:
                example = frame[on][unmatched].iloc[0]
                raise DataValidationError(
                    str(self.src),
                    [
                        source.problem(
                            on,
                            f"{int(unmatched.sum())} value(s) have no match in column "
                            f"'{lookup.match}' of {lookup.file}, e.g. {example!r}",
                            f"add them to {lookup.file}, or give {key} a default in "
                            f"{self.mapping.label}",
                            frame.index[unmatched],
                        )
                    ],
                )
            report.notes.append(
                f"{key}: {int(unmatched.sum())} row(s) of {as_code(source.name)} without a match "
                f"in {as_code(lookup.file)} get the default {lookup.default!r}"
            )
            found = found.where(~unmatched, lookup.default)
        return found.astype(object)

    def _lookup_table(self, part, lookup: Lookup, report) -> dict[str, str] | None:
        cache = (lookup.file, lookup.match, lookup.value)
        if cache in self.lookups:
            return self.lookups[cache]
        key = f"{part.key}.lookups.{lookup.column}"
        paths = self._find(lookup.file)
        if not paths and self.mapping.directory is not None:
            paths = find_files(self.mapping.directory, lookup.file)
        if not paths:
            if lookup.default is None:
                raise DataValidationError(
                    str(self.src),
                    [
                        Problem(
                            lookup.file,
                            None,
                            f"lookup file of {key} is neither in {self.src} nor beside "
                            f"{self.mapping.label}",
                            f"add {lookup.file} to the export folder, or give {key} a default",
                        )
                    ],
                )
            report.notes.append(
                f"{key}: no lookup file {as_code(lookup.file)}; every row gets the default "
                f"{lookup.default!r}"
            )
            return None
        table: dict[str, str] = {}
        conflicts = 0
        for path in paths:
            export = self._export(path)
            match = _resolve(export.frame.columns, lookup.match)
            value = _resolve(export.frame.columns, lookup.value)
            if match is None or value is None:
                absent = [n for n, c in ((lookup.match, match), (lookup.value, value)) if c is None]
                if lookup.default is None:
                    raise DataValidationError(
                        str(self.src),
                        [
                            export.source.problem(
                                ", ".join(absent),
                                f"column(s) missing for {key}; the header has: "
                                + ", ".join(export.frame.columns),
                                f"add them, or correct match/value of {key}",
                            )
                        ],
                    )
                report.notes.append(
                    f"{key}: {as_code(export.source.name)} has no column "
                    + ", ".join(as_code(a) for a in absent)
                    + f"; every row gets the default {lookup.default!r}"
                )
                return None
            for text, result in zip(export.frame[match], export.frame[value], strict=True):
                normal = normalise_key(text)
                if not normal:
                    continue
                if normal in table:
                    conflicts += table[normal] != result
                    continue
                table[normal] = result
        if conflicts:
            report.notes.append(
                f"{key}: {conflicts} value(s) of {as_code(lookup.match)} appear more than once "
                f"in {as_code(lookup.file)} with another {as_code(lookup.value)}; the first is used"
            )
        self.lookups[cache] = table
        return table

    def _map_values(self, part, piece, report) -> pd.DataFrame:
        table = TABLES[part.table]
        dropped = np.zeros(len(piece), dtype=bool)
        mapped = {}
        for canon, value_map in part.values.items():
            if canon not in piece:
                continue
            before = piece[canon]
            after = _each_distinct(before, value_map.translate)
            self._count_rules(part, canon, value_map, before, after, report)
            if not table.column(canon).nullable:
                # A required cell that a value map empties is not data: drop the row.
                gone = ((after == "") & (before != "")).to_numpy() & ~dropped
                for value, n in before[gone].value_counts(sort=False).items():
                    report.dropped[f"{canon} {value!r} maps to an empty cell"] += int(n)
                dropped |= gone
            mapped[canon] = after
        piece = piece.assign(**mapped)
        return piece[~dropped].reset_index(drop=True)

    @staticmethod
    def _count_rules(part, canon, value_map, before, after, report) -> None:
        """Add the rows each rule of one value map changed to the log (0 for a rule unused)."""
        rule = _each_distinct(before, value_map.rule)
        changed = rule[(after != before).to_numpy()].value_counts()
        where = f"{part.key}.values.{canon}"
        for rule_id, written, target in value_map.rules:
            report.value_rules[(where, describe_rule(written, target))] += int(
                changed.get(rule_id, 0)
            )

    def _check_required(self, part, source, piece, origin) -> None:
        problems = []
        for column in TABLES[part.table].columns:
            if column.nullable or column.name not in piece:
                continue
            empty = (piece[column.name] == "").to_numpy()
            if not empty.any():
                continue
            where = origin.get(column.name)
            problems.append(
                source.problem(
                    where,
                    f"{int(empty.sum())} empty cell(s), but {part.table}.{column.name} is "
                    f"required ({part.key} of {self.mapping.label})",
                    "fill them in the export (placeholders such as 'Select' count as empty), "
                    f'or send such rows away with a value map to "" '
                    f"(values.{column.name}) or a where filter",
                    piece.loc[empty, _POS].to_numpy(),
                )
                if where is not None
                else Problem(
                    source.name,
                    None,
                    f"{part.key}.constants.{column.name} is empty, but {column.name} is required",
                    f"give constants.{column.name} a value in {self.mapping.label}",
                )
            )
        if problems:
            raise DataValidationError(str(self.src), problems)

    def _parse(self, part, source, piece, origin, report) -> pd.DataFrame:
        parsed = {}
        for column in TABLES[part.table].columns:
            name = column.name
            if name not in piece or name in part.constants:
                continue
            if column.kind == "datetime":
                if part.melt and name == "at":
                    parsed[name] = self._parse_melted(part, source, piece, report)
                    continue
                fmt = part.date_format(name, self.mapping.date_format)
                values = _by_position(piece, name)
                result = self._dates(source, values, fmt, origin[name], report)
                parsed[name] = _back(result, values)
            elif column.kind in ("float", "int"):
                values = _by_position(piece, name)
                result = parse_numbers(
                    values, self.mapping.decimal, source=source, column=origin[name]
                )
                parsed[name] = _back(result, values)
        return piece.assign(**parsed)

    def _parse_melted(self, part, source, piece, report) -> np.ndarray:
        at = piece["at"].to_numpy(dtype=object).copy()
        for name in dict.fromkeys(piece[_MELTED]):
            rows = (piece[_MELTED] == name).to_numpy()
            actual = _resolve(source.frame.columns, name)
            values = pd.Series(at[rows], index=piece.loc[rows, _POS].to_numpy())
            fmt = part.date_format(name, self.mapping.date_format)
            result = self._dates(source, values, fmt, actual, report)
            at[rows] = _back(result, values)
        return at

    def _dates(self, source, values: pd.Series, fmt: str, column: str, report) -> pd.Series:
        """``parse_dates``, with the day/month order of the file for a column that has none.

        An export writes every date in one locale: when a column's own slashed dates could
        be read either way (``2/10/2026``) and the file's other columns settle the order, that
        order is used instead of stopping the import.
        """
        hint = None
        if fmt == "auto" and len(values):
            slashed, day_first, month_first = slash_evidence(values)
            if slashed and not day_first and not month_first:
                if source.path not in self.orders:
                    self.orders[source.path] = file_slash_order(self.exports[source.path].frame)
                hint = self.orders[source.path]
        if hint is None:
            result, description = parse_dates(values, fmt, source=source, column=column)
        else:
            sentinel = pd.Series([ORDER_SENTINELS[hint]], index=[-1], dtype=object)
            padded = pd.concat([values.astype(object), sentinel])
            result, description = parse_dates(padded, fmt, source=source, column=column)
            result = result.iloc[:-1]
            description += f" (order {hint} settled by the file's other date columns)"
        if len(values):
            report.date_formats[f"{as_code(source.name)}, column {as_code(column)}"] = description
        return result

    # --- all tables ----------------------------------------------------------------------

    def _unify(self, stacked: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        result = dict(stacked)
        for column in CATEGORY_COLUMNS:
            holders = [name for name in result if column in result[name]]
            if not holders:
                continue
            if column in VOCABULARIES:
                for name in holders:
                    result[name] = self._vocabulary(name, column, result[name])
            # One spelling per value across tables: a team of leads is the team of deals.
            joined = pd.concat([result[n][column] for n in holders], ignore_index=True)
            unified, changes = unify_spellings(joined)
            start = 0
            for name in holders:
                n = len(result[name])
                values = unified.iloc[start : start + n].to_numpy()
                original = set(result[name][column])
                result[name] = result[name].assign(**{column: values})
                start += n
                for variants, chosen in changes:
                    if original & (set(variants) - {chosen}):
                        where = f"{name}.{column}"
                        self.report.table(name).unifications.append(
                            (where, tuple(variants), chosen)
                        )
        return result

    def _vocabulary(self, name: str, column: str, frame: pd.DataFrame) -> pd.DataFrame:
        canonical = {normalise_key(v): v for v in VOCABULARIES[column]}
        values = frame[column]
        fixed = _each_distinct(values, lambda v: canonical.get(normalise_key(v), v))
        changed = values != fixed
        if changed.any():
            for chosen, variants in values[changed].groupby(fixed[changed]):
                self.report.table(name).unifications.append(
                    (f"{name}.{column}", tuple(sorted(set(variants))), chosen)
                )
        return frame.assign(**{column: fixed})

    def _deduplicate(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        data = [c for c in frame.columns if not c.startswith("_")]
        duplicate = frame.duplicated(subset=data, keep="first").to_numpy()
        if duplicate.any():
            self.report.table(name).dropped[DROP_DUPLICATE] += int(duplicate.sum())
            frame = frame[~duplicate].reset_index(drop=True)
        key = list(TABLES[name].key)
        if key and all(k in frame for k in key):
            clash = frame.duplicated(subset=key, keep=False).to_numpy()
            if clash.any():
                example = frame.loc[clash, key[0]].iloc[0]
                n_keys = frame.loc[clash, key].drop_duplicates().shape[0]
                raise DataValidationError(
                    str(self.src),
                    self._problems(
                        frame[clash],
                        key[0],
                        f"{n_keys} {'/'.join(key)} value(s) occur in rows that differ, e.g. "
                        f"{example!r} ({name})",
                        f"keep one row per {'/'.join(key)} in the export (identical "
                        "duplicates are dropped by themselves)",
                    ),
                )
        return frame

    def _problems(self, rows: pd.DataFrame, column: str, message: str, fix: str) -> list[Problem]:
        problems = []
        for piece_id, group in rows.groupby(_PIECE, sort=True):
            piece = self.pieces[int(piece_id)]
            problems.append(
                piece.source.problem(piece.origin.get(column), message, fix, group[_POS].to_numpy())
            )
        return problems

    def _cross_checks(self, stacked: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        result = dict(stacked)
        # Without leads (an opportunity-only export, or lead parts skipped) no lead is known:
        # rows that belong to a lead are dropped, and deals lose their lead_id, not their amount.
        known = set(result["leads"]["lead_id"]) if "leads" in result else set()
        for name in LEAD_TABLES:
            if name not in result:
                continue
            unknown = ~result[name]["lead_id"].isin(known).to_numpy()
            if unknown.any():
                self.report.table(name).dropped[DROP_UNKNOWN_LEAD] += int(unknown.sum())
                result[name] = result[name][~unknown].reset_index(drop=True)
        opps = result.get("opportunities")
        if opps is not None and "lead_id" in opps:
            unknown = ((opps["lead_id"] != "") & ~opps["lead_id"].isin(known)).to_numpy()
            if unknown.any():
                self.report.table("opportunities").notes.append(
                    f"lead_id cleared on {int(unknown.sum())} opportunities: the lead is not "
                    "among the imported leads (the deals are kept)"
                    if "leads" in result
                    else f"lead_id cleared on {int(unknown.sum())} opportunities: no leads were "
                    "imported (the deals are kept)"
                )
                result["opportunities"] = opps.assign(lead_id=opps["lead_id"].where(~unknown, ""))
        opps = result.get("opportunities")
        if opps is not None and "closed_at" in opps and "status" in opps:
            # An open deal's close date is only the expected one: not a close.
            expected = ((opps["status"] == "open") & (opps["closed_at"] != "")).to_numpy()
            if expected.any():
                self.report.table("opportunities").notes.append(
                    f"closed_at cleared on {int(expected.sum())} open opportunities (their "
                    "close date is only the expected one)"
                )
                result["opportunities"] = opps.assign(
                    closed_at=opps["closed_at"].where(~expected, "")
                )
        return result

    def _without_empty_tables(self, stacked: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Leave out the tables that ended with no rows; refuse an import with neither side.

        A table the exports gave no row for is not in this data: it is not written (a
        header-only file would read as a real zero), and the log says so. ``teams`` is kept
        (validation names an empty one). What is left must hold leads or opportunities.
        """
        result = {}
        for name, frame in stacked.items():
            if len(frame) or name == "teams":
                result[name] = frame
                continue
            report = self.report.table(name)
            report.notes.append(
                f"no rows left, so {name} is not written (the data set has no {name}: "
                "the report sections that need it say so)"
            )
        mains = [tables[0] for tables in SIDES.values()]
        if any(main in result for main in mains):
            return result
        counts = "; ".join(
            f"{name}: {self.report.tables[name].read} read, 0 left"
            for name in mains
            if name in self.report.tables
        )
        raise DataValidationError(
            str(self.src),
            [
                Problem(
                    self.src.name,
                    None,
                    f"the exports gave no rows of {' or '.join(mains)} ({counts or 'no part ran'};"
                    f" see the parts of {self.mapping.label}), so there is nothing to report on",
                    "export the leads (with their events) and/or the opportunities, or correct "
                    "the file patterns, where filters and value maps of those parts",
                )
            ],
        )

    def _generated_teams(self, stacked: dict[str, pd.DataFrame]) -> pd.DataFrame:
        found: set[str] = set()
        for frame in stacked.values():
            if "team" in frame:
                found |= set(frame["team"])
        teams = sorted(found - {"", "*"})
        report = self.report.table("teams")
        report.notes.append(
            f"generated: one row per team id found ({len(teams)}), named after it, with region "
            f"and segment {UNSPECIFIED!r} (the mapping has no teams part, or it was skipped)"
        )
        return pd.DataFrame(
            {"team": teams, "name": teams, "region": UNSPECIFIED, "segment": UNSPECIFIED},
            columns=["team", "name", "region", "segment"],
        )


def _by_position(piece: pd.DataFrame, column: str) -> pd.Series:
    """A column indexed by export row positions, as the cleaning functions expect."""
    return pd.Series(piece[column].to_numpy(), index=piece[_POS].to_numpy())


def _back(result: pd.Series, values: pd.Series) -> np.ndarray:
    """Parsed values in the order of ``values`` (positions are unique within a column)."""
    if result.index.equals(values.index):
        return result.to_numpy(dtype=object)
    return result.reindex(values.index).to_numpy(dtype=object)
