"""The headline: the shared KPIs of one team-quarter with change, target, attainment and RAG.

Pure functions: KPI values in (a :class:`~helpers.metrics.stats.Rate` for a rate, an
:class:`~helpers.metrics.pipeline.Amount` for a sum of opportunity amounts, a number
otherwise), a table out. Targets and RAG come from :mod:`helpers.metrics.goals`
(:func:`~helpers.metrics.goals.target_for` and :func:`~helpers.metrics.goals.rag_status`), the
one place where those rules are written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .goals import rag_status
from .pipeline import Amount
from .stats import Rate, compare_rates

# Shared KPIs of the headline: name -> (label, direction, kind)
KPIS = {
    "mqls": ("MQLs", "higher", "count"),
    "sla_compliance": ("SLA compliance", "higher", "rate"),
    "speed_to_lead_hours": ("Speed to lead (median business h)", "lower", "hours"),
    "mql_acceptance": ("MQL acceptance", "higher", "rate"),
    "mql_to_sql": ("MQL → SQL", "higher", "rate"),
    "pipeline_created": ("Pipeline created", "higher", "amount"),
    "won_revenue": ("Won revenue", "higher", "amount"),
    "won_deals": ("Won deals", "higher", "count"),
    "win_rate": ("Win rate", "higher", "rate"),
    "cac": ("CAC", "lower", "amount"),
    # The alignment scorecard of the playbooks (CAC above is one of its five).
    "lead_to_customer": ("Lead → customer", "higher", "rate"),
    "bookings_growth": ("Bookings growth (YoY)", "higher", "rate"),
    "customer_retention": ("Customer retention", "higher", "rate"),
    "marketing_roi": ("Marketing ROI", "higher", "rate"),
}

SCORECARD = ("lead_to_customer", "cac", "bookings_growth", "customer_retention", "marketing_roi")
"""The alignment scorecard of the playbooks: five KPIs whose targets are often relative
("+20 % vs the same quarter last year"); all of them are headline KPIs."""

NOT_SHARES = ("bookings_growth", "marketing_roi")
"""Rate KPIs that are not shares of a whole: they can be negative or above 100 %, so a relative
target is not capped at 100 % and the rate trend (shares on one axis) leaves them out."""

KpiValues = Mapping[str, "Rate | Amount | float"]
EARLIER_LABELS = {"previous": "Q−1", "year": "Q−4"}


def value_columns(value: Rate | Amount | float) -> dict:
    """Value, counts and 95 % interval of one KPI value (NaN counts for a plain number).

    An :class:`Amount` gives its value (NaN when no deal of its base has an amount); its
    deal counts are in :func:`amount_columns`.
    """
    if isinstance(value, Rate):
        low, high = value.interval
        return {
            "value": value.value,
            "numerator": value.numerator,
            "denominator": value.denominator,
            "ci_low": low,
            "ci_high": high,
            "small_sample": value.small_sample,
        }
    return {
        "value": float(value),
        "numerator": np.nan,
        "denominator": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "small_sample": False,
    }


def amount_columns(value: Rate | Amount | float) -> dict:
    """The deals an amount KPI is built from: ``deals`` (its base) and ``missing_amount``.

    NaN for a KPI that is not a sum of opportunity amounts.
    """
    if isinstance(value, Amount):
        return {"deals": float(value.deals), "missing_amount": float(value.missing)}
    return {"deals": np.nan, "missing_amount": np.nan}


def amount_note(
    value: Rate | Amount | float,
    earlier: Mapping[str, Rate | Amount | float | None] | None = None,
) -> str:
    """Which deals an amount KPI is built from, when not all of them; else ``""``.

    The quarter's :meth:`Amount.basis` (``"from 412 of 530 opportunities; 118 without an
    amount"``), then, for an earlier quarter whose own value is built from part of its deals,
    ``"Q−1 from 300 of 320"`` (the change compares such values as they are).

    Parameters
    ----------
    value : Amount or other
        The KPI value; anything but an :class:`Amount` gives ``""``.
    earlier : dict
        ``"previous"`` / ``"year"`` → the value of Q−1 / Q−4 (None outside the data).

    Examples
    --------
    >>> amount_note(Amount(900.0, 4, 1), {"previous": Amount(500.0, 3, 1)})
    'from 3 of 4 opportunities; 1 without an amount; Q−1 from 2 of 3'
    """
    if not isinstance(value, Amount):
        return ""
    parts = [value.basis()] if value.missing else []
    for key, label in EARLIER_LABELS.items():
        before = (earlier or {}).get(key)
        if isinstance(before, Amount) and before.partial:
            parts.append(f"{label} from {before.counted:,} of {before.deals:,}")
    return "; ".join(parts)


def change_columns(
    value: Rate | Amount | float, before: Rate | Amount | float | None, prefix: str
) -> dict:
    """The earlier value and the change to ``value`` (with a test for rates).

    ``before`` is None for a quarter before the data starts: every column is NaN. Amounts
    change by ``value − before``, NaN when either is not in this data (as is the change of a
    rate whose other quarter is not in this data).
    """
    if before is None:
        return {
            prefix: np.nan,
            f"change_{prefix}": np.nan,
            f"p_{prefix}": np.nan,
            f"significant_{prefix}": False,
        }
    if isinstance(value, Rate) and isinstance(before, Rate):
        change = compare_rates(before, value)
        return {
            prefix: before.value,
            f"change_{prefix}": change.difference,
            f"p_{prefix}": change.p_value,
            f"significant_{prefix}": change.significant,
        }
    # A rate on one side only (the other quarter not in this data) has no change.
    earlier = before.value if isinstance(before, Rate) else float(before)
    now = value.value if isinstance(value, Rate) else float(value)
    return {
        prefix: earlier,
        f"change_{prefix}": now - earlier,
        f"p_{prefix}": np.nan,
        f"significant_{prefix}": False,
    }


def headline_table(
    now: KpiValues,
    previous: KpiValues | None,
    year_ago: KpiValues | None,
    targets: Mapping[str, float],
    notes: Mapping[str, str],
    *,
    green: float,
    amber: float,
    target_details: Mapping[str, Mapping] | None = None,
) -> pd.DataFrame:
    """One row per shared KPI: value, interval, change vs Q−1 and Q−4, target, RAG.

    An amount built from part of its deals (some without an amount) is compared with its
    target and its earlier quarters as it is, and its ``note`` says which part; one whose
    deals have no amount at all is NaN, so it has no change and no RAG.

    Parameters
    ----------
    now, previous, year_ago : dict
        KPI name → value for the quarter, Q−1 and Q−4 (None for a quarter outside the data).
    targets : dict of float
        KPI name → target (NaN or absent: no target).
    notes : dict of str
        KPI name → why the data set cannot measure it (``"not in this data: …"``). An amount
        KPI without such a note whose value is built from part of its deals gets
        :func:`amount_note` instead.
    green, amber : float
        RAG thresholds on attainment (see :func:`~helpers.metrics.goals.rag_status`).
    target_details : dict of dict, optional
        KPI name → ``TeamQuarter.target_details`` (basis, written, baseline,
        baseline_quarter, origin); ``targets`` holds the implied absolute targets.

    Returns
    -------
    DataFrame
        metric, label, direction, kind, value, numerator, denominator, ci_low, ci_high,
        small_sample, previous, change_previous, p_previous, significant_previous, year_ago,
        change_year, p_year, significant_year, target (the absolute target, implied by a
        relative one), attainment, rag, note, deals and missing_amount (the deals an amount
        KPI is built from and those of them without an amount; NaN for other KPIs),
        target_basis (``absolute``, ``vs_previous_quarter``, ``vs_same_quarter_last_year``;
        empty without a target), target_change (a relative target's change, +0.20 = +20 %;
        NaN for an absolute one), baseline and baseline_quarter (the value the change is
        applied to and its quarter) and target_origin (``team``, ``*``, ``all``, ``rolled up
        from N teams``).
    """
    rows = []
    for metric, (label, direction, kind) in KPIS.items():
        value = now[metric]
        row = {"metric": metric, "label": label, "direction": direction, "kind": kind}
        row.update(value_columns(value))
        before = {}
        for earlier, prefix in ((previous, "previous"), (year_ago, "year")):
            before[prefix] = None if earlier is None else earlier[metric]
            row.update(change_columns(value, before[prefix], prefix))
        target = targets.get(metric, np.nan)
        attainment, status = rag_status(row["value"], target, direction, green, amber)
        note = notes.get(metric) or amount_note(value, before)
        row.update(target=target, attainment=attainment, rag=status, note=note)
        row.update(amount_columns(value))
        details = (target_details or {}).get(metric) or {}
        basis = str(details.get("basis", "absolute")) if not np.isnan(target) else ""
        relative = basis not in ("", "absolute")
        row.update(
            target_basis=basis,
            target_change=float(details.get("written", np.nan)) if relative else np.nan,
            baseline=float(details.get("baseline", np.nan)) if relative else np.nan,
            baseline_quarter=str(details.get("baseline_quarter", "")) if relative else "",
            target_origin=str(details.get("origin", "")) if not np.isnan(target) else "",
        )
        rows.append(row)
    return pd.DataFrame(rows)


def trend_table(by_quarter: Sequence[tuple[str, KpiValues]], leave_out=()) -> pd.DataFrame:
    """The share KPIs of several quarters in long form, without the KPIs in ``leave_out``.

    Rate KPIs that are not shares (:data:`NOT_SHARES`: growth, ROI) are left out.

    Returns
    -------
    DataFrame
        quarter, metric, label, value, ci_low, ci_high, numerator, denominator (no rows, with
        these columns, when nothing is left).
    """
    rows = [
        {"quarter": quarter, "metric": metric, "label": label, **value_columns(values[metric])}
        for quarter, values in by_quarter
        for metric, (label, _, kind) in KPIS.items()
        if kind == "rate" and metric not in leave_out and metric not in NOT_SHARES
    ]
    columns = ["quarter", "metric", "label", *value_columns(np.nan)]
    return pd.DataFrame(rows, columns=columns)
