"""Restricting the canonical tables to one team (or ``all``) and to a time window."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from ..data.membership import codes, equals, positions
from ..data.schema import ALL_TEAMS

__all__ = ["TeamTables", "equals", "for_team", "lead_rows", "lead_teams", "within"]


def lead_rows(
    tables: dict[str, pd.DataFrame], known: Mapping[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Position in ``leads`` of the lead of each row of the lead-level tables (-1: none).

    The tables are those with a lead_id and no team of their own (events, touches, feedback).
    ``known``: positions already found (``Dataset.lead_rows``), used where given.
    """
    ids = tables["leads"]["lead_id"]
    known = known or {}
    return {
        name: known[name] if name in known else positions(frame["lead_id"], ids)
        for name, frame in tables.items()
        if "lead_id" in frame.columns and "team" not in frame.columns
    }


def lead_teams(
    tables: dict[str, pd.DataFrame], rows: dict[str, np.ndarray] | None = None
) -> dict[str, pd.Series]:
    """Team of each row of the lead-level tables (events, touches, feedback), by lead_id.

    Computed once per data set so that restricting to a team is an equality test, not a
    membership test against every lead id of the team. Each is a categorical Series (one
    byte per row), missing where the row's lead is not in ``leads``.

    Parameters
    ----------
    tables : dict of DataFrame
        Canonical tables by name.
    rows : dict of ndarray, optional
        :func:`lead_rows` of these tables, when already known (e.g. read from the shared
        per-lead tables); computed otherwise.
    """
    rows = rows if rows is not None else lead_rows(tables)
    team_of_lead, teams = codes(tables["leads"]["team"])
    out = {}
    for name, at in rows.items():
        frame = tables[name]
        code = team_of_lead[np.maximum(at, 0)] if len(team_of_lead) else np.zeros_like(at)
        code = np.where(at >= 0, code, -1)
        categorical = pd.Categorical.from_codes(code, categories=pd.Index(teams, dtype="string"))
        out[name] = pd.Series(categorical, index=frame.index)
    return out


def for_team(
    tables: dict[str, pd.DataFrame], team: str, teams_of_rows: dict[str, pd.Series] | None = None
) -> Mapping[str, pd.DataFrame]:
    """The tables restricted to ``team``; ``"all"`` keeps everything.

    Lead-level tables (events, touches, feedback) follow their lead's team; opportunities,
    spend and revenue carry their own team column; targets keep ``*`` rows for every team.

    Parameters
    ----------
    tables : dict of DataFrame
        Canonical tables by name (as in ``Dataset.tables``).
    team : str
        Team id or ``"all"``.
    teams_of_rows : dict of Series, optional
        Output of :func:`lead_teams`, to reuse across teams.

    Returns
    -------
    Mapping of DataFrame
        The same names as ``tables``. New frames, each filtered when first asked for (a view
        that never reads touches does not copy a team's million touches); the inputs are not
        modified.
    """
    if team == ALL_TEAMS:
        return dict(tables)
    if teams_of_rows is None:
        teams_of_rows = lead_teams(tables)
    return TeamTables(tables, team, teams_of_rows)


class TeamTables(Mapping):
    """The canonical tables of one team, each filtered on first access (see :func:`for_team`)."""

    def __init__(
        self, tables: Mapping[str, pd.DataFrame], team: str, teams_of_rows: dict[str, pd.Series]
    ):
        self._tables = dict(tables)
        self._team = team
        self._teams_of_rows = teams_of_rows
        self._filtered: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._filtered:
            self._filtered[name] = self._filter(name, self._tables[name])
        return self._filtered[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def _filter(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        team = self._team
        if name == "targets":
            return frame[frame["team"].isin([team, "*"])]
        if "team" in frame.columns:  # leads, teams, opportunities, spend, revenue
            return frame[equals(frame["team"], team)]
        if name in self._teams_of_rows:
            return frame[equals(self._teams_of_rows[name], team)]
        return frame


def within(timestamps: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Boolean mask of ``start <= t < end`` (NaT is outside)."""
    return (timestamps >= start) & (timestamps < end)
