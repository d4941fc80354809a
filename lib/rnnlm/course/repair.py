"""Reading a submitted notebook file defensively and putting its cells back in the course's order.

A student's file may be anything: not JSON, truncated, bytes that are not UTF-8, an old nbformat,
or a notebook whose cells were deleted, moved, retyped, duplicated or edited. :func:`read_submission`
turns the file into a notebook or raises :class:`InvalidNotebook` with a reason a student can act
on; :func:`restore_structure` rebuilds the notebook in the order of the released version:

- cells that nbgrader locks or grades as tests come from the release, whatever the student did to
  them (nbgrader's own ``OverwriteCells`` restores them again from the gradebook);
- answer cells keep the student's text (and become code or markdown again as in the release); an
  answer cell that is gone is replaced by the release's blank one;
- the student's own cells stay, after the course cell they followed;
- duplicated course cells: the first copy is kept.

Every change is listed in :attr:`Restored.notes` and ends up in the grade's message.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode

#: Files larger than this are not read (a notebook of this course is well under 5 MB).
MAX_NOTEBOOK_BYTES = 64 * 2**20


class InvalidNotebook(ValueError):
    """The file cannot be read as a Jupyter notebook; the message says why."""


def read_submission(
    path: str | Path, *, max_bytes: int = MAX_NOTEBOOK_BYTES
) -> tuple[NotebookNode, list[str]]:
    """The notebook in ``path`` (nbformat 4) and notes on what had to be tolerated.

    Raises :class:`InvalidNotebook` for a file that is too large, not JSON (for example cut off),
    or JSON that is not a notebook.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise InvalidNotebook(
            f"the file is {size / 2**20:.0f} MB, more than the {max_bytes / 2**20:.0f} MB allowed"
        )
    data = path.read_bytes()
    notes = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        notes.append(f"the file has bytes that are not UTF-8 (first at byte {exc.start}); they were replaced")
    if not text.strip():
        raise InvalidNotebook("the file is empty")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        stripped = text.rstrip()
        cut = " (the file looks cut off)" if stripped.startswith("{") and not stripped.endswith("}") else ""
        raise InvalidNotebook(
            f"not a notebook: invalid JSON at line {exc.lineno}, column {exc.colno}{cut}"
        ) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("nbformat"), int):
        raise InvalidNotebook("not a notebook: the JSON has no 'nbformat' version")
    if raw["nbformat"] == 4 and not isinstance(raw.get("cells"), list):
        raise InvalidNotebook("not a notebook: it has no list of cells")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises several kinds for malformed files
        raise InvalidNotebook(f"not a readable notebook: {type(exc).__name__}: {str(exc)[:200]}") from None
    cells = []
    for index, cell in enumerate(nb.get("cells", [])):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            notes.append(f"cell {index} is malformed and was dropped")
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        cell["source"] = str(source)
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = NotebookNode()
        cells.append(cell)
    nb.cells = cells
    return nb, notes


def _nbgrader(cell: dict[str, Any]) -> dict[str, Any]:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _grade_id(cell: dict[str, Any]) -> str | None:
    grade_id = _nbgrader(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) and grade_id else None


def _is_answer(cell: dict[str, Any]) -> bool:
    return bool(_nbgrader(cell).get("solution"))


@dataclass
class Restored:
    """The rebuilt notebook and what was changed to rebuild it."""

    notebook: NotebookNode
    notes: list[str] = field(default_factory=list)


def _free_cell(cell: dict[str, Any]) -> NotebookNode:
    """A student's own cell, without nbgrader metadata (a student cannot add graded cells)."""
    metadata = {k: v for k, v in cell.get("metadata", {}).items() if k != "nbgrader"}
    if cell.get("cell_type") == "code":
        return nbformat.v4.new_code_cell(cell.get("source", ""), metadata=metadata)
    if cell.get("cell_type") == "raw":
        return nbformat.v4.new_raw_cell(cell.get("source", ""), metadata=metadata)
    return nbformat.v4.new_markdown_cell(cell.get("source", ""), metadata=metadata)


def restore_structure(submitted: NotebookNode, release: NotebookNode) -> Restored:
    """Rebuild ``submitted`` in the order and with the course cells of ``release`` (see the module)."""
    course_ids = [g for g in (_grade_id(c) for c in release.cells) if g]
    known = set(course_ids)
    notes: list[str] = []

    # the student's course cells by grade id (first copy wins) and their own cells by anchor
    theirs: dict[str, dict[str, Any]] = {}
    own: dict[str | None, list[NotebookNode]] = {}
    duplicates, foreign, order = [], [], []
    anchor: str | None = None
    for cell in submitted.cells:
        grade_id = _grade_id(cell)
        if grade_id in known:
            if grade_id in theirs:
                duplicates.append(grade_id)
                continue
            theirs[grade_id] = cell
            order.append(grade_id)
            anchor = grade_id
            continue
        if grade_id is not None:
            foreign.append(grade_id)
        own.setdefault(anchor, []).append(_free_cell(cell))

    if duplicates:
        notes.append("duplicated course cells removed (the first copy was kept): " + ", ".join(duplicates))
    if foreign:
        notes.append("cells with unknown nbgrader ids were kept as ungraded cells: " + ", ".join(foreign))
    expected_order = [g for g in course_ids if g in theirs]
    if order != expected_order:
        moved = [g for g, h in zip(order, expected_order, strict=True) if g != h]
        notes.append("cells put back in the notebook's order: " + ", ".join(moved))

    cells: list[NotebookNode] = list(own.get(None, []))
    missing, restored, retyped = [], [], []
    for ref in release.cells:
        grade_id = _grade_id(ref)
        if grade_id is None:
            continue  # the release's free cells: the student's copies come back as their own cells
        cell = copy.deepcopy(ref)
        mine = theirs.get(grade_id)
        if mine is None:
            missing.append(grade_id)
        elif _is_answer(ref):
            cell["source"] = mine.get("source", "")
            if mine.get("cell_type") != ref.cell_type:
                retyped.append(grade_id)
        elif mine.get("source", "") != ref.source or mine.get("cell_type") != ref.cell_type:
            restored.append(grade_id)
        cell.pop("outputs", None)
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cells.append(cell)
        cells.extend(own.get(grade_id, []))
    if missing:
        notes.append(
            "deleted course cells restored from the release (an answer restored this way is blank): "
            + ", ".join(missing)
        )
    if restored:
        notes.append("edited read-only or test cells restored: " + ", ".join(restored))
    if retyped:
        notes.append("answer cells given back their cell type: " + ", ".join(retyped))

    nb = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(release.metadata))
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index:03d}"
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return Restored(nb, notes)
