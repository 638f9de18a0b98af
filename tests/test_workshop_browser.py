"""A real workshop in a real browser: ``workbook workshop`` serves, Chromium answers.

Starts the CLI on 127.0.0.1 with a copy of the sample, opens the participant page in headless
Chromium (Debian's, driven by Playwright), joins with a name and role, rates some leads, and
finds exactly those answers in the SQLite store; no request leaves 127.0.0.1 (no CDN). A
second test locks the store mid-session: the participant sees "Not saved — try again", the
facilitator's console lists the failure, and nothing acknowledged is missing. The server's
whole process group is stopped at the end and its port is closed.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import PROJECT
from workshop_room import WorkshopProcess

from helpers.training.answer_store import AnswerStore, store_path

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SESSION = "browser test"
TEAM = "emea-ent"
PAGE_TIMEOUT_MS = 120_000


@pytest.fixture
def workshop_server(tmp_path: Path):
    data = tmp_path / "sample"
    shutil.copytree(PROJECT / "data" / "sample", data, ignore=shutil.ignore_patterns("*.sqlite*"))
    server = WorkshopProcess(data, SESSION, teams=(TEAM,), args=("--open", "calibration"))
    try:
        assert server.participant_url == f"http://127.0.0.1:{server.port}/"
        yield server, data
    finally:
        server.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(server.participant_url, timeout=2)


def _join(page, url: str, name: str, role: str) -> None:
    page.goto(url, timeout=PAGE_TIMEOUT_MS)
    field = page.locator(".join-name input")
    field.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert page.locator(".jp-CodeCell .jp-InputArea").count() == 0, "code is shown"
    field.fill(name)
    page.get_by_role("button", name=role, exact=True).click()
    page.get_by_role("button", name="Join").click()
    page.get_by_text("Joined as").wait_for(timeout=30_000)


def _click(page, position: int, question: str, answer: str) -> None:
    toggle = page.locator(f".calibration-lead-{position} .calibration-{question}")
    button = toggle.get_by_role("button", name=answer, exact=True)
    button.wait_for(timeout=30_000)
    page.wait_for_function("el => !el.disabled", arg=button.element_handle(), timeout=30_000)
    button.click()


def test_participant_joins_and_rates_leads(workshop_server, chromium):
    server, data = workshop_server
    page = chromium.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    local = ("http://127.0.0.1", "data:", "blob:http://127.0.0.1")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    try:
        _join(page, server.participant_url, "Ana Browser", "Marketing")

        # Rate lead 1 (MQL yes, call no) and lead 2 (MQL no), then change lead 2 to yes.
        clicks = [(1, "mql", "yes"), (1, "call", "no"), (2, "mql", "no"), (2, "mql", "yes")]
        for position, question, answer in clicks:
            _click(page, position, question, answer)
            # Each click is a round trip to the kernel, which stores the answer at once.
            _wait_for_answers(data, expected=clicks.index((position, question, answer)) + 1)
        labels = [
            page.locator(f".calibration-lead-{k}").inner_text().split("·")[1].split()[0]
            for k in (1, 2)
        ]
    finally:
        page.close()
    assert errors == []
    assert outside == []  # every script, style sheet and font came from the server

    with AnswerStore(store_path(data)) as store:
        latest = store.latest(SESSION, "calibration")
        history = store.history(SESSION)
        people = store.participants(SESSION)
    assert people[["name", "role", "team"]].values.tolist() == [["Ana Browser", "marketing", TEAM]]
    got = sorted(zip(latest["item"], latest["answer"], strict=True))
    expected = sorted(
        [(f"{labels[0]}:mql", "yes"), (f"{labels[0]}:call", "no"), (f"{labels[1]}:mql", "yes")]
    )
    assert got == expected
    assert history["answer"].tolist() == ["yes", "no", "no", "yes"]  # the change is kept


def _wait_for_answers(data: Path, expected: int) -> None:
    """Poll the store until ``expected`` answer rows are in it (clicks are asynchronous)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with AnswerStore(store_path(data)) as store:
            if len(store.history(SESSION)) >= expected:
                return
        time.sleep(0.2)
    pytest.fail(f"the store did not reach {expected} answer(s) within 30 s")


def test_a_locked_store_says_not_saved_and_the_facilitator_sees_it(workshop_server, chromium):
    server, data = workshop_server
    page = chromium.new_page()
    console = chromium.new_page()
    try:
        _join(page, server.participant_url, "Bo Locked", "Sales")
        _click(page, 1, "mql", "yes")
        page.get_by_text("Saved. 1 of").wait_for(timeout=30_000)

        blocker = sqlite3.connect(store_path(data), isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock mid-session
        try:
            _click(page, 2, "mql", "no")
            page.get_by_text("Not saved — try again").wait_for(timeout=60_000)
            console.goto(server.facilitator_url, timeout=PAGE_TIMEOUT_MS)
            failures = console.locator(".room-failures")
            failures.get_by_text("database is locked").wait_for(timeout=60_000)
            assert "Bo Locked" in failures.inner_text()
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        pressed = page.locator(".calibration-lead-2 .calibration-mql .mod-active")
        assert pressed.count() == 0  # the toggle went back: it shows what is stored

        _click(page, 2, "mql", "no")  # the lock is gone: trying again stores it
        page.get_by_text("Saved. 2 of").wait_for(timeout=30_000)
    finally:
        page.close()
        console.close()
    with AnswerStore(store_path(data)) as store:
        history = store.history(SESSION)
    assert history["answer"].tolist() == ["yes", "no"]  # acknowledged = stored, nothing else
