"""What ``workbook workshop`` tells the server process, through its environment.

The CLI checks everything, then replaces itself with the Solara server, which imports
:mod:`.app` in a fresh interpreter: the settings travel as environment variables, written
and read here only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..session import DATA_ENV, SESSION_ENV, TEAMS_ENV

KEY_ENV = "WORKBOOK_FACILITATOR_KEY"
NOTEBOOKS_ENV = "WORKBOOK_NOTEBOOKS"
ANONYMOUS_ENV = "WORKBOOK_ANONYMOUS"
JOIN_URL_ENV = "WORKBOOK_JOIN_URL"
OPEN_ENV = "WORKBOOK_OPEN_EXERCISE"


@dataclass(frozen=True)
class ServedSession:
    """A checked workshop session, as the server process receives it."""

    data_dir: Path
    session: str
    teams: tuple[str, ...]
    notebooks: Path
    key: str  # the facilitator's and projector's pages need it in their link
    join_url: str
    anonymous: bool = False
    open_exercise: str = ""  # opened when the server starts ("" leaves the room as it was)

    def environment(self) -> dict[str, str]:
        """These settings as environment variables."""
        return {
            DATA_ENV: str(self.data_dir),
            SESSION_ENV: self.session,
            TEAMS_ENV: ",".join(self.teams),
            NOTEBOOKS_ENV: str(self.notebooks),
            KEY_ENV: self.key,
            JOIN_URL_ENV: self.join_url,
            ANONYMOUS_ENV: "1" if self.anonymous else "",
            OPEN_ENV: self.open_exercise,
        }

    @classmethod
    def from_environment(cls) -> ServedSession:
        """The settings the CLI left in this process's environment."""
        env = os.environ
        teams = tuple(t for t in env.get(TEAMS_ENV, "").split(",") if t)
        return cls(
            Path(env[DATA_ENV]),
            env[SESSION_ENV],
            teams,
            Path(env[NOTEBOOKS_ENV]),
            env[KEY_ENV],
            env[JOIN_URL_ENV],
            bool(env.get(ANONYMOUS_ENV)),
            env.get(OPEN_ENV, ""),
        )
