"""No empty charts (issue 16): nothing to draw gives the one-line reason, counts whole ticks.

The chart helpers are asked with small literal tables (artists inspected, not pixels); the
report notebook is run on tests/data/tiny for north in 2026Q2, a quarter without a single
opportunity. What tiny holds for north in 2026Q2 (1 Apr - 30 Jun 2026), by hand: L5 created
10 Apr, MQL 10 Apr 10:00, touched 11:00 (1 business hour), rejected "not ready" at 12:00,
recycled "timing" on 11 Apr; no other lead, event or opportunity. So at the end of 2026Q2 no
MQL waits for a touch (L1-L3 become MQLs in July), no pipeline is created and no deal is won.
"""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import papermill as pm
import pytest
from conftest import PROJECT, TINY

from helpers.display import plots

NAN = math.nan
REPORT = PROJECT / "notebooks" / "reports" / "team_quarterly_report.ipynb"


@pytest.mark.parametrize(
    ("values", "kind", "expected"),
    [
        ([], "count", False),
        ([0, 0, 0], "count", False),
        ([0, NAN], "amount", False),
        ([0, 3], "count", True),
        ([NAN, NAN], "rate", False),
        ([0.0], "rate", True),  # 0 % is a finding
        ([NAN, 0.0], "hours", True),
        ([-1.0, NAN], "rate", True),  # an ROI of −100 %
        (pd.Series([pd.NA, 2], dtype="Float64"), "count", True),  # masked: NA is no value
        (pd.Series([pd.NA, 0], dtype="Int64"), "count", False),
        (pd.Series([None, "n/a"]), "rate", False),  # text is no value
        (pd.Series([math.inf, 0.0]), "amount", False),
    ],
)
def test_drawable(values, kind, expected):
    assert plots.drawable(values, kind) is expected


def _says(ax) -> list[str]:
    """The texts of axes that show a reason instead of a chart (asserting they do)."""
    assert not ax.axison and not ax.patches and not ax.lines and not ax.collections
    return [t.get_text() for t in ax.texts]


def _whole(ticks) -> bool:
    return all(float(t).is_integer() for t in ticks)


WAITING = pd.DataFrame(
    {"age_band": ["0–8 h", "8–24 h", "24–48 h", "48–120 h", "> 120 h"], "mqls": [1, 1, 0, 0, 0]}
)


def test_count_bars_with_nothing_to_count_say_so():
    fig, ax = plt.subplots()
    plots.count_bars(WAITING.assign(mqls=0), x="mqls", y="age_band", ax=ax, empty="No MQL.")
    assert _says(ax) == ["No MQL."]


def test_count_bars_have_whole_number_ticks():
    # Counts 1, 1, 0, 0, 0 used to get ticks 0.0, 0.2, ... 1.0, labelled "0 0 0 1 1".
    fig, ax = plt.subplots()
    plots.count_bars(WAITING, x="mqls", y="age_band", ax=ax)
    assert [p.get_width() for p in ax.patches] == [1, 1, 0, 0, 0]
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and _whole(ticks)


def test_funnel_bars_of_an_empty_quarter_say_so_and_counts_are_whole():
    period = pd.DataFrame({"label": ["Leads", "MQLs", "SQLs"], "volume": [0, 0, 0]})
    fig, ax = plt.subplots()
    plots.funnel_bars(period, ax=ax, empty="Nothing reached any stage in 2026Q2.")
    assert _says(ax) == ["Nothing reached any stage in 2026Q2."]
    fig, ax = plt.subplots()
    plots.funnel_bars(period.assign(volume=[2, 1, 1]), ax=ax)
    assert [p.get_width() for p in ax.patches] == [2, 1, 1]
    assert _whole(ax.get_xticks())


def test_response_histogram_without_a_touched_mql_says_so():
    fig, ax = plt.subplots()
    plots.response_histogram(
        pd.DataFrame({"response_hours": [NAN, NAN]}), sla=8, ax=ax, empty="No MQL touched."
    )
    assert _says(ax) == ["No MQL touched."]
    fig, ax = plt.subplots()
    plots.response_histogram(pd.DataFrame({"response_hours": [1.0, 2.0, 30.0]}), sla=8, ax=ax)
    assert _whole(ax.get_yticks())


def test_rate_charts_without_a_rate_say_so():
    rates = pd.DataFrame({"label": ["MQL"], "rate": [NAN], "ci_low": [NAN], "ci_high": [NAN]})
    fig, ax = plt.subplots()
    plots.rate_intervals(rates, ax=ax, empty="No conversion.")
    assert _says(ax) == ["No conversion."]
    trend = pd.DataFrame(
        {"quarter": ["2026Q1", "2026Q2"], "label": ["SLA"] * 2, "value": [NAN, NAN]}
        | {"ci_low": [NAN, NAN], "ci_high": [NAN, NAN]}
    )
    fig, ax = plt.subplots()
    plots.rate_trend(trend, ax=ax, empty="No rate.")
    assert _says(ax) == ["No rate."]


def test_rate_trend_draws_no_line_for_a_kpi_without_a_value():
    trend = pd.DataFrame(
        {
            "quarter": ["2026Q1", "2026Q2"] * 2,
            "label": ["SLA"] * 2 + ["Win rate"] * 2,
            "value": [0.5, 0.75, NAN, NAN],
            "ci_low": [0.3, 0.6, NAN, NAN],
            "ci_high": [0.7, 0.9, NAN, NAN],
        }
    )
    fig, ax = plt.subplots()
    plots.rate_trend(trend, ax=ax)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["SLA"]
    assert [list(line.get_ydata()) for line in ax.lines] == [[0.5, 0.75]]


def test_value_and_attribution_bars_of_nothing_say_so():
    created = pd.DataFrame(
        {"source_type": ["marketing", "sales", "total"], "amount": [0.0, 0.0, 0.0]}
    )
    fig, ax = plt.subplots()
    plots.value_bars(created, x="amount", y="source_type", ax=ax, empty="No pipeline.")
    assert _says(ax) == ["No pipeline."]
    roi = pd.DataFrame({"channel": ["email", "total"], "roi": [NAN, NAN]})
    fig, ax = plt.subplots()
    plots.value_bars(roi, x="roi", y="channel", kind="rate", ax=ax, empty="No ROI.")
    assert _says(ax) == ["No ROI."]
    wide = pd.DataFrame({"linear": [0.0]}, index=pd.Index(["email"], name="channel"))
    fig, ax = plt.subplots()
    plots.attribution_bars(wide, ax=ax, empty="Nothing attributed.")
    assert _says(ax) == ["Nothing attributed."]


def test_value_bars_of_counts_have_whole_ticks():
    data = pd.DataFrame({"channel": ["email", "events"], "customers": [1.0, 2.0]})
    fig, ax = plt.subplots()
    plots.value_bars(data, x="customers", y="channel", kind="count", ax=ax)
    assert _whole(ax.get_xticks())


LONG = pd.DataFrame(
    {
        "quarter": ["2026Q1", "2026Q2"] * 4,
        "label": ["MQLs"] * 2 + ["Pipeline created"] * 2 + ["CAC"] * 2 + ["Win rate"] * 2,
        "kind": ["count"] * 2 + ["amount"] * 2 + ["amount"] * 2 + ["rate"] * 2,
        "value": [1.0, 2.0, 0.0, 0.0, NAN, NAN, 0.0, NAN],
        "ci_low": [NAN] * 6 + [0.0, NAN],
        "ci_high": [NAN] * 6 + [0.8, NAN],
    }
)


def test_kpi_panels_leave_out_the_kpis_with_nothing_to_draw():
    # Pipeline created is 0 in both quarters and CAC n/a: no panel; a win rate of 0 % is one.
    assert plots.empty_panels(LONG) == ["Pipeline created", "CAC"]
    assert plots.empty_panels_line(LONG, over="quarter", where="in the last 8 quarters") == (
        "No panel for Pipeline created (0 for every quarter) or CAC (n/a for every quarter) "
        "in the last 8 quarters."
    )
    axes = plots.kpi_panels(LONG, draw=plots.kpi_line, x="quarter")
    assert [ax.get_title() for ax in axes] == ["MQLs", "Win rate"]
    assert list(axes[0].lines[0].get_ydata()) == [1.0, 2.0]
    assert _whole(axes[0].get_yticks())  # MQLs are counted: 0, 1, 2, not 0.5 steps


def test_kpi_line_keeps_shares_on_0_to_100_and_shows_growth_and_roi_whole():
    # Worked by hand: a share (0.2, 0.9) stays on 0-1.02; growth of -50 % and +150 % spans
    # 2.0, so the scale is -0.5 - 0.08 * 2 = -0.66 to 1.5 + 0.15 * 2 = 1.8, with a zero line.
    def line(values):
        rows = pd.DataFrame(
            {"quarter": ["2026Q1", "2026Q2"], "kind": ["rate"] * 2, "value": values}
        )
        fig, ax = plt.subplots()
        return plots.kpi_line(rows, ax=ax)

    assert line([0.2, 0.9]).get_ylim() == pytest.approx((0.0, 1.02))
    growth = line([-0.5, 1.5])
    assert growth.get_ylim() == pytest.approx((-0.66, 1.8))
    assert [list(mark.get_ydata()) for mark in growth.lines[1:]] == [[0, 0]]  # the zero line


def test_kpi_panels_over_quarters_label_each_column_once():
    # Six panels in two rows of three over the same quarters: the top row leaves its quarter
    # labels and its x label to the panel below; a panel with none below keeps them.
    labels = ["A", "B", "C", "D", "E"]
    rows = pd.DataFrame(
        {
            "quarter": ["2026Q1", "2026Q2"] * len(labels),
            "label": [name for name in labels for _ in range(2)],
            "kind": ["count"] * 2 * len(labels),
            "value": [1.0, 2.0] * len(labels),
        }
    )
    axes = plots.kpi_panels(rows, draw=plots.kpi_line, x="quarter")
    shown = [
        (ax.get_xlabel(), [t.get_text() for t in ax.get_xticklabels() if t.get_visible()])
        for ax in axes
    ]
    quarters = ("Fiscal quarter", ["2026Q1", "2026Q2"])
    assert shown == [("", [])] * 2 + [quarters] * 3


def test_kpi_panels_with_nothing_at_all_make_no_figure():
    before = plt.get_fignums()
    nothing = LONG[LONG["label"].isin(["Pipeline created", "CAC"])]
    assert len(plots.kpi_panels(nothing, draw=plots.kpi_bars, y="quarter")) == 0
    assert plt.get_fignums() == before
    assert plots.empty_panels_line(LONG[LONG["label"] == "MQLs"]) is None


def test_kpi_bars_and_line_of_nothing_say_so():
    fig, ax = plt.subplots()
    plots.kpi_bars(LONG[LONG["label"] == "CAC"], y="quarter", ax=ax, empty="No CAC.")
    assert _says(ax) == ["No CAC."]
    fig, ax = plt.subplots()
    plots.kpi_line(LONG[LONG["label"] == "Pipeline created"], ax=ax, empty="No pipeline.")
    assert _says(ax) == ["No pipeline."]


def test_reason_panels_draw_only_the_reasons_there_are():
    rejected = pd.DataFrame({"reason": ["no budget"], "count": [3]})
    recycled = pd.DataFrame(
        {"reason": pd.Series([], dtype=str), "count": pd.Series([], dtype="int64")}
    )
    axes = plots.reason_panels({"Rejection reasons": rejected, "Recycle reasons": recycled})
    assert [ax.get_title() for ax in axes] == ["Rejection reasons"]
    assert [p.get_width() for p in axes[0].patches] == [3]
    before = plt.get_fignums()
    assert len(plots.reason_panels({"Recycle reasons": recycled})) == 0
    assert plt.get_fignums() == before


# --- the report on a quarter without a deal --------------------------------------------------


def _outputs(nb) -> tuple[str, int]:
    html = "".join(
        "".join(o.get("data", {}).get("text/html", ""))
        for c in nb["cells"]
        for o in c.get("outputs", [])
    )
    images = sum(
        "data:image/svg+xml;base64," in "".join(o.get("data", {}).get("text/html", ""))
        for c in nb["cells"]
        for o in c.get("outputs", [])
    )
    return html, images


@pytest.mark.slow
def test_report_of_a_quarter_without_deals_shows_reasons_not_empty_charts(tmp_path):
    out = tmp_path / "report.ipynb"
    pm.execute_notebook(
        str(REPORT),
        str(out),
        parameters={"team": "north", "quarter": "2026Q2", "data_dir": str(TINY)},
        cwd=str(REPORT.parent),
        progress_bar=False,
    )
    html, images = _outputs(nbformat.read(out, as_version=4))
    for reason in (
        "No MQL was waiting for a first touch at the end of 2026Q2, so no chart of them.",
        "No opportunity with an amount was created in 2026Q2, so no pipeline chart.",
        "No deal with an amount was won in 2026Q2, so no won-revenue chart.",
    ):
        assert html.count(reason) == 1, reason
    # The trend to 2026Q2 starts in 2026Q2 (the data's first quarter): no pipeline, won
    # revenue, win rate (nothing closed) or CAC (no spend table) to draw there; of the
    # scorecard, no bookings growth (no 2025Q2), retention (no revenue table) or marketing ROI
    # (no spend table); lead → customer has its panel (L5, created in 2026Q2, not won: 0 %).
    assert "No panel for Pipeline created (0 for every quarter), Won revenue (0 for" in html
    assert (
        "Win rate (n/a for every quarter), CAC (n/a for every quarter), Bookings growth (YoY) "
        "(n/a for every quarter), Customer retention (n/a for every quarter) or Marketing ROI "
        "(n/a for every quarter) in the last"
    ) in html
    # Drawn: the period funnel (1 lead, 1 MQL), the cohort's waterfall and conversion (L5: 1
    # of 1 to MQL), speed to lead with the SLA outcome (1 MQL touched after 1 h), the rate
    # trend, the rejection and recycle reasons, and the KPI trend panels: 7 figures, none of
    # them empty.
    assert images == 7


# --- figures laid out once and drawn once (issue 18) ------------------------------------------


def _ink_inside(fig) -> list:
    """Each axes' ink (labels, title, value labels) in pixels, asserting it is inside the figure."""
    renderer = fig.canvas.get_renderer()
    width, height = fig.get_size_inches() * fig.dpi
    inks = []
    for ax in fig.axes:
        ink = ax.get_tightbbox(renderer)
        assert ink.x0 >= 0 and ink.y0 >= 0, (ax.get_title(), ink)
        assert ink.x1 <= width and ink.y1 <= height, (ax.get_title(), ink)
        inks.append(ink)
    return inks


def test_lay_out_makes_room_for_long_labels_and_keeps_panels_apart():
    rejected = pd.DataFrame({"reason": ["no budget", "wrong persona"], "count": [36, 35]})
    recycled = pd.DataFrame(
        {"reason": ["no response after 5 attempts", "revisit next quarter"], "count": [2, 12]}
    )
    axes = plots.reason_panels({"Rejection reasons": rejected, "Recycle reasons": recycled})
    fig = axes[0].figure
    assert plots.lay_out(fig) is True
    assert fig.get_layout_engine() is None  # nothing left to lay out (and draw) again
    first, second = _ink_inside(fig)
    assert first.x1 < second.x0  # the second panel's long labels do not run into the first


def test_lay_out_puts_the_suptitle_above_the_panels():
    axes = plots.kpi_panels(LONG, draw=plots.kpi_line, x="quarter")
    fig = axes[0].figure
    fig.suptitle("Shared KPIs, last 8 quarters to 2026Q2")
    assert plots.lay_out(fig) is True
    inks = _ink_inside(fig)
    title = fig._suptitle.get_window_extent(fig.canvas.get_renderer())
    assert title.y0 > max(ink.y1 for ink in inks)
    assert title.y1 <= fig.get_size_inches()[1] * fig.dpi


def test_report_style_titles_sit_on_their_panel_with_no_offset_text_to_dodge():
    # The style fixes titles at the top of the panel instead of measuring the y axis to lift
    # them over an offset text; so no axis may show one: large, close values are written out.
    with plt.rc_context(plots.REPORT_RC):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot([0, 1, 2], [3_000_000, 3_000_004, 3_000_008])
        ax.set_title("Leads")
        fig.canvas.draw()
        labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert ax.yaxis.get_offset_text().get_text() == ""
        assert labels and all("e" not in label for label in labels)
        assert "3000004" in [label.replace(",", "") for label in labels]
        assert ax.title.get_position()[1] == 1.0
    plt.close(fig)


DRAWN_ONCE = """
import os
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell('''
import base64
import matplotlib.pyplot as plt, pandas as pd
from matplotlib.figure import Figure
from helpers.display import plots
plots.use_report_style()
draws = []
original = Figure.draw
Figure.draw = lambda self, renderer: (draws.append(1), original(self, renderer))[1]
fig, ax = plt.subplots(figsize=(6, 3))
plots.count_bars(pd.DataFrame({"age_band": ["> 120 h"], "mqls": [3]}), x="mqls", y="age_band",
                 ax=ax)
ax.set_title("Untouched MQLs")
data, _ = get_ipython().display_formatter.format(fig)
uri = data["text/html"].split("base64,")[1].split('"')[0]
svg = base64.b64decode(uri).decode()
print(len(draws), "image/png" not in data and "<svg" in svg, ">Untouched MQLs</text>" in svg)
''')
"""


def test_report_style_shows_each_figure_drawn_once(tmp_path):
    # The inline backend's own PNG (bbox_inches="tight") draws a figure twice; constrained
    # layout measures it twice more. The report's formatter lays it out and draws it once,
    # as an SVG image whose text is text (and no PNG besides).
    import os
    import subprocess
    import sys

    script = tmp_path / "drawn_once.py"
    script.write_text(DRAWN_ONCE)
    env = os.environ | {"PYTHONPATH": str(PROJECT / "src")}
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.split()[:3] == ["1", "True", "True"], result.stdout + result.stderr


# --- issue 19: targets, RAG colours, outliers, cut charts, waterfall, growth ----------------

CHART_CHECK = """
import json, os, sys
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.display_pub.publish = lambda *args, **kwargs: None
from helpers.display import plots
seen = []
original = plots.figure_html
def recording(fig):
    title = fig._suptitle.get_text() if fig._suptitle is not None else ""
    axes = [ax for ax in fig.axes if ax.get_visible()]
    rows, columns = {}, {}
    for ax in axes:
        spec = ax.get_subplotspec()
        row = spec.rowspan.start if spec is not None else 0
        column = spec.colspan.start if spec is not None else 0
        rows.setdefault(row, ax.get_ylabel())
        columns[column] = ax.get_xlabel() or columns.get(column, "")  # the lowest panel's
    for ax in axes:
        spec = ax.get_subplotspec()
        row = spec.rowspan.start if spec is not None else 0
        column = spec.colspan.start if spec is not None else 0
        seen.append({
            "title": ax.get_title() or title,
            "xlabel": ax.get_xlabel() or columns[column],
            "ylabel": ax.get_ylabel() or rows[row],
            "drawn": bool(ax.patches or ax.lines or ax.collections),
        })
    return original(fig)
plots.figure_html = recording
nb = json.load(open(sys.argv[1]))
os.chdir(os.path.dirname(sys.argv[1]))
for cell in nb["cells"]:
    if cell["cell_type"] != "code":
        continue
    source = "".join(cell["source"])
    if "parameters" in cell["metadata"].get("tags", []):
        team, quarter, data = sys.argv[3], sys.argv[4], sys.argv[2]
        source = f"team = {team!r}\\nquarter = {quarter!r}\\ndata_dir = {data!r}\\n"
    result = shell.run_cell(source, store_history=False, silent=True)
    if not result.success:
        raise SystemExit(f"cell failed: {source[:300]}\\n{result.error_in_exec!r}")
print("CHARTS " + json.dumps(seen))
"""


@pytest.mark.parametrize("team", ["all", "north"])
def test_every_report_chart_has_a_title_and_axis_labels(tmp_path, team):
    # Runs the report notebook's cells on the tiny data set in an IPython shell (as a report
    # kernel does) and inspects every figure it shows: each panel with data carries a title
    # (its own or the figure's) and both axis labels (in small multiples the y label may be
    # the row's first panel's, the x label the column's lowest panel's).
    import json
    import os
    import subprocess
    import sys

    script = tmp_path / "charts.py"
    script.write_text(CHART_CHECK)
    env = os.environ | {"PYTHONPATH": str(PROJECT / "src")}
    notebook = PROJECT / "notebooks" / "reports" / "team_quarterly_report.ipynb"
    result = subprocess.run(
        [sys.executable, str(script), str(notebook), str(TINY), team, "2026Q3"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("CHARTS "))
    charts = [c for c in json.loads(line[len("CHARTS ") :]) if c["drawn"]]
    assert len(charts) >= 8
    unlabelled = [c for c in charts if not (c["title"] and c["xlabel"] and c["ylabel"])]
    assert unlabelled == [], "\n".join(map(str, unlabelled))


def _bar_colours(ax):
    from matplotlib.colors import to_hex

    return [to_hex(bar.get_facecolor()) for bar in ax.patches]


def test_kpi_bars_colour_each_team_by_its_target_and_outline_the_outlier():
    # SLA compliance, higher is better, target 80 %, green at 100 % attainment, amber at 90 %:
    # 0.85 / 0.8 = 1.06 green, 0.74 / 0.8 = 0.925 amber, 0.5 / 0.8 = 0.625 red; no target: blue.
    data = pd.DataFrame(
        {
            "team": ["a", "b", "c", "d"],
            "value": [0.85, 0.74, 0.5, 0.6],
            "ci_low": [0.8, 0.7, 0.4, 0.5],
            "ci_high": [0.9, 0.8, 0.6, 0.7],
            "kind": "rate",
            "direction": "higher",
            "target": [0.8, 0.8, 0.8, np.nan],
            "outlier": [False, False, True, False],
        }
    )
    fig, ax = plt.subplots()
    plots.kpi_bars(data, ax=ax, rag=(1.0, 0.9))
    from helpers.display.rag import RAG_COLOURS

    blue = matplotlib.colors.to_hex(plots.PALETTE[0])
    rag = [RAG_COLOURS[status].lower() for status in ("green", "amber", "red")]
    assert _bar_colours(ax) == [*rag, blue]
    assert [bar.get_hatch() or "" for bar in ax.patches] == ["", "..", "//", ""]
    assert [bar.get_linewidth() for bar in ax.patches] == [0.5, 0.5, 2, 0.5]
    # one target mark per team with a target, at 0.8
    marks = [line for line in ax.lines if list(line.get_xdata()) == [0.8, 0.8]]
    assert len(marks) == 3
    assert [t.get_fontweight() for t in ax.get_yticklabels()] == [
        "normal",
        "normal",
        "bold",
        "normal",
    ]


def test_lower_is_better_targets_colour_the_other_way():
    # CAC, lower is better, target 100: 80 -> attainment 1.25 green, 120 -> 0.83 red.
    data = pd.DataFrame(
        {
            "team": ["a", "b"],
            "value": [80.0, 120.0],
            "kind": "amount",
            "direction": "lower",
            "target": [100.0, 100.0],
        }
    )
    fig, ax = plt.subplots()
    plots.kpi_bars(data, ax=ax)
    from helpers.display.rag import RAG_COLOURS

    assert _bar_colours(ax) == [RAG_COLOURS["green"].lower(), RAG_COLOURS["red"].lower()]


def test_a_cut_attribution_chart_says_top_n_of_m_and_keeps_the_flagged_channel():
    channels = [f"c{i}" for i in range(10)]
    data = pd.DataFrame(
        {"linear": np.arange(10, 0, -1) * 100.0, "first_touch": np.arange(10, 0, -1) * 90.0},
        index=pd.Index(channels, name="channel"),
    )
    fig, ax = plt.subplots()
    plots.attribution_bars(data, top=8, keep=["c9"], ax=ax)
    shown = [t.get_text() for t in ax.get_yticklabels()]
    assert shown == [*channels[:8], "c9"]
    assert "top 8 of 10 channels shown, with c9" in ax.get_xlabel()
    fig, ax = plt.subplots()
    plots.attribution_bars(data, top=None, ax=ax)
    assert "shown" not in ax.get_xlabel()


def test_funnel_waterfall_draws_each_loss_between_stages():
    data = pd.DataFrame({"label": ["Leads", "MQL", "SQL"], "reached": [100, 40, 10]})
    fig, ax = plt.subplots()
    plots.funnel_waterfall(data, ax=ax)
    bars = [(p.get_x() + p.get_width() / 2, p.get_y(), p.get_height()) for p in ax.patches]
    # stage bars at 0, 2, 4 from 0; losses at 1 (40..100) and 3 (10..40)
    assert bars == [(0, 0, 100), (1, 40, 60), (2, 0, 40), (3, 10, 30), (4, 0, 10)]
    texts = [t.get_text() for t in ax.texts]
    assert "-60\n40% kept" in texts and "-30\n25% kept" in texts
    assert ax.get_xlabel() and ax.get_ylabel()


def test_lay_out_keeps_a_legend_anchored_below_its_panel_inside_the_figure():
    # The forecast chart's legend hangs below the axes in axes fractions, so it moves when
    # lay_out resizes the panel (here after a tight_layout that left the panels short).
    from helpers.display.forecast_plots import forecast_intervals

    backtest = pd.DataFrame(
        {
            "quarter": ["2025Q1", "2025Q2", "2025Q3"],
            "p10": [1e6, 1.1e6, 1.2e6],
            "p50": [1.5e6, 1.6e6, 1.7e6],
            "p90": [2e6, 2.1e6, 2.2e6],
            "actual": [1.4e6, 2.5e6, 1.8e6],
        }
    )
    forecast = {"quarter": "2025Q4", "p10": 1.1e6, "p50": 1.6e6, "p90": 2.3e6}
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax in axes:
        forecast_intervals(backtest, forecast=forecast, ax=ax)
        ax.set_title("Won revenue")
    fig.tight_layout()
    assert plots.lay_out(fig) is True
    renderer = fig.canvas.get_renderer()
    for ax in axes:
        box = ax.get_legend().get_window_extent(renderer)
        assert box.y0 >= 0 and box.x0 >= 0
    _ink_inside(fig)


def test_kpi_bars_draw_a_negative_value_left_of_zero():
    # Bookings growth of -28 % and +43 %: the first bar runs from 0 to -0.28, inside the axes.
    data = pd.DataFrame(
        {"team": ["a", "b"], "value": [-0.28, 0.43], "kind": "rate", "direction": "higher"}
    )
    fig, ax = plt.subplots()
    plots.kpi_bars(data, ax=ax)
    low, high = ax.get_xlim()
    assert low <= -0.28 and high >= 1.0
    assert ax.patches[0].get_width() == pytest.approx(-0.28)
