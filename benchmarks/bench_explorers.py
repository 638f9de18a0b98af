"""Time every control of the three explorers on the bundled sample (20 k leads).

Run: ``.venv/bin/python benchmarks/bench_explorers.py [--data data/sample] [--changes 20]``.

For each explorer: build it once (timed), then for each control set ``.value`` ``--changes``
times, each time to a value different from the one before; a change runs the whole update
(masks, table, chart redraw, PNG, table HTML) synchronously, so the time of the assignment is
the time a user waits. Prints the median and 95th percentile per control.

Baselines, in the same process and on the same data:

- ``canvas.draw``: one bare ``fig.canvas.draw()`` of the explorer's figure as it stands, and
  ``savefig PNG``: encoding it as the PNG the page shows (the floor of any redraw);
- ``TeamQuarter API``: the same kind of figures computed through the plain API without the
  explorer's precomputation: a fresh ``Workbook`` on the loaded data set (cold caches), one
  team, ONE quarter (the API has no quarter ranges, channel or segment filters):
  funnel = stage volumes + both cohort funnels; channels = MQL→SQL, acceptance, win rate,
  cost per lead and per MQL and the six attribution models; cohorts = the cohort funnel of
  each of the eight cohort quarters (end points only, no curve).

Nothing here asserts a time. On a machine shared with other work the p95 moves a lot; the
medians are the figure to compare.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from helpers.analysis.workbook import Workbook  # noqa: E402
from helpers.explore.channels import build_channel_explorer  # noqa: E402
from helpers.explore.cohorts import build_cohort_explorer  # noqa: E402
from helpers.explore.funnel import build_funnel_explorer  # noqa: E402


def ms(seconds: list[float]) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds."""
    values = sorted(s * 1000 for s in seconds)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return statistics.median(values), p95


def cycle(options: list, current, n: int) -> list:
    """``n`` values from ``options``, none equal to the one before (starting from ``current``)."""
    out, last, i = [], current, 0
    while len(out) < n:
        value = options[i % len(options)]
        i += 1
        if value != last:
            out.append(value)
            last = value
    return out


def values_of(control) -> list:
    """The values a control can take (labels dropped)."""
    return [o[1] if isinstance(o, tuple) else o for o in control.options]


def ranges(quarters: list[str]) -> list[tuple[str, str]]:
    """A few quarter ranges: one quarter, two, four, all."""
    last = len(quarters) - 1
    return [
        (quarters[last], quarters[last]),
        (quarters[last - 1], quarters[last]),
        (quarters[max(0, last - 3)], quarters[last]),
        (quarters[0], quarters[last]),
        (quarters[max(0, last - 4)], quarters[last - 1]),
    ]


def time_controls(explorer, controls: list[str], n: int) -> dict[str, list[float]]:
    """Seconds per change of each control (each returned to its start value afterwards)."""
    times = {}
    for name in controls:
        control = getattr(explorer, name)
        start = control.value
        options = ranges(list(control.options)) if name == "quarters" else values_of(control)
        times[name] = []
        for value in cycle(options, start, n):
            t0 = time.perf_counter()
            control.value = value
            times[name].append(time.perf_counter() - t0)
        control.value = start
    return times


def bare_render(explorer, n: int) -> tuple[list[float], list[float]]:
    """Seconds of ``fig.canvas.draw()`` and of PNG encoding of the explorer's figure."""
    draws, pngs = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        explorer.figure.canvas.draw()
        draws.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        explorer.figure.savefig(io.BytesIO(), format="png", dpi=96, bbox_inches="tight")
        pngs.append(time.perf_counter() - t0)
    return draws, pngs


def api_funnel(dataset, team: str, quarter: str) -> None:
    view = Workbook(dataset).view(team, quarter)
    view.stage_volumes()
    view.cohort_funnel(strict=True)
    view.cohort_funnel(strict=False)


def api_channels(dataset, team: str, quarter: str) -> None:
    view = Workbook(dataset).view(team, quarter)
    view.mql_to_sql()
    view.mql_acceptance()
    view.win_rate()
    view.cost_per_lead()
    view.cost_per_mql()
    view.attribution_models(by="channel", basis="revenue")


def api_cohorts(dataset, team: str, quarter: str) -> None:
    workbook = Workbook(dataset)
    last = dataset.quarter(quarter)
    for k in range(8):
        workbook.view(team, last.shift(-k)).cohort_funnel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "data" / "sample"))
    parser.add_argument("--changes", type=int, default=20, help="changes per control")
    args = parser.parse_args()
    n = args.changes

    t0 = time.perf_counter()
    workbook = Workbook.load(args.data)
    dataset = workbook.dataset
    load = time.perf_counter() - t0
    leads = len(dataset["leads"])
    quarter = str(dataset.latest_complete_quarter)
    team = dataset.teams[0]
    print(f"{Path(args.data).name}: {leads:,} leads, load + validate {load * 1000:.0f} ms")
    print(f"{n} changes per control; times in ms (median / p95)\n")

    specs = [
        ("funnel", build_funnel_explorer, ["team", "quarters", "channel", "segment", "view"],
         api_funnel),
        ("channels", build_channel_explorer, ["team", "quarters", "level", "model"],
         api_channels),
        ("cohorts", build_cohort_explorer, ["team", "quarters", "stage", "channel", "unit"],
         api_cohorts),
    ]  # fmt: skip
    export_dir = ROOT / "reports" / "exports"  # never written: no button is pressed
    print(f"{'explorer':<10}{'control':<10}{'median':>9}{'p95':>9}")
    summary = []
    for name, build, controls, api in specs:
        t0 = time.perf_counter()
        explorer = build(workbook, export_dir=export_dir)
        built = time.perf_counter() - t0
        times = time_controls(explorer, controls, n)
        medians = []
        for control in controls:
            median, p95 = ms(times[control])
            medians.append(median)
            flag = "" if p95 < 300 else "  over 300 ms"
            print(f"{name:<10}{control:<10}{median:9.1f}{p95:9.1f}{flag}")
        draw, png = bare_render(explorer, n)
        api_times = []
        for _ in range(max(3, n // 4)):
            t0 = time.perf_counter()
            api(dataset, team, quarter)
            api_times.append(time.perf_counter() - t0)
        summary.append((name, built, medians, ms(draw)[0], ms(png)[0], ms(api_times)[0]))
        print()

    print("baselines (same process, same data; medians in ms)")
    print(
        f"{'explorer':<10}{'build':>8}{'change':>9}{'canvas.draw':>13}{'savefig PNG':>13}"
        f"{'TeamQuarter API':>17}{'change/draw':>13}{'change/API':>12}"
    )
    for name, built, medians, draw, png, api_time in summary:
        change = statistics.median(medians)
        print(
            f"{name:<10}{built * 1000:8.0f}{change:9.1f}{draw:13.1f}{png:13.1f}{api_time:17.1f}"
            f"{change / draw:13.2f}{change / api_time:12.2f}"
        )
    print(
        "\nchange = median over the controls of each control's median; the TeamQuarter API "
        f"figures are for one team ({team}) and one quarter ({quarter}) only."
    )


if __name__ == "__main__":
    main()
