"""nbgrader configuration of the instructors' JupyterLab (`make author`): the course's own.

lab/run puts this folder first on JUPYTER_CONFIG_PATH, so nbgrader's tools in that lab (Create
Assignment, Validate, Formgrader) read autograder/nbgrader_config.py. The server runs in the folder
it serves (solutions/), which is therefore the Formgrader's course root; its gradebook is kept in
build/author/ (git-ignored) so that opening the Formgrader writes nothing into solutions/, and so is
its exchange (the kit's students submit through their LMS; without a writable exchange folder the
Formgrader logs an error on every visit). Grading a class happens in the folders
`rnnlm grade --out DIR` builds (autograder/README.md).
"""

from pathlib import Path

c = get_config()  # noqa: F821 - provided by traitlets when the file is loaded

_ROOT = Path(__file__).resolve().parents[2]
_COURSE_CONFIG = _ROOT / "autograder" / "nbgrader_config.py"
if not _COURSE_CONFIG.is_file():
    raise FileNotFoundError(f"the course's nbgrader configuration {_COURSE_CONFIG} is missing")
load_subconfig(_COURSE_CONFIG.name, str(_COURSE_CONFIG.parent))  # noqa: F821 - provided by traitlets

_STATE = _ROOT / "build" / "author"  # lab/run creates it
c.CourseDirectory.db_url = f"sqlite:///{_STATE / 'gradebook.db'}"
c.Exchange.root = str(_STATE / "exchange")
