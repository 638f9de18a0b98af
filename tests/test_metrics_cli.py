"""`workbook metrics`: every KPI with counts, interval, target and status, in three formats."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from conftest import TINY


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "helpers.cli", "metrics", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_json_is_stable_and_carries_hand_computed_figures():
    result = _run("--team", "north", "--quarter", "2026Q3", "--data", str(TINY), "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["schema"] == "alignment-workbook/metrics/v1"
    assert (doc["team"], doc["quarter"], doc["as_of"]) == ("north", "2026Q3", "2026-10-01")
    by_metric = {m["metric"]: m for m in doc["metrics"]}
    assert set(by_metric) == {
        "mqls", "sla_compliance", "speed_to_lead_hours", "mql_acceptance", "mql_to_sql",
        "pipeline_created", "won_revenue", "won_deals", "win_rate", "cac", "lead_to_customer",
        "bookings_growth", "customer_retention", "marketing_roi",
    }  # fmt: skip
    # O1 (won 1000) and O2 (lost 500) are north's; both created and closed in 2026Q3.
    assert by_metric["pipeline_created"]["value"] == 1500
    assert by_metric["won_revenue"]["value"] == 1000
    assert by_metric["won_deals"]["value"] == 1  # O1
    # Every deal has an amount: no note; the amounts' counts are those of their deals.
    pipeline = by_metric["pipeline_created"]
    assert (pipeline["deals"], pipeline["missing_amount"], pipeline["note"]) == (2, 0, None)
    assert by_metric["win_rate"]["deals"] is None  # not an amount
    assert (by_metric["win_rate"]["numerator"], by_metric["win_rate"]["denominator"]) == (1, 2)
    assert by_metric["cac"]["value"] is None  # the tiny data set has no spend table
    # Hand-computed in test_metrics_funnel.py.
    sla = by_metric["sla_compliance"]
    assert (sla["numerator"], sla["denominator"], sla["value"]) == (2, 4, 0.5)
    assert sla["small_sample"] is True
    assert by_metric["mql_acceptance"]["numerator"] == 2
    assert by_metric["mqls"]["value"] == 4
    assert by_metric["speed_to_lead_hours"]["value"] == 5
    # Q2 had one MQL decision (L5 rejected): 0/1, so Q3's 2/3 is a change of +2/3, untested
    # as significant by Fisher's exact test on such small counts.
    acceptance = by_metric["mql_acceptance"]
    assert acceptance["previous"] == 0 and acceptance["significant_previous"] is False
    assert acceptance["target"] is None and acceptance["rag"] == "none"


def test_csv_has_one_row_per_kpi():
    result = _run("--team", "north", "--data", str(TINY), "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["metric"] for r in rows][:2] == ["mqls", "sla_compliance"]
    assert rows[1]["numerator"] == "2" and rows[1]["denominator"] == "4"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--team", "../etc"), "not in teams.csv"),
        (("--quarter", "2031Q1"), "not in the data"),
    ],
    ids=["bad-team", "unknown-quarter"],
)
def test_bad_parameters_exit_2_without_traceback(args, message):
    result = _run("--data", str(TINY), *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_table_output_on_sample_shows_slow_team_red():
    result = _run("--team", "na-smb")
    assert result.returncode == 0, result.stderr
    line = next(li for li in result.stdout.splitlines() if "SLA compliance" in li)
    assert line.rstrip().endswith("red")
