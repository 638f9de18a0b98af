"""The facilitator records an agreed action in the served console (a real browser).

``workbook workshop`` on a copy of the sample; the facilitator fills the action form, the row
lands in the data's actions.csv with the session as who agreed; an empty action is refused on
the page and nothing is written.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from conftest import PROJECT
from workshop_room import WorkshopProcess

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_the_console_adds_an_action_to_actions_csv(tmp_path: Path, chromium):
    data = tmp_path / "sample"
    shutil.copytree(PROJECT / "data" / "sample", data, ignore=shutil.ignore_patterns("*.sqlite*"))
    before = (data / "actions.csv").read_text().splitlines()
    server = WorkshopProcess(data, "actions check", teams=("emea-ent", "na-ent"))
    try:
        page = chromium.new_page(viewport={"width": 1300, "height": 1000})
        page.set_default_timeout(90_000)
        page.goto(server.facilitator_url)
        page.locator(".action-form").wait_for()
        page.locator(".action-team select").select_option("na-ent")
        page.locator(".action-text input").fill("Joint pipeline review every Monday")
        page.locator(".action-owner input").fill("Sales director")
        page.locator(".action-kpi select").select_option(label="Win rate")
        page.get_by_role("button", name="Add action").click()
        page.locator(".action-message", has_text="Saved as").wait_for()
        page.locator(".action-list", has_text="Joint pipeline review every Monday").wait_for()
        message = page.locator(".action-message").inner_text()
        listing = page.locator(".action-list").inner_text()
        page.get_by_role("button", name="Add action").click()  # the action field is empty now
        page.locator(".action-message", has_text="Not saved").wait_for()
        refused = page.locator(".action-message").inner_text()
        page.close()
    finally:
        server.stop()

    rows = list(csv.DictReader((data / "actions.csv").open(encoding="utf-8")))
    assert len(rows) == len(before)  # header + 5 sample rows, plus the new one
    new = rows[-1]
    # The sample's latest complete quarter is 2026Q3: the workshop reviews it; due 2026Q4.
    assert new == {
        "action_id": "na-ent-2026Q3-1",
        "team": "na-ent",
        "quarter_agreed": "2026Q3",
        "action": "Joint pipeline review every Monday",
        "owner": "Sales director",
        "due_quarter": "2026Q4",
        "kpi": "win_rate",
        "status": "open",
        "agreed_by": "workshop actions check",
        "agreed_at": new["agreed_at"],
    }
    assert new["agreed_at"].endswith("+00:00")
    assert "Saved as na-ent-2026Q3-1 in actions.csv; the 2026Q4 report follows it up." in message
    assert "Joint pipeline review every Monday" in listing
    assert "the action is empty" in refused
