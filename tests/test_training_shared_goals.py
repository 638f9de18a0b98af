"""Exercise 3 (shared goals): proposals, agreement, and the targets written for the next report."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.workbook import Workbook
from helpers.display.widgets import static_html
from helpers.training import shared_goals as sg
from helpers.training.session import Workshop

SAMPLE = Path(__file__).parents[1] / "data" / "sample"
TEAM = "emea-ent"
NEXT = "2026Q4"  # the sample's as-of is 2026-10-01: latest complete quarter 2026Q3


def answer_rows(rows):
    """Latest-answers frame as ``Workshop.answers`` returns it, from (name, role, team, item,
    answer, answered_at) tuples."""
    return pd.DataFrame(
        [
            {
                "session": "s",
                "exercise": sg.EXERCISE,
                "item": item,
                "participant_id": name.lower(),
                "name": name,
                "role": role,
                "team": team,
                "answer": answer,
                "answered_at": at,
            }
            for name, role, team, item, answer, at in rows
        ]
    )


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- pure functions ----------------------------------------------------------------------


def test_proposals_by_role_and_team_proposal():
    answers = answer_rows(
        [
            ("Ana", "sales", TEAM, "target:mqls", 100, "t1"),
            ("Cy", "sales", TEAM, "target:mqls", 120, "t1"),
            ("Bo", "marketing", TEAM, "target:mqls", 150, "t1"),
            ("Ana", "sales", TEAM, "target:sla_compliance", 0.9, "t1"),
            ("Bo", "marketing", TEAM, "target:sla_compliance", 0.8, "t1"),
            ("Bo", "marketing", TEAM, "target:unknown_kpi", 3, "t1"),  # ignored
            ("Bo", "marketing", TEAM, "target:cac", "lots", "t1"),  # not a number: ignored
        ]
    )
    proposed = sg.proposals(answers)
    assert len(proposed) == 5
    summary = sg.proposal_summary(proposed).set_index(["metric", "role"])
    assert summary.loc[("mqls", "sales"), "median"] == 110  # median of 100 and 120
    assert summary.loc[("mqls", "sales"), "spread"] == 20
    assert summary.loc[("mqls", "marketing"), "proposals"] == 1
    # Team proposal: median of everyone: mqls of 100, 120, 150 → 120; SLA of 0.9, 0.8 → 0.85
    assert sg.team_proposal(proposed) == {"mqls": 120.0, "sla_compliance": 0.85}
    found = sg.role_disagreements(sg.proposal_summary(proposed))
    # mqls: 110 vs 150 is 27 % of 150 (> 5 %); SLA: 90 % vs 80 % is 10 points (> 2)
    assert found["item"].tolist() == ["MQLs", "SLA compliance"]


def test_role_medians_within_tolerance_are_no_disagreement():
    answers = answer_rows(
        [
            ("Ana", "sales", TEAM, "target:mqls", 100, "t1"),
            ("Bo", "marketing", TEAM, "target:mqls", 104, "t1"),  # 3.8 % apart
            ("Ana", "sales", TEAM, "target:win_rate", 0.25, "t1"),
            ("Bo", "marketing", TEAM, "target:win_rate", 0.26, "t1"),  # 1 point apart
        ]
    )
    assert sg.role_disagreements(sg.proposal_summary(sg.proposals(answers))).empty


def agree(name, role, values, quarter=NEXT, team=TEAM, at="2026-10-05T10:00:00"):
    return (name, role, team, sg.AGREE_ITEM, {"quarter": quarter, "targets": values}, at)


def test_agreement_needs_both_roles_on_the_same_values():
    values = {"mqls": 150, "sla_compliance": 0.9}
    only_sales = answer_rows([agree("Ana", "sales", values), agree("Cy", "sales", values)])
    assert sg.agreed_targets(only_sales, TEAM, NEXT) is None

    different = answer_rows(
        [agree("Ana", "sales", values), agree("Bo", "marketing", {**values, "mqls": 160})]
    )
    assert sg.agreed_targets(different, TEAM, NEXT) is None

    other_quarter = answer_rows(
        [agree("Ana", "sales", values), agree("Bo", "marketing", values, quarter="2027Q1")]
    )
    assert sg.agreed_targets(other_quarter, TEAM, NEXT) is None

    other_team = answer_rows(
        [agree("Ana", "sales", values), agree("Bo", "marketing", values, team="na-ent")]
    )
    assert sg.agreed_targets(other_team, TEAM, NEXT) is None

    both = answer_rows(
        [
            agree("Bo", "marketing", values, at="2026-10-05T10:00:00"),
            agree("Ana", "sales", {"mqls": 150.0, "sla_compliance": 0.9001}, at="2026-10-05T11:00"),
        ]
    )
    agreed = sg.agreed_targets(both, TEAM, NEXT)
    # 0.9001 rounds to the agreed precision of rates (0.1 point): the same values.
    assert agreed[["metric", "target"]].values.tolist() == [
        ["mqls", 150.0],
        ["sla_compliance", 0.9],
    ]
    assert set(agreed["agreed_by"]) == {"Ana (sales); Bo (marketing)"}
    assert set(agreed["agreed_at"]) == {"2026-10-05T11:00"}
    assert set(agreed["team"]) == {TEAM} and set(agreed["quarter"]) == {NEXT}


def test_write_targets_creates_a_missing_file(tmp_path):
    rows = pd.DataFrame([{"team": "north", "quarter": "2026Q4", "metric": "mqls", "target": 12}])
    path = sg.write_targets(tmp_path, rows, agreed_by="Ana (sales)", agreed_at="2026-10-05")
    assert path.read_text() == (
        "team,quarter,metric,target,agreed_by,agreed_at\n"
        "north,2026Q4,mqls,12,Ana (sales),2026-10-05\n"
    )


def test_write_targets_replaces_only_its_rows(tmp_path):
    (tmp_path / "targets.csv").write_text(
        "team,quarter,metric,target\n"
        "north,2026Q4,mqls,10\n"
        "north,2026Q4,win_rate,0.25\n"
        "south,2026Q4,mqls,7.50\n"
        "*,2026Q4,mqls,5\n"
    )
    rows = pd.DataFrame([{"team": "north", "quarter": "2026Q4", "metric": "mqls", "target": 0.125}])
    sg.write_targets(tmp_path, rows, agreed_by="A; B", agreed_at="now")
    got = csv_rows(tmp_path / "targets.csv")
    # Other rows keep their text ("7.50" stays "7.50"); the replaced row moves to the end.
    assert [(r["team"], r["metric"], r["target"], r["agreed_by"]) for r in got] == [
        ("north", "win_rate", "0.25", ""),
        ("south", "mqls", "7.50", ""),
        ("*", "mqls", "5", ""),
        ("north", "mqls", "0.125", "A; B"),
    ]


def test_write_targets_refuses_a_non_number(tmp_path):
    rows = pd.DataFrame([{"team": "n", "quarter": "2026Q4", "metric": "mqls", "target": np.nan}])
    with pytest.raises(sg.ParameterError, match="not a number"):
        sg.write_targets(tmp_path, rows)
    assert not (tmp_path / "targets.csv").exists()


def test_concurrent_writers_keep_both_teams_rows(tmp_path):
    (tmp_path / "targets.csv").write_text("team,quarter,metric,target\n*,2026Q4,mqls,1\n")
    script = textwrap.dedent(
        """
        import sys, pandas as pd
        from helpers.training.shared_goals import write_targets
        data, team = sys.argv[1], sys.argv[2]
        for i in range(25):
            rows = pd.DataFrame([{"team": team, "quarter": f"2027Q{1 + i % 4}",
                                  "metric": m, "target": i} for m in ("mqls", "win_rate")])
            write_targets(data, rows, agreed_by=team, agreed_at=str(i))
        """
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path), team])
        for team in ("north", "south")
    ]
    assert [w.wait(timeout=60) for w in writers] == [0, 0]
    got = csv_rows(tmp_path / "targets.csv")
    # Each writer leaves 4 quarters × 2 metrics (the last write of each quarter: i = 21…24),
    # and the starting row survives.
    for team in ("north", "south"):
        mine = {(r["quarter"], r["metric"]): r["target"] for r in got if r["team"] == team}
        assert len(mine) == 8
        assert mine[("2027Q1", "mqls")] == "24" and mine[("2027Q4", "win_rate")] == "23"
    assert ("*", "1") in {(r["team"], r["target"]) for r in got}
    assert len(got) == 17


# --- the exercise on a copy of the sample data --------------------------------------------


@pytest.fixture(scope="module")
def sample_copy(tmp_path_factory):
    """One pristine copy of the sample; each test copies it again (cheap) before writing."""
    data = tmp_path_factory.mktemp("pristine") / "sample"
    shutil.copytree(SAMPLE, data, ignore=shutil.ignore_patterns("workshop.sqlite*"))
    return data


@pytest.fixture
def data(sample_copy, tmp_path):
    target = tmp_path / "data"
    shutil.copytree(sample_copy, target)
    return target


def people(data):
    ana, bo = Workshop(data, "s1", (TEAM,)), Workshop(data, "s1", (TEAM,))
    ana.join("Ana", "sales", TEAM)
    bo.join("Bo", "marketing", TEAM)
    return ana, bo


def test_goal_baseline_shows_baseline_and_targets(data):
    wb = Workbook.load(data)
    table = sg.goal_baseline(wb.view(TEAM, "2026Q3")).set_index("metric")
    assert list(table.index) == list(sg.KPIS)
    assert table.loc["mqls", "baseline"] == 130  # period MQLs of emea-ent in 2026Q3
    assert table.loc["mqls", "current_target"] == 137  # data/sample/targets.csv
    assert table.loc["mqls", "next_target"] == 143  # emea-ent,2026Q4,mqls,143
    assert np.isnan(table.loc["win_rate", "next_target"])  # no win-rate targets in the sample


def test_nothing_written_until_both_agree_then_the_report_uses_the_targets(data):
    before_bytes = (data / "targets.csv").read_bytes()
    before = csv_rows(data / "targets.csv")
    ana, bo = people(data)
    ana_page, bo_page = sg.SharedGoalsExercise(ana), sg.SharedGoalsExercise(bo)
    ana_page.fields["mqls"].value = 150
    ana_page.fields["sla_compliance"].value = 95  # percent in the field
    bo_page.fields["mqls"].value = 160
    bo_page.fields["sla_compliance"].value = 95
    ana_page.propose_button.click()
    bo_page.propose_button.click()
    assert (data / "targets.csv").read_bytes() == before_bytes

    assert ana_page.agree() is None  # only sales so far
    assert (data / "targets.csv").read_bytes() == before_bytes
    agreed = bo_page.agree()  # the team proposal is unchanged: the same values
    assert agreed is not None

    after = csv_rows(data / "targets.csv")
    ours = [r for r in after if r["team"] == TEAM and r["quarter"] == NEXT]
    written = {r["metric"]: r for r in ours if r["agreed_by"]}
    assert written["mqls"]["target"] == "155"  # median of 150 and 160
    assert written["sla_compliance"]["target"] == "0.95"
    assert written["mqls"]["agreed_by"] == "Ana (sales); Bo (marketing)"
    assert written["mqls"]["agreed_at"]
    # Every other row is there with the same content (new columns empty).
    keys = ("team", "quarter", "metric", "target")
    replaced = {(TEAM, NEXT, m) for m in written}
    kept = [tuple(r[k] for k in keys) for r in after if not r["agreed_by"]]
    expected = [
        tuple(r[k] for k in keys) for r in before if tuple(r[k] for k in keys[:3]) not in replaced
    ]
    assert kept == expected
    assert len(after) == len(before) - sum(
        1 for r in before if (r["team"], r["quarter"], r["metric"]) in replaced
    ) + len(written)

    # The next quarterly report reads them: the loader accepts the extra columns.
    wb = Workbook.load(data)
    quarter = sg.next_quarter(wb)
    assert str(quarter) == NEXT
    view = wb.view(TEAM, quarter)
    assert view.target("mqls") == 155
    assert view.target("sla_compliance") == pytest.approx(0.95)
    assert wb.view("na-ent", quarter).target("mqls") == 160  # na-ent,2026Q4,mqls,160: untouched

    summary = sg.summarise(ana, TEAM)
    assert summary.figures["agreed_targets"]["mqls"] == 155
    assert summary.figures["agreed_by"] == "Ana (sales); Bo (marketing)"
    assert summary.disagreements["item"].tolist() == ["MQLs"]  # 150 vs 160: 6 % apart


def test_different_values_write_nothing(data):
    before = (data / "targets.csv").read_bytes()
    ana, bo = people(data)
    ana_page, bo_page = sg.SharedGoalsExercise(ana), sg.SharedGoalsExercise(bo)
    ana_page.fields["mqls"].value = 150
    ana_page.propose()
    bo_page.propose()  # Bo keeps the prefilled 143: team proposal 146.5 → 146 or 147
    ana_page.agree()
    bo_page.fields["mqls"].value = 200  # Bo changes his mind: the team proposal moves
    bo_page.propose()
    assert bo_page.agree() is None  # Bo agreed to other values than Ana
    assert (data / "targets.csv").read_bytes() == before
    assert sg.summarise(ana, TEAM).figures["agreed_targets"] is None


def test_buttons_wait_for_join_and_summary_works_empty(data):
    shop = Workshop(data, "s1", (TEAM,))
    page = sg.SharedGoalsExercise(shop)
    assert page.propose_button.disabled and page.agree_button.disabled
    summary = sg.summarise(shop, TEAM)
    assert summary.participants == 0 and summary.figures["proposals"] == 0
    assert "No target proposals yet" in summary.headline
    assert summary.figures["agreed_targets"] is None
    assert "<table" in static_html(summary.page_parts())
    shop.join("Ana", "sales", TEAM)
    assert not page.propose_button.disabled
    # Fields start at next quarter's set target (143 MQLs) and rates show in percent.
    assert page.fields["mqls"].value == 143
    assert page.values()["sla_compliance"] == pytest.approx(
        page.fields["sla_compliance"].value / 100
    )


def test_hostile_names_are_escaped(data):
    evil = Workshop(data, "s1", (TEAM,))
    evil.join("<script>alert(1)</script>", "sales", TEAM)
    good = Workshop(data, "s1", (TEAM,))
    good.join("<img src=x onerror=alert(2)>", "marketing", TEAM)
    for shop in (evil, good):
        page = sg.SharedGoalsExercise(shop)
        page.propose()
        page.agree()
    summary = sg.summarise(evil, TEAM)
    html_page = static_html(summary.page_parts())
    assert "<script>" not in html_page and "<img src=x" not in html_page
    assert "&lt;script&gt;" in html_page
    assert summary.figures["agreed_targets"] is not None  # same prefilled values agreed


def test_ambition_is_positive_when_a_target_asks_for_better():
    from helpers.training.shared_goals import ambition, ambition_chart

    base = pd.DataFrame(
        {
            "metric": ["mqls", "cac", "win_rate"],
            "label": ["MQLs", "CAC", "Win rate"],
            "direction": ["higher", "lower", "higher"],
            "baseline": [100.0, 1000.0, 0.0],
            "current_target": [110.0, 900.0, 0.3],
        }
    )
    summary = pd.DataFrame(
        {"metric": ["mqls"], "role": ["sales"], "median": [95.0]},
    )
    table = ambition(base, summary, {"cac": 1100.0})
    # 110/100 − 1 = +10 %; CAC 900 vs 1000 is 10 % lower, which is better: +10; a sales
    # median of 95 asks 5 % less: −5; a CAC proposal of 1100 is 10 % worse: −10. The win
    # rate has a zero baseline, so no ratio.
    got = sorted(zip(table["KPI"], table["series"], table["ambition"].round(6), strict=True))
    assert got == [
        ("CAC", "current target", 10.0),
        ("CAC", "team proposal", -10.0),
        ("MQLs", "current target", 10.0),
        ("MQLs", "sales (median)", -5.0),
    ]
    assert ambition_chart(table).axes[0].get_title().startswith("How far each target")
    assert ambition_chart(table.iloc[0:0]) is None


def test_agreed_target_of_a_relative_kpi_is_written_relative(data):
    # The sample's "*" row for 2026Q4: cac, -0.15, vs_previous_quarter. emea-ent's CAC in
    # 2026Q3 (the basis value) is read from the view; the team agrees a CAC 10 % under it,
    # which goes back as a change of -0.1 against the same basis, not as an amount.
    wb = Workbook.load(data)
    q3 = wb.view(TEAM, "2026Q3")
    cac_q3 = q3.value_of("cac")
    base = sg.goal_baseline(q3).set_index("metric")
    assert base.loc["cac", "next_basis"] == "vs_previous_quarter"
    assert base.loc["cac", "basis_value"] == pytest.approx(cac_q3)
    assert base.loc["cac", "next_target"] == pytest.approx(cac_q3 * 0.85)
    agreed = pd.DataFrame(
        {
            "team": [TEAM, TEAM],
            "quarter": [NEXT, NEXT],
            "metric": ["cac", "mqls"],
            "target": [round(cac_q3 * 0.9, 6), 150.0],
            "agreed_by": ["Ana (sales); Bo (marketing)"] * 2,
            "agreed_at": ["t"] * 2,
        }
    )
    rows = sg.relative_targets(agreed, sg.goal_baseline(q3))
    assert rows["basis"].tolist() == ["vs_previous_quarter", "absolute"]
    assert rows["target"].tolist() == pytest.approx([-0.1, 150.0])
    sg.write_targets(data, rows)
    written = {
        r["metric"]: r
        for r in csv_rows(data / "targets.csv")
        if r["team"] == TEAM and r["quarter"] == NEXT
    }
    assert (written["cac"]["target"], written["cac"]["basis"]) == ("-0.1", "vs_previous_quarter")
    assert written["mqls"]["basis"] == "absolute"
    # The next quarter (past the data, read as goal_baseline reads it) resolves the team's
    # relative row: 90 % of the 2026Q3 CAC.
    view = Workbook.load(data).view(TEAM, "2026Q3").shift(1)
    assert str(view.quarter) == NEXT
    assert view.target_details("cac")["origin"] == "team"
    assert view.target("cac") == pytest.approx(cac_q3 * 0.9)
