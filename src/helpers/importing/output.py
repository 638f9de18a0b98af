"""Writing OUT: the imported tables, ``workbook.toml`` and ``import_log.md``.

Everything is written into a temporary sibling of OUT, validated like any data directory and
only then moved into place, so OUT is never half written; a failed import leaves no trace.
:func:`check_target` refuses an OUT that the import may not (over)write.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd

from ..data.schema import TABLES
from ..data.source import load_dataset
from ..errors import DataValidationError, ParameterError
from .mapping import Mapping
from .report import LOG_NAME, LOG_TITLE, ImportReport


def check_target(out: Path, *, force: bool) -> None:
    """Refuse an OUT that the import may not (over)write.

    Raises
    ------
    ParameterError
        When ``out`` is a file, or a non-empty folder and either ``force`` is off or the
        folder was not made by an earlier import (no ``import_log.md`` of ours).
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise ParameterError(f"{out} is a file. Fix: choose a folder name for the data directory.")
    if not any(out.iterdir()):
        return
    if not force:
        raise ParameterError(
            f"{out} exists and is not empty. Fix: pass --force to replace an earlier import, "
            "or choose another folder."
        )
    if not _made_by_import(out):
        raise ParameterError(
            f"{out} was not made by workbook import (it has no {LOG_NAME}); refusing to "
            "overwrite a folder it did not create, even with --force. Fix: choose another "
            "folder, or move that one away yourself."
        )


def _made_by_import(out: Path) -> bool:
    log = out / LOG_NAME
    try:
        with log.open(encoding="utf-8") as handle:
            return handle.readline().strip() == LOG_TITLE
    except (OSError, UnicodeDecodeError):
        return False


def canonical_order(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical columns in schema order, then (leads) attribute columns; no helper columns."""
    canonical = [c.name for c in TABLES[name].columns if c.name in frame]
    extras = [c for c in frame.columns if c not in canonical and not c.startswith("_")]
    if extras and not TABLES[name].extra_columns:
        extras = []
    return frame[canonical + extras].fillna("").reset_index(drop=True)


# --- writing ---------------------------------------------------------------------------------


def write_output(
    tables: dict[str, pd.DataFrame], mapping: Mapping, report: ImportReport, out: Path, force: bool
) -> None:
    """Write the imported tables, ``workbook.toml`` and the log into ``out``, validated first.

    Everything goes to a temporary folder beside ``out``, is validated there, and only then
    replaces ``out``: a failed import writes nothing.

    Raises
    ------
    DataValidationError
        When the imported tables do not validate (nothing written).
    """
    created = [parent for parent in out.parents if not parent.exists()]  # nearest first
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-", dir=out.parent))
    try:
        temporary.chmod(0o755)  # mkdtemp makes it private; OUT is an ordinary folder
        for name, frame in tables.items():
            frame.to_csv(temporary / f"{name}.csv", index=False, lineterminator="\n")
        header = (
            f"# Written by workbook import from {mapping.label}. Every key is documented in\n"
            "# src/helpers/data/workbook_defaults.toml; keys left out take their defaults.\n"
        )
        (temporary / "workbook.toml").write_text(
            header + toml_text(dict(mapping.workbook)), encoding="utf-8"
        )
        try:
            dataset = load_dataset(temporary)
        except DataValidationError as err:
            raise DataValidationError(
                f"{out} (imported tables, nothing written)", err.problems
            ) from err
        report.anomalies = [str(p) for p in dataset.anomalies if p.severity == "warning"]
        (temporary / LOG_NAME).write_text(report.to_markdown(), encoding="utf-8")
        _move_into_place(temporary, out, force)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        for parent in created:  # a failed import leaves no trace, not even OUT's parents
            try:
                parent.rmdir()
            except OSError:
                break
        raise


def _move_into_place(temporary: Path, out: Path, force: bool) -> None:
    check_target(out, force=force)  # OUT may have changed while the import ran
    if not out.exists():
        os.replace(temporary, out)
        return
    # Swap through a second sibling so that OUT is the old folder or the new, never a mix.
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.replaced-", dir=out.parent))
    old.rmdir()
    os.replace(out, old)
    try:
        os.replace(temporary, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


# --- workbook.toml ---------------------------------------------------------------------------


def toml_text(settings: dict[str, Any]) -> str:
    """Settings as TOML text that ``tomllib`` reads back unchanged.

    Handles what a ``[workbook]`` table holds: texts, numbers, booleans, dates and times,
    lists and nested tables.
    """
    lines: list[str] = []
    _toml_table(settings, (), lines)
    return "\n".join(lines).strip("\n") + "\n" if lines else ""


def _toml_table(table: dict[str, Any], path: tuple[str, ...], lines: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    if path and (scalars or not tables):
        lines += ["", f"[{'.'.join(_toml_key(p) for p in path)}]"]
    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in scalars.items()]
    for key, value in tables.items():
        _toml_table(value, (*path, key), lines)


def _toml_key(key: str) -> str:
    bare = key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    return key if bare else _toml_string(key)


def _toml_string(text: str) -> str:
    # JSON escapes are valid TOML basic-string escapes; TOML also forbids a raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"cannot write {value!r} as TOML")
