"""Collecting submissions from folders and LMS zip exports (rnnlm.course.intake)."""

from __future__ import annotations

import stat
import warnings
import zipfile
from pathlib import Path

import pytest

from rnnlm.course.intake import (
    ID_PATTERNS,
    INVALID,
    MISSING,
    STUDENT_ID,
    Submission,
    collect_submissions,
    resolve_id_pattern,
    sanitise_student_id,
)
from rnnlm.course.notebooks import SolutionNotebook

NB = SolutionNotebook(Path("/solutions/03_bptt.ipynb"))
NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'


def _zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _by_id(rows: list[Submission]) -> dict[str, Submission]:
    ids = [r.student_id for r in rows]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), ids
    return {r.student_id: r for r in rows}


def _ok(row: Submission, filename: str) -> None:
    assert row.status == "" and row.problem == "", row
    assert row.path is not None and row.path.is_file() and row.path.name == filename


# -- folders -----------------------------------------------------------------------------------


def test_flat_folder_ids_are_file_stems(tmp_path: Path) -> None:
    (tmp_path / "alice.ipynb").write_text(NOTEBOOK)
    (tmp_path / "bob.ipynb").write_text(NOTEBOOK)
    (tmp_path / "notes.txt").write_text("not a submission")
    (tmp_path / ".hidden.ipynb").write_text(NOTEBOOK)
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "carl-checkpoint.ipynb").write_text(NOTEBOOK)
    rows = _by_id(collect_submissions(tmp_path, NB, workdir=tmp_path / "work"))
    assert list(rows) == ["alice", "bob"]
    _ok(rows["alice"], "alice.ipynb")
    assert rows["alice"].origin == "alice.ipynb" and rows["alice"].extra_files == []

    (tmp_path / "-carl.ipynb").write_text(NOTEBOOK)
    rows = _by_id(
        collect_submissions(tmp_path, NB, workdir=tmp_path / "work", id_pattern=r"^(?P<id>[^.]+)\.ipynb$")
    )
    assert list(rows) == ["-carl", "alice", "bob"]
    assert rows["-carl"].status == INVALID and "may hold only letters" in rows["-carl"].problem


def test_folder_per_student(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    (subs / "alice" / ".ipynb_checkpoints").mkdir(parents=True)
    (subs / "alice" / "03_bptt.ipynb").write_text(NOTEBOOK)
    (subs / "alice" / "scratch.ipynb").write_text(NOTEBOOK)
    (subs / "alice" / "data.csv").write_text("1,2\n")
    (subs / "alice" / ".ipynb_checkpoints" / "03_bptt-checkpoint.ipynb").write_text(NOTEBOOK)
    (subs / "bob" / "work").mkdir(parents=True)
    (subs / "bob" / "work" / "mine.ipynb").write_text(NOTEBOOK)
    (subs / "bob" / "top.txt").write_text("above the notebook: not an extra file")
    (subs / "carol").mkdir()
    (subs / "carol" / "03_bptt.pdf").write_text("%PDF")
    (subs / "dave").mkdir()
    (subs / "dave" / "a.ipynb").write_text(NOTEBOOK)
    (subs / "dave" / "b.ipynb").write_text(NOTEBOOK)
    (subs / "erin").mkdir()
    (subs / "erin.ipynb").write_text(NOTEBOOK)
    (subs / "erin" / "03_bptt.ipynb").write_text(NOTEBOOK)
    (subs / "Frank Li").mkdir()
    (subs / "Frank Li" / "03_bptt.ipynb").write_text(NOTEBOOK)
    (subs / "_ghost").mkdir()
    (subs / "_ghost" / "03_bptt.ipynb").write_text(NOTEBOOK)
    (subs / "__MACOSX" / "alice").mkdir(parents=True)
    (subs / "__MACOSX" / "alice" / "._03_bptt.ipynb").write_text("junk")
    (subs / "hana").mkdir()
    (subs / "hana" / "03_bptt.ipynb").symlink_to(subs / "alice" / "03_bptt.ipynb")

    rows = _by_id(collect_submissions(subs, NB, workdir=tmp_path / "work"))
    assert list(rows) == ["Frank_Li", "_ghost", "alice", "bob", "carol", "dave", "erin", "hana"]
    _ok(rows["alice"], "03_bptt.ipynb")
    assert rows["alice"].origin == "alice/03_bptt.ipynb"
    assert rows["alice"].extra_files == [(subs / "alice" / "data.csv").resolve()]
    _ok(rows["bob"], "mine.ipynb")  # the only notebook, under another name
    assert rows["bob"].extra_files == []
    assert rows["carol"].status == MISSING and rows["carol"].path is None
    assert "03_bptt.ipynb" in rows["carol"].problem and "03_bptt.pdf" in rows["carol"].problem
    assert (
        rows["dave"].status == INVALID
        and "a.ipynb" in rows["dave"].problem
        and "b.ipynb" in rows["dave"].problem
    )
    assert rows["erin"].status == INVALID and "several submissions" in rows["erin"].problem
    _ok(rows["Frank_Li"], "03_bptt.ipynb")
    assert rows["_ghost"].status == INVALID and "must start with a letter or digit" in rows["_ghost"].problem
    assert rows["hana"].status == INVALID and "symbolic link" in rows["hana"].problem


def test_missing_source_and_empty_student_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="do not exist"):
        collect_submissions(tmp_path / "nope", NB, workdir=tmp_path)
    (tmp_path / "subs" / "erin").mkdir(parents=True)
    [row] = collect_submissions(tmp_path / "subs", NB, workdir=tmp_path)
    assert (row.student_id, row.status, row.origin) == ("erin", MISSING, "erin/")
    assert "no notebook in erin/" in row.problem


# -- LMS exports -------------------------------------------------------------------------------


def test_canvas_export(tmp_path: Path) -> None:
    export = _zip(
        tmp_path / "submissions.zip",
        {
            "smithjohn_12345_6789012_03_bptt.ipynb": NOTEBOOK,
            "smithjohn_12345_6789013_data.csv": "1,2\n",
            "doejane_LATE_222_333_03_bptt.ipynb": NOTEBOOK,
            "doejane_LATE_222_334_03_bptt-1.ipynb": NOTEBOOK,
            "doejane_late_222_335_03_bptt-2.ipynb": NOTEBOOK,
            "roerichard_44_55_03_bptt.py": "print()",
            "readme.ipynb": NOTEBOOK,
        },
    )
    rows = _by_id(collect_submissions(export, NB, workdir=tmp_path / "work", id_pattern="canvas"))
    assert list(rows) == ["doejane", "readme", "roerichard", "smithjohn"]
    _ok(rows["smithjohn"], "smithjohn_12345_6789012_03_bptt.ipynb")
    assert rows["smithjohn"].origin == "submissions.zip:smithjohn_12345_6789012_03_bptt.ipynb"
    assert [p.name for p in rows["smithjohn"].extra_files] == ["smithjohn_12345_6789013_data.csv"]
    assert rows["smithjohn"].path.read_text() == NOTEBOOK
    assert rows["smithjohn"].path.is_relative_to((tmp_path / "work").resolve())
    _ok(rows["doejane"], "doejane_late_222_335_03_bptt-2.ipynb")  # the highest resubmission suffix
    assert rows["roerichard"].status == MISSING and "03_bptt.py" in rows["roerichard"].problem
    unmatched = rows["readme"]
    assert unmatched.status == INVALID and unmatched.path is None
    assert "does not match" in unmatched.problem and "readme.ipynb" in unmatched.problem


def test_moodle_export_with_folders_named_and_raw_patterns(tmp_path: Path) -> None:
    members = {
        "Alice Smith_123456_assignsubmission_file_/03_bptt.ipynb": NOTEBOOK,
        "Alice Smith_123456_assignsubmission_file_/words.txt": "a b\n",
        "Alice Smith_123456_assignsubmission_onlinetext_/onlinetext.html": "<p>hi</p>",
        "Bob Jones_22_assignsubmission_file_/hw/bob_03_bptt.ipynb": NOTEBOOK,
        "Bob Jones_22_assignsubmission_file_/hw/old.ipynb": NOTEBOOK,
        "José García_33_assignsubmission_file_/03_bptt.ipynb": NOTEBOOK,
        "Carol Wu_44_assignsubmission_onlinetext_/onlinetext.html": "<p>no file</p>",
    }
    export = _zip(tmp_path / "moodle.zip", members)
    rows = _by_id(collect_submissions(export, NB, workdir=tmp_path / "w", id_pattern="Moodle"))
    assert list(rows) == ["Alice_Smith", "Bob_Jones", "Carol_Wu", "Jose_Garcia"]
    _ok(rows["Alice_Smith"], "03_bptt.ipynb")
    assert rows["Alice_Smith"].origin == "moodle.zip:Alice Smith_123456_assignsubmission_file_/03_bptt.ipynb"
    assert [p.name for p in rows["Alice_Smith"].extra_files] == ["words.txt"]
    _ok(rows["Bob_Jones"], "bob_03_bptt.ipynb")  # a prefix ending in "_" still names the notebook
    _ok(rows["Jose_Garcia"], "03_bptt.ipynb")
    carol = rows["Carol_Wu"]
    assert carol.status == MISSING and "onlinetext.html" in carol.problem
    assert carol.origin == "moodle.zip:Carol Wu_44_assignsubmission_onlinetext_/"

    raw = r"(?:^|/)[^/]*_(?P<id>\d+)_assignsubmission_"
    rows = _by_id(collect_submissions(export, NB, workdir=tmp_path / "w", id_pattern=raw))
    assert list(rows) == ["123456", "22", "33", "44"]
    _ok(rows["123456"], "03_bptt.ipynb")


def test_blackboard_export_takes_the_latest_attempt(tmp_path: Path) -> None:
    export = _zip(
        tmp_path / "gradebook.zip",
        {
            "Assignment 3_jsmith_attempt_2026-11-20-10-15-00_03_bptt.ipynb": '{"first": 1}',
            "Assignment 3_jsmith_attempt_2026-11-21-09-00-00_03_bptt.ipynb": NOTEBOOK,
            "Assignment 3_jsmith_attempt_2026-11-21-09-00-00.txt": "Name: J Smith",
            "Assignment 3_akim_attempt_2026-11-20-10-15-00_answers.ipynb": NOTEBOOK,
            "Assignment 3_bo.li_attempt_2026-11-19-10-15-00_notes.ipynb": NOTEBOOK,
            "Assignment 3_bo.li_attempt_2026-11-19-10-15-00_work.ipynb": NOTEBOOK,
        },
    )
    rows = _by_id(collect_submissions(export, NB, workdir=tmp_path / "w", id_pattern="blackboard"))
    assert list(rows) == ["akim", "bo.li", "jsmith"]
    _ok(rows["jsmith"], "Assignment 3_jsmith_attempt_2026-11-21-09-00-00_03_bptt.ipynb")
    assert rows["jsmith"].path.read_text() == NOTEBOOK
    assert [p.name for p in rows["jsmith"].extra_files] == [
        "Assignment 3_jsmith_attempt_2026-11-21-09-00-00.txt"
    ]
    _ok(rows["akim"], "Assignment 3_akim_attempt_2026-11-20-10-15-00_answers.ipynb")
    assert rows["bo.li"].status == INVALID and "several candidate notebooks" in rows["bo.li"].problem


def test_zip_default_mapping_wrappers_and_junk(tmp_path: Path) -> None:
    export = _zip(
        tmp_path / "class.zip",
        {
            "export/class/alice/03_bptt.ipynb": NOTEBOOK,
            "export/class/alice/.ipynb_checkpoints/03_bptt-checkpoint.ipynb": NOTEBOOK,
            "export/class/alice/img/fig.png": b"\x89PNG",
            "export/class/bob.ipynb": NOTEBOOK,
            "export/class/carol/": b"",
            "__MACOSX/export/class/._bob.ipynb": b"\x00\x05",
            "export/.DS_Store": b"\x00",
        },
    )
    rows = _by_id(collect_submissions(export, NB, workdir=tmp_path / "w"))
    assert list(rows) == ["alice", "bob", "carol"]
    _ok(rows["alice"], "03_bptt.ipynb")
    assert rows["alice"].origin == "class.zip:export/class/alice/03_bptt.ipynb"
    assert [p.name for p in rows["alice"].extra_files] == ["fig.png"]
    _ok(rows["bob"], "bob.ipynb")
    assert rows["carol"].status == MISSING
    assert not list((tmp_path / "w").rglob("__MACOSX")) and not list((tmp_path / "w").rglob("*checkpoint*"))

    # One student's folder is a student, not a wrapper; running again re-extracts into the same place.
    single = _zip(tmp_path / "one.zip", {"alice/03_bptt.ipynb": NOTEBOOK, "alice/scratch.ipynb": NOTEBOOK})
    for _ in range(2):
        [row] = collect_submissions(single, NB, workdir=tmp_path / "w")
        assert row.student_id == "alice"
        _ok(row, "03_bptt.ipynb")


def test_non_utf8_member_names(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "legacy.zip",
        {"MXller/03_bptt.ipynb": NOTEBOOK, "JosYY/03_bptt.ipynb": NOTEBOOK, "plain/03_bptt.ipynb": NOTEBOOK},
    )
    data = path.read_bytes()
    # Placeholders replaced in local headers and central directory, without the UTF-8 flag (0x800):
    # "M\x81ller" is cp437 for "Müller"; "Jos\xc3\xa9" is UTF-8 for "José" written without the flag.
    data = data.replace(b"MXller", b"M\x81ller").replace(b"JosYY", b"Jos\xc3\xa9")
    path.write_bytes(data)
    with zipfile.ZipFile(path) as zf:
        assert not any(i.flag_bits & 0x800 for i in zf.infolist())
    rows = _by_id(collect_submissions(path, NB, workdir=tmp_path / "w"))
    assert list(rows) == ["Jose", "Muller", "plain"]
    assert rows["Muller"].origin == "legacy.zip:Müller/03_bptt.ipynb"
    assert rows["Jose"].origin == "legacy.zip:José/03_bptt.ipynb"
    for row in rows.values():
        _ok(row, "03_bptt.ipynb")


# -- unsafe and broken zips --------------------------------------------------------------------


def test_zip_slip_members(tmp_path: Path) -> None:
    work = tmp_path / "deep" / "work"
    attributed = _zip(
        tmp_path / "a.zip",
        {"alice/../../../evil.txt": "x", "alice/03_bptt.ipynb": NOTEBOOK, "bob/03_bptt.ipynb": NOTEBOOK},
    )
    rows = _by_id(collect_submissions(attributed, NB, workdir=work))
    assert rows["alice"].status == INVALID and "leaves the folder" in rows["alice"].problem
    _ok(rows["bob"], "03_bptt.ipynb")
    assert not list(tmp_path.rglob("evil.txt"))

    for name in ("../evil.ipynb", "/etc/evil.ipynb", "C:/evil.ipynb", "..\\evil.ipynb"):
        stray = _zip(tmp_path / "b.zip", {name: NOTEBOOK, "bob/03_bptt.ipynb": NOTEBOOK})
        with pytest.raises(ValueError, match="refusing to extract.*belongs to no student"):
            collect_submissions(stray, NB, workdir=work)
    assert not list(tmp_path.rglob("evil*"))

    canvas = _zip(
        tmp_path / "c.zip", {"../smithjohn_1_2_03_bptt.ipynb": NOTEBOOK, "doejane_3_4_03_bptt.ipynb": "{}"}
    )
    rows = _by_id(collect_submissions(canvas, NB, workdir=work, id_pattern="canvas"))
    assert rows["smithjohn"].status == INVALID and "leaves the folder" in rows["smithjohn"].problem
    _ok(rows["doejane"], "doejane_3_4_03_bptt.ipynb")


def test_symlink_member_is_not_extracted(tmp_path: Path) -> None:
    path = tmp_path / "links.zip"
    with zipfile.ZipFile(path, "w") as zf:
        link = zipfile.ZipInfo("bob/03_bptt.ipynb")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("alice/03_bptt.ipynb", NOTEBOOK)
    rows = _by_id(collect_submissions(path, NB, workdir=tmp_path / "w"))
    assert rows["bob"].status == INVALID and "symbolic link" in rows["bob"].problem
    _ok(rows["alice"], "03_bptt.ipynb")
    assert not [p for p in (tmp_path / "w").rglob("*") if p.is_symlink()]
    assert not (tmp_path / "w" / "links" / "bob").exists()


def test_size_and_count_limits(tmp_path: Path) -> None:
    big = NOTEBOOK + " " * 5000
    path = _zip(tmp_path / "big.zip", {"alice/03_bptt.ipynb": big, "bob/03_bptt.ipynb": NOTEBOOK})
    rows = _by_id(collect_submissions(path, NB, workdir=tmp_path / "w", max_member_bytes=1000))
    assert rows["alice"].status == INVALID and "limit of 1000" in rows["alice"].problem
    _ok(rows["bob"], "03_bptt.ipynb")
    assert not (tmp_path / "w" / "big" / "alice").exists()

    with pytest.raises(ValueError, match="more than the limit of 2000"):
        collect_submissions(path, NB, workdir=tmp_path / "w", max_total_bytes=2000)
    with pytest.raises(ValueError, match="2 members, more than the limit of 1"):
        collect_submissions(path, NB, workdir=tmp_path / "w", max_members=1)


def test_duplicate_members_make_the_student_invalid(tmp_path: Path) -> None:
    path = tmp_path / "dup.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate name
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("alice/03_bptt.ipynb", NOTEBOOK)
            zf.writestr("alice/03_bptt.ipynb", NOTEBOOK)
            zf.writestr("bob/03_bptt.ipynb", NOTEBOOK)
    rows = _by_id(collect_submissions(path, NB, workdir=tmp_path / "w"))
    assert rows["alice"].status == INVALID and "same name" in rows["alice"].problem
    _ok(rows["bob"], "03_bptt.ipynb")


def test_corrupt_and_truncated_zips(tmp_path: Path) -> None:
    good = _zip(tmp_path / "good.zip", {"alice/03_bptt.ipynb": NOTEBOOK * 50, "bob/03_bptt.ipynb": NOTEBOOK})
    data = good.read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a readable zip file.*truncated or corrupt"):
        collect_submissions(truncated, NB, workdir=tmp_path / "w")
    text = tmp_path / "notes.zip"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a readable zip file"):
        collect_submissions(text, NB, workdir=tmp_path / "w")

    # A damaged member spoils only its student.
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("alice/03_bptt.ipynb")
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    damaged = bytearray(data)
    damaged[start + 5 : start + 15] = b"\xff" * 10
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(damaged))
    rows = _by_id(collect_submissions(bad, NB, workdir=tmp_path / "w"))
    assert rows["alice"].status == INVALID and "corrupt" in rows["alice"].problem
    _ok(rows["bob"], "03_bptt.ipynb")


def test_workdir_that_holds_something_else_is_refused(tmp_path: Path) -> None:
    path = _zip(tmp_path / "class.zip", {"alice.ipynb": NOTEBOOK, "bob.ipynb": NOTEBOOK})
    (tmp_path / "w" / "class").mkdir(parents=True)
    (tmp_path / "w" / "class" / "precious.txt").write_text("keep me")
    with pytest.raises(ValueError, match="was not made by an earlier collection"):
        collect_submissions(path, NB, workdir=tmp_path / "w")
    assert (tmp_path / "w" / "class" / "precious.txt").read_text() == "keep me"


# -- ids and patterns --------------------------------------------------------------------------


def test_sanitise_student_id() -> None:
    assert sanitise_student_id("Full Name") == "Full_Name"
    assert sanitise_student_id("  José  García ") == "Jose_Garcia"
    assert sanitise_student_id("o'brien+pat") == "o_brien_pat"
    assert sanitise_student_id("Ann.Lee@uni.edu") == "Ann.Lee@uni.edu"
    assert sanitise_student_id("MixedCase") == "MixedCase"
    for unsafe in ("", "..", ".", "日本"):
        sid = sanitise_student_id(unsafe)
        assert sid and sid not in (".", "..") and "/" not in sid
        assert not STUDENT_ID.match(sid)


def test_id_patterns() -> None:
    assert set(ID_PATTERNS) == {"canvas", "moodle", "blackboard"}
    assert resolve_id_pattern(None) is None
    assert resolve_id_pattern("CANVAS").pattern == ID_PATTERNS["canvas"]
    assert resolve_id_pattern(r"^(?P<id>\w+)_").search("abc_1").group("id") == "abc"
    with pytest.raises(ValueError, match="named group 'id'"):
        resolve_id_pattern(r"^(\w+)_")
    with pytest.raises(ValueError, match="neither a known name"):
        resolve_id_pattern("canvas(")
    cases = {
        "canvas": ("smithjohn_LATE_12345_6789012_03_bptt-1.ipynb", "smithjohn"),
        "moodle": ("Full Name_123456_assignsubmission_file_03_bptt.ipynb", "Full Name"),
        "blackboard": ("Assignment_3_jsmith_attempt_2026-11-20-10-15-00_03_bptt.ipynb", "jsmith"),
    }
    for name, (member, expected) in cases.items():
        assert resolve_id_pattern(name).search(member).group("id") == expected
