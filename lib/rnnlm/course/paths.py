"""Where a course lives: its root folder and the paths the course commands use under it.

A course root is a folder laid out like this repository: ``solutions/`` (the nbgrader sources),
``notebooks/`` (the student release), ``autograder/nbgrader_config.py`` and, for bundles,
``lib/rnnlm`` and ``pyproject.toml``. The root is found, in this order, from

1. an explicit root (the ``--root DIR`` option of every course command);
2. the environment variable ``RNNLM_COURSE_ROOT``;
3. the working folder or the nearest folder above it that holds ``autograder/nbgrader_config.py``
   (the way git finds its repository), so the commands work from anywhere inside a checkout.

It is never derived from where this package is installed: an installed kit (a wheel, a student
bundle) has no course next to its source files. This module imports nothing else of the course
package, so every module can use it without an import cycle.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: The environment variable naming the course root.
ROOT_ENV = "RNNLM_COURSE_ROOT"

#: The file that marks a folder as a course root (relative to the root).
MARKER = Path("autograder") / "nbgrader_config.py"


class CourseRootError(FileNotFoundError):
    """No course root could be found; the message says how to name one."""


@dataclass(frozen=True)
class CoursePaths:
    """The paths of one course, all under ``root``."""

    root: Path

    @property
    def solutions(self) -> Path:
        """``solutions/``: nbgrader source notebooks ``NN_topic.ipynb`` and their ``NN_topic.py`` twins."""
        return self.root / "solutions"

    @property
    def notebooks(self) -> Path:
        """``notebooks/``: the generated student notebooks."""
        return self.root / "notebooks"

    @property
    def config(self) -> Path:
        """``autograder/nbgrader_config.py``."""
        return self.root / MARKER

    @property
    def lib(self) -> Path:
        """``lib/``: the folder holding the ``rnnlm`` package that bundles copy."""
        return self.root / "lib"

    @property
    def pyproject(self) -> Path:
        return self.root / "pyproject.toml"

    def private(self) -> list[Path]:
        """Folders of the course a student's kernel must never see (those that exist)."""
        names = ("solutions", "tests", "autograder", ".git")
        return [self.root / name for name in names if (self.root / name).exists()]


def _is_root(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def find_root(root: str | Path | None = None, *, start: str | Path | None = None) -> Path:
    """The course root: ``root`` if given, else ``$RNNLM_COURSE_ROOT``, else the nearest folder at or
    above ``start`` (default: the working folder) that holds ``autograder/nbgrader_config.py``.

    Raises :class:`CourseRootError` when an explicit or configured root is not a course, or when
    no folder above ``start`` is one.
    """
    for given, origin in ((root, "--root"), (os.environ.get(ROOT_ENV) or None, f"${ROOT_ENV}")):
        if given is None:
            continue
        folder = Path(given).expanduser().resolve()
        if not _is_root(folder):
            raise CourseRootError(f"{origin} {folder} is not a course root (it has no {MARKER})")
        return folder
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _is_root(folder):
            return folder
    raise CourseRootError(
        f"no course root at or above {here} (a folder with {MARKER}); run the command inside the "
        f"course checkout, pass --root DIR, or set {ROOT_ENV}"
    )


def course_paths(root: str | Path | None = None, *, start: str | Path | None = None) -> CoursePaths:
    """The :class:`CoursePaths` of the course :func:`find_root` finds."""
    return CoursePaths(find_root(root, start=start))


def optional_course_paths(root: str | Path | None = None) -> CoursePaths | None:
    """Like :func:`course_paths`, but ``None`` instead of an error when no course root is found."""
    try:
        return course_paths(root)
    except CourseRootError:
        return None
