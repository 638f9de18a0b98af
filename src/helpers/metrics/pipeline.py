"""Pipeline and revenue metrics: pipeline created, won revenue, win rate, deal size, velocity.

Every function takes the canonical ``opportunities`` table (already restricted to a team with
:func:`helpers.metrics.scope.for_team` if wanted) and a window ``[start, end)``. An opportunity
is *created* in the window when its ``created_at`` is in it and *closed* in the window when its
``closed_at`` is; won and lost opportunities are told apart by ``status``.

Missing amounts (the rule for every figure built on opportunity amounts)
------------------------------------------------------------------------
An opportunity without an amount has an *unknown* size, never 0. For a figure summing or
averaging the amounts of a *base* of deals (the opportunities created in the quarter, the
deals won in it, those of one source type or channel):

- no deal in the base: the sum is a genuine 0 (nothing was created or won);
- deals in the base, none with an amount: the figure is *not in this data* (NaN, JSON
  ``null``), with the reason ``"not in this data: no opportunity amounts (n … without an
  amount)"``;
- some deals with an amount: the figure is computed on the deals that have one and carries
  the count of those that do not, shown as ``"from k of n opportunities; m without an
  amount"`` (:meth:`Amount.basis`). Amounts are never negative, so such a sum is a lower
  bound of the true one.

Counts that need no amount (opportunities, won deals, win rate, sales cycle, CAC) are
unaffected.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .scope import equals, within
from .stats import Rate

SOURCE_TYPES = ("marketing", "sales", "partner")
TOTAL = "total"
UNKNOWN_SOURCE = "(missing)"
OPPORTUNITIES = "opportunities"
WON_DEALS = "won deals"
NO_AMOUNTS = "not in this data: no opportunity amounts"
_SINGULAR = {OPPORTUNITIES: "opportunity", WON_DEALS: "won deal"}
_SECONDS_PER_DAY = 86400.0


def count_of(n: int, noun: str) -> str:
    """``1 opportunity``, ``530 opportunities``, ``1 won deal``: a count with its noun.

    ``noun`` is plural; its singular is known for :data:`OPPORTUNITIES` and :data:`WON_DEALS`
    and for nouns ending in those (``marketing-sourced opportunities``).

    Examples
    --------
    >>> count_of(1, "won deals"), count_of(1_200, "opportunities")
    ('1 won deal', '1,200 opportunities')
    """
    if n != 1:
        return f"{n:,} {noun}"
    for plural, singular in _SINGULAR.items():
        if noun.endswith(plural):
            return f"1 {noun.removesuffix(plural)}{singular}"
    return f"1 {noun}"


class Amount(float):
    """A sum of opportunity amounts that knows the deals it is built from.

    A number (a ``float``: it adds, compares and formats like one) whose value is ``total``
    = Σ amount over the deals of the base that have one, except NaN (not in this data) when
    the base has deals and none of them has an amount; an empty base is a genuine 0.
    ``deals`` = deals in the base; ``missing`` = those without an amount; ``counted = deals −
    missing``. Arithmetic gives plain floats.

    Examples
    --------
    >>> part = Amount(4200.0, 5, 1)
    >>> part + 0, part.counted, part.partial, part.basis()
    (4200.0, 4, True, 'from 4 of 5 opportunities; 1 without an amount')
    >>> Amount(0.0, 2, 2, WON_DEALS).basis()
    'not in this data: no opportunity amounts (2 won deals without an amount)'
    >>> float(Amount(0.0, 0, 0))
    0.0
    """

    total: float
    deals: int
    missing: int
    noun: str

    def __new__(cls, total: float, deals: int, missing: int, noun: str = OPPORTUNITIES):
        """``Amount(total, deals, missing, noun)``; ``noun`` names the deals (plural)."""
        value = math.nan if deals and deals == missing else float(total)
        self = super().__new__(cls, value)
        self.total, self.deals, self.missing, self.noun = float(total), deals, missing, noun
        return self

    def __reduce__(self):
        return (Amount, (self.total, self.deals, self.missing, self.noun))

    def __repr__(self) -> str:
        return f"Amount({self.total!r}, {self.deals!r}, {self.missing!r}, {self.noun!r})"

    def __str__(self) -> str:
        return float.__repr__(self)  # printed as the number it is

    @property
    def counted(self) -> int:
        """Deals of the base with an amount."""
        return self.deals - self.missing

    @property
    def value(self) -> float:
        """The sum as a plain float; NaN when the base has deals and none with an amount."""
        return float(self)

    @property
    def known(self) -> bool:
        """Whether there is a value (every deal or some with an amount, or no deal)."""
        return not math.isnan(self)

    @property
    def partial(self) -> bool:
        """Some deals of the base have an amount and some do not."""
        return self.missing > 0 and self.counted > 0

    def basis(self) -> str:
        """Which deals the value is built from: ``""`` when all of them.

        ``"from k of n <noun>; m without an amount"`` when some lack one;
        ``"not in this data: no opportunity amounts (n <noun> without an amount)"`` when all do.
        """
        if not self.missing:
            return ""
        if not self.counted:
            return f"{NO_AMOUNTS} ({count_of(self.missing, self.noun)} without an amount)"
        return (
            f"from {self.counted:,} of {count_of(self.deals, self.noun)}; "
            f"{self.missing:,} without an amount"
        )


def _sum_known(amounts: pd.Series) -> float:
    """Σ of the amounts that are known; NaN when there are some and none is known; 0 if none."""
    if len(amounts) and amounts.isna().all():
        return math.nan
    return float(amounts.sum())


def _closed(
    opportunities: pd.DataFrame, status: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Opportunities with ``status`` whose ``closed_at`` is in ``[start, end)``."""
    mask = equals(opportunities["status"], status) & within(
        opportunities["closed_at"], start, end
    ).to_numpy(dtype=bool)
    return opportunities[mask]


def _by_source(chosen: pd.DataFrame) -> pd.DataFrame:
    """Count, amount, missing amounts and share of amount per source type, plus a total row.

    A row's amount is the sum of its known amounts: NaN when it has opportunities and none
    with an amount, 0 when it has none (see the module's rule on missing amounts). Counted
    with numpy on the source types' codes: a report asks this for every quarter of its
    trends, and a pandas group-by costs ten times as much on a few hundred deals.
    """
    codes, uniques = pd.factorize(chosen["source_type"], use_na_sentinel=True)
    names = [str(name) for name in uniques]
    if (codes < 0).any():  # no source type recorded: one row of its own
        if UNKNOWN_SOURCE not in names:
            names.append(UNKNOWN_SOURCE)
        codes = np.where(codes < 0, names.index(UNKNOWN_SOURCE), codes)
    amount = chosen["amount"].to_numpy(dtype="float64", na_value=np.nan)
    known = ~np.isnan(amount)
    width = len(names)
    count = np.bincount(codes, minlength=width)
    missing = np.bincount(codes, weights=~known, minlength=width).astype("int64")
    sums = np.bincount(codes, weights=np.where(known, amount, 0.0), minlength=width)
    at = {name: i for i, name in enumerate(names)}
    order = [*SOURCE_TYPES, *sorted(set(names) - set(SOURCE_TYPES))]
    rows_count = [int(count[at[n]]) if n in at else 0 for n in order]
    rows_missing = [int(missing[at[n]]) if n in at else 0 for n in order]
    rows_amount = [
        0.0 if c == 0 else (math.nan if c == m else float(sums[at[n]]))
        for n, c, m in zip(order, rows_count, rows_missing, strict=True)
    ]
    total = _sum_known(pd.Series(amount))
    table = pd.DataFrame(
        {
            "source_type": [*order, TOTAL],
            "opportunities": np.array([*rows_count, len(amount)], dtype="int64"),
            "amount": np.array([*rows_amount, total], dtype="float64"),
            "missing_amount": np.array([*rows_missing, int((~known).sum())], dtype="int64"),
        }
    )
    table["share"] = table["amount"] / total if total > 0 else np.nan
    return table


def amount_of(table: pd.DataFrame, row: str = TOTAL, noun: str = OPPORTUNITIES) -> Amount:
    """The :class:`Amount` of one row of :func:`pipeline_created` or :func:`won_revenue`.

    Examples
    --------
    >>> opps = pd.DataFrame({
    ...     "created_at": pd.to_datetime(["2026-07-01", "2026-08-01"]),
    ...     "amount": [300.0, None], "source_type": ["marketing", "sales"]})
    >>> total = amount_of(pipeline_created(opps, pd.Timestamp("2026-07-01"),
    ...                                    pd.Timestamp("2026-10-01")))
    >>> total.value, total.basis()
    (300.0, 'from 1 of 2 opportunities; 1 without an amount')
    """
    line = table.set_index("source_type").loc[row]
    amount = float(line["amount"])
    return Amount(
        0.0 if math.isnan(amount) else amount,
        int(line["opportunities"]),
        int(line["missing_amount"]),
        noun,
    )


def amount_reason(
    table: pd.DataFrame, rows: tuple[str, ...] = (TOTAL,), noun: str = OPPORTUNITIES
) -> str | None:
    """Why an amount of ``table`` is not in this data, or None when it is.

    The first of ``rows`` (source types or ``total``) that has opportunities and none with
    an amount gives ``"not in this data: no opportunity amounts (n <noun> without an
    amount)"``; a source type's row names it (``12 marketing-sourced opportunities``).
    """
    for row in rows:
        amount = amount_of(table, row, noun if row == TOTAL else f"{row}-sourced {noun}")
        if not amount.known:
            return amount.basis()
    return None


def pipeline_created(
    opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Pipeline created in ``[start, end)``: opportunities created in the window, by source type.

    ``amount`` = Σ amount of the opportunities created in the window that have one (NaN when
    a row has opportunities and none with an amount; 0 when it has none); ``missing_amount``
    = opportunities without an amount; ``share`` = amount / total amount. See the module's
    rule on missing amounts; :func:`amount_of` gives the total with its basis.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical ``opportunities`` (created_at, amount, source_type, ...).
    start, end : Timestamp
        The window ``[start, end)``.

    Returns
    -------
    DataFrame
        Columns source_type, opportunities (count), amount, missing_amount (count of
        opportunities without an amount), share (NaN when the total amount is 0 or not in
        this data, or the row's amount is). Rows ``marketing``, ``sales``, ``partner``
        (always present, zeros when empty), any other source type found (sorted), then
        ``total``.

    Examples
    --------
    >>> opps = pd.DataFrame({
    ...     "created_at": pd.to_datetime(["2026-07-01", "2026-08-01"]),
    ...     "amount": [300.0, 100.0], "source_type": ["marketing", "sales"]})
    >>> table = pipeline_created(opps, pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01"))
    >>> table.set_index("source_type")["share"].tolist()
    [0.75, 0.25, 0.0, 1.0]
    """
    created = opportunities[within(opportunities["created_at"], start, end).to_numpy(dtype=bool)]
    return _by_source(created)


def marketing_sourced_share(
    opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> float:
    """Marketing-sourced pipeline share = marketing pipeline amount / total pipeline amount.

    Both amounts are those of :func:`pipeline_created` for the window, over the opportunities
    that have an amount; NaN when the total is 0, or when the marketing or total amount is
    not in this data (opportunities, none with an amount).
    """
    return marketing_share_of(pipeline_created(opportunities, start, end))


def marketing_share_of(created: pd.DataFrame) -> float:
    """The marketing-sourced share of a :func:`pipeline_created` table: its marketing row's share.

    What :func:`marketing_sourced_share` returns for the table's window, for a caller that
    already has the table (a quarter's view keeps it).
    """
    return float(created.set_index("source_type").loc["marketing", "share"])


def won_revenue(
    opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Won revenue: opportunities won and closed in ``[start, end)``, by source type.

    ``amount`` = Σ amount of the won opportunities with ``closed_at`` in the window that have
    one (NaN when a row has won deals and none with an amount; 0 when it has none);
    ``missing_amount`` = won deals without an amount; ``share`` = amount / total amount.

    Returns
    -------
    DataFrame
        Same shape as :func:`pipeline_created`: columns source_type, opportunities (won
        deals), amount, missing_amount, share; rows marketing, sales, partner, any other
        source type, total.
    """
    return _by_source(_closed(opportunities, "won", start, end))


def amounts_line(created: pd.DataFrame, won: pd.DataFrame) -> str | None:
    """The pipeline section's one line on opportunities without an amount (None if there are none).

    Parameters
    ----------
    created, won : DataFrame
        :func:`pipeline_created` and :func:`won_revenue` of the same window.

    Returns
    -------
    str or None
        ``"Not in this data: no opportunity amounts (…), so no pipeline created, won revenue,
        …"`` when no deal of either base has an amount; ``"Opportunities without an amount:
        pipeline created is from 412 of 530 opportunities (118 without an amount); …"`` when
        some lack one; None when every deal has an amount.

    Examples
    --------
    >>> opps = pd.DataFrame({
    ...     "created_at": pd.to_datetime(["2026-07-01", "2026-08-01"]),
    ...     "closed_at": pd.to_datetime(["2026-08-01", None]),
    ...     "status": ["won", "open"], "amount": [None, None],
    ...     "source_type": ["marketing", "sales"]})
    >>> a, b = pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01")
    >>> print(amounts_line(pipeline_created(opps, a, b), won_revenue(opps, a, b)))
    ... # doctest: +NORMALIZE_WHITESPACE
    Not in this data: no opportunity amounts (2 opportunities created and 1 won deal in the
    quarter, none with an amount), so no pipeline created, won revenue, average deal size,
    sales velocity or marketing-sourced pipeline share.
    """
    bases = (
        ("pipeline created", amount_of(created, noun=OPPORTUNITIES), "created"),
        ("won revenue", amount_of(won, noun=WON_DEALS), ""),
    )
    if not any(amount.missing for _, amount, _ in bases):
        return None
    if all(not amount.counted for _, amount, _ in bases):
        deals = " and ".join(
            f"{count_of(amount.deals, amount.noun)}{f' {verb}' if verb else ''}"
            for _, amount, verb in bases
            if amount.deals
        )
        return (
            f"Not in this data: no opportunity amounts ({deals} in the quarter, none with an "
            "amount), so no pipeline created, won revenue, average deal size, sales velocity or "
            "marketing-sourced pipeline share."
        )
    parts = []
    for label, amount, _ in bases:
        if amount.partial:
            parts.append(
                f"{label} is from {amount.counted:,} of {count_of(amount.deals, amount.noun)} "
                f"({amount.missing:,} without an amount)"
            )
        elif not amount.known:
            parts.append(
                f"{label} is not in this data ({count_of(amount.deals, amount.noun)}, none with "
                "an amount)"
            )
    return (
        f"Opportunities without an amount: {'; '.join(parts)}. Average deal size, sales "
        "velocity and the marketing-sourced pipeline share use only the deals with an amount; "
        "none counts as 0."
    )


def won_deals(opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Won deals = number of opportunities won and closed in ``[start, end)``.

    Counted whether or not they have an amount (the count pair of :func:`won_revenue`).
    """
    return len(_closed(opportunities, "won", start, end))


def win_rate(opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> Rate:
    """Win rate = won / (won + lost), opportunities closed in ``[start, end)``.

    Open opportunities do not count. With no closed opportunity the rate is ``n/a``
    (denominator 0, value NaN).
    """
    won = len(_closed(opportunities, "won", start, end))
    lost = len(_closed(opportunities, "lost", start, end))
    return Rate(won, won + lost)


def average_deal_size(opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Average deal size = mean amount of the opportunities won and closed in ``[start, end)``.

    Won opportunities without an amount are left out of the mean (their size is unknown, not
    0); NaN when no won opportunity with an amount closed in the window.
    """
    amounts = _closed(opportunities, "won", start, end)["amount"].astype("float64").dropna()
    return float(amounts.mean()) if len(amounts) else math.nan


def sales_cycle_days(opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Sales cycle = median of (closed_at − created_at) in days, won opportunities closed in window.

    Days are fractional (24 h = 1 day); NaN when no opportunity was won in the window.
    """
    won = _closed(opportunities, "won", start, end)
    days = ((won["closed_at"] - won["created_at"]).dt.total_seconds() / _SECONDS_PER_DAY).dropna()
    return float(days.median()) if len(days) else math.nan


def open_at(opportunities: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    """Opportunities open at time ``at``: created before ``at`` and not closed before ``at``.

    A deal closed at or after ``at`` (or not closed, ``closed_at`` NaT) was still open then,
    whatever its status today.
    """
    created = (opportunities["created_at"] < at).to_numpy(dtype=bool)
    closed = (opportunities["closed_at"] < at).to_numpy(dtype=bool)  # NaT compares False
    return opportunities[created & ~closed]


def sales_velocity(opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Sales velocity (amount per day) at the end of ``[start, end)``.

    ``velocity = open opportunities × win rate × average deal size / sales cycle days``

    where *open opportunities* is the number open at ``end`` (:func:`open_at`) and win rate,
    average deal size and sales cycle are those of the window (:func:`win_rate`,
    :func:`average_deal_size`, :func:`sales_cycle_days`).

    The deal size is the mean of the won deals that have an amount, so velocity is NaN (not
    in this data) when no won deal of the window has one.

    Returns
    -------
    float
        NaN when the win rate, deal size or cycle is undefined (no deal closed or won in the
        window, or no won deal with an amount) or the cycle is 0 days; 0 when nothing is
        open.
    """
    return velocity(
        len(open_at(opportunities, end)),
        win_rate(opportunities, start, end).value,
        average_deal_size(opportunities, start, end),
        sales_cycle_days(opportunities, start, end),
    )


def velocity(open_deals: int, rate: float, deal: float, cycle: float) -> float:
    """``open_deals × rate × deal / cycle`` (:func:`sales_velocity` from its parts).

    NaN when the rate, deal size or cycle is NaN or the cycle is 0 days.
    """
    if any(math.isnan(part) for part in (rate, deal, cycle)) or cycle == 0:
        return math.nan
    return open_deals * rate * deal / cycle
