"""The workshop base: session and participant, join panel, static fallback, server plan."""

from __future__ import annotations

import html
import json
import shutil
import socket
from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY

from helpers.display import widgets as display
from helpers.errors import ParameterError
from helpers.training.exercise import EXERCISES as EXERCISE_PAGES
from helpers.training.join import JoinPanel, next_links
from helpers.training.session import (
    Participant,
    Workshop,
    participant_from_query,
    participant_query,
    session_name,
    session_teams,
)

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    for name in ("WORKBOOK_SESSION", "WORKBOOK_DATA_DIR", "WORKBOOK_TEAMS", "QUERY_STRING"):
        monkeypatch.delenv(name, raising=False)
    copy = tmp_path / "data"
    shutil.copytree(TINY, copy)
    return copy


@pytest.fixture
def workshop(data_dir: Path):
    opened = Workshop(data_dir, "2026-11 Lisbon")
    yield opened
    opened.close()


# --- names from parameters, environment and links -----------------------------------------


def test_session_name_comes_from_the_parameter_then_the_environment(monkeypatch):
    monkeypatch.delenv("WORKBOOK_SESSION", raising=False)
    assert session_name() == "practice"
    monkeypatch.setenv("WORKBOOK_SESSION", "Lisbon day 1")
    assert session_name() == "Lisbon day 1"
    assert session_name("  given  ") == "given"


@pytest.mark.parametrize("bad", ["../x", "a/b", "x'y", 'q"', "a" * 81, SCRIPT, "tab\there"])
def test_unsafe_session_names_are_refused(bad):
    with pytest.raises(ParameterError, match="is not allowed. Fix: use up to 80 letters"):
        session_name(bad)


def test_session_teams_from_parameter_or_environment(monkeypatch):
    monkeypatch.setenv("WORKBOOK_TEAMS", "south, north,south")
    assert session_teams() == ("south", "north")
    assert session_teams("north") == ("north",)
    assert session_teams(["a", " b ", ""]) == ("a", "b")


def test_participant_travels_in_the_query_string():
    query = participant_query("Ana Costa & Co", "sales", "north")
    assert query == "name=Ana+Costa+%26+Co&role=sales&team=north"
    assert participant_from_query(query) == {
        "name": "Ana Costa & Co",
        "role": "sales",
        "team": "north",
    }
    # An unknown role is dropped (the panel asks), unknown keys are ignored.
    assert participant_from_query("?name=Bo&role=finance&x=1") == {"name": "Bo"}
    assert participant_from_query("") == {}


def test_missing_data_directory_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ParameterError, match=r"nowhere does not exist. Fix: pass data_dir="):
        Workshop(tmp_path / "nowhere", "s")


# --- joining and answering ------------------------------------------------------------------


def test_join_record_and_read_back_by_team(workshop: Workshop):
    seen: list[Participant] = []
    workshop.on_join(seen.append)
    with pytest.raises(ParameterError, match="Nobody has joined this workshop yet"):
        workshop.record("ex", "q", 1)
    with pytest.raises(ParameterError, match=r"Team '' is not part of this session"):
        workshop.join("Ana", "sales")  # two teams in the data: the team must be given
    ana = workshop.join("Ana", "sales", "north")
    assert seen == [ana] and ana.team == "north" and workshop.team() == "north"
    workshop.record("ex", "q", "yes")
    workshop.record("ex", "q", "no")  # a changed answer: the latest counts

    other = Workshop(workshop.data_dir, workshop.session)
    ben = other.join("Ben", "marketing", "south")
    other.record("ex", "q", "yes")
    other.close()

    assert workshop.answers("ex")[["name", "team", "answer"]].values.tolist() == [
        ["Ana", "north", "no"],
        ["Ben", "south", "yes"],
    ]
    assert workshop.answers("ex", team="south")["participant_id"].tolist() == [ben.participant_id]
    assert workshop.participants("north")["name"].tolist() == ["Ana"]
    assert workshop.my_answers("ex") == {"q": "no"}
    assert len(workshop.store.history(workshop.session)) == 3


def test_single_team_session_needs_no_team_choice(data_dir: Path):
    workshop = Workshop(data_dir, "s", teams="south")
    assert workshop.join("Ana", "marketing").team == "south"
    workshop.close()


def test_unknown_session_team_is_refused(data_dir: Path):
    workshop = Workshop(data_dir, "s", teams="north,atlantis")
    with pytest.raises(ParameterError, match=r"'atlantis' are not in data/teams.csv"):
        workshop.teams()
    workshop.close()


# --- the join panel ---------------------------------------------------------------------------


def test_join_panel_joins_with_the_values_entered(workshop: Workshop):
    panel = JoinPanel(workshop, page="02_sla_what_if.ipynb")
    assert workshop.participant is None and not panel.button.disabled
    panel.name.value = "Ana"
    panel.role.value = "marketing"
    panel.team.value = "south"
    panel.button.click()
    assert workshop.participant.name == "Ana" and workshop.participant.team == "south"
    assert panel.button.disabled and panel.name.disabled
    stored = workshop.participants()
    assert stored[["name", "role", "team"]].values.tolist() == [["Ana", "marketing", "south"]]
    # The links carry the participant to every other exercise, not to this one.
    assert "02_sla_what_if.ipynb" not in panel.status.value
    assert panel.status.value.count("?name=Ana&amp;role=marketing&amp;team=south") == 4


def test_join_panel_says_what_is_wrong_and_escapes_it(workshop: Workshop):
    panel = JoinPanel(workshop)
    panel.name.value = SCRIPT
    panel.button.click()  # no role chosen
    assert workshop.participant is None
    assert "Role must be &#x27;sales&#x27; or &#x27;marketing&#x27;" in panel.status.value
    assert "<script>" not in panel.status.value and html.escape(SCRIPT) in panel.status.value


def test_join_panel_joins_by_itself_from_the_link(workshop: Workshop, monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "name=Ana&role=sales&team=north")
    JoinPanel(workshop)
    first = workshop.participant
    assert first is not None and (first.name, first.role, first.team) == ("Ana", "sales", "north")
    # The next exercise's kernel (a new Workshop) finds the same participant again.
    again = Workshop(workshop.data_dir, workshop.session)
    JoinPanel(again)
    assert again.participant.participant_id == first.participant_id
    again.close()


def test_next_links_are_escaped():
    links = next_links(Participant("id", SCRIPT, "sales", "north"))
    assert "<script>" not in links
    assert links.count("<a href=") == len(EXERCISE_PAGES)


# --- static fallback --------------------------------------------------------------------------


def test_static_html_escapes_text_and_tables_and_embeds_figures():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title(SCRIPT)
    frame = pd.DataFrame({"name": [SCRIPT], "share": [0.5]})
    page = display.static_html([SCRIPT, frame, fig, None, display.Html("<b>kept</b>")])
    assert "<script>" not in page
    assert page.count(html.escape(SCRIPT)) == 3  # text, table cell, image alt text
    assert '<img src="data:image/png;base64,' in page and "<b>kept</b>" in page
    with pytest.raises(TypeError, match="cannot show a int"):
        display.static_html([3])


def test_show_gives_the_widget_a_static_snapshot(monkeypatch):
    import ipywidgets as widgets

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    slider = widgets.IntSlider(value=3)
    display.show(slider, ["Volume: 3"])
    (bundle,) = shown
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == slider.model_id
    assert bundle["text/html"] == "<p>Volume: 3</p>"


def test_live_panel_replaces_its_content_on_refresh(monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: None)
    answers = ["first"]
    panel = display.LivePanel(lambda: [f"{len(answers)} answer(s)"])
    panel.display()
    answers.append("second")
    panel.refresh()
    panel.refresh()
    (output,) = panel.output.outputs  # replaced, never stacked
    assert output["data"]["text/html"] == "<p>2 answer(s)</p>"


# --- the reports index lists rendered sessions -----------------------------------------------


def test_index_lists_workshop_sessions_escaped_and_only_safe_pages(tmp_path: Path):
    from helpers.reports.index_page import write_index

    folder = tmp_path / "workshops" / "lisbon"
    folder.mkdir(parents=True)
    (folder / "north.html").write_text("<html></html>")
    record = {
        "session": SCRIPT,
        "teams": [
            {"team": "north", "page": "north.html", "participants": 3, "rendered_at": "x"},
            {"team": "../etc", "page": "../etc.html", "participants": 9},
            {"team": "south", "page": "south.html", "participants": 5},  # page missing
        ],
    }
    (folder / "session.json").write_text(json.dumps(record))
    (tmp_path / "workshops" / "broken").mkdir()
    (tmp_path / "workshops" / "broken" / "session.json").write_text("{not json")
    page = write_index(tmp_path, []).read_text()
    assert '<h2 id="workshops">Workshop sessions</h2>' in page
    assert html.escape(SCRIPT) in page and "<script>" not in page
    assert '<a href="workshops/lisbon/north.html">north</a>' in page
    assert "etc" not in page and "south" not in page
    assert '<td class="num" data-label="Participants">3</td>' in page


# --- the workshop server plan -----------------------------------------------------------------


def test_workshop_server_checks_before_starting(data_dir: Path):
    from helpers.training.server import WorkshopServer

    notebooks = Path(__file__).parents[1] / "notebooks" / "training"
    server = WorkshopServer.prepare(data_dir, "Lisbon", ("north",), port=0, notebooks=notebooks)
    assert server.served.teams == ("north",) and server.session == "Lisbon"
    command = server.command()
    assert command[1:5] == ["-m", "solara", "run", "helpers.training.serving.app"]
    assert "--host=127.0.0.1" in command and "--no-check-version" in command
    env = server.environment()
    assert env["WORKBOOK_SESSION"] == "Lisbon" and env["WORKBOOK_TEAMS"] == "north"
    assert env["WORKBOOK_DATA_DIR"] == str(data_dir.resolve())
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert server.participant_url == "http://127.0.0.1:0/"
    key = env["WORKBOOK_FACILITATOR_KEY"]
    assert (
        len(key) >= 16 and server.url("facilitator") == f"http://127.0.0.1:0/facilitator?key={key}"
    )
    with pytest.raises(ParameterError, match="--open 'nope' is not an exercise"):
        WorkshopServer.prepare(
            data_dir, "Lisbon", port=0, notebooks=notebooks, open_exercise="nope"
        )

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ParameterError, match=rf"Cannot listen on 127.0.0.1:{port}"):
            WorkshopServer.prepare(data_dir, "Lisbon", port=port, notebooks=notebooks)
    with pytest.raises(ParameterError, match="lacks 01_lead_calibration.ipynb"):
        WorkshopServer.prepare(data_dir, "Lisbon", notebooks=data_dir)
