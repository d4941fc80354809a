"""``rnnlm demo``: every notebook runs, its solution scores full marks and its blank scores zero.

For each ``solutions/NN_topic.ipynb``: execute it in fast mode (nbclient, timed), generate the
student version, then autograde the reference solution and the blank student version in one
scratch nbgrader course, and print a table.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rnnlm.course.execute import NotebookExecutionError, execute_notebook
from rnnlm.course.grading import GradeRow, Submission, grade_submission
from rnnlm.course.nbcourse import CourseError, NbgraderCourse
from rnnlm.course.notebooks import SolutionNotebook, find_solutions
from rnnlm.course.release import student_version

#: The fast-mode budget of one notebook on a 2-core CPU (seconds).
FAST_BUDGET_S = 90.0


@dataclass
class DemoResult:
    """One notebook's line of the demo table."""

    notebook: str
    execute_seconds: float | None = None
    execute_error: str = ""
    solution: GradeRow | None = None
    blank: GradeRow | None = None
    error: str = ""  # a release or grading step failed
    seconds: float = 0.0  # everything for this notebook
    release_stale: bool = False  # notebooks/ differs from the freshly generated version

    @property
    def ok(self) -> bool:
        """Runs cleanly, the solution gets every autograded point and the blank gets none."""
        return (
            not self.execute_error
            and not self.error
            and self.solution is not None
            and self.blank is not None
            and self.solution.autograded_score is not None
            and self.solution.autograded_max > 0
            and self.solution.autograded_score == self.solution.autograded_max
            and self.blank.autograded_score == 0
        )


def demo_notebook(
    course: NbgraderCourse,
    nb: SolutionNotebook,
    *,
    notebooks_dir: Path | None = None,
    say: Callable[[str], None] = lambda _m: None,
) -> DemoResult:
    """Execute, release and grade one notebook (solution and blank) in ``course``."""
    result = DemoResult(nb.name)
    start = time.perf_counter()
    say(f"[{nb.name}] executing the solution in fast mode")
    try:
        result.execute_seconds = execute_notebook(nb.path).seconds
        say(f"[{nb.name}] executed in {result.execute_seconds:.1f} s")
    except Exception as exc:  # noqa: BLE001 - a failed cell, a dead kernel, a kernel that won't start
        text = str(exc) if isinstance(exc, NotebookExecutionError) else f"{type(exc).__name__}: {exc}"
        result.execute_error = text
        say(f"[{nb.name}] FAILED to execute: {text.splitlines()[0] if text else type(exc).__name__}")
    try:
        say(f"[{nb.name}] generating the student version")
        text = student_version(course, nb)  # grade ids and leaks checked as by the release
        released = course.release_path(nb)
        if notebooks_dir is not None:
            committed = notebooks_dir / nb.filename
            result.release_stale = not committed.exists() or committed.read_bytes() != text.encode("utf-8")
        say(f"[{nb.name}] autograding the reference solution")
        result.solution = grade_submission(course, nb, Submission("solution", nb.path))
        say(f"[{nb.name}] autograding the blank student version")
        result.blank = grade_submission(course, nb, Submission("blank", released))
    except (CourseError, ValueError) as exc:  # nbgrader failed, or the release was refused
        result.error = str(exc).splitlines()[0]
        say(f"[{nb.name}] FAILED: {str(exc)}")
    result.seconds = time.perf_counter() - start
    return result


def _score(row: GradeRow | None) -> str:
    if row is None:
        return "-"
    if row.autograded_score is None:
        return row.status
    text = f"{row.autograded_score:g}/{row.autograded_max:g}"
    if row.manual_pending_points:
        text += f" (+{row.manual_pending_points:g} manual)"
    return text


def format_table(results: list[DemoResult]) -> str:
    """The demo table: notebook, execution seconds, solution and blank scores, total seconds."""
    header = ("notebook", "execute s", "solution", "blank", "total s", "verdict")
    rows = [header]
    for r in results:
        if r.execute_error:
            execute = "FAILED"
        else:
            seconds = r.execute_seconds or 0.0
            execute = f"{seconds:.1f}" + (" (>90)" if seconds > FAST_BUDGET_S else "")
        verdict = "ok" if r.ok else "FAIL" + (f": {r.error}" if r.error else "")
        rows.append((r.notebook, execute, _score(r.solution), _score(r.blank), f"{r.seconds:.1f}", verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def run_demo(
    solutions_dir: str | Path,
    config_file: str | Path,
    *,
    notebooks_dir: str | Path | None = None,
    course_dir: str | Path | None = None,
    say: Callable[[str], None] = lambda _m: None,
) -> list[DemoResult]:
    """Run :func:`demo_notebook` on every source notebook, in one scratch course (``course_dir``,
    else a temporary folder removed afterwards)."""
    notebooks = find_solutions(solutions_dir)
    if not notebooks:
        raise ValueError(f"no source notebooks (NN_topic.ipynb) in {solutions_dir}")
    with tempfile.TemporaryDirectory(prefix="rnnlm-demo-") as tmp:
        course = NbgraderCourse(course_dir or tmp, config_file)
        nb_dir = Path(notebooks_dir) if notebooks_dir is not None else None
        return [demo_notebook(course, nb, notebooks_dir=nb_dir, say=say) for nb in notebooks]
