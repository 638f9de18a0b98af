"""One report to render, what became of it, and the protocol of the pools that render them.

A pool (:class:`~helpers.reports.kernel_pool.KernelPool` on local Jupyter kernels,
:class:`~helpers.reports.dask_pool.DaskPool` on a Dask cluster) takes :class:`ReportJob` s and
yields a :class:`ReportOutcome` for each; the batch runner (:mod:`helpers.reports.runner`)
decides what to render and records the outcomes, whichever pool rendered them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..data.schema import ALL_TEAMS, QUARTER_PATTERN, TEAM_ID_RULE, team_id_problem
from ..data.source import DataSource
from ..errors import ParameterError, WorkbookError

if TYPE_CHECKING:
    from .manifest import DataCatalogue


@runtime_checkable
class ReportPool(Protocol):
    """What renders report jobs: local kernels or a Dask cluster."""

    def serves(self, cwd: Path, source: DataSource) -> bool:
        """Whether this pool can render jobs of this notebook folder and data source."""

    def catalogue(self, digest: str) -> DataCatalogue | None:
        """Teams and quarters of the data if the pool has them loaded; else ``None``."""

    def run(
        self, report_jobs: list[ReportJob], *, show_progress: bool
    ) -> Iterator[tuple[ReportOutcome, ReportJob]]:
        """Render the jobs; yield ``(outcome, job)`` in order of completion."""

    def close(self) -> None:
        """Release the kernels or the connection."""


FAILED_DIR = "_failed"


RESERVED_PARAMETERS = ("team", "quarter", "data_dir")


@dataclass(frozen=True)
class ReportJob:
    """One report to render.

    Parameters
    ----------
    team, quarter : str
        Checked names (see `check_team`, `check_quarter`).
    html_path : Path
        Destination of the report.
    notebook : Path
        Parameterized notebook to execute.
    parameters : dict
        Notebook parameters, ``team``, ``quarter`` and ``data_dir`` included.
    failed_notebook : Path
        Where the executed notebook is kept if the report fails.
    export : str or None
        ``"csv"`` or ``"xlsx"`` to write the report's tables beside it.
    inputs : dict
        Fingerprints of everything the report is rendered from (for the manifest).
    source : DataSource, optional
        The data source (``parameters["data_dir"]`` is its text).
    """

    team: str
    quarter: str
    html_path: Path
    notebook: Path
    parameters: dict = field(default_factory=dict)
    failed_notebook: Path | None = None
    export: str | None = None
    inputs: dict = field(default_factory=dict)
    source: DataSource | None = None

    @property
    def key(self) -> str:
        """Manifest key: ``"<quarter>/<team>"``."""
        return f"{self.quarter}/{self.team}"

    def moved_to(self, out_dir: Path) -> ReportJob:
        """The same report with its files in another report folder (a worker's staging one)."""
        html_path, failed_notebook = report_paths(Path(out_dir), self.quarter, self.team)
        return replace(self, html_path=html_path, failed_notebook=failed_notebook)


@dataclass(frozen=True)
class ReportOutcome:
    """What happened to one report.

    Parameters
    ----------
    team, quarter : str
        The report.
    ok : bool
        Whether the report is in place and current (rendered now or skipped as up to date).
    html_path : Path or None
        The report; ``None`` on failure (a previous report, if any, is untouched).
    error : str or None
        One-line reason of a failure, e.g. ``"cell 4: ValueError: boom for bad"``.
    cell : int or None
        Failing cell, 1-based among all cells of the notebook (markdown included).
    failed_notebook : Path or None
        Kept executed notebook of a failure, when execution got far enough to write one.
    seconds : float
        Wall time spent on this report (0 when skipped).
    skipped : bool
        Up to date: its inputs did not change since its last good render.
    summary : dict or None
        What the report published for the index (alignment index, RAG counts).
    export : Path or None
        The folder of CSV files or the Excel file written beside the report.
    """

    team: str
    quarter: str
    ok: bool
    html_path: Path | None = None
    error: str | None = None
    cell: int | None = None
    failed_notebook: Path | None = None
    seconds: float = 0.0
    skipped: bool = False
    summary: dict | None = None
    export: Path | None = None

    @classmethod
    def of(cls, job: ReportJob, **fields) -> ReportOutcome:
        """The outcome of ``job``; ``fields`` as above (``ok`` and what applies)."""
        return cls(team=job.team, quarter=job.quarter, **fields)


def check_team(team: object) -> str:
    """Return ``team`` if it is safe as a file name, else raise.

    The one rule for team ids, :func:`helpers.data.schema.team_id_problem` (the rule
    ``workbook validate`` applies to teams.csv), with ``all`` accepted as the company.

    Parameters
    ----------
    team : object
        Candidate team id.

    Returns
    -------
    str
        The team id, unchanged.

    Raises
    ------
    ParameterError
        When ``team`` is not such a name.

    Examples
    --------
    >>> check_team("emea-ent")
    'emea-ent'
    """
    problem = team_id_problem(team, company=True)
    if problem == "reserved":
        raise ParameterError(
            f"team {team!r} cannot be used as a report name; {ALL_TEAMS!r} (in lower case) is "
            "the company roll-up, never a team."
        )
    if problem is not None:
        raise ParameterError(
            f"team {team!r} cannot be used as a report name; {TEAM_ID_RULE} "
            "(e.g. emea-ent, or all for the company roll-up)."
        )
    return team


def check_quarter(quarter: object) -> str:
    """Return ``quarter`` if it is written ``YYYYQn`` (n in 1-4), else raise.

    Parameters
    ----------
    quarter : object
        Candidate quarter.

    Returns
    -------
    str
        The quarter, unchanged.

    Raises
    ------
    ParameterError
        When ``quarter`` is not of that form.

    Examples
    --------
    >>> check_quarter("2026Q3")
    '2026Q3'
    """
    if not isinstance(quarter, str) or not QUARTER_PATTERN.fullmatch(quarter):
        raise ParameterError(
            f"quarter {quarter!r} is not well formed; write it as year and quarter, e.g. 2026Q3."
        )
    return quarter


def check_data_source(value: DataSource | Path | str) -> DataSource:
    """The data source with its folder resolved; a database URL must carry no password.

    Raises
    ------
    ParameterError
        When the folder does not exist, or the URL holds a password: each report's
        parameters (and so its notebook) and the manifest would carry it.
    """
    source = DataSource.of(value)
    if source.folder is None:
        if source.url.password is not None:  # type: ignore[union-attr]
            raise ParameterError(
                f"{source.label}: a password in the URL would be written into every report's "
                "parameters. Fix: leave it out of the URL and set PGPASSWORD (or use "
                "~/.pgpass), or put the URL in [database] url of the data folder's "
                "workbook.toml and pass the folder."
            )
        return source
    folder = source.folder.resolve()
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ParameterError(
            f"data folder {source.text}: {what}. Fix: pass the data directory with --data, "
            "e.g. data/sample, or a postgresql:// URL."
        )
    return replace(source, folder=folder, text=str(folder))


def report_paths(out_dir: Path, quarter: str, team: str) -> tuple[Path, Path]:
    """Where a report and its kept failed notebook go in ``out_dir``."""
    return out_dir / quarter / f"{team}.html", out_dir / quarter / FAILED_DIR / f"{team}.ipynb"


def one_line(err: BaseException) -> str:
    """An error as one line: the message of our errors, ``Type: message`` of others."""
    text = " ".join(str(err).split())
    if isinstance(err, WorkbookError):
        return text or type(err).__name__
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
