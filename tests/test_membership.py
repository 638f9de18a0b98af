"""helpers.data.membership.is_in gives pandas' mask (missing values never found), by Arrow."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import SEED

from helpers.data.membership import is_in


def test_same_mask_as_pandas_on_arrow_strings():
    rng = np.random.default_rng(SEED)
    ids = [f"L{i}" for i in range(500)]
    values = pd.Series(rng.choice([*ids, None], 20_000), dtype="string")
    allowed = pd.Series(ids[::7] + [None], dtype="string")
    expected = (values.isin(set(allowed.dropna())) & values.notna()).to_numpy()
    assert is_in(values, allowed).tolist() == expected.tolist()
    assert is_in(values, set(ids[::7])).tolist() == expected.tolist()


def test_by_hand_and_other_dtypes():
    text = pd.Series(["north", None, "south", "all"], dtype="string")
    assert is_in(text, ["north", "all"]).tolist() == [True, False, False, True]
    assert is_in(text, []).tolist() == [False] * 4
    assert is_in(pd.Series([1, 2, None]), {1}).tolist() == [True, False, False]
    assert is_in(pd.Series(["a", None, 3], dtype=object), {"a", 3}).tolist() == [True, False, True]
