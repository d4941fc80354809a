"""Benchmark: ``rnnlm.ngram`` against NLTK's ``nltk.lm`` on Penn Treebank n-gram models.

Usage::

    python bench/ngram.py [--order 3] [--max-test-sentences 300] [--max-kn-test-sentences 15]
                          [--data-dir DIR] [--json-out PATH]

For MLE, Laplace (add-one) and interpolated Kneser-Ney, both libraries build a model on PTB train
and score PTB test; the table gives build seconds, peak memory of the build, scoring tokens per
second and perplexity, and one line of kit/NLTK ratios per smoothing. PTB comes from the kit's
data directory (``$RNNLM_DATA`` or ``--data-dir``); when it is absent the script says how to
get it and exits with status 2.

Fairness notes:

- Both libraries count the same n-grams: the kit's convention (``order - 1`` times ``<s>``, the
  words, the end token; every word and the end token predicted), fed to ``nltk.lm`` as n-gram
  tuples of orders 1..n ending at each predicted token. The kit calls its end token ``<eos>``;
  on NLTK's side it keeps NLTK's own name, ``</s>`` (that of ``nltk.lm.preprocessing``'s
  padding), which is only a name: both score the same tokens with the same contexts (the
  comparison zips the two lists of log-probabilities strictly, one per predicted token). So MLE
  agrees to the last bit wherever NLTK's context was seen; NLTK's Laplace has two more types in
  its vocabulary (``<s>`` and its own ``<UNK>``); NLTK's Kneser-Ney is a different model (one
  discount, 0.1, for every order) from the kit's modified Kneser-Ney (three discounts per order
  from count-of-counts), so its perplexity differs.
- NLTK scores one token per Python call and its Kneser-Ney visits the whole vocabulary for each
  token (a few tokens per second), so NLTK scores only the first ``--max-test-sentences`` test
  sentences (``--max-kn-test-sentences`` for Kneser-Ney). The kit scores those same sentences
  (perplexities in the "first N" column are on identical tokens) and the whole test set; its
  tokens/s is measured on the whole test set (best of 3 runs).
- Each (library, smoothing) runs in its own fresh process; "peak MiB" is how much the process's
  peak resident memory grew during the build (corpus already loaded).
- Speed is reported as ratios between the two libraries measured in this run, not as absolutes.

The JSON (default ``bench/results/ngram.json``; ``bench/results/`` is git-ignored) holds every
number of the table plus the environment.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SMOOTHINGS = (("mle", "MLE"), ("laplace", "Laplace"), ("kneser-ney", "KneserNeyInterpolated"))
#: NLTK's padding symbols (``nltk.lm.preprocessing.pad_both_ends``); ``</s>`` plays the kit's ``<eos>``
NLTK_BOS, NLTK_EOS = "<s>", "</s>"


# ----------------------------------------------------------------------------------------------
# worker: one library, one smoothing, in a fresh process


def _peak_rss_bytes() -> int | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Unix
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def _windows(sentence: list[str], order: int):
    """(word, context) for every predicted token of a padded sentence, context of order-1 words."""
    t = [NLTK_BOS] * (order - 1) + sentence + [NLTK_EOS]
    for i in range(order - 1, len(t)):
        yield t[i], tuple(t[i - order + 1 : i])


def _nltk_ngrams(sentence: list[str], order: int):
    t = [NLTK_BOS] * (order - 1) + sentence + [NLTK_EOS]
    for i in range(order - 1, len(t)):
        for m in range(1, order + 1):
            yield tuple(t[i - m + 1 : i + 1])


def _perplexity(logprobs: list[float]) -> float | None:
    if any(math.isinf(x) for x in logprobs):
        return None
    return math.exp(-sum(logprobs) / len(logprobs))


def worker(spec: dict) -> dict:
    """Build and score one model; returns the measurements (log-probs of the subset included)."""
    from rnnlm.data import read_sentences

    train = read_sentences(spec["train"])
    test = read_sentences(spec["test"])
    subset = test[: spec["n_sub"]]
    order, smoothing, impl = spec["order"], spec["smoothing"], spec["impl"]
    rss0 = _peak_rss_bytes()
    out: dict = {"impl": impl, "smoothing": smoothing, "order": order, "test_sentences": len(subset)}
    out["train_tokens"] = sum(len(s) + 1 for s in train)

    if impl == "kit":
        from rnnlm.ngram import NgramLM

        t0 = time.perf_counter()
        model = NgramLM(order, smoothing).fit(train)
        out["build_seconds"] = time.perf_counter() - t0
        rss1 = _peak_rss_bytes()
        out["ngrams"] = sum(r["ngrams"] for r in model.report())
        out["model_bytes"] = model.nbytes
        t0 = time.perf_counter()
        lp_sub = model.score(subset)
        out["score_seconds"] = time.perf_counter() - t0
        best = math.inf
        for _ in range(3):
            t0 = time.perf_counter()
            lp_full = model.score(test)
            best = min(best, time.perf_counter() - t0)
        out["full_test_tokens"] = int(lp_full.size)
        out["full_score_seconds"] = best
        out["full_tokens_per_second"] = lp_full.size / best
        out["full_perplexity"] = _perplexity(lp_full.tolist())
        logprobs = lp_sub.tolist()
    else:
        from nltk.lm import MLE, KneserNeyInterpolated, Laplace
        from nltk.lm.vocabulary import Vocabulary

        classes = {"MLE": MLE, "Laplace": Laplace, "KneserNeyInterpolated": KneserNeyInterpolated}
        cls = classes[spec["nltk_class"]]
        t0 = time.perf_counter()
        words = itertools.chain(itertools.chain.from_iterable(train), [NLTK_BOS, NLTK_EOS])
        vocab = Vocabulary(words, unk_cutoff=1)
        model = cls(order, vocabulary=vocab)
        model.fit(_nltk_ngrams(s, order) for s in train)
        out["build_seconds"] = time.perf_counter() - t0
        rss1 = _peak_rss_bytes()
        out["ngrams"] = len(model.counts.unigrams) + sum(
            len(model.counts[m][ctx]) for m in range(2, order + 1) for ctx in model.counts[m]
        )
        t0 = time.perf_counter()
        ln2 = math.log(2)
        logprobs = [model.logscore(w, c) * ln2 for s in subset for w, c in _windows(s, order)]
        out["score_seconds"] = time.perf_counter() - t0
    out["peak_build_bytes"] = None if rss0 is None or rss1 is None else rss1 - rss0
    out["test_tokens"] = len(logprobs)
    out["tokens_per_second"] = len(logprobs) / out["score_seconds"]
    out["perplexity"] = _perplexity(logprobs)
    out["logprobs"] = [None if math.isinf(x) else x for x in logprobs]
    return out


# ----------------------------------------------------------------------------------------------
# driver


def _run_worker(spec: dict) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {spec['impl']}/{spec['smoothing']} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt(x: float | None, spec: str) -> str:
    return "inf" if x is None else format(x, spec)


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def _locate_ptb(data_dir: str | None) -> dict[str, Path]:
    from rnnlm.data import corpus_path

    return {split: corpus_path("ptb", split, data_dir=data_dir) for split in ("train", "test")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--order", type=int, default=3, help="n of the n-gram (default 3)")
    parser.add_argument(
        "--max-test-sentences", type=int, default=300, help="test sentences NLTK scores for MLE and Laplace"
    )
    parser.add_argument(
        "--max-kn-test-sentences",
        type=int,
        default=15,
        help="test sentences NLTK scores for Kneser-Ney (a few tokens/s; default 15)",
    )
    parser.add_argument("--data-dir", default=None, help="data directory (default $RNNLM_DATA or the cache)")
    parser.add_argument(
        "--json-out",
        default=str(HERE / "results" / "ngram.json"),
        help="JSON output (default bench/results/)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    for name in ("order", "max_test_sentences", "max_kn_test_sentences"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    try:
        paths = _locate_ptb(args.data_dir)
    except FileNotFoundError as exc:
        print(f"bench/ngram.py: PTB is needed and was not found.\n{exc}", file=sys.stderr)
        return 2
    try:
        import nltk
    except ImportError:
        print("bench/ngram.py: NLTK is needed as the peer (pip install -e '.[dev]').", file=sys.stderr)
        return 2
    import numpy

    rows: list[dict] = []
    ratios: list[dict] = []
    t_all = time.perf_counter()
    for smoothing, nltk_class in SMOOTHINGS:
        n_sub = args.max_kn_test_sentences if smoothing == "kneser-ney" else args.max_test_sentences
        pair = {}
        for impl in ("kit", "nltk"):
            spec = {
                "impl": impl,
                "smoothing": smoothing,
                "nltk_class": nltk_class,
                "order": args.order,
                "n_sub": n_sub,
                "train": str(paths["train"]),
                "test": str(paths["test"]),
            }
            elapsed = time.perf_counter() - t_all
            print(f"[{elapsed:6.1f} s] {impl} {smoothing} ...", file=sys.stderr, flush=True)
            pair[impl] = _run_worker(spec)
        kit, nl = pair["kit"], pair["nltk"]
        pairs = zip(kit["logprobs"], nl["logprobs"], strict=True)
        both = [(a, b) for a, b in pairs if a is not None and b is not None]
        max_diff = max((abs(a - b) for a, b in both), default=None)
        for r in (kit, nl):
            r.pop("logprobs")
            rows.append(r)
        ratios.append(
            {
                "smoothing": smoothing,
                "build_speedup": _ratio(nl["build_seconds"], kit["build_seconds"]),
                "scoring_speedup": _ratio(kit["full_tokens_per_second"], nl["tokens_per_second"]),
                "peak_memory_ratio": _ratio(kit["peak_build_bytes"], nl["peak_build_bytes"]),
                "perplexity_ratio_first_n": _ratio(kit["perplexity"], nl["perplexity"]),
                "max_abs_logprob_diff": max_diff,
                "tokens_compared": len(both),
            }
        )

    print()
    kit0 = rows[0]
    print(
        f"PTB {args.order}-gram: rnnlm.ngram (kit) vs nltk.lm {nltk.__version__}; "
        f"train {kit0['train_tokens']:,} tokens, full test {kit0['full_test_tokens']:,} tokens"
    )
    head = (
        f"{'smoothing':<11} {'impl':<5} {'build s':>8} {'peak MiB':>9} {'score tok/s':>12} "
        f"{'first N':>7} {'ppl first N':>11} {'ppl full test':>13}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        peak = r["peak_build_bytes"]
        tps = r["full_tokens_per_second"] if r["impl"] == "kit" else r["tokens_per_second"]
        full = _fmt(r["full_perplexity"], ".2f") if r["impl"] == "kit" else "-"
        print(
            f"{r['smoothing']:<11} {r['impl']:<5} {r['build_seconds']:>8.2f} "
            f"{'?' if peak is None else format(peak / 2**20, '.0f'):>9} {tps:>12,.0f} "
            f"{r['test_sentences']:>7} {_fmt(r['perplexity'], '.2f'):>11} {full:>13}"
        )
    print()
    print("kit vs nltk, same run: build and scoring speed-ups, peak memory and perplexity kit/nltk")
    for q in ratios:
        diff = q["max_abs_logprob_diff"]
        print(
            f"{q['smoothing']:<11} build {_fmt(q['build_speedup'], '.1f')}x, scoring "
            f"{_fmt(q['scoring_speedup'], ',.0f')}x, memory {_fmt(q['peak_memory_ratio'], '.2f')}, "
            f"perplexity {_fmt(q['perplexity_ratio_first_n'], '.3f')}; "
            f"max |log p kit - log p nltk| {_fmt(diff, '.2e')} over {q['tokens_compared']} tokens"
        )
    print(
        "(kit tokens/s on the full test set; NLTK's on its first N sentences; peak MiB = growth of "
        "peak RSS during the build; 'inf' = some token has probability zero)"
    )
    total = time.perf_counter() - t_all
    result = {
        "benchmark": "ngram",
        "corpus": "ptb",
        "order": args.order,
        "max_test_sentences": args.max_test_sentences,
        "max_kn_test_sentences": args.max_kn_test_sentences,
        "rows": rows,
        "ratios": ratios,
        "seconds": total,
        "environment": {
            "python": platform.python_version(),
            "numpy": numpy.__version__,
            "nltk": nltk.__version__,
            "machine": platform.machine(),
            "system": platform.system(),
            "cpus": os.cpu_count(),
        },
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out = Path(args.json_out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} ({total:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
