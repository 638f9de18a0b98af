"""Batch rendering across runs: reused kernels, incremental builds, the manifest, exports, kills."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat import v4

from helpers.reports.runner import render_reports

TINY_DATA = Path(__file__).parent / "data" / "tiny"

pytestmark = pytest.mark.slow

PARAMETERS = """\
team = "x"  # str: team id
quarter = "2026Q3"  # str: fiscal quarter
data_dir = "."  # str: data folder
"""


def _notebook(path: Path, *cells: str) -> Path:
    """A parameterized notebook: a parameters cell, then ``cells`` as code cells."""
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("# Fixture report"),
            v4.new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
            *(v4.new_code_cell(source) for source in cells),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, path)
    return path


@pytest.fixture
def report_nb(tmp_path) -> Path:
    """Prints the team and its kernel's process id; fails if the previous report leaked."""
    return _notebook(
        tmp_path / "report.ipynb",
        "import os\n"
        "assert 'leftover' not in globals(), 'namespace of the previous report leaked'\n"
        "leftover = team\n"
        "print(f'report of {team}, kernel pid {os.getpid()}')",
    )


def _render(notebook, data_dir, out_dir, teams, **kwargs):
    return render_reports(
        notebook, data_dir, out_dir, "2026Q3", teams, show_progress=False, **kwargs
    )


def _cli_reports(notebook: Path, out_dir: Path, *options: str, data: Path = TINY_DATA) -> list[str]:
    """``workbook reports`` of 2026Q3 on the tiny data set (or ``data``), as a command line."""
    return [
        sys.executable, "-m", "helpers.cli", "reports", "--data", str(data),
        "--out", str(out_dir), "--notebook", str(notebook), "--quarter", "2026Q3", *options,
    ]  # fmt: skip


def _pid(html_path: Path) -> str:
    return re.search(r"kernel pid (\d+)", html_path.read_text(encoding="utf-8")).group(1)


def test_one_kernel_renders_many_reports_from_a_clean_namespace(tmp_path, report_nb):
    out_dir = tmp_path / "out"
    outcomes = _render(report_nb, tmp_path, out_dir, ["a", "b", "c"], jobs=1)

    assert [(o.team, o.ok) for o in outcomes] == [("a", True), ("b", True), ("c", True)]
    pids = {_pid(out_dir / "2026Q3" / f"{team}.html") for team in "abc"}
    assert len(pids) == 1  # the same kernel rendered all three, each from a clean slate


def test_second_run_renders_nothing_and_force_renders_all(tmp_path, report_nb):
    out_dir = tmp_path / "out"
    _render(report_nb, tmp_path, out_dir, ["a", "b"], jobs=2)
    html = out_dir / "2026Q3" / "a.html"
    before = html.stat().st_mtime_ns

    again = _render(report_nb, tmp_path, out_dir, ["a", "b"], jobs=2)

    assert [(o.team, o.ok, o.skipped, o.seconds) for o in again] == [
        ("a", True, True, 0.0),
        ("b", True, True, 0.0),
    ]
    assert html.stat().st_mtime_ns == before
    forced = _render(report_nb, tmp_path, out_dir, ["a", "b"], jobs=2, force=True)
    assert [o.skipped for o in forced] == [False, False]
    assert html.stat().st_mtime_ns > before


def test_manifest_records_what_was_rendered_from_what(tmp_path, report_nb):
    out_dir = tmp_path / "out"
    (tmp_path / "leads.csv").write_text("lead_id\nL1\n")
    _render(report_nb, tmp_path, out_dir, ["a"], jobs=1)

    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))

    assert manifest["schema"] == "alignment-workbook/manifest/v1"
    record = manifest["reports"]["2026Q3/a"]
    assert record["status"] == "ok"
    assert record["html"] == "2026Q3/a.html"
    assert record["html_bytes"] == (out_dir / "2026Q3" / "a.html").stat().st_size
    assert record["seconds"] > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", record["rendered_at"])
    inputs = record["inputs"]
    assert inputs["notebook_name"] == "report.ipynb"
    assert re.fullmatch(r"[0-9a-f]{64}", inputs["notebook"])
    assert re.fullmatch(r"[0-9a-f]{64}", inputs["data"])
    assert re.fullmatch(r"\d+\.\d+\.\d+\+[0-9a-f]{12}", inputs["code"])
    # the data folder by name only: no path of this machine in the manifest
    assert inputs["parameters"] == {"team": "a", "quarter": "2026Q3", "data_dir": tmp_path.name}
    assert str(tmp_path) not in json.dumps(manifest)


def test_a_changed_input_file_re_renders_exactly_the_reports_that_read_it(tmp_path, report_nb):
    data_a, data_b = tmp_path / "data_a", tmp_path / "data_b"
    for folder in (data_a, data_b):
        folder.mkdir()
        (folder / "leads.csv").write_text("lead_id\nL1\n")
    out_a, out_b = tmp_path / "out_a", tmp_path / "out_b"
    _render(report_nb, data_a, out_a, ["a", "b"], jobs=2)
    _render(report_nb, data_b, out_b, ["a", "b"], jobs=2)

    # touched but unchanged: nothing to do
    os.utime(data_a / "leads.csv", ns=(1, 1))
    assert [o.skipped for o in _render(report_nb, data_a, out_a, ["a", "b"], jobs=2)] == [
        True,
        True,
    ]
    # one byte more in data_a: both reports of data_a read it, those of data_b do not
    (data_a / "leads.csv").write_text("lead_id\nL1\nL2\n")
    assert [o.skipped for o in _render(report_nb, data_a, out_a, ["a", "b"], jobs=2)] == [
        False,
        False,
    ]
    assert [o.skipped for o in _render(report_nb, data_b, out_b, ["a", "b"], jobs=2)] == [
        True,
        True,
    ]
    # a note beside the data is not read by any report
    (data_b / "README.md").write_text("about this export")
    assert all(o.skipped for o in _render(report_nb, data_b, out_b, ["a", "b"], jobs=2))


def test_missing_or_failed_reports_are_rendered_again_and_only_they(tmp_path):
    notebook = _notebook(
        tmp_path / "flaky.ipynb",
        "from pathlib import Path\n"
        "if team == 'b' and Path(data_dir, 'break_b').exists():\n"
        "    raise RuntimeError('b is broken')\n"
        "print('report of', team)",
    )
    data = tmp_path / "data"
    data.mkdir()
    (data / "break_b").write_text("1")
    out_dir = tmp_path / "out"
    first = _render(notebook, data, out_dir, ["a", "b", "c"], jobs=2)
    assert [(o.team, o.ok) for o in first] == [("a", True), ("b", False), ("c", True)]

    (data / "break_b").unlink()  # the data changed: every report is affected
    (out_dir / "2026Q3" / "c.html").unlink()
    second = _render(notebook, data, out_dir, ["a", "b", "c"], jobs=2)
    assert [(o.team, o.ok, o.skipped) for o in second] == [
        ("a", True, False),
        ("b", True, False),
        ("c", True, False),
    ]

    (out_dir / "2026Q3" / "c.html").unlink()  # only c is missing now
    third = _render(notebook, data, out_dir, ["a", "b", "c"], jobs=2)
    assert [(o.team, o.skipped) for o in third] == [("a", True), ("b", True), ("c", False)]


def test_a_dead_kernel_fails_its_report_and_is_restarted_for_the_next(tmp_path):
    notebook = _notebook(
        tmp_path / "crash.ipynb",
        "import os\nif team == 'crash':\n    os._exit(1)\nprint('report of', team)",
    )
    out_dir = tmp_path / "out"

    outcomes = _render(notebook, tmp_path, out_dir, ["crash", "fine"], jobs=1)

    crash, fine = outcomes
    assert (crash.ok, fine.ok) == (False, True)
    assert "Kernel died" in crash.error or "DeadKernel" in crash.error
    assert "report of fine" in (out_dir / "2026Q3" / "fine.html").read_text()
    index = (out_dir / "index.html").read_text(encoding="utf-8")
    assert "failed" in index and "crash" in index


def test_export_writes_every_table_shown_as_csv_and_xlsx(tmp_path):
    notebook = _notebook(
        tmp_path / "tables.ipynb",
        "import pandas as pd\n"
        "from helpers.reports.outputs import show_table\n"
        "show_table(pd.DataFrame({'stage': ['lead', 'mql'], 'volume': [10, 4]}), 'funnel')\n"
        "show_table(pd.DataFrame({'team': [team], 'rate': [0.25]}), 'rates', html='<p>r</p>')",
    )
    out_dir = tmp_path / "out"

    (csv_outcome,) = _render(notebook, tmp_path, out_dir, ["north"], jobs=1, export="csv")

    folder = out_dir / "2026Q3" / "north.tables"
    assert csv_outcome.export == folder
    assert sorted(p.name for p in folder.iterdir()) == ["01_funnel.csv", "02_rates.csv"]
    assert (folder / "01_funnel.csv").read_text() == "stage,volume\nlead,10\nmql,4\n"
    assert (folder / "02_rates.csv").read_text() == "team,rate\nnorth,0.25\n"
    page = (out_dir / "2026Q3" / "north.html").read_text(encoding="utf-8")
    assert "alignment-workbook.table" not in page  # the data rides along, unseen
    assert "<p>r</p>" in page

    (xlsx_outcome,) = _render(notebook, tmp_path, out_dir, ["north"], jobs=1, export="xlsx")
    assert not xlsx_outcome.skipped  # another export format is another input
    sheets = pd.read_excel(out_dir / "2026Q3" / "north.xlsx", sheet_name=None)
    assert list(sheets) == ["funnel", "rates"]
    assert sheets["funnel"].to_dict("list") == {"stage": ["lead", "mql"], "volume": [10, 4]}
    index = (out_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="2026Q3/north.xlsx"' in index


def test_a_killed_run_is_completed_by_the_next(tmp_path):
    notebook = _notebook(
        tmp_path / "slow.ipynb",
        "import os, time\n"
        "if team == os.environ.get('SLOW_TEAM'):\n"
        "    time.sleep(60)\n"
        "print('report of', team)",
    )
    out_dir = tmp_path / "out"
    command = _cli_reports(notebook, out_dir, "--team", "north", "--team", "south", "--jobs", "1")
    slow_south = {**os.environ, "SLOW_TEAM": "south"}  # the kernels inherit it
    run = subprocess.Popen(
        command, start_new_session=True, stderr=subprocess.DEVNULL, env=slow_south
    )
    manifest = out_dir / "manifest.json"
    deadline = time.monotonic() + 120
    while "2026Q3/north" not in (manifest.read_text() if manifest.exists() else ""):
        assert time.monotonic() < deadline and run.poll() is None, "north was never recorded"
        time.sleep(0.2)
    time.sleep(1)  # south is sleeping in its kernel now
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert json.loads(manifest.read_text())["reports"].keys() == {"2026Q3/north"}
    assert not (out_dir / "2026Q3" / "south.html").exists()

    # the next run (south no longer slow) renders only what is missing
    finish = subprocess.run(command, capture_output=True, text=True, timeout=300)

    assert finish.returncode == 0, finish.stderr
    assert "1 report(s) rendered, 1 up to date, 0 failed" in finish.stdout
    assert "report of south" in (out_dir / "2026Q3" / "south.html").read_text()
    assert not list((out_dir / "2026Q3").glob(".*"))  # no temporary file left behind


def test_cli_failure_keeps_previous_report_and_exits_non_zero(tmp_path):
    notebook = _notebook(
        tmp_path / "fails_for_south.ipynb",
        "import os\n"
        "if team == 'south' and os.environ.get('BREAK_SOUTH'):\n"
        "    raise ValueError('no pipeline for ' + team)\n"
        "print('report of', team)",
    )
    out_dir = tmp_path / "out"
    command = _cli_reports(notebook, out_dir)
    good = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert good.returncode == 0, good.stderr
    previous = (out_dir / "2026Q3" / "south.html").read_bytes()

    env = {**os.environ, "BREAK_SOUTH": "1"}
    bad = subprocess.run(
        [*command, "--force"], capture_output=True, text=True, timeout=300, env=env
    )

    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    assert "failed: 2026Q3 south: cell 3: ValueError: no pipeline for south" in bad.stderr
    assert "2 report(s) rendered, 0 up to date, 1 failed" in bad.stdout
    assert (out_dir / "2026Q3" / "south.html").read_bytes() == previous
    assert (out_dir / "2026Q3" / "_failed" / "south.ipynb").is_file()
    index = (out_dir / "index.html").read_text(encoding="utf-8")
    assert "cell 3: ValueError: no pipeline for south" in index
    assert 'href="2026Q3/_failed/south.ipynb"' in index
    assert "previous report kept" in index
    record = json.loads((out_dir / "manifest.json").read_text())["reports"]["2026Q3/south"]
    assert (record["status"], record["html"]) == ("failed", "2026Q3/south.html")


# Modules a re-run with nothing changed must not import: the data stack, the notebook stack and
# the progress bar. It decides from the manifest and the file hashes alone (click and the
# standard library).
NOT_FOR_A_NO_CHANGE_RUN = (
    "pandas", "numpy", "scipy", "pandera", "pyarrow", "matplotlib", "seaborn",
    "nbformat", "nbconvert", "papermill", "jupyter_client", "tqdm",
)  # fmt: skip

_PROBE = f"""\
import json, sys
from helpers.cli import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
imported = sorted(m for m in {NOT_FOR_A_NO_CHANGE_RUN!r} if m in sys.modules)
print(json.dumps({{"exit": code, "imported": imported}}))
"""


def _probe(command: list[str]) -> tuple[dict, str]:
    """Run ``workbook reports`` in a fresh interpreter; its exit code and what it imported."""
    args = command[command.index("reports") :]
    run = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    *shown, probe = run.stdout.strip().splitlines()
    return json.loads(probe), "\n".join(shown)


def _tiny_copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for path in TINY_DATA.iterdir():
        (data / path.name).write_bytes(path.read_bytes())
    return data


def test_reports_leave_the_data_stack_to_the_kernels_and_a_no_change_re_run_to_stdlib(
    tmp_path, report_nb
):
    data, out_dir = _tiny_copy(tmp_path), tmp_path / "out"
    command = _cli_reports(report_nb, out_dir, data=data)
    first, shown = _probe(command)
    assert "3 report(s) rendered, 0 up to date, 0 failed" in shown
    # The first run renders (notebook stack), but the names are checked against the teams
    # and quarters the kernels loaded: the data stack stays out of this process.
    assert first["exit"] == 0
    assert {"pandas", "numpy", "scipy", "pandera", "pyarrow"} & set(first["imported"]) == set()
    assert {"papermill", "nbconvert"} <= set(first["imported"])
    html = {p: p.read_bytes() for p in (out_dir / "2026Q3").glob("*.html")}
    assert sorted(p.name for p in html) == ["all.html", "north.html", "south.html"]

    result, shown = _probe(command)

    assert result == {"exit": 0, "imported": []}
    assert "0 report(s) rendered, 3 up to date, 0 failed" in shown
    assert {p: p.read_bytes() for p in html} == html
    # touching a data file without changing it is no change either
    os.utime(data / "teams.csv", ns=(1, 1))
    assert _probe(command) == ({"exit": 0, "imported": []}, shown)


def test_a_re_run_still_sees_a_changed_data_file_or_notebook(tmp_path, report_nb):
    data, out_dir = _tiny_copy(tmp_path), tmp_path / "out"
    command = _cli_reports(report_nb, out_dir, data=data)
    subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    before = (out_dir / "2026Q3" / "north.html").stat().st_mtime_ns

    teams = data / "teams.csv"
    teams.write_text(teams.read_text().replace("North Pod", "North Team"))
    changed_data = subprocess.run(command, capture_output=True, text=True, timeout=300)

    assert "3 report(s) rendered, 0 up to date, 0 failed" in changed_data.stdout
    assert (out_dir / "2026Q3" / "north.html").stat().st_mtime_ns > before
    record = json.loads((out_dir / "manifest.json").read_text())
    assert record["data"]["teams"] == ["north", "south"]

    report_nb.write_text(report_nb.read_text().replace("report of", "the report of"))
    result, shown = _probe(command)

    assert result["exit"] == 0
    assert "3 report(s) rendered, 0 up to date, 0 failed" in shown
    assert "the report of north" in (out_dir / "2026Q3" / "north.html").read_text()


def test_reports_on_data_that_does_not_load_say_why_and_write_nothing(tmp_path, report_nb):
    data, out_dir = _tiny_copy(tmp_path), tmp_path / "out"
    leads = data / "leads.csv"
    header, first, *rest = leads.read_text().splitlines()
    lead_id, created_at, *others = first.split(",")
    leads.write_text("\n".join([header, ",".join([lead_id, "notadate", *others]), *rest]) + "\n")

    run = subprocess.run(
        _cli_reports(report_nb, out_dir, data=data), capture_output=True, text=True, timeout=300
    )

    # the kernels cannot load it, so this process loads it and names the problem
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "leads.csv, column 'created_at': 1 value(s) are not ISO 8601 timestamps" in run.stderr
    assert "'notadate' (line 2)" in run.stderr
    assert not (out_dir / "2026Q3").exists()
