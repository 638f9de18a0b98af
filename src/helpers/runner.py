"""Render the report grid: one notebook, many teams, in parallel, failures isolated.

For each team the notebook is executed by papermill in a worker process and converted to
``out_dir/<quarter>/<team>.html``; then ``out_dir/index.html`` lists the folder. A report that
fails leaves the previous good HTML in place and keeps its executed notebook in
``out_dir/<quarter>/_failed/<team>.ipynb`` (and its kernel's stderr in ``<team>.log``).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .errors import ParameterError, RenderError, WorkbookError
from .index_page import team_label, write_index
from .render import check_parameters, execute_notebook, notebook_to_html

KERNEL_ENV = {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}
"""Environment the kernels inherit from the worker processes.

A headless matplotlib backend, set explicitly so a user's ``MPLBACKEND`` or ``matplotlibrc``
cannot make a kernel open a GUI window. The inline backend renders with Agg and also shows
figures as PNG outputs; plain ``Agg`` would not, and the reports would lose their charts.
"""

FAILED_DIR = "_failed"
MAX_NAME_LENGTH = 100

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_QUARTER = re.compile(r"[0-9]{4}Q[1-4]")
_RESERVED_PARAMETERS = ("team", "quarter", "data_dir")


@dataclass(frozen=True)
class ReportJob:
    """One report to render; picklable, sent to a worker process.

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
    cwd : Path
        Working directory of the kernel (the notebook's folder).
    kernel_name : str
        Jupyter kernel to run.
    """

    team: str
    quarter: str
    html_path: Path
    notebook: Path
    parameters: dict = field(default_factory=dict)
    failed_notebook: Path | None = None
    cwd: Path | None = None
    kernel_name: str = "python3"


@dataclass(frozen=True)
class ReportOutcome:
    """What happened to one report.

    Parameters
    ----------
    team, quarter : str
        The report.
    ok : bool
        Whether the HTML was written.
    html_path : Path or None
        The new report; ``None`` on failure (a previous report, if any, is untouched).
    error : str or None
        One-line reason of a failure, e.g. ``"cell 4: ValueError: boom for bad"``.
    cell : int or None
        Failing cell, 1-based among all cells of the notebook (markdown included).
    failed_notebook : Path or None
        Kept executed notebook of a failure, when execution got far enough to write one.
    seconds : float
        Wall time spent on this report.
    """

    team: str
    quarter: str
    ok: bool
    html_path: Path | None
    error: str | None
    cell: int | None
    failed_notebook: Path | None
    seconds: float


def check_team(team: object) -> str:
    """Return ``team`` if it is safe as a file name, else raise.

    Allowed: ASCII letters, digits, ``_``, ``.`` and ``-``, starting with a letter or digit,
    without ``..``, at most 100 characters.

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
    if (
        not isinstance(team, str)
        or len(team) > MAX_NAME_LENGTH
        or not _SAFE_NAME.fullmatch(team)
        or ".." in team
    ):
        raise ParameterError(
            f"team {team!r} cannot be used as a report name; a team id has only letters, "
            "digits, '_', '.' and '-', starts with a letter or digit and has no '..' "
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
    if not isinstance(quarter, str) or not _QUARTER.fullmatch(quarter):
        raise ParameterError(
            f"quarter {quarter!r} is not well formed; write it as year and quarter, e.g. 2026Q3."
        )
    return quarter


def render_reports(
    notebook: Path,
    data_dir: Path,
    out_dir: Path,
    quarter: str,
    teams: list[str],
    *,
    jobs: int | None = None,
    show_progress: bool = True,
    extra_parameters: dict | None = None,
) -> list[ReportOutcome]:
    """Render ``notebook`` for every team of one quarter, in parallel, then the index.

    Each team's notebook runs with ``{"team": team, "quarter": quarter, "data_dir": <data_dir
    resolved>}`` plus ``extra_parameters``, in a kernel whose working directory is the
    notebook's folder, and becomes ``out_dir/<quarter>/<team>.html``. One failing report does
    not stop the others: its previous HTML stays untouched, its executed notebook is kept as
    ``out_dir/<quarter>/_failed/<team>.ipynb`` and the stderr of its kernel, if any, as
    ``_failed/<team>.log`` (both removed again once the team succeeds).
    Finally ``out_dir/index.html`` is rewritten.

    Parameters
    ----------
    notebook : Path
        Parameterized report notebook.
    data_dir : Path
        Data folder, passed to the notebook as an absolute path.
    out_dir : Path
        Report folder (created if missing).
    quarter : str
        Quarter such as ``"2026Q3"``.
    teams : list of str
        Team ids (``"all"`` for the company roll-up); duplicates are rendered once.
    jobs : int, optional
        Worker processes; default ``os.cpu_count()``, never more than there are reports.
    show_progress : bool
        Show a progress bar on stderr counting finished reports.
    extra_parameters : dict, optional
        More notebook parameters (plain data; not ``team``, ``quarter`` or ``data_dir``).

    Returns
    -------
    list of ReportOutcome
        One per team, sorted by quarter and team. Failures are outcomes, not exceptions.

    Raises
    ------
    ParameterError
        Before anything is written: a team or quarter that is not a safe file name, teams
        that differ only in case, no team, ``jobs`` < 1, an unusable extra parameter or a
        missing notebook.
    RenderError
        When the index cannot be written.

    Examples
    --------
    >>> outcomes = render_reports(  # doctest: +SKIP
    ...     Path("notebooks/reports/team_quarterly_report.ipynb"), Path("data/sample"),
    ...     Path("reports"), "2026Q3", ["emea-ent", "all"], jobs=2)
    """
    quarter = check_quarter(quarter)
    teams = _checked_teams(teams)
    workers = _checked_jobs(jobs, len(teams))
    extra = check_parameters(extra_parameters or {})
    clashing = sorted(set(extra) & set(_RESERVED_PARAMETERS))
    if clashing:
        raise ParameterError(
            f"extra_parameters may not set {', '.join(clashing)}; "
            "pass them as the quarter, teams and data_dir arguments."
        )
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise ParameterError(f"notebook {notebook.name!r} not found in {notebook.parent}.")
    data_dir = Path(data_dir).resolve()
    out_dir = Path(out_dir)
    quarter_dir = out_dir / quarter

    report_jobs = [
        ReportJob(
            team=team,
            quarter=quarter,
            html_path=quarter_dir / f"{team}.html",
            notebook=notebook,
            parameters={"team": team, "quarter": quarter, "data_dir": str(data_dir), **extra},
            failed_notebook=quarter_dir / FAILED_DIR / f"{team}.ipynb",
            cwd=notebook.parent,
        )
        for team in teams
    ]
    quarter_dir.mkdir(parents=True, exist_ok=True)
    outcomes = _run_all(report_jobs, workers, show_progress=show_progress)
    outcomes.sort(key=lambda outcome: (outcome.quarter, outcome.team))
    write_index(out_dir, outcomes)
    return outcomes


def run_job(job: ReportJob, *, kernel_log: Path | None = None) -> ReportOutcome:
    """Render one report; never raises for a failing notebook.

    The executed notebook goes to a temporary folder; on success the HTML replaces
    ``job.html_path`` atomically and a stale failed notebook is removed; on failure the
    executed notebook (if any) is copied to ``job.failed_notebook`` and the HTML is left alone.

    Parameters
    ----------
    job : ReportJob
        The report.
    kernel_log : Path, optional
        File that collected the stderr of this job (kernel warnings, crashes); kept next to
        the failed notebook as ``<team>.log`` when the report fails and is not empty.

    Returns
    -------
    ReportOutcome
        The outcome, ``ok=False`` with the reason on failure.
    """
    start = time.perf_counter()
    failed_log = job.failed_notebook.with_suffix(".log") if job.failed_notebook else None
    with tempfile.TemporaryDirectory(prefix="workbook-report-") as tmp:
        executed = Path(tmp) / f"{job.team}.ipynb"
        try:
            execute_notebook(
                job.notebook, job.parameters, executed, cwd=job.cwd, kernel_name=job.kernel_name
            )
            notebook_to_html(
                executed, job.html_path, title=f"{team_label(job.team)} — {job.quarter}"
            )
        except Exception as err:  # isolate the failure: any error is this report's outcome
            kept = _keep_copy(executed, job.failed_notebook)
            if kernel_log is not None and kernel_log.is_file() and kernel_log.stat().st_size:
                _keep_copy(kernel_log, failed_log)
            return ReportOutcome(
                team=job.team,
                quarter=job.quarter,
                ok=False,
                html_path=None,
                error=_one_line(err),
                cell=err.cell if isinstance(err, RenderError) else None,
                failed_notebook=kept,
                seconds=time.perf_counter() - start,
            )
    for stale in (job.failed_notebook, failed_log):
        if stale is not None:
            stale.unlink(missing_ok=True)
    return ReportOutcome(
        team=job.team,
        quarter=job.quarter,
        ok=True,
        html_path=job.html_path,
        error=None,
        cell=None,
        failed_notebook=None,
        seconds=time.perf_counter() - start,
    )


def _run_job_in_worker(job: ReportJob) -> ReportOutcome:
    """Run one job in a worker process with its stderr (and its kernel's) sent to a log.

    Kernels write warnings to the stderr they inherit; left alone they would scribble over
    the progress bar. The log is kept only when the report fails.
    """
    with tempfile.TemporaryDirectory(prefix="workbook-log-") as tmp:
        log = Path(tmp) / "stderr.log"
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with open(log, "wb") as handle:
                os.dup2(handle.fileno(), 2)
            return run_job(job, kernel_log=log)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _run_all(
    report_jobs: list[ReportJob], workers: int, *, show_progress: bool
) -> list[ReportOutcome]:
    """Run the jobs on a process pool, one outcome per job."""
    outcomes: list[ReportOutcome] = []
    failed = 0
    # spawn: workers start clean (no inherited threads, cwd or state of the caller)
    context = multiprocessing.get_context("spawn")
    with tqdm(
        total=len(report_jobs),
        desc="reports",
        unit="report",
        file=sys.stderr,
        disable=not show_progress,
    ) as bar:
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(KERNEL_ENV,),
        )
        try:
            futures: dict[Future, ReportJob] = {
                pool.submit(_run_job_in_worker, job): job for job in report_jobs
            }
            for future in as_completed(futures):
                outcome = _outcome_of(future, futures[future])
                outcomes.append(outcome)
                failed += not outcome.ok
                bar.update(1)
                if failed:
                    bar.set_postfix_str(f"{failed} failed")
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    return outcomes


def _outcome_of(future: Future, job: ReportJob) -> ReportOutcome:
    """The outcome of a finished future, also when its worker process died."""
    try:
        return future.result()
    except Exception as err:  # BrokenProcessPool and the like: this report failed
        return ReportOutcome(
            team=job.team,
            quarter=job.quarter,
            ok=False,
            html_path=None,
            error=f"worker process failed: {_one_line(err)}",
            cell=None,
            failed_notebook=None,
            seconds=0.0,
        )


def _init_worker(env: dict[str, str]) -> None:
    """Set the environment the kernels of this worker inherit."""
    os.environ.update(env)


def _keep_copy(source: Path, destination: Path | None) -> Path | None:
    """Copy ``source`` (a failed report's notebook or log) to ``destination``, atomically."""
    if destination is None or not source.is_file():
        return None
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=destination.parent, prefix=f".{destination.name}.", suffix=".tmp"
        )
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, destination)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError:
        return None
    return destination


def _one_line(err: BaseException) -> str:
    """An error as one line: the message of our errors, ``Type: message`` of others."""
    text = " ".join(str(err).split())
    if isinstance(err, WorkbookError):
        return text or type(err).__name__
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _checked_teams(teams: list[str]) -> list[str]:
    """Check every team name; drop exact duplicates, refuse names equal but for case."""
    if isinstance(teams, str) or not teams:
        raise ParameterError(
            f"teams must be a non-empty list of team ids, got {teams!r}; e.g. ['emea-ent', 'all']."
        )
    unique = list(dict.fromkeys(check_team(team) for team in teams))
    seen: dict[str, str] = {}
    for team in unique:
        other = seen.setdefault(team.casefold(), team)
        if other != team:
            raise ParameterError(
                f"teams {other!r} and {team!r} differ only in case and would overwrite each "
                "other's report on some file systems; keep one."
            )
    return unique


def _checked_jobs(jobs: int | None, n_reports: int) -> int:
    """Number of worker processes to start."""
    if jobs is None:
        jobs = os.cpu_count() or 1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"jobs must be a whole number of at least 1, got {jobs!r}.")
    return min(jobs, n_reports)
