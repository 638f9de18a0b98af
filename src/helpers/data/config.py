"""``workbook.toml``: documented defaults merged with a data directory's own settings."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ConfigError
from .database import is_database_url

CANONICAL_EVENTS = ("mql", "first_touch", "accepted", "rejected", "recycled", "sql")
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class BusinessHours:
    """Working hours of the SLA clock."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    days: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri")
    holidays: tuple[date, ...] = ()

    @property
    def weekmask(self) -> str:
        """Numpy busday weekmask, e.g. ``"1111100"``."""
        return "".join("1" if d in self.days else "0" for d in _DAY_NAMES)

    @property
    def hours_per_day(self) -> float:
        """Length of one business day in hours."""
        return (
            self.end.hour * 60 + self.end.minute - self.start.hour * 60 - self.start.minute
        ) / 60


@dataclass(frozen=True)
class Config:
    """Settings of one data directory (see ``workbook_defaults.toml`` for each key)."""

    currency: str = "EUR"
    timezone: str = "Europe/Berlin"
    fiscal_year_start_month: int = 1
    as_of: date | None = None
    business_hours: BusinessHours = field(default_factory=BusinessHours)
    sla_hours: float = 24.0
    sla_per_channel: dict[str, float] = field(default_factory=dict)
    event_map: dict[str, str] = field(default_factory=dict)
    out_of_order: str = "flag"
    alignment_weights: dict[str, float] = field(default_factory=dict)
    # The documented default lives in workbook_defaults.toml alone ([alignment] min_components).
    alignment_min_components: int = field(
        default_factory=lambda: default_settings()["alignment"]["min_components"]
    )
    rag_green: float = 1.0
    rag_amber: float = 0.9
    half_life_days: float = 7.0
    database_url: str | None = None

    def sla_for(self, channel: str) -> float:
        """Business hours allowed from MQL to first touch for ``channel``."""
        return self.sla_per_channel.get(channel, self.sla_hours)


def default_settings() -> dict[str, Any]:
    """The documented defaults as a nested dict."""
    text = resources.files("helpers.data").joinpath("workbook_defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _fail(where: str, key: str, got: Any, expected: str) -> ConfigError:
    return ConfigError(f"{where}: key '{key}' is {got!r}; expected {expected}.")


def _parse_time(where: str, key: str, value: Any) -> time:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise _fail(where, key, value, 'a time written "HH:MM", e.g. "09:00"')
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _parse_date(where: str, key: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _fail(where, key, value, 'a date written "YYYY-MM-DD"') from None


def _number(where: str, key: str, value: Any, *, low: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
        raise _fail(where, key, value, f"a number >= {low:g}")
    return float(value)


def config_from_dict(settings: dict[str, Any], where: str = "workbook.toml") -> Config:
    """Build a :class:`Config` from a settings dict layered over the defaults.

    Parameters
    ----------
    settings : dict
        Keys of ``workbook.toml``; missing keys take their documented defaults.
    where : str
        Name of the source, used in error messages.

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        When a key has a value of the wrong kind; the message names the key and the fix.
    """
    s = _merge(default_settings(), settings)

    fy = s["fiscal_year_start_month"]
    if isinstance(fy, bool) or not isinstance(fy, int) or not 1 <= fy <= 12:
        raise _fail(where, "fiscal_year_start_month", fy, "a whole number from 1 to 12")
    try:
        ZoneInfo(str(s["timezone"]))
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(
            where, "timezone", s["timezone"], 'an IANA zone such as "Europe/Berlin"'
        ) from None

    bh = s["business_hours"]
    start = _parse_time(where, "business_hours.start", bh["start"])
    end = _parse_time(where, "business_hours.end", bh["end"])
    if end <= start:
        raise _fail(where, "business_hours.end", bh["end"], "a time after business_hours.start")
    days = tuple(bh["days"])
    unknown = [d for d in days if d not in _DAY_NAMES]
    if unknown or not days:
        raise _fail(where, "business_hours.days", bh["days"], f"a non-empty list of {_DAY_NAMES}")
    holidays = tuple(_parse_date(where, "business_hours.holidays", d) for d in bh["holidays"])

    sla = s["sla"]
    per_channel = {
        str(k): _number(where, f"sla.per_channel.{k}", v, low=0)
        for k, v in sla.get("per_channel", {}).items()
    }
    event_map = {str(k): str(v) for k, v in s["events"].items()}
    bad = {k: v for k, v in event_map.items() if v not in CANONICAL_EVENTS}
    if bad:
        key, value = next(iter(bad.items()))
        raise _fail(where, f"events.{key}", value, f"one of {', '.join(CANONICAL_EVENTS)}")

    out_of_order = s["validation"]["out_of_order"]
    if out_of_order not in ("error", "flag"):
        raise _fail(where, "validation.out_of_order", out_of_order, '"error" or "flag"')

    weights = {
        k: _number(where, f"alignment_weights.{k}", v) for k, v in s["alignment_weights"].items()
    }
    min_components = _min_components(where, s["alignment"]["min_components"], weights)
    green = _number(where, "rag.green", s["rag"]["green"])
    amber = _number(where, "rag.amber", s["rag"]["amber"])
    if amber > green:
        raise _fail(where, "rag.amber", amber, "a number no larger than rag.green")

    database_url = s["database"]["url"]
    if not isinstance(database_url, str) or (database_url and not is_database_url(database_url)):
        # Shown without its value: it may hold a password.
        raise ConfigError(
            f"{where}: key 'database.url' is not a PostgreSQL URL; expected one like "
            '"postgresql://reporting@db.example.com:5432/crm", or "" for the table files here.'
        )

    return Config(
        currency=str(s["currency"]),
        timezone=str(s["timezone"]),
        fiscal_year_start_month=fy,
        as_of=_parse_date(where, "as_of", s["as_of"]) if s["as_of"] else None,
        business_hours=BusinessHours(start=start, end=end, days=days, holidays=holidays),
        sla_hours=_number(where, "sla.mql_to_first_touch_hours", sla["mql_to_first_touch_hours"]),
        sla_per_channel=per_channel,
        event_map=event_map,
        out_of_order=out_of_order,
        alignment_weights=weights,
        alignment_min_components=min_components,
        rag_green=green,
        rag_amber=amber,
        half_life_days=_half_life(where, s["attribution"]["half_life_days"]),
        database_url=database_url or None,
    )


def _min_components(where: str, value: Any, weights: dict[str, float]) -> int:
    """``[alignment] min_components``: 1 to the number of components weighted above 0."""
    weighted = sum(1 for w in weights.values() if w > 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= max(weighted, 1):
        raise _fail(
            where,
            "alignment.min_components",
            value,
            f"a whole number from 1 to {max(weighted, 1)} (the components with a weight above 0 "
            "under [alignment_weights])",
        )
    return value


def _half_life(where: str, value: Any) -> float:
    days = _number(where, "attribution.half_life_days", value)
    if days <= 0:
        raise _fail(where, "attribution.half_life_days", value, "a number of days above 0")
    return days


def load_config(directory: str | Path) -> Config:
    """Read ``DIR/workbook.toml`` (optional) over the defaults.

    Raises
    ------
    ConfigError
        When the file is not valid TOML or a key has a wrong value.
    """
    path = Path(directory) / "workbook.toml"
    if not path.exists():
        return config_from_dict({})
    try:
        settings = tomllib.loads(path.read_text("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path.name}: not valid TOML ({err}). Fix the syntax.") from err
    return config_from_dict(settings, where=path.name)
