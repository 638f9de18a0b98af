"""Shared fixtures: the hand-computed tiny data set and figure clean-up."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

TESTS = Path(__file__).parent
TINY = TESTS / "data" / "tiny"
PROJECT = TESTS.parent
SEED = 20260701  # named seed for any randomness in tests


@pytest.fixture
def tiny_dir() -> Path:
    return TINY


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
