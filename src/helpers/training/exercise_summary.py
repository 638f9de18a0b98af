"""What each exercise hands to the facilitator view and the session summary report."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..display.widgets import Html, Part


@dataclass
class ExerciseSummary:
    """The results of one exercise for one team of a session, so far.

    Attributes
    ----------
    exercise : str
        Exercise id, as stored in the answers (``"calibration"`` …).
    title : str
        Human title.
    headline : str
        One sentence: the result a facilitator would say out loud.
    participants : int
        How many participants have answered at least one item.
    parts : list
        Tables (DataFrames), charts (matplotlib figures) and notes to show, in order.
    disagreements : DataFrame
        Open disagreements to take into the debrief: columns ``item`` and ``detail``.
    figures : dict
        The key numbers (e.g. ``{"fleiss_kappa": 0.41}``), for tests and the index.
    """

    exercise: str
    title: str
    headline: str
    participants: int
    parts: list[Part] = field(default_factory=list)
    disagreements: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["item", "detail"])
    )
    figures: dict[str, Any] = field(default_factory=dict)

    def page_parts(self) -> list[Part]:
        """Headline, then the parts: what a page shows for this exercise."""
        return [Html(f"<p><b>{html.escape(self.headline)}</b></p>"), *self.parts]


def roles_apart(
    sales: float,
    marketing: float,
    *,
    is_rate: bool,
    rate_tolerance: float,
    relative_tolerance: float,
) -> bool:
    """Whether the sales and marketing figures differ enough to discuss.

    Rates differ when more than ``rate_tolerance`` apart (0.02 = 2 points); other figures
    when more than ``relative_tolerance`` of the larger one (0.05 = 5 %).
    """
    if is_rate:
        return abs(sales - marketing) > rate_tolerance
    scale = max(abs(sales), abs(marketing))
    return scale > 0 and abs(sales - marketing) / scale > relative_tolerance
