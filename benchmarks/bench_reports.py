"""The quarterly pack of the sample: the naive papermill + nbconvert loop vs ``workbook reports``.

Run: ``.venv/bin/python benchmarks/bench_reports.py [--repeats 2] [--quick] [--quarter 2026Q3]``.

The same reports (the 7 of one quarter that ``workbook reports`` renders on the bundled
sample: the 6 teams and ``all``) are rendered four ways, each ``--repeats`` times:

(a) naive, serial: per report the ``papermill`` command line, then
    ``jupyter nbconvert --to html --no-input``, one report after the other;
(b) naive, 2-wide: the same two commands per report, two reports at a time (one per core);
(c) ``workbook reports --force`` into a new, empty folder (its kernel pool, one kernel per
    core);
(d) ``workbook reports`` again on that folder with nothing changed (every report up to date).

For each it prints wall seconds and CPU seconds of the whole process tree (user + system of
every process the run started, kernels included), min and median over the repeats, then the
ratios of the medians, and last the one summary line (``pack: naive_serial_s=…
naive_2wide_s=… workbook_s=… ratio_serial=… ratio_2wide=… cpu_ratio=… nochange_s=…``, on one
line): medians of wall seconds, and ``cpu_ratio`` the naive serial loop's median CPU seconds
over those of ``workbook reports``.

CPU of the tree: this process makes itself the "child subreaper" (Linux ``prctl``), so a
grandchild its parent leaves behind (a kernel) is handed to it and waited for here; the CPU of
every process started is then in ``getrusage(RUSAGE_CHILDREN)``, read before and after each
run. A fixed pure-Python loop's CPU seconds are printed at the start and after each repeat
(the machine's speed wanders on a shared host). ``--quick`` renders 3 reports (``all`` and
two teams) for a quick look while developing. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "reports" / "team_quarterly_report.ipynb"
DATA = ROOT / "data" / "sample"
BIN = Path(sys.executable).parent
PR_SET_CHILD_SUBREAPER = 36
SERIAL, WIDE = "(a) naive loop, serial", "(b) naive loop, 2-wide"
PACK, NO_CHANGE = "(c) workbook reports --force", "(d) workbook reports, no change"


def sample_teams() -> list[str]:
    """The reports ``workbook reports`` renders on the sample by default: every team, then all."""
    lines = (DATA / "teams.csv").read_text(encoding="utf-8").splitlines()
    return [line.split(",", 1)[0] for line in lines[1:] if line.strip()] + ["all"]


def become_subreaper() -> bool:
    """Have orphaned descendants handed to this process, so their CPU time is counted."""
    if platform.system() != "Linux":
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def reap_orphans(patience: float = 60.0) -> None:
    """Wait for every descendant left to this process (see :func:`become_subreaper`)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:  # some are still running
            if time.monotonic() > deadline:
                print(f"  (descendants still running after {patience:.0f} s; not counted)")
                return
            time.sleep(0.05)


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished, waited-for descendant so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Timing:
    """Wall and process-tree CPU seconds of the repeats of one way of rendering."""

    name: str
    wall: list[float]
    cpu: list[float]

    def line(self) -> str:
        wall_min, wall_med = min(self.wall), statistics.median(self.wall)
        cpu_min, cpu_med = min(self.cpu), statistics.median(self.cpu)
        return (
            f"{self.name:<34} wall min {wall_min:7.2f} med {wall_med:7.2f} s   "
            f"CPU min {cpu_min:7.2f} med {cpu_med:7.2f} s"
        )

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


def machine_speed() -> float:
    """CPU seconds of a fixed pure-Python loop: how fast this machine runs Python just now.

    The machine's speed wanders (a shared host): printed at the start and after each repeat,
    so a reader sees whether the ways were measured at the same speed.
    """
    start = time.process_time()
    total = 0
    for number in range(10_000_000):
        total += number
    return time.process_time() - start


def measure(run: Callable[[], None]) -> tuple[float, float]:
    """Wall and process-tree CPU seconds of ``run`` (which starts subprocesses and waits)."""
    cpu_before = children_cpu()
    start = time.perf_counter()
    run()
    reap_orphans()
    return time.perf_counter() - start, children_cpu() - cpu_before


def command(args: list[str]) -> None:
    """Run a command quietly; fail loudly with its output."""
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")


def naive_report(out: Path, team: str, quarter: str) -> None:
    """One report the naive way: the papermill command, then the nbconvert command."""
    executed = out / f"{team}.ipynb"
    command(
        [
            str(BIN / "papermill"), str(NOTEBOOK), str(executed),
            "-p", "team", team,
            "-p", "quarter", quarter,
            "-p", "data_dir", str(DATA),
            "--cwd", str(NOTEBOOK.parent),
            "--no-progress-bar",
        ]
    )  # fmt: skip
    command([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)])
    if not executed.with_suffix(".html").is_file():
        raise SystemExit(f"nbconvert wrote no {executed.with_suffix('.html')}")


def naive(out: Path, teams: list[str], quarter: str, width: int) -> None:
    """The naive loop over ``teams``, ``width`` reports at a time."""
    out.mkdir(parents=True)
    if width == 1:
        for team in teams:
            naive_report(out, team, quarter)
        return
    with ThreadPoolExecutor(max_workers=width) as pool:
        for future in [pool.submit(naive_report, out, team, quarter) for team in teams]:
            future.result()


def workbook(out: Path, teams: list[str], quarter: str, *, force: bool, expect: str) -> None:
    """One ``workbook reports`` run; its summary line must say ``expect``."""
    args = [str(BIN / "workbook"), "reports", "--data", str(DATA), "--out", str(out)]
    args += ["--quarter", quarter, "--notebook", str(NOTEBOOK)]
    args += [arg for team in teams for arg in ("--team", team)]
    if force:
        args.append("--force")
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0 or expect not in done.stdout:
        raise SystemExit(f"workbook reports: expected {expect!r}, got:\n{done.stdout}{done.stderr}")


def _runs(base: Path, teams: list[str], quarter: str) -> list[tuple[str, Callable[[], None]]]:
    """The four ways, in order, rendering into folders under ``base``."""
    n, pack = len(teams), base / "pack"
    rendered = f"{n} report(s) rendered, 0 up to date, 0 failed"
    unchanged = f"0 report(s) rendered, {n} up to date, 0 failed"
    return [
        (SERIAL, lambda: naive(base / "serial", teams, quarter, 1)),
        (WIDE, lambda: naive(base / "wide", teams, quarter, 2)),
        (PACK, lambda: workbook(pack, teams, quarter, force=True, expect=rendered)),
        (NO_CHANGE, lambda: workbook(pack, teams, quarter, force=False, expect=unchanged)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quarter", default="2026Q3", help="quarter to render (default 2026Q3)")
    parser.add_argument(
        "--repeats", type=int, default=2, help="runs of each way (default 2; min and median)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="3 reports (all and two teams) instead of 7"
    )
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    teams = sample_teams()
    if args.quick:
        teams = ["all", *teams[:2]]
    subreaper = become_subreaper()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{len(teams)} reports of {args.quarter} from {DATA.name} ({', '.join(teams)}); "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load {load:.2f} at start, "
        f"{args.repeats} repeat(s); tree CPU {'via subreaper' if subreaper else 'children only'}"
    )
    print(f"machine speed probe (a fixed Python loop): {machine_speed():.2f} s CPU at start")
    n = len(teams)
    ways = {name: Timing(name, [], []) for name in (SERIAL, WIDE, PACK, NO_CHANGE)}
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        for repeat in range(args.repeats):
            for name, run in _runs(Path(tmp) / f"run{repeat}", teams, args.quarter):
                wall, cpu = measure(run)
                ways[name].wall.append(wall)
                ways[name].cpu.append(cpu)
                print(f"  repeat {repeat + 1}: {name:<34} {wall:7.2f} s wall {cpu:7.2f} s CPU")
            print(f"  repeat {repeat + 1}: machine speed probe {machine_speed():.2f} s CPU")
    print()
    for timing in ways.values():
        print(timing.line())
    serial, wide, pack, nochange = ways.values()
    ratio_serial = serial.wall_median / pack.wall_median
    ratio_2wide = wide.wall_median / pack.wall_median
    cpu_ratio = serial.cpu_median / pack.cpu_median
    print(
        f"\nratios of medians: wall (a)/(c) {ratio_serial:.2f}x, (b)/(c) {ratio_2wide:.2f}x; "
        f"CPU (a)/(c) {cpu_ratio:.2f}x, (b)/(c) {wide.cpu_median / pack.cpu_median:.2f}x; "
        f"per report: (a) {serial.wall_median / n:.1f} s, (c) {pack.wall_median / n:.1f} s wall"
    )
    print(
        f"pack: naive_serial_s={serial.wall_median:.1f} naive_2wide_s={wide.wall_median:.1f} "
        f"workbook_s={pack.wall_median:.1f} ratio_serial={ratio_serial:.1f} "
        f"ratio_2wide={ratio_2wide:.1f} cpu_ratio={cpu_ratio:.1f} "
        f"nochange_s={nochange.wall_median:.2f}"
    )


if __name__ == "__main__":
    main()
