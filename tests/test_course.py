"""The release and grading pipeline, end to end through nbgrader.

Two kinds of tests: a tiny throwaway source notebook (``conftest.tiny_notebook``) exercises every
path of the pipeline quickly; the real ``solutions/NN_topic.ipynb`` notebooks are each released
and graded once (solution, blank, one wrong exercise) in a module-scoped course.
"""

from __future__ import annotations

import ast
import csv
import shutil
from pathlib import Path

import nbformat
import pytest

from conftest import TINY_NAME, TINY_NORMALISE_WRONG, TINY_POINTS, tiny_notebook, write_tiny_solutions
from rnnlm import cli
from rnnlm.course.grading import (
    ERROR,
    GRADED,
    GRADES_FIELDS,
    INVALID,
    MISSING,
    NEEDS_MANUAL,
    GradeRow,
    grade,
    open_grading_course,
    prepare_assignment,
)
from rnnlm.course.notebooks import (
    find_leaks,
    find_solutions,
    graded_cells,
    read_notebook,
    secret_lines,
)
from rnnlm.course.paths import course_paths
from rnnlm.course.release import LeakError, build_release, release

ROOT = Path(__file__).resolve().parents[1]
PATHS = course_paths(ROOT)
CONFIG = PATHS.config
REAL = find_solutions(PATHS.solutions)


def _replace_answer(nb: nbformat.NotebookNode, grade_id: str, source: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose answer cell ``grade_id`` holds ``source``."""
    nb = nbformat.from_dict(nb)
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(cells) == 1, f"expected one cell {grade_id!r}, found {len(cells)}"
    cells[0].source = source
    return nb


def _rows_by_student(rows: list[GradeRow]) -> dict[str, GradeRow]:
    return {r.student_id: r for r in rows}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# -- the tiny notebook: release ---------------------------------------------------------------


def test_release_is_deterministic_and_check_lists_differences(
    tiny_solutions: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notebooks = tmp_path / "notebooks"
    first = release(tiny_solutions, notebooks, CONFIG)
    assert first.written == [TINY_NAME]
    written = (notebooks / TINY_NAME).read_bytes()
    student = nbformat.reads(written.decode(), as_version=4)
    assert nbformat.validate(student) is None
    code = [c for c in student.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    text = written.decode()
    assert "raise NotImplementedError()" in text and "YOUR ANSWER HERE" in text
    for secret in ("grand_total", "BEGIN SOLUTION", "HIDDEN TESTS", "count_pairs([\"only\"])", "0.75"):
        assert secret not in text, f"{secret!r} leaked into the student version"

    # a second, independent nbgrader run gives the same bytes: the check passes
    assert cli.main(["course", "release", "--check", "--solutions", str(tiny_solutions),
                     "--notebooks", str(notebooks), "--config", str(CONFIG)]) == 0

    # a hand edit and a notebook without a source are both reported, and nothing is written
    (notebooks / TINY_NAME).write_text(text.replace("Pipeline check", "Pipeline check (edited)"))
    (notebooks / "42_orphan.ipynb").write_text(text)
    capsys.readouterr()
    assert cli.main(["course", "release", "--check", "--solutions", str(tiny_solutions),
                     "--notebooks", str(notebooks), "--config", str(CONFIG)]) == 1
    out = capsys.readouterr().out
    assert f"differs: {TINY_NAME}" in out and "stale (no source notebook): 42_orphan.ipynb" in out
    assert "(edited)" in (notebooks / TINY_NAME).read_text()

    # without --check the release repairs both
    again = release(tiny_solutions, notebooks, CONFIG)
    assert again.written == [TINY_NAME] and again.stale == ["42_orphan.ipynb"]
    assert (notebooks / TINY_NAME).read_bytes() == written
    assert not (notebooks / "42_orphan.ipynb").exists()


def test_release_refuses_a_solution_line_copied_into_a_visible_cell(tmp_path: Path) -> None:
    nb = tiny_notebook()
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("Hint:\n\n    grand_total = sum(counts.values())"))
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    nbformat.write(nb, str(solutions / TINY_NAME))
    with pytest.raises(LeakError, match="grand_total = sum"):
        release(solutions, tmp_path / "notebooks", CONFIG)
    assert not (tmp_path / "notebooks").exists(), "a refused release must write nothing"


def test_leak_finder_sees_markers_and_hidden_test_lines() -> None:
    source = tiny_notebook()
    secrets = secret_lines(source, ("# YOUR CODE HERE\nraise NotImplementedError()", "YOUR ANSWER HERE"))
    assert "grand_total = sum(counts.values())" in secrets
    assert 'assert p["b"] == 0.75, "b has 3 of the 4 counts"' in secrets
    assert 'p = normalise({"a": 1, "b": 3})' not in secrets  # a visible test line is public
    assert "raise NotImplementedError()" not in secrets
    student = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1\n### END HIDDEN TESTS"),
        nbformat.v4.new_code_cell('    assert p["b"] == 0.75, "b has 3 of the 4 counts"'),
        nbformat.v4.new_code_cell("y = 2"),
    ])
    leaks = find_leaks(student, secrets)
    assert len(leaks) == 2
    assert "cell 0" in leaks[0] and "END HIDDEN TESTS" in leaks[0]
    assert "cell 1" in leaks[1] and "0.75" in leaks[1]


def test_release_rejects_misnamed_notebooks_and_bad_grade_ids(tmp_path: Path) -> None:
    bad_name = tmp_path / "bad_name"
    bad_name.mkdir()
    nbformat.write(tiny_notebook(), str(bad_name / "PipelineCheck.ipynb"))
    with pytest.raises(ValueError, match="NN_topic.ipynb"):
        build_release(bad_name, CONFIG)
    wrong_number = tmp_path / "wrong_number"
    wrong_number.mkdir()
    nbformat.write(tiny_notebook(), str(wrong_number / "07_pipeline_check.ipynb"))
    with pytest.raises(ValueError, match="'nb07_name'"):
        build_release(wrong_number, CONFIG)


def test_notebooks_run_in_fast_mode_in_this_interpreter_whatever_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import os
    import sys

    from rnnlm.course.execute import execute_notebook

    # a user-level "python3" kernelspec that points elsewhere, and fast mode switched off
    bogus = tmp_path / "jupyter" / "kernels" / "python3"
    bogus.mkdir(parents=True)
    (bogus / "kernel.json").write_text(json.dumps(
        {"argv": ["/nonexistent/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "elsewhere", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("RNNLM_FAST", "0")
    before = dict(os.environ)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys, rnnlm\nprint(sys.executable)\nprint(rnnlm.fast_mode())")])
    nb.metadata["kernelspec"] = {"name": "some-other-kernel", "display_name": "x", "language": "python"}
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, str(path))
    run = execute_notebook(path)
    printed = run.notebook.cells[0].outputs[0]["text"].split()
    assert printed == [sys.executable, "True"]
    assert dict(os.environ) == before, "the notebook environment leaked into this process"


# -- the tiny notebook: grading ---------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[GradeRow]]:
    """(course dir, submissions dir, rows): the tiny notebook graded for five students.

    alice: the solution; bob: the blank student version; carol: the solution with ``normalise``
    wrong; dave: not a notebook; erin: a folder with no notebook.
    """
    root = tmp_path_factory.mktemp("tiny-grading")
    solutions = write_tiny_solutions(root / "solutions")
    out = root / "course"
    course = open_grading_course(out, CONFIG)
    nb = find_solutions(solutions)[0]
    prepare_assignment(course, nb)
    subs = root / "submissions"
    subs.mkdir()
    shutil.copy(solutions / TINY_NAME, subs / "alice.ipynb")
    shutil.copy(course.release_path(nb), subs / "bob.ipynb")
    (subs / "carol" / "work").mkdir(parents=True)
    nbformat.write(_replace_answer(tiny_notebook(), "nb99_normalise", TINY_NORMALISE_WRONG),
                   str(subs / "carol" / "work" / "my_attempt.ipynb"))
    (subs / "dave.ipynb").write_text("{this is not json")
    (subs / "erin").mkdir()
    (subs / "notes.txt").write_text("not a submission")
    rows = grade(subs, "99", out, solutions_dir=solutions, config_file=CONFIG)
    return out, subs, rows


def test_grading_scores_solution_blank_and_one_wrong_exercise(tiny_graded) -> None:
    out, _subs, rows = tiny_graded
    by = _rows_by_student(rows)
    assert sorted(by) == ["alice", "bob", "carol", "dave", "erin"]
    auto_max = TINY_POINTS["nb99_count_pairs_test"] + TINY_POINTS["nb99_normalise_test"]

    alice = by["alice"]
    assert (alice.autograded_score, alice.autograded_max) == (auto_max, auto_max)
    assert alice.status == NEEDS_MANUAL and alice.needs_manual_grading
    assert alice.manual_pending_points == TINY_POINTS["nb99_why"]
    assert alice.max_score == sum(TINY_POINTS.values())

    bob = by["bob"]
    assert bob.autograded_score == 0 and bob.autograded_max == auto_max
    assert bob.status == GRADED and not bob.needs_manual_grading  # an untouched answer scores zero

    carol = by["carol"]  # found in a sub-folder under another name
    assert carol.autograded_score == auto_max - TINY_POINTS["nb99_normalise_test"]
    assert {g.grade_id: g.auto_score for g in carol.cells if g.autograded} == {
        "nb99_count_pairs_test": TINY_POINTS["nb99_count_pairs_test"],
        "nb99_normalise_test": 0.0,
    }
    assert carol.status == NEEDS_MANUAL and carol.manual_pending_points == TINY_POINTS["nb99_why"]
    assert "nb99_normalise_test" in carol.message

    csv_rows = {r["student_id"]: r for r in _read_csv(out / "grades.csv")}
    assert list(_read_csv(out / "grades.csv")[0]) == list(GRADES_FIELDS)
    assert csv_rows["alice"]["needs_manual_grading"] == "true"
    assert csv_rows["carol"]["autograded_score"] == "2" and csv_rows["carol"]["score"] == "2"
    assert csv_rows["bob"]["status"] == GRADED
    cells = [r for r in _read_csv(out / "cells.csv") if r["student_id"] == "carol"]
    assert [(r["grade_id"], r["kind"]) for r in cells] == [
        ("nb99_count_pairs_test", "autograded"), ("nb99_normalise_test", "autograded"), ("nb99_why", "manual")
    ]
    for student in by:
        html = out / "feedback" / student / "99" / "99_pipeline_check.html"
        assert html.is_file(), f"no feedback for {student}"
    feedback = (out / "feedback" / "carol" / "99" / "99_pipeline_check.html").read_text()
    assert "count_pairs([&quot;only&quot;])" not in feedback and 'count_pairs(["only"])' not in feedback


def test_submissions_that_cannot_be_graded_are_rows_with_a_status(tiny_graded) -> None:
    out, _subs, rows = tiny_graded
    by = _rows_by_student(rows)
    assert by["dave"].status == INVALID and "not a notebook" in by["dave"].message
    assert by["erin"].status == MISSING and "99_pipeline_check.ipynb" in by["erin"].message
    for student in ("dave", "erin"):
        row = by[student]
        assert row.score is None and row.autograded_score is None
        assert row.max_score == sum(TINY_POINTS.values())
        csv_row = next(r for r in _read_csv(out / "grades.csv") if r["student_id"] == student)
        assert csv_row["score"] == "" and csv_row["status"] == row.status
        assert row.status in (out / "feedback" / student / "99" / "99_pipeline_check.html").read_text()
    assert ERROR not in {r.status for r in rows}


def test_regrading_keeps_manual_grades_and_skips_unchanged_submissions(tiny_graded) -> None:
    from nbgrader.api import Gradebook

    out, subs, _rows = tiny_graded
    solutions = out.parent / "solutions"
    autograded = out / "autograded" / "alice" / "99" / "99_pipeline_check.ipynb"
    before = autograded.stat().st_mtime_ns
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:  # as the formgrader does it
        written = gb.find_grade("nb99_why", "99_pipeline_check", "99", "alice")
        written.manual_score, written.needs_manual_grade = 1.0, False
        gb.db.commit()
    rows = _rows_by_student(grade(subs, "99", out, solutions_dir=solutions, config_file=CONFIG))
    assert autograded.stat().st_mtime_ns == before, "an unchanged submission was autograded again"
    alice = rows["alice"]
    assert alice.status == GRADED and alice.score == sum(TINY_POINTS.values())
    assert alice.manual_pending_points == 0
    assert rows["carol"].status == NEEDS_MANUAL

    # --force runs the autograder again (here on one student) and keeps the manual grade, which
    # nbgrader flags for review again
    only_alice = out.parent / "only-alice"
    only_alice.mkdir()
    shutil.copy(subs / "alice.ipynb", only_alice / "alice.ipynb")
    assert cli.main(["grade", str(only_alice), "--assignment", "99", "--out", str(out), "--force",
                     "--solutions", str(solutions), "--config", str(CONFIG)]) == 0
    assert autograded.stat().st_mtime_ns != before
    alice_csv = next(r for r in _read_csv(out / "grades.csv") if r["student_id"] == "alice")
    assert alice_csv["score"] == "6" and alice_csv["status"] == NEEDS_MANUAL


def test_grade_refuses_a_folder_that_is_not_a_grading_course(tiny_solutions: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(tiny_solutions / TINY_NAME, subs / "alice.ipynb")
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("do not touch")
    assert cli.main(["grade", str(subs), "--assignment", "99", "--out", str(precious),
                     "--solutions", str(tiny_solutions), "--config", str(CONFIG)]) == 2
    assert "not a grading course" in capsys.readouterr().err
    assert sorted(p.name for p in precious.iterdir()) == ["thesis.tex"]
    assert cli.main(["grade", str(subs), "--assignment", "98", "--out", str(tmp_path / "new"),
                     "--solutions", str(tiny_solutions), "--config", str(CONFIG)]) == 2
    assert "no source notebook for assignment 98" in capsys.readouterr().err


def test_demo_passes_good_notebooks_and_fails_a_broken_one(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    solutions = write_tiny_solutions(tmp_path / "solutions")
    broken = _replace_answer(tiny_notebook(), "nb99_normalise", TINY_NORMALISE_WRONG)
    nbformat.write(broken, str(solutions / "98_broken_check.ipynb"))
    with pytest.raises(ValueError, match="nb98_name"):  # grade ids must name their notebook
        build_release(solutions, CONFIG)
    for cell in broken.cells:
        meta = cell.metadata.get("nbgrader")
        if meta:
            meta["grade_id"] = meta["grade_id"].replace("nb99_", "nb98_")
    nbformat.write(broken, str(solutions / "98_broken_check.ipynb"))

    status = cli.main(["demo", "--solutions", str(solutions), "--config", str(CONFIG)])
    captured = capsys.readouterr()
    assert status == 1, captured.out
    table = captured.out.split("\n\n")[0].splitlines()  # the table comes first, then the details
    lines = {line.split()[0]: line for line in table if line[:2] in ("98", "99")}
    assert lines["99_pipeline_check"].split()[2:4] == ["5/5", "(+1"]
    assert lines["99_pipeline_check"].rstrip().endswith("ok")
    assert "0/5" in lines["99_pipeline_check"]
    assert "FAIL" in lines["98_broken_check"]  # its solution does not run cleanly nor score 5/5
    assert "98_broken_check did not run cleanly" in captured.out
    assert "AssertionError: probabilities must sum to one" in captured.out
    assert "[99_pipeline_check] autograding the blank student version" in captured.err


# -- the real notebooks -----------------------------------------------------------------------


def wrong_answer(source: str) -> str:
    """The answer cell with every function returning ``None`` (or every assignment binding
    ``None`` when the cell defines no function): a wrong implementation of any exercise."""
    tree = ast.parse(source)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    for fn in functions:
        fn.body = [ast.Return(value=ast.Constant(value=None))]
    if not functions:
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                node.value = ast.Constant(value=None)
    return ast.unparse(ast.fix_missing_locations(tree))


def test_real_release_matches_committed_notebooks_and_leaks_nothing() -> None:
    """``notebooks/`` is exactly what nbgrader generates from ``solutions/`` (regenerated here)."""
    texts = build_release(PATHS.solutions, CONFIG)
    assert sorted(texts) == [nb.filename for nb in REAL]
    committed = sorted(p.name for p in PATHS.notebooks.glob("*.ipynb"))
    assert committed == sorted(texts), "notebooks/ and solutions/ hold different notebooks; run make release"
    for nb in REAL:
        path = PATHS.notebooks / nb.filename
        assert path.read_text(encoding="utf-8") == texts[nb.filename], (
            f"notebooks/{nb.filename} differs from what nbgrader generates; run 'make release'"
        )
        secrets = secret_lines(read_notebook(nb.path), ("# YOUR CODE HERE\nraise NotImplementedError()",
                                                        "YOUR ANSWER HERE"))
        assert find_leaks(read_notebook(path), secrets) == []


@pytest.mark.parametrize("nb", REAL, ids=[nb.name for nb in REAL])
def test_student_notebooks_are_plain_and_run_all_goes_past_unanswered_exercises(nb) -> None:
    """The release removes the jupytext pairing and tags every test cell ``raises-exception``
    (nothing else), so Run All and nbval go on past an exercise that is not done yet."""
    student = read_notebook(PATHS.notebooks / nb.filename)
    assert "jupytext" not in student.metadata, "a student's notebook must not create a .py twin"
    tests = set(graded_cells(student))
    for cell in student.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        solution = cell.metadata.get("nbgrader", {}).get("solution")
        autograded = cell.cell_type == "code" and grade_id in tests and not solution
        tags = cell.metadata.get("tags", [])
        assert tags == (["raises-exception"] if autograded else []), (grade_id, tags)


# Every real notebook's solution, blank release and a submission with its last answer wrong are graded
# end to end by `rnnlm grade` in tests/test_grading_class.py (the synthetic class: full marks, zero,
# exactly the last exercise's points lost, the status with manual points pending), and every
# exercise's correct and wrong answers in tests/test_independent_answers.py; the tiny notebook above
# covers the same rules through grade() in-process.
