"""Benchmark: one forward+backward of the RNN LM, NumPy reference against PyTorch autograd.

Usage::

    python bench/rnn.py [--batch 32] [--seq-len 35] [--vocab 10000] [--hidden 200] [--embed 200]
                        [--repeats 7] [--threads N] [--no-cuda] [--json-out PATH]

Every implementation computes the same thing on the same inputs and weights: the mean
cross-entropy of a B x T batch of random ids and the gradient of every parameter (``L``, ``W_hx``,
``W_hh``, ``b_h``, ``W_S``, ``b_S``).

- ``numpy``: ``rnnlm.rnn_numpy.RNNLM.loss`` (hand-written backward), float64 and float32;
- ``torch explicit``: ``rnnlm.rnn_torch.RNNLM`` with the Python cell loop, then ``backward()``;
- ``torch nn.RNN``: the same model's fast path (``torch.nn.RNN``; cuDNN on a GPU), also with
  float32 weights under bfloat16 autocast (``bf16-amp``, what ``rnnlm train --amp auto`` picks only
  where bfloat16 is native and measured faster; compared with NumPy float32);

on the CPU, and on CUDA when present (float32, timed with ``torch.cuda.synchronize``). The
table ends with the training precisions side by side: tokens per second of ``torch nn.RNN`` in
float32 and under bfloat16 autocast on each device, their ratio (both measured in this run), and
the precision :func:`rnnlm.train.choose_precision` (``rnnlm train --amp auto``) picks there. The
implementations take turns within each repetition (so a change in machine load hits them all
alike); the table reports the median of ``--repeats`` timed runs after one warm-up, and each
row's speed-up over NumPy at the same dtype measured in this run. Before timing, the script checks
that the rows agree (loss to 1e-6 relative). The JSON (default ``bench/results/rnn.json``;
``bench/results/`` is git-ignored) holds every timing plus the environment and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
AMP = "bf16-amp"  # dtype label of the autocast row; compared with NumPy float32


def _runners(args: argparse.Namespace) -> list[tuple[str, str, str, Callable[[], float]]]:
    """(name, device, dtype, run) for every implementation; run() does one forward+backward."""
    import torch

    from rnnlm import rnn_numpy
    from rnnlm.rnn_torch import RNNLM

    V, D, H, B, T = args.vocab, args.embed, args.hidden, args.batch, args.seq_len
    rng = np.random.default_rng(0)
    x = rng.integers(0, V, size=(B, T))
    y = rng.integers(0, V, size=(B, T))
    ref = rnn_numpy.RNNLM(V, D, H, activation="tanh", seed=1, init_scale=0.1)
    runners: list[tuple[str, str, str, Callable[[], float]]] = []

    for dtype in (np.float64, np.float32):
        model = rnn_numpy.RNNLM.from_params({k: v.astype(dtype) for k, v in ref.params.items()})

        def run_numpy(model=model) -> float:
            loss, _grads, _h = model.loss(x, y)
            return float(loss)

        runners.append(("numpy", "cpu", np.dtype(dtype).name, run_numpy))

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() and not args.no_cuda else [])
    for dev in devices:
        dtypes = (torch.float64, torch.float32) if dev == "cpu" else (torch.float32,)
        for tdtype in dtypes:
            model = RNNLM.from_numpy_params(ref.params, "tanh", device=dev, dtype=tdtype)
            xt = torch.from_numpy(x).to(dev)
            yt = torch.from_numpy(y).to(dev)
            for path, label in (("explicit", "torch explicit"), ("fast", "torch nn.RNN")):

                def run_torch(model=model, path=path, dev=dev, xt=xt, yt=yt) -> float:
                    model.zero_grad(set_to_none=True)
                    loss, _ = model.loss(xt, yt, path=path)
                    loss.backward()
                    if dev == "cuda":
                        torch.cuda.synchronize()
                    return loss.item()

                runners.append((label, dev, str(tdtype).replace("torch.", ""), run_torch))
        # what `rnnlm train --amp auto` picks where bfloat16 is fast: float32 weights, bfloat16 autocast
        model = RNNLM.from_numpy_params(ref.params, "tanh", device=dev, dtype=torch.float32)
        xt = torch.from_numpy(x).to(dev)
        yt = torch.from_numpy(y).to(dev)

        def run_amp(model=model, dev=dev, xt=xt, yt=yt) -> float:
            model.zero_grad(set_to_none=True)
            with torch.autocast(dev, dtype=torch.bfloat16):
                loss, _ = model.loss(xt, yt, path="fast")
            loss.backward()
            if dev == "cuda":
                torch.cuda.synchronize()
            return loss.item()

        runners.append(("torch nn.RNN", dev, AMP, run_amp))
    return runners


def _precision_summary(rows: list[dict], args: argparse.Namespace) -> list[dict]:
    """Per device: float32 and bfloat16-autocast tokens/s of the fast path (this run), their ratio,
    and what :func:`rnnlm.train.choose_precision` picks for a training run of this shape there."""
    from rnnlm.train import choose_precision

    fast = {(r["device"], r["dtype"]): r for r in rows if r["implementation"] == "torch nn.RNN"}
    out = []
    for dev in dict.fromkeys(r["device"] for r in rows if r["implementation"] == "torch nn.RNN"):
        f32, bf16 = fast[(dev, "float32")], fast[(dev, AMP)]
        choice = choose_precision(dev, "auto", shape=(args.batch * args.seq_len, args.hidden, args.vocab))
        out.append({
            "device": dev,
            "float32_tokens_per_second": f32["tokens_per_second"],
            "bf16_tokens_per_second": bf16["tokens_per_second"],
            "bf16_over_float32": bf16["tokens_per_second"] / f32["tokens_per_second"],
            "bf16_over_float32_fastest_runs": f32["min_s"] / bf16["min_s"],
            "auto_picks": choice.name,
            "auto_reason": choice.reason,
        })
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=32, help="B (default 32, as rnnlm train)")
    parser.add_argument("--seq-len", type=int, default=35, help="T (default 35)")
    parser.add_argument("--vocab", type=int, default=10000, help="V (default 10000)")
    parser.add_argument("--hidden", type=int, default=200, help="H (default 200)")
    parser.add_argument("--embed", type=int, default=200, help="D (default 200)")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per implementation (default 7)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--no-cuda", action="store_true", help="skip CUDA even when present")
    parser.add_argument("--json-out", type=Path, default=HERE / "results" / "rnn.json")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")

    import torch

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    runners = _runners(args)

    # warm-up, and a check that every row computes the same loss
    losses = {(n, d, t): run() for n, d, t, run in runners}
    ref_loss = losses[("numpy", "cpu", "float64")]
    for key, value in losses.items():
        tol = 1e-2 if key[2] == AMP else 1e-5  # bfloat16 keeps about 3 significant digits
        if abs(value - ref_loss) > tol * abs(ref_loss):
            print(f"error: {key} gives loss {value}, NumPy float64 gives {ref_loss}", file=sys.stderr)
            return 1

    times: dict[tuple[str, str, str], list[float]] = {k: [] for k in losses}
    for _ in range(args.repeats):
        for n, d, t, run in runners:
            t0 = time.perf_counter()
            run()
            times[(n, d, t)].append(time.perf_counter() - t0)
    load_after = os.getloadavg()

    rows = []
    for (n, d, t), ts in times.items():
        med = statistics.median(ts)
        base_dtype = "float32" if t == AMP else t
        base = statistics.median(times[("numpy", "cpu", base_dtype)])
        rows.append({
            "implementation": n, "device": d, "dtype": t, "median_s": med, "min_s": min(ts),
            "times_s": ts, "tokens_per_second": args.batch * args.seq_len / med,
            "speedup_vs_numpy_same_dtype": base / med,
            "loss": losses[(n, d, t)],
        })

    shape = f"B={args.batch} T={args.seq_len} V={args.vocab} D={args.embed} H={args.hidden}"
    print(f"RNN LM forward+backward, one batch, {shape}; median of {args.repeats} "
          f"(torch {torch.__version__}, {torch.get_num_threads()} CPU threads)")
    header = f"{'implementation':<16} {'device':<6} {'dtype':<8} {'median ms':>10} {'min ms':>8} " \
             f"{'tokens/s':>10} {'vs NumPy':>9}"
    print(header)
    print("-" * len(header))
    for r in rows:
        ratio = r["speedup_vs_numpy_same_dtype"]
        print(f"{r['implementation']:<16} {r['device']:<6} {r['dtype']:<8} {1e3 * r['median_s']:>10.1f} "
              f"{1e3 * r['min_s']:>8.1f} {r['tokens_per_second']:>10.0f} "
              f"{ratio:>8.2f}x")
    precisions = _precision_summary(rows, args)
    for p in precisions:
        print(f"{p['device']}: torch nn.RNN float32 {p['float32_tokens_per_second']:.0f} tokens/s, "
              f"bfloat16 autocast {p['bf16_tokens_per_second']:.0f} tokens/s: bfloat16 runs at "
              f"{p['bf16_over_float32']:.2f}x the float32 speed ({p['bf16_over_float32_fastest_runs']:.2f}x "
              f"between the fastest runs); rnnlm train --amp auto picks {p['auto_picks']} here "
              f"({p['auto_reason']})")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"({os.cpu_count()} CPUs; a shared machine makes absolute times noisy, ratios less so)")

    result = {
        "benchmark": "rnn_forward_backward",
        "shape": {"B": args.batch, "T": args.seq_len, "V": args.vocab, "D": args.embed, "H": args.hidden},
        "repeats": args.repeats,
        "rows": rows,
        "precisions": precisions,
        "environment": {
            "python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
            "machine": platform.machine(), "processor": platform.processor(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "loadavg_before": load_before, "loadavg_after": load_after,
        },
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
