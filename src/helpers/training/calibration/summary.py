"""The calibration results of one team so far: agreement, thresholds, leads to discuss."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from ...display.widgets import Html
from ...errors import WorkbookError
from ...metrics import agreement
from ..exercise_summary import ExerciseSummary
from .charts import share_chart, threshold_chart
from .model import (
    ANSWERS,
    EXERCISE,
    QUESTIONS,
    SHORT,
    TITLE,
    has_scores,
    implied_threshold,
    lead_outcomes,
    lead_sample,
    model_threshold,
    mql_curve,
    parse_item,
)

NO_SCORE_NOTE = (
    "Not in this data: no lead scores, so no score thresholds (the room's against the scoring "
    "model's); agreement on the leads is shown as usual."
)


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
            threshold_chart(
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
    outcome_of = lead_outcomes(room.workbook, pd.Series(disputed_leads, dtype="object"))
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
        return [
            thresholds,
            threshold_chart(share, figures["room_threshold"], room.model, room.curve),
        ]
    return [NO_SCORE_NOTE, share_chart(share, room.labels)]


def trained_model_thresholds(answers: pd.DataFrame, scores: pd.DataFrame) -> dict[str, float]:
    """Where the room's "SQL?" answers and the team's past leads draw the line on the model.

    Both by :func:`implied_threshold` on the trained lead model's score (chance of an SQL
    within 30 days × 100, :func:`helpers.prediction.lead_model.team_lead_scores`): the room's
    line reproduces its "SQL?" answers best; the model's own line separates the team's leads
    with a known outcome (became an SQL within 30 days or not) best.

    Parameters
    ----------
    answers : DataFrame
        The team's answers (lead_id, question, yes).
    scores : DataFrame
        lead_id, score, converted (missing when not known yet).

    Returns
    -------
    dict
        ``room_sql_model_threshold`` and ``model_sql_threshold`` (NaN when nothing to cut).
    """
    score_of = scores.set_index("lead_id")["score"]
    sql = answers[answers["question"] == "sql"]
    known = scores[scores["converted"].notna()]
    return {
        "room_sql_model_threshold": implied_threshold(
            sql["lead_id"].map(score_of).astype("float64"), sql["yes"].astype(bool)
        ),
        "model_sql_threshold": implied_threshold(
            known["score"].astype("float64"), known["converted"].astype(bool)
        ),
    }


def _trained_model_part(workshop, room: RoomAnswers, team: str, figures: dict[str, Any]):
    """One paragraph: the room's SQL line and the trained model's on the model's scale.

    The model is trained once per workshop kernel and team (``workshop.material``).
    """
    from ...prediction.lead_model import HORIZON_DAYS, team_lead_scores

    def compute() -> pd.DataFrame:
        return team_lead_scores(room.workbook, team)

    try:
        scores = workshop.material((EXERCISE, "trained-model-scores", team), compute)
    except WorkbookError as err:
        return Html(f"<p><i>Trained lead model: not in this data ({html.escape(str(err))})</i></p>")
    found = trained_model_thresholds(room.answers, scores)
    figures.update(found)
    return Html(
        "<p>The workbook's trained lead model (its score is the chance of an SQL within "
        f"{HORIZON_DAYS} days, 0–100): the room's “SQL?” answers draw the line at a model "
        f"score of about <b>{_score_text(found['room_sql_model_threshold'])}</b>; the line "
        "that best separates this team's past leads that became SQLs is about "
        f"<b>{_score_text(found['model_sql_threshold'])}</b>.</p>"
    )


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
        data (``scored`` False; the thresholds are then replaced by :data:`NO_SCORE_NOTE`);
        ``room_sql_model_threshold`` and ``model_sql_threshold`` on the trained lead model's
        scale (:func:`trained_model_thresholds`) when the data can train it.
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
        _trained_model_part(workshop, room, team, figures),
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
