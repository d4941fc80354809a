"""The student release: ``solutions/NN_topic.ipynb`` -> ``notebooks/NN_topic.ipynb`` through nbgrader.

The release is built in a scratch nbgrader course, normalised to canonical JSON (no outputs, stable
formatting, so regenerating gives byte-identical files) and checked for leaks before anything is
written. ``release(..., check=True)`` compares instead of writing.

The release also writes the package data file ``rnnlm/_visible_checks.json`` that ``rnnlm.check``
reads: the visible checks of every exercise, taken from the generated *student* notebooks (so a
hidden test cannot be in it) and leak-checked like them.
"""

from __future__ import annotations

import ast
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rnnlm.check import CheckSet, VisibleCheck, checks_path
from rnnlm.course.nbcourse import NbgraderCourse
from rnnlm.course.notebooks import (
    NOTEBOOK_FILE,
    SECRET_MARKERS,
    SolutionNotebook,
    canonical_text,
    check_grade_ids,
    exercises,
    find_leaks,
    find_solutions,
    read_notebook,
    secret_lines,
)
from rnnlm.course.paths import optional_course_paths

#: nbgrader's default stubs, for secrets computed without a course (``ClearSolutions`` defaults).
DEFAULT_STUBS = ("# YOUR CODE HERE\nraise NotImplementedError()", "YOUR ANSWER HERE")


class LeakError(ValueError):
    """A generated student notebook shows solution or hidden-test text."""


@dataclass
class ReleaseResult:
    """What a release wrote (or, with ``check``, found different)."""

    written: list[str] = field(default_factory=list)  # file names written or, for a check, that differ
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # check: generated but absent from notebooks/
    stale: list[str] = field(default_factory=list)  # NN_topic.ipynb in notebooks/ with no source
    checks_file: Path | None = None  # the visible checks file written or compared (None: not handled)

    @property
    def differs(self) -> list[str]:
        """Every file name that a check found out of date."""
        return sorted(self.written + self.missing + self.stale)


def _stubs(course: NbgraderCourse) -> tuple[str, ...]:
    """The stub texts that replace solutions (from the configuration, else nbgrader's defaults)."""
    clear = course.config.get("ClearSolutions", {})
    code_stub = clear.get("code_stub", {"python": "# YOUR CODE HERE\nraise NotImplementedError()"})
    text_stub = clear.get("text_stub", "YOUR ANSWER HERE")
    return (*dict(code_stub).values(), text_stub)


#: The cell tag that tells Run All (JupyterLab, nbclient) and nbval that a cell may raise.
RAISES_TAG = "raises-exception"


def prepare_for_students(nb: Any) -> Any:
    """The release-time steps after nbgrader, in place; returns ``nb``.

    - the jupytext pairing is removed (a student's copy is a plain notebook: opening it must not
      create a ``.py`` twin beside it);
    - every autograded test cell gets the tag ``raises-exception``: it fails until its exercise is
      answered, and with the tag Run All shows that error and runs on to the end of the notebook
      (nbgrader still scores the cell by its error).
    """
    nb.metadata.pop("jupytext", None)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            tags = list(cell.metadata.get("tags", []))
            if RAISES_TAG not in tags:
                cell.metadata["tags"] = [*tags, RAISES_TAG]
    return nb


def student_version(course: NbgraderCourse, nb: SolutionNotebook) -> str:
    """Generate the student version of ``nb`` in ``course``; return its canonical text.

    Raises ``ValueError`` for malformed grade ids and :class:`LeakError` when the generated notebook
    contains a solution or hidden-test marker or a line found only in solutions or hidden tests.
    """
    import nbformat

    source = read_notebook(nb.path)
    problems = check_grade_ids(source, nb.assignment)
    if problems:
        raise ValueError(f"{nb.filename}: " + "; ".join(problems))
    released = prepare_for_students(read_notebook(course.generate(nb)))
    text = canonical_text(released)
    leaks = find_leaks(nbformat.reads(text, as_version=4), secret_lines(source, _stubs(course)))
    if leaks:
        raise LeakError(f"the student version of {nb.filename} leaks solutions:\n  " + "\n  ".join(leaks))
    return text


def _generate(
    solutions_dir: str | Path,
    config_file: str | Path,
    course_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, str], dict[str, set[str]]]:
    """(file name -> canonical student text, file name -> secret lines of its source)."""
    notebooks = find_solutions(solutions_dir)
    with tempfile.TemporaryDirectory(prefix="rnnlm-release-") as tmp:
        course = NbgraderCourse(course_dir or tmp, config_file)
        texts, secrets = {}, {}
        for nb in notebooks:
            if progress:
                progress(f"generating the student version of {nb.filename}")
            texts[nb.filename] = student_version(course, nb)
            secrets[nb.filename] = secret_lines(read_notebook(nb.path), _stubs(course))
        return texts, secrets


def build_release(
    solutions_dir: str | Path,
    config_file: str | Path,
    course_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, str]:
    """File name -> canonical text of every student notebook, generated by nbgrader.

    ``course_dir`` holds the scratch course (a temporary folder, removed afterwards, by default).
    """
    return _generate(solutions_dir, config_file, course_dir, progress)[0]


def _defined_names(source: str) -> tuple[str, ...]:
    """Top-level names an answer cell defines (functions, classes, assigned names), in order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.extend(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return tuple(dict.fromkeys(names))


def visible_checks(student_notebooks: Mapping[str, Any]) -> CheckSet:
    """The visible checks of every exercise in ``student_notebooks`` (file name -> student notebook).

    An exercise is an autograded answer cell with the test cells after it
    (:func:`rnnlm.course.notebooks.exercises`); its checks are those test cells' source as the
    student sees it. Written answers are listed without checks.
    """
    found: dict[str, VisibleCheck] = {}
    written: dict[str, str] = {}
    for name, nb in sorted(student_notebooks.items()):
        by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
        for ex in exercises(nb):
            source = "\n\n".join(by_id[t].source.rstrip() for t in ex.test_ids).strip("\n")
            defines = _defined_names(nb.cells[ex.answer_index].source)
            found[ex.answer_id] = VisibleCheck(ex.answer_id, name, ex.test_ids, defines, source)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and meta.get("grade") and cell.cell_type == "markdown":
                written[meta.get("grade_id", "")] = name
    return CheckSet(found, written)


def check_leaks_in_checks(checks: CheckSet, secrets: Mapping[str, set[str]]) -> list[str]:
    """Where ``checks`` shows a secret marker or a secret line of its notebook (empty when clean)."""
    import nbformat

    leaks = []
    for grade_id, ex in sorted(checks.exercises.items()):
        cell = nbformat.v4.new_code_cell(ex.source, metadata={"nbgrader": {"grade_id": grade_id}})
        nb = nbformat.v4.new_notebook(cells=[cell])
        leaks += [f"{ex.notebook} {leak}" for leak in find_leaks(nb, secrets.get(ex.notebook, set()))]
    text = checks.to_text()
    leaks += [f"the file contains {marker!r}" for marker in SECRET_MARKERS if marker in text]
    return leaks


def build_checks(texts: Mapping[str, str], secrets: Mapping[str, set[str]]) -> str:
    """The text of ``_visible_checks.json`` for the student notebooks ``texts`` (file name -> text).

    Raises :class:`LeakError` when it would show a solution or hidden-test line of ``secrets``.
    """
    import nbformat

    checks = visible_checks({name: nbformat.reads(text, as_version=4) for name, text in texts.items()})
    leaks = check_leaks_in_checks(checks, secrets)
    if leaks:
        raise LeakError("the visible checks leak solutions:\n  " + "\n  ".join(leaks))
    return checks.to_text()


def _checks_target(checks_file: str | Path | None, solutions_dir: str | Path) -> Path | None:
    if checks_file != "auto":
        return None if checks_file is None else Path(checks_file)
    course = optional_course_paths()
    own = course is not None and Path(solutions_dir).resolve() == course.solutions.resolve()
    return checks_path() if own else None


def release(
    solutions_dir: str | Path,
    notebooks_dir: str | Path,
    config_file: str | Path,
    *,
    check: bool = False,
    progress: Callable[[str], None] | None = None,
    checks_file: str | Path | Literal["auto"] | None = "auto",
) -> ReleaseResult:
    """Regenerate ``notebooks_dir`` from ``solutions_dir`` (or, with ``check``, only compare).

    Nothing is written unless every notebook generates cleanly. Generated notebooks in
    ``notebooks_dir`` whose source is gone are removed (with ``check``: reported as stale).

    ``checks_file`` receives the visible checks (:func:`build_checks`); ``"auto"`` means the
    package's ``_visible_checks.json`` when ``solutions_dir`` is the course root's own ``solutions/``
    and no file otherwise. When it differs it is listed by its full path in ``written`` (``missing``
    for a check of an absent file), never in ``unchanged``.
    """
    texts, secrets = _generate(solutions_dir, config_file, progress=progress)
    checks_target = _checks_target(checks_file, solutions_dir)
    checks_text = build_checks(texts, secrets) if checks_target is not None else None
    out_dir = Path(notebooks_dir)
    result = ReleaseResult(checks_file=checks_target)
    for name, text in texts.items():
        target = out_dir / name
        data = text.encode("utf-8")
        if not target.exists():
            (result.missing if check else result.written).append(name)
        elif target.read_bytes() != data:
            result.written.append(name)
        else:
            result.unchanged.append(name)
        if not check and name in result.written:
            out_dir.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    if out_dir.is_dir():
        for path in sorted(out_dir.glob("*.ipynb")):
            if NOTEBOOK_FILE.match(path.name) and path.name not in texts:
                result.stale.append(path.name)
                if not check:
                    path.unlink()
    if checks_target is not None and checks_text is not None:
        data = checks_text.encode("utf-8")
        label = str(checks_target.resolve())
        if not checks_target.exists():
            (result.missing if check else result.written).append(label)
        elif checks_target.read_bytes() != data:
            result.written.append(label)
        if not check and label in result.written:
            checks_target.parent.mkdir(parents=True, exist_ok=True)
            checks_target.write_bytes(data)
    return result
