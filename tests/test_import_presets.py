"""The HubSpot and Salesforce presets on export-shaped files, imported then rendered end to end.

The fixtures in tests/data/imports/ have the column names and quirks of the real exports:
HubSpot quotes every cell, writes a byte-order mark and CRLF line endings, spells one source
"paid search " and joins several associated contacts with ";". Salesforce report exports use
US dates with AM/PM (some columns only settle month-first through another column of the same
file), "$24,000.00" amounts, "--None--" placeholders and a copyright footer after the rows.
Every expected figure below is counted by hand from those files.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import TESTS

from helpers.data.source import load_dataset

IMPORTS = TESTS / "data" / "imports"


def _workbook(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "helpers.cli", *args], capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


@pytest.fixture(scope="module")
def hubspot(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hubspot") / "data"
    result = _workbook("import", "--mapping", "hubspot", str(IMPORTS / "hubspot"), str(out))
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout.strip().splitlines()[-1]
    return out


@pytest.fixture(scope="module")
def salesforce(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("salesforce") / "data"
    result = _workbook("import", "--mapping", "salesforce", str(IMPORTS / "salesforce"), str(out))
    assert result.returncode == 0, result.stderr
    return out


def _kpis(data: Path, team: str, quarter: str) -> dict[str, dict]:
    result = _workbook(
        "metrics", "--data", str(data), "--team", team, "--quarter", quarter, "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    return {m["metric"]: m for m in json.loads(result.stdout)["metrics"]}


def _by_id(frame: pd.DataFrame, key: str, column: str) -> dict[str, object]:
    return {k: (None if pd.isna(v) else v) for k, v in zip(frame[key], frame[column], strict=True)}


# --- HubSpot --------------------------------------------------------------------------------


def test_hubspot_leads_get_team_channel_and_source(hubspot):
    data = load_dataset(hubspot)
    leads = data["leads"]
    assert len(leads) == 12
    # owners.csv: Dana Sales -> east, Lee Rep -> west; 107 has no owner -> the default "main".
    teams = _by_id(leads, "lead_id", "team")
    assert sorted(k for k, v in teams.items() if v == "east") == ["101", "102", "106", "109", "111"]
    assert sorted(k for k, v in teams.items() if v == "west") == [
        "103", "104", "105", "108", "110", "112",
    ]  # fmt: skip
    assert teams["107"] == "main"
    # No teams.csv in the export: one row per team found.
    assert sorted(data["teams"]["team"]) == ["east", "main", "west"]
    channels = _by_id(leads, "lead_id", "channel")
    assert channels["104"] == "paid_search"  # "paid search " matched ignoring case and spaces
    assert channels["103"] == "offline" and channels["110"] == "direct"
    sources = _by_id(leads, "lead_id", "source_type")
    assert [k for k, v in sources.items() if v != "marketing"] == ["103"]  # Offline Sources
    assert pd.isna(leads.set_index("lead_id").loc["103", "score"])  # empty HubSpot Score
    assert leads.set_index("lead_id").loc["101", "created_at"] == pd.Timestamp("2026-01-05 09:12")
    assert "industry" in leads and "country_region" in leads  # kept attributes, snake_case


def test_hubspot_lifecycle_dates_become_events(hubspot):
    events = load_dataset(hubspot)["lead_events"]
    counts = events["event"].value_counts().to_dict()
    # MQL dates on every contact but 103 and 112; SQL dates on 101, 103, 105, 108, 109, 111;
    # "Unqualified" lead status on 102 and 110. The export has no first-engagement column.
    assert counts == {"mql": 10, "sql": 6, "rejected": 2}
    rejected = events[events["event"] == "rejected"].sort_values("lead_id")
    assert rejected["lead_id"].tolist() == ["102", "110"]
    assert rejected["at"].tolist() == [
        pd.Timestamp("2026-01-15 16:00"), pd.Timestamp("2026-07-10 15:20"),
    ]  # fmt: skip
    assert rejected["reason"].notna().all()


def test_hubspot_deals_become_opportunities(hubspot):
    opps = load_dataset(hubspot)["opportunities"].set_index("opportunity_id")
    assert opps["status"].to_dict() == {
        "9001": "won", "9002": "lost", "9003": "won", "9004": "open",
        "9005": "won", "9006": "open", "9007": "won",
    }  # fmt: skip
    # "105;999": the first associated contact; 9007 has none.
    assert opps.loc["9003", "lead_id"] == "105" and pd.isna(opps.loc["9007", "lead_id"])
    assert opps.loc["9003", "amount"] == 4500.5 and pd.isna(opps.loc["9006", "amount"])
    # An open deal's "Close Date" is only its expected close: cleared.
    assert opps.loc[["9004", "9006"], "closed_at"].isna().all()
    assert opps.loc["9001", "closed_at"] == pd.Timestamp("2026-03-15 17:00")
    assert opps["team"].to_dict()["9007"] == "east"


def test_hubspot_import_log_says_what_happened(hubspot):
    log = (hubspot / "import_log.md").read_text()
    assert "Date of first engagement" in log  # the optional column that was missing
    assert "paid search" in log.lower()  # the unified spelling


def test_hubspot_figures_through_the_metrics_command(hubspot):
    q1 = _kpis(hubspot, "all", "2026Q1")
    assert q1["mqls"]["value"] == 4  # 101, 102, 104, 105
    assert q1["pipeline_created"]["value"] == 24500.5  # 9001 + 9002 + 9003
    assert q1["won_revenue"]["value"] == 12000  # 9001
    q3_east = _kpis(hubspot, "east", "2026Q3")
    assert q3_east["won_revenue"]["value"] == 18000  # 9005 + 9007
    assert (q3_east["win_rate"]["numerator"], q3_east["win_rate"]["denominator"]) == (2, 2)


# --- Salesforce -----------------------------------------------------------------------------


def test_salesforce_report_exports_import(salesforce):
    data = load_dataset(salesforce)
    leads = data["leads"].set_index("lead_id")
    assert len(leads) == 10  # the copyright footer is not a lead
    assert data["teams"].set_index("team")["name"].to_dict() == {
        "na-east": "North America East", "na-west": "North America West",
    }  # fmt: skip
    assert leads.loc["00Q5g00000AbC02", "created_at"] == pd.Timestamp("2026-01-19 14:30")
    assert leads.loc["00Q5g00000AbC05", "channel"] == "website"  # "web "
    assert leads["source_type"].to_dict() == {
        "00Q5g00000AbC01": "marketing", "00Q5g00000AbC02": "marketing",
        "00Q5g00000AbC03": "sales", "00Q5g00000AbC04": "marketing",
        "00Q5g00000AbC05": "marketing", "00Q5g00000AbC06": "partner",
        "00Q5g00000AbC07": "marketing", "00Q5g00000AbC08": "marketing",
        "00Q5g00000AbC09": "marketing", "00Q5g00000AbC10": "sales",
    }  # fmt: skip
    rating = leads.loc["00Q5g00000AbC06", "rating"]  # "--None--" is a placeholder
    assert pd.isna(rating) or rating == ""
    assert leads.loc["00Q5g00000AbC01", "rating"] == "Hot"
    events = data["lead_events"]
    assert events["event"].value_counts().to_dict() == {
        "mql": 8, "first_touch": 8, "sql": 4, "rejected": 2,
    }  # fmt: skip
    # "Converted Date" alone is ambiguous (2/10, 3/9, 5/4, 8/3); the file's other date
    # columns are month-first, so it is read month-first too.
    sql = events[events["event"] == "sql"].set_index("lead_id")["at"]
    assert sql["00Q5g00000AbC01"] == pd.Timestamp("2026-02-10")
    opps = data["opportunities"].set_index("opportunity_id")
    assert opps["amount"].tolist() == [24000.0, 9500.0, 1200.0, 30000.0, 5000.0]
    assert opps["lead_id"].fillna("-").tolist() == [
        "00Q5g00000AbC01", "00Q5g00000AbC03", "00Q5g00000AbC05", "00Q5g00000AbC08", "-",
    ]  # fmt: skip
    assert opps.loc["0065g00000XyZ02", "created_at"] == pd.Timestamp("2026-03-09")
    assert pd.isna(opps.loc["0065g00000XyZ04", "closed_at"])  # open: expected close cleared


def test_salesforce_figures_through_the_metrics_command(salesforce):
    q1 = _kpis(salesforce, "all", "2026Q1")
    assert q1["mqls"]["value"] == 3  # AbC01, AbC02, AbC04
    assert q1["pipeline_created"]["value"] == 33500  # XyZ01 24,000 + XyZ02 9,500
    assert q1["won_revenue"]["value"] == 24000
    q3_west = _kpis(salesforce, "na-west", "2026Q3")
    assert q3_west["won_revenue"]["value"] == 5000  # XyZ05, no lead


# --- rendered end to end --------------------------------------------------------------------


def _text(path: Path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("preset", "quarter", "teams"),
    [
        ("hubspot", "2026Q3", ["all", "east", "main", "west"]),
        ("salesforce", "2026Q1", ["all", "na-east", "na-west"]),
    ],
    ids=["hubspot", "salesforce"],
)
def test_imported_exports_render_into_reports(request, tmp_path, preset, quarter, teams):
    data = request.getfixturevalue(preset)
    out = tmp_path / "reports"
    result = _workbook("reports", "--data", str(data), "--out", str(out), "--quarter", quarter)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].endswith("index.html")
    for team in teams:
        page = out / quarter / f"{team}.html"
        assert page.exists(), page
        text = _text(page)
        assert "Traceback" not in text
        # The exports carry no spend, touches or feedback: each section says so in one line.
        assert "Not in this data: no feedback table" in text
    assert sorted(p.stem for p in (out / quarter).glob("*.html")) == sorted(teams)
