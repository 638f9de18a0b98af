"""Multi-touch attribution of pipeline and revenue to channels and campaigns (SPEC section 3).

Every opportunity's amount is split over the marketing touches of its lead that happened at or
before the opportunity was created (its *eligible* touches), by one of the models in
:data:`MODELS`. Touches are ordered by time (ties keep the order of the ``touches`` table);
position 1 is the first touch and position n the last. An opportunity whose lead has no
eligible touch, or that has no lead at all, falls back to its lead's own channel / campaign
(``"(sales-sourced, no lead)"`` without a lead) and the result says how much amount went that
way, so that nothing is dropped: the attributed amounts always add up to the total amount.

Which opportunities to pass is the caller's choice: those created in a quarter for
*pipeline* attribution, those won in a quarter for *revenue* attribution.

The work is vectorised: touches are sorted once by (lead, time) and each opportunity's eligible
touches are a contiguous slice found with a binary search, so no Python loop runs per
opportunity.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError

MODELS = ("first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay")
BY_COLUMNS = ("channel", "campaign_id")
NO_LEAD = "(sales-sourced, no lead)"
UNKNOWN_LEAD = "(unknown lead)"
_MISSING = {"channel": "(no channel)", "campaign_id": "(no campaign)"}
_NS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True, eq=False)
class AttributionResult:
    """Attributed amounts of one model, by channel or campaign.

    Parameters
    ----------
    table : DataFrame
        Columns ``<by>`` (channel or campaign id), ``amount`` (attributed amount), ``share``
        (amount / attributed_total) and ``opportunities`` (fractional credit count: each
        opportunity hands out a credit of 1 with the same weights as its amount). Largest
        amount first.
    attributed_total : float
        Sum of ``table.amount`` = total amount of the opportunities (missing amounts count 0).
    fallback_amount : float
        Part of the total attributed to the lead's own channel / campaign (or to
        ``"(sales-sourced, no lead)"``) because the opportunity had no eligible touch.
    fallback_opportunities : int
        Number of opportunities attributed that way.
    model : str
        One of :data:`MODELS`.
    by : str
        ``"channel"`` or ``"campaign_id"``.
    missing_amount_opportunities : int
        Opportunities whose amount was missing (NaN): they hand out their credit count but no
        amount, so the amounts are those of the opportunities that have one.
    """

    table: pd.DataFrame
    attributed_total: float
    fallback_amount: float
    fallback_opportunities: int
    model: str
    by: str = "channel"
    missing_amount_opportunities: int = 0

    def to_frame(self) -> pd.DataFrame:
        """The attribution table (a copy)."""
        return self.table.copy()

    def note(self, amount: Callable[[float], str] = "{:,.2f}".format) -> str:
        """One line on the fallback (and missing amounts), in plain text.

        ``amount`` writes the amounts (the report passes its money format, ``€1,234``).
        """
        if self.table.empty:  # an empty quarter: nothing to split, say so plainly
            return f"{self.model}: no opportunities to attribute."
        share = self.fallback_amount / self.attributed_total if self.attributed_total else 0.0
        deals = self.fallback_opportunities
        text = (
            f"{self.model}: {amount(self.fallback_amount)} of {amount(self.attributed_total)} "
            f"({share:.1%}) on {deals} {'opportunity' if deals == 1 else 'opportunities'} "
            f"without an eligible touch was attributed to the lead's own {self.by} (or to "
            f"'{NO_LEAD}')."
        )
        if missing := self.missing_amount_opportunities:
            text += (
                f" {missing} {'opportunity' if missing == 1 else 'opportunities'} had no amount: "
                "the amounts are those of the others (a missing amount is unknown, not 0)."
            )
        return text

    def _repr_html_(self) -> str:
        table = self.table.to_html(
            index=False,
            escape=True,
            formatters={
                "amount": "{:,.2f}".format,
                "share": "{:.1%}".format,
                "opportunities": "{:,.2f}".format,
            },
        )
        return f"{table}\n<p>{html.escape(self.note())}</p>"


def _check(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ParameterError(
            f"attribution needs column(s) {missing} in the {name} table; it has "
            f"{list(frame.columns)}. Fix: pass the canonical {name} table."
        )


def _nanoseconds(values: pd.Series) -> tuple[np.ndarray, np.ndarray, bool]:
    """Timestamps as int64 nanoseconds (UTC when tz-aware), a validity mask and tz-awareness."""
    stamps = pd.to_datetime(values)
    aware = stamps.dt.tz is not None
    if aware:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    valid = stamps.notna().to_numpy()
    ns = stamps.to_numpy(dtype="datetime64[ns]").view("int64")
    return np.where(valid, ns, 0), valid, aware


def _labels(values: pd.Series, by: str) -> tuple[np.ndarray, list]:
    """Codes and labels of the ``by`` values; a missing value gets the label "(no ...)"."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    labels = list(np.asarray(uniques, dtype=object))
    if (codes < 0).any():
        codes = np.where(codes < 0, len(labels), codes)
        labels.append(_MISSING[by])
    return codes.astype("int64"), labels


@dataclass(frozen=True, eq=False)
class _Expansion:
    """One row per (opportunity, eligible touch), in opportunity order then touch time."""

    amount: np.ndarray  # per opportunity, NaN -> 0
    missing_amount: int
    n: np.ndarray  # eligible touches per opportunity
    opp: np.ndarray  # per row: opportunity position
    pos: np.ndarray  # per row: 0-based position among the opportunity's eligible touches
    n_row: np.ndarray  # per row: n of its opportunity
    lead_touch_row: np.ndarray  # per row: position of the lead-creation touch
    age_days: np.ndarray  # per row: days from touch to opportunity creation (>= 0)
    touch: np.ndarray  # per row: index into the sorted touches
    source: np.ndarray  # per sorted touch: its row position in the touches table
    touch_label: np.ndarray  # per sorted touch: code into labels
    labels: list
    fallback_labels: pd.Series  # per fallback opportunity (index = opportunity position)


def _expand(
    opportunities: pd.DataFrame,
    touches: pd.DataFrame,
    leads: pd.DataFrame,
    by: str,
    amount: str | None,
) -> _Expansion:
    if by not in BY_COLUMNS:
        raise ParameterError(f"by must be one of {list(BY_COLUMNS)}; received {by!r}.")
    needed = ("created_at", "lead_id") if amount is None else ("created_at", "lead_id", amount)
    _check(opportunities, "opportunities", needed)
    _check(touches, "touches", ("lead_id", "at", by))
    _check(leads, "leads", ("lead_id", "created_at", by))

    if amount is None:
        raw = np.ones(len(opportunities))
    else:
        raw = pd.to_numeric(opportunities[amount], errors="coerce").to_numpy(dtype="float64")
    missing_amount = int(np.isnan(raw).sum())
    amounts = np.where(np.isnan(raw), 0.0, raw)

    t_ns, t_ok, t_aware = _nanoseconds(touches["at"])
    o_ns, o_ok, o_aware = _nanoseconds(opportunities["created_at"])
    l_ns, l_ok, l_aware = _nanoseconds(leads["created_at"])
    if len({t_aware, o_aware, l_aware}) > 1:
        raise ParameterError(
            "touches.at, opportunities.created_at and leads.created_at mix timezone-aware and "
            "naive timestamps. Fix: load the tables with one timezone (load_dataset does)."
        )

    # One integer code per lead id across the three tables.
    n_t, n_o = len(touches), len(opportunities)
    codes, _ = pd.factorize(
        pd.concat(
            [touches["lead_id"], opportunities["lead_id"], leads["lead_id"]], ignore_index=True
        ),
        use_na_sentinel=True,
    )
    t_lead, o_lead, l_lead = codes[:n_t], codes[n_t : n_t + n_o], codes[n_t + n_o :]
    n_codes = int(codes.max()) + 1 if len(codes) else 0

    # Touches sorted by (lead, time); rows without lead or time cannot be placed and are dropped.
    t_label_all, labels = _labels(touches[by], by)
    keep = np.flatnonzero(t_ok & (t_lead >= 0))
    order = keep[np.lexsort((t_ns[keep], t_lead[keep]))]
    t_lead, t_ns, t_label = t_lead[order], t_ns[order], t_label_all[order]

    # Dense time ranks, so that (lead, time) packs into one sortable int64 key.
    # A time's rank q = number of distinct touch times at or before it; a touch is at or before
    # time T exactly when its own rank is below T's.
    ordered = np.sort(t_ns)
    uniq = ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])] if len(t_ns) else t_ns
    width = len(uniq) + 1
    key = t_lead * width + np.searchsorted(uniq, t_ns, side="left")

    # Lead row per lead code (first row if a lead id is repeated); the extra last slot is a
    # sentinel "-1" that code -1 (no lead id) picks up.
    first_row = pd.Series(np.arange(len(leads))).groupby(l_lead).first()
    first_row = first_row[first_row.index >= 0]
    lead_row = np.full(n_codes + 1, -1, dtype="int64")
    lead_row[first_row.index.to_numpy()] = first_row.to_numpy()

    has_lead = o_lead >= 0
    base = np.where(has_lead, o_lead, 0) * width
    lo = np.searchsorted(key, base, side="left")
    hi = np.searchsorted(key, base + np.searchsorted(uniq, o_ns, side="right"), side="left")
    n = np.where(has_lead & o_ok, hi - lo, 0)

    # Lead-creation touch: the last eligible touch at or before the lead's created_at, else
    # the first eligible touch (also when the lead or its created_at is unknown).
    o_lead_row = lead_row[o_lead]
    lc_ns = np.append(l_ns, 0)[o_lead_row]
    lc_ok = np.append(l_ok, False)[o_lead_row]
    lc_rank = np.searchsorted(uniq, lc_ns, side="right")
    upto = np.searchsorted(key, base + lc_rank, side="left") - lo
    lead_touch = np.where(lc_ok, np.clip(upto, 1, np.maximum(n, 1)) - 1, 0)

    # Expand: one row per (opportunity, eligible touch).
    total = int(n.sum())
    opp = np.repeat(np.arange(n_o), n)
    starts = np.cumsum(n) - n
    pos = np.arange(total) - np.repeat(starts, n)
    touch = np.repeat(lo, n) + pos
    age_days = (o_ns[opp] - t_ns[touch]) / _NS_PER_DAY

    # Fallback labels for opportunities with no eligible touch.
    fallback = np.flatnonzero(n == 0)
    lead_values = leads[by].reset_index(drop=True)
    fb_rows = o_lead_row[fallback]
    values = lead_values.reindex(np.where(fb_rows >= 0, fb_rows, 0)).astype(object).to_numpy()
    fb = np.where(pd.isna(values), _MISSING[by], values)
    fb = np.where(fb_rows < 0, UNKNOWN_LEAD, fb)
    fb = np.where(~has_lead[fallback], NO_LEAD, fb)

    return _Expansion(
        amount=amounts,
        missing_amount=missing_amount,
        n=n,
        opp=opp,
        pos=pos,
        n_row=np.repeat(n, n),
        lead_touch_row=np.repeat(lead_touch, n),
        age_days=age_days,
        touch=touch,
        source=order,
        touch_label=t_label,
        labels=labels,
        fallback_labels=pd.Series(fb, index=fallback, dtype=object),
    )


def _weights(x: _Expansion, model: str, half_life_days: float) -> np.ndarray:
    """Each row's share of its opportunity; the shares of one opportunity add up to 1."""
    pos, n = x.pos, x.n_row
    first = pos == 0
    last = pos == n - 1
    if model == "first_touch":
        return first.astype("float64")
    if model == "last_touch":
        return last.astype("float64")
    if model == "linear":
        return 1.0 / n
    if model == "u_shaped":
        middle = 0.2 / np.maximum(n - 2, 1)
        ends = np.where(n == 1, 1.0, np.where(n == 2, 0.5, 0.4))
        return np.where(first | last, ends, middle)
    if model == "w_shaped":
        lc = x.lead_touch_row
        role = 0.3 * first + 0.3 * (pos == lc) + 0.3 * last
        # distinct role touches: first, lead-creation (if not first), last (if neither)
        k = 1 + (lc != 0) + ((n - 1 != 0) & (n - 1 != lc))
        rest = n - k
        is_role = role > 0
        spread = np.where(
            rest > 0,
            np.where(is_role, 0.0, 0.1 / np.maximum(rest, 1)),
            np.where(is_role, 0.1 / k, 0.0),
        )
        return role + spread
    if model == "time_decay":
        if not half_life_days > 0:
            raise ParameterError(
                f"half_life_days must be a positive number of days; received {half_life_days!r}."
            )
        # Relative to the opportunity's latest touch (weight 1), which leaves the normalised
        # weights unchanged and keeps very old touches from underflowing to 0 / 0.
        youngest = np.full(len(x.n), np.inf)
        np.minimum.at(youngest, x.opp, x.age_days)
        raw = np.exp2(-(x.age_days - youngest[x.opp]) / half_life_days)
        return raw / np.bincount(x.opp, weights=raw, minlength=len(x.n))[x.opp]
    raise ParameterError(f"model must be one of {list(MODELS)}; received {model!r}.")


def _result(x: _Expansion, weights: np.ndarray, model: str, by: str) -> AttributionResult:
    n_labels = len(x.labels)
    row_label = x.touch_label[x.touch]
    touched_amount = np.bincount(row_label, weights=weights * x.amount[x.opp], minlength=n_labels)
    touched_credit = np.bincount(row_label, weights=weights, minlength=n_labels)
    touched = pd.DataFrame(
        {
            by: pd.Series(x.labels, dtype=object),
            "amount": touched_amount,
            "opportunities": touched_credit,
        }
    )
    touched = touched[touched["opportunities"] > 0]
    fb_index = x.fallback_labels.index.to_numpy()
    fallback = pd.DataFrame(
        {
            by: x.fallback_labels.to_numpy(),
            "amount": x.amount[fb_index],
            "opportunities": np.ones(len(fb_index)),
        }
    )
    table = (
        pd.concat([touched, fallback], ignore_index=True)
        .groupby(by, sort=False, dropna=False)[["amount", "opportunities"]]
        .sum()
        .reset_index()
    )
    total = float(x.amount.sum())
    table["share"] = table["amount"] / total if total else np.nan
    table = table.assign(_name=table[by].astype(str))
    table = table.sort_values(["amount", "_name"], ascending=[False, True], ignore_index=True)
    table = table[[by, "amount", "share", "opportunities"]]
    return AttributionResult(
        table=table,
        attributed_total=total,
        fallback_amount=float(x.amount[fb_index].sum()),
        fallback_opportunities=len(fb_index),
        model=model,
        by=by,
        missing_amount_opportunities=x.missing_amount,
    )


def attribute(
    opportunities: pd.DataFrame,
    touches: pd.DataFrame,
    leads: pd.DataFrame,
    *,
    model: str,
    by: str = "channel",
    half_life_days: float = 7.0,
    amount: str = "amount",
) -> AttributionResult:
    """Split each opportunity's amount over its lead's touches and add it up by channel/campaign.

    A touch is *eligible* for an opportunity if it belongs to the opportunity's lead and
    happened at or before the opportunity's ``created_at``. With the n eligible touches in time
    order (position 1 = first touch, n = last touch, the *opportunity-creation touch*), touch i
    receives ``w_i × amount`` where the weights w_i of one opportunity add up to 1:

    - ``first_touch``: w_1 = 1.
    - ``last_touch``: w_n = 1.
    - ``linear``: w_i = 1 / n.
    - ``u_shaped`` (40/20/40): w_1 = w_n = 0.4 and w_i = 0.2 / (n − 2) in between;
      n = 1 → w_1 = 1; n = 2 → w_1 = w_2 = 0.5.
    - ``w_shaped`` (30/30/30 + 10): 0.3 to the first touch, 0.3 to the *lead-creation touch*
      (the last eligible touch at or before the lead's ``created_at``, else the first touch),
      0.3 to the last touch; the remaining 0.1 is spread evenly over the m touches that hold
      no role (0.1 / m each). When roles fall on the same touch their 0.3s add up; when no
      touch is left without a role (m = 0), the 0.1 is split evenly over the k distinct role
      touches (0.1 / k each). So n = 1 → 1; n = 2 with the lead created before the second
      touch → 0.65 / 0.35.
    - ``time_decay``: w_i ∝ 2^(−Δ_i / half_life_days), Δ_i = days from touch i to the
      opportunity's ``created_at``; a touch one half-life older gets half the weight.

    Fallback: an opportunity with no eligible touch credits its whole amount to its lead's own
    ``channel`` / ``campaign_id`` (``"(no campaign)"`` if the lead has none, ``"(unknown lead)"``
    if the lead id is not in ``leads``), and an opportunity without lead to
    ``"(sales-sourced, no lead)"``; ``fallback_amount`` and ``fallback_opportunities`` say how
    much went that way. A missing amount counts as 0 and is reported. Hence

        Σ table.amount = attributed_total = Σ amount (NaN → 0).

    Parameters
    ----------
    opportunities : DataFrame
        Canonical ``opportunities`` (created_at, lead_id, amount, ...), already restricted to the
        ones to attribute: created in the period for pipeline, won in it for revenue.
    touches : DataFrame
        Canonical ``touches`` (lead_id, at, campaign_id, channel), one row per touch.
    leads : DataFrame
        Canonical ``leads`` (lead_id, created_at, channel, campaign_id, ...).
    model : str
        One of :data:`MODELS`.
    by : str
        ``"channel"`` or ``"campaign_id"``: the touch column (and lead column) to add up by.
    half_life_days : float
        Half-life of the ``time_decay`` model, in days (> 0); ignored by other models.
    amount : str
        Name of the amount column of ``opportunities``.

    Returns
    -------
    AttributionResult
        ``table`` with columns ``<by>``, amount, share, opportunities (fractional credit count),
        largest amount first, plus the totals of the fallback. Inputs are not modified.

    Raises
    ------
    ParameterError
        Unknown ``model`` or ``by``, ``half_life_days`` not positive, a required column missing,
        or timezone-aware and naive timestamps mixed.

    Examples
    --------
    Three touches A, B, C before a 1000 opportunity: ``u_shaped`` gives A 400, B 200, C 400;
    ``linear`` 333.33 each; ``first_touch`` A 1000.

    >>> result = attribute(opps, touches, leads, model="u_shaped")  # doctest: +SKIP
    >>> result.to_frame()  # doctest: +SKIP
    """
    if model not in MODELS:
        raise ParameterError(f"model must be one of {list(MODELS)}; received {model!r}.")
    expansion = _expand(opportunities, touches, leads, by, amount)
    return _result(expansion, _weights(expansion, model, half_life_days), model, by)


def attribute_all(
    opportunities: pd.DataFrame,
    touches: pd.DataFrame,
    leads: pd.DataFrame,
    *,
    by: str = "channel",
    half_life_days: float = 7.0,
    amount: str = "amount",
) -> pd.DataFrame:
    """Attributed amount of every model side by side, for a report.

    The touches are matched to the opportunities once and weighted by each model of
    :data:`MODELS` as in :func:`attribute`, fallback included, so every column adds up to the
    same total amount.

    Returns
    -------
    DataFrame
        Index ``<by>`` (channel or campaign id); one amount column per model, in the order of
        :data:`MODELS`; 0 where a model gives a channel no credit. Rows by ``linear`` amount,
        largest first.
    """
    expansion = _expand(opportunities, touches, leads, by, amount)
    columns = {}
    for model in MODELS:
        result = _result(expansion, _weights(expansion, model, half_life_days), model, by)
        columns[model] = result.table.set_index(by)["amount"]
    wide = pd.DataFrame(columns).fillna(0.0)
    wide.index.name = by
    names = wide.index.astype(str)
    order = np.lexsort((names, -wide["linear"].to_numpy()))
    return wide.iloc[order]


def touch_weights(
    opportunities: pd.DataFrame,
    touches: pd.DataFrame,
    leads: pd.DataFrame,
    *,
    model: str,
    half_life_days: float = 7.0,
) -> pd.DataFrame:
    """Audit view: one row per (opportunity, eligible touch) with the model's weight.

    Same rules as :func:`attribute`; opportunities that fall back have no row here.

    Returns
    -------
    DataFrame
        Columns opportunity_id (if present, else the opportunity's row position), lead_id,
        touch_number (1 = first eligible touch), touches (n), at, channel, campaign_id (those
        present in ``touches``) and weight; the weights of one opportunity add up to 1.
    """
    if model not in MODELS:
        raise ParameterError(f"model must be one of {list(MODELS)}; received {model!r}.")
    expansion = _expand(opportunities, touches, leads, "channel", None)
    weights = _weights(expansion, model, half_life_days)
    if "opportunity_id" in opportunities.columns:
        ids = opportunities["opportunity_id"].to_numpy()[expansion.opp]
    else:
        ids = expansion.opp
    rows = expansion.source[expansion.touch]
    out = pd.DataFrame(
        {
            "opportunity_id": ids,
            "touch_number": expansion.pos + 1,
            "touches": expansion.n_row,
        }
    )
    for column in ("lead_id", "at", "channel", "campaign_id"):
        if column in touches.columns:
            out[column] = touches[column].to_numpy()[rows]
    out["weight"] = weights
    return out
