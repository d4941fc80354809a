"""The notebook sources: jupytext pairs in sync, ``rnnlm course lint`` clean and naming each fault,
and a notebook saved in JupyterLab updating its ``.py`` source.

The notebooks themselves run under nbval (see the top-level conftest.py).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from rnnlm import cli
from rnnlm.course.lint import PAIRING, SYNC_COMMAND, lint_sources, twin_path
from rnnlm.course.notebooks import find_solutions

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = find_solutions(ROOT / "solutions")
SAMPLE = "02_rnn_forward.ipynb"


def test_every_solution_notebook_has_its_jupytext_source() -> None:
    assert SOLUTIONS, "no source notebooks in solutions/"
    for nb in SOLUTIONS:
        assert twin_path(nb.path).is_file(), f"{nb.filename} has no {twin_path(nb.path).name}"
    assert not (ROOT / "solutions" / "_build").exists(), "notebooks are no longer written by builder scripts"


def test_course_lint_is_clean_on_the_course(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["course", "lint", "--root", str(ROOT)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert f"{len(SOLUTIONS)} notebook(s), clean" in out


def _copy_pair(folder: Path) -> None:
    for suffix in (".ipynb", ".py"):
        name = Path(SAMPLE).with_suffix(suffix)
        shutil.copy(ROOT / "solutions" / name, folder / name)


@pytest.fixture()
def copy(tmp_path: Path) -> Path:
    """A solutions folder with a copy of notebook 02's pair (clean)."""
    folder = tmp_path / "solutions"
    folder.mkdir()
    _copy_pair(folder)
    assert lint_sources(folder).problems == []
    return folder


def _edit(folder: Path, change) -> None:  # noqa: ANN001 - a function of the notebook
    """Apply ``change`` to the notebook and write it back to both files of the pair (still in sync)."""
    path = folder / SAMPLE
    nb = nbformat.read(str(path), as_version=4)
    change(nb)
    jupytext.write(nb, str(twin_path(path)), fmt="py:percent")
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")  # as written, ids not "corrected"


def _index(nb, grade_id: str) -> int:  # noqa: ANN001
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    return ids.index(grade_id)


def test_lint_finds_a_pair_out_of_sync_and_names_the_command(copy: Path) -> None:
    path = copy / SAMPLE
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[0].source += "\n\nAn edit saved without jupytext."
    nbformat.write(nb, str(path))
    problems = lint_sources(copy).problems
    assert problems == [f"{SAMPLE} and {twin_path(path).name} are out of sync: run '{SYNC_COMMAND}' "
                        "(jupytext --sync keeps the one edited last)"]


def test_lint_finds_a_missing_or_unpaired_twin(copy: Path) -> None:
    path = copy / SAMPLE
    nb = nbformat.read(str(path), as_version=4)
    del nb.metadata["jupytext"]
    nbformat.write(nb, str(path))
    jupytext.write(nb, str(twin_path(path)), fmt="py:percent")
    assert any(f"expected {PAIRING!r}" in p for p in lint_sources(copy).problems)
    twin_path(path).unlink()
    missing = f"{SAMPLE}: its jupytext source {twin_path(path).name} is missing; run '{SYNC_COMMAND}'"
    assert lint_sources(copy).problems == [missing]
    (copy / "05_orphan.py").write_text("# %%\nx = 1\n")
    assert any(p.startswith("05_orphan.py: no notebook") for p in lint_sources(copy).problems)


def test_lint_names_the_answer_cell_whose_check_cell_is_missing(copy: Path) -> None:
    def drop_check(nb) -> None:  # noqa: ANN001
        del nb.cells[_index(nb, "nb02_softmax") + 1]

    _edit(copy, drop_check)
    problems = lint_sources(copy).problems
    assert len(problems) == 1, problems
    assert "(nb02_softmax) must be followed by a free code cell" in problems[0]
    assert 'rnnlm.check("nb02_softmax")' in problems[0]


@pytest.mark.filterwarnings("ignore::nbformat.warnings.DuplicateCellId")  # what nbformat says on reading it
def test_lint_names_bad_grade_ids_duplicate_cell_ids_and_outputs(copy: Path) -> None:
    def damage(nb) -> None:  # noqa: ANN001
        nb.cells[_index(nb, "nb02_intro")].metadata["nbgrader"]["grade_id"] = "intro"
        nb.cells[3]["id"] = nb.cells[2]["id"]
        setup = nb.cells[_index(nb, "nb02_setup")]
        setup.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]

    _edit(copy, damage)
    problems = "\n".join(lint_sources(copy).problems)
    assert "grade id 'intro' should read 'nb02_name'" not in problems  # a markdown cell without grade
    duplicate = json.loads((copy / SAMPLE).read_text())["cells"][2]["id"]
    assert f"02_rnn_forward.ipynb: cell 3 (nb02_load_corpus) has the id {duplicate!r} of cell 2" in problems
    assert "(nb02_setup) has 1 output(s); clear outputs before committing" in problems

    def bad_prefix(nb) -> None:  # noqa: ANN001
        nb.cells[_index(nb, "nb02_softmax_test")].metadata["nbgrader"]["grade_id"] = "nb03_softmax_test"

    _edit(copy, bad_prefix)
    problems = "\n".join(lint_sources(copy).problems)
    assert "grade id 'nb03_softmax_test' should read 'nb02_name'" in problems
    assert "(nb02_softmax) is an answer cell without a test cell nb02_softmax_test" in problems


def test_saving_the_notebook_in_jupyterlab_updates_its_source(tmp_path: Path) -> None:
    """What JupyterLab does on save, through the contents manager jupytext installs in the server."""
    import asyncio

    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
    from jupytext.async_contentsmanager import build_async_jupytext_contents_manager_class

    _copy_pair(tmp_path)
    manager = build_async_jupytext_contents_manager_class(AsyncLargeFileManager)(root_dir=str(tmp_path))

    async def open_edit_save() -> None:
        model = await manager.get(SAMPLE)
        model["content"]["cells"][0]["source"] += "\n\nA sentence an instructor added in JupyterLab."
        await manager.save(model, SAMPLE)

    asyncio.run(open_edit_save())
    text = (tmp_path / SAMPLE).with_suffix(".py").read_text(encoding="utf-8")
    assert "# A sentence an instructor added in JupyterLab." in text
    assert lint_sources(tmp_path).problems == []


def test_the_kit_installs_jupytext_into_the_jupyter_server() -> None:
    config = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d" / "jupytext.json"
    assert config.is_file(), f"{config} missing: jupytext's server extension is not installed"
    assert json.loads(config.read_text())["ServerApp"]["jpserver_extensions"]["jupyterlab_jupytext"] is True
