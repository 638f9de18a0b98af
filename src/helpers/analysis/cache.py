"""What one process keeps loaded between reports: workbooks and data-source catalogues.

A report kernel renders report after report from one data source, so it keeps the last
workbooks it loaded (with their per-lead tables) and the source's catalogue (teams, quarters,
whole-data facts), and reuses them while the source is unchanged. The cache is an object owned
by :class:`~helpers.analysis.workbook.Workbook` (``Workbook.cache``), not module state, so a
test or a long-lived server can give itself a fresh one.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TypeVar

from ..data.dataset import Dataset
from ..data.source import DataSource

T = TypeVar("T")


class SourceCache:
    """The last ``keep`` loaded workbooks and the catalogue of the last source asked about.

    Parameters
    ----------
    keep : int
        Loaded workbooks to keep. Two: a team report alternates between its team's rows and
        every team's rows of the quarter (a database read in part); files are read whole.
    """

    def __init__(self, keep: int = 2):
        self.keep = keep
        self._loaded: OrderedDict[Hashable, object] = OrderedDict()
        self._catalogues: dict[Hashable, Dataset] = {}

    def catalogue(self, source: DataSource | str | Path) -> Dataset:
        """Teams, quarters and whole-data facts of ``source`` (asked once per source state)."""
        source = DataSource.of(source)
        key = source.state()
        if key not in self._catalogues:
            self._catalogues.clear()
            self._catalogues[key] = source.catalogue()
        return self._catalogues[key]

    def forget_catalogues(self) -> None:
        """Ask the source afresh next time (a fresh, not reused, load does this)."""
        self._catalogues.clear()

    def loaded(self, key: Hashable, build: Callable[[], T]) -> T:
        """The value kept under ``key``, else ``build()`` kept as the most recent one."""
        if key in self._loaded:
            self._loaded.move_to_end(key)
        else:
            while len(self._loaded) >= self.keep:
                self._loaded.popitem(last=False)
            self._loaded[key] = build()
        return self._loaded[key]  # type: ignore[return-value]

    def clear(self) -> None:
        """Drop everything kept."""
        self._loaded.clear()
        self._catalogues.clear()
