"""End to end: ``rnnlm grade`` on a synthetic class with every kind of fault, in one run.

The class (``tests/synthetic_class.py``) holds correct, partly correct and blank submissions of every
notebook and one submission per fault (endless loops, memory and fork bombs, dead kernels, broken
files, rearranged or edited cells, a snoop on the gradebook and the hidden tests, floods of output,
bytes that are not UTF-8, a folder without a notebook, a bad id). One ``rnnlm grade`` run with two
workers grades all of it; then:

- every student has one row per notebook with the expected status and autograded score;
- the snoop saw nothing and changed nothing; the feedback shows no hidden test code;
- a second run changes nothing (unchanged submissions are read back, not run again);
- regrading part of the class (every outcome once) with ``--force`` in two shards and merging them
  gives the same rows;
- graded again by an unprivileged user (``nobody``; the jail then builds its sandbox in a user
  namespace), the submissions that meet the sandbox itself (every notebook's correct one, the
  limits, the dead kernels, the snoop) get the same statuses and scores, and the snoop again
  reaches nothing.
"""

from __future__ import annotations

import csv
import html
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import unprivileged
from synthetic_class import (
    CELL_TIMEOUT,
    HOST_WRITE_TARGETS,
    MAX_PROCESSES,
    MEMORY_LIMIT_BYTES,
    NOTEBOOK_TIMEOUT,
    PRIVATE_WRITE_TARGETS,
    Case,
    make_class,
)

from rnnlm.course.notebooks import find_solutions, read_notebook, split_hidden

ROOT = Path(__file__).resolve().parents[1]
RNNLM = [sys.executable, "-m", "rnnlm.cli"]
LINUX_ROOT = sys.platform.startswith("linux") and os.geteuid() == 0
ASSIGNMENTS = [nb.assignment for nb in find_solutions(ROOT / "solutions")]
LIMITS = [
    "--cell-timeout",
    str(CELL_TIMEOUT),
    "--notebook-timeout",
    str(NOTEBOOK_TIMEOUT),
    "--memory",
    str(MEMORY_LIMIT_BYTES),
    "--max-processes",
    str(MAX_PROCESSES),
]
#: Cases whose expected status needs the full sandbox (namespaces and cgroups, Linux as root).
NEEDS_ISOLATION = ("fork_bomb",)
#: Cases regraded in shards to check that grading is repeatable (quick ones, every outcome).
REGRADE = (
    "correct",
    "partial",
    "blank",
    "os_exit",
    "sys_exit",
    "edited_tests",
    "moved_cells",
    "unparseable",
    "missing",
    "memory_bomb",
)
#: Cases graded again as ``nobody`` (user mode): correct submissions (see :func:`_as_nobody`) and the
#: faults that meet the sandbox: limits, dead kernels, floods, the snoop. How answers and cells are
#: scored does not depend on the mode; the first run covers the rest of the class.
AS_NOBODY = (
    "correct",
    "infinite_loop",
    "memory_bomb",
    "big_alloc",
    "fork_bomb",
    "os_exit",
    "sigkill",
    "sigsegv",
    "snoop",
    "huge_output",
    "missing",
)


def _rnnlm(*args: str, as_user: bool = False, home: Path | None = None) -> subprocess.CompletedProcess:
    command, env = [*RNNLM, *args], None
    if as_user:
        command = unprivileged.as_user(command)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
        if os.environ.get("RNNLM_DATA"):
            env["RNNLM_DATA"] = os.environ["RNNLM_DATA"]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=1500, env=env)


def _rows(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return {(r["assignment"], r["student_id"]): r for r in csv.DictReader(f)}


def _first_run(case: Case) -> bool:
    """The whole class but the partial answers of notebooks other than 02: that one wrong answer costs
    exactly its own points is proved for every exercise of every notebook, through ``rnnlm grade``, by
    tests/test_independent_answers.py."""
    return case.kind != "partial" or case.assignment == "02"


def _as_nobody(case: Case) -> bool:
    """The faults that meet the sandbox, and the correct submissions of the notebooks that read corpus
    files in fast mode: 05 (PTB from $RNNLM_DATA, when there) and 06 (the package's own corpus)."""
    if case.kind == "correct":
        return case.assignment in ("05", "06")
    return case.kind in AS_NOBODY


def _grade_class(root: Path, *, as_user: bool = False, select: Callable[[Case], bool] = _first_run) -> dict:
    """Write the synthetic class under ``root`` (the cases ``select`` keeps) and grade it."""
    course, submissions = root / "course", root / "submissions"
    secrets = {
        "course_root": course,
        "solutions": ROOT / "solutions",
        "repo_lib": ROOT / "lib" / "rnnlm",
        "submissions": submissions,
    }
    cases = make_class(
        submissions, solutions_dir=ROOT / "solutions", notebooks_dir=ROOT / "notebooks", secrets=secrets
    )
    kept = [c for c in cases if select(c)]
    named = {c.student_id for c in cases}
    for folder in submissions.iterdir():
        # a folder stays if a kept case names it, or if it is the bad-id case's (which no id names)
        if folder.name in {c.student_id for c in kept}:
            continue
        if folder.name not in named and any(c.kind == "bad_id" for c in kept):
            continue
        shutil.rmtree(folder)
    cases = kept
    if as_user:
        for folder, _dirs, files in os.walk(root):
            for path in [folder, *(os.path.join(folder, f) for f in files)]:
                os.chown(path, unprivileged.NOBODY, unprivileged.NOBODY)
    start = time.perf_counter()
    first = _rnnlm(
        "grade",
        str(submissions),
        "--assignment",
        *ASSIGNMENTS,
        "--out",
        str(course),
        "--workers",
        "2",
        *LIMITS,
        as_user=as_user,
        home=root,
    )
    seconds = time.perf_counter() - start
    who = "nobody" if as_user else "the test's user"
    print(f"\ngraded {len(cases)} students x {len(ASSIGNMENTS)} notebooks as {who} in {seconds:.0f} s")
    assert first.returncode == 0, first.stdout + first.stderr
    return {
        "root": root,
        "course": course,
        "submissions": submissions,
        "cases": cases,
        "first": first,
        "rows": _rows(course / "grades.csv"),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _grade_class(tmp_path_factory.mktemp("class"))


@pytest.fixture(scope="module")
def graded_as_nobody() -> Iterator[dict]:
    """The same class graded by ``nobody`` in a folder it owns (pytest's is root's, closed)."""
    if not (LINUX_ROOT and unprivileged.available()):
        pytest.skip("grading as an unprivileged user is tested from root on Linux")
    root = Path(tempfile.mkdtemp(prefix="rnnlm-class-nobody-"))
    root.chmod(0o755)
    try:
        yield _grade_class(root, as_user=True, select=_as_nobody)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_the_class_is_big_enough_and_covers_every_fault(graded: dict) -> None:
    cases: list[Case] = graded["cases"]
    assert len(cases) >= 30
    kinds = {c.kind for c in cases}
    for fault in (
        "infinite_loop",
        "memory_bomb",
        "fork_bomb",
        "sys_exit",
        "os_exit",
        "sigkill",
        "unparseable",
        "truncated",
        "deleted_cells",
        "moved_cells",
        "retyped_cells",
        "duplicated_cells",
        "edited_tests",
        "snoop",
        "huge_output",
        "non_utf8",
    ):
        assert fault in kinds, fault
    assert {c.assignment for c in cases} == set(ASSIGNMENTS)


def test_every_submission_has_a_row_with_the_right_status_and_score(graded: dict) -> None:
    rows, cases = graded["rows"], graded["cases"]
    wrong = []
    for case in cases:
        if case.kind in NEEDS_ISOLATION and not LINUX_ROOT:
            continue  # checked by test_faults_that_need_the_full_sandbox
        row = rows.get((case.assignment, case.student_id))
        if row is None:
            wrong.append(f"{case.student_id}: no row for {case.assignment}")
            continue
        got_score = float(row["autograded_score"]) if row["autograded_score"] else None
        if row["status"] != case.expected_status or got_score != case.expected_auto_score:
            wrong.append(
                f"{case.student_id} ({case.kind}): expected {case.expected_status} "
                f"{case.expected_auto_score}, got {row['status']} {got_score}: {row['message']}"
            )
        if row["autograded_max"] and float(row["autograded_max"]) != case.auto_max:
            wrong.append(f"{case.student_id}: autograded_max {row['autograded_max']} != {case.auto_max}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.skipif(
    not LINUX_ROOT, reason="a fork bomb is stopped by the PID namespace and cgroups (Linux, root)"
)
def test_faults_that_need_the_full_sandbox(graded: dict) -> None:
    for case in graded["cases"]:
        if case.kind in NEEDS_ISOLATION:
            row = graded["rows"][(case.assignment, case.student_id)]
            assert row["status"] == case.expected_status, row
            assert row["autograded_score"] and float(row["autograded_score"]) == case.expected_auto_score, row
    fork_bomb = next(c for c in graded["cases"] if c.kind == "fork_bomb")
    assert (
        "more processes than allowed"
        in graded["rows"][(fork_bomb.assignment, fork_bomb.student_id)]["message"]
    )


def test_nothing_is_lost(graded: dict) -> None:
    """Every student folder gets a row for every notebook (missing where it has none), and a
    feedback file; no row is an internal error."""
    rows, cases = graded["rows"], graded["cases"]
    students = {c.student_id for c in cases}
    assert {s for _, s in rows} == students
    for student in students:
        for assignment in ASSIGNMENTS:
            assert (assignment, student) in rows, (assignment, student)
    assert "error" not in {r["status"] for r in rows.values()}
    course = graded["course"]
    for assignment, student in rows:
        assert list((course / "feedback" / student / assignment).glob("*.html")), (assignment, student)
    for case in cases:
        if case.kind not in ("missing", "bad_id"):
            assert list((course / "originals" / case.student_id / case.assignment).glob("*.ipynb")), case


def test_faults_explain_themselves_in_the_message(graded: dict) -> None:
    by_kind = {c.kind: graded["rows"][(c.assignment, c.student_id)] for c in graded["cases"]}
    assert "cell ran longer" in by_kind["infinite_loop"]["message"]
    assert "notebook ran longer" in by_kind["notebook_timeout"]["message"]
    assert "killed by SIGKILL" in by_kind["sigkill"]["message"]
    assert "cut off" in by_kind["truncated"]["message"]
    assert "restored" in by_kind["edited_tests"]["message"]
    assert "order" in by_kind["moved_cells"]["message"]
    assert "not UTF-8" in by_kind["non_utf8"]["message"]
    assert "output beyond the limit" in by_kind["huge_output"]["message"]


@pytest.mark.skipif(not LINUX_ROOT, reason="file and network isolation needs Linux namespaces (run as root)")
@pytest.mark.parametrize("run", ["graded", "graded_as_nobody"])
def test_a_snooping_submission_sees_and_alters_nothing(run: str, request: pytest.FixtureRequest) -> None:
    graded = request.getfixturevalue(run)
    course = graded["course"]
    for case in graded["cases"]:
        if not case.forbidden_output:
            continue
        texts = [
            p.read_text(encoding="utf-8", errors="replace")
            for p in [
                *(course / "autograded" / case.student_id).rglob("*.ipynb"),
                *(course / "feedback" / case.student_id).rglob("*.html"),
            ]
        ]
        assert texts, case.student_id
        for text in texts:
            for forbidden in case.forbidden_output:
                assert forbidden not in text, f"{case.student_id} got at something: {forbidden}"
    assert not (course / "snooped.txt").exists()
    for folder in (*HOST_WRITE_TARGETS, *PRIVATE_WRITE_TARGETS):
        assert not list(Path(folder).glob("rnnlm-snooped-*")), f"the snoop wrote into the host's {folder}"
    log = next((course / "logs").rglob("s29_snoop.log")).read_text()
    mode = "user mode" if run == "graded_as_nobody" else "root mode"
    assert mode in log.splitlines()[0] and "allowlist root" in log.splitlines()[0], log.splitlines()[0]


def test_an_unprivileged_grader_gives_the_same_grades(graded: dict, graded_as_nobody: dict) -> None:
    """No sudo needed: the user-namespace sandbox grades every case it is given as the root one does."""
    students = {c.student_id for c in graded_as_nobody["cases"]}
    assert {c.kind for c in graded_as_nobody["cases"]} == set(AS_NOBODY)
    as_root = {k: (r["status"], r["autograded_score"]) for k, r in graded["rows"].items() if k[1] in students}
    as_nobody = {k: (r["status"], r["autograded_score"]) for k, r in graded_as_nobody["rows"].items()}
    differ = {k: (as_root.get(k), as_nobody.get(k)) for k in as_root.keys() | as_nobody.keys()
              if as_root.get(k) != as_nobody.get(k)}
    assert not differ, differ
    fork_bomb = next(c for c in graded_as_nobody["cases"] if c.kind == "fork_bomb")
    row = graded_as_nobody["rows"][(fork_bomb.assignment, fork_bomb.student_id)]
    assert "more processes than allowed" in row["message"], row


def test_feedback_never_shows_hidden_test_code(graded: dict) -> None:
    hidden = set()
    for nb in find_solutions(ROOT / "solutions"):
        for cell in read_notebook(nb.path).cells:
            visible, secret = split_hidden(cell.source)
            shown = {v.strip() for v in visible}
            hidden |= {s.strip() for s in secret if len(s.strip()) >= 25 and s.strip() not in shown}
    assert hidden
    for page in (graded["course"] / "feedback").rglob("*.html"):
        text = html.unescape(page.read_text(encoding="utf-8"))
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{page}: {leaked[:2]}"
    partial = next(c for c in graded["cases"] if c.kind == "partial" and c.assignment == "02")
    page = next((graded["course"] / "feedback" / partial.student_id / "02").glob("*.html")).read_text()
    assert "rnnlm-summary" in page and "Status: <b>graded</b>" in page


def test_a_second_run_changes_nothing(graded: dict) -> None:
    course = graded["course"]
    before = (course / "grades.csv").read_bytes()
    second = _rnnlm(
        "grade",
        str(graded["submissions"]),
        "--assignment",
        *ASSIGNMENTS,
        "--out",
        str(course),
        "--workers",
        "2",
        *LIMITS,
    )
    assert second.returncode == 0, second.stderr
    assert f"({len(graded['cases']) - 2} unchanged" in second.stdout or "unchanged" in second.stdout
    assert (course / "grades.csv").read_bytes() == before


def test_regrading_in_shards_and_merging_gives_the_same_grades(graded: dict) -> None:
    root = graded["root"]
    subset = root / "subset"
    subset.mkdir()
    # every outcome once: the faults, and the correct, partial and blank submissions of notebook 02
    chosen = [c for c in graded["cases"] if c.kind in REGRADE
              and (c.kind not in ("correct", "partial", "blank") or c.assignment == "02")]
    for case in chosen:
        shutil.copytree(graded["submissions"] / case.student_id, subset / case.student_id)
    shards = []
    for k in (1, 2):
        out = root / f"shard{k}"
        run = _rnnlm(
            "grade",
            str(subset),
            "--assignment",
            *ASSIGNMENTS,
            "--out",
            str(out),
            "--force",
            "--shard",
            f"{k}/2",
            "--workers",
            "2",
            *LIMITS,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        shards.append(out)
    merged = root / "merged"
    run = _rnnlm("grade-merge", *map(str, shards), "--out", str(merged))
    assert run.returncode == 0, run.stdout + run.stderr
    rows = _rows(merged / "grades.csv")
    first = graded["rows"]
    assert set(rows) == {(a, c.student_id) for c in chosen for a in ASSIGNMENTS}
    for key, row in rows.items():
        assert row == first[key], f"{key}: {row} != {first[key]}"
    parts = [set(_rows(s / "grades.csv")) for s in shards]
    assert parts[0] and parts[1] and not parts[0] & parts[1], "shards split the class without overlap"
    # the merged gradebook knows every graded submission
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{merged / 'gradebook.db'}") as gb:
        for (assignment, student), row in rows.items():
            if row["status"] in ("graded", "needs-manual-grading", "timed-out", "crashed"):
                sub = gb.find_submission_notebook(row["notebook"], assignment, student)
                assert float(sub.score) == float(row["score"]), (assignment, student)


def test_nbgraders_own_export_agrees_with_grades_csv(graded: dict, tmp_path: Path) -> None:
    """``nbgrader export`` in the graded course finds the same score for every graded submission."""
    course = graded["course"]
    out = tmp_path / "nbgrader_export.csv"
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "export", "--to", str(out)],
        capture_output=True, text=True, cwd=course, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    exported = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(out.open(encoding="utf-8"))}
    compared = 0
    for key, row in graded["rows"].items():
        if not row["score"]:
            continue  # missing, invalid: nbgrader has no submission (it exports 0)
        assert key in exported, key
        assert float(exported[key]["score"]) == pytest.approx(float(row["score"])), (key, exported[key], row)
        assert float(exported[key]["max_score"]) == pytest.approx(float(row["max_score"])), key
        compared += 1
    assert compared >= len(graded["cases"]) // 2, compared  # every scored row, most of the class
