"""Write the tables a report showed as CSV files or one Excel workbook, next to the report.

``--export csv`` gives ``<quarter>/<team>.tables/NN_<name>.csv``, numbered in page order;
``--export xlsx`` gives ``<quarter>/<team>.xlsx`` with one sheet per table. Both are written
to a temporary place first and moved into place, so a failed export never leaves half a
folder or a truncated workbook behind, and an earlier export stays until the new one is whole.
No cell from the data is a formula: text passes :func:`helpers.display.inert.spreadsheet_frame`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..data.atomic import replace_folder_atomically
from ..display.inert import spreadsheet_frame
from ..errors import RenderError

EXPORT_FORMATS = ("csv", "xlsx")


def export_paths(html_path: Path, fmt: str) -> Path:
    """Where the export of the report ``html_path`` goes for ``fmt``."""
    if fmt == "csv":
        return html_path.with_suffix(".tables")
    if fmt == "xlsx":
        return html_path.with_suffix(".xlsx")
    raise ValueError(f"export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}.")


def write_exports(tables: Iterable[tuple[str, pd.DataFrame]], html_path: Path, fmt: str) -> Path:
    """Write ``tables`` (name, frame) in ``fmt`` beside ``html_path``; return what was written.

    Parameters
    ----------
    tables : iterable of (str, DataFrame)
        Tables in page order; names are file-name stems (see ``report_outputs.show_table``).
    html_path : Path
        The report the tables belong to.
    fmt : {"csv", "xlsx"}
        Export format.

    Returns
    -------
    Path
        The folder of CSV files or the Excel file.

    Raises
    ------
    RenderError
        When the export cannot be written (an earlier export is left as it was).
    """
    destination = export_paths(html_path, fmt)
    tables = [(name, spreadsheet_frame(frame)) for name, frame in _unique_names(tables)]
    try:
        if fmt == "csv":
            _write_csv_folder(tables, destination)
        else:
            _write_xlsx(tables, destination)
    except (OSError, ValueError) as err:
        raise RenderError(f"{destination.name}: export failed: {err}") from err
    return destination


def _unique_names(tables: Iterable[tuple[str, pd.DataFrame]]) -> list[tuple[str, pd.DataFrame]]:
    """Number repeated names (``name``, ``name_2``, …) so no export overwrites another."""
    seen: dict[str, int] = {}
    out = []
    for name, frame in tables:
        seen[name] = seen.get(name, 0) + 1
        out.append((name if seen[name] == 1 else f"{name[:28]}_{seen[name]}", frame))
    return out


def _write_csv_folder(tables: list[tuple[str, pd.DataFrame]], folder: Path) -> None:
    def fill(staging: Path) -> None:
        for number, (name, frame) in enumerate(tables, start=1):
            frame.to_csv(staging / f"{number:02d}_{name}.csv", index=False)

    replace_folder_atomically(folder, fill)


def _write_xlsx(tables: list[tuple[str, pd.DataFrame]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".xlsx")
    os.close(fd)
    try:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            if not tables:
                pd.DataFrame({"note": ["This report showed no table."]}).to_excel(
                    writer, sheet_name="empty", index=False
                )
            for name, frame in tables:
                frame.to_excel(writer, sheet_name=name[:31], index=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
