"""The canonical tables read from a PostgreSQL database given by URL (SPEC §6: a warehouse).

A data source is a folder of table files or a database: ``postgresql://USER@HOST:PORT/DB``
(``?schema=NAME`` picks a schema other than the search path's), given directly or as
``[database] url`` in a folder's ``workbook.toml``. Each canonical table is a table or view of
that name. It is read as text, exactly as a CSV file would be (``COPY ... TO STDOUT`` in CSV),
so :mod:`helpers.data.dataset` validates it with the same checks and messages.

A :class:`Scope` narrows what is read in the query itself: one team, and rows that matter to
quarters from a given start onwards (see :meth:`Scope.where`). The facts a data set needs as
a whole (first lead, last timestamp, the stages it records, the optional columns it fills)
are then read with aggregate queries, so a narrowed read gives the same figures.

Passwords never appear in messages: every URL shown is masked (``postgresql://ann:***@...``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from ..errors import DatabaseError, ParameterError

if TYPE_CHECKING:  # pandas is imported where rows are read: the CLI's quick paths skip it
    import pandas as pd

    from .schema import Table

_SCHEMES = re.compile(r"^(postgresql|postgres)(\+psycopg)?://", re.IGNORECASE)
CONNECT_TIMEOUT_SECONDS = 10

# Row order of each table as read (so that row numbers in messages are reproducible).
_ORDER = {
    "leads": ("lead_id",),
    "lead_events": ("lead_id", "at", "event"),
    "opportunities": ("opportunity_id",),
    "spend": ("month", "team", "channel", "category"),
    "revenue": ("month", "account_id"),
    "touches": ("lead_id", "at"),
    "targets": ("team", "quarter", "metric"),
    "feedback": ("lead_id", "at"),
    "actions": ("action_id",),
}


def is_database_url(value: object) -> bool:
    """Whether ``value`` is a PostgreSQL URL (``postgresql://`` or ``postgres://``)."""
    return isinstance(value, str) and bool(_SCHEMES.match(value.strip()))


def source_label(source: str | Path) -> str:
    """How a data source is named to people: a folder's name, or the URL with no password."""
    if is_database_url(source):
        return DatabaseUrl.parse(str(source)).masked
    return Path(source).name


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed database URL: what libpq needs, the schema, and a masked form to show.

    Parameters
    ----------
    conninfo : str
        The URL libpq connects with (``postgresql://``, without ``schema``).
    schema : str or None
        Schema holding the tables, from ``?schema=``; ``None`` for the search path.
    masked : str
        The URL as shown to people: the password replaced by ``***``.
    password : str or None
        The password written in the URL, if any (kept out of every message).
    """

    conninfo: str
    schema: str | None
    masked: str
    password: str | None

    @classmethod
    def parse(cls, text: str) -> DatabaseUrl:
        """Parse ``postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DB[?schema=S&...]``.

        Raises
        ------
        ParameterError
            When the text is not such a URL (the message never shows a password).
        """
        text = text.strip()
        if not is_database_url(text):
            raise ParameterError(
                "a database URL must start with postgresql://, e.g. "
                "postgresql://reporting@db.example.com:5432/crm?schema=alignment"
            )
        parts = urlsplit(re.sub(r"^[^:]+://", "postgresql://", text))
        try:
            parts.port  # noqa: B018 -- raises ValueError on a malformed port
        except ValueError:
            raise ParameterError(
                f"{_mask(parts)}: the port is not a number; write postgresql://USER@HOST:5432/DB"
            ) from None
        if not parts.path.strip("/"):
            raise ParameterError(
                f"{_mask(parts)}: the URL names no database; write postgresql://USER@HOST/DB"
            )
        query = parse_qsl(parts.query, keep_blank_values=True)
        schema = next((v for k, v in query if k == "schema"), None) or None
        rest = urlencode([(k, v) for k, v in query if k != "schema"])
        conninfo = parts._replace(query=rest).geturl()
        return cls(conninfo, schema, _mask(parts), parts.password)


def _mask(parts) -> str:
    if parts.password is None:
        return parts.geturl()
    user = quote(parts.username or "", safe="")
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return parts._replace(netloc=f"{user}:***@{host}{port}").geturl()


@dataclass(frozen=True)
class Scope:
    """Which rows to read: one team (``None``: every team) and rows that matter from ``since``.

    ``since`` is a naive wall-clock timestamp (the start of the earliest quarter wanted). A
    lead is read when it was created from ``since`` on, or has an event, touch, feedback or
    live opportunity from then on; every event, touch and feedback row of a read lead is
    read, so its journey is complete. An opportunity is read when it is open, was created or
    closed from ``since`` on, or belongs to a read lead. Spend and targets from the quarter
    of ``since``, revenue from twelve months earlier (year-on-year figures need it).
    """

    team: str | None = None
    since: pd.Timestamp | None = None

    @property
    def narrowed(self) -> bool:
        """Whether anything is left out."""
        return self.team is not None or self.since is not None


class Database:
    """An open connection to the database of a :class:`DatabaseUrl`.

    Use as a context manager: ``with Database.connect(url, timezone) as db: ...``. The session
    time zone is the data set's, so naive timestamps mean the same wall-clock time in SQL as
    in the files, and timestamps with a time zone are shown in it.
    """

    def __init__(self, url: DatabaseUrl, connection):
        self.url = url
        self.connection = connection
        self._relations: dict[str, list[str]] | None = None

    @classmethod
    @contextmanager
    def connect(cls, url: DatabaseUrl, timezone: str) -> Iterator[Database]:
        """Connect, or raise :class:`DatabaseError` with the reason and no password."""
        import psycopg

        try:
            connection = psycopg.connect(
                url.conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS, autocommit=True
            )
        except psycopg.Error as err:
            raise DatabaseError(
                f"cannot connect to {url.masked}: {_reason(err, url)}. Fix: {_connect_fix(err)}",
                where=url.masked,
            ) from None
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('TimeZone', %s, false)", (timezone,))
            yield cls(url, connection)
        finally:
            connection.close()

    @property
    def where(self) -> str:
        """Where the tables are looked for, for messages."""
        return f"{self.url.masked}" + (f" (schema {self.url.schema})" if self.url.schema else "")

    def relations(self) -> dict[str, list[str]]:
        """Tables and views visible in the schema, each with its column names in order."""
        if self._relations is None:
            schema = "%s" if self.url.schema else "current_schema()"
            rows = self._rows(
                "SELECT table_name, column_name FROM information_schema.columns "
                f"WHERE table_schema = {schema} ORDER BY table_name, ordinal_position",
                (self.url.schema,) if self.url.schema else (),
            )
            found: dict[str, list[str]] = {}
            for table, column in rows:
                found.setdefault(table, []).append(column)
            self._relations = found
        return self._relations

    def read_text(self, name: str, columns: list[str], scope: Scope | None = None) -> pd.DataFrame:
        """Every cell of ``columns`` of table ``name`` (narrowed by ``scope``) as text.

        NULL becomes "" and cells are stripped, as in a CSV file read by the workbook.
        Canonical tables come in a fixed row order (by their key), so row numbers in
        messages can be found again.
        """
        import pandas as pd
        from psycopg import sql

        order = [c for c in _ORDER.get(name, ()) if c in columns]
        query = sql.SQL("SELECT {columns} FROM {table}{where}{order}").format(
            columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
            table=self.identifier(name),
            where=self.scope_condition(name, scope) if scope else sql.SQL(""),
            order=(
                sql.SQL(" ORDER BY ") + sql.SQL(", ").join(map(sql.Identifier, order))
                if order
                else sql.SQL("")
            ),
        )
        copy = sql.SQL("COPY ({}) TO STDOUT (FORMAT csv, HEADER true)").format(query)
        buffer = io.BytesIO()
        with self._cursor(name) as cursor:
            with cursor.copy(copy) as stream:
                for block in stream:
                    buffer.write(block)
        buffer.seek(0)
        frame = pd.read_csv(buffer, dtype=str, keep_default_na=False, encoding="utf-8")
        return frame.apply(lambda column: column.str.strip())

    def identifier(self, name: str):
        """The (schema-qualified) identifier of table ``name``."""
        from psycopg import sql

        return sql.Identifier(self.url.schema, name) if self.url.schema else sql.Identifier(name)

    def scope_condition(self, name: str, scope: Scope):
        """`` WHERE ...`` restricting table ``name`` to ``scope`` (empty when nothing is left out).

        Every condition is a plain comparison or a top-level ``IN (subquery)``, never an
        ``IN`` under an ``OR``: PostgreSQL runs those as hash semi-joins, where an ``IN``
        under an ``OR`` becomes a per-row subplan once the ids outgrow ``work_mem`` (minutes
        on millions of leads). Literals are composed by psycopg (quoted), never pasted.
        """
        from psycopg import sql

        conditions = []
        present = set(self.relations().get(name, ()))
        team = sql.Literal(scope.team) if scope.team is not None else None
        lead_level = name in ("lead_events", "touches", "feedback")
        if team is not None and name != "teams":
            if name == "targets":
                conditions.append(sql.SQL("team IN ({}, '*')").format(team))
            elif "team" in present:
                conditions.append(sql.SQL("team = {}").format(team))
            elif lead_level:
                conditions.append(
                    sql.SQL("lead_id IN (SELECT lead_id FROM {} WHERE team = {})").format(
                        self.identifier("leads"), team
                    )
                )
        if scope.since is not None:
            since = sql.Literal(scope.since.isoformat(sep=" "))
            month = sql.Literal(f"{scope.since:%Y-%m}")
            if name == "leads" or lead_level:
                conditions.append(sql.SQL("lead_id IN ({})").format(self._live_leads(since)))
            elif name == "opportunities":
                # Live ones, and those of live leads (their journeys must be whole).
                live = sql.SQL(
                    "opportunity_id IN (SELECT opportunity_id FROM {o} WHERE {live} "
                    "UNION SELECT opportunity_id FROM {o} WHERE lead_id IN ({leads}))"
                ).format(
                    o=self.identifier("opportunities"),
                    live=self._live_opportunities(since),
                    leads=self._live_leads(since),
                )
                conditions.append(live)
            elif name == "spend":
                conditions.append(sql.SQL("CAST(month AS text) >= {}").format(month))
            elif name == "revenue":
                import pandas as pd

                year_before = scope.since - pd.DateOffset(months=12)
                conditions.append(
                    sql.SQL("CAST(month AS text) >= {}").format(sql.Literal(f"{year_before:%Y-%m}"))
                )
        if not conditions:
            return sql.SQL("")
        return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions)

    def _live_leads(self, since):
        """Ids of leads created from ``since`` on or active from then on, as one ``UNION``."""
        from psycopg import sql

        after = "CAST({} AS timestamptz) >= CAST({} AS timestamptz)"
        parts = [
            sql.SQL("SELECT lead_id FROM {} WHERE " + after).format(
                self.identifier("leads"), sql.Identifier("created_at"), since
            )
        ]
        relations = self.relations()
        for name in ("lead_events", "touches", "feedback"):
            if name in relations and {"lead_id", "at"} <= set(relations[name]):
                parts.append(
                    sql.SQL("SELECT lead_id FROM {} WHERE " + after).format(
                        self.identifier(name), sql.Identifier("at"), since
                    )
                )
        if "opportunities" in relations and "lead_id" in relations["opportunities"]:
            parts.append(
                sql.SQL("SELECT lead_id FROM {} WHERE lead_id IS NOT NULL AND {}").format(
                    self.identifier("opportunities"), self._live_opportunities(since)
                )
            )
        return sql.SQL(" UNION ").join(parts)

    def _live_opportunities(self, since):
        """Opportunities open, or created or closed from ``since`` on."""
        from psycopg import sql

        columns = set(self.relations().get("opportunities", ()))
        parts = [
            sql.SQL("CAST(created_at AS timestamptz) >= CAST({} AS timestamptz)").format(since),
            sql.SQL("status = 'open'"),
        ]
        if "closed_at" in columns:
            parts += [
                sql.SQL("closed_at IS NULL"),
                sql.SQL("CAST(closed_at AS timestamptz) >= CAST({} AS timestamptz)").format(since),
            ]
        return sql.SQL("({})").format(sql.SQL(" OR ").join(parts))

    def distinct(self, table: str, column: str) -> list[str]:
        """The distinct non-empty values of ``column`` over the whole table, as text."""
        from psycopg import sql

        query = sql.SQL("SELECT DISTINCT CAST({c} AS text) FROM {t} WHERE {c} IS NOT NULL").format(
            c=sql.Identifier(column), t=self.identifier(table)
        )
        return sorted(str(value).strip() for (value,) in self._rows(query) if str(value).strip())

    def extremes(self, table: str, column: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """Earliest and latest timestamp of ``column`` over the whole table (session zone)."""
        import pandas as pd
        from psycopg import sql

        query = sql.SQL(
            "SELECT CAST(min(CAST({c} AS timestamptz)) AS timestamp), "
            "CAST(max(CAST({c} AS timestamptz)) AS timestamp) FROM {t}"
        ).format(c=sql.Identifier(column), t=self.identifier(table))
        low, high = self._rows(query)[0]
        return (
            pd.Timestamp(low) if low is not None else None,
            pd.Timestamp(high) if high is not None else None,
        )

    def filled(self, table: str, columns: list[str]) -> set[str]:
        """Those of ``columns`` with at least one non-empty value in the whole table."""
        from psycopg import sql

        if not columns:
            return set()
        counts = sql.SQL(", ").join(
            sql.SQL("count(NULLIF(CAST({} AS text), ''))").format(sql.Identifier(c))
            for c in columns
        )
        row = self._rows(sql.SQL("SELECT {} FROM {}").format(counts, self.identifier(table)))[0]
        return {column for column, count in zip(columns, row, strict=True) if count}

    def digest(self, tables: list[str]) -> str:
        """Rows and an order-independent hash of their text, per table, for change detection.

        ``hashtext`` of each row's text, summed: any changed, added or removed row changes it
        (up to 32-bit hash collisions), at the cost of one scan per table.
        """
        from psycopg import sql

        parts = []
        for name in tables:
            query = sql.SQL(
                "SELECT count(*), coalesce(sum(hashtext(CAST(t AS text))::bigint), 0) FROM {} t"
            ).format(self.identifier(name))
            rows, total = self._rows(query)[0]
            parts.append(f"{name}:{rows}:{total}")
        return ";".join(parts)

    def _rows(self, query, params=()) -> list[tuple]:
        with self._cursor(None) as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    @contextmanager
    def _cursor(self, table: str | None):
        import psycopg

        try:
            with self.connection.cursor() as cursor:
                yield cursor
        except psycopg.Error as err:
            what = f"table {table}" if table else "the database"
            raise DatabaseError(
                f"{self.where}: reading {what} failed: {_reason(err, self.url)}. Fix: check "
                "that the tables and views have the canonical columns and types "
                "(`workbook validate` on the URL lists what is wrong)",
                where=self.where,
            ) from None


def _reason(err: Exception, url: DatabaseUrl) -> str:
    """The first line of a driver error, with any password in it masked."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    if url.password:
        text = text.replace(url.password, "***")
    return text.rstrip(".")


def _connect_fix(err: Exception) -> str:
    text = str(err).lower()
    if "password" in text or "authentication" in text:
        return (
            "check the user and password (give the password in PGPASSWORD or ~/.pgpass rather "
            "than in the URL)"
        )
    if "does not exist" in text:
        return "check the database name at the end of the URL"
    return "check the host and port, and that the server accepts connections from here"


def missing_table_fix(table: Table) -> str:
    """How to supply a missing table in a database."""
    columns = ", ".join(c.name for c in table.columns if c.required)
    return f"create a table or view named {table.name} with the columns {columns}"
