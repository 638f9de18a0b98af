"""The words of each exercise, read from its notebook: the notebooks stay the source.

An exercise notebook opens with the facilitator's guide (goal, timing, how to run, debrief),
then says to participants what to do, then introduces the results. The served workshop shows
the guide to the facilitator only and the other two to participants.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ExerciseText:
    """The three markdown parts of an exercise notebook, as HTML (raw HTML escaped)."""

    guide: str
    instructions: str
    results: str


def markdown_html(text: str) -> str:
    """Markdown as HTML; HTML written in the markdown is escaped, never passed through."""
    import mistune

    return str(mistune.create_markdown(escape=True)(text))


def exercise_text(notebook: Path) -> ExerciseText:
    """The guide, participant instructions and results heading of one exercise notebook.

    The first markdown cell is the facilitator's guide, the second the participants'
    instructions, the third the introduction of the results (empty when missing).
    """
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    texts = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    texts += [""] * (3 - len(texts))
    return ExerciseText(*(markdown_html(text) for text in texts[:3]))
