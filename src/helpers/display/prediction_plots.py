"""Charts of the lead-score audit and the lead model, shaped like seaborn's functions.

``f(data, *, ..., hue=None, ax=None) -> Axes``; ``ax=None`` draws on ``plt.gca()``; no
``plt.show()``. Text from the data (a score's name) is drawn literally: importing
:mod:`helpers.display.plots` turns matplotlib's math text off.

- :func:`decile_conversion`: conversion rate per score decile with its 95 % interval and the
  overall rate (the "conversion by score decile" that stands for calibration when a score is
  not a probability);
- :func:`gains_curve`: cumulative gains, one line per score, against the random diagonal;
- :func:`reliability_curve`: observed rate against the mean predicted probability per bin.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from .plots import PALETTE, drawable, no_chart


def decile_conversion(
    data: pd.DataFrame,
    *,
    x: str = "decile",
    y: str = "rate",
    overall: float | None = None,
    ax: Axes | None = None,
    empty: str = "No decile table to draw.",
    **kwargs,
) -> Axes:
    """Bars of the conversion rate per score decile (1 = highest scores) with 95 % intervals.

    Parameters
    ----------
    data : DataFrame
        :func:`helpers.prediction.score_audit.decile_table` (decile, rate, ci_low, ci_high).
    x, y : str
        Columns of the decile and the rate.
    overall : float, optional
        The overall conversion rate, drawn as a dashed line.
    ax : Axes, optional
        Axes to draw on; ``plt.gca()`` by default.
    empty : str
        Written instead of a chart when no rate has a value.
    **kwargs
        Passed to :meth:`Axes.bar`.
    """
    ax = ax if ax is not None else plt.gca()
    if data is None or not len(data) or not drawable(data[y], "rate"):
        return no_chart(ax, empty)
    positions = data[x].to_numpy()
    rates = data[y].to_numpy(dtype="float64")
    ax.bar(positions, rates, color=kwargs.pop("color", PALETTE[0]), **kwargs)
    if {"ci_low", "ci_high"} <= set(data.columns):
        low = rates - data["ci_low"].to_numpy(dtype="float64")
        high = data["ci_high"].to_numpy(dtype="float64") - rates
        ax.errorbar(positions, rates, yerr=[low, high], fmt="none", ecolor="black", lw=1)
    if overall is not None and np.isfinite(overall):
        ax.axhline(overall, color=PALETTE[3], ls="--", lw=1.2, label=f"all leads {overall:.1%}")
        ax.legend(loc="upper right", frameon=False)
    ax.set_xticks(positions)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set(xlabel="Score decile (1 = highest scores)", ylabel="Converted")
    return ax


def gains_curve(
    data: pd.DataFrame,
    *,
    x: str = "cum_leads_share",
    y: str = "gains",
    hue: str | None = None,
    ax: Axes | None = None,
    empty: str = "No gains to draw.",
) -> Axes:
    """Cumulative gains: share of converted leads found against share of leads worked.

    Each line starts at (0, 0); the dotted diagonal is a random order (no lift). The further
    a line bows above the diagonal, the better its score ranks the converting leads first.

    Parameters
    ----------
    data : DataFrame
        :func:`helpers.prediction.score_audit.decile_table` rows (several scores stacked, with
        the score's name in ``hue``).
    x, y : str
        Columns of the cumulative share of leads and of converted leads.
    hue : str, optional
        Column naming the score of each row; one line per value, in order of appearance.
    ax : Axes, optional
        Axes to draw on; ``plt.gca()`` by default.
    empty : str
        Written instead of a chart when there are no gains.
    """
    ax = ax if ax is not None else plt.gca()
    if data is None or not len(data) or not drawable(data[y], "rate"):
        return no_chart(ax, empty)
    groups = [(None, data)] if hue is None else list(data.groupby(hue, sort=False))
    for i, (name, group) in enumerate(groups):
        xs = np.concatenate([[0.0], group[x].to_numpy(dtype="float64")])
        ys = np.concatenate([[0.0], group[y].to_numpy(dtype="float64")])
        label = None if name is None else str(name)
        ax.plot(xs, ys, marker="o", ms=3, color=PALETTE[i % len(PALETTE)], label=label)
    ax.plot([0, 1], [0, 1], ls=":", color="grey", lw=1, label="random order")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set(xlabel="Leads worked, highest scores first", ylabel="Converted leads found")
    ax.legend(loc="lower right", frameon=False)
    return ax


def reliability_curve(
    data: pd.DataFrame,
    *,
    x: str = "mean_predicted",
    y: str = "observed",
    hue: str | None = None,
    ax: Axes | None = None,
    empty: str = "No probabilities to draw.",
) -> Axes:
    """Observed conversion against the mean predicted probability per bin (reliability curve).

    Points on the dashed diagonal are calibrated: of the leads given 30 %, 30 % converted.
    Vertical bars are the 95 % Wilson intervals of the observed rates.

    Parameters
    ----------
    data : DataFrame
        :func:`helpers.prediction.score_audit.reliability_table` (several stacked, with the
        score's name in ``hue``).
    x, y : str
        Columns of the mean predicted probability and the observed rate.
    hue : str, optional
        Column naming the score of each row; one line per value.
    ax : Axes, optional
        Axes to draw on; ``plt.gca()`` by default.
    empty : str
        Written instead of a chart when no bin has a value.
    """
    ax = ax if ax is not None else plt.gca()
    if data is None or not len(data) or not drawable(data[y], "rate"):
        return no_chart(ax, empty)
    groups = [(None, data)] if hue is None else list(data.groupby(hue, sort=False))
    for i, (name, group) in enumerate(groups):
        colour = PALETTE[i % len(PALETTE)]
        xs = group[x].to_numpy(dtype="float64")
        ys = group[y].to_numpy(dtype="float64")
        label = None if name is None else str(name)
        ax.plot(xs, ys, marker="o", color=colour, label=label)
        if {"ci_low", "ci_high"} <= set(group.columns):
            yerr = [ys - group["ci_low"].to_numpy(), group["ci_high"].to_numpy() - ys]
            ax.errorbar(xs, ys, yerr=yerr, fmt="none", ecolor=colour, lw=1, alpha=0.7)
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="calibrated")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set(xlabel="Predicted probability (bin mean)", ylabel="Observed conversion")
    ax.legend(loc="upper left", frameon=False)
    return ax
