"""Reading submitted files defensively and restoring a notebook's course structure; feedback scrubbing."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from rnnlm.course.feedback import HIDDEN_FAILURE, HideHiddenTestFailures
from rnnlm.course.notebooks import split_hidden
from rnnlm.course.repair import InvalidNotebook, read_submission, restore_structure


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def release() -> nbformat.NotebookNode:
    """intro (locked md), answer a, test a, answer b, test b, written answer."""
    cells = [
        nbformat.v4.new_markdown_cell(
            "# Intro", metadata=_meta("intro", grade=False, solution=False, locked=True)
        ),
        nbformat.v4.new_code_cell(
            "def a():\n    raise NotImplementedError()",
            metadata=_meta("a", grade=False, solution=True, locked=False),
        ),
        nbformat.v4.new_code_cell(
            "assert a() == 1", metadata=_meta("a_test", grade=True, solution=False, locked=True, points=2)
        ),
        nbformat.v4.new_code_cell(
            "def b():\n    raise NotImplementedError()",
            metadata=_meta("b", grade=False, solution=True, locked=False),
        ),
        nbformat.v4.new_code_cell(
            "assert b() == 2", metadata=_meta("b_test", grade=True, solution=False, locked=True, points=3)
        ),
        nbformat.v4.new_markdown_cell(
            "YOUR ANSWER HERE", metadata=_meta("why", grade=True, solution=True, locked=False, points=1)
        ),
    ]
    return nbformat.v4.new_notebook(cells=cells)


def answered() -> nbformat.NotebookNode:
    nb = release()
    nb.cells[1].source = "def a():\n    return 1"
    nb.cells[3].source = "def b():\n    return 2"
    nb.cells[5].source = "Because."
    return nb


def ids(nb: nbformat.NotebookNode) -> list[str]:
    return [c.metadata.get("nbgrader", {}).get("grade_id", "free:" + c.source[:12]) for c in nb.cells]


def test_an_intact_submission_is_unchanged_in_content() -> None:
    restored = restore_structure(answered(), release())
    assert restored.notes == []
    assert ids(restored.notebook) == ["intro", "a", "a_test", "b", "b_test", "why"]
    assert restored.notebook.cells[1].source == "def a():\n    return 1"


def test_deleted_moved_retyped_duplicated_and_edited_cells_are_put_right() -> None:
    nb = answered()
    test_a = nb.cells.pop(2)  # deleted test cell
    nb.cells.insert(
        0, nbformat.v4.new_code_cell("assert True  # my edit", metadata=test_a.metadata)
    )  # moved+edited
    nb.cells.append(nbformat.from_dict(json.loads(json.dumps(nb.cells[3]))))  # duplicated answer b (index 3)
    nb.cells[2] = nbformat.v4.new_markdown_cell(
        nb.cells[2].source, metadata=nb.cells[2].metadata
    )  # answer a retyped
    nb.cells.insert(3, nbformat.v4.new_code_cell("helper = 42"))  # the student's own cell after answer a
    restored = restore_structure(nb, release())
    out = restored.notebook
    assert ids(out) == ["intro", "a", "free:helper = 42", "a_test", "b", "b_test", "why"]
    assert out.cells[1].cell_type == "code" and out.cells[1].source == "def a():\n    return 1"
    assert out.cells[3].source == "assert a() == 1", "an edited test cell comes back as released"
    notes = " | ".join(restored.notes)
    for word in ("duplicated", "order", "edited", "cell type"):
        assert word in notes, f"{word!r} missing from {notes}"
    assert len({c["id"] for c in out.cells}) == len(out.cells)


def test_a_deleted_answer_is_restored_blank_and_foreign_metadata_is_dropped() -> None:
    nb = answered()
    del nb.cells[3]  # answer b gone
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "x = 1", metadata=_meta("bonus", grade=True, solution=False, locked=True, points=100)
        )
    )
    restored = restore_structure(nb, release())
    out = restored.notebook
    assert out.cells[3].source == "def b():\n    raise NotImplementedError()"
    assert "nbgrader" not in out.cells[-1].metadata, "a student cannot add a graded cell"
    assert any("deleted" in n and "b" in n for n in restored.notes)
    assert any("unknown nbgrader ids" in n for n in restored.notes)


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "empty"),
        (b"{not json", "invalid JSON"),
        (b'{"hello": 1}', "no 'nbformat'"),
        (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "no list of cells"),
    ],
)
def test_unreadable_files_raise_with_a_reason(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_bytes(data)
    with pytest.raises(InvalidNotebook, match=message):
        read_submission(path)


def test_a_truncated_file_says_it_looks_cut_off(tmp_path: Path) -> None:
    text = nbformat.writes(answered())
    path = tmp_path / "nb.ipynb"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(InvalidNotebook, match="cut off"):
        read_submission(path)


def test_non_utf8_bytes_are_replaced_and_noted(tmp_path: Path) -> None:
    data = nbformat.writes(answered()).replace("Because.", "BECAUSE_MARK").encode()
    path = tmp_path / "nb.ipynb"
    path.write_bytes(data.replace(b"BECAUSE_MARK", b"caf\xe9 \xff"))
    nb, notes = read_submission(path)
    assert "\ufffd" in nb.cells[5].source and "not UTF-8" in notes[0]


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_bytes(b" " * 2048)
    with pytest.raises(InvalidNotebook, match="MB"):
        read_submission(path, max_bytes=1024)


# -- feedback ---------------------------------------------------------------------------------

TEST_CELL = """assert f(1) == 1, "f(1) should be 1"
print("visible checks passed")
### BEGIN HIDDEN TESTS
assert f(7) == 49, "secret expectation 49"
### END HIDDEN TESTS"""


def _error(lines: list[str], evalue: str) -> dict:
    return {"output_type": "error", "ename": "AssertionError", "evalue": evalue, "traceback": lines}


def test_a_hidden_failure_is_reported_without_its_code() -> None:
    cell = nbformat.v4.new_code_cell(TEST_CELL)
    cell.outputs = [
        nbformat.from_dict(
            _error(
                [
                    '\x1b[0;31m----> 4\x1b[0m assert f(7) == 49, "secret expectation 49"',
                    "AssertionError: secret",
                ],
                "secret expectation 49",
            )
        )
    ]
    out, _ = HideHiddenTestFailures().preprocess_cell(cell, {}, 0)
    text = json.dumps(out.outputs)
    assert "49" not in text and HIDDEN_FAILURE in text


def test_a_visible_failure_keeps_its_message_but_loses_nearby_hidden_lines() -> None:
    cell = nbformat.v4.new_code_cell(TEST_CELL)
    frame = "\n".join(
        [
            '----> 1 assert f(1) == 1, "f(1) should be 1"',
            '      2 print("visible checks passed")',
            '      4 assert f(7) == 49, "secret expectation 49"',
        ]
    )
    cell.outputs = [
        nbformat.from_dict(_error([frame, "AssertionError: f(1) should be 1"], "f(1) should be 1"))
    ]
    out, _ = HideHiddenTestFailures().preprocess_cell(cell, {}, 0)
    text = json.dumps(out.outputs)
    assert "f(1) should be 1" in text and "49" not in text


def test_split_hidden() -> None:
    visible, hidden = split_hidden(TEST_CELL)
    assert visible[-1] == 'print("visible checks passed")' and hidden == [
        'assert f(7) == 49, "secret expectation 49"'
    ]
