"""One Jupyter kernel that executes many notebooks in turn, through papermill.

Starting a kernel and importing pandas, seaborn and the helpers costs more than a small report
itself. A :class:`ReusableKernel` pays that once: papermill executes each notebook on the same
running kernel (a papermill engine that hands it the kernel instead of starting one), and the
kernel's namespace is wiped (``%reset -f``, figures closed) before every notebook, so each
report still runs top to bottom from a clean slate. Imported modules stay loaded, which is
the point; so does anything a module caches on purpose (``Workbook.load(..., reuse=True)``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from nbclient import NotebookClient
from nbformat import v4
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

ENGINE_NAME = "workbook-reused-kernel"

_RESET_SOURCE = """\
%reset -f
import matplotlib.pyplot as _plt
_plt.close("all")
del _plt
"""


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
        """Execute ``nb_man``'s notebook on ``kwargs["kernel"]`` (a :class:`ReusableKernel`)."""
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
        client.kc = kernel.kc  # the client neither starts nor stops a kernel it was given
        return client.execute()


class ReusableKernel:
    """A running kernel for executing notebooks one after another (not thread-safe).

    Parameters
    ----------
    kernel_name : str
        Jupyter kernel spec to start.
    cwd : Path
        Working directory of the kernel.
    stderr : file, optional
        Where the kernel process writes its stderr (warnings, crashes); default inherited.
    env : dict, optional
        Environment variables added to this process's for the kernel.

    Examples
    --------
    >>> with ReusableKernel("python3", Path("notebooks/reports")) as kernel:  # doctest: +SKIP
    ...     execute_notebook(nb, {"team": "emea-ent"}, out, kernel=kernel)
    """

    def __init__(
        self,
        kernel_name: str,
        cwd: Path,
        *,
        stderr: IO | None = None,
        env: dict[str, str] | None = None,
    ):
        if ENGINE_NAME not in papermill_engines._engines:
            papermill_engines.register(ENGINE_NAME, ReusedKernelEngine)
        self.kernel_name = kernel_name
        self.cwd = Path(cwd)
        self._stderr = stderr
        self._env = {**os.environ, **(env or {})}
        self._starter: NotebookClient | None = None
        self.notebooks_run = 0
        self._start()

    def _start(self) -> None:
        starter = NotebookClient(v4.new_notebook(), kernel_name=self.kernel_name)
        starter.km = starter.create_kernel_manager()
        options: dict[str, Any] = {"cwd": str(self.cwd), "env": self._env}
        if self._stderr is not None:
            options["stderr"] = self._stderr
        starter.start_new_kernel(**options)
        starter.start_new_kernel_client()
        self._starter = starter

    @property
    def km(self):
        """The kernel manager."""
        return self._starter.km

    @property
    def kc(self):
        """The kernel client, channels started."""
        return self._starter.kc

    def is_alive(self) -> bool:
        """Whether the kernel process is still running."""
        from jupyter_core.utils import run_sync

        return bool(self._starter and run_sync(self.km.is_alive)())

    def reset(self) -> None:
        """Wipe the namespace and close figures; restart the kernel if it died."""
        if not self.is_alive():
            self.close()
            self._start()
            return
        nb = v4.new_notebook(cells=[v4.new_code_cell(_RESET_SOURCE)])
        client = NotebookClient(nb, km=self.km, kernel_name=self.kernel_name, timeout=60)
        client.kc = self.kc
        client.execute()

    def close(self) -> None:
        """Stop the client channels and shut the kernel down."""
        if self._starter is not None:
            self._starter._cleanup_kernel()
            self._starter = None

    def __enter__(self) -> ReusableKernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
