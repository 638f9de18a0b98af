"""Render one report: execute a parameterized notebook with papermill, convert it to HTML.

The HTML is self-contained and opens offline: no code, no prompts, no stderr, images embedded
as ``data:`` URIs, and a template (``helpers/reports/templates/offline``) that extends nbconvert's
``lab`` template with every block that would load a script from the network emptied.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from importlib.resources import as_file, files
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from ..data.atomic import write_text_atomically
from ..errors import RenderError
from .kernels import ReusableKernel
from .outputs import PRIVATE_MIMES
from .parameters import check_parameters


@contextmanager
def _papermill_without_hdfs() -> Iterator[None]:
    """Import papermill without its HDFS support, unless ``pyarrow.fs`` is already loaded.

    papermill imports ``pyarrow.fs`` for ``hdfs://`` paths when pyarrow is installed: 0.4–0.6 s
    of CPU, most of papermill's import, for paths a report never has. A ``None`` entry in
    ``sys.modules`` makes that import fail cleanly (papermill then names the missing
    dependency only if an ``hdfs://`` path is used); the entry is removed at once, so a later
    ``import pyarrow.fs`` (reading Parquet) works as usual.
    """
    blocked = "pyarrow.fs" not in sys.modules
    if blocked:
        sys.modules["pyarrow.fs"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if blocked and sys.modules.get("pyarrow.fs", "") is None:
            del sys.modules["pyarrow.fs"]


with _papermill_without_hdfs():
    import papermill
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.exceptions import PapermillException, PapermillExecutionError

__all__ = [
    "HtmlConverter",
    "check_parameters",
    "clean_notebook",
    "execute_notebook",
    "notebook_to_html",
    "write_text_atomically",
]

ENGINE_NAME = "workbook-reused-kernel"
"""papermill engine that executes on a given :class:`~helpers.reports.kernels.ReusableKernel`."""

TEMPLATE_NAME = "offline"
"""Name of the nbconvert template shipped in ``helpers/reports/templates/``."""

_ERROR_MARKER_TAG = "papermill-error-cell-tag"
_INJECTED_TAG = "injected-parameters"
_KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")
# Scripts and widget views cannot run in an offline page; private MIME types carry data for
# the runner (see report_outputs), not for the reader.
_DROPPED_MIMES = frozenset(
    {"application/javascript", "application/vnd.jupyter.widget-view+json", *PRIVATE_MIMES}
)


def execute_notebook(
    notebook: Path,
    parameters: dict,
    output_ipynb: Path,
    *,
    cwd: Path | None = None,
    kernel_name: str = "python3",
    kernel: ReusableKernel | None = None,
    execution_timeout: int | None = None,
) -> NotebookNode:
    """Execute ``notebook`` with ``parameters`` and write the executed copy to ``output_ipynb``.

    Parameters are passed to papermill as data: papermill writes each one into an injected
    cell as a Python literal (strings escaped with ``unicode_escape`` and quoted), so a value
    such as ``"x'; import os #"`` arrives in the kernel as that string and is never run as
    code. To keep it so, names must be Python identifiers and values plain data.

    Parameters
    ----------
    notebook : Path
        The parameterized notebook (one cell tagged ``parameters``).
    parameters : dict
        Parameter name to value. Values may be ``str``, ``int``, ``float``, ``bool``, ``None``
        and lists or str-keyed dicts of these; ``os.PathLike`` values are passed as strings.
    output_ipynb : Path
        Where the executed notebook is written, also when a cell fails.
    cwd : Path, optional
        Working directory of a new kernel; default the current directory. Not used with
        ``kernel``, which has its own.
    kernel_name : str
        Jupyter kernel to run.
    kernel : ReusableKernel, optional
        A running kernel to execute on (reset first) instead of starting a new one.
    execution_timeout : int, optional
        Seconds a cell may run before it is interrupted and the notebook fails; default none.

    Returns
    -------
    NotebookNode
        The executed notebook (also written to ``output_ipynb``).

    Raises
    ------
    ParameterError
        When a parameter name is not an identifier or a value is not plain data.
    RenderError
        When a cell raises (``cell`` is the failing cell's 1-based position among *all*
        cells of ``notebook``, markdown included, as the user sees it top to bottom;
        ``notebook`` is ``output_ipynb``, kept with the traceback) or the kernel fails.

    Examples
    --------
    >>> execute_notebook(  # doctest: +SKIP
    ...     Path("report.ipynb"), {"team": "emea", "quarter": "2026Q3"}, Path("out.ipynb")
    ... )
    """
    data = check_parameters(parameters)
    output_ipynb = Path(output_ipynb).resolve()
    if kernel is not None:
        if ENGINE_NAME not in papermill_engines._engines:
            papermill_engines.register(ENGINE_NAME, ReusedKernelEngine)
        # papermill would chdir this whole process for cwd; the kernel already has its own.
        engine = {"engine_name": ENGINE_NAME, "kernel": kernel}
        cwd = None
    else:
        engine = {}
    try:
        if kernel is not None:
            # As long as a cell may take: a slow warm-up may still be loading the data.
            kernel.reset(timeout=execution_timeout)
        return papermill.execute_notebook(
            # papermill runs str.format(**parameters) on both paths; double the braces so a
            # path is only ever a path.
            _format_literal(Path(notebook).resolve()),
            _format_literal(output_ipynb),
            parameters=data,
            cwd=str(Path(cwd).resolve()) if cwd is not None else None,
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=execution_timeout,
            **engine,
        )
    except PapermillExecutionError as err:
        cell = _user_cell_number(output_ipynb, err.cell_index)
        evalue = " ".join(str(err.evalue).split())
        detail = f"{err.ename}: {evalue}" if evalue else str(err.ename)
        raise RenderError(
            f"cell {cell}: {detail}",
            cell=cell,
            notebook=str(output_ipynb) if output_ipynb.exists() else None,
        ) from err
    except (PapermillException, RuntimeError, TimeoutError, OSError, KeyError) as err:
        # Kernel missing (jupyter_client's NoSuchKernel is a KeyError) or dead, cell timeout,
        # unreadable notebook.
        message = " ".join(str(err).split()) or type(err).__name__
        raise RenderError(
            f"{Path(notebook).name}: could not execute: {type(err).__name__}: {message}",
            notebook=str(output_ipynb) if output_ipynb.exists() else None,
        ) from err


class ReusedKernelEngine(NBClientEngine):
    """papermill engine that runs the notebook on a given, already running kernel."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        **kwargs,
    ):
        """Execute ``nb_man``'s notebook on ``kwargs["kernel"]`` (a ReusableKernel)."""
        kernel: ReusableKernel = kwargs.pop("kernel")
        client = PapermillNotebookClient(
            nb_man,
            km=kernel.km,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client.kc = kernel.kc  # a client given its kernel neither starts nor stops one
        return client.execute()


class HtmlConverter:
    """Turns executed notebooks into offline HTML pages, one nbconvert exporter for them all.

    Building nbconvert's exporter reads and compiles its Jinja templates, a tenth of a second
    or more; a worker that converts report after report builds it once. One converter per
    thread (an exporter keeps state while it converts); :meth:`close` when done.

    Examples
    --------
    >>> with HtmlConverter() as converter:  # doctest: +SKIP
    ...     notebook_to_html(nb, Path("a.html"), title="A", converter=converter)
    """

    def __init__(self) -> None:
        from .page_exporter import ReportPageExporter

        self._files = ExitStack()
        try:
            # A real folder while the converter lives (extracted, if the package is zipped).
            template_dir = self._files.enter_context(
                as_file(files("helpers.reports") / "templates")
            )
            self._exporter = ReportPageExporter(
                template_name=TEMPLATE_NAME,
                extra_template_basedirs=[str(template_dir)],
                exclude_input=True,
                exclude_input_prompt=True,
                exclude_output_prompt=True,
                embed_images=True,
            )
        except BaseException:
            self._files.close()
            raise

    def convert(self, nb: NotebookNode, title: str) -> str:
        """The HTML page of a cleaned notebook (see :func:`notebook_to_html`)."""
        # No "path" in the resources: nothing of this machine's layout reaches the page.
        body, _ = self._exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
        return body

    def close(self) -> None:
        """Release the template folder."""
        self._files.close()

    def __enter__(self) -> HtmlConverter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def notebook_to_html(
    nb_path_or_node: Path | str | NotebookNode,
    html_path: Path,
    *,
    title: str,
    converter: HtmlConverter | None = None,
) -> None:
    """Convert an executed notebook to one self-contained HTML file, without code.

    The notebook is cleaned first (on a copy): papermill and execution metadata, which hold
    absolute paths of this machine, are dropped; so are stderr streams, javascript and widget
    outputs, image file references (images stay embedded as ``data:`` URIs) and code cells left
    without output. The file is written atomically: to a temporary file in the same folder,
    then moved over ``html_path``, so a reader never sees half a report and a failed
    conversion leaves the previous report in place.

    Parameters
    ----------
    nb_path_or_node : Path, str or NotebookNode
        Executed notebook, as a file or in memory (not modified).
    html_path : Path
        Destination; its folder is created if missing.
    title : str
        Page title (HTML-escaped by the template).
    converter : HtmlConverter, optional
        The converter to use (a worker's, reused report after report); default a new one.

    Raises
    ------
    RenderError
        When the notebook cannot be read or converted, or the file cannot be written.
    """
    html_path = Path(html_path)
    try:
        if isinstance(nb_path_or_node, NotebookNode):
            nb = copy.deepcopy(nb_path_or_node)
        else:
            nb = nbformat.read(nb_path_or_node, as_version=4)
    except (OSError, ValueError) as err:
        raise RenderError(f"{nb_path_or_node}: not a readable notebook: {err}") from err
    nb = clean_notebook(nb)
    nb.metadata["title"] = str(title)

    try:
        if converter is not None:
            body = converter.convert(nb, str(title))
        else:
            with HtmlConverter() as own:
                body = own.convert(nb, str(title))
    except Exception as err:  # nbconvert and jinja raise many kinds; all mean "no HTML"
        raise RenderError(f"{html_path.name}: HTML conversion failed: {err}") from err
    write_text_atomically(html_path, body)


def clean_notebook(nb: NotebookNode) -> NotebookNode:
    """Strip what must not reach a report from an executed notebook, in place.

    Keeps only ``kernelspec`` and ``language_info`` of the notebook metadata and only ``tags``
    of each cell's metadata (papermill records input and output paths, parameters and
    timings there); drops stderr streams, javascript and widget outputs and image file
    references, then code cells left without any output.

    Parameters
    ----------
    nb : NotebookNode
        An nbformat 4 notebook.

    Returns
    -------
    NotebookNode
        The same notebook, cleaned.
    """
    nb.metadata = nbformat.from_dict(
        {key: nb.metadata[key] for key in _KEPT_NOTEBOOK_METADATA if key in nb.metadata}
    )
    kept = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if _ERROR_MARKER_TAG in tags:
            continue
        cell.metadata = nbformat.from_dict({"tags": list(tags)} if tags else {})
        if cell.cell_type == "code":
            cell.outputs = [_clean_output(out) for out in cell.outputs if _shown(out)]
            if not cell.outputs:
                continue
        kept.append(cell)
    nb.cells = kept
    return nb


def _shown(output: NotebookNode) -> bool:
    """Whether an output belongs in a report."""
    if output.get("output_type") == "stream":
        return output.get("name") != "stderr"
    data = output.get("data")
    if not data or not set(data) & _DROPPED_MIMES:
        return True
    # A script, widget or private output: show it only if it carries something besides its
    # text/plain stand-in (such as "IntSlider(value=5)").
    return bool(set(data) - _DROPPED_MIMES - {"text/plain"})


def _clean_output(output: NotebookNode) -> NotebookNode:
    """Drop script payloads, private data and file references from one output."""
    data = output.get("data")
    if data is not None:
        for mime in _DROPPED_MIMES:
            data.pop(mime, None)
    if "metadata" in output:
        output.metadata.pop("filenames", None)
    return output


def _format_literal(path: Path) -> str:
    """Escape ``{`` and ``}`` so ``str.format`` returns the path unchanged."""
    return str(path).replace("{", "{{").replace("}", "}}")


def _user_cell_number(executed: Path, cell_index: int) -> int:
    """Map papermill's index of a failing cell to its 1-based position in the source notebook.

    papermill counts cells of the parameterized notebook, which holds an extra cell tagged
    ``injected-parameters``; the executed file written on failure also holds error markers.
    """
    try:
        cells = nbformat.read(executed, as_version=4).cells
    except (OSError, ValueError):
        return cell_index + 1
    cells = [c for c in cells if _ERROR_MARKER_TAG not in c.get("metadata", {}).get("tags", [])]
    injected_before = sum(
        _INJECTED_TAG in c.get("metadata", {}).get("tags", []) for c in cells[:cell_index]
    )
    return max(cell_index - injected_before, 0) + 1
