"""KPIs of one team and quarter as text, JSON or CSV (what ``workbook metrics`` prints).

The JSON form is stable: ``schema`` names its version, and fields are only ever added.
Missing figures are ``null``, never 0: ``note`` says why a KPI is not in this data (``"not in
this data: no opportunity amounts (530 opportunities without an amount)"``) or, for an amount
built from part of its deals, which part (``"from 412 of 530 opportunities; 118 without an
amount"``); ``deals`` and ``missing_amount`` are the deals an amount KPI is built from and
those of them without an amount (``null`` for other KPIs).
"""

from __future__ import annotations

import json
import math

import pandas as pd

from ..analysis.workbook import TeamQuarter
from ..display.html import format_change, format_value
from ..display.inert import spreadsheet_frame
from ..prediction.forecast import review_forecast

SCHEMA = "alignment-workbook/metrics/v1"
FIELDS = (
    "metric", "label", "direction", "kind", "value", "numerator", "denominator", "ci_low",
    "ci_high", "small_sample", "previous", "change_previous", "p_previous",
    "significant_previous", "year", "change_year", "p_year", "significant_year", "target",
    "attainment", "rag", "note", "deals", "missing_amount", "target_basis", "target_change",
    "baseline", "baseline_quarter", "target_origin",
)  # fmt: skip
COUNTS = ("numerator", "denominator", "deals", "missing_amount")


def _plain(value):
    # JSON has no NaN: missing figures are null; numpy scalars become Python numbers.
    if isinstance(value, float | int) and not isinstance(value, bool):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            return None
        return number
    if hasattr(value, "item"):
        return _plain(value.item())
    return value


def kpi_records(view: TeamQuarter) -> list[dict]:
    """The KPI rows of ``view`` as plain dicts with the fields of :data:`FIELDS`."""
    records = []
    for row in view.kpis().to_dict("records"):
        record = {f: _plain(row[f]) for f in FIELDS}
        for count in COUNTS:  # counts are whole numbers, not floats
            if record[count] is not None:
                record[count] = int(record[count])
        record["note"] = record["note"] or None
        for text in ("target_basis", "baseline_quarter", "target_origin"):
            record[text] = record[text] or None
        records.append(record)
    return records


def kpis_json(view: TeamQuarter) -> str:
    """JSON document: schema, team, quarter, as_of, data fingerprint and the KPI records."""
    dataset = view.workbook.dataset
    document = {
        "schema": SCHEMA,
        "team": view.team,
        "team_name": view.team_name,
        "quarter": str(view.quarter),
        "as_of": dataset.as_of.date().isoformat(),
        "quarter_complete": view.complete,
        "warnings": view.period_warnings(),
        "data_fingerprint": dataset.fingerprint(),
        "metrics": kpi_records(view),
        "alignment_index": _alignment(view),
        "forecast": review_forecast(view).to_dict(),
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _alignment(view: TeamQuarter) -> dict:
    index = view.alignment_index()
    components = [{k: _plain(v) for k, v in row.items()} for row in index.table.to_dict("records")]
    change = view.alignment_change()
    trend = view.alignment_trend()
    return {
        "value": _plain(index.value),
        "previous": _plain(change["previous"]),
        "change_previous": _plain(change["change"]),
        "trend": [
            {"quarter": q, "value": _plain(v)}
            for q, v in zip(trend["quarter"], trend["value"], strict=True)
        ],
        "reason": index.na_reason or None,
        "missing": list(index.missing),
        "reasons": {name: str(why) for name, why in index.reasons.items()},
        "components": components,
    }


def kpis_csv(view: TeamQuarter) -> str:
    """CSV with one row per KPI and the columns of :data:`FIELDS` (plus team and quarter).

    No cell is a formula: text passes :func:`helpers.display.inert.spreadsheet_frame`.
    """
    frame = pd.DataFrame(kpi_records(view), columns=list(FIELDS))
    frame = frame.astype({count: "Int64" for count in COUNTS})
    frame.insert(0, "quarter", str(view.quarter))
    frame.insert(0, "team", view.team)
    return spreadsheet_frame(frame).to_csv(index=False)


def _change_text(change: float, kind: str, significant: bool) -> str:
    """A change for the terminal table: ``+3.2 pp``, ``−1.5 h``, ``+120``; ``*`` if significant."""
    text = format_change(change, kind)
    return "—" if text == "n/a" else text + ("*" if significant else "")


def alignment_text(view: TeamQuarter) -> str:
    """The alignment index line of the terminal table: value, change vs Q−1 and the trend.

    E.g. ``Alignment index 78.7 / 100  Δ Q−1 −2.4  trend 2024Q4–2026Q3: 80.1 74.6 … 78.7``;
    ``Alignment index n/a (1 of 5 components in this data; …)`` when it cannot be had.
    """
    index = view.alignment_index()
    if index.na_reason:
        return f"Alignment index n/a ({index.na_reason})"
    change = view.alignment_change()
    trend = view.alignment_trend()
    delta = "—" if math.isnan(change["change"]) else f"{change['change']:+.1f}"
    points = " ".join("n/a" if math.isnan(v) else f"{v:.1f}" for v in trend["value"])
    span = f"{trend['quarter'].iloc[0]}–{trend['quarter'].iloc[-1]}" if len(trend) > 1 else ""
    line = f"Alignment index {index.value:.1f} / 100  Δ Q−1 {delta}"
    if span:
        line += f"  trend {span}: {points}"
    return line


def relative_target_text(row: dict) -> str:
    """A relative target in words: ``target +20.0% vs 2025Q3 (3.0%) = 3.6%``.

    ``row`` is a row of ``TeamQuarter.kpis()`` whose target_basis is relative; a baseline not
    in this data reads ``target +20.0% vs 2025Q3 (n/a: baseline not in this data)``.
    """
    kind = row["kind"]
    change = f"{row['target_change']:+.1%}"
    quarter = row["baseline_quarter"]
    if math.isnan(row["baseline"]):
        return f"target {change} vs {quarter} (n/a: baseline not in this data)"
    baseline = format_value(row["baseline"], kind)
    return f"target {change} vs {quarter} ({baseline}) = {format_value(row['target'], kind)}"


def kpis_text(view: TeamQuarter) -> str:
    """Aligned plain-text table for a terminal.

    One line per KPI: value, counts and 95 % interval of a rate, change vs Q−1 and Q−4
    (``*`` significant, p < 0.05), target and RAG status; then the alignment index with its
    change vs Q−1 and its 8-quarter trend, and the quarter's warnings.
    """
    lines = [f"{view.team_name} · {view.quarter} (as of {view.workbook.dataset.as_of:%Y-%m-%d})"]
    lines.append(
        f"  {'KPI':<36} {'value':>10}  {'counts, 95% CI':<34} {'Δ Q−1':>10} {'Δ Q−4':>10}"
        f"  {'target':>15}  status"
    )
    for row in view.kpis().to_dict("records"):
        kind = row["kind"]
        counts = ""
        if kind == "rate" and not math.isnan(row["denominator"]):
            counts = (
                f"{int(row['numerator'])}/{int(row['denominator'])}, 95% CI "
                f"{format_value(row['ci_low'], kind)}–{format_value(row['ci_high'], kind)}"
            )
            if row["small_sample"]:
                counts += ", small sample"
        target = format_value(row["target"], kind) if not math.isnan(row["target"]) else "—"
        previous = _change_text(row["change_previous"], kind, row["significant_previous"])
        year = _change_text(row["change_year"], kind, row["significant_year"])
        note = f"  ({row['note']})" if row.get("note") else ""
        if row.get("target_basis") not in (None, "", "absolute"):
            note += "  " + relative_target_text(row)
        lines.append(
            f"  {row['label']:<36} {format_value(row['value'], kind):>10}  {counts:<34}"
            f" {previous:>10} {year:>10}  {target:>15}  {row['rag']}{note}"
        )
    lines.append(f"  {alignment_text(view)}")
    lines.append("  * significant change (p < 0.05); — no earlier quarter or no value")
    lines += [f"  ! {warning}" for warning in view.period_warnings()]
    return "\n".join(lines)
