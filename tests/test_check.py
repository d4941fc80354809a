"""``rnnlm.check``: every exercise's visible checks, run in a notebook's namespace.

Exercises are discovered from the notebooks. Each is checked with the reference answer (the library
function registered with ``@exercise``, else the solution's answer cell), with the student stub, and
with an answer that returns ``None``; a few deliberately wrong answers must get their hint. The
generated ``_visible_checks.json`` must match the student notebooks, hold no hidden test, and be
kept up to date by ``rnnlm course release``. Finally ``nbgrader validate`` runs on notebooks that
carry the check cells.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import pkgutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import nbformat
import numpy as np
import pytest

import rnnlm
from conftest import TINY_NAME
from rnnlm._exercise import EXERCISES
from rnnlm.check import (
    ERROR,
    FAILED,
    NOT_DONE,
    PASSED,
    CheckSet,
    VisibleCheck,
    check,
    checks_path,
    load_checks,
    run_check,
)
from rnnlm.course.notebooks import SECRET_MARKERS, exercises, find_solutions, read_notebook, secret_lines
from rnnlm.course.paths import course_paths
from rnnlm.course.release import (
    DEFAULT_STUBS,
    LeakError,
    _checks_target,
    build_checks,
    check_leaks_in_checks,
    release,
    visible_checks,
)

ROOT = Path(__file__).resolve().parents[1]
PATHS = course_paths(ROOT)
CONFIG = PATHS.config
SOLUTIONS = find_solutions(PATHS.solutions)
SOURCE = {nb.filename: read_notebook(nb.path) for nb in SOLUTIONS}
STUDENT = {nb.filename: read_notebook(PATHS.notebooks / nb.filename) for nb in SOLUTIONS}
#: (notebook file name, answer grade id) of every autograded exercise of every notebook
EXERCISE_IDS = [(name, ex.answer_id) for name, nb in SOURCE.items() for ex in exercises(nb)]


def _grade_id(cell: Any) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def _cell(nb: Any, grade_id: str) -> Any:
    found = [c for c in nb.cells if _grade_id(c) == grade_id]
    assert len(found) == 1, f"expected one cell {grade_id!r}, found {len(found)}"
    return found[0]


def _setup_cell(name: str) -> Any:
    return _cell(SOURCE[name], f"nb{name[:2]}_setup")


_SETUP: dict[str, dict[str, Any]] = {}


def _setup_namespace(name: str) -> dict[str, Any]:
    """A fresh namespace as after the notebook's setup cell (IPython magics left out)."""
    if name not in _SETUP:
        lines = [line for line in _setup_cell(name).source.splitlines() if not line.lstrip().startswith("%")]
        ns: dict[str, Any] = {"__name__": "__main__", "display": lambda *a, **k: None}
        with contextlib.redirect_stdout(io.StringIO()):  # the setup cell prints the version
            exec(compile("\n".join(lines), f"<setup of {name}>", "exec"), ns)
        _SETUP[name] = ns
    return dict(_SETUP[name])


def _import_library() -> None:
    """Import the library's modules, so that every ``@exercise`` is in the registry."""
    for info in pkgutil.iter_modules(rnnlm.__path__, "rnnlm."):
        if not info.ispkg and not info.name.rsplit(".", 1)[1].startswith("_"):
            try:
                importlib.import_module(info.name)
            except ImportError:  # an optional dependency that is not installed
                continue


def _resolve(target: str) -> Any:
    module, qualname = target.split(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _reference_namespace(name: str) -> dict[str, Any]:
    """The setup namespace with every exercise of notebook ``name`` answered by the reference."""
    _import_library()
    ns = _setup_namespace(name)
    for ex in exercises(SOURCE[name]):
        defines = load_checks().exercises[ex.answer_id].defines
        named = [t for t in EXERCISES.get(ex.answer_id, ()) if t.split(":")[1].split(".")[-1] in defines]
        targets = named if len(defines) == 1 else []  # the library function the student writes
        if targets:
            ns[defines[0]] = _resolve(targets[0])
        else:  # not a library function: the solution's own answer cell
            exec(SOURCE[name].cells[ex.answer_index].source, ns)
    return ns


def _stub_namespace(name: str) -> dict[str, Any]:
    """The setup namespace with every answer cell as the student gets it (the stubs)."""
    ns = _setup_namespace(name)
    for ex in exercises(STUDENT[name]):
        exec(STUDENT[name].cells[ex.answer_index].source, ns)
    return ns


def _raw_failure(grade_id: str, ns: dict[str, Any]) -> str:
    """The AssertionError message of the visible checks run directly, as in the test cell."""
    with pytest.raises(AssertionError) as info:
        exec(load_checks().exercises[grade_id].source, dict(ns))
    return str(info.value)


# -- the generated file -----------------------------------------------------------------------


def test_checks_cover_every_exercise_and_match_the_student_notebooks() -> None:
    checks = load_checks()
    assert sorted(checks.exercises) == sorted(gid for _, gid in EXERCISE_IDS)
    for name, grade_id in EXERCISE_IDS:
        spec = checks.exercises[grade_id]
        assert spec.notebook == name and spec.count > 0 and spec.defines, spec
        visible = "\n\n".join(_cell(STUDENT[name], t).source.rstrip() for t in spec.test_ids).strip("\n")
        assert spec.source == visible
    written = {_grade_id(c): name for name, nb in SOURCE.items() for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "markdown"}
    assert checks.written == written
    # the committed file is exactly what the release generates from the committed student notebooks
    assert visible_checks(STUDENT).to_text() == checks_path().read_text(encoding="utf-8"), (
        "lib/rnnlm/_visible_checks.json is out of date: run 'rnnlm course release'")


def test_checks_hold_no_hidden_test_or_solution_text() -> None:
    text = checks_path().read_text(encoding="utf-8")
    for marker in SECRET_MARKERS:
        assert marker not in text
    checks = load_checks()
    for name, nb in SOURCE.items():
        secrets = secret_lines(nb, DEFAULT_STUBS)
        assert secrets, f"{name}: no secret lines found, so this test would prove nothing"
        for spec in checks.exercises.values():
            if spec.notebook == name:
                shown = {line.strip() for line in spec.source.splitlines()}
                assert not shown & secrets, f"{spec.grade_id} shows {sorted(shown & secrets)[:3]}"
    all_secrets = {name: secret_lines(nb, DEFAULT_STUBS) for name, nb in SOURCE.items()}
    assert check_leaks_in_checks(checks, all_secrets) == []


def test_every_answer_cell_is_followed_by_its_check_cell() -> None:
    for name, grade_id in EXERCISE_IDS:
        for nb in (SOURCE[name], STUDENT[name]):
            index = nb.cells.index(_cell(nb, grade_id))
            after = nb.cells[index + 1]
            expected = f'rnnlm.check("{grade_id}")'
            assert after.cell_type == "code" and after.source == expected, (name, grade_id)
            assert "nbgrader" not in after.metadata, "the check cell is a free cell"


# -- every exercise: reference, stub, wrong ---------------------------------------------------


@pytest.mark.parametrize(("name", "grade_id"), EXERCISE_IDS, ids=[gid for _, gid in EXERCISE_IDS])
def test_reference_answer_passes(name: str, grade_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    ns = _reference_namespace(name)
    before = set(ns)
    result = check(grade_id, ns)
    assert result and result.status == PASSED, result.report()
    out = capsys.readouterr().out
    assert out == f"{grade_id}: PASSED ({result.checks} checks)\n"
    assert set(ns) == before, "the checks' helper variables leaked into the namespace"


@pytest.mark.parametrize(("name", "grade_id"), EXERCISE_IDS, ids=[gid for _, gid in EXERCISE_IDS])
def test_stub_reports_not_done(name: str, grade_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = check(grade_id, _stub_namespace(name))
    assert not result and result.status == NOT_DONE, result.report()
    out = capsys.readouterr().out
    assert out.startswith(f"{grade_id}: NOT DONE: ") and "NotImplementedError" in out


@pytest.mark.parametrize(("name", "grade_id"), EXERCISE_IDS, ids=[gid for _, gid in EXERCISE_IDS])
def test_answer_returning_none_does_not_pass(name: str, grade_id: str) -> None:
    ns = _reference_namespace(name)
    for fn in load_checks().exercises[grade_id].defines:
        ns[fn] = lambda *args, **kwargs: None
    result = run_check(load_checks().exercises[grade_id], ns)
    assert result.status in (FAILED, ERROR), f"{grade_id}: the visible checks accept an answer returning None"
    assert result.message


def test_rnn_step_forward_returning_zeros_fails_with_its_hint(capsys: pytest.CaptureFixture[str]) -> None:
    ns = _reference_namespace("02_rnn_forward.ipynb")
    ns["rnn_step_forward"] = lambda x_t, h_prev, W_hx, W_hh, b_h, activation="tanh": (
        np.zeros_like(h_prev), (x_t, h_prev, W_hx, W_hh, np.zeros_like(h_prev), None))
    result = check("nb02_rnn_step_forward", ns)
    assert result.status == FAILED and not result
    assert result.message == _raw_failure("nb02_rnn_step_forward", ns)
    spec = load_checks().exercises["nb02_rnn_step_forward"]
    assert result.lineno is not None
    assert result.line.removesuffix(" ...") in spec.source.splitlines()[result.lineno - 1]
    out = capsys.readouterr().out
    assert out.startswith("nb02_rnn_step_forward: FAILED: " + result.message.splitlines()[0])
    assert f"failing check (line {result.lineno}): {result.line}" in out


def test_count_ngrams_without_end_symbol_gets_the_end_symbol_hint() -> None:
    ns = _reference_namespace("01_ngram_counts.ipynb")
    bos = ns["BOS"]

    def count_ngrams(sentences: list[list[str]], n: int) -> Counter:
        counts: Counter = Counter()
        for s in sentences:
            tokens = [bos] * (n - 1) + list(s)  # forgets the end symbol
            counts.update(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return counts

    ns["count_ngrams"] = count_ngrams
    result = check("nb01_count_ngrams", ns)
    assert result.status == FAILED and "'<eos>'" in result.message, result.report()
    assert result.message == _raw_failure("nb01_count_ngrams", ns)


def test_errors_and_missing_names_are_reported_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    ns = _reference_namespace("03_bptt.ipynb")

    def rnn_step_backward(dh_t: np.ndarray, cache: tuple) -> tuple:
        return 1 / 0

    ns["rnn_step_backward"] = rnn_step_backward
    result = check("nb03_rnn_step_backward", ns)
    assert result.status == ERROR and "ZeroDivisionError in rnn_step_backward" in result.message
    del ns["rnn_step_backward"]
    result = check("nb03_rnn_step_backward", ns)
    assert result.status == NOT_DONE and "rnn_step_backward is not defined" in result.message
    result = check("nb03_clip_grad_norm", {"clip_grad_norm": lambda grads, max_norm: (grads, 0.0)})
    assert result.status == ERROR and "name 'np' is not defined" in result.message
    assert "setup cell" in result.message
    capsys.readouterr()


def test_unknown_grade_id_raises_with_a_suggestion() -> None:
    with pytest.raises(ValueError, match="Did you mean 'nb03_rnn_step_backward'") as info:
        check("nb03_rnn_step_backwards", {})
    assert "nb01_count_ngrams" in str(info.value)  # the known ids are listed
    written = next(iter(load_checks().written))
    with pytest.raises(ValueError, match="written answer"):
        check(written, {})


# -- where the namespace comes from; the lazy, callable rnnlm.check ----------------------------


def test_namespace_is_the_callers_globals_or_the_ipython_user_namespace(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = _reference_namespace("02_rnn_forward.ipynb")
    ns["rnnlm"] = rnnlm
    exec("result = rnnlm.check('nb02_softmax')", ns)  # called from a module: its globals
    assert ns["result"].status == PASSED
    exec("from rnnlm.check import check\nresult = check('nb02_softmax')", ns)
    assert ns["result"].status == PASSED

    shell = SimpleNamespace(user_ns=_stub_namespace("02_rnn_forward.ipynb"))
    fake = ModuleType("IPython")
    fake.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    exec("result = rnnlm.check('nb02_softmax')", ns)  # in IPython: the user namespace wins
    assert ns["result"].status == NOT_DONE
    capsys.readouterr()


def test_rnnlm_check_is_lazy_and_callable() -> None:
    code = (
        "import sys, rnnlm\n"
        "lazy = 'rnnlm.check' not in sys.modules and 'numpy' not in sys.modules\n"
        "import rnnlm.check as m\n"
        "result = rnnlm.check('nb03_numeric_gradient', {})\n"
        "print(lazy, m is rnnlm.check, callable(rnnlm.check), type(result).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "True True True CheckResult", out


# -- the release writes, checks and leak-checks the file --------------------------------------


def test_checks_target_is_the_package_file_only_for_the_repository_solutions(tmp_path: Path) -> None:
    assert _checks_target("auto", PATHS.solutions) == checks_path()
    assert _checks_target("auto", tmp_path) is None
    assert _checks_target(None, PATHS.solutions) is None
    assert _checks_target(tmp_path / "c.json", tmp_path) == tmp_path / "c.json"


def test_release_writes_the_checks_and_check_finds_them_stale(tiny_solutions: Path, tmp_path: Path) -> None:
    notebooks, checks_file = tmp_path / "notebooks", tmp_path / "checks.json"
    label = str(checks_file.resolve())
    missing = release(tiny_solutions, notebooks, CONFIG, check=True, checks_file=checks_file)
    assert missing.missing == [TINY_NAME, label] and not checks_file.exists(), "a check must not write"

    first = release(tiny_solutions, notebooks, CONFIG, checks_file=checks_file)
    assert first.written == [TINY_NAME, label] and first.checks_file == checks_file
    loaded = load_checks(checks_file)
    assert sorted(loaded.exercises) == ["nb99_count_pairs", "nb99_normalise"]
    assert loaded.written == {"nb99_why": TINY_NAME}
    assert loaded.exercises["nb99_normalise"].defines == ("normalise",)
    text = checks_file.read_text()
    assert 'count_pairs([\\"only\\"])' not in text and "0.75" not in text and "HIDDEN" not in text

    data = json.loads(text)
    data["exercises"]["nb99_normalise"]["source"].append("assert True")
    checks_file.write_text(json.dumps(data))
    stale = release(tiny_solutions, notebooks, CONFIG, check=True, checks_file=checks_file)
    assert stale.differs == [label] and stale.unchanged == [TINY_NAME]
    assert json.loads(checks_file.read_text()) == data, "a check must not write"


def test_a_hidden_test_line_in_the_checks_is_a_leak() -> None:
    from conftest import tiny_notebook

    source = tiny_notebook()
    secrets = {TINY_NAME: secret_lines(source, DEFAULT_STUBS)}
    student = nbformat.from_dict(source)
    for cell in student.cells:
        if _grade_id(cell) == "nb99_normalise_test":
            for marker in ("### BEGIN HIDDEN TESTS\n", "### END HIDDEN TESTS"):
                cell.source = cell.source.replace(marker, "")
    leaky = visible_checks({TINY_NAME: student})
    leaks = check_leaks_in_checks(leaky, secrets)
    assert any("0.75" in leak for leak in leaks), leaks
    with pytest.raises(LeakError, match="0.75"):
        build_checks({TINY_NAME: nbformat.writes(student)}, secrets)
    marked = CheckSet({"nb99_x": VisibleCheck("nb99_x", TINY_NAME, (), ("x",), "### END SOLUTION")})
    assert any("END SOLUTION" in leak for leak in check_leaks_in_checks(marked, secrets))


# -- nbgrader validate, and a real kernel ------------------------------------------------------


def _exercise_cells(nb: Any, name: str) -> Any:
    """A copy of ``nb`` with only its setup cell and its exercises (answer, check cell, test cells)."""
    keep = [nb.cells.index(_cell(nb, f"nb{name[:2]}_setup"))]
    for ex in exercises(nb):
        keep += range(ex.answer_index, nb.cells.index(_cell(nb, ex.test_ids[-1])) + 1)
    mini = nbformat.from_dict(nb)
    mini.cells = [nb.cells[i] for i in keep]
    return mini


def test_nbgrader_validate_passes_solutions_and_fails_blanks_with_check_cells(tmp_path: Path) -> None:
    """``nbgrader validate --Validator.validate_all=True``: the solution passes, the blank fails on its
    test cells only (a check cell that errors or writes to stderr would count as one more)."""
    from rnnlm.course.nbcourse import notebook_environment

    files, expected = [], {}
    for name in SOURCE:
        for kind, nb in (("solution", SOURCE[name]), ("blank", STUDENT[name])):
            path = tmp_path / f"{kind}_{name}"
            nbformat.write(_exercise_cells(nb, name), str(path))
            files.append(path.name)
            expected[path.name] = sum(len(ex.test_ids) for ex in exercises(nb)) if kind == "blank" else 0
    nbgrader = Path(sys.executable).parent / "nbgrader"
    with notebook_environment():  # fast mode, the python3 kernel pinned to this interpreter
        run = subprocess.run([str(nbgrader), "validate", "--Validator.validate_all=True", *files],
                             cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=300, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    output = run.stdout
    assert run.returncode == 0, output
    reports = {}
    for chunk in output.split("Validating '")[1:]:
        reports[Path(chunk.split("'", 1)[0]).name] = chunk
    assert sorted(reports) == sorted(files), output
    for file, failures in expected.items():
        if failures:
            assert f"VALIDATION FAILED ON {failures} CELL(S)!" in reports[file], reports[file]
            assert "NotImplementedError" in reports[file]
        else:
            assert "Success! Your notebook passes all the tests." in reports[file], reports[file]


def test_check_cells_pass_in_a_real_kernel_on_the_solution(tmp_path: Path) -> None:
    from rnnlm.course.execute import execute_notebook

    name = "03_bptt.ipynb"
    path = tmp_path / name
    nbformat.write(_exercise_cells(SOURCE[name], name), str(path))
    run = execute_notebook(path)
    reports = [
        "".join(o.get("text", "") for o in cell.outputs)
        for cell in run.notebook.cells if cell.cell_type == "code" and cell.source.startswith("rnnlm.check(")
    ]
    assert len(reports) == len(exercises(SOURCE[name]))
    for text in reports:
        assert ": PASSED (" in text and text.count("\n") == 1, text
    displayed = [o for c in run.notebook.cells for o in c.outputs if o.get("output_type") == "execute_result"
                 and c.source.startswith("rnnlm.check(")]
    assert displayed == [], "the returned CheckResult should not display anything below the report"


# -- no library function hands out an answer ----------------------------------------------------------

#: Library modules of pure functions whose public functions might stand in for a student's answer (the
#: others fetch data, write checkpoints or parse command lines).
_CANDIDATE_MODULES = ("rnnlm.ngram", "rnnlm.rnn_numpy", "rnnlm.gradcheck", "rnnlm.embedded", "rnnlm.data")
_NOT_CANDIDATES = {"register_cli", "fetch", "verify", "data_dir", "register_corpus", "unregister_corpus"}


def _unmarked_public_functions() -> list[tuple[str, Any]]:
    """Public functions of the candidate modules that no ``@exercise`` marks (a bundle keeps them)."""
    import inspect

    _import_library()
    marked = {t for targets in EXERCISES.values() for t in targets}
    found = []
    for module_name in _CANDIDATE_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            target = f"{module_name}:{getattr(obj, '__qualname__', name)}"
            if inspect.isfunction(obj) and target not in marked and name not in _NOT_CANDIDATES:
                found.append((target, obj))
    return found


def _takes(func: Any, count: int) -> bool:
    """Whether ``func`` accepts ``count`` positional arguments."""
    import inspect

    try:
        inspect.signature(func).bind(*range(count))
    except (TypeError, ValueError):
        return False
    return True


@pytest.mark.parametrize("name", sorted(SOURCE))
def test_no_unmarked_library_function_passes_an_exercise_in_the_students_place(name: str) -> None:
    """Every public function a student bundle keeps whole, put in place of an answer, fails that
    exercise's visible checks (so its test cell too): the ones that would pass are ``@exercise``-marked
    and stubbed in the bundles."""
    import inspect
    import signal

    candidates = _unmarked_public_functions()
    assert len(candidates) > 10, "the candidate modules export fewer functions than expected"

    def stop(*_args: Any) -> None:
        raise TimeoutError("a candidate ran too long")

    previous = signal.signal(signal.SIGALRM, stop)
    passed = []
    try:
        for ex in exercises(SOURCE[name]):
            spec = load_checks().exercises[ex.answer_id]
            if len(spec.defines) != 1:
                continue
            reference = _reference_namespace(name)[spec.defines[0]]
            required = [p for p in inspect.signature(reference).parameters.values()
                        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            for target, func in candidates:
                if not _takes(func, len(required)):
                    continue
                ns = _reference_namespace(name)
                ns[spec.defines[0]] = func
                signal.setitimer(signal.ITIMER_REAL, 10.0)
                try:
                    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                        result = run_check(spec, ns)
                except TimeoutError:
                    continue
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                if result.status == PASSED:
                    passed.append(f"{target} passes {ex.answer_id}")
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert passed == [], "mark these @exercise (and give the library a private twin):\n" + "\n".join(passed)
