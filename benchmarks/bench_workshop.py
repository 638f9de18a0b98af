"""Load benchmark of a served workshop: N participants through all five exercises.

Starts ``workbook workshop`` on 127.0.0.1 with a copy of the sample (one team, calibration
open), joins N participants in headless Chromium (Debian's, one browser context each, half
sales, half marketing) within ``--join-within`` seconds, and lets the facilitator's console
open the five exercises in turn; each participant answers through the real widgets at a human
pace (2–4 s between answers). Prints, per exercise: time to interactive (from the moment the
exercise was open to the participant until its form takes an answer: median, p95, max),
click round trip (click → the page acknowledges: median, p90), pages without their form,
answers sent / acknowledged / stored / shown to the facilitator; then the page load, the
server's peak RSS and CPU seconds, the browsers' CPU seconds (they share this machine's
cores with the server; in a room each participant has a laptop of their own), and one line::

    workshop: participants=N tti_median_s=… tti_p95_s=… click_p90_s=… empty_pages=… lost=… rss_gb=…

Run: ``.venv/bin/python benchmarks/bench_workshop.py --participants 30``
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "tests"))  # the room driver is shared with the browser tests

from workshop_room import (  # noqa: E402
    ANSWERS_PER_EXERCISE,
    CHROMIUM,
    CHROMIUM_ARGS,
    EXERCISE_ORDER,
    WorkshopProcess,
    median,
    quantile,
    run_room,
)

from helpers.training.answer_store import AnswerStore, store_path  # noqa: E402

SESSION = "load benchmark"
TEAM = "emea-ent"


class BrowserCpu:
    """CPU seconds used by Chromium processes while the room runs (sampled: they come and go)."""

    def __init__(self) -> None:
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._running = True
        self._sample()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                text = Path(stat).read_text()
            except OSError:
                continue
            name = text[text.index("(") + 1 : text.rindex(")")]
            if "chrom" not in name and "headless" not in name:
                continue
            fields = text.rsplit(")", 1)[1].split()
            pid = int(stat.split("/")[2])
            used = (int(fields[11]) + int(fields[12])) / tick
            self._first.setdefault(pid, used if self._running_before else 0.0)
            self._last[pid] = used

    _running_before = True  # processes alive at the start count from their current use

    def _watch(self) -> None:
        self._running_before = False
        while self._running:
            self._sample()
            time.sleep(0.25)

    def stop(self) -> float:
        """Stop sampling; the CPU seconds used meanwhile."""
        self._running = False
        self._thread.join()
        return sum(self._last[pid] - self._first[pid] for pid in self._last)


async def facilitator_table(url: str) -> list[list[str]]:
    """The facilitator console's progress table, cell by cell, as the browser shows it."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = await browser.new_page()
        page.set_default_timeout(120_000)
        await page.goto(url)
        table = page.locator(".room-progress table")
        await table.wait_for()
        await asyncio.sleep(2.5)  # the console refreshes every 2 s
        rows = await table.evaluate(
            "t => Array.from(t.rows).map(r => Array.from(r.cells).map(c => c.innerText.trim()))"
        )
        await browser.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--join-within", type=float, default=10.0)
    args = parser.parse_args()
    n = args.participants

    folder = Path(tempfile.mkdtemp(prefix="bench-workshop-"))
    data = folder / "sample"
    shutil.copytree(PROJECT / "data" / "sample", data, ignore=shutil.ignore_patterns("*.sqlite*"))
    server = WorkshopProcess(data, SESSION, teams=(TEAM,), args=("--open", "calibration"))
    try:
        idle_rss = server.rss()
        cpu0, browsers, wall0 = server.cpu_seconds(), BrowserCpu(), time.monotonic()
        figures = run_room(server, n, join_within_s=args.join_within)
        wall = time.monotonic() - wall0
        server_cpu = server.cpu_seconds() - cpu0
        browsers_cpu = browsers.stop()
        table = asyncio.run(facilitator_table(server.facilitator_url))
        peak_rss = server.peak_rss
    finally:
        server.stop()

    with AnswerStore(store_path(data)) as store:
        latest = store.latest(SESSION)
    shutil.rmtree(folder, ignore_errors=True)
    header, rows = table[0], table[1:]
    shown = {
        slug: sum(int(r[header.index(title)]) for r in rows)
        for slug, title in zip(EXERCISE_ORDER, header[3:8], strict=True)
    }

    print(f"workshop benchmark: {n} participants, joining within {args.join_within:.0f} s")
    print(f"server on 127.0.0.1, sample data, team {TEAM}; machine: {os.cpu_count()} cores\n")
    head = (
        f"{'exercise':<13}{'tti med':>8}{'p95':>7}{'max':>7}{'click med':>10}{'p90':>7}"
        f"{'empty':>6}{'sent':>6}{'ack':>6}{'stored':>7}{'shown':>7}{'lost':>6}"
    )
    print(head)
    tti_all, click_all, empty, lost_total = [], [], figures.empty_join_pages, 0
    for slug in EXERCISE_ORDER:
        e = figures.exercises[slug]
        mine = latest[latest["exercise"] == slug]
        stored = len(mine)
        # One click saves a proposal per KPI in shared goals: count people there.
        kept = mine["participant_id"].nunique() if slug == "shared_goals" else stored
        lost = max(0, e.acknowledged - kept)
        lost_total += lost
        tti_all += e.tti
        click_all += e.clicks
        empty += e.empty_pages
        print(
            f"{slug:<13}{median(e.tti):>8.2f}{quantile(e.tti, 0.95):>7.2f}"
            f"{max(e.tti, default=float('nan')):>7.2f}{median(e.clicks):>10.2f}"
            f"{quantile(e.clicks, 0.9):>7.2f}{e.empty_pages:>6}{e.sent:>6}{e.acknowledged:>6}"
            f"{stored:>7}{shown[slug]:>7}{lost:>6}"
        )
    expected = {slug: n * k for slug, k in ANSWERS_PER_EXERCISE.items()}
    print(f"\nanswers expected per exercise: {expected}")
    loads = figures.page_tti
    print(
        f"page load to join form: median {median(loads):.1f} s, "
        f"p95 {quantile(loads, 0.95):.1f} s, max {max(loads, default=0):.1f} s"
    )
    print(f"participant errors: {len(figures.errors)} {figures.errors[:3]}")
    print(f"wall {wall:.0f} s; server CPU {server_cpu:.1f} s; browsers' CPU {browsers_cpu:.1f} s")
    print(f"server RSS: idle {idle_rss / 1e9:.2f} GB, peak {peak_rss / 1e9:.2f} GB")
    print(
        f"workshop: participants={n} tti_median_s={median(tti_all):.2f} "
        f"tti_p95_s={quantile(tti_all, 0.95):.2f} click_p90_s={quantile(click_all, 0.9):.2f} "
        f"empty_pages={empty} lost={lost_total} rss_gb={peak_rss / 1e9:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
