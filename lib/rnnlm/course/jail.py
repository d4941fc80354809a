"""The process that turns into a sandboxed Jupyter kernel: ``python -m rnnlm.course.jail SPEC -- CMD...``.

:mod:`rnnlm.course.sandbox` writes ``SPEC`` (JSON) and starts this module, with an empty
environment, as the kernel's launcher. Its ``mode`` says how it isolates the kernel:

``root`` (started as root on Linux) and ``user`` (an ordinary user, where the kernel allows
unprivileged user namespaces; a new user namespace maps the grader's uid to ``nobody``, 65534):

1. dies with the grader (``PR_SET_PDEATHSIG``), and joins the cgroups the sandbox made (process
   count and memory caps for everything below; only root can make them);
2. enters new mount, network, PID, IPC and UTS namespaces (and, in ``user`` mode, a user
   namespace): the network namespace has no interface but a loopback that is down;
3. forks the namespace's PID 1, which builds the kernel's root from nothing: an empty tmpfs holding
   read-only binds of the allowlisted host paths (``spec["visible"]``: the system's ``/usr`` and
   library folders, the interpreter, the environment, the kit's library, the corpora), a few files of
   ``/etc`` (the loader's cache, the time zone) and a generated ``passwd``/``group``, ``/dev/null``
   and friends, a fresh ``/proc``, a private size-capped ``/tmp`` and ``/dev/shm``, the socket folder
   it shares with the grader, and its working folder (a size-capped tmpfs); then ``pivot_root`` into
   it, so nothing else of the host is reachable;
4. forks the kernel: resource limits set, uid and gid 65534 with no supplementary groups (``root``
   mode; in ``user`` mode it already is 65534 inside its namespace), every capability dropped for
   good (bounding set emptied, ``SECBIT_NOROOT`` locked, ``no_new_privs``), working folder entered,
   environment replaced. When PID 1 exits, the kernel kills every process left in the namespace.

``unsafe`` (only when the instructor asked for it): resource limits, a new session and the working
folder; nothing else. What was applied is written to ``SPEC``'s ``report`` path before the kernel
starts; :func:`rnnlm.course.sandbox.isolation_summary` turns it into the log's first line.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import platform
import resource
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
#: The namespaces every sandboxed kernel gets (``user`` mode adds CLONE_NEWUSER).
NAMESPACES = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_MOVE = 8192
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_SECUREBITS = 28
PR_SET_NO_NEW_PRIVS = 38
# SECBIT_NOROOT, _LOCKED, NO_SETUID_FIXUP, _LOCKED, KEEP_CAPS_LOCKED, NO_CAP_AMBIENT_RAISE, _LOCKED
SECUREBITS_LOCKED_DOWN = 0b11101111

#: The uid and gid the kernel runs as (``nobody``/``nogroup``), in either mode.
KERNEL_UID = KERNEL_GID = 65534
#: exit status of the PID-1 reaper when the kernel died of a signal: 128 + signal number
SIGNAL_BASE = 128
#: exit status of the jail when it could not build the sandbox (the grader reports it)
SETUP_FAILED = 126

ROOT = "root"
USER = "user"
UNSAFE = "unsafe"

_MOUNT_FLAGS = {"ro": MS_RDONLY, "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
#: Host files of /etc that the kernel sees (none of them holds a secret).
ETC_FILES = ("ld.so.cache", "localtime")
#: Device nodes bound into the kernel's /dev.
DEVICES = ("null", "zero", "full", "random", "urandom")


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


# -- the kernel's root ------------------------------------------------------------------------


class _RootBuilder:
    """Builds the allowlist tree under ``new`` (a fresh tmpfs) with host paths bound read-only."""

    def __init__(self, libc: ctypes.CDLL, new: str) -> None:
        self.libc = libc
        self.new = new
        self.bound: list[str] = []

    def at(self, path: str) -> str:
        return self.new + path

    def dir(self, path: str, mode: int = 0o755) -> str:
        target = self.at(path)
        os.makedirs(target, mode=mode, exist_ok=True)
        return target

    def bind(self, source: str, path: str | None = None, *, read_only: bool = True) -> None:
        """Bind ``source`` (a folder or a file) at ``path`` (default: the same path), read-only
        unless told otherwise (device nodes: a read-only mount would not stop their writes anyway)."""
        path = path or source
        if os.path.isdir(source):
            target = self.dir(path)
        else:
            self.dir(os.path.dirname(path))
            target = self.at(path)
            Path(target).touch(exist_ok=True)
        _mount(self.libc, source, target, None, MS_BIND | MS_REC)
        if not read_only:
            self.bound.append(path)
            return
        # read-only, keeping the flags the host mount locks (nosuid, nodev, noexec); submounts too
        for point, flags in _mount_points():
            if _under(point, [target]):
                try:
                    _mount(self.libc, None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | flags)
                except OSError:
                    pass  # a submount the kernel will not let us touch stays as it is, and is reported
        self.bound.append(path)

    def tmpfs(
        self, path: str, size: int, mode: int, uid: int | None = None, *, read_only: bool = False
    ) -> None:
        options = f"size={size},mode={mode:o}" + (f",uid={uid},gid={uid}" if uid is not None else "")
        flags = MS_NOSUID | MS_NODEV | (MS_RDONLY if read_only else 0)
        _mount(self.libc, "tmpfs", self.dir(path), "tmpfs", flags, options)

    def symlink(self, target: str, path: str) -> None:
        self.dir(os.path.dirname(path))
        os.symlink(target, self.at(path))

    def write(self, path: str, text: str) -> None:
        self.dir(os.path.dirname(path))
        Path(self.at(path)).write_text(text, encoding="utf-8")


def _system_paths() -> list[tuple[str, str]]:
    """("bind", path) or ("link", path) for /usr and the top-level program and library folders."""
    out = [("bind", "/usr")] if os.path.isdir("/usr") else []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = "/" + name
        if os.path.islink(path):
            out.append(("link", path))
        elif os.path.isdir(path):
            out.append(("bind", path))
    return out


def _build_root(libc: ctypes.CDLL, spec: dict[str, Any]) -> list[str]:
    """As PID 1 of the new namespaces: build the kernel's root and ``pivot_root`` into it.

    Returns the host paths bound into it. Everything but the scratch folders is read-only.
    """
    limits = spec["limits"]
    uid = KERNEL_UID
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    new = spec["newroot"]
    _mount(libc, "tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755")
    root = _RootBuilder(libc, new)
    scratch = int(limits["max_file_bytes"])
    root.tmpfs("/tmp", scratch, 0o1777)  # first: allowlisted paths may lie under the host's /tmp
    for kind, path in _system_paths():
        if kind == "link":
            root.symlink(os.readlink(path), path)
        else:
            root.bind(path)
    for path in spec["visible"]:
        if os.path.exists(path) and not _under(path, root.bound):
            root.bind(path)
    for name in ETC_FILES:
        path = "/etc/" + name
        if os.path.islink(path):
            root.symlink(os.readlink(path), path)
        elif os.path.isfile(path):
            root.bind(path)
    home = os.path.join(spec["workdir"], ".home")
    root.write("/etc/passwd", f"nobody:x:{uid}:{uid}:nobody:{home}:/usr/sbin/nologin\n")
    root.write("/etc/group", f"nogroup:x:{uid}:\n")
    root.write("/etc/hosts", "127.0.0.1 localhost\n")
    root.write("/etc/hostname", "sandbox\n")
    root.dir("/dev")
    for name in DEVICES:
        if os.path.exists("/dev/" + name):
            root.bind("/dev/" + name, read_only=False)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        root.symlink(target, "/dev/" + name)
    root.tmpfs("/dev/shm", scratch, 0o1777)
    root.dir("/var")
    root.symlink("/tmp", "/var/tmp")
    _mount(libc, "proc", root.dir("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    # what the kernel shares with the grader (sockets, connection file, its log): writable
    ipc = spec["ipc"]
    root.dir(ipc)
    _mount(libc, ipc, root.at(ipc), None, MS_BIND)
    os.chown(ipc, uid, uid)  # in root mode the kernel must reach its sockets as nobody
    connection = os.path.join(ipc, "connection.json")
    if os.path.exists(connection):
        os.chown(connection, uid, uid)
    # the working folder: a fresh tmpfs holding only the submission's extra files
    workdir = spec["workdir"]
    root.tmpfs(workdir, scratch, 0o755, uid=uid)
    if spec.get("stage") and os.path.isdir(spec["stage"]):
        shutil.copytree(spec["stage"], root.at(workdir), dirs_exist_ok=True)
    for sub in ("tmp", ".home"):
        os.makedirs(os.path.join(root.at(workdir), sub), exist_ok=True)
    for folder, dirs, files in os.walk(root.at(workdir)):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(folder, name), uid, uid)
    # hidden folders that lie inside an allowlisted one (e.g. a course kept under the environment)
    for path in spec.get("hidden", []):
        if _under(path, root.bound) and os.path.isdir(root.at(path)):
            root.tmpfs(path, 64 * 1024, 0o755, read_only=True)
    # enter the new root; the old one is detached and gone
    old = root.dir("/.oldroot")
    number = _PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(0, f"pivot_root: unknown system call number on {platform.machine()}")
    _check(libc.syscall(ctypes.c_long(number), new.encode(), old.encode()), "pivot_root")
    os.chdir("/")
    _check(libc.umount2(b"/.oldroot", MNT_DETACH), "umount old root")
    os.rmdir("/.oldroot")
    _mount(libc, None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    return root.bound


# -- privileges, limits, the kernel -----------------------------------------------------------


def _map_user(uid: int, gid: int) -> None:
    """In a new user namespace: be ``nobody`` (65534) inside, the grader's own uid outside."""
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{KERNEL_UID} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{KERNEL_GID} {gid} 1")


def _drop_privileges(libc: ctypes.CDLL, *, become_nobody: bool) -> None:
    """Drop every capability for this process and everything it executes; as root, become nobody
    (uid and gid 65534, no supplementary groups) on the way."""
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the last capability the kernel knows
    _check(libc.prctl(PR_SET_SECUREBITS, SECUREBITS_LOCKED_DOWN, 0, 0, 0), "prctl(PR_SET_SECUREBITS)")
    if become_nobody:
        os.setgroups([])
        os.setresgid(KERNEL_GID, KERNEL_GID, KERNEL_GID)
        os.setresuid(KERNEL_UID, KERNEL_UID, KERNEL_UID)

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


def _die_with_parent(libc: ctypes.CDLL | None, parent: int | None) -> bool:
    """Ask for SIGKILL when the parent ends; False when it has already gone."""
    if libc is not None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    return parent is None or os.getppid() == parent


def new_report(mode: str) -> dict[str, Any]:
    """The report's fields, all off: what :func:`run` fills in as it applies each protection."""
    return {
        "mode": mode,
        "namespaces": [],
        "allowlist": False,
        "visible": [],
        "uid": None,
        "capabilities_dropped": False,
        "dies_with_grader": False,
        "cgroups": [],
        "rlimit_nproc": None,
        "errors": [],
    }


def run(spec: dict[str, Any], argv: list[str]) -> int:
    """Start ``argv`` as the sandboxed kernel described by ``spec``; returns its exit status."""
    limits = spec["limits"]
    mode = spec["mode"]
    linux = sys.platform.startswith("linux")
    libc = _libc() if linux else None
    report = new_report(mode)
    if not _die_with_parent(libc, spec.get("parent_pid")):
        return SETUP_FAILED  # the grader is gone: start nothing
    report["dies_with_grader"] = linux
    for procs in spec.get("cgroup_procs", []):
        try:
            Path(procs).write_text(str(os.getpid()))
            report["cgroups"].append(procs)
        except OSError as exc:
            report["errors"].append(f"cgroup {procs}: {exc}")
    nproc = None
    if not any("pids" in p for p in report["cgroups"]):
        # no process-count cgroup: RLIMIT_NPROC counts this user's tasks machine-wide
        nproc = _user_task_count() + int(limits["max_processes"])
        report["rlimit_nproc"] = nproc

    if mode == UNSAFE or not linux:
        report["uid"] = os.getuid()
        _write_report(spec, report)
        os.setsid()
        _set_limits(limits, nproc=nproc)
        os.makedirs(spec["workdir"], exist_ok=True)
        _exec_kernel(spec, argv)

    assert libc is not None
    uid, gid = os.getuid(), os.getgid()
    try:
        if mode == USER:
            _check(libc.unshare(CLONE_NEWUSER | NAMESPACES), "unshare")
            _map_user(uid, gid)
            report["namespaces"] = ["user", "pid", "mount", "net", "ipc", "uts"]
        else:
            _check(libc.unshare(NAMESPACES), "unshare")
            report["namespaces"] = ["pid", "mount", "net", "ipc", "uts"]
    except OSError as exc:
        report["errors"].append(f"namespaces: {exc}")
        _write_report(spec, report)
        print(f"rnnlm sandbox: cannot isolate the kernel ({exc}); nothing ran", file=sys.stderr, flush=True)
        return SETUP_FAILED
    reaper = os.fork()
    if reaper == 0:  # PID 1 of the new namespace
        try:
            _die_with_parent(libc, None)
            report["visible"] = _build_root(libc, spec)
            report["allowlist"] = True
            report["uid"] = KERNEL_UID
            report["capabilities_dropped"] = True
            _write_report(spec, report)
            kernel = os.fork()
            if kernel == 0:
                try:
                    _die_with_parent(libc, None)
                    _set_limits(limits, nproc=nproc)
                    _drop_privileges(libc, become_nobody=mode == ROOT)
                    _exec_kernel(spec, argv)
                except BaseException as exc:  # noqa: BLE001 - report and leave, never fall through
                    print(f"rnnlm sandbox: cannot start the kernel: {exc}", file=sys.stderr, flush=True)
                os._exit(127)
            os._exit(_reap(kernel))
        except BaseException as exc:  # noqa: BLE001
            report["errors"].append(f"sandbox: {exc}")
            report["allowlist"] = report["capabilities_dropped"] = False
            try:
                _write_report(spec, report)
            except OSError:
                pass
            print(f"rnnlm sandbox: {exc}", file=sys.stderr, flush=True)
            os._exit(SETUP_FAILED)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts go to the kernel as messages
    signal.signal(signal.SIGTERM, lambda *_: os.kill(reaper, signal.SIGKILL))
    while True:
        try:
            _, status = os.waitpid(reaper, 0)
            break
        except InterruptedError:
            continue
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else SIGNAL_BASE + os.WTERMSIG(status)


def user_namespaces_work() -> bool:
    """Whether this process may build the ``user`` sandbox (tried in a throwaway child)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    child = os.fork()
    if child == 0:
        ok = False
        try:
            if libc.unshare(CLONE_NEWUSER | NAMESPACES) == 0:
                _map_user(uid, gid)
                ok = True
        except BaseException:  # noqa: BLE001
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def choose_mode(unsafe: bool) -> tuple[str, str]:
    """(mode, why): ``root``, ``user`` or ``unsafe``; raises :class:`SandboxUnavailable` when the
    kernel cannot be isolated here and ``unsafe`` was not asked for."""
    if unsafe:
        return UNSAFE, "--unsafe-no-sandbox: the instructor turned the sandbox off"
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(f"the grading sandbox needs Linux namespaces; this is {sys.platform}")
    if os.geteuid() == 0:
        return ROOT, "running as root: namespaces and cgroups, the kernel as nobody"
    if user_namespaces_work():
        return USER, "an unprivileged user namespace: the kernel as nobody, no cgroups"
    raise SandboxUnavailable(
        "not root, and this kernel refuses unprivileged user namespaces "
        "(see /proc/sys/kernel/unprivileged_userns_clone, /proc/sys/user/max_user_namespaces, "
        "or an AppArmor restriction)"
    )


class SandboxUnavailable(RuntimeError):
    """Student code cannot be isolated on this machine (and the instructor did not opt out)."""

    def __init__(self, why: str) -> None:
        super().__init__(
            f"refusing to run student code without a sandbox: {why}. Grade as root, or on a machine "
            "that allows unprivileged user namespaces, or pass --unsafe-no-sandbox to run it anyway "
            "with resource limits only"
        )


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
