"""The course commands: ``rnnlm course release``, ``rnnlm grade``, ``rnnlm demo``.

nbgrader, nbclient and friends are imported inside the handlers, so ``rnnlm --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def repo_root() -> Path:
    """The repository the package lives in (``lib/rnnlm/course/`` -> the folder holding ``lib/``)."""
    return Path(__file__).resolve().parents[3]


def default_paths() -> dict[str, Path]:
    """Where ``solutions/``, ``notebooks/`` and ``autograder/nbgrader_config.py`` are by default."""
    root = repo_root()
    return {
        "solutions": root / "solutions",
        "notebooks": root / "notebooks",
        "config": root / "autograder" / "nbgrader_config.py",
    }


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _add_common(parser: argparse.ArgumentParser) -> None:
    paths = default_paths()
    parser.add_argument(
        "--solutions", type=Path, default=paths["solutions"], metavar="DIR",
        help="folder of nbgrader source notebooks NN_topic.ipynb (default: %(default)s)",
    )
    parser.add_argument(
        "--config", type=Path, default=paths["config"], metavar="FILE",
        help="nbgrader configuration (default: %(default)s)",
    )


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``course``, ``grade`` and ``demo`` to the ``rnnlm`` command."""
    course = subparsers.add_parser("course", help="build the student notebooks from solutions/")
    course_sub = course.add_subparsers(dest="course_command", metavar="ACTION")
    release = course_sub.add_parser(
        "release",
        help="regenerate notebooks/ from solutions/ through nbgrader",
        description="Generate each student notebook notebooks/NN_topic.ipynb from solutions/NN_topic.ipynb "
        "with nbgrader (outputs stripped, stable JSON). Refuses when a solution or hidden test leaks.",
    )
    _add_common(release)
    release.add_argument(
        "--notebooks", type=Path, default=default_paths()["notebooks"], metavar="DIR",
        help="folder of generated student notebooks (default: %(default)s)",
    )
    release.add_argument(
        "--check", action="store_true",
        help="compare with the folder instead of writing; exit 1 listing the files that differ",
    )
    release.set_defaults(func=_cmd_release)
    course.set_defaults(func=lambda _args: (course.print_help(), 2)[1])

    grade = subparsers.add_parser(
        "grade",
        help="autograde a class's submissions into an nbgrader gradebook",
        description="Autograde every submission of one notebook (in fast mode) into the nbgrader course DIR "
        "and write DIR/grades.csv, DIR/cells.csv and DIR/feedback/<student>/NN/NN_topic.html. "
        "Written answers are reported as needing manual grading.",
    )
    grade.add_argument(
        "submissions", type=Path, metavar="SUBMISSIONS",
        help="folder with one notebook per student (id = file stem) or one folder per student",
    )
    grade.add_argument("--assignment", required=True, metavar="NN", help="notebook number, e.g. 01")
    grade.add_argument("--out", required=True, type=Path, metavar="DIR", help="the grading course folder")
    grade.add_argument(
        "--force", action="store_true",
        help="autograde every submission again, even those already graded from an identical file",
    )
    _add_common(grade)
    grade.set_defaults(func=_cmd_grade)

    demo = subparsers.add_parser(
        "demo",
        help="run every notebook; check solutions score full marks and blanks zero",
        description="For every solutions notebook: execute it in fast mode, generate the student version, "
        "autograde the solution and the blank student version, and print a table. "
        "Exits 1 unless every solution gets full autograded marks and every blank gets zero.",
    )
    _add_common(demo)
    demo.add_argument(
        "--keep", type=Path, metavar="DIR", default=None,
        help="build the scratch course in DIR and keep it (default: a temporary folder)",
    )
    demo.set_defaults(func=_cmd_demo)


def _course_error(command: str, exc: Exception) -> int:
    print(f"rnnlm {command}: error: {exc}", file=sys.stderr)
    return 2


def _cmd_release(args: argparse.Namespace) -> int:
    from rnnlm.course.nbcourse import CourseError
    from rnnlm.course.release import release

    try:
        result = release(args.solutions, args.notebooks, args.config, check=args.check, progress=_progress)
    except CourseError as exc:
        return _course_error("course release", exc)
    if args.check:
        if result.differs:
            print(f"{args.notebooks} is out of date with {args.solutions}; run 'rnnlm course release':")
            for name in result.written:
                print(f"  differs: {name}")
            for name in result.missing:
                print(f"  missing: {name}")
            for name in result.stale:
                print(f"  stale (no source notebook): {name}")
            return 1
        print(f"{args.notebooks}: {len(result.unchanged)} notebook(s) up to date")
        return 0
    for name in result.written:
        print(f"wrote {args.notebooks / name}")
    for name in result.stale:
        print(f"removed {args.notebooks / name} (no source notebook)")
    print(f"{len(result.written)} written, {len(result.unchanged)} unchanged, {len(result.stale)} removed")
    return 0


def _cmd_grade(args: argparse.Namespace) -> int:
    from rnnlm.course.grading import ERROR, INVALID, MISSING, grade
    from rnnlm.course.nbcourse import CourseError

    try:
        rows = grade(
            args.submissions, args.assignment, args.out,
            solutions_dir=args.solutions, config_file=args.config, force=args.force, progress=_progress,
        )
    except CourseError as exc:
        return _course_error("grade", exc)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(f"graded {len(rows)} submission(s): {summary}")
    print(f"grades: {args.out / 'grades.csv'}   per cell: {args.out / 'cells.csv'}")
    print(f"feedback: {args.out / 'feedback'}   nbgrader logs: {args.out / 'logs'}")
    problems = [r for r in rows if r.status in (ERROR, INVALID, MISSING)]
    for row in problems:
        print(f"  {row.student_id}: {row.status}: {row.message}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from rnnlm.course.demo import format_table, run_demo

    paths = default_paths()
    # compare with notebooks/ only when demoing the repository's own solutions
    own = args.solutions.resolve() == paths["solutions"].resolve()
    results = run_demo(
        args.solutions, args.config, notebooks_dir=paths["notebooks"] if own else None,
        course_dir=args.keep, say=_progress,
    )
    print(format_table(results))
    for r in results:
        if r.execute_error:
            print(f"\n{r.notebook} did not run cleanly:\n{r.execute_error}")
        if r.release_stale:
            print(f"note: notebooks/{r.notebook}.ipynb differs from its source; run 'make release'")
    ok = all(r.ok for r in results)
    print("\nall notebooks ok" if ok else "\nsome notebooks FAILED (see the verdict column)")
    return 0 if ok else 1
