"""The calibration exercise's charts: the share saying "MQL" against the lead score."""

from __future__ import annotations

import math

import pandas as pd

from ...display.inert import literal_chart_text


def share_plot(
    data: pd.DataFrame,
    *,
    x: str = "score",
    y: str = "share_yes",
    hue: str | None = "role",
    room: float = math.nan,
    model: float = math.nan,
    reference: pd.DataFrame | None = None,
    ax=None,
):
    """Share of raters saying yes per lead, against the lead score, with thresholds marked.

    Parameters
    ----------
    data : DataFrame
        One row per lead (and hue level): columns ``x`` and ``y`` (a share in [0, 1]).
    x, y, hue : str
        Columns; ``hue=None`` draws one colour.
    room, model : float
        The room's implied threshold (solid line) and the model's (dashed); NaN draws none.
    reference : DataFrame, optional
        The data's own curve (:func:`mql_curve`: ``score``, ``share_mql``), drawn as a grey
        line: how often leads of each score really became MQLs.
    ax : Axes, optional
        Axes to draw on; ``plt.gca()`` by default.

    Returns
    -------
    Axes
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    from ...display.plots import PALETTE

    ax = ax if ax is not None else plt.gca()
    if reference is not None and len(reference):
        ax.plot(
            reference["score"],
            reference["share_mql"],
            color="0.6",
            linewidth=1.5,
            label="team's leads that became MQLs",
        )
    if len(data):
        order = [r for r in ("sales", "marketing") if hue and r in set(data[hue])] or None
        sns.scatterplot(data=data, x=x, y=y, hue=hue, hue_order=order, s=70, alpha=0.85, ax=ax)
    if not math.isnan(room):
        ax.axvline(room, color=PALETTE[3], linewidth=2, label=f"room's threshold ({room:.0f})")
    if not math.isnan(model):
        ax.axvline(
            model,
            color="0.3",
            linestyle="--",
            linewidth=2,
            label=f"model's threshold ({model:.0f})",
        )
    ax.set(ylim=(-0.05, 1.05), xlabel="Lead score (hidden while rating)", ylabel="Share saying yes")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=8)
    return ax


def share_chart(share: pd.DataFrame, labels: dict[str, str]):
    """Without scores: the share saying 'MQL' per lead, by role (None before any answer)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    if share.empty:
        return None
    literal_chart_text()  # lead labels come from the data
    share = share.assign(lead_id=share["lead_id"].map(labels).fillna(share["lead_id"]))
    figure, ax = plt.subplots(figsize=(7.5, 0.35 * share["lead_id"].nunique() + 1.5))
    order = [r for r in ("sales", "marketing") if r in set(share["role"])]
    sns.barplot(data=share, x="share_yes", y="lead_id", hue="role", hue_order=order, ax=ax)
    ax.set(xlim=(0, 1), xlabel="Share saying yes", ylabel="")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_title("Share saying 'MQL' per lead")
    return figure


def threshold_chart(share: pd.DataFrame, room: float, model: float, curve: pd.DataFrame):
    """The thresholds chart as a figure (closed when it is turned into HTML)."""
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(7.5, 3.8))
    share_plot(share, room=room, model=model, reference=curve, ax=ax)
    ax.set_title("Share saying 'MQL' by lead score")
    return figure
