"""The course commands: ``rnnlm course release|lint|bundle``, ``rnnlm grade``, ``rnnlm grade-merge``,
``rnnlm demo``.

This module only parses and dispatches: every course sub-command's parser is here, and each handler
calls the module that does the work (imported inside the handler, so ``rnnlm --help`` stays fast).
Paths default to the course root of :mod:`rnnlm.course.paths`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rnnlm.course.paths import MARKER, ROOT_ENV, CoursePaths, course_paths, optional_course_paths


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"the course root (default: ${ROOT_ENV}, else the folder at or above the working folder "
        f"that holds {MARKER})",
    )


def _add_common(parser: argparse.ArgumentParser) -> None:
    _add_root(parser)
    parser.add_argument(
        "--solutions",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of nbgrader source notebooks NN_topic.ipynb (default: ROOT/solutions)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"nbgrader configuration (default: ROOT/{MARKER})",
    )


def _resolve(args: argparse.Namespace) -> CoursePaths | None:
    """Fill ``args.solutions``/``args.config`` (and ``args.notebooks`` where the command has it)
    from the course root; returns the course's paths, or None when both were given and no root is
    found."""
    wanted = [name for name in ("solutions", "config", "notebooks") if getattr(args, name, False) is None]
    paths = course_paths(args.root) if wanted or args.root else optional_course_paths()
    for name in wanted:
        setattr(args, name, getattr(paths, name))
    return paths


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
        "--notebooks",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of generated student notebooks (default: ROOT/notebooks)",
    )
    release.add_argument(
        "--check",
        action="store_true",
        help="compare with the folder instead of writing; exit 1 listing the files that differ",
    )
    release.set_defaults(func=_cmd_release)

    lint = course_sub.add_parser(
        "lint",
        help="check the notebook sources: pairs in sync, grade ids, check cells, no outputs",
        description="Check every solutions/NN_topic.ipynb and its jupytext twin NN_topic.py: the pair is in "
        "sync, cells have unique ids, nbgrader grade ids carry the nbNN_ prefix, every autograded answer "
        "is followed by its rnnlm.check cell and a test cell, and nothing has outputs. "
        "Names the cell at fault; exit 1 when anything is wrong.",
    )
    _add_common(lint)
    lint.set_defaults(func=_cmd_lint)

    bundle = course_sub.add_parser(
        "bundle",
        help="build what students get for one notebook: notebooks and a library with stubbed exercises",
        description="Write DIR/README.txt, the student notebooks of assignments <= NN (from notebooks/) and "
        "DIR/rnnlm-lib/, a pip-installable copy of the library in which every function that "
        "notebook NN or a later one asks for calls the student's own function. Refuses a non-empty DIR "
        "that is not an earlier bundle unless --force.",
    )
    _add_root(bundle)
    bundle.add_argument("assignment", metavar="NN", help="notebook number, e.g. 03")
    bundle.add_argument("--out", required=True, type=Path, metavar="DIR", help="the bundle folder to write")
    bundle.add_argument(
        "--force", action="store_true",
        help="replace DIR even when it is a non-empty folder that is not a bundle",
    )
    bundle.set_defaults(func=_cmd_bundle)
    course.set_defaults(func=lambda _args: (course.print_help(), 2)[1])

    grade = subparsers.add_parser(
        "grade",
        help="autograde a class's submissions (sandboxed, in parallel) into an nbgrader gradebook",
        description="Autograde every submission of the given notebooks (in fast mode, each in a sandbox "
        "with limits) into the nbgrader course DIR and write DIR/grades.csv "
        "(status: graded, needs-manual-grading, timed-out, crashed, invalid, missing), "
        "DIR/cells.csv and DIR/feedback/<student>/NN/NN_topic.html. "
        "Unchanged submissions are not run again unless --force. See autograder/README.md.",
    )
    grade.add_argument(
        "submissions",
        type=Path,
        metavar="SUBMISSIONS",
        help="a folder with one notebook per student (id = file stem) or one folder per student, "
        "or a zip exported by a learning-management system",
    )
    grade.add_argument(
        "--assignment",
        required=True,
        nargs="+",
        metavar="NN",
        help="notebook number(s) to grade, e.g. 02, or 01 02 03, or 'all'",
    )
    grade.add_argument("--out", required=True, type=Path, metavar="DIR", help="the grading course folder")
    grade.add_argument(
        "--force",
        action="store_true",
        help="autograde every submission again, even those already graded from an identical file",
    )
    grade.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="grade N submissions at once (default: one per CPU core)",
    )
    grade.add_argument(
        "--shard",
        default=None,
        metavar="K/N",
        help="grade only part K of N of the class (split by a stable hash of the student id); "
        "combine the shards' folders with 'rnnlm grade-merge'",
    )
    grade.add_argument(
        "--id-pattern",
        default=None,
        metavar="NAME|REGEX",
        help="how zip members map to student ids: canvas, moodle, blackboard, or a regular expression "
        "with a group (?P<id>...) applied to the member's path",
    )
    limits = grade.add_argument_group("limits for each submission")
    limits.add_argument(
        "--cell-timeout",
        type=float,
        default=None,
        metavar="S",
        help="wall seconds per cell (default: 120)",
    )
    limits.add_argument(
        "--notebook-timeout",
        type=float,
        default=None,
        metavar="S",
        help="wall seconds per notebook (default: 600)",
    )
    limits.add_argument(
        "--memory", default=None, metavar="SIZE", help="memory per process, e.g. 4G (default: 4G)"
    )
    limits.add_argument(
        "--max-processes",
        type=int,
        default=None,
        metavar="N",
        help="processes and threads at once (default: 256)",
    )
    limits.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run student code without namespaces or the allowlist view, as the grading user, with "
        "resource limits only (for a machine that cannot sandbox, with trusted submissions)",
    )
    _add_common(grade)
    grade.set_defaults(func=_cmd_grade)

    merge = subparsers.add_parser(
        "grade-merge",
        help="combine the course folders of 'rnnlm grade --shard' runs into one",
        description="Merge grades.csv, cells.csv, feedback, logs, submitted and autograded notebooks and the "
        "gradebooks of several shard folders into the course folder DIR.",
    )
    merge.add_argument(
        "shards", nargs="+", type=Path, metavar="SHARD_DIR", help="course folders of the shards"
    )
    merge.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="the merged course folder (new)"
    )
    _add_common(merge)
    merge.set_defaults(func=_cmd_grade_merge)

    demo = subparsers.add_parser(
        "demo",
        help="run every notebook; check solutions score full marks and blanks zero",
        description="For every solutions notebook: execute it in fast mode, generate the student version, "
        "autograde the solution and the blank student version, and print a table. "
        "Exits 1 unless every solution gets full autograded marks and every blank gets zero.",
    )
    _add_common(demo)
    demo.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        default=None,
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
        _resolve(args)
        result = release(args.solutions, args.notebooks, args.config, check=args.check, progress=_progress)
    except (CourseError, FileNotFoundError) as exc:
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


def _parse_size(text: str) -> int:
    units = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    value = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = value[-1] if value and value[-1] in units else ""
    try:
        return int(float(value[: len(value) - len(unit)]) * units[unit])
    except ValueError:
        raise ValueError(f"not a size: {text!r} (examples: 4G, 512M)") from None


def _grading_options(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from rnnlm.course.grading import GradingOptions, parse_shard
    from rnnlm.course.intake import resolve_id_pattern
    from rnnlm.course.sandbox import Limits

    limits = Limits()
    changes: dict[str, Any] = {}
    if args.cell_timeout is not None:
        changes["cell_timeout"] = args.cell_timeout
    if args.notebook_timeout is not None:
        changes["notebook_timeout"] = args.notebook_timeout
        changes["cpu_seconds"] = max(limits.cpu_seconds, 1.5 * args.notebook_timeout)
    if args.memory is not None:
        changes["memory_bytes"] = _parse_size(args.memory)
    if args.max_processes is not None:
        changes["max_processes"] = args.max_processes
    if args.workers < 0:
        raise ValueError("--workers must be 0 (one per core) or more")
    resolve_id_pattern(args.id_pattern)  # a bad pattern fails before any grading
    return GradingOptions(
        workers=args.workers,
        force=args.force,
        limits=replace(limits, **changes),
        id_pattern=args.id_pattern,
        shard=parse_shard(args.shard) if args.shard else None,
        unsafe_no_sandbox=args.unsafe_no_sandbox,
    )


def _cmd_grade(args: argparse.Namespace) -> int:
    from rnnlm.course.grading import ERROR, INVALID, MISSING, GradingStopped, grade
    from rnnlm.course.jail import SandboxUnavailable
    from rnnlm.course.nbcourse import CourseError

    stopped = ""
    try:
        _resolve(args)
        options = _grading_options(args)
        rows = grade(
            args.submissions,
            args.assignment,
            args.out,
            solutions_dir=args.solutions,
            config_file=args.config,
            options=options,
            progress=_progress,
        )
    except (CourseError, ValueError, FileNotFoundError, SandboxUnavailable) as exc:
        return _course_error("grade", exc)
    except GradingStopped as exc:
        rows, stopped = exc.rows, exc.why
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    reused = sum(r.reused for r in rows)
    print(
        f"graded {len(rows)} submission(s): {summary}"
        + (f" ({reused} unchanged, not run again)" if reused else "")
    )
    print(f"grades: {args.out / 'grades.csv'}   per cell: {args.out / 'cells.csv'}")
    print(f"feedback: {args.out / 'feedback'}   logs: {args.out / 'logs'}")
    for row in rows:
        if row.status in (ERROR, INVALID, MISSING):
            print(f"  {row.assignment} {row.student_id}: {row.status}: {row.message}")
    if stopped:
        print(f"rnnlm grade: stopped ({stopped}); every kernel it started has ended", file=sys.stderr)
        return 130 if "Ctrl-C" in stopped else 143
    return 1 if any(r.status == ERROR for r in rows) else 0


def _cmd_grade_merge(args: argparse.Namespace) -> int:
    from rnnlm.course.grading import merge_shards

    try:
        _resolve(args)
        rows = merge_shards(args.shards, args.out, config_file=args.config, progress=_progress)
    except (ValueError, FileNotFoundError) as exc:
        return _course_error("grade-merge", exc)
    print(f"merged {len(args.shards)} shard(s): {len(rows)} row(s) in {args.out / 'grades.csv'}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from rnnlm.course.demo import format_table, run_demo

    paths = _resolve(args)
    # compare with notebooks/ only when demoing the course's own solutions
    own = paths is not None and args.solutions.resolve() == paths.solutions.resolve()
    results = run_demo(
        args.solutions,
        args.config,
        notebooks_dir=paths.notebooks if own else None,
        course_dir=args.keep,
        say=_progress,
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


def _cmd_lint(args: argparse.Namespace) -> int:
    from rnnlm.course.lint import lint_sources

    _resolve(args)
    report = lint_sources(args.solutions)
    for problem in report.problems:
        print(problem)
    verdict = f"{len(report.problems)} problem(s)" if report.problems else "clean"
    print(f"{args.solutions}: {len(report.notebooks)} notebook(s), {verdict}")
    return 1 if report.problems else 0


def _cmd_bundle(args: argparse.Namespace) -> int:
    from rnnlm.course.bundle import LIBRARY_FOLDER, README_NAME, build_bundle

    try:
        result = build_bundle(args.assignment, args.out, root=course_paths(args.root).root, force=args.force)
    except (ValueError, FileNotFoundError) as exc:
        return _course_error("course bundle", exc)
    print(f"wrote the bundle of notebook {result.assignment} to {result.out_dir}:")
    for name in result.notebooks:
        print(f"  {name}")
    print(f"  {LIBRARY_FOLDER}/ ({len(result.stubbed)} exercised function(s) stubbed, "
          f"{len(result.complete)} complete)")
    print(f"students: python -m pip install ./{LIBRARY_FOLDER}   (see {README_NAME})")
    return 0
