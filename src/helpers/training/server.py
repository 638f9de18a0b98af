"""``workbook workshop``: serve the training exercises as Voila apps for one session.

Voila runs each page in its own kernel, with the code hidden. The session, data directory
and teams reach those kernels as environment variables (see
:mod:`helpers.training.session`), so every exercise a participant opens writes to the same
session in ``DATA/workshop.sqlite``.
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..errors import ParameterError
from . import session as training_session
from .answer_store import store_path
from .exercise import EXERCISES

TRAINING_NOTEBOOKS = Path("notebooks/training")


@dataclass(frozen=True)
class WorkshopServer:
    """A checked plan for serving one workshop session (see :meth:`prepare`)."""

    notebooks: Path
    data_dir: Path
    session: str
    teams: tuple[str, ...]
    port: int
    ip: str

    @classmethod
    def prepare(
        cls,
        data_dir: Path,
        session: str | None,
        teams: tuple[str, ...] = (),
        *,
        port: int = 8866,
        ip: str = "127.0.0.1",
        notebooks: Path = TRAINING_NOTEBOOKS,
    ) -> WorkshopServer:
        """Check everything a participant's page will need before anything starts.

        The data must load and validate, the teams must be in it, the session name must be
        allowed and the port free: a room of 30 people should not find out from a traceback.

        Raises
        ------
        ParameterError
            With what to fix, for any of the above.
        """
        session = training_session.session_name(session or f"workshop {date.today():%Y-%m-%d}")
        notebooks = Path(notebooks)
        pages = [exercise.page for exercise in EXERCISES.values()]
        missing = [p for p in pages if not (notebooks / p).is_file()]
        if missing:
            raise ParameterError(
                f"{notebooks} lacks {', '.join(missing)}. Fix: run from the project folder."
            )
        # Workshop checks the data directory and, through teams(), loads and validates it.
        workshop = training_session.Workshop(data_dir, session, teams)
        try:
            chosen = workshop.teams()
        finally:
            workshop.close()
        _check_port_free(ip, port)
        return cls(notebooks.resolve(), Path(data_dir).resolve(), session, chosen, port, ip)

    @property
    def store(self) -> Path:
        """The answer store the pages write to."""
        return store_path(self.data_dir)

    @property
    def first_exercise(self) -> str:
        """The notebook participants open first."""
        return next(iter(EXERCISES.values())).page

    def url(self, notebook: str) -> str:
        """Address of one notebook's app."""
        host = "127.0.0.1" if self.ip in ("", "0.0.0.0") else self.ip
        return f"http://{host}:{self.port}/voila/render/{notebook}"

    def command(self) -> list[str]:
        """The Voila command line: this directory, this port, no browser, no code shown."""
        return [
            sys.executable,
            "-m",
            "voila",
            str(self.notebooks),
            f"--port={self.port}",
            f"--Voila.ip={self.ip}",
            "--no-browser",
            "--strip_sources=True",
            "--VoilaConfiguration.show_tracebacks=False",
        ]

    def environment(self) -> dict[str, str]:
        """The environment of this process plus the session, data directory and teams."""
        env = dict(os.environ)
        env[training_session.SESSION_ENV] = self.session
        env[training_session.DATA_ENV] = str(self.data_dir)
        env[training_session.TEAMS_ENV] = ",".join(self.teams)
        return env

    def serve(self) -> int:
        """Become the Voila server (this process is replaced; signals reach Voila directly)."""
        sys.stdout.flush()
        sys.stderr.flush()
        command = self.command()
        os.execve(command[0], command, self.environment())
        return 0  # not reached: execve does not return


def _check_port_free(ip: str, port: int) -> None:
    """Refuse a port another program listens on, with the fix."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((ip, port))
        except OSError as err:
            raise ParameterError(
                f"Cannot listen on {ip}:{port}: {err.strerror}. Fix: pass another --port, or "
                "stop the program using it."
            ) from err
