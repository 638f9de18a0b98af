"""The delivery log beside the manifest: which mail went to whom, so none goes twice.

``out_dir/delivery.json`` holds one entry per (report, digest, recipient): the report's
manifest key (``"2026Q3/emea-ent"``, or ``"2026Q3/index"`` for the leadership mail), the
digest of what was rendered (the manifest's ``inputs_digest``; for the index, a digest of the
quarter's records) and the recipient's address. An entry whose ``status`` is ``"sent"`` is
never sent again; a ``"failed"`` entry is tried again at the next run. The log is rewritten
atomically after every mail, so a run that is killed half-way leaves it true to what went
out (short of the instant between the server's acceptance and the write).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...data.atomic import write_text_atomically
from ..manifest import now_utc

LOG_NAME = "delivery.json"
SCHEMA = "alignment-workbook/delivery/v1"


def entry_key(report: str, digest: str, recipient: str) -> str:
    """Key of one delivery: ``"<report>|<digest>|<recipient, case folded>"``."""
    return f"{report}|{digest}|{recipient.casefold()}"


@dataclass
class DeliveryLog:
    """The entries of one report folder's delivery log (see the module docstring).

    Parameters
    ----------
    path : Path
        ``out_dir/delivery.json``.
    entries : dict
        :func:`entry_key` to its record: ``report``, ``digest``, ``recipient``, ``status``
        (``"sent"`` or ``"failed"``), ``at``, ``attempts`` and ``message_id`` or ``error``.
    """

    path: Path
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, out_dir: Path) -> DeliveryLog:
        """The log of ``out_dir``; empty when there is none.

        Raises
        ------
        ValueError
            When the file exists but is not a delivery log: sending without it could send
            everything again, so the caller must stop.
        """
        path = Path(out_dir) / LOG_NAME
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path)
        raw = json.loads(text)
        if not isinstance(raw, dict) or raw.get("schema") != SCHEMA:
            raise ValueError(f"its schema is not {SCHEMA}")
        entries = raw.get("entries")
        if not isinstance(entries, dict):
            raise ValueError("it has no 'entries' object")
        return cls(path, entries)

    def sent(self, report: str, digest: str, recipient: str) -> dict[str, Any] | None:
        """The record of this delivery if it went out, else ``None``."""
        record = self.entries.get(entry_key(report, digest, recipient))
        return record if record and record.get("status") == "sent" else None

    def record(
        self,
        report: str,
        digest: str,
        recipient: str,
        *,
        status: str,
        attempts: int,
        message_id: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record one delivery's outcome and write the log atomically."""
        entry: dict[str, Any] = {
            "report": report,
            "digest": digest,
            "recipient": recipient,
            "status": status,
            "at": now_utc(),
            "attempts": attempts,
        }
        if message_id is not None:
            entry["message_id"] = message_id
        if error is not None:
            entry["error"] = error
        self.entries[entry_key(report, digest, recipient)] = entry
        document = {"schema": SCHEMA, "entries": dict(sorted(self.entries.items()))}
        write_text_atomically(self.path, json.dumps(document, indent=2, ensure_ascii=False))
