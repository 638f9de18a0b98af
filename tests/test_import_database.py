"""`workbook import --mapping NAME postgresql://...`: a CRM's tables in a database, imported
with the same mapping files as its CSV exports.

The HubSpot export fixtures are loaded into a real PostgreSQL server as plain text tables
(the way a replication tool lands them), imported through the CLI, and every canonical table
written is compared with the import of the very same files (tested by hand elsewhere).
"""

from __future__ import annotations

import io

import pandas as pd
import psycopg
import pytest
from click.testing import CliRunner
from conftest import TESTS
from psycopg import sql

from helpers.cli import main
from helpers.data.database import DatabaseUrl
from helpers.data.schema import TABLES

HUBSPOT = TESTS / "data" / "imports" / "hubspot"
TABLE_OF_FILE = {
    "hubspot-crm-exports-all-contacts-2026-10-02.csv": "hubspot_contacts",
    "hubspot-crm-exports-all-deals-2026-10-02.csv": "hubspot_deals",
    "owners.csv": "owners",
}


def _load_text_table(connection, name: str, frame: pd.DataFrame) -> None:
    columns = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in frame)
    connection.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(name), columns))
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False)
    with connection.cursor() as cursor:
        copy = sql.SQL("COPY {} FROM STDIN (FORMAT csv)").format(sql.Identifier(name))
        with cursor.copy(copy) as stream:
            stream.write(buffer.getvalue())


@pytest.fixture(scope="module")
def hubspot_url(postgres_database_url: str) -> str:
    plain = postgres_database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        for file, table in TABLE_OF_FILE.items():
            frame = pd.read_csv(
                HUBSPOT / file, dtype=str, keep_default_na=False, encoding="utf-8-sig"
            )
            _load_text_table(connection, table, frame)
    return postgres_database_url


def _import(src: str, out) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["import", "--mapping", "hubspot", str(src), str(out)])
    return result.exit_code, result.output


def test_tables_import_like_the_export_files(hubspot_url: str, tmp_path) -> None:
    code, output = _import(HUBSPOT, tmp_path / "from-files")
    assert code == 0, output
    code, output = _import(hubspot_url, tmp_path / "from-db")
    assert code == 0, output
    assert DatabaseUrl.parse(hubspot_url).password not in output
    written = sorted(p.name for p in (tmp_path / "from-files").glob("*.csv"))
    assert written == sorted(p.name for p in (tmp_path / "from-db").glob("*.csv"))
    assert {"leads.csv", "lead_events.csv", "opportunities.csv"} <= set(written)
    for name in written:
        assert name[:-4] in TABLES
        pd.testing.assert_frame_equal(
            pd.read_csv(tmp_path / "from-db" / name, dtype=str, keep_default_na=False),
            pd.read_csv(tmp_path / "from-files" / name, dtype=str, keep_default_na=False),
            obj=name,
        )
    log = (tmp_path / "from-db" / "import_log.md").read_text()
    assert "read from table hubspot_contacts of postgresql://workbook:***@" in log
    assert DatabaseUrl.parse(hubspot_url).password not in log


def test_no_matching_table_names_the_pattern_and_what_is_there(postgres_server, tmp_path) -> None:
    empty = postgres_server.create_database("no_crm_tables")
    code, output = _import(empty, tmp_path / "out")
    assert code == 2
    assert "no table matches '*contacts*'" in output
    assert "the database has: no export files" in output
    assert "postgresql://workbook:***@127.0.0.1" in output
    assert postgres_server.password not in output
    assert not (tmp_path / "out").exists()
