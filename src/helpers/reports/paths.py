"""The notebooks the commands render and the folders they write, checked before any work starts.

The report, session-summary and exercise notebooks are found beside the ``helpers`` package (the
project's ``notebooks/`` folder, where the editable install of the project keeps them), never
relative to the working directory, so ``workbook reports`` runs from any folder.

An output folder (``--out``, ``workbook import``'s ``OUT``) is checked before anything is read
or rendered: it must be a folder or not exist yet, nothing on its way may be a file, and the
folder (or the nearest one above it that exists, where it will be created) must take a new
file. That is tried by creating and removing an empty temporary file, so a read-only folder,
a read-only file system or ``/proc`` is found even when running as root. The check writes
nothing that stays.

The click parameter types :data:`OUTPUT_FOLDER` and :data:`NOTEBOOK` turn a failed check into
``Error: Invalid value for '--out': <value> ... Fix: ...`` and exit code 2, without a traceback.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from ..errors import ParameterError

PROJECT = Path(__file__).resolve().parents[3]
"""The project folder: ``src/helpers/reports/paths.py`` is three folders below it."""
REPORT_NOTEBOOK = PROJECT / "notebooks" / "reports" / "team_quarterly_report.ipynb"
"""The quarterly report notebook ``workbook reports`` renders by default."""
SESSION_NOTEBOOK = PROJECT / "notebooks" / "training" / "session_summary.ipynb"
"""The session summary notebook ``workbook session-report`` renders."""
TRAINING_NOTEBOOKS = PROJECT / "notebooks" / "training"
"""The exercise notebooks ``workbook workshop`` reads its guides from."""

_FIX_OUT = "Fix: pass a folder you may write in, or a new one in such a folder"


def output_folder_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be an output folder, with the fix; None when it can be one.

    Examples
    --------
    >>> print(output_folder_problem("/dev/null"))
    exists and is not a folder. Fix: pass a folder you may write in, or a new one in such a folder
    >>> output_folder_problem(tempfile.gettempdir()) is None
    True
    """
    if not str(path).strip():
        return f"is an empty path. {_FIX_OUT}"
    path = Path(path)
    try:
        if path.exists():
            if not path.is_dir():
                return f"exists and is not a folder. {_FIX_OUT}"
            problem = _cannot_write_in(path)
            return None if problem is None else f"takes no new file ({problem}). {_FIX_OUT}"
        existing = next(p for p in path.absolute().parents if p.exists())
        if not existing.is_dir():
            return f"cannot be created: {existing} is a file, not a folder. {_FIX_OUT}"
        problem = _cannot_write_in(existing)
    except (OSError, ValueError) as err:  # a NUL byte, a name too long, no permission to look
        return f"cannot be used ({err}). {_FIX_OUT}"
    if problem is not None:
        return f"cannot be created: {existing} takes no new file ({problem}). {_FIX_OUT}"
    return None


def _cannot_write_in(folder: Path) -> str | None:
    """Why no file can be created in ``folder`` (the OS's words), None when one can."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return "permission denied"
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=".workbook-write-check-")
    except OSError as err:
        return err.strerror or str(err)
    os.close(handle)
    os.unlink(name)
    return None


def check_output_folder(path: str | Path, option: str = "--out") -> Path:
    """``path`` as a Path when it can be an output folder, else :class:`ParameterError`.

    Raises
    ------
    ParameterError
        Naming ``option``, the value and the fix (exit code 2).
    """
    problem = output_folder_problem(path)
    if problem is not None:
        raise ParameterError(f"{option} {path}: {problem}")
    return Path(path)


def notebook_problem(path: str | Path) -> str | None:
    """Why ``path`` is not a notebook to render, with the fix; None when it is one."""
    if not str(path).strip():
        return "is an empty path. Fix: pass the path of a report notebook (.ipynb)"
    path = Path(path)
    default = "" if path == REPORT_NOTEBOOK else f", e.g. {REPORT_NOTEBOOK}"
    fix = f"Fix: pass the path of a report notebook (.ipynb){default}"
    try:
        if not path.exists():
            if path == REPORT_NOTEBOOK:
                return (
                    "the project's report notebook is not there (is helpers installed without "
                    "the project's notebooks/ folder?). Fix: pass --notebook with the path of "
                    "team_quarterly_report.ipynb"
                )
            return f"does not exist. {fix}"
        if not path.is_file():
            return f"is not a file. {fix}"
        if path.suffix != ".ipynb":
            return f"is not a notebook (.ipynb). {fix}"
        if not os.access(path, os.R_OK):
            return f"is not readable. {fix}"
    except (OSError, ValueError) as err:
        return f"cannot be used ({err}). {fix}"
    return None


def data_folder_problem(path: str | Path) -> str | None:
    """Why ``path`` is not a data folder to read, with the fix; None when it is a folder."""
    fix = "Fix: pass the data directory, e.g. data/sample"
    if not str(path).strip():
        return f"is an empty path. {fix}"
    try:
        if not Path(path).exists():
            return f"does not exist. {fix}"
        if not Path(path).is_dir():
            return f"is not a folder. {fix}"
    except (OSError, ValueError) as err:
        return f"cannot be used ({err}). {fix}"
    return None


class _CheckedPath(click.ParamType):
    """A path option checked as soon as it is parsed; failures are click usage errors."""

    def __init__(self, problem) -> None:
        self._problem = problem

    def convert(self, value, param, ctx):
        problem = self._problem(value)
        if problem is not None:
            self.fail(f"{str(value) or repr('')}: {problem}", param, ctx)
        return Path(value)


class _OutputFolder(_CheckedPath):
    name = "DIR"

    def __init__(self) -> None:
        super().__init__(output_folder_problem)


class _Notebook(_CheckedPath):
    name = "NOTEBOOK"

    def __init__(self) -> None:
        super().__init__(notebook_problem)


class _DataFolder(_CheckedPath):
    name = "DIR"

    def __init__(self) -> None:
        super().__init__(data_folder_problem)


OUTPUT_FOLDER = _OutputFolder()
"""Click type of ``--out`` options: a folder that exists or can be created, writable."""
NOTEBOOK = _Notebook()
"""Click type of ``--notebook``: an existing, readable ``.ipynb`` file."""
DATA_FOLDER = _DataFolder()
"""Click type of a data folder argument that must be a folder (not a URL): it exists."""
