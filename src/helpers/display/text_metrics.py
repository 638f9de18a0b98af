"""Text measured once per process, not once per figure and renderer.

matplotlib keeps the size of every text it lays out in a cache keyed by the renderer object
(``matplotlib.text._get_text_metrics_with_cache``). A report makes two renderers per figure
(one that :func:`~helpers.display.plots.lay_out` measures with, one that writes the SVG) and
sixteen figures, so the same tick labels ("0%", "2026Q1", "€1.2M") are measured by FreeType
again and again: a fifth of drawing a chart. :class:`TextMetrics` keeps the sizes per kind of
renderer instead; for one kind, the size of a text depends only on the text, its font
properties, the fonts its family names stand for, the dpi and the hinting settings, which
are all in the key.

matplotlib's own tests replace the same function to fix text sizes, so it is a known seam;
if a matplotlib release drops it, :meth:`TextMetrics.install` leaves matplotlib as it is.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib as mpl
import matplotlib.text as mtext

_HINTING = ("text.hinting", "text.hinting_factor", "text.usetex")
"""rcParams that change a text's measured size for given font properties and dpi."""

_FAMILIES = (
    "font.family",
    "font.sans-serif",
    "font.serif",
    "font.monospace",
    "font.cursive",
    "font.fantasy",
)
"""rcParams that decide which font file a family name such as ``sans-serif`` means."""


class TextMetrics:
    """Sizes of texts, kept per kind of renderer for the life of the process.

    Parameters
    ----------
    limit : int
        Sizes kept; the cache starts afresh beyond (a report holds a few hundred).
    """

    def __init__(self, limit: int = 8192):
        self.limit = limit
        self._sizes: dict[tuple, tuple[float, float, float]] = {}
        self._original: Callable | None = None

    def measure(self, renderer, text: str, fontprop, ismath, dpi: float):
        """``renderer.get_text_width_height_descent``, computed once per key."""
        key = (
            type(renderer),
            text,
            fontprop.copy(),  # FontProperties is mutable: keep the key's own copy
            ismath,
            dpi,
            *(mpl.rcParams[name] for name in _HINTING),
            *(tuple(mpl.rcParams[name]) for name in _FAMILIES),
        )
        size = self._sizes.get(key)
        if size is None:
            if len(self._sizes) >= self.limit:
                self._sizes.clear()
            size = self._sizes[key] = renderer.get_text_width_height_descent(text, fontprop, ismath)
        return size

    def install(self) -> bool:
        """Make matplotlib measure texts through this object; False if it cannot be done."""
        current = getattr(mtext, "_get_text_metrics_with_cache", None)
        if current is None or self._original is not None:
            return False
        self._original = current
        mtext._get_text_metrics_with_cache = self.measure
        return True

    def uninstall(self) -> None:
        """Give matplotlib its own cache back."""
        if self._original is not None:
            mtext._get_text_metrics_with_cache = self._original
            self._original = None


def share_text_metrics() -> TextMetrics | None:
    """Install one :class:`TextMetrics` for the process (once); the installed one, if any."""
    current = getattr(mtext, "_get_text_metrics_with_cache", None)
    owner = getattr(current, "__self__", None)
    if isinstance(owner, TextMetrics):
        return owner
    metrics = TextMetrics()
    return metrics if metrics.install() else None
