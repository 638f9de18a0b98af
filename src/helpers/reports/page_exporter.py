"""nbconvert's HTML exporter, rendering a report page once instead of twice.

``HTMLExporter.from_notebook_node`` renders its template, then parses the whole page with
BeautifulSoup to give an ``alt`` text to images that have none and ``tabindex="0"`` to input
and output areas (so a keyboard reaches a table that scrolls sideways), and writes the page
out again. On a report, with its two thousand tags, that second pass is seven tenths of the
conversion. :class:`ReportPageExporter` makes the same page in one pass: report charts carry
their alt text (``plots.figure_html``), and the areas' ``tabindex`` is added to the
template's own tags.

Imported only when a page is converted (nbconvert is not needed to decide that nothing
changed).
"""

from __future__ import annotations

import re

from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

AREA = re.compile(r'<div class="([^"<>]*\b(?:jp-OutputArea-output|jp-Cell-inputWrapper)\b[^"<>]*)"')
"""The start tag of an output area or of a (markdown) cell's input area as the lab template
writes it (data in a page is escaped, so this can only match the template's own tags)."""


def focusable_outputs(page: str) -> str:
    """``page`` with ``tabindex="0"`` on each input and output area (nbconvert's second pass)."""
    return AREA.sub(r'<div class="\1" tabindex="0"', page)


class ReportPageExporter(HTMLExporter):
    """:class:`~nbconvert.HTMLExporter` without the BeautifulSoup pass over the finished page.

    The same filters and resources as ``HTMLExporter.from_notebook_node`` (highlighting,
    widget data types, the lab theme), then the template, then :func:`focusable_outputs`.
    """

    def from_notebook_node(self, nb, resources=None, **kw):
        """The page and its resources, as ``HTMLExporter.from_notebook_node`` returns them."""
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None))
        highlight = self.filters.get(
            "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
        )
        resources = self._init_resources(resources)
        data_types = WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources
        )
        self.register_filter("highlight_code", highlight)
        self.register_filter("filter_data_type", data_types)
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return focusable_outputs(page), resources
