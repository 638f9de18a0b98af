"""``workbook import``: summary, exit codes and one-line errors without a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TESTS

from helpers.cli import main

GENERIC = TESTS / "data" / "imports" / "generic"
ACME = GENERIC / "acme.toml"


def _run(*args: str):
    return CliRunner().invoke(main, ["import", *args])


def test_import_prints_a_summary_per_table(tmp_path):
    out = tmp_path / "data"
    result = _run("--mapping", str(ACME), str(GENERIC), str(out))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # Hand count in tests/test_import_importer.py.
    assert lines[:4] == [
        "         teams:        0 read        3 kept        0 dropped",
        "         leads:        9 read        7 kept        2 dropped",
        "   lead_events:       30 read       15 kept       15 dropped",
        " opportunities:        6 read        6 kept        0 dropped",
    ]
    assert lines[4] == f"log: {out / 'import_log.md'}"
    assert lines[-1] == f"written to {out}"
    assert (out / "leads.csv").exists()


def test_bad_mapping_is_one_error_line_and_exit_2(tmp_path):
    mapping = tmp_path / "bad.toml"
    mapping.write_text(
        ACME.read_text(encoding="utf-8").replace("values.status", "values.statsu"),
        encoding="utf-8",
    )
    result = _run("--mapping", str(mapping), str(GENERIC), str(tmp_path / "data"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {mapping}: key 'tables.opportunities[0].values")
    assert "did you mean 'status'?" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "data").exists()


def test_unknown_preset_lists_the_presets(tmp_path):
    result = _run("--mapping", "pipedrive", str(GENERIC), str(tmp_path / "data"))
    assert result.exit_code == 2
    assert "error: unknown preset 'pipedrive'; the available presets are: " in result.stderr
    assert "hubspot" in result.stderr and "salesforce" in result.stderr


def test_data_problem_names_file_column_and_line(tmp_path):
    src = tmp_path / "exports"
    src.mkdir()
    for path in GENERIC.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        if path.name == "deals.csv":
            text = text.replace('"$8,000.00"', "eight thousand")
        (src / path.name).write_text(text, encoding="utf-8")
    result = _run("--mapping", str(ACME), str(src), str(tmp_path / "data"))
    assert result.exit_code == 2
    assert "deals.csv, column 'Value': 1 value(s) are not numbers, e.g. 'eight thousand' " \
        "(line 4)" in result.stderr  # fmt: skip
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports"]


def test_existing_out_needs_force_and_an_earlier_import(tmp_path):
    out = tmp_path / "data"
    assert _run("--mapping", str(ACME), str(GENERIC), str(out)).exit_code == 0

    again = _run("--mapping", str(ACME), str(GENERIC), str(out))
    assert again.exit_code == 2
    assert "exists and is not empty. Fix: pass --force" in again.stderr

    forced = _run("--mapping", str(ACME), str(GENERIC), str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert forced.stdout.splitlines()[-1] == f"written to {out}"

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "leads.csv").write_text("lead_id\n", encoding="utf-8")
    refused = _run("--mapping", str(ACME), str(GENERIC), str(mine), "--force")
    assert refused.exit_code == 2
    assert "refusing to overwrite a folder it did not create" in refused.stderr
    assert [p.name for p in mine.iterdir()] == ["leads.csv"]


def test_mapping_option_is_required(tmp_path):
    result = _run(str(GENERIC), str(tmp_path / "data"))
    assert result.exit_code == 2
    assert "Missing option '--mapping'" in result.output


def test_help_describes_the_command():
    result = CliRunner().invoke(main, ["import", "--help"])
    assert result.exit_code == 0
    assert "--mapping" in result.stdout and "--force" in result.stdout
    assert "SRC OUT" in result.stdout
    assert "import" in CliRunner().invoke(main, ["--help"]).stdout


@pytest.mark.parametrize("mapping", ["acme", "bad"])
def test_installed_command_exits_cleanly(tmp_path, mapping):
    # The real entry point, in a fresh process: exit codes and stderr as a user sees them.
    if mapping == "bad":
        path = tmp_path / "bad.toml"
        path.write_text('[[tables.leads]]\nfile = "people*"\nmelt = { "A" = "mql" }\n')
    else:
        path = ACME
    workbook = Path(sys.executable).parent / "workbook"
    result = subprocess.run(
        [str(workbook), "import", "--mapping", str(path), str(GENERIC), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in result.stderr
    if mapping == "bad":
        assert result.returncode == 2
        assert result.stderr.startswith(f"error: {path}: key 'tables.leads[0].melt'")
    else:
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1] == f"written to {tmp_path / 'out'}"
