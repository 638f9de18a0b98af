"""Funnel explorer on tests/data/tiny: every figure worked out by hand from the fixture CSVs.

The fixture (see tests/test_metrics_funnel.py), 2026Q3 = 1 Jul – 30 Sep 2026, as of 1 Oct:
- L1 north paid_search software: created 1 Jul, MQL, touched, accepted, SQL; O1 won 3 Aug.
- L2 north paid_social retail: created 1 Jul, MQL, touched, rejected.
- L3 north webinar software: created 2 Jul, MQL, never touched.
- L4 north outbound finance: created 6 Jul, no MQL; touched, accepted, SQL; O2 lost.
- L5 north paid_search software: created 10 Apr (2026Q2); MQL, touched, rejected, recycled in
  Q2; MQL again 10 Jul, touched, accepted, SQL in Q3.
- L6 south paid_search health: created 3 Aug, MQL, touched, rejected.
- O3 south: no lead, created 10 Aug, won 15 Sep.
Teams: north = segment smb, south = segment enterprise. No company_size column, so the
segment control cuts by the team's segment.
"""

from __future__ import annotations

import shutil

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import TESTS, TINY

from helpers.analysis.workbook import Workbook
from helpers.errors import ParameterError
from helpers.explore.funnel import build_funnel_explorer

STAGES = ["lead", "mql", "first_touch", "accepted", "sql", "opportunity", "won"]


@pytest.fixture(scope="module")
def tiny():
    return Workbook.load(TINY)


@pytest.fixture
def explorer(tiny, tmp_path):
    return build_funnel_explorer(
        tiny, team="north", first_quarter="2026Q3", last_quarter="2026Q3", export_dir=tmp_path
    )


def counts(explorer, funnel="period"):
    table = explorer.table
    rows = table[table["funnel"] == funnel]
    assert rows["stage"].tolist() == STAGES
    return rows["count"].tolist()


def test_defaults_show_the_period_funnel_of_north_in_2026q3(explorer):
    # Q3 north: leads created L1-L4; MQL L1 L2 L3 L5; touched L1 L2 L4 L5; accepted L1 L4 L5;
    # SQL L1 L4 L5; opportunities O1 O2 created; won O1.
    assert counts(explorer) == [4, 4, 4, 3, 3, 2, 1]
    table = explorer.table
    assert table["previous"].tolist()[1:] == [4, 4, 4, 3, 3, 2]
    assert np.isnan(table["conversion"].iloc[0])
    assert table["conversion"].tolist()[1:] == pytest.approx([1, 1, 3 / 4, 1, 2 / 3, 1 / 2])
    assert table["ci_low"].isna().all()  # a period ratio compares different leads
    assert list(table.columns) == [
        "funnel",
        "stage",
        "label",
        "count",
        "previous",
        "conversion",
        "ci_low",
        "ci_high",
        "small_sample",
    ]


def test_team_control(explorer):
    assert isinstance(explorer.team, widgets.Dropdown)
    assert explorer.team.description == "Team"
    assert list(explorer.team.options) == ["all", "north", "south"]
    explorer.team.value = "all"
    # + L6 (lead, MQL, touch), O3 (created, won) of south.
    assert counts(explorer) == [5, 5, 5, 3, 3, 3, 2]
    explorer.team.value = "south"
    assert counts(explorer) == [1, 1, 1, 0, 0, 1, 1]


def test_channel_control_leaves_out_opportunities_without_a_lead(explorer):
    explorer.team.value = "all"
    explorer.channel.value = "paid_search"
    # Leads created in Q3: L1, L6 (L5 is Q2). MQL in Q3: L1, L5, L6. Touched: L1, L5, L6.
    # Accepted and SQL: L1, L5. Opportunities: O1 (O3 has no lead, so no channel). Won: O1.
    assert counts(explorer) == [2, 3, 3, 2, 2, 1, 1]
    assert any("without a lead" in note for note in explorer.notes)
    explorer.channel.value = "outbound"
    # L4: created, touched, accepted, SQL; O2 created, lost.
    assert counts(explorer) == [1, 0, 1, 1, 1, 1, 0]


def test_segment_control_by_team_segment(explorer):
    assert explorer.data.segment_by == "segment"
    assert list(explorer.segment.options) == ["all", "enterprise", "smb"]
    explorer.team.value = "all"
    explorer.segment.value = "enterprise"
    # south only; O3 has no lead but belongs to a team, so to a segment.
    assert counts(explorer) == [1, 1, 1, 0, 0, 1, 1]
    explorer.segment.value = "smb"
    assert counts(explorer) == [4, 4, 4, 3, 3, 2, 1]


def test_segment_by_a_lead_attribute(tiny, tmp_path):
    explorer = build_funnel_explorer(
        tiny,
        first_quarter="2026Q3",
        last_quarter="2026Q3",
        segment_by="industry",
        segment="software",
        export_dir=tmp_path,
    )
    assert explorer.segment.description == "Industry"
    assert list(explorer.segment.options) == ["all", "finance", "health", "retail", "software"]
    # software: L1, L3, L5. Created in Q3: L1, L3. MQL: L1, L3, L5. Touched, accepted, SQL:
    # L1, L5. Opportunity and won: O1.
    assert counts(explorer) == [2, 3, 2, 2, 2, 1, 1]


def test_quarter_range(explorer):
    assert list(explorer.quarters.options) == ["2026Q2", "2026Q3"]
    explorer.quarters.value = ("2026Q2", "2026Q3")
    # North, Apr-Sep: leads L1-L5; MQL L1 L2 L3 L5 (L5 twice, counted once); touched L1 L2 L4
    # L5; accepted L1 L4 L5; SQL L1 L4 L5; O1 O2; won O1.
    assert counts(explorer) == [5, 4, 4, 3, 3, 2, 1]
    explorer.quarters.value = ("2026Q2", "2026Q2")
    # Q2: L5 created, MQL, touched (rejected, recycled); nothing else.
    assert counts(explorer) == [1, 1, 1, 0, 0, 0, 0]


def test_cohort_view_shows_any_stage_and_strict(explorer):
    explorer.view.value = "cohort"
    # Cohort L1-L4. Any-stage: MQL L1-L3; touched L1 L2 L4; accepted, SQL, opportunity L1 L4;
    # won L1. Strict: L4 has no MQL so stops there; L2 rejected; L3 never touched.
    assert counts(explorer, "cohort any-stage") == [4, 3, 3, 2, 2, 2, 1]
    assert counts(explorer, "cohort strict") == [4, 3, 2, 1, 1, 1, 1]
    strict = explorer.table[explorer.table["funnel"] == "cohort strict"].set_index("stage")
    assert strict["conversion"].tolist()[1:] == pytest.approx([3 / 4, 2 / 3, 1 / 2, 1, 1, 1])
    # Wilson 95 % for 3/4: centre 0.6275, half-width 0.3269 (worked in test_metrics_funnel).
    assert strict.loc["mql", "ci_low"] == pytest.approx(0.3006, abs=1e-4)
    assert strict.loc["mql", "ci_high"] == pytest.approx(0.9544, abs=1e-4)
    assert bool(strict.loc["mql", "small_sample"]) is True
    any_stage = explorer.table[explorer.table["funnel"] == "cohort any-stage"]
    touched = any_stage.set_index("stage").loc["first_touch"]
    assert touched["conversion"] == 1.0 and touched["previous"] == 3  # 3 touched of 3 MQLs
    assert any("4 leads created in 2026Q3" in note for note in explorer.notes)


def test_cohort_stage_after_a_count_of_zero_has_no_conversion(explorer):
    explorer.view.value = "cohort"
    explorer.channel.value = "outbound"
    # L4 alone: no MQL, then touched, accepted, SQL, O2 (lost). Strict stops at MQL.
    assert counts(explorer, "cohort any-stage") == [1, 0, 1, 1, 1, 1, 0]
    assert counts(explorer, "cohort strict") == [1, 0, 0, 0, 0, 0, 0]
    touched = explorer.table.set_index(["funnel", "stage"]).loc[("cohort any-stage", "first_touch")]
    assert touched["previous"] == 0 and pd.isna(touched["conversion"])


def test_figure_is_reused_and_nothing_stacks(explorer):
    figure, axes = explorer.figure, explorer.figure.axes[0]
    children = explorer.widget.children
    before = plt.get_fignums()
    pictures = {bytes(explorer.chart.image.value)}
    for team in ("all", "south", "north"):
        explorer.team.value = team
        pictures.add(bytes(explorer.chart.image.value))
    explorer.view.value = "cohort"
    explorer.channel.value = "paid_search"
    explorer.segment.value = "smb"
    explorer.quarters.value = ("2026Q2", "2026Q3")
    assert explorer.figure is figure and explorer.figure.axes == [axes]
    assert plt.get_fignums() == before
    assert explorer.widget.children == children
    assert explorer.table_view.value.count("<table") == 1
    assert len(pictures) == 3  # the picture changes with the team
    assert bytes(explorer.chart.image.value).startswith(b"\x89PNG")


def test_title_and_table_are_escaped(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(TINY, copy)
    leads = copy / "leads.csv"
    leads.write_text(leads.read_text().replace("paid_social", "<b>social</b>"))
    explorer = build_funnel_explorer(Workbook.load(copy), export_dir=tmp_path / "out")
    explorer.channel.value = "<b>social</b>"
    assert "<b>social" not in explorer.heading.value
    assert "&lt;b&gt;social&lt;/b&gt;" in explorer.heading.value
    assert counts(explorer)[0] == 1  # L2


def test_snapshot_has_table_and_chart(explorer):
    page = explorer.snapshot_html()
    assert "<table" in page and "data:image/png;base64," in page
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"] == page


@pytest.mark.parametrize(
    ("defaults", "match"),
    [
        ({"team": "../east"}, "team '../east' is not in teams.csv"),
        ({"channel": "tv"}, "channel 'tv' is not in this data"),
        ({"view": "weekly"}, "view 'weekly'"),
        ({"segment_by": "score"}, "segment_by 'score' is not a lead attribute"),
        ({"first_quarter": "2026Q3", "last_quarter": "2026Q2"}, "is after last_quarter"),
        ({"last_quarter": "2030Q1"}, "quarter 2030Q1 is not in the data"),
    ],
    ids=["team", "channel", "view", "segment_by", "order", "quarter"],
)
def test_bad_defaults_are_named(tiny, tmp_path, defaults, match):
    with pytest.raises(ParameterError, match=match):
        build_funnel_explorer(tiny, export_dir=tmp_path, **defaults)


def test_untracked_stages_are_skipped_and_said(tmp_path):
    # tests/data/partial records only MQL and SQL events and won deals.
    explorer = build_funnel_explorer(
        Workbook.load(TESTS / "data" / "partial"),
        first_quarter="2026Q1",
        last_quarter="2026Q1",
        export_dir=tmp_path,
    )
    table = explorer.table
    assert table["stage"].tolist() == ["lead", "mql", "sql", "opportunity", "won"]
    # Q1: P1-P3 created; MQL P1 P2; SQL P1 P3; O1 O2 created and won.
    assert table["count"].tolist() == [3, 2, 2, 2, 2]
    assert any("first_touch or accepted events" in note for note in explorer.notes)
    explorer.view.value = "cohort"
    strict = explorer.table[explorer.table["funnel"] == "cohort strict"]
    # Strict goes MQL -> SQL straight: P1 (MQL, SQL, O1 won); P3 has no MQL.
    assert strict["count"].tolist() == [3, 2, 1, 1, 1]


def test_sample_period_view_matches_the_team_quarter_api():
    # Not hand-computed: the explorer's masks give what TeamQuarter computes from scratch.
    from conftest import PROJECT

    workbook = Workbook.load(PROJECT / "data" / "sample", reuse=True)
    explorer = build_funnel_explorer(
        workbook, team="na-smb", first_quarter="2026Q2", last_quarter="2026Q2"
    )
    view = workbook.view("na-smb", "2026Q2")
    expected = view.period_funnel()["volume"].tolist()
    assert explorer.table["count"].tolist() == expected
    explorer.view.value = "cohort"
    strict = explorer.table[explorer.table["funnel"] == "cohort strict"]
    assert strict["count"].tolist() == view.cohort_funnel(strict=True)["reached"].tolist()
    pd.testing.assert_series_equal(
        strict["conversion"].iloc[1:].reset_index(drop=True),
        view.cohort_funnel(strict=True)["next_rate"].iloc[1:].reset_index(drop=True),
        check_names=False,
    )
