"""The core aggregations of the workbook written again in SQL on DuckDB, as a reference.

``bench_metrics.py`` times them against the workbook's and ``tests/test_duckdb_reference.py``
checks on the tiny fixture that both give the same numbers. The SQL is written from the
metric definitions (README "Metrics" and the docstrings of ``helpers.metrics``), not from the
workbook's code, so agreement is a check of both.

Definitions compared, for every team together and one quarter ``[start, end)``:

- stage counts (period view): leads created; distinct leads with an ``mql``, ``first_touch``,
  ``accepted``, ``rejected``, ``recycled`` or ``sql`` event in the quarter; opportunities
  created; opportunities won and closed in the quarter;
- MQL acceptance: accepted and rejected events in the quarter whose lead had its first ``mql``
  at or before the decision;
- win rate: won and lost opportunities closed in the quarter;
- won revenue: Σ amount of the won ones; pipeline created: Σ amount of those created;
- speed to lead in **plain (wall-clock) hours**: each MQL event before the as-of date paired
  with the lead's first ``first_touch`` at or after it, unless that touch comes at or after
  the lead's next MQL; median and P90 (linear) of touched − MQL in hours, MQLs of the quarter.
  The workbook's KPI counts **business hours** (working hours and days of ``workbook.toml``),
  which SQL has no calendar for; the comparison therefore takes the workbook's own pairing
  (``Workbook.responses``) and measures the same pairs in plain hours, so it checks the
  pairing rule, and the business-hours figure is shown beside it, not compared.

Event names are compared as written in the files: a data set whose ``workbook.toml`` maps
event names ([events]) is not supported here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

TABLES = ("teams", "leads", "lead_events", "opportunities", "spend", "revenue", "touches")
TABLES += ("targets", "feedback")
# Columns read with a fixed type (the rest as DuckDB detects them).
TYPES = {
    "leads": {"lead_id": "VARCHAR", "created_at": "TIMESTAMP", "team": "VARCHAR"},
    "lead_events": {"lead_id": "VARCHAR", "event": "VARCHAR", "at": "TIMESTAMP"},
    "opportunities": {
        "lead_id": "VARCHAR",
        "status": "VARCHAR",
        "amount": "DOUBLE",
        "created_at": "TIMESTAMP",
        "closed_at": "TIMESTAMP",
    },
}
STAGES = ("lead", "mql", "first_touch", "accepted", "sql", "opportunity", "won")
STAGES += ("rejected", "recycled")
OPERATIONS = (
    "stage counts",
    "MQL acceptance",
    "win rate",
    "won revenue",
    "pipeline created",
    "speed to lead (plain hours)",
)


def load(con, folder: Path) -> None:
    """Create one DuckDB table per table file (CSV or Parquet) of ``folder``."""
    for name in TABLES:
        csv, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
        if parquet.is_file():
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet(?)", [str(parquet)])
        elif csv.is_file():
            types = TYPES.get(name, {})
            struct = "{" + ", ".join(f"'{c}': '{t}'" for c, t in types.items()) + "}"
            con.execute(
                f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, header = true, "
                f"types = {struct})",
                [str(csv)],
            )


def _one(con, sql: str, params: list) -> tuple:
    return con.execute(sql, params).fetchone()


def stage_counts(con, start, end) -> dict[str, int]:
    """Period-view volume of each stage in ``[start, end)``."""
    window = [start, end]
    counts = dict.fromkeys(STAGES, 0)
    rows = con.execute(
        "SELECT event, count(DISTINCT lead_id) FROM lead_events "
        'WHERE "at" >= ? AND "at" < ? GROUP BY event',
        window,
    ).fetchall()
    counts.update({event: int(n) for event, n in rows if event in counts})
    counts["lead"] = int(
        _one(con, "SELECT count(*) FROM leads WHERE created_at >= ? AND created_at < ?", window)[0]
    )
    counts["opportunity"] = int(
        _one(
            con,
            "SELECT count(*) FROM opportunities WHERE created_at >= ? AND created_at < ?",
            window,
        )[0]
    )
    counts["won"] = int(
        _one(
            con,
            "SELECT count(*) FROM opportunities "
            "WHERE status = 'won' AND closed_at >= ? AND closed_at < ?",
            window,
        )[0]
    )
    return counts


def mql_acceptance(con, start, end) -> tuple[int, int]:
    """(accepted, accepted + rejected) decisions on MQLs in ``[start, end)``."""
    accepted, rejected = _one(
        con,
        """
        WITH first_mql AS (
            SELECT lead_id, min("at") AS mql_at FROM lead_events WHERE event = 'mql'
            GROUP BY lead_id
        )
        SELECT count(*) FILTER (WHERE e.event = 'accepted'),
               count(*) FILTER (WHERE e.event = 'rejected')
        FROM lead_events e JOIN first_mql m ON e.lead_id = m.lead_id
        WHERE e.event IN ('accepted', 'rejected') AND e."at" >= ? AND e."at" < ?
          AND m.mql_at <= e."at"
        """,
        [start, end],
    )
    return int(accepted), int(accepted + rejected)


def win_rate(con, start, end) -> tuple[int, int]:
    """(won, won + lost) opportunities closed in ``[start, end)``."""
    won, lost = _one(
        con,
        "SELECT count(*) FILTER (WHERE status = 'won'), count(*) FILTER (WHERE status = 'lost') "
        "FROM opportunities WHERE closed_at >= ? AND closed_at < ?",
        [start, end],
    )
    return int(won), int(won + lost)


def won_revenue(con, start, end) -> float:
    """Σ amount of opportunities won and closed in ``[start, end)`` (NaN if none has one)."""
    (total,) = _one(
        con,
        "SELECT sum(amount) FROM opportunities "
        "WHERE status = 'won' AND closed_at >= ? AND closed_at < ?",
        [start, end],
    )
    return math.nan if total is None else float(total)


def pipeline_created(con, start, end) -> float:
    """Σ amount of opportunities created in ``[start, end)`` (NaN if none has one)."""
    (total,) = _one(
        con,
        "SELECT sum(amount) FROM opportunities WHERE created_at >= ? AND created_at < ?",
        [start, end],
    )
    return math.nan if total is None else float(total)


def speed_to_lead_plain(con, start, end, as_of) -> dict[str, float]:
    """MQLs of ``[start, end)``, those touched, median and P90 plain hours to the touch."""
    mqls, touched, median, p90 = _one(
        con,
        """
        WITH ev AS (
            SELECT lead_id, event, "at" FROM lead_events
            WHERE "at" < ? AND lead_id IS NOT NULL AND "at" IS NOT NULL
        ),
        mql AS (
            SELECT lead_id, "at" AS mql_at,
                   lead("at") OVER (PARTITION BY lead_id ORDER BY "at") AS next_mql
            FROM ev WHERE event = 'mql'
        ),
        paired AS (
            SELECT m.mql_at, m.next_mql, min(t."at") AS touched_at
            FROM mql m LEFT JOIN ev t
              ON t.lead_id = m.lead_id AND t.event = 'first_touch' AND t."at" >= m.mql_at
            GROUP BY m.lead_id, m.mql_at, m.next_mql
        ),
        answered AS (
            SELECT mql_at,
                   CASE WHEN next_mql IS NULL OR touched_at < next_mql THEN touched_at END
                       AS touched_at
            FROM paired
        )
        SELECT count(*), count(touched_at),
               median(epoch(touched_at - mql_at) / 3600.0),
               quantile_cont(epoch(touched_at - mql_at) / 3600.0, 0.9)
        FROM answered WHERE mql_at >= ? AND mql_at < ?
        """,
        [as_of, start, end],
    )
    return {
        "mqls": int(mqls),
        "touched": int(touched),
        "median_hours": math.nan if median is None else float(median),
        "p90_hours": math.nan if p90 is None else float(p90),
    }


def duckdb_figures(con, start, end, as_of) -> tuple[dict, dict[str, float]]:
    """Every compared figure from DuckDB, and the seconds each operation took."""
    figures, seconds = {}, {}
    steps: dict[str, Callable[[], object]] = {
        "stage counts": lambda: stage_counts(con, start, end),
        "MQL acceptance": lambda: mql_acceptance(con, start, end),
        "win rate": lambda: win_rate(con, start, end),
        "won revenue": lambda: won_revenue(con, start, end),
        "pipeline created": lambda: pipeline_created(con, start, end),
        "speed to lead (plain hours)": lambda: speed_to_lead_plain(con, start, end, as_of),
    }
    for name, step in steps.items():
        began = time.perf_counter()
        figures[name] = step()
        seconds[name] = time.perf_counter() - began
    return figures, seconds


def workbook_figures(workbook, quarter) -> tuple[dict, dict[str, float], dict]:
    """The same figures from the workbook (company ``all``), the seconds each took, and the
    business-hours speed to lead shown beside the plain hours (not compared).

    Each operation runs on a fresh view; the speed to lead includes pairing every MQL with
    its touch (:func:`helpers.metrics.handoff.mql_responses`), as the SQL does, by each
    event's lead as validation found it (``Dataset.lead_rows``), as the workbook's own
    per-lead table is built.
    """
    from helpers.metrics import handoff, pipeline

    dataset = workbook.dataset
    figures, seconds = {}, {}

    def fresh():
        return workbook.view("all", quarter)

    def volumes():
        table = fresh().stage_volumes().set_index("stage")["volume"]
        return {stage: int(table[stage]) for stage in STAGES}

    def rate(rate):
        return (int(rate.numerator), int(rate.denominator))

    def plain_hours():
        view = fresh()
        responses = handoff.mql_responses(
            dataset["leads"],
            dataset["lead_events"],
            dataset.config,
            dataset.as_of,
            dataset.lead_rows.get("lead_events"),
        )
        chosen = responses[(responses["mql_at"] >= view.start) & (responses["mql_at"] < view.end)]
        hours = (chosen["touched_at"] - chosen["mql_at"]).dt.total_seconds().dropna() / 3600
        return {
            "mqls": len(chosen),
            "touched": len(hours),
            "median_hours": float(hours.median()) if len(hours) else math.nan,
            "p90_hours": float(hours.quantile(0.9)) if len(hours) else math.nan,
        }

    steps: dict[str, Callable[[], object]] = {
        "stage counts": volumes,
        "MQL acceptance": lambda: rate(fresh().mql_acceptance()),
        "win rate": lambda: rate(fresh().win_rate()),
        "won revenue": lambda: (
            pipeline.amount_of(fresh().won_revenue(), noun=pipeline.WON_DEALS).value
        ),
        "pipeline created": lambda: pipeline.amount_of(fresh().pipeline_created()).value,
        "speed to lead (plain hours)": plain_hours,
    }
    for name, step in steps.items():
        began = time.perf_counter()
        figures[name] = step()
        seconds[name] = time.perf_counter() - began
    speed = fresh().speed_to_lead()
    business = {
        "median_business_hours": speed["median_hours"] if speed else math.nan,
        "p90_business_hours": speed["p90_hours"] if speed else math.nan,
    }
    return figures, seconds, business


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def disagreements(workbook_side: dict, duckdb_side: dict) -> list[str]:
    """One line per operation whose figures differ (none when all agree)."""
    return [
        f"{name}: workbook {workbook_side[name]!r} vs DuckDB {duckdb_side[name]!r}"
        for name in OPERATIONS
        if not _same(workbook_side[name], duckdb_side[name])
    ]


def quarter_bounds(quarter) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` of a workbook quarter, as DuckDB parameters."""
    return quarter.start.to_pydatetime(), quarter.end.to_pydatetime()
