"""The facilitator's live view of a workshop session, and the per-team session summary.

Both read only the answer store and the data: who joined, how far each participant got, and
each exercise's summary (:meth:`.exercise.Exercise.summarise`: agreement figures, charts, open
disagreements so far), for the exercises of :data:`.exercise.EXERCISES` in workshop order.
"""

from __future__ import annotations

import html
import threading

import pandas as pd

from ..display.widgets import Html, LivePanel, Part, show
from ..errors import WorkbookError
from .actions import ActionForm
from .exercise import EXERCISES
from .exercise_summary import ExerciseSummary
from .session import Workshop

AUTO_REFRESH_S = 10.0


def progress(workshop: Workshop, team: str | None = None) -> pd.DataFrame:
    """Who joined and how many items each has answered per exercise.

    Returns
    -------
    DataFrame
        One row per participant (in joining order): name, role, team, one column per exercise
        title with the number of items answered, and ``last answer`` (UTC time, empty if none).
    """
    people = workshop.participants(team)
    answers = workshop.latest()
    titles = {exercise.slug: exercise.title for exercise in EXERCISES.values()}
    counts = (
        answers.groupby(["participant_id", "exercise"]).size().unstack(fill_value=0)
        if len(answers)
        else pd.DataFrame()
    )
    last = answers.groupby("participant_id")["answered_at"].max() if len(answers) else {}
    rows = []
    for person in people.itertuples(index=False):
        row = {"name": person.name, "role": person.role, "team": person.team}
        for exercise, title in titles.items():
            has = person.participant_id in counts.index and exercise in counts.columns
            row[title] = int(counts.loc[person.participant_id, exercise]) if has else 0
        stamp = last.get(person.participant_id, "") if len(answers) else ""
        row["last answer"] = stamp[:19].replace("T", " ") if stamp else ""
        rows.append(row)
    return pd.DataFrame(rows, columns=["name", "role", "team", *titles.values(), "last answer"])


def summaries(workshop: Workshop, team: str) -> list[ExerciseSummary]:
    """Every exercise's results so far for one team of the session, in workshop order.

    An exercise whose data the team lacks (e.g. no rejected MQLs) gives a summary that says
    so instead of stopping the others.
    """
    found = []
    for exercise in EXERCISES.values():
        try:
            found.append(exercise.summarise(workshop, team))
        except WorkbookError as err:
            found.append(ExerciseSummary(exercise.slug, exercise.title, f"Not available: {err}", 0))
    return found


def open_disagreements(found: list[ExerciseSummary]) -> pd.DataFrame:
    """The open disagreements of every exercise, as one table (exercise, item, detail)."""
    frames = [
        s.disagreements.assign(exercise=s.title)[["exercise", "item", "detail"]]
        for s in found
        if len(s.disagreements)
    ]
    if not frames:
        return pd.DataFrame(columns=["exercise", "item", "detail"])
    return pd.concat(frames, ignore_index=True)


def session_parts(workshop: Workshop, team: str) -> list[Part]:
    """The whole session summary for one team: participants, each exercise, disagreements."""
    people = workshop.participants(team)
    roles = people["role"].value_counts()
    found = summaries(workshop, team)
    parts: list[Part] = [
        Html("<h2>Participants</h2>"),
        Html(
            f"<p><b>Session:</b> {html.escape(workshop.session)} · <b>Team:</b> "
            f"{html.escape(team)} · {len(people)} participant(s): "
            f"{int(roles.get('sales', 0))} sales, {int(roles.get('marketing', 0))} marketing</p>"
        ),
        progress(workshop, team)
        if len(people)
        else "Nobody from this team has joined the session yet.",
    ]
    for summary in found:
        parts.append(Html(f"<h2>{html.escape(summary.title)}</h2>"))
        parts.extend(summary.page_parts())
    parts.append(Html("<h2>Open disagreements for the debrief</h2>"))
    disagreements = open_disagreements(found)
    parts.append(disagreements if len(disagreements) else "No open disagreements so far.")
    return parts


def action_form(workshop: Workshop):
    """The form that records agreed actions for the session's teams (see :class:`ActionForm`).

    The actions are agreed for the quarter the workshop reviews (the latest complete one).
    A data set without a complete quarter gets a line saying so instead.
    """
    import ipywidgets as widgets

    try:
        reviewed = workshop.workbook().dataset.latest_complete_quarter
    except WorkbookError as err:
        return widgets.HTML(f"<p>Agreed actions cannot be recorded: {html.escape(str(err))}</p>")
    form = ActionForm(workshop.data_dir, workshop.teams(), reviewed, f"workshop {workshop.session}")
    form.widget.listing_html = form.listing.value  # the static page's snapshot
    return form.widget


class FacilitatorView:
    """A live view of one session: a team picker, Refresh, and an optional auto-refresh.

    Parameters
    ----------
    workshop : Workshop
        The session to follow (the facilitator does not join it).
    """

    def __init__(self, workshop: Workshop) -> None:
        import ipywidgets as widgets

        self.workshop = workshop
        teams = list(workshop.teams())
        self.team = widgets.Dropdown(options=teams, value=teams[0], description="Team")
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.auto = widgets.Checkbox(value=False, description=f"Every {AUTO_REFRESH_S:.0f} s")
        self.panel = LivePanel(lambda: session_parts(self.workshop, self.team.value))
        self.refresh_button.on_click(lambda _: self.panel.refresh())
        self.team.observe(lambda _: self.panel.refresh(), names="value")
        self.auto.observe(self._auto_changed, names="value")
        self._timer: threading.Timer | None = None
        self.controls = widgets.HBox([self.team, self.refresh_button, self.auto])

    def _auto_changed(self, change) -> None:
        if change["new"]:
            self._tick()
        elif self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self) -> None:
        """Refresh, then schedule the next refresh while auto-refresh is on."""
        if not self.auto.value:
            return
        self.panel.refresh()
        self._timer = threading.Timer(AUTO_REFRESH_S, self._tick)
        self._timer.daemon = True
        self._timer.start()

    def display(self) -> None:
        """Show the controls and the panel (a snapshot of the session on a static page)."""
        show(self.controls, Html(""))
        self.panel.display()
        import ipywidgets as widgets

        form = action_form(self.workshop)
        listing = getattr(form, "listing_html", "")
        show(
            widgets.VBox([widgets.HTML("<h2>Agreed actions</h2>"), form]),
            "<h2>Agreed actions</h2>" + listing,
        )
