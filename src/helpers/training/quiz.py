"""Exercise 4, the metrics quiz: each team answers questions about the other team's metrics.

Sales participants get questions on marketing's metrics (MQLs, cost per lead and per MQL,
marketing-sourced pipeline share, attribution models, marketing ROI), marketing participants
on sales' metrics (SLA compliance and speed to lead in business hours, MQL acceptance,
MQL → SQL, win rate, sales cycle, CAC); a few shared questions go to everyone. The questions
follow this workbook's own definitions (:mod:`helpers.metrics.definitions`) and the defaults of
``workbook.toml`` (business hours Mon–Fri 09:00–17:00, SLA 24 business hours, RAG bands,
attribution half-life 7 days), and every explanation ends with the formula the reports print.

The questions are data (``quiz_questions.toml``, read on first use into frozen :class:`Question`
records by :func:`all_questions`); scoring is a pure
function of the stored answers (:func:`score`, :func:`participant_scores`,
:func:`question_results`, :func:`most_missed`). The widget (:class:`QuizExercise`) records
each choice at once and only then shows whether it was right, with the explanation; the
static page lists the questions without their answers.
"""

from __future__ import annotations

import functools
import html
import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pandas as pd

from ..display.widgets import Html, LivePanel, error_html, show
from ..errors import WorkbookError
from ..metrics.definitions import DEFINITIONS
from ..metrics.stats import Rate
from .answer_store import ROLES
from .exercise_summary import ExerciseSummary

EXERCISE = "quiz"
TITLE = "Metrics quiz"
AUDIENCES = (*ROLES, "all")  # who is asked a question: sales, marketing, or everyone
MOST_MISSED = 5  # questions listed as open disagreements


@dataclass(frozen=True)
class Question:
    """One multiple-choice question.

    Attributes
    ----------
    id : str
        Stable id, the ``item`` of the stored answers.
    audience : str
        Who is asked: ``"sales"`` (a question on marketing's metrics), ``"marketing"`` (on
        sales' metrics) or ``"all"``.
    owner : str
        Whose metric it is: ``"marketing"``, ``"sales"`` or ``"shared"``.
    text : str
        The question.
    options : tuple of str
        The choices, shown in this order; an answer is stored as the chosen text.
    correct : int
        Position of the right option in ``options``.
    explanation : str
        Why the right option is right (the worked example).
    metric : str
        The metric in :data:`helpers.metrics.definitions.DEFINITIONS` whose formula the explanation
        quotes; empty when none applies.
    """

    id: str
    audience: str
    owner: str
    text: str
    options: tuple[str, ...]
    correct: int
    explanation: str
    metric: str = ""

    @property
    def answer(self) -> str:
        """The right option's text."""
        return self.options[self.correct]

    @property
    def formula(self) -> str:
        """The formula of :attr:`metric` as the reports' definitions appendix prints it."""
        for definition in DEFINITIONS:
            if definition.metric == self.metric:
                return definition.formula
        return ""

    def full_explanation(self) -> str:
        """The worked explanation followed by the workbook's definition (plain text)."""
        if not self.formula:
            return self.explanation
        return f"{self.explanation} Definition ({self.metric}): {self.formula}."


QUESTIONS_FILE = "quiz_questions.toml"  # the question bank, next to this module


@functools.cache
def all_questions() -> tuple[Question, ...]:
    """The question bank in the order asked, read from :data:`QUESTIONS_FILE` on first use.

    Also available as ``quiz.QUESTIONS``.

    Raises
    ------
    WorkbookError
        When an entry of the file lacks a field, asks an unknown audience or points its
        ``correct`` position past its options.
    """
    text = resources.files(__package__).joinpath(QUESTIONS_FILE).read_text(encoding="utf-8")
    return tuple(_question_from(entry) for entry in tomllib.loads(text)["question"])


def _question_from(entry: dict[str, Any]) -> Question:
    """One ``[[question]]`` table of the bank as a :class:`Question`, checked."""
    try:
        q = Question(
            id=entry["id"],
            audience=entry["audience"],
            owner=entry["owner"],
            text=entry["text"],
            options=tuple(entry["options"]),
            correct=entry["correct"],
            explanation=entry["explanation"],
            metric=entry.get("metric", ""),
        )
    except KeyError as err:
        raise WorkbookError(f"{QUESTIONS_FILE}: a question lacks {err.args[0]!r}.") from None
    if q.audience not in AUDIENCES or not 0 <= q.correct < len(q.options):
        raise WorkbookError(
            f"{QUESTIONS_FILE}: question {q.id!r} needs an audience among "
            f"{', '.join(AUDIENCES)} and a correct position below {len(q.options)}."
        )
    return q


def __getattr__(name: str) -> Any:
    """``QUESTIONS``: the question bank (:func:`all_questions`), read on first use."""
    if name == "QUESTIONS":
        return all_questions()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _bank(questions: tuple[Question, ...] | None) -> tuple[Question, ...]:
    """``questions``, or the whole bank when None."""
    return all_questions() if questions is None else questions


def question(question_id: str) -> Question:
    """The question with id ``question_id`` (KeyError names the known ids)."""
    by_id = {q.id: q for q in all_questions()}
    try:
        return by_id[question_id]
    except KeyError:
        raise KeyError(f"No quiz question {question_id!r}; known: {', '.join(by_id)}.") from None


def questions_for(role: str, questions: tuple[Question, ...] | None = None) -> tuple[Question, ...]:
    """The questions a participant of ``role`` is asked: the other team's, then the shared ones.

    Parameters
    ----------
    role : str
        ``"sales"`` or ``"marketing"``.
    questions : tuple of Question, optional
        The question set (the whole bank, :func:`all_questions`, by default).

    Raises
    ------
    ValueError
        If ``role`` is neither sales nor marketing.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}; received {role!r}.")
    return tuple(q for q in _bank(questions) if q.audience in (role, "all"))


def questions_table(questions: tuple[Question, ...] | None = None) -> pd.DataFrame:
    """The questions without their answers, for a static page.

    Returns
    -------
    DataFrame
        Columns ``for`` (who is asked), ``question`` and ``options`` (``A) … B) …``).
    """
    audience = {"sales": "sales team", "marketing": "marketing team", "all": "everyone"}
    rows = [
        {
            "for": audience.get(q.audience, q.audience),
            "question": q.text,
            "options": "  ".join(f"{chr(65 + i)}) {o}" for i, o in enumerate(q.options)),
        }
        for q in _bank(questions)
    ]
    return pd.DataFrame(rows, columns=["for", "question", "options"])


# --- scoring ------------------------------------------------------------------------------

_SCORED_COLUMNS = ["participant_id", "name", "role", "item", "answer", "correct"]


def score(answers: pd.DataFrame, questions: tuple[Question, ...] | None = None) -> pd.DataFrame:
    """Mark every answer right or wrong.

    Parameters
    ----------
    answers : DataFrame
        One row per participant × question (the latest answer), with columns
        ``participant_id``, ``name``, ``role``, ``item`` (question id) and ``answer`` (the
        chosen option's text), as :meth:`Workshop.answers` returns them. Not modified.
    questions : tuple of Question, optional
        The question set (the whole bank, :func:`all_questions`, by default).

    Returns
    -------
    DataFrame
        Columns participant_id, name, role, item, answer, correct (bool); answers to ids not in
        ``questions`` are dropped, an answer that is not one of the options counts as wrong.
    """
    by_id = {q.id: q for q in _bank(questions)}
    kept = answers[answers["item"].isin(by_id)]
    result = kept.loc[:, _SCORED_COLUMNS[:-1]].reset_index(drop=True)
    result["correct"] = pd.Series(
        [
            answer == by_id[item].answer
            for item, answer in zip(kept["item"], kept["answer"], strict=True)
        ],
        index=result.index,
        dtype=bool,
    )
    return result


def participant_scores(scored: pd.DataFrame) -> pd.DataFrame:
    """Each participant's score: right answers / answered questions.

    Parameters
    ----------
    scored : DataFrame
        Output of :func:`score`.

    Returns
    -------
    DataFrame
        One row per participant (sorted by role, then name): participant_id, name, role,
        answered, right (int64) and score (float, right / answered).
    """
    columns = ["participant_id", "name", "role", "answered", "right", "score"]
    if scored.empty:
        return pd.DataFrame(columns=columns).astype({"answered": "int64", "right": "int64"})
    grouped = scored.groupby(["participant_id", "name", "role"], as_index=False).agg(
        answered=("correct", "size"), right=("correct", "sum")
    )
    grouped = grouped.astype({"answered": "int64", "right": "int64"})
    grouped["score"] = grouped["right"] / grouped["answered"]
    return grouped.sort_values(["role", "name"], ignore_index=True)[columns]


def role_scores(scored: pd.DataFrame) -> pd.DataFrame:
    """Mean participant score per role.

    Returns
    -------
    DataFrame
        One row per role in :data:`ROLES` order (roles nobody answered for are left out):
        role, participants (int64), mean_score (mean over participants of their
        :func:`participant_scores` score, so everyone weighs the same however many questions
        they answered).
    """
    people = participant_scores(scored)
    rows = []
    for role in ROLES:
        mine = people[people["role"] == role]
        if len(mine):
            rows.append((role, len(mine), float(mine["score"].mean())))
    result = pd.DataFrame(rows, columns=["role", "participants", "mean_score"])
    return result.astype({"participants": "int64", "mean_score": "float64"})


def question_results(
    scored: pd.DataFrame, questions: tuple[Question, ...] | None = None
) -> pd.DataFrame:
    """Per question: how many answered and the share right, overall and by role.

    Returns
    -------
    DataFrame
        One row per question that has at least one answer, in question order: item, question,
        answered (int64), share_right, then ``share_right_<role>`` for each role in
        :data:`ROLES` (NaN when nobody of that role answered it).
    """
    roles = [f"share_right_{r}" for r in ROLES]
    columns = ["item", "question", "answered", "share_right", *roles]
    rows = []
    for q in _bank(questions):
        mine = scored[scored["item"] == q.id]
        if mine.empty:
            continue
        row = {
            "item": q.id,
            "question": q.text,
            "answered": len(mine),
            "share_right": float(mine["correct"].mean()),
        }
        for role in ROLES:
            by_role = mine.loc[mine["role"] == role, "correct"]
            row[f"share_right_{role}"] = float(by_role.mean()) if len(by_role) else math.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=columns).astype({"answered": "int64"})


def most_missed(
    scored: pd.DataFrame, questions: tuple[Question, ...] | None = None, *, top: int = MOST_MISSED
) -> pd.DataFrame:
    """The questions answered wrong most often, for the debrief ("open disagreements").

    Only questions at least one participant got wrong are listed, lowest share right first
    (ties: more answers first, then question order). The detail names the share right and the
    most chosen wrong option, never the right one: the panel is seen by participants who may
    not have answered yet.

    Returns
    -------
    DataFrame
        At most ``top`` rows: item (the question text) and detail.
    """
    results = question_results(scored, questions)
    results = results[results["share_right"] < 1].copy()
    results["order"] = range(len(results))
    results = results.sort_values(
        ["share_right", "answered", "order"], ascending=[True, False, True]
    )
    rows = []
    for item_id, text, answered, share in results[
        ["item", "question", "answered", "share_right"]
    ].itertuples(index=False):
        mine = scored[(scored["item"] == item_id) & ~scored["correct"]]
        wrong = mine["answer"].astype(str).value_counts()
        right = round(share * answered)
        detail = f"{right} of {answered} right"
        by_role = [
            f"{role} {int(g['correct'].sum())}/{len(g)}"
            for role in ROLES
            if len(g := scored[(scored["item"] == item_id) & (scored["role"] == role)])
        ]
        if by_role:
            detail += f" ({', '.join(by_role)})"
        if len(wrong):
            detail += f"; most chosen wrong answer: {wrong.index[0]!r} ({int(wrong.iloc[0])})"
        rows.append({"item": text, "detail": detail})
        if len(rows) == top:
            break
    return pd.DataFrame(rows, columns=["item", "detail"])


TEAM_RATES = ("sla_compliance", "mql_acceptance", "mql_to_sql", "win_rate")


def team_figures(workbook, team: str) -> pd.DataFrame:
    """The team's own values of the shared rates the quiz asks about, latest complete quarter.

    Parameters
    ----------
    workbook : Workbook
        The data.
    team : str
        Team id.

    Returns
    -------
    DataFrame
        One row per metric of :data:`TEAM_RATES` the data set can measure (a rate whose
        stages it never records is left out): quarter, metric, label, numerator, denominator
        (int64) and value (NaN when the denominator is 0). Empty when the data has no
        complete quarter.
    """
    from ..errors import WorkbookError
    from ..metrics.headline import KPIS

    columns = ["quarter", "metric", "label", "numerator", "denominator", "value"]
    try:
        quarter = workbook.dataset.latest_complete_quarter
        values = workbook.view(team, quarter).kpi_values()
    except WorkbookError:
        return pd.DataFrame(columns=columns)
    rows = [
        (str(quarter), m, KPIS[m][0], values[m].numerator, values[m].denominator, values[m].value)
        for m in TEAM_RATES
        if isinstance(values[m], Rate)  # else NaN: not in this data
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"numerator": "int64", "denominator": "int64", "value": "float64"})


def _rates_not_in_data(workbook, team: str) -> str | None:
    """The line for the quiz's rates the data set cannot measure (see ``kpis_not_in_data``)."""
    from ..errors import WorkbookError

    try:
        view = workbook.view(team, workbook.dataset.latest_complete_quarter)
    except WorkbookError:
        return None
    return view.kpis_not_in_data("rate")


def team_figures_chart(figures: pd.DataFrame, team: str):
    """Horizontal bars of :func:`team_figures`, each labelled with its count pair."""
    import matplotlib.pyplot as plt

    from ..display.plots import PALETTE

    figure, ax = plt.subplots(figsize=(6.5, 0.5 + 0.45 * max(len(figures), 1)))
    values = figures["value"].fillna(0).to_numpy()
    ax.barh(figures["label"], values, color=PALETTE[0])
    for i, (value, num, den) in enumerate(
        zip(figures["value"], figures["numerator"], figures["denominator"], strict=True)
    ):
        text = "n/a" if pd.isna(value) else f"{value:.0%} ({num:,} of {den:,})"
        ax.text(0 if pd.isna(value) else value, i, f" {text}", va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.25)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    quarter = figures["quarter"].iloc[0] if len(figures) else ""
    ax.set_title(f"Team {team}, {quarter}: the real rates behind the questions", fontsize=10)
    return figure


def score_chart(scored: pd.DataFrame, questions: tuple[Question, ...] | None = None):
    """Share right per answered question, one bar per role (horizontal, question ids)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    from ..display.plots import PALETTE

    results = question_results(scored, questions)
    data = results.melt(
        id_vars="item", value_vars=[f"share_right_{r}" for r in ROLES], value_name="share"
    ).dropna(subset=["share"])
    data["role"] = data["variable"].str.removeprefix("share_right_")
    figure, ax = plt.subplots(figsize=(6.5, 0.6 + 0.35 * max(len(results), 1)))
    sns.barplot(
        data=data,
        x="share",
        y="item",
        hue="role",
        hue_order=[r for r in ROLES if r in set(data["role"])],
        palette=[PALETTE[0], PALETTE[1]][: data["role"].nunique()],
        ax=ax,
    )
    ax.set(xlim=(0, 1), xlabel="share right", ylabel="")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_title("Share right per question, by role", fontsize=10)
    return figure


def summarise(workshop, team: str) -> ExerciseSummary:
    """The quiz results of one team of a session, so far.

    Parameters
    ----------
    workshop : Workshop
        The session.
    team : str
        Team whose participants' answers count.

    Returns
    -------
    ExerciseSummary
        Headline (mean score per role), tables (score per role, share right per question and
        role), the most missed questions as disagreements, and figures
        ``mean_score_sales``, ``mean_score_marketing`` (NaN without answers), ``participants``
        and ``answers``.
    """
    scored = score(workshop.answers(EXERCISE, team))
    real = team_figures(workshop.workbook(), team)
    missing = _rates_not_in_data(workshop.workbook(), team)
    real_parts: list[Any] = []
    if len(real) or missing:
        real_parts = [
            Html("<h4>Your team's real figures</h4>"),
            "After the quiz: the same definitions applied to the team's latest complete quarter.",
            team_figures_chart(real, team) if len(real) else None,
            missing,
        ]
    roles = role_scores(scored)
    means = dict(zip(roles["role"], roles["mean_score"], strict=True))
    people = scored["participant_id"].nunique()
    figures: dict[str, Any] = {f"mean_score_{r}": means.get(r, math.nan) for r in ROLES}
    figures.update(participants=int(people), answers=len(scored))
    if scored.empty:
        return ExerciseSummary(
            EXERCISE,
            TITLE,
            "Nobody has answered the quiz yet.",
            0,
            parts=["Results appear here as participants answer.", *real_parts],
            figures=figures,
        )
    said = "; ".join(f"{role} {means[role]:.0%}" for role in ROLES if role in means)
    headline = f"Mean score by role: {said} ({people} participant{'s' * (people != 1)})."
    table = question_results(scored).drop(columns="item")
    shown_roles = roles.rename(columns={"mean_score": "mean score"})
    parts = [
        Html("<h4>Mean score by role</h4>"),
        _percent(shown_roles, "mean score"),
        Html("<h4>Share right per question, by role</h4>"),
        _percent(table, *[c for c in table.columns if c.startswith("share_right")]),
        score_chart(scored),
    ]
    missed = most_missed(scored)
    if len(missed):
        parts += [Html("<h4>Most missed questions</h4>"), missed]
    parts += real_parts
    return ExerciseSummary(
        EXERCISE, TITLE, headline, int(people), parts=parts, disagreements=missed, figures=figures
    )


def _percent(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``frame`` with ``columns`` written as whole percentages (text), NaN as empty."""
    shown = frame.copy()
    for column in columns:
        shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
    return shown.rename(columns=lambda c: c.replace("share_right_", "right: ").replace("_", " "))


# --- the widget ---------------------------------------------------------------------------


def _verdict_html(q: Question, chosen: str) -> str:
    """Right or wrong, the right answer and the explanation (escaped)."""
    if chosen == q.answer:
        head = '<b style="color:#1b7f3b">✔ Right.</b>'
    else:
        head = (
            '<b style="color:#b00020">✘ Not quite.</b> The answer is '
            f"<b>{html.escape(q.answer)}</b>."
        )
    return f"<p>{head} {html.escape(q.full_explanation())}</p>"


class QuizExercise:
    """The quiz as widgets: one block per question, shown for the participant's role.

    Structure (for browser tests): ``widget`` is a VBox holding ``intro`` (HTML), then one
    VBox per question in the bank's order (:func:`all_questions`), ``boxes[id]``, each holding
    an HTML with the question text, a RadioButtons ``choices[id]`` (options = the option
    texts, nothing chosen at first) and an HTML ``verdicts[id]`` (empty until answered), then
    ``score_line`` (HTML). Before joining every radio is disabled; on join only the questions of the
    participant's role (:func:`questions_for`) stay visible and become enabled.

    Choosing an option records it at once (``workshop.record("quiz", id, option text)``),
    then shows whether it was right and the explanation. With ``lock_answered`` (default) a
    question cannot be changed once answered, so the explanation does not let anyone fix
    their score; earlier answers come back (locked) after a kernel restart.

    Parameters
    ----------
    workshop : Workshop
        The session.
    lock_answered : bool
        Disable a question once it is answered (default True).
    """

    def __init__(self, workshop, *, lock_answered: bool = True) -> None:
        import ipywidgets as widgets

        self.workshop = workshop
        self.lock_answered = lock_answered
        self.questions = all_questions()
        self.intro = widgets.HTML("<p><i>Join above to get your questions.</i></p>")
        self.choices: dict[str, Any] = {}
        self.verdicts: dict[str, Any] = {}
        self.boxes: dict[str, Any] = {}
        self._filling = False
        for number, q in enumerate(self.questions, start=1):
            radio = widgets.RadioButtons(
                options=list(q.options),
                value=None,
                disabled=True,
                layout=widgets.Layout(width="auto"),
            )
            radio.observe(lambda change, qid=q.id: self._chosen(qid, change), names="value")
            verdict = widgets.HTML()
            self.choices[q.id], self.verdicts[q.id] = radio, verdict
            self.boxes[q.id] = widgets.VBox(
                [widgets.HTML(f"<p><b>{number}.</b> {html.escape(q.text)}</p>"), radio, verdict]
            )
        self.score_line = widgets.HTML()
        self.widget = widgets.VBox(
            [self.intro, *(self.boxes[q.id] for q in self.questions), self.score_line]
        )
        workshop.on_join(self._joined)

    def _joined(self, participant) -> None:
        mine = {q.id for q in questions_for(participant.role, self.questions)}
        earlier = self.workshop.my_answers(EXERCISE)
        self._filling = True
        try:
            for q in self.questions:
                radio = self.choices[q.id]
                self.boxes[q.id].layout.display = "" if q.id in mine else "none"
                chosen = earlier.get(q.id)
                if q.id in mine and chosen in q.options:
                    radio.value = chosen
                    self.verdicts[q.id].value = _verdict_html(q, chosen)
                    radio.disabled = self.lock_answered
                else:
                    radio.disabled = q.id not in mine
        finally:
            self._filling = False
        other = "marketing" if participant.role == "sales" else "sales"
        self.intro.value = (
            f"<p>{len(mine)} questions on <b>{other}</b>'s metrics (and a few shared ones), "
            "as this workbook defines them. Pick one answer per question; it is saved at once "
            "and then explained.</p>"
        )
        self._update_score()

    def _chosen(self, question_id: str, change: dict) -> None:
        if self._filling or change["new"] is None or self.workshop.participant is None:
            return
        q = question(question_id)
        try:
            self.workshop.record(EXERCISE, question_id, change["new"])
        except WorkbookError as err:
            self.verdicts[question_id].value = error_html(err)
            self._filling = True
            try:
                self.choices[question_id].value = change["old"]  # shows what is stored
            finally:
                self._filling = False
            return
        self.verdicts[question_id].value = _verdict_html(q, change["new"])
        if self.lock_answered:
            self.choices[question_id].disabled = True
        self._update_score()

    def _update_score(self) -> None:
        participant = self.workshop.participant
        if participant is None:
            return
        mine = questions_for(participant.role, self.questions)
        answered = [(q, self.choices[q.id].value) for q in mine if self.choices[q.id].value]
        right = sum(chosen == q.answer for q, chosen in answered)
        self.score_line.value = (
            f"<p><b>Your score:</b> {right} of {len(answered)} answered right "
            f"({len(mine)} questions).</p>"
        )

    def display(self) -> None:
        """Show the quiz; on a static page, the questions without their answers."""
        fallback = [
            Html(
                "<p>Questions of the quiz (answers are shown to participants after they "
                "answer):</p>"
            ),
            questions_table(self.questions),
        ]
        show(self.widget, fallback)

    def results_panel(self) -> LivePanel:
        """The session's results for the participant's team (shared by every viewer)."""
        workshop = self.workshop

        def render() -> list[Html]:
            team = workshop.team()
            return [
                Html(
                    workshop.results_html(
                        EXERCISE, team, lambda: summarise(workshop, team).page_parts()
                    )
                )
            ]

        return LivePanel(render)
