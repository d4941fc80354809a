"""Benchmark: the output layer alone, forward+backward: full softmax against the class-factored one.

Usage::

    python bench/class_softmax.py [--tokens 700] [--hidden 200] [--classes 1,10,50,100,200,1000,V]
                                  [--binning sqrt|mass] [--counts auto|ptb|zipf] [--vocab 10000]
                                  [--repeats 7] [--threads N] [--no-cuda] [--no-numpy] [--json-out PATH]

Every row computes, for the same N = B*T hidden states h (N, H) (700 = 20 x 35 by default) and the
same targets, the mean negative log-likelihood and the gradients of h and of every parameter of
the layer:

- ``full``: the full softmax over V words (:class:`rnnlm.class_softmax.FullSoftmax`; NumPy:
  ``rnn_numpy.temporal_affine_forward`` + ``temporal_softmax_loss`` and their backward);
- ``class merged``, ``class grouped`` and ``class padded``: :class:`rnnlm.class_softmax.ClassSoftmax`
  with C classes of equal sqrt(p) (``--binning sqrt``, the RNNLM toolkit's default) or p
  (``mass``), its three ways of batching targets in different classes (see
  :func:`rnnlm.class_softmax.class_nll`; padded only where its (N, S, H) gather, S the largest
  class, stays under ``--padded-limit`` elements); NumPy: ``class_softmax_loss``;
- ``adaptive``: PyTorch's ``nn.AdaptiveLogSoftmaxWithLoss`` (Grave et al. 2017) as a reference, head
  of the 1,000 most frequent words and tail clusters of ranks 1,000-5,000 and 5,000-V
  (``cutoffs=[1000, 5000]``, ``div_value=4``); it needs frequency-ranked ids, so its targets are
  the same words renumbered by rank.

Counts: PTB's training text (``--counts auto`` uses it when ``rnnlm.data`` finds it, e.g.
``RNNLM_DATA=/work/shared/data``; V = 10,000 in the kit's vocabulary order, which is not exactly
frequency order), else Zipf counts ``1e6 / rank`` (V = ``--vocab``, ids shuffled). Targets are
drawn independently from that unigram distribution (seed 0). ``--threads`` sets torch's CPU
threads and NumPy's BLAS threads alike. float32 everywhere; CPU, and CUDA
when present (timed with ``torch.cuda.synchronize``). The implementations take turns within each
repetition, so a change in machine load hits them all alike; the table gives the median of
``--repeats`` timed runs after a warm-up, each row's speed-up over the full softmax of the same
framework and device measured in this run (between medians, and between the fastest runs, which a
busy machine disturbs less), and the cost model's speed-up, ``H*V / H*(C + E|c(w)|)``
(:func:`rnnlm.class_softmax.output_layer_cost`). Before timing, the rows are checked to agree (loss
to 1e-4 relative, C = 1 against the full softmax). The JSON (default
``bench/results/class_softmax.json``; ``bench/results/`` is git-ignored) holds every timing, the
class sizes and the environment.
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


def _blas_threads(argv: list[str]) -> None:
    """``--threads N`` caps NumPy's BLAS too, which reads its thread count once, when it loads."""
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--threads=") else None
        if arg == "--threads" and i + 1 < len(argv):
            value = argv[i + 1]
        if value is not None:
            for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
                os.environ.setdefault(var, value)


if __name__ == "__main__":
    _blas_threads(sys.argv[1:])

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
ADAPTIVE_CUTOFFS = (1000, 5000)
DEFAULT_METHOD = "merged"  # ClassSoftmax's default (checked against the signature in main)


def unigram_counts(kind: str, vocab: int) -> tuple[np.ndarray, str]:
    """(counts (V,), description): PTB's training counts, or Zipf counts with shuffled ids."""
    from rnnlm.data import CorpusNotFoundError, Vocab, corpus_path, read_sentences, to_stream

    if kind in ("auto", "ptb"):
        try:
            path = corpus_path("ptb", "train")
            if not path.is_file():
                raise FileNotFoundError(path)
        except (CorpusNotFoundError, FileNotFoundError):
            if kind == "ptb":
                raise
        else:
            sentences = read_sentences(path)
            v = Vocab.build(sentences)
            stream = to_stream(sentences, v)
            return np.bincount(stream, minlength=len(v)), f"PTB train unigram counts ({len(stream)} tokens)"
    ranks = np.arange(1, vocab + 1)
    counts = np.maximum(1, np.round(1e6 / ranks)).astype(np.int64)
    return np.random.default_rng(1).permutation(counts), "Zipf counts 1e6/rank, ids shuffled"


def _runners(args: argparse.Namespace, counts: np.ndarray) -> tuple[list[dict], dict]:
    """Every implementation as a dict (name, C, device, run); run() does one forward+backward."""
    import torch
    from torch import nn

    from rnnlm import class_softmax as cs
    from rnnlm import rnn_numpy as rn

    V, H, N = counts.size, args.hidden, args.tokens
    rng = np.random.default_rng(0)
    y = rng.choice(V, size=N, p=counts / counts.sum())
    rank = np.empty(V, dtype=np.int64)
    rank[np.argsort(-counts, kind="stable")] = np.arange(V)  # word id -> frequency rank
    h_np = rng.standard_normal((N, H)).astype(np.float32)
    Cs = sorted({V if c == "V" else int(c) for c in args.classes.split(",")})
    classes = {C: cs.frequency_classes(counts, C, args.binning) for C in Cs}
    full_ref = cs.FullSoftmax(H, V, device="cpu", seed=0)
    W_S, b_S = (full_ref.numpy_params()[k] for k in ("W_S", "b_S"))
    info = {C: {"max_class_size": int(c.class_sizes.max()), "min_class_size": int(c.class_sizes.min()),
                "expected_class_size": c.expected_class_size(),
                "model_speedup": cs.output_layer_cost(H, c).speedup} for C, c in classes.items()}
    runners: list[dict] = []

    if not args.no_numpy:
        def numpy_full() -> float:
            scores, cache = rn.temporal_affine_forward(h_np[None], W_S, b_S)
            loss, dscores = rn.temporal_softmax_loss(scores, y[None])
            rn.temporal_affine_backward(dscores, cache)
            return float(loss)

        runners.append({"name": "full", "C": None, "framework": "numpy", "device": "cpu",
                        "run": numpy_full})
        for C, cl in classes.items():
            layer = cs.ClassSoftmax(H, cl, device="cpu", seed=1)
            p = layer.numpy_params()
            p.update(W_S=W_S, b_S=b_S)

            def numpy_class(p=p, cl=cl) -> float:
                loss, _ = cs.class_softmax_loss(h_np, y, p["W_C"], p["b_C"], p["W_S"], p["b_S"], cl)
                return loss

            runners.append({"name": "class", "C": C, "framework": "numpy", "device": "cpu",
                            "run": numpy_class})

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() and not args.no_cuda else [])
    for dev in devices:
        sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
        h = torch.from_numpy(h_np).to(dev).requires_grad_()
        yt = torch.from_numpy(y).to(dev)
        yr = torch.from_numpy(rank[y]).to(dev)

        def timed(
            module: nn.Module, loss_fn: Callable[[], torch.Tensor], sync=sync, h=h
        ) -> Callable[[], float]:
            def run() -> float:
                module.zero_grad(set_to_none=True)
                h.grad = None
                loss = loss_fn()
                loss.backward()
                sync()
                return loss.item()

            return run

        full = cs.FullSoftmax(H, V, device=dev)
        full.load_numpy_params({"W_S": W_S, "b_S": b_S})
        runners.append({"name": "full", "C": None, "framework": "torch", "device": dev,
                        "run": timed(full, lambda full=full, h=h, yt=yt: full.loss(h, yt))})
        adaptive = nn.AdaptiveLogSoftmaxWithLoss(H, V, cutoffs=list(ADAPTIVE_CUTOFFS), div_value=4.0)
        adaptive = adaptive.to(dev)
        runners.append({"name": "adaptive", "C": None, "framework": "torch", "device": dev,
                        "run": timed(adaptive, lambda a=adaptive, h=h, yr=yr: a(h, yr).loss)})
        for C, cl in classes.items():
            for method in cs.METHODS:
                if method == "padded" and N * int(cl.class_sizes.max()) * H > args.padded_limit:
                    continue
                layer = cs.ClassSoftmax(H, cl, method=method, device=dev, seed=1)
                layer.load_numpy_params(dict(layer.numpy_params(), W_S=W_S, b_S=b_S))
                loss_fn = lambda layer=layer, h=h, yt=yt: layer.loss(h, yt)  # noqa: E731
                runners.append({"name": f"class {method}", "C": C, "framework": "torch", "device": dev,
                                "run": timed(layer, loss_fn)})
    return runners, info


def _agree(rows: list[dict]) -> str | None:
    """An error message when rows that compute the same loss disagree, else None."""
    by_c: dict[int, list[dict]] = {}
    for r in rows:
        if r["name"].startswith("class"):
            by_c.setdefault(r["C"], []).append(r)
    fulls = [r for r in rows if r["name"] == "full"]
    groups = list(by_c.values()) + [fulls + by_c.get(1, [])]
    for group in groups:
        ref = group[0]["loss"]
        for r in group:
            if abs(r["loss"] - ref) > 1e-4 * abs(ref):
                return (f"{r['framework']} {r['name']} C={r['C']} on {r['device']} gives {r['loss']}, "
                        f"expected {ref}")
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=700,
                        help="N = B*T hidden states (default 700 = 20 x 35)")
    parser.add_argument("--hidden", type=int, default=200, help="H (default 200)")
    parser.add_argument("--classes", default="1,10,50,100,200,1000,V",
                        help="C values; V = one word per class")
    parser.add_argument("--binning", choices=("sqrt", "mass"), default="sqrt",
                        help="class rule (default sqrt)")
    parser.add_argument("--counts", choices=("auto", "ptb", "zipf"), default="auto",
                        help="unigram counts: PTB train when found (auto), or Zipf")
    parser.add_argument("--vocab", type=int, default=10000, help="V for Zipf counts (default 10000)")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per implementation (default 7)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads and NumPy BLAS threads (default: their own)")
    parser.add_argument("--padded-limit", type=float, default=64e6,
                        help="largest N*S*H gather the padded method is timed with (default 64e6)")
    parser.add_argument("--no-cuda", action="store_true", help="skip CUDA even when present")
    parser.add_argument("--no-numpy", action="store_true", help="skip the NumPy rows")
    parser.add_argument("--json-out", type=Path, default=HERE / "results" / "class_softmax.json")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")

    import inspect

    import torch

    from rnnlm import class_softmax as cs

    assert inspect.signature(cs.ClassSoftmax).parameters["method"].default == DEFAULT_METHOD
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    counts, counts_what = unigram_counts(args.counts, args.vocab)
    V = counts.size
    load_before = os.getloadavg()
    runners, info = _runners(args, counts)

    for r in runners:  # warm-up, and the loss for the agreement check
        r["loss"] = r["run"]()
    problem = _agree(runners)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    for r in runners:
        r["times"] = []
    for _ in range(args.repeats):
        for r in runners:
            t0 = time.perf_counter()
            r["run"]()
            r["times"].append(time.perf_counter() - t0)
    load_after = os.getloadavg()

    full = {(r["framework"], r["device"]): statistics.median(r["times"])
            for r in runners if r["name"] == "full"}
    full_min = {(r["framework"], r["device"]): min(r["times"]) for r in runners if r["name"] == "full"}
    rows = []
    for r in runners:
        med = statistics.median(r["times"])
        rows.append({
            "implementation": r["name"], "framework": r["framework"], "device": r["device"], "C": r["C"],
            "median_s": med, "min_s": min(r["times"]), "times_s": r["times"], "loss": r["loss"],
            "speedup_vs_full": full[(r["framework"], r["device"])] / med,
            "speedup_vs_full_fastest_runs": full_min[(r["framework"], r["device"])] / min(r["times"]),
            "model_speedup": info[r["C"]]["model_speedup"] if r["C"] is not None else None,
        })

    print(f"output layer forward+backward, N={args.tokens} tokens, H={args.hidden}, V={V}; {counts_what}; "
          f"{args.binning} binning; float32; median of {args.repeats} (torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU threads)")
    header = (f"{'framework':<7} {'device':<6} {'implementation':<15} {'C':>6} {'max|c|':>7} {'E|c|':>7} "
              f"{'median ms':>10} {'min ms':>8} {'vs full':>8} {'(min)':>7} {'model':>7}")
    print(header)
    print("-" * len(header))
    for r in rows:
        C = r["C"]
        size = (f"{info[C]['max_class_size']:>7} {info[C]['expected_class_size']:>7.1f}" if C
                else f"{'':>7} {'':>7}")
        model = f"{r['model_speedup']:>6.1f}x" if r["model_speedup"] else f"{'':>7}"
        print(f"{r['framework']:<7} {r['device']:<6} {r['implementation']:<15} {C or '':>6} {size} "
              f"{1e3 * r['median_s']:>10.2f} {1e3 * r['min_s']:>8.2f} {r['speedup_vs_full']:>7.1f}x "
              f"{r['speedup_vs_full_fastest_runs']:>6.1f}x {model}")
    for method in cs.METHODS:
        check = [r for r in rows if r["framework"] == "torch" and r["device"] == "cpu" and r["C"] == 100
                 and r["implementation"] == f"class {method}"]
        if check:
            ratio = check[0]["speedup_vs_full"]
            verdict = "meets" if ratio >= 10 else "misses"
            default = " (the default)" if method == DEFAULT_METHOD else ""
            print(f"issue 11 check: at C=100 the torch class softmax, {method}{default}, runs "
                  f"forward+backward {ratio:.1f}x faster than the full softmax on this CPU (medians; "
                  f"{check[0]['speedup_vs_full_fastest_runs']:.1f}x between the fastest runs): "
                  f"{verdict} the 10x target")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"({os.cpu_count()} CPUs; a shared machine makes absolute times noisy, ratios less so)")

    result = {
        "benchmark": "class_softmax_output_layer",
        "shape": {"N": args.tokens, "H": args.hidden, "V": V},
        "counts": counts_what, "binning": args.binning, "dtype": "float32", "repeats": args.repeats,
        "adaptive_cutoffs": list(ADAPTIVE_CUTOFFS),
        "classes": {str(C): v for C, v in info.items()},
        "rows": rows,
        "environment": {
            "python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
            "machine": platform.machine(), "processor": platform.processor(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "loadavg_before": load_before, "loadavg_after": load_after,
            "thread_env": {k: os.environ.get(k) for k in
                           ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY")},
        },
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
