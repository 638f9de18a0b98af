"""Helpers for tests that execute notebooks (imported by test modules, not collected)."""

from __future__ import annotations


def notebook_errors(nb: dict) -> list[str]:
    """Every error output of an executed notebook, as ``"Name: message"``."""
    return [
        f"{o.get('ename')}: {o.get('evalue')}"
        for cell in nb["cells"]
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]
