"""The kit's two JupyterLabs (``lab/run``) served for a test and driven in headless Chromium.

Used by ``tests/test_browser.py``. :func:`start_lab` starts ``lab/run student|author`` exactly as
``make lab`` / ``make author`` do (same launcher, same per-server configuration) on a copy of the
notebooks, on 127.0.0.1, a free port and a random token, with the lab's settings, workspaces and
runtime files in a scratch folder so that nothing of the user's own Jupyter state is read or
written. :func:`chromium` starts Debian's Chromium through Debian's chromedriver: the driver's path is
given, so Selenium Manager is never asked for (and never downloads) a driver. :class:`LabPage`
is the little of JupyterLab's page a test needs: open a notebook, use a menu, read the cells as
the page shows them, type into a cell, run it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "lab" / "run"

#: Debian's packages ``chromium`` and ``chromium-driver`` put them here.
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

T = TypeVar("T")


def missing_browser() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (a dev dependency: pip install -e '.[dev]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            return f"no {path} (Debian: apt-get install chromium chromium-driver; missing: {package})"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], T], timeout: float, what: str, poll: float = 0.25) -> T:
    """Poll ``condition`` until it returns something truthy; raise ``TimeoutError`` naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


@dataclass
class LabServer:
    """One running ``lab/run`` server: where it serves from, how to reach it, what it logged."""

    role: str
    folder: Path  # the folder it serves (a copy of notebooks/ or solutions/)
    port: int
    token: str
    log_path: Path
    process: subprocess.Popen

    def url(self, path: str = "lab") -> str:
        """The address of ``path`` on this server, token included."""
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}{sep}token={self.token}"

    def log(self) -> str:
        """Everything the server wrote so far."""
        return self.log_path.read_text(errors="replace")

    def api(self, path: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
        """(HTTP status, decoded JSON or text) of one authenticated request."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/{path.lstrip('/')}", data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            status, text = err.code, err.read().decode(errors="replace")
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def wait_ready(self, timeout: float = 120) -> None:
        """Wait until the server answers; raise with its log if it exits first."""
        def up() -> bool:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"lab/run {self.role} exited with {code}:\n{self.log()}")
            with contextlib.suppress(OSError):
                return self.api("api/status")[0] == 200
            return False

        wait_for(up, timeout, f"the {self.role} JupyterLab to answer on port {self.port}", poll=0.3)

    def stop(self) -> None:
        """Stop the server and its kernels (its own process group, started by :func:`start_lab`)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def shutdown_kernels(self) -> None:
        """Stop every kernel of this server (the next notebook gets the machine's CPUs)."""
        status, kernels = self.api("api/kernels")
        for kernel in kernels if status == 200 else []:
            self.api(f"api/kernels/{kernel['id']}", method="DELETE")


def _copy_notebooks(source: Path, target: Path, patterns: tuple[str, ...]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for pattern in patterns:
        for path in sorted(source.glob(pattern)):
            shutil.copy2(path, target / path.name)


def start_lab(role: str, source: Path, scratch: Path, env: Mapping[str, str] | None = None,
              patterns: tuple[str, ...] = ("*.ipynb",)) -> LabServer:
    """Start ``lab/run ROLE`` serving a copy of ``source``'s notebooks (see :meth:`LabServer.wait_ready`).

    ``env`` is the server's environment (default: this process's); its kernels inherit it. Only the
    address, the token and where the lab keeps its state differ from ``make lab``/``make author``.
    """
    folder = scratch / "files"
    _copy_notebooks(source, folder, patterns)
    state = scratch / "jupyter-state"
    port, token = free_port(), secrets.token_hex(16)
    args = [
        str(LAUNCHER), role, str(folder),
        "--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
        f"--LabApp.user_settings_dir={state / 'user-settings'}",
        f"--LabApp.workspaces_dir={state / 'workspaces'}",
    ]
    server_env = dict(os.environ if env is None else env, JUPYTER_RUNTIME_DIR=str(state / "runtime"))
    log_path = scratch / f"{role}-server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(args, env=server_env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return LabServer(role, folder, port, token, log_path, process)


def chromium(window: tuple[int, int] = (1400, 1100)) -> Any:
    """Headless Chromium driven through Debian's chromedriver (no Selenium Manager, no download)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--disable-extensions", "--disable-background-networking",
                f"--window-size={window[0]},{window[1]}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


# What the page shows, cell by cell: read in one go from the DOM.
_CELLS_JS = r"""
const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
if (!panel) { return null; }
const text = (node) => node ? node.textContent : '';
return [...panel.querySelectorAll('.jp-Notebook .jp-Cell')].map((cell) => {
  const kind = cell.classList.contains('jp-CodeCell') ? 'code'
    : cell.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw';
  const outputs = [...cell.querySelectorAll('.jp-OutputArea-output')];
  let leftover = '';
  const rendered = cell.querySelector('.jp-RenderedMarkdown');
  if (rendered) {
    const copy = rendered.cloneNode(true);
    copy.querySelectorAll('mjx-container, code, pre').forEach((n) => n.remove());
    leftover = copy.textContent;
  }
  return {
    kind: kind,
    prompt: text(cell.querySelector('.jp-InputArea-prompt')).trim(),
    outputs: outputs.map((o) => ({mime: o.dataset.mimeType || '', text: o.textContent})),
    images: cell.querySelectorAll('.jp-OutputArea img').length,
    math: cell.querySelectorAll('.jp-RenderedMarkdown mjx-container').length,
    math_errors: cell.querySelectorAll('mjx-merror, [data-mjx-error]').length,
    rendered_text: leftover,
  };
});
"""

_STATUS_JS = r"""
const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
if (!panel) { return null; }
const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
return {
  kernel: indicator ? indicator.dataset.status : null,
  cells: panel.querySelectorAll('.jp-Notebook .jp-Cell').length,
  prompts: [...panel.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
    .map((p) => p.textContent.trim()),
};
"""

NUMBERED = re.compile(r"^\[\d+\]:$")


class LabPage:
    """The JupyterLab page of one server in the browser."""

    def __init__(self, driver: Any, server: LabServer) -> None:
        self.driver = driver
        self.server = server

    # -- reading the page ---------------------------------------------------------------------

    def js(self, script: str, *args: Any) -> Any:
        """Run ``script`` in the page and return its value."""
        return self.driver.execute_script(script, *args)

    def status(self) -> dict[str, Any] | None:
        """The open notebook's kernel status, number of attached cells and code-cell prompts."""
        return self.js(_STATUS_JS)

    def cells(self) -> list[dict[str, Any]]:
        """Every cell of the open notebook as the page shows it (see ``_CELLS_JS``)."""
        return self.js(_CELLS_JS) or []

    def console_errors(self) -> list[str]:
        """The browser console's SEVERE messages since the last call."""
        return [e["message"] for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]

    def menubar(self) -> list[str]:
        """The labels of the main menu bar."""
        return self.js("return [...document.querySelectorAll('.lm-MenuBar-itemLabel')]"
                       ".map((e) => e.textContent)")

    def sidebar_tabs(self) -> dict[str, str]:
        """Widget id -> label of every side bar tab."""
        return self.js("const r = {}; document.querySelectorAll('.jp-SideBar .lm-TabBar-tab')"
                       ".forEach((t) => { r[t.dataset.id] = t.textContent.trim() || t.title; }); return r;")

    def page_config(self) -> dict[str, Any]:
        """The page's ``jupyter-config-data`` (what the server told this page)."""
        return json.loads(self.js("return document.getElementById('jupyter-config-data').textContent"))

    def toasts(self) -> list[str]:
        """The texts of the notifications shown now."""
        return self.js("return [...document.querySelectorAll('.Toastify__toast')].map((t) => t.textContent)")

    # -- acting on it -------------------------------------------------------------------------

    def kernel_idle(self, name: str) -> bool:
        """Whether the notebook ``name`` has a kernel, idle in the page and on the server."""
        st = self.status()
        if not st or st["kernel"] != "idle":
            return False
        code, sessions = self.server.api("api/sessions")
        if code != 200:
            return False
        states = [(x.get("kernel") or {}).get("execution_state") for x in sessions if x.get("path") == name]
        return "idle" in states

    def open_notebook(self, name: str, n_cells: int | None = None, timeout: float = 120) -> None:
        """Open ``name`` in a workspace of its own and wait for its kernel to be idle (and, given
        ``n_cells``, for that many cells to be on the page: they are attached while the page idles)."""
        workspace = re.sub(r"\W", "-", Path(name).stem)
        self.driver.get(self.server.url(f"lab/workspaces/{workspace}/tree/{name}"))
        wait_for(lambda: self.kernel_idle(name), timeout, f"{name}'s kernel to start", poll=0.5)
        if n_cells is not None:
            self.wait_for_cells(n_cells, timeout)

    def wait_for_cells(self, n_cells: int, timeout: float = 120) -> None:
        """Wait until the open notebook has ``n_cells`` cells on the page."""
        wait_for(lambda: (self.status() or {"cells": 0})["cells"] >= n_cells, timeout, f"{n_cells} cells")

    def menu(self, label: str, command: str) -> None:
        """Click the main menu ``label``, then its item that runs ``command``."""
        from selenium.webdriver.common.by import By

        self.driver.find_element(
            By.XPATH, f"//div[contains(@class, 'lm-MenuBar-itemLabel') and text()='{label}']").click()
        item = wait_for(
            lambda: self.driver.find_elements(By.CSS_SELECTOR, f".lm-Menu-item[data-command='{command}']"),
            10, f"the {label} menu's {command} item")
        item[0].click()

    def open_sidebar_tab(self, widget_id: str) -> None:
        """Click the side bar tab of the widget ``widget_id``."""
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.CSS_SELECTOR, f".lm-TabBar-tab[data-id='{widget_id}']").click()

    def wait_until_run(self, timeout: float, started: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Wait until ``started(status)`` held once and then the kernel is idle with no cell queued
        (twice in a row, half a second apart); return that status."""
        seen_start = False
        calm = 0

        def done() -> dict[str, Any] | None:
            nonlocal seen_start, calm
            st = self.status() or {"kernel": None, "cells": 0, "prompts": []}
            seen_start = seen_start or started(st)
            quiet = st["kernel"] == "idle" and not any("*" in p for p in st["prompts"])
            calm = calm + 1 if seen_start and quiet else 0
            return st if calm >= 2 else None

        return wait_for(done, timeout, "the kernel to finish", poll=0.5)

    def run_all(self, n_cells: int, timeout: float) -> dict[str, Any]:
        """Run > Run All Cells; wait until the kernel has finished with all ``n_cells`` cells on the
        page. Returns the final status."""
        self.menu("Run", "runmenu:run-all")
        def started(st: dict[str, Any]) -> bool:
            return st["cells"] >= n_cells and any("*" in p or NUMBERED.match(p) for p in st["prompts"])

        return self.wait_until_run(timeout, started)

    def save(self, path: Path, timeout: float = 60) -> None:
        """File > Save Notebook, and wait until ``path`` (the served file) has been rewritten."""
        before = path.stat().st_mtime_ns
        self.menu("File", "docmanager:save")
        wait_for(lambda: path.stat().st_mtime_ns != before, timeout, f"{path.name} to be saved")
        time.sleep(0.3)  # the write has started; let it finish

    def scroll_to(self, index: int) -> Any:
        """Scroll cell ``index`` of the open notebook into view; return its element."""
        cell = self.js(
            "const c = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)')"
            ".querySelectorAll('.jp-Notebook .jp-Cell')[arguments[0]];"
            "c.scrollIntoView({block: 'center'}); return c;", index)
        time.sleep(0.2)
        return cell

    def type_into(self, index: int, text: str) -> None:
        """Replace the text of code cell ``index`` with ``text``, typed in its editor.

        The text is inserted as one input event (as a paste would), so the editor's auto-indent does
        not re-indent the lines typed.
        """
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        cell = self.scroll_to(index)
        cell.find_element(By.CSS_SELECTOR, ".cm-content").click()
        ActionChains(self.driver).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).perform()
        self.driver.execute_cdp_cmd("Input.insertText", {"text": text})

    def run_cell(self, index: int, timeout: float) -> dict[str, Any]:
        """Click into cell ``index``, press Shift+Enter, wait until it has run; return the status."""
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        before = (self.status() or {"prompts": []})["prompts"]
        code_index = sum(1 for c in self.cells()[:index] if c["kind"] == "code")
        cell = self.scroll_to(index)
        cell.find_element(By.CSS_SELECTOR, ".cm-content").click()
        ActionChains(self.driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()

        def ran(st: dict[str, Any]) -> bool:
            prompts = st["prompts"]
            now = prompts[code_index] if code_index < len(prompts) else ""
            was = before[code_index] if code_index < len(before) else ""
            return "*" in now or (bool(NUMBERED.match(now)) and now != was)

        return self.wait_until_run(timeout, ran)
