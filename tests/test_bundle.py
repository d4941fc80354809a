"""``rnnlm course bundle NN``: what a student gets for one notebook, and that nothing secret is in it.

One bundle per source notebook (module-scoped, built once); the checks read the bundled files and
run the bundled library in subprocesses and notebook kernels with the bundle first on PYTHONPATH.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import pkgutil
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
import tomllib

import rnnlm
from rnnlm import cli
from rnnlm._exercise import EXERCISES, notebook_of
from rnnlm.course.bundle import (
    LIBRARY_FOLDER,
    MARKER_NAME,
    README_NAME,
    BundleResult,
    build_bundle,
    stub_source,
)
from rnnlm.course.notebooks import SECRET_MARKERS, find_leaks, find_solutions, read_notebook, secret_lines
from rnnlm.course.paths import course_paths

ROOT = Path(__file__).resolve().parents[1]
PATHS = course_paths(ROOT)
SOLUTIONS = find_solutions(PATHS.solutions)
ASSIGNMENTS = [nb.assignment for nb in SOLUTIONS]
PACKAGE_DIR = Path(rnnlm.__file__).resolve().parent
NBGRADER_STUBS = ("# YOUR CODE HERE\nraise NotImplementedError()", "YOUR ANSWER HERE")
#: Bundled lines shorter than this prove nothing (``return out``, ``else:``).
MIN_LINE = 12

pytestmark = pytest.mark.skipif(not SOLUTIONS, reason=f"no source notebooks in {PATHS.solutions}")


# -- the real library: every exercised function, its source and its body lines ----------------------


def _import_library() -> None:
    """Import every module of the package (not the instructor tooling) so EXERCISES is complete."""
    for info in pkgutil.iter_modules(rnnlm.__path__):
        if info.name != "course":
            importlib.import_module(f"rnnlm.{info.name}")


def _module_path(package_root: Path, module: str) -> Path:
    parts = module.split(".")[1:]
    path = package_root.joinpath(*parts)
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _find_def(tree: ast.Module, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    body = tree.body
    *owners, name = qualname.split(".")
    for owner in owners:
        body = next(n for n in body if isinstance(n, ast.ClassDef) and n.name == owner).body
    return next(n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name)


def _definition(package_root: Path, target: str) -> tuple[str, str, list[str]]:
    """``(module file text, whole definition with decorators, stripped body lines after the docstring)``."""
    module, qualname = target.split(":")
    text = _module_path(package_root, module).read_text(encoding="utf-8")
    node = _find_def(ast.parse(text), qualname)
    lines = text.splitlines()
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    body = node.body[1:] if ast.get_docstring(node) is not None else node.body
    body_lines = [ln.strip() for stmt in body for ln in ast.get_source_segment(text, stmt).splitlines()]
    return text, "\n".join(lines[first - 1 : node.end_lineno]), body_lines


@pytest.fixture(scope="module")
def library() -> dict[str, dict]:
    """"module:qualname" of every @exercise function -> its grade id, notebook, definition text and
    body lines (an exercise may have several: the answer and others that compute its result)."""
    _import_library()
    assert EXERCISES, "no function of the library is marked @exercise"
    out = {}
    for grade_id, targets in sorted(EXERCISES.items()):
        for target in targets:
            _, definition, body = _definition(PACKAGE_DIR, target)
            nn = f"{notebook_of(grade_id):02d}"
            out[target] = {"grade_id": grade_id, "target": target, "nn": nn, "def": definition, "body": body}
    return out


def _outside_lines(stubbed: set[str], library: dict[str, dict]) -> set[str]:
    """Stripped lines of the original .py files outside the bodies of the ``stubbed`` functions."""
    removed: dict[Path, list[tuple[int, int]]] = {}
    for target in stubbed:
        module, qualname = target.split(":")
        path = _module_path(PACKAGE_DIR, module)
        node = _find_def(ast.parse(path.read_text(encoding="utf-8")), qualname)
        body = node.body[1:] if ast.get_docstring(node) is not None else node.body
        first = body[0].lineno if body else node.end_lineno + 1
        removed.setdefault(path, []).append((first, node.end_lineno))
    keep = set()
    for path in PACKAGE_DIR.rglob("*.py"):
        if "course" in path.relative_to(PACKAGE_DIR).parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not any(a <= number <= b for a, b in removed.get(path, [])):
                keep.add(line.strip())
    return keep


def _distinctive(body: list[str], outside: set[str]) -> set[str]:
    return {ln for ln in body if len(ln) >= MIN_LINE and not ln.startswith("#") and ln not in outside}


# -- the bundles ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory):
    """``get(NN)`` -> the :class:`BundleResult` of assignment NN, built once per module."""
    built: dict[str, BundleResult] = {}
    root = tmp_path_factory.mktemp("bundles")

    def get(nn: str) -> BundleResult:
        if nn not in built:
            built[nn] = build_bundle(nn, root / f"bundle{nn}")
        return built[nn]

    return get


def _bundle_files(result: BundleResult) -> list[Path]:
    return sorted(p for p in result.out_dir.rglob("*") if p.is_file())


def _probe(result: BundleResult) -> dict:
    """Import the bundled library in a fresh interpreter (bundle first on PYTHONPATH) and call every
    exercised function with placeholder arguments; what happened, as JSON."""
    script = textwrap.dedent(
        """
        import importlib, inspect, json, pkgutil
        import rnnlm
        out = {"file": rnnlm.__file__, "calls": {}, "signatures": {}, "docs": {}}
        for info in pkgutil.iter_modules(rnnlm.__path__):
            importlib.import_module("rnnlm." + info.name)
        from rnnlm._exercise import EXERCISES
        from rnnlm import cli
        cli.build_parser()  # the student's rnnlm command works without rnnlm.course
        out["registry"] = {g: list(t) for g, t in EXERCISES.items()}
        for grade_id, target in ((g, t) for g, ts in EXERCISES.items() for t in ts):
            module, qualname = target.split(":")
            obj = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part)
            sig = inspect.signature(obj)
            out["signatures"][target] = str(sig)
            out["docs"][target] = obj.__doc__
            if "." in qualname:
                continue  # a method needs an instance
            required = [p for p in sig.parameters.values()
                        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            try:
                obj(*[None] * len(required))
                out["calls"][target] = "returned"
            except NotImplementedError as exc:
                out["calls"][target] = "NotImplementedError: " + str(exc)
            except Exception as exc:
                out["calls"][target] = type(exc).__name__
        print(json.dumps(out))
        """
    )
    env = dict(os.environ, PYTHONPATH=str(result.library_dir), RNNLM_FAST="1")
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, f"the bundled library does not import:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- 1 and 2: stubbed from notebook NN on, complete before it ------------------------------------------


@pytest.mark.parametrize("nn", ASSIGNMENTS)
def test_bundle_layout(nn: str, bundles) -> None:
    result = bundles(nn)
    names = sorted(p.relative_to(result.out_dir).as_posix() for p in _bundle_files(result))
    student = sorted(p.name for p in PATHS.notebooks.glob("*.ipynb") if p.name[:2] <= nn)
    assert [n for n in names if n.endswith(".ipynb")] == student
    assert any(n.startswith(f"{nn}_") for n in student)
    for name in student:
        assert (result.out_dir / name).read_bytes() == (PATHS.notebooks / name).read_bytes()
    for forbidden in ("solutions", "tests", "autograder", ".git", f"{LIBRARY_FOLDER}/rnnlm/course"):
        assert not any(n == forbidden or n.startswith(forbidden + "/") for n in names), forbidden
    assert not any("__pycache__" in n for n in names)
    # the whole package comes along (every module and data file), the instructor tooling aside
    original = sorted(
        p.relative_to(PACKAGE_DIR).as_posix() for p in PACKAGE_DIR.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.relative_to(PACKAGE_DIR).parts[0] != "course"
        and not p.name.endswith((".pyc", "~")) and not p.name.startswith(".")
    )
    bundled = sorted(n.removeprefix(f"{LIBRARY_FOLDER}/rnnlm/") for n in names
                     if n.startswith(f"{LIBRARY_FOLDER}/rnnlm/"))
    assert bundled == original
    readme = (result.out_dir / README_NAME).read_text()
    assert f"pip install ./{LIBRARY_FOLDER}" in readme and student[-1] in readme
    marker = json.loads((result.out_dir / MARKER_NAME).read_text())
    assert marker["assignment"] == nn and marker["notebooks"] == student


@pytest.mark.parametrize("nn", ASSIGNMENTS)
def test_exercises_of_this_and_later_notebooks_are_stubbed(nn: str, bundles, library) -> None:
    result = bundles(nn)
    later = {t for t, f in library.items() if f["nn"] >= nn}
    assert sorted(s.grade_id for s in result.stubbed) == sorted(library[t]["grade_id"] for t in later)
    outside = _outside_lines(later, library)
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in _bundle_files(result)}
    bundled_lines = {ln.strip() for text in texts.values() for ln in text.splitlines()}
    for target in sorted(later):
        distinctive = _distinctive(library[target]["body"], outside)
        assert distinctive, f"{target}: no body line of the reference is distinctive enough to test"
        left = sorted(distinctive & bundled_lines)
        assert not left, f"bundle {nn} still shows the reference body of {target}: {left}"
    probe = _probe(result)
    assert Path(probe["file"]).resolve() == (result.package_dir / "__init__.py").resolve()
    assert probe["registry"] == {g: list(t) for g, t in EXERCISES.items()}, "@exercise decorators must stay"
    for target, f in library.items():
        grade_id = f["grade_id"]
        module, qualname = target.split(":")
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        assert probe["docs"][target] == obj.__doc__, f"{target}: the docstring must stay"
        assert probe["signatures"][target] == str(inspect.signature(obj)), target
        call = probe["calls"].get(target)
        if target in later and call is not None:
            assert call.startswith("NotImplementedError: ") and grade_id in call, (target, call)
            assert any(nb.filename in call for nb in SOLUTIONS if nb.assignment == f["nn"]), call
        elif call is not None:
            assert not call.startswith("NotImplementedError"), f"{target} (notebook {f['nn']}) is stubbed"


@pytest.mark.parametrize("nn", ASSIGNMENTS)
def test_exercises_of_earlier_notebooks_are_complete(nn: str, bundles, library) -> None:
    result = bundles(nn)
    earlier = {t for t, f in library.items() if f["nn"] < nn}
    assert sorted(result.complete) == sorted(library[t]["grade_id"] for t in earlier)
    for target in earlier:
        _, bundled, _ = _definition(result.package_dir, target)
        assert bundled == library[target]["def"], f"{target} must be bundled unchanged"
    # a module without a stubbed function is copied byte for byte
    stubbed_files = {s.path for s in result.stubbed}
    for path in result.package_dir.rglob("*"):
        rel = path.relative_to(result.package_dir).as_posix()
        if path.is_file() and rel not in stubbed_files:
            assert path.read_bytes() == (PACKAGE_DIR / rel).read_bytes(), rel


# -- 3: no solution or hidden-test text -----------------------------------------------------------------


@pytest.mark.parametrize("nn", ASSIGNMENTS)
def test_bundle_shows_no_solution_or_hidden_test(nn: str, bundles, library) -> None:
    result = bundles(nn)
    sources = {nb.filename: read_notebook(nb.path) for nb in SOLUTIONS}
    secrets = {name: secret_lines(nb, NBGRADER_STUBS) for name, nb in sources.items()}
    later_secrets = set().union(*(s for name, s in secrets.items() if name[:2] >= nn))
    every_secret = set().union(*secrets.values())
    # solution lines of notebooks >= NN that the library needs outside the exercised functions
    # (``B, T, V = scores.shape``) are not a leak; anything else is
    excused = _outside_lines({f"{s.module}:{s.qualname}" for s in result.stubbed}, library)
    problems = []
    for path in _bundle_files(result):
        rel = path.relative_to(result.out_dir).as_posix()
        if path.suffix == ".ipynb":
            problems += [f"{rel}: {leak}" for leak in find_leaks(read_notebook(path), secrets[path.name])]
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        problems += [f"{rel}: {m!r}" for m in SECRET_MARKERS if m in text]
        lines = {ln.strip() for ln in text.splitlines()}
        found = lines & every_secret if path.suffix != ".py" else (lines & later_secrets) - excused
        problems += [f"{rel}: solution or hidden-test line {ln!r}" for ln in sorted(found)]
    assert problems == [], "\n".join(problems)


# -- 4: the visible checks run against the stubbed library; the package installs ----------------------


def _student_run_of_solution(path: Path, package_dir: Path) -> nbformat.NotebookNode:
    """The solution notebook with its hidden tests removed (a student who answered everything), and a
    first cell that fails unless ``rnnlm`` is the bundled copy."""
    nb = read_notebook(path)
    for cell in nb.cells:
        kept, hidden = [], False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line or "END HIDDEN TESTS" in line:
                hidden = "BEGIN" in line
            elif not hidden and "BEGIN SOLUTION" not in line and "END SOLUTION" not in line:
                kept.append(line)
        cell.source = "\n".join(kept)
    probe = (
        "import pathlib, rnnlm\n"
        f"assert pathlib.Path(rnnlm.__file__).resolve().parent == pathlib.Path({str(package_dir)!r}), "
        "rnnlm.__file__\n"
    )
    nb.cells.insert(0, nbformat.v4.new_code_cell(probe))
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("nb", SOLUTIONS, ids=[nb.name for nb in SOLUTIONS])
def test_solution_runs_against_its_bundle(
    nb, bundles, tmp_path, monkeypatch, record_notebook_seconds
) -> None:
    """The student's answers (the solutions, hidden tests removed) run against the bundle of their
    notebook in fast mode: no visible check, and no other cell, needs a stubbed library function."""
    import time

    from nbclient import NotebookClient

    from rnnlm.course.nbcourse import KERNEL_NAME, notebook_environment

    result = bundles(nb.assignment)
    run = _student_run_of_solution(nb.path, result.package_dir.resolve())
    monkeypatch.setenv("PYTHONPATH", str(result.library_dir))
    start = time.perf_counter()
    with notebook_environment():
        client = NotebookClient(run, kernel_name=KERNEL_NAME, timeout=120, allow_errors=True,
                                resources={"metadata": {"path": str(tmp_path)}})
        client.execute()
    record_notebook_seconds("solution on its bundle", nb.name, time.perf_counter() - start)
    errors = []
    for index, cell in enumerate(run.cells, start=-1):  # cell -1: the inserted probe
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                assert index >= 0, f"the kernel did not import the bundled rnnlm: {out.evalue}"
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                label = f"cell {index}" + (f" ({grade_id})" if grade_id else "")
                errors.append(f"{label}: {out.ename}: {out.evalue}")
    assert errors == [], (
        f"{nb.filename} fails against the bundle of {nb.assignment} (the library's own versions of the "
        "exercises of this and later notebooks are stubs there):\n  " + "\n  ".join(errors)
    )


@pytest.mark.slow
@pytest.mark.parametrize("nb", SOLUTIONS, ids=[nb.name for nb in SOLUTIONS])
def test_the_unanswered_student_notebook_runs_to_the_end_against_its_bundle(
    nb, bundles, tmp_path, monkeypatch, record_notebook_seconds
) -> None:
    """What a student sees who runs everything before answering: against the bundle (where the
    library's models call the student's functions) only the tagged test cells fail, every demo cell
    that needs an exercise says so, and every check cell says NOT DONE."""
    import time

    from nbclient import NotebookClient

    from rnnlm.course.nbcourse import KERNEL_NAME, notebook_environment

    result = bundles(nb.assignment)
    run = read_notebook(result.out_dir / nb.filename)
    monkeypatch.setenv("PYTHONPATH", str(result.library_dir))
    start = time.perf_counter()
    with notebook_environment():
        NotebookClient(run, kernel_name=KERNEL_NAME, timeout=120, allow_errors=True,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    record_notebook_seconds("student (blank) on its bundle", nb.name, time.perf_counter() - start)
    untagged, checks = [], []
    for index, cell in enumerate(run.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        if errors and "raises-exception" not in cell.metadata.get("tags", []):
            untagged.append(f"cell {index}: {errors[0]['ename']}: {errors[0]['evalue']}")
        if cell.source.startswith("rnnlm.check("):
            text = "".join(o.get("text", "") for o in cell.outputs)
            if ": NOT DONE:" not in text:
                checks.append(f"cell {index}: {text.strip()!r}")
    assert untagged == [], "cells that stop Run All in a blank student notebook:\n  " + "\n  ".join(untagged)
    assert checks == [], "check cells that do not say NOT DONE:\n  " + "\n  ".join(checks)



def test_bundled_library_installs_with_pip(bundles, tmp_path) -> None:
    result = bundles(ASSIGNMENTS[-1])
    source = tmp_path / "src"
    shutil.copytree(result.library_dir, source)  # pip builds in place; keep the bundle clean
    project = tomllib.loads((source / "pyproject.toml").read_text())["project"]
    repo = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == repo["name"] and project["version"] == repo["version"] == rnnlm.__version__
    assert not any(d.startswith("nbgrader") for d in project["dependencies"])
    target = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    installed = sorted(p.relative_to(target / "rnnlm").as_posix() for p in (target / "rnnlm").rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts)
    bundled = sorted(p.relative_to(result.package_dir).as_posix() for p in result.package_dir.rglob("*")
                     if p.is_file())
    assert installed == bundled, "pip must install every module and data file of the bundle"
    for stub in result.stubbed:
        assert repr(stub.message) in (target / "rnnlm" / stub.path).read_text()


# -- the stub rewrite on awkward layouts ------------------------------------------------------------


def test_stub_source_keeps_decorators_signature_docstring() -> None:
    source = textwrap.dedent(
        '''\
        from rnnlm._exercise import exercise


        @exercise("nb07_plain")
        def plain(a, b=2):
            """Doc."""
            # a comment that explains the answer
            return a + b  # the answer


        @exercise("nb07_no_doc")
        def no_doc(
            a,
            b,
        ):
            total = a * b
            return total


        class Model:
            @staticmethod
            @exercise("nb07_method")
            def step(x):
                """Doc
                on two lines."""
                return x * 3


        @exercise("nb06_earlier")
        def earlier(x):
            return x - 1


        AFTER = 1
        '''
    )
    stubs = {g: f"{g} is stubbed" for g in ("nb07_plain", "nb07_no_doc", "nb07_method")}
    new, done = stub_source(source, stubs)
    assert sorted(done) == [("nb07_method", "Model.step"), ("nb07_no_doc", "no_doc"), ("nb07_plain", "plain")]
    for answer in ("return a + b", "explains the answer", "total = a * b", "return x * 3"):
        assert answer not in new
    assert "return x - 1" in new and "AFTER = 1" in new and '"""Doc."""' in new and "on two lines." in new
    namespace: dict = {}
    exec(compile(new, "stubbed", "exec"), namespace)
    calls = {
        "nb07_plain": lambda: namespace["plain"](1),
        "nb07_no_doc": lambda: namespace["no_doc"](1, 2),
        "nb07_method": lambda: namespace["Model"].step(1),
    }
    for grade_id, call in calls.items():
        with pytest.raises(NotImplementedError, match=grade_id):
            call()
    assert namespace["earlier"](3) == 2 and namespace["plain"].__doc__ == "Doc."


# -- 5: the command ---------------------------------------------------------------------------------


def test_cli_writes_a_bundle(tmp_path) -> None:
    nn = ASSIGNMENTS[-1]
    out = tmp_path / "bundle"
    proc = subprocess.run([sys.executable, "-m", "rnnlm.cli", "course", "bundle", nn, "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (out / README_NAME).is_file() and (out / LIBRARY_FOLDER / "pyproject.toml").is_file()
    assert json.loads((out / MARKER_NAME).read_text())["assignment"] == nn
    assert str(out) in proc.stdout


def test_cli_refusals(tmp_path, capsys) -> None:
    nn = ASSIGNMENTS[0]
    assert cli.main(["course", "bundle", "99", "--out", str(tmp_path / "x")]) == 2
    assert "no student notebook for assignment 99" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "thesis.tex").write_text("mine")
    assert cli.main(["course", "bundle", nn, "--out", str(busy)]) == 2
    assert "--force" in capsys.readouterr().err
    assert sorted(p.name for p in busy.iterdir()) == ["thesis.tex"]

    out = tmp_path / "bundle"
    assert cli.main(["course", "bundle", nn, "--out", str(out)]) == 0
    assert cli.main(["course", "bundle", nn, "--out", str(out)]) == 0, "an earlier bundle is rebuilt in place"
    assert cli.main(["course", "bundle", nn, "--out", str(busy), "--force"]) == 0
    assert not (busy / "thesis.tex").exists() and (busy / MARKER_NAME).is_file()
    capsys.readouterr()

    with pytest.raises(ValueError, match="refusing"):
        build_bundle(nn, ROOT, force=True)
    with pytest.raises(ValueError, match="refusing"):
        build_bundle(nn, PATHS.notebooks / "bundle", force=True)
    with pytest.raises(ValueError, match="assignment"):
        build_bundle("3x", tmp_path / "y")
