"""Membership tests on text columns, done by Arrow (one rule for every ``isin`` on ids).

pandas 3 stores text as Arrow strings, and its ``Series.isin`` on them builds one Python
scalar per value: at a million events that loop is most of a load. ``pyarrow.compute.is_in``
gives the same mask natively.
"""

from __future__ import annotations

from collections.abc import Iterable

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
    if isinstance(allowed, pd.Series | pd.Index):
        allowed = allowed.dropna().unique()
    chosen = [value for value in dict.fromkeys(allowed) if not pd.isna(value)]
    if not pd.api.types.is_string_dtype(values.dtype) or not all(
        isinstance(v, str) for v in chosen
    ):
        return (values.isin(chosen) & values.notna()).to_numpy(dtype=bool)
    array = pa.array(values, from_pandas=True)
    if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
        return (values.isin(chosen) & values.notna()).to_numpy(dtype=bool)
    found = pc.is_in(array, value_set=pa.array(chosen, type=array.type), skip_nulls=True)
    return found.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
