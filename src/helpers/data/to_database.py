"""Copying a data directory's tables into a PostgreSQL database (to try the database source).

``workbook to-database DIR URL`` creates one table per canonical table file, typed by the
canonical schema (timestamps, numbers, text), and copies the rows in with ``COPY``. The
folder is validated first, so what lands in the database is data the workbook accepts.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from ..errors import DatabaseError
from .database import Database, DatabaseUrl
from .schema import TABLES
from .source import load_dataset

_SQL_TYPES = {
    "datetime": "timestamp",
    "float": "double precision",
    "int": "integer",
}


def copy_folder_to_database(directory: str | Path, url: str, *, replace: bool = False) -> dict:
    """Copy every table of the data directory ``directory`` into the database at ``url``.

    Parameters
    ----------
    directory : str or Path
        A valid data directory (CSV or Parquet files).
    url : str
        ``postgresql://USER@HOST:PORT/DB[?schema=S]``; the schema must exist.
    replace : bool
        Drop tables of the same names first; without it an existing table is an error.

    Returns
    -------
    dict of str to int
        Rows copied per table.

    Raises
    ------
    DataValidationError
        When the folder is not a valid data directory.
    DatabaseError
        When the database cannot be reached or a table exists (without ``replace``).
    """
    dataset = load_dataset(directory)
    parsed = DatabaseUrl.parse(url)
    rows = {}
    with Database.connect(parsed, dataset.config.timezone) as db:
        existing = set(db.relations())
        clash = sorted(set(dataset.tables) & existing)
        if clash and not replace:
            raise DatabaseError(
                f"{db.where} already has the table(s) {', '.join(clash)}. Fix: pass --replace "
                "to drop and re-create them, or use another schema (?schema=...)",
                where=db.where,
            )
        for name, frame in dataset.tables.items():
            rows[name] = _copy_table(db, name, frame, replace=name in existing)
    return rows


def _copy_table(db: Database, name: str, frame: pd.DataFrame, *, replace: bool) -> int:
    from psycopg import sql

    table = TABLES[name]
    kinds = {c.name: c.kind for c in table.columns}
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_SQL_TYPES.get(kinds.get(c), "text")))
        for c in frame.columns
    )
    buffer = io.StringIO()
    text = frame.copy()
    for column, kind in kinds.items():
        if kind == "datetime" and column in text:
            text[column] = text[column].dt.strftime("%Y-%m-%dT%H:%M:%S.%f")
    text.to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    with db.connection.transaction(), db.connection.cursor() as cursor:
        if replace:
            cursor.execute(sql.SQL("DROP TABLE {}").format(db.identifier(name)))
        cursor.execute(sql.SQL("CREATE TABLE {} ({})").format(db.identifier(name), columns))
        copy = sql.SQL("COPY {} FROM STDIN (FORMAT csv)").format(db.identifier(name))
        with cursor.copy(copy) as stream:
            while block := buffer.read(1 << 20):
                stream.write(block)
    return len(frame)
