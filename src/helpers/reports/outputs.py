"""What a report notebook hands to the batch runner besides its HTML: tables and a summary.

A report shows each table with :func:`show_table`, which displays the HTML and also attaches
the table's data under a private MIME type. nbconvert's HTML exporter ignores MIME types it
does not know, so the page is unchanged; the runner reads the executed notebook and writes
the tables as CSV or Excel (``--export``). :func:`publish_summary` attaches the alignment
index and the RAG counts the index page lists. No file is written from inside the kernel,
so a notebook parameter never becomes a path.

The runner's side (:func:`summary_in`, :func:`tables_in`) imports pandas only to build the
tables of an export: the process that drives the kernels never loads the data stack.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from nbformat import NotebookNode

    from ..analysis.workbook import TeamQuarter

TABLE_MIME = "application/vnd.alignment-workbook.table+json"
SUMMARY_MIME = "application/vnd.alignment-workbook.summary+json"
PRIVATE_MIMES = frozenset({TABLE_MIME, SUMMARY_MIME})
"""MIME types that carry data for the runner; stripped before the HTML is made."""

_TABLE_NAME = re.compile(r"[a-z0-9][a-z0-9_]{0,30}")
RAG_LEVELS = ("green", "amber", "red", "none")


def show_table(
    frame: pd.DataFrame,
    name: str,
    *,
    html: str | None = None,
    percent: tuple[str, ...] = (),
    decimals: int = 1,
    caption: str | None = None,
    currency: str = "",
    amounts: tuple[str, ...] = (),
    total: int | None = None,
) -> None:
    """Display ``frame`` in the report and publish it for export under ``name``.

    Parameters
    ----------
    frame : DataFrame
        The table as shown (or the data behind a custom ``html`` rendering).
    name : str
        File-name stem of the export: lower-case letters, digits and ``_``, at most 31
        characters (an Excel sheet name has at most 31), unique within the report.
    html : str, optional
        HTML to show instead of :func:`report_html.table_html` of ``frame`` (e.g. KPI tiles).
    percent, decimals, caption, currency, amounts, total
        Passed to :func:`helpers.display.html.table_html` when ``html`` is not given: every
        table shown has a caption saying what it holds.

    Raises
    ------
    ValueError
        When ``name`` is not such a stem.
    """
    from IPython.display import display

    from ..display.html import table_html

    if not _TABLE_NAME.fullmatch(name):
        raise ValueError(
            f"table name {name!r}: use lower-case letters, digits and '_', at most 31 "
            "characters, starting with a letter or digit (e.g. 'pipeline_by_source')."
        )
    shown = (
        html
        if html is not None
        else table_html(
            frame,
            percent=percent,
            decimals=decimals,
            caption=caption,
            currency=currency,
            amounts=amounts,
            total=total,
        )
    )
    payload = json.loads(frame.to_json(orient="split", index=False, date_format="iso"))
    display({"text/html": shown, TABLE_MIME: {"name": name, **payload}}, raw=True)


def report_summary(view: TeamQuarter) -> dict[str, Any]:
    """The figures the index page lists for one report.

    Parameters
    ----------
    view : TeamQuarter
        The report's team and quarter.

    Returns
    -------
    dict
        ``team``, ``team_name`` (as the teams table names it), ``quarter``,
        ``alignment_index`` (0–100, ``None`` when it cannot be
        computed), ``rag``: the number of headline KPIs per status green, amber, red and
        none (no target), ``complete`` (whether the quarter had ended at the as-of date)
        and ``as_of``.
    """
    index = view.alignment_index().value
    counts = Counter(view.kpis()["rag"])
    return {
        "team": view.team,
        "team_name": view.team_name,
        "quarter": str(view.quarter),
        "alignment_index": None if math.isnan(index) else round(float(index), 1),
        "rag": {level: int(counts.get(level, 0)) for level in RAG_LEVELS},
        "complete": view.complete,
        "as_of": view.as_of.date().isoformat(),
    }


def publish_summary(view: TeamQuarter) -> None:
    """Attach :func:`report_summary` of ``view`` to the notebook; shows nothing on the page."""
    from IPython.display import display

    display({SUMMARY_MIME: report_summary(view)}, raw=True)


def tables_in(nb: NotebookNode) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield ``(name, table)`` for every table an executed report published, in page order."""
    import pandas as pd

    for payload in _payloads(nb, TABLE_MIME):
        frame = pd.DataFrame(payload.get("data", []), columns=payload.get("columns"))
        yield str(payload["name"]), frame


def summary_in(nb: NotebookNode) -> dict[str, Any] | None:
    """The last summary an executed report published, or ``None``."""
    found = list(_payloads(nb, SUMMARY_MIME))
    return dict(found[-1]) if found else None


def _payloads(nb: NotebookNode, mime: str) -> Iterator[dict]:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            if mime in data and isinstance(data[mime], dict):
                yield data[mime]
