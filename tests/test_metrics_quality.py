"""Data-quality checks on literal tables with exactly one instance of each problem.

The messy set (four leads A-D, 15 events, 4 opportunities), problem by problem:
- leads: B has no channel; 5 rows were read, 4 kept (one rejected).
- lead_events: A's ``accepted`` row appears twice (one duplicate); Z is not a lead (orphan);
  A has a ``first_touch`` without a timestamp; C's first ``sql`` (2 Jul) precedes its first
  ``mql`` (3 Jul); D has ``sql`` but never ``accepted`` (skipped stage); B's MQL is never
  touched. One out-of-order anomaly was flagged at load.
- opportunities: OZ points at lead Z (orphan); OB has amount 0; OC is won without closed_at.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.data.source import load_dataset
from helpers.errors import Problem
from helpers.metrics.quality import data_quality

T = pd.Timestamp
NaT = pd.NaT


def _teams():
    return pd.DataFrame(
        {"team": ["north"], "name": ["North"], "region": ["EU"], "segment": ["smb"]}
    )


def _leads(ids, channels):
    return pd.DataFrame(
        {
            "lead_id": ids,
            "created_at": [T("2026-07-01 08:00")] * len(ids),
            "team": ["north"] * len(ids),
            "channel": channels,
            "source_type": ["marketing"] * len(ids),
        }
    )


def _events(rows):
    return pd.DataFrame(rows, columns=["lead_id", "event", "at"]).astype({"at": "datetime64[ns]"})


def _opps(rows):
    frame = pd.DataFrame(
        rows, columns=["opportunity_id", "lead_id", "status", "amount", "closed_at"]
    )
    frame["team"] = "north"
    frame["created_at"] = T("2026-07-05")
    return frame.astype({"closed_at": "datetime64[ns]", "amount": "float64"})


A_EVENTS = [
    ("A", "mql", T("2026-07-01 09:00")),
    ("A", "first_touch", T("2026-07-01 10:00")),
    ("A", "accepted", T("2026-07-01 11:00")),
    ("A", "sql", T("2026-07-02 09:00")),
]


@pytest.fixture
def messy():
    events = _events(
        [
            *A_EVENTS,
            ("A", "accepted", T("2026-07-01 11:00")),  # exact duplicate
            ("A", "first_touch", NaT),  # missing timestamp
            ("B", "mql", T("2026-07-01 09:00")),  # never touched
            ("C", "first_touch", T("2026-07-01 09:00")),
            ("C", "accepted", T("2026-07-01 10:00")),
            ("C", "sql", T("2026-07-02 09:00")),  # before C's mql
            ("C", "mql", T("2026-07-03 09:00")),
            ("C", "first_touch", T("2026-07-03 12:00")),  # answers C's mql
            ("D", "first_touch", T("2026-07-01 09:00")),
            ("D", "sql", T("2026-07-02 09:00")),  # skipped accepted
            ("Z", "first_touch", T("2026-07-01 09:00")),  # orphan
        ]
    )
    opps = _opps(
        [
            ("OA", "A", "won", 100.0, T("2026-08-01")),
            ("OZ", "Z", "open", 50.0, NaT),  # orphan
            ("OB", None, "open", 0.0, NaT),  # no amount
            ("OC", None, "won", 200.0, NaT),  # won without close date
        ]
    )
    return {
        "teams": _teams(),
        "leads": _leads(["A", "B", "C", "D"], ["web", None, "web", "outbound"]),
        "lead_events": events,
        "opportunities": opps,
    }


FLAGGED = Problem(
    "lead_events.csv",
    "at",
    "1 lead(s) have 'sql' before their first 'mql'",
    "correct the timestamps",
    rows=(11,),
    n_rows=1,
    severity="warning",
)
# Errors stop a load; one passed in anyway must not be counted as an anomaly.
ERROR = Problem("leads.csv", "team", "bad team", "fix it", rows=(2, 3, 4), n_rows=3)
ROWS_READ = {"teams": 1, "leads": 5, "lead_events": 15, "opportunities": 4}


def test_messy_set_finds_each_problem_once(messy):
    table = data_quality(messy, [FLAGGED, ERROR], ROWS_READ)
    expected = pd.DataFrame(
        [
            ("rows read", "teams", 1, np.nan),
            ("rows read", "leads", 5, np.nan),
            ("rows read", "lead_events", 15, np.nan),
            ("rows read", "opportunities", 4, np.nan),
            ("rows rejected", "teams", 0, 0.0),
            ("rows rejected", "leads", 1, 1 / 5),  # 5 read, 4 kept
            ("rows rejected", "lead_events", 0, 0.0),
            ("rows rejected", "opportunities", 0, 0.0),
            ("duplicate rows", "teams", 0, 0.0),
            ("duplicate rows", "leads", 0, 0.0),
            ("duplicate rows", "lead_events", 1, 1 / 15),
            ("duplicate rows", "opportunities", 0, 0.0),
            ("orphan events", "lead_events", 1, 1 / 15),
            ("orphan opportunities", "opportunities", 1, 1 / 4),
            ("events without timestamp", "lead_events", 1, 1 / 15),
            ("out-of-order events", "lead_events", 1, np.nan),  # the warning, not the error
            ("sql before mql", "lead_events", 1, 1 / 2),  # C, of A and C (D has no mql)
            ("skipped stages", "leads", 1, 1 / 4),  # D
            ("MQLs never touched", "lead_events", 1, 1 / 3),  # B, of MQLs of A, B, C
            ("opportunities without amount", "opportunities", 1, 1 / 4),  # OB
            ("won without close date", "opportunities", 1, 1 / 2),  # OC, of OA and OC
            ("leads without channel", "leads", 1, 1 / 4),  # B
            # 13 events have a known lead and a timestamp (not Z's, not A's empty one); all
            # are dated after the leads were created (1 Jul 08:00).
            ("events before their lead", "lead_events", 0, 0.0),
            ("opportunity before its lead", "opportunities", 0, 0.0),  # OA, of OA (Z unknown)
            ("won before first contact", "opportunities", 0, 0.0),  # OA won 1 Aug
        ],
        columns=["check", "table", "count", "share"],
    ).astype({"count": "Int64"})
    pd.testing.assert_frame_equal(
        table[["check", "table", "count", "share"]], expected, check_dtype=False
    )
    assert table["count"].dtype == "Int64"


def test_details_name_the_population_and_examples(messy):
    table = data_quality(messy, [FLAGGED], ROWS_READ).set_index(["check", "table"])["detail"]
    assert table[("skipped stages", "leads")] == (
        "1 of 4 leads; accepted without first_touch: 0, sql without accepted: 1, "
        "opportunity without sql: 0 (e.g. D)"
    )
    assert table[("orphan opportunities", "opportunities")].endswith("(e.g. OZ)")
    assert table[("MQLs never touched", "lead_events")].endswith("(e.g. B)")
    assert table[("out-of-order events", "lead_events")] == FLAGGED.message


def test_clean_set_is_all_zero():
    tables = {
        "teams": _teams(),
        "leads": _leads(["A"], ["web"]),
        "lead_events": _events(A_EVENTS),
        "opportunities": _opps([("OA", "A", "won", 100.0, T("2026-08-01"))]),
    }
    table = data_quality(tables)
    assert len(table) == 25  # 3 table-level checks × 4 tables + 13 checks
    problems = table[table["check"] != "rows read"]
    assert problems["count"].tolist() == [0] * 21
    assert table.loc[table["check"] == "rows read", "count"].tolist() == [1, 1, 4, 1]


def test_missing_amount_nan_counts_like_zero():
    opps = _opps([("O1", None, "open", np.nan, NaT), ("O2", None, "lost", 5.0, T("2026-08-01"))])
    table = data_quality({"opportunities": opps}).set_index("check")
    assert table.loc["opportunities without amount", "count"] == 1
    # No won opportunity: 0 of 0, so the share is undefined.
    assert table.loc["won without close date", "count"] == 0
    assert np.isnan(table.loc["won without close date", "share"])


def test_absent_tables_are_not_checked_rather_than_clean():
    table = data_quality({"leads": _leads(["A"], ["web"])}, rows_read={"spend": 3})
    by_check = table.set_index(["check", "table"])
    assert by_check.loc[("leads without channel", "leads"), "count"] == 0
    assert pd.isna(by_check.loc[("orphan events", "lead_events"), "count"])
    assert by_check.loc[("orphan events", "lead_events"), "detail"] == (
        "not checked: no lead_events table"
    )
    assert pd.isna(by_check.loc[("skipped stages", "leads"), "count"])
    # spend was read (3 rows) but nothing of it survived.
    assert by_check.loc[("rows rejected", "spend"), "count"] == 3
    assert pd.isna(by_check.loc[("duplicate rows", "spend"), "count"])


def test_inputs_are_not_modified(messy):
    before = {name: frame.copy() for name, frame in messy.items()}
    data_quality(messy, [FLAGGED], ROWS_READ)
    for name, frame in messy.items():
        pd.testing.assert_frame_equal(frame, before[name])


def test_tiny_fixture_counts(tiny_dir):
    # tests/data/tiny: 2 teams, 6 leads, 22 events, 3 opportunities; no anomalies flagged.
    # Only L3's MQL (2 Jul) is never touched, of 6 MQL events (L1, L2, L3, L5 twice, L6);
    # L5's second MQL (10 Jul) is answered by its 10 Jul touch, not the April one.
    # Leads with both sql and mql: L1, L5 (L4 is outbound); neither has the sql first.
    # No skipped stages: L1 and L4 are touched, accepted, SQL, then get O1 and O2.
    # Won opportunities O1 and O3 both have closed_at.
    ds = load_dataset(tiny_dir)
    table = data_quality(ds.tables, ds.anomalies).set_index(["check", "table"])
    counts = table["count"].to_dict()
    tables = ("teams", "leads", "lead_events", "opportunities")
    assert [counts[("rows read", t)] for t in tables] == [2, 6, 22, 3]
    assert counts[("MQLs never touched", "lead_events")] == 1
    assert table.loc[("MQLs never touched", "lead_events"), "share"] == pytest.approx(1 / 6)
    assert table.loc[("MQLs never touched", "lead_events"), "detail"].endswith("(e.g. L3)")
    assert table.loc[("sql before mql", "lead_events"), "detail"].startswith("0 of 2 leads")
    assert table.loc[("won without close date", "opportunities"), "detail"].startswith("0 of 2 won")
    others = {k: v for k, v in counts.items() if k[0] not in ("rows read", "MQLs never touched")}
    assert set(others.values()) == {0}


def test_cross_table_order_names_deals_won_before_first_contact():
    # Leads created 1 Jul 08:00. P's first event is 30 Jun (before it was created); Q was
    # first contacted 1 Jul 08:00. Opportunities are created 5 Jul (after both leads):
    # OP won on 7 Jul, after P's first contact (its event of 30 Jun) -> fine;
    # OQ won on 20 Jun, before Q's first contact -> flagged; OX has no lead -> not counted.
    leads = _leads(["P", "Q"], ["web", "web"])
    events = _events(
        [
            ("P", "mql", T("2026-06-30 09:00")),
            ("Q", "mql", T("2026-07-02 09:00")),
        ]
    )
    opps = _opps(
        [
            ("OP", "P", "won", 100.0, T("2026-07-07")),
            ("OQ", "Q", "won", 100.0, T("2026-06-20")),
            ("OX", None, "won", 100.0, T("2026-07-09")),
        ]
    )
    opps.loc[opps["opportunity_id"] == "OQ", "created_at"] = T("2026-06-10")
    quality = data_quality({"leads": leads, "lead_events": events, "opportunities": opps})
    rows = quality.set_index("check")
    assert rows.loc["events before their lead", "count"] == 1
    assert "(e.g. P)" in rows.loc["events before their lead", "detail"]
    # OQ was created 10 Jun, before Q (1 Jul); OP on 5 Jul, after P.
    assert rows.loc["opportunity before its lead", "count"] == 1
    assert rows.loc["opportunity before its lead", "share"] == pytest.approx(1 / 2)
    won_early = rows.loc["won before first contact"]
    assert won_early["count"] == 1
    assert won_early["detail"] == (
        "1 of 2 won opportunities with a known lead closed before its first contact (e.g. OQ)"
    )


def test_cross_table_order_not_checked_without_leads():
    opps = _opps([("O1", None, "won", 100.0, T("2026-07-09"))])
    rows = data_quality({"opportunities": opps}).set_index("check")
    for check in ("events before their lead", "won before first contact"):
        assert pd.isna(rows.loc[check, "count"])
        assert rows.loc[check, "detail"] == "not checked: no leads table"
