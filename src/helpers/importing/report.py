"""The import log: what one ``workbook import`` read, kept, dropped and why.

:class:`ImportReport` collects, per canonical table, a :class:`TableReport` (rows read,
kept and dropped by reason, spellings unified, date formats used, notes) and renders it as
``import_log.md``, whose first line (:data:`LOG_TITLE`) marks a folder as made by an import.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..data.schema import TABLES

LOG_NAME = "import_log.md"
LOG_TITLE = "# workbook import log"

# Reasons for dropping rows, as the log names them.
DROP_EMPTY_DATE = "event date empty (the event did not happen)"
DROP_DUPLICATE = "identical duplicate row"
DROP_UNKNOWN_LEAD = "lead not among the imported leads"


@dataclass
class TableReport:
    """What happened to one canonical table.

    Attributes
    ----------
    name : str
        Canonical table.
    read : int
        Candidate rows the parts produced: export rows that passed ``where``, or for a melt
        part one per export row and melted column.
    kept : int
        Rows written.
    dropped : Counter
        Reason -> number of rows dropped; ``read == kept + sum(dropped.values())`` except for
        generated tables.
    value_rules : Counter
        ``(where, rule)`` -> rows the rule changed, one entry per rule of every value map of
        the table's parts, in mapping order (see :func:`describe_rule`); ``where`` is the key
        of the value map, e.g. ``tables.leads[0].values.channel``. A rule counts the rows read
        whose cell it gave another value (rows it sent to an empty required cell included,
        which are then dropped); a rule that changed nothing is listed with 0.
    unifications : list of (str, tuple of str, str)
        ``(where, variants, chosen)`` for each set of spellings unified.
    date_formats : dict
        ``"file, column 'X'"`` -> description of the date format used.
    notes : list of str
        Everything else worth knowing (skipped parts, columns left out, defaults used).
    """

    name: str
    read: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)
    value_rules: Counter = field(default_factory=Counter)
    unifications: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)
    date_formats: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def n_dropped(self) -> int:
        """Rows dropped, all reasons together."""
        return sum(self.dropped.values())


@dataclass
class ImportReport:
    """The outcome of one import, rendered as ``import_log.md``.

    Attributes
    ----------
    mapping : str
        How the mapping was named (file path or preset).
    description : str
        ``[import].description`` of the mapping.
    src, out : Path
        Export folder and data directory written.
    tables : dict of str to TableReport
        Per canonical table, in canonical order.
    files : list of str
        One line per export or lookup file read (encoding, separator, placeholders).
    anomalies : list of str
        Findings that validation flagged but accepted.
    created : str
        UTC time of the import (ISO 8601).
    """

    mapping: str
    description: str
    src: Path
    out: Path
    tables: dict[str, TableReport] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)
    created: str = ""

    def table(self, name: str) -> TableReport:
        """The report of table ``name``, created on first use."""
        if name not in self.tables:
            self.tables[name] = TableReport(name)
        return self.tables[name]

    def summary_lines(self) -> list[str]:
        """One line per table: rows read, kept and dropped."""
        lines = []
        for name in TABLES:
            if name in self.tables:
                t = self.tables[name]
                lines.append(
                    f"{name:>14}: {t.read:>8,} read {t.kept:>8,} kept {t.n_dropped:>8,} dropped"
                )
        return lines

    def to_markdown(self) -> str:
        """The import log, as Markdown."""
        lines = [
            LOG_TITLE,
            "",
            f"- mapping: {as_code(self.mapping)}"
            + (f" ({self.description})" if self.description else ""),
            f"- exports: {as_code(str(self.src))}",
            f"- data directory: {as_code(str(self.out))}",
            f"- imported at: {self.created}",
            "",
            "## Files read",
            "",
            *(f"- {line}" for line in self.files),
        ]
        for name in TABLES:
            if name not in self.tables:
                continue
            t = self.tables[name]
            lines += [
                "",
                f"## {name}",
                "",
                f"- rows read: {t.read}, kept: {t.kept}, dropped: {t.n_dropped}",
            ]
            if t.dropped:
                lines.append("- dropped:")
                lines += [f"  - {reason}: {n}" for reason, n in sorted(t.dropped.items())]
            if t.value_rules:
                lines.append("- value maps, rows changed by each rule:")
                lines += [
                    f"  - {where}: {rule}: {n} {'row' if n == 1 else 'rows'}"
                    for (where, rule), n in t.value_rules.items()
                ]
            if t.unifications:
                lines.append("- spellings unified:")
                lines += [
                    f"  - {where}: {', '.join(as_code(v) for v in variants)} → {as_code(chosen)}"
                    for where, variants, chosen in t.unifications
                ]
            if t.date_formats:
                lines.append("- date formats:")
                lines += [f"  - {where}: {fmt}" for where, fmt in t.date_formats.items()]
            if t.notes:
                lines.append("- notes:")
                lines += [f"  - {note}" for note in t.notes]
        lines += ["", "## Validation", ""]
        if self.anomalies:
            lines += [f"- flagged: {a}" for a in self.anomalies]
        else:
            lines.append("- valid, nothing flagged")
        return "\n".join(lines) + "\n"


def describe_rule(key: str, target: str) -> str:
    """One value-map rule as the log names it.

    Parameters
    ----------
    key : str
        The rule's key as the mapping file wrote it: an export value, ``""`` (empty cells)
        or ``"*"`` (every other non-empty value).
    target : str
        The canonical value it maps to; ``""`` empties the cell.

    Examples
    --------
    >>> describe_rule("Google Ads", "paid_search")
    '`Google Ads` → `paid_search`'
    >>> describe_rule("", "unknown")
    'empty cell → `unknown`'
    >>> describe_rule("*", "marketing")
    'any other value (`*`) → `marketing`'
    >>> describe_rule("Spam", "")
    '`Spam` → empty cell'
    """
    if key == "*":
        source = "any other value (`*`)"
    elif not key.strip():
        source = "empty cell"
    else:
        source = as_code(key)
    return f"{source} → {as_code(target) if target else 'empty cell'}"


def as_code(text: str) -> str:
    """``text`` as a Markdown code span for the import log."""
    # Backticks inside a value would end the code span early.
    safe = text.replace("`", "'")
    return f"`{safe}`"
