"""Explorer notebooks' logic: interactive funnel, channel and cohort views with exports.

Each explorer is built once from a loaded :class:`~helpers.analysis.workbook.Workbook`; its controls
(ipywidgets) redraw one reused chart and one table, and every table can be exported to CSV or
Excel in a file named after its filters. Nothing here runs at import time; the modules load
on first use::

    from helpers.explore import build_funnel_explorer, load_workbook
    explorer = build_funnel_explorer(load_workbook("../../data/sample"), team="na-smb")
    explorer.display()
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "build_channel_explorer": "channels",
    "build_cohort_explorer": "cohorts",
    "build_funnel_explorer": "funnel",
    "data_directory": "common",
    "load_workbook": "common",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Load a public name's module on first access (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'helpers.explore' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
