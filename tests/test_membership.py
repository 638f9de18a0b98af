"""helpers.data.membership.is_in gives pandas' mask (missing values never found), by Arrow."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import SEED

from helpers.data.membership import is_in, positions, positions_in


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


def test_positions_in_several_columns_as_one_by_one():
    rng = np.random.default_rng(SEED)
    keys = pd.Series([f"L{i}" for i in range(300)], dtype="string")
    columns = {
        name: pd.Series(rng.choice([*keys[::3], "X1", None], size), dtype="string")
        for name, size in (("events", 5_000), ("touches", 0), ("feedback", 700))
    }
    found = positions_in(columns, keys)
    assert list(found) == ["events", "touches", "feedback"]
    for name, values in columns.items():
        # By hand: the key's own number (L12 is at 12); -1 for X1 and for a missing id.
        expected = [int(v[1:]) if isinstance(v, str) and v != "X1" else -1 for v in values]
        assert found[name].tolist() == expected == positions(values, keys).tolist()
