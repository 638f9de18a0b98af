"""`workbook reports --scheduler`: the report grid rendered on a (local) Dask cluster."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
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


def _reports(out_dir: Path, *options: str, data: Path = TINY, env: dict | None = None):
    """Run ``workbook reports`` of 2026Q3 for north, south and all on ``data``."""
    command = [
        sys.executable, "-m", "helpers.cli", "reports", "--data", str(data),
        "--out", str(out_dir), "--quarter", "2026Q3",
        *(f"--team={team}" for team in TEAMS), *options,
    ]  # fmt: skip
    return subprocess.run(
        command, capture_output=True, text=True, timeout=240, env={**os.environ, **(env or {})}
    )


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
    page = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "IMAGE", page)
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
    nb = v4.new_notebook(
        cells=[
            v4.new_code_cell(
                'team = "x"  # str: team id\nquarter = "2026Q3"  # str: quarter\n'
                'data_dir = "."  # str: data folder',
                metadata={"tags": ["parameters"]},
            ),
            v4.new_code_cell(
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
                "from helpers.report_outputs import show_table\n"
                "show_table(pd.DataFrame({'team': [team]}), 'who')\n"
                "print('report of', team)"
            ),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, path)
    return path


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
    monkeypatch.delitem(sys.modules, "helpers.distributed", raising=False)

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
            "import sys, helpers.cli, helpers.runner; "
            "assert not {'dask', 'distributed'} & set(sys.modules), 'dask imported'",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr


def test_each_worker_reuses_its_kernel(cluster, tmp_path):
    notebook = v4.new_notebook(
        cells=[
            v4.new_code_cell(
                'team = "x"  # str: team id\nquarter = "2026Q3"  # str: quarter\n'
                'data_dir = "."  # str: data folder',
                metadata={"tags": ["parameters"]},
            ),
            v4.new_code_cell("import os\nprint(f'kernel pid {os.getpid()}')"),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(notebook, tmp_path / "pid.ipynb")
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
