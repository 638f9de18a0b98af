"""Shared fixtures: the hand-computed tiny data set and figure clean-up."""

from __future__ import annotations

import shutil
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


# --- Browser tests: Debian's Chromium driven by Playwright, never a downloaded browser. ---

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "browser: opens pages in headless Chromium (skipped when it is not installed, "
        "an error under CI)",
    )


def _chromium_executable() -> str | None:
    """Debian's Chromium, else one on PATH; ``None`` when there is none."""
    if CHROMIUM.is_file():
        return str(CHROMIUM)
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium browser (Playwright sync API), shared by the tests of one module.

    Skips only when no Chromium is installed or playwright cannot be imported (an error under
    CI, see ``ci_honesty``); a browser that is installed but fails to start is an error.
    """
    executable = _chromium_executable()
    if executable is None:
        pytest.skip(f"no Chromium: {CHROMIUM} is missing and none is on PATH")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        pytest.skip(f"playwright is not importable ({err}); install the dev extras")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


# A throw-away PostgreSQL server: the postgres_server fixture (tests/postgres_server.py); under
# CI every skip is an error (tests/ci_honesty.py); pytester runs that rule in tests of its own.
pytest_plugins = ["postgres_server", "ci_honesty", "pytester"]
