"""Every messy-file case of issue 6, imported end to end through `workbook import`.

One small export (three contacts, two deals) is written clean and then once per quirk a real
export has: other separators, a byte-order mark, a trailing separator, Windows line endings,
Windows-1252 text, US, German or Excel-serial dates, "$1,200.00" amounts, form placeholders and
spellings that differ in case or spaces. Each must import to the same hand-written tables as the
clean file; the cases that cannot be read unambiguously must stop with the file, column and line.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers.data.source import load_dataset

MAPPING = """
[import]
missing = ["-", "Select", "n/a"]

[[tables.leads]]
file = "contacts*"
columns = { lead_id = "ID", created_at = "Created", channel = "Source", source_type = "Source" }
constants = { team = "main" }
keep = ["City"]
values.source_type = { "Cold Call" = "sales", "*" = "marketing" }

[[tables.lead_events]]
file = "contacts*"
columns = { lead_id = "ID" }
melt = { "MQL Date" = "mql" }

[[tables.opportunities]]
file = "deals*"
constants = { team = "main" }
values.status = { "Won" = "won", "Lost" = "lost", "*" = "open" }

[tables.opportunities.columns]
opportunity_id = "Deal"
lead_id = "Contact"
created_at = "Opened"
closed_at = "Closed"
status = "Stage"
amount = "Amount"
"""

CONTACTS = [
    ["ID", "Created", "Source", "City", "MQL Date"],
    ["C1", "2026-01-15 09:30", "Google", "Berlin", "2026-01-16 10:00"],
    ["C2", "2026-02-03 14:00", "Google", "Zürich", "2026-02-20 08:15"],
    ["C3", "2026-03-21 11:45", "Cold Call", "Köln", ""],
]
DEALS = [
    ["Deal", "Contact", "Opened", "Closed", "Stage", "Amount"],
    ["D1", "C1", "2026-01-20", "2026-03-13", "Won", "1200"],
    ["D2", "C3", "2026-03-25", "2026-04-30", "Lost", "950.5"],
]

# The same dates as the clean file, written as other locales and Excel write them. Excel
# serials count days from 1899-12-30: 2025-01-01 is 45658, so 2026-01-01 is 46023 and
# 2026-01-15 is 46037; 09:30 is 9.5 / 24 = 0.395833… of a day.
US = {
    "2026-01-15 09:30": "1/15/2026 9:30 AM", "2026-02-03 14:00": "2/3/2026 2:00 PM",
    "2026-03-21 11:45": "3/21/2026 11:45 AM", "2026-01-16 10:00": "1/16/2026 10:00 AM",
    "2026-02-20 08:15": "2/20/2026 8:15 AM", "2026-01-20": "1/20/2026",
    "2026-03-13": "3/13/2026", "2026-03-25": "3/25/2026", "2026-04-30": "4/30/2026",
}  # fmt: skip
GERMAN = {
    "2026-01-15 09:30": "15.01.2026 09:30", "2026-02-03 14:00": "03.02.2026 14:00",
    "2026-03-21 11:45": "21.03.2026 11:45", "2026-01-16 10:00": "16.01.2026 10:00",
    "2026-02-20 08:15": "20.02.2026 08:15", "2026-01-20": "20.01.2026",
    "2026-03-13": "13.03.2026", "2026-03-25": "25.03.2026", "2026-04-30": "30.04.2026",
}  # fmt: skip
EXCEL = {
    "2026-01-15 09:30": "46037.395833333336", "2026-02-03 14:00": "46056.583333333336",
    "2026-03-21 11:45": "46102.489583333336", "2026-01-16 10:00": "46038.416666666664",
    "2026-02-20 08:15": "46073.34375", "2026-01-20": "46042", "2026-03-13": "46094",
    "2026-03-25": "46106", "2026-04-30": "46142",
}  # fmt: skip


def _rewrite(rows, replace) -> list[list[str]]:
    return [[replace.get(cell, cell) for cell in row] for row in rows]


def _csv(rows, separator=",", newline="\n", trailing=False) -> str:
    end = separator if trailing else ""
    return "".join(separator.join(row) + end + newline for row in rows)


def _clean(folder: Path) -> None:
    (folder / "contacts.csv").write_text(_csv(CONTACTS), encoding="utf-8")
    (folder / "deals.csv").write_text(_csv(DEALS), encoding="utf-8")


def _semicolons(folder):
    (folder / "contacts.csv").write_text(_csv(CONTACTS, ";"), encoding="utf-8")
    (folder / "deals.csv").write_text(_csv(DEALS, ";"), encoding="utf-8")


def _tabs(folder):
    (folder / "contacts.tsv").write_text(_csv(CONTACTS, "\t"), encoding="utf-8")
    (folder / "deals.tsv").write_text(_csv(DEALS, "\t"), encoding="utf-8")


def _bom(folder):
    (folder / "contacts.csv").write_text(_csv(CONTACTS), encoding="utf-8-sig")
    (folder / "deals.csv").write_text(_csv(DEALS), encoding="utf-8-sig")


def _trailing_separator(folder):
    (folder / "contacts.csv").write_text(_csv(CONTACTS, trailing=True), encoding="utf-8")
    (folder / "deals.csv").write_text(_csv(DEALS, trailing=True), encoding="utf-8")


def _windows_line_endings(folder):
    (folder / "contacts.csv").write_bytes(_csv(CONTACTS, newline="\r\n").encode())
    (folder / "deals.csv").write_bytes(_csv(DEALS, newline="\r\n").encode())


def _windows_1252(folder):
    (folder / "contacts.csv").write_bytes(_csv(CONTACTS).encode("cp1252"))
    (folder / "deals.csv").write_bytes(_csv(DEALS).encode("cp1252"))


def _dates(mapping):
    def write(folder):
        (folder / "contacts.csv").write_text(_csv(_rewrite(CONTACTS, mapping), ";"))
        (folder / "deals.csv").write_text(_csv(_rewrite(DEALS, mapping), ";"))

    return write


def _amounts(folder):
    (folder / "contacts.csv").write_text(_csv(CONTACTS))
    deals = _rewrite(DEALS, {"1200": '"$1,200.00"', "950.5": '"$950.50"'})
    (folder / "deals.csv").write_text(_csv(deals))


def _placeholders(folder):
    contacts = [row[:] for row in CONTACTS]
    contacts[3][4] = "Select"  # C3 has no MQL date: a form placeholder
    (folder / "contacts.csv").write_text(_csv(contacts))
    (folder / "deals.csv").write_text(_csv(DEALS))


def _case_and_spaces(folder):
    contacts = [row[:] for row in CONTACTS]
    contacts[2][2] = '"google "'  # C2: the same source, typed differently
    contacts[3][2] = '"cold  CALL"'
    (folder / "contacts.csv").write_text(_csv(contacts))
    (folder / "deals.csv").write_text(_csv(DEALS))


CASES = {
    "clean": _clean,
    "semicolon_separator": _semicolons,
    "tab_separator": _tabs,
    "byte_order_mark": _bom,
    "trailing_separator": _trailing_separator,
    "windows_line_endings": _windows_line_endings,
    "windows_1252": _windows_1252,
    "dates_m_d_yyyy": _dates(US),
    "dates_d_m_yyyy": _dates(GERMAN),
    "dates_excel_serial": _dates(EXCEL),
    "currency_amounts": _amounts,
    "form_placeholders": _placeholders,
    "case_and_spaces": _case_and_spaces,
}


def _import(tmp_path: Path, write) -> tuple[subprocess.CompletedProcess, Path]:
    src = tmp_path / "exports"
    src.mkdir()
    write(src)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(MAPPING)
    out = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-m", "helpers.cli", "import", "--mapping", str(mapping), str(src),
         str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return result, out


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_messy_export_imports_to_the_same_tables(tmp_path, case):
    result, out = _import(tmp_path, CASES[case])
    assert result.returncode == 0, result.stderr
    data = load_dataset(out)
    leads = data["leads"].set_index("lead_id")
    assert leads["created_at"].tolist() == [
        pd.Timestamp("2026-01-15 09:30"), pd.Timestamp("2026-02-03 14:00"),
        pd.Timestamp("2026-03-21 11:45"),
    ]  # fmt: skip
    # "google " joins the more frequent "Google"; a spelling with no other variant is only
    # tidied ("cold  CALL" -> "cold CALL"), while the value map still finds it (sales).
    third = "cold CALL" if case == "case_and_spaces" else "Cold Call"
    assert leads["channel"].tolist() == ["Google", "Google", third]
    assert leads["source_type"].tolist() == ["marketing", "marketing", "sales"]
    assert leads["city"].tolist() == ["Berlin", "Zürich", "Köln"]
    events = data["lead_events"]
    assert events["event"].tolist() == ["mql", "mql"]
    assert events["at"].tolist() == [
        pd.Timestamp("2026-01-16 10:00"), pd.Timestamp("2026-02-20 08:15"),
    ]  # fmt: skip
    opps = data["opportunities"].set_index("opportunity_id")
    assert opps["amount"].tolist() == [1200.0, 950.5]
    assert opps["status"].tolist() == ["won", "lost"]
    assert opps["closed_at"].tolist() == [pd.Timestamp("2026-03-13"), pd.Timestamp("2026-04-30")]
    assert sorted(p.name for p in out.iterdir()) == [
        "import_log.md", "lead_events.csv", "leads.csv", "opportunities.csv", "teams.csv",
        "workbook.toml",
    ]  # fmt: skip


def _broken(contacts=None, deals=None):
    def write(folder):
        (folder / "contacts.csv").write_text(_csv(contacts or CONTACTS))
        (folder / "deals.csv").write_text(_csv(deals or DEALS))

    return write


# Day and month both at most 12 in every date of the file: nothing settles the order.
_AMBIGUOUS = [
    ["ID", "Created", "Source", "City", "MQL Date"],
    ["C1", "1/2/2026", "Google", "Berlin", "1/3/2026"],
    ["C2", "2/3/2026", "Google", "Berlin", "2/4/2026"],
    ["C3", "3/4/2026", "Cold Call", "Köln", ""],
]
_BAD_AMOUNT = [DEALS[0], DEALS[1], ["D2", "C3", "2026-03-25", "2026-04-30", "Lost", "12k"]]
_BAD_DATE = [CONTACTS[0], CONTACTS[1], ["C2", "2026-02-30 14:00", "Google", "Zürich", ""]]
_EMPTY_ID = [CONTACTS[0], CONTACTS[1], ["", "2026-02-03 14:00", "Google", "Zürich", ""]]


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        (
            _broken(contacts=_AMBIGUOUS),
            r"contacts\.csv, column 'Created'.*day-first or month-first.*lines 2, 3, 4",
        ),
        (_broken(deals=_BAD_AMOUNT), r"deals\.csv, column 'Amount'.*'12k'.*line 3"),
        (_broken(contacts=_BAD_DATE), r"contacts\.csv, column 'Created'.*'2026-02-30.*line 3"),
        (_broken(contacts=_EMPTY_ID), r"contacts\.csv, column 'ID'.*line 3"),
    ],
    ids=["ambiguous_dates", "amount_not_a_number", "impossible_date", "empty_key"],
)  # fmt: skip
def test_unreadable_export_stops_naming_file_column_and_line(tmp_path, write, expected):
    result, out = _import(tmp_path, write)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert re.search(expected, result.stderr.replace("\n", " ")), result.stderr
    assert "Fix:" in result.stderr
    assert not out.exists()  # nothing half-written
