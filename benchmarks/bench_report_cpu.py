"""CPU seconds of one warm team report: the report notebook's code run in a warm IPython shell.

Run: ``.venv/bin/python benchmarks/bench_report_cpu.py [--team emea-ent] [--quarter 2026Q3]
[--repeats 5] [--profile] [--baseline REV [--pairs 4]]``.

With ``--pack``, the runs are what a kernel of ``workbook reports`` does: the company report
first (untimed), then each timed run is another team's report rendered for the first time in
this process, the views of earlier reports kept (the team comparison's views of the quarter
are shared; the team's own eight quarters are computed afresh).

With ``--baseline REV`` (a git revision, e.g. the commit before a change) the same
measurement runs for that revision's package and notebook (``git archive`` into a temporary
folder) and for this working copy, each in its own fresh process, one after the other in this
run, and the ratio of the medians is printed (``cpu_ratio`` = baseline / now). With
``--pairs N`` the two run N times, alternately, and each figure compared is the median over the
pairs: the host's speed wanders by a third from minute to minute, and alternating spreads a
drift over both. Both read the baseline revision's ``data/sample`` (unless ``--data`` is
given), so they measure the same data.

What a report kernel of ``workbook reports`` does for its second and later reports, without the
kernel's messaging: an in-process IPython shell with the inline matplotlib backend (the
kernels' ``MPLBACKEND``, so figures are rendered (SVG) by the same display formatter and
``InlineBackend.print_figure_kwargs``) runs the report notebook's code cells, the parameters
cell replaced by the team, quarter and data directory. The first run loads the data and fills
the per-data caches (a warm kernel has them); the next ``--repeats`` runs are timed, the
namespace wiped and the figures closed between runs as the kernel pool does.

Prints the CPU seconds per run (min and median), the share of each phase in the median run
(metrics and tables, building the charts, rendering the images: attributed by
``--profile``'s cProfile, else only the total), the figures and draws per run, and a last line
``report_cpu: team=… quarter=… cpu_min_s=… cpu_median_s=… first_cpu_s=… total_cpu_s=…
figures=… draws=…``: ``first_cpu_s`` is the first (untimed) run, ``total_cpu_s`` that and the
timed runs, which with ``--pack`` is the whole pack's report work in one kernel (the company
report's team views are the team reports' too, so the work moves between them).
Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "reports" / "team_quarterly_report.ipynb"
DATA = ROOT / "data" / "sample"


def notebook_code(team: str, quarter: str, data_dir: Path, notebook: Path = NOTEBOOK) -> list[str]:
    """The report's code cells, the parameters cell replaced by these values."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            code.append(f"team = {team!r}\nquarter = {quarter!r}\ndata_dir = {str(data_dir)!r}\n")
        else:
            code.append("".join(cell["source"]))
    return code


def shell():
    """An in-process IPython shell with the inline backend, as a report kernel has."""
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()  # pyplot imports the inline backend at the first figure
    # Nothing of the outputs is printed: the formatters still compute every MIME type.
    ip.display_pub.publish = lambda *args, **kwargs: None
    return ip


def count_draws():
    """Count Figure.draw calls (a figure drawn twice for a tight bounding box counts 2)."""
    from matplotlib.figure import Figure

    counter = {"draws": 0}
    original = Figure.draw

    def draw(self, renderer):
        counter["draws"] += 1
        return original(self, renderer)

    Figure.draw = draw
    return counter


def count_figures():
    """Count the images made (``FigureCanvasBase.print_figure`` calls)."""
    from matplotlib.backend_bases import FigureCanvasBase

    counter = {"figures": 0}
    original = FigureCanvasBase.print_figure

    def print_figure(self, *args, **kwargs):
        counter["figures"] += 1
        return original(self, *args, **kwargs)

    FigureCanvasBase.print_figure = print_figure
    return counter


def run_report(ip, code: list[str]) -> None:
    """Run the cells in order; stop loudly at the first error."""
    cwd = os.getcwd()
    os.chdir(NOTEBOOK.parent)
    try:
        for source in code:
            result = ip.run_cell(source, store_history=False, silent=True)
            if not result.success:
                raise SystemExit(f"report cell failed:\n{source[:400]}\n{result.error_in_exec!r}")
    finally:
        os.chdir(cwd)


def reset(ip, keep_views: bool = False) -> None:
    """Wipe the namespace, close the figures and freeze the survivors, as the kernel pool does.

    Unless ``keep_views``, also forget the workbook's team-quarter views and KPI values, so
    that each timed run computes its figures as a kernel's first report of a team does (the
    data, the per-lead and per-team tables stay loaded). Works on this and older versions
    of the workbook (``_views`` now, ``_kpi_values`` before).
    """
    import gc

    import matplotlib.pyplot as plt

    ip.reset(new_session=False)
    plt.close("all")
    if not keep_views:
        from helpers.analysis.workbook import Workbook

        for workbook in list(Workbook.cache._loaded.values()):
            for name in ("_views", "_kpi_values"):
                getattr(workbook, name, {}).clear()
    # As the pool's reset does (kernels._RESET_SOURCE): what survives a report is kept for the
    # next, so the collector stops scanning it (about 0.3 s of a report's CPU otherwise).
    gc.collect()
    gc.freeze()


def phases(profile: cProfile.Profile, total: float) -> dict[str, float]:
    """Rough split of a profiled run: rendering, chart building, the rest (metrics…)."""
    stats = pstats.Stats(profile)
    rendering = building = 0.0
    for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        if name == "print_figure" and "backend_bases" in filename:
            rendering += ct
    for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        if "helpers/display/plots.py" in filename and name in PLOT_ENTRY_POINTS:
            building += ct
        elif filename.endswith("matplotlib/pyplot.py") and name in ("subplots",):
            building += ct
    other = max(total - rendering - building, 0.0)
    return {"rendering": rendering, "building charts": building, "metrics, tables": other}


PLOT_ENTRY_POINTS = {
    "funnel_bars",
    "funnel_waterfall",
    "rate_intervals",
    "response_histogram",
    "rate_trend",
    "count_bars",
    "reason_panels",
    "kpi_panels",
    "attribution_bars",
    "value_bars",
    "growth_chart",
    "kpi_bars",
    "kpi_line",
}


SUMMARY = re.compile(r"^report_cpu: .*$", re.M)


def compare(args: argparse.Namespace) -> None:
    """Run the measurement for ``--baseline`` and for this working copy in fresh processes."""
    with tempfile.TemporaryDirectory(prefix="bench_report_base_") as folder:
        base = Path(folder)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.baseline, "src", "notebooks/reports", "data"],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
        runs: dict[str, list[dict[str, str]]] = {"baseline": [], "now": []}
        # Both runs read the same data: the baseline revision's sample (a newer sample may
        # hold what the older code rejects, e.g. targets of KPIs it did not have), or --data.
        data = args.data.resolve() if args.data.resolve() != DATA else base / "data" / "sample"
        # Alternately, pair by pair: the host's speed wanders, and a drift then touches both.
        pairs = [("baseline", base), ("now", ROOT)] * args.pairs
        for name, root in pairs:
            command = [
                sys.executable,
                __file__,
                "--team",
                args.team,
                "--quarter",
                args.quarter,
                "--data",
                str(data),
                "--repeats",
                str(args.repeats),
                "--notebook",
                str(root / "notebooks" / "reports" / "team_quarterly_report.ipynb"),
                *(["--pack"] if args.pack else []),
            ]
            env = os.environ | {"PYTHONPATH": str(root / "src")}
            done = subprocess.run(command, capture_output=True, text=True, env=env)
            if done.returncode:
                raise SystemExit(f"{name} run failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
            line = SUMMARY.search(done.stdout).group(0)
            print(f"{name} ({args.baseline if name == 'baseline' else 'working copy'}): {line}")
            runs[name].append(dict(part.split("=", 1) for part in line.split()[1:]))
    keys = ("cpu_median_s", "cpu_min_s", "wall_median_s", "first_cpu_s", "total_cpu_s")
    # Each figure: the median over the pairs (the one run's with --pairs 1).
    figures = {
        name: {
            **found[0],
            **{key: f"{statistics.median(float(run[key]) for run in found):.2f}" for key in keys},
        }
        for name, found in runs.items()
    }
    ratio = {key: float(figures["baseline"][key]) / float(figures["now"][key]) for key in keys}
    print(
        f"report_cpu_vs_baseline: team={'each' if args.pack else args.team} quarter={args.quarter} "
        f"pairs={args.pairs} baseline={args.baseline} "
        f"base_cpu_median_s={figures['baseline']['cpu_median_s']} "
        f"cpu_median_s={figures['now']['cpu_median_s']} cpu_min_s={figures['now']['cpu_min_s']} "
        f"cpu_ratio={ratio['cpu_median_s']:.2f} cpu_min_ratio={ratio['cpu_min_s']:.2f} "
        f"wall_ratio={ratio['wall_median_s']:.2f} "
        f"base_total_cpu_s={figures['baseline']['total_cpu_s']} "
        f"total_cpu_s={figures['now']['total_cpu_s']} total_ratio={ratio['total_cpu_s']:.2f} "
        f"draws={figures['baseline']['draws']}->{figures['now']['draws']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--team", default="emea-ent")
    parser.add_argument("--quarter", default="2026Q3")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--notebook",
        type=Path,
        default=NOTEBOOK,
        help="report notebook (e.g. an older version's, with PYTHONPATH at its src)",
    )
    parser.add_argument("--profile", action="store_true", help="split the time by phase")
    parser.add_argument(
        "--dump", type=Path, help="with --profile: write the profiled run's pstats to this file"
    )
    parser.add_argument(
        "--keep-views",
        action="store_true",
        help="keep the computed views between runs (the same report rendered again)",
    )
    parser.add_argument(
        "--pack",
        action="store_true",
        help="as in a pack's kernel: the company report first (untimed), then each timed run "
        "a different team's report for the first time, views kept (--team is ignored)",
    )
    parser.add_argument(
        "--baseline",
        help="git revision to compare with (its src/ and report notebook, in a fresh process)",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=1,
        help="with --baseline: baseline and working copy this many times, alternately; the "
        "figures compared are the medians over the pairs",
    )
    args = parser.parse_args()
    if args.baseline:
        compare(args)
        return

    ip = shell()
    draws, figures = count_draws(), count_figures()
    data = args.data.resolve()
    keep = args.keep_views or args.pack
    if args.pack:
        import pandas as pd

        teams = [str(t) for t in pd.read_csv(data / "teams.csv")["team"]][: args.repeats]
        args.repeats, args.team = len(teams), "each"
        first = notebook_code("all", args.quarter, data, args.notebook)
        runs = [notebook_code(team, args.quarter, data, args.notebook) for team in teams]
    else:
        first = notebook_code(args.team, args.quarter, data, args.notebook)
        runs = [first] * args.repeats
    code = first
    start = time.process_time()
    run_report(ip, first)
    first_cpu = time.process_time() - start
    print(f"first run (loads the data, fills the caches): {first_cpu:.2f} s CPU")
    reset(ip, keep)

    cpu, wall = [], []
    for code in runs:
        draws["draws"] = figures["figures"] = 0
        c0, w0 = time.process_time(), time.perf_counter()
        run_report(ip, code)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        reset(ip, keep)
    made, drawn = figures["figures"], draws["draws"]
    split = {}
    if args.profile:  # one more run, profiled (slower), for the split by phase
        profile = cProfile.Profile(time.process_time)
        c0 = time.process_time()
        profile.enable()
        run_report(ip, code)
        profile.disable()
        split = phases(profile, time.process_time() - c0)
        if args.dump:
            profile.dump_stats(args.dump)
        reset(ip, keep)

    import helpers

    print(f"helpers from {Path(helpers.__file__).parent}")
    print(f"team {args.team}, quarter {args.quarter}, data {args.data}; {args.repeats} warm runs")
    print(f"CPU s per run: {' '.join(f'{c:.2f}' for c in cpu)}")
    print(f"wall s per run: {' '.join(f'{w:.2f}' for w in wall)}")
    print(f"figures per run {made}, figure draws per run {drawn}")
    if split:
        total = sum(split.values())
        print(
            "one more run, profiled (slower): "
            + ", ".join(f"{k} {v:.2f} s ({v / total:.0%})" for k, v in split.items())
        )
    print(
        f"report_cpu: team={args.team} quarter={args.quarter} cpu_min_s={min(cpu):.2f} "
        f"cpu_median_s={statistics.median(cpu):.2f} wall_min_s={min(wall):.2f} "
        f"wall_median_s={statistics.median(wall):.2f} "
        f"first_cpu_s={first_cpu:.2f} total_cpu_s={first_cpu + sum(cpu):.2f} "
        f"figures={made} draws={drawn}"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
