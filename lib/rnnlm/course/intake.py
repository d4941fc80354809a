"""Collecting a class's submissions of one notebook: from a folder or from an LMS zip export.

:func:`collect_submissions` turns ``source`` into one :class:`Submission` per student, sorted by
student id. ``source`` is

1. a folder of notebooks, one per student (student id = file stem),
2. a folder with one folder per student (the notebook ``NN_topic.ipynb`` inside, or the only
   ``.ipynb`` there; the two layouts may be mixed), or
3. a ``.zip`` file, such as a learning-management system exports, laid out like 1. or 2. (below
   any wrapper folders that hold every file, when there are two or more students) or named as
   the LMS names them (see :data:`ID_PATTERNS`). It is extracted into ``workdir``, safely: no
   absolute paths, no ``..``, no symbolic links or other special files, and caps on the number of
   members, on each member's size and on the total size.

Nothing is lost: every student folder, and every notebook that belongs to no folder, gives exactly
one row. A student without a usable notebook is a row with ``path=None`` and status
:data:`MISSING` (no notebook) or :data:`INVALID` (several candidates, bad student id, unsafe zip
member, name not matched by the id pattern, ...), with ``problem`` saying why. Hidden files and
folders (``.ipynb_checkpoints``, ``.DS_Store``), ``__MACOSX`` and ``__pycache__`` are ignored.

**Student ids.** Without an id pattern the id is the student's folder name (the first path
component below the wrapper folders) or, for a notebook directly in the top folder, its file stem.
With ``id_pattern`` (a name from :data:`ID_PATTERNS` or a raw regular expression with a group named
``id``) the id is that group of the first match of the pattern searched (``re.search``) in each
file's path relative to the source, ``/``-separated. Either way the id is then sanitised by
:func:`sanitise_student_id`: case is kept, accents are dropped (``José`` -> ``Jose``) and each run of
characters outside ``[A-Za-z0-9_.@-]`` becomes one ``_`` (``"Full Name"`` -> ``"Full_Name"``). An id
that still does not match :data:`STUDENT_ID` (it starts with ``_`` for example) makes the row
invalid. Every returned ``student_id`` is a safe single path component, invalid rows included.

**Several notebooks for one student.** Notebooks named ``NN_topic.ipynb`` are preferred; the name
may carry a prefix ending in ``_`` (as LMS exports add) and a resubmission suffix ``-N`` (Canvas
renames a re-uploaded file ``NN_topic-1.ipynb``). If none is so named, all the student's notebooks
compete. The latest-looking one wins: the latest Blackboard attempt time stamp
(``_attempt_YYYY-MM-DD-hh-mm-ss`` in the path) first, then, among the ``NN_topic`` names only, the
highest suffix ``-N`` (no suffix counts as 0). Without a single latest one the row is invalid and
lists the candidates. Under the default mapping, a student id that comes from two sources (a
notebook ``alice.ipynb`` and a folder ``alice/``, or two folders that sanitise to the same id) is
invalid too.

**Extra files.** :attr:`Submission.extra_files` lists the student's other files (not notebooks) in
the notebook's folder and below, for the grader to copy beside the notebook, keeping their paths
relative to ``path.parent``.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rnnlm.course.notebooks import SolutionNotebook

#: Student ids become folder names and gradebook keys.
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")

# Row statuses (the grading module re-exports them).
MISSING = "missing"  # no notebook found for the student
INVALID = "invalid"  # not gradable as given (bad student id, several candidate notebooks, unsafe member, ...)

#: Named id patterns for LMS exports, searched in each member's path (relative, ``/``-separated).
ID_PATTERNS: dict[str, str] = {
    # Canvas: "smithjohn_12345_6789012_03_bptt.ipynb", "smithjohn_LATE_12345_6789012_03_bptt-1.ipynb"
    # (sortable name, user id, attachment id, file name); the id is the name part.
    "canvas": r"(?:^|/)(?P<id>[^/_]+)_(?:(?i:late)_)?\d+_\d+_[^/]+$",
    # Moodle: "Full Name_123456_assignsubmission_file_/03_bptt.ipynb" (folders) or
    # "Full Name_123456_assignsubmission_file_03_bptt.ipynb"; the id is the full name ("Full_Name").
    # The number is a per-assignment participant id; r"(?P<id>\d+)_assignsubmission_" takes it instead.
    "moodle": r"(?:^|/)(?P<id>[^/_]+)_\d+_assignsubmission_",
    # Blackboard: "Assignment 3_jsmith_attempt_2026-11-20-10-15-00_03_bptt.ipynb"; the id is the user name.
    "blackboard": r"(?:^|/)[^/]*?_(?P<id>[^/_]+)_attempt_\d{4}(?:-\d\d){5}",
}

DEFAULT_MAX_TOTAL_BYTES = 2 * 1024**3  # everything extracted from one zip
DEFAULT_MAX_MEMBER_BYTES = 256 * 1024**2  # one extracted file
DEFAULT_MAX_MEMBERS = 20_000  # entries (files and folders) in one zip

_JUNK = frozenset({"__MACOSX", "__pycache__"})
_MARKER = ".rnnlm-intake"  # marks a folder that collect_submissions extracted into
_ATTEMPT = re.compile(r"_attempt_(\d{4}(?:-\d\d){5})")
_CHUNK = 1 << 20


@dataclass
class Submission:
    """One student's submitted notebook, or why there is none usable.

    ``status`` is :data:`MISSING` or :data:`INVALID` when ``path`` is None (``problem`` says why), and
    ``""`` otherwise. ``origin`` says where it came from: ``"alice/03_bptt.ipynb"`` for a folder,
    ``"class.zip:Alice Smith_12345_assignsubmission_file_/03_bptt.ipynb"`` for a zip (for a row
    without a notebook: the student's folder(s) or file(s)). ``extra_files`` are the student's other
    files beside (or below) the notebook.
    """

    student_id: str
    path: Path | None
    problem: str = ""
    status: str = ""
    origin: str = ""
    extra_files: list[Path] = field(default_factory=list)


# -- ids ---------------------------------------------------------------------------------------


def sanitise_student_id(raw: str) -> str:
    """``raw`` as a student id: surrounding white space stripped, accents dropped, each run of
    characters outside ``[A-Za-z0-9_.@-]`` replaced by one ``_``; case is kept.

    The result is always a safe single path component (never empty, ``.`` or ``..``) but need not
    match :data:`STUDENT_ID` (``"(Ann)"`` -> ``"_Ann_"``).
    """
    ascii_text = unicodedata.normalize("NFKD", raw.strip())
    ascii_text = "".join(c for c in ascii_text if not unicodedata.combining(c))
    text = re.sub(r"[^A-Za-z0-9_.@-]+", "_", ascii_text)
    if not text.strip("."):
        text = "_" * max(1, len(text))
    return text


def resolve_id_pattern(id_pattern: str | None) -> re.Pattern[str] | None:
    """The compiled id pattern: a name from :data:`ID_PATTERNS` (any case) or a raw regular
    expression with a group named ``id``; None stays None. ``ValueError`` otherwise."""
    if id_pattern is None:
        return None
    text = ID_PATTERNS.get(id_pattern.strip().lower(), id_pattern)
    try:
        pattern = re.compile(text)
    except re.error as exc:
        names = ", ".join(ID_PATTERNS)
        raise ValueError(
            f"id pattern {id_pattern!r} is neither a known name ({names}) "
            f"nor a valid regular expression: {exc}"
        ) from exc
    if "id" not in pattern.groupindex:
        raise ValueError(f"id pattern {id_pattern!r} needs a named group 'id', as in r'^(?P<id>[^_]+)_'")
    return pattern


# -- what a source holds -----------------------------------------------------------------------


@dataclass
class _Owner:
    """Whom a file or folder belongs to."""

    raw_id: str
    unit: str  # default mapping: the student's folder or top-level notebook; "" with a pattern
    folder: tuple[str, ...]  # the student's folder in the source (for messages); () when flat
    matched: bool = True  # False: the id pattern did not match (id from the file name)


@dataclass
class _Item:
    """A file or folder of the source (a zip member or a path in a folder)."""

    name: str  # as shown in messages: the path relative to the source (a zip member's name)
    parts: tuple[str, ...]  # path components relative to the source
    is_dir: bool = False
    unsafe: bool = False  # absolute or with ".." components: never extracted
    absolute: bool = False  # an absolute path: belongs to no student
    problem: str = ""  # why this file must not be used
    path: Path | None = None  # on disk: in the source folder or where it was extracted
    size: int = 0
    info: zipfile.ZipInfo | None = None
    owner: _Owner | None = None

    @property
    def rel(self) -> str:
        return "/".join(self.parts)

    @property
    def is_notebook(self) -> bool:
        return not self.is_dir and self.parts[-1].lower().endswith(".ipynb")


def _is_junk(parts: tuple[str, ...]) -> bool:
    return any(p.startswith(".") or p in _JUNK for p in parts)


def _stem(name: str) -> str:
    return name[: -len(".ipynb")] if name.lower().endswith(".ipynb") else name


def _scan_folder(root: Path) -> list[_Item]:
    """Every non-junk file and folder below ``root``; symbolic links and special files are items
    with a problem (never followed)."""
    items: list[_Item] = []
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        here = base.relative_to(root).parts
        keep = []
        for d in sorted(dirnames):
            parts = (*here, d)
            if _is_junk((d,)):
                continue
            name = "/".join(parts) + "/"
            if (base / d).is_symlink():
                items.append(_Item(name, parts, is_dir=True, problem=f"{name} is a symbolic link"))
                continue
            items.append(_Item(name, parts, is_dir=True))
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            parts = (*here, f)
            if _is_junk((f,)):
                continue
            path, name = base / f, "/".join(parts)
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                items.append(_Item(name, parts, problem=f"{name} is a symbolic link"))
            elif not stat.S_ISREG(mode):
                items.append(_Item(name, parts, problem=f"{name} is not a regular file"))
            else:
                items.append(_Item(name, parts, path=path.resolve(), size=path.stat().st_size))
    return items


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name: UTF-8 when flagged (0x800); otherwise UTF-8 if the raw bytes are valid
    UTF-8 (many tools write UTF-8 without the flag), else cp437 as the zip format says."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return info.filename


def _zip_items(zf: zipfile.ZipFile) -> list[_Item]:
    """The zip's members as items: unsafe paths and link or special-file members carry a problem;
    junk members are left out."""
    items = []
    for info in zf.infolist():
        name = _member_name(info)
        norm = name.replace("\\", "/")
        is_dir = info.is_dir() or norm.endswith("/")
        parts = tuple(p for p in norm.split("/") if p not in ("", "."))
        if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
            problem = f"member {name!r} has an absolute path"
            items.append(_Item(name, parts, is_dir, unsafe=True, absolute=True, problem=problem))
            continue
        if ".." in parts:
            items.append(
                _Item(name, parts, is_dir, unsafe=True, problem=f"member {name!r} leaves the folder (..)")
            )
            continue
        if not parts or _is_junk(parts):
            continue
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        item = _Item(name, parts, is_dir, size=info.file_size, info=info)
        if stat.S_ISLNK(mode):
            item.problem = f"member {name!r} is a symbolic link"
        elif kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            item.problem = f"member {name!r} is not a regular file"
        items.append(item)
    return items


# -- who owns what -----------------------------------------------------------------------------


def _wrapper(items: list[_Item], nb: SolutionNotebook) -> tuple[str, ...]:
    """The wrapper folders above the student folders of a zip: the folders that hold every file,
    when dropping them leaves two or more students and no notebook named like ``nb`` directly in
    them (else that folder is one student's); ``()`` otherwise."""
    paths = [it.parts for it in items if not it.is_dir and not it.unsafe]
    if not paths:
        return ()
    common = paths[0][:-1]
    for p in paths[1:]:
        n = 0
        while n < min(len(common), len(p) - 1) and common[n] == p[n]:
            n += 1
        common = common[:n]
    if not common:
        return ()
    inner = [p[len(common) :] for p in paths]
    students = {p[0] if len(p) > 1 else _stem(p[0]) for p in inner if len(p) > 1 or _is_nb_name(p[0])}
    if len(students) < 2 or any(len(p) == 1 and _names_notebook(p[0], nb) for p in inner):
        return ()
    return common


def _is_nb_name(name: str) -> bool:
    return name.lower().endswith(".ipynb")


def _named_re(nb: SolutionNotebook) -> re.Pattern[str]:
    return re.compile(rf"(?:.*_)?{re.escape(nb.name)}(?:-(?P<n>\d+))?\.ipynb", re.IGNORECASE)


def _names_notebook(name: str, nb: SolutionNotebook) -> bool:
    return _named_re(nb).fullmatch(name) is not None


def _default_owner(item: _Item, wrapper: tuple[str, ...]) -> _Owner | None:
    if item.absolute or item.parts[: len(wrapper)] != wrapper:
        return None
    inner = item.parts[len(wrapper) :]
    if not inner or inner[0] == ".." or _is_junk(inner[:1]):
        return None
    if len(inner) > 1 or item.is_dir:
        return _Owner(inner[0], inner[0] + "/", (*wrapper, inner[0]))
    if _is_nb_name(inner[0]):
        return _Owner(_stem(inner[0]), inner[0], ())
    return None


def _pattern_owner(item: _Item, pattern: re.Pattern[str]) -> _Owner | None:
    if item.absolute:
        return None
    match = pattern.search(item.rel)
    if match is None or not match.group("id"):
        if item.is_notebook and not item.unsafe:
            return _Owner(_stem(item.parts[-1]), "", (), matched=False)
        return None
    # The student's folder: the component where the match ends, when that is a folder.
    depth = item.rel.count("/", 0, match.end()) + 1
    folder = item.parts[:depth] if depth < len(item.parts) or item.is_dir else ()
    return _Owner(match.group("id"), "", folder)


def _assign(items: list[_Item], pattern: re.Pattern[str] | None, wrapper: tuple[str, ...]) -> None:
    for item in items:
        item.owner = _pattern_owner(item, pattern) if pattern else _default_owner(item, wrapper)


# -- zip extraction ----------------------------------------------------------------------------


def _open_zip(source: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise ValueError(
            f"{source}: not a readable zip file ({type(exc).__name__}: {exc}); it may be truncated or "
            "corrupt: download the export again, or unpack it and give the folder"
        ) from exc


def _extraction_folder(workdir: Path, source: Path) -> Path:
    """A fresh folder ``workdir/<zip stem>`` (one that an earlier run made is emptied first)."""
    target = Path(workdir) / sanitise_student_id(source.stem)
    if target.exists() or target.is_symlink():
        if target.is_dir() and not target.is_symlink() and (target / _MARKER).is_file():
            shutil.rmtree(target)
        elif target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
            target.rmdir()
        else:
            raise ValueError(
                f"cannot extract {source.name} into {target}: it exists and was not made by an earlier "
                "collection; remove it or choose another workdir"
            )
    target.mkdir(parents=True)
    (target / _MARKER).write_text("files extracted by rnnlm.course.intake; removed on the next run\n")
    return target


def _extract_one(zf: zipfile.ZipFile, item: _Item, target: Path, max_member_bytes: int) -> None:
    """Extract ``item`` below ``target``; on failure ``item.problem`` says why and nothing stays."""
    assert item.info is not None
    dest = target.joinpath(*item.parts)
    if not dest.resolve().is_relative_to(target.resolve()):
        item.problem = f"member {item.name!r} leaves the folder"
        return
    written = 0
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(item.info) as src, open(dest, "xb") as out:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if written > max_member_bytes:
                    raise _TooLarge
                out.write(chunk)
    except _TooLarge:
        item.problem = f"member {item.name!r} is larger than the limit of {max_member_bytes} bytes"
    except FileExistsError:
        item.problem = f"member {item.name!r} clashes with another member of the same name (or case)"
        return  # the file there is the other member's
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        item.problem = f"member {item.name!r} is corrupt ({exc})"
    except RuntimeError as exc:  # encrypted
        item.problem = f"member {item.name!r} cannot be read ({exc})"
    except NotImplementedError as exc:  # an unsupported compression method
        item.problem = f"member {item.name!r} cannot be read ({exc})"
    except OSError as exc:
        item.problem = f"member {item.name!r} cannot be extracted ({exc.strerror or exc})"
    else:
        item.path = dest.resolve()
        return
    dest.unlink(missing_ok=True)


class _TooLarge(Exception):
    pass


def _collect_zip(
    source: Path,
    nb: SolutionNotebook,
    pattern: re.Pattern[str] | None,
    workdir: Path,
    *,
    max_total_bytes: int,
    max_member_bytes: int,
    max_members: int,
) -> list[_Item]:
    zf = _open_zip(source)
    with zf:
        count = len(zf.infolist())
        if count > max_members:
            raise ValueError(
                f"{source}: {count} members, more than the limit of {max_members}; refusing to extract it"
            )
        items = _zip_items(zf)
        _assign(items, pattern, () if pattern else _wrapper(items, nb))
        stray = [it for it in items if it.problem and it.owner is None]
        if stray:
            listed = "; ".join(it.problem for it in stray[:5]) + (" ..." if len(stray) > 5 else "")
            raise ValueError(f"{source}: refusing to extract: {listed} (belongs to no student)")
        wanted = [it for it in items if it.owner and it.owner.matched and not it.is_dir and not it.problem]
        for item in wanted:
            if item.size > max_member_bytes:
                item.problem = (
                    f"member {item.name!r} is {item.size} bytes, more than the limit of {max_member_bytes}"
                )
        spoilt = {_key(it) for it in items if it.problem and it.owner}
        wanted = [it for it in wanted if _key(it) not in spoilt]
        total = sum(it.size for it in wanted)
        if total > max_total_bytes:
            raise ValueError(
                f"{source}: would extract {total} bytes, more than the limit of {max_total_bytes}; "
                "refusing to extract it (raise the limit if the export is genuine)"
            )
        target = _extraction_folder(workdir, source)
        for item in wanted:
            _extract_one(zf, item, target, max_member_bytes)
    return items


def _key(item: _Item) -> str:
    assert item.owner is not None
    return sanitise_student_id(item.owner.raw_id)


# -- rows --------------------------------------------------------------------------------------


@dataclass
class _Group:
    raw_ids: set[str] = field(default_factory=set)
    units: set[str] = field(default_factory=set)
    folders: set[tuple[str, ...]] = field(default_factory=set)
    items: list[_Item] = field(default_factory=list)


def _choose(notebooks: list[_Item], nb: SolutionNotebook) -> _Item | None:
    """The notebook to grade among a student's ``notebooks`` (see the module docstring), or None."""
    named_re = _named_re(nb)
    named = [(it, m) for it in notebooks if (m := named_re.fullmatch(it.parts[-1]))]
    if named:
        pool = [it for it, _ in named]
        keys = [(_attempt(it), int(m.group("n") or 0)) for it, m in named]
    else:
        pool = notebooks
        keys = [(_attempt(it), 0) for it in notebooks]
    if len(pool) == 1:
        return pool[0]
    best = max(keys)
    winners = [it for it, k in zip(pool, keys, strict=True) if k == best]
    return winners[0] if len(winners) == 1 else None


_ASSIGNMENT_NAME = re.compile(r"(?:^|_)(\d\d)_[a-z][a-z0-9_]*(?:-\d+)?\.ipynb$")


def _other_assignment(name: str, nb: SolutionNotebook) -> bool:
    """Whether ``name`` is named for another assignment (``02_rnn_forward.ipynb`` when grading 03):
    a student folder may hold the whole course's notebooks."""
    match = _ASSIGNMENT_NAME.search(name)
    return match is not None and match.group(1) != nb.assignment


def _attempt(item: _Item) -> str:
    match = _ATTEMPT.search(item.rel)
    return match.group(1) if match else ""


def _row(sid: str, group: _Group, nb: SolutionNotebook, prefix: str, label: str | None) -> Submission:
    def where(it: _Item) -> str:
        return prefix + it.name

    folders = sorted("/".join(f) + "/" for f in group.folders if f)
    files = [it for it in group.items if not it.is_dir]
    origin = ", ".join(prefix + f for f in folders) or ", ".join(where(it) for it in files)

    def invalid(problem: str) -> Submission:
        return Submission(sid, None, problem, INVALID, origin)

    problems = [it.problem for it in group.items if it.problem]
    if problems:
        return invalid("; ".join(problems))
    unmatched = [it for it in group.items if it.owner and not it.owner.matched]
    if unmatched:
        names = ", ".join(repr(where(it)) for it in unmatched)
        return invalid(
            f"the id pattern {label!r} does not match {names} (student id taken from the file name)"
        )
    if len(group.raw_ids) > 1:
        raws = " and ".join(repr(r) for r in sorted(group.raw_ids))
        return invalid(f"student ids {raws} both become {sid!r}")
    raw = next(iter(group.raw_ids))
    if not STUDENT_ID.match(sid):
        shown = repr(sid) if raw == sid else f"{sid!r} (from {raw!r})"
        return invalid(
            f"student id {shown} may hold only letters, digits and . _ @ - (and must start with a letter "
            "or digit)" + ("" if label else "; rename the file or folder, or give an id pattern")
        )
    if len(group.units) > 1:
        units = ", ".join(repr(prefix + u) for u in sorted(group.units))
        return invalid(f"several submissions for {sid!r}: {units}")
    notebooks = [it for it in files if it.is_notebook and not _other_assignment(it.parts[-1], nb)]
    if not notebooks:
        place = f"in {origin}" if folders else f"for {sid!r}"
        others = f"; found only {', '.join(it.parts[-1] for it in files)}" if files else ""
        return Submission(sid, None, f"no notebook {place} (expected {nb.filename}){others}", MISSING, origin)
    chosen = _choose(notebooks, nb)
    if chosen is None:
        names = ", ".join(where(it) for it in sorted(notebooks, key=lambda it: it.rel))
        return invalid(f"several candidate notebooks: {names} (keep one, named {nb.filename})")
    assert chosen.path is not None
    here = chosen.parts[:-1]
    extra = sorted(
        it.path
        for it in files
        if it is not chosen and not it.is_notebook and it.path is not None and it.parts[: len(here)] == here
    )
    return Submission(sid, chosen.path, origin=where(chosen), extra_files=extra)


def collect_submissions(
    source: str | Path,
    nb: SolutionNotebook,
    *,
    workdir: str | Path,
    id_pattern: str | None = None,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> list[Submission]:
    """One :class:`Submission` of ``nb`` per student in ``source``, sorted by student id.

    ``source`` is a folder (notebooks and/or one folder per student) or a zip file, which is
    extracted into ``workdir/<zip stem>/`` (made afresh on each call; ``workdir`` is not used for
    a folder). ``id_pattern`` is a name from :data:`ID_PATTERNS` or a regular expression with a
    group ``id``; see the module docstring for how ids, notebooks and extra files are found.

    A zip member with an unsafe path, a link or special file, a member over ``max_member_bytes``
    or one that cannot be read makes its student's row invalid. Raises ``FileNotFoundError`` when
    ``source`` does not exist and ``ValueError`` for a bad id pattern, an unreadable zip, one with
    more than ``max_members`` members or more than ``max_total_bytes`` to extract, or an unsafe
    member that belongs to no student.
    """
    pattern = resolve_id_pattern(id_pattern)
    src = Path(source)
    if src.is_dir():
        items = _scan_folder(src)
        _assign(items, pattern, ())
        prefix = ""
    elif src.is_file():
        items = _collect_zip(
            src,
            nb,
            pattern,
            Path(workdir),
            max_total_bytes=max_total_bytes,
            max_member_bytes=max_member_bytes,
            max_members=max_members,
        )
        prefix = f"{src.name}:"
    else:
        raise FileNotFoundError(f"submissions {src} do not exist (expected a folder or a zip file)")

    groups: dict[str, _Group] = {}
    for item in items:
        if item.owner is None:
            continue
        group = groups.setdefault(_key(item), _Group())
        group.raw_ids.add(item.owner.raw_id)
        if item.owner.unit:
            group.units.add(item.owner.unit)
        group.folders.add(item.owner.folder)
        group.items.append(item)
    return [_row(sid, groups[sid], nb, prefix, id_pattern) for sid in sorted(groups)]
