"""``rnnlm course lint``: the rules every nbgrader source notebook of the course follows.

A source notebook is a pair kept in sync by jupytext: ``solutions/NN_topic.py`` (percent format,
nbgrader metadata in the ``# %%`` cell headers; the text an instructor edits and reviews) and
``solutions/NN_topic.ipynb`` (what nbgrader and JupyterLab open). Saving either in JupyterLab with
the kit's environment updates the other; after editing the ``.py`` in an editor, ``make sync``
(``jupytext --sync solutions/*.py``) writes the notebook. The rules:

- the pair exists, is paired (``jupytext.formats`` = ``ipynb,py:percent``) and is in sync;
- every cell has an id, and no two cells share one;
- nbgrader grade ids read ``nbNN_name`` and are unique;
- ``import rnnlm`` comes before the first exercise, and every autograded answer cell ``nbNN_name``
  is followed by the free cell ``rnnlm.check("nbNN_name")`` and then its test cell ``nbNN_name_test``;
- no cell carries outputs or an execution count.

Each problem names the notebook and the cell at fault.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnlm.course.notebooks import (
    SolutionNotebook,
    check_grade_ids,
    find_solutions,
    outputs_in,
    read_notebook,
)

#: The jupytext formats every source notebook is paired with.
PAIRING = "ipynb,py:percent"

#: The command that brings a pair back in sync (run in the course root).
SYNC_COMMAND = "make sync"

_VERSION_LINE = re.compile(r"^#\s+jupytext_version: .*$", re.M)


@dataclass
class LintReport:
    """The source notebooks looked at and every problem found (empty when clean)."""

    notebooks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def twin_path(notebook: str | Path) -> Path:
    """``solutions/NN_topic.py`` for ``solutions/NN_topic.ipynb``."""
    return Path(notebook).with_suffix(".py")


def _label(cell: Any, index: int) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"cell {index}" + (f" ({grade_id})" if grade_id else "")


def _as_text(nb: Any) -> str:
    """The percent-format text jupytext writes for ``nb``, without its version line."""
    import jupytext

    return _VERSION_LINE.sub("", jupytext.writes(nb, fmt="py:percent"))


def sync_problems(path: str | Path) -> list[str]:
    """Problems with the jupytext pair of the source notebook ``path`` (empty when in sync)."""
    path = Path(path)
    twin = twin_path(path)
    if not twin.is_file():
        return [f"{path.name}: its jupytext source {twin.name} is missing; run '{SYNC_COMMAND}'"]
    nb = read_notebook(path)
    problems = []
    formats = nb.metadata.get("jupytext", {}).get("formats")
    if formats != PAIRING:
        problems.append(
            f"{path.name}: not paired with {twin.name} (metadata jupytext.formats is {formats!r}, "
            f"expected {PAIRING!r}); run 'jupytext --set-formats {PAIRING} {path.name}'"
        )
    on_disk = _VERSION_LINE.sub("", twin.read_text(encoding="utf-8"))
    if _as_text(nb) != on_disk:
        problems.append(
            f"{path.name} and {twin.name} are out of sync: run '{SYNC_COMMAND}' "
            f"(jupytext --sync keeps the one edited last)"
        )
    return problems


def id_problems(path: str | Path) -> list[str]:
    """Cells of the notebook file ``path`` without an id or with another cell's id. Read from the
    JSON itself: nbformat replaces a duplicate id by a random one as it reads, which would make
    the next save change ids at random."""
    path = Path(path)
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    problems, seen = [], {}
    for index, cell in enumerate(cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        label = f"cell {index}" + (f" ({grade_id})" if grade_id else "")
        cell_id = cell.get("id")
        if not cell_id:
            problems.append(f"{path.name}: {label} has no cell id")
        elif cell_id in seen:
            problems.append(f"{path.name}: {label} has the id {cell_id!r} of cell {seen[cell_id]}")
        else:
            seen[cell_id] = index
    return problems


def structure_problems(nb: Any, source: SolutionNotebook) -> list[str]:
    """Problems with the cells of one source notebook: grade ids, check cells, outputs."""
    name = source.filename
    problems = [f"{name}: {p}" for p in check_grade_ids(nb, source.assignment)]
    problems += [f"{name}: {p}; clear outputs before committing" for p in outputs_in(nb)]
    ids = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells}
    imported = False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        imported = imported or bool(re.search(r"^import rnnlm\b", cell.source, re.M))
        meta = cell.metadata.get("nbgrader", {})
        if not (meta.get("solution") and not meta.get("grade")):
            continue
        grade_id = meta.get("grade_id", "")
        if f"{grade_id}_test" not in ids:
            label = _label(cell, index)
            problems.append(f"{name}: {label} is an answer cell without a test cell {grade_id}_test")
            continue
        if not imported:
            label = _label(cell, index)
            problems.append(f"{name}: {label}: 'import rnnlm' must come before the first exercise")
        check = f'rnnlm.check("{grade_id}")'
        after = nb.cells[index + 1] if index + 1 < len(nb.cells) else None
        if after is None or after.cell_type != "code" or after.source.strip() != check:
            problems.append(f"{name}: {_label(cell, index)} must be followed by a free code cell {check}")
            continue
        test = nb.cells[index + 2] if index + 2 < len(nb.cells) else None
        if test is None or test.metadata.get("nbgrader", {}).get("grade_id") != f"{grade_id}_test":
            problems.append(
                f"{name}: {check} (cell {index + 1}) must be followed by the test cell {grade_id}_test"
            )
        if after.metadata.get("nbgrader"):
            problems.append(f"{name}: the check cell {index + 1} must be a free cell (no nbgrader metadata)")
    return problems


def lint_sources(solutions_dir: str | Path) -> LintReport:
    """Lint every source notebook in ``solutions_dir`` (and every ``NN_topic.py`` without a notebook)."""
    solutions_dir = Path(solutions_dir)
    report = LintReport()
    sources = find_solutions(solutions_dir)
    for source in sources:
        report.notebooks.append(source.filename)
        report.problems += sync_problems(source.path)
        report.problems += id_problems(source.path)
        report.problems += structure_problems(read_notebook(source.path), source)
    paired = {twin_path(s.path).name for s in sources}
    for text in sorted(solutions_dir.glob("[0-9][0-9]_*.py")):
        if text.name not in paired:
            report.problems.append(
                f"{text.name}: no notebook {text.with_suffix('.ipynb').name}; run '{SYNC_COMMAND}'"
            )
    return report
