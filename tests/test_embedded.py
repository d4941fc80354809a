"""The embedded corpus: a hidden Markov model whose sentence probabilities are known exactly."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest

from rnnlm.embedded import (
    EMBEDDED_SIZES,
    EmbeddedLanguage,
    default_language,
    embedded_perplexity_floor,
    embedded_splits,
)


def tiny_language() -> EmbeddedLanguage:
    """Two hidden classes sharing three words, so every word is ambiguous."""
    return EmbeddedLanguage(
        classes=["A", "B"],
        words=["x", "y", "z"],
        start=[0.6, 0.4],
        transition=[[0.2, 0.5], [0.3, 0.3]],
        end=[0.3, 0.4],
        emission=[[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]],
    )


def brute_force_prob(lang: EmbeddedLanguage, sentence: list[str]) -> float:
    """Sum over every hidden class path of P(path, sentence, end) - no dynamic programming."""
    ids = [lang.words.index(w) for w in sentence]
    S = lang.n_classes
    total = 0.0
    for path in itertools.product(range(S), repeat=len(ids)):
        p = lang.start[path[0]] * lang.emission[path[0], ids[0]]
        for prev, cur, w in zip(path[:-1], path[1:], ids[1:], strict=True):
            p *= lang.transition[prev, cur] * lang.emission[cur, w]
        total += p * lang.end[path[-1]]
    return total


# --------------------------------------------------------------------------------------------
# generation


def test_generation_is_deterministic_from_the_seed():
    lang = default_language()
    a = lang.generate(300, np.random.default_rng(7))
    b = lang.generate(300, np.random.default_rng(7))
    c = lang.generate(300, np.random.default_rng(8))
    assert a == b
    assert a != c
    assert len(a) == 300
    assert all(len(s) >= 1 and all(isinstance(w, str) for w in s) for s in a)


def test_generated_paths_only_use_allowed_events():
    lang = default_language()
    sents, classes = lang.generate(2000, np.random.default_rng(1), return_classes=True)
    ci = {c: i for i, c in enumerate(lang.classes)}
    for words, cls in zip(sents, classes, strict=True):
        assert len(words) == len(cls)
        idx = [ci[c] for c in cls]
        assert lang.start[idx[0]] > 0
        assert lang.end[idx[-1]] > 0
        for a, b in itertools.pairwise(idx):
            assert lang.transition[a, b] > 0
        for w, s in zip(words, idx, strict=True):
            assert lang.emission[s, lang.word_index[w]] > 0


def test_default_language_is_english_like_and_ambiguous():
    lang = default_language()
    assert 200 <= lang.vocab_size <= 1000
    assert lang.n_classes >= 8
    assert {"NOUN", "VERB", "DET", "ADJ", "PREP"} <= set(lang.classes)
    # some words belong to several classes, so the class of a word is really hidden
    assert ((lang.emission > 0).sum(axis=0) > 1).sum() >= 5
    # Zipf-like: inside each class the probabilities fall with rank
    for row in lang.emission:
        p = row[row > 0]
        assert p.max() >= 2 * np.median(p)


def test_mean_sentence_length_matches_the_chain():
    lang = default_language()
    S = lang.n_classes
    expected = lang.start @ np.linalg.inv(np.eye(S) - lang.transition) @ np.ones(S)
    lengths = np.array([len(s) for s in lang.generate(20000, np.random.default_rng(3))])
    se = lengths.std() / math.sqrt(lengths.size)
    assert abs(lengths.mean() - expected) < 5 * se
    assert lang.expected_length() == pytest.approx(expected)


def test_generate_rejects_bad_arguments():
    lang = tiny_language()
    with pytest.raises(TypeError, match="Generator"):
        lang.generate(3, 42)
    with pytest.raises(ValueError, match="n_sentences"):
        lang.generate(-1, np.random.default_rng(0))
    assert lang.generate(0, np.random.default_rng(0)) == []


def test_constructor_rejects_improper_models():
    good = dict(
        classes=["A", "B"], words=["x", "y"], start=[0.5, 0.5],
        transition=[[0.5, 0.3], [0.2, 0.2]], end=[0.2, 0.6], emission=[[0.5, 0.5], [1.0, 0.0]],
    )
    EmbeddedLanguage(**good)
    with pytest.raises(ValueError, match="end"):
        EmbeddedLanguage(**{**good, "end": [0.1, 0.6]})
    with pytest.raises(ValueError, match="spectral radius"):
        EmbeddedLanguage(**{**good, "transition": [[1.0, 0.0], [0.0, 0.4]], "end": [0.0, 0.6]})
    with pytest.raises(ValueError, match="shape"):
        EmbeddedLanguage(**{**good, "emission": [[0.5, 0.5]]})
    with pytest.raises(ValueError, match="distinct"):
        EmbeddedLanguage(**{**good, "words": ["x", "x"]})
    with pytest.raises(ValueError, match="non-negative"):
        EmbeddedLanguage(**{**good, "start": [1.5, -0.5]})


# --------------------------------------------------------------------------------------------
# exact probabilities


def test_probabilities_of_all_short_sentences_sum_to_one_minus_the_tail():
    lang = tiny_language()
    max_len = 7
    sentences = [list(s) for L in range(1, max_len + 1) for s in itertools.product(lang.words, repeat=L)]
    probs = np.exp(lang.logprobs(sentences))
    A = np.asarray(lang.transition)
    tail = lang.start @ np.linalg.matrix_power(A, max_len) @ np.ones(2)  # P(more than max_len words)
    assert probs.sum() == pytest.approx(1.0 - tail, abs=1e-12)
    lengths = np.array([len(s) for s in sentences])
    for L in range(1, max_len + 1):
        p_len = lang.start @ np.linalg.matrix_power(A, L - 1) @ lang.end
        assert probs[lengths == L].sum() == pytest.approx(p_len, abs=1e-13)


def test_forward_algorithm_matches_brute_force_over_class_paths():
    lang = default_language()
    short = [s for s in lang.generate(400, np.random.default_rng(5)) if len(s) <= 3][:8]
    crafted = [
        ["the", "light"], ["that", "light", "saw"],
        ["it", "saw", "it"], ["the", "well"], ["bob", "ran"],
    ]
    assert len(short) == 8
    for s in short + crafted:
        expected = brute_force_prob(lang, s)
        assert expected > 0
        assert lang.sentence_logprob(s) == pytest.approx(math.log(expected), rel=1e-12, abs=1e-12)
    # impossible sentences: no sentence starts with a noun or adjective, none ends after a determiner
    for s in (["light"], ["alice", "the"]):
        assert brute_force_prob(lang, s) == 0
        assert lang.sentence_logprob(s) == -np.inf
    tiny = tiny_language()
    for s in (["x"], ["z", "z"], ["y", "x", "z", "z"]):
        assert math.exp(tiny.sentence_logprob(s)) == pytest.approx(brute_force_prob(tiny, s), rel=1e-12)


def test_sampling_frequencies_agree_with_forward_probabilities():
    lang = tiny_language()
    n = 40000
    counts = Counter(tuple(s) for s in lang.generate(n, np.random.default_rng(11)))
    checked = 0
    for sent, c in counts.most_common(25):
        expected = n * math.exp(lang.sentence_logprob(list(sent)))
        assert abs(c - expected) < 5 * math.sqrt(expected), (sent, c, expected)
        checked += 1
    assert checked == 25


def test_batched_logprobs_match_one_at_a_time_and_zero_probability_cases():
    lang = default_language()
    sents = lang.generate(50, np.random.default_rng(2))
    mixed = [*sents[:10], [], ["the", "zzzz-not-a-word"], *sents[10:]]
    batch = lang.logprobs(mixed)
    assert batch.shape == (len(mixed),)
    for s, lp in zip(mixed, batch, strict=True):
        assert lang.sentence_logprob(s) == pytest.approx(lp, rel=1e-12)
    assert batch[10] == -np.inf  # empty sentence: the model never ends before the first word
    assert batch[11] == -np.inf  # unknown word
    assert np.all(np.isfinite(np.delete(batch, [10, 11])))
    assert np.all(batch <= 0)


def test_long_sentences_do_not_underflow():
    lang = default_language()
    unit = ["the", "dog", "saw"]
    one = lang.sentence_logprob(["the", "dog"])
    long = lang.sentence_logprob(unit * 200 + ["the", "dog"])
    assert np.isfinite(long)
    assert long < one - 1000  # a tiny but representable probability, computed in log space


def test_logprob_rejects_a_plain_string():
    with pytest.raises(TypeError, match="str"):
        default_language().sentence_logprob("the dog saw")
    with pytest.raises(TypeError):
        default_language().logprobs("the dog")


def test_perplexity_counts_one_end_event_per_sentence():
    lang = tiny_language()
    sents = lang.generate(200, np.random.default_rng(4))
    total = sum(lang.sentence_logprob(s) for s in sents)
    n_tokens = sum(len(s) + 1 for s in sents)
    assert lang.perplexity(sents) == pytest.approx(math.exp(-total / n_tokens), rel=1e-12)
    with pytest.raises(ValueError, match="at least one sentence"):
        lang.perplexity([])


# --------------------------------------------------------------------------------------------
# the kit's corpus and its floor


def test_embedded_splits_are_deterministic_and_sized():
    fast_a = embedded_splits(fast=True)
    fast_b = embedded_splits(fast=True)
    assert fast_a == fast_b
    assert set(fast_a) == {"train", "valid", "test"}
    for split, n in EMBEDDED_SIZES[True].items():
        assert len(fast_a[split]) == n
    assert fast_a["train"] != fast_a["valid"][: len(fast_a["train"])]
    full = embedded_splits(fast=False)
    full_tokens = sum(len(s) + 1 for s in full["train"])
    fast_tokens = sum(len(s) + 1 for s in fast_a["train"])
    assert 150_000 <= full_tokens <= 300_000
    assert 10_000 <= fast_tokens <= 40_000


def test_fast_mode_follows_the_environment(monkeypatch):
    monkeypatch.setenv("RNNLM_FAST", "1")
    assert embedded_splits() == embedded_splits(fast=True)
    with pytest.raises(TypeError, match="fast"):
        embedded_splits(fast="yes")


def test_floor_is_finite_and_beats_a_unigram_model():
    splits = embedded_splits(fast=True)
    floor = embedded_perplexity_floor("test", fast=True)
    assert np.isfinite(floor) and floor > 1
    assert floor == pytest.approx(default_language().perplexity(splits["test"]))
    # add-one unigram model fitted on train (with <eos>), evaluated on test
    counts = Counter(w for s in splits["train"] for w in [*s, "<eos>"])
    vocab = set(default_language().words) | {"<eos>"}
    n = sum(counts.values())
    logp = sum(math.log((counts[w] + 1) / (n + len(vocab))) for s in splits["test"] for w in [*s, "<eos>"])
    m = sum(len(s) + 1 for s in splits["test"])
    unigram_ppl = math.exp(-logp / m)
    assert floor < unigram_ppl
    with pytest.raises(ValueError, match="split"):
        embedded_perplexity_floor("dev", fast=True)
