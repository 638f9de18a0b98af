"""Agreed actions recorded during a workshop, written to the data's ``actions.csv``.

The facilitator (console or notebook view) adds an action as the room agrees it: what, owner
(a role or a person), due quarter and the KPI it should move, for one team (or ``all``). It is
appended to ``actions.csv`` with ``quarter_agreed`` = the quarter the workshop reviews (the
latest complete one), status ``open``, who agreed (the session) and when, and an id
``<team>-<quarter>-<n>``. The file is rewritten atomically while holding a lock beside it
(``.actions.csv.lock``), like the targets the shared-goals exercise writes, so two writers at
once keep both rows and a reader never sees half a file. The next quarter's report follows
the actions up (:meth:`helpers.analysis.workbook.TeamQuarter.agreed_actions`).
"""

from __future__ import annotations

import csv
import html
import io
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ..data.atomic import locked, write_text_atomically
from ..data.periods import Quarter
from ..data.schema import ACTION_STATUSES, ALL_TEAMS, TABLES, TARGET_METRICS, team_id_problem
from ..data.settings import did_you_mean
from ..display.html import table_html
from ..errors import ParameterError
from ..metrics.headline import KPIS

ACTIONS_FILE = "actions.csv"
LOCK_NAME = ".actions.csv.lock"
ACTION_COLUMNS = tuple(column.name for column in TABLES["actions"].columns)
MAX_TEXT = 300  # characters of an action or owner


def read_actions(data_dir: str | Path) -> pd.DataFrame:
    """``actions.csv`` as written (text), every canonical column present; empty if missing."""
    header, rows = _read_rows(Path(data_dir) / ACTIONS_FILE)
    frame = pd.DataFrame(rows, columns=header or list(ACTION_COLUMNS), dtype="string")
    for column in ACTION_COLUMNS:
        if column not in frame:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame


def add_action(
    data_dir: str | Path,
    *,
    team: str,
    quarter_agreed: str,
    action: str,
    owner: str,
    due_quarter: str,
    kpi: str | None = None,
    agreed_by: str = "",
    agreed_at: str | None = None,
    teams: tuple[str, ...] | None = None,
) -> dict[str, str]:
    """Append one open action to ``actions.csv`` (atomically, under a lock); return its row.

    Parameters
    ----------
    data_dir : str or Path
        The data folder.
    team : str
        Team id, or ``all`` for the company review.
    quarter_agreed, due_quarter : str
        The quarter the review looked at, and the quarter by which the action is due (that
        one or later), written ``2026Q3``.
    action, owner : str
        What is to be done, and who owns it (a role or a person); one line each, at most
        300 characters.
    kpi : str, optional
        The shared KPI the action should move (one of
        :data:`~helpers.data.schema.TARGET_METRICS`).
    agreed_by, agreed_at : str
        Who agreed (e.g. the workshop session) and when (ISO 8601; default now, UTC).
    teams : tuple of str, optional
        The data's teams; ``team`` must be one of them (or ``all``) when given.

    Returns
    -------
    dict
        The row written, every column as text, with its new ``action_id``.

    Raises
    ------
    ParameterError
        For an empty or multi-line action or owner, a malformed quarter, a due quarter before
        the agreed one, an unknown KPI (with the closest name) or team.
    """
    row = _checked(team, quarter_agreed, action, owner, due_quarter, kpi, teams)
    row.update(
        status="open",
        agreed_by=" ".join(str(agreed_by).split()),
        agreed_at=agreed_at or datetime.now(UTC).isoformat(timespec="seconds"),
    )
    path = Path(data_dir) / ACTIONS_FILE
    with locked(Path(data_dir) / LOCK_NAME):
        header, rows = _read_rows(path)
        header = header or list(ACTION_COLUMNS)
        header += [c for c in ACTION_COLUMNS if c not in header]
        row["action_id"] = _next_id(row["team"], row["quarter_agreed"], rows)
        _write_rows(path, header, [*rows, row])
    return {column: row.get(column, "") for column in ACTION_COLUMNS}


def set_action_status(data_dir: str | Path, action_id: str, status: str) -> dict[str, str]:
    """Set the status (open, done, dropped) of one action in ``actions.csv``; return its row.

    Raises
    ------
    ParameterError
        For an unknown status or an action id the file does not hold.
    """
    if status not in ACTION_STATUSES:
        raise ParameterError(
            f"status {status!r} is not one of {', '.join(ACTION_STATUSES)}; pick one of those."
        )
    path = Path(data_dir) / ACTIONS_FILE
    with locked(Path(data_dir) / LOCK_NAME):
        header, rows = _read_rows(path)
        found = [r for r in rows if r.get("action_id") == action_id]
        if not found:
            raise ParameterError(
                f"action {action_id!r} is not in {ACTIONS_FILE}; pick one of its action_id values."
            )
        for row in found:
            row["status"] = status
        _write_rows(path, header, rows)
    return {column: found[0].get(column, "") for column in ACTION_COLUMNS}


def _checked(team, quarter_agreed, action, owner, due_quarter, kpi, teams) -> dict[str, str]:
    if team_id_problem(team, company=True) is not None or (
        teams is not None and team != ALL_TEAMS and team not in teams
    ):
        known = ", ".join([ALL_TEAMS, *(teams or ())])
        raise ParameterError(f"team {team!r} is not a team of this data; use one of: {known}.")
    agreed, due = Quarter.parse(quarter_agreed), Quarter.parse(due_quarter)
    if due.index < agreed.index:
        raise ParameterError(
            f"due quarter {due} is before {agreed}, the quarter the action is agreed in; pick "
            f"{agreed} or later."
        )
    texts = {}
    for name, text in (("action", action), ("owner", owner)):
        clean = " ".join(str(text or "").split())
        if not clean:
            raise ParameterError(f"the {name} is empty; write what is to be done and who owns it.")
        if len(clean) > MAX_TEXT:
            raise ParameterError(
                f"the {name} has {len(clean)} characters; keep it to {MAX_TEXT} (one line)."
            )
        texts[name] = clean
    kpi = (kpi or "").strip()
    if kpi and kpi not in TARGET_METRICS:
        close = did_you_mean(kpi, TARGET_METRICS)
        hint = f"did you mean {close!r}? " if close else ""
        raise ParameterError(
            f"{kpi!r} is not a shared KPI; {hint}use one of {', '.join(TARGET_METRICS)}, or none."
        )
    return {
        "team": team,
        "quarter_agreed": str(agreed),
        "due_quarter": str(due),
        "kpi": kpi,
        **texts,
    }


def _next_id(team: str, quarter: str, rows: list[dict[str, str]]) -> str:
    taken = {r.get("action_id") for r in rows}
    number = sum(1 for r in rows if r.get("team") == team and r.get("quarter_agreed") == quarter)
    while True:
        number += 1
        candidate = f"{team}-{quarter}-{number}"
        if candidate not in taken:
            return candidate


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.exists():
        return [], []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), [dict(row) for row in reader]


def _write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomically(path, buffer.getvalue())


class ActionForm:
    """The facilitator's form to record agreed actions, and the session's actions so far.

    Widget structure (for browser tests): a ``VBox`` with class ``action-form``; text fields
    ``action-text`` and ``action-owner``, dropdowns ``action-team``, ``action-due`` and
    ``action-kpi``, the button "Add action", the message ``action-message`` and the table of
    the actions agreed for the reviewed quarter ``action-list``.

    Parameters
    ----------
    data_dir : Path
        The data folder (``actions.csv`` is written there).
    teams : tuple of str
        Teams of the session; ``all`` (the company) is offered too.
    quarter_agreed : Quarter
        The quarter the workshop reviews (the latest complete one).
    agreed_by : str
        Recorded as who agreed, e.g. ``"workshop 2026-11 Lisbon"``.
    """

    def __init__(
        self, data_dir: Path, teams: tuple[str, ...], quarter_agreed: Quarter, agreed_by: str
    ) -> None:
        import ipywidgets as widgets

        self.data_dir = Path(data_dir)
        self.teams = tuple(teams)
        self.quarter = quarter_agreed
        self.agreed_by = agreed_by
        self.team = widgets.Dropdown(
            options=[*self.teams, ALL_TEAMS], value=self.teams[0], description="Team"
        )
        self.text = widgets.Text(description="Action", placeholder="what is to be done")
        self.owner = widgets.Text(description="Owner", placeholder="a role or a person")
        dues = [str(quarter_agreed.shift(k)) for k in range(0, 5)]
        self.due = widgets.Dropdown(options=dues, value=dues[1], description="Due by")
        self.kpi = widgets.Dropdown(
            options=[("(none)", "")] + [(label, name) for name, (label, _, _) in KPIS.items()],
            value="",
            description="KPI",
        )
        add = widgets.Button(description="Add action", icon="plus", button_style="primary")
        add.on_click(lambda _: self.add())
        self.message = widgets.HTML()
        self.listing = widgets.HTML()
        for widget, name in (
            (self.team, "action-team"),
            (self.text, "action-text"),
            (self.owner, "action-owner"),
            (self.due, "action-due"),
            (self.kpi, "action-kpi"),
            (self.message, "action-message"),
            (self.listing, "action-list"),
        ):
            widget.add_class(name)
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.team, self.due, self.kpi]),
                widgets.HBox([self.text, self.owner, add]),
                self.message,
                self.listing,
            ]
        )
        self.widget.add_class("action-form")
        self.refresh()

    def add(self) -> dict[str, str] | None:
        """Write the form's action; say what was written or what is wrong (never silent)."""
        try:
            row = add_action(
                self.data_dir,
                team=self.team.value,
                quarter_agreed=str(self.quarter),
                action=self.text.value,
                owner=self.owner.value,
                due_quarter=self.due.value,
                kpi=self.kpi.value or None,
                agreed_by=self.agreed_by,
                teams=self.teams,
            )
        except (ParameterError, OSError) as err:
            self.message.value = (
                f"<p style='color:#cf222e'><b>Not saved:</b> {html.escape(str(err))}</p>"
            )
            return None
        self.text.value = ""
        self.refresh()  # before the message: "Saved" on the page means the list shows it
        self.message.value = (
            f"<p>Saved as <b>{html.escape(row['action_id'])}</b> in {ACTIONS_FILE}; the "
            f"{html.escape(str(self.quarter.shift(1)))} report follows it up.</p>"
        )
        return row

    def refresh(self) -> None:
        """Show the actions agreed for the reviewed quarter (this session's and earlier ones)."""
        actions = read_actions(self.data_dir)
        shown = actions[actions["quarter_agreed"] == str(self.quarter)]
        columns = ["action_id", "team", "action", "owner", "due_quarter", "kpi", "status"]
        self.listing.value = (
            table_html(shown[columns].fillna(""))
            if len(shown)
            else f"<p>No actions agreed for {html.escape(str(self.quarter))} yet.</p>"
        )
