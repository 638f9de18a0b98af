"""``workbook import`` of exports that hold one side of the funnel: only deals, or only leads.

Fixtures in tests/data/one_side_exports/ (hand-made, shaped like real exports), counted by hand:

pipeline/ with pipeline.toml: an opportunity-only B2B pipeline.
  sales_pipeline.csv, 14 deals (lines 2-15); where deal_stage in Engaging, Won, Lost keeps 12
  (S8DX3XOU line 13 and B1RUIEC6 line 15 are Prospecting, without an engage date).
    Won  (8): 1C1I7A6R 1054, Z063OYW0 4514, EC4QE1BX 50, MV1LWRNH 588, PE84CX4O 517,
              ZNBS69V1 49, 9ME3374G 57, OLK9LKZB 1096            -> won amounts 7,925
    Lost (2): 7GN8Q4LL 0, NL3JZH2O 0
    Engaging -> open (2): HAXMC4IX (no account), UP409DSB; no close date, no value.
  sales_teams.csv, 8 agents: Central (Moses Frase, Darcel Schlecht, Anna Snelling), West (Zane
  Levy, Vicki Laflamme, James Ascencio), East (Markita Hansen, Niesha Huffines).
    teams: 8 rows read, 5 identical duplicates dropped, 3 kept: Central, West, East.
    opportunities by team: Central 1C1I7A6R Z063OYW0 EC4QE1BX MV1LWRNH ZNBS69V1 (5),
    West PE84CX4O 9ME3374G HAXMC4IX NL3JZH2O UP409DSB (5), East 7GN8Q4LL OLK9LKZB (2).
  Latest timestamp: NL3JZH2O closed 2026-04-20, so as_of 2026-04-21.

funnel/ with funnel.toml: a lead-only marketing funnel (MQLs, no deals).
  marketing_qualified_leads.csv, 11 MQLs; origin by line: 2 social, 3 paid_search, 4 Social,
  5 (empty), 6 organic_search, 7 unknown, 8 social, 9 (empty), 10 direct_traffic, 11 (empty),
  12 display. "Social" is unified with "social" (2 against 1) before the value maps.
    channel rules: "" -> unknown 3 rows; social -> paid_social 3; direct_traffic -> direct 1;
      display -> paid_display 1; referral -> partner_referral 0. paid_search, organic_search
      and unknown pass through.
    source_type rules: referral -> partner 0; "" -> marketing 3; "*" -> marketing 8.
  lead_events: one mql per lead at its first contact date: 11.
  teams: none in the export -> generated: marketplace.
  Latest timestamp: 9d7e4b2c1a05, 2026-04-02, so as_of 2026-04-03.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import TESTS

from helpers.data.source import load_dataset
from helpers.errors import DataValidationError
from helpers.importing.importer import import_exports
from helpers.importing.mapping import load_mapping
from helpers.importing.report import LOG_NAME

FIXTURES = TESTS / "data" / "one_side_exports"
PIPELINE, FUNNEL = FIXTURES / "pipeline", FIXTURES / "funnel"
ACME = TESTS / "data" / "imports" / "generic"


def _rows(path: Path) -> list[dict[str, str]]:
    """A written table as plain text rows (no type guessing)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _sections(log: str) -> dict[str, list[str]]:
    """The import log's sections by heading, as lines."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in log.splitlines():
        if line.startswith("## "):
            current = line[3:]
            sections[current] = []
        elif current is not None and line:
            sections[current].append(line)
    return sections


def _after(lines: list[str], heading: str) -> list[str]:
    """The indented items under one ``- heading:`` line of a log section."""
    start = lines.index(heading) + 1
    items = []
    for line in lines[start:]:
        if not line.startswith("  - "):
            break
        items.append(line[4:])
    return items


def _copy(source: Path, tmp_path: Path, name: str = "exports") -> Path:
    folder = tmp_path / name
    shutil.copytree(source, folder)
    return folder


def _mapping(tmp_path: Path, text: str, name: str = "variant.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    out = tmp_path_factory.mktemp("pipeline") / "data"
    report = import_exports(load_mapping(str(FIXTURES / "pipeline.toml")), PIPELINE, out)
    return out, report


@pytest.fixture(scope="module")
def funnel(tmp_path_factory):
    out = tmp_path_factory.mktemp("funnel") / "data"
    report = import_exports(load_mapping(str(FIXTURES / "funnel.toml")), FUNNEL, out)
    return out, report


# --- an opportunity-only export -------------------------------------------------------------


def test_a_deals_only_export_writes_teams_and_opportunities_only(pipeline):
    out, report = pipeline
    assert sorted(p.name for p in out.iterdir()) == [
        "import_log.md", "opportunities.csv", "teams.csv", "workbook.toml",
    ]  # fmt: skip
    assert set(report.tables) == {"teams", "opportunities"}


def test_deals_only_teams(pipeline):
    assert _rows(pipeline[0] / "teams.csv") == [
        {"team": "Central", "name": "Central", "region": "Central", "segment": "B2B"},
        {"team": "West", "name": "West", "region": "West", "segment": "B2B"},
        {"team": "East", "name": "East", "region": "East", "segment": "B2B"},
    ]


def test_deals_only_opportunities(pipeline):
    rows = {row["opportunity_id"]: row for row in _rows(pipeline[0] / "opportunities.csv")}
    assert list(rows) == [
        "1C1I7A6R", "Z063OYW0", "EC4QE1BX", "MV1LWRNH", "PE84CX4O", "ZNBS69V1",
        "9ME3374G", "7GN8Q4LL", "OLK9LKZB", "HAXMC4IX", "NL3JZH2O", "UP409DSB",
    ]  # fmt: skip
    status = {i: row["status"] for i, row in rows.items()}
    assert [i for i, s in status.items() if s == "lost"] == ["7GN8Q4LL", "NL3JZH2O"]
    assert [i for i, s in status.items() if s == "open"] == ["HAXMC4IX", "UP409DSB"]
    assert sum(s == "won" for s in status.values()) == 8
    won = sum(float(row["amount"]) for row in rows.values() if row["status"] == "won")
    assert won == 7925.0
    teams = {i: row["team"] for i, row in rows.items()}
    assert [i for i, t in teams.items() if t == "East"] == ["7GN8Q4LL", "OLK9LKZB"]
    assert sum(t == "Central" for t in teams.values()) == 5
    assert sum(t == "West" for t in teams.values()) == 5
    # Open deals: no close date and no value in the export; HAXMC4IX has no account.
    for opportunity in ("HAXMC4IX", "UP409DSB"):
        assert rows[opportunity]["closed_at"] == "" and rows[opportunity]["amount"] == ""
    assert rows["HAXMC4IX"]["account_id"] == "" and rows["UP409DSB"]["account_id"] == "Sonron"
    assert rows["NL3JZH2O"]["amount"] == "0" and rows["1C1I7A6R"]["amount"] == "1054"
    assert rows["1C1I7A6R"]["created_at"] == "2026-01-03T00:00:00"
    assert rows["NL3JZH2O"]["closed_at"] == "2026-04-20T00:00:00"
    assert {row["source_type"] for row in rows.values()} == {"sales"}
    # No leads were imported: there is no lead_id to keep.
    assert "lead_id" not in next(iter(rows.values()))


def test_deals_only_import_log(pipeline):
    out, _ = pipeline
    sections = _sections((out / LOG_NAME).read_text(encoding="utf-8"))
    assert list(sections) == ["Files read", "teams", "opportunities", "Validation"]
    teams = sections["teams"]
    assert "- rows read: 8, kept: 3, dropped: 5" in teams
    assert _after(teams, "- dropped:") == ["identical duplicate row: 5"]
    opps = sections["opportunities"]
    assert "- rows read: 12, kept: 12, dropped: 0" in opps
    assert _after(opps, "- value maps, rows changed by each rule:") == [
        "tables.opportunities[0].values.status: `Won` → `won`: 8 rows",
        "tables.opportunities[0].values.status: `Lost` → `lost`: 2 rows",
        "tables.opportunities[0].values.status: any other value (`*`) → `open`: 2 rows",
    ]
    assert (
        "  - tables.opportunities[0]: 12 of 14 rows of `sales_pipeline.csv` match where "
        "`deal_stage` in `Engaging`, `Won`, `Lost`" in opps
    )


# --- a lead-only export ---------------------------------------------------------------------


def test_a_leads_only_export_writes_teams_leads_and_events_only(funnel):
    out, report = funnel
    assert sorted(p.name for p in out.iterdir()) == [
        "import_log.md", "lead_events.csv", "leads.csv", "teams.csv", "workbook.toml",
    ]  # fmt: skip
    assert set(report.tables) == {"teams", "leads", "lead_events"}


def test_leads_only_leads(funnel):
    rows = _rows(funnel[0] / "leads.csv")
    assert {row["lead_id"]: row["channel"] for row in rows} == {
        "dac32acd4db4": "paid_social",
        "8c2b2a1f7e31": "paid_search",
        "b4bc852d2335": "paid_social",
        "6be030b81c75": "unknown",
        "5420aad7fec3": "organic_search",
        "327174d3648a": "unknown",
        "f5fee8f7da74": "paid_social",
        "0c8f2a3e8b21": "unknown",
        "ae3a1b9e0f77": "direct",
        "1ce4a3b2c8d0": "unknown",
        "9d7e4b2c1a05": "paid_display",
    }
    assert {row["source_type"] for row in rows} == {"marketing"}
    assert {row["team"] for row in rows} == {"marketplace"}
    assert rows[0]["campaign_id"] == "88740e65d5d6"
    assert rows[0]["created_at"] == "2026-01-05T00:00:00"


def test_leads_only_events_and_generated_team(funnel):
    out, _ = funnel
    events = _rows(out / "lead_events.csv")
    assert len(events) == 11 and {e["event"] for e in events} == {"mql"}
    assert events[-1] == {"lead_id": "9d7e4b2c1a05", "event": "mql", "at": "2026-04-02T00:00:00"}
    assert _rows(out / "teams.csv") == [
        {"team": "marketplace", "name": "marketplace", "region": "unspecified",
         "segment": "unspecified"},
    ]  # fmt: skip


def test_leads_only_import_log_counts_every_value_rule(funnel):
    out, report = funnel
    sections = _sections((out / LOG_NAME).read_text(encoding="utf-8"))
    assert list(sections) == ["Files read", "teams", "leads", "lead_events", "Validation"]
    assert _after(sections["leads"], "- value maps, rows changed by each rule:") == [
        "tables.leads[0].values.channel: empty cell → `unknown`: 3 rows",
        "tables.leads[0].values.channel: `social` → `paid_social`: 3 rows",
        "tables.leads[0].values.channel: `direct_traffic` → `direct`: 1 row",
        "tables.leads[0].values.channel: `display` → `paid_display`: 1 row",
        "tables.leads[0].values.channel: `referral` → `partner_referral`: 0 rows",
        "tables.leads[0].values.source_type: `referral` → `partner`: 0 rows",
        "tables.leads[0].values.source_type: empty cell → `marketing`: 3 rows",
        "tables.leads[0].values.source_type: any other value (`*`) → `marketing`: 8 rows",
    ]
    leads = report.tables["leads"]
    assert (leads.read, leads.kept, leads.n_dropped) == (11, 11, 0)
    events = report.tables["lead_events"]
    assert (events.read, events.kept, events.n_dropped) == (11, 11, 0)


def test_without_the_empty_cell_rule_an_empty_required_cell_stops_the_import(tmp_path):
    text = (FIXTURES / "funnel.toml").read_text(encoding="utf-8")
    text = text.replace('"" = "unknown"\n', "")
    with pytest.raises(DataValidationError) as caught:
        import_exports(load_mapping(str(_mapping(tmp_path, text))), FUNNEL, tmp_path / "data")
    message = str(caught.value)
    assert "marketing_qualified_leads.csv, column 'origin'" in message
    assert "3 empty cell(s), but leads.channel is required" in message
    assert "lines 5, 9, 11" in message
    assert not (tmp_path / "data").exists()


# --- empty tables and absent sides ------------------------------------------------------------


def test_a_mapped_table_with_no_rows_is_not_written(tmp_path):
    # The funnel export plus a deals export that has a header and no rows.
    src = _copy(FUNNEL, tmp_path)
    (src / "deals.csv").write_text("Deal,Team,Opened,Stage,Value\n", encoding="utf-8")
    text = (FIXTURES / "funnel.toml").read_text(encoding="utf-8") + (
        '\n[[tables.opportunities]]\nfile = "deals.csv"\ncolumns = { opportunity_id = "Deal", '
        'team = "Team", created_at = "Opened", status = "Stage", amount = "Value" }\n'
    )
    out = tmp_path / "data"
    report = import_exports(load_mapping(str(_mapping(tmp_path, text))), src, out)
    assert not (out / "opportunities.csv").exists()
    assert (out / "leads.csv").exists() and (out / "lead_events.csv").exists()
    assert report.tables["opportunities"].notes == [
        "no rows left, so opportunities is not written (the data set has no opportunities: "
        "the report sections that need it say so)"
    ]
    log = (out / LOG_NAME).read_text(encoding="utf-8")
    assert "- rows read: 0, kept: 0, dropped: 0" in _sections(log)["opportunities"]


def test_an_import_with_neither_leads_nor_opportunities_stops(tmp_path):
    text = (FIXTURES / "pipeline.toml").read_text(encoding="utf-8")
    text = text.replace('["Engaging", "Won", "Lost"]', '["Closed"]')
    out = tmp_path / "data"
    with pytest.raises(DataValidationError) as caught:
        import_exports(load_mapping(str(_mapping(tmp_path, text))), PIPELINE, out)
    message = str(caught.value)
    assert "the exports gave no rows of leads or opportunities (opportunities: 0 read, 0 left;" in (
        message
    )
    assert "variant.toml), so there is nothing to report on" in message
    assert "Fix: export the leads (with their events) and/or the opportunities" in message
    assert not out.exists()


def test_skipped_lead_parts_leave_the_deals_without_their_lead_ids(tmp_path):
    # The Acme exports without the people files, and lead parts that may be skipped.
    src = tmp_path / "exports"
    src.mkdir()
    for name in ("deals.csv", "owners.csv"):
        shutil.copy(ACME / name, src / name)
    text = (ACME / "acme.toml").read_text(encoding="utf-8")
    for part in ("[[tables.leads]]\n", "[[tables.lead_events]]\n"):
        text = text.replace(part, part + "required = false\n")
    out = tmp_path / "data"
    report = import_exports(load_mapping(str(_mapping(tmp_path, text))), src, out)
    assert sorted(p.name for p in out.iterdir()) == [
        "import_log.md", "opportunities.csv", "teams.csv", "workbook.toml",
    ]  # fmt: skip
    rows = _rows(out / "opportunities.csv")
    # D01 P001, D02 P003;P009, D03 P004, D04 P999 and D06 P008 named a lead; D05 none.
    assert [row["lead_id"] for row in rows] == [""] * 6
    assert (
        "lead_id cleared on 5 opportunities: no leads were imported (the deals are kept)"
        in report.tables["opportunities"].notes
    )
    assert report.tables["leads"].notes == [
        "tables.leads[0] skipped: no file in `exports` matches `people*`"
    ]


# --- the imported folders load as data sets ---------------------------------------------------


def test_the_deals_only_import_loads_with_the_lead_side_left_out(pipeline):
    dataset = load_dataset(pipeline[0])
    assert dataset.not_supplied == ("leads", "lead_events")
    assert len(dataset["opportunities"]) == 12 and len(dataset["leads"]) == 0
    # The day after NL3JZH2O's close on 2026-04-20, the latest timestamp of the data set.
    assert dataset.as_of == pd.Timestamp("2026-04-21")
    assert [str(q) for q in dataset.quarters] == ["2026Q1", "2026Q2"]
    won = dataset["opportunities"].query("status == 'won'")["amount"].sum()
    assert won == 7925.0


def test_the_leads_only_import_loads_with_the_deal_side_left_out(funnel):
    dataset = load_dataset(funnel[0])
    assert dataset.not_supplied == ("opportunities",)
    assert len(dataset["leads"]) == 11 and len(dataset["lead_events"]) == 11
    # The day after the last first contact, 2026-04-02.
    assert dataset.as_of == pd.Timestamp("2026-04-03")
    assert dataset["leads"]["channel"].value_counts().to_dict() == {
        "unknown": 4, "paid_social": 3, "paid_search": 1, "organic_search": 1, "direct": 1,
        "paid_display": 1,
    }  # fmt: skip
