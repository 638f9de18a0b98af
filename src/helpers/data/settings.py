"""The rules of ``workbook.toml``, in one place: every key, its kind, its range, cross-key rules.

The keys and sections are those of ``workbook_defaults.toml`` (the documented defaults): a key
that is not there is refused with the closest known key as a hint. :data:`RULES` says how each
key's value is checked (``"section.*"`` for a section whose keys are the user's own names, such
as ``[sla.per_channel]`` and ``[events]``); :func:`check_settings` applies them to a settings
dict layered over the defaults and the cross-key rules after them, and reports every problem
at once as one :class:`~helpers.errors.ConfigError`. Each problem reads
``<where>: key '<dotted.key>' is <value received>; expected <what to write instead>.``
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ..errors import ConfigError
from .database import is_database_url

CANONICAL_EVENTS = ("mql", "first_touch", "accepted", "rejected", "recycled", "sql")
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[\w-]+(\.[\w-]+)*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HOST = re.compile(r"^[\w.:\[\]-]*$")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
SMTP_SECURITY = ("starttls", "tls", "none")
_SHOWN = 160  # characters of a received value shown in a message


def default_settings() -> dict[str, Any]:
    """The documented defaults (``workbook_defaults.toml``) as a nested dict (a fresh copy)."""
    return tomllib.loads(_defaults_text())


@cache
def _defaults_text() -> str:
    return resources.files("helpers.data").joinpath("workbook_defaults.toml").read_text("utf-8")


def did_you_mean(name: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice ``name`` most likely misspells (ignoring case), or None when none is close.

    >>> did_you_mean("fiscal_year_start_mnth", ["currency", "fiscal_year_start_month"])
    'fiscal_year_start_month'
    >>> did_you_mean("MON", ["Mon", "Tue"])
    'Mon'
    >>> did_you_mean("colour", ["currency", "timezone"]) is None
    True
    """
    folded = {choice.casefold(): choice for choice in choices}
    close = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=cutoff)
    return folded[close[0]] if close else None


# --- value rules: each returns the parsed value or raises _Bad(what is expected) ----------------


class _Bad(Exception):
    """A value breaks its rule; the argument says what is expected instead."""


Rule = Callable[[Any], Any]


def _number(expected: str, *, above: float | None = None, at_least: float | None = None) -> Rule:
    """A finite int or float (not a bool), above ``above`` / at least ``at_least``."""

    def check(value: Any) -> float:
        if isinstance(value, str) and _is_number(value):
            raise _Bad(f"{expected}, written without quotes")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Bad(expected)
        if not math.isfinite(value):
            raise _Bad(expected)
        if (above is not None and value <= above) or (at_least is not None and value < at_least):
            raise _Bad(expected)
        return float(value)

    return check


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _whole(low: int, high: int, expected: str) -> Rule:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _Bad(expected)
        return value

    return check


def _choice(options: tuple[str, ...], expected: str) -> Rule:
    def check(value: Any) -> str:
        if isinstance(value, str) and value in options:
            return value
        close = did_you_mean(value, options) if isinstance(value, str) else None
        raise _Bad(f"{expected} (did you mean {close!r}?)" if close else expected)

    return check


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        raise _Bad('a currency code in double quotes, e.g. "EUR"')
    return value.strip()


def _zone(value: Any) -> str:
    expected = 'an IANA zone such as "Europe/Berlin"'
    if not isinstance(value, str) or not _is_zone(value):
        close = _close_zone(value) if isinstance(value, str) else None
        raise _Bad(f"{expected} (did you mean {close!r}?)" if close else expected)
    return value


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _close_zone(name: str) -> str | None:
    """The zone ``name`` probably means: by its city (``"Berlin"``) or a close spelling."""
    cities = {zone.rsplit("/", 1)[-1].casefold(): zone for zone in sorted(_zones()) if "/" in zone}
    return cities.get(name.strip().casefold().replace(" ", "_")) or did_you_mean(
        name, _zones(), cutoff=0.8
    )


def _is_zone(name: str) -> bool:
    if name in _zones():
        return True
    try:  # a zone of the system's database that tzdata does not list
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return bool(name)


def _clock(value: Any) -> time:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise _Bad('a time written "HH:MM" in double quotes, e.g. "09:00"')
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _date(value: Any) -> date:
    expected = 'a date written "YYYY-MM-DD"'
    if isinstance(value, datetime):  # a TOML date-time: the time of day has no place here
        raise _Bad(expected)
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise _Bad(expected)
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _Bad(expected) from None


def _as_of(value: Any) -> date | None:
    if value == "":
        return None
    try:
        return _date(value)
    except _Bad:
        raise _Bad(
            'a date written "YYYY-MM-DD", or "" for the day after the latest date in the data'
        ) from None


def _days(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _Bad('a non-empty list of day names, e.g. ["Mon", "Tue", "Wed", "Thu", "Fri"]')
    return tuple(value)


def _holidays(value: Any) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise _Bad('a list of dates, e.g. ["2026-12-25", "2026-12-26"], or [] for none')
    return tuple(value)


def _database_url(value: Any) -> str | None:
    if not isinstance(value, str) or (value and not is_database_url(value)):
        raise _Bad(
            'a PostgreSQL URL such as "postgresql://reporting@db.example.com:5432/crm", or "" '
            "for the table files here"
        )
    return value or None


def is_address(text: Any) -> bool:
    """Whether ``text`` is one plain e-mail address (``ana.lopes@example.com``, no name part).

    >>> is_address("ana.lopes@example.com"), is_address("Ana <ana@example.com>")
    (True, False)
    """
    return isinstance(text, str) and bool(_ADDRESS.match(text))


def _addresses(value: Any) -> tuple[str, ...]:
    """A list of addresses; repeats (ignoring case) are dropped, the first spelling kept."""
    expected = 'a list of e-mail addresses in double quotes, e.g. ["ana.lopes@example.com"]'
    if not isinstance(value, list):
        raise _Bad(expected)
    kept: dict[str, str] = {}
    for at, item in enumerate(value):
        if not is_address(item):
            raise _Bad(f"{expected}; item {at} ({shown(item)}) is not a plain address")
        kept.setdefault(item.casefold(), item)
    return tuple(kept.values())


def _sender(value: Any) -> str:
    if value == "" or is_address(value):
        return value
    raise _Bad('one e-mail address in double quotes, e.g. "revops-reports@example.com"')


def _host(value: Any) -> str:
    if isinstance(value, str) and _HOST.match(value.strip()):
        return value.strip()
    raise _Bad('a host name or address in double quotes, e.g. "smtp.example.com", or ""')


def _login(value: Any) -> str:
    if isinstance(value, str) and not any(ch in value for ch in "\r\n\0"):
        return value
    raise _Bad('a login name in double quotes, e.g. "revops-reports", or "" for none')


def _env_name(value: Any) -> str:
    if isinstance(value, str) and _ENV_NAME.match(value):
        return value
    raise _Bad(
        "the name of an environment variable (letters, digits and _), e.g. "
        '"WORKBOOK_SMTP_PASSWORD"; the password itself goes in that variable, never in '
        "workbook.toml"
    )


_HOURS = "a finite number of business hours above 0"
_WEIGHT = "a finite number of 0 or more (the weights are normalised to sum to 1)"

RULES: dict[str, Rule] = {
    "currency": _currency,
    "timezone": _zone,
    "fiscal_year_start_month": _whole(1, 12, "a whole number from 1 to 12"),
    "as_of": _as_of,
    "business_hours.start": _clock,
    "business_hours.end": _clock,
    "business_hours.days": _days,
    "business_hours.holidays": _holidays,
    "sla.mql_to_first_touch_hours": _number(f"{_HOURS}, e.g. 24", above=0),
    "sla.per_channel.*": _number(f"{_HOURS}, e.g. 4", above=0),
    "events.*": _choice(CANONICAL_EVENTS, f"one of {', '.join(CANONICAL_EVENTS)}"),
    "validation.out_of_order": _choice(("error", "flag"), '"error" or "flag"'),
    "attribution.half_life_days": _number("a finite number of days above 0, e.g. 7", above=0),
    "alignment_weights.*": _number(_WEIGHT, at_least=0),
    # Its range depends on the weights: checked with them in _cross_checks.
    "alignment.min_components": lambda value: value,
    "backlog.window_business_days": _whole(0, 260, "a whole number of business days from 0 to 260"),
    "cohorts.min_age_days": _whole(0, 3650, "a whole number of days from 0 to 3650"),
    "rag.green": _number("a finite number above 0, e.g. 1.0", above=0),
    "rag.amber": _number("a finite number of 0 or more, e.g. 0.9", at_least=0),
    "database.url": _database_url,
    "smtp.host": _host,
    "smtp.port": _whole(1, 65535, "a whole number from 1 to 65535, e.g. 587"),
    "smtp.security": _choice(SMTP_SECURITY, '"starttls", "tls" or "none"'),
    "smtp.user": _login,
    "smtp.password_env": _env_name,
    "smtp.sender": _sender,
    "smtp.timeout_seconds": _number("a finite number of seconds above 0, e.g. 30", above=0),
    "delivery.attempts": _whole(1, 10, "a whole number from 1 to 10, e.g. 3"),
    "delivery.backoff_seconds": _number("a finite number of seconds of 0 or more", at_least=0),
    "delivery.leadership": _addresses,
    "delivery.recipients.*": _addresses,
}
"""Rule of each key, by dotted name; ``"section.*"`` is the rule of every key of a section."""

OPEN_SECTIONS = ("sla.per_channel", "events", "delivery.recipients")
"""Sections whose keys are the user's own names (channels, event names), not the defaults'."""

SECTIONS: dict[str, str] = {
    "business_hours": '[business_hours] with start = "09:00", end = "17:00", days = [...]',
    "sla": "[sla] with mql_to_first_touch_hours = 24 (and [sla.per_channel] for channels)",
    "sla.per_channel": "[sla.per_channel] with one line per channel, e.g. paid_search = 4",
    "events": '[events] with one line per event name of the data, e.g. "marketing_qualified" = '
    '"mql"',
    "validation": '[validation] with out_of_order = "flag"',
    "attribution": "[attribution] with half_life_days = 7.0",
    "alignment_weights": "[alignment_weights] with a weight per component, e.g. "
    "sla_compliance = 0.25",
    "alignment": "[alignment] with min_components = 3",
    "backlog": "[backlog] with window_business_days = 10",
    "cohorts": "[cohorts] with min_age_days = 30",
    "rag": "[rag] with green = 1.0 and amber = 0.9",
    "database": '[database] with url = "postgresql://..."',
    "smtp": '[smtp] with host = "smtp.example.com", port = 587, user = "..."',
    "delivery": "[delivery] with attempts = 3 (and [delivery.recipients] for the teams)",
    "delivery.recipients": "[delivery.recipients] with one line per team, e.g. emea-ent = "
    '["ana.lopes@example.com"]',
}
"""What each section of the defaults looks like when written, for the fix of a section that is
not a table (``sla = 24``)."""


# --- the walk over a settings dict ---------------------------------------------------------------


def dotted(*parts: str) -> str:
    """A key path as TOML writes it: ``sla.per_channel.paid_search``, ``events."MQL stage"``."""
    return ".".join(p if _BARE_KEY.match(p) else '"' + p.replace('"', '\\"') + '"' for p in parts)


def shown(value: Any) -> str:
    """A received value as a message shows it: ``nan``, ``'9-5'``, ``2026-10-01T09:00:00``."""
    text = value.isoformat() if isinstance(value, date | time) else repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


class _Walk:
    """One pass over a settings dict: parsed values by dotted key, and every problem."""

    def __init__(self, where: str):
        self.where = where
        self.values: dict[str, Any] = {}
        self.problems: list[str] = []
        self.defaults = default_settings()

    def bad(self, key: str, value: Any, expected: str) -> None:
        self.problems.append(f"{self.where}: key '{key}' is {shown(value)}; expected {expected}.")

    def section(self, path: tuple[str, ...], given: Any, default: dict[str, Any]) -> None:
        name = dotted(*path)
        if not isinstance(given, dict):
            self.bad(name, given, f"a section (a table): {SECTIONS[name]}")
            return
        if name in OPEN_SECTIONS:
            self.open_section(path, given)
            return
        for key, value in given.items():
            here = (*path, key)
            if key not in default:
                self.unknown(here, default)
            elif isinstance(default[key], dict):
                self.section(here, value, default[key])
            else:
                rule = RULES.get(dotted(*here)) or RULES[f"{name}.*"]
                self.leaf(dotted(*here), value, rule)

    def open_section(self, path: tuple[str, ...], given: dict[str, Any]) -> None:
        rule = RULES[f"{dotted(*path)}.*"]
        parsed = {}
        for key, value in given.items():
            before = len(self.problems)
            self.leaf(dotted(*path, key), value, rule)
            if len(self.problems) == before:
                parsed[str(key)] = self.values.pop(dotted(*path, key))
        self.values[dotted(*path)] = parsed

    def leaf(self, key: str, value: Any, rule: Rule) -> None:
        try:
            self.values[key] = rule(value)
        except _Bad as bad:
            if key == "database.url":  # shown without its value: it may hold a password
                self.problems.append(
                    f"{self.where}: key 'database.url' is not a PostgreSQL URL; expected {bad}."
                )
            elif key == "smtp.password_env":  # shown without its value: it may be the password
                self.problems.append(
                    f"{self.where}: key 'smtp.password_env' is not the name of an environment "
                    f"variable; expected {bad}."
                )
            else:
                self.bad(key, value, str(bad))

    def unknown(self, path: tuple[str, ...], siblings: dict[str, Any]) -> None:
        name = path[-1]
        section = dotted(*path[:-1])
        if path == ("smtp", "password"):
            self.problems.append(
                f"{self.where}: key 'smtp.password' is not a known key; the password is never "
                "written in workbook.toml. Fix: remove the line, put the password in the "
                "environment variable that smtp.password_env names (default "
                "WORKBOOK_SMTP_PASSWORD)."
            )
            return
        known = ", ".join(siblings)
        listed = (
            f"one of the keys of [{section}]: {known}"
            if section
            else f"one of the top-level keys: {known}"
        )
        elsewhere = [
            k
            for k in _all_keys(self.defaults)
            if k[-1] == name and k != path and not _other_mail_key(path, k)
        ]
        if elsewhere:
            home = elsewhere[0]
            where = (
                f"write it under [{dotted(*home[:-1])}]"
                if len(home) > 1
                else "a top-level key: write it above the first [section] line"
            )
            hint = f"did you mean '{dotted(*home)}' ({where})? Expected "
        else:
            close = did_you_mean(name, siblings)
            hint = (
                f"did you mean '{dotted(*path[:-1], close)}'? Expected " if close else "expected "
            )
        self.problems.append(
            f"{self.where}: key '{dotted(*path)}' is not a known key; {hint}{listed}."
        )


def _other_mail_key(given: tuple[str, ...], home: tuple[str, ...]) -> bool:
    """Whether ``home`` is a mail setting and ``given`` sits in another section.

    ``port`` under ``[database]`` belongs to its URL, not to ``[smtp]``: no hint points there.
    """
    mail = ("smtp", "delivery")
    return len(given) > 1 and home[0] in mail and given[0] not in mail


def _all_keys(tree: dict[str, Any], path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key path of a nested dict, sections and leaves."""
    keys = []
    for key, value in tree.items():
        keys.append((*path, key))
        if isinstance(value, dict):
            keys += _all_keys(value, (*path, key))
    return keys


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# --- list items and cross-key rules ---------------------------------------------------------------


def _list_items(walk: _Walk) -> None:
    """Each day name and holiday of ``[business_hours]``, named by its position (from 0)."""
    days = walk.values.get("business_hours.days")
    for at, day in enumerate(days or ()):
        if not isinstance(day, str) or day not in DAY_NAMES:
            close = did_you_mean(day, DAY_NAMES) if isinstance(day, str) else None
            hint = f" (did you mean {close!r}?)" if close else ""
            walk.bad(f"business_hours.days[{at}]", day, f"one of {', '.join(DAY_NAMES)}{hint}")
            walk.values.pop("business_hours.days", None)
    holidays = walk.values.get("business_hours.holidays")
    if holidays is not None:
        parsed = []
        for at, day in enumerate(holidays):
            try:
                parsed.append(_date(day))
            except _Bad as bad:
                walk.bad(f"business_hours.holidays[{at}]", day, str(bad))
        walk.values["business_hours.holidays"] = tuple(parsed)


def _cross_checks(walk: _Walk, merged: dict[str, Any]) -> None:
    """Rules between keys, each applied when the keys it reads are valid on their own."""
    v = walk.values
    start, end = v.get("business_hours.start"), v.get("business_hours.end")
    if start is not None and end is not None and end <= start:
        walk.bad(
            "business_hours.end",
            merged["business_hours"]["end"],
            f"a time after business_hours.start ({start:%H:%M})",
        )
    green, amber = v.get("rag.green"), v.get("rag.amber")
    if green is not None and amber is not None and amber > green:
        walk.bad(
            "rag.amber", merged["rag"]["amber"], f"a number no larger than rag.green ({green!r})"
        )

    _min_components(walk, merged)
    security, user, host = (v.get(f"smtp.{k}") for k in ("security", "user", "host"))
    if security == "none" and user and host not in (None, *LOOPBACK_HOSTS):
        walk.bad(
            "smtp.security",
            "none",
            '"starttls" or "tls": with "none" the login and password would cross the network '
            f"unencrypted to {host} (plain text is allowed only for a relay on this machine)",
        )


def _min_components(walk: _Walk, merged: dict[str, Any]) -> None:
    """Weights not all 0; ``[alignment] min_components`` from 1 to the weighted components."""
    v = walk.values
    names = list(walk.defaults["alignment_weights"])
    weights = [v[f"alignment_weights.{n}"] for n in names if f"alignment_weights.{n}" in v]
    weighted = sum(1 for w in weights if w > 0)
    if len(weights) == len(names) and not weighted:
        walk.bad(
            "alignment_weights",
            merged["alignment_weights"],
            "at least one weight above 0: the alignment index is the weighted mean of its "
            "components, and with every weight 0 there is none",
        )
        return
    if "alignment.min_components" not in v:
        return  # [alignment] itself is not a section: reported
    minimum = v.pop("alignment.min_components")
    whole = isinstance(minimum, int) and not isinstance(minimum, bool)
    if len(weights) < len(names):  # a weight is wrong (reported): the upper bound is unknown
        if not whole or minimum < 1:
            walk.bad("alignment.min_components", minimum, "a whole number of at least 1")
        return
    if not whole or not 1 <= minimum <= weighted:
        walk.bad(
            "alignment.min_components",
            minimum,
            f"a whole number from 1 to {weighted} (the components with a weight above 0 under "
            "[alignment_weights])",
        )
        return
    v["alignment.min_components"] = minimum


def check_settings(settings: dict[str, Any], where: str = "workbook.toml") -> dict[str, Any]:
    """Check a settings dict layered over the defaults; every key's parsed value by dotted name.

    Parameters
    ----------
    settings : dict
        Keys of ``workbook.toml`` as ``tomllib`` reads them; missing keys take their defaults.
    where : str
        Name of the source, at the start of every message.

    Returns
    -------
    dict
        Dotted key (``"business_hours.start"``) -> parsed value (``time(9, 0)``); an open
        section (``"sla.per_channel"``, ``"events"``) -> a dict of its keys' parsed values.

    Raises
    ------
    ConfigError
        Listing every problem, one a line: an unknown key (with the closest known key), a
        value of the wrong kind, not finite or out of range, or a broken cross-key rule; each
        names the key, the value received and what to write instead.
    """
    walk = _Walk(where)
    merged = _merge(walk.defaults, settings)
    walk.section((), merged, walk.defaults)
    _list_items(walk)
    _cross_checks(walk, merged)
    if walk.problems:
        raise ConfigError("\n".join(walk.problems))
    return walk.values
