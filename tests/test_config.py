"""The rules of ``workbook.toml`` (helpers.data.settings), key by key, through config_from_dict.

The corpus of whole data folders with a bad ``workbook.toml`` is
tests/test_validation_corpus_config.py; here each rule is checked on a settings dict, with the
exact message worked out from it.
"""

from __future__ import annotations

import tomllib
from datetime import date, time
from pathlib import Path

import pytest

from helpers.data.config import config_from_dict, default_settings, load_config
from helpers.data.settings import OPEN_SECTIONS, RULES, SECTIONS, did_you_mean, dotted
from helpers.errors import ConfigError, MappingError
from helpers.importing.mapping import load_mapping


def leaves(tree: dict, path: tuple[str, ...] = ()) -> set[str]:
    found = set()
    for key, value in tree.items():
        if isinstance(value, dict):
            found |= leaves(value, (*path, key))
        else:
            found.add(".".join((*path, key)))
    return found


def sections(tree: dict, path: tuple[str, ...] = ()) -> set[str]:
    found = set()
    for key, value in tree.items():
        if isinstance(value, dict):
            found |= {".".join((*path, key))} | sections(value, (*path, key))
    return found


# --- every key of the defaults has exactly one rule ----------------------------------------------


def test_every_key_of_the_defaults_has_a_rule_and_every_rule_a_key():
    defaults = default_settings()
    ruled = {k for k in RULES if not k.endswith(".*")}
    wildcards = {k.removesuffix(".*") for k in RULES if k.endswith(".*")}
    covered = {k for k in leaves(defaults) if k in ruled or k.rsplit(".", 1)[0] in wildcards}
    assert covered == leaves(defaults)
    assert ruled <= leaves(defaults)
    assert wildcards <= sections(defaults)
    assert set(OPEN_SECTIONS) <= wildcards
    # Every section has the example its "expected a section" message shows.
    assert set(SECTIONS) == sections(defaults)


def test_the_defaults_pass_and_give_the_documented_values():
    config = config_from_dict({})
    assert config.currency == "EUR" and config.timezone == "Europe/Berlin"
    assert config.fiscal_year_start_month == 1 and config.as_of is None
    assert config.business_hours.start == time(9, 0) and config.business_hours.end == time(17, 0)
    assert config.business_hours.days == ("Mon", "Tue", "Wed", "Thu", "Fri")
    assert config.business_hours.holidays == ()
    assert config.sla_hours == 24.0 and config.sla_per_channel == {} and config.event_map == {}
    assert config.out_of_order == "flag" and config.half_life_days == 7.0
    assert config.alignment_weights == {
        "sla_compliance": 0.25,
        "mql_acceptance": 0.2,
        "feedback_coverage": 0.15,
        "mql_to_sql": 0.25,
        "marketing_pipeline_share": 0.15,
    }
    assert config.alignment_min_components == 3
    assert (config.rag_green, config.rag_amber) == (1.0, 0.9)
    assert config.database_url is None


def test_good_values_are_parsed():
    config = config_from_dict(
        tomllib.loads(
            'currency = "USD"\ntimezone = "America/New_York"\nfiscal_year_start_month = 4\n'
            "as_of = 2026-10-01\n"
            "[business_hours]\n"
            'start = "08:30"\nend = "18:00"\ndays = ["Mon", "Sat"]\n'
            'holidays = ["2026-12-25", 2026-12-26]\n'
            '[sla.per_channel]\npaid_search = 4\n"paid social" = 2.5\n'
            '[events]\n"Marketing Qualified" = "mql"\n'
            "[alignment_weights]\nfeedback_coverage = 0\n"
            "[rag]\ngreen = 1.2\namber = 1.2\n"
        )
    )
    assert config.currency == "USD" and config.fiscal_year_start_month == 4
    assert config.as_of == date(2026, 10, 1)
    hours = config.business_hours
    assert (hours.start, hours.end) == (time(8, 30), time(18, 0))
    assert hours.weekmask == "1000010"
    assert hours.holidays == (date(2026, 12, 25), date(2026, 12, 26))
    assert config.sla_per_channel == {"paid_search": 4.0, "paid social": 2.5}
    assert config.sla_for("paid social") == 2.5 and config.sla_for("email") == 24.0
    assert config.event_map == {"Marketing Qualified": "mql"}
    assert config.alignment_weights["feedback_coverage"] == 0.0
    assert (config.rag_green, config.rag_amber) == (1.2, 1.2)  # amber may equal green


# --- one message per rule -------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")
WEIGHTS_FIX = "a finite number of 0 or more (the weights are normalised to sum to 1)"

BAD = [
    pytest.param(
        {"currency": ""},
        "key 'currency' is ''; expected a currency code in double quotes, e.g. \"EUR\".",
        id="currency-empty",
    ),
    pytest.param(
        {"currency": 978},
        "key 'currency' is 978; expected a currency code in double quotes, e.g. \"EUR\".",
        id="currency-number",
    ),
    pytest.param(
        {"timezone": "Berlin"},
        "key 'timezone' is 'Berlin'; expected an IANA zone such as \"Europe/Berlin\" (did you "
        "mean 'Europe/Berlin'?).",
        id="timezone-city-only",
    ),
    pytest.param(
        {"timezone": "../../etc/passwd"},
        "key 'timezone' is '../../etc/passwd'; expected an IANA zone such as \"Europe/Berlin\".",
        id="timezone-path",
    ),
    pytest.param(
        {"fiscal_year_start_month": True},
        "key 'fiscal_year_start_month' is True; expected a whole number from 1 to 12.",
        id="fiscal-month-bool",
    ),
    pytest.param(
        {"fiscal_year_start_month": "4"},
        "key 'fiscal_year_start_month' is '4'; expected a whole number from 1 to 12.",
        id="fiscal-month-string",
    ),
    pytest.param(
        {"as_of": 0},
        'key \'as_of\' is 0; expected a date written "YYYY-MM-DD", or "" for the day after '
        "the latest date in the data.",
        id="as-of-zero",
    ),
    pytest.param(
        {"as_of": tomllib.loads("d = 2026-10-01T08:00:00")["d"]},
        'key \'as_of\' is 2026-10-01T08:00:00; expected a date written "YYYY-MM-DD", or "" for '
        "the day after the latest date in the data.",
        id="as-of-date-time",
    ),
    pytest.param(
        {"as_of": "2026-02-30"},
        "key 'as_of' is '2026-02-30'; expected a date written \"YYYY-MM-DD\", or \"\" for the "
        "day after the latest date in the data.",
        id="as-of-impossible-date",
    ),
    pytest.param(
        {"business_hours": {"start": "9:00"}},
        "key 'business_hours.start' is '9:00'; expected a time written \"HH:MM\" in double "
        'quotes, e.g. "09:00".',
        id="start-without-leading-zero",
    ),
    pytest.param(
        {"business_hours": {"end": "24:00"}},
        "key 'business_hours.end' is '24:00'; expected a time written \"HH:MM\" in double "
        'quotes, e.g. "09:00".',
        id="end-24",
    ),
    pytest.param(
        {"business_hours": {"start": "09:00", "end": "09:00"}},
        "key 'business_hours.end' is '09:00'; expected a time after business_hours.start (09:00).",
        id="end-equals-start",
    ),
    pytest.param(
        {"business_hours": {"days": []}},
        "key 'business_hours.days' is []; expected a non-empty list of day names, e.g. "
        '["Mon", "Tue", "Wed", "Thu", "Fri"].',
        id="no-days",
    ),
    pytest.param(
        {"business_hours": {"days": ["Mon", 2]}},
        "key 'business_hours.days[1]' is 2; expected one of Mon, Tue, Wed, Thu, Fri, Sat, Sun.",
        id="day-number",
    ),
    pytest.param(
        {"business_hours": {"holidays": "2026-12-25"}},
        "key 'business_hours.holidays' is '2026-12-25'; expected a list of dates, e.g. "
        '["2026-12-25", "2026-12-26"], or [] for none.',
        id="holidays-string",
    ),
    pytest.param(
        {"business_hours": {"holidays": ["2026-12-25", "25/12/2026"]}},
        "key 'business_hours.holidays[1]' is '25/12/2026'; expected a date written \"YYYY-MM-DD\".",
        id="holiday-day-first",
    ),
    pytest.param(
        {"sla": {"mql_to_first_touch_hours": 0}},
        "key 'sla.mql_to_first_touch_hours' is 0; expected a finite number of business hours "
        "above 0, e.g. 24.",
        id="sla-zero",
    ),
    pytest.param(
        {"sla": {"mql_to_first_touch_hours": True}},
        "key 'sla.mql_to_first_touch_hours' is True; expected a finite number of business hours "
        "above 0, e.g. 24.",
        id="sla-bool",
    ),
    pytest.param(
        {"sla": {"per_channel": {"paid search": -4}}},
        "key 'sla.per_channel.\"paid search\"' is -4; expected a finite number of business "
        "hours above 0, e.g. 4.",
        id="per-channel-negative-quoted-key",
    ),
    pytest.param(
        {"sla": {"per_channel": {"paid_search": {"hours": 4}}}},
        "key 'sla.per_channel.paid_search' is {'hours': 4}; expected a finite number of "
        "business hours above 0, e.g. 4.",
        id="per-channel-table",
    ),
    pytest.param(
        {"events": {"marketing_qualified": 1}},
        "key 'events.marketing_qualified' is 1; expected one of mql, first_touch, accepted, "
        "rejected, recycled, sql.",
        id="event-number",
    ),
    pytest.param(
        {"validation": {"out_of_order": "flagg"}},
        "key 'validation.out_of_order' is 'flagg'; expected \"error\" or \"flag\" (did you mean "
        "'flag'?).",
        id="out-of-order-misspelt",
    ),
    pytest.param(
        {"validation": "error"},
        "key 'validation' is 'error'; expected a section (a table): [validation] with "
        'out_of_order = "flag".',
        id="validation-string",
    ),
    pytest.param(
        {"attribution": {"half_life_days": 0}},
        "key 'attribution.half_life_days' is 0; expected a finite number of days above 0, e.g. 7.",
        id="half-life-zero",
    ),
    pytest.param(
        {"alignment_weights": {"mql_to_sql": -0.1}},
        f"key 'alignment_weights.mql_to_sql' is -0.1; expected {WEIGHTS_FIX}.",
        id="weight-negative",
    ),
    pytest.param(
        {"alignment_weights": {"mql_to_sql": NAN}},
        f"key 'alignment_weights.mql_to_sql' is nan; expected {WEIGHTS_FIX}.",
        id="weight-nan",
    ),
    pytest.param(
        {"alignment_weights": {"mql_to_sql": INF}},
        f"key 'alignment_weights.mql_to_sql' is inf; expected {WEIGHTS_FIX}.",
        id="weight-inf",
    ),
    pytest.param(
        {"rag": {"green": 0}},
        "key 'rag.green' is 0; expected a finite number above 0, e.g. 1.0.",
        id="green-zero",
    ),
    pytest.param(
        {"rag": {"amber": NAN}},
        "key 'rag.amber' is nan; expected a finite number of 0 or more, e.g. 0.9.",
        id="amber-nan",
    ),
    pytest.param(
        {"rag": {"amber": 1.5}},
        "key 'rag.amber' is 1.5; expected a number no larger than rag.green (1.0).",
        id="amber-above-default-green",
    ),
    pytest.param(
        {"database": {"url": "mysql://me:secret@db/crm"}},
        "key 'database.url' is not a PostgreSQL URL; expected a PostgreSQL URL such as "
        '"postgresql://reporting@db.example.com:5432/crm", or "" for the table files here.',
        id="database-url-not-postgres",
    ),
    pytest.param(
        {"database": {"url": "postgresql://x", "port": 5432}},
        "key 'database.port' is not a known key; expected one of the keys of [database]: url.",
        id="unknown-key-without-a-close-one",
    ),
    pytest.param(
        {"half_life_days": 14},
        "key 'half_life_days' is not a known key; did you mean 'attribution.half_life_days' "
        "(write it under [attribution])? Expected one of the top-level keys: currency, timezone, "
        "fiscal_year_start_month, as_of, business_hours, sla, events, validation, attribution, "
        "alignment_weights, alignment, backlog, cohorts, rag, database, smtp, delivery.",
        id="section-key-at-top-level",
    ),
]


@pytest.mark.parametrize(("settings", "message"), BAD)
def test_each_rule_names_key_value_and_fix(settings, message):
    with pytest.raises(ConfigError) as info:
        config_from_dict(settings)
    assert str(info.value) == f"workbook.toml: {message}"


def test_a_database_url_is_never_shown():
    with pytest.raises(ConfigError) as info:
        config_from_dict({"database": {"url": "mysql://me:secret@db/crm"}})
    assert "secret" not in str(info.value)


def test_every_problem_is_listed_one_a_line():
    settings = {
        "currency": "",
        "sla": {"mql_to_first_touch_hours": NAN, "per_chanel": {}},
        "rag": {"green": 0.5},  # with the default amber 0.9: amber above green
    }
    with pytest.raises(ConfigError) as info:
        config_from_dict(settings, where="acme/workbook.toml")
    assert str(info.value).splitlines() == [
        "acme/workbook.toml: key 'currency' is ''; expected a currency code in double quotes, "
        'e.g. "EUR".',
        "acme/workbook.toml: key 'sla.mql_to_first_touch_hours' is nan; expected a finite number "
        "of business hours above 0, e.g. 24.",
        "acme/workbook.toml: key 'sla.per_chanel' is not a known key; did you mean "
        "'sla.per_channel'? Expected one of the keys of [sla]: mql_to_first_touch_hours, "
        "per_channel.",
        "acme/workbook.toml: key 'rag.amber' is 0.9; expected a number no larger than rag.green "
        "(0.5).",
    ]


def test_a_bad_weight_leaves_min_components_to_its_own_rule():
    # The upper bound needs every weight: with one wrong, only "at least 1" is checked.
    with pytest.raises(ConfigError) as info:
        config_from_dict({"alignment_weights": {"mql_to_sql": "high"}})
    assert str(info.value) == (
        f"workbook.toml: key 'alignment_weights.mql_to_sql' is 'high'; expected {WEIGHTS_FIX}."
    )
    with pytest.raises(ConfigError) as info:
        config_from_dict(
            {"alignment_weights": {"mql_to_sql": -1}, "alignment": {"min_components": 0}}
        )
    assert str(info.value).splitlines()[1] == (
        "workbook.toml: key 'alignment.min_components' is 0; expected a whole number of at least 1."
    )


def test_did_you_mean():
    assert did_you_mean("fiscal_year_start_mnth", default_settings()) == "fiscal_year_start_month"
    assert did_you_mean("TIMEZONE", ["currency", "timezone"]) == "timezone"
    assert did_you_mean("colour", ["currency", "timezone"]) is None
    assert dotted("sla", "per_channel", "paid search") == 'sla.per_channel."paid search"'


# --- the file -------------------------------------------------------------------------------------


def test_no_file_means_the_defaults(tmp_path):
    assert load_config(tmp_path) == config_from_dict({})


def test_toml_nan_and_inf_are_read_and_refused(tmp_path):
    (tmp_path / "workbook.toml").write_text("[rag]\ngreen = nan\namber = -inf\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value).splitlines() == [
        "workbook.toml: key 'rag.green' is nan; expected a finite number above 0, e.g. 1.0.",
        "workbook.toml: key 'rag.amber' is -inf; expected a finite number of 0 or more, e.g. 0.9.",
    ]


def test_a_byte_order_mark_is_fine(tmp_path):
    (tmp_path / "workbook.toml").write_bytes(b'\xef\xbb\xbfcurrency = "USD"\n')
    assert load_config(tmp_path).currency == "USD"


def test_an_unreadable_file_is_a_config_error(tmp_path, monkeypatch):
    (tmp_path / "workbook.toml").write_text('currency = "USD"\n', encoding="utf-8")

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    # Tests run as root, where chmod 000 still reads: refuse the read itself.
    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == (
        "workbook.toml: cannot be read (Permission denied); expected a readable settings file. "
        "Fix: give this user read permission on it, or remove it (the documented defaults then "
        "apply)."
    )


def test_a_mapping_file_workbook_table_gets_the_same_rules(tmp_path):
    # The mapping's [workbook] is written as workbook.toml: a nested unknown key is refused too.
    mapping = tmp_path / "acme.toml"
    mapping.write_text(
        '[workbook]\nsla = { mql_to_first_touch_hour = 8 }\n\n[[tables.teams]]\nfile = "t.csv"\n'
        'columns = { team = "team", name = "name" }\n',
        encoding="utf-8",
    )
    with pytest.raises(MappingError) as info:
        load_mapping(str(mapping))
    assert (
        "acme.toml [workbook]: key 'sla.mql_to_first_touch_hour' is not a known key; did you "
        "mean 'sla.mql_to_first_touch_hours'?"
    ) in str(info.value)
