"""The index page of a report folder reads without colour and on a phone (no browser here;
tests/test_review_pack_browser.py measures the page at 390 px)."""

from __future__ import annotations

import re

from helpers.reports.index_page import write_index


def _page(tmp_path, **record):
    base = {"quarter": "2026Q3", "team": "emea", "status": "ok", "seconds": 3.0}
    page = write_index(tmp_path / "reports", [], {"2026Q3/emea": base | record})
    return page.read_text(encoding="utf-8")


def test_each_rag_count_carries_the_shape_and_word_of_its_status(tmp_path):
    rag = {"green": 2, "amber": 1, "red": 3, "none": 4}
    page = _page(tmp_path, summary={"alignment_index": 71.3, "rag": rag})
    badges = re.findall(r'<span class="rag rag-(\w+)" title="([^"]*)">([^<]*)</span>', page)
    assert badges == [
        ("green", "on target", "● 2"),
        ("amber", "near target", "▲ 1"),
        ("red", "off target", "■ 3"),
        ("none", "no target set", "4"),
    ]
    # The key above the table says which shape is which.
    assert "on target (●), near target (▲), off target (■)" in page


def test_every_figure_of_a_row_is_named_for_the_phone_card(tmp_path):
    page = _page(tmp_path, summary={"alignment_index": 71.3, "rag": {"green": 1}})
    (row,) = re.findall(r"<tr><td>.*?</tr>", page, flags=re.S)
    labels = re.findall(r'data-label="([^"]*)"', row)
    assert labels == ["Alignment index", "KPIs vs target", "Status", "Details", "Seconds"]
    assert 'data-label="Alignment index">71.3</td>' in row
    assert '<table class="cards">' in page  # the phone CSS turns its rows into cards
    assert "table.cards td[data-label]::before" in page


def test_render_time_is_written_for_readers_in_utc(tmp_path):
    # 05:54 at +01:00 is 04:54 UTC.
    page = _page(tmp_path, rendered_at="2026-12-07T05:54:00+01:00")
    assert "<small>2026-12-07 04:54 UTC</small>" in page
    assert "05:54" not in page


def test_a_render_time_that_is_no_time_is_shown_as_it_is_escaped(tmp_path):
    page = _page(tmp_path, rendered_at="<b>yesterday</b>")
    assert "<small>&lt;b&gt;yesterday&lt;/b&gt;</small>" in page


def test_a_team_is_named_as_the_teams_table_names_it_with_its_id_beside(tmp_path):
    page = _page(tmp_path, summary={"team_name": "EMEA <Enterprise>", "rag": {}})
    # No report file in this folder, so no link: the cell holds the name and the id.
    assert '<td>EMEA &lt;Enterprise&gt; <small class="id">emea</small></td>' in page


def test_a_summary_without_a_name_shows_the_id(tmp_path):
    page = _page(tmp_path, summary={"rag": {}})  # a manifest written before names
    assert "<td>emea</td>" in page
