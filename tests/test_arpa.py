"""ARPA files: NgramLM.to_arpa / NgramLM.from_arpa, ``rnnlm ngram --arpa``, and KenLM reading them.

The kit must read back its own file with the same probabilities (every smoothing it writes, every
kind of context), a standard reader (KenLM) must compute the kit's perplexity from it, and a
malformed file must give an error that names the file and the line.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

from rnnlm.ngram import ARPA_EOS, BOS, EOS, UNK, NgramLM, register_cli


def synthetic_corpus(n_sentences: int, seed: int, V: int = 120) -> list[list[str]]:
    """Sentences from a random bigram source with Zipf-like word choice (many repeats, many rare)."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(V)]
    zipf = 1.0 / np.arange(1, V + 1)
    zipf /= zipf.sum()
    trans = rng.dirichlet(np.full(V, 0.05), size=V) * 0.5 + 0.5 * zipf
    out = []
    for _ in range(n_sentences):
        w = int(rng.choice(V, p=zipf))
        sent = [words[w]]
        for _ in range(rng.integers(1, 10)):
            w = int(rng.choice(V, p=trans[w]))
            sent.append(words[w])
        out.append(sent)
    return out


TRAIN = synthetic_corpus(300, seed=1)
#: held-out text with words never seen in training (scored as <unk>)
TEST = synthetic_corpus(40, seed=2) + [["w1", "zebra", "w2"], ["okapi"], ["w3", "w3", "w3", "w3", "w3"]]
TOY = [s.split() for s in ("the dog is cute", "the cat is cute", "the dog barks", "a dog is a dog")]

#: (smoothing, keyword arguments) of every model kind the kit writes
KINDS = [
    ("kneser-ney", {}),
    ("kneser-ney", {"discounts": (0.4, 0.9, 1.3)}),
    ("mle", {}),
    ("add-k", {"k": 0.5}),
    ("laplace", {}),
    ("interpolated", {}),
    ("interpolated", {"lambdas": "tuned"}),
]


def fit(order: int, smoothing: str, kw: dict, train: list[list[str]] = TRAIN) -> NgramLM:
    kw = dict(kw)
    tuned = kw.pop("lambdas", None) == "tuned"
    model = NgramLM(order, smoothing, **kw).fit(train)
    if tuned:
        model.tune_lambdas(TEST[:20])
    return model


def contexts(model: NgramLM, rng: np.random.Generator) -> list[list[str]]:
    """Seen contexts, sentence starts (short or spelled-out <s>), random and unseen words, <eos>."""
    n = model.order
    if n == 1:
        return [[]]
    out: list[list[str]] = [[], [TRAIN[0][0]], [BOS] * (n - 1), ["zebra"] * (n - 1), [EOS], [UNK]]
    for _ in range(12):
        s = [BOS] * (n - 1) + TRAIN[rng.integers(len(TRAIN))] + [EOS]
        i = int(rng.integers(n - 1, len(s)))
        out.append(s[i - n + 1 : i])
        out.append(list(rng.choice(model.vocab, size=n - 1)))
    out.append(["w0"] + ["zebra"] * (n - 2))
    return [c for c in out if EOS not in c[:-1]]


def assert_same_model(a: NgramLM, b: NgramLM, rtol: float = 1e-6, seed: int = 0) -> None:
    """Equal vocabularies, distributions for many contexts, and scores of TEST, to ``rtol``."""
    assert b.vocab == a.vocab
    assert b.order == a.order
    for ctx in contexts(a, np.random.default_rng(seed)):
        pa, pb = a.distribution(ctx), b.distribution(ctx)
        np.testing.assert_allclose(pb, pa, rtol=rtol, atol=1e-300, err_msg=f"context {ctx}")
    la, lb = a.score(TEST), b.score(TEST)
    np.testing.assert_array_equal(np.isinf(la), np.isinf(lb))
    np.testing.assert_allclose(lb[np.isfinite(lb)], la[np.isfinite(la)], rtol=rtol)
    assert b.perplexity(TEST) == pytest.approx(a.perplexity(TEST), rel=rtol)


# ---------------------------------------------------------------------------------------------
# the kit reads its own files back


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize(("smoothing", "kw"), KINDS, ids=lambda x: x if isinstance(x, str) else str(x))
def test_round_trip_gives_the_same_probabilities(tmp_path: Path, smoothing: str, kw: dict, order: int):
    model = fit(order, smoothing, kw)
    path = tmp_path / "model.arpa"
    counts = model.to_arpa(path)
    assert len(counts) == order and all(c > 0 for c in counts)
    back = NgramLM.from_arpa(path)
    assert back.smoothing == "arpa"
    assert [r["ngrams"] for r in back.report()] == [counts[0] - 1] + counts[1:]  # 1-grams: not <s>
    assert_same_model(model, back)


def test_round_trip_on_the_embedded_corpus(tmp_path: Path) -> None:
    from rnnlm.embedded import embedded_splits

    splits = embedded_splits(fast=True)
    train = splits["train"]
    for order, smoothing in ((3, "kneser-ney"), (5, "kneser-ney"), (3, "add-k"), (2, "interpolated")):
        model = NgramLM(order, smoothing).fit(train)
        path = tmp_path / f"{smoothing}{order}.arpa"
        model.to_arpa(path)
        back = NgramLM.from_arpa(path)
        np.testing.assert_allclose(back.score(splits["test"]), model.score(splits["test"]), rtol=1e-6)
        assert back.perplexity(splits["valid"]) == pytest.approx(model.perplexity(splits["valid"]), rel=1e-6)


def test_mle_zeros_stay_zeros(tmp_path: Path) -> None:
    model = NgramLM(2, "mle").fit(TOY)
    model.to_arpa(tmp_path / "m.arpa")
    back = NgramLM.from_arpa(tmp_path / "m.arpa")
    assert back.prob("zebra", ["the"]) == model.prob("zebra", ["the"]) == 0.0
    assert back.prob("cute", ["dog"]) == model.prob("cute", ["dog"]) == 0.0  # seen context, unseen pair
    seen = [["the", "dog", "barks"]]
    assert back.perplexity(seen) == pytest.approx(model.perplexity(seen))
    assert back.perplexity([["the", "zebra"]]) == math.inf
    text = (tmp_path / "m.arpa").read_text()
    assert "-inf" not in text and "-99" in text, "zeros are written -99 (KenLM rejects -inf backoff weights)"


def test_file_uses_arpa_names_and_lists_every_suffix(tmp_path: Path) -> None:
    model = NgramLM(3, "kneser-ney").fit(TOY)
    model.to_arpa(tmp_path / "k.arpa")
    lines = (tmp_path / "k.arpa").read_text().splitlines()
    assert lines[0].startswith("#"), "a comment line says what wrote the file"
    i = lines.index("\\data\\")
    declared = [int(x.split("=")[1]) for x in lines[i + 1 : i + 4]]
    grams: dict[int, dict[tuple[str, ...], list[float]]] = {1: {}, 2: {}, 3: {}}
    m = 0
    for line in lines[i + 4 :]:
        if line.startswith("\\") and line.endswith("-grams:"):
            m = int(line[1])
        elif line and m and not line.startswith("\\"):
            f = line.split("\t")
            grams[m][tuple(f[1].split(" "))] = [float(x) for x in (f[0], *f[2:])]
    assert lines[-1] == "\\end\\"
    assert [len(grams[m]) for m in (1, 2, 3)] == declared
    words = {w for (w,) in grams[1]}
    assert {"<s>", ARPA_EOS, UNK} <= words and EOS not in words
    assert grams[1][("<s>",)][0] == -99.0, "<s> is never predicted"
    for m in (2, 3):
        for g in grams[m]:
            assert g[1:] in grams[m - 1], f"suffix of {g} missing: KenLM would not find {g}"
            assert g[:-1] in grams[m - 1], f"context of {g} missing"
            assert g.count("<s>") <= 1 and ("<s>" not in g or g[0] == "<s>"), "one <s>, at the start"
    # sentence starts are written with one <s>: the bigram <s> w holds the kit's P(w | <s> <s>)
    assert 10 ** grams[2][("<s>", "the")][0] == pytest.approx(model.prob("the", [BOS, BOS]), rel=1e-6)


def test_read_model_writes_itself_back_and_keeps_the_api(tmp_path: Path) -> None:
    model = NgramLM(3, "kneser-ney").fit(TRAIN)
    model.to_arpa(tmp_path / "a.arpa")
    back = NgramLM.from_arpa(tmp_path / "a.arpa")
    back.to_arpa(tmp_path / "b.arpa")
    again = NgramLM.from_arpa(tmp_path / "b.arpa")
    assert_same_model(back, again, rtol=1e-6)
    # scoring the stream agrees with token-by-token prob (two code paths)
    logs = []
    for s in TEST:
        t = [BOS, BOS] + s + [EOS]
        logs += [math.log(back.prob(t[i], t[i - 2 : i])) for i in range(2, len(t))]
    np.testing.assert_allclose(back.score(TEST), logs, rtol=1e-12)
    assert back.cross_entropy(TEST) == pytest.approx(model.cross_entropy(TEST), rel=1e-6)
    assert back.generate(10, rng=3) == back.generate(10, rng=3)
    assert all(w in back.vocab for w in back.generate(20, rng=4))
    assert repr(back).startswith("NgramLM(order=3, smoothing='arpa'")
    with pytest.raises(ValueError, match="ARPA file"):
        back.fit(TRAIN)
    with pytest.raises(ValueError, match="count"):
        back.count(["w1"])
    with pytest.raises(ValueError, match="count"):
        back.most_common(1)
    with pytest.raises(ValueError, match="interpolated"):
        back.tune_lambdas(TEST)


def test_interpolated_of_order_three_is_exact_but_large(tmp_path: Path) -> None:
    model = NgramLM(3, "interpolated").fit(TRAIN)
    small = NgramLM(3, "kneser-ney").fit(TRAIN)
    n_kn = sum(small.to_arpa(tmp_path / "kn.arpa"))
    n_interp = sum(model.to_arpa(tmp_path / "i.arpa"))
    assert n_interp > 2 * n_kn, "every word seen after a context's last word gets its own line"
    with pytest.raises(ValueError, match=r"'interpolated'.*no compact backoff form.*max_ngrams=1,000"):
        model.to_arpa(tmp_path / "too-big.arpa", max_ngrams=1000)
    assert not (tmp_path / "too-big.arpa").exists()
    NgramLM(2, "interpolated").fit(TRAIN).to_arpa(tmp_path / "i2.arpa", max_ngrams=n_kn)  # order 2: small


def test_words_an_arpa_file_cannot_hold(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="</s>"):
        NgramLM(2, "kneser-ney").fit([["a", "</s>", "b"]]).to_arpa(tmp_path / "x.arpa")
    with pytest.raises(ValueError, match="spaces"):
        NgramLM(2, "kneser-ney").fit([["a b", "c"]]).to_arpa(tmp_path / "x.arpa")
    with pytest.raises(ValueError, match="max_ngrams"):
        NgramLM(2, "kneser-ney").fit(TOY).to_arpa(tmp_path / "x.arpa", max_ngrams=0)
    assert not (tmp_path / "x.arpa").exists()


# ---------------------------------------------------------------------------------------------
# reading files the kit did not write


FOREIGN = """some tool's notes before the header are allowed
\\data\\
ngram 1=5
ngram 2=4
ngram 3=1

\\1-grams:
-99\t<s>\t-0.30103
-0.60206\ta\t-0.5
-0.60206\tb
-0.30103\t</s>
-1\tc

\\2-grams:
-0.30103\t<s> a\t-0.1
-0.5\ta b
-0.2\ta </s>
-0.4\t<s> b

\\3-grams:
-0.1\t<s> a a

\\end\\
"""


def test_foreign_file_follows_the_backoff_rule(tmp_path: Path) -> None:
    (tmp_path / "f.arpa").write_text(FOREIGN)
    lm = NgramLM.from_arpa(tmp_path / "f.arpa")
    assert lm.vocab == sorted(["a", "b", "c", EOS, UNK])  # no <unk> in the file: added, probability 0
    assert lm.prob("zebra", ["a"]) == lm.prob(UNK, []) == 0.0
    p = {w: 10.0**x for w, x in (("a", -0.60206), ("b", -0.60206), ("</s>", -0.30103), ("c", -1))}
    assert lm.prob("a", [BOS, "a"]) == pytest.approx(10**-0.1)  # listed trigram
    # "a a" is not listed (the suffix of "<s> a a"): backs off, bow(a) * p(a)
    assert lm.prob("a", ["b", "a"]) == pytest.approx(10**-0.5 * p["a"])
    assert lm.prob("b", [BOS, "a"]) == pytest.approx(10**-0.1 * 10**-0.5)  # bow(<s> a) p(a b)
    assert lm.prob("c", [BOS, "a"]) == pytest.approx(10**-0.1 * 10**-0.5 * p["c"])
    assert lm.prob(EOS, ["b"]) == pytest.approx(p["</s>"])  # no bow for b: 1
    assert lm.prob("b", []) == pytest.approx(10**-0.4)  # a sentence start: <s> b
    logs = np.log([10**-0.30103, 10**-0.1, 10**-0.2])  # <s> a, <s> a a, a </s>
    np.testing.assert_allclose(lm.score([["a", "a"]]), logs, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# malformed files: the error names the file and the line

VALID = """\\data\\
ngram 1=4
ngram 2=3

\\1-grams:
-1.0\t<s>\t-0.3
-0.5\ta\t-0.2
-0.7\t</s>
-1.2\t<unk>

\\2-grams:
-0.3\t<s> a
-0.2\ta </s>
-0.4\ta a

\\end\\
"""


def _edit(line: int, new: str | None) -> str:
    lines = VALID.splitlines()
    if new is None:
        del lines[line - 1]
    else:
        lines[line - 1] = new
    return "\n".join(lines) + "\n"


BROKEN = {
    "header count too high": (
        _edit(3, "ngram 2=4"),
        16,
        r"has 3 entries, but the \\data\\ header says ngram 2=4",
    ),
    "header count too low": (_edit(2, "ngram 1=3"), 11, r"\\1-grams section \(line 5\) has 4 entries.*1=3"),
    "missing end": (_edit(16, None), 15, r"ends without \\end\\ \(inside the \\2-grams section of line 11\)"),
    "non-numeric probability": (_edit(13, "-0.2x\ta </s>"), 13, r"log10 probability '-0.2x' is not a number"),
    "non-numeric backoff": (_edit(7, "-0.5\ta\tbow"), 7, r"backoff weight 'bow' is not a number"),
    "3-gram in the 2-grams": (_edit(13, "-0.2\ta a </s>"), 13, r"\\2-grams section .* is this a 3-gram"),
    "1-gram in the 2-grams": (_edit(14, "-0.4\ta"), 14, r"2 word\(s\) and an optional backoff.*has 2 fields"),
    "too many fields": (_edit(14, "-0.4\ta a a a"), 14, r"this one has 5 fields"),
    "positive probability": (_edit(12, "0.3\t<s> a"), 12, r"log10 probability 0.3 is not <= 0"),
    "nan probability": (_edit(12, "nan\t<s> a"), 12, r"is not <= 0"),
    "unknown word": (_edit(14, "-0.4\ta zebra"), 14, r"word 'zebra' of this 2-gram is not in the \\1-grams"),
    "duplicate n-gram": (_edit(14, "-0.4\ta </s>"), 14, r"duplicate 2-gram 'a </s>' \(first on line 13\)"),
    "duplicate word": (_edit(9, "-1.2\ta"), 9, r"duplicate 1-gram 'a' \(first on line 7\)"),
    "section out of order": (_edit(11, "\\3-grams:"), 11, r"expected \\2-grams:"),
    "bad header line": (_edit(3, "ngram two=3"), 3, r"expected 'ngram N=COUNT'"),
    "header order skips": (_edit(3, "ngram 3=3"), 3, r"expected 'ngram 2=COUNT'"),
    "no end of sentence": (_edit(8, "-0.7\tb").replace("a </s>", "a b"), 5, r"no '</s>'"),
    "kit name in the file": (_edit(9, "-1.2\t<eos>"), 9, r"'<eos>' is the kit's name for '</s>'"),
    "end before a section": (_edit(3, "ngram 2=3\nngram 3=1"), 17, r"\\end\\ comes before the \\3-grams"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_malformed_file_errors_name_file_and_line(tmp_path: Path, case: str) -> None:
    text, line, pattern = BROKEN[case]
    path = tmp_path / "bad.arpa"
    path.write_text(text)
    with pytest.raises(ValueError, match=pattern) as info:
        NgramLM.from_arpa(path)
    assert str(info.value).startswith(f"{path}: line {line}:"), str(info.value)


def test_valid_base_file_reads(tmp_path: Path) -> None:
    (tmp_path / "ok.arpa").write_text(VALID)
    lm = NgramLM.from_arpa(tmp_path / "ok.arpa")
    assert lm.prob("a", []) == pytest.approx(10**-0.3)
    assert lm.prob(EOS, ["a"]) == pytest.approx(10**-0.2)


def test_not_an_arpa_file_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("hello\nworld\n")
    with pytest.raises(ValueError, match=r"x.txt: line 2: no \\data\\ line"):
        NgramLM.from_arpa(tmp_path / "x.txt")
    with pytest.raises(FileNotFoundError, match="missing.arpa"):
        NgramLM.from_arpa(tmp_path / "missing.arpa")
    (tmp_path / "bin.arpa").write_bytes(b"\\data\\\nngram 1=1\n\n\\1-grams:\n-1\t\xff\xfe\n")
    with pytest.raises(ValueError, match="bin.arpa.*UTF-8"):
        NgramLM.from_arpa(tmp_path / "bin.arpa")


# ---------------------------------------------------------------------------------------------
# command line


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    register_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def _write(path: Path, sentences: list[list[str]]) -> Path:
    path.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
    return path


def test_cli_writes_the_trained_model(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    train, test = _write(tmp_path / "train.txt", TRAIN), _write(tmp_path / "test.txt", TEST)
    arpa = tmp_path / "out.arpa"
    argv = [
        "ngram",
        "--train",
        str(train),
        "--test",
        str(test),
        "--order",
        "3",
        "--json",
        "--arpa",
        str(arpa),
    ]
    assert _run(argv) == 0
    out = capsys.readouterr().out.strip().splitlines()
    data = json.loads(out[-1])
    assert any(str(arpa) in line for line in out[:-1]), "the summary says where the file went"
    assert data["arpa"] == str(arpa) and len(data["arpa_ngrams_per_order"]) == 3
    assert NgramLM.from_arpa(arpa).perplexity(TEST) == pytest.approx(data["perplexity"], rel=1e-6)


def test_cli_writes_interpolated_and_reports_a_too_large_file(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rnnlm.cli import main

    train = _write(tmp_path / "train.txt", TRAIN)
    argv = ["ngram", "--train", str(train), "--test", str(train), "--smoothing", "interpolated"]
    assert main([*argv, "--order", "4", "--arpa", str(tmp_path / "ok.arpa")]) == 0  # small corpus: exact
    model = NgramLM(4, "interpolated").fit(TRAIN)
    assert NgramLM.from_arpa(tmp_path / "ok.arpa").perplexity(TEST) == pytest.approx(model.perplexity(TEST))
    capsys.readouterr()
    monkeypatch.setitem(NgramLM.to_arpa.__kwdefaults__, "max_ngrams", 1000)
    assert main([*argv, "--order", "3", "--arpa", str(tmp_path / "big.arpa")]) == 2
    err = capsys.readouterr().err
    assert "'interpolated'" in err and "no compact backoff form" in err
    assert not (tmp_path / "big.arpa").exists()


# ---------------------------------------------------------------------------------------------
# KenLM reads the kit's files


@pytest.fixture(scope="module")
def kenlm():
    try:
        import kenlm
    except ImportError as exc:
        pytest.skip(f"the KenLM Python module is not installed (pip install -e '.[dev]'): {exc}")
    return kenlm


def kenlm_logprobs(lm, sentences: list[list[str]]) -> np.ndarray:
    """Per-sentence log10 probability by KenLM, with <s> before and </s> after: (S,)."""
    return np.array([lm.score(" ".join(s), bos=True, eos=True) for s in sentences])


def kit_sentence_log10(model: NgramLM, sentences: list[list[str]]) -> np.ndarray:
    lp = model.score(sentences, base=10)
    ends = np.cumsum([len(s) + 1 for s in sentences])
    return np.add.reduceat(lp, np.concatenate([[0], ends[:-1]]))


@pytest.mark.parametrize(
    ("order", "smoothing"),
    [
        (2, "kneser-ney"),
        (3, "kneser-ney"),
        (4, "kneser-ney"),
        (3, "add-k"),
        (2, "interpolated"),
        (3, "interpolated"),
    ],
    ids=lambda x: str(x),
)
def test_kenlm_computes_the_kits_probabilities(tmp_path: Path, kenlm, order: int, smoothing: str) -> None:
    model = NgramLM(order, smoothing).fit(TRAIN)
    model.to_arpa(tmp_path / "m.arpa")
    lm = kenlm.Model(str(tmp_path / "m.arpa"))
    assert lm.order == order
    theirs, ours = kenlm_logprobs(lm, TEST), kit_sentence_log10(model, TEST)
    np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-5)  # KenLM keeps float32
    n_tokens = sum(len(s) + 1 for s in TEST)
    assert 10 ** (-theirs.sum() / n_tokens) == pytest.approx(model.perplexity(TEST), rel=1e-4)


def test_kenlm_agrees_with_mle_where_it_is_defined(tmp_path: Path, kenlm) -> None:
    model = NgramLM(3, "mle").fit(TRAIN)
    model.to_arpa(tmp_path / "m.arpa")
    lm = kenlm.Model(str(tmp_path / "m.arpa"))
    seen = TRAIN[:50]  # every n-gram seen: no zero probabilities
    ours = kit_sentence_log10(model, seen)
    np.testing.assert_allclose(kenlm_logprobs(lm, seen), ours, rtol=1e-5, atol=1e-5)
    assert lm.score("w1 zebra", bos=True, eos=True) < -90, "a zero is 1e-99 to KenLM"


@pytest.fixture(scope="module")
def ptb_kn5(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from rnnlm.data import corpus_path, read_sentences

    try:
        paths = {split: corpus_path("ptb", split) for split in ("train", "test")}
    except FileNotFoundError as exc:
        pytest.skip(f"PTB is not in the data directory (set RNNLM_DATA): {exc}")
    train, test = read_sentences(paths["train"]), read_sentences(paths["test"])
    model = NgramLM(5, "kneser-ney").fit(train)
    path = tmp_path_factory.mktemp("ptb") / "ptb5.arpa"
    t0 = time.perf_counter()
    model.to_arpa(path)
    return {"model": model, "test": test, "path": path, "write_seconds": time.perf_counter() - t0}


@pytest.mark.corpus
@pytest.mark.slow
def test_kenlm_reproduces_ptb_5gram_kneser_ney(ptb_kn5: dict, kenlm) -> None:
    model, test = ptb_kn5["model"], ptb_kn5["test"]
    lm = kenlm.Model(str(ptb_kn5["path"]))
    theirs = kenlm_logprobs(lm, test)
    n_tokens = sum(len(s) + 1 for s in test)
    kenlm_ppl, kit_ppl = 10 ** (-theirs.sum() / n_tokens), model.perplexity(test)
    assert kit_ppl == pytest.approx(141.2, abs=0.05), "Mikolov (2012) Table 4.1: KN 5-gram 141.2"
    assert kenlm_ppl == pytest.approx(kit_ppl, rel=1e-4)
    np.testing.assert_allclose(theirs, kit_sentence_log10(model, test), rtol=1e-4, atol=1e-4)


@pytest.mark.corpus
@pytest.mark.slow
def test_kit_reads_back_its_ptb_5gram_file(ptb_kn5: dict) -> None:
    model, test = ptb_kn5["model"], ptb_kn5["test"]
    back = NgramLM.from_arpa(ptb_kn5["path"])
    assert back.perplexity(test) == pytest.approx(model.perplexity(test), rel=1e-6)
    np.testing.assert_allclose(back.distribution(["of", "the"]), model.distribution(["of", "the"]), rtol=1e-6)
