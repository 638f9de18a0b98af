"""Output folders and notebooks are checked before any work, and found from any working folder.

``helpers.reports.paths`` decides whether a path can be an output folder (``--out``, ``OUT``)
or a report notebook (``--notebook``); the checks write nothing that stays. The default
notebooks are found beside the package, so ``workbook reports`` runs with cwd=/tmp.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.errors import ParameterError
from helpers.reports import paths
from helpers.reports.paths import (
    REPORT_NOTEBOOK,
    SESSION_NOTEBOOK,
    TRAINING_NOTEBOOKS,
    check_output_folder,
    notebook_problem,
    output_folder_problem,
)
from helpers.reports.runner import render_reports

TESTS = Path(__file__).parent
TINY = TESTS / "data" / "tiny"
PROJECT = TESTS.parent
WORKBOOK = Path(sys.executable).parent / "workbook"
FIX = "Fix: pass a folder you may write in, or a new one in such a folder"


def test_the_default_notebooks_are_the_projects_whatever_the_working_folder():
    assert REPORT_NOTEBOOK == PROJECT / "notebooks" / "reports" / "team_quarterly_report.ipynb"
    assert SESSION_NOTEBOOK == PROJECT / "notebooks" / "training" / "session_summary.ipynb"
    assert TRAINING_NOTEBOOKS == PROJECT / "notebooks" / "training"
    assert REPORT_NOTEBOOK.is_file() and SESSION_NOTEBOOK.is_file()
    assert (TRAINING_NOTEBOOKS / "01_lead_calibration.ipynb").is_file()


def test_a_writable_folder_and_a_new_folder_inside_one_are_fine_and_nothing_is_left(tmp_path):
    new = tmp_path / "a" / "b" / "reports"

    assert output_folder_problem(tmp_path) is None
    assert output_folder_problem(new) is None
    assert check_output_folder(new) == new
    assert list(tmp_path.iterdir()) == []  # the write probe is gone, nothing was created


def test_a_file_a_path_through_a_file_and_an_empty_path_are_refused(tmp_path):
    afile = tmp_path / "notes.txt"
    afile.write_text("x", encoding="utf-8")

    assert output_folder_problem(afile) == f"exists and is not a folder. {FIX}"
    assert output_folder_problem(afile / "sub" / "deeper") == (
        f"cannot be created: {afile} is a file, not a folder. {FIX}"
    )
    assert output_folder_problem("") == f"is an empty path. {FIX}"
    assert output_folder_problem("/dev/null") == f"exists and is not a folder. {FIX}"


def test_a_folder_that_takes_no_new_file_is_refused_even_for_root():
    # /proc and /sys refuse new files whoever asks; chmod would not stop root.
    assert output_folder_problem("/sys") == f"takes no new file (Permission denied). {FIX}"
    assert output_folder_problem("/sys/reports") == (
        f"cannot be created: /sys takes no new file (Permission denied). {FIX}"
    )


def test_a_folder_without_write_permission_is_refused(tmp_path, monkeypatch):
    # As a non-root user a chmod 555 folder fails os.access; that is what is simulated here.
    real_access = os.access
    monkeypatch.setattr(
        paths.os, "access", lambda p, mode: False if Path(p) == tmp_path else real_access(p, mode)
    )

    assert output_folder_problem(tmp_path) == f"takes no new file (permission denied). {FIX}"
    with pytest.raises(ParameterError) as caught:
        check_output_folder(tmp_path / "new", "--out")
    assert str(caught.value) == (
        f"--out {tmp_path / 'new'}: cannot be created: {tmp_path} takes no new file "
        f"(permission denied). {FIX}"
    )
    assert caught.value.exit_code == 2


def test_notebook_problems_name_the_fix(tmp_path):
    text = tmp_path / "report.txt"
    text.write_text("{}", encoding="utf-8")
    example = f"e.g. {REPORT_NOTEBOOK}"

    assert notebook_problem(REPORT_NOTEBOOK) is None
    assert notebook_problem(tmp_path / "x.ipynb") == (
        f"does not exist. Fix: pass the path of a report notebook (.ipynb), {example}"
    )
    assert notebook_problem(tmp_path) == (
        f"is not a file. Fix: pass the path of a report notebook (.ipynb), {example}"
    )
    assert notebook_problem(text) == (
        f"is not a notebook (.ipynb). Fix: pass the path of a report notebook (.ipynb), {example}"
    )


def test_render_reports_refuses_an_unwritable_out_before_anything_runs(tmp_path):
    afile = tmp_path / "taken"
    afile.write_text("x", encoding="utf-8")

    with pytest.raises(ParameterError, match=r"taken is a file, not a folder"):
        render_reports(REPORT_NOTEBOOK, TINY, afile / "reports", "2026Q3", ["north"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


@pytest.mark.slow
def test_workbook_reports_runs_outside_the_project_folder(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(TINY, data)
    work = tmp_path / "elsewhere"  # a folder with no notebooks/ in it
    work.mkdir()

    run = subprocess.run(
        [str(WORKBOOK), "reports", "--data", "../data", "--team", "north", "--out", "out"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert "1 report(s) rendered, 0 up to date, 0 failed" in run.stdout
    quarters = [p for p in (work / "out").iterdir() if p.is_dir()]
    assert [p.name for p in quarters] == ["2026Q3"]
    assert (work / "out" / "2026Q3" / "north.html").is_file()
