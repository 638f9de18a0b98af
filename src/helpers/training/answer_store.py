"""Workshop answers, written at once to an embedded SQLite database in the data directory.

In a joint sales and marketing workshop every participant's browser runs its own Jupyter or
Voila kernel, so up to about 30 processes write to one database file at the same moment. The
store makes that safe with SQLite's own locking:

- **WAL journal** (``PRAGMA journal_mode=WAL``): readers never block the writer and the writer
  never blocks readers; writers take turns on one write lock.
- **Busy timeout** of :data:`BUSY_TIMEOUT_S` seconds: a writer that finds the lock taken waits
  for it instead of failing with "database is locked". Every write is a short
  ``BEGIN IMMEDIATE`` transaction, which takes the write lock first, so two writers never
  deadlock upgrading a read to a write.
- **synchronous=FULL**: each commit is fsynced before :meth:`AnswerStore.record` returns, so an
  answer survives a killed kernel *and* a power cut or OS crash of the machine. ``NORMAL``
  would survive a killed process only; answers arrive at human pace (a few per participant per
  minute), so the one fsync per answer costs nothing anyone notices.
- **Retries, then a loud failure**: a write that still finds the database locked (or fails
  for any other SQLite reason) after its busy timeout is tried again :data:`WRITE_ATTEMPTS`
  times; if it still fails, :class:`AnswerNotSaved` says so. It is a
  :class:`~helpers.errors.WorkbookError`, so every exercise shows "not saved — try again"
  instead of acknowledging an answer that is not stored.
- **Append-only answers**: every answer is a new row; changing an answer adds a row, and the
  view ``latest_answers`` picks the last row (highest ``id``) per participant, exercise and
  item. The history is kept for the debrief.

Times are UTC, ISO 8601 with microseconds (``2026-07-01T09:30:00.123456+00:00``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..data.source import ANSWER_STORE_NAME
from ..errors import ParameterError, WorkbookError

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")
FILE_NAME = ANSWER_STORE_NAME
SCHEMA_VERSION = 3
BUSY_TIMEOUT_S = 30.0
WRITE_ATTEMPTS = 3
ROLES = ("sales", "marketing")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS participants (
    session        TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('sales', 'marketing')),
    joined_at      TEXT NOT NULL,
    team           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (session, participant_id),
    UNIQUE (session, name)
);
CREATE TABLE IF NOT EXISTS answers (
    id             INTEGER PRIMARY KEY,
    session        TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('sales', 'marketing')),
    exercise       TEXT NOT NULL,
    item           TEXT NOT NULL,
    answer         TEXT NOT NULL,
    answered_at    TEXT NOT NULL,
    FOREIGN KEY (session, participant_id) REFERENCES participants (session, participant_id)
);
CREATE TABLE IF NOT EXISTS session_settings (
    session TEXT NOT NULL,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (session, key)
);
CREATE INDEX IF NOT EXISTS answers_by_item
    ON answers (session, participant_id, exercise, item, id);
CREATE VIEW IF NOT EXISTS latest_answers AS
    SELECT * FROM answers
    WHERE id IN (
        SELECT MAX(id) FROM answers GROUP BY session, participant_id, exercise, item
    );
"""

_LATEST_COLUMNS = [
    "session",
    "exercise",
    "item",
    "participant_id",
    "name",
    "role",
    "team",
    "answer",
    "answered_at",
]
_HISTORY_COLUMNS = ["id", *_LATEST_COLUMNS]
_PARTICIPANT_COLUMNS = ["session", "participant_id", "name", "role", "team", "joined_at"]


class AnswerNotSaved(WorkbookError):
    """A write that failed after every retry: the answer (or join) is *not* stored.

    Attributes
    ----------
    what : str
        What was being written (``"answer to calibration / L1:mql"``).
    cause : str
        SQLite's message (``"database is locked"``).
    """

    def __init__(self, what: str, cause: str) -> None:
        self.what = what
        self.cause = cause
        super().__init__(
            f"Not saved — try again. The {what} could not be stored ({cause}). "
            "If it keeps failing, tell the facilitator."
        )


def store_path(data_dir: Path) -> Path:
    """Path of the workshop database in a data directory.

    Parameters
    ----------
    data_dir : Path
        The data directory.

    Returns
    -------
    Path
        ``data_dir / "workshop.sqlite"``.
    """
    return Path(data_dir) / FILE_NAME


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _switch_to_wal(db: Any, *, timeout_s: float = BUSY_TIMEOUT_S) -> str:
    """Put the database file in WAL mode (a no-op once it is) and return the mode it is in.

    The journal mode is stored in the file, so only the first opener converts it. Converting
    needs an exclusive lock, and when two openers both hold a shared lock and both want it,
    SQLite answers "database is locked" at once instead of calling the busy handler (waiting
    could deadlock). So openers racing on a new file retry here, for as long as the busy
    timeout would have waited.
    """
    deadline = time.monotonic() + timeout_s
    pause = 0.005
    while True:
        try:
            return db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.OperationalError as err:
            locked = "locked" in str(err) or "busy" in str(err)
            if not locked or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def _require_text(value: object, what: str, fix: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(f"{what} must be a non-empty text, got {value!r}. Fix: {fix}")
    return value


class AnswerStore:
    """Participants and their answers for workshops, in one SQLite file.

    One ``AnswerStore`` holds one connection, which any thread of the process may use: a lock
    serialises the calls (the workshop server shares one store among every participant's
    page). Any number of stores, in any number of processes, may have the same file open at
    once.

    Every answer is committed before :meth:`record` returns, so it survives the kernel being
    killed, and a restarted kernel or a new store on the same file sees it.

    Parameters
    ----------
    path : Path
        Database file, e.g. ``store_path(data_dir)``; created with its schema if missing.
    busy_timeout_s : float
        How long one write attempt waits for another writer's lock.
    attempts : int
        Write attempts before :class:`AnswerNotSaved` is raised.

    Raises
    ------
    WorkbookError
        When the file holds a schema newer than this code knows (``PRAGMA user_version``).

    Examples
    --------
    >>> with AnswerStore(store_path(data_dir)) as store:  # doctest: +SKIP
    ...     me = store.join("2026-07-01 Lisbon", "Ana", "sales")
    ...     store.record("2026-07-01 Lisbon", me, "handoff", "mql-definition", "fit + intent")
    ...     store.latest("2026-07-01 Lisbon")
    """

    def __init__(
        self, path: Path, *, busy_timeout_s: float = BUSY_TIMEOUT_S, attempts: int = WRITE_ATTEMPTS
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.attempts = max(1, int(attempts))
        self._lock = threading.RLock()
        # isolation_level=None: no implicit transactions; every write below says BEGIN
        # IMMEDIATE ... COMMIT itself. timeout= is SQLite's busy timeout. The lock above
        # guards the connection, so it may be used from any thread.
        self._db = sqlite3.connect(
            self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        try:
            self._configure()
        except BaseException:
            self._db.close()
            raise

    def _configure(self) -> None:
        db = self._db
        mode = _switch_to_wal(db)
        if str(mode).lower() != "wal":
            raise WorkbookError(
                f"{self.path}: SQLite would not switch to WAL journal mode (got {mode!r}). "
                "Fix: keep the data directory on a local disk, not a network share."
            )
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        with self._write() as cur:
            version = cur.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise WorkbookError(
                    f"{self.path}: answer store schema version {version} is newer than this "
                    f"code knows ({SCHEMA_VERSION}). Fix: update the workbook package."
                )
            if version == 1:
                # Version 2 adds the participant's team (a workshop may hold several pods).
                cur.execute("ALTER TABLE participants ADD COLUMN team TEXT NOT NULL DEFAULT ''")
            # Version 3 adds session_settings (created by the schema below).
            if version < SCHEMA_VERSION:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        cur.execute(statement)
                # PRAGMA takes no parameters; SCHEMA_VERSION is a constant of this module.
                cur.execute(f"PRAGMA user_version={SCHEMA_VERSION:d}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction: take the write lock now, commit on success, else roll back."""
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                if self._db.in_transaction:
                    cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
            finally:
                cur.close()

    def _retried(self, what: str, write: Callable[[], T]) -> T:
        """Run ``write`` (one transaction); on an SQLite error retry, then raise AnswerNotSaved."""
        pause = 0.05
        for attempt in range(1, self.attempts + 1):
            try:
                return write()
            except sqlite3.Error as err:
                if attempt == self.attempts:
                    raise AnswerNotSaved(what, str(err)) from err
            time.sleep(pause)
            pause *= 4
        raise AssertionError("not reached")

    # --- writing ------------------------------------------------------------------------

    def join(self, session: str, name: str, role: str, team: str = "") -> str:
        """Add a participant to a session, or find them again.

        Parameters
        ----------
        session : str
            Workshop session name, stored as given.
        name : str
            Participant's name; surrounding spaces are dropped. Joining again with the same
            name returns the same id, so a restarted kernel picks up where it left off.
        role : str
            ``"sales"`` or ``"marketing"``.
        team : str, optional
            The participant's team (go-to-market pod) when the session holds several; the
            session summary is rendered per team.

        Returns
        -------
        str
            The participant id (32 hex digits), stable for ``(session, name)``.

        Raises
        ------
        ParameterError
            When session or name is empty, role is not one of :data:`ROLES`, or the name has
            already joined the session with the other role or another team.
        """
        _require_text(session, "Session", "give the workshop session a name.")
        name = _require_text(name, "Participant name", "type your name.").strip()
        if role not in ROLES:
            raise ParameterError(
                f"Role must be 'sales' or 'marketing', got {role!r} for {name!r}. "
                "Fix: pick one of the two."
            )
        return self._retried(
            f"join of {name!r}", lambda: self._join(session, name, role, str(team))
        )

    def _join(self, session: str, name: str, role: str, team: str) -> str:
        with self._write() as cur:
            row = cur.execute(
                "SELECT participant_id, role, team FROM participants "
                "WHERE session = ? AND name = ?",
                (session, name),
            ).fetchone()
            if row is not None:
                participant_id, joined_role, joined_team = row
                if (joined_role, joined_team) != (role, team):
                    was = joined_role + (f" in team {joined_team}" if joined_team else "")
                    now = role + (f" in team {team}" if team else "")
                    raise ParameterError(
                        f"{name!r} already joined session {session!r} as {was}, "
                        f"not {now}. Fix: join as {was}, or under another name."
                    )
                return participant_id
            participant_id = uuid.uuid4().hex
            cur.execute(
                "INSERT INTO participants (session, participant_id, name, role, team, joined_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (session, participant_id, name, role, team, _now()),
            )
        return participant_id

    def record(
        self, session: str, participant_id: str, exercise: str, item: str, answer: Any
    ) -> int:
        """Append one answer and commit it before returning.

        Parameters
        ----------
        session, participant_id : str
            Who answers: a participant id :meth:`join` returned for this session.
        exercise, item : str
            What is answered; stored as given.
        answer : JSON-serialisable
            The answer: text, number, bool, None, or lists and dicts of those. Stored as JSON
            text, so ``3`` comes back as ``3`` and ``["a", "b"]`` as a list.

        Returns
        -------
        int
            The answer's row id; later answers have larger ids.

        Raises
        ------
        ParameterError
            When a name is empty, the answer is not JSON-serialisable (NaN included), or the
            participant has not joined the session.
        AnswerNotSaved
            When the database refused the write after every attempt.
        """
        _require_text(session, "Session", "give the workshop session a name.")
        _require_text(participant_id, "Participant id", "use the id join() returned.")
        _require_text(exercise, "Exercise", "name the exercise.")
        _require_text(item, "Item", "name the question or item.")
        try:
            text = json.dumps(answer, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise ParameterError(
                f"Answer to {exercise!r} / {item!r} cannot be stored: {err}. "
                "Fix: give text, a number, a list or a dict of those (no NaN)."
            ) from err
        return self._retried(
            f"answer to {exercise} / {item}",
            lambda: self._insert_answer(session, participant_id, exercise, item, text),
        )

    def _insert_answer(
        self, session: str, participant_id: str, exercise: str, item: str, text: str
    ) -> int:
        with self._write() as cur:
            # The role is copied from the participant in the same statement, so an answer
            # exists only for a participant who joined the session.
            cur.execute(
                "INSERT INTO answers "
                "(session, participant_id, role, exercise, item, answer, answered_at) "
                "SELECT session, participant_id, role, ?, ?, ?, ? FROM participants "
                "WHERE session = ? AND participant_id = ?",
                (exercise, item, text, _now(), session, participant_id),
            )
            if cur.rowcount != 1:
                raise ParameterError(
                    f"Participant {participant_id!r} has not joined session {session!r}. "
                    "Fix: call join() for this session first and use the id it returns."
                )
            return int(cur.lastrowid)

    def set_setting(self, session: str, key: str, value: Any) -> None:
        """Store one setting of a session (JSON), e.g. the open exercise; committed at once."""
        text = json.dumps(value)

        def write() -> None:
            with self._write() as cur:
                cur.execute(
                    "INSERT INTO session_settings (session, key, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (session, key) DO UPDATE SET value = excluded.value",
                    (session, key, text),
                )

        self._retried(f"setting {key}", write)

    def settings(self, session: str) -> dict[str, Any]:
        """Every setting of a session (key → decoded value)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key, value FROM session_settings WHERE session = ?", (session,)
            ).fetchall()
        return {key: json.loads(value) for key, value in rows}

    def remove(self, session: str, participant_id: str | None = None) -> int:
        """Remove one participant (or, with None, everyone) of a session with their answers.

        Returns
        -------
        int
            Number of participants removed.
        """

        def write() -> int:
            # "participant_id = ? OR ? IS NULL": one statement for one participant or all.
            where = "session = ? AND (participant_id = ? OR ? IS NULL)"
            params = (session, participant_id, participant_id)
            with self._write() as cur:
                cur.execute("DELETE FROM answers WHERE " + where, params)
                cur.execute("DELETE FROM participants WHERE " + where, params)
                return int(cur.rowcount)

        return self._retried("removal", write)

    def version(self, session: str) -> tuple[int, int]:
        """A cheap fingerprint of a session's answers: (last answer id, participants).

        It changes whenever an answer is given or someone joins or leaves, so results
        computed from the answers can be kept until it does.
        """
        with self._lock:
            last = self._db.execute(
                "SELECT COALESCE(MAX(id), 0) FROM answers WHERE session = ?", (session,)
            ).fetchone()[0]
            people = self._db.execute(
                "SELECT COUNT(*) FROM participants WHERE session = ?", (session,)
            ).fetchone()[0]
        return int(last), int(people)

    # --- reading ------------------------------------------------------------------------

    def latest(self, session: str, exercise: str | None = None) -> pd.DataFrame:
        """The answer that counts: the last one per participant, exercise and item.

        Parameters
        ----------
        session : str
            Session to read.
        exercise : str, optional
            Only this exercise; all exercises when ``None``.

        Returns
        -------
        pandas.DataFrame
            One row per (participant, exercise, item) answered, columns ``session, exercise,
            item, participant_id, name, role, team, answer, answered_at``; ``answer`` holds the
            decoded value. Sorted by exercise, item and name.
        """
        sql = (
            "SELECT a.session, a.exercise, a.item, a.participant_id, p.name, a.role, p.team, "
            "a.answer, a.answered_at FROM latest_answers AS a JOIN participants AS p "
            "ON p.session = a.session AND p.participant_id = a.participant_id "
            "WHERE a.session = ?"
        )
        params: tuple[str, ...] = (session,)
        if exercise is not None:
            sql += " AND a.exercise = ?"
            params += (exercise,)
        sql += " ORDER BY a.exercise, a.item, p.name, a.id"
        return self._frame(sql, params, _LATEST_COLUMNS)

    def history(self, session: str, participant_id: str | None = None) -> pd.DataFrame:
        """Every answer given in a session, changed answers included, in the order given.

        Parameters
        ----------
        session : str
            Session to read.
        participant_id : str, optional
            Only this participant; everyone when ``None``.

        Returns
        -------
        pandas.DataFrame
            One row per answer event, columns ``id, session, exercise, item, participant_id,
            name, role, team, answer, answered_at``, sorted by ``id``.
        """
        sql = (
            "SELECT a.id, a.session, a.exercise, a.item, a.participant_id, p.name, a.role, "
            "p.team, a.answer, a.answered_at FROM answers AS a JOIN participants AS p "
            "ON p.session = a.session AND p.participant_id = a.participant_id "
            "WHERE a.session = ?"
        )
        params: tuple[str, ...] = (session,)
        if participant_id is not None:
            sql += " AND a.participant_id = ?"
            params += (participant_id,)
        sql += " ORDER BY a.id"
        return self._frame(sql, params, _HISTORY_COLUMNS)

    def participants(self, session: str) -> pd.DataFrame:
        """Who joined a session.

        Returns
        -------
        pandas.DataFrame
            Columns ``session, participant_id, name, role, team, joined_at``, in joining order.
        """
        return self._frame(
            "SELECT session, participant_id, name, role, team, joined_at FROM participants "
            "WHERE session = ? ORDER BY joined_at, name",
            (session,),
            _PARTICIPANT_COLUMNS,
        )

    def sessions(self) -> list[str]:
        """Names of the sessions anyone joined, sorted."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT session FROM participants ORDER BY session"
            ).fetchall()
        return [session for (session,) in rows]

    def _frame(self, sql: str, params: tuple[str, ...], columns: list[str]) -> pd.DataFrame:
        # pandas is imported when a table is asked for, like the rest of the package: a
        # kernel that only records answers does not pay for it.
        import pandas as pd

        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        frame = pd.DataFrame(rows, columns=columns)
        if "answer" in frame:
            # object dtype: answers come back as the Python values recorded (3 stays int,
            # not numpy.int64), whatever mix of kinds the column holds.
            decoded = [json.loads(text) for text in frame["answer"]]
            frame["answer"] = pd.Series(decoded, index=frame.index, dtype=object)
        return frame

    # --- closing ------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection; everything recorded is already committed."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> AnswerStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
