"""The report's quarter-forecast section: one call from the notebook, tables and chart inside.

:func:`show_forecast` renders the forecast a review of the report's quarter shows
(:func:`helpers.prediction.forecast.review_forecast`: the next quarter as of this one's end,
or a running quarter as of the as-of date) next to its backtest: the P10 / P50 / P90 of won
revenue and won deals with their parts, the chart of every earlier quarter's interval and
actual beside the forecast's, the coverage of the 80 % interval and the backtest tables.
Every table is published for export with :func:`helpers.reports.outputs.show_table`; what
the data cannot support is one line saying why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt

from ..display import html as rh
from ..display.forecast_plots import forecast_intervals
from ..prediction.forecast import review_forecast
from .forecast_formats import (
    backtest_lines,
    backtest_tables,
    forecast_sentence,
    forecast_table,
    parts_table,
)
from .outputs import show_table

if TYPE_CHECKING:
    from ..analysis.workbook import TeamQuarter

_PS = ("p10", "p50", "p90")


def show_forecast(view: TeamQuarter, **options) -> None:
    """Display the quarter forecast of ``view`` and its backtest in a report.

    Parameters
    ----------
    view : TeamQuarter
        The report's team and quarter.
    **options
        Passed to :func:`~helpers.prediction.forecast.review_forecast` (seed, simulations).
    """
    from IPython.display import HTML, display

    report = review_forecast(view, **options)
    f = report.forecast
    display(HTML(rh.note(forecast_sentence(report))))
    if f.revenue_reason:
        display(HTML(rh.note(f.revenue_reason[:1].upper() + f.revenue_reason[1:] + ".")))
    if not report.line:
        show_table(
            forecast_table(report),
            "forecast",
            caption=f"Forecast for {f.quarter}: P10–P90 and median",
        )
        show_table(parts_table(report), "forecast_parts", caption="Where the forecast comes from")
    shown = report.backtest if len(report.backtest) else None
    current = None if report.line else {"quarter": str(f.quarter)}
    panels = [("Won revenue", 0, "", "amount"), ("Won deals", 1, "deals_", "count")]
    if f.revenue_reason:
        panels = panels[1:]  # no amounts: won deals only
    if shown is not None or current is not None:
        fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.8), squeeze=False)
        for ax, (title, index, prefix, kind) in zip(axes[0], panels, strict=True):
            point = None
            if current is not None:
                figures = f.revenue if index == 0 else f.deals
                actual = None if report.actual is None else report.actual[index]
                point = {**current, **{k: figures[k] for k in _PS}, "actual": actual}
            forecast_intervals(shown, prefix=prefix, forecast=point, kind=kind, ax=ax)
            ax.set_title(f"{title}: backtest and forecast for {f.quarter}")
        # No tight_layout: the report lays the figure out once when it shows it (plots.lay_out).
        display(fig)
        plt.close(fig)
    for line in backtest_lines(report):
        display(HTML(rh.note(line)))
    if shown is not None:
        # The page shows each figure's backtest as a narrow table; the export holds the
        # backtest's numbers.
        pages = "".join(
            rh.table_html(
                table,
                caption=f"Backtest of {label.lower()}: the forecast on the same day of each "
                "earlier quarter",
            )
            for label, table in backtest_tables(report).items()
        )
        show_table(report.backtest, "forecast_backtest", html=pages)
