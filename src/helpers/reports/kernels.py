"""One Jupyter kernel that executes many notebooks in turn.

Starting a kernel and importing pandas, seaborn and the helpers costs more than a small report
itself. A :class:`ReusableKernel` pays that once: papermill executes each notebook on the same
running kernel (see ``render.execute_notebook``), and the kernel's namespace is wiped
(``%reset -f``, figures closed) before every notebook, so each report still runs top to
bottom from a clean slate. Imported modules stay loaded, which is the point; so does anything
a module caches on purpose (``Workbook.load(..., reuse=True)``).

The kernel is started with jupyter_client alone, and an optional warm-up is sent to it at
once without waiting for the answer: the kernel imports while its caller is still importing
papermill and nbconvert.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

STARTUP_TIMEOUT = 60
RESET_TIMEOUT = 60  # seconds a reset waits for the kernel, unless told otherwise
# Like %reset -f: drop every name the previous notebook defined (IPython's own history names
# excepted), empty the output cache, close the figures. Then collect the garbage and freeze
# what survives (modules, the cached data set): later collections skip it, which saves about
# a third of a second per report.
_RESET_SOURCE = """\
import re as _re
_ns, _n = get_ipython().user_ns, None
for _n in [n for n in _ns if n not in get_ipython().user_ns_hidden
           and not _re.fullmatch(r"_{1,3}|_i{1,3}|_i?[0-9]+|_(?:ns|n|re)", n)]:
    del _ns[_n]
_ns.get("_oh", {}).clear()
import matplotlib.pyplot as _plt
_plt.close("all")
del _plt, _ns, _n, _re
import gc as _gc
_gc.collect()
_gc.freeze()
del _gc
"""
# No history file on disk: the kernels of a batch run leave nothing behind.
_KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]


class ReusableKernel:
    """A running kernel for executing notebooks one after another (one thread uses it).

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
    warm_up : str, optional
        Code the kernel runs as soon as it is up (imports, say); its result is not awaited
        and an error in it is ignored. It is run again after a restart.

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
        warm_up: str | None = None,
    ):
        self.kernel_name = kernel_name
        self.cwd = Path(cwd)
        self._stderr = stderr
        self._env = {**os.environ, **(env or {})}
        self._warm_up = warm_up
        self.km: AsyncKernelManager | None = None
        self.kc = None
        self._start()

    def _start(self) -> None:
        self.km = AsyncKernelManager(kernel_name=self.kernel_name)
        options = {"cwd": str(self.cwd), "env": self._env, "extra_arguments": _KERNEL_ARGUMENTS}
        if self._stderr is not None:
            options["stderr"] = self._stderr
        run_sync(self.km.start_kernel)(**options)
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            run_sync(self.kc.wait_for_ready)(timeout=STARTUP_TIMEOUT)
        except BaseException:
            self.close()
            raise
        if self._warm_up:
            self.kc.execute(self._warm_up, silent=True, store_history=False)

    def is_alive(self) -> bool:
        """Whether the kernel process is still running."""
        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def reset(self, timeout: float | None = None) -> None:
        """Wipe the namespace and close figures; restart the kernel if it died.

        ``timeout`` (default :data:`RESET_TIMEOUT`) is how long to wait for the kernel: on
        a new kernel the warm-up, e.g. loading a data set of millions of rows, may still be
        running ahead of the reset.
        """
        if not self.is_alive():
            self.close()
            self._start()
            return
        run_sync(self.kc.execute_interactive)(
            _RESET_SOURCE,
            store_history=False,
            timeout=timeout or RESET_TIMEOUT,
            output_hook=_ignore,
        )

    def evaluate(self, expression: str, timeout: float | None = None) -> str | None:
        """The ``repr`` of ``expression`` evaluated in the kernel; ``None`` if it raised.

        Evaluated as a user expression of an empty execution: it waits behind whatever the
        kernel is running (its warm-up, say), defines no name and shows nothing. ``None``
        too when the kernel is dead or does not answer within ``timeout`` seconds (default
        :data:`RESET_TIMEOUT`).
        """
        if not self.is_alive():
            return None
        try:
            reply = run_sync(self.kc.execute_interactive)(
                "",
                store_history=False,
                user_expressions={"value": expression},
                timeout=timeout or RESET_TIMEOUT,
                output_hook=_ignore,
            )
        except TimeoutError:
            return None
        value = reply.get("content", {}).get("user_expressions", {}).get("value", {})
        if value.get("status") != "ok":
            return None
        return value.get("data", {}).get("text/plain")

    def close(self) -> None:
        """Stop the client channels and shut the kernel down."""
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is not None:
            try:
                if run_sync(self.km.is_alive)():
                    run_sync(self.km.shutdown_kernel)(now=False)
            finally:
                run_sync(self.km.cleanup_resources)()
                self.km = None

    def __enter__(self) -> ReusableKernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ignore(message: dict) -> None:
    """Output hook that drops the reset's output (there is none to speak of)."""
