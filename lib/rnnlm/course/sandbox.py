"""Running a student's notebook in a sandbox: limits, isolation, and faults turned into outcomes.

:class:`SandboxedExecute` is nbgrader's ``Execute`` preprocessor with the kernel started through
:mod:`rnnlm.course.jail` inside a :class:`Sandbox`: its own scratch folder, process group (PID
namespace on Linux as root), cgroups for the number of processes and memory, resource limits, a
read-only view of the file system without the course folder, the source notebooks or other
students' files, and no network. The kernel talks to the grader over Unix sockets in a folder only
the two share.

Whatever the notebook does, execution ends with an :class:`Outcome` (``ok``, ``timed-out`` or
``crashed``) and a notebook in which every code cell that did not run to the end carries an error
output, so nbgrader never gives points for a test that did not run.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from nbformat.notebooknode import NotebookNode

from rnnlm.course import jail, kernel_output
from rnnlm.course.jail import SETUP_FAILED, SIGNAL_BASE
from rnnlm.course.jail import SandboxUnavailable as SandboxUnavailable
from rnnlm.course.nbcourse import FAST_ENV

GiB = 2**30
MiB = 2**20

# Outcomes of one notebook run.
OK = "ok"
TIMED_OUT = "timed-out"
CRASHED = "crashed"


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Times in seconds, sizes in bytes."""

    cell_timeout: float = 120.0  # wall time of one cell; the cell is interrupted and fails
    notebook_timeout: float = 600.0  # wall time of the whole notebook, kernel start included
    cpu_seconds: float = 900.0  # CPU time of the kernel process
    memory_bytes: int = 4 * GiB  # address space of each process (allocations beyond fail)
    max_processes: int = 256  # tasks (processes and threads) in the sandbox at once
    max_output_bytes: int = 8 * MiB  # cell outputs kept per notebook; the rest is dropped
    max_file_bytes: int = 256 * MiB  # size of the scratch folder and of any file written
    threads: int = 1  # BLAS / OpenMP / torch threads of the kernel

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not value or value <= 0:
                raise ValueError(f"limit {name} must be positive, got {value!r}")

    @property
    def cgroup_memory_bytes(self) -> int:
        """The memory cgroup's cap: the backstop for many processes each under ``memory_bytes``."""
        return int(self.memory_bytes * 1.5)


@dataclass
class Outcome:
    """How a notebook run ended."""

    status: str = OK  # OK, TIMED_OUT or CRASHED
    reason: str = ""
    timed_out_cells: list[str] = field(default_factory=list)
    isolation: dict[str, Any] = field(default_factory=dict)
    output_truncated: bool = False
    seconds: float = 0.0


# -- cgroups ----------------------------------------------------------------------------------


def _cgroup_v1_root(controller: str) -> Path | None:
    """This process's cgroup folder of ``controller`` (cgroup v1), or None."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            base = Path("/sys/fs/cgroup", controller)
            folder = base / path.lstrip("/")
            return folder if folder.is_dir() else (base if base.is_dir() else None)
    return None


class _Cgroups:
    """A pids and a memory cgroup (v1) for one sandbox; whichever can be made."""

    def __init__(self, limits: Limits, enabled: bool = True) -> None:
        self.folders: dict[str, Path] = {}
        if not enabled:
            return
        name = f"rnnlm-{uuid.uuid4().hex[:12]}"
        settings = {
            "pids": {"pids.max": str(limits.max_processes)},
            "memory": {
                "memory.limit_in_bytes": str(limits.cgroup_memory_bytes),
                "memory.swappiness": "0",
            },
        }
        for controller, values in settings.items():
            root = _cgroup_v1_root(controller)
            if root is None:
                continue
            folder = root / name
            try:
                folder.mkdir()
                for key, value in values.items():
                    try:
                        (folder / key).write_text(value)
                    except OSError:
                        if key != "memory.swappiness":
                            raise
                self.folders[controller] = folder
            except OSError:
                self._remove(folder)

    @property
    def procs_files(self) -> list[str]:
        return [str(f / "cgroup.procs") for f in self.folders.values()]

    def tripped(self) -> str:
        """Why the sandbox must end now ('' when it need not)."""
        pids = self.folders.get("pids")
        if pids is not None:
            events = _read(pids / "pids.events")
            if events and int(events.split()[-1] or 0) > 0:
                return "the submission tried to start more processes than allowed (a fork bomb?)"
        mem = self.folders.get("memory")
        if mem is not None:
            oom = _read(mem / "memory.oom_control")
            for line in oom.splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and int(value or 0) > 0:
                    return "the submission used more memory than allowed and was killed"
        return ""

    def kill_all(self) -> None:
        for folder in self.folders.values():
            for _ in range(50):
                pids = [int(p) for p in _read(folder / "cgroup.procs").split()]
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.02)

    def remove(self) -> None:
        self.kill_all()
        for folder in self.folders.values():
            self._remove(folder)

    @staticmethod
    def _remove(folder: Path) -> None:
        for _ in range(100):
            try:
                folder.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.05)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


# -- the sandbox ------------------------------------------------------------------------------


@dataclass
class SandboxSettings:
    """What a grading run tells every sandbox: limits, paths to hide, environment to pass."""

    limits: Limits = field(default_factory=Limits)
    hidden: list[str] = field(default_factory=list)  # folders the kernel must not see
    env: dict[str, str] = field(default_factory=dict)  # extra variables for the kernel
    extra_files: list[str] = field(default_factory=list)  # copied into the scratch folder
    extra_base: str = ""  # extra files keep their path relative to this folder (else: flat)
    unsafe_no_sandbox: bool = False  # run without namespaces (limits only): only when asked for
    cgroups: bool = True  # use cgroups when possible (False: RLIMIT_NPROC and a process count)

    def to_json(self) -> str:
        data = asdict(self)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> SandboxSettings:
        data = json.loads(text)
        data["limits"] = Limits(**data["limits"])
        return cls(**data)


#: The settings a grading worker process uses (set by the grader before it runs nbgrader).
_SETTINGS = SandboxSettings()
#: The outcome of the last notebook run in this process (read by the grader afterwards).
LAST_OUTCOME = Outcome()


def configure(settings: SandboxSettings) -> None:
    """Make ``settings`` apply to every following :class:`SandboxedExecute` run in this process."""
    global _SETTINGS
    _SETTINGS = settings


def current_settings() -> SandboxSettings:
    """The settings :class:`SandboxedExecute` uses now in this process."""
    return _SETTINGS


def last_outcome() -> Outcome:
    """The :class:`Outcome` of the last sandboxed run in this process."""
    return LAST_OUTCOME


def _kernel_env(settings: SandboxSettings, workdir: str) -> dict[str, str]:
    threads = str(settings.limits.threads)
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": os.path.join(workdir, ".home"),
        "TMPDIR": os.path.join(workdir, "tmp"),
        "IPYTHONDIR": os.path.join(workdir, ".home", ".ipython"),
        "MPLCONFIGDIR": os.path.join(workdir, ".home", ".matplotlib"),
        "MPLBACKEND": "Agg",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "MALLOC_ARENA_MAX": "2",
        "OMP_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        **FAST_ENV,
    }
    for key in ("RNNLM_DATA", "JUPYTER_PLATFORM_DIRS", "VIRTUAL_ENV"):
        if os.environ.get(key):
            env[key] = os.environ[key]
    env.update(settings.env)
    return env


def visible_paths() -> list[str]:
    """Host folders the kernel sees besides the system's (``/usr``, ``/lib*``, ``/bin``): the
    interpreter, its environment, the kit's library and the corpora (``$RNNLM_DATA``)."""
    import rnnlm

    paths = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        str(Path(sys.executable).resolve().parents[1]),
        str(Path(rnnlm.__file__).resolve().parents[1]),
    }
    data = os.environ.get("RNNLM_DATA")
    if data:
        paths.add(data)
    return sorted({str(Path(p).resolve()) for p in paths if p and Path(p).is_dir()})


@functools.lru_cache(maxsize=2)
def sandbox_mode(unsafe: bool = False) -> tuple[str, str]:
    """(mode, why) of the sandboxes this process makes: see :func:`rnnlm.course.jail.choose_mode`.

    Raises :class:`~rnnlm.course.jail.SandboxUnavailable` where student code cannot be isolated.
    """
    return jail.choose_mode(unsafe)


#: Starts the jail with an empty environment (``env -i``) where ``env`` exists.
_EMPTY_ENVIRONMENT = [shutil.which("env") or "/usr/bin/env", "-i"] if shutil.which("env") else []


class Sandbox:
    """Scratch folders, cgroups and a kernel manager for one notebook run; a context manager."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.root = Path(tempfile.mkdtemp(prefix="rnnlm-sb-"))
        self.workdir = self.root / "work"
        self.ipc = self.root / "ipc"
        self.stage = self.root / "stage"
        for folder in (self.workdir, self.ipc, self.stage):
            folder.mkdir()
        budget = settings.limits.max_file_bytes
        for name in settings.extra_files:
            src = Path(name)
            if not src.is_file() or src.is_symlink() or src.stat().st_size > budget:
                continue
            budget -= src.stat().st_size
            rel = Path(src.name)
            if settings.extra_base and src.resolve().is_relative_to(Path(settings.extra_base).resolve()):
                rel = src.resolve().relative_to(Path(settings.extra_base).resolve())
            (self.stage / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, self.stage / rel)
        self.mode, self.mode_reason = sandbox_mode(settings.unsafe_no_sandbox)
        self.newroot = self.root / "jailroot"
        self.newroot.mkdir()
        self.cgroups = _Cgroups(settings.limits, settings.cgroups and self.mode != jail.USER)
        self.spec_path = self.ipc / "spec.json"
        self.report_path = self.ipc / "isolation.json"
        spec = {
            "mode": self.mode,
            "parent_pid": os.getpid(),
            "limits": asdict(settings.limits),
            "hidden": sorted({str(Path(p).resolve()) for p in settings.hidden}),
            "visible": visible_paths(),
            "newroot": str(self.newroot),
            "ipc": str(self.ipc),
            "workdir": str(self.workdir),
            "stage": str(self.stage),
            "env": _kernel_env(settings, str(self.workdir)),
            "cgroup_procs": self.cgroups.procs_files,
            "report": str(self.report_path),
            "log": str(self.ipc / "kernel.log"),
        }
        self.spec_path.write_text(json.dumps(spec))
        self.kernels = self.root / "kernels"
        spec_dir = self.kernels / "kernels" / "rnnlm-sandbox"
        spec_dir.mkdir(parents=True)
        (spec_dir / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [
                        # an empty environment: nothing of the grader's reaches the jail's processes
                        # (the kernel gets spec["env"]; /proc/1/environ shows nothing)
                        *_EMPTY_ENVIRONMENT,
                        sys.executable,
                        "-m",
                        "rnnlm.course.jail",
                        str(self.spec_path),
                        "--",
                        sys.executable,
                        "-m",
                        "ipykernel_launcher",
                        "-f",
                        "{connection_file}",
                        # cut printed text inside the kernel, before it is queued (half the grader's
                        # budget, which also counts the messages' JSON), so a flood costs nothing
                        # whatever the machine's load: see rnnlm.course.kernel_output
                        "--IPKernelApp.exec_lines=import rnnlm.course.kernel_output as _cap; "
                        f"_cap.install({max(1, settings.limits.max_output_bytes // 2)}); del _cap",
                    ],
                    "display_name": "Python 3 (rnnlm sandbox)",
                    "language": "python",
                    "interrupt_mode": "message",
                }
            )
        )

    def kernel_manager(self) -> Any:
        """An ``AsyncKernelManager`` that starts the kernel in this sandbox over Unix sockets."""
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager

        ksm = KernelSpecManager(kernel_dirs=[str(self.kernels / "kernels")], ensure_native_kernel=False)
        km = AsyncKernelManager(
            kernel_name="rnnlm-sandbox",
            kernel_spec_manager=ksm,
            transport="ipc",
            ip=str(self.ipc / "k"),
        )
        km.connection_file = str(self.ipc / "connection.json")
        return km

    def isolation(self) -> dict[str, Any]:
        """What the jail reported it applied (empty before the kernel started)."""
        text = _read(self.report_path)
        return json.loads(text) if text else {}

    def close(self) -> None:
        self.cgroups.remove()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Watchdog(threading.Thread):
    """Ends the sandbox when the notebook's wall time is up or a cgroup limit trips."""

    def __init__(self, sandbox: Sandbox, km_holder: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.sandbox = sandbox
        self.km_holder = km_holder
        self.deadline = time.monotonic() + sandbox.settings.limits.notebook_timeout
        self.fired = ""
        self.status = ""
        self._stop_event = threading.Event()

    def _namespace_processes(self) -> int:
        """Processes in the kernel's PID namespace (0 when unknown): the process-count check where
        no pids cgroup could be made (RLIMIT_NPROC then makes forks fail; this ends the run)."""
        km = self.km_holder.get("km")
        jail = getattr(getattr(getattr(km, "provisioner", None), "process", None), "pid", None)
        if jail is None:
            return 0
        try:
            reaper = _read(Path(f"/proc/{jail}/task/{jail}/children")).split()[0]
            namespace = os.readlink(f"/proc/{reaper}/ns/pid")
            if namespace == os.readlink("/proc/self/ns/pid"):
                return 0  # not a namespace of its own
        except (IndexError, OSError):
            return 0
        count = 0
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    count += os.readlink(f"/proc/{entry}/ns/pid") == namespace
                except OSError:
                    continue
        return count

    def run(self) -> None:
        watch_processes = "pids" not in self.sandbox.cgroups.folders and sys.platform.startswith("linux")
        limit = self.sandbox.settings.limits.max_processes
        while not self._stop_event.wait(0.05):
            reason = self.sandbox.cgroups.tripped()
            if not reason and watch_processes and self._namespace_processes() > max(4, limit // 2):
                reason = "the submission tried to start more processes than allowed (a fork bomb?)"
            status = CRASHED
            if not reason and time.monotonic() > self.deadline:
                reason = (
                    f"the notebook ran longer than its limit of "
                    f"{self.sandbox.settings.limits.notebook_timeout:g} s"
                )
                status = TIMED_OUT
            if reason:
                self.fired, self.status = reason, status
                self._kill()
                return

    def _kill(self) -> None:
        km = self.km_holder.get("km")
        provisioner = getattr(km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        if process is not None:
            try:
                process.kill()
            except OSError:
                pass
        self.sandbox.cgroups.kill_all()

    def stop(self) -> None:
        self._stop_event.set()


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _exit_reason(code: int | None) -> tuple[str, str]:
    """(status, explanation) for a kernel that ended with exit status ``code``."""
    if code is not None and code > SIGNAL_BASE:
        signum = code - SIGNAL_BASE
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        if signum == signal.SIGXCPU:
            return TIMED_OUT, "the kernel used up its CPU time limit"
        return CRASHED, f"the kernel was killed by {name}"
    if code == SETUP_FAILED:
        return CRASHED, "the sandbox could not be set up, so nothing of the notebook ran"
    if code is None:
        return CRASHED, "the kernel died"
    return CRASHED, f"the kernel exited with status {code}"


def _import_execute() -> type:
    from nbgrader.preprocessors import Execute

    return Execute


class SandboxedExecute(_import_execute()):  # type: ignore[misc]
    """nbgrader's ``Execute`` run in a :class:`Sandbox` with :func:`configure`'s settings.

    Differences from ``Execute``: the per-cell timeout comes from the settings' limits; outputs
    beyond ``max_output_bytes`` are dropped (with a note); when the kernel dies or the notebook's
    time is up, execution stops, the cell that was running gets an error saying why and every later
    code cell an error saying it did not run. :data:`LAST_OUTCOME` records what happened.
    """

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None) -> tuple[NotebookNode, Any]:
        global LAST_OUTCOME
        settings = _SETTINGS
        course_root = _course_root(self.config)
        if course_root and course_root not in settings.hidden:  # also when nbgrader runs this directly
            settings = replace(settings, hidden=[*settings.hidden, course_root])
        limits = settings.limits
        self.execute_retries = 0
        outcome = Outcome()
        start = time.monotonic()
        self._rnnlm_output_bytes = 0
        self._rnnlm_truncated = False
        holder: dict[str, Any] = {}
        with Sandbox(settings) as sandbox:
            km = sandbox.kernel_manager()
            holder["km"] = km
            watchdog = _Watchdog(sandbox, holder)
            watchdog.start()
            try:
                nb, resources = super().preprocess(nb, resources, km=km)
            except Exception as exc:  # noqa: BLE001 - the kernel died or could not start
                self._stop_kernel(km)
                if watchdog.fired:
                    outcome.status, outcome.reason = watchdog.status, watchdog.fired
                else:
                    outcome.status, outcome.reason = _exit_reason(_exit_code(km))
                    if outcome.reason == "the kernel died" and str(exc):
                        outcome.reason = f"the kernel died ({type(exc).__name__}: {str(exc)[:200]})"
                self._mark_unfinished(self.nb, outcome.reason)
                nb = self.nb
            finally:
                watchdog.stop()
                outcome.isolation = sandbox.isolation()
        outcome.timed_out_cells = _timed_out_cells(nb)
        if outcome.status == OK and outcome.timed_out_cells:
            outcome.status = TIMED_OUT
            outcome.reason = f"a cell ran longer than its limit of {limits.cell_timeout:g} s"
        outcome.output_truncated = self._rnnlm_truncated
        outcome.seconds = time.monotonic() - start
        LAST_OUTCOME = outcome
        return nb, resources

    def _stop_kernel(self, km: Any) -> None:
        try:
            if km.has_kernel:
                km.provisioner.process.kill()
        except Exception:  # noqa: BLE001 - already gone
            pass

    def _mark_unfinished(self, nb: NotebookNode, reason: str) -> None:
        """Error outputs on the cell that was running and on every code cell after it."""
        running = getattr(self, "_rnnlm_current", None)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or (running is not None and index < running):
                continue
            if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                continue
            if running is not None and index == running:
                cell.setdefault("outputs", []).append(_error_output("KernelDied", reason))
            else:
                cell["outputs"] = [_error_output("NotRun", f"this cell did not run: {reason}")]

    def _get_timeout(self, cell: NotebookNode | None) -> int | None:
        # preprocess() re-runs __init__ from the configuration, so the limit is applied here
        return int(max(1, round(_SETTINGS.limits.cell_timeout)))

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        self._rnnlm_current = index
        return super().preprocess_cell(cell, resources, index)

    def output(self, outs: list, msg: dict, display_id: str, cell_index: int) -> NotebookNode | None:
        content = msg.get("content", {})
        size = len(json.dumps(content, default=str))
        self._rnnlm_output_bytes += size
        if _KERNEL_CUT in str(content.get("text", "")):  # the kernel cut its own output
            self._rnnlm_truncated = True
        cap = _SETTINGS.limits.max_output_bytes
        if self._rnnlm_output_bytes > cap:
            if not self._rnnlm_truncated:
                self._rnnlm_truncated = True
                note = NotebookNode(
                    output_type="stream",
                    name="stderr",
                    text=f"\n[output truncated: more than {cap} bytes of output]\n",
                )
                outs.append(note)
            return None
        return super().output(outs, msg, display_id, cell_index)


#: How the note the kernel writes when it cuts its own output begins.
_KERNEL_CUT = kernel_output.NOTE.strip().split(":", 1)[0]


def _course_root(config: Any) -> str:
    try:
        root = config.CourseDirectory.root
    except AttributeError:
        return ""
    return str(Path(root).resolve()) if isinstance(root, str) and root else ""


def _exit_code(km: Any) -> int | None:
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is None:
        return None
    try:
        process.wait(timeout=5)
    except Exception:  # noqa: BLE001
        return None
    code = process.returncode
    if code is not None and code < 0:  # the jail itself died of a signal
        return SIGNAL_BASE - code
    return code


def _timed_out_cells(nb: NotebookNode) -> list[str]:
    out = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") == "CellTimeoutError":
                out.append(cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index}")
    return out


def _controller(procs_file: str) -> str:
    """``/sys/fs/cgroup/<controller>/.../cgroup.procs`` -> the controller's name."""
    parts = Path(procs_file).parts
    return (
        parts[4] if len(parts) > 4 and parts[1:4] == ("sys", "fs", "cgroup") else Path(procs_file).parent.name
    )


def isolation_summary(report: dict[str, Any]) -> str:
    """One line saying which protections a run had, from the jail's report."""
    if not report:
        return "isolation: unknown (the kernel did not start)"
    mode = report.get("mode")
    parts = []
    if mode == jail.UNSAFE:
        parts.append("NONE (--unsafe-no-sandbox): the kernel had the grading user's files and network")
    elif report.get("allowlist"):
        if mode == jail.ROOT:
            parts.append(f"root mode: the kernel ran as uid {report.get('uid')}, no supplementary groups")
        else:
            parts.append(f"user mode: the kernel ran as uid {report.get('uid')} in a user namespace")
        parts.append(f"namespaces ({', '.join(report.get('namespaces') or [])})")
        parts.append(f"allowlist root ({len(report.get('visible') or [])} host paths, read-only), no network")
    else:
        parts.append(f"the sandbox could not be set up: {'; '.join(report.get('errors') or ['unknown'])}")
    if report.get("capabilities_dropped"):
        parts.append("capabilities dropped")
    if report.get("dies_with_grader"):
        parts.append("ends with the grader")
    kinds = sorted({_controller(p) for p in report.get("cgroups") or []})
    parts.append(f"cgroups: {', '.join(kinds)}" if kinds else "no cgroups")
    if report.get("rlimit_nproc"):
        parts.append(f"RLIMIT_NPROC {report['rlimit_nproc']}")
    return "isolation: " + "; ".join(parts)


@contextmanager
def settings_applied(settings: SandboxSettings) -> Iterator[None]:
    """Apply ``settings`` for the duration of a ``with`` block (restoring the previous ones)."""
    previous = _SETTINGS
    configure(settings)
    try:
        yield
    finally:
        configure(previous)
