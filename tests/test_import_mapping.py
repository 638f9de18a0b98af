"""Mapping files of ``workbook import``: parsing into frozen dataclasses and every key's checks.

Each bad mapping must stop with a MappingError naming the mapping file and the key path
(``tables.leads[0].values.chanel``), what was received and the fix.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import tomllib
from pathlib import Path

import pytest
from conftest import TESTS

from helpers.errors import MappingError
from helpers.importing.mapping import (
    Mapping,
    available_presets,
    load_mapping,
    parse_mapping,
    snake_case,
)

ACME = TESTS / "data" / "imports" / "generic" / "acme.toml"

# A small valid mapping; {head}, {leads}, {events} and {opps} take extra lines for one test.
TEMPLATE = """
{head}
[[tables.leads]]
file = "people*"
columns = {{ lead_id = "Person ID", created_at = "Added On", channel = "Origin", source_type = "Origin", team = "Owner" }}
{leads}

[[tables.lead_events]]
file = "people*"
columns = {{ lead_id = "Person ID" }}
melt = {{ "Qualified On" = "mql" }}
{events}

[[tables.opportunities]]
file = "deals*"
columns = {{ opportunity_id = "Deal No", team = "Owner", created_at = "Opened", status = "Result", amount = "Value" }}
{opps}
"""  # noqa: E501


def _text(head: str = "", leads: str = "", events: str = "", opps: str = "") -> str:
    return TEMPLATE.format(head=head, leads=leads, events=events, opps=opps)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "my_mapping.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_mapping_is_valid(tmp_path):
    mapping = load_mapping(str(_write(tmp_path, _text())))
    assert isinstance(mapping, Mapping)
    assert mapping.tables == ("leads", "lead_events", "opportunities")
    assert mapping.date_format == "auto" and mapping.decimal == "."
    assert mapping.directory == tmp_path
    assert "Select" in mapping.missing  # the default placeholders


def test_generic_mapping_parses_every_key():
    mapping = load_mapping(str(ACME))
    assert mapping.label == str(ACME)
    assert mapping.description == "Acme CRM people and deals exports"
    assert mapping.missing == ("-", "n/a", "Select")
    assert dict(mapping.workbook) == {
        "currency": "EUR",
        "timezone": "Europe/Berlin",
        "fiscal_year_start_month": 1,
        "sla": {"mql_to_first_touch_hours": 8},
    }
    assert mapping.tables == ("teams", "leads", "lead_events", "opportunities")
    teams, leads, melt, rejected, opps = mapping.parts
    assert teams.required is False and teams.key == "tables.teams[0]"
    assert leads.file == "people*"
    assert leads.columns["channel"] == "Origin" and leads.columns["source_type"] == "Origin"
    assert leads.optional == ("score",)
    assert dict(leads.kept_columns) == {"Sector": "sector", "Company Size": "company_size"}
    assert leads.date_format("created_at", mapping.date_format) == "%d/%m/%Y %H:%M"
    assert leads.lookups["team"].default == "central"
    assert leads.lookups["team"].on == "Owner" and leads.lookups["team"].match == "owner"
    assert leads.produced == ("lead_id", "created_at", "team", "channel", "source_type", "score")

    channel = leads.values["channel"]
    # Keys match ignoring case and spaces, both in the mapping and in the data.
    assert channel.translate("Google Ads") == "paid_search"
    assert channel.translate("Newsletter") == "email"  # key " NEWSLETTER "
    assert channel.translate("Trade Fair") == "events"  # key "trade  fair"
    assert channel.translate("Spam") == ""
    assert channel.translate("Fax") == "Fax"  # no "*": passes through
    source_type = leads.values["source_type"]
    assert source_type.translate("Cold Call") == "sales"
    assert source_type.translate("Fax") == "marketing"  # "*"
    assert source_type.translate("") == ""  # "*" maps values, not empty cells

    assert melt.key == "tables.lead_events[0]"
    assert dict(melt.melt) == {"Qualified On": "mql", "Meeting On": "first_touch",
                               "Opportunity On": "sql"}  # fmt: skip
    assert melt.optional == ("Meeting On",)
    assert melt.produced == ("lead_id", "event", "at", "actor")
    assert melt.date_format("Qualified On", "auto") == "auto"
    assert rejected.where == {"Status": ("DISQUALIFIED",)}
    assert rejected.constants == {"event": "rejected"}
    assert opps.split == {"lead_id": ";"}
    assert opps.values["status"].translate("won") == "won"
    assert opps.values["status"].translate("In Negotiation") == "open"


def test_mapping_is_immutable():
    mapping = load_mapping(str(ACME))
    with pytest.raises(dataclasses.FrozenInstanceError):
        mapping.decimal = ","  # type: ignore[misc]
    with pytest.raises(TypeError):
        mapping.parts[1].columns["lead_id"] = "other"  # type: ignore[index]
    with pytest.raises(TypeError):
        mapping.workbook["currency"] = "USD"  # type: ignore[index]


def test_parse_mapping_does_not_change_its_input():
    settings = tomllib.loads(ACME.read_text(encoding="utf-8"))
    before = copy.deepcopy(settings)
    parse_mapping(settings, label="acme.toml")
    assert settings == before


def test_preset_names_are_read_from_the_package():
    assert {"hubspot", "salesforce"} <= set(available_presets())
    mapping = load_mapping("hubspot")
    assert mapping.label == "preset 'hubspot'"
    assert "leads" in mapping.tables


def test_unknown_preset_lists_the_available_ones():
    with pytest.raises(MappingError, match=r"unknown preset 'hubspoot'.*hubspot.*salesforce"):
        load_mapping("hubspoot")


def test_a_preset_name_cannot_leave_the_presets_folder():
    with pytest.raises(MappingError, match="unknown preset"):
        load_mapping("..")


def test_missing_mapping_file(tmp_path):
    with pytest.raises(MappingError, match=r"mapping file .*nope\.toml does not exist"):
        load_mapping(str(tmp_path / "nope.toml"))


def test_mapping_file_that_is_not_toml(tmp_path):
    path = _write(tmp_path, "[[tables.leads]\nfile = 1\n")
    with pytest.raises(MappingError, match=r"my_mapping\.toml: not valid TOML \(.*line 1"):
        load_mapping(str(path))


def test_errors_name_the_mapping_file(tmp_path):
    path = _write(tmp_path, _text(leads="colums = {}"))
    with pytest.raises(MappingError, match=re.escape(str(path))):
        load_mapping(str(path))


BAD = [
    pytest.param(dict(head="tabels = 1"), "key 'tabels' is not a known key", id="unknown-top-key"),
    pytest.param(
        dict(leads="colums = {}"),
        "key 'tables.leads[0].colums' is not a known key. Fix: did you mean 'columns'?",
        id="unknown-part-key",
    ),
    pytest.param(
        dict(opps='[[tables.lead]]\nfile = "x"'),
        "key 'tables.lead': got 'lead'. Fix: did you mean 'leads'? Use a canonical table",
        id="unknown-table",
    ),
    pytest.param(
        dict(leads='values.chanel = { "Web" = "website" }'),
        "key 'tables.leads[0].values.chanel': got 'chanel'. Fix: did you mean 'channel'?",
        id="unknown-column-in-values",
    ),
    pytest.param(
        dict(leads='constants = { campaing_id = "C1" }'),
        "key 'tables.leads[0].constants.campaing_id'",
        id="unknown-column-in-constants",
    ),
    pytest.param(
        dict(leads="lookups.team = 3"),
        "key 'tables.leads[0].lookups.team': got 3",
        id="lookup-not-a-table",
    ),
    pytest.param(
        dict(leads='melt = { "Qualified On" = "mql" }'),
        "key 'tables.leads[0].melt'",
        id="melt-outside-lead-events",
    ),
    pytest.param(
        dict(opps='keep = ["Region"]'),
        "key 'tables.opportunities[0].keep'",
        id="keep-outside-leads",
    ),
    pytest.param(
        dict(leads='keep = ["Channel"]'),
        "key 'tables.leads[0].keep': got 'Channel'",
        id="keep-collides-with-canonical",
    ),
    pytest.param(
        dict(leads='keep = ["Company Size", "company-size"]'),
        "key 'tables.leads[0].keep': got 'company-size'",
        id="keep-twice-the-same-snake-name",
    ),
    pytest.param(
        dict(head='[import]\ndecimal = ";"'),
        "key 'import.decimal': got ';'",
        id="decimal",
    ),
    pytest.param(
        dict(head='[import]\ndate_format = "dd/mm/yyyy"'),
        "key 'import.date_format': got 'dd/mm/yyyy'",
        id="date-format",
    ),
    pytest.param(
        dict(head="[import]\nmissing = [1]"),
        "key 'import.missing': got [1]",
        id="missing-not-texts",
    ),
    pytest.param(
        dict(head='[import]\nencoding = "latin-1"'),
        "key 'import.encoding' is not a known key",
        id="unknown-import-key",
    ),
    pytest.param(
        dict(leads='dates = { channel = "%d" }'),
        "key 'tables.leads[0].dates.channel'",
        id="dates-of-a-text-column",
    ),
    pytest.param(
        dict(leads='dates = { created_at = "dd.mm" }'),
        "key 'tables.leads[0].dates.created_at': got 'dd.mm'",
        id="dates-bad-format",
    ),
    pytest.param(
        dict(leads='required = "no"'),
        "key 'tables.leads[0].required': got 'no'",
        id="required-not-bool",
    ),
    pytest.param(
        dict(leads='lookups.campaign_id = { file = "c.csv", on = "X", value = "id" }'),
        "key 'tables.leads[0].lookups.campaign_id.match'",
        id="lookup-without-match",
    ),
    pytest.param(
        dict(
            leads='lookups.campaign_id = { file = "c.csv", on = "X", match = "x", value = "id", '
            'defualt = "" }'
        ),
        "key 'tables.leads[0].lookups.campaign_id.defualt' is not a known key. Fix: did you "
        "mean 'default'?",
        id="lookup-unknown-key",
    ),
    pytest.param(
        dict(leads='lookups.team = { file = "o.csv", on = "Owner", match = "o", value = "t" }'),
        "key 'tables.leads[0].lookups.team': got 'team'. Fix: fill 'team' in one way only",
        id="column-filled-twice",
    ),
    pytest.param(
        dict(events='constants = { at = "2026-01-01" }'),
        "key 'tables.lead_events[0].constants.at': got 'at'. Fix: leave out 'at'",
        id="melt-and-at-column",
    ),
    pytest.param(
        dict(leads='optional = ["lead_id"]'),
        "key 'tables.leads[0].optional': got 'lead_id'. Fix: 'lead_id' is a required column",
        id="optional-required-column",
    ),
    pytest.param(
        dict(leads='optional = ["Score"]'),
        "key 'tables.leads[0].optional': got 'Score'",
        id="optional-unknown",
    ),
    pytest.param(
        dict(leads='values.channel = { "Web" = "website", "web " = "site" }'),
        "key 'tables.leads[0].values.channel.web ': got 'site'. Fix: keep one entry: 'Web'",
        id="value-map-same-key-twice",
    ),
    pytest.param(
        dict(leads='values.channel = { "Web" = 1 }'),
        "key 'tables.leads[0].values.channel.Web': got 1",
        id="value-map-target-not-text",
    ),
    pytest.param(
        dict(leads='values.campaign_id = { "x" = "y" }'),
        "key 'tables.leads[0].values.campaign_id': got 'campaign_id'. Fix: map 'campaign_id'",
        id="value-map-of-unfilled-column",
    ),
    pytest.param(
        dict(leads='split = { campaign_id = ";" }'),
        "key 'tables.leads[0].split.campaign_id'",
        id="split-of-unmapped-column",
    ),
    pytest.param(
        dict(leads='where = { "Status" = [] }'),
        "key 'tables.leads[0].where.Status': got []",
        id="where-empty",
    ),
    pytest.param(
        dict(head='[workbook]\ncurrenc = "EUR"'),
        "key 'workbook.currenc' is not a known key. Fix: did you mean 'currency'?",
        id="workbook-unknown-key",
    ),
    pytest.param(
        dict(head='[workbook]\ntimezone = "Mars/Olympus"'),
        "[workbook]: key 'timezone' is 'Mars/Olympus'",
        id="workbook-bad-value",
    ),
]


@pytest.mark.parametrize(("edits", "message"), BAD)
def test_bad_mapping_names_the_key(tmp_path, edits, message):
    path = _write(tmp_path, _text(**edits))
    with pytest.raises(MappingError, match=re.escape(message)):
        load_mapping(str(path))


def test_part_file_must_not_name_folders(tmp_path):
    text = _text().replace('file = "deals*"', 'file = "../deals*"')
    with pytest.raises(MappingError, match=re.escape("key 'tables.opportunities[0].file'")):
        load_mapping(str(_write(tmp_path, text)))


def test_part_needs_a_file(tmp_path):
    text = _text().replace('file = "deals*"\n', "")
    with pytest.raises(MappingError, match=re.escape("key 'tables.opportunities[0].file'")):
        load_mapping(str(_write(tmp_path, text)))


def test_a_table_written_with_single_brackets(tmp_path):
    text = _text().replace("[[tables.opportunities]]", "[tables.opportunities]")
    with pytest.raises(MappingError, match=r"key 'tables\.opportunities'.*double brackets"):
        load_mapping(str(_write(tmp_path, text)))


def test_required_canonical_columns_must_be_mapped(tmp_path):
    text = _text().replace('channel = "Origin", ', "")
    with pytest.raises(
        MappingError, match=re.escape("key 'tables.leads[0]': got 'no source for channel'")
    ):
        load_mapping(str(_write(tmp_path, text)))


def _without(text: str, *tables: str) -> str:
    """``text`` without the ``[[tables.<name>]]`` parts of ``tables``."""
    parts = re.split(r"(?=^\[\[tables\.)", text, flags=re.MULTILINE)
    return "".join(
        part for part in parts if not any(part.startswith(f"[[tables.{t}]]") for t in tables)
    )


def test_a_mapping_with_only_the_deal_side_is_valid(tmp_path):
    mapping = load_mapping(str(_write(tmp_path, _without(_text(), "leads", "lead_events"))))
    assert mapping.tables == ("opportunities",)


def test_a_mapping_with_only_the_lead_side_is_valid(tmp_path):
    mapping = load_mapping(str(_write(tmp_path, _without(_text(), "opportunities"))))
    assert mapping.tables == ("leads", "lead_events")


def test_a_mapping_with_leads_and_no_events_is_valid(tmp_path):
    # lead_events are optional within the lead side.
    mapping = load_mapping(str(_write(tmp_path, _without(_text(), "lead_events", "opportunities"))))
    assert mapping.tables == ("leads",)


def test_a_mapping_needs_a_side(tmp_path):
    teams = '[[tables.teams]]\nfile = "teams.csv"\n' + (
        'columns = { team = "team", name = "name", region = "region", segment = "segment" }\n'
    )
    text = _without(_text(head=teams), "leads", "lead_events", "opportunities")
    with pytest.raises(MappingError) as caught:
        load_mapping(str(_write(tmp_path, text)))
    assert str(caught.value) == (
        f"{tmp_path / 'my_mapping.toml'}: key 'tables': got 'no part for leads or "
        "opportunities'. Fix: add [[tables.leads]] and/or [[tables.opportunities]]: leads (with "
        "lead_events) give the funnel and hand-off, opportunities give pipeline, win rate and "
        "revenue; one of them is enough."
    )


@pytest.mark.parametrize(
    ("table", "part"),
    [
        (
            "lead_events",
            '[[tables.lead_events]]\nfile = "people*"\ncolumns = { lead_id = "Person ID" }\n'
            'melt = { "Qualified On" = "mql" }\n',
        ),
        (
            "touches",
            '[[tables.touches]]\nfile = "touches*"\ncolumns = { lead_id = "Person ID", at = '
            '"When", campaign_id = "Campaign", channel = "Channel" }\n',
        ),
        (
            "feedback",
            '[[tables.feedback]]\nfile = "ratings*"\ncolumns = { lead_id = "Person ID", at = '
            '"When", rating = "Stars", reason = "Why", comment = "Note" }\n',
        ),
    ],
)
def test_rows_that_belong_to_leads_need_a_leads_part(tmp_path, table, part):
    text = _without(_text(), "leads", "lead_events") + part
    with pytest.raises(MappingError) as caught:
        load_mapping(str(_write(tmp_path, text)))
    assert str(caught.value) == (
        f"{tmp_path / 'my_mapping.toml'}: key 'tables.{table}': got '{table} without leads'. "
        f"Fix: add a [[tables.leads]] part ({table} rows belong to leads, and rows of leads that "
        f"are not imported are dropped), or remove the [[tables.{table}]] parts."
    )


def test_the_empty_cell_rule_of_a_value_map(tmp_path):
    leads = 'values.channel = { "" = "unknown", " " = "unknown", "Web" = "website", "*" = "other" }'
    mapping = load_mapping(str(_write(tmp_path, _text(leads=leads))))
    value_map = mapping.parts_of("leads")[0].values["channel"]
    # "" and " " are one rule (keys ignore spaces), written as "" first.
    assert value_map.rules == (
        ("", "", "unknown"),
        ("web", "Web", "website"),
        ("\0*", "*", "other"),
    )
    assert [value_map.translate(v) for v in ("", "web ", "Mail")] == ["unknown", "website", "other"]
    assert [value_map.rule(v) for v in ("", "WEB", "Mail")] == ["", "web", "\0*"]


def test_without_an_empty_cell_rule_empty_cells_stay_empty(tmp_path):
    leads = 'values.channel = { "Web" = "website", "*" = "other" }'
    value_map = load_mapping(str(_write(tmp_path, _text(leads=leads)))).parts_of("leads")[0]
    assert value_map.values["channel"].translate("") == ""
    assert value_map.values["channel"].rule("") is None


def test_a_mapping_without_tables(tmp_path):
    with pytest.raises(MappingError, match=re.escape("key 'tables': got 'nothing'")):
        load_mapping(str(_write(tmp_path, '[import]\ndescription = "empty"\n')))


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("Country/Region", "country_region"),
        ("Number of Employees", "number_of_employees"),
        ("  Company / Account ", "company_account"),
        ("HubSpot Score", "hubspot_score"),
        ("ARR (€)", "arr"),
    ],
)
def test_snake_case(name, snake):
    assert snake_case(name) == snake
