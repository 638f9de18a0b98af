"""The review pack as its readers see it: page one at 1280 px, a phone at 390 px, A4 paper.

The sample's company report and one team report of 2026Q3 are rendered once through the CLI
(module fixture), then measured in headless Chromium (Debian's, driven by Playwright):

- page one (title, alignment index with its sparkline, one tile per shared KPI with its
  sparkline, at most five ranked talking points, the table of contents) lies within the
  first 1,100 px at 1280 px width, and every contents link leads to a section; each tile
  names its KPI in full (no label cut to "…") and the tiles of a row show their values on
  one line;
- columns of words (names, formulas) read left-aligned, figures right-aligned;
- at 390 px neither the index page nor a report scrolls sideways (tables scroll inside
  their own box, their row names kept in view), with the sections closed and opened; the
  index page shows each report as a card within the screen, nothing hidden in a scrolling
  box, a failed report's whole error inside its card;
- printed (``page.pdf``, A4), page one alone makes one PDF page, every section starts a
  new page and is printed open, and no table or chart is wider than the page's content
  width (checked in the DOM under print media; a table of 14 columns or more is printed on
  a page turned to landscape, and the PDF has such a page);
- a team report has no "Team comparison"; the company's page one names the outlier team
  and the low-quality channel the sample was built with.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import PROJECT

from helpers.metrics.headline import KPIS
from helpers.reports.index_page import write_index
from helpers.reports.jobs import ReportOutcome

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SAMPLE = PROJECT / "data" / "sample"
QUARTER = "2026Q3"
TEAM = "na-smb"
REPORTS = ("all", TEAM)
SCREEN = 1100  # px of page one at 1280 px width
PHONE = 390
# A4 at 96 px per inch, less the 12 mm margins of the print CSS: 186 mm × 273 mm.
A4_WIDTH = round((210 - 24) / 25.4 * 96)
A4_HEIGHT = round((297 - 24) / 25.4 * 96)
A4_LANDSCAPE_WIDTH = A4_HEIGHT  # a page turned for a table of many columns


def _offline(route):
    if route.request.url.startswith("file://"):
        route.continue_()
    else:
        route.abort()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The sample's company report and one team report, rendered once through the CLI."""
    out = tmp_path_factory.mktemp("review") / "reports"
    command = [sys.executable, "-m", "helpers.cli", "reports", "--data", str(SAMPLE)]
    command += ["--out", str(out), "--quarter", QUARTER]
    for team in REPORTS:
        command += ["--team", team]
    done = subprocess.run(
        command, cwd=PROJECT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"render failed:\n{done.stdout}\n{done.stderr}"
    return out


def _open(chromium, path, width, height=900):
    page = chromium.new_page(viewport={"width": width, "height": height})
    page.route("**/*", _offline)
    page.goto(path.resolve().as_uri(), wait_until="load")
    return page


PAGE_ONE_BOXES = """() => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return {top: r.top + window.scrollY, bottom: r.bottom + window.scrollY, width: r.width}; };
  const all = (sel) => Array.from(document.querySelectorAll(sel));
  return {
    title: all('.aw-page-one h1').map(box),
    index: all('.aw-page-one .aw-index').map(box),
    indexSpark: all('.aw-page-one .aw-index svg.aw-spark').map(box),
    tiles: all('.aw-page-one .aw-review-tiles .aw-tile').map(box),
    tileLines: all('.aw-page-one .aw-review-tiles .aw-tile').map(t => {
      const label = t.querySelector('.aw-label');
      return {top: Math.round(t.getBoundingClientRect().top),
        value: Math.round(t.querySelector('.aw-value').getBoundingClientRect().top),
        labelCut: label.scrollWidth > label.clientWidth + 1
          || label.scrollHeight > label.clientHeight + 1,
        label: label.innerText};
    }),
    tileSparks: all('.aw-page-one .aw-review-tiles .aw-tile svg.aw-spark').length,
    points: all('.aw-page-one .aw-agenda ol.aw-points > li').map(box),
    pointsText: all('.aw-page-one .aw-agenda ol.aw-points > li').map(li => li.innerText),
    toc: all('.aw-page-one nav.aw-toc a').map(a => a.getAttribute('href')),
    tocBox: all('.aw-page-one nav.aw-toc').map(box),
    sections: all('details.aw-section').map(d => d.id),
    firstSection: all('details.aw-section').slice(0, 1).map(box),
  };
}"""


@pytest.fixture(scope="module")
def page_one(rendered, chromium):
    """The boxes of page one's parts at 1280 px, per report."""
    found = {}
    for team in REPORTS:
        page = _open(chromium, rendered / QUARTER / f"{team}.html", 1280, SCREEN)
        try:
            found[team] = page.evaluate(PAGE_ONE_BOXES)
        finally:
            page.close()
    return found


@pytest.mark.parametrize("team", REPORTS)
def test_page_one_has_the_review_within_the_first_screen(page_one, team):
    seen = page_one[team]
    assert len(seen["title"]) == 1
    assert len(seen["index"]) == 1 and len(seen["indexSpark"]) == 1
    assert len(seen["tiles"]) == len(KPIS)
    assert seen["tileSparks"] == len(KPIS)  # the sample covers 8 quarters of every KPI
    assert 1 <= len(seen["points"]) <= 5
    parts = [*seen["title"], *seen["index"], *seen["tiles"], *seen["points"], *seen["tocBox"]]
    lowest = max(part["bottom"] for part in parts)
    assert lowest <= SCREEN, f"page one ends at {lowest:.0f} px"
    # Everything else follows page one, in sections.
    assert seen["firstSection"][0]["top"] >= lowest


@pytest.mark.parametrize("team", REPORTS)
def test_tiles_name_their_kpi_in_full_and_line_up(page_one, team):
    lines = page_one[team]["tileLines"]
    assert [t["label"] for t in lines if t["labelCut"]] == []
    rows = {}
    for tile in lines:
        rows.setdefault(tile["top"], set()).add(tile["value"])
    assert len(rows) >= 2  # ten KPIs do not fit one row at 1280 px
    assert all(len(values) == 1 for values in rows.values()), rows


@pytest.mark.parametrize("team", REPORTS)
def test_contents_link_every_section(page_one, team):
    seen = page_one[team]
    assert seen["toc"] == [f"#{anchor}" for anchor in seen["sections"]]
    assert ("teams" in seen["sections"]) == (team == "all")


def test_company_page_one_names_the_outlier_team_and_the_low_quality_channel(page_one):
    # data/sample/README.md: na-smb is the slow-follow-up team, paid_social the
    # high-volume low-quality channel.
    points = page_one["all"]["pointsText"]
    assert any(p.startswith("North America SMB stands out") for p in points), points
    assert any(p.startswith("paid_social brought") for p in points), points


def test_team_report_has_no_team_comparison(rendered, chromium):
    page = _open(chromium, rendered / QUARTER / f"{TEAM}.html", 1280)
    try:
        text = page.inner_text("body")
        headings = page.locator("h1, h2, h3").all_inner_texts()
    finally:
        page.close()
    assert not any("Team comparison" in h for h in headings)
    assert "Team comparison" not in text


ALIGNMENT = """([caption, column]) => {
  const table = Array.from(document.querySelectorAll('table.aw-table'))
    .find(t => t.caption && t.caption.textContent.startsWith(caption));
  const at = Array.from(table.querySelectorAll('thead th')).map(th => th.textContent)
    .indexOf(column);
  return Array.from(table.querySelectorAll('tbody tr'))
    .map(tr => getComputedStyle(tr.children[at]).textAlign);
}"""


def test_words_read_left_aligned_and_figures_right_aligned(rendered, chromium):
    page = _open(chromium, rendered / QUARTER / "all.html", 1280)
    try:
        formulas = page.evaluate(ALIGNMENT, ["Definitions of the figures", "Formula"])
        teams = page.evaluate(ALIGNMENT, ["Teams ranked on the shared KPIs", "Team"])
        values = page.evaluate(ALIGNMENT, [f"Shared KPIs of {QUARTER} against target", "Value"])
    finally:
        page.close()
    assert len(formulas) >= 10 and set(formulas) == {"left"}
    assert len(teams) == 6 and set(teams) == {"left"}  # the sample's six teams
    assert len(values) >= 10 and set(values) == {"right"}


OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
OPEN_ALL = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"


@pytest.mark.parametrize("name", ["index", *REPORTS])
def test_no_sideways_scroll_on_a_phone(rendered, chromium, name):
    path = rendered / "index.html" if name == "index" else rendered / QUARTER / f"{name}.html"
    page = _open(chromium, path, PHONE)
    try:
        closed = page.evaluate(OVERFLOW)
        page.evaluate(OPEN_ALL)
        opened = page.evaluate(OVERFLOW)
    finally:
        page.close()
    assert closed <= 0, f"{name} scrolls {closed} px sideways at {PHONE} px"
    assert opened <= 0, f"{name} with its sections open scrolls {opened} px sideways"


INDEX_CARDS = """(width) => {
  const rows = Array.from(document.querySelectorAll('table tbody tr'));
  const shown = (el) => el.getBoundingClientRect().height > 0;
  const cells = rows.flatMap(r => Array.from(r.querySelectorAll('td'))).filter(shown);
  return {
    rows: rows.length,
    headers: Array.from(document.querySelectorAll('thead')).filter(shown).length,
    outside: cells.filter(td => { const b = td.getBoundingClientRect();
      return b.left < 0 || b.right > width + 0.5; }).map(td => td.innerText),
    scrolled: Array.from(document.querySelectorAll('.wrap'))
      .filter(w => w.scrollWidth > w.clientWidth + 1).length,
    // The name each figure shows before it (the card's CSS ::before), as drawn.
    named: rows.map(r => Array.from(r.querySelectorAll('td')).filter(shown).slice(1)
      .map(td => getComputedStyle(td, '::before').content)),
  };
}"""


def test_index_page_on_a_phone_shows_each_report_as_a_card(rendered, chromium):
    page = _open(chromium, rendered / "index.html", PHONE)
    try:
        seen = page.evaluate(INDEX_CARDS, PHONE)
    finally:
        page.close()
    assert seen["rows"] == len(REPORTS)
    assert seen["headers"] == 0  # no column headers: each figure names itself
    assert seen["outside"] == [], f"cells beyond the screen: {seen['outside']}"
    assert seen["scrolled"] == 0  # nothing hidden in a box that scrolls sideways
    for named in seen["named"]:
        assert named[:3] == ['"Alignment index: "', '"KPIs vs target: "', '"Status: "'], named


def test_a_failed_report_on_a_phone_shows_its_whole_error_in_its_card(chromium, tmp_path):
    # An error with a long unbroken name: it wraps inside the card, the page stays put.
    error = "ValueError: the spend table has no row for 2026Q3; " + "very_long_name_" * 8
    failed = ReportOutcome(
        team="emea-ent", quarter=QUARTER, ok=False, html_path=None, error=error, cell=12,
        failed_notebook=None, seconds=3.2,
    )  # fmt: skip
    index = write_index(tmp_path / "reports", [failed])
    page = _open(chromium, index, PHONE)
    try:
        sideways = page.evaluate(OVERFLOW)
        box = page.locator(".error").bounding_box()
        text = page.inner_text(".error")
    finally:
        page.close()
    assert sideways <= 0
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE
    assert text.replace("\n", "") == f"cell 12: {error}"


def _pdf_pages(pdf: bytes, *, landscape: bool = False) -> int:
    """Pages of a PDF written by Chromium (one ``/Type /Page`` object per page), or only
    those turned to landscape (``/MediaBox [0 0 842.88 595.92]``: wider than high)."""
    if not landscape:
        return len(re.findall(rb"/Type\s*/Page\b", pdf))
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    return sum(float(width) > float(height) for width, height in boxes)


# Page one alone: the sections (everything after page one) taken out of the document.
DROP_SECTIONS = "() => document.querySelectorAll('details.aw-section').forEach(d => d.remove())"


@pytest.mark.parametrize("team", REPORTS)
def test_page_one_alone_prints_on_one_a4_page(rendered, chromium, team):
    page = _open(chromium, rendered / QUARTER / f"{team}.html", A4_WIDTH, A4_HEIGHT)
    try:
        page.evaluate(DROP_SECTIONS)
        left = page.evaluate(
            "() => [document.querySelectorAll('.aw-page-one .aw-tile').length,"
            " document.querySelectorAll('details.aw-section').length]"
        )
        pdf = page.pdf(format="A4", print_background=True)
    finally:
        page.close()
    assert left == [len(KPIS), 0]
    assert _pdf_pages(pdf) == 1


ROW_NAMES_IN_VIEW = """() => {
  // Tables wider than the phone: scrolled to their right end, their first column stays.
  const wide = Array.from(document.querySelectorAll('.aw-table-wrap'))
    .filter(w => w.scrollWidth > w.clientWidth + 1);
  // A ranking (a number column, then the names) keeps the names beside the number.
  const lost = [];
  let ranked = 0;
  for (const w of wide) {
    w.scrollLeft = w.scrollWidth;
    const left = w.getBoundingClientRect().left;
    const table = w.querySelector('table');
    const ranking = table.classList.contains('aw-left-2')
      && !table.classList.contains('aw-left-1');
    ranked += ranking ? 1 : 0;
    const moved = Array.from(table.querySelectorAll('tr')).some(tr => {
      const first = tr.children[0].getBoundingClientRect();
      const name = ranking ? tr.children[1].getBoundingClientRect() : first;
      return Math.abs(first.left - left) > 1
        || (ranking && Math.abs(name.left - first.right) > 1);
    });
    if (moved) {
      lost.push(table.caption ? table.caption.innerText : w.innerText.slice(0, 60));
    }
  }
  return {wide: wide.length, ranked, lost};
}"""


def test_wide_tables_on_a_phone_keep_their_row_names_in_view(rendered, chromium):
    page = _open(chromium, rendered / QUARTER / "all.html", PHONE)
    try:
        page.evaluate(OPEN_ALL)
        seen = page.evaluate(ROW_NAMES_IN_VIEW)
    finally:
        page.close()
    assert seen["wide"] >= 1  # the team comparison alone is wider than 390 px
    assert seen["ranked"] == 1  # the team ranking: rank, then the team's name
    assert seen["lost"] == [], f"row names scrolled away: {seen['lost']}"


PRINT_CHECK = """([width, landscapeWidth]) => {
  // The page's content width: the body's content box (the printable width less padding);
  // a table printed on a page turned to landscape (CSS named page) has that page's width.
  const body = document.body, style = getComputedStyle(body);
  const content = Math.min(width,
    body.getBoundingClientRect().right - parseFloat(style.paddingRight));
  const tables = Array.from(document.querySelectorAll('table'));
  const turned = (t) => getComputedStyle(t.closest('.aw-table-wrap') || t).page === 'landscape';
  const wide = tables
    .filter(t => t.getBoundingClientRect().right > (turned(t) ? landscapeWidth : content) + 1)
    .map(t => (t.caption ? t.caption.innerText : t.innerText.slice(0, 60)));
  const wideCharts = Array.from(document.querySelectorAll('img'))
    .filter(i => i.getBoundingClientRect().right > content + 1).length;
  const sections = Array.from(document.querySelectorAll('details.aw-section'));
  const breaks = sections.filter(d => getComputedStyle(d).breakBefore !== 'page')
    .map(d => d.id);
  const uncaptioned = tables.filter(t => !t.caption || !t.caption.textContent.trim())
    .map(t => t.innerText.slice(0, 60));
  const hidden = tables.filter(t => t.getBoundingClientRect().height === 0)
    .map(t => (t.caption ? t.caption.innerText : t.innerText.slice(0, 60)));
  // From the top of the document (the opening paragraph) to the end of page one.
  const one = document.querySelector('.aw-page-one').getBoundingClientRect();
  return {tables: tables.length, wide, wideCharts, hidden, uncaptioned, breaks,
    landscape: tables.filter(turned).length,
    sections: sections.length, content, pageOne: one.bottom + window.scrollY};
}"""


@pytest.mark.parametrize("team", REPORTS)
def test_print_on_a4_keeps_every_table_on_the_page(rendered, chromium, team, tmp_path):
    page = _open(chromium, rendered / QUARTER / f"{team}.html", A4_WIDTH, A4_HEIGHT)
    try:
        pdf = page.pdf(path=str(tmp_path / f"{team}.pdf"), format="A4", print_background=True)
        page.emulate_media(media="print")
        seen = page.evaluate(PRINT_CHECK, [A4_WIDTH, A4_LANDSCAPE_WIDTH])
    finally:
        page.close()
    assert pdf.startswith(b"%PDF")
    assert seen["content"] > A4_WIDTH * 0.9  # the check measures against a real page width
    assert seen["tables"] >= 10
    assert seen["wide"] == [], f"wider than A4: {seen['wide']}"
    assert seen["wideCharts"] == 0
    # A table of 14 columns or more (the trend of every shared KPI) is on a landscape page.
    assert seen["landscape"] >= 1
    assert _pdf_pages(pdf, landscape=True) >= 1
    # Each section starts a new page: page one, then at least one page per section.
    assert seen["breaks"] == [], f"sections not starting a page: {seen['breaks']}"
    assert _pdf_pages(pdf) >= 1 + seen["sections"]
    assert seen["hidden"] == [], f"not printed (closed section?): {seen['hidden']}"
    assert seen["uncaptioned"] == [], f"tables without a caption: {seen['uncaptioned']}"
    assert seen["pageOne"] <= A4_HEIGHT, f"page one is {seen['pageOne']:.0f} px high"


@pytest.mark.parametrize("team", REPORTS)
def test_the_page_speaks_to_readers_not_developers(rendered, chromium, team):
    # The opening paragraph and the appendix are for the two leaders: no command line, no
    # notebook parameter, no function names.
    page = _open(chromium, rendered / QUARTER / f"{team}.html", 1280)
    try:
        page.evaluate(OPEN_ALL)
        text = page.inner_text("body")
    finally:
        page.close()
    for developer_talk in ("workbook reports", 'team = "all"', "helpers.", "computed_by"):
        assert developer_talk not in text, developer_talk
    assert "Talking points are ranked by score" in text  # the rule, in the appendix
