"""Small HTML pieces for reports: KPI tiles and formatted tables, every data string escaped."""

from __future__ import annotations

import html
import math

import pandas as pd

RAG_COLOURS = {"green": "#009E73", "amber": "#E69F00", "red": "#D55E00", "none": "#999999"}
_TILE_CSS = """
<style>
.aw-tiles{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0 16px}
.aw-tile{border:1px solid #ddd;border-left:8px solid var(--rag);border-radius:6px;
 padding:10px 14px;min-width:190px;font-family:sans-serif}
.aw-tile .aw-label{font-size:0.85em;color:#444}
.aw-tile .aw-value{font-size:1.6em;font-weight:600;margin:2px 0}
.aw-tile .aw-sub{font-size:0.8em;color:#555;line-height:1.4}
.aw-note{font-family:sans-serif;color:#555;font-style:italic}
</style>
"""


def format_value(value: float, kind: str) -> str:
    """A KPI value for display: ``42.0%`` for rates, ``12.5 h`` for hours, ``1,234`` for counts."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if kind == "rate":
        return f"{value:.1%}"
    if kind == "hours":
        return f"{value:,.1f} h"
    return f"{value:,.0f}"  # counts and amounts


def _format_change(change: float, kind: str, significant: bool, p_value: float) -> str:
    if change is None or math.isnan(change):
        return "n/a"
    if kind == "rate":
        text = f"{change * 100:+.1f} pp"
    elif kind == "hours":
        text = f"{change:+,.1f} h"
    else:
        text = f"{change:+,.0f}"
    if significant:
        text += f" (significant, p={p_value:.3f})"
    elif not math.isnan(p_value):
        text += " (not significant)"
    return text


def kpi_tiles(kpis: pd.DataFrame) -> str:
    """HTML tiles for the headline KPIs (rows of :meth:`TeamQuarter.kpis`).

    Each tile shows the value, its RAG colour against the target, the change against Q−1 and
    Q−4 with significance, the count pair and the small-sample flag.
    """
    tiles = []
    for row in kpis.to_dict("records"):
        kind = row["kind"]
        sub = [
            f"vs {label}: "
            + _format_change(row[f"change_{key}"], kind, row[f"significant_{key}"], row[f"p_{key}"])
            for key, label in (("previous", "Q−1"), ("year", "Q−4"))
        ]
        if not math.isnan(row["target"]):
            sub.append(f"target {format_value(row['target'], kind)} · {row['rag'].upper()}")
        else:
            sub.append("no target set")
        if kind == "rate" and not math.isnan(row["denominator"]):
            sub.append(
                f"{int(row['numerator']):,}/{int(row['denominator']):,}, 95% CI "
                f"{format_value(row['ci_low'], kind)}–{format_value(row['ci_high'], kind)}"
            )
        if row["small_sample"]:
            sub.append("⚠ small sample (n < 30)")
        colour = RAG_COLOURS.get(row["rag"], RAG_COLOURS["none"])
        tiles.append(
            f'<div class="aw-tile" style="--rag:{colour}">'
            f'<div class="aw-label">{html.escape(str(row["label"]))}</div>'
            f'<div class="aw-value">{html.escape(format_value(row["value"], kind))}</div>'
            f'<div class="aw-sub">{"<br>".join(html.escape(s) for s in sub)}</div></div>'
        )
    return _TILE_CSS + '<div class="aw-tiles">' + "".join(tiles) + "</div>"


def table_html(frame: pd.DataFrame, *, percent: tuple[str, ...] = (), decimals: int = 1) -> str:
    """A DataFrame as an escaped HTML table, with ``percent`` columns shown as percentages."""
    shown = frame.copy()
    for column in shown.columns:
        if column in percent:
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        elif pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:,.{decimals}f}")
    return shown.to_html(index=False, escape=True, border=0, classes="aw-table", na_rep="")


def note(text: str) -> str:
    """A one-line note (e.g. why a section is empty), escaped."""
    return f'{_TILE_CSS}<p class="aw-note">{html.escape(text)}</p>'


def heading(text: str, level: int = 1) -> str:
    """An escaped HTML heading (data-derived titles never go through Markdown)."""
    return f"<h{level}>{html.escape(text)}</h{level}>"


def conversion_table(strict: pd.DataFrame, any_stage: pd.DataFrame) -> str:
    """Cohort funnel table: reached (any-stage and strict) and strict conversion with interval.

    Parameters
    ----------
    strict, any_stage : DataFrame
        Outputs of :func:`helpers.metrics.funnel.cohort_funnel` with ``strict=True`` / ``False``.
    """
    rows = pd.DataFrame(
        {
            "stage": strict["label"],
            "reached (any stage)": any_stage["reached"],
            "reached (strict)": strict["reached"],
            "conversion from previous": [
                "" if pd.isna(r) else f"{r:.1%} ({n:,.0f}/{d:,})"
                for r, n, d in zip(
                    strict["next_rate"],
                    strict["next_numerator"],
                    strict["next_denominator"],
                    strict=True,
                )
            ],
            "95% interval": [
                "" if pd.isna(lo) else f"{lo:.1%}–{hi:.1%}"
                for lo, hi in zip(strict["next_ci_low"], strict["next_ci_high"], strict=True)
            ],
            "small sample": strict["next_small_sample"].map({True: "⚠", False: ""}),
            "cumulative": strict["cum_rate"].map(lambda v: "" if pd.isna(v) else f"{v:.1%}"),
        }
    )
    rows.iloc[0, 3:6] = ""
    return table_html(rows)
