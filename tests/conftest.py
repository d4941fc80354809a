"""Shared fixtures: repository paths, a tiny nbgrader source notebook.

Notebook timings and the environment nbval runs notebooks in are in the top-level conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from rnnlm.course.paths import CoursePaths, course_paths

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture(scope="session")
def repo_paths() -> CoursePaths:
    """The repository's course paths (``solutions``, ``notebooks``, nbgrader ``config``, ...)."""
    return course_paths(ROOT)


# -- a tiny nbgrader source notebook, for testing the pipeline itself -------------------------

TINY_NAME = "99_pipeline_check.ipynb"

TINY_COUNT_SOLUTION = '''def count_pairs(tokens):
    """Dictionary (w1, w2) -> how often w2 follows w1 in ``tokens``."""
    ### BEGIN SOLUTION
    counts = {}
    for pair in zip(tokens, tokens[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    return counts
    ### END SOLUTION'''

TINY_NORMALISE_SOLUTION = '''def normalise(counts):
    """Divide every count by the total, so that the values sum to one."""
    ### BEGIN SOLUTION
    grand_total = sum(counts.values())
    return {key: value / grand_total for key, value in counts.items()}
    ### END SOLUTION'''

#: A wrong answer for ``nb99_normalise`` (divides by the number of keys, not the total).
TINY_NORMALISE_WRONG = '''def normalise(counts):
    """Divide every count by the total, so that the values sum to one."""
    return {key: value / len(counts) for key, value in counts.items()}'''

#: grade id -> points of the tiny notebook's graded cells.
TINY_POINTS = {"nb99_count_pairs_test": 2.0, "nb99_normalise_test": 3.0, "nb99_why": 1.0}


def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
          points: float | None = None) -> dict:
    nbg = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        nbg["points"] = points
    return {"nbgrader": nbg}


def tiny_notebook() -> nbformat.NotebookNode:
    """Two autograded exercises (2 and 3 points, visible and hidden tests) and a written answer
    (1 point, graded by hand). The first test also checks that the grader runs in fast mode."""
    cells = [
        new_markdown_cell("# Pipeline check\n\nA throwaway notebook for the course tests."),
        new_code_cell("import rnnlm\n\nFAST = rnnlm.fast_mode()"),
        new_code_cell(TINY_COUNT_SOLUTION, metadata=_meta("nb99_count_pairs", solution=True)),
        new_code_cell(
            'assert FAST, "the grader must run notebooks with RNNLM_FAST=1"\n'
            'c = count_pairs(["a", "b", "a", "b"])\n'
            'assert c[("a", "b")] == 2, "(a, b) occurs twice"\n'
            'assert sum(c.values()) == 3, "4 tokens have 3 pairs"\n'
            "### BEGIN HIDDEN TESTS\n"
            'assert count_pairs(["only"]) == {}, "one token has no pair"\n'
            "### END HIDDEN TESTS",
            metadata=_meta("nb99_count_pairs_test", grade=True, locked=True, points=2),
        ),
        new_code_cell(TINY_NORMALISE_SOLUTION, metadata=_meta("nb99_normalise", solution=True)),
        new_code_cell(
            'p = normalise({"a": 1, "b": 3})\n'
            'assert abs(sum(p.values()) - 1) < 1e-12, "probabilities must sum to one"\n'
            "### BEGIN HIDDEN TESTS\n"
            'assert p["b"] == 0.75, "b has 3 of the 4 counts"\n'
            "### END HIDDEN TESTS",
            metadata=_meta("nb99_normalise_test", grade=True, locked=True, points=3),
        ),
        new_markdown_cell(
            "Why do the counts need normalising?", metadata=_meta("nb99_why_question", locked=True)
        ),
        new_markdown_cell(
            "Counts grow with the corpus; probabilities must sum to one whatever its size.",
            metadata=_meta("nb99_why", grade=True, solution=True, points=1),
        ),
    ]
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index:02d}"
    return new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    )


def write_tiny_solutions(folder: Path) -> Path:
    """Write the tiny notebook as ``folder/99_pipeline_check.ipynb``; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(tiny_notebook(), str(folder / TINY_NAME))
    return folder


@pytest.fixture(scope="session")
def tiny_solutions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A solutions folder holding only the tiny pipeline-check notebook (do not modify it)."""
    return write_tiny_solutions(tmp_path_factory.mktemp("tiny-solutions"))


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny tensors run fastest on one torch thread (and the CPU is shared): a module that wants it
    says ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
