"""The rendered reports in a real browser: offline, complete, no errors, no code.

Reports of the bundled sample are rendered once through the CLI, then opened from ``file://``
URLs in headless Chromium (Debian's, driven by Playwright). Every request that is not a local
file is aborted and counted. The last tests run the same checks on hand-written bad pages, so
each check is shown to fail when it should.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import nbformat
import pytest
from conftest import PROJECT

pytestmark = [pytest.mark.slow, pytest.mark.browser]

NOTEBOOK = PROJECT / "notebooks" / "reports" / "team_quarterly_report.ipynb"
SAMPLE = PROJECT / "data" / "sample"
QUARTER = "2026Q3"
TEAM = "emea-ent"
TEAMS = (TEAM, "all")

# Elements of a code cell's input in nbconvert's lab template, and pygments-highlighted code.
CODE_INPUT_SELECTOR = (
    ".jp-CodeCell .jp-InputArea, .jp-CodeMirrorEditor, .jp-InputPrompt, .highlight, "
    ".jp-CodeCell .jp-Editor"
)
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


@dataclass
class PageVisit:
    """What one page did in the browser."""

    external_requests: list[str] = field(default_factory=list)  # aborted by the route
    requests: list[str] = field(default_factory=list)  # every request the page made
    failed_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    image_widths: list[int] = field(default_factory=list)  # naturalWidth of every <img>
    headings: list[str] = field(default_factory=list)  # text of h1-h6, without the "¶" anchor
    visible_code_inputs: int = 0
    text: str = ""  # the visible text of the body
    hrefs: list[str] = field(default_factory=list)  # href attribute of every <a>


def visit(browser, path: Path) -> PageVisit:
    """Open ``path`` from a ``file://`` URL, letting through only ``file://`` requests."""
    seen = PageVisit()

    def only_files(route):
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            seen.external_requests.append(url)
            route.abort()

    page = browser.new_page()
    try:
        page.route("**/*", only_files)
        page.on("request", lambda request: seen.requests.append(request.url))
        page.on("requestfailed", lambda request: seen.failed_requests.append(f"{request.url}"))
        page.on(
            "console",
            lambda message: message.type == "error" and seen.console_errors.append(message.text),
        )
        page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
        page.goto(path.resolve().as_uri(), wait_until="load")
        seen.image_widths = page.eval_on_selector_all(
            "img", "images => images.map(image => image.naturalWidth)"
        )
        seen.headings = [
            " ".join(text.replace("¶", " ").split())
            for text in page.locator("h1, h2, h3, h4, h5, h6").all_inner_texts()
        ]
        seen.visible_code_inputs = page.eval_on_selector_all(
            CODE_INPUT_SELECTOR,
            "elements => elements.filter(element => element.checkVisibility()).length",
        )
        seen.text = page.inner_text("body")
        seen.hrefs = page.eval_on_selector_all(
            "a[href]", "links => links.map(link => link.getAttribute('href'))"
        )
    finally:
        page.close()
    return seen


def section_headings(notebook: Path) -> list[str]:
    """Text of every ``## `` heading in the markdown cells of ``notebook``, markup removed."""
    headings = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            if fenced or not line.startswith("## "):
                continue
            text = _MARKDOWN_LINK.sub(r"\1", line[3:].strip().rstrip("#"))
            headings.append(" ".join(re.sub(r"[`*]", "", text).split()))
    return headings


def code_lines(notebook: Path) -> list[str]:
    """Lines of the code cells of ``notebook`` long enough not to appear in prose by chance."""
    lines = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "code":
            lines += [line.strip() for line in cell.source.splitlines() if len(line.strip()) >= 12]
    return lines


def missing_headings(expected: list[str], shown: list[str]) -> list[str]:
    """The expected headings that are not the text of any heading shown."""
    return [heading for heading in expected if heading not in shown]


def link_problems(index: Path, hrefs: list[str]) -> list[str]:
    """Links of the index page that are not relative or do not lead to a file in its folder."""
    root = index.parent.resolve()
    problems = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith("/"):
            problems.append(f"{href}: not relative")
            continue
        target = (root / unquote(parts.path)).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            problems.append(f"{href}: no such file in {root.name}/")
    return problems


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The sample's reports of one team and the company, rendered once through the CLI.

    Returns the output folder and the ``## `` headings of the notebook as it was rendered.
    """
    out = tmp_path_factory.mktemp("browser") / "reports"
    headings = section_headings(NOTEBOOK)  # read next to the render: the notebook may change
    command = [sys.executable, "-m", "helpers.cli", "reports", "--data", str(SAMPLE)]
    command += ["--out", str(out), "--quarter", QUARTER]
    for team in TEAMS:
        command += ["--team", team]
    done = subprocess.run(
        command, cwd=PROJECT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"render failed:\n{done.stdout}\n{done.stderr}"
    return out, headings


@pytest.fixture(scope="module")
def visits(rendered, chromium):
    """Each page (index and reports) visited once."""
    out, _ = rendered
    pages = {"index": out / "index.html"}
    pages |= {team: out / QUARTER / f"{team}.html" for team in TEAMS}
    return {name: visit(chromium, path) for name, path in pages.items()}


PAGES = ("index", *TEAMS)


@pytest.mark.parametrize("name", PAGES, ids=PAGES)
def test_page_makes_no_request_off_disk(visits, name):
    seen = visits[name]
    assert seen.requests, "the page itself should have been requested"
    assert seen.external_requests == []
    assert [url for url in seen.requests if not url.startswith("file://")] == []
    assert seen.failed_requests == []


@pytest.mark.parametrize("name", PAGES, ids=PAGES)
def test_page_logs_no_error(visits, name):
    assert visits[name].console_errors == []
    assert visits[name].page_errors == []


@pytest.mark.parametrize("team", TEAMS, ids=TEAMS)
def test_report_images_all_load(visits, team):
    widths = visits[team].image_widths
    assert widths, "a report has at least one chart"
    assert all(width > 0 for width in widths), widths


@pytest.mark.parametrize("team", TEAMS, ids=TEAMS)
def test_report_shows_every_section_of_the_notebook(visits, rendered, team):
    _, headings = rendered
    assert headings, f"no '## ' heading found in {NOTEBOOK.name}"
    assert missing_headings(headings, visits[team].headings) == []


@pytest.mark.parametrize("team", TEAMS, ids=TEAMS)
def test_report_shows_no_code(visits, team):
    seen = visits[team]
    assert seen.visible_code_inputs == 0
    shown = [line for line in code_lines(NOTEBOOK) if line in seen.text]
    assert shown == []
    # The cell papermill injects: "# Parameters", then the values the report was rendered with.
    assert "# Parameters" not in seen.text
    assert str(SAMPLE.resolve()) not in seen.text
    assert "import " not in seen.text


def test_index_links_to_each_report(rendered, visits):
    out, _ = rendered
    index = out / "index.html"
    hrefs = visits["index"].hrefs
    assert link_problems(index, hrefs) == []
    targets = {(index.parent / unquote(href)).resolve() for href in hrefs}
    assert {(out / QUARTER / f"{team}.html").resolve() for team in TEAMS} <= targets


def test_index_link_opens_the_report(rendered, chromium):
    out, _ = rendered
    page = chromium.new_page()
    try:
        page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith("file://") else route.abort()
            ),
        )
        page.goto((out / "index.html").as_uri())
        page.get_by_role("link", name=TEAM).click()  # "EMEA Enterprise emea-ent"
        page.wait_for_load_state("load")
        landed = Path(url2pathname(urlsplit(page.url).path))
        assert landed.resolve() == (out / QUARTER / f"{TEAM}.html").resolve()
        assert TEAM in page.title()
    finally:
        page.close()


# --- The same checks on hand-written bad pages: each one must catch its fault. ---

BAD_REPORT = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>bad</title>
<script src="https://example.invalid/require.js"></script>
<link rel="stylesheet" href="https://example.invalid/theme.css">
</head><body>
<h2 id="x">1. Headline<a class="anchor-link" href="#x">¶</a></h2>
<img src="http://example.invalid/chart.png">
<img src="missing.png">
<div style="background-image: url(http://example.invalid/bg.png); width: 4px; height: 4px"></div>
<div class="jp-Cell jp-CodeCell jp-Notebook-cell">
  <div class="jp-Cell-inputWrapper"><div class="jp-InputArea jp-Cell-inputArea">
    <div class="jp-InputPrompt jp-InputArea-prompt">In&nbsp;[1]:</div>
    <div class="jp-CodeMirrorEditor jp-Editor jp-InputArea-editor">
      <div class="highlight"><pre>import matplotlib.pyplot as plt
kpis = view.kpis()</pre></div>
    </div>
  </div></div>
</div>
<script>console.error("logged by the page"); throw new Error("thrown by the page");</script>
</body></html>
"""


def test_checks_catch_a_bad_report(chromium, tmp_path):
    page = tmp_path / "bad.html"
    page.write_text(BAD_REPORT, encoding="utf-8")
    seen = visit(chromium, page)

    assert sorted(seen.external_requests) == [
        "http://example.invalid/bg.png",
        "http://example.invalid/chart.png",
        "https://example.invalid/require.js",
        "https://example.invalid/theme.css",
    ]
    assert any(url.endswith("/missing.png") for url in seen.failed_requests)
    assert "logged by the page" in seen.console_errors
    assert any("Failed to load resource" in error for error in seen.console_errors)
    assert seen.page_errors == ["thrown by the page"]
    assert seen.image_widths == [0, 0]
    assert seen.headings == ["1. Headline"]  # the anchor "¶" is not part of the text
    assert missing_headings(["1. Headline", "2. Funnel"], seen.headings) == ["2. Funnel"]
    assert seen.visible_code_inputs > 0
    assert "import matplotlib.pyplot as plt" in seen.text


def test_checks_catch_bad_index_links(chromium, tmp_path):
    (tmp_path / QUARTER).mkdir()
    (tmp_path / QUARTER / "good.html").write_text("<p>ok</p>", encoding="utf-8")
    index = tmp_path / "index.html"
    index.write_text(
        f'<a href="{QUARTER}/good.html">good</a>'
        f'<a href="{(tmp_path / QUARTER / "good.html").as_uri()}">absolute file URL</a>'
        f'<a href="{tmp_path / QUARTER / "good.html"}">absolute path</a>'
        '<a href="https://example.invalid/report.html">remote</a>'
        f'<a href="{QUARTER}/missing.html">missing</a>'
        '<a href="../outside.html">outside</a>',
        encoding="utf-8",
    )
    (tmp_path.parent / "outside.html").write_text("<p>outside</p>", encoding="utf-8")
    hrefs = visit(chromium, index).hrefs
    assert len(hrefs) == 6
    problems = link_problems(index, hrefs)
    assert [problem.split(": ")[-1] for problem in problems] == [
        "not relative",
        "not relative",
        "not relative",
        f"no such file in {tmp_path.name}/",
        f"no such file in {tmp_path.name}/",
    ]


def test_notebook_parsing_finds_headings_and_code(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\n## 1. `Speed` to **lead**\n\ntext"),
        nbformat.v4.new_markdown_cell("```\n## not a heading\n```\n## 2. [Funnel](#f) ##"),
        nbformat.v4.new_code_cell("## a comment, not a heading\nimport pandas as pd\nx = 1"),
    ]
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    assert section_headings(path) == ["1. Speed to lead", "2. Funnel"]
    assert code_lines(path) == ["## a comment, not a heading", "import pandas as pd"]
