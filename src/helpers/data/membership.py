"""Membership tests and lookups on id columns, done by Arrow (one rule for every ``isin`` on ids).

pandas 3 stores text as Arrow strings, and its ``Series.isin`` on them builds one Python
scalar per value: at a million events that loop is most of a load. ``pyarrow.compute.is_in``
gives the same mask natively. Likewise ``Series.map`` with a text index, and aligning frames
on a text index, turn every id into a Python object; :func:`positions` and :func:`lookup`
find ids by Arrow's hash tables instead, and :func:`earliest` reduces rows per position with
numpy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def is_in(values: pd.Series, allowed: Iterable) -> np.ndarray:
    """Boolean mask of the ``values`` found in ``allowed``; a missing value is never found.

    The same mask as ``values.isin(allowed).to_numpy() & values.notna().to_numpy()``, computed
    by Arrow for text; other dtypes fall back to pandas.

    Examples
    --------
    >>> is_in(pd.Series(["a", None, "c"], dtype="string"), {"a", "b"}).tolist()
    [True, False, False]
    """
    if isinstance(allowed, pd.Series | pd.Index | np.ndarray | pd.api.extensions.ExtensionArray):
        value_set = _arrow_text(allowed)
        if value_set is not None and pd.api.types.is_string_dtype(values.dtype):
            array = _arrow_text(values)
            if array is not None:  # text in text: no value passes through Python
                # Arrow's hash table takes repeated values as they come: no unique() first,
                # which would hash a million ids once more.
                return _found(array, value_set.drop_null())
        allowed = pd.unique(pd.Series(allowed).dropna())
    chosen = [value for value in dict.fromkeys(allowed) if not pd.isna(value)]
    if not pd.api.types.is_string_dtype(values.dtype) or not all(
        isinstance(v, str) for v in chosen
    ):
        return (values.isin(chosen) & values.notna()).to_numpy(dtype=bool)
    array = _arrow_text(values)
    if array is None:
        return (values.isin(chosen) & values.notna()).to_numpy(dtype=bool)
    return _found(array, pa.array(chosen, type=pa.string()))


def _arrow_text(values) -> pa.Array | pa.ChunkedArray | None:
    """``values`` as an Arrow string array (no copy for Arrow-backed text), else None."""
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if pa.types.is_large_string(array.type) or pa.types.is_string_view(array.type):
        return array.cast(pa.string())
    return array if pa.types.is_string(array.type) else None


def _found(array: pa.Array | pa.ChunkedArray, value_set: pa.Array) -> np.ndarray:
    value_set = value_set.combine_chunks() if isinstance(value_set, pa.ChunkedArray) else value_set
    found = pc.is_in(array, value_set=value_set, skip_nulls=True)
    return found.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


def positions(values: pd.Series, keys: pd.Series | pd.Index) -> np.ndarray:
    """Position in ``keys`` of each of the ``values`` (its first match); -1 if absent or missing.

    Examples
    --------
    >>> keys = pd.Series(["a", "b", "c"], dtype="string")
    >>> positions(pd.Series(["c", None, "x", "a"], dtype="string"), keys).tolist()
    [2, -1, -1, 0]
    """
    array, value_set = _arrow_text(values), _arrow_text(keys)
    if array is None or value_set is None:
        index = pd.Index(keys)
        first = np.flatnonzero(~index.duplicated())  # positions of each key's first row
        at = index[first].get_indexer(pd.Index(values))
        found = np.where(at >= 0, first[np.maximum(at, 0)], -1).astype("int64")
        return np.where(pd.isna(np.asarray(values, dtype=object)), -1, found)
    if isinstance(value_set, pa.ChunkedArray):
        value_set = value_set.combine_chunks()
    found = pc.index_in(array, value_set=value_set, skip_nulls=True)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype("int64")


def positions_in(columns: Mapping[str, pd.Series], keys: pd.Series) -> dict[str, np.ndarray]:
    """:func:`positions` of several columns in the same ``keys``, by one Arrow hash table.

    The same arrays as ``{name: positions(values, keys) for name, values in columns.items()}``;
    the keys (e.g. a million lead ids) are hashed once, not once per column.

    Examples
    --------
    >>> keys = pd.Series(["a", "b"], dtype="string")
    >>> found = positions_in({"x": pd.Series(["b", "z"], dtype="string"),
    ...                       "y": pd.Series(["a"], dtype="string")}, keys)
    >>> {name: at.tolist() for name, at in found.items()}
    {'x': [1, -1], 'y': [0]}
    """
    arrays = {name: _arrow_text(values) for name, values in columns.items()}
    value_set = _arrow_text(keys)
    if value_set is None or any(array is None for array in arrays.values()):
        return {name: positions(values, keys) for name, values in columns.items()}
    if isinstance(value_set, pa.ChunkedArray):
        value_set = value_set.combine_chunks()
    chunks = []
    for array in arrays.values():
        chunks += array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    everything = pa.chunked_array(chunks, type=pa.string())
    found = pc.index_in(everything, value_set=value_set, skip_nulls=True)
    at = found.fill_null(-1).to_numpy(zero_copy_only=False).astype("int64")
    out, start = {}, 0
    for name, array in arrays.items():
        out[name] = at[start : start + len(array)]
        start += len(array)
    return out


def lookup(values: pd.Series, keys: pd.Series, column: pd.Series) -> pd.Series:
    """``column`` at the row whose key is each value: ``values.map(column.set_axis(keys))``.

    Missing (NA or NaT) where the value is missing or not a key; index and length of
    ``values``, dtype of ``column``.

    Examples
    --------
    >>> keys = pd.Series(["L1", "L2"], dtype="string")
    >>> team = pd.Series(["north", "south"], dtype="string")
    >>> lookup(pd.Series(["L2", "L9"], dtype="string"), keys, team).tolist()
    ['south', <NA>]
    """
    return take_at(column, positions(values, keys), values.index)


def take_at(column: pd.Series, at: np.ndarray, index: pd.Index) -> pd.Series:
    """``column`` at each position ``at`` (missing where -1), on ``index`` (see :func:`lookup`)."""
    taken = pd.api.extensions.take(column.array, at, allow_fill=True)
    return pd.Series(taken, index=index, dtype=column.dtype, name=column.name)


def codes(values: pd.Series) -> tuple[np.ndarray, list]:
    """Number the distinct values: each value's group number and the values numbered.

    Groups are numbered 0, 1, … in order of first appearance; a missing value gets -1.

    Examples
    --------
    >>> codes(pd.Series(["b", "a", None, "b"], dtype="string"))
    (array([ 0,  1, -1,  0]), ['b', 'a'])
    """
    array = _arrow_text(values)
    if array is None:
        found, uniques = pd.factorize(values)
        return found.astype("int64"), list(uniques)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()  # one dictionary, not one per chunk to unify
    encoded = pc.dictionary_encode(array)
    found = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype("int64")
    return found, encoded.dictionary.to_pylist()


def earliest(at: np.ndarray, times: pd.Series | np.ndarray, size: int) -> np.ndarray:
    """The earliest of ``times`` per position ``at`` (0 … ``size`` - 1); NaT where none.

    Rows with position -1 or a missing time are left out: the same as
    ``times.groupby(at).min().reindex(range(size))``.

    Examples
    --------
    >>> times = pd.to_datetime(["2026-07-02", "2026-07-01", None, "2026-07-05"])
    >>> earliest(np.array([0, 0, 1, -1]), times, 2).astype(str).tolist()
    ['2026-07-01T00:00:00.000000000', 'NaT']
    """
    values = np.asarray(times, dtype="datetime64[ns]").view("int64")
    at = np.asarray(at, dtype="int64")
    keep = (at >= 0) & (values != np.iinfo(np.int64).min)
    out = np.full(size, np.iinfo(np.int64).max, dtype="int64")
    np.minimum.at(out, at[keep], values[keep])
    out[out == np.iinfo(np.int64).max] = np.iinfo(np.int64).min  # NaT
    return out.view("datetime64[ns]")


def equals(values: pd.Series, value: str) -> np.ndarray:
    """Boolean mask of ``values == value`` with missing values as False."""
    return (values == value).fillna(False).to_numpy(dtype=bool)
