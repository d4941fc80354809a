"""Each solution notebook is generated from its script in solutions/_build and must be in sync."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILDERS = sorted((ROOT / "solutions" / "_build").glob("nb[0-9][0-9].py"))


def test_every_solution_notebook_has_a_builder() -> None:
    notebooks = sorted(p.name[:2] for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    builders = sorted(p.stem[2:] for p in BUILDERS)
    assert notebooks and notebooks == builders, f"notebooks {notebooks} vs builders {builders}"


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda p: p.stem)
def test_solution_notebook_matches_its_builder(builder: Path) -> None:
    run = subprocess.run([sys.executable, str(builder), "--check"], capture_output=True, text=True)
    assert run.returncode == 0, (
        f"{builder.name} --check failed: regenerate with 'python {builder.relative_to(ROOT)}'\n"
        f"{run.stdout}{run.stderr}"
    )
