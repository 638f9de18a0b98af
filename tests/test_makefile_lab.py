"""`make lab` starts JupyterLab as root too: Jupyter refuses root without --allow-root."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from conftest import PROJECT


def _lab_command(tmp_path, uid: int) -> str:
    """What `make -n lab` would run when `id -u` says ``uid`` (a stand-in `id` on PATH)."""
    fake = tmp_path / f"bin{uid}"
    fake.mkdir()
    (fake / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (fake / "id").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["make", "-n", "lab"], cwd=PROJECT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.mark.skipif(shutil.which("make") is None and not os.environ.get("CI"), reason="no make")
def test_make_lab_allows_root_only_for_root(tmp_path):
    as_root = _lab_command(tmp_path, 0)
    as_user = _lab_command(tmp_path, 1000)
    assert "jupyter lab" in as_root and "jupyter lab" in as_user
    assert "--allow-root" in as_root
    assert "--allow-root" not in as_user
