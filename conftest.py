"""Notebook runs for the whole test session: nbval's environment and every notebook's timing.

The notebooks (``solutions/*.ipynb`` and the student ``notebooks/*.ipynb``) are collected by nbval
(``--nbval-lax`` in pyproject's ``addopts``: only errors fail a cell, since committed notebooks have
no outputs to compare). The hooks below give each notebook's kernel the grader's environment
(:func:`rnnlm.course.nbcourse.notebook_environment`: fast mode, this interpreter's kernel) and
time every notebook; tests that execute notebooks themselves report through the
``record_notebook_seconds`` fixture. The end-of-run summary lists them all against the fast-mode
budget.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

import pytest

from rnnlm.course.demo import FAST_BUDGET_S
from rnnlm.course.nbcourse import notebook_environment

ROOT = Path(__file__).resolve().parent

# (notebook, seconds) recorded by tests that execute notebooks; printed at the end of the run.
_NOTEBOOK_SECONDS: list[tuple[str, str, float]] = []


@pytest.fixture(scope="session")
def record_notebook_seconds():
    """Call ``record(what, notebook, seconds)`` to list a timing in the end-of-run summary."""

    def record(what: str, notebook: str, seconds: float) -> None:
        _NOTEBOOK_SECONDS.append((what, notebook, seconds))

    return record


# -- nbval: the notebooks run in the grader's environment, timed ---------------------------------

_NBVAL_ENV: dict[str, contextlib.ExitStack] = {}  # notebook path -> its environment, while it runs
_NBVAL_SECONDS: dict[str, float] = {}  # notebook path -> seconds of setup + cells so far


def _nbval_notebook(item: pytest.Item | None) -> str | None:
    """The notebook path of an nbval cell item (None for any other item)."""
    parent = getattr(item, "parent", None)
    if item is None or type(parent).__name__ != "IPyNbFile":
        return None
    return str(Path(str(parent.fspath)).relative_to(ROOT))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    notebook = _nbval_notebook(item)
    if notebook is not None and notebook not in _NBVAL_ENV:  # the first cell starts the kernel
        stack = contextlib.ExitStack()
        stack.enter_context(notebook_environment())
        _NBVAL_ENV[notebook] = stack
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    yield
    notebook = _nbval_notebook(item)
    if notebook is not None and _nbval_notebook(nextitem) != notebook and notebook in _NBVAL_ENV:
        _NBVAL_ENV.pop(notebook).close()  # the kernel has been shut down with its file's teardown


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when in ("setup", "call") and ".ipynb::" in report.nodeid:
        notebook = report.nodeid.split("::", 1)[0]
        _NBVAL_SECONDS[notebook] = _NBVAL_SECONDS.get(notebook, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 - pytest hook signature
    rows = [(f"nbval {'student' if nb.startswith('notebooks/') else 'solution'}", nb, sec)
            for nb, sec in sorted(_NBVAL_SECONDS.items())]
    rows += _NOTEBOOK_SECONDS
    if not rows:
        return
    terminalreporter.section(f"notebook timings (fast mode, seconds; budget {FAST_BUDGET_S:.0f} s each)")
    for what, notebook, seconds in rows:
        over = "  OVER BUDGET" if seconds > FAST_BUDGET_S else ""
        terminalreporter.write_line(f"{seconds:7.1f}  {what:<28} {notebook}{over}")
    slow = [notebook for _what, notebook, seconds in rows if seconds > FAST_BUDGET_S]
    if slow:
        warnings.warn(f"over the {FAST_BUDGET_S:.0f} s fast-mode budget: {', '.join(slow)}", stacklevel=1)
