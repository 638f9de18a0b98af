"""Exercise 5, rejection-reason review: sample, taxonomy, agreement, widget and summary."""

from __future__ import annotations

import html
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from helpers.analysis.workbook import Workbook
from helpers.display.widgets import static_html
from helpers.errors import ParameterError
from helpers.training import rejections as rej
from helpers.training.session import Workshop

PROJECT = Path(__file__).resolve().parents[1]
SAMPLE = PROJECT / "data" / "sample"
TINY = PROJECT / "tests" / "data" / "tiny"

LABEL = rej.TAXONOMY


@pytest.fixture(scope="module")
def sample_workbook() -> Workbook:
    return Workbook.load(SAMPLE, reuse=True)  # read only: nothing is written to data/sample


def long(rows: dict[str, list[str]], raters=("a", "b", "c")) -> pd.DataFrame:
    """Answers in long form from {item: [answer of a, of b, of c]}."""
    records = [
        {"item": item, "participant_id": rater, "answer": answer}
        for item, answers in rows.items()
        for rater, answer in zip(raters, answers, strict=True)
    ]
    return pd.DataFrame(records)


# Hand-built answers of three raters (a, b sales; c marketing) on four leads.
HAND = long(
    {
        "L1": ["fit", "fit", "fit"],
        "L2": ["budget_timing", "budget_timing", "other"],
        "L3": ["duplicate", "existing", "duplicate"],
        "L4": ["fit", "other", "not_a_buyer"],  # 1-1-1: a tie
    }
)
ROLES = {"a": "sales", "b": "sales", "c": "marketing"}
HAND_SAMPLE = pd.DataFrame(
    {
        "item": ["L1", "L2", "L3", "L4"],
        "crm_reason": ["wrong persona", "no budget", "duplicate", "wrong persona"],
    }
)


# --- the sample ---------------------------------------------------------------------------


def test_sample_is_deterministic_per_team_and_session(sample_workbook):
    first = rej.rejected_sample(sample_workbook, "emea-ent", "Lisbon")
    again = rej.rejected_sample(sample_workbook, "emea-ent", "Lisbon")
    assert_frame_equal(first, again)
    assert len(first) == 10 and first["item"].is_unique
    other_session = rej.rejected_sample(sample_workbook, "emea-ent", "Porto")
    assert first["item"].tolist() != other_session["item"].tolist()
    other_team = rej.rejected_sample(sample_workbook, "na-smb", "Lisbon")
    assert not set(first["item"]) & set(other_team["item"])


@pytest.mark.parametrize("team", ["emea-ent", "apac-mm"])
def test_sample_holds_only_rejected_mqls_of_the_team(sample_workbook, team):
    tables = sample_workbook.dataset.tables
    leads = tables["leads"].set_index("lead_id")
    events = tables["lead_events"]
    sample = rej.rejected_sample(sample_workbook, team, "practice")
    for row in sample.itertuples(index=False):
        assert leads.loc[row.item, "team"] == team
        mine = events[events["lead_id"] == row.item]
        rejected = mine[mine["event"] == "rejected"]
        last = rejected.sort_values("at").iloc[-1]
        assert last["reason"] == row.crm_reason
        assert last["at"].strftime("%Y-%m-%d") == row.rejected_at
        assert (mine.loc[mine["event"] == "mql", "at"] <= last["at"]).any()  # an MQL first
    # Spread over the reasons: with 10 leads and more than 5 reasons, no reason twice in a row
    # of the turn order means at least 5 distinct reasons.
    assert sample["crm_reason"].nunique() >= 5
    assert "sales_feedback" in sample.columns


def test_rejected_without_an_mql_is_left_out(sample_workbook):
    events = sample_workbook.dataset.tables["lead_events"]
    leads = sample_workbook.dataset.tables["leads"]
    team_leads = set(leads.loc[leads["team"] == "emea-ent", "lead_id"])
    mql = set(events.loc[events["event"] == "mql", "lead_id"])
    never_mql = set(events.loc[events["event"] == "rejected", "lead_id"]) - mql
    assert never_mql & team_leads  # the sample data does have such rejections
    sample = rej.rejected_sample(sample_workbook, "emea-ent", "practice", size=10_000)
    assert not set(sample["item"]) & never_mql


def test_tiny_sample_by_hand():
    workbook = Workbook.load(TINY, reuse=True)
    north = rej.rejected_sample(workbook, "north", "practice")
    # North: L2 rejected "no budget" after its MQL, L5 rejected "not ready" after its first MQL.
    assert sorted(north["item"]) == ["L2", "L5"]
    assert dict(zip(north["item"], north["crm_reason"], strict=True)) == {
        "L2": "no budget",
        "L5": "not ready",
    }
    assert "sales_feedback" not in north.columns  # the tiny data has no feedback table
    south = rej.rejected_sample(workbook, "south", "practice")
    assert south["item"].tolist() == ["L6"]
    assert south["industry"].tolist() == ["health"]


# --- taxonomy and agreement on hand-built answers ---------------------------------------------


def test_resulting_taxonomy_by_hand_with_a_tie():
    result = rej.resulting_taxonomy(HAND)
    expected = pd.DataFrame(
        {
            "item": ["L1", "L2", "L3", "L4"],
            "ratings": [3, 3, 3, 3],
            "category": [LABEL["fit"], LABEL["budget_timing"], LABEL["duplicate"], rej.TIE],
            "votes": [3, 2, 2, 1],
            "agreement": [1.0, 2 / 3, 2 / 3, 1 / 3],
            # L4: fit, other and not_a_buyer one vote each: no majority, the labels sorted.
            "tied": ["", "", "", f"{LABEL['fit']} / {LABEL['other']} / {LABEL['not_a_buyer']}"],
        }
    ).astype({"ratings": "int64", "votes": "int64"})
    assert_frame_equal(result, expected)


def test_two_way_tie_has_no_majority():
    answers = long({"L9": ["fit", "duplicate"]}, raters=("a", "b"))
    row = rej.resulting_taxonomy(answers).iloc[0]
    assert row["category"] == rej.TIE
    assert row["tied"] == f"{LABEL['duplicate']} / {LABEL['fit']}"


def test_category_counts_by_hand():
    counts = rej.category_counts(rej.resulting_taxonomy(HAND))
    # Every category in taxonomy order (0 when empty), then the tie row.
    assert counts["category"].tolist() == [*LABEL.values(), rej.TIE]
    assert counts["leads"].tolist() == [1, 1, 0, 0, 1, 0, 0, 1]
    assert counts["share"].tolist() == [0.25, 0.25, 0, 0, 0.25, 0, 0, 0.25]


def test_crm_mapping_by_hand():
    mapping = rej.crm_mapping(HAND, HAND_SAMPLE).set_index("crm_reason")
    # "wrong persona" = L1 (fit × 3) + L4 (fit, other, not_a_buyer): fit 4 of 6 ratings.
    assert mapping.loc["wrong persona", "leads"] == 2
    assert mapping.loc["wrong persona", "ratings"] == 6
    assert mapping.loc["wrong persona", "mapped_to"] == LABEL["fit"]
    assert mapping.loc["wrong persona", "share"] == pytest.approx(4 / 6)
    assert mapping.loc["wrong persona", "all_answers"].startswith(f"{LABEL['fit']} 4, ")
    assert mapping.loc["no budget", "mapped_to"] == LABEL["budget_timing"]
    assert list(mapping.index) == ["duplicate", "no budget", "wrong persona"]


def test_kappas_by_hand():
    table = rej.room_agreement(HAND, ROLES).set_index("group")
    # Room, Fleiss: P_i = 1, 1/3, 1/3, 0 → P̄ = 5/12; category shares 4, 2, 2, 2, 1, 1 of 12
    # → P̄_e = 30/144 = 5/24; κ = (5/12 − 5/24) / (1 − 5/24) = 5/19.
    assert table.loc["all", "kappa"] == pytest.approx(5 / 19)
    # Sales (a, b): P_i = 1, 1, 0, 0 → P̄ = 1/2; shares fit 3, budget 2, dup, existing,
    # other 1 of 8 → P̄_e = 16/64 = 1/4; κ = (1/2 − 1/4) / (3/4) = 1/3.
    assert table.loc["sales", "kappa"] == pytest.approx(1 / 3)
    assert math.isnan(table.loc["marketing", "kappa"])  # one rater only
    # Across: Cohen a×c = (4·2 − 3) / (16 − 3) = 5/13; b×c = (4·1 − 2) / (16 − 2) = 1/7;
    # mean = 24/91.
    assert table.loc["sales×marketing", "kappa"] == pytest.approx(24 / 91)


def test_perfect_agreement_is_kappa_one():
    answers = long({"L1": ["fit"] * 3, "L2": ["duplicate"] * 3, "L3": ["other"] * 3})
    table = rej.room_agreement(answers, ROLES).set_index("group")
    assert table.loc["all", "kappa"] == 1.0
    assert table.loc["sales", "kappa"] == 1.0
    assert table.loc["sales×marketing", "kappa"] == 1.0
    assert rej.disputed_leads(answers, HAND_SAMPLE).empty  # nothing to debrief
    assert (rej.resulting_taxonomy(answers)["agreement"] == 1.0).all()


def test_agreement_with_too_few_raters_or_no_overlap():
    one = long({"L1": ["fit"]}, raters=("a",))
    assert math.isnan(rej.room_agreement(one, ROLES)["kappa"].iloc[0])
    apart = pd.DataFrame(
        {"item": ["L1", "L2"], "participant_id": ["a", "b"], "answer": ["fit", "fit"]}
    )
    table = rej.room_agreement(apart, ROLES)
    assert math.isnan(table["kappa"].iloc[0])
    assert table["interpretation"].iloc[0] == "no lead sorted by everyone yet"


def test_disputed_leads_by_hand():
    disputed = rej.disputed_leads(HAND, HAND_SAMPLE)
    # P_i: L4 0, then L2 and L3 1/3 (tie → by lead id); L1 is unanimous and left out.
    assert disputed["item"].tolist() == ["L4", "L2", "L3"]
    assert disputed["detail"].iloc[1] == (
        f"CRM reason 'no budget'; votes: {LABEL['budget_timing']} 2, {LABEL['other']} 1"
    )


# --- the widget, on a copy of the tiny data set ------------------------------------------------


@pytest.fixture
def data_dir(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(TINY, target)
    return target


def test_disabled_until_joined_and_changes_keep_the_history(data_dir):
    workshop = Workshop(data_dir, "s1")
    exercise = rej.RejectionReviewExercise(workshop)
    assert sorted(exercise.choices) == ["L2", "L5"]  # north: the session's first team
    assert all(r.disabled and r.value is None for r in exercise.choices.values())
    with pytest.raises(ParameterError, match="Nobody has joined"):
        workshop.record(rej.EXERCISE, "L2", "fit")

    workshop.join("Ana", "sales", "north")
    assert not any(r.disabled for r in exercise.choices.values())
    assert exercise.choices["L2"].options[0] == (LABEL["fit"], "fit")
    exercise.choices["L2"].value = "budget_timing"
    exercise.choices["L2"].value = "other"
    exercise.choices["L5"].value = "budget_timing"
    history = workshop.store.history("s1")
    assert history[["item", "answer"]].values.tolist() == [
        ["L2", "budget_timing"],
        ["L2", "other"],
        ["L5", "budget_timing"],
    ]
    latest = workshop.store.latest("s1", rej.EXERCISE)
    assert latest[["item", "answer"]].values.tolist() == [["L2", "other"], ["L5", "budget_timing"]]
    assert "2 of 2" in exercise.progress.value

    summary = rej.summarise(workshop, "north")
    assert summary.participants == 1
    assert summary.figures["sorted_leads"] == 2 and summary.figures["leads"] == 2
    assert math.isnan(summary.figures["fleiss_kappa"])

    # A restarted kernel: the same participant finds the latest answers.
    again = Workshop(data_dir, "s1")
    restarted = rej.RejectionReviewExercise(again)
    again.join("Ana", "sales", "north")
    assert restarted.choices["L2"].value == "other"
    assert restarted.choices["L5"].value == "budget_timing"
    assert len(again.store.history("s1")) == 3  # prefilling records nothing


def test_joining_another_team_shows_that_teams_sample(data_dir):
    workshop = Workshop(data_dir, "s1")
    exercise = rej.RejectionReviewExercise(workshop)
    workshop.join("Zed", "marketing", "south")
    assert list(exercise.choices) == ["L6"]
    assert not exercise.choices["L6"].disabled
    exercise.choices["L6"].value = "fit"
    assert workshop.answers(rej.EXERCISE, "south")["item"].tolist() == ["L6"]


def test_room_summary_two_roles(data_dir):
    ana, cy = Workshop(data_dir, "s1"), Workshop(data_dir, "s1")
    a, c = rej.RejectionReviewExercise(ana), rej.RejectionReviewExercise(cy)
    ana.join("Ana", "sales", "north")
    cy.join("Cy", "marketing", "north")
    a.choices["L2"].value, a.choices["L5"].value = "budget_timing", "budget_timing"
    c.choices["L2"].value, c.choices["L5"].value = "budget_timing", "fit"
    summary = rej.summarise(ana, "north")
    # Cohen a×c: n = 2, agree 1; a: budget 2; c: budget 1, fit 1 → chance 2;
    # κ = (2·1 − 2) / (4 − 2) = 0; Fleiss for the two: P̄ = (1 + 0)/2 = 1/2,
    # shares budget 3/4, fit 1/4 → P̄_e = 10/16; κ = (1/2 − 5/8) / (3/8) = −1/3.
    assert summary.figures["fleiss_kappa"] == pytest.approx(-1 / 3)
    assert summary.figures["cross_role_kappa"] == pytest.approx(0.0)
    assert summary.participants == 2
    assert summary.disagreements["item"].tolist() == ["L5"]
    assert "CRM reason 'not ready'" in summary.disagreements["detail"].iloc[0]
    assert summary.headline.startswith("2 participants sorted 2 of 2 rejected MQLs")


def test_summary_with_zero_answers_and_a_team_without_rejections(data_dir):
    workshop = Workshop(data_dir, "empty")
    summary = rej.summarise(workshop, "north")
    assert summary.participants == 0 and summary.figures["leads"] == 2
    assert math.isnan(summary.figures["fleiss_kappa"])
    assert "Nobody" in static_html(summary.page_parts())
    events = pd.read_csv(data_dir / "lead_events.csv")
    events = events[events["lead_id"] != "L6"]
    events.to_csv(data_dir / "lead_events.csv", index=False)
    none = rej.summarise(Workshop(data_dir, "empty"), "south")
    assert none.figures["leads"] == 0 and "no rejected MQL" in none.headline


def test_fallback_shows_leads_and_categories(data_dir, monkeypatch):
    calls: list = []
    monkeypatch.setattr(rej, "show", lambda widget, fallback: calls.append(fallback))
    rej.RejectionReviewExercise(Workshop(data_dir, "s1")).display()
    page = static_html(calls[0])
    assert "L2" in page and "no budget" in page and "not ready" in page
    assert all(html.escape(name, quote=False) in page for name in LABEL.values())


def test_hostile_strings_are_escaped(data_dir, monkeypatch):
    events = pd.read_csv(data_dir / "lead_events.csv")
    events.loc[events["lead_id"] == "L2", "reason"] = events.loc[
        events["lead_id"] == "L2", "reason"
    ].where(events["reason"].isna(), "<script>alert('r')</script>")
    events.to_csv(data_dir / "lead_events.csv", index=False)
    pd.DataFrame(
        {
            "lead_id": ["L2"],
            "at": ["2026-07-03T13:00:00"],
            "rating": [1],
            "reason": ["no budget"],
            "comment": ["<script>alert('c')</script>"],
        }
    ).to_csv(data_dir / "feedback.csv", index=False)
    calls: list = []
    monkeypatch.setattr(rej, "show", lambda widget, fallback: calls.append(fallback))
    ana, cy = Workshop(data_dir, "s1"), Workshop(data_dir, "s1")
    a, c = rej.RejectionReviewExercise(ana), rej.RejectionReviewExercise(cy)
    ana.join("<script>alert('n')</script>", "sales", "north")
    cy.join("Cy", "marketing", "north")
    a.choices["L2"].value, c.choices["L2"].value = "fit", "other"
    a.display()
    card = a.rows.children[[*a.choices].index("L2")].children[0].value
    page = static_html(rej.summarise(ana, "north").page_parts())
    for html_text in (page, static_html(calls[0]), card):
        assert "<script>" not in html_text
        assert "&lt;script&gt;" in html_text


def test_crm_reasons_pareto_on_the_tiny_data():
    workbook = Workbook.load(TINY, reuse=True)
    reasons = rej.crm_reasons(workbook, "north")
    # L2 "no budget" and L5 "not ready": one each, ties by reason.
    expected = pd.DataFrame({"crm_reason": ["no budget", "not ready"], "rejected_mqls": [1, 1]})
    assert_frame_equal(reasons, expected.astype({"rejected_mqls": "int64"}))


def test_sample_reasons_follow_the_pareto(sample_workbook):
    reasons = rej.crm_reasons(sample_workbook, "emea-ent")
    assert reasons["rejected_mqls"].is_monotonic_decreasing
    sample = rej.rejected_sample(sample_workbook, "emea-ent", "practice", size=len(reasons))
    assert sorted(sample["crm_reason"]) == sorted(reasons["crm_reason"])  # one of each reason
