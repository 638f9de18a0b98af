"""A real workshop in a real browser: ``workbook workshop`` serves Voila, Chromium answers.

Starts the CLI on 127.0.0.1 with a copy of the sample, opens the calibration exercise in
headless Chromium (Debian's, driven by Playwright), joins with a name and role, rates some
leads, and finds exactly those answers in the SQLite store. The server's whole process group
is stopped at the end, kernels included.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import PROJECT

from helpers.training.answer_store import AnswerStore, store_path

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SESSION = "browser test"
TEAM = "emea-ent"
PAGE_TIMEOUT_MS = 120_000  # Voila executes the notebook (and loads the sample) before serving


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def workshop_server(tmp_path: Path):
    data = tmp_path / "sample"
    shutil.copytree(PROJECT / "data" / "sample", data, ignore=shutil.ignore_patterns("*.sqlite*"))
    port = _free_port()
    command = [sys.executable, "-m", "helpers.cli", "workshop", "--data", str(data)]
    command += ["--session", SESSION, "--team", TEAM, "--port", str(port)]
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True
    )
    try:
        printed = [server.stdout.readline() for _ in range(3)]
        participants = next(line for line in printed if line.startswith("Participants open:"))
        url = participants.split(":", 1)[1].strip()
        assert url == f"http://127.0.0.1:{port}/voila/render/01_lead_calibration.ipynb"
        _wait_until_listening(f"http://127.0.0.1:{port}/", server, tmp_path / "server.log")
        yield url, data
    finally:
        # Voila replaced the CLI process; its kernels are in the same process group.
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=20)
        log.close()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)


def _wait_until_listening(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"workbook workshop exited with {server.returncode}:\n{log.read_text()}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"Voila did not answer on {url} within 60 s:\n{log.read_text()}")


def test_participant_joins_and_rates_leads_in_voila(workshop_server, chromium):
    url, data = workshop_server
    page = chromium.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.goto(url, timeout=PAGE_TIMEOUT_MS)
        name = page.locator(".widget-text input").first
        name.wait_for(timeout=PAGE_TIMEOUT_MS)
        assert page.locator(".jp-CodeCell .jp-InputArea").count() == 0, "code is shown"
        name.fill("Ana Browser")
        page.get_by_role("button", name="Marketing").click()
        page.get_by_role("button", name="Join").click()
        page.get_by_text("Joined as").wait_for(timeout=30_000)

        # Rate lead 1 (MQL yes, call no) and lead 2 (MQL no), then change lead 2 to yes.
        clicks = [(1, "mql", "yes"), (1, "call", "no"), (2, "mql", "no"), (2, "mql", "yes")]
        for position, question, answer in clicks:
            toggle = page.locator(f".calibration-lead-{position} .calibration-{question}")
            button = toggle.get_by_role("button", name=answer, exact=True)
            button.wait_for(timeout=30_000)
            page.wait_for_function(
                "el => !el.disabled", arg=button.element_handle(), timeout=30_000
            )
            button.click()
            # Each click is a round trip to the kernel, which stores the answer at once.
            _wait_for_answers(data, expected=clicks.index((position, question, answer)) + 1)
        labels = [
            page.locator(f".calibration-lead-{k}").inner_text().split("·")[1].split()[0]
            for k in (1, 2)
        ]
    finally:
        page.close()
    assert errors == []

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
