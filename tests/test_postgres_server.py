"""The throw-away PostgreSQL server fixture itself (tests/postgres_server.py)."""

from __future__ import annotations

import psycopg
import pytest
from postgres_server import PostgresServer


def test_connects_and_reports_version(postgres_server: PostgresServer):
    with postgres_server.connect() as conn:
        (version,) = conn.execute("select version()").fetchone()
        (database,) = conn.execute("select current_database()").fetchone()
    assert version.startswith("PostgreSQL ")
    assert database == "workbook"


def test_listens_on_loopback_only_and_not_on_5432(postgres_server: PostgresServer):
    assert postgres_server.host == "127.0.0.1"
    assert postgres_server.port != 5432
    with postgres_server.connect() as conn:
        (listen,) = conn.execute("show listen_addresses").fetchone()
        (port,) = conn.execute("show port").fetchone()
    assert listen == "127.0.0.1"
    assert int(port) == postgres_server.port


def _plain(url: str) -> str:
    """The URL as libpq takes it (psycopg has no ``+psycopg`` scheme)."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def test_url_connects(postgres_server: PostgresServer):
    server = postgres_server
    assert server.url == (
        f"postgresql+psycopg://workbook:{server.password}@127.0.0.1:{server.port}/workbook"
    )
    assert server.password not in server.url_without_password
    with psycopg.connect(_plain(server.url)) as conn:
        assert conn.execute("select current_user").fetchone()[0] == "workbook"


def test_wrong_password_is_refused(postgres_server: PostgresServer):
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(
            host=postgres_server.host,
            port=postgres_server.port,
            user=postgres_server.user,
            password=postgres_server.password + "-wrong",
            dbname=postgres_server.database,
            connect_timeout=10,
        )


def test_create_database_is_independent(postgres_server: PostgresServer):
    url = postgres_server.create_database("fixture_independent")
    assert url == postgres_server.url_for("fixture_independent")
    with postgres_server.connect("fixture_independent", autocommit=True) as conn:
        conn.execute("create table only_here (x int)")
    with postgres_server.connect() as conn:
        found = conn.execute("select to_regclass('public.only_here')").fetchone()[0]
    assert found is None
    with pytest.raises(ValueError):
        postgres_server.create_database("Not; a name")


def test_module_database_is_fresh(postgres_database_url: str, postgres_server: PostgresServer):
    assert postgres_database_url != postgres_server.url
    with psycopg.connect(_plain(postgres_database_url)) as conn:
        query = "select count(*) from pg_tables where schemaname = 'public'"
        tables = conn.execute(query).fetchone()[0]
    assert tables == 0
