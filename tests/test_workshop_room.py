"""The served workshop's room, without a browser: shared results, failures, anonymity, export."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import PROJECT

from helpers.cli import main
from helpers.training.answer_store import AnswerNotSaved, AnswerStore, store_path
from helpers.training.calibration import CalibrationExercise
from helpers.training.serving.console import FacilitatorConsole, clock_text
from helpers.training.serving.participant import ParticipantPage, countdown_text
from helpers.training.serving.projector import ProjectorView
from helpers.training.serving.room import Room, csv_cell
from helpers.training.session import display_names

TEAM = "emea-ent"
NOTEBOOKS = PROJECT / "notebooks" / "training"


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    data = tmp_path / "sample"
    shutil.copytree(PROJECT / "data" / "sample", data, ignore=shutil.ignore_patterns("*.sqlite*"))
    return data


def _room(data: Path, **kwargs) -> Room:
    return Room(data, "room test", (TEAM,), notebooks=NOTEBOOKS, **kwargs)


def test_viewers_share_one_computation_per_change_of_the_answers(sample: Path):
    room = _room(sample)
    pages = [room.workshop() for _ in range(3)]
    for number, page in enumerate(pages):
        page.join(f"P{number}", "sales" if number % 2 else "marketing", TEAM)
    apps = [CalibrationExercise(page) for page in pages]
    panels = [app.results_panel() for app in apps]
    joined = room.shared.computed

    for panel in panels:  # three viewers, no answer in between: one computation
        panel.refresh()
    assert room.shared.computed == joined + 1

    item = next(iter(apps[0].toggles))
    apps[0].toggles[item].value = "yes"  # a click stores the answer and computes nothing
    assert room.shared.computed == joined + 1
    assert room.store.version(room.session)[0] == 1
    for panel in panels:
        panel.refresh()
    assert room.shared.computed == joined + 2
    # Every viewer got the same page, built once.
    outputs = {panel.output.outputs[0]["data"]["text/html"] for panel in panels}
    assert len(outputs) == 1


def test_exercise_material_is_prepared_once_per_session(sample: Path):
    room = _room(sample)
    first, second = room.workshop(), room.workshop()
    one, two = CalibrationExercise(first), CalibrationExercise(second)
    assert one.sample is two.sample  # the very same table, not a copy drawn again


def test_a_refused_write_says_not_saved_and_the_facilitator_sees_it(sample: Path):
    room = _room(sample, busy_timeout_s=0.1)
    page = room.workshop()
    page.join("Ana", "sales", TEAM)
    app = CalibrationExercise(page)
    first, second = list(app.toggles)[:2]
    app.toggles[first].value = "yes"
    assert "Saved. 1 of" in app.status.value

    blocker = sqlite3.connect(store_path(sample), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock and never lets go
    try:
        app.toggles[second].value = "no"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert "Not saved — try again" in app.status.value
    assert "database is locked" in app.status.value
    assert app.toggles[second].value is None  # the toggle shows what is stored
    assert len(room.failures) == 1
    assert room.failures[0].participant == "Ana" and "locked" in room.failures[0].error

    console = FacilitatorConsole(room, join_url="http://x/", projector_url="http://x/p")
    assert "database is locked" in console.failures.value and "Ana" in console.failures.value

    app.toggles[second].value = "no"  # the lock is gone: trying again stores it
    assert "Saved. 2 of" in app.status.value
    stored = room.store.latest(room.session, "calibration")
    assert sorted(stored["answer"]) == ["no", "yes"]  # everything acknowledged is stored


def test_store_gives_up_after_its_attempts(tmp_path: Path):
    store = AnswerStore(store_path(tmp_path), busy_timeout_s=0.05, attempts=2)
    me = store.join("s", "Ana", "sales")
    blocker = sqlite3.connect(store_path(tmp_path), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(AnswerNotSaved, match=r"Not saved — try again.*database is locked"):
            store.record("s", me, "ex", "q", "yes")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.latest("s").empty
    store.close()


def test_facilitator_opens_exercises_and_participants_follow(sample: Path):
    room = _room(sample)
    page = ParticipantPage(room, query="name=Ana&role=sales")  # the link prefills and joins
    assert page.workshop.participant is not None
    assert "Waiting for the facilitator" in page.body.children[0].value
    room.open("quiz")
    page.tick()
    assert "Exercise 4 of 5" in page.banner.value and "Metrics quiz" in page.banner.value
    assert "exercise-quiz" in page.body._dom_classes
    quiz_box = page.body.children[0]
    room.open("calibration")
    page.tick()
    assert "exercise-calibration" in page.body._dom_classes
    assert "exercise-quiz" not in page.body._dom_classes
    room.open("quiz")
    page.tick()
    assert page.body.children[0] is quiz_box  # built once, answers stay on screen
    room.open(None)
    page.tick()
    assert "Waiting for the facilitator" in page.body.children[0].value

    room.start_countdown(150)
    page.tick()
    assert "about 3 min left" in page.banner.value
    # Participants never see the guide; the facilitator does.
    guide_words = "so nobody anchors"
    assert guide_words in room.texts["calibration"].guide
    assert guide_words not in room.texts["calibration"].instructions
    room.open("calibration")
    page.tick()
    shown = "".join(
        child.value for child in page.body.children[0].children if hasattr(child, "value")
    )
    assert guide_words not in shown and "Rate the leads" in shown
    console = FacilitatorConsole(room, join_url="http://x/", projector_url="http://x/p")
    assert guide_words in console.guide.value


def test_settings_survive_a_restart_of_the_server(sample: Path):
    room = _room(sample)
    room.open("what_if")
    room.set_show_names(True)
    room.close()
    again = _room(sample)
    assert again.state.open_exercise == "what_if" and again.state.show_names


def test_anonymous_session_shows_no_real_name_anywhere(sample: Path, tmp_path: Path):
    before = _room(sample)
    ana = before.workshop()
    ana.join("Ana Realname", "sales", TEAM)  # joined with a real name before going anonymous
    CalibrationExercise(ana).toggles[next(iter(CalibrationExercise(ana).toggles))].value = "yes"
    before.close()

    room = _room(sample, anonymous=True)
    fox = ParticipantPage(room)
    assert fox.join.name.description == "Nickname"
    fox.workshop.join("Blue Fox", "marketing", TEAM)
    room.open("calibration")
    fox.tick()
    app = fox.apps["calibration"]
    app.toggles[next(iter(app.toggles))].value = "no"

    exported = room.answers_csv()
    assert "Ana Realname" not in exported
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert sorted(r["name"] for r in rows) == ["Blue Fox", "Participant 1"]

    room.set_show_names(True)  # even with names on, a real name given earlier stays hidden
    projector = ProjectorView(room, join_url="http://127.0.0.1:1/")
    page_text = projector.title.value + projector.counts.value + projector.results.value
    assert "Ana Realname" not in page_text and "Blue Fox" in page_text
    room.close()

    out = tmp_path / "reports"
    result = CliRunner().invoke(
        main, ["session-report", "room test", "--data", str(sample), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    pages = list((out / "workshops").rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "Ana Realname" not in text
    assert any("Participant 1" in page.read_text(encoding="utf-8") for page in pages)


def test_projector_hides_names_unless_chosen(sample: Path):
    room = _room(sample)
    pages = [room.workshop() for _ in range(2)]
    people = [("Zed Sales", "sales"), ("Yan Mkt", "marketing")]
    for page, (name, role) in zip(pages, people, strict=True):
        page.join(name, role, TEAM)
        app = CalibrationExercise(page)
        for item in list(app.toggles)[:6]:
            app.toggles[item].value = "yes" if role == "sales" else "no"
    room.open("calibration")
    projector = ProjectorView(room, join_url="http://127.0.0.1:1/")
    assert "Zed Sales" not in projector.results.value
    assert "Participant 1" in projector.results.value  # the calibration table names raters
    assert "<svg" in projector.widget.children[2].value  # the join QR code, drawn locally
    room.set_show_names(True)
    projector.tick(force=True)
    assert "Zed Sales" in projector.results.value


def test_export_is_every_answer_with_formulas_defused(sample: Path):
    room = _room(sample)
    page = room.workshop()
    page.join("=cmd|' /C calc'!A0", "sales", TEAM)
    page.record("rejections", "L1", '=HYPERLINK("http://x","y")')
    page.record("rejections", "L1", "+1")
    frame = pd.read_csv(io.StringIO(room.answers_csv()), dtype=str)
    assert frame.columns.tolist() == [
        "answered_at",
        "exercise",
        "item",
        "name",
        "role",
        "team",
        "answer",
    ]
    assert frame["answer"].tolist() == ['\'=HYPERLINK("http://x","y")', "'+1"]
    assert set(frame["name"]) == {"'=cmd|' /C calc'!A0"}
    assert csv_cell("-2") == "'-2" and csv_cell("@SUM(A1)") == "'@SUM(A1)" and csv_cell(None) == ""


def test_remove_and_reset(sample: Path):
    room = _room(sample)
    ids = [room.workshop().join(f"P{n}", "sales", TEAM).participant_id for n in range(3)]
    assert room.remove(ids[0]) == 1
    assert room.workshop().participants()["participant_id"].tolist() == ids[1:]
    assert room.remove(None) == 2
    assert room.workshop().participants().empty


def test_display_names_by_joining_order():
    people = pd.DataFrame(
        {
            "participant_id": ["a", "b", "c"],
            "name": ["Ana Costa", "Fox", "Owl"],
            "joined_at": ["2026-01-01T09:00", "2026-01-01T09:05", "2026-01-01T09:06"],
        }
    )
    assert display_names(people) == {"a": "Ana Costa", "b": "Fox", "c": "Owl"}
    assert display_names(people, "2026-01-01T09:01") == {
        "a": "Participant 1",
        "b": "Fox",
        "c": "Owl",
    }
    assert display_names(people, hide=True) == {
        "a": "Participant 1",
        "b": "Participant 2",
        "c": "Participant 3",
    }


@pytest.mark.parametrize(
    ("seconds", "participant", "projector"),
    [
        (None, "", ""),
        (0, "time's up", "0:00"),
        (59.5, "under 1 min left", "1:00"),
        (61, "about 2 min left", "1:01"),
        (300, "about 5 min left", "5:00"),
    ],
    ids=["none", "over", "last-minute", "just-over-a-minute", "five-minutes"],
)
def test_countdown_texts(seconds, participant, projector):
    assert countdown_text(seconds) == participant
    assert clock_text(seconds) == projector
