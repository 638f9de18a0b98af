"""Batch rendering: papermill execution, offline HTML, failure isolation, the index page."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from helpers.errors import ParameterError, RenderError
from helpers.reports.index_page import write_index
from helpers.reports.jobs import ReportOutcome
from helpers.reports.render import (
    HtmlConverter,
    check_parameters,
    execute_notebook,
    notebook_to_html,
)
from helpers.reports.runner import render_reports

NOTEBOOKS = Path(__file__).parent / "notebooks"
TINY = NOTEBOOKS / "tiny_report.ipynb"
BROKEN = NOTEBOOKS / "broken.ipynb"

pytestmark = pytest.mark.slow

# A resource the browser would fetch: src/href of script, link, img, iframe... pointing off-page.
EXTERNAL_RESOURCE = re.compile(
    r"""<[a-z]+\b[^>]*\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I
)


def _assert_offline(page: str) -> None:
    assert "<script src=" not in page
    assert not re.search(r"<script\b[^>]*\bsrc\s*=", page, re.I)
    assert not re.search(r"<link\b[^>]*\bhref\s*=", page, re.I)
    assert not EXTERNAL_RESOURCE.search(page)
    assert "@import" not in page


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """Two teams rendered once for the tests that only read the result."""
    root = tmp_path_factory.mktemp("grid")
    out_dir = root / "reports"
    outcomes = render_reports(
        TINY, root, out_dir, "2026Q3", ["emea-ent", "all"], jobs=2, show_progress=False
    )
    return out_dir, outcomes


def test_renders_every_team(grid):
    out_dir, outcomes = grid
    assert [(o.quarter, o.team, o.ok) for o in outcomes] == [
        ("2026Q3", "all", True),
        ("2026Q3", "emea-ent", True),
    ]
    for team in ("emea-ent", "all"):
        page = (out_dir / "2026Q3" / f"{team}.html").read_text(encoding="utf-8")
        assert f"Report for team {team}, 2026Q3" in page
        assert re.search(r'<img\b[^>]*\bsrc="data:image/png;base64,[A-Za-z0-9+/]', page)
        assert "import matplotlib" not in page  # no input code
        assert "display(Markdown" not in page
        assert "noise for the log only" not in page  # no stderr
        _assert_offline(page)
        assert str(out_dir.parent) not in page  # no path of this machine
        assert "/tmp/" not in page and "/work/" not in page
        assert "injected-parameters" not in page
    assert (
        "<title>All teams (company) — 2026Q3</title>"
        in (out_dir / "2026Q3" / "all.html").read_text()
    )
    assert not (out_dir / "2026Q3" / "_failed").exists()
    assert sorted(p.name for p in (out_dir / "2026Q3").iterdir()) == ["all.html", "emea-ent.html"]


def test_index_links_reports_relatively(grid):
    out_dir, _ = grid
    page = (out_dir / "index.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs == ["2026Q3/all.html", "2026Q3/emea-ent.html"]  # company roll-up first
    assert "All teams (company)" in page
    _assert_offline(page)


def test_failure_is_isolated_and_previous_report_kept(tmp_path):
    out_dir = tmp_path / "reports"
    previous = out_dir / "2026Q3" / "bad.html"
    previous.parent.mkdir(parents=True)
    previous.write_bytes(b"<html>previous good report \xe2\x9c\x93</html>")
    before = previous.read_bytes()

    outcomes = render_reports(
        BROKEN, tmp_path, out_dir, "2026Q3", ["good", "bad"], jobs=2, show_progress=False
    )

    bad, good = outcomes  # sorted by team
    assert (good.team, good.ok) == ("good", True)
    assert "Report for team good" in (out_dir / "2026Q3" / "good.html").read_text()
    assert (bad.team, bad.ok, bad.html_path) == ("bad", False, None)
    assert bad.error == "cell 4: ValueError: boom for bad"  # markdown, parameters, heading, boom
    assert bad.cell == 4
    assert previous.read_bytes() == before
    kept = out_dir / "2026Q3" / "_failed" / "bad.ipynb"
    assert bad.failed_notebook == kept
    errors = [
        out
        for cell in nbformat.read(kept, as_version=4).cells
        for out in cell.get("outputs", [])
        if out.output_type == "error"
    ]
    assert [(out.ename, out.evalue) for out in errors] == [("ValueError", "boom for bad")]
    assert not list((out_dir / "2026Q3").glob(".*"))  # no temporary files left behind

    index = (out_dir / "index.html").read_text(encoding="utf-8")
    assert "cell 4: ValueError: boom for bad" in index
    assert 'href="2026Q3/_failed/bad.ipynb"' in index
    assert 'href="2026Q3/bad.html"' in index  # the previous report is still linked


def test_success_removes_stale_failed_notebook(tmp_path):
    out_dir = tmp_path / "reports"
    stale = out_dir / "2026Q3" / "_failed" / "good.ipynb"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    stale_log = stale.with_suffix(".log")
    stale_log.write_text("old kernel log")

    (outcome,) = render_reports(
        BROKEN, tmp_path, out_dir, "2026Q3", ["good"], jobs=1, show_progress=False
    )

    assert outcome.ok
    assert not stale.exists()
    assert not stale_log.exists()


def test_index_keeps_reports_of_earlier_runs(tmp_path):
    out_dir = tmp_path / "reports"
    earlier = out_dir / "2026Q2" / "emea-ent.html"
    earlier.parent.mkdir(parents=True)
    earlier.write_text("<html></html>")
    (out_dir / "2026Q2" / ".emea-ent.html.x.tmp").write_text("")  # a temp file is no report

    path = write_index(out_dir, [_outcome(out_dir, "2026Q3", "all", ok=True)])

    hrefs = re.findall(r'href="([^"]*)"', path.read_text(encoding="utf-8"))
    assert hrefs == ["2026Q3/all.html", "2026Q2/emea-ent.html"]  # newest quarter first


@pytest.mark.parametrize(
    ("teams", "quarter"),
    [
        (["../etc"], "2026Q3"),
        (["a/b"], "2026Q3"),
        (["x'y"], "2026Q3"),
        (["ok", "a..b"], "2026Q3"),
        ([".hidden"], "2026Q3"),
        (["x'; import os; os.system('touch PWNED') #"], "2026Q3"),
        (["emea"], "2026Q5"),
        (["emea"], "../2026Q3"),
        (["emea"], "2026Q3\n"),
        (["emea"], "٢٠٢٦Q3"),  # non-ASCII digits
        (["EMEA", "emea"], "2026Q3"),
        ([], "2026Q3"),
    ],
    ids=[
        "team-parent",
        "team-slash",
        "team-quote",
        "team-dotdot",
        "team-hidden",
        "team-code",
        "quarter-q5",
        "quarter-parent",
        "quarter-newline",
        "quarter-arabic-digits",
        "teams-case-clash",
        "no-teams",
    ],
)
def test_unsafe_names_are_refused_before_anything_is_written(tmp_path, teams, quarter):
    out_dir = tmp_path / "reports"
    with pytest.raises(ParameterError, match=r"team|quarter"):
        render_reports(TINY, tmp_path, out_dir, quarter, teams, jobs=1, show_progress=False)
    assert not out_dir.exists()


@pytest.mark.parametrize(
    "value",
    [
        "x'; import os; os.system('touch PWNED') #",
        'x"; import os; os.system("touch PWNED") #',
        'x\\"; import os; os.system("touch PWNED") #\\',
        "x\nimport os\nos.system('touch PWNED')",
    ],
    ids=["single-quote", "double-quote", "backslash", "newline"],
)
def test_parameter_values_stay_data(tmp_path, value):
    executed = tmp_path / "executed.ipynb"

    execute_notebook(TINY, {"team": value}, executed, cwd=tmp_path)

    assert not (tmp_path / "PWNED").exists()
    assert not (NOTEBOOKS / "PWNED").exists()
    printed = [
        out.text
        for cell in nbformat.read(executed, as_version=4).cells
        for out in cell.get("outputs", [])
        if out.output_type == "stream" and out.name == "stdout"
    ]
    assert printed == [value + "\n"]


@pytest.mark.parametrize(
    "parameters",
    [{"x = 1\nimport os\ny": 1}, {"class": 1}, {"team": object()}, {"team": {1: "a"}}],
    ids=["name-with-code", "keyword-name", "object-value", "non-str-key"],
)
def test_parameters_that_are_not_plain_data_are_refused(parameters):
    with pytest.raises(ParameterError, match="parameter"):
        check_parameters(parameters)


def test_failing_cell_is_reported(tmp_path):
    executed = tmp_path / "executed.ipynb"
    with pytest.raises(RenderError, match=r"^cell 4: ValueError: boom for bad$") as info:
        execute_notebook(BROKEN, {"team": "bad"}, executed, cwd=NOTEBOOKS)
    assert info.value.cell == 4
    assert info.value.notebook == str(executed)


def test_html_is_written_atomically_and_without_metadata_paths(tmp_path):
    executed = tmp_path / "executed.ipynb"
    execute_notebook(TINY, {"team": "t<1>", "data_dir": str(tmp_path)}, executed, cwd=tmp_path)
    assert str(tmp_path) in executed.read_text()  # papermill recorded the paths...
    html_path = tmp_path / "out" / "t.html"

    notebook_to_html(executed, html_path, title='Team <b>"t"</b>')

    page = html_path.read_text(encoding="utf-8")
    assert str(tmp_path) not in page  # ...the report does not show them
    assert "<title>Team &lt;b&gt;" in page
    assert "<b>" not in page.split("</title>")[0]
    assert [p.name for p in html_path.parent.iterdir()] == ["t.html"]


def test_one_converter_for_many_reports_writes_the_pages_fresh_exporters_write(tmp_path):
    pages = {}
    for team in ("north", "south"):
        executed = tmp_path / f"{team}.ipynb"
        execute_notebook(TINY, {"team": team, "data_dir": str(tmp_path)}, executed, cwd=tmp_path)
        pages[team] = executed
    fresh, reused = tmp_path / "fresh", tmp_path / "reused"
    for team, executed in pages.items():
        notebook_to_html(executed, fresh / f"{team}.html", title=f"Team {team}")

    with HtmlConverter() as converter:
        for team, executed in pages.items():
            notebook_to_html(
                executed, reused / f"{team}.html", title=f"Team {team}", converter=converter
            )

    for team in pages:
        page = (reused / f"{team}.html").read_text(encoding="utf-8")
        assert page == (fresh / f"{team}.html").read_text(encoding="utf-8")
        assert f"<title>Team {team}</title>" in page
    # nothing of the first report carried over into the second
    assert "Team north" not in (reused / "south.html").read_text(encoding="utf-8")


def test_index_escapes_every_string(tmp_path):
    out_dir = tmp_path / "reports"
    outcome = _outcome(
        out_dir, "2026Q3", "emea", ok=False, error="cell 2: ValueError: <script>alert(1)</script>"
    )

    page = write_index(out_dir, [outcome]).read_text(encoding="utf-8")

    assert "<script>" not in page
    assert "cell 2: ValueError: &lt;script&gt;alert(1)&lt;/script&gt;" in page


def _outcome(out_dir: Path, quarter: str, team: str, *, ok: bool, error: str | None = None):
    html_path = out_dir / quarter / f"{team}.html"
    if ok:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text("<html></html>")
    return ReportOutcome(
        team=team,
        quarter=quarter,
        ok=ok,
        html_path=html_path if ok else None,
        error=error,
        cell=None if ok else 2,
        failed_notebook=None,
        seconds=1.0,
    )


def test_a_slow_warm_up_delays_the_first_report_but_does_not_fail_it(tmp_path, monkeypatch):
    # A kernel's warm-up (a data load of millions of rows) may take longer than a kernel's
    # start-up allowance; the first report's reset waits behind it as long as a cell may.
    from helpers.reports import kernels

    monkeypatch.setattr(kernels, "RESET_TIMEOUT", 2)
    warm_up = "import time\ntime.sleep(5)\nwarmed = True\n"
    with kernels.ReusableKernel("python3", tmp_path, warm_up=warm_up) as kernel:
        executed = tmp_path / "executed.ipynb"
        execute_notebook(
            TINY, {"team": "t"}, executed, kernel=kernel, execution_timeout=60, cwd=tmp_path
        )
        assert nbformat.read(executed, as_version=4).cells  # rendered, not timed out
        with pytest.raises(TimeoutError):  # the old allowance alone would have failed it
            with kernels.ReusableKernel("python3", tmp_path, warm_up=warm_up) as slow:
                slow.reset()
