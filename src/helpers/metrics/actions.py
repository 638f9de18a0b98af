"""Agreed actions followed up: what the last review decided, its status, and how its KPI moved.

A joint review (or a workshop) of quarter ``R`` records actions in the ``actions`` table with
``quarter_agreed = R`` and a ``due_quarter``. The report of the next quarter ``Q = R + 1``
opens its review with them: each action's status, whether it is overdue, and how the KPI it
should move went from ``R`` (the quarter the review looked at) to ``Q``, tested as every
change of the report is (:func:`helpers.metrics.headline.change_columns`: a two-proportion
test, or Fisher's exact test for small counts, for rates; counts, hours and amounts carry no
test). Actions agreed earlier and still open are carried over, so an overdue one never drops
out of sight.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from ..data.periods import Quarter
from .headline import KPIS, KpiValues, change_columns
from .stats import Rate

REVIEW_COLUMNS = (
    "action_id",
    "action",
    "owner",
    "quarter_agreed",
    "due_quarter",
    "status",
    "overdue",
    "kpi",
    "kpi_label",
    "kind",
    "direction",
    "then",
    "now",
    "change",
    "p_value",
    "significant",
    "moved",
)


def is_overdue(status: str, due_quarter: str, quarter: Quarter, complete: bool) -> bool:
    """Whether an action is overdue in the report of ``quarter``.

    An action is overdue when it is still ``open`` and its due quarter has passed: it is
    before ``quarter``, or it is ``quarter`` itself and that quarter had ended at the as-of date.

    Examples
    --------
    >>> q3 = Quarter(2026, 3)
    >>> is_overdue("open", "2026Q2", q3, False), is_overdue("open", "2026Q3", q3, True)
    (True, True)
    >>> is_overdue("open", "2026Q3", q3, False), is_overdue("done", "2026Q2", q3, True)
    (False, False)
    """
    if status != "open":
        return False
    due = Quarter.parse(due_quarter, quarter.start_month)
    return due.index < quarter.index or (due.index == quarter.index and complete)


def actions_to_review(actions: pd.DataFrame | None, team: str, quarter: Quarter) -> pd.DataFrame:
    """The actions the report of ``team`` and ``quarter`` follows up, in table order.

    Those agreed at the previous review (``quarter_agreed`` = ``quarter`` − 1), and those
    agreed before it that are still open. Only the team's own rows: the company report
    (``all``) follows up the company review's actions (team ``all``).

    Parameters
    ----------
    actions : DataFrame or None
        The ``actions`` table (None: not in this data).
    team : str
        Team id, or ``all``.
    quarter : Quarter
        The report's quarter.

    Returns
    -------
    DataFrame
        The chosen rows of ``actions`` (no rows when there are none).
    """
    if actions is None or not len(actions):
        return pd.DataFrame(columns=list(actions.columns) if actions is not None else [])
    previous = quarter.shift(-1)
    agreed = actions["quarter_agreed"].map(lambda q: Quarter.parse(q).index)
    mine = actions["team"] == team
    last_review = agreed == previous.index
    carried = (agreed < previous.index) & (actions["status"] == "open")
    return actions[mine & (last_review | carried)]


def action_review(
    actions: pd.DataFrame | None,
    team: str,
    quarter: Quarter,
    values: Mapping[str, KpiValues | None],
    *,
    complete: bool,
) -> pd.DataFrame:
    """Last review's actions with their status and how each one's KPI moved since.

    For an action agreed in quarter ``R`` naming KPI ``k``: ``then`` = k in ``R``, ``now`` =
    k in ``quarter``, ``change = now − then``; for a rate, ``p_value`` and ``significant``
    come from the test of the report's changes (two-proportion z-test, Fisher's exact test
    when an expected cell count is below 5, α = 0.05); other KPIs get no test.

    Parameters
    ----------
    actions : DataFrame or None
        The ``actions`` table.
    team : str
        Team id, or ``all``.
    quarter : Quarter
        The report's quarter.
    values : mapping
        Quarter label → the team's KPI values in that quarter (None or absent: the quarter
        is outside the data). Needs ``quarter`` and each action's ``quarter_agreed``.
    complete : bool
        Whether ``quarter`` had ended at the as-of date (see :func:`is_overdue`).

    Returns
    -------
    DataFrame
        One row per action of :func:`actions_to_review`, columns :data:`REVIEW_COLUMNS`;
        ``moved`` says it in words: ``"better, significant"``, ``"worse, not significant"``
        (a rate, with its ``p_value``), ``"higher, better (a count: no test)"``, ``"not in
        this data"`` or ``""`` for an action without a KPI.
    """
    chosen = actions_to_review(actions, team, quarter)
    rows = []
    now_values = values.get(str(quarter))
    for action in chosen.to_dict("records"):
        kpi = action.get("kpi")
        kpi = None if kpi is None or (isinstance(kpi, float) and math.isnan(kpi)) else str(kpi)
        label, direction, kind = KPIS.get(kpi, (kpi or "", "", "")) if kpi else ("", "", "")
        row = {
            **{c: action.get(c) for c in REVIEW_COLUMNS[:6]},
            "overdue": is_overdue(action["status"], action["due_quarter"], quarter, complete),
            "kpi": kpi,
            "kpi_label": label,
            "kind": kind,
            "direction": direction,
        }
        row.update(
            _movement(kpi, direction, kind, values.get(action["quarter_agreed"]), now_values)
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(REVIEW_COLUMNS))


def _movement(kpi, direction, kind, before_values, now_values) -> dict:
    empty = {"then": math.nan, "now": math.nan, "change": math.nan, "p_value": math.nan}
    if kpi is None:
        return {**empty, "significant": False, "moved": ""}
    if kpi not in KPIS:
        return {**empty, "significant": False, "moved": "not followed (not a headline KPI)"}
    before = None if before_values is None else before_values.get(kpi)
    now = None if now_values is None else now_values.get(kpi)
    if before is None or now is None or _missing(before) or _missing(now):
        return {**empty, "significant": False, "moved": "not in this data"}
    change = change_columns(now, before, "then")
    result = {
        "then": change["then"],
        "now": now.value if isinstance(now, Rate) else float(now),
        "change": change["change_then"],
        "p_value": change["p_then"],
        "significant": bool(change["significant_then"]),
    }
    delta = result["change"]
    if delta == 0:
        result["moved"] = "unchanged"
        return result
    better = (delta > 0) == (direction == "higher")
    if kind == "rate":
        word = "better" if better else "worse"
        tested = "significant" if result["significant"] else "not significant"
        result["moved"] = f"{word}, {tested}" if not math.isnan(result["p_value"]) else word
    else:
        word = ("higher" if delta > 0 else "lower") + (", better" if better else ", worse")
        result["moved"] = f"{word} (a {_noun(kind)}: no test)"
    return result


def _missing(value) -> bool:
    figure = value.value if isinstance(value, Rate) else value
    try:
        return math.isnan(float(figure))
    except (TypeError, ValueError):
        return True


def _noun(kind: str) -> str:
    return {"count": "count", "amount": "amount", "hours": "duration"}.get(kind, kind)
