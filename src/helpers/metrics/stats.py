"""Statistics for rates: Wilson score intervals, small-sample flags, tests of change.

SPEC section 3: every rate carries its count pair and a 95 % Wilson interval; a rate on fewer
than 30 observations is flagged; a change between two quarters is significant only by a
two-proportion z-test, or Fisher's exact test when an expected cell count is below 5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

SMALL_SAMPLE = 30
Z_95 = 1.959963984540054


def wilson_interval(k, n, z: float = Z_95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``k`` successes in ``n`` trials (element-wise).

    ``centre = (p + z²/2n) / (1 + z²/n)``, ``half = z·sqrt(p(1−p)/n + z²/4n²) / (1 + z²/n)``
    with ``p = k / n``; NaN where ``n == 0``.

    Examples
    --------
    >>> lo, hi = wilson_interval(8, 10)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.4902, 0.9433)
    """
    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        # At k = 0 and k = n the bounds are exactly 0 and 1; avoid rounding just inside them.
        low = np.where(n > 0, np.where(k == 0, 0.0, np.clip(centre - half, 0, 1)), np.nan)
        high = np.where(n > 0, np.where(k == n, 1.0, np.clip(centre + half, 0, 1)), np.nan)
    return low, high


@dataclass(frozen=True)
class Rate:
    """A rate with its count pair, 95 % Wilson interval and small-sample flag."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float:
        """``numerator / denominator``; NaN when the denominator is 0."""
        return self.numerator / self.denominator if self.denominator else math.nan

    @property
    def interval(self) -> tuple[float, float]:
        """95 % Wilson score interval."""
        low, high = wilson_interval(self.numerator, self.denominator)
        return float(low), float(high)

    @property
    def small_sample(self) -> bool:
        """Fewer than 30 observations."""
        return self.denominator < SMALL_SAMPLE

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame: numerator, denominator, rate, ci_low, ci_high, small_sample."""
        return rate_columns([self.numerator], [self.denominator])

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False, escape=True)

    def __str__(self) -> str:
        if not self.denominator:
            return "n/a (0 observations)"
        low, high = self.interval
        flag = " (small sample)" if self.small_sample else ""
        return (
            f"{self.value:.1%} ({self.numerator}/{self.denominator}, "
            f"95% CI {low:.1%}–{high:.1%}){flag}"
        )


def rate_columns(numerator, denominator) -> pd.DataFrame:
    """Rate, interval and flag columns for aligned count arrays.

    Returns
    -------
    DataFrame with columns numerator, denominator, rate, ci_low, ci_high, small_sample.
    """
    k = np.asarray(numerator, dtype="int64")
    n = np.asarray(denominator, dtype="int64")
    low, high = wilson_interval(k, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
    return pd.DataFrame(
        {
            "numerator": k,
            "denominator": n,
            "rate": value,
            "ci_low": low,
            "ci_high": high,
            "small_sample": n < SMALL_SAMPLE,
        }
    )


def two_sided_normal_p(z: float) -> float:
    """Two-sided p-value of a standard normal statistic: ``2 · P(Z > |z|) = 2 · Φ(−|z|)``.

    The same value as ``2 * scipy.stats.norm.sf(abs(z))`` (which computes ``ndtr(-x)``),
    from :func:`scipy.special.ndtr`: importing ``scipy.stats`` would add about 60 MB to every
    process that loads a data set (issue 18).

    Examples
    --------
    >>> round(two_sided_normal_p(1.959963984540054), 6)
    0.05
    """
    return float(2 * ndtr(-abs(z)))


@dataclass(frozen=True)
class Change:
    """Difference between two rates and whether a proper test calls it significant."""

    before: Rate
    after: Rate
    p_value: float
    test: str
    significant: bool

    @property
    def difference(self) -> float:
        """``after.value − before.value`` in rate units (0.05 = 5 percentage points)."""
        return self.after.value - self.before.value


def compare_rates(before: Rate, after: Rate, alpha: float = 0.05) -> Change:
    """Test whether ``after`` differs from ``before``.

    Uses Fisher's exact test when any expected cell count of the 2×2 table is below 5,
    otherwise the pooled two-proportion z-test
    ``z = (p₂ − p₁) / sqrt(p̂(1 − p̂)(1/n₁ + 1/n₂))``. Two-sided.

    Returns
    -------
    Change
        ``test`` is ``"fisher"``, ``"z-test"`` or ``"none"`` (a side has no observations).
    """
    n1, n2 = before.denominator, after.denominator
    if n1 == 0 or n2 == 0:
        return Change(before, after, math.nan, "none", False)
    k1, k2 = before.numerator, after.numerator
    table = np.array([[k1, n1 - k1], [k2, n2 - k2]], dtype="float64")
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    if (expected < 5).any():
        from scipy import stats  # only here: scipy.stats costs 60 MB of every process

        p_value = float(stats.fisher_exact(table.astype("int64")).pvalue)
        test = "fisher"
    else:
        pooled = (k1 + k2) / (n1 + n2)
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (k2 / n2 - k1 / n1) / se if se > 0 else 0.0
        p_value = two_sided_normal_p(z)
        test = "z-test"
    return Change(before, after, p_value, test, p_value < alpha)
