"""Quarter forecast: won revenue and won deals of a quarter as a distribution, with its backtest.

Method
------
The forecast of quarter ``[S, E)`` made at the as-of moment ``t`` (``S <= t <= E``) uses
only what was known at ``t`` (:func:`known_at`): the opportunities created before ``t``, a
deal counting as won or lost only if it closed before ``t`` and as open otherwise. Amounts
and creation dates are taken as the data holds them (an export keeps no history of edits).
Won revenue in the quarter is the sum of three parts:

1. **Won so far**: deals won in ``[S, t)``, known for certain.
2. **Open pipeline**: each deal open at ``t``, of age ``a`` (whole days since it was created;
   the data has no sales stage, so age is the stage proxy), wins before ``E`` with
   probability

   ``p(a) = won(a) / open(a)``

   over the team's *reference* deals: those created at least ``a + H`` days before ``t``
   (``H = E − t``, the days left), so that their first ``a + H`` days are fully known at
   ``t``. ``open(a)`` counts those still open at age ``a``, ``won(a)`` those of them won
   before age ``a + H``. This is the win probability by age and the time to close in one
   figure: a deal that usually takes longer than ``H`` to close has a small ``p``. When fewer
   than :data:`MIN_REFERENCE_DEALS` deals reach age ``a``, the oldest age that has as many is
   used instead.
3. **Deals still to be created**: over the last :data:`LOOKBACK_QUARTERS` complete quarters
   before ``t`` (at least :data:`MIN_HISTORY_QUARTERS`), the same part of each quarter
   (from the same day of the quarter to its end) gives the deals created there and those
   of them won before that quarter ended. The number of won new deals has mean

   ``λ = creation rate × in-quarter win share × H``, with creation rate = created / days of
   those windows and win share = won / created,

   and is Poisson around a mean that varies as it did between those quarters: a gamma
   mixture (negative binomial) whose variance is ``max(v − λ, 0) + v / K``, where ``v`` is
   the sample variance of the quarters' won new deals scaled to ``H`` days and ``K`` the
   number of quarters (spread beyond Poisson noise, plus the uncertainty of the mean).
   Each won new deal is sized by drawing (with replacement) from the amounts of those wins.

The distribution comes from :data:`SIMULATIONS` Monte Carlo draws with a fixed seed
(``numpy.random.Generator``). In each draw the win probability of each age is redrawn
around ``p(a)`` with the standard error of a share of its ``n`` reference deals,
``√(p (1 − p) / n)`` (normal, kept within [0, 1]; 0 and 1 stay exact), every open deal wins
or not with it, the number of won new deals is drawn as above, and the parts are added.
P10, P50 and P90 are the 10th, 50th and 90th percentiles of the draws (``inverted_cdf``: each
is a simulated outcome); the 80 % interval is P10–P90. Not modelled: seasonality (a busy
fourth quarter is not anticipated beyond what the last four quarters show) and growth within
the lookback.

Missing amounts are never 0 (see :mod:`helpers.metrics.pipeline`): a won or open deal
without an amount is sized by drawing from the amounts of the deals won from the start of
the lookback quarters to ``t``, and the forecast says how many were sized so. With no
amount at all the revenue forecast is *not in this data* and won deals are still forecast.

Backtest: for every earlier quarter the data allows, the forecast made at the same day of
that quarter (only what was known then; :data:`BACKTEST_SIMULATIONS` draws) against what was
won in it; *coverage* is the share of quarters whose actual lies in P10–P90 (80 % for a
well-calibrated forecast), and the error of the median is ``(P50 − actual) / actual``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.periods import Quarter
from ..data.schema import ALL_TEAMS
from ..metrics import pipeline
from ..metrics.scope import equals
from ..metrics.stats import Rate

SIMULATIONS = 10_000
"""Monte Carlo draws per forecast."""
BACKTEST_SIMULATIONS = 2_000
"""Monte Carlo draws per backtest quarter (each quarter's P10 / P90 within about 0.01)."""
DEFAULT_SEED = 20
"""Seed of the ``numpy.random.Generator`` (the same data and seed give the same forecast)."""
LOOKBACK_QUARTERS = 4
"""Complete quarters before the as-of day whose new deals give the creation rate and win share."""
MIN_HISTORY_QUARTERS = 2
"""Fewer complete quarters of deals before the as-of day: no forecast (too few quarters)."""
MIN_REFERENCE_DEALS = 10
"""Fewest reference deals behind an open deal's win probability (see the module's method)."""
PERCENTILES = (0.10, 0.50, 0.90)
NO_FORECAST = "not in this data"

_DAY = np.int64(86_400 * 10**9)
_NEVER = np.iinfo(np.int64).max  # closed_at of a deal still open (as known at t)
_EARLIEST = np.iinfo(np.int64).min
_CELLS_PER_CHUNK = 2_000_000  # simulations × open deals drawn at once

METHOD = (
    "Won revenue = won so far + the open deals that win before the quarter ends + new deals "
    "created and won in the rest of the quarter. An open deal of age a (days since created; "
    "the data has no stage, so age stands in for it) wins before the end with probability "
    "p(a) = won(a) / open(a) among the team's deals old enough to know: created at least "
    "a + H days before the as-of day (H = days left), open(a) still open at age a, won(a) "
    "won before age a + H. New won deals: mean = creation rate × in-quarter win share × H, "
    "from the same part of the last 4 complete quarters, Poisson around a mean that varies "
    "as it did between those quarters (negative binomial), each sized by drawing from the "
    "amounts of those wins. 10,000 Monte Carlo draws (fixed seed; each redraws p(a) within "
    "its standard error) give "
    "P10 / P50 / P90; only what was known on the as-of day is used. A deal without an amount "
    "is sized by drawing from recent won amounts, never 0. The backtest makes the same "
    "forecast (2,000 draws) on the same day of each earlier quarter from the data known "
    "then; coverage = share of quarters whose actual fell in P10–P90 (80 % if calibrated), "
    "error of the median = (P50 − actual) / actual."
)
"""The method in one paragraph, for the report section and the JSON."""


# --- what was known at a moment ---------------------------------------------------------------
def known_at(opportunities: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    """The opportunities as they stood at ``at``: nothing after it is visible.

    Deals created at or after ``at`` are dropped; a deal that closed at or after ``at`` (or
    never) is open, with ``closed_at`` NaT. Statuses are reconstructed from ``closed_at``:
    a deal is won or lost at ``at`` only if its status is so and it closed before ``at``.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical ``opportunities`` (created_at, status, amount, closed_at, ...).
    at : Timestamp
        The moment.

    Returns
    -------
    DataFrame
        The rows created before ``at`` (a copy), ``status`` and ``closed_at`` as of ``at``.

    Examples
    --------
    >>> opps = pd.DataFrame({
    ...     "created_at": pd.to_datetime(["2026-01-05", "2026-02-01", "2026-05-01"]),
    ...     "status": ["won", "lost", "open"], "amount": [10.0, 20.0, 30.0],
    ...     "closed_at": pd.to_datetime(["2026-01-20", "2026-04-10", None])})
    >>> known_at(opps, pd.Timestamp("2026-04-01"))[["status", "closed_at"]]
      status  closed_at
    0    won 2026-01-20
    1   open        NaT
    """
    created = (opportunities["created_at"] < at).to_numpy(dtype=bool)
    frame = opportunities[created].copy()
    closed_by = _closed_before(frame, at)
    frame["status"] = np.where(closed_by, frame["status"].astype("object"), "open")
    frame["closed_at"] = frame["closed_at"].where(closed_by)
    return frame


def _closed_before(frame: pd.DataFrame, at: pd.Timestamp) -> np.ndarray:
    closed = np.isin(frame["status"].astype("object").to_numpy(), ["won", "lost"])
    return closed & (frame["closed_at"] < at).to_numpy(dtype=bool)  # NaT compares False


@dataclass(frozen=True)
class _Deals:
    """Deals as known at ``at`` in nanoseconds: created, closed (``_NEVER`` if open), won."""

    created: np.ndarray
    closed: np.ndarray
    won: np.ndarray
    amount: np.ndarray

    @classmethod
    def at(cls, opportunities: pd.DataFrame, at: pd.Timestamp) -> _Deals:
        frame = known_at(opportunities, at)
        created = _ns(frame["created_at"])
        closed_known = frame["closed_at"].notna().to_numpy()
        closed = np.where(closed_known, _ns(frame["closed_at"].fillna(at)), _NEVER)
        won = equals(frame["status"], "won")
        amount = frame["amount"].astype("float64").to_numpy()
        return cls(created, closed, won, amount)


def _ns(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="datetime64[ns]").astype("int64")


def _stamp(value: pd.Timestamp) -> np.int64:
    return np.int64(pd.Timestamp(value).as_unit("ns").value)


# --- the forecast -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Forecast:
    """A quarter's won revenue and won deals as a distribution, made at ``as_of``.

    ``revenue`` and ``deals`` map ``p10``, ``p50``, ``p90`` and ``mean`` to numbers (NaN
    when not in this data); ``reason`` says why there is no forecast at all,
    ``revenue_reason`` why there is no revenue forecast (no amounts). The parts: won so far
    (count and amount), open deals (count, their expected wins and revenue), new deals
    (expected won and the rates behind them), and ``sized`` = won or open deals without an
    amount, sized by drawing from recent won amounts.
    """

    quarter: Quarter
    as_of: pd.Timestamp
    revenue: dict[str, float]
    deals: dict[str, float]
    reason: str | None = None
    revenue_reason: str | None = None
    won_so_far: int = 0
    won_so_far_amount: float = math.nan
    open_deals: int = 0
    open_amount: float = math.nan
    open_expected_wins: float = math.nan
    open_expected_revenue: float = math.nan
    new_created_per_day: float = math.nan
    new_win_share: Rate | None = None
    new_expected_wins: float = math.nan
    new_mean_amount: float = math.nan
    history_quarters: tuple[str, ...] = ()
    sized: int = 0
    simulations: int = SIMULATIONS
    seed: int = DEFAULT_SEED
    win_probabilities: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def available(self) -> bool:
        """Whether there is a forecast (of won deals at least)."""
        return self.reason is None

    @property
    def days_left(self) -> float:
        """Days from the as-of moment to the quarter's end."""
        return (self.quarter.end - self.as_of) / pd.Timedelta(days=1)


def _unavailable(quarter: Quarter, at: pd.Timestamp, reason: str, **parts) -> Forecast:
    empty = dict.fromkeys(("p10", "p50", "p90", "mean"), math.nan)
    return Forecast(quarter, at, dict(empty), dict(empty), reason=reason, **parts)


def history_quarters(
    opportunities: pd.DataFrame,
    quarter: Quarter,
    at: pd.Timestamp,
    lookback: int,
    first_quarter: Quarter | None = None,
) -> list[Quarter]:
    """The complete quarters before ``at`` with deal history, newest first, at most ``lookback``.

    History starts at the quarter of the first deal created before ``at``, or at
    ``first_quarter`` when that is later (the data's first quarter: deals dated before the
    lead export starts are a back-fill, not a quarter's worth of deals); a quarter counts
    when it ended by ``at``.
    """
    created = opportunities["created_at"]
    created = created[(created < at).to_numpy(dtype=bool)]
    if not len(created):
        return []
    first = Quarter.containing(created.min(), quarter.start_month)
    if first_quarter is not None:
        first = max(first, first_quarter)
    out = []
    candidate = Quarter.containing(at - pd.Timedelta(microseconds=1), quarter.start_month)
    while candidate >= first and len(out) < lookback:
        if candidate.end <= at:
            out.append(candidate)
        candidate = candidate.shift(-1)
    return out


def _open_win_probabilities(
    deals: _Deals,
    ages: np.ndarray,
    at: np.int64,
    horizon: np.int64,
    minimum: int,
    since: np.int64 = _EARLIEST,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """``p(a)`` for each whole-day age in ``ages``: won(a), open(a) and the age used.

    Reference deals are those created from ``since`` on (the earliest time whose deals were
    all read). Returns won counts, reference counts, ages used (capped at the oldest age
    with ``minimum`` reference deals) and that cap (-1 when even age 0 has too few).
    """
    duration = deals.closed - deals.created  # huge for deals still open at t
    readable = deals.created >= since

    def counts(age_days: int) -> tuple[int, int]:
        age = np.int64(age_days) * _DAY
        reference = readable & (deals.created <= at - age - horizon) & (duration >= age)
        won = reference & deals.won & (duration < age + horizon)
        return int(won.sum()), int(reference.sum())

    if not len(ages):  # nothing open: no win probability needed
        return np.zeros(0), np.zeros(0), ages, 0
    if counts(0)[1] < minimum:
        return np.zeros(len(ages)), np.zeros(len(ages)), ages, -1
    low, high = 0, int(ages.max())
    if counts(high)[1] >= minimum:
        cap = high
    else:  # open(a) never grows with a: the largest age with enough deals, by bisection
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if counts(middle)[1] >= minimum else (low, middle)
        cap = low
    used = np.minimum(ages, cap)
    unique = np.unique(used)
    table = {int(a): counts(int(a)) for a in unique}
    won = np.array([table[int(a)][0] for a in used], dtype="float64")
    reference = np.array([table[int(a)][1] for a in used], dtype="float64")
    return won, reference, used, cap


def forecast_quarter(
    opportunities: pd.DataFrame,
    quarter: Quarter,
    as_of: pd.Timestamp,
    *,
    seed: int = DEFAULT_SEED,
    simulations: int = SIMULATIONS,
    lookback: int = LOOKBACK_QUARTERS,
    min_history: int = MIN_HISTORY_QUARTERS,
    min_reference: int = MIN_REFERENCE_DEALS,
    first_quarter: Quarter | None = None,
    history_start: pd.Timestamp | None = None,
) -> Forecast:
    """Won revenue and won deals of ``quarter`` as forecast at ``as_of`` (see the module's method).

    Only what was known at ``as_of`` is used (:func:`known_at`): passing the table with
    later rows, statuses and close dates gives the same forecast.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical ``opportunities`` of one team (or all), as complete as the data holds.
    quarter : Quarter
        The quarter ``[S, E)`` to forecast.
    as_of : Timestamp
        The moment of the forecast, ``S <= as_of <= E``.
    seed, simulations : int
        Monte Carlo seed and number of draws.
    lookback, min_history, min_reference : int
        Quarters of history for new deals, fewest quarters for a forecast, fewest reference
        deals behind an open deal's win probability.
    first_quarter : Quarter, optional
        The data's first quarter (``Dataset.quarters[0]``): history quarters start there at
        the earliest (see :func:`history_quarters`).
    history_start : Timestamp, optional
        The earliest moment from which every deal was read (a database read for one report
        holds deals created before it only when they closed after it or are open): reference
        deals are created from it on, history quarters start at or after it.

    Returns
    -------
    Forecast
        ``reason`` set (``"not in this data: …"``) and NaN figures when there are fewer than
        ``min_history`` complete quarters of deals before ``as_of`` or fewer than
        ``min_reference`` deals old enough to estimate win probabilities.

    Raises
    ------
    ValueError
        When ``as_of`` is outside the quarter.

    Examples
    --------
    Twelve deals created on 5 January all won 100 days later; on 1 August (61 days left in
    2026Q3) one deal of age 50 days is open: a deal of that age won within 111 days in 12 of
    12 cases, so it wins in every draw. Nothing was won in the same part of 2026Q1 or 2026Q2,
    so no new deal is expected.

    >>> old = [("2026-01-05", "won", 500.0, "2026-04-15")] * 12
    >>> opps = pd.DataFrame(old + [("2026-06-12", "open", 2000.0, None)],
    ...                     columns=["created_at", "status", "amount", "closed_at"])
    >>> opps[["created_at", "closed_at"]] = opps[["created_at", "closed_at"]].apply(
    ...     pd.to_datetime)
    >>> result = forecast_quarter(opps, Quarter(2026, 3), pd.Timestamp("2026-08-01"))
    >>> result.revenue["p10"], result.revenue["p90"], result.deals["p50"]
    (2000.0, 2000.0, 1.0)
    """
    at = pd.Timestamp(as_of)
    if not quarter.start <= at <= quarter.end:
        raise ValueError(f"as_of {at} is outside {quarter} ({quarter.start} to {quarter.end})")
    if history_start is not None:
        readable = Quarter.containing(pd.Timestamp(history_start), quarter.start_month)
        readable = readable if readable.start >= history_start else readable.shift(1)
        first_quarter = readable if first_quarter is None else max(first_quarter, readable)
    history = history_quarters(opportunities, quarter, at, lookback, first_quarter)
    if len(history) < min_history:
        return _unavailable(
            quarter,
            at,
            f"{NO_FORECAST}: {len(history)} complete quarter(s) of opportunities before "
            f"{at.date()}, the forecast needs at least {min_history}",
        )
    deals = _Deals.at(opportunities, at)
    t, end, start = _stamp(at), _stamp(quarter.end), _stamp(quarter.start)
    horizon = end - t

    # 1. won so far
    so_far = deals.won & (deals.closed >= start) & (deals.closed < t)
    # 2. open pipeline
    is_open = deals.closed == _NEVER
    ages = (t - deals.created[is_open]) // _DAY
    since = _EARLIEST if history_start is None else _stamp(history_start)
    won_ref, reference, used, cap = _open_win_probabilities(
        deals, ages, t, horizon, min_reference, since
    )
    if cap < 0:
        return _unavailable(
            quarter,
            at,
            f"{NO_FORECAST}: fewer than {min_reference} opportunities created at least "
            f"{horizon / _DAY:.0f} days before {at.date()}, too few to estimate win "
            "probabilities",
            history_quarters=tuple(str(q) for q in history),
        )
    probability = np.divide(won_ref, reference, out=np.zeros(len(ages)), where=reference > 0)
    # 3. new deals: the same part of each history quarter
    offset = at - quarter.start
    created_new, won_new, window_days, new_amounts, scaled = 0, 0, 0.0, [], []
    for past in history:
        p_start = _stamp(min(past.start + offset, past.end))
        p_end = _stamp(past.end)
        created = (deals.created >= p_start) & (deals.created < p_end)
        won = created & deals.won & (deals.closed < p_end)
        created_new += int(created.sum())
        won_new += int(won.sum())
        window_days += float(p_end - p_start) / _DAY
        new_amounts.append(deals.amount[won])
        if p_end > p_start:  # that quarter's won new deals scaled to the days left
            scaled.append(int(won.sum()) * float(horizon) / float(p_end - p_start))
    per_day = created_new / window_days if window_days else 0.0
    share = Rate(won_new, created_new)
    expected_new = per_day * (0.0 if math.isnan(share.value) else share.value) * (horizon / _DAY)
    spread = _rate_variance(np.array(scaled), expected_new)
    new_pool = np.concatenate(new_amounts) if new_amounts else np.array([])
    new_pool = new_pool[~np.isnan(new_pool)]
    # Sizing pool for deals without an amount: deals won since the history quarters began.
    span_start = _stamp(history[-1].start)
    recent = deals.won & (deals.closed >= span_start) & (deals.closed < t)
    sizing = deals.amount[recent]
    sizing = sizing[~np.isnan(sizing)]
    if not len(new_pool):
        new_pool = sizing

    open_amount = deals.amount[is_open]
    so_far_amount = deals.amount[so_far]
    needs_size = int(np.isnan(open_amount).sum() + np.isnan(so_far_amount).sum())
    no_amounts = not len(sizing) and (needs_size or (expected_new > 0 and not len(new_pool)))
    revenue_reason = (
        f"{NO_FORECAST}: no opportunity amounts among the deals won before {at.date()}, "
        "so no revenue forecast (won deals are forecast)"
        if no_amounts
        else None
    )
    rng = np.random.default_rng(seed)
    revenue, won_count = _simulate(
        rng,
        probability,
        reference,
        used,
        open_amount,
        so_far_amount,
        expected_new,
        spread,
        new_pool,
        sizing,
        simulations,
        with_amounts=revenue_reason is None,
    )
    revenue_figures = _percentiles(revenue)
    table = pd.DataFrame(
        {
            "age_days": ages.astype("int64"),
            "age_used": used.astype("int64"),
            "reference_deals": reference.astype("int64"),
            "reference_won": won_ref.astype("int64"),
            "win_probability": probability,
            "amount": open_amount,
        }
    )
    return Forecast(
        quarter=quarter,
        as_of=at,
        revenue=revenue_figures,
        deals=_percentiles(won_count),
        revenue_reason=revenue_reason,
        won_so_far=int(so_far.sum()),
        won_so_far_amount=_known_sum(so_far_amount),
        open_deals=int(is_open.sum()),
        open_amount=_known_sum(open_amount),
        open_expected_wins=float(probability.sum()),
        open_expected_revenue=float(np.nansum(probability * open_amount))
        if not np.isnan(open_amount).any()
        else math.nan,
        new_created_per_day=per_day,
        new_win_share=share,
        new_expected_wins=expected_new,
        new_mean_amount=float(new_pool.mean()) if len(new_pool) else math.nan,
        history_quarters=tuple(str(q) for q in history),
        sized=needs_size if revenue_reason is None else 0,
        simulations=simulations,
        seed=seed,
        win_probabilities=table,
    )


def _simulate(
    rng: np.random.Generator,
    probability: np.ndarray,
    reference: np.ndarray,
    age_used: np.ndarray,
    open_amount: np.ndarray,
    so_far_amount: np.ndarray,
    expected_new: float,
    spread: float,
    new_pool: np.ndarray,
    sizing: np.ndarray,
    simulations: int,
    *,
    with_amounts: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo draws of (won revenue, won deals); revenue NaN without amounts.

    In each draw the win probability of each age is itself drawn around ``p`` with the
    standard error of a share of ``n`` reference deals, ``√(p (1 − p) / n)`` (normal, kept
    within [0, 1]; shared by the open deals of that age; 0 and 1 stay exact); each open deal
    then wins with its age's probability. Won new deals are Poisson(λ) with
    λ gamma-distributed around ``expected_new`` with variance ``spread`` (a negative
    binomial); ``spread`` 0 is a plain Poisson.
    """
    n_open = len(probability)
    ages, group = np.unique(age_used, return_inverse=True)
    first_of = np.zeros(len(ages), dtype="int64")
    first_of[group[::-1]] = np.arange(n_open)[::-1]  # one deal of each age
    group_p = probability[first_of].astype(np.float32)
    group_se = np.sqrt(group_p * (1 - group_p) / np.maximum(reference[first_of], 1)).astype(
        np.float32
    )
    revenue = np.zeros(simulations)
    count = np.full(simulations, float(len(so_far_amount)))
    known_so_far = float(np.nansum(so_far_amount))
    unknown_so_far = int(np.isnan(so_far_amount).sum())
    unknown_open = np.isnan(open_amount)
    fixed_open = np.where(unknown_open, 0.0, open_amount)
    chunk = max(1, min(simulations, _CELLS_PER_CHUNK // max(n_open, 1)))
    for first in range(0, simulations, chunk):
        size = min(chunk, simulations - first)
        rows = slice(first, first + size)
        noise = rng.standard_normal((size, len(ages)), dtype=np.float32)
        shares = np.clip(group_p + noise * group_se, 0.0, 1.0)
        # Single precision halves the memory traffic; p = 0 and p = 1 stay exact.
        uniform = rng.random((size, n_open), dtype=np.float32)
        won = (uniform < shares.astype(np.float32)[:, group]).astype(np.float64)
        count[rows] += won.sum(axis=1)
        if with_amounts:
            revenue[rows] = won @ fixed_open + known_so_far  # a matrix-vector product
            if unknown_open.any():
                sizes = rng.choice(sizing, size=(size, int(unknown_open.sum())))
                revenue[rows] += (won[:, unknown_open] * sizes).sum(axis=1)
            if unknown_so_far:
                revenue[rows] += rng.choice(sizing, size=(size, unknown_so_far)).sum(axis=1)
    if expected_new > 0 and spread > 0:
        shape = expected_new**2 / spread
        new = rng.poisson(rng.gamma(shape, expected_new / shape, simulations))
    elif expected_new > 0:
        new = rng.poisson(expected_new, simulations)
    else:
        new = np.zeros(simulations, dtype="int64")
    count += new
    if with_amounts and new.sum():
        drawn = rng.choice(new_pool, size=int(new.sum()))
        owner = np.repeat(np.arange(simulations), new.astype("int64"))
        revenue += np.bincount(owner, weights=drawn, minlength=simulations)
    if not with_amounts:
        revenue[:] = math.nan
    return revenue, count


def _rate_variance(scaled: np.ndarray, expected: float) -> float:
    """Variance of the mean number of won new deals: between quarters + of its estimate.

    ``scaled`` are the history quarters' won new deals scaled to the days left, ``v`` their
    sample variance over ``K`` quarters: ``max(v − expected, 0)`` is what the quarters vary
    beyond Poisson noise, ``v / K`` the uncertainty of the mean itself. 0 with fewer than two
    quarters or no new deals expected.
    """
    if len(scaled) < 2 or expected <= 0:
        return 0.0
    variance = float(np.var(scaled, ddof=1))
    return max(variance - expected, 0.0) + variance / len(scaled)


def _known_sum(amounts: np.ndarray) -> float:
    """Σ of the known amounts: NaN when there are deals and none has one (never 0)."""
    missing = int(np.isnan(amounts).sum())
    return pipeline.Amount(float(np.nansum(amounts)), len(amounts), missing).value


def _percentiles(draws: np.ndarray) -> dict[str, float]:
    if np.isnan(draws).all():
        return dict.fromkeys(("p10", "p50", "p90", "mean"), math.nan)
    low, median, high = np.quantile(draws, PERCENTILES, method="inverted_cdf")
    return {
        "p10": float(low),
        "p50": float(median),
        "p90": float(high),
        "mean": float(draws.mean()),
    }


# --- backtest ---------------------------------------------------------------------------------
BACKTEST_COLUMNS = (
    "quarter", "as_of", "p10", "p50", "p90", "actual", "covered", "error",
    "deals_p10", "deals_p50", "deals_p90", "deals_actual", "deals_covered", "deals_error",
)  # fmt: skip
"""Columns of :func:`backtest`: revenue figures, then the same for won deals."""


def actual_won(opportunities: pd.DataFrame, quarter: Quarter) -> tuple[float, int]:
    """What was won in ``quarter``: (won revenue, won deals), as :mod:`~helpers.metrics.pipeline`.

    The revenue is NaN when a won deal of the quarter has no amount (the actual is then
    unknown, and a sum of the known ones would be a lower bound, not the actual).
    """
    won = pipeline.amount_of(
        pipeline.won_revenue(opportunities, quarter.start, quarter.end), noun=pipeline.WON_DEALS
    )
    revenue = won.value if not won.missing else math.nan
    return revenue, pipeline.won_deals(opportunities, quarter.start, quarter.end)


def backtest(
    opportunities: pd.DataFrame,
    quarters: list[Quarter],
    offset: pd.Timedelta,
    **options,
) -> pd.DataFrame:
    """The forecast each of ``quarters`` would have had ``offset`` into it, against its actual.

    For quarter ``[S, E)`` the forecast is :func:`forecast_quarter` at ``min(S + offset, E)``
    from what was known then; the actual is :func:`actual_won` of the whole quarter.
    ``covered`` = P10 ≤ actual ≤ P90; ``error`` = (P50 − actual) / actual (NaN when the
    actual is 0 or unknown). Quarters without a forecast (too little history) are left out.

    Parameters
    ----------
    opportunities : DataFrame
        Canonical ``opportunities`` of one team (or all), the whole data.
    quarters : list of Quarter
        Complete quarters to test, oldest first.
    offset : Timedelta
        Time into each quarter at which its forecast is made.
    **options
        Passed to :func:`forecast_quarter` (seed, simulations, ...).

    Returns
    -------
    DataFrame
        One row per quarter with a forecast; columns :data:`BACKTEST_COLUMNS`.
    """
    rows = []
    for quarter in quarters:
        at = min(quarter.start + offset, quarter.end)
        result = forecast_quarter(opportunities, quarter, at, **options)
        if not result.available:
            continue
        revenue, deals = actual_won(opportunities, quarter)
        rows.append(
            {
                "quarter": str(quarter),
                "as_of": at,
                **{k: result.revenue[k] for k in ("p10", "p50", "p90")},
                "actual": revenue,
                **{f"deals_{k}": result.deals[k] for k in ("p10", "p50", "p90")},
                "deals_actual": float(deals),
            }
        )
    table = pd.DataFrame(rows, columns=[c for c in BACKTEST_COLUMNS if c not in _DERIVED])
    table = table.astype({c: "float64" for c in table.columns if c not in ("quarter", "as_of")})
    for prefix in ("", "deals_"):
        low, high = table[f"{prefix}p10"], table[f"{prefix}p90"]
        actual, median = table[f"{prefix}actual"], table[f"{prefix}p50"]
        known = actual.notna() & low.notna()
        table[f"{prefix}covered"] = ((low <= actual) & (actual <= high)).where(known)
        table[f"{prefix}error"] = ((median - actual) / actual.where(actual != 0)).astype("float64")
    return table[list(BACKTEST_COLUMNS)]


_DERIVED = ("covered", "error", "deals_covered", "deals_error")


def coverage(table: pd.DataFrame, prefix: str = "") -> Rate:
    """Share of backtest quarters whose actual lies in the 80 % interval: covered / tested.

    ``covered`` = quarters with ``P10 ≤ actual ≤ P90``; tested = quarters with both a forecast
    and a known actual. A calibrated forecast covers about 80 %; the :class:`Rate` carries
    the 95 % Wilson interval, wide on a handful of quarters.

    Parameters
    ----------
    table : DataFrame
        Columns ``{prefix}p10``, ``{prefix}p90``, ``{prefix}actual`` (as :func:`backtest`).
    prefix : str
        ``""`` for won revenue, ``"deals_"`` for won deals.

    Examples
    --------
    >>> table = pd.DataFrame({"p10": [1.0, 1.0, 1.0], "p90": [3.0, 3.0, 3.0],
    ...                       "actual": [2.0, 3.0, 4.0]})
    >>> coverage(table)
    Rate(numerator=2, denominator=3)
    """
    low, high, actual = (table[f"{prefix}{c}"] for c in ("p10", "p90", "actual"))
    tested = (low.notna() & high.notna() & actual.notna()).to_numpy(dtype=bool)
    covered = ((low <= actual) & (actual <= high)).to_numpy(dtype=bool) & tested
    return Rate(int(covered.sum()), int(tested.sum()))


def covered_mark(covered) -> str:
    """``yes``, ``no`` or ``n/a`` (no known actual) for a backtest row's ``covered``."""
    if covered is None or (isinstance(covered, float) and math.isnan(covered)):
        return "n/a"
    return "yes" if covered else "no"


def median_errors(table: pd.DataFrame, prefix: str = "") -> dict[str, float]:
    """Error of the median over the backtest: ``median |P50 − actual| / actual`` and the bias.

    ``median_abs_error`` = median over quarters of |P50 − actual| / actual; ``mean_error`` =
    mean of (P50 − actual) / actual (above 0: the median forecast ran high). Quarters whose
    actual is 0 or unknown are left out; NaN with none left.
    """
    actual, median = table[f"{prefix}actual"], table[f"{prefix}p50"]
    relative = ((median - actual) / actual.where(actual != 0)).dropna()
    if not len(relative):
        return {"median_abs_error": math.nan, "mean_error": math.nan}
    return {
        "median_abs_error": float(relative.abs().median()),
        "mean_error": float(relative.mean()),
    }


# --- one team's forecast with its backtest, from a loaded workbook ----------------------------
@dataclass(frozen=True)
class ForecastReport:
    """A team's quarter forecast beside its backtest (what ``workbook forecast`` prints).

    ``line`` is the one line a reader sees instead of the forecast when it cannot be made
    (``"Not in this data: …"``), else None; ``actual`` is what was won in the quarter when
    it had ended by the data's as-of date (revenue, deals), else None.
    """

    team: str
    team_name: str
    forecast: Forecast
    backtest: pd.DataFrame
    actual: tuple[float, int] | None = None
    line: str | None = None
    currency: str = ""

    @property
    def revenue_coverage(self) -> Rate:
        """Backtest quarters whose won revenue fell in P10–P90 (see :func:`coverage`)."""
        return coverage(self.backtest)

    @property
    def deals_coverage(self) -> Rate:
        """Backtest quarters whose won deals fell in P10–P90."""
        return coverage(self.backtest, "deals_")

    @property
    def backtest_line(self) -> str | None:
        """Why there is no backtest (one line), or None."""
        if len(self.backtest):
            return None
        return (
            "Not in this data: no earlier quarter with enough history for a backtest (a "
            f"forecast needs {MIN_HISTORY_QUARTERS} complete quarters of opportunities and "
            f"{MIN_REFERENCE_DEALS} deals old enough before its day), so the forecast's past "
            "accuracy cannot be shown."
        )

    def to_dict(self) -> dict:
        """The forecast and backtest as plain JSON-ready values (missing figures are None)."""
        f = self.forecast
        backtest = []
        for row in self.backtest.to_dict("records"):
            row["as_of"] = row["as_of"].date().isoformat()
            backtest.append({k: _plain(v) for k, v in row.items()})
        share = f.new_win_share
        return {
            "team": self.team,
            "quarter": str(f.quarter),
            "as_of": f.as_of.date().isoformat(),
            "available": self.line is None,
            "reason": self.line,
            "won_revenue": {
                **{k: _plain(f.revenue[k]) for k in ("p10", "p50", "p90", "mean")},
                "reason": f.revenue_reason,
            },
            "won_deals": {k: _plain(f.deals[k]) for k in ("p10", "p50", "p90", "mean")},
            "parts": {
                "won_so_far": {"deals": f.won_so_far, "amount": _plain(f.won_so_far_amount)},
                "open_pipeline": {
                    "deals": f.open_deals,
                    "amount": _plain(f.open_amount),
                    "expected_wins": _plain(f.open_expected_wins),
                    "expected_revenue": _plain(f.open_expected_revenue),
                },
                "new_deals": {
                    "created_per_day": _plain(f.new_created_per_day),
                    "win_share": None if share is None else _plain(share.value),
                    "won": None if share is None else share.numerator,
                    "created": None if share is None else share.denominator,
                    "expected_wins": _plain(f.new_expected_wins),
                    "mean_amount": _plain(f.new_mean_amount),
                },
                "sized_without_amount": f.sized,
            },
            "history_quarters": list(f.history_quarters),
            "simulations": f.simulations,
            "seed": f.seed,
            "actual": None
            if self.actual is None
            else {"won_revenue": _plain(self.actual[0]), "won_deals": self.actual[1]},
            "backtest": {
                "reason": self.backtest_line,
                "revenue_coverage": _rate(self.revenue_coverage),
                "deals_coverage": _rate(self.deals_coverage),
                "revenue_median_error": {
                    k: _plain(v) for k, v in median_errors(self.backtest).items()
                },
                "deals_median_error": {
                    k: _plain(v) for k, v in median_errors(self.backtest, "deals_").items()
                },
                "quarters": backtest,
            },
            "method": METHOD,
        }


def _plain(value):
    """JSON has no NaN: a missing figure is None; numpy scalars become Python numbers."""
    if value is None or isinstance(value, bool | str):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, float | int):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    return value


def _rate(rate: Rate) -> dict:
    low, high = rate.interval
    return {
        "covered": rate.numerator,
        "quarters": rate.denominator,
        "value": _plain(rate.value),
        "ci_low": _plain(low),
        "ci_high": _plain(high),
    }


def team_forecast(
    workbook,
    team: str = ALL_TEAMS,
    quarter: Quarter | str | None = None,
    as_of: pd.Timestamp | str | None = None,
    *,
    seed: int = DEFAULT_SEED,
    simulations: int = SIMULATIONS,
    backtest_simulations: int = BACKTEST_SIMULATIONS,
) -> ForecastReport:
    """The forecast of ``quarter`` for ``team`` made at ``as_of``, with its backtest.

    Parameters
    ----------
    workbook : Workbook
        A loaded data source (:class:`helpers.analysis.workbook.Workbook`).
    team : str
        Team id or ``all`` (checked against the data).
    quarter : Quarter or str, optional
        Default: the quarter that holds the data's as-of date (the current quarter).
    as_of : Timestamp or str, optional
        The day of the forecast, within the quarter and not after the data's as-of date.
        Default: the data's as-of date for the current quarter; for an earlier quarter the
        same day of that quarter (as many days into it as the as-of date is into its own).
    seed, simulations : int
        Monte Carlo seed and draws.
    backtest_simulations : int
        Draws of each backtest quarter's forecast (at most ``simulations``): its P10 and P90
        need less precision than the forecast shown, and the backtest makes one per quarter.

    Returns
    -------
    ForecastReport
        The backtest covers every complete quarter before ``quarter`` that has enough
        history, each forecast made as many days into it as ``as_of`` is into ``quarter``.

    Raises
    ------
    ParameterError
        For an unknown team, a quarter after the current one or before the data, or an as-of
        day outside the quarter or after the data's as-of date.
    """
    from ..errors import ParameterError

    dataset = workbook.dataset
    team = dataset.check_team(team)
    fy = dataset.config.fiscal_year_start_month
    data_as_of = dataset.as_of
    current = Quarter.containing(data_as_of, fy)
    if quarter is None:
        quarter = current
    elif not isinstance(quarter, Quarter):
        quarter = Quarter.parse(str(quarter), fy)
    first = dataset.quarters[0]
    if quarter > current or quarter < first:
        raise ParameterError(
            f"quarter {quarter} cannot be forecast: the data cover {first} to {current} (the "
            f"quarter of the as-of date {data_as_of.date()}); pick a quarter in that range."
        )
    if as_of is None:
        offset = data_as_of - current.start
        at = data_as_of if quarter == current else min(quarter.start + offset, quarter.end)
    else:
        try:
            at = pd.Timestamp(as_of)
        except (TypeError, ValueError) as err:
            raise ParameterError(
                f"as-of day {as_of!r} is not a date; write it as YYYY-MM-DD, e.g. "
                f"{quarter.start.date()}."
            ) from err
        if not (quarter.start <= at <= quarter.end) or at > data_as_of:
            last = min(quarter.end, data_as_of)
            raise ParameterError(
                f"as-of day {at.date()} is outside {quarter} as the data know it; pick a day "
                f"from {quarter.start.date()} to {last.date()}."
            )
    opportunities = workbook.tables_for(team)["opportunities"]
    # A database read for one report holds only the deals from scope.since on (and those
    # still open then): nothing earlier serves as history.
    options = {
        "seed": seed,
        "simulations": simulations,
        "first_quarter": first,
        "history_start": workbook.scope.since,
    }
    complete = [q for q in dataset.quarters if q.end <= data_as_of and q < quarter]
    tested = {**options, "simulations": min(simulations, backtest_simulations)}
    history = backtest(opportunities, complete, at - quarter.start, **tested)
    actual = actual_won(opportunities, quarter) if quarter.end <= data_as_of else None
    name = dataset.team_name(team)
    currency = dataset.config.currency
    if not dataset.has("opportunities"):
        line = "Not in this data: no opportunities table, so no quarter forecast."
        result = _unavailable(quarter, at, line)
        return ForecastReport(team, name, result, history, None, line, currency)
    result = forecast_quarter(opportunities, quarter, at, **options)
    line = None
    if not result.available:
        why = result.reason.removeprefix(f"{NO_FORECAST}: ")
        line = f"Not in this data: {why}, so no forecast."
    elif at >= data_as_of and not equals(dataset["opportunities"]["status"], "open").any():
        line = (
            "Not in this data: no open opportunities (the data hold won and lost deals only), "
            "so no open pipeline to forecast from."
        )
    return ForecastReport(team, name, result, history, actual, line, currency)


def review_forecast(view, **options) -> ForecastReport:
    """The forecast a quarterly review shows: the next quarter as of the end of this one.

    For a complete report quarter Q: Q+1 as of Q's end (the day of the review); for a
    quarter still running: that quarter as of the data's as-of date.

    Parameters
    ----------
    view : TeamQuarter
        The report's team and quarter.
    **options
        Passed to :func:`team_forecast` (seed, simulations).
    """
    if view.complete:
        return team_forecast(
            view.workbook, view.team, view.quarter.shift(1), view.quarter.end, **options
        )
    return team_forecast(view.workbook, view.team, view.quarter, view.as_of, **options)


SCHEMA = "alignment-workbook/forecast/v1"
"""Version of ``workbook forecast --format json`` (fields are only ever added)."""


def forecast_json(report: ForecastReport) -> str:
    """``workbook forecast --format json``: schema, then :meth:`ForecastReport.to_dict`."""
    import json

    return json.dumps({"schema": SCHEMA, **report.to_dict()}, indent=2, ensure_ascii=False)
