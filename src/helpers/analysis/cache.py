"""What one process keeps loaded between reports, and what processes share on disk.

A report kernel renders report after report from one data source, so it keeps the last
workbooks it loaded (with their per-lead tables) and the source's catalogue (teams, quarters,
whole-data facts), and reuses them while the source is unchanged. The per-lead tables (lead
journeys, MQL responses) are also written once per data digest as Parquet files
(:class:`LeadTableStore`), so every other kernel, and the next run, reads them instead of
computing them again. The caches are objects owned by
:class:`~helpers.analysis.workbook.Workbook` (``Workbook.cache``), not module state, so a test
or a long-lived server can give itself fresh ones.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..data.atomic import write_bytes_atomically, write_text_atomically
from ..data.dataset import Dataset
from ..data.source import DataSource, file_digest
from ..errors import RenderError

T = TypeVar("T")


class SourceCache:
    """The last ``keep`` loaded workbooks and the catalogue of the last source asked about.

    Parameters
    ----------
    keep : int
        Loaded workbooks to keep. Two: a team report alternates between its team's rows and
        every team's rows of the quarter (a database read in part); files are read whole.
    """

    def __init__(self, keep: int = 2, lead_tables: LeadTableStore | None = None):
        self.keep = keep
        self._loaded: OrderedDict[Hashable, object] = OrderedDict()
        self._catalogues: dict[Hashable, Dataset] = {}
        self.lead_tables = lead_tables if lead_tables is not None else LeadTableStore()
        """Per-lead tables shared on disk (see :class:`LeadTableStore`)."""

    def catalogue(self, source: DataSource | str | Path) -> Dataset:
        """Teams, quarters and whole-data facts of ``source`` (asked once per source state)."""
        source = DataSource.of(source)
        key = source.state()
        if key not in self._catalogues:
            self._catalogues.clear()
            self._catalogues[key] = source.catalogue()
        return self._catalogues[key]

    def forget_catalogues(self) -> None:
        """Ask the source afresh next time (a fresh, not reused, load does this)."""
        self._catalogues.clear()

    def loaded(self, key: Hashable, build: Callable[[], T]) -> T:
        """The value kept under ``key``, else ``build()`` kept as the most recent one."""
        if key in self._loaded:
            self._loaded.move_to_end(key)
        else:
            while len(self._loaded) >= self.keep:
                self._loaded.popitem(last=False)
            self._loaded[key] = build()
        return self._loaded[key]  # type: ignore[return-value]

    def clear(self) -> None:
        """Drop everything kept."""
        self._loaded.clear()
        self._catalogues.clear()


CACHE_ENV = "WORKBOOK_CACHE_DIR"
"""Environment variable naming the folder of shared per-lead tables; empty: do not persist."""

LEAD_TABLES_VERSION = "2"
"""Bumped whenever the columns or meaning of a per-lead table change (old files then unused)."""

DIGESTS_FILE = "file-digests.json"
"""In the cache folder: the content digest of each data file seen, by its stat."""
MAX_DIGESTS = 512
"""File digests remembered (the most recent)."""


def default_cache_folder() -> Path | None:
    """Where per-lead tables are shared: ``$WORKBOOK_CACHE_DIR``, else the user's cache folder.

    The user's cache folder is ``$XDG_CACHE_HOME/alignment-workbook/lead-tables``
    (``~/.cache/...`` by default). ``WORKBOOK_CACHE_DIR=`` (empty) turns persisting off.
    """
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return Path(chosen) if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "alignment-workbook" / "lead-tables"


class LeadTableStore:
    """Per-lead tables computed once per data digest and shared as Parquet files.

    A table is stored as ``<folder>/<name>-<key>.parquet``, where the key is a SHA-256 over
    the content of every file read (or of the rows read from a database), the settings and
    as-of date, and :data:`LEAD_TABLES_VERSION` (see :meth:`key`): a changed input
    gives a new key, so a stale file is never read. Files are written atomically (readers see
    a whole file or none); a file that cannot be read back (damaged, cut short) is ignored and
    the table built and written again. A data set built in memory (no files read)
    has no digest and is never persisted.

    Parameters
    ----------
    folder : Path, optional
        Where the files go; default :func:`default_cache_folder`, looked up when first used.
        ``False`` (or an empty ``WORKBOOK_CACHE_DIR``) keeps nothing on disk.
    """

    def __init__(self, folder: Path | str | None | bool = None):
        self._folder = folder
        self._digests: dict[str, str] | None = None

    @property
    def folder(self) -> Path | None:
        """The folder in use, or None when nothing is persisted."""
        if self._folder is False:
            return None
        if self._folder is None or self._folder is True:
            return default_cache_folder()
        return Path(self._folder)

    def key(self, dataset: Dataset) -> str | None:
        """The digest the data set's per-lead tables are stored under; None if it has none.

        SHA-256 over the content digest of each file read (or of the rows read from a
        database), the settings and the as-of date. A file's digest is remembered with its
        size, modification and change times and inode (:meth:`file_digest`), so an unchanged
        million-lead folder is not read again just to name its tables.
        """
        if dataset.content_digest is not None:
            content = [dataset.content_digest]
        elif dataset.files and isinstance(dataset.directory, Path):
            content = [
                f"{name}:{self.file_digest(dataset.directory / dataset.files[name])}"
                for name in sorted(dataset.files)
            ]
        else:
            return None  # built in memory: nothing identifies its content
        digest = hashlib.sha256(LEAD_TABLES_VERSION.encode())
        for part in content:
            digest.update(part.encode() + b"\0")
        digest.update(repr(dataset.config).encode())
        digest.update(str(dataset.as_of).encode())
        return digest.hexdigest()[:24]

    def file_digest(self, path: Path) -> str:
        """SHA-256 of a file's bytes, remembered (in the cache folder) by its stat.

        The stat is the resolved path, size, modification and change times (ns) and inode:
        writing the file changes its change time, which no tool sets back, so a changed file
        is always read and hashed again.
        """
        info = path.stat()
        stamp = f"{path.resolve()}|{info.st_size}|{info.st_mtime_ns}|{info.st_ctime_ns}|"
        stamp += str(info.st_ino)
        known = self._known_digests()
        if stamp not in known:
            known[stamp] = file_digest(path)
            for old in list(known)[: max(len(known) - MAX_DIGESTS, 0)]:
                del known[old]  # the oldest first: files long replaced
            folder = self.folder
            if folder is not None:
                try:
                    write_text_atomically(folder / DIGESTS_FILE, json.dumps(known))
                except RenderError:
                    pass  # not remembered: hashed again next time
        return known[stamp]

    def _known_digests(self) -> dict[str, str]:
        if self._digests is None:
            self._digests = {}
            folder = self.folder
            if folder is not None and (folder / DIGESTS_FILE).is_file():
                try:
                    found = json.loads((folder / DIGESTS_FILE).read_text())
                    if isinstance(found, dict):
                        self._digests = {str(k): str(v) for k, v in found.items()}
                except (OSError, ValueError):
                    pass  # damaged: every file is hashed again
        return self._digests

    def path(self, name: str, dataset: Dataset, suffix: str = ".parquet") -> Path | None:
        """The file of table ``name`` of ``dataset``; None when it is not persisted."""
        folder, key = self.folder, self.key(dataset)
        if folder is None or key is None:
            return None
        return folder / f"{name}-{key}{suffix}"

    def _write(self, path: Path, name: str, buffer: io.BytesIO) -> None:
        try:
            write_bytes_atomically(path, buffer.getvalue())
        except RenderError:
            return  # a read-only or full disk: the values are still right, only not shared
        _prune(path.parent, name, path.suffix, KEEP_VERSIONS)

    def table(self, name: str, dataset: Dataset, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """Table ``name`` of ``dataset``: read from its file, else ``build()`` and written."""
        path = self.path(name, dataset)
        if path is None:
            return build()
        stored = _read(path)
        if stored is not None:
            return stored
        frame = build()
        buffer = io.BytesIO()
        _write(frame, buffer)
        self._write(path, name, buffer)
        return frame


KEEP_VERSIONS = 4
"""Files kept per table name: the newest few data digests (older ones are deleted)."""


def _prune(folder: Path, name: str, suffix: str, keep: int) -> None:
    """Delete all but the ``keep`` most recently written files of table ``name``."""
    files = []
    for path in folder.glob(f"{name}-*{suffix}"):
        try:
            files.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue  # removed meanwhile by another process
    for _, path in sorted(files, reverse=True)[keep:]:
        path.unlink(missing_ok=True)


_DTYPES = b"alignment_workbook_dtypes"


def _write(frame: pd.DataFrame, buffer: io.BytesIO) -> None:
    """``frame`` as Parquet, with its exact dtypes (Parquet alone would change some)."""
    table = pa.Table.from_pandas(frame)
    dtypes = {"columns": {str(c): str(t) for c, t in frame.dtypes.items()}}
    dtypes["index"] = str(frame.index.dtype)
    metadata = {**(table.schema.metadata or {}), _DTYPES: json.dumps(dtypes).encode()}
    pq.write_table(table.replace_schema_metadata(metadata), buffer)


def _read(path: Path) -> pd.DataFrame | None:
    """The frame stored at ``path``, or None if it is absent, damaged or cut short."""
    if not path.is_file():
        return None
    try:
        table = pq.read_table(path)
        dtypes = json.loads(table.schema.metadata[_DTYPES])
        frame = table.to_pandas()
        frame = frame.astype(dtypes["columns"])
        frame.index = frame.index.astype(dtypes["index"])
    except Exception:  # pyarrow raises many types for a damaged or cut-short file
        return None
    return frame
