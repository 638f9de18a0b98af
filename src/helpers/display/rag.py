"""RAG status as readers see it: a colour, a shape and a word (no pandas, no matplotlib).

One place for the report's tiles (``display.html``) and the index page of a report folder
(``reports.index_page``, written by a process that never imports pandas). The colours are
the Okabe–Ito palette's green, orange and vermillion, told apart by colour-blind readers;
the shape and the word carry the status in greyscale and on paper.
"""

from __future__ import annotations

RAG_COLOURS = {"green": "#009E73", "amber": "#E69F00", "red": "#D55E00", "none": "#999999"}
"""Background colour per status (``none``: no target set)."""

RAG_WORDS = {"green": "on target", "amber": "near target", "red": "off target", "none": ""}
"""RAG status in words beside its colour, so it reads without colour vision."""

RAG_MARKS = {"green": "●", "amber": "▲", "red": "■", "none": ""}
"""A shape per status beside its colour (readable in greyscale and for colour-blind readers)."""
