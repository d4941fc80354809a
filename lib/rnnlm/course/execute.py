"""Run a notebook top to bottom, in fast mode, and time it."""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnlm.course.nbcourse import KERNEL_NAME, notebook_environment

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

#: Per-cell limit when executing a notebook (seconds); a whole notebook should take <= 90 s.
CELL_TIMEOUT = 120


class NotebookExecutionError(RuntimeError):
    """A cell raised or timed out; the message names the notebook and the cell."""


@dataclass
class Execution:
    """An executed notebook (with outputs) and the seconds it took, kernel start included."""

    notebook: Any
    seconds: float


def execute_notebook(
    path: str | Path, *, cell_timeout: int = CELL_TIMEOUT, workdir: str | Path | None = None
) -> Execution:
    """Execute the notebook at ``path`` with nbclient in :func:`notebook_environment` (fast mode).

    The kernel's working folder is ``workdir`` (a fresh temporary folder by default, so a notebook
    that writes files leaves nothing behind). Raises :class:`NotebookExecutionError` when a cell
    fails, naming the cell and the error.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    with tempfile.TemporaryDirectory(prefix="rnnlm-run-") as tmp, notebook_environment():
        client = NotebookClient(
            nb,
            kernel_name=KERNEL_NAME,
            timeout=cell_timeout,
            allow_errors=False,
            resources={"metadata": {"path": str(workdir or tmp)}},
        )
        start = time.perf_counter()
        try:
            client.execute()
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
            seconds = time.perf_counter() - start
            raise NotebookExecutionError(
                f"{path.name} failed after {seconds:.1f} s in {_failed_cell(nb)}:\n{_ANSI.sub('', str(exc))}"
            ) from exc
        return Execution(nb, time.perf_counter() - start)


def _failed_cell(nb: Any) -> str:
    """Label of the last code cell that ran (the one that failed)."""
    last = "the kernel start"
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            last = f"cell {index}" + (f" ({grade_id})" if grade_id else "")
    return last
