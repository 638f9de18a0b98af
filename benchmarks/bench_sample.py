"""Benchmark of the sample-data generator: wall time, peak memory and rows at two sizes.

Each size runs in a fresh child process (``multiprocessing`` with the ``spawn`` start method), so
the peak resident set size reported (``resource.getrusage(...).ru_maxrss``) is the generator's
own and not the benchmark's. Output goes to a temporary folder that is removed afterwards.

Usage::

    python benchmarks/bench_sample.py                  # 1,000,000 leads, 100,000 as baseline
    python benchmarks/bench_sample.py --leads 2000000
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path


def _child(leads: int, seed: int, queue: mp.Queue) -> None:
    from helpers.data.sample import generate_sample

    with tempfile.TemporaryDirectory(prefix="bench_sample_") as tmp:
        start = time.perf_counter()
        rows = generate_sample(tmp, leads=leads, seed=seed)
        seconds = time.perf_counter() - start
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    queue.put({"seconds": seconds, "peak_mb": peak_kb / 1024, "rows": rows, "bytes": size})


def run(leads: int, seed: int) -> dict:
    """Generate ``leads`` leads in a fresh process; return its timings, memory and rows."""
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(leads, seed, queue))
    process.start()
    result = queue.get()
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"generator process for {leads:,} leads exited with {process.exitcode}")
    return result


def report(leads: int, result: dict) -> None:
    print(f"\n{leads:,} leads")
    print(f"  wall time        {result['seconds']:8.1f} s")
    print(f"  peak RSS         {result['peak_mb']:8.0f} MB")
    print(f"  written          {result['bytes'] / 1e6:8.1f} MB")
    for table, count in result["rows"].items():
        print(f"  {table:<16} {count:>12,} rows")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads of the main run")
    parser.add_argument("--baseline", type=int, default=100_000, help="leads of the baseline")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    print(f"python {sys.version.split()[0]}, spawn child per run")
    base = run(args.baseline, args.seed)
    report(args.baseline, base)
    main_run = run(args.leads, args.seed)
    report(args.leads, main_run)
    factor = args.leads / args.baseline
    print(f"\nratio {args.leads:,} / {args.baseline:,} leads ({factor:g}x the leads)")
    print(f"  wall time        {main_run['seconds'] / base['seconds']:8.2f}x")
    print(f"  peak RSS         {main_run['peak_mb'] / base['peak_mb']:8.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
