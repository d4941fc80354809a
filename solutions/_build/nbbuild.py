"""Shared cell builders and the write/--check command for the notebook scripts nbNN.py.

Each ``nbNN.py`` makes ``nb = NotebookBuilder(NN, "NN_topic.ipynb")``, appends cells with
``nb.md``/``nb.code``/``nb.locked_code``/``nb.answer``/``nb.tests``/``nb.written`` and ends with
``sys.exit(nb.main())``. Every cell nbgrader must know about gets schema-3 metadata whose grade id
is prefixed with ``nbNN_``; cell ids are stable (``nbNN-KK``) so diffs stay readable.

:meth:`NotebookBuilder.build` puts a free code cell ``rnnlm.check("nbNN_name")`` right after every
autograded answer cell (one whose grade id has a ``nbNN_name_test`` cell): it runs the exercise's
visible checks and prints a one-line report without stopping the notebook. The notebook must
``import rnnlm`` in a code cell before the first exercise.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

SOLUTIONS = Path(__file__).resolve().parents[1]


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


class NotebookBuilder:
    """Collects the cells of solutions/<filename> and writes or checks the notebook."""

    def __init__(self, number: int, filename: str) -> None:
        if not filename.startswith(f"{number:02d}_"):
            expected = f"{number:02d}_topic.ipynb"
            raise ValueError(f"notebook {number:02d} must be named {expected!r}, got {filename!r}")
        self.number = number
        self.prefix = f"nb{number:02d}_"
        self.path = SOLUTIONS / filename
        self.cells: list[NotebookNode] = []

    def add(self, cell: NotebookNode) -> None:
        self.cells.append(cell)

    def _meta(
        self, grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int | None = None
    ) -> dict:
        meta: dict = {
            "grade": grade,
            "grade_id": self.prefix + grade_id,
            "locked": locked,
            "schema_version": 3,
            "solution": solution,
            "task": False,
        }
        if points is not None:
            meta["points"] = points
        return {"nbgrader": meta}

    def md(self, grade_id: str, text: str) -> NotebookNode:
        """A read-only instructions cell."""
        meta = self._meta(grade_id, grade=False, solution=False, locked=True)
        return nbformat.v4.new_markdown_cell(_src(text), metadata=meta)

    def code(self, text: str) -> NotebookNode:
        """A free code cell (demonstrations the student may run and change)."""
        return nbformat.v4.new_code_cell(_src(text))

    def locked_code(self, grade_id: str, text: str) -> NotebookNode:
        """A read-only code cell (restored from the source when grading)."""
        meta = self._meta(grade_id, grade=False, solution=False, locked=True)
        return nbformat.v4.new_code_cell(_src(text), metadata=meta)

    def answer(self, grade_id: str, text: str) -> NotebookNode:
        """An autograded answer cell: signature and docstring, body between the solution markers."""
        meta = self._meta(grade_id, grade=False, solution=True, locked=False)
        return nbformat.v4.new_code_cell(_src(text), metadata=meta)

    def tests(self, grade_id: str, points: int, text: str) -> NotebookNode:
        """The test cell of an exercise: visible checks first, then the hidden tests."""
        meta = self._meta(grade_id, grade=True, solution=False, locked=True, points=points)
        return nbformat.v4.new_code_cell(_src(text), metadata=meta)

    def written(self, grade_id: str, points: int, text: str) -> NotebookNode:
        """A manually graded written answer (the whole cell is replaced by a stub for students)."""
        meta = self._meta(grade_id, grade=True, solution=True, locked=False, points=points)
        return nbformat.v4.new_markdown_cell(_src(text), metadata=meta)

    def check_cell(self, answer_id: str) -> NotebookNode:
        """The free code cell that runs the visible checks of the answer ``answer_id`` (full grade id)."""
        return nbformat.v4.new_code_cell(f'rnnlm.check("{answer_id}")')

    def _with_check_cells(self) -> list[NotebookNode]:
        """The cells, with :meth:`check_cell` after every answer cell that has a ``_test`` cell."""
        ids = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in self.cells}
        cells: list[NotebookNode] = []
        imported = False
        for cell in self.cells:
            cells.append(cell)
            imported = imported or (cell.cell_type == "code" and "import rnnlm" in cell.source)
            meta = cell.metadata.get("nbgrader", {})
            answer = cell.cell_type == "code" and meta.get("solution") and not meta.get("grade")
            if answer and f"{meta['grade_id']}_test" in ids:
                if not imported:
                    raise ValueError(f"{self.path.name}: import rnnlm before {meta['grade_id']} (for rnnlm.check)")
                cells.append(self.check_cell(meta["grade_id"]))
        return cells

    def build(self) -> NotebookNode:
        """The notebook object (no outputs, no execution counts, stable cell ids), with a check cell
        after every autograded answer."""
        nb = nbformat.v4.new_notebook()
        nb.cells = self._with_check_cells()
        nb.metadata = {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"nb{self.number:02d}-{i:02d}"
        nbformat.validate(nb)
        return nb

    def main(self, argv: list[str] | None = None) -> int:
        """Write (or with --check, compare) the notebook; returns the exit status."""
        parser = argparse.ArgumentParser(description=f"Write {self.path.name}, the nbgrader source notebook.")
        parser.add_argument("--check", action="store_true", help="exit 1 if the notebook is out of date")
        args = parser.parse_args(argv)
        text = nbformat.writes(self.build()) + "\n"
        if args.check:
            current = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
            if current != text:
                print(f"{self.path} is out of date: run {sys.argv[0]}", file=sys.stderr)
                return 1
            return 0
        self.path.write_text(text, encoding="utf-8")
        print(f"wrote {self.path}")
        return 0
