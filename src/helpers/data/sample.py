"""Deterministic, vectorised sample data: a complete data directory with planted effects.

:func:`generate_sample` writes every table of the canonical schema (SPEC section 1) as CSV plus a
``workbook.toml``. The same arguments give byte-identical files. Everything is drawn with numpy
array operations from one ``Generator(PCG64(seed))``; there is no loop over leads, so a million
leads take well under a minute and writing the CSV files is the largest cost.

What the data looks like
------------------------
- Six teams (:data:`TEAMS`), one per region and segment, with different lead volumes. With
  ``teams`` above six, each of these base teams is split into sub-teams (``emea-ent-01``,
  "EMEA Enterprise 01", ...) of the same region and segment; see :func:`team_rows`. Every
  sub-team keeps its base team's profile, so the planted effects hold per sub-team too.
- Leads over ``quarters`` calendar quarters ending with ``end_quarter``, with a mild growth trend
  and seasonality (October and November busier, August and late December quieter), created
  mostly in working hours on weekdays. Eight channels with their own volume, score and quality:
  six marketing channels, ``referral`` (source type ``partner``) and ``outbound`` (``sales``).
- Lifecycle events: ``mql`` (marketing automation, decided by score), ``first_touch`` after a
  delay in business hours (:mod:`helpers.data.clock`), ``accepted`` or ``rejected`` (with a reason),
  ``recycled`` after some rejections (with a reason), a second ``mql`` for some recycled leads
  (and then a second first touch and decision), and ``sql``. Outbound leads skip ``mql``.
  Some MQLs are never touched. Nothing is later than the as-of date (the day after
  ``end_quarter``); events that would fall later are left out.
- Opportunities follow some SQLs; lead-less sales-sourced opportunities are added. Status is
  judged at the as-of date: a deal whose close date would be later is still open.
- Recurring revenue per won account and month, with churn and expansion or contraction;
  marketing spend per team, month and channel, and sales cost; marketing touches before each
  MQL; quarterly targets per team (and a few for all teams, ``*``); sales feedback on lead quality.

Planted effects
---------------
1. :data:`SLOW_TEAM` (``na-smb``, and each of its sub-teams) touches MQLs late: the median
   delay from ``mql`` to ``first_touch`` is about 30 business hours against 3-6 for the other
   teams (the SLA is 24), and more of its MQLs are never touched. The chance that an accepted
   MQL becomes an SQL falls with the measured delay as ``p * exp(-delay / 40 h)``, so its
   MQL-to-SQL conversion is clearly lower than the other teams'.
2. :data:`LOW_QUALITY_CHANNEL` (``paid_social``) brings the most leads with the lowest scores,
   the highest rejection share (reasons such as "no budget", "student or job seeker", "wrong
   persona"), the lowest MQL-to-SQL conversion and the worst feedback ratings.
3. :data:`SPEND_SPIKE` (``2025Q4``, ``events``): spend on events in that quarter is three times
   the normal level, with no matching increase in leads.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import ParameterError
from .clock import add_business_hours, business_hours_between
from .config import BusinessHours
from .periods import Quarter
from .schema import ALL_TEAMS

SLOW_TEAM = "na-smb"
"""Team that answers MQLs late (planted effect 1)."""

LOW_QUALITY_CHANNEL = "paid_social"
"""Channel with the most leads and the worst quality (planted effect 2)."""

SPEND_SPIKE = ("2025Q4", "events")
"""(quarter, channel) whose marketing spend is about three times normal (planted effect 3)."""

SPEND_SPIKE_FACTOR = 3.0
"""Multiplier applied to the spend of :data:`SPEND_SPIKE`."""

TEAMS: list[dict[str, str]] = [
    {"team": "emea-ent", "name": "EMEA Enterprise", "region": "EMEA", "segment": "enterprise"},
    {"team": "emea-smb", "name": "EMEA SMB", "region": "EMEA", "segment": "smb"},
    {"team": "na-ent", "name": "North America Enterprise", "region": "NA", "segment": "enterprise"},
    {"team": "na-smb", "name": "North America SMB", "region": "NA", "segment": "smb"},
    {"team": "apac-mm", "name": "APAC Mid-Market", "region": "APAC", "segment": "mid-market"},
    {"team": "latam-smb", "name": "LATAM SMB", "region": "LATAM", "segment": "smb"},
]
"""The six teams of the sample, as rows of ``teams.csv``."""

CHANNELS = (
    "paid_search",
    "paid_social",
    "organic_search",
    "webinar",
    "events",
    "email",
    "referral",
    "outbound",
)
"""Lead channels; the first six are marketing channels."""

SLA_HOURS = 24.0
"""Business hours allowed from MQL to first touch (``workbook.toml``)."""

SLA_PER_CHANNEL = {"paid_search": 8.0}
"""Per-channel SLA overrides written to ``workbook.toml``."""

# --- team profiles, in the order of TEAMS -------------------------------------------------------
_TEAM_SHARE = np.array([0.14, 0.19, 0.16, 0.21, 0.16, 0.14])
_TEAM_TOUCH_MEDIAN_BH = np.array([4.0, 5.0, 3.0, 30.0, 6.0, 5.0])
_TEAM_NEVER_TOUCHED = np.array([0.03, 0.04, 0.03, 0.14, 0.05, 0.05])
_TEAM_FEEDBACK_SHARE = np.array([0.45, 0.35, 0.40, 0.20, 0.30, 0.30])
_SDRS_PER_TEAM = 6
_AES_PER_TEAM = 4

# --- segments: enterprise, mid-market, smb -----------------------------------------------------
_SEGMENTS = ("enterprise", "mid-market", "smb")
_SEG_AMOUNT_MEDIAN = np.array([48_000.0, 18_000.0, 7_000.0])
_SEG_WIN_RATE = np.array([0.26, 0.30, 0.34])
_SEG_CYCLE_DAYS = np.array([80.0, 45.0, 25.0])
_SEG_MONTHLY_CHURN = np.array([0.006, 0.012, 0.02])
_SEG_SALES_COST_PER_LEAD = np.array([220.0, 160.0, 110.0])
# Channel mix multipliers per segment (rows) and channel (columns).
_SEG_CHANNEL_MIX = np.array(
    [
        [1.0, 0.6, 1.0, 1.3, 1.6, 1.0, 1.0, 1.5],
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        [1.0, 1.2, 1.0, 0.9, 0.6, 1.2, 1.0, 0.7],
    ]
)
_SIZES = ("1-10", "11-50", "51-200", "201-1000", "1001-5000", "5000+")
_SEG_SIZE_PROBS = np.array(
    [
        [0.02, 0.04, 0.10, 0.30, 0.32, 0.22],
        [0.05, 0.15, 0.35, 0.33, 0.10, 0.02],
        [0.25, 0.38, 0.27, 0.08, 0.02, 0.00],
    ]
)

# --- channel profiles, in the order of CHANNELS -------------------------------------------------
_SOURCE_TYPES = ("marketing", "sales", "partner")
_CH_SOURCE = np.array([0, 0, 0, 0, 0, 0, 2, 1])
_CH_SHARE = np.array([0.16, 0.25, 0.14, 0.09, 0.07, 0.11, 0.08, 0.10])
_CH_SCORE_MEAN = np.array([60.0, 40.0, 56.0, 62.0, 64.0, 50.0, 68.0, 55.0])
_CH_REJECT = np.array([0.14, 0.45, 0.15, 0.12, 0.13, 0.22, 0.08, 0.28])
_CH_SQL = np.array([0.40, 0.24, 0.36, 0.40, 0.42, 0.33, 0.48, 0.35])
_CH_TOUCH_SPEED = np.array([0.6, 1.0, 1.0, 1.0, 1.2, 1.0, 0.8, 1.0])
_CH_WIN = np.array([1.0, 0.7, 1.0, 1.05, 1.1, 0.9, 1.3, 0.9])
_CH_AMOUNT = np.array([1.0, 0.8, 1.0, 1.05, 1.2, 0.9, 1.15, 1.0])
_CH_COST_PER_LEAD = np.array([95.0, 38.0, 20.0, 70.0, 260.0, 12.0, 140.0, 120.0])
_N_MARKETING = 6  # channels 0..5 run campaigns and have touches
_CAMPAIGN_PREFIX = ("PSE", "PSO", "ORG", "WEB", "EVT", "EML")
_CAMPAIGNS_PER_QUARTER = np.array([3, 4, 2, 3, 2, 3])
_TOUCH_CHANNEL_PROBS = np.array([0.20, 0.15, 0.20, 0.15, 0.05, 0.25])
_REENGAGE_CHANNEL_PROBS = np.array([0.20, 0.0, 0.0, 0.30, 0.0, 0.50])
# Touches per lead (1-5): leads that reach MQL have engaged more (rows: no MQL, MQL).
_TOUCH_COUNT_PROBS = np.array([[0.88, 0.09, 0.03, 0.0, 0.0], [0.50, 0.25, 0.12, 0.08, 0.05]])

# --- attributes ---------------------------------------------------------------------------------
_INDUSTRIES = (
    "software",
    "financial services",
    "manufacturing",
    "healthcare",
    "retail",
    "education",
    "professional services",
    "public sector",
)
_INDUSTRY_PROBS = np.array(
    [
        [0.24, 0.16, 0.16, 0.12, 0.10, 0.04, 0.12, 0.06],  # most channels
        [0.18, 0.08, 0.08, 0.08, 0.14, 0.28, 0.12, 0.04],  # the low-quality channel
    ]
)
_REGION_COUNTRIES = {
    "EMEA": ("DE", "GB", "FR", "NL", "ES", "IT", "SE", "CH"),
    "NA": ("US", "CA"),
    "APAC": ("AU", "SG", "JP", "IN", "NZ"),
    "LATAM": ("BR", "MX", "AR", "CL", "CO"),
}
_COUNTRY_WEIGHTS = {
    "EMEA": (0.30, 0.22, 0.15, 0.09, 0.08, 0.07, 0.05, 0.04),
    "NA": (0.85, 0.15),
    "APAC": (0.35, 0.20, 0.20, 0.15, 0.10),
    "LATAM": (0.45, 0.25, 0.12, 0.10, 0.08),
}

# --- lifecycle vocabulary -----------------------------------------------------------------------
_EVENTS = ("mql", "first_touch", "accepted", "rejected", "recycled", "sql")
_REJECT_REASONS = (
    "no budget",
    "student or job seeker",
    "wrong persona",
    "bad timing",
    "unreachable",
    "duplicate",
    "existing customer",
    "competitor",
    "not interested",
)
# Rows: ordinary marketing/partner leads, the low-quality channel, outbound leads.
_REJECT_REASON_PROBS = np.array(
    [
        [0.18, 0.02, 0.15, 0.25, 0.15, 0.10, 0.10, 0.05, 0.00],
        [0.30, 0.26, 0.24, 0.08, 0.06, 0.04, 0.01, 0.01, 0.00],
        [0.20, 0.00, 0.15, 0.15, 0.10, 0.00, 0.05, 0.05, 0.30],
    ]
)
# Chance that a rejection is recycled, per rejection reason.
_RECYCLE_BY_REASON = np.array([0.45, 0.02, 0.10, 0.60, 0.40, 0.0, 0.0, 0.15, 0.10])
_RECYCLE_REASONS = (
    "not ready to buy",
    "revisit next quarter",
    "no response after 5 attempts",
    "budget expected next year",
)
# Recycle reason probabilities given the rejection reason (rows follow _REJECT_REASONS).
_RECYCLE_REASON_PROBS = np.array(
    [
        [0.15, 0.15, 0.0, 0.70],
        [0.50, 0.50, 0.0, 0.0],
        [0.50, 0.50, 0.0, 0.0],
        [0.55, 0.45, 0.0, 0.0],
        [0.0, 0.10, 0.90, 0.0],
        [0.50, 0.50, 0.0, 0.0],
        [0.50, 0.50, 0.0, 0.0],
        [0.40, 0.60, 0.0, 0.0],
        [0.60, 0.30, 0.10, 0.0],
    ]
)
_LOST_REASONS = ("price", "competitor", "no decision", "timing", "missing feature", "went dark")
_LOST_PROBS = np.array([0.22, 0.24, 0.20, 0.14, 0.10, 0.10])
_GOOD_FEEDBACK = ("good fit", "clear need", "budget confirmed", "decision maker engaged")
_POOR_FEEDBACK = ("thin qualification", "wrong contact details", "slow to respond")

# --- calendar -----------------------------------------------------------------------------------
_MONTH_SEASON = np.array([0.95, 1.0, 1.08, 0.98, 1.0, 1.02, 0.9, 0.7, 1.05, 1.22, 1.25, 0.95])
_WEEKDAY_WEIGHT = np.array([1.0, 1.0, 1.0, 0.95, 0.85, 0.12, 0.08])
_GROWTH_PER_YEAR = 0.12
_DAY = 86_400
_HOUR = 3_600

_TABLE_ORDER = (
    "teams",
    "leads",
    "lead_events",
    "opportunities",
    "spend",
    "revenue",
    "touches",
    "targets",
    "feedback",
    "actions",
)


# =================================================================================================
# small vectorised tools
# =================================================================================================
def _choice_rows(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One categorical draw per element; ``probs[rows[i]]`` are the probabilities of element i."""
    cdf = np.cumsum(probs, axis=1)
    cdf = cdf / cdf[:, -1:]
    u = rng.random(len(rows))
    out = np.zeros(len(rows), dtype="int64")
    for row in range(probs.shape[0]):  # a handful of profiles, not one pass per element
        mask = rows == row
        out[mask] = np.searchsorted(cdf[row], u[mask], side="right")
    return np.minimum(out, probs.shape[1] - 1)


def _choice(rng: np.random.Generator, probs: np.ndarray, n: int) -> np.ndarray:
    """``n`` categorical draws from one probability vector."""
    return _choice_rows(rng, np.asarray(probs, dtype="float64")[None, :], np.zeros(n, "int64"))


def _add_bh(start: np.ndarray, hours: np.ndarray, bh: BusinessHours) -> np.ndarray:
    """Seconds since the epoch ``hours`` business hours after ``start`` (NaN stays NaN)."""
    out = np.full(len(start), np.nan)
    valid = ~np.isnan(start)
    if valid.any():
        ts = pd.Series(start[valid].astype("int64").astype("M8[s]").astype("M8[ns]"))
        moved = add_business_hours(ts, hours[valid], bh).to_numpy().astype("M8[s]")
        out[valid] = np.maximum(moved.astype("int64"), start[valid])
    return out


def _bh_between(start: np.ndarray, end: np.ndarray, bh: BusinessHours) -> np.ndarray:
    """Business hours from ``start`` to ``end`` in seconds since the epoch (NaN if either is)."""
    out = np.full(len(start), np.nan)
    valid = ~np.isnan(start) & ~np.isnan(end)
    if valid.any():
        a = pd.Series(start[valid].astype("int64").astype("M8[s]"))
        b = pd.Series(end[valid].astype("int64").astype("M8[s]"))
        out[valid] = business_hours_between(a, b, bh).to_numpy()
    return out


def _months(seconds: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of timestamps in seconds since the epoch (must be valid)."""
    return seconds.astype("int64").astype("M8[s]").astype("M8[M]").astype("int64")


def _ids(prefix: str, n: int, width: int = 7) -> pa.Array:
    """``prefix`` + zero-padded running numbers 1..n as an arrow string array."""
    numbers = pc.cast(pa.array(np.arange(1, n + 1, dtype="int64")), pa.string())
    padded = pc.utf8_lpad(numbers, width=max(width, len(str(n))), padding="0")
    return pc.binary_join_element_wise(prefix, padded, "")


def _cat(codes: np.ndarray, vocabulary: tuple[str, ...] | list[str] | np.ndarray) -> pa.Array:
    """Arrow dictionary array of ``vocabulary[codes]``; negative codes are empty cells."""
    codes = np.asarray(codes, dtype="int32")
    indices = pa.array(codes, mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(vocabulary), pa.string()))


def _stamp(seconds: np.ndarray) -> pa.Array:
    """ISO 8601 text ``YYYY-MM-DDTHH:MM:SS`` of seconds since the epoch; NaN is an empty cell."""
    valid = ~np.isnan(seconds)
    values = np.where(valid, seconds, 0).astype("int64")
    ts = pa.array(values, type=pa.timestamp("s"), mask=~valid)
    return pc.replace_substring(pc.cast(ts, pa.string()), " ", "T", max_replacements=1)


def _money(values: np.ndarray) -> pa.Array:
    """Amounts rounded to cents; NaN is an empty cell."""
    return pa.array(np.round(values, 2), mask=np.isnan(values))


def _write_arrow(path: Path, table: pa.Table) -> None:
    """Write ``table`` as CSV atomically: a temporary file in the same folder, then a rename.

    Values are written unquoted; the arrow writer refuses any value with a comma, quote or line
    break, which the generated vocabularies never contain.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write((",".join(table.column_names) + "\n").encode("utf-8"))
            options = pacsv.WriteOptions(include_header=False, quoting_style="none")
            pacsv.write_csv(table, handle, options)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_text(path: Path, text: str) -> None:
    """Write ``text`` atomically (temporary file in the same folder, then a rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(text.encode("utf-8"))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# =================================================================================================
# the generator, step by step
# =================================================================================================
class _Frame:
    """Dates of the sample: lead period, as-of instant and quarter/month numbering."""

    def __init__(self, end_quarter: str, quarters: int) -> None:
        last = Quarter.parse(end_quarter)
        first = last.shift(-(quarters - 1))
        self.start = first.start
        self.as_of = last.end
        self.start_s = int(self.start.value // 10**9)
        self.as_of_s = int(self.as_of.value // 10**9)
        self.start_month = _months(np.array([self.start_s]))[0]
        self.quarter_labels = [str(first.shift(i)) for i in range(quarters)]
        self.n_quarters = quarters
        self.next_quarter = str(last.shift(1))

    def quarter_of(self, seconds: np.ndarray) -> np.ndarray:
        """Quarter number (0 = first sample quarter) of valid timestamps."""
        return (_months(seconds) - self.start_month) // 3


def _actions(frame: _Frame, layout: _Teams) -> pd.DataFrame:
    """A few actions agreed at the last reviews, for the last quarter's report to follow up.

    Fixed (no random draw): two teams and the company agreed actions at the review of the
    quarter before the last (one done, one overdue each) and one earlier action is still open,
    so the last quarter's report shows a done action, overdue ones and a carried-over one.
    """
    last = Quarter.parse(frame.quarter_labels[-1])
    reviewed, earlier = last.shift(-1), last.shift(-2)
    first, second = layout.ids[0], layout.ids[1]

    def review_day(quarter: Quarter) -> str:
        return f"{(quarter.end + pd.Timedelta(days=7)).date()}T10:00:00"

    rows = [
        (first, reviewed, "Call every MQL within 4 business hours", "SDR team lead", last,
         "sla_compliance", "open"),
        (first, reviewed, "Agree one written MQL definition with sales", "Marketing operations",
         last, "mql_acceptance", "done"),
        (second, reviewed, "Review rejected MQLs together every second week",
         "Sales and marketing leads", last, "mql_acceptance", "done"),
        (second, earlier, "Rate the quality of every accepted MQL in the CRM",
         "Account executives", reviewed, "", "open"),
        (ALL_TEAMS, reviewed, "Publish the shared KPI scorecard every month",
         "Revenue operations", last.shift(1), "win_rate", "open"),
    ]  # fmt: skip
    numbers: dict[tuple[str, str], int] = {}
    records = []
    for team, agreed, action, owner, due, kpi, status in rows:
        key = (team, str(agreed))
        numbers[key] = numbers.get(key, 0) + 1
        records.append(
            {
                "action_id": f"{team}-{agreed}-{numbers[key]}",
                "team": team,
                "quarter_agreed": str(agreed),
                "action": action,
                "owner": owner,
                "due_quarter": str(due),
                "kpi": kpi,
                "status": status,
                "agreed_by": f"joint review of {agreed}",
                "agreed_at": review_day(agreed),
            }
        )
    return pd.DataFrame(records)


class _Teams:
    """The teams of a sample: the six base teams, or each of them split into sub-teams.

    ``base[i]`` is the index in :data:`TEAMS` of team ``i``, whose profile (touch speed, never
    touched share, feedback share, segment, region) team ``i`` inherits. ``share`` is each
    team's share of the leads: its base team's share split over its sub-teams by fixed weights
    (the first sub-teams larger), so the base teams' shares are those of the six-team sample.
    """

    def __init__(self, teams: int) -> None:
        self.rows = team_rows(teams)
        self.ids = [row["team"] for row in self.rows]
        self.n = len(self.rows)
        base_ids = [t["team"] for t in TEAMS]
        if teams == len(TEAMS):
            self.base = np.arange(len(TEAMS))
            self.within = np.ones(len(TEAMS))
        else:
            self.base = np.array(
                [base_ids.index(row["team"].rsplit("-", 1)[0]) for row in self.rows]
            )
            counts = np.bincount(self.base, minlength=len(TEAMS))
            rank = np.concatenate([np.arange(c) for c in counts])
            weight = 1.0 / (1.0 + 0.15 * rank)
            self.within = weight / np.bincount(self.base, weights=weight)[self.base]
        self.share = _TEAM_SHARE[self.base] * self.within

    def choose(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` teams drawn by share, with one uniform draw each.

        The base team comes from that draw exactly as in the six-team sample, and the sub-team
        from where the draw falls inside its base team's interval, so splitting teams never
        changes which base team a lead (or an opportunity) belongs to, nor any later draw.
        """
        cdf = np.cumsum(_TEAM_SHARE)
        cdf = cdf / cdf[-1]
        u = rng.random(n)
        base = np.minimum(np.searchsorted(cdf, u, side="right"), len(TEAMS) - 1)
        if self.n == len(TEAMS):
            return base
        low = np.concatenate([[0.0], cdf[:-1]])
        inside = (u - low[base]) / (cdf[base] - low[base])  # uniform on [0, 1) within the base
        team = np.empty(n, dtype="int64")
        for b in range(len(TEAMS)):  # six base teams, not one pass per lead
            members = np.flatnonzero(self.base == b)
            edges = np.cumsum(self.within[members])
            pick = base == b
            k = np.searchsorted(edges / edges[-1], inside[pick], side="right")
            team[pick] = members[np.minimum(k, len(members) - 1)]
        return team

    def segment(self) -> np.ndarray:
        """Segment index (into ``_SEGMENTS``) per team."""
        return np.array([_SEGMENTS.index(row["segment"]) for row in self.rows])


def team_rows(teams: int = 6) -> list[dict[str, str]]:
    """The rows of ``teams.csv`` for a sample of ``teams`` teams.

    Six teams are :data:`TEAMS`. More split each base team into sub-teams: ``teams // 6`` each,
    one more for the first ``teams % 6`` base teams, in the order of :data:`TEAMS`. A sub-team
    is ``<base id>-NN`` named ``<base name> NN`` (NN from 01), with its base team's region and
    segment.

    Raises
    ------
    ParameterError
        When ``teams`` is not a whole number of at least 6: fewer than the six base teams would
        drop a base team and its planted effect (e.g. the slow team), so it is refused.

    Examples
    --------
    >>> [row["team"] for row in team_rows(7)][:3]
    ['emea-ent-01', 'emea-ent-02', 'emea-smb-01']
    >>> team_rows(12)[1]["name"]
    'EMEA Enterprise 02'
    """
    if isinstance(teams, bool) or not isinstance(teams, int | np.integer) or teams < len(TEAMS):
        raise ParameterError(
            f"teams is {teams!r}; give a whole number of at least {len(TEAMS)} (the six base "
            "teams, which carry the planted effects; more teams split each into sub-teams)."
        )
    if teams == len(TEAMS):
        return [dict(t) for t in TEAMS]
    per_base, extra = divmod(int(teams), len(TEAMS))
    rows = []
    for b, base in enumerate(TEAMS):
        count = per_base + (1 if b < extra else 0)
        width = max(2, len(str(count)))
        for k in range(1, count + 1):
            number = f"{k:0{width}d}"
            rows.append(
                {
                    "team": f"{base['team']}-{number}",
                    "name": f"{base['name']} {number}",
                    "region": base["region"],
                    "segment": base["segment"],
                }
            )
    return rows


def _day_weights(frame: _Frame) -> tuple[np.ndarray, np.ndarray]:
    """Days of the lead period (days since the epoch) and their relative lead volume."""
    days = np.arange(frame.start_s // _DAY, frame.as_of_s // _DAY, dtype="int64")
    dates = days.astype("M8[D]")
    month = dates.astype("M8[M]").astype("int64") % 12
    day_of_month = (dates - dates.astype("M8[M]").astype("M8[D]")).astype("int64") + 1
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    years = (days - days[0]) / 365.25
    weights = _MONTH_SEASON[month] * _WEEKDAY_WEIGHT[weekday] * np.exp(_GROWTH_PER_YEAR * years)
    holiday = ((month == 11) & (day_of_month >= 22)) | ((month == 0) & (day_of_month == 1))
    return days, np.where(holiday, weights * 0.3, weights)


def _leads(rng: np.random.Generator, n: int, frame: _Frame, teams: _Teams) -> dict[str, np.ndarray]:
    """Lead attributes, sorted by creation time (``team`` is the team, ``base`` its base)."""
    days, weights = _day_weights(frame)
    cdf = np.cumsum(weights) / weights.sum()
    day = days[np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(days) - 1)]
    weekend = ((day + 3) % 7) >= 5
    office = np.clip(rng.normal(13.0, 2.6, n), 7.5, 19.5)
    anytime = rng.uniform(0.0, 24.0, n)
    hours = np.where(
        weekend, rng.uniform(8.0, 22.0, n), np.where(rng.random(n) < 0.85, office, anytime)
    )
    created = np.sort(day * _DAY + np.minimum(np.floor(hours * _HOUR), _DAY - 1)).astype("float64")

    team = teams.choose(rng, n)
    base = teams.base[team]
    segment = np.array([_SEGMENTS.index(t["segment"]) for t in TEAMS])[base]
    mix = _CH_SHARE[None, :] * _SEG_CHANNEL_MIX
    channel = _choice_rows(rng, mix, segment)
    score = np.round(np.clip(rng.normal(_CH_SCORE_MEAN[channel], 14.0), 0.0, 100.0), 1)
    low = channel == CHANNELS.index(LOW_QUALITY_CHANNEL)
    industry = _choice_rows(rng, _INDUSTRY_PROBS, low.astype("int64"))
    size = _choice_rows(rng, _SEG_SIZE_PROBS, segment)
    regions = list(_REGION_COUNTRIES)
    region = np.array([regions.index(t["region"]) for t in TEAMS])[base]
    width = max(len(v) for v in _REGION_COUNTRIES.values())
    country_probs = np.zeros((len(regions), width))
    for i, name in enumerate(regions):
        country_probs[i, : len(_COUNTRY_WEIGHTS[name])] = _COUNTRY_WEIGHTS[name]
    offsets = np.cumsum([0] + [len(v) for v in _REGION_COUNTRIES.values()])[:-1]
    country = offsets[region] + _choice_rows(rng, country_probs, region)
    country_vocab = [c for name in regions for c in _REGION_COUNTRIES[name]]
    campaign_k = np.floor(
        rng.random(n) * _CAMPAIGNS_PER_QUARTER[np.minimum(channel, _N_MARKETING - 1)]
    )
    return {
        "created": created,
        "team": team,
        "base": base,
        "segment": segment,
        "channel": channel,
        "source": _CH_SOURCE[channel],
        "score": score,
        "industry": industry,
        "size": size,
        "country": country,
        "country_vocab": np.array(country_vocab, dtype=object),
        "campaign_k": campaign_k.astype("int64"),
        "sdr": rng.integers(0, _SDRS_PER_TEAM, n),
        "ae": rng.integers(0, _AES_PER_TEAM, n),
    }


def _qualify(
    rng: np.random.Generator,
    start: np.ndarray,
    team: np.ndarray,
    channel: np.ndarray,
    score: np.ndarray,
    bh: BusinessHours,
    *,
    outbound: bool = False,
    reject_scale: float = 1.0,
) -> dict[str, np.ndarray]:
    """First touch, decision and SQL for leads that entered the sales queue at ``start``.

    ``team`` is the base team (index into :data:`TEAMS`), whose profile applies. The
    first-touch delay is drawn in business hours (team median times channel speed); the
    chance of an SQL is ``p_channel * exp(-delay / 40) * score factor`` with the delay measured
    on the business-hours clock.
    """
    n = len(start)
    if outbound:
        touched = np.ones(n, dtype=bool)
        delay = rng.uniform(0.05, 2.0, n)
    else:
        touched = rng.random(n) >= _TEAM_NEVER_TOUCHED[team]
        median = _TEAM_TOUCH_MEDIAN_BH[team] * _CH_TOUCH_SPEED[channel]
        delay = rng.lognormal(np.log(median), 0.85)
    first_touch = _add_bh(np.where(touched, start, np.nan), delay, bh)
    measured = np.zeros(n) if outbound else _bh_between(start, first_touch, bh)

    pending = rng.random(n) < 0.02
    p_reject = np.clip(_CH_REJECT[channel] * reject_scale + 0.006 * (55.0 - score), 0.02, 0.9)
    rejected = touched & ~pending & (rng.random(n) < p_reject)
    accepted = touched & ~pending & ~rejected
    decided_at = _add_bh(
        np.where(rejected | accepted, first_touch, np.nan), rng.lognormal(np.log(2.0), 0.7, n), bh
    )
    reason_row = np.where(channel == CHANNELS.index(LOW_QUALITY_CHANNEL), 1, 0)
    reason = _choice_rows(rng, _REJECT_REASON_PROBS, np.where(outbound, 2, reason_row))

    p_sql = _CH_SQL[channel] * np.exp(-np.nan_to_num(measured) / 40.0) * (0.55 + score / 110.0)
    sql = accepted & (rng.random(n) < np.clip(p_sql, 0.0, 0.95))
    sql_at = _add_bh(np.where(sql, decided_at, np.nan), rng.lognormal(np.log(20.0), 0.8, n), bh)
    return {
        "first_touch": first_touch,
        "accepted": np.where(accepted, decided_at, np.nan),
        "rejected": np.where(rejected, decided_at, np.nan),
        "reason": reason,
        "sql": sql_at,
    }


def _lifecycle(
    rng: np.random.Generator, leads: dict[str, np.ndarray], frame: _Frame, bh: BusinessHours
) -> dict[str, np.ndarray]:
    """Timestamps (seconds, NaN when the step did not happen) of every lifecycle step per lead.

    Steps that would happen on or after the as-of date have not happened yet: they are NaN.
    """
    n = len(leads["created"])
    created, team, channel, score = (leads[k] for k in ("created", "base", "channel", "score"))
    outbound = leads["source"] == _SOURCE_TYPES.index("sales")

    p_mql = 1.0 / (1.0 + np.exp(-(score - 53.0) / 6.0))
    is_mql = ~outbound & (rng.random(n) < p_mql)
    mql_hours = np.where(rng.random(n) < 0.35, rng.exponential(0.1, n), rng.lognormal(3.0, 1.0, n))
    mql = np.where(is_mql, np.floor(created + mql_hours * _HOUR), np.nan)

    round1 = _qualify(rng, mql, team, channel, score, bh)
    out = _qualify(
        rng, np.where(outbound, created, np.nan), team, channel, score, bh, outbound=True
    )
    for key in ("first_touch", "accepted", "rejected", "sql"):
        round1[key] = np.where(outbound, out[key], round1[key])
    round1["reason"] = np.where(outbound, out["reason"], round1["reason"])

    rejected1 = ~np.isnan(round1["rejected"])
    recycle = rejected1 & ~outbound & (rng.random(n) < _RECYCLE_BY_REASON[round1["reason"]])
    recycled = np.where(
        recycle, np.floor(round1["rejected"] + rng.uniform(1.0, 10.0, n) * _DAY), np.nan
    )
    recycle_reason = _choice_rows(rng, _RECYCLE_REASON_PROBS, round1["reason"])
    again = recycle & (rng.random(n) < 0.4)
    mql2 = np.where(again, np.floor(recycled + rng.lognormal(np.log(45.0), 0.5, n) * _DAY), np.nan)
    round2 = _qualify(rng, mql2, team, channel, score, bh, reject_scale=0.6)
    steps = {
        "mql": mql,
        "first_touch": round1["first_touch"],
        "accepted": round1["accepted"],
        "rejected": round1["rejected"],
        "reason": round1["reason"],
        "sql": round1["sql"],
        "recycled": recycled,
        "recycle_reason": recycle_reason,
        "mql2": mql2,
        "first_touch2": round2["first_touch"],
        "accepted2": round2["accepted"],
        "rejected2": round2["rejected"],
        "reason2": round2["reason"],
        "sql2": round2["sql"],
    }
    for key, value in steps.items():
        if "reason" not in key:
            steps[key] = np.where(value < frame.as_of_s, value, np.nan)
    return steps


def _actors(n_teams: int) -> list[str]:
    """Actor vocabulary: automation, then the SDRs and AEs of each team."""
    sdrs = [f"sdr_{t * 10 + j + 1}" for t in range(n_teams) for j in range(_SDRS_PER_TEAM)]
    aes = [f"ae_{t * 10 + j + 1}" for t in range(n_teams) for j in range(_AES_PER_TEAM)]
    return ["marketing_automation", *sdrs, *aes]


def _events(
    leads: dict[str, np.ndarray],
    life: dict[str, np.ndarray],
    frame: _Frame,
    lead_ids: pa.Array,
    n_teams: int,
) -> pa.Table:
    """The ``lead_events`` table, ordered by lead and then by time."""
    sdr = 1 + leads["team"] * _SDRS_PER_TEAM + leads["sdr"]
    ae = 1 + n_teams * _SDRS_PER_TEAM + leads["team"] * _AES_PER_TEAM + leads["ae"]
    auto = np.zeros_like(sdr)
    n_reject = len(_REJECT_REASONS)
    none = np.full_like(sdr, -1)
    # (time, event, order within the lead, actor, reason code or -1)
    steps = [
        (life["mql"], 0, 0, auto, none),
        (life["first_touch"], 1, 1, sdr, none),
        (life["accepted"], 2, 2, sdr, none),
        (life["rejected"], 3, 2, sdr, life["reason"]),
        (life["sql"], 5, 3, ae, none),
        (life["recycled"], 4, 3, sdr, n_reject + life["recycle_reason"]),
        (life["mql2"], 0, 4, auto, none),
        (life["first_touch2"], 1, 5, sdr, none),
        (life["accepted2"], 2, 6, sdr, none),
        (life["rejected2"], 3, 6, sdr, life["reason2"]),
        (life["sql2"], 5, 7, ae, none),
    ]
    parts = {"lead": [], "at": [], "event": [], "order": [], "actor": [], "reason": []}
    for at, event, order, actor, reason in steps:
        keep = np.flatnonzero(~np.isnan(at) & (at < frame.as_of_s))
        parts["lead"].append(keep)
        parts["at"].append(at[keep])
        parts["event"].append(np.full(len(keep), event))
        parts["order"].append(np.full(len(keep), order))
        parts["actor"].append(actor[keep])
        parts["reason"].append(reason[keep])
    cols = {k: np.concatenate(v) for k, v in parts.items()}
    order = np.lexsort((cols["order"], cols["lead"]))
    cols = {k: v[order] for k, v in cols.items()}
    return pa.table(
        {
            "lead_id": pc.take(lead_ids, pa.array(cols["lead"])),
            "event": _cat(cols["event"], _EVENTS),
            "at": _stamp(cols["at"]),
            "actor": _cat(cols["actor"], _actors(n_teams)),
            "reason": _cat(cols["reason"], _REJECT_REASONS + _RECYCLE_REASONS),
        }
    )


def _campaign_vocabulary(frame: _Frame) -> list[str]:
    """Campaign ids indexed by ``(channel * n_quarters + quarter) * 4 + k``."""
    return [
        f"{_CAMPAIGN_PREFIX[c]}-{frame.quarter_labels[q]}-{k + 1:02d}"
        for c in range(_N_MARKETING)
        for q in range(frame.n_quarters)
        for k in range(4)
    ]


def _campaign_code(frame: _Frame, channel: np.ndarray, at: np.ndarray, k: np.ndarray) -> np.ndarray:
    quarter = np.clip(frame.quarter_of(at), 0, frame.n_quarters - 1)
    return (channel * frame.n_quarters + quarter) * 4 + k


def _touches(
    rng: np.random.Generator,
    leads: dict[str, np.ndarray],
    life: dict[str, np.ndarray],
    frame: _Frame,
    lead_ids: pa.Array,
) -> pa.Table:
    """1-5 marketing touches per marketing lead, from creation up to its (first) MQL.

    The first touch is at creation, usually on the lead's own channel and campaign; leads that
    reached a second MQL get one re-engagement touch between recycling and that MQL.
    """
    marketing = np.flatnonzero(leads["source"] == 0)
    created = leads["created"][marketing]
    m = len(marketing)
    end_no_mql = np.minimum(created + rng.uniform(0.0, 30.0, m) * _DAY, frame.as_of_s - 1)
    mql = life["mql"][marketing]
    end = np.where(np.isnan(mql), end_no_mql, mql)
    count = 1 + _choice_rows(rng, _TOUCH_COUNT_PROBS, (~np.isnan(mql)).astype("int64"))

    rows = np.repeat(np.arange(m), count)
    first = np.zeros(len(rows), dtype=bool)
    first[np.cumsum(count) - count] = True
    span = end[rows] - created[rows]
    at = np.where(first, created[rows], np.floor(created[rows] + rng.random(len(rows)) * span))
    own = first & (rng.random(len(rows)) < 0.85)
    channel = np.where(
        own, leads["channel"][marketing][rows], _choice(rng, _TOUCH_CHANNEL_PROBS, len(rows))
    )
    k_random = np.floor(rng.random(len(rows)) * _CAMPAIGNS_PER_QUARTER[channel]).astype("int64")
    k = np.where(own, leads["campaign_k"][marketing][rows], k_random)
    campaign = _campaign_code(frame, channel, at, k)
    lead = marketing[rows]

    again = np.flatnonzero((leads["source"] == 0) & (life["mql2"] < frame.as_of_s))
    if len(again):
        start2, mql2 = life["recycled"][again], life["mql2"][again]
        at2 = np.floor(start2 + rng.random(len(again)) * (mql2 - start2))
        channel2 = _choice(rng, _REENGAGE_CHANNEL_PROBS, len(again))
        k2 = np.floor(rng.random(len(again)) * _CAMPAIGNS_PER_QUARTER[channel2]).astype("int64")
        lead = np.concatenate([lead, again])
        at = np.concatenate([at, at2])
        channel = np.concatenate([channel, channel2])
        campaign = np.concatenate([campaign, _campaign_code(frame, channel2, at2, k2)])
    order = np.lexsort((at, lead))
    return pa.table(
        {
            "lead_id": pc.take(lead_ids, pa.array(lead[order])),
            "at": _stamp(at[order]),
            "campaign_id": _cat(campaign[order], _campaign_vocabulary(frame)),
            "channel": _cat(channel[order], CHANNELS),
        }
    )


def _opportunities(
    rng: np.random.Generator,
    leads: dict[str, np.ndarray],
    life: dict[str, np.ndarray],
    frame: _Frame,
    bh: BusinessHours,
    teams: _Teams,
) -> dict[str, np.ndarray]:
    """Opportunities from SQLs plus lead-less sales-sourced ones, sorted by creation time."""
    n = len(leads["created"])
    sql = np.fmin(life["sql"], life["sql2"])
    from_lead = ~np.isnan(sql) & (sql < frame.as_of_s) & (rng.random(n) < 0.7)
    created_from_lead = _add_bh(
        np.where(from_lead, sql, np.nan), rng.lognormal(np.log(16.0), 0.8, n), bh
    )
    lead = np.flatnonzero(from_lead & (created_from_lead < frame.as_of_s))

    extra = int(round(0.25 * len(lead)))
    first_day = frame.start_s // _DAY - 180
    weekday_days = rng.integers(first_day, frame.as_of_s // _DAY, extra * 2)
    weekday_days = weekday_days[((weekday_days + 3) % 7) < 5][:extra]
    extra = len(weekday_days)
    extra_created = weekday_days * _DAY + np.floor(rng.uniform(8.5, 18.0, extra) * _HOUR)

    created = np.concatenate([created_from_lead[lead], extra_created.astype("float64")])
    team = np.concatenate([leads["team"][lead], teams.choose(rng, extra)])
    channel = np.concatenate([leads["channel"][lead], np.full(extra, CHANNELS.index("outbound"))])
    source = np.concatenate([leads["source"][lead], np.full(extra, _SOURCE_TYPES.index("sales"))])
    lead_index = np.concatenate([lead, np.full(extra, -1)])
    segment = teams.segment()[team]
    m = len(created)

    amount = _SEG_AMOUNT_MEDIAN[segment] * _CH_AMOUNT[channel] * rng.lognormal(0.0, 0.6, m)
    amount = np.round(amount, 2)
    won = rng.random(m) < np.clip(_SEG_WIN_RATE[segment] * _CH_WIN[channel], 0.0, 0.9)
    cycle = _SEG_CYCLE_DAYS[segment] * rng.lognormal(0.0, 0.5, m) * np.where(won, 1.0, 0.8)
    close_day = np.floor(created / _DAY + cycle)
    weekday = (close_day.astype("int64") + 3) % 7  # 0 = Monday; 1970-01-01 was a Thursday
    close_day = close_day + np.select([weekday == 5, weekday == 6], [2, 1], 0)
    closed = close_day * _DAY + np.floor(rng.uniform(9.0, 18.0, m) * _HOUR)
    closed = np.maximum(closed, created)
    is_open = closed >= frame.as_of_s
    status = np.where(is_open, 0, np.where(won, 1, 2))
    lost_reason = np.where(status == 2, _choice(rng, _LOST_PROBS, m), -1)

    order = np.argsort(created, kind="stable")
    return {
        "created": created[order],
        "team": team[order],
        "segment": segment[order],
        "source": source[order],
        "lead": lead_index[order],
        "amount": amount[order],
        "status": status[order],
        "closed": np.where(is_open, np.nan, closed)[order],
        "lost_reason": lost_reason[order],
    }


def _opportunity_table(opps: dict[str, np.ndarray], lead_ids: pa.Array, teams: _Teams) -> pa.Table:
    m = len(opps["created"])
    has_lead = opps["lead"] >= 0
    lead = pc.take(lead_ids, pa.array(np.where(has_lead, opps["lead"], 0), mask=~has_lead))
    return pa.table(
        {
            "opportunity_id": _ids("O", m),
            "team": _cat(opps["team"], teams.ids),
            "created_at": _stamp(opps["created"]),
            "status": _cat(opps["status"], ("open", "won", "lost")),
            "amount": _money(opps["amount"]),
            "closed_at": _stamp(opps["closed"]),
            "lead_id": lead,
            "account_id": _ids("A", m),
            "source_type": _cat(opps["source"], _SOURCE_TYPES),
            "lost_reason": _cat(opps["lost_reason"], _LOST_REASONS),
        }
    )


def _revenue(
    rng: np.random.Generator, opps: dict[str, np.ndarray], frame: _Frame, teams: _Teams
) -> pa.Table:
    """Monthly recurring revenue of each won account from its win month, with churn and changes.

    The first month's revenue is the deal amount / 12; each month an account may churn (hazard
    by segment) and with 5 % chance its revenue changes by a log-normal step (net expansion).
    """
    won = np.flatnonzero(opps["status"] == 1)
    first = _months(opps["closed"][won])
    last = _months(np.array([frame.as_of_s - 1]))[0]
    available = last - first + 1
    lifetime = rng.geometric(_SEG_MONTHLY_CHURN[opps["segment"][won]])
    count = np.minimum(available, lifetime)
    rows = np.repeat(np.arange(len(won)), count)
    starts = np.cumsum(count) - count
    offset = np.arange(len(rows)) - np.repeat(starts, count)
    step = np.where(rng.random(len(rows)) < 0.05, rng.normal(0.04, 0.15, len(rows)), 0.0)
    step[starts] = 0.0
    total = np.cumsum(step)
    level = total - np.repeat(total[starts], count)
    mrr = np.round(opps["amount"][won][rows] / 12.0 * np.exp(level), 2)
    month = first[rows] + offset
    account = won[rows]
    order = np.lexsort((account, month))
    lowest = int(month.min()) if len(month) else int(last)
    labels = np.arange(lowest, last + 1).astype("M8[M]").astype(str).tolist()
    accounts = _ids("A", len(opps["created"]))
    return pa.table(
        {
            "month": _cat(month[order] - lowest, labels),
            "account_id": pc.take(accounts, pa.array(account[order])),
            "team": _cat(opps["team"][won][rows][order], teams.ids),
            "recurring_revenue": pa.array(mrr[order]),
        }
    )


def _month_labels(frame: _Frame) -> list[str]:
    first = pd.Period(frame.start, "M")
    return [str(first + i) for i in range(frame.n_quarters * 3)]


def _spend(
    rng: np.random.Generator, n_leads: int, frame: _Frame, teams: _Teams
) -> tuple[pa.Table, np.ndarray]:
    """Marketing spend per team x month x channel and sales cost per team x month.

    Spend follows the expected lead volume (team share x channel mix x month share) times a cost
    per lead, with 12 % log-normal noise; :data:`SPEND_SPIKE` is multiplied by
    :data:`SPEND_SPIKE_FACTOR`. Returns the table and the total spend per team and quarter.
    """
    days, weights = _day_weights(frame)
    month_of_day = days.astype("M8[D]").astype("M8[M]").astype("int64") - frame.start_month
    month_share = np.bincount(month_of_day, weights=weights) / weights.sum()
    n_months = len(month_share)
    segment = teams.segment()
    mix = _CH_SHARE[None, :] * _SEG_CHANNEL_MIX[segment]
    mix = mix / mix.sum(axis=1, keepdims=True)
    volume = n_leads * teams.share[:, None, None] * month_share[None, :, None] * mix[:, None, :]

    marketing_channels = np.arange(7)  # six marketing channels and the referral partner fees
    cost = volume[:, :, marketing_channels] * _CH_COST_PER_LEAD[marketing_channels]
    spike_quarter, spike_channel = SPEND_SPIKE
    if spike_quarter in frame.quarter_labels:
        q = frame.quarter_labels.index(spike_quarter)
        cost[:, 3 * q : 3 * q + 3, CHANNELS.index(spike_channel)] *= SPEND_SPIKE_FACTOR
    team_volume = volume.sum(axis=2)
    sales_team = team_volume * _SEG_SALES_COST_PER_LEAD[segment][:, None]
    outbound = volume[:, :, CHANNELS.index("outbound")] * _CH_COST_PER_LEAD[-1]
    # cells: team x month x (7 marketing channels, sales_team, outbound)
    cells = np.concatenate([cost, sales_team[:, :, None], outbound[:, :, None]], axis=2)
    cells = np.round(cells * rng.lognormal(0.0, 0.12, cells.shape), 2)
    n_teams, _, n_kinds = cells.shape
    team_idx, month_idx, kind_idx = np.meshgrid(
        np.arange(n_teams), np.arange(n_months), np.arange(n_kinds), indexing="ij"
    )
    order = np.lexsort((kind_idx.ravel(), team_idx.ravel(), month_idx.ravel()))
    kind_names = [*CHANNELS[:7], "sales_team", "outbound"]
    category = np.where(kind_idx.ravel() < 7, 0, 1)
    table = pa.table(
        {
            "month": _cat(month_idx.ravel()[order], _month_labels(frame)),
            "team": _cat(team_idx.ravel()[order], teams.ids),
            "channel": _cat(kind_idx.ravel()[order], kind_names),
            "category": _cat(category[order], ("marketing", "sales")),
            "amount": pa.array(cells.ravel()[order]),
        }
    )
    per_quarter = cells.sum(axis=2).reshape(n_teams, frame.n_quarters, 3).sum(axis=2)
    return table, per_quarter


def _team_quarter_sum(
    frame: _Frame,
    n_teams: int,
    team: np.ndarray,
    at: np.ndarray,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Sum (or count) per team x sample quarter of items timed ``at`` (outside ones ignored)."""
    inside = ~np.isnan(at) & (at >= frame.start_s) & (at < frame.as_of_s)
    quarter = frame.quarter_of(at[inside])
    cell = team[inside] * frame.n_quarters + quarter
    w = None if weights is None else weights[inside]
    size = n_teams * frame.n_quarters
    return np.bincount(cell, weights=w, minlength=size).reshape(n_teams, frame.n_quarters)


SCORECARD_TARGETS = (
    ("lead_to_customer", 0.20, "vs_same_quarter_last_year"),
    ("cac", -0.15, "vs_previous_quarter"),
    ("bookings_growth", 0.20, "absolute"),
    ("customer_retention", 0.10, "vs_same_quarter_last_year"),
    ("marketing_roi", 2.0, "absolute"),
)
"""The playbook's alignment scorecard as the sample's ``*`` targets: (metric, target, basis)."""


def _targets(
    rng: np.random.Generator,
    leads: dict[str, np.ndarray],
    life: dict[str, np.ndarray],
    opps: dict[str, np.ndarray],
    spend: np.ndarray,
    frame: _Frame,
    teams: _Teams,
) -> pa.Table:
    """Quarterly targets per team (and for ``*``) for the sample quarters and the next one.

    Volume targets are the realised value times a log-normal plan error (mean +4 %, 10 %);
    the next quarter's are the last quarter's times 1.05. Rate targets are fixed policy values.
    The alignment scorecard carries the playbook's defaults as ``*`` rows
    (:data:`SCORECARD_TARGETS`): lead conversion +20 % and customer retention +10 % against
    the same quarter last year, CAC −15 % against the previous quarter, bookings growth of
    20 % a year and a marketing ROI of 200 %, both absolute.
    """
    team, n_t = leads["team"], teams.n
    mqls = _team_quarter_sum(frame, n_t, team, life["mql"]) + _team_quarter_sum(
        frame, n_t, team, life["mql2"]
    )
    created = opps["created"]
    pipeline = _team_quarter_sum(frame, n_t, opps["team"], created, opps["amount"])
    won_at = np.where(opps["status"] == 1, opps["closed"], np.nan)
    won_revenue = _team_quarter_sum(frame, n_t, opps["team"], won_at, opps["amount"])
    wins = _team_quarter_sum(frame, n_t, opps["team"], won_at)
    team_cac = spend.sum(axis=1) / np.maximum(wins.sum(axis=1), 1)
    cac = np.where(wins > 0, spend / np.maximum(wins, 1), team_cac[:, None])

    sql_all = ~np.isnan(np.fmin(life["sql"], life["sql2"]))
    mql_any = ~np.isnan(life["mql"])
    pooled_mql_to_sql = (sql_all & mql_any).sum() / max(mql_any.sum(), 1)

    def plan(values: np.ndarray, bias: float) -> np.ndarray:
        return values * rng.lognormal(bias, 0.10, values.shape)

    planned = {
        "mqls": plan(mqls, 0.04),
        "pipeline_created": plan(pipeline, 0.04),
        "won_revenue": plan(won_revenue, 0.04),
        "cac": plan(cac, -0.04),
    }
    digits = {"mqls": 0, "pipeline_created": -3, "won_revenue": -3, "cac": -1}
    volume = {  # the next quarter's plan: the last quarter's plus 5 %
        k: np.round(np.column_stack([v, v[:, -1] * 1.05]), digits[k]) for k, v in planned.items()
    }
    enterprise = np.array([row["segment"] == "enterprise" for row in teams.rows])
    rates = {
        "sla_compliance": np.where(enterprise, 0.9, 0.85),
        "mql_acceptance": np.where(enterprise, 0.8, 0.75),
        "mql_to_sql": np.full(n_t, np.round(pooled_mql_to_sql * 1.05, 2)),
    }
    # CAC is planned (the draw keeps the random stream of the tables after it) but its target
    # is the scorecard's relative one below.
    metrics = ["mqls", "sla_compliance", "mql_acceptance", "mql_to_sql", "pipeline_created"]
    metrics += ["won_revenue"]
    quarters = [*frame.quarter_labels, frame.next_quarter]
    team_col, quarter_col, metric_col, values, bases = [], [], [], [], []
    for qi, label in enumerate(quarters):
        for ti, info in enumerate(teams.rows):
            for metric in metrics:
                value = volume[metric][ti, qi] if metric in volume else rates[metric][ti]
                team_col.append(info["team"])
                quarter_col.append(label)
                metric_col.append(metric)
                values.append(float(value))
                bases.append("absolute")
        shared = [("sla_compliance", 0.85, "absolute"), ("mql_acceptance", 0.75, "absolute")]
        for metric, value, basis in [*shared, *SCORECARD_TARGETS]:
            team_col.append("*")
            quarter_col.append(label)
            metric_col.append(metric)
            values.append(value)
            bases.append(basis)
    return pa.table(
        {
            "team": pa.array(team_col),
            "quarter": pa.array(quarter_col),
            "metric": pa.array(metric_col),
            "target": pa.array(values),
            "basis": pa.array(bases),
        }
    )


def _comments() -> tuple[list[str], list[str]]:
    """Free-text feedback comments (good, poor), some with commas and quotes."""
    roles = ("CFO", "head of marketing", "IT manager", "founder", "office manager", "buyer")
    when = ("this quarter", "next quarter", "in January", "after the summer")
    praise = (
        "we need this before the audit",
        "can you send pricing, incl. the API add-on?",
        'our current tool is, frankly, "a mess"',
    )
    complaints = (
        "I only wanted the e-book",
        "we have no budget, sorry",
        "I'm a student, writing a thesis",
        "please stop calling",
    )
    details = (
        "no budget this year",
        "company too small, 3 people",
        "based outside our region",
        "duplicate of an open lead",
        "already a customer",
    )
    good = [f"Good fit, the {r} confirmed the need {w}" for r, w in itertools.product(roles, when)]
    good += [f'Spoke with the {r}: "{q}"' for r, q in itertools.product(roles, praise)]
    good += [
        f"Demo booked with the {r} {w}; budget approved" for r, w in itertools.product(roles, when)
    ]
    poor = [f"Not a fit: {d}" for d in details]
    poor += [f'The {r} said "{q}"' for r, q in itertools.product(roles, complaints)]
    poor += [f"Contact is the {r}, {d}" for r, d in itertools.product(roles, details)]
    poor += [
        'Form says "company: n/a", phone number invalid',
        "Called twice, no answer; email bounced",
    ]
    return good, poor


def _feedback(
    rng: np.random.Generator,
    leads: dict[str, np.ndarray],
    life: dict[str, np.ndarray],
    frame: _Frame,
    lead_ids: pa.Array,
    bh: BusinessHours,
) -> pd.DataFrame:
    """Sales feedback on a sample of accepted and rejected MQLs, a few business hours later."""
    mql_lead = leads["source"] != _SOURCE_TYPES.index("sales")
    lead_parts, at_parts, accepted_parts, reason_parts = [], [], [], []
    for acc, rej, reason in (
        ("accepted", "rejected", "reason"),
        ("accepted2", "rejected2", "reason2"),
    ):
        decided = np.fmin(life[acc], life[rej])
        pick = np.flatnonzero(
            mql_lead
            & ~np.isnan(decided)
            & (rng.random(len(decided)) < _TEAM_FEEDBACK_SHARE[leads["base"]])
        )
        lead_parts.append(pick)
        at_parts.append(_add_bh(decided[pick], rng.lognormal(np.log(3.0), 0.8, len(pick)), bh))
        accepted_parts.append(~np.isnan(life[acc][pick]))
        reason_parts.append(life[reason][pick])
    lead = np.concatenate(lead_parts)
    at = np.concatenate(at_parts)
    accepted = np.concatenate(accepted_parts)
    reject_reason = np.concatenate(reason_parts)
    keep = at < frame.as_of_s
    lead, at, accepted, reject_reason = lead[keep], at[keep], accepted[keep], reject_reason[keep]
    m = len(lead)

    channel = leads["channel"][lead]
    shift = np.select(
        [
            channel == CHANNELS.index(LOW_QUALITY_CHANNEL),
            channel == CHANNELS.index("referral"),
            channel == CHANNELS.index("events"),
        ],
        [-0.7, 0.3, 0.2],
        0.0,
    )
    base = np.where(accepted, 3.9, 2.2) + shift + 0.015 * (leads["score"][lead] - 55.0)
    rating = np.clip(np.round(base + rng.normal(0.0, 0.8, m)), 1, 5).astype("int64")
    good_reason = np.array(_GOOD_FEEDBACK, dtype=object)[rng.integers(0, len(_GOOD_FEEDBACK), m)]
    poor_reason = np.array(_POOR_FEEDBACK, dtype=object)[rng.integers(0, len(_POOR_FEEDBACK), m)]
    rejected_reason = np.array(_REJECT_REASONS, dtype=object)[reject_reason]
    reason = np.where(accepted, np.where(rating >= 3, good_reason, poor_reason), rejected_reason)
    good, poor = _comments()
    good_comment = np.array(good, dtype=object)[rng.integers(0, len(good), m)]
    poor_comment = np.array(poor, dtype=object)[rng.integers(0, len(poor), m)]
    comment = np.where(rating >= 3, good_comment, poor_comment)
    comment = np.where(rng.random(m) < 0.15, "", comment)

    order = np.lexsort((at, lead))
    return pd.DataFrame(
        {
            "lead_id": pc.take(lead_ids, pa.array(lead[order])).to_numpy(zero_copy_only=False),
            "at": _stamp(at[order]).to_numpy(zero_copy_only=False),
            "rating": rating[order],
            "reason": reason[order],
            "comment": comment[order],
        }
    )


def _lead_table(
    leads: dict[str, np.ndarray], frame: _Frame, lead_ids: pa.Array, teams: _Teams
) -> pa.Table:
    channel = leads["channel"]
    marketing = leads["source"] == 0
    code = _campaign_code(
        frame, np.minimum(channel, _N_MARKETING - 1), leads["created"], leads["campaign_k"]
    )
    return pa.table(
        {
            "lead_id": lead_ids,
            "created_at": _stamp(leads["created"]),
            "team": _cat(leads["team"], teams.ids),
            "channel": _cat(channel, CHANNELS),
            "source_type": _cat(leads["source"], _SOURCE_TYPES),
            "campaign_id": _cat(np.where(marketing, code, -1), _campaign_vocabulary(frame)),
            "score": pa.array(leads["score"]),
            "industry": _cat(leads["industry"], _INDUSTRIES),
            "company_size": _cat(leads["size"], _SIZES),
            "country": _cat(leads["country"], list(leads["country_vocab"])),
        }
    )


def _workbook_toml(frame: _Frame, leads: int, seed: int, teams: int) -> str:
    per_channel = "\n".join(f"{k} = {v:g}" for k, v in SLA_PER_CHANNEL.items())
    arguments = f"leads={leads}, seed={seed}" + (f", teams={teams}" if teams != len(TEAMS) else "")
    return (
        f"# Sample data written by helpers.data.sample.generate_sample({arguments}).\n"
        'currency = "EUR"\n'
        'timezone = "Europe/Berlin"\n'
        "fiscal_year_start_month = 1\n"
        f'as_of = "{frame.as_of.date().isoformat()}"\n'
        "\n[business_hours]\n"
        'start = "09:00"\n'
        'end = "17:00"\n'
        'days = ["Mon", "Tue", "Wed", "Thu", "Fri"]\n'
        "\n[sla]\n"
        f"mql_to_first_touch_hours = {SLA_HOURS:g}\n"
        "\n[sla.per_channel]\n"
        f"{per_channel}\n"
    )


def generate_sample(
    out_dir: str | Path,
    *,
    leads: int = 20_000,
    seed: int = 7,
    end_quarter: str = "2026Q3",
    quarters: int = 10,
    show_progress: bool = False,
    teams: int = 6,
) -> dict[str, int]:
    """Write a complete data directory (every table of SPEC §1 as CSV + workbook.toml).

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into; created if missing. Existing files of the same names are
        replaced, each atomically (temporary file in the same folder, then a rename).
    leads : int
        Number of leads; the other tables scale with it.
    seed : int
        Seed of the ``numpy.random.Generator(PCG64(seed))``; the same arguments give
        byte-identical files.
    end_quarter : str
        Last calendar quarter of the data, e.g. ``"2026Q3"``; the as-of date in
        ``workbook.toml`` is the day after it ends.
    quarters : int
        Number of calendar quarters spanned by the leads, ending with ``end_quarter``.
    show_progress : bool
        Show a progress bar on standard error.
    teams : int
        Number of teams, at least 6. Six gives :data:`TEAMS` (and the same files as before this
        parameter existed); more split each base team into sub-teams (see :func:`team_rows`)
        that share its leads, spend and targets and keep its profile and planted effects. The
        leads, their lifecycle and the opportunities are those of the six-team sample with the
        same seed, each assigned to a sub-team of its base team; later tables are drawn anew.

    Returns
    -------
    dict of str to int
        Rows written per table (``teams``, ``leads``, ``lead_events``, ``opportunities``,
        ``spend``, ``revenue``, ``touches``, ``targets``, ``feedback``).

    Raises
    ------
    ParameterError
        When ``leads`` or ``quarters`` is not a positive whole number, ``teams`` is not a whole
        number of at least 6, or ``end_quarter`` is not written like ``2026Q3``.

    Examples
    --------
    >>> rows = generate_sample("data/sample")  # doctest: +SKIP
    >>> rows["leads"]  # doctest: +SKIP
    20000
    """
    for name, value in (("leads", leads), ("quarters", quarters)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ParameterError(f"{name} is {value!r}; give a whole number of at least 1.")
    layout = _Teams(teams)
    frame = _Frame(end_quarter, int(quarters))
    from tqdm.auto import tqdm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.Generator(np.random.PCG64(seed))
    bh = BusinessHours()
    rows: dict[str, int] = {}
    with tqdm(total=11, desc="sample data", unit="step", disable=not show_progress) as bar:

        def done(name: str, table: pa.Table | pd.DataFrame | None = None) -> None:
            if table is not None:
                rows[name] = table.num_rows if isinstance(table, pa.Table) else len(table)
            bar.set_postfix_str(name)
            bar.update(1)

        lead_data = _leads(rng, int(leads), frame, layout)
        lead_ids = _ids("L", int(leads))
        life = _lifecycle(rng, lead_data, frame, bh)
        done("lifecycle")
        team_table = pa.table(
            {
                k: pa.array([row[k] for row in layout.rows])
                for k in ("team", "name", "region", "segment")
            }
        )
        _write_arrow(out / "teams.csv", team_table)
        table = _lead_table(lead_data, frame, lead_ids, layout)
        _write_arrow(out / "leads.csv", table)
        rows["teams"] = team_table.num_rows
        done("leads", table)
        table = _events(lead_data, life, frame, lead_ids, layout.n)
        _write_arrow(out / "lead_events.csv", table)
        done("lead_events", table)
        del table
        opps = _opportunities(rng, lead_data, life, frame, bh, layout)
        table = _opportunity_table(opps, lead_ids, layout)
        _write_arrow(out / "opportunities.csv", table)
        done("opportunities", table)
        table, spend_per_quarter = _spend(rng, int(leads), frame, layout)
        _write_arrow(out / "spend.csv", table)
        done("spend", table)
        table = _revenue(rng, opps, frame, layout)
        _write_arrow(out / "revenue.csv", table)
        done("revenue", table)
        table = _touches(rng, lead_data, life, frame, lead_ids)
        _write_arrow(out / "touches.csv", table)
        done("touches", table)
        table = _targets(rng, lead_data, life, opps, spend_per_quarter, frame, layout)
        _write_arrow(out / "targets.csv", table)
        done("targets", table)
        feedback = _feedback(rng, lead_data, life, frame, lead_ids, bh)
        _write_text(out / "feedback.csv", feedback.to_csv(index=False, lineterminator="\n"))
        done("feedback", feedback)
        actions = _actions(frame, layout)
        _write_text(out / "actions.csv", actions.to_csv(index=False, lineterminator="\n"))
        done("actions", actions)
        _write_text(out / "workbook.toml", _workbook_toml(frame, int(leads), seed, layout.n))
        done("workbook.toml")
    return {name: rows[name] for name in _TABLE_ORDER}
