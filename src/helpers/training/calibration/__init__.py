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

The package keeps apart :mod:`.model` (the sample, the stored items and the thresholds: pure
computations on the data), :mod:`.summary` (the results of a team, :func:`summarise`),
:mod:`.charts` and :mod:`.widget` (:class:`CalibrationExercise`); its public names are all
available from here.
"""

from .charts import share_plot
from .model import (
    ANSWERS,
    EXERCISE,
    FORM_COLUMNS,
    OUTCOME_AGE_DAYS,
    QUESTIONS,
    SHORT,
    TITLE,
    has_scores,
    implied_threshold,
    item_id,
    lead_outcomes,
    lead_sample,
    model_threshold,
    mql_curve,
    parse_item,
    scored_leads,
)
from .summary import (
    NO_SCORE_NOTE,
    RoomAnswers,
    agreement_per_question,
    disputed_items,
    implied_thresholds,
    participant_table,
    room_answers,
    share_saying_mql,
    summarise,
)
from .widget import CalibrationExercise

__all__ = [
    "ANSWERS",
    "EXERCISE",
    "FORM_COLUMNS",
    "NO_SCORE_NOTE",
    "OUTCOME_AGE_DAYS",
    "QUESTIONS",
    "SHORT",
    "TITLE",
    "CalibrationExercise",
    "RoomAnswers",
    "agreement_per_question",
    "disputed_items",
    "has_scores",
    "implied_threshold",
    "implied_thresholds",
    "item_id",
    "lead_outcomes",
    "lead_sample",
    "model_threshold",
    "mql_curve",
    "parse_item",
    "participant_table",
    "room_answers",
    "scored_leads",
    "share_plot",
    "share_saying_mql",
    "summarise",
]
