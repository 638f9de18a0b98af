"""A second, independent implementation of a few figures, in plain Python (csv + datetime).

No pandas and no helpers code: it reads the sample's CSV files itself, so agreement with the
library is evidence, not a tautology. Calendar quarters only (the sample's setting).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from pathlib import Path


def _quarter(stamp: str) -> str:
    when = datetime.fromisoformat(stamp)
    return f"{when.year}Q{(when.month - 1) // 3 + 1}"


def _rows(directory: Path, name: str):
    with (directory / f"{name}.csv").open(newline="", encoding="utf-8-sig") as handle:
        yield from csv.DictReader(handle)


def figures(directory: Path) -> dict[tuple[str, str], dict[str, float]]:
    """Per (team, quarter), with team ``all`` for the company.

    Keys: ``lead``, ``mql``, ``first_touch``, ``accepted``, ``sql``, ``rejected``,
    ``recycled`` (distinct leads with the event in the quarter), ``opportunity`` (created),
    ``won`` (won, closed in the quarter), ``lost``, ``pipeline_<source_type>`` (amount created).
    """
    out: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    team_of = {}
    for lead in _rows(directory, "leads"):
        team_of[lead["lead_id"]] = lead["team"]
        for team in (lead["team"], "all"):
            out[(team, _quarter(lead["created_at"]))]["lead"] += 1
    seen = set()
    for event in _rows(directory, "lead_events"):
        quarter = _quarter(event["at"])
        key = (event["lead_id"], event["event"], quarter)
        if key in seen:
            continue
        seen.add(key)
        for team in (team_of[event["lead_id"]], "all"):
            out[(team, quarter)][event["event"]] += 1
    for opp in _rows(directory, "opportunities"):
        source = opp["source_type"] or "sales"
        amount = float(opp["amount"]) if opp["amount"] else 0.0
        for team in (opp["team"], "all"):
            created = out[(team, _quarter(opp["created_at"]))]
            created["opportunity"] += 1
            created[f"pipeline_{source}"] += amount
            if opp["status"] in ("won", "lost"):
                out[(team, _quarter(opp["closed_at"]))][opp["status"]] += 1
    return out
