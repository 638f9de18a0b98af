"""Texts measured once per process: the same sizes as matplotlib's, fewer measurements."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import matplotlib.text as mtext
import pytest
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.font_manager import FontProperties

from helpers.display import plots
from helpers.display.text_metrics import TextMetrics, share_text_metrics


def _chart(title: str, dpi: float = 100):
    fig, ax = plt.subplots(figsize=(4, 3), dpi=dpi)
    ax.plot([1, 2, 3], [0.1, 0.5, 0.3])
    ax.set_title(title)
    ax.set_xlabel("Fiscal quarter")
    ax.text(1.5, 0.2, "two\nlines", fontsize=13)  # a line gap
    return fig


def _matplotlib_alone(monkeypatch):
    """Take out what a report style in this process installed; matplotlib's own cache."""
    current = mtext._get_text_metrics_with_cache
    owner = getattr(current, "__self__", None)
    original = owner._original if isinstance(owner, TextMetrics) else current
    monkeypatch.setattr(mtext, "_get_text_metrics_with_cache", original)
    for renderer in (RendererAgg, RendererSVG):
        monkeypatch.delattr(renderer, "_get_font_height_metrics", raising=False)
    return original


def test_sizes_are_the_renderers_own_and_a_second_figure_measures_nothing_again(monkeypatch):
    calls = []
    measure = RendererAgg.get_text_width_height_descent

    def counted(self, text, prop, ismath):
        calls.append(text)
        return measure(self, text, prop, ismath)

    monkeypatch.setattr(RendererAgg, "get_text_width_height_descent", counted)
    metrics = TextMetrics()
    monkeypatch.setattr(mtext, "_get_text_metrics_with_cache", metrics.measure)
    first = _chart("Won revenue")
    first.canvas.draw()
    measured = len(calls)
    assert measured > 5  # tick labels, title, axis label
    second = _chart("Won revenue")  # same texts, new figure and renderer
    second.canvas.draw()
    assert len(calls) == measured  # nothing measured again
    # Independent: the renderer itself, without any cache.
    renderer = second.canvas.get_renderer()
    prop = second.axes[0].title.get_fontproperties()
    key_size = metrics.measure(renderer, "Won revenue", prop, False, second.dpi)
    assert key_size == measure(renderer, "Won revenue", prop, False)
    # A bigger font is another key, with a bigger size.
    big = prop.copy()
    big.set_size(prop.get_size() * 2)
    assert metrics.measure(renderer, "Won revenue", big, False, second.dpi)[0] > key_size[0]
    plt.close("all")


def test_the_same_svg_with_and_without_shared_metrics(monkeypatch):
    def svg() -> bytes:
        fig = _chart("Pipeline <created> & won")
        buffer = io.BytesIO()
        with plt.rc_context(plots.REPORT_RC):
            fig.savefig(buffer, format="svg", metadata={"Date": None})
        plt.close(fig)
        return buffer.getvalue()

    original = _matplotlib_alone(monkeypatch)
    plain = svg()  # matplotlib's own cache and font tables
    metrics = TextMetrics()
    assert metrics.install() is True
    try:
        assert mtext._get_text_metrics_with_cache == metrics.measure
        assert svg() == plain
        assert svg() == plain  # from the kept sizes this time
    finally:
        metrics.uninstall()
    assert mtext._get_text_metrics_with_cache is original
    assert not hasattr(RendererSVG, "_get_font_height_metrics")


def test_font_heights_are_the_font_tables_scaled_by_size_and_dpi():
    # By hand: DejaVu Sans (shipped with matplotlib) has 2048 units per em and, in its OS/2
    # table, ascender 1556, descender -492 and line gap 410; at 10 pt and 72 dpi one unit is
    # 10 / 2048 of a pixel.
    prop = FontProperties(family="DejaVu Sans", size=10)
    metrics = TextMetrics()
    assert metrics.font_heights(prop, 72.0) == pytest.approx((7.59765625, 2.40234375, 2.001953125))
    assert metrics.font_heights(prop, 144.0) == pytest.approx((15.1953125, 4.8046875, 4.00390625))
    bigger = prop.copy()
    bigger.set_size(20)
    assert metrics.font_heights(bigger, 72.0)[0] == pytest.approx(2 * 7.59765625)
    assert metrics.font_heights(prop, 72.0)[0] == pytest.approx(7.59765625)  # kept, unchanged


@pytest.mark.parametrize("dpi", [72, 100, 150], ids=["72dpi", "100dpi", "150dpi"])
def test_texts_lay_out_the_same_with_and_without_the_kept_font_heights(monkeypatch, dpi):
    def extents() -> list:
        fig = _chart("A title\non two lines", dpi=dpi)
        renderer = fig.canvas.get_renderer()
        texts = [fig.axes[0].title, fig.axes[0].texts[0], fig.axes[0].xaxis.label]
        boxes = [tuple(t.get_window_extent(renderer).bounds) for t in texts]
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=dpi)
        plt.close(fig)
        return [boxes, png.getvalue()]

    _matplotlib_alone(monkeypatch)
    plain = extents()
    metrics = TextMetrics()
    metrics.install()
    try:
        assert hasattr(RendererAgg, "_get_font_height_metrics")
        assert extents() == plain
    finally:
        metrics.uninstall()


def test_share_text_metrics_installs_one_for_the_process(monkeypatch):
    monkeypatch.setattr(mtext, "_get_text_metrics_with_cache", mtext._get_text_metrics_with_cache)
    first = share_text_metrics()
    second = share_text_metrics()
    assert isinstance(first, TextMetrics) and second is first
    assert mtext._get_text_metrics_with_cache == first.measure


def test_a_full_cache_starts_afresh():
    metrics = TextMetrics(limit=2)
    fig = _chart("x")
    renderer = fig.canvas.get_renderer()
    prop = fig.axes[0].title.get_fontproperties()
    for text in ("a", "b", "c"):
        metrics.measure(renderer, text, prop, False, fig.dpi)
    assert len(metrics._sizes) == 1
    plt.close(fig)


def test_a_new_sans_serif_font_is_measured_again():
    # Independent: the renderer's own measurement under each setting.
    from matplotlib.font_manager import FontProperties

    metrics = TextMetrics()
    fig = _chart("x")
    renderer = fig.canvas.get_renderer()
    prop = FontProperties(family="sans-serif", size=12)
    sizes = []
    for font in ("DejaVu Sans", "DejaVu Sans Mono"):
        with plt.rc_context({"font.sans-serif": [font]}):
            size = metrics.measure(renderer, "Won revenue", prop, False, fig.dpi)
            assert size == renderer.get_text_width_height_descent("Won revenue", prop, False)
            sizes.append(size[0])
    assert sizes[0] != sizes[1]  # the kept size of the first font was not reused
    plt.close(fig)
