"""The workbook's core aggregations agree with the same definitions written in SQL on DuckDB
(benchmarks/duckdb_reference.py, which bench_metrics.py times at 100 k to 3 M leads)."""

from __future__ import annotations

import math
import sys

import duckdb
import pytest
from conftest import PROJECT, TINY

from helpers.analysis.cache import LeadTableStore, SourceCache
from helpers.analysis.workbook import Workbook

sys.path.insert(0, str(PROJECT / "benchmarks"))
import duckdb_reference as ref  # noqa: E402


@pytest.fixture
def both(monkeypatch):
    monkeypatch.setattr(Workbook, "cache", SourceCache(lead_tables=LeadTableStore(False)))
    workbook = Workbook.load(TINY)
    quarter = workbook.dataset.quarter("2026Q3")
    con = duckdb.connect()
    ref.load(con, TINY)
    start, end = ref.quarter_bounds(quarter)
    duck, _ = ref.duckdb_figures(con, start, end, workbook.dataset.as_of.to_pydatetime())
    mine, _, business = ref.workbook_figures(workbook, quarter)
    return mine, duck, business


def test_duckdb_and_workbook_agree_on_tiny(both):
    mine, duck, _ = both
    assert ref.disagreements(mine, duck) == []


def test_figures_by_hand(both):
    mine, duck, business = both
    # tests/data/tiny, 2026Q3, every team (see tests/test_metrics_funnel.py for the stages).
    stages = {"lead": 5, "mql": 5, "first_touch": 5, "accepted": 3, "sql": 3}
    stages |= {"opportunity": 3, "won": 2, "rejected": 2, "recycled": 0}
    for side in (mine, duck):
        assert side["stage counts"] == stages
        # Accepted: L1, L5 (L4 was never an MQL); rejected: L2, L6.
        assert side["MQL acceptance"] == (2, 4)
        assert side["win rate"] == (2, 3)  # O1, O3 won; O2 lost
        assert side["won revenue"] == 3000.0
        assert side["pipeline created"] == 3500.0
        # Plain hours to the first touch: L6 0.5, L1 2, L5 5, L2 48; L3 untouched.
        speed = side["speed to lead (plain hours)"]
        assert (speed["mqls"], speed["touched"]) == (5, 4)
        assert speed["median_hours"] == 3.5
        assert speed["p90_hours"] == pytest.approx(5 + 0.7 * 43)
    # Business hours (09:00-17:00 weekdays) differ: L2's 48 plain hours are 16 working hours.
    assert business["median_business_hours"] == 3.5
    assert not math.isclose(business["p90_business_hours"], 5 + 0.7 * 43)


def test_a_disagreement_is_reported(both):
    mine, duck, _ = both
    changed = dict(duck, **{"win rate": (1, 3)})
    assert ref.disagreements(mine, changed) == ["win rate: workbook (2, 3) vs DuckDB (1, 3)"]
