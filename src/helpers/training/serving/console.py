"""The facilitator's console: open and close exercises, countdown, names, people, export.

Widget structure (for browser tests): a ``VBox`` with class ``facilitator-console``; the
exercise switch is a ``ToggleButtons`` with class ``open-exercise`` (options "Closed" and the
five titles); the countdown has class ``countdown-minutes`` (minutes) and buttons "Start
countdown" / "Stop countdown"; checkboxes "Anonymous (nicknames)" and "Names on the
projector"; the progress table has class ``room-progress``; failures class ``room-failures``;
the guide class ``facilitator-guide``; "Download answers (CSV)" fills a link with class
``answers-csv``.
"""

from __future__ import annotations

import base64
import html
import re

import pandas as pd

from ...display.html import table_html
from ..exercise import EXERCISES
from ..facilitator import action_form, progress
from .address import qr_svg
from .participant import PAGE_STYLE
from .room import Room

REFRESH_S = 2.0  # the progress table follows the room at most this often


def clock_text(seconds: float | None) -> str:
    """A countdown as the projector and the console show it.

    Examples
    --------
    >>> clock_text(125.2), clock_text(0), clock_text(None)
    ('2:06', '0:00', '')
    """
    if seconds is None:
        return ""
    whole = int(-(-seconds // 1))  # round up: 0.2 s left still shows 0:01
    return f"{whole // 60}:{whole % 60:02d}"


def failures_html(room: Room) -> str:
    """The writes and pages that failed, newest first (escaped)."""
    if not room.failures:
        return "<p>No failed writes or pages.</p>"
    rows = pd.DataFrame(
        [{"at (UTC)": f.at, "who": f.participant, "error": f.error} for f in room.failures]
    ).iloc[::-1]
    return f"<p><b>{len(room.failures)} failure(s)</b></p>" + table_html(rows)


def csv_link(room: Room) -> str:
    """A download link holding every answer of the session as CSV (no request to the server)."""
    data = base64.b64encode(room.answers_csv().encode("utf-8")).decode("ascii")
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", room.session).strip("-") or "session"
    return (
        f'<a class="answers-csv" download="{html.escape(name)}-answers.csv" '
        f'href="data:text/csv;charset=utf-8;base64,{data}">{html.escape(name)}-answers.csv</a>'
    )


class FacilitatorConsole:
    """The facilitator's page of a served workshop.

    Parameters
    ----------
    room : Room
        The session.
    join_url, projector_url : str
        What participants open, and the projector's page.
    """

    def __init__(self, room: Room, *, join_url: str, projector_url: str) -> None:
        import ipywidgets as widgets

        self.room = room
        self.workshop = room.workshop()
        state = room.state
        title = html.escape(room.session)
        url = html.escape(join_url)
        self.header = widgets.HTML(
            f"<h2>Facilitator · {title}</h2><p>Participants open <a href='{url}' "
            f"target='_blank'>{url}</a> · <a href='{html.escape(projector_url)}' "
            "target='_blank'>projector view</a></p>"
            f"<div style='width:160px'>{qr_svg(join_url, scale=4)}</div>"
        )
        self.open = widgets.ToggleButtons(
            options=[("Closed", "")] + [(e.title, slug) for slug, e in EXERCISES.items()],
            value=state.open_exercise or "",
            description="Open",
            style={"button_width": "auto"},
        )
        self.open.add_class("open-exercise")
        self.open.observe(lambda change: room.open(change["new"] or None), names="value")
        self.minutes = widgets.BoundedIntText(value=5, min=1, max=120, description="Minutes")
        self.minutes.add_class("countdown-minutes")
        start = widgets.Button(description="Start countdown", icon="play")
        stop = widgets.Button(description="Stop countdown", icon="stop")
        start.on_click(lambda _: room.start_countdown(self.minutes.value * 60))
        stop.on_click(lambda _: room.stop_countdown())
        self.clock = widgets.HTML()
        self.anonymous = widgets.Checkbox(
            value=state.anonymous, description="Anonymous (nicknames)"
        )
        self.anonymous.observe(lambda c: room.set_anonymous(c["new"]), names="value")
        self.names = widgets.Checkbox(value=state.show_names, description="Names on the projector")
        self.names.observe(lambda c: room.set_show_names(c["new"]), names="value")
        self.guide = widgets.HTML()
        self.guide.add_class("facilitator-guide")
        self.progress = widgets.HTML()
        self.progress.add_class("room-progress")
        self.failures = widgets.HTML()
        self.failures.add_class("room-failures")
        self.who = widgets.Dropdown(description="Participant", options=[])
        remove = widgets.Button(description="Remove participant", icon="user-times")
        remove.on_click(lambda _: self._remove())
        self.confirm_reset = widgets.Checkbox(value=False, description="I mean it")
        reset = widgets.Button(description="Remove everyone", icon="trash", button_style="danger")
        reset.on_click(lambda _: self._reset())
        export = widgets.Button(description="Download answers (CSV)", icon="download")
        self.export_link = widgets.HTML()
        export.on_click(lambda _: setattr(self.export_link, "value", csv_link(room)))
        self.widget = widgets.VBox(
            [
                widgets.HTML(PAGE_STYLE),
                self.header,
                self.open,
                widgets.HBox([self.minutes, start, stop, self.clock]),
                widgets.HBox([self.anonymous, self.names]),
                widgets.HTML("<h3>Participants</h3>"),
                self.progress,
                widgets.HBox([self.who, remove, reset, self.confirm_reset]),
                widgets.HBox([export, self.export_link]),
                widgets.HTML("<h3>Agreed actions</h3>"),
                action_form(self.workshop),
                widgets.HTML("<h3>Failed writes and pages</h3>"),
                self.failures,
                widgets.HTML("<h3>Facilitator guide</h3>"),
                self.guide,
            ]
        )
        self.widget.add_class("facilitator-console")
        self._seen: tuple | None = None
        self._next_refresh = 0.0
        self.tick(force=True)

    def _remove(self) -> None:
        if self.who.value:
            self.room.remove(self.who.value)
        self.tick(force=True)

    def _reset(self) -> None:
        if self.confirm_reset.value:
            self.room.remove(None)
            self.confirm_reset.value = False
        self.tick(force=True)

    def tick(self, force: bool = False) -> None:
        """Follow the room: clock every tick; people, failures and guide when they change."""
        import time

        state = self.room.state
        self.clock.value = f"<b style='font-size:1.4em'>{clock_text(state.seconds_left())}</b>"
        now = time.monotonic()
        if not force and now < self._next_refresh:
            return
        self._next_refresh = now + REFRESH_S
        seen = (state.version, self.room.store.version(self.room.session), len(self.room.failures))
        if seen == self._seen and not force:
            return
        self._seen = seen
        if self.open.value != (state.open_exercise or ""):
            self.open.value = state.open_exercise or ""
        slug = state.open_exercise or next(iter(EXERCISES))
        self.guide.value = self.room.texts[slug].guide
        table = progress(self.workshop)
        self.progress.value = (
            f"<p>{len(table)} joined.</p>" + table_html(table)
            if len(table)
            else "<p>Nobody yet.</p>"
        )
        people = self.workshop.participants()
        options = [("", "")] + [
            (f"{p.name} ({p.role}, {p.team})", p.participant_id)
            for p in people.itertuples(index=False)
        ]
        if list(self.who.options) != options:
            self.who.options = options
        self.failures.value = failures_html(self.room)
