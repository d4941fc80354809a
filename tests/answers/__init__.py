"""Independently written answers to every autograded exercise, and the tools that try them.

``tests/answers/nbNN.py`` holds, for notebook NN, answers written from the *student* notebook alone
(its markdown, signatures, docstrings and visible checks; never the reference solution or the
library's implementation of the asked function):

- ``LITERAL``: grade id of every autograded answer cell -> a complete correct answer cell, written
  plainly (loops, one step at a time);
- ``IDIOMATIC``: the same ids -> another complete correct answer in another style (vectorised,
  other return types the text allows, other helper functions);
- ``WRONG``: the same ids -> ``(answer cell, hint)``: the typical mistake that the exercise's text or
  hints warn about, and a piece of the message the visible check prints for it.

:func:`fill` puts answers into a student notebook; :func:`try_answers` runs a filled notebook in
fast mode and reports, per exercise, what ``rnnlm.check`` printed and whether the test cell raised
(``python -m answers NN [literal|idiomatic|wrong]`` from ``tests/`` prints that report).
"""

from __future__ import annotations

import copy
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
STYLES = ("literal", "idiomatic")


def student_notebook(nn: str) -> Any:
    """The released student notebook ``notebooks/NN_topic.ipynb``."""
    from rnnlm.course.notebooks import read_notebook

    (path,) = sorted((ROOT / "notebooks").glob(f"{nn}_*.ipynb"))
    return read_notebook(path)


def answers(nn: str) -> Any:
    """The module ``answers.nbNN``."""
    return importlib.import_module(f"answers.nb{nn}")


def fill(nb: Any, sources: dict[str, str]) -> Any:
    """A copy of the student notebook ``nb`` with the answer cells named in ``sources`` replaced."""
    out = copy.deepcopy(nb)
    found = set()
    for cell in out.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in sources:
            cell.source = sources[grade_id].strip("\n")
            found.add(grade_id)
    missing = sorted(set(sources) - found)
    if missing:
        raise KeyError(f"no answer cells {missing} in the notebook")
    return out


def submission(nn: str, style: str, wrong: str | None = None) -> Any:
    """The student notebook of ``nn`` answered in ``style``, with the wrong answer of ``wrong``."""
    module = answers(nn)
    sources = dict(getattr(module, style.upper()))
    if wrong is not None:
        sources[wrong] = module.WRONG[wrong][0]
    return fill(student_notebook(nn), sources)


@dataclass
class Outcome:
    """One exercise of an executed notebook: the check cell's report and the test cell's error."""

    grade_id: str
    report: str  # what rnnlm.check printed (one line)
    test_error: str  # "" when the test cell ran without an error, else "Name: message"


def try_answers(nb: Any) -> list[Outcome]:
    """Execute ``nb`` in fast mode (errors allowed) and report every exercise."""
    from nbclient import NotebookClient

    from rnnlm.course.nbcourse import KERNEL_NAME, notebook_environment
    from rnnlm.course.notebooks import exercises

    nb = copy.deepcopy(nb)
    with notebook_environment():
        NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=300, allow_errors=True).execute()
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    outcomes = []
    for ex in exercises(nb):
        check_cell = nb.cells[ex.answer_index + 1]
        report = "".join(o.get("text", "") for o in check_cell.get("outputs", [])).strip()
        outputs = [o for t in ex.test_ids for o in by_id[t].get("outputs", [])]
        errors = [o for o in outputs if o.get("output_type") == "error"]
        error = f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors else ""
        outcomes.append(Outcome(ex.answer_id, report, error))
    return outcomes
