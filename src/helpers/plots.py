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
    """Rates over quarters, one line per KPI, with the 95 % interval as a shaded band."""
    ax = ax if ax is not None else plt.gca()
    sns.lineplot(data=data, x=x, y=y, hue=hue, marker="o", ax=ax, **kwargs)
    for colour, (_, group) in zip(PALETTE, data.groupby(hue, sort=False), strict=False):
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
