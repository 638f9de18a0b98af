"""Hostile values and identifiers (issue 17): one defect, one exact message, exit 2.

Every case is a copy of tests/data/tiny with one defect, made by one edit, beside the whole
problem line the user must read (file, column, value, lines, fix). Line numbers are worked out
by hand from the tiny files (header = line 1):

- teams.csv: north line 2, south line 3; a row appended is line 4.
- leads.csv: L1 line 2, L2 line 3, L3 line 4, L4 line 5, L5 line 6, L6 line 7; appended: 8.
- lead_events.csv: L1 lines 2-5, L2 6-8, L3 9, L4 10-12, L5 13-20, L6 mql 21, first_touch 22,
  rejected 23.
- opportunities.csv: O1 line 2, O2 line 3, O3 line 4.

tiny's workbook.toml sets ``as_of = "2026-10-01"``: a timestamp on or after 2026-10-01 00:00
(Europe/Berlin wall-clock time) is after the extraction. Each case is checked in-process
(``load_dataset``: the exact problem line, and only it) and through ``workbook validate`` in a
subprocess (exit 2, the same line on stderr, nothing on stdout, no traceback).
"""

from __future__ import annotations

import ast
import math
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from test_validation_corpus import (
    Edit,
    both,
    make_case_dir,
    replace,
    run_workbook,
    write,
)

from helpers.data.schema import TABLES, TARGET_METRICS, team_id_problem
from helpers.data.source import load_dataset
from helpers.errors import DataValidationError, ParameterError
from helpers.metrics.goals import COMPONENTS
from helpers.metrics.headline import KPIS

SRC = Path(__file__).resolve().parents[1] / "src" / "helpers"

TARGETS_HEADER = "team,quarter,metric,target\n"
TOUCHES_HEADER = "lead_id,at,campaign_id,channel\n"
FEEDBACK_HEADER = "lead_id,at,rating,reason,comment\n"
SPEND_HEADER = "month,team,channel,category,amount\n"
TEAM_RULE = (
    "a team id has only ASCII letters (a-z, A-Z), digits, '_', '.' and '-', starts with a "
    "letter or digit, has no '..' and at most 100 characters"
)
AS_OF_FIX = (
    "Fix: correct the timestamps, or set as_of in workbook.toml to the day the data was "
    "extracted (or leave it empty: then it is the day after the latest timestamp)"
)
AMOUNT_BOUND = "has values above 1,000,000,000,000, the largest amount one row may hold"
AMOUNT_FIX = (
    "Fix: check the export for a unit or format error (one deal, month or target above a "
    "trillion is not a real figure); see docs/data-model.md"
)
NOT_FINITE_FIX = "Fix: write the number itself (inf and infinity are not amounts, counts or scores)"
METRICS_LISTED = ", ".join(TARGET_METRICS)


def append_team(team: str) -> Edit:
    return replace(
        "teams.csv",
        "south,South Pod,NA,enterprise\n",
        f"south,South Pod,NA,enterprise\n{team},Extra Pod,EU,smb\n",
    )


def make_folder(name: str) -> Edit:
    def edit(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).mkdir()
        (folder / name / "part-0.csv").write_text("lead_id\n", encoding="utf-8")

    return edit


def broken_link(name: str) -> Edit:
    def edit(folder: Path) -> None:
        (folder / name).unlink()
        os.symlink("export/leads-2026.csv", folder / name)

    return edit


def spend_parquet_too(folder: Path) -> None:
    frame = pd.DataFrame(
        {
            "month": ["2026-07"],
            "team": ["north"],
            "channel": ["paid_search"],
            "category": ["marketing"],
            "amount": ["100"],
        }
    )
    frame.to_parquet(folder / "spend.parquet")
    (folder / "spend.csv").write_text(
        SPEND_HEADER + "2026-07,north,paid_search,marketing,100\n", encoding="utf-8"
    )


@dataclass(frozen=True)
class Case:
    id: str
    edit: Edit
    lines: tuple[str, ...]  # the whole problem lines the user reads, in order


CASES = [
    # --- amounts: finite and at most 1e12 per row ----------------------------------------
    Case(
        "amount-inf",
        replace("opportunities.csv", "lost,500,", "lost,inf,"),
        (
            "opportunities.csv, column 'amount': 1 value(s) are not finite numbers, e.g. 'inf' "
            f"(line 3). {NOT_FINITE_FIX}",
        ),
    ),
    Case(
        "amount-1.7e308",
        replace("opportunities.csv", "lost,500,", "lost,1.7e308,"),
        (
            f"opportunities.csv, column 'amount': {AMOUNT_BOUND} (got '1.7e308') (line 3). "
            f"{AMOUNT_FIX}",
        ),
    ),
    Case(
        "amount-just-above-1e12",
        replace("opportunities.csv", "won,2000,", "won,1000000000001,"),
        (
            f"opportunities.csv, column 'amount': {AMOUNT_BOUND} (got '1000000000001') "
            f"(line 4). {AMOUNT_FIX}",
        ),
    ),
    Case(
        "amount-minus-inf",
        replace("opportunities.csv", "won,1000,", "won,-inf,"),
        (
            "opportunities.csv, column 'amount': 1 value(s) are not finite numbers, e.g. '-inf' "
            f"(line 2). {NOT_FINITE_FIX}",
        ),
    ),
    Case(
        "spend-infinity",
        write(
            "spend.csv",
            SPEND_HEADER + "2026-07,north,paid_search,marketing,100\n"
            "2026-08,north,webinar,marketing,Infinity\n",
        ),
        (
            "spend.csv, column 'amount': 1 value(s) are not finite numbers, e.g. 'Infinity' "
            f"(line 3). {NOT_FINITE_FIX}",
        ),
    ),
    Case(
        "spend-nan",
        write(
            "spend.csv",
            SPEND_HEADER + "2026-07,north,paid_search,marketing,NaN\n",
        ),
        (
            "spend.csv, column 'amount': 1 value(s) are not numbers, e.g. 'NaN' (line 2). "
            "Fix: write plain numbers with a dot as decimal separator and no currency symbol",
        ),
    ),
    Case(
        "spend-above-bound",
        write(
            "spend.csv",
            SPEND_HEADER + "2026-07,north,paid_search,marketing,100\n"
            "2026-08,north,webinar,marketing,2e12\n",
        ),
        (f"spend.csv, column 'amount': {AMOUNT_BOUND} (got '2e12') (line 3). {AMOUNT_FIX}",),
    ),
    Case(
        "spend-negative",
        write("spend.csv", SPEND_HEADER + "2026-07,north,paid_search,marketing,-0.01\n"),
        (
            "spend.csv, column 'amount': has values below 0 (got '-0.01') (line 2). "
            "Fix: amounts and counts cannot be negative",
        ),
    ),
    Case(
        "revenue-above-bound",
        write(
            "revenue.csv",
            "month,account_id,team,recurring_revenue\n2026-07,A1,north,1.5e15\n",
        ),
        (
            f"revenue.csv, column 'recurring_revenue': {AMOUNT_BOUND} (got '1.5e15') (line 2). "
            f"{AMOUNT_FIX}",
        ),
    ),
    Case(
        "target-inf",
        write("targets.csv", TARGETS_HEADER + "north,2026Q3,won_revenue,inf\n"),
        (
            "targets.csv, column 'target': 1 value(s) are not finite numbers, e.g. 'inf' "
            f"(line 2). {NOT_FINITE_FIX}",
        ),
    ),
    # --- scores: 0 to 100 ----------------------------------------------------------------
    Case(
        "score-150",
        replace("leads.csv", "C2,40,", "C2,150,"),
        (
            "leads.csv, column 'score': has values above 100 (got '150') (line 3). "
            "Fix: use values from 0 to 100",
        ),
    ),
    Case(
        "score-minus-1",
        replace("leads.csv", "C3,70,", "C3,-1,"),
        (
            "leads.csv, column 'score': has values below 0 (got '-1') (line 4). "
            "Fix: use values from 0 to 100",
        ),
    ),
    # --- nothing on or after the as-of date of workbook.toml ------------------------------
    Case(
        # A lead of its own (no events), dated exactly at the as-of date: on it is after it.
        "lead-on-as-of",
        replace(
            "leads.csv",
            "south,paid_search,marketing,C1,90,health\n",
            "south,paid_search,marketing,C1,90,health\n"
            "L7,2026-10-01T00:00:00,north,webinar,marketing,C3,50,software\n",
        ),
        (
            "leads.csv, column 'created_at': 1 timestamp(s) are on or after the as-of date "
            f"2026-10-01 of workbook.toml (got '2026-10-01T00:00:00') (line 8). {AS_OF_FIX}",
        ),
    ),
    Case(
        "event-after-as-of",
        replace(
            "lead_events.csv",
            "L6,rejected,2026-08-03T10:00:00",
            "L6,rejected,2026-10-05T10:00:00",
        ),
        (
            "lead_events.csv, column 'at': 1 timestamp(s) are on or after the as-of date "
            f"2026-10-01 of workbook.toml (got '2026-10-05T10:00:00') (line 23). {AS_OF_FIX}",
        ),
    ),
    Case(
        "deal-won-after-as-of",
        replace(
            "opportunities.csv", "won,2000,2026-09-15T10:00:00", "won,2000,2026-10-15T10:00:00"
        ),
        (
            "opportunities.csv, column 'closed_at': 1 timestamp(s) are on or after the as-of "
            f"date 2026-10-01 of workbook.toml (got '2026-10-15T10:00:00') (line 4). {AS_OF_FIX}",
        ),
    ),
    Case(
        "deal-created-after-as-of",
        replace(
            "opportunities.csv",
            "O2,north,2026-07-08T10:00:00,lost,500,2026-09-01T10:00:00",
            "O2,north,2026-11-01T10:00:00,open,500,",
        ),
        (
            "opportunities.csv, column 'created_at': 1 timestamp(s) are on or after the as-of "
            f"date 2026-10-01 of workbook.toml (got '2026-11-01T10:00:00') (line 3). {AS_OF_FIX}",
        ),
    ),
    Case(
        "touch-after-as-of",
        write(
            "touches.csv",
            TOUCHES_HEADER + "L1,2026-06-30T10:00:00,C1,paid_search\n"
            "L2,2026-10-02T08:00:00,C2,paid_social\n",
        ),
        (
            "touches.csv, column 'at': 1 timestamp(s) are on or after the as-of date 2026-10-01 "
            f"of workbook.toml (got '2026-10-02T08:00:00') (line 3). {AS_OF_FIX}",
        ),
    ),
    Case(
        "feedback-after-as-of",
        write(
            "feedback.csv",
            FEEDBACK_HEADER + "L1,2026-07-02T10:00:00,4,good fit,fine\n"
            "L2,2026-12-01T12:00:00,2,no budget,keen\n",
        ),
        (
            "feedback.csv, column 'at': 1 timestamp(s) are on or after the as-of date 2026-10-01 "
            f"of workbook.toml (got '2026-12-01T12:00:00') (line 3). {AS_OF_FIX}",
        ),
    ),
    Case(
        # An offset is converted to Berlin time first: 23:30 UTC on 30 Sep is 01:30 on 1 Oct.
        "offset-crosses-as-of",
        replace(
            "leads.csv",
            "south,paid_search,marketing,C1,90,health\n",
            "south,paid_search,marketing,C1,90,health\n"
            "L7,2026-09-30T23:30:00Z,north,webinar,marketing,C3,50,software\n",
        ),
        (
            "leads.csv, column 'created_at': 1 timestamp(s) are on or after the as-of date "
            f"2026-10-01 of workbook.toml (got '2026-09-30T23:30:00Z') (line 8). {AS_OF_FIX}",
        ),
    ),
    # --- targets only for metrics that have them -------------------------------------------
    Case(
        "target-unknown-metric-typo",
        write(
            "targets.csv",
            TARGETS_HEADER + "north,2026Q3,mqls,100\nnorth,2026Q3,win_rat,0.3\n"
            "south,2026Q3,win_rat,0.25\n",
        ),
        (
            "targets.csv, column 'metric': 'win_rat' is not a metric that has targets "
            f"(lines 3, 4). Fix: did you mean 'win_rate'? use one of {METRICS_LISTED}",
        ),
    ),
    Case(
        "target-unknown-metric-no-match",
        write("targets.csv", TARGETS_HEADER + "*,2026Q3,nps,40\n"),
        (
            "targets.csv, column 'metric': 'nps' is not a metric that has targets (line 2). "
            f"Fix: use one of {METRICS_LISTED}",
        ),
    ),
    # --- one file per table, and a file it is ----------------------------------------------
    Case(
        "spend-csv-and-parquet",
        spend_parquet_too,
        (
            "spend.csv and spend.parquet: both are in data, so it is not clear which holds the "
            "spend. Fix: keep one of them: delete or move the other",
        ),
    ),
    Case(
        "leads-csv-is-a-folder",
        make_folder("leads.csv"),
        (
            "leads.csv: is a folder, not a file. Fix: put the table's file at leads.csv (a CSV "
            "or Parquet file you can read)",
        ),
    ),
    Case(
        # Unreadable for root too (unlike chmod 000): a link whose file is gone.
        "leads-csv-broken-link",
        broken_link("leads.csv"),
        (
            "leads.csv: is a link to export/leads-2026.csv, which does not exist. Fix: put the "
            "table's file at leads.csv (a CSV or Parquet file you can read)",
        ),
    ),
    Case(
        "teams-csv-is-a-folder",
        make_folder("teams.csv"),
        (
            "teams.csv: is a folder, not a file. Fix: put the table's file at teams.csv (a CSV "
            "or Parquet file you can read)",
        ),
    ),
    # --- team ids: the one rule of reports and workshops -----------------------------------
    Case(
        "team-id-all",
        append_team("all"),
        (
            "teams.csv, column 'team': the team id 'all' is reserved: 'all' is the company "
            "(every team together, the report all.html and --team all) (line 4). Fix: rename "
            "the team (e.g. all-regions), in teams.csv and every table that names it",
        ),
    ),
    Case(
        "team-id-All",
        append_team("All"),
        (
            "teams.csv, column 'team': the team id 'All' is reserved: 'all' is the company "
            "(every team together, the report all.html and --team all) (line 4). Fix: rename "
            "the team (e.g. all-regions), in teams.csv and every table that names it",
        ),
    ),
    Case(
        "team-id-dot-dot-slash",
        append_team("../x"),
        (
            "teams.csv, column 'team': 1 team id(s) cannot name a report file (got '../x') "
            f"(line 4). Fix: rename them: {TEAM_RULE} (e.g. emea-ent), in teams.csv and every "
            "table that names them",
        ),
    ),
    Case(
        "team-id-slash",
        append_team("a/b"),
        (
            "teams.csv, column 'team': 1 team id(s) cannot name a report file (got 'a/b') "
            f"(line 4). Fix: rename them: {TEAM_RULE} (e.g. emea-ent), in teams.csv and every "
            "table that names them",
        ),
    ),
    Case(
        "team-id-non-ascii",
        append_team("nörd"),
        (
            "teams.csv, column 'team': 1 team id(s) cannot name a report file (got 'nörd') "
            f"(line 4). Fix: rename them: {TEAM_RULE} (e.g. emea-ent), in teams.csv and every "
            "table that names them",
        ),
    ),
    Case(
        # Reports refuse to render them together: validate refuses them in teams.csv.
        "team-ids-differ-only-in-case",
        append_team("North"),
        (
            "teams.csv, column 'team': team ids 'north' and 'North' differ only in case, so "
            "their reports would overwrite each other on some file systems (lines 2, 4). Fix: "
            "rename one of them (a team id names its report file OUT/<quarter>/<team>.html), in "
            "teams.csv and every table that names it",
        ),
    ),
    Case(
        "team-id-101-characters",
        append_team("t" * 101),
        (
            f"teams.csv, column 'team': 1 team id(s) cannot name a report file (got '{'t' * 101}') "
            f"(line 4). Fix: rename them: {TEAM_RULE} (e.g. emea-ent), in teams.csv and every "
            "table that names them",
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_value_is_refused_with_its_exact_message(tmp_path, case):
    folder = make_case_dir(tmp_path, case.edit)
    with pytest.raises(DataValidationError) as info:
        load_dataset(folder)
    expected = [f"{folder}: {len(case.lines)} problem(s) found", *(f"- {x}" for x in case.lines)]
    assert str(info.value).splitlines() == expected


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_cli_validate_refuses_it_with_exit_2(tmp_path, case):
    folder = make_case_dir(tmp_path, case.edit)
    result = run_workbook("validate", str(folder), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: {folder}: {len(case.lines)} problem(s) found"
    assert lines[1:] == [f"- {x}" for x in case.lines]


# --- values at the edge that load ---------------------------------------------------------------


def test_amount_of_minus_zero_loads_as_zero(tmp_path):
    folder = make_case_dir(tmp_path, replace("opportunities.csv", "lost,500,", "lost,-0,"))
    amounts = load_dataset(folder)["opportunities"]["amount"].tolist()
    assert amounts == [1000.0, 0.0, 2000.0]
    assert math.copysign(1.0, amounts[1]) == 1.0  # +0, never a "-0" in a report


def test_amount_of_exactly_1e12_and_score_of_0_and_100_load(tmp_path):
    folder = make_case_dir(
        tmp_path,
        both(
            replace("opportunities.csv", "won,2000,", "won,1000000000000,"),
            replace("leads.csv", "C2,40,", "C2,0,"),
            replace("leads.csv", "C3,70,", "C3,100,"),
        ),
    )
    dataset = load_dataset(folder)
    assert dataset["opportunities"]["amount"].tolist() == [1000.0, 500.0, 1e12]
    assert dataset["leads"]["score"].tolist()[:3] == [80.0, 0.0, 100.0]


def test_last_second_before_as_of_loads(tmp_path):
    folder = make_case_dir(
        tmp_path,
        replace(
            "leads.csv",
            "south,paid_search,marketing,C1,90,health\n",
            "south,paid_search,marketing,C1,90,health\n"
            "L7,2026-09-30T23:59:59,north,webinar,marketing,C3,50,software\n",
        ),
    )
    assert load_dataset(folder)["leads"]["lead_id"].tolist()[-1] == "L7"


def test_open_deal_may_carry_an_expected_close_date_after_as_of(tmp_path):
    # closed_at is ignored on an open deal (an expected close date in many CRMs).
    folder = make_case_dir(
        tmp_path,
        replace(
            "opportunities.csv", "lost,500,2026-09-01T10:00:00", "open,500,2026-12-01T10:00:00"
        ),
    )
    assert load_dataset(folder)["opportunities"]["status"].tolist() == ["won", "open", "won"]


def test_without_as_of_late_timestamps_move_the_as_of_date(tmp_path):
    # No as_of set: nothing is "after" it; the as-of date is the day after the latest stamp.
    folder = make_case_dir(
        tmp_path,
        both(
            write("workbook.toml", 'timezone = "Europe/Berlin"\n'),
            replace(
                "opportunities.csv", "won,2000,2026-09-15T10:00:00", "won,2000,2026-10-15T10:00:00"
            ),
        ),
    )
    assert load_dataset(folder).as_of == pd.Timestamp("2026-10-16")


def test_every_known_target_metric_loads(tmp_path):
    rows = "".join(f"*,2026Q3,{m},1\n" for m in TARGET_METRICS)
    folder = make_case_dir(tmp_path, write("targets.csv", TARGETS_HEADER + rows))
    assert load_dataset(folder)["targets"]["metric"].tolist() == list(TARGET_METRICS)


def test_target_metrics_are_the_kpis_and_the_alignment_components():
    assert set(TARGET_METRICS) == set(KPIS) | set(COMPONENTS)
    assert len(TARGET_METRICS) == len(set(KPIS) | set(COMPONENTS))


def test_every_metric_the_code_asks_a_target_for_is_a_target_metric():
    # Every literal in .target("...") and target_for(..., "...") in the package.
    asked = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in ("target", "target_for"):
                asked |= {
                    a.value
                    for a in node.args
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                }
    # The alignment index reads every component's target in a loop over COMPONENTS, the KPI
    # table every KPI's (analysis/workbook.py), both through TeamQuarter.target.
    assert asked == {"won_revenue", "pipeline_created", "marketing_pipeline_share"}
    assert asked | set(COMPONENTS) | set(KPIS) <= set(TARGET_METRICS)


def test_every_amount_column_is_bounded_and_score_is_0_to_100():
    bounded = {
        (t.name, c.name): (c.min_value, c.max_value)
        for t in TABLES.values()
        for c in t.columns
        if c.kind == "float"
    }
    assert bounded == {
        ("leads", "score"): (0.0, 100.0),
        ("opportunities", "amount"): (0, 1e12),
        ("spend", "amount"): (0, 1e12),
        ("revenue", "recurring_revenue"): (0, 1e12),
        ("targets", "target"): (None, 1e12),  # a negative target has its own message
    }


# --- one rule for team ids: validate, reports and workshops --------------------------------------


@pytest.mark.parametrize(
    ("team", "expected"),
    [
        ("emea-ent", None),
        ("a.b_c-1", None),
        ("all", "reserved"),
        ("ALL", "reserved"),
        ("../x", "unsafe"),
        ("a/b", "unsafe"),
        ("a..b", "unsafe"),
        ("nörd", "unsafe"),
        ("-x", "unsafe"),
        ("", "unsafe"),
        ("t" * 100, None),
        ("t" * 101, "unsafe"),
        ("north\n", "unsafe"),
    ],
    ids=repr,
)
def test_team_id_rule(team, expected):
    assert team_id_problem(team) == expected


def test_reports_refuse_what_validate_refuses():
    from helpers.reports.jobs import check_team

    assert check_team("all") == "all"  # the company, as a parameter
    for team in ("../x", "a/b", "nörd", "t" * 101):
        with pytest.raises(ParameterError) as info:
            check_team(team)
        assert str(info.value) == (
            f"team {team!r} cannot be used as a report name; {TEAM_RULE} "
            "(e.g. emea-ent, or all for the company roll-up)."
        )
    with pytest.raises(ParameterError) as info:
        check_team("All")
    assert str(info.value) == (
        "team 'All' cannot be used as a report name; 'all' (in lower case) is the company "
        "roll-up, never a team."
    )


# --- session names map to report folders one to one ----------------------------------------------


def _store_with(folder: Path, *sessions: str) -> None:
    from helpers.training.answer_store import AnswerStore, store_path

    with AnswerStore(store_path(folder)) as store:
        for session in sessions:
            store.join(session, "Ana", "sales", "north")


COLLISION = (
    "Workshop session 'lisbon-1' and session 'Lisbon 1' in data/workshop.sqlite would share "
    "the session-report folder workshops/lisbon-1/ (names that differ only in case, spaces or "
    "punctuation map to one folder). Fix: use the name 'Lisbon 1' to continue that session, or "
    "a name that differs in its letters or digits (e.g. add '(day 2)')."
)


def test_session_report_refuses_two_sessions_of_one_folder(tmp_path):
    folder = make_case_dir(tmp_path, lambda f: _store_with(f, "Lisbon 1", "lisbon-1"))
    out = tmp_path / "out"
    result = run_workbook(
        "session-report", "lisbon-1", "--data", str(folder), "--out", str(out), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.splitlines() == [f"error: {COLLISION}"]
    assert not out.exists()  # nothing written, nothing overwritten


def test_session_report_refuses_a_folder_of_another_session(tmp_path):
    # Another data folder rendered "Lisbon 1" into the same --out before.
    folder = make_case_dir(tmp_path, lambda f: _store_with(f, "lisbon-1"))
    out = tmp_path / "out"
    session_dir = out / "workshops" / "lisbon-1"
    session_dir.mkdir(parents=True)
    record = '{"session": "Lisbon 1", "teams": []}\n'
    (session_dir / "session.json").write_text(record, encoding="utf-8")
    result = run_workbook(
        "session-report", "lisbon-1", "--data", str(folder), "--out", str(out), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"error: Workshop session 'lisbon-1' and session 'Lisbon 1' in {session_dir}/session.json "
        "would share the session-report folder workshops/lisbon-1/ (names that differ only in "
        "case, spaces or punctuation map to one folder). Fix: use the name 'Lisbon 1' to "
        "continue that session, or a name that differs in its letters or digits (e.g. add "
        "'(day 2)')."
    ]
    assert (session_dir / "session.json").read_text(encoding="utf-8") == record
    assert sorted(p.name for p in session_dir.iterdir()) == ["session.json"]


def test_workshop_refuses_to_start_a_second_session_of_one_folder(tmp_path):
    from helpers.training.session import Workshop

    folder = make_case_dir(tmp_path, lambda f: _store_with(f, "Lisbon 1"))
    with pytest.raises(ParameterError) as info:
        Workshop(folder, "lisbon-1")
    assert str(info.value) == COLLISION
    # The same session again is no collision: a restarted workshop carries on.
    workshop = Workshop(folder, "Lisbon 1")
    workshop.close()


def test_workshop_command_refuses_it_before_serving(tmp_path):
    folder = make_case_dir(tmp_path, lambda f: _store_with(f, "Lisbon 1"))
    result = run_workbook(
        "workshop",
        "--session",
        "lisbon-1",
        "--data",
        str(folder),
        "--port",
        "8917",
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.splitlines() == [f"error: {COLLISION}"]
