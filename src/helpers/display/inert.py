"""Text from the data stays text wherever it lands: in a chart and in a spreadsheet cell.

Two rules, each kept here and used everywhere:

- **Charts**: matplotlib reads a text between two ``$`` as math (``Save $50 & win $`` fails to
  draw, ``US$ 5k-$10k`` comes out in italics). :func:`literal_chart_text` turns that off for
  every text artist (tick labels, legends, titles, annotations) through matplotlib's
  ``text.parse_math`` setting; importing :mod:`helpers.display.plots` applies it, and every
  chart of the package is drawn with that module imported.
- **Spreadsheets** (the OWASP CSV-injection rule): a cell that begins with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return is a formula to Excel, LibreOffice and Google Sheets, so
  :func:`spreadsheet_cell` prefixes such a string with a single quote. Only strings change:
  a negative amount stays a number. Every CSV and XLSX export (report tables, explorer
  exports, workshop answers, ``workbook metrics --format csv``) goes through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""


def spreadsheet_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will show it, never run it: a formula-like string gets a ``'``.

    Examples
    --------
    >>> print(spreadsheet_cell('=HYPERLINK("http://x")'))
    '=HYPERLINK("http://x")
    >>> spreadsheet_cell("-5k"), spreadsheet_cell(-5), spreadsheet_cell("US$ 5k")
    ("'-5k", -5, 'US$ 5k')
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def spreadsheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names pass :func:`spreadsheet_cell`.

    Number, date and boolean columns are returned as they are; in a text column only the
    strings change (missing values stay missing).

    Examples
    --------
    >>> import pandas as pd
    >>> out = spreadsheet_frame(pd.DataFrame({"=x": ["@a", "b", "+1"], "n": [-1, 2, 3]}))
    >>> list(out.columns), out["'=x"].tolist(), out["n"].tolist()
    (["'=x", 'n'], ["'@a", 'b', "'+1"], [-1, 2, 3])
    """
    import pandas as pd

    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            out.isetitem(position, column.map(spreadsheet_cell, na_action="ignore"))
    if isinstance(out.columns, pd.MultiIndex):
        names = [tuple(spreadsheet_cell(part) for part in name) for name in out.columns]
        out.columns = pd.MultiIndex.from_tuples(names, names=out.columns.names)
    else:
        out.columns = [spreadsheet_cell(name) for name in out.columns]
    return out


def literal_chart_text() -> None:
    """Draw every later matplotlib text literally: a ``$`` is a dollar sign, never math.

    Sets matplotlib's ``text.parse_math`` to False; a text artist reads it when it is made,
    so titles, labels, legends, annotations and tick labels made afterwards are all literal.
    """
    import matplotlib as mpl

    mpl.rcParams["text.parse_math"] = False
