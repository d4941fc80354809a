"""The project's packaging: pins agree, the console script answers, the device picker behaves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

import rnnlm
from rnnlm import cli

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^\s*-\s+([A-Za-z0-9_.\-]+==[^\s#]+)\s*$")


def _pyproject_pins() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = data["project"]
    pins = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        pins.extend(extra)
    return {p.replace(" ", "").lower() for p in pins}


def _environment_pins() -> set[str]:
    pins = set()
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = PIN.match(line)
        if m:
            pins.add(m.group(1).lower())
    return pins


def test_every_dependency_is_pinned_exactly() -> None:
    pins = _pyproject_pins()
    assert pins, "pyproject.toml lists no dependencies"
    loose = sorted(p for p in pins if "==" not in p)
    assert not loose, f"dependencies without an exact pin: {loose}"
    assert "torch==2.13.0" in pins


def test_environment_yml_matches_pyproject() -> None:
    py, env = _pyproject_pins(), _environment_pins()
    assert py - env == set(), f"in pyproject.toml but not environment.yml: {sorted(py - env)}"
    assert env - py == set(), f"in environment.yml but not pyproject.toml: {sorted(env - py)}"


def test_console_script_help_lists_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "rnnlm.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("data", "ngram"):
        assert command in out, f"'rnnlm --help' does not list the {command!r} command:\n{out}"


def test_cli_without_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "usage" in capsys.readouterr().out


def test_fast_mode_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNLM_FAST", "1")
    assert rnnlm.fast_mode()
    monkeypatch.setenv("RNNLM_FAST", "0")
    assert not rnnlm.fast_mode()
    monkeypatch.delenv("RNNLM_FAST")
    assert not rnnlm.fast_mode()


def test_device_picker_defaults_to_an_available_device() -> None:
    import torch

    dev = rnnlm.device()
    assert isinstance(dev, torch.device)
    torch.zeros(1, device=dev)  # usable
    assert rnnlm.device("cpu") == torch.device("cpu")
    assert rnnlm.device("auto") == dev


def test_device_picker_rejects_missing_accelerator() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is present: the error path cannot be exercised here")
    with pytest.raises(ValueError, match="CUDA is not available"):
        rnnlm.device("cuda")


def test_exercise_marker_validates_grade_ids() -> None:
    from rnnlm._exercise import EXERCISES, exercise, notebook_of

    @exercise("nb99_example_function")
    def example() -> int:
        return 1

    assert example() == 1
    suffix = ":test_exercise_marker_validates_grade_ids.<locals>.example"
    (target,) = EXERCISES["nb99_example_function"]
    assert target.endswith(suffix)
    assert notebook_of("nb99_example_function") == 99
    del EXERCISES["nb99_example_function"]
    with pytest.raises(ValueError, match="grade id"):
        exercise("rnn_step")


def test_ruff_is_clean_on_the_library_tests_and_notebook_code() -> None:
    """`make lint`'s ruff, notebook code included (ruff reads the .ipynb files cell by cell)."""
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip(f"ruff is not installed beside {sys.executable} (a dev dependency)")
    run = subprocess.run([str(ruff), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    listed = subprocess.run([str(ruff), "check", "--no-cache", "--show-files", "."], cwd=ROOT,
                            capture_output=True, text=True).stdout
    notebooks = sorted((ROOT / "solutions").glob("*.ipynb")) + sorted((ROOT / "notebooks").glob("*.ipynb"))
    for notebook in notebooks:
        assert str(notebook) in listed, f"ruff does not read {notebook.relative_to(ROOT)}"


def test_uses_exercises_reports_an_unfinished_exercise_and_lets_other_errors_through(capsys) -> None:
    def rnn_step_forward() -> None:
        raise NotImplementedError()

    with rnnlm.uses_exercises():
        rnn_step_forward()
    assert "rnn_step_forward still raises NotImplementedError" in capsys.readouterr().out
    with rnnlm.uses_exercises():
        print(undefined_in_this_test)  # noqa: F821 - a variable an earlier cell never set
    assert "a cell above did not finish" in capsys.readouterr().out
    with pytest.raises(ValueError, match="a real bug"), rnnlm.uses_exercises():
        raise ValueError("a real bug")
