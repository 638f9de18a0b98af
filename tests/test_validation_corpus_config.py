"""Hostile ``workbook.toml`` corpus (issue 17): one defect in the settings, one exact message.

Every case is a copy of tests/data/tiny with exactly one defect in its ``workbook.toml``, made
by one edit (the harness of tests/test_validation_corpus.py). tiny's ``workbook.toml`` is, line
by line: 1 a comment, 2 ``timezone = "Europe/Berlin"``, 3 ``as_of = "2026-10-01"``, 4 blank,
5 ``[sla]``, 6 ``mql_to_first_touch_hours = 8``; ``add_to_config`` appends after line 6, so
inside ``[sla]`` unless the text opens a section of its own.

Each message is written out in full, worked out from the rule the defect breaks
(``helpers.data.settings``): the key (dotted), the value received, and what to write instead.
Every case is checked in-process through ``load_dataset`` (a :class:`ConfigError`, before any
table is read) and through ``workbook validate`` in a subprocess: exit code 2, the message on
stderr, nothing on stdout and no traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_validation_corpus import (
    Case,
    Edit,
    add_to_config,
    make_case_dir,
    replace,
    run_workbook,
    write_bytes,
)

from helpers.data.source import load_dataset
from helpers.errors import ConfigError

SLA_LINE = "mql_to_first_touch_hours = 8"
AS_OF_LINE = 'as_of = "2026-10-01"'
TOP_KEYS = (
    "currency, timezone, fiscal_year_start_month, as_of, business_hours, sla, events, "
    "validation, attribution, alignment_weights, alignment, backlog, cohorts, rag, database, smtp, "
    "delivery"
)
WEIGHT_NAMES = (
    "sla_compliance, mql_acceptance, feedback_coverage, mql_to_sql, marketing_pipeline_share"
)
DAYS = "Mon, Tue, Wed, Thu, Fri, Sat, Sun"
HOURS = "a finite number of business hours above 0"


def top_level(line: str) -> Edit:
    """Add ``line`` among the top-level keys (after as_of, before the first section)."""
    return replace("workbook.toml", AS_OF_LINE, f"{AS_OF_LINE}\n{line}")


def folder_named_workbook_toml(folder: Path) -> None:
    (folder / "workbook.toml").unlink()
    (folder / "workbook.toml").mkdir()
    (folder / "workbook.toml" / "settings.toml").write_text('currency = "EUR"\n')


def key(message: str) -> tuple[str, ...]:
    """The whole message, as ``str(ConfigError)`` gives it."""
    return (f"workbook.toml: {message}",)


CASES = [
    # --- numbers that are not finite: nan < 0 is false, so a plain range check lets them in
    Case(
        "sla-nan",
        replace("workbook.toml", SLA_LINE, "mql_to_first_touch_hours = nan"),
        key(f"key 'sla.mql_to_first_touch_hours' is nan; expected {HOURS}, e.g. 24."),
    ),
    Case(
        "per-channel-sla-inf",
        add_to_config("[sla.per_channel]\npaid_search = inf\n"),
        key(f"key 'sla.per_channel.paid_search' is inf; expected {HOURS}, e.g. 4."),
    ),
    Case(
        "rag-green-nan",
        add_to_config("[rag]\ngreen = nan\n"),
        key("key 'rag.green' is nan; expected a finite number above 0, e.g. 1.0."),
    ),
    Case(
        "rag-green-minus-inf",
        add_to_config("[rag]\ngreen = -inf\n"),
        key("key 'rag.green' is -inf; expected a finite number above 0, e.g. 1.0."),
    ),
    Case(
        "half-life-inf",
        add_to_config("[attribution]\nhalf_life_days = inf\n"),
        key(
            "key 'attribution.half_life_days' is inf; expected a finite number of days above 0, "
            "e.g. 7."
        ),
    ),
    # --- values of the wrong TOML type
    Case(
        "string-for-number",
        replace("workbook.toml", SLA_LINE, 'mql_to_first_touch_hours = "8"'),
        key(
            f"key 'sla.mql_to_first_touch_hours' is '8'; expected {HOURS}, e.g. 24, written "
            "without quotes."
        ),
    ),
    Case(
        "number-for-table",
        replace("workbook.toml", f"[sla]\n{SLA_LINE}", "sla = 24"),
        key(
            "key 'sla' is 24; expected a section (a table): [sla] with mql_to_first_touch_hours "
            "= 24 (and [sla.per_channel] for channels)."
        ),
    ),
    Case(
        "string-for-table-business-hours",
        top_level('business_hours = "9-5"'),
        key(
            "key 'business_hours' is '9-5'; expected a section (a table): [business_hours] with "
            'start = "09:00", end = "17:00", days = [...].'
        ),
    ),
    Case(
        "string-for-table-events",
        top_level('events = "mql"'),
        key(
            "key 'events' is 'mql'; expected a section (a table): [events] with one line per "
            'event name of the data, e.g. "marketing_qualified" = "mql".'
        ),
    ),
    Case(
        "string-for-list",
        add_to_config('[business_hours]\ndays = "Mon-Fri"\n'),
        key(
            "key 'business_hours.days' is 'Mon-Fri'; expected a non-empty list of day names, "
            'e.g. ["Mon", "Tue", "Wed", "Thu", "Fri"].'
        ),
    ),
    # --- keys that are not known
    Case(
        "unknown-top-level-key",
        top_level("fiscal_year_start_mnth = 4"),
        key(
            "key 'fiscal_year_start_mnth' is not a known key; did you mean "
            f"'fiscal_year_start_month'? Expected one of the top-level keys: {TOP_KEYS}."
        ),
    ),
    Case(
        "unknown-nested-key",
        replace("workbook.toml", SLA_LINE, "mql_to_first_touch_hour = 8"),
        key(
            "key 'sla.mql_to_first_touch_hour' is not a known key; did you mean "
            "'sla.mql_to_first_touch_hours'? Expected one of the keys of [sla]: "
            "mql_to_first_touch_hours, per_channel."
        ),
    ),
    Case(
        # A top-level key written below a [section] line belongs to that section in TOML.
        "top-level-key-under-a-section",
        add_to_config('as_of = "2026-09-30"\n'),
        key(
            "key 'sla.as_of' is not a known key; did you mean 'as_of' (a top-level key: write it "
            "above the first [section] line)? Expected one of the keys of [sla]: "
            "mql_to_first_touch_hours, per_channel."
        ),
    ),
    Case(
        "unknown-alignment-weight",
        add_to_config("[alignment_weights]\nsla_complience = 0.5\n"),
        key(
            "key 'alignment_weights.sla_complience' is not a known key; did you mean "
            "'alignment_weights.sla_compliance'? Expected one of the keys of [alignment_weights]: "
            f"{WEIGHT_NAMES}."
        ),
    ),
    # --- cross-key rules
    Case(
        "alignment-weights-all-zero",
        add_to_config(
            "[alignment_weights]\nsla_compliance = 0\nmql_acceptance = 0\nfeedback_coverage = 0\n"
            "mql_to_sql = 0\nmarketing_pipeline_share = 0\n"
        ),
        key(
            "key 'alignment_weights' is {'sla_compliance': 0, 'mql_acceptance': 0, "
            "'feedback_coverage': 0, 'mql_to_sql': 0, 'marketing_pipeline_share': 0}; expected "
            "at least one weight above 0: the alignment index is the weighted mean of its "
            "components, and with every weight 0 there is none."
        ),
    ),
    Case(
        "amber-above-green",
        add_to_config("[rag]\ngreen = 0.8\namber = 0.9\n"),
        key("key 'rag.amber' is 0.9; expected a number no larger than rag.green (0.8)."),
    ),
    Case(
        "business-hours-end-before-start",
        add_to_config('[business_hours]\nstart = "17:00"\nend = "09:00"\n'),
        key(
            "key 'business_hours.end' is '09:00'; expected a time after business_hours.start "
            "(17:00)."
        ),
    ),
    # --- values out of their range or vocabulary
    Case(
        "fiscal-month-13",
        top_level("fiscal_year_start_month = 13"),
        key("key 'fiscal_year_start_month' is 13; expected a whole number from 1 to 12."),
    ),
    Case(
        "fiscal-month-0",
        top_level("fiscal_year_start_month = 0"),
        key("key 'fiscal_year_start_month' is 0; expected a whole number from 1 to 12."),
    ),
    Case(
        "fiscal-month-1.5",
        top_level("fiscal_year_start_month = 1.5"),
        key("key 'fiscal_year_start_month' is 1.5; expected a whole number from 1 to 12."),
    ),
    Case(
        "timezone-misspelt",
        replace("workbook.toml", '"Europe/Berlin"', '"Europe/Berln"'),
        key(
            "key 'timezone' is 'Europe/Berln'; expected an IANA zone such as \"Europe/Berlin\" "
            "(did you mean 'Europe/Berlin'?)."
        ),
    ),
    Case(
        # A folder of the zone database: ZoneInfo raised IsADirectoryError, a traceback.
        "timezone-a-region-folder",
        replace("workbook.toml", '"Europe/Berlin"', '"America"'),
        key("key 'timezone' is 'America'; expected an IANA zone such as \"Europe/Berlin\"."),
    ),
    Case(
        "weekday-misspelt",
        add_to_config('[business_hours]\ndays = ["Mon", "Tues", "Wed"]\n'),
        key(
            f"key 'business_hours.days[1]' is 'Tues'; expected one of {DAYS} (did you mean 'Tue'?)."
        ),
    ),
    Case(
        "event-map-to-unknown-event",
        add_to_config('[events]\nmarketing_qualified = "mqls"\n'),
        key(
            "key 'events.marketing_qualified' is 'mqls'; expected one of mql, first_touch, "
            "accepted, rejected, recycled, sql (did you mean 'mql'?)."
        ),
    ),
    # --- the file itself
    Case(
        "folder-named-workbook-toml",
        folder_named_workbook_toml,
        (
            "workbook.toml: is a folder; expected the settings file workbook.toml. Fix: move or "
            "rename the folder (without a workbook.toml the documented defaults apply).",
        ),
    ),
    Case(
        "invalid-toml-syntax",
        replace("workbook.toml", AS_OF_LINE, 'as_of "2026-10-01"'),
        (
            "workbook.toml: not valid TOML (Expected '=' after a key in a key/value pair (at line "
            "3, column 7)). Fix: correct the syntax at that line (key = value lines, text in "
            "double quotes, [section] headers, as in workbook_defaults.toml).",
        ),
    ),
    Case(
        "not-utf8",
        write_bytes("workbook.toml", lambda b: b.replace(b"Hand-computed", b"Hand-comput\xe9d")),
        (
            "workbook.toml: is not UTF-8 text (byte 0xe9 on line 1); expected a UTF-8 text file. "
            "Fix: save it as UTF-8.",
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_config_defect_is_refused_with_its_message(tmp_path, case):
    folder = make_case_dir(tmp_path, case.edit)
    with pytest.raises(ConfigError) as info:
        load_dataset(folder)
    (expected,) = case.expected
    assert str(info.value) == expected


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_cli_validate_prints_the_config_message_and_exits_2(tmp_path, case):
    folder = make_case_dir(tmp_path, case.edit)
    result = run_workbook("validate", str(folder), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    (expected,) = case.expected
    assert result.stderr == f"error: {expected}\n"


def test_two_defects_are_both_listed(tmp_path):
    folder = make_case_dir(
        tmp_path,
        replace(
            "workbook.toml",
            f"{AS_OF_LINE}\n",
            f"{AS_OF_LINE}\nfiscal_year_start_month = 13\n[rag]\ngreen = nan\n",
        ),
    )
    result = run_workbook("validate", str(folder), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "error: workbook.toml: key 'fiscal_year_start_month' is 13; expected a whole number "
        "from 1 to 12.\n"
        "workbook.toml: key 'rag.green' is nan; expected a finite number above 0, e.g. 1.0.\n"
    )
