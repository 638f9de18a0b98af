"""The canonical schema (SPEC section 1): tables, columns, kinds and allowed values."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

ALL_TEAMS = "all"
"""The company: every team together (reports, views, ``workbook metrics --team all``)."""

COMPANY_NAME = "All teams (company)"
"""How pages and tables name :data:`ALL_TEAMS`."""

QUARTER_PATTERN = re.compile(r"([0-9]{4})Q([1-4])")
"""A fiscal quarter as written everywhere (``2026Q3``); use ``fullmatch``. Groups: year, q."""

TEAM_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*", re.ASCII)
"""A team id that is safe as a file name (with ``..`` refused besides); use ``fullmatch``.

Use :func:`team_id_problem`, the one rule for team ids, rather than this pattern alone."""

MAX_TEAM_ID_LENGTH = 100
TEAM_ID_RULE = (
    "a team id has only ASCII letters (a-z, A-Z), digits, '_', '.' and '-', starts with a "
    f"letter or digit, has no '..' and at most {MAX_TEAM_ID_LENGTH} characters"
)
"""The rule of :func:`team_id_problem` in words, for the fix of every message that applies it."""


def team_id_problem(team: object, *, company: bool = False) -> str | None:
    """What makes ``team`` unusable as a team id, or None when it is a good one.

    The one rule for team ids: ``workbook validate`` applies it to ``teams.team``, and
    ``workbook reports``, ``session-report`` and the workshop to every team they name. A team
    id names files (``OUT/<quarter>/<team>.html``), so it is ASCII letters, digits, ``_``,
    ``.`` and ``-``, starting with a letter or digit, without ``..``, at most 100 characters
    (see :data:`TEAM_ID_RULE`); and ``all`` (in any case) is the company, never a team.

    Parameters
    ----------
    team : object
        Candidate team id.
    company : bool
        Accept :data:`ALL_TEAMS` (a parameter naming the company report); a team of
        ``teams.csv`` is never ``all``.

    Returns
    -------
    str or None
        ``"reserved"`` for ``all``, ``"unsafe"`` for a name that breaks the rule, else None.

    Examples
    --------
    >>> team_id_problem("emea-ent"), team_id_problem("../x"), team_id_problem("All")
    (None, 'unsafe', 'reserved')
    >>> team_id_problem("all", company=True) is None
    True
    """
    if (
        not isinstance(team, str)
        or len(team) > MAX_TEAM_ID_LENGTH
        or not TEAM_ID_PATTERN.fullmatch(team)
        or ".." in team
    ):
        return "unsafe"
    if team.lower() == ALL_TEAMS and not (company and team == ALL_TEAMS):
        return "reserved"
    return None


def team_id_clashes(teams: Iterable[str]) -> list[list[str]]:
    """Groups of team ids that are equal but for case (``EMEA``, ``emea``), in first order.

    Their report files would overwrite each other on a case-insensitive file system (macOS,
    Windows), so ``workbook validate`` refuses such ids in teams.csv, as ``workbook reports``
    does when asked to render them together.

    >>> team_id_clashes(["EMEA", "north", "emea"])
    [['EMEA', 'emea']]
    """
    groups: dict[str, list[str]] = {}
    for team in dict.fromkeys(teams):
        groups.setdefault(team.casefold(), []).append(team)
    return [group for group in groups.values() if len(group) > 1]


def is_report_name(quarter: str, team: str) -> bool:
    """Whether ``<quarter>/<team>.html`` is a safe report path (no ``..``, no separator)."""
    return bool(QUARTER_PATTERN.fullmatch(quarter) and team_id_problem(team, company=True) is None)


MAX_AMOUNT = 1e12
"""The largest amount one row may hold (a deal, a month's spend or revenue, a target).

A trillion in the data's currency is far beyond any single deal or month, so a larger value
is an export error (a unit, a format); refusing it keeps the sums finite and the charts drawable.
"""

SCORE_RANGE = (0.0, 100.0)
"""The lead score's documented range (``leads.score``)."""

TARGET_METRICS = (
    "mqls",
    "sla_compliance",
    "speed_to_lead_hours",
    "mql_acceptance",
    "mql_to_sql",
    "pipeline_created",
    "won_revenue",
    "won_deals",
    "win_rate",
    "cac",
    "lead_to_customer",
    "bookings_growth",
    "customer_retention",
    "marketing_roi",
    "feedback_coverage",
    "marketing_pipeline_share",
)
"""The metrics a ``targets`` row may name: every shared KPI of
:data:`helpers.metrics.headline.KPIS` and the alignment components that are not KPIs
(``feedback_coverage``, ``marketing_pipeline_share``), each scored against its target in the
index. A target of any other name would never be read, so validation refuses it
(tests/test_validation_corpus_values.py keeps this list equal to those names)."""


ACTION_STATUSES = ("open", "done", "dropped")
"""The states of an agreed action (``actions.status``)."""


TARGET_BASES = ("absolute", "vs_previous_quarter", "vs_same_quarter_last_year")
"""Values of the optional ``targets.basis``: the target itself (the default, also for an empty
cell), or a change (+0.20 = +20 %) against the metric's value in the previous quarter or in the
same quarter last year (see :func:`helpers.metrics.goals.implied_target`)."""


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
                Column(
                    "score",
                    "float",
                    required=False,
                    nullable=True,
                    min_value=SCORE_RANGE[0],
                    max_value=SCORE_RANGE[1],
                ),
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
                Column("amount", "float", nullable=True, min_value=0, max_value=MAX_AMOUNT),
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
                Column("amount", "float", min_value=0, max_value=MAX_AMOUNT),
            ),
            references={"team": "teams.team"},
        ),
        Table(
            "revenue",
            (
                Column("month", "month"),
                Column("account_id"),
                Column("team"),
                Column("recurring_revenue", "float", min_value=0, max_value=MAX_AMOUNT),
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
                Column("target", "float", max_value=MAX_AMOUNT),
                # Checked (with a did-you-mean) by validation.check_targets.
                Column("basis", required=False, nullable=True),
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
        # Actions agreed in a joint review or workshop, followed up by the next report. The
        # team (or "all" for the company review) and the KPI are checked in
        # validation.check_actions, not by ``references``: "all" is no row of teams.csv.
        Table(
            "actions",
            (
                Column("action_id"),
                Column("team"),
                Column("quarter_agreed", "quarter"),
                Column("action"),
                Column("owner"),
                Column("due_quarter", "quarter"),
                Column("kpi", required=False, nullable=True),
                Column("status", allowed=ACTION_STATUSES),
                Column("agreed_by", required=False, nullable=True),
                Column("agreed_at", required=False, nullable=True),
            ),
            key=("action_id",),
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
