"""The course's notebook files: naming, canonical JSON, graded cells, solution leaks.

A source notebook is ``solutions/NN_topic.ipynb`` (``NN`` two digits); its nbgrader assignment id
is ``"NN"`` and its notebook id (file stem) is ``NN_topic``. Everything here reads and writes
notebook files; nothing here runs nbgrader or a kernel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: ``NN_topic.ipynb``: two digits, an underscore, a lower-case topic.
NOTEBOOK_FILE = re.compile(r"^(?P<nn>\d\d)_(?P<topic>[a-z0-9][a-z0-9_]*)\.ipynb$")

#: Markers that must never reach a student's notebook.
SECRET_MARKERS = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "BEGIN MARK SCHEME",
    "END MARK SCHEME",
)

# Region delimiters as nbgrader knows them (ClearSolutions, ClearHiddenTests, ClearMarkScheme).
_REGIONS = (
    ("BEGIN SOLUTION", "END SOLUTION"),
    ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
    ("BEGIN MARK SCHEME", "END MARK SCHEME"),
)

# Cell metadata that editors add and that changes from run to run.
_VOLATILE_CELL_METADATA = ("execution", "ExecuteTime")


@dataclass(frozen=True)
class SolutionNotebook:
    """One nbgrader source notebook ``NN_topic.ipynb``."""

    path: Path

    @property
    def filename(self) -> str:
        """``NN_topic.ipynb``."""
        return self.path.name

    @property
    def name(self) -> str:
        """The nbgrader notebook id: the file stem ``NN_topic``."""
        return self.path.stem

    @property
    def assignment(self) -> str:
        """The nbgrader assignment id: the two digits ``NN``."""
        return self.path.name[:2]


@dataclass(frozen=True)
class GradedCell:
    """A cell that carries points: an autograder test cell or a manually graded answer."""

    grade_id: str
    points: float
    autograded: bool  # True: a test cell scored by running it; False: a person grades it


@dataclass(frozen=True)
class Exercise:
    """An autograded answer cell with the test cells that score it."""

    answer_id: str
    answer_index: int  # cell index in the source notebook
    test_ids: tuple[str, ...]
    points: float


def normalise_assignment(assignment: str | int) -> str:
    """``"1"``, ``"01"`` or ``1`` -> ``"01"``; raises ``ValueError`` for anything else."""
    text = str(assignment).strip()
    if not text.isdigit() or not 0 <= int(text) <= 99:
        raise ValueError(f"assignment must be a notebook number such as '01', got {assignment!r}")
    return f"{int(text):02d}"


def find_solutions(solutions_dir: str | Path) -> list[SolutionNotebook]:
    """Every ``NN_topic.ipynb`` in ``solutions_dir``, sorted by number.

    Raises ``FileNotFoundError`` when the folder is missing and ``ValueError`` for a notebook whose
    name breaks the convention or for two notebooks with the same number.
    """
    folder = Path(solutions_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"solutions folder {folder} does not exist")
    found: dict[str, SolutionNotebook] = {}
    for path in sorted(folder.glob("*.ipynb")):
        if not NOTEBOOK_FILE.match(path.name):
            raise ValueError(
                f"{path}: source notebooks must be named NN_topic.ipynb (two digits, lower-case topic), "
                f"got {path.name!r}"
            )
        nb = SolutionNotebook(path.resolve())
        if nb.assignment in found:
            raise ValueError(
                f"two source notebooks for assignment {nb.assignment}: "
                f"{found[nb.assignment].filename} and {nb.filename}"
            )
        found[nb.assignment] = nb
    return [found[k] for k in sorted(found)]


def find_solution(solutions_dir: str | Path, assignment: str | int) -> SolutionNotebook:
    """The source notebook of ``assignment`` (``"01"``); ``ValueError`` lists the ones that exist."""
    wanted = normalise_assignment(assignment)
    notebooks = find_solutions(solutions_dir)
    for nb in notebooks:
        if nb.assignment == wanted:
            return nb
    have = ", ".join(nb.filename for nb in notebooks) or "none"
    raise ValueError(f"no source notebook for assignment {wanted} in {solutions_dir} (found: {have})")


def read_notebook(path: str | Path) -> Any:
    """Read a notebook file as an ``nbformat.NotebookNode`` (version 4)."""
    import nbformat

    return nbformat.read(str(path), as_version=4)


def strip_outputs(nb: Any) -> Any:
    """Remove outputs, execution counts and volatile editor metadata, in place; returns ``nb``."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in _VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    return nb


def canonical_text(nb: Any) -> str:
    """The notebook as stable JSON text: no outputs, sorted keys, one-space indent, final newline."""
    import nbformat

    text = nbformat.writes(strip_outputs(nb))
    return text if text.endswith("\n") else text + "\n"


def outputs_in(nb: Any) -> list[str]:
    """Describe every code cell that carries outputs or an execution count (empty when clean)."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        label = _cell_label(cell, index)
        if cell.get("outputs"):
            problems.append(f"{label} has {len(cell.outputs)} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"{label} has execution_count {cell.execution_count}")
    return problems


def _cell_label(cell: Any, index: int) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"cell {index}" + (f" ({grade_id})" if grade_id else "")


def _nbgrader(cell: Any) -> dict[str, Any]:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def graded_cells(nb: Any) -> dict[str, GradedCell]:
    """grade id -> :class:`GradedCell` for every cell with points, in notebook order.

    Test cells (``grade`` and not ``solution``, code) are autograded; answers marked ``grade`` and
    ``solution`` (written or code) and tasks are graded by a person.
    """
    cells: dict[str, GradedCell] = {}
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if not (meta.get("grade") or meta.get("task")):
            continue
        grade_id = meta.get("grade_id", "")
        autograded = bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"
        cells[grade_id] = GradedCell(grade_id, float(meta.get("points", 0) or 0), autograded)
    return cells


def exercises(nb: Any) -> list[Exercise]:
    """The autograded exercises: each answer cell (code, ``solution``, no points) with the test cells
    that follow it up to the next answer cell."""
    found: list[Exercise] = []
    current: tuple[str, int] | None = None
    tests: list[str] = []
    points = 0.0

    def close() -> None:
        if current is not None and tests:
            found.append(Exercise(current[0], current[1], tuple(tests), points))

    for index, cell in enumerate(nb.cells):
        meta = _nbgrader(cell)
        if meta.get("solution") and not meta.get("grade") and cell.cell_type == "code":
            close()
            current, tests, points = (meta.get("grade_id", ""), index), [], 0.0
        elif meta.get("solution"):
            close()  # a manually graded answer ends the exercise before it
            current, tests, points = None, [], 0.0
        elif meta.get("grade") and cell.cell_type == "code" and current is not None:
            tests.append(meta.get("grade_id", ""))
            points += float(meta.get("points", 0) or 0)
    close()
    return found


def check_grade_ids(nb: Any, assignment: str) -> list[str]:
    """Problems with the grade ids of graded, answer and task cells: they must read ``nbNN_name``
    (``NN`` = ``assignment``) and be unique."""
    pattern = re.compile(rf"^nb{re.escape(assignment)}_[a-z0-9_]+$")
    problems = []
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        meta = _nbgrader(cell)
        if not meta:
            continue
        grade_id = str(meta.get("grade_id", ""))
        if grade_id in seen:
            problems.append(f"cell {index}: grade id {grade_id!r} is used twice")
        seen.add(grade_id)
        if (meta.get("grade") or meta.get("solution") or meta.get("task")) and not pattern.match(grade_id):
            problems.append(
                f"cell {index}: grade id {grade_id!r} should read 'nb{assignment}_name' "
                "(lower-case letters, digits, underscores)"
            )
    return problems


def _regions(
    lines: list[str], regions: tuple[tuple[str, str], ...] = _REGIONS
) -> tuple[list[str], list[str]]:
    """Split ``lines`` into (inside one of ``regions``, outside them all); marker lines are dropped."""
    inside, outside = [], []
    end: str | None = None
    for line in lines:
        if end is None:
            begin = next((b for b, e in regions if b in line), None)
            if begin is not None:
                end = dict(regions)[begin]
                continue
            outside.append(line)
        elif end in line:
            end = None
        else:
            inside.append(line)
    return inside, outside


#: The regions a student never sees at all (solutions are replaced by stubs instead).
HIDDEN_REGIONS = tuple(r for r in _REGIONS if r[0] != "BEGIN SOLUTION")


def split_hidden(source: str) -> tuple[list[str], list[str]]:
    """(visible lines, hidden lines) of a cell's source: hidden tests and mark schemes are hidden;
    their marker lines belong to neither."""
    hidden, visible = _regions(source.split("\n"), HIDDEN_REGIONS)
    return visible, hidden


#: Lines shorter than this (stripped) are too common to prove a leak (``pass``, ``else:``).
MIN_SECRET_CHARS = 8
#: A solution line at least this long that the source also shows in a visible place (a hint that
#: gives the answer away) counts as a leak as well.
MIN_COPIED_CHARS = 30


def secret_lines(nb: Any, stubs: tuple[str, ...] = ()) -> set[str]:
    """Stripped lines of solutions, hidden tests and mark schemes that a student must not see.

    A solution cell without markers is secret as a whole (nbgrader replaces it with a stub). A
    region line is secret when the source notebook shows it nowhere outside the regions (so a line
    like ``except ValueError:`` used by visible and hidden tests alike proves nothing). A solution
    line of at least :data:`MIN_COPIED_CHARS` characters stays secret even when another cell shows
    it: that is a solution copied into a visible cell. Stub lines and lines shorter than
    :data:`MIN_SECRET_CHARS` are never secret.
    """
    inside_all: set[str] = set()
    solution_lines: set[str] = set()
    public: set[str] = set()
    stub_lines = {line.strip() for stub in stubs for line in stub.splitlines()}
    for cell in nb.cells:
        lines = cell.source.splitlines()
        inside, outside = _regions(lines)
        if _nbgrader(cell).get("solution") and not any(b in cell.source for b, _ in _REGIONS):
            inside, outside = lines, []
        scaffold = {line.strip() for line in outside}
        inside_stripped = {line.strip() for line in inside}
        inside_all |= inside_stripped
        if _nbgrader(cell).get("solution"):
            solution_lines |= inside_stripped - scaffold
        public |= scaffold
    copied = {line for line in solution_lines & public if len(line) >= MIN_COPIED_CHARS}
    secret = ((inside_all - public) | copied) - stub_lines
    return {line for line in secret if len(line) >= MIN_SECRET_CHARS}


def find_leaks(student_nb: Any, secrets: set[str]) -> list[str]:
    """Where ``student_nb`` shows a secret marker or one of the ``secrets`` lines (empty when clean)."""
    leaks = []
    for index, cell in enumerate(student_nb.cells):
        label = _cell_label(cell, index)
        for marker in SECRET_MARKERS:
            if marker in cell.source:
                leaks.append(f"{label}: contains {marker!r}")
        for line in cell.source.splitlines():
            if line.strip() in secrets:
                leaks.append(f"{label}: contains solution or hidden-test line {line.strip()!r}")
    return leaks


def as_handed_in(nb: Any) -> Any:
    """A copy of the source notebook ``nb`` as a student who wrote the reference answers hands it in:
    hidden tests and mark schemes removed, ``### BEGIN/END SOLUTION`` marker lines dropped (the code
    between them kept), no outputs. Lines go the way nbgrader's ClearHiddenTests drops them, so test
    cells read exactly as released. Used for synthetic submissions in tests and benchmarks."""
    import copy

    out = strip_outputs(copy.deepcopy(nb))
    for cell in out.cells:
        visible, _ = split_hidden(cell.source)
        cell.source = "\n".join(
            ln for ln in visible if "BEGIN SOLUTION" not in ln and "END SOLUTION" not in ln
        )
    return out
