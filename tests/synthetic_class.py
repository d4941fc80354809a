"""A synthetic class of submissions for the end-to-end test of ``rnnlm grade``.

``make_class(out_dir, solutions_dir=..., notebooks_dir=..., secrets=...)`` writes one folder per
student, ``out_dir/<student_id>/NN_topic.ipynb`` (one notebook per student), and returns one
:class:`Case` per student with the row of ``grades.csv`` the grader should produce for it: the
status and the autograded score. The submissions are built from the repository's notebooks:

- a *correct* submission is the solution notebook (``solutions/NN_topic.ipynb``) without its hidden
  tests and without the ``### BEGIN/END SOLUTION`` marker lines (the code between them stays);
- a *blank* submission is the released student notebook (``notebooks/NN_topic.ipynb``) as is;
- every other case is a correct (or blank) notebook with one fault injected: a wrong answer, a
  cell that never ends, a kernel that dies, cells deleted, moved or retyped, a file that is not a
  notebook, a cell that tries to read the gradebook or open a socket, ...

Expected scores are computed from the notebooks' nbgrader metadata, never hard-coded. A fault that
must cost points goes at the top of the *last* exercise's answer cell (before its ``def``), so
every earlier test cell passes and exactly the test cells after that answer fail (the last
exercise's test cell is checked to be the last autograded cell). Cells are found by their grade
ids, never by index, so free cells added to the notebooks later do not break the generator.

Importing this module is cheap (nbformat and the course helpers only); nothing runs a kernel.
The grading limits the expectations assume are the module constants :data:`CELL_TIMEOUT`,
:data:`NOTEBOOK_TIMEOUT`, :data:`MEMORY_LIMIT_BYTES` and :data:`MAX_PROCESSES`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from rnnlm.course.notebooks import (
    as_handed_in,
    exercises,
    find_solutions,
    graded_cells,
    read_notebook,
    strip_outputs,
)

# -- the limits the expectations assume (the end-to-end test grades with these) ----------------

#: Wall-clock limit of one cell, seconds.
CELL_TIMEOUT = 20
#: Wall-clock limit of one whole notebook, seconds. Leaves room for notebook 03 (the slowest,
#: ~17 s alone in fast mode) with two notebooks graded in parallel on a small machine.
NOTEBOOK_TIMEOUT = 60
#: Memory limit of a kernel (address space), bytes.
MEMORY_LIMIT_BYTES = 2 * 2**30
#: Most processes (and threads) a kernel may have.
MAX_PROCESSES = 64

# -- row statuses -------------------------------------------------------------------------------

GRADED = "graded"  # ran; no written answer waits for a person
NEEDS_MANUAL = "needs-manual-grading"  # ran; a written answer waits for a person
TIMED_OUT = "timed-out"  # a cell or the whole notebook ran past its wall-clock limit
CRASHED = "crashed"  # the kernel died (os._exit, a signal, the process limit)
INVALID = "invalid"  # not readable as a notebook, or a bad student id
MISSING = "missing"  # the student's folder holds no notebook
STATUSES = (GRADED, NEEDS_MANUAL, TIMED_OUT, CRASHED, INVALID, MISSING)

#: Printed by a submission when it got at what it must not (built at run time in the submitted
#: code, so the code itself never contains it): must not appear in any autograded notebook.
LEAK_MARK = "LEAK:"

#: A run of ``NOTEBOOK_TIMEOUT_SLEEPS`` cells of ``NOTEBOOK_TIMEOUT_SLEEP`` seconds each: every
#: cell stays under :data:`CELL_TIMEOUT`, together they exceed :data:`NOTEBOOK_TIMEOUT`.
NOTEBOOK_TIMEOUT_SLEEP = 0.8 * CELL_TIMEOUT
NOTEBOOK_TIMEOUT_SLEEPS = int(NOTEBOOK_TIMEOUT // NOTEBOOK_TIMEOUT_SLEEP) + 1

#: The huge-output case prints this many lines of this many characters (300 MB).
HUGE_OUTPUT_LINES = 3000
HUGE_OUTPUT_LINE_CHARS = 100_000
#: The huge-file case writes this many bytes into the kernel's working folder, 64 MiB at a time.
HUGE_FILE_BYTES = 2 * 2**30

#: Files of the grading machine the snooping submission tries to read (and print, if it can).
HOST_SECRETS = (
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/root/.bash_history",
    "/root/.ssh/id_rsa",
    "/root/.ssh/id_ed25519",
    "/proc/1/environ",
)
#: Host folders it tries to create a file in (the kernel's /tmp is private: checked separately).
HOST_WRITE_TARGETS = ("/", "/etc", "/usr", "/root", "/home")
#: Folders that are the kernel's own (private tmpfs): what it writes there must not reach the host.
PRIVATE_WRITE_TARGETS = ("/tmp", "/var/tmp", "/dev/shm")

#: Loopback ports the snooping submission tries to connect to (plus any the caller adds).
SNOOP_PORTS = (22, 80, 443, 631, 3306, 5432, 6379, 8000, 8080, 8888, 9000)

#: Replaced by invalid UTF-8 bytes in the file of the non-UTF-8 case.
_NON_UTF8_PLACEHOLDER = "@@NON_UTF8_BYTES@@"
_NON_UTF8_BYTES = b"caf\xe9 \xff\xfe \xc3("

_SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
_HIDDEN_REGIONS = (("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"), ("BEGIN MARK SCHEME", "END MARK SCHEME"))


@dataclass
class Case:
    """One student of the synthetic class and the ``grades.csv`` row expected for it."""

    student_id: str
    assignment: str  # "01", "02", ...
    kind: str  # "correct", "partial", "blank", "infinite_loop", ...
    expected_status: str  # one of STATUSES
    expected_auto_score: float | None  # autograded points (None for invalid and missing)
    auto_max: float
    note: str = ""  # what the case shows
    forbidden_output: tuple[str, ...] = ()  # must not appear in its autograded notebook or feedback


# -- one assignment's notebooks and the numbers derived from their metadata ---------------------


@dataclass
class _Assignment:
    """The solution and released notebooks of one assignment, with their graded cells."""

    assignment: str
    filename: str
    solution: Any  # nbformat.NotebookNode
    release: Any

    @property
    def auto_points(self) -> dict[str, float]:
        """Grade id -> points of every autograded test cell, in notebook order."""
        return {g.grade_id: g.points for g in graded_cells(self.solution).values() if g.autograded}

    @property
    def auto_max(self) -> float:
        return float(sum(self.auto_points.values()))

    @property
    def has_written_answers(self) -> bool:
        """Whether a markdown answer waits for a person (nbgrader ``solution`` and ``grade``)."""
        return any(
            cell.cell_type == "markdown" and _nbgrader(cell).get("solution") and _nbgrader(cell).get("grade")
            for cell in self.solution.cells
        )

    @property
    def last_answer_id(self) -> str:
        """The answer cell of the last autograded exercise; its tests must be the last test cells."""
        last = exercises(self.solution)[-1]
        tail = list(self.auto_points)[-len(last.test_ids) :]
        if tail != list(last.test_ids):
            raise ValueError(
                f"{self.filename}: the last exercise's tests {last.test_ids} are not the last autograded "
                f"cells ({tail}): a fault in its answer would not cost exactly its points"
            )
        return last.answer_id

    def points_after(self, grade_id: str) -> float:
        """Points of the autograded cells after the cell ``grade_id`` of the solution notebook."""
        start = _index(self.solution, grade_id)
        return float(
            sum(
                self.auto_points.get(_grade_id(cell), 0.0)
                for cell in self.solution.cells[start + 1 :]
                if _is_test(cell)
            )
        )

    def ran_status(self) -> str:
        """The status of a submission that ran to the end with its written answers filled in."""
        return NEEDS_MANUAL if self.has_written_answers else GRADED

    def correct(self) -> Any:
        """The correct submission: the solution without hidden tests and solution markers."""
        return as_handed_in(self.solution)

    def blank(self) -> Any:
        """The released student notebook, as the student got it."""
        return strip_outputs(copy.deepcopy(self.release))

    def stub(self, grade_id: str) -> str:
        """The released (stub) source of the answer cell ``grade_id``."""
        return self.release.cells[_index(self.release, grade_id)].source


def _load(solutions_dir: Path, notebooks_dir: Path) -> dict[str, _Assignment]:
    found = {}
    for sol in find_solutions(solutions_dir):
        release = notebooks_dir / sol.filename
        if not release.exists():
            raise FileNotFoundError(f"no released notebook {release} for {sol.path}")
        found[sol.assignment] = _Assignment(
            sol.assignment, sol.filename, read_notebook(sol.path), read_notebook(release)
        )
    return found


# -- cell helpers ---------------------------------------------------------------------------------


def _nbgrader(cell: Any) -> dict[str, Any]:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def _grade_id(cell: Any) -> str:
    return str(_nbgrader(cell).get("grade_id", ""))


def _is_test(cell: Any) -> bool:
    meta = _nbgrader(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"


def _index(nb: Any, grade_id: str) -> int:
    """Index of the cell with nbgrader grade id ``grade_id``; ``KeyError`` when there is none."""
    for index, cell in enumerate(nb.cells):
        if _grade_id(cell) == grade_id:
            return index
    raise KeyError(f"no cell with grade id {grade_id!r}")


def _first_test_id(nb: Any) -> str:
    return next(_grade_id(cell) for cell in nb.cells if _is_test(cell))


def _setup_index(nb: Any) -> int:
    """Index of the first code cell (the notebook's imports); free cells go after it."""
    return next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")


def _wrong_source(source: str) -> str:
    """The solution ``source`` with the code of every solution region replaced by ``return 0.0``
    (a wrong answer that still defines the functions)."""
    out: list[str] = []
    inside = False
    for line in source.split("\n"):
        if "BEGIN SOLUTION" in line:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}return 0.0  # wrong: a constant instead of the answer")
            inside = True
        elif "END SOLUTION" in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


class _Ids:
    """Deterministic ids for the cells the generator adds (nbformat would draw random ones)."""

    def __init__(self, student_id: str) -> None:
        self.prefix = re.sub(r"[^A-Za-z0-9_-]", "-", student_id)[:40]
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"{self.prefix}-{self.count:03d}"


def _free_code(source: str, new_id: Callable[[], str]) -> Any:
    """A code cell without nbgrader metadata (a cell the student added)."""
    cell = new_code_cell(source)
    cell["id"] = new_id()
    return cell


def _inject(nb: Any, grade_id: str, code: str) -> Any:
    """Put ``code`` at the top of the cell ``grade_id`` (before its ``def``), in place."""
    cell = nb.cells[_index(nb, grade_id)]
    cell.source = code.rstrip() + "\n\n\n" + cell.source
    return nb


# -- the code of the faults -------------------------------------------------------------------------

_INFINITE_LOOP = "while True:  # never ends: the per-cell limit must stop it\n    pass"

_SLEEP_FOREVER = "import time\n\ntime.sleep(10**6)  # the per-cell limit must stop it"

_MEMORY_BOMB = """\
# 256 MiB of real (written) memory at a time until the memory limit refuses; the memory is given
# back before the MemoryError leaves the cell, so the kernel can go on.
_hog = []
try:
    while True:
        _hog.append(b"x" * (256 * 2**20))
finally:
    _hog.clear()"""

_BIG_ALLOC = "_x = bytearray(64 * 2**30)  # 64 GiB at once: MemoryError under the memory limit"

_FORK_BOMB = "import os\n\nwhile True:\n    os.fork()"

_SYS_EXIT = "import sys\n\nsys.exit(3)  # IPython turns SystemExit into a cell error; the kernel lives on"

_OS_EXIT = "import os\n\nos._exit(0)  # the kernel process ends at once"

_SIGKILL = "import os\nimport signal\n\nos.kill(os.getpid(), signal.SIGKILL)"

_SIGSEGV = "import ctypes\n\nctypes.string_at(0)  # reads address 0: SIGSEGV"

_HUGE_OUTPUT = f"""\
for _ in range({HUGE_OUTPUT_LINES}):  # {HUGE_OUTPUT_LINES * HUGE_OUTPUT_LINE_CHARS // 10**6} MB of output
    print("x" * {HUGE_OUTPUT_LINE_CHARS})"""

_HUGE_FILE = f"""\
import os

# {HUGE_FILE_BYTES // 2**30} GiB into the working folder: the file-size limit (or the disk) must say no.
_mark = "LE" + "AK:"
_chunk = b"\\0" * (64 * 2**20)
try:
    with open("huge_file.bin", "wb") as _f:
        for _ in range({HUGE_FILE_BYTES} // len(_chunk)):
            _f.write(_chunk)
    print(_mark, "wrote a {HUGE_FILE_BYTES // 2**30} GiB file")
except OSError as _e:
    print("disk full ok:", type(_e).__name__)
finally:
    try:
        os.remove("huge_file.bin")
    except OSError:
        pass"""

_BINARY_OUTPUT = """\
import os
import sys

_raw = bytes(range(256))
try:
    sys.stdout.buffer.write(_raw)  # ipykernel's stdout may have no binary buffer
    sys.stdout.flush()
except (AttributeError, OSError, ValueError):
    pass
sys.stdout.flush()
os.write(1, _raw)  # the raw file descriptor, captured by the kernel
print(_raw.decode("latin-1"))  # every control character, NUL and ESC included"""


def _snoop_cells(
    secrets: dict[str, Path], student_id: str, assignment: str, filename: str, ports: tuple[int, ...]
) -> list[str]:
    """Three cells that try to read, write and connect where a submission must not. Each success
    prints :data:`LEAK_MARK`; every attempt is guarded, so the cells never fail.

    The student's own files (its submission folder, its copies in the course's ``submitted/``,
    ``autograded/`` and ``feedback/`` folders, and the kernel's working folder when that lies below
    them) may be readable without a leak; everything else under the secret roots may not.
    """
    course = Path(secrets["course_root"])
    submissions = Path(secrets["submissions"])
    solutions = Path(secrets["solutions"])
    own = [submissions / student_id] + [course / step / student_id for step in ("submitted", "autograded")]
    own.append(course / "feedback" / student_id)
    roots = [course, solutions, submissions]
    helpers = f"""\
import os

_mark = "LE" + "AK:"  # never spelled out here, so the source itself does not match
_roots = {[str(r) for r in roots]!r}
_own = {[str(o) for o in own]!r}


def _inside(path, root):
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


# the working folder counts as the student's own unless it holds a secret root (then it is no sandbox)
_here = os.getcwd()
if not any(_inside(root, _here) for root in _roots):
    _own.append(_here)
"""
    read = (
        helpers
        + f"""

def _try_read(path):
    if any(_inside(path, mine) for mine in _own) or not os.path.isfile(path):
        return
    try:
        with open(path, "rb") as f:
            f.read(64)
    except OSError:
        return
    print(_mark, "read", path)
    with open(path, "rb") as f:  # and show what a leak would hand back to the student
        print(f.read(200).decode("latin-1").splitlines()[:1])


import glob

_files = [
    {str(course / "gradebook.db")!r},
    {str(course / "source" / assignment / filename)!r},
    {str(solutions / filename)!r},
    # the grading machine's own secrets (HOST_SECRETS)
    *{list(HOST_SECRETS)!r},
    *glob.glob("/root/.ssh/*"),
    *glob.glob("/home/*/.ssh/*"),
    *glob.glob("/home/*/.*history"),
]
for _root in _roots:
    _seen = 0
    for _folder, _dirs, _names in os.walk(_root):
        for _name in _names:
            _seen += 1
            if _seen <= 2000:
                _files.append(os.path.join(_folder, _name))
for _path in _files:
    _try_read(_path)
print("read attempts:", len(_files))
print("home folders seen:", os.listdir("/home") if os.path.isdir("/home") else [])"""
    )
    others = sorted(str(p) for p in submissions.glob("*/*.ipynb") if p.parent.name != student_id)
    write = (
        helpers
        + f"""

def _try_write(path, create=False):
    # Opening for writing is the breach; nothing is written (a zero-byte append), so a failing
    # sandbox shows up as a leak line without damaging the file.
    flags = os.O_WRONLY | os.O_APPEND | (os.O_CREAT if create else 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError:
        return
    try:
        os.write(fd, b"")
    except OSError:
        pass
    finally:
        os.close(fd)
    print(_mark, "opened for writing", path)


_try_write({str(course / "gradebook.db")!r})
_try_write({str(course / "grades.csv")!r}, create=True)
_try_write({str(course / "snooped.txt")!r}, create=True)
_try_write({str(Path(secrets["repo_lib"]) / "__init__.py")!r})
_try_write({str(solutions / filename)!r})
for _path in {others[:40]!r}:
    _try_write(_path)
for _folder in {list(HOST_WRITE_TARGETS)!r}:
    _try_write(os.path.join(_folder, "rnnlm-snooped-" + {student_id!r}), create=True)
# the kernel's /tmp is its own: a file written there must not reach the host's
for _folder in {list(PRIVATE_WRITE_TARGETS)!r}:
    try:
        with open(os.path.join(_folder, "rnnlm-snooped-" + {student_id!r}), "w") as _f:
            _f.write("x")
    except OSError:
        pass
print("write attempts done")"""
    )
    connect = f"""\
import socket

_mark = "LE" + "AK:"
_own_ports = set()
try:
    from ipykernel import get_connection_info

    _own_ports = {{v for k, v in get_connection_info(unpack=True).items() if k.endswith("_port")}}
except Exception:  # not in a kernel, or no connection file: no port to spare
    pass


def _try_connect(host, port):
    try:
        with socket.create_connection((host, port), timeout=1.5):
            pass
    except OSError:
        return
    print(_mark, "connected to", host, port)


_try_connect("1.1.1.1", 53)
_try_connect("1.1.1.1", 443)
for _port in {sorted(set(SNOOP_PORTS) | set(ports))!r}:
    if _port not in _own_ports:
        _try_connect("127.0.0.1", _port)
print("connect attempts done")"""
    return [read, write, connect]


def host_secret_lines() -> tuple[str, ...]:
    """The first line of every host secret this process can read (the snooping case must not show
    any of them); the test runs as root, so /etc/shadow's is among them."""
    import glob

    lines = []
    for path in [*HOST_SECRETS, *glob.glob("/root/.ssh/*"), *glob.glob("/home/*/.ssh/*")]:
        try:
            with open(path, "rb") as f:
                first = f.read(200).decode("latin-1").splitlines()
        except OSError:
            continue
        if first and len(first[0].strip()) >= 8:
            lines.append(first[0].strip())
    return tuple(lines)


# -- the class ---------------------------------------------------------------------------------------


def make_class(
    out_dir: Path,
    *,
    solutions_dir: Path,
    notebooks_dir: Path,
    secrets: dict[str, Path],
    probe_ports: tuple[int, ...] = (),
) -> list[Case]:
    """Write the synthetic class into ``out_dir`` (one folder per student) and return its cases.

    ``secrets`` names what the snooping submission tries to reach: ``"course_root"`` (the grading
    course folder: gradebook, source, others' autograded notebooks and feedback), ``"solutions"``,
    ``"repo_lib"`` (the package folder, for a write attempt) and ``"submissions"`` (``out_dir``: the
    other students' notebooks). ``probe_ports`` adds loopback ports it tries to connect to (say, a
    port the test listens on).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    nbs = _load(Path(solutions_dir), Path(notebooks_dir))
    if "02" not in nbs:
        raise ValueError(f"the synthetic class needs notebook 02 in {solutions_dir}")
    cases: list[Case] = []

    def folder(student_id: str) -> Path:
        path = out_dir / student_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def write_nb(student_id: str, a: _Assignment, nb: Any) -> Path:
        path = folder(student_id) / a.filename
        nbformat.validate(nb)
        nbformat.write(nb, str(path))
        return path

    def add(
        student_id: str,
        a: _Assignment,
        kind: str,
        status: str,
        score: float | None,
        note: str,
        forbidden: tuple[str, ...] = (),
    ) -> None:
        cases.append(Case(student_id, a.assignment, kind, status, score, a.auto_max, note, forbidden))

    # 1-9: correct, partial and blank submissions of every notebook
    for n, (nn, a) in enumerate(sorted(nbs.items())):
        sid = f"s{n + 1:02d}_correct_{nn}"
        write_nb(sid, a, a.correct())
        add(sid, a, "correct", a.ran_status(), a.auto_max, "every answer right, written answers filled in")
    for n, (nn, a) in enumerate(sorted(nbs.items())):
        sid = f"s{n + 4:02d}_partial_{nn}"
        nb = a.correct()
        last = a.last_answer_id
        solution_cell = a.solution.cells[_index(a.solution, last)]
        nb.cells[_index(nb, last)].source = _wrong_source(solution_cell.source)
        add(
            sid,
            a,
            "partial",
            a.ran_status(),
            a.auto_max - a.points_after(last),
            f"{last} returns a constant: its tests fail, the rest pass",
        )
        write_nb(sid, a, nb)
    for n, (nn, a) in enumerate(sorted(nbs.items())):
        sid = f"s{n + 7:02d}_blank_{nn}"
        write_nb(sid, a, a.blank())
        add(
            sid,
            a,
            "blank",
            GRADED,
            0.0,
            "the release untouched: every test fails; unchanged written answers score 0 automatically "
            "(nbgrader compares their checksum), so nothing waits for a person",
        )

    a = nbs["02"]
    last = a.last_answer_id
    lost = a.points_after(last)

    def faulty(sid: str, kind: str, code: str, status: str, note: str) -> None:
        write_nb(sid, a, _inject(a.correct(), last, code))
        add(sid, a, kind, status, a.auto_max - lost, note)

    # 10-19: cells that never end, eat memory or processes, or end the kernel
    faulty(
        "s10_infinite_loop",
        "infinite_loop",
        _INFINITE_LOOP,
        TIMED_OUT,
        f"`while True: pass` atop {last}: the per-cell limit stops it; its tests fail",
    )
    ids = _Ids("s11_sleep_forever")
    nb = a.correct()
    nb.cells.append(_free_code(_SLEEP_FOREVER, ids))
    write_nb("s11_sleep_forever", a, nb)
    add(
        "s11_sleep_forever",
        a,
        "sleep_forever",
        TIMED_OUT,
        a.auto_max,
        "a last free cell sleeps 10**6 s: stopped by the per-cell limit after every test passed",
    )

    ids = _Ids("s12_notebook_timeout")
    nb = a.correct()
    at = _index(nb, last)
    sleep = f"import time\n\ntime.sleep({NOTEBOOK_TIMEOUT_SLEEP:g})  # under the cell limit"
    nb.cells[at:at] = [_free_code(sleep, ids) for _ in range(NOTEBOOK_TIMEOUT_SLEEPS)]
    write_nb("s12_notebook_timeout", a, nb)
    add(
        "s12_notebook_timeout",
        a,
        "notebook_timeout",
        TIMED_OUT,
        a.auto_max - lost,
        f"{NOTEBOOK_TIMEOUT_SLEEPS} cells of {NOTEBOOK_TIMEOUT_SLEEP:g} s before {last}: each under "
        f"{CELL_TIMEOUT} s, together over the notebook's {NOTEBOOK_TIMEOUT} s; the cells after never run",
    )

    faulty(
        "s13_memory_bomb",
        "memory_bomb",
        _MEMORY_BOMB,
        GRADED,
        f"allocates 256 MiB blocks atop {last} until MemoryError (memory limit); the kernel survives",
    )
    faulty(
        "s14_big_alloc",
        "big_alloc",
        _BIG_ALLOC,
        GRADED,
        f"one 64 GiB bytearray atop {last}: MemoryError; the kernel survives",
    )
    faulty(
        "s15_fork_bomb",
        "fork_bomb",
        _FORK_BOMB,
        CRASHED,
        f"os.fork() forever atop {last}: the process limit stops it and the kernel is killed",
    )
    faulty(
        "s16_sys_exit",
        "sys_exit",
        _SYS_EXIT,
        GRADED,
        f"sys.exit(3) atop {last}: a cell error (IPython catches SystemExit), the kernel lives on",
    )
    faulty("s17_os_exit", "os_exit", _OS_EXIT, CRASHED, f"os._exit(0) atop {last}: the kernel dies")
    faulty("s18_sigkill", "sigkill", _SIGKILL, CRASHED, f"SIGKILL to itself atop {last}: the kernel dies")
    faulty("s19_sigsegv", "sigsegv", _SIGSEGV, CRASHED, f"reads address 0 atop {last}: segfault")

    # 20-22: files that are not notebooks
    (folder("s20_unparseable") / a.filename).write_bytes(b"\x89PNG\r\n\x1a\n{not json at all\xff\x00")
    add("s20_unparseable", a, "unparseable", INVALID, None, "bytes that are not JSON")
    text = nbformat.writes(a.correct()).encode()
    (folder("s21_truncated") / a.filename).write_bytes(text[: len(text) // 2])
    add("s21_truncated", a, "truncated", INVALID, None, "the first half of a correct notebook's bytes")
    (folder("s22_not_a_notebook") / a.filename).write_text(json.dumps({"hello": 1}) + "\n")
    add("s22_not_a_notebook", a, "not_a_notebook", INVALID, None, 'valid JSON, not a notebook: {"hello": 1}')

    # 23-28: cells deleted, moved, retyped, duplicated, edited
    nb = a.correct()
    first_test = _first_test_id(nb)
    locked_md = next(
        _grade_id(c)
        for c in nb.cells[_index(nb, first_test) :]
        if c.cell_type == "markdown" and _nbgrader(c).get("locked") and not _nbgrader(c).get("grade")
    )
    del nb.cells[_index(nb, first_test)]
    del nb.cells[_index(nb, locked_md)]
    write_nb("s23_deleted_cells", a, nb)
    add(
        "s23_deleted_cells",
        a,
        "deleted_cells",
        GRADED,
        a.auto_max,
        f"test cell {first_test} and markdown {locked_md} deleted: the grader restores them",
    )

    nb = a.correct()
    del nb.cells[_index(nb, last)]
    write_nb("s24_deleted_answer", a, nb)
    add(
        "s24_deleted_answer",
        a,
        "deleted_answer",
        GRADED,
        a.auto_max - lost,
        f"answer cell {last} deleted: the release's stub stands in, its tests fail",
    )

    nb = a.correct()
    moved = nb.cells.pop(_index(nb, first_test))
    nb.cells.insert(0, moved)
    write_nb("s25_moved_cells", a, nb)
    add(
        "s25_moved_cells",
        a,
        "moved_cells",
        GRADED,
        a.auto_max,
        f"test cell {first_test} moved to the top: the grader puts cells back in the source order",
    )

    nb = a.correct()
    answers = [e.answer_id for e in exercises(a.solution)]
    retyped_answer = answers[1] if len(answers) > 1 else answers[0]
    for gid in (retyped_answer, first_test):
        i = _index(nb, gid)
        old = nb.cells[i]
        nb.cells[i] = new_markdown_cell(old.source, metadata=copy.deepcopy(old.metadata))
        nb.cells[i]["id"] = old["id"]
    write_nb("s26_retyped_cells", a, nb)
    add(
        "s26_retyped_cells",
        a,
        "retyped_cells",
        GRADED,
        a.auto_max,
        f"answer {retyped_answer} and test {first_test} turned into markdown: the grader retypes them",
    )

    ids = _Ids("s27_duplicated_cells")
    nb = a.correct()
    dup_answer = answers[-2] if len(answers) > 1 else answers[0]
    dup_test = next(e.test_ids[0] for e in exercises(a.solution) if e.answer_id == dup_answer)
    for gid in (dup_answer, dup_test):
        i = _index(nb, gid)
        twin = copy.deepcopy(nb.cells[i])
        twin["id"] = ids()  # Jupyter gives a pasted cell a new id, the metadata comes along
        nb.cells.insert(i + 1, twin)
    write_nb("s27_duplicated_cells", a, nb)
    add(
        "s27_duplicated_cells",
        a,
        "duplicated_cells",
        GRADED,
        a.auto_max,
        f"answer {dup_answer} and test {dup_test} pasted twice (same metadata): the grader keeps one",
    )

    nb = a.correct()
    nb.cells[_index(nb, last)].source = a.stub(last)
    for test_id in exercises(a.solution)[-1].test_ids:
        nb.cells[_index(nb, test_id)].source = 'print("all tests passed")'
    write_nb("s28_edited_tests", a, nb)
    add(
        "s28_edited_tests",
        a,
        "edited_tests",
        GRADED,
        a.auto_max - lost,
        f"{last} left as the stub and its test replaced by a print: the grader restores the test",
    )

    # 29-32: reaching out, flooding, odd bytes
    add(
        "s29_snoop",
        a,
        "snoop",
        GRADED,
        a.auto_max,
        "free cells at the top try to read the gradebook, sources, solutions and other students' files "
        "and the machine's secrets (/etc/shadow, root's and the users' keys and histories, "
        "/proc/1/environ), to write the gradebook, grades.csv, the package and the host's folders, and "
        f"to connect out; each success prints {LEAK_MARK}",
        forbidden=(LEAK_MARK, *host_secret_lines()),
    )
    ids = _Ids("s30_huge_output")
    nb = a.correct()
    at = _setup_index(nb) + 1
    # the file first: its verdict must be printed before the flood (the grader may cut later output)
    nb.cells[at:at] = [_free_code(_HUGE_FILE, ids), _free_code(_HUGE_OUTPUT, ids)]
    write_nb("s30_huge_output", a, nb)
    add(
        "s30_huge_output",
        a,
        "huge_output",
        GRADED,
        a.auto_max,
        f"prints {HUGE_OUTPUT_LINES * HUGE_OUTPUT_LINE_CHARS // 10**6} MB and writes a "
        f"{HUGE_FILE_BYTES // 2**30} GiB file (the file-size limit stops it: 'disk full ok')",
        forbidden=(LEAK_MARK,),
    )

    ids = _Ids("s31_non_utf8")
    nb = a.correct()
    note = new_markdown_cell(f"My notes: {_NON_UTF8_PLACEHOLDER}")
    note["id"] = ids()
    nb.cells.insert(1, note)
    path = write_nb("s31_non_utf8", a, nb)
    raw = path.read_bytes()
    assert raw.count(_NON_UTF8_PLACEHOLDER.encode()) == 1
    path.write_bytes(raw.replace(_NON_UTF8_PLACEHOLDER.encode(), _NON_UTF8_BYTES))
    add(
        "s31_non_utf8",
        a,
        "non_utf8",
        GRADED,
        a.auto_max,
        "a free markdown cell holds bytes that are not UTF-8 (\\xe9 \\xff\\xfe)",
    )

    ids = _Ids("s32_binary_output")
    nb = a.correct()
    at = _setup_index(nb) + 1
    nb.cells.insert(at, _free_code(_BINARY_OUTPUT, ids))
    write_nb("s32_binary_output", a, nb)
    add(
        "s32_binary_output",
        a,
        "binary_output",
        GRADED,
        a.auto_max,
        "a free cell writes bytes 0-255 to stdout (binary buffer, raw fd 1, and as text)",
    )

    # 33-34: no notebook, bad student id
    (folder("s33_missing") / "README.txt").write_text("I could not get it to work, sorry.\n")
    add("s33_missing", a, "missing", MISSING, None, "a folder with a README and no notebook")
    write_nb("_bad id!", a, a.correct())
    add(
        "_bad_id_",
        a,
        "bad_id",
        INVALID,
        None,
        "a correct notebook in a folder whose name is no student id (even with its characters replaced)",
    )

    # written last, so that it knows every other student's notebook
    ids = _Ids("s29_snoop")
    nb = a.correct()
    cells = _snoop_cells(secrets, "s29_snoop", a.assignment, a.filename, tuple(probe_ports))
    nb.cells[0:0] = [_free_code(src, ids) for src in cells]
    write_nb("s29_snoop", a, nb)
    _check(cases)
    return cases


def _check(cases: list[Case]) -> None:
    """Refuse an inconsistent class (a bug in this generator)."""
    seen: set[str] = set()
    for case in cases:
        if case.student_id in seen:
            raise AssertionError(f"student id {case.student_id!r} used twice")
        seen.add(case.student_id)
        if case.expected_status not in STATUSES:
            raise AssertionError(f"{case.student_id}: unknown status {case.expected_status!r}")
        ran = case.expected_status not in (INVALID, MISSING)
        if ran != (case.expected_auto_score is not None):
            raise AssertionError(f"{case.student_id}: a score is expected exactly when the notebook runs")
        if case.expected_auto_score is not None and not 0 <= case.expected_auto_score <= case.auto_max:
            raise AssertionError(f"{case.student_id}: score {case.expected_auto_score} > {case.auto_max}")
