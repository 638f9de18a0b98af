"""The data-model documentation (docs/data-model.md) against the schema it documents.

The page is parsed on its own terms (headings, status lines, Markdown tables) and compared
with ``helpers.data.schema.TABLES``: every table and column must be there with its status,
type, whether it is required and whether its cells may be empty. A column added to the schema
without documentation fails here. The user-facing docs must stand alone (no reference to a
specification outside the repository) and link to the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from conftest import TESTS

from helpers.data.schema import TABLES, Column

ROOT = TESTS.parent
DOC = ROOT / "docs" / "data-model.md"
USER_DOCS = [
    ROOT / "README.md",
    ROOT / "data" / "README.md",
    ROOT / "benchmarks" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
]

_HEADING = re.compile(r"^### `([a-z_]+)`\s*$", re.MULTILINE)
_STATUS = re.compile(r"^\*\*Status\*\*: (required|lead side|deal side|optional)\b", re.MULTILINE)
_CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class DocColumn:
    """One row of a table's column reference, as written."""

    name: str
    kind: str
    status: str  # "required" or "optional"
    empty: str  # "no", or text starting with "allowed"
    allowed: str


@dataclass(frozen=True)
class DocTable:
    """One ``### `table` `` section of the page."""

    name: str
    status: str
    columns: tuple[DocColumn, ...]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _code(cell: str) -> str:
    found = _CODE.fullmatch(cell.strip())
    return found.group(1) if found else cell.strip()


def parse_doc(text: str) -> dict[str, DocTable]:
    """The ``### `name` `` sections of the page: status line and column table."""
    headings = list(_HEADING.finditer(text))
    tables = {}
    for i, heading in enumerate(headings):
        end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
        body = text[heading.end() : end]
        status = _STATUS.search(body)
        rows = [line for line in body.splitlines() if line.startswith("| `")]
        columns = []
        for row in rows:
            cells = _cells(row)
            assert len(cells) == 6, f"{heading.group(1)}: a row with {len(cells)} cells: {row}"
            columns.append(DocColumn(_code(cells[0]), _code(cells[1]), *cells[2:5]))
        tables[heading.group(1)] = DocTable(
            heading.group(1), status.group(1) if status else "", tuple(columns)
        )
    return tables


def expected_status(table) -> str:
    """The status a table's section must state."""
    if table.required:
        return "required"
    if table.side == "leads":
        return "lead side"
    if table.side == "deals":
        return "deal side"
    return "optional"


def undocumented(schema: dict, documented: dict[str, DocTable]) -> list[str]:
    """Every difference between the schema and the page, in words (empty: none)."""
    problems = []
    for extra in sorted(set(documented) - set(schema)):
        problems.append(f"{extra}: documented, but not a table of the schema")
    for name, table in schema.items():
        doc = documented.get(name)
        if doc is None:
            problems.append(f"{name}: table not documented")
            continue
        if doc.status != expected_status(table):
            problems.append(f"{name}: status {doc.status!r}, expected {expected_status(table)!r}")
        written = {c.name: c for c in doc.columns}
        for extra in sorted(set(written) - {c.name for c in table.columns}):
            problems.append(f"{name}.{extra}: documented, but not a column of the schema")
        for column in table.columns:
            entry = written.get(column.name)
            if entry is None:
                problems.append(f"{name}.{column.name}: column not documented")
                continue
            problems += _column_problems(name, column, entry)
    return problems


def _column_problems(table: str, column: Column, entry: DocColumn) -> list[str]:
    where = f"{table}.{column.name}"
    problems = []
    if entry.kind != column.kind:
        problems.append(f"{where}: type {entry.kind!r}, expected {column.kind!r}")
    status = "required" if column.required else "optional"
    if entry.status != status:
        problems.append(f"{where}: documented {entry.status!r}, expected {status!r}")
    empty_ok = entry.empty.startswith("allowed")
    if empty_ok != column.nullable or not (empty_ok or entry.empty == "no"):
        expected = "allowed" if column.nullable else "no"
        problems.append(f"{where}: empty cells {entry.empty!r}, expected {expected!r}")
    for value in column.allowed or ():
        if f"`{value}`" not in entry.allowed:
            problems.append(f"{where}: allowed value {value!r} not listed")
    if column.min_value is not None and f"{column.min_value:g}" not in entry.allowed:
        problems.append(f"{where}: the minimum {column.min_value:g} is not stated")
    if column.max_value is not None and f"{column.max_value:g}" not in entry.allowed:
        problems.append(f"{where}: the maximum {column.max_value:g} is not stated")
    return problems


@pytest.fixture(scope="module")
def text() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def documented(text) -> dict[str, DocTable]:
    return parse_doc(text)


# --- the page against the schema --------------------------------------------------------------


def test_every_table_and_column_is_documented_with_its_status(documented):
    assert undocumented(TABLES, documented) == []


def test_the_page_documents_the_ten_tables_in_schema_order(documented):
    assert list(documented) == [
        "teams", "leads", "lead_events", "opportunities",
        "spend", "revenue", "touches", "targets", "feedback", "actions",
    ]  # fmt: skip
    assert list(documented) == list(TABLES)


def test_statuses_by_hand(documented):
    # The rule: teams always, then the lead side and/or the deal side; the rest optional.
    assert {name: t.status for name, t in documented.items()} == {
        "teams": "required",
        "leads": "lead side",
        "lead_events": "lead side",
        "opportunities": "deal side",
        "spend": "optional",
        "revenue": "optional",
        "touches": "optional",
        "targets": "optional",
        "feedback": "optional",
        "actions": "optional",
    }


def test_a_few_columns_by_hand(documented):
    leads = {c.name: c for c in documented["leads"].columns}
    assert (leads["score"].kind, leads["score"].status, leads["score"].empty) == (
        "float", "optional", "allowed",
    )  # fmt: skip
    assert (leads["lead_id"].kind, leads["lead_id"].status, leads["lead_id"].empty) == (
        "str", "required", "no",
    )  # fmt: skip
    opps = {c.name: c for c in documented["opportunities"].columns}
    # amount must be in the header but a deal may leave it empty.
    assert (opps["amount"].status, opps["amount"].empty) == ("required", "allowed")
    assert opps["closed_at"].kind == "datetime" and opps["closed_at"].status == "optional"
    spend = {c.name: c for c in documented["spend"].columns}
    assert spend["month"].kind == "month"
    assert "`marketing`, `sales`" in spend["category"].allowed
    targets = {c.name: c for c in documented["targets"].columns}
    assert targets["quarter"].kind == "quarter"
    feedback = {c.name: c for c in documented["feedback"].columns}
    assert feedback["rating"].kind == "int" and feedback["rating"].allowed == "1 to 5"


def test_a_column_added_to_the_schema_without_documentation_is_caught(documented):
    leads = TABLES["leads"]
    grown = replace(leads, columns=(*leads.columns, Column("utm_term", required=False)))
    assert undocumented({**TABLES, "leads": grown}, documented) == [
        "leads.utm_term: column not documented"
    ]


def test_a_wrong_status_or_rule_is_caught(documented):
    opps = TABLES["opportunities"]
    columns = tuple(replace(c, required=True) if c.name == "closed_at" else c for c in opps.columns)
    changed = {**TABLES, "opportunities": replace(opps, columns=columns)}
    assert undocumented(changed, documented) == [
        "opportunities.closed_at: documented 'optional', expected 'required'"
    ]
    spend = replace(TABLES["spend"], side="deals")
    assert undocumented({**TABLES, "spend": spend}, documented) == [
        "spend: status 'optional', expected 'deal side'"
    ]


def test_the_overview_lists_every_table_with_its_status(text, documented):
    overview = text.split("## Tables at a glance", 1)[1].split("## The tables", 1)[0]
    rows = {
        _code(cells[0]): cells[1]
        for cells in (_cells(line) for line in overview.splitlines() if line.startswith("| `"))
    }
    assert rows == {name: t.status for name, t in documented.items()}


def test_the_side_rule_and_the_as_of_date_are_documented(text):
    needs = text.split("## What a data set needs", 1)[1].split("## Reading this reference", 1)[0]
    for phrase in (
        "**`teams`**, always",
        "the **lead side**: `leads`, with their `lead_events`",
        "the **deal side**: `opportunities`",
        "opportunities only (the deal side)",
        "leads and lead events only (the lead side)",
        "the day after\nthe latest timestamp of *any* table",
    ):
        assert phrase in needs, phrase


# --- the docs stand alone ------------------------------------------------------------------


@pytest.mark.parametrize("path", USER_DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_reference_to_a_specification_outside_the_repository(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\bSPEC\b", text), f"{path.name} refers to SPEC"


def test_the_data_docs_link_to_the_page():
    assert "(../docs/data-model.md" in (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert "(docs/data-model.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_page_links_resolve(text):
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    assert links, "the page links to the other docs"
    missing = [link for link in links if not (DOC.parent / link).resolve().exists()]
    assert missing == []


def test_the_parser_reads_a_section():
    page = (
        "### `spend`\n\n**Status**: optional. More.\n\n"
        "| column | type | column is | empty cells | allowed values | what |\n"
        "|---|---|---|---|---|---|\n"
        "| `month` | `month` | required | no | `YYYY-MM` | the month |\n"
        "| `note` | `str` | optional | allowed, on any row | any text | a note |\n"
    )
    assert parse_doc(page) == {
        "spend": DocTable(
            "spend",
            "optional",
            (
                DocColumn("month", "month", "required", "no", "`YYYY-MM`"),
                DocColumn("note", "str", "optional", "allowed, on any row", "any text"),
            ),
        )
    }


def test_the_user_docs_exist():
    assert all(path.is_file() for path in USER_DOCS)
    assert Path(DOC) in USER_DOCS
