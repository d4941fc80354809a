"""rnnlm.ngram: counting, the four smoothings, perplexity convention, sampling, CLI, real PTB.

Reference values are computed here, independently of the library, from plain ``Counter``s of the
padded sentences (``order - 1`` times ``<s>``, the words, ``<eos>``).
"""

from __future__ import annotations

import argparse
import json
import math
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from rnnlm.ngram import (
    BOS,
    EOS,
    SMOOTHINGS,
    UNK,
    NgramLM,
    NotFittedError,
    modified_kn_discounts,
    perplexity_from_logprobs,
    register_cli,
)

TOY = [
    s.split()
    for s in ("the dog is cute", "the cat is cute", "the dog barks", "a dog is a dog", "the cat sleeps")
]


def synthetic_corpus(n_sentences: int, seed: int, V: int = 200) -> list[list[str]]:
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
        for _ in range(rng.integers(1, 12)):
            w = int(rng.choice(V, p=trans[w]))
            sent.append(words[w])
        out.append(sent)
    return out


SYN = synthetic_corpus(400, seed=7)
SYN_TEST = synthetic_corpus(60, seed=8)


# ---------------------------------------------------------------------------------------------
# independent reference: counts of predicted n-grams and the smoothing formulas


def padded(sentence: list[str], n: int) -> list[str]:
    return [BOS] * (n - 1) + sentence + [EOS]


def predicted_counts(sentences: list[list[str]], n: int) -> dict[int, Counter]:
    """counts[m][(w_1..w_m)]: how often the m-gram ends at a predicted token (word or <eos>)."""
    counts = {m: Counter() for m in range(1, n + 1)}
    for s in sentences:
        t = padded(s, n)
        for i in range(n - 1, len(t)):
            for m in range(1, n + 1):
                counts[m][tuple(t[i - m + 1 : i + 1])] += 1
    return counts


def context_totals(counter: Counter) -> Counter:
    tot = Counter()
    for g, c in counter.items():
        tot[g[:-1]] += c
    return tot


def full_context(context: list[str], n: int) -> tuple[str, ...]:
    return tuple([BOS] * (n - 1 - len(context)) + list(context))


def mle_ref(counts: dict[int, Counter], word: str, context: tuple[str, ...], n: int, V: int) -> float:
    """MLE of the longest suffix of ``context`` seen in training (the library's documented fallback)."""
    for m in range(n, 0, -1):
        h = context[len(context) - (m - 1) :] if m > 1 else ()
        tot = context_totals(counts[m])[h]
        if tot > 0:
            return counts[m][h + (word,)] / tot
    return 1.0 / V


class KneserNeyReference:
    """Interpolated modified Kneser-Ney written out with dicts, following the module docstring."""

    def __init__(self, sentences: list[list[str]], n: int, vocab: list[str]) -> None:
        self.n, self.V = n, len(vocab)
        raw = predicted_counts(sentences, n)
        adj = {n: raw[n]}
        for m in range(n - 1, 0, -1):
            cont = Counter(g[1:] for g in raw[m + 1])  # distinct left extensions
            adj[m] = Counter({g: (c if g[0] == BOS else cont[g]) for g, c in raw[m].items()})
        self.adj = adj
        self.coc = {}
        self.D = {}
        for m in range(1, n + 1):
            coc = Counter(c for g, c in adj[m].items() if not self.double_bos(g))
            self.coc[m] = [coc[r] for r in (1, 2, 3, 4)]
            n1, n2, n3, n4 = self.coc[m]
            y = n1 / (n1 + 2 * n2)
            self.D[m] = {0: 0.0, 1: 1 - 2 * y * n2 / n1, 2: 2 - 3 * y * n3 / n2, 3: 3 - 4 * y * n4 / n3}
        self.tot, self.gamma = {}, {}
        for m in range(1, n + 1):
            tot, gam = Counter(), Counter()
            for g, c in adj[m].items():
                tot[g[:-1]] += c
                gam[g[:-1]] += self.D[m][min(c, 3)]
            self.tot[m], self.gamma[m] = tot, gam

    @staticmethod
    def double_bos(g: tuple[str, ...]) -> bool:
        return len(g) >= 2 and g[0] == BOS and g[1] == BOS

    def prob(self, word: str, context: tuple[str, ...]) -> float:
        p = 1.0 / self.V
        for m in range(1, self.n + 1):
            h = context[len(context) - (m - 1) :] if m > 1 else ()
            if self.double_bos(h) or self.tot[m][h] == 0:
                continue
            a = self.adj[m][h + (word,)]
            p = (max(a - self.D[m][min(a, 3)], 0.0) + self.gamma[m][h] * p) / self.tot[m][h]
        return p


def random_contexts(model: NgramLM, sentences: list[list[str]], rng: np.random.Generator, k: int) -> list:
    """Seen contexts (from the data, incl. sentence starts), random word tuples, and unseen words."""
    n = model.order
    out: list[list[str]] = [[]]
    for _ in range(k):
        s = sentences[rng.integers(len(sentences))]
        t = padded(s, n)
        i = int(rng.integers(n - 1, len(t)))
        out.append(t[i - n + 1 : i] if n > 1 else [])
        out.append(list(rng.choice(model.vocab, size=n - 1)) if n > 1 else [])
    if n > 1:
        out.append(["never-seen-word"] * (n - 1))
        out.append(["dog"] + [UNK] * (n - 2))
        out.append([sentences[0][0]])  # shorter than order-1: a sentence start
    return out


def make(order: int, smoothing: str, **kw) -> NgramLM:
    return NgramLM(order, smoothing, **kw)


# ---------------------------------------------------------------------------------------------
# distributions


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_distribution_sums_to_one_for_seen_and_unseen_contexts(smoothing: str, order: int) -> None:
    model = make(order, smoothing).fit(SYN)
    rng = np.random.default_rng(order)
    for ctx in random_contexts(model, SYN, rng, 8):
        p = model.distribution(ctx)
        assert p.shape == (model.V,)
        assert (p >= 0).all(), f"negative probability for context {ctx}"
        assert p.sum() == pytest.approx(1.0, abs=1e-10), f"{smoothing} {order}-gram, context {ctx}"
        j = int(rng.integers(model.V))
        assert model.prob(model.vocab[j], ctx) == pytest.approx(p[j], rel=1e-12, abs=1e-300)


def test_vocabulary_is_training_words_plus_end_and_unk() -> None:
    model = NgramLM(2, "mle").fit(TOY)
    words = {w for s in TOY for w in s}
    assert model.vocab == sorted(words | {EOS, UNK})
    assert BOS not in model.vocab
    assert model.V == len(words) + 2


def test_special_tokens_are_the_kits_one_set() -> None:
    from rnnlm import data

    assert (BOS, EOS, UNK) == (data.BOS, data.EOS, data.UNK) == ("<s>", "<eos>", "<unk>")
    vocab = data.Vocab.build(TOY)
    assert (vocab.eos_token, vocab.unk_token) == (EOS, UNK)
    model = NgramLM(2, "mle").fit(TOY)
    assert vocab.itos[vocab.eos_id] == model.vocab[model.word_id(EOS)] == EOS  # both predict <eos>
    assert set(model.vocab) == set(vocab.itos)


def test_mle_equals_count_ratio_exactly() -> None:
    for n in (1, 2, 3):
        model = NgramLM(n, "mle").fit(TOY)
        counts = predicted_counts(TOY, n)
        totals = context_totals(counts[n])
        for h, tot in totals.items():
            ctx = list(h)
            for w in model.vocab:
                assert model.prob(w, ctx) == counts[n][h + (w,)] / tot, (w, h)
    model = NgramLM(2, "mle").fit(TOY)
    assert model.prob("dog", ["the"]) == 2 / 4  # the dog, the dog, the cat, the cat
    assert model.prob("the", []) == 4 / 5  # four of five sentences start with "the"
    assert model.prob(EOS, ["cute"]) == 1.0


def test_mle_unseen_context_uses_longest_seen_suffix() -> None:
    model = NgramLM(3, "mle").fit(TOY)
    counts = predicted_counts(TOY, 3)
    assert context_totals(counts[3])[("cute", "dog")] == 0
    for w in model.vocab:
        assert model.prob(w, ["cute", "dog"]) == mle_ref(counts, w, ("cute", "dog"), 3, model.V)
    assert model.prob("is", ["cute", "dog"]) == counts[2][("dog", "is")] / context_totals(counts[2])[("dog",)]


@pytest.mark.parametrize("k", [0.5, 1.0, 2.0])
def test_add_k_equals_its_formula(k: float) -> None:
    n = 3
    model = NgramLM(n, "add-k", k=k).fit(TOY)
    counts = predicted_counts(TOY, n)
    totals = context_totals(counts[n])
    V = model.V
    for ctx in (["the", "dog"], [], ["dog"], ["cute", "dog"], ["zebra", "a"]):
        h = tuple(model.vocab[model.word_id(w)] if w != BOS else BOS for w in full_context(ctx, n))
        for w in model.vocab:
            want = (counts[n][h + (w,)] + k) / (totals[h] + k * V)
            assert model.prob(w, ctx) == pytest.approx(want, rel=1e-14)


def test_laplace_is_add_one() -> None:
    a = NgramLM(2, "laplace").fit(TOY)
    b = NgramLM(2, "add-k", k=1).fit(TOY)
    assert a.smoothing == "add-k" and a.k == 1.0
    np.testing.assert_array_equal(a.distribution(["dog"]), b.distribution(["dog"]))


def test_interpolated_is_the_weighted_sum_of_mles() -> None:
    n = 3
    lam = [0.05, 0.15, 0.3, 0.5]
    model = NgramLM(n, "interpolated", lambdas=lam).fit(TOY)
    counts = predicted_counts(TOY, n)
    for ctx in (("the", "dog"), (BOS, "the"), ("cute", "dog"), ("zebra", "zebra")):
        h = tuple(UNK if w == "zebra" else w for w in ctx)
        for w in model.vocab:
            comps = [1 / model.V] + [mle_ref(counts, w, h[len(h) - (m - 1) :], m, model.V) for m in (1, 2, 3)]
            assert model.prob(w, list(ctx)) == pytest.approx(float(np.dot(lam, comps)), rel=1e-12)


def test_tuned_lambdas_maximise_heldout_likelihood() -> None:
    model = NgramLM(3, "interpolated").fit(SYN)
    default_ppl = model.perplexity(SYN_TEST)
    lam = model.tune_lambdas(SYN_TEST)
    assert lam.shape == (4,) and (lam >= 0).all() and lam.sum() == pytest.approx(1.0)
    tuned_ppl = model.perplexity(SYN_TEST)
    assert tuned_ppl <= default_ppl + 1e-9
    rng = np.random.default_rng(0)
    for _ in range(5):
        other = NgramLM(3, "interpolated", lambdas=rng.dirichlet(np.ones(4))).fit(SYN)
        assert tuned_ppl <= other.perplexity(SYN_TEST) * (1 + 1e-6)


def test_kneser_ney_discounts_follow_count_of_counts() -> None:
    n = 3
    model = NgramLM(n, "kneser-ney").fit(SYN)
    ref = KneserNeyReference(SYN, n, model.vocab)
    for m in range(1, n + 1):
        assert min(ref.coc[m]) > 0, "test corpus must have n1..n4 > 0 at every order"
        np.testing.assert_allclose(model.discounts[m - 1], [ref.D[m][r] for r in (1, 2, 3)], rtol=1e-12)
        np.testing.assert_allclose(modified_kn_discounts(ref.coc[m]), model.discounts[m - 1], rtol=1e-12)
    assert model.discounts.shape == (n, 3)


def test_kneser_ney_probabilities_match_reference() -> None:
    n = 3
    model = NgramLM(n, "kneser-ney").fit(SYN)
    ref = KneserNeyReference(SYN, n, model.vocab)
    rng = np.random.default_rng(3)
    for ctx in random_contexts(model, SYN, rng, 6):
        h = tuple(w if w in model.vocab or w == BOS else UNK for w in full_context(ctx, n))
        want = np.array([ref.prob(w, h) for w in model.vocab])
        np.testing.assert_allclose(model.distribution(ctx), want, rtol=1e-12, err_msg=str(ctx))


def test_kneser_ney_lower_orders_use_continuation_counts() -> None:
    # "francisco" is frequent but always after "san": its unigram continuation probability is low.
    sents = [["san", "francisco"]] * 20 + [s.split() for s in ("a b", "a c", "b c", "c b", "b a", "c a")]
    unigram = NgramLM(1, "mle").fit(sents)
    assert unigram.prob("francisco") > unigram.prob("a")  # 20 against 4 occurrences
    model = NgramLM(2, "kneser-ney").fit(sents)
    # an unseen context falls to the unigram level: 1 left context for "francisco", 3 for "a"
    assert model.prob("francisco", ["zzz"]) < model.prob("a", ["zzz"])


def test_explicit_discounts_are_used() -> None:
    model = NgramLM(2, "kneser-ney", discounts=(0.5, 0.5, 0.5)).fit(TOY)
    np.testing.assert_array_equal(model.discounts, np.full((2, 3), 0.5))
    assert model.distribution(["dog"]).sum() == pytest.approx(1.0)


def test_modified_kn_discounts_fall_back_when_undefined() -> None:
    assert modified_kn_discounts([10, 5, 0, 0])[1:] == (2.0, 1.5)  # n3 = 0: D3+ is 0/0
    assert modified_kn_discounts([10, 1, 50, 1])[1] == 1.0  # D2 would be negative
    assert modified_kn_discounts([0, 0, 0, 0]) == (0.5, 1.0, 1.5)
    d1, d2, d3 = modified_kn_discounts([100, 40, 20, 10])
    y = 100 / 180
    assert (d1, d2, d3) == pytest.approx((1 - 2 * y * 0.4, 2 - 3 * y * 0.5, 3 - 4 * y * 0.5))


# ---------------------------------------------------------------------------------------------
# perplexity, scoring, unknown words


@pytest.mark.parametrize("smoothing", ["kneser-ney", "add-k", "interpolated"])
def test_perplexity_is_exp_mean_negative_logprob_with_end_symbol(smoothing: str) -> None:
    n = 3
    model = NgramLM(n, smoothing).fit(SYN)
    logs = []
    for s in SYN_TEST:
        t = padded(s, n)
        for i in range(n - 1, len(t)):  # predicts every word and <eos>, never <s>
            logs.append(math.log(model.prob(t[i], t[i - n + 1 : i])))
    assert len(logs) == sum(len(s) + 1 for s in SYN_TEST)
    lp = model.score(SYN_TEST)
    np.testing.assert_allclose(lp, logs, rtol=1e-12)
    assert model.perplexity(SYN_TEST) == pytest.approx(math.exp(-sum(logs) / len(logs)), rel=1e-12)
    assert model.cross_entropy(SYN_TEST) == pytest.approx(-np.mean(logs) / math.log(2), rel=1e-12)
    np.testing.assert_allclose(model.score(SYN_TEST, base=2), lp / math.log(2), rtol=1e-12)
    assert model.logprob("w1", ["w2"], base=2) == pytest.approx(math.log2(model.prob("w1", ["w2"])))


def test_unseen_words_without_unk_in_training() -> None:
    test = [["the", "zebra", "is", "cute"]]
    for smoothing in ("kneser-ney", "add-k", "interpolated"):
        model = NgramLM(2, smoothing).fit(TOY)
        assert model.prob("zebra", ["the"]) == model.prob(UNK, ["the"]) > 0
        assert math.isfinite(model.perplexity(test))
    mle = NgramLM(2, "mle").fit(TOY)
    assert mle.prob("zebra", ["the"]) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mle.perplexity(test) == math.inf
        assert mle.logprob("zebra", ["the"]) == -math.inf
        assert np.isneginf(mle.score(test)).sum() == 1


def test_unk_in_training_is_an_ordinary_word() -> None:
    sents = [["a", UNK, "b"], ["a", "b"], [UNK, "b"]]
    model = NgramLM(2, "mle").fit(sents)
    assert model.count([UNK]) == 2
    assert model.prob("never-seen", ["a"]) == model.prob(UNK, ["a"]) == 0.5
    assert model.perplexity([["a", "zebra", "b"]]) < math.inf


def test_perplexity_from_logprobs_checks_input() -> None:
    assert perplexity_from_logprobs(np.log([0.5, 0.5])) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="non-empty"):
        perplexity_from_logprobs(np.zeros(0))
    with pytest.raises(ValueError, match="<= 0"):
        perplexity_from_logprobs(np.array([0.3]))


# ---------------------------------------------------------------------------------------------
# counts and memory report


def test_count_and_report_match_independent_counts() -> None:
    n = 3
    model = NgramLM(n, "kneser-ney").fit(SYN)
    counts = predicted_counts(SYN, n)
    rows = model.report()
    assert [r["order"] for r in rows] == [1, 2, 3]
    for r in rows:
        assert r["ngrams"] == len(counts[r["order"]])
        assert isinstance(r["bytes"], int) and r["bytes"] > 0
    assert model.nbytes == sum(r["bytes"] for r in rows)
    for m in (1, 2, 3):
        for g, c in list(counts[m].items())[:50]:
            assert model.count(list(g)) == c
        top = model.most_common(m, 5)
        assert [c for _, c in top] == [c for _, c in counts[m].most_common(5)]
        assert all(counts[m][g] == c for g, c in top)
    assert model.count(["w0", "not-a-word"]) == 0
    assert model.count([BOS, BOS, SYN[0][0]]) == sum(1 for s in SYN if s[0] == SYN[0][0])


def test_more_data_and_higher_order_store_more_ngrams() -> None:
    small = NgramLM(3, "mle").fit(SYN[:100])
    big = NgramLM(3, "mle").fit(SYN)
    assert big.report()[2]["ngrams"] > small.report()[2]["ngrams"]
    assert big.nbytes > small.nbytes
    assert NgramLM(4, "mle").fit(SYN).nbytes > big.nbytes


# ---------------------------------------------------------------------------------------------
# sampling


def test_generate_is_deterministic_from_a_seed() -> None:
    model = NgramLM(3, "kneser-ney").fit(SYN)
    a = model.generate(20, np.random.default_rng(42))
    assert a == model.generate(20, np.random.default_rng(42)) == model.generate(20, 42)
    outs = {tuple(model.generate(20, seed)) for seed in range(10)}
    assert len(outs) > 1
    assert all(len(o) <= 20 and set(o) <= set(model.vocab) - {EOS} for o in outs)
    assert model.generate(0, 1) == []


def test_generate_mle_only_uses_seen_bigrams_and_follows_the_distribution() -> None:
    model = NgramLM(2, "mle").fit(TOY)
    seen = set(predicted_counts(TOY, 2)[2])
    rng = np.random.default_rng(0)
    firsts = Counter()
    for _ in range(600):
        words = model.generate(10, rng)
        t = [BOS] + words + ([EOS] if len(words) < 10 else [])
        assert all(tuple(t[i : i + 2]) in seen for i in range(len(t) - 1)), t
        firsts[words[0]] += 1
    assert firsts["the"] / 600 == pytest.approx(4 / 5, abs=0.06)
    assert set(firsts) == {"the", "a"}


def test_generate_continues_a_context() -> None:
    model = NgramLM(2, "mle").fit(TOY)
    for seed in range(5):
        out = model.generate(5, seed, context=["dog"])
        assert out == [] or out[0] in {"is", "barks"}  # what follows "dog" in training
        assert model.generate(1, seed, context=["sleeps"]) == []  # "sleeps" is always followed by <eos>


# ---------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("order", [0, -1])
def test_order_must_be_positive(order: int) -> None:
    with pytest.raises(ValueError, match="order must be >= 1"):
        NgramLM(order)


@pytest.mark.parametrize("order", [2.5, "3", True, None])
def test_order_must_be_an_int(order: object) -> None:
    with pytest.raises(TypeError, match="order must be an int"):
        NgramLM(order)  # type: ignore[arg-type]


def test_unknown_smoothing_lists_valid_names() -> None:
    with pytest.raises(ValueError) as exc:
        NgramLM(3, "good-turing")
    for name in SMOOTHINGS:
        assert name in str(exc.value)


@pytest.mark.parametrize("k", [0, -1.0, float("nan"), float("inf")])
def test_k_must_be_positive(k: float) -> None:
    with pytest.raises(ValueError, match="k must be"):
        NgramLM(2, "add-k", k=k)


def test_parameters_of_other_smoothings_are_rejected() -> None:
    with pytest.raises(ValueError, match="k is a parameter"):
        NgramLM(2, "kneser-ney", k=0.5)
    with pytest.raises(ValueError, match="lambdas"):
        NgramLM(2, "mle", lambdas=[0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="discounts"):
        NgramLM(2, "add-k", discounts=(0.5, 1, 1.5))
    with pytest.raises(ValueError, match="laplace"):
        NgramLM(2, "laplace", k=0.5)
    with pytest.raises(ValueError, match="order\\+1 = 3"):
        NgramLM(2, "interpolated", lambdas=[0.5, 0.5])
    with pytest.raises(ValueError, match="sum to 1"):
        NgramLM(2, "interpolated", lambdas=[0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="D1 <= 1"):
        NgramLM(2, "kneser-ney", discounts=(1.5, 1, 1))


@pytest.mark.parametrize("corpus", [[], [[]], [[], []]])
def test_empty_corpus_is_rejected(corpus: list) -> None:
    with pytest.raises(ValueError, match="empty corpus"):
        NgramLM(2).fit(corpus)


def test_malformed_sentences_are_rejected() -> None:
    with pytest.raises(TypeError, match="list of token lists"):
        NgramLM(2).fit("the dog is cute")
    with pytest.raises(TypeError, match="split sentences into words"):
        NgramLM(2).fit(["the dog is cute"])
    with pytest.raises(TypeError, match="tokens must be str"):
        NgramLM(2).fit([["the", 3]])
    with pytest.raises(TypeError, match="tokens must be str"):
        NgramLM(2).fit([["the", ["dog"]]])
    with pytest.raises(ValueError, match="must not contain '<s>'"):
        NgramLM(2).fit([[BOS, "the", "dog"]])
    with pytest.raises(ValueError, match=f"must not contain '{EOS}'"):
        NgramLM(2).fit([["the", "dog", EOS]])
    model = NgramLM(2).fit(TOY)
    with pytest.raises(ValueError, match=f"must not contain '{EOS}'"):
        model.score([["the", EOS]])
    with pytest.raises(TypeError, match="tokens must be str"):
        model.score([["the", 7]])


def test_context_longer_than_order_minus_one_is_rejected() -> None:
    model = NgramLM(3).fit(TOY)
    with pytest.raises(ValueError, match="at most order-1 = 2"):
        model.prob("cute", ["the", "dog", "is"])
    with pytest.raises(ValueError, match="at most order-1 = 0"):
        NgramLM(1).fit(TOY).distribution(["the"])
    with pytest.raises(TypeError, match="context must be a list"):
        model.prob("cute", "is")
    with pytest.raises(ValueError, match="never predicted"):
        model.prob(BOS, ["the"])
    with pytest.raises(ValueError, match="start of a context"):
        model.prob("dog", ["the", BOS])


def test_queries_before_fit_are_rejected() -> None:
    model = NgramLM(2)
    for call in (
        lambda: model.prob("a", []),
        lambda: model.distribution([]),
        lambda: model.score(TOY),
        lambda: model.perplexity(TOY),
        lambda: model.generate(3, 0),
        lambda: model.report(),
        lambda: model.vocab,
    ):
        with pytest.raises(NotFittedError, match="call fit"):
            call()


def test_other_bad_arguments() -> None:
    model = NgramLM(2, "interpolated").fit(TOY)
    with pytest.raises(ValueError, match="empty test set"):
        model.perplexity([])
    with pytest.raises(ValueError, match="base must be"):
        model.score(TOY, base=1)
    with pytest.raises(TypeError, match="rng must be"):
        model.generate(3, "seed")
    with pytest.raises(ValueError, match="max_len"):
        model.generate(-1, 0)
    with pytest.raises(ValueError, match="at most order-1 = 0"):
        NgramLM(1).fit(TOY).generate(3, 0, context=["the"])
    with pytest.raises(ValueError, match="tune_lambdas needs"):
        NgramLM(2, "mle").fit(TOY).tune_lambdas(TOY)
    with pytest.raises(ValueError, match="1 to 2 words"):
        model.count(["a", "b", "c"])


# ---------------------------------------------------------------------------------------------
# command line


def _write(path: Path, sentences: list[list[str]]) -> Path:
    path.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
    return path


def _run_handler(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="rnnlm")
    register_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_json_last_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    train, test = _write(tmp_path / "train.txt", SYN), _write(tmp_path / "test.txt", SYN_TEST)
    argv = ["ngram", "--train", str(train), "--test", str(test), "--order", "3", "--smoothing", "kneser-ney"]
    assert _run_handler(argv + ["--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) > 3, "a human summary comes before the JSON line"
    out = json.loads(lines[-1])
    model = NgramLM(3).fit(SYN)
    assert out["perplexity"] == pytest.approx(model.perplexity(SYN_TEST), rel=1e-12)
    assert out["order"] == 3 and out["smoothing"] == "kneser-ney"
    assert out["ngrams"] == sum(r["ngrams"] for r in model.report())
    assert out["test_tokens"] == sum(len(s) + 1 for s in SYN_TEST)
    assert out["seconds"] >= out["build_seconds"] >= 0

    assert _run_handler(argv) == 0
    human = capsys.readouterr().out
    assert "perplexity" in human and "{" not in human


def test_cli_mle_with_unseen_words_reports_infinite_perplexity(tmp_path: Path, capsys) -> None:
    train, test = _write(tmp_path / "train.txt", TOY), _write(tmp_path / "test.txt", [["the", "zebra"]])
    argv = ["ngram", "--train", str(train), "--test", str(test), "--order", "2", "--smoothing", "mle"]
    assert _run_handler(argv + ["--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert "inf" in " ".join(out[:-1])
    data = json.loads(out[-1])
    assert data["perplexity"] is None and data["zero_probability_tokens"] == 1


def test_cli_through_main(tmp_path: Path, capsys) -> None:
    from rnnlm.cli import main

    train, test = _write(tmp_path / "train.txt", TOY), _write(tmp_path / "test.txt", TOY[:2])
    base = ["ngram", "--train", str(train), "--test", str(test), "--order", "2"]
    assert main(base + ["--smoothing", "add-k", "--k", "0.5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["smoothing"] == "add-k" and out["k"] == 0.5
    assert main(base + ["--smoothing", "witten-bell"]) == 2
    assert "kneser-ney" in capsys.readouterr().err
    assert main(["ngram", "--train", str(tmp_path / "missing.txt"), "--test", str(test)]) == 2


# ---------------------------------------------------------------------------------------------
# real corpus: Penn Treebank (Mikolov's split) from the data directory


@pytest.fixture(scope="module")
def ptb() -> dict[str, list[list[str]]]:
    from rnnlm.data import corpus_path, read_sentences

    try:
        paths = {split: corpus_path("ptb", split) for split in ("train", "test")}
    except FileNotFoundError as exc:
        pytest.skip(f"PTB is not in the data directory (set RNNLM_DATA): {exc}")
    return {split: read_sentences(p) for split, p in paths.items()}


@pytest.mark.corpus
def test_ptb_trigram_kneser_ney_matches_published(ptb) -> None:
    model = NgramLM(3, "kneser-ney").fit(ptb["train"])
    assert model.V == 10000  # 9,999 word types incl. <unk>, plus <eos>
    assert model.n_train_tokens == 929589
    ppl = model.perplexity(ptb["test"])
    assert ppl == pytest.approx(148.3, rel=0.05), "Mikolov (2012) Table 4.1: KN 3-gram 148.3"
    for ctx in ([], ["the"], ["of", "the"], ["zzz", "qqq"]):
        assert model.distribution(ctx).sum() == pytest.approx(1.0, abs=1e-9)


@pytest.mark.corpus
def test_ptb_5gram_kneser_ney_matches_published(ptb) -> None:
    model = NgramLM(5, "kneser-ney").fit(ptb["train"])
    ppl = model.perplexity(ptb["test"])
    assert ppl == pytest.approx(141.2, rel=0.05), "Mikolov (2012) Table 4.1: KN 5-gram 141.2"
