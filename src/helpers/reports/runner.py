"""Render the report grid: one notebook, many teams and quarters, in parallel, incrementally.

Each report is the notebook executed by papermill with ``team``, ``quarter`` and ``data_dir``
and converted to ``out_dir/<quarter>/<team>.html``; ``out_dir/index.html`` lists the folder
and ``out_dir/manifest.json`` records what was rendered from what (see ``manifest``).

Speed: a few worker threads each own one :class:`~helpers.reports.kernels.ReusableKernel` and render
report after report on it, so kernel start-up, imports and the data load are paid once per
worker, not once per report. The kernels are separate processes: they run in parallel.
A report whose inputs did not change since its last good render is skipped (``force``
re-renders).

Beyond one machine: ``pool`` may also be a :class:`helpers.reports.dask_pool.DaskPool`, which
renders the same jobs on an existing Dask cluster (``workbook reports --scheduler``); what to
render, the manifest, the progress bar and the outcomes are decided here for both.

Safety: a report that fails leaves the previous good HTML in place and keeps its executed
notebook in ``out_dir/<quarter>/_failed/<team>.ipynb`` (and its kernel's stderr in
``<team>.log``); the manifest is rewritten after every report, so a run killed half-way is
completed by the next one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..data.schema import ALL_TEAMS, team_id_clashes
from ..data.source import DataSource, file_digest
from ..errors import ParameterError
from .index_page import write_index
from .jobs import (
    RESERVED_PARAMETERS,
    ReportJob,
    ReportOutcome,
    ReportPool,
    check_data_source,
    check_quarter,
    check_team,
    report_paths,
)
from .kernel_pool import KernelPool
from .manifest import DataCatalogue, Manifest, code_digest, inputs_digest, now_utc
from .parameters import check_parameters
from .paths import check_output_folder, notebook_problem


def render_reports(
    notebook: Path,
    source: DataSource | Path | str,
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
    pool: ReportPool | None = None,
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
    source : DataSource, Path or str
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
        unknown export format, a missing notebook or data folder, or an output folder that
        cannot be written (see :func:`helpers.reports.paths.check_output_folder`).
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
    clashing = sorted(set(extra) & set(RESERVED_PARAMETERS))
    if clashing:
        raise ParameterError(
            f"extra_parameters may not set {', '.join(clashing)}; "
            "pass them as the quarter, teams and data_dir arguments."
        )
    if export not in (None, "csv", "xlsx"):
        raise ParameterError(f"export format {export!r} is not known; use csv or xlsx.")
    problem = notebook_problem(notebook)
    if problem is not None:
        raise ParameterError(f"notebook {notebook}: {problem}")
    notebook = Path(notebook).resolve()
    source = check_data_source(source)
    out_dir = check_output_folder(out_dir)

    shared_inputs = {
        "notebook": file_digest(notebook),
        "data": catalogue.digest if catalogue is not None else source.digest(),
        "code": code_digest(),
        "export": export,
    }
    report_jobs = [
        _job(notebook, source, out_dir, q, team, extra, export, shared_inputs)
        for q in quarters
        # The company roll-up is the longest report: start it first.
        for team in sorted(teams, key=lambda t: (t != ALL_TEAMS, teams.index(t)))
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
        own_pool = pool is None or not pool.serves(notebook.parent, source)
        if own_pool:
            pool = KernelPool(_checked_jobs(jobs, len(to_render)), notebook.parent, source)
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


def _job(notebook, source, out_dir, quarter, team, extra, export, shared_inputs) -> ReportJob:
    parameters = {"team": team, "quarter": quarter, "data_dir": source.text, **extra}
    # The data folder enters the fingerprint by content, not by where it lies.
    recorded = {**parameters, "data_dir": source.label}
    html_path, failed_notebook = report_paths(out_dir, quarter, team)
    return ReportJob(
        team=team,
        quarter=quarter,
        html_path=html_path,
        notebook=notebook,
        parameters=parameters,
        failed_notebook=failed_notebook,
        export=export,
        source=source,
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


def _remove_stale_temporaries(quarter_dir: Path) -> None:
    """Delete temporary files a killed run left behind (``.<name>.<random>.tmp``)."""
    if quarter_dir.is_dir():
        for leftover in quarter_dir.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)


def _checked_teams(teams: list[str]) -> list[str]:
    """Check every team name; drop exact duplicates, refuse names equal but for case."""
    if isinstance(teams, str) or not teams:
        raise ParameterError(
            f"teams must be a non-empty list of team ids, got {teams!r}; e.g. ['emea-ent', 'all']."
        )
    unique = list(dict.fromkeys(check_team(team) for team in teams))
    for other, team, *_ in team_id_clashes(unique):
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
