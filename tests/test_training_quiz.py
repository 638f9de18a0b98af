"""Exercise 4, the metrics quiz: questions, scoring, the widget and the summary."""

from __future__ import annotations

import html
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from helpers.data.config import config_from_dict, default_settings
from helpers.display.widgets import static_html
from helpers.errors import ParameterError
from helpers.metrics.definitions import DEFINITIONS, source_function
from helpers.training import quiz
from helpers.training.session import Workshop

TINY = Path(__file__).resolve().parent / "data" / "tiny"

Q = {q.id: q for q in quiz.QUESTIONS}


def answers(rows: list[tuple[str, str, str, str, str]]) -> pd.DataFrame:
    """Answers as Workshop.answers returns them: (participant_id, name, role, item, answer)."""
    return pd.DataFrame(rows, columns=["participant_id", "name", "role", "item", "answer"])


# Ana (sales): 2 answered, 1 right → 0.5; Bo (sales): 1 answered, 1 right → 1.0;
# Cy (marketing): 2 answered, 0 right → 0.0; an answer to an unknown question is dropped.
HAND = answers(
    [
        ("p1", "Ana", "sales", "mkt_roi", "3.0 (300 %)"),  # right
        ("p1", "Ana", "sales", "mkt_cost_per_mql", "50"),  # wrong (that is cost per lead)
        ("p2", "Bo", "sales", "mkt_roi", "3.0 (300 %)"),  # right
        ("p3", "Cy", "marketing", "sales_cac", "8,000"),  # wrong
        ("p3", "Cy", "marketing", "shared_rag_lower", "Green"),  # wrong
        ("p3", "Cy", "marketing", "retired_question", "whatever"),  # not a question: dropped
    ]
)


# --- the questions ------------------------------------------------------------------------


def test_question_ids_unique_and_well_formed():
    assert len(Q) == len(quiz.QUESTIONS)
    for q in quiz.QUESTIONS:
        assert q.audience in quiz.AUDIENCES, q.id
        assert 0 <= q.correct < len(q.options), q.id
        assert len(set(q.options)) == len(q.options) >= 3, q.id
        assert q.explanation.strip() and q.full_explanation().strip(), q.id


def test_every_metric_named_is_defined_and_computed_by_a_real_function():
    defined = {d.metric: d for d in DEFINITIONS}
    for q in quiz.QUESTIONS:
        assert q.metric in defined, f"{q.id}: {q.metric!r} not in helpers.metrics.definitions"
        assert q.formula == defined[q.metric].formula
        assert q.formula in q.full_explanation()
        assert callable(source_function(defined[q.metric]))


@pytest.mark.parametrize(
    ("role", "owner"), [("sales", "marketing"), ("marketing", "sales")], ids=["sales", "mkt"]
)
def test_each_role_gets_the_other_teams_questions(role, owner):
    mine = quiz.questions_for(role)
    owners = {q.owner for q in mine}
    assert owners == {owner, "shared"}
    assert sum(q.owner == owner for q in mine) >= 5
    assert all(q.audience in (role, "all") for q in mine)
    assert not any(q.owner == role for q in mine)


def test_questions_for_rejects_an_unknown_role():
    with pytest.raises(ValueError, match="role must be one of"):
        quiz.questions_for("finance")


# --- the right answers agree with this workbook's definitions and defaults -------------------


def test_speed_to_lead_question_uses_the_default_business_hours_clock():
    from helpers.data.clock import business_hours_between

    hours = config_from_dict({}).business_hours
    settings = default_settings()["business_hours"]
    q = Q["sales_speed_to_lead"]
    assert f"{settings['start']}–{settings['end']}" in q.text
    assert settings["days"] == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    # Friday 2026-07-03 16:00 → Monday 2026-07-06 10:00.
    got = business_hours_between(
        pd.Series(pd.to_datetime(["2026-07-03 16:00"])),
        pd.Series(pd.to_datetime(["2026-07-06 10:00"])),
        hours,
    )
    assert got.iloc[0] == pytest.approx(2.0)
    assert q.answer == "2 business hours"
    assert str(default_settings()["sla"]["mql_to_first_touch_hours"]) in q.explanation


@pytest.mark.parametrize(
    ("qid", "expected"),
    [
        ("mkt_cost_per_mql", "200"),  # 40,000 / 200 MQLs
        ("mkt_pipeline_share", "30 %"),  # 300k / (300k + 500k + 200k)
        ("mkt_u_shaped", "4,000"),  # 40 % of 10,000 to the first touch
        ("mkt_roi", "3.0 (300 %)"),  # (200k − 50k) / 50k
        ("sales_sla_compliance", "73.7 %"),  # 70 / (70 + 10 + 15); 5 still inside the SLA
        ("sales_acceptance", "80 %"),  # 120 / (120 + 30)
        ("sales_mql_to_sql", "15 %"),  # 60 / 400
        ("sales_win_rate", "40 %"),  # 20 / (20 + 30)
        ("sales_cac", "20,000"),  # (80k + 120k) / 10
        ("mkt_time_decay", "Half as much"),  # 2^(−7/7)
    ],
    ids=lambda v: str(v),
)
def test_worked_answers(qid, expected):
    assert Q[qid].answer == expected


def test_worked_numbers_by_hand():
    assert 40_000 / 200 == 200
    assert round(70 / (70 + 10 + 15), 3) == 0.737
    assert 120 / (120 + 30) == 0.8
    assert (80_000 + 120_000) / 10 == 20_000
    assert config_from_dict({}).half_life_days == 7.0  # the question's "default half-life"
    assert 2 ** (-7 / 7) == 0.5


def test_rag_question_matches_rag_status():
    from helpers.metrics.goals import rag_status

    config = config_from_dict({})
    attainment, status = rag_status(22_000, 20_000, "lower", config.rag_green, config.rag_amber)
    assert attainment == pytest.approx(20 / 22)
    assert Q["shared_rag_lower"].answer.lower() == status == "amber"


def test_alignment_question_wrong_component_is_not_a_weight():
    from helpers.metrics.headline import KPIS

    weights = default_settings()["alignment_weights"]
    labels = {KPIS[m][0]: m for m in KPIS} | {"Feedback coverage": "feedback_coverage"}
    q = Q["shared_alignment_index"]
    for i, option in enumerate(q.options):
        assert (labels[option] in weights) is (i != q.correct), option


def test_unit_question_explanations_name_the_formula():
    q = Q["sales_acceptance"]
    assert "accepted / (accepted + rejected)" in q.full_explanation()


# --- scoring ------------------------------------------------------------------------------


def test_score_marks_right_and_wrong_by_hand():
    expected = pd.DataFrame(
        {
            "participant_id": ["p1", "p1", "p2", "p3", "p3"],
            "name": ["Ana", "Ana", "Bo", "Cy", "Cy"],
            "role": ["sales", "sales", "sales", "marketing", "marketing"],
            "item": ["mkt_roi", "mkt_cost_per_mql", "mkt_roi", "sales_cac", "shared_rag_lower"],
            "answer": ["3.0 (300 %)", "50", "3.0 (300 %)", "8,000", "Green"],
            "correct": [True, False, True, False, False],
        }
    )
    before = HAND.copy()
    assert_frame_equal(quiz.score(HAND), expected)
    assert_frame_equal(HAND, before)  # input not modified


def test_participant_and_role_scores_by_hand():
    scored = quiz.score(HAND)
    people = quiz.participant_scores(scored)
    assert people[["name", "answered", "right"]].values.tolist() == [
        ["Cy", 2, 0],
        ["Ana", 2, 1],
        ["Bo", 1, 1],
    ]
    assert people["score"].tolist() == [0.0, 0.5, 1.0]
    roles = quiz.role_scores(scored)
    # Mean over participants, not pooled answers: sales (0.5 + 1.0) / 2 = 0.75, not 2/3.
    assert_frame_equal(
        roles,
        pd.DataFrame(
            {"role": ["sales", "marketing"], "participants": [2, 1], "mean_score": [0.75, 0.0]}
        ).astype({"participants": "int64"}),
    )


def test_question_results_share_right_by_role():
    results = quiz.question_results(quiz.score(HAND)).set_index("item")
    # Question order of QUESTIONS, only answered questions.
    assert list(results.index) == ["mkt_cost_per_mql", "mkt_roi", "sales_cac", "shared_rag_lower"]
    assert results.loc["mkt_roi", "answered"] == 2
    assert results.loc["mkt_roi", "share_right"] == 1.0
    assert results.loc["mkt_roi", "share_right_sales"] == 1.0
    assert math.isnan(results.loc["mkt_roi", "share_right_marketing"])
    assert results.loc["shared_rag_lower", "share_right_marketing"] == 0.0


def test_most_missed_lowest_share_first_without_revealing_the_answer():
    missed = quiz.most_missed(quiz.score(HAND))
    # Three questions at 0 right, each answered once: question order breaks the tie.
    assert missed["item"].tolist() == [
        Q["mkt_cost_per_mql"].text,
        Q["sales_cac"].text,
        Q["shared_rag_lower"].text,
    ]
    assert (
        missed["detail"].iloc[0] == "0 of 1 right (sales 0/1); most chosen wrong answer: '50' (1)"
    )
    for qid, detail in zip(["mkt_cost_per_mql", "sales_cac"], missed["detail"], strict=False):
        assert repr(Q[qid].answer) not in detail


def test_score_of_no_answers():
    empty = answers([])
    scored = quiz.score(empty)
    assert scored.empty and list(scored.columns)[-1] == "correct"
    assert quiz.role_scores(scored).empty
    assert quiz.most_missed(scored).empty


# --- the widget, on a copy of the tiny data set ------------------------------------------------


@pytest.fixture
def data_dir(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(TINY, target)
    return target


def shown(monkeypatch) -> list:
    calls: list = []
    monkeypatch.setattr(quiz, "show", lambda widget, fallback: calls.append((widget, fallback)))
    return calls


def test_disabled_until_joined_then_the_roles_questions(data_dir):
    workshop = Workshop(data_dir, "s1")
    exercise = quiz.QuizExercise(workshop)
    assert all(radio.disabled for radio in exercise.choices.values())
    assert all(radio.value is None for radio in exercise.choices.values())
    with pytest.raises(ParameterError, match="Nobody has joined"):
        workshop.record(quiz.EXERCISE, "mkt_roi", "4.0 (400 %)")

    workshop.join("Cy", "marketing", "north")
    mine = {q.id for q in quiz.questions_for("marketing")}
    for qid, radio in exercise.choices.items():
        assert radio.disabled is (qid not in mine), qid
        assert (exercise.boxes[qid].layout.display == "none") is (qid not in mine), qid
    assert "sales" in exercise.intro.value


def test_answer_recorded_at_once_explained_and_locked(data_dir):
    workshop = Workshop(data_dir, "s1")
    exercise = quiz.QuizExercise(workshop)
    workshop.join("Cy", "marketing", "north")
    assert exercise.verdicts["sales_win_rate"].value == ""  # nothing revealed before answering

    exercise.choices["sales_win_rate"].value = "20 %"  # wrong
    latest = workshop.store.latest("s1", quiz.EXERCISE)
    assert latest[["name", "role", "item", "answer"]].values.tolist() == [
        ["Cy", "marketing", "sales_win_rate", "20 %"]
    ]
    verdict = exercise.verdicts["sales_win_rate"].value
    assert "Not quite" in verdict and "<b>40 %</b>" in verdict and "won / (won + lost)" in verdict
    assert exercise.choices["sales_win_rate"].disabled  # locked: no fixing after the reveal
    exercise.choices["sales_acceptance"].value = "80 %"  # right
    assert "Right" in exercise.verdicts["sales_acceptance"].value
    assert "1 of 2 answered right" in exercise.score_line.value

    summary = quiz.summarise(workshop, "north")
    assert summary.participants == 1
    assert summary.figures["mean_score_marketing"] == 0.5
    assert math.isnan(summary.figures["mean_score_sales"])
    assert summary.disagreements["item"].tolist() == [Q["sales_win_rate"].text]

    # A restarted kernel: the same participant finds the answers, explained and locked.
    again = Workshop(data_dir, "s1")
    restarted = quiz.QuizExercise(again)
    again.join("Cy", "marketing", "north")
    assert restarted.choices["sales_win_rate"].value == "20 %"
    assert restarted.choices["sales_win_rate"].disabled
    assert "Not quite" in restarted.verdicts["sales_win_rate"].value
    assert len(again.store.history("s1")) == 2  # prefilling records nothing


def test_changing_an_answer_keeps_the_history_when_unlocked(data_dir):
    workshop = Workshop(data_dir, "s1")
    exercise = quiz.QuizExercise(workshop, lock_answered=False)
    workshop.join("Ana", "sales", "north")
    radio = exercise.choices["mkt_roi"]
    radio.value = "4.0 (400 %)"
    assert not radio.disabled
    radio.value = "3.0 (300 %)"
    history = workshop.store.history("s1")
    assert history["answer"].tolist() == ["4.0 (400 %)", "3.0 (300 %)"]
    latest = workshop.answers(quiz.EXERCISE)
    assert latest["answer"].tolist() == ["3.0 (300 %)"]
    assert quiz.summarise(workshop, "north").figures["mean_score_sales"] == 1.0


def test_two_roles_summary_and_other_team_left_out(data_dir):
    one, two, three = (Workshop(data_dir, "s1") for _ in range(3))
    a, b = quiz.QuizExercise(one), quiz.QuizExercise(two)
    one.join("Ana", "sales", "north")
    two.join("Cy", "marketing", "north")
    three.join("Zed", "sales", "south")
    a.choices["mkt_roi"].value = "3.0 (300 %)"
    a.choices["mkt_u_shaped"].value = "2,500"
    b.choices["sales_cac"].value = "20,000"
    three.record(quiz.EXERCISE, "mkt_roi", "0.25")  # another team: not in north's results
    summary = quiz.summarise(one, "north")
    assert summary.participants == 2
    assert summary.figures["mean_score_sales"] == 0.5
    assert summary.figures["mean_score_marketing"] == 1.0
    assert summary.headline.startswith("Mean score by role: sales 50%; marketing 100%")
    assert quiz.summarise(one, "south").figures["mean_score_sales"] == 0.0


def test_summary_with_zero_answers(data_dir):
    summary = quiz.summarise(Workshop(data_dir, "empty"), "north")
    assert summary.participants == 0
    assert math.isnan(summary.figures["mean_score_sales"])
    assert summary.disagreements.empty
    assert "Nobody" in static_html(summary.page_parts())


def test_fallback_lists_questions_without_answers(data_dir, monkeypatch):
    calls = shown(monkeypatch)
    quiz.QuizExercise(Workshop(data_dir, "s1")).display()
    ((widget, fallback),) = calls
    page = static_html(fallback)
    for q in quiz.QUESTIONS:
        assert html.escape(q.text, quote=False) in page
        assert html.escape(q.explanation[:40], quote=False) not in page
    assert "✔" not in page and "answer is" not in page


def test_results_panel_renders_the_summary(data_dir):
    workshop = Workshop(data_dir, "s1")
    exercise = quiz.QuizExercise(workshop)
    panel = exercise.results_panel()
    assert "Nobody" in static_html(panel.render())
    workshop.join("Ana", "sales", "north")
    exercise.choices["mkt_roi"].value = "0.25"
    assert "Mean score by role: sales 0%" in static_html(panel.render())


def test_hostile_strings_are_escaped_in_the_summary(data_dir):
    workshop = Workshop(data_dir, "s1")
    workshop.join("<script>alert('n')</script>", "sales", "north")
    workshop.record(quiz.EXERCISE, "mkt_roi", "<script>alert('a')</script>")
    summary = quiz.summarise(workshop, "north")
    page = static_html(summary.page_parts())
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_team_figures_on_the_tiny_data():
    from helpers.analysis.workbook import Workbook

    figures = quiz.team_figures(Workbook.load(TINY, reuse=True), "north").set_index("metric")
    # Tiny north, 2026Q3 (hand-computed data set): SLA 2 of 4, acceptance 2 of 3 (L2
    # rejected; L1, L5 accepted), MQL → SQL 2 of 4, win rate 1 of 2.
    assert (figures["quarter"] == "2026Q3").all()
    pairs = figures[["numerator", "denominator"]].apply(tuple, axis=1).to_dict()
    assert pairs == {
        "sla_compliance": (2, 4),
        "mql_acceptance": (2, 3),
        "mql_to_sql": (2, 4),
        "win_rate": (1, 2),
    }
    assert (
        quiz.team_figures_chart(figures.reset_index(), "north")
        .axes[0]
        .get_title()
        .startswith("Team north, 2026Q3")
    )
