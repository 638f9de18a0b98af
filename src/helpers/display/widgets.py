"""Widgets with a static fallback: the same notebook is an app in a workshop and a page in a report.

A widget's output carries two representations: the live widget (JupyterLab and Voila draw it)
and an HTML snapshot of the answers so far (tables and charts). A notebook executed by
papermill and converted by nbconvert has no widget state to draw, so the report shows the
snapshot: never a "Loading widget…" placeholder. :func:`helpers.reports.render.clean_notebook` drops
the widget view and keeps the snapshot.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from .html import table_html

Part = Any  # str (plain text, escaped), Html, DataFrame, matplotlib Figure, or None (skipped)


class Html(str):
    """Markup built by this package from escaped pieces; shown as is."""


def figure_html(figure, *, alt: str = "") -> str:
    """A matplotlib figure as an embedded PNG ``<img>`` (no file, nothing fetched); closes it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", dpi=96)
    plt.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def part_html(part: Part) -> str:
    """One piece of a static page as HTML; text is escaped, tables and figures are embedded."""
    if part is None:
        return ""
    if isinstance(part, Html):
        return str(part)
    if isinstance(part, str):
        return f"<p>{html.escape(part)}</p>"
    if isinstance(part, pd.DataFrame):
        return table_html(part)
    if hasattr(part, "savefig"):
        return figure_html(part, alt=_figure_title(part))
    raise TypeError(f"cannot show a {type(part).__name__} on a static page")


def static_html(parts: Iterable[Part]) -> str:
    """Several pieces (see :func:`part_html`) as one HTML block."""
    return "".join(part_html(part) for part in parts)


def _figure_title(figure) -> str:
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    return titles[0] if titles else "chart"


def show(widget, fallback: Iterable[Part] | str) -> None:
    """Display ``widget``, with ``fallback`` as the static snapshot for pages without widgets."""
    from IPython.display import display

    bundle = dict(widget._repr_mimebundle_())
    bundle["text/html"] = fallback if isinstance(fallback, str) else static_html(fallback)
    display(bundle, raw=True)


def error_html(err: Exception) -> str:
    """An error for a participant's status line (escaped, in the workbook's error colour)."""
    return f'<span class="workbook-error" style="color:#b00020">{html.escape(str(err))}</span>'


class LivePanel:
    """An output area that redraws from the answers in the store when asked.

    Answering does not redraw it: a click stores the answer and nothing more, and the room's
    results are drawn when somebody asks (the panel's *Refresh results* button), from
    results shared by every viewer (see :meth:`helpers.training.session.Workshop.results_html`).

    Parameters
    ----------
    render : callable
        Returns the pieces to show (see :func:`part_html`), computed from the store's current
        answers. Called once for the static snapshot, and again on every :meth:`refresh`.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The *Refresh results* button (CSS class ``results-refresh``) above the output.
    """

    def __init__(self, render: Callable[[], Iterable[Part]]) -> None:
        import ipywidgets as widgets

        self.render = render
        self.output = widgets.Output()
        self.button = widgets.Button(
            description="Refresh results", icon="refresh", tooltip="Show the room's latest answers"
        )
        self.button.add_class("results-refresh")
        self.button.on_click(lambda _: self.refresh())
        self.widget = widgets.VBox([self.button, self.output])

    def refresh(self) -> None:
        """Redraw from the current answers: the old content is replaced, never stacked.

        The output is set as data rather than captured with ``with output:``, so a refresh
        from a timer thread lands in this panel and not in whatever cell runs at the time.
        """
        self.output.outputs = (_html_output(static_html(self.render())),)

    def display(self) -> None:
        """Show the panel: live in a frontend, a snapshot of the answers so far on a page."""
        html_now = static_html(self.render())
        self.output.outputs = (_html_output(html_now),)
        show(self.widget, html_now)


def _html_output(markup: str) -> dict:
    """One display_data output holding ``markup``."""
    return {"output_type": "display_data", "data": {"text/html": markup}, "metadata": {}}
