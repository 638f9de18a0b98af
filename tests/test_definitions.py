"""The definitions appendix: one entry per metric shown, each naming a real function."""

from __future__ import annotations

import inspect

import pytest

from helpers import KPIS
from helpers.display.html import table_html
from helpers.metrics.definitions import DEFINITIONS, DIRECTIONS, definitions, source_function


def test_every_headline_kpi_has_a_definition_with_its_kpi_label_and_direction():
    table = definitions().set_index("metric")
    missing = [metric for metric in KPIS if metric not in table.index]
    assert missing == []
    for metric, (label, direction, _) in KPIS.items():
        assert table.loc[metric, "label"] == label
        assert table.loc[metric, "direction"] == direction
        assert table.loc[metric, "section"] == "Headline"


def test_the_other_components_of_the_alignment_index_are_defined():
    metrics = set(definitions()["metric"])
    assert {"alignment_index", "feedback_coverage", "marketing_pipeline_share"} <= metrics


@pytest.mark.parametrize("definition", DEFINITIONS, ids=[d.metric for d in DEFINITIONS])
def test_each_definition_names_an_existing_function_and_a_direction(definition):
    function = source_function(definition)
    assert inspect.isfunction(function), definition.source
    assert len(definition.formula) > 20
    row = definitions().set_index("metric").loc[definition.metric]
    assert row["direction"] in DIRECTIONS
    assert row["label"]


def test_metric_names_are_unique_and_sections_filter():
    table = definitions()
    assert table["metric"].is_unique
    efficiency = definitions(["Efficiency"])
    assert set(efficiency["section"]) == {"Efficiency"}
    assert efficiency["metric"].tolist() == [
        "cost_per_lead",
        "cost_per_mql",
        "marketing_cac",
        "partner_roi",
    ]
    assert table.columns.tolist() == [
        "section",
        "metric",
        "label",
        "formula",
        "direction",
        "computed_by",
    ]


def test_formulas_render_escaped():
    html = table_html(definitions())
    assert "Σ min(closing MRR, opening MRR)" in html
    assert "<script" not in html
    assert "metrics.pipeline.win_rate" in html


def test_the_appendix_describes_relative_targets_and_the_scorecard():
    # Issue 21: the definitions appendix says how a relative target is read, and lists the five
    # KPIs of the playbook's scorecard with their direction (a lower CAC is better).
    table = definitions(["Headline"]).set_index("metric")
    rule = table.loc["relative_targets", "formula"]
    for words in ("vs_previous_quarter", "vs_same_quarter_last_year", "baseline × (1 + change)"):
        assert words in rule
    assert table.loc["relative_targets", "computed_by"].endswith("goals.implied_target")
    directions = table.loc[
        ["lead_to_customer", "cac", "bookings_growth", "customer_retention", "marketing_roi"],
        "direction",
    ]
    assert directions.tolist() == ["higher", "lower", "higher", "higher", "higher"]
