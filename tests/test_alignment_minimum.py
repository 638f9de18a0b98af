"""The alignment index needs a minimum of components (issue 16), worked by hand.

Default weights (workbook_defaults.toml): SLA compliance .25, MQL acceptance .20, feedback
coverage .15, MQL→SQL .25, marketing-sourced pipeline share .15; default minimum 3 of them.
Before this, an index of one component scoring 0 read "0.0 / 100" and led the talking points.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import TINY

from helpers import Workbook
from helpers.data.config import config_from_dict
from helpers.display import html as rh
from helpers.errors import ConfigError, ParameterError
from helpers.metrics.goals import alignment_index
from helpers.reports.outputs import report_summary

WEIGHTS = {
    "sla_compliance": 0.25,
    "mql_acceptance": 0.2,
    "feedback_coverage": 0.15,
    "mql_to_sql": 0.25,
    "marketing_pipeline_share": 0.15,
}


def test_the_default_minimum_is_three_components():
    assert config_from_dict({}).alignment_min_components == 3


def test_one_component_of_five_is_no_index():
    # The case of the issue: SLA compliance 0 alone would have been 100 × 0 = "0.0 / 100".
    index = alignment_index({"sla_compliance": 0.0}, WEIGHTS, min_components=3)
    assert math.isnan(index.value)
    assert index.na_reason == "1 of 5 components in this data; the index needs at least 3"
    assert str(index) == (
        "Alignment index n/a: 1 of 5 components in this data; the index needs at least 3"
    )
    # No weight and no points are shown for an index that is not computed.
    assert index.table["weight"].isna().all() and index.table["contribution"].isna().all()
    assert index.missing == (
        "mql_acceptance",
        "feedback_coverage",
        "mql_to_sql",
        "marketing_pipeline_share",
    )
    # Without a minimum (1) the same component gives the old index.
    assert alignment_index({"sla_compliance": 0.0}, WEIGHTS).value == 0.0


def test_two_components_are_short_of_three_and_three_make_an_index():
    two = {"sla_compliance": 0.8, "mql_acceptance": 0.6}
    short = alignment_index(two, WEIGHTS, min_components=3)
    assert math.isnan(short.value)
    assert short.na_reason == "2 of 5 components in this data; the index needs at least 3"
    # Three: 100 × (.25 × .8 + .2 × .6 + .25 × .5) / (.25 + .2 + .25) = 100 × .445 / .7.
    three = alignment_index({**two, "mql_to_sql": 0.5}, WEIGHTS, min_components=3)
    assert three.value == pytest.approx(100 * 0.445 / 0.7)
    assert three.na_reason == ""
    assert three.table["contribution"].sum() == pytest.approx(100 * 0.445 / 0.7)


def test_a_component_without_weight_does_not_count():
    # Feedback coverage has a value but weight 0: 1 of the 2 weighted components is there.
    weights = {"sla_compliance": 0.5, "mql_acceptance": 0.5, "feedback_coverage": 0.0}
    index = alignment_index(
        {"sla_compliance": 0.9, "feedback_coverage": 0.4}, weights, min_components=2
    )
    assert math.isnan(index.value)
    assert index.na_reason == "1 of 2 components in this data; the index needs at least 2"


def test_no_weight_at_all_says_so():
    index = alignment_index({"sla_compliance": 0.9}, {"sla_compliance": 0.0}, min_components=1)
    assert math.isnan(index.value)
    assert index.na_reason == "no component has a weight above 0"


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_the_minimum_is_a_whole_number_of_at_least_one(bad):
    with pytest.raises(ParameterError, match="min_components is"):
        alignment_index({"sla_compliance": 0.9}, WEIGHTS, min_components=bad)


@pytest.mark.parametrize("bad", [0, 6, 2.5, "3", True])
def test_workbook_toml_refuses_a_minimum_outside_1_to_5(bad):
    with pytest.raises(ConfigError) as error:
        config_from_dict({"alignment": {"min_components": bad}}, where="acme/workbook.toml")
    assert str(error.value) == (
        f"acme/workbook.toml: key 'alignment.min_components' is {bad!r}; expected a whole "
        "number from 1 to 5 (the components with a weight above 0 under [alignment_weights])."
    )


def test_workbook_toml_minimum_is_bounded_by_the_weighted_components():
    # Two components weighted: the default 3 cannot be met, and the message says to lower it.
    zeroed = {"feedback_coverage": 0, "mql_to_sql": 0, "marketing_pipeline_share": 0}
    with pytest.raises(ConfigError, match="is 3; expected a whole number from 1 to 2"):
        config_from_dict({"alignment_weights": zeroed})
    config = config_from_dict({"alignment_weights": zeroed, "alignment": {"min_components": 2}})
    assert config.alignment_min_components == 2


def test_the_tile_reads_na_with_the_count_of_components():
    index = alignment_index({"sla_compliance": 0.0}, WEIGHTS, min_components=3)
    page = rh.alignment_index_html(index)
    assert (
        'n/a <span class="aw-why">— 1 of 5 components in this data; the index needs at least '
        "3</span>"
    ) in page
    assert "0.0 / 100" not in page
    assert "with fewer than 3 components no index is computed." in page
    assert "renormalised" not in page


def _tiny_needing_five(tmp_path):
    data = tmp_path / "tiny"
    shutil.copytree(TINY, data)
    toml = data / "workbook.toml"
    toml.write_text(toml.read_text() + "\n[alignment]\nmin_components = 5\n")
    return data


def test_the_view_reads_the_minimum_from_workbook_toml(tmp_path):
    # north 2026Q3 (tests/test_workbook_view.py): 4 of 5 components, no feedback table; 56.86
    # with the default minimum of 3, n/a when all 5 are asked for.
    assert Workbook.load(TINY).view("north", "2026Q3").alignment_index().value == pytest.approx(
        56.86, abs=0.01
    )
    view = Workbook.load(_tiny_needing_five(tmp_path)).view("north", "2026Q3")
    index = view.alignment_index()
    assert math.isnan(index.value)
    assert index.na_reason == "4 of 5 components in this data; the index needs at least 5"
    assert index.reasons == {"feedback_coverage": "not in this data: no feedback table"}
    assert report_summary(view)["alignment_index"] is None


def test_metrics_json_gives_null_with_the_reason(tmp_path):
    data = _tiny_needing_five(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "helpers.cli", "metrics", "--team", "north", "--quarter",
         "2026Q3", "--data", str(data), "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    index = json.loads(result.stdout)["alignment_index"]
    assert index["value"] is None
    assert index["reason"] == "4 of 5 components in this data; the index needs at least 5"
    assert index["missing"] == ["feedback_coverage"]
    assert all(c["contribution"] is None for c in index["components"])
    # With the default minimum the reason is null and the value is there.
    result = subprocess.run(
        [sys.executable, "-m", "helpers.cli", "metrics", "--team", "north", "--quarter",
         "2026Q3", "--data", str(TINY), "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    index = json.loads(result.stdout)["alignment_index"]
    assert index["reason"] is None and np.isclose(index["value"], 56.86, atol=0.01)
