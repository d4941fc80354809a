"""The grading sandbox: limits, isolation, and faults turned into outcomes and error outputs.

Each test runs a small notebook through :class:`rnnlm.course.sandbox.SandboxedExecute` (nbgrader's
Execute preprocessor in the sandbox) and checks what the notebook and the outcome say.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest

from rnnlm.course import sandbox as sb

LINUX_ROOT = sys.platform.startswith("linux") and os.geteuid() == 0
needs_namespaces = pytest.mark.skipif(not LINUX_ROOT, reason="namespaces need Linux and root")

FAST = sb.Limits(
    cell_timeout=6,
    notebook_timeout=40,
    memory_bytes=2 * sb.GiB,
    max_processes=64,
    max_output_bytes=200_000,
    max_file_bytes=32 * sb.MiB,
)


def run_cells(
    cells: list[str],
    *,
    limits: sb.Limits = FAST,
    hidden: list[str] | None = None,
    extra: list[str] | None = None,
    extra_base: str = "",
) -> tuple[nbformat.NotebookNode, sb.Outcome]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    settings = sb.SandboxSettings(
        limits=limits, hidden=hidden or [], extra_files=extra or [], extra_base=extra_base
    )
    with sb.settings_applied(settings):
        out, _ = sb.SandboxedExecute().preprocess(nb, {"metadata": {"path": str(Path.cwd())}})
    return out, sb.last_outcome()


def text_of(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def errors_of(cell: nbformat.NotebookNode) -> list[str]:
    return [o["ename"] for o in cell.outputs if o.get("output_type") == "error"]


def test_a_clean_notebook_runs_ok_in_a_scratch_folder() -> None:
    nb, outcome = run_cells(
        ["import os\nprint(os.getcwd())", "open('x.txt', 'w').write('hi')\nprint(os.listdir())"]
    )
    assert outcome.status == sb.OK and outcome.reason == ""
    cwd = text_of(nb.cells[0]).strip()
    assert Path(cwd).name == "work" and "rnnlm-sb-" in cwd
    assert "x.txt" in text_of(nb.cells[1])
    assert not Path(cwd).exists(), "the scratch folder is removed afterwards"


def test_a_cell_past_its_time_limit_is_interrupted_and_the_rest_still_runs() -> None:
    nb, outcome = run_cells(["print('before')", "while True:\n    pass", "print('after')"])
    assert outcome.status == sb.TIMED_OUT and "cell 1" in outcome.timed_out_cells
    assert "CellTimeoutError" in errors_of(nb.cells[1])
    assert text_of(nb.cells[2]).strip() == "after"


def test_the_notebook_time_limit_ends_the_run_and_marks_every_cell_left() -> None:
    limits = sb.Limits(**{**FAST.__dict__, "cell_timeout": 5, "notebook_timeout": 6})
    nb, outcome = run_cells(
        ["import time; time.sleep(3)", "time.sleep(3)", "time.sleep(3)", "print('never')"], limits=limits
    )
    assert outcome.status == sb.TIMED_OUT and "longer than its limit of 6 s" in outcome.reason
    assert errors_of(nb.cells[-1]) == ["NotRun"], "a cell that never ran must not look passed"


@pytest.mark.parametrize(
    "code,reason",
    [
        ("import os; os._exit(0)", "exited with status 0"),
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "killed by SIGKILL"),
        ("import ctypes; ctypes.string_at(0)", "killed by SIGSEGV"),
    ],
)
def test_a_dead_kernel_is_a_crash_and_later_cells_count_as_not_run(code: str, reason: str) -> None:
    nb, outcome = run_cells(["x = 1", code, "print(x)"])
    assert outcome.status == sb.CRASHED and reason in outcome.reason
    assert errors_of(nb.cells[1]) == ["KernelDied"]
    assert errors_of(nb.cells[2]) == ["NotRun"]
    assert not errors_of(nb.cells[0])


def test_sys_exit_is_only_a_cell_that_stops() -> None:
    nb, outcome = run_cells(["import sys; sys.exit(3)\nprint('unreached')", "print('next')"])
    assert outcome.status == sb.OK
    assert "unreached" not in text_of(nb.cells[0]) and text_of(nb.cells[1]).strip() == "next"


def test_memory_beyond_the_limit_fails_the_allocation_not_the_kernel() -> None:
    nb, outcome = run_cells(["x = bytearray(64 * 2**30)", "print('alive')"])
    assert errors_of(nb.cells[0]) == ["MemoryError"]
    assert outcome.status == sb.OK and text_of(nb.cells[1]).strip() == "alive"


@needs_namespaces
def test_a_fork_bomb_is_stopped_and_reported() -> None:
    nb, outcome = run_cells(["import os\nwhile True:\n    os.fork()", "print('never')"])
    assert outcome.status == sb.CRASHED and "more processes than allowed" in outcome.reason
    assert errors_of(nb.cells[1]) == ["NotRun"]


@needs_namespaces
def test_without_cgroups_a_fork_bomb_is_still_stopped() -> None:
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(c) for c in ["import os\nwhile True:\n    os.fork()", "print('never')"]
        ]
    )
    settings = sb.SandboxSettings(limits=FAST, cgroups=False)
    with sb.settings_applied(settings):
        out, _ = sb.SandboxedExecute().preprocess(nb, {"metadata": {"path": str(Path.cwd())}})
    outcome = sb.last_outcome()
    assert outcome.isolation["cgroups"] == [] and outcome.isolation["rlimit_nproc"]
    assert outcome.status == sb.CRASHED and "more processes than allowed" in outcome.reason


def test_output_beyond_the_limit_is_dropped_with_a_note() -> None:
    """The kernel itself cuts printed text at half the budget (so a flood never reaches the message
    queue); the grader's own cap stays for output the kernel does not count (images, raw messages)."""
    nb, outcome = run_cells(["for _ in range(2000):\n    print('x' * 1000)", "print('small')"])
    printed = text_of(nb.cells[0])
    assert len(printed) <= FAST.max_output_bytes // 2 + 200 and "[output cut:" in printed
    assert "small" not in text_of(nb.cells[1]), "the budget is the notebook's, not the cell's"
    assert outcome.output_truncated and outcome.status == sb.OK
    images = "import sys\nfor _ in range(300):\n    display({'text/html': 'y' * 1000}, raw=True)"
    nb, outcome = run_cells([images])
    assert "[output truncated" in text_of(nb.cells[0]) and outcome.output_truncated


def test_a_flood_of_output_costs_the_same_on_a_loaded_machine() -> None:
    """300 MB printed in one cell: the same outputs and outcome with both cores busy."""
    import multiprocessing

    flood = "for _ in range(3000):\n    print('z' * 100_000)"
    quiet, quiet_outcome = run_cells([flood, "print('done')"])
    burners = [multiprocessing.Process(target=_burn, args=(20.0,)) for _ in range(2)]
    for p in burners:
        p.start()
    try:
        busy, busy_outcome = run_cells([flood, "print('done')"])
    finally:
        for p in burners:
            p.terminate()
            p.join()
    for nb, outcome in ((quiet, quiet_outcome), (busy, busy_outcome)):
        assert outcome.status == sb.OK, outcome.reason
        assert errors_of(nb.cells[0]) == [] and "[output cut:" in text_of(nb.cells[0])
    assert text_of(quiet.cells[0]) == text_of(busy.cells[0])


def _burn(seconds: float) -> None:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_files_are_capped_by_the_scratch_size() -> None:
    nb, _ = run_cells(
        [
            "try:\n    open('big', 'wb').write(b'x' * (64 * 2**20))\nexcept OSError as e:\n"
            "    print('refused', e.errno)"
        ]
    )
    assert "refused" in text_of(nb.cells[0])


def test_extra_files_are_copied_into_the_scratch_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "words.txt").write_text("a b c")
    nb, _ = run_cells(
        ["print(open('data/words.txt').read())"],
        extra=[str(tmp_path / "data" / "words.txt")],
        extra_base=str(tmp_path),
    )
    assert text_of(nb.cells[0]).strip() == "a b c"


@needs_namespaces
def test_the_kernel_cannot_see_hidden_folders_write_files_or_reach_the_network(tmp_path: Path) -> None:
    secret = tmp_path / "course"
    secret.mkdir()
    (secret / "gradebook.db").write_text("grades")
    lib_file = Path(sb.__file__)
    cells = [
        f"import os, socket\nprint(os.path.exists({str(secret / 'gradebook.db')!r}))",
        f"try:\n    open({str(lib_file)!r}, 'a').write('#')\n    print('WROTE')\nexcept OSError as e:\n"
        "    print('denied', e.errno)",
        "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n    print('CONNECTED')\n"
        "except OSError as e:\n    print('denied', e.errno)",
        "print(os.getpid(), len([p for p in os.listdir('/proc') if p.isdigit()]))",
        "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])",
    ]
    nb, outcome = run_cells(cells, hidden=[str(secret)])
    assert text_of(nb.cells[0]).strip() == "False"
    assert text_of(nb.cells[1]).startswith("denied")
    assert text_of(nb.cells[2]).startswith("denied")
    pid, visible = map(int, text_of(nb.cells[3]).split())
    assert pid < 10 and visible < 10, "the kernel sees only its own PID namespace"
    assert text_of(nb.cells[4]).split()[-1] == "0000000000000000", "no capabilities left"
    assert (secret / "gradebook.db").read_text() == "grades"
    assert outcome.isolation["namespaces"] and outcome.isolation["capabilities_dropped"]
    assert "namespaces" in sb.isolation_summary(outcome.isolation)


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="cell_timeout"):
        sb.Limits(cell_timeout=0)
