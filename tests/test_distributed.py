"""`workbook reports --scheduler`: the report grid rendered on a (local) Dask cluster."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from conftest import PROJECT, TINY
from nbformat import v4

pytestmark = pytest.mark.slow

REPORT_NB = PROJECT / "notebooks" / "reports" / "team_quarterly_report.ipynb"
TEAMS = ("north", "south", "all")
# What differs between two renders of the same inputs: the stamp of when it was rendered.
STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    try:
        yield cluster
    finally:
        cluster.close()


def _command(
    out_dir: Path, *options: str, data: Path = TINY, teams: tuple[str, ...] = TEAMS
) -> list[str]:
    """``workbook reports`` of 2026Q3 for ``teams`` (north, south and all) on ``data``."""
    return [
        sys.executable, "-m", "helpers.cli", "reports", "--data", str(data),
        "--out", str(out_dir), "--quarter", "2026Q3",
        *(f"--team={team}" for team in teams), *options,
    ]  # fmt: skip


def _reports(
    out_dir: Path,
    *options: str,
    data: Path = TINY,
    env: dict | None = None,
    teams: tuple[str, ...] = TEAMS,
):
    """Run ``workbook reports`` of 2026Q3 for ``teams`` (north, south and all) on ``data``."""
    return subprocess.run(
        _command(out_dir, *options, data=data, teams=teams),
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, **(env or {})},
    )


def _notebook(path: Path, code: str) -> Path:
    """A report notebook: the parameters cell, then ``code`` in one cell."""
    nb = v4.new_notebook(
        cells=[
            v4.new_code_cell(
                'team = "x"  # str: team id\nquarter = "2026Q3"  # str: quarter\n'
                'data_dir = "."  # str: data folder',
                metadata={"tags": ["parameters"]},
            ),
            v4.new_code_cell(code),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, path)
    return path


def _error_lines(stderr: str) -> list[str]:
    """What the CLI wrote to stderr besides its progress bar (whose updates end in \\r)."""
    return [
        line for line in stderr.splitlines() if line.strip() and not line.startswith("reports:")
    ]


def _manifest(out_dir: Path) -> dict:
    return json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))["reports"]


def _assert_rendered_means_on_disk(out_dir: Path) -> None:
    """No report counted as rendered without its HTML file (of the recorded size)."""
    for key, record in _manifest(out_dir).items():
        if record["status"] == "ok":
            html = out_dir / record["html"]
            assert html.is_file(), f"{key} recorded as rendered but {html} is missing"
            assert html.stat().st_size == record["html_bytes"]


def _page_text(html: Path) -> str:
    """The report without its render stamp and embedded images."""
    page = html.read_text(encoding="utf-8")
    page = re.sub(r"data:image/(png|svg\+xml);base64,[A-Za-z0-9+/=]+", "IMAGE", page)
    return STAMP.sub("STAMP", page)


def test_grid_renders_on_the_cluster_like_locally_and_skips_on_rerun(cluster, tmp_path):
    out_dir, local_dir = tmp_path / "dist", tmp_path / "local"

    run = _reports(out_dir, "--scheduler", cluster.scheduler_address)

    assert run.returncode == 0, run.stderr
    assert "3 report(s) rendered, 0 up to date, 0 failed" in run.stdout
    assert "Traceback" not in run.stderr
    assert "reports: 100%" in run.stderr  # the same progress bar
    records = _manifest(out_dir)
    assert sorted(records) == ["2026Q3/all", "2026Q3/north", "2026Q3/south"]
    for team in TEAMS:
        page = (out_dir / "2026Q3" / f"{team}.html").read_text(encoding="utf-8")
        name = {"north": "North Pod", "south": "South Pod", "all": "All teams"}[team]
        assert name in page
        record = records[f"2026Q3/{team}"]
        assert (record["status"], record["html"]) == ("ok", f"2026Q3/{team}.html")
    index = (out_dir / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="(2026Q3/[^"]*)"', index) == [
        "2026Q3/all.html",
        "2026Q3/north.html",
        "2026Q3/south.html",
    ]
    assert not list((out_dir / "2026Q3").glob(".*"))  # no temporary file left behind
    _assert_rendered_means_on_disk(out_dir)

    # the same reports, rendered locally: same page (but for the stamp), same manifest fields
    local = _reports(local_dir, "--jobs", "2")
    assert local.returncode == 0, local.stderr
    for team in TEAMS:
        html = f"2026Q3/{team}.html"
        assert _page_text(out_dir / html) == _page_text(local_dir / html)
    local_records = _manifest(local_dir)
    for key, record in records.items():
        assert record.keys() == local_records[key].keys()
        # "code" left out: it hashes src/helpers, which may change between the two runs
        inputs, local_inputs = (dict(r["inputs"], code=None) for r in (record, local_records[key]))
        assert inputs == local_inputs
        assert record["summary"] == local_records[key]["summary"]

    # a second run, the scheduler named by the environment: every report is up to date
    again = _reports(out_dir, env={"WORKBOOK_SCHEDULER": cluster.scheduler_address})
    assert again.returncode == 0, again.stderr
    assert "0 report(s) rendered, 3 up to date, 0 failed" in again.stdout
    assert _manifest(out_dir) == records


def _faulty_notebook(path: Path, kill_flag: Path) -> Path:
    """South kills its worker process once (while ``kill_flag`` exists); north always fails.

    The others show a one-row table (for ``--export``).
    """
    return _notebook(
        path,
        "import os, signal, time\n"
        "from pathlib import Path\n"
        f"flag = Path({str(kill_flag)!r})\n"
        "if team == 'south' and flag.exists():\n"
        "    flag.unlink()\n"
        "    os.kill(os.getppid(), signal.SIGKILL)  # the kernel's parent: the worker\n"
        "    time.sleep(60)\n"
        "if team == 'north':\n"
        "    raise ValueError('no pipeline for ' + team)\n"
        "import pandas as pd\n"
        "from helpers.reports.outputs import show_table\n"
        "show_table(pd.DataFrame({'team': [team]}), 'who')\n"
        "print('report of', team)",
    )


def test_killed_worker_is_retried_and_a_failing_report_fails_alone(cluster, tmp_path):
    kill_flag = tmp_path / "kill-south-once"
    kill_flag.write_text("1")
    notebook = _faulty_notebook(tmp_path / "faulty.ipynb", kill_flag)
    out_dir = tmp_path / "out"
    previous = out_dir / "2026Q3" / "north.html"
    previous.parent.mkdir(parents=True)
    previous.write_text("<html>previous good north</html>")

    scheduler = cluster.scheduler_address
    run = _reports(
        out_dir, "--notebook", str(notebook), "--export", "csv", "--scheduler", scheduler
    )

    assert not kill_flag.exists()  # south did kill a worker
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert "failed: 2026Q3 north: cell 2: ValueError: no pipeline for north" in run.stderr
    assert "2 report(s) rendered, 0 up to date, 1 failed" in run.stdout
    records = _manifest(out_dir)
    assert {key: r["status"] for key, r in records.items()} == {
        "2026Q3/all": "ok",
        "2026Q3/north": "failed",
        "2026Q3/south": "ok",  # run again on a live worker
    }
    assert "report of south" in (out_dir / "2026Q3" / "south.html").read_text()
    tables = out_dir / "2026Q3" / "south.tables"
    assert [p.name for p in tables.iterdir()] == ["01_who.csv"]  # sent back with the page
    assert (tables / "01_who.csv").read_text() == "team\nsouth\n"
    assert records["2026Q3/south"]["export"] == "2026Q3/south.tables"
    assert not (out_dir / "2026Q3" / "north.tables").exists()
    assert previous.read_text() == "<html>previous good north</html>"
    kept = out_dir / "2026Q3" / "_failed" / "north.ipynb"
    errors = [
        (out.ename, out.evalue)
        for cell in nbformat.read(kept, as_version=4).cells
        for out in cell.get("outputs", [])
        if out.output_type == "error"
    ]
    assert errors == [("ValueError", "no pipeline for north")]
    assert records["2026Q3/north"]["failed_notebook"] == "2026Q3/_failed/north.ipynb"
    _assert_rendered_means_on_disk(out_dir)


def test_unreachable_scheduler_is_one_line_and_exit_2(tmp_path):
    pytest.importorskip("distributed")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"

    run = _reports(tmp_path / "out", "--scheduler", address)

    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0, run.stderr
    assert run.stderr.startswith(f"error: cannot reach the Dask scheduler at '{address}'")
    assert not (tmp_path / "out").exists()


def test_malformed_scheduler_address_is_refused_at_once(tmp_path):
    pytest.importorskip("distributed")
    run = _reports(tmp_path / "out", "--scheduler", "nowhere")

    assert run.returncode == 2
    assert run.stderr.strip() == (
        "error: 'nowhere' is not a Dask scheduler address (ValueError: missing port number in "
        "address 'nowhere'); write it as tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786."
    )


def test_without_dask_scheduler_says_which_extra_to_install(tmp_path, monkeypatch):
    from helpers.cli import main

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "helpers.reports.dask_pool", raising=False)

    result = CliRunner().invoke(
        main, ["reports", "--data", str(TINY), "--out", str(tmp_path), "--scheduler", "x:1"]
    )

    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: --scheduler needs dask, which is not installed; "
        "install the dask extra: pip install -e '.[dask]'"
    ]


def test_local_rendering_does_not_import_dask():
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, helpers.cli, helpers.reports.runner; "
            "assert not {'dask', 'distributed'} & set(sys.modules), 'dask imported'",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr


def test_each_worker_reuses_its_kernel(cluster, tmp_path):
    _notebook(tmp_path / "pid.ipynb", "import os\nprint(f'kernel pid {os.getpid()}')")
    out_dir = tmp_path / "out"

    run = _reports(
        out_dir, "--notebook", str(tmp_path / "pid.ipynb"), "--scheduler", cluster.scheduler_address
    )

    assert run.returncode == 0, run.stderr
    pids = {
        re.search(r"kernel pid (\d+)", (out_dir / "2026Q3" / f"{team}.html").read_text()).group(1)
        for team in TEAMS
    }
    assert len(pids) <= 2  # three reports, two workers: one kernel each, not one per report


# --- A scheduler that goes away, a report that kills every worker, Excel exports ----------


@pytest.fixture
def scheduler_process(tmp_path):
    """A scheduler and one worker (one thread), each a process of its own on 127.0.0.1.

    Yields the scheduler's address and its process, for a test to kill. Both are killed at
    the end (the worker's kernels end with it: they watch their parent).
    """
    pytest.importorskip("distributed")
    from distributed import Client

    info = tmp_path / "scheduler.json"
    logs = tmp_path / "cluster-logs"
    logs.mkdir()
    processes: list[subprocess.Popen] = []

    def start(name: str, *arguments: str) -> subprocess.Popen:
        with open(logs / f"{name}.log", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "dask", *arguments],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        return process

    try:
        scheduler = start(
            "scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0",
            "--no-dashboard", "--scheduler-file", str(info),
        )  # fmt: skip
        start(
            "worker", "worker", "--scheduler-file", str(info), "--host", "127.0.0.1",
            "--nthreads", "1", "--nworkers", "1", "--no-nanny", "--no-dashboard",
        )  # fmt: skip
        with Client(scheduler_file=str(info), timeout=60, set_as_default=False) as client:
            client.wait_for_workers(1, timeout=60)
            address = client.scheduler.address
        assert address.startswith("tcp://127.0.0.1:")
        yield address, scheduler
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


def _records_so_far(out_dir: Path) -> dict:
    """The manifest's reports while a run writes it (atomically); empty before it exists."""
    try:
        return _manifest(out_dir)
    except FileNotFoundError:
        return {}


def test_lost_scheduler_keeps_what_landed_and_says_what_did_not(scheduler_process, tmp_path):
    address, scheduler = scheduler_process
    release = tmp_path / "release"
    # "all" (rendered first) lands at once; north and south wait for the release file, which
    # comes only after the scheduler is gone (or after 90 s, so nothing is left hanging).
    notebook = _notebook(
        tmp_path / "slow.ipynb",
        "import time\n"
        "from pathlib import Path\n"
        f"release = Path({str(release)!r})\n"
        "deadline = time.monotonic() + 90\n"
        "while team != 'all' and not release.exists() and time.monotonic() < deadline:\n"
        "    time.sleep(0.1)\n"
        "print('report of', team)",
    )
    out_dir = tmp_path / "out"
    previous = out_dir / "2026Q3" / "north.html"
    previous.parent.mkdir(parents=True)
    previous.write_text("<html>previous good north</html>")

    cli = subprocess.Popen(
        _command(out_dir, "--notebook", str(notebook), "--scheduler", address),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while "2026Q3/all" not in _records_so_far(out_dir):
            assert cli.poll() is None, cli.communicate()
            assert time.monotonic() < deadline, "the first report never landed"
            time.sleep(0.05)
        scheduler.kill()  # SIGKILL: no goodbye to the client; north is running, south queued
        stdout, stderr = cli.communicate(timeout=60)
    finally:
        release.write_text("go")
        if cli.poll() is None:
            cli.kill()
            cli.communicate()

    assert cli.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert _error_lines(stderr) == [
        f"error: lost the connection to the Dask scheduler at '{address}' while rendering: "
        "of 3 report(s), 1 rendered (2026Q3/all), 0 failed and 2 not rendered "
        "(2026Q3/north, 2026Q3/south); the rendered and failed ones are recorded in the "
        "manifest, the others are left as they were (previous HTML, if any, untouched). "
        "Run the same command again once the scheduler is back: reports up to date are "
        "skipped."
    ]
    assert stdout == ""  # no "n report(s) rendered" summary for a run that did not finish
    records = _manifest(out_dir)
    assert {key: r["status"] for key, r in records.items()} == {"2026Q3/all": "ok"}
    assert "report of all" in (out_dir / "2026Q3" / "all.html").read_text()
    assert previous.read_text() == "<html>previous good north</html>"
    # nothing of north or south written, not even a temporary file
    assert sorted(p.name for p in (out_dir / "2026Q3").iterdir()) == ["all.html", "north.html"]
    _assert_rendered_means_on_disk(out_dir)

    # as the message says: the same reports again (here locally) render only what is missing
    again = _reports(out_dir, "--notebook", str(notebook), "--jobs", "2")
    assert again.returncode == 0, again.stderr
    assert "2 report(s) rendered, 1 up to date, 0 failed" in again.stdout
    assert "report of north" in previous.read_text()


def test_report_that_kills_every_worker_fails_alone_with_the_number_of_deaths(tmp_path):
    distributed = pytest.importorskip("distributed")
    import dask

    deaths = tmp_path / "deaths"
    notebook = _notebook(
        tmp_path / "killer.ipynb",
        "import os, signal, time\n"
        "if team == 'south':\n"
        f"    with open({str(deaths)!r}, 'a') as log:\n"
        "        log.write('died\\n')\n"
        "    os.kill(os.getppid(), signal.SIGKILL)  # the kernel's parent: the worker\n"
        "    time.sleep(60)\n"
        "print('report of', team)",
    )
    out_dir = tmp_path / "out"
    # Read by the scheduler as it starts: give a task up once a second worker died running
    # it (1 retry), and send a worker one task at a time, so that a death is not also
    # counted against a report queued behind south on the same worker.
    settings = {
        "distributed.scheduler.allowed-failures": 1,
        "distributed.scheduler.worker-saturation": 1.0,
    }
    with dask.config.set(settings):
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            # its HTTP server (health, metrics) on a free port: the module's cluster has 8787
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        )
    try:
        run = _reports(
            out_dir, "--notebook", str(notebook), "--scheduler", cluster.scheduler_address
        )
    finally:
        cluster.close()

    assert deaths.read_text() == "died\n" * 2  # allowed-failures 1: tried on 2 workers
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    error = (
        r"the worker rendering it died 2 times \(the last one: tcp://127\.0\.0\.1:\d+\); Dask "
        r"gave up after distributed\.scheduler\.allowed-failures = 1 retry\. Killed, or out of "
        r"memory\? See the workers' logs\."
    )
    lines = _error_lines(run.stderr)
    assert len(lines) == 1 and re.fullmatch(f"failed: 2026Q3 south: {error}", lines[0]), lines
    assert "2 report(s) rendered, 0 up to date, 1 failed" in run.stdout
    records = _manifest(out_dir)
    assert {key: r["status"] for key, r in records.items()} == {
        "2026Q3/all": "ok",
        "2026Q3/north": "ok",
        "2026Q3/south": "failed",
    }
    assert re.fullmatch(error, records["2026Q3/south"]["error"])
    assert records["2026Q3/south"]["html"] is None
    for team in ("north", "all"):
        assert f"report of {team}" in (out_dir / "2026Q3" / f"{team}.html").read_text()
    assert not (out_dir / "2026Q3" / "south.html").exists()
    _assert_rendered_means_on_disk(out_dir)


def _sheets(path: Path) -> dict[str, list[tuple]]:
    """Every sheet of an Excel file as rows of cell values; the render stamp blanked out."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {
            sheet.title: [
                ("rendered at (UTC)", "STAMP") if row and row[0] == "rendered at (UTC)" else row
                for row in sheet.iter_rows(values_only=True)
            ]
            for sheet in book.worksheets
        }
    finally:
        book.close()


def _row(sheet: list[tuple], first: str) -> dict:
    """The row of ``sheet`` whose first cell is ``first``, keyed by the header."""
    header, *rows = sheet
    (row,) = [row for row in rows if row[0] == first]
    return dict(zip(header, row, strict=True))


def test_xlsx_exports_come_back_from_the_workers_like_a_local_run(cluster, tmp_path):
    pytest.importorskip("openpyxl")
    out_dir, local_dir = tmp_path / "dist", tmp_path / "local"

    teams = ("north", "all")  # a team's report and the company's (with its team ranking)

    run = _reports(
        out_dir, "--export", "xlsx", "--scheduler", cluster.scheduler_address, teams=teams
    )
    local = _reports(local_dir, "--export", "xlsx", "--jobs", "2", teams=teams)

    assert run.returncode == 0, run.stderr
    assert local.returncode == 0, local.stderr
    records = _manifest(out_dir)
    assert sorted(records) == ["2026Q3/all", "2026Q3/north"]
    for team in teams:
        assert records[f"2026Q3/{team}"]["export"] == f"2026Q3/{team}.xlsx"
        sheets = _sheets(out_dir / "2026Q3" / f"{team}.xlsx")
        assert len(sheets) > 10  # every table of the report, not an empty workbook
        assert sheets == _sheets(local_dir / "2026Q3" / f"{team}.xlsx")
    assert not list((out_dir / "2026Q3").glob(".*"))  # no temporary file left behind

    # A few cells worked out from tests/data/tiny: in 2026Q3 north created O1 (marketing,
    # EUR 1,000) and O2 (sales, EUR 500); O1 and south's O3 (EUR 2,000, no source) were won
    # and O2 lost, all three closed in the quarter.
    north = _sheets(out_dir / "2026Q3" / "north.xlsx")
    marketing = _row(north["pipeline_by_source"], "marketing")
    assert (marketing["opportunities"], marketing["amount"]) == (1, 1000)
    assert marketing["share"] == pytest.approx(1000 / 1500)
    company = _sheets(out_dir / "2026Q3" / "all.xlsx")
    assert _row(company["won_revenue_by_source"], "marketing")["share"] == pytest.approx(1 / 3)
    assert _row(company["deal_metrics"], "Win rate (won / closed)")["value"] == "66.7%"
    assert _row(company["reproducibility"], "team")["value"] == "all"


def test_scheduler_lost_message_names_at_most_five_reports_of_each_kind():
    pytest.importorskip("distributed")
    from helpers.errors import SchedulerError, SchedulerLost

    lost = SchedulerLost(
        "tcp://10.0.0.5:8786",
        rendered=["2026Q3/all"],
        failed=[],
        not_rendered=[f"2026Q3/t{n}" for n in range(1, 8)],
        cause="CommClosedError: Stream is closed",
    )

    assert isinstance(lost, SchedulerError) and lost.exit_code == 2
    assert str(lost) == (
        "lost the connection to the Dask scheduler at 'tcp://10.0.0.5:8786' while rendering "
        "(CommClosedError: Stream is closed): of 8 report(s), 1 rendered (2026Q3/all), "
        "0 failed and 7 not rendered (2026Q3/t1, 2026Q3/t2, 2026Q3/t3, 2026Q3/t4, 2026Q3/t5 "
        "and 2 more); the rendered and failed ones are recorded in the manifest, the others "
        "are left as they were (previous HTML, if any, untouched). Run the same command "
        "again once the scheduler is back: reports up to date are skipped."
    )
    assert lost.not_rendered[5:] == ["2026Q3/t6", "2026Q3/t7"]  # all of them kept as fields


class _Finished:
    """A stand-in for a dask future whose result did not come back: only its status."""

    def __init__(self, status: str):
        self.status = status


def _cancelled(reason: str):
    from distributed.client import FutureCancelledError

    return FutureCancelledError("workbook-report-2026Q3-north-0", reason)


def _killed_worker(allowed_failures: int):
    from types import SimpleNamespace

    from distributed import KilledWorker

    last_worker = SimpleNamespace(address="tcp://10.0.0.7:40000")  # a WorkerState's address
    return KilledWorker("workbook-report-2026Q3-north-0", last_worker, allowed_failures)


def _gather_cancelled(reason: str):
    from distributed.client import (
        CancelledFuturesGroup,
        FutureCancelledError,
        FuturesCancelledError,
    )

    error = FutureCancelledError("workbook-report-2026Q3-north-0", reason)
    return FuturesCancelledError([CancelledFuturesGroup([error], reason)])


@pytest.mark.parametrize(
    ("status", "make_error", "expected"),
    [
        # the client lost the scheduler and cancelled its futures: no report's failure
        ("cancelled", lambda: _cancelled("scheduler-connection-lost"), "lost"),
        ("finished", lambda: _gather_cancelled("scheduler-connection-lost"), "lost"),
        # fetching a finished report's result over a closed connection
        ("finished", lambda: OSError("Stream is closed"), "lost"),
        ("finished", lambda: TimeoutError(), "lost"),
        # the task itself raised an OSError on a worker: that report failed, the run goes on
        ("error", lambda: OSError("disk full"), "on the cluster: OSError: disk full"),
        # cancelled for another reason (another client, say): that report failed
        ("cancelled", lambda: _cancelled("client-cancelled"), "cancelled on the cluster "
         "(client-cancelled)"),
        # 3 allowed failures (dask's default): the 4th death gives up
        ("error", lambda: _killed_worker(3), "the worker rendering it died 4 times (the last "
         "one: tcp://10.0.0.7:40000); Dask gave up after distributed.scheduler.allowed-"
         "failures = 3 retries. Killed, or out of memory? See the workers' logs."),
    ],
)  # fmt: skip
def test_a_result_that_does_not_come_back_is_a_lost_scheduler_or_a_failed_report(
    tmp_path, status, make_error, expected
):
    pytest.importorskip("distributed")
    from helpers.reports.dask_pool import _ConnectionLost, _failure
    from helpers.reports.jobs import ReportJob

    job = ReportJob(
        team="north",
        quarter="2026Q3",
        html_path=tmp_path / "2026Q3" / "north.html",
        notebook=tmp_path / "report.ipynb",
    )
    error = make_error()

    if expected == "lost":
        with pytest.raises(_ConnectionLost):
            _failure(_Finished(status), job, error)
    else:
        outcome = _failure(_Finished(status), job, error)
        assert (outcome.ok, outcome.team, outcome.error) == (False, "north", expected)
