"""Restricting the canonical tables to one team (or ``all``) and to a time window."""

from __future__ import annotations

import pandas as pd

from ..data.membership import equals, lookup
from ..data.schema import ALL_TEAMS

__all__ = ["equals", "for_team", "lead_teams", "within"]


def lead_teams(tables: dict[str, pd.DataFrame]) -> dict[str, pd.Series]:
    """Team of each row of the lead-level tables (events, touches, feedback), by lead_id.

    Computed once per data set so that restricting to a team is an equality test, not a
    membership test against every lead id of the team.
    """
    leads = tables["leads"]
    return {
        name: lookup(frame["lead_id"], leads["lead_id"], leads["team"])
        for name, frame in tables.items()
        if "lead_id" in frame.columns and "team" not in frame.columns
    }


def for_team(
    tables: dict[str, pd.DataFrame], team: str, teams_of_rows: dict[str, pd.Series] | None = None
) -> dict[str, pd.DataFrame]:
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
    dict of DataFrame
        New frames; the inputs are not modified.
    """
    if team == ALL_TEAMS:
        return dict(tables)
    out = {}
    leads = tables["leads"]
    team_leads = leads[leads["team"] == team]
    teams_of_rows = teams_of_rows if teams_of_rows is not None else lead_teams(tables)
    for name, frame in tables.items():
        if name == "leads":
            out[name] = team_leads
        elif name == "teams":
            out[name] = frame[frame["team"] == team]
        elif name == "targets":
            out[name] = frame[frame["team"].isin([team, "*"])]
        elif "team" in frame.columns:
            out[name] = frame[frame["team"] == team]
        elif name in teams_of_rows:
            out[name] = frame[(teams_of_rows[name] == team).fillna(False).to_numpy(dtype=bool)]
        else:
            out[name] = frame
    return out


def within(timestamps: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Boolean mask of ``start <= t < end`` (NaT is outside)."""
    return (timestamps >= start) & (timestamps < end)
