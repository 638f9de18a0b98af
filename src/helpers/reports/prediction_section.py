"""The report's lead-scoring section: one call from the notebook, tables and charts inside.

:func:`show_lead_scoring` renders, for a team's quarter,

- the lead-score audit (:func:`show_score_audit`, from
  :func:`helpers.prediction.score_audit.audit_lead_score`): the headline figures, conversion by
  score decile beside the cumulative gains, the decile table (lift and gains), the reliability
  curve when the score is a probability, and the AUC against won deals;
- in the company report (``team = "all"``) the trained model beside the CRM's score on the
  same leads (:func:`show_lead_model`, from
  :func:`helpers.prediction.lead_model.evaluate_lead_model`): the comparison, both gains
  curves, the model's reliability curve and the features that drive it. It is trained once per
  report; team reports leave it to the company report, which covers every team's leads.

Every table is published for export with :func:`helpers.reports.outputs.show_table`; whatever
the data cannot support is one line saying why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import pandas as pd

from ..data.schema import ALL_TEAMS
from ..display import html as rh
from ..display import prediction_plots
from ..errors import WorkbookError
from ..prediction.lead_model import HORIZON_DAYS, SCORING_DAYS, evaluate_lead_model
from ..prediction.score_audit import MIN_CLASS, OUTCOMES, audit_lead_score
from .outputs import show_table

if TYPE_CHECKING:
    from ..analysis.workbook import TeamQuarter

_DECILE_COLUMNS = {
    "decile": "decile",
    "leads": "leads",
    "converted": "converted",
    "rate": "conversion",
    "ci_low": "ci_low",
    "ci_high": "ci_high",
    "score_min": "score_min",
    "score_max": "score_max",
    "lift": "lift",
    "gains": "cumulative_gains",
}


def show_score_audit(view: TeamQuarter, outcome: str = "sql") -> None:
    """Display the lead-score audit of ``view`` in a report (HTML, charts and exports).

    Parameters
    ----------
    view : TeamQuarter
        The report's team and quarter.
    outcome : str
        What the score is audited against: ``"sql"`` (default) or ``"won"``. With ``"sql"``
        the AUC against won deals is added in one line.
    """
    from IPython.display import HTML, display

    audit = audit_lead_score(view, outcome)
    if audit.note:
        display(HTML(rh.note(audit.note)))
        return
    for line in audit.notes:
        display(HTML(rh.note(line)))
    if view.complete:
        display(HTML(rh.note(f"Cohort age: {audit.cohort_age_days} days after quarter end.")))
    table = rh.figure_table(audit.figure_rows())
    show_table(
        table,
        "score_audit",
        caption=f"How well the CRM score finds the {view.quarter} leads that {OUTCOMES[outcome]}",
    )
    separation = audit.separation
    if separation is None or separation.note:
        display(HTML(rh.note(separation.note if separation else "No scored leads.")))
        return
    if audit.high_score_note:
        display(HTML(rh.note(audit.high_score_note)))
    deciles = separation.deciles
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    overall = separation.converted / separation.leads
    prediction_plots.decile_conversion(deciles, overall=overall, ax=left)
    left.set_title(f"Leads that {OUTCOMES[outcome]}, by score decile")
    prediction_plots.gains_curve(deciles.assign(score="CRM score"), hue="score", ax=right)
    right.set_title("Cumulative gains")
    # No tight_layout: the report lays the figure out once when it shows it (plots.lay_out).
    display(fig)
    plt.close(fig)
    shown = deciles[list(_DECILE_COLUMNS)].rename(columns=_DECILE_COLUMNS)
    show_table(
        shown,
        "score_deciles",
        percent=("conversion", "ci_low", "ci_high", "cumulative_gains"),
        decimals=2,
        caption=f"Leads of {view.quarter} by CRM score decile",
    )
    if separation.reliability is not None:
        fig, ax = plt.subplots(figsize=(5, 4))
        prediction_plots.reliability_curve(separation.reliability, ax=ax)
        ax.set_title(f"Reliability (Brier {separation.brier:.4f})")
        display(fig)
        plt.close(fig)
        show_table(
            separation.reliability,
            "score_reliability",
            decimals=3,
            caption="Score as a probability against the share that converted (reliability)",
        )
    if outcome == "sql":
        won = audit_lead_score(view, "won")
        if won.note:
            display(HTML(rh.note(won.note)))
        elif won.separation is not None and won.separation.note:
            sep = won.separation
            display(
                HTML(
                    rh.note(
                        f"Against won deals: {sep.converted:,} of the {sep.leads:,} scored leads "
                        f"of {view.quarter} were won by the as-of date, too few for an AUC (at "
                        f"least {MIN_CLASS} won and {MIN_CLASS} not); deals take months to close."
                    )
                )
            )
        elif won.separation is not None:
            sep = won.separation
            display(
                HTML(
                    rh.note(
                        f"Against won deals: AUC {sep.auc:.3f} (95 % CI {sep.auc_low:.3f}–"
                        f"{sep.auc_high:.3f}); {sep.converted:,} of {sep.leads:,} scored leads "
                        "were won by the as-of date."
                    )
                )
            )


def show_lead_model(view: TeamQuarter) -> None:
    """Display the trained model's backtest on ``view``'s quarter beside the CRM's score.

    Trained on the leads whose outcome was known when the quarter began, judged on the
    quarter's leads old enough to judge (see :func:`evaluate_lead_model`).
    """
    from IPython.display import HTML, display

    try:
        evaluation = evaluate_lead_model(
            view.workbook, view.quarter, team=view.team, importance_repeats=3
        )
    except WorkbookError as err:  # no lead side, no sql events: one line, never a traceback
        display(HTML(rh.note(f"Not in this data: {err}")))
        return
    display(
        HTML(
            rh.note(
                f"Scored {SCORING_DAYS} days after creation, predicting an SQL within "
                f"{HORIZON_DAYS} days; trained on {evaluation.trained_on:,} leads whose outcome "
                f"was known when {view.quarter} began, judged on {evaluation.evaluated_on:,} "
                f"leads of {view.quarter} ({evaluation.too_young:,} too young to judge)."
            )
        )
    )
    for name, why in evaluation.dropped.items():
        display(HTML(rh.note(f"Attribute {name!r} left out: {why}.")))
    if evaluation.note:
        display(HTML(rh.note(evaluation.note)))
        return
    if evaluation.crm_note:
        display(HTML(rh.note(evaluation.crm_note)))
    show_table(
        evaluation.comparison(),
        "model_vs_crm",
        decimals=3,
        caption=f"Trained model against the CRM score on the leads of {view.quarter}",
    )
    curves = [evaluation.model.deciles.assign(score="trained model")]
    if evaluation.crm is not None and evaluation.crm.deciles is not None:
        curves.append(evaluation.crm.deciles.assign(score="CRM score"))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    prediction_plots.gains_curve(pd.concat(curves, ignore_index=True), hue="score", ax=left)
    left.set_title(f"Cumulative gains, leads of {view.quarter}")
    prediction_plots.reliability_curve(evaluation.model.reliability, ax=right)
    right.set_title(f"Trained model's reliability (Brier {evaluation.model.brier:.4f})")
    # No tight_layout: the report lays the figure out once when it shows it (plots.lay_out).
    display(fig)
    plt.close(fig)
    if evaluation.importance is not None:
        top = evaluation.importance.head(8)
        show_table(
            top,
            "model_drivers",
            decimals=3,
            caption="What the trained model relies on (AUC drop when an attribute is shuffled)",
            total=len(evaluation.importance),
        )


def show_lead_scoring(view: TeamQuarter) -> None:
    """The report's lead-scoring section: the audit, and in the company report the model."""
    from IPython.display import HTML, display

    show_score_audit(view)
    if view.team == ALL_TEAMS:
        display(HTML(rh.heading("The workbook's trained model beside the CRM score", 3)))
        show_lead_model(view)
