"""Grading a class's submissions of one notebook into an nbgrader gradebook.

``grade(SUBMISSIONS, "01", DIR)`` builds (or reuses) an nbgrader course in ``DIR``, generates the
assignment from ``solutions/`` so the gradebook knows the cells, points and checksums, and grades
each submission with :func:`grade_submission`, which returns one :class:`GradeRow`. A submission
that cannot be graded becomes a row with a status, never a missing row. Results go to
``DIR/grades.csv`` (one row per student and notebook), ``DIR/cells.csv`` (one row per graded cell)
and ``DIR/feedback/<student>/NN/NN_topic.html``.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from rnnlm.course.nbcourse import CONFIG_NAME, CellGrade, NbgraderCourse
from rnnlm.course.notebooks import SolutionNotebook, find_solution, graded_cells, read_notebook

#: Student ids become folder names and gradebook keys.
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")

# Row statuses.
GRADED = "graded"  # every point is settled
NEEDS_MANUAL = "needs_manual_grading"  # autograded; written answers wait for a person
MISSING = "missing"  # no notebook found for the student
INVALID = "invalid"  # not gradable as given (bad student id, several candidate notebooks, not a notebook)
ERROR = "error"  # nbgrader failed on it

GRADES_FIELDS = (
    "student_id",
    "assignment",
    "notebook",
    "score",
    "max_score",
    "autograded_score",
    "autograded_max",
    "needs_manual_grading",
    "manual_pending_points",
    "status",
    "message",
)
CELLS_FIELDS = (
    "student_id",
    "assignment",
    "notebook",
    "grade_id",
    "kind",
    "score",
    "max_score",
    "auto_score",
    "manual_score",
    "needs_manual_grade",
)


@dataclass
class Submission:
    """One student's submitted notebook, or why there is none usable."""

    student_id: str
    path: Path | None
    problem: str = ""
    status: str = ""  # MISSING or INVALID when ``problem`` is set


@dataclass
class GradeRow:
    """The grade of one student's notebook (a row of ``grades.csv``) with its per-cell grades."""

    student_id: str
    assignment: str
    notebook: str
    score: float | None
    max_score: float
    autograded_score: float | None
    autograded_max: float
    needs_manual_grading: bool
    manual_pending_points: float
    status: str
    message: str = ""
    cells: list[CellGrade] = field(default_factory=list)
    seconds: float = 0.0  # wall time of grading this submission (autograde and feedback)

    def csv_row(self) -> dict[str, str]:
        """The row as ``grades.csv`` writes it."""
        row = {k: v for k, v in asdict(self).items() if k in GRADES_FIELDS}
        return {k: _fmt(v) for k, v in row.items()}


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# -- submissions ------------------------------------------------------------------------------


def find_submissions(submissions_dir: str | Path, nb: SolutionNotebook) -> list[Submission]:
    """The submissions of ``nb`` in ``submissions_dir``, sorted by student id.

    The folder holds one notebook per student (student id = file stem) or one folder per student
    with the notebook inside (named ``NN_topic.ipynb``, or the only ``.ipynb`` in that folder).
    """
    folder = Path(submissions_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"submissions folder {folder} does not exist")
    found: dict[str, Submission] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            sub = _from_folder(entry, nb)
        elif entry.suffix == ".ipynb":
            sub = Submission(entry.stem, entry.resolve())
        else:
            continue
        if not STUDENT_ID.match(sub.student_id):
            sub = Submission(
                sub.student_id,
                None,
                f"student id {sub.student_id!r} may hold only letters, digits and . _ @ - "
                "(and must start with a letter or digit)",
                INVALID,
            )
        if sub.student_id in found:
            sub = Submission(
                sub.student_id, None, f"{sub.student_id!r} has both a notebook file and a folder", INVALID
            )
        found[sub.student_id] = sub
    return [found[k] for k in sorted(found)]


def _from_folder(folder: Path, nb: SolutionNotebook) -> Submission:
    candidates = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    exact = [p for p in candidates if p.name == nb.filename]
    if len(exact) == 1:
        return Submission(folder.name, exact[0].resolve())
    if len(exact) > 1 or len(candidates) > 1:
        names = ", ".join(str(p.relative_to(folder)) for p in (exact or candidates))
        return Submission(folder.name, None, f"several candidate notebooks: {names}", INVALID)
    if len(candidates) == 1:
        return Submission(folder.name, candidates[0].resolve())
    return Submission(folder.name, None, f"no notebook in {folder.name}/ (expected {nb.filename})", MISSING)


# -- the grading course -----------------------------------------------------------------------


def open_grading_course(out_dir: str | Path, config_file: str | Path) -> NbgraderCourse:
    """The nbgrader course in ``out_dir``: created when the folder is new or empty, reused when it
    already is one; ``ValueError`` for a folder that holds something else."""
    root = Path(out_dir)
    if root.exists() and not root.is_dir():
        raise ValueError(f"--out {root} is a file; expected a folder for the grading course")
    if root.is_dir() and any(root.iterdir()) and not (root / CONFIG_NAME).exists():
        raise ValueError(
            f"--out {root} is not empty and is not a grading course (no {CONFIG_NAME}); "
            "give a new or empty folder, or one that an earlier 'rnnlm grade' made"
        )
    return NbgraderCourse(root, config_file)


def prepare_assignment(course: NbgraderCourse, nb: SolutionNotebook) -> bool:
    """Make the course know ``nb``: copy the source and generate the assignment when it is new or
    changed. True when it was (re)generated."""
    changed = course.add_source(nb)
    if changed or not course.release_path(nb).exists():
        course.generate(nb)
        return True
    return False


def _failure_row(nb: SolutionNotebook, student: str, status: str, message: str) -> GradeRow:
    cells = graded_cells(read_notebook(nb.path)).values()
    return GradeRow(
        student_id=student,
        assignment=nb.assignment,
        notebook=nb.name,
        score=None,
        max_score=sum(c.points for c in cells),
        autograded_score=None,
        autograded_max=sum(c.points for c in cells if c.autograded),
        needs_manual_grading=False,
        manual_pending_points=0.0,
        status=status,
        message=message,
    )


def _write_failure_feedback(course: NbgraderCourse, nb: SolutionNotebook, row: GradeRow) -> None:
    path = course.feedback_path(nb, row.student_id)
    if path.parent.exists():
        shutil.rmtree(path.parent)
    path.parent.mkdir(parents=True)
    path.write_text(
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(nb.name)}: not graded</title></head><body>\n"
        f"<h1>{html.escape(nb.name)}</h1>\n"
        f"<p>This submission could not be graded ({html.escape(row.status)}):</p>\n"
        f"<pre>{html.escape(row.message)}</pre>\n"
        "<p>Please contact the course staff.</p>\n</body></html>\n",
        encoding="utf-8",
    )


def _log(course: NbgraderCourse, nb: SolutionNotebook, student: str, text: str) -> None:
    path = course.root / "logs" / nb.assignment / f"{student}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def row_from_gradebook(course: NbgraderCourse, nb: SolutionNotebook, student: str) -> GradeRow:
    """The :class:`GradeRow` of an autograded submission, read from the gradebook (manual grades
    entered since, for example in the formgrader, included)."""
    kinds = graded_cells(read_notebook(course.source_path(nb)))
    grades = [
        replace(g, autograded=g.grade_id in kinds and kinds[g.grade_id].autograded)
        for g in course.grades(nb, student)
    ]
    auto = [g for g in grades if g.autograded]
    pending = [g for g in grades if g.needs_manual_grade]
    failed = [g.grade_id for g in auto if (g.auto_score or 0.0) < g.max_score]
    notes = []
    if failed:
        notes.append("failed: " + ", ".join(failed))
    if pending:
        notes.append("to grade by hand: " + ", ".join(g.grade_id for g in pending))
    timeouts = _timed_out_cells(course.autograded_path(nb, student))
    if timeouts:
        notes.append("timed out: " + ", ".join(timeouts))
    return GradeRow(
        student_id=student,
        assignment=nb.assignment,
        notebook=nb.name,
        score=sum(g.score for g in grades),
        max_score=sum(g.max_score for g in grades),
        autograded_score=sum(g.auto_score or 0.0 for g in auto),
        autograded_max=sum(g.max_score for g in auto),
        needs_manual_grading=bool(pending),
        manual_pending_points=sum(g.max_score for g in pending),
        status=NEEDS_MANUAL if pending else GRADED,
        message="; ".join(notes),
        cells=grades,
    )


def _timed_out_cells(path: Path) -> list[str]:
    if not path.exists():
        return []
    out = []
    for index, cell in enumerate(read_notebook(path).cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") == "CellTimeoutError":
                out.append(cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index}")
    return out


def grade_submission(
    course: NbgraderCourse, nb: SolutionNotebook, submission: Submission, *, force: bool = True
) -> GradeRow:
    """Autograde one submission in ``course`` (whose assignment is prepared) and write its feedback.

    Without ``force``, a submission whose file is identical to the one already autograded is not
    run again: its row is re-read from the gradebook and its feedback regenerated.
    Never raises for a bad submission: the returned row's status says what happened.
    """
    start = time.perf_counter()
    try:
        row = _grade_submission(course, nb, submission, force=force)
    except Exception as exc:  # noqa: BLE001 - one bad submission must not stop the class
        row = _failure_row(nb, submission.student_id, ERROR, f"grading failed: {type(exc).__name__}: {exc}")
        _write_failure_feedback(course, nb, row)
    row.seconds = time.perf_counter() - start
    return row


def _grade_submission(
    course: NbgraderCourse, nb: SolutionNotebook, submission: Submission, *, force: bool
) -> GradeRow:
    student = submission.student_id
    if submission.path is None:
        row = _failure_row(nb, student, submission.status or INVALID, submission.problem)
        _write_failure_feedback(course, nb, row)
        return row
    try:
        read_notebook(submission.path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported, not raised
        row = _failure_row(nb, student, INVALID, f"not a readable notebook: {type(exc).__name__}: {exc}")
        _write_failure_feedback(course, nb, row)
        return row

    submitted = course.submitted_path(nb, student)
    same = submitted.exists() and submitted.read_bytes() == submission.path.read_bytes()
    if force or not same or not course.autograded_path(nb, student).exists():
        course.add_student(student)
        course.submit(nb, student, submission.path)
        result = course.autograde(nb, student)
        _log(course, nb, student, result.log + result.error)
        if not result.success or not course.autograded_path(nb, student).exists():
            row = _failure_row(nb, student, ERROR, f"autograde failed: {result.reason()}")
            _write_failure_feedback(course, nb, row)
            return row
    row = row_from_gradebook(course, nb, student)
    result = course.feedback(nb, student)
    if not result.success or not course.feedback_path(nb, student).exists():
        row.message = "; ".join(filter(None, [row.message, f"feedback failed: {result.reason()}"]))
    return row


def grade(
    submissions_dir: str | Path,
    assignment: str,
    out_dir: str | Path,
    *,
    solutions_dir: str | Path,
    config_file: str | Path,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[GradeRow]:
    """Grade every submission of ``assignment`` in ``submissions_dir`` into the course ``out_dir``.

    Writes ``grades.csv`` and ``cells.csv`` in ``out_dir`` (rows of other assignments already there
    are kept) and returns this assignment's rows. Without ``force``, submissions already autograded
    with identical files are not run again (manual grades are kept either way). When the source
    notebook changed since the last run, everything is regraded.
    """
    nb = find_solution(solutions_dir, assignment)
    submissions = find_submissions(submissions_dir, nb)
    if not submissions:
        raise ValueError(f"no submissions in {submissions_dir} (expected student notebooks or folders)")
    course = open_grading_course(out_dir, config_file)
    say = progress or (lambda _msg: None)
    say(f"preparing assignment {nb.assignment} ({nb.filename}) in {course.root}")
    regenerated = prepare_assignment(course, nb)
    rows = []
    for i, sub in enumerate(submissions, 1):
        say(f"[{i}/{len(submissions)}] grading {sub.student_id}")
        row = grade_submission(course, nb, sub, force=force or regenerated)
        say(f"[{i}/{len(submissions)}] {sub.student_id}: {_summary(row)} ({row.seconds:.1f} s)")
        rows.append(row)
    write_csv(course.root / "grades.csv", GRADES_FIELDS, [r.csv_row() for r in rows], nb.assignment)
    write_csv(course.root / "cells.csv", CELLS_FIELDS, cell_rows(rows), nb.assignment)
    return rows


def _summary(row: GradeRow) -> str:
    if row.autograded_score is None:
        return f"{row.status}: {row.message}"
    text = f"autograded {row.autograded_score:g}/{row.autograded_max:g}"
    if row.needs_manual_grading:
        text += f", {row.manual_pending_points:g} point(s) to grade by hand"
    return text


def cell_rows(rows: Iterable[GradeRow]) -> list[dict[str, str]]:
    """The per-cell rows of ``cells.csv``."""
    out = []
    for row in rows:
        for g in row.cells:
            out.append(
                {
                    "student_id": row.student_id,
                    "assignment": row.assignment,
                    "notebook": row.notebook,
                    "grade_id": g.grade_id,
                    "kind": "autograded" if g.autograded else "manual",
                    "score": _fmt(g.score),
                    "max_score": _fmt(g.max_score),
                    "auto_score": _fmt(g.auto_score),
                    "manual_score": _fmt(g.manual_score),
                    "needs_manual_grade": _fmt(g.needs_manual_grade),
                }
            )
    return out


def write_csv(path: Path, fields: tuple[str, ...], rows: list[dict[str, str]], assignment: str) -> None:
    """Write ``rows`` to ``path``, keeping rows of other assignments already in the file."""
    kept = []
    if path.exists():
        with path.open(newline="", encoding="utf-8") as f:
            kept = [r for r in csv.DictReader(f) if r.get("assignment") != assignment]
    merged = sorted(kept + rows, key=lambda r: (r["assignment"], r["student_id"]))  # stable: cell order kept
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(fields), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(merged)
    tmp.replace(path)
