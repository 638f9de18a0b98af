"""The room: everything a served workshop shares, once, in the server process.

One :class:`Room` per served session holds the answer store (one connection, every write
serialised and retried), the results and exercise material shared by every page
(:class:`~helpers.training.shared_results.SharedResults`), what the facilitator decided
(which exercise is open, the countdown, anonymous mode, names on the projector; kept in the
store so a restarted server picks them up) and the writes that failed, for the facilitator.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ...display.inert import spreadsheet_cell
from ...errors import ParameterError
from ..answer_store import AnswerNotSaved, AnswerStore, store_path
from ..exercise import EXERCISES
from ..session import ANONYMOUS_SINCE, Workshop
from ..shared_results import SharedResults
from .guide import ExerciseText, exercise_text

ROOM_BUSY_TIMEOUT_S = 2.0  # per write attempt: a participant hears within seconds, not 90 s
OPEN = "open_exercise"
COUNTDOWN_UNTIL = "countdown_until"
SHOW_NAMES = "show_names_on_projector"


@dataclass(frozen=True)
class Failure:
    """A write the store refused after its retries: who, what, when, why."""

    at: str
    participant: str
    error: str


@dataclass(frozen=True)
class RoomState:
    """What the facilitator decided, as every page reads it."""

    version: int
    open_exercise: str | None
    countdown_until: float | None  # epoch seconds
    anonymous: bool
    show_names: bool

    def seconds_left(self, now: float | None = None) -> float | None:
        """Seconds until the countdown ends (0 when over), None without a countdown."""
        if self.countdown_until is None:
            return None
        return max(0.0, self.countdown_until - (time.time() if now is None else now))


def csv_cell(value: Any) -> str:
    """A value as a CSV cell a spreadsheet will not run as a formula (see ``spreadsheet_cell``).

    Examples
    --------
    >>> print(csv_cell('=HYPERLINK("http://x")'))
    '=HYPERLINK("http://x")
    >>> csv_cell(3)
    '3'
    """
    return "" if value is None else str(spreadsheet_cell(value))


class Room:
    """One served workshop session.

    Parameters
    ----------
    data_dir : Path
        The data directory (answers go to its ``workshop.sqlite``).
    session : str
        Session name.
    teams : tuple of str
        Teams of the session (empty: every team of the data).
    notebooks : Path
        Folder of the exercise notebooks (their guides and instructions).
    anonymous : bool
        Participants join with a nickname (kept once switched on for the session).
    busy_timeout_s : float
        How long one write attempt waits for the database lock.
    """

    def __init__(
        self,
        data_dir: Path,
        session: str,
        teams: tuple[str, ...] = (),
        *,
        notebooks: Path,
        anonymous: bool = False,
        busy_timeout_s: float = ROOM_BUSY_TIMEOUT_S,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.session = session
        self.teams = tuple(teams)
        self.store = AnswerStore(store_path(self.data_dir), busy_timeout_s=busy_timeout_s)
        self.shared = SharedResults(lambda: self.store.version(self.session))
        self.failures: deque[Failure] = deque(maxlen=500)
        self.texts: dict[str, ExerciseText] = {
            slug: exercise_text(Path(notebooks) / exercise.page)
            for slug, exercise in EXERCISES.items()
        }
        self._lock = threading.Lock()
        self._version = 0
        self._state = self._read_state()
        if anonymous and not self._state.anonymous:
            self.set_anonymous(True)
        # The data and each team's material are prepared before the first participant comes.
        self.workshop().teams()

    # --- pages' workshops --------------------------------------------------------------

    def workshop(self, *, hide_names: bool = False) -> Workshop:
        """A page's view of the session: the shared store, results and failure list."""
        return Workshop(
            self.data_dir,
            self.session,
            self.teams,
            store=self.store,
            shared=self.shared,
            on_error=self._failed,
            hide_names=hide_names,
        )

    def _failed(self, workshop: Workshop, err: AnswerNotSaved) -> None:
        who = workshop.participant.name if workshop.participant is not None else "(joining)"
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        self.failures.append(Failure(stamp, who, str(err)))

    def page_failed(self, page: str, err: BaseException) -> None:
        """Note a page that could not be built (the facilitator sees it)."""
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        self.failures.append(Failure(stamp, page, f"{type(err).__name__}: {err}"))

    # --- the facilitator's decisions ---------------------------------------------------

    @property
    def state(self) -> RoomState:
        """The decisions now (read from memory: pages poll it often)."""
        return self._state

    def _read_state(self) -> RoomState:
        settings = self.store.settings(self.session)
        open_exercise = settings.get(OPEN)
        return RoomState(
            self._version,
            open_exercise if open_exercise in EXERCISES else None,
            settings.get(COUNTDOWN_UNTIL),
            settings.get(ANONYMOUS_SINCE) is not None,
            bool(settings.get(SHOW_NAMES, False)),
        )

    def _set(self, key: str, value: Any) -> None:
        with self._lock:
            self.store.set_setting(self.session, key, value)
            self._version += 1
            self._state = self._read_state()

    def open(self, slug: str | None) -> None:
        """Open one exercise for everyone (None: all closed)."""
        if slug is not None and slug not in EXERCISES:
            raise ParameterError(
                f"Unknown exercise {slug!r}. Fix: use one of {', '.join(EXERCISES)}."
            )
        self._set(OPEN, slug)

    def start_countdown(self, seconds: float) -> None:
        """Start (or restart) a countdown everyone sees."""
        if not seconds > 0:
            raise ParameterError(f"A countdown needs a positive length, got {seconds!r}.")
        self._set(COUNTDOWN_UNTIL, time.time() + float(seconds))

    def stop_countdown(self) -> None:
        """Remove the countdown."""
        self._set(COUNTDOWN_UNTIL, None)

    def set_anonymous(self, on: bool) -> None:
        """Nicknames from now on (names given before show as "Participant N"), or names again."""
        stamp = datetime.now(UTC).isoformat(timespec="microseconds") if on else None
        self._set(ANONYMOUS_SINCE, stamp)

    def set_show_names(self, on: bool) -> None:
        """Whether the projector shows participants' names (off by default)."""
        self._set(SHOW_NAMES, bool(on))

    # --- participants and answers ------------------------------------------------------

    def remove(self, participant_id: str | None = None) -> int:
        """Remove one participant with their answers (None: everyone: reset the session)."""
        with self._lock:
            removed = self.store.remove(self.session, participant_id)
            self._version += 1
            self._state = self._read_state()
        return removed

    def answers_frame(self) -> pd.DataFrame:
        """Every answer of the session, changes included, with names as the session shows them."""
        history = self.workshop().history()
        columns = ["answered_at", "exercise", "item", "name", "role", "team", "answer"]
        frame = history[columns].copy()
        frame["answer"] = [
            a if isinstance(a, str) else _json_text(a) for a in history["answer"].tolist()
        ]
        return frame

    def answers_csv(self) -> str:
        """:meth:`answers_frame` as CSV text; no cell can start a spreadsheet formula."""
        frame = self.answers_frame()
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(frame.columns)
        for row in frame.itertuples(index=False):
            writer.writerow([csv_cell(value) for value in row])
        return buffer.getvalue()

    def close(self) -> None:
        """Close the store (every answer is already committed)."""
        self.store.close()


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
