"""The calibration exercise's widgets: one row of yes/no toggles per lead to rate."""

from __future__ import annotations

import html

import pandas as pd

from ...display.widgets import Html, LivePanel, error_html, show
from ...errors import WorkbookError
from .model import ANSWERS, EXERCISE, FORM_COLUMNS, QUESTIONS, SHORT, item_id, lead_sample
from .summary import summarise


class CalibrationExercise:
    """One row of three yes/no toggles per lead; every click is stored at once.

    Widget structure (for a browser test): a ``VBox`` with CSS class ``calibration-exercise``
    holding a status line, then one ``HBox`` per lead with classes ``calibration-lead`` and
    ``calibration-lead-<position>``: an ``HTML`` label "Lead <position> · <lead_id>", an
    ``HTML`` line of attributes, and three ``ToggleButtons`` (options "yes", "no"; no value
    until answered) with descriptions "MQL?", "SQL?", "Call?" and classes
    ``calibration-mql`` / ``calibration-sql`` / ``calibration-call``. The toggles are
    disabled until the participant joins. A click stores the answer and says "Saved"; if the
    store refuses it, the status says "Not saved — try again" and the toggle goes back.

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
        self.sample = self._sample(self.team)
        self.toggles: dict[str, widgets.ToggleButtons] = {}  # item id → toggle
        self.rows: list[widgets.HBox] = []
        self._loading = False
        self._panel: LivePanel | None = None
        self.status = widgets.HTML(
            "<i>Join above (name and role) to start rating; your answers are saved at once.</i>"
        )
        self.status.add_class("exercise-status")
        self.rows_box = widgets.VBox()
        self._build_rows()
        self.widget = widgets.VBox([self.status, self.rows_box])
        self.widget.add_class("calibration-exercise")
        workshop.on_join(self._joined)

    def _sample(self, team: str) -> pd.DataFrame:
        """The team's leads to rate: the same for everyone, drawn once per session."""
        workshop = self.workshop
        return workshop.material(
            ("calibration", team, self.size),
            lambda: lead_sample(workshop.workbook(), team, workshop.session, self.size),
        )

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
            self.sample = self._sample(self.team)
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

    def _changed(self, item: str, change: dict) -> None:
        if self._loading or change["new"] not in ANSWERS:
            return
        try:
            self.workshop.record(EXERCISE, item, change["new"])
        except WorkbookError as err:
            self.status.value = error_html(err)
            self._loading = True
            try:
                self.toggles[item].value = change["old"]  # the toggle shows what is stored
            finally:
                self._loading = False
            return
        done = sum(t.value is not None for t in self.toggles.values())
        self.status.value = f"Saved. {done} of {len(self.toggles)} answers given."

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
        """The room's results so far (:func:`summarise`), shared by every viewer."""
        if self._panel is None:
            self._panel = LivePanel(
                lambda: [
                    Html(
                        self.workshop.results_html(
                            EXERCISE,
                            self.team,
                            lambda: summarise(
                                self.workshop, self.team, size=self.size
                            ).page_parts(),
                        )
                    )
                ]
            )
        return self._panel


def _attributes(lead: dict) -> str:
    """One line of a lead's attributes for the rating form (never the score)."""
    values = [lead.get(c) for c in FORM_COLUMNS]
    return " · ".join(str(v) for v in values if v is not None and not pd.isna(v) and str(v))
