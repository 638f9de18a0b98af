"""The workshop session a kernel belongs to, and the participant who uses it.

``workbook workshop`` starts Voila with the data directory, session name and teams in
environment variables, so every exercise kernel it starts knows them; in JupyterLab the
notebook's parameters give them. A participant states name, role and team once: the join
panel passes them on to the next exercise in the link's query string, which Voila hands to
the kernel as ``QUERY_STRING``.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pandas as pd

from ..display.widgets import static_html
from ..errors import ParameterError
from .answer_store import ROLES, AnswerNotSaved, AnswerStore, store_path
from .shared_results import SharedResults

SESSION_ENV = "WORKBOOK_SESSION"
DATA_ENV = "WORKBOOK_DATA_DIR"
TEAMS_ENV = "WORKBOOK_TEAMS"
QUERY_ENV = "QUERY_STRING"  # set by Voila for each page's kernel
DEFAULT_SESSION = "practice"
ANONYMOUS_SINCE = "anonymous_since"  # session setting: joins from then on are nicknames
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "sample"
# Printable text without path separators or quotes: session names end up in file names of
# the session report (after slugging) and in HTML (escaped), never in code.
_SESSION_RE = re.compile(r"^[\w .:@()+,-]{1,80}$")


def session_name(value: str = "") -> str:
    """The workshop session: ``value``, else ``$WORKBOOK_SESSION``, else ``"practice"``.

    Raises
    ------
    ParameterError
        When the name is longer than 80 characters or holds characters other than letters,
        digits, spaces and ``. : @ ( ) + , - _``.
    """
    name = (value or os.environ.get(SESSION_ENV, "") or DEFAULT_SESSION).strip()
    if not _SESSION_RE.match(name):
        raise ParameterError(
            f"Workshop session name {name!r} is not allowed. Fix: use up to 80 letters, "
            "digits, spaces and . : @ ( ) + , - _ (e.g. '2026-11 Lisbon')."
        )
    return name


def session_slug(session: str) -> str:
    """The folder name of a session's report: lower-case ASCII letters, digits and ``-``.

    Names that differ only in case, spacing or punctuation share a slug ("Lisbon 1",
    "lisbon-1"): :func:`check_session_folder` refuses a second such session.

    >>> session_slug("2026-11 Lisbon (day 1)")
    '2026-11-lisbon-day-1'
    """
    ascii_text = unicodedata.normalize("NFKD", session).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60]
    return slug or "session"


def check_session_folder(session: str, known: Iterable[str], where: str = "") -> str:
    """Refuse a session whose report folder another session of ``known`` already has.

    Session names map to report folders one to one (``OUT/workshops/<slug>/``): two sessions
    whose names differ only in case, spacing or punctuation would overwrite each other's pages
    and ``session.json``.

    Parameters
    ----------
    session : str
        The session name (as :func:`session_name` returns it).
    known : iterable of str
        The sessions already there (e.g. :meth:`AnswerStore.sessions`).
    where : str
        Where they are, for the message (e.g. ``sample/workshop.sqlite``).

    Returns
    -------
    str
        The session's slug.

    Raises
    ------
    ParameterError
        Naming both sessions and the folder they would share.
    """
    slug = session_slug(session)
    others = sorted({name for name in known if name != session and session_slug(name) == slug})
    if others:
        there = f" in {where}" if where else ""
        raise ParameterError(
            f"Workshop session {session!r} and session {others[0]!r}{there} would share the "
            f"session-report folder workshops/{slug}/ (names that differ only in case, spaces "
            f"or punctuation map to one folder). Fix: use the name {others[0]!r} to continue "
            "that session, or a name that differs in its letters or digits (e.g. add '(day 2)')."
        )
    return slug


def data_directory(value: str | Path = "") -> Path:
    """The data directory: ``value``, else ``$WORKBOOK_DATA_DIR``, else the bundled sample."""
    chosen = Path(value or os.environ.get(DATA_ENV, "") or DEFAULT_DATA_DIR)
    if not chosen.is_dir():
        raise ParameterError(
            f"Data directory {chosen} does not exist. Fix: pass data_dir= or --data with a "
            "folder holding the workbook's CSV files."
        )
    return chosen


def session_teams(value: str | list[str] | tuple[str, ...] = ()) -> tuple[str, ...]:
    """Teams a session is run for: ``value`` (list or comma-separated), else ``$WORKBOOK_TEAMS``.

    Empty means "every team in the data".
    """
    if isinstance(value, str):
        value = value.split(",")
    teams = [t.strip() for t in value if t.strip()]
    if not teams:
        teams = [t.strip() for t in os.environ.get(TEAMS_ENV, "").split(",") if t.strip()]
    return tuple(dict.fromkeys(teams))


def participant_from_query(query: str | None = None) -> dict[str, str]:
    """Name, role and team from a query string such as ``name=Ana&role=sales&team=north``.

    Reads ``$QUERY_STRING`` when ``query`` is None. Unknown keys are ignored; a role other
    than sales or marketing is dropped (the panel then asks for it).
    """
    if query is None:
        query = os.environ.get(QUERY_ENV, "")
    values = {k: v[-1].strip() for k, v in parse_qs(query.lstrip("?")).items() if v}
    found = {k: values[k] for k in ("name", "role", "team") if values.get(k)}
    if found.get("role") not in ROLES:
        found.pop("role", None)
    return found


def participant_query(name: str, role: str, team: str = "") -> str:
    """The query string that carries a participant to the next exercise (URL-encoded)."""
    fields = {"name": name, "role": role}
    if team:
        fields["team"] = team
    return urlencode(fields)


def display_names(
    people: pd.DataFrame, anonymous_since: str | None = None, *, hide: bool = False
) -> dict[str, str]:
    """Participant id → the name pages, reports and exports may show.

    Parameters
    ----------
    people : DataFrame
        Participants of one session in joining order (``participant_id``, ``name``,
        ``joined_at``), as :meth:`AnswerStore.participants` returns them.
    anonymous_since : str, optional
        When the session went anonymous (UTC ISO time). Who joined from then on gave a
        nickname, which is shown; who joined before gave a real name, shown as
        "Participant N" (N counts in joining order).
    hide : bool
        Show everyone as "Participant N" (the projector, unless names are chosen).

    Examples
    --------
    >>> people = pd.DataFrame({"participant_id": ["a", "b"], "name": ["Ana Costa", "Fox"],
    ...                        "joined_at": ["2026-01-01T09:00", "2026-01-01T09:05"]})
    >>> display_names(people, "2026-01-01T09:01")
    {'a': 'Participant 1', 'b': 'Fox'}
    """
    shown = {}
    for number, person in enumerate(people.itertuples(index=False), start=1):
        nickname = anonymous_since is not None and str(person.joined_at) >= anonymous_since
        real = anonymous_since is None
        keep = not hide and (nickname or real)
        shown[person.participant_id] = person.name if keep else f"Participant {number}"
    return shown


@dataclass(frozen=True)
class Participant:
    """Who is answering in this kernel."""

    participant_id: str
    name: str
    role: str
    team: str


class Workshop:
    """One kernel's view of a workshop session: where answers go, and who gives them.

    Parameters
    ----------
    data_dir : str or Path, optional
        Data directory (see :func:`data_directory`); the answer store is its
        ``workshop.sqlite``.
    session : str, optional
        Session name (see :func:`session_name`).
    teams : list of str or str, optional
        Teams the session is for (see :func:`session_teams`); empty means all teams.
    store : AnswerStore, optional
        A store shared with other pages of the same process (the workshop server's); by
        default the workshop opens its own, and closes it in :meth:`close`.
    shared : SharedResults, optional
        Where results and exercise material are shared with the other pages; without it
        every call computes.
    on_error : callable, optional
        ``on_error(workshop, error)`` is called when an answer could not be stored (the
        facilitator's list of failures); the error is raised all the same.
    hide_names : bool
        Show every participant as "Participant N" in answers and summaries (the projector).
    """

    def __init__(
        self,
        data_dir: str | Path = "",
        session: str = "",
        teams: str | list[str] | tuple[str, ...] = (),
        *,
        store: AnswerStore | None = None,
        shared: SharedResults | None = None,
        on_error: Callable[[Workshop, AnswerNotSaved], Any] | None = None,
        hide_names: bool = False,
    ) -> None:
        self.data_dir = data_directory(data_dir)
        self.session = session_name(session)
        self._teams = session_teams(teams)
        self._owns_store = store is None
        self.store = store if store is not None else AnswerStore(store_path(self.data_dir))
        where = f"{self.data_dir.name}/{store_path(self.data_dir).name}"
        check_session_folder(self.session, self.store.sessions(), where)
        self.shared = shared
        self.on_error = on_error
        self.hide_names = hide_names
        self.participant: Participant | None = None
        self._on_join: list[Callable[[Participant], Any]] = []

    # --- the data ------------------------------------------------------------------------

    def workbook(self):
        """The validated data (loaded once per kernel, reloaded when a data file changes)."""
        from ..analysis.workbook import Workbook

        return Workbook.load(self.data_dir, reuse=True)

    def teams(self) -> tuple[str, ...]:
        """Teams a participant may join: the session's, else every team in the data."""
        known = tuple(self.workbook().dataset.teams)
        if not self._teams:
            return known
        unknown = [t for t in self._teams if t not in known]
        if unknown:
            raise ParameterError(
                f"Team(s) {', '.join(map(repr, unknown))} are not in {self.data_dir.name}/"
                f"teams.csv. Fix: use one of {', '.join(known)}."
            )
        return self._teams

    def anonymous(self) -> bool:
        """Whether participants join with a nickname (the session's setting)."""
        return self.store.settings(self.session).get(ANONYMOUS_SINCE) is not None

    def material(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """Exercise material that is the same for every page (prepared once when shared)."""
        if self.shared is None:
            return compute()
        return self.shared.material(key, compute)

    def results_html(self, exercise: str, team: str, parts: Callable[[], Any]) -> str:
        """The room's results of one exercise for one team, as HTML.

        Computed from ``parts()`` (pieces for :func:`static_html`) once per change of the
        session's answers when the workshop is shared, so every viewer gets the same
        computation; computed on every call otherwise.
        """
        if self.shared is None:
            return static_html(parts())
        key = ("results", exercise, team, self.hide_names)
        return self.shared.result(key, lambda: static_html(parts()))

    def team(self) -> str:
        """The participant's team, else the session's only (or first) team."""
        if self.participant is not None and self.participant.team:
            return self.participant.team
        return self.teams()[0]

    # --- the participant -----------------------------------------------------------------

    def join(self, name: str, role: str, team: str = "") -> Participant:
        """Join the session (or rejoin: same name, same id) and tell every listener.

        Raises
        ------
        ParameterError
            Empty name, unknown role or team, or a name that joined with another role/team.
        """
        teams = self.teams()
        team = team or (teams[0] if len(teams) == 1 else "")
        if team not in teams:
            raise ParameterError(
                f"Team {team!r} is not part of this session. Fix: pick one of {', '.join(teams)}."
            )
        try:
            participant_id = self.store.join(self.session, name, role, team)
        except AnswerNotSaved as err:
            self._failed(err)
            raise
        self.participant = Participant(participant_id, name.strip(), role, team)
        for callback in list(self._on_join):
            callback(self.participant)
        return self.participant

    def on_join(self, callback: Callable[[Participant], Any]) -> None:
        """Call ``callback(participant)`` when someone joins (at once if already joined)."""
        self._on_join.append(callback)
        if self.participant is not None:
            callback(self.participant)

    def record(self, exercise: str, item: str, answer: Any) -> int:
        """Store one answer of the joined participant at once (committed on return).

        Raises
        ------
        ParameterError
            When nobody has joined yet in this kernel.
        AnswerNotSaved
            When the store refused the write after its retries (``on_error`` is told first).
        """
        if self.participant is None:
            raise ParameterError(
                "Nobody has joined this workshop yet. Fix: enter your name and role above "
                "and press Join."
            )
        try:
            return self.store.record(
                self.session, self.participant.participant_id, exercise, item, answer
            )
        except AnswerNotSaved as err:
            self._failed(err)
            raise

    def _failed(self, err: AnswerNotSaved) -> None:
        if self.on_error is not None:
            self.on_error(self, err)

    # --- what the room said --------------------------------------------------------------

    def names(self) -> dict[str, str]:
        """Participant id → the name this view may show (see :func:`display_names`)."""
        since = self.store.settings(self.session).get(ANONYMOUS_SINCE)
        return display_names(self.store.participants(self.session), since, hide=self.hide_names)

    def _shown(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with its ``name`` column as this view may show it."""
        if frame.empty:
            return frame
        names = self.names()
        shown = frame.copy()
        shown["name"] = [
            names.get(pid, name)
            for pid, name in zip(frame["participant_id"], frame["name"], strict=True)
        ]
        return shown

    def answers(self, exercise: str, team: str | None = None) -> pd.DataFrame:
        """Latest answer per participant and item of one exercise, optionally for one team."""
        latest = self._shown(self.store.latest(self.session, exercise))
        if team is not None:
            latest = latest[latest["team"] == team].reset_index(drop=True)
        return latest

    def latest(self) -> pd.DataFrame:
        """Latest answer per participant and item of every exercise (names as shown)."""
        return self._shown(self.store.latest(self.session))

    def history(self) -> pd.DataFrame:
        """Every answer given in the session, in order, changes included (names as shown)."""
        return self._shown(self.store.history(self.session))

    def participants(self, team: str | None = None) -> pd.DataFrame:
        """Who joined the session, optionally only one team's participants."""
        people = self._shown(self.store.participants(self.session))
        if team is not None:
            people = people[people["team"] == team].reset_index(drop=True)
        return people

    def my_answers(self, exercise: str) -> dict[str, Any]:
        """Item → latest answer of the joined participant in one exercise (empty if none)."""
        if self.participant is None:
            return {}
        mine = self.store.latest(self.session, exercise)
        mine = mine[mine["participant_id"] == self.participant.participant_id]
        return dict(zip(mine["item"], mine["answer"], strict=True))

    def close(self) -> None:
        """Close the answer store unless it is shared (everything is already committed)."""
        if self._owns_store:
            self.store.close()
