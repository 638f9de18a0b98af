"""The calibration exercise's data: the leads to rate, the stored items, the thresholds.

Pure computations on the data set (a :class:`helpers.analysis.workbook.Workbook`): no widget,
no answer store.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...data.periods import quarter_labels
from ...errors import WorkbookError

EXERCISE = "calibration"
TITLE = "Lead-qualification calibration"
QUESTIONS = {
    "mql": "Is this a marketing-qualified lead (MQL)?",
    "sql": "Would you accept it as a sales-qualified lead (SQL)?",
    "call": "Would you call this lead today?",
}
SHORT = {"mql": "MQL?", "sql": "SQL?", "call": "Call?"}  # widget descriptions and table headers
ANSWERS = ("yes", "no")
# Lead attributes shown in the rating form, in this order, when the data has them. The score
# is deliberately not among them.
FORM_COLUMNS = (
    "created",
    "channel",
    "source_type",
    "campaign_id",
    "industry",
    "company_size",
    "country",
)
OUTCOME_AGE_DAYS = 30  # leads younger than this at the data's as-of date have no outcome yet


# --- the sample ------------------------------------------------------------------------------


def _seed(team: str, session: str) -> int:
    """A seed that depends on (team, session) only, the same in every kernel and process."""
    digest = hashlib.sha256(f"{EXERCISE}\x1f{team}\x1f{session}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def has_scores(workbook) -> bool:
    """Whether the data's leads carry a score (a ``score`` column with at least one value)."""
    return workbook.dataset.has_values("leads", "score")


def scored_leads(workbook, team: str) -> pd.DataFrame:
    """The team's leads that the scoring model decides on: scored, not sourced by sales.

    Without scores in the data, every lead of the team that is not sourced by sales.
    """
    leads = workbook.dataset.tables["leads"]
    leads = leads[leads["team"] == team]
    if has_scores(workbook):
        leads = leads[leads["score"].notna()]
    if "source_type" in leads.columns:  # sales-sourced leads skip the MQL stage
        leads = leads[leads["source_type"].fillna("") != "sales"]
    return leads


def lead_outcomes(workbook, lead_ids: pd.Series) -> pd.DataFrame:
    """Per lead: ``became_mql``, ``became_sql`` and a short ``outcome`` text (index: lead_id)."""
    events = workbook.dataset.tables["lead_events"]
    # Whether sales' decision is recorded at all: without accepted/rejected events an MQL
    # that is not an SQL may have been worked, so "not worked yet" would be a guess.
    decided = {"accepted", "rejected"} & set(workbook.dataset.tracked_events)
    events = events[events["lead_id"].isin(set(lead_ids))]
    seen = events.groupby("lead_id")["event"].agg(lambda e: set(e.dropna()))
    rejected = events[events["event"] == "rejected"].sort_values("at")
    reason = rejected.groupby("lead_id")["reason"].last()
    rows = []
    for lead in lead_ids:
        kinds = seen.get(lead, set())
        if "sql" in kinds:
            text = "became an SQL"
        elif "rejected" in kinds:
            why = reason.get(lead)
            text = "MQL, rejected by sales" + (f" ({why})" if isinstance(why, str) and why else "")
        elif "accepted" in kinds:
            text = "MQL, accepted, not (yet) an SQL"
        elif "mql" in kinds:
            text = "MQL, not worked yet" if decided else "MQL, not (yet) an SQL"
        else:
            text = "never an MQL"
        rows.append((lead, "mql" in kinds, "sql" in kinds, text))
    frame = pd.DataFrame(rows, columns=["lead_id", "became_mql", "became_sql", "outcome"])
    return frame.set_index("lead_id")


def lead_sample(workbook, team: str, session: str, size: int = 12) -> pd.DataFrame:
    """The leads a team rates: the same for everyone in (team, session), spread over the scores.

    The pool is the team's scored leads that are not sourced by sales (those skip the MQL
    stage), created at least :data:`OUTCOME_AGE_DAYS` days before the data's as-of date so
    their outcome is known (all of them when that leaves fewer than ``size``). The pool's score
    range from its 5th to its 95th percentile is cut into ``size`` equal-width bands (the outer
    bands take the tails too) and one lead is drawn from each band;
    bands without leads are made up from the rest of the pool at random. Without scores in
    the data the pool is every such lead and the draw is at random. The draw and the
    order of the rows are random, seeded by (team, session) only, so every participant of a
    team sees the same leads in the same order, and the order says nothing about the score.

    Parameters
    ----------
    workbook : helpers.analysis.workbook.Workbook
        The data.
    team : str
        Team whose leads are drawn.
    session : str
        Workshop session; another session gets another sample.
    size : int
        How many leads (fewer when the team has fewer scored leads).

    Returns
    -------
    DataFrame
        One row per lead in display order: ``position`` (1, 2, …), ``label`` ("Lead 1 ·
        L0000123"), ``lead_id``, the :data:`FORM_COLUMNS` the data has (``created`` is the
        fiscal quarter of creation), then for the debrief only ``score``, ``became_mql``,
        ``became_sql`` and ``outcome``.

    Raises
    ------
    WorkbookError
        When ``size`` is below 1.
    """
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise WorkbookError(f"size must be a whole number of leads ≥ 1; received {size!r}.")
    pool = scored_leads(workbook, team)
    as_of = workbook.dataset.as_of
    mature = pool[pool["created_at"] <= as_of - pd.Timedelta(days=OUTCOME_AGE_DAYS)]
    if len(mature) >= size:
        pool = mature
    pool = pool.sort_values(["score", "lead_id"]).reset_index(drop=True)
    rng = np.random.default_rng(_seed(team, session))
    chosen: list[int] = []
    if len(pool) <= size:
        chosen = list(range(len(pool)))
    elif not has_scores(workbook):
        chosen = [int(i) for i in rng.choice(len(pool), size, replace=False)]
    else:
        scores = pool["score"].to_numpy(dtype="float64")
        low, high = np.quantile(scores, [0.05, 0.95])
        edges = np.linspace(low, high, size + 1)
        band = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, size - 1)
        for b in range(size):
            members = np.flatnonzero(band == b)
            if len(members):
                chosen.append(int(rng.choice(members)))
        rest = np.setdiff1d(np.arange(len(pool)), chosen)
        chosen += [int(i) for i in rng.choice(rest, size - len(chosen), replace=False)]
    sample = pool.iloc[rng.permutation(np.array(chosen, dtype="int64"))].reset_index(drop=True)
    start = workbook.dataset.config.fiscal_year_start_month
    sample["created"] = quarter_labels(sample["created_at"], start).astype("object")
    # campaign_id is optional: a column the data never filled is not shown on the form.
    shown = [
        c
        for c in FORM_COLUMNS
        if c in sample.columns and (c != "campaign_id" or workbook.dataset.has_values("leads", c))
    ]
    columns = ["lead_id", *shown, "score"]
    result = sample[columns].copy()
    result.insert(0, "position", np.arange(1, len(result) + 1, dtype="int64"))
    result.insert(
        1,
        "label",
        [
            f"Lead {p} · {lead}"
            for p, lead in zip(result["position"], result["lead_id"], strict=True)
        ],
    )
    outcomes = lead_outcomes(workbook, result["lead_id"])
    return result.join(outcomes, on="lead_id")


def item_id(lead_id: str, question: str) -> str:
    """The stored item of one question about one lead, e.g. ``"L0000123:mql"``.

    Raises
    ------
    WorkbookError
        When ``question`` is not one of :data:`QUESTIONS`.
    """
    if question not in QUESTIONS:
        raise WorkbookError(
            f"Unknown calibration question {question!r}; use one of {', '.join(QUESTIONS)}."
        )
    return f"{lead_id}:{question}"


def parse_item(item: str) -> tuple[str, str]:
    """``(lead_id, question)`` of a stored item (the inverse of :func:`item_id`)."""
    lead, _, question = str(item).rpartition(":")
    return lead, question


# --- thresholds ------------------------------------------------------------------------------


def implied_threshold(scores: Sequence[float], yes: Sequence[bool]) -> float:
    """The score cut that best reproduces yes/no labels: "yes when score ≥ cut".

    Rule: with ``s_1 < … < s_m`` the distinct scores, the candidate cuts are the midpoints
    ``(s_k + s_(k+1)) / 2`` between neighbours, plus one cut half a step below ``s_1`` (everyone
    yes) and one half a step above ``s_m`` (everyone no), a step being the mean gap
    ``(s_m − s_1) / (m − 1)`` (1 when all scores are equal). Each candidate predicts "yes" for
    the labels whose score is at or above it; the cut that gets most labels right (accuracy)
    wins. When several cuts tie, the middle one wins: the median of the tied cuts, i.e. the
    mean of the two middle ones when their number is even. Labels of several raters on the
    same lead count one each, so the cut is the one that best matches the room as a whole.

    Parameters
    ----------
    scores : sequence of float
        Score of the lead behind each label; missing scores drop the label.
    yes : sequence of bool
        The labels (True = yes), paired with ``scores`` by position.

    Returns
    -------
    float
        The cut; NaN when no label has a score.

    Raises
    ------
    WorkbookError
        When the two sequences differ in length.

    Examples
    --------
    >>> implied_threshold([10, 20, 30, 40], [False, False, True, True])
    25.0
    >>> implied_threshold([10, 20, 30], [True, True, True])  # step 10, half below 10
    5.0
    """
    s = np.asarray(scores, dtype="float64")
    y = np.asarray(yes, dtype=bool)
    if s.shape != y.shape:
        raise WorkbookError(
            f"implied_threshold needs one label per score; received {s.size} score(s) and "
            f"{y.size} label(s)."
        )
    keep = ~np.isnan(s)
    s, y = s[keep], y[keep]
    if not s.size:
        return math.nan
    distinct, inverse = np.unique(s, return_inverse=True)
    m = len(distinct)
    yes_at = np.bincount(inverse, weights=y.astype("int64"), minlength=m).astype("int64")
    no_at = np.bincount(inverse, minlength=m).astype("int64") - yes_at
    # Cut k (0 … m) says "yes" for distinct[k:]: right are the no's below and the yes's above.
    no_below = np.concatenate([[0], np.cumsum(no_at)])
    yes_above = int(yes_at.sum()) - np.concatenate([[0], np.cumsum(yes_at)])
    correct = no_below + yes_above
    step = (distinct[-1] - distinct[0]) / (m - 1) if m > 1 else 1.0
    cuts = np.concatenate(
        [[distinct[0] - step / 2], (distinct[:-1] + distinct[1:]) / 2, [distinct[-1] + step / 2]]
    )
    best = cuts[np.flatnonzero(correct == correct.max())]
    return float(np.median(best))


def model_threshold(workbook, team: str) -> float:
    """The scoring model's MQL threshold as the data shows it.

    No configuration holds the threshold, so it is inferred with :func:`implied_threshold`
    from the team's scored, not sales-sourced leads: score against "became an MQL" (has an
    ``mql`` event). NaN when the team has no such lead, or the data has no scores.
    """
    if not has_scores(workbook):
        return math.nan
    leads = scored_leads(workbook, team)
    events = workbook.dataset.tables["lead_events"]
    mql = set(events.loc[events["event"] == "mql", "lead_id"])
    return implied_threshold(leads["score"].to_numpy(), leads["lead_id"].isin(mql).to_numpy())


def mql_curve(workbook, team: str, bands: int = 20) -> pd.DataFrame:
    """How often the team's scored leads became MQLs, per score band (the model at work).

    Returns
    -------
    DataFrame
        One row per non-empty band of equal width over the score range: ``score`` (band
        middle), ``leads`` and ``share_mql`` (share of them with an ``mql`` event). Empty
        without scores in the data.
    """
    leads = scored_leads(workbook, team)
    if leads.empty or not has_scores(workbook):
        return pd.DataFrame(columns=["score", "leads", "share_mql"])
    events = workbook.dataset.tables["lead_events"]
    mql = leads["lead_id"].isin(set(events.loc[events["event"] == "mql", "lead_id"]))
    scores = leads["score"].to_numpy(dtype="float64")
    edges = np.linspace(scores.min(), scores.max(), bands + 1)
    if edges[0] == edges[-1]:
        edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
    band = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, len(edges) - 2)
    frame = pd.DataFrame({"band": band, "mql": mql.to_numpy()})
    grouped = frame.groupby("band")["mql"].agg(["size", "mean"])
    middle = (edges[:-1] + edges[1:]) / 2
    return pd.DataFrame(
        {
            "score": middle[grouped.index.to_numpy()],
            "leads": grouped["size"].to_numpy(dtype="int64"),
            "share_mql": grouped["mean"].to_numpy(dtype="float64"),
        }
    )
