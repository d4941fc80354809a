"""The synthetic class generator (tests/synthetic_class.py) writes what its cases promise.

Fast: nothing here runs a kernel or the grader; the end-to-end grading test uses the class.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from synthetic_class import (
    CELL_TIMEOUT,
    INVALID,
    LEAK_MARK,
    MISSING,
    NOTEBOOK_TIMEOUT,
    NOTEBOOK_TIMEOUT_SLEEP,
    NOTEBOOK_TIMEOUT_SLEEPS,
    STATUSES,
    Case,
    make_class,
)

from rnnlm.course.intake import sanitise_student_id
from rnnlm.course.notebooks import SECRET_MARKERS, exercises, graded_cells, read_notebook

#: kind -> text its notebook must contain (the fault was injected).
FAULTS = {
    "infinite_loop": "while True:",
    "sleep_forever": "time.sleep(10**6)",
    "notebook_timeout": f"time.sleep({NOTEBOOK_TIMEOUT_SLEEP:g})",
    "memory_bomb": "_hog.append(",
    "big_alloc": "bytearray(64 * 2**30)",
    "fork_bomb": "os.fork()",
    "sys_exit": "sys.exit(3)",
    "os_exit": "os._exit(0)",
    "sigkill": "signal.SIGKILL",
    "sigsegv": "ctypes.string_at(0)",
    "partial": "return 0.0  # wrong",
    "edited_tests": 'print(\\"all tests passed\\")',
    "snoop": "gradebook.db",
    "huge_output": 'print(\\"x\\" * 100000)',
    "binary_output": "bytes(range(256))",
}


@pytest.fixture(scope="module")
def synthetic(
    tmp_path_factory: pytest.TempPathFactory, repo_paths: dict[str, Path]
) -> tuple[Path, list[Case]]:
    root = tmp_path_factory.mktemp("synthetic")
    out = root / "submissions"
    secrets = {
        "course_root": root / "course",
        "solutions": repo_paths.solutions,
        "repo_lib": repo_paths.solutions.parent / "lib" / "rnnlm",
        "submissions": out,
    }
    return out, make_class(
        out, solutions_dir=repo_paths.solutions, notebooks_dir=repo_paths.notebooks, secrets=secrets
    )


def _folder(out: Path, case: Case) -> Path:
    """The case's folder: named by its student id, or (the bad-id case) by the raw name the grader
    turns into that id."""
    if (out / case.student_id).is_dir():
        return out / case.student_id
    return next(p for p in out.iterdir() if sanitise_student_id(p.name) == case.student_id)


def _notebook_file(out: Path, case: Case) -> Path | None:
    files = sorted(_folder(out, case).glob("*.ipynb"))
    assert len(files) <= 1, f"{case.student_id}: one notebook per student"
    return files[0] if files else None


def test_class_size_ids_and_folders(synthetic: tuple[Path, list[Case]]) -> None:
    out, cases = synthetic
    assert len(cases) >= 30
    ids = [c.student_id for c in cases]
    assert len(set(ids)) == len(ids), "student ids are unique"
    assert {sanitise_student_id(p.name) for p in out.iterdir()} == set(ids), (
        "one folder per case, nothing else"
    )
    kinds = {c.kind for c in cases}
    assert set(FAULTS) <= kinds and {"correct", "blank", "missing", "bad_id", "non_utf8"} <= kinds


def test_expectations_are_consistent(synthetic: tuple[Path, list[Case]], repo_paths: dict[str, Path]) -> None:
    _, cases = synthetic
    for case in cases:
        assert case.expected_status in STATUSES, case
        source = read_notebook(next(repo_paths.solutions.glob(f"{case.assignment}_*.ipynb")))
        assert case.auto_max == sum(g.points for g in graded_cells(source).values() if g.autograded)
        if case.expected_status in (INVALID, MISSING):
            assert case.expected_auto_score is None, case
        else:
            assert case.expected_auto_score is not None, case
            assert 0 <= case.expected_auto_score <= case.auto_max, case
    by_kind = {c.kind: c for c in cases if c.assignment == "02"}
    assert by_kind["correct"].expected_auto_score == by_kind["correct"].auto_max
    assert by_kind["blank"].expected_auto_score == 0
    assert 0 < by_kind["infinite_loop"].expected_auto_score < by_kind["infinite_loop"].auto_max
    assert by_kind["snoop"].forbidden_output[0] == LEAK_MARK  # then the host secrets readable here
    assert NOTEBOOK_TIMEOUT_SLEEP < CELL_TIMEOUT < NOTEBOOK_TIMEOUT
    assert NOTEBOOK_TIMEOUT_SLEEP * NOTEBOOK_TIMEOUT_SLEEPS > NOTEBOOK_TIMEOUT


def test_submissions_hold_what_the_cases_say(synthetic: tuple[Path, list[Case]]) -> None:
    out, cases = synthetic
    transform = TransformerManager().transform_cell
    for case in cases:
        path = _notebook_file(out, case)
        if case.kind == "missing":
            assert path is None and (_folder(out, case) / "README.txt").exists()
            continue
        assert path is not None, case.student_id
        raw = path.read_bytes()
        if case.expected_status == INVALID and case.kind != "bad_id":
            with pytest.raises(Exception):  # noqa: B017 - any reader error will do
                nb = nbformat.reads(raw.decode("utf-8", errors="strict"), as_version=4)
                nbformat.validate(nb)
            continue
        if case.kind == "non_utf8":
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            raw = raw.decode("utf-8", errors="replace").encode()
        text = raw.decode()
        for marker in SECRET_MARKERS:
            assert marker not in text, f"{case.student_id} shows {marker!r}"
        if case.kind in FAULTS:
            assert FAULTS[case.kind] in text, f"{case.student_id}: fault not injected"
        assert LEAK_MARK not in text, f"{case.student_id}: the source must not spell {LEAK_MARK!r}"
        nb = nbformat.reads(text, as_version=4)
        for cell in nb.cells:
            assert cell.cell_type != "code" or not cell.outputs, f"{case.student_id}: outputs cleared"
            if cell.cell_type == "code":
                compile(transform(cell.source), f"{case.student_id}", "exec")


def test_faults_sit_in_the_last_exercise(
    synthetic: tuple[Path, list[Case]], repo_paths: dict[str, Path]
) -> None:
    """The fault goes atop the last answer cell, whose functions no earlier code cell defines."""
    out, cases = synthetic
    source = read_notebook(repo_paths.solutions / "02_rnn_forward.ipynb")
    last = exercises(source)[-1]
    names = [
        line.split("(")[0][4:]
        for line in source.cells[last.answer_index].source.splitlines()
        if line.startswith("def ")
    ]
    assert names
    for cell in source.cells[: last.answer_index]:
        if cell.cell_type == "code":
            assert not any(name in cell.source for name in names), cell.source[:80]
    infinite = next(c for c in cases if c.kind == "infinite_loop")
    nb = read_notebook(_notebook_file(out, infinite))
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == last.answer_id)
    assert answer.source.startswith("while True:")
    assert infinite.expected_auto_score == infinite.auto_max - last.points


def test_correct_notebook_is_the_solution_without_secrets(
    synthetic: tuple[Path, list[Case]], repo_paths: dict[str, Path]
) -> None:
    out, cases = synthetic
    correct = next(c for c in cases if c.kind == "correct" and c.assignment == "02")
    nb = read_notebook(_notebook_file(out, correct))
    source = read_notebook(repo_paths.solutions / "02_rnn_forward.ipynb")
    assert [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells] == [
        c.metadata.get("nbgrader", {}).get("grade_id") for c in source.cells
    ]
    visible = "".join(c.source for c in nb.cells)
    assert "visible checks passed" in visible and "hidden tests passed" not in visible
    json.dumps(nb)  # plain JSON-able node


@pytest.mark.parametrize("assignment", ["01", "02", "03"])
def test_correct_cells_read_as_released(
    synthetic: tuple[Path, list[Case]], repo_paths: dict[str, Path], assignment: str
) -> None:
    """Outside the answers, a correct submission is the release: its test and read-only cells match
    the released ones character for character (so the grader sees no edited cell)."""
    out, cases = synthetic
    correct = next(c for c in cases if c.kind == "correct" and c.assignment == assignment)
    path = _notebook_file(out, correct)
    release = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in read_notebook(repo_paths.notebooks / path.name).cells
        if "nbgrader" in c.metadata and not c.metadata["nbgrader"].get("solution")
    }
    mine = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in read_notebook(path).cells
        if "nbgrader" in c.metadata and not c.metadata["nbgrader"].get("solution")
    }
    assert mine == release
