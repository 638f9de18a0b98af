"""A data source as one value: a folder of table files, or a PostgreSQL database.

Built once at the edge (the CLI, a notebook's ``data_dir`` parameter, ``Workbook.load``) with
:meth:`DataSource.of`, it carries its own load, catalogue, digest, label and cache key, so no
layer below asks "is this a URL?" again. Three forms:

- a folder of table files (``data/sample``);
- a ``postgresql://USER@HOST:PORT/DB[?schema=S]`` URL (default settings);
- a folder whose ``workbook.toml`` names a database in ``[database] url`` (its settings, the
  database's tables).

Nothing heavy is imported here: ``workbook reports`` with nothing to render decides from the
digest alone, without pandas.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .config import load_config, settings_content
from .database import Database, DatabaseUrl, Scope, is_database_url

if TYPE_CHECKING:
    from .config import Config
    from .dataset import Dataset, WholeData

ANSWER_STORE_NAME = "workshop.sqlite"
"""The workshop answer store beside the data (see :mod:`helpers.training.answer_store`)."""

NOTE_SUFFIXES = (".md", ".txt")
"""Notes beside the data, read by no report: left out of the digest."""


def is_answer_store_file(path: Path | str) -> bool:
    """Whether ``path`` is the workshop answer store or one of SQLite's companion files.

    The store lives beside the data but is not data: the digest and cache key of a folder
    leave it out, so an answer given in a workshop does not make every report stale.
    """
    return Path(path).name in {
        ANSWER_STORE_NAME,
        f"{ANSWER_STORE_NAME}-wal",
        f"{ANSWER_STORE_NAME}-shm",
        f"{ANSWER_STORE_NAME}-journal",
    }


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class DataSource:
    """Where a data set is read from.

    Parameters
    ----------
    folder : Path or None
        The data folder (table files, ``workbook.toml``, notes); None for a bare URL.
    url : DatabaseUrl or None
        The database holding the tables; None when the folder's files are the tables.
    text : str
        The source as given, to pass on to kernels and workers as a parameter.
    """

    folder: Path | None
    url: DatabaseUrl | None
    text: str

    @classmethod
    def of(cls, value: DataSource | str | Path) -> DataSource:
        """The data source ``value`` names (a folder, or a ``postgresql://`` URL).

        A folder is not checked here (loading says what is wrong with it); its
        ``workbook.toml`` is read when it is a folder, to see whether it names a database.

        Raises
        ------
        ParameterError
            For a malformed database URL.
        ConfigError
            For an unreadable ``workbook.toml``.
        """
        if isinstance(value, DataSource):
            return value
        if is_database_url(value):
            text = str(value).strip()
            return cls(None, DatabaseUrl.parse(text), text)
        folder = Path(value)
        if not folder.is_dir():  # loading says what is wrong with it
            return cls(folder, None, str(value))
        config = load_config(folder)
        named = config.database_url
        source = cls(folder, DatabaseUrl.parse(named) if named else None, str(value))
        source.__dict__["config"] = config  # read once: seeds the cached property
        return source

    def __str__(self) -> str:
        return self.text

    @property
    def is_database(self) -> bool:
        """Whether the tables are read from a database (in the query, narrowed by scope)."""
        return self.url is not None

    @property
    def label(self) -> str:
        """How the source is named to people: the folder's name, or the URL without password."""
        if self.folder is None:
            return self.url.masked  # type: ignore[union-attr]
        return self.folder.name

    @property
    def where(self) -> str:
        """How messages name the source: the folder as given, or the masked URL."""
        return str(self.folder) if self.folder is not None else self.label

    @cached_property
    def config(self) -> Config:
        """The settings: the folder's ``workbook.toml`` with defaults (defaults for a URL)."""
        from .config import config_from_dict

        return load_config(self.folder) if self.folder is not None else config_from_dict({})

    def state(self) -> tuple:
        """What identifies the source's current content cheaply, for in-process caches.

        A folder: its resolved path with the name, size and modification time of each file
        (the answer store left out). A database is not re-checked for changes: a kernel lives
        for one batch run.
        """
        if self.folder is None:
            return (self.url.masked,)  # type: ignore[union-attr]
        folder = self.folder.resolve()
        if not folder.is_dir():
            return (str(folder),)
        files = sorted(p for p in folder.iterdir() if p.is_file() and not is_answer_store_file(p))
        return (str(folder), *((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files))

    def digest(self) -> str:
        """SHA-256 over the names and bytes of every data file, and a database's rows, in hex.

        Hidden files, notes (``*.md``, ``*.txt``) and the workshop answer store are left out;
        a change to any other file, even one byte, changes the digest; touching a file without
        changing it does not. A database's tables enter by their rows (see
        :meth:`helpers.data.database.Database.digest`).
        """
        digest = hashlib.sha256()
        if self.folder is not None:
            for path in sorted(self.folder.iterdir()):
                if not path.is_file() or path.name.startswith(".") or path.suffix in NOTE_SUFFIXES:
                    continue
                if is_answer_store_file(path):  # workshop answers, not report input
                    continue
                if path.name == "workbook.toml":  # its delivery sections left out
                    content = hashlib.sha256(settings_content(path)).hexdigest()
                else:
                    content = file_digest(path)
                digest.update(path.name.encode() + b"\0" + content.encode())
        if self.url is not None:
            from .schema import TABLES

            with Database.connect(self.url, "UTC") as db:
                present = [name for name in TABLES if name in db.relations()]
                digest.update(db.digest(present).encode())
        return digest.hexdigest()

    def load(self, scope: Scope | None = None, whole: WholeData | None = None) -> Dataset:
        """Read and validate the tables (see :func:`helpers.data.dataset.load_folder`).

        Parameters
        ----------
        scope : Scope, optional
            For a database: read only one team's rows and those that matter from a date on,
            in the query. Table files are always read whole.
        whole : WholeData, optional
            The whole-data facts of a narrowed database read, when already known (e.g. from
            :meth:`catalogue`); otherwise they are queried.

        Raises
        ------
        DataValidationError
            Listing every problem found (file or table, column, lines or rows, fix).
        ConfigError
            When ``workbook.toml`` is invalid.
        DatabaseError
            When the database cannot be reached.
        """
        from .dataset import load_database, load_folder

        if self.url is not None:
            label = self.folder if self.folder is not None else self.url.masked
            return load_database(self.url, self.config, label, scope or Scope(), whole)
        return load_folder(self.folder, self.config)  # type: ignore[arg-type]

    def catalogue(self) -> Dataset:
        """The teams, quarters and as-of date, reading as little as it can.

        For a database: the teams table and aggregate queries only (the other tables are
        absent from the result); table files are loaded whole (:meth:`load`).
        """
        if self.url is None:
            return self.load()
        from .dataset import database_catalogue

        return database_catalogue(self.url, self.config, self.folder)


def load_dataset(
    source: DataSource | str | Path,
    *,
    scope: Scope | None = None,
    whole: WholeData | None = None,
) -> Dataset:
    """Load and validate a data source (see :meth:`DataSource.load`).

    Parameters
    ----------
    source : DataSource, str or Path
        Data directory, or a ``postgresql://USER@HOST:PORT/DB[?schema=S]`` URL.
    scope, whole
        As for :meth:`DataSource.load`.

    Returns
    -------
    Dataset

    Examples
    --------
    >>> data = load_dataset("data/sample")  # doctest: +SKIP
    >>> data.quarters[-1]                   # doctest: +SKIP
    Quarter(2026Q3)
    """
    return DataSource.of(source).load(scope, whole)


def load_catalogue(source: DataSource | str | Path) -> Dataset:
    """The teams, quarters and as-of date of a data source (see :meth:`DataSource.catalogue`)."""
    return DataSource.of(source).catalogue()
