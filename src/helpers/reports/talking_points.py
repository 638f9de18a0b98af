"""Talking points for the joint sales-and-marketing review: rule-based, each citing its figures.

Every rule is a pure function of tables or values the report has already computed (not of
the view), returns its sentences (an empty list when the rule does not fire) and never
invents a figure it was not given. :func:`talking_points` is the thin adapter that feeds the
rules from a :class:`~helpers.analysis.workbook.TeamQuarter`.

Numbers are written as in the review: rates ``84.0 %``, hours ``12.5 h``, amounts with the
currency (``EUR 1,234``), p-values ``p=0.003`` (``p<0.001`` below that).

Only bases that can carry a point make one:

- a change against Q−1 or Q−4 needs at least :data:`MIN_BASE` observations on *both* sides
  (MQLs for the MQL count, the rate's denominator, touched MQLs for speed to lead,
  opportunities created for pipeline, deals won for won revenue, new customers for CAC);
- a change beyond ±500 % (:data:`MAX_RELATIVE_CHANGE`) is written ``from 4 to 2,655``, not
  as a percentage;
- a quarter whose table stopped early (the export ended before the quarter did, see
  :func:`tables_cut_off`) is no side of a comparison: the point is skipped;
- an unfinished quarter (``view.complete`` false) is never compared with complete ones: no
  change points, no volume (count or amount) against its target; rates and hours against
  target say ``so far (quarter not complete at 15 Aug 2026)``;
- the alignment index is cited only when it has a value (enough components, see
  :func:`helpers.metrics.goals.alignment_index`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from ..data.config import CANONICAL_EVENTS
from ..data.stages import OUTCOMES
from ..errors import ParameterError
from ..metrics.coverage import absent_phrase
from ..metrics.goals import AlignmentIndex
from ..metrics.handoff import AGE_BANDS
from ..metrics.headline import KPIS
from ..metrics.pipeline import Amount
from ..metrics.stats import SMALL_SAMPLE, Rate

if TYPE_CHECKING:
    from ..analysis.workbook import TeamQuarter

SEVERITY = {"red": 0, "amber": 1}

MIN_BASE = SMALL_SAMPLE
"""Observations each side of a change needs (the small-sample threshold of the rates, 30)."""

MAX_RELATIVE_CHANGE = 5.0
"""Relative changes beyond ±500 % are written ``from 4 to 2,655`` instead of as a percentage."""

# The tables a KPI is computed from: a quarter beyond the end of one of them is no base.
KPI_TABLES = {
    "mqls": ("leads", "lead_events"),
    "sla_compliance": ("leads", "lead_events"),
    "speed_to_lead_hours": ("leads", "lead_events"),
    "mql_acceptance": ("leads", "lead_events"),
    "mql_to_sql": ("leads", "lead_events"),
    "pipeline_created": ("opportunities",),
    "won_revenue": ("opportunities",),
    "won_deals": ("opportunities",),
    "win_rate": ("opportunities",),
    "cac": ("spend", "opportunities"),
}
VOLUME_KINDS = ("count", "amount")


def _nan(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def figure(value: float, kind: str, currency: str = "") -> str:
    """A figure as the talking points write it.

    Examples
    --------
    >>> figure(0.612, "rate"), figure(12.25, "hours"), figure(1234.5, "amount", "EUR")
    ('61.2 %', '12.2 h', 'EUR 1,234')
    """
    if _nan(value):
        return "n/a"
    if kind == "rate":
        return f"{value * 100:.1f} %"
    if kind == "hours":
        return f"{value:,.1f} h"
    if kind == "amount":
        return f"{currency} {value:,.0f}".strip()
    return f"{value:,.0f}"


def count(n: int, noun: str) -> str:
    """``1 MQL``, ``212 MQLs``: a count with its noun, plural unless it is 1."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def p_text(p_value: float) -> str:
    """``p=0.003``, or ``p<0.001`` for smaller values."""
    return "p<0.001" if p_value < 0.001 else f"p={p_value:.3f}"


def carries(*bases: float, min_base: int = MIN_BASE) -> bool:
    """Whether every base (observations behind a figure) is known and at least ``min_base``.

    Examples
    --------
    >>> carries(30, 212), carries(4, 2655), carries(40, math.nan)
    (True, False, False)
    """
    return all(not _nan(b) and b >= min_base for b in bases)


def kpi_change_points(
    kpis: pd.DataFrame,
    *,
    currency: str = "",
    previous_label: str = "Q−1",
    year_label: str = "Q−4",
    min_relative_change: float = 0.2,
    min_base: int = MIN_BASE,
) -> list[str]:
    """Significant changes of rate KPIs and large changes of the others, vs Q−1 and Q−4.

    A comparison is drawn only when both quarters rest on at least ``min_base``
    observations (columns ``base``, ``base_previous``, ``base_year``; a missing base, e.g. a
    quarter beyond the end of its table, draws none). A rate KPI then fires when its change
    is significant (``significant_previous`` / ``significant_year``, set by a two-proportion
    or Fisher's exact test). Counts, hours and amounts have no test; they fire when they
    moved by at least ``min_relative_change`` of the earlier value (which must be above 0),
    and the sentence says which way is better. A change beyond ±500 % (:data:`MAX_RELATIVE_CHANGE`)
    is written as the two figures (``from 4 to 2,655``), not as a percentage.

    Parameters
    ----------
    kpis : DataFrame
        :meth:`TeamQuarter.kpis`: label, direction, kind, value, previous, year,
        change_previous, change_year, p_previous, p_year, significant_previous,
        significant_year; with base, base_previous and base_year (see
        :func:`with_bases`).
    currency : str
        Written before amounts.
    previous_label, year_label : str
        Names of Q−1 and Q−4 in the sentences (e.g. ``2026Q2``).
    min_relative_change : float
        Threshold for KPIs that are not rates (0.2 = 20 %).
    min_base : int
        Observations each side needs (:data:`MIN_BASE`).

    Returns
    -------
    list of str
        One sentence per firing (KPI, comparison), KPIs in table order, Q−1 before Q−4.
    """
    points = []
    for row in kpis.to_dict("records"):
        kind = row["kind"]
        for key, label in (("previous", previous_label), ("year", year_label)):
            before, now = row[key], row["value"]
            if _nan(before) or _nan(now) or before == now:
                continue
            if not carries(row.get("base"), row.get(f"base_{key}"), min_base=min_base):
                continue
            verb = "rose" if now > before else "fell"
            if kind == "rate":
                if not row[f"significant_{key}"]:
                    continue
                points.append(
                    f"{row['label']} {verb} from {figure(before, kind)} in {label} to "
                    f"{figure(now, kind)} (significant, {p_text(row[f'p_{key}'])})."
                )
                continue
            relative = abs(now - before) / before if before > 0 else math.nan
            if _nan(relative) or relative < min_relative_change:
                continue
            better = (now > before) == (row["direction"] == "higher")
            verdict = f"({'better' if better else 'worse'}: {row['direction']} is better)"
            span = f"from {figure(before, kind, currency)} to {figure(now, kind, currency)}"
            if relative > MAX_RELATIVE_CHANGE:
                points.append(f"{row['label']} {verb} {span} against {label} {verdict}.")
            else:
                points.append(
                    f"{row['label']} {verb} {figure(relative, 'rate')} against {label}, "
                    f"{span} {verdict}."
                )
    return points


def target_points(kpis: pd.DataFrame, *, currency: str = "", so_far: str = "") -> list[str]:
    """KPIs that are red or amber against their target, red first.

    Parameters
    ----------
    kpis : DataFrame
        :meth:`TeamQuarter.kpis` (label, direction, kind, value, target, attainment, rag).
    currency : str
        Written before amounts.
    so_far : str
        For an unfinished quarter, e.g. ``"so far (quarter not complete at 15 Aug 2026)"``:
        counts and amounts (a part of a quarter against a whole quarter's target) are left
        out and rates and hours say ``so far``.

    Returns
    -------
    list of str
        ``"Red against target: <KPI> <actual> vs a target of <target> (attainment 76 %)."``,
        with ``lower is better`` added for such KPIs.
    """
    chosen = [
        r
        for r in kpis.to_dict("records")
        if r["rag"] in SEVERITY and not (so_far and r["kind"] in VOLUME_KINDS)
    ]
    chosen.sort(key=lambda r: SEVERITY[r["rag"]])
    when = f" {so_far}" if so_far else ""
    points = []
    for row in chosen:
        kind = row["kind"]
        note = "; lower is better" if row["direction"] == "lower" else ""
        points.append(
            f"{row['rag'].capitalize()} against target{when}: {row['label']} "
            f"{figure(row['value'], kind, currency)} vs a target of "
            f"{figure(row['target'], kind, currency)} "
            f"(attainment {row['attainment'] * 100:.0f} %{note})."
        )
    return points


def untouched_points(
    waiting: pd.DataFrame,
    overdue: int | None = None,
    *,
    over_hours: float = 48,
    when: str = "at quarter end",
) -> list[str]:
    """MQLs still waiting for a first touch at quarter end, and MQLs that passed their SLA.

    Parameters
    ----------
    waiting : DataFrame
        :meth:`TeamQuarter.untouched_by_age`: age_band, mqls, one row per band of
        :data:`helpers.metrics.handoff.AGE_BANDS`.
    overdue : int, optional
        The quarter's MQLs never touched past their SLA (``speed_to_lead()["untouched_overdue"]``).
    over_hours : float
        Count waiting MQLs in the bands starting at or above this many business hours; must
        be a band boundary (8, 24, 48 or 120).
    when : str
        When they were counted: ``at quarter end``, or for an unfinished quarter e.g.
        ``on 15 Aug 2026 (quarter not complete)``.

    Returns
    -------
    list of str
        At most one sentence; none when both counts are 0.

    Raises
    ------
    ParameterError
        When ``over_hours`` is not a band boundary.
    """
    starts = list(AGE_BANDS[:-1])
    if over_hours not in starts[1:]:
        raise ParameterError(
            f"over_hours is {over_hours!r}; use a band boundary: "
            f"{', '.join(f'{b:g}' for b in starts[1:])}."
        )
    first = starts.index(over_hours)
    long_wait = int(waiting["mqls"].iloc[first:].sum())
    overdue = int(overdue or 0)
    parts = []
    if long_wait:
        parts.append(
            f"{count(long_wait, 'MQL')} still waited for a first touch {when} after "
            f"more than {over_hours:g} business hours"
        )
    if overdue:
        parts.append(f"{count(overdue, 'MQL')} of the quarter passed the SLA without a touch")
    return ["; ".join(parts) + "."] if parts else []


def rejection_points(
    reasons: pd.DataFrame, *, min_share: float = 0.25, min_count: int = 5
) -> list[str]:
    """The top rejection reason, when it carries a large share of enough rejections.

    Parameters
    ----------
    reasons : DataFrame
        :meth:`TeamQuarter.reasons` (reason, count, ...), most frequent first.
    min_share : float
        Fires when the top reason has at least this share of the rejections ...
    min_count : int
        ... and there were at least this many rejections.

    Returns
    -------
    list of str
        At most one sentence.
    """
    total = int(reasons["count"].sum()) if len(reasons) else 0
    if total < min_count:
        return []
    top = reasons.iloc[0]
    share = int(top["count"]) / total
    if share < min_share:
        return []
    return [
        f"“{top['reason']}” was the top rejection reason: {int(top['count']):,} of {total:,} "
        f"rejected MQLs ({figure(share, 'rate')}); agree with marketing how to screen it out."
    ]


def pipeline_share_points(
    pipeline: pd.DataFrame, target: float = math.nan, *, currency: str = ""
) -> list[str]:
    """The marketing-sourced share of the pipeline created, against its target if any.

    Parameters
    ----------
    pipeline : DataFrame
        :meth:`TeamQuarter.pipeline_created`: source_type (with a ``total`` row), amount.
    target : float
        Target share (metric ``marketing_pipeline_share``); NaN when none.

    Returns
    -------
    list of str
        One sentence; none when no pipeline was created.
    """
    amounts = pipeline.set_index("source_type")["amount"]
    total = float(amounts.get("total", 0.0))
    if not total > 0:
        return []
    marketing = float(amounts.get("marketing", 0.0))
    share = marketing / total
    text = (
        f"Marketing sourced {figure(share, 'rate')} of the pipeline created "
        f"({figure(marketing, 'amount', currency)} of {figure(total, 'amount', currency)})"
    )
    if not _nan(target):
        where = "below" if share < target else "at or above"
        text += f", {where} its target of {figure(target, 'rate')}"
    return [text + "."]


def alignment_points(index: AlignmentIndex) -> list[str]:
    """The alignment index and the component that costs it the most points.

    A component loses ``100 × weight × (1 − score)`` points; the one losing most is named.

    Returns
    -------
    list of str
        One sentence; none when the index is NaN (e.g. fewer components than its minimum:
        an index of one component never leads the review) or no component loses a point.
    """
    if _nan(index.value):
        return []
    table = index.table[index.table["weight"] > 0].dropna(subset=["score"])
    lost = 100 * table["weight"] * (1 - table["score"])
    if table.empty or not (lost > 0).any():
        return []
    worst = table.loc[lost.idxmax()]
    return [
        f"The alignment index is {index.value:.1f}/100; {worst['label']} costs it the most: "
        f"a score of {figure(worst['score'], 'rate')} at a weight of "
        f"{figure(worst['weight'], 'rate')} loses {lost.max():.1f} points."
    ]


def feedback_points(
    summary: Mapping | None, *, min_coverage: float = 0.5, low_rating: float = 3.0
) -> list[str]:
    """Sales feedback on lead quality when it is thin (low coverage) or poor (low mean rating).

    Parameters
    ----------
    summary : dict or None
        :meth:`TeamQuarter.feedback_summary` (``coverage`` :class:`Rate`, ``mean_rating``,
        ``ratings``); None without a feedback table.
    min_coverage : float
        Fires when fewer than this share of MQLs got feedback ...
    low_rating : float
        ... or when the mean rating is below this.

    Returns
    -------
    list of str
        At most one sentence.
    """
    if summary is None:
        return []
    coverage: Rate = summary["coverage"]
    mean = summary["mean_rating"]
    thin = coverage.denominator > 0 and coverage.value < min_coverage
    poor = not _nan(mean) and mean < low_rating
    if not (thin or poor):
        return []
    rated = (
        f"mean rating {mean:.1f} of 5 over {summary['ratings']:,} ratings"
        if not _nan(mean)
        else "no rating"
    )
    return [
        f"Sales gave feedback on {figure(coverage.value, 'rate')} of the MQLs "
        f"({coverage.numerator:,} of {coverage.denominator:,}), {rated}."
    ]


def coverage_points(untracked: Sequence[str], not_supplied: Sequence[str] = ()) -> list[str]:
    """Stages the data set never records: named once, so nobody reads their absence as a 0.

    Parameters
    ----------
    untracked : sequence of str
        Canonical events and opportunity outcomes (``won``, ``lost``) the data set lacks.
    not_supplied : sequence of str
        Side tables the data set left out (``Dataset.not_supplied``): the point then names
        the table, not its stages.

    Returns
    -------
    list of str
        At most one sentence; none when everything is recorded.

    Examples
    --------
    >>> coverage_points(["first_touch"])  # doctest: +ELLIPSIS
    ['This data has no first_touch events, so the figures that need them are left out...']
    """
    if not untracked:
        return []
    if not_supplied:
        return [
            f"This data has {absent_phrase(untracked, not_supplied)}, so the sections that "
            "need it say so rather than show 0; add that export to measure them."
        ]
    return [
        f"This data has {absent_phrase(untracked)}, so the figures that need them are left "
        "out rather than shown as 0; agree how the CRM export will record those stages."
    ]


def tables_cut_off(view: TeamQuarter) -> frozenset[str]:
    """Tables whose export ended before ``view``'s quarter did, while the others go on.

    The seam to the data layer's rule (``Dataset.tables_ending_before``, from the tables'
    first and last dates, ``Dataset.table_spans``): a KPI of such a quarter from such a table
    is incomplete, not a quiet quarter, so it is no side of a comparison.
    """
    cut = view.workbook.dataset.tables_ending_before(view.quarter)
    return frozenset(cut["table"])


def kpi_bases(view: TeamQuarter) -> dict[str, float]:
    """The observations behind each shared KPI of ``view``: the base a comparison needs.

    Counts (MQLs, won deals): the count itself; rates: their denominator; speed to lead: the
    MQLs touched; pipeline created and won revenue: the deals with an amount (opportunities
    created, deals won); CAC: new customers. A KPI whose table stopped before the quarter
    ended (:func:`tables_cut_off`), or that the data set cannot measure, has NaN (no base),
    never 0.
    """
    bases = {}
    for metric, value in view.kpi_values().items():
        if isinstance(value, Rate):
            bases[metric] = float(value.denominator)
        elif isinstance(value, Amount):  # the deals of its base that have an amount
            bases[metric] = float(value.counted)
        elif KPIS.get(metric, ("", "", ""))[2] == "count":
            bases[metric] = float(value)
        else:
            bases[metric] = math.nan
    speed, cac = view.speed_to_lead(), view.cac()
    bases["speed_to_lead_hours"] = math.nan if speed is None else float(speed["touched"])
    bases["cac"] = math.nan if cac is None else float(cac["new_customers"])
    cut = tables_cut_off(view)
    for metric, tables in KPI_TABLES.items():
        if cut.intersection(tables):
            bases[metric] = math.nan
    return bases


def with_bases(view: TeamQuarter, kpis: pd.DataFrame) -> pd.DataFrame:
    """``kpis`` with the columns base, base_previous and base_year (see :func:`kpi_bases`).

    A comparison quarter before the data starts has no base (NaN).
    """
    known = set(view.workbook.dataset.quarters)
    columns = {}
    for column, shift in (("base", 0), ("base_previous", -1), ("base_year", -4)):
        bases = kpi_bases(view.shift(shift)) if view.quarter.shift(shift) in known else {}
        columns[column] = kpis["metric"].map(lambda m, b=bases: b.get(m, math.nan))
    return kpis.assign(**columns)


def talking_points(view: TeamQuarter, *, kpis: pd.DataFrame | None = None) -> list[str]:
    """Every rule of this module on one team and quarter, in review order.

    Order: alignment index, KPIs off target, significant changes, untouched MQLs, top
    rejection reason, lead-quality feedback, marketing-sourced pipeline share, stages the
    data set does not record. A rule that needs a stage the data set never records does not
    fire (no conclusion is drawn from an absent stage). Changes need enough observations on
    both sides and no table cut off (:func:`with_bases`); an unfinished quarter
    (``view.complete`` false) gets no change points, no volume against target, and says
    ``so far (quarter not complete at <as-of date>)`` against the targets of its rates.

    Parameters
    ----------
    view : TeamQuarter
        The report's team and quarter.
    kpis : DataFrame, optional
        ``view.kpis()`` when the caller has it already.
    """
    kpis = view.kpis() if kpis is None else kpis
    dataset = view.workbook.dataset
    currency = dataset.config.currency
    complete = view.complete
    as_of = f"{view.as_of:%d %b %Y}"
    so_far = "" if complete else f"so far (quarter not complete at {as_of})"
    waited = "at quarter end" if complete else f"on {as_of} (quarter not complete)"
    speed, waiting, rejected = view.speed_to_lead(), view.untouched_by_age(), view.reasons()
    untracked = [
        *(e for e in CANONICAL_EVENTS if e not in dataset.tracked_events),
        *(o for o in OUTCOMES if o not in dataset.tracked_outcomes),
    ]
    return [
        *alignment_points(view.alignment_index()),
        *target_points(kpis, currency=currency, so_far=so_far),
        *(
            kpi_change_points(
                with_bases(view, kpis),
                currency=currency,
                previous_label=str(view.quarter.shift(-1)),
                year_label=str(view.quarter.shift(-4)),
            )
            if complete
            else []
        ),
        *(
            untouched_points(waiting, speed["untouched_overdue"], when=waited)
            if waiting is not None and speed is not None
            else []
        ),
        *(rejection_points(rejected) if rejected is not None else []),
        *feedback_points(view.feedback_summary()),
        *(
            pipeline_share_points(
                view.pipeline_created(), view.target("marketing_pipeline_share"), currency=currency
            )
            if dataset.sources_known
            else []
        ),
        *coverage_points(untracked, dataset.not_supplied),
    ]
