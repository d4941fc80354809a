"""A thin wrapper around one nbgrader course folder, and the environment notebooks run in.

The folder follows nbgrader's layout (``source/``, ``release/``, ``submitted/``, ``autograded/``,
``feedback/``, ``gradebook.db``) with ``nbgrader_config.py`` copied in, so an instructor can also run
``nbgrader`` or the formgrader inside it. nbgrader is driven in-process through its converters;
every call runs inside :func:`notebook_environment`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnlm.course.notebooks import SolutionNotebook

#: The kernel every notebook runs in; :func:`notebook_environment` pins it to this interpreter.
KERNEL_NAME = "python3"

CONFIG_NAME = "nbgrader_config.py"

#: Set for every notebook the tools execute or grade (see :func:`notebook_environment`).
FAST_ENV = {"RNNLM_FAST": "1", "TQDM_DISABLE": "1"}

_LOG = logging.getLogger("rnnlm.course.nbgrader")
_LOG.addHandler(logging.NullHandler())
_LOG.propagate = False
_LOG.setLevel(logging.INFO)


class CourseError(RuntimeError):
    """An nbgrader step failed; the message carries nbgrader's own explanation."""


@contextmanager
def _environ(updates: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in updates}
    os.environ.update(updates)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def notebook_environment() -> Iterator[dict[str, str]]:
    """The environment that every executed or graded notebook gets; yields the variables it set.

    - ``RNNLM_FAST=1``: notebooks shrink data and epochs (the grader always runs in fast mode).
    - ``TQDM_DISABLE=1``: no progress bars on stderr, which nbgrader would count as a failed test.
    - the ``python3`` kernel resolves to *this* interpreter (a kernelspec placed first on
      ``JUPYTER_PATH``), so ``import rnnlm`` works whatever kernelspecs the user has installed.
    - this interpreter's ``bin`` folder first on ``PATH`` (nbgrader runs ``alembic`` from there when
      it creates a gradebook).
    """
    with tempfile.TemporaryDirectory(prefix="rnnlm-kernels-") as tmp:
        spec_dir = Path(tmp, "kernels", KERNEL_NAME)
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (rnnlm)",
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
        jupyter_path = os.pathsep.join(p for p in (tmp, os.environ.get("JUPYTER_PATH", "")) if p)
        bin_dir = str(Path(sys.executable).parent)
        updates = {
            **FAST_ENV,
            "JUPYTER_PATH": jupyter_path,
            "PATH": os.pathsep.join(p for p in (bin_dir, os.environ.get("PATH", "")) if p),
        }
        with _environ(updates):
            yield dict(updates)


def load_config(config_file: str | Path) -> Any:
    """The ``traitlets`` Config in ``config_file`` (an ``nbgrader_config.py``)."""
    from traitlets.config.loader import PyFileConfigLoader

    path = Path(config_file).resolve()
    if not path.is_file():
        raise FileNotFoundError(
            f"nbgrader configuration {path} does not exist "
            f"(expected autograder/{CONFIG_NAME} in the repository, or pass --config)"
        )
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


@dataclass
class StepResult:
    """What one nbgrader step returned: success, its log, and the traceback when it failed."""

    success: bool
    log: str
    error: str

    def reason(self) -> str:
        """A one-line explanation of a failure, taken from nbgrader's log or traceback."""
        lines = [ln.strip() for ln in (self.log + "\n" + self.error).splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("[ERROR]") and "see the" not in ln.lower()]
        exceptions = [ln for ln in lines if ln.split(":")[0].endswith(("Error", "Exception"))]
        for candidates in (exceptions, errors, lines):
            if candidates:
                return candidates[-1].removeprefix("[ERROR]").strip()[:300]
        return "unknown error"


@dataclass(frozen=True)
class CellGrade:
    """One grade from the gradebook."""

    grade_id: str
    auto_score: float | None
    manual_score: float | None
    score: float
    max_score: float
    needs_manual_grade: bool
    autograded: bool = False  # a test cell scored by running it (set by the grader from the source)


class NbgraderCourse:
    """An nbgrader course folder at ``root`` configured by ``config_file``."""

    def __init__(self, root: str | Path, config_file: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        config_file = Path(config_file).resolve()
        self.config = load_config(config_file)
        target = self.root / CONFIG_NAME
        if config_file != target and (not target.exists() or target.read_bytes() != config_file.read_bytes()):
            shutil.copyfile(config_file, target)
        self.config.CourseDirectory.root = str(self.root)
        # parallel graders share the gradebook: wait for a write lock instead of failing at once
        self.config.CourseDirectory.db_url = self.db_url

    # -- paths --------------------------------------------------------------------------------

    @property
    def db_url(self) -> str:
        """The gradebook's SQLAlchemy URL."""
        return f"sqlite:///{self.root / 'gradebook.db'}?timeout=300"

    def source_path(self, nb: SolutionNotebook) -> Path:
        return self.root / "source" / nb.assignment / nb.filename

    def release_path(self, nb: SolutionNotebook) -> Path:
        return self.root / "release" / nb.assignment / nb.filename

    def submitted_path(self, nb: SolutionNotebook, student: str) -> Path:
        return self.root / "submitted" / student / nb.assignment / nb.filename

    def autograded_path(self, nb: SolutionNotebook, student: str) -> Path:
        return self.root / "autograded" / student / nb.assignment / nb.filename

    def feedback_path(self, nb: SolutionNotebook, student: str) -> Path:
        return self.root / "feedback" / student / nb.assignment / (nb.name + ".html")

    # -- steps --------------------------------------------------------------------------------

    def _coursedir(self, assignment: str, student: str = "*") -> Any:
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config)
        coursedir.assignment_id = assignment
        coursedir.student_id = student
        return coursedir

    def _run(self, app: Any) -> StepResult:
        from nbgrader.utils import capture_log
        from sqlalchemy.exc import SAWarning

        app.log = _LOG
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            with notebook_environment():
                result = capture_log(app)
        return StepResult(bool(result.get("success")), result.get("log") or "", result.get("error") or "")

    def add_source(self, nb: SolutionNotebook) -> bool:
        """Copy the source notebook in; True when it changed (or was new)."""
        target = self.source_path(nb)
        data = nb.path.read_bytes()
        if target.exists() and target.read_bytes() == data:
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return True

    def generate(self, nb: SolutionNotebook) -> Path:
        """``nbgrader generate_assignment NN``: the student version and the gradebook entries."""
        from nbgrader.converters import GenerateAssignment

        self.add_source(nb)
        app = GenerateAssignment(coursedir=self._coursedir(nb.assignment), config=self.config)
        app.force = True
        app.create_assignment = True
        result = self._run(app)
        if not result.success or not self.release_path(nb).exists():
            raise CourseError(f"nbgrader could not generate {nb.filename}: {result.reason()}\n{result.log}")
        return self.release_path(nb)

    def add_student(self, student: str) -> None:
        """Create the student in the gradebook (no-op when present)."""
        from nbgrader.api import Gradebook

        with self._quiet(), Gradebook(self.db_url) as gb:
            gb.update_or_create_student(student)

    def submit(self, nb: SolutionNotebook, student: str, notebook_file: str | Path) -> Path:
        """Place ``notebook_file`` as ``submitted/<student>/NN/NN_topic.ipynb``."""
        target = self.submitted_path(nb, student)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook_file, target)
        return target

    def autograde(self, nb: SolutionNotebook, student: str) -> StepResult:
        """``nbgrader autograde NN --student <student> --force``."""
        from nbgrader.converters import Autograde

        app = Autograde(coursedir=self._coursedir(nb.assignment, student), config=self.config)
        app.force = True
        app.create_student = True
        return self._run(app)

    def feedback(self, nb: SolutionNotebook, student: str) -> StepResult:
        """``nbgrader generate_feedback NN --student <student> --force``."""
        from nbgrader.converters import GenerateFeedback

        app = GenerateFeedback(coursedir=self._coursedir(nb.assignment, student), config=self.config)
        app.force = True
        return self._run(app)

    def grades(self, nb: SolutionNotebook, student: str) -> list[CellGrade]:
        """The gradebook's grades of one submitted notebook; ``LookupError`` when it has none."""
        from nbgrader.api import Gradebook, MissingEntry

        with self._quiet(), Gradebook(self.db_url) as gb:
            try:
                submission = gb.find_submission_notebook(nb.name, nb.assignment, student)
            except MissingEntry as exc:
                raise LookupError(f"the gradebook has no {nb.name} from {student}") from exc
            return [
                CellGrade(
                    grade_id=g.name,
                    auto_score=g.auto_score,
                    manual_score=g.manual_score,
                    score=float(g.score or 0.0),
                    max_score=float(g.max_score or 0.0),
                    needs_manual_grade=bool(g.needs_manual_grade),
                )
                for g in submission.grades
            ]

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        from sqlalchemy.exc import SAWarning

        with warnings.catch_warnings(), notebook_environment():
            warnings.simplefilter("ignore", SAWarning)
            yield
