"""The day/month order of a file's slashed dates, as the file's date columns settle it.

An export writes every date in one locale. A column whose own slashed dates could be read
either way (``2/10/2026``) takes the order that the file's other date columns settle
(``13/2/2026`` can only be day-first); when they settle none, or both, there is no order.
"""

from __future__ import annotations

import re

import pandas as pd

_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(?:\d{4}|\d{2})(?!\d)")
# A date that settles each order, added to a column whose own dates do not (dropped after).
ORDER_SENTINELS = {"M/D": "1/13/2000", "D/M": "13/1/2000"}


def slash_evidence(values) -> tuple[bool, bool, bool]:
    """Whether slashed dates occur, and whether some can only be day-first / month-first."""
    slashed = day_first = month_first = False
    for value in pd.unique(pd.Series(values, dtype=object)):
        match = _SLASHED.match(str(value))
        if match:
            first, second = int(match[1]), int(match[2])
            slashed = True
            day_first |= first > 12
            month_first |= second > 12
    return slashed, day_first, month_first


def _slash_order(values) -> str | None:
    """``"M/D"``, ``"D/M"`` or ``None`` (nothing settles it, or both orders occur)."""
    _, day_first, month_first = slash_evidence(values)
    if day_first == month_first:
        return None
    return "D/M" if day_first else "M/D"


def file_slash_order(frame: pd.DataFrame) -> str | None:
    """The one day/month order that the slashed dates of a file's columns settle, if any."""
    orders = set()
    for name in frame.columns:
        column = frame[name]
        filled = column[column != ""]
        # Only columns that start like a slashed date are looked at in full.
        if len(filled) and _SLASHED.match(str(filled.iloc[0])):
            orders.add(_slash_order(column))
    orders.discard(None)
    return orders.pop() if len(orders) == 1 else None
