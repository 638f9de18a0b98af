"""Exercise 1, lead-qualification calibration: thresholds, summary figures, widgets, sample."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers.analysis.workbook import Workbook
from helpers.display.widgets import static_html
from helpers.errors import WorkbookError
from helpers.training import calibration as cal
from helpers.training.session import Workshop

PROJECT = Path(__file__).resolve().parents[1]
SAMPLE = PROJECT / "data" / "sample"
TINY = PROJECT / "tests" / "data" / "tiny"
SESSION = "test session"

# The tiny data's north team: its scored, not sales-sourced leads (L4 is outbound, no score).
TINY_SCORES = {"L1": 80.0, "L3": 70.0, "L5": 60.0, "L2": 40.0}


@pytest.fixture(scope="module")
def sample_workbook() -> Workbook:
    return Workbook.load(SAMPLE, reuse=True)


@pytest.fixture
def tiny_copy(tmp_path) -> Path:
    """A private copy of the tiny data: the answer store is written into the data directory."""
    target = tmp_path / "tiny"
    shutil.copytree(TINY, target)
    return target


def _rate(workshop: Workshop, name: str, role: str, answers: dict[str, str], q="mql") -> str:
    """Join ``name`` straight in the store and record ``answers`` (lead → yes/no) for ``q``."""
    pid = workshop.store.join(workshop.session, name, role, "north")
    for lead, answer in answers.items():
        workshop.store.record(workshop.session, pid, cal.EXERCISE, cal.item_id(lead, q), answer)
    return pid


# --- implied_threshold ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "yes", "expected"),
    [
        # Clean split: only the cut between 20 and 30 gets all four right → midpoint 25.
        ([10, 20, 30, 40], [False, False, True, True], 25.0),
        # Everyone yes: the best cut is below every score; the mean step is (30 − 10) / 2 = 10,
        # so the cut sits half a step below 10 → 5.
        ([10, 20, 30], [True, True, True], 5.0),
        # Everyone no: half a step (5) above the highest score → 35.
        ([10, 20, 30], [False, False, False], 35.0),
        # n, y, n, y: cuts 15 and 35 both get 3 of 4 right (5, 25 and 45 only 2); the tie goes
        # to the middle of the two → 25.
        ([10, 20, 30, 40], [False, True, False, True], 25.0),
        # Several raters per lead: at 40 one yes / two no, at 60 two yes / one no. Cut 30 (all
        # yes) gets 3 right, cut 50 gets 2 + 2 = 4, cut 70 (all no) 3 → 50.
        ([40, 40, 40, 60, 60, 60], [True, False, False, True, True, False], 50.0),
        # One score, split labels: step 1, cuts 49.5 and 50.5 both get 1 of 2 → middle 50.
        ([50, 50], [True, False], 50.0),
        # A missing score drops its label: what is left is the clean split at 25.
        ([10, 20, float("nan"), 30, 40], [False, False, True, True, True], 25.0),
    ],
    ids=["clean", "all-yes", "all-no", "tie", "repeated", "one-score", "nan-dropped"],
)
def test_implied_threshold_by_hand(scores, yes, expected):
    assert cal.implied_threshold(scores, yes) == pytest.approx(expected)


def test_implied_threshold_edges():
    assert math.isnan(cal.implied_threshold([], []))
    with pytest.raises(WorkbookError, match="one label per score"):
        cal.implied_threshold([1, 2], [True])


def test_model_threshold_from_the_data(tiny_copy, sample_workbook):
    # Tiny north: the scored marketing leads 40, 60, 70, 80 all became MQLs, so the best cut
    # is below all of them: 40 − half the mean step (80 − 40) / 3 → 40 − 20/3.
    tiny = Workbook.load(tiny_copy)
    assert cal.model_threshold(tiny, "north") == pytest.approx(40 - 20 / 3)
    # The sample's MQL decision is a logistic around 53: the inferred cut is close to it.
    assert 48 < cal.model_threshold(sample_workbook, "emea-ent") < 58


def test_item_id_round_trip():
    assert cal.item_id("L0000123", "mql") == "L0000123:mql"
    assert cal.parse_item("L0000123:call") == ("L0000123", "call")
    with pytest.raises(WorkbookError, match="Unknown calibration question"):
        cal.item_id("L1", "maybe")


# --- summarise -----------------------------------------------------------------------------


def test_summarise_with_nobody(tiny_copy):
    summary = cal.summarise(Workshop(tiny_copy, SESSION), "north")
    assert summary.participants == 0
    assert summary.headline.startswith("Nobody has answered yet")
    assert math.isnan(summary.figures["fleiss_mql"])
    assert math.isnan(summary.figures["room_threshold"])
    assert summary.disagreements.empty
    assert "Nobody has answered yet" in static_html(summary.page_parts())


def test_summarise_one_rater(tiny_copy):
    workshop = Workshop(tiny_copy, SESSION)
    _rate(workshop, "Ana", "sales", {"L1": "yes", "L3": "yes", "L5": "no", "L2": "no"})
    summary = cal.summarise(workshop, "north")
    assert summary.participants == 1
    assert "agreement needs at least two" in summary.headline
    assert math.isnan(summary.figures["fleiss_mql"])
    # Her own split: yes for 70 and 80, no for 40 and 60 → the cut between 60 and 70.
    assert summary.figures["room_threshold"] == pytest.approx(65.0)
    assert summary.disagreements.empty
    static_html(summary.page_parts())  # renders without error


def test_summarise_kappas_by_hand(tiny_copy):
    workshop = Workshop(tiny_copy, SESSION)
    # "MQL?" on L1 (80), L3 (70), L5 (60), L2 (40):
    #   sales A: y y n n     sales B: y y n n     marketing C: y y y y     marketing D: y y y n
    _rate(workshop, "A", "sales", {"L1": "yes", "L3": "yes", "L5": "no", "L2": "no"})
    _rate(workshop, "B", "sales", {"L1": "yes", "L3": "yes", "L5": "no", "L2": "no"})
    _rate(workshop, "C", "marketing", {"L1": "yes", "L3": "yes", "L5": "yes", "L2": "yes"})
    _rate(workshop, "D", "marketing", {"L1": "yes", "L3": "yes", "L5": "yes", "L2": "no"})
    summary = cal.summarise(workshop, "north", size=4)
    f = summary.figures
    assert summary.participants == 4
    # Room, Fleiss: per-item agreement P_i = (Σ n_ij² − 4) / 12: L1 (4 y) 1, L3 (4 y) 1,
    # L5 (2 y, 2 n) (4 + 4 − 4)/12 = 1/3, L2 (1 y, 3 n) (1 + 9 − 4)/12 = 1/2 → P̄ = 17/24.
    # Shares: 11 yes, 5 no of 16 → P_e = (121 + 25)/256 = 73/128.
    # κ = (17/24 − 73/128) / (1 − 73/128) = (53/384) / (165/384) = 53/165.
    assert f["fleiss_mql"] == pytest.approx(53 / 165)
    # Within sales: identical answers, both categories used → κ = 1.
    assert f["fleiss_sales_mql"] == pytest.approx(1.0)
    # Within marketing: P_i = 1, 1, 1, 0 → P̄ = 3/4; shares 7/8, 1/8 → P_e = 50/64;
    # κ = (48/64 − 50/64) / (14/64) = −1/7.
    assert f["fleiss_marketing_mql"] == pytest.approx(-1 / 7)
    # Across: A–C agree on 2 of 4, chance Σ a_k c_k = 2·4 + 2·0 = 8 → (4·2 − 8)/(16 − 8) = 0;
    # A–D agree on 3, chance 2·3 + 2·1 = 8 → (12 − 8)/8 = 0.5; B is A's twin → mean 0.25.
    assert f["cohen_across_mql"] == pytest.approx(0.25)
    # Nobody answered "SQL?" or "Call?" yet.
    assert math.isnan(f["fleiss_sql"]) and math.isnan(f["cohen_across_call"])
    # Room threshold: at 80 and 70 four yes, at 60 two/two, at 40 one yes/three no. Cut 50
    # gets 3 + 10 = 13 right, cut 65 gets 5 + 8 = 13, the others fewer → middle 57.5.
    assert f["room_threshold"] == pytest.approx(57.5)
    # Sales: only the cut between 60 and 70 gets all 8 right → 65.
    assert f["sales_threshold"] == pytest.approx(65.0)
    # Marketing: cut 40 − 20/3 (all yes) and cut 50 both get 7 of 8 → their middle 125/3.
    assert f["marketing_threshold"] == pytest.approx(125 / 3)
    assert f["model_threshold"] == pytest.approx(40 - 20 / 3)
    # Most disputed: L5 (agreement 1/3) before L2 (1/2); unanimous L1 and L3 are not listed.
    items = list(summary.disagreements["item"])
    assert len(items) == 2
    assert "L5" in items[0] and "MQL?" in items[0] and "L2" in items[1]
    assert "2 yes / 2 no" in summary.disagreements["detail"].iloc[0]
    assert "became an SQL" in summary.disagreements["detail"].iloc[0]  # L5's real outcome
    assert "0.32 (fair)" in summary.headline  # 53/165 in Landis & Koch words


def test_summarise_perfect_agreement(tiny_copy):
    workshop = Workshop(tiny_copy, SESSION)
    same = {"L1": "yes", "L3": "yes", "L5": "no", "L2": "no"}
    for name, role in [("A", "sales"), ("B", "sales"), ("C", "marketing"), ("D", "marketing")]:
        _rate(workshop, name, role, same)
    f = cal.summarise(workshop, "north").figures
    assert f["fleiss_mql"] == pytest.approx(1.0)
    assert f["fleiss_sales_mql"] == f["fleiss_marketing_mql"] == pytest.approx(1.0)
    assert f["cohen_across_mql"] == pytest.approx(1.0)
    assert cal.summarise(workshop, "north").disagreements.empty


def test_summarise_raters_sharing_no_lead_does_not_fail(tiny_copy):
    # Mid-exercise: two sales raters who have not answered a common lead yet.
    workshop = Workshop(tiny_copy, SESSION)
    _rate(workshop, "A", "sales", {"L1": "yes", "L3": "no"})
    _rate(workshop, "B", "sales", {"L5": "no"})
    summary = cal.summarise(workshop, "north")
    assert summary.participants == 2
    # A (2 answers) is the only complete rater, so no kappa yet, but the page renders.
    assert math.isnan(summary.figures["fleiss_mql"])
    static_html(summary.page_parts())


def test_hostile_names_are_escaped(tiny_copy):
    workshop = Workshop(tiny_copy, SESSION)
    _rate(workshop, "<script>alert(1)</script>", "sales", {"L1": "yes", "L2": "no"})
    _rate(workshop, "<b>Bo</b>", "marketing", {"L1": "no", "L2": "no"})
    page = static_html(cal.summarise(workshop, "north").page_parts())
    assert "<script>alert" not in page and "<b>Bo</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- widgets ---------------------------------------------------------------------------------


def test_widgets_record_answers_and_restart_prefills(tiny_copy):
    workshop = Workshop(tiny_copy, SESSION)
    exercise = cal.CalibrationExercise(workshop, size=4)
    assert len(exercise.toggles) == 4 * 3
    assert all(t.disabled for t in exercise.toggles.values())  # before joining
    assert exercise.team == "north"

    who = workshop.join("Ana", "sales", "north")
    assert not any(t.disabled for t in exercise.toggles.values())
    exercise.toggles["L1:mql"].value = "yes"
    exercise.toggles["L2:mql"].value = "no"
    exercise.toggles["L1:call"].value = "yes"
    latest = workshop.store.latest(SESSION, cal.EXERCISE)
    assert dict(zip(latest["item"], latest["answer"], strict=True)) == {
        "L1:mql": "yes",
        "L2:mql": "no",
        "L1:call": "yes",
    }
    assert set(latest["participant_id"]) == {who.participant_id}

    exercise.toggles["L2:mql"].value = "yes"  # a change of mind: history keeps both
    history = workshop.store.history(SESSION, who.participant_id)
    assert list(history.loc[history["item"] == "L2:mql", "answer"]) == ["no", "yes"]
    latest = workshop.store.latest(SESSION, cal.EXERCISE)
    assert len(latest) == 3
    summary = cal.summarise(workshop, "north", size=4)
    assert summary.participants == 1
    # Her "MQL?" answers: yes at 80 (L1) and 40 (L2) → all yes, cut 40 − half of 40 → 20.
    assert summary.figures["room_threshold"] == pytest.approx(20.0)

    # Kernel restart: a new Workshop on the same store, same name → earlier answers shown,
    # and showing them records nothing.
    again = Workshop(tiny_copy, SESSION)
    restarted = cal.CalibrationExercise(again, size=4)
    assert restarted.toggles["L1:mql"].value is None
    again.join("Ana", "sales", "north")
    assert restarted.toggles["L1:mql"].value == "yes"
    assert restarted.toggles["L2:mql"].value == "yes"
    assert restarted.toggles["L1:call"].value == "yes"
    assert restarted.toggles["L3:sql"].value is None
    assert len(again.store.history(SESSION, who.participant_id)) == 4


def test_widget_rows_are_findable(tiny_copy):
    exercise = cal.CalibrationExercise(Workshop(tiny_copy, SESSION), size=4)
    first = exercise.rows[0]
    assert "calibration-lead-1" in first._dom_classes
    label, attributes, *toggles = first.children
    lead = exercise.sample["lead_id"].iloc[0]
    assert f"Lead 1 · {lead}" in label.value
    assert [t.description for t in toggles] == ["MQL?", "SQL?", "Call?"]
    assert all(list(t.options) == ["yes", "no"] for t in toggles)
    assert "calibration-mql" in toggles[0]._dom_classes
    # The score is never shown while rating.
    score = str(int(exercise.sample["score"].iloc[0]))
    assert score not in attributes.value
    assert "score" not in exercise.form_table().columns


def test_joining_another_team_rebuilds_the_form(tiny_copy):
    workshop = Workshop(tiny_copy, SESSION)
    exercise = cal.CalibrationExercise(workshop, size=4)
    workshop.join("Sam", "marketing", "south")
    assert exercise.team == "south"
    assert list(exercise.sample["lead_id"]) == ["L6"]  # south's only lead
    assert set(exercise.toggles) == {"L6:mql", "L6:sql", "L6:call"}
    exercise.toggles["L6:sql"].value = "no"
    assert list(workshop.answers(cal.EXERCISE, team="south")["item"]) == ["L6:sql"]


# --- lead_sample -----------------------------------------------------------------------------


def test_lead_sample_is_deterministic_and_differs_by_team(sample_workbook):
    first = cal.lead_sample(sample_workbook, "emea-ent", SESSION)
    again = cal.lead_sample(sample_workbook, "emea-ent", SESSION)
    assert list(first["lead_id"]) == list(again["lead_id"])
    assert len(first) == 12 and first["lead_id"].is_unique
    assert list(first["position"]) == list(range(1, 13))
    other_team = cal.lead_sample(sample_workbook, "na-smb", SESSION)
    assert set(other_team["lead_id"]).isdisjoint(first["lead_id"])
    leads = sample_workbook.dataset.tables["leads"].set_index("lead_id")
    assert set(leads.loc[list(other_team["lead_id"]), "team"]) == {"na-smb"}
    other_session = cal.lead_sample(sample_workbook, "emea-ent", "another session")
    assert list(other_session["lead_id"]) != list(first["lead_id"])


def test_lead_sample_spreads_over_scores(sample_workbook):
    sample = cal.lead_sample(sample_workbook, "emea-ent", SESSION)
    model = cal.model_threshold(sample_workbook, "emea-ent")
    # Stratified: leads well below and well above the model's threshold, none sales-sourced.
    assert (sample["score"] < model - 15).sum() >= 2
    assert (sample["score"] > model + 15).sum() >= 2
    assert "sales" not in set(sample["source_type"])
    # Shown in a random order, not sorted by score (which would give the score away).
    assert not sample["score"].is_monotonic_increasing
    assert {"created", "channel", "industry", "became_mql", "outcome"} <= set(sample.columns)


def test_lead_sample_small_team_and_bad_size(tiny_copy):
    tiny = Workbook.load(tiny_copy)
    sample = cal.lead_sample(tiny, "north", SESSION, size=12)
    assert sorted(sample["lead_id"]) == sorted(TINY_SCORES)  # fewer leads than asked for
    assert dict(zip(sample["lead_id"], sample["score"], strict=True)) == TINY_SCORES
    with pytest.raises(WorkbookError, match="size must be"):
        cal.lead_sample(tiny, "north", SESSION, size=0)


def test_mql_curve_and_empty_chart(tiny_copy):
    tiny = Workbook.load(tiny_copy)
    # Four bands over 40–80 (width 10): 40 → band 1, 60 → band 3, 70 and 80 → band 4 (the
    # top edge belongs to the last band); all four leads became MQLs.
    curve = cal.mql_curve(tiny, "north", bands=4)
    assert list(curve["score"]) == [45.0, 65.0, 75.0]
    assert list(curve["leads"]) == [1, 1, 2]
    assert list(curve["share_mql"]) == [1.0, 1.0, 1.0]
    # Before anyone answers, the page still carries a chart: how the model decides.
    parts = cal.summarise(Workshop(tiny_copy, SESSION), "north").parts
    assert any(hasattr(p, "savefig") for p in parts)


# --- the trained lead model's line beside the room's (issue 20) -------------------------------


def test_trained_model_thresholds_by_hand():
    from helpers.training.calibration.summary import trained_model_thresholds

    answers = pd.DataFrame(
        {
            "lead_id": ["A", "B", "C", "D", "A"],
            "question": ["sql", "sql", "sql", "sql", "mql"],
            "yes": [False, False, True, True, True],
        }
    )
    scores = pd.DataFrame(
        {
            "lead_id": ["A", "B", "C", "D"],
            "score": [10.0, 20.0, 30.0, 40.0],
            "converted": pd.array([False, True, True, pd.NA], dtype="boolean"),
        }
    )
    found = trained_model_thresholds(answers, scores)
    # The room says SQL for 30 and 40, not for 10 and 20 → the cut between 20 and 30.
    assert found["room_sql_model_threshold"] == pytest.approx(25.0)
    # Known outcomes: 10 no, 20 and 30 yes (D is too young) → the cut between 10 and 20.
    assert found["model_sql_threshold"] == pytest.approx(15.0)


def test_summary_says_when_the_data_cannot_train_the_model(tiny_copy):
    workshop = Workshop(tiny_copy, SESSION)
    _rate(workshop, "Ana", "sales", {"L1": "yes", "L3": "yes", "L5": "no", "L2": "no"})
    page = static_html(cal.summarise(workshop, "north").page_parts())
    assert "Trained lead model: not in this data (the lead model needs at least 10" in page
