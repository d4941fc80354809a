"""The student bundle of one notebook: ``rnnlm course bundle NN --out DIR``.

A bundle is what a student downloads for assignment ``NN``::

    DIR/README.txt            how to install the library and open the notebook
    DIR/NN_topic.ipynb        the released student notebooks of assignments <= NN
    DIR/rnnlm-lib/            an installable copy of the library (pyproject.toml + rnnlm/)
    DIR/.rnnlm-bundle.json    what was bundled (marks DIR as a bundle, so it may be rebuilt in place)

In the library copy every function marked ``@exercise("nbKK_name")`` with ``KK >= NN`` keeps its
decorators, signature and docstring, but its body becomes ``raise NotImplementedError(...)`` naming
the exercise and its notebook. Exercises of earlier notebooks stay complete, so that later notebooks
can build on them. The rewrite works on the source text (located with :mod:`ast`), so everything
else in a module stays byte-identical.

The instructor tooling (``rnnlm.course``: release, grading) is left out: students do not need it and
it names the solution markers. Before anything is written, every bundled file is checked for
solution markers and for solution or hidden-test lines of the source notebooks.
"""

from __future__ import annotations

import ast
import io
import json
import shutil
import tempfile
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from rnnlm._exercise import notebook_of
from rnnlm.course.notebooks import NOTEBOOK_FILE, SECRET_MARKERS, normalise_assignment
from rnnlm.course.paths import find_root

#: The package's name, and the folder of the bundle that holds its installable copy.
PACKAGE = "rnnlm"
LIBRARY_FOLDER = "rnnlm-lib"
README_NAME = "README.txt"
#: Written into every bundle; a non-empty output folder holding it may be rebuilt without ``force``.
MARKER_NAME = ".rnnlm-bundle.json"

#: Sub-packages of ``rnnlm`` that stay out of a bundle (instructor tooling: release and grading).
EXCLUDED_SUBPACKAGES = ("course",)
#: Dependencies that only the excluded instructor tooling needs.
INSTRUCTOR_ONLY_DEPENDENCIES = ("nbgrader",)

_SKIPPED_DIRS = ("__pycache__",)
_SKIPPED_SUFFIXES = (".pyc", ".pyo", ".orig", ".rej", ".swp", "~")


class BundleLeakError(ValueError):
    """A bundled file shows a solution marker or a solution or hidden-test line."""


@dataclass(frozen=True)
class StubbedFunction:
    """An exercised library function whose body the bundle replaces by a stub."""

    grade_id: str  # ``nb03_rnn_step_backward``
    module: str  # ``rnnlm.rnn_numpy``
    qualname: str  # ``rnn_step_backward`` (``Class.method`` for a method)
    path: str  # the module's file inside the package, ``rnn_numpy.py``
    notebook: str  # the notebook that asks for it, ``03_bptt.ipynb`` (or ``03`` when not found)

    @property
    def message(self) -> str:
        """The ``NotImplementedError`` message of the stub."""
        name = self.qualname.rsplit(".", 1)[-1]
        return f"{name} is exercise {self.grade_id} of notebook {self.notebook}: write it there"


@dataclass
class BundleResult:
    """What :func:`build_bundle` wrote."""

    assignment: str  # ``"03"``
    out_dir: Path
    library_dir: Path  # ``out_dir / "rnnlm-lib"``: ``pip install`` this folder
    notebooks: list[str] = field(default_factory=list)  # file names, in order
    stubbed: list[StubbedFunction] = field(default_factory=list)
    complete: list[str] = field(default_factory=list)  # grade ids of exercised functions kept whole
    files: list[str] = field(default_factory=list)  # every file written, relative to ``out_dir``

    @property
    def package_dir(self) -> Path:
        """The bundled package folder ``out_dir / "rnnlm-lib" / "rnnlm"``."""
        return self.library_dir / PACKAGE


# -- the source rewrite ---------------------------------------------------------------------------


def _exercise_id(decorator: ast.expr) -> str | None:
    """The grade id of an ``@exercise("...")`` (or ``@module.exercise("...")``) decorator, else None."""
    if not isinstance(decorator, ast.Call):
        return None
    func = decorator.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name != "exercise":
        return None
    if len(decorator.args) != 1 or not isinstance(decorator.args[0], ast.Constant):
        raise ValueError(f"line {decorator.lineno}: @exercise takes one literal grade id")
    grade_id = decorator.args[0].value
    if not isinstance(grade_id, str):
        raise ValueError(f"line {decorator.lineno}: @exercise takes a string grade id, got {grade_id!r}")
    return grade_id


def _exercised_functions(tree: ast.Module) -> list[tuple[str, str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """``(grade_id, qualname, node)`` of every function decorated with ``@exercise``, outermost only."""
    found: list[tuple[str, str, ast.FunctionDef | ast.AsyncFunctionDef]] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                ids = [g for g in map(_exercise_id, node.decorator_list) if g is not None]
                if len(ids) > 1:
                    raise ValueError(f"line {node.lineno}: {node.name} has more than one @exercise")
                if ids:
                    found.append((ids[0], prefix + node.name, node))
                # functions nested in a function are not importable; only classes are searched further
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return found


def _signature_end(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The 1-based line holding the ``:`` that ends the ``def`` statement's signature."""
    first = node.lineno  # the ``def`` line (decorators come before it)
    last = node.body[0].lineno
    segment = "".join(lines[first - 1 : last])
    depth = 0
    seen_def = False
    for tok in tokenize.generate_tokens(io.StringIO(segment).readline):
        if tok.type == tokenize.NAME and tok.string == "def":
            seen_def = True
        elif tok.type == tokenize.OP and seen_def:
            if tok.string in "([{":
                depth += 1
            elif tok.string in ")]}":
                depth -= 1
            elif tok.string == ":" and depth == 0:
                return first + tok.start[0] - 1
    raise ValueError(f"line {first}: cannot find the end of the signature of {node.name}")


def _body_lines(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, int]:
    """``(start, end)``, 1-based and inclusive: the lines of ``node``'s body after its docstring.

    Comments in that range go too (they may explain the answer). Raises ``ValueError`` for a body
    that shares a line with the signature or the docstring, which a line-based rewrite cannot split.
    """
    body = node.body
    has_doc = (
        isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )
    if has_doc:
        start = body[0].end_lineno + 1
        rest = body[1:]
        if rest and rest[0].lineno < start:
            raise ValueError(f"line {rest[0].lineno}: {node.name}: put the body on its own lines")
    else:
        start = _signature_end(lines, node) + 1
        if body[0].lineno < start:
            raise ValueError(f"line {node.lineno}: {node.name}: put the body on its own lines")
    return start, node.end_lineno


def stub_source(
    source: str, stubs: dict[str, str] | dict[tuple[str, str], str]
) -> tuple[str, list[tuple[str, str]]]:
    """Replace the bodies of the exercised functions of ``source`` whose grade id is in ``stubs``.

    ``stubs`` maps a grade id, or a ``(grade_id, qualname)`` pair (an exercise may mark several
    functions), to the ``NotImplementedError`` message of its stub. Signature and
    docstring stay; the rest of the body becomes one ``raise NotImplementedError(...)`` and the
    decorator becomes ``@exercise("...", stub=True)``, so the library calls the student's own
    function of that name where one is defined (see :func:`rnnlm._exercise.exercise`).
    Returns the new source and ``(grade_id, qualname)`` of every function it stubbed.
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []
    done: list[tuple[str, str]] = []
    for grade_id, qualname, node in _exercised_functions(tree):
        message = stubs.get((grade_id, qualname), stubs.get(grade_id))  # type: ignore[call-overload]
        if message is None:
            continue
        start, end = _body_lines(lines, node)
        decorator = next(d for d in node.decorator_list if _exercise_id(d) == grade_id)
        assert isinstance(decorator, ast.Call)
        row = decorator.end_lineno - 1
        text = lines[row].encode("utf-8")
        at = decorator.end_col_offset - 1  # the closing parenthesis
        lines[row] = (text[:at] + b", stub=True" + text[at:]).decode("utf-8")
        indent = " " * node.body[0].col_offset
        newline = "\r\n" if lines[node.lineno - 1].endswith("\r\n") else "\n"
        edits.append((start, end, f"{indent}raise NotImplementedError({message!r}){newline}"))
        done.append((grade_id, qualname))
    for start, end, text in sorted(edits, reverse=True):
        lines[start - 1 : end] = [text]
    new = "".join(lines)
    ast.parse(new)  # the rewrite must leave valid Python
    return new, done


def exercised_in(source: str) -> list[tuple[str, str]]:
    """``(grade_id, qualname)`` of every ``@exercise`` function in ``source``, in file order."""
    return [(g, q) for g, q, _ in _exercised_functions(ast.parse(source))]


# -- building the bundle --------------------------------------------------------------------------


def _student_notebooks(notebooks_dir: Path) -> dict[str, Path]:
    """Assignment ``NN`` -> the released student notebook ``NN_topic.ipynb``."""
    if not notebooks_dir.is_dir():
        raise FileNotFoundError(
            f"student notebooks folder {notebooks_dir} does not exist (run 'rnnlm course release')"
        )
    found: dict[str, Path] = {}
    for path in sorted(notebooks_dir.glob("*.ipynb")):
        m = NOTEBOOK_FILE.match(path.name)
        if m:
            if m.group("nn") in found:
                raise ValueError(f"two student notebooks for assignment {m.group('nn')} in {notebooks_dir}")
            found[m.group("nn")] = path
    return found


def _package_files(package_dir: Path) -> list[Path]:
    """Every file of the package to bundle, relative to ``package_dir``, sorted.

    Skips caches, editor leftovers, hidden files and the :data:`EXCLUDED_SUBPACKAGES`.
    """
    files = []
    for path in sorted(package_dir.rglob("*")):
        rel = path.relative_to(package_dir)
        parts = rel.parts
        if not path.is_file() or path.is_symlink():
            continue
        if parts[0] in EXCLUDED_SUBPACKAGES and len(parts) > 1:
            continue
        if any(p in _SKIPPED_DIRS or p.startswith(".") for p in parts):
            continue
        if path.name.endswith(_SKIPPED_SUFFIXES):
            continue
        files.append(rel)
    return files


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _toml_list(items: list[str]) -> str:
    if not items:
        return "[]"
    return "[\n" + "".join(f"    {_toml_string(i)},\n" for i in items) + "]"


def _dependency_name(requirement: str) -> str:
    name = requirement.strip()
    for sep in ("[", "=", "<", ">", "!", "~", ";", " "):
        name = name.split(sep, 1)[0]
    return name.lower().replace("_", "-")


def _version(package_dir: Path) -> str:
    tree = ast.parse((package_dir / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)):
            continue
        if any(getattr(t, "id", None) == "__version__" for t in node.targets):
            return str(node.value.value)
    return "0"


def bundle_pyproject(
    repo_pyproject: Path | None, package_dir: Path, data_files: list[str], assignment: str
) -> str:
    """The ``pyproject.toml`` of the bundled library.

    Name, version, Python requirement, dependencies (less :data:`INSTRUCTOR_ONLY_DEPENDENCIES`),
    console scripts and build requirements come from the repository's ``pyproject.toml`` when
    there is one; ``data_files`` (package-relative, not ``.py``) become the package data.
    """
    import tomllib

    data: dict = {}
    if repo_pyproject is not None and repo_pyproject.is_file():
        data = tomllib.loads(repo_pyproject.read_text(encoding="utf-8"))
    project = data.get("project", {})
    build = data.get("build-system", {})
    dependencies = [
        d for d in project.get("dependencies", []) if _dependency_name(d) not in INSTRUCTOR_ONLY_DEPENDENCIES
    ]
    description = (
        f"The {PACKAGE} course library as bundled for notebook {assignment}: the functions that notebook "
        f"{assignment} and later notebooks ask for are stubs."
    )
    out = [
        f"# Generated by 'rnnlm course bundle {assignment}'.",
        "[build-system]",
        f"requires = {_toml_list(list(build.get('requires', ['setuptools>=64'])))}",
        f"build-backend = {_toml_string(build.get('build-backend', 'setuptools.build_meta'))}",
        "",
        "[project]",
        f"name = {_toml_string(project.get('name', PACKAGE))}",
        f"version = {_toml_string(project.get('version', _version(package_dir)))}",
        f"description = {_toml_string(description)}",
    ]
    if "requires-python" in project:
        out.append(f"requires-python = {_toml_string(project['requires-python'])}")
    out.append(f"dependencies = {_toml_list(dependencies)}")
    scripts = project.get("scripts", {})
    if scripts:
        out += ["", "[project.scripts]"]
        out += [f"{_toml_string(k)} = {_toml_string(v)}" for k, v in scripts.items()]
    out += [
        "",
        "[tool.setuptools.packages.find]",
        'where = ["."]',
        f'include = ["{PACKAGE}", "{PACKAGE}.*"]',
    ]
    if data_files:
        out += ["", "[tool.setuptools.package-data]", f"{PACKAGE} = {_toml_list(data_files)}"]
    return "\n".join(out) + "\n"


def bundle_readme(assignment: str, notebooks: list[str], stubbed: list[StubbedFunction]) -> str:
    """The student's ``README.txt``: what the folder holds, how to install, what is left to write."""
    current = notebooks[-1]
    title = f"rnnlm course: notebook {current}"
    lines = [
        title,
        "=" * len(title),
        "",
        "This folder holds:",
        *(f"  {name}" for name in notebooks),
        f"  {LIBRARY_FOLDER}/   the course library 'rnnlm' that the notebooks import",
        "",
        "1. Install the library, once per bundle, into the Python environment that runs Jupyter",
        "   (a fresh virtual environment is best; this also installs NumPy, PyTorch and JupyterLab):",
        "",
        f"       python -m pip install ./{LIBRARY_FOLDER}",
        "",
        "   Reinstall it from each new bundle: the bundle of the next notebook completes the",
        "   functions that this one asks you to write.",
        "",
        "2. Open the notebook and work through it top to bottom:",
        "",
        f"       jupyter lab {current}",
        "",
    ]
    if stubbed:
        lines += [
            f"In this copy of the library the functions that notebook {assignment} and later notebooks ask",
            "you to write are left out: calling one raises NotImplementedError naming the exercise.",
            "Write them in the notebook, where the checks below each exercise test your version.",
            "",
        ]
        lines += [f"  {s.module}.{s.qualname}  ({s.grade_id}, {s.notebook})" for s in stubbed]
        lines.append("")
    return "\n".join(lines)


#: nbgrader's default stubs (``autograder/nbgrader_config.py`` keeps them); never secret.
_NBGRADER_STUBS = ("# YOUR CODE HERE\nraise NotImplementedError()", "YOUR ANSWER HERE")


def find_bundle_leaks(root: Path, solutions_dir: Path | None) -> list[str]:
    """Where the bundle under ``root`` shows solution or hidden-test text; empty when clean.

    Every text file is searched for the solution markers. Each bundled notebook ``NN_topic.ipynb`` is
    searched, as the release does, for the solution and hidden-test lines of its source notebook in
    ``solutions_dir``; other data files (not ``.py``) for those of every source notebook. Library
    ``.py`` files get the marker search only: their exercised functions are stubbed, and the rest
    of the library legitimately shares short lines with the solutions.
    """
    from rnnlm.course.notebooks import find_leaks, find_solutions, read_notebook, secret_lines

    sources = {}
    if solutions_dir is not None and solutions_dir.is_dir():
        sources = {nb.filename: read_notebook(nb.path) for nb in find_solutions(solutions_dir)}
    secrets = {name: secret_lines(nb, _NBGRADER_STUBS) for name, nb in sources.items()}
    every_secret = set().union(*secrets.values()) if secrets else set()
    leaks = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if path.suffix == ".ipynb" and path.parent == root:
            found = find_leaks(read_notebook(path), secrets.get(path.name, set()))
            leaks += [f"{rel}: {leak}" for leak in found]
            continue
        leaks += [f"{rel}: contains {marker!r}" for marker in SECRET_MARKERS if marker in text]
        if path.suffix != ".py":
            leaks += [
                f"{rel}: contains solution or hidden-test line {line.strip()!r}"
                for line in text.splitlines()
                if line.strip() in every_secret
            ]
    return leaks


def _check_out_dir(out: Path, force: bool, protected: list[Path], inside: list[Path]) -> None:
    """Refuse an output folder that would overwrite something other than a bundle.

    ``protected`` folders may be neither ``out`` nor inside it; nothing may be written inside the
    ``inside`` folders (the sources a later bundle copies).
    """
    for keep in protected:
        if out == keep or out in keep.parents:
            raise ValueError(f"refusing to write a bundle to {out}: it holds {keep}")
    for source in inside:
        if source in out.parents:
            raise ValueError(f"refusing to write a bundle inside {source}")
    if out == Path.home().resolve() or out == Path(out.anchor):
        raise ValueError(f"refusing to write a bundle to {out}")
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER_NAME).is_file() and not force:
        raise ValueError(
            f"{out} is not empty and is not a bundle; choose another folder or pass --force to replace it"
        )


def build_bundle(
    assignment: str | int,
    out_dir: str | Path,
    *,
    root: str | Path | None = None,
    notebooks_dir: str | Path | None = None,
    lib_dir: str | Path | None = None,
    solutions_dir: str | Path | None = None,
    force: bool = False,
) -> BundleResult:
    """Write the student bundle of ``assignment`` (``"03"``) to ``out_dir``; see the module docstring.

    ``root`` (default: the course root of :func:`rnnlm.course.paths.find_root`) supplies the defaults
    ``notebooks_dir = root/notebooks`` (the released student notebooks), ``lib_dir = root/lib``
    (the folder holding the ``rnnlm`` package), ``solutions_dir = root/solutions`` (used only to
    check the bundle for leaked solutions and hidden tests) and ``root/pyproject.toml``.

    ``out_dir`` must be missing, empty or an earlier bundle, unless ``force`` (then it is replaced).
    The bundle is built in a temporary folder beside it and moved into place only once it is
    complete and clean. Raises ``ValueError`` for an unknown assignment or a refused ``out_dir``,
    :class:`BundleLeakError` when a bundled file shows solution or hidden-test text.
    """
    root = find_root(root)
    notebooks_dir = Path(notebooks_dir).resolve() if notebooks_dir is not None else root / "notebooks"
    lib_dir = Path(lib_dir).resolve() if lib_dir is not None else root / "lib"
    solutions_dir = Path(solutions_dir).resolve() if solutions_dir is not None else root / "solutions"
    package_dir = lib_dir / PACKAGE
    if not (package_dir / "__init__.py").is_file():
        raise FileNotFoundError(f"no package {PACKAGE!r} in {lib_dir}")

    wanted = normalise_assignment(assignment)
    available = _student_notebooks(notebooks_dir)
    if wanted not in available:
        have = ", ".join(sorted(available)) or "none"
        raise ValueError(f"no student notebook for assignment {wanted} in {notebooks_dir} (found: {have})")
    notebooks = [available[nn] for nn in sorted(available) if nn <= wanted]

    out = Path(out_dir).expanduser().resolve()
    sources = [lib_dir, notebooks_dir, solutions_dir]
    _check_out_dir(out, force, [root, *sources], sources)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        result = _write_bundle(tmp, wanted, notebooks, available, package_dir, root / "pyproject.toml")
        leaks = find_bundle_leaks(tmp, solutions_dir)
        if leaks:
            raise BundleLeakError(f"the bundle of {wanted} would leak solutions:\n  " + "\n  ".join(leaks))
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    result.out_dir = out
    result.library_dir = out / LIBRARY_FOLDER
    return result


def _write_bundle(
    dest: Path,
    assignment: str,
    notebooks: list[Path],
    available: dict[str, Path],
    package_dir: Path,
    repo_pyproject: Path,
) -> BundleResult:
    """Write the bundle's files into the empty folder ``dest``."""
    library = dest / LIBRARY_FOLDER
    result = BundleResult(assignment, dest, library, notebooks=[p.name for p in notebooks])
    for path in notebooks:
        shutil.copyfile(path, dest / path.name)

    def notebook_name(grade_id: str) -> str:
        nn = f"{notebook_of(grade_id):02d}"
        return available[nn].name if nn in available else nn

    data_files = []
    for rel in _package_files(package_dir):
        target = library / PACKAGE / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel.suffix != ".py":
            data_files.append(rel.as_posix())
            shutil.copyfile(package_dir / rel, target)
            continue
        source = (package_dir / rel).read_text(encoding="utf-8")
        module = ".".join((PACKAGE, *rel.with_suffix("").parts)).removesuffix(".__init__")
        stubs: dict[tuple[str, str], str] = {}
        todo: list[StubbedFunction] = []
        for grade_id, qualname in exercised_in(source):
            if f"{notebook_of(grade_id):02d}" >= assignment:
                fn = StubbedFunction(grade_id, module, qualname, rel.as_posix(), notebook_name(grade_id))
                stubs[(grade_id, qualname)] = fn.message
                todo.append(fn)
            else:
                result.complete.append(grade_id)
        if stubs:
            source, done = stub_source(source, stubs)
            if sorted(done) != sorted(stubs):
                raise RuntimeError(f"{rel}: stubbed {sorted(done)}, expected {sorted(stubs)}")
            result.stubbed.extend(todo)
        target.write_text(source, encoding="utf-8", newline="")
    result.stubbed.sort(key=lambda s: s.grade_id)
    result.complete.sort()

    (library / "pyproject.toml").write_text(
        bundle_pyproject(repo_pyproject, package_dir, data_files, assignment), encoding="utf-8"
    )
    (dest / README_NAME).write_text(
        bundle_readme(assignment, result.notebooks, result.stubbed), encoding="utf-8"
    )
    marker = {
        "assignment": assignment,
        "notebooks": result.notebooks,
        "stubbed": [s.grade_id for s in result.stubbed],
        "complete": result.complete,
    }
    (dest / MARKER_NAME).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
    result.files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    return result


# -- the command ----------------------------------------------------------------------------------
