"""The ``workbook`` command line: validate data, sample data, reports, workshops.

Errors the workbook raises on purpose are printed as a few lines and exit non-zero; a
traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .errors import WorkbookError
from .reports.paths import (
    DATA_FOLDER,
    NOTEBOOK,
    OUTPUT_FOLDER,
    REPORT_NOTEBOOK,
    SESSION_NOTEBOOK,
    TRAINING_NOTEBOOKS,
)

DEFAULT_DATA = "data/sample"
DEFAULT_OUT = "reports"


class _DataSource(click.ParamType):
    """A data directory or a database URL, as one :class:`~helpers.data.source.DataSource`."""

    name = "DIR|URL"

    def convert(self, value, param, ctx):
        from .data.source import DataSource

        return DataSource.of(value)


DATA_SOURCE = _DataSource()

# Shared by every command that reads a data directory.
data_option = click.option(
    "--data",
    "data_dir",
    type=DATA_SOURCE,
    default=DEFAULT_DATA,
    show_default=True,
    help="Data directory, or a postgresql://USER@HOST:PORT/DB URL (see data/README.md).",
)


def out_option(help_text: str):
    """The ``--out`` option of the commands that write into the reports folder."""
    return click.option(
        "--out",
        "out_dir",
        type=OUTPUT_FOLDER,
        default=DEFAULT_OUT,
        show_default=True,
        help=help_text,
    )


class _Group(click.Group):
    """Turns workbook errors into short messages and exit codes."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except WorkbookError as err:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {err}", err=True)
            sys.exit(err.exit_code)


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Alignment Workbook: shared sales and marketing metrics, reports and training."""
    ctx.obj = {"debug": debug}
    _skip_iri_format_checks()


def _skip_iri_format_checks() -> None:
    """Keep jsonschema from loading its optional IRI format checks in this process.

    nbformat (under papermill and nbconvert) imports jsonschema, which imports
    ``rfc3987_syntax`` when it is installed (JupyterLab's dependencies install it), and that
    builds a grammar when imported: more than a second of CPU per run (python-jsonschema
    issue 1392). Nothing here checks the ``iri`` formats, and notebooks' schemas have none,
    so the import is made to fail as a missing optional package does; jsonschema then simply
    has no ``iri`` checker. Too late once jsonschema is loaded, so it is left alone then.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None: "import" raises ImportError


@main.command()
@click.argument("directory", type=DATA_SOURCE, default=DEFAULT_DATA)
def validate(directory: Path | str) -> None:
    """Check a data directory or database URL; print a summary (exit 0) or problems (exit 2)."""
    from .data.describe import dataset_summary

    dataset = directory.load()
    click.echo(dataset_summary(dataset))


@main.command("to-database")
@click.option("--replace", is_flag=True, help="Drop and re-create tables of the same names.")
@click.argument("directory", type=DATA_FOLDER)
@click.argument("url")
def to_database(replace: bool, directory: Path, url: str) -> None:
    """Copy the tables of data directory DIRECTORY into the PostgreSQL database URL.

    One typed table per canonical table; then `--data URL` reads them back. The folder is
    validated first. Give the password in PGPASSWORD or ~/.pgpass rather than in the URL.
    """
    from .data.database import DatabaseUrl
    from .data.to_database import copy_folder_to_database

    rows = copy_folder_to_database(directory, url, replace=replace)
    for table, count in rows.items():
        click.echo(f"{table:>14}: {count:>10,} rows")
    click.echo(f"copied to {DatabaseUrl.parse(url).masked}")


@main.command("import")
@click.option(
    "--mapping",
    "mapping_name",
    required=True,
    help="Preset name (hubspot, salesforce) or path of a mapping file (.toml).",
)
@click.option(
    "--force", is_flag=True, help="Replace OUT when an earlier `workbook import` made it."
)
@click.argument("src")
@click.argument("out", type=OUTPUT_FOLDER)
def import_command(mapping_name: str, force: bool, src: str, out: Path) -> None:
    """Turn the CRM export files in SRC into the data directory OUT, guided by a mapping.

    SRC is a folder of export files, or a postgresql:// URL whose tables are the exports
    (each file pattern of the mapping is matched against the table names).

    Writes the canonical tables, workbook.toml and import_log.md (what was read, kept,
    dropped and why), validates the result and only then puts it in place: a failed import
    writes nothing. See data/README.md for the mapping format.
    """
    from .importing.importer import import_exports
    from .importing.mapping import load_mapping
    from .importing.report import LOG_NAME

    report = import_exports(load_mapping(mapping_name), src, out, force=force)
    for line in report.summary_lines():
        click.echo(line)
    click.echo(f"log: {out / LOG_NAME}")
    click.echo(f"written to {out}")


@main.command()
@click.option(
    "--out",
    "out_dir",
    type=OUTPUT_FOLDER,
    required=True,
    help="Folder to write the data directory into.",
)
@click.option(
    "--leads",
    type=click.IntRange(min=100),
    default=None,
    help="Number of leads (default: the bundled sample's size).",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
@click.option(
    "--teams",
    type=click.IntRange(min=6),
    default=6,
    show_default=True,
    help="Number of teams; more than six splits each of the six into sub-teams (e.g. 60).",
)
def sample(out_dir: Path, leads: int | None, seed: int, teams: int) -> None:
    """Generate a realistic sample data directory (deterministic for a given seed)."""
    from .data.sample import generate_sample

    kwargs = {"seed": seed, "show_progress": True, "teams": teams}
    if leads is not None:
        kwargs["leads"] = leads
    rows = generate_sample(out_dir, **kwargs)
    for table, count in rows.items():
        click.echo(f"{table:>14}: {count:>10,} rows")
    click.echo(f"written to {out_dir}")


@main.command()
@click.option("--team", default="all", show_default=True, help="Team id, or 'all' for the company.")
@click.option("--quarter", default=None, help="Fiscal quarter (default: latest complete).")
@data_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="Output format (JSON schema: alignment-workbook/metrics/v1).",
)
def metrics(team: str, quarter: str | None, data_dir: Path, fmt: str) -> None:
    """Print every shared KPI of a team and quarter with counts, interval, target and status."""
    from .analysis.workbook import Workbook
    from .reports.kpi_formats import kpis_csv, kpis_json, kpis_text

    workbook = Workbook.load(data_dir)
    chosen = quarter or str(workbook.dataset.latest_complete_quarter)
    view = workbook.view(team, chosen)
    render = {"table": kpis_text, "json": kpis_json, "csv": kpis_csv}[fmt]
    click.echo(render(view), nl=fmt != "csv")


class _OutputCsv(click.ParamType):
    """A new or replaceable ``.csv`` file in a folder that takes new files (checked at once)."""

    name = "FILE.csv"

    def convert(self, value, param, ctx):
        from .reports.paths import output_folder_problem

        path = Path(value)
        fix = "Fix: pass a .csv file name in a folder you may write in"
        if not str(value).strip() or path.suffix.lower() != ".csv":
            self.fail(f"{value!r}: is not a .csv file name. {fix}", param, ctx)
        if path.is_dir():
            self.fail(f"{value}: is a folder. {fix}", param, ctx)
        problem = output_folder_problem(path.parent if str(path.parent) else Path("."))
        if problem is not None:
            self.fail(f"{value}: its folder {problem}", param, ctx)
        return path


@main.command()
@data_option
@click.option(
    "--out",
    "out_file",
    type=_OutputCsv(),
    required=True,
    help="CSV file to write (replaced atomically): lead_id, score, model_version, model_date.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the model.")
def score(data_dir, out_file: Path, seed: int) -> None:
    """Score every open lead with the trained lead model, for the CRM to import.

    The model (see docs/lead-scoring.md) is trained on every lead whose 30-day outcome is known
    by the as-of date; an open lead has no SQL, no opportunity and is not left rejected. The
    score is the chance of an SQL within 30 days x 100 (0-100, like the CRM's score). No cell
    is a formula; the file is written whole or not at all. Exit status 2 on bad input.
    """
    from .analysis.workbook import Workbook
    from .data.atomic import write_text_atomically
    from .display.inert import spreadsheet_frame
    from .errors import ParameterError, RenderError
    from .prediction.lead_model import score_open_leads

    workbook = Workbook.load(data_dir)
    scores = score_open_leads(workbook, seed=seed)
    text = spreadsheet_frame(scores).to_csv(index=False, lineterminator="\n")
    try:
        write_text_atomically(out_file, text)
    except RenderError as err:
        raise ParameterError(f"--out {out_file}: {err}") from err
    version = scores["model_version"].iloc[0] if len(scores) else "no open lead"
    click.echo(f"{len(scores):,} open lead(s) scored ({version})")
    click.echo(str(out_file))


@main.command()
@click.option("--team", default="all", show_default=True, help="Team id, or 'all' for the company.")
@click.option(
    "--quarter",
    default=None,
    help="Fiscal quarter to forecast (default: the quarter of the data's as-of date).",
)
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="YYYY-MM-DD",
    help="Day of the forecast, within the quarter (default: the data's as-of date; for an "
    "earlier quarter the same day of that quarter).",
)
@data_option
@click.option(
    "--seed", type=int, default=None, help="Monte Carlo seed (default: the workbook's, 20)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format (JSON schema: alignment-workbook/forecast/v1).",
)
def forecast(team, quarter, as_of, data_dir, seed, fmt) -> None:
    """Forecast a quarter's won revenue and won deals (P10 / P50 / P90) with its backtest.

    Uses only what was known on the as-of day; the backtest makes the same forecast on the
    same day of every earlier quarter the data allow and compares it with what was won.
    """
    from .analysis.workbook import Workbook
    from .prediction.forecast import DEFAULT_SEED, forecast_json, team_forecast
    from .reports.forecast_formats import forecast_text

    workbook = Workbook.load(data_dir)
    report = team_forecast(
        workbook, team, quarter, as_of, seed=DEFAULT_SEED if seed is None else seed
    )
    render = forecast_json if fmt == "json" else forecast_text
    click.echo(render(report))


@main.command()
@click.option(
    "--quarter",
    "quarters",
    multiple=True,
    help="Fiscal quarter, e.g. 2026Q3; repeat for several (default: latest complete).",
)
@click.option(
    "--team",
    "teams",
    multiple=True,
    help="Team id, or 'all' for the company; repeat for several (default: every team and all).",
)
@data_option
@out_option("Output folder.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Reports rendered at once, one kernel each (default: one per core). Not used with "
    "--scheduler: there each worker thread of the cluster renders one report at a time.",
)
@click.option(
    "--notebook",
    type=NOTEBOOK,
    default=REPORT_NOTEBOOK,
    show_default="the project's notebooks/reports/team_quarterly_report.ipynb",
    help="Report notebook.",
)
@click.option("--force", is_flag=True, help="Re-render reports that are up to date too.")
@click.option(
    "--export",
    type=click.Choice(["csv", "xlsx"]),
    default=None,
    help="Also write every table of each report beside it: CSV files or one Excel workbook.",
)
@click.option(
    "--send",
    "send_after",
    is_flag=True,
    help="Then mail the reports of this run to their recipients, as `workbook send` does.",
)
@click.option(
    "--scheduler",
    envvar="WORKBOOK_SCHEDULER",
    default=None,
    metavar="tcp://HOST:PORT",
    help="Render on this existing Dask cluster instead of local kernels (needs the dask "
    "extra; default: $WORKBOOK_SCHEDULER, else local).",
)
def reports(
    quarters, teams, data_dir, out_dir, jobs, notebook, force, export, send_after, scheduler
) -> None:
    """Render the HTML report of every team (and the company) for a quarter.

    Reports whose inputs (notebook, data, parameters, helpers code) did not change since
    their last good render are skipped; OUT/manifest.json records what was rendered from what.

    Exit status: 0 every report in place; 1 some report failed (its previous HTML kept);
    2 bad input, or the Dask scheduler unreachable or lost mid-run (the reports rendered
    before are kept; run again to render the rest); with --send, 3 a mail failed (run again
    later: nothing is rendered or sent twice).
    """
    _skip_iri_grammars()
    from .data.schema import ALL_TEAMS
    from .reports.jobs import check_data_source, check_quarter
    from .reports.kernel_pool import KernelPool
    from .reports.manifest import DataCatalogue, Manifest
    from .reports.runner import render_reports

    source = check_data_source(data_dir)
    # Quarters are checked for form first (the data cannot say what "2026Q5" means); teams
    # against the data, which names the teams there are. render_reports checks both again.
    quarters = [check_quarter(q) for q in quarters]
    pool = None
    if scheduler:
        # Imported only here: local rendering never imports dask. Connected first, so a wrong
        # address is reported before the data is loaded.
        from .reports.dask_pool import DaskPool

        pool = DaskPool.connect(scheduler)
    digest = source.digest()
    catalogue = _known_catalogue(digest, Manifest.read(out_dir))
    try:
        if catalogue is None:
            # The data must be loaded to check the names. The kernels load it anyway as they
            # warm up: start them and ask the first one ready, so this process needs neither
            # pandas nor a load of its own (unless the data does not load: then it loads it
            # to say what is wrong).
            size = jobs or os.cpu_count() or 1
            if teams:
                size = min(size, len(set(teams)) * max(len(set(quarters)), 1))
            if pool is None:
                pool = KernelPool(size, notebook.parent, source)
            catalogue = pool.catalogue(digest) or DataCatalogue.of(source.catalogue(), digest)
        chosen = [catalogue.check_quarter(q) for q in quarters] or [catalogue.check_quarter(None)]
        names = [catalogue.check_team(t) for t in teams] or [*catalogue.teams, ALL_TEAMS]
        outcomes = render_reports(
            notebook,
            source,
            out_dir,
            chosen,
            names,
            jobs=jobs,
            force=force,
            export=export,
            catalogue=catalogue,
            pool=pool,
        )
    finally:
        if pool is not None:
            pool.close()
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        click.echo(f"failed: {outcome.quarter} {outcome.team}: {outcome.error}", err=True)
    skipped = sum(o.skipped for o in outcomes)
    rendered = len(outcomes) - len(failed) - skipped
    click.echo(f"{rendered} report(s) rendered, {skipped} up to date, {len(failed)} failed")
    click.echo(str(Path(out_dir) / "index.html"))
    code = 1 if failed else 0
    if send_after:
        sent = _send(source, out_dir, chosen, list(teams), dry_run=False)
        code = code or sent
    if code:
        sys.exit(code)


@main.command()
@click.option(
    "--quarter",
    "quarters",
    multiple=True,
    help="Quarter whose reports to send; repeat for several (default: the latest complete).",
)
@click.option(
    "--team",
    "teams",
    multiple=True,
    help="Only this team's report ('all': the company's); repeat for several (default: every "
    "team with recipients, and the index to the leadership list).",
)
@data_option
@out_option("Report folder (its manifest.json; the log goes to delivery.json there).")
@click.option("--dry-run", is_flag=True, help="Print what would go where; send nothing.")
def send(quarters, teams, data_dir, out_dir, dry_run) -> None:
    """Mail each team's report to its recipients, and the index to the leadership list.

    Recipients and the mail server are in the data folder's workbook.toml ([delivery],
    [delivery.recipients], [smtp]; the password in the environment variable [smtp]
    password_env names). Each report goes once to each recipient: OUT/delivery.json records
    what went out, keyed by report, digest and recipient.

    Exit status: 0 every mail sent (now or before); 1 a report with recipients is not
    sendable (not rendered, its last render failed); 2 bad settings or input, no password,
    login refused (nothing sent); 3 a mail failed after its retries, or another send is
    running (run again later: nothing is sent twice).
    """
    code = _send(data_dir, out_dir, list(quarters), list(teams), dry_run=dry_run)
    if code:
        sys.exit(code)


def _send(source, out_dir, quarters, teams, *, dry_run: bool) -> int:
    """Run the delivery and print it; the exit status it asks for."""
    from .errors import ParameterError
    from .reports.delivery import send_reports
    from .reports.jobs import check_data_source

    source = check_data_source(source)
    if source.folder is None:
        raise ParameterError(
            f"{source.label}: recipients and the mail server are set in a data folder's "
            "workbook.toml, and a database URL has none. Fix: pass a data folder whose "
            "workbook.toml names the database in [database] url."
        )
    settings_file = str(source.folder / "workbook.toml")
    result = send_reports(
        out_dir,
        source.config.delivery,
        quarters=quarters,
        teams=teams,
        dry_run=dry_run,
        settings_file=settings_file,
        echo=lambda line, is_error=False: click.echo(line, err=is_error),
    )
    click.echo(result.summary())
    return result.exit_code


@main.command()
@click.option(
    "--session",
    default=None,
    help="Workshop session name (default: 'workshop YYYY-MM-DD', today).",
)
@click.option(
    "--team",
    "teams",
    multiple=True,
    help="Team taking part; repeat for several (default: every team in the data).",
)
@data_option
@click.option(
    "--port", type=click.IntRange(1024, 65535), default=8866, show_default=True, help="Port."
)
@click.option(
    "--ip",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Keep 127.0.0.1 unless the room's network is trusted; "
    "0.0.0.0 lets the participants' laptops join over the LAN.",
)
@click.option(
    "--anonymous",
    is_flag=True,
    help="Participants join with a nickname; pages, reports and exports show no real names.",
)
@click.option(
    "--open",
    "open_exercise",
    default="",
    help="Exercise open when the server starts (calibration, what_if, shared_goals, quiz, "
    "rejections); default: as the facilitator left it.",
)
def workshop(session, teams, data_dir, port, ip, anonymous, open_exercise) -> None:
    """Serve the five exercises to a room from one process (Solara), for one session.

    Prints the addresses participants, the facilitator and the projector open, then serves
    until Ctrl+C. Answers go to DATA/workshop.sqlite as they are given.
    """
    from .training.server import WorkshopServer

    server = WorkshopServer.prepare(
        _folder(data_dir),
        session,
        teams,
        port=port,
        ip=ip,
        anonymous=anonymous,
        open_exercise=open_exercise,
        notebooks=TRAINING_NOTEBOOKS,
    )
    click.echo(f"Workshop session: {server.session}")
    click.echo(f"Answers are stored in: {server.store}")
    click.echo(f"Participants open:  {server.participant_url}")
    click.echo(f"Facilitator opens:  {server.url('facilitator')}")
    click.echo(f"Projector shows:    {server.url('projector')}")
    click.echo(f'After the session:  workbook session-report "{server.session}"')
    click.echo("Press Ctrl+C to stop.", err=True)
    sys.exit(server.serve())


@main.command("session-report")
@click.argument("session")
@click.option(
    "--team",
    "teams",
    multiple=True,
    help="Only this team; repeat for several (default: every team with a participant).",
)
@data_option
@out_option("Reports folder; pages go to OUT/workshops/<session>/<team>.html.")
def session_report(session, teams, data_dir, out_dir) -> None:
    """Render the summary of workshop SESSION: one HTML page per team, linked from the index."""
    _skip_iri_grammars()
    from .reports.workshop_reports import render_session_report

    pages = render_session_report(
        session, _folder(data_dir), out_dir, teams=list(teams) or None, notebook=SESSION_NOTEBOOK
    )
    for page in pages:
        click.echo(f"{page.team}: {page.participants} participant(s) -> {page.html_path}")
    click.echo(str(Path(out_dir) / "index.html"))


def _skip_iri_grammars() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax`` in this process.

    When it is installed (JupyterLab's dependencies bring it), jsonschema imports it and
    compiles its grammars: 0.6–0.8 s at each start of a render, for IRI format checks that a
    notebook's schema never uses. A ``None`` entry in ``sys.modules`` makes the import fail
    cleanly, and jsonschema then goes without those checks. Only the CLI process is affected.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def _folder(source) -> Path:
    """The data folder of ``source``: the workshop's answers are stored in it."""
    from .errors import ParameterError

    if source.folder is None:
        raise ParameterError(
            f"{source.label}: a workshop stores its answers in the data folder (workshop.sqlite), "
            "and a database URL has none. Fix: pass a data folder whose workbook.toml names the "
            "database in [database] url."
        )
    return source.folder


def _known_catalogue(digest: str, manifest):
    """Teams and quarters the manifest recorded for data of this digest, else ``None``."""
    known = manifest.catalogue
    if known is None or known.digest != digest:
        return None
    return known


if __name__ == "__main__":
    main()
