"""Cohort explorer: how fast each lead-creation quarter reaches a stage.

One curve per *cohort* (the leads created in one fiscal quarter): the cumulative share of the
cohort that has reached the chosen stage (MQL, SQL, opportunity, won) by a given age. A lead
*reaches* a stage at the first time it did (as in :func:`helpers.metrics.funnel.lead_journeys`),
before the data's as-of date; a stage reached before the lead's creation counts at age 0.

Two x axes:

- ``days`` since creation, every ``step_days`` up to ``max_days``. A young cohort is not fully
  observed, so the point at ``d`` days counts only the leads at least ``d`` days old by the
  as-of date: ``leads`` = those leads, ``reached`` = those of them that reached the stage within
  ``d`` days, ``share = reached / leads``. A cohort's curve stops where fewer than
  ``min_observed`` (default half) of its leads are that old, so a young cohort's tail does not
  rest on its first few days' leads.
- ``quarters`` after the creation quarter: the point ``k`` is the share of the whole cohort
  that reached the stage by the end of the k-th quarter after it (``k = 0``: by the end of the
  creation quarter), shown only for quarters that ended by the as-of date.

Each share carries its 95 % Wilson interval. Per-lead creation times, cohorts, team and channel
codes and stage times are arrays computed at build time; a change of the controls masks them
and counts with ``np.searchsorted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.periods import Quarter
from ..data.stages import STAGE_LABELS
from ..metrics import coverage
from ..metrics.stats import rate_columns
from .common import (
    ALL,
    DEFAULT_EXPORT_DIR,
    Explorer,
    categories,
    check_choice,
    codes_of,
    combine,
    dropdown,
    label_of,
    nanoseconds,
    ns,
    pick,
    quarter_labels,
    quarter_range,
    quarter_slider,
    range_label,
    toggle,
)

STAGES = ("mql", "sql", "opportunity", "won")
UNITS = ("days", "quarters")
_DAY = 86_400 * 10**9
_NEVER = np.iinfo("int64").max


@dataclass(frozen=True, eq=False)
class CohortData:
    """Per-lead arrays of the cohort explorer (see the module doc)."""

    teams: list[str]
    channels: list[str]
    stages: list[str]
    team: np.ndarray
    channel: np.ndarray
    created: np.ndarray
    cohort: np.ndarray  # running fiscal quarter index of the creation time
    reached: dict[str, np.ndarray]  # stage -> first time reached (before as_of), else _NEVER
    as_of: int
    start_month: int


def cohort_data(workbook) -> CohortData:
    """Precompute the cohort explorer's arrays (see :class:`CohortData`)."""
    dataset = workbook.dataset
    leads = dataset["leads"].reset_index(drop=True)
    journeys = workbook.journeys.reindex(pd.Index(leads["lead_id"]))
    teams = list(dataset.teams)
    channels = categories(leads["channel"])
    as_of = ns(dataset.as_of)
    stages = [s for s in STAGES if s in dataset.tracked_stages]
    reached = {}
    for stage in stages:
        at = nanoseconds(journeys[stage])
        valid = journeys[stage].notna().to_numpy() & (at < as_of)
        reached[stage] = np.where(valid, at, _NEVER)
    return CohortData(
        teams=teams,
        channels=channels,
        stages=stages,
        team=codes_of(leads["team"], teams),
        channel=codes_of(leads["channel"], channels),
        created=nanoseconds(leads["created_at"]),
        cohort=dataset.quarter_of(leads["created_at"]).fillna(-1).to_numpy(dtype="int64"),
        reached=reached,
        as_of=as_of,
        start_month=dataset.config.fiscal_year_start_month,
    )


def day_points(
    created: np.ndarray, reached: np.ndarray, as_of: int, days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Leads old enough and leads that reached the stage, at each of ``days`` (see module doc).

    Parameters
    ----------
    created, reached : ndarray of int64
        Creation and first-reach times (ns) of one cohort's leads; ``reached`` is the largest
        int64 for a lead that never reached the stage before ``as_of``.
    as_of : int
        Observation time (ns).
    days : ndarray
        Ages in days.

    Returns
    -------
    (leads, reached) : ndarray of int64 each
        ``leads[i]`` = leads at least ``days[i]`` days old at ``as_of``; ``reached[i]`` = those
        of them that reached the stage at most ``days[i]`` days after creation.
    """
    observed = np.sort((as_of - created) / _DAY)
    hit = reached != _NEVER
    age = np.sort(np.maximum((reached[hit] - created[hit]) / _DAY, 0.0))
    # A lead that reached the stage did so before as_of, so its age <= its observed time:
    # reached by d and observed for d = reached by d minus those observed for less than d.
    observed_hit = np.sort((as_of - created[hit]) / _DAY)
    leads = len(observed) - np.searchsorted(observed, days, side="left")
    within = np.searchsorted(age, days, side="right") - np.searchsorted(
        observed_hit, days, side="left"
    )
    return leads.astype("int64"), within.astype("int64")


def quarter_points(
    cohort: int, reached: np.ndarray, as_of: int, start_month: int
) -> tuple[np.ndarray, np.ndarray]:
    """Quarters after the creation quarter that ended by ``as_of``, and leads reached by each end.

    Returns
    -------
    (k, reached) : ndarray of int64 each
        ``k = 0, 1, …`` and the number of the cohort's leads that reached the stage before the
        end of quarter ``cohort + k``.
    """
    ends = []
    k = 0
    while True:
        end = Quarter.from_index(cohort + k, start_month).end
        if ns(end) > as_of:
            break
        ends.append(ns(end))
        k += 1
    times = np.sort(reached[reached != _NEVER])
    counts = np.searchsorted(times, np.array(ends, dtype="int64"), side="left")
    return np.arange(len(ends), dtype="int64"), counts.astype("int64")


class CohortExplorer(Explorer):
    """The cohort explorer (see :func:`build_cohort_explorer`).

    Attributes
    ----------
    team, channel : ipywidgets.Dropdown
        Team id or ``"all"``; lead channel or ``"all"``.
    quarters : ipywidgets.SelectionRangeSlider
        First and last cohort (creation quarter).
    stage : ipywidgets.Dropdown
        The stage the curves count (the tracked ones of MQL, SQL, opportunity, won).
    unit : ipywidgets.ToggleButtons
        ``"days"`` since creation or ``"quarters"`` after the creation quarter.
    """

    kind = "cohorts"
    percent_columns = ("share", "ci_low", "ci_high")

    def __init__(
        self,
        workbook,
        *,
        team: str = ALL,
        first_quarter: str | None = None,
        last_quarter: str | None = None,
        stage: str = "sql",
        channel: str = ALL,
        unit: str = "days",
        step_days: int = 7,
        max_days: int = 364,
        min_observed: float = 0.5,
        export_dir: str | Path = DEFAULT_EXPORT_DIR,
    ) -> None:
        super().__init__(workbook, export_dir, figsize=(9.0, 4.6))
        dataset = self.dataset
        self.data = data = cohort_data(workbook)
        if int(step_days) < 1 or int(max_days) < 0 or not 0 <= float(min_observed) <= 1:
            from ..errors import ParameterError

            raise ParameterError(
                "step_days must be at least 1, max_days at least 0 and min_observed in [0, 1]; "
                f"received {step_days}, {max_days} and {min_observed}."
            )
        self.min_observed = float(min_observed)
        self.days = np.arange(0, int(max_days) + 1, int(step_days), dtype="float64")
        quarters = quarter_range(dataset, first_quarter, last_quarter, span=8)
        self.stage_note = None
        check_choice(stage, STAGES, "stage")
        if stage not in data.stages:  # not recorded by this data set: the first one that is
            fallback = data.stages[0]
            self.stage_note = (
                f"Not in this data: {coverage.absent_phrase([stage])}, so no "
                f"{STAGE_LABELS[stage]} curve; showing {STAGE_LABELS[fallback]}."
            )
            stage = fallback
        self.team = dropdown("Team", [ALL, *data.teams], dataset.check_team(team))
        self.quarters = quarter_slider(quarter_labels(dataset), quarters, "Cohorts")
        self.stage = dropdown(
            "Stage", [(STAGE_LABELS[s], s) for s in data.stages], stage, width="200px"
        )
        self.channel = dropdown(
            "Channel",
            [ALL, *data.channels],
            check_choice(channel, [ALL, *data.channels], "channel"),
        )
        self.unit = toggle(
            "x axis",
            [("Days since created", "days"), ("Quarters after", "quarters")],
            check_choice(unit, UNITS, "unit"),
        )
        self._assemble()

    def controls(self) -> list:
        """Two rows: team and cohorts; stage, channel and x axis."""
        import ipywidgets as widgets

        return [
            widgets.HBox([self.team, self.quarters]),
            widgets.HBox([self.stage, self.channel, self.unit]),
        ]

    def compute(self) -> tuple[pd.DataFrame, list[str]]:
        """The curve points for the current controls, and their notes."""
        data = self.data
        first, last = (self.dataset.quarter(q) for q in self.quarters.value)
        stage, unit = self.stage.value, self.unit.value
        mask = combine(
            len(data.team),
            pick(data.team, data.teams, self.team.value),
            pick(data.channel, data.channels, self.channel.value),
            (data.cohort >= first.index) & (data.cohort <= last.index),
        )
        created, reached, cohorts = data.created[mask], data.reached[stage][mask], data.cohort[mask]
        x_name = "days" if unit == "days" else "quarters_after"
        parts = []
        for index in range(first.index, last.index + 1):
            mine = cohorts == index
            if not mine.any():
                continue
            if unit == "days":
                leads, hits = day_points(created[mine], reached[mine], data.as_of, self.days)
                keep = leads >= max(1, np.ceil(self.min_observed * mine.sum()))
                x, leads, hits = self.days[keep].astype("int64"), leads[keep], hits[keep]
            else:
                x, hits = quarter_points(index, reached[mine], data.as_of, data.start_month)
                leads = np.full(len(x), int(mine.sum()), dtype="int64")
            rates = rate_columns(hits, leads)
            parts.append(
                pd.DataFrame(
                    {
                        "cohort": str(Quarter.from_index(index, data.start_month)),
                        x_name: x,
                        "leads": leads,
                        "reached": hits,
                        "share": rates["rate"],
                        "ci_low": rates["ci_low"],
                        "ci_high": rates["ci_high"],
                    }
                )
            )
        columns = ["cohort", x_name, "leads", "reached", "share", "ci_low", "ci_high"]
        table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
        return table[columns], self._notes(stage, unit)

    def _notes(self, stage: str, unit: str) -> list[str]:
        label = STAGE_LABELS[stage]
        if unit == "days":
            line = (
                f"Share of each cohort (leads created in the quarter) that reached {label} "
                f"within the number of days since creation. A point counts only the leads at "
                f"least that many days old on {self.dataset.as_of.date()} (leads); a curve stops "
                f"where fewer than {self.min_observed:.0%} of its cohort is that old."
            )
        else:
            line = (
                f"Share of each cohort that reached {label} by the end of the k-th quarter after "
                "its creation quarter (0 = by the end of the creation quarter); only quarters "
                f"ended by {self.dataset.as_of.date()} are shown."
            )
        notes = [line + " Intervals: 95 % Wilson."]
        skipped = [STAGE_LABELS[s] for s in STAGES if s not in self.data.stages]
        if self.stage_note:
            notes.append(self.stage_note)
        elif skipped:
            missing = [s for s in STAGES if s not in self.data.stages]
            notes.append(
                f"Not in this data: {coverage.absent_phrase(missing)}, so no "
                f"{' or '.join(skipped)} curve."
            )
        return notes

    def draw(self, ax) -> None:
        """One line per cohort: cumulative share reaching the stage by age."""
        import matplotlib.ticker as mticker
        import seaborn as sns

        table = self.table
        if table.empty:
            ax.text(0.5, 0.5, "No leads for these filters", ha="center", transform=ax.transAxes)
            return
        x_name = table.columns[1]
        cohorts = list(dict.fromkeys(table["cohort"]))
        colours = sns.color_palette("crest", len(cohorts))
        marker = "o" if x_name == "quarters_after" else None
        for colour, (cohort, points) in zip(
            colours, table.groupby("cohort", sort=False), strict=True
        ):
            ax.plot(
                points[x_name], points["share"], color=colour, marker=marker, lw=1.6, label=cohort
            )
        ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0))
        ax.set_ylim(0, max(0.05, float(table["share"].max()) * 1.1))
        xlabel = (
            "days since the lead was created"
            if x_name == "days"
            else ("quarters after the creation quarter (0 = by its end)")
        )
        ax.set(xlabel=xlabel, ylabel=f"share reaching {STAGE_LABELS[self.stage.value]}")
        if x_name == "quarters_after":
            ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
        ax.legend(title="cohort", fontsize=8, title_fontsize=8, loc="upper left",
                  bbox_to_anchor=(1.0, 1.0))  # fmt: skip
        ax.set_title(self.title(), fontsize=10)

    def title(self) -> str:
        """Team, cohorts, stage, channel in one line."""
        return " · ".join(
            [
                self.dataset.team_name(self.team.value),
                f"cohorts {range_label(tuple(self.quarters.value))}",
                f"reaching {STAGE_LABELS[self.stage.value]}",
                label_of(self.channel.value, "all channels"),
            ]
        )

    def export_parts(self) -> list[str]:
        """``cohorts_<team>_<first>-<last>_<stage>_<channel>_<unit>``."""
        first, last = self.quarters.value
        return [
            "cohorts",
            self.team.value if self.team.value != ALL else "all-teams",
            f"{first}-{last}",
            self.stage.value,
            self.channel.value if self.channel.value != ALL else "all-channels",
            self.unit.value,
        ]

    def filters(self) -> dict[str, str]:
        """The current filters by name."""
        first, last = self.quarters.value
        return {
            "team": self.team.value,
            "first_cohort": first,
            "last_cohort": last,
            "stage": self.stage.value,
            "channel": self.channel.value,
            "x axis": self.unit.value,
            "data as of": str(self.dataset.as_of.date()),
        }


def build_cohort_explorer(workbook, **defaults) -> CohortExplorer:
    """The cohort explorer for ``workbook``, its controls set to ``defaults``.

    Parameters
    ----------
    workbook : Workbook
        Loaded data.
    **defaults
        ``team`` (team id or ``"all"``), ``first_quarter`` and ``last_quarter`` (the cohorts;
        default: the eight quarters up to the latest complete one), ``stage`` (``"mql"``,
        ``"sql"``, ``"opportunity"`` or ``"won"``; a stage the data does not record falls back
        to the first one it does, with a note), ``channel`` (a lead channel or ``"all"``),
        ``unit`` (``"days"`` or ``"quarters"``), ``step_days`` and ``max_days`` (the day grid,
        default every 7 days up to 364), ``min_observed`` (share of a cohort that must be old
        enough for a day point, default 0.5), ``export_dir``.

    Returns
    -------
    CohortExplorer
        ``.widget``, the controls ``.team``, ``.quarters``, ``.stage``, ``.channel``,
        ``.unit``, the ``.table`` of curve points (cohort, days or quarters_after, leads,
        reached, share, ci_low, ci_high), the one ``.figure`` and ``.refresh()``.

    Raises
    ------
    ParameterError
        A default that is not in the data (the message lists the choices).
    """
    return CohortExplorer(workbook, **defaults)
