"""The analyst's JupyterLab in a real browser: the funnel explorer's widgets render and react.

Starts JupyterLab on 127.0.0.1 (a free port, a random token) on a temporary copy of
``notebooks/`` and the sample, with its own Jupyter config, data, runtime, settings and
workspaces folders (the venv's ``python3`` kernel stays visible: it lives in ``sys.prefix``),
opens ``notebooks/explore/funnel_explorer.ipynb`` in headless Chromium (Debian's, driven by
Playwright), runs all cells from the Run menu, and checks that the widgets are rendered, that a
chart is drawn, and that choosing another team in the Team dropdown draws a new chart. Kernels
are shut down, the server's process group is stopped and the port is checked closed at the end.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import PROJECT

pytestmark = [pytest.mark.slow, pytest.mark.browser]

NOTEBOOK = "notebooks/explore/funnel_explorer.ipynb"
START_TIMEOUT_S = 60
PAGE_TIMEOUT_MS = 60_000  # JupyterLab's first load in a cold headless Chromium
RUN_TIMEOUT_MS = 60_000  # kernel start, imports, the sample's load and the first charts

# User settings that keep JupyterLab from asking anything: no "get notified about official
# Jupyter news?" toast, no update check, no "Select Kernel" dialog (it may show while the
# kernel specs load), and every cell in the DOM (no windowed notebook), so outputs below the
# fold are rendered too.
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
        "autoStartDefaultKernel": True,
    },
}

# Every image drawn in an output area that is a chart, not an icon: (src of each) in page order.
CHART_SOURCES_JS = """
() => [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output img')]
    .filter(img => img.complete && img.naturalWidth >= 200 && img.naturalHeight >= 100)
    .map(img => img.src)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, token: str, method: str = "GET") -> bytes:
    request = urllib.request.Request(
        url, method=method, headers={"Authorization": f"token {token}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read()


def _processes_mentioning(text: str) -> list[int]:
    """Ids of the live processes whose command line contains ``text`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="ignore")
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry.name))
    return found


@pytest.fixture
def lab(tmp_path: Path):
    """A JupyterLab server on a copy of notebooks/ and data/sample; yields (URL, token, root).

    Nothing is written into the repository: the notebooks' relative ``data_dir`` and
    ``export_dir`` resolve inside the copy, and ``$WORKBOOK_DATA_DIR`` points at the copied
    sample.
    """
    root = tmp_path / "root"
    shutil.copytree(
        PROJECT / "notebooks",
        root / "notebooks",
        ignore=shutil.ignore_patterns(".ipynb_checkpoints"),
    )
    shutil.copytree(
        PROJECT / "data" / "sample",
        root / "data" / "sample",
        ignore=shutil.ignore_patterns("*.sqlite*"),
    )
    jupyter = tmp_path / "jupyter"
    settings = jupyter / "user-settings"
    for name, values in USER_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    runtime = jupyter / "runtime"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
        "JUPYTER_DATA_DIR": str(jupyter / "data"),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "IPYTHONDIR": str(jupyter / "ipython"),
        "WORKBOOK_DATA_DIR": str(root / "data" / "sample"),
    }
    port, token = _free_port(), secrets.token_hex(24)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={jupyter / 'workspaces'}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:  # containers and CI often run as root; Jupyter refuses without it
        command.append("--allow-root")
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "lab.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        command,
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_until_listening(f"{base}/api/status", token, server, log_path)
        yield base, token, root
    finally:
        try:
            # Kernels run in sessions of their own: shut them down through the server first.
            if server.poll() is None:
                for kernel in json.loads(_get(f"{base}/api/kernels", token)):
                    _get(f"{base}/api/kernels/{kernel['id']}", token, method="DELETE")
        finally:
            try:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=20)
            log.close()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{base}/api/status", timeout=2)
    # A kernel is started with its connection file in our runtime folder: none may be left.
    deadline = time.monotonic() + 10
    while _processes_mentioning(str(runtime)) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _processes_mentioning(str(runtime))
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"kernel processes left running: {left}"


def _wait_until_listening(url: str, token: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"jupyter lab exited with {server.returncode}:\n{log.read_text()}")
        try:
            _get(url, token)
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail(
        f"JupyterLab did not answer on {url} within {START_TIMEOUT_S} s:\n{log.read_text()}"
    )


def _code_cells(path: Path) -> int:
    """Code cells with any source: the ones Run All Cells gives an execution count."""
    cells = json.loads(path.read_text())["cells"]
    return sum(1 for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip())


def test_funnel_explorer_widgets_draw_and_follow_the_team(lab, chromium):
    base, token, root = lab
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    try:
        page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}", timeout=PAGE_TIMEOUT_MS)
        # The status bar says "Python 3 | Idle" only once the session has a connected, idle
        # kernel (the toolbar's indicator reads idle before that): Run All before then would
        # select the cells and execute none.
        page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\|\s*Idle\s*$")).wait_for(
            timeout=PAGE_TIMEOUT_MS
        )

        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
        expected = _code_cells(root / NOTEBOOK)
        page.wait_for_function(
            """n => {
                const prompts = [...document.querySelectorAll(
                    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
                return prompts.filter(p => /\\[\\d+\\]/.test(p.textContent)).length >= n
                    && !prompts.some(p => p.textContent.includes('*'));
            }""",
            arg=expected,
            timeout=RUN_TIMEOUT_MS,
        )
        outputs = panel.locator(".jp-OutputArea")
        assert "Traceback (most recent call last)" not in "\n".join(outputs.all_inner_texts())

        # The widgets are rendered by the widget manager, not left as placeholders.
        widgets = outputs.locator(".jupyter-widgets")
        widgets.first.wait_for(state="visible", timeout=RUN_TIMEOUT_MS)
        team = outputs.locator(".widget-dropdown").filter(
            has=page.locator("label", has_text=re.compile(r"^\s*Team\s*$"))
        )
        team.wait_for(state="visible", timeout=RUN_TIMEOUT_MS)
        text = page.locator("body").inner_text()
        assert "Loading widget" not in text
        assert "Error displaying widget" not in text

        # A chart is drawn.
        page.wait_for_function(f"({CHART_SOURCES_JS})().length > 0", timeout=RUN_TIMEOUT_MS)
        before = page.evaluate(CHART_SOURCES_JS)

        # Choose another team: the chart is drawn again, differently.
        select = team.locator("select")
        current = select.input_value()
        options = select.locator("option").all_inner_texts()
        assert "all" in options and len(options) > 2, options
        other = next(o for o in options if o != current)
        select.select_option(label=other)
        assert select.input_value() == other
        page.wait_for_function(
            f"""old => {{
                const now = ({CHART_SOURCES_JS})();
                return now.length > 0 && now.some(src => !old.includes(src));
            }}""",
            arg=before,
            timeout=RUN_TIMEOUT_MS,
        )
        after = page.evaluate(CHART_SOURCES_JS)
    except Exception:
        # What the page showed when it failed, next to lab.log in the test's tmp folder.
        page.screenshot(path=str(root.parent / "failure.png"))
        raise
    finally:
        page.close()
    assert after != before
    assert errors == []
