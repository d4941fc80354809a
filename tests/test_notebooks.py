"""Every source notebook runs top to bottom in fast mode; committed notebooks carry no outputs."""

from __future__ import annotations

import warnings

import pytest

from rnnlm.course import default_paths
from rnnlm.course.demo import FAST_BUDGET_S
from rnnlm.course.execute import execute_notebook
from rnnlm.course.notebooks import find_solutions, outputs_in, read_notebook

PATHS = default_paths()
SOLUTIONS = find_solutions(PATHS["solutions"])
COMMITTED = sorted(PATHS["solutions"].glob("*.ipynb")) + sorted(PATHS["notebooks"].glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("nb", SOLUTIONS or [None], ids=[nb.name for nb in SOLUTIONS] or ["none"])
def test_solution_notebook_executes_in_fast_mode(nb, record_notebook_seconds) -> None:
    assert nb is not None, f"no source notebooks NN_topic.ipynb in {PATHS['solutions']}"
    run = execute_notebook(nb.path)  # raises, naming the cell, when a cell fails
    record_notebook_seconds("execute solution", nb.name, run.seconds)
    print(f"{nb.name}: executed in {run.seconds:.1f} s (fast mode)")
    errors = [o for c in run.notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    if run.seconds > FAST_BUDGET_S:
        warnings.warn(
            f"{nb.name} took {run.seconds:.0f} s in fast mode; the budget is {FAST_BUDGET_S:.0f} s (2 cores)",
            stacklevel=1,
        )


@pytest.mark.parametrize("path", COMMITTED or [None], ids=[p.parent.name + "/" + p.name for p in COMMITTED]
                         or ["none"])
def test_committed_notebook_has_no_outputs(path) -> None:
    assert path is not None, "no committed notebooks in solutions/ or notebooks/"
    problems = outputs_in(read_notebook(path))
    assert problems == [], f"{path}: clear outputs before committing: " + "; ".join(problems)
