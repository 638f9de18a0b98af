"""Report building blocks: HTML pieces (escaped), seaborn-shaped plot helpers, view additions.

Plot tests inspect the artists, not pixels.
"""

from __future__ import annotations

import math
import re
import shutil

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import TINY

from helpers import AlignmentIndex, Rate, Workbook
from helpers.analysis.comparison import kpi_long, rank_kpis, team_ranking
from helpers.display import html as rh
from helpers.display import plots

SPEC = {
    "mqls": ("MQLs", "higher", "count"),
    "win_rate": ("Win rate", "higher", "rate"),
}
EVIL = "<script>alert('x')</script>"


# --- HTML ----------------------------------------------------------------------------------


def test_bullet_list_escapes_every_item():
    html = rh.bullet_list(["a < b", EVIL])
    assert html == (
        '<ul class="aw-points"><li>a &lt; b</li>'
        "<li>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;</li></ul>"
    )


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (0.25, "rate", "25.0%"),
        (Rate(1, 4), "rate", "25.0%"),
        (-0.4019, "growth", "-40.2%"),
        (0.053, "growth", "+5.3%"),
        (1234.5, "amount", "€1,234"),
        (41.75, "days", "41.8 days"),
        (3.98, "rating", "3.98 / 5"),
        (12, "count", "12"),
        (math.nan, "amount", "n/a"),
        (None, "rate", "n/a"),
        ("2026-06", "text", "2026-06"),
    ],
    ids=[
        "rate",
        "Rate",
        "growth-",
        "growth+",
        "amount",
        "days",
        "rating",
        "count",
        "nan",
        "none",
        "text",
    ],
)
def test_figure_text(value, kind, expected):
    assert rh.figure_text(value, kind, "EUR") == expected


def test_figure_table_gives_rates_their_counts_and_interval():
    table = rh.figure_table(
        [("Win rate", Rate(8, 10), "rate"), ("Deal", 1000.0, "amount"), ("Cycle", None, "days")],
        "EUR",
    )
    expected = pd.DataFrame(
        {
            "figure": ["Win rate", "Deal", "Cycle"],
            "value": ["80.0%", "€1,000", "n/a"],
            # Wilson 8/10: 49.0 %–94.3 % (stats.wilson_interval docstring).
            "detail": ["8/10, 95% CI 49.0%–94.3% ⚠ small sample (n < 30)", "", ""],
        }
    )
    pd.testing.assert_frame_equal(table, expected)


def test_kpi_matrix_and_ranking_table_format_by_kind_and_escape_names():
    values = {"a": {"mqls": 10.0, "win_rate": Rate(1, 2)}, "b": {"mqls": 30.0}}
    long = rank_kpis(kpi_long(values, kpis=SPEC))
    matrix = rh.kpi_matrix(long, row="team", rank=True)
    expected = pd.DataFrame(
        {"team": ["a", "b"], "MQLs": ["10 (#2)", "30 (#1)"], "Win rate": ["50.0% (#1)", "n/a"]}
    )
    pd.testing.assert_frame_equal(matrix, expected)
    ranking = team_ranking(long, {"a": EVIL, "b": "B & co"})
    html = rh.ranking_table(ranking, long)
    assert "<script>" not in html and "&lt;script&gt;" in html and "B &amp; co" in html
    # b: rank 1 on MQLs only (mean 1); a: (2 + 1) / 2 = 1.5.
    assert html.index("B &amp; co") < html.index("&lt;script&gt;")
    assert "1.50" in html


def test_alignment_index_html_shows_value_components_and_missing():
    table = pd.DataFrame(
        {
            "component": ["sla_compliance"],
            "label": ["SLA <compliance>"],
            "raw": [0.5],
            "target": [np.nan],
            "score": [0.5],
            "weight": [1.0],
            "contribution": [50.0],
        }
    )
    missing = pd.DataFrame(
        {
            "component": ["feedback_coverage"],
            "label": ["Feedback coverage"],
            "raw": [np.nan],
            "target": [np.nan],
            "score": [np.nan],
            "weight": [0.0],
            "contribution": [0.0],
        }
    )
    both = pd.concat([table, missing], ignore_index=True)
    html = rh.alignment_index_html(AlignmentIndex(50.0, both, ("feedback_coverage",)))
    assert "50.0 / 100" in html
    assert "SLA &lt;compliance&gt;" in html
    assert "Left out (no data): Feedback coverage; the other weights" in html
    assert "n/a / 100" in rh.alignment_index_html(AlignmentIndex(math.nan, table))


def test_optional_tables_note():
    assert "Optional tables not in this data: spend, revenue;" in rh.optional_tables_note(
        ["spend", "revenue"]
    )
    assert "Every optional table is in this data" in rh.optional_tables_note([])


# --- plots ---------------------------------------------------------------------------------

LONG = pd.DataFrame(
    {
        "team": ["a", "b", "a", "b"],
        "label": ["Win rate", "Win rate", "MQLs", "MQLs"],
        "kind": ["rate", "rate", "count", "count"],
        "value": [0.5, 0.25, 10.0, np.nan],
        "ci_low": [0.2, 0.1, np.nan, np.nan],
        "ci_high": [0.8, 0.5, np.nan, np.nan],
    }
)


def test_kpi_bars_draws_one_bar_per_team_with_intervals_for_rates():
    ax = plots.kpi_bars(LONG[LONG["label"] == "Win rate"], order=["b", "a"])
    widths = [p.get_width() for p in ax.patches]
    assert widths == [0.25, 0.5]  # in the order asked for
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "a"]
    assert len(ax.lines) + len(ax.collections) > 0  # the error bars
    assert [t.get_text() for t in ax.texts] == [" 25%", " 50%"]
    assert ax.get_xlabel() == "Rate"


def test_kpi_bars_shows_missing_values_as_na():
    ax = plots.kpi_bars(LONG[LONG["label"] == "MQLs"])
    assert [t.get_text() for t in ax.texts] == [" 10", " n/a"]
    assert ax.get_xlabel() == "Count"


def test_kpi_line_and_panels():
    trend = pd.DataFrame(
        {
            "quarter": ["2026Q1", "2026Q2", "2026Q3"] * 2,
            "label": ["Win rate"] * 3 + ["Pipeline"] * 3,
            "kind": ["rate"] * 3 + ["amount"] * 3,
            "value": [0.2, 0.3, 0.25, 1e6, 2e6, 1.5e6],
            "ci_low": [0.1, 0.2, 0.15] + [np.nan] * 3,
            "ci_high": [0.3, 0.4, 0.35] + [np.nan] * 3,
        }
    )
    axes = plots.kpi_panels(trend, draw=plots.kpi_line, col_wrap=3)
    assert [ax.get_title() for ax in axes] == ["Win rate", "Pipeline"]
    assert len(axes[0].figure.axes) == 2  # the unused third cell is removed
    line = axes[1].lines[0]
    assert list(line.get_ydata()) == [1e6, 2e6, 1.5e6]
    assert [t.get_text() for t in axes[1].get_xticklabels()] == ["2026Q1", "2026Q2", "2026Q3"]
    assert axes[0].collections  # the interval band
    assert axes[0].get_ylim() == (0, 1.02)


def test_value_bars_leave_out_total_and_nan_and_mark_zero_for_negatives():
    data = pd.DataFrame(
        {"channel": ["email", "events", "outbound", "total"], "roi": [2.0, -1.0, np.nan, 1.0]}
    )
    fig, ax = plt.subplots()
    plots.value_bars(data, x="roi", y="channel", kind="rate", ax=ax)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["email", "events"]
    assert [p.get_width() for p in ax.patches] == [2.0, -1.0]
    assert ax.get_xlim()[0] < 0
    assert any(line.get_xdata()[0] == 0 for line in ax.lines)  # the zero line


def test_attribution_bars_one_bar_per_channel_and_model():
    wide = pd.DataFrame(
        {"first_touch": [3.0, 1.0, 0.5], "linear": [2.0, 2.0, 0.5]},
        index=pd.Index(["paid_search", "email", "events"], name="channel"),
    )
    ax = plots.attribution_bars(wide, top=2)
    heights = sorted(p.get_width() for p in ax.patches if p.get_width() > 0)
    assert heights == [1.0, 2.0, 2.0, 3.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["first_touch", "linear"]


# --- view additions ------------------------------------------------------------------------


def test_attribution_models_and_channel_efficiency_on_tiny():
    view = Workbook.load(TINY).view("north", "2026Q3")
    wide = view.attribution_models()
    # No touches: O1 (1000, L1 paid_search) and O2 (500, L4 outbound) fall back to their lead.
    assert wide.index.tolist() == ["paid_search", "outbound"]
    assert (wide["linear"] == [1000.0, 500.0]).all() and (
        wide["time_decay"] == wide["linear"]
    ).all()
    assert view.attribution_models(basis="revenue").sum().tolist() == [1000.0] * 6
    assert view.channel_efficiency() is None


def test_time_decay_half_life_comes_from_workbook_toml(tmp_path):
    # L1 has two touches before O1 (created 6 Jul 10:00): paid_social 29 Jun 10:00 and
    # paid_search 6 Jul 10:00, 7 days apart. Weight 2^(−7/half-life) for the older one:
    # half-life 3.5 → 0.25 : 1 → 200 and 800 of O1's 1000; half-life 7 → 1/3 and 2/3.
    data = tmp_path / "tiny"
    shutil.copytree(TINY, data)
    (data / "touches.csv").write_text(
        "lead_id,at,campaign_id,channel\n"
        "L1,2026-06-29T10:00:00,C9,paid_social\n"
        "L1,2026-07-06T10:00:00,C1,paid_search\n"
    )
    view = Workbook.load(data).view("north", "2026Q3")
    amounts = view.attribution_models()["time_decay"]
    assert amounts["paid_social"] == pytest.approx(1000 / 3)
    with (data / "workbook.toml").open("a") as toml:
        toml.write("\n[attribution]\nhalf_life_days = 3.5\n")
    view = Workbook.load(data).view("north", "2026Q3")
    amounts = view.attribution_models()["time_decay"]
    assert amounts["paid_social"] == pytest.approx(200.0)
    assert amounts["paid_search"] == pytest.approx(800.0)
    assert view.attribution("time_decay").table.set_index("channel")["amount"][
        "paid_social"
    ] == pytest.approx(200.0)


# --- One number format, captions, human column names ----------------------------------------


def test_table_html_writes_one_number_format_with_a_caption():
    frame = pd.DataFrame(
        {
            "source_type": ["marketing", "sales<b>"],
            "opportunities": [1234.0, 5.0],  # whole numbers held as floats: counts
            "amount": [1234567.8, math.nan],
            "missing_amount": [2, 0],  # a count of deals, not money
            "share": [0.0659, 0.5],  # 623 of 9,459 → 6.6 %, never 0.1
            "median_days": [12.25, 3.0],
        }
    )
    html = rh.table_html(frame, caption="Pipeline <by> source", currency="EUR", total=9)
    assert html.startswith('<div class="aw-table-wrap"><table')
    assert "<caption>Pipeline &lt;by&gt; source (top 2 of 9 shown)</caption>" in html
    headers = re.findall(r"<th>(.*?)</th>", html)
    assert headers == [
        "Source",
        "Opportunities",
        "Amount",
        "Without an amount",
        "Share",
        "Median days",
    ]
    cells = re.findall(r"<td>(.*?)</td>", html)
    assert cells == [
        "marketing", "1,234", "€1,234,568", "2", "6.6%", "12.2",
        "sales&lt;b&gt;", "5", "", "0", "50.0%", "3.0",
    ]  # fmt: skip


def test_table_html_says_nothing_about_a_cut_when_every_row_is_shown():
    html = rh.table_html(pd.DataFrame({"n": [1, 2]}), caption="All", total=2)
    assert "<caption>All</caption>" in html


@pytest.mark.parametrize(
    ("value", "kind", "short", "expected"),
    [
        (8_219_394.0, "amount", True, "€8.22M"),
        (2_067_131.0, "amount", True, "€2.07M"),
        (845_300.0, "amount", True, "€845K"),
        (5_075.0, "amount", True, "€5,075"),
        (8_219_394.0, "amount", False, "€8,219,394"),
        (-1_390_000.0, "amount", True, "−€1.39M"),
        (12_345.0, "count", True, "12.3K"),
        (981.0, "count", True, "981"),
        (0.782, "rate", True, "78.2%"),
        (5.25, "hours", True, "5.2 h"),
        (math.nan, "amount", True, "n/a"),
    ],
    ids=lambda v: str(v),
)
def test_format_value_abbreviates_tiles_from_ten_thousand(value, kind, short, expected):
    assert rh.format_value(value, kind, "EUR", short=short) == expected


def test_currency_symbols_come_from_the_configured_code():
    assert rh.money(1500, "GBP") == "£1,500"
    assert rh.money(1500, "SEK") == "SEK 1,500"
    assert rh.money(1500, "") == "1,500"


def test_sparkline_draws_the_values_and_the_target():
    # Values 1, 3, NaN, 2 and target 4 on a 100 × 20 box with 3 px padding: the scale runs
    # from 1 to 4 (the target is kept in view); x steps (100 − 6) / 3 = 31.33 px.
    svg = rh.sparkline([1, 3, math.nan, 2], target=4, width=100, height=20, title="a<b")
    # y = 20 − 3 − (v − 1) / 3 × 14: v=1 → 17.0, v=3 → 7.7, v=2 → 12.3, target 4 → 3.0.
    assert '<polyline points="3.0,17.0 34.3,7.7"' in svg  # the gap breaks the line
    assert '<circle cx="97.0" cy="12.3"' in svg  # the last value is a dot
    assert 'y1="3.0" y2="3.0"' in svg and "stroke-dasharray" in svg
    assert "<title>a&lt;b</title>" in svg
    assert rh.sparkline([1.0]) == ""  # one value is no line


def test_review_page_lists_at_most_the_points_given_and_links_the_sections():
    page = rh.review_page(
        title="North <Pod> · 2026Q3",
        subtitle="s",
        index_html="",
        tiles_html="",
        points=["first <point>", "second"],
        more_points=3,
        sections=[("funnel", "2. Funnel")],
    )
    assert "<h1>North &lt;Pod&gt; · 2026Q3</h1>" in page
    assert (
        '<ol class="aw-points" start="1"><li>first &lt;point&gt;</li><li>second</li></ol>' in page
    )
    assert '<a href="#talking-points">3 more talking points</a>' in page
    assert '<a href="#funnel">2. Funnel</a>' in page


def _kpi(metric, label, kind, value, target=math.nan, rag="none", note="", **changes):
    row = {
        "metric": metric, "label": label, "kind": kind, "value": value, "target": target,
        "rag": rag, "note": note, "change_previous": math.nan, "significant_previous": False,
        "change_year": math.nan, "significant_year": False,
    }  # fmt: skip
    return row | changes


def test_review_tiles_show_value_change_target_status_and_sparkline():
    kpis = pd.DataFrame(
        [
            _kpi("sla", "SLA <compliance>", "rate", 0.312, 0.85, "red",
                 change_previous=-0.043, significant_previous=True, change_year=0.02),
            _kpi("pipe", "Pipeline created", "amount", 8_219_394.0, 8_740_000.0, "amber",
                 note="from 412 of 530 opportunities; 118 without an amount",
                 change_previous=-2_090_000.0),
            _kpi("spend", "CAC", "amount", math.nan,
                 note="not in this data: no spend table"),
        ]
    )  # fmt: skip
    trend = pd.DataFrame(
        {"quarter": ["2026Q1", "2026Q2", "2026Q3"] * 2, "metric": ["sla"] * 3 + ["pipe"] * 3,
         "value": [0.3, 0.35, 0.312, 7e6, 1.03e7, 8.2e6]}
    )  # fmt: skip
    html = rh.review_tiles(kpis, trend, currency="EUR", previous="2026Q2", year="2025Q3")
    tiles = html.split('<div class="aw-tile aw-compact"')[1:]
    assert len(tiles) == 3
    sla, pipe, cac = tiles
    assert '<div class="aw-label">SLA &lt;compliance&gt;</div>' in sla
    assert '<div class="aw-value">31.2%</div>' in sla
    assert "2026Q2 -4.3 pp*</span>" in sla and "2025Q3 +2.0 pp</span>" in sla
    assert "target 85.0%" in sla and "■ off target" in sla and "aw-spark" in sla
    assert '<div class="aw-value">€8.22M</div>' in pipe
    assert "2026Q2 −€2.09M</span>" in pipe and "2025Q3 n/a</span>" in pipe
    assert "target €8.74M" in pipe and "▲ near target" in pipe
    assert "⚠ from 412 of 530 opportunities; 118 without an amount" in pipe
    assert '<div class="aw-value">not in this data</div>' in cac
    assert "no spend table" in cac and "no target set" in cac and "aw-spark" not in cac


def test_table_html_marks_columns_of_words_to_read_left_aligned():
    frame = pd.DataFrame(
        {
            "rank": [1, 2],
            "team": ["North America SMB", "EMEA Enterprise"],  # words
            "count_and_interval": ["756 of 967; 75.5%–80.7%", "1 of 2"],  # figures as text
            "change": ["−€2.09M", "+0.5 pp"],
            "status": ["▲ near target", ""],  # words, one blank
        }
    )
    html = rh.table_html(frame, caption="Teams")
    (classes,) = re.findall(r'<table[^>]* class="([^"]*)"', html)
    assert classes.split() == ["dataframe", "aw-table", "aw-left-2", "aw-left-5"]


def test_review_tiles_say_a_relative_target_with_its_change_and_basis_quarter():
    # CAC 9,297 against -15 % of 2026Q2's 7,126: implied 6,057, a relative target (issue 21);
    # lead -> customer against +20 % of 2025Q3's 2.8 %: 3.4 %.
    kpis = pd.DataFrame(
        [
            _kpi("cac", "CAC", "amount", 9297.0, 6057.1, "red",
                 target_basis="vs_previous_quarter", target_change=-0.15,
                 baseline_quarter="2026Q2"),
            _kpi("lead_to_customer", "Lead → customer", "rate", 0.033, 0.034, "amber",
                 target_basis="vs_same_quarter_last_year", target_change=0.20,
                 baseline_quarter="2025Q3"),
            _kpi("mqls", "MQLs", "count", 130.0, 137.0, "amber", target_basis="absolute"),
        ]
    )  # fmt: skip
    cac, conversion, mqls = rh.review_tiles(kpis, currency="EUR").split(
        '<div class="aw-tile aw-compact"'
    )[1:]
    assert "target €6,057 (-15% vs 2026Q2)" in cac
    assert "target 3.4% (+20% vs 2025Q3)" in conversion
    assert "target 137 <" in mqls and "vs 20" not in mqls.split("aw-target")[1]
