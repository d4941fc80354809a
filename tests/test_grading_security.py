"""Grading security: student code never runs as root, sees only an allowlisted tree, needs no sudo,
and nothing it starts outlives the grader.

Each check runs twice where it can: as root (the jail drops to nobody) and as an unprivileged user
(the jail builds the same sandbox in a user namespace), see ``tests/unprivileged.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
import unprivileged

from rnnlm.course import jail
from rnnlm.course import sandbox as sb

ROOT = Path(__file__).resolve().parents[1]
LINUX_ROOT = sys.platform.startswith("linux") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not LINUX_ROOT, reason="runs the grader as root and as nobody (Linux, root)")
MODES = [
    "root",
    pytest.param("user", marks=pytest.mark.skipif(not unprivileged.available(), reason="no unshare")),
]

#: Run inside a sandboxed kernel: every attempt to reach what a submission must not, as JSON.
PROBE = r"""
import glob, json, os
found = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "root": sorted(os.listdir("/"))}
def read(path):
    try:
        with open(path, "rb") as f:
            return f.read(80).decode("latin-1")
    except OSError as e:
        return f"denied {e.errno}"
def write(path):
    try:
        with open(path, "a"):
            return "WROTE"
    except OSError as e:
        return f"denied {e.errno}"
SECRETS = SECRETS_LIST
found["read"] = {p: read(p) for p in SECRETS}
found["home"] = os.path.isdir("/home") and os.listdir("/home")
found["globs"] = glob.glob("/root/.ssh/*") + glob.glob("/home/*/.ssh/*")
found["write"] = {p: write(p) for p in WRITE_LIST}
found["tmp_private"] = write("/tmp/rnnlm-probe-" + TAG)
print("PROBE" + json.dumps(found))
"""


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A scratch folder that nobody can enter and write (pytest's own is root's, 0700)."""
    path = Path(tempfile.mkdtemp(prefix="rnnlm-sec-"))
    path.chmod(0o755)
    os.chown(path, unprivileged.NOBODY, unprivileged.NOBODY)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _chown_tree(path: Path, uid: int = unprivileged.NOBODY) -> None:
    for folder, _dirs, files in os.walk(path):
        os.chown(folder, uid, uid)
        for name in files:
            os.chown(os.path.join(folder, name), uid, uid)


def _run(argv: list[str], mode: str, cwd: Path, **kw: object) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8", "INSTRUCTOR_SECRET": "hunter2"}
    if os.environ.get("RNNLM_DATA"):
        env["RNNLM_DATA"] = os.environ["RNNLM_DATA"]
    command = unprivileged.as_user(argv) if mode == "user" else argv
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=300, **kw)


@needs_root
@pytest.mark.parametrize("mode", MODES)
def test_the_kernel_runs_as_nobody_in_an_allowlisted_tree_and_reaches_nothing(
    mode: str, open_dir: Path
) -> None:
    secret_dir = open_dir / "instructor"
    secret_dir.mkdir()
    instructor_file = secret_dir / "notes.txt"
    instructor_file.write_text("instructor only")
    instructor_file.chmod(0o600)
    secrets = [
        "/etc/shadow",
        "/root/.bash_history",
        "/proc/1/environ",
        str(ROOT / "solutions" / "02_rnn_forward.py"),
        str(ROOT / "autograder" / "nbgrader_config.py"),
        str(instructor_file),
    ]
    writes = [
        "/probe",
        "/etc/probe",
        "/usr/probe",
        "/root/probe",
        str(ROOT / "lib" / "rnnlm" / "__init__.py"),
    ]
    code = (
        PROBE.replace("SECRETS_LIST", repr(secrets))
        .replace("WRITE_LIST", repr(writes))
        .replace("TAG", repr(mode))
    )
    script = open_dir / "probe.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / 'tests')!r})\n"
        "from test_sandbox import run_cells, text_of\n"
        "from rnnlm.course import sandbox as sb\n"
        f"nb, outcome = run_cells([{code!r}], hidden=[{str(secret_dir)!r}])\n"
        "print(text_of(nb.cells[0]))\n"
        "print('ISOLATION' + sb.isolation_summary(outcome.isolation))\n"
    )
    _chown_tree(open_dir)
    done = _run([sys.executable, str(script)], mode, open_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    found = json.loads(done.stdout.split("PROBE", 1)[1].splitlines()[0])
    summary = done.stdout.split("ISOLATION", 1)[1].splitlines()[0]
    assert f"{mode} mode" in summary and "allowlist root" in summary, summary
    assert (found["uid"], found["gid"], found["groups"]) == (65534, 65534, []), found
    assert set(found["root"]) <= {
        "bin",
        "dev",
        "etc",
        "lib",
        "lib32",
        "lib64",
        "libx32",
        "proc",
        "sbin",
        "tmp",
        "usr",
        "var",
        *(p.split("/")[1] for p in sb.visible_paths()),
    }, found
    assert "home" not in found["root"] and not found["home"] and not found["globs"]
    for path, result in found["read"].items():
        assert result.startswith("denied"), (path, result)
    for path, result in found["write"].items():
        assert result.startswith("denied"), (path, result)
    assert found["tmp_private"] == "WROTE" and not Path(f"/tmp/rnnlm-probe-{mode}").exists()
    assert "hunter2" not in done.stdout


def test_without_root_or_user_namespaces_grading_refuses_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(jail, "user_namespaces_work", lambda: False)
    with pytest.raises(jail.SandboxUnavailable, match="unsafe-no-sandbox"):
        jail.choose_mode(unsafe=False)
    assert jail.choose_mode(unsafe=True)[0] == jail.UNSAFE


def test_rnnlm_grade_refuses_to_run_student_code_it_cannot_isolate(tmp_path: Path) -> None:
    """The refusal comes before anything is graded, with the way out in the message."""
    (tmp_path / "subs").mkdir()
    code = (
        "import sys, os\n"
        "from rnnlm.course import jail\n"
        "jail.user_namespaces_work = lambda: False\n"
        "os.geteuid = lambda: 1000\n"
        "from rnnlm.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "grade",
            str(tmp_path / "subs"),
            "--assignment",
            "01",
            "--out",
            str(tmp_path / "course"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "refusing to run student code without a sandbox" in done.stderr
    assert "--unsafe-no-sandbox" in done.stderr
    assert not (tmp_path / "course" / "grades.csv").exists()


def test_an_unsafe_run_says_so_in_its_isolation_line() -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('hi')")])
    settings = sb.SandboxSettings(
        limits=sb.Limits(cell_timeout=20, notebook_timeout=40), unsafe_no_sandbox=True
    )
    with sb.settings_applied(settings):
        sb.SandboxedExecute().preprocess(nb, {"metadata": {"path": str(Path.cwd())}})
    summary = sb.isolation_summary(sb.last_outcome().isolation)
    assert "NONE (--unsafe-no-sandbox)" in summary


# -- nothing outlives the grader ---------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat_line = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat_line.rsplit(")", 1)[1].split()[1])
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, out, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _endless_submission(folder: Path) -> None:
    nb = nbformat.read(ROOT / "notebooks" / "01_ngram_counts.ipynb", as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("while True:\n    pass"))
    (folder / "s01_endless").mkdir(parents=True)
    nbformat.write(nb, folder / "s01_endless" / "01_ngram_counts.ipynb")


@needs_root
@pytest.mark.parametrize(
    "mode,signum",
    [
        ("root", signal.SIGTERM),
        ("root", signal.SIGKILL),
        pytest.param("user", signal.SIGKILL, marks=MODES[1].marks),
    ],
)
def test_stopping_the_grader_ends_every_process_it_started(mode: str, signum: int, open_dir: Path) -> None:
    subs, course = open_dir / "subs", open_dir / "course"
    _endless_submission(subs)
    _chown_tree(open_dir)
    argv = [
        sys.executable,
        "-m",
        "rnnlm.cli",
        "grade",
        str(subs),
        "--assignment",
        "01",
        "--out",
        str(course),
        "--workers",
        "1",
        "--cell-timeout",
        "120",
        "--notebook-timeout",
        "200",
    ]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(open_dir), "LANG": "C.UTF-8"}
    command = unprivileged.as_user(argv) if mode == "user" else argv
    grader = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        kernel = None
        while time.monotonic() < deadline and kernel is None:
            kernel = next((p for p in _descendants(grader.pid) if "ipykernel_launcher" in _cmdline(p)), None)
            time.sleep(0.2)
        assert kernel is not None, "no kernel started"
        time.sleep(1.0)  # the endless cell is running now
        started = _descendants(grader.pid) | {grader.pid}
        os.kill(grader.pid, signum)
        grader.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in started):
            time.sleep(0.1)
        left = {p: _cmdline(p) for p in started if _alive(p)}
        assert not left, f"still running after the grader ended: {left}"
    finally:
        if grader.poll() is None:
            os.killpg(grader.pid, signal.SIGKILL)
            grader.wait()
    output = grader.stdout.read().decode(errors="replace") if grader.stdout else ""
    grades = (course / "grades.csv").read_text()
    assert "s01_endless" in grades and "cut off" in grades, grades + output
    if signum == signal.SIGTERM:
        assert grader.returncode == 143, output
        assert "SIGTERM" in grades
