"""Bad path options corpus: one wrong path, one clear message, exit 2, no traceback, no write.

Each case runs ``workbook`` in a subprocess in a fresh, empty working folder beside a file
``taken`` (a path through a file cannot be a folder) and a data folder ``tiny`` (a copy of
tests/data/tiny). The message is checked word for word where it is ours; afterwards the
working folder holds exactly what it held before, so nothing was written before the check.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

TINY = Path(__file__).parent / "data" / "tiny"
WORKBOOK = Path(sys.executable).parent / "workbook"
FIX_OUT = "Fix: pass a folder you may write in, or a new one in such a folder"


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    message: str


CASES = [
    Case(
        "reports-out-is-a-device",
        ("reports", "--data", "tiny", "--out", "/dev/null"),
        f"Invalid value for '--out': /dev/null: exists and is not a folder. {FIX_OUT}",
    ),
    Case(
        "reports-out-is-a-file",
        ("reports", "--data", "tiny", "--out", "taken"),
        f"Invalid value for '--out': taken: exists and is not a folder. {FIX_OUT}",
    ),
    Case(
        "reports-out-below-a-file",
        ("reports", "--data", "tiny", "--out", "taken/sub"),
        "Invalid value for '--out': taken/sub: cannot be created: {cwd}/taken is a file, not "
        f"a folder. {FIX_OUT}",
    ),
    Case(
        "reports-out-read-only-folder",
        ("reports", "--data", "tiny", "--out", "/sys"),
        f"Invalid value for '--out': /sys: takes no new file (Permission denied). {FIX_OUT}",
    ),
    Case(
        "reports-out-in-a-read-only-folder",
        ("reports", "--data", "tiny", "--out", "/sys/reports"),
        "Invalid value for '--out': /sys/reports: cannot be created: /sys takes no new file "
        f"(Permission denied). {FIX_OUT}",
    ),
    Case(
        "reports-out-empty",
        ("reports", "--data", "tiny", "--out", ""),
        f"Invalid value for '--out': '': is an empty path. {FIX_OUT}",
    ),
    Case(
        "reports-notebook-missing",
        ("reports", "--data", "tiny", "--notebook", "nowhere.ipynb"),
        "Invalid value for '--notebook': nowhere.ipynb: does not exist. Fix: pass the path of a "
        "report notebook (.ipynb), e.g. ",
    ),
    Case(
        "reports-notebook-is-a-folder",
        ("reports", "--data", "tiny", "--notebook", "tiny"),
        "Invalid value for '--notebook': tiny: is not a file. Fix: pass the path of a report "
        "notebook (.ipynb), e.g. ",
    ),
    Case(
        "reports-notebook-not-a-notebook",
        ("reports", "--data", "tiny", "--notebook", "taken"),
        "Invalid value for '--notebook': taken: is not a notebook (.ipynb). Fix: pass the path "
        "of a report notebook (.ipynb), e.g. ",
    ),
    Case(
        "reports-data-is-a-file",
        ("reports", "--data", "taken", "--out", "out"),
        "error: data folder taken: is not a folder. Fix: pass the data directory with --data, "
        "e.g. data/sample, or a postgresql:// URL.",
    ),
    Case(
        "reports-data-missing",
        ("reports", "--data", "nowhere", "--out", "out"),
        "error: data folder nowhere: does not exist. Fix: pass the data directory with --data, "
        "e.g. data/sample, or a postgresql:// URL.",
    ),
    Case(
        "sample-out-is-a-device",
        ("sample", "--out", "/dev/null", "--leads", "100"),
        f"Invalid value for '--out': /dev/null: exists and is not a folder. {FIX_OUT}",
    ),
    Case(
        "sample-out-below-a-file",
        ("sample", "--out", "taken/sample", "--leads", "100"),
        "Invalid value for '--out': taken/sample: cannot be created: {cwd}/taken is a file, "
        f"not a folder. {FIX_OUT}",
    ),
    Case(
        "import-out-below-a-file",
        ("import", "--mapping", "hubspot", "tiny", "taken/data"),
        "Invalid value for 'OUT': taken/data: cannot be created: {cwd}/taken is a file, not a "
        f"folder. {FIX_OUT}",
    ),
    Case(
        "import-mapping-is-a-folder",
        ("import", "--mapping", "./tiny", "tiny", "imported"),
        "error: mapping file tiny is a folder. Fix: pass the path of a .toml mapping file, or a "
        "preset name (hubspot, salesforce).",
    ),
    Case(
        "session-report-out-is-a-device",
        ("session-report", "2026-11 Lisbon", "--data", "tiny", "--out", "/dev/null"),
        f"Invalid value for '--out': /dev/null: exists and is not a folder. {FIX_OUT}",
    ),
    Case(
        "to-database-folder-missing",
        ("to-database", "nowhere", "postgresql://workbook@127.0.0.1:1/workbook"),
        "Invalid value for 'DIRECTORY': nowhere: does not exist. Fix: pass the data directory, "
        "e.g. data/sample",
    ),
    Case(
        "to-database-folder-is-a-file",
        ("to-database", "taken", "postgresql://workbook@127.0.0.1:1/workbook"),
        "Invalid value for 'DIRECTORY': taken: is not a folder. Fix: pass the data directory, "
        "e.g. data/sample",
    ),
    Case(
        "metrics-data-is-a-file",
        ("metrics", "--data", "taken"),
        "- taken: is not a folder. Fix: pass the data directory, e.g. data/sample, or a "
        "postgresql:// URL",
    ),
]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "taken").write_text("a file, not a folder\n", encoding="utf-8")
    shutil.copytree(TINY, tmp_path / "tiny")
    return tmp_path


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_bad_path_option_is_one_message_and_exit_2(case: Case, workdir: Path):
    before = listing(workdir)

    run = subprocess.run(
        [str(WORKBOOK), *case.args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    # click wraps nothing at this width; the message is one line of stderr.
    assert case.message.format(cwd=workdir) in run.stderr, run.stderr
    assert listing(workdir) == before
