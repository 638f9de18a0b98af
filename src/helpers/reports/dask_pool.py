"""Render the report grid on an existing Dask distributed cluster (``--scheduler``).

``workbook reports --scheduler tcp://HOST:PORT`` (or ``WORKBOOK_SCHEDULER``) hands the reports
to the cluster's workers instead of local kernels. Everything else is the local run's
(``runner.render_reports``): which reports are up to date is decided here, on the client,
before anything is submitted; the progress bar, the manifest, the index and the exit codes
are the same.

Where results land: each worker renders into a temporary folder of its own and sends the
files back as bytes: the HTML (and the exported tables) of a good report, the executed
notebook and the kernel's stderr of a failed one. This process writes them into OUT, each
atomically, and only then counts the report, so OUT can be a local folder that no worker
sees, and a worker that dies half-way leaves nothing half-written. What the workers need:
the same Python environment (this package installed), and the notebook and the data folder
readable at the same absolute path as here (a shared file system, or the same checkout and
data copied to the same place); a worker missing them fails those reports with a message
saying so.

Speed: each worker keeps its kernels (one per worker thread, started at its first report,
warmed up on the data) in a worker plugin registered for this run, so kernel start-up and the
data load are paid once per worker; the plugin is removed at the end of the run, which shuts
those kernels down.

Failures: a report that fails on a worker is an ordinary failed report (exit code 1). A
worker that dies mid-report (killed, out of memory) makes the scheduler run the report again
on another worker; a report whose worker dies every time (``distributed.scheduler.allowed-
failures`` + 1 times, as the scheduler counts) or a task error outside the notebook fails
that report with that reason, and the others go on. A lost scheduler ends the run: the
reports that landed before are recorded in the manifest, the others are not rendered (their
previous HTML untouched, the index not rewritten), and :class:`SchedulerLost` says which, in
one line (exit code 2); the same command run again renders what is missing. A report is never
counted as rendered unless its HTML was written into OUT.

This module imports dask; only ``--scheduler`` imports it, and without dask installed it
raises a :class:`SchedulerError` saying which extra to install.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import CancelledError
from dataclasses import replace
from pathlib import Path

from ..data.atomic import replace_folder_atomically, write_bytes_atomically
from ..data.source import DataSource
from ..errors import SchedulerError, SchedulerLost
from .jobs import ReportJob, ReportOutcome, one_line
from .kernel_pool import remove_failed_copies, run_job, start_kernel, with_progress


class _ConnectionLost(Exception):
    """Raised inside :meth:`DaskPool.run` when a result cannot come back: the scheduler is gone."""

    def __init__(self, cause: str):
        super().__init__(cause)
        self.cause = cause


try:
    from distributed import Client, KilledWorker, WorkerPlugin, as_completed, get_worker
    from distributed.comm import get_address_host_port
except ImportError as err:  # the dask extra is optional: only --scheduler needs it
    raise SchedulerError(
        "--scheduler needs dask, which is not installed; "
        "install the dask extra: pip install -e '.[dask]'"
    ) from err

CONNECT_TIMEOUT = 10
"""Seconds to wait for the scheduler before giving up."""

RETRIES = 1
"""Extra attempts of a report whose task raised outside the notebook (a worker-side error).

A worker that dies is handled by the scheduler itself: it runs the report again on another
worker, up to ``distributed.scheduler.allowed-failures`` times (3 by default), then the report
fails with ``KilledWorker``."""

_LOGGERS = ("distributed", "tornado")

_CONNECTION_LOST = "scheduler-connection-lost"
"""The reason dask's client gives its futures when it loses the scheduler (it cancels them)."""


class DaskPool:
    """A connection to a Dask scheduler that renders report jobs on its workers.

    Use :meth:`connect`; pass the pool to ``runner.render_reports`` as ``pool`` and close it
    afterwards (or use it as a context manager).

    Parameters
    ----------
    client : distributed.Client
        Connected client.
    """

    def __init__(self, client: Client):
        self.client = client
        self.address = client.scheduler.address
        # A name of its own per run: two runs on one cluster do not share or close the
        # other's kernels.
        self.plugin_name = f"workbook-kernels-{uuid.uuid4().hex[:12]}"
        self._registered = False
        self._lost = False

    @classmethod
    def connect(cls, address: str, *, timeout: float = CONNECT_TIMEOUT) -> DaskPool:
        """Connect to the scheduler at ``address`` (``tcp://HOST:PORT``).

        Parameters
        ----------
        address : str
            Scheduler address.
        timeout : float
            Seconds to wait for the connection.

        Returns
        -------
        DaskPool
            The connected pool.

        Raises
        ------
        SchedulerError
            When the address is malformed or no scheduler answers there in time.
        """
        try:
            # Checked first: a Client refused for its address hangs in its finaliser.
            get_address_host_port(address)
        except ValueError as err:
            raise SchedulerError(
                f"{address!r} is not a Dask scheduler address ({one_line(err)}); "
                "write it as tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786.",
                address=address,
            ) from err
        with _quiet_logs():
            try:
                client = Client(address, timeout=timeout, set_as_default=False)
            except Exception as err:  # refused, timed out, unknown host: all one message
                raise SchedulerError(
                    f"cannot reach the Dask scheduler at {address!r} ({one_line(err)}); "
                    "check that it is running and that --scheduler / WORKBOOK_SCHEDULER "
                    "names it.",
                    address=address,
                ) from err
        return cls(client)

    def serves(self, cwd: Path, source: DataSource) -> bool:
        """Any notebook and data folder: each job says which (the workers see the same paths)."""
        return True

    def catalogue(self, digest: str) -> None:
        """Always ``None``: the workers load the data once they have jobs, the client first."""
        return None

    def run(
        self, report_jobs: list[ReportJob], *, show_progress: bool
    ) -> Iterator[tuple[ReportOutcome, ReportJob]]:
        """Render the jobs on the cluster; yield ``(ReportOutcome, ReportJob)`` as they finish.

        Each finished report's files are written into place before it is yielded.

        Raises
        ------
        SchedulerLost
            When the connection to the scheduler is lost: what was yielded before stands,
            the reports not yielded yet were not rendered.
        """
        pending = {job.key: job for job in report_jobs}
        rendered: list[str] = []
        failed: list[str] = []

        def lost(cause: str) -> SchedulerLost:
            self._lost = True
            return SchedulerLost(
                self.address,
                rendered=rendered,
                failed=failed,
                not_rendered=list(pending),
                cause=cause,
            )

        if not self._registered:
            try:
                self.client.register_plugin(_WorkerKernels(), name=self.plugin_name)
            except (OSError, TimeoutError) as err:  # CommClosedError is an OSError
                raise lost(one_line(err)) from err
            self._registered = True
        futures = {}
        for rank, job in enumerate(report_jobs):
            future = self.client.submit(
                _render_on_worker,
                job,
                self.plugin_name,
                key=f"workbook-report-{job.quarter}-{job.team}-{uuid.uuid4().hex[:8]}",
                retries=RETRIES,
                priority=len(report_jobs) - rank,  # in the runner's order: company first
                pure=False,
            )
            futures[future] = job

        def done() -> Iterator[tuple[ReportOutcome, ReportJob]]:
            try:
                for future in as_completed(futures, loop=self.client.loop):
                    outcome, job = self._collect(future, futures[future])
                    del pending[job.key]
                    (rendered if outcome.ok else failed).append(job.key)
                    yield outcome, job
            except _ConnectionLost as err:
                raise lost(err.cause) from err.__cause__

        yield from with_progress(done(), len(report_jobs), show_progress=show_progress)

    def _collect(self, future, job: ReportJob) -> tuple[ReportOutcome, ReportJob]:
        """The outcome of a finished task, its files written into the report folder.

        Raises :class:`_ConnectionLost` when the result cannot come back (lost scheduler).
        """
        try:
            try:
                staged_outcome, root, files = future.result()
            except Exception as err:
                return _failure(future, job, err), job
            try:
                outcome = land(job, staged_outcome, Path(root), files)
            except Exception as err:  # an unwritable OUT: as a local run's failure
                outcome = ReportOutcome.of(job, ok=False, error=one_line(err))
        finally:
            future.release()
        return outcome, job

    def close(self) -> None:
        """Shut the workers' kernels of this run down and disconnect."""
        with _quiet_logs():
            try:
                # Without a scheduler there is nobody to ask, and asking would wait for the
                # connect timeout: the kernels then end with their workers (its teardown).
                if self._registered and not self._lost and self.client.status == "running":
                    self.client.unregister_worker_plugin(self.plugin_name)
            except Exception:  # the cluster may be gone: nothing left to shut down then
                pass
            finally:
                with contextlib.suppress(Exception):
                    self.client.close()

    def __enter__(self) -> DaskPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _failure(future, job: ReportJob, err: Exception) -> ReportOutcome:
    """The failed outcome of a task whose result did not come back.

    Raises :class:`_ConnectionLost` when it is the connection to the scheduler that failed:
    that is no report's failure.
    """
    if isinstance(err, KilledWorker):
        return ReportOutcome.of(job, ok=False, error=_killed_worker_message(err))
    if future.status == "error":  # the task itself raised, on a worker
        return ReportOutcome.of(job, ok=False, error=f"on the cluster: {one_line(err)}")
    if isinstance(err, CancelledError):
        reasons = _cancel_reasons(err)
        if _CONNECTION_LOST in reasons:
            raise _ConnectionLost("") from err
        return ReportOutcome.of(
            job,
            ok=False,
            error=f"cancelled on the cluster ({', '.join(reasons) or 'no reason given'})",
        )
    if isinstance(err, (OSError, TimeoutError)):  # fetching the result: CommClosedError...
        raise _ConnectionLost(one_line(err)) from err
    return ReportOutcome.of(job, ok=False, error=f"on the cluster: {one_line(err)}")


def _cancel_reasons(err: CancelledError) -> list[str]:
    """Why dask cancelled a future: one reason, or one per group of a gather's futures."""
    groups = getattr(err, "error_groups", None)
    if groups is not None:  # FuturesCancelledError, from fetching a result
        return sorted({str(group.reason) for group in groups})
    reason = getattr(err, "reason", None)  # FutureCancelledError
    return [str(reason)] if reason else []


def _killed_worker_message(err: KilledWorker) -> str:
    """Why a report failed with ``KilledWorker``: how many workers died, where to look."""
    try:
        retries = int(err.allowed_failures)
        last = err.last_worker.address
    except (AttributeError, IndexError, TypeError, ValueError):  # another dask's KilledWorker
        return f"on the cluster: {one_line(err)}"
    plural = "retry" if retries == 1 else "retries"
    return (
        f"the worker rendering it died {retries + 1} times (the last one: {last}); Dask gave "
        f"up after distributed.scheduler.allowed-failures = {retries} {plural}. Killed, or out "
        "of memory? See the workers' logs."
    )


def land(
    job: ReportJob, staged: ReportOutcome, root: Path, files: dict[str, bytes]
) -> ReportOutcome:
    """Write what a worker rendered for ``job`` into the report folder; return the outcome.

    Parameters
    ----------
    job : ReportJob
        The report, with its paths in the report folder.
    staged : ReportOutcome
        The worker's outcome, its paths under ``root``.
    root : Path
        The worker's staging folder (a report folder of its own).
    files : dict
        Path relative to ``root`` (POSIX) to the file's bytes.

    Returns
    -------
    ReportOutcome
        The outcome with its paths in the report folder. A good report's exports and then
        its HTML are in place; a failed one's notebook and log are in ``_failed``, its
        previous HTML untouched.
    """
    out_dir = job.html_path.parent.parent

    def here(path: Path) -> Path:
        return out_dir / Path(path).relative_to(root)

    if not staged.ok:
        kept = None
        if staged.failed_notebook is not None:
            kept = here(staged.failed_notebook)
            write_bytes_atomically(kept, files[kept.relative_to(out_dir).as_posix()])
        log = job.failed_notebook.with_suffix(".log") if job.failed_notebook else None
        if log is not None and log.relative_to(out_dir).as_posix() in files:
            write_bytes_atomically(log, files[log.relative_to(out_dir).as_posix()])
        return replace(staged, failed_notebook=kept)
    export = here(staged.export) if staged.export is not None else None
    if export is not None:
        _land_export(export, export.relative_to(out_dir).as_posix(), files)
    write_bytes_atomically(job.html_path, files[job.html_path.relative_to(out_dir).as_posix()])
    remove_failed_copies(job)
    return replace(staged, html_path=job.html_path, export=export)


def _land_export(destination: Path, name: str, files: dict[str, bytes]) -> None:
    """Put an Excel file, or a folder of CSV files, in place in one step (as ``exports``)."""
    if name in files:
        write_bytes_atomically(destination, files[name])
        return

    def fill(staging: Path) -> None:
        for relative, data in files.items():
            if relative.startswith(name + "/"):
                (staging / relative[len(name) + 1 :]).write_bytes(data)

    replace_folder_atomically(destination, fill)


# --- On the workers ---------------------------------------------------------------------


def _render_on_worker(
    job: ReportJob, plugin_name: str
) -> tuple[ReportOutcome, str, dict[str, bytes]]:
    """Render ``job`` in a staging folder of this worker; return its outcome and files.

    Runs on a worker. Returns the outcome (its paths in the staging folder), that folder and
    every file in it as ``{relative POSIX path: bytes}``.
    """
    kernels: _WorkerKernels = get_worker().plugins[plugin_name]
    source = job.source
    with tempfile.TemporaryDirectory(prefix="workbook-staging-") as tmp:
        root = Path(tmp)
        staged = job.moved_to(root)
        needed = (job.notebook,) if source.folder is None else (job.notebook, source.folder)
        missing = [str(p) for p in needed if not p.exists()]
        if missing:
            outcome = ReportOutcome.of(
                job,
                ok=False,
                error=f"not found on worker {get_worker().address}: {', '.join(missing)}; the "
                "notebook and the data folder must be at the same path on every worker",
            )
        else:
            with kernels.kernel(job.notebook.parent, source) as (kernel, log, start_error):
                if kernel is None:
                    outcome = ReportOutcome.of(job, ok=False, error=start_error)
                else:
                    outcome = run_job(staged, kernel=kernel, kernel_log=log)
        files = {
            path.relative_to(root).as_posix(): path.read_bytes()
            for path in root.rglob("*")
            if path.is_file()
        }
    return outcome, str(root), files


class _WorkerKernels(WorkerPlugin):
    """Reusable report kernels of one worker: one per thread running a report, kept between.

    Registered by :class:`DaskPool` for a run; its teardown (the run's end, or the worker's)
    shuts the kernels down.
    """

    def setup(self, worker) -> None:
        """Start with no kernel: the first report of each thread starts one."""
        self._lock = threading.Lock()
        self._idle: list[tuple[tuple[Path, Path], object, Path, object]] = []
        self._closed = False
        self._logs = Path(tempfile.mkdtemp(prefix="workbook-kernels-"))

    def teardown(self, worker) -> None:
        """Shut the idle kernels down (busy ones are shut down as their report ends)."""
        with self._lock:
            self._closed, idle, self._idle = True, self._idle, []
        for entry in idle:
            _close(entry)
        shutil.rmtree(self._logs, ignore_errors=True)

    @contextlib.contextmanager
    def kernel(self, cwd: Path, source: DataSource):
        """Lend a kernel for ``cwd`` and ``source``: ``(kernel, log, start_error)``."""
        wanted = (cwd, source.text)
        with self._lock:
            entry = next((e for e in self._idle if e[0] == wanted), None)
            if entry is not None:
                self._idle.remove(entry)
            # Kernels of another notebook or data folder will not be asked for again.
            stale = [e for e in self._idle if e[0] != wanted]
            self._idle = [e for e in self._idle if e[0] == wanted]
        for other in stale:
            _close(other)
        if entry is None:
            fd, log = tempfile.mkstemp(dir=self._logs, suffix=".log")
            handle = os.fdopen(fd, "ab", buffering=0)
            try:
                entry = (wanted, start_kernel(cwd, source, handle), Path(log), handle)
            except Exception as err:
                handle.close()
                yield None, None, f"kernel failed to start: {one_line(err)}"
                return
        try:
            yield entry[1], entry[2], None
        finally:
            with self._lock:
                keep = not self._closed
                if keep:
                    self._idle.append(entry)
            if not keep:
                _close(entry)


def _close(entry) -> None:
    """Shut one kernel down and close its log."""
    _, kernel, _, handle = entry
    try:
        kernel.close()
    finally:
        handle.close()


@contextlib.contextmanager
def _quiet_logs():
    """Keep dask's own log lines (connection retries, shutdown) off the user's terminal.

    Dask's logging configuration gives some loggers below ``distributed`` (the client's) a
    level and a handler of their own: those are quieted too, not only the top ones.
    """
    names = [
        name
        for name in list(logging.root.manager.loggerDict)
        if any(name == top or name.startswith(top + ".") for top in _LOGGERS)
    ]
    loggers = [logging.getLogger(name) for name in {*_LOGGERS, *names}]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
