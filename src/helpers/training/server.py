"""``workbook workshop``: serve the five exercises to a room from one process.

The Solara server runs every participant's browser tab as a small virtual kernel inside one
Python process (:mod:`helpers.training.serving.app`), so the data, the exercise material and
the room's results are held once, whatever the number of participants or page visits.
Measured on a 2-core laptop (``benchmarks/bench_workshop.py``): Voila, which starts a
300-plus MB kernel per page visit, could not hold 30 people; this server can (see the
benchmarks README for the figures).
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..errors import ParameterError
from . import session as training_session
from .answer_store import store_path
from .exercise import EXERCISES
from .serving.address import join_url
from .serving.settings import ServedSession

TRAINING_NOTEBOOKS = Path("notebooks/training")
APP_MODULE = "helpers.training.serving.app"
# A closed tab's virtual kernel is freed after this long (Solara keeps it a day by default,
# for reconnects); a participant who comes back after it gets a new page and rejoins.
CULL_TIMEOUT = "120s"


@dataclass(frozen=True)
class WorkshopServer:
    """A checked plan for serving one workshop session (see :meth:`prepare`)."""

    served: ServedSession
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
        anonymous: bool = False,
        open_exercise: str = "",
    ) -> WorkshopServer:
        """Check everything a participant's page will need before anything starts.

        The data must load and validate, the teams must be in it, the session name must be
        allowed, the exercise notebooks (the source of the guides) present and the port
        free: a room of 30 people should not find out from a traceback.

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
        if open_exercise and open_exercise not in EXERCISES:
            raise ParameterError(
                f"--open {open_exercise!r} is not an exercise. Fix: use one of "
                f"{', '.join(EXERCISES)}."
            )
        # Workshop checks the data directory and, through teams(), loads and validates it.
        workshop = training_session.Workshop(data_dir, session, teams)
        try:
            chosen = workshop.teams()
        finally:
            workshop.close()
        _check_port_free(ip, port)
        served = ServedSession(
            Path(data_dir).resolve(),
            session,
            chosen,
            notebooks.resolve(),
            secrets.token_urlsafe(12),
            join_url(ip, port),
            anonymous,
            open_exercise,
        )
        return cls(served, port, ip)

    @property
    def session(self) -> str:
        """The session's name."""
        return self.served.session

    @property
    def store(self) -> Path:
        """The answer store the pages write to."""
        return store_path(self.served.data_dir)

    @property
    def participant_url(self) -> str:
        """What participants open (the LAN address when serving on every interface)."""
        return self.served.join_url

    def url(self, page: str) -> str:
        """The facilitator's or projector's page, with the key that opens it."""
        return self.served.join_url.rstrip("/") + f"/{page}?key={self.served.key}"

    def command(self) -> list[str]:
        """The Solara server's command line: this app, this address and port, no browser."""
        return [
            sys.executable,
            "-m",
            "solara",
            "run",
            APP_MODULE,
            f"--host={self.ip}",
            f"--port={self.port}",
            "--production",
            "--no-open",
            "--no-check-version",  # no request to PyPI at run time
        ]

    def environment(self) -> dict[str, str]:
        """The environment of this process plus the session's settings and Solara's."""
        env = dict(os.environ)
        env.update(self.served.environment())
        env.update(
            {
                # Nothing leaves the machine: no telemetry, assets from solara-assets.
                "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
                "SOLARA_THEME_SHOW_BANNER": "False",
                "SOLARA_THEME_TITLE": "Workshop",
                "SOLARA_KERNEL_CULL_TIMEOUT": CULL_TIMEOUT,
            }
        )
        return env

    def serve(self) -> int:
        """Become the Solara server (this process is replaced; signals reach it directly)."""
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
