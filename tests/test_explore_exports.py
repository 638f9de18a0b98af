"""Export buttons: files named after the filters, safe names, atomic writes, escaped links."""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest
from conftest import TINY

from helpers.analysis.workbook import Workbook
from helpers.explore.channels import build_channel_explorer
from helpers.explore.cohorts import build_cohort_explorer
from helpers.explore.export_bar import export_name, safe_part, write_table
from helpers.explore.funnel import build_funnel_explorer

HOSTILE = "../../etc x<script>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("paid_search", "paid_search"),
        ("na-smb", "na-smb"),
        ("2025Q4-2026Q3", "2025q4-2026q3"),
        (HOSTILE, "etc_x_script"),
        ("Événements & Salons", "evenements_salons"),
        ("..", "blank"),
        ("/", "blank"),
        ("-rf", "rf"),
        ("a" * 80, "a" * 48),
    ],
    ids=["plain", "dash", "quarters", "hostile", "accents", "dots", "slash", "dash-lead", "long"],
)
def test_safe_part(value, expected):
    assert safe_part(value) == expected


def test_export_name():
    parts = ["funnel", "na-smb", "2025Q4-2026Q3", "paid_search", "all-segments", "period"]
    assert export_name(parts, "csv") == (
        "funnel_na-smb_2025q4-2026q3_paid_search_all-segments_period.csv"
    )
    assert export_name(parts, "excel").endswith("_period.xlsx")
    with pytest.raises(ValueError, match="export format 'pdf'"):
        export_name(parts, "pdf")


@pytest.fixture
def tiny():
    return Workbook.load(TINY)


def test_funnel_csv_and_excel_buttons(tiny, tmp_path):
    out = tmp_path / "reports" / "exports"  # created at the first export
    explorer = build_funnel_explorer(
        tiny, team="north", first_quarter="2026Q3", last_quarter="2026Q3", export_dir=out
    )
    explorer.channel.value = "paid_search"
    explorer.exports.csv_button.click()
    name = "funnel_north_2026q3-2026q3_paid_search_all-segments_period"
    csv = out / f"{name}.csv"
    assert explorer.exports.last_path == csv
    back = pd.read_csv(csv)
    # North paid_search in Q3: L1 created; MQL L1, L5; touched L1, L5; accepted, SQL L1, L5;
    # O1 created and won.
    assert back["count"].tolist() == [1, 2, 2, 2, 2, 1, 1]
    assert back["stage"].tolist() == explorer.table["stage"].tolist()
    assert f'href="{os.path.relpath(csv, os.getcwd())}"' in explorer.exports.link.value
    assert "7 rows" in explorer.exports.link.value

    explorer.view.value = "cohort"
    explorer.exports.excel_button.click()
    xlsx = out / "funnel_north_2026q3-2026q3_paid_search_all-segments_cohort.xlsx"
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert set(sheets) == {"funnel", "filters"}
    # Cohort L1 only (L5 was created in Q2): 1 at every stage up to won, both funnels.
    assert sheets["funnel"]["count"].tolist() == [1] * 14
    assert sheets["funnel"]["funnel"].tolist() == ["cohort any-stage"] * 7 + ["cohort strict"] * 7
    filters = dict(zip(sheets["filters"]["filter"], sheets["filters"]["value"], strict=True))
    assert filters["channel"] == "paid_search" and filters["view"] == "cohort"
    assert sorted(p.name for p in out.iterdir()) == sorted([csv.name, xlsx.name])  # no temp files


def test_hostile_values_give_safe_names_and_escaped_links(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(TINY, copy)
    leads = copy / "leads.csv"
    leads.write_text(leads.read_text().replace(",paid_social,", f",{HOSTILE},"))
    out = tmp_path / "exp <b>"
    explorer = build_funnel_explorer(Workbook.load(copy), export_dir=out)
    explorer.channel.value = HOSTILE
    path = explorer.exports.export("csv")
    assert path.parent == out
    assert path.name == "funnel_all-teams_2026q2-2026q3_etc_x_script_all-segments_period.csv"
    assert pd.read_csv(path)["count"].tolist()[0] == 1  # L2
    link = explorer.exports.link.value
    assert "<script" not in link and "<b>" not in link
    assert "exp &lt;b&gt;" in link  # the folder, escaped
    assert "exp%20%3Cb%3E/" in link  # and quoted in the href
    assert not (tmp_path / "etc").exists()
    explorer.exports.excel_button.click()
    filters = pd.read_excel(explorer.exports.last_path, sheet_name="filters")
    assert HOSTILE in filters["value"].tolist()  # the value itself is data in a cell


def test_channel_and_cohort_exports(tiny, tmp_path):
    channels = build_channel_explorer(tiny, team="north", export_dir=tmp_path)
    channels.level.value = "campaign"
    channels.model.value = "u_shaped"
    path = channels.exports.export("csv")
    assert path.name == "channels_north_2026q2-2026q3_campaign_u_shaped.csv"
    back = pd.read_csv(path, keep_default_na=False)
    assert back["campaign_id"].tolist()[-1] == "total"
    assert back.columns[:3].tolist() == ["campaign_id", "channel", "leads"]

    cohorts = build_cohort_explorer(tiny, export_dir=tmp_path)
    cohorts.stage.value = "won"
    cohorts.unit.value = "quarters"
    path = cohorts.exports.export("excel")
    assert path.name == "cohorts_all-teams_2026q2-2026q3_won_all-channels_quarters.xlsx"
    sheet = pd.read_excel(path, sheet_name="cohorts")
    # 2026Q2 (L5): no deal won by 30 Jun or 30 Sep; 2026Q3 (L1-L4, L6): L1's O1 by 30 Sep.
    assert sheet[["cohort", "quarters_after", "leads", "reached"]].values.tolist() == [
        ["2026Q2", 0, 1, 0],
        ["2026Q2", 1, 1, 0],
        ["2026Q3", 0, 5, 1],
    ]


def test_failed_export_is_shown_not_raised(tiny, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the export folder should be")
    explorer = build_funnel_explorer(tiny, export_dir=blocker)
    assert explorer.exports.export("csv") is None
    explorer.exports.excel_button.click()  # no exception escapes the button
    assert "cannot write" in explorer.exports.link.value
    assert blocker.read_text().startswith("a file")


def test_rewrite_replaces_the_file_whole(tmp_path):
    frame = pd.DataFrame({"a": [1, 2, 3]})
    first = write_table(frame, tmp_path, ["t"], "csv")
    second = write_table(frame.head(1), tmp_path, ["t"], "csv")
    assert first == second
    assert pd.read_csv(second)["a"].tolist() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]
