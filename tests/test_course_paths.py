"""The course root: explicit, from $RNNLM_COURSE_ROOT, or found from the working folder; never from
where the package's files are. No module of rnnlm.course imports another in a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from rnnlm import cli
from rnnlm.course.paths import MARKER, ROOT_ENV, CourseRootError, course_paths, find_root

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "lib" / "rnnlm" / "course"


def _course(folder: Path) -> Path:
    (folder / MARKER).parent.mkdir(parents=True)
    (folder / MARKER).write_text("c = get_config()\n")
    return folder


def test_root_from_the_working_folder_or_any_folder_below_it(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(ROOT_ENV, raising=False)
    course = _course(tmp_path / "course")
    deep = course / "solutions" / "deeper"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_root() == course.resolve()
    paths = course_paths()
    assert (paths.solutions, paths.notebooks, paths.config) == (
        course / "solutions", course / "notebooks", course / "autograder" / "nbgrader_config.py")


def test_explicit_root_wins_then_the_environment(tmp_path, monkeypatch) -> None:
    one, two = _course(tmp_path / "one"), _course(tmp_path / "two")
    monkeypatch.chdir(one)
    monkeypatch.setenv(ROOT_ENV, str(two))
    assert find_root() == two.resolve()
    assert find_root(one) == one.resolve()


def test_no_course_root_is_a_clear_error(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(ROOT_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CourseRootError, match="pass --root DIR, or set RNNLM_COURSE_ROOT"):
        find_root()
    monkeypatch.setenv(ROOT_ENV, str(tmp_path))
    with pytest.raises(CourseRootError, match=f"RNNLM_COURSE_ROOT {tmp_path} is not a course root"):
        find_root()


def test_commands_take_root_and_refuse_a_folder_that_is_not_a_course(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv(ROOT_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # outside any course: --root names it
    assert cli.main(["course", "lint", "--root", str(ROOT)]) == 0
    assert cli.main(["course", "release", "--check", "--root", str(ROOT)]) == 0
    capsys.readouterr()
    assert cli.main(["course", "release", "--check"]) == 2
    assert "no course root at or above" in capsys.readouterr().err


def _course_imports(path: Path) -> set[str]:
    """The rnnlm.course modules that ``path`` imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rnnlm.course."):
            found.add(node.module.removeprefix("rnnlm.course."))
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("rnnlm.course.")]
            found |= {name.removeprefix("rnnlm.course.") for name in names}
    return found


def test_no_import_cycle_inside_the_course_package() -> None:
    graph = {p.stem: _course_imports(p) for p in COURSE.glob("*.py") if p.stem != "__init__"}
    assert "cli" not in set().union(*graph.values()), "only the command line imports course.cli"
    assert graph["paths"] == set(), "course.paths must import nothing else of the course package"

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(m for m in graph if reaches(m, m, {m}))
    assert cycles == [], f"modules on an import cycle: {cycles}"


def test_nothing_derives_the_course_from_the_package_location() -> None:
    for path in COURSE.glob("*.py"):
        text = path.read_text()
        assert "repo_root" not in text and "parents[3]" not in text, path.name
