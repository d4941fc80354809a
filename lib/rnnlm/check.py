"""``rnnlm.check("nb03_rnn_step_backward")``: run one exercise's visible checks from a notebook.

A student calls it after writing an exercise. It runs the *visible* checks of that exercise (the
part of its test cell that the student notebook shows) against the student's own functions and
prints one short report::

    nb03_rnn_step_backward: PASSED (5 checks)
    nb03_rnn_step_backward: FAILED: dx_t must have shape (B, D) = (3, 4), got (4, 3): transposed?
      failing check (line 27): assert g.shape == x.shape, f"{name} must have shape ..."
    nb03_rnn_step_backward: NOT DONE: rnn_step_backward still raises NotImplementedError ...

It never raises for a wrong or unfinished answer (so a notebook keeps running); it returns a
:class:`CheckResult`, true when the checks pass.

The checks are read from the package data file ``_visible_checks.json``, which ``rnnlm course
release`` generates from the *student* notebooks (hidden tests are never in it) and ``rnnlm course
release --check`` compares. They run in the student's namespace: the IPython user namespace in
Jupyter, otherwise the caller's globals, or an explicit ``namespace``. They run in a shallow copy of
it, so their helper variables (``_x``, ``_out``, ...) do not land in the notebook.

``rnnlm.check`` is this module, made callable: ``rnnlm.check(...)`` is :func:`check` whether or not
the module was imported before.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import io
import json
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: File name of the generated visible checks, inside the ``rnnlm`` package.
CHECKS_FILE = "_visible_checks.json"
#: Version of the file's layout; :func:`load_checks` refuses any other.
CHECKS_FORMAT = 1

PASSED = "PASSED"
FAILED = "FAILED"
NOT_DONE = "NOT DONE"
ERROR = "ERROR"


@dataclass(frozen=True)
class VisibleCheck:
    """The visible checks of one autograded exercise, as the student notebook shows them."""

    grade_id: str  # the answer cell's grade id, e.g. "nb03_rnn_step_backward"
    notebook: str  # "03_bptt.ipynb"
    test_ids: tuple[str, ...]  # the test cells they come from
    defines: tuple[str, ...]  # the names the answer cell defines ("rnn_step_backward")
    source: str  # the visible part of the test cells, hidden tests removed

    @property
    def count(self) -> int:
        """How many checks the source holds: ``assert`` statements and ``raise AssertionError``."""
        return count_checks(self.source)

    def to_json(self) -> dict[str, Any]:
        """The JSON object stored for this exercise (source as a list of lines, for readable diffs)."""
        return {
            "defines": list(self.defines),
            "notebook": self.notebook,
            "source": self.source.split("\n"),
            "tests": list(self.test_ids),
        }

    @classmethod
    def from_json(cls, grade_id: str, data: Mapping[str, Any]) -> VisibleCheck:
        """Read back what :meth:`to_json` wrote."""
        return cls(
            grade_id=grade_id,
            notebook=str(data["notebook"]),
            test_ids=tuple(data["tests"]),
            defines=tuple(data["defines"]),
            source="\n".join(data["source"]),
        )


@dataclass(frozen=True)
class CheckSet:
    """Everything ``_visible_checks.json`` holds."""

    exercises: dict[str, VisibleCheck]
    written: dict[str, str] = field(default_factory=dict)  # written answers (grade id -> notebook): no checks

    def to_text(self) -> str:
        """Canonical JSON text (sorted keys, one-space indent, final newline)."""
        data = {
            "format": CHECKS_FORMAT,
            "about": "Visible checks of every exercise, from the student notebooks; written by "
            "'rnnlm course release', read by rnnlm.check(). Do not edit.",
            "exercises": {gid: ex.to_json() for gid, ex in sorted(self.exercises.items())},
            "written": dict(sorted(self.written.items())),
        }
        return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_text(cls, text: str) -> CheckSet:
        """Parse :meth:`to_text`; ``ValueError`` for another format version."""
        data = json.loads(text)
        if data.get("format") != CHECKS_FORMAT:
            raise ValueError(
                f"visible checks in format {data.get('format')!r}, this rnnlm reads format {CHECKS_FORMAT}"
            )
        exercises = {gid: VisibleCheck.from_json(gid, ex) for gid, ex in data["exercises"].items()}
        return cls(exercises, dict(data.get("written", {})))


@dataclass
class CheckResult:
    """What :func:`check` found; true when every visible check passed.

    In Jupyter it displays as nothing: :func:`check` has printed :meth:`report` already.
    """

    grade_id: str
    status: str  # PASSED, FAILED, NOT_DONE or ERROR
    checks: int  # number of checks in the exercise's visible checks
    message: str = ""  # the failing assertion's message, or what is missing or went wrong
    line: str = ""  # the check statement that failed (its first line)
    lineno: int | None = None  # its line number in the visible checks
    output: str = ""  # what the checks printed

    def __bool__(self) -> bool:
        return self.status == PASSED

    @property
    def passed(self) -> bool:
        """True when every visible check passed."""
        return self.status == PASSED

    def report(self) -> str:
        """The short report that :func:`check` prints."""
        if self.status == PASSED:
            return f"{self.grade_id}: {PASSED} ({self.checks} check{'s' if self.checks != 1 else ''})"
        text = f"{self.grade_id}: {self.status}: {_indent(self.message)}"
        if self.line:
            where = "failing check" if self.status == FAILED else "while running"
            text += f"\n  {where} (line {self.lineno}): {self.line}"
        return text

    def _ipython_display_(self) -> None:
        """Show nothing as a cell's value: the report is printed already."""


def count_checks(source: str) -> int:
    """Number of ``assert`` statements and ``raise AssertionError`` in ``source``."""
    count = 0
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assert):
            count += 1
        elif isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            count += isinstance(exc, ast.Name) and exc.id == "AssertionError"
    return count


def checks_path() -> Path:
    """Where the package keeps ``_visible_checks.json``."""
    return Path(__file__).resolve().parent / CHECKS_FILE


_CACHE: dict[tuple[str, int], CheckSet] = {}


def load_checks(path: str | Path | None = None) -> CheckSet:
    """The visible checks in ``path`` (default: the package's file), cached until the file changes."""
    path = Path(path) if path is not None else checks_path()
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} is missing: this installation of rnnlm has no visible checks "
            "(in the repository, 'rnnlm course release' writes them)"
        ) from None
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = CheckSet.from_text(path.read_text(encoding="utf-8"))
    return _CACHE[key]


def known_ids() -> list[str]:
    """Grade ids that :func:`check` accepts, sorted."""
    return sorted(load_checks().exercises)


def _unknown(grade_id: str, checks: CheckSet) -> ValueError:
    known = sorted(checks.exercises)
    if grade_id in checks.written:
        return ValueError(
            f"{grade_id!r} is a written answer ({checks.written[grade_id]}), graded by hand: it has no checks"
        )
    close = difflib.get_close_matches(str(grade_id), known, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(f"no exercise {grade_id!r}.{hint} Known exercises: {', '.join(known)}")


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def _student_namespace(caller_globals: dict[str, Any]) -> Mapping[str, Any]:
    """The IPython user namespace when running in IPython or Jupyter, else ``caller_globals``."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is not None:
        return shell.user_ns
    return caller_globals


def _statement_at(tree: ast.AST, lineno: int) -> ast.stmt | None:
    """The innermost statement of ``tree`` that spans line ``lineno``."""
    best: ast.stmt | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno <= lineno <= (node.end_lineno or node.lineno):
            if best is None or (node.end_lineno or 0) - node.lineno <= (best.end_lineno or 0) - best.lineno:
                best = node
    return best


def _failing_line(exc: BaseException, filename: str, source: str) -> tuple[int | None, str]:
    """(line number, first line of the statement) of the innermost frame of ``exc`` in the checks."""
    lineno = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            lineno = tb.tb_lineno
        tb = tb.tb_next
    if lineno is None:
        return None, ""
    lines = source.split("\n")
    stmt = _statement_at(ast.parse(source), lineno)
    first = stmt.lineno if stmt is not None else lineno
    last = (stmt.end_lineno or first) if stmt is not None else lineno
    text = lines[first - 1].strip() if 0 < first <= len(lines) else ""
    return first, text + (" ..." if last > first else "")


def _innermost_code(exc: BaseException) -> types.CodeType | None:
    """The code object of the innermost frame of ``exc``'s traceback (where it was raised)."""
    tb = exc.__traceback__
    code = None
    while tb is not None:
        code = tb.tb_frame.f_code
        tb = tb.tb_next
    return code


def _innermost_file(exc: BaseException) -> str:
    """File name of the innermost frame of ``exc``'s traceback."""
    code = _innermost_code(exc)
    return code.co_filename if code is not None else ""


def _raised_in(exc: BaseException) -> str:
    """Name of the function whose frame raised ``exc`` (the innermost frame)."""
    code = _innermost_code(exc)
    return code.co_name if code is not None else ""


def run_check(spec: VisibleCheck, namespace: Mapping[str, Any]) -> CheckResult:
    """Run the visible checks ``spec`` in a shallow copy of ``namespace``; never raises for a wrong
    answer (``KeyboardInterrupt`` and ``SystemExit`` still propagate)."""
    filename = f"<visible checks of {spec.grade_id}>"
    code = compile(spec.source, filename, "exec")
    scope = dict(namespace)
    out = io.StringIO()
    result = CheckResult(spec.grade_id, PASSED, spec.count)
    try:
        with contextlib.redirect_stdout(out):
            exec(code, scope)
    except NotImplementedError as exc:
        name = _raised_in(exc)
        what = f"{name} still raises" if name and name != "<module>" else "your answer raises"
        result.status = NOT_DONE
        result.message = (
            f"{what} NotImplementedError: replace 'raise NotImplementedError()' in its answer cell with your "
            f"code, run that cell, then check again"
        )
    except NameError as exc:
        missing = getattr(exc, "name", None)
        result.lineno, result.line = _failing_line(exc, filename, spec.source)
        if _innermost_file(exc) != filename:  # a NameError inside the student's own code
            result.status = ERROR
            result.message = f"NameError in {_raised_in(exc)}: {exc}"
        elif missing in spec.defines:
            result.status = NOT_DONE
            result.message = (
                f"{missing} is not defined: write it in the exercise's answer cell (keep its name) and run "
                "that cell first"
            )
        else:
            result.status = ERROR
            result.message = (
                f"NameError: {exc}: run the notebook's earlier cells (the setup cell at the top, and the "
                "answer cells of earlier exercises) first"
            )
    except AssertionError as exc:
        result.status = FAILED
        result.message = str(exc) or "a check failed (it has no message)"
        result.lineno, result.line = _failing_line(exc, filename, spec.source)
    except Exception as exc:  # noqa: BLE001 - any error in the student's code is reported, not raised
        name = _raised_in(exc)
        where = f" in {name}" if name and name != "<module>" else ""
        result.status = ERROR
        result.message = f"{type(exc).__name__}{where}: {exc}"
        result.lineno, result.line = _failing_line(exc, filename, spec.source)
    result.output = out.getvalue()
    return result


def _run(grade_id: str, namespace: Mapping[str, Any] | None, verbose: bool,
         caller_globals: dict[str, Any]) -> CheckResult:
    checks = load_checks()
    spec = checks.exercises.get(grade_id)
    if spec is None:
        raise _unknown(grade_id, checks)
    ns = namespace if namespace is not None else _student_namespace(caller_globals)
    result = run_check(spec, ns)
    if verbose and result.output:
        print(result.output, end="" if result.output.endswith("\n") else "\n")
    print(result.report())
    return result


def check(grade_id: str, namespace: Mapping[str, Any] | None = None, *, verbose: bool = False) -> CheckResult:
    """Run the visible checks of exercise ``grade_id`` and print a one-line report.

    ``namespace`` holds the student's functions: by default the IPython user namespace (in Jupyter),
    otherwise the caller's globals. Returns a :class:`CheckResult`, true when every check passed; a
    failing check, an unfinished exercise (``NotImplementedError``) or an error in the student's code
    is reported, not raised. ``verbose`` also shows what the checks print. Raises ``ValueError``
    for an unknown grade id, naming the known ones.
    """
    return _run(grade_id, namespace, verbose, sys._getframe(1).f_globals)


class _CallableModule(types.ModuleType):
    """``rnnlm.check`` is this module; calling it calls :func:`check`."""

    def __call__(
        self, grade_id: str, namespace: Mapping[str, Any] | None = None, *, verbose: bool = False
    ) -> CheckResult:
        return _run(grade_id, namespace, verbose, sys._getframe(1).f_globals)


sys.modules[__name__].__class__ = _CallableModule
