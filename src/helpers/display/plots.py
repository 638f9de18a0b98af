"""Seaborn chart helpers shaped like seaborn's own: ``f(data, *, ..., ax=None) -> Axes``.

Colours come from seaborn's colour-blind-safe palette; no helper calls ``plt.show()``.

No empty charts: a report asks :func:`drawable` before it makes a figure and shows the
one-line reason instead when there is nothing to draw (no rows; only 0 or NaN for counts and
amounts; only NaN for rates and hours). A helper given nothing to draw anyway draws no axes,
ticks or bars: it turns the axes off and writes its ``empty`` line in them. Count axes have
whole-number ticks.

Text from the data is drawn literally: importing this module turns matplotlib's math text
off (:func:`helpers.display.inert.literal_chart_text`), so a channel called
``Save $50 & win $`` is a label, not a formula.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from ..metrics.goals import rag_status
from .inert import literal_chart_text
from .rag import RAG_COLOURS, RAG_WORDS
from .text_metrics import share_text_metrics

# The one thing this package does at import, on purpose: a security default. A text artist
# reads ``text.parse_math`` when it is made, and an axes makes its first tick label when the
# axes is made, before any helper here is called on it; matplotlib does not copy the setting
# from tick to tick. So a helper cannot make the labels of a caller's axes literal: only a
# setting made before the first figure can, and this import comes before it.
literal_chart_text()

PALETTE = sns.color_palette("colorblind")
STATUS_COLOURS = {
    "in SLA": PALETTE[2],
    "late": PALETTE[1],
    "untouched, overdue": PALETTE[3],
    "untouched, within SLA": PALETTE[7],
}


RAG_HATCHES = {"green": "", "amber": "..", "red": "//", "none": ""}
"""Bar hatching per RAG status: with the legend's words, a status reads without colour."""

TARGET_COLOUR = "#222222"
"""Colour of target and SLA marks (black reads on every RAG colour)."""


def rag_colours(
    values, targets, direction: str = "higher", green: float = 1.0, amber: float = 0.9
) -> list[str]:
    """RAG status of each value against its target (``none`` without one).

    The status is :func:`helpers.metrics.goals.rag_status`'s (the report's one RAG rule);
    the colours and words are :mod:`helpers.display.rag`'s.
    """
    return [
        rag_status(v, t, direction, green, amber)[1] if pd.notna(v) else "none"
        for v, t in zip(values, targets, strict=True)
    ]


def legend_outside(ax: Axes, handles=None, labels=None, **kwargs):
    """A legend right of ``ax``, outside the data (never over the lines or bars)."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    options = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": 8, "frameon": False}
    return ax.legend(handles, labels, **(options | kwargs))


def _status_handles(statuses, target: bool, outlier: bool) -> tuple[list, list]:
    """Legend entries for the RAG statuses drawn, the target mark and the outlier."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles, labels = [], []
    for status in ("green", "amber", "red"):
        if status in statuses:
            handles.append(
                Patch(
                    facecolor=RAG_COLOURS[status],
                    hatch=RAG_HATCHES[status],
                    edgecolor="white",
                )
            )
            labels.append(RAG_WORDS[status])
    if "none" in statuses and len(set(statuses) - {"none"}):
        handles.append(Patch(facecolor=PALETTE[0]))
        labels.append("no target")
    if target:
        handles.append(Line2D([], [], color=TARGET_COLOUR, linewidth=2))
        labels.append("target")
    if outlier:
        handles.append(Patch(facecolor="none", edgecolor=TARGET_COLOUR, linewidth=2))
        labels.append("outlier team")
    return handles, labels


# Kinds whose 0 is a value worth drawing (a rate of 0 %); for counts and amounts it is not.
_ZERO_IS_A_VALUE = ("rate", "hours", "days")


def drawable(values, kind: str = "count") -> bool:
    """Whether ``values`` hold anything to draw.

    Counts and amounts need one value that is neither 0 nor NaN; rates, hours and days one
    that is not NaN (0 % is a finding).

    Parameters
    ----------
    values : array-like
        The numbers a chart would draw (a column, a Series, a list).
    kind : str
        ``count``, ``amount``, ``rate``, ``hours`` or ``days``.

    Examples
    --------
    >>> drawable([0, 0, 0]), drawable([0, 3]), drawable([float("nan")], "rate")
    (False, True, False)
    >>> drawable([0.0], "rate"), drawable([])
    (True, False)
    """
    try:  # numbers already (a column of floats, a list): no trip through objects
        numbers = np.asarray(values, dtype="float64").ravel()
    except (TypeError, ValueError):  # text, None or pd.NA among them: those are not values
        column = pd.Series(values, dtype="object")
        numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    numbers = numbers[np.isfinite(numbers)]
    if kind not in _ZERO_IS_A_VALUE:
        numbers = numbers[numbers != 0]
    return bool(len(numbers))


def no_chart(ax: Axes, reason: str = "Nothing to draw.") -> Axes:
    """Axes that say ``reason`` instead of showing an empty chart: no frame, ticks or grid."""
    ax.clear()
    ax.set_axis_off()
    ax.text(0.5, 0.5, reason, ha="center", va="center", fontsize=10, transform=ax.transAxes)
    return ax


def integer_ticks(ax: Axes, axis: str = "x") -> Axes:
    """Whole-number ticks on a count axis (never 0, 0, 1, 1 from fractional steps)."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(plt.matplotlib.ticker.MaxNLocator(integer=True, min_n_ticks=1))
    return ax


REPORT_RC = {
    "figure.dpi": 96,
    # Figures are saved as they are laid out (see lay_out): a "tight" bounding box, or a
    # layout engine, would make matplotlib draw each figure twice (once to measure it).
    "figure.constrained_layout.use": False,
    "figure.autolayout": False,
    "savefig.bbox": "standard",
    # Report charts are SVG with their text kept as text (see figure_html): no rasterising, no
    # PNG encoding, sharp on a phone and on paper. Ids are salted by a constant, so the same
    # figure gives the same file.
    "svg.fonttype": "none",
    "svg.hashsalt": "alignment-workbook",
    # Titles sit at the top of their panel. Left automatic, matplotlib measures every titled
    # panel's y axis twice per layout and draw to see if an offset text ("1e6") or top tick
    # labels push the title up; report axes have neither (no offsets, no scientific
    # notation, tick labels below), so that measuring is a fifth of a chart's cost for nothing.
    "axes.titley": 1.0,
    "axes.formatter.useoffset": False,
    "axes.formatter.limits": (-9, 12),
}

LAYOUT_PAD = 0.1
"""Inches of white space around a figure's content and between its panels (see lay_out)."""


def use_report_style() -> None:
    """Seaborn theme used by every report chart (white grid, readable font sizes).

    In an IPython kernel with the inline backend, figures are shown as SVG images laid out
    by :func:`lay_out` and drawn once (:func:`figure_html`) instead of the backend's default
    PNG with ``bbox_inches="tight"``, which draws every figure twice and rasterises it; the
    sizes of texts are measured once per process (:mod:`~helpers.display.text_metrics`).
    """
    _show_figures_drawn_once()  # first: loading the inline backend sets rcParams of its own
    sns.set_theme(style="whitegrid", palette="colorblind", context="notebook")
    plt.rcParams.update(REPORT_RC)
    literal_chart_text()
    share_text_metrics()  # the same tick labels in every figure are measured once


def _show_figures_drawn_once() -> None:
    """Show a figure as :func:`figure_html` instead of the inline backend's PNG (IPython only)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the notebooks
        return
    shell = get_ipython()
    if shell is None or "inline" not in plt.matplotlib.get_backend():
        return
    # The backend sets its own PNG formatter when it is first imported (pyplot imports it at
    # the first figure): import it now, so that ours is set after and stays.
    import matplotlib_inline.backend_inline  # noqa: F401
    from matplotlib.figure import Figure

    formatters = shell.display_formatter.formatters
    formatters["image/png"].pop(Figure, None)  # else every figure would be drawn twice
    formatters["text/html"].for_type(Figure, figure_html)


def figure_alt(fig) -> str:
    """A figure's text alternative: its title, else its panels' titles (``"Chart"`` if none)."""
    title = fig._suptitle.get_text() if fig._suptitle is not None else ""
    panels = [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_title()]
    words = title or "; ".join(dict.fromkeys(panels))
    return f"Chart: {words}" if words else "Chart"


def figure_svg(fig) -> bytes:
    """The figure as an SVG document, laid out by :func:`lay_out` and drawn once.

    Text stays text (``svg.fonttype = "none"`` in :data:`REPORT_RC`), escaped by matplotlib
    as XML; the file carries no date, so the same figure gives the same bytes.
    """
    import io

    tight = not lay_out(fig)
    buffer = io.BytesIO()
    fig.canvas.print_figure(
        buffer,
        format="svg",
        dpi=fig.dpi,
        facecolor=fig.get_facecolor(),
        edgecolor=fig.get_edgecolor(),
        bbox_inches="tight" if tight else None,
        metadata={"Date": None},
    )
    return buffer.getvalue()


def figure_html(fig) -> str | None:
    """What a report shows for a figure: an ``<img>`` of its SVG (:func:`figure_svg`).

    The SVG travels as a ``data:`` URI inside an image, so nothing in it can run or reach the
    page (an inline ``<svg>`` would share the page's ids and styles), and the image's
    ``alt`` is :func:`figure_alt`, escaped. ``None`` for a figure without axes (nothing is
    shown, as the inline backend does).

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> _ = ax.set_title("Won <revenue>")
    >>> figure_html(fig)[:60]
    '<img src="data:image/svg+xml;base64,PD94bWwgdmVyc2lvbj0iMS4w'
    >>> figure_html(fig).endswith('alt="Chart: Won &lt;revenue&gt;">')
    True
    >>> plt.close(fig)
    """
    import base64
    import html

    if not fig.axes:
        return None
    data = base64.b64encode(figure_svg(fig)).decode("ascii")
    alt = html.escape(figure_alt(fig), quote=True)
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{alt}">'


def lay_out(fig, pad: float = LAYOUT_PAD, _again: bool = True) -> bool:
    """Give a figure's panels the room their labels need, once, without a layout engine.

    Measures each panel's ink (tick labels, axis labels, title, legend, value labels:
    ``Axes.get_tightbbox``) once and sets the figure's margins and the gaps between panels
    so that nothing is cut and ``pad`` inches are left around; a suptitle goes on top. The
    figure then draws once when saved, where constrained layout would measure it twice more
    and a tight bounding box draw it twice.

    Parameters
    ----------
    fig : Figure
        A figure whose axes all sit in one grid (``plt.subplots``); a layout engine it has is
        removed.
    pad : float
        White space in inches around the content and between panels.

    Returns
    -------
    bool
        Whether the figure was laid out; False (figure untouched) when its axes are not in
        one grid (e.g. a colour bar): save that one with ``bbox_inches="tight"``.
    """
    axes = [ax for ax in fig.axes if ax.get_visible()]
    specs = [ax.get_subplotspec() for ax in axes]
    if not axes or any(spec is None for spec in specs):
        return False
    grid = specs[0].get_gridspec()
    if any(spec.get_gridspec() is not grid for spec in specs):
        return False
    if fig.get_layout_engine() is not None:
        fig.set_layout_engine(None)
    nrows, ncols = grid.get_geometry()
    renderer = fig.canvas.get_renderer()
    dpi = fig.dpi
    width, height = fig.get_size_inches() * dpi
    pad_px = pad * dpi
    # Ink beyond each side of each panel, in pixels: (left, right, bottom, top).
    left = np.zeros(ncols)
    right = np.zeros(ncols)
    bottom = np.zeros(nrows)
    top = np.zeros(nrows)
    # Per panel: (first row, row after it, its columns, ink below, ink above).
    panels = []
    for ax, spec in zip(axes, specs, strict=True):
        ink = ax.get_tightbbox(renderer)
        box = ax.get_window_extent(renderer)
        if ink is None:
            continue
        cols = range(spec.colspan.start, spec.colspan.stop)
        rows = range(spec.rowspan.start, spec.rowspan.stop)
        left[cols.start] = max(left[cols.start], box.x0 - ink.x0)
        right[cols[-1]] = max(right[cols[-1]], ink.x1 - box.x1)
        top[rows.start] = max(top[rows.start], ink.y1 - box.y1)
        bottom[rows[-1]] = max(bottom[rows[-1]], box.y0 - ink.y0)
        panels.append((rows.start, rows.stop, set(cols), box.y0 - ink.y0, ink.y1 - box.y1))
    left, right, bottom, top = (np.clip(a, 0, None) for a in (left, right, bottom, top))
    title = fig._suptitle
    heading = 0.0
    if title is not None and title.get_text():
        heading = title.get_window_extent(renderer).height + pad_px
    # Gaps between neighbouring panels hold the right ink of one and the left ink of the next.
    gap_w = max((right[c] + left[c + 1] for c in range(ncols - 1)), default=0.0) + pad_px
    # Between rows: the ink below a panel and above the panel under it. A panel with an empty
    # cell under it (the last row of small multiples is short) hangs its labels into that
    # cell, so it does not widen every gap.
    gap_h = (
        max(
            (
                max(upper[3], 0.0) + max(lower[4], 0.0)
                for upper in panels
                for lower in panels
                if lower[0] == upper[1] and upper[2] & lower[2]
            ),
            default=0.0,
        )
        + pad_px
    )
    x0 = left[0] + pad_px
    x1 = width - right[-1] - pad_px
    y0 = bottom[-1] + pad_px
    y1 = height - top[0] - pad_px - heading
    panel_w = (x1 - x0 - (ncols - 1) * gap_w) / ncols
    panel_h = (y1 - y0 - (nrows - 1) * gap_h) / nrows
    if panel_w <= 0 or panel_h <= 0:
        return False  # labels wider than the figure: let a tight bounding box cope
    margins = {
        "left": x0 / width,
        "right": x1 / width,
        "bottom": y0 / height,
        "top": y1 / height,
        "wspace": gap_w / panel_w if ncols > 1 else 0.2,
        "hspace": gap_h / panel_h if nrows > 1 else 0.2,
    }
    if isinstance(grid, plt.matplotlib.gridspec.GridSpec):
        grid.update(**margins)  # the grid's own gaps (gridspec_kw) would override the figure's
    else:
        fig.subplots_adjust(**margins)
    if heading:
        title.set_y(1 - pad_px / height)
        title.set_verticalalignment("top")
    # A legend anchored below or beside its axes in axes fractions moves when the panel is
    # resized: if one now sticks out of the figure, measure once more from here.
    if _again:
        for ax in axes:
            legend = ax.get_legend()
            if legend is None:
                continue
            box = legend.get_window_extent(renderer)
            if box.x0 < 0 or box.y0 < 0 or box.x1 > width or box.y1 > height:
                return lay_out(fig, pad, _again=False)
    return True


def _hbars(
    ax: Axes,
    labels,
    values,
    *,
    color=None,
    height: float = 0.8,
    offset: float = 0.0,
    label: str | None = None,
    **kwargs,
):
    """Plain horizontal bars, first row on top (what seaborn's barplot draws, in one call).

    NaN values get no bar. Category ticks and the inverted y limits are set here; the grid
    along the categories is turned off as seaborn does.
    """
    values = np.asarray(values, dtype="float64")
    positions = np.arange(len(values))
    bars = ax.barh(
        positions + offset,
        np.nan_to_num(values),
        height=height,
        color=color if color is not None else PALETTE[0],
        label=label,
        **kwargs,
    )
    ax.set_yticks(positions, [str(v) for v in labels])
    ax.set_ylim(len(values) - 0.5, -0.5)
    ax.yaxis.grid(False)
    return bars


def funnel_bars(
    data: pd.DataFrame,
    *,
    x: str = "volume",
    y: str = "label",
    ax: Axes | None = None,
    empty: str = "Nothing reached any stage.",
    **kwargs,
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
    empty : str
        Written instead of a chart when every volume is 0 (see :func:`drawable`).
    """
    ax = ax if ax is not None else plt.gca()
    if not drawable(data[x], "count"):
        return no_chart(ax, empty)
    _hbars(ax, data[y], data[x], **kwargs)
    top = float(data[x].max()) if len(data) else 0.0
    previous = data[x].shift(1)
    for i, (value, before) in enumerate(zip(data[x], previous, strict=True)):
        note = f"{int(value):,}"
        if pd.notna(before) and before > 0:
            note += f"  ({value / before:.0%} of above)"
        ax.text(value + top * 0.01, i, note, va="center", fontsize=9)
    ax.set_xlim(0, top * 1.35 if top else 1)
    integer_ticks(ax, "x")
    ax.set(xlabel="Leads / opportunities", ylabel="Funnel stage")
    return ax


def rate_intervals(
    data: pd.DataFrame,
    *,
    x: str = "rate",
    y: str = "label",
    low: str = "ci_low",
    high: str = "ci_high",
    ax: Axes | None = None,
    empty: str = "No rate to draw.",
    **kwargs,
) -> Axes:
    """Point estimate of each rate with its 95 % interval as a horizontal error bar.

    Rows without a rate are left out; with none left, ``empty`` is written instead.
    """
    ax = ax if ax is not None else plt.gca()
    if not drawable(data[x], "rate"):
        return no_chart(ax, empty)
    shown = data.dropna(subset=[x])
    positions = np.arange(len(shown))
    errors = np.vstack([shown[x] - shown[low], shown[high] - shown[x]]).clip(min=0)
    errors = np.nan_to_num(errors)
    ax.errorbar(shown[x], positions, xerr=errors, fmt="o", color=PALETTE[0], capsize=4, **kwargs)
    ax.set_yticks(positions, shown[y])
    ax.invert_yaxis()
    ax.set_xlim(0, max(1.0, float(shown[high].max()) if len(shown) else 1.0))
    ax.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    ax.set(xlabel="Conversion (95 % Wilson interval)", ylabel="Funnel stage")
    return ax


def response_histogram(
    data: pd.DataFrame,
    *,
    x: str = "response_hours",
    sla: float,
    ax: Axes | None = None,
    empty: str = "No MQL was touched.",
    **kwargs,
) -> Axes:
    """Distribution of speed to lead (business hours) with the SLA as a vertical line.

    Without a single response time (no MQL touched), ``empty`` is written instead.
    """
    ax = ax if ax is not None else plt.gca()
    values = data[x].dropna()
    if not drawable(values, "hours"):
        return no_chart(ax, empty)
    upper = max(float(values.quantile(0.98)), sla * 1.5)
    ax.hist(values.clip(upper=upper), bins=30, color=PALETTE[0], edgecolor="white", **kwargs)
    ax.axvline(sla, color=PALETTE[3], linestyle="--", linewidth=2, label=f"SLA {sla:g} h")
    ax.legend(loc="upper right")
    integer_ticks(ax, "y")
    ax.set(xlabel="Business hours from MQL to first touch", ylabel="MQLs")
    return ax


def rate_trend(
    data: pd.DataFrame,
    *,
    x: str = "quarter",
    y: str = "value",
    hue: str = "label",
    ax: Axes | None = None,
    empty: str = "No rate to draw.",
    **kwargs,
) -> Axes:
    """Rates over quarters, one line per KPI, with the 95 % interval as a shaded band.

    A quarter without a value (an empty quarter: 0 of 0) breaks the line instead of being
    bridged, so the chart never suggests a rate where there was none. A KPI without a value
    in any quarter gets no line (nor a legend entry); with no value at all, ``empty`` is
    written instead.
    """
    ax = ax if ax is not None else plt.gca()
    if not drawable(data[y], "rate"):
        return no_chart(ax, empty)
    groups = [(label, g) for label, g in data.groupby(hue, sort=False) if drawable(g[y], "rate")]
    for colour, (label, group) in zip(PALETTE, groups, strict=False):
        values = group[y].astype("float64")
        ax.plot(group[x], values, marker="o", color=colour, label=label, **kwargs)
        ax.fill_between(group[x], group["ci_low"], group["ci_high"], color=colour, alpha=0.15)
        if "target" in group and group["target"].notna().any():
            ax.plot(
                group[x],
                group["target"].astype("float64"),
                color=colour,
                linestyle="--",
                linewidth=1.5,
                drawstyle="steps-mid",
                label=f"{label} target",
            )
    ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    ax.set(xlabel="Fiscal quarter", ylabel="Rate", ylim=(0, 1.05))
    legend_outside(ax)
    return ax


def count_bars(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    ax: Axes | None = None,
    xlabel: str = "",
    empty: str = "Nothing to count.",
    **kwargs,
) -> Axes:
    """Horizontal bars of counts (reasons, age bands), largest first as given.

    Whole-number ticks; when every count is 0 (or there is no row), ``empty`` is written
    instead of bars.
    """
    ax = ax if ax is not None else plt.gca()
    if not drawable(data[x], "count"):
        return no_chart(ax, empty)
    _hbars(ax, data[y], data[x], **kwargs)
    for i, value in enumerate(data[x]):
        ax.text(value, i, f" {int(value):,}", va="center", fontsize=9)
    integer_ticks(ax, "x")
    ax.set(xlabel=xlabel, ylabel=y.replace("_", " ").capitalize())
    return ax


def reason_panels(tables: dict[str, pd.DataFrame], *, top: int = 8) -> np.ndarray:
    """Side-by-side Paretos of reasons (rejected, recycled): one panel per table with a count.

    Parameters
    ----------
    tables : dict of DataFrame
        Panel title → reason table (reason, count, ...), most frequent first. A table with
        no count gets no panel (say why in one line, see :func:`drawable`); with none, no
        figure is made. Leave out a table the data set does not track.
    top : int
        Reasons shown per panel.

    Returns
    -------
    ndarray of Axes
        One per panel drawn (empty when there was nothing to draw).
    """
    shown = {title: t for title, t in tables.items() if drawable(t["count"], "count")}
    if not shown:
        return np.array([], dtype=object)
    fig, axes = plt.subplots(1, len(shown), figsize=(6 * len(shown), 4), squeeze=False)
    for ax, (title, table) in zip(axes[0], shown.items(), strict=True):
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
    target.set_major_locator(ticker.MaxNLocator(nbins=4, integer=kind == "count"))
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


def _kind_of(data: pd.DataFrame, kind: str | None) -> str:
    """The kind asked for, else the ``kind`` column's first value, else ``count``."""
    if kind is not None:
        return kind
    return str(data["kind"].iloc[0]) if "kind" in data and len(data) else "count"


def kpi_bars(
    data: pd.DataFrame,
    *,
    x: str = "value",
    y: str = "team",
    kind: str | None = None,
    low: str = "ci_low",
    high: str = "ci_high",
    order: list | None = None,
    target: str = "target",
    highlight: str = "outlier",
    rag: tuple[float, float] = (1.0, 0.9),
    ax: Axes | None = None,
    empty: str = "No value to draw.",
    **kwargs,
) -> Axes:
    """One KPI across teams (or quarters): a horizontal bar each, 95 % interval for rates.

    With a ``target`` column, each bar with a target gets a black target mark and its RAG
    colour (:func:`rag_colours`, direction from the ``direction`` column), hatched for amber
    and red so that it reads without colour; bars of rows flagged in ``highlight`` (the
    outlier team, :func:`helpers.analysis.comparison.team_outliers`) get a black outline
    and a bold label. With nothing to draw (see :func:`drawable`), ``empty`` is written
    instead of bars.

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
    target, highlight : str
        Columns of each row's target and outlier flag, used when present.
    rag : tuple of float
        Green and amber attainment thresholds (``Config.rag_green``, ``Config.rag_amber``).
    ax : Axes, optional
        Axes to draw on; ``plt.gca()`` by default.
    """
    ax = ax if ax is not None else plt.gca()
    kind = _kind_of(data, kind)
    if not drawable(data[x], kind):
        return no_chart(ax, empty)
    shown = data.set_index(y).reindex(order).reset_index() if order is not None else data
    labels = shown[y].astype(str)
    values = shown[x].astype("float64")
    targets = (
        shown[target].astype("float64") if target in shown else pd.Series(np.nan, index=shown.index)
    )
    direction = str(shown["direction"].iloc[0]) if "direction" in shown else "higher"
    statuses = rag_colours(values, targets, direction, *rag)
    colours = [RAG_COLOURS[s] if s != "none" else PALETTE[0] for s in statuses]
    outliers = (
        shown[highlight].fillna(False).astype(bool).to_numpy()
        if highlight in shown
        else np.zeros(len(shown), dtype=bool)
    )
    bars = _hbars(ax, labels, values.fillna(0.0), color=colours, **kwargs)
    for bar, status, outlier in zip(bars, statuses, outliers, strict=True):
        bar.set_hatch(RAG_HATCHES[status])
        bar.set_edgecolor(TARGET_COLOUR if outlier else "white")
        bar.set_linewidth(2 if outlier else 0.5)
    for tick, outlier in zip(ax.get_yticklabels(), outliers, strict=True):
        if outlier:
            tick.set_fontweight("bold")
    for i, goal in enumerate(targets):
        if pd.notna(goal):
            ax.plot([goal, goal], [i - 0.45, i + 0.45], color=TARGET_COLOUR, linewidth=2)
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
    # Labels go right of the bar, or of its interval for rates, or of its target mark, so
    # that they stay readable.
    ends = values.fillna(0.0)
    if kind == "rate" and high in shown:
        ends = np.fmax(ends, shown[high].astype("float64")).fillna(0.0)
    ends = np.fmax(ends, targets.fillna(0.0))
    for i, (value, end) in enumerate(zip(values, ends, strict=True)):
        ax.text(end, i, _label(value, kind), va="center", fontsize=8)
    top = float(np.nanmax(np.r_[ends.to_numpy(), targets.to_numpy(), 0.0]))
    # A negative value (a fall in bookings) extends left of a zero line.
    low = float(np.nanmin(np.r_[values.to_numpy(), targets.to_numpy(), 0.0]))
    if kind == "rate":
        ax.set_xlim(low * 1.15, max(1.0, top * 1.15))
    else:
        ax.set_xlim(low * 1.3, top * 1.3 if top > 0 else 1)
    if low < 0:
        ax.axvline(0, color=TARGET_COLOUR, linewidth=0.8)
    format_axis(ax, kind, "x")
    ax.set(xlabel=_KIND_LABELS.get(kind, ""), ylabel=y.replace("_", " ").capitalize())
    ax._rag_legend = _status_handles(set(statuses), targets.notna().any(), outliers.any())
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
    empty: str = "No value to draw.",
    **kwargs,
) -> Axes:
    """One KPI over quarters: a line with markers, and the 95 % interval band for rates.

    A quarter without a value breaks the line (it is not bridged). A share is drawn on
    0–100 %; a rate that leaves that range (growth, ROI) or an amount on a scale that holds
    every value, interval and target, with a zero line when one is below zero. With nothing
    to draw (see :func:`drawable`), ``empty`` is written instead.

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
    kind = _kind_of(data, kind)
    if not drawable(data[y], kind):
        return no_chart(ax, empty)
    positions = np.arange(len(data))
    values = data[y].astype("float64").to_numpy()
    ax.plot(positions, values, marker="o", color=kwargs.pop("color", PALETTE[0]), **kwargs)
    targets = (
        data["target"].astype("float64").to_numpy()
        if "target" in data
        else np.full(len(data), np.nan)
    )
    if np.isfinite(targets).any():
        ax.plot(
            positions,
            targets,
            color=TARGET_COLOUR,
            linestyle="--",
            linewidth=1.5,
            drawstyle="steps-mid",
        )
        dashed = plt.matplotlib.lines.Line2D([], [], color=TARGET_COLOUR, linestyle="--")
        ax._rag_legend = ([dashed], ["target"])
    marks = [values, targets]
    if kind == "rate" and low in data and high in data:
        band = [data[low].astype("float64").to_numpy(), data[high].astype("float64").to_numpy()]
        ax.fill_between(positions, *band, color=PALETTE[0], alpha=0.15)
        marks += band
    # A share stays on 0-100 %; a rate that can leave it (growth, ROI) and an amount get a
    # scale that holds every mark, a fall below zero included, with a zero line.
    ends = np.r_[0.0, *marks]
    ends = ends[np.isfinite(ends)]
    bottom, top = float(ends.min()), float(ends.max())
    if kind == "rate" and bottom >= 0 and top <= 1:
        ax.set_ylim(0, 1.02)
    else:
        span = (top - bottom) or 1.0
        ax.set_ylim(bottom - 0.08 * span if bottom < 0 else 0, top + 0.15 * span)
        if bottom < 0:
            ax.axhline(0, color=TARGET_COLOUR, linewidth=0.8)
    ax.set_xticks(positions, [str(q) for q in data[x]], rotation=45, ha="right", fontsize=8)
    format_axis(ax, kind, "y")
    ax.set(xlabel="Fiscal quarter", ylabel=_KIND_LABELS.get(kind, ""))
    return ax


def kpi_panels(
    data: pd.DataFrame,
    *,
    draw=kpi_bars,
    panel: str = "label",
    value: str = "value",
    col_wrap: int = 3,
    height: float = 2.4,
    aspect: float = 1.6,
    wspace: float = 0.45,
    hspace: float = 0.6,
    **kwargs,
) -> np.ndarray:
    """Small multiples: one panel per KPI, each drawn by ``draw`` on its own scale.

    A KPI with nothing to draw (only NaN, or only 0 for counts and amounts: see
    :func:`empty_panels`) gets no panel; with none left, no figure is made. A panel whose x
    tick labels and x label are those of the panel below it leaves them to that panel.

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
    value : str
        Column of the values drawn (to leave out the panels with nothing to draw).
    col_wrap, height, aspect : int, float, float
        Panels per row, and each panel's height (inches) and width / height.
    wspace, hspace : float
        Gaps between panels, as fractions of a panel's width and height (a report's
        :func:`figure_html` replaces them by the room the labels need).

    Returns
    -------
    ndarray of Axes
        One per panel drawn, in order (unused grid cells are removed); empty when no KPI
        had anything to draw.
    """
    skipped = set(empty_panels(data, panel=panel, y=value))
    names = [name for name in dict.fromkeys(data[panel]) if name not in skipped]
    if not names:
        return np.array([], dtype=object)
    ncols = max(1, min(col_wrap, len(names)))
    nrows = max(1, -(-len(names) // ncols))
    # The gaps are a start; the report lays the figure out when it shows it (see lay_out).
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
    for k, ax in enumerate(flat[: len(names)]):
        first = flat[k - k % ncols]
        if ax is not first and ax.get_ylabel() == first.get_ylabel():
            ax.set_ylabel("")  # the row's first panel names the axis (bars: the teams)
    _label_x_once(flat[: len(names)], ncols)
    # One legend for the marks the panels drew (RAG colours, target, outlier), right of the
    # first row, outside the data.
    handles, labels = [], []
    for ax in flat[: len(names)]:
        for handle, label in zip(*getattr(ax, "_rag_legend", ([], [])), strict=True):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    if handles:
        legend_outside(flat[min(ncols, len(names)) - 1], handles, labels)
    return flat[: len(names)]


def _fixed_xticks(ax: Axes) -> tuple | None:
    """An axes' x tick positions and labels when they are set by hand (``set_xticks``)."""
    locator = ax.xaxis.get_major_locator()
    if not isinstance(locator, plt.matplotlib.ticker.FixedLocator) or not ax.axison:
        return None
    labels = ax.xaxis.get_major_formatter().format_ticks(locator.locs)
    return tuple(locator.locs), tuple(labels), ax.get_xlabel()


def _label_x_once(axes, ncols: int) -> None:
    """Leave a panel's x tick labels and x label to the panel below when they are the same.

    Small multiples over quarters repeat the same rotated quarter labels in every panel;
    written once under each column (as seaborn's ``FacetGrid`` does) they read as one axis,
    and the figure has a fraction of the text to lay out and draw.
    """
    for k, ax in enumerate(axes[:-ncols] if len(axes) > ncols else []):
        ticks = _fixed_xticks(ax)
        if ticks is not None and ticks == _fixed_xticks(axes[k + ncols]):
            ax.tick_params(axis="x", labelbottom=False)
            ax.set_xlabel("")


def empty_panels(data: pd.DataFrame, *, panel: str = "label", y: str = "value") -> list[str]:
    """The panels of long-form KPI ``data`` with nothing to draw, in order of appearance.

    A panel is empty when its ``y`` values are all NaN, or all 0 or NaN for a count or an
    amount (see :func:`drawable`; the kind is the ``kind`` column's).

    Examples
    --------
    >>> long = pd.DataFrame({"label": ["MQLs", "MQLs", "CAC", "Win rate"],
    ...                      "kind": ["count", "count", "amount", "rate"],
    ...                      "value": [0.0, 0.0, float("nan"), 0.0]})
    >>> empty_panels(long)
    ['MQLs', 'CAC']
    """
    names = list(dict.fromkeys(data[panel]))
    return [
        name
        for name in names
        if not drawable(data.loc[data[panel] == name, y], _kind_of(data[data[panel] == name], None))
    ]


def empty_panels_line(
    data: pd.DataFrame,
    *,
    panel: str = "label",
    value: str = "value",
    over: str = "team",
    where: str = "",
) -> str | None:
    """The one line for the KPIs :func:`kpi_panels` draws no panel for (None when it draws all).

    Parameters
    ----------
    data : DataFrame
        Long form as for :func:`kpi_panels`.
    panel, value : str
        Columns naming the panels and holding the values.
    over : str
        What the rows of a panel are (``team``, ``quarter``).
    where : str
        Appended to the sentence, e.g. ``in 2026Q3``.

    Examples
    --------
    >>> long = pd.DataFrame({"label": ["CAC", "CAC", "Won revenue", "Won revenue"],
    ...                      "kind": ["amount"] * 4, "value": [float("nan"), float("nan"), 0, 0]})
    >>> empty_panels_line(long, where="in 2026Q3")
    'No panel for CAC (n/a for every team) or Won revenue (0 for every team) in 2026Q3.'
    """
    names = empty_panels(data, panel=panel, y=value)
    if not names:
        return None
    parts = []
    for name in names:
        values = pd.to_numeric(data.loc[data[panel] == name, value], errors="coerce")
        if values.isna().all():
            state = "n/a"
        elif values.notna().all():
            state = "0"
        else:
            state = "0 or n/a"
        parts.append(f"{name} ({state} for every {over})")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]
    return f"No panel for {listed}{' ' + where if where else ''}."


def attribution_bars(
    data: pd.DataFrame,
    *,
    top: int | None = 8,
    keep: tuple[str, ...] | list[str] = (),
    noun: str = "channels",
    ax: Axes | None = None,
    empty: str = "Nothing was attributed.",
    **kwargs,
) -> Axes:
    """Attributed amount per channel (or campaign), one bar per attribution model.

    With no amount above 0 (see :func:`drawable`), ``empty`` is written instead of bars.

    Parameters
    ----------
    data : DataFrame
        Wide form as :meth:`TeamQuarter.attribution_models` returns it: index ``y`` (channel
        or campaign), one amount column per model, largest first.
    top : int, optional
        Show only the first ``top`` rows (all when None); the axis label then says
        "top N of M <noun> shown".
    keep : sequence of str
        Rows never cut, shown after the top ones if they are not among them (the
        low-quality channel of :func:`helpers.reports.talking_points.low_quality_channel`).
    noun : str
        What the rows are, for the "top N of M" label.
    ax : Axes, optional
        Axes to draw on; ``plt.gca()`` by default.
    """
    ax = ax if ax is not None else plt.gca()
    if not drawable(data.to_numpy().ravel(), "amount"):
        return no_chart(ax, empty)
    wide, cut = top_rows(data, top, keep)
    models = list(wide.columns)
    height = 0.8 / max(len(models), 1)
    for k, model in enumerate(models):
        _hbars(
            ax,
            wide.index,
            wide[model],
            color=PALETTE[k % len(PALETTE)],
            height=height,
            offset=(k - (len(models) - 1) / 2) * height,
            label=str(model),
            **kwargs,
        )
    format_axis(ax, "amount", "x")
    label = "Attributed amount"
    if cut:
        kept = [k for k in wide.index[top:]]
        label += f" ({shown_line(len(wide), len(data), noun, keep=kept)})"
    ax.set(xlabel=label, ylabel=noun.capitalize().rstrip("s"))
    legend_outside(ax, title="Model", title_fontsize=9)
    return ax


def top_rows(data: pd.DataFrame, top: int | None, keep=()) -> tuple[pd.DataFrame, bool]:
    """The first ``top`` rows of ``data`` plus any row of ``keep`` (by index) not among them.

    Returns the rows shown and whether any row was cut.
    """
    if top is None or len(data) <= top:
        return data, False
    head = list(data.index[:top])
    extra = [k for k in keep if k in data.index and k not in head]
    shown = data.loc[head + extra]
    return shown, len(shown) < len(data)


def shown_line(shown: int, total: int, noun: str, *, keep=()) -> str:
    """``"top 8 of 9 channels shown"``, naming rows kept although outside the top."""
    line = f"top {shown - len(keep) if keep else shown} of {total} {noun} shown"
    if keep:
        line += f", with {', '.join(map(str, keep))}"
    return line


def value_bars(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    kind: str = "amount",
    exclude: tuple[str, ...] = ("total",),
    ax: Axes | None = None,
    xlabel: str = "",
    empty: str = "No value to draw.",
    **kwargs,
) -> Axes:
    """Horizontal bars of one value per category (pipeline by source, spend or ROI by channel).

    Rows whose ``y`` is in ``exclude`` (the ``total`` row) or whose ``x`` is NaN are left
    out; negative values (an ROI below 0) extend to the left of a zero line. With nothing to
    draw (see :func:`drawable`: all 0 or NaN for amounts and counts, all NaN for rates),
    ``empty`` is written instead of bars.

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
    if not drawable(shown[x], kind):
        return no_chart(ax, empty)
    values = shown[x].astype("float64").to_numpy()
    _hbars(ax, shown[y].astype(str), values, **kwargs)
    for i, value in enumerate(values):
        ax.text(max(value, 0.0), i, _label(value, kind), va="center", fontsize=8)
    low = float(min(values.min(), 0.0)) if len(values) else 0.0
    high = float(max(values.max(), 0.0)) if len(values) else 1.0
    span = (high - low) or 1.0
    ax.set_xlim(low - 0.05 * span if low < 0 else 0, high + 0.25 * span)
    if low < 0:
        ax.axvline(0, color="#333333", linewidth=1)
    format_axis(ax, kind, "x")
    ax.set(xlabel=xlabel, ylabel=y.replace("_", " ").capitalize())
    return ax


def funnel_waterfall(
    data: pd.DataFrame,
    *,
    x: str = "label",
    y: str = "reached",
    ax: Axes | None = None,
    empty: str = "Nothing reached any stage.",
    **kwargs,
) -> Axes:
    """Funnel as a waterfall: the first stage's volume, each loss on the way, what is left.

    Stage ``k``'s bar stands at its volume; between stages a floating bar in the RAG red
    (hatched, so it reads without colour) shows the leads lost, labelled with the loss and
    the share of the stage above kept. Meant for a nested funnel (the strict cohort, where
    every stage is a subset of the one above); a stage larger than the one above (possible
    only in a period view) shows its gain in green instead.

    Parameters
    ----------
    data : DataFrame
        One row per stage in funnel order (e.g. :meth:`TeamQuarter.cohort_funnel`).
    x, y : str
        Columns holding the stage label and its volume.
    ax : Axes, optional
        Axes to draw on; ``plt.gca()`` by default.
    """
    ax = ax if ax is not None else plt.gca()
    if not drawable(data[y], "count"):
        return no_chart(ax, empty)
    labels = [str(v) for v in data[x]]
    volumes = data[y].astype("float64").fillna(0.0).to_numpy()
    positions, names = [], []
    top = float(volumes.max())
    for i, volume in enumerate(volumes):
        at = 2 * i
        ax.bar(at, volume, color=PALETTE[0], width=0.8, **kwargs)
        ax.text(at, volume + top * 0.01, f"{int(volume):,}", ha="center", va="bottom", fontsize=8)
        positions.append(at)
        names.append(labels[i])
        if i + 1 < len(volumes):
            after = volumes[i + 1]
            change = after - volume
            status = "red" if change < 0 else "green"
            ax.bar(
                at + 1,
                abs(change),
                bottom=min(volume, after),
                color=RAG_COLOURS[status],
                hatch=RAG_HATCHES[status],
                edgecolor="white",
                width=0.8,
            )
            kept = f"{after / volume:.0%} kept" if volume else ""
            ax.text(
                at + 1,
                max(volume, after) + top * 0.01,
                f"{int(change):+,}\n{kept}",
                ha="center",
                va="bottom",
                fontsize=7,
            )
    ax.set_xticks(positions, names, rotation=30, ha="right")
    ax.set_ylim(0, top * 1.2 if top else 1)
    ax.xaxis.grid(False)
    integer_ticks(ax, "y")
    ax.set(xlabel="Funnel stage", ylabel="Leads")
    return ax


def growth_panels(
    bookings: pd.DataFrame,
    retention: pd.DataFrame | None = None,
    *,
    currency: str = "",
) -> np.ndarray:
    """Growth and retention over quarters: bookings (bars) and retention rates (lines).

    Parameters
    ----------
    bookings : DataFrame
        quarter, bookings (won revenue of the quarter), oldest first; NaN for a quarter
        without known amounts (no bar).
    retention : DataFrame, optional
        quarter, label (``Logo retention``, ``Gross revenue retention``, ``Net revenue
        retention``), value; a second panel with a 100 % reference line. None or empty:
        one panel.
    currency : str
        Written on the bookings axis.

    Returns
    -------
    ndarray of Axes
        One or two panels; empty when there is nothing to draw.
    """
    has_bookings = drawable(bookings["bookings"], "amount")
    has_retention = retention is not None and drawable(retention["value"], "rate")
    panels = int(has_bookings) + int(has_retention)
    if not panels:
        return np.array([], dtype=object)
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 3.6), squeeze=False)
    axes = axes[0]
    k = 0
    if has_bookings:
        ax = axes[k]
        k += 1
        values = bookings["bookings"].astype("float64").to_numpy()
        positions = np.arange(len(values))
        ax.bar(positions, np.nan_to_num(values), color=PALETTE[0], width=0.7)
        for i, value in enumerate(values):
            if np.isfinite(value):
                ax.text(i, value, _label(value, "amount"), ha="center", va="bottom", fontsize=7)
        ax.set_xticks(positions, [str(q) for q in bookings["quarter"]], rotation=45, ha="right")
        format_axis(ax, "amount", "y")
        top = float(np.nanmax(np.r_[values, 0.0]))
        ax.set_ylim(0, top * 1.15 if top > 0 else 1)
        ax.xaxis.grid(False)
        ax.set(xlabel="Fiscal quarter", ylabel=f"Bookings {currency}".strip())
        ax.set_title("Bookings (won revenue) by quarter")
    if has_retention:
        ax = axes[k]
        quarters = list(dict.fromkeys(retention["quarter"].astype(str)))
        where = {q: i for i, q in enumerate(quarters)}
        for colour, (label, rows) in zip(
            PALETTE, retention.groupby("label", sort=False), strict=False
        ):
            if not drawable(rows["value"], "rate"):
                continue
            ax.plot(
                [where[str(q)] for q in rows["quarter"]],
                rows["value"].astype("float64"),
                marker="o",
                color=colour,
                label=str(label),
            )
        ax.axhline(1.0, color=TARGET_COLOUR, linestyle=":", linewidth=1)
        ax.set_xticks(range(len(quarters)), quarters, rotation=45, ha="right")
        ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
        ax.set(xlabel="Fiscal quarter", ylabel="Retention (of the quarter's start)")
        ax.set_title("Customer and revenue retention")
        legend_outside(ax)
    return axes
