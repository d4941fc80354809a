"""Run a command as an unprivileged user (``nobody``) that can still start this interpreter.

Tests use it to grade "as an ordinary instructor would": not root, no capabilities, no groups.
Here the interpreter may live under a folder only root can enter (``/root/.pyenv``), so the command
runs in a private mount namespace where that folder is replaced by an empty one holding only the
interpreter's (and the environment's) folders; nothing else changes.

``python tests/unprivileged.py --uid 65534 -- CMD ARGS...`` (as root); :func:`as_user` builds it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

NOBODY = 65534


def available() -> bool:
    """Whether this machine can run a command as nobody here (Linux, root, ``unshare``, ``mount``)."""
    return (
        sys.platform.startswith("linux")
        and os.geteuid() == 0
        and shutil.which("unshare") is not None
        and shutil.which("mount") is not None
    )


def as_user(argv: list[str], uid: int = NOBODY) -> list[str]:
    """The command line that runs ``argv`` as ``uid`` (with the same gid, no groups)."""
    return [
        shutil.which("unshare") or "unshare",
        "--mount",
        "--propagation",
        "private",
        sys.executable,
        str(Path(__file__).resolve()),
        "--uid",
        str(uid),
        "--",
        *argv,
    ]


def _blocked_ancestor(path: Path) -> Path | None:
    """The outermost folder above ``path`` that others may not enter, or None."""
    for parent in reversed(path.parents):
        if parent != Path("/") and not parent.stat().st_mode & stat.S_IXOTH:
            return parent
    return None


def _open_up(needed: list[Path]) -> None:
    """In this (private) mount namespace: make every ``needed`` folder reachable by others."""
    by_blocked: dict[Path, list[Path]] = {}
    for path in needed:
        blocked = _blocked_ancestor(path)
        if blocked is not None:
            by_blocked.setdefault(blocked, []).append(path)
    for blocked, paths in by_blocked.items():
        staging = Path(tempfile.mkdtemp(prefix="rnnlm-unpriv-"))
        kept = sorted(set(paths), key=lambda p: len(p.parts))
        kept = [p for p in kept if not any(q != p and q in p.parents for q in kept)]
        for index, path in enumerate(kept):
            (staging / str(index)).mkdir()
            subprocess.run(["mount", "--bind", str(path), str(staging / str(index))], check=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", str(blocked)], check=True)
        for index, path in enumerate(kept):
            path.mkdir(parents=True, exist_ok=True)
            for folder in [path, *path.parents]:
                if folder == blocked:
                    break
                folder.chmod(0o755)
            subprocess.run(["mount", "--move", str(staging / str(index)), str(path)], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uid", type=int, default=NOBODY)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    import rnnlm

    needed = [
        Path(sys.base_prefix).resolve(),
        Path(sys.prefix).resolve(),
        Path(rnnlm.__file__).resolve().parents[1],
    ]
    _open_up(needed)
    os.setgroups([])
    os.setresgid(args.uid, args.uid, args.uid)
    os.setresuid(args.uid, args.uid, args.uid)
    os.execvp(command[0], command)
    return 127


if __name__ == "__main__":
    sys.exit(main())
