"""One entry point for analysts and reports: a loaded data directory and its team-quarter views.

>>> wb = Workbook.load("data/sample")                # doctest: +SKIP
>>> view = wb.view("emea-ent", "2026Q3")             # doctest: +SKIP
>>> view.kpis()                                      # doctest: +SKIP

Per-lead tables that every metric needs (journeys, MQL responses) are computed once per data
directory and shared by all views, so a notebook never repeats the filtering logic. A workbook
keeps one view per team and quarter, and a view computes each of its figures once (see
:func:`memoised`): a report asks for the alignment index, the deal metrics or a target many
times (the headline, the talking points, the trends, Q−1 and Q−4), and pays once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import ClassVar, TypeVar

import numpy as np
import pandas as pd

from ..data.config import CANONICAL_EVENTS
from ..data.database import Scope
from ..data.dataset import Dataset
from ..data.membership import is_in
from ..data.periods import Quarter
from ..data.schema import ALL_TEAMS, SIDE_TABLES, SIDES
from ..data.source import DataSource
from ..errors import ParameterError
from ..metrics import (
    attribution,
    counts,
    coverage,
    efficiency,
    funnel,
    goals,
    growth,
    handoff,
    pipeline,
    quality,
    scorecard,
)
from ..metrics.actions import action_review, actions_to_review
from ..metrics.figures import Figures
from ..metrics.headline import KPIS, NOT_SHARES, headline_table, trend_table
from ..metrics.scope import for_team, lead_rows, lead_teams, within
from ..metrics.stats import Rate
from .cache import SourceCache

# Why a component the data set does track has no value in one quarter (a genuine gap).
_EMPTY_REASONS = {
    "sla_compliance": "no MQL of {quarter} past its SLA window",
    "mql_acceptance": "no MQL accepted or rejected in {quarter}",
    "feedback_coverage": "no MQLs in {quarter}",
    "mql_to_sql": "no MQLs in {quarter}",
    "marketing_pipeline_share": "no pipeline created in {quarter}",
}


def _kind(metric: str) -> str:
    """A metric's kind (``rate``, ``count``, ...): the headline's, or ``rate`` for a component."""
    return KPIS[metric][2] if metric in KPIS else "rate"


def _direction(metric: str) -> str:
    """Which way a metric is better: the headline's, else higher (the alignment components)."""
    return KPIS[metric][1] if metric in KPIS else "higher"


F = TypeVar("F", bound=Callable)


def memoised(method: F) -> F:
    """Compute a view's figure once per view and arguments; later calls get the kept result.

    The result is kept on the view (``TeamQuarter._memo``), which the workbook keeps for the
    team and quarter: nothing is kept at module level, and it goes when the workbook goes.
    A caller gets its own shallow copy of a table or dict, so changing it cannot change what
    the next caller sees (pandas copies the data only if it is written to).
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        key = (method.__name__, args, tuple(sorted(kwargs.items())))
        memo = self._memo
        if key not in memo:
            memo[key] = method(self, *args, **kwargs)
        return _own_copy(memo[key])

    return wrapper  # type: ignore[return-value]


def _own_copy(value):
    """A copy of ``value`` that the caller may change (tables, dicts, lists), else ``value``."""
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=False)
    if isinstance(value, dict | list):
        return type(value)(value)
    return value


# KPIs that need an optional table: without it they are "not in this data", never 0.
_OPTIONAL_TABLE_KPIS = {"cac": "spend", "marketing_roi": "spend", "customer_retention": "revenue"}

REPORT_LOOKBACK_QUARTERS = 7
"""Quarters before its own that a report shows: the 8-quarter trends (Q−7 to Q)."""

KPI_LOOKBACK_QUARTERS = 4
"""Quarters before its own that a quarter's headline KPIs read: bookings growth compares with
Q−4, customer retention starts from the last month of Q−1 (the alignment scorecard)."""


def report_scope(
    source: DataSource | str | Path,
    team: str | None,
    for_quarter: str | None,
    quarters_before: int = REPORT_LOOKBACK_QUARTERS,
) -> Scope:
    """What to read of ``source`` for one team and/or figures of ``for_quarter`` and before.

    The figures of ``quarters_before`` quarters before ``for_quarter`` and of it; their KPIs
    look :data:`KPI_LOOKBACK_QUARTERS` further back, so the read starts that much earlier.
    Only a database is read in part; for table files this is the whole-data ``Scope()``.
    """
    source = DataSource.of(source)
    if not source.is_database or (team is None and for_quarter is None):
        return Scope()
    since = None
    if for_quarter is not None:
        catalogue = Workbook.cache.catalogue(source)
        quarter = (
            catalogue.quarter(for_quarter) if for_quarter else catalogue.latest_complete_quarter
        )
        since = quarter.shift(-(quarters_before + KPI_LOOKBACK_QUARTERS)).start
    return Scope(team=None if team in (None, ALL_TEAMS) else team, since=since)


def warm_up(source: DataSource | str | Path) -> None:
    """Load a folder's data while a report kernel starts; only check a database is there.

    A database is read per report (narrowed to its quarter), so loading it whole would be
    wasted; its catalogue is what every report asks first.
    """
    source = DataSource.of(source)
    if source.is_database:
        Workbook.cache.catalogue(source)
    else:
        Workbook.load(source, reuse=True)


class Workbook:
    """A validated data directory with cached per-lead tables.

    Parameters
    ----------
    dataset : Dataset
        As returned by :func:`helpers.data.dataset.load_dataset`.
    scope : Scope, optional
        What was read (default everything): a database read for one report may hold only
        one team's rows and those from ``scope.since`` on, so a figure over a longer history
        (the forecast's backtest) must not look before ``since``.
    """

    cache: ClassVar[SourceCache] = SourceCache()
    """What this process keeps loaded for ``load(..., reuse=True)`` (see :class:`SourceCache`)."""

    def __init__(self, dataset: Dataset, scope: Scope | None = None):
        self.dataset = dataset
        self.scope = scope if scope is not None else Scope()
        # Per-team tables and one view per (team, quarter) are reused by every report: a
        # report's Q−1, Q−4 and 8-quarter trend would otherwise recompute them many times.
        self._team_tables: dict[str, dict[str, pd.DataFrame]] = {}
        self._team_journeys: dict[str, pd.DataFrame] = {}
        self._team_responses: dict[str, pd.DataFrame] = {}
        self._views: dict[tuple[str, int], TeamQuarter] = {}

    def tables_for(self, team: str) -> dict[str, pd.DataFrame]:
        """The canonical tables restricted to ``team`` (cached)."""
        if team not in self._team_tables:
            self._team_tables[team] = for_team(dict(self.dataset.tables), team, self._lead_teams)
        return self._team_tables[team]

    def journeys_for(self, team: str) -> pd.DataFrame:
        """Lead journeys of ``team`` (all of them for ``"all"``), cached per team."""
        if team not in self._team_journeys:
            j = self.journeys
            self._team_journeys[team] = j if team == ALL_TEAMS else j[j["team"] == team]
        return self._team_journeys[team]

    def responses_for(self, team: str) -> pd.DataFrame:
        """MQL responses of ``team`` (all of them for ``"all"``), cached per team."""
        if team not in self._team_responses:
            r = self.responses
            self._team_responses[team] = r if team == ALL_TEAMS else r[r["team"] == team]
        return self._team_responses[team]

    @classmethod
    def load(
        cls,
        source: DataSource | str | Path,
        *,
        reuse: bool = False,
        team: str | None = None,
        for_quarter: str | None = None,
        quarters_before: int = REPORT_LOOKBACK_QUARTERS,
    ) -> Workbook:
        """Load and validate a data source (raises DataValidationError on bad data).

        Parameters
        ----------
        source : str or Path
            Data directory, or a ``postgresql://`` URL (see :mod:`helpers.data.database`).
        reuse : bool
            Return the workbook this process loaded before from the same source, with its
            caches, if no file in the folder changed since (same names, sizes and modification
            times). The batch runner's kernels render many reports from one load this way.
            A database is not re-checked for changes: a kernel lives for one batch run.
        team : str, optional
            For a database: read only this team's rows (in the query); ``"all"`` or ``None``:
            every team. Table files are always read whole; their views filter in memory.
        for_quarter : str, optional
            For a database: read only the rows that figures of this quarter (``""``: the
            latest complete quarter) and the ``quarters_before`` it need (and their KPIs, which
            look back :data:`KPI_LOOKBACK_QUARTERS` further).
        quarters_before : int
            Quarters before ``for_quarter`` to read for; default the report's 8-quarter
            trends (:data:`REPORT_LOOKBACK_QUARTERS`).

        Examples
        --------
        What a team's report reads: its own rows for its trends, and every team's rows of
        the quarter (and the 4 before it its KPIs compare with) for the team-versus-team standing.

        >>> url = "postgresql://reporting@db.example.com/crm"
        >>> mine = Workbook.load(  # doctest: +SKIP
        ...     url, reuse=True, team="na-smb", for_quarter="2026Q3")
        >>> everyone = Workbook.load(  # doctest: +SKIP
        ...     url, reuse=True, for_quarter="2026Q3", quarters_before=0)
        """
        source = DataSource.of(source)
        cache = cls.cache
        if not reuse:
            cache.forget_catalogues()  # a fresh read asks the database afresh
        scope = report_scope(source, team, for_quarter, quarters_before)
        # A narrowed read needs the whole data set's facts; the catalogue has them already.
        whole = cache.catalogue(source).whole if scope.narrowed else None
        if not reuse:
            return cls(source.load(scope, whole), scope)
        return cache.loaded((*source.state(), scope), lambda: cls(source.load(scope, whole), scope))

    @cached_property
    def _lead_teams(self) -> dict[str, pd.Series]:
        tables = dict(self.dataset.tables)
        rows = lead_rows(tables, self.dataset.lead_rows)  # found while validating
        return lead_teams(tables, rows)

    @cached_property
    def target_index(self) -> goals.TargetIndex:
        """The ``targets`` table indexed once (:func:`goals.target_index`); empty when absent."""
        has = self.dataset.has("targets")
        return goals.target_index(self.dataset["targets"] if has else None)

    @cached_property
    def channel_types(self) -> pd.Series:
        """Source type of each channel over every lead (:func:`efficiency.channel_source_types`)."""
        return efficiency.channel_source_types(self.dataset["leads"])

    @cached_property
    def data_quality(self) -> pd.DataFrame:
        """Data-quality checks of the whole directory, the same for every view (cached)."""
        dataset = self.dataset
        # A side left out is read as empty tables; its checks say "not checked", not 0.
        supplied = {name: frame for name, frame in dataset.tables.items() if dataset.has(name)}
        rows = {name: len(frame) for name, frame in supplied.items()}
        return quality.data_quality(supplied, dataset.anomalies, rows_read=rows)

    @cached_property
    def journeys(self) -> pd.DataFrame:
        """First time each lead reached each stage (see :func:`funnel.lead_journeys`)."""
        d = self.dataset
        build = partial(
            funnel.stage_times, d["leads"], d["lead_events"], d["opportunities"], d.lead_rows
        )
        times = self.cache.lead_tables.table("stage-times", d, build)
        return funnel.lead_journeys(d["leads"], d["lead_events"], d["opportunities"], times)

    @cached_property
    def responses(self) -> pd.DataFrame:
        """Every MQL with its answering first touch (see :func:`handoff.mql_responses`)."""
        d = self.dataset
        build = partial(
            handoff.team_responses,
            d["leads"],
            d["lead_events"],
            d.config,
            d.as_of,
            d.lead_rows.get("lead_events"),
        )
        return self.cache.lead_tables.table("responses", d, build)

    def view(self, team: str, quarter: str | Quarter) -> TeamQuarter:
        """Metrics of ``team`` (or ``"all"``) in ``quarter``; both checked against the data."""
        team = self.dataset.check_team(team)
        if not isinstance(quarter, Quarter):
            quarter = self.dataset.quarter(quarter)
        return self._view(team, quarter)

    def _view(self, team: str, quarter: Quarter) -> TeamQuarter:
        """The one view of an already checked team and quarter (made on first use)."""
        key = (team, quarter.index)
        if key not in self._views:
            self._views[key] = TeamQuarter(self, team, quarter)
        return self._views[key]


@dataclass(frozen=True)
class TeamQuarter:
    """All funnel and hand-off metrics for one team (or ``all``) and one fiscal quarter.

    Get one from :meth:`Workbook.view`, which keeps one per team and quarter; each figure
    method computes once per view and arguments (:func:`memoised`).
    """

    workbook: Workbook
    team: str
    quarter: Quarter
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def start(self) -> pd.Timestamp:
        """First instant of the quarter."""
        return self.quarter.start

    @property
    def end(self) -> pd.Timestamp:
        """First instant after the quarter."""
        return self.quarter.end

    @property
    def as_of(self) -> pd.Timestamp:
        """Observation time: the data's as-of date."""
        return self.workbook.dataset.as_of

    @property
    def complete(self) -> bool:
        """Whether the quarter had ended by the as-of date (see ``Dataset.is_complete``)."""
        return self.workbook.dataset.is_complete(self.quarter)

    @memoised
    def period_warnings(self) -> list[str]:
        """What a reader must know before comparing this quarter: unfinished, tables cut off.

        One sentence each, with the dates: the quarter had not ended at the as-of date (its
        figures are so far, not final), and each table whose data stop before the quarter
        ends while other tables go on (``Dataset.tables_ending_before``), e.g. a lead export
        that ends in May beside deals that go on to November.
        """
        dataset = self.workbook.dataset
        last_day = (self.as_of - pd.Timedelta(days=1)).date()
        warnings = []
        if not self.complete:
            days = (self.as_of - self.start).days
            total = (self.end - self.start).days
            warnings.append(
                f"{self.quarter} is not complete: the data end on {last_day} ({days} of "
                f"{total} days), so its figures are so far, not final, and are not compared "
                "with complete quarters as if they were."
            )
        for row in dataset.tables_ending_before(self.quarter).itertuples():
            warnings.append(
                f"The {row.table} table stops on {row.last.date()}, before {self.quarter} "
                f"ends, while the data go on to {last_day}: figures from {row.table} for "
                f"{self.quarter} are incomplete (the export ended), not a quiet quarter."
            )
        return warnings

    @property
    def team_name(self) -> str:
        """Display name of the team."""
        return self.workbook.dataset.team_name(self.team)

    @cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The canonical tables restricted to the team."""
        return self.workbook.tables_for(self.team)

    @property
    def journeys(self) -> pd.DataFrame:
        """Lead journeys of the team."""
        return self.workbook.journeys_for(self.team)

    @property
    def responses(self) -> pd.DataFrame:
        """MQL responses of the team."""
        return self.workbook.responses_for(self.team)

    def shift(self, quarters: int) -> TeamQuarter:
        """The same team ``quarters`` later (negative: earlier)."""
        return self.workbook._view(self.team, self.quarter.shift(quarters))

    # --- what the data set tracks -------------------------------------------------------------
    def tracks(self, figure: str) -> bool:
        """Whether the data set records every stage ``figure`` needs (see :data:`coverage.NEEDS`).

        Decided over the whole data set, not the team or quarter: a tracked stage with nothing
        in this quarter is a genuine 0, an untracked one is n/a.
        """
        return not coverage.missing_for(figure, self.workbook.dataset.tracked)

    def not_in_data(self, *figures: str) -> str | None:
        """The one line for the figures the data set cannot fill, else None.

        E.g. ``view.not_in_data("speed_to_lead")`` → ``"Not in this data: no first_touch
        events, so no speed to lead or SLA compliance."`` (see :func:`coverage.not_in_data`).
        """
        dataset = self.workbook.dataset
        return coverage.not_in_data(figures, dataset.tracked, dataset.not_supplied)

    @property
    def stages(self) -> tuple[str, ...]:
        """Funnel stages the data set records (``Dataset.tracked_stages``)."""
        return self.workbook.dataset.tracked_stages

    def untracked_events(self) -> tuple[str, ...]:
        """Canonical lifecycle events that occur nowhere in the data set's lead_events."""
        tracked = self.workbook.dataset.tracked_events
        return tuple(e for e in CANONICAL_EVENTS if e not in tracked)

    def untracked_stages(self) -> tuple[str, ...]:
        """Main-chain stages the data set never records (the funnels skip them)."""
        return tuple(s for s in funnel.CHAIN if s not in self.stages)

    # --- funnel -----------------------------------------------------------------------------
    @memoised
    def stage_volumes(self) -> pd.DataFrame:
        """Period view volumes (see :func:`funnel.stage_volumes`)."""
        t = self.tables
        return funnel.stage_volumes(
            t["leads"],
            t["lead_events"],
            t["opportunities"],
            self.start,
            self.end,
            stages=self.stages,
        )

    @memoised
    def period_funnel(self) -> pd.DataFrame:
        """Period view of the main chain with ratios (see :func:`funnel.period_funnel`)."""
        return funnel.period_funnel(self.stage_volumes())

    @memoised
    def cohort_funnel(self, *, strict: bool = False) -> pd.DataFrame:
        """Cohort view with conversion rates (see :func:`funnel.cohort_funnel`).

        Only the stages the data set tracks: an untracked stage is skipped, not a wall of 0.
        """
        return funnel.cohort_funnel(
            self.journeys, self.start, self.end, self.as_of, strict=strict, stages=self.stages
        )

    @memoised
    def cohort_maturity(self) -> dict:
        """Whether this quarter's cohort is old enough to read (:func:`counts.cohort_maturity`).

        Mature from ``[cohorts] min_age_days`` (default 30) days after the quarter ended, at
        the as-of date; a younger cohort is shown labelled immature (or not at all).
        """
        days = self.workbook.dataset.config.cohort_min_age_days
        return counts.cohort_maturity(self.end, self.as_of, days)

    @memoised
    def mql_counts(self) -> pd.DataFrame:
        """Every count of "MQLs" the report shows, with why each differs from the period MQLs.

        See :func:`counts.mql_count_table`; use :func:`counts.count_difference` for the
        sentence where two of them appear together. Counts the data set cannot make (no
        first_touch events: no SLA base) are left out.
        """
        events = self.tables["lead_events"]
        in_quarter = events[
            (events["event"] == "mql").to_numpy(dtype=bool)
            & within(events["at"], self.start, self.end).to_numpy(dtype=bool)
        ]
        per_lead = in_quarter.dropna(subset=["lead_id"]).groupby("lead_id").size()
        period = pd.Index(per_lead.index)
        figures: dict[str, int] = {"period": len(period)}
        speed = self.speed_to_lead()
        if speed is not None:
            status = self.quarter_responses()["status"]
            figures.update(
                mql_events=int(speed["mqls"]),
                repeat_leads=int((per_lead > 1).sum()),
                sla_base=int(speed["sla_compliance"].denominator),
                within_sla=int((status == "untouched, within SLA").sum()),
                answered=int(speed["touched"]),
                overdue=int(speed["untouched_overdue"]),
            )
        j = self.journeys
        cohort = j[within(j["lead"], self.start, self.end).to_numpy(dtype=bool)]
        reached = cohort["mql"].notna() & (cohort["mql"] < self.as_of)
        cohort_ids = pd.Index(cohort.index[reached.to_numpy(dtype=bool)])
        both = cohort_ids.intersection(period)
        figures.update(
            cohort=len(cohort_ids),
            created_before=len(period) - len(both),
            mql_after=len(cohort_ids) - len(both),
        )
        return counts.mql_count_table(figures, str(self.quarter))

    @memoised
    def mql_acceptance(self) -> Rate | None:
        """Accepted / (accepted + rejected) MQL decisions in the quarter.

        ``None`` when the data set has no mql, accepted or rejected events at all.
        """
        if not self.tracks("mql_acceptance"):
            return None
        return funnel.mql_acceptance(self.tables["lead_events"], self.start, self.end)

    @memoised
    def mql_to_sql(self) -> Rate | None:
        """MQLs of the quarter that became SQL; ``None`` without mql or sql events in the data."""
        if not self.tracks("mql_to_sql"):
            return None
        return funnel.mql_to_sql(
            self.journeys, self.tables["lead_events"], self.start, self.end, self.as_of
        )

    @memoised
    def reasons(self, event: str = "rejected") -> pd.DataFrame | None:
        """Pareto of rejection (or ``"recycled"``) reasons in the quarter.

        ``None`` when the data set has no ``event`` events at all.
        """
        if event not in self.workbook.dataset.tracked_events:
            return None
        return funnel.reason_pareto(self.tables["lead_events"], event, self.start, self.end)

    @memoised
    def stage_velocity(self) -> pd.DataFrame:
        """Median days between consecutive stages (of those the data set tracks)."""
        return funnel.stage_velocity(self.journeys, self.start, self.end, stages=self.stages)

    # --- hand-off ---------------------------------------------------------------------------
    @memoised
    def speed_to_lead(self) -> dict | None:
        """Median and P90 response, SLA compliance (see :func:`handoff.speed_to_lead`).

        ``None`` when the data set has no mql or first_touch events at all: every MQL would
        read as untouched and SLA compliance as 0.
        """
        if not self.tracks("speed_to_lead"):
            return None
        return Figures(handoff.speed_to_lead(self.responses, self.start, self.end))

    @memoised
    def quarter_responses(self) -> pd.DataFrame:
        """MQLs of the quarter with their response time and SLA status."""
        return self.responses[within(self.responses["mql_at"], self.start, self.end)]

    def backlog_since(self) -> pd.Timestamp:
        """Start of the waiting-MQL window: ``[backlog] window_business_days`` before the quarter.

        See :func:`handoff.backlog_start`.
        """
        config = self.workbook.dataset.config
        return handoff.backlog_start(
            self.start, config.business_hours, config.backlog_window_business_days
        )

    @memoised
    def untouched_by_age(self) -> pd.DataFrame | None:
        """MQLs still waiting for a first touch at quarter end, by age band.

        Only MQLs of the backlog window (:meth:`backlog_since` on); older MQLs never answered
        are :meth:`stale_mqls`. ``None`` when the data set has no mql or first_touch events.
        """
        if not self.tracks("untouched_mqls"):
            return None
        events = self.tables["lead_events"]
        at = min(self.end, self.as_of)
        config = self.workbook.dataset.config
        return handoff.untouched_by_age(events, config, at, since=self.backlog_since())

    @memoised
    def stale_mqls(self) -> int | None:
        """Leads whose last MQL, before the backlog window, was never answered by quarter end.

        ``None`` when the data set has no mql or first_touch events at all.
        """
        if not self.tracks("untouched_mqls"):
            return None
        at = min(self.end, self.as_of)
        return handoff.stale_mqls(self.tables["lead_events"], at, self.backlog_since())

    @memoised
    def backlog_line(self) -> str | None:
        """One sentence saying which MQLs the waiting chart counts, and the older ones left out.

        E.g. ``"MQLs created from 17 Jun 2026 (10 business days before 2026Q3) still waiting
        at quarter end; 256 older MQLs never answered are left out (leads never worked)."``
        ``None`` when the data set cannot say (see :meth:`untouched_by_age`).
        """
        stale = self.stale_mqls()
        if stale is None:
            return None
        days = self.workbook.dataset.config.backlog_window_business_days
        since = self.backlog_since()
        line = (
            f"MQLs from {since:%d %b %Y} ({days} business day{'' if days == 1 else 's'} before "
            f"{self.quarter}) still waiting at quarter end"
        )
        if stale:
            line += (
                f"; {stale:,} older MQL{'' if stale == 1 else 's'} never answered "
                f"{'is' if stale == 1 else 'are'} left out (leads never worked, not this "
                "quarter's queue)"
            )
        return line + "."

    # --- pipeline, efficiency, growth --------------------------------------------------------
    def has(self, table: str) -> bool:
        """Whether the optional ``table`` was supplied (sections that need it are skipped)."""
        return self.workbook.dataset.has(table)

    @property
    def _opps(self) -> pd.DataFrame:
        return self.tables["opportunities"]

    @memoised
    def pipeline_created(self) -> pd.DataFrame:
        """Pipeline created by source type (see :func:`pipeline.pipeline_created`).

        Amounts are those of the opportunities that have one (``missing_amount`` counts the
        others); NaN, not 0, where opportunities were created and none has an amount.
        """
        return pipeline.pipeline_created(self._opps, self.start, self.end)

    @memoised
    def won_revenue(self) -> pd.DataFrame:
        """Won revenue by source type (see :func:`pipeline.won_revenue`).

        Amounts are those of the won deals that have one (``missing_amount`` counts the
        others); NaN, not 0, where deals were won and none has an amount.
        """
        return pipeline.won_revenue(self._opps, self.start, self.end)

    @memoised
    def win_rate(self) -> Rate | None:
        """Won / (won + lost) closed in the quarter.

        ``None`` when no opportunity in the data set was ever won, or ever lost: a data set
        of won deals only would show 100 %.
        """
        if not self.tracks("win_rate"):
            return None
        return pipeline.win_rate(self._opps, self.start, self.end)

    @memoised
    def deal_metrics(self) -> dict[str, float]:
        """Average deal size, sales cycle (median days), sales velocity (per day), share.

        Sales velocity is NaN when the data set tracks no win rate (see :meth:`win_rate`).
        Deal size, velocity and the marketing-sourced share use the deals with an amount (NaN
        when none has one; the share is NaN too when no deal's source is known, see
        ``Dataset.sources_known``); ``won_deals`` and ``won_without_amount`` count the quarter's won
        deals and those of them without an amount.
        """
        o, a, b = self._opps, self.start, self.end
        deal = pipeline.average_deal_size(o, a, b)
        cycle = pipeline.sales_cycle_days(o, a, b)
        rate = self.win_rate()  # pipeline.sales_velocity from the parts computed here
        velocity = (
            np.nan
            if rate is None
            else pipeline.velocity(len(pipeline.open_at(o, b)), rate.value, deal, cycle)
        )
        won = pipeline.amount_of(self.won_revenue(), noun=pipeline.WON_DEALS)
        return Figures(
            {
                "average_deal_size": deal,
                "sales_cycle_days": cycle,
                "sales_velocity_per_day": velocity,
                "marketing_sourced_share": self.marketing_sourced_share(),
                "won_deals": won.deals,
                "won_without_amount": won.missing,
            }
        )

    @memoised
    def marketing_sourced_share(self) -> float:
        """Marketing-sourced share of the quarter's pipeline created (see :meth:`deal_metrics`).

        From the view's :meth:`pipeline_created` (see :func:`pipeline.marketing_share_of`):
        the alignment index of every quarter of a trend needs the share alone, not the deal
        metrics around it. NaN when no deal's source is known (``Dataset.sources_known``).
        """
        if not self.workbook.dataset.sources_known:
            return np.nan
        return pipeline.marketing_share_of(self.pipeline_created())

    @memoised
    def cost_per_lead(self) -> pd.DataFrame | None:
        """Cost per lead by channel; ``None`` without a spend table."""
        if not self.has("spend"):
            return None
        return efficiency.cost_per_lead(
            self.tables["spend"], self.tables["leads"], self.start, self.end
        )

    @memoised
    def cost_per_mql(self) -> pd.DataFrame | None:
        """Cost per MQL by channel; ``None`` without a spend table."""
        if not self.has("spend"):
            return None
        t = self.tables
        return efficiency.cost_per_mql(
            t["spend"], t["lead_events"], t["leads"], self.start, self.end
        )

    @memoised
    def cac(self) -> dict | None:
        """CAC and marketing-only CAC (see :func:`efficiency.cac`); ``None`` without spend."""
        if not self.has("spend"):
            return None
        return Figures(efficiency.cac(self.tables["spend"], self._opps, self.start, self.end))

    @memoised
    def cac_by_channel(self) -> pd.DataFrame | None:
        """Marketing CAC by channel (see :func:`efficiency.cac_by_channel`); None without spend."""
        if not self.has("spend"):
            return None
        t = self.tables
        return efficiency.cac_by_channel(t["spend"], self._opps, t["leads"], self.start, self.end)

    @memoised
    def marketing_roi(self) -> pd.DataFrame | None:
        """Marketing ROI by channel; ``None`` without a spend table."""
        if not self.has("spend"):
            return None
        t = self.tables
        types = self.workbook.channel_types
        return efficiency.marketing_roi(
            t["spend"], self._opps, t["leads"], self.start, self.end, types=types
        )

    @memoised
    def channel_quality(self) -> pd.DataFrame | None:
        """Leads created and MQL decisions of the quarter by the lead's channel.

        MQL acceptance per channel is :func:`funnel.mql_acceptance` on the events of that
        channel's leads (the one rule); spend is the channel's marketing spend of the quarter
        (NaN without a spend table). Computed once per view: the talking points and the
        charts that keep the lowest-quality channel both read it.

        Returns
        -------
        DataFrame or None
            channel, leads, accepted, decided, spend; ``None`` without leads or MQL decisions.
        """
        if not (self.has("leads") and self.has("lead_events") and self.tracks("mql_acceptance")):
            return None
        leads, events = self.tables["leads"], self.tables["lead_events"]
        created = within(leads["created_at"], self.start, self.end)
        spend = self.channel_efficiency()
        spent = {} if spend is None else dict(zip(spend["channel"], spend["spend"], strict=True))
        rows = []
        for channel, ids in leads.groupby("channel", sort=True)["lead_id"]:
            mine = events[is_in(events["lead_id"], ids)]
            if not mine["event"].eq("mql").any():
                continue
            rate = funnel.mql_acceptance(mine, self.start, self.end)
            rows.append(
                {
                    "channel": str(channel),
                    "leads": int(created[ids.index].sum()),
                    "accepted": rate.numerator,
                    "decided": rate.denominator,
                    "spend": spent.get(channel, np.nan),
                }
            )
        return pd.DataFrame(rows) if rows else None

    @memoised
    def channel_efficiency(self) -> pd.DataFrame | None:
        """Spend, CPL, cost per MQL and ROI by channel in one table; ``None`` without spend.

        See :func:`efficiency.by_channel`.
        """
        if not self.has("spend"):
            return None
        return efficiency.by_channel(
            self.cost_per_lead(), self.cost_per_mql(), self.marketing_roi()
        )

    @memoised
    def bookings_growth(self) -> dict:
        """Bookings with QoQ and YoY growth (see :func:`growth.bookings_growth`).

        A comparison quarter before the data starts has no bookings (NaN, not 0) and no growth.
        """
        # growth.bookings_growth from the won revenue each quarter's view keeps: a trend asks
        # for the bookings of every quarter anyway. A quarter is the window of 3 months before.
        won = [
            pipeline.amount_of(self.shift(-shift).won_revenue(), noun=pipeline.WON_DEALS)
            for shift in (0, 1, 4)
        ]
        figures = dict(growth.bookings_figures(*won))
        first = self.workbook.dataset.quarters[0]
        for shift, amount, change in (
            (1, "previous_bookings", "qoq"),
            (4, "year_ago_bookings", "yoy"),
        ):
            if self.quarter.shift(-shift).index < first.index:
                figures[amount] = figures[change] = np.nan
                prefix = amount.removesuffix("bookings")
                figures[f"{prefix}won_deals"] = figures[f"{prefix}missing_amount"] = np.nan
        return Figures(figures)

    @memoised
    def logo_retention(self) -> Rate | None:
        """Logo retention over the quarter; ``None`` without a revenue table."""
        if not self.has("revenue"):
            return None
        return growth.logo_retention_of(*self._starting_accounts())

    @memoised
    def revenue_retention(self) -> dict | None:
        """Gross and net revenue retention; ``None`` without a revenue table."""
        if not self.has("revenue"):
            return None
        return Figures(
            growth.revenue_retention_of(*self._starting_accounts(), self.start, self.end)
        )

    @memoised
    def _starting_accounts(self) -> tuple[pd.Series, pd.Series]:
        """The quarter's :func:`growth.starting_accounts`, for both kinds of retention."""
        return growth.starting_accounts(self.tables["revenue"], self.start, self.end)

    def _attribution_inputs(self, basis: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The opportunities a basis attributes, and the touches (empty without the table)."""
        o = self._opps
        if basis == "pipeline":
            chosen = o[within(o["created_at"], self.start, self.end)]
        elif basis == "revenue":
            chosen = o[(o["status"] == "won") & within(o["closed_at"], self.start, self.end)]
        else:
            raise ParameterError(f"basis {basis!r} is unknown; use 'pipeline' or 'revenue'.")
        touches = self.tables.get("touches")
        if touches is None:
            touches = pd.DataFrame(
                {
                    "lead_id": [],
                    "at": pd.Series([], dtype="datetime64[ns]"),
                    "campaign_id": [],
                    "channel": [],
                }
            )
        return chosen, touches

    @memoised
    def attribution(
        self, model: str = "linear", *, by: str = "channel", basis: str = "pipeline"
    ) -> attribution.AttributionResult:
        """Multi-touch attribution of the quarter's pipeline (created) or revenue (won).

        Without a touches table every opportunity falls back to its lead's own channel or
        campaign, and the result says so (see :func:`attribution.attribute`). The time-decay
        half-life is ``[attribution] half_life_days`` of workbook.toml.
        """
        chosen, touches = self._attribution_inputs(basis)
        return attribution.attribute(
            chosen,
            touches,
            self.tables["leads"],
            model=model,
            by=by,
            half_life_days=self.workbook.dataset.config.half_life_days,
        )

    @memoised
    def attribution_models(self, *, by: str = "channel", basis: str = "pipeline") -> pd.DataFrame:
        """Attributed amount of every model side by side (see :func:`attribution.attribute_all`).

        Returns
        -------
        DataFrame
            Index ``by``; one amount column per model of :data:`attribution.MODELS`.
        """
        chosen, touches = self._attribution_inputs(basis)
        return attribution.attribute_all(
            chosen,
            touches,
            self.tables["leads"],
            by=by,
            half_life_days=self.workbook.dataset.config.half_life_days,
        )

    # --- goals and data quality --------------------------------------------------------------
    @memoised
    def feedback_coverage(self) -> Rate | None:
        """MQLs of the quarter with at least one sales feedback row / MQLs of the quarter."""
        if not self.has("feedback"):
            return None
        events = self.tables["lead_events"]
        mqls = events[(events["event"] == "mql") & within(events["at"], self.start, self.end)]
        leads = pd.unique(mqls["lead_id"])
        rated = set(self.tables["feedback"]["lead_id"])
        return Rate(int(sum(lead in rated for lead in leads)), len(leads))

    @memoised
    def feedback_summary(self) -> dict | None:
        """Mean rating, coverage and low ratings of the quarter's MQLs; ``None`` without feedback.

        See :func:`handoff.feedback_summary`.
        """
        if not self.has("feedback"):
            return None
        t = self.tables
        return Figures(
            handoff.feedback_summary(t["feedback"], t["lead_events"], self.start, self.end)
        )

    @memoised
    def feedback_reasons(self) -> pd.DataFrame | None:
        """Pareto of sales feedback reasons on the quarter's MQLs; ``None`` without feedback."""
        if not self.has("feedback"):
            return None
        t = self.tables
        return handoff.feedback_reasons(t["feedback"], t["lead_events"], self.start, self.end)

    @memoised
    def alignment_index(self) -> goals.AlignmentIndex:
        """Alignment index (0–100) from the shared KPIs, weights from ``workbook.toml``.

        Components: SLA compliance, MQL acceptance, feedback coverage, MQL→SQL and the
        marketing-sourced share of pipeline created; each is scored against its target
        (:meth:`target`, the metric of the component's name: the team's row, the ``*`` row, for
        the company the rolled-up team targets) when it has one, else by its raw share.
        Unavailable components are dropped and the weights renormalised (see
        :func:`goals.alignment_index`); a component whose stages the data set does not track
        is unavailable (never a 0), and ``reasons`` says why each one is.
        With fewer available than ``[alignment] min_components`` (default 3) the index is n/a
        and ``na_reason`` says how many components the data has.
        """
        speed = self.speed_to_lead()
        acceptance = self.mql_acceptance()
        feedback = self.feedback_coverage()
        conversion = self.mql_to_sql()
        components = {
            "sla_compliance": np.nan if speed is None else speed["sla_compliance"].value,
            "mql_acceptance": np.nan if acceptance is None else acceptance.value,
            "feedback_coverage": np.nan if feedback is None else feedback.value,
            "mql_to_sql": np.nan if conversion is None else conversion.value,
            "marketing_pipeline_share": self.marketing_sourced_share(),
        }
        for name in components:
            if self._table_reason(name):
                components[name] = np.nan
        targets = {name: self.target(name) for name in goals.COMPONENTS}
        config = self.workbook.dataset.config
        reasons = {
            name: self._unavailable_reason(name)
            for name, value in components.items()
            if value is None or np.isnan(value)
        }
        return goals.alignment_index(
            components,
            config.alignment_weights,
            targets,
            reasons=reasons,
            min_components=config.alignment_min_components,
        )

    @memoised
    def alignment_trend(self, quarters: int = 8) -> pd.DataFrame:
        """The alignment index of the last ``quarters`` quarters (those in the data), oldest first.

        Each quarter's index is that quarter's own (its components scored against its own
        targets), so the change is the index's change, not a mix of two target sets.

        Returns
        -------
        DataFrame
            quarter, value (NaN when that quarter's index is n/a), reason (why it is n/a,
            else ``""``), change (value − the previous row's value; NaN for the first row or
            when either is n/a).
        """
        known = set(self.workbook.dataset.quarters)
        rows = []
        for k in range(quarters - 1, -1, -1):
            quarter = self.quarter.shift(-k)
            if quarter not in known:
                continue
            index = self.shift(-k).alignment_index()
            rows.append({"quarter": str(quarter), "value": index.value, "reason": index.na_reason})
        out = pd.DataFrame(rows, columns=["quarter", "value", "reason"])
        out["value"] = out["value"].astype("float64")
        out["change"] = out["value"].diff()
        return out

    @memoised
    def alignment_change(self) -> dict:
        """The alignment index now, in Q−1 and the change (points on the 0–100 scale).

        Returns
        -------
        dict
            ``value``, ``previous`` (NaN when Q−1 is before the data or its index n/a) and
            ``change`` (``value − previous``, NaN when either is n/a).
        """
        value = self.alignment_index().value
        earlier = self.quarter.shift(-1)
        previous = (
            self.shift(-1).alignment_index().value
            if earlier in set(self.workbook.dataset.quarters)
            else np.nan
        )
        return {"value": value, "previous": previous, "change": value - previous}

    @memoised
    def ended_tables(self) -> dict[str, pd.Timestamp]:
        """Tables whose export stopped before this quarter began, with their last date.

        Their figures for the quarter are not in this data (see :data:`coverage.KPI_TABLES`),
        not 0: e.g. MQLs of 2026Q3 when the lead export ends in May.
        """
        cut = self.workbook.dataset.tables_ending_before(self.quarter)
        return {row.table: row.last for row in cut.itertuples() if row.last < self.start}

    @memoised
    def _table_reason(self, component: str) -> str | None:
        """Why a KPI or component cannot be had from its table this quarter, else None.

        The table it counts (:data:`coverage.KPI_TABLES`) was left out, or its export stopped
        before the quarter began; or it is the marketing-sourced share of deals whose source
        nobody recorded.
        """
        dataset = self.workbook.dataset
        if component == "marketing_pipeline_share" and not dataset.sources_known:
            return "not in this data: no source_type on opportunities and no leads to take it from"
        table = coverage.KPI_TABLES.get(component)
        if table in SIDES["leads"] and not dataset.has("leads"):
            return "not in this data: no leads table"
        if table is not None and table in SIDE_TABLES and not dataset.has(table):
            return f"not in this data: no {table} table"
        last = self.ended_tables().get(table)
        if last is None:
            return None
        return f"not in this data: the {table} table stops on {last.date()}, before {self.quarter}"

    @memoised
    def _unavailable_reason(self, component: str) -> str:
        """Why an alignment component or KPI has no value this quarter (short, lower case)."""
        unavailable = self._table_reason(component)
        if unavailable:
            return unavailable
        if component == "feedback_coverage" and not self.has("feedback"):
            return "not in this data: no feedback table"
        table = _OPTIONAL_TABLE_KPIS.get(component)
        if table is not None and not self.has(table):
            return f"not in this data: no {table} table"
        if component in ("pipeline_created", "won_revenue", "marketing_pipeline_share"):
            won = component == "won_revenue"
            share = component == "marketing_pipeline_share"
            why = pipeline.amount_reason(
                self.won_revenue() if won else self.pipeline_created(),
                (pipeline.TOTAL, "marketing") if share else (pipeline.TOTAL,),
                pipeline.WON_DEALS if won else pipeline.OPPORTUNITIES,
            )
            if why:
                return why
        figure = coverage.KPI_FIGURES.get(component, component)
        if figure in coverage.NEEDS and not self.tracks(figure):
            dataset = self.workbook.dataset
            missing = coverage.missing_for(figure, dataset.tracked)
            return f"not in this data: {coverage.absent_phrase(missing, dataset.not_supplied)}"
        return _EMPTY_REASONS.get(component, "no data in {quarter}").format(quarter=self.quarter)

    @memoised
    def reverse_waterfall(self) -> pd.DataFrame:
        """Leads, MQLs, SQLs, opportunities and won deals needed for the won-revenue target.

        Rates are the quarter's own: win rate, and the strict cohort's lead→MQL and
        SQL→opportunity conversions with MQL→SQL; current volumes are the period view's.
        """
        strict = self.cohort_funnel(strict=True).set_index("stage")["next_rate"]
        volumes = self.stage_volumes().set_index("stage")["volume"]
        current = {stage: float(volumes[stage]) for stage in ("lead", "mql", "sql", "won")}
        current["opportunity"] = float(volumes["opportunity"])
        # An untracked rate is NaN, so that stage and the ones after it are NaN too.
        win, conversion = self.win_rate(), self.mql_to_sql()
        return goals.reverse_waterfall(
            self.target("won_revenue"),
            self.deal_metrics()["average_deal_size"],
            np.nan if win is None else win.value,
            float(strict.get("opportunity", np.nan)),
            np.nan if conversion is None else conversion.value,
            float(strict.get("mql", np.nan)),
            current,
        )

    def data_quality(self) -> pd.DataFrame:
        """Data-quality checks of the whole data directory (see :func:`quality.data_quality`)."""
        return self.workbook.data_quality.copy()

    # --- headline ---------------------------------------------------------------------------
    @memoised
    def kpi_values(self) -> dict[str, Rate | pipeline.Amount | float]:
        """The shared KPIs: a :class:`Rate` for rates, a number otherwise (cached).

        Pipeline created and won revenue are a :class:`pipeline.Amount` (a number with the
        deals it is built from and those of them without an amount). Each is
        :meth:`kpi_value`'s.
        """
        return {metric: self.kpi_value(metric) for metric in KPIS}

    @memoised
    def kpi_value(self, metric: str) -> Rate | pipeline.Amount | float:
        """One shared KPI of :meth:`kpi_values` (cached), computing only what it needs.

        A target rolled up from the teams, or a relative target's baseline, needs one KPI
        of many team-quarters, not the whole headline of each.
        """
        # A KPI the data set cannot measure is NaN (n/a), never a Rate of 0 out of n; an
        # amount without any known deal amount is an Amount whose value is NaN, never 0.
        if self._table_reason(metric):
            return np.nan
        if metric in ("sla_compliance", "speed_to_lead_hours"):
            speed = self.speed_to_lead()
            column = "sla_compliance" if metric == "sla_compliance" else "median_hours"
            return np.nan if speed is None else speed[column]
        if metric in ("mql_acceptance", "mql_to_sql", "win_rate", "customer_retention"):
            rate = {
                "mql_acceptance": self.mql_acceptance,
                "mql_to_sql": self.mql_to_sql,
                "win_rate": self.win_rate,
                "customer_retention": self.logo_retention,
            }[metric]()
            return np.nan if rate is None else rate
        if metric == "mqls":
            return float(self.stage_volumes().set_index("stage")["volume"]["mql"])
        if metric == "pipeline_created":
            return pipeline.amount_of(self.pipeline_created())
        if metric in ("won_revenue", "won_deals"):
            won = pipeline.amount_of(self.won_revenue(), noun=pipeline.WON_DEALS)
            return won if metric == "won_revenue" else float(won.deals)
        if metric == "cac":
            cac = self.cac()
            return np.nan if cac is None else float(cac["cac"])
        if metric == "lead_to_customer":
            t = self.tables
            return scorecard.lead_to_customer(t["leads"], self._opps, self.start, self.end)["value"]
        if metric == "bookings_growth":
            return float(self.bookings_growth()["yoy"])
        if metric == "marketing_roi":
            return self._marketing_roi_line("roi")
        raise KeyError(metric)

    def _marketing_roi_line(self, column: str) -> float:
        """A column of the marketing line of :meth:`marketing_roi` (NaN without spend)."""
        line = self.marketing_roi_line()
        return np.nan if line is None else float(line[column])

    @memoised
    def marketing_roi_line(self) -> dict[str, float] | None:
        """The marketing line of :meth:`marketing_roi` alone (the KPI); ``None`` without spend."""
        if not self.has("spend"):
            return None
        return efficiency.marketing_roi_line(
            self.tables["spend"],
            self._opps,
            self.start,
            self.end,
            types=self.workbook.channel_types,
        )

    @memoised
    def kpi_notes(self) -> dict[str, str]:
        """Why a shared KPI cannot be measured at all: ``"not in this data: no …"`` (or absent).

        Only KPIs whose stages or table the data set lacks are named, and amounts of deals
        none of which has an amount (``"not in this data: no opportunity amounts (…)"``); a
        KPI that is merely empty this quarter (0 of 0) is not.
        """
        notes = {}
        values = self.kpi_values()
        for metric in KPIS:
            figure = coverage.KPI_FIGURES.get(metric)
            untracked = figure is not None and not self.tracks(figure)
            value = values[metric]
            no_amounts = isinstance(value, pipeline.Amount) and not value.known
            unavailable = self._table_reason(metric) is not None
            if (
                untracked
                or no_amounts
                or unavailable
                or (metric in _OPTIONAL_TABLE_KPIS and not self.has(_OPTIONAL_TABLE_KPIS[metric]))
            ):
                notes[metric] = self._unavailable_reason(metric)
        return notes

    @memoised
    def untracked_kpis(self) -> tuple[str, ...]:
        """Shared KPIs whose stages the data set never records (NaN in every quarter).

        The trends and the team comparison leave them out; a KPI that only lacks an optional
        table (CAC without spend) stays, as n/a, like every other optional-table figure.
        """
        return tuple(
            metric
            for metric in KPIS
            if metric in coverage.KPI_FIGURES and not self.tracks(coverage.KPI_FIGURES[metric])
        )

    def kpis_not_in_data(
        self,
        kind: str | None = None,
        *,
        consequence: tuple[str, str] = ("is left out", "are left out"),
    ) -> str | None:
        """One line naming the KPIs left out of the trends and comparison, and why (else None).

        See :func:`coverage.left_out_line`; the KPIs are those of :meth:`untracked_kpis`, only
        those of ``kind`` (e.g. ``"rate"`` for the rate trend) when given.
        """
        chosen = [m for m in self.untracked_kpis() if kind is None or KPIS[m][2] == kind]
        tracked = self.workbook.dataset.tracked
        missing = [
            name for m in chosen for name in coverage.missing_for(coverage.KPI_FIGURES[m], tracked)
        ]
        labels = [KPIS[m][0] for m in chosen]
        not_supplied = self.workbook.dataset.not_supplied
        return coverage.left_out_line(
            missing, [], labels, consequence=consequence, not_supplied=not_supplied
        )

    def skipped_stages_line(self) -> str | None:
        """The funnel's line for stages the data set never records (see :meth:`stages`)."""
        return coverage.skipped_stages_line(self.stages, self.workbook.dataset.not_supplied)

    @memoised
    def target(self, metric: str) -> float:
        """The quarter's target for ``metric`` (the absolute value it implies); NaN if none.

        See :meth:`target_details`: the team's own row, else the ``*`` row (for the company an
        ``all`` row, else ``*``, else the team targets rolled up), a relative target turned
        into the target it implies.
        """
        return self.target_details(metric)["target"]

    @memoised
    def _target_rows(self) -> dict[str, goals.TargetRow]:
        return goals.pick_targets(self.workbook.target_index, self.team, str(self.quarter))

    def target_details(self, metric: str) -> dict:
        """Where ``metric``'s target comes from, its baseline and the target it implies.

        The one resolver of targets for views (reports, ``workbook metrics``, talking points,
        the exercises): the ``targets`` row of the team (:func:`goals.target_rows`), else for
        the company (``all``) the team targets rolled up by :func:`goals.roll_up_target` when
        every team has one. A relative row (basis ``vs_previous_quarter`` /
        ``vs_same_quarter_last_year``) implies ``baseline × (1 + change)``
        (:func:`goals.implied_target`), the baseline being the metric's value in Q−1 / Q−4.

        Returns
        -------
        dict
            ``target`` (the implied absolute target, NaN when none), ``written`` (the value
            as written: the target, or the change of a relative one), ``basis``,
            ``baseline`` (NaN for an absolute target), ``baseline_quarter`` (``""`` for an
            absolute target) and ``origin``: ``"team"``, ``"*"`` (the all-teams row),
            ``"all"`` (the company's own row), ``"rolled up from N teams"`` or ``""``.
        """
        cache = self.__dict__.setdefault("_targets_resolved", {})
        if metric not in cache:
            cache[metric] = self._resolve_target(metric)
        return cache[metric]

    def _resolve_target(self, metric: str) -> dict:
        details = {
            "target": np.nan,
            "written": np.nan,
            "basis": goals.BASIS_ABSOLUTE,
            "baseline": np.nan,
            "baseline_quarter": "",
            "origin": "",
        }
        row = self._target_rows().get(metric)
        if row is not None:
            written, basis, who = row
            origin = "team" if who == self.team and who != ALL_TEAMS else who
            details.update(written=written, basis=basis, origin=origin)
            cap = 1.0 if _kind(metric) == "rate" and metric not in NOT_SHARES else np.inf
            if basis in goals.BASIS_SHIFT:
                earlier = self.quarter.shift(-goals.BASIS_SHIFT[basis])
                details["baseline_quarter"] = str(earlier)
                if earlier in set(self.workbook.dataset.quarters):
                    details["baseline"] = self.shift(earlier.index - self.quarter.index).value_of(
                        metric
                    )
            details["target"] = goals.implied_target(written, basis, details["baseline"], cap=cap)
            return details
        if self.team == ALL_TEAMS and metric in goals.ROLL_UP and self.has("targets"):
            teams = self.workbook.dataset.teams
            views = {t: self.workbook._view(t, self.quarter) for t in teams}
            if not any(metric in v._target_rows() for v in views.values()):
                return details
            team_targets = {t: v.target(metric) for t, v in views.items()}
            bases = None
            if goals.ROLL_UP[metric] == goals.ROLL_UP_WEIGHTED:
                bases = {t: v.roll_up_base(metric) for t, v in views.items()}
            direction = _direction(metric)
            details["target"] = goals.roll_up_target(metric, team_targets, bases, direction)
            if not np.isnan(details["target"]):
                details["origin"] = f"rolled up from {len(teams)} teams"
        return details

    def value_of(self, metric: str) -> float:
        """The quarter's value of a KPI or alignment component as a number (NaN if none)."""
        if metric in KPIS:
            value = self.kpi_value(metric)
        elif metric == "feedback_coverage":
            value = self.feedback_coverage()
        elif metric == "marketing_pipeline_share":
            value = self.marketing_sourced_share()
        else:
            return np.nan
        if value is None:
            return np.nan
        if isinstance(value, Rate | pipeline.Amount):
            return float(value.value)
        return float(value)

    def roll_up_base(self, metric: str) -> float:
        """The team's base a weighted roll-up weighs its target by (:data:`goals.ROLL_UP_BASES`).

        The denominator of the quarter's value: e.g. MQLs accepted or rejected for MQL
        acceptance, new customers for CAC, pipeline created for the marketing-sourced share.
        0 when the team has none; NaN when the data cannot say.
        """
        if metric == "cac":
            figures = self.cac()
            return np.nan if figures is None else float(figures["new_customers"])
        if metric == "marketing_pipeline_share":
            created = pipeline.amount_of(self.pipeline_created())
            return float(created.value) if created.known else np.nan
        if metric == "lead_to_customer":
            t = self.tables
            return float(
                scorecard.lead_to_customer(t["leads"], self._opps, self.start, self.end)["leads"]
            )
        if metric == "bookings_growth":
            return float(self.bookings_growth()["year_ago_bookings"])
        if metric == "marketing_roi":
            return self._marketing_roi_line("spend")
        value = self.kpi_value(metric) if metric in KPIS else None
        if metric == "feedback_coverage":
            value = self.feedback_coverage()
        if isinstance(value, Rate):
            return float(value.denominator)
        return np.nan

    @memoised
    def kpis(self) -> pd.DataFrame:
        """Headline table: each shared KPI with counts, interval, change vs Q−1 and Q−4, target.

        Returns
        -------
        DataFrame
            One row per KPI: metric, label, direction, kind, value, numerator, denominator,
            ci_low, ci_high, small_sample, previous (Q−1 value), change_previous, p_previous,
            significant_previous, year_ago (Q−4), change_year, p_year, significant_year, target
            (the absolute target; a relative one's implied target, see :meth:`target_details`),
            attainment, rag, note (``"not in this data: …"`` for a KPI the data set cannot
            measure, see :meth:`kpi_notes`; else empty), and the target's target_basis,
            target_change, baseline, baseline_quarter and target_origin (see
            :func:`headline_table`). Quarters before the data starts give NaN.
        """
        known = set(self.workbook.dataset.quarters)
        earlier = [
            self.shift(-k).kpi_values() if self.quarter.shift(-k) in known else None for k in (1, 4)
        ]
        config = self.workbook.dataset.config
        return headline_table(
            self.kpi_values(),
            *earlier,
            {metric: self.target(metric) for metric in KPIS},
            self.kpi_notes(),
            green=config.rag_green,
            amber=config.rag_amber,
            target_details={metric: self.target_details(metric) for metric in KPIS},
        )

    def agreed_actions(self) -> pd.DataFrame | None:
        """Last review's agreed actions: status, overdue, and how each one's KPI moved since.

        See :func:`helpers.metrics.actions.action_review`; the KPI values are this view's
        (cached), for this quarter and each action's ``quarter_agreed``. None when the data
        set has no ``actions`` table.
        """
        if not self.has("actions"):
            return None
        table = self.workbook.dataset["actions"]
        chosen = actions_to_review(table, self.team, self.quarter)
        known = {q.index for q in self.workbook.dataset.quarters}
        start = self.quarter.start_month
        values = {}
        for text in {str(self.quarter), *chosen["quarter_agreed"].astype(str)}:
            quarter = Quarter.parse(text, start)
            inside = quarter.index in known
            values[text] = (
                self.shift(quarter.index - self.quarter.index).kpi_values() if inside else None
            )
        return action_review(table, self.team, self.quarter, values, complete=self.complete)

    @memoised
    def trend(self, quarters: int = 8) -> pd.DataFrame:
        """The shared rate KPIs over the last ``quarters`` quarters (those in the data).

        Rate KPIs the data set cannot measure at all (see :meth:`untracked_kpis`) are left out.

        Returns
        -------
        DataFrame
            Long form: quarter, metric, label, value, ci_low, ci_high, numerator, denominator
            (no rows, with these columns, when no rate KPI can be measured).
        """
        known = set(self.workbook.dataset.quarters)
        chosen = [self.quarter.shift(-k) for k in range(quarters - 1, -1, -1)]
        values = [
            (str(q), self.shift(q.index - self.quarter.index).kpi_values())
            for q in chosen
            if q in known
        ]
        return trend_table(values, leave_out=self.untracked_kpis())
