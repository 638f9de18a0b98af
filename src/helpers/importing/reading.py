"""Reading CRM export files (CSV-like text or ``.xlsx``) into tables of text cells.

Exports come in many shapes: a byte-order mark, Windows-1252 bytes, ``;`` or tab separators,
a trailing separator on every line, Windows line endings. :func:`read_export` copes with all
of these and reports a file it cannot read as a :class:`~helpers.errors.Problem` naming the
lines as the user sees them in the file, never as a pandas traceback.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.loading import MAX_ROWS_SHOWN
from ..errors import DataValidationError, Problem

SEPARATORS = (",", ";", "\t", "|")  # in order of preference when counts tie
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx",)
_SEPARATOR_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}
_HEADER_SCAN_LIMIT = 65_536  # characters searched for the header line
_QUOTING_FIX = "check quoting: a field holding a separator or a line break must be in double quotes"


@dataclass
class ExportTable:
    """An export file as read: text cells plus what is needed to name its lines to the user.

    Parameters
    ----------
    path : Path
        The export file.
    frame : pandas.DataFrame
        Every cell as text, stripped of surrounding whitespace, ``""`` for empty; columns are
        the header names (stripped); a ``RangeIndex`` from 0.
    encoding : str
        ``"utf-8"``, ``"utf-8-sig"`` (had a byte-order mark), ``"utf-16"`` (had a UTF-16
        byte-order mark) or ``"cp1252"``; ``""`` for ``.xlsx``.
    separator : str or None
        ``","``, ``";"``, a tab or ``"|"``; ``None`` for ``.xlsx``.
    notes : list of str
        What was done to read the file, for the import log.
    record_lines : numpy.ndarray or None
        Line (spreadsheet row for ``.xlsx``) on which each row of ``frame`` starts; ``None``
        until first needed, then counted from the file.
    """

    path: Path
    frame: pd.DataFrame
    encoding: str
    separator: str | None
    notes: list[str] = field(default_factory=list)
    record_lines: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        """File name as the user knows it."""
        return self.path.name

    @property
    def unit(self) -> str:
        """What line numbers count: ``"line"`` in a text file, ``"row"`` in a spreadsheet."""
        return "row" if self.separator is None else "line"

    def line_numbers(self, positions) -> tuple[list[int], int]:
        """User-visible line numbers of row positions of ``frame``.

        Parameters
        ----------
        positions : array-like of int
            Row positions (0-based) in ``frame``; repeats are counted once.

        Returns
        -------
        (list of int, int)
            Line numbers of the first ten positions in file order (header = line 1, quoted
            multi-line fields and skipped blank lines counted; spreadsheet row numbers for
            ``.xlsx``), and how many distinct positions there are.
        """
        unique = np.unique(np.asarray(positions, dtype="int64"))
        starts = self._record_lines()
        shown = [int(starts[p]) if 0 <= p < len(starts) else int(p) + 2 for p in unique]
        return shown[:MAX_ROWS_SHOWN], len(unique)

    def problem(self, column: str | None, message: str, fix: str, positions=None, **kw) -> Problem:
        """A :class:`~helpers.errors.Problem` in this file, naming the lines of ``positions``.

        Parameters
        ----------
        column : str or None
            Export column concerned; ``None`` for the whole file.
        message : str
            What is wrong, with an example value as received.
        fix : str
            How to fix it.
        positions : array-like of int, optional
            Row positions of ``frame`` concerned.
        **kw
            Further :class:`~helpers.errors.Problem` fields (e.g. ``severity``).

        Returns
        -------
        Problem
        """
        rows: list[int] = []
        count = 0
        if positions is not None:
            rows, count = self.line_numbers(positions)
        return Problem(self.name, column, message, fix, tuple(rows), count, unit=self.unit, **kw)

    def _record_lines(self) -> np.ndarray:
        if self.record_lines is None:
            try:
                text = self.path.read_bytes().decode(self.encoding or "utf-8", errors="replace")
                starts = [start for start, _ in _records(text, self.separator or ",")]
            except (OSError, LookupError, csv.Error):
                # The file is gone or unreadable: fall back to one line per row.
                starts = [1, *range(2, len(self.frame) + 2)]
            self.record_lines = np.asarray(starts[1:], dtype="int64")  # drop the header
        return self.record_lines


def read_export(path: Path) -> ExportTable:
    """Read one export file into text cells.

    Parameters
    ----------
    path : Path
        A ``.csv``, ``.tsv`` or ``.txt`` text file, or an ``.xlsx`` workbook (first sheet).

    Returns
    -------
    ExportTable
        Text cells, the encoding and separator found, and notes for the import log.

    Raises
    ------
    DataValidationError
        When the file cannot be read as a table: empty, not text, malformed quoting, a row
        with more fields than the header, a repeated or missing column name. The problem
        names the file, the lines and the fix.

    Notes
    -----
    Text is read as UTF-8 (a byte-order mark is removed), falling back to Windows-1252. The
    separator is the one of ``, ; tab |`` found most often outside quotes in the header line
    (comma when there is none). Blank lines are skipped. A column with no name and no value
    (a trailing separator on every line) is dropped. ``.xlsx`` dates become ISO 8601 text.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _read_xlsx(path)
    if suffix in TEXT_SUFFIXES:
        return _read_text(path)
    raise _error(
        path,
        f"has the extension '{path.suffix}', which the import does not read",
        "export the data as CSV (.csv, .tsv or .txt) or as an Excel workbook (.xlsx)",
    )


# --- text files -----------------------------------------------------------------------------


def _read_text(path: Path) -> ExportTable:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise _error(path, f"cannot be read ({err.strerror or err})", "check the file") from err
    if data.startswith(b"PK\x03\x04"):
        # A workbook saved under a text name: say so rather than show binary garbage.
        raise _error(
            path,
            "is an Excel workbook, not a text file",
            "rename it to .xlsx, or save it from Excel as CSV",
        )
    text, encoding, notes = _decode(path, data)
    if "\x00" in text:
        raise _error(path, "is not a text file", "export the data again as CSV")
    if not text.strip():
        raise _error(
            path, "the file is empty", "export the data again: it needs a header line and rows"
        )
    separator = _detect_separator(text)
    if separator != ",":
        notes.append(f"separator {_SEPARATOR_NAMES[separator]}")
    try:
        # header=None: the header is an ordinary row here, so repeated names are not
        # renamed ("name.1") and a row wider than the header is an error, not an index.
        raw = pd.read_csv(
            io.StringIO(text, newline=""),
            sep=separator,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise _error(
            path, "the file is empty", "export the data again: it needs a header line and rows"
        ) from None
    except (pd.errors.ParserError, ValueError) as err:
        raise DataValidationError(
            str(path.parent), [_malformed(path, text, separator, err)]
        ) from None
    raw = raw.fillna("")
    if "\r" in text:
        # A quoted field holding a Windows line break keeps it: make it a plain "\n".
        raw = raw.apply(lambda column: column.str.replace("\r\n", "\n", regex=False))
    header = [str(name).strip() for name in raw.iloc[0]]
    cells = raw.iloc[1:].reset_index(drop=True)
    table = ExportTable(path, cells, encoding, separator, notes)
    return _finish(table, header, lambda: _header_line(text, separator))


def _decode(path: Path, data: bytes) -> tuple[str, str, list[str]]:
    """Text, encoding name and notes: UTF-8 (BOM removed), UTF-16 with a BOM, else cp1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export.
        try:
            return data.decode("utf-16"), "utf-16", ["read as UTF-16 (byte-order mark removed)"]
        except UnicodeDecodeError:
            pass
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if bom:
            raise _error(
                path,
                "starts like UTF-8 text but holds bytes that are not UTF-8",
                "save the file as UTF-8 (CSV UTF-8)",
            ) from None
    else:
        if bom:
            return text, "utf-8-sig", ["byte-order mark removed"]
        return text, "utf-8", []
    try:
        return data.decode("cp1252"), "cp1252", ["read as Windows-1252 (not UTF-8)"]
    except UnicodeDecodeError:
        raise _error(
            path,
            "is neither UTF-8 nor Windows-1252 text",
            "save the file as UTF-8 (CSV UTF-8)",
        ) from None


def _detect_separator(text: str) -> str:
    """The separator found most often outside quotes in the header line (comma if none)."""
    counts = dict.fromkeys(SEPARATORS, 0)
    in_quotes = False
    started = False
    for char in text[:_HEADER_SCAN_LIMIT]:
        if char == '"':
            in_quotes = not in_quotes  # a doubled quote toggles twice: no change
            started = True
        elif in_quotes:
            continue
        elif char in "\r\n":
            if started:
                break
            counts = dict.fromkeys(SEPARATORS, 0)  # a blank line before the header
        else:
            if char in counts:
                counts[char] += 1
            if char not in " \t":
                started = True
    best = max(SEPARATORS, key=lambda sep: counts[sep])  # max keeps the first on ties
    return best if counts[best] else ","


def _records(text: str, separator: str) -> Iterator[tuple[int, list[str]]]:
    """``(first line, fields)`` of each record, skipping blank lines as pandas does.

    Quoted fields may span lines, so records are counted with the csv module, not by
    newlines. pandas skips a line holding nothing but spaces and tabs (other than the
    separator); a line like ``,,`` or ``""`` is a row of empty cells.
    """
    lines = io.StringIO(text, newline="").readlines()
    blank = " \t".replace(separator, "")
    reader = csv.reader(iter(lines), delimiter=separator)
    previous = 0
    for row in reader:
        end = reader.line_num
        single = end == previous + 1
        if not (single and not lines[previous].rstrip("\r\n").strip(blank)):
            yield previous + 1, row
        previous = end


def _header_line(text: str, separator: str) -> int:
    for start, _ in _records(text, separator):
        return start
    return 1


def _malformed(path: Path, text: str, separator: str, err: Exception) -> Problem:
    # pandas counts neither blank lines nor line breaks inside quotes: recount with csv.
    records = list(_records(text, separator))
    if "EOF inside string" in str(err) and records:
        return Problem(
            path.name,
            None,
            "has a double quote that is never closed",
            _QUOTING_FIX,
            (records[-1][0],),
            1,
        )
    width = len(records[0][1]) if records else 0
    long = [start for start, row in records[1:] if len(row) > width]
    if long:
        return Problem(
            path.name,
            None,
            f"has {len(long)} row(s) with more fields than the {width} column(s) of the header",
            f"name every column in the header, and {_QUOTING_FIX}",
            tuple(long[:MAX_ROWS_SHOWN]),
            len(long),
        )
    return Problem(
        path.name, None, f"is not a well-formed table ({str(err).strip()})", _QUOTING_FIX
    )


# --- xlsx -------------------------------------------------------------------------------------


def _read_xlsx(path: Path) -> ExportTable:
    import openpyxl  # imported here: only .xlsx exports need it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # zipfile, XML and openpyxl errors alike mean "not a workbook"
        raise _error(
            path,
            f"cannot be read as an Excel workbook ({type(err).__name__}: {err})",
            "open it in Excel and save it again as .xlsx, or export the data as CSV",
        ) from None
    try:
        if not book.worksheets:
            raise _error(path, "has no worksheet", "export the data again")
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # exporters often write a wrong sheet size
        rows: list[list[str]] = []
        numbers: list[int] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(value) for value in values]
            if any(cells):  # blank rows are skipped, as in a text file
                rows.append(cells)
                numbers.append(number)
    finally:
        book.close()
    if not rows:
        raise _error(
            path,
            "the first sheet is empty",
            "put the table on the first sheet: a header row, then one row per record",
        )
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    header = [name.strip() for name in rows[0]]
    cells = pd.DataFrame(rows[1:], columns=range(width), dtype=str)
    table = ExportTable(
        path, cells, "", None, [], record_lines=np.asarray(numbers[1:], dtype="int64")
    )
    return _finish(table, header, lambda: numbers[0])


def _cell_text(value) -> str:
    """A spreadsheet cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same number: 1200.5, not 1200.50001
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        # Excel stores times as fractions of a day: round away float noise like 14:29:59.9999
        rounded = value + dt.timedelta(microseconds=500_000)
        return rounded.replace(microsecond=0).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


# --- shared -----------------------------------------------------------------------------------


def _finish(table: ExportTable, header: Sequence[str], header_line) -> ExportTable:
    """Name the columns, drop empty unnamed ones, strip cells; check the header's names.

    ``header_line`` is called for the header's line number only when a problem needs it.
    """
    cells = table.frame
    unnamed = [i for i, name in enumerate(header) if not name]
    drop = []
    for i in unnamed:
        column = cells.iloc[:, i].str.strip()
        filled = np.flatnonzero((column != "").to_numpy())
        if len(filled):
            raise DataValidationError(
                str(table.path.parent),
                [
                    table.problem(
                        None,
                        f"column {i + 1} has no name in the header but holds values",
                        "name the column in the header, or delete it",
                        filled,
                    )
                ],
            )
        drop.append(i)
    if drop:
        if drop == [len(header) - 1]:
            table.notes.append(
                "dropped the empty unnamed last column (a trailing separator on every line)"
            )
        else:
            where = ", ".join(str(i + 1) for i in drop)
            table.notes.append(f"dropped {len(drop)} empty unnamed column(s) (column {where})")
    keep = [i for i in range(len(header)) if i not in set(drop)]
    names = [header[i] for i in keep]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        shown = ", ".join(repr(name) for name in repeated)
        unit = table.unit
        raise DataValidationError(
            str(table.path.parent),
            [
                Problem(
                    table.name,
                    None,
                    f"the header names the column(s) {shown} more than once",
                    "keep one column per name: rename or delete the repeated one",
                    (int(header_line()),),
                    1,
                    unit=unit,
                )
            ],
        )
    frame = pd.DataFrame(
        {name: cells.iloc[:, i].str.strip() for i, name in zip(keep, names, strict=True)},
        index=pd.RangeIndex(len(cells)),
    )
    table.frame = frame
    return table


def _error(path: Path, message: str, fix: str) -> DataValidationError:
    return DataValidationError(str(path.parent), [Problem(path.name, None, message, fix)])
