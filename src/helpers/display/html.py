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
.aw-tile .aw-missing{font-size:1.1em;color:#666}
.aw-tile .aw-why{font-size:0.55em;font-weight:400;color:#444}
</style>
"""


_NOT_IN_DATA = "not in this data"


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
    Q−4 with significance, the count pair and the small-sample flag. A KPI the data set cannot
    measure (a ``note`` such as "not in this data: no first_touch events") shows "not in this
    data" as its value, never a number, and the reason instead of its changes (another
    missing value, e.g. 0 MQLs of 0, shows n/a). A value with a note (an amount built from
    part of its deals: "from 412 of 530 opportunities; 118 without an amount") shows the
    note below its changes.
    """
    tiles = []
    for row in kpis.to_dict("records"):
        kind = row["kind"]
        why = str(row.get("note") or "")
        missing = row["value"] is None or pd.isna(row["value"])
        shown = html.escape(format_value(row["value"], kind))
        if missing and why.startswith(_NOT_IN_DATA):
            # The reason as written after "not in this data: " (the section's own line is the
            # sentence that starts with a capital, once per report).
            shown = f'<span class="aw-missing">{html.escape(_NOT_IN_DATA)}</span>'
            sub = [why.removeprefix(_NOT_IN_DATA).removeprefix(":").strip()]
        elif why and missing:
            sub = [why]
        else:
            sub = [
                f"vs {label}: "
                + _format_change(
                    row[f"change_{key}"], kind, row[f"significant_{key}"], row[f"p_{key}"]
                )
                for key, label in (("previous", "Q−1"), ("year", "Q−4"))
            ]
            if why:
                sub.append(why)
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
            f'<div class="aw-value">{shown}</div>'
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


def bullet_list(items) -> str:
    """An escaped bulleted list (e.g. talking points)."""
    rows = "".join(f"<li>{html.escape(str(item))}</li>" for item in items)
    return f'<ul class="aw-points">{rows}</ul>'


def figure_text(value, kind: str, currency: str = "") -> str:
    """A figure for a summary table.

    Kinds: ``rate`` (42.0%), ``growth`` (+5.3%), ``amount`` (EUR 1,234), ``count`` (1,234),
    ``hours`` (12.5 h), ``days`` (41.8 days), ``rating`` (3.8 / 5), ``text`` (as is). A
    :class:`~helpers.metrics.stats.Rate` shows its value; NaN or None shows ``n/a``.
    """
    value = getattr(value, "value", value)
    if kind == "text":
        return "n/a" if value is None else str(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if kind == "growth":
        return f"{value:+.1%}"
    if kind == "amount":
        return f"{currency} {value:,.0f}".strip()
    if kind == "days":
        return f"{value:,.1f} days"
    if kind == "rating":
        return f"{value:.2f} / 5"
    return format_value(value, kind)


def figure_table(rows, currency: str = "") -> pd.DataFrame:
    """Named figures as a table of display strings: figure, value, detail.

    Parameters
    ----------
    rows : iterable of (str, value, str)
        Label, value (a number, a :class:`~helpers.metrics.stats.Rate`, None) and kind (see
        :func:`figure_text`). A rate's detail is its count pair and 95 % interval, with the
        small-sample flag.
    currency : str
        Written before amounts.

    Returns
    -------
    DataFrame
        Columns figure, value, detail (strings).
    """
    out = []
    for label, value, kind in rows:
        detail = ""
        if hasattr(value, "interval") and getattr(value, "denominator", 0):
            low, high = value.interval
            detail = f"{value.numerator:,}/{value.denominator:,}, 95% CI {low:.1%}–{high:.1%}"
            if value.small_sample:
                detail += " ⚠ small sample (n < 30)"
        out.append((str(label), figure_text(value, kind, currency), detail))
    return pd.DataFrame(out, columns=["figure", "value", "detail"])


def alignment_index_html(index) -> str:
    """The alignment index as a headline number with its components, weights and scores.

    Below its minimum of components the tile reads ``n/a — 1 of 5 components in this data;
    the index needs at least 3`` (``AlignmentIndex.na_reason``), in grey, not a number.

    Parameters
    ----------
    index : AlignmentIndex
        :meth:`TeamQuarter.alignment_index`.
    """
    value = "n/a" if math.isnan(index.value) else f"{index.value:.1f}"
    shown_value = f"{html.escape(value)} / 100"
    colour = "#0072B2"
    if index.na_reason:
        shown_value = f'n/a <span class="aw-why">— {html.escape(index.na_reason)}</span>'
        colour = RAG_COLOURS["none"]
    table = index.table.copy()
    shown = pd.DataFrame(
        {
            "component": table["label"],
            "actual": table["raw"],
            "target": table["target"],
            "score": table["score"],
            "weight": table["weight"],
            "points": table["contribution"],
        }
    )
    parts = [
        _TILE_CSS,
        f'<div class="aw-tiles"><div class="aw-tile" style="--rag:{colour}">'
        '<div class="aw-label">Alignment index</div>'
        f'<div class="aw-value">{shown_value}</div>'
        '<div class="aw-sub">weighted score of the shared KPIs</div></div></div>',
        table_html(shown, percent=("actual", "target", "score", "weight")),
    ]
    if index.missing:
        labels = dict(zip(table["component"], table["label"], strict=True))
        names = index.left_out(labels)
        after = (
            f"with fewer than {index.min_components} components no index is computed"
            if index.na_reason
            else "the other weights were renormalised"
        )
        parts.append(note(f"Left out (no data): {names}; {after}."))
    return "\n".join(parts)


def kpi_matrix(long: pd.DataFrame, *, row: str, rank: bool = False) -> pd.DataFrame:
    """Long-form KPIs as a table of display strings: one row per ``row`` value, one column per KPI.

    Parameters
    ----------
    long : DataFrame
        :func:`helpers.analysis.comparison.kpi_long` (``row``, label, kind, value; ``rank``
        if asked).
    row : str
        Column whose values become the rows (``team``, ``quarter``), in order of appearance.
    rank : bool
        Append each value's rank, ``(#2)``.

    Returns
    -------
    DataFrame
        Column ``row`` then one column per KPI label, in order of appearance.
    """
    labels = list(dict.fromkeys(long["label"]))
    keys = list(dict.fromkeys(long[row]))
    cells = {key: {} for key in keys}
    for record in long.to_dict("records"):
        text = format_value(record["value"], record["kind"])
        if rank and not pd.isna(record.get("rank")):
            text += f" (#{int(record['rank'])})"
        cells[record[row]][record["label"]] = text
    out = pd.DataFrame([{row: key, **cells[key]} for key in keys], columns=[row, *labels])
    return out.fillna("n/a")


def ranking_table(ranking: pd.DataFrame, long: pd.DataFrame, *, key: str = "team") -> str:
    """HTML of :func:`~helpers.analysis.comparison.team_ranking`: rank, team, mean rank, each KPI.

    Parameters
    ----------
    ranking : DataFrame
        :func:`helpers.analysis.comparison.team_ranking` (rank, ``key``, name, mean_rank).
    long : DataFrame
        The ranked long form it came from (:func:`helpers.analysis.comparison.compare_teams`).
    """
    cells = kpi_matrix(long, row=key, rank=True).set_index(key)
    head = pd.DataFrame(
        {
            "rank": ranking["rank"].map(lambda r: "" if pd.isna(r) else f"{int(r)}"),
            "team": ranking["name"],
            "mean rank": ranking["mean_rank"].map(lambda r: "n/a" if pd.isna(r) else f"{r:.2f}"),
        }
    )
    body = cells.reindex(ranking[key]).reset_index(drop=True)
    return table_html(pd.concat([head, body], axis=1))


def tracked_events_note(untracked) -> str | None:
    """One line naming the lifecycle events the data set never records (None when it has all).

    Parameters
    ----------
    untracked : iterable of str
        Canonical events absent from the whole of lead_events.
    """
    untracked = list(untracked)
    if not untracked:
        return None
    return note(
        f"Events not in this data: {', '.join(map(str, untracked))}; the funnels skip those "
        "stages and the sections that need them say so in one line."
    )


def optional_tables_note(missing) -> str:
    """One line naming the optional tables absent from the data (or saying none is)."""
    missing = list(missing)
    if not missing:
        return note("Every optional table is in this data; no section was skipped.")
    return note(
        f"Optional tables not in this data: {', '.join(map(str, missing))}; the sections "
        "that need them say so in one line."
    )
