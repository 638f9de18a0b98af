"""Exercise 2: SLA and funnel what-if, from the team's real baseline (SPEC §5).

Participants move levers (lead volume, SLA compliance, conversion rates, deal size) and see
the projected funnel, pipeline and won revenue against the won-revenue target, and the
reverse waterfall: the volumes each stage needs to reach the target at the chosen rates.

The model (pure functions, tested without widgets)::

    mqls        = leads × lead_to_mql
    mql_to_sql' = max(mql_to_sql + (sla − sla₀) × (sql_rate_in_sla − sql_rate_late), 0)
    sqls        = mqls × mql_to_sql'
    opportunities = sqls × sql_to_opp
    won         = opportunities × win_rate
    revenue     = won × deal_size
    pipeline    = opportunities × opportunity_amount × deal_size / deal_size₀

The baseline stage rates are the quarter's period-view ratios (MQLs / leads, SQLs / MQLs,
opportunities / SQLs, all counted in the quarter), so at the baseline levers the model gives
back the quarter's real volumes up to opportunities; won deals use the win rate of the report
(won / (won + lost) closed in the quarter) and revenue the average won deal. The SLA lever is
tied to conversion by the data: the MQL→SQL rate of the quarter's MQLs first touched within
the SLA minus that of the MQLs touched late (or never, past the SLA). Moving SLA compliance by
Δ adds Δ × that difference × MQLs SQLs (the same number whatever the base ratio).

Data that never records a first touch has no SLA compliance: the SLA lever is then fixed at
0 with no effect (the slider is disabled) and the page says why in one line. Data with no
lost deal has no win rate: the win-rate lever starts at won deals / opportunities created in
the quarter (a period ratio like the others), and the page says so.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..display.widgets import Html, LivePanel, Part, error_html, show, static_html
from ..errors import ParameterError, WorkbookError
from ..metrics import goals
from ..metrics.stats import Rate
from .exercise_summary import ExerciseSummary, roles_apart

EXERCISE = "what_if"
TITLE = "SLA and funnel what-if"
SCENARIO_ITEM = "scenario"

# Lever name -> label; rates are shares (0–1), leads a count, deal_size an amount.
LEVERS = {
    "leads": "Leads",
    "sla_compliance": "SLA compliance",
    "lead_to_mql": "Lead → MQL",
    "mql_to_sql": "SQLs per MQL (at baseline SLA)",
    "sql_to_opp": "SQL → opportunity",
    "win_rate": "Win rate",
    "deal_size": "Average deal size",
}
RATE_LEVERS = ("sla_compliance", "lead_to_mql", "mql_to_sql", "sql_to_opp", "win_rate")
STAGES = {
    "lead": "Leads",
    "mql": "MQLs",
    "sql": "SQLs",
    "opportunity": "Opportunities",
    "won": "Won deals",
    "pipeline": "Pipeline created",
    "revenue": "Won revenue",
}
# Two role medians differing by more than this (rates: in points; others: relative) are
# taken into the debrief.
RATE_TOLERANCE = 0.05
RELATIVE_TOLERANCE = 0.10


@dataclass(frozen=True)
class Baseline:
    """A team's funnel in its latest complete quarter: the levers' starting values.

    Attributes
    ----------
    team, quarter : str
        Team id and the baseline quarter (``2026Q3``).
    target_quarter : str
        Quarter whose won-revenue and pipeline targets the projection is compared with (the
        next quarter when it has targets, else the baseline quarter).
    leads, sla_compliance, lead_to_mql, mql_to_sql, sql_to_opp, win_rate, deal_size : float
        The levers at their real values (see :data:`LEVERS`).
    opportunity_amount : float
        Average amount of the opportunities created (pipeline created / opportunities).
    sql_rate_in_sla, sql_rate_late : Rate
        MQL→SQL of the quarter's MQLs touched within the SLA, and of those touched late or
        never (past the SLA).
    actual : dict
        Real volumes of the quarter (period view: lead, mql, sql, opportunity, won) and
        amounts (pipeline, revenue).
    revenue_target, pipeline_target : float
        Targets of ``target_quarter`` (NaN when the targets table has none).
    currency : str
        Currency of amounts.
    notes : tuple of str
        One ``"Not in this data: …"`` line per lever the data cannot fill (see the module).
    sla_tracked : bool
        Whether the data records first touches; without them the SLA lever does nothing.
    win_rate_tracked : bool
        Whether the data records lost deals; without them ``win_rate`` is won deals /
        opportunities created in the quarter.
    """

    team: str
    quarter: str
    target_quarter: str
    leads: float
    sla_compliance: float
    lead_to_mql: float
    mql_to_sql: float
    sql_to_opp: float
    win_rate: float
    deal_size: float
    opportunity_amount: float
    sql_rate_in_sla: Rate
    sql_rate_late: Rate
    actual: dict[str, float]
    revenue_target: float
    pipeline_target: float
    currency: str = ""
    notes: tuple[str, ...] = ()
    sla_tracked: bool = True
    win_rate_tracked: bool = True

    @property
    def sla_uplift(self) -> float:
        """MQL→SQL gained per point of SLA compliance (in SLA − late); 0 when unknown."""
        uplift = self.sql_rate_in_sla.value - self.sql_rate_late.value
        return 0.0 if np.isnan(uplift) else float(uplift)

    def levers(self) -> dict[str, float]:
        """The levers at their baseline values."""
        return {name: float(getattr(self, name)) for name in LEVERS}


def _nan_to_zero(value: float) -> float:
    return 0.0 if value is None or np.isnan(value) else float(value)


def _ratio(numerator: float, denominator: float) -> float:
    # NaN volumes (a stage the data never records) give 0, like an empty stage.
    if np.isnan(numerator) or np.isnan(denominator) or not denominator:
        return 0.0
    return float(numerator) / float(denominator)


def sla_conversion(view) -> tuple[Rate, Rate]:
    """MQL→SQL of a quarter's MQLs touched within the SLA, and of those late or never touched.

    Each lead counts once, at its first MQL of the quarter; it converted when it has an
    ``sql`` event at or after that MQL and before the data's as-of date (the definition of
    :func:`helpers.metrics.funnel.mql_to_sql`). MQLs still inside their SLA window are left
    out (neither in SLA nor late yet).

    Parameters
    ----------
    view : TeamQuarter
        Team and quarter.

    Returns
    -------
    (Rate, Rate)
        Converted / MQLs, for MQLs in SLA and for MQLs late or untouched past the SLA; both
        0 of 0 when the data set records no first touch (every MQL would read as late).
    """
    if not view.tracks("speed_to_lead"):
        return Rate(0, 0), Rate(0, 0)
    responses = view.quarter_responses().sort_values("mql_at")
    first = responses.drop_duplicates("lead_id", keep="first")
    events = view.tables["lead_events"]
    sqls = events[(events["event"] == "sql") & (events["at"] < view.as_of)]
    merged = first[["lead_id", "mql_at", "status"]].merge(
        sqls[["lead_id", "at"]], on="lead_id", how="left"
    )
    merged["converted"] = merged["at"].notna() & (merged["at"] >= merged["mql_at"])
    converted = merged.groupby("lead_id")["converted"].any()
    status = first.set_index("lead_id")["status"]
    in_sla = status.index[status == "in SLA"]
    late = status.index[status.isin(["late", "untouched, overdue"])]
    return (
        Rate(int(converted.reindex(in_sla).sum()), len(in_sla)),
        Rate(int(converted.reindex(late).sum()), len(late)),
    )


def baseline(view) -> Baseline:
    """The levers' starting values from a team's quarter (usually the latest complete one).

    Parameters
    ----------
    view : TeamQuarter
        ``Workbook.view(team, quarter)``.

    Returns
    -------
    Baseline
        Stage rates are period-view ratios (a ratio with nothing below it is 0). Without
        first touches in the data the SLA lever is 0 and inert; without lost deals the win
        rate is won / opportunities created in the quarter (``notes`` says so).
    """
    volumes = view.stage_volumes().set_index("stage")["volume"]
    speed, win = view.speed_to_lead(), view.win_rate()
    notes = []
    if speed is None:
        notes.append(sla_note(view))
    if win is None:
        notes.append(win_rate_note(view))
    win_rate = (
        _ratio(volumes["won"], volumes["opportunity"]) if win is None else _nan_to_zero(win.value)
    )
    created = view.pipeline_created().set_index("source_type")
    won = view.won_revenue().set_index("source_type")["amount"]
    opportunities = float(created.loc["total", "opportunities"])
    # The average opportunity is that of the deals with an amount (a blank is unknown, not 0).
    with_amount = opportunities - float(created.loc["total", "missing_amount"])
    pipeline = float(created.loc["total", "amount"])
    if with_amount < opportunities:
        notes.append(
            f"{opportunities - with_amount:,.0f} of {opportunities:,.0f} opportunities have no "
            "amount: the average opportunity is that of the others"
            + (
                ", so projected pipeline cannot be measured (it shows 0)."
                if with_amount == 0
                else "."
            )
        )
    in_sla, late = sla_conversion(view)
    target_view = view.shift(1)
    revenue_target = target_view.target("won_revenue")
    target_quarter = str(target_view.quarter)
    if np.isnan(revenue_target):
        target_view = view
        revenue_target = view.target("won_revenue")
        target_quarter = str(view.quarter)
    return Baseline(
        team=view.team,
        quarter=str(view.quarter),
        target_quarter=target_quarter,
        leads=float(volumes["lead"]),
        sla_compliance=0.0 if speed is None else _nan_to_zero(speed["sla_compliance"].value),
        lead_to_mql=_ratio(volumes["mql"], volumes["lead"]),
        mql_to_sql=_ratio(volumes["sql"], volumes["mql"]),
        sql_to_opp=_ratio(volumes["opportunity"], volumes["sql"]),
        win_rate=win_rate,
        deal_size=_nan_to_zero(view.deal_metrics()["average_deal_size"]),
        opportunity_amount=_nan_to_zero(pipeline / with_amount) if with_amount else 0.0,
        sql_rate_in_sla=in_sla,
        sql_rate_late=late,
        actual={
            **{stage: float(volumes[stage]) for stage in ("lead", "mql", "sql", "opportunity")},
            "won": float(volumes["won"]),
            "pipeline": pipeline,
            "revenue": float(won["total"]),
        },
        revenue_target=revenue_target,
        pipeline_target=target_view.target("pipeline_created"),
        currency=view.workbook.dataset.config.currency,
        notes=tuple(notes),
        sla_tracked=speed is not None,
        win_rate_tracked=win is not None,
    )


def sla_note(view) -> str:
    """The line for data without first touches: the SLA lever is disabled, and why."""
    missing = view.not_in_data("speed_to_lead") or ""
    return (
        missing.removesuffix(".")
        + "; the SLA slider is disabled, and SLA compliance cannot move MQL → SQL."
    )


def win_rate_note(view) -> str:
    """The line for data without lost deals: where the win-rate lever starts instead."""
    missing = view.not_in_data("win_rate") or ""
    return (
        missing.removesuffix(".")
        + "; the win-rate lever starts at won deals / opportunities created in the quarter."
    )


def levers_with(base: Baseline, **levers: float) -> dict[str, float]:
    """The baseline's levers with some of them changed.

    Raises
    ------
    ParameterError
        For a lever name not in :data:`LEVERS`, or a negative value.
    """
    unknown = sorted(set(levers) - set(LEVERS))
    if unknown:
        raise ParameterError(
            f"Unknown lever(s) {', '.join(unknown)}. Fix: use {', '.join(LEVERS)}."
        )
    chosen = base.levers()
    for name, value in levers.items():
        if value is None:
            continue
        if not value >= 0:
            raise ParameterError(f"Lever {name} must be 0 or more (got {value!r}).")
        chosen[name] = float(value)
    return chosen


def effective_mql_to_sql(base: Baseline, mql_to_sql: float, sla_compliance: float) -> float:
    """SQLs per MQL at a given SLA compliance: ``max(r + (s − s₀) × uplift, 0)``."""
    shifted = mql_to_sql + (sla_compliance - base.sla_compliance) * base.sla_uplift
    return float(max(shifted, 0.0))


def _volumes(base: Baseline, lv: dict[str, float]) -> dict[str, float]:
    mqls = lv["leads"] * lv["lead_to_mql"]
    sqls = mqls * effective_mql_to_sql(base, lv["mql_to_sql"], lv["sla_compliance"])
    opportunities = sqls * lv["sql_to_opp"]
    won = opportunities * lv["win_rate"]
    scale = lv["deal_size"] / base.deal_size if base.deal_size else 1.0
    return {
        "lead": lv["leads"],
        "mql": mqls,
        "sql": sqls,
        "opportunity": opportunities,
        "won": won,
        "pipeline": opportunities * base.opportunity_amount * scale,
        "revenue": won * lv["deal_size"],
    }


def project(base: Baseline, **levers: float) -> pd.DataFrame:
    """Projected funnel, pipeline and won revenue for the chosen levers.

    Parameters
    ----------
    base : Baseline
        Starting point (see :func:`baseline`).
    **levers : float
        Any of :data:`LEVERS`; the others stay at their baseline values.

    Returns
    -------
    DataFrame
        One row per stage (lead, mql, sql, opportunity, won, pipeline, revenue) with columns
        stage, label, actual (the quarter's real figure), baseline (the model at the baseline
        levers), projected, change (projected − baseline), target (pipeline and revenue
        only), attainment (projected / target). Volumes are expected values, not rounded.

    Examples
    --------
    With 100 leads, all rates 0.5, SLA uplift 0 and deal size 1 000: 100 → 50 → 25 → 12.5 →
    6.25 won deals → 6 250 revenue.
    """
    chosen = levers_with(base, **levers)
    start = _volumes(base, base.levers())
    now = _volumes(base, chosen)
    targets = {"pipeline": base.pipeline_target, "revenue": base.revenue_target}
    rows = []
    for stage, label in STAGES.items():
        target = targets.get(stage, np.nan)
        rows.append(
            {
                "stage": stage,
                "label": label,
                "actual": base.actual.get(stage, np.nan),
                "baseline": start[stage],
                "projected": now[stage],
                "change": now[stage] - start[stage],
                "target": target,
                "attainment": now[stage] / target if target and not np.isnan(target) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def waterfall(base: Baseline, **levers: float) -> pd.DataFrame:
    """Volumes needed at each stage to reach the won-revenue target at the chosen rates.

    Uses :func:`helpers.metrics.goals.reverse_waterfall` with the chosen deal size and rates
    (MQL→SQL as moved by the SLA lever); ``current`` is the baseline quarter's real volumes.

    Returns
    -------
    DataFrame
        As :func:`~helpers.metrics.goals.reverse_waterfall` (stage, label, conversion, needed,
        current, gap), plus ``projected``: the volume the chosen levers give at that stage.
    """
    lv = levers_with(base, **levers)
    target = 0.0 if np.isnan(base.revenue_target) else base.revenue_target
    table = goals.reverse_waterfall(
        target,
        lv["deal_size"],
        lv["win_rate"],
        lv["sql_to_opp"],
        effective_mql_to_sql(base, lv["mql_to_sql"], lv["sla_compliance"]),
        lv["lead_to_mql"],
        {stage: base.actual[stage] for stage in ("won", "opportunity", "sql", "mql", "lead")},
    )
    if np.isnan(base.revenue_target):
        table["needed"] = np.nan
        table["gap"] = np.nan
    projected = _volumes(base, lv)
    table["projected"] = table["stage"].map(projected)
    return table


# --- presentation ------------------------------------------------------------------------


def _amount(value: float, currency: str = "") -> str:
    if value is None or np.isnan(value):
        return "–"
    return f"{value:,.0f} {currency}".strip()


def _count(value: float) -> str:
    return "–" if value is None or np.isnan(value) else f"{value:,.1f}".removesuffix(".0")


def _percent(value: float) -> str:
    return "–" if value is None or np.isnan(value) else f"{value:.1%}"


def _format(stage_or_lever: str, value: float, currency: str = "") -> str:
    if stage_or_lever in RATE_LEVERS or stage_or_lever == "attainment":
        return _percent(value)
    if stage_or_lever in ("pipeline", "revenue", "deal_size"):
        return _amount(value, currency)
    return _count(value)


def baseline_table(base: Baseline) -> pd.DataFrame:
    """The levers at their baseline values, formatted for a page (lever, value, source)."""
    sla_source = (
        "MQLs first touched within the SLA"
        if base.sla_tracked
        else "not in this data: no first_touch events"
    )
    sources = {
        "leads": f"leads created in {base.quarter}",
        "sla_compliance": sla_source,
        "lead_to_mql": "MQLs / leads in the quarter",
        "mql_to_sql": "SQLs / MQLs in the quarter",
        "sql_to_opp": "opportunities created / SQLs in the quarter",
        "win_rate": "won / (won + lost) closed in the quarter"
        if base.win_rate_tracked
        else "won deals / opportunities created in the quarter (no lost deals in this data)",
        "deal_size": "average won deal",
    }
    rows = [
        {
            "lever": label,
            "baseline": _format(name, getattr(base, name), base.currency)
            if name != "sla_compliance" or base.sla_tracked
            else "n/a",
            "source": sources[name],
        }
        for name, label in LEVERS.items()
    ]
    if not base.sla_tracked:  # no first touches: no in-SLA / late split to show
        return pd.DataFrame(rows)
    rows.append(
        {
            "lever": "MQL → SQL of MQLs touched within SLA / late",
            "baseline": f"{base.sql_rate_in_sla} / {base.sql_rate_late}",
            "source": "each point of SLA compliance moves MQL → SQL by "
            f"{base.sla_uplift:+.2f} points",
        }
    )
    return pd.DataFrame(rows)


def projection_table(table: pd.DataFrame, currency: str = "") -> pd.DataFrame:
    """A :func:`project` result formatted for a page."""
    shown = pd.DataFrame({"": table["label"]})
    for column in ("actual", "baseline", "projected", "change", "target"):
        shown[column] = [
            _format(stage, value, currency)
            for stage, value in zip(table["stage"], table[column], strict=True)
        ]
    shown["attainment"] = table["attainment"].map(_percent)
    return shown


def waterfall_table(table: pd.DataFrame) -> pd.DataFrame:
    """A :func:`waterfall` result formatted for a page."""
    return pd.DataFrame(
        {
            "stage": table["label"],
            "conversion to next": table["conversion"].map(_percent),
            "needed": table["needed"].map(_count),
            "at your levers": table["projected"].map(_count),
            "baseline quarter": table["current"].map(_count),
            "gap to baseline": table["gap"].map(_count),
        }
    )


def projection_figure(base: Baseline, projection: pd.DataFrame, needed: pd.DataFrame):
    """Two panels: pipeline and revenue vs target; stage volumes needed vs projected."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 3.6))
    left, right = figure.subplots(1, 2)
    money = projection.set_index("stage").loc[["pipeline", "revenue"]]
    x = np.arange(len(money))
    left.bar(x - 0.2, money["baseline"], width=0.4, label="baseline", color="#9aa5b1")
    left.bar(x + 0.2, money["projected"], width=0.4, label="your levers", color="#2f6fb0")
    label = "target"
    for i, target in enumerate(money["target"]):
        if not np.isnan(target):
            left.hlines(target, i - 0.45, i + 0.45, colors="#b00020", linestyles="--", label=label)
            label = None
    left.set_xticks(x, list(money["label"]))
    left.set_title(f"Projected vs target ({base.target_quarter})")
    left.set_ylabel(base.currency or "amount")
    left.legend(fontsize=8)
    stages = needed.iloc[::-1]
    y = np.arange(len(stages))
    right.barh(y + 0.2, stages["needed"].fillna(0), height=0.4, label="needed", color="#b00020")
    right.barh(y - 0.2, stages["projected"], height=0.4, label="your levers", color="#2f6fb0")
    right.set_yticks(y, list(stages["label"]))
    right.set_xscale("symlog")
    right.set_title("Reverse waterfall: volumes needed")
    right.legend(fontsize=8)
    figure.tight_layout()
    return figure


def scenario_answer(base: Baseline, **levers: float) -> dict[str, Any]:
    """What "save my scenario" stores: the levers and the projected pipeline and revenue."""
    chosen = levers_with(base, **levers)
    result = project(base, **chosen).set_index("stage")
    return {
        **{name: round(value, 6) for name, value in chosen.items()},
        "baseline_quarter": base.quarter,
        "target_quarter": base.target_quarter,
        "projected_pipeline": round(float(result.loc["pipeline", "projected"]), 2),
        "projected_revenue": round(float(result.loc["revenue", "projected"]), 2),
        "revenue_target": None if np.isnan(base.revenue_target) else base.revenue_target,
    }


def scenarios(answers: pd.DataFrame) -> pd.DataFrame:
    """Saved scenarios, one row per participant: name, role, the levers and projections."""
    saved = answers[answers["item"] == SCENARIO_ITEM] if len(answers) else answers
    rows = []
    for record in saved.itertuples(index=False):
        answer = record.answer if isinstance(record.answer, dict) else {}
        row = {"name": record.name, "role": record.role}
        for key in (*LEVERS, "projected_pipeline", "projected_revenue"):
            value = answer.get(key)
            row[key] = float(value) if isinstance(value, int | float) else np.nan
        rows.append(row)
    columns = ["name", "role", *LEVERS, "projected_pipeline", "projected_revenue"]
    return pd.DataFrame(rows, columns=columns)


def role_medians(table: pd.DataFrame) -> pd.DataFrame:
    """Median of each lever and projection per role (rows: roles with a saved scenario)."""
    numeric = [c for c in table.columns if c not in ("name", "role")]
    if not len(table):
        return pd.DataFrame(columns=["role", "scenarios", *numeric])
    grouped = table.groupby("role")
    medians = grouped[numeric].median()
    medians.insert(0, "scenarios", grouped.size())
    return medians.reset_index()


def lever_disagreements(medians: pd.DataFrame) -> pd.DataFrame:
    """Levers where the sales and marketing medians differ by more than the tolerance."""
    rows = []
    by_role = medians.set_index("role") if len(medians) else medians
    if {"sales", "marketing"} <= set(by_role.index):
        for name, label in LEVERS.items():
            sales, marketing = by_role.loc["sales", name], by_role.loc["marketing", name]
            if np.isnan(sales) or np.isnan(marketing):
                continue
            apart = roles_apart(
                sales,
                marketing,
                is_rate=name in RATE_LEVERS,
                rate_tolerance=RATE_TOLERANCE,
                relative_tolerance=RELATIVE_TOLERANCE,
            )
            if apart:
                rows.append(
                    {
                        "item": label,
                        "detail": f"sales assume {_format(name, sales)}, marketing "
                        f"{_format(name, marketing)}",
                    }
                )
    return pd.DataFrame(rows, columns=["item", "detail"])


def _scenario_display(table: pd.DataFrame, currency: str) -> pd.DataFrame:
    shown = table[["name", "role"]].copy()
    for name, label in LEVERS.items():
        shown[label] = [_format(name, v, currency) for v in table[name]]
    shown["Projected pipeline"] = [_amount(v, currency) for v in table["projected_pipeline"]]
    shown["Projected revenue"] = [_amount(v, currency) for v in table["projected_revenue"]]
    return shown


def _role_display(medians: pd.DataFrame, currency: str) -> pd.DataFrame:
    shown = medians[["role", "scenarios"]].copy()
    for name, label in LEVERS.items():
        shown[label] = [_format(name, v, currency) for v in medians[name]]
    shown["Projected revenue"] = [_amount(v, currency) for v in medians["projected_revenue"]]
    return shown


def summarise(workshop, team: str) -> ExerciseSummary:
    """Scenarios saved by one team's participants, with the medians per role.

    Works with zero answers (headline says so). ``figures``: ``scenarios`` (count),
    ``baseline_quarter``, ``target_quarter``, ``revenue_target``, ``baseline_revenue`` (the
    model at the baseline levers), ``median_revenue`` (role → median projected revenue).
    """
    view = workshop.workbook().view(team, workshop.workbook().dataset.latest_complete_quarter)
    base = baseline(view)
    answers = workshop.answers(EXERCISE, team=team)
    table = scenarios(answers)
    medians = role_medians(table)
    start = project(base).set_index("stage").loc["revenue", "baseline"]
    median_revenue = (
        dict(zip(medians["role"], medians["projected_revenue"], strict=True))
        if len(medians)
        else {}
    )
    if not len(table):
        headline = (
            f"No scenarios saved yet for {team}. At the baseline levers of {base.quarter} the "
            f"model projects {_amount(start, base.currency)} won revenue against a target of "
            f"{_amount(base.revenue_target, base.currency)}."
        )
    else:
        parts = ", ".join(
            f"{role} {_amount(value, base.currency)}" for role, value in median_revenue.items()
        )
        headline = (
            f"{len(table)} scenario(s) saved for {team}; median projected won revenue: {parts} "
            f"(target {_amount(base.revenue_target, base.currency)}, baseline "
            f"{_amount(start, base.currency)})."
        )
    parts_out: list[Part] = [
        Html(f"<h4>Baseline {html.escape(base.quarter)} ({html.escape(team)})</h4>"),
        *base.notes,
        baseline_table(base),
    ]
    if len(table):
        parts_out += [
            Html("<h4>Medians per role</h4>"),
            _role_display(medians, base.currency),
            Html("<h4>Scenarios</h4>"),
            _scenario_display(table, base.currency),
        ]
    return ExerciseSummary(
        exercise=EXERCISE,
        title=TITLE,
        headline=headline,
        participants=int(answers["participant_id"].nunique()) if len(answers) else 0,
        parts=parts_out,
        disagreements=lever_disagreements(medians),
        figures={
            "scenarios": len(table),
            "baseline_quarter": base.quarter,
            "target_quarter": base.target_quarter,
            "revenue_target": base.revenue_target,
            "baseline_revenue": float(start),
            "median_revenue": median_revenue,
        },
    )


# --- widgets -----------------------------------------------------------------------------


class WhatIfExercise:
    """Sliders from the team's baseline → projection, reverse waterfall, "save my scenario".

    Parameters
    ----------
    workshop : Workshop
        Session and participant; the team is the participant's (else the session's first),
        and the baseline is its latest complete quarter. Saving is disabled until joined.
    """

    def __init__(self, workshop) -> None:
        import ipywidgets as widgets

        self.workshop = workshop
        self.base = self._baseline(workshop.team())
        self.sliders: dict[str, Any] = {}
        self.reset_button = widgets.Button(description="Reset to baseline", icon="undo")
        self.save_button = widgets.Button(
            description="Save my scenario", button_style="primary", icon="save", disabled=True
        )
        self.status = widgets.HTML("Join above to save your scenario.")
        self.heading = widgets.HTML()
        self.result = widgets.HTML()
        self.slider_box = widgets.VBox()
        self._build_sliders()
        self.reset_button.on_click(lambda _: self.reset())
        self.save_button.on_click(lambda _: self.save())
        self.widget = widgets.VBox(
            [
                self.heading,
                self.slider_box,
                widgets.HBox([self.reset_button, self.save_button]),
                self.status,
                self.result,
            ]
        )
        self.update()
        workshop.on_join(self._joined)

    def _baseline(self, team: str) -> Baseline:
        """The team's baseline: the same for everyone, computed once per session."""

        def compute() -> Baseline:
            workbook = self.workshop.workbook()
            return baseline(workbook.view(team, workbook.dataset.latest_complete_quarter))

        return self.workshop.material(("what_if", team), compute)

    def _build_sliders(self) -> None:
        import ipywidgets as widgets

        base = self.base
        style = {"description_width": "220px"}
        layout = widgets.Layout(width="560px")
        sliders = {
            "leads": widgets.IntSlider(
                value=int(round(base.leads)), min=0, max=max(10, int(base.leads * 3)), step=1
            ),
            "deal_size": widgets.FloatSlider(
                value=base.deal_size,
                min=0,
                max=max(1.0, base.deal_size * 3),
                step=max(1.0, round(base.deal_size / 100, 0)),
                readout_format=",.0f",
            ),
        }
        for name in RATE_LEVERS:
            top = max(1.0, round(getattr(base, name) * 1.5, 2))
            sliders[name] = widgets.FloatSlider(
                value=min(getattr(base, name), top),
                min=0.0,
                max=top,
                step=0.005,
                readout_format=".1%",
            )
        self.sliders = {}
        for name, label in LEVERS.items():
            slider = sliders[name]
            slider.description = label
            slider.style = style
            slider.layout = layout
            slider.continuous_update = False
            slider.observe(lambda _change: self.update(), names="value")
            self.sliders[name] = slider
        self.slider_box.children = [self.sliders[name] for name in LEVERS]
        # Without first touches in the data SLA compliance is unknown and moves nothing.
        self.sliders["sla_compliance"].disabled = not base.sla_tracked
        sla_text = (
            f" Moving SLA compliance moves MQL → SQL by {base.sla_uplift:+.2f} points per point "
            f"(MQLs touched in SLA convert at {html.escape(str(base.sql_rate_in_sla))}, late "
            f"ones at {html.escape(str(base.sql_rate_late))})."
            if base.sla_tracked
            else ""
        )
        notes = "".join(f"<p>{html.escape(note)}</p>" for note in base.notes)
        self.heading.value = (
            f"<p><b>Team {html.escape(base.team)}</b>: baseline {html.escape(base.quarter)}, "
            f"target {html.escape(base.target_quarter)} won revenue "
            f"{html.escape(_amount(base.revenue_target, base.currency))}.{sla_text}</p>{notes}"
        )

    def _joined(self, participant) -> None:
        if participant.team and participant.team != self.base.team:
            self.base = self._baseline(participant.team)
            self._build_sliders()
        mine = self.workshop.my_answers(EXERCISE).get(SCENARIO_ITEM)
        if isinstance(mine, dict) and mine.get("baseline_quarter") == self.base.quarter:
            self.set_levers(**{k: mine[k] for k in LEVERS if isinstance(mine.get(k), int | float)})
        self.save_button.disabled = False
        self.status.value = "Move the sliders, then save your scenario."
        self.update()

    def levers(self) -> dict[str, float]:
        """The sliders' current values."""
        return {name: float(slider.value) for name, slider in self.sliders.items()}

    def set_levers(self, **levers: float) -> None:
        """Move sliders (e.g. to a saved scenario); the projection follows."""
        for name, value in levers.items():
            self.sliders[name].value = int(round(value)) if name == "leads" else float(value)

    def reset(self) -> None:
        """All sliders back to the baseline."""
        self.set_levers(**self.base.levers())

    def projection(self) -> pd.DataFrame:
        """The projection at the sliders' values (see :func:`project`)."""
        return project(self.base, **self.levers())

    def waterfall(self) -> pd.DataFrame:
        """The reverse waterfall at the sliders' values (see :func:`waterfall`)."""
        return waterfall(self.base, **self.levers())

    def parts(self) -> list[Part]:
        """Projection table, reverse waterfall table and chart at the current levers."""
        projection = self.projection()
        needed = self.waterfall()
        revenue = projection.set_index("stage").loc["revenue"]
        line = (
            f"Projected won revenue {_amount(revenue['projected'], self.base.currency)} vs "
            f"target {_amount(revenue['target'], self.base.currency)} "
            f"({_percent(revenue['attainment'])} of target)."
        )
        return [
            Html(f"<p><b>{html.escape(line)}</b></p>"),
            projection_table(projection, self.base.currency),
            Html("<h4>Reverse waterfall: what each stage needs at your rates</h4>"),
            waterfall_table(needed),
            projection_figure(self.base, projection, needed),
        ]

    def update(self) -> None:
        """Recompute and redraw the results for the current sliders.

        The same levers give the same page for everyone (at the baseline, all of the room),
        so the drawing is shared material.
        """
        key = ("what_if", self.base.team, tuple(sorted(self.levers().items())))
        self.result.value = self.workshop.material(key, lambda: static_html(self.parts()))

    def save(self) -> dict[str, Any] | None:
        """Record the current levers and projections as this participant's scenario."""
        try:
            answer = scenario_answer(self.base, **self.levers())
            self.workshop.record(EXERCISE, SCENARIO_ITEM, answer)
        except WorkbookError as err:
            self.status.value = error_html(err)
            return None
        self.status.value = (
            "Scenario saved: projected won revenue "
            f"{html.escape(_amount(answer['projected_revenue'], self.base.currency))}."
        )
        return answer

    def display(self) -> None:
        """Show the sliders; a static page shows the baseline and the projection at baseline."""
        fallback = [
            Html(
                f"<h4>Baseline {html.escape(self.base.quarter)} "
                f"(team {html.escape(self.base.team)})</h4>"
            ),
            *self.base.notes,
            baseline_table(self.base),
            *self.parts(),
        ]
        show(self.widget, fallback)

    def results_panel(self) -> LivePanel:
        """Scenarios saved so far by the team, medians per role (refresh to update)."""
        workshop = self.workshop

        def render() -> list[Part]:
            team = self.base.team
            parts = workshop.results_html(
                EXERCISE, team, lambda: summarise(workshop, team).page_parts()
            )
            return [Html(parts)]

        return LivePanel(render)
