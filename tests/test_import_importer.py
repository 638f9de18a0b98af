"""``import_exports`` on the made-up "Acme CRM" exports in tests/data/imports/generic/.

Hand count of the fixture (acme.toml maps it):

people.csv (7 rows, line 2-8) and people_extra.csv (2 rows, lines 2-3), stacked by "people*":
  P001 Google Ads/Ann Lee   Q M O  Customer        (line 8 repeats line 2 exactly)
  P002 "google ads "/Bo Chan Q      Disqualified    score "n/a"
  P003 Cold Call/Ann Lee      M O  Customer
  P004 Newsletter/Bo Chan   Q      Open
  P005 Spam/Ann Lee                Disqualified    -> channel "" -> row dropped
  P006 Trade Fair/(no owner) Q M   "disqualified " sector "Select"
  P007 GOOGLE ADS/Bo Chan   Q      Open            company size "-"     (people_extra)
  P008 Newsletter/Cy Ode    Q M O  Customer        (owner not in owners.csv) (people_extra)
  (Q, M, O: Qualified On, Meeting On, Opportunity On filled)

leads: read 9, dropped 1 (Spam) + 1 (identical duplicate), kept 7.
lead_events, melt: 9 rows x 3 columns = 27 cells, 16 filled (3+1+2+1+0+2+3+1+3), 11 empty;
  the repeated P001 gives 3 identical duplicates -> 13 events: mql 6, first_touch 4, sql 3.
lead_events, rejected (where Status = disqualified): P002, P005, P006 read; P005 is not a
  lead -> dropped; 2 kept. Together: read 30, kept 15, dropped 11 + 3 + 1 = 15.
opportunities: 6 read and kept; won D01 12,000 + D02 4,500.50 + D05 6,000 = 22,500.50;
  D04's lead P999 is unknown (cleared), D04 is open (its expected close date cleared).
teams: no teams.csv -> generated from owners.csv teams north, south and the default central.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
import tomllib
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from conftest import TESTS

from helpers.data.source import load_dataset
from helpers.errors import DataValidationError, ParameterError
from helpers.importing.importer import import_exports
from helpers.importing.mapping import load_mapping
from helpers.importing.output import toml_text
from helpers.importing.report import LOG_NAME, describe_rule

GENERIC = TESTS / "data" / "imports" / "generic"
ACME = GENERIC / "acme.toml"


# --- helpers ---------------------------------------------------------------------------------


def _exports(tmp_path: Path, *, without: tuple[str, ...] = (), name: str = "exports") -> Path:
    """A copy of the fixture's export files (never the fixture itself: tests edit copies)."""
    folder = tmp_path / name
    folder.mkdir()
    for path in GENERIC.glob("*.csv"):
        if path.name not in without:
            shutil.copy(path, folder / path.name)
    return folder


def _edit_csv(path: Path, edit) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(edit(rows))


def _drop_column(path: Path, column: str) -> None:
    def edit(rows):
        i = rows[0].index(column)
        return [row[:i] + row[i + 1 :] for row in rows]

    _edit_csv(path, edit)


def _set_cell(path: Path, row_id: str, column: str, value: str) -> None:
    def edit(rows):
        i = rows[0].index(column)
        return [[*row[:i], value, *row[i + 1 :]] if row[0] == row_id else row for row in rows]

    _edit_csv(path, edit)


def _mapping(tmp_path: Path, *replacements: tuple[str, str], name: str = "variant.toml") -> Path:
    """acme.toml with some text replaced, written to ``tmp_path``."""
    text = ACME.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _sections(log: str) -> dict[str, str]:
    """The import log's sections by heading."""
    parts = re.split(r"^## ", log, flags=re.MULTILINE)
    return {part.splitlines()[0]: part for part in parts[1:]}


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = tmp_path_factory.mktemp("acme") / "data"
    before = _digest(GENERIC)
    report = import_exports(load_mapping(str(ACME)), GENERIC, out)
    assert _digest(GENERIC) == before  # the exports are only read
    return out, report


@pytest.fixture(scope="module")
def dataset(imported):
    return load_dataset(imported[0])


def _by_id(frame: pd.DataFrame, key: str, column: str) -> dict:
    return {k: (None if pd.isna(v) else v) for k, v in zip(frame[key], frame[column], strict=True)}


# --- the imported data directory ---------------------------------------------------------------


def test_imported_folder_loads_with_the_hand_counted_figures(imported, dataset):
    out, _ = imported
    assert sorted(p.name for p in out.iterdir()) == [
        "import_log.md", "lead_events.csv", "leads.csv", "opportunities.csv", "teams.csv",
        "workbook.toml",
    ]  # fmt: skip
    assert dataset["leads"]["lead_id"].tolist() == [
        "P001", "P002", "P003", "P004", "P006", "P007", "P008",
    ]  # fmt: skip
    events = dataset["lead_events"]
    assert len(events) == 15
    assert events["event"].value_counts().to_dict() == {
        "mql": 6, "first_touch": 4, "sql": 3, "rejected": 2,
    }  # fmt: skip
    opps = dataset["opportunities"]
    won = opps[opps["status"] == "won"]
    assert sorted(won["opportunity_id"]) == ["D01", "D02", "D05"]
    assert won["amount"].sum() == pytest.approx(22500.5)
    assert dataset.config.currency == "EUR" and dataset.config.sla_hours == 8


def test_columns_value_maps_and_wildcard(dataset):
    leads = dataset["leads"]
    assert _by_id(leads, "lead_id", "channel") == {
        "P001": "paid_search", "P002": "paid_search", "P003": "outbound", "P004": "email",
        "P006": "events", "P007": "paid_search", "P008": "email",
    }  # fmt: skip
    # "cold call" -> sales; every other value through "*" -> marketing.
    sources = _by_id(leads, "lead_id", "source_type")
    assert [k for k, v in sources.items() if v == "sales"] == ["P003"]
    assert set(sources.values()) == {"sales", "marketing"}
    statuses = _by_id(dataset["opportunities"], "opportunity_id", "status")
    assert statuses == {
        "D01": "won", "D02": "won", "D03": "lost", "D04": "open", "D05": "won", "D06": "open",
    }  # fmt: skip


def test_value_mapped_to_empty_drops_the_row(imported, dataset):
    assert "P005" not in set(dataset["leads"]["lead_id"])
    assert imported[1].tables["leads"].dropped["channel 'Spam' maps to an empty cell"] == 1


def test_dates_override_reads_day_first(dataset):
    created = dataset["leads"].set_index("lead_id")["created_at"]
    assert created["P001"] == pd.Timestamp("2026-01-05 09:00")
    assert created["P004"] == pd.Timestamp("2026-02-11 11:11")
    assert created["P008"] == pd.Timestamp("2026-04-09 09:00")
    opened = dataset["opportunities"].set_index("opportunity_id")["created_at"]
    assert opened["D03"] == pd.Timestamp("2026-02-20")


def test_without_the_dates_override_ambiguous_dates_stop_the_import(tmp_path):
    mapping = _mapping(tmp_path, ('dates = { created_at = "%d/%m/%Y %H:%M" }\n', ""))
    out = tmp_path / "data"
    with pytest.raises(
        DataValidationError,
        # P003's 02/02 reads the same either way; P005 (Spam) is dropped before dates are read.
        match=r"people\.csv, column 'Added On': 5 value\(s\) could be day-first or month-first, "
        r"e\.g\. '05/01/2026 09:00' \(lines 2, 3, 5, 7, 8\)",
    ):
        import_exports(load_mapping(str(mapping)), GENERIC, out)
    assert not out.exists()


def test_lookups_with_default(dataset):
    teams = _by_id(dataset["leads"], "lead_id", "team")
    # Ann Lee -> north, Bo Chan -> south; P006 has no owner, Cy Ode is not in owners.csv.
    assert teams == {
        "P001": "north", "P002": "south", "P003": "north", "P004": "south",
        "P006": "central", "P007": "south", "P008": "central",
    }  # fmt: skip
    deal_teams = _by_id(dataset["opportunities"], "opportunity_id", "team")
    assert deal_teams["D05"] == "central" and deal_teams["D03"] == "south"


def test_lookup_without_default_stops_at_an_unmatched_row(tmp_path):
    mapping = _mapping(
        tmp_path,
        ('value = "team", default = "central" }\n\n[tables', 'value = "team" }\n\n[tables'),
    )
    with pytest.raises(
        DataValidationError,
        match=r"people\.csv, column 'Owner': 1 value\(s\) have no match in column 'owner' of "
        r"owners\.csv, e\.g\. ''.* \(line 7\)\. Fix: add them to owners\.csv, or give "
        r"tables\.leads\[0\]\.lookups\.team a default",
    ):
        import_exports(load_mapping(str(mapping)), GENERIC, tmp_path / "data")


def test_absent_lookup_file_gives_every_row_the_default(tmp_path):
    src = _exports(tmp_path, without=("owners.csv",))
    out = tmp_path / "data"
    # A copy of the mapping: the fixture's own acme.toml has owners.csv beside it.
    report = import_exports(load_mapping(str(_mapping(tmp_path))), src, out)
    data = load_dataset(out)
    assert set(data["leads"]["team"]) == {"central"}
    assert data["teams"]["team"].tolist() == ["central"]
    assert any("no lookup file `owners.csv`" in note for note in report.tables["leads"].notes)


def test_absent_lookup_file_without_default_stops(tmp_path):
    src = _exports(tmp_path, without=("owners.csv",))
    mapping = _mapping(
        tmp_path,
        ('value = "team", default = "central" }\n\n[tables', 'value = "team" }\n\n[tables'),
    )
    with pytest.raises(
        DataValidationError,
        match=r"owners\.csv: lookup file of tables\.leads\[0\]\.lookups\.team is neither in",
    ):
        import_exports(load_mapping(str(mapping)), src, tmp_path / "data")


def test_each_lookup_decides_with_its_own_default(tmp_path):
    # leads have a default for the absent owners.csv; opportunities have none.
    src = _exports(tmp_path, without=("owners.csv",))
    text = ACME.read_text(encoding="utf-8")
    head, tail = text.split("[[tables.opportunities]]")
    mapping = tmp_path / "variant.toml"
    mapping.write_text(
        head + "[[tables.opportunities]]" + tail.replace(', default = "central"', ""),
        encoding="utf-8",
    )
    with pytest.raises(
        DataValidationError, match=r"lookup file of tables\.opportunities\[0\]\.lookups\.team"
    ):
        import_exports(load_mapping(str(mapping)), src, tmp_path / "data")


def test_lookup_file_beside_the_mapping_file(tmp_path):
    src = _exports(tmp_path, without=("owners.csv",))
    beside = tmp_path / "mappings"
    beside.mkdir()
    shutil.copy(ACME, beside / "acme.toml")
    shutil.copy(GENERIC / "owners.csv", beside / "owners.csv")
    out = tmp_path / "data"
    import_exports(load_mapping(str(beside / "acme.toml")), src, out)
    assert sorted(load_dataset(out)["teams"]["team"]) == ["central", "north", "south"]


def test_split_takes_the_first_value_and_unknown_leads_are_cleared(imported, dataset):
    leads = _by_id(dataset["opportunities"], "opportunity_id", "lead_id")
    assert leads == {
        "D01": "P001", "D02": "P003", "D03": "P004", "D04": None, "D05": None, "D06": "P008",
    }  # fmt: skip
    notes = imported[1].tables["opportunities"].notes
    assert any(n.startswith("lead_id cleared on 1 opportunities") for n in notes)


def test_open_deals_lose_their_expected_close_date(dataset):
    closed = dataset["opportunities"].set_index("opportunity_id")["closed_at"]
    assert pd.isna(closed["D04"]) and pd.isna(closed["D06"])
    assert closed["D03"] == pd.Timestamp("2026-04-15")


def test_melt_constants_and_where(dataset):
    events = dataset["lead_events"]
    melted = events[events["event"] != "rejected"]
    assert set(melted["actor"]) == {"acme"}  # constants of the melt part
    assert sorted(events.loc[events["event"] == "sql", "lead_id"]) == ["P001", "P003", "P008"]
    rejected = events[events["event"] == "rejected"].set_index("lead_id")
    # where "DISQUALIFIED" finds "Disqualified" and "disqualified "; P005 is not a lead.
    assert rejected["reason"].to_dict() == {"P002": "no budget", "P006": "not a fit"}
    assert rejected["at"].to_dict() == {
        "P002": pd.Timestamp("2026-01-15 16:00"), "P006": pd.Timestamp("2026-03-25 10:00"),
    }  # fmt: skip
    assert rejected["actor"].isna().all()


def test_keep_columns_are_snake_case_after_the_canonical_ones(imported, dataset):
    header = (imported[0] / "leads.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ("lead_id,created_at,team,channel,source_type,score,sector,company_size")
    leads = dataset["leads"].set_index("lead_id")
    assert leads.loc["P001", "sector"] == "Software"
    assert pd.isna(leads.loc["P006", "sector"])  # "Select" is a placeholder
    assert pd.isna(leads.loc["P007", "company_size"])  # "-"
    assert pd.isna(leads.loc["P002", "score"]) and leads.loc["P004", "score"] == 55


def test_several_files_matching_a_glob_are_stacked(imported, dataset):
    assert {"P007", "P008"} <= set(dataset["leads"]["lead_id"])
    files = "\n".join(imported[1].files)
    assert "`people.csv`: 7 rows" in files and "`people_extra.csv`: 2 rows" in files


def test_teams_are_generated_when_the_teams_part_is_skipped(imported, dataset):
    teams = dataset["teams"]
    assert teams["team"].tolist() == ["central", "north", "south"]
    assert set(teams["region"]) == {"unspecified"} and set(teams["segment"]) == {"unspecified"}
    notes = imported[1].tables["teams"].notes
    assert notes[0] == "tables.teams[0] skipped: no file in `generic` matches `teams.csv`"


def test_a_teams_file_is_used_when_present(tmp_path):
    src = _exports(tmp_path)
    (src / "teams.csv").write_text(
        "team,name,region,segment\n"
        "north,North,EMEA,enterprise\nsouth,South,EMEA,smb\ncentral,Central,EMEA,mid-market\n",
        encoding="utf-8",
    )
    out = tmp_path / "data"
    report = import_exports(load_mapping(str(ACME)), src, out)
    teams = load_dataset(out)["teams"].set_index("team")
    assert teams["name"].to_dict() == {"north": "North", "south": "South", "central": "Central"}
    assert report.tables["teams"].read == 3 and report.tables["teams"].notes == []


# --- the import log ------------------------------------------------------------------------------


def test_report_counts(imported):
    report = imported[1]
    leads, events = report.tables["leads"], report.tables["lead_events"]
    assert (leads.read, leads.kept) == (9, 7)
    assert leads.dropped == Counter(
        {"channel 'Spam' maps to an empty cell": 1, "identical duplicate row": 1}
    )
    assert (events.read, events.kept) == (30, 15)
    assert events.dropped == Counter(
        {
            "event date empty (the event did not happen)": 11,
            "identical duplicate row": 3,
            "lead not among the imported leads": 1,
        }
    )
    opps = report.tables["opportunities"]
    assert (opps.read, opps.kept, opps.n_dropped) == (6, 6, 0)
    assert (report.tables["teams"].read, report.tables["teams"].kept) == (0, 3)


def test_import_log_says_what_happened(imported):
    out, report = imported
    log = (out / LOG_NAME).read_text(encoding="utf-8")
    assert log == report.to_markdown()
    assert log.startswith("# workbook import log\n")
    sections = _sections(log)
    assert list(sections) == [
        "Files read", "teams", "leads", "lead_events", "opportunities", "Validation",
    ]  # fmt: skip
    files = sections["Files read"]
    assert "`people.csv`: 7 rows, utf-8, separator ','; placeholders emptied: `Score` 1, " \
        "`Sector` 1" in files  # fmt: skip
    assert "`people_extra.csv`: 2 rows, utf-8, separator ','; placeholders emptied: " \
        "`Company Size` 1" in files  # fmt: skip

    leads = sections["leads"]
    assert "- rows read: 9, kept: 7, dropped: 2" in leads
    assert "  - channel 'Spam' maps to an empty cell: 1" in leads
    assert "  - identical duplicate row: 1" in leads
    assert "`people.csv`, column `Origin`: `Google Ads`, `google ads` → `Google Ads`" in leads
    assert "`people.csv`, column `Added On`: %d/%m/%Y %H:%M" in leads
    assert "1 row(s) of `people_extra.csv` without a match in `owners.csv` get the default " \
        "'central'" in leads  # fmt: skip

    events = sections["lead_events"]
    assert "- rows read: 30, kept: 15, dropped: 15" in events
    assert "  - event date empty (the event did not happen): 11" in events
    assert "  - identical duplicate row: 3" in events
    assert "  - lead not among the imported leads: 1" in events
    assert "`people.csv`, column `Qualified On`: ISO 8601" in events
    assert "3 of 7 rows of `people.csv` match where `Status` in `DISQUALIFIED`" in events

    opps = sections["opportunities"]
    assert "- rows read: 6, kept: 6, dropped: 0" in opps
    assert "`deals.csv`, column `Result`: `Won`, `won` → `Won`" in opps
    assert "closed_at cleared on 1 open opportunities" in opps
    assert "- valid, nothing flagged" in sections["Validation"]


def _rule_lines(section: str) -> list[str]:
    """The lines under "value maps, rows changed by each rule" of one table's log section."""
    lines = section.splitlines()
    start = lines.index("- value maps, rows changed by each rule:") + 1
    rules = []
    for line in lines[start:]:
        if not line.startswith("  - "):
            break
        rules.append(line[4:])
    return rules


def test_import_log_counts_the_rows_each_value_rule_changed(imported):
    sections = _sections((imported[0] / LOG_NAME).read_text(encoding="utf-8"))
    # Origin of the 9 people rows read (P001 twice): Google Ads x2, "google ads " (unified to
    # Google Ads), GOOGLE ADS -> 4 rows for "google ads"; Newsletter x2 (P004, P008); Trade
    # Fair (P006); Cold Call (P003); Spam (P005, then dropped). Every rule changes its rows.
    assert _rule_lines(sections["leads"]) == [
        "tables.leads[0].values.channel: `google ads` → `paid_search`: 4 rows",
        "tables.leads[0].values.channel: ` NEWSLETTER ` → `email`: 2 rows",
        "tables.leads[0].values.channel: `trade  fair` → `events`: 1 row",
        "tables.leads[0].values.channel: `Cold Call` → `outbound`: 1 row",
        "tables.leads[0].values.channel: `Spam` → empty cell: 1 row",
        "tables.leads[0].values.source_type: `cold call` → `sales`: 1 row",
        "tables.leads[0].values.source_type: any other value (`*`) → `marketing`: 8 rows",
    ]
    # Result of D01..D06: Won, won (unified to Won), Lost, Open, Won, In Negotiation.
    assert _rule_lines(sections["opportunities"]) == [
        "tables.opportunities[0].values.status: `Won` → `won`: 3 rows",
        "tables.opportunities[0].values.status: `Lost` → `lost`: 1 row",
        "tables.opportunities[0].values.status: any other value (`*`) → `open`: 2 rows",
    ]
    assert imported[1].tables["opportunities"].value_rules == {
        ("tables.opportunities[0].values.status", "`Won` → `won`"): 3,
        ("tables.opportunities[0].values.status", "`Lost` → `lost`"): 1,
        ("tables.opportunities[0].values.status", "any other value (`*`) → `open`"): 2,
    }


def test_a_rule_mapping_a_value_to_itself_changes_no_row(tmp_path):
    # "Lost" = "Lost" keeps D03's value as it is (the vocabulary check lower-cases it later);
    # "Open" = "open" changes D04; "In Negotiation" is now the only value left to "*".
    text = ACME.read_text(encoding="utf-8").replace(
        'values.status = { "Won" = "won", "Lost" = "lost", "*" = "open" }',
        'values.status = { "Won" = "won", "Lost" = "Lost", "Open" = "open", "Closed" = "lost", '
        '"*" = "open" }',
    )
    mapping = tmp_path / "variant.toml"
    mapping.write_text(text, encoding="utf-8")
    report = import_exports(load_mapping(str(mapping)), _exports(tmp_path), tmp_path / "data")
    assert list(report.tables["opportunities"].value_rules.items()) == [
        (("tables.opportunities[0].values.status", "`Won` → `won`"), 3),
        (("tables.opportunities[0].values.status", "`Lost` → `Lost`"), 0),
        (("tables.opportunities[0].values.status", "`Open` → `open`"), 1),
        (("tables.opportunities[0].values.status", "`Closed` → `lost`"), 0),
        (("tables.opportunities[0].values.status", "any other value (`*`) → `open`"), 1),
    ]


def test_describe_rule():
    assert describe_rule("Google Ads", "paid_search") == "`Google Ads` → `paid_search`"
    assert describe_rule("", "unknown") == "empty cell → `unknown`"
    assert describe_rule("*", "marketing") == "any other value (`*`) → `marketing`"
    assert describe_rule("Spam", "") == "`Spam` → empty cell"


def test_workbook_toml_from_the_mapping(imported):
    settings = tomllib.loads((imported[0] / "workbook.toml").read_text(encoding="utf-8"))
    assert settings == {
        "currency": "EUR",
        "timezone": "Europe/Berlin",
        "fiscal_year_start_month": 1,
        "sla": {"mql_to_first_touch_hours": 8},
    }


def test_toml_text_round_trips():
    import datetime as dt

    settings = {
        "currency": 'E"U\\R\n',
        "as_of": dt.date(2026, 10, 1),
        "flag": True,
        "ratio": 0.25,
        "count": 3,
        "days": ["Mon", "Tue"],
        "empty": {},
        "business_hours": {"start": "09:00", "holidays": []},
        "sla": {"mql_to_first_touch_hours": 24, "per_channel": {"paid search": 4.5}},
        "weird key": {"x.y": [1, 2.5, "z"]},
    }
    assert tomllib.loads(toml_text(settings)) == settings
    assert toml_text({}) == ""


# --- options of a part ---------------------------------------------------------------------------


def test_optional_canonical_column_left_out_when_absent(tmp_path):
    src = _exports(tmp_path)
    for name in ("people.csv", "people_extra.csv"):
        _drop_column(src / name, "Score")
    out = tmp_path / "data"
    report = import_exports(load_mapping(str(ACME)), src, out)
    header = (out / "leads.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "lead_id,created_at,team,channel,source_type,sector,company_size"
    assert load_dataset(out)["leads"]["score"].isna().all()
    assert "score left out of tables.leads[0]: `people.csv` has no column `Score`" in (
        report.tables["leads"].notes
    )


def test_optional_melt_column_left_out_when_absent(tmp_path):
    src = _exports(tmp_path)
    for name in ("people.csv", "people_extra.csv"):
        _drop_column(src / name, "Meeting On")
    out = tmp_path / "data"
    report = import_exports(load_mapping(str(ACME)), src, out)
    counts = load_dataset(out)["lead_events"]["event"].value_counts().to_dict()
    assert counts == {"mql": 6, "sql": 3, "rejected": 2}
    # 9 rows x 2 melted columns + 3 rejections; 9 melted dates filled (plus the duplicates).
    assert report.tables["lead_events"].read == 21
    log = (out / LOG_NAME).read_text(encoding="utf-8")
    assert "event `first_touch` left out of tables.lead_events[0]: `people.csv` has no " \
        "column `Meeting On`" in log  # fmt: skip


def test_required_column_absent_stops_naming_the_file_and_the_fix(tmp_path):
    src = _exports(tmp_path)
    _drop_column(src / "people.csv", "Qualified On")
    out = tmp_path / "data"
    with pytest.raises(
        DataValidationError,
        match=r"people\.csv, column 'Qualified On': column\(s\) missing for "
        r"tables\.lead_events\[0\] of .*variant\.toml; the header has: Person ID, .*Fix: export "
        r"these columns too, or correct the names in tables\.lead_events\[0\], or list them in "
        r"tables\.lead_events\[0\]\.optional",
    ):
        import_exports(load_mapping(str(_mapping(tmp_path))), src, out)
    assert not out.exists()


def test_part_not_required_is_skipped_and_logged_when_a_column_is_absent(tmp_path):
    src = _exports(tmp_path)
    for name in ("people.csv", "people_extra.csv"):
        _drop_column(src / name, "Status")
    mapping = _mapping(
        tmp_path, ('constants = { event = "rejected" }\n', 'constants = { event = "rejected" }\n'
                   "required = false\n")
    )  # fmt: skip
    out = tmp_path / "data"
    report = import_exports(load_mapping(str(mapping)), src, out)
    assert "rejected" not in set(load_dataset(out)["lead_events"]["event"])
    assert "tables.lead_events[1] skipped: `people.csv` has no column `Status`" in (
        report.tables["lead_events"].notes
    )


def test_missing_export_file_of_a_required_part(tmp_path):
    src = _exports(tmp_path, without=("deals.csv",))
    with pytest.raises(
        DataValidationError,
        match=r"exports: no file matches 'deals\*' \(tables\.opportunities\[0\]\.file of .*"
        r"acme\.toml\); the folder has: owners\.csv, people\.csv, people_extra\.csv",
    ):
        import_exports(load_mapping(str(ACME)), src, tmp_path / "data")


def test_file_globs_ignore_case(tmp_path):
    src = _exports(tmp_path)
    (src / "deals.csv").rename(src / "DEALS-2026.CSV")
    out = tmp_path / "data"
    import_exports(load_mapping(str(ACME)), src, out)
    assert len(load_dataset(out)["opportunities"]) == 6


def test_empty_required_cell_in_the_export_stops_with_its_line(tmp_path):
    src = _exports(tmp_path)
    _set_cell(src / "people.csv", "P003", "Added On", "")
    with pytest.raises(
        DataValidationError,
        match=r"people\.csv, column 'Added On': 1 empty cell\(s\), but leads\.created_at is "
        r"required .*\(line 4\)",
    ):
        import_exports(load_mapping(str(ACME)), src, tmp_path / "data")


def test_a_placeholder_in_a_required_cell_counts_as_empty(tmp_path):
    src = _exports(tmp_path)
    _set_cell(src / "people_extra.csv", "P008", "Origin", "n/a")
    with pytest.raises(
        DataValidationError,
        match=r"people_extra\.csv, column 'Origin': 1 empty cell\(s\), but leads\.channel is "
        r"required .*\(line 3\)",
    ):
        import_exports(load_mapping(str(ACME)), src, tmp_path / "data")


def test_conflicting_duplicate_keys_stop_with_the_lines_of_both_rows(tmp_path):
    src = _exports(tmp_path)
    _edit_csv(
        src / "people_extra.csv",
        lambda rows: [*rows, ["P001", "05/01/2026 09:00", "Newsletter", *rows[1][3:]]],
    )
    with pytest.raises(DataValidationError) as caught:
        import_exports(load_mapping(str(ACME)), src, tmp_path / "data")
    text = str(caught.value)
    # The exact repeat of P001 (line 8) is dropped first; lines 2 and 4 differ.
    assert re.search(
        r"people\.csv, column 'Person ID': 1 lead_id value\(s\) occur in rows that differ, "
        r"e\.g\. 'P001' \(leads\) \(line 2\)",
        text,
    )
    assert re.search(r"people_extra\.csv, column 'Person ID': .*\(line 4\)", text)


def test_values_without_wildcard_pass_through_and_take_the_canonical_spelling(tmp_path):
    mapping = _mapping(
        tmp_path,
        (
            'values.status = { "Won" = "won", "Lost" = "lost", "*" = "open" }',
            'values.status = { "in negotiation" = "open" }',
        ),
    )
    out = tmp_path / "data"
    report = import_exports(load_mapping(str(mapping)), GENERIC, out)
    statuses = _by_id(load_dataset(out)["opportunities"], "opportunity_id", "status")
    assert statuses == {
        "D01": "won", "D02": "won", "D03": "lost", "D04": "open", "D05": "won", "D06": "open",
    }  # fmt: skip
    assert ("opportunities.status", ("Lost",), "lost") in report.tables[
        "opportunities"
    ].unifications


def test_report_footer_after_the_rows_is_left_out(tmp_path):
    src = _exports(tmp_path)
    with (src / "deals.csv").open("a", encoding="utf-8") as handle:
        handle.write('\n"Copyright (c) Acme CRM"\n"Generated By: Pat"\n')
    out = tmp_path / "data"
    report = import_exports(load_mapping(str(ACME)), src, out)
    assert len(load_dataset(out)["opportunities"]) == 6
    assert any("2 footer line(s)" in line for line in report.files)


def test_day_month_order_settled_by_another_column_of_the_file(tmp_path):
    src = _exports(tmp_path)

    def us_dates(rows):
        # Opened only has dates that read either way; Closed's 2/13/2026 is month-first.
        opened = {"D01": "1/9/2026", "D02": "2/10/2026", "D03": "2/11/2026", "D04": "3/1/2026",
                  "D05": "5/5/2026", "D06": "5/6/2026"}  # fmt: skip
        closed = {"D01": "2/13/2026", "D02": "3/1/2026", "D03": "4/15/2026", "D04": "",
                  "D05": "6/1/2026", "D06": ""}  # fmt: skip
        out = [rows[0]]
        for row in rows[1:]:
            out.append([row[0], row[1], opened[row[0]], closed[row[0]], *row[4:]])
        return out

    _edit_csv(src / "deals.csv", us_dates)
    out = tmp_path / "data"
    report = import_exports(load_mapping(str(ACME)), src, out)
    opened = load_dataset(out)["opportunities"].set_index("opportunity_id")["created_at"]
    assert opened["D02"] == pd.Timestamp("2026-02-10")  # month-first, as 2/13/2026 says
    formats = report.tables["opportunities"].date_formats
    assert formats["`deals.csv`, column `Opened`"] == (
        "M/D/YYYY (order M/D settled by the file's other date columns)"
    )


# --- writing: atomic, --force ------------------------------------------------------------------


def test_failing_validation_leaves_no_out_and_no_temporary_folder(tmp_path):
    mapping = _mapping(tmp_path, ('"*" = "marketing"', '"*" = "Marketing stuff"'))
    out = tmp_path / "data"
    with pytest.raises(
        DataValidationError,
        match=r"(?s)data \(imported tables, nothing written\).*leads\.csv, column 'source_type'",
    ):
        import_exports(load_mapping(str(mapping)), GENERIC, out)
    assert not out.exists()
    assert _leftovers(tmp_path) == []


def test_failing_validation_into_new_folders_creates_none(tmp_path):
    mapping = _mapping(tmp_path, ('"*" = "marketing"', '"*" = "Marketing stuff"'))
    with pytest.raises(DataValidationError, match="source_type"):
        import_exports(load_mapping(str(mapping)), GENERIC, tmp_path / "new" / "deeper" / "data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["variant.toml"]


def test_existing_folder_not_made_by_an_import_is_refused_even_with_force(tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    for force in (False, True):
        with pytest.raises(ParameterError, match="data") as caught:
            import_exports(load_mapping(str(ACME)), GENERIC, out, force=force)
    assert "refusing to overwrite a folder it did not create" in str(caught.value)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert _leftovers(tmp_path) == []


def test_a_foreign_import_log_is_not_enough(tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    (out / LOG_NAME).write_text("my own notes\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="refusing to overwrite"):
        import_exports(load_mapping(str(ACME)), GENERIC, out, force=True)


def test_an_earlier_import_is_replaced_only_with_force(tmp_path):
    out = tmp_path / "data"
    import_exports(load_mapping(str(ACME)), GENERIC, out)
    src = _exports(tmp_path, without=("owners.csv",))
    mapping = load_mapping(str(_mapping(tmp_path)))  # not beside owners.csv
    with pytest.raises(ParameterError, match=r"exists and is not empty\. Fix: pass --force"):
        import_exports(mapping, src, out)
    assert sorted(load_dataset(out)["teams"]["team"]) == ["central", "north", "south"]

    import_exports(mapping, src, out, force=True)
    assert load_dataset(out)["teams"]["team"].tolist() == ["central"]  # no owners.csv now
    assert _leftovers(tmp_path) == []


def test_a_failing_forced_import_keeps_the_earlier_one(tmp_path):
    out = tmp_path / "data"
    import_exports(load_mapping(str(ACME)), GENERIC, out)
    before = _digest(out)
    src = _exports(tmp_path)
    _set_cell(src / "people.csv", "P003", "Added On", "")
    with pytest.raises(DataValidationError):
        import_exports(load_mapping(str(ACME)), src, out, force=True)
    assert _digest(out) == before
    assert _leftovers(tmp_path) == []


def test_an_empty_existing_folder_is_filled(tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    import_exports(load_mapping(str(ACME)), GENERIC, out)
    assert (out / LOG_NAME).exists() and (out / "leads.csv").exists()


def test_out_that_is_a_file_and_src_that_is_not_a_folder(tmp_path):
    (tmp_path / "data").write_text("x", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"data is a file"):
        import_exports(load_mapping(str(ACME)), GENERIC, tmp_path / "data")
    with pytest.raises(ParameterError, match=r"nowhere is not a folder"):
        import_exports(load_mapping(str(ACME)), tmp_path / "nowhere", tmp_path / "out")


def test_mapping_may_be_given_by_path(tmp_path):
    out = tmp_path / "data"
    report = import_exports(str(ACME), GENERIC, out)
    assert report.tables["leads"].kept == 7
