"""Every notebook runs top to bottom through papermill; committed notebooks carry no outputs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from conftest import PROJECT, TINY
from notebook_checks import notebook_errors

from helpers.reports.render import notebook_to_html

NOTEBOOKS = sorted((PROJECT / "notebooks").rglob("*.ipynb"))
REPORT = PROJECT / "notebooks" / "reports" / "team_quarterly_report.ipynb"
EXPLORERS = sorted((PROJECT / "notebooks" / "explore").glob("*_explorer.ipynb"))
IMAGE_URI = r"data:image/(png|svg\+xml);base64,"  # report charts are SVG, widget fallbacks PNG


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, path


@pytest.fixture(scope="module")
def workshop_data(tmp_path_factory) -> Path:
    """A copy of the sample for the training notebooks: their answer store is written there."""
    copy = tmp_path_factory.mktemp("workshop") / "sample"
    shutil.copytree(PROJECT / "data" / "sample", copy, ignore=shutil.ignore_patterns("*.sqlite*"))
    return copy


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_its_defaults(path, tmp_path, workshop_data, monkeypatch):
    # Training notebooks default to $WORKBOOK_DATA_DIR: point it at a copy, so running them
    # never writes a workshop.sqlite into the bundled sample.
    monkeypatch.setenv("WORKBOOK_DATA_DIR", str(workshop_data))
    out = tmp_path / path.name
    # Notebooks that export tables write them into the test's folder, not into reports/.
    params = {"export_dir": str(tmp_path / "exports")}
    params = {k: v for k, v in params.items() if k in pm.inspect_notebook(str(path))}
    pm.execute_notebook(
        str(path), str(out), parameters=params, cwd=str(path.parent), progress_bar=False
    )
    text = out.read_text()
    nb = json.loads(text)
    assert notebook_errors(nb) == []
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    images = [
        o
        for o in outputs
        if "image/png" in o.get("data", {})
        or re.search(IMAGE_URI, "".join(o.get("data", {}).get("text/html", "")))
    ]
    assert images, "a page without charts"
    if path.parent.name == "training" or path in EXPLORERS:
        _check_static_page(text, tmp_path / "page.html")


def _check_static_page(text: str, html_path: Path) -> None:
    """A training or explorer notebook rendered to HTML reads as a page: no widget to load."""
    notebook_to_html(nbformat.reads(text, as_version=4), html_path, title="training")
    page = html_path.read_text()
    assert "Loading widget" not in page
    assert "application/vnd.jupyter.widget" not in page
    assert "<table" in page and re.search(IMAGE_URI, page)


@pytest.mark.slow
@pytest.mark.parametrize("path", EXPLORERS, ids=[p.stem for p in EXPLORERS])
def test_explorer_notebook_takes_its_parameters(path, tmp_path):
    out = tmp_path / path.name
    params = {"data_dir": str(TINY), "team": "north", "export_dir": str(tmp_path / "exports")}
    pm.execute_notebook(
        str(path), str(out), parameters=params, cwd=str(path.parent), progress_bar=False
    )
    text = out.read_text()
    assert notebook_errors(json.loads(text)) == []
    _check_static_page(text, tmp_path / "page.html")
    page = (tmp_path / "page.html").read_text()
    assert "North Pod · " in page and "2026Q2–2026Q3" in page  # it follows the parameters
    assert not (tmp_path / "exports").exists()  # nothing is written until a button is pressed


@pytest.mark.slow
@pytest.mark.parametrize("team", ["north", "all"])
def test_report_notebook_on_hand_computed_data(team, tmp_path):
    out = tmp_path / "report.ipynb"
    params = {"team": team, "quarter": "2026Q3", "data_dir": str(TINY)}
    pm.execute_notebook(
        str(REPORT), str(out), parameters=params, cwd=str(REPORT.parent), progress_bar=False
    )
    nb = json.loads(out.read_text())
    html = "".join(
        "".join(o.get("data", {}).get("text/html", ""))
        for c in nb["cells"]
        for o in c.get("outputs", [])
    )
    assert notebook_errors(nb) == []
    if team == "north":
        # Hand-computed in test_metrics_funnel.py: SLA 2 of 4, acceptance 2 of 3, MQL→SQL 2 of 4.
        assert "North Pod · 2026Q3" in html
        assert "2/4, 95% CI" in html
        assert "2/3, 95% CI" in html
    else:
        assert "All teams (company) · 2026Q3" in html


@pytest.mark.slow
def test_workbook_reports_cli_renders_grid_and_index(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "helpers.cli",
            "reports",
            "--data",
            str(TINY),
            "--out",
            str(out),
            "--quarter",
            "2026Q3",
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].endswith("index.html")
    index = (out / "index.html").read_text()
    for team in ("north", "south", "all"):
        page = out / "2026Q3" / f"{team}.html"
        assert page.exists()
        text = page.read_text()
        assert "Traceback" not in text
        assert "<img" in text
        assert "workbook.view(" not in text  # no input code
        assert f'href="2026Q3/{team}.html"' in index
