"""Inter-rater agreement for training workshops: Cohen's and Fleiss' kappa.

In a joint sales and marketing workshop every participant rates the same leads ("MQL?",
"would you call?"). These pure functions turn the answers into agreement statistics:

- :func:`cohen_kappa` for two raters, :func:`pairwise_cohen` and :func:`mean_pairwise_cohen`
  for every pair of raters;
- :func:`fleiss_kappa` for many raters, from the items × categories count table that
  :func:`ratings_table` builds out of long-form answers;
- :func:`agreement_by_group` (within sales, within marketing, everyone, and across the two),
  :func:`most_disputed` (the leads to discuss first) and :func:`interpret_kappa`
  (Landis & Koch's words for a kappa).

Answers come in long form: one row per rater × item, with columns ``item``, ``participant``
and ``answer`` unless other names are passed. Rows whose answer is missing are dropped.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd

__all__ = [
    "agreement_by_group",
    "cohen_kappa",
    "fleiss_kappa",
    "interpret_kappa",
    "mean_pairwise_cohen",
    "most_disputed",
    "pairwise_cohen",
    "ratings_table",
]

_SHOWN = 10  # at most this many offending rows or labels are named in an error message

# Landis & Koch (1977): upper bound of each band (inclusive) and its name.
_BANDS = (
    (0.20, "slight"),
    (0.40, "fair"),
    (0.60, "moderate"),
    (0.80, "substantial"),
    (1.00, "almost perfect"),
)


def _shown(values: Iterable[object]) -> str:
    values = list(values)
    text = ", ".join(repr(v) for v in values[:_SHOWN])
    if len(values) > _SHOWN:
        text += f" and {len(values) - _SHOWN} more"
    return text


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like label: never "missing"
        return False


def cohen_kappa(
    a: Sequence[Hashable], b: Sequence[Hashable], *, categories: Iterable[Hashable] | None = None
) -> float:
    """Cohen's kappa for two raters who labelled the same items.

    With ``N`` items kept, ``n_o`` of them labelled alike, and ``a_k``, ``b_k`` the number
    of items each rater put in category ``k``::

        p_o = n_o / N                    (observed agreement)
        p_e = Σ_k (a_k / N) (b_k / N)    (agreement expected by chance)
        κ   = (p_o − p_e) / (1 − p_e)

    computed as ``(N·n_o − Σ_k a_k b_k) / (N² − Σ_k a_k b_k)`` in integers, so the result is
    exactly symmetric in the two raters.

    Parameters
    ----------
    a, b : sequence of hashable
        Labels of rater A and rater B, paired by position (a Series's index is ignored);
        equal lengths. An item where either label is missing (None, NaN, NA) is dropped.
    categories : iterable of hashable, optional
        The allowed labels. When given, a label outside them raises ``ValueError``; the
        value of kappa does not depend on categories nobody used.

    Returns
    -------
    float
        Kappa in [−1, 1]: 1 is perfect agreement, 0 agreement at chance level.
        When both raters used one and the same category for every item, ``p_e = 1`` and the
        formula is 0 / 0; this function returns 1.0 then, since the observed agreement is
        perfect (the raters never disagreed), rather than NaN.

    Raises
    ------
    ValueError
        If the lengths differ, no item is left once missing labels are dropped, or a label
        is outside ``categories``.

    Examples
    --------
    >>> cohen_kappa(["y", "y", "n", "n"], ["y", "n", "y", "n"])
    0.0
    >>> cohen_kappa(["y", "y", "n", "n"], ["y", "y", "n", "y"])
    0.5
    """
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError(
            f"cohen_kappa needs one label per item from each rater, but rater A gave "
            f"{len(a)} labels and rater B {len(b)}. Pass two sequences of equal length, "
            "with a missing value (None) where a rater skipped an item."
        )
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if not (_missing(x) or _missing(y))]
    if not pairs:
        raise ValueError(
            f"cohen_kappa has no item rated by both raters (received {len(a)} item(s), "
            "each with a missing label from at least one rater). Pass at least one item "
            "both raters labelled."
        )
    if categories is not None:
        allowed = set(categories)
        unexpected = sorted({label for pair in pairs for label in pair} - allowed, key=repr)
        if unexpected:
            raise ValueError(
                f"cohen_kappa received label(s) {_shown(unexpected)} outside categories "
                f"{_shown(sorted(allowed, key=repr))}. Add them to categories or fix the labels."
            )
    n = len(pairs)
    agree = sum(x == y for x, y in pairs)
    count_a = Counter(x for x, _ in pairs)
    count_b = Counter(y for _, y in pairs)
    chance = sum(count_a[k] * count_b[k] for k in count_a)
    if chance == n * n:  # p_e = 1: one category used by both raters throughout
        return 1.0
    return (n * agree - chance) / (n * n - chance)


def _count_matrix(table: pd.DataFrame | np.ndarray) -> tuple[np.ndarray, list[object]]:
    """Validate a count table; return it as integers with the row labels the user sees."""
    if isinstance(table, pd.DataFrame):
        labels = list(table.index)
        try:
            values = table.to_numpy(dtype="float64")
        except (TypeError, ValueError) as err:
            raise ValueError(
                "fleiss_kappa needs a table of counts, but the table holds non-numeric "
                f"columns (dtypes: {_shown(sorted({str(t) for t in table.dtypes}))}). Build "
                "it with ratings_table(answers)."
            ) from err
        where = "row(s)"
    else:
        values = np.asarray(table, dtype="float64")
        labels = list(range(values.shape[0])) if values.ndim >= 1 else []
        where = "row(s) at position (from 0)"
    if values.ndim != 2 or values.shape[0] == 0 or values.shape[1] == 0:
        raise ValueError(
            "fleiss_kappa needs a 2-D items × categories table with at least one row and "
            f"one column; received shape {values.shape}."
        )
    bad = ~np.isfinite(values) | (values < 0) | (values != np.round(values))
    if bad.any():
        rows = [labels[i] for i in np.flatnonzero(bad.any(axis=1))]
        raise ValueError(
            f"fleiss_kappa needs counts (whole numbers ≥ 0), but {where} {_shown(rows)} "
            "hold missing, negative or fractional values. Fill empty cells with 0."
        )
    counts = values.astype("int64")
    sums = counts.sum(axis=1)
    if (sums != sums[0]).any():
        common = Counter(sums.tolist()).most_common(1)[0][0]
        odd = [f"{labels[i]!r} (sum {sums[i]})" for i in np.flatnonzero(sums != common)]
        shown = ", ".join(odd[:_SHOWN]) + (
            f" and {len(odd) - _SHOWN} more" if len(odd) > _SHOWN else ""
        )
        raise ValueError(
            "fleiss_kappa needs every item rated by the same number of raters, so every row "
            f"must sum to the same count; most rows sum to {common} but {where} {shown} "
            "differ. Keep only items every rater answered (ratings_table does this)."
        )
    if sums[0] < 2:
        raise ValueError(
            f"fleiss_kappa needs at least 2 ratings per item; every row sums to {sums[0]}."
        )
    return counts, labels


def _item_agreement(counts: np.ndarray) -> np.ndarray:
    """Per-item agreement ``P_i = (Σ_j n_ij² − n_i) / (n_i (n_i − 1))`` with ``n_i = Σ_j n_ij``."""
    counts = np.asarray(counts, dtype="float64")
    n = counts.sum(axis=1)
    return ((counts**2).sum(axis=1) - n) / (n * (n - 1))


def fleiss_kappa(table: pd.DataFrame | np.ndarray) -> float:
    """Fleiss' kappa for ``n`` raters who each put ``N`` items into categories.

    With ``n_ij`` the number of raters who put item ``i`` in category ``j``::

        P_i  = (Σ_j n_ij² − n) / (n (n − 1))     (agreement on item i)
        P̄    = (1/N) Σ_i P_i
        p_j  = Σ_i n_ij / (N n)                  (share of all ratings in category j)
        P̄_e  = Σ_j p_j²
        κ    = (P̄ − P̄_e) / (1 − P̄_e)

    Parameters
    ----------
    table : DataFrame or 2-D array, shape (N items, k categories)
        Counts ``n_ij`` (whole numbers ≥ 0); every row sums to the same number of raters
        ``n ≥ 2``. :func:`ratings_table` builds it from long-form answers.

    Returns
    -------
    float
        Kappa, at most 1; 0 is agreement at chance level. When every rating of every item is
        in one category, ``P̄_e = 1`` and the formula is 0 / 0; this function returns 1.0
        then (agreement is perfect), as :func:`cohen_kappa` does.

    Raises
    ------
    ValueError
        If the table is not 2-D, holds something other than counts, has rows with different
        sums (the message names them: index labels for a DataFrame, positions for an array),
        or fewer than 2 ratings per item.

    Examples
    --------
    >>> round(fleiss_kappa([[2, 0], [0, 2], [1, 1]]), 4)
    0.3333
    """
    counts, _ = _count_matrix(table)
    totals = counts.sum(axis=0)
    if np.count_nonzero(totals) == 1:  # P̄_e = 1: everybody always chose one category
        return 1.0
    p_bar = float(_item_agreement(counts).mean())
    shares = totals / totals.sum()
    p_e = float((shares**2).sum())
    return (p_bar - p_e) / (1 - p_e)


def _long(answers: pd.DataFrame, item: str, rater: str | None, answer: str) -> pd.DataFrame:
    """The answer columns with missing answers dropped; one row per rater × item checked."""
    wanted = {"item": item, "answer": answer} | ({"rater": rater} if rater is not None else {})
    absent = [f"{role}={name!r}" for role, name in wanted.items() if name not in answers.columns]
    if absent:
        raise ValueError(
            f"answers has no column for {', '.join(absent)}; its columns are "
            f"{_shown(answers.columns)}. Pass the right names with item=, rater=, answer=."
        )
    columns = [item, answer] if rater is None else [item, rater, answer]
    data = answers.loc[answers[answer].notna(), columns]
    if rater is not None:
        dup = data.duplicated([item, rater], keep=False)
        if dup.any():
            pairs = data.loc[dup, [item, rater]].drop_duplicates()
            shown = [f"{i!r}/{r!r}" for i, r in pairs.itertuples(index=False)]
            raise ValueError(
                f"answers must hold one row per {rater} × {item}, but {item}/{rater} "
                f"{', '.join(shown[:_SHOWN])}{' and more' if len(shown) > _SHOWN else ''} "
                "appear more than once. Keep each rater's final answer only."
            )
    return data


def _crosstab(data: pd.DataFrame, item: str, answer: str) -> pd.DataFrame:
    table = pd.crosstab(data[item], data[answer]).astype("int64")
    table.index.name, table.columns.name = item, answer
    return table


def ratings_table(
    answers: pd.DataFrame,
    *,
    item: str = "item",
    rater: str = "participant",
    answer: str = "answer",
) -> pd.DataFrame:
    """Items × categories counts from long-form answers, for :func:`fleiss_kappa`.

    Only items rated by every rater in ``answers`` are kept (a rater is anyone with at least
    one non-missing answer), so every row sums to the number of raters, as Fleiss' kappa
    requires. Categories are all answers seen in ``answers``, so a category used only on a
    dropped item still gets a column of zeros.

    Parameters
    ----------
    answers : DataFrame
        One row per rater × item, with columns ``item``, ``rater`` and ``answer``; rows whose
        answer is missing are dropped first. Not modified.
    item, rater, answer : str
        Column names.

    Returns
    -------
    DataFrame
        Index: the kept items (sorted, named ``item``); columns: the categories (sorted,
        named ``answer``); values: int64 counts of raters.

    Raises
    ------
    ValueError
        If a column is missing, a rater answered an item twice, there is no answer at all,
        or no item was rated by every rater.

    Examples
    --------
    >>> answers = pd.DataFrame({"item": [1, 1, 2, 2, 3],
    ...                         "participant": ["a", "b", "a", "b", "a"],
    ...                         "answer": ["y", "y", "y", "n", "n"]})
    >>> ratings_table(answers).to_dict("index")
    {1: {'n': 0, 'y': 2}, 2: {'n': 1, 'y': 1}}
    """
    data = _long(answers, item, rater, answer)
    if data.empty:
        raise ValueError(f"answers holds no non-missing value in column {answer!r}.")
    n_raters = data[rater].nunique()
    table = _crosstab(data, item, answer)
    complete = table.sum(axis=1) == n_raters
    if not complete.any():
        raise ValueError(
            f"No {item} was rated by all {n_raters} raters in answers, so there is nothing to "
            f"compare. Check for raters who answered only a few items ({rater} column)."
        )
    return table.loc[complete]


def pairwise_cohen(
    answers: pd.DataFrame,
    *,
    item: str = "item",
    rater: str = "participant",
    answer: str = "answer",
) -> pd.DataFrame:
    """Cohen's kappa for every pair of raters, on the items both of them answered.

    Parameters
    ----------
    answers : DataFrame
        One row per rater × item, with columns ``item``, ``rater`` and ``answer``; rows whose
        answer is missing are dropped. Not modified.
    item, rater, answer : str
        Column names.

    Returns
    -------
    DataFrame
        One row per pair, raters in sorted order with ``rater_a < rater_b``, columns
        ``rater_a``, ``rater_b``, ``n_items`` (items both answered, int64) and ``kappa``
        (:func:`cohen_kappa`; NaN when the pair shares no item). Empty with fewer than 2
        raters.

    Raises
    ------
    ValueError
        If a column is missing or a rater answered an item twice.
    """
    data = _long(answers, item, rater, answer)
    wide = data.pivot(index=item, columns=rater, values=answer)
    rows = []
    for rater_a, rater_b in combinations(sorted(wide.columns), 2):
        both = wide[rater_a].notna() & wide[rater_b].notna()
        n_items = int(both.sum())
        kappa = (
            cohen_kappa(wide.loc[both, rater_a], wide.loc[both, rater_b]) if n_items else math.nan
        )
        rows.append((rater_a, rater_b, n_items, kappa))
    result = pd.DataFrame(rows, columns=["rater_a", "rater_b", "n_items", "kappa"])
    return result.astype({"n_items": "int64", "kappa": "float64"})


def mean_pairwise_cohen(
    answers: pd.DataFrame,
    *,
    item: str = "item",
    rater: str = "participant",
    answer: str = "answer",
) -> float:
    """Mean of Cohen's kappa over every pair of raters (Light's kappa).

    ``κ̄ = (1/P) Σ_(a<b) κ_ab`` over the ``P`` pairs that share at least one item; see
    :func:`pairwise_cohen` for the arguments.

    Raises
    ------
    ValueError
        If fewer than 2 raters answered, or no pair shares an item.
    """
    pairs = pairwise_cohen(answers, item=item, rater=rater, answer=answer)
    kappas = pairs["kappa"].dropna()
    if kappas.empty:
        raise ValueError(
            f"mean_pairwise_cohen needs two raters ({rater} column) who answered at least one "
            f"common {item}; found {len(pairs)} pair(s) and none shares an item."
        )
    return float(kappas.mean())


def agreement_by_group(
    answers: pd.DataFrame,
    groups: Mapping[Hashable, Hashable],
    *,
    item: str = "item",
    rater: str = "participant",
    answer: str = "answer",
) -> pd.DataFrame:
    """Agreement within each group of raters, across everyone, and between groups.

    Rows, in this order:

    - one per group (in order of first appearance in ``groups``): Fleiss' kappa among that
      group's raters, on the items every one of them answered (:func:`ratings_table`);
    - ``"all"``: Fleiss' kappa among every rater in ``answers``, on the items all answered;
    - one per pair of groups, named ``"sales×marketing"``: the mean Cohen's kappa over the
      cross-group pairs of raters only (one rater from each group), each pair on the items
      both answered. ``n_items`` counts the items at least one such pair shares.

    A group with a single rater gets NaN kappa; groups with no rater in ``answers`` are
    left out.

    Parameters
    ----------
    answers : DataFrame
        One row per rater × item, with columns ``item``, ``rater`` and ``answer``; rows whose
        answer is missing are dropped. Not modified.
    groups : mapping
        Rater → group (e.g. ``{"ana": "sales", "ben": "marketing"}``); may list raters who
        did not answer.
    item, rater, answer : str
        Column names.

    Returns
    -------
    DataFrame
        Columns ``group``, ``statistic`` (``"fleiss_kappa"`` or
        ``"mean_pairwise_cohen_kappa"``), ``n_raters``, ``n_items`` (int64), ``kappa``
        (float64) and ``interpretation`` (:func:`interpret_kappa`, ``""`` for NaN).

    Raises
    ------
    ValueError
        If a rater in ``answers`` has no group, a group is named ``"all"``, or as for
        :func:`ratings_table`.
    """
    data = _long(answers, item, rater, answer)
    raters = sorted(data[rater].unique())
    ungrouped = [r for r in raters if r not in groups]
    if ungrouped:
        raise ValueError(
            f"Rater(s) {_shown(ungrouped)} in column {rater!r} have no group in groups. Add "
            "them to the mapping (rater → group) or drop their answers."
        )
    present = set(raters)
    names = list(dict.fromkeys(group for r, group in groups.items() if r in present))
    if "all" in names:
        raise ValueError('A group is named "all", which is the row for everyone; rename it.')
    members = {g: [r for r in raters if groups[r] == g] for g in names}

    def fleiss_row(label: Hashable, subset: pd.DataFrame, n_raters: int) -> tuple:
        if n_raters < 2:
            return (label, "fleiss_kappa", n_raters, subset[item].nunique(), math.nan)
        table = ratings_table(subset, item=item, rater=rater, answer=answer)
        return (label, "fleiss_kappa", n_raters, len(table), fleiss_kappa(table))

    rows = [fleiss_row(g, data[data[rater].isin(members[g])], len(members[g])) for g in names]
    rows.append(fleiss_row("all", data, len(raters)))
    if len(names) > 1:
        pairs = pairwise_cohen(data, item=item, rater=rater, answer=answer)
        wide = data.pivot(index=item, columns=rater, values=answer).notna()
        group_a, group_b = pairs["rater_a"].map(groups), pairs["rater_b"].map(groups)
        for first, second in combinations(names, 2):
            cross = pairs[
                ((group_a == first) & (group_b == second))
                | ((group_a == second) & (group_b == first))
            ]
            shared = pd.Series(False, index=wide.index)
            for a, b in zip(cross["rater_a"], cross["rater_b"], strict=True):
                shared |= wide[a] & wide[b]
            kappas = cross["kappa"].dropna()
            rows.append(
                (
                    f"{first}×{second}",
                    "mean_pairwise_cohen_kappa",
                    len(members[first]) + len(members[second]),
                    int(shared.sum()),
                    float(kappas.mean()) if len(kappas) else math.nan,
                )
            )
    result = pd.DataFrame(rows, columns=["group", "statistic", "n_raters", "n_items", "kappa"])
    result = result.astype({"n_raters": "int64", "n_items": "int64", "kappa": "float64"})
    result["interpretation"] = [
        "" if math.isnan(k) else interpret_kappa(k) for k in result["kappa"]
    ]
    return result


def most_disputed(
    answers: pd.DataFrame,
    *,
    item: str = "item",
    answer: str = "answer",
    top: int = 5,
) -> pd.DataFrame:
    """The items raters disagreed on most, to discuss first in the workshop.

    Items are ranked by their Fleiss agreement ``P_i = (Σ_j n_ij² − n_i) / (n_i (n_i − 1))``
    ascending (``n_ij`` raters chose answer ``j`` for item ``i``, ``n_i`` ratings in all);
    ties by item id. ``P_i`` is the share of pairs of raters who gave item ``i`` the same
    answer: 0 when no two agree, 1 when all do. Items with fewer than 2 ratings are left out.

    Parameters
    ----------
    answers : DataFrame
        One row per rating, with columns ``item`` and ``answer``; rows whose answer is
        missing are dropped. Not modified.
    item, answer : str
        Column names.
    top : int
        How many items to return (at least 1).

    Returns
    -------
    DataFrame
        At most ``top`` rows, indexed by item (named ``item``), most disputed first; one int64
        column per answer (sorted) with its count, then ``n_ratings`` (int64), ``agreement``
        (``P_i``, float64) and ``majority`` (the most frequent answer, None when answers tie
        for most votes).

    Raises
    ------
    ValueError
        If a column is missing or ``top`` is not a positive integer.
    """
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
        raise ValueError(f"top must be a positive whole number of items; received {top!r}.")
    data = _long(answers, item, None, answer)
    table = _crosstab(data, item, answer)
    table = table.loc[table.sum(axis=1) >= 2]
    categories = list(table.columns)
    result = table.copy()
    result.columns = pd.Index(categories)  # plain column labels, not named after `answer`
    result["n_ratings"] = table.sum(axis=1).astype("int64")
    result["agreement"] = _item_agreement(table.to_numpy())

    def majority(counts: np.ndarray) -> Hashable | None:
        winners = np.flatnonzero(counts == counts.max())
        return categories[winners[0]] if len(winners) == 1 else None

    result["majority"] = pd.Series(
        [majority(row) for row in table.to_numpy()], index=table.index, dtype="object"
    )
    order = np.lexsort((np.arange(len(result)), result["agreement"].to_numpy()))
    return result.iloc[order[:top]]


def interpret_kappa(k: float) -> str:
    """Landis & Koch's (1977) word for a kappa value.

    ======================  ==============
    kappa                   agreement
    ======================  ==============
    below 0                 poor
    0 to 0.20               slight
    0.21 to 0.40            fair
    0.41 to 0.60            moderate
    0.61 to 0.80            substantial
    0.81 to 1               almost perfect
    ======================  ==============

    The published bands are given to two decimals; each upper bound is inclusive, so a value
    between them (0.205) belongs to the lower band.

    Parameters
    ----------
    k : float
        A kappa value (at most 1).

    Returns
    -------
    str
        One of ``"poor"``, ``"slight"``, ``"fair"``, ``"moderate"``, ``"substantial"``,
        ``"almost perfect"``.

    Raises
    ------
    ValueError
        If ``k`` is NaN or above 1.

    Examples
    --------
    >>> interpret_kappa(0.4)
    'fair'
    """
    if math.isnan(k) or k > 1 + 1e-12:
        raise ValueError(f"A kappa is a number at most 1; received {k!r}.")
    if k < 0:
        return "poor"
    for upper, name in _BANDS:
        if k <= upper:
            return name
    return _BANDS[-1][1]
