"""Under CI a skipped browser, database or Dask test is an error; on a laptop it still skips.

Each case runs a small test file in a pytester sandbox with the project's rule
(``tests/ci_honesty.py``) and counts the outcomes pytest reports.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).parent

SKIPPING = """
import pytest


@pytest.fixture
def chromium():
    pytest.skip("no Chromium: /usr/bin/chromium is missing and none is on PATH")


def test_page(chromium):
    pass


def test_cluster():
    pytest.importorskip("no_such_dask_module_here")


def test_runs():
    assert 1 + 1 == 2
"""

MODULE_SKIP = """
import pytest

pytest.importorskip("no_such_dask_module_here")


def test_never_collected():
    pass
"""


@pytest.fixture
def sandbox(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert(TESTS)
    pytester.makeconftest('pytest_plugins = ["ci_honesty"]')
    return pytester


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_under_ci_a_skip_in_a_fixture_or_a_test_is_an_error(sandbox, monkeypatch, value):
    monkeypatch.setenv("CI", value)
    sandbox.makepyfile(test_skipping=SKIPPING)

    result = sandbox.runpytest("-p", "no:cacheprovider")

    # The fixture's skip is an error in setup, importorskip a failure in the body.
    result.assert_outcomes(passed=1, errors=1, failed=1, skipped=0)
    result.stdout.fnmatch_lines(
        [
            "*skipped in CI: no Chromium: /usr/bin/chromium is missing and none is on PATH*",
            "*skipped in CI: could not import 'no_such_dask_module_here'*",
        ]
    )
    assert result.ret == 1


@pytest.mark.parametrize("value", [None, "", "0", "false"])
def test_outside_ci_the_same_tests_skip_with_their_reason(sandbox, monkeypatch, value):
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    sandbox.makepyfile(test_skipping=SKIPPING)

    result = sandbox.runpytest("-p", "no:cacheprovider", "-rs")

    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*no Chromium: /usr/bin/chromium is missing*"])
    assert result.ret == 0


def test_under_ci_a_module_that_skips_whole_is_an_error(sandbox, monkeypatch):
    monkeypatch.setenv("CI", "1")
    sandbox.makepyfile(test_module_skip=MODULE_SKIP)

    result = sandbox.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(errors=1, skipped=0)
    result.stdout.fnmatch_lines(["*skipped in CI: could not import 'no_such_dask_module_here'*"])
    assert result.ret != 0
