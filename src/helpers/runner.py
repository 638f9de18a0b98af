"""Render the report grid: one notebook, many teams and quarters, in parallel, incrementally.

Each report is the notebook executed by papermill with ``team``, ``quarter`` and ``data_dir``
and converted to ``out_dir/<quarter>/<team>.html``; ``out_dir/index.html`` lists the folder
and ``out_dir/manifest.json`` records what was rendered from what (see ``manifest``).

Speed: a few worker threads each own one :class:`~helpers.kernels.ReusableKernel` and render
report after report on it, so kernel start-up, imports and the data load are paid once per
worker, not once per report. The kernels are separate processes: they run in parallel.
A report whose inputs did not change since its last good render is skipped (``force``
re-renders).

Beyond one machine: ``pool`` may also be a :class:`helpers.distributed.DaskPool`, which
renders the same jobs on an existing Dask cluster (``workbook reports --scheduler``); what to
render, the manifest, the progress bar and the outcomes are decided here for both.

Safety: a report that fails leaves the previous good HTML in place and keeps its executed
notebook in ``out_dir/<quarter>/_failed/<team>.ipynb`` (and its kernel's stderr in
``<team>.log``); the manifest is rewritten after every report, so a run killed half-way is
completed by the next one.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from .database import DatabaseUrl, is_database_url, source_label
from .errors import ParameterError, RenderError, WorkbookError
from .index_page import team_label, write_index
from .manifest import (
    DataCatalogue,
    Manifest,
    code_digest,
    data_digest,
    file_digest,
    inputs_digest,
    now_utc,
)
from .parameters import check_parameters

if TYPE_CHECKING:
    from typing import IO

    from .distributed import DaskPool
    from .kernels import ReusableKernel

KERNEL_ENV = {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}
"""Environment added for the kernels.

A headless matplotlib backend, set explicitly so a user's ``MPLBACKEND`` or ``matplotlibrc``
cannot make a kernel open a GUI window. The inline backend renders with Agg and also shows
figures as PNG outputs; plain ``Agg`` would not, and the reports would lose their charts.
"""

WARM_UP = """\
import os
import matplotlib.pyplot
from helpers.workbook import warm_up
warm_up(os.environ["WORKBOOK_DATA_DIR"])
"""
"""Sent to each kernel as it starts: imports and the data load happen while this process is
still importing papermill and nbconvert. The data source arrives as an environment variable,
never as code. A report loads the data with ``Workbook.load(data_dir, reuse=True, ...)`` and
gets this copy (a database is read per report quarter instead, so it is only connected to);
an error here is ignored (the report meets it again and reports it)."""

EXECUTION_TIMEOUT = 900
"""Seconds one cell may run before its report is failed (a hung cell must not hang the grid)."""

FAILED_DIR = "_failed"
MAX_NAME_LENGTH = 100

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_QUARTER = re.compile(r"[0-9]{4}Q[1-4]")
_RESERVED_PARAMETERS = ("team", "quarter", "data_dir")
_FIRST = "all"  # the company roll-up is the longest report: start it first


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
    """

    team: str
    quarter: str
    html_path: Path
    notebook: Path
    parameters: dict = field(default_factory=dict)
    failed_notebook: Path | None = None
    export: str | None = None
    inputs: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Manifest key: ``"<quarter>/<team>"``."""
        return f"{self.quarter}/{self.team}"

    def moved_to(self, out_dir: Path) -> ReportJob:
        """The same report with its files in another report folder (a worker's staging one)."""
        html_path, failed_notebook = _report_paths(Path(out_dir), self.quarter, self.team)
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


def check_data_source(data_dir: Path | str) -> Path | str:
    """The data folder resolved, or a database URL that carries no password.

    Raises
    ------
    ParameterError
        When the folder does not exist, or the URL holds a password: each report's
        parameters (and so its notebook) and the manifest would carry it.
    """
    if is_database_url(data_dir):
        url = DatabaseUrl.parse(str(data_dir))
        if url.password is not None:
            raise ParameterError(
                f"{url.masked}: a password in the URL would be written into every report's "
                "parameters. Fix: leave it out of the URL and set PGPASSWORD (or use "
                "~/.pgpass), or put the URL in [database] url of the data folder's "
                "workbook.toml and pass the folder."
            )
        return str(data_dir).strip()
    folder = Path(data_dir).resolve()
    if not folder.is_dir():
        raise ParameterError(f"data folder {folder.name!r} not found in {folder.parent}.")
    return folder


def render_reports(
    notebook: Path,
    data_dir: Path,
    out_dir: Path,
    quarter: str | Sequence[str],
    teams: list[str],
    *,
    jobs: int | None = None,
    show_progress: bool = True,
    extra_parameters: dict | None = None,
    force: bool = False,
    export: str | None = None,
    catalogue: DataCatalogue | None = None,
    pool: KernelPool | DaskPool | None = None,
) -> list[ReportOutcome]:
    """Render ``notebook`` for every team of one or more quarters, in parallel, then the index.

    Each report runs with ``{"team": team, "quarter": quarter, "data_dir": <data_dir
    resolved>}`` plus ``extra_parameters``, on a kernel whose working directory is the
    notebook's folder, and becomes ``out_dir/<quarter>/<team>.html``. A report whose inputs
    (notebook, data files, parameters, helpers code, export format) are unchanged since its
    last good render, with its HTML still in place, is skipped unless ``force``. One failing
    report does not stop the others: its previous HTML stays untouched, its executed notebook
    is kept as ``out_dir/<quarter>/_failed/<team>.ipynb`` and the stderr of its kernel, if
    any, as ``_failed/<team>.log`` (both removed again once the team succeeds).
    ``out_dir/manifest.json`` is rewritten after each report; ``out_dir/index.html`` at the end.

    Parameters
    ----------
    notebook : Path
        Parameterized report notebook.
    data_dir : Path
        Data folder, passed to the notebook as an absolute path.
    out_dir : Path
        Report folder (created if missing).
    quarter : str or sequence of str
        Quarter(s) such as ``"2026Q3"``.
    teams : list of str
        Team ids (``"all"`` for the company roll-up); duplicates are rendered once.
    jobs : int, optional
        Kernels working at once; default ``os.cpu_count()``, never more than there are
        reports to render.
    show_progress : bool
        Show a progress bar on stderr counting finished reports.
    extra_parameters : dict, optional
        More notebook parameters (plain data; not ``team``, ``quarter`` or ``data_dir``).
    force : bool
        Render every report, also those that are up to date.
    export : {"csv", "xlsx"}, optional
        Also write every table of each report beside it (see ``exports``).
    catalogue : DataCatalogue, optional
        Teams and quarters of the data the names were checked against; kept in the
        manifest so a re-run can check them without loading the data.
    pool : KernelPool or DaskPool, optional
        Kernels already started (and warming up) for this notebook folder and data folder,
        or a connection to a Dask cluster (``jobs`` is then unused); the caller closes it.
        Default: a pool of ``jobs`` kernels for this call.

    Returns
    -------
    list of ReportOutcome
        One per report, sorted by quarter and team; skipped ones have ``skipped=True``.
        Failures are outcomes, not exceptions.

    Raises
    ------
    ParameterError
        Before anything is written: a team or quarter that is not a safe file name, teams
        that differ only in case, no team, ``jobs`` < 1, an unusable extra parameter, an
        unknown export format or a missing notebook or data folder.
    RenderError
        When the manifest or the index cannot be written.

    Examples
    --------
    >>> outcomes = render_reports(  # doctest: +SKIP
    ...     Path("notebooks/reports/team_quarterly_report.ipynb"), Path("data/sample"),
    ...     Path("reports"), "2026Q3", ["emea-ent", "all"], jobs=2)
    """
    quarters = _checked_quarters(quarter)
    teams = _checked_teams(teams)
    _checked_jobs(jobs, 1)  # refused now, before anything is written
    extra = check_parameters(extra_parameters or {})
    clashing = sorted(set(extra) & set(_RESERVED_PARAMETERS))
    if clashing:
        raise ParameterError(
            f"extra_parameters may not set {', '.join(clashing)}; "
            "pass them as the quarter, teams and data_dir arguments."
        )
    if export not in (None, "csv", "xlsx"):
        raise ParameterError(f"export format {export!r} is not known; use csv or xlsx.")
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise ParameterError(f"notebook {notebook.name!r} not found in {notebook.parent}.")
    data_dir = check_data_source(data_dir)
    out_dir = Path(out_dir)

    shared_inputs = {
        "notebook": file_digest(notebook),
        "data": catalogue.digest if catalogue is not None else data_digest(data_dir),
        "code": code_digest(),
        "export": export,
    }
    report_jobs = [
        _job(notebook, data_dir, out_dir, q, team, extra, export, shared_inputs)
        for q in quarters
        for team in sorted(teams, key=lambda t: (t != _FIRST, teams.index(t)))
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = Manifest.read(out_dir)
    if catalogue is not None:
        manifest.catalogue = catalogue
    skipped, to_render = [], []
    for job in report_jobs:
        current = manifest.is_current(job.key, inputs_digest(job.inputs), job.html_path)
        (to_render if force or not current else skipped).append(job)
    for q in quarters:
        _remove_stale_temporaries(out_dir / q)

    outcomes = [_skipped_outcome(job, manifest) for job in skipped]
    if to_render:
        own_pool = pool is None or not pool.serves(notebook.parent, data_dir)
        if own_pool:
            pool = KernelPool(_checked_jobs(jobs, len(to_render)), notebook.parent, data_dir)
        try:
            for outcome, job in pool.run(to_render, show_progress=show_progress):
                manifest.reports[job.key] = _record(job, outcome, out_dir, manifest)
                manifest.write()
                outcomes.append(outcome)
        finally:
            if own_pool:
                pool.close()
    else:
        manifest.write()
    outcomes.sort(key=lambda outcome: (outcome.quarter, outcome.team))
    write_index(out_dir, outcomes, manifest.reports)
    return outcomes


def _report_paths(out_dir: Path, quarter: str, team: str) -> tuple[Path, Path]:
    """Where a report and its kept failed notebook go in ``out_dir``."""
    return out_dir / quarter / f"{team}.html", out_dir / quarter / FAILED_DIR / f"{team}.ipynb"


def _job(notebook, data_dir, out_dir, quarter, team, extra, export, shared_inputs) -> ReportJob:
    parameters = {"team": team, "quarter": quarter, "data_dir": str(data_dir), **extra}
    # The data folder enters the fingerprint by content, not by where it lies.
    recorded = {**parameters, "data_dir": source_label(data_dir)}
    html_path, failed_notebook = _report_paths(out_dir, quarter, team)
    return ReportJob(
        team=team,
        quarter=quarter,
        html_path=html_path,
        notebook=notebook,
        parameters=parameters,
        failed_notebook=failed_notebook,
        export=export,
        inputs={**shared_inputs, "notebook_name": notebook.name, "parameters": recorded},
    )


def _skipped_outcome(job: ReportJob, manifest: Manifest) -> ReportOutcome:
    record = manifest.reports[job.key]
    export = record.get("export")
    return ReportOutcome.of(
        job,
        ok=True,
        html_path=job.html_path,
        skipped=True,
        summary=record.get("summary"),
        export=job.html_path.parent / Path(export).name if export else None,
    )


def _record(job: ReportJob, outcome: ReportOutcome, out_dir: Path, manifest: Manifest) -> dict:
    """The manifest record of a report just rendered (or failed)."""

    def relative(path: Path | None) -> str | None:
        return Path(path).relative_to(out_dir).as_posix() if path else None

    record = {
        "team": job.team,
        "quarter": job.quarter,
        "status": "ok" if outcome.ok else "failed",
        "attempted_at": now_utc(),
        "seconds": round(outcome.seconds, 2),
        "inputs": job.inputs,
        "inputs_digest": inputs_digest(job.inputs),
    }
    if outcome.ok:
        record.update(
            html=relative(job.html_path),
            html_bytes=job.html_path.stat().st_size,
            rendered_at=record["attempted_at"],
            summary=outcome.summary,
            export=relative(outcome.export),
        )
        return record
    previous = manifest.reports.get(job.key, {})
    record.update(
        error=outcome.error,
        cell=outcome.cell,
        failed_notebook=relative(outcome.failed_notebook),
        # what is still on disk from the last good render
        html=previous.get("html") if job.html_path.exists() else None,
        rendered_at=previous.get("rendered_at"),
        summary=previous.get("summary"),
    )
    return record


def run_job(
    job: ReportJob, *, kernel: ReusableKernel | None = None, kernel_log: Path | None = None
) -> ReportOutcome:
    """Render one report; never raises for a failing notebook.

    The executed notebook goes to a temporary folder; on success the exports (if asked for)
    and then the HTML replace their predecessors atomically and a stale failed notebook is
    removed; on failure the executed notebook (if any) is copied to ``job.failed_notebook``
    and the HTML is left alone.

    Parameters
    ----------
    job : ReportJob
        The report.
    kernel : ReusableKernel, optional
        Kernel to execute on; default a new kernel for this report alone.
    kernel_log : Path, optional
        File that collected the stderr of this job's kernel (warnings, crashes); kept next
        to the failed notebook as ``<team>.log`` when the report fails and it is not empty.

    Returns
    -------
    ReportOutcome
        The outcome, ``ok=False`` with the reason on failure.
    """
    from .exports import write_exports
    from .render import execute_notebook, notebook_to_html
    from .report_outputs import summary_in, tables_in

    start = time.perf_counter()
    failed_log = job.failed_notebook.with_suffix(".log") if job.failed_notebook else None
    log_start = kernel_log.stat().st_size if kernel_log and kernel_log.is_file() else 0
    export = None
    with tempfile.TemporaryDirectory(prefix="workbook-report-") as tmp:
        executed = Path(tmp) / f"{job.team}.ipynb"
        try:
            nb = execute_notebook(
                job.notebook,
                job.parameters,
                executed,
                cwd=job.notebook.parent,
                kernel=kernel,
                execution_timeout=EXECUTION_TIMEOUT,
            )
            summary = summary_in(nb)
            if job.export:
                export = write_exports(tables_in(nb), job.html_path, job.export)
            notebook_to_html(nb, job.html_path, title=f"{team_label(job.team)} — {job.quarter}")
        except Exception as err:  # isolate the failure: any error is this report's outcome
            kept = _keep_copy(executed, job.failed_notebook)
            if kernel_log is not None:
                _keep_log(kernel_log, log_start, failed_log)
            return ReportOutcome.of(
                job,
                ok=False,
                error=_one_line(err),
                cell=err.cell if isinstance(err, RenderError) else None,
                failed_notebook=kept,
                seconds=time.perf_counter() - start,
            )
    remove_failed_copies(job)
    return ReportOutcome.of(
        job,
        ok=True,
        html_path=job.html_path,
        seconds=time.perf_counter() - start,
        summary=summary,
        export=export,
    )


def remove_failed_copies(job: ReportJob) -> None:
    """Delete the failed notebook and log an earlier failure of ``job`` left, once it succeeds."""
    if job.failed_notebook is not None:
        job.failed_notebook.unlink(missing_ok=True)
        job.failed_notebook.with_suffix(".log").unlink(missing_ok=True)


def start_kernel(cwd: Path, data_dir: Path, stderr: IO) -> ReusableKernel:
    """A reusable report kernel in ``cwd``, warming up on ``data_dir``, stderr to ``stderr``."""
    from .kernels import ReusableKernel

    env = {**KERNEL_ENV, "WORKBOOK_DATA_DIR": str(data_dir)}
    return ReusableKernel("python3", cwd, stderr=stderr, env=env, warm_up=WARM_UP)


def with_progress(
    results: Iterator[tuple[ReportOutcome, ReportJob]], total: int, *, show_progress: bool
) -> Iterator[tuple[ReportOutcome, ReportJob]]:
    """Pass ``results`` through, counting them (and the failed ones) on a bar on stderr."""
    failed = 0
    with tqdm(
        total=total, desc="reports", unit="report", file=sys.stderr, disable=not show_progress
    ) as bar:
        for outcome, job in results:
            failed += not outcome.ok
            bar.update(1)
            if failed:
                bar.set_postfix_str(f"{failed} failed")
            yield outcome, job


class KernelPool:
    """Worker threads, each owning one kernel, started before there is work for them.

    Each thread starts its kernel (and its warm-up) at once, then renders the jobs handed to
    :meth:`run` one after another. Starting a pool before a slow step of the caller (loading
    the data to check the parameters) lets the kernels warm up meanwhile.

    Parameters
    ----------
    size : int
        Number of threads and kernels.
    cwd : Path
        Working directory of the kernels (the notebook's folder).
    data_dir : Path
        Data folder the warm-up loads (``WORKBOOK_DATA_DIR`` of the kernels).
    """

    def __init__(self, size: int, cwd: Path, data_dir: Path):
        self.size = size
        self.cwd = Path(cwd).resolve()
        self.data_dir = check_data_source(data_dir)
        self._todo: queue.SimpleQueue = queue.SimpleQueue()
        self._done: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(size)]
        for thread in self._threads:
            thread.start()

    def serves(self, cwd: Path, data_dir: Path) -> bool:
        """Whether the kernels were started for this notebook folder and data folder."""
        return self.cwd == Path(cwd) and self.data_dir == check_data_source(data_dir)

    def run(
        self, report_jobs: list[ReportJob], *, show_progress: bool
    ) -> Iterator[tuple[ReportOutcome, ReportJob]]:
        """Render the jobs; yield ``(ReportOutcome, ReportJob)`` in order of completion."""
        for job in report_jobs:
            self._todo.put(job)
        done = (self._done.get() for _ in report_jobs)
        yield from with_progress(done, len(report_jobs), show_progress=show_progress)

    def close(self) -> None:
        """Let every thread finish its job, shut its kernel down and end."""
        for _ in self._threads:
            self._todo.put(None)
        for thread in self._threads:
            thread.join(timeout=120)

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _work(self) -> None:
        """One thread: start a kernel, then render jobs until told to stop."""
        kernel, start_error = None, None
        with tempfile.TemporaryDirectory(prefix="workbook-kernel-") as tmp:
            log = Path(tmp) / "stderr.log"
            with open(log, "ab", buffering=0) as log_handle:
                try:
                    try:
                        kernel = start_kernel(self.cwd, self.data_dir, log_handle)
                    except Exception as err:  # every job of this thread fails with the reason
                        start_error = f"kernel failed to start: {_one_line(err)}"
                    while (job := self._todo.get()) is not None:
                        if kernel is None:
                            outcome = ReportOutcome.of(job, ok=False, error=start_error)
                        else:
                            outcome = run_job(job, kernel=kernel, kernel_log=log)
                        self._done.put((outcome, job))
                finally:
                    if kernel is not None:
                        kernel.close()


def _keep_log(log: Path, start: int, destination: Path | None) -> None:
    """Keep what the kernel wrote to stderr during this report, if anything."""
    try:
        with open(log, "rb") as handle:
            handle.seek(start)
            text = handle.read()
    except OSError:
        return
    if text.strip() and destination is not None:
        with tempfile.NamedTemporaryFile(delete=False) as part:
            part.write(text)
        try:
            _keep_copy(Path(part.name), destination)
        finally:
            Path(part.name).unlink(missing_ok=True)


def _remove_stale_temporaries(quarter_dir: Path) -> None:
    """Delete temporary files a killed run left behind (``.<name>.<random>.tmp``)."""
    if quarter_dir.is_dir():
        for leftover in quarter_dir.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)


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


def _checked_quarters(quarter: str | Sequence[str]) -> list[str]:
    """Check one quarter or several; keep their order, drop duplicates."""
    chosen = [quarter] if isinstance(quarter, str) else list(quarter)
    if not chosen:
        raise ParameterError("no quarter given; pass one such as 2026Q3.")
    return list(dict.fromkeys(check_quarter(q) for q in chosen))


def _checked_jobs(jobs: int | None, n_reports: int) -> int:
    """Number of worker processes to start."""
    if jobs is None:
        jobs = os.cpu_count() or 1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"jobs must be a whole number of at least 1, got {jobs!r}.")
    return min(jobs, n_reports)
