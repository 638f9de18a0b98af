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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pandas as pd

from ..errors import ParameterError
from .answer_store import ROLES, AnswerStore, store_path

SESSION_ENV = "WORKBOOK_SESSION"
DATA_ENV = "WORKBOOK_DATA_DIR"
TEAMS_ENV = "WORKBOOK_TEAMS"
QUERY_ENV = "QUERY_STRING"  # set by Voila for each page's kernel
DEFAULT_SESSION = "practice"
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
    """

    def __init__(
        self,
        data_dir: str | Path = "",
        session: str = "",
        teams: str | list[str] | tuple[str, ...] = (),
    ) -> None:
        self.data_dir = data_directory(data_dir)
        self.session = session_name(session)
        self._teams = session_teams(teams)
        self.store = AnswerStore(store_path(self.data_dir))
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
        participant_id = self.store.join(self.session, name, role, team)
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
        """
        if self.participant is None:
            raise ParameterError(
                "Nobody has joined this workshop yet. Fix: enter your name and role above "
                "and press Join."
            )
        return self.store.record(
            self.session, self.participant.participant_id, exercise, item, answer
        )

    # --- what the room said --------------------------------------------------------------

    def answers(self, exercise: str, team: str | None = None) -> pd.DataFrame:
        """Latest answer per participant and item of one exercise, optionally for one team."""
        latest = self.store.latest(self.session, exercise)
        if team is not None:
            latest = latest[latest["team"] == team].reset_index(drop=True)
        return latest

    def participants(self, team: str | None = None) -> pd.DataFrame:
        """Who joined the session, optionally only one team's participants."""
        people = self.store.participants(self.session)
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
        """Close the answer store (everything is already committed)."""
        self.store.close()
