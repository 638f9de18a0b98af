"""Render 60 teams x 4 quarters from a 3 M-lead data set: locally and on a local Dask cluster.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--leads 3000000] [--teams 60] [--quarters 4]
[--workers 2] [--jobs 2] [--data DIR] [--format parquet|csv] [--out DIR] [--skip-local]
[--skip-dask]``.
Smoke test: ``.venv/bin/python benchmarks/bench_scale.py --leads 200000 --teams 12 --quarters 1``.

Data: ``helpers.data.sample.generate_sample(leads=..., teams=...)`` in a child process, its
CSV files converted to Parquet (every column as text, so the loader reads the same values;
``--format csv`` keeps the CSV files) beside the ``workbook.toml``, in ``--data`` (default
``~/.cache/alignment-workbook/bench-3m-60``, outside the repository). A folder holding the
marker of the same arguments is reused as it is; ``--data`` must otherwise be new or empty.

Grid: every team of the data and the last ``--quarters`` complete quarters before its as-of date
(no ``all`` report): 60 x 4 = 240 reports by default.

(A) local: ``workbook reports --jobs J`` (J = cores) into a fresh folder; the reports are
    rendered by J kernels, child processes of the ``workbook`` process.
(B) Dask: ``distributed.LocalCluster(n_workers=K, threads_per_worker=1)`` on 127.0.0.1 started
    here, then ``workbook reports --scheduler <its address>`` into another fresh folder; each
    worker starts one kernel (a child process of the worker) at its first report.

Memory: a thread samples the RSS of every process of the trees every 0.5 s (psutil) and keeps
the peaks: per kernel for (A), per worker tree (worker process + its kernels, summed at each
sample) for (B), and of the ``workbook`` process itself in both. RSS counts shared pages in
every process, so the tree sums are upper bounds. Wall times include the ``workbook`` process
start, its data check and the kernels' start and data load; the cluster's start is not included.

Prints figures and ratios; nothing here asserts a time. The machine may be shared: the load
average is printed before and after each run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from helpers.data.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MIB = 1024 * 1024
MARKER = ".bench-scale.json"

GENERATE = r"""
import json, resource, sys, time
from pathlib import Path
import pyarrow as pa, pyarrow.csv as pacsv, pyarrow.parquet as pq
from helpers.data.sample import generate_sample

csv_dir, out_dir, leads, teams, seed = sys.argv[1], Path(sys.argv[2]), *map(int, sys.argv[3:6])
tables, fmt = sys.argv[6].split(","), sys.argv[7]
t0 = time.perf_counter()
rows = generate_sample(csv_dir, leads=leads, seed=seed, teams=teams)
t1 = time.perf_counter()
out_dir.mkdir(parents=True, exist_ok=True)
for name in tables:
    source = Path(csv_dir) / f"{name}.csv"
    if fmt == "csv":
        source.replace(out_dir / source.name)
        continue
    with open(source, encoding="utf-8") as handle:
        names = handle.readline().rstrip("\n").split(",")
    table = pacsv.read_csv(
        source,
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False
        ),
    )
    assert table.num_rows == rows[name], (name, table.num_rows, rows[name])
    pq.write_table(table, out_dir / f"{name}.parquet")
    source.unlink()
(Path(csv_dir) / "workbook.toml").replace(out_dir / "workbook.toml")
t2 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"generate_s": t1 - t0, "files_s": t2 - t1, "peak_mib": peak, "rows": rows}))
"""


# --- data ---------------------------------------------------------------------------------------
def default_data_dir(leads: int, teams: int, seed: int, fmt: str) -> Path:
    """``~/.cache/alignment-workbook/bench-3m-60`` (size in m/k when round), seed if not 7."""
    if leads % 1_000_000 == 0:
        size = f"{leads // 1_000_000}m"
    elif leads % 1_000 == 0:
        size = f"{leads // 1_000}k"
    else:
        size = str(leads)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    suffix = ("" if seed == 7 else f"-seed{seed}") + ("" if fmt == "parquet" else f"-{fmt}")
    return cache / "alignment-workbook" / f"bench-{size}-{teams}{suffix}"


def ensure_data(data: Path, leads: int, teams: int, seed: int, fmt: str) -> None:
    """Generate the data set into ``data`` unless it holds one of the same arguments."""
    wanted = {"leads": leads, "teams": teams, "seed": seed, "format": fmt}
    marker = data / MARKER
    if marker.exists() and json.loads(marker.read_text())["arguments"] == wanted:
        info = json.loads(marker.read_text())
        print(f"data: reusing {data} (generated in {info['generate_s']:.0f} s)")
        return
    if data.exists() and any(data.iterdir()):
        raise SystemExit(f"{data} is not empty and holds no data set of {wanted}; pick --data")
    data.parent.mkdir(parents=True, exist_ok=True)
    print(f"data: generating {leads:,} leads, {teams} teams, seed {seed} into {data} ...")
    with tempfile.TemporaryDirectory(prefix="bench-scale-csv-", dir=data.parent) as csv_dir:
        command = [sys.executable, "-c", GENERATE, csv_dir, str(data), str(leads), str(teams)]
        command += [str(seed), ",".join(TABLES), fmt]  # the canonical tables, schema order
        done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        raise SystemExit(f"generation failed ({done.returncode}):\n{tail(done.stderr)}")
    info = json.loads(done.stdout.strip().splitlines()[-1])
    marker.write_text(json.dumps({"arguments": wanted, **info}, indent=1))
    size = sum(p.stat().st_size for p in data.iterdir()) / MIB
    print(
        f"data: generated in {info['generate_s']:.0f} s, then {fmt} files in "
        f"{info['files_s']:.0f} s (peak RSS {info['peak_mib']:.0f} MiB), {size:.0f} MiB on disk"
    )
    print("      rows: " + ", ".join(f"{k} {v:,}" for k, v in info["rows"].items()))


def grid(data: Path, n_quarters: int) -> tuple[list[str], list[str]]:
    """Every team of the data, and the last ``n_quarters`` complete quarters before as-of."""
    import pandas as pd
    import pyarrow.parquet as pq

    from helpers.data.config import load_config
    from helpers.data.periods import Quarter

    if (data / "teams.parquet").exists():
        teams = pq.read_table(data / "teams.parquet", columns=["team"]).column(0).to_pylist()
    else:
        teams = pd.read_csv(data / "teams.csv", dtype=str, keep_default_na=False)["team"].tolist()
    config = load_config(data)
    as_of = pd.Timestamp(config.as_of)
    last = Quarter.containing(as_of, config.fiscal_year_start_month)
    if last.end > as_of:
        last = last.shift(-1)
    quarters = [str(last.shift(-k)) for k in reversed(range(n_quarters))]
    return teams, quarters


# --- memory -------------------------------------------------------------------------------------
@dataclass
class Sampler:
    """Peak RSS of process trees, sampled from a thread every ``interval`` seconds."""

    roots: dict[str, int] = field(default_factory=dict)
    interval: float = 0.5
    peak_pid: dict[int, int] = field(default_factory=dict)
    kind: dict[int, str] = field(default_factory=dict)
    peak_tree: dict[str, int] = field(default_factory=dict)
    samples: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def add(self, label: str, pid: int) -> None:
        with self._lock:
            self.roots[label] = pid

    def start(self) -> Sampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()  # one last look

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        with self._lock:
            roots = dict(self.roots)
        for label, pid in roots.items():
            try:
                root = psutil.Process(pid)
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            total = 0
            for proc in tree:
                try:
                    rss = proc.memory_info().rss
                    if proc.pid not in self.kind:
                        cmdline = " ".join(proc.cmdline())
                        self.kind[proc.pid] = "kernel" if "ipykernel" in cmdline else "other"
                except psutil.Error:
                    continue
                total += rss
                self.peak_pid[proc.pid] = max(self.peak_pid.get(proc.pid, 0), rss)
            self.peak_tree[label] = max(self.peak_tree.get(label, 0), total)
        self.samples += 1

    def kernels(self) -> list[int]:
        """Peak RSS of each kernel process seen."""
        return [rss for pid, rss in self.peak_pid.items() if self.kind.get(pid) == "kernel"]


# --- runs ---------------------------------------------------------------------------------------
@dataclass
class Run:
    name: str
    reports: int = 0
    failed: int | None = None
    exit_code: int | None = None
    wall: float = 0.0
    worker_peaks: list[int] = field(default_factory=list)  # bytes
    kernel_peaks: list[int] = field(default_factory=list)
    client_peak: int = 0
    stderr_tail: str = ""
    load_before: tuple[float, ...] = ()
    load_after: tuple[float, ...] = ()

    @property
    def rendered(self) -> int:
        return self.reports - (self.failed or 0)

    @property
    def per_minute(self) -> float:
        return self.rendered / self.wall * 60 if self.wall else 0.0


def tail(text: str, lines: int = 25) -> str:
    """The last ``lines`` lines of ``text``, progress-bar updates left out."""
    kept = [line for line in text.splitlines() if line.strip() and not line.startswith("reports:")]
    return "\n".join(kept[-lines:])


def workbook_reports(
    run: Run,
    data: Path,
    out: Path,
    teams: list[str],
    quarters: list[str],
    extra: list[str],
    sampler: Sampler,
) -> None:
    """Run ``workbook reports`` over the grid into ``out`` (fresh), timing and sampling it."""
    if out.exists():
        shutil.rmtree(out)
    command = [str(BIN / "workbook"), "reports", "--data", str(data), "--out", str(out)]
    for quarter in quarters:
        command += ["--quarter", quarter]
    for team in teams:
        command += ["--team", team]
    command += extra
    run.reports = len(teams) * len(quarters)
    log_out, log_err = out.with_suffix(".stdout"), out.with_suffix(".stderr")
    run.load_before = os.getloadavg()
    with open(log_out, "w") as stdout, open(log_err, "w") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=stdout, stderr=stderr)
        sampler.add("client", process.pid)
        sampler.start()
        run.exit_code = process.wait()
        run.wall = time.perf_counter() - start
    sampler.stop()
    run.load_after = os.getloadavg()
    run.client_peak = sampler.peak_pid.get(process.pid, 0)
    text = log_out.read_text()
    match = re.search(r"(\d+) report\(s\) rendered, (\d+) up to date, (\d+) failed", text)
    if match:
        run.failed = int(match.group(3))
    if run.exit_code != 0:
        run.stderr_tail = tail(log_err.read_text())


def run_local(data, out, teams, quarters, jobs) -> Run:
    run = Run(f"local --jobs {jobs}")
    sampler = Sampler()
    workbook_reports(run, data, out, teams, quarters, ["--jobs", str(jobs)], sampler)
    run.kernel_peaks = sampler.kernels()
    run.worker_peaks = list(run.kernel_peaks)  # locally, a worker is a kernel
    return run


def run_dask(data, out, teams, quarters, workers) -> Run:
    from distributed import Client, LocalCluster

    run = Run(f"dask {workers} workers")
    start = time.perf_counter()
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = Client(cluster)
    try:
        pids = client.run(os.getpid)  # worker address -> pid of the worker process
        print(f"  cluster of {len(pids)} workers up in {time.perf_counter() - start:.1f} s")
        sampler = Sampler()
        for i, pid in enumerate(sorted(pids.values())):
            sampler.add(f"worker {i}", pid)
        scheduler = ["--scheduler", cluster.scheduler_address]
        workbook_reports(run, data, out, teams, quarters, scheduler, sampler)
        run.worker_peaks = [v for k, v in sampler.peak_tree.items() if k.startswith("worker")]
        run.kernel_peaks = sampler.kernels()
    finally:
        client.close()
        cluster.close()
    return run


# --- report ------------------------------------------------------------------------------------
def mib(values: list[int]) -> str:
    if not values:
        return "-"
    return f"{max(values) / MIB:,.0f} / {sum(values) / len(values) / MIB:,.0f}"


def print_table(runs: list[Run]) -> None:
    head = (
        f"{'run':<18} {'reports':>7} {'failed':>6} {'exit':>4} {'wall s':>8} {'reports/min':>11}"
        f"  {'peak RSS/worker MiB max / mean':>30}  {'kernels MiB max / mean':>22}"
        f"  {'workbook MiB':>12}"
    )
    print(head)
    print("-" * len(head))
    for r in runs:
        failed = "?" if r.failed is None else str(r.failed)
        print(
            f"{r.name:<18} {r.reports:>7} {failed:>6} {r.exit_code!s:>4} {r.wall:>8.1f}"
            f" {r.per_minute:>11.1f}  {mib(r.worker_peaks):>30}  {mib(r.kernel_peaks):>22}"
            f"  {r.client_peak / MIB:>12,.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=3_000_000)
    parser.add_argument("--teams", type=int, default=60, help="teams of the generated data")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quarters", type=int, default=4, help="last N complete quarters")
    parser.add_argument("--workers", type=int, default=2, help="Dask workers (1 thread each)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="local kernels")
    parser.add_argument("--data", type=Path, default=None, help="data folder (cache)")
    parser.add_argument(
        "--format", choices=("parquet", "csv"), default="parquet", help="table files written"
    )
    parser.add_argument("--out", type=Path, default=None, help="keep the reports here")
    parser.add_argument("--skip-local", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()

    memory = psutil.virtual_memory().total / 1024**3
    print(
        f"{os.cpu_count()} cores, {memory:.0f} GiB RAM, Python {sys.version.split()[0]}, "
        f"psutil {psutil.__version__}, load average {os.getloadavg()[0]:.2f}"
    )
    data = args.data or default_data_dir(args.leads, args.teams, args.seed, args.format)
    data = data.expanduser().resolve()
    ensure_data(data, args.leads, args.teams, args.seed, args.format)
    teams, quarters = grid(data, args.quarters)
    print(
        f"grid: {len(teams)} teams x {len(quarters)} quarters ({', '.join(quarters)}) "
        f"= {len(teams) * len(quarters)} reports"
    )
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-out-") as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        if not args.skip_local:
            print(f"(A) local: workbook reports --jobs {args.jobs} ...", flush=True)
            runs.append(run_local(data, out / "local", teams, quarters, args.jobs))
        if not args.skip_dask:
            print(f"(B) Dask: LocalCluster({args.workers} workers x 1 thread) ...", flush=True)
            runs.append(run_dask(data, out / "dask", teams, quarters, args.workers))
    if not runs:
        return
    print()
    print_table(runs)
    print(
        "peak RSS/worker: local = each kernel process; Dask = worker process + its kernel, "
        "summed per sample. workbook = the `workbook reports` process."
    )
    for r in runs:
        load = f"load average {r.load_before[0]:.2f} before, {r.load_after[0]:.2f} after"
        print(f"{r.name}: {load}")
        if r.exit_code != 0:
            print(f"{r.name}: exit code {r.exit_code}; stderr (last lines):\n{r.stderr_tail}")
    if len(runs) == 2 and runs[0].wall:
        print(f"ratio Dask / local wall time: {runs[1].wall / runs[0].wall:.2f}x")


if __name__ == "__main__":
    main()
