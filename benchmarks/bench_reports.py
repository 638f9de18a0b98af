"""Render 6 teams + ``all`` for one quarter of the sample: the naive way vs ``workbook reports``.

Run: ``.venv/bin/python benchmarks/bench_reports.py [--quarter 2026Q3] [--jobs N]``.

(a) naive: for each report, the ``papermill`` command line, then
    ``jupyter nbconvert --to html --no-input``, one after the other;
(b) ``workbook reports`` into an empty folder (reusable kernels, one per worker);
(c) ``workbook reports`` again with nothing changed (every report up to date).

Both ways run in this process's session, one after the other, on the same machine. Prints
wall times and ratios; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "reports" / "team_quarterly_report.ipynb"
DATA = ROOT / "data" / "sample"
TEAMS = ["all", "emea-ent", "emea-smb", "na-ent", "na-smb", "apac-mm", "latam-smb"]
BIN = Path(sys.executable).parent


def run(command: list[str], **kwargs) -> None:
    """Run a command, quietly, failing loudly."""
    subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


def naive(out: Path, quarter: str) -> float:
    """One papermill and one nbconvert command per report, sequentially."""
    out.mkdir(parents=True)
    start = time.perf_counter()
    for team in TEAMS:
        executed = out / f"{team}.ipynb"
        run(
            [
                str(BIN / "papermill"),
                str(NOTEBOOK),
                str(executed),
                "-p", "team", team,
                "-p", "quarter", quarter,
                "-p", "data_dir", str(DATA),
                "--cwd", str(NOTEBOOK.parent),
                "--no-progress-bar",
            ]
        )  # fmt: skip
        run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)])
    return time.perf_counter() - start


def workbook(out: Path, quarter: str, jobs: int | None) -> float:
    """One ``workbook reports`` run."""
    command = [str(BIN / "workbook"), "reports", "--data", str(DATA), "--out", str(out)]
    command += ["--quarter", quarter, "--notebook", str(NOTEBOOK)]
    if jobs:
        command += ["--jobs", str(jobs)]
    start = time.perf_counter()
    run(command)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quarter", default="2026Q3")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    env_note = f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    print(f"Rendering {len(TEAMS)} reports of {args.quarter} from {DATA.name} ({env_note})")
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        tmp = Path(tmp)
        a = naive(tmp / "naive", args.quarter)
        print(f"(a) naive papermill + nbconvert loop: {a:6.1f} s  ({a / len(TEAMS):.1f} s/report)")
        b = workbook(tmp / "workbook", args.quarter, args.jobs)
        print(f"(b) workbook reports:                 {b:6.1f} s  ({b / len(TEAMS):.1f} s/report)")
        c = workbook(tmp / "workbook", args.quarter, args.jobs)
        print(f"(c) workbook reports, nothing changed: {c:5.2f} s")
        print(f"speed-up (a)/(b): {a / b:.1f}x")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
