"""The quarter forecast's chart, shaped like seaborn's functions (``ax=None``, returns the Axes).

:func:`forecast_intervals` draws the backtest and the forecast on one time axis: for each
earlier quarter the 80 % interval (P10–P90) its forecast gave on the same day of the quarter,
the median (P50) and what was actually won, a miss in another colour and shape; then the
forecast quarter's interval in the accent colour (its label too); the legend sits below.
Quarter labels are drawn literally (importing :mod:`helpers.display.plots` turns
matplotlib's math text off).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from .plots import PALETTE, drawable, format_axis, no_chart

_INTERVAL, _FORECAST, _MISS = PALETTE[0], PALETTE[1], PALETTE[3]


def forecast_intervals(
    data: pd.DataFrame,
    *,
    prefix: str = "",
    forecast: dict | None = None,
    kind: str = "amount",
    ax: Axes | None = None,
    empty: str = "No forecast or backtest to draw.",
) -> Axes:
    """Backtest intervals with their actuals, then the forecast quarter's interval.

    Parameters
    ----------
    data : DataFrame
        The backtest (:func:`helpers.prediction.forecast.backtest`): quarter and the
        ``{prefix}p10``, ``{prefix}p50``, ``{prefix}p90``, ``{prefix}actual`` columns.
    prefix : str
        ``""`` for won revenue, ``"deals_"`` for won deals.
    forecast : dict, optional
        The forecast quarter: ``quarter``, ``p10``, ``p50``, ``p90`` and optionally
        ``actual`` (when the quarter has ended); drawn last, in the accent colour.
    kind : str
        ``amount`` or ``count``: how the y axis is labelled.
    ax : Axes, optional
        Axes to draw on; ``plt.gca()`` by default.
    empty : str
        Written instead of a chart when there is nothing to draw.

    Returns
    -------
    Axes
    """
    ax = ax if ax is not None else plt.gca()
    rows = [] if data is None else data.to_dict("records")
    points = [
        {
            "quarter": str(row["quarter"]),
            **{k: row[f"{prefix}{k}"] for k in ("p10", "p50", "p90", "actual")},
            "current": False,
        }
        for row in rows
    ]
    if forecast is not None and not _missing(forecast.get("p50")):
        points.append({"actual": math.nan, **forecast, "current": True})
    values = [p[k] for p in points for k in ("p10", "p90", "actual")]
    if not points or not drawable(values, kind):
        return no_chart(ax, empty)
    x = np.arange(len(points))
    # One artist per kind of mark, not per quarter: each artist costs its own layout and draw.
    current = np.array([p["current"] for p in points])
    low, mid, high = (np.array([p[k] for p in points], dtype=float) for k in ("p10", "p50", "p90"))
    colours = [_FORECAST if now else _INTERVAL for now in current]
    ax.vlines(x, low, high, colours, linewidth=7, alpha=0.45)
    for chosen, colour in ((~current, _INTERVAL), (current, _FORECAST)):
        if chosen.any():
            ax.plot(x[chosen], mid[chosen], "_", color=colour, markersize=16, markeredgewidth=2.5)
    actual = np.array([math.nan if _missing(p["actual"]) else p["actual"] for p in points])
    known = ~np.isnan(actual)
    inside = known & (low <= actual) & (actual <= high)
    missed = known & ~inside
    if inside.any():
        ax.plot(x[inside], actual[inside], "o", color="black", markersize=6, zorder=3)
    if missed.any():
        ax.plot(x[missed], actual[missed], "X", color=_MISS, markersize=8, zorder=3)
    ax.set_xticks(x, [p["quarter"] for p in points], rotation=45, ha="right")
    if points[-1]["current"]:
        ax.get_xticklabels()[-1].set_color(_FORECAST)
        ax.get_xticklabels()[-1].set_fontweight("bold")
    ax.set_xlim(-0.6, len(points) - 0.4)
    format_axis(ax, kind, "y")
    ax.set(xlabel="Fiscal quarter", ylabel="Won deals" if prefix == "deals_" else "Won revenue")
    ax.grid(axis="y", alpha=0.3)
    handles = [
        Line2D([], [], color=_INTERVAL, linewidth=7, alpha=0.45, label="backtest P10–P90"),
        Line2D([], [], color="black", marker="_", linestyle="", markersize=12, label="P50"),
        Line2D([], [], color="black", marker="o", linestyle="", label="actual, inside"),
        Line2D([], [], color=_MISS, marker="X", linestyle="", markersize=8, label="actual, missed"),
    ]
    if points[-1]["current"]:
        handles.insert(
            1, Line2D([], [], color=_FORECAST, linewidth=7, alpha=0.45, label="forecast P10–P90")
        )
    ax.legend(
        handles=handles,
        # Below the x label by a fixed distance (points, not a fraction of the panel), so
        # that laying the figure out cannot move it onto the label.
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        borderaxespad=9,
        fontsize=8,
        frameon=False,
        ncols=3,
    )
    return ax


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
