"""The definitions appendix: every metric a report shows, with its formula and direction.

One curated table, :data:`DEFINITIONS`, is the single place where a report's formulas are
written for readers; each entry names the function that computes the metric (``source``), and
the tests check that the function exists and that every headline KPI has an entry. For the
headline KPIs the label, direction and kind come from :data:`helpers.metrics.headline.KPIS`, so they
are not written twice.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

DIRECTIONS = ("higher", "lower", "n/a")


@dataclass(frozen=True)
class Definition:
    """One metric of the appendix.

    Attributes
    ----------
    metric : str
        Name (the KPI name for headline KPIs).
    section : str
        Report section where it is shown.
    formula : str
        The formula in words and symbols, as in the computing function's docstring.
    source : str
        Dotted path of the function that computes it (``helpers.metrics.funnel.mql_to_sql``).
    label, direction, kind : str
        Display name, ``higher``/``lower`` (is better) or ``n/a``, and ``rate``, ``count``,
        ``hours``, ``amount``, ``days``, ``ratio`` or ``score``; empty for headline KPIs,
        whose values come from :data:`helpers.analysis.workbook.KPIS`.
    """

    metric: str
    section: str
    formula: str
    source: str
    label: str = ""
    direction: str = ""
    kind: str = ""


_F = "helpers.metrics.funnel."
_H = "helpers.metrics.handoff."
_P = "helpers.metrics.pipeline."
_E = "helpers.metrics.efficiency."
_G = "helpers.metrics.growth."
_GO = "helpers.metrics.goals."
_S = "helpers.prediction.score_audit."

DEFINITIONS: tuple[Definition, ...] = (
    # --- headline ------------------------------------------------------------------------
    Definition(
        "alignment_index",
        "Headline",
        "100 × Σ wᵢ · scoreᵢ over the available components (SLA compliance, MQL acceptance, "
        "feedback coverage, MQL→SQL, marketing-sourced pipeline share); scoreᵢ = "
        "min(raw / target, 1) when the component has a target (the metric of its name, as "
        "for the KPI tiles), else raw; weights from workbook.toml, renormalised over the "
        "available components; change = index − index of Q−1, each scored on its own targets",
        _GO + "alignment_index",
        "Alignment index",
        "higher",
        "score",
    ),
    Definition(
        "rag_status",
        "Headline",
        "attainment = actual / target (target / actual when lower is better); green if "
        "attainment ≥ rag.green (default 1.0), amber if ≥ rag.amber (default 0.9), else red",
        _GO + "rag_status",
        "RAG status vs target",
        "n/a",
        "ratio",
    ),
    Definition(
        "company_targets",
        "Headline",
        "the company's (all) target of a KPI is its own row (team all), else the all-teams row "
        "(*), else rolled up from every team's target (none if a team has none), so that the "
        "company is on target when every team is exactly on its own: volumes (MQLs, pipeline, "
        "won revenue, won deals) summed, Σ targetₜ; rates and ratios (SLA compliance, "
        "acceptance, MQL→SQL, win rate, CAC, feedback coverage, pipeline share) weighted by "
        "each team's actual base in the quarter, Σ targetₜ × baseₜ / Σ baseₜ (the numerators "
        "the targets imply, summed, over the summed bases; the base is the rate's denominator, "
        "new customers for CAC, pipeline created for the share); medians (speed to lead) the "
        "least demanding team target, which the company meets whenever every team meets its own",
        _GO + "roll_up_target",
        "Company targets rolled up from team targets",
        "n/a",
        "ratio",
    ),
    Definition(
        "mqls",
        "Headline",
        "distinct leads with an mql event in the quarter",
        _F + "stage_volumes",
    ),
    Definition(
        "sla_compliance",
        "Headline",
        "MQLs touched within their SLA (business hours) / MQLs whose SLA window has closed "
        "(touched, or untouched for longer than the SLA)",
        _H + "speed_to_lead",
    ),
    Definition(
        "speed_to_lead_hours",
        "Headline",
        "median business hours from each MQL of the quarter to the first touch that answered "
        "it (the clock stops outside business hours, at weekends and on holidays)",
        _H + "speed_to_lead",
    ),
    Definition(
        "mql_acceptance",
        "Headline",
        "accepted / (accepted + rejected), decisions on MQLs made in the quarter",
        _F + "mql_acceptance",
    ),
    Definition(
        "mql_to_sql",
        "Headline",
        "leads that became MQL in the quarter and SQL at or after it (by the as-of date) / "
        "leads that became MQL in the quarter",
        _F + "mql_to_sql",
    ),
    Definition(
        "pipeline_created",
        "Headline",
        "sum of the amounts of the opportunities created in the quarter that have one; not in "
        "this data when none has an amount, else from k of n opportunities (see "
        "missing_amounts)",
        _P + "pipeline_created",
    ),
    Definition(
        "won_revenue",
        "Headline",
        "sum of the amounts of the opportunities won and closed in the quarter that have one; "
        "not in this data when none has an amount, else from k of n won deals (see "
        "missing_amounts)",
        _P + "won_revenue",
    ),
    Definition(
        "won_deals",
        "Headline",
        "opportunities won and closed in the quarter, with or without an amount",
        _P + "won_deals",
    ),
    Definition(
        "win_rate",
        "Headline",
        "won / (won + lost), opportunities closed in the quarter",
        _P + "win_rate",
    ),
    Definition(
        "cac",
        "Headline",
        "(marketing spend + sales spend of the quarter) / new customers won in the quarter",
        _E + "cac",
    ),
    Definition(
        "lead_to_customer",
        "Headline",
        "leads won in the quarter (distinct leads of the opportunities won and closed in it) / "
        "leads created in the quarter; a period ratio of the quarter's flows, no interval",
        "helpers.metrics.scorecard.lead_to_customer",
    ),
    Definition(
        "bookings_growth",
        "Headline",
        "(bookings − bookings of the same quarter last year) / bookings of that quarter (the "
        "growth section also shows it against Q−1); bookings = won revenue of the won deals "
        "with an amount (not in this data when none has one)",
        _G + "bookings_growth",
    ),
    Definition(
        "customer_retention",
        "Headline",
        "logo retention: accounts paying in the month before the quarter that still pay in "
        "its last month / accounts paying in the month before the quarter",
        _G + "logo_retention",
    ),
    Definition(
        "marketing_roi",
        "Headline",
        "(marketing-sourced won revenue − marketing spend) / marketing spend, by channel; "
        "marketing spend without the partner fees (spend on channels whose leads are mostly "
        "partner-sourced), which are set against partner-sourced revenue in partner ROI; won "
        "revenue over the won deals with an amount (not in this data when none has one)",
        _E + "marketing_roi",
    ),
    Definition(
        "relative_targets",
        "Headline",
        "a target is absolute, or relative (targets.basis vs_previous_quarter or "
        "vs_same_quarter_last_year): a change against the metric's value in Q−1 or Q−4 (the "
        "baseline); implied target = baseline × (1 + change), e.g. +0.20 = 20 % above, −0.15 "
        "= 15 % below; capped at 100 % for a share; none when the baseline is not in this data "
        "or is 0 or below; attainment and RAG as for an absolute target",
        _GO + "implied_target",
        "Relative targets",
        "n/a",
        "ratio",
    ),
    # --- funnel --------------------------------------------------------------------------
    Definition(
        "period_ratio",
        "Funnel",
        "volume of a stage in the quarter / volume of the stage above in the quarter (a "
        "ratio of volumes, not a conversion rate)",
        _F + "period_funnel",
        "Period funnel ratio",
        "higher",
        "ratio",
    ),
    Definition(
        "cohort_conversion",
        "Funnel",
        "next step: leads of the cohort that reached a stage / leads that reached the stage "
        "before; cumulative: reached the stage / leads created in the quarter",
        _F + "cohort_funnel",
        "Cohort conversion (next step, cumulative)",
        "higher",
        "rate",
    ),
    Definition(
        "cohort_maturity",
        "Funnel",
        "a cohort (leads created in the quarter) is read only from [cohorts] min_age_days "
        "(default 30) days after its quarter ended, at the as-of date; a younger cohort is "
        "labelled immature, its leads having had no time to convert",
        "helpers.metrics.counts.cohort_maturity",
        "Cohort maturity",
        "n/a",
        "days",
    ),
    Definition(
        "mql_counts",
        "Funnel",
        "MQLs (period) = distinct leads with an MQL in the quarter; MQL events = every MQL "
        "event (a lead qualified again after recycling counts again); SLA base = MQL events "
        "whose SLA window closed; MQLs answered = MQL events with a first touch; cohort MQLs "
        "= leads created in the quarter that became MQL by the as-of date (= period MQLs − "
        "those created before the quarter + cohort leads qualified after it)",
        "helpers.metrics.counts.mql_count_table",
        "Counts of MQLs",
        "n/a",
        "count",
    ),
    Definition(
        "stage_velocity",
        "Funnel",
        "median (and P90) days between consecutive stages, for leads reaching the later "
        "stage in the quarter",
        _F + "stage_velocity",
        "Stage velocity",
        "lower",
        "days",
    ),
    # --- hand-off ------------------------------------------------------------------------
    Definition(
        "speed_to_lead_p90",
        "Hand-off",
        "90th percentile of the business hours from MQL to first touch",
        _H + "speed_to_lead",
        "Speed to lead, P90",
        "lower",
        "hours",
    ),
    Definition(
        "untouched_mqls",
        "Hand-off",
        "latest MQL of a lead before quarter end with no touch, acceptance, rejection, "
        "recycle or SQL after it, by business hours waited; only MQLs of the quarter and of "
        "the [backlog] window_business_days (default 10) business days before it, older ones "
        "never answered counted apart as leads never worked",
        _H + "untouched_by_age",
        "MQLs waiting at quarter end",
        "lower",
        "count",
    ),
    Definition(
        "reason_share",
        "Hand-off",
        "rejections (or recycles) in the quarter giving a reason / all of them; Pareto order",
        _F + "reason_pareto",
        "Rejection and recycle reasons",
        "n/a",
        "rate",
    ),
    Definition(
        "feedback_coverage",
        "Hand-off",
        "MQLs of the quarter with at least one sales feedback row / MQLs of the quarter",
        _H + "feedback_summary",
        "Feedback coverage",
        "higher",
        "rate",
    ),
    Definition(
        "mean_feedback_rating",
        "Hand-off",
        "mean rating (1–5) of the sales feedback on the quarter's MQLs",
        _H + "feedback_summary",
        "Mean feedback rating",
        "higher",
        "score",
    ),
    # --- pipeline and revenue ------------------------------------------------------------
    Definition(
        "marketing_pipeline_share",
        "Pipeline and revenue",
        "pipeline created by marketing-sourced opportunities / all pipeline created, over the "
        "opportunities with an amount",
        _P + "marketing_sourced_share",
        "Marketing-sourced pipeline share",
        "higher",
        "rate",
    ),
    Definition(
        "average_deal_size",
        "Pipeline and revenue",
        "mean amount of the opportunities won and closed in the quarter that have one",
        _P + "average_deal_size",
        "Average deal size",
        "higher",
        "amount",
    ),
    Definition(
        "sales_cycle_days",
        "Pipeline and revenue",
        "median days from created to closed, opportunities won in the quarter",
        _P + "sales_cycle_days",
        "Sales cycle",
        "lower",
        "days",
    ),
    Definition(
        "sales_velocity",
        "Pipeline and revenue",
        "open opportunities at quarter end × win rate × average deal size / sales cycle days "
        "(not in this data when no won deal has an amount)",
        _P + "sales_velocity",
        "Sales velocity (per day)",
        "higher",
        "amount",
    ),
    Definition(
        "missing_amounts",
        "Pipeline and revenue",
        "a deal without an amount is unknown, never 0: a sum or mean of amounts over a base of "
        "deals is not in this data when no deal of the base has an amount, and is computed on "
        "the deals that have one when only some lack it, shown as 'from k of n; m without an "
        "amount'; counts (opportunities, won deals, win rate, sales cycle, CAC) need no amount",
        _P + "amount_of",
        "Opportunities without an amount",
        "n/a",
        "count",
    ),
    Definition(
        "attribution",
        "Pipeline and revenue",
        "each opportunity's amount split over its lead's touches before it was created: first "
        "touch 100 % to the first; last touch 100 % to the last; linear 1/n each; U-shaped "
        "40 % first, 40 % last, 20 % spread between; W-shaped 30 % each to the first, "
        "lead-creation and last touch, 10 % spread over the others; time decay weights "
        "2^(−days before the latest touch / half-life), normalised",
        "helpers.metrics.attribution.attribute",
        "Multi-touch attribution",
        "n/a",
        "amount",
    ),
    Definition(
        "quarter_forecast",
        "Pipeline and revenue",
        "won revenue (and won deals) of a quarter as P10 / P50 / P90 of 10,000 Monte Carlo "
        "draws (fixed seed) of: won so far + open deals that win before the quarter ends, each "
        "with p(a) = won(a) / open(a) over the team's deals created at least a + H days before "
        "the as-of day (a = the deal's age in days, H = days left; open(a) still open at age "
        "a, won(a) won before age a + H) + new deals won within the quarter, negative binomial "
        "with mean creation rate × in-quarter win share × H from the same part of the last 4 "
        "complete quarters, sized from those wins' amounts; only data known on the as-of day",
        "helpers.prediction.forecast.forecast_quarter",
        "Quarter forecast",
        "n/a",
        "amount",
    ),
    Definition(
        "forecast_coverage",
        "Pipeline and revenue",
        "backtest: the forecast made on the same day of each earlier quarter from the data "
        "known then; coverage = quarters with P10 ≤ actual ≤ P90 / quarters tested (about 80 % "
        "when calibrated); error of the median = median |P50 − actual| / actual",
        "helpers.prediction.forecast.coverage",
        "Forecast coverage (80 % interval)",
        "n/a",
        "rate",
    ),
    # --- efficiency ----------------------------------------------------------------------
    Definition(
        "cost_per_lead",
        "Efficiency",
        "marketing spend of the quarter's months / leads created in the quarter, by channel",
        _E + "cost_per_lead",
        "Cost per lead",
        "lower",
        "amount",
    ),
    Definition(
        "cost_per_mql",
        "Efficiency",
        "marketing spend / distinct leads with an MQL event in the quarter, by channel",
        _E + "cost_per_mql",
        "Cost per MQL",
        "lower",
        "amount",
    ),
    Definition(
        "marketing_cac",
        "Efficiency",
        "marketing spend / marketing-sourced new customers won in the quarter",
        _E + "cac",
        "Marketing-only CAC",
        "lower",
        "amount",
    ),
    Definition(
        "partner_roi",
        "Efficiency",
        "(partner-sourced won revenue − partner fees) / partner fees; partner fees are the "
        "marketing-category spend on partner channels (channels whose leads are mostly "
        "partner-sourced)",
        _E + "roi_by_source",
        "Partner ROI",
        "higher",
        "ratio",
    ),
    # --- growth and retention ------------------------------------------------------------
    Definition(
        "logo_retention",
        "Growth and retention",
        "accounts paying in the opening month that still pay in the closing month / accounts "
        "paying in the opening month (opening = month before the quarter, closing = its last)",
        _G + "logo_retention",
        "Logo retention",
        "higher",
        "rate",
    ),
    Definition(
        "gross_revenue_retention",
        "Growth and retention",
        "Σ min(closing MRR, opening MRR) / Σ opening MRR of the starting accounts",
        _G + "revenue_retention",
        "Gross revenue retention",
        "higher",
        "rate",
    ),
    Definition(
        "net_revenue_retention",
        "Growth and retention",
        "Σ closing MRR / Σ opening MRR of the starting accounts (expansion counts, new "
        "accounts do not)",
        _G + "revenue_retention",
        "Net revenue retention",
        "higher",
        "rate",
    ),
    # --- lead scoring --------------------------------------------------------------------
    Definition(
        "score_auc",
        "Lead scoring",
        "ROC AUC of the lead score for the quarter's cohort (leads created in it, outcome SQL "
        "or won by the as-of date): (1/mn) Σ_i Σ_j ψ(X_i, Y_j), ψ = 1 if the converted lead's "
        "score X_i beats the other's Y_j, ½ on a tie; 95 % DeLong interval AUC ± 1.96·√(S10/m + "
        "S01/n) from the placement values; 0.5 = no better than chance",
        _S + "auc_interval",
        "Lead score AUC",
        "higher",
        "ratio",
    ),
    Definition(
        "score_lift",
        "Lead scoring",
        "score deciles by average rank from the top (decile = ceil(10·r/N), ties together); "
        "lift = decile conversion / cohort conversion; cumulative gains = converted leads in "
        "deciles 1…d / all converted leads",
        _S + "decile_table",
        "Lift and cumulative gains",
        "higher",
        "ratio",
    ),
    Definition(
        "score_calibration",
        "Lead scoring",
        "only for scores in [0, 1]: observed conversion per 0.1-wide bin against the bin's "
        "mean score, Brier score = (1/N) Σ (p_i − y_i)² (0 = perfect); other scores: conversion "
        "by decile",
        _S + "reliability_table",
        "Calibration (Brier score)",
        "lower",
        "ratio",
    ),
    Definition(
        "high_score_mqls",
        "Lead scoring",
        "the cohort's MQLs in the top score decile: share with a rejected event, and share "
        "with no first_touch, accepted, rejected or sql event by the as-of date",
        _S + "audit_lead_score",
        "High-score MQLs rejected or never touched",
        "lower",
        "rate",
    ),
    Definition(
        "lead_model",
        "Lead scoring",
        "chance of an SQL within 30 days of creation, scored 7 days after creation from the "
        "lead's attributes, channel, campaign, team, touches and hours to MQL and to first "
        "touch before then (gradient boosting, scikit-learn); judged out of time: trained on "
        "leads whose outcome was known when the quarter began, beside the CRM score on the "
        "same leads; drivers = drop in AUC when a feature is shuffled",
        "helpers.prediction.lead_model.evaluate_lead_model",
        "Trained lead model",
        "higher",
        "score",
    ),
    # --- statistics ----------------------------------------------------------------------
    Definition(
        "wilson_interval",
        "Statistics",
        "95 % Wilson score interval of k successes in n: (p + z²/2n ± z·√(p(1−p)/n + "
        "z²/4n²)) / (1 + z²/n), z = 1.96; fewer than 30 observations are flagged",
        "helpers.metrics.stats.wilson_interval",
        "Confidence interval of a rate",
        "n/a",
        "rate",
    ),
    Definition(
        "significance",
        "Statistics",
        "change vs Q−1 / Q−4 significant when p < 0.05: pooled two-proportion z-test, "
        "Fisher's exact test when an expected cell count is below 5",
        "helpers.metrics.stats.compare_rates",
        "Significance of a change",
        "n/a",
        "ratio",
    ),
)


def _kpis() -> dict[str, tuple[str, str, str]]:
    from .headline import KPIS

    return KPIS


def resolve(definition: Definition) -> Definition:
    """``definition`` with the label, direction and kind of a headline KPI filled in."""
    kpis = _kpis()
    if definition.metric in kpis and not definition.label:
        label, direction, kind = kpis[definition.metric]
        return Definition(
            definition.metric,
            definition.section,
            definition.formula,
            definition.source,
            label,
            direction,
            kind,
        )
    return definition


def source_function(definition: Definition):
    """The function ``definition.source`` names (imported)."""
    module, _, name = definition.source.rpartition(".")
    return getattr(importlib.import_module(module), name)


def definitions(sections: Iterable[str] | None = None) -> pd.DataFrame:
    """The definitions appendix as a table.

    Parameters
    ----------
    sections : iterable of str, optional
        Keep only these report sections (``"Headline"``, ``"Funnel"``, ...); all by default.

    Returns
    -------
    DataFrame
        Columns section, metric, label, formula, direction (``higher``/``lower`` is better,
        or ``n/a``), computed_by (the function, without the ``helpers.`` prefix); in report
        order.
    """
    wanted = None if sections is None else set(sections)
    rows = []
    for definition in map(resolve, DEFINITIONS):
        if wanted is not None and definition.section not in wanted:
            continue
        rows.append(
            {
                "section": definition.section,
                "metric": definition.metric,
                "label": definition.label,
                "formula": definition.formula,
                "direction": definition.direction,
                "computed_by": definition.source.removeprefix("helpers."),
            }
        )
    columns = ["section", "metric", "label", "formula", "direction", "computed_by"]
    return pd.DataFrame(rows, columns=columns)
