"""Malformed-input corpus (SPEC §1 validation, §6 reliability): one defect, one clear message.

Every case is a copy of tests/data/tiny with exactly one defect, made in the test by one edit
of one file, so the defect sits next to the message it must produce. Line numbers are worked
out by hand from the tiny files (header = line 1):

- leads.csv: L1 line 2, L2 line 3, L3 line 4, L4 line 5, L5 line 6, L6 line 7.
- lead_events.csv: L1 mql 2, first_touch 3, accepted 4, sql 5; L2 mql 6, first_touch 7,
  rejected "no budget" 8; L3 mql 9; L4 first_touch 10 …
- opportunities.csv: O1 line 2, O2 line 3, O3 line 4.

Most cases are checked in-process through ``load_dataset``; a representative subset, the cases
that load despite the oddity, and every parameter case also run ``workbook`` in a subprocess to
check the exit code, the printed message and that no traceback reaches the user.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.data.source import load_dataset
from helpers.errors import ConfigError, DataValidationError, ParameterError

TINY = Path(__file__).parent / "data" / "tiny"
# `python -m helpers.cli` has no __main__ entry, so call the installed console script.
WORKBOOK = Path(sys.executable).parent / "workbook"
if not WORKBOOK.exists():  # pragma: no cover - an environment without the venv's bin layout
    WORKBOOK = Path(shutil.which("workbook") or "workbook")

Edit = Callable[[Path], None]


# --- edits: each changes one file of a copy of tiny --------------------------------------------


def replace(file: str, old: str, new: str) -> Edit:
    """Replace the first ``old`` in ``file``; fails loudly if ``old`` is not there."""

    def edit(folder: Path) -> None:
        path = folder / file
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {file}: the case would test nothing"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def write(file: str, text: str) -> Edit:
    def edit(folder: Path) -> None:
        (folder / file).write_text(text, encoding="utf-8")

    return edit


def write_bytes(file: str, make: Callable[[bytes], bytes]) -> Edit:
    def edit(folder: Path) -> None:
        path = folder / file
        path.write_bytes(make(path.read_bytes()))

    return edit


def delete(file: str) -> Edit:
    def edit(folder: Path) -> None:
        (folder / file).unlink()

    return edit


def drop_column(file: str, column: str) -> Edit:
    def edit(folder: Path) -> None:
        path = folder / file
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        at = rows[0].index(column)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(r[:at] + r[at + 1 :] for r in rows)
        path.write_text(out.getvalue(), encoding="utf-8")

    return edit


def add_to_config(text: str) -> Edit:
    def edit(folder: Path) -> None:
        path = folder / "workbook.toml"
        path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")

    return edit


def both(*edits: Edit) -> Edit:
    def edit(folder: Path) -> None:
        for one in edits:
            one(folder)

    return edit


def make_case_dir(tmp_path: Path, edit: Edit) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(TINY, folder)
    edit(folder)
    return folder


def run_workbook(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(WORKBOOK), *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


# --- the corpus of rejected data ----------------------------------------------------------------

LEADS_HEADER = "lead_id,created_at,team,channel,source_type,campaign_id,score,industry\n"
SQL_BEFORE_MQL = replace(
    "lead_events.csv", "L1,sql,2026-07-03T09:00:00", "L1,sql,2026-07-01T09:30:00"
)
FEEDBACK_HEADER = "lead_id,at,rating,reason,comment\n"


@dataclass(frozen=True)
class Case:
    id: str
    edit: Edit
    expected: tuple[str, ...]  # each must appear in the message the user reads
    n_errors: int = 1  # one defect, one finding (unless the defect breaks several rules)
    cli: bool = False  # also run `workbook validate` in a subprocess


REJECTED = [
    Case(
        "missing-required-column",
        drop_column("leads.csv", "created_at"),
        (
            "leads.csv, column 'created_at': required column(s) missing",
            "the header has: lead_id, team, channel, source_type, campaign_id, score, industry",
            "Fix: add the column(s) created_at",
        ),
        cli=True,
    ),
    Case(
        "unparsable-date",
        replace("leads.csv", "L3,2026-07-02T10:00:00", "L3,2026-13-45"),
        (
            "leads.csv, column 'created_at': 1 value(s) are not ISO 8601 timestamps",
            "e.g. '2026-13-45' (line 4)",
            "Fix: write timestamps like 2026-07-01T09:30:00",
        ),
        cli=True,
    ),
    Case(
        "duplicate-key",
        replace("leads.csv", "L4,", "L2,"),
        (
            "leads.csv, column 'lead_id': has duplicate keys (got 'L2') (lines 3, 5)",
            "Fix: give each row its own 'lead_id' or remove the duplicates",
        ),
        cli=True,
    ),
    Case(
        "orphan-event",
        replace("lead_events.csv", "L3,mql", "L9,mql"),
        (
            "lead_events.csv, column 'lead_id': 1 value(s) do not exist in leads.csv "
            "(e.g. 'L9') (line 9)",
            "Fix: add them to leads.csv or correct the values",
        ),
    ),
    Case(
        "unknown-team-in-leads",
        replace("leads.csv", "2026-08-03T09:00:00,south", "2026-08-03T09:00:00,west"),
        (
            "leads.csv, column 'team': 1 value(s) do not exist in teams.csv (e.g. 'west') (line 7)",
            "Fix: add them to teams.csv or correct the values",
        ),
    ),
    Case(
        "negative-amount",
        replace("opportunities.csv", "lost,500,", "lost,-500,"),
        (
            "opportunities.csv, column 'amount': has values below 0 (got '-500') (line 3)",
            "Fix: amounts and counts cannot be negative",
        ),
    ),
    Case(
        "sql-before-mql-as-error",
        both(SQL_BEFORE_MQL, add_to_config('[validation]\nout_of_order = "error"\n')),
        (
            "lead_events.csv, column 'at': 1 lead(s) have 'sql' before their first 'mql' (line 5)",
            "lead_events.csv, column 'at': 1 lead(s) have 'sql' before their first 'accepted' "
            "(line 5)",
            'Fix: correct the timestamps or set validation.out_of_order = "flag"',
        ),
        n_errors=2,  # L1's sql is before both its mql and its acceptance
        cli=True,
    ),
    Case(
        "rejected-without-reason",
        replace("lead_events.csv", "sdr_2,no budget", "sdr_2,"),
        (
            "lead_events.csv, column 'reason': 1 rejected or recycled event(s) have no reason "
            "(line 8)",
            "Fix: give every rejected and recycled event a reason",
        ),
    ),
    Case(
        "unknown-event-name",
        replace("lead_events.csv", "L3,mql", "L3,marketing_qualified"),
        (
            "lead_events.csv, column 'event': unknown event name(s) 'marketing_qualified' (line 9)",
            "map your names in workbook.toml under [events]",
        ),
    ),
    Case(
        "empty-required-file",
        write("leads.csv", ""),
        (
            "leads.csv: the file is empty",
            "Fix: write a header line with the columns lead_id, created_at, team, channel, "
            "source_type",
        ),
        cli=True,
    ),
    Case(
        "header-only-required-file",
        write("leads.csv", LEADS_HEADER),
        ("leads.csv: has a header but no rows", "Fix: add at least one row"),
    ),
    Case(
        "semicolon-delimiter",
        write_bytes("leads.csv", lambda b: b.replace(b",", b";")),
        (
            "leads.csv: columns are separated by semicolons, not commas",
            "Fix: save the file as comma-separated CSV",
        ),
    ),
    Case(
        "required-table-missing",
        delete("teams.csv"),
        (
            "teams.csv: required table is missing",
            "Fix: add teams.csv (or teams.parquet) to data",
        ),
        cli=True,
    ),
    Case(
        # Without leads.csv the data set would be opportunity-only, but its events are left
        # pointing at leads that are not there.
        "events-without-leads",
        delete("leads.csv"),
        (
            "lead_events.csv: lead events are here but their leads are not",
            "Fix: add leads.csv (one row per lead the events refer to), or remove lead_events.csv",
        ),
        cli=True,
    ),
    Case(
        "status-outside-allowed",
        replace("opportunities.csv", "lost,500,", "pending,500,"),
        (
            "opportunities.csv, column 'status': has values outside open, won, lost "
            "(got 'pending') (line 3)",
            "Fix: use only open, won, lost",
        ),
    ),
    Case(
        "won-without-closed-at",
        replace("opportunities.csv", "won,1000,2026-08-03T10:00:00", "won,1000,"),
        (
            "opportunities.csv, column 'closed_at': 1 won or lost opportunities have no close "
            "date (line 2)",
            "Fix: add a closed_at timestamp to every won and lost opportunity",
        ),
    ),
    Case(
        "closed-before-created",
        replace(
            "opportunities.csv", "won,2000,2026-09-15T10:00:00", "won,2000,2026-08-01T10:00:00"
        ),
        (
            "opportunities.csv, column 'closed_at': 1 opportunities close before they were "
            "created (line 4)",
            "Fix: correct created_at or closed_at",
        ),
    ),
    Case(
        "malformed-quarter-in-targets",
        write(
            "targets.csv",
            "team,quarter,metric,target\n"
            "north,2026Q3,sla_compliance,0.8\n"
            "north,2026Q5,mql_acceptance,0.6\n",
        ),
        (
            "targets.csv, column 'quarter': 1 value(s) are not well formed, e.g. '2026Q5' (line 3)",
            "Fix: write values like 2026Q3",
        ),
    ),
    Case(
        "unknown-team-in-targets",
        write(
            "targets.csv",
            "team,quarter,metric,target\n*,2026Q3,sla_compliance,0.8\nwest,2026Q3,win_rate,0.3\n",
        ),
        (
            "targets.csv, column 'team': 1 value(s) do not exist in teams.csv (e.g. 'west') "
            "(line 3)",
        ),
    ),
    Case(
        "duplicate-target",
        write(
            "targets.csv",
            "team,quarter,metric,target\n"
            "north,2026Q3,mqls,100\n"
            "*,2026Q3,mqls,80\n"
            "north,2026Q3,mqls,120\n",
        ),
        # north's two mqls rows are lines 2 and 4; the * row on line 3 is another key.
        (
            "targets.csv, column 'team, quarter, metric': 2 rows for team 'north', quarter "
            "2026Q3, metric 'mqls' (got targets '100', '120') (lines 2, 4)",
            "Fix: keep one row per team, quarter and metric",
        ),
        cli=True,
    ),
    Case(
        "negative-target",
        write(
            "targets.csv",
            "team,quarter,metric,target\n*,2026Q3,mqls,80\nnorth,2026Q3,cac,-500\n",
        ),
        (
            "targets.csv, column 'target': 1 target(s) are negative (got '-500') (line 3)",
            "Fix: targets cannot be negative: write a target of 0 or more",
        ),
    ),
    Case(
        "spend-month-without-zero",
        write(
            "spend.csv",
            "month,team,channel,category,amount\n"
            "2026-07,north,paid_search,marketing,100\n"
            "2026-7,north,paid_search,marketing,100\n",
        ),
        (
            "spend.csv, column 'month': 1 value(s) are not well formed, e.g. '2026-7' (line 3)",
            "Fix: write values like 2026-07",
        ),
    ),
    Case(
        "rating-out-of-range",
        write(
            "feedback.csv",
            FEEDBACK_HEADER + "L1,2026-07-02T10:00:00,4,good fit,fine\n"
            "L2,2026-07-03T12:00:00,7,no budget,keen\n",
        ),
        (
            "feedback.csv, column 'rating': has values above 5 (got '7') (line 3)",
            "Fix: use values from 1 to 5",
        ),
    ),
    Case(
        "multiline-comment-before-bad-row",
        write(
            "feedback.csv",
            FEEDBACK_HEADER + 'L1,2026-07-02T10:00:00,4,good fit,"called twice,\nthen booked"\n'
            "L2,2026-07-03T12:00:00,7,no budget,keen\n",
        ),
        # The L2 row is on line 4, not 3: the quoted comment of L1 spans lines 2-3.
        ("feedback.csv, column 'rating': has values above 5 (got '7') (line 4)",),
        cli=True,
    ),
    Case(
        "blank-lines-before-bad-row",
        replace("leads.csv", "L3,2026-07-02T10:00:00", "\n\nL3,2026-99-02T10:00:00"),
        # L3 moves from line 4 to line 6: blank lines are skipped but still counted.
        ("leads.csv, column 'created_at'", "e.g. '2026-99-02T10:00:00' (line 6)"),
    ),
    Case(
        "row-with-extra-field",
        replace("leads.csv", "C3,70,software", "C3,70,soft,ware"),
        (
            "leads.csv: has 1 row(s) with more fields than the 8 columns of the header (line 4)",
            "must be in double quotes",
        ),
    ),
    Case(
        "extra-field-after-multiline-field",
        write(
            "feedback.csv",
            FEEDBACK_HEADER + 'L1,2026-07-02T10:00:00,4,good fit,"called twice\nthen booked"\n'
            "L2,2026-07-03T12:00:00,2,no budget,keen,again\n",
        ),
        # pandas alone would say "line 3"; the user sees the row on line 4.
        ("feedback.csv: has 1 row(s) with more fields than the 5 columns of the header (line 4)",),
    ),
    Case(
        "header-one-name-short",
        replace("lead_events.csv", "lead_id,event,at,actor,reason", "lead_id,event,at,actor"),
        # pandas would silently shift the columns (first column as index): say so instead.
        (
            "lead_events.csv: has 22 row(s) with more fields than the 4 columns of the header "
            "(lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 12 more)",
            "name every column in the header",
        ),
    ),
    Case(
        "unclosed-quote",
        replace(
            "leads.csv", "L3,2026-07-02T10:00:00,north,webinar", 'L3,2026-07-02T10:00:00,north,"web'
        ),
        ("leads.csv: has a double quote that is never closed (line 4)",),
    ),
    Case(
        "repeated-column-name",
        replace("leads.csv", ",industry\n", ",team\n"),
        (
            "leads.csv, column 'team': the header names the column(s) more than once (line 1)",
            "Fix: keep one column per name",
        ),
    ),
    Case(
        "unnamed-column-with-values",
        replace("leads.csv", ",industry\n", ",\n"),
        (
            "leads.csv: the header leaves column(s) 8 without a name, and they hold values "
            "(line 1)",
            "Fix: name every column in the header, or delete the unnamed column",
        ),
        cli=True,
    ),
    Case(
        "not-utf8",
        write_bytes("leads.csv", lambda b: b.replace(b"retail", b"d\xe9tail", 1)),
        ("leads.csv: is not UTF-8 text", "Fix: save the file as UTF-8"),
    ),
    Case(
        "empty-required-cell",
        replace("leads.csv", "2026-08-03T09:00:00,south", "2026-08-03T09:00:00,"),
        ("leads.csv, column 'team': has empty cells (line 7)", "Fix: fill in 'team' on every row"),
    ),
    Case(
        "score-not-a-number",
        replace("leads.csv", "C2,40,", "C2,forty,"),
        ("leads.csv, column 'score': 1 value(s) are not numbers, e.g. 'forty' (line 3)",),
    ),
]


@pytest.mark.parametrize("case", REJECTED, ids=[c.id for c in REJECTED])
def test_defect_is_rejected_with_its_message(tmp_path, case):
    folder = make_case_dir(tmp_path, case.edit)
    with pytest.raises(DataValidationError) as info:
        load_dataset(folder)
    message = str(info.value)
    for text in case.expected:
        assert text in message
    errors = [p for p in info.value.problems if p.severity == "error"]
    assert len(errors) == case.n_errors, message
    assert message.startswith(f"{folder}: {case.n_errors} problem(s) found")


CLI_CASES = [c for c in REJECTED if c.cli]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_cli_validate_prints_the_message_and_exits_2(tmp_path, case):
    folder = make_case_dir(tmp_path, case.edit)
    result = run_workbook("validate", str(folder), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""  # no summary of a data set that failed
    for text in case.expected:
        assert text in result.stderr


def test_invalid_config_names_the_key(tmp_path):
    folder = make_case_dir(tmp_path, write("workbook.toml", "fiscal_year_start_month = 13\n"))
    expected = (
        "workbook.toml: key 'fiscal_year_start_month' is 13; expected a whole number from 1 to 12."
    )
    with pytest.raises(ConfigError, match="fiscal_year_start_month") as info:
        load_dataset(folder)
    assert str(info.value) == expected

    result = run_workbook("validate", str(folder), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert expected in result.stderr


# --- oddities that load ------------------------------------------------------------------------


def test_byte_order_mark_loads_fine(tmp_path):
    folder = make_case_dir(tmp_path, write_bytes("leads.csv", lambda b: b"\xef\xbb\xbf" + b))
    assert (folder / "leads.csv").read_bytes().startswith(b"\xef\xbb\xbflead_id,")
    dataset = load_dataset(folder)
    assert list(dataset["leads"].columns[:2]) == ["lead_id", "created_at"]
    assert dataset["leads"]["lead_id"].tolist() == ["L1", "L2", "L3", "L4", "L5", "L6"]

    result = run_workbook("validate", str(folder), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{folder}: valid" in result.stdout
    assert "leads                   6  (leads.csv)" in result.stdout


def test_out_of_order_events_are_flagged_by_default(tmp_path):
    folder = make_case_dir(tmp_path, SQL_BEFORE_MQL)
    dataset = load_dataset(folder)
    warnings = [str(p) for p in dataset.anomalies if p.severity == "warning"]
    assert len(warnings) == 2
    assert warnings[0].startswith(
        "lead_events.csv, column 'at': 1 lead(s) have 'sql' before their first 'mql' (line 5)"
    )
    # Already flagged: the fix points to the setting that would reject it, not to "flag".
    assert 'set validation.out_of_order = "error"' in warnings[0]

    result = run_workbook("validate", str(folder), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "flagged anomalies (2):" in result.stdout
    assert (
        "  - lead_events.csv, column 'at': 1 lead(s) have 'sql' before their first 'mql' "
        "(line 5)" in result.stdout
    )


def test_event_mapping_in_config_fixes_unknown_event_name(tmp_path):
    folder = make_case_dir(
        tmp_path,
        both(
            replace("lead_events.csv", "L3,mql", "L3,marketing_qualified"),
            add_to_config('[events]\nmarketing_qualified = "mql"\n'),
        ),
    )
    events = load_dataset(folder)["lead_events"]
    assert events.loc[events["lead_id"] == "L3", "event"].tolist() == ["mql"]


# --- parameters: checked before anything is rendered -------------------------------------------


@pytest.fixture
def notebook(tmp_path) -> Path:
    # An existing (empty) notebook, so that the only thing wrong is the parameter under test.
    path = tmp_path / "report.ipynb"
    path.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    return path


PARAMETER_CASES = [
    pytest.param(
        ["--quarter", "2031Q1"],
        "quarter 2031Q1 is not in the data, which covers 2026Q2 to 2026Q3",
        id="quarter-not-in-data",
    ),
    pytest.param(
        ["--quarter", "2026Q5"],
        "quarter '2026Q5' is not well formed; write it as year and quarter, e.g. 2026Q3",
        id="quarter-q5",
    ),
    pytest.param(
        ["--quarter", "../2026Q3"],
        "quarter '../2026Q3' is not well formed",
        id="quarter-path-traversal",
    ),
    pytest.param(
        ["--quarter", "2026Q3", "--team", "../etc"],
        "team '../etc' is not in teams.csv; use one of: all, north, south.",
        id="team-path-traversal",
    ),
    pytest.param(
        ["--quarter", "2026Q3", "--team", "a/b"],
        "team 'a/b' is not in teams.csv",
        id="team-slash",
    ),
    pytest.param(
        ["--quarter", "2026Q3", "--team", "x'y"],
        'team "x\'y" is not in teams.csv',
        id="team-quote",
    ),
    pytest.param(
        ["--quarter", "2026Q3", "--team", "north", "--team", "../etc"],
        "team '../etc' is not in teams.csv",
        id="good-team-then-bad-team",
    ),
]


@pytest.mark.parametrize(("args", "expected"), PARAMETER_CASES)
def test_reports_rejects_bad_parameter_before_rendering(tmp_path, notebook, args, expected):
    out = tmp_path / "out"
    result = run_workbook(
        "reports",
        "--data",
        str(TINY),
        "--out",
        str(out),
        "--notebook",
        str(notebook),
        *args,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert f"error: {expected}" in result.stderr
    assert not out.exists()  # stopped before rendering anything


@pytest.mark.parametrize(
    ("quarter", "expected"),
    [
        ("2031Q1", "quarter 2031Q1 is not in the data"),
        ("2026Q5", "quarter '2026Q5' is not well formed"),
        ("../2026Q3", "quarter '../2026Q3' is not well formed"),
    ],
    ids=["not-in-data", "q5", "path-traversal"],
)
def test_quarter_parameter_is_checked(quarter, expected):
    with pytest.raises(ParameterError) as info:
        load_dataset(TINY).quarter(quarter)
    assert expected in str(info.value)


@pytest.mark.parametrize("team", ["../etc", "a/b", "x'y", "North", ""], ids=repr)
def test_team_parameter_is_checked(team):
    with pytest.raises(ParameterError) as info:
        load_dataset(TINY).check_team(team)
    assert str(info.value) == f"team {team!r} is not in teams.csv; use one of: all, north, south."


def test_an_empty_unnamed_trailing_column_is_dropped(tmp_path):
    # A spreadsheet's extra comma: an unnamed last column with no values loads as if absent.
    def trailing_comma(folder: Path) -> None:
        path = folder / "teams.csv"
        lines = path.read_text().splitlines()
        path.write_text("".join(line + ",\n" for line in lines))

    dataset = load_dataset(make_case_dir(tmp_path, trailing_comma))
    assert list(dataset["teams"].columns) == ["team", "name", "region", "segment"]
    assert dataset.teams == ["north", "south"]
