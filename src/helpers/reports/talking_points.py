"""Talking points for the joint sales-and-marketing review: rule-based, each citing its figures.

Every rule is a pure function of tables or values the report has already computed (not of
the view), returns its sentences (an empty list when the rule does not fire) and never
invents a figure it was not given. :func:`talking_points` is the thin adapter that feeds the
rules from a :class:`~helpers.analysis.workbook.TeamQuarter`.

Numbers are written as everywhere in the review (:func:`helpers.display.html.format_value`):
rates ``84.0%``, hours ``12.5 h``, amounts with the currency's symbol (``€1,234``), p-values
``p=0.003`` (``p<0.001`` below that).

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

Ranking (:func:`rank_points`, :data:`SCORE_RULE`; page one shows the first :data:`PAGE_ONE`):
every point is a :class:`TalkingPoint`, a sentence that carries three parts, each between 0
and 1, and is scored

    score = weight × (1 + 3 × gap + 2 × significance + 2 × money)

- **gap**: how far the figure is from where it should be: the shortfall against its target
  (1 − attainment), the distance from the median of the other teams, the share of MQLs left
  waiting, the index points its weakest component loses; capped at 1;
- **significance**: the strength of the evidence, ``min(1, −log10(p) / 3)`` for a tested
  difference (p = 0.001 scores 1, p = 0.05 scores 0.43); 0 where nothing was tested;
- **money**: the amount at stake (a gap or change of pipeline or won revenue, a channel's
  spend) as a share of the quarter's won revenue; capped at 1;
- **weight**: 1, but ½ for a change of a count or an amount against the previous quarter
  (such volumes are seasonal, the same quarter last year, Q−4, is the fair comparison) and
  ½ for a change for the better (the review is for what needs action); ¼ for both.

Ties keep the order of the rules. One point comes first whatever its score: the collaborative
wins (:func:`wins_points`: shared KPIs on target, significant improvements, agreed actions
done), so the review opens with what both teams achieved. For the company (``all``) two more
rules name the team that stands out from the others (:func:`outlier_team_points`) and the
channel whose MQLs sales accepts least (:func:`channel_quality_points`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from ..analysis.comparison import OUTLIER_Z, team_outliers
from ..data.config import CANONICAL_EVENTS
from ..data.stages import OUTCOMES
from ..display.html import format_value
from ..errors import ParameterError
from ..metrics.coverage import absent_phrase
from ..metrics.goals import AlignmentIndex
from ..metrics.handoff import AGE_BANDS
from ..metrics.headline import KPIS
from ..metrics.pipeline import WON_DEALS, Amount, amount_of
from ..metrics.stats import SMALL_SAMPLE, Rate, compare_rates

if TYPE_CHECKING:
    from ..analysis.workbook import TeamQuarter

SEVERITY = {"red": 0, "amber": 1}

PAGE_ONE = 5
"""Talking points shown on page one of a report; the rest follow in their own section."""

WIN_RULE = "wins"
"""Rule of the collaborative-wins point, which :func:`rank_points` puts first."""

SEASONAL_WEIGHT = 0.5
"""Weight of a change of a count or an amount against the previous quarter (seasonal)."""

BETTER_WEIGHT = 0.5
"""Weight of a change for the better: good news ranks below what needs action."""


SCORE_RULE = (
    "Talking points are ranked by score = weight × (1 + 3 × gap + 2 × significance + "
    "2 × money), each part between 0 and 1. Gap: how far the figure is from where it should "
    "be (the shortfall against its target, the distance from the median of the other teams, "
    "the share of MQLs left waiting). Significance: the strength of the evidence, "
    "min(1, −log10(p) / 3) for a tested difference (p = 0.001 scores 1), 0 where nothing was "
    "tested. Money: the amount at stake as a share of the quarter's won revenue. Weight: ½ "
    "for a change of a count or an amount against the previous quarter, since such volumes "
    "are seasonal (the same quarter last year is the fair comparison), ½ for a change for "
    "the better, ¼ for both, else 1. The collaborative wins (shared KPIs on target, "
    "significant improvements, agreed actions done) come first, in one point. Page one "
    f"shows the {PAGE_ONE} highest; ties keep the order of the rules."
)
"""The ranking rule as the definitions appendix writes it for readers."""


def _unit(value: float) -> float:
    """``value`` clipped to [0, 1]; NaN and None count as 0."""
    if _nan(value):
        return 0.0
    return min(1.0, max(0.0, float(value)))


def evidence(p_value: float) -> float:
    """Significance part of a score: ``min(1, −log10(p) / 3)``; 0 for a missing p-value.

    Examples
    --------
    >>> evidence(0.001), round(evidence(0.05), 3), evidence(math.nan)
    (1.0, 0.434, 0.0)
    """
    if _nan(p_value) or p_value >= 1:
        return 0.0
    if p_value <= 0:
        return 1.0
    return _unit(-math.log10(p_value) / 3)


class TalkingPoint(str):
    """A talking point: its sentence (it *is* the string) and the parts that rank it.

    Parameters
    ----------
    text : str
        The sentence.
    rule : str
        The rule that made it (``target``, ``change``, ``outlier`` ...).
    gap, significance, money : float
        Parts of the score, each clipped to [0, 1] (see the module docstring).
    weight : float
        1, or :data:`SEASONAL_WEIGHT` for a change of a volume against Q−1.

    Examples
    --------
    >>> p = TalkingPoint("SLA fell.", rule="change", gap=0.5, significance=1.0)
    >>> p == "SLA fell.", p.score
    (True, 4.5)
    """

    rule: str
    gap: float
    significance: float
    money: float
    weight: float

    def __new__(
        cls,
        text: str,
        *,
        rule: str = "",
        gap: float = 0.0,
        significance: float = 0.0,
        money: float = 0.0,
        weight: float = 1.0,
    ) -> TalkingPoint:
        """Make the point; the parts are clipped to [0, 1]."""
        point = super().__new__(cls, text)
        point.rule = rule
        point.gap, point.significance, point.money = _unit(gap), _unit(significance), _unit(money)
        point.weight = float(weight)
        return point

    @property
    def score(self) -> float:
        """``weight × (1 + 3 × gap + 2 × significance + 2 × money)``."""
        return self.weight * (1 + 3 * self.gap + 2 * self.significance + 2 * self.money)


MONEY_KPIS = ("pipeline_created", "won_revenue")
"""KPIs whose gap or change is itself money at stake."""


def _money(amount: float, reference: float) -> float:
    """``amount`` as a share of ``reference`` (the quarter's won revenue), for a score."""
    if _nan(amount) or _nan(reference) or not reference > 0:
        return 0.0
    return _unit(abs(amount) / reference)


def rank_points(points: Sequence[str]) -> list[str]:
    """``points`` highest score first; ties (and plain strings, score 1) keep their order.

    The collaborative-wins point (rule :data:`WIN_RULE`, see :func:`wins_points`) comes first
    whatever its score: the review opens with what both teams achieved.

    Examples
    --------
    >>> rank_points(["a", TalkingPoint("b", gap=1.0), TalkingPoint("c", gap=0.5)])
    ['b', 'c', 'a']
    """
    scores = [getattr(p, "score", 1.0) for p in points]
    wins = [getattr(p, "rule", "") == WIN_RULE for p in points]
    order = sorted(range(len(points)), key=lambda i: (not wins[i], -scores[i]))
    return [points[i] for i in order]


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
    "lead_to_customer": ("leads", "opportunities"),
    "bookings_growth": ("opportunities",),
    "customer_retention": ("revenue",),
    "marketing_roi": ("spend", "opportunities"),
}
VOLUME_KINDS = ("count", "amount")


def _nan(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def figure(value: float, kind: str, currency: str = "") -> str:
    """A figure as the talking points write it: the review's one number format, in full.

    Examples
    --------
    >>> figure(0.612, "rate"), figure(12.25, "hours"), figure(1234.5, "amount", "EUR")
    ('61.2%', '12.2 h', '€1,234')
    """
    return format_value(value, kind, currency)


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
    reference: float = math.nan,
    without_wins: bool = False,
) -> list[TalkingPoint]:
    """Significant changes of rate KPIs and large changes of the others, vs Q−1 and Q−4.

    With ``without_wins``, a significant change of a rate for the better is left out: the
    collaborative-wins point (:func:`wins_points`) names it first.

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
    reference : float
        The quarter's won revenue: a change of pipeline or won revenue scores its size as a
        share of it (``money``); NaN scores no money.

    Returns
    -------
    list of TalkingPoint
        One sentence per firing (KPI, comparison), KPIs in table order, Q−1 before Q−4.
        Scored: gap = the relative change (capped at 1), significance from the test's
        p-value (rates), money for pipeline and won revenue; a change of a count or an
        amount against Q−1 weighs :data:`SEASONAL_WEIGHT` (seasonal volumes), a change for
        the better :data:`BETTER_WEIGHT` (both multiply).
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
            relative = abs(now - before) / before if before > 0 else math.nan
            better = (now > before) == (row["direction"] == "higher")
            weight = BETTER_WEIGHT if better else 1.0
            if kind == "rate":
                if not row[f"significant_{key}"] or (without_wins and better):
                    continue
                points.append(
                    TalkingPoint(
                        f"{row['label']} {verb} from {figure(before, kind)} in {label} to "
                        f"{figure(now, kind)} (significant, {p_text(row[f'p_{key}'])}).",
                        rule="change",
                        gap=1.0 if _nan(relative) else relative,
                        significance=evidence(row[f"p_{key}"]),
                        weight=weight,
                    )
                )
                continue
            if _nan(relative) or relative < min_relative_change:
                continue
            verdict = f"({'better' if better else 'worse'}: {row['direction']} is better)"
            span = f"from {figure(before, kind, currency)} to {figure(now, kind, currency)}"
            if relative > MAX_RELATIVE_CHANGE:
                text = f"{row['label']} {verb} {span} against {label} {verdict}."
            else:
                text = (
                    f"{row['label']} {verb} {figure(relative, 'rate')} against {label}, "
                    f"{span} {verdict}."
                )
            seasonal = key == "previous" and kind in VOLUME_KINDS
            points.append(
                TalkingPoint(
                    text,
                    rule="change",
                    gap=relative,
                    money=_money(now - before, reference) if row["metric"] in MONEY_KPIS else 0,
                    weight=weight * (SEASONAL_WEIGHT if seasonal else 1.0),
                )
            )
    return points


def target_points(
    kpis: pd.DataFrame, *, currency: str = "", so_far: str = "", reference: float = math.nan
) -> list[TalkingPoint]:
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
    reference : float
        The quarter's won revenue, to score the money of a pipeline or revenue gap.

    Returns
    -------
    list of TalkingPoint
        ``"Red against target: <KPI> <actual> vs a target of <target> (attainment 76 %)."``,
        with ``lower is better`` added for such KPIs. Scored: gap = 1 − attainment; money =
        the gap in pipeline or won revenue as a share of ``reference``.
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
        money = 0.0
        if row.get("metric") in MONEY_KPIS:
            money = _money(row["target"] - row["value"], reference)
        points.append(
            TalkingPoint(
                f"{row['rag'].capitalize()} against target{when}: {row['label']} "
                f"{figure(row['value'], kind, currency)} vs a target of "
                f"{figure(row['target'], kind, currency)} "
                f"(attainment {row['attainment']:.0%}{note}).",
                rule="target",
                gap=1 - row["attainment"],
                money=money,
            )
        )
    return points


def untouched_points(
    waiting: pd.DataFrame,
    overdue: int | None = None,
    *,
    over_hours: float = 48,
    when: str = "at quarter end",
    mqls: float = math.nan,
) -> list[TalkingPoint]:
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
    mqls : float
        The quarter's MQLs: the point's gap is the larger of the waiting and the overdue MQLs
        as a share of them (NaN: gap 0).

    Returns
    -------
    list of TalkingPoint
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
    if not parts:
        return []
    gap = max(long_wait, overdue) / mqls if not _nan(mqls) and mqls > 0 else 0.0
    return [TalkingPoint("; ".join(parts) + ".", rule="waiting", gap=gap)]


def rejection_points(
    reasons: pd.DataFrame, *, min_share: float = 0.25, min_count: int = 5
) -> list[TalkingPoint]:
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
        TalkingPoint(
            f"“{top['reason']}” was the top rejection reason: {int(top['count']):,} of "
            f"{total:,} rejected MQLs ({figure(share, 'rate')}); agree with marketing how to "
            "screen it out.",
            rule="rejection",
            gap=share,
        )
    ]


def pipeline_share_points(
    pipeline: pd.DataFrame, target: float = math.nan, *, currency: str = ""
) -> list[TalkingPoint]:
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
    gap = 0.0
    if not _nan(target):
        where = "below" if share < target else "at or above"
        text += f", {where} its target of {figure(target, 'rate')}"
        gap = (target - share) / target if target > 0 else 0.0
    return [TalkingPoint(text + ".", rule="pipeline_share", gap=gap)]


def alignment_points(index: AlignmentIndex) -> list[TalkingPoint]:
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
        TalkingPoint(
            f"The alignment index is {index.value:.1f}/100; {worst['label']} costs it the "
            f"most: a score of {figure(worst['score'], 'rate')} at a weight of "
            f"{figure(worst['weight'], 'rate')} loses {lost.max():.1f} points.",
            rule="alignment",
            gap=1 - worst["score"],
        )
    ]


def feedback_points(
    summary: Mapping | None, *, min_coverage: float = 0.5, low_rating: float = 3.0
) -> list[TalkingPoint]:
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
    gap = max(
        (min_coverage - coverage.value) / min_coverage if thin else 0.0,
        (low_rating - mean) / low_rating if poor else 0.0,
    )
    return [
        TalkingPoint(
            f"Sales gave feedback on {figure(coverage.value, 'rate')} of the MQLs "
            f"({coverage.numerator:,} of {coverage.denominator:,}), {rated}.",
            rule="feedback",
            gap=gap,
        )
    ]


def coverage_points(
    untracked: Sequence[str], not_supplied: Sequence[str] = ()
) -> list[TalkingPoint]:
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
        text = (
            f"This data has {absent_phrase(untracked, not_supplied)}, so the sections that "
            "need it say so rather than show 0; add that export to measure them."
        )
    else:
        text = (
            f"This data has {absent_phrase(untracked)}, so the figures that need them are left "
            "out rather than shown as 0; agree how the CRM export will record those stages."
        )
    return [TalkingPoint(text, rule="coverage")]


def outlier_team_points(
    long: pd.DataFrame,
    names: Mapping[str, str] | None = None,
    *,
    z: float = OUTLIER_Z,
    min_teams: int = 4,
    currency: str = "",
) -> list[TalkingPoint]:
    """Teams that stand out, for the worse, from the other teams on a rate or hours KPI.

    For each team and KPI the other teams' median and median absolute deviation (MAD) give a
    robust z-score, ``z = (value − median) / (1.4826 × MAD)``. A team is an outlier on the KPI
    when ``|z| ≥ z`` on the worse side (direction-aware) and, for a rate, its difference from
    the other teams pooled is significant (two-proportion or Fisher's exact test). Counts and
    amounts are left out: they grow with the size of a team, not with how well it works.

    Parameters
    ----------
    long : DataFrame
        :func:`helpers.analysis.comparison.compare_teams`: team, metric, label, direction,
        kind, value, numerator, denominator.
    names : dict, optional
        Team id to name.
    z : float
        Robust z-score that makes an outlier (:data:`OUTLIER_Z`).
    min_teams : int
        KPIs with fewer teams that have a value are skipped.
    currency : str
        Written before amounts.

    Returns
    -------
    list of TalkingPoint
        One sentence per outlying team, its KPIs furthest out first (at most three named).
        Scored: gap = the largest ``|value − median| / |median|``, significance from the
        smallest p-value (normal p of the robust z, or the test's for a rate if larger).
    """
    names = dict(names or {})
    found: dict[str, list[tuple[float, float, float, str]]] = {}
    for row in team_outliers(long, z=z, min_teams=min_teams).to_dict("records"):
        text = (
            f"{row['label']} {figure(row['value'], row['kind'], currency)} against a median "
            f"of {figure(row['median'], row['kind'], currency)} for the other teams"
        )
        hit = (abs(row["robust_z"]), row["gap"], row["p_value"], text)
        found.setdefault(str(row["team"]), []).append(hit)
    teams = long["team"].nunique()
    points = []
    for team, hits in found.items():
        hits.sort(key=lambda hit: -hit[0])
        named = "; ".join(hit[3] for hit in hits[:3])
        points.append(
            TalkingPoint(
                f"{names.get(team, team)} stands out from the other {teams - 1} teams: {named}.",
                rule="outlier",
                gap=max(hit[1] for hit in hits),
                significance=evidence(min(hit[2] for hit in hits)),
            )
        )
    return points


def _worst_channel(channels: pd.DataFrame, min_base: int) -> tuple | None:
    """(gap, row, its Rate, the others' Rate, p-value) of the worst channel, else None."""
    if channels.empty:
        return None
    total_accepted, total_decided = channels["accepted"].sum(), channels["decided"].sum()
    worst = None
    for row in channels.to_dict("records"):
        if row["decided"] < min_base or total_decided - row["decided"] < min_base:
            continue
        mine = Rate(int(row["accepted"]), int(row["decided"]))
        rest = Rate(int(total_accepted - row["accepted"]), int(total_decided - row["decided"]))
        change = compare_rates(rest, mine)
        if not change.significant or mine.value >= rest.value:
            continue
        gap = (rest.value - mine.value) / rest.value
        if worst is None or gap > worst[0]:
            worst = (gap, row, mine, rest, change.p_value)
    return worst


def low_quality_channel(view: TeamQuarter, *, min_base: int = MIN_BASE) -> str | None:
    """The channel :func:`channel_quality_points` names (lowest MQL acceptance, significant).

    The charts that show only the top channels keep this one (it is never cut).
    """
    channels = view.channel_quality()
    worst = None if channels is None else _worst_channel(channels, min_base)
    return None if worst is None else str(worst[1]["channel"])


def channel_quality_points(
    channels: pd.DataFrame, *, reference: float = math.nan, min_base: int = MIN_BASE
) -> list[TalkingPoint]:
    """The channel whose MQLs sales accepts least, when it is significantly below the others.

    Each channel with at least ``min_base`` decisions (the others pooled too) is compared with
    the other channels pooled (two-proportion or Fisher's exact test); of those significantly
    below, the one furthest below is named, with its share of the quarter's leads.

    Parameters
    ----------
    channels : DataFrame
        :meth:`TeamQuarter.channel_quality`: channel, leads, accepted, decided, spend.
    reference : float
        The quarter's won revenue: the channel's spend as a share of it is the point's money.
    min_base : int
        Decisions a channel needs (:data:`MIN_BASE`).

    Returns
    -------
    list of TalkingPoint
        At most one sentence. Scored: gap = the relative shortfall of the channel's
        acceptance against the others', significance from the test, money from its spend.
    """
    if channels.empty:
        return []
    total_leads = channels["leads"].sum()
    worst = _worst_channel(channels, min_base)
    if worst is None:
        return []
    gap, row, mine, rest, p_value = worst
    share = row["leads"] / total_leads if total_leads else math.nan
    return [
        TalkingPoint(
            f"{row['channel']} brought {figure(share, 'rate')} of the quarter's leads "
            f"({int(row['leads']):,} of {int(total_leads):,}), but sales accepted only "
            f"{figure(mine.value, 'rate')} of its MQLs ({mine.numerator:,} of "
            f"{mine.denominator:,}) against {figure(rest.value, 'rate')} for the other "
            f"channels ({p_text(p_value)}); review its targeting together.",
            rule="channel",
            gap=gap,
            significance=evidence(p_value),
            money=_money(row.get("spend", math.nan), reference),
        )
    ]


def wins_points(
    kpis: pd.DataFrame,
    *,
    currency: str = "",
    previous_label: str = "Q−1",
    year_label: str = "Q−4",
    so_far: str = "",
    review: pd.DataFrame | None = None,
    min_base: int = MIN_BASE,
) -> list[TalkingPoint]:
    """The collaborative wins, in one point that the ranking puts first (or none).

    What sales and marketing achieved together: the shared KPIs on or above their target
    (green), the rate KPIs whose change for the better against Q−1 or Q−4 passed the
    report's significance test (with both quarters resting on at least ``min_base``
    observations, as for :func:`kpi_change_points`), and the agreed actions of the last
    review that are done. An unfinished quarter (``so_far``) names rates and hours on target
    ``so far`` and no change or volume (as :func:`target_points` and the change rule do).

    Parameters
    ----------
    kpis : DataFrame
        :meth:`TeamQuarter.kpis` with bases (:func:`with_bases`).
    currency, previous_label, year_label, so_far, min_base
        As for :func:`target_points` and :func:`kpi_change_points`.
    review : DataFrame, optional
        :meth:`TeamQuarter.agreed_actions`.

    Returns
    -------
    list of TalkingPoint
        ``"Collaborative wins. On target: SLA compliance 92.0% (target 85.0%). Significant
        improvements: MQL → SQL from 20.1% in 2026Q2 to 25.3% (p=0.003). Agreed actions
        done: "One written MQL definition"."``; its rule is :data:`WIN_RULE`.
    """
    hit = [
        f"{r['label']} {figure(r['value'], r['kind'], currency)} (target "
        f"{figure(r['target'], r['kind'], currency)})"
        for r in kpis.to_dict("records")
        if r["rag"] == "green" and not (so_far and r["kind"] in VOLUME_KINDS)
    ]
    improved = []
    for row in [] if so_far else kpis.to_dict("records"):
        for key, label in (("previous", previous_label), ("year", year_label)):
            before, now = row[key], row["value"]
            if row["kind"] != "rate" or _nan(before) or _nan(now) or before == now:
                continue
            better = (now > before) == (row["direction"] == "higher")
            carried = carries(row.get("base"), row.get(f"base_{key}"), min_base=min_base)
            if better and carried and row[f"significant_{key}"]:
                improved.append(
                    f"{row['label']} from {figure(before, 'rate')} in {label} to "
                    f"{figure(now, 'rate')} ({p_text(row[f'p_{key}'])})"
                )
    done = (
        []
        if review is None or not len(review)
        else [f'"{a}"' for a in review.loc[review["status"] == "done", "action"]]
    )
    parts = [
        f"on target{' ' + so_far if so_far else ''}: {', '.join(hit)}" if hit else "",
        f"significant improvements: {'; '.join(improved)}" if improved else "",
        f"agreed actions done: {', '.join(done)}" if done else "",
    ]
    parts = [p for p in parts if p]
    if not parts:
        return []
    text = "Collaborative wins. " + ". ".join(p[0].upper() + p[1:] for p in parts) + "."
    return [TalkingPoint(text, rule=WIN_RULE)]


def action_points(review: pd.DataFrame | None, *, currency: str = "") -> list[TalkingPoint]:
    """One point per agreed action that is overdue: what, who, when agreed and due, its KPI.

    ``review`` is :meth:`TeamQuarter.agreed_actions` (None: no actions table). The KPI's move
    since the review is cited as the actions section shows it (significance for rates).
    Ranking: an overdue action is a full gap (1: what was agreed is not done), with the
    evidence of its KPI's move when that move is for the worse.

    Examples
    --------
    >>> review = pd.DataFrame([{"action": "Call MQLs in 4 h", "owner": "SDR lead",
    ...     "quarter_agreed": "2026Q2", "due_quarter": "2026Q2", "overdue": True, "kpi": None}])
    >>> action_points(review)
    ['Agreed action overdue: "Call MQLs in 4 h" (owner SDR lead, agreed at the 2026Q2 review, due 2026Q2) is still open.']
    """  # noqa: E501
    if review is None or not len(review):
        return []
    points = []
    for row in review[review["overdue"].astype(bool)].to_dict("records"):
        point = (
            f'Agreed action overdue: "{row["action"]}" (owner {row["owner"]}, agreed at the '
            f"{row['quarter_agreed']} review, due {row['due_quarter']}) is still open"
        )
        moved = action_movement(row, currency=currency)
        worse = str(row.get("moved") or "").startswith("worse")
        points.append(
            TalkingPoint(
                point + (f"; {moved}." if moved else "."),
                rule="action",
                gap=1.0,
                significance=evidence(row.get("p_value", math.nan)) if worse else 0.0,
            )
        )
    return points


def action_movement(row: Mapping, *, currency: str = "") -> str:
    """How an action's KPI moved since its review, in words with its figures (or ``""``).

    E.g. ``"SLA compliance went from 84.0% to 61.0% since 2026Q2 (worse, significant,
    p=0.003)"``; ``"MQLs: not in this data"``; ``""`` for an action without a KPI.
    """
    if not row.get("kpi") or not row.get("moved"):
        return ""
    label = row.get("kpi_label") or row["kpi"]
    if _nan(row.get("then")) or _nan(row.get("now")):
        return f"{label}: {row['moved']}"
    kind = row.get("kind") or "count"
    p = row.get("p_value")
    test = "" if _nan(p) else f", {p_text(float(p))}"
    return (
        f"{label} went from {figure(row['then'], kind, currency)} to "
        f"{figure(row['now'], kind, currency)} since {row['quarter_agreed']} "
        f"({row['moved']}{test})"
    )


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
    created, deals won); CAC: new customers; lead → customer: leads created; bookings growth:
    the won deals with an amount; marketing ROI: the marketing-sourced ones among them. A KPI
    whose table stopped before the quarter ended (:func:`tables_cut_off`), or that the data
    set cannot measure, has NaN (no base), never 0.
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
    # The scorecard: leads created; the won deals with an amount (bookings); the marketing-
    # sourced ones among them when spend is known (ROI); retention is a Rate (its accounts).
    bases["lead_to_customer"] = view.roll_up_base("lead_to_customer")
    bases["bookings_growth"] = bases.get("won_revenue", math.nan)
    marketing = amount_of(view.won_revenue(), "marketing", WON_DEALS)
    bases["marketing_roi"] = float(marketing.counted) if view.has("spend") else math.nan
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


def talking_points(view: TeamQuarter, *, kpis: pd.DataFrame | None = None) -> list[TalkingPoint]:
    """Every rule of this module on one team and quarter, in review order.

    Order: alignment index, overdue agreed actions, KPIs off target, significant changes,
    untouched MQLs, top rejection reason, lead-quality feedback, marketing-sourced pipeline
    share, stages the data set does not record. A rule that needs a stage the data set never
    records does not fire (no conclusion is drawn from an absent stage). Changes need enough
    observations on both sides and no table cut off (:func:`with_bases`); an unfinished
    quarter (``view.complete`` false) gets no change points, no volume against target, and says
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
    reference = _won_revenue(view)
    mqls = view.kpi_values().get("mqls", math.nan)
    untracked = [
        *(e for e in CANONICAL_EVENTS if e not in dataset.tracked_events),
        *(o for o in OUTCOMES if o not in dataset.tracked_outcomes),
    ]
    review = view.agreed_actions()
    based = with_bases(view, kpis) if complete else kpis
    labels = {
        "previous_label": str(view.quarter.shift(-1)),
        "year_label": str(view.quarter.shift(-4)),
    }
    return [
        *wins_points(based, currency=currency, so_far=so_far, review=review, **labels),
        *alignment_points(view.alignment_index()),
        *action_points(review, currency=currency),
        *target_points(kpis, currency=currency, so_far=so_far, reference=reference),
        *(
            kpi_change_points(
                based, currency=currency, reference=reference, without_wins=True, **labels
            )
            if complete
            else []
        ),
        *(
            untouched_points(waiting, speed["untouched_overdue"], when=waited, mqls=mqls)
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


def _won_revenue(view: TeamQuarter) -> float:
    """The quarter's won revenue (the money reference of the scores); NaN when unknown."""
    won = view.kpi_values().get("won_revenue", math.nan)
    won = getattr(won, "value", won)
    return math.nan if _nan(won) else float(won)


def company_points(
    view: TeamQuarter, teams_long: pd.DataFrame, names: Mapping[str, str] | None = None
) -> list[TalkingPoint]:
    """The company report's two extra rules: the outlier team and the low-quality channel.

    Parameters
    ----------
    view : TeamQuarter
        The company (``all``) view.
    teams_long : DataFrame
        :func:`helpers.analysis.comparison.compare_teams` of the quarter.
    names : dict, optional
        Team id to name.
    """
    channels = view.channel_quality()
    return [
        *outlier_team_points(teams_long, names, currency=view.workbook.dataset.config.currency),
        *(
            []
            if channels is None
            else channel_quality_points(channels, reference=_won_revenue(view))
        ),
    ]


def ranked_talking_points(
    view: TeamQuarter,
    *,
    kpis: pd.DataFrame | None = None,
    teams_long: pd.DataFrame | None = None,
    names: Mapping[str, str] | None = None,
) -> list[TalkingPoint]:
    """Every talking point of ``view``, highest score first (see :data:`SCORE_RULE`).

    The company report passes ``teams_long`` (and ``names``) to add :func:`company_points`.
    """
    points = talking_points(view, kpis=kpis)
    if teams_long is not None:
        points += company_points(view, teams_long, names)
    return rank_points(points)
