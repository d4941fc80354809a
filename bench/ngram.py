"""Benchmark: ``rnnlm.ngram`` against NLTK's ``nltk.lm`` and KenLM on Penn Treebank n-gram models.

Usage::

    python bench/ngram.py [--order 3] [--max-test-sentences 300] [--max-kn-test-sentences 15]
                          [--kenlm-order 5] [--repeats 7] [--peers nltk,kenlm]
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

KenLM side by side (``--kenlm-order``, default 5, modified Kneser-Ney): one fresh process fits the
kit's model on PTB train, writes it with ``NgramLM.to_arpa``, loads that file with KenLM's Python
module (``kenlm.Model``, its probing hash) and with ``NgramLM.from_arpa``, then scores the whole
PTB test set with each, interleaved, best of ``--repeats``:

- "kit": ``NgramLM.score(test)``, the trained model (a log-probability per token, one call);
- "kit (ARPA)": the same call on the model read back from the ARPA file;
- "KenLM score": ``model.score(sentence, bos=True, eos=True)`` sentence by sentence (a total per
  sentence; the sentences joined into strings beforehand, KenLM's input format, not timed);
- "KenLM full_scores": ``model.full_scores(...)`` sentence by sentence, a log-probability per
  token, the kit's output.

The whole-test-set perplexity of each (KenLM's from the sum of its sentence scores, the same
tokens: every word and ``</s>``) and the kit/KenLM speed ratios are printed. KenLM stores
probabilities as float32, so its perplexity agrees to about 1e-7 relative, not to the last bit.

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

import numpy as np

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


def kenlm_worker(spec: dict) -> dict:
    """Kit vs KenLM on the same Kneser-Ney model and the same PTB test set, in one process."""
    import tempfile

    import kenlm

    from rnnlm.data import read_sentences
    from rnnlm.ngram import NgramLM

    train = read_sentences(spec["train"])
    test = read_sentences(spec["test"])
    order, repeats = spec["order"], spec["repeats"]
    out: dict = {"order": order, "kenlm_version": _kenlm_version()}
    t0 = time.perf_counter()
    model = NgramLM(order, "kneser-ney").fit(train)
    out["kit_build_seconds"] = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"ptb{order}.arpa"
        t0 = time.perf_counter()
        counts = model.to_arpa(path)
        out["arpa_write_seconds"] = time.perf_counter() - t0
        out["arpa_ngrams"] = counts
        out["arpa_bytes"] = path.stat().st_size
        t0 = time.perf_counter()
        lm = kenlm.Model(str(path))
        out["kenlm_load_seconds"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        back = NgramLM.from_arpa(path)
        out["kit_arpa_load_seconds"] = time.perf_counter() - t0
    strings = [" ".join(s) for s in test]
    n_tokens = sum(len(s) + 1 for s in test)

    def kenlm_score() -> float:
        return sum(lm.score(s, bos=True, eos=True) for s in strings)

    def kenlm_full() -> list[float]:
        return [x[0] for s in strings for x in lm.full_scores(s, bos=True, eos=True)]

    runs = {"kit": lambda: model.score(test), "kit (ARPA)": lambda: back.score(test)}
    runs |= {"KenLM score": kenlm_score, "KenLM full_scores": kenlm_full}
    best = {name: math.inf for name in runs}
    best_cpu = {name: math.inf for name in runs}
    results: dict = {}
    for _ in range(repeats):  # interleaved, so that a busy moment hits every contender alike
        for name, f in runs.items():
            t0, c0 = time.perf_counter(), time.process_time()
            results[name] = f()
            best_cpu[name] = min(best_cpu[name], time.process_time() - c0)
            best[name] = min(best[name], time.perf_counter() - t0)
    ln10 = math.log(10)
    out["test_tokens"] = n_tokens
    out["test_sentences"] = len(test)
    out["perplexity"] = {
        "kit": _perplexity(results["kit"].tolist()),
        "kit (ARPA)": _perplexity(results["kit (ARPA)"].tolist()),
        "KenLM score": math.exp(-results["KenLM score"] * ln10 / n_tokens),
        "KenLM full_scores": math.exp(-sum(results["KenLM full_scores"]) * ln10 / n_tokens),
    }
    out["seconds"] = best
    out["cpu_seconds"] = best_cpu
    out["tokens_per_second"] = {name: n_tokens / t for name, t in best.items()}
    out["tokens_per_cpu_second"] = {name: n_tokens / t for name, t in best_cpu.items()}
    per_token = np.asarray(results["KenLM full_scores"]) * ln10
    out["max_abs_logprob_diff_kit_kenlm"] = float(np.abs(per_token - results["kit"]).max())
    return out


def _kenlm_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("kenlm")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source build without metadata
        return None


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
    parser.add_argument(
        "--kenlm-order", type=int, default=5, help="n of the Kneser-Ney model kit and KenLM score (default 5)"
    )
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per contender in the KenLM part")
    parser.add_argument(
        "--peers", default="nltk,kenlm", help="comparisons to run: nltk, kenlm or both (default nltk,kenlm)"
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
        spec = json.loads(args.worker)
        print(json.dumps(kenlm_worker(spec) if spec.get("impl") == "kenlm" else worker(spec)))
        return 0
    for name in ("order", "max_test_sentences", "max_kn_test_sentences", "kenlm_order", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    peers = {p.strip() for p in args.peers.split(",") if p.strip()}
    if not peers or peers - {"nltk", "kenlm"}:
        parser.error(f"--peers takes nltk, kenlm or nltk,kenlm; got {args.peers!r}")
    try:
        paths = _locate_ptb(args.data_dir)
    except FileNotFoundError as exc:
        print(f"bench/ngram.py: PTB is needed and was not found.\n{exc}", file=sys.stderr)
        return 2
    nltk = None
    if "nltk" in peers:
        try:
            import nltk
        except ImportError:
            print("bench/ngram.py: NLTK is needed as a peer (pip install -e '.[dev]').", file=sys.stderr)
            return 2
    if "kenlm" in peers:
        try:
            import kenlm  # noqa: F401
        except ImportError:
            print("bench/ngram.py: KenLM is needed as a peer (pip install -e '.[dev]').", file=sys.stderr)
            return 2

    rows: list[dict] = []
    ratios: list[dict] = []
    t_all = time.perf_counter()
    for smoothing, nltk_class in SMOOTHINGS if nltk is not None else ():
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

    if nltk is not None:
        _print_nltk(args, nltk.__version__, rows, ratios)
    kenlm_result = None
    if "kenlm" in peers:
        elapsed = time.perf_counter() - t_all
        what = f"kit and KenLM, {args.kenlm_order}-gram kneser-ney"
        print(f"[{elapsed:6.1f} s] {what} ...", file=sys.stderr, flush=True)
        spec = {
            "impl": "kenlm",
            "smoothing": "kneser-ney",
            "order": args.kenlm_order,
            "repeats": args.repeats,
            "train": str(paths["train"]),
            "test": str(paths["test"]),
        }
        kenlm_result = _run_worker(spec)
        tps, ppl = kenlm_result["tokens_per_second"], kenlm_result["perplexity"]
        kenlm_result["ratios"] = {
            "kit_over_kenlm_score": tps["kit"] / tps["KenLM score"],
            "kit_over_kenlm_score_cpu": kenlm_result["cpu_seconds"]["KenLM score"]
            / kenlm_result["cpu_seconds"]["kit"],
            "kit_over_kenlm_full_scores": tps["kit"] / tps["KenLM full_scores"],
            "kit_arpa_over_kenlm_score": tps["kit (ARPA)"] / tps["KenLM score"],
            "perplexity_kit_over_kenlm": ppl["kit"] / ppl["KenLM score"],
        }
        _print_kenlm(kenlm_result)
    total = time.perf_counter() - t_all
    result = {
        "benchmark": "ngram",
        "corpus": "ptb",
        "order": args.order,
        "max_test_sentences": args.max_test_sentences,
        "max_kn_test_sentences": args.max_kn_test_sentences,
        "rows": rows,
        "ratios": ratios,
        "kenlm": kenlm_result,
        "seconds": total,
        "environment": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "nltk": None if nltk is None else nltk.__version__,
            "kenlm": None if kenlm_result is None else kenlm_result["kenlm_version"],
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


def _print_kenlm(r: dict) -> None:
    """The kit-vs-KenLM table: tokens/s, perplexity and ratio per contender."""
    print()
    n = r["order"]
    print(
        f"PTB {n}-gram modified Kneser-Ney, scoring the whole test set ({r['test_tokens']:,} tokens, "
        f"{r['test_sentences']:,} sentences): kit vs KenLM {r['kenlm_version']} (Python module), same run"
    )
    print(
        f"kit fit {r['kit_build_seconds']:.2f} s; to_arpa {r['arpa_write_seconds']:.2f} s "
        f"({sum(r['arpa_ngrams']):,} n-grams, {r['arpa_bytes'] / 2**20:.0f} MiB); load: KenLM "
        f"{r['kenlm_load_seconds']:.2f} s, kit from_arpa {r['kit_arpa_load_seconds']:.2f} s"
    )
    head = (
        f"{'contender':<18} {'tokens/s':>12} {'kit / this':>10} {'tokens/CPU s':>13} {'kit / this':>10} "
        f"{'perplexity':>12}"
    )
    print(head)
    print("-" * len(head))
    kit, kit_cpu = r["tokens_per_second"]["kit"], r["tokens_per_cpu_second"]["kit"]
    for name, tps in r["tokens_per_second"].items():
        cpu = r["tokens_per_cpu_second"][name]
        print(
            f"{name:<18} {tps:>12,.0f} {kit / tps:>9.2f}x {cpu:>13,.0f} {kit_cpu / cpu:>9.2f}x "
            f"{r['perplexity'][name]:>12.4f}"
        )
    print(
        f"kit / KenLM score = {r['ratios']['kit_over_kenlm_score']:.2f} wall clock, "
        f"{r['ratios']['kit_over_kenlm_score_cpu']:.2f} CPU time (speed of the kit's score() over "
        "KenLM's sentence-by-sentence score(), best of the repeats; above 1: the kit is faster)"
    )
    rel = abs(r["perplexity"]["kit"] / r["perplexity"]["KenLM score"] - 1)
    print(
        f"perplexity kit vs KenLM: relative difference {rel:.1e}; max |log p kit - log p KenLM| per token "
        f"{r['max_abs_logprob_diff_kit_kenlm']:.1e} (KenLM keeps float32)"
    )


def _print_nltk(args: argparse.Namespace, nltk_version: str, rows: list[dict], ratios: list[dict]) -> None:
    """The kit-vs-NLTK table."""
    print()
    kit0 = rows[0]
    print(
        f"PTB {args.order}-gram: rnnlm.ngram (kit) vs nltk.lm {nltk_version}; "
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


if __name__ == "__main__":
    sys.exit(main())
