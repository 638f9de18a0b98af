"""Load + validate and the metrics at 100 k, 1 M and 3 M leads, against DuckDB on the same files.

Run: ``.venv/bin/python benchmarks/bench_metrics.py [--sizes 100000 1000000 3000000]
[--repeat 3] [--grid]``.

Per size, a sample is generated once (``workbook sample``, in its own process, kept under
``--data``), then each repeat runs two fresh processes, so each peak RSS is its own:

- **workbook**: ``Workbook.load`` (read, type and validate every table), then the first view
  of one team-quarter (all KPIs with Q−1 and Q−4, funnels, reasons, velocity, untouched MQLs:
  what a report kernel does first), then the core aggregations of ``duckdb_reference.py``.
  The per-lead tables (journeys, MQL responses) are shared on disk per data digest
  (``WORKBOOK_CACHE_DIR``, a fresh folder per size): the first repeat builds and writes them
  (**cold**), later ones read them as every later kernel does (**shared**).
- **DuckDB**: ``CREATE TABLE … AS SELECT * FROM read_csv(…)`` for every table file, then the
  same aggregations in SQL.

The figures of both must agree (the script stops if they do not); speed to lead is compared in
plain hours (see ``duckdb_reference.py``). Times are wall and CPU seconds (CPU of every thread
of the process), min and median over the repeats; ratios are workbook / DuckDB. The last
line is the summary the issue asks for, at 1 M leads (or the largest size run):
``metrics: leads=… load_s=… duckdb_load_s=… load_ratio=… first_view_s=… peak_gb=…`` with
minimum wall times, the shared-tables first view, and the workbook process's peak RSS (GiB;
also printed after each step: load, first view cold and shared, the compared figures).
Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import duckdb_reference as ref  # noqa: E402

DEFAULT_DATA = Path.home() / ".cache" / "alignment-workbook" / "bench-metrics"


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> dict[str, float]:
    wall, cpu = _clock()
    return {"wall": wall - start[0], "cpu": cpu - start[1]}


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def child_workbook(folder: Path, grid: bool) -> dict:
    """Load, first view, the compared figures (and the 7 × 8 grid) in this process."""
    began = _clock()
    from helpers.analysis.workbook import Workbook

    imported = _since(began)
    began = _clock()
    workbook = Workbook.load(folder)
    load = _since(began)
    peak_load = _peak_gib()
    quarter = workbook.dataset.latest_complete_quarter

    def everything(view):
        view.kpis()
        view.period_funnel()
        view.cohort_funnel(strict=True)
        view.cohort_funnel(strict=False)
        view.reasons("rejected")
        view.reasons("recycled")
        view.stage_velocity()
        view.untouched_by_age()

    began = _clock()
    everything(workbook.view(workbook.dataset.teams[0], quarter))
    first_view = _since(began)
    peak_first_view = _peak_gib()
    figures, seconds, business = ref.workbook_figures(workbook, quarter)
    out = {
        "import": imported,
        "load": load,
        "first_view": first_view,
        "figures": figures,
        "seconds": seconds,
        "business": business,
        "quarter": str(quarter),
        "as_of": workbook.dataset.as_of.isoformat(),
        "peak_gib": _peak_gib(),
        "peak_load_gib": peak_load,
        "peak_first_view_gib": peak_first_view,
    }
    if grid:
        began = _clock()
        for team in [*workbook.dataset.teams, "all"]:
            for k in range(8):
                everything(workbook.view(team, quarter.shift(-k)))
        out["grid"] = _since(began)
    return out


def child_duckdb(folder: Path, quarter_text: str, as_of_text: str) -> dict:
    """Load every table file into DuckDB and run the compared aggregations in this process.

    The quarter and the as-of date (observation time of speed to lead) are the workbook's.
    """
    from datetime import datetime

    import duckdb

    from helpers.data.periods import Quarter

    quarter = Quarter.parse(quarter_text, 1)
    con = duckdb.connect()
    began = _clock()
    ref.load(con, folder)
    load = _since(began)
    start, end = ref.quarter_bounds(quarter)
    as_of = datetime.fromisoformat(as_of_text)
    figures, seconds = ref.duckdb_figures(con, start, end, as_of)
    return {"load": load, "figures": figures, "seconds": seconds, "peak_gib": _peak_gib()}


def _run_child(args: list[str], env: dict | None = None) -> dict:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    if result.returncode != 0:
        sys.exit(f"child {args[0]} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _data(root: Path, leads: int) -> Path:
    folder = root / f"leads-{leads}"
    if not (folder / "workbook.toml").is_file():
        print(f"generating {leads:,} leads into {folder} …", flush=True)
        subprocess.run(
            [sys.executable, "-c", "from helpers.cli import main; main()", "sample",
             "--leads", str(leads), "--out", str(folder)],
            check=True, capture_output=True,
        )  # fmt: skip
    return folder


def _stats(values: list[float]) -> str:
    return f"{min(values):7.2f} {statistics.median(values):7.2f}"


def measure(leads: int, root: Path, repeat: int, grid: bool) -> dict:
    """Every figure of one size: ``repeat`` workbook and DuckDB processes each."""
    folder = _data(root, leads)
    books, ducks = [], []
    with tempfile.TemporaryDirectory(prefix="bench-metrics-cache-") as cache:
        env = {"WORKBOOK_CACHE_DIR": cache}
        for r in range(repeat):
            books.append(_run_child(["workbook", str(folder), *(["--grid"] if grid else [])], env))
            ducks.append(
                _run_child(["duckdb", str(folder), books[0]["quarter"], books[0]["as_of"]])
            )
            print(f"  repeat {r + 1}/{repeat} done", flush=True)
    wrong = ref.disagreements(books[0]["figures"], ducks[0]["figures"])
    if wrong:
        sys.exit("the workbook and DuckDB disagree:\n" + "\n".join(wrong))
    return {"books": books, "ducks": ducks, "quarter": books[0]["quarter"]}


def report(leads: int, run: dict) -> dict:
    """Print one size's figures; return its summary numbers."""
    books, ducks = run["books"], run["ducks"]
    shared = books[1:] or books
    print(f"\n{leads:,} leads, quarter {run['quarter']}, {len(books)} repeat(s)")
    print("  (wall and CPU seconds: min, median)        wall min  median   CPU min  median")
    rows = [
        ("workbook import", [b["import"] for b in books]),
        ("workbook load + validate", [b["load"] for b in books]),
        ("DuckDB load (read_csv)", [d["load"] for d in ducks]),
        ("first view, per-lead tables cold (built)", [books[0]["first_view"]]),
        ("first view, per-lead tables shared", [b["first_view"] for b in shared]),
    ]
    if "grid" in books[0]:
        rows.append(("7 teams x 8 quarters", [b["grid"] for b in books]))
    for label, values in rows:
        walls, cpus = [v["wall"] for v in values], [v["cpu"] for v in values]
        print(f"  {label:<42} {_stats(walls)}   {_stats(cpus)}")
    load = min(b["load"]["wall"] for b in books)
    duck_load = min(d["load"]["wall"] for d in ducks)
    print(f"  load ratio workbook / DuckDB (min wall)     {load / duck_load:6.2f}x")
    print("  per operation (s, median)                 workbook   DuckDB    ratio")
    for name in ref.OPERATIONS:
        mine = statistics.median(b["seconds"][name] for b in books)
        theirs = statistics.median(d["seconds"][name] for d in ducks)
        print(f"  {name:<40} {mine:9.3f} {theirs:8.3f} {mine / theirs:7.1f}x")
    speed = books[0]["figures"]["speed to lead (plain hours)"]
    business = books[0]["business"]
    print(
        f"  figures agree (e.g. speed to lead median {speed['median_hours']:.2f} plain hours "
        f"in both; the KPI, in business hours: {business['median_business_hours']:.2f})"
    )
    peak = max(b["peak_gib"] for b in books)
    print(
        f"  peak RSS: workbook {peak:.2f} GiB, DuckDB {max(d['peak_gib'] for d in ducks):.2f} GiB"
    )
    # The workbook's peak so far after each step (max over the repeats; the first repeat
    # builds the per-lead tables, the later ones read them), then the whole process.
    steps = {
        "load": max(b["peak_load_gib"] for b in books),
        "first view cold": books[0]["peak_first_view_gib"],
        "first view shared": max(b["peak_first_view_gib"] for b in shared),
        "with the compared figures": peak,
    }
    print(
        "  workbook peak RSS after each step (GiB):  "
        + ", ".join(f"{label} {value:.2f}" for label, value in steps.items())
    )
    first_view = min(b["first_view"]["wall"] for b in shared)
    return {"load": load, "duck_load": duck_load, "first_view": first_view, "peak": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 3_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="processes per side and size")
    parser.add_argument("--grid", action="store_true", help="also time 7 teams x 8 quarters")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="where samples are kept")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, folder, *rest = args.child
        if kind == "workbook":
            out = child_workbook(Path(folder), grid="--grid" in rest)
        else:
            out = child_duckdb(Path(folder), *rest)
        print(json.dumps(out))
        return
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    summaries = {}
    for leads in args.sizes:
        summaries[leads] = report(leads, measure(leads, args.data, max(args.repeat, 1), args.grid))
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")
    leads = 1_000_000 if 1_000_000 in summaries else max(summaries)
    s = summaries[leads]
    print(
        f"metrics: leads={leads} load_s={s['load']:.2f} duckdb_load_s={s['duck_load']:.2f} "
        f"load_ratio={s['load'] / s['duck_load']:.2f} first_view_s={s['first_view']:.2f} "
        f"peak_gb={s['peak']:.2f}"
    )


if __name__ == "__main__":
    main()
