"""Shared KPIs side by side: team versus team (the company roll-up) and quarter by quarter.

The pure functions take KPI values already computed (``TeamQuarter.kpi_values()``: a
:class:`~helpers.metrics.stats.Rate` for rates, a number otherwise) and return tables; the thin
adapters :func:`compare_teams` and :func:`kpi_trend` fetch those values from a workbook, whose
cache makes a KPI of a team-quarter cost its computation once per data set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..metrics.stats import Rate, compare_rates, two_sided_normal_p

if TYPE_CHECKING:
    from ..data.periods import Quarter
    from .workbook import TeamQuarter, Workbook

KpiSpec = Mapping[str, tuple[str, str, str]]
"""Metric name → (label, direction, kind), as :data:`helpers.analysis.workbook.KPIS`."""

_LONG_COLUMNS = (
    "metric",
    "label",
    "direction",
    "kind",
    "value",
    "numerator",
    "denominator",
    "ci_low",
    "ci_high",
    "small_sample",
    "missing_amount",
)


def _kpis(kpis: KpiSpec | None) -> KpiSpec:
    if kpis is not None:
        return kpis
    from ..metrics.headline import KPIS

    return KPIS


def kpi_long(
    values: Mapping[str, Mapping[str, Rate | float]],
    *,
    key: str = "team",
    kpis: KpiSpec | None = None,
) -> pd.DataFrame:
    """KPI values of several teams (or quarters) in long form, one row per (key, KPI).

    Parameters
    ----------
    values : dict of dict
        Key (team id or quarter) → metric name → value: a :class:`Rate` for rates, a number
        (NaN allowed) otherwise, or an amount with ``missing`` deals without an amount
        (:class:`~helpers.metrics.pipeline.Amount`). A metric missing for a key gives NaN.
    key : str
        Name of the first column (``"team"``, ``"quarter"``).
    kpis : dict, optional
        Metric name → (label, direction, kind); default :data:`helpers.analysis.workbook.KPIS`. Rows
        follow its order within each key.

    Returns
    -------
    DataFrame
        Columns ``<key>``, metric, label, direction, kind, value, numerator, denominator,
        ci_low, ci_high (NaN for non-rates), small_sample (False for non-rates),
        missing_amount (deals without an amount behind an amount; NaN for other values).

    Examples
    --------
    >>> kpi_long({"north": {"win_rate": Rate(1, 2)}},
    ...          kpis={"win_rate": ("Win rate", "higher", "rate")})[["team", "value"]]
        team  value
    0  north    0.5
    """
    kpis = _kpis(kpis)
    rows = []
    for who, metrics in values.items():
        for metric, (label, direction, kind) in kpis.items():
            value = metrics.get(metric, math.nan)
            row = {key: who, "metric": metric, "label": label, "direction": direction}
            row["kind"] = kind
            if isinstance(value, Rate):
                low, high = value.interval
                row.update(
                    value=value.value,
                    numerator=float(value.numerator),
                    denominator=float(value.denominator),
                    ci_low=low,
                    ci_high=high,
                    small_sample=value.small_sample,
                    missing_amount=math.nan,
                )
            else:
                row.update(
                    value=math.nan if value is None else float(value),
                    numerator=math.nan,
                    denominator=math.nan,
                    ci_low=math.nan,
                    ci_high=math.nan,
                    small_sample=False,
                    missing_amount=float(getattr(value, "missing", math.nan)),
                )
            rows.append(row)
    columns = [key, *_LONG_COLUMNS]
    out = pd.DataFrame(rows, columns=columns)
    numeric = ("value", "numerator", "denominator", "ci_low", "ci_high", "missing_amount")
    return out.astype({c: "float64" for c in numeric} | {"small_sample": "bool"})


def rank_kpis(long: pd.DataFrame, *, key: str = "team") -> pd.DataFrame:
    """Rank the keys (teams) on each KPI, 1 = best, the way its direction says.

    Higher-is-better KPIs rank the largest value first, lower-is-better ones (speed to lead,
    CAC) the smallest. Ties share the better rank (1, 1, 3); a NaN value has no rank, and
    neither has an amount built from part of its deals (``missing_amount`` above 0): such a
    sum is a lower bound, and ranking it against complete sums would rank data entry.

    Parameters
    ----------
    long : DataFrame
        Output of :func:`kpi_long`.
    key : str
        The column that names what is ranked.

    Returns
    -------
    DataFrame
        A copy of ``long`` with a float column ``rank``.
    """
    out = long.copy()
    sign = np.where(out["direction"] == "lower", 1.0, -1.0)
    signed = out["value"] * sign
    if "missing_amount" in out.columns:
        signed = signed.where(~(out["missing_amount"] > 0))
    out["rank"] = signed.groupby(out["metric"], sort=False).rank(method="min", na_option="keep")
    return out


def team_ranking(
    ranked: pd.DataFrame,
    names: Mapping[str, str] | None = None,
    *,
    key: str = "team",
) -> pd.DataFrame:
    """One row per team: overall rank, mean rank over the KPIs, and each KPI's value and rank.

    ``mean_rank`` = mean of the team's KPI ranks (KPIs without a value left out);
    ``rank`` orders the teams by ``mean_rank`` (1 = best, ties share the better rank, no
    ranked KPI last).

    Parameters
    ----------
    ranked : DataFrame
        Output of :func:`rank_kpis`.
    names : dict of str, optional
        Team id → display name (column ``name``; the id when absent).
    key : str
        The column naming the teams.

    Returns
    -------
    DataFrame
        Columns rank, ``<key>``, name, mean_rank, kpis_ranked, then ``<metric>`` (value) and
        ``<metric>_rank`` for each KPI in order; sorted by rank, then team.
    """
    names = names or {}
    metrics = list(dict.fromkeys(ranked["metric"]))
    teams = list(dict.fromkeys(ranked[key]))
    values = ranked.pivot(index=key, columns="metric", values="value").reindex(teams)[metrics]
    ranks = ranked.pivot(index=key, columns="metric", values="rank").reindex(teams)[metrics]
    out = pd.DataFrame({key: teams}, index=teams)
    out["name"] = [str(names.get(t, t)) for t in teams]
    out["mean_rank"] = ranks.mean(axis=1)
    out["kpis_ranked"] = ranks.notna().sum(axis=1).astype("int64")
    out.insert(0, "rank", out["mean_rank"].rank(method="min", na_option="keep"))
    for metric in metrics:
        out[metric] = values[metric].astype("float64")
        out[f"{metric}_rank"] = ranks[metric].astype("float64")
    out = out.sort_values(["rank", key], na_position="last", kind="stable")
    return out.reset_index(drop=True)


def unranked_amounts_line(long: pd.DataFrame, names: Mapping[str, str] | None = None) -> str | None:
    """One line naming the teams whose amounts are not ranked for lack of deal amounts.

    Parameters
    ----------
    long : DataFrame
        :func:`compare_teams` (team, label, value, missing_amount).
    names : dict of str, optional
        Team id → display name.

    Returns
    -------
    str or None
        ``"Some deals have no amount, so these are not ranked: North (Pipeline created, Won
        revenue); South (Won revenue)."``; None when every amount is complete.

    Examples
    --------
    >>> long = pd.DataFrame({"team": ["a", "a", "b"], "label": ["Pipeline", "Won", "Won"],
    ...                      "missing_amount": [2.0, 0.0, 1.0]})
    >>> unranked_amounts_line(long, {"a": "Alpha"})
    'Some deals have no amount, so these are not ranked: Alpha (Pipeline); b (Won).'
    """
    if "missing_amount" not in long.columns:
        return None
    names = names or {}
    gaps = long[long["missing_amount"] > 0]
    if gaps.empty:
        return None
    parts = [
        f"{names.get(team, team)} ({', '.join(group['label'])})"
        for team, group in gaps.groupby("team", sort=False)
    ]
    return f"Some deals have no amount, so these are not ranked: {'; '.join(parts)}."


def team_standing(ranking: pd.DataFrame, team: str, *, key: str = "team") -> str:
    """One sentence on where ``team`` stands among the teams of :func:`team_ranking`.

    Examples
    --------
    >>> ranking = pd.DataFrame({"rank": [1.0, 2.0], "team": ["south", "north"],
    ...                         "name": ["South", "North"], "mean_rank": [1.375, 1.625]})
    >>> team_standing(ranking, "north")
    'North ranks 2 of 2 teams on the shared KPIs (mean rank 1.6; 1 = best).'
    """
    row = ranking[ranking[key] == team]
    if row.empty or pd.isna(row["rank"].iloc[0]):
        return f"{team} has no ranked KPI among the {len(ranking)} teams this quarter."
    r = row.iloc[0]
    return (
        f"{r['name']} ranks {int(r['rank'])} of {len(ranking)} teams on the shared KPIs "
        f"(mean rank {r['mean_rank']:.1f}; 1 = best)."
    )


def measurable_kpis(view: TeamQuarter) -> KpiSpec:
    """The shared KPIs whose stages the data set records (see ``TeamQuarter.untracked_kpis``).

    A KPI whose stages the data set never records is NaN in every team and quarter; the
    comparisons leave it out (the report says so in one line) instead of drawing n/a panels.
    """
    unmeasured = view.untracked_kpis()
    return {metric: spec for metric, spec in _kpis(None).items() if metric not in unmeasured}


def compare_teams(workbook: Workbook, quarter: str | Quarter) -> pd.DataFrame:
    """Every team's shared KPIs in ``quarter``, ranked (see :func:`rank_kpis`).

    KPIs the data set cannot measure are left out (see :func:`measurable_kpis`).

    Returns
    -------
    DataFrame
        Long form of :func:`kpi_long` with ``team`` and ``rank``; teams in teams.csv order.
    """
    views = {team: workbook.view(team, quarter) for team in workbook.dataset.teams}
    values = {team: view.kpi_values() for team, view in views.items()}
    kpis = measurable_kpis(workbook.view(workbook.dataset.teams[0], quarter))
    return rank_kpis(kpi_long(values, key="team", kpis=kpis), key="team")


def team_comparison(
    workbook: Workbook, quarter: str | Quarter
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The company roll-up's comparison: ranked KPIs in long form and the team ranking.

    Returns
    -------
    tuple of DataFrame
        :func:`compare_teams` and its :func:`team_ranking` with the teams' display names.
    """
    long = compare_teams(workbook, quarter)
    names = {team: workbook.dataset.team_name(team) for team in workbook.dataset.teams}
    return long, team_ranking(long, names)


def kpi_trend(view: TeamQuarter, quarters: int = 8) -> pd.DataFrame:
    """Every shared KPI of ``view``'s team over the last ``quarters`` quarters in the data.

    Returns
    -------
    DataFrame
        Long form of :func:`kpi_long` keyed by ``quarter`` (text such as ``2026Q3``), oldest
        first; quarters before the data starts and KPIs the data set cannot measure (see
        :func:`measurable_kpis`) are left out.
    """
    known = set(view.workbook.dataset.quarters)
    values = {}
    for k in range(quarters - 1, -1, -1):
        if view.quarter.shift(-k) in known:
            earlier = view.shift(-k)
            values[str(earlier.quarter)] = earlier.kpi_values()
    return kpi_long(values, key="quarter", kpis=measurable_kpis(view))


def alignment_trend(view: TeamQuarter, quarters: int = 8) -> pd.DataFrame:
    """The alignment index of ``view``'s team over the last ``quarters`` quarters in the data.

    Returns
    -------
    DataFrame
        quarter (text such as ``2026Q3``), value (0–100; NaN where the index cannot be
        computed), oldest first; quarters before the data starts are left out.
    """
    return view.alignment_trend(quarters)[["quarter", "value"]]  # one rule: the view's


OUTLIER_Z = 3.5
"""Robust z-score (distance from the others' median in 1.4826 × MAD) that makes an outlier."""


def team_outliers(long: pd.DataFrame, *, z: float = OUTLIER_Z, min_teams: int = 4) -> pd.DataFrame:
    """Teams that stand out, for the worse, from the other teams on a rate or hours KPI.

    For each team and KPI the other teams' median and median absolute deviation (MAD) give a
    robust z-score, ``z = (value − median) / (1.4826 × MAD)``. A team is an outlier on the KPI
    when ``|z| ≥ z`` on the worse side (direction-aware) and, for a rate, its difference from
    the other teams pooled is significant (two-proportion or Fisher's exact test). Counts and
    amounts are left out: they grow with the size of a team, not with how well it works. The
    one rule behind the company report's outlier talking point and the highlighted bar of
    the team comparison chart.

    Parameters
    ----------
    long : DataFrame
        :func:`compare_teams`: team, metric, label, direction, kind, value, numerator,
        denominator.
    z : float
        Robust z-score that makes an outlier (:data:`OUTLIER_Z`).
    min_teams : int
        KPIs with fewer teams that have a value are skipped.

    Returns
    -------
    DataFrame
        One row per outlying (team, KPI), in the order of ``long``: team, metric, label,
        kind, value, median (the other teams'), robust_z, gap
        (``|value − median| / |median|``, 1 when the median is 0) and p_value (normal p of
        the robust z, or the test's for a rate if larger).
    """
    rows_out = []
    chosen = long[long["kind"].isin(["rate", "hours"])]
    for _, rows in chosen.groupby("metric", sort=False):
        rows = rows[rows["value"].notna()]
        if len(rows) < min_teams:
            continue
        for i, row in rows.iterrows():
            others = rows.drop(index=i)
            median = float(others["value"].median())
            mad = float((others["value"] - median).abs().median())
            if not mad > 0:
                continue
            robust = (float(row["value"]) - median) / (1.4826 * mad)
            worse = robust < 0 if row["direction"] == "higher" else robust > 0
            if not worse or abs(robust) < z:
                continue
            p_value = two_sided_normal_p(robust)
            if row["kind"] == "rate":
                mine = Rate(int(row["numerator"]), int(row["denominator"]))
                rest = Rate(int(others["numerator"].sum()), int(others["denominator"].sum()))
                change = compare_rates(rest, mine)
                if not change.significant:
                    continue
                p_value = max(p_value, change.p_value)
            gap = abs(float(row["value"]) - median) / abs(median) if median else 1.0
            rows_out.append(
                {
                    "team": row["team"],
                    "metric": row["metric"],
                    "label": row["label"],
                    "kind": row["kind"],
                    "value": float(row["value"]),
                    "median": median,
                    "robust_z": robust,
                    "gap": gap,
                    "p_value": p_value,
                }
            )
    columns = ["team", "metric", "label", "kind", "value", "median", "robust_z", "gap", "p_value"]
    return pd.DataFrame(rows_out, columns=columns)


def chart_targets(
    long: pd.DataFrame, workbook: Workbook, *, team: str | None = None, quarter=None
) -> pd.DataFrame:
    """``long`` with each row's target (``TeamQuarter.target``) and whether it is an outlier.

    For the charts that draw targets and RAG colours: rows keyed by ``team``
    (:func:`compare_teams`, give ``quarter``) or by ``quarter`` (:func:`kpi_trend`, give
    ``team``). ``outlier`` marks the (team, KPI) rows of :func:`team_outliers` (always False
    over quarters). The input is not changed.

    Returns
    -------
    DataFrame
        ``long`` with columns ``target`` (NaN where none is set) and ``outlier`` added.
    """
    out = long.copy()
    if "team" in out:
        views = {t: workbook.view(t, quarter) for t in out["team"].unique()}
        out["target"] = [
            views[t].target(m) for t, m in zip(out["team"], out["metric"], strict=True)
        ]
        flagged = set(team_outliers(out)[["team", "metric"]].itertuples(index=False, name=None))
        out["outlier"] = [
            (t, m) in flagged for t, m in zip(out["team"], out["metric"], strict=True)
        ]
    else:
        views = {q: workbook.view(team, q) for q in out["quarter"].unique()}
        out["target"] = [
            views[q].target(m) for q, m in zip(out["quarter"], out["metric"], strict=True)
        ]
        out["outlier"] = False
    out["target"] = out["target"].astype("float64")
    return out


def _number(value) -> float:
    """A KPI value as a float (an Amount's or Rate's value)."""
    return float(getattr(value, "value", value))


def growth_trend(view: TeamQuarter, quarters: int = 8) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Bookings and retention of ``view``'s team over the last ``quarters`` quarters in the data.

    Returns
    -------
    tuple of DataFrame
        ``(bookings, retention)``: bookings has quarter and bookings (the view's
        :meth:`~TeamQuarter.bookings_growth`'s bookings); retention has quarter, label and value for
        logo, gross and net revenue retention (None without a revenue table). Oldest first;
        quarters before the data starts are left out.
    """
    known = set(view.workbook.dataset.quarters)
    shown = [view.shift(-k) for k in range(quarters - 1, -1, -1) if view.quarter.shift(-k) in known]
    bookings = pd.DataFrame(
        {
            "quarter": [str(v.quarter) for v in shown],
            # Bookings are the quarter's won revenue (growth.won_amount): the KPI's value,
            # which the KPI trend has computed for these views already.
            "bookings": [_number(v.kpi_values()["won_revenue"]) for v in shown],
        }
    )
    if view.revenue_retention() is None:
        return bookings, None
    rows = []
    for v in shown:
        figures = v.revenue_retention()
        logo = v.logo_retention()
        for label, value in (
            ("Logo retention", logo.value if logo is not None else np.nan),
            ("Gross revenue retention", figures["gross_revenue_retention"]),
            ("Net revenue retention", figures["net_revenue_retention"]),
        ):
            rows.append({"quarter": str(v.quarter), "label": label, "value": float(value)})
    return bookings, pd.DataFrame(rows, columns=["quarter", "label", "value"])
