"""What every workshop exercise provides, and the registry of the five in workshop order.

The join panel, the facilitator view, the session summary and ``workbook workshop`` read
the exercises from :data:`EXERCISES` only: no module is looked up by its name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from . import calibration, quiz, rejections, shared_goals, what_if

if TYPE_CHECKING:
    from ..display.widgets import LivePanel
    from .exercise_summary import ExerciseSummary
    from .session import Workshop


class ExerciseApp(Protocol):
    """The widgets a participant uses in an exercise's notebook."""

    def display(self) -> None:
        """Show the exercise (with a static fallback on a page without widgets)."""

    def results_panel(self) -> LivePanel:
        """The room's results so far, redrawn from the answer store."""


class Exercise(Protocol):
    """One workshop exercise as the rest of the training layer sees it.

    Attributes
    ----------
    slug : str
        Exercise id, the ``exercise`` of its stored answers (``"calibration"`` …).
    title : str
        Human title (the facilitator's column and section headings).
    page : str
        File name of its notebook in ``notebooks/training/`` (the Voila page).
    """

    @property
    def slug(self) -> str:
        """Exercise id, as stored in the answers."""

    @property
    def title(self) -> str:
        """Human title."""

    @property
    def page(self) -> str:
        """Notebook file name in ``notebooks/training/``."""

    def summarise(self, workshop: Workshop, team: str) -> ExerciseSummary:
        """The results of one team of the session so far."""

    def app(self, workshop: Workshop) -> ExerciseApp:
        """The exercise's widgets for one participant's kernel."""


@dataclass(frozen=True)
class ExerciseEntry:
    """An :class:`Exercise` made of an exercise module's public names."""

    slug: str
    title: str
    page: str
    summarise: Callable[[Workshop, str], ExerciseSummary]
    app: Callable[[Workshop], ExerciseApp]


EXERCISES: dict[str, Exercise] = {
    entry.slug: entry
    for entry in (
        ExerciseEntry(
            calibration.EXERCISE,
            calibration.TITLE,
            "01_lead_calibration.ipynb",
            calibration.summarise,
            calibration.CalibrationExercise,
        ),
        ExerciseEntry(
            what_if.EXERCISE,
            what_if.TITLE,
            "02_sla_what_if.ipynb",
            what_if.summarise,
            what_if.WhatIfExercise,
        ),
        ExerciseEntry(
            shared_goals.EXERCISE,
            shared_goals.TITLE,
            "03_shared_goals.ipynb",
            shared_goals.summarise,
            shared_goals.SharedGoalsExercise,
        ),
        ExerciseEntry(
            quiz.EXERCISE,
            quiz.TITLE,
            "04_metrics_quiz.ipynb",
            quiz.summarise,
            quiz.QuizExercise,
        ),
        ExerciseEntry(
            rejections.EXERCISE,
            rejections.TITLE,
            "05_rejection_review.ipynb",
            rejections.summarise,
            rejections.RejectionReviewExercise,
        ),
    )
}
"""The exercises in workshop order, by :attr:`Exercise.slug`."""


def link_text(position: int, exercise: Exercise) -> str:
    """An exercise's name in the list of pages, numbered as the workshop runs them.

    Examples
    --------
    >>> link_text(2, EXERCISES["what_if"])
    '2 · SLA and funnel what-if'
    """
    return f"{position} · {exercise.title}"


def pages() -> dict[str, str]:
    """Notebook file name → numbered title, in workshop order (the links between pages)."""
    return {
        exercise.page: link_text(position, exercise)
        for position, exercise in enumerate(EXERCISES.values(), start=1)
    }
