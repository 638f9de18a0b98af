"""Exercise 1, lead-qualification calibration: does the room agree on what an MQL is.

Every participant rates the same sample of real leads of their team with three yes/no
questions (:data:`QUESTIONS`). The debrief shows

- agreement per question: Fleiss' kappa for the room, within sales and within marketing,
  and the mean Cohen's kappa over sales × marketing pairs
  (:func:`helpers.metrics.agreement.agreement_by_group`);
- the leads the room disagreed on most (:func:`helpers.metrics.agreement.most_disputed`), with their
  score and what really happened to them;
- the score threshold the room's "MQL?" answers imply (:func:`implied_threshold`) against the
  threshold the scoring model applies in the data (:func:`model_threshold`).

The lead score is kept out of the rating form on purpose (participants would anchor on it); it
is revealed in the results. Data without a ``score`` column (or with every score empty) still
gives the exercise: the sample is drawn at random, agreement is shown as usual, and the
threshold comparison is replaced by one line (:data:`NO_SCORE_NOTE`).
"""

from __future__ import annotations

import hashlib
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..data.periods import quarter_labels
from ..display.widgets import Html, LivePanel, show
from ..errors import WorkbookError
from ..metrics import agreement
from .exercise_summary import ExerciseSummary

__all__ = [
    "ANSWERS",
    "EXERCISE",
    "FORM_COLUMNS",
    "QUESTIONS",
    "TITLE",
    "CalibrationExercise",
    "implied_threshold",
    "item_id",
    "lead_sample",
    "model_threshold",
    "mql_curve",
    "parse_item",
    "share_plot",
    "summarise",
]

EXERCISE = "calibration"
TITLE = "Lead-qualification calibration"
QUESTIONS = {
    "mql": "Is this a marketing-qualified lead (MQL)?",
    "sql": "Would you accept it as a sales-qualified lead (SQL)?",
    "call": "Would you call this lead today?",
}
SHORT = {"mql": "MQL?", "sql": "SQL?", "call": "Call?"}  # widget descriptions and table headers
ANSWERS = ("yes", "no")
# Lead attributes shown in the rating form, in this order, when the data has them. The score
# is deliberately not among them.
FORM_COLUMNS = (
    "created",
    "channel",
    "source_type",
    "campaign_id",
    "industry",
    "company_size",
    "country",
)
OUTCOME_AGE_DAYS = 30  # leads younger than this at the data's as-of date have no outcome yet
_ROLE_LABELS = {"sales": "Within sales", "marketing": "Within marketing", "all": "Room"}
NO_SCORE_NOTE = (
    "Not in this data: no lead scores, so no score thresholds (the room's against the scoring "
    "model's); agreement on the leads is shown as usual."
)


# --- the sample ------------------------------------------------------------------------------


def _seed(team: str, session: str) -> int:
    """A seed that depends on (team, session) only, the same in every kernel and process."""
    digest = hashlib.sha256(f"{EXERCISE}\x1f{team}\x1f{session}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def has_scores(workbook) -> bool:
    """Whether the data's leads carry a score (a ``score`` column with at least one value)."""
    return workbook.dataset.has_values("leads", "score")


def _scored_leads(workbook, team: str) -> pd.DataFrame:
    """The team's leads that the scoring model decides on: scored, not sourced by sales.

    Without scores in the data, every lead of the team that is not sourced by sales.
    """
    leads = workbook.dataset.tables["leads"]
    leads = leads[leads["team"] == team]
    if has_scores(workbook):
        leads = leads[leads["score"].notna()]
    if "source_type" in leads.columns:  # sales-sourced leads skip the MQL stage
        leads = leads[leads["source_type"].fillna("") != "sales"]
    return leads


def _outcomes(workbook, lead_ids: pd.Series) -> pd.DataFrame:
    """Per lead: ``became_mql``, ``became_sql`` and a short ``outcome`` text (index: lead_id)."""
    events = workbook.dataset.tables["lead_events"]
    # Whether sales' decision is recorded at all: without accepted/rejected events an MQL
    # that is not an SQL may have been worked, so "not worked yet" would be a guess.
    decided = {"accepted", "rejected"} & set(workbook.dataset.tracked_events)
    events = events[events["lead_id"].isin(set(lead_ids))]
    seen = events.groupby("lead_id")["event"].agg(lambda e: set(e.dropna()))
    rejected = events[events["event"] == "rejected"].sort_values("at")
    reason = rejected.groupby("lead_id")["reason"].last()
    rows = []
    for lead in lead_ids:
        kinds = seen.get(lead, set())
        if "sql" in kinds:
            text = "became an SQL"
        elif "rejected" in kinds:
            why = reason.get(lead)
            text = "MQL, rejected by sales" + (f" ({why})" if isinstance(why, str) and why else "")
        elif "accepted" in kinds:
            text = "MQL, accepted, not (yet) an SQL"
        elif "mql" in kinds:
            text = "MQL, not worked yet" if decided else "MQL, not (yet) an SQL"
        else:
            text = "never an MQL"
        rows.append((lead, "mql" in kinds, "sql" in kinds, text))
    frame = pd.DataFrame(rows, columns=["lead_id", "became_mql", "became_sql", "outcome"])
    return frame.set_index("lead_id")


def lead_sample(workbook, team: str, session: str, size: int = 12) -> pd.DataFrame:
    """The leads a team rates: the same for everyone in (team, session), spread over the scores.

    The pool is the team's scored leads that are not sourced by sales (those skip the MQL
    stage), created at least :data:`OUTCOME_AGE_DAYS` days before the data's as-of date so
    their outcome is known (all of them when that leaves fewer than ``size``). The pool's score
    range from its 5th to its 95th percentile is cut into ``size`` equal-width bands (the outer
    bands take the tails too) and one lead is drawn from each band;
    bands without leads are made up from the rest of the pool at random. Without scores in
    the data the pool is every such lead and the draw is at random. The draw and the
    order of the rows are random, seeded by (team, session) only, so every participant of a
    team sees the same leads in the same order, and the order says nothing about the score.

    Parameters
    ----------
    workbook : helpers.analysis.workbook.Workbook
        The data.
    team : str
        Team whose leads are drawn.
    session : str
        Workshop session; another session gets another sample.
    size : int
        How many leads (fewer when the team has fewer scored leads).

    Returns
    -------
    DataFrame
        One row per lead in display order: ``position`` (1, 2, …), ``label`` ("Lead 1 ·
        L0000123"), ``lead_id``, the :data:`FORM_COLUMNS` the data has (``created`` is the
        fiscal quarter of creation), then for the debrief only ``score``, ``became_mql``,
        ``became_sql`` and ``outcome``.

    Raises
    ------
    WorkbookError
        When ``size`` is below 1.
    """
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise WorkbookError(f"size must be a whole number of leads ≥ 1; received {size!r}.")
    pool = _scored_leads(workbook, team)
    as_of = workbook.dataset.as_of
    mature = pool[pool["created_at"] <= as_of - pd.Timedelta(days=OUTCOME_AGE_DAYS)]
    if len(mature) >= size:
        pool = mature
    pool = pool.sort_values(["score", "lead_id"]).reset_index(drop=True)
    rng = np.random.default_rng(_seed(team, session))
    chosen: list[int] = []
    if len(pool) <= size:
        chosen = list(range(len(pool)))
    elif not has_scores(workbook):
        chosen = [int(i) for i in rng.choice(len(pool), size, replace=False)]
    else:
        scores = pool["score"].to_numpy(dtype="float64")
        low, high = np.quantile(scores, [0.05, 0.95])
        edges = np.linspace(low, high, size + 1)
        band = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, size - 1)
        for b in range(size):
            members = np.flatnonzero(band == b)
            if len(members):
                chosen.append(int(rng.choice(members)))
        rest = np.setdiff1d(np.arange(len(pool)), chosen)
        chosen += [int(i) for i in rng.choice(rest, size - len(chosen), replace=False)]
    sample = pool.iloc[rng.permutation(np.array(chosen, dtype="int64"))].reset_index(drop=True)
    start = workbook.dataset.config.fiscal_year_start_month
    sample["created"] = quarter_labels(sample["created_at"], start).astype("object")
    # campaign_id is optional: a column the data never filled is not shown on the form.
    shown = [
        c
        for c in FORM_COLUMNS
        if c in sample.columns and (c != "campaign_id" or workbook.dataset.has_values("leads", c))
    ]
    columns = ["lead_id", *shown, "score"]
    result = sample[columns].copy()
    result.insert(0, "position", np.arange(1, len(result) + 1, dtype="int64"))
    result.insert(
        1,
        "label",
        [
            f"Lead {p} · {lead}"
            for p, lead in zip(result["position"], result["lead_id"], strict=True)
        ],
    )
    outcomes = _outcomes(workbook, result["lead_id"])
    return result.join(outcomes, on="lead_id")


def item_id(lead_id: str, question: str) -> str:
    """The stored item of one question about one lead, e.g. ``"L0000123:mql"``.

    Raises
    ------
    WorkbookError
        When ``question`` is not one of :data:`QUESTIONS`.
    """
    if question not in QUESTIONS:
        raise WorkbookError(
            f"Unknown calibration question {question!r}; use one of {', '.join(QUESTIONS)}."
        )
    return f"{lead_id}:{question}"


def parse_item(item: str) -> tuple[str, str]:
    """``(lead_id, question)`` of a stored item (the inverse of :func:`item_id`)."""
    lead, _, question = str(item).rpartition(":")
    return lead, question


# --- thresholds ------------------------------------------------------------------------------


def implied_threshold(scores: Sequence[float], yes: Sequence[bool]) -> float:
    """The score cut that best reproduces yes/no labels: "yes when score ≥ cut".

    Rule: with ``s_1 < … < s_m`` the distinct scores, the candidate cuts are the midpoints
    ``(s_k + s_(k+1)) / 2`` between neighbours, plus one cut half a step below ``s_1`` (everyone
    yes) and one half a step above ``s_m`` (everyone no), a step being the mean gap
    ``(s_m − s_1) / (m − 1)`` (1 when all scores are equal). Each candidate predicts "yes" for
    the labels whose score is at or above it; the cut that gets most labels right (accuracy)
    wins. When several cuts tie, the middle one wins: the median of the tied cuts, i.e. the
    mean of the two middle ones when their number is even. Labels of several raters on the
    same lead count one each, so the cut is the one that best matches the room as a whole.

    Parameters
    ----------
    scores : sequence of float
        Score of the lead behind each label; missing scores drop the label.
    yes : sequence of bool
        The labels (True = yes), paired with ``scores`` by position.

    Returns
    -------
    float
        The cut; NaN when no label has a score.

    Raises
    ------
    WorkbookError
        When the two sequences differ in length.

    Examples
    --------
    >>> implied_threshold([10, 20, 30, 40], [False, False, True, True])
    25.0
    >>> implied_threshold([10, 20, 30], [True, True, True])  # step 10, half below 10
    5.0
    """
    s = np.asarray(scores, dtype="float64")
    y = np.asarray(yes, dtype=bool)
    if s.shape != y.shape:
        raise WorkbookError(
            f"implied_threshold needs one label per score; received {s.size} score(s) and "
            f"{y.size} label(s)."
        )
    keep = ~np.isnan(s)
    s, y = s[keep], y[keep]
    if not s.size:
        return math.nan
    distinct, inverse = np.unique(s, return_inverse=True)
    m = len(distinct)
    yes_at = np.bincount(inverse, weights=y.astype("int64"), minlength=m).astype("int64")
    no_at = np.bincount(inverse, minlength=m).astype("int64") - yes_at
    # Cut k (0 … m) says "yes" for distinct[k:]: right are the no's below and the yes's above.
    no_below = np.concatenate([[0], np.cumsum(no_at)])
    yes_above = int(yes_at.sum()) - np.concatenate([[0], np.cumsum(yes_at)])
    correct = no_below + yes_above
    step = (distinct[-1] - distinct[0]) / (m - 1) if m > 1 else 1.0
    cuts = np.concatenate(
        [[distinct[0] - step / 2], (distinct[:-1] + distinct[1:]) / 2, [distinct[-1] + step / 2]]
    )
    best = cuts[np.flatnonzero(correct == correct.max())]
    return float(np.median(best))


def model_threshold(workbook, team: str) -> float:
    """The scoring model's MQL threshold as the data shows it.

    No configuration holds the threshold, so it is inferred with :func:`implied_threshold`
    from the team's scored, not sales-sourced leads: score against "became an MQL" (has an
    ``mql`` event). NaN when the team has no such lead, or the data has no scores.
    """
    if not has_scores(workbook):
        return math.nan
    leads = _scored_leads(workbook, team)
    events = workbook.dataset.tables["lead_events"]
    mql = set(events.loc[events["event"] == "mql", "lead_id"])
    return implied_threshold(leads["score"].to_numpy(), leads["lead_id"].isin(mql).to_numpy())


# --- the summary -----------------------------------------------------------------------------


def _answers(workshop, team: str) -> pd.DataFrame:
    """The team's latest calibration answers with ``lead_id`` and ``question`` columns."""
    answers = workshop.answers(EXERCISE, team=team).copy()
    parsed = [parse_item(i) for i in answers["item"]]
    answers["lead_id"] = [p[0] for p in parsed]
    answers["question"] = [p[1] for p in parsed]
    keep = answers["question"].isin(list(QUESTIONS)) & answers["answer"].isin(ANSWERS)
    return answers[keep].reset_index(drop=True)


def _agreement(answers: pd.DataFrame) -> pd.DataFrame:
    """:func:`agreement_by_group` on one question, by role; raters still busy left out if needed.

    While people are still rating, two raters of a group may share no lead yet, and Fleiss'
    kappa has nothing to compare; then only the raters who answered as many leads as the
    most diligent rater are kept. NaN rows when even that is not enough.
    """
    groups = dict(zip(answers["participant_id"], answers["role"], strict=False))
    kwargs = {"item": "item", "rater": "participant_id", "answer": "answer"}
    try:
        return agreement.agreement_by_group(answers, groups, **kwargs)
    except ValueError:
        counts = answers.groupby("participant_id")["item"].nunique()
        done = counts[counts == counts.max()].index
        try:
            return agreement.agreement_by_group(
                answers[answers["participant_id"].isin(done)], groups, **kwargs
            )
        except ValueError:
            return pd.DataFrame(columns=["group", "kappa", "interpretation", "n_raters"])


def _kappa_text(value: float) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:.2f} ({agreement.interpret_kappa(value)})"


def _score_text(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.0f}"


def mql_curve(workbook, team: str, bands: int = 20) -> pd.DataFrame:
    """How often the team's scored leads became MQLs, per score band (the model at work).

    Returns
    -------
    DataFrame
        One row per non-empty band of equal width over the score range: ``score`` (band
        middle), ``leads`` and ``share_mql`` (share of them with an ``mql`` event). Empty
        without scores in the data.
    """
    leads = _scored_leads(workbook, team)
    if leads.empty or not has_scores(workbook):
        return pd.DataFrame(columns=["score", "leads", "share_mql"])
    events = workbook.dataset.tables["lead_events"]
    mql = leads["lead_id"].isin(set(events.loc[events["event"] == "mql", "lead_id"]))
    scores = leads["score"].to_numpy(dtype="float64")
    edges = np.linspace(scores.min(), scores.max(), bands + 1)
    if edges[0] == edges[-1]:
        edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
    band = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, len(edges) - 2)
    frame = pd.DataFrame({"band": band, "mql": mql.to_numpy()})
    grouped = frame.groupby("band")["mql"].agg(["size", "mean"])
    middle = (edges[:-1] + edges[1:]) / 2
    return pd.DataFrame(
        {
            "score": middle[grouped.index.to_numpy()],
            "leads": grouped["size"].to_numpy(dtype="int64"),
            "share_mql": grouped["mean"].to_numpy(dtype="float64"),
        }
    )


def share_plot(
    data: pd.DataFrame,
    *,
    x: str = "score",
    y: str = "share_yes",
    hue: str | None = "role",
    room: float = math.nan,
    model: float = math.nan,
    reference: pd.DataFrame | None = None,
    ax=None,
):
    """Share of raters saying yes per lead, against the lead score, with thresholds marked.

    Parameters
    ----------
    data : DataFrame
        One row per lead (and hue level): columns ``x`` and ``y`` (a share in [0, 1]).
    x, y, hue : str
        Columns; ``hue=None`` draws one colour.
    room, model : float
        The room's implied threshold (solid line) and the model's (dashed); NaN draws none.
    reference : DataFrame, optional
        The data's own curve (:func:`mql_curve`: ``score``, ``share_mql``), drawn as a grey
        line: how often leads of each score really became MQLs.
    ax : Axes, optional
        Axes to draw on; ``plt.gca()`` by default.

    Returns
    -------
    Axes
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    from ..display.plots import PALETTE

    ax = ax if ax is not None else plt.gca()
    if reference is not None and len(reference):
        ax.plot(
            reference["score"],
            reference["share_mql"],
            color="0.6",
            linewidth=1.5,
            label="team's leads that became MQLs",
        )
    if len(data):
        order = [r for r in ("sales", "marketing") if hue and r in set(data[hue])] or None
        sns.scatterplot(data=data, x=x, y=y, hue=hue, hue_order=order, s=70, alpha=0.85, ax=ax)
    if not math.isnan(room):
        ax.axvline(room, color=PALETTE[3], linewidth=2, label=f"room's threshold ({room:.0f})")
    if not math.isnan(model):
        ax.axvline(
            model,
            color="0.3",
            linestyle="--",
            linewidth=2,
            label=f"model's threshold ({model:.0f})",
        )
    ax.set(ylim=(-0.05, 1.05), xlabel="Lead score (hidden while rating)", ylabel="Share saying yes")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=8)
    return ax


@dataclass(frozen=True)
class RoomAnswers:
    """What the summary of one team is computed from, read once.

    Attributes
    ----------
    answers : DataFrame
        The team's latest calibration answers (see :func:`_answers`) with ``score`` (the
        lead's score, NaN without one) and ``yes`` (bool) added.
    sample : DataFrame
        The leads the team rates (:func:`lead_sample`).
    scored : bool
        Whether the data has lead scores.
    model : float
        The scoring model's threshold (:func:`model_threshold`).
    curve : DataFrame
        The data's own MQL curve (:func:`mql_curve`).
    workbook : helpers.analysis.workbook.Workbook
        The data (for the outcomes of the disputed leads).
    """

    answers: pd.DataFrame
    sample: pd.DataFrame
    scored: bool
    model: float
    curve: pd.DataFrame
    workbook: Any

    @cached_property
    def people(self) -> int:
        """How many participants have answered at least one item."""
        return int(self.answers["participant_id"].nunique())

    @cached_property
    def labels(self) -> dict[str, str]:
        """Lead id → its label in the form ("Lead 3 · L0000123")."""
        return dict(zip(self.sample["lead_id"], self.sample["label"], strict=True))

    @cached_property
    def mql(self) -> pd.DataFrame:
        """The answers to "MQL?"."""
        return self.answers[self.answers["question"] == "mql"]


def room_answers(workshop, team: str, size: int = 12) -> RoomAnswers:
    """Read the team's answers, its sample and the data's own thresholds for the summary."""
    workbook = workshop.workbook()
    answers = _answers(workshop, team)
    leads = workbook.dataset.tables["leads"]
    score_of = dict(zip(leads["lead_id"], leads["score"], strict=True))
    answers["score"] = answers["lead_id"].map(score_of).astype("float64")
    answers["yes"] = answers["answer"] == "yes"
    return RoomAnswers(
        answers=answers,
        sample=lead_sample(workbook, team, workshop.session, size),
        scored=has_scores(workbook),
        model=model_threshold(workbook, team),
        curve=mql_curve(workbook, team),
        workbook=workbook,
    )


def _empty_figures(room: RoomAnswers) -> dict[str, Any]:
    """The summary's figures before any agreement or threshold is computed (NaN)."""
    figures: dict[str, Any] = {
        "participants": room.people,
        "model_threshold": room.model,
        "scored": room.scored,
    }
    for q in QUESTIONS:
        for key in ("fleiss", "fleiss_sales", "fleiss_marketing", "cohen_across"):
            figures[f"{key}_{q}"] = math.nan
    for key in ("room_threshold", "sales_threshold", "marketing_threshold"):
        figures[key] = math.nan
    return figures


def _nobody_yet(room: RoomAnswers, figures: dict[str, Any]) -> ExerciseSummary:
    """The summary before anyone answered: the model's threshold when the data has scores."""
    if not room.scored:
        return ExerciseSummary(
            exercise=EXERCISE,
            title=TITLE,
            headline="Nobody has answered yet; let the room rate the leads first.",
            participants=0,
            parts=["The results appear here as participants rate the leads.", NO_SCORE_NOTE],
            figures=figures,
        )
    return ExerciseSummary(
        exercise=EXERCISE,
        title=TITLE,
        headline=(
            f"Nobody has answered yet. The scoring model's MQL threshold is about "
            f"{_score_text(room.model)}; let the room rate the leads first."
        ),
        participants=0,
        parts=[
            "The results appear here as participants rate the leads. Meanwhile, how the "
            "scoring model decides for this team:",
            _chart(
                pd.DataFrame(columns=["score", "share_yes", "role"]),
                math.nan,
                room.model,
                room.curve,
            ),
        ],
        figures=figures,
    )


def agreement_per_question(answers: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """Kappa per question and group: the page's table and the figures.

    Returns
    -------
    tuple of (DataFrame, dict)
        One row per question with the room's, within-sales, within-marketing (Fleiss) and
        sales × marketing (mean Cohen) kappa as text; and the figures ``fleiss_<q>``,
        ``fleiss_sales_<q>``, ``fleiss_marketing_<q>``, ``cohen_across_<q>`` (NaN when they
        cannot be computed yet).
    """
    figures: dict[str, float] = {}
    rows = []
    for q, short in SHORT.items():
        table = _agreement(answers[answers["question"] == q])
        kappa = dict(zip(table["group"], table["kappa"], strict=True))
        figures[f"fleiss_{q}"] = float(kappa.get("all", math.nan))
        figures[f"fleiss_sales_{q}"] = float(kappa.get("sales", math.nan))
        figures[f"fleiss_marketing_{q}"] = float(kappa.get("marketing", math.nan))
        figures[f"cohen_across_{q}"] = float(kappa.get("sales×marketing", math.nan))
        rows.append(
            {
                "question": f"{short} {QUESTIONS[q]}",
                "room (Fleiss κ)": _kappa_text(figures[f"fleiss_{q}"]),
                "within sales (Fleiss κ)": _kappa_text(figures[f"fleiss_sales_{q}"]),
                "within marketing (Fleiss κ)": _kappa_text(figures[f"fleiss_marketing_{q}"]),
                "sales × marketing (mean Cohen κ)": _kappa_text(figures[f"cohen_across_{q}"]),
            }
        )
    return pd.DataFrame(rows), figures


def implied_thresholds(mql: pd.DataFrame, model: float) -> tuple[pd.DataFrame, dict[str, float]]:
    """The MQL thresholds the "MQL?" answers imply, for the room and per role, and the model's.

    Returns
    -------
    tuple of (DataFrame, dict)
        The page's table (whose, threshold as text) and the figures ``room_threshold``,
        ``sales_threshold`` and ``marketing_threshold``.
    """
    figures = {"room_threshold": implied_threshold(mql["score"], mql["yes"])}
    for role in ("sales", "marketing"):
        mine = mql[mql["role"] == role]
        figures[f"{role}_threshold"] = implied_threshold(mine["score"], mine["yes"])
    table = pd.DataFrame(
        {
            "whose": ["the room", "sales", "marketing", "the scoring model (from the data)"],
            "MQL threshold (score)": [
                _score_text(figures[k])
                for k in ("room_threshold", "sales_threshold", "marketing_threshold")
            ]
            + [_score_text(model)],
        }
    )
    return table, figures


def _split_votes(answers: pd.DataFrame) -> pd.DataFrame:
    """The most disputed items (at most 5) that split the vote, with ``yes`` and ``no`` counts."""
    disputed = agreement.most_disputed(answers, item="item", answer="answer", top=5)
    if "yes" not in disputed.columns:
        disputed["yes"] = 0
    if "no" not in disputed.columns:
        disputed["no"] = 0
    return disputed[disputed["agreement"] < 1]


def disputed_items(room: RoomAnswers) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The lead × question items the room split on, with what really happened to the lead.

    Returns
    -------
    tuple of (DataFrame, DataFrame)
        The open disagreements (``item``, ``detail``) and the debrief table (lead, question,
        votes, pairs agreeing, score when the data has scores, what happened, channel).
    """
    answers, labels = room.answers, room.labels
    disputed = _split_votes(answers)
    sample_info = room.sample.set_index("lead_id")
    disputed_leads = list(dict.fromkeys(parse_item(i)[0] for i in disputed.index))
    outcome_of = _outcomes(room.workbook, pd.Series(disputed_leads, dtype="object"))
    score_of = dict(zip(answers["lead_id"], answers["score"], strict=True))
    dispute_rows, debrief_rows = [], []
    for item, row in disputed.iterrows():
        lead, q = parse_item(item)
        on_item = answers[answers["item"] == item]
        by_role = ", ".join(
            f"{role} {int(g['yes'].sum())} yes / {int((~g['yes']).sum())} no"
            for role, g in on_item.groupby("role")
        )
        score = score_of.get(lead, math.nan)
        outcome = outcome_of.loc[lead, "outcome"] if lead in outcome_of.index else ""
        label = labels.get(lead, lead)
        score_part = f"score {_score_text(score)}; " if room.scored else ""
        dispute_rows.append(
            {
                "item": f"{label} · {SHORT.get(q, q)}",
                "detail": (
                    f"{int(row['yes'])} yes / {int(row['no'])} no ({by_role}); {score_part}"
                    f"{outcome}"
                ),
            }
        )
        attrs = sample_info.loc[lead] if lead in sample_info.index else None
        debrief_rows.append(
            {
                "lead": label,
                "question": SHORT.get(q, q),
                "yes": int(row["yes"]),
                "no": int(row["no"]),
                "pairs agreeing": f"{row['agreement']:.0%}",
                "score": _score_text(score),
                "what happened": outcome,
                "channel": "" if attrs is None else str(attrs.get("channel", "")),
            }
        )
    disagreements = pd.DataFrame(dispute_rows, columns=["item", "detail"])
    debrief = pd.DataFrame(debrief_rows)
    if not room.scored and len(debrief):
        debrief = debrief.drop(columns="score")
    return disagreements, debrief


def participant_table(answers: pd.DataFrame, scored: bool) -> pd.DataFrame:
    """Per participant: answers given, own MQL threshold (with scores), share with the majority.

    An item whose yes/no vote is tied has no majority and does not count.
    """
    majority = answers.groupby("item")["yes"].mean().map(lambda v: None if v == 0.5 else v > 0.5)
    answers = answers.assign(
        with_majority=[
            None if majority[i] is None else bool(y == majority[i])
            for i, y in zip(answers["item"], answers["yes"], strict=True)
        ]
    )
    per_person = []
    for _, g in answers.groupby("participant_id"):
        mine = g[g["question"] == "mql"]
        decided = g["with_majority"].dropna()
        per_person.append(
            {
                "participant": str(g["name"].iloc[0]),
                "role": str(g["role"].iloc[0]),
                "answers": len(g),
                "own MQL threshold": _score_text(implied_threshold(mine["score"], mine["yes"])),
                "with the majority": f"{decided.mean():.0%}" if len(decided) else "n/a",
            }
        )
    table = pd.DataFrame(per_person).sort_values(["role", "participant"])
    return table if scored else table.drop(columns="own MQL threshold")


def share_saying_mql(mql: pd.DataFrame) -> pd.DataFrame:
    """Per lead and role: the lead's score and the share of its raters saying "MQL"."""
    return (
        mql.groupby(["lead_id", "role"], as_index=False)
        .agg(score=("score", "first"), share_yes=("yes", "mean"))
        .sort_values(["role", "score"])
    )


def _headline(room: RoomAnswers, figures: dict[str, Any]) -> str:
    """The one sentence a facilitator says out loud: agreement and the two thresholds."""
    people, kappa = room.people, _kappa_text(figures["fleiss_mql"])
    room_line = _score_text(figures["room_threshold"])
    if not room.scored:
        if people == 1:
            return "1 participant has answered so far; agreement needs at least two."
        return f"{people} participants: agreement on 'MQL?' is κ = {kappa}."
    if people == 1:
        return (
            "1 participant has answered so far; agreement needs at least two. Their MQL "
            f"threshold is about {room_line}, the scoring model's about "
            f"{_score_text(room.model)}."
        )
    return (
        f"{people} participants: agreement on 'MQL?' is κ = {kappa}; the room's MQL threshold "
        f"is about {room_line}, the scoring model's about {_score_text(room.model)}."
    )


def _threshold_parts(room: RoomAnswers, thresholds: pd.DataFrame, figures: dict[str, Any]):
    """The "where is the line" section: table and chart, or the no-score note and bars."""
    share = share_saying_mql(room.mql)
    if room.scored:
        return [thresholds, _chart(share, figures["room_threshold"], room.model, room.curve)]
    return [NO_SCORE_NOTE, _share_chart(share, room.labels)]


def summarise(workshop, team: str, *, size: int = 12) -> ExerciseSummary:
    """The calibration results of one team so far, for the results panel and session report.

    Parameters
    ----------
    workshop : helpers.training.session.Workshop
        The session (answers are read from its store).
    team : str
        Team whose answers are summarised.
    size : int
        Sample size the exercise used (to number the leads as participants saw them).

    Returns
    -------
    ExerciseSummary
        ``figures`` holds ``participants``; ``fleiss_<q>`` (room), ``fleiss_sales_<q>``,
        ``fleiss_marketing_<q>`` and ``cohen_across_<q>`` (mean Cohen's kappa over sales ×
        marketing pairs) for each question ``q`` in :data:`QUESTIONS` (NaN when it cannot be
        computed yet); ``room_threshold``, ``sales_threshold``, ``marketing_threshold``
        (implied by the "MQL?" answers) and ``model_threshold``, all NaN without scores in the
        data (``scored`` False; the thresholds are then replaced by :data:`NO_SCORE_NOTE`).
        ``disagreements`` lists the most disputed lead × question items (at most 5, only
        those with a split vote).
    """
    room = room_answers(workshop, team, size)
    figures = _empty_figures(room)
    if not room.people:
        return _nobody_yet(room, figures)
    kappas, kappa_figures = agreement_per_question(room.answers)
    thresholds, threshold_figures = implied_thresholds(room.mql, room.model)
    figures.update(kappa_figures)
    figures.update(threshold_figures)
    disagreements, debrief = disputed_items(room)
    parts: list[Any] = [
        Html("<h4>Agreement per question</h4>"),
        kappas,
        Html(
            "<p><i>κ reads (Landis &amp; Koch): below 0 poor, up to 0.20 slight, 0.21–0.40 "
            "fair, 0.41–0.60 moderate, 0.61–0.80 substantial, above 0.80 almost perfect. "
            "Fleiss' κ covers the leads every rater of the group answered.</i></p>"
        ),
        Html("<h4>Where is the line? Implied MQL thresholds</h4>"),
        *_threshold_parts(room, thresholds, figures),
        Html("<h4>Leads to discuss first</h4>"),
        debrief
        if len(debrief)
        else "No lead split the room so far: everyone gave the same answers.",
        Html("<h4>Who answered</h4>"),
        participant_table(room.answers, room.scored),
    ]
    return ExerciseSummary(
        exercise=EXERCISE,
        title=TITLE,
        headline=_headline(room, figures),
        participants=room.people,
        parts=parts,
        disagreements=disagreements,
        figures=figures,
    )


def _share_chart(share: pd.DataFrame, labels: dict[str, str]):
    """Without scores: the share saying 'MQL' per lead, by role (None before any answer)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    if share.empty:
        return None
    share = share.assign(lead_id=share["lead_id"].map(labels).fillna(share["lead_id"]))
    figure, ax = plt.subplots(figsize=(7.5, 0.35 * share["lead_id"].nunique() + 1.5))
    order = [r for r in ("sales", "marketing") if r in set(share["role"])]
    sns.barplot(data=share, x="share_yes", y="lead_id", hue="role", hue_order=order, ax=ax)
    ax.set(xlim=(0, 1), xlabel="Share saying yes", ylabel="")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_title("Share saying 'MQL' per lead")
    return figure


def _chart(share: pd.DataFrame, room: float, model: float, curve: pd.DataFrame):
    """The thresholds chart as a figure (closed when it is turned into HTML)."""
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(7.5, 3.8))
    share_plot(share, room=room, model=model, reference=curve, ax=ax)
    ax.set_title("Share saying 'MQL' by lead score")
    return figure


# --- the widgets -----------------------------------------------------------------------------


class CalibrationExercise:
    """One row of three yes/no toggles per lead; every click is stored at once.

    Widget structure (for a browser test): a ``VBox`` with CSS class ``calibration-exercise``
    holding a status line, then one ``HBox`` per lead with classes ``calibration-lead`` and
    ``calibration-lead-<position>``: an ``HTML`` label "Lead <position> · <lead_id>", an
    ``HTML`` line of attributes, and three ``ToggleButtons`` (options "yes", "no"; no value
    until answered) with descriptions "MQL?", "SQL?", "Call?" and classes
    ``calibration-mql`` / ``calibration-sql`` / ``calibration-call``; then a "Refresh results"
    button. The toggles are disabled until the participant joins.

    Parameters
    ----------
    workshop : helpers.training.session.Workshop
        The session; answers go to its store.
    size : int
        Number of leads to rate.
    """

    def __init__(self, workshop, size: int = 12) -> None:
        import ipywidgets as widgets

        self.workshop = workshop
        self.size = size
        self.team = workshop.team()
        self.sample = lead_sample(workshop.workbook(), self.team, workshop.session, size)
        self.toggles: dict[str, widgets.ToggleButtons] = {}  # item id → toggle
        self.rows: list[widgets.HBox] = []
        self._loading = False
        self._panel: LivePanel | None = None
        self.status = widgets.HTML(
            "<i>Join above (name and role) to start rating; your answers are saved at once.</i>"
        )
        self.refresh_button = widgets.Button(
            description="Refresh results", icon="refresh", tooltip="Show the room's latest answers"
        )
        self.refresh_button.on_click(lambda _: self.refresh())
        self.rows_box = widgets.VBox()
        self._build_rows()
        self.widget = widgets.VBox([self.status, self.rows_box, self.refresh_button])
        self.widget.add_class("calibration-exercise")
        workshop.on_join(self._joined)

    def _build_rows(self) -> None:
        import ipywidgets as widgets

        self.toggles, self.rows = {}, []
        for lead in self.sample.to_dict("records"):
            label = widgets.HTML(
                f"<b>{html.escape(lead['label'])}</b>", layout=widgets.Layout(width="170px")
            )
            attrs = widgets.HTML(
                html.escape(_attributes(lead)), layout=widgets.Layout(width="360px")
            )
            row = [label, attrs]
            for q, short in SHORT.items():
                toggle = widgets.ToggleButtons(
                    options=list(ANSWERS),
                    value=None,
                    description=short,
                    tooltips=[f"{QUESTIONS[q]} Yes", f"{QUESTIONS[q]} No"],
                    disabled=self.workshop.participant is None,
                    style={"button_width": "48px", "description_width": "45px"},
                )
                toggle.add_class(f"calibration-{q}")
                item = item_id(lead["lead_id"], q)
                toggle.observe(lambda change, item=item: self._changed(item, change), "value")
                self.toggles[item] = toggle
                row.append(toggle)
            box = widgets.HBox(row)
            box.add_class("calibration-lead")
            box.add_class(f"calibration-lead-{lead['position']}")
            self.rows.append(box)
        self.rows_box.children = tuple(self.rows)

    def _joined(self, participant) -> None:
        """Enable the toggles for the participant's team and show their earlier answers."""
        if participant.team and participant.team != self.team:
            self.team = participant.team
            self.sample = lead_sample(
                self.workshop.workbook(), self.team, self.workshop.session, self.size
            )
            self._build_rows()
        earlier = self.workshop.my_answers(EXERCISE)
        self._loading = True
        try:
            for item, toggle in self.toggles.items():
                toggle.value = earlier.get(item) if earlier.get(item) in ANSWERS else None
                toggle.disabled = False
        finally:
            self._loading = False
        done = sum(v is not None for v in (t.value for t in self.toggles.values()))
        self.status.value = (
            f"Rating as <b>{html.escape(participant.name)}</b>: {len(self.sample)} leads, "
            f"{done} of {len(self.toggles)} answers given so far."
        )
        self.refresh()

    def _changed(self, item: str, change: dict) -> None:
        if self._loading or change["new"] not in ANSWERS:
            return
        try:
            self.workshop.record(EXERCISE, item, change["new"])
        except WorkbookError as err:
            self.status.value = f'<span style="color:#b00020">{html.escape(str(err))}</span>'
            return
        done = sum(t.value is not None for t in self.toggles.values())
        self.status.value = f"Saved. {done} of {len(self.toggles)} answers given."
        self.refresh()

    def refresh(self) -> None:
        """Redraw the results panel (when it is shown) from the store."""
        if self._panel is not None:
            self._panel.refresh()

    def form_table(self) -> pd.DataFrame:
        """The leads to rate as a table (no score): the static fallback of the form."""
        columns = ["label", *[c for c in FORM_COLUMNS if c in self.sample.columns]]
        table = self.sample[columns].rename(columns={"label": "lead"}).copy()
        for short in SHORT.values():
            table[short] = ""
        return table

    def display(self) -> None:
        """Show the rating form; on a static page, the table of leads to rate."""
        questions = "; ".join(f"{SHORT[q]} {text}" for q, text in QUESTIONS.items())
        fallback = [
            Html(
                f"<p><b>{len(self.sample)} leads of team {html.escape(self.team)} to rate</b> "
                "(yes / no for each question; the lead score is hidden while rating).</p>"
            ),
            questions,
            self.form_table(),
        ]
        show(self.widget, fallback)

    def results_panel(self) -> LivePanel:
        """The room's results so far (:func:`summarise`), redrawn after every answer."""
        if self._panel is None:
            self._panel = LivePanel(
                lambda: summarise(self.workshop, self.team, size=self.size).page_parts()
            )
        return self._panel


def _attributes(lead: dict) -> str:
    """One line of a lead's attributes for the rating form (never the score)."""
    values = [lead.get(c) for c in FORM_COLUMNS]
    return " · ".join(str(v) for v in values if v is not None and not pd.isna(v) and str(v))
