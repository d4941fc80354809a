"""Grading a class's submissions into an nbgrader gradebook: sandboxed, parallel, resumable.

``grade(SUBMISSIONS, ["02"], DIR, ...)`` builds (or reuses) an nbgrader course in ``DIR``, generates
each assignment from ``solutions/`` (so the gradebook knows cells, points and checksums), collects
the submissions (:mod:`rnnlm.course.intake`: a folder of notebooks, a folder per student, or an LMS
zip) and grades each one in a worker process with :func:`grade_submission`:

1. the original file is kept under ``DIR/originals/`` and read defensively; its cells are put back
   in the course's order (:mod:`rnnlm.course.repair`);
2. ``nbgrader autograde`` runs it with :class:`rnnlm.course.sandbox.SandboxedExecute` (limits,
   isolation, faults turned into outcomes);
3. the row's status comes from the gradebook and the sandbox's outcome; feedback is generated
   without hidden test code and gets a summary banner.

Every submission yields one :class:`GradeRow`, whatever happens. Results: ``DIR/grades.csv`` (one
row per student and notebook), ``DIR/cells.csv`` (one row per graded cell),
``DIR/feedback/<student>/NN/NN_topic.html``, ``DIR/logs/NN/<student>.log`` and ``.json``.
Re-running skips submissions whose file is unchanged (``force`` regrades them); ``shard=(k, n)``
grades the k-th of n disjoint parts of the class, and :func:`merge_shards` combines shard courses.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import multiprocessing
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from rnnlm.course.intake import INVALID, MISSING, STUDENT_ID, Submission, collect_submissions
from rnnlm.course.nbcourse import CONFIG_NAME, CellGrade, NbgraderCourse
from rnnlm.course.notebooks import (
    SolutionNotebook,
    find_solution,
    find_solutions,
    graded_cells,
    read_notebook,
)
from rnnlm.course.paths import CoursePaths, CourseRootError, find_root
from rnnlm.course.sandbox import (
    CRASHED,
    TIMED_OUT,
    Limits,
    SandboxSettings,
    isolation_summary,
    sandbox_mode,
)

__all__ = [
    "CRASHED_STATUS",
    "ERROR",
    "GRADED",
    "INVALID",
    "MISSING",
    "NEEDS_MANUAL",
    "STUDENT_ID",
    "TIMED_OUT_STATUS",
    "GradeRow",
    "GradingOptions",
    "GradingStopped",
    "Submission",
    "grade",
    "grade_submission",
    "merge_shards",
    "parse_shard",
]

# Row statuses (the ``status`` column of grades.csv).
GRADED = "graded"  # every point is settled
NEEDS_MANUAL = "needs-manual-grading"  # autograded; written answers wait for a person
TIMED_OUT_STATUS = TIMED_OUT  # "timed-out": a cell or the notebook ran past its limit
CRASHED_STATUS = CRASHED  # "crashed": the kernel died (exit, signal, a limit that kills)
ERROR = "error"  # the grader itself failed on this submission (a bug to report)
# INVALID ("invalid": not a gradable notebook) and MISSING ("missing") come from rnnlm.course.intake.

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
    seconds: float = 0.0  # wall time of grading this submission
    reused: bool = False  # an unchanged submission: read back, not run again

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


@dataclass
class GradingOptions:
    """How ``rnnlm grade`` runs: workers, limits, what to regrade, which part of the class."""

    workers: int = 0  # 0: one per CPU core
    force: bool = False  # regrade unchanged submissions too
    limits: Limits = field(default_factory=Limits)
    id_pattern: str | None = None  # LMS zips: name -> student id (see rnnlm.course.intake.ID_PATTERNS)
    shard: tuple[int, int] | None = None  # (k, n): grade the k-th of n parts (1 <= k <= n)
    unsafe_no_sandbox: bool = False  # run student code with resource limits only (never by default)

    def worker_count(self, tasks: int) -> int:
        wanted = self.workers or (os.cpu_count() or 1)
        return max(1, min(wanted, tasks))


def parse_shard(text: str) -> tuple[int, int]:
    """``"k/n"`` -> ``(k, n)``; ``ValueError`` unless ``1 <= k <= n``."""
    try:
        k_text, n_text = text.split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise ValueError(f"--shard must look like 2/5 (part k of n), got {text!r}") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard {text}: k must be between 1 and n")
    return k, n


def in_shard(student_id: str, shard: tuple[int, int] | None) -> bool:
    """Whether ``student_id`` belongs to ``shard``: a stable hash of the id, so every machine and
    every re-run splits a class the same way whatever else is in it."""
    if shard is None:
        return True
    k, n = shard
    digest = int.from_bytes(hashlib.sha256(student_id.encode("utf-8")).digest()[:8], "big")
    return digest % n == k - 1


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
    course = NbgraderCourse(root, config_file)
    os.chmod(course.root, 0o700)  # the gradebook and hidden tests are the grader's alone
    return course


def prepare_assignment(course: NbgraderCourse, nb: SolutionNotebook) -> bool:
    """Make the course know ``nb``: copy the source and generate the assignment when it is new or
    changed. True when it was (re)generated."""
    changed = course.add_source(nb)
    if changed or not course.release_path(nb).exists():
        course.generate(nb)
        return True
    return False


def _points(nb: SolutionNotebook) -> tuple[float, float]:
    cells = graded_cells(read_notebook(nb.path)).values()
    return sum(c.points for c in cells), sum(c.points for c in cells if c.autograded)


def _failure_row(nb: SolutionNotebook, student: str, status: str, message: str) -> GradeRow:
    total, auto = _points(nb)
    return GradeRow(
        student_id=student,
        assignment=nb.assignment,
        notebook=nb.name,
        score=None,
        max_score=total,
        autograded_score=None,
        autograded_max=auto,
        needs_manual_grading=False,
        manual_pending_points=0.0,
        status=status,
        message=message,
    )


def _paths(course: NbgraderCourse, nb: SolutionNotebook, student: str) -> dict[str, Path]:
    logs = course.root / "logs" / nb.assignment
    return {
        "original": course.root / "originals" / student / nb.assignment / nb.filename,
        "record": logs / f"{student}.json",
        "log": logs / f"{student}.log",
    }


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


def _banner(row: GradeRow) -> str:
    score = (
        ""
        if row.autograded_score is None
        else (
            f"<p>Autograded score: <b>{row.autograded_score:g} / {row.autograded_max:g}</b>"
            + (
                f"; {row.manual_pending_points:g} point(s) are graded by hand."
                if row.needs_manual_grading
                else "."
            )
            + "</p>"
        )
    )
    notes = "".join(f"<li>{html.escape(part)}</li>" for part in row.message.split("; ") if part)
    return (
        "<div id='rnnlm-summary' style='border:2px solid #888;padding:0.5em 1em;margin:1em;'>"
        f"<p>Status: <b>{html.escape(row.status)}</b></p>{score}"
        + (f"<ul>{notes}</ul>" if notes else "")
        + "<p>A failed check shows its message below; a failed hidden test says so without its code.</p>"
        + "</div>"
    )


def _add_banner(path: Path, row: GradeRow) -> None:
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    marker = "<body"
    at = text.find(marker)
    if at < 0 or "id='rnnlm-summary'" in text:
        return
    end = text.find(">", at) + 1
    path.write_text(text[:end] + "\n" + _banner(row) + text[end:], encoding="utf-8")


def _log(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", errors="replace")


def row_from_gradebook(course: NbgraderCourse, nb: SolutionNotebook, student: str) -> GradeRow:
    """The :class:`GradeRow` of an autograded submission, read from the gradebook (manual grades
    entered since, for example in the formgrader, included); status graded or needs-manual-grading."""
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


def _with_outcome(row: GradeRow, record: dict) -> GradeRow:
    """``row`` with the sandbox's status (timed-out, crashed beat the gradebook's) and notes."""
    if record.get("outcome") in (TIMED_OUT, CRASHED):
        row.status = record["outcome"]
    parts = [p for p in [record.get("reason", ""), *record.get("notes", []), row.message] if p]
    row.message = "; ".join(parts)
    return row


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def grade_submission(
    course: NbgraderCourse, nb: SolutionNotebook, submission: Submission, *, force: bool = True
) -> GradeRow:
    """Autograde one submission in ``course`` (whose assignment is prepared) and write its feedback.

    Without ``force``, a submission whose file is identical to the one graded before is not run
    again: its row is re-read from the gradebook (manual grades included). Never raises for a bad
    submission: the returned row's status says what happened.
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
    import nbformat

    from rnnlm.course import sandbox
    from rnnlm.course.repair import InvalidNotebook, read_submission, restore_structure

    student = submission.student_id
    if submission.path is None:
        row = _failure_row(nb, student, submission.status or INVALID, submission.problem)
        _write_failure_feedback(course, nb, row)
        return row
    paths = _paths(course, nb, student)
    digest = _sha256(submission.path)
    record: dict = {}
    if paths["record"].exists():
        try:
            record = json.loads(paths["record"].read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {}
    if not force and record.get("sha256") == digest and record.get("source_sha256") == _sha256(nb.path):
        if record.get("outcome") == INVALID:
            row = _failure_row(nb, student, INVALID, record.get("reason", ""))
            row.reused = True
            return row
        if course.autograded_path(nb, student).exists():
            row = _with_outcome(row_from_gradebook(course, nb, student), record)
            row.reused = True
            return row

    # keep the file as it came; everything after works on a repaired copy
    paths["original"].parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(submission.path, paths["original"])
    record = {"sha256": digest, "source_sha256": _sha256(nb.path), "origin": submission.origin}
    try:
        student_nb, notes = read_submission(paths["original"])
    except InvalidNotebook as exc:
        record.update(outcome=INVALID, reason=str(exc))
        _log(paths["record"], json.dumps(record, indent=1))
        row = _failure_row(nb, student, INVALID, str(exc))
        _write_failure_feedback(course, nb, row)
        return row
    restored = restore_structure(student_nb, read_notebook(course.release_path(nb)))
    notes += restored.notes

    course.add_student(student)
    submitted = course.submitted_path(nb, student)
    if submitted.parent.exists():
        shutil.rmtree(submitted.parent)
    submitted.parent.mkdir(parents=True)
    nbformat.write(restored.notebook, str(submitted))
    extra = getattr(submission, "extra_files", []) or []
    settings = replace(
        sandbox.current_settings(),
        extra_files=[str(p) for p in extra],
        extra_base=str(submission.path.parent),
    )
    with sandbox.settings_applied(settings):
        sandbox.LAST_OUTCOME = sandbox.Outcome(status="", reason="")
        result = course.autograde(nb, student)
        outcome = sandbox.last_outcome()
    isolation = isolation_summary(outcome.isolation)
    _log(paths["log"], f"{isolation}\n{outcome.reason}\n\n{result.log}{result.error}")
    if not result.success or not course.autograded_path(nb, student).exists():
        row = _failure_row(nb, student, ERROR, f"autograde failed: {result.reason()}")
        _write_failure_feedback(course, nb, row)
        return row
    if outcome.output_truncated:
        notes.append("output beyond the limit was dropped")
    record.update(
        outcome=outcome.status,
        reason=outcome.reason,
        notes=notes,
        isolation=isolation,
        seconds=round(outcome.seconds, 2),
    )
    _log(paths["record"], json.dumps(record, indent=1))
    row = _with_outcome(row_from_gradebook(course, nb, student), record)
    feedback = course.feedback(nb, student)
    if not feedback.success or not course.feedback_path(nb, student).exists():
        row.message = "; ".join(filter(None, [row.message, f"feedback failed: {feedback.reason()}"]))
    else:
        _add_banner(course.feedback_path(nb, student), row)
    return row


# -- a whole class ----------------------------------------------------------------------------


@dataclass
class _Task:
    course_root: str
    config_file: str
    solution: str  # path of the source notebook
    submission: Submission
    force: bool
    settings: SandboxSettings


def _run_task(task: _Task) -> GradeRow:
    """Grade one submission (in a worker process)."""
    from rnnlm.course import sandbox

    sandbox.configure(task.settings)
    course = NbgraderCourse(task.course_root, task.config_file)
    return grade_submission(course, SolutionNotebook(Path(task.solution)), task.submission, force=task.force)


def _hidden_paths(course: NbgraderCourse, solutions_dir: Path, submissions: Path) -> list[str]:
    """Folders a student's kernel must not see: the grading course, the sources, the class's files
    and the private folders (solutions, tests, autograder, git history) of the course roots above
    the working folder and above ``solutions_dir``."""
    candidates = [course.root, solutions_dir, submissions if submissions.is_dir() else submissions.parent]
    for start in (Path.cwd(), solutions_dir):
        try:
            candidates += CoursePaths(find_root(start=start)).private()
        except CourseRootError:
            pass
    return sorted({str(Path(p).resolve()) for p in candidates if Path(p).exists()})


def grade(
    submissions: str | Path,
    assignments: str | Iterable[str],
    out_dir: str | Path,
    *,
    solutions_dir: str | Path,
    config_file: str | Path,
    options: GradingOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[GradeRow]:
    """Grade every submission of ``assignments`` in ``submissions`` into the course ``out_dir``.

    ``assignments`` is one id (``"02"``), several, or ``"all"``. Writes ``grades.csv`` and
    ``cells.csv`` in ``out_dir`` (rows of other assignments, and of students outside this shard,
    already there are kept) and returns the rows graded now, sorted by assignment and student.
    When a source notebook changed since the last run, its submissions are all regraded.
    """
    options = options or GradingOptions()
    say = progress or (lambda _msg: None)
    if isinstance(assignments, str):
        assignments = [assignments]
    assignments = list(assignments)
    if assignments == ["all"]:
        notebooks = find_solutions(solutions_dir)
    else:
        notebooks = [find_solution(solutions_dir, a) for a in assignments]
    source = Path(submissions)
    if not source.exists():
        raise FileNotFoundError(f"submissions {source} do not exist")
    mode, why = sandbox_mode(options.unsafe_no_sandbox)  # refuses here, before anything is run
    say(f"sandbox: {mode} mode ({why})")
    course = open_grading_course(out_dir, config_file)
    settings = SandboxSettings(
        limits=options.limits,
        hidden=_hidden_paths(course, Path(solutions_dir).resolve(), source.resolve()),
        unsafe_no_sandbox=options.unsafe_no_sandbox,
    )
    tasks: list[_Task] = []
    for nb in notebooks:
        say(f"preparing assignment {nb.assignment} ({nb.filename}) in {course.root}")
        regenerated = prepare_assignment(course, nb)
        subs = collect_submissions(
            source, nb, workdir=course.root / "intake" / nb.assignment, id_pattern=options.id_pattern
        )
        subs = [s for s in subs if in_shard(s.student_id, options.shard)]
        for sub in subs:
            tasks.append(
                _Task(
                    str(course.root),
                    str(course.root / CONFIG_NAME),
                    str(nb.path),
                    sub,
                    options.force or regenerated,
                    settings,
                )
            )
    if not tasks:
        raise ValueError(f"no submissions in {source}" + (" for this shard" if options.shard else ""))
    workers = options.worker_count(len(tasks))
    settings.limits = replace(options.limits, threads=max(1, (os.cpu_count() or 1) // workers))
    say(f"grading {len(tasks)} submission(s) with {workers} worker(s)")
    # every row is in grades.csv from the start, as cut off, and replaced as its submission is done:
    # a grader killed outright (SIGKILL, a lost machine) leaves rows that say so, never stale ones
    pending = {_task_key(t): _cut_off_row(t, "the grader was stopped") for t in tasks}
    done: dict[tuple[str, str], GradeRow] = {}

    def write_grades(final: bool = False) -> None:
        current = {**pending, **done}
        for assignment in sorted({a for a, _ in current}):
            group = [r for (a, _), r in current.items() if a == assignment]
            students = {r.student_id for r in group}
            rows_now = [r.csv_row() for r in group]
            write_csv(course.root / "grades.csv", GRADES_FIELDS, rows_now, assignment, students)
            if final:
                write_csv(course.root / "cells.csv", CELLS_FIELDS, cell_rows(group), assignment, students)

    def finished(row: GradeRow) -> None:
        done[(row.assignment, row.student_id)] = row
        write_grades()

    write_grades()
    stopped = ""
    try:
        _run_all(tasks, workers, say, finished)
    except GradingStopped as exc:
        stopped = exc.why
        for key, task in zip(pending, tasks, strict=True):
            if key not in done:
                done[key] = _cut_off_row(task, exc.why)
    write_grades(final=True)
    rows = sorted(done.values(), key=lambda r: (r.assignment, r.student_id))
    if stopped:
        raise GradingStopped(stopped, rows)
    return rows


class GradingStopped(Exception):
    """``rnnlm grade`` was interrupted (Ctrl-C, SIGTERM): rows cut off say so, and every kernel and
    worker has been ended. ``rows`` holds what was graded and the cut-off rows."""

    def __init__(self, why: str, rows: list[GradeRow] | None = None) -> None:
        super().__init__(f"grading stopped: {why}")
        self.why = why
        self.rows = rows or []


def _task_key(task: _Task) -> tuple[str, str]:
    return (SolutionNotebook(Path(task.solution)).assignment, task.submission.student_id)


def _cut_off_row(task: _Task, why: str) -> GradeRow:
    return _failure_row(
        SolutionNotebook(Path(task.solution)),
        task.submission.student_id,
        ERROR,
        f"grading was cut off before this submission finished ({why}); grade it again",
    )


def _worker_init(grader: int) -> None:
    """In each worker: die with the grader (Linux), leave Ctrl-C to the grader, which ends us."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != grader:  # the grader ended before we asked
            os._exit(1)


def _raise_stopped(signum: int, _frame: object) -> None:
    raise GradingStopped(f"{signal.Signals(signum).name} received")


def _run_all(
    tasks: list[_Task],
    workers: int,
    say: Callable[[str], None],
    finished: Callable[[GradeRow], None] = lambda _row: None,
) -> list[GradeRow]:
    """Run ``tasks`` on ``workers`` processes with a progress bar, calling ``finished`` with each
    row as it comes; a task whose worker died becomes an error row, never a missing one.

    Ctrl-C or SIGTERM raises :class:`GradingStopped` after killing the workers (their kernels die
    with them); a worker dies with the grader even when the grader is killed outright.
    """
    from tqdm.auto import tqdm

    rows: list[GradeRow] = []
    counts: dict[str, int] = {}
    bar = tqdm(total=len(tasks), unit="nb", desc="grading", file=sys.stderr, disable=None, dynamic_ncols=True)
    context = multiprocessing.get_context("spawn")
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_stopped) if main_thread else None
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_worker_init, initargs=(os.getpid(),)
    )
    try:
        futures = {pool.submit(_run_task, task): task for task in tasks}
        for future in as_completed(futures):
            task = futures[future]
            nb = SolutionNotebook(Path(task.solution))
            try:
                row = future.result()
            except Exception as exc:  # noqa: BLE001 - a worker process died
                row = _failure_row(
                    nb,
                    task.submission.student_id,
                    ERROR,
                    f"the grading worker failed: {type(exc).__name__}: {exc}",
                )
            rows.append(row)
            finished(row)
            counts[row.status] = counts.get(row.status, 0) + 1
            bar.update(1)
            bar.set_postfix_str(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
            if bar.disable:
                say(
                    f"[{len(rows)}/{len(tasks)}] {row.assignment} {row.student_id}: {_summary(row)}"
                    f" ({row.seconds:.1f} s{', unchanged' if row.reused else ''})"
                )
    except KeyboardInterrupt:
        _end_workers(pool)
        raise GradingStopped("interrupted (Ctrl-C)") from None
    except GradingStopped:
        _end_workers(pool)
        raise
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    return rows


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Kill every worker now (their jails, and so their kernels, die with them)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.kill()
        except OSError:
            pass
    pool.shutdown(wait=False, cancel_futures=True)


def _summary(row: GradeRow) -> str:
    if row.autograded_score is None:
        return f"{row.status}: {row.message}"
    text = f"{row.status}, autograded {row.autograded_score:g}/{row.autograded_max:g}"
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


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a ``grades.csv`` or ``cells.csv`` (empty when the file does not exist)."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_csv(
    path: Path,
    fields: tuple[str, ...],
    rows: list[dict[str, str]],
    assignment: str,
    students: set[str] | None = None,
) -> None:
    """Write ``rows`` to ``path`` atomically, replacing the rows of ``assignment`` (only those of
    ``students`` when given) and keeping every other row already in the file."""
    kept = [
        r
        for r in read_csv(path)
        if r.get("assignment") != assignment or (students is not None and r.get("student_id") not in students)
    ]
    merged = sorted(kept + rows, key=lambda r: (r["assignment"], r["student_id"]))  # stable: cell order kept
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(fields), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(merged)
    tmp.replace(path)


# -- shards -----------------------------------------------------------------------------------


def merge_shards(
    shard_dirs: Iterable[str | Path],
    out_dir: str | Path,
    *,
    config_file: str | Path,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, str]]:
    """Combine the grading courses of several ``--shard`` runs into the course ``out_dir``.

    Copies each shard's originals, submitted and autograded notebooks, feedback and logs, merges
    ``grades.csv`` and ``cells.csv``, and enters every shard's grades (automatic and manual) in the
    merged gradebook, so the formgrader and later runs see the whole class. Refuses shards graded
    from different source notebooks, and a student graded in two shards. Returns the merged rows
    of ``grades.csv``.
    """
    from nbgrader.api import Gradebook, MissingEntry

    say = progress or (lambda _msg: None)
    shards = [Path(d).resolve() for d in shard_dirs]
    for shard in shards:
        if not (shard / CONFIG_NAME).exists():
            raise ValueError(f"{shard} is not a grading course (no {CONFIG_NAME})")
    course = open_grading_course(out_dir, config_file)
    if course.root in shards:
        raise ValueError("--out must be a new folder, not one of the shards")
    seen: dict[tuple[str, str], Path] = {}
    sources: dict[str, bytes] = {}
    all_rows: list[dict[str, str]] = []
    all_cells: list[dict[str, str]] = []
    for shard in shards:
        for source in sorted((shard / "source").glob("*/*.ipynb")):
            data = source.read_bytes()
            if sources.setdefault(source.name, data) != data:
                raise ValueError(f"{shard} was graded from a different {source.name} than another shard")
        rows = read_csv(shard / "grades.csv")
        for row in rows:
            key = (row["assignment"], row["student_id"])
            if key in seen:
                raise ValueError(
                    f"{row['student_id']} ({row['assignment']}) is graded in both {seen[key]} and {shard}"
                )
            seen[key] = shard
        all_rows += rows
        all_cells += read_csv(shard / "cells.csv")
    for name in sorted(sources):
        nb = SolutionNotebook(course.root / "merge-sources" / name)
        nb.path.parent.mkdir(parents=True, exist_ok=True)
        nb.path.write_bytes(sources[name])
        say(f"preparing assignment {nb.assignment} ({name})")
        prepare_assignment(course, nb)
    for shard in shards:
        say(f"merging {shard}")
        for sub in ("originals", "submitted", "autograded", "feedback", "logs"):
            if (shard / sub).is_dir():
                shutil.copytree(shard / sub, course.root / sub, dirs_exist_ok=True)
        with Gradebook(f"sqlite:///{shard / 'gradebook.db'}") as src, Gradebook(course.db_url) as dst:
            for student in src.students:
                dst.update_or_create_student(
                    student.id,
                    first_name=student.first_name,
                    last_name=student.last_name,
                    email=student.email,
                )
            for assignment in src.assignments:
                for submission in assignment.submissions:
                    sid = submission.student.id
                    try:
                        dst.remove_submission(assignment.name, sid)
                    except MissingEntry:
                        pass
                    dst.add_submission(assignment.name, sid, timestamp=submission.timestamp)
                    for notebook in submission.notebooks:
                        for g in notebook.grades:
                            target = dst.find_grade(g.name, notebook.name, assignment.name, sid)
                            target.auto_score, target.manual_score = g.auto_score, g.manual_score
                            target.extra_credit = g.extra_credit
                            target.needs_manual_grade = g.needs_manual_grade
                        for c in notebook.comments:
                            target = dst.find_comment(c.name, notebook.name, assignment.name, sid)
                            target.auto_comment, target.manual_comment = c.auto_comment, c.manual_comment
                    dst.db.commit()
    for name, fields, rows in (
        ("grades.csv", GRADES_FIELDS, all_rows),
        ("cells.csv", CELLS_FIELDS, all_cells),
    ):
        for assignment in sorted({r["assignment"] for r in rows}):
            write_csv(
                course.root / name,
                fields,
                [r for r in rows if r["assignment"] == assignment],
                assignment,
                {r["student_id"] for r in rows if r["assignment"] == assignment},
            )
    shutil.rmtree(course.root / "merge-sources", ignore_errors=True)
    return read_csv(course.root / "grades.csv")
