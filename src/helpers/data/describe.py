"""Plain-text summary of a validated data directory (what ``workbook validate`` prints)."""

from __future__ import annotations

from ..errors import ParameterError
from .dataset import Dataset
from .schema import TABLES


def dataset_summary(dataset: Dataset) -> str:
    """Rows per table, date span, teams, quarters, and any flagged anomalies.

    Returns
    -------
    str
        Several lines of text, ready to print.
    """
    quarters = dataset.quarters
    lines = [f"{dataset.directory}: valid", "", "rows per table:"]
    for name in TABLES:
        if dataset.has(name):
            lines.append(f"  {name:<14} {len(dataset[name]):>10,}  ({dataset.files[name]})")
        else:
            lines.append(
                f"  {name:<14} {'—':>10}  (not supplied; sections that need it are skipped)"
            )
    spans = dataset.table_spans()
    latest = str(quarters[-1])
    cut = set(dataset.tables_ending_before(quarters[-1])["table"])
    lines += ["", "dates per table:"]
    for row in spans.itertuples():
        flag = (
            "  (stops early: figures of later quarters are incomplete)" if row.table in cut else ""
        )
        lines.append(f"  {row.table:<14} {row.first:%Y-%m-%d} to {row.last:%Y-%m-%d}{flag}")
    lines += [
        "",
        f"as of:          {dataset.as_of:%Y-%m-%d} ("
        + ("as_of in workbook.toml" if dataset.config.as_of else "the day after the latest date")
        + ")",
        f"teams ({len(dataset.teams)}):      {', '.join(dataset.teams)}",
        f"quarters ({len(quarters)}):  {quarters[0]} to {quarters[-1]}"
        f" (latest complete: {_latest(dataset)}"
        + ("" if dataset.is_complete(quarters[-1]) else f"; {latest} is not complete")
        + ")",
    ]
    warnings = [p for p in dataset.anomalies if p.severity == "warning"]
    if warnings:
        lines += ["", f"flagged anomalies ({len(warnings)}):", *(f"  - {p}" for p in warnings)]
    return "\n".join(lines)


def _latest(dataset: Dataset) -> str:
    try:
        return str(dataset.latest_complete_quarter)
    except ParameterError:  # no complete quarter yet: say so instead of failing the summary
        return "none"
