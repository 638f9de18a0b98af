"""Seaborn chart helpers shaped like seaborn's own: ``f(data, *, ..., ax=None) -> Axes``.

Colours come from seaborn's colour-blind-safe palette; no helper calls ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

PALETTE = sns.color_palette("colorblind")
STATUS_COLOURS = {
    "in SLA": PALETTE[2],
    "late": PALETTE[1],
    "untouched, overdue": PALETTE[3],
    "untouched, within SLA": PALETTE[7],
}


def use_report_style() -> None:
    """Seaborn theme used by every report chart (white grid, readable font sizes)."""
    sns.set_theme(style="whitegrid", palette="colorblind", context="notebook")
    plt.rcParams.update({"figure.dpi": 96, "savefig.bbox": "tight"})


def funnel_bars(
    data: pd.DataFrame, *, x: str = "volume", y: str = "label", ax: Axes | None = None, **kwargs
) -> Axes:
    """Horizontal funnel: one bar per stage with its volume and the drop from the stage above.

    Parameters
    ----------
    data : DataFrame
        One row per stage in funnel order (e.g. :func:`helpers.metrics.funnel.period_funnel`).
    x, y : str
        Columns holding the volume and the stage label.
    ax : Axes, optional
        Axes to draw on; ``plt.gca()`` by default.
    """
    ax = ax if ax is not None else plt.gca()
    sns.barplot(data=data, x=x, y=y, color=PALETTE[0], ax=ax, **kwargs)
    top = float(data[x].max()) if len(data) else 0.0
    previous = data[x].shift(1)
    for i, (value, before) in enumerate(zip(data[x], previous, strict=True)):
        note = f"{int(value):,}"
        if pd.notna(before) and before > 0:
            note += f"  ({value / before:.0%} of above)"
        ax.text(value + top * 0.01, i, note, va="center", fontsize=9)
    ax.set_xlim(0, top * 1.35 if top else 1)
    ax.set(xlabel="Leads / opportunities", ylabel="")
    return ax


def rate_intervals(
    data: pd.DataFrame,
    *,
    x: str = "rate",
    y: str = "label",
    low: str = "ci_low",
    high: str = "ci_high",
    ax: Axes | None = None,
    **kwargs,
) -> Axes:
    """Point estimate of each rate with its 95 % interval as a horizontal error bar."""
    ax = ax if ax is not None else plt.gca()
    shown = data.dropna(subset=[x])
    positions = np.arange(len(shown))
    errors = np.vstack([shown[x] - shown[low], shown[high] - shown[x]]).clip(min=0)
    errors = np.nan_to_num(errors)
    ax.errorbar(shown[x], positions, xerr=errors, fmt="o", color=PALETTE[0], capsize=4, **kwargs)
    ax.set_yticks(positions, shown[y])
    ax.invert_yaxis()
    ax.set_xlim(0, max(1.0, float(shown[high].max()) if len(shown) else 1.0))
    ax.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    ax.set(xlabel="Conversion (95 % Wilson interval)", ylabel="")
    return ax


def response_histogram(
    data: pd.DataFrame, *, x: str = "response_hours", sla: float, ax: Axes | None = None, **kwargs
) -> Axes:
    """Distribution of speed to lead (business hours) with the SLA as a vertical line."""
    ax = ax if ax is not None else plt.gca()
    values = data[x].dropna()
    if len(values):
        upper = max(float(values.quantile(0.98)), sla * 1.5)
        sns.histplot(values.clip(upper=upper), bins=30, color=PALETTE[0], ax=ax, **kwargs)
    ax.axvline(sla, color=PALETTE[3], linestyle="--", linewidth=2, label=f"SLA {sla:g} h")
    ax.legend(loc="upper right")
    ax.set(xlabel="Business hours from MQL to first touch", ylabel="MQLs")
    return ax


def rate_trend(
    data: pd.DataFrame,
    *,
    x: str = "quarter",
    y: str = "value",
    hue: str = "label",
    ax: Axes | None = None,
    **kwargs,
) -> Axes:
    """Rates over quarters, one line per KPI, with the 95 % interval as a shaded band.

    A quarter without a value (an empty quarter: 0 of 0) breaks the line instead of being
    bridged, so the chart never suggests a rate where there was none.
    """
    ax = ax if ax is not None else plt.gca()
    for colour, (label, group) in zip(PALETTE, data.groupby(hue, sort=False), strict=False):
        values = group[y].astype("float64")
        ax.plot(group[x], values, marker="o", color=colour, label=label, **kwargs)
        ax.fill_between(group[x], group["ci_low"], group["ci_high"], color=colour, alpha=0.15)
    ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    ax.set(xlabel="Fiscal quarter", ylabel="Rate", ylim=(0, 1.05))
    ax.legend(title="", loc="lower left")
    return ax


def count_bars(
    data: pd.DataFrame, *, x: str, y: str, ax: Axes | None = None, xlabel: str = "", **kwargs
) -> Axes:
    """Horizontal bars of counts (reasons, age bands), largest first as given."""
    ax = ax if ax is not None else plt.gca()
    sns.barplot(data=data, x=x, y=y, color=kwargs.pop("color", PALETTE[0]), ax=ax, **kwargs)
    for i, value in enumerate(data[x]):
        ax.text(value, i, f" {int(value):,}", va="center", fontsize=9)
    ax.set(xlabel=xlabel, ylabel="")
    return ax


def reason_panels(tables: dict[str, pd.DataFrame], *, top: int = 8) -> np.ndarray:
    """Side-by-side Paretos of reasons (rejected, recycled): one panel per table given.

    Parameters
    ----------
    tables : dict of DataFrame
        Panel title → reason table (reason, count, ...), most frequent first; an empty table
        gives an empty panel titled ``"<title>: none"``. Leave out a table the data set does
        not track instead of passing it empty.
    top : int
        Reasons shown per panel.

    Returns
    -------
    ndarray of Axes
        One per panel.
    """
    fig, axes = plt.subplots(
        1, len(tables), figsize=(6 * len(tables), 4), layout="constrained", squeeze=False
    )
    for ax, (title, table) in zip(axes[0], tables.items(), strict=True):
        if table.empty:
            ax.set_axis_off()
            ax.set_title(f"{title}: none")
        else:
            count_bars(table.head(top), x="count", y="reason", xlabel="MQLs", ax=ax)
            ax.set_title(title)
    return axes[0]


_KIND_LABELS = {
    "rate": "Rate",
    "hours": "Business hours",
    "count": "Count",
    "amount": "Amount",
    "days": "Days",
}


def _compact(value: float, _pos: int | None = None) -> str:
    """Tick label for amounts and counts: 950, 12k, 3.4M."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.1f}M"
    if size >= 1e4:
        return f"{value / 1e3:.0f}k"
    return f"{value:,.0f}"


def format_axis(ax: Axes, kind: str, axis: str = "x") -> Axes:
    """Tick labels for a KPI kind: percentages for rates, ``12 h`` for hours, 3.4M for amounts."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    ticker = plt.matplotlib.ticker
    target.set_major_locator(ticker.MaxNLocator(nbins=4))
    if kind == "rate":
        target.set_major_formatter(ticker.PercentFormatter(1.0))
    elif kind == "hours":
        target.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g} h"))
    else:
        target.set_major_formatter(ticker.FuncFormatter(_compact))
    return ax


def _label(value: float, kind: str) -> str:
    if pd.isna(value):
        return " n/a"
    if kind == "rate":
        return f" {value:.0%}"
    if kind == "hours":
        return f" {value:.1f} h"
    return f" {_compact(value)}"


def kpi_bars(
    data: pd.DataFrame,
    *,
    x: str = "value",
    y: str = "team",
    kind: str | None = None,
    low: str = "ci_low",
    high: str = "ci_high",
    order: list | None = None,
    ax: Axes | None = None,
    **kwargs,
) -> Axes:
    """One KPI across teams (or quarters): a horizontal bar each, 95 % interval for rates.

    Parameters
    ----------
    data : DataFrame
        One row per bar: ``y`` (the team), ``x`` (the value) and, for rates, ``low`` and
        ``high`` (e.g. rows of one metric of :func:`helpers.analysis.comparison.kpi_long`).
    kind : str, optional
        ``rate``, ``hours``, ``count`` or ``amount`` for the tick labels; default the
        ``kind`` column's first value.
    order : list, optional
        Order of the bars (top first); default as in ``data``.
    ax : Axes, optional
        Axes to draw on; ``plt.gca()`` by default.
    """
    ax = ax if ax is not None else plt.gca()
    kind = kind if kind is not None else str(data["kind"].iloc[0]) if "kind" in data else "count"
    shown = data.set_index(y).reindex(order).reset_index() if order is not None else data
    labels = shown[y].astype(str)
    values = shown[x].astype("float64")
    sns.barplot(
        x=values.fillna(0.0).to_numpy(),
        y=labels.to_numpy(),
        color=kwargs.pop("color", PALETTE[0]),
        ax=ax,
        **kwargs,
    )
    if kind == "rate" and low in shown and high in shown:
        errors = np.vstack([values - shown[low], shown[high] - values]).clip(min=0)
        ax.errorbar(
            values,
            np.arange(len(shown)),
            xerr=np.nan_to_num(errors),
            fmt="none",
            ecolor="#333333",
            capsize=3,
        )
    # Labels go right of the bar, or of its interval for rates, so that they stay readable.
    ends = values.fillna(0.0)
    if kind == "rate" and high in shown:
        ends = np.fmax(ends, shown[high].astype("float64")).fillna(0.0)
    for i, (value, end) in enumerate(zip(values, ends, strict=True)):
        ax.text(end, i, _label(value, kind), va="center", fontsize=8)
    top = float(np.nanmax(np.r_[ends.to_numpy(), 0.0]))
    if kind == "rate":
        ax.set_xlim(0, max(1.0, top * 1.15))
    else:
        ax.set_xlim(0, top * 1.3 if top > 0 else 1)
    format_axis(ax, kind, "x")
    ax.set(xlabel=_KIND_LABELS.get(kind, ""), ylabel="")
    return ax


def kpi_line(
    data: pd.DataFrame,
    *,
    x: str = "quarter",
    y: str = "value",
    kind: str | None = None,
    low: str = "ci_low",
    high: str = "ci_high",
    ax: Axes | None = None,
    **kwargs,
) -> Axes:
    """One KPI over quarters: a line with markers, and the 95 % interval band for rates.

    A quarter without a value breaks the line (it is not bridged).

    Parameters
    ----------
    data : DataFrame
        One row per quarter, oldest first (e.g. rows of one metric of
        :func:`helpers.analysis.comparison.kpi_trend`).
    kind : str, optional
        As in :func:`kpi_bars`; default the ``kind`` column's first value.
    ax : Axes, optional
        Axes to draw on; ``plt.gca()`` by default.
    """
    ax = ax if ax is not None else plt.gca()
    kind = kind if kind is not None else str(data["kind"].iloc[0]) if "kind" in data else "count"
    positions = np.arange(len(data))
    values = data[y].astype("float64").to_numpy()
    ax.plot(positions, values, marker="o", color=kwargs.pop("color", PALETTE[0]), **kwargs)
    if kind == "rate" and low in data and high in data:
        ax.fill_between(
            positions,
            data[low].astype("float64"),
            data[high].astype("float64"),
            color=PALETTE[0],
            alpha=0.15,
        )
        ax.set_ylim(0, 1.02)
    else:
        top = float(np.nanmax(np.r_[values, 0.0]))
        ax.set_ylim(0, top * 1.15 if top > 0 else 1)
    ax.set_xticks(positions, [str(q) for q in data[x]], rotation=45, ha="right", fontsize=8)
    format_axis(ax, kind, "y")
    ax.set(xlabel="", ylabel=_KIND_LABELS.get(kind, ""))
    return ax


def kpi_panels(
    data: pd.DataFrame,
    *,
    draw=kpi_bars,
    panel: str = "label",
    col_wrap: int = 3,
    height: float = 2.4,
    aspect: float = 1.6,
    wspace: float = 0.45,
    hspace: float = 0.6,
    **kwargs,
) -> np.ndarray:
    """Small multiples: one panel per KPI, each drawn by ``draw`` on its own scale.

    Parameters
    ----------
    data : DataFrame
        Long form with a ``panel`` column and a ``kind`` column (e.g.
        :func:`helpers.analysis.comparison.kpi_long`).
    draw : callable
        Seaborn-shaped panel function, ``draw(rows, ax=ax, **kwargs)``: :func:`kpi_bars`
        (teams compared) or :func:`kpi_line` (quarters).
    panel : str
        Column naming the panels (titles), in order of first appearance.
    col_wrap, height, aspect : int, float, float
        Panels per row, and each panel's height (inches) and width / height.
    wspace, hspace : float
        Gaps between panels, as fractions of a panel's width and height.

    Returns
    -------
    ndarray of Axes
        One per panel, in order (unused grid cells are removed).
    """
    names = list(dict.fromkeys(data[panel]))
    ncols = max(1, min(col_wrap, len(names)))
    nrows = max(1, -(-len(names) // ncols))
    # A fixed layout instead of tight_layout: no extra draw pass (the report's PNG is cropped
    # to its content anyway); the gaps leave room for tick labels and titles.
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(ncols * height * aspect, nrows * height),
        squeeze=False,
        gridspec_kw={"wspace": wspace, "hspace": hspace},
    )
    flat = axes.ravel()
    for ax, name in zip(flat, names, strict=False):
        draw(data[data[panel] == name], ax=ax, **kwargs)
        ax.set_title(str(name), fontsize=10)
    for ax in flat[len(names) :]:
        fig.delaxes(ax)
    return flat[: len(names)]


def attribution_bars(
    data: pd.DataFrame,
    *,
    y: str = "channel",
    hue: str = "model",
    top: int | None = 8,
    ax: Axes | None = None,
    **kwargs,
) -> Axes:
    """Attributed amount per channel (or campaign), one bar per attribution model.

    Parameters
    ----------
    data : DataFrame
        Wide form as :meth:`TeamQuarter.attribution_models` returns it: index ``y`` (channel
        or campaign), one amount column per model, largest first.
    top : int, optional
        Show only the first ``top`` rows (all when None).
    ax : Axes, optional
        Axes to draw on; ``plt.gca()`` by default.
    """
    ax = ax if ax is not None else plt.gca()
    wide = data.head(top) if top is not None else data
    long = wide.rename_axis(y).reset_index().melt(id_vars=y, var_name=hue, value_name="amount")
    sns.barplot(data=long, x="amount", y=y, hue=hue, palette="colorblind", ax=ax, **kwargs)
    format_axis(ax, "amount", "x")
    ax.set(xlabel="Attributed amount", ylabel="")
    ax.legend(title="Model", fontsize=8, title_fontsize=9, loc="lower right")
    return ax


def value_bars(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    kind: str = "amount",
    exclude: tuple[str, ...] = ("total",),
    ax: Axes | None = None,
    xlabel: str = "",
    **kwargs,
) -> Axes:
    """Horizontal bars of one value per category (pipeline by source, spend or ROI by channel).

    Rows whose ``y`` is in ``exclude`` (the ``total`` row) or whose ``x`` is NaN are left
    out; negative values (an ROI below 0) extend to the left of a zero line.

    Parameters
    ----------
    data : DataFrame
        One row per category.
    x, y : str
        Value and category columns.
    kind : str
        ``amount``, ``rate``, ``count`` or ``hours``, for the tick and bar labels.
    ax : Axes, optional
        Axes to draw on; ``plt.gca()`` by default.
    """
    ax = ax if ax is not None else plt.gca()
    shown = data[~data[y].isin(exclude)].dropna(subset=[x])
    values = shown[x].astype("float64").to_numpy()
    sns.barplot(
        x=values,
        y=shown[y].astype(str).to_numpy(),
        color=kwargs.pop("color", PALETTE[0]),
        ax=ax,
        **kwargs,
    )
    for i, value in enumerate(values):
        ax.text(max(value, 0.0), i, _label(value, kind), va="center", fontsize=8)
    low = float(min(values.min(), 0.0)) if len(values) else 0.0
    high = float(max(values.max(), 0.0)) if len(values) else 1.0
    span = (high - low) or 1.0
    ax.set_xlim(low - 0.05 * span if low < 0 else 0, high + 0.25 * span)
    if low < 0:
        ax.axvline(0, color="#333333", linewidth=1)
    format_axis(ax, kind, "x")
    ax.set(xlabel=xlabel, ylabel="")
    return ax
