"""Drive a workshop room in a real browser: the server, the participants, the facilitator.

Used by ``tests/test_workshop_browser.py`` (5 participants, fast) and by
``benchmarks/bench_workshop.py`` (30 or 60 at a human pace). ``WorkshopProcess`` starts
``workbook workshop`` on 127.0.0.1 and stops its whole process group; ``run_room`` joins N
participants (one browser context each, half sales, half marketing) within a few seconds,
and the facilitator opens the five exercises in turn through the console. Every answer is
given through the real widgets and counted as acknowledged only when the page says so.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EXERCISE_ORDER = ("calibration", "what_if", "shared_goals", "quiz", "rejections")
ANSWERS_PER_EXERCISE = {
    "calibration": 3,
    "what_if": 1,
    "shared_goals": 1,
    "quiz": 3,
    "rejections": 3,
}

PAGE_LOAD_TIMEOUT_MS = 300_000


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WorkshopProcess:
    """``workbook workshop`` on 127.0.0.1 in its own process group, with its RSS and CPU."""

    def __init__(
        self, data: Path, session: str, *, teams: tuple[str, ...] = (), args: tuple = ()
    ) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "helpers.cli", "workshop", "--data", str(data)]
        command += ["--session", session, "--port", str(self.port), *args]
        for team in teams:
            command += ["--team", team]
        self.log_path = data.parent / f"server-{self.port}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            start_new_session=True,
        )
        lines = [self.process.stdout.readline() for _ in range(5)]
        urls = dict(line.split(":", 1) for line in lines if ":" in line)
        self.participant_url = urls["Participants open"].strip()
        self.facilitator_url = urls["Facilitator opens"].strip()
        self.projector_url = urls["Projector shows"].strip()
        self.peak_rss = 0
        self._watching = True
        self._wait_until_listening()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _wait_until_listening(self, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"workbook workshop exited:\n{self.log_path.read_text()}")
            try:
                urllib.request.urlopen(self.participant_url, timeout=2).close()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"no answer on {self.participant_url}:\n{self.log_path.read_text()}")

    def rss(self) -> int:
        """Resident memory of the server process now, in bytes."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the server has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _watch(self) -> None:
        while self._watching and self.process.poll() is None:
            try:
                self.peak_rss = max(self.peak_rss, self.rss())
            except (OSError, AttributeError):
                return
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop the server's whole process group; the port is closed afterwards."""
        self._watching = False
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=20)
        self._log.close()


@dataclass
class ExerciseFigures:
    """What one exercise measured across the room."""

    tti: list[float] = field(default_factory=list)  # open → form usable, per participant
    clicks: list[float] = field(default_factory=list)  # click → acknowledged
    sent: int = 0
    acknowledged: int = 0
    not_saved: int = 0
    empty_pages: int = 0


@dataclass
class RoomFigures:
    """The whole run: page load, every exercise, who joined."""

    participants: int
    page_tti: list[float] = field(default_factory=list)
    exercises: dict[str, ExerciseFigures] = field(
        default_factory=lambda: {slug: ExerciseFigures() for slug in EXERCISE_ORDER}
    )
    names: list[str] = field(default_factory=list)
    empty_join_pages: int = 0
    errors: list[str] = field(default_factory=list)


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(-(-q * len(ordered) // 1)) - 1))]


def median(values: list[float]) -> float:
    """The median of ``values``; NaN when empty."""
    return statistics.median(values) if values else float("nan")


async def _ack(page, slug: str, step: int) -> None:
    """Wait until the page acknowledges answer ``step`` (0-based) of exercise ``slug``."""
    area = page.locator(f".exercise-{slug}")
    if slug == "calibration":
        await area.get_by_text(re.compile(rf"Saved\. {step + 1} of|Not saved")).wait_for()
    elif slug == "what_if":
        await area.get_by_text(re.compile("Scenario saved|Not saved")).wait_for()
    elif slug == "shared_goals":
        await area.get_by_text(re.compile("Proposals saved|Not saved")).wait_for()
    elif slug == "quiz":
        verdicts = area.get_by_text(re.compile(r"Right\.|Not quite\.|Not saved"))
        while await verdicts.count() < step + 1:
            await asyncio.sleep(0.05)
    elif slug == "rejections":
        await area.get_by_text(re.compile(rf"Sorted: {step + 1} of|Not saved")).wait_for()


async def _click(page, slug: str, step: int) -> None:
    """Give answer ``step`` of exercise ``slug`` through its widgets."""
    area = page.locator(f".exercise-{slug}")
    if slug == "calibration":
        toggle = area.locator(f".calibration-lead-{step + 1} .calibration-mql")
        await toggle.get_by_role("button", name="yes", exact=True).click()
    elif slug == "what_if":
        await area.get_by_role("button", name="Save my scenario").click()
    elif slug == "shared_goals":
        await area.get_by_role("button", name="Save my proposals").click()
    elif slug == "quiz":
        await area.locator(".widget-radio-box:visible").nth(step).locator("input").first.click()
    elif slug == "rejections":
        await area.locator(".widget-radio-box").nth(step).locator("input").first.click()


async def _form_ready(page, slug: str) -> None:
    """Wait until exercise ``slug``'s form can take an answer."""
    area = page.locator(f".exercise-{slug}")
    ready = {
        "calibration": area.locator(".calibration-lead-1 .calibration-mql button:enabled").first,
        "what_if": area.get_by_role("button", name="Save my scenario"),
        "shared_goals": area.get_by_role("button", name="Save my proposals"),
        "quiz": area.locator(".widget-radio-box:visible input:enabled").first,
        "rejections": area.locator(".widget-radio-box input:enabled").first,
    }[slug]
    await ready.wait_for()
    if slug in ("what_if", "shared_goals"):
        handle = await ready.element_handle()
        await page.wait_for_function("el => !el.disabled", arg=handle)


async def _participant(
    browser, url: str, number: int, figures: RoomFigures, opened: dict, done: Callable, pace
) -> None:
    role = "Sales" if number % 2 else "Marketing"
    name = f"Participant {number:02d}"
    marked: set[str] = set()

    def mark(slug: str) -> None:
        if slug not in marked:
            marked.add(slug)
            done(slug)

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(120_000)
    try:
        start = time.monotonic()
        # Here every simulated participant's Chromium shares the server's two cores, so 60
        # page loads take minutes that a participant's own laptop would not spend: loading
        # gets PAGE_LOAD_TIMEOUT_MS; everything after it keeps the shorter default.
        await page.goto(url, timeout=PAGE_LOAD_TIMEOUT_MS)
        try:
            await page.locator(".join-name input").wait_for(timeout=PAGE_LOAD_TIMEOUT_MS)
        except Exception:
            figures.empty_join_pages += 1
            raise
        figures.page_tti.append(time.monotonic() - start)
        await page.locator(".join-name input").fill(name)
        await page.get_by_role("button", name=role, exact=True).click()
        await page.get_by_role("button", name="Join").click()
        await page.get_by_text("Joined as").wait_for()
        joined_at = time.monotonic()
        figures.names.append(name)
        for slug in EXERCISE_ORDER:
            await opened[slug].wait()
            stats = figures.exercises[slug]
            try:
                await _form_ready(page, slug)
            except Exception:
                stats.empty_pages += 1
                mark(slug)
                continue
            # From the moment the exercise was open to this participant (opened, and joined).
            stats.tti.append(time.monotonic() - max(opened[slug].at, joined_at))
            for step in range(ANSWERS_PER_EXERCISE[slug]):
                await asyncio.sleep(pace())
                clicked = time.monotonic()
                stats.sent += 1
                await _click(page, slug, step)
                await _ack(page, slug, step)
                stats.clicks.append(time.monotonic() - clicked)
                if await page.locator(f".exercise-{slug} .workbook-error").count():
                    stats.not_saved += 1
                else:
                    stats.acknowledged += 1
            mark(slug)
    except Exception as err:
        figures.errors.append(f"{name}: {type(err).__name__}: {str(err).splitlines()[0]}")
    finally:
        for slug in EXERCISE_ORDER:  # a participant who dropped out holds nobody up
            mark(slug)
        await context.close()


class _Opened(asyncio.Event):
    at: float = 0.0


async def _room(
    server: WorkshopProcess,
    participants: int,
    *,
    join_within_s: float,
    pace: Callable[[], float],
    on_exercise_done: Callable | None = None,
) -> RoomFigures:
    from playwright.async_api import async_playwright

    figures = RoomFigures(participants)
    opened = {slug: _Opened() for slug in EXERCISE_ORDER}
    finished = {slug: 0 for slug in EXERCISE_ORDER}
    all_done = {slug: asyncio.Event() for slug in EXERCISE_ORDER}

    def done(slug: str) -> None:
        finished[slug] += 1
        if finished[slug] >= participants:
            all_done[slug].set()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        console = await (await browser.new_context()).new_page()
        console.set_default_timeout(120_000)
        await console.goto(server.facilitator_url)
        switch = console.locator(".open-exercise")
        await switch.wait_for()

        async def join_later(number: int) -> None:
            await asyncio.sleep(random.uniform(0, join_within_s))
            await _participant(browser, server.participant_url, number, figures, opened, done, pace)

        people = [asyncio.create_task(join_later(n)) for n in range(1, participants + 1)]
        for slug in EXERCISE_ORDER:
            if slug != EXERCISE_ORDER[0]:
                await switch.get_by_role("button", name=_TITLES[slug], exact=True).click()
            opened[slug].at = time.monotonic()
            opened[slug].set()
            await asyncio.wait_for(all_done[slug].wait(), timeout=600)
            if on_exercise_done is not None:
                on_exercise_done(slug)
        await asyncio.gather(*people)
        await browser.close()
    return figures


_TITLES = {
    "calibration": "Lead-qualification calibration",
    "what_if": "SLA and funnel what-if",
    "shared_goals": "Shared goals for next quarter",
    "quiz": "Metrics quiz",
    "rejections": "Rejection-reason review",
}


def run_room(
    server: WorkshopProcess,
    participants: int,
    *,
    join_within_s: float = 10.0,
    pace: Callable[[], float] = lambda: random.uniform(2.0, 4.0),
    on_exercise_done: Callable | None = None,
) -> RoomFigures:
    """Drive ``participants`` people through the five exercises; the server opens calibration.

    The server must have been started with ``--open calibration``; the facilitator's
    console opens the other four in turn, each once everybody finished the one before.
    """
    return asyncio.run(
        _room(
            server,
            participants,
            join_within_s=join_within_s,
            pace=pace,
            on_exercise_done=on_exercise_done,
        )
    )
