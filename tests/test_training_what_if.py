"""Exercise 2 (SLA and funnel what-if): baseline, projection, reverse waterfall, widgets."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.workbook import Workbook
from helpers.display.widgets import static_html
from helpers.errors import ParameterError
from helpers.metrics.stats import Rate
from helpers.training import what_if
from helpers.training.session import Workshop

TINY = Path(__file__).parent / "data" / "tiny"


@pytest.fixture(scope="module")
def north():
    """Baseline of team north in 2026Q3 of the tiny data (worked out in the test below)."""
    return what_if.baseline(Workbook.load(TINY).view("north", "2026Q3"))


def hand_built(**changes) -> what_if.Baseline:
    """100 leads, every stage rate 0.5, SLA 0.8 with in-SLA MQLs converting at 0.6 and late
    ones at 0.2 (uplift 0.4), deal 1 000, opportunities worth 2 000 on average, target 10 000."""
    fields = dict(
        team="t",
        quarter="2026Q3",
        target_quarter="2026Q4",
        leads=100.0,
        sla_compliance=0.8,
        lead_to_mql=0.5,
        mql_to_sql=0.5,
        sql_to_opp=0.5,
        win_rate=0.5,
        deal_size=1000.0,
        opportunity_amount=2000.0,
        sql_rate_in_sla=Rate(6, 10),
        sql_rate_late=Rate(2, 10),
        actual={"lead": 100, "mql": 50, "sql": 25, "opportunity": 12, "won": 6},
        revenue_target=10_000.0,
        pipeline_target=30_000.0,
        currency="EUR",
    )
    fields.update(changes)
    return what_if.Baseline(**fields)


def test_baseline_of_tiny_north(north):
    # tests/test_metrics_funnel.py: north in 2026Q3 has, in the period view, 4 leads, 4 MQLs,
    # 3 SQLs, 2 opportunities (1 000 + 500) and 1 won deal (1 000) of 2 closed (win rate 1/2).
    # MQLs of the quarter: L1 and L5 touched in SLA, both became SQL after the MQL (2/2); L2
    # late and L3 untouched past the 8 h SLA, neither became SQL (0/2). SLA compliance 2/4.
    assert (north.leads, north.sla_compliance) == (4.0, 0.5)
    assert (north.lead_to_mql, north.mql_to_sql) == (1.0, 0.75)  # 4/4, 3/4
    assert north.sql_to_opp == pytest.approx(2 / 3)
    assert (north.win_rate, north.deal_size, north.opportunity_amount) == (0.5, 1000.0, 750.0)
    assert north.sql_rate_in_sla == Rate(2, 2)
    assert north.sql_rate_late == Rate(0, 2)
    assert north.sla_uplift == 1.0
    assert np.isnan(north.revenue_target)  # tiny has no targets table


def test_projection_at_baseline_gives_back_the_quarter(north):
    table = what_if.project(north).set_index("stage")
    # 4 leads × 1 = 4 MQLs × 0.75 = 3 SQLs × 2/3 = 2 opps × 0.5 = 1 won × 1 000 = 1 000;
    # pipeline 2 opps × 750 = 1 500: the quarter's real figures.
    expected = {"lead": 4, "mql": 4, "sql": 3, "opportunity": 2, "won": 1}
    expected |= {"pipeline": 1500, "revenue": 1000}
    for stage, value in expected.items():
        assert table.loc[stage, "baseline"] == pytest.approx(value)
        assert table.loc[stage, "projected"] == pytest.approx(value)
        assert table.loc[stage, "actual"] == pytest.approx(value)
    assert (table["change"] == 0).all()


def test_sla_lever_moves_sqls_by_the_data(north):
    # SLA 0.5 → 1.0 with uplift 1.0: SQLs per MQL 0.75 + 0.5 × 1.0 = 1.25; 4 MQLs → 5 SQLs,
    # 5 × 2/3 opps = 10/3, × 0.5 = 5/3 won → 1 666.67 revenue.
    table = what_if.project(north, sla_compliance=1.0).set_index("stage")
    assert table.loc["sql", "projected"] == pytest.approx(5.0)
    assert table.loc["revenue", "projected"] == pytest.approx(5000 / 3)
    assert table.loc["sql", "change"] == pytest.approx(2.0)
    # SLA 0 would give 0.75 − 0.5 = 0.25 per MQL → 1 SQL.
    low = what_if.project(north, sla_compliance=0.0).set_index("stage")
    assert low.loc["sql", "projected"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("lever", "value", "stage", "expected"),
    [
        # hand_built at baseline: 100 → 50 MQL → 25 SQL → 12.5 opps → 6.25 won → 6 250
        ("leads", 200, "revenue", 12_500.0),
        ("lead_to_mql", 0.25, "mql", 25.0),
        ("mql_to_sql", 0.6, "sql", 30.0),  # 50 × 0.6
        ("sql_to_opp", 1.0, "opportunity", 25.0),  # 25 × 1
        ("win_rate", 0.2, "won", 2.5),  # 12.5 × 0.2
        ("deal_size", 2000.0, "revenue", 12_500.0),  # 6.25 × 2 000
        ("deal_size", 2000.0, "pipeline", 50_000.0),  # 12.5 × 2 000 × 2 000 / 1 000
        ("sla_compliance", 1.0, "sql", 29.0),  # 50 × (0.5 + 0.2 × 0.4)
        ("sla_compliance", 0.3, "sql", 15.0),  # 50 × (0.5 − 0.5 × 0.4)
    ],
    ids=["leads", "lead_to_mql", "mql_to_sql", "sql_to_opp", "win", "deal", "deal_pipe",
         "sla_up", "sla_down"],
)  # fmt: skip
def test_each_lever_moves_the_projection(lever, value, stage, expected):
    table = what_if.project(hand_built(), **{lever: value}).set_index("stage")
    assert table.loc[stage, "projected"] == pytest.approx(expected)
    assert table.loc["revenue", "baseline"] == pytest.approx(6250.0)


def test_projection_against_targets():
    table = what_if.project(hand_built(), leads=160).set_index("stage")
    # 160 leads → 10 won → 10 000 revenue = the target; pipeline 20 opps × 2 000 = 40 000.
    assert table.loc["revenue", "attainment"] == pytest.approx(1.0)
    assert table.loc["pipeline", "attainment"] == pytest.approx(40_000 / 30_000)
    assert np.isnan(table.loc["mql", "target"])


def test_reverse_waterfall_at_the_chosen_rates():
    base = hand_built()
    table = what_if.waterfall(base).set_index("stage")
    # 10 000 / 1 000 = 10 won; / 0.5 = 20 opps; / 0.5 = 40 SQLs; / 0.5 = 80 MQLs; / 0.5 = 160
    assert table["needed"].tolist() == [10, 20, 40, 80, 160]
    assert table.loc["lead", "gap"] == 60  # 160 needed − 100 in the baseline quarter
    assert table.loc["won", "projected"] == pytest.approx(6.25)
    # Better follow-up: SLA 1.0 → 0.58 SQLs per MQL → ⌈40 / 0.58⌉ = 69 MQLs → 138 leads.
    better = what_if.waterfall(base, sla_compliance=1.0).set_index("stage")
    assert better.loc["mql", "needed"] == 69
    assert better.loc["lead", "needed"] == 138


def test_unknown_or_negative_lever_is_refused():
    with pytest.raises(ParameterError, match="Unknown lever"):
        what_if.project(hand_built(), budget=3)
    with pytest.raises(ParameterError, match="0 or more"):
        what_if.project(hand_built(), leads=-1)


def test_no_late_mqls_means_no_sla_effect():
    base = hand_built(sql_rate_late=Rate(0, 0))
    assert base.sla_uplift == 0.0
    table = what_if.project(base, sla_compliance=1.0).set_index("stage")
    assert table.loc["sql", "projected"] == pytest.approx(25.0)


def test_role_medians_and_disagreements():
    answers = pd.DataFrame(
        {
            "item": ["scenario"] * 3,
            "name": ["A", "B", "C"],
            "role": ["sales", "sales", "marketing"],
            "participant_id": ["1", "2", "3"],
            "answer": [
                {"leads": 100, "sla_compliance": 0.9, "projected_revenue": 1000},
                {"leads": 120, "sla_compliance": 0.8, "projected_revenue": 3000},
                {"leads": 112, "sla_compliance": 0.95, "projected_revenue": 5000},
            ],
        }
    )
    table = what_if.scenarios(answers)
    medians = what_if.role_medians(table).set_index("role")
    assert medians.loc["sales", "leads"] == 110  # median of 100 and 120
    assert medians.loc["sales", "scenarios"] == 2
    assert medians.loc["marketing", "projected_revenue"] == 5000
    found = what_if.lever_disagreements(medians.reset_index())
    # SLA 0.85 vs 0.95 differs by 10 points (> 5); leads 110 vs 112 by 1.8 % (< 10 %).
    assert found["item"].tolist() == ["SLA compliance"]


# --- widgets and the answer store -------------------------------------------------------


@pytest.fixture
def workshop(tmp_path):
    data = tmp_path / "tiny"
    shutil.copytree(TINY, data)
    shop = Workshop(data, "s1", ("north",))
    yield shop
    shop.close()


def test_sliders_move_the_result_and_save_the_scenario(workshop):
    exercise = what_if.WhatIfExercise(workshop)
    assert exercise.save_button.disabled  # nobody joined yet
    before = exercise.projection().set_index("stage").loc["revenue", "projected"]
    assert before == pytest.approx(1000.0)
    exercise.sliders["leads"].value = 8
    after = exercise.projection().set_index("stage").loc["revenue", "projected"]
    assert after == pytest.approx(2000.0)  # twice the leads, twice the revenue
    assert "2,000 EUR" in exercise.result.value  # the shown projection followed the slider
    exercise.sliders["sla_compliance"].value = 1.0
    assert exercise.projection().set_index("stage").loc["sql", "projected"] == pytest.approx(10)

    workshop.join("Ana", "sales", "north")
    assert not exercise.save_button.disabled
    exercise.save_button.click()
    stored = workshop.my_answers(what_if.EXERCISE)[what_if.SCENARIO_ITEM]
    assert stored["leads"] == 8 and stored["sla_compliance"] == 1.0
    # 8 leads → 8 MQLs × 1.25 = 10 SQLs × 2/3 × 0.5 × 1 000 = 3 333.33
    assert stored["projected_revenue"] == pytest.approx(3333.33)
    exercise.reset()
    assert exercise.levers()["leads"] == 4


def test_saved_scenario_is_restored_on_rejoin(workshop):
    workshop.join("Ana", "sales", "north")
    first = what_if.WhatIfExercise(workshop)
    first.sliders["win_rate"].value = 1.0
    first.save()
    again = what_if.WhatIfExercise(workshop)  # a new page of the same participant
    assert again.levers()["win_rate"] == 1.0


def test_summary_with_no_answers_and_hostile_names(workshop):
    summary = what_if.summarise(workshop, "north")
    assert summary.participants == 0 and summary.figures["scenarios"] == 0
    assert "No scenarios saved yet" in summary.headline
    static_html(summary.page_parts())

    workshop.join("<script>alert(1)</script>", "marketing", "north")
    exercise = what_if.WhatIfExercise(workshop)
    exercise.save()
    summary = what_if.summarise(workshop, "north")
    page = static_html(summary.page_parts())
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert summary.figures["median_revenue"] == {"marketing": pytest.approx(1000.0)}


def test_display_has_a_static_fallback(workshop, monkeypatch):
    shown = {}
    monkeypatch.setattr(what_if, "show", lambda widget, parts: shown.update(parts=parts))
    what_if.WhatIfExercise(workshop).display()
    page = static_html(shown["parts"])
    assert page.count("<table") >= 3 and "<img" in page


def test_average_opportunity_leaves_out_deals_without_an_amount(tmp_path):
    # tiny's north opportunities of 2026Q3: O1 (1000) and O2 (500); O2's amount blanked.
    copy = tmp_path / "tiny"
    shutil.copytree(TINY, copy)
    opps = copy / "opportunities.csv"
    opps.write_text(opps.read_text().replace("lost,500,", "lost,,"))
    base = what_if.baseline(Workbook.load(copy).view("north", "2026Q3"))
    assert base.opportunity_amount == pytest.approx(1000)  # 1000 / 1, not 1000 / 2
    assert (
        "1 of 2 opportunities have no amount: the average opportunity is that of the others."
        in base.notes
    )
