"""Under CI a skipped test is an error (pytest plugin, see ``conftest.py``).

On a laptop a test whose browser (Chromium), database (PostgreSQL) or Dask is not installed
skips with the reason. In CI (the environment variable ``CI`` set, as ``.ci/run`` and every
CI service do) that skip would let a run pass with those tests never run, so every skip of a
test, a fixture or a module becomes an error that carries the skip's reason.
"""

from __future__ import annotations

import os

import pytest

OFF = ("", "0", "false", "no")


def in_ci() -> bool:
    """Whether ``CI`` is set to anything but empty, ``0``, ``false`` or ``no``."""
    return os.environ.get("CI", "").strip().lower() not in OFF


def _reason(longrepr) -> str:
    """The reason of a skip report (pytest keeps ``(file, line, reason)``)."""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _as_error(report) -> None:
    report.outcome = "failed"
    report.longrepr = (
        f"skipped in CI: {_reason(report.longrepr)}\n"
        "CI is set, so a skip is an error: install what the test needs "
        "(.ci/run does as root: chromium, postgresql; the dev extras bring dask), "
        "or unset CI to run locally."
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skipped test (in its setup, body or teardown) fails under CI."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and in_ci():
        _as_error(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """A module that skips as a whole (``importorskip`` at its top) fails under CI."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and in_ci():
        _as_error(report)
