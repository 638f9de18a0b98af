"""A participant's page: join once, then whichever exercise the facilitator has opened.

Widget structure (for browser tests): a ``VBox`` with class ``workshop-participant`` holding
a banner (class ``workshop-banner``: session, open exercise, countdown), the join panel
(:class:`~helpers.training.join.JoinPanel`) and the exercise area (class
``workshop-exercise``, with class ``exercise-<slug>`` while an exercise is shown). An
exercise that could not be built shows a box with class ``workshop-page-error`` and a
reload link instead of an empty area.
"""

from __future__ import annotations

import html
import math
import threading
from collections.abc import Callable
from typing import Any

from ..exercise import EXERCISES
from ..join import JoinPanel
from .room import Room, RoomState

PAGE_STYLE = """<style>
.workshop-participant { max-width: 980px; margin: 0 auto; font-size: 15px; }
.workshop-banner { background: #f2f5f9; border-left: 6px solid #1f4e79; padding: 6px 12px; }
.workshop-page-error { border: 2px solid #b00020; padding: 8px 12px; }
</style>"""


def countdown_text(seconds: float | None) -> str:
    """The countdown as participants see it: whole minutes, changing rarely.

    Examples
    --------
    >>> countdown_text(150), countdown_text(42), countdown_text(0), countdown_text(None)
    ('about 3 min left', 'under 1 min left', "time's up", '')
    """
    if seconds is None:
        return ""
    if seconds <= 0:
        return "time's up"
    if seconds < 60:
        return "under 1 min left"
    return f"about {math.ceil(seconds / 60)} min left"


def banner_html(session: str, state: RoomState, *, countdown: str) -> str:
    """The line above the exercise: session, open exercise, countdown (escaped)."""
    if state.open_exercise is None:
        what = "No exercise is open yet: the facilitator will open the next one."
    else:
        position = list(EXERCISES).index(state.open_exercise) + 1
        title = EXERCISES[state.open_exercise].title
        what = f"Exercise {position} of {len(EXERCISES)}: <b>{html.escape(title)}</b>"
    timer = f" · ⏱ {html.escape(countdown)}" if countdown else ""
    return f"<p><b>{html.escape(session)}</b> · {what}{timer}</p>"


def page_error_html(what: str, err: BaseException) -> str:
    """A page that could not build its form says so and offers a reload."""
    return (
        '<div class="workshop-page-error"><p><b>This exercise could not be shown.</b> '
        f"{html.escape(what)}: {html.escape(str(err))}</p>"
        '<p><a href="" onclick="location.reload(); return false;">Reload the page</a> '
        "and join again with the same name; your answers so far are kept.</p></div>"
    )


class ParticipantPage:
    """One participant's page in a served workshop.

    Parameters
    ----------
    room : Room
        The session served.
    query : str
        The page's query string (``name=…&role=…&team=…`` prefills the join panel).
    """

    def __init__(
        self,
        room: Room,
        query: str = "",
        *,
        on_join: Callable[[ParticipantPage], Any] | None = None,
    ) -> None:
        import ipywidgets as widgets

        self.room = room
        self._lock = threading.RLock()  # the ticker and the prebuilder may both build
        self.workshop = room.workshop()
        self.join = JoinPanel(self.workshop, query=query, links=False)
        self.banner = widgets.HTML()
        self.banner.add_class("workshop-banner")
        self.body = widgets.VBox()
        self.body.add_class("workshop-exercise")
        self.apps: dict[str, Any] = {}
        self.boxes: dict[str, Any] = {}
        self._seen: tuple[int, bool, str | None] | None = None
        self._countdown = ""
        self.widget = widgets.VBox(
            [widgets.HTML(PAGE_STYLE), self.banner, self.join.widget, self.body]
        )
        self.widget.add_class("workshop-participant")
        self.workshop.on_join(lambda _participant: self.tick())
        if on_join is not None:
            self.workshop.on_join(lambda _participant: on_join(self))
        self.tick()

    def tick(self) -> None:
        """Follow the facilitator: show the open exercise, update the countdown."""
        state = self.room.state
        countdown = countdown_text(state.seconds_left())
        seen = (state.version, self.workshop.participant is not None, state.open_exercise)
        if seen == self._seen and countdown == self._countdown:
            return
        self._countdown = countdown
        self.banner.value = banner_html(self.room.session, state, countdown=countdown)
        if seen == self._seen:
            return
        self._seen = seen
        self._show(state.open_exercise)

    def _show(self, slug: str | None) -> None:
        import ipywidgets as widgets

        if self.workshop.participant is None:
            self.body.children = [
                widgets.HTML("<p><i>Join above to take part in the exercises.</i></p>")
            ]
            return
        if slug is None:
            self.body.children = [
                widgets.HTML("<p><i>Waiting for the facilitator to open an exercise.</i></p>")
            ]
            return
        with self._lock:
            self.body.children = [self._exercise_box(slug)]
        for other in EXERCISES:
            self.body.remove_class(f"exercise-{other}")
        self.body.add_class(f"exercise-{slug}")

    def prebuild_next(self) -> bool:
        """Build one exercise not built yet (in workshop order); False when all are built.

        Run in the background after joining, so that opening an exercise later only swaps
        what the page shows.
        """
        if self.workshop.participant is None:
            return False
        for slug in EXERCISES:
            if slug not in self.boxes:
                self._exercise_box(slug)
                return True
        return False

    def _exercise_box(self, slug: str):
        """The exercise's widgets, built once per page and kept (answers stay on screen)."""
        with self._lock:
            return self._build_box(slug)

    def _build_box(self, slug: str):
        import ipywidgets as widgets

        if slug in self.boxes:
            return self.boxes[slug]
        text = self.room.texts[slug]
        try:
            app = EXERCISES[slug].app(self.workshop)
            panel = app.results_panel()
        except Exception as err:  # the participant must see it, and so must the facilitator
            self.room.page_failed(f"{EXERCISES[slug].title} page", err)
            failed = widgets.HTML(page_error_html(EXERCISES[slug].title, err))
            failed.add_class("workshop-page-error")
            self.boxes[slug] = failed
            return failed
        self.apps[slug] = app
        box = widgets.VBox(
            [
                widgets.HTML(text.instructions),
                app.widget,
                widgets.HTML(text.results),
                panel.widget,
            ]
        )
        self.boxes[slug] = box
        return box
