"""The two JupyterLabs in a real browser: `make lab` for students, `make author` for instructors.

Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) drives the labs that ``lab/run``
starts, with ``make lab``'s and ``make author``'s own configuration, on copies of the notebooks. For
the first and the last student notebook in ``notebooks/`` (found, not listed: a new notebook is the
last; ``RNNLM_BROWSER_ALL=1`` takes every one; nbval and the bundle tests run every student notebook
to the end outside the browser), in fast mode: Run All Cells reaches the last cell; the only errors
are the test cells of the (unanswered) exercises; the math renders without MathJax errors; every
plot cell shows an image, or says which exercise it waits for; every check cell prints NOT DONE.
Then the first exercise's answer, taken from the matching ``solutions/`` notebook, is typed into its
cell and run with its check cell (PASSED) and its test cell (no error). A screenshot of each
notebook lands in ``build/browser/``.

Skipped, with the reason, where Chromium, chromedriver or selenium is missing
(``apt-get install chromium chromium-driver``; ``.ci/run`` installs them as root).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser_lab import ROOT, LabPage, LabServer, chromium, missing_browser, start_lab, wait_for

from rnnlm.course.nbcourse import notebook_environment
from rnnlm.course.notebooks import NOTEBOOK_FILE, exercises

_MISSING = missing_browser()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(_MISSING is not None, reason=f"browser tests skipped: {_MISSING}"),
]

NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if NOTEBOOK_FILE.match(p.name))
#: The notebooks run in the browser: the first and the last (each Run All costs 20-40 s), every one
#: with RNNLM_BROWSER_ALL=1.
IN_BROWSER = (NOTEBOOKS if os.environ.get("RNNLM_BROWSER_ALL") == "1"
              else sorted({*NOTEBOOKS[:1], *NOTEBOOKS[-1:]}))
SCREENSHOTS = ROOT / "build" / "browser"

#: A whole notebook's Run All, in fast mode (the budget is 90 s on an idle 2-core machine; a shared
#: one is slower), and one cell.
RUN_ALL_TIMEOUT_S = 600
CELL_TIMEOUT_S = 120

#: nbgrader's instructor tools, which the student lab must not load (page plugins and server parts).
INSTRUCTOR_PLUGINS = ("@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader",
                      "@jupyter/nbgrader:course-list")
INSTRUCTOR_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader",
                                "nbgrader.server_extensions.course_list")
NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"
CREATE_ASSIGNMENT_TAB = "nbgrader-create_assignemnt"  # (sic) the widget id nbgrader gives its panel
NO_CONFIG_LINE = "No nbgrader_config.py file found"

PLOT_CALL = re.compile(r"\bplots\.\w+\(")
CHECK_CALL = re.compile(r"^\s*rnnlm\.check\(\s*['\"](\w+)['\"]\s*\)\s*$")
#: What a demonstration cell prints instead of its figure while an exercise it runs is not done.
WAITS_FOR_EXERCISE = re.compile(r"NOT DONE|not written yet|finish exercise", re.IGNORECASE)
SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def _has_math(markdown: str) -> bool:
    """Whether a markdown source holds TeX ($...$, $$...$$, \\(...\\), \\[...\\]) outside code."""
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    return bool(re.search(r"\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\]", prose, flags=re.S))


def _errors(nb: Any) -> dict[int, str]:
    """Cell index -> 'ename: evalue' of every error output in a saved notebook."""
    found = {}
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.output_type == "error":
                found[index] = f"{out.ename}: {out.evalue}"[:200]
    return found


def _solution_body(notebook: Path, grade_id: str) -> str:
    """The answer cell ``grade_id`` of the solution notebook, without nbgrader's solution markers."""
    source = nbformat.read(notebook, as_version=4)
    for cell in source.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return "\n".join(ln for ln in cell.source.splitlines() if not SOLUTION_MARKER.match(ln))
    raise AssertionError(f"{notebook.name} has no cell {grade_id!r}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LabServer]]:
    """`make lab`'s server on a copy of notebooks/, its kernels in fast mode (the grader's environment),
    and `make author`'s on a copy of solutions/ (the jupytext pairs), in the user's environment.
    Both start at once (a server takes seconds to import its extensions)."""
    plain = dict(os.environ)
    with notebook_environment():
        servers = {
            "student": start_lab("student", ROOT / "notebooks", tmp_path_factory.mktemp("student-lab")),
            "author": start_lab("author", ROOT / "solutions", tmp_path_factory.mktemp("author-lab"),
                                env=plain, patterns=("*.ipynb", "*.py")),
        }
        try:
            for server in servers.values():
                server.wait_ready()
            yield servers
        finally:
            for server in servers.values():
                server.stop()


@pytest.fixture(scope="module")
def student_lab(labs: dict[str, LabServer]) -> LabServer:
    """The student lab (`make lab`)."""
    return labs["student"]


@pytest.fixture(scope="module")
def author_lab(labs: dict[str, LabServer]) -> LabServer:
    """The instructors' lab (`make author`)."""
    return labs["author"]


def test_notebooks_are_found() -> None:
    assert NOTEBOOKS, "no student notebooks NN_topic.ipynb in notebooks/"


@pytest.mark.parametrize("notebook", IN_BROWSER, ids=lambda p: p.stem)
def test_student_notebook_runs_in_the_browser(notebook: Path, student_lab: LabServer, browser: Any,
                                               record_notebook_seconds) -> None:
    """Run All in the student lab, then answer the first exercise and see it pass."""
    nb = nbformat.read(notebook, as_version=4)
    served = student_lab.folder / notebook.name
    page = LabPage(browser, student_lab)
    page.console_errors()  # forget what earlier pages logged
    try:
        page.open_notebook(notebook.name)
        start = time.perf_counter()
        page.run_all(len(nb.cells), RUN_ALL_TIMEOUT_S)
        record_notebook_seconds("browser Run All", f"notebooks/{notebook.name}", time.perf_counter() - start)
        shown = page.cells()
        page.save(served)
        saved = nbformat.read(served, as_version=4)
        problems = _run_all_problems(nb, shown, saved)

        problems += _answer_first_exercise(page, notebook, nb, served)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / f"{notebook.stem}.png"))
        problems += [f"browser console: {m[:300]}" for m in page.console_errors() if "beforeunload" not in m]
        assert not problems, f"{notebook.name} in the student lab:\n  " + "\n  ".join(problems)
    finally:
        student_lab.shutdown_kernels()


def _run_all_problems(nb: Any, shown: list[dict[str, Any]], saved: Any) -> list[str]:
    """What is wrong with a notebook after Run All (empty when all is well)."""
    problems: list[str] = []
    if len(shown) != len(nb.cells):
        return [f"the page shows {len(shown)} cells, the notebook has {len(nb.cells)}"]
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    unrun = [i for i in code if not re.match(r"^\[\d+\]:$", shown[i]["prompt"])]
    if unrun:
        problems.append(f"Run All did not reach the last cell: cells {unrun} did not run "
                        f"(prompts {[shown[i]['prompt'] for i in unrun[:5]]})")
    tests = {i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata.get("nbgrader", {}).get("solution")}
    errors = _errors(saved)
    for i in sorted(set(errors) - tests):
        problems.append(f"cell {i} raised {errors[i]} (only the exercises' test cells may)")
    for i in sorted(tests - set(errors)):
        grade_id = nb.cells[i].metadata["nbgrader"].get("grade_id")
        problems.append(f"test cell {i} ({grade_id}) passes with its exercise unanswered")
    for i, cell in enumerate(nb.cells):
        view = shown[i]
        if view["math_errors"]:
            problems.append(f"cell {i}: {view['math_errors']} MathJax error(s)")
        if cell.cell_type == "markdown" and _has_math(cell.source):
            if not view["math"]:
                problems.append(f"cell {i}: its math is not rendered")
            elif "$" in view["rendered_text"]:
                left = view["rendered_text"][:120]
                problems.append(f"cell {i}: a '$' is left in the rendered text: {left!r}")
        if cell.cell_type != "code":
            continue
        text = "\n".join(o["text"] for o in view["outputs"])
        if PLOT_CALL.search(cell.source) and not view["images"] and not WAITS_FOR_EXERCISE.search(text):
            problems.append(f"plot cell {i} shows no image (output: {text[:160]!r})")
        if CHECK_CALL.match(cell.source) and "NOT DONE" not in text:
            problems.append(f"check cell {i} does not print NOT DONE (output: {text[:160]!r})")
    return problems


def _answer_first_exercise(page: LabPage, notebook: Path, nb: Any, served: Path) -> list[str]:
    """Type the solution of the notebook's first exercise, run it, its check and its test cell."""
    found = exercises(nb)
    if not found:
        return []
    first = found[0]
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(nb.cells)}
    checks = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
              and (m := CHECK_CALL.match(c.source)) and m.group(1) == first.answer_id]
    if not checks:
        return [f"no check cell rnnlm.check({first.answer_id!r})"]
    check, tests = checks[0], [by_id[t] for t in first.test_ids]
    answer = _solution_body(ROOT / "solutions" / notebook.name, first.answer_id)
    page.type_into(first.answer_index, answer)
    for index in [first.answer_index, check, *tests]:
        page.run_cell(index, CELL_TIMEOUT_S)
    shown = page.cells()
    page.save(served)
    saved = nbformat.read(served, as_version=4)
    typed = saved.cells[first.answer_index].source
    if typed.rstrip() != answer.rstrip():
        return [f"the answer typed into cell {first.answer_index} reads {typed[:300]!r}"]
    problems = []
    check_text = "\n".join(o["text"] for o in shown[check]["outputs"])
    if "PASSED" not in check_text:
        problems.append(f"check cell {check} after answering {first.answer_id}: {check_text[:300]!r}")
    errors = _errors(saved)
    problems += [f"test cell {i} fails with {first.answer_id} answered: {errors[i]}"
                 for i in tests if i in errors]
    page.scroll_to(check)
    return problems


def test_student_lab_has_no_instructor_tools(student_lab: LabServer, browser: Any) -> None:
    """No Create Assignment, Formgrader or Courses, no news prompt; Validate works and finds its config."""
    # A one-cell notebook with nothing to grade: quick to open and to validate.
    probe = "validate_probe.ipynb"
    kernelspec = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    cells = [nbformat.v4.new_code_cell("1 + 1")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernelspec}),
                   student_lab.folder / probe)
    page = LabPage(browser, student_lab)
    try:
        page.open_notebook(probe, 1)
        disabled = page.page_config().get("disabledExtensions", [])
        assert set(INSTRUCTOR_PLUGINS) | {NEWS_PLUGIN} <= set(disabled), disabled
        assert CREATE_ASSIGNMENT_TAB not in page.sidebar_tabs(), page.sidebar_tabs()
        assert "Nbgrader" not in page.menubar(), page.menubar()
        toolbar = page.js("return document.querySelector('.jp-NotebookPanel-toolbar').textContent")
        assert "Validate" in toolbar, toolbar
        status, _ = student_lab.api("formgrader/api/assignments")
        assert status == 404, f"the student lab's server answers the formgrader's API ({status})"
        time.sleep(1)  # the news prompt, where it is enabled, shows once the page is restored
        assert not [t for t in page.toasts() if "news" in t.lower()], page.toasts()
        # what the Validate button asks of the server: it runs, with lab/student's nbgrader config
        status, result = student_lab.api("assignments/validate", method="POST", body={"path": probe})
        assert status == 200 and result["success"], result
        log = student_lab.log()
        assert NO_CONFIG_LINE not in log, log
        for extension in INSTRUCTOR_SERVER_EXTENSIONS:
            assert f"{extension} | extension was successfully loaded" not in log, log
        assert "validate_assignment | extension was successfully loaded" in log, log
    finally:
        student_lab.shutdown_kernels()


def test_author_lab_has_create_assignment(author_lab: LabServer, browser: Any) -> None:
    """The instructors' lab: Create Assignment on a solution notebook, the Formgrader, jupytext's pairing."""
    page = LabPage(browser, author_lab)
    notebook = sorted(p for p in (ROOT / "solutions").glob("*.ipynb") if NOTEBOOK_FILE.match(p.name))[0]
    nb = nbformat.read(notebook, as_version=4)
    try:
        page.open_notebook(notebook.name, len(nb.cells))
        tabs = page.sidebar_tabs()
        assert tabs.get(CREATE_ASSIGNMENT_TAB) == "Create Assignment", tabs
        assert "Nbgrader" in page.menubar(), page.menubar()

        page.open_sidebar_tab(CREATE_ASSIGNMENT_TAB)

        def cell_types() -> list[str] | None:
            """The nbgrader cell types the panel shows, once it shows answers and tests."""
            types = page.js("return [...document.querySelectorAll('.nbgrader-CellType select')]"
                            ".map((s) => s.options[s.selectedIndex].text)")
            return types if {"Autograded answer", "Autograded tests"} <= set(types) else None

        kinds = wait_for(cell_types, 30, "Create Assignment's cell types on the solution notebook")
        expected = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells} - {None}
        assert sum(k != "-" for k in kinds) == len(expected), (kinds, sorted(expected))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / "author.png"))
        # jupytext: saving the notebook in this lab rewrites its .py twin
        twin = author_lab.folder / notebook.with_suffix(".py").name
        before = twin.stat().st_mtime_ns
        page.save(author_lab.folder / notebook.name)
        wait_for(lambda: twin.stat().st_mtime_ns != before, 30, f"jupytext to write {twin.name} on saving")
        status, assignments = author_lab.api("formgrader/api/assignments")
        assert status == 200 and isinstance(assignments, list), (status, assignments)
        log = author_lab.log()
        assert NO_CONFIG_LINE not in log, log
        assert "Unwritable directory" not in log, log
    finally:
        author_lab.shutdown_kernels()

