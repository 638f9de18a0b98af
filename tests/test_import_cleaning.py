"""Cleaning export cells: placeholders, dates, numbers, spellings.

Every expected value is worked out by hand in the test. Fixtures: tests/data/messy/.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from helpers.errors import DataValidationError
from helpers.importing.cleaning import (
    DEFAULT_MISSING,
    blank_placeholders,
    normalise_key,
    parse_dates,
    parse_numbers,
    unify_spellings,
)
from helpers.importing.reading import ExportTable, read_export

MESSY = Path(__file__).parent / "data" / "messy"


@pytest.fixture
def contacts() -> ExportTable:
    # Rows 0, 1, 2 are on lines 2, 3, 4.
    return read_export(MESSY / "contacts_bom.csv")


def series(values, index=None) -> pd.Series:
    return pd.Series(values, index=index, dtype=str)


def dates(values, fmt="auto", source=None, index=None):
    return parse_dates(series(values, index), fmt, source=source, column="Create Date")


def only_problem(excinfo):
    problems = excinfo.value.problems
    assert len(problems) == 1
    return problems[0]


# --- keys and placeholders ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("Paid Search", "paid search"),
        ("  paid \u00a0 SEARCH\t", "paid search"),  # non-breaking space is whitespace too
        ("Straße", "strasse"),  # casefold, not lower
        ("", ""),
    ],
)
def test_normalise_key(value, key):
    assert normalise_key(value) == key


def test_placeholders_become_empty_ignoring_case_and_spaces():
    frame = pd.DataFrame(
        {
            "Source": ["Select", "Google", "N/A", "Selected", ""],
            "Amount": ["-", "--", "NULL", " n/a ", "0"],
            "Owner": ["Ada", "Bo", "none of them", "None", "x"],
        },
        dtype=str,
    )
    before = frame.copy()
    result, counts = blank_placeholders(frame, DEFAULT_MISSING)
    expected = pd.DataFrame(
        {
            "Source": ["", "Google", "", "Selected", ""],
            "Amount": ["", "", "", "", "0"],
            "Owner": ["Ada", "Bo", "none of them", "", "x"],
        },
        dtype=str,
    )
    assert_frame_equal(result, expected)
    assert counts == {"Source": 2, "Amount": 4, "Owner": 1}  # "" cells are not counted
    assert_frame_equal(frame, before)  # the input is not changed


def test_placeholders_in_an_export(contacts):
    result, counts = blank_placeholders(contacts.frame, DEFAULT_MISSING)
    assert counts == {"Original Source": 1, "Amount": 1}  # "Select" and "-" on line 4
    assert result["Original Source"].tolist() == ["Google", "google", ""]
    assert result["Amount"].tolist() == ["$1,200.00", "(1200)", ""]


def test_no_placeholders_no_counts():
    frame = pd.DataFrame({"a": ["x", "y"]}, dtype=str)
    result, counts = blank_placeholders(frame, ["-"])
    assert counts == {}
    assert_frame_equal(result, frame)


# --- dates ---------------------------------------------------------------------------------------


def test_month_first_with_times_and_am_pm(contacts):
    values = [
        "3/5/2026 2:30 PM",
        "03/15/2026 9:05 AM",  # 15 > 12 in second place: month-first
        "12/31/2025",
        "",
        "1/2/2026 12:00 AM",  # midnight
        "1/2/2026 12:15 PM",  # a quarter past noon
        "1/2/26 7:08:09 pm",  # two-digit year, seconds, lower case
    ]
    result, description = dates(values, source=contacts, index=[6, 5, 4, 3, 2, 1, 0])
    expected = series(
        [
            "2026-03-05T14:30:00",
            "2026-03-15T09:05:00",
            "2025-12-31T00:00:00",
            "",
            "2026-01-02T00:00:00",
            "2026-01-02T12:15:00",
            "2026-01-02T19:08:09",
        ],
        index=[6, 5, 4, 3, 2, 1, 0],
    )
    assert_series_equal(result, expected)
    assert description == "M/D/YYYY"


def test_day_first_slashes(contacts):
    result, description = dates(["13/02/2026 17:45", "01/03/2026"], source=contacts)
    assert_series_equal(result, series(["2026-02-13T17:45:00", "2026-03-01T00:00:00"]))
    assert description == "D/M/YYYY"


def test_slashes_that_read_the_same_either_way(contacts):
    result, description = dates(["1/1/2026", "02/02/2026"], source=contacts)
    assert_series_equal(result, series(["2026-01-01T00:00:00", "2026-02-02T00:00:00"]))
    assert description == "M/D/YYYY"


def test_dotted_day_first_dates_from_an_export():
    source = read_export(MESSY / "leads_semicolon.csv")
    result, description = parse_dates(
        source.frame["Created"], "auto", source=source, column="Created"
    )
    expected = pd.Series(["2026-03-05T14:30:00", "2025-12-31T00:00:00"], name="Created", dtype=str)
    assert_series_equal(result, expected)
    assert description == "D.M.YYYY"


def test_dotted_with_seconds_and_two_digit_year(contacts):
    result, _ = dates(["1.2.26 08:09:10", "29.02.2024"], source=contacts)
    assert_series_equal(result, series(["2026-02-01T08:09:10", "2024-02-29T00:00:00"]))


def test_excel_serial_numbers(contacts):
    # Days since 1899-12-30: 2 days to 1900-01-01, then 125 years of 365 days plus the 31
    # leap days 1904..2024 (1900 was not a leap year): 2 + 45625 + 31 = 45658 = 2025-01-01.
    # 46086 = 2025-01-01 + 365 (2025) + 31 (Jan) + 28 (Feb) + 4 = 2026-03-05.
    values = ["45658", "45658.75", "", "46086.5", "45658.0416666667"]
    result, description = dates(values, source=contacts)
    expected = series(
        [
            "2025-01-01T00:00:00",
            "2025-01-01T18:00:00",  # 0.75 of a day
            "",
            "2026-03-05T12:00:00",
            "2025-01-01T01:00:00",  # 1/24 of a day, float noise rounded away
        ]
    )
    assert_series_equal(result, expected)
    assert description == "Excel serial numbers"


def test_excel_forced(contacts):
    result, description = dates(["1", "2024"], "excel", source=contacts)
    # 1899-12-30 + 1 day = 1899-12-31 (Excel calls it 1900-01-01: its fictitious 1900-02-29
    # shifts serials below 61 by a day). 2024: 2 days to 1900-01-01, 365 + 3 * 365 + 366 to
    # 1905-01-01 (2024 - 2 - 1826 = 196 left), Jan-Jun = 181 days, so July 16th.
    assert_series_equal(result, series(["1899-12-31T00:00:00", "1905-07-16T00:00:00"]))
    assert description == "Excel serial numbers"


def test_iso_dates_with_and_without_offsets(contacts):
    values = [
        "2026-03-05T14:30:00Z",
        "2026-03-05 14:30+0200",
        "2026-03-05T14:30:00.123-05:30",
        "2026-03-05",
        "2026-03-05T14:30",
        "2026-03-05 14:30:00 +01",
    ]
    result, description = dates(values, source=contacts)
    expected = series(
        [
            "2026-03-05T14:30:00+00:00",
            "2026-03-05T14:30:00+02:00",
            "2026-03-05T14:30:00-05:30",  # fraction of a second dropped
            "2026-03-05T00:00:00",
            "2026-03-05T14:30:00",
            "2026-03-05T14:30:00+01:00",
        ]
    )
    assert_series_equal(result, expected)
    assert description == "ISO 8601"


def test_mixed_shapes_each_read_by_its_shape(contacts):
    values = ["2026-03-05", "3/15/2026", "05.03.2026"]
    result, description = dates(values, source=contacts)
    expected = series(["2026-03-05T00:00:00", "2026-03-15T00:00:00", "2026-03-05T00:00:00"])
    assert_series_equal(result, expected)
    assert description == "ISO 8601, D.M.YYYY, M/D/YYYY"


def test_strftime_pattern(contacts):
    result, description = dates(
        ["05/03/2026 14:30", "", "5/3/2026 9:00"], "%d/%m/%Y %H:%M", contacts
    )
    assert_series_equal(result, series(["2026-03-05T14:30:00", "", "2026-03-05T09:00:00"]))
    assert description == "%d/%m/%Y %H:%M"


def test_strftime_pattern_with_offsets(contacts):
    values = ["2026-03-05 14:30 +0200", "2026-03-05 14:30 -0130"]
    result, _ = dates(values, "%Y-%m-%d %H:%M %z", contacts)
    assert_series_equal(result, series(["2026-03-05T14:30:00+02:00", "2026-03-05T14:30:00-01:30"]))


def test_empty_column(contacts):
    result, description = dates(["", ""], source=contacts)
    assert_series_equal(result, series(["", ""]))
    assert description == "empty"


def test_input_is_not_changed(contacts):
    values = series(["3/15/2026", ""])
    parse_dates(values, "auto", source=contacts, column="c")
    assert_series_equal(values, series(["3/15/2026", ""]))


def test_ambiguous_column_as_in_the_readme(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(
        "Record ID,Create Date\n1,03/04/2026\n2,2026-03-01\n3,\n4,05/06/2026\n", encoding="utf-8"
    )
    source = read_export(path)
    with pytest.raises(DataValidationError) as excinfo:
        parse_dates(source.frame["Create Date"], "auto", source=source, column="Create Date")
    assert str(only_problem(excinfo)) == (
        "contacts.csv, column 'Create Date': 2 value(s) could be day-first or month-first, "
        "e.g. '03/04/2026' (lines 2, 5). Fix: set date_format = \"%m/%d/%Y\" or "
        '"%d/%m/%Y" for this column in the mapping file'
    )
    assert excinfo.value.directory == str(tmp_path)


def test_ambiguous_with_times_suggests_patterns_with_times(contacts):
    with pytest.raises(DataValidationError) as excinfo:
        dates(["", "3/4/2026 2:30 PM"], source=contacts)
    problem = only_problem(excinfo)
    assert problem.rows == (3,)
    assert problem.fix == (
        'set date_format = "%m/%d/%Y %I:%M %p" or "%d/%m/%Y %I:%M %p" '
        "for this column in the mapping file"
    )


def test_both_readings_in_one_column(contacts):
    with pytest.raises(DataValidationError) as excinfo:
        dates(["13/04/2026", "01/01/2026", "04/13/2026"], source=contacts)
    problem = only_problem(excinfo)
    assert problem.message == (
        "both day-first and month-first dates occur: 1 value(s) like '13/04/2026' can only "
        "be day-first, 1 like '04/13/2026' only month-first"
    )
    assert problem.rows == (2, 4)


def test_invalid_dates_named_by_their_lines_after_a_multiline_comment():
    source = read_export(MESSY / "multiline_dates.csv")
    values = source.frame["Create Date"]  # 03/15/2026, 02/30/2026, 04/01/2026, 02/29/2025
    with pytest.raises(DataValidationError) as excinfo:
        parse_dates(values, "auto", source=source, column="Create Date")
    problem = only_problem(excinfo)
    assert problem.file == "multiline_dates.csv"
    assert problem.column == "Create Date"
    assert problem.message == "2 value(s) are not valid dates or times, e.g. '02/30/2026'"
    # rows 1 and 3: line 4 (row 0 spans lines 2-3) and line 9 (after a blank line and a
    # three-line comment), not index + 2 = 3 and 5.
    assert (problem.rows, problem.n_rows) == ((4, 9), 2)


def test_a_subset_in_another_order_keeps_its_lines():
    source = read_export(MESSY / "multiline_dates.csv")
    values = source.frame["Create Date"].iloc[[3, 0]]  # 02/29/2025 (line 9), 03/15/2026
    with pytest.raises(DataValidationError, match=r"e\.g\. '02/29/2025' \(line 9\)"):
        parse_dates(values, "auto", source=source, column="Create Date")


@pytest.mark.parametrize(
    "value",
    [
        "31/02/2026",
        "2026-02-30",
        "2026-13-01",
        "29.02.2025",
        "3/15/2026 13:00 PM",
        "2026-03-05 24:00",
        "2026-03-05T10:61",
    ],
)
def test_invalid_dates_and_times(contacts, value):
    with pytest.raises(DataValidationError, match=r"1 value\(s\) are not valid dates or times"):
        dates([value], source=contacts)


@pytest.mark.parametrize("value", ["yesterday", "2026/03/05", "5-3-2026", "March 5, 2026"])
def test_unreadable_dates(contacts, value):
    with pytest.raises(DataValidationError) as excinfo:
        dates(["2026-03-05", value], source=contacts)
    problem = only_problem(excinfo)
    assert problem.message == f"1 value(s) are not dates the import can read, e.g. '{value}'"
    assert problem.rows == (3,)


def test_a_number_among_dates_is_not_an_excel_date(contacts):
    with pytest.raises(DataValidationError, match=r"read, e\.g\. '45658' \(line 3\)"):
        dates(["2026-03-05", "45658"], source=contacts)


def test_four_digit_numbers_are_years_not_serials(contacts):
    with pytest.raises(DataValidationError, match="look like years"):
        dates(["2024", "2025"], source=contacts)


def test_serials_out_of_range(contacts):
    with pytest.raises(DataValidationError, match=r"outside the Excel serial dates.*'20260305'"):
        dates(["45658", "20260305"], source=contacts)


def test_excel_forced_rejects_text(contacts):
    with pytest.raises(DataValidationError, match=r"not Excel serial numbers, e\.g\. '3/5/2026'"):
        dates(["45658", "3/5/2026"], "excel", contacts)


def test_strftime_pattern_mismatch(contacts):
    with pytest.raises(DataValidationError) as excinfo:
        dates(["03/15/2026", "2026-03-15", "02/30/2026"], "%m/%d/%Y", contacts)
    problem = only_problem(excinfo)
    assert problem.message == (
        "2 value(s) do not match the date format '%m/%d/%Y' or are not valid dates, "
        "e.g. '2026-03-15'"
    )
    assert problem.rows == (3, 4)


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decimal", "value", "expected"),
    [
        (".", "$1,200.00", "1200"),
        (".", "(1,200.00)", "-1200"),
        (".", "($1,200.50)", "-1200.5"),
        (".", "1,200.5", "1200.5"),
        (".", "1,234,567.89 USD", "1234567.89"),
        (".", "USD 99", "99"),
        (".", "-$5", "-5"),
        (".", "$-5", "-5"),
        (".", "€0.50", "0.5"),
        (".", "£ 1 200", "1200"),  # space as thousands separator
        (".", "1\u00a0200.25", "1200.25"),  # non-breaking space
        (".", "¥3000", "3000"),
        (".", "US$7", "7"),
        (".", ".5", "0.5"),
        (".", "007", "7"),
        (".", "-0.00", "0"),
        (".", "1.2E+3", "1200"),
        (".", "1.200", "1.2"),  # with decimal ".", a dot is the decimal point
        (",", "1.200,00 €", "1200"),
        (",", "-3,5", "-3.5"),
        (",", "1 200,50", "1200.5"),
        (",", "(1.200,00)", "-1200"),
        (",", "EUR 12", "12"),
        (",", "1.234.567", "1234567"),
    ],
)
def test_numbers(contacts, decimal, value, expected):
    result = parse_numbers(series([value, ""]), decimal, source=contacts, column="Amount")
    assert_series_equal(result, series([expected, ""]))


def test_numbers_keep_index_and_name(contacts):
    values = pd.Series(["$1,200.00", "", "(1200)"], index=[2, 0, 1], name="Amount", dtype=str)
    result = parse_numbers(values, ".", source=contacts, column="Amount")
    expected = pd.Series(["1200", "", "-1200"], index=[2, 0, 1], name="Amount", dtype=str)
    assert_series_equal(result, expected)


def test_decimal_comma_export():
    source = read_export(MESSY / "leads_semicolon.csv")
    result = parse_numbers(source.frame["Amount"], ",", source=source, column="Amount")
    assert_series_equal(result, pd.Series(["1200", "-3.5"], name="Amount", dtype=str))


@pytest.mark.parametrize(
    ("decimal", "value"),
    [
        (".", "1,20"),  # a comma that is not a thousands separator
        (".", "1,2345"),
        (".", "1.200,00"),
        (".", "abc"),
        (".", "12%"),
        (".", "--5"),
        (".", "(5"),
        (".", "-(5)"),
        (".", "5 apples"),
        (".", "1.2.3"),
        (",", "1200.5"),
        (",", "1.20"),
    ],
)
def test_not_numbers(contacts, decimal, value):
    with pytest.raises(DataValidationError) as excinfo:
        parse_numbers(series(["1", value]), decimal, source=contacts, column="Amount")
    problem = only_problem(excinfo)
    assert problem.message.startswith(f"1 value(s) are not numbers, e.g. {value!r}")
    assert (problem.file, problem.column, problem.rows) == ("contacts_bom.csv", "Amount", (3,))


def test_not_a_number_hints_at_the_other_decimal_separator(contacts):
    values = series(["1,20", "x", "1,20"], index=[2, 0, 1])
    with pytest.raises(DataValidationError) as excinfo:
        parse_numbers(values, ".", source=contacts, column="Amount")
    problem = only_problem(excinfo)
    assert problem.message == (
        "3 value(s) are not numbers, e.g. '1,20' (it would be one with decimal = \",\")"
    )
    assert problem.rows == (2, 3, 4)
    assert '[import].decimal = ","' in problem.fix


# --- spellings -----------------------------------------------------------------------------------


def test_spellings_differing_in_case_and_spaces_are_unified():
    values = series(["Google", "google ", " GOOGLE", ""], index=[10, 11, 12, 13])
    result, changes = unify_spellings(values)
    assert_series_equal(result, series(["Google", "Google", "Google", ""], index=[10, 11, 12, 13]))
    # All three spellings occur once: the first in row order wins.
    assert changes == [((" GOOGLE", "Google", "google "), "Google")]


def test_the_most_frequent_spelling_wins():
    values = series(["Paid  search", "paid search", "Organic", "paid search", "Paid Search"])
    result, changes = unify_spellings(values)
    expected = series(["paid search", "paid search", "Organic", "paid search", "paid search"])
    assert_series_equal(result, expected)
    assert changes == [(("Paid  search", "Paid Search", "paid search"), "paid search")]


def test_one_spelling_is_only_tidied():
    values = series(["Paid  Search", "Organic"])
    before = values.copy()
    result, changes = unify_spellings(values)
    assert_series_equal(result, series(["Paid Search", "Organic"]))
    assert changes == []
    assert_series_equal(values, before)


def test_unify_all_empty():
    result, changes = unify_spellings(series(["", ""]))
    assert_series_equal(result, series(["", ""]))
    assert changes == []


def test_a_pattern_that_is_not_a_strftime_pattern(contacts):
    with pytest.raises(DataValidationError, match="the date format '%Q' cannot be used"):
        dates(["2026-03-05"], "%Q", contacts)


def test_repeated_positions_and_missing_cells(contacts):
    # Melted event columns can repeat a row position; NaN from a stacked frame is empty.
    values = pd.Series(["3/15/2026", "", None, "1/2/2026"], index=[1, 1, 0, 2], dtype=object)
    result, _ = parse_dates(values, "auto", source=contacts, column="c")
    expected = series(["2026-03-15T00:00:00", "", "", "2026-01-02T00:00:00"], index=[1, 1, 0, 2])
    assert_series_equal(result, expected)
    amounts = pd.Series(["$1", None, "2"], index=[0, 0, 1], dtype=object)
    numbers = parse_numbers(amounts, ".", source=contacts, column="a")
    assert_series_equal(numbers, series(["1", "", "2"], index=[0, 0, 1]))
