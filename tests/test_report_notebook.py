"""The team quarterly report notebook end to end, through papermill.

Run on a copy of the hand-computed tiny data set with every optional table deleted (and a
script tag planted in a data string), and on the bundled sample, which has every table.
"""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import papermill as pm
import pytest
from conftest import PROJECT, TINY
from notebook_checks import notebook_errors

from helpers.data.schema import OPTIONAL_TABLES
from helpers.reports.outputs import SUMMARY_MIME, TABLE_MIME, summary_in, tables_in

REPORT = PROJECT / "notebooks" / "reports" / "team_quarterly_report.ipynb"
SAMPLE = PROJECT / "data" / "sample"
HEADINGS = [
    "## 1. Headline in detail",
    "## 2. Funnel",
    "## 3. Hand-off",
    "## 4. Pipeline and revenue",
    "## 5. Efficiency",
    "## 6. Growth and retention",
    "## 7. Trend over the last 8 quarters",
    "## 8. All talking points",
    "## 9. Lead scoring",
    "## 10. Appendix: definitions and data quality",
]
ABSENT_NOTES = [
    "Not in this data: no targets table",
    "Not in this data: no feedback table",
    "Not in this data: no touches table",
    "Not in this data: no spend table",
    "Not in this data: no revenue table",
]
EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def bare_data(tmp_path_factory):
    """tests/data/tiny without any optional table, one rejection reason made hostile."""
    data = tmp_path_factory.mktemp("private-exports") / "tiny-bare"
    shutil.copytree(TINY, data)
    for name in OPTIONAL_TABLES:
        for path in data.glob(f"{name}.*"):
            path.unlink()
    events = data / "lead_events.csv"
    events.write_text(events.read_text().replace("no budget", EVIL))
    return data


def _execute(tmp_path, **parameters) -> nbformat.NotebookNode:
    out = tmp_path / "report.ipynb"
    pm.execute_notebook(
        str(REPORT), str(out), parameters=parameters, cwd=str(REPORT.parent), progress_bar=False
    )
    return nbformat.read(out, as_version=4)


def _html(nb: dict) -> str:
    return "".join(
        "".join(o.get("data", {}).get("text/html", ""))
        for c in nb["cells"]
        for o in c.get("outputs", [])
    )


def _headings(nb: dict) -> list[str]:
    return [
        line.strip()
        for c in nb["cells"]
        if c["cell_type"] == "markdown"
        for line in "".join(c["source"]).splitlines()
        if line.startswith("## ")
    ]


def _outputs_text(nb: dict) -> str:
    return json.dumps([o for c in nb["cells"] for o in c.get("outputs", [])])


def test_committed_report_has_every_section_in_order():
    nb = json.loads(REPORT.read_text())
    assert _headings(nb) == HEADINGS
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert not any(
        line.lstrip().startswith(("def ", "class ")) for s in sources for line in s.splitlines()
    )
    assert sum(s.count("publish_summary(view)") for s in sources) == 1


@pytest.mark.slow
@pytest.mark.parametrize("team", ["north", "all"])
def test_report_without_optional_tables_says_so_in_one_line(team, bare_data, tmp_path):
    nb = _execute(tmp_path, team=team, quarter="2026Q3", data_dir=str(bare_data.resolve()))
    assert notebook_errors(nb) == []
    assert _headings(nb) == HEADINGS
    html = _html(nb)
    for note in ABSENT_NOTES:
        assert html.count(note) == 1, note
    assert "Optional tables not in this data: spend, revenue, touches, targets, feedback" in html
    # The planted script is shown as text, never as markup.
    assert EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # The machine's path to the data never reaches the page; the folder name does.
    outputs = _outputs_text(nb)
    assert str(bare_data.parent) not in outputs and "private-exports" not in outputs
    assert "tiny-bare" in html

    names = [name for name, _ in tables_in(nb)]
    assert len(names) == len(set(names))
    assert {
        "alignment_index",
        "headline_kpis",
        "cohort_funnel",
        "pipeline_by_source",
        "deal_metrics",
        "growth_retention",
        "kpi_trend",
        "talking_points",
        "definitions",
        "data_quality",
        "reproducibility",
    } <= set(names)
    assert not {"cac", "efficiency_by_channel", "feedback_summary"} & set(names)
    summaries = [
        o for c in nb["cells"] for o in c.get("outputs", []) if SUMMARY_MIME in o.get("data", {})
    ]
    assert len(summaries) == 1
    summary = summary_in(nb)
    assert summary["team"] == team and summary["quarter"] == "2026Q3"
    tables = dict(tables_in(nb))
    if team == "north":
        # tests/test_workbook_view.py: 56.86 without feedback and targets.
        assert summary["alignment_index"] == 56.9
        assert "team_ranking" not in names
        assert "North Pod ranks 2 of 2 teams on the shared KPIs" in html
        assert (
            tables["talking_points"]["talking_point"]
            .iloc[0]
            .startswith("The alignment index is 56.9/100")
        )
        # A team report has no team comparison, not even its heading.
        assert "Team comparison" not in html
    else:
        assert tables["team_ranking"]["team"].tolist() == ["south", "north"]
        assert "<h2>Team comparison</h2>" in html


@pytest.mark.slow
def test_report_on_the_sample_fills_every_section(tmp_path):
    nb = _execute(tmp_path, team="na-smb", quarter="2026Q3", data_dir=str(SAMPLE.resolve()))
    assert notebook_errors(nb) == []
    html = _html(nb)
    assert "Not in this data" not in html
    assert "Every optional table is in this data" in html
    names = {name for name, _ in tables_in(nb)}
    assert {"cac", "efficiency_by_channel", "feedback_summary", "feedback_reasons"} <= names
    assert {"attribution_pipeline", "attribution_revenue", "talking_points"} <= names
    assert {"forecast", "forecast_parts", "forecast_backtest"} <= names  # the quarter forecast
    images = [
        o
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if "data:image/svg+xml;base64," in "".join(o.get("data", {}).get("text/html", ""))
    ]
    assert len(images) >= 10
    # na-smb is the slow team of the sample: its SLA compliance is red against target.
    points = dict(tables_in(nb))["talking_points"]["talking_point"].tolist()
    assert any(p.startswith("Red against target: SLA compliance") for p in points)
    assert TABLE_MIME not in html


def test_every_section_is_tagged_and_in_the_contents():
    # The offline template folds each cell tagged "section:<id>" and what follows into a
    # collapsible <details id="<id>">; page one's contents list those ids. A "## " heading
    # without the tag would hide inside the section before it, an id missing from the
    # contents could not be reached from page one.
    nb = json.loads(REPORT.read_text())
    tagged = []
    for cell in nb["cells"]:
        tags = [t for t in cell["metadata"].get("tags", []) if t.startswith("section:")]
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and source.lstrip().startswith("## "):
            assert tags, f"heading without a section tag: {source.splitlines()[0]}"
            assert source.strip().count("\n") == 0, "a section heading cell holds its heading only"
        tagged += [t.removeprefix("section:") for t in tags]
    assert len(tagged) == len(set(tagged))
    page_one = next(
        "".join(c["source"])
        for c in nb["cells"]
        if c["cell_type"] == "code" and "rh.review_page(" in "".join(c["source"])
    )
    listed = re.findall(r'\("([a-z-]+)", "[^"]+"\)', page_one)
    assert listed == tagged
