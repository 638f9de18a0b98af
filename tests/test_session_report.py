"""`workbook session-report`: a session filled through the widgets, rendered per team."""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT

from helpers.reports.workshop_reports import session_slug
from helpers.training import calibration, quiz, rejections, shared_goals, what_if
from helpers.training.session import Workshop

pytestmark = pytest.mark.slow

SESSION = "2026-11 Lisbon"
TEAM, OTHER = "emea-ent", "na-ent"
HOSTILE = "<script>alert('x')</script> Bo"


def _participant(data: Path, name: str, role: str, team: str, answer: str) -> None:
    """One participant doing every exercise through its widgets, as in a browser."""
    workshop = Workshop(data, SESSION, f"{TEAM},{OTHER}")
    workshop.join(name, role, team)
    rating = calibration.CalibrationExercise(workshop, size=6)
    for toggle in rating.toggles.values():
        toggle.value = answer
    plan = what_if.WhatIfExercise(workshop)
    plan.save()
    goals = shared_goals.SharedGoalsExercise(workshop)
    goals.propose()
    goals.agree()
    test = quiz.QuizExercise(workshop)
    for question in quiz.questions_for(role):
        test.choices[question.id].value = question.options[0]
    review = rejections.RejectionReviewExercise(workshop)
    for radio in review.choices.values():
        radio.value = "fit" if answer == "yes" else "other"
    workshop.close()


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("session") / "sample"
    shutil.copytree(PROJECT / "data" / "sample", data, ignore=shutil.ignore_patterns("*.sqlite*"))
    _participant(data, "Ana", "sales", TEAM, "yes")
    _participant(data, HOSTILE, "marketing", TEAM, "no")
    _participant(data, "Cy", "marketing", OTHER, "yes")
    return data


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "helpers.cli", "session-report", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_session_report_renders_one_page_per_team_linked_from_the_index(filled, tmp_path):
    out = tmp_path / "reports"
    result = _cli(SESSION, "--data", str(filled), "--out", str(out))
    assert result.returncode == 0, result.stderr
    folder = out / "workshops" / session_slug(SESSION)
    assert folder.name == "2026-11-lisbon"
    assert f"{TEAM}: 2 participant(s) -> {folder / f'{TEAM}.html'}" in result.stdout
    assert result.stdout.strip().endswith(str(out / "index.html"))

    page = (folder / f"{TEAM}.html").read_text()
    for title in (
        "Participants",
        calibration.TITLE,
        what_if.TITLE,
        shared_goals.TITLE,
        quiz.TITLE,
        rejections.TITLE,
        "Open disagreements for the debrief",
    ):
        assert f">{html.escape(title)}</h2>" in page, title
    assert "2 participant(s): 1 sales, 1 marketing" in page
    # The two agreed the same team proposal: the targets were written, the page says so.
    # One target per shared KPI: the nine before issue 16, won deals, and the scorecard's
    # lead -> customer, bookings growth, retention and marketing ROI (issue 21).
    assert f"Team {TEAM} agreed 14 target(s) for 2026Q4" in page
    # Ana said yes to every lead and the hostile participant no: every lead is disputed.
    assert "Leads to discuss" in page or "disputed" in page.lower()
    # Hostile text is inert, nothing loads, no code is shown.
    assert "<script>alert" not in page and html.escape(HOSTILE, quote=False) in page
    assert "Loading widget" not in page and "<script src" not in page
    assert "from helpers" not in page

    other = (folder / f"{OTHER}.html").read_text()
    assert "1 participant(s): 0 sales, 1 marketing" in other and "Ana" not in other

    record = json.loads((folder / "session.json").read_text())
    assert record["session"] == SESSION
    assert [(t["team"], t["participants"]) for t in record["teams"]] == [(TEAM, 2), (OTHER, 1)]
    index = (out / "index.html").read_text()
    assert f'<a href="workshops/2026-11-lisbon/{TEAM}.html">{TEAM}</a>' in index
    assert f'<a href="workshops/2026-11-lisbon/{OTHER}.html">{OTHER}</a>' in index

    targets = (filled / "targets.csv").read_text()
    assert f"{TEAM},2026Q4,mqls," in targets and "Ana (sales)" in targets


def test_unknown_session_or_team_is_a_clear_error(filled, tmp_path):
    result = _cli("nobody's session", "--data", str(filled), "--out", str(tmp_path))
    assert result.returncode == 2
    assert "is not allowed" in result.stderr and "Traceback" not in result.stderr
    result = _cli("no such session", "--data", str(filled), "--out", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Nobody joined workshop session 'no such session'" in result.stderr
    assert f"Sessions there: '{SESSION}'" in result.stderr
    result = _cli(SESSION, "--team", "south-smb", "--data", str(filled), "--out", str(tmp_path))
    assert result.returncode == 2
    assert "'south-smb' have no participant in session" in result.stderr
    assert not (tmp_path / "workshops").exists()


def test_facilitator_view_follows_the_session(filled, monkeypatch):
    from helpers.training.facilitator import FacilitatorView, progress

    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: None)
    workshop = Workshop(filled, SESSION, f"{TEAM},{OTHER}")
    table = progress(workshop, TEAM).set_index("name")
    # 6 leads × 3 questions; one saved scenario; 7 quiz questions per role.
    assert table.loc["Ana", calibration.TITLE] == 18
    assert table.loc["Ana", what_if.TITLE] == 1
    assert table.loc["Ana", quiz.TITLE] == len(quiz.questions_for("sales"))

    view = FacilitatorView(workshop)
    view.display()
    (shown,) = view.panel.output.outputs
    assert "Ana" in shown["data"]["text/html"] and ">Cy<" not in shown["data"]["text/html"]
    view.team.value = OTHER  # switching team redraws the panel in place
    (shown,) = view.panel.output.outputs
    assert ">Cy<" in shown["data"]["text/html"] and "Ana" not in shown["data"]["text/html"]

    late = Workshop(filled, SESSION, f"{TEAM},{OTHER}")
    late.join("Dee", "sales", OTHER)
    late.close()
    view.refresh_button.click()
    (shown,) = view.panel.output.outputs
    assert ">Dee<" in shown["data"]["text/html"]
    workshop.close()
