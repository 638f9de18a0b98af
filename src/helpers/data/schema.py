"""The canonical schema (SPEC section 1): tables, columns, kinds and allowed values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ALL_TEAMS = "all"
"""The company: every team together (reports, views, ``workbook metrics --team all``)."""

QUARTER_PATTERN = re.compile(r"([0-9]{4})Q([1-4])")
"""A fiscal quarter as written everywhere (``2026Q3``); use ``fullmatch``. Groups: year, q."""

TEAM_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""A team id that is safe as a file name (with ``..`` refused besides); use ``fullmatch``."""


def is_report_name(quarter: str, team: str) -> bool:
    """Whether ``<quarter>/<team>.html`` is a safe report path (no ``..``, no separator)."""
    return bool(
        QUARTER_PATTERN.fullmatch(quarter) and TEAM_ID_PATTERN.fullmatch(team) and ".." not in team
    )


SOURCE_TYPES = ("marketing", "sales", "partner")
OPPORTUNITY_STATUSES = ("open", "won", "lost")
SPEND_CATEGORIES = ("marketing", "sales")


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    ``kind`` is one of ``str``, ``datetime``, ``float``, ``int``, ``month`` (``YYYY-MM``) or
    ``quarter`` (``2026Q3``). ``required`` columns must be present; ``nullable`` ones may have
    empty cells. ``allowed`` restricts the values.
    """

    name: str
    kind: str = "str"
    required: bool = True
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None


@dataclass(frozen=True)
class Table:
    """One canonical table: its columns, key and whether the data directory must have it."""

    name: str
    columns: tuple[Column, ...]
    required: bool = False
    key: tuple[str, ...] = ()
    extra_columns: bool = False  # leads may carry any attribute columns
    side: str | None = None  # the side of the data set it belongs to (see SIDES)
    references: dict[str, str] = field(default_factory=dict)  # column -> "table.column"

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        return next(c for c in self.columns if c.name == name)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "teams",
            (Column("team"), Column("name"), Column("region"), Column("segment")),
            required=True,
            key=("team",),
        ),
        Table(
            "leads",
            (
                Column("lead_id"),
                Column("created_at", "datetime"),
                Column("team"),
                Column("channel"),
                Column("source_type", allowed=SOURCE_TYPES),
                Column("campaign_id", required=False, nullable=True),
                Column("score", "float", required=False, nullable=True),
            ),
            side="leads",
            key=("lead_id",),
            extra_columns=True,
            references={"team": "teams.team"},
        ),
        Table(
            "lead_events",
            (
                Column("lead_id"),
                Column("event"),
                Column("at", "datetime"),
                Column("actor", required=False, nullable=True),
                Column("reason", required=False, nullable=True),
            ),
            side="leads",
            references={"lead_id": "leads.lead_id"},
        ),
        Table(
            "opportunities",
            (
                Column("opportunity_id"),
                Column("team"),
                Column("created_at", "datetime"),
                Column("status", allowed=OPPORTUNITY_STATUSES),
                Column("amount", "float", nullable=True, min_value=0),
                Column("closed_at", "datetime", required=False, nullable=True),
                Column("lead_id", required=False, nullable=True),
                Column("account_id", required=False, nullable=True),
                Column("source_type", required=False, nullable=True, allowed=SOURCE_TYPES),
                Column("lost_reason", required=False, nullable=True),
            ),
            side="deals",
            key=("opportunity_id",),
            references={"team": "teams.team", "lead_id": "leads.lead_id"},
        ),
        Table(
            "spend",
            (
                Column("month", "month"),
                Column("team"),
                Column("channel"),
                Column("category", allowed=SPEND_CATEGORIES),
                Column("amount", "float", min_value=0),
            ),
            references={"team": "teams.team"},
        ),
        Table(
            "revenue",
            (
                Column("month", "month"),
                Column("account_id"),
                Column("team"),
                Column("recurring_revenue", "float", min_value=0),
            ),
            references={"team": "teams.team"},
        ),
        Table(
            "touches",
            (
                Column("lead_id"),
                Column("at", "datetime"),
                Column("campaign_id"),
                Column("channel"),
            ),
            references={"lead_id": "leads.lead_id"},
        ),
        Table(
            "targets",
            (
                Column("team"),
                Column("quarter", "quarter"),
                Column("metric"),
                Column("target", "float"),
            ),
        ),
        Table(
            "feedback",
            (
                Column("lead_id"),
                Column("at", "datetime"),
                Column("rating", "int", min_value=1, max_value=5),
                Column("reason", nullable=True),
                Column("comment", nullable=True),
            ),
            references={"lead_id": "leads.lead_id"},
        ),
    )
}

REQUIRED_TABLES = tuple(name for name, t in TABLES.items() if t.required)
OPTIONAL_TABLES = tuple(name for name, t in TABLES.items() if not t.required and not t.side)

SIDES: dict[str, tuple[str, ...]] = {
    side: tuple(name for name, t in TABLES.items() if t.side == side) for side in ("leads", "deals")
}
"""The two sides of a data set. Besides ``teams`` a data set needs at least one: the lead side
(``leads``, with ``lead_events`` optional within it) and/or the deal side (``opportunities``).
A side left out is read as empty tables, so every figure that needs it is *not in this data*."""

SIDE_TABLES = tuple(name for tables in SIDES.values() for name in tables)
