"""The kit's one prepared GPU check: everything that needs CUDA, in one short run (``make gpu-check``).

Usage::

    python bench/gpu_check.py [--out build/gpu-check] [--train-seconds 60]

On a machine with CUDA it runs, in this order, each step with its own time limit so the whole
check stays under 8 minutes:

1. the CUDA tests (``pytest -m cuda``): among them NumPy against PyTorch on the GPU, the RNN LM's
   loss and every gradient in float64 from the same weights and batch, on both paths (the cell loop
   and cuDNN); every test marked ``cuda`` joins, so later PyTorch parts join by their marker;
2. ``bench/rnn.py`` (its CUDA rows: float32 and bfloat16 autocast against the CPU);
3. ``bench/class_softmax.py`` (the output layer alone: the class softmax for every C, the full and
   the adaptive softmax, on CUDA beside the CPU; no NumPy rows);
4. a timed slice of training, ``rnnlm train --device cuda`` for ``--train-seconds`` on PTB
   (``$RNNLM_DATA``) or else the embedded corpus, reporting tokens per second; one slice per output
   layer that ``rnnlm train --softmax`` offers (full and class);
5. a short tagger training, ``rnnlm tag --device cuda`` (deep bidirectional, 2 layers, DSE on the
   kit's opinion corpus), reporting its F1s and seconds.

Everything goes under ``--out``: ``gpu_check.log`` (every step's output) and ``gpu_check.json``
(one record per step: ok, seconds, numbers). Without CUDA it says so, writes a JSON saying so, and
exits 0: the GPU run is then still owed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: Seconds each step may take (their sum stays under the 8-minute budget).
STEP_LIMITS = {"cuda tests": 120, "bench": 90, "class softmax bench": 60, "train": 75, "tag": 60}


def _run(name: str, argv: list[str], log: Any, limit: float) -> dict[str, Any]:
    """Run one step as a subprocess, its output appended to ``log``; a record of how it went."""
    log.write(f"\n===== {name}: {' '.join(argv)}\n")
    log.flush()
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired as exc:
        out = (
            (exc.stdout or b"").decode(errors="replace")
            if isinstance(exc.stdout, bytes)
            else exc.stdout or ""
        )
        log.write(out + f"\n[{name}: stopped after its limit of {limit:g} s]\n")
        return {
            "step": name,
            "ok": False,
            "seconds": round(time.perf_counter() - start, 1),
            "why": "time limit",
        }
    log.write(done.stdout + done.stderr)
    return {
        "step": name,
        "ok": done.returncode == 0,
        "returncode": done.returncode,
        "seconds": round(time.perf_counter() - start, 1),
        "stdout_tail": done.stdout[-2000:],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "gpu-check")
    parser.add_argument("--train-seconds", type=float, default=45.0, help="length of each training slice")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    import torch

    report: dict[str, Any] = {"cuda": torch.cuda.is_available(), "torch": torch.__version__, "steps": []}
    if not report["cuda"]:
        print("gpu-check: no CUDA device here; nothing to check (the GPU run is still owed)")
        (args.out / "gpu_check.json").write_text(json.dumps(report, indent=1))
        return 0
    report["device"] = torch.cuda.get_device_name(0)
    print(f"gpu-check on {report['device']}: log and JSON in {args.out}")
    python = sys.executable
    with (args.out / "gpu_check.log").open("w", encoding="utf-8") as log:
        report["steps"].append(
            _run(
                "cuda tests",
                [
                    python,
                    "-m",
                    "pytest",
                    "-m",
                    "cuda",
                    "-q",
                    "-rs",
                    "-p",
                    "no:cacheprovider",
                    "tests",
                    "-o",
                    "addopts=",
                ],
                log,
                STEP_LIMITS["cuda tests"],
            )
        )
        report["steps"].append(
            _run(
                "bench",
                [
                    python,
                    str(HERE / "rnn.py"),
                    "--repeats",
                    "5",
                    "--json-out",
                    str(args.out / "rnn_bench.json"),
                ],
                log,
                STEP_LIMITS["bench"],
            )
        )
        report["steps"].append(
            _run(
                "class softmax bench",
                [python, str(HERE / "class_softmax.py"), "--repeats", "3", "--no-numpy",
                 "--json-out", str(args.out / "class_softmax_bench.json")],
                log,
                STEP_LIMITS["class softmax bench"],
            )
        )
        corpus = "ptb" if os.environ.get("RNNLM_DATA") else "embedded"
        for softmax in ("full", "class"):
            command = [
                python,
                "-m",
                "rnnlm.cli",
                "train",
                "--corpus",
                corpus,
                "--device",
                "cuda",
                "--epochs",
                "1",
                "--max-minutes",
                f"{args.train_seconds / 60:g}",
                "--no-progress",
                "--json",
            ]
            command += ["--softmax", softmax] + (["--classes", "100"] if softmax == "class" else [])
            step = _run(f"train {softmax}", command, log, STEP_LIMITS["train"])
            try:
                summary = json.loads(step.get("stdout_tail", "").strip().splitlines()[-1])
                step["tokens_per_second"] = summary.get("tokens_per_second")
                step["summary"] = summary
            except (ValueError, IndexError):
                step["ok"] = False
            report["steps"].append(step)
        step = _run(
            "tag",
            [python, "-m", "rnnlm.cli", "tag", "--task", "dse", "--model", "deep", "--layers", "2",
             "--epochs", "5", "--device", "cuda", "--json"],
            log,
            STEP_LIMITS["tag"],
        )
        try:
            step["summary"] = json.loads(step.get("stdout_tail", "").strip().splitlines()[-1])
        except (ValueError, IndexError):
            step["ok"] = False
        report["steps"].append(step)
    (args.out / "gpu_check.json").write_text(json.dumps(report, indent=1))
    for step in report["steps"]:
        print(f"  {'ok  ' if step['ok'] else 'FAIL'} {step['step']} ({step.get('seconds', '?')} s)")
    return 0 if all(s["ok"] for s in report["steps"]) else 1


if __name__ == "__main__":
    sys.exit(main())
