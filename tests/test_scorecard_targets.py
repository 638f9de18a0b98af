"""Issue 21, deliverable 1: the alignment scorecard and targets relative to an earlier quarter.

Worked by hand on copies of tests/data/tiny (its figures: tests/test_metrics_funnel.py and
tests/test_right_numbers.py). 2026Q2 holds one MQL, L5 (Fri 10 Apr 10:00, touched at 11:00:
1 business hour); in 2026Q3 north has 4 MQLs and a median speed to lead of 5 business hours.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TINY

from helpers import Workbook
from helpers.errors import DataValidationError
from helpers.metrics.goals import implied_target, rag_status
from helpers.metrics.headline import KPIS, SCORECARD

QUARTER = "2026Q3"


def _copy(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(TINY, folder)
    for name, text in files.items():
        path = folder / f"{name}.csv"
        if name in ("leads", "lead_events", "opportunities"):
            path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
        else:
            path.write_text(text, encoding="utf-8")
    return folder


# --- the rule, by hand --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "basis", "baseline", "cap", "expected"),
    [
        (0.20, "vs_same_quarter_last_year", 0.05, math.inf, 0.06),  # lead conversion +20 %
        (-0.15, "vs_previous_quarter", 4000.0, math.inf, 3400.0),  # CAC -15 %
        (0.10, "vs_same_quarter_last_year", 0.95, 1.0, 1.0),  # a share is capped at 100 %
        (2.0, "absolute", math.nan, math.inf, 2.0),  # ROI 200 %: no baseline needed
        (0.20, "vs_previous_quarter", math.nan, math.inf, math.nan),  # baseline not in data
        (0.20, "vs_previous_quarter", 0.0, math.inf, math.nan),  # +20 % of nothing
    ],
    ids=["plus-20", "minus-15", "capped", "absolute", "no-baseline", "zero-baseline"],
)
def test_implied_target(change, basis, baseline, cap, expected):
    got = implied_target(change, basis, baseline, cap=cap)
    assert got == pytest.approx(expected, nan_ok=True)


def test_relative_targets_attainment_and_rag_both_directions():
    # Higher is better: conversion 5 % last year, +20 % -> 6 %; actual 5.7 %: 0.95, amber.
    target = implied_target(0.20, "vs_same_quarter_last_year", 0.05)
    assert rag_status(0.057, target, "higher") == (pytest.approx(0.95), "amber")
    # Lower is better: CAC 4000 last quarter, -15 % -> 3400; actual 3200: 3400/3200, green;
    # actual 4000 (no better): 0.85, red.
    target = implied_target(-0.15, "vs_previous_quarter", 4000.0)
    assert rag_status(3200.0, target, "lower") == (pytest.approx(3400 / 3200), "green")
    assert rag_status(4000.0, target, "lower") == (pytest.approx(0.85), "red")


# --- relative targets in the view, the headline and workbook metrics -------------------------

RELATIVE = (
    "team,quarter,metric,target,basis\n"
    "north,2026Q3,mqls,3.3,vs_previous_quarter\n"  # 1 MQL in Q2 -> 4.3; actual 4
    "north,2026Q3,speed_to_lead_hours,3.6,vs_previous_quarter\n"  # 1 h in Q2 -> 4.6 h; 5 h
    "north,2026Q3,mql_to_sql,0.2,vs_same_quarter_last_year\n"  # 2025Q3 not in the data
    "north,2026Q3,win_rate,0.4,\n"  # an empty basis is absolute
    "south,2026Q3,speed_to_lead_hours,-0.15,vs_previous_quarter\n"  # south had no Q2 MQL
)


@pytest.fixture
def north(tmp_path):
    return Workbook.load(_copy(tmp_path, targets=RELATIVE)).view("north", QUARTER)


def test_relative_target_higher_is_better(north):
    details = north.target_details("mqls")
    assert details["basis"] == "vs_previous_quarter"
    assert details["baseline_quarter"] == "2026Q2"
    assert details["baseline"] == 1.0
    assert details["target"] == pytest.approx(4.3)  # 1 × (1 + 3.3)
    row = north.kpis().set_index("metric").loc["mqls"]
    assert row["target"] == pytest.approx(4.3)
    assert row["attainment"] == pytest.approx(4 / 4.3)  # 0.930: amber
    assert row["rag"] == "amber"
    assert row["target_change"] == pytest.approx(3.3)
    assert row["baseline"] == 1.0 and row["baseline_quarter"] == "2026Q2"


def test_relative_target_lower_is_better(north):
    row = north.kpis().set_index("metric").loc["speed_to_lead_hours"]
    assert row["baseline"] == pytest.approx(1.0)  # L5 touched 1 business hour after its MQL
    assert row["target"] == pytest.approx(4.6)  # 1 × (1 + 3.6)
    assert row["value"] == pytest.approx(5.0)
    assert row["attainment"] == pytest.approx(4.6 / 5.0)  # 0.92: amber
    assert row["rag"] == "amber"


def test_relative_target_without_a_baseline_has_no_target(north):
    row = north.kpis().set_index("metric").loc["mql_to_sql"]
    assert math.isnan(row["target"]) and row["rag"] == "none"
    assert row["target_basis"] == ""  # no target in effect
    details = north.target_details("mql_to_sql")
    assert (
        details["basis"] == "vs_same_quarter_last_year" and details["baseline_quarter"] == "2025Q3"
    )
    win = north.kpis().set_index("metric").loc["win_rate"]
    assert win["target_basis"] == "absolute" and win["target"] == 0.4  # 1/2 won: green


def test_metrics_json_and_table_show_baseline_and_implied_target(tmp_path):
    folder = _copy(tmp_path, targets=RELATIVE)
    base = [sys.executable, "-m", "helpers.cli", "metrics", "--data", str(folder)]
    args = ["--team", "north", "--quarter", QUARTER]
    result = subprocess.run([*base, *args, "--format", "json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    mqls = {m["metric"]: m for m in json.loads(result.stdout)["metrics"]}["mqls"]
    assert mqls["target_basis"] == "vs_previous_quarter"
    assert (mqls["baseline"], mqls["baseline_quarter"]) == (1, "2026Q2")
    assert mqls["target"] == pytest.approx(4.3) and mqls["rag"] == "amber"
    table = subprocess.run([*base, *args], capture_output=True, text=True)
    assert table.returncode == 0, table.stderr
    line = next(x for x in table.stdout.splitlines() if x.strip().startswith("MQLs"))
    assert "target +330.0% vs 2026Q2 (1) = 4" in line


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("north,2026Q3,cac,-0.15,vs_previous_qtr\n", "did you mean 'vs_previous_quarter'?"),
        ("north,2026Q3,cac,-0.15,\n", "give it a basis"),
        ("north,2026Q3,cac,-1.5,vs_previous_quarter\n", "-100 % or less"),
    ],
    ids=["bad-basis", "negative-absolute", "change-below-minus-100"],
)
def test_bad_basis_is_refused_with_a_clear_error(tmp_path, rows, message):
    folder = _copy(tmp_path, targets="team,quarter,metric,target,basis\n" + rows)
    with pytest.raises(DataValidationError, match="targets.csv") as info:
        Workbook.load(folder)
    assert message in str(info.value)
    assert "line 2" in str(info.value)
    result = subprocess.run(
        [sys.executable, "-m", "helpers.cli", "metrics", "--data", str(folder)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr


# --- the scorecard's five KPIs on the tiny fixture --------------------------------------------

# A lead and a won deal a year before (2025Q3) for year-on-year growth; spend of 2026Q3; MRR of
# June (opening) and September (closing) 2026.
SCORE_LEADS = "L10,2025-07-01T09:00:00,north,email,marketing,C1,50,software\n"
SCORE_OPPS = "O5,north,2025-07-15T10:00:00,won,1500,2025-08-10T10:00:00,L10,A5,marketing,\n"
SCORE_SPEND = (
    "month,team,channel,category,amount\n"
    "2026-07,north,paid_search,marketing,400\n"
    "2026-08,south,paid_search,marketing,200\n"
    "2026-09,north,outbound,sales,600\n"
)
SCORE_REVENUE = (
    "month,account_id,team,recurring_revenue\n"
    "2026-06,A1,north,100\n"
    "2026-06,A2,north,50\n"
    "2026-06,A3,south,200\n"
    "2026-06,A9,south,30\n"
    "2026-09,A1,north,120\n"
    "2026-09,A3,south,200\n"
    "2026-09,A9,south,0\n"
)
SCORE_TARGETS = (
    "team,quarter,metric,target,basis\n"
    "*,2026Q3,marketing_roi,2.0,absolute\n"
    "*,2026Q3,customer_retention,0.1,vs_previous_quarter\n"  # no June baseline month: none
)


def test_the_scorecard_kpis_on_tiny(tmp_path):
    folder = _copy(
        tmp_path,
        leads=SCORE_LEADS,
        opportunities=SCORE_OPPS,
        spend=SCORE_SPEND,
        revenue=SCORE_REVENUE,
        targets=SCORE_TARGETS,
    )
    kpis = Workbook.load(folder).view("all", QUARTER).kpis().set_index("metric")
    assert set(SCORECARD) <= set(kpis.index) and set(SCORECARD) <= set(KPIS)
    # Leads created in Q3: L1, L2, L3, L4, L6 (5); won in Q3 with a lead: O1 (L1): 1 / 5.
    assert kpis.loc["lead_to_customer", "value"] == pytest.approx(1 / 5)
    # Spend 400 + 200 + 600 = 1200; new customers A1 (O1) and A3 (O3): 600.
    assert kpis.loc["cac", "value"] == pytest.approx(600)
    # Bookings O1 1000 + O3 2000 = 3000 against 2025Q3's O5 1500: +100 %.
    assert kpis.loc["bookings_growth", "value"] == pytest.approx((3000 - 1500) / 1500)
    # Paying in June: A1, A2, A3, A9; still paying in September: A1, A3: 2 / 4.
    retention = kpis.loc["customer_retention"]
    assert (retention["numerator"], retention["denominator"]) == (2, 4)
    # Marketing-sourced won revenue O1 1000 against marketing spend 600: (1000 - 600) / 600.
    roi = kpis.loc["marketing_roi"]
    assert roi["value"] == pytest.approx(400 / 600)
    # The * row's absolute 200 %: attainment (400/600) / 2 = 0.333, red.
    assert roi["target"] == 2.0 and roi["attainment"] == pytest.approx(1 / 3)
    assert roi["rag"] == "red"
    # 2026Q2's retention needs March 2026's MRR, not in the table: no baseline, no target.
    assert math.isnan(kpis.loc["customer_retention", "target"])


def test_scorecard_kpis_not_in_data_without_their_tables(tmp_path):
    kpis = Workbook.load(_copy(tmp_path)).view("all", QUARTER)
    notes = kpis.kpi_notes()
    assert notes["marketing_roi"] == "not in this data: no spend table"
    assert notes["customer_retention"] == "not in this data: no revenue table"
    values = kpis.kpis().set_index("metric")["value"]
    assert math.isnan(values["marketing_roi"]) and math.isnan(values["customer_retention"])


# CAC (lower is better) with the playbook's "-15 % vs the previous quarter", on north: a deal won
# in 2026Q2 (O6, a new account A6) so that 2026Q2 has a CAC; 2026Q3's spend of north is 400
# marketing (July) + 600 sales (September) = 1000 for one new customer (A1, O1): CAC 1000.
CAC_OPPS = "O6,north,2026-04-15T10:00:00,won,500,2026-05-20T10:00:00,,A6,sales,\n"


@pytest.mark.parametrize(
    ("spend_q2", "implied", "attainment", "rag"),
    [
        # 2026Q2: 2000 / 1 customer = 2000; -15 % -> 1700; 1000 beats it: 1700 / 1000, green.
        (2000, 1700.0, 1.7, "green"),
        # 2026Q2: 1000 / 1 = 1000; -15 % -> 850; 1000 misses it: 850 / 1000 = 0.85, red.
        (1000, 850.0, 0.85, "red"),
    ],
    ids=["beats", "misses"],
)
def test_relative_cac_target_on_the_scorecard(tmp_path, spend_q2, implied, attainment, rag):
    spend = SCORE_SPEND + f"2026-05,north,paid_search,marketing,{spend_q2}\n"
    targets = "team,quarter,metric,target,basis\nnorth,2026Q3,cac,-0.15,vs_previous_quarter\n"
    folder = _copy(tmp_path, opportunities=CAC_OPPS, spend=spend, targets=targets)
    row = Workbook.load(folder).view("north", QUARTER).kpis().set_index("metric").loc["cac"]
    assert row["value"] == pytest.approx(1000.0)
    assert (row["baseline"], row["baseline_quarter"]) == (pytest.approx(spend_q2), "2026Q2")
    assert (row["target_basis"], row["target_change"]) == ("vs_previous_quarter", -0.15)
    assert row["target"] == pytest.approx(implied)
    assert row["attainment"] == pytest.approx(attainment)
    assert row["rag"] == rag
