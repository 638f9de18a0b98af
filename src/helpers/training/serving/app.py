"""The Solara app of a served workshop: ``/`` participants, ``/facilitator``, ``/projector``.

Solara runs every browser tab as a virtual kernel in this one process; this module is
imported once. The :class:`Served` object owns the room (made on the first page, from the
settings ``workbook workshop`` left in the environment) and one ticker thread that lets
every open page follow the facilitator's decisions (open exercise, countdown) without a
thread per page. The facilitator's and projector's pages need the key from the link the CLI
printed.
"""

from __future__ import annotations

import hmac
import logging
import queue
import threading
import time
import weakref
from typing import Any
from urllib.parse import parse_qs

import solara

from .console import FacilitatorConsole
from .participant import ParticipantPage, page_error_html
from .projector import ProjectorView
from .room import Room
from .settings import ServedSession

TICK_S = 0.5
PREBUILD_PAUSE_S = 0.05
log = logging.getLogger(__name__)


class Served:
    """The room of this server process and the pages that follow it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._room: Room | None = None
        self.settings: ServedSession | None = None
        self._pages: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self._ticker: threading.Thread | None = None
        self._to_prebuild: queue.Queue[Any] = queue.Queue()
        self._prebuilder: threading.Thread | None = None

    def room(self) -> Room:
        """The room, made once from the environment (the data loaded, material prepared)."""
        with self._lock:
            if self._room is None:
                settings = ServedSession.from_environment()
                room = Room(
                    settings.data_dir,
                    settings.session,
                    settings.teams,
                    notebooks=settings.notebooks,
                    anonymous=settings.anonymous,
                )
                if settings.open_exercise:
                    room.open(settings.open_exercise)
                self.settings, self._room = settings, room
            return self._room

    def follow(self, page: Any) -> None:
        """Let ``page.tick()`` run every :data:`TICK_S` in the page's own kernel context."""
        from solara.server import kernel_context

        context = kernel_context.get_current_context()
        with self._lock:
            self._pages[page] = context
            if self._ticker is None:
                self._ticker = threading.Thread(target=self._tick_forever, daemon=True)
                self._ticker.start()
        context.on_close(lambda: self._pages.pop(page, None))

    def prebuild(self, page: Any) -> None:
        """Build a joined participant's exercises in the background, one at a time."""
        with self._lock:
            if self._prebuilder is None:
                self._prebuilder = threading.Thread(target=self._prebuild_forever, daemon=True)
                self._prebuilder.start()
        self._to_prebuild.put(weakref.ref(page))

    def _prebuild_forever(self) -> None:
        while True:
            page = self._to_prebuild.get()()
            context = self._pages.get(page) if page is not None else None
            if context is None:
                continue
            try:
                with context:
                    more = page.prebuild_next()
            except Exception:
                log.exception("workshop prebuild failed")
                continue
            if more:  # back of the queue: every participant gets the next exercise in turn
                self._to_prebuild.put(weakref.ref(page))
            time.sleep(PREBUILD_PAUSE_S)  # leave the interpreter to clicks between builds

    def _tick_forever(self) -> None:
        while True:
            time.sleep(TICK_S)
            with self._lock:
                pages = list(self._pages.items())
            for page, context in pages:
                try:
                    with context:
                        page.tick()
                except Exception:  # one broken page must not stop the others following
                    log.exception("workshop page tick failed")

    def key_ok(self, query: str) -> bool:
        """Whether a page's query string carries the facilitator's key."""
        self.room()
        given = parse_qs(query or "").get("key", [""])[-1]
        return self.settings is not None and hmac.compare_digest(given, self.settings.key)


SERVED = Served()


def _page(build) -> Any:
    """Build a page's widget; on failure a message with a reload link, never an empty page."""
    import ipywidgets as widgets

    try:
        view = build()
    except Exception as err:
        log.exception("workshop page failed")
        if SERVED._room is not None:
            SERVED._room.page_failed("page", err)
        return widgets.HTML(page_error_html("The page", err))
    SERVED.follow(view)
    return view.widget


def _participant(query: str):
    return _page(lambda: ParticipantPage(SERVED.room(), query, on_join=SERVED.prebuild))


def _facilitator(query: str):
    import ipywidgets as widgets

    if not SERVED.key_ok(query):
        return widgets.HTML("<p>This page needs the facilitator's link (with its key).</p>")
    settings = SERVED.settings
    assert settings is not None
    projector = settings.join_url.rstrip("/") + f"/projector?key={settings.key}"
    return _page(
        lambda: FacilitatorConsole(
            SERVED.room(), join_url=settings.join_url, projector_url=projector
        )
    )


def _projector(query: str):
    import ipywidgets as widgets

    if not SERVED.key_ok(query):
        return widgets.HTML("<p>This page needs the facilitator's link (with its key).</p>")
    settings = SERVED.settings
    assert settings is not None
    return _page(lambda: ProjectorView(SERVED.room(), join_url=settings.join_url))


def _shown(build) -> None:
    """Show ``build(query string)``, built once per page (virtual kernel)."""
    router = solara.use_router()
    widget = solara.use_memo(lambda: build(router.search or ""), [])
    solara.Title("Workshop")
    solara.display(widget)


@solara.component
def Participant():
    """``/``: join, then the open exercise."""
    _shown(_participant)


@solara.component
def Facilitator():
    """``/facilitator?key=…``: the facilitator's console."""
    _shown(_facilitator)


@solara.component
def Projector():
    """``/projector?key=…``: the room's live results in large type."""
    _shown(_projector)


@solara.component
def Layout(children=None):
    """No app bar or navigation between the routes: each page is one view."""
    return solara.Column(children=children or [], style={"padding": "8px"})


routes = [
    solara.Route(path="/", component=Participant, layout=Layout),
    solara.Route(path="facilitator", component=Facilitator),
    solara.Route(path="projector", component=Projector),
]
