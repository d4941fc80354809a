"""Benchmark: grading a class with 1 worker against N workers (``rnnlm grade --workers``).

Usage::

    python bench/grading.py [--students 30] [--assignment 02] [--workers 2] [--json-out PATH]

Makes a class of ``--students`` submissions of one notebook (the reference solution with the hidden
tests removed, one copy per student), then grades it twice from scratch, in fresh course folders:
with 1 worker and with ``--workers`` workers (everything else equal: sandbox, limits, fast mode).
Prints both wall times and their ratio, checks both runs gave every student full marks, and writes
the numbers with the environment to ``bench/results/grading.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def make_class(folder: Path, assignment: str, students: int) -> Path:
    """``students`` copies of the reference answers of ``assignment`` as ``folder/sNN.ipynb``."""
    import nbformat

    from rnnlm.course.notebooks import as_handed_in, find_solution, read_notebook

    nb = find_solution(ROOT / "solutions", assignment)
    answers = as_handed_in(read_notebook(nb.path))
    folder.mkdir(parents=True)
    for i in range(students):
        nbformat.write(answers, str(folder / f"s{i:03d}.ipynb"))
    return folder


def run(submissions: Path, assignment: str, workers: int, out: Path) -> tuple[float, list]:
    from rnnlm.course.grading import GradingOptions, grade

    start = time.perf_counter()
    rows = grade(
        submissions,
        assignment,
        out,
        solutions_dir=ROOT / "solutions",
        config_file=ROOT / "autograder" / "nbgrader_config.py",
        options=GradingOptions(workers=workers),
    )
    return time.perf_counter() - start, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--assignment", default="02")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json-out", type=Path, default=HERE / "results" / "grading.json")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="rnnlm-bench-grading-") as tmp:
        subs = make_class(Path(tmp) / "class", args.assignment, args.students)
        results = {}
        for workers in (1, args.workers):
            print(
                f"grading {args.students} submissions of {args.assignment} with {workers} worker(s) ...",
                file=sys.stderr,
                flush=True,
            )
            seconds, rows = run(subs, args.assignment, workers, Path(tmp) / f"course-{workers}")
            full = sum(r.autograded_score == r.autograded_max for r in rows)
            if full != args.students:
                print(f"error: only {full} of {args.students} got full marks with {workers} worker(s)")
                return 1
            results[workers] = seconds
    one, many = results[1], results[args.workers]
    ratio = many / one
    print(f"{'workers':>8} {'wall s':>8} {'s/notebook':>11}")
    for workers, seconds in results.items():
        print(f"{workers:>8} {seconds:>8.1f} {seconds / args.students:>11.2f}")
    print(
        f"{args.workers} workers take {ratio:.0%} of the time of 1 worker "
        f"(speed-up {one / many:.2f}x on {os.cpu_count()} cores)"
    )
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(
        json.dumps(
            {
                "students": args.students,
                "assignment": args.assignment,
                "seconds": results,
                "ratio": ratio,
                "cpu_count": os.cpu_count(),
                "platform": platform.platform(),
                "python": platform.python_version(),
                "loadavg": os.getloadavg(),
            },
            indent=1,
        )
    )
    print(f"wrote {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
