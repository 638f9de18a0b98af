"""Funnel explorer: stage volumes and conversion for any team, quarter range, channel, segment.

Two views (SPEC section 2): **period** counts what happened in the quarters (distinct leads
reaching each stage, opportunities created, deals won), with the ratio of each stage to the one
before; **cohort** follows the leads *created* in the quarters to wherever they got by the
data's as-of date, in the any-stage and the strict funnel, with conversion from the previous
stage and its 95 % Wilson interval. The figures are those of
:mod:`helpers.metrics.funnel`, computed on the rows the filters keep.

The *segment* control cuts by ``segment_by``: a lead attribute column (``company_size`` when
the leads carry it: it varies within a team, so it answers "do small companies convert
worse?") or ``"segment"``, the team's segment from teams.csv (useful with team ``all``: every
SMB pod together). Opportunities follow their lead's channel and lead attribute; those without
a lead are left out while a channel (or a lead-attribute segment) is chosen.

>>> explorer = build_funnel_explorer(Workbook.load("data/sample"))   # doctest: +SKIP
>>> explorer.team.value = "na-smb"                                     # doctest: +SKIP
>>> explorer.table                                                     # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..metrics import coverage
from ..metrics import funnel as funnel_metrics
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
    pick,
    quarter_labels,
    quarter_range,
    quarter_slider,
    range_label,
    toggle,
    window,
)

VIEWS = ("period", "cohort")
TEAM_SEGMENT = "segment"
COLUMNS = [
    "funnel",
    "stage",
    "label",
    "count",
    "previous",
    "conversion",
    "ci_low",
    "ci_high",
    "small_sample",
]
FUNNELS = {"period": "period", "any": "cohort any-stage", "strict": "cohort strict"}


def resolve_segment_by(dataset, segment_by: str | None = None) -> str:
    """What the segment control cuts by: ``"segment"`` (teams.csv) or a lead attribute column.

    Parameters
    ----------
    dataset : Dataset
        The data.
    segment_by : str, optional
        ``"segment"``, a text column of ``leads`` with values (e.g. ``"company_size"``), or
        empty/None: ``company_size`` when the leads have it, else ``"segment"``.

    Raises
    ------
    ParameterError
        Any other value; the message lists the choices.
    """
    leads = dataset["leads"]
    if not segment_by:
        return "company_size" if dataset.has_values("leads", "company_size") else TEAM_SEGMENT
    if segment_by == TEAM_SEGMENT:
        return segment_by
    choices = [
        c
        for c in leads.columns
        if c not in ("lead_id", "created_at", "team", "channel", "score")
        and not pd.api.types.is_numeric_dtype(leads[c])
        and dataset.has_values("leads", c)
    ]
    if segment_by in choices:
        return segment_by
    raise ParameterError(
        f"segment_by {segment_by!r} is not a lead attribute of this data; use "
        f"{TEAM_SEGMENT!r} (the team's segment) or one of: {', '.join(choices) or 'none'}."
    )


@dataclass(frozen=True, eq=False)
class FunnelData:
    """The funnel's tables with every row's team, channel and segment as integer codes.

    Built once per explorer by :func:`funnel_data`; a change of the controls only masks.
    """

    teams: list[str]
    channels: list[str]
    segments: list[str]
    segment_by: str
    leads: pd.DataFrame
    lead_codes: tuple[np.ndarray, np.ndarray, np.ndarray]
    events: pd.DataFrame
    event_codes: tuple[np.ndarray, np.ndarray, np.ndarray]
    opportunities: pd.DataFrame
    opportunity_codes: tuple[np.ndarray, np.ndarray, np.ndarray]
    journeys: pd.DataFrame
    journey_codes: tuple[np.ndarray, np.ndarray, np.ndarray]


def _segment_of_leads(dataset, segment_by: str) -> pd.Series:
    leads = dataset["leads"]
    if segment_by == TEAM_SEGMENT:
        segment_of_team = dataset["teams"].set_index("team")["segment"]
        return leads["team"].map(segment_of_team)
    return leads[segment_by]


def funnel_data(workbook, segment_by: str | None = None) -> FunnelData:
    """Precompute the funnel explorer's tables and codes (see :class:`FunnelData`)."""
    dataset = workbook.dataset
    segment_by = resolve_segment_by(dataset, segment_by)
    leads = dataset["leads"].reset_index(drop=True)
    teams = list(dataset.teams)
    channels = categories(leads["channel"])
    lead_segment = _segment_of_leads(dataset, segment_by).reset_index(drop=True)
    segments = categories(lead_segment)
    lead_codes = (
        codes_of(leads["team"], teams),
        codes_of(leads["channel"], channels),
        codes_of(lead_segment, segments),
    )

    def through_lead(lead_ids: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        position = pd.Index(leads["lead_id"]).get_indexer(lead_ids.astype(object))
        safe = np.where(position >= 0, position, 0)
        return tuple(np.where(position >= 0, codes[safe], -1) for codes in lead_codes)

    events = dataset["lead_events"]
    event_codes = through_lead(events["lead_id"])
    opportunities = dataset["opportunities"]
    opp_team = codes_of(opportunities["team"], teams)
    _, opp_channel, opp_segment = through_lead(opportunities["lead_id"])
    if segment_by == TEAM_SEGMENT:  # the team's segment needs no lead
        segment_of_team = dataset["teams"].set_index("team")["segment"]
        opp_segment = codes_of(opportunities["team"].map(segment_of_team), segments)
    journeys = workbook.journeys.reindex(pd.Index(leads["lead_id"]))
    return FunnelData(
        teams=teams,
        channels=channels,
        segments=segments,
        segment_by=segment_by,
        leads=leads,
        lead_codes=lead_codes,
        events=events,
        event_codes=event_codes,
        opportunities=opportunities,
        opportunity_codes=(opp_team, opp_channel, opp_segment),
        journeys=journeys,
        journey_codes=lead_codes,
    )


def _mask(data: FunnelData, codes, team: str, channel: str, segment: str) -> np.ndarray:
    team_codes, channel_codes, segment_codes = codes
    return combine(
        len(team_codes),
        pick(team_codes, data.teams, team),
        pick(channel_codes, data.channels, channel),
        pick(segment_codes, data.segments, segment),
    )


def period_table(volumes: pd.DataFrame) -> pd.DataFrame:
    """The period view in the explorer's columns (see :data:`COLUMNS`).

    ``conversion`` is the ratio of the stage's volume to the previous tracked stage's
    (:func:`helpers.metrics.funnel.period_funnel`); it compares different leads, so it has no
    interval (NaN) and no small-sample flag (missing).
    """
    chain = funnel_metrics.period_funnel(volumes)
    counts = chain["volume"].astype("int64")
    return pd.DataFrame(
        {
            "funnel": FUNNELS["period"],
            "stage": chain["stage"],
            "label": chain["label"],
            "count": counts,
            "previous": counts.shift(1).astype("Int64"),
            "conversion": chain["ratio_to_previous"],
            "ci_low": np.nan,
            "ci_high": np.nan,
            "small_sample": pd.array([pd.NA] * len(chain), dtype="boolean"),
        }
    )


def cohort_table(cohort: pd.DataFrame, funnel: str) -> pd.DataFrame:
    """One cohort funnel (:func:`helpers.metrics.funnel.cohort_funnel`) in the explorer's columns.

    ``previous`` is the next-step denominator (the previous stage's count); ``conversion``,
    ``ci_low``, ``ci_high`` and ``small_sample`` are the next-step rate, its 95 % Wilson interval
    and flag (no interval where the any-stage count exceeds the previous one).
    """
    first = cohort["stage"].iloc[0] if len(cohort) else None
    previous = cohort["next_denominator"].astype("Int64").where(cohort["stage"] != first)
    # A ratio to a previous count of 0 (outbound leads reaching SQL with no MQL) is no rate.
    rate = cohort["next_rate"].where((cohort["stage"] != first) & (cohort["next_denominator"] > 0))
    return pd.DataFrame(
        {
            "funnel": FUNNELS[funnel],
            "stage": cohort["stage"],
            "label": cohort["label"],
            "count": cohort["reached"].astype("int64"),
            "previous": previous,
            "conversion": rate,
            "ci_low": cohort["next_ci_low"].where(cohort["stage"] != first),
            "ci_high": cohort["next_ci_high"].where(cohort["stage"] != first),
            "small_sample": pd.array(
                [pd.NA if s == first else bool(f) for s, f in
                 zip(cohort["stage"], cohort["next_small_sample"], strict=True)],
                dtype="boolean",
            ),
        }
    )  # fmt: skip


def funnel_chart(
    data: pd.DataFrame,
    *,
    x: str = "count",
    y: str = "label",
    hue: str | None = None,
    ax=None,
    **kwargs,
):
    """Horizontal funnel bars, one group per ``hue`` value, each annotated with its count.

    Parameters
    ----------
    data : DataFrame
        One row per stage (and ``hue`` value), in funnel order; a ``conversion`` column, when
        present, is written next to each count as the share of the previous stage.
    x, y : str
        Columns holding the count and the stage label.
    hue : str, optional
        Column whose values get bars of their own colour, side by side.
    ax : Axes, optional
        Axes to draw on; ``plt.gca()`` by default.
    **kwargs
        Passed to ``Axes.barh``.

    Returns
    -------
    Axes
    """
    from ..display.plots import PALETTE

    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    labels = list(dict.fromkeys(data[y]))
    groups = [None] if hue is None else list(dict.fromkeys(data[hue]))
    height = 0.8 / max(len(groups), 1)
    top = float(data[x].max()) if len(data) else 0.0
    for i, group in enumerate(groups):
        part = data if group is None else data[data[hue] == group]
        offset = (i - (len(groups) - 1) / 2) * height
        positions = np.array([labels.index(v) for v in part[y]], dtype=float) + offset
        ax.barh(positions, part[x], height=height * 0.92, color=PALETTE[i], label=group, **kwargs)
        conversions = part["conversion"] if "conversion" in part else [np.nan] * len(part)
        for position, value, rate in zip(positions, part[x], conversions, strict=True):
            note = f"{int(value):,}" + (f"  ({rate:.0%})" if pd.notna(rate) else "")
            ax.text(value + top * 0.01, position, note, va="center", fontsize=8)
    ax.set_yticks(np.arange(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(0, top * 1.3 if top else 1)
    ax.set(xlabel="Leads (opportunities, won deals)", ylabel="")
    ax.grid(axis="y", visible=False)
    if hue is not None and len(groups) > 1:
        ax.legend(loc="lower right", fontsize=8)
    return ax


class FunnelExplorer(Explorer):
    """The funnel explorer (see :func:`build_funnel_explorer`).

    Attributes
    ----------
    team, channel, segment : ipywidgets.Dropdown
        Team id or ``"all"``; channel or ``"all"``; segment value or ``"all"``.
    quarters : ipywidgets.SelectionRangeSlider
        First and last quarter of the range.
    view : ipywidgets.ToggleButtons
        ``"period"`` or ``"cohort"``.
    """

    kind = "funnel"
    percent_columns = ("conversion", "ci_low", "ci_high")

    def __init__(
        self,
        workbook,
        *,
        team: str = ALL,
        first_quarter: str | None = None,
        last_quarter: str | None = None,
        channel: str = ALL,
        segment: str = ALL,
        view: str = "period",
        segment_by: str | None = None,
        export_dir: str | Path = DEFAULT_EXPORT_DIR,
    ) -> None:
        super().__init__(workbook, export_dir, figsize=(9.0, 4.4))
        dataset = self.dataset
        self.data = funnel_data(workbook, segment_by)
        data = self.data
        quarters = quarter_range(dataset, first_quarter, last_quarter, span=4)
        segment_label = (
            "Segment" if data.segment_by == TEAM_SEGMENT else data.segment_by.replace("_", " ")
        )
        self.team = dropdown("Team", [ALL, *data.teams], dataset.check_team(team))
        self.quarters = quarter_slider(quarter_labels(dataset), quarters)
        self.channel = dropdown(
            "Channel",
            [ALL, *data.channels],
            check_choice(channel, [ALL, *data.channels], "channel"),
        )
        self.segment = dropdown(
            segment_label.capitalize(),
            [ALL, *data.segments],
            check_choice(segment, [ALL, *data.segments], "segment"),
        )
        self.view = toggle("View", [("Period", "period"), ("Cohort", "cohort")],
                           check_choice(view, VIEWS, "view"))  # fmt: skip
        self._assemble()

    def controls(self) -> list:
        """Two rows: team and quarters; channel, segment and view."""
        import ipywidgets as widgets

        return [
            widgets.HBox([self.team, self.quarters]),
            widgets.HBox([self.channel, self.segment, self.view]),
        ]

    def compute(self) -> tuple[pd.DataFrame, list[str]]:
        """The funnel table for the current controls, and its notes."""
        data, dataset = self.data, self.dataset
        team, channel, segment = self.team.value, self.channel.value, self.segment.value
        quarters = tuple(self.quarters.value)
        start, end = window(dataset, quarters)
        stages = dataset.tracked_stages
        notes = []
        if self.view.value == "period":
            leads = data.leads[_mask(data, data.lead_codes, team, channel, segment)]
            events = data.events[_mask(data, data.event_codes, team, channel, segment)]
            opps = data.opportunities[_mask(data, data.opportunity_codes, team, channel, segment)]
            volumes = funnel_metrics.stage_volumes(leads, events, opps, start, end, stages=stages)
            table = period_table(volumes)
            notes.append(
                f"Period view: distinct leads reaching each stage in {range_label(quarters)} "
                "(opportunities created, deals won in it). The ratio to the previous stage "
                "compares different leads, so it can exceed 100 % and has no interval; the "
                "cohort view gives conversion rates."
            )
            lead_segment = data.segment_by != TEAM_SEGMENT and segment != ALL
            if channel != ALL or lead_segment:
                notes.append(
                    "Opportunities without a lead have no channel or lead attribute and are "
                    "left out while one is chosen."
                )
        else:
            journeys = data.journeys[_mask(data, data.journey_codes, team, channel, segment)]
            as_of = dataset.as_of
            with np.errstate(divide="ignore", invalid="ignore"):  # ratios to 0: see below
                parts = [
                    cohort_table(
                        funnel_metrics.cohort_funnel(
                            journeys, start, end, as_of, strict=strict, stages=stages
                        ),
                        "strict" if strict else "any",
                    )
                    for strict in (False, True)
                ]
            table = pd.concat(parts, ignore_index=True)
            cohort = int(table["count"].iloc[0]) if len(table) else 0
            age = max((as_of - end).days, 0)
            notes.append(
                f"Cohort view: the {cohort:,} leads created in {range_label(quarters)}, followed "
                f"to {as_of.date()} (the range ended {age} days before). Any-stage counts a lead "
                "at every stage it reached; strict only at stages reached in order after every "
                "earlier one. Conversion is from the previous stage, with its 95 % Wilson "
                "interval."
            )
        skipped = coverage.skipped_stages_line(stages)
        if skipped:
            notes.append(skipped)
        return table[COLUMNS].reset_index(drop=True), notes

    def draw(self, ax) -> None:
        """Funnel bars of the table (two groups in the cohort view)."""
        if self.table.empty:
            ax.text(0.5, 0.5, "No rows for these filters", ha="center", transform=ax.transAxes)
            return
        hue = "funnel" if self.view.value == "cohort" else None
        funnel_chart(self.table, hue=hue, ax=ax)
        ax.set_title(self.title(), fontsize=10)

    def title(self) -> str:
        """Team, range, channel, segment and view in one line."""
        return " · ".join(
            [
                self.dataset.team_name(self.team.value),
                range_label(tuple(self.quarters.value)),
                label_of(self.channel.value, "all channels"),
                label_of(self.segment.value, f"all {self.segment.description.lower()}s"),
                f"{self.view.value} view",
            ]
        )

    def export_parts(self) -> list[str]:
        """``funnel_<team>_<first>-<last>_<channel>_<segment>_<view>``."""
        first, last = self.quarters.value
        return [
            "funnel",
            self.team.value if self.team.value != ALL else "all-teams",
            f"{first}-{last}",
            self.channel.value if self.channel.value != ALL else "all-channels",
            self.segment.value if self.segment.value != ALL else "all-segments",
            self.view.value,
        ]

    def filters(self) -> dict[str, str]:
        """The current filters by name."""
        first, last = self.quarters.value
        return {
            "team": self.team.value,
            "first_quarter": first,
            "last_quarter": last,
            "channel": self.channel.value,
            f"segment ({self.data.segment_by})": self.segment.value,
            "view": self.view.value,
            "data as of": str(self.dataset.as_of.date()),
        }


def build_funnel_explorer(workbook, **defaults) -> FunnelExplorer:
    """The funnel explorer for ``workbook``, its controls set to ``defaults``.

    Parameters
    ----------
    workbook : Workbook
        Loaded data (e.g. ``Workbook.load("data/sample", reuse=True)``).
    **defaults
        ``team`` (team id or ``"all"``), ``first_quarter`` and ``last_quarter`` (default: the
        four quarters up to the latest complete one), ``channel`` and ``segment`` (a value or
        ``"all"``), ``view`` (``"period"`` or ``"cohort"``), ``segment_by`` (see
        :func:`resolve_segment_by`), ``export_dir`` (folder of the CSV / Excel exports).

    Returns
    -------
    FunnelExplorer
        ``.widget`` to display (or ``.display()`` for a static snapshot too), the controls
        ``.team``, ``.quarters``, ``.channel``, ``.segment``, ``.view``, the ``.table`` shown
        (columns :data:`COLUMNS`), the one ``.figure`` and ``.refresh()``.

    Raises
    ------
    ParameterError
        A default that is not in the data (the message lists the choices).
    """
    return FunnelExplorer(workbook, **defaults)


__all__ = ["FunnelExplorer", "build_funnel_explorer", "funnel_chart"]
