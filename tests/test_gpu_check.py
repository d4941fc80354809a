"""``make gpu-check``: the one prepared GPU run. Here (no CUDA) it must say so and exit 0."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(torch.cuda.is_available(), reason="with CUDA, `make gpu-check` itself is the test")
def test_without_cuda_the_gpu_check_says_so_and_exits_0(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "gpu_check.py"), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "no CUDA device" in done.stdout and "still owed" in done.stdout
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert report["cuda"] is False and report["steps"] == []


def test_every_cuda_test_is_marked_so_the_gpu_check_runs_it() -> None:
    """A test that skips without CUDA but lacks the ``cuda`` marker would never run in the check."""
    unmarked = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if "skipif(not torch.cuda.is_available()" in line:
                window = "\n".join(lines[max(0, i - 3) : i + 3])
                if "pytest.mark.cuda" not in window:
                    unmarked.append(f"{path.name}:{i + 1}")
    assert not unmarked, unmarked
