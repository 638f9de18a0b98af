"""Small HTML pieces for reports: KPI tiles and formatted tables, every data string escaped.

One number format for every table and tile (:func:`format_value`, :func:`table_html`):

- amounts carry the currency's symbol (``€1,234,567``; :func:`currency_symbol` turns the
  configured code into a symbol, an unknown code is written before the number), and in
  tiles are abbreviated with K / M / B (``€1.2M``);
- counts are whole numbers with thousands separators (``1,234``), never ``1234.0``;
- rates and shares are percentages with one decimal (``42.0%``), never fractions;
- hours ``12.5 h``; a missing figure is ``n/a``.

Tables get human column names (:data:`COLUMN_LABELS`, else the name with spaces), a caption,
"top N of M shown" when cut, and a wrapper that scrolls sideways on a narrow screen instead
of the page.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence

import pandas as pd

from .rag import RAG_COLOURS, RAG_MARKS, RAG_WORDS

_TILE_CSS = """
<style>
.aw-tiles{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0 16px}
.aw-tile{border:1px solid #ddd;border-left:8px solid var(--rag);border-radius:6px;
 padding:10px 14px;min-width:190px;font-family:sans-serif;box-sizing:border-box}
.aw-tile .aw-label{font-size:0.85em;color:#444}
.aw-tile .aw-value{font-size:1.6em;font-weight:600;margin:2px 0}
.aw-tile .aw-sub{font-size:0.8em;color:#555;line-height:1.4}
.aw-note{font-family:sans-serif;color:#555;font-style:italic}
.aw-tile .aw-missing{font-size:1.1em;color:#666}
.aw-why{font-size:0.55em;font-weight:400;color:#444}
.aw-review-tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(205px,1fr));gap:8px;
 margin:4px 0 6px}
.aw-tile.aw-compact{min-width:0;padding:6px 10px;border-left-width:6px}
.aw-compact .aw-value{font-size:1.35em;margin:0}
.aw-compact .aw-sub,.aw-compact .aw-target{font-size:0.75em;color:#444;line-height:1.35}
.aw-compact .aw-label{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.aw-spark{display:block;margin-top:3px;max-width:100%}
.aw-rag,.aw-nw{white-space:nowrap}.aw-rag{font-weight:600}
.aw-rag-green{color:#00664a}.aw-rag-amber{color:#8a5a00}.aw-rag-red{color:#b34700}
.aw-page-one{font-family:sans-serif;max-width:1200px}
.aw-page-one h1{margin:0 0 2px;font-size:1.7em}
.aw-subtitle{margin:0 0 6px;color:#555}
.aw-warning{margin:2px 0;color:#8a5a00;font-weight:600}
.aw-top{display:grid;grid-template-columns:minmax(180px,240px) 1fr;gap:16px;align-items:start}
.aw-index{border:1px solid #ddd;border-left:8px solid #0072B2;border-radius:6px;padding:8px 12px}
.aw-index-na{border-left-color:#999}
.aw-index .aw-label{font-size:0.9em;color:#444}
.aw-index .aw-value{font-size:2.2em;font-weight:700;line-height:1.1}
.aw-index .aw-of{font-size:0.45em;font-weight:400;color:#555}
.aw-index .aw-sub{font-size:0.8em;color:#444}
h2.aw-h{font-size:1.1em;margin:8px 0 4px;padding:0;border:0}
.aw-agenda ol.aw-points{margin:0;padding-left:1.4em}
.aw-agenda ol.aw-points li{margin:0 0 3px;line-height:1.35}
.aw-more{margin:2px 0 0;font-size:0.85em}
.aw-key{font-size:0.75em;color:#555;margin:0 0 6px}
.aw-toc{font-size:0.9em;margin:4px 0}
.aw-toc ul{display:inline;margin:0;padding:0}
.aw-toc li{display:inline;margin:0 0 0 14px;white-space:nowrap}
@media (max-width:700px){.aw-top{grid-template-columns:1fr}
 .aw-review-tiles{grid-template-columns:repeat(auto-fill,minmax(160px,1fr))}}
</style>
"""


_NOT_IN_DATA = "not in this data"

CURRENCY_SYMBOLS = {
    "EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "KRW": "₩",
    "AUD": "A$", "CAD": "C$", "NZD": "NZ$", "BRL": "R$", "MXN": "MX$", "CHF": "CHF ",
    "SEK": "SEK ", "NOK": "NOK ", "DKK": "DKK ", "PLN": "PLN ", "ZAR": "R ",
}  # fmt: skip
"""Symbols of the common ISO 4217 codes; another code is written before the number."""

COLUMN_LABELS = {
    "mqls": "MQLs", "mql": "MQL", "sql": "SQL", "sqls": "SQLs", "roi": "ROI", "cac": "CAC",
    "cost_per_mql": "Cost per MQL", "cost_per_lead": "Cost per lead", "ci_low": "95% CI low",
    "ci_high": "95% CI high", "source_type": "Source", "age_band": "Waiting (business hours)",
    "median_days": "Median days", "mean_rating": "Mean rating", "cumulative_share":
    "Cumulative share", "won_revenue": "Won revenue", "pipeline_created": "Pipeline created",
    "mql_sqls": "MQLs that became SQL", "first_touch": "First touch", "label": "Measure",
    "rows_read": "Rows read", "first": "First date", "last": "Last date",
    "missing_amount": "Without an amount",
    "auc": "AUC", "auc_ci_low": "AUC 95% CI low", "auc_ci_high": "AUC 95% CI high",
    "top_decile_lift": "Top-decile lift", "brier": "Brier score", "sd": "SD",
    "auc_drop": "AUC drop when shuffled",
}  # fmt: skip
"""Human names of snake_case columns that need more than spaces and a capital."""

_AMOUNT_WORDS = ("amount", "spend", "revenue", "cost", "cac", "pipeline", "mrr", "bookings")
_PERCENT_WORDS = ("share", "rate", "roi", "conversion", "coverage", "retention")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def currency_symbol(code: str) -> str:
    """The symbol written before amounts: ``€`` for ``EUR``, ``SEK `` for an unlisted code.

    Examples
    --------
    >>> currency_symbol("EUR"), currency_symbol("usd"), currency_symbol("XYZ")
    ('€', '$', 'XYZ ')
    """
    code = str(code or "").strip()
    if not code:
        return ""
    return CURRENCY_SYMBOLS.get(code.upper(), f"{code} ")


def abbreviate(value: float) -> str:
    """A number in K / M / B with three significant digits: ``1.23M``, ``845K``, ``950``.

    Examples
    --------
    >>> abbreviate(1_234_567), abbreviate(845_300), abbreviate(12_345), abbreviate(950)
    ('1.23M', '845K', '12.3K', '950')
    """
    size = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if size >= limit:
            scaled = value / limit
            digits = 2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0
            return f"{scaled:.{digits}f}{suffix}"
    return f"{value:,.0f}"


def money(value: float, currency: str = "", *, short: bool = False) -> str:
    """An amount with the currency's symbol: ``€1,234,567``, or ``€1.23M`` when ``short``.

    ``short`` abbreviates from 10,000 on (``€9,500`` stays as it is).

    Examples
    --------
    >>> money(1234567.8, "EUR"), money(-15000, "USD", short=True), money(9500, "EUR", short=True)
    ('€1,234,568', '−$15.0K', '€9,500')
    """
    if _missing(value):
        return "n/a"
    number = abbreviate(abs(value)) if short and abs(value) >= 10_000 else f"{abs(value):,.0f}"
    return f"{'−' if value < 0 else ''}{currency_symbol(currency)}{number}"


def format_value(value: float, kind: str, currency: str = "", *, short: bool = False) -> str:
    """A KPI value for display: ``42.0%``, ``12.5 h``, ``1,234``, ``€1,234`` (``€1.23K`` short).

    Parameters
    ----------
    value : float
        The figure; None or NaN shows ``n/a``.
    kind : str
        ``rate``, ``hours``, ``amount`` or ``count``.
    currency : str
        Currency code of amounts (see :func:`currency_symbol`).
    short : bool
        Abbreviate amounts and counts of 10,000 and more with K / M / B (tiles).
    """
    if _missing(value):
        return "n/a"
    if kind == "rate":
        return f"{value:.1%}"
    if kind == "hours":
        return f"{value:,.1f} h"
    if kind == "amount":
        return money(value, currency, short=short)
    if short and abs(value) >= 10_000:
        return abbreviate(value)
    return f"{value:,.0f}"  # counts


def _format_change(
    change: float, kind: str, significant: bool, p_value: float, currency: str = ""
) -> str:
    if change is None or math.isnan(change):
        return "n/a"
    if kind == "rate":
        text = f"{change * 100:+.1f} pp"
    elif kind == "hours":
        text = f"{change:+,.1f} h"
    elif kind == "amount":
        text = ("+" if change >= 0 else "") + money(change, currency, short=True)
    else:
        text = f"{change:+,.0f}"
    if significant:
        text += f" (significant, p={p_value:.3f})"
    elif not math.isnan(p_value):
        text += " (not significant)"
    return text


def format_change(change: float, kind: str, currency: str = "") -> str:
    """A KPI's change without its test: ``+3.2 pp`` for rates, ``−1.5 h``, ``+€1.2K``; ``n/a``."""
    return _format_change(change, kind, False, math.nan, currency)


def kpi_tiles(kpis: pd.DataFrame, currency: str = "") -> str:
    """HTML tiles for the headline KPIs (rows of :meth:`TeamQuarter.kpis`).

    Each tile shows the value, its RAG colour against the target, the change against Q−1 and
    Q−4 with significance, the count pair and the small-sample flag. A KPI the data set cannot
    measure (a ``note`` such as "not in this data: no first_touch events") shows "not in this
    data" as its value, never a number, and the reason instead of its changes (another
    missing value, e.g. 0 MQLs of 0, shows n/a). A value with a note (an amount built from
    part of its deals: "from 412 of 530 opportunities; 118 without an amount") shows the
    note below its changes. Amounts carry the symbol of ``currency``.
    """
    tiles = []
    for row in kpis.to_dict("records"):
        kind = row["kind"]
        why = str(row.get("note") or "")
        missing = row["value"] is None or pd.isna(row["value"])
        shown = html.escape(format_value(row["value"], kind, currency))
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
                    row[f"change_{key}"],
                    kind,
                    row[f"significant_{key}"],
                    row[f"p_{key}"],
                    currency,
                )
                for key, label in (("previous", "Q−1"), ("year", "Q−4"))
            ]
            if why:
                sub.append(why)
        if not math.isnan(row["target"]):
            sub.append(
                f"target {format_value(row['target'], kind, currency)} · {row['rag'].upper()}"
            )
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


def column_label(name: object) -> str:
    """A column's human name: :data:`COLUMN_LABELS`, else ``snake_case`` → ``Snake case``.

    Examples
    --------
    >>> column_label("source_type"), column_label("mqls"), column_label("reached (strict)")
    ('Source', 'MQLs', 'Reached (strict)')
    """
    text = str(name)
    if text in COLUMN_LABELS:
        return COLUMN_LABELS[text]
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _is_percent(name: str) -> bool:
    words = str(name).lower().replace("_", " ").split()
    return any(word in _PERCENT_WORDS for word in words)


def _is_amount(name: str) -> bool:
    text = str(name).lower()
    # "missing_amount" counts the deals without an amount: a count, not money.
    return "missing" not in text and any(word in text for word in _AMOUNT_WORDS)


def _whole(series: pd.Series) -> bool:
    values = pd.to_numeric(series, errors="coerce").dropna()
    return bool(len(values)) and bool((values == values.round()).all())


_NUMBER_LIKE = re.compile(r"^\s*[(]?[−+-]?\s?(?:[€$£¥₹₩]|[A-Z]{1,3}\$|CHF )?\d")


def _is_text(series: pd.Series) -> bool:
    """Whether a column holds words (names, formulas, statuses) rather than figures."""
    if pd.api.types.is_numeric_dtype(series):
        return False
    values = [str(v) for v in series.dropna() if str(v).strip()]
    return bool(values) and not all(_NUMBER_LIKE.match(v) for v in values)


def table_html(
    frame: pd.DataFrame,
    *,
    percent: tuple[str, ...] = (),
    decimals: int = 1,
    caption: str | None = None,
    currency: str = "",
    total: int | None = None,
    amounts: tuple[str, ...] = (),
) -> str:
    """A DataFrame as an escaped, captioned HTML table in the one number format.

    Columns are renamed with :func:`column_label`. Number columns: ``percent`` columns, and
    those whose name holds a word such as share, rate, ROI or conversion, as percentages;
    with ``currency`` given, those whose name holds amount, spend, revenue, cost, CAC or
    pipeline as money (``€1,234``); whole numbers as counts (``1,234``); other numbers with
    ``decimals`` decimals. Missing values are empty cells.

    Parameters
    ----------
    frame : DataFrame
        The table (its index is not shown).
    percent : tuple of str
        More columns to show as percentages.
    decimals : int
        Decimals of numbers that are neither counts, amounts nor percentages.
    caption : str, optional
        What the table shows (escaped); ``total`` adds "top N of M shown".
    currency : str
        Currency code of the amount columns.
    total : int, optional
        Rows of the whole table when ``frame`` holds only its first rows.
    amounts : tuple of str
        More columns to show as money (e.g. attribution models named ``linear``).

    Returns
    -------
    str
        ``<div class="aw-table-wrap"><table class="aw-table">…</table></div>``: the wrapper
        scrolls sideways on a narrow screen so the page does not. A column of words (not
        every value starts like a number) gets class ``aw-left-N`` on the table, N its
        position, so it reads left-aligned while figures stay right-aligned.
    """
    shown = frame.copy()
    for column in shown.columns:
        values = shown[column]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            continue
        if column in percent or _is_percent(column):
            shown[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        elif currency and (column in amounts or _is_amount(column)):
            shown[column] = values.map(lambda v: "" if pd.isna(v) else money(v, currency))
        elif _whole(values) or pd.api.types.is_integer_dtype(values):
            shown[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
        else:
            shown[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:,.{decimals}f}")
    shown.columns = [column_label(c) for c in shown.columns]
    # Columns of words read left-aligned, figures right-aligned (report.css: aw-left-N).
    left = [f"aw-left-{i}" for i, c in enumerate(frame.columns, 1) if _is_text(frame[c])]
    table = shown.to_html(
        index=False, escape=True, border=0, classes=["aw-table", *left], na_rep=""
    )
    text = caption or ""
    if total is not None and total > len(frame):
        text = f"{text} (top {len(frame):,} of {total:,} shown)".strip()
    if text:
        opening, _, rest = table.partition(">")
        table = f"{opening}><caption>{html.escape(text)}</caption>{rest}"
    return '<div class="aw-table-wrap">' + table + "</div>"


def paragraph(text: str) -> str:
    """A paragraph of explanation (escaped)."""
    return f'<p class="aw-text">{html.escape(text)}</p>'


def note(text: str) -> str:
    """A one-line note (e.g. why a section is empty), escaped."""
    return f'{_TILE_CSS}<p class="aw-note">{html.escape(text)}</p>'


def heading(text: str, level: int = 1) -> str:
    """An escaped HTML heading (data-derived titles never go through Markdown)."""
    return f"<h{level}>{html.escape(text)}</h{level}>"


def conversion_table(
    strict: pd.DataFrame, any_stage: pd.DataFrame, *, caption: str | None = None
) -> str:
    """Cohort funnel table: reached (any-stage and strict) and strict conversion with interval.

    Parameters
    ----------
    strict, any_stage : DataFrame
        Outputs of :func:`helpers.metrics.funnel.cohort_funnel` with ``strict=True`` / ``False``.
    caption : str, optional
        What the table shows.
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
    return table_html(rows, caption=caption)


def bullet_list(items) -> str:
    """An escaped bulleted list (e.g. talking points)."""
    rows = "".join(f"<li>{html.escape(str(item))}</li>" for item in items)
    return f'<ul class="aw-points">{rows}</ul>'


def figure_text(value, kind: str, currency: str = "") -> str:
    """A figure for a summary table.

    Kinds: ``rate`` (42.0%), ``growth`` (+5.3%), ``amount`` (€1,234), ``count`` (1,234),
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
        return money(value, currency)
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


def alignment_index_html(index, *, caption: str | None = None) -> str:
    """The alignment index as a headline number with its components, weights and scores.

    Below its minimum of components the tile reads ``n/a — 1 of 5 components in this data;
    the index needs at least 3`` (``AlignmentIndex.na_reason``), in grey, not a number.

    Parameters
    ----------
    index : AlignmentIndex
        :meth:`TeamQuarter.alignment_index`.
    caption : str, optional
        Caption of the component table.
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
        table_html(
            shown,
            percent=("actual", "target", "score", "weight"),
            caption=caption or "Alignment index by component",
        ),
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


def kpi_matrix(
    long: pd.DataFrame, *, row: str, rank: bool = False, currency: str = ""
) -> pd.DataFrame:
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
    currency : str
        Currency code of amounts.

    Returns
    -------
    DataFrame
        Column ``row`` then one column per KPI label, in order of appearance.
    """
    labels = list(dict.fromkeys(long["label"]))
    keys = list(dict.fromkeys(long[row]))
    cells = {key: {} for key in keys}
    for record in long.to_dict("records"):
        text = format_value(record["value"], record["kind"], currency)
        if rank and not pd.isna(record.get("rank")):
            text += f" (#{int(record['rank'])})"
        cells[record[row]][record["label"]] = text
    out = pd.DataFrame([{row: key, **cells[key]} for key in keys], columns=[row, *labels])
    return out.fillna("n/a")


def ranking_table(
    ranking: pd.DataFrame,
    long: pd.DataFrame,
    *,
    key: str = "team",
    currency: str = "",
    caption: str | None = None,
) -> str:
    """HTML of :func:`~helpers.analysis.comparison.team_ranking`: rank, team, mean rank, each KPI.

    Parameters
    ----------
    ranking : DataFrame
        :func:`helpers.analysis.comparison.team_ranking` (rank, ``key``, name, mean_rank).
    long : DataFrame
        The ranked long form it came from (:func:`helpers.analysis.comparison.compare_teams`).
    currency : str
        Currency code of amounts.
    caption : str, optional
        What the table shows.
    """
    cells = kpi_matrix(long, row=key, rank=True, currency=currency).set_index(key)
    head = pd.DataFrame(
        {
            "rank": ranking["rank"].map(lambda r: "" if pd.isna(r) else f"{int(r)}"),
            "team": ranking["name"],
            "mean rank": ranking["mean_rank"].map(lambda r: "n/a" if pd.isna(r) else f"{r:.2f}"),
        }
    )
    body = cells.reindex(ranking[key]).reset_index(drop=True)
    return table_html(pd.concat([head, body], axis=1), caption=caption)


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


# --- Page one: the review ----------------------------------------------------------------


def sparkline(
    values: Sequence[float],
    *,
    target: float = math.nan,
    width: int = 120,
    height: int = 28,
    title: str = "",
) -> str:
    """An inline SVG line of ``values`` (oldest first), with a dashed ``target`` line.

    Missing values break the line; the last value is a dot. No script, no external file.

    Parameters
    ----------
    values : sequence of float
        The figures over time; NaN or None where missing.
    target : float
        Drawn as a dashed horizontal line and kept inside the scale; NaN draws none.
    width, height : int
        Size in CSS pixels.
    title : str
        Tooltip and accessible name (escaped).

    Returns
    -------
    str
        ``<svg class="aw-spark">…</svg>``, or an empty string with fewer than two values.
    """
    points = [None if _missing(v) else float(v) for v in values]
    known = [v for v in points if v is not None]
    if len(known) < 2:
        return ""
    scale = known + ([] if _missing(target) else [float(target)])
    low, high = min(scale), max(scale)
    span = (high - low) or 1.0
    pad = 3
    step = (width - 2 * pad) / (len(points) - 1)

    def y(v: float) -> float:
        return round(height - pad - (v - low) / span * (height - 2 * pad), 1)

    runs, run = [], []
    for i, v in enumerate(points):
        if v is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(f"{round(pad + i * step, 1)},{y(v)}")
    if run:
        runs.append(run)
    lines = "".join(
        f'<polyline points="{" ".join(r)}" fill="none" stroke="#0072B2" stroke-width="1.6"/>'
        for r in runs
        if len(r) > 1
    )
    last = max(i for i, v in enumerate(points) if v is not None)
    dot = (
        f'<circle cx="{round(pad + last * step, 1)}" cy="{y(points[last])}" r="2.4" '
        'fill="#0072B2"/>'
    )
    goal = ""
    if not _missing(target):
        goal = (
            f'<line x1="0" x2="{width}" y1="{y(float(target))}" y2="{y(float(target))}" '
            'stroke="#555" stroke-width="1" stroke-dasharray="3,2"/>'
        )
    return (
        f'<svg class="aw-spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="none" role="img" aria-label="{html.escape(title)}">'
        f"<title>{html.escape(title)}</title>"
        f"{goal}{lines}{dot}</svg>"
    )


def _spark_title(label: str, quarters: Sequence[str], values: Sequence[float], kind: str) -> str:
    shown = ", ".join(
        f"{q} {format_value(v, kind, short=True)}" for q, v in zip(quarters, values, strict=True)
    )
    return f"{label}: {shown}"


def review_tiles(
    kpis: pd.DataFrame,
    trend: pd.DataFrame | None = None,
    *,
    currency: str = "",
    previous: str = "Q−1",
    year: str = "Q−4",
) -> str:
    """Compact KPI tiles for page one: value, change, target and RAG, and an 8-quarter sparkline.

    Parameters
    ----------
    kpis : DataFrame
        :meth:`TeamQuarter.kpis` (metric, label, kind, value, change_previous,
        significant_previous, change_year, significant_year, target, rag, note; a relative
        target's target_basis, target_change and baseline_quarter, said beside the target).
    trend : DataFrame, optional
        :func:`helpers.analysis.comparison.kpi_trend` (quarter, metric, value), oldest first.
    currency : str
        Currency code; amounts and large counts are abbreviated (``€1.23M``, ``12.3K``).
    previous, year : str
        Names of the comparison quarters (``2026Q2``, ``2025Q3``).

    Returns
    -------
    str
        A grid of tiles; a change marked ``*`` is significant at the 5 % level.
    """
    series: dict[str, tuple[list[str], list[float]]] = {}
    if trend is not None and len(trend):
        for metric, rows in trend.groupby("metric", sort=False):
            series[str(metric)] = (list(rows["quarter"].astype(str)), list(rows["value"]))
    tiles = []
    for row in kpis.to_dict("records"):
        kind = row["kind"]
        why = str(row.get("note") or "")
        missing = _missing(row["value"])
        value = format_value(row["value"], kind, currency, short=True)
        if missing and why.startswith(_NOT_IN_DATA):
            value = _NOT_IN_DATA
            changes = html.escape(why.removeprefix(_NOT_IN_DATA).removeprefix(":").strip())
        else:
            parts = []
            for key, name in (("previous", previous), ("year", year)):
                change = _format_change(row[f"change_{key}"], kind, False, math.nan, currency)
                mark = "*" if row.get(f"significant_{key}") is True else ""
                parts.append(f'<span class="aw-nw">{html.escape(f"{name} {change}{mark}")}</span>')
            changes = "vs " + " · ".join(parts)
            if why:  # an amount built from part of its deals says which part
                changes += f'<br><span class="aw-partial">⚠ {html.escape(why)}</span>'
        rag = row["rag"] if row["rag"] in RAG_COLOURS else "none"
        target = "no target set"
        if not _missing(row["target"]):
            target = f"target {format_value(row['target'], kind, currency, short=True)}"
            if str(row.get("target_basis") or "absolute") != "absolute":  # e.g. (+20% vs 2025Q3)
                target += f" ({row['target_change']:+.0%} vs {row['baseline_quarter']})"
        quarters, values = series.get(str(row["metric"]), ([], []))
        spark = sparkline(
            values,
            target=row["target"],
            title=_spark_title(str(row["label"]), quarters, values, kind),
        )
        badge = (
            f'<span class="aw-rag aw-rag-{rag}">{RAG_MARKS[rag]} {RAG_WORDS[rag]}</span>'
            if rag != "none"
            else ""
        )
        tiles.append(
            f'<div class="aw-tile aw-compact" style="--rag:{RAG_COLOURS[rag]}">'
            f'<div class="aw-label">{html.escape(str(row["label"]))}</div>'
            f'<div class="aw-value">{html.escape(value)}</div>'
            f'<div class="aw-sub">{changes}</div>'
            f'<div class="aw-target">{html.escape(target)} {badge}</div>'
            f"{spark}</div>"
        )
    return '<div class="aw-tiles aw-review-tiles">' + "".join(tiles) + "</div>"


def index_headline(index, trend: pd.DataFrame | None = None, *, previous: str = "Q−1") -> str:
    """The alignment index for page one: value, change vs the previous quarter, sparkline.

    Parameters
    ----------
    index : AlignmentIndex
        :meth:`TeamQuarter.alignment_index`.
    trend : DataFrame, optional
        :func:`helpers.analysis.comparison.alignment_trend` (quarter, value), oldest first;
        its second last row is the previous quarter.
    previous : str
        Name of the previous quarter.
    """
    if index.na_reason or _missing(index.value):
        reason = index.na_reason or "not in this data"
        return (
            '<div class="aw-index aw-index-na"><div class="aw-label">Alignment index</div>'
            f'<div class="aw-value">n/a <span class="aw-why">— {html.escape(reason)}</span>'
            "</div></div>"
        )
    change_text, spark = "", ""
    if trend is not None and len(trend) >= 2:
        before = trend["value"].iloc[-2]
        if not _missing(before):
            change = float(index.value) - float(before)
            arrow = "▲" if change > 0 else "▼" if change < 0 else "="
            change_text = f"{arrow} {change:+.1f} points vs {previous} ({float(before):.1f})"
        else:
            change_text = f"no index for {previous}"
        quarters = list(trend["quarter"].astype(str))
        spark = sparkline(
            list(trend["value"]),
            width=160,
            height=34,
            title="Alignment index: "
            + ", ".join(
                f"{q} {'n/a' if _missing(v) else f'{v:.1f}'}"
                for q, v in zip(quarters, trend["value"], strict=True)
            ),
        )
        change_text += f" · {quarters[0]}–{quarters[-1]}"
    return (
        '<div class="aw-index"><div class="aw-label">Alignment index</div>'
        f'<div class="aw-value">{float(index.value):.1f}<span class="aw-of"> / 100</span></div>'
        f'<div class="aw-sub">{html.escape(change_text)}</div>{spark}</div>'
    )


def numbered_list(items: Iterable[str], *, start: int = 1) -> str:
    """An escaped numbered list (ranked talking points), numbered from ``start``."""
    rows = "".join(f"<li>{html.escape(str(item))}</li>" for item in items)
    return f'<ol class="aw-points" start="{int(start)}">{rows}</ol>'


def contents(sections: Iterable[tuple[str, str]]) -> str:
    """A table of contents: links to the sections' ids (plain HTML, no script).

    Parameters
    ----------
    sections : iterable of (str, str)
        Section id (the anchor) and title.
    """
    links = "".join(
        f'<li><a href="#{html.escape(str(anchor))}">{html.escape(str(title))}</a></li>'
        for anchor, title in sections
    )
    return f'<nav class="aw-toc" aria-label="Contents"><b>Contents</b><ul>{links}</ul></nav>'


def review_page(
    *,
    title: str,
    subtitle: str,
    index_html: str,
    tiles_html: str,
    points: Sequence[str],
    more_points: int = 0,
    sections: Iterable[tuple[str, str]] = (),
    notes: Sequence[str] = (),
    points_anchor: str = "talking-points",
    standing: str = "",
) -> str:
    """Page one of a report: title, alignment index, KPI tiles, ranked talking points, contents.

    Parameters
    ----------
    title, subtitle : str
        Heading (team and quarter) and one line under it (period, as-of date, currency).
    index_html, tiles_html : str
        :func:`index_headline` and :func:`review_tiles`.
    points : sequence of str
        The talking points shown, best first.
    more_points : int
        How many more follow in the talking-points section (linked by ``points_anchor``).
    sections : iterable of (str, str)
        The table of contents (see :func:`contents`).
    notes : sequence of str
        Warnings shown under the subtitle (an unfinished quarter, a table that stops early).
    standing : str
        A team's place among the teams (one line under the subtitle).
    """
    more = ""
    if more_points:
        more = (
            f'<p class="aw-more"><a href="#{html.escape(points_anchor)}">{more_points} more '
            "talking point" + ("s" if more_points != 1 else "") + "</a> below.</p>"
        )
    listed = (
        numbered_list(points)
        if points
        else '<p class="aw-note">No rule fired this quarter: nothing stands out.</p>'
    )
    warnings = "".join(f'<p class="aw-warning">{html.escape(n)}</p>' for n in notes)
    if standing:
        warnings += f'<p class="aw-subtitle">{html.escape(standing)}</p>'
    return (
        f'{_TILE_CSS}<section class="aw-page-one">'
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="aw-subtitle">{html.escape(subtitle)}</p>{warnings}'
        f'<div class="aw-top">{index_html}'
        f'<div class="aw-agenda"><h2 class="aw-h">Talking points for the review</h2>'
        f"{listed}{more}</div></div>"
        f'<h2 class="aw-h">Shared KPIs</h2>{tiles_html}'
        '<p class="aw-key">Changes vs the previous quarter and the same quarter last year; '
        "* significant at the 5 % level. Lines: the last 8 quarters, dashed: this quarter's "
        "target. ● on target, ▲ near target, ■ off target.</p>"
        f"{contents(sections)}</section>"
    )


def _target_text(row: dict, currency: str = "") -> str:
    """A KPI's target; a relative one with its change and baseline: ``4.8% (+20% vs 2025Q3: 4.0%)``.

    ``row`` is a row of :meth:`TeamQuarter.kpis`; empty without a target. A relative target
    whose baseline is not in the data has no target (empty).
    """
    kind = row["kind"]
    if _missing(row["target"]):
        return ""
    text = format_value(row["target"], kind, currency)
    if str(row.get("target_basis") or "absolute") != "absolute":
        change = f"{row['target_change']:+.0%}"
        baseline = format_value(row["baseline"], kind, currency)
        text += f" ({change} vs {row['baseline_quarter']}: {baseline})"
    elif str(row.get("target_origin") or "").startswith("rolled up"):
        text += f" ({row['target_origin']})"
    return text


def kpi_detail_table(kpis: pd.DataFrame, *, currency: str = "", caption: str | None = None) -> str:
    """Every headline KPI in one table: value, counts and interval, changes, target, status.

    Parameters
    ----------
    kpis : DataFrame
        :meth:`TeamQuarter.kpis`.
    currency : str
        Currency code of amounts.
    caption : str, optional
        What the table shows.
    """
    rows = []
    for row in kpis.to_dict("records"):
        kind = row["kind"]
        why = str(row.get("note") or "")
        counts = ""
        if kind == "rate" and not _missing(row["denominator"]):
            counts = (
                f"{int(row['numerator']):,} of {int(row['denominator']):,}; "
                f"{format_value(row['ci_low'], kind)}–{format_value(row['ci_high'], kind)}"
            )
            if row["small_sample"]:
                counts += " ⚠ small sample"
        changes = {}
        for key in ("previous", "year"):
            text = _format_change(
                row[f"change_{key}"], kind, row[f"significant_{key}"], row[f"p_{key}"], currency
            )
            changes[key] = text.replace(" (not significant)", "").replace("significant, ", "")
        rag = row["rag"] if row["rag"] in RAG_WORDS else "none"
        rows.append(
            {
                "KPI": row["label"],
                "Value": (
                    _NOT_IN_DATA
                    if _missing(row["value"]) and why
                    else format_value(row["value"], kind, currency)
                ),
                "Count and 95% interval": counts,
                "Change vs Q−1": changes["previous"],
                "Change vs Q−4": changes["year"],
                "Target": _target_text(row, currency),
                "Attainment": "" if _missing(row.get("attainment")) else f"{row['attainment']:.0%}",
                "Status": f"{RAG_MARKS[rag]} {RAG_WORDS[rag]}".strip(),
                "Note": why,
            }
        )
    frame = pd.DataFrame(rows)
    if not frame["Note"].astype(bool).any():
        frame = frame.drop(columns="Note")
    return table_html(frame, caption=caption)
