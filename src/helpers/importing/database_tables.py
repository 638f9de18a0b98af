"""The tables of a database as the export "files" of ``workbook import``.

A CRM's tables replicated into a warehouse (a ``contacts`` and a ``deals`` table, say) are
imported with the same mapping files as its CSV exports: each ``file`` pattern of the mapping
is matched against the table and view names (``"*contacts*"``, or ``"owners.csv"`` for a table
``owners``), and each table is read as text cells, exactly as an export file would be.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path, PurePath

import numpy as np

from ..data.database import Database, DatabaseUrl
from .reading import ExportTable


class DatabaseExports:
    """The tables and views of the database at ``url``, found and read like export files.

    Parameters
    ----------
    url : str
        ``postgresql://USER@HOST:PORT/DB[?schema=S]``.
    timezone : str
        Session time zone (timestamps with a zone are written in it).
    """

    def __init__(self, url: str, timezone: str = "UTC"):
        self.url = DatabaseUrl.parse(url)
        self.timezone = timezone
        self.name = self.url.masked
        self._found: set[Path] = set()

    def __str__(self) -> str:
        return self.name

    def find(self, pattern: str) -> list[Path]:
        """Tables whose name matches ``pattern`` (ignoring case and a file suffix in it)."""
        wanted = pattern.casefold()
        stem = PurePath(wanted).stem if PurePath(wanted).suffix else wanted
        with Database.connect(self.url, self.timezone) as db:
            names = sorted(db.relations())
        found = [
            Path(name)
            for name in names
            if fnmatch.fnmatchcase(name.casefold(), wanted)
            or fnmatch.fnmatchcase(name.casefold(), stem)
        ]
        self._found.update(found)
        return found

    def owns(self, path: Path) -> bool:
        """Whether ``path`` is a table this source found (not a file beside the mapping)."""
        return path in self._found

    def read(self, path: Path) -> ExportTable:
        """Every column of table ``path.name`` as text cells; rows are numbered from 1."""
        with Database.connect(self.url, self.timezone) as db:
            columns = db.relations()[path.name]
            frame = db.read_text(path.name, columns)
        notes = [f"read from table {path.name} of {db.where}"]
        rows = np.arange(1, len(frame) + 1, dtype="int64")
        return ExportTable(path, frame, "", None, notes, record_lines=rows)
