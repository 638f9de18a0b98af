"""Time and memory of loading and computing metrics at 100 k, 1 M and 3 M leads.

Run: ``.venv/bin/python benchmarks/bench_metrics.py [--sizes 100000 1000000 3000000]``.
Each size runs in a fresh child process so its peak RSS is its own. Prints figures only;
nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from helpers import Workbook
from helpers.data.sample import generate_sample

out, leads = sys.argv[1], int(sys.argv[2])
generate_sample(out, leads=leads, seed=7)
t0 = time.perf_counter()
wb = Workbook.load(out)
t1 = time.perf_counter()
quarter = wb.dataset.latest_complete_quarter

def everything(view):
    view.kpis(); view.period_funnel(); view.cohort_funnel(strict=True)
    view.cohort_funnel(strict=False); view.reasons("rejected"); view.reasons("recycled")
    view.stage_velocity(); view.untouched_by_age()

everything(wb.view("all", quarter))  # warms the per-lead caches shared by every view
t2 = time.perf_counter()
everything(wb.view(wb.dataset.teams[0], quarter))
t3 = time.perf_counter()
for team in [*wb.dataset.teams, "all"]:
    for k in range(8):
        everything(wb.view(team, quarter.shift(-k)))
t4 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"load": t1 - t0, "first_view_with_caches": t2 - t1, "one_team_quarter": t3 - t2,
                  "grid_7x8": t4 - t3, "peak_mb": peak}))
"""


def measure(leads: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(Path(tmp) / "data"), str(leads)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 3_000_000])
    sizes = parser.parse_args().sizes
    rows = {}
    for leads in sizes:
        rows[leads] = figures = measure(leads)
        print(f"\n{leads:,} leads")
        print(f"  load + validate            {figures['load']:8.2f} s")
        print(f"  first view (+ caches)      {figures['first_view_with_caches']:8.2f} s")
        print(f"  one team-quarter, all KPIs {figures['one_team_quarter']:8.2f} s")
        print(f"  7 teams x 8 quarters       {figures['grid_7x8']:8.2f} s")
        print(f"  peak RSS                   {figures['peak_mb']:8.0f} MB")
    base = sizes[0]
    for leads in sizes[1:]:
        scale = leads / base
        print(f"\nratio {leads:,} / {base:,} leads ({scale:g}x the leads)")
        for key in ("load", "one_team_quarter", "grid_7x8", "peak_mb"):
            print(f"  {key:<18} {rows[leads][key] / rows[base][key]:6.2f}x")


if __name__ == "__main__":
    main()
