"""``workbook.toml``: documented defaults merged with a data directory's own settings."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .settings import CANONICAL_EVENTS, DAY_NAMES, check_settings, default_settings

__all__ = [
    "CANONICAL_EVENTS",
    "BusinessHours",
    "Config",
    "Delivery",
    "Smtp",
    "config_from_dict",
    "default_settings",
    "load_config",
]


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
        return "".join("1" if d in self.days else "0" for d in DAY_NAMES)

    @property
    def hours_per_day(self) -> float:
        """Length of one business day in hours."""
        return (
            self.end.hour * 60 + self.end.minute - self.start.hour * 60 - self.start.minute
        ) / 60


@dataclass(frozen=True)
class Smtp:
    """The mail server the reports are delivered through (``[smtp]``; no password here)."""

    host: str = ""
    port: int = 587
    security: str = "starttls"
    user: str = ""
    password_env: str = "WORKBOOK_SMTP_PASSWORD"
    sender: str = ""
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class Delivery:
    """Who receives which report, and how hard to try (``[delivery]``, ``[smtp]``)."""

    smtp: Smtp = field(default_factory=Smtp)
    attempts: int = 3
    backoff_seconds: float = 10.0
    leadership: tuple[str, ...] = ()
    recipients: dict[str, tuple[str, ...]] = field(default_factory=dict)


DELIVERY_SECTIONS = ("smtp", "delivery")
"""Sections of ``workbook.toml`` that say where reports go, not what they show."""


def settings_content(path: Path) -> bytes:
    """The bytes of a ``workbook.toml`` that matter to a report: all but the delivery sections.

    A file without ``[smtp]`` or ``[delivery]`` (or one that is not valid TOML) is its bytes;
    otherwise the other settings as canonical JSON. So adding a recipient or changing the mail
    server changes no data digest or fingerprint: no report is re-rendered or re-sent for it.
    """
    data = path.read_bytes()
    try:
        settings = tomllib.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return data
    if not any(name in settings for name in DELIVERY_SECTIONS):
        return data
    kept = {k: v for k, v in settings.items() if k not in DELIVERY_SECTIONS}
    return json.dumps(kept, sort_keys=True, default=str).encode()


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
    # Documented defaults in workbook_defaults.toml ([backlog], [cohorts]).
    backlog_window_business_days: int = field(
        default_factory=lambda: default_settings()["backlog"]["window_business_days"]
    )
    cohort_min_age_days: int = field(
        default_factory=lambda: default_settings()["cohorts"]["min_age_days"]
    )
    rag_green: float = 1.0
    rag_amber: float = 0.9
    half_life_days: float = 7.0
    database_url: str | None = None
    delivery: Delivery = field(default_factory=Delivery)

    def sla_for(self, channel: str) -> float:
        """Business hours allowed from MQL to first touch for ``channel``."""
        return self.sla_per_channel.get(channel, self.sla_hours)


def config_from_dict(settings: dict[str, Any], where: str = "workbook.toml") -> Config:
    """Build a :class:`Config` from a settings dict layered over the defaults.

    Every key is checked by :func:`~helpers.data.settings.check_settings` (the rules of
    ``workbook.toml``, one place).

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
        Listing every unknown key and every value of the wrong kind or out of range; each line
        names the key, the value received and the fix.
    """
    v = check_settings(settings, where)
    return Config(
        currency=v["currency"],
        timezone=v["timezone"],
        fiscal_year_start_month=v["fiscal_year_start_month"],
        as_of=v["as_of"],
        business_hours=BusinessHours(
            start=v["business_hours.start"],
            end=v["business_hours.end"],
            days=v["business_hours.days"],
            holidays=v["business_hours.holidays"],
        ),
        sla_hours=v["sla.mql_to_first_touch_hours"],
        sla_per_channel=v["sla.per_channel"],
        event_map=v["events"],
        out_of_order=v["validation.out_of_order"],
        alignment_weights={
            name: v[f"alignment_weights.{name}"] for name in default_settings()["alignment_weights"]
        },
        alignment_min_components=v["alignment.min_components"],
        backlog_window_business_days=v["backlog.window_business_days"],
        cohort_min_age_days=v["cohorts.min_age_days"],
        rag_green=v["rag.green"],
        rag_amber=v["rag.amber"],
        half_life_days=v["attribution.half_life_days"],
        database_url=v["database.url"],
        delivery=Delivery(
            smtp=Smtp(**{key: v[f"smtp.{key}"] for key in default_settings()["smtp"]}),
            attempts=v["delivery.attempts"],
            backoff_seconds=v["delivery.backoff_seconds"],
            leadership=v["delivery.leadership"],
            recipients=v["delivery.recipients"],
        ),
    )


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
    if path.is_dir():
        raise ConfigError(
            f"{path.name}: is a folder; expected the settings file workbook.toml. Fix: move or "
            "rename the folder (without a workbook.toml the documented defaults apply)."
        )
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError(
            f"{path.name}: cannot be read ({err.strerror or err}); expected a readable settings "
            "file. Fix: give this user read permission on it, or remove it (the documented "
            "defaults then apply)."
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ConfigError(
            f"{path.name}: is not UTF-8 text (byte 0x{data[err.start]:02x} on line {line}); "
            "expected a UTF-8 text file. Fix: save it as UTF-8."
        ) from None
    try:
        settings = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(
            f"{path.name}: not valid TOML ({err}). Fix: correct the syntax at that line (key = "
            "value lines, text in double quotes, [section] headers, as in workbook_defaults.toml)."
        ) from None
    return config_from_dict(settings, where=path.name)
