"""The process that turns into a sandboxed Jupyter kernel: ``python -m rnnlm.course.jail SPEC -- CMD...``.

:mod:`rnnlm.course.sandbox` writes ``SPEC`` (JSON) and uses this module as the kernel's launcher.
On Linux, started as root, it

1. joins the cgroups the sandbox made (process count and memory caps for everything below);
2. enters new mount, network, PID, IPC and UTS namespaces: every mount becomes read-only, the
   hidden paths (the course folder, the source notebooks, other students' files) and ``/tmp``,
   ``/var/tmp``, ``/dev/shm`` are covered by empty read-only tmpfs, the working folder is a fresh
   size-capped tmpfs, and only the kernel's socket folder stays writable; the network namespace has
   no interface but a loopback that is down;
3. forks a PID-1 reaper (when it exits, the kernel kills every process left in the namespace) which
   forks the kernel: resource limits set, every capability dropped for good (bounding set emptied,
   ``SECBIT_NOROOT`` locked, ``no_new_privs``), working folder entered, environment replaced.

Without root (or off Linux) it only sets the resource limits, starts a new session and enters the
working folder; :func:`rnnlm.course.sandbox.isolation_report` says which guarantees hold.
What it applied is written to ``SPEC``'s ``report`` path before the kernel starts.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import resource
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_SECUREBITS = 28
PR_SET_NO_NEW_PRIVS = 38
# SECBIT_NOROOT, _LOCKED, NO_SETUID_FIXUP, _LOCKED, KEEP_CAPS_LOCKED, NO_CAP_AMBIENT_RAISE, _LOCKED
SECUREBITS_LOCKED_DOWN = 0b11101111

#: exit status of the PID-1 reaper when the kernel died of a signal: 128 + signal number
SIGNAL_BASE = 128

_MOUNT_FLAGS = {"ro": MS_RDONLY, "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(
    libc: ctypes.CDLL,
    source: str | None,
    target: str,
    fstype: str | None,
    flags: int,
    data: str | None = None,
) -> None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    _check(
        libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
        f"mount {fstype or 'bind'} on {target}",
    )


def _mount_points() -> list[tuple[str, int]]:
    """(mount point, flags to keep) of every mount, from /proc/self/mountinfo."""
    out = []
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")
            flags = 0
            for opt in fields[5].split(","):
                flags |= _MOUNT_FLAGS.get(opt, 0)
            out.append((point, flags))
    return out


def _under(path: str, roots: list[str]) -> bool:
    """Whether ``path`` is one of ``roots`` or inside one."""
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def _isolate_filesystem(libc: ctypes.CDLL, spec: dict[str, Any]) -> None:
    """Read-only everything, hide paths, give a fresh sized tmpfs as the working folder."""
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    keep_fds = {path: os.open(path, os.O_RDONLY | os.O_DIRECTORY) for path in spec["writable"]}
    # what the kernel needs (the interpreter, the library) stays visible even under a hidden folder
    # (say, a checkout in /tmp): reopened below by descriptors taken now
    hidden = [p for p in spec["hidden"] if os.path.isdir(p)]
    visible_fds = {
        path: os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        for path in sorted(set(spec.get("visible", [])), key=len)
        if os.path.isdir(path) and _under(path, hidden)
    }
    stage_fd = os.open(spec["stage"], os.O_RDONLY | os.O_DIRECTORY) if spec.get("stage") else None
    existing = _mount_points()
    # 1. every mount read-only (a bind remount keeps the mount's other flags)
    for point, flags in sorted(existing, key=lambda pf: len(pf[0])):
        if point.startswith("/proc"):
            continue
        try:
            _mount(libc, None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
        except OSError:
            pass  # e.g. a mount shadowed by another; what stays writable is reported below
    # 2. cover the hidden folders with empty tmpfs (made read-only after step 3)
    masks = []
    for path in spec["hidden"]:
        if os.path.isdir(path):
            _mount(libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
            masks.append(path)
    # 2b. bring back what must stay visible (read-only), then hide again what lies inside it
    for path, fd in visible_fds.items():
        os.makedirs(path, exist_ok=True)
        _mount(libc, f"/proc/self/fd/{fd}", path, None, MS_BIND)
        _mount(libc, None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    for path in hidden:
        if path not in masks and _under(path, list(visible_fds)) and os.path.isdir(path):
            _mount(libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
            masks.append(path)
    # 3. the writable folders come back by their open descriptors; the working folder is a fresh tmpfs
    for path, fd in keep_fds.items():
        os.makedirs(path, exist_ok=True)
        _mount(libc, f"/proc/self/fd/{fd}", path, None, MS_BIND)
        _mount(libc, None, path, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV)  # the copy was read-only
        os.close(fd)
    workdir = spec["workdir"]
    os.makedirs(workdir, exist_ok=True)
    _mount(
        libc,
        "tmpfs",
        workdir,
        "tmpfs",
        MS_NOSUID | MS_NODEV,
        f"size={int(spec['limits']['max_file_bytes'])},mode=0755",
    )
    if stage_fd is not None:
        shutil.copytree(f"/proc/self/fd/{stage_fd}", workdir, dirs_exist_ok=True)
        os.close(stage_fd)
    for sub in ("tmp", ".home"):
        os.makedirs(os.path.join(workdir, sub), exist_ok=True)
    for path in masks:
        _mount(libc, None, path, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _drop_privileges(libc: ctypes.CDLL) -> None:
    """Drop every capability for this process and everything it executes."""
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the last capability the kernel knows
    _check(libc.prctl(PR_SET_SECUREBITS, SECUREBITS_LOCKED_DOWN, 0, 0, 0), "prctl(PR_SET_SECUREBITS)")

    class _Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class _Data(ctypes.Structure):
        _fields_ = [
            ("effective", ctypes.c_uint32),
            ("permitted", ctypes.c_uint32),
            ("inheritable", ctypes.c_uint32),
        ]

    header = _Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_Data * 2)()
    _check(libc.capset(ctypes.byref(header), data), "capset")
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")


def _set_limits(limits: dict[str, Any], *, nproc: int | None) -> None:
    memory = int(limits["memory_bytes"])
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(limits["max_file_bytes"]),) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if nproc is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


def _user_task_count() -> int:
    """Tasks (threads included) that this user runs now, the measure RLIMIT_NPROC counts."""
    uid = os.getuid()
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                continue
    return count


def _exec_kernel(spec: dict[str, Any], argv: list[str]) -> None:
    os.chdir(spec["workdir"])
    if spec.get("log"):  # the kernel's own start-up chatter; cell output goes through Jupyter messages
        fd = os.open(spec["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    os.execvpe(argv[0], argv, spec["env"])


def _reap(child: int) -> int:
    """As PID 1: reap every process until ``child`` ends; its exit status, signals as 128 + n."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 1
        except InterruptedError:
            continue
        if pid == child:
            if os.WIFSIGNALED(status):
                return SIGNAL_BASE + os.WTERMSIG(status)
            return os.WEXITSTATUS(status)


def _write_report(spec: dict[str, Any], report: dict[str, Any]) -> None:
    path = Path(spec["report"])
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report))
    tmp.replace(path)


def run(spec: dict[str, Any], argv: list[str]) -> int:
    """Start ``argv`` as the sandboxed kernel described by ``spec``; returns its exit status."""
    limits = spec["limits"]
    report: dict[str, Any] = {
        "namespaces": False,
        "read_only": False,
        "capabilities_dropped": False,
        "cgroups": [],
        "rlimit_nproc": None,
        "errors": [],
    }
    for procs in spec.get("cgroup_procs", []):
        try:
            Path(procs).write_text(str(os.getpid()))
            report["cgroups"].append(procs)
        except OSError as exc:
            report["errors"].append(f"cgroup {procs}: {exc}")
    linux = sys.platform.startswith("linux")
    libc = _libc() if linux else None
    if linux and os.geteuid() == 0 and spec.get("namespaces", True):
        try:
            _check(
                libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS),
                "unshare",
            )
            _isolate_filesystem(libc, spec)
            report["namespaces"] = report["read_only"] = True
        except OSError as exc:
            report["errors"].append(f"namespaces: {exc}")
    nproc = None
    if not any("pids" in p for p in report["cgroups"]):
        # no process-count cgroup: RLIMIT_NPROC counts this user's tasks machine-wide
        nproc = _user_task_count() + int(limits["max_processes"])
        report["rlimit_nproc"] = nproc

    if not report["namespaces"]:
        _write_report(spec, report)
        os.setsid()
        _set_limits(limits, nproc=nproc)
        os.makedirs(spec["workdir"], exist_ok=True)
        _exec_kernel(spec, argv)

    report["capabilities_dropped"] = True
    _write_report(spec, report)
    reaper = os.fork()
    if reaper == 0:  # PID 1 of the new namespace
        try:
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            kernel = os.fork()
            if kernel == 0:
                try:
                    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
                    _set_limits(limits, nproc=nproc)
                    _drop_privileges(libc)
                    _exec_kernel(spec, argv)
                except BaseException as exc:  # noqa: BLE001 - report and leave, never fall through
                    print(f"rnnlm sandbox: cannot start the kernel: {exc}", file=sys.stderr, flush=True)
                os._exit(127)
            os._exit(_reap(kernel))
        except BaseException as exc:  # noqa: BLE001
            print(f"rnnlm sandbox: {exc}", file=sys.stderr, flush=True)
            os._exit(127)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts go to the kernel as messages
    signal.signal(signal.SIGTERM, lambda *_: os.kill(reaper, signal.SIGKILL))
    while True:
        try:
            _, status = os.waitpid(reaper, 0)
            break
        except InterruptedError:
            continue
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else SIGNAL_BASE + os.WTERMSIG(status)


def main(argv: list[str] | None = None) -> int:
    """``python -m rnnlm.course.jail SPEC.json -- CMD ARGS...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 3 or args[1] != "--":
        print("usage: python -m rnnlm.course.jail SPEC.json -- CMD [ARGS...]", file=sys.stderr)
        return 2
    spec = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    return run(spec, args[2:])


if __name__ == "__main__":
    sys.exit(main())
