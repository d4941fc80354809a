"""Feedback that says a hidden test failed without showing its code, and warnings that cost nothing.

nbgrader's ``ClearHiddenTests`` removes hidden test code from the feedback's cells, but the error
output of a failing hidden assertion still shows the failing line (and its message may hold the
expected values). :class:`HideHiddenTestFailures` runs before it and replaces such error outputs by a
plain "a hidden test failed" while failures of the visible checks keep their full message.
:class:`StderrIsNotAFailure` (an autograde step) keeps a warning printed by a test cell from
scoring that cell zero.
"""

from __future__ import annotations

import re
from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbformat.notebooknode import NotebookNode
from traitlets import Bool

from rnnlm.course.notebooks import split_hidden

_BEGIN = "### BEGIN HIDDEN TESTS"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

#: What a student reads for a failed hidden test.
HIDDEN_FAILURE = "a hidden test failed (its code is not shown); check your answer against the exercise's text"


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


def _is_arrow(line: str) -> bool:
    """The line an IPython traceback frame points at (``----> 12 assert ...``)."""
    return _plain(line).lstrip().startswith("-->") or _plain(line).lstrip().startswith("---->")


def _mentions(line: str, secrets: set[str]) -> bool:
    plain = _plain(line)
    return any(secret in plain for secret in secrets)


class HideHiddenTestFailures(Preprocessor):
    """In test cells with hidden tests: an error raised on a hidden line becomes
    :data:`HIDDEN_FAILURE`; other errors keep their traceback minus any line of hidden code (IPython
    shows lines around the failing one); printed text that quotes hidden code is dropped."""

    enabled = Bool(True)  # nbgrader registers it as a class: nbconvert's default would leave it off

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> tuple[NotebookNode, Any]:
        if cell.cell_type != "code" or _BEGIN not in cell.source:
            return cell, resources
        visible, hidden = split_hidden(cell.source)
        shown = {line.strip() for line in visible}
        secrets = {line.strip() for line in hidden if len(line.strip()) >= 4 and line.strip() not in shown}
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                lines = [ln for frame in output.get("traceback", []) for ln in str(frame).splitlines()]
                if any(_is_arrow(ln) and _mentions(ln, secrets) for ln in lines):
                    output = NotebookNode(
                        output_type="error",
                        ename="HiddenTestFailed",
                        evalue=HIDDEN_FAILURE,
                        traceback=[f"HiddenTestFailed: {HIDDEN_FAILURE}"],
                    )
                else:
                    output["traceback"] = [
                        "\n".join(ln for ln in str(frame).splitlines() if not _mentions(ln, secrets))
                        for frame in output.get("traceback", [])
                    ]
            elif output.get("output_type") == "stream" and _mentions(output.get("text", ""), secrets):
                continue
            outputs.append(output)
        cell.outputs = outputs
        return cell, resources


#: What a test cell's text on stderr is headed by in the graded notebook and the feedback.
STDERR_NOTE = "(printed on stderr; a warning is not an error and costs no points)\n"


class StderrIsNotAFailure(Preprocessor):
    """Text a test cell prints on stderr (a NumPy ``RuntimeWarning`` for a correct ``inf``, a
    progress bar) becomes ordinary output headed by :data:`STDERR_NOTE`.

    nbgrader scores a test cell zero when it has *any* stderr output, so without this a correct answer
    that triggers a harmless warning would lose the exercise. Errors (an exception, a failed
    assertion) are ``error`` outputs, not stderr text, and still fail the cell. Runs in the
    autograde step right after the notebook is executed, so the gradebook and the feedback agree.
    """

    enabled = Bool(True)  # nbconvert's preprocessors are off unless enabled; nbgrader's are on

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> tuple[NotebookNode, Any]:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    output["name"] = "stdout"
                    output["text"] = STDERR_NOTE + output.get("text", "")
        return cell, resources
