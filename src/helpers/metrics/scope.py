"""Restricting the canonical tables to one team (or ``all``) and to a time window."""

from __future__ import annotations

import pandas as pd

ALL_TEAMS = "all"


def for_team(tables: dict[str, pd.DataFrame], team: str) -> dict[str, pd.DataFrame]:
    """The tables restricted to ``team``; ``"all"`` keeps everything.

    Lead-level tables (events, touches, feedback) follow their lead's team; opportunities,
    spend and revenue carry their own team column; targets keep ``*`` rows for every team.

    Parameters
    ----------
    tables : dict of DataFrame
        Canonical tables by name (as in ``Dataset.tables``).
    team : str
        Team id or ``"all"``.

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
    ids = set(team_leads["lead_id"])
    for name, frame in tables.items():
        if name == "leads":
            out[name] = team_leads
        elif name == "teams":
            out[name] = frame[frame["team"] == team]
        elif name == "targets":
            out[name] = frame[frame["team"].isin([team, "*"])]
        elif "team" in frame.columns:
            out[name] = frame[frame["team"] == team]
        elif "lead_id" in frame.columns:
            out[name] = frame[frame["lead_id"].isin(ids)]
        else:
            out[name] = frame
    return out


def within(timestamps: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Boolean mask of ``start <= t < end`` (NaT is outside)."""
    return (timestamps >= start) & (timestamps < end)
