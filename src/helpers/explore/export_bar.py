"""Export the table an explorer shows to CSV or Excel, in a file named after its filters.

A file name is built from fixed words and the explorer's current filters, e.g.
``funnel_na-smb_2025q4-2026q3_paid_search_all-segments_period.csv``. Every part is reduced to
the characters ``a-z 0-9 _ -`` (:func:`safe_part`), so no data value (a channel called
``../../etc``) can make a path, a hidden file or markup; the file always lands directly in the
export folder. Files are written atomically (temporary file in the same folder, then
``os.replace``): a reader sees the old export or the new one, never half of it. No cell is a
formula: text from the data passes :func:`helpers.display.inert.spreadsheet_frame`.
"""

from __future__ import annotations

import html
import io
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from ..data.atomic import write_bytes_atomically, write_text_atomically
from ..display.inert import spreadsheet_frame
from ..errors import RenderError

FORMATS = {"csv": "csv", "excel": "xlsx"}
"""Export format -> file extension."""
_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_MAX_PART = 48


def safe_part(value: object, *, empty: str = "blank") -> str:
    """One file-name part: lower case ASCII letters, digits, ``_`` and ``-`` only.

    Accents are dropped (``é`` → ``e``), every run of other characters becomes one ``_``,
    leading and trailing ``_``/``-`` are stripped and the part is cut to 48 characters.

    Parameters
    ----------
    value : object
        A filter value (converted with ``str``).
    empty : str
        Used when nothing is left.

    Examples
    --------
    >>> safe_part("../../etc x<script>")
    'etc_x_script'
    >>> safe_part("Paid Search")
    'paid_search'
    >>> safe_part("...")
    'blank'
    """
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode("ascii")
    text = _UNSAFE.sub("_", text.lower()).strip("_-")
    return text[:_MAX_PART].strip("_-") or empty


def export_name(parts: Iterable[object], fmt: str) -> str:
    """The file name for ``parts`` (each passed through :func:`safe_part`) in format ``fmt``.

    Examples
    --------
    >>> export_name(["funnel", "na-smb", "2025Q4-2026Q3", "paid_search"], "csv")
    'funnel_na-smb_2025q4-2026q3_paid_search.csv'
    """
    if fmt not in FORMATS:
        raise ValueError(f"export format {fmt!r}: use one of {', '.join(FORMATS)}.")
    return "_".join(safe_part(p) for p in parts) + "." + FORMATS[fmt]


def _excel_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values as empty cells (openpyxl cannot write ``pd.NA``), no text a formula."""
    frame = spreadsheet_frame(frame)
    out = frame.astype(object)
    return out.where(frame.notna(), None)


def excel_bytes(frame: pd.DataFrame, *, sheet: str, filters: dict[str, str]) -> bytes:
    """An .xlsx workbook: ``frame`` on sheet ``sheet``, the filters on sheet ``filters``."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _excel_frame(frame).to_excel(writer, sheet_name=safe_part(sheet)[:31], index=False)
        filter_rows = {"filter": list(filters), "value": [str(v) for v in filters.values()]}
        spreadsheet_frame(pd.DataFrame(filter_rows)).to_excel(
            writer, sheet_name="filters", index=False
        )
    return buffer.getvalue()


def write_table(
    frame: pd.DataFrame,
    folder: str | Path,
    parts: Iterable[object],
    fmt: str,
    *,
    sheet: str = "table",
    filters: dict[str, str] | None = None,
) -> Path:
    """Write ``frame`` to ``folder / export_name(parts, fmt)`` atomically; return the path.

    Parameters
    ----------
    frame : DataFrame
        The table, written without its index.
    folder : str or Path
        Export folder; created if missing.
    parts : iterable
        File-name parts (see :func:`export_name`).
    fmt : {"csv", "excel"}
        CSV (UTF-8) or an Excel workbook with the table and a ``filters`` sheet.
    sheet : str
        Name of the Excel sheet holding the table.
    filters : dict, optional
        Filter name -> value, for the Excel ``filters`` sheet.

    Raises
    ------
    RenderError
        When the file cannot be written.
    """
    path = Path(folder) / export_name(parts, fmt)
    if fmt == "csv":
        write_text_atomically(path, spreadsheet_frame(frame).to_csv(index=False))
    else:
        write_bytes_atomically(path, excel_bytes(frame, sheet=sheet, filters=filters or {}))
    return path


def link_html(path: Path, *, rows: int) -> str:
    """An escaped link to an export, relative to the working directory when it can be."""
    try:
        href = Path(os.path.relpath(path.resolve(), Path.cwd())).as_posix()
    except ValueError:  # another drive (Windows): an absolute file URI
        href = path.resolve().as_uri()
    else:
        href = quote(href, safe="/._-")
    name = html.escape(path.name)
    folder = html.escape(str(path.parent))
    return (
        f'Exported {rows:,} rows: <a href="{html.escape(href)}" target="_blank" '
        f'download="{name}">{name}</a> <span style="color:#666">(in {folder})</span>'
    )


class ExportBar:
    """The "Export CSV" and "Export Excel" buttons for one table, and a link to its export.

    Parameters
    ----------
    table : callable
        Returns the table shown now.
    parts : callable
        Returns the file-name parts for the current filters.
    filters : callable
        Returns the current filters (name -> value) for the Excel ``filters`` sheet.
    export_dir : str or Path
        Export folder (created at the first export).
    sheet : str
        Excel sheet name of the table.
    """

    def __init__(
        self,
        *,
        table: Callable[[], pd.DataFrame],
        parts: Callable[[], list[str]],
        filters: Callable[[], dict[str, str]],
        export_dir: str | Path,
        sheet: str,
    ) -> None:
        import ipywidgets as widgets

        self._table, self._parts, self._filters = table, parts, filters
        self.export_dir = Path(export_dir)
        self.sheet = sheet
        self.last_path: Path | None = None
        self.csv_button = widgets.Button(description="Export CSV", icon="download")
        self.excel_button = widgets.Button(description="Export Excel", icon="table")
        self.link = widgets.HTML()
        self.csv_button.on_click(lambda _: self.export("csv"))
        self.excel_button.on_click(lambda _: self.export("excel"))
        self.widget = widgets.HBox([self.csv_button, self.excel_button, self.link])

    def export(self, fmt: str) -> Path | None:
        """Write the current table in ``fmt`` (``"csv"`` or ``"excel"``); show the link.

        Returns the path written, or None when writing failed (the message is shown instead).
        """
        frame = self._table()
        try:
            path = write_table(
                frame,
                self.export_dir,
                self._parts(),
                fmt,
                sheet=self.sheet,
                filters=self._filters(),
            )
        except RenderError as err:
            self.link.value = f'<span style="color:#b00020">{html.escape(str(err))}</span>'
            return None
        self.last_path = path
        self.link.value = link_html(path, rows=len(frame))
        return path
