"""Render reports on Jupyter kernels: one job on one kernel, and the local pool of kernels.

Each of a few worker threads owns one kernel and renders report after report on it
(papermill on a running kernel, namespace reset in between), so kernel start-up, imports and
the data load are paid once per worker instead of once per report.
"""

from __future__ import annotations

import ast
import json
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..data.source import DataSource
from ..errors import RenderError
from .index_page import team_label
from .jobs import ReportJob, ReportOutcome, check_data_source, one_line

if TYPE_CHECKING:
    from .kernels import ReusableKernel
    from .manifest import DataCatalogue
    from .render import HtmlConverter


KERNEL_ENV = {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}
"""Environment added for the kernels.

A headless matplotlib backend, set explicitly so a user's ``MPLBACKEND`` or ``matplotlibrc``
cannot make a kernel open a GUI window. The inline backend shows the figures a cell made
(as SVG images, once the report calls ``plots.use_report_style``); plain ``Agg`` would not,
and the reports would lose their charts.
"""


WARM_UP = """\
import os
import matplotlib.pyplot
from helpers.analysis.workbook import warm_up
warm_up(os.environ["WORKBOOK_DATA_DIR"])
"""
"""Sent to each kernel as it starts: imports and the data load happen while this process is
still importing papermill and nbconvert. The data source arrives as an environment variable,
never as code. A report loads the data with ``Workbook.load(data_dir, reuse=True, ...)`` and
gets this copy (a database is read per report quarter instead, so it is only connected to);
an error here is ignored (the report meets it again and reports it)."""


DATA_ENV = "WORKBOOK_DATA_DIR"
"""Environment variable that tells a report kernel its data source (never sent as code)."""

CATALOGUE_EXPRESSION = (
    "__import__('helpers.reports.kernel_pool', fromlist=['kernel_catalogue']).kernel_catalogue()"
)
"""Evaluated in a warmed-up kernel: the teams and quarters of the data it loaded, as JSON."""


EXECUTION_TIMEOUT = 900
"""Seconds one cell may run before its report is failed (a hung cell must not hang the grid)."""


def run_job(
    job: ReportJob,
    *,
    kernel: ReusableKernel | None = None,
    kernel_log: Path | None = None,
    converter: HtmlConverter | None = None,
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
    converter : HtmlConverter, optional
        The worker's HTML converter; default a new one for this report.

    Returns
    -------
    ReportOutcome
        The outcome, ``ok=False`` with the reason on failure.
    """
    from .outputs import summary_in, tables_in
    from .render import execute_notebook, notebook_to_html

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
                from .table_files import write_exports  # pandas, for the tables alone

                export = write_exports(tables_in(nb), job.html_path, job.export)
            notebook_to_html(
                nb,
                job.html_path,
                title=f"{team_label(job.team)} — {job.quarter}",
                converter=converter,
            )
        except Exception as err:  # isolate the failure: any error is this report's outcome
            kept = _keep_copy(executed, job.failed_notebook)
            if kernel_log is not None:
                _keep_log(kernel_log, log_start, failed_log)
            return ReportOutcome.of(
                job,
                ok=False,
                error=one_line(err),
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


def start_kernel(cwd: Path, source: DataSource, stderr: IO) -> ReusableKernel:
    """A reusable report kernel in ``cwd``, warming up on ``source``, stderr to ``stderr``."""
    from .kernels import ReusableKernel

    env = {**KERNEL_ENV, DATA_ENV: source.text}
    return ReusableKernel("python3", cwd, stderr=stderr, env=env, warm_up=WARM_UP)


def kernel_catalogue() -> str:
    """In a report kernel: teams, quarters and latest complete quarter of its data, as JSON.

    The data set the warm-up loaded (:data:`DATA_ENV`), taken from the process's cache, so
    asking costs nothing once the kernel is warm; a database's catalogue is what its
    warm-up read. Raises as loading does (bad data), and the pool's caller then loads
    the data itself to report the problem.
    """
    from ..analysis.workbook import Workbook
    from .manifest import DataCatalogue

    source = DataSource.of(os.environ[DATA_ENV])
    if source.is_database:
        dataset = Workbook.cache.catalogue(source)
    else:
        dataset = Workbook.load(source, reuse=True).dataset
    catalogue = DataCatalogue.of(dataset, digest="")
    return json.dumps(
        {
            "teams": catalogue.teams,
            "quarters": catalogue.quarters,
            "latest_complete": catalogue.latest_complete,
        }
    )


@dataclass(frozen=True)
class _CatalogueRequest:
    """Put on a pool's queue: the first free worker asks its kernel for the catalogue."""

    answer: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)


def with_progress(
    results: Iterator[tuple[ReportOutcome, ReportJob]], total: int, *, show_progress: bool
) -> Iterator[tuple[ReportOutcome, ReportJob]]:
    """Pass ``results`` through, counting them (and the failed ones) on a bar on stderr."""
    from tqdm import tqdm  # only once there is something to render

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
    source : DataSource, Path or str
        Data source the warm-up loads (``WORKBOOK_DATA_DIR`` of the kernels).
    """

    def __init__(self, size: int, cwd: Path, source: DataSource | Path | str):
        self.size = size
        self.cwd = Path(cwd).resolve()
        self.source = check_data_source(source)
        self._todo: queue.SimpleQueue = queue.SimpleQueue()
        self._done: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(size)]
        for thread in self._threads:
            thread.start()

    def serves(self, cwd: Path, source: DataSource) -> bool:
        """Whether the kernels were started for this notebook folder and data source."""
        return self.cwd == Path(cwd) and self.source.text == check_data_source(source).text

    def run(
        self, report_jobs: list[ReportJob], *, show_progress: bool
    ) -> Iterator[tuple[ReportOutcome, ReportJob]]:
        """Render the jobs; yield ``(ReportOutcome, ReportJob)`` in order of completion."""
        for job in report_jobs:
            self._todo.put(job)
        done = (self._done.get() for _ in report_jobs)
        yield from with_progress(done, len(report_jobs), show_progress=show_progress)

    def catalogue(self, digest: str) -> DataCatalogue | None:
        """Teams and quarters of the data as the first free kernel loaded it, else ``None``.

        Asked before any job is handed out; it waits for that kernel's warm-up, which loads
        the data anyway, so this process need not load it (nor import pandas) to check the
        report names. ``None`` when no kernel could say (failed to start, or the data did
        not load): the caller loads the data itself and reports what is wrong.

        Parameters
        ----------
        digest : str
            :meth:`~helpers.data.source.DataSource.digest` of the data source, kept in the
            catalogue.
        """
        from .manifest import DataCatalogue

        request = _CatalogueRequest()
        self._todo.put(request)
        fields = request.answer.get()
        return None if fields is None else DataCatalogue(digest=digest, **fields)

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
        kernel, start_error, converter = None, None, None
        with tempfile.TemporaryDirectory(prefix="workbook-kernel-") as tmp:
            log = Path(tmp) / "stderr.log"
            with open(log, "ab", buffering=0) as log_handle:
                try:
                    try:
                        kernel = start_kernel(self.cwd, self.source, log_handle)
                    except Exception as err:  # every job of this thread fails with the reason
                        start_error = f"kernel failed to start: {one_line(err)}"
                    # While the kernel warms up: papermill, nbconvert and the templates.
                    converter = _converter()
                    while (job := self._todo.get()) is not None:
                        if isinstance(job, _CatalogueRequest):
                            job.answer.put(_ask_catalogue(kernel))
                            continue
                        if kernel is None:
                            outcome = ReportOutcome.of(job, ok=False, error=start_error)
                        else:
                            outcome = run_job(
                                job, kernel=kernel, kernel_log=log, converter=converter
                            )
                        self._done.put((outcome, job))
                finally:
                    if converter is not None:
                        converter.close()
                    if kernel is not None:
                        kernel.close()


def _converter() -> HtmlConverter | None:
    """A worker's HTML converter; ``None`` if it cannot be built (each report then says why)."""
    from .render import HtmlConverter

    try:
        return HtmlConverter()
    except Exception:  # the same error meets every report, which records it
        return None


def _ask_catalogue(kernel: ReusableKernel | None) -> dict | None:
    """The fields of :func:`kernel_catalogue` from ``kernel``; ``None`` if it cannot say."""
    if kernel is None:
        return None
    text = kernel.evaluate(CATALOGUE_EXPRESSION, timeout=EXECUTION_TIMEOUT)
    if text is None:
        return None
    try:
        fields = json.loads(ast.literal_eval(text))  # the repr of a JSON string
    except (ValueError, SyntaxError, TypeError):
        return None
    if not isinstance(fields, dict) or set(fields) != {"teams", "quarters", "latest_complete"}:
        return None
    return fields


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
