"""``workbook import``: export files + a checked mapping -> a validated canonical data directory.

The import runs in three steps. Each part of the mapping turns the rows of its export file(s)
into canonical rows (placeholders emptied, ``where``, columns, constants, lookups, value maps,
melt, dates, numbers). The rows of each table are stacked and checked (identical duplicates
dropped, conflicting keys refused, events of unknown leads dropped, teams generated). The
tables, ``workbook.toml`` and ``import_log.md`` are written into a temporary sibling of OUT,
validated like any data directory and only then moved into place, so OUT is never half written.
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import CANONICAL_EVENTS
from ..dataset import load_dataset
from ..errors import DataValidationError, ParameterError, Problem
from ..schema import OPPORTUNITY_STATUSES, SOURCE_TYPES, SPEND_CATEGORIES, TABLES
from .cleaning import (
    blank_placeholders,
    normalise_key,
    parse_dates,
    parse_numbers,
    unify_spellings,
)
from .mapping import Lookup, Mapping, TablePart, load_mapping
from .reading import ExportTable, read_export

LOG_NAME = "import_log.md"
LOG_TITLE = "# workbook import log"
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
DROP_EMPTY_DATE = "event date empty (the event did not happen)"
DROP_DUPLICATE = "identical duplicate row"
DROP_UNKNOWN_LEAD = "lead not among the imported leads"
UNSPECIFIED = "unspecified"

# Helper columns carried with each row: which piece it came from, its row position in the
# export (for line numbers) and, for melted rows, the export column of its date.
_PIECE, _POS, _MELTED = "_piece", "_pos", "_melted"


@dataclass
class TableReport:
    """What happened to one canonical table.

    Attributes
    ----------
    name : str
        Canonical table.
    read : int
        Candidate rows the parts produced: export rows that passed ``where``, or for a melt
        part one per export row and melted column.
    kept : int
        Rows written.
    dropped : Counter
        Reason -> number of rows dropped; ``read == kept + sum(dropped.values())`` except for
        generated tables.
    unifications : list of (str, tuple of str, str)
        ``(where, variants, chosen)`` for each set of spellings unified.
    date_formats : dict
        ``"file, column 'X'"`` -> description of the date format used.
    notes : list of str
        Everything else worth knowing (skipped parts, columns left out, defaults used).
    """

    name: str
    read: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)
    unifications: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)
    date_formats: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def n_dropped(self) -> int:
        """Rows dropped, all reasons together."""
        return sum(self.dropped.values())


@dataclass
class ImportReport:
    """The outcome of one import, rendered as ``import_log.md``.

    Attributes
    ----------
    mapping : str
        How the mapping was named (file path or preset).
    description : str
        ``[import].description`` of the mapping.
    src, out : Path
        Export folder and data directory written.
    tables : dict of str to TableReport
        Per canonical table, in canonical order.
    files : list of str
        One line per export or lookup file read (encoding, separator, placeholders).
    anomalies : list of str
        Findings that validation flagged but accepted.
    created : str
        UTC time of the import (ISO 8601).
    """

    mapping: str
    description: str
    src: Path
    out: Path
    tables: dict[str, TableReport] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)
    created: str = ""

    def table(self, name: str) -> TableReport:
        """The report of table ``name``, created on first use."""
        if name not in self.tables:
            self.tables[name] = TableReport(name)
        return self.tables[name]

    def summary_lines(self) -> list[str]:
        """One line per table: rows read, kept and dropped."""
        lines = []
        for name in TABLES:
            if name in self.tables:
                t = self.tables[name]
                lines.append(
                    f"{name:>14}: {t.read:>8,} read {t.kept:>8,} kept {t.n_dropped:>8,} dropped"
                )
        return lines

    def to_markdown(self) -> str:
        """The import log, as Markdown."""
        lines = [
            LOG_TITLE,
            "",
            f"- mapping: {_code(self.mapping)}"
            + (f" ({self.description})" if self.description else ""),
            f"- exports: {_code(str(self.src))}",
            f"- data directory: {_code(str(self.out))}",
            f"- imported at: {self.created}",
            "",
            "## Files read",
            "",
            *(f"- {line}" for line in self.files),
        ]
        for name in TABLES:
            if name not in self.tables:
                continue
            t = self.tables[name]
            lines += [
                "",
                f"## {name}",
                "",
                f"- rows read: {t.read}, kept: {t.kept}, dropped: {t.n_dropped}",
            ]
            if t.dropped:
                lines.append("- dropped:")
                lines += [f"  - {reason}: {n}" for reason, n in sorted(t.dropped.items())]
            if t.unifications:
                lines.append("- spellings unified:")
                lines += [
                    f"  - {where}: {', '.join(_code(v) for v in variants)} → {_code(chosen)}"
                    for where, variants, chosen in t.unifications
                ]
            if t.date_formats:
                lines.append("- date formats:")
                lines += [f"  - {where}: {fmt}" for where, fmt in t.date_formats.items()]
            if t.notes:
                lines.append("- notes:")
                lines += [f"  - {note}" for note in t.notes]
        lines += ["", "## Validation", ""]
        if self.anomalies:
            lines += [f"- flagged: {a}" for a in self.anomalies]
        else:
            lines.append("- valid, nothing flagged")
        return "\n".join(lines) + "\n"


def _code(text: str) -> str:
    # Backticks inside a value would end the code span early.
    safe = text.replace("`", "'")
    return f"`{safe}`"


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
        Folder holding the export files (and optional lookup files).
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
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise ParameterError(
            f"{src} is not a folder. Fix: pass the folder that holds the export files."
        )
    check_target(out, force=force)
    report = ImportReport(
        mapping.label,
        mapping.description,
        src,
        out,
        created=datetime.now(UTC).replace(microsecond=0).isoformat(),
    )
    tables = _Importer(mapping, src, report).run()
    _write(tables, mapping, report, out, force)
    return report


def check_target(out: Path, *, force: bool) -> None:
    """Refuse an OUT that the import may not (over)write.

    Raises
    ------
    ParameterError
        When ``out`` is a file, or a non-empty folder and either ``force`` is off or the
        folder was not made by an earlier import (no ``import_log.md`` of ours).
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise ParameterError(f"{out} is a file. Fix: choose a folder name for the data directory.")
    if not any(out.iterdir()):
        return
    if not force:
        raise ParameterError(
            f"{out} exists and is not empty. Fix: pass --force to replace an earlier import, "
            "or choose another folder."
        )
    if not _made_by_import(out):
        raise ParameterError(
            f"{out} was not made by workbook import (it has no {LOG_NAME}); refusing to "
            "overwrite a folder it did not create, even with --force. Fix: choose another "
            "folder, or move that one away yourself."
        )


def _made_by_import(out: Path) -> bool:
    log = out / LOG_NAME
    try:
        with log.open(encoding="utf-8") as handle:
            return handle.readline().strip() == LOG_TITLE
    except (OSError, UnicodeDecodeError):
        return False


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


_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(?:\d{4}|\d{2})(?!\d)")
# A date that settles each order, added to a column whose own dates do not (dropped after).
_ORDER_SENTINELS = {"M/D": "1/13/2000", "D/M": "13/1/2000"}


def _slash_evidence(values) -> tuple[bool, bool, bool]:
    """Whether slashed dates occur, and whether some can only be day-first / month-first."""
    slashed = day_first = month_first = False
    for value in pd.unique(pd.Series(values, dtype=object)):
        match = _SLASHED.match(str(value))
        if match:
            first, second = int(match[1]), int(match[2])
            slashed = True
            day_first |= first > 12
            month_first |= second > 12
    return slashed, day_first, month_first


def _slash_order(values) -> str | None:
    """``"M/D"``, ``"D/M"`` or ``None`` (nothing settles it, or both orders occur)."""
    _, day_first, month_first = _slash_evidence(values)
    if day_first == month_first:
        return None
    return "D/M" if day_first else "M/D"


def _file_slash_order(frame: pd.DataFrame) -> str | None:
    """The one day/month order that the slashed dates of a file's columns settle, if any."""
    orders = set()
    for name in frame.columns:
        column = frame[name]
        filled = column[column != ""]
        # Only columns that start like a slashed date are looked at in full.
        if len(filled) and _SLASHED.match(str(filled.iloc[0])):
            orders.add(_slash_order(column))
    orders.discard(None)
    return orders.pop() if len(orders) == 1 else None


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

    def __init__(self, mapping: Mapping, src: Path, report: ImportReport):
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
        if "teams" not in stacked:
            stacked["teams"] = self._generated_teams(stacked)
        result = {}
        for name in TABLES:
            if name in stacked:
                result[name] = _canonical_order(name, stacked[name])
                self.report.table(name).kept = len(result[name])
        return result

    # --- files ---------------------------------------------------------------------------

    def _export(self, path: Path) -> _Export:
        if path not in self.exports:
            source = read_export(path)
            missing = (*self.mapping.missing, "")
            frame, footer = _without_footer(source.frame)
            frame, counts = blank_placeholders(frame, missing)
            line = f"{_code(source.name)}: {len(frame)} rows, {source.encoding}"
            if source.separator:
                line += f", separator {source.separator!r}"
            blanked = {c: int(n) for c, n in dict(counts).items() if n}
            if blanked:
                line += "; placeholders emptied: " + ", ".join(
                    f"{_code(c)} {n}" for c, n in blanked.items()
                )
            if footer:
                line += (
                    f"; {len(footer)} footer line(s) after the rows left out (only the first "
                    f"column filled), e.g. {footer[0]!r}"
                )
            self.report.files.append(line)
            self.report.files += [f"{_code(source.name)}: {note}" for note in source.notes]
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
        paths = find_files(self.src, part.file)
        if not paths:
            if not part.required:
                report.notes.append(
                    f"{part.key} skipped: no file in {_code(self.src.name)} matches "
                    f"{_code(part.file)}"
                )
                return []
            names = ", ".join(p.name for p in find_files(self.src, "*")) or "no export files"
            raise DataValidationError(
                str(self.src),
                [
                    Problem(
                        self.src.name,
                        None,
                        f"no file matches {part.file!r} ({part.key}.file of "
                        f"{self.mapping.label}); the folder has: {names}",
                        "put the export there, or correct the file pattern in the mapping file",
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
                    f"{part.key} skipped: {_code(export.source.name)} has no column "
                    + ", ".join(_code(m) for m in missing)
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
                    f"{canon} left out of {part.key}: {_code(source.name)} has no column "
                    f"{_code(name)}"
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
                    f"attribute {snake} left out: {_code(source.name)} has no column {_code(name)}"
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
            f"{_code(name)} in {', '.join(_code(v) for v in accepted)}"
            for name, accepted in part.where.items()
        )
        report.notes.append(
            f"{part.key}: {int(mask.sum())} of {len(frame)} rows of {_code(source.name)} "
            f"match where {described}"
        )
        return frame[mask]

    def _unify_export(self, source, column, values, report) -> pd.Series:
        result, changes = unify_spellings(values)
        for variants, chosen in changes:
            where = f"{_code(source.name)}, column {_code(column)}"
            report.unifications.append((where, tuple(variants), chosen))
        return result

    def _melt(self, part, source, frame, piece, report) -> pd.DataFrame:
        longs = []
        for name, event in part.melt.items():
            actual = _resolve(frame.columns, name)
            if actual is None:
                report.notes.append(
                    f"event {_code(event)} left out of {part.key}: {_code(source.name)} has no "
                    f"column {_code(name)}"
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
                    f"{lookup.column} left out of {part.key}: {_code(source.name)} has no "
                    f"column {_code(lookup.on)}"
                )
                return None
            report.notes.append(
                f"{key}: {_code(source.name)} has no column {_code(lookup.on)}; every row gets "
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
                f"{key}: {int(unmatched.sum())} row(s) of {_code(source.name)} without a match "
                f"in {_code(lookup.file)} get the default {lookup.default!r}"
            )
            found = found.where(~unmatched, lookup.default)
        return found.astype(object)

    def _lookup_table(self, part, lookup: Lookup, report) -> dict[str, str] | None:
        cache = (lookup.file, lookup.match, lookup.value)
        if cache in self.lookups:
            return self.lookups[cache]
        key = f"{part.key}.lookups.{lookup.column}"
        paths = find_files(self.src, lookup.file)
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
                f"{key}: no lookup file {_code(lookup.file)}; every row gets the default "
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
                    f"{key}: {_code(export.source.name)} has no column "
                    + ", ".join(_code(a) for a in absent)
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
                f"{key}: {conflicts} value(s) of {_code(lookup.match)} appear more than once "
                f"in {_code(lookup.file)} with another {_code(lookup.value)}; the first is used"
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
            if not table.column(canon).nullable:
                # A required cell that a value map empties is not data: drop the row.
                gone = ((after == "") & (before != "")).to_numpy() & ~dropped
                for value, n in before[gone].value_counts(sort=False).items():
                    report.dropped[f"{canon} {value!r} maps to an empty cell"] += int(n)
                dropped |= gone
            mapped[canon] = after
        piece = piece.assign(**mapped)
        return piece[~dropped].reset_index(drop=True)

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
            slashed, day_first, month_first = _slash_evidence(values)
            if slashed and not day_first and not month_first:
                if source.path not in self.orders:
                    self.orders[source.path] = _file_slash_order(self.exports[source.path].frame)
                hint = self.orders[source.path]
        if hint is None:
            result, description = parse_dates(values, fmt, source=source, column=column)
        else:
            sentinel = pd.Series([_ORDER_SENTINELS[hint]], index=[-1], dtype=object)
            padded = pd.concat([values.astype(object), sentinel])
            result, description = parse_dates(padded, fmt, source=source, column=column)
            result = result.iloc[:-1]
            description += f" (order {hint} settled by the file's other date columns)"
        if len(values):
            report.date_formats[f"{_code(source.name)}, column {_code(column)}"] = description
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
        if "leads" in result:
            known = set(result["leads"]["lead_id"])
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
                    )
                    result["opportunities"] = opps.assign(
                        lead_id=opps["lead_id"].where(~unknown, "")
                    )
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


def _canonical_order(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical columns in schema order, then (leads) attribute columns; no helper columns."""
    canonical = [c.name for c in TABLES[name].columns if c.name in frame]
    extras = [c for c in frame.columns if c not in canonical and not c.startswith("_")]
    if extras and not TABLES[name].extra_columns:
        extras = []
    return frame[canonical + extras].fillna("").reset_index(drop=True)


# --- writing ---------------------------------------------------------------------------------


def _write(
    tables: dict[str, pd.DataFrame], mapping: Mapping, report: ImportReport, out: Path, force: bool
) -> None:
    created = [parent for parent in out.parents if not parent.exists()]  # nearest first
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-", dir=out.parent))
    try:
        temporary.chmod(0o755)  # mkdtemp makes it private; OUT is an ordinary folder
        for name, frame in tables.items():
            frame.to_csv(temporary / f"{name}.csv", index=False, lineterminator="\n")
        header = (
            f"# Written by workbook import from {mapping.label}. Every key is documented in\n"
            "# src/helpers/workbook_defaults.toml; keys left out take their defaults.\n"
        )
        (temporary / "workbook.toml").write_text(
            header + toml_text(dict(mapping.workbook)), encoding="utf-8"
        )
        try:
            dataset = load_dataset(temporary)
        except DataValidationError as err:
            raise DataValidationError(
                f"{out} (imported tables, nothing written)", err.problems
            ) from err
        report.anomalies = [str(p) for p in dataset.anomalies if p.severity == "warning"]
        (temporary / LOG_NAME).write_text(report.to_markdown(), encoding="utf-8")
        _move_into_place(temporary, out, force)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        for parent in created:  # a failed import leaves no trace, not even OUT's parents
            try:
                parent.rmdir()
            except OSError:
                break
        raise


def _move_into_place(temporary: Path, out: Path, force: bool) -> None:
    check_target(out, force=force)  # OUT may have changed while the import ran
    if not out.exists():
        os.replace(temporary, out)
        return
    # Swap through a second sibling so that OUT is the old folder or the new, never a mix.
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.replaced-", dir=out.parent))
    old.rmdir()
    os.replace(out, old)
    try:
        os.replace(temporary, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


# --- workbook.toml ---------------------------------------------------------------------------


def toml_text(settings: dict[str, Any]) -> str:
    """Settings as TOML text that ``tomllib`` reads back unchanged.

    Handles what a ``[workbook]`` table holds: texts, numbers, booleans, dates and times,
    lists and nested tables.
    """
    lines: list[str] = []
    _toml_table(settings, (), lines)
    return "\n".join(lines).strip("\n") + "\n" if lines else ""


def _toml_table(table: dict[str, Any], path: tuple[str, ...], lines: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    if path and (scalars or not tables):
        lines += ["", f"[{'.'.join(_toml_key(p) for p in path)}]"]
    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in scalars.items()]
    for key, value in tables.items():
        _toml_table(value, (*path, key), lines)


def _toml_key(key: str) -> str:
    bare = key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    return key if bare else _toml_string(key)


def _toml_string(text: str) -> str:
    # JSON escapes are valid TOML basic-string escapes; TOML also forbids a raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"cannot write {value!r} as TOML")
