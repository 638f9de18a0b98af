"""A trained lead-scoring model, evaluated out of time beside the CRM's score.

What it predicts
----------------
The chance that a lead becomes an SQL within :data:`HORIZON_DAYS` days of its creation,
scored at the **scoring moment**: :data:`SCORING_DAYS` days after the lead was created (or
the as-of date, for a lead younger than that).

What it knows (features), all known at the scoring moment
---------------------------------------------------------
- the lead's attributes: ``channel``, ``source_type``, ``campaign_id`` (when the data has
  it), ``team`` and every extra attribute column of ``leads`` (``industry``,
  ``company_size``, ``country`` …; a column whose values are all numbers is numeric, any
  other is a category);
- its early activity, counted strictly before the scoring moment: marketing touches
  (``touches``: how many, over how many channels), hours from creation to its first ``mql``,
  and hours from that MQL to the first ``first_touch`` (the speed of the hand-off).

It never sees the outcome events (``accepted``, ``rejected``, ``recycled``, ``sql``),
opportunities, anything dated at or after the scoring moment, nor the CRM's ``score`` (so
the two scores are compared as independent rankings; the CRM's score is usually set at
creation, while the model has seen the lead's first :data:`SCORING_DAYS` days). An attribute
column that separates the outcome almost perfectly on its own among the training leads (AUC
of at least :data:`LEAK_AUC`; e.g. a "converted" flag the CRM writes after the fact) is left
out as a probable leak, and so is a text column with a distinct value for most leads (an
identifier, which cannot generalise); :attr:`LeadModel.dropped` says which and why.

How it learns
-------------
A scikit-learn :class:`~sklearn.pipeline.Pipeline`: categories are coded by an
:class:`~sklearn.preprocessing.OrdinalEncoder` (at most :data:`MAX_CATEGORIES` per column; a
category unseen in training, such as next quarter's campaign, counts as missing) and fed with
the numbers to a :class:`~sklearn.ensemble.HistGradientBoostingClassifier` with native
categorical splits and a fixed number of trees (no early stopping), seeded, on one thread
(deterministic for a data set and seed, and polite on a shared machine).

How it is judged (:func:`evaluate_lead_model`)
---------------------------------------------
Out of time: trained only on leads whose :data:`HORIZON_DAYS`-day outcome was known when the
evaluation quarter began (created at least that many days before it), evaluated on the leads
created in the evaluation quarter (default: the latest complete one) whose horizon has passed
by the as-of date, beside the CRM's score on the same leads with the same outcome: AUC with
DeLong interval, calibration (reliability and Brier for the model, conversion by decile for
both), lift and gains (:func:`helpers.prediction.score_audit.score_separation`); and the
features that drive it, by permutation importance (the drop in AUC when one feature's values
are shuffled among the evaluation leads).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..data.periods import Quarter
from ..errors import ParameterError
from ..metrics.scope import within
from .score_audit import MIN_CLASS, Separation, auc_interval, score_separation

if TYPE_CHECKING:
    from ..analysis.workbook import Workbook

SCORING_DAYS = 7
"""Days after creation at which a lead is scored; its early activity is counted up to then."""

HORIZON_DAYS = 30
"""A lead counts as converted when it became an SQL within this many days of its creation."""

OUTCOME_EVENT = "sql"
"""The lifecycle event the model predicts."""

EARLY_EVENTS = ("mql", "first_touch")
"""The only lifecycle events the model reads, and only those before the scoring moment."""

BASE_CATEGORIES = ("channel", "source_type", "campaign_id", "team")
"""Lead columns used as categories when the data has values in them."""

NOT_FEATURES = ("lead_id", "created_at", "score")
"""Lead columns never used: the key, the time, and the CRM's own score."""

EARLY_NUMBERS = ("touches", "touch_channels", "hours_to_mql", "hours_mql_to_first_touch")
"""The early-activity features (see :func:`lead_features`)."""

LEAK_AUC = 0.98
"""An attribute that alone separates the training outcome at least this well is left out."""

IDENTIFIER_SHARE = 0.5
"""A text attribute with more distinct values than this share of the training leads is left out."""

MAX_CATEGORIES = 60
"""Most categories one column keeps (the rarest beyond are pooled as one)."""

MODEL_VERSION = "lead-model-1"
"""Written beside every exported score; change it when the features or the learner change."""

DEFAULT_SEED = 7
"""Seed of the learner and of the permutation importance."""


# --- features -----------------------------------------------------------------------------------


def scoring_moment(leads: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """When each lead is scored: ``min(created_at + SCORING_DAYS days, as_of)`` (index lead_id)."""
    created = leads.set_index("lead_id")["created_at"]
    return created.add(pd.Timedelta(days=SCORING_DAYS)).clip(upper=as_of)


def _attribute_columns(leads: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(category columns, number columns) of the lead attributes the data has values in."""
    categories, numbers = [], []
    for name in leads.columns:
        if name in NOT_FEATURES or not leads[name].notna().any():
            continue
        if name in BASE_CATEGORIES:
            categories.append(name)
            continue
        values = leads[name]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numbers.append(name)
            continue
        parsed = pd.to_numeric(values.astype("object"), errors="coerce")
        if parsed[values.notna()].notna().all():
            numbers.append(name)
        else:
            categories.append(name)
    return categories, numbers


def lead_features(
    leads: pd.DataFrame,
    events: pd.DataFrame,
    touches: pd.DataFrame | None,
    moment: pd.Series,
) -> pd.DataFrame:
    """One row of features per lead, from what was known before its scoring moment.

    Parameters
    ----------
    leads : DataFrame
        Canonical ``leads``.
    events : DataFrame
        Canonical ``lead_events``; only :data:`EARLY_EVENTS` before ``moment`` are read.
    touches : DataFrame or None
        Canonical ``touches`` (None or empty without the table); only those before ``moment``.
    moment : Series
        Scoring moment per lead_id (see :func:`scoring_moment`).

    Returns
    -------
    DataFrame
        Index lead_id (the order of ``leads``); the category columns as ``object`` (missing
        is NaN), number attributes as float, and :data:`EARLY_NUMBERS`: ``touches`` and
        ``touch_channels`` (counts before the moment), ``hours_to_mql`` (creation → first
        MQL, NaN without an MQL before the moment) and ``hours_mql_to_first_touch`` (that MQL
        → the first first_touch after it, NaN when there is none before the moment).
    """
    categories, numbers = _attribute_columns(leads)
    frame = leads.set_index("lead_id")
    out = pd.DataFrame(index=frame.index)
    for name in categories:
        values = frame[name].astype("object")
        out[name] = values.where(values.notna(), np.nan)
    for name in numbers:
        out[name] = pd.to_numeric(frame[name].astype("object"), errors="coerce").astype("float64")
    created = frame["created_at"]
    moment = moment.reindex(frame.index)
    if frame.empty:  # nothing to count (and no timestamps to compare with)
        return out.assign(**{name: pd.Series(dtype="float64") for name in EARLY_NUMBERS})

    if touches is not None and len(touches):
        early = touches[touches["at"] < touches["lead_id"].map(moment)]
        grouped = early.groupby("lead_id")
        out["touches"] = grouped.size().reindex(frame.index, fill_value=0).astype("float64")
        out["touch_channels"] = (
            grouped["channel"].nunique().reindex(frame.index, fill_value=0).astype("float64")
        )
    else:
        out["touches"] = 0.0
        out["touch_channels"] = 0.0

    chosen = events[events["event"].isin(EARLY_EVENTS)]
    chosen = chosen[chosen["at"] < chosen["lead_id"].map(moment)]
    mql = chosen[chosen["event"] == "mql"].groupby("lead_id")["at"].min().reindex(frame.index)
    out["hours_to_mql"] = (mql - created).dt.total_seconds() / 3600.0
    touched = chosen[chosen["event"] == "first_touch"]
    touched = touched[touched["at"] >= touched["lead_id"].map(mql)]
    first_touch = touched.groupby("lead_id")["at"].min().reindex(frame.index)
    out["hours_mql_to_first_touch"] = (first_touch - mql).dt.total_seconds() / 3600.0
    return out


def outcome_within_horizon(workbook: Workbook, lead_ids: pd.Index) -> pd.Series:
    """Whether each lead became an SQL within :data:`HORIZON_DAYS` days of its creation."""
    journeys = workbook.journeys.reindex(lead_ids)
    deadline = journeys["lead"] + pd.Timedelta(days=HORIZON_DAYS)
    return (journeys[OUTCOME_EVENT].notna() & (journeys[OUTCOME_EVENT] < deadline)).astype(bool)


# --- the model ----------------------------------------------------------------------------------


def _univariate_auc(values: pd.Series, y: np.ndarray, category: bool) -> float:
    """How well one column alone separates ``y``: AUC of its value (or of its category's rate)."""
    if category:
        key = values.astype("object").where(values.notna(), "\x00missing")
        rates = pd.Series(y, index=values.index).groupby(key.to_numpy()).mean()
        score = key.map(rates).to_numpy(dtype="float64")
    else:
        score = values.to_numpy(dtype="float64")
        score = np.where(
            np.isnan(score), np.nanmin(score) - 1 if np.isfinite(score).any() else 0, score
        )
    auc = auc_interval(y, score)[0]
    return max(auc, 1.0 - auc) if not math.isnan(auc) else math.nan


@dataclass
class LeadModel:
    """A fitted lead-scoring pipeline with the features it uses and those it left out.

    Use :func:`fit_lead_model`; ``predict`` gives the probability of converting.
    """

    pipeline: Any
    categories: list[str]
    numbers: list[str]
    dropped: dict[str, str]
    trained_on: int
    converted: int
    seed: int
    cutoff: pd.Timestamp

    @property
    def features(self) -> list[str]:
        """The columns the pipeline reads, in order."""
        return [*self.categories, *self.numbers]

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Probability of an SQL within the horizon for each row of ``features``."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return self.pipeline.predict_proba(features[self.features])[:, 1]

    @property
    def version(self) -> str:
        """Model version and training cutoff, e.g. ``lead-model-1 trained to 2026-10-01``."""
        return f"{MODEL_VERSION} trained to {self.cutoff.date()}"


def fit_lead_model(
    features: pd.DataFrame,
    y: np.ndarray,
    *,
    seed: int = DEFAULT_SEED,
    cutoff: pd.Timestamp | None = None,
) -> LeadModel:
    """Fit the pipeline on the training leads' features and outcomes.

    Attribute columns that look like leaks or identifiers are left out first (see the module
    docstring); the early-activity numbers are always kept.

    Parameters
    ----------
    features : DataFrame
        :func:`lead_features` of the training leads.
    y : array of bool
        Their outcome.
    seed : int
        Seed of the learner.
    cutoff : Timestamp, optional
        When the training data ended (recorded in the model's version).

    Returns
    -------
    LeadModel

    Raises
    ------
    ParameterError
        When fewer than :data:`~helpers.prediction.score_audit.MIN_CLASS` training leads
        converted, or fewer did not.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder
    from threadpoolctl import threadpool_limits

    y = np.asarray(y, dtype=bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives < MIN_CLASS or negatives < MIN_CLASS:
        raise ParameterError(
            f"the lead model needs at least {MIN_CLASS} training leads that became an SQL within "
            f"{HORIZON_DAYS} days and {MIN_CLASS} that did not; the data has {positives} and "
            f"{negatives}. Fix: use data with more history (earlier quarters)."
        )
    categories = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    numbers = [c for c in features.columns if c not in categories]
    dropped: dict[str, str] = {}
    for name in [*categories, *numbers]:
        if name in EARLY_NUMBERS:
            continue
        column = features[name]
        is_category = name in categories
        if is_category and column.nunique() > IDENTIFIER_SHARE * len(column):
            dropped[name] = (
                f"a distinct value for {column.nunique():,} of {len(column):,} training leads "
                "(an identifier cannot generalise)"
            )
            continue
        auc = _univariate_auc(column, y, is_category)
        if auc >= LEAK_AUC:
            dropped[name] = (
                f"separates the outcome almost perfectly on its own (AUC {auc:.3f} ≥ "
                f"{LEAK_AUC}): probably recorded after conversion"
            )
    categories = [c for c in categories if c not in dropped]
    numbers = [c for c in numbers if c not in dropped]
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        max_categories=MAX_CATEGORIES,
    )
    columns = ColumnTransformer(
        [("categories", encoder, categories), ("numbers", "passthrough", numbers)],
        verbose_feature_names_out=False,
    )
    learner = HistGradientBoostingClassifier(
        categorical_features=[True] * len(categories) + [False] * len(numbers),
        max_iter=150,
        learning_rate=0.08,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=seed,
    )
    pipeline = Pipeline([("columns", columns), ("learner", learner)])
    with threadpool_limits(limits=1):
        pipeline.fit(features[[*categories, *numbers]], y)
    return LeadModel(
        pipeline,
        categories,
        numbers,
        dropped,
        trained_on=len(y),
        converted=positives,
        seed=seed,
        cutoff=cutoff if cutoff is not None else pd.NaT,
    )


# --- data → training set ------------------------------------------------------------------------


def _tables(workbook: Workbook) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    dataset = workbook.dataset
    if not dataset.has("leads"):
        raise ParameterError(
            f"{dataset.source_name}: no leads table, so no lead model. Fix: add leads.csv and "
            "lead_events.csv."
        )
    if OUTCOME_EVENT not in dataset.tracked_events:
        raise ParameterError(
            f"{dataset.source_name}: no {OUTCOME_EVENT} events in lead_events, so there is no "
            "outcome to learn. Fix: export the SQL dates (event 'sql')."
        )
    touches = dataset.tables["touches"] if dataset.has("touches") else None
    return dataset["leads"], dataset["lead_events"], touches


def _training_set(
    workbook: Workbook, known_by: pd.Timestamp
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Features and outcomes of the leads whose outcome was known by ``known_by``."""
    leads, events, touches = _tables(workbook)
    mature = leads[leads["created_at"] + pd.Timedelta(days=HORIZON_DAYS) <= known_by]
    # What the model may read was all dated before known_by (scoring moments are earlier).
    events = events[events["at"] < known_by]
    touches = touches[touches["at"] < known_by] if touches is not None else None
    moment = scoring_moment(mature, known_by)
    features = lead_features(mature, events, touches, moment)
    y = outcome_within_horizon(workbook, features.index).to_numpy()
    return features, y, mature


def train_lead_model(
    workbook: Workbook, *, known_by: pd.Timestamp | None = None, seed: int = DEFAULT_SEED
) -> LeadModel:
    """Train on every lead whose :data:`HORIZON_DAYS`-day outcome was known by ``known_by``.

    ``known_by`` defaults to the data's as-of date (the model ``workbook score`` uses).
    """
    known_by = workbook.dataset.as_of if known_by is None else known_by
    features, y, _ = _training_set(workbook, known_by)
    return fit_lead_model(features, y, seed=seed, cutoff=known_by)


# --- out-of-time evaluation ---------------------------------------------------------------------


@dataclass(frozen=True)
class ModelEvaluation:
    """The model beside the CRM's score on the same leads (see :func:`evaluate_lead_model`)."""

    quarter: str
    team: str
    trained_on: int
    trained_converted: int
    evaluated_on: int
    too_young: int
    model: Separation | None = None
    crm: Separation | None = None
    importance: pd.DataFrame | None = None
    dropped: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    crm_note: str | None = None
    scores: pd.DataFrame | None = None

    def comparison(self) -> pd.DataFrame:
        """Model and CRM side by side: score, AUC with interval, top-decile lift, Brier."""
        rows = []
        for name, sep in (("trained model", self.model), ("CRM score", self.crm)):
            if sep is None:
                continue
            rows.append(
                {
                    "score": name,
                    "leads": sep.leads,
                    "converted": sep.converted,
                    "auc": sep.auc,
                    "auc_ci_low": sep.auc_low,
                    "auc_ci_high": sep.auc_high,
                    "top_decile_lift": sep.top_decile_lift,
                    "brier": sep.brier,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures (NaN and missing values are None)."""
        importance = None
        if self.importance is not None:
            importance = [
                {"feature": f, "auc_drop": float(d), "sd": float(s)}
                for f, d, s in self.importance[["feature", "auc_drop", "sd"]].itertuples(
                    index=False
                )
            ]
        return {
            "quarter": self.quarter,
            "team": self.team,
            "scoring_days": SCORING_DAYS,
            "horizon_days": HORIZON_DAYS,
            "trained_on": self.trained_on,
            "trained_converted": self.trained_converted,
            "evaluated_on": self.evaluated_on,
            "too_young": self.too_young,
            "model": None if self.model is None else self.model.figures(),
            "crm": None if self.crm is None else self.crm.figures(),
            "importance": importance,
            "dropped": dict(self.dropped),
            "note": self.note,
            "crm_note": self.crm_note,
        }


def permutation_auc_drops(
    learner, encoded: np.ndarray, y: np.ndarray, *, repeats: int, seed: int
) -> np.ndarray:
    """How much ROC AUC each column's shuffling costs: scikit-learn's permutation importance.

    The same shuffles as :func:`sklearn.inspection.permutation_importance` with
    ``scoring="roc_auc"`` and ``random_state=seed`` (one seed drawn from it, each column's
    shuffles from that seed, each repeat shuffling the column further), so the same numbers;
    but the ``repeats`` shuffled copies of the rows are scored in one prediction per column
    rather than one per repeat (a prediction walks all the trees whatever the rows).

    Parameters
    ----------
    learner : fitted classifier with ``decision_function``
        The model after its encoder.
    encoded : ndarray, shape (n_leads, n_columns)
        The encoded features.
    y : ndarray of bool, shape (n_leads,)
        The outcomes.
    repeats, seed : int
        Shuffles per column, and the seed.

    Returns
    -------
    ndarray, shape (n_columns, repeats)
        Baseline AUC minus the AUC with the column shuffled, per repeat.
    """
    from sklearn.metrics import roc_auc_score

    n, columns = encoded.shape
    baseline = roc_auc_score(y, learner.decision_function(encoded))
    column_seed = np.random.RandomState(seed).randint(np.iinfo(np.int32).max + 1)
    drops = np.empty((columns, repeats))
    for column in range(columns):
        random_state = np.random.RandomState(column_seed)
        order = np.arange(n)
        shuffled = encoded[:, column].copy()
        copies = np.repeat(encoded[np.newaxis], repeats, axis=0)
        for repeat in range(repeats):
            random_state.shuffle(order)
            shuffled = shuffled[order]
            copies[repeat, :, column] = shuffled
        scores = learner.decision_function(copies.reshape(repeats * n, columns))
        for repeat, block in enumerate(scores.reshape(repeats, n)):
            drops[column, repeat] = baseline - roc_auc_score(y, block)
    return drops


def evaluate_lead_model(
    workbook: Workbook,
    quarter: str | Quarter | None = None,
    *,
    team: str = "all",
    seed: int = DEFAULT_SEED,
    importance_repeats: int = 5,
) -> ModelEvaluation:
    """Backtest: train before ``quarter``, score its leads, compare with the CRM's score.

    Parameters
    ----------
    workbook : Workbook
        The data.
    quarter : str or Quarter, optional
        Evaluation quarter; default the latest complete quarter.
    team : str
        Evaluate on this team's leads (``"all"``: every team); the model learns from every
        team's history (the team is one of its features).
    seed : int
        Seed of the learner and of the permutation importance.
    importance_repeats : int
        Shuffles per feature for the permutation importance (0: none).

    Returns
    -------
    ModelEvaluation
        With ``note`` ("Not in this data: …") instead of figures when the quarter has too few
        mature leads or the history before it too few converted ones.
    """
    from threadpoolctl import threadpool_limits

    dataset = workbook.dataset
    team = dataset.check_team(team)
    if quarter is None:
        chosen = dataset.latest_complete_quarter
    elif isinstance(quarter, Quarter):
        chosen = quarter
    else:
        chosen = dataset.quarter(quarter)
    leads, events, touches = _tables(workbook)
    base = {"quarter": str(chosen), "team": team}

    cohort = leads[within(leads["created_at"], chosen.start, chosen.end)]
    if team != "all":
        cohort = cohort[cohort["team"] == team]
    mature = cohort[cohort["created_at"] + pd.Timedelta(days=HORIZON_DAYS) <= dataset.as_of]
    too_young = len(cohort) - len(mature)

    features, y, _ = _training_set(workbook, chosen.start)
    counts = {
        "trained_on": len(y),
        "trained_converted": int(y.sum()),
        "evaluated_on": len(mature),
        "too_young": too_young,
    }
    if y.sum() < MIN_CLASS or (~y).sum() < MIN_CLASS:
        return ModelEvaluation(
            **base,
            **counts,
            note=(
                f"Not in this data: before {chosen} only {int(y.sum())} of {len(y)} leads with a "
                f"known {HORIZON_DAYS}-day outcome became an SQL; the model needs at least "
                f"{MIN_CLASS} that did and {MIN_CLASS} that did not."
            ),
        )
    model = fit_lead_model(features, y, seed=seed, cutoff=chosen.start)
    test_features = lead_features(mature, events, touches, scoring_moment(mature, dataset.as_of))
    test_y = outcome_within_horizon(workbook, test_features.index).to_numpy()
    what = f"leads of {chosen} at least {HORIZON_DAYS} days old"
    probability = model.predict(test_features) if len(test_features) else np.zeros(0)
    model_sep = score_separation(test_y, probability, what=what, outcome="became an SQL")
    if model_sep.note:
        return ModelEvaluation(
            **base, **counts, model=model_sep, dropped=model.dropped, note=model_sep.note
        )
    crm, crm_note = None, None
    crm_scores = mature.set_index("lead_id")["score"].reindex(test_features.index)
    if not dataset.has_values("leads", "score"):
        crm_note = "Not in this data: leads have no score column, so no CRM score to compare."
    else:
        scored = crm_scores.notna().to_numpy()
        crm = score_separation(
            test_y[scored],
            crm_scores.to_numpy(dtype="float64")[scored],
            what=f"scored {what}",
            outcome="became an SQL",
        )
        if scored.sum() < len(scored):
            crm_note = (
                f"{len(scored) - int(scored.sum())} of the {len(scored)} leads have no CRM score; "
                "the CRM's figures are on the others."
            )
    importance = None
    if importance_repeats > 0:
        # Shuffling a raw column and encoding it is encoding it and shuffling the codes (the
        # encoder works value by value), so the columns are encoded once, not once per shuffle.
        with threadpool_limits(limits=1):
            encoded = model.pipeline[:-1].transform(test_features[model.features])
            drops = permutation_auc_drops(
                model.pipeline[-1], encoded, test_y, repeats=importance_repeats, seed=seed
            )
        importance = (
            pd.DataFrame(
                {
                    "feature": model.features,
                    "auc_drop": drops.mean(axis=1),
                    "sd": drops.std(axis=1),
                }
            )
            .sort_values(["auc_drop", "feature"], ascending=[False, True])
            .reset_index(drop=True)
        )
    scores = pd.DataFrame(
        {
            "lead_id": test_features.index,
            "model": probability,
            "crm_score": crm_scores.to_numpy(dtype="float64"),
            "converted": test_y,
        }
    )
    return ModelEvaluation(
        **base,
        **counts,
        model=model_sep,
        crm=crm,
        importance=importance,
        dropped=model.dropped,
        crm_note=crm_note,
        scores=scores,
    )


# --- scoring open leads for the CRM -------------------------------------------------------------


def open_leads(workbook: Workbook) -> pd.DataFrame:
    """Leads still open at the as-of date: no SQL, no opportunity, not left rejected.

    A lead is closed when it has an ``sql`` event, an opportunity, or a ``rejected`` event
    with no later ``mql`` or ``recycled`` one (a recycled lead is back in play).
    """
    leads, events, _ = _tables(workbook)
    journeys = workbook.journeys
    converted = journeys[OUTCOME_EVENT].notna() | journeys["opportunity"].notna()
    last_rejected = events[events["event"] == "rejected"].groupby("lead_id")["at"].max()
    back = events[events["event"].isin(["mql", "recycled"])].groupby("lead_id")["at"].max()
    left_rejected = last_rejected.index[
        ~(back.reindex(last_rejected.index) > last_rejected).fillna(False).to_numpy(dtype=bool)
    ]
    closed = set(journeys.index[converted.to_numpy(dtype=bool)]) | set(left_rejected)
    return leads[~leads["lead_id"].isin(closed)]


SCORE_COLUMNS = ("lead_id", "score", "model_version", "model_date")
"""Columns of the file ``workbook score`` writes."""


def score_open_leads(workbook: Workbook, *, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Score every open lead with a model trained on all leads whose outcome is known.

    Returns
    -------
    DataFrame
        :data:`SCORE_COLUMNS`: lead_id, score (the probability of an SQL within
        :data:`HORIZON_DAYS` days × 100, one decimal, on the CRM score's 0–100 scale),
        model_version (e.g. ``lead-model-1 trained to 2026-10-01``) and model_date (the
        as-of date of the data, ISO). Rows in the order of ``leads``. Deterministic: the same
        data and seed give the same file.
    """
    dataset = workbook.dataset
    model = train_lead_model(workbook, seed=seed)
    leads, events, touches = _tables(workbook)
    open_ = open_leads(workbook)
    features = lead_features(open_, events, touches, scoring_moment(open_, dataset.as_of))
    probability = model.predict(features) if len(features) else np.zeros(0)
    return pd.DataFrame(
        {
            "lead_id": features.index.astype("object"),
            "score": np.round(probability * 100.0, 1),
            "model_version": model.version,
            "model_date": dataset.as_of.date().isoformat(),
        },
        columns=list(SCORE_COLUMNS),
    )


def team_lead_scores(workbook: Workbook, team: str, *, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The trained model's score of every lead of ``team``, with its outcome where known.

    The model is the one ``workbook score`` uses (trained on every lead whose
    :data:`HORIZON_DAYS`-day outcome is known at the as-of date); each lead is scored at its
    scoring moment. For the calibration exercise: where the room's "SQL?" answers draw the
    line on the model's scale, beside the line that best separates the team's past leads.

    Returns
    -------
    DataFrame
        lead_id, score (chance of an SQL within :data:`HORIZON_DAYS` days × 100), converted
        (bool; missing for a lead younger than the horizon), in the order of ``leads``.

    Raises
    ------
    ParameterError
        When the data cannot train the model (see :func:`fit_lead_model`).
    """
    dataset = workbook.dataset
    model = train_lead_model(workbook, seed=seed)
    leads, events, touches = _tables(workbook)
    if team != "all":
        leads = leads[leads["team"] == team]
    features = lead_features(leads, events, touches, scoring_moment(leads, dataset.as_of))
    probability = model.predict(features) if len(features) else np.zeros(0)
    mature = (leads["created_at"] + pd.Timedelta(days=HORIZON_DAYS) <= dataset.as_of).to_numpy()
    converted = outcome_within_horizon(workbook, features.index).astype("boolean")
    return pd.DataFrame(
        {
            "lead_id": features.index.to_numpy(dtype=object),
            "score": probability * 100.0,
            "converted": converted.where(mature).to_numpy(),
        }
    )
