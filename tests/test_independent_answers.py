"""Every correct answer scores full marks: answers written from the student notebooks alone, graded
through ``rnnlm grade``.

``tests/answers/nbNN.py`` holds, for every autograded exercise, two correct answers in different
styles (literal and idiomatic) and one typical wrong answer with the hint its visible check gives
(see ``tests/answers/__init__.py``). One ``rnnlm grade`` run grades, for every notebook:

- ``literal`` and ``idiomatic``: every answer of that style; each must get every autograded point.
  Every idiomatic answer also prints a line on stderr the first time each cell calls it (as a
  warning would): that costs nothing, and the feedback shows the text as a note;
- ``wrong-1`` and ``wrong-2``: the literal answers with the wrong answers of every other exercise
  (the first, third, ... exercise in ``wrong-1``; the second, fourth, ... in ``wrong-2``). Each must
  lose exactly the points of its wrong exercises, keep every point of the exercises between them
  (a mistake costs only its own exercise), and its feedback must show the hint of every mistake.

In every graded notebook ``rnnlm.check("<grade id>")`` and the test cell below it must agree:
PASSED exactly where the test cell passes.
"""

from __future__ import annotations

import csv
import html
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from answers import answers, fill, student_notebook, submission

from rnnlm.course.feedback import STDERR_NOTE
from rnnlm.course.notebooks import exercises, find_solutions, read_notebook

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {nb.assignment: nb for nb in find_solutions(ROOT / "solutions")}


#: Appended to every idiomatic answer: each function it defines prints on stderr once per cell.
_ON_STDERR = """
import functools as _functools
import sys as _sys


def _noisy(_f):
    _cells = set()

    @_functools.wraps(_f)
    def _wrapper(*args, **kwargs):
        try:
            _cell = get_ipython().execution_count  # noqa: F821 (IPython's, in the kernel)
        except NameError:
            _cell = None
        if _cell not in _cells:  # once per function and cell: a test cell's own warning, no flood
            print("a harmless warning on stderr", file=_sys.stderr)
            _cells.add(_cell)
        return _f(*args, **kwargs)
    return _wrapper


{assignments}
"""


def _stderr_answers(nn: str) -> dict[str, str]:
    import ast

    out = {}
    for grade_id, source in answers(nn).IDIOMATIC.items():
        names = [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
        wraps = "\n".join(f"{name} = _noisy({name})" for name in names)
        out[grade_id] = source.rstrip() + "\n" + _ON_STDERR.format(assignments=wraps)
    return out


def _wrong_sets(nn: str) -> dict[str, tuple[str, ...]]:
    """``wrong-1``/``wrong-2`` -> the exercises answered wrongly: every other one, in notebook order."""
    order = [ex.answer_id for ex in exercises(read_notebook(SOURCES[nn].path))]
    return {f"wrong-{k + 1}": tuple(order[k::2]) for k in range(min(2, len(order)))}


def _students(nn: str) -> dict[str, nbformat.NotebookNode]:
    """Student id -> submitted notebook, for notebook ``nn``."""
    out = {"literal": submission(nn, "literal"), "idiomatic": fill(student_notebook(nn), _stderr_answers(nn))}
    module = answers(nn)
    for student, wrong in _wrong_sets(nn).items():
        sources = dict(module.LITERAL) | {grade_id: module.WRONG[grade_id][0] for grade_id in wrong}
        out[student] = fill(student_notebook(nn), sources)
    return out


def test_every_exercise_has_two_correct_answers_and_a_wrong_one() -> None:
    for nn, source in SOURCES.items():
        ids = {ex.answer_id for ex in exercises(read_notebook(source.path))}
        module = answers(nn)
        for name in ("LITERAL", "IDIOMATIC", "WRONG"):
            assert set(getattr(module, name)) == ids, f"answers/nb{nn}.py: {name} must cover {sorted(ids)}"
        for grade_id, answer in module.LITERAL.items():
            assert answer.strip() != module.IDIOMATIC[grade_id].strip(), f"{grade_id}: two styles, not one"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("independent")
    submissions, course = root / "submissions", root / "course"
    expected: dict[tuple[str, str], tuple[str, ...]] = {}  # (assignment, student) -> the wrong grade ids
    for nn, source in SOURCES.items():
        wrong_sets = _wrong_sets(nn)
        for student, nb in _students(nn).items():
            folder = submissions / student
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, str(folder / source.filename))
            expected[(nn, student)] = wrong_sets.get(student, ())
    run = subprocess.run(
        [sys.executable, "-m", "rnnlm.cli", "grade", str(submissions), "--assignment", *SOURCES,
         "--out", str(course), "--workers", "2"],
        capture_output=True, text=True, cwd=ROOT, timeout=1500,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    with (course / "grades.csv").open(newline="", encoding="utf-8") as f:
        rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(f)}
    with (course / "cells.csv").open(newline="", encoding="utf-8") as f:
        cells = {(r["assignment"], r["student_id"], r["grade_id"]): r for r in csv.DictReader(f)}
    return {"course": course, "expected": expected, "rows": rows, "cells": cells}


def _points(nn: str) -> dict[str, float]:
    return {ex.answer_id: ex.points for ex in exercises(read_notebook(SOURCES[nn].path))}


def test_correct_answers_in_every_style_get_full_marks(graded: dict) -> None:
    lost = []
    for (nn, student), wrong in graded["expected"].items():
        if wrong:
            continue
        row = graded["rows"][(nn, student)]
        if float(row["autograded_score"]) != float(row["autograded_max"]):
            failed = [g for (a, s, g), c in graded["cells"].items() if (a, s) == (nn, student)
                      and c["kind"] == "autograded" and float(c["auto_score"] or 0) < float(c["max_score"])]
            score = f"{row['autograded_score']}/{row['autograded_max']}"
            lost.append(f"{nn} {student}: {score} (failed: {failed})")
    assert lost == [], "correct answers lost points:\n" + "\n".join(lost)
    for nn, source in SOURCES.items():
        page = graded["course"] / "feedback" / "idiomatic" / nn / source.filename.replace(".ipynb", ".html")
        assert html.escape(STDERR_NOTE.strip(), quote=False) in page.read_text(encoding="utf-8"), page


def test_each_wrong_answer_loses_exactly_its_exercise_and_gets_its_hint(graded: dict) -> None:
    problems = []
    covered = set()
    for (nn, student), wrong in graded["expected"].items():
        if not wrong:
            continue
        covered |= {(nn, w) for w in wrong}
        points = _points(nn)
        for ex in exercises(read_notebook(SOURCES[nn].path)):  # each exercise scores on its own
            got = sum(float(graded["cells"][(nn, student, t)]["auto_score"] or 0) for t in ex.test_ids)
            want = 0.0 if ex.answer_id in wrong else points[ex.answer_id]
            if got != want:
                problems.append(f"{nn} {student} {ex.answer_id}: {got} points, expected {want}")
        row = graded["rows"][(nn, student)]
        expected = float(row["autograded_max"]) - sum(points[w] for w in wrong)
        if float(row["autograded_score"]) != expected:
            problems.append(f"{nn} {student}: {row['autograded_score']}, expected {expected}")
        page = graded["course"] / "feedback" / student / nn / SOURCES[nn].filename.replace(".ipynb", ".html")
        text = page.read_text(encoding="utf-8") if page.is_file() else ""
        for grade_id in wrong:
            hint = answers(nn).WRONG[grade_id][1]
            if html.escape(hint, quote=False) not in text:
                problems.append(f"{nn} {student}: the feedback page does not show the hint {hint!r}")
    assert problems == [], "\n".join(problems)
    every = {(nn, ex.answer_id) for nn, src in SOURCES.items() for ex in exercises(read_notebook(src.path))}
    assert covered == every, "every exercise is answered wrongly in one submission"


def test_check_and_test_cell_agree_in_every_graded_notebook(graded: dict) -> None:
    disagree = []
    for (nn, student), wrong in graded["expected"].items():
        path = graded["course"] / "autograded" / student / nn / SOURCES[nn].filename
        nb = read_notebook(path)
        by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
        for ex in exercises(nb):
            report = "".join(o.get("text", "") for o in nb.cells[ex.answer_index + 1].get("outputs", []))
            failed = any(o.get("output_type") == "error" for t in ex.test_ids for o in by_id[t].outputs)
            passed_check = ": PASSED (" in report
            if passed_check == failed or (ex.answer_id in wrong and "FAILED" not in report):
                disagree.append(f"{nn} {student} {ex.answer_id}: check said {report.strip()!r}, "
                                f"test cell {'failed' if failed else 'passed'}")
    assert disagree == [], "\n".join(disagree)
