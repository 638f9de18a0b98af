"""Change points need a base on both sides; a table that stopped early is none (issue 16).

A hand-made data set, written by :func:`_write`: one team ``north``;

- 2026Q1: 40 leads, one a day from Mon 5 Jan 2026, each an MQL one hour after it was created;
- 2026Q2: 30 leads, one a day from Wed 1 Apr to Thu 30 Apr 2026, each an MQL an hour later;
  then the lead export ends (no lead or event after 30 Apr 10:00);
- deals: one sales-sourced opportunity of 1,000 created on the 10th of each month and won on
  the 15th, January to November (the export that goes on) or January to April only.

MQLs 40 → 30 is −25 %: on 40 and 30 MQLs, both at least the minimum base of 30.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from helpers import Workbook
from helpers.metrics.headline import KPIS
from helpers.reports.talking_points import KPI_TABLES, tables_cut_off, talking_points

FELL = "MQLs fell 25.0% against 2026Q1, from 40 to 30 (worse: higher is better)."


def _write(folder, last_deal_month: int, as_of: str | None = None):
    folder.mkdir()
    (folder / "teams.csv").write_text("team,name,region,segment\nnorth,North Pod,EMEA,smb\n")
    created = [datetime(2026, 1, 5, 9) + timedelta(days=i) for i in range(40)]
    created += [datetime(2026, 4, 1, 9) + timedelta(days=i) for i in range(30)]
    leads = ["lead_id,created_at,team,channel,source_type"]
    events = ["lead_id,event,at"]
    for i, at in enumerate(created):
        leads.append(f"L{i},{at:%Y-%m-%dT%H:%M:%S},north,paid_search,marketing")
        events.append(f"L{i},mql,{at + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}")
    (folder / "leads.csv").write_text("\n".join(leads) + "\n")
    (folder / "lead_events.csv").write_text("\n".join(events) + "\n")
    deals = ["opportunity_id,team,created_at,status,amount,closed_at,account_id,source_type"]
    for month in range(1, last_deal_month + 1):
        deals.append(
            f"O{month},north,2026-{month:02d}-10T10:00:00,won,1000,"
            f"2026-{month:02d}-15T10:00:00,A{month},sales"
        )
    (folder / "opportunities.csv").write_text("\n".join(deals) + "\n")
    toml = 'timezone = "Europe/Berlin"\n' + (f'as_of = "{as_of}"\n' if as_of else "")
    (folder / "workbook.toml").write_text(toml)
    return folder


def test_every_kpi_names_the_tables_it_is_computed_from():
    assert set(KPIS) <= set(KPI_TABLES)


def test_a_drop_on_enough_mqls_in_both_quarters_is_a_point(tmp_path):
    # Deals end in April too and the as-of date is 1 Jul: no table stops before the others
    # (the leads' last day, 30 Apr, is the data's last), so the drop is real.
    data = _write(tmp_path / "both_end", last_deal_month=4, as_of="2026-07-01")
    view = Workbook.load(data).view("north", "2026Q2")
    assert view.complete
    assert tables_cut_off(view) == frozenset()
    assert FELL in talking_points(view)


def test_a_quarter_beyond_the_end_of_the_lead_export_is_no_base(tmp_path):
    # Deals go on to 15 Nov: the as-of date is 16 Nov, and the lead export, ending 30 Apr, is
    # cut off for 2026Q2 (which ends 30 Jun) - its 30 MQLs are what the export held, not the
    # quarter's, so no point compares them with 2026Q1.
    data = _write(tmp_path / "leads_end", last_deal_month=11)
    workbook = Workbook.load(data)
    view = workbook.view("north", "2026Q2")
    assert view.complete
    assert tables_cut_off(view) == frozenset({"leads", "lead_events"})
    points = talking_points(view)
    assert FELL not in points
    assert not any(p.startswith("MQLs") for p in points)
    # 2026Q3 has no lead at all: never "MQLs fell 100.0 %".
    assert not any(p.startswith("MQLs") for p in talking_points(workbook.view("north", "2026Q3")))
