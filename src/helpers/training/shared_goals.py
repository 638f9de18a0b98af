"""Exercise 3: shared SMART goals for next quarter, written to the targets table (SPEC §5).

Sales and marketing of one team see each shared KPI (specific, measurable) with its baseline
(the latest complete quarter) and its current target, and propose a number for next quarter
(time-bound), so the ambition against the baseline is visible. A KPI whose next-quarter target
is relative (the playbook's scorecard: "CAC −15 % vs the previous quarter") is written back as
a change against the same basis (:func:`relative_targets`). Proposals are shown side by
side per role (median, range). The team proposal is the median of everyone's proposal per KPI;
a participant confirms "I agree to these targets", which records the values they agreed to.
As soon as at least one sales and one marketing participant of the team agreed to the *same*
values, those targets are written to the data directory's ``targets.csv`` (columns team,
quarter, metric, target, agreed_by, agreed_at), replacing only that team's rows of that
quarter and those metrics, atomically and under a lock, so the next quarterly report uses them.
"""

from __future__ import annotations

import csv
import fcntl
import html
import io
import math
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.atomic import write_text_atomically
from ..display.inert import literal_chart_text
from ..display.widgets import Html, LivePanel, Part, error_html, show
from ..errors import ParameterError, WorkbookError
from ..metrics.headline import KPIS
from .exercise_summary import ExerciseSummary, roles_apart

EXERCISE = "shared_goals"
TITLE = "Shared goals for next quarter"
AGREE_ITEM = "agree"
TARGET_PREFIX = "target:"
TARGET_COLUMNS = ("team", "quarter", "metric", "target")
AGREEMENT_COLUMNS = ("agreed_by", "agreed_at")
LOCK_NAME = ".targets.csv.lock"
# Role medians further apart than this are a disagreement: rates in points (0.02 = 2 points),
# other KPIs relative to the larger median (0.05 = 5 %).
RATE_TOLERANCE = 0.02
RELATIVE_TOLERANCE = 0.05


def round_target(metric: str, value: float) -> float:
    """A target at the precision the KPI is agreed at: rates 0.1 point, hours 0.1, else 1."""
    kind = KPIS[metric][2] if metric in KPIS else "amount"
    digits = {"rate": 3, "hours": 1}.get(kind, 0)
    return float(round(float(value), digits))


def item_metric(item: str) -> str | None:
    """``"target:mqls"`` → ``"mqls"``; None for other items."""
    return item[len(TARGET_PREFIX) :] if item.startswith(TARGET_PREFIX) else None


def next_quarter(workbook):
    """The quarter after the latest complete one: the one the goals are set for."""
    return workbook.dataset.latest_complete_quarter.shift(1)


def goal_baseline(view) -> pd.DataFrame:
    """Each shared KPI with its baseline, its current target and next quarter's target.

    Parameters
    ----------
    view : TeamQuarter
        The team's latest complete quarter (the baseline).

    Returns
    -------
    DataFrame
        One row per KPI of :data:`helpers.analysis.workbook.KPIS`: metric, label, direction, kind,
        baseline (value in the view's quarter), current_target (that quarter's target),
        next_target (target already set for the next quarter, the one a relative target
        implies; NaN if none), next_basis (that target's basis, ``absolute`` without one) and
        basis_value (the value its relative basis refers to; NaN for an absolute one).
    """
    kpis = view.kpis()
    after = view.shift(1)
    table = kpis[["metric", "label", "direction", "kind", "value"]].rename(
        columns={"value": "baseline"}
    )
    table["current_target"] = kpis["target"]
    details = [after.target_details(m) for m in table["metric"]]
    table["next_target"] = [d["target"] for d in details]
    # A KPI whose next-quarter target is relative (e.g. the sample's "*" scorecard rows) keeps
    # that basis when the team agrees a new target: see relative_targets.
    table["next_basis"] = [d["basis"] for d in details]
    table["basis_value"] = [d["baseline"] for d in details]
    return table.reset_index(drop=True)


def relative_targets(agreed: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """The agreed targets, each written the way next quarter's target of its KPI is written.

    A KPI whose next-quarter target is relative (basis ``vs_previous_quarter`` or
    ``vs_same_quarter_last_year``, e.g. the playbook's "CAC −15 % vs the previous quarter")
    gets its agreed value written as a change against that basis::

        change = agreed target / basis value − 1        (rounded to 0.1 %)

    where the basis value is the KPI's value in the basis quarter (``basis_value`` of
    :func:`goal_baseline`), so the next report implies the very target the team agreed. A KPI
    with an absolute target, or whose basis value is not in this data or not above 0, is
    written as it was agreed, absolute.

    Parameters
    ----------
    agreed : DataFrame
        :func:`agreed_targets` (team, quarter, metric, target, agreed_by, agreed_at).
    baseline : DataFrame
        :func:`goal_baseline` of the team (metric, next_basis, basis_value).

    Returns
    -------
    DataFrame
        ``agreed`` with ``target`` possibly a change and a ``basis`` column.

    Examples
    --------
    >>> agreed = pd.DataFrame({"metric": ["cac", "mqls"], "target": [3400.0, 120.0]})
    >>> base = pd.DataFrame({"metric": ["cac", "mqls"],
    ...                      "next_basis": ["vs_previous_quarter", "absolute"],
    ...                      "basis_value": [4000.0, float("nan")]})
    >>> relative_targets(agreed, base)[["metric", "target", "basis"]].values.tolist()
    [['cac', -0.15, 'vs_previous_quarter'], ['mqls', 120.0, 'absolute']]
    """
    how = baseline.set_index("metric")
    out = agreed.copy()
    targets, bases = [], []
    for metric, target in zip(out["metric"], out["target"], strict=True):
        basis = str(how["next_basis"].get(metric, "absolute"))
        base = float(how["basis_value"].get(metric, np.nan))
        if basis != "absolute" and np.isfinite(base) and base > 0:
            targets.append(round(float(target) / base - 1.0, 3))
            bases.append(basis)
        else:
            targets.append(float(target))
            bases.append("absolute")
    out["target"] = targets
    out["basis"] = bases
    return out


def proposals(answers: pd.DataFrame) -> pd.DataFrame:
    """Proposed targets, one row per participant and KPI.

    Columns metric, participant_id, name, role, value (finite numbers only).
    """
    rows = []
    for record in answers.itertuples(index=False) if len(answers) else ():
        metric = item_metric(str(record.item))
        value = record.answer
        if metric in KPIS and isinstance(value, int | float) and math.isfinite(value):
            rows.append(
                {
                    "metric": metric,
                    "participant_id": record.participant_id,
                    "name": record.name,
                    "role": record.role,
                    "value": float(value),
                }
            )
    return pd.DataFrame(rows, columns=["metric", "participant_id", "name", "role", "value"])


def proposal_summary(proposed: pd.DataFrame) -> pd.DataFrame:
    """Median, range and count of the proposals per KPI and role.

    Returns
    -------
    DataFrame
        Columns metric, role, proposals, median, low, high, spread (high − low).
    """
    columns = ["metric", "role", "proposals", "median", "low", "high", "spread"]
    if not len(proposed):
        return pd.DataFrame(columns=columns)
    grouped = proposed.groupby(["metric", "role"])["value"]
    table = grouped.agg(proposals="size", median="median", low="min", high="max").reset_index()
    table["spread"] = table["high"] - table["low"]
    return table[columns]


def team_proposal(proposed: pd.DataFrame) -> dict[str, float]:
    """The team's proposal: per KPI, the median of every proposal, rounded.

    See :func:`round_target`; KPIs nobody proposed are left out, in :data:`KPIS` order.
    """
    if not len(proposed):
        return {}
    medians = proposed.groupby("metric")["value"].median()
    return {m: round_target(m, medians[m]) for m in KPIS if m in medians.index}


def role_disagreements(summary: pd.DataFrame) -> pd.DataFrame:
    """KPIs whose sales and marketing medians differ by more than the tolerance.

    Rates: more than :data:`RATE_TOLERANCE` apart (points); other KPIs: more than
    :data:`RELATIVE_TOLERANCE` of the larger median apart. Columns item, detail.
    """
    rows = []
    for metric in KPIS:
        by_role = summary[summary["metric"] == metric].set_index("role")["median"]
        if not {"sales", "marketing"} <= set(by_role.index):
            continue
        sales, marketing = float(by_role["sales"]), float(by_role["marketing"])
        apart = roles_apart(
            sales,
            marketing,
            is_rate=KPIS[metric][2] == "rate",
            rate_tolerance=RATE_TOLERANCE,
            relative_tolerance=RELATIVE_TOLERANCE,
        )
        if apart:
            rows.append(
                {
                    "item": KPIS[metric][0],
                    "detail": f"sales propose {format_value(metric, sales)}, marketing "
                    f"{format_value(metric, marketing)}",
                }
            )
    return pd.DataFrame(rows, columns=["item", "detail"])


def agreement_answer(quarter: str, targets: dict[str, float]) -> dict[str, Any]:
    """What "I agree to these targets" stores: the quarter and the rounded values."""
    return {
        "quarter": str(quarter),
        "targets": {m: round_target(m, v) for m, v in targets.items() if m in KPIS},
    }


def agreed_targets(answers: pd.DataFrame, team: str, quarter: str) -> pd.DataFrame | None:
    """The targets a sales and a marketing participant of ``team`` agreed to, if any.

    Agreements (latest per participant) count when they are for ``quarter`` and name at least
    one target; those with identical values form a group, and a group agreed by at least one
    participant of each role is an agreement. With several, the one completed last wins.

    Parameters
    ----------
    answers : DataFrame
        Latest answers of the exercise (``Workshop.answers``); other teams' rows are ignored.
    team, quarter : str
        Team and the quarter the targets are for.

    Returns
    -------
    DataFrame or None
        Columns team, quarter, metric, target, agreed_by (``"Ana (sales); Bo (marketing)"``,
        sorted by name), agreed_at (latest agreement of the group, ISO 8601); None when no
        agreement yet.
    """
    if not len(answers):
        return None
    chosen = answers[(answers["item"] == AGREE_ITEM) & (answers["team"] == team)]
    groups: dict[tuple, list] = {}
    for record in chosen.itertuples(index=False):
        answer = record.answer if isinstance(record.answer, dict) else {}
        values = answer.get("targets") or {}
        if answer.get("quarter") != str(quarter) or not isinstance(values, dict) or not values:
            continue
        try:
            key = tuple(sorted((m, round_target(m, v)) for m, v in values.items() if m in KPIS))
        except (TypeError, ValueError):
            continue
        if key:
            groups.setdefault(key, []).append(record)
    best = None
    for key, people in groups.items():
        if {"sales", "marketing"} <= {p.role for p in people}:
            at = max(str(p.answered_at) for p in people)
            if best is None or at > best[0]:
                best = (at, key, people)
    if best is None:
        return None
    at, key, people = best
    who = "; ".join(sorted(f"{p.name} ({p.role})" for p in people))
    values = dict(key)
    return pd.DataFrame(
        [
            {
                "team": team,
                "quarter": str(quarter),
                "metric": m,
                "target": values[m],
                "agreed_by": who,
                "agreed_at": at,
            }
            for m in KPIS
            if m in values
        ]
    )


def _number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


@contextmanager
def _locked(data_dir: Path):
    """An exclusive lock on the data directory's targets, held while the file is rewritten."""
    lock_path = Path(data_dir) / LOCK_NAME
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def read_target_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a targets CSV as the text written in it (missing file: empty)."""
    if not path.exists():
        return [], []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        return header, [dict(row) for row in reader]


def write_targets(
    data_dir: str | Path,
    rows: pd.DataFrame,
    agreed_by: str | None = None,
    agreed_at: str | None = None,
) -> Path:
    """Replace some team-quarter-metric rows of ``targets.csv``, keeping every other row.

    The file is rewritten atomically (readers see the old or the new file) while holding an
    exclusive lock (``.targets.csv.lock`` beside it), so two kernels agreeing at once both
    keep their rows. Other rows keep their text as it was; columns ``agreed_by`` and
    ``agreed_at`` are added when missing (empty for older rows). A missing file is created.

    Parameters
    ----------
    data_dir : str or Path
        Data directory.
    rows : DataFrame
        Columns team, quarter, metric, target, and optionally basis (see
        :func:`relative_targets`; a ``basis`` column is added to the file when a row is
        relative, older rows then read as absolute), agreed_by, agreed_at.
    agreed_by, agreed_at : str, optional
        Used for rows that do not carry their own.

    Returns
    -------
    Path
        The targets file.

    Raises
    ------
    ParameterError
        When ``rows`` lacks a canonical column or has a target that is not a finite number.
    """
    missing = [c for c in TARGET_COLUMNS if c not in rows.columns]
    if missing:
        raise ParameterError(f"Targets to write lack column(s) {', '.join(missing)}.")
    new = []
    for record in rows.to_dict("records"):
        target = float(record["target"])
        if not math.isfinite(target):
            raise ParameterError(f"Target for {record['metric']} is not a number ({target}).")
        new.append(
            {
                "team": str(record["team"]),
                "quarter": str(record["quarter"]),
                "metric": str(record["metric"]),
                "target": _number(target),
                "basis": str(record.get("basis") or ""),
                "agreed_by": str(record.get("agreed_by") or agreed_by or ""),
                "agreed_at": str(record.get("agreed_at") or agreed_at or ""),
            }
        )
    replaced = {(r["team"], r["quarter"], r["metric"]) for r in new}
    path = Path(data_dir) / "targets.csv"
    with _locked(Path(data_dir)):
        header, old = read_target_rows(path)
        header = header or list(TARGET_COLUMNS)
        relative = any(r["basis"] not in ("", "absolute") for r in new)
        extra = ("basis",) if relative or "basis" in header else ()
        header += [c for c in (*TARGET_COLUMNS, *extra, *AGREEMENT_COLUMNS) if c not in header]
        if not extra:
            for r in new:
                del r["basis"]
        kept = [
            r for r in old if (r.get("team"), r.get("quarter"), r.get("metric")) not in replaced
        ]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows([*kept, *new])
        write_text_atomically(path, buffer.getvalue())
    return path


def already_written(data_dir: str | Path, rows: pd.DataFrame) -> bool:
    """Whether ``targets.csv`` already holds exactly these rows (values and who agreed)."""
    _, old = read_target_rows(Path(data_dir) / "targets.csv")
    index = {(r.get("team"), r.get("quarter"), r.get("metric")): r for r in old}
    for record in rows.to_dict("records"):
        row = index.get((record["team"], record["quarter"], record["metric"]))
        if row is None or row.get("agreed_by", "") != record["agreed_by"]:
            return False
        if (row.get("basis") or "absolute") != (record.get("basis") or "absolute"):
            return False
        try:
            if float(row["target"]) != float(record["target"]):
                return False
        except (TypeError, ValueError):
            return False
    return True


def apply_agreement(workshop, team: str) -> pd.DataFrame | None:
    """Write the team's agreed targets to ``targets.csv`` if there is a new agreement.

    Returns
    -------
    DataFrame or None
        The agreed rows (see :func:`agreed_targets`), written now or before; None if the
        team has not agreed yet.
    """
    workbook = workshop.workbook()
    quarter = str(next_quarter(workbook))
    agreed = agreed_targets(workshop.answers(EXERCISE, team=team), team, quarter)
    if agreed is None:
        return None
    view = workbook.view(team, workbook.dataset.latest_complete_quarter)
    rows = relative_targets(agreed, goal_baseline(view))
    if not already_written(workshop.data_dir, rows):
        write_targets(workshop.data_dir, rows)
    return agreed


# --- presentation ------------------------------------------------------------------------


def format_value(metric: str, value: float) -> str:
    """A KPI value as people read it (rates in %, amounts with thousands separators)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    kind = KPIS[metric][2] if metric in KPIS else "amount"
    if kind == "rate":
        return f"{value:.1%}"
    if kind == "hours":
        return f"{value:,.1f} h"
    return f"{value:,.0f}"


def _change(metric: str, value: float, base: float) -> str:
    if any(v is None or np.isnan(v) for v in (value, base)) or base == 0:
        return "–"
    if KPIS[metric][2] == "rate":
        return f"{(value - base) * 100:+.1f} pts"
    return f"{value / base - 1:+.0%}"


def goals_table(
    baseline: pd.DataFrame, summary: pd.DataFrame, proposal: dict[str, float], agreed=None
) -> pd.DataFrame:
    """The SMART table for a page: per KPI, baseline, targets, role medians, team proposal."""
    medians = {
        (m, r): v
        for m, r, v in zip(summary["metric"], summary["role"], summary["median"], strict=True)
    }
    agreed_values = (
        {} if agreed is None else dict(zip(agreed["metric"], agreed["target"], strict=True))
    )
    rows = []
    for row in baseline.itertuples(index=False):
        m = row.metric
        team_value = proposal.get(m, np.nan)
        rows.append(
            {
                "KPI": row.label,
                "better": row.direction,
                "baseline": format_value(m, row.baseline),
                "current target": format_value(m, row.current_target),
                "next target (set)": format_value(m, row.next_target),
                "sales (median)": format_value(m, medians.get((m, "sales"), np.nan)),
                "marketing (median)": format_value(m, medians.get((m, "marketing"), np.nan)),
                "team proposal": format_value(m, team_value),
                "vs baseline": _change(m, team_value, row.baseline),
                "agreed": format_value(m, agreed_values.get(m, np.nan)),
            }
        )
    return pd.DataFrame(rows)


def ambition(
    baseline: pd.DataFrame, summary: pd.DataFrame, proposal: dict[str, float]
) -> pd.DataFrame:
    """How far each target reaches beyond the baseline, in percent, better-is-positive.

    ``(target / baseline − 1) × 100``, with the sign flipped for lower-is-better KPIs (a CAC
    target 10 % under the baseline is +10), so every bar to the right asks for more.

    Returns
    -------
    DataFrame
        Columns KPI, series (``current target``, ``sales (median)``, ``marketing (median)``,
        ``team proposal``) and ambition; only finite values with a non-zero baseline.
    """
    medians = {
        (m, r): v
        for m, r, v in zip(summary["metric"], summary["role"], summary["median"], strict=True)
    }
    rows = []
    for row in baseline.itertuples(index=False):
        series = {
            "current target": row.current_target,
            "sales (median)": medians.get((row.metric, "sales"), np.nan),
            "marketing (median)": medians.get((row.metric, "marketing"), np.nan),
            "team proposal": proposal.get(row.metric, np.nan),
        }
        for name, value in series.items():
            if not (np.isfinite(value) and np.isfinite(row.baseline) and row.baseline != 0):
                continue
            change = (value / row.baseline - 1.0) * 100.0
            rows.append(
                {
                    "KPI": row.label,
                    "series": name,
                    "ambition": -change if row.direction == "lower" else change,
                }
            )
    return pd.DataFrame(rows, columns=["KPI", "series", "ambition"])


def ambition_chart(table: pd.DataFrame):
    """Bars of :func:`ambition` per KPI and series; None when there is nothing to draw."""
    if table.empty:
        return None
    import matplotlib.pyplot as plt
    import seaborn as sns

    literal_chart_text()
    kpis = table["KPI"].nunique()
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * kpis * table["series"].nunique() / 2 + 1.5))
    sns.barplot(
        data=table, x="ambition", y="KPI", hue="series", palette="colorblind", ax=ax, orient="h"
    )
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_title("How far each target reaches beyond the baseline")
    ax.set_xlabel("Ambition vs baseline (%; right = better than the baseline)")
    ax.set_ylabel("")
    ax.legend(title="", loc="best", fontsize="small")
    return fig


def _proposal_table(summary: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "KPI": [KPIS[m][0] for m in summary["metric"]],
            "role": summary["role"],
            "proposals": summary["proposals"],
            "median": [
                format_value(m, v)
                for m, v in zip(summary["metric"], summary["median"], strict=True)
            ],
            "lowest": [
                format_value(m, v) for m, v in zip(summary["metric"], summary["low"], strict=True)
            ],
            "highest": [
                format_value(m, v) for m, v in zip(summary["metric"], summary["high"], strict=True)
            ],
        }
    )


def summarise(workshop, team: str) -> ExerciseSummary:
    """Proposals per role, the team proposal, and the agreed targets of one team.

    Works with zero answers. ``figures``: ``quarter`` (the quarter the goals are for),
    ``proposals`` (count of KPI proposals), ``team_proposal`` (metric → value),
    ``agreed_targets`` (metric → value, or None while not agreed), ``agreed_by``.
    """
    workbook = workshop.workbook()
    view = workbook.view(team, workbook.dataset.latest_complete_quarter)
    quarter = str(next_quarter(workbook))
    answers = workshop.answers(EXERCISE, team=team)
    proposed = proposals(answers)
    summary = proposal_summary(proposed)
    proposal = team_proposal(proposed)
    agreed = agreed_targets(answers, team, quarter)
    people = int(answers["participant_id"].nunique()) if len(answers) else 0
    if agreed is not None:
        headline = (
            f"Team {team} agreed {len(agreed)} target(s) for {quarter} "
            f"({agreed['agreed_by'].iloc[0]}); they are in targets.csv for the next report."
        )
    elif len(proposed):
        headline = (
            f"{proposed['participant_id'].nunique()} participant(s) of {team} proposed targets "
            f"for {quarter}; not agreed yet (one sales and one marketing participant must agree "
            "to the same values)."
        )
    else:
        headline = f"No target proposals yet for {team} in {quarter}."
    base = goal_baseline(view)
    # A KPI whose stages the data never records has no baseline: say so once, above the table.
    untracked = view.kpis_not_in_data(consequence=("has no baseline", "have no baseline"))
    parts: list[Part] = [
        Html(f"<h4>Targets for {html.escape(quarter)} (team {html.escape(team)})</h4>"),
        untracked,
        goals_table(base, summary, proposal, agreed),
        ambition_chart(ambition(base, summary, proposal)),
    ]
    if len(summary):
        parts += [Html("<h4>Proposals by role</h4>"), _proposal_table(summary)]
    if agreed is not None:
        parts.append(f"Agreed by {agreed['agreed_by'].iloc[0]} at {agreed['agreed_at'].iloc[0]}.")
    return ExerciseSummary(
        exercise=EXERCISE,
        title=TITLE,
        headline=headline,
        participants=people,
        parts=parts,
        disagreements=role_disagreements(summary),
        figures={
            "quarter": quarter,
            "proposals": len(proposed),
            "team_proposal": proposal,
            "agreed_targets": None
            if agreed is None
            else dict(zip(agreed["metric"], agreed["target"], strict=True)),
            "agreed_by": None if agreed is None else agreed["agreed_by"].iloc[0],
        },
    )


# --- widgets -----------------------------------------------------------------------------


def _to_field(metric: str, value: float) -> float:
    """Rates are typed in percent."""
    if value is None or np.isnan(value):
        return 0.0
    return round(value * 100, 1) if KPIS[metric][2] == "rate" else round_target(metric, value)


def _from_field(metric: str, value: float) -> float:
    return round_target(metric, value / 100 if KPIS[metric][2] == "rate" else value)


class SharedGoalsExercise:
    """One field per shared KPI, "Save my proposals", and "I agree to these targets".

    Parameters
    ----------
    workshop : Workshop
        Session and participant; the team is the participant's (else the session's first).
        Both buttons are disabled until joined.
    """

    def __init__(self, workshop) -> None:
        import ipywidgets as widgets

        self.workshop = workshop
        self.team = workshop.team()
        self.fields: dict[str, Any] = {}
        self.grid = widgets.VBox()
        self.propose_button = widgets.Button(
            description="Save my proposals", button_style="primary", icon="save", disabled=True
        )
        self.agree_button = widgets.Button(
            description="I agree to these targets", button_style="success", icon="check",
            disabled=True,
        )  # fmt: skip
        self.status = widgets.HTML("Join above to propose targets.")
        self.team_view = widgets.HTML()
        self.propose_button.on_click(lambda _: self.propose())
        self.agree_button.on_click(lambda _: self.agree())
        self.widget = widgets.VBox(
            [
                self.grid,
                self.propose_button,
                widgets.HTML("<h4>Team proposal (median of everyone's proposals)</h4>"),
                self.team_view,
                self.agree_button,
                self.status,
            ]
        )
        if workshop.participant is None:  # else joining builds the fields, once
            self._build()
        workshop.on_join(self._joined)

    def _build(self) -> None:
        import ipywidgets as widgets

        workbook = self.workshop.workbook()
        self.quarter = str(next_quarter(workbook))
        team = self.team
        self.baseline = self.workshop.material(
            ("shared_goals", team),
            lambda: goal_baseline(workbook.view(team, workbook.dataset.latest_complete_quarter)),
        )
        mine = self.workshop.my_answers(EXERCISE)
        self.fields = {}
        rows = []
        for row in self.baseline.itertuples(index=False):
            m = row.metric
            start = row.next_target if not np.isnan(row.next_target) else row.baseline
            if isinstance(mine.get(TARGET_PREFIX + m), int | float):
                start = float(mine[TARGET_PREFIX + m])
            unit = " (%)" if row.kind == "rate" else ""
            field = widgets.FloatText(
                value=_to_field(m, start),
                description=f"{row.label}{unit}",
                style={"description_width": "260px"},
                layout=widgets.Layout(width="420px"),
            )
            self.fields[m] = field
            hint = widgets.HTML(
                f"baseline {html.escape(format_value(m, row.baseline))}, current target "
                f"{html.escape(format_value(m, row.current_target))} ({html.escape(row.direction)}"
                " is better)"
            )
            rows.append(widgets.HBox([field, hint]))
        self.grid.children = rows
        # The team's proposals so far are the room's results: drawn when the participant saves
        # or asks (Refresh results), not each time a page is built.
        self.team_view.value = (
            "<p><i>Save your proposals to see the team proposal (or press Refresh results "
            "below).</i></p>"
        )

    def _joined(self, participant) -> None:
        if participant.team and participant.team != self.team:
            self.team = participant.team
        self._build()
        self.propose_button.disabled = self.agree_button.disabled = False
        self.status.value = f"Propose your targets for {html.escape(self.quarter)}."

    def values(self) -> dict[str, float]:
        """The proposals in the fields (rates as shares, e.g. 0.9)."""
        return {m: _from_field(m, float(field.value)) for m, field in self.fields.items()}

    def propose(self) -> dict[str, float] | None:
        """Record one answer per KPI (``target:<metric>``)."""
        try:
            values = self.values()
            for metric, value in values.items():
                self.workshop.record(EXERCISE, TARGET_PREFIX + metric, value)
        except WorkbookError as err:
            self.status.value = error_html(err)
            return None
        # Acknowledged without drawing the room's results: the team proposal is drawn on
        # demand (Refresh results) and when agreeing.
        self.status.value = (
            "Proposals saved. Press Refresh results for the team proposal, then agree (or discuss)."
        )
        return values

    def current_proposal(self) -> dict[str, float]:
        """The team proposal now (median of the team's latest proposals)."""
        return team_proposal(proposals(self.workshop.answers(EXERCISE, team=self.team)))

    def refresh_team(self) -> None:
        """Redraw the team proposal from the store (shared by every viewer of the team)."""
        self.team_view.value = self._results_html()

    def _results_html(self) -> str:
        workshop, team = self.workshop, self.team
        return workshop.results_html(EXERCISE, team, lambda: summarise(workshop, team).page_parts())

    def agree(self) -> pd.DataFrame | None:
        """Agree to the team proposal as it is now; write targets once both roles agree."""
        proposal = self.current_proposal()
        if not proposal:
            self.status.value = "Nothing to agree to yet: save your proposals first."
            return None
        try:
            self.workshop.record(EXERCISE, AGREE_ITEM, agreement_answer(self.quarter, proposal))
            agreed = apply_agreement(self.workshop, self.team)
        except WorkbookError as err:
            self.status.value = error_html(err)
            return None
        if agreed is None:
            self.status.value = (
                "You agreed. The targets are set once a participant of the other role agrees "
                "to the same values."
            )
        else:
            self.status.value = (
                f"Agreed by {html.escape(agreed['agreed_by'].iloc[0])}: the targets for "
                f"{html.escape(self.quarter)} are written to targets.csv."
            )
        self.refresh_team()
        return agreed

    def display(self) -> None:
        """Show the fields; a static page shows the SMART table at the baseline."""
        summary = summarise(self.workshop, self.team)
        show(self.widget, summary.page_parts())

    def results_panel(self) -> LivePanel:
        """Proposals by role and the agreement so far (refresh to update)."""

        def render() -> Iterable[Part]:
            return [Html(self._results_html())]

        return LivePanel(render)
