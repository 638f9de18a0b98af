"""Goals: actual vs target with RAG status, the alignment index and the reverse waterfall.

SPEC section 3 ("Goals"). Every function is pure: numbers and tables in, a table or a small
result object out.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.schema import TARGET_BASES
from ..data.stages import STAGE_LABELS
from ..errors import ParameterError

DIRECTIONS = ("higher", "lower")
STATUSES = ("green", "amber", "red", "none")
ALL_TEAMS_TARGET = "*"

# Alignment-index components (the keys of ``[alignment_weights]`` in workbook.toml).
COMPONENTS = (
    "sla_compliance",
    "mql_acceptance",
    "feedback_coverage",
    "mql_to_sql",
    "marketing_pipeline_share",
)
COMPONENT_LABELS = {
    "sla_compliance": "SLA compliance",
    "mql_acceptance": "MQL acceptance",
    "feedback_coverage": "Feedback coverage",
    "mql_to_sql": "MQL→SQL conversion",
    "marketing_pipeline_share": "Marketing-sourced pipeline share",
}

# Reverse waterfall: stages from the revenue end back to the top of the funnel.
WATERFALL_STAGES = ("won", "opportunity", "sql", "mql", "lead")
# The funnel's stage labels, but a count of won deals is "Won deals", not "Won".
WATERFALL_LABELS = {**{s: STAGE_LABELS[s] for s in WATERFALL_STAGES}, "won": "Won deals"}
_CEIL_DECIMALS = 9  # 80 / 0.2 = 400.00000000000006 must need 400, not 401


def _missing(value) -> bool:
    return value is None or bool(np.ndim(value) == 0 and pd.isna(value))


def _whole_at_least_one(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _check_direction(direction: str, metric: str | None = None) -> None:
    if direction not in DIRECTIONS:
        where = f" for metric {metric!r}" if metric else ""
        raise ParameterError(
            f"direction{where} is {direction!r}; use 'higher' (higher is better) or 'lower' "
            "(lower is better, e.g. CAC)."
        )


def _check_thresholds(green: float, amber: float) -> None:
    if amber > green:
        raise ParameterError(
            f"RAG thresholds: amber ({amber:g}) is above green ({green:g}); set amber to at most "
            "green in workbook.toml under [rag]."
        )


def rag_status(
    actual: float | None,
    target: float | None,
    direction: str = "higher",
    green: float = 1.0,
    amber: float = 0.9,
) -> tuple[float, str]:
    """Attainment of a target and its RAG status.

    attainment = actual / target when higher is better;
    attainment = target / actual when lower is better (e.g. CAC: half the target cost is an
    attainment of 2). Status is ``green`` if attainment ≥ ``green``, ``amber`` if ≥ ``amber``,
    else ``red``.

    Edge cases, where the ratio is undefined:

    - no target (None or NaN), no actual, or a negative target: ``(nan, "none")``;
    - higher is better, target 0: attainment 1 if actual is 0 (met exactly), +inf if actual
      is above 0 (green), −inf if below (red);
    - lower is better, actual 0 or below: +inf (green) for a target above 0, 1 for a target of
      0 when actual is 0; lower is better with target 0 and actual above 0 gives 0 (red).

    Parameters
    ----------
    actual, target : float or None
        The metric's value and its target.
    direction : {"higher", "lower"}
        Which way is better.
    green, amber : float
        Attainment thresholds (``Config.rag_green``, ``Config.rag_amber``); amber ≤ green.

    Returns
    -------
    tuple of (float, str)
        Attainment and one of ``"green"``, ``"amber"``, ``"red"``, ``"none"``.

    Raises
    ------
    ParameterError
        For a direction other than ``"higher"``/``"lower"`` or amber above green.

    Examples
    --------
    >>> rag_status(95, 100, "higher")
    (0.95, 'amber')
    >>> rag_status(400, 500, "lower")  # CAC 400 against a target of 500
    (1.25, 'green')
    >>> rag_status(3, None, "higher")
    (nan, 'none')
    """
    _check_direction(direction)
    _check_thresholds(green, amber)
    if _missing(actual) or _missing(target) or target < 0:
        return math.nan, "none"
    actual, target = float(actual), float(target)
    if direction == "higher":
        if target > 0:
            attainment = actual / target
        else:
            attainment = 1.0 if actual == 0 else math.copysign(math.inf, actual)
    elif actual > 0:
        attainment = target / actual
    else:
        attainment = 1.0 if actual == 0 and target == 0 else math.inf
    if attainment >= green:
        status = "green"
    elif attainment >= amber:
        status = "amber"
    else:
        status = "red"
    return attainment, status


TargetRow = tuple[float, str, str]
"""A target as written: (the number, NaN when blank; its basis; the team of its row)."""


@dataclass(frozen=True)
class TargetIndex:
    """The ``targets`` table read once (:func:`target_index`), looked up by :func:`pick_targets`.

    ``rows`` maps quarter → team of the row (``*``, ``all`` or a team id) → metric → its
    :data:`TargetRow`; ``repeated`` maps (quarter, team) → a metric written twice for them.
    """

    rows: dict[str, dict[str, dict[str, TargetRow]]]
    repeated: dict[tuple[str, str], str]


def target_index(targets: pd.DataFrame | None) -> TargetIndex:
    """The ``targets`` table read once, so that a team-quarter's lookup does not filter it again.

    Built once per data set (``Workbook.target_index``); :func:`pick_targets` reads it.

    Parameters
    ----------
    targets : DataFrame or None
        Canonical ``targets`` (team, quarter, metric, target, optional basis); None when absent.

    Returns
    -------
    TargetIndex
        Each row as (target as written, basis, team): NaN for a blank target; basis
        ``absolute`` when the table has no basis column or the cell is blank. A repeated
        (team, quarter, metric) is noted, and refused only when that team-quarter is asked for.
    """
    rows: dict[str, dict[str, dict[str, TargetRow]]] = {}
    repeated: dict[tuple[str, str], str] = {}
    if targets is None or targets.empty:
        return TargetIndex(rows, repeated)
    if "basis" in targets.columns:
        basis = [
            BASIS_ABSOLUTE if _missing(b) or not str(b).strip() else str(b).strip()
            for b in targets["basis"].astype("object")
        ]
    else:
        basis = [BASIS_ABSOLUTE] * len(targets)
    columns = (targets[c].astype("object") for c in ("quarter", "team", "metric", "target"))
    for quarter, who, metric, value, how in zip(*columns, basis, strict=True):
        quarter, who, metric = str(quarter), str(who), str(metric)
        own = rows.setdefault(quarter, {}).setdefault(who, {})
        if metric in own:
            repeated.setdefault((quarter, who), metric)
        number = float(value) if not _missing(value) else math.nan
        own[metric] = (number, how, who)
    return TargetIndex(rows, repeated)


def pick_targets(index: TargetIndex, team: str, quarter: str) -> dict[str, TargetRow]:
    """Every metric's target row for ``team`` in ``quarter``: the team's own row, else ``*``.

    ``index`` is :func:`target_index`; ``all`` (the company) matches ``all`` rows, else
    ``*`` rows. See :func:`target_rows`.

    Raises
    ------
    ParameterError
        If ``(team, quarter, metric)`` is not unique for the rows it reads.
    """
    quarter = str(quarter)
    by_team = index.rows.get(quarter, {})
    chosen: dict[str, TargetRow] = {}
    for who in (ALL_TEAMS_TARGET, team):  # "*" first: the team's own row overrides it
        metric = index.repeated.get((quarter, who))
        if metric is not None:
            raise ParameterError(
                f"targets: more than one row for team {who!r}, quarter {quarter}, metric "
                f"{metric!r}. Fix: keep one row per team, quarter and metric."
            )
        chosen.update(by_team.get(who, {}))
    return chosen


def target_rows(targets: pd.DataFrame | None, team: str, quarter: str) -> dict[str, TargetRow]:
    """Every metric's target row for ``team`` in ``quarter``: the team's own row, else ``*``.

    This is the one lookup of the ``targets`` table: reports, ``workbook metrics``, talking
    points and the exercises all read targets through it (via :func:`targets_for`,
    :func:`target_for` or ``TeamQuarter.target``, which reads the workbook's
    :func:`target_index` with :func:`pick_targets` and adds the roll-up of team targets for
    the company and the targets relative to an earlier quarter).

    Parameters
    ----------
    targets : DataFrame or None
        Canonical ``targets`` (team, quarter, metric, target, optional basis); None when absent.
    team : str
        Team id; ``all`` (the company) matches ``all`` rows, else ``*`` rows.
    quarter : str or Quarter
        Fiscal quarter as written in ``targets`` (``2026Q3``).

    Returns
    -------
    dict of tuple
        Metric → (target as written, basis, the row's team): NaN for a blank target;
        basis ``absolute`` when the table has no basis column or the cell is blank.

    Raises
    ------
    ParameterError
        If ``(team, quarter, metric)`` is not unique (validation refuses such a table).
    """
    return pick_targets(target_index(targets), team, quarter)


def targets_for(targets: pd.DataFrame | None, team: str, quarter: str) -> dict[str, float]:
    """Every metric's target for ``team`` in ``quarter``: the team's own row, else the ``*`` row.

    The values as written (see :func:`target_rows`, the one lookup; a relative row's value
    is its change, which ``TeamQuarter.target`` turns into the target it implies).

    Parameters
    ----------
    targets : DataFrame or None
        Canonical ``targets`` (team, quarter, metric, target); None when absent.
    team : str
        Team id; ``all`` (the company) matches ``all`` rows, else ``*`` rows.
    quarter : str or Quarter
        Fiscal quarter as written in ``targets`` (``2026Q3``).

    Returns
    -------
    dict of float
        Metric → target (NaN for a row whose target is blank).

    Raises
    ------
    ParameterError
        If ``(team, quarter, metric)`` is not unique (validation refuses such a table).

    Examples
    --------
    >>> t = pd.DataFrame({"team": ["*", "na-smb"], "quarter": ["2026Q3"] * 2,
    ...                   "metric": ["mqls"] * 2, "target": [100.0, 80.0]})
    >>> targets_for(t, "na-smb", "2026Q3"), targets_for(t, "emea-ent", "2026Q3")
    ({'mqls': 80.0}, {'mqls': 100.0})
    """
    return {metric: row[0] for metric, row in target_rows(targets, team, quarter).items()}


def target_for(targets: pd.DataFrame | None, team: str, quarter: str, metric: str) -> float:
    """The target of one ``metric`` (see :func:`targets_for`); NaN when there is none."""
    return targets_for(targets, team, quarter).get(metric, math.nan)


# --- company targets rolled up from team targets ------------------------------------------------

ROLL_UP_SUM = "sum"
ROLL_UP_WEIGHTED = "weighted"
ROLL_UP_BOUND = "bound"
ROLL_UPS = (ROLL_UP_SUM, ROLL_UP_WEIGHTED, ROLL_UP_BOUND)

ROLL_UP: dict[str, str] = {
    # volumes: the company's volume is the sum of the teams'
    "mqls": ROLL_UP_SUM,
    "pipeline_created": ROLL_UP_SUM,
    "won_revenue": ROLL_UP_SUM,
    "won_deals": ROLL_UP_SUM,
    # rates and ratios: numerator / base, the base summed over the teams
    "sla_compliance": ROLL_UP_WEIGHTED,
    "mql_acceptance": ROLL_UP_WEIGHTED,
    "mql_to_sql": ROLL_UP_WEIGHTED,
    "win_rate": ROLL_UP_WEIGHTED,
    "cac": ROLL_UP_WEIGHTED,
    "feedback_coverage": ROLL_UP_WEIGHTED,
    "marketing_pipeline_share": ROLL_UP_WEIGHTED,
    "lead_to_customer": ROLL_UP_WEIGHTED,
    "bookings_growth": ROLL_UP_WEIGHTED,
    "customer_retention": ROLL_UP_WEIGHTED,
    "marketing_roi": ROLL_UP_WEIGHTED,
    # a median does not add up
    "speed_to_lead_hours": ROLL_UP_BOUND,
}
"""How each metric's company target is rolled up from the team targets (see
:func:`roll_up_target`); the definitions appendix prints the rule (``company_targets``)."""

ROLL_UP_BASES: dict[str, str] = {
    "sla_compliance": "MQLs whose SLA window closed",
    "mql_acceptance": "MQLs accepted or rejected",
    "mql_to_sql": "MQLs",
    "win_rate": "opportunities closed won or lost",
    "cac": "new customers",
    "feedback_coverage": "MQLs",
    "marketing_pipeline_share": "pipeline created",
    "lead_to_customer": "leads created",
    "bookings_growth": "bookings of the same quarter last year",
    "customer_retention": "accounts paying when the quarter began",
    "marketing_roi": "marketing spend",
}
"""The base (denominator) each weighted roll-up weighs the team targets by."""


def roll_up_target(
    metric: str,
    team_targets: Mapping[str, float],
    bases: Mapping[str, float] | None = None,
    direction: str = "higher",
) -> float:
    """The company target of ``metric`` rolled up from every team's target.

    Used only when the ``targets`` table has no company row (``all``) and no ``*`` row for
    the metric. The rule is the one that makes the company exactly on target when every team
    is exactly on its own (:data:`ROLL_UP` says which applies)::

        sum       (volumes: MQLs, pipeline, won revenue, won deals)
                  target = Σₜ targetₜ
        weighted  (rates and ratios: numerator / base, e.g. acceptance = accepted / decided,
                  CAC = spend / new customers, ROI = (revenue − spend) / spend)
                  target = Σₜ targetₜ · baseₜ / Σₜ baseₜ
                  i.e. the numerators the team targets imply at the teams' actual bases
                  (targetₜ · baseₜ), summed, over the summed bases
        bound     (medians: speed to lead)
                  target = the least demanding team target (the largest when lower is
                  better); a median of pooled MQLs is at most the largest team median, so
                  the company meets it whenever every team meets its own.

    Parameters
    ----------
    metric : str
        A metric of :data:`ROLL_UP`.
    team_targets : dict of float
        Team → that team's (implied, absolute) target, one entry per team of the company.
    bases : dict of float, optional
        Team → the team's actual base in the quarter (weighted rule only).
    direction : {"higher", "lower"}
        Which way is better (bound rule only).

    Returns
    -------
    float
        NaN when a team has no target (a partial sum would understate the company's), when
        the metric has no rule, or (weighted) when the teams' bases sum to 0.

    Examples
    --------
    >>> roll_up_target("mqls", {"north": 100.0, "south": 50.0})
    150.0
    >>> roll_up_target("mql_acceptance", {"north": 0.8, "south": 0.6}, {"north": 30, "south": 10})
    0.75
    >>> roll_up_target("speed_to_lead_hours", {"north": 4.0, "south": 8.0}, direction="lower")
    8.0
    """
    rule = ROLL_UP.get(metric)
    values = {team: (math.nan if _missing(v) else float(v)) for team, v in team_targets.items()}
    if rule is None or not values or any(math.isnan(v) for v in values.values()):
        return math.nan
    if rule == ROLL_UP_SUM:
        return float(sum(values.values()))
    if rule == ROLL_UP_BOUND:
        _check_direction(direction, metric)
        return float(max(values.values()) if direction == "lower" else min(values.values()))
    bases = bases or {}
    weights = {t: bases.get(t) for t in values}
    weights = {t: (0.0 if _missing(w) else float(w)) for t, w in weights.items()}
    total = sum(weights.values())
    if total <= 0:
        return math.nan
    return float(sum(values[t] * weights[t] for t in values) / total)


# --- relative targets -----------------------------------------------------------------------

BASIS_ABSOLUTE, BASIS_PREVIOUS, BASIS_YEAR = TARGET_BASES  # ``targets.basis`` (data.schema)
BASIS_SHIFT = {BASIS_PREVIOUS: 1, BASIS_YEAR: 4}
"""Quarters back to the baseline of a relative basis."""
BASIS_LABELS = {
    BASIS_ABSOLUTE: "absolute",
    BASIS_PREVIOUS: "vs Q−1",
    BASIS_YEAR: "vs Q−4",
}


def implied_target(
    value: float,
    basis: str = BASIS_ABSOLUTE,
    baseline: float | None = None,
    *,
    cap: float = math.inf,
) -> float:
    """The absolute target a ``targets`` row implies.

    ``absolute``: the value itself. Relative (``vs_previous_quarter``,
    ``vs_same_quarter_last_year``): the value is a change against the baseline (the metric's
    actual value in Q−1 or Q−4)::

        implied target = baseline × (1 + change)     (+0.20: 20 % above, −0.15: 15 % below)

    capped at ``cap`` (1 for a rate: no more than all of them). NaN when the baseline is not
    in this data (NaN) or is 0 or below (a change of a percentage has no meaning there).

    Examples
    --------
    >>> implied_target(0.2, "vs_same_quarter_last_year", 0.05)
    0.06
    >>> implied_target(-0.15, "vs_previous_quarter", 4000.0)
    3400.0
    >>> implied_target(0.1, "vs_previous_quarter", 0.95, cap=1.0)
    1.0
    """
    if basis not in TARGET_BASES:
        raise ParameterError(
            f"target basis is {basis!r}; use one of {', '.join(TARGET_BASES)} (see docs/data.md)."
        )
    if _missing(value):
        return math.nan
    if basis == BASIS_ABSOLUTE:
        return float(value)
    if _missing(baseline) or baseline <= 0:
        return math.nan
    return float(min(round(float(baseline) * (1 + float(value)), 12), cap))


def actual_vs_target(
    actuals: Mapping[str, float],
    targets: pd.DataFrame | None,
    team: str,
    quarter: str,
    directions: Mapping[str, str] | None = None,
    green: float = 1.0,
    amber: float = 0.9,
) -> pd.DataFrame:
    """KPI table: each metric's actual, target, attainment and RAG status for one team-quarter.

    The target of a metric is the ``targets`` row for ``team`` and ``quarter``, else the row
    for team ``*`` (all teams): :func:`targets_for`.
    Attainment and status are those of :func:`rag_status`.

    Parameters
    ----------
    actuals : dict of float
        Metric name → actual value (NaN or None when it could not be computed).
    targets : DataFrame or None
        Canonical ``targets`` (team, quarter, metric, target); None when absent.
    team : str
        Team id (``all`` for the company, which matches only ``*`` rows unless the table has
        ``all`` rows).
    quarter : str or Quarter
        Fiscal quarter as written in ``targets`` (``2026Q3``).
    directions : dict of str, optional
        Metric name → ``"higher"`` or ``"lower"``; metrics not named are higher-is-better.
    green, amber : float
        RAG thresholds on attainment.

    Returns
    -------
    DataFrame
        Columns metric, actual, target, attainment, rag, direction: one row per metric of
        ``actuals`` in their order, then metrics that have a target but no actual (actual
        NaN, rag ``none``) so that no target is silently dropped.

    Raises
    ------
    ParameterError
        For an unknown direction or amber above green.
    """
    directions = directions or {}
    chosen = targets_for(targets, team, str(quarter))
    metrics = list(actuals) + [m for m in chosen if m not in actuals]
    rows = []
    for metric in metrics:
        direction = directions.get(metric, "higher")
        _check_direction(direction, metric)
        actual = actuals.get(metric)
        actual = math.nan if _missing(actual) else float(actual)
        target = chosen.get(metric, math.nan)
        attainment, status = rag_status(actual, target, direction, green, amber)
        rows.append((metric, actual, target, attainment, status, direction))
    columns = ["metric", "actual", "target", "attainment", "rag", "direction"]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({c: "float64" for c in ("actual", "target", "attainment")})


@dataclass(frozen=True)
class AlignmentIndex:
    """The alignment index with the table that explains it.

    Attributes
    ----------
    value : float
        Index from 0 to 100; NaN when fewer than ``min_components`` weighted components are
        available (``na_reason`` says so) or no component has a weight.
    table : DataFrame
        One row per component: component, label, raw, target, score, weight, contribution
        (``100 × weight × score``; the contributions sum to ``value``; weight and
        contribution are NaN when the index is n/a).
    missing : tuple of str
        Weighted components that were absent or NaN and were left out.
    reasons : dict of str
        Component → why it has no value (e.g. ``"not in this data: no first_touch events"``),
        for the components the caller could explain.
    min_components : int
        Weighted components the index needs (``[alignment] min_components``).
    na_reason : str
        Why the index is n/a, e.g. ``"1 of 5 components in this data; the index needs at
        least 3"``; empty when it has a value.
    """

    value: float
    table: pd.DataFrame
    missing: tuple[str, ...] = ()
    reasons: Mapping[str, str] = field(default_factory=dict)
    min_components: int = 1
    na_reason: str = ""

    def left_out(self, labels: Mapping[str, str] | None = None) -> str:
        """The components left out, each with its reason: ``SLA compliance (not in this …)``."""
        labels = labels or COMPONENT_LABELS
        return ", ".join(
            str(labels.get(name, name))
            + (f" ({self.reasons[name]})" if self.reasons.get(name) else "")
            for name in self.missing
        )

    def __str__(self) -> str:
        if self.na_reason:
            return f"Alignment index n/a: {self.na_reason}"
        text = "n/a" if math.isnan(self.value) else f"{self.value:.1f}/100"
        if self.missing:
            text += f" (without {', '.join(self.missing)})"
        return f"Alignment index {text}"

    def _repr_html_(self) -> str:
        value = "n/a" if math.isnan(self.value) else f"{self.value:.1f}"
        headline = f"<strong>Alignment index: {html.escape(value)}</strong> / 100"
        if self.na_reason:
            headline = f"<strong>Alignment index: n/a</strong> — {html.escape(self.na_reason)}"
        parts = [
            f"<p>{headline}</p>",
            self.table.to_html(
                index=False, escape=True, na_rep="n/a", float_format=lambda x: f"{x:.3g}"
            ),
        ]
        if self.missing:
            names = html.escape(self.left_out())
            after = "no index computed" if self.na_reason else "weights renormalised"
            parts.append(f"<p>Left out (no data): {names}; {after}.</p>")
        return "\n".join(parts)


def alignment_index(
    components: Mapping[str, float],
    weights: Mapping[str, float],
    targets: Mapping[str, float] | None = None,
    *,
    reasons: Mapping[str, str] | None = None,
    min_components: int = 1,
) -> AlignmentIndex:
    """Alignment index (0–100): a weighted score of shared sales-and-marketing KPIs.

    Each component is a share in [0, 1] (see :data:`COMPONENTS`). Its score is::

        score = min(raw / target, 1)   if the component has a target above 0
        score = 1                      if its target is 0 or below (nothing to reach)
        score = raw                    without a target (None or NaN)

    so marketing-sourced pipeline share and MQL→SQL conversion are scored against their
    targets when given. Weights are normalised to sum to 1 over the weighted components that
    are available; absent or NaN components are dropped and listed in ``missing``::

        wᵢ = weightᵢ / Σⱼ available weightⱼ,   index = 100 × Σᵢ wᵢ · scoreᵢ

    Components with no weight are shown with weight 0. An index of few components says
    little about alignment (one component of five scoring 0 would read "0.0 / 100"), so
    with fewer than ``min_components`` weighted components available the index is NaN and
    ``na_reason`` says ``"k of n components in this data; the index needs at least m"``.

    Parameters
    ----------
    components : dict of float
        Component name → raw share in [0, 1] (NaN or None when not computable).
    weights : dict of float
        Component name → weight ≥ 0 (``Config.alignment_weights``).
    targets : dict of float, optional
        Component name → target share.
    reasons : dict of str, optional
        Component name → why it is NaN (kept for the components left out, see
        :meth:`AlignmentIndex.left_out`); a NaN component is left out whatever the reason.
    min_components : int
        Weighted components (weight above 0) that must be available for an index
        (``Config.alignment_min_components``, ``[alignment] min_components`` in workbook.toml;
        1 here: any one).

    Returns
    -------
    AlignmentIndex
        ``value`` NaN, with ``na_reason``, when fewer than ``min_components`` weighted
        components are available or all weights are 0.

    Raises
    ------
    ParameterError
        For a component outside [0, 1], a negative weight or ``min_components`` below 1.

    Examples
    --------
    >>> ai = alignment_index({"sla_compliance": 0.8, "mql_acceptance": 0.6},
    ...                      {"sla_compliance": 0.5, "mql_acceptance": 0.5})
    >>> round(ai.value, 6)
    70.0
    >>> alignment_index({"sla_compliance": 0.8}, {"sla_compliance": 0.5, "mql_acceptance": 0.5},
    ...                 min_components=2).na_reason
    '1 of 2 components in this data; the index needs at least 2'
    """
    targets = targets or {}
    if not _whole_at_least_one(min_components):
        raise ParameterError(
            f"min_components is {min_components!r}; use a whole number of at least 1 "
            "([alignment] min_components in workbook.toml)."
        )
    for name, weight in weights.items():
        if _missing(weight) or weight < 0:
            raise ParameterError(
                f"alignment weight {name!r} is {weight!r}; use a number >= 0 in workbook.toml "
                "under [alignment_weights]."
            )
    names = list(weights) + [c for c in components if c not in weights]
    rows = []
    for name in names:
        raw = components.get(name)
        raw = math.nan if _missing(raw) else float(raw)
        if not math.isnan(raw) and not 0 <= raw <= 1:
            raise ParameterError(
                f"alignment component {name!r} is {raw!r}; components are shares from 0 to 1 "
                "(pass 0.84, not 84)."
            )
        target = targets.get(name)
        target = math.nan if _missing(target) else float(target)
        if math.isnan(raw):
            score = math.nan
        elif math.isnan(target):
            score = raw
        elif target <= 0:
            score = 1.0
        else:
            score = min(raw / target, 1.0)
        rows.append((name, raw, target, score, float(weights.get(name, 0.0))))
    table = pd.DataFrame(rows, columns=["component", "raw", "target", "score", "configured"])
    available = table["score"].notna()
    weighted = table["configured"] > 0
    missing = tuple(table.loc[~available & weighted, "component"])
    total = table.loc[available, "configured"].sum()
    counted = int((available & weighted).sum())
    if not weighted.any():
        na_reason = "no component has a weight above 0"
    elif counted < min_components:
        na_reason = (
            f"{counted} of {int(weighted.sum())} components in this data; the index needs at "
            f"least {min_components}"
        )
    else:
        na_reason = ""
    if total > 0 and not na_reason:
        table["weight"] = np.where(available, table["configured"] / total, 0.0)
        table["contribution"] = 100 * table["weight"] * table["score"]
        value = float(table["contribution"].sum())
    else:
        table["weight"] = np.nan
        table["contribution"] = np.nan
        value = math.nan
    table.insert(1, "label", table["component"].map(COMPONENT_LABELS).fillna(table["component"]))
    table = table.drop(columns="configured")
    why = {name: str(reasons[name]) for name in missing if reasons and reasons.get(name)}
    return AlignmentIndex(value, table, missing, why, min_components, na_reason)


def reverse_waterfall(
    revenue_target: float,
    avg_deal_size: float,
    win_rate: float,
    sql_to_opp: float,
    mql_to_sql: float,
    lead_to_mql: float,
    current: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Volumes needed at each stage to reach a revenue target at the current rates.

    Working back from revenue, rounding up at every step::

        won         = ⌈revenue_target / avg_deal_size⌉
        opportunity = ⌈won / win_rate⌉
        sql         = ⌈opportunity / sql_to_opp⌉
        mql         = ⌈sql / mql_to_sql⌉
        lead        = ⌈mql / lead_to_mql⌉
        gap         = needed − current       (above 0: a shortfall)

    A divisor that is NaN, 0 or negative makes that stage and every stage after it NaN (no
    number of leads reaches the target at a rate of 0); no exception is raised.

    Parameters
    ----------
    revenue_target : float
        Revenue to win (≥ 0).
    avg_deal_size : float
        Average won deal.
    win_rate, sql_to_opp, mql_to_sql, lead_to_mql : float
        Conversion rates of the team (a rate above 1 is allowed, e.g. several opportunities
        per SQL).
    current : dict of float, optional
        Current volume per stage, keyed ``won``, ``opportunity``, ``sql``, ``mql``, ``lead``;
        stages not given have current and gap NaN.

    Returns
    -------
    DataFrame
        Columns stage, label, conversion (the rate from this stage to the one above it:
        win_rate for opportunity … lead_to_mql for lead; NaN for won), needed, current, gap;
        rows from won deals to leads.

    Raises
    ------
    ParameterError
        When ``revenue_target`` is negative.

    Examples
    --------
    >>> reverse_waterfall(100_000, 10_000, 0.25, 0.5, 0.2, 0.3)["needed"].tolist()
    [10.0, 40.0, 80.0, 400.0, 1334.0]
    """
    if not _missing(revenue_target) and revenue_target < 0:
        raise ParameterError(f"revenue target is {revenue_target!r}; pass an amount of 0 or more.")
    current = current or {}
    divisors = (avg_deal_size, win_rate, sql_to_opp, mql_to_sql, lead_to_mql)
    needed = []
    volume = math.nan if _missing(revenue_target) else float(revenue_target)
    for divisor in divisors:
        if _missing(divisor) or divisor <= 0 or math.isnan(volume):
            volume = math.nan
        else:
            volume = float(np.ceil(round(volume / float(divisor), _CEIL_DECIMALS)))
        needed.append(volume)
    have = [current.get(stage) for stage in WATERFALL_STAGES]
    have = [math.nan if _missing(v) else float(v) for v in have]
    out = pd.DataFrame(
        {
            "stage": list(WATERFALL_STAGES),
            "label": [WATERFALL_LABELS[s] for s in WATERFALL_STAGES],
            "conversion": [math.nan]
            + [math.nan if _missing(d) else float(d) for d in divisors[1:]],
            "needed": needed,
            "current": have,
        }
    )
    out["gap"] = out["needed"] - out["current"]
    return out
