"""Agreed actions: recorded by the facilitator, validated, followed up by the next report.

Figures by hand from tests/data/tiny, team north (SLA 8 business hours, Europe/Berlin):

- 2026Q2: one MQL (L5, 10 Apr 10:00), touched at 11:00: SLA compliance 1/1; it was rejected,
  so MQL acceptance 0/1.
- 2026Q3: four MQLs (L1, L2, L3, L5 again): L1 touched after 2 h, L5 after 5 h, L2 after
  16 business hours (1 Jul 11-17, 2 Jul 9-17, 3 Jul 9-11), L3 never: SLA compliance 2/4.
  Accepted L1 and L5, rejected L2: MQL acceptance 2/3.

Both changes are tested with Fisher's exact test (expected cells below 5). For SLA, the table
[[1, 0], [2, 2]] (margins 1 and 4 rows, 3 and 2 columns, N = 5) has P(a=1) = C(3,1)C(2,0)/C(5,1)
= 3/5 and P(a=0) = 2/5; every outcome is at most as likely as the observed one: p = 1. For
acceptance, [[0, 1], [2, 1]]: P(a=0) = C(2,0)C(2,1)/C(4,1) = 1/2 = P(a=1): p = 1.
"""

from __future__ import annotations

import shutil
import threading

import nbformat
import papermill as pm
import pytest
from click.testing import CliRunner
from conftest import PROJECT, TINY

from helpers.analysis.workbook import Workbook
from helpers.cli import main
from helpers.data.periods import Quarter
from helpers.errors import ParameterError
from helpers.metrics.actions import is_overdue
from helpers.reports.outputs import tables_in
from helpers.reports.talking_points import talking_points
from helpers.training.actions import ActionForm, add_action, read_actions, set_action_status

REPORT = PROJECT / "notebooks" / "reports" / "team_quarterly_report.ipynb"


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    return folder


def record_two_actions(folder):
    """The facilitator records two actions at the 2026Q2 review; one is done by 2026Q3."""
    form = ActionForm(folder, ("north", "south"), Quarter(2026, 2), "workshop 2026-07 Porto")
    form.team.value = "north"
    form.text.value = "Call every MQL within 4 business hours"
    form.owner.value = "SDR team lead"
    form.due.value = "2026Q3"
    form.kpi.value = "sla_compliance"
    first = form.add()
    form.text.value = "One written MQL definition"
    form.owner.value = "Marketing ops"
    form.due.value = "2026Q2"
    form.kpi.value = "mql_acceptance"
    second = form.add()
    set_action_status(folder, second["action_id"], "done")
    return form, first, second


def test_the_facilitator_form_writes_actions_and_lists_them(data):
    form, first, second = record_two_actions(data)
    assert (first["action_id"], second["action_id"]) == ("north-2026Q2-1", "north-2026Q2-2")
    assert "Saved as <b>north-2026Q2-2</b>" in form.message.value
    assert form.text.value == ""  # ready for the next one
    rows = read_actions(data)
    assert list(rows["action_id"]) == ["north-2026Q2-1", "north-2026Q2-2"]
    assert list(rows["status"]) == ["open", "done"]
    assert list(rows["agreed_by"]) == ["workshop 2026-07 Porto"] * 2
    assert list(rows["due_quarter"]) == ["2026Q3", "2026Q2"]
    assert "Call every MQL within 4 business hours" in form.listing.value
    # A refused action is said on the form, never silently dropped.
    form.text.value = "   "
    assert form.add() is None
    assert "Not saved:" in form.message.value and "the action is empty" in form.message.value
    assert len(read_actions(data)) == 2


def test_the_next_report_follows_the_actions_up(data):
    record_two_actions(data)
    view = Workbook.load(data).view("north", "2026Q3")
    review = view.agreed_actions().set_index("action_id")

    overdue = review.loc["north-2026Q2-1"]
    assert (overdue["status"], bool(overdue["overdue"])) == ("open", True)  # Q3 has ended
    assert (overdue["then"], overdue["now"]) == (1.0, 0.5)  # SLA 1/1 -> 2/4
    assert overdue["change"] == -0.5
    assert overdue["p_value"] == pytest.approx(1.0)
    assert overdue["moved"] == "worse, not significant"

    done = review.loc["north-2026Q2-2"]
    assert (done["status"], bool(done["overdue"])) == ("done", False)
    assert (done["then"], done["now"]) == (0.0, pytest.approx(2 / 3))  # 0/1 -> 2/3
    assert done["p_value"] == pytest.approx(1.0)
    assert done["moved"] == "better, not significant"

    points = [p for p in talking_points(view) if p.startswith("Agreed action")]
    assert points == [
        'Agreed action overdue: "Call every MQL within 4 business hours" (owner SDR team '
        "lead, agreed at the 2026Q2 review, due 2026Q3) is still open; SLA compliance went "
        "from 100.0% to 50.0% since 2026Q2 (worse, not significant, p=1.000)."
    ]
    # The other team's report and the company report follow up none of north's actions.
    assert len(Workbook.load(data).view("south", "2026Q3").agreed_actions()) == 0


@pytest.mark.slow
def test_the_report_opens_its_review_with_the_actions(data, tmp_path):
    record_two_actions(data)
    out = tmp_path / "report.ipynb"
    pm.execute_notebook(
        str(REPORT),
        str(out),
        parameters={"team": "north", "quarter": "2026Q3", "data_dir": str(data)},
        cwd=str(REPORT.parent),
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    tables = dict(tables_in(nb))
    shown = tables["agreed_actions"]
    assert list(shown["action"]) == [
        "Call every MQL within 4 business hours",
        "One written MQL definition",
    ]
    assert list(shown["status"]) == ["open, overdue", "done"]
    assert list(shown["agreed → due"]) == ["2026Q2 → 2026Q3", "2026Q2 → 2026Q2"]
    assert shown["KPI since the review"].iloc[1] == (
        "MQL acceptance went from 0.0% to 66.7% since 2026Q2 (better, not significant, p=1.000)"
    )
    names = list(tables)
    assert names.index("agreed_actions") < names.index("talking_points")
    assert tables["talking_points"]["talking_point"].str.startswith("Agreed action overdue").any()


@pytest.mark.parametrize(
    ("status", "due", "complete", "expected"),
    [
        ("open", "2026Q2", False, True),
        ("open", "2026Q3", True, True),
        ("open", "2026Q3", False, False),
        ("open", "2026Q4", True, False),
        ("done", "2026Q1", True, False),
        ("dropped", "2026Q1", True, False),
    ],
    ids=["due-before", "due-this-ended", "due-this-running", "due-later", "done", "dropped"],
)
def test_overdue_rule(status, due, complete, expected):
    assert is_overdue(status, due, Quarter(2026, 3), complete) is expected


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kpi": "sla_complience"}, "did you mean 'sla_compliance'?"),
        ({"due_quarter": "2026Q1"}, "due quarter 2026Q1 is before 2026Q2"),
        ({"action": "\n"}, "the action is empty"),
        ({"owner": "x" * 301}, "the owner has 301 characters"),
        ({"team": "east"}, "team 'east' is not a team of this data"),
        ({"team": "../x"}, "team '../x' is not a team of this data"),
        ({"quarter_agreed": "2026Q5"}, "quarter '2026Q5' is not well formed"),
    ],
    ids=["kpi-typo", "due-early", "empty", "too-long", "unknown-team", "unsafe-team", "bad-q"],
)
def test_add_action_refuses_bad_input(data, changes, message):
    good = dict(
        team="north",
        quarter_agreed="2026Q2",
        action="Do it",
        owner="Someone",
        due_quarter="2026Q3",
        teams=("north", "south"),
    )
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace("?", r"\?")):
        add_action(data, **{**good, **changes})
    assert not (data / "actions.csv").exists()


def test_two_writers_at_once_keep_every_row(data):
    def write(owner):
        for k in range(5):
            add_action(
                data,
                team="all",
                quarter_agreed="2026Q2",
                action=f"action {k}",
                owner=owner,
                due_quarter="2026Q3",
            )

    threads = [threading.Thread(target=write, args=(who,)) for who in ("sales", "marketing")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = read_actions(data)
    assert len(rows) == 10
    assert sorted(rows["action_id"]) == sorted(f"all-2026Q2-{n}" for n in range(1, 11))


def test_workbook_validate_names_bad_action_rows(data):
    (data / "actions.csv").write_text(
        "action_id,team,quarter_agreed,action,owner,due_quarter,kpi,status\n"
        "a1,all,2026Q2,Company one,CRO,2026Q3,,open\n"
        "a2,nort,2026Q2,Typo team,Ops,2026Q3,mql_acceptanse,open\n"
        "a3,north,2026Q3,Due early,Ops,2026Q2,,done\n"
    )
    result = CliRunner().invoke(main, ["validate", str(data)])
    assert result.exit_code == 2
    assert "actions.csv, column 'team': 1 value(s) do not exist in teams.csv" in result.output
    assert "(e.g. 'nort') (line 3)" in result.output
    assert "'mql_acceptanse' is not a shared KPI (line 3). Fix: did you mean 'mql_acceptance'?" in (
        result.output
    )
    assert "1 action(s) fall due before the quarter they were agreed in (e.g. 'a3': agreed " in (
        result.output
    )
    assert "(line 4)" in result.output
    assert "a1" not in result.output  # the company's action is fine
