"""Backtest the quarter forecast on a data set and time it (issue 20).

Run: ``.venv/bin/python benchmarks/bench_forecast.py [--data data/sample] [--days 0 30 60]
[--repeats 3] [--simulations 10000]``.

For the company and every team, the forecast of every complete quarter the data allows is
made on day D of that quarter (for each ``--days`` D; 0 is the first day, what the quarterly
review sees) from what was known then, and compared with what was won: coverage of the 80 %
interval (P10–P90, a calibrated forecast covers about 80 %) and the error of the median
(median of |P50 − actual| / actual, and its mean signed value, the bias), for won revenue and
won deals.

Timing, in the same process: ``team_forecast`` for the company (the current quarter's
forecast, 10,000 draws, plus its whole backtest, 2,000 draws a quarter: what ``workbook
forecast`` and a report section compute) against its baseline, one ``forecast_quarter`` call
alone; wall and CPU seconds, min and median of ``--repeats``. Nothing here asserts a time.

The last line is the summary the issue asks for: coverage and the median's error on day 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from helpers.analysis.workbook import Workbook  # noqa: E402
from helpers.data.periods import Quarter  # noqa: E402
from helpers.prediction import forecast as fc  # noqa: E402


def timed(work, repeats: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``work()`` over ``repeats`` runs."""
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        work()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def describe(label: str, wall: list[float], cpu: list[float], baseline: float | None) -> str:
    ratio = f"  x{statistics.median(wall) / baseline:,.1f} baseline" if baseline else ""
    return (
        f"{label:<44} wall min {min(wall):6.3f} s  median {statistics.median(wall):6.3f} s   "
        f"CPU min {min(cpu):6.3f} s  median {statistics.median(cpu):6.3f} s{ratio}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "data" / "sample"))
    parser.add_argument("--days", type=int, nargs="+", default=[0, 30, 60])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--simulations",
        type=int,
        default=fc.BACKTEST_SIMULATIONS,
        help="draws per backtest quarter (team_forecast's default)",
    )
    args = parser.parse_args()

    workbook = Workbook.load(args.data)
    dataset = workbook.dataset
    first = dataset.quarters[0]
    complete = [q for q in dataset.quarters if q.end <= dataset.as_of]
    options = {"simulations": args.simulations, "first_quarter": first}
    print(
        f"data {args.data}: {len(dataset['opportunities']):,} opportunities, quarters "
        f"{complete[0]} to {complete[-1]} complete, as of {dataset.as_of.date()}; "
        f"{args.simulations:,} draws per backtest quarter, seed {fc.DEFAULT_SEED}"
    )
    summary = {}
    for day in args.days:
        print(f"\nforecast made on day {day} of each quarter")
        print(
            f"  {'team':<10} {'quarters':>8} {'revenue in 80 %':>16} {'deals in 80 %':>14} "
            f"{'P50 error':>10} {'bias':>6} {'deals P50 err':>14}"
        )
        tables = []
        for team in ["all", *dataset.teams]:
            opportunities = workbook.tables_for(team)["opportunities"]
            table = fc.backtest(opportunities, complete, pd.Timedelta(days=day), **options)
            tables.append(table.assign(team=team))
            print("  " + row(team, table))
        teams = pd.concat(tables[1:], ignore_index=True)
        print("  " + row("teams", teams))
        summary[day] = (teams, tables[0])

    quarter = Quarter.containing(dataset.as_of, dataset.config.fiscal_year_start_month)
    opportunities = workbook.tables_for("all")["opportunities"]
    print(f"\ntiming ({args.repeats} repeats), company, {quarter} as of {dataset.as_of.date()}")
    base_wall, base_cpu = timed(
        lambda: fc.forecast_quarter(
            opportunities, quarter, dataset.as_of, first_quarter=first
        ),  # 10,000 draws, as shown
        args.repeats,
    )
    print(describe("forecast_quarter (one forecast, baseline)", base_wall, base_cpu, None))
    wall, cpu = timed(lambda: fc.team_forecast(workbook, "all"), args.repeats)
    baseline = statistics.median(base_wall)
    print(describe("team_forecast (forecast + backtest)", wall, cpu, baseline))

    teams, company = summary[args.days[0]]
    revenue, deals = fc.coverage(teams), fc.coverage(teams, "deals_")
    errors = fc.median_errors(teams)
    company_cover = fc.coverage(company)
    print(
        f"\nforecast backtest, day {args.days[0]}: 80 % interval covered won revenue in "
        f"{revenue.value:.0%} ({revenue.numerator}/{revenue.denominator} team-quarters), won "
        f"deals in {deals.value:.0%}; median error of P50 {errors['median_abs_error']:.0%} "
        f"(bias {errors['mean_error']:+.0%}); company {company_cover.numerator}/"
        f"{company_cover.denominator}; team_forecast all {statistics.median(wall):.2f} s"
    )


def row(team: str, table: pd.DataFrame) -> str:
    """One team's backtest figures as an aligned line."""
    revenue, deals = fc.coverage(table), fc.coverage(table, "deals_")
    errors, deal_errors = fc.median_errors(table), fc.median_errors(table, "deals_")

    def share(rate) -> str:
        return f"{rate.numerator}/{rate.denominator} {rate.value:4.0%}" if rate.denominator else "–"

    return (
        f"{team:<10} {len(table):>8} {share(revenue):>16} {share(deals):>14} "
        f"{errors['median_abs_error']:>10.0%} {errors['mean_error']:>+6.0%} "
        f"{deal_errors['median_abs_error']:>14.0%}"
    )


if __name__ == "__main__":
    main()
