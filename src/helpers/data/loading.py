"""Reading table files (CSV or Parquet) and parsing their cells into typed columns.

Every cell is read as text first so that a bad value is reported with its file, column and
line instead of silently becoming NaN or failing deep inside pandas.
"""

from __future__ import annotations

import csv
import ctypes
import functools
import os
import re
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..errors import Problem
from .schema import QUARTER_PATTERN, Column, Table

ALLOCATOR_ENV = "ARROW_DEFAULT_MEMORY_POOL"
"""Arrow's own setting: when set, the allocator it names is kept (:func:`use_lean_allocator`)."""


JEMALLOC_DECAY_MS = 0
"""How long jemalloc keeps freed pages before handing them back (Arrow builds it with 1000)."""


def use_lean_allocator() -> str:
    """Arrow allocates with jemalloc (else the system's) unless :data:`ALLOCATOR_ENV` is set.

    A load builds and drops many large buffers (the parser's, the unstripped cells, casts).
    Arrow's default allocator here, mimalloc, keeps the freed blocks for reuse, so they count in
    the process's memory long after: a 1 M-lead load peaked at 0.97 GB with mimalloc and 0.83
    GB with jemalloc, and took less CPU (benchmarks/README.md). jemalloc, as Arrow builds it,
    still keeps freed pages for a second (``dirty_decay_ms``) and purges them as it goes; with
    :data:`JEMALLOC_DECAY_MS` 0 it hands each back when freed. That costs CPU (a reused page is
    faulted in again) and buys memory. At 1 M leads (the bench's process, 3 runs each on a
    shared machine, medians; issue 18), decay 1000 ms: load 3.3 s CPU, first view 1.36 s, peak
    0.95-0.98 GiB; 50 ms: 3.4 s, 1.33 s, 0.90-0.92 GiB; 0 ms: 3.9 s, 1.59 s, 0.87 GiB. Only 0
    keeps a 1 M-lead kernel clearly under 1 GB, so it is the default, at 0.5 s of load and
    0.25 s of first view. Called once by :func:`prepare_process` before a load reads its
    tables (the decay applies to the arenas made after it); returns the allocator in use.
    """
    if not os.environ.get(ALLOCATOR_ENV):
        try:
            pa.set_memory_pool(pa.jemalloc_memory_pool())
            pa.jemalloc_set_decay_ms(JEMALLOC_DECAY_MS)
        except NotImplementedError:  # a pyarrow built without jemalloc
            pa.set_memory_pool(pa.system_memory_pool())
    return pa.default_memory_pool().backend_name


MMAP_THRESHOLD_ENV = "MALLOC_MMAP_THRESHOLD_"
"""glibc's own setting: when set, its threshold is kept (:func:`hand_back_large_blocks`)."""
MMAP_THRESHOLD = 4 * 2**20
"""Blocks of this many bytes or more are mapped on their own and unmapped when freed."""
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def hand_back_large_blocks() -> bool:
    """Large numpy arrays go back to the system when freed (glibc), unless told otherwise.

    numpy allocates with the C library's malloc. glibc maps a large block on its own and
    unmaps it when it is freed, but after each such free it raises the size it calls large,
    up to 32 MB: from then on the temporary arrays of a million rows (8 MB each) come from its
    heap, and once freed they stay in the process, where Arrow (which has its own allocator)
    cannot reuse them. A fixed threshold (``mallopt(M_MMAP_THRESHOLD)``, 4 MiB) keeps the
    large blocks separate: at 1 M leads the first view peaks at 0.83 GiB instead of 0.85
    (0.88 instead of 0.92 when it builds the per-lead tables), pairing every MQL of the
    company at 0.87 instead of 0.90 (issue 18), with no CPU measurably added (A/B runs on a
    shared machine, within their noise). Only on glibc, and not when
    :data:`MMAP_THRESHOLD_ENV` is set (glibc read it at start-up). Called once by
    :func:`prepare_process` before a load reads its tables; returns whether it set the
    threshold.
    """
    if os.environ.get(MMAP_THRESHOLD_ENV) is not None or sys.platform != "linux":
        return False
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"):
            return False
        libc = ctypes.CDLL("libc.so.6")
    except (OSError, ValueError, AttributeError):  # not glibc, or no libc.so.6 to open
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


@dataclass(frozen=True)
class ProcessSettings:
    """The process-wide memory settings :func:`prepare_process` made."""

    allocator: str
    """Arrow's allocator in use (``jemalloc``, ``system``, or the one the user set)."""
    mmap_threshold_set: bool
    """Whether glibc's mmap threshold was fixed (:func:`hand_back_large_blocks`)."""


@functools.cache
def prepare_process() -> ProcessSettings:
    """Make the memory settings a load of big tables needs, once per process.

    Importing this module changes nothing; the loaders that read the big tables
    (:func:`~helpers.data.dataset.load_folder`, :func:`~helpers.data.dataset.load_database`
    and the importer's :func:`~helpers.importing.importer.import_exports`) call this first, so
    the settings are made before the first table is read: Arrow's allocator
    (:func:`use_lean_allocator`) and glibc's mmap threshold (:func:`hand_back_large_blocks`).
    Both keep what the user set in the environment (:data:`ALLOCATOR_ENV`,
    :data:`MMAP_THRESHOLD_ENV`). The settings are process-wide, so they are made once: this
    function's cache is their one owner, and a later call returns the first call's result.

    Returns
    -------
    ProcessSettings
        The allocator in use and whether the mmap threshold was set.
    """
    return ProcessSettings(use_lean_allocator(), hand_back_large_blocks())


MAX_ROWS_SHOWN = 10
# Z, +02:00 or +0200; or +02 right after the seconds, as PostgreSQL writes a timestamptz.
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2}|:\d{2}(?:\.\d+)?[+-]\d{2})$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_OTHER_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "pipes"}


@dataclass
class SourceFile:
    """A table as read: its path, text cells and how to name its rows to the user.

    ``label`` names a table that is not a file (a database table, e.g. ``table leads (rows by
    lead_id)``); its rows are counted like a Parquet file's.
    """

    table: Table
    path: Path
    raw: pd.DataFrame  # every cell as text, "" for empty
    label: str | None = None

    @property
    def name(self) -> str:
        """File (or database table) name as the user knows it."""
        return self.label or self.path.name

    @property
    def unit(self) -> str:
        """What row numbers count in this file."""
        return "row" if self.label or self.path.suffix == ".parquet" else "line"

    def line_numbers(self, positions: np.ndarray) -> tuple[list[int], int]:
        """User-visible line numbers of row positions (first ten) and how many there are."""
        positions = np.unique(np.asarray(positions, dtype="int64"))
        shown = positions[:MAX_ROWS_SHOWN]
        if self.unit == "row":
            return [int(p) + 1 for p in shown], len(positions)
        starts = _record_start_lines(self.path)
        return [int(starts[p]) if p < len(starts) else int(p) + 2 for p in shown], len(positions)

    def problem(self, column: str | None, message: str, fix: str, positions=None, **kw) -> Problem:
        """A :class:`Problem` for this file, with line numbers of the given row positions."""
        rows: list[int] = []
        count = 0
        if positions is not None:
            rows, count = self.line_numbers(positions)
        return Problem(self.name, column, message, fix, tuple(rows), count, unit=self.unit, **kw)


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """``(first line, fields)`` of each record, skipping blank lines as pandas does."""
    # A quoted comment may span lines, so count them with the csv module, not by newlines.
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.reader(handle)
        previous = 0
        for row in reader:
            if len(row) > 1 or (row and row[0].strip()):
                yield previous + 1, row
            previous = reader.line_num


def _record_start_lines(path: Path) -> np.ndarray:
    # Only called on the error path.
    starts = [start for start, _ in _records(path)]
    return np.array(starts[1:], dtype="int64")  # drop the header


def _malformed_csv(path: Path, err: Exception | None) -> Problem:
    # pandas counts neither blank lines nor the newlines inside quoted fields: recount.
    fix = "check quoting: a field holding a comma or newline must be in double quotes"
    records = list(_records(path))
    if "EOF inside string" in str(err) and records:
        line = records[-1][0]
        return Problem(path.name, None, "has a double quote that is never closed", fix, (line,), 1)
    width = len(records[0][1]) if records else 0
    long = [start for start, row in records[1:] if len(row) > width]
    if long:
        return Problem(
            path.name,
            None,
            f"has {len(long)} row(s) with more fields than the {width} columns of the header",
            f"name every column in the header, and {fix}",
            tuple(long[:MAX_ROWS_SHOWN]),
            len(long),
        )
    return Problem(path.name, None, f"is not a well-formed CSV file ({str(err).strip()})", fix)


def _header_names(path: Path) -> list[str]:
    """The column names as the file's first record writes them (pandas renames some)."""
    with closing(_records(path)) as records:
        first = next(records, None)
    return [name.strip() for name in first[1]] if first else []


def _duplicate_header(path: Path) -> Problem | None:
    # pandas renames a repeated column to "name.1", which would silently drop its values.
    with closing(_records(path)) as records:
        first = next(records, None)
    names = [name.strip() for name in first[1]] if first else []
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if not repeated:
        return None
    return Problem(
        path.name,
        ", ".join(repeated),
        "the header names the column(s) more than once",
        "keep one column per name: rename or delete the repeated one",
        (first[0],),
        1,
    )


TABLE_SUFFIXES = (".csv", ".parquet")


def table_files(directory: Path, table: Table) -> list[Path]:
    """Every ``DIR/<table>.csv`` and ``DIR/<table>.parquet`` there is, files or not.

    A folder or a broken link of that name is listed too (:func:`read_source` says what is
    wrong with it): it is not an absent table.
    """
    paths = [directory / f"{table.name}{suffix}" for suffix in TABLE_SUFFIXES]
    return [path for path in paths if path.exists() or path.is_symlink()]


def find_table_file(directory: Path, table: Table) -> tuple[Path | None, list[Problem]]:
    """The one file of ``table`` in ``directory``, or None when it has none.

    Returns
    -------
    (Path or None, list of Problem)
        Both ``<table>.csv`` and ``<table>.parquet`` present is a problem (which one holds the
        data?) and gives no path.
    """
    found = table_files(directory, table)
    if len(found) > 1:
        names = " and ".join(path.name for path in found)
        return None, [
            Problem(
                names,
                None,
                f"both are in {directory.name}, so it is not clear which holds the {table.name}",
                "keep one of them: delete or move the other",
            )
        ]
    return (found[0] if found else None), []


def _unusable_file(path: Path) -> Problem | None:
    """A folder, a broken link or an unreadable file where a table file should be."""
    fix = f"put the table's file at {path.name} (a CSV or Parquet file you can read)"
    if path.is_symlink() and not path.exists():
        return Problem(
            path.name, None, f"is a link to {path.readlink()}, which does not exist", fix
        )
    if path.is_dir():
        return Problem(path.name, None, "is a folder, not a file", fix)
    if not path.is_file():
        return Problem(path.name, None, "is not a regular file", fix)
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as err:
        return Problem(path.name, None, f"cannot be read ({err.strerror or err})", fix)
    return None


def _text_frame(columns: list[pa.ChunkedArray | pa.Array], names: list[str]) -> pd.DataFrame:
    """A frame of text cells from Arrow string columns: stripped, "" for empty, no copy to Python.

    Arrow strips the whitespace (``utf8_trim_whitespace``, what pandas' ``str.strip`` runs on
    Arrow text) so no cell passes through a Python function.
    """
    trimmed = [pc.utf8_trim_whitespace(column).fill_null("") for column in columns]
    frame = pa.table(trimmed, names=[f"c{i}" for i in range(len(names))]).to_pandas()
    frame.columns = names
    return frame


def _arrow_csv_text(path: Path) -> pd.DataFrame | None:
    """Every cell of a well-formed CSV file as stripped text, read by Arrow's parser.

    Returns None for any file that needs the careful reader (pandas plus the checks of
    :func:`read_source`): one Arrow refuses (a row of another width, text that is not UTF-8, a
    quote never closed) or whose header leaves a name empty or repeats one. Both readers give
    the same cells: empty cells are ``""``, quoted newlines stay in their cell, blank lines are
    skipped and a UTF-8 byte-order mark is dropped.
    """
    with closing(_records(path)) as records:
        first = next(records, None)
    if first is None:
        return None
    names = first[1]
    stripped = [name.strip() for name in names]
    if not all(stripped) or len(set(stripped)) < len(stripped):
        return None
    try:
        arrow = pa_csv.read_csv(
            path,
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
    except (pa.ArrowException, OSError):
        return None
    if arrow.column_names != names or not all(pa.types.is_string(t) for t in arrow.schema.types):
        return None
    return _text_frame(arrow.columns, names)


def _parquet_text(arrow: pa.Table) -> pd.DataFrame:
    """Every cell of a Parquet table as stripped text, "" for empty.

    Text columns stay in Arrow; a typed column (numbers, timestamps) is written as pandas
    writes its values (``astype("string")``), as a table exported to CSV would hold them.
    """
    names = [str(name) for name in arrow.column_names]
    columns = []
    for column in arrow.columns:
        kind = column.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
            column = column.cast(kind)
        if pa.types.is_string(kind):
            columns.append(column)
        elif pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            columns.append(column.cast(pa.string()))
        else:
            text = column.to_pandas().astype("string")
            columns.append(pa.chunked_array([pa.array(text, type=pa.string(), from_pandas=True)]))
    return _text_frame(columns, names)


def read_source(path: Path, table: Table) -> tuple[SourceFile | None, list[Problem]]:
    """Read one table file as text cells; report an empty file or a wrong separator.

    Returns
    -------
    (SourceFile or None, list of Problem)
        ``None`` when the file cannot be used at all.
    """
    name = path.name
    unusable = _unusable_file(path)
    if unusable is not None:
        return None, [unusable]
    if path.suffix == ".parquet":
        try:
            arrow = pq.read_table(path)
        except Exception as err:  # pyarrow raises many types for a damaged file
            return None, [
                Problem(
                    name,
                    None,
                    f"cannot be read as Parquet ({err})",
                    "export the table again as Parquet or CSV",
                )
            ]
        return SourceFile(table, path, _parquet_text(arrow)), []

    if path.stat().st_size == 0:
        expected = ", ".join(c.name for c in table.columns if c.required)
        return None, [
            Problem(
                name,
                None,
                "the file is empty",
                f"write a header line with the columns {expected}, then one row per record",
            )
        ]
    raw = _arrow_csv_text(path)
    stripped = raw is not None
    try:
        if raw is None:
            raw = pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=False
            )
    except UnicodeDecodeError:
        return None, [
            Problem(name, None, "is not UTF-8 text", "save the file as UTF-8 (CSV UTF-8)")
        ]
    except OSError as err:  # e.g. a file that went away or a read error of the disk
        return None, [
            Problem(name, None, f"cannot be read ({err.strerror or err})", "check the file")
        ]
    except pd.errors.ParserError as err:
        return None, [_malformed_csv(path, err)]
    except pd.errors.EmptyDataError:
        return None, [
            Problem(name, None, "the file is empty", "write a header line and one row per record")
        ]

    header = list(raw.columns)
    if len(header) == 1:
        for separator, word in _OTHER_SEPARATORS.items():
            if separator in header[0]:
                return None, [
                    Problem(
                        name,
                        None,
                        f"columns are separated by {word}, not commas",
                        "save the file as comma-separated CSV, or import it with "
                        "`workbook import`, which reads other separators",
                    )
                ]
    if not isinstance(raw.index, pd.RangeIndex):
        # Every row is wider than the header: pandas silently took the first column as index.
        return None, [_malformed_csv(path, None)]
    repeated = _duplicate_header(path)
    if repeated is not None:
        return None, [repeated]
    raw.columns = [str(c).strip() for c in header]
    if not stripped:
        raw = raw.apply(lambda col: col.str.strip())
    names = _header_names(path)
    unnamed = [i for i, name in enumerate(names) if not name and i < len(raw.columns)]
    if unnamed:
        # An empty trailing column (a spreadsheet's extra comma) carries nothing: drop it. One
        # with values would be read under a made-up name, or lost: refuse it.
        filled = [i + 1 for i in unnamed if (raw.iloc[:, i] != "").any()]
        if filled:
            return None, [
                Problem(
                    path.name,
                    None,
                    f"the header leaves column(s) {', '.join(map(str, filled))} without a name, "
                    "and they hold values",
                    "name every column in the header, or delete the unnamed column",
                    (1,),
                    1,
                )
            ]
        raw = raw.drop(columns=raw.columns[unnamed])
    return SourceFile(table, path, raw), []


def text_column(text: pd.Series, empty: np.ndarray | None = None) -> pd.Series:
    """Text cells as a ``string`` column, missing where ``empty`` (default: where ``""``).

    The same values as ``pd.Series(text.where(~empty, None), dtype="string")``, but an Arrow
    column keeps the cells' buffers and only gains a validity bitmap, so a million ids are
    not copied again (the raw cells stay in memory for error messages anyway).
    """
    if empty is None:
        empty = (text == "").to_numpy(dtype=bool)
    try:
        chunked = pa.array(text, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        chunked = None
    if chunked is None or not (
        pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type)
    ):
        return pd.Series(text.where(~empty, None), dtype="string")
    chunks = chunked.chunks if isinstance(chunked, pa.ChunkedArray) else [chunked]
    shared, start = [], 0
    for chunk in chunks:
        valid = ~empty[start : start + len(chunk)]
        start += len(chunk)
        if chunk.null_count:
            valid &= chunk.is_valid().to_numpy(zero_copy_only=False)
        bits = pa.array(np.concatenate([np.ones(chunk.offset, dtype=bool), valid]))
        _, offsets, data = chunk.buffers()
        shared.append(
            pa.Array.from_buffers(
                chunk.type, len(chunk), [bits.buffers()[1], offsets, data], offset=chunk.offset
            )
        )
    array = pa.chunked_array(shared, type=chunked.type)
    return pd.Series(pd.arrays.ArrowStringArray(array), index=text.index, name=text.name)


def parse_column(
    source: SourceFile, column: Column, timezone: str
) -> tuple[pd.Series, list[Problem]]:
    """Parse one text column into its kind; report cells that do not parse.

    Empty cells become missing values (the nullable check is separate). Timestamps come out
    naive, as wall-clock time in ``timezone``.
    """
    text = source.raw[column.name]
    empty = (text == "").to_numpy()
    kind = column.kind
    if kind == "str":
        return text_column(text, empty), []
    if kind == "datetime":
        return _parse_timestamps(source, column, text, empty, timezone)
    if kind in ("float", "int"):
        values = _arrow_cast(text, empty, pa.float64())
        if values is None:  # some cell is not a number: pandas finds which
            values = pd.to_numeric(text.where(~empty, None), errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() & ~empty)
        problems = []
        if len(bad):
            problems.append(
                source.problem(
                    column.name,
                    f"{len(bad)} value(s) are not numbers, e.g. {text.iloc[bad[0]]!r}",
                    "write plain numbers with a dot as decimal separator and no currency symbol",
                    bad,
                )
            )
        infinite = np.flatnonzero(np.isinf(values.to_numpy(dtype="float64", na_value=np.nan)))
        if len(infinite):
            problems.append(
                source.problem(
                    column.name,
                    f"{len(infinite)} value(s) are not finite numbers, "
                    f"e.g. {text.iloc[infinite[0]]!r}",
                    "write the number itself (inf and infinity are not amounts, counts or scores)",
                    infinite,
                )
            )
        # -0 is 0: no "-0" revenue in a report.
        values = values + 0.0
        if kind == "int":
            fractional = np.flatnonzero(values.notna().to_numpy() & (values % 1 != 0).to_numpy())
            if len(fractional):
                problems.append(
                    source.problem(
                        column.name,
                        f"{len(fractional)} value(s) are not "
                        f"whole numbers, e.g. {text.iloc[fractional[0]]!r}",
                        "write whole numbers",
                        fractional,
                    )
                )
            return values.round().astype("Int64"), problems
        return values.astype("float64"), problems
    pattern, example = (_MONTH, "2026-07") if kind == "month" else (QUARTER_PATTERN, "2026Q3")
    bad = np.flatnonzero(~text.str.fullmatch(pattern).to_numpy() & ~empty)
    problems = []
    if len(bad):
        problems.append(
            source.problem(
                column.name,
                f"{len(bad)} value(s) are not well formed, e.g. {text.iloc[bad[0]]!r}",
                f"write values like {example}",
                bad,
            )
        )
    return text_column(text, empty), problems


def _parse_timestamps(
    source: SourceFile, column: Column, text: pd.Series, empty: np.ndarray, timezone: str
) -> tuple[pd.Series, list[Problem]]:
    # Naive timestamps already are wall-clock time in the configured zone; those with an
    # offset are converted to that zone, then made naive like the rest.
    fast = _arrow_cast(text, empty, pa.timestamp("us"))
    if fast is not None:  # every cell a naive ISO 8601 timestamp in range
        return fast, []
    has_offset = text.str.contains(_OFFSET).to_numpy() & ~empty
    naive = ~has_offset & ~empty
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if naive.any():
        values = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        parsed[naive] = values.astype("datetime64[ns]")
    if has_offset.any():
        values = pd.to_datetime(text[has_offset], format="ISO8601", errors="coerce", utc=True)
        parsed[has_offset] = (
            values.dt.tz_convert(timezone).dt.tz_localize(None).astype("datetime64[ns]")
        )
    bad = np.flatnonzero(~empty & parsed.isna().to_numpy())
    problems = []
    if len(bad):
        problems.append(
            source.problem(
                column.name,
                f"{len(bad)} value(s) are not ISO 8601 timestamps, e.g. {text.iloc[bad[0]]!r}",
                "write timestamps like 2026-07-01T09:30:00 (an offset such as +02:00 is allowed)",
                bad,
            )
        )
    return parsed, problems


def _arrow_cast(text: pd.Series, empty: np.ndarray, kind: pa.DataType) -> pd.Series | None:
    """Non-empty cells cast by Arrow to numbers or naive timestamps; None if any cell fails.

    The fast path for a clean column: Arrow's cast accepts plain numbers (``12``, ``-3.5``,
    ``1e3``) and naive ISO 8601 timestamps (``2026-07-01``, ``2026-07-01T09:30:00``), a subset
    of what pandas accepts, and refuses an offset, so a column with an offset or a bad cell
    returns None and goes the careful way, which names the cells. Timestamps must also fit
    pandas' nanosecond range. Empty cells are missing (NaN or NaT).
    """
    try:
        array = pa.array(text, from_pandas=True)
        array = pc.if_else(pa.array(empty), pa.scalar(None, array.type), array)
        cast = pc.cast(array, kind)
        if pa.types.is_timestamp(kind):
            cast = pc.cast(cast, pa.timestamp("ns"))  # refuses a value out of pandas' range
    except (pa.ArrowException, ValueError):
        return None
    if pa.types.is_timestamp(kind):
        values = cast.to_numpy(zero_copy_only=False).astype("datetime64[ns]")
        return pd.Series(values, index=text.index, dtype="datetime64[ns]")
    values = cast.to_numpy(zero_copy_only=False).astype("float64")
    return pd.Series(values, index=text.index, dtype="float64")
