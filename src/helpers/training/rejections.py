"""Exercise 5, the rejection-reason review: sort real rejected MQLs into a shared taxonomy.

Every participant of a team sees the same sample of the team's rejected MQLs (the lead, who
rejected it, the reason recorded in the CRM, and sales' feedback comment when there is one)
and puts each into one category of a shared reason taxonomy (:data:`TAXONOMY`). The results:
agreement in the room and within and across roles (Fleiss' and Cohen's kappa from
:mod:`helpers.metrics.agreement`), the resulting taxonomy (the majority category of each lead
and the number of leads per category), how the CRM's recorded reasons map onto it, and the leads the
room disagreed on most, for the debrief.

Computations are pure functions (:func:`rejected_sample`, :func:`resulting_taxonomy`,
:func:`category_counts`, :func:`crm_mapping`, :func:`room_agreement`, :func:`disputed_leads`);
:class:`RejectionReviewExercise` is the widget.
"""

from __future__ import annotations

import hashlib
import html
import math
from typing import Any

import pandas as pd

from ..display.widgets import Html, LivePanel, error_html, show
from ..errors import WorkbookError
from ..metrics.agreement import agreement_by_group, most_disputed
from .answer_store import ROLES
from .exercise_summary import ExerciseSummary

EXERCISE = "rejections"
TITLE = "Rejection-reason review"
SAMPLE_SIZE = 10
DISPUTED = 5  # leads listed as open disagreements

# The shared taxonomy: stored key → label shown. Answers are stored as keys.
TAXONOMY: dict[str, str] = {
    "fit": "Not our ideal customer (fit)",
    "budget_timing": "No budget or timing",
    "contact_data": "Bad or missing contact data",
    "existing": "Already in sales' pipeline / existing customer",
    "duplicate": "Duplicate",
    "not_a_buyer": "Student, job seeker or vendor",
    "other": "Other",
}
TIE = "No majority (tie)"  # the category of a lead whose top categories tie

# Lead columns never shown on a card: ids and bookkeeping, not attributes of the lead.
_HIDDEN_LEAD_COLUMNS = ("lead_id", "team", "campaign_id")
NOT_IN_DATA = "Not in this data: no rejected events, so no rejected MQLs to review."


def tracks_rejections(workbook) -> bool:
    """Whether the data set records rejections at all (a ``rejected`` event anywhere)."""
    return "rejected" in workbook.dataset.tracked_events


def _no_sample_text(workbook, team: str) -> str:
    """Why there is nothing to sort: rejections not in the data, or none for this team."""
    if not tracks_rejections(workbook):
        return NOT_IN_DATA
    return f"Team {team} has no rejected MQL with a reason to review."


def label(key: Any) -> str:
    """The taxonomy label of a stored answer (an unknown key is shown as it is)."""
    return TAXONOMY.get(key, str(key))


def _order_key(team: str, session: str, lead_id: str) -> str:
    """A stable pseudo-random order per (team, session): the same on every machine and run."""
    return hashlib.sha256(f"{team}\x1f{session}\x1f{lead_id}".encode()).hexdigest()


def rejected_sample(workbook, team: str, session: str, size: int = SAMPLE_SIZE) -> pd.DataFrame:
    """The rejected MQLs of ``team`` that the participants of ``session`` sort.

    A rejected MQL is a lead of the team with a ``rejected`` event that gives a reason, at or
    after an ``mql`` event of the same lead (a lead rejected several times appears once, with
    its latest rejection). The sample is deterministic per (team, session) and spread over the
    recorded reasons: the reasons take turns, most frequent first, and within a reason the
    leads come in an order drawn from a hash of (team, session, lead id). The rows are then
    shown in hash order, so the reasons are mixed.

    Parameters
    ----------
    workbook : Workbook
        The data (:meth:`Workshop.workbook`).
    team : str
        Team id.
    session : str
        Workshop session name (another session gets another sample).
    size : int
        At most this many leads (fewer when the team has fewer rejected MQLs).

    Returns
    -------
    DataFrame
        One row per lead: item (the lead id, the stored item), rejected_at (date text),
        rejected_by, crm_reason, then the lead's attribute columns (channel, source_type,
        score, industry … as the data has them; empty values as ``""``), and
        sales_feedback (latest feedback rating, reason and comment, when the data has a
        feedback table). Empty (same columns) when the team has no rejected MQL.
    """
    tables = workbook.tables_for(team)
    leads = tables["leads"]
    latest = _rejected_mqls(tables["lead_events"])
    # Optional columns the data left empty (a score column never supplied) are no attribute.
    attributes = [
        c
        for c in leads.columns
        if c not in _HIDDEN_LEAD_COLUMNS
        and (c != "score" or workbook.dataset.has_values("leads", c))
    ]
    columns = ["item", "rejected_at", "rejected_by", "crm_reason", *attributes]
    if "feedback" in tables:
        columns.append("sales_feedback")
    if latest.empty:
        return pd.DataFrame(columns=columns, dtype=object)

    latest = latest.assign(
        _key=[_order_key(team, session, str(lead)) for lead in latest["lead_id"]],
        _reason=latest["reason"].astype(str),
    )
    frequency = latest["_reason"].value_counts()
    reasons = sorted(frequency.index, key=lambda r: (-frequency[r], r))
    queues = {r: latest[latest["_reason"] == r].sort_values("_key") for r in reasons}
    picked = []
    for turn in range(max(len(q) for q in queues.values())):
        for reason in reasons:
            if turn < len(queues[reason]) and len(picked) < size:
                picked.append(queues[reason].iloc[turn])
    chosen = pd.DataFrame(picked).sort_values("_key")

    by_lead = leads.drop_duplicates("lead_id").set_index("lead_id")
    rows = []
    for event in chosen.itertuples(index=False):
        lead = by_lead.loc[event.lead_id] if event.lead_id in by_lead.index else None
        row = {
            "item": str(event.lead_id),
            "rejected_at": pd.Timestamp(event.at).strftime("%Y-%m-%d"),
            "rejected_by": "" if pd.isna(event.actor) else str(event.actor),
            "crm_reason": str(event.reason),
        }
        for column in attributes:
            value = None if lead is None else lead[column]
            row[column] = _text(value)
        rows.append(row)
    result = pd.DataFrame(rows, columns=columns[: len(columns) - ("feedback" in tables)])
    if "feedback" in tables:
        result["sales_feedback"] = result["item"].map(_feedback_text(tables["feedback"]))
        result["sales_feedback"] = result["sales_feedback"].fillna("")
    return result.reset_index(drop=True)


def _rejected_mqls(events: pd.DataFrame) -> pd.DataFrame:
    """The latest rejection with a reason per lead, for leads rejected at or after an MQL."""
    rejected = events[(events["event"] == "rejected") & events["reason"].notna()]
    rejected = rejected[rejected["reason"].astype(str).str.strip() != ""]
    mqls = events[events["event"] == "mql"][["lead_id", "at"]]
    first_mql = mqls.groupby("lead_id", as_index=False)["at"].min()
    rejected = rejected.merge(first_mql, on="lead_id", how="inner", suffixes=("", "_mql"))
    rejected = rejected[rejected["at_mql"] <= rejected["at"]]
    return rejected.sort_values(["lead_id", "at"]).drop_duplicates("lead_id", keep="last")


def crm_reasons(workbook, team: str) -> pd.DataFrame:
    """All of the team's rejected MQLs by the reason recorded in the CRM (a Pareto).

    Returns
    -------
    DataFrame
        crm_reason, rejected_mqls (int64), most frequent first (ties by reason); one lead
        counts once, with its latest rejection, as in :func:`rejected_sample`.
    """
    latest = _rejected_mqls(workbook.tables_for(team)["lead_events"])
    counts = latest["reason"].astype(str).value_counts()
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    frame = pd.DataFrame(rows, columns=["crm_reason", "rejected_mqls"])
    return frame.astype({"rejected_mqls": "int64"})


def _bars(data: pd.DataFrame, *, x: str, y: str, title: str):
    """A figure of horizontal count bars (:func:`helpers.display.plots.count_bars`)."""
    import matplotlib.pyplot as plt

    from ..display.plots import count_bars

    figure, ax = plt.subplots(figsize=(6.5, 0.6 + 0.35 * max(len(data), 1)))
    count_bars(data, x=x, y=y, ax=ax)
    ax.set_title(title, fontsize=10)
    return figure


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _feedback_text(feedback: pd.DataFrame) -> pd.Series:
    """Lead id → its latest feedback as ``rating 2/5, duplicate: "comment"``."""
    if feedback.empty:
        return pd.Series(dtype=object)
    latest = feedback.sort_values(["lead_id", "at"]).drop_duplicates("lead_id", keep="last")
    texts = []
    for rating, reason, comment in latest[["rating", "reason", "comment"]].itertuples(index=False):
        text = "" if pd.isna(rating) else f"rating {_text(rating)}/5"
        if not pd.isna(reason) and str(reason):
            text += f", {reason}" if text else str(reason)
        if not pd.isna(comment) and str(comment).strip():
            text += f': "{comment}"' if text else f'"{comment}"'
        texts.append(text)
    return pd.Series(texts, index=latest["lead_id"].astype(str).to_numpy(), dtype=object)


# --- results ------------------------------------------------------------------------------


def _ratings(answers: pd.DataFrame) -> pd.DataFrame:
    """Answers with a category (missing answers dropped), one row per participant × item."""
    kept = answers[answers["answer"].notna()]
    return kept.loc[:, ["item", "participant_id", "answer"]].reset_index(drop=True)


def resulting_taxonomy(answers: pd.DataFrame) -> pd.DataFrame:
    """The category the room gives each lead: the majority of the participants' answers.

    Ties: when two or more categories share the most votes, the lead gets no majority; its
    category is :data:`TIE` ("No majority (tie)") and ``tied`` names the categories that tie.
    Such a lead goes to the debrief rather than into a category by an arbitrary rule.

    Parameters
    ----------
    answers : DataFrame
        One row per participant × lead, with columns ``item``, ``participant_id`` and
        ``answer`` (a :data:`TAXONOMY` key; an unknown key is kept as its own category).
        Not modified.

    Returns
    -------
    DataFrame
        One row per item with at least one answer, sorted by item: item, ratings (int64),
        category (majority label, or :data:`TIE`), votes (int64, votes for the top
        category), agreement (votes / ratings) and tied (labels joined by " / ", ``""`` when
        there is a majority).

    Examples
    --------
    >>> answers = pd.DataFrame({"item": ["L1", "L1", "L1"], "participant_id": ["a", "b", "c"],
    ...                         "answer": ["fit", "fit", "other"]})
    >>> resulting_taxonomy(answers)[["item", "category", "votes"]].to_dict("records")
    [{'item': 'L1', 'category': 'Not our ideal customer (fit)', 'votes': 2}]
    """
    columns = ["item", "ratings", "category", "votes", "agreement", "tied"]
    data = _ratings(answers)
    rows = []
    for item, group in data.groupby("item", sort=True):
        counts = group["answer"].value_counts()
        top = counts[counts == counts.max()]
        labels = sorted(label(k) for k in top.index)
        rows.append(
            {
                "item": item,
                "ratings": len(group),
                "category": labels[0] if len(labels) == 1 else TIE,
                "votes": int(counts.max()),
                "agreement": int(counts.max()) / len(group),
                "tied": "" if len(labels) == 1 else " / ".join(labels),
            }
        )
    result = pd.DataFrame(rows, columns=columns)
    return result.astype({"ratings": "int64", "votes": "int64", "agreement": "float64"})


def category_counts(taxonomy: pd.DataFrame) -> pd.DataFrame:
    """Leads per category of the resulting taxonomy.

    Parameters
    ----------
    taxonomy : DataFrame
        Output of :func:`resulting_taxonomy`.

    Returns
    -------
    DataFrame
        category, leads (int64), share (of the leads with answers): every :data:`TAXONOMY`
        category in its order (0 when no lead landed there), then :data:`TIE` and any unknown
        category when present.
    """
    counts = taxonomy["category"].value_counts()
    names = list(TAXONOMY.values())
    extra = sorted(c for c in counts.index if c not in names and c != TIE)
    names += extra + ([TIE] if TIE in counts.index else [])
    total = len(taxonomy)
    rows = [(c, int(counts.get(c, 0))) for c in names]
    result = pd.DataFrame(rows, columns=["category", "leads"]).astype({"leads": "int64"})
    result["share"] = result["leads"] / total if total else math.nan
    return result


def crm_mapping(answers: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """How each reason recorded in the CRM maps onto the shared taxonomy.

    All ratings of the leads with one CRM reason are pooled: the category chosen most often
    is where the room maps that reason (ties: the tied labels joined by " / ").

    Parameters
    ----------
    answers : DataFrame
        As for :func:`resulting_taxonomy`.
    sample : DataFrame
        Output of :func:`rejected_sample` (columns item and crm_reason).

    Returns
    -------
    DataFrame
        One row per CRM reason with answers, sorted by reason: crm_reason, leads (int64),
        ratings (int64), mapped_to, share (of the reason's ratings in the top category) and
        all_answers (every category with its count, most frequent first).
    """
    columns = ["crm_reason", "leads", "ratings", "mapped_to", "share", "all_answers"]
    data = _ratings(answers).merge(sample[["item", "crm_reason"]], on="item", how="inner")
    rows = []
    for reason, group in data.groupby("crm_reason", sort=True):
        counts = group["answer"].map(label).value_counts()
        counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
        top = sorted(counts[counts == counts.max()].index)
        rows.append(
            {
                "crm_reason": reason,
                "leads": group["item"].nunique(),
                "ratings": len(group),
                "mapped_to": " / ".join(top),
                "share": int(counts.max()) / len(group),
                "all_answers": ", ".join(f"{c} {n}" for c, n in counts.items()),
            }
        )
    result = pd.DataFrame(rows, columns=columns)
    return result.astype({"leads": "int64", "ratings": "int64", "share": "float64"})


def room_agreement(answers: pd.DataFrame, roles: dict[str, str]) -> pd.DataFrame:
    """Agreement on the categories: per role, the whole room, and sales × marketing.

    Fleiss' kappa within each role and for the room (on the leads every rater of the group
    sorted), and the mean pairwise Cohen's kappa across the roles
    (:func:`helpers.metrics.agreement.agreement_by_group`). With fewer than two raters, or no lead
    sorted by all of a group's raters yet, kappa is NaN and the interpretation says why.

    Parameters
    ----------
    answers : DataFrame
        As for :func:`resulting_taxonomy`.
    roles : dict
        participant_id → role.

    Returns
    -------
    DataFrame
        group, statistic, n_raters, n_items, kappa, interpretation (as
        :func:`~helpers.metrics.agreement.agreement_by_group`).
    """
    columns = ["group", "statistic", "n_raters", "n_items", "kappa", "interpretation"]
    data = _ratings(answers)
    raters = data["participant_id"].nunique()
    if raters < 2:
        row = ("all", "fleiss_kappa", raters, data["item"].nunique(), math.nan)
        return pd.DataFrame([(*row, "needs two participants")], columns=columns)
    try:
        return agreement_by_group(data, roles, rater="participant_id")
    except ValueError:
        # Raters who have not sorted any lead in common yet (a room still under way).
        row = ("all", "fleiss_kappa", raters, 0, math.nan)
        return pd.DataFrame([(*row, "no lead sorted by everyone yet")], columns=columns)


def disputed_leads(
    answers: pd.DataFrame, sample: pd.DataFrame, *, top: int = DISPUTED
) -> pd.DataFrame:
    """The leads the room disagreed on most (at least two ratings, not unanimous).

    Ranked by Fleiss' per-item agreement ``P_i`` ascending (:func:`helpers.metrics.agreement.
    most_disputed`: the share of pairs of raters who chose the same category), ties by lead.

    Returns
    -------
    DataFrame
        At most ``top`` rows: item (the lead id) and detail (CRM reason and the votes per
        category, most first).
    """
    data = _ratings(answers)
    if data.empty:
        return pd.DataFrame(columns=["item", "detail"])
    table = most_disputed(data, top=max(len(data), 1))
    table = table[table["agreement"] < 1].head(top)
    reasons = dict(zip(sample["item"], sample["crm_reason"], strict=True))
    categories = [c for c in table.columns if c not in ("n_ratings", "agreement", "majority")]
    rows = []
    for item, row in table.iterrows():
        votes = sorted(((int(row[c]), label(c)) for c in categories if row[c]), reverse=True)
        detail = f"CRM reason {reasons.get(item, '?')!r}; votes: " + ", ".join(
            f"{name} {n}" for n, name in votes
        )
        rows.append({"item": str(item), "detail": detail})
    return pd.DataFrame(rows, columns=["item", "detail"])


def _kappa(table: pd.DataFrame, group: str) -> float:
    hit = table.loc[table["group"] == group, "kappa"]
    return float(hit.iloc[0]) if len(hit) else math.nan


def summarise(workshop, team: str) -> ExerciseSummary:
    """The rejection review of one team of a session, so far.

    Returns
    -------
    ExerciseSummary
        Headline (room kappa and the leading category), agreement table, resulting taxonomy
        (per lead and per category), CRM-reason mapping, the most disputed leads as
        disagreements; figures ``fleiss_kappa`` (room), ``fleiss_kappa_sales``,
        ``fleiss_kappa_marketing``, ``cross_role_kappa`` (NaN when not computable),
        ``leads`` (in the sample), ``sorted_leads`` and ``participants``.
    """
    workbook = workshop.workbook()
    sample = rejected_sample(workbook, team, workshop.session)
    reasons = crm_reasons(workbook, team)
    context: list[Any] = []
    if len(reasons):
        context = [
            _bars(
                reasons,
                x="rejected_mqls",
                y="crm_reason",
                title=f"Team {team}: all rejected MQLs by the reason recorded in the CRM",
            )
        ]
    answers = workshop.answers(EXERCISE, team)
    answers = answers[answers["item"].isin(set(sample["item"]))]
    people = int(answers["participant_id"].nunique())
    figures: dict[str, Any] = {
        "fleiss_kappa": math.nan,
        **{f"fleiss_kappa_{r}": math.nan for r in ROLES},
        "cross_role_kappa": math.nan,
        "leads": len(sample),
        "sorted_leads": int(answers["item"].nunique()),
        "participants": people,
    }
    if sample.empty:
        return ExerciseSummary(EXERCISE, TITLE, _no_sample_text(workbook, team), 0, figures=figures)
    if answers.empty:
        return ExerciseSummary(
            EXERCISE,
            TITLE,
            f"Nobody has sorted the {len(sample)} rejected MQLs yet.",
            0,
            parts=["Results appear here as participants sort the leads.", *context],
            figures=figures,
        )
    roles = dict(zip(answers["participant_id"], answers["role"], strict=True))
    agreement = room_agreement(answers, roles)
    figures["fleiss_kappa"] = _kappa(agreement, "all")
    for role in ROLES:
        figures[f"fleiss_kappa_{role}"] = _kappa(agreement, role)
    figures["cross_role_kappa"] = _kappa(agreement, "×".join(ROLES))
    if math.isnan(figures["cross_role_kappa"]):
        figures["cross_role_kappa"] = _kappa(agreement, "×".join(reversed(ROLES)))

    taxonomy = resulting_taxonomy(answers)
    counts = category_counts(taxonomy)
    leading = counts[counts["category"] != TIE].sort_values("leads", ascending=False, kind="stable")
    kappa = figures["fleiss_kappa"]
    said = "not computable yet" if math.isnan(kappa) else f"{kappa:.2f}"
    headline = (
        f"{people} participant{'s' * (people != 1)} sorted {figures['sorted_leads']} of "
        f"{len(sample)} rejected MQLs; Fleiss' kappa for the room {said}; most leads: "
        f"{leading['category'].iloc[0]} ({int(leading['leads'].iloc[0])})."
    )
    per_lead = taxonomy.merge(sample[["item", "crm_reason"]], on="item", how="left")
    per_lead = per_lead[["item", "crm_reason", "category", "votes", "ratings", "tied"]]
    disputed = disputed_leads(answers, sample)
    parts: list[Any] = [
        Html("<h4>Agreement (kappa: 1 = perfect, 0 = chance)</h4>"),
        agreement,
        Html("<h4>Resulting taxonomy: leads per category</h4>"),
        _percent(counts, "share"),
        _bars(counts, x="leads", y="category", title="Leads per category (majority of the room)"),
        Html("<h4>Majority category per lead</h4>"),
        per_lead.rename(columns={"item": "lead", "crm_reason": "CRM reason"}),
        Html("<h4>How the CRM's reasons map onto the taxonomy</h4>"),
        _percent(crm_mapping(answers, sample), "share"),
    ]
    if len(disputed):
        parts += [Html("<h4>Leads with most disagreement</h4>"), disputed]
    parts += context
    return ExerciseSummary(
        EXERCISE, TITLE, headline, people, parts=parts, disagreements=disputed, figures=figures
    )


def _percent(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    shown = frame.copy()
    shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
    return shown


# --- the widget ---------------------------------------------------------------------------


def _card_html(row: dict[str, Any], number: int) -> str:
    """One lead as a small escaped table."""
    shown = {k: v for k, v in row.items() if k != "item" and v not in ("", None)}
    cells = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k.replace('_', ' '))}"
        f"</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in shown.items()
    )
    return f"<p><b>{number}. Lead {html.escape(str(row['item']))}</b></p><table>{cells}</table>"


class RejectionReviewExercise:
    """The review as widgets: one card and one set of category buttons per rejected MQL.

    Structure (for browser tests): ``widget`` is a VBox holding ``intro`` (HTML), ``rows``
    (a VBox with one VBox per lead: an HTML card with the lead's attributes, CRM reason and
    sales feedback, then a RadioButtons ``choices[lead_id]`` whose options are the
    :data:`TAXONOMY` labels, values the keys, nothing chosen at first) and ``progress``
    (HTML). Everything is disabled until the participant joins; the sample is the one of the
    participant's team (rebuilt on join when that is another team than the session's first).

    Every choice is recorded at once (``workshop.record("rejections", lead_id, key)``);
    changing it records again (the store keeps the history, the latest answer counts).
    Earlier answers are filled in on join.

    Parameters
    ----------
    workshop : Workshop
        The session.
    size : int
        Leads in the sample.
    """

    def __init__(self, workshop, *, size: int = SAMPLE_SIZE) -> None:
        import ipywidgets as widgets

        self.workshop = workshop
        self.size = size
        self.intro = widgets.HTML()
        self.rows = widgets.VBox()
        self.progress = widgets.HTML()
        self.choices: dict[str, Any] = {}
        self.team = ""
        self.sample = pd.DataFrame()
        self._filling = False
        self.widget = widgets.VBox([self.intro, self.rows, self.progress])
        self._build(workshop.team())
        workshop.on_join(self._joined)

    def _build(self, team: str) -> None:
        import ipywidgets as widgets

        self.team = team
        workshop = self.workshop
        self.sample = workshop.material(
            ("rejections", team, self.size),
            lambda: rejected_sample(workshop.workbook(), team, workshop.session, self.size),
        )
        self.choices = {}
        boxes = []
        options = [(name, key) for key, name in TAXONOMY.items()]
        for number, row in enumerate(self.sample.to_dict("records"), start=1):
            radio = widgets.RadioButtons(
                options=options, value=None, disabled=True, layout=widgets.Layout(width="auto")
            )
            radio.observe(lambda change, item=row["item"]: self._chosen(item, change), "value")
            self.choices[row["item"]] = radio
            boxes.append(widgets.VBox([widgets.HTML(_card_html(row, number)), radio]))
        self.rows.children = boxes
        self._update_intro()

    def _update_intro(self) -> None:
        team = html.escape(self.team)
        if self.sample.empty:
            text = _no_sample_text(self.workshop.workbook(), self.team)
            self.intro.value = f"<p>{html.escape(text)}</p>"
            return
        self.intro.value = (
            f"<p>{len(self.sample)} MQLs that sales rejected (team {team}). Put each into the "
            "category of the shared taxonomy that fits best; the CRM reason is what was "
            "recorded, not necessarily the right category."
            + ("" if self.workshop.participant else " <i>Join above to start.</i>")
            + "</p>"
        )

    def _joined(self, participant) -> None:
        if participant.team and participant.team != self.team:
            self._build(participant.team)
        self._update_intro()
        earlier = self.workshop.my_answers(EXERCISE)
        self._filling = True
        try:
            for item, radio in self.choices.items():
                if earlier.get(item) in TAXONOMY:
                    radio.value = earlier[item]
                radio.disabled = False
        finally:
            self._filling = False
        self._update_progress()

    def _chosen(self, item: str, change: dict) -> None:
        if self._filling or change["new"] is None or self.workshop.participant is None:
            return
        try:
            self.workshop.record(EXERCISE, item, change["new"])
        except WorkbookError as err:
            self.progress.value = error_html(err)
            self._filling = True
            try:
                self.choices[item].value = change["old"]  # shows what is stored
            finally:
                self._filling = False
            return
        self._update_progress()

    def _update_progress(self) -> None:
        done = sum(radio.value is not None for radio in self.choices.values())
        self.progress.value = f"<p><b>Sorted:</b> {done} of {len(self.choices)} leads.</p>"

    def display(self) -> None:
        """Show the review; on a static page, the leads to sort and the categories."""
        heading = (
            f"Rejected MQLs to sort (team {self.team}):"
            if len(self.sample)
            else _no_sample_text(self.workshop.workbook(), self.team)
        )
        fallback: list[Any] = [
            Html(f"<p>{html.escape(heading)}</p>"),
            self.sample.rename(columns={"item": "lead"}) if len(self.sample) else None,
            Html("<p>Categories of the shared taxonomy:</p>"),
            pd.DataFrame({"category": list(TAXONOMY.values())}),
        ]
        show(self.widget, fallback)

    def results_panel(self) -> LivePanel:
        """The team's results so far (shared by every viewer)."""
        workshop = self.workshop

        def render() -> list[Html]:
            team = self.team
            return [
                Html(
                    workshop.results_html(
                        EXERCISE, team, lambda: summarise(workshop, team).page_parts()
                    )
                )
            ]

        return LivePanel(render)
