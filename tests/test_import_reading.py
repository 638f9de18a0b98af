"""read_export: messy CRM export files -> text cells, with lines named as the user sees them.

Fixtures are in tests/data/messy/ (written byte for byte by make_fixtures.py there); every
expected value below is worked out by hand from those bytes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from helpers.errors import DataValidationError, Problem
from helpers.importing.reading import ExportTable, read_export

MESSY = Path(__file__).parent / "data" / "messy"


def frame(columns: dict[str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame(columns, dtype=str)


def only_problem(excinfo) -> Problem:
    problems = excinfo.value.problems
    assert len(problems) == 1
    return problems[0]


# --- what each messy case reads as ------------------------------------------------------------


def test_bom_is_removed_and_cells_are_text():
    table = read_export(MESSY / "contacts_bom.csv")
    assert table.encoding == "utf-8-sig"
    assert table.separator == ","
    assert table.notes == ["byte-order mark removed"]
    assert table.name == "contacts_bom.csv"
    expected = frame(
        {
            "Record ID": ["101", "102", "103"],  # not "\ufeffRecord ID"
            "Create Date": ["3/5/2026 2:30 PM", "03/15/2026 9:05 AM", "12/31/2025"],
            "Original Source": ["Google", "google", "Select"],  # "google " stripped
            "Amount": ["$1,200.00", "(1200)", "-"],
        }
    )
    assert_frame_equal(table.frame, expected)
    assert isinstance(table.frame.index, pd.RangeIndex)


def test_semicolons_and_a_trailing_separator_on_every_line():
    table = read_export(MESSY / "leads_semicolon.csv")
    assert table.separator == ";"
    assert table.encoding == "utf-8"
    assert table.notes == [
        "separator ';'",
        "dropped the empty unnamed last column (a trailing separator on every line)",
    ]
    expected = frame(
        {
            "Lead ID": ["00Q1", "00Q2"],
            "Created": ["05.03.2026 14:30", "31.12.2025"],
            "Amount": ["1.200,00 €", "-3,5"],
        }
    )
    assert_frame_equal(table.frame, expected)


def test_tabs():
    table = read_export(MESSY / "deals_tabs.tsv")
    assert table.separator == "\t"
    assert table.notes == ["separator tab"]
    expected = frame(
        {"Deal": ["D-1", "D-2"], "Stage": ["Closed Won", "N/A"], "Amount": ["1200", ""]}
    )
    assert_frame_equal(table.frame, expected)


def test_pipes_in_a_txt_file():
    table = read_export(MESSY / "owners_pipes.txt")
    assert table.separator == "|"
    assert_frame_equal(table.frame, frame({"owner": ["Ada Lovelace"], "team": ["emea"]}))


def test_windows_line_endings_with_a_line_break_inside_quotes():
    table = read_export(MESSY / "crlf_multiline.csv")
    # The quoted CRLF becomes a plain newline; no stray "\r" at the end of any cell.
    expected = frame({"ID": ["1", "2"], "Comment": ["first line\nsecond line", "plain"]})
    assert_frame_equal(table.frame, expected)
    # Row 0 starts on line 2 and spans line 3, so row 1 is on line 4, not 3.
    assert table.line_numbers([0, 1]) == ([2, 4], 2)


def test_windows_1252_fallback():
    table = read_export(MESSY / "cp1252.csv")
    assert table.encoding == "cp1252"
    assert table.notes == ["read as Windows-1252 (not UTF-8)"]
    # 0xE9 is é and 0x80 is € in Windows-1252.
    assert_frame_equal(table.frame, frame({"Company": ["Café Noir"], "Amount": ["€ 1.200,00"]}))


def test_blank_lines_are_skipped_as_pandas_does_and_counted_in_line_numbers():
    table = read_export(MESSY / "blank_lines.csv")
    # a,b | (blank) | 1,2 | (spaces) | ,, | "" | 3,4  -> rows on lines 3, 5, 6, 7
    expected = frame({"a": ["1", "", "", "3"], "b": ["2", "", "", "4"]})
    assert_frame_equal(table.frame, expected)
    assert table.line_numbers([3, 0, 1, 2, 0]) == ([3, 5, 6, 7], 4)


def test_cells_and_header_are_stripped_and_na_stays_text(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b" Name ,Value\n\xc2\xa0NA\xc2\xa0, null \n")  # non-breaking spaces
    table = read_export(path)
    assert_frame_equal(table.frame, frame({"Name": ["NA"], "Value": ["null"]}))


def test_separator_inside_quotes_in_the_header_is_not_counted(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('"Name, full";"Amount, EUR";Owner\nAda;1;x\n', encoding="utf-8")
    table = read_export(path)
    assert table.separator == ";"
    assert list(table.frame.columns) == ["Name, full", "Amount, EUR", "Owner"]


def test_one_column_file_is_comma_separated(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("Record ID\n1\n2\n", encoding="utf-8")
    table = read_export(path)
    assert table.separator == ","
    assert_frame_equal(table.frame, frame({"Record ID": ["1", "2"]}))


def test_header_only_file_has_zero_rows():
    table = read_export(MESSY / "header_only.csv")
    assert list(table.frame.columns) == ["Record ID", "Create Date"]
    assert len(table.frame) == 0


def test_problem_names_file_column_and_lines():
    table = read_export(MESSY / "multiline_dates.csv")
    problem = table.problem("Create Date", "bad", "fix it", positions=np.array([3, 1]))
    assert problem == Problem(
        "multiline_dates.csv", "Create Date", "bad", "fix it", (4, 9), 2, unit="line"
    )
    assert table.problem(None, "m", "f") == Problem("multiline_dates.csv", None, "m", "f")


def test_line_numbers_show_ten_and_count_all(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("a\n" + "".join(f"{i}\n" for i in range(30)), encoding="utf-8")
    table = read_export(path)
    assert table.line_numbers(range(12, 30)) == (list(range(14, 24)), 18)


def test_line_numbers_of_a_table_built_by_hand_fall_back_to_position_plus_two(tmp_path):
    table = ExportTable(tmp_path / "gone.csv", frame({"a": ["1", "2"]}), "utf-8", ",", [])
    assert table.line_numbers([1, 0]) == ([2, 3], 2)


# --- xlsx ---------------------------------------------------------------------------------------


def write_xlsx(path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Record ID", "Create Date", "Amount", "Won"])
    sheet.append(["101", dt.datetime(2026, 3, 5, 14, 30), 1200.5, True])
    sheet.append([])  # a blank row 3 is skipped
    sheet.append([102, dt.datetime(2026, 3, 6), 1200, None])
    sheet.append([" 103 ", "2026-03-07", 0.1, False])
    book.create_sheet("Other")["A1"] = "ignored: only the first sheet is read"
    book.save(path)


def test_xlsx_dates_become_iso_text_and_numbers_stay_as_written(tmp_path):
    path = tmp_path / "deals.xlsx"
    write_xlsx(path)
    table = read_export(path)
    assert table.separator is None
    expected = frame(
        {
            "Record ID": ["101", "102", "103"],
            "Create Date": ["2026-03-05T14:30:00", "2026-03-06T00:00:00", "2026-03-07"],
            "Amount": ["1200.5", "1200", "0.1"],
            "Won": ["TRUE", "", "FALSE"],
        }
    )
    assert_frame_equal(table.frame, expected)
    # Spreadsheet rows: header row 1, the blank row 3 is skipped.
    assert table.line_numbers([0, 1, 2]) == ([2, 4, 5], 3)
    problem = table.problem("Amount", "m", "f", [2])
    assert (problem.rows, problem.unit) == ((5,), "row")
    assert "(row 5)" in str(problem)


def test_xlsx_with_a_repeated_header_name(tmp_path):
    import openpyxl

    path = tmp_path / "dup.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["a", "a"])
    book.active.append([1, 2])
    book.save(path)
    with pytest.raises(DataValidationError, match=r"'a' more than once \(row 1\)"):
        read_export(path)


def test_empty_xlsx(tmp_path):
    import openpyxl

    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(DataValidationError, match="empty.xlsx: the first sheet is empty"):
        read_export(path)


def test_a_text_file_named_xlsx(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="fake.xlsx: cannot be read as an Excel workbook"):
        read_export(path)


def test_a_workbook_named_csv(tmp_path):
    path = tmp_path / "real.csv"
    write_xlsx(path.with_suffix(".xlsx"))
    path.write_bytes(path.with_suffix(".xlsx").read_bytes())
    with pytest.raises(DataValidationError, match="real.csv: is an Excel workbook"):
        read_export(path)


# --- malformed files ----------------------------------------------------------------------------


def test_ragged_rows_name_their_lines():
    with pytest.raises(DataValidationError) as excinfo:
        read_export(MESSY / "ragged.csv")
    problem = only_problem(excinfo)
    assert problem.file == "ragged.csv"
    assert problem.message == "has 2 row(s) with more fields than the 2 column(s) of the header"
    assert (problem.rows, problem.n_rows) == ((3, 5), 2)  # the blank line 4 is counted
    assert excinfo.value.directory == str(MESSY)


def test_unclosed_quote_names_the_line_where_it_opens():
    with pytest.raises(DataValidationError, match=r"double quote that is never closed \(line 3\)"):
        read_export(MESSY / "unclosed_quote.csv")


def test_duplicate_header_after_stripping():
    with pytest.raises(DataValidationError) as excinfo:
        read_export(MESSY / "duplicate_header.csv")
    problem = only_problem(excinfo)
    assert problem.message == "the header names the column(s) 'Name' more than once"
    assert problem.rows == (1,)


@pytest.mark.parametrize("name", ["empty.csv", "blank.csv"])
def test_empty_file(name):
    with pytest.raises(DataValidationError, match=f"{name}: the file is empty"):
        read_export(MESSY / name)


def test_unnamed_column_holding_values():
    with pytest.raises(DataValidationError) as excinfo:
        read_export(MESSY / "unnamed_values.csv")
    problem = only_problem(excinfo)
    assert problem.message == "column 2 has no name in the header but holds values"
    assert problem.rows == (2,)


def test_unsupported_extension(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DataValidationError, match="old.xls: has the extension '.xls'"):
        read_export(path)


def test_bytes_that_are_neither_utf8_nor_cp1252(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes(b"a\n\x81\xff\n")  # 0x81 is undefined in Windows-1252
    with pytest.raises(DataValidationError, match="neither UTF-8 nor Windows-1252"):
        read_export(path)


def test_utf16_with_bom(tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes("Name\tCity\nZoë\tKöln\n".encode("utf-16"))
    table = read_export(path)
    assert (table.encoding, table.separator) == ("utf-16", "\t")
    assert_frame_equal(table.frame, frame({"Name": ["Zoë"], "City": ["Köln"]}))
