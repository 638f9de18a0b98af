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

Each layout of a text also reads its font's height (ascent, descent, line gap) from the
font file's tables: the font is looked up and two tables are read for every tick label in
every draw, about as much again as measuring. A renderer that has
``_get_font_height_metrics(prop)`` is asked instead (matplotlib's hook for its PDF and
PostScript renderers); :meth:`TextMetrics.install` gives the Agg and SVG renderers one that
computes the same numbers from the same tables, once per font, size and dpi
(:meth:`TextMetrics.font_heights`).
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib as mpl
import matplotlib.text as mtext
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.font_manager import fontManager, get_font

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

_HEIGHT_HOOK = "_get_font_height_metrics"
"""The renderer method ``Text._get_layout`` asks for a font's ascent, descent and line gap."""

_HEIGHT_TABLES = (
    ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
    ("hhea", "lineGap", "ascent", "descent"),
)
"""The font tables ``Text._get_layout`` reads them from, in its order: (table, gap, up, down)."""

_SVG_DPI = 72.0
"""An SVG is drawn at 72 dpi: ``print_svg`` sets the figure's dpi to 72 while it draws."""


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
        self._heights: dict[tuple, tuple[float | None, float | None, float | None]] = {}
        self._original: Callable | None = None
        self._hooked: list[type] = []

    def measure(self, renderer, text: str, fontprop, ismath, dpi: float):
        """``renderer.get_text_width_height_descent``, computed once per key."""
        key = (
            type(renderer),
            text,
            fontprop,  # compared by value; a kept key holds its own copy (it is mutable)
            ismath,
            dpi,
            *(mpl.rcParams[name] for name in _HINTING),
            *(tuple(mpl.rcParams[name]) for name in _FAMILIES),
        )
        size = self._sizes.get(key)
        if size is None:
            if len(self._sizes) >= self.limit:
                self._sizes.clear()
            size = renderer.get_text_width_height_descent(text, fontprop, ismath)
            self._sizes[(*key[:2], fontprop.copy(), *key[3:])] = size
        return size

    def font_heights(self, prop, dpi: float) -> tuple[float | None, float | None, float | None]:
        """Ascent, descent and line gap of ``prop``'s font at ``dpi``, as a text lays out.

        The numbers ``Text._get_layout`` reads from the font's OS/2 (else hhea) table and
        scales by the size and dpi, by the same arithmetic; ``(None, None, None)`` for a font
        with neither table (matplotlib then measures the font itself, as it would).
        """
        key = (prop, dpi, *(tuple(mpl.rcParams[name]) for name in _FAMILIES))
        heights = self._heights.get(key)
        if heights is None:
            if len(self._heights) >= self.limit:
                self._heights.clear()
            heights = (None, None, None)
            font = get_font(fontManager._find_fonts_by_props(prop))
            for table_name, gap, ascent, descent in _HEIGHT_TABLES:
                table = font.get_sfnt_table(table_name)
                if table is None:
                    continue
                units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
                scale = 1 / units_per_em * prop.get_size_in_points() * dpi / 72
                heights = (table[ascent] * scale, -table[descent] * scale, table[gap] * scale)
                break
            self._heights[(prop.copy(), *key[1:])] = heights
        return heights

    def install(self) -> bool:
        """Make matplotlib measure texts through this object; False if it cannot be done."""
        current = getattr(mtext, "_get_text_metrics_with_cache", None)
        if current is None or self._original is not None:
            return False
        self._original = current
        mtext._get_text_metrics_with_cache = self.measure
        metrics = self

        def agg_heights(renderer, prop):
            return metrics.font_heights(prop, renderer.dpi)

        def svg_heights(renderer, prop):
            return metrics.font_heights(prop, _SVG_DPI)

        for renderer, hook in ((RendererAgg, agg_heights), (RendererSVG, svg_heights)):
            if not hasattr(renderer, _HEIGHT_HOOK):  # a matplotlib with its own: leave it
                setattr(renderer, _HEIGHT_HOOK, hook)
                self._hooked.append(renderer)
        return True

    def uninstall(self) -> None:
        """Give matplotlib its own cache and font tables back."""
        if self._original is not None:
            mtext._get_text_metrics_with_cache = self._original
            self._original = None
        for renderer in self._hooked:
            delattr(renderer, _HEIGHT_HOOK)
        self._hooked.clear()


def share_text_metrics() -> TextMetrics | None:
    """Install one :class:`TextMetrics` for the process (once); the installed one, if any."""
    current = getattr(mtext, "_get_text_metrics_with_cache", None)
    owner = getattr(current, "__self__", None)
    if isinstance(owner, TextMetrics):
        return owner
    metrics = TextMetrics()
    return metrics if metrics.install() else None
