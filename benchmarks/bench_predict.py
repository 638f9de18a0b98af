"""The lead model's out-of-time AUC beside the CRM score's, and its training time at scale.

Run: ``.venv/bin/python benchmarks/bench_predict.py [--data data/sample] [--sizes 100000
1000000] [--repeats 3]``.

1. On ``--data`` (default the bundled sample): :func:`helpers.prediction.lead_model.
   evaluate_lead_model` on the latest complete quarter: the model's AUC (DeLong 95 % interval),
   top-decile lift and Brier score next to the CRM score's on the same leads.
2. For each size: a data set made by ``workbook sample --leads N`` in a temporary folder, then
   in a fresh child process (its own memory) the training the ``workbook score`` command runs:
   features of every lead whose outcome is known (:func:`~helpers.prediction.lead_model.
   lead_features`) and the fit (:func:`~helpers.prediction.lead_model.fit_lead_model`), each
   ``--repeats`` times; wall and CPU seconds (min and median), and the ratio of each size's
   median to the first size's (the baseline) beside the ratio of the leads.

Loading the CSV files is not counted (``bench_metrics.py`` measures it). Prints figures only;
nothing here asserts a time. Ends with one line::

    predict: auc_model=… auc_crm=… train_s_100k=… train_s_1m=…

where ``train_s_*`` is the median wall time of features + fit.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from helpers import Workbook
from helpers.prediction import lead_model as lm

data, repeats = sys.argv[1], int(sys.argv[2])
workbook = Workbook.load(data)
known_by = workbook.dataset.as_of
workbook.journeys  # the per-lead table every view shares, built once (not training)
rows = []
for _ in range(repeats):
    w0, c0 = time.perf_counter(), time.process_time()
    features, y, _ = lm._training_set(workbook, known_by)
    w1, c1 = time.perf_counter(), time.process_time()
    model = lm.fit_lead_model(features, y, cutoff=known_by)
    w2, c2 = time.perf_counter(), time.process_time()
    rows.append({"features_wall": w1 - w0, "features_cpu": c1 - c0,
                 "fit_wall": w2 - w1, "fit_cpu": c2 - c1,
                 "train_wall": w2 - w0, "train_cpu": c2 - c0})
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": rows, "leads_trained": int(len(y)), "converted": int(y.sum()),
                  "features": model.features, "peak_mb": peak}))
"""

KEYS = ("features", "fit", "train")


def backtest(data: str) -> dict:
    from helpers import Workbook
    from helpers.prediction.lead_model import HORIZON_DAYS, SCORING_DAYS, evaluate_lead_model

    workbook = Workbook.load(data)
    start = time.perf_counter()
    evaluation = evaluate_lead_model(workbook, importance_repeats=5)
    seconds = time.perf_counter() - start
    print(f"Out-of-time backtest on {data}: quarter {evaluation.quarter}")
    print(
        f"  scored {SCORING_DAYS} days after creation; outcome: SQL within {HORIZON_DAYS} days; "
        f"trained on {evaluation.trained_on:,} earlier leads ({evaluation.trained_converted:,} "
        f"converted); evaluated on {evaluation.evaluated_on:,} leads "
        f"({evaluation.too_young:,} of the quarter too young to judge)"
    )
    if evaluation.note:
        print(f"  {evaluation.note}")
        return {"model": None, "crm": None}
    for name, sep in (("model", evaluation.model), ("CRM score", evaluation.crm)):
        if sep is None:
            print(f"  {name:<10} {evaluation.crm_note}")
            continue
        brier = "" if sep.brier is None else f"  Brier {sep.brier:.4f}"
        print(
            f"  {name:<10} AUC {sep.auc:.3f} (95 % CI {sep.auc_low:.3f}-{sep.auc_high:.3f})  "
            f"top-decile lift {sep.top_decile_lift:.2f}{brier}"
        )
    top = evaluation.importance.head(5)
    drivers = ", ".join(
        f"{f} {d:.3f}" for f, d in zip(top["feature"], top["auc_drop"], strict=True)
    )
    print(f"  drivers (AUC drop when shuffled): {drivers}")
    print(f"  backtest incl. permutation importance: {seconds:.1f} s wall")
    return {
        "model": evaluation.model.auc,
        "crm": None if evaluation.crm is None else evaluation.crm.auc,
    }


def measure(leads: int, repeats: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "data"
        script = Path(sys.executable).with_name("workbook")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "helpers.cli"]
        subprocess.run(
            [*command, "sample", "--leads", str(leads), "--out", str(out)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(out), str(repeats)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def _label(leads: int) -> str:
    return f"{leads // 1_000_000}m" if leads % 1_000_000 == 0 else f"{leads // 1000}k"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="data/sample")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    aucs = backtest(args.data)

    medians: dict[int, dict[str, float]] = {}
    for leads in args.sizes:
        figures = measure(leads, args.repeats)
        rows = figures["rows"]
        print(
            f"\n{leads:,} leads (workbook sample --leads {leads}): trained on "
            f"{figures['leads_trained']:,} ({figures['converted']:,} converted), "
            f"{len(figures['features'])} features, peak RSS {figures['peak_mb']:.0f} MB, "
            f"{len(rows)} repeat(s)"
        )
        medians[leads] = {}
        for key in KEYS:
            wall = [r[f"{key}_wall"] for r in rows]
            cpu = [r[f"{key}_cpu"] for r in rows]
            medians[leads][key] = statistics.median(wall)
            print(
                f"  {key:<9} wall min {min(wall):7.2f} s  median {statistics.median(wall):7.2f} s"
                f"   cpu min {min(cpu):7.2f} s  median {statistics.median(cpu):7.2f} s"
            )
    base = args.sizes[0]
    for leads in args.sizes[1:]:
        print(f"\nratio {leads:,} / {base:,} leads ({leads / base:g}x the leads), median wall")
        for key in KEYS:
            print(f"  {key:<9} {medians[leads][key] / medians[base][key]:6.2f}x")

    def fmt(value) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    parts = [f"auc_model={fmt(aucs['model'])}", f"auc_crm={fmt(aucs['crm'])}"]
    parts += [f"train_s_{_label(n)}={medians[n]['train']:.2f}" for n in args.sizes]
    print("\npredict: " + " ".join(parts))


if __name__ == "__main__":
    main()
