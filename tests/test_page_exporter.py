"""The report page exporter: nbconvert's page in one pass, the same document as its two passes."""

from __future__ import annotations

import copy
from importlib.resources import files

import nbformat
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbformat.v4 import (
    new_code_cell,
    new_markdown_cell,
    new_notebook,
    new_output,
)

from helpers.reports.page_exporter import ReportPageExporter, focusable_outputs
from helpers.reports.render import TEMPLATE_NAME

OPTIONS = {
    "template_name": TEMPLATE_NAME,
    "exclude_input": True,
    "exclude_input_prompt": True,
    "exclude_output_prompt": True,
    "embed_images": True,
}


def _notebook() -> nbformat.NotebookNode:
    look_alike = "&lt;div class=&quot;jp-OutputArea-output&quot;&gt;"  # escaped data
    table = f"<table><tr><th>Team</th><td>{look_alike}</td></tr></table>"
    chart = '<img src="data:image/svg+xml;base64,PHN2Zy8+" alt="Chart: Won &lt;revenue&gt;">'
    return new_notebook(
        cells=[
            new_markdown_cell('## 1. Headline\n\nText with `<div class="jp-Cell-inputWrapper">`.'),
            new_code_cell(
                "show()",
                outputs=[
                    new_output("display_data", data={"text/html": table}),
                    new_output("display_data", data={"text/html": chart}),
                    new_output("execute_result", data={"text/plain": "42"}, execution_count=1),
                    new_output("stream", name="stdout", text="done\n"),
                ],
            ),
            new_markdown_cell("Closing words & a <b>bold</b> claim."),
        ],
        metadata={"language_info": {"name": "python"}},
    )


def test_the_same_document_as_nbconvert_with_its_soup_pass():
    template_dir = str(files("helpers.reports") / "templates")
    resources = {"metadata": {"name": "Team <b>t</b>"}}
    notebook = _notebook()  # cell ids are random: one notebook for both
    ours, _ = ReportPageExporter(
        extra_template_basedirs=[template_dir], **OPTIONS
    ).from_notebook_node(copy.deepcopy(notebook), resources=dict(resources))
    theirs, _ = HTMLExporter(extra_template_basedirs=[template_dir], **OPTIONS).from_notebook_node(
        copy.deepcopy(notebook), resources=dict(resources)
    )
    # Independent: nbconvert's own exporter, whose page is BeautifulSoup's writing of it.
    assert str(BeautifulSoup(ours, features="html.parser")) == theirs
    soup = BeautifulSoup(ours, features="html.parser")
    outputs = soup.select(".jp-Notebook div.jp-OutputArea-output")
    inputs = soup.select(".jp-Notebook div.jp-Cell-inputWrapper")
    assert len(outputs) == 4 and len(inputs) == 2
    assert all(div.get("tabindex") == "0" for div in [*outputs, *inputs])
    assert [img["alt"] for img in soup.select("img")] == ["Chart: Won <revenue>"]
    # The escaped look-alike in the data is left as text.
    assert "&lt;div class=&quot;jp-OutputArea-output&quot;&gt;</td>" in ours


def test_focusable_outputs_marks_only_the_template_tags():
    page = (
        '<div class="jp-RenderedHTMLCommon jp-OutputArea-output " data-mime-type="text/html">'
        "&lt;div class=&quot;jp-OutputArea-output&quot;&gt;</div>"
        '<div class="jp-OutputArea-outputs">x</div>'
    )
    assert focusable_outputs(page) == (
        '<div class="jp-RenderedHTMLCommon jp-OutputArea-output " tabindex="0" '
        'data-mime-type="text/html">'
        "&lt;div class=&quot;jp-OutputArea-output&quot;&gt;</div>"
        '<div class="jp-OutputArea-outputs">x</div>'
    )
