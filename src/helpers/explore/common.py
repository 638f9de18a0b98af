"""Shared bits of the explorers: data directory, controls, per-lead codes, the reused chart.

An explorer is built once per notebook: everything that does not depend on the controls
(per-lead attributes as integer codes, the tables joined to them) is computed at build time,
so a change of a control only masks numpy arrays and recomputes the small table shown.

Each explorer draws into ONE matplotlib :class:`~matplotlib.figure.Figure`, created without
pyplot (so ``plt.get_fignums()`` never grows) and cleared and redrawn on every change; the
picture reaches the page as PNG bytes in an ``ipywidgets.Image`` (an ``<img>`` in the output
area), and the table as escaped HTML in an ``ipywidgets.HTML``: both are replaced on every
change, never stacked.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.periods import Quarter
from ..data.schema import ALL_TEAMS
from ..display.html import table_html
from ..display.inert import literal_chart_text
from ..errors import ParameterError, WorkbookError

ALL = ALL_TEAMS  # "no filter" in a dropdown, spelled like the company team id
"""Value of the "every team / channel / segment" entry of a control."""
DATA_ENV = "WORKBOOK_DATA_DIR"
DEFAULT_DATA_DIR = "../../data/sample"
"""The explorer notebooks' default data directory (relative to ``notebooks/explore``)."""
DEFAULT_EXPORT_DIR = "../../reports/exports"
"""The explorer notebooks' default export folder (relative to ``notebooks/explore``)."""
MISSING_LABEL = "(missing)"
STYLE = {"description_width": "initial"}
_FIGURE_DPI = 96


def data_directory(value: str | Path = DEFAULT_DATA_DIR) -> Path:
    """The data directory an explorer notebook reads.

    ``$WORKBOOK_DATA_DIR`` replaces the default (``../../data/sample``) when it is set, so a
    test or a workshop can point every notebook at a copy; any other ``value`` is used as is.

    Parameters
    ----------
    value : str or Path
        The notebook's ``data_dir`` parameter.

    Returns
    -------
    Path

    Raises
    ------
    ParameterError
        When the folder does not exist.
    """
    chosen = str(value or DEFAULT_DATA_DIR)
    if chosen == DEFAULT_DATA_DIR and os.environ.get(DATA_ENV):
        chosen = os.environ[DATA_ENV]
    path = Path(chosen)
    if not path.is_dir():
        raise ParameterError(
            f"Data directory {path} does not exist. Fix: set data_dir to a folder holding the "
            "workbook's CSV files (or set $WORKBOOK_DATA_DIR)."
        )
    return path


def load_workbook(data_dir: str | Path = DEFAULT_DATA_DIR):
    """The validated workbook of ``data_dir`` (see :func:`data_directory`), reused per kernel."""
    from ..analysis.workbook import Workbook

    return Workbook.load(data_directory(data_dir), reuse=True)


# --- parameters --------------------------------------------------------------------------------


def check_choice(value: Any, options: Sequence[str], what: str) -> str:
    """``value`` if it is one of ``options``, else a ParameterError naming them.

    Parameters
    ----------
    value : object
        A control's default, as passed by a notebook parameter.
    options : sequence of str
        The control's options.
    what : str
        The parameter's name, for the message.
    """
    if value in options:
        return str(value)
    shown = ", ".join(map(str, options[:20])) + (" …" if len(options) > 20 else "")
    raise ParameterError(f"{what} {value!r} is not in this data; use one of: {shown}.")


def quarter_labels(dataset) -> list[str]:
    """The data's fiscal quarters as labels (``"2026Q3"``), oldest first."""
    return [str(q) for q in dataset.quarters]


def last_quarter(dataset) -> Quarter:
    """The latest complete quarter, else the latest quarter of the data."""
    try:
        return dataset.latest_complete_quarter
    except ParameterError:
        return dataset.quarters[-1]


def quarter_range(dataset, first: str | None, last: str | None, span: int) -> tuple[str, str]:
    """Checked ``(first, last)`` quarter labels; defaults to ``span`` quarters up to the last.

    Parameters
    ----------
    dataset : Dataset
        The data, whose quarters bound the range.
    first, last : str or None
        Quarter labels; empty or None for the default.
    span : int
        Quarters in the default range (ending at the latest complete quarter).

    Raises
    ------
    ParameterError
        A quarter outside the data, or ``first`` after ``last``.
    """
    end = dataset.quarter(last) if last else last_quarter(dataset)
    start = dataset.quarter(first) if first else max(dataset.quarters[0], end.shift(1 - span))
    if start > end:
        raise ParameterError(
            f"first_quarter {start} is after last_quarter {end}; swap them or leave one empty."
        )
    return str(start), str(end)


def window(dataset, quarters: tuple[str, str]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` of a quarter range (first quarter's start, last quarter's end)."""
    first, last = (dataset.quarter(q) for q in quarters)
    return first.start, last.end


def range_label(quarters: tuple[str, str]) -> str:
    """``2025Q4–2026Q3``, or one quarter."""
    first, last = quarters
    return first if first == last else f"{first}–{last}"


# --- per-lead codes ----------------------------------------------------------------------------


def categories(values: pd.Series) -> list[str]:
    """Sorted distinct non-missing values of ``values`` as str."""
    return sorted({str(v) for v in values.dropna().unique()})


def codes_of(values: pd.Series | np.ndarray, options: Sequence[str]) -> np.ndarray:
    """Position of each value in ``options`` (int64), -1 for a missing or unknown value."""
    index = pd.Index(list(options), dtype=object)
    values = pd.Series(np.asarray(values, dtype=object)).where(lambda s: s.notna(), None)
    return index.get_indexer(values.astype(object)).astype("int64")


def pick(codes: np.ndarray, options: Sequence[str], value: str) -> np.ndarray | None:
    """Boolean mask of rows whose code is ``value``'s; None for :data:`ALL` (no filter)."""
    if value == ALL:
        return None
    return codes == list(options).index(value) if value in options else np.zeros_like(codes, bool)


def combine(size: int, *masks: np.ndarray | None) -> np.ndarray:
    """Logical AND of the masks that are not None (all True when every one is None)."""
    out = np.ones(size, dtype=bool)
    for mask in masks:
        if mask is not None:
            out &= mask
    return out


def nanoseconds(values: pd.Series) -> np.ndarray:
    """Timestamps as int64 nanoseconds; NaT as the smallest int64 (never inside a window)."""
    stamps = pd.to_datetime(values).astype("datetime64[ns]")
    return stamps.to_numpy().view("int64").copy()


def ns(value: pd.Timestamp) -> int:
    """One timestamp as int64 nanoseconds (comparable with :func:`nanoseconds`)."""
    return int(pd.Timestamp(value).as_unit("ns").value)


def label_of(value: str, all_label: str) -> str:
    """A control value for a title: ``all_label`` for :data:`ALL`, else the value."""
    return all_label if value == ALL else value


# --- the chart ---------------------------------------------------------------------------------


class Chart:
    """One matplotlib Figure, redrawn in place and shown as PNG in an ``ipywidgets.Image``.

    Parameters
    ----------
    figsize : (float, float)
        Figure size in inches.
    ncols : int
        Axes side by side.
    """

    def __init__(self, figsize: tuple[float, float] = (9.0, 4.2), ncols: int = 1) -> None:
        import ipywidgets as widgets
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        with _style():
            self.figure = Figure(figsize=figsize, dpi=_FIGURE_DPI)
            FigureCanvasAgg(self.figure)  # an Agg canvas of its own, never a pyplot window
            axes = self.figure.subplots(1, ncols)
        self.axes = list(np.atleast_1d(axes))
        self.png = b""
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))

    def redraw(self, draw: Callable[..., None]) -> None:
        """Clear every Axes, call ``draw(*axes)`` and put the new PNG into the image widget.

        The layout is fitted once per redraw (``tight_layout``) and the figure rendered once;
        ``bbox_inches="tight"`` would render it twice.
        """
        with _style():
            for ax in self.axes:
                ax.clear()
            draw(*self.axes)
            self.figure.tight_layout()
            buffer = io.BytesIO()
            self.figure.savefig(
                buffer, format="png", dpi=_FIGURE_DPI, pil_kwargs={"compress_level": 1}
            )
        self.png = buffer.getvalue()
        self.image.value = self.png

    def img_html(self, alt: str = "chart") -> str:
        """The current picture as an embedded ``<img>`` (for the static snapshot)."""
        data = base64.b64encode(self.png).decode("ascii")
        return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _style() -> ExitStack:
    """Seaborn's report style for one drawing, without changing the global rcParams."""
    import matplotlib as mpl
    import seaborn as sns

    stack = ExitStack()
    stack.enter_context(mpl.rc_context())
    mpl.rcParams.update(sns.axes_style("whitegrid"))
    mpl.rcParams.update(sns.plotting_context("notebook", font_scale=0.85))
    # A fixed title height: matplotlib's automatic one measures every tick label on each draw.
    mpl.rcParams["axes.titley"] = 1.0
    literal_chart_text()  # a "$" in a channel name is a dollar sign, never math
    return stack


# --- the explorer shell ------------------------------------------------------------------------


class Explorer:
    """Controls, one reused chart, one table and its export buttons, refreshed on every change.

    Subclasses set :attr:`kind`, build their controls and implement :meth:`compute`,
    :meth:`draw` and :meth:`export_parts`; :meth:`refresh` does the rest.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The container to display.
    table : DataFrame
        The table currently shown (raw numbers; the page formats them).
    figure : matplotlib.figure.Figure
        The one Figure, redrawn in place.
    notes : list of str
        Lines shown above the chart (what the view counts, what the data lacks).
    """

    kind = "explorer"
    percent_columns: tuple[str, ...] = ()

    def __init__(
        self,
        workbook,
        export_dir: str | Path,
        *,
        figsize: tuple[float, float] = (9.0, 4.2),
        ncols: int = 1,
    ) -> None:
        import ipywidgets as widgets

        from .export_bar import ExportBar

        self.workbook = workbook
        self.dataset = workbook.dataset
        self.chart = Chart(figsize, ncols)
        self.figure = self.chart.figure
        self.table = pd.DataFrame()
        self.notes: list[str] = []
        self.heading = widgets.HTML()
        self.note = widgets.HTML()
        self.table_view = widgets.HTML()
        self.exports = ExportBar(
            table=lambda: self.table,
            parts=self.export_parts,
            filters=self.filters,
            export_dir=export_dir,
            sheet=self.kind,
        )
        self.widget = widgets.VBox()

    # to implement ------------------------------------------------------------------------------
    def controls(self) -> list:
        """Control rows (widgets) shown above the results."""
        raise NotImplementedError

    def compute(self) -> tuple[pd.DataFrame, list[str]]:
        """The table for the current controls and the notes to show with it."""
        raise NotImplementedError

    def draw(self, *axes) -> None:
        """Draw :attr:`table` on the (cleared) Axes."""
        raise NotImplementedError

    def export_parts(self) -> list[str]:
        """File-name parts for the current filters (sanitised by the export bar)."""
        raise NotImplementedError

    def filters(self) -> dict[str, str]:
        """The current filters by name (written to the Excel export's ``filters`` sheet)."""
        raise NotImplementedError

    def title(self) -> str:
        """One line naming what is shown (plain text; escaped where shown)."""
        return self.kind

    # shared -----------------------------------------------------------------------------------
    def _assemble(self) -> None:
        """Lay the widget out and observe every control; then draw once."""
        rows = self.controls()
        self.widget.children = [
            *rows,
            self.heading,
            self.note,
            self.chart.image,
            self.table_view,
            self.exports.widget,
        ]
        for row in rows:
            for control in getattr(row, "children", (row,)):
                control.observe(self._changed, names="value")
        self.refresh()

    def _changed(self, _change=None) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Recompute the table and redraw the chart for the current controls.

        A data problem (a :class:`~helpers.errors.WorkbookError`) is shown in the note line
        instead of the table; the explorer stays usable.
        """
        try:
            table, notes = self.compute()
        except WorkbookError as err:
            self.table, self.notes = pd.DataFrame(), [str(err)]
            self.heading.value = f"<h4>{html.escape(self.title())}</h4>"
            self.note.value = _notes_html(self.notes)
            self.table_view.value = ""
            self.chart.redraw(lambda *axes: None)
            return
        self.table, self.notes = table, notes
        self.heading.value = f"<h4>{html.escape(self.title())}</h4>"
        self.note.value = _notes_html(notes)
        self.chart.redraw(self.draw)
        self.table_view.value = self.table_html()

    def table_html(self) -> str:
        """The table as escaped HTML in a scrolling box."""
        if self.table.empty:
            return '<p class="aw-note">No rows for these filters.</p>'
        body = table_html(_shown(self.table), percent=self.percent_columns, decimals=1)
        return f'<div style="max-height:420px;overflow:auto">{body}</div>'

    def snapshot_html(self) -> str:
        """What the page shows without live widgets: title, notes, chart and table."""
        return (
            f"<h4>{html.escape(self.title())}</h4>{_notes_html(self.notes)}"
            f"{self.chart.img_html(self.title())}{self.table_html()}"
        )

    def display(self) -> None:
        """Show the explorer; a page rendered without widgets shows :meth:`snapshot_html`."""
        from ..display.widgets import show

        show(self.widget, self.snapshot_html())

    def _repr_mimebundle_(self, **kwargs) -> dict:
        bundle = dict(self.widget._repr_mimebundle_(**kwargs))
        bundle["text/html"] = self.snapshot_html()
        return bundle


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """Integer columns with thousands separators, missing values blank (for the page)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_bool_dtype(values.dtype):
            out[column] = ["" if pd.isna(v) else str(bool(v)) for v in values]
        elif pd.api.types.is_integer_dtype(values.dtype):
            out[column] = ["" if pd.isna(v) else f"{int(v):,}" for v in values]
    return out


def _notes_html(notes: Sequence[str]) -> str:
    return "".join(f'<p class="aw-note">{html.escape(line)}</p>' for line in notes)


def dropdown(description: str, options: Sequence, value: Any, width: str = "220px"):
    """An ``ipywidgets.Dropdown`` with the explorers' look."""
    import ipywidgets as widgets

    return widgets.Dropdown(
        description=description,
        options=list(options),
        value=value,
        style=STYLE,
        layout=widgets.Layout(width=width),
    )


def quarter_slider(options: Sequence[str], value: tuple[str, str], description: str = "Quarters"):
    """A ``SelectionRangeSlider`` over the data's quarters."""
    import ipywidgets as widgets

    return widgets.SelectionRangeSlider(
        description=description,
        options=list(options),
        value=tuple(value),
        continuous_update=False,
        style=STYLE,
        layout=widgets.Layout(width="460px"),
    )


def toggle(description: str, options: Sequence, value: Any):
    """An ``ipywidgets.ToggleButtons`` with the explorers' look."""
    import ipywidgets as widgets

    return widgets.ToggleButtons(
        description=description, options=list(options), value=value, style=STYLE
    )
