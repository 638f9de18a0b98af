"""The projector: the open exercise, the countdown, how many answered, the room's results.

Large type, no names unless the facilitator chose to show them. The results are the shared
ones (computed once per change of the answers, whoever looks), redrawn at most every
:data:`REFRESH_S` seconds. Widget structure: a ``VBox`` with class ``projector-view``;
the results area has class ``projector-results``.
"""

from __future__ import annotations

import html
import time

from ...errors import WorkbookError
from ..exercise import EXERCISES
from .address import qr_svg
from .console import clock_text
from .room import Room

REFRESH_S = 2.0
PROJECTOR_STYLE = """<style>
.projector-view { font-size: 22px; max-width: 1400px; margin: 0 auto; }
.projector-view h1 { font-size: 44px; line-height: 1.15; margin: 8px 0; }
.projector-view table { font-size: 18px; }
.projector-clock { font-size: 64px; font-weight: bold; }
</style>"""


class ProjectorView:
    """What the room sees on the wall.

    Parameters
    ----------
    room : Room
        The session.
    join_url : str
        The participants' address, shown as text and QR code.
    """

    def __init__(self, room: Room, *, join_url: str) -> None:
        import ipywidgets as widgets

        self.room = room
        self.join_url = join_url
        self.title = widgets.HTML()
        self.clock = widgets.HTML()
        self.clock.add_class("projector-clock")
        self.counts = widgets.HTML()
        self.results = widgets.HTML()
        self.results.add_class("projector-results")
        url = html.escape(join_url)
        join = widgets.HTML(
            f"<div style='display:flex;gap:24px;align-items:center'>"
            f"<div style='width:220px'>{qr_svg(join_url, scale=6)}</div>"
            "<div>Join at<br><b style='font-size:32px; overflow-wrap:anywhere'>"
            f"{url}</b></div></div>"
        )
        self.widget = widgets.VBox(
            [widgets.HTML(PROJECTOR_STYLE), self.title, join, self.clock, self.counts, self.results]
        )
        self.widget.add_class("projector-view")
        self._seen: tuple | None = None
        self._next_refresh = 0.0
        self.tick(force=True)

    def tick(self, force: bool = False) -> None:
        """Clock every tick; title, counts and results when the room changed."""
        state = self.room.state
        left = state.seconds_left()
        self.clock.value = clock_text(left) if left is not None else ""
        now = time.monotonic()
        if not force and now < self._next_refresh:
            return
        self._next_refresh = now + REFRESH_S
        seen = (state.version, self.room.store.version(self.room.session))
        if seen == self._seen and not force:
            return
        self._seen = seen
        slug = state.open_exercise
        session = html.escape(self.room.session)
        if slug is None:
            self.title.value = f"<h1>{session}</h1><p>No exercise open.</p>"
            self.results.value = ""
        else:
            self.title.value = f"<h1>{html.escape(EXERCISES[slug].title)}</h1><p>{session}</p>"
        workshop = self.room.workshop(hide_names=not state.show_names)
        people = workshop.participants()
        answered = workshop.latest()
        answered = answered[answered["exercise"] == slug] if slug else answered.iloc[:0]
        self.counts.value = (
            f"<p><b>{len(people)}</b> joined · <b>{answered['participant_id'].nunique()}</b> "
            "answered this exercise</p>"
        )
        if slug is not None:
            self.results.value = self._results(workshop, slug)

    def _results(self, workshop, slug: str) -> str:
        """The open exercise's results for every team of the session (shared)."""
        exercise = EXERCISES[slug]
        parts = []
        teams = workshop.teams()
        for team in teams:
            heading = f"<h2>Team {html.escape(team)}</h2>" if len(teams) > 1 else ""
            try:
                body = workshop.results_html(
                    slug, team, lambda team=team: exercise.summarise(workshop, team).page_parts()
                )
            except WorkbookError as err:
                body = f"<p>Not available: {html.escape(str(err))}</p>"
            parts.append(heading + body)
        return "".join(parts)
