"""Render the summary of a workshop session: one HTML page per team, linked from the index.

``workbook session-report SESSION`` executes ``notebooks/training/session_summary.ipynb``
with papermill once per team that took part, converts each to a self-contained HTML page
(nbconvert, offline template, no code) and writes them to
``OUT/workshops/<session-slug>/<team>.html`` with a ``session.json`` that the reports index
reads to list the session. Every file is written atomically, so a failed render leaves the
previous page in place.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..data.atomic import write_text_atomically
from ..errors import ParameterError, RenderError
from ..training.answer_store import AnswerStore, store_path
from ..training.session import check_session_folder, session_slug
from .paths import SESSION_NOTEBOOK
from .runner import check_team

WORKSHOPS_DIR = "workshops"
SESSION_FILE = "session.json"
DEFAULT_NOTEBOOK = SESSION_NOTEBOOK  # beside the package: any working folder will do


@dataclass(frozen=True)
class SessionPage:
    """One rendered team page of a session."""

    team: str
    html_path: Path
    participants: int


def session_teams(data_dir: Path, session: str) -> dict[str, int]:
    """Teams of the participants who joined ``session``, with how many joined from each.

    Raises
    ------
    ParameterError
        When nobody joined the session (the message lists the sessions in the store).
    """
    path = store_path(data_dir)
    known: list[str] = []
    people = None
    if path.is_file():
        with AnswerStore(path) as store:
            known = store.sessions()
            people = store.participants(session)
    check_session_folder(session, known, f"{Path(data_dir).name}/{path.name}")
    if people is None or people.empty:
        listed = ", ".join(repr(s) for s in known) or "none yet"
        raise ParameterError(
            f"Nobody joined workshop session {session!r} in {Path(data_dir).name}/"
            f"{path.name}. Sessions there: {listed}. Fix: pass the session name as "
            "'workbook workshop' printed it, and the same --data."
        )
    # Participants who joined without a team (the store allows it) belong to no team page.
    counts = people.loc[people["team"] != "", "team"].value_counts()
    return {str(team): int(n) for team, n in sorted(counts.items())}


def render_session_report(
    session: str,
    data_dir: Path,
    out_dir: Path,
    *,
    teams: list[str] | None = None,
    notebook: Path = DEFAULT_NOTEBOOK,
) -> list[SessionPage]:
    """Render one summary page per team of a workshop session and refresh the index.

    Parameters
    ----------
    session : str
        The session name.
    data_dir : Path
        Data directory holding the data and ``workshop.sqlite``.
    out_dir : Path
        The reports folder; pages go to ``OUT/workshops/<slug>/<team>.html``.
    teams : list of str, optional
        Only these teams; default every team with a participant in the session.
    notebook : Path
        The session summary notebook.

    Returns
    -------
    list of SessionPage
        The pages written, in team order.

    Raises
    ------
    ParameterError
        Unknown session, or a team that has no participant in it.
    RenderError
        When a page fails to render (pages rendered before it are kept).
    """
    from ..training.session import session_name
    from .index_page import write_index
    from .manifest import Manifest
    from .render import execute_notebook, notebook_to_html

    session = session_name(session)
    data_dir, out_dir, notebook = Path(data_dir), Path(out_dir), Path(notebook)
    present = session_teams(data_dir, session)
    chosen = list(dict.fromkeys(teams or present))
    missing = [t for t in chosen if t not in present]
    if missing:
        raise ParameterError(
            f"Team(s) {', '.join(map(repr, missing))} have no participant in session "
            f"{session!r}. Fix: use one of {', '.join(present)}."
        )
    folder = out_dir / WORKSHOPS_DIR / session_slug(session)
    _check_folder_is_the_sessions(folder, session)
    pages = []
    for team in chosen:
        check_team(team)
        params = {"session": session, "team": team, "data_dir": str(data_dir.resolve())}
        with tempfile.TemporaryDirectory() as tmp:
            executed = execute_notebook(
                notebook.resolve(), params, Path(tmp) / "summary.ipynb", cwd=notebook.parent
            )
        html_path = folder / f"{team}.html"
        notebook_to_html(executed, html_path, title=f"Workshop {session}: {team}")
        pages.append(SessionPage(team, html_path, present[team]))
    _write_session_file(folder, session, pages)
    write_index(out_dir, [], Manifest.read(out_dir).reports)
    return pages


def _check_folder_is_the_sessions(folder: Path, session: str) -> None:
    """Refuse to render into a folder whose ``session.json`` names another session.

    Another data folder's store may hold a session of the same slug (``--data`` differs,
    ``--out`` is the same): its pages must not be overwritten.
    """
    path = folder / SESSION_FILE
    try:
        before = json.loads(path.read_text(encoding="utf-8")).get("session")
    except (OSError, ValueError, AttributeError):
        return
    if isinstance(before, str) and before != session:
        check_session_folder(session, [before], str(path))


def _write_session_file(folder: Path, session: str, pages: list[SessionPage]) -> None:
    """Record the session's name, teams and time of rendering beside its pages."""
    path = folder / SESSION_FILE
    try:
        before = json.loads(path.read_text(encoding="utf-8"))
        teams = {t["team"]: t for t in before.get("teams", []) if isinstance(t, dict)}
    except (OSError, ValueError, AttributeError):
        teams = {}
    rendered_at = datetime.now(UTC).isoformat(timespec="seconds")
    for page in pages:
        teams[page.team] = {
            "team": page.team,
            "page": page.html_path.name,
            "participants": page.participants,
            "rendered_at": rendered_at,
        }
    record = {"session": session, "teams": [teams[t] for t in sorted(teams)]}
    try:
        write_text_atomically(path, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    except OSError as err:
        raise RenderError(f"{path}: cannot write the session record: {err}") from err
