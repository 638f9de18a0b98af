"""Lead-score audit: how well the CRM's ``score`` separates the leads that convert.

For the leads of a team (or ``all``) created in a quarter (the cohort view of SPEC section 2:
followed to wherever they got by the as-of date), the audit measures how well the ``score``
column of ``leads`` ranks the leads that became an SQL (or were won) above those that did
not:

- **ROC AUC** with a 95 % DeLong confidence interval (:func:`auc_interval`);
- **calibration**: where every score lies in [0, 1] it is read as a probability and gets a
  reliability table and the Brier score (:func:`reliability_table`); otherwise (the sample's
  0–100 points) the conversion by score decile stands for it;
- **lift and cumulative gains by decile** (:func:`decile_table`);
- the **high-score MQLs** sales rejected or never touched: the cohort's MQLs in the top score
  decile (score at or above the decile's lowest score), with the share that has a ``rejected``
  event and the share that has no sales event at all (no ``first_touch``, ``accepted``,
  ``rejected`` or ``sql``) by the as-of date.

The pure functions on arrays (:func:`auc_interval`, :func:`decile_table`,
:func:`reliability_table`, :func:`score_separation`) are shared with the trained model's
evaluation (:mod:`helpers.prediction.lead_model`), so the CRM's score and the model are
measured by one rule. A figure the data cannot support is ``None`` with a one-line reason
("Not in this data: ..."): no score, an outcome the data set never records, or fewer than
:data:`MIN_CLASS` leads on either side of the outcome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..metrics.coverage import absent_phrase
from ..metrics.scope import within
from ..metrics.stats import Z_95, Rate, rate_columns

if TYPE_CHECKING:
    from ..analysis.workbook import TeamQuarter

OUTCOMES = {"sql": "became an SQL", "won": "were won"}
"""Outcomes a score can be audited against, with how the report says a lead reached one."""

MIN_CLASS = 10
"""Leads needed on each side of the outcome (converted and not) for an AUC or a decile table."""

DECILES = 10
"""Groups of the gains table: decile 1 holds the highest scores."""

RELIABILITY_BINS = 10
"""Equal-width bins of a probability score in the reliability table."""

SALES_EVENTS = ("first_touch", "accepted", "rejected", "sql")
"""Events that show sales worked a lead; an MQL with none of them was never touched."""

HIGH_SCORE_LABELS = {
    "rejected": "High-score MQLs rejected by sales",
    "never_touched": "High-score MQLs never touched by sales",
}
"""The shares of :attr:`ScoreAudit.high_score_mqls` and how the report names them."""


# --- pure measures on (outcome, score) arrays ---------------------------------------------------


def _arrays(y, score) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=bool)
    s = np.asarray(score, dtype="float64")
    if y.shape != s.shape or y.ndim != 1:
        raise ValueError(
            f"need one outcome per score; received {y.size} outcome(s) and {s.size} score(s)."
        )
    if np.isnan(s).any():
        raise ValueError("scores must not be missing; drop the leads without a score first.")
    return y, s


def auc_interval(y, score, level: float = 0.95) -> tuple[float, float, float, float]:
    """ROC AUC with its DeLong standard error and confidence interval.

    With ``m`` converted leads of scores ``X_i`` and ``n`` others of scores ``Y_j``, and
    ``ψ(x, y) = 1`` if ``x > y``, ``½`` if ``x = y``, else 0:

    ``AUC = (1 / mn) Σ_i Σ_j ψ(X_i, Y_j)`` (the chance that a random converted lead outscores a
    random other one; ties count half), computed by :func:`sklearn.metrics.roc_auc_score`.

    DeLong et al. (1988): the placement values ``V10_i = (1/n) Σ_j ψ(X_i, Y_j)`` and
    ``V01_j = (1/m) Σ_i ψ(X_i, Y_j)`` (from mid-ranks), their sample variances ``S10`` and
    ``S01`` (``ddof = 1``), ``Var(AUC) = S10 / m + S01 / n``; the interval is
    ``AUC ± z · sqrt(Var)`` with ``z`` the normal quantile of ``level``, clipped to [0, 1].

    Parameters
    ----------
    y : array-like of bool
        Whether each lead converted.
    score : array-like of float
        The score of each lead (no missing values).
    level : float
        Confidence level of the interval.

    Returns
    -------
    tuple of float
        ``(auc, se, low, high)``; all NaN when either side has no lead, ``se`` NaN (and the
        interval) when a side has a single lead.

    Examples
    --------
    >>> auc, se, low, high = auc_interval([1, 1, 0, 0], [0.8, 0.4, 0.6, 0.2])
    >>> auc, round(se, 4)
    (0.75, 0.3536)
    """
    from sklearn.metrics import roc_auc_score

    y, s = _arrays(y, score)
    m, n = int(y.sum()), int((~y).sum())
    if m == 0 or n == 0:
        return (math.nan,) * 4
    auc = float(roc_auc_score(y, s))
    if m < 2 or n < 2:
        return auc, math.nan, math.nan, math.nan
    rank_all = sps.rankdata(s)
    pos, neg = s[y], s[~y]
    v10 = (rank_all[y] - sps.rankdata(pos)) / n
    v01 = 1.0 - (rank_all[~y] - sps.rankdata(neg)) / m
    se = math.sqrt(np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n)
    z = Z_95 if level == 0.95 else float(sps.norm.ppf(0.5 + level / 2))
    return auc, se, max(0.0, auc - z * se), min(1.0, auc + z * se)


def score_deciles(score) -> np.ndarray:
    """Decile of each score, 1 = the highest tenth, by average rank (ties share a decile).

    ``decile = ceil(10 · r / N)`` where ``r`` is the score's rank from the top (1 = highest;
    tied scores get the mean of their ranks) among ``N`` scores.

    Examples
    --------
    >>> score_deciles([5.0, 9.0, 1.0, 9.0]).tolist()
    [8, 4, 10, 4]
    """
    s = np.asarray(score, dtype="float64")
    if not s.size:
        return np.zeros(0, dtype="int64")
    rank = sps.rankdata(-s)  # average rank, 1 = highest score
    return np.clip(np.ceil(DECILES * rank / s.size), 1, DECILES).astype("int64")


def decile_table(y, score) -> pd.DataFrame:
    """Conversion, lift and cumulative gains of the leads by score decile.

    Leads are put in deciles by :func:`score_deciles` (decile 1 = highest scores). Per decile
    ``d`` with ``n_d`` leads of which ``k_d`` converted, and ``K / N`` the overall rate:

    - ``rate = k_d / n_d`` with its 95 % Wilson interval (``ci_low``, ``ci_high``);
    - ``lift = (k_d / n_d) / (K / N)``: how many times the average rate the decile converts;
    - ``cum_leads_share = Σ_{e ≤ d} n_e / N`` and ``gains = Σ_{e ≤ d} k_e / K`` (the share of
      all converted leads found by working the leads down to decile ``d``);
    - ``cum_lift = gains / cum_leads_share``.

    Parameters
    ----------
    y : array-like of bool
        Whether each lead converted.
    score : array-like of float
        Score of each lead (no missing values).

    Returns
    -------
    DataFrame
        One row per non-empty decile, top first: decile, leads, converted, rate, ci_low,
        ci_high, small_sample, score_min, score_max, mean_score, lift, cum_leads_share, gains,
        cum_lift. Lift and gains are NaN when no lead converted.
    """
    y, s = _arrays(y, score)
    frame = pd.DataFrame({"decile": score_deciles(s), "y": y, "s": s})
    grouped = frame.groupby("decile").agg(
        leads=("y", "size"),
        converted=("y", "sum"),
        score_min=("s", "min"),
        score_max=("s", "max"),
        mean_score=("s", "mean"),
    )
    grouped = grouped.reset_index()
    rates = rate_columns(grouped["converted"], grouped["leads"])
    total, positives = len(y), int(y.sum())
    overall = positives / total if total else math.nan
    out = pd.DataFrame(
        {
            "decile": grouped["decile"].astype("int64"),
            "leads": grouped["leads"].astype("int64"),
            "converted": grouped["converted"].astype("int64"),
            "rate": rates["rate"],
            "ci_low": rates["ci_low"],
            "ci_high": rates["ci_high"],
            "small_sample": rates["small_sample"],
            "score_min": grouped["score_min"],
            "score_max": grouped["score_max"],
            "mean_score": grouped["mean_score"],
        }
    )
    cum_leads = out["leads"].cumsum() / total if total else out["leads"] * math.nan
    gains = out["converted"].cumsum() / positives if positives else out["leads"] * math.nan
    out["lift"] = out["rate"] / overall if positives else math.nan
    out["cum_leads_share"] = cum_leads.astype("float64")
    out["gains"] = gains.astype("float64")
    out["cum_lift"] = out["gains"] / out["cum_leads_share"]
    return out


def is_probability(score) -> bool:
    """Whether every score lies in [0, 1], so it can be read as a probability of converting."""
    s = np.asarray(score, dtype="float64")
    s = s[~np.isnan(s)]
    return bool(s.size) and bool((s >= 0).all() and (s <= 1).all())


def reliability_table(y, probability, bins: int = RELIABILITY_BINS) -> tuple[pd.DataFrame, float]:
    """Reliability curve and Brier score of a probability score.

    Bin ``b`` holds the probabilities in ``[b / B, (b + 1) / B)`` (the last bin includes 1).
    Per bin: ``mean_predicted`` (mean probability), ``observed`` = converted / leads with its
    Wilson interval. A calibrated score has ``observed ≈ mean_predicted`` in every bin.
    ``Brier = (1 / N) Σ (p_i − y_i)²`` (0 is perfect; predicting the overall rate ``r`` for
    everyone gives ``r (1 − r)``), by :func:`sklearn.metrics.brier_score_loss`.

    Parameters
    ----------
    y : array-like of bool
        Whether each lead converted.
    probability : array-like of float
        Predicted probability of each lead, in [0, 1].
    bins : int
        Number of equal-width bins.

    Returns
    -------
    (DataFrame, float)
        Rows for the non-empty bins: bin_low, bin_high, leads, converted, mean_predicted,
        observed, ci_low, ci_high, small_sample; and the Brier score (NaN without leads).

    Raises
    ------
    ValueError
        When a probability lies outside [0, 1].
    """
    from sklearn.metrics import brier_score_loss

    y, p = _arrays(y, probability)
    if p.size and not is_probability(p):
        raise ValueError("probabilities must lie in [0, 1]; use decile_table for other scores.")
    b = np.minimum(np.floor(p * bins), bins - 1).astype("int64")
    frame = pd.DataFrame({"bin": b, "y": y, "p": p})
    grouped = frame.groupby("bin").agg(
        leads=("y", "size"), converted=("y", "sum"), mean_predicted=("p", "mean")
    )
    rates = rate_columns(grouped["converted"], grouped["leads"])
    table = pd.DataFrame(
        {
            "bin_low": grouped.index.to_numpy() / bins,
            "bin_high": (grouped.index.to_numpy() + 1) / bins,
            "leads": grouped["leads"].to_numpy(dtype="int64"),
            "converted": grouped["converted"].to_numpy(dtype="int64"),
            "mean_predicted": grouped["mean_predicted"].to_numpy(),
            "observed": rates["rate"].to_numpy(),
            "ci_low": rates["ci_low"].to_numpy(),
            "ci_high": rates["ci_high"].to_numpy(),
            "small_sample": rates["small_sample"].to_numpy(),
        }
    )
    brier = float(brier_score_loss(y, p)) if p.size else math.nan
    return table, brier


@dataclass(frozen=True)
class Separation:
    """How well one score separates converted leads from the others (see :func:`score_separation`).

    ``note`` is the one line saying why the figures are missing ("Not in this data: ..."),
    else None; then ``auc`` and ``deciles`` are set, and ``reliability`` and ``brier`` where
    the score is a probability.
    """

    leads: int
    converted: int
    auc: float | None = None
    auc_se: float | None = None
    auc_low: float | None = None
    auc_high: float | None = None
    probability: bool = False
    brier: float | None = None
    deciles: pd.DataFrame | None = None
    reliability: pd.DataFrame | None = None
    note: str | None = None

    @property
    def top_decile_lift(self) -> float | None:
        """Lift of decile 1 (the highest scores), None without a decile table."""
        if self.deciles is None or self.deciles.empty:
            return None
        return float(self.deciles["lift"].iloc[0])

    def figures(self) -> dict[str, Any]:
        """The scalar figures, JSON-ready (NaN and missing are None)."""
        values = {
            "leads": self.leads,
            "converted": self.converted,
            "auc": self.auc,
            "auc_ci_low": self.auc_low,
            "auc_ci_high": self.auc_high,
            "score_is_probability": self.probability,
            "brier": self.brier,
            "top_decile_lift": self.top_decile_lift,
            "note": self.note,
        }
        return {k: _json_number(v) for k, v in values.items()}


def _json_number(value):
    if isinstance(value, float | np.floating) and not math.isfinite(float(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def score_separation(y, score, *, what: str = "leads", outcome: str = "converted") -> Separation:
    """AUC with interval, deciles (lift, gains) and, for a probability, calibration.

    Needs at least :data:`MIN_CLASS` leads that converted and as many that did not; otherwise
    the result carries only the counts and a ``note``.

    Parameters
    ----------
    y : array-like of bool
        Whether each lead converted.
    score : array-like of float
        Score of each lead (no missing values).
    what : str
        How the note names the leads (e.g. ``"scored leads of 2026Q3"``).
    outcome : str
        How the note names converting (e.g. ``"became an SQL"``).

    Returns
    -------
    Separation
    """
    y, s = _arrays(y, score)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives < MIN_CLASS or negatives < MIN_CLASS:
        side = (
            f"{positives} of the {len(y)} {what} {outcome}"
            if positives < MIN_CLASS
            else f"{negatives} of the {len(y)} {what} did not"
        )
        return Separation(
            len(y),
            positives,
            note=(
                f"Not in this data: only {side}; the audit needs at least {MIN_CLASS} leads "
                "on each side."
            ),
        )
    auc, se, low, high = auc_interval(y, s)
    probability = is_probability(s)
    reliability, brier = reliability_table(y, s) if probability else (None, None)
    return Separation(
        len(y),
        positives,
        auc=auc,
        auc_se=se,
        auc_low=low,
        auc_high=high,
        probability=probability,
        brier=brier,
        deciles=decile_table(y, s),
        reliability=reliability,
    )


# --- the audit of a team and quarter ------------------------------------------------------------


@dataclass(frozen=True)
class ScoreAudit:
    """The lead-score audit of one team (or ``all``) and quarter (see :func:`audit_lead_score`).

    ``note`` says in one line why the whole audit is not in this data (no score, outcome
    not recorded), else None; ``separation`` holds the figures (with its own note when too
    few leads converted); ``high_score_mqls`` the rejected and untouched shares of the
    top-decile MQLs (None with ``high_score_note`` when they cannot be had).
    """

    team: str
    quarter: str
    outcome: str
    cohort_age_days: int
    leads: int
    unscored: int
    separation: Separation | None = None
    threshold: float | None = None
    high_score_mqls: dict[str, Rate] | None = None
    high_score_note: str | None = None
    note: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def available(self) -> bool:
        """Whether the AUC and deciles could be computed."""
        return self.separation is not None and self.separation.note is None

    def summary(self) -> pd.DataFrame:
        """The headline figures as rows: figure, value, detail (for the report and exports)."""
        rows: list[tuple[str, Any, str]] = [
            ("Leads created in the quarter", self.leads, f"{self.unscored} without a score"),
        ]
        sep = self.separation
        if sep is not None:
            rows.append((f"Scored leads that {OUTCOMES[self.outcome]}", sep.converted, ""))
            if sep.auc is not None:
                rows.append(
                    ("ROC AUC", sep.auc, f"95 % CI {sep.auc_low:.3f}–{sep.auc_high:.3f} (DeLong)")
                )
                rows.append(("Lift of the top decile", sep.top_decile_lift, ""))
                if sep.brier is not None:
                    rows.append(("Brier score", sep.brier, "score read as a probability"))
        for name, rate in (self.high_score_mqls or {}).items():
            low, high = rate.interval
            rows.append(
                (
                    HIGH_SCORE_LABELS[name],
                    rate.value,
                    f"{rate.numerator} of {rate.denominator}, 95 % CI {low:.1%}–{high:.1%}",
                )
            )
        return pd.DataFrame(rows, columns=["figure", "value", "detail"])

    def figure_rows(self) -> list[tuple[str, Any, str]]:
        """The headline figures as (label, value, kind) for a figure table.

        Kinds as in :func:`helpers.display.html.figure_text`; the high-score shares are
        :class:`Rate` values (their detail is the count pair and interval).
        """
        rows: list[tuple[str, Any, str]] = [
            ("Leads created in the quarter", self.leads, "count"),
            ("of them without a score (left out)", self.unscored, "count"),
        ]
        sep = self.separation
        if sep is None:
            return rows
        rows.append((f"Scored leads that {OUTCOMES[self.outcome]}", sep.converted, "count"))
        if sep.auc is not None:
            auc = f"{sep.auc:.3f} (95 % CI {sep.auc_low:.3f}–{sep.auc_high:.3f}, DeLong)"
            rows.append(("ROC AUC (0.5 = no better than chance)", auc, "text"))
            rows.append(("Lift of the top decile", f"{sep.top_decile_lift:.2f}×", "text"))
            if sep.brier is not None:
                rows.append(
                    ("Brier score (score read as a probability)", f"{sep.brier:.4f}", "text")
                )
        if self.threshold is not None:
            rows.append(
                ("Top-decile score (high-score threshold)", f"≥ {self.threshold:g}", "text")
            )
        for name, rate in (self.high_score_mqls or {}).items():
            rows.append((HIGH_SCORE_LABELS[name], rate, "rate"))
        return rows

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures (NaN and missing values are None)."""
        sep = self.separation.figures() if self.separation is not None else None
        high = None
        if self.high_score_mqls is not None:
            high = {
                name: {
                    "numerator": rate.numerator,
                    "denominator": rate.denominator,
                    "rate": _json_number(rate.value),
                }
                for name, rate in self.high_score_mqls.items()
            }
        return {
            "team": self.team,
            "quarter": self.quarter,
            "outcome": self.outcome,
            "cohort_age_days": self.cohort_age_days,
            "leads": self.leads,
            "unscored": self.unscored,
            "separation": sep,
            "top_decile_threshold": _json_number(self.threshold),
            "high_score_mqls": high,
            "high_score_note": self.high_score_note,
            "note": self.note,
        }


def lead_outcome(view: TeamQuarter, outcome: str) -> pd.Series:
    """Whether each lead of the view reached ``outcome`` (``sql`` or ``won``) by the as-of date.

    The stage time is the first one of the lead's journey (:func:`helpers.metrics.funnel.
    lead_journeys`): its first ``sql`` event, or the close of its first won opportunity.

    Returns
    -------
    Series of bool, index lead_id.
    """
    journeys = view.journeys
    at = journeys[outcome]
    return (at.notna() & (at < view.as_of)).rename(outcome)


def audit_lead_score(view: TeamQuarter, outcome: str = "sql") -> ScoreAudit:
    """Audit the CRM's lead score for the cohort of a team's quarter.

    The cohort is the leads of ``view.team`` created in ``view.quarter``; the outcome is
    whether a lead reached ``outcome`` by the as-of date (a young cohort has had less time to
    convert: ``cohort_age_days`` says how long). Leads without a score are left out and
    counted. See the module docstring for the figures.

    Parameters
    ----------
    view : TeamQuarter
        ``Workbook.view(team, quarter)``.
    outcome : str
        ``"sql"`` (default) or ``"won"``.

    Returns
    -------
    ScoreAudit

    Raises
    ------
    ParameterError
        When ``outcome`` is not one of :data:`OUTCOMES`.

    Examples
    --------
    >>> from helpers import Workbook  # doctest: +SKIP
    >>> view = Workbook.load("data/sample").view("all", "2026Q2")  # doctest: +SKIP
    >>> round(audit_lead_score(view).separation.auc, 2)  # doctest: +SKIP
    0.78
    """
    from ..errors import ParameterError

    if outcome not in OUTCOMES:
        raise ParameterError(
            f"outcome {outcome!r} is not one the audit knows; use one of: {', '.join(OUTCOMES)}."
        )
    dataset = view.workbook.dataset
    age = int((view.as_of - view.end).days)
    base = {"team": view.team, "quarter": str(view.quarter), "outcome": outcome}
    if not dataset.has("leads"):
        return ScoreAudit(
            **base,
            cohort_age_days=age,
            leads=0,
            unscored=0,
            note="Not in this data: no leads table, so no lead-score audit.",
        )
    leads = view.tables["leads"]
    cohort = leads[within(leads["created_at"], view.start, view.end)]
    scored = cohort[cohort["score"].notna()]
    counts = {"cohort_age_days": age, "leads": len(cohort), "unscored": len(cohort) - len(scored)}
    if not dataset.has_values("leads", "score"):
        return ScoreAudit(
            **base,
            **counts,
            note="Not in this data: leads have no score column (or every score is empty), "
            "so no lead-score audit.",
        )
    tracked = dataset.tracked
    if outcome not in tracked:
        phrase = absent_phrase([outcome], dataset.not_supplied)
        return ScoreAudit(
            **base,
            **counts,
            note=f"Not in this data: {phrase}, so the score cannot be audited against "
            f"leads that {OUTCOMES[outcome]}.",
        )
    reached = lead_outcome(view, outcome)
    y = reached.reindex(scored["lead_id"]).fillna(False).to_numpy(dtype=bool)
    score = scored["score"].to_numpy(dtype="float64")
    separation = score_separation(
        y, score, what=f"scored leads created in {view.quarter}", outcome=OUTCOMES[outcome]
    )
    notes = []
    if age < 0:
        notes.append(
            f"{view.quarter} had not ended at the as-of date {view.as_of.date()}: the cohort is "
            "still forming and its leads have had little time to convert."
        )
    if separation.note is not None or separation.deciles is None:
        return ScoreAudit(**base, **counts, separation=separation, notes=tuple(notes))
    deciles = separation.deciles
    threshold = float(deciles["score_min"].iloc[0])
    high, high_note = _high_score_mqls(view, scored, score, threshold)
    return ScoreAudit(
        **base,
        **counts,
        separation=separation,
        threshold=threshold,
        high_score_mqls=high,
        high_score_note=high_note,
        notes=tuple(notes),
    )


def _high_score_mqls(
    view: TeamQuarter, scored: pd.DataFrame, score: np.ndarray, threshold: float
) -> tuple[dict[str, Rate] | None, str | None]:
    """Shares of the top-decile MQLs (score ≥ threshold) that sales rejected or never touched."""
    dataset = view.workbook.dataset
    tracked = dataset.tracked_events
    if "mql" not in tracked:
        return None, "Not in this data: no mql events, so no high-score MQLs to follow."
    events = view.tables["lead_events"]
    events = events[events["at"] < view.as_of]
    top = events[events["lead_id"].isin(set(scored.loc[score >= threshold, "lead_id"]))]

    def leads_with(*names: str) -> set:
        return set(top.loc[top["event"].isin(names), "lead_id"])

    mqls = leads_with("mql")
    out: dict[str, Rate] = {}
    notes = []
    if "rejected" in tracked:
        out["rejected"] = Rate(len(mqls & leads_with("rejected")), len(mqls))
    else:
        notes.append("no rejected events")
    if "first_touch" in tracked:
        out["never_touched"] = Rate(len(mqls - leads_with(*SALES_EVENTS)), len(mqls))
    else:
        notes.append("no first_touch events")
    note = None
    if notes:
        missing = " and ".join(notes)
        note = f"Not in this data: {missing}, so not every share of high-score MQLs is shown."
    return (out or None), note
