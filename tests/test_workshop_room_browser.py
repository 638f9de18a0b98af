"""Five participants at once through all five exercises, with the facilitator and projector.

Joins five browsers (one context each, sales and marketing) within a second, lets the
facilitator's console open every exercise in turn, and checks that every answer the pages
acknowledged is in the store, that the facilitator's table and the projector show the room,
that the CSV export holds every answer, and that the server's port is closed afterwards.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import shutil
import urllib.request
from pathlib import Path

import pytest
from conftest import PROJECT
from workshop_room import (
    ANSWERS_PER_EXERCISE,
    CHROMIUM,
    CHROMIUM_ARGS,
    EXERCISE_ORDER,
    WorkshopProcess,
    run_room,
)

from helpers.training.answer_store import AnswerStore, store_path

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SESSION = "room of five"
TEAM = "emea-ent"
PEOPLE = 5


async def _look(server: WorkshopProcess) -> dict[str, str]:
    """The facilitator's table, the projector's text and the CSV export, read in a browser."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = await browser.new_page()
        page.set_default_timeout(120_000)
        await page.goto(server.facilitator_url)
        table = page.locator(".room-progress")
        await table.get_by_text(f"{PEOPLE} joined").wait_for()
        await page.get_by_role("button", name="Download answers (CSV)").click()
        link = page.locator("a.answers-csv")
        await link.wait_for()
        href = await link.get_attribute("href")
        progress = await table.inner_text()
        guide = await page.locator(".facilitator-guide").inner_text()
        projector = await browser.new_page()
        projector.set_default_timeout(120_000)
        await projector.goto(server.projector_url)
        await projector.locator(".projector-results p").first.wait_for()
        shown = await projector.locator(".projector-view").inner_text()
        await browser.close()
    data = base64.b64decode(href.split("base64,", 1)[1]).decode("utf-8")
    return {"progress": progress, "guide": guide, "projector": shown, "csv": data}


def test_five_participants_walk_every_exercise(tmp_path: Path):
    data = tmp_path / "sample"
    shutil.copytree(PROJECT / "data" / "sample", data, ignore=shutil.ignore_patterns("*.sqlite*"))
    server = WorkshopProcess(data, SESSION, teams=(TEAM,), args=("--open", "calibration"))
    try:
        figures = run_room(server, PEOPLE, join_within_s=1.0, pace=lambda: 0.1)
        seen = asyncio.run(_look(server))
    finally:
        server.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(server.participant_url, timeout=2)

    assert figures.errors == [] and figures.empty_join_pages == 0
    for slug in EXERCISE_ORDER:
        stats = figures.exercises[slug]
        expected = PEOPLE * ANSWERS_PER_EXERCISE[slug]
        assert (stats.sent, stats.acknowledged, stats.not_saved, stats.empty_pages) == (
            expected,
            expected,
            0,
            0,
        ), slug

    with AnswerStore(store_path(data)) as store:
        latest = store.latest(SESSION)
        people = store.participants(SESSION)
    assert sorted(people["name"]) == sorted(figures.names)
    assert sorted(people["role"].value_counts().tolist()) == [2, 3]
    per_person = latest.groupby(["name", "exercise"]).size().unstack(fill_value=0)
    for slug in EXERCISE_ORDER:
        if slug == "shared_goals":  # one click saves a proposal per KPI
            assert (per_person[slug] >= 1).all()
        else:
            assert (per_person[slug] == ANSWERS_PER_EXERCISE[slug]).all(), slug

    # The facilitator's table lists everyone; the last exercise is open on the projector.
    for name in figures.names:
        assert name in seen["progress"]
    assert "Rejection-reason review" in seen["projector"]
    assert f"{PEOPLE} joined" in seen["projector"]
    assert not any(name in seen["projector"] for name in figures.names)  # names hidden
    assert "Debrief" in seen["guide"]

    rows = list(csv.DictReader(io.StringIO(seen["csv"])))
    with AnswerStore(store_path(data)) as store:
        assert len(rows) == len(store.history(SESSION))
    assert {r["exercise"] for r in rows} == set(EXERCISE_ORDER)
