"""The report's follow-up of agreed actions: the table that opens the review section.

One row per action of :meth:`~helpers.analysis.workbook.TeamQuarter.agreed_actions`: what,
who, agreed and due, the status (``open, overdue`` when its due quarter has passed), and how
the KPI it should move went since the review, with its figures and test, written as the
talking points write them (:func:`~helpers.reports.talking_points.action_movement`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..display import html as rh
from .outputs import show_table
from .talking_points import action_movement

if TYPE_CHECKING:
    from ..analysis.workbook import TeamQuarter

ACTION_TABLE_COLUMNS = ("action", "owner", "agreed → due", "status", "KPI since the review")


def action_table(review: pd.DataFrame, *, currency: str = "") -> pd.DataFrame:
    """The actions as the report shows them (text columns :data:`ACTION_TABLE_COLUMNS`).

    Parameters
    ----------
    review : DataFrame
        :meth:`TeamQuarter.agreed_actions`.
    currency : str
        Shown with amounts.
    """
    rows = []
    for row in review.to_dict("records"):
        status = str(row["status"]) + (", overdue" if row["overdue"] else "")
        rows.append(
            {
                "action": row["action"],
                "owner": row["owner"],
                "agreed → due": f"{row['quarter_agreed']} → {row['due_quarter']}",
                "status": status,
                "KPI since the review": action_movement(row, currency=currency) or "no KPI named",
            }
        )
    return pd.DataFrame(rows, columns=list(ACTION_TABLE_COLUMNS))


def show_agreed_actions(view: TeamQuarter) -> None:
    """Show the follow-up of the last review's actions, or one line saying why there is none."""
    from IPython.display import HTML, display

    review = view.agreed_actions()
    if review is None:
        display(HTML(rh.note("Not in this data: no actions table, so no agreed actions.")))
        return
    if not len(review):
        display(
            HTML(
                rh.note(
                    f"No actions of the {view.quarter.shift(-1)} review to follow up, and none "
                    "still open from earlier reviews."
                )
            )
        )
        return
    currency = view.workbook.dataset.config.currency
    overdue = int(review["overdue"].sum())
    done = int((review["status"] == "done").sum())
    display(
        HTML(
            rh.note(f"{len(review)} agreed action(s) to follow up: {done} done, {overdue} overdue.")
        )
    )
    show_table(
        action_table(review, currency=currency),
        "agreed_actions",
        caption=f"Actions agreed at the {view.quarter.shift(-1)} review, and older ones still open",
    )
