"""Channel explorer: channels (or campaigns) side by side on volume, quality, cost and revenue.

For one team (or ``all``) and a range of quarters ``[start, end)``, one row per channel (or
campaign) of the leads, the spend and the attributed deals:

- volume: ``leads`` created in the range; ``mqls`` = distinct leads with an ``mql`` event in it;
- quality: ``mql_to_sql`` = ``mql_sqls`` / ``mqls``, the MQLs of the range with an ``sql`` event
  at or after their first MQL of the range (before the as-of date, as
  :func:`helpers.metrics.funnel.mql_to_sql`); ``acceptance`` = accepted / (accepted +
  rejected) decisions in the range on leads that were MQLs by then (as
  :func:`helpers.metrics.funnel.mql_acceptance`); ``win_rate`` = won / (won + lost)
  opportunities closed in the range, by their lead's channel (``"(sales-sourced, no lead)"``
  without a lead);
- cost: ``spend`` = marketing spend of the range's months (NaN, *unknown*, without a spend row;
  spend is recorded by channel, so a campaign has none); ``cost_per_lead`` = spend / leads;
  ``cost_per_mql`` = spend / MQLs;
- ``attributed_revenue``: the amount of the deals won in the range split over their lead's
  touches by the chosen model (:func:`helpers.metrics.attribution.attribute_all`; without a
  touches table every deal falls back to its lead's own channel or campaign), summed over the
  deals that have an amount; ``won_without_amount`` counts the credits of won deals without
  one (a deal split over three touches counts three times), and a row credited only such
  deals has NaN revenue (*not in this data*), never 0.

A rate whose stages the data set does not record at all is NaN with its counts, and a line says
so. Every row's team, label and timestamp are integer arrays computed at build time, and so is
the split of every won deal by each of the six models (one row per credit); a change of the
controls masks them and counts with ``np.bincount``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..metrics import attribution, coverage
from .common import (
    ALL,
    DEFAULT_EXPORT_DIR,
    Explorer,
    check_choice,
    codes_of,
    dropdown,
    nanoseconds,
    ns,
    quarter_labels,
    quarter_range,
    quarter_slider,
    range_label,
    toggle,
    window,
)

LEVELS = {"channel": "channel", "campaign": "campaign_id"}
"""Level control value -> the leads / touches column it groups by."""
MODEL_LABELS = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
    "u_shaped": "U-shaped (40/20/40)",
    "w_shaped": "W-shaped (30/30/30 + 10)",
    "time_decay": "Time decay",
}
MISSING = {"channel": "(no channel)", "campaign_id": "(no campaign)"}
TOTAL = "total"
CHART_ROWS = 12
COUNT_COLUMNS = ("leads", "mqls", "mql_sqls", "accepted", "rejected", "won", "lost")


@dataclass(frozen=True, eq=False)
class Level:
    """Row labels of one level (channel or campaign) and each row's label code."""

    column: str
    labels: list[str]
    lead: np.ndarray  # per lead
    closed: np.ndarray  # per closed (won or lost) opportunity
    spend: np.ndarray | None  # per marketing spend row; None: spend is not by this level
    channel_of: dict[str, str]  # campaign -> its leads' most frequent channel
    credits: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    """Model -> (won deal position, label code, amount credited), one row per credit."""


@dataclass(frozen=True, eq=False)
class ChannelData:
    """Everything the channel explorer counts, as aligned numpy arrays (see the module doc)."""

    teams: list[str]
    levels: dict[str, Level]
    lead_team: np.ndarray
    lead_created: np.ndarray
    mql_lead: np.ndarray  # MQL events sorted by time: lead position
    mql_at: np.ndarray
    mql_team: np.ndarray
    last_sql: np.ndarray  # per lead: latest sql before as_of (int64 min when none)
    decision_lead: np.ndarray  # accepted / rejected decisions on MQLs
    decision_at: np.ndarray
    decision_team: np.ndarray
    decision_accepted: np.ndarray
    closed_team: np.ndarray
    closed_at: np.ndarray
    closed_won: np.ndarray
    won_team: np.ndarray  # per won deal (the rows attribution credits)
    won_closed: np.ndarray
    spend_team: np.ndarray
    spend_month: np.ndarray
    spend_amount: np.ndarray
    has_spend: bool
    has_touches: bool


def _labels(*columns: pd.Series, extra: tuple[str, ...]) -> list[str]:
    values = set()
    for column in columns:
        values |= {str(v) for v in column.dropna().unique()}
    return sorted(values - set(extra)) + list(extra)


def _no_touches() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lead_id": pd.Series([], dtype=object),
            "at": pd.Series([], dtype="datetime64[ns]"),
            "campaign_id": pd.Series([], dtype=object),
            "channel": pd.Series([], dtype=object),
        }
    )


def _credits(
    won: pd.DataFrame,
    weights: dict[str, pd.DataFrame],
    leads: pd.DataFrame,
    column: str,
    labels: list[str],
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every won deal's amount split by each model, as rows (deal, label code, amount).

    The split is ``weights[model]``, :func:`helpers.metrics.attribution.touch_weights` of the
    won deals (one weight per eligible touch); a deal without an eligible touch credits its
    whole amount to its lead's own ``column`` value (``"(no channel)"`` / ``"(no campaign)"``
    when empty), to ``"(unknown lead)"`` when its lead is not in the leads table, or to
    ``"(sales-sourced, no lead)"`` without a lead: the rules of
    :func:`helpers.metrics.attribution.attribute`, so summing the rows of the deals won in a
    window gives :func:`~helpers.metrics.attribution.attribute_all` of those deals.
    """
    # A deal without an amount stays NaN: it is counted as such, never credited as 0.
    amount = pd.to_numeric(won["amount"], errors="coerce").to_numpy(dtype="float64")
    position = pd.Index(won["opportunity_id"].astype(object))
    lead_value = leads.set_index("lead_id")[column].astype(object)
    fallback_label = np.array(
        [
            attribution.NO_LEAD
            if pd.isna(lead)
            else attribution.UNKNOWN_LEAD
            if lead not in lead_value.index
            else (MISSING[column] if pd.isna(lead_value[lead]) else str(lead_value[lead]))
            for lead in won["lead_id"].astype(object)
        ],
        dtype=object,
    )
    credits = {}
    for model, rows in weights.items():
        deal = position.get_indexer(rows["opportunity_id"].astype(object))
        touched = rows[column].astype(object).where(rows[column].notna(), MISSING[column])
        fallback = np.setdiff1d(np.arange(len(won)), deal)
        credits[model] = (
            np.concatenate([deal, fallback]).astype("int64"),
            codes_of(np.concatenate([touched.to_numpy(), fallback_label[fallback]]), labels),
            np.concatenate([rows["weight"].to_numpy() * amount[deal], amount[fallback]]),
        )
    return credits


def channel_data(workbook) -> ChannelData:
    """Precompute the channel explorer's arrays (see :class:`ChannelData`)."""
    dataset = workbook.dataset
    leads = dataset["leads"].reset_index(drop=True)
    events = dataset["lead_events"]
    opps = dataset["opportunities"]
    touches = dataset.tables.get("touches")
    spend = dataset.tables.get("spend")
    teams = list(dataset.teams)
    as_of = ns(dataset.as_of)

    lead_index = pd.Index(leads["lead_id"].astype(object))

    def position(ids: pd.Series) -> np.ndarray:
        return lead_index.get_indexer(ids.astype(object))

    lead_team = codes_of(leads["team"], teams)
    marketing = None
    if spend is not None:
        marketing = spend[(spend["category"] == "marketing").fillna(False).to_numpy(dtype=bool)]
    closed = opps[opps["status"].isin(["won", "lost"]).fillna(False).to_numpy(dtype=bool)]
    won = opps[(opps["status"] == "won").fillna(False).to_numpy(dtype=bool)]
    closed_lead = position(closed["lead_id"])

    weights = {
        model: attribution.touch_weights(
            won,
            _no_touches() if touches is None else touches,
            leads,
            model=model,
            half_life_days=dataset.config.half_life_days,
        )
        for model in attribution.MODELS
    }
    levels = {}
    for level, column in LEVELS.items():
        sources = [leads[column]]
        if touches is not None:
            sources.append(touches[column])
        if marketing is not None and column == "channel":
            sources.append(marketing["channel"])
        extra = (MISSING[column], attribution.NO_LEAD, attribution.UNKNOWN_LEAD)
        labels = _labels(*sources, extra=extra)
        lead_codes = codes_of(leads[column].astype(object).fillna(MISSING[column]), labels)
        closed_codes = np.where(
            closed_lead >= 0,
            lead_codes[np.maximum(closed_lead, 0)],
            labels.index(attribution.NO_LEAD),
        )
        spend_codes = None
        if marketing is not None and column == "channel":
            spend_codes = codes_of(
                marketing["channel"].astype(object).fillna(MISSING[column]), labels
            )
        channel_of = {}
        if column == "campaign_id":
            pairs = leads[["campaign_id", "channel"]].dropna().astype(str)
            if touches is not None:
                pairs = pd.concat([pairs, touches[["campaign_id", "channel"]].dropna().astype(str)])
            if len(pairs):
                counts = pairs.groupby(["campaign_id", "channel"]).size().reset_index(name="n")
                counts = counts.sort_values(
                    ["campaign_id", "n", "channel"], ascending=[True, False, True]
                )
                channel_of = dict(
                    counts.drop_duplicates("campaign_id")[["campaign_id", "channel"]].to_numpy()
                )
        credits = _credits(won, weights, leads, column, labels)
        levels[level] = Level(
            column, labels, lead_codes, closed_codes, spend_codes, channel_of, credits
        )

    mql = events[(events["event"] == "mql").fillna(False).to_numpy(dtype=bool)]
    mql_lead, mql_at = position(mql["lead_id"]), nanoseconds(mql["at"])
    order = np.argsort(mql_at, kind="stable")
    mql_lead, mql_at = mql_lead[order], mql_at[order]
    first_mql = np.full(len(leads), np.iinfo("int64").max)
    np.minimum.at(first_mql, mql_lead, mql_at)

    sql = events[(events["event"] == "sql").fillna(False).to_numpy(dtype=bool)]
    sql_at = nanoseconds(sql["at"])
    before = sql_at < as_of
    last_sql = np.full(len(leads), np.iinfo("int64").min)
    np.maximum.at(last_sql, position(sql["lead_id"])[before], sql_at[before])

    decided = events[
        events["event"].isin(["accepted", "rejected"]).fillna(False).to_numpy(dtype=bool)
    ]
    decision_lead, decision_at = position(decided["lead_id"]), nanoseconds(decided["at"])
    on_mql = first_mql[decision_lead] <= decision_at
    accepted = (decided["event"] == "accepted").to_numpy(dtype=bool)

    if marketing is not None:
        month = pd.to_datetime(marketing["month"].astype("string") + "-01", format="%Y-%m-%d")
        spend_team = codes_of(marketing["team"], teams)
        spend_month = nanoseconds(month)
        spend_amount = marketing["amount"].astype("float64").to_numpy()
    else:
        spend_team = spend_month = np.zeros(0, dtype="int64")
        spend_amount = np.zeros(0)

    return ChannelData(
        teams=teams,
        levels=levels,
        lead_team=lead_team,
        lead_created=nanoseconds(leads["created_at"]),
        mql_lead=mql_lead,
        mql_at=mql_at,
        mql_team=lead_team[mql_lead],
        last_sql=last_sql,
        decision_lead=decision_lead[on_mql],
        decision_at=decision_at[on_mql],
        decision_team=lead_team[decision_lead[on_mql]],
        decision_accepted=accepted[on_mql],
        closed_team=codes_of(closed["team"], teams),
        closed_at=nanoseconds(closed["closed_at"]),
        closed_won=(closed["status"] == "won").to_numpy(dtype=bool),
        won_team=codes_of(won["team"], teams),
        won_closed=nanoseconds(won["closed_at"]),
        spend_team=spend_team,
        spend_month=spend_month,
        spend_amount=spend_amount,
        has_spend=marketing is not None,
        has_touches=touches is not None,
    )


def _in(values: np.ndarray, start: int, end: int) -> np.ndarray:
    return (values >= start) & (values < end)


def _rate(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    numerator = np.asarray(numerator, dtype="float64")
    denominator = np.asarray(denominator, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def channel_counts(
    data: ChannelData,
    team: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    level: str,
    model: str = "linear",
) -> pd.DataFrame:
    """Volume, quality, spend and attributed revenue of every label of ``level`` (no rates).

    Returns
    -------
    DataFrame
        Index: every label of the level; columns leads, mqls, mql_sqls, accepted, rejected,
        won, lost (int64), spend (float64, NaN without a spend row in the range),
        attributed_revenue (float64: revenue won in the range credited by ``model``, NaN for
        a label credited only deals without an amount), won_without_amount (int64).
    """
    lv = data.levels[level]
    size = len(lv.labels)
    a, b = ns(start), ns(end)
    t = data.teams.index(team) if team != ALL else None

    def of_team(codes: np.ndarray) -> np.ndarray:
        return np.ones(len(codes), dtype=bool) if t is None else codes == t

    def count(codes: np.ndarray) -> np.ndarray:
        return np.bincount(codes, minlength=size).astype("int64")

    leads = count(lv.lead[of_team(data.lead_team) & _in(data.lead_created, a, b)])
    chosen = of_team(data.mql_team) & _in(data.mql_at, a, b)
    lead, at = data.mql_lead[chosen], data.mql_at[chosen]
    unique, first = np.unique(lead, return_index=True)  # rows are in time order: first = earliest
    converted = data.last_sql[unique] >= at[first]
    decided = of_team(data.decision_team) & _in(data.decision_at, a, b)
    accepted = data.decision_accepted
    closed = of_team(data.closed_team) & _in(data.closed_at, a, b)
    out = pd.DataFrame(
        {
            "leads": leads,
            "mqls": count(lv.lead[unique]),
            "mql_sqls": count(lv.lead[unique[converted]]),
            "accepted": count(lv.lead[data.decision_lead[decided & accepted]]),
            "rejected": count(lv.lead[data.decision_lead[decided & ~accepted]]),
            "won": count(lv.closed[closed & data.closed_won]),
            "lost": count(lv.closed[closed & ~data.closed_won]),
        },
        index=pd.Index(lv.labels, name=lv.column),
    )
    spend = np.full(size, np.nan)
    if lv.spend is not None:
        rows = of_team(data.spend_team) & _in(data.spend_month, a, b)
        total = np.bincount(lv.spend[rows], weights=data.spend_amount[rows], minlength=size)
        spend = np.where(np.bincount(lv.spend[rows], minlength=size) > 0, total, np.nan)
    out["spend"] = spend
    deal, label, amount = lv.credits[model]
    chosen = (of_team(data.won_team) & _in(data.won_closed, a, b))[deal]
    label, amount = label[chosen], amount[chosen]
    known = ~np.isnan(amount)
    total = np.bincount(label[known], weights=amount[known], minlength=size)
    unknown = np.bincount(label[~known], minlength=size)
    out["_known_credits"] = np.bincount(label[known], minlength=size)
    # Credited only deals without an amount: unknown, not 0.
    out["attributed_revenue"] = np.where(
        (unknown > 0) & (out["_known_credits"] == 0), np.nan, total
    )
    out["won_without_amount"] = unknown
    return out


class ChannelExplorer(Explorer):
    """The channel explorer (see :func:`build_channel_explorer`).

    Attributes
    ----------
    team : ipywidgets.Dropdown
        Team id or ``"all"``.
    quarters : ipywidgets.SelectionRangeSlider
        First and last quarter.
    level : ipywidgets.ToggleButtons
        ``"channel"`` or ``"campaign"``.
    model : ipywidgets.Dropdown
        One of :data:`helpers.metrics.attribution.MODELS`.
    """

    kind = "channels"
    percent_columns = ("mql_to_sql", "acceptance", "win_rate")

    def __init__(
        self,
        workbook,
        *,
        team: str = ALL,
        first_quarter: str | None = None,
        last_quarter: str | None = None,
        level: str = "channel",
        model: str = "linear",
        export_dir: str | Path = DEFAULT_EXPORT_DIR,
    ) -> None:
        super().__init__(workbook, export_dir, figsize=(11.0, 4.8), ncols=2)
        dataset = self.dataset
        self.data = channel_data(workbook)
        quarters = quarter_range(dataset, first_quarter, last_quarter, span=4)
        self.team = dropdown("Team", [ALL, *self.data.teams], dataset.check_team(team))
        self.quarters = quarter_slider(quarter_labels(dataset), quarters)
        self.level = toggle(
            "Level",
            [("Channel", "channel"), ("Campaign", "campaign")],
            check_choice(level, list(LEVELS), "level"),
        )
        self.model = dropdown(
            "Attribution model",
            [(label, name) for name, label in MODEL_LABELS.items()],
            check_choice(model, list(attribution.MODELS), "model"),
            width="320px",
        )
        self._assemble()

    def controls(self) -> list:
        """Two rows: team and quarters; level and attribution model."""
        import ipywidgets as widgets

        return [
            widgets.HBox([self.team, self.quarters]),
            widgets.HBox([self.level, self.model]),
        ]

    def compute(self) -> tuple[pd.DataFrame, list[str]]:
        """The channel (or campaign) table for the current controls, and its notes."""
        dataset, data = self.dataset, self.data
        team, level, model = self.team.value, self.level.value, self.model.value
        quarters = tuple(self.quarters.value)
        start, end = window(dataset, quarters)
        column = LEVELS[level]
        counts = channel_counts(data, team, start, end, level, model)
        active = (counts[list(COUNT_COLUMNS)].sum(axis=1) > 0) | counts["spend"].notna()
        active |= counts["attributed_revenue"] != 0
        rows = counts[active.to_numpy()]
        rows = rows.assign(_name=rows.index.astype(str)).sort_values(
            ["leads", "attributed_revenue", "_name"], ascending=[False, False, True]
        )
        total = rows[[*COUNT_COLUMNS, "won_without_amount"]].sum().astype("float64")
        # Revenue of the credits that have an amount; NaN (not 0) when none has one.
        known_credits = rows["_known_credits"].sum()
        unknown_only = total["won_without_amount"] > 0 and known_credits == 0
        total["attributed_revenue"] = np.nan if unknown_only else rows["attributed_revenue"].sum()
        total["spend"] = self._total_spend(team, start, end) if level == "channel" else np.nan
        table = pd.concat([rows.drop(columns=["_name", "_known_credits"]), total.to_frame(TOTAL).T])
        table.index.name = column
        table = table.reset_index()
        table = _with_rates(table)
        if level == "campaign":
            table.insert(
                1, "channel", [self.data.levels[level].channel_of.get(c, "") for c in table[column]]
            )
        notes = self._notes(level, model, quarters)
        missing = int(total["won_without_amount"])
        if missing:
            notes.append(
                f"{missing} credit(s) of won deals without an amount are left out of attributed "
                "revenue (not in this data, not 0); a row credited only such deals shows n/a."
            )
        return _untracked_to_nan(table, dataset.tracked), notes

    def _total_spend(self, team: str, start: pd.Timestamp, end: pd.Timestamp) -> float:
        data = self.data
        rows = _in(data.spend_month, ns(start), ns(end))
        if team != ALL:
            rows &= data.spend_team == data.teams.index(team)
        return float(data.spend_amount[rows].sum()) if rows.any() else np.nan

    def _notes(self, level: str, model: str, quarters: tuple[str, str]) -> list[str]:
        notes = [
            f"{range_label(quarters)}: leads created, MQLs and decisions in the range by the "
            "lead's channel; win rate on deals closed in it; attributed revenue = deals won in "
            f"it, split by the {MODEL_LABELS[model].lower()} model."
        ]
        gaps = coverage.not_in_data(
            ("mql_to_sql", "mql_acceptance", "win_rate"), self.dataset.tracked
        )
        if gaps:
            notes.append(gaps)
        if not self.data.has_spend:
            notes.append(
                "Not in this data: no spend table, so no spend, cost per lead or cost per MQL."
            )
        elif level == "campaign":
            notes.append(
                "Spend is recorded by channel, not campaign: the channel level shows costs."
            )
        if not self.data.has_touches:
            notes.append(
                "Not in this data: no touches table, so every won deal is credited to its lead's "
                f"own {'channel' if level == 'channel' else 'campaign'} and all six models agree."
            )
        return notes

    def draw(self, left, right) -> None:
        """Leads and MQLs (left); attributed revenue and spend (right), top rows by leads."""
        from ..display.plots import PALETTE

        column = LEVELS[self.level.value]
        rows = self.table[self.table[column] != TOTAL].head(CHART_ROWS)
        if rows.empty:
            left.text(0.5, 0.5, "No rows for these filters", ha="center", transform=left.transAxes)
            return
        y = np.arange(len(rows))
        names = rows[column].astype(str).tolist()
        left.barh(y - 0.2, rows["leads"], height=0.4, color=PALETTE[0], label="leads")
        left.barh(y + 0.2, rows["mqls"].fillna(0), height=0.4, color=PALETTE[1], label="MQLs")
        left.set_yticks(y, names)
        left.set_ylim(len(rows) - 0.5, -0.5)
        left.set_title("Volume", fontsize=10)
        left.legend(fontsize=8, loc="lower right")
        left.grid(axis="y", visible=False)
        right.barh(
            y, rows["attributed_revenue"], height=0.6, color=PALETTE[2], label="attributed revenue"
        )
        if rows["spend"].notna().any():
            right.scatter(
                rows["spend"], y, marker="D", color=PALETTE[3], zorder=3, label="marketing spend"
            )
        right.set_yticks(y, [""] * len(rows))
        right.set_ylim(len(rows) - 0.5, -0.5)
        right.set_title(f"Attributed revenue ({MODEL_LABELS[self.model.value]})", fontsize=10)
        right.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        right.grid(axis="y", visible=False)
        shown = len(self.table) - 1
        more = f" (top {len(rows)} of {shown} by leads)" if shown > len(rows) else ""
        self.figure.suptitle(self.title() + more, fontsize=10)

    def title(self) -> str:
        """Team, range, level and model in one line."""
        return " · ".join(
            [
                self.dataset.team_name(self.team.value),
                range_label(tuple(self.quarters.value)),
                f"by {self.level.value}",
                f"{MODEL_LABELS[self.model.value].lower()} attribution",
            ]
        )

    def export_parts(self) -> list[str]:
        """``channels_<team>_<first>-<last>_<level>_<model>``."""
        first, last = self.quarters.value
        team = self.team.value if self.team.value != ALL else "all-teams"
        return ["channels", team, f"{first}-{last}", self.level.value, self.model.value]

    def filters(self) -> dict[str, str]:
        """The current filters by name."""
        first, last = self.quarters.value
        return {
            "team": self.team.value,
            "first_quarter": first,
            "last_quarter": last,
            "level": self.level.value,
            "attribution model": self.model.value,
            "data as of": str(self.dataset.as_of.date()),
        }


def _with_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Rates and costs from the counts, in the table's column order."""
    out = table.copy()
    out["mql_to_sql"] = _rate(out["mql_sqls"], out["mqls"])
    out["acceptance"] = _rate(out["accepted"], out["accepted"] + out["rejected"])
    out["win_rate"] = _rate(out["won"], out["won"] + out["lost"])
    out["cost_per_lead"] = _rate(out["spend"], out["leads"])
    out["cost_per_mql"] = _rate(out["spend"], out["mqls"])
    for name in COUNT_COLUMNS:
        out[name] = out[name].astype("int64")
    for name in ("spend", "attributed_revenue"):
        out[name] = out[name].astype("float64")
    first = out.columns[0]
    order = [
        first,
        "leads",
        "mqls",
        "mql_sqls",
        "mql_to_sql",
        "accepted",
        "rejected",
        "acceptance",
        "won",
        "lost",
        "win_rate",
        "spend",
        "cost_per_lead",
        "cost_per_mql",
        "attributed_revenue",
        "won_without_amount",
    ]
    out["won_without_amount"] = out["won_without_amount"].astype("int64")
    return out[order]


# Rate -> (the figure of coverage.NEEDS it is, the count columns that go with it)
_RATE_FIGURES = {
    "mql_to_sql": ("mql_to_sql", ("mqls", "mql_sqls")),
    "acceptance": ("mql_acceptance", ("accepted", "rejected")),
    "win_rate": ("win_rate", ("won", "lost")),
}


def _untracked_to_nan(table: pd.DataFrame, tracked) -> pd.DataFrame:
    """NaN for a rate (missing for its counts) whose stages the data set never records."""
    out = table
    for rate, (figure, columns) in _RATE_FIGURES.items():
        if coverage.missing_for(figure, tracked):
            out = out.assign(**{rate: np.nan})
            for column in columns:
                if column != "mqls" or "mql" not in tracked:
                    out = out.assign(**{column: pd.array([pd.NA] * len(out), dtype="Int64")})
    return out


def build_channel_explorer(workbook, **defaults) -> ChannelExplorer:
    """The channel explorer for ``workbook``, its controls set to ``defaults``.

    Parameters
    ----------
    workbook : Workbook
        Loaded data.
    **defaults
        ``team`` (team id or ``"all"``), ``first_quarter`` and ``last_quarter`` (default: the
        four quarters up to the latest complete one), ``level`` (``"channel"`` or
        ``"campaign"``), ``model`` (an attribution model, default ``"linear"``),
        ``export_dir``.

    Returns
    -------
    ChannelExplorer
        ``.widget``, the controls ``.team``, ``.quarters``, ``.level``, ``.model``, the
        ``.table`` shown (one row per channel or campaign, then ``total``), the one
        ``.figure`` and ``.refresh()``.

    Raises
    ------
    ParameterError
        A default that is not in the data (the message lists the choices).
    """
    return ChannelExplorer(workbook, **defaults)
