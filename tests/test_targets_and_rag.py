"""Targets and RAG status: one rule, the same answer in the headline, the CLI and the quiz.

Issue 14: an untested copy of the RAG rule fed the reports, ``workbook metrics`` and the talking
points, and disagreed with :func:`helpers.metrics.goals.rag_status` on duplicate, zero and
negative targets. Here every surface is asked about the same team-quarters and must give the
statuses worked out by hand below; duplicate and negative targets are refused by validation.

The data is a copy of tests/data/tiny (hand-computed, see tests/test_metrics_funnel.py) with
this targets.csv (header = line 1)::

    line 2  *,2026Q3,sla_compliance,0.9
    line 3  north,2026Q3,sla_compliance,0.5        north's own row overrides the * row
    line 4  *,2026Q3,mql_acceptance,0.8            north has only the * row
    line 5  south,2026Q3,mql_acceptance,0.1        south's own row overrides it
    line 6  north,2026Q3,mqls,0                    a target of 0, higher is better
    line 7  north,2026Q3,speed_to_lead_hours,4.75  lower is better
    line 8  north,2026Q3,won_revenue,2000
    line 9  north,2026Q2,won_revenue,1             another quarter: never read for 2026Q3

Actual values in 2026Q3 (1 Jul - 30 Sep 2026; SLA 8 business hours, 09:00-17:00 Mon-Fri):

- north (tests/test_metrics_funnel.py): MQLs L1, L2, L3, L5 = 4; responses L1 2 h, L2 16 h,
  L5 5 h, L3 untouched, so SLA compliance 2/4 and median speed to lead 5 h; acceptance 2/3
  (L1, L5 accepted, L2 rejected); MQL->SQL 2/4; pipeline O1 1000 + O2 500 = 1500; won O1 1000,
  1 won deal; win rate 1/2; no spend table, so CAC n/a.
- south: L6 MQL Mon 3 Aug 09:00 (1 Jul 2026 is a Wednesday, +33 days), first touch 09:30:
  0.5 business hours, so SLA 1/1 and median 0.5 h; L6 rejected, so acceptance 0/1 and MQL->SQL
  0/1; O3 created 10 Aug and won 15 Sep for 2000: pipeline 2000, won 2000 (1 won deal), win
  rate 1/1.

Default RAG bands (workbook_defaults.toml): green at attainment >= 1.0, amber >= 0.9.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TINY

from helpers import Workbook
from helpers.data.config import config_from_dict
from helpers.data.loading import SourceFile
from helpers.data.schema import TABLES
from helpers.data.validation import check_targets
from helpers.errors import ParameterError
from helpers.metrics.goals import actual_vs_target, target_for, targets_for

QUARTER = "2026Q3"
INF = math.inf
NAN = math.nan

TARGETS_CSV = (
    "team,quarter,metric,target\n"
    "*,2026Q3,sla_compliance,0.9\n"
    "north,2026Q3,sla_compliance,0.5\n"
    "*,2026Q3,mql_acceptance,0.8\n"
    "south,2026Q3,mql_acceptance,0.1\n"
    "north,2026Q3,mqls,0\n"
    "north,2026Q3,speed_to_lead_hours,4.75\n"
    "north,2026Q3,won_revenue,2000\n"
    "north,2026Q2,won_revenue,1\n"
)

# The actual values of the module docstring, written out by hand (NaN: CAC without spend).
ACTUALS = {
    "north": {
        "mqls": 4.0,
        "sla_compliance": 2 / 4,
        "speed_to_lead_hours": 5.0,
        "mql_acceptance": 2 / 3,
        "mql_to_sql": 2 / 4,
        "pipeline_created": 1500.0,
        "won_revenue": 1000.0,
        "won_deals": 1.0,
        "win_rate": 1 / 2,
        "cac": NAN,
        # Leads created in Q3: L1, L2, L3, L4; O1 won from L1: 1 / 4.
        "lead_to_customer": 1 / 4,
        "bookings_growth": NAN,
        "customer_retention": NAN,
        "marketing_roi": NAN,
    },
    "south": {
        "mqls": 1.0,
        "sla_compliance": 1 / 1,
        "speed_to_lead_hours": 0.5,
        "mql_acceptance": 0 / 1,
        "mql_to_sql": 0 / 1,
        "pipeline_created": 2000.0,
        "won_revenue": 2000.0,
        "won_deals": 1.0,
        "win_rate": 1 / 1,
        "cac": NAN,
        # L6 created in Q3 (1 lead); O3, won, has no lead: 0 / 1. No deal a year before, no
        # revenue or spend table: the other three scorecard KPIs are n/a.
        "lead_to_customer": 0.0,
        "bookings_growth": NAN,
        "customer_retention": NAN,
        "marketing_roi": NAN,
    },
}
LOWER_IS_BETTER = {"speed_to_lead_hours": "lower", "cac": "lower"}

# metric -> (target, attainment, rag), worked out by hand from the targets and actuals above.
NO_TARGET = (NAN, NAN, "none")
# The scorecard KPIs besides CAC (tests/test_scorecard_targets.py): no target here.
SCORECARD_WITHOUT_TARGETS = {
    m: NO_TARGET
    for m in ("lead_to_customer", "bookings_growth", "customer_retention", "marketing_roi")
}
EXPECTED = {
    "north": {
        # Target 0, higher is better, actual 4 above it: attainment +inf, green.
        "mqls": (0.0, INF, "green"),
        # north's row (0.5) wins over the * row (0.9): 0.5 / 0.5 = 1.0, green
        # (the * row would have given 0.5 / 0.9 = 0.56, red).
        "sla_compliance": (0.5, 1.0, "green"),
        # Lower is better: 4.75 / 5 = 0.95, amber.
        "speed_to_lead_hours": (4.75, 0.95, "amber"),
        # Only the * row: (2/3) / 0.8 = 0.833, red (south's 0.1 is south's).
        "mql_acceptance": (0.8, (2 / 3) / 0.8, "red"),
        "mql_to_sql": NO_TARGET,
        "pipeline_created": NO_TARGET,
        # 1000 / 2000 = 0.5, red; the 2026Q2 row (1) is another quarter's.
        "won_revenue": (2000.0, 0.5, "red"),
        "won_deals": NO_TARGET,
        "win_rate": NO_TARGET,
        "cac": NO_TARGET,
        **SCORECARD_WITHOUT_TARGETS,
    },
    "south": {
        "mqls": NO_TARGET,  # north's target of 0 is north's
        # No south row: the * row, 1.0 / 0.9 = 1.11, green.
        "sla_compliance": (0.9, 1 / 0.9, "green"),
        "speed_to_lead_hours": NO_TARGET,
        # south's row (0.1) wins over the * row (0.8): 0 / 0.1 = 0, red.
        "mql_acceptance": (0.1, 0.0, "red"),
        "mql_to_sql": NO_TARGET,
        "pipeline_created": NO_TARGET,
        "won_revenue": NO_TARGET,
        "won_deals": NO_TARGET,
        "win_rate": NO_TARGET,
        "cac": NO_TARGET,
        **SCORECARD_WITHOUT_TARGETS,
    },
}
TEAMS = list(EXPECTED)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("rag") / "data"
    shutil.copytree(TINY, folder)
    (folder / "targets.csv").write_text(TARGETS_CSV, encoding="utf-8")
    return folder


def _copy_with_targets(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(TINY, folder)
    (folder / "targets.csv").write_text(text, encoding="utf-8")
    return folder


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "helpers.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def _assert_matches(got: dict[str, tuple], team: str) -> None:
    """``got`` maps metric -> (target, attainment, rag); None stands for NaN or ±inf in JSON."""
    assert set(got) == set(EXPECTED[team])
    for metric, (target, attainment, rag) in EXPECTED[team].items():
        got_target, got_attainment, got_rag = got[metric]
        assert got_rag == rag, metric
        for want, have in ((target, got_target), (attainment, got_attainment)):
            if have is None:  # JSON has neither NaN nor infinity
                assert math.isnan(want) or math.isinf(want), metric
            elif math.isnan(want):
                assert math.isnan(have), metric
            else:
                assert have == pytest.approx(want), metric


# --- the fixture's actuals, recounted from the raw files with plain pandas ------------------


def test_hand_actuals_match_the_raw_files():
    leads = pd.read_csv(TINY / "leads.csv")
    events = pd.read_csv(TINY / "lead_events.csv", parse_dates=["at"])
    opps = pd.read_csv(TINY / "opportunities.csv", parse_dates=["closed_at"])
    start, end = pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01")
    in_q3 = events[(events["at"] >= start) & (events["at"] < end)]
    mql_leads = in_q3.loc[in_q3["event"] == "mql", "lead_id"].unique()
    teams = leads.set_index("lead_id")["team"]
    mqls = pd.Series(mql_leads).map(teams).value_counts()
    won = opps[(opps["status"] == "won") & (opps["closed_at"] >= start) & (opps["closed_at"] < end)]
    won_by_team = won.groupby("team")["amount"].sum()
    for team in TEAMS:
        assert mqls[team] == ACTUALS[team]["mqls"]
        assert won_by_team[team] == ACTUALS[team]["won_revenue"]


# --- one status, three surfaces --------------------------------------------------------------


@pytest.mark.parametrize("team", TEAMS)
def test_headline_of_the_report_view(data_dir, team):
    kpis = Workbook.load(data_dir).view(team, QUARTER).kpis().set_index("metric")
    got = {m: (r["target"], r["attainment"], r["rag"]) for m, r in kpis.iterrows()}
    _assert_matches(got, team)
    # The headline's values are the actuals worked out by hand.
    for metric, actual in ACTUALS[team].items():
        value = kpis.loc[metric, "value"]
        assert (math.isnan(value) and math.isnan(actual)) or value == pytest.approx(actual)


@pytest.mark.parametrize("team", TEAMS)
def test_cli_metrics_json(data_dir, team):
    result = _run(
        "metrics", "--team", team, "--quarter", QUARTER, "--data", str(data_dir),
        "--format", "json", cwd=data_dir.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["team"], document["quarter"]) == (team, QUARTER)
    got = {m["metric"]: (m["target"], m["attainment"], m["rag"]) for m in document["metrics"]}
    _assert_matches(got, team)


@pytest.mark.parametrize("team", TEAMS)
def test_actual_vs_target_as_the_quiz_uses_it(data_dir, team):
    # The quiz checks its RAG answer against goals with the default bands of workbook.toml
    # (tests/test_training_quiz.py); here with the hand actuals and the raw targets file.
    config = config_from_dict({})
    targets = pd.read_csv(data_dir / "targets.csv", dtype={"quarter": str})
    table = actual_vs_target(
        ACTUALS[team], targets, team, QUARTER, LOWER_IS_BETTER, config.rag_green, config.rag_amber
    ).set_index("metric")
    got = {m: (r["target"], r["attainment"], r["rag"]) for m, r in table.iterrows()}
    _assert_matches(got, team)


def test_the_report_view_reads_one_target_per_metric(data_dir):
    north = Workbook.load(data_dir).view("north", QUARTER)
    assert north.target("sla_compliance") == 0.5  # own row, not the * row's 0.9
    assert north.target("mql_acceptance") == 0.8  # the * row
    assert north.target("won_revenue") == 2000.0  # not 2026Q2's 1
    assert math.isnan(north.target("win_rate"))


# --- duplicate and negative targets are refused ----------------------------------------------

DUPLICATE = (
    "team,quarter,metric,target\n"
    "north,2026Q3,mqls,100\n"  # line 2
    "*,2026Q3,mqls,80\n"  # line 3: the * row is another key
    "north,2026Q3,sla_compliance,0.8\n"  # line 4
    "north,2026Q3,mqls,120\n"  # line 5: north's mqls again
)
NEGATIVE = (
    "team,quarter,metric,target\n"
    "north,2026Q3,mqls,100\n"  # line 2
    "north,2026Q3,cac,-500\n"  # line 3
    "*,2026Q3,win_rate,-0.25\n"  # line 4
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            DUPLICATE,
            (
                "targets.csv, column 'team, quarter, metric': 2 rows for team 'north', quarter "
                "2026Q3, metric 'mqls' (got targets '100', '120') (lines 2, 5). "
                "Fix: keep one row per team, quarter and metric",
            ),
            id="duplicate",
        ),
        pytest.param(
            "team,quarter,metric,target\n*,2026Q3,mqls,80\n*,2026Q3,mqls,80\n",
            (
                "targets.csv, column 'team, quarter, metric': 2 rows for team '*', quarter "
                "2026Q3, metric 'mqls' (got targets '80', '80') (lines 2, 3)",
            ),
            id="duplicate-star-same-value",
        ),
        pytest.param(
            NEGATIVE,
            (
                "targets.csv, column 'target': 2 target(s) are negative (got '-500', '-0.25') "
                "(lines 3, 4). Fix: targets cannot be negative: write a target of 0 or more",
            ),
            id="negative",
        ),
    ],
)
def test_validate_refuses_the_targets(tmp_path, text, expected):
    folder = _copy_with_targets(tmp_path, text)
    result = _run("validate", str(folder), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    assert f"{folder}: 1 problem(s) found" in result.stderr
    for line in expected:
        assert line in result.stderr


def test_every_repeated_key_is_named(tmp_path):
    text = DUPLICATE + "north,2026Q3,sla_compliance,0.9\n"  # line 6: repeats line 4
    folder = _copy_with_targets(tmp_path, text)
    result = _run("validate", str(folder), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{folder}: 2 problem(s) found" in result.stderr
    assert "metric 'mqls' (got targets '100', '120') (lines 2, 5)" in result.stderr
    assert "metric 'sla_compliance' (got targets '0.8', '0.9') (lines 4, 6)" in result.stderr


def test_parquet_targets_are_named_by_row(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(TINY, folder)
    pd.DataFrame(
        {
            "team": ["north", "north", "north"],
            "quarter": [QUARTER] * 3,
            "metric": ["mqls", "win_rate", "mqls"],
            "target": [100.0, -0.5, 120.0],
        }
    ).to_parquet(folder / "targets.parquet")
    result = _run("validate", str(folder), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    # Parquet rows count from 1 without a header: the rows are 1, 2 and 3.
    assert (
        "targets.parquet, column 'team, quarter, metric': 2 rows for team 'north', quarter "
        "2026Q3, metric 'mqls' (got targets '100.0', '120.0') (rows 1, 3)" in result.stderr
    )
    assert "targets.parquet, column 'target': 1 target(s) are negative (got '-0.5') (row 2)" in (
        result.stderr
    )


def test_database_table_is_named_by_row():
    # A database table is read with a label and counted like Parquet (see SourceFile.unit).
    raw = pd.DataFrame(
        {
            "team": ["*", "north", "north"],
            "quarter": [QUARTER] * 3,
            "metric": ["mqls", "mqls", "mqls"],
            "target": ["80", "100", "120"],
        }
    )
    typed = raw.astype({"team": "string", "quarter": "string", "metric": "string"})
    typed["target"] = raw["target"].astype(float)
    source = SourceFile(TABLES["targets"], Path("targets"), raw, label="table targets")
    (problem,) = check_targets(source, typed)
    assert (problem.rows, problem.n_rows, problem.unit) == ((2, 3), 2, "row")
    assert str(problem) == (
        "table targets, column 'team, quarter, metric': 2 rows for team 'north', quarter 2026Q3, "
        "metric 'mqls' (got targets '100', '120') (rows 2, 3). "
        "Fix: keep one row per team, quarter and metric: delete the others"
    )


def test_zero_target_is_accepted(data_dir):
    # A target of 0 is a target (north's mqls), not a missing one: it loads.
    result = _run("validate", str(data_dir), cwd=data_dir.parent)
    assert result.returncode == 0, result.stderr


# --- the lookup itself, on a frame that never went through validation -----------------------


@pytest.mark.parametrize(
    ("who", "team"),
    [("north", "north"), ("*", "south")],
    ids=["team-row", "star-row"],
)
def test_targets_for_refuses_a_duplicate(who, team):
    targets = pd.DataFrame(
        {
            "team": [who, "north", who],
            "quarter": [QUARTER] * 3,
            "metric": ["mqls", "win_rate", "mqls"],
            "target": [100.0, 0.3, 120.0],
        }
    )
    with pytest.raises(ParameterError, match="keep one row per team, quarter and metric") as info:
        targets_for(targets, team, QUARTER)
    assert f"team {who!r}, quarter 2026Q3, metric 'mqls'" in str(info.value)
    with pytest.raises(ParameterError):
        target_for(targets, team, QUARTER, "win_rate")  # even when asked about another metric


def test_targets_for_ignores_a_duplicate_of_another_quarter():
    targets = pd.DataFrame(
        {
            "team": ["north", "north", "north"],
            "quarter": ["2026Q2", "2026Q2", QUARTER],
            "metric": ["mqls", "mqls", "mqls"],
            "target": [1.0, 2.0, 100.0],
        }
    )
    assert targets_for(targets, "north", QUARTER) == {"mqls": 100.0}
    assert np.isnan(target_for(targets, "south", QUARTER, "mqls"))
