# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # 01 · Counting n-grams: the first language models
#
# A **language model** gives a probability to every sentence: $P(\text{the dog is cute})$ should be
# larger than $P(\text{cute is dog the})$. Long before neural networks, the way to build one was to
# *count*: how often does each short run of words occur in a large body of text?
#
# In this notebook you will
#
# 1. split a sentence's probability into word-by-word predictions (**chain rule**) and shorten the
#    history each prediction looks at (**Markov assumption**);
# 2. **count** unigrams, bigrams and trigrams and turn the counts into **maximum-likelihood** probabilities;
# 3. see why a model that gives probability zero to everything it has not seen fails on new text;
# 4. repair it with **smoothing**: add-k, interpolation and Kneser–Ney;
# 5. measure models with **perplexity**;
# 6. measure the **price** of counting: how many distinct n-grams there are, and how much memory they
#    take, as the order $n$ and the corpus grow. This price is what recurrent networks will avoid.
#
# | exercise | you write | points |
# | --- | --- | --- |
# | 1 | `count_ngrams(sentences, n)` | 3 |
# | 2 | `mle_prob(counts, word, context)` | 2 |
# | 3 | `sentence_log2probs(sentence, n, prob)` | 2 |
# | 4 | `add_k_prob(counts, word, context, vocab_size, k)` | 2 |
# | 5 | `perplexity_from_log2probs(log2probs)` | 2 |
# | 6 | a written answer (section 9) | 3 |
#
# **How to work.** In each answer cell, replace `raise NotImplementedError()` with your code; keep the
# function's name and parameters. Then run the cell right below it, `rnnlm.check("nb01_count_ngrams")`
# for exercise 1: it runs the exercise's checks on your function and prints `PASSED`, or the first check
# that fails with a hint, without stopping the notebook. The test cell after it runs the same checks
# (they point at common mistakes), and more (hidden) tests run when your notebook is graded. The rest
# of the notebook uses the library `rnnlm` for the heavy lifting, so it runs even before you finish an
# exercise.
# A warning your code prints (for example NumPy's `RuntimeWarning` when a correct answer gives `inf`)
# costs no points: the grader shows it in your feedback as a note. Only an error or a failed check does.
#
# *Fast mode.* With the environment variable `RNNLM_FAST=1` every corpus and experiment shrinks so that
# the whole notebook runs in about a minute; the grader always uses it. Without it, expect a few minutes.

# %% nbgrader={"grade": false, "grade_id": "nb01_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# %matplotlib inline
import math
import time
from collections import Counter

import numpy as np

import rnnlm
from rnnlm import data, plots
from rnnlm.embedded import embedded_perplexity_floor, embedded_splits
from rnnlm.ngram import BOS, EOS, NgramLM  # BOS = "<s>", EOS = "<eos>": the kit's sentence padding

FAST = rnnlm.fast_mode()
SEED = 0
rng = np.random.default_rng(SEED)
print(f"rnnlm {rnnlm.__version__}, fast mode: {FAST}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_chain_rule", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. From the chain rule to the Markov assumption
#
# Write a sentence as words $w_1, w_2, \dots, w_T$. The **chain rule** of probability splits its
# probability into one prediction per word, each conditioned on everything before it:
#
# $$P(w_1, \dots, w_T) \;=\; \prod_{t=1}^{T} P(w_t \mid w_1, \dots, w_{t-1}).$$
#
# This is exact, but it does not help yet: the history $w_1, \dots, w_{t-1}$ grows with $t$, and a long
# history has almost never been seen before, so we cannot estimate its next-word distribution by
# counting. The **Markov assumption of order $n$** keeps only the last $n-1$ words:
#
# $$P(w_t \mid w_1, \dots, w_{t-1}) \;\approx\; P(w_t \mid w_{t-n+1}, \dots, w_{t-1}).$$
#
# With $n = 1$ (a **unigram** model) each word ignores its history; with $n = 2$ (**bigram**) it looks at
# one previous word; with $n = 3$ (**trigram**) at two. A run of $n$ words is an **n-gram**.
#
# **Padding.** The first words have fewer than $n-1$ predecessors, so we put $n-1$ start symbols
# `<s>` in front of each sentence. We also put one end symbol `<eos>` after it and make the model
# *predict* it: a model has to decide when a sentence stops, otherwise "the dog is" would be as
# likely as "the dog is cute", and the probabilities of all sentences would not sum to one.
#
# The whole kit ends every sentence with this one token, `<eos>`: the n-gram models of this notebook
# and the RNN vocabularies of notebooks 02-06 predict the same `<eos>` (`rnnlm.data.EOS`). Many
# textbooks, and the ARPA files that n-gram toolkits write, call it `</s>`; it is only a name. The
# start symbol `<s>` only ever pads the left context and is never predicted.
#
# For a trigram model, "the dog is cute" becomes `<s> <s> the dog is cute <eos>`, and its probability is
#
# $$P(\text{the}\mid\texttt{<s>}\,\texttt{<s>})\;P(\text{dog}\mid\texttt{<s>}\,\text{the})\;
# P(\text{is}\mid\text{the dog})\;P(\text{cute}\mid\text{dog is})\;P(\texttt{<eos>}\mid\text{is cute}).$$
#
# Each factor uses one trigram, the window that ends on the token being predicted. A sentence of
# $L$ words therefore holds exactly $L + 1$ n-grams, whatever $n$ is: one per word and one for `<eos>`.
# For unigrams no `<s>` is needed at all. This is also the convention of the library's `rnnlm.ngram`.

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_counting", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. Counting n-grams
#
# Here is the kind of tiny corpus you can count by hand. It is a list of sentences, and each sentence
# is a list of words (strings).

# %% nbgrader={"grade": false, "grade_id": "nb01_toy_corpus", "locked": true, "schema_version": 3, "solution": false, "task": false}
toy = [
    "the dog is cute".split(),
    "the cat is cute".split(),
    "the dog barks".split(),
]
toy


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_ex1_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 1 (3 points): `count_ngrams`
#
# Write `count_ngrams(sentences, n)`. Pad each sentence with $n-1$ `<s>` on the left and one `<eos>` on
# the right (use the constants `BOS` and `EOS`), then count every window of $n$ consecutive tokens.
# Return a `collections.Counter` whose keys are tuples of $n$ strings, for example
# `count_ngrams(toy, 2)[("the", "dog")]` counts the bigram *the dog*.
#
# Count each sentence on its own: no n-gram may run across the end of one sentence into the next.
# Raise a `ValueError` when `n` is not an integer of at least 1.

# %% nbgrader={"grade": false, "grade_id": "nb01_count_ngrams", "locked": false, "schema_version": 3, "solution": true, "task": false}
def count_ngrams(sentences: list[list[str]], n: int) -> Counter:
    """Count the n-grams of a corpus, padding as rnnlm.ngram does.

    sentences: a list of sentences, each a list of word strings (no padding); left unchanged.
    n: the order, an int >= 1.
    Returns a Counter mapping each n-gram (a tuple of n strings) to its count. Each sentence
    is padded with n - 1 BOS ("<s>") on the left and one EOS ("<eos>") on the right, so a
    sentence of L words contributes L + 1 n-grams.
    Raises ValueError if n is not an int >= 1.
    """
    ### BEGIN SOLUTION
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    n = int(n)
    counts: Counter = Counter()
    for sentence in sentences:
        tokens = [BOS] * (n - 1) + list(sentence) + [EOS]
        for end in range(n, len(tokens) + 1):
            counts[tuple(tokens[end - n : end])] += 1
    return counts
    ### END SOLUTION


# %%
rnnlm.check("nb01_count_ngrams")

# %% nbgrader={"grade": true, "grade_id": "nb01_count_ngrams_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Visible checks: invariants and counts you can verify by hand on `toy`.
_toy = [["the", "dog", "is", "cute"], ["the", "cat", "is", "cute"], ["the", "dog", "barks"]]
_positions = sum(len(s) + 1 for s in _toy)  # one n-gram per word, plus one per sentence for <eos>
for _n in (1, 2, 3):
    _c = count_ngrams(_toy, _n)
    assert isinstance(_c, dict), f"count_ngrams should return a Counter (a dict), got {type(_c).__name__}"
    _bad = [k for k in _c if not (isinstance(k, tuple) and len(k) == _n)]
    assert not _bad, f"n={_n}: keys must be tuples of {_n} strings, got {_bad[:2]}"
    _across = [g for g in _c if EOS in g[:-1] or (BOS in g and g[0] != BOS)]
    assert not _across, (f"n-grams such as {_across[0]} run from one sentence into the next: "
                         "pad and count each sentence on its own")
    _total = sum(_c.values())
    assert _total != _positions - len(_toy), (
        f"n={_n}: the counts are one short per sentence: "
        "did you add the '<eos>' at the end of each sentence?")
    assert _total != _positions + len(_toy), (
        f"n={_n}: one n-gram too many per sentence: pad with n - 1 '<s>', not n")
    assert _total == _positions, (
        f"n={_n}: the counts sum to {_total}, but this corpus has exactly {_positions} n-gram positions "
        "(each sentence of L words gives L + 1 n-grams, whatever n is)")
_c1, _c2, _c3 = (count_ngrams(_toy, _n) for _n in (1, 2, 3))
assert (BOS,) not in _c1, "a unigram has no history: pad with n - 1 = 0 '<s>' tokens"
assert _c1.get(("the",)) == 3 and _c1.get((EOS,)) == 3, "unigram counts: 'the' and '<eos>' each occur 3 times"
assert (BOS, "the") in _c2, "no bigram starts with '<s>': pad each sentence with n - 1 '<s>' on the left"
for _gram, _expect in [(("the", "dog"), 2), (("is", "cute"), 2), (("cute", EOS), 2), ((BOS, BOS, "the"), 3),
                       (("dog", "barks", EOS), 1), (("the", "cat", "is"), 1)]:
    _got = (_c2 if len(_gram) == 2 else _c3).get(_gram, 0)
    assert _got == _expect, f"count of {_gram} on the toy corpus should be {_expect}, got {_got}"
_toy_before = [list(s) for s in _toy]
count_ngrams(_toy, 3)
assert _toy == _toy_before, "count_ngrams must leave the sentences unchanged: pad a copy of each"
print("count_ngrams: visible checks passed")

### BEGIN HIDDEN TESTS
def _reference_counts(sentences, n):
    out = Counter()
    for s in sentences:
        padded = ["<s>"] * (n - 1) + list(s) + ["<eos>"]
        out.update(tuple(padded[i : i + n]) for i in range(len(padded) - n + 1))
    return out

for _n in (1, 2, 3, 4, 5):
    assert dict(count_ngrams(_toy, _n)) == dict(_reference_counts(_toy, _n)), f"wrong counts for n={_n}"
# a random corpus, every order
_rng_h = np.random.default_rng(101)
_words_h = [f"w{i}" for i in range(7)]
_corpus_h = [list(_rng_h.choice(_words_h, size=int(_rng_h.integers(0, 9)))) for _ in range(60)]
for _n in (1, 2, 3, 4):
    _expect = dict(_reference_counts(_corpus_h, _n))
    assert dict(count_ngrams(_corpus_h, _n)) == _expect, f"random corpus, n={_n}"
# edge cases: empty corpus, empty sentence, a sentence shorter than n
assert dict(count_ngrams([], 3)) == {}
assert dict(count_ngrams([[]], 1)) == {("<eos>",): 1}
assert dict(count_ngrams([[]], 2)) == {("<s>", "<eos>"): 1}
assert dict(count_ngrams([["hi"]], 4)) == {("<s>", "<s>", "<s>", "hi"): 1, ("<s>", "<s>", "hi", "<eos>"): 1}
# the input is left alone (the docstring says so; a visible check too)
_copy = [list(s) for s in _corpus_h]
count_ngrams(_corpus_h, 3)
assert _corpus_h == _copy, "count_ngrams must not modify its input"
# bad orders
for _bad_n in (0, -1):
    try:
        count_ngrams(_toy, _bad_n)
    except ValueError:
        pass
    else:
        raise AssertionError(f"count_ngrams(sentences, {_bad_n}) should raise ValueError")
print("count_ngrams: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_ex1_after", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Once your function passes, look at the bigram table of the toy corpus (the cell below waits for
# exercise 1). Check a few counts by hand, and notice how the `<s>` and `<eos>` rows and columns look.

# %%
try:
    for gram, c in sorted(count_ngrams(toy, 2).items()):
        print(f"{' '.join(gram):>14}  {c}")
except NotImplementedError:
    print("count_ngrams is not written yet: finish exercise 1 to see the table")
except Exception as exc:  # keep the notebook running whatever the answer does
    print(f"count_ngrams raised {type(exc).__name__}: {exc}")


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_mle", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. Maximum likelihood: probabilities from counts
#
# The bigram probability that makes the training corpus as likely as possible (the **maximum-likelihood
# estimate**, MLE) is the fraction of times $w_1$ was followed by $w_2$:
#
# $$P_{\text{MLE}}(w_2 \mid w_1) \;=\; \frac{c(w_1, w_2)}{c(w_1)}.$$
#
# More generally, for a history (context) $h$ of $n-1$ words, $P_{\text{MLE}}(w \mid h) = c(h, w) / c(h)$.
# Here $c(h)$ counts how often $h$ occurs **as a history**, that is, followed by anything:
# $c(h) = \sum_{w'} c(h, w')$. With our padding every real word is followed by something (at worst
# `<eos>`), so for bigrams $c(w_1)$ is simply the unigram count; the one difference is `<s>`, which is
# never a unigram but is the history of every first word.
#
# On the toy corpus: *the* occurs 3 times and is followed by *dog* twice, so
# $P(\text{dog}\mid\text{the}) = 2/3$.
#
# ### Exercise 2 (2 points): `mle_prob`
#
# Write `mle_prob(counts, word, context)`: `counts` is a table made by `count_ngrams(sentences, n)`,
# `context` is a tuple of the $n-1$ previous tokens (the empty tuple `()` for a unigram model), and the
# result is $P_{\text{MLE}}(\text{word} \mid \text{context})$ as a float. A word never seen after the
# context gets probability 0. If the context never occurs as a history, the estimate is $0/0$:
# raise a `ValueError`. (Looping over all of `counts` to find $c(h)$ is fine here.)

# %% nbgrader={"grade": false, "grade_id": "nb01_mle_prob", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mle_prob(counts: dict[tuple[str, ...], int], word: str, context: tuple[str, ...]) -> float:
    """Maximum-likelihood P(word | context) = c(context + (word,)) / c(context).

    counts: n-gram counts as returned by count_ngrams(sentences, n); left unchanged.
    word: the token to predict (a word or "<eos>").
    context: the n - 1 previous tokens, a tuple of strings (() for unigrams).
    c(context) is the number of times the context occurs as a history: the total count of the
    n-grams that start with it.
    Returns a float in [0, 1]. Raises ValueError if the context never occurs as a history.
    """
    ### BEGIN SOLUTION
    context = tuple(context)
    history = sum(c for gram, c in counts.items() if gram[:-1] == context)
    if history == 0:
        raise ValueError(f"the context {context!r} never occurs as a history: P(word | context) is 0/0")
    return counts.get(context + (word,), 0) / history
    ### END SOLUTION


# %%
rnnlm.check("nb01_mle_prob")

# %% nbgrader={"grade": true, "grade_id": "nb01_mle_prob_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks on a hand-made bigram table (the toy corpus's bigrams).
_c2 = Counter({("<s>", "the"): 3, ("the", "dog"): 2, ("the", "cat"): 1, ("dog", "is"): 1, ("cat", "is"): 1,
               ("is", "cute"): 2, ("cute", "<eos>"): 2, ("dog", "barks"): 1, ("barks", "<eos>"): 1})
_p = mle_prob(_c2, "dog", ("the",))
assert isinstance(_p, float), f"mle_prob should return a float, got {type(_p).__name__}"
assert not math.isclose(_p, 1.0), (
    "P(dog | the) came out as 1 = 2/2: divide by how often 'the' occurs as a history (3), "
    "not by the number of different words that follow it (2)")
assert math.isclose(_p, 2 / 3), f"P(dog | the) should be c(the dog) / c(the) = 2/3, got {_p}"
assert math.isclose(mle_prob(_c2, "the", ("<s>",)), 1.0), "every toy sentence starts with 'the'"
assert mle_prob(_c2, "cat", ("dog",)) == 0.0, "a bigram never seen gets probability 0 under the MLE"
_vocab = ["the", "dog", "cat", "is", "cute", "barks", "<eos>"]
for _h in [("<s>",), ("the",), ("dog",), ("is",), ("barks",)]:
    _s = sum(mle_prob(_c2, _w, _h) for _w in _vocab)
    assert math.isclose(_s, 1.0), f"P(. | {_h[0]}) sums to {_s} over the vocabulary instead of 1"
try:
    mle_prob(_c2, "dog", ("unicorn",))
except ValueError:
    pass
else:
    raise AssertionError("a context never seen as a history makes the MLE 0/0: raise ValueError")
print("mle_prob: visible checks passed")

### BEGIN HIDDEN TESTS
# unigrams: the empty context, denominator = all tokens including <eos>
_c1 = Counter({("the",): 3, ("dog",): 2, ("cat",): 1, ("is",): 2, ("cute",): 2, ("barks",): 1, ("<eos>",): 3})
assert math.isclose(mle_prob(_c1, "the", ()), 3 / 14)
assert math.isclose(mle_prob(_c1, "<eos>", ()), 3 / 14)
assert mle_prob(_c1, "unicorn", ()) == 0.0
# trigrams
_c3 = Counter({("<s>", "<s>", "the"): 3, ("<s>", "the", "dog"): 2, ("<s>", "the", "cat"): 1,
               ("the", "dog", "is"): 1, ("the", "dog", "barks"): 1})
assert math.isclose(mle_prob(_c3, "dog", ("<s>", "the")), 2 / 3)
assert math.isclose(mle_prob(_c3, "barks", ("the", "dog")), 1 / 2)
# on a random corpus, against the library's unsmoothed model
_rng_h = np.random.default_rng(202)
_words_h = [f"w{i}" for i in range(6)]
_corpus_h = [list(_rng_h.choice(_words_h, size=int(_rng_h.integers(1, 8)))) for _ in range(80)]
for _n in (1, 2, 3):
    _counts_h = Counter()
    for _s in _corpus_h:
        _pad = ["<s>"] * (_n - 1) + _s + ["<eos>"]
        _counts_h.update(tuple(_pad[i : i + _n]) for i in range(len(_pad) - _n + 1))
    _lm = NgramLM(_n, smoothing="mle").fit(_corpus_h)
    for _gram in list(_counts_h)[:40]:
        _expect = _lm.prob(_gram[-1], _gram[:-1])
        assert math.isclose(mle_prob(_counts_h, _gram[-1], _gram[:-1]), _expect, rel_tol=1e-9), (_n, _gram)
# the counts are not modified
_before = dict(_c2)
mle_prob(_c2, "is", ("dog",))
assert dict(_c2) == _before, "mle_prob must not modify the counts"
try:
    mle_prob(Counter(), "a", ("b",))
except ValueError:
    pass
else:
    raise AssertionError("empty counts: raise ValueError")
print("mle_prob: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_scoring", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. Scoring a sentence: the chain rule in code
#
# A sentence's probability is a product of many numbers below one, and it quickly becomes smaller than
# the smallest positive floating-point number. So we add **log-probabilities** instead of multiplying
# probabilities. We use base 2: $-\log_2 P$ is the number of **bits** needed to encode the word.

# %%
p_word = 0.001  # a plausible probability for one word
print("product of 120 words:", p_word ** 120)              # underflows to 0.0
print("sum of their log2-probabilities:", 120 * math.log2(p_word), "bits")


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_ex3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 3 (2 points): `sentence_log2probs`
#
# Write `sentence_log2probs(sentence, n, prob)`. It pads the sentence like `count_ngrams` does and
# returns a list with $\log_2 P(\text{token} \mid \text{its } n-1 \text{ previous tokens})$ for each of
# the $L+1$ predicted tokens (the $L$ words, then `<eos>`). `prob(word, context)` is any model: a function
# that takes a token and a tuple of the $n-1$ previous tokens and returns a probability. A probability of
# 0 gives `-math.inf` (note that `math.log2(0)` raises an error). Raise a `ValueError` if `n < 1`, or if
# `prob` returns something that is not a probability (below 0, above 1, or NaN).

# %% nbgrader={"grade": false, "grade_id": "nb01_sentence_log2probs", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sentence_log2probs(sentence: list[str], n: int, prob) -> list[float]:
    """Per-token log2-probabilities of a sentence under an order-n model (chain rule + Markov).

    sentence: a list of words (no padding).
    n: the order of the model, an int >= 1.
    prob: a function prob(word, context) -> P(word | context), where context is the tuple of
        the n - 1 tokens before word (padding with "<s>" included).
    Returns a list of len(sentence) + 1 floats: log2 P for each word and for the final "<eos>";
        -math.inf where the probability is 0.
    Raises ValueError if n < 1 or prob returns a value outside [0, 1] (or NaN).
    """
    ### BEGIN SOLUTION
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    n = int(n)
    tokens = [BOS] * (n - 1) + list(sentence) + [EOS]
    out = []
    for t in range(n - 1, len(tokens)):
        p = float(prob(tokens[t], tuple(tokens[t - n + 1 : t])))
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"prob returned {p!r} for {tokens[t]!r}: not a probability")
        out.append(math.log2(p) if p > 0 else -math.inf)
    return out
    ### END SOLUTION


# %%
rnnlm.check("nb01_sentence_log2probs")

# %% nbgrader={"grade": true, "grade_id": "nb01_sentence_log2probs_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks with two tiny "models" written as plain functions.
_sentence = ["the", "dog", "is", "cute"]
_uniform = lambda word, context: 1 / 8  # noqa: E731  (every token gets 1/8: 3 bits)
_lp = sentence_log2probs(_sentence, 3, _uniform)
assert len(_lp) != len(_sentence), "one value is missing: predict '<eos>' after the last word too"
assert len(_lp) == len(_sentence) + 1, f"expected {len(_sentence) + 1} log-probabilities, got {len(_lp)}"
assert all(math.isclose(v, -3.0) for v in _lp), f"log2(1/8) is -3 bits for every token, got {_lp}"

_seen = []
def _recording(word, context):
    _seen.append((word, context))
    return 0.5
sentence_log2probs(_sentence, 3, _recording)
assert all(isinstance(c, tuple) for _, c in _seen), "pass the context to prob as a tuple"
assert all(len(c) == 2 for _, c in _seen), "an order-3 model looks at n - 1 = 2 previous tokens"
assert _seen[0] == ("the", ("<s>", "<s>")), f"the first word's history is ('<s>', '<s>'), got {_seen[0]}"
assert _seen[-1][0] == "<eos>", "the last prediction is '<eos>'"
_seen.clear()
sentence_log2probs(_sentence, 1, _recording)
assert all(c == () for _, c in _seen), "a unigram model (n=1) gets the empty context ()"

_never_cute = lambda word, context: 0.0 if word == "cute" else 0.5  # noqa: E731
_lp = sentence_log2probs(_sentence, 2, _never_cute)
assert _lp[3] == -math.inf, "a probability of 0 should give -inf (handle p == 0 before math.log2)"
print("sentence_log2probs: visible checks passed")

### BEGIN HIDDEN TESTS
# exact values from a table model
_table = {("<s>",): {"a": 0.5, "b": 0.5}, ("a",): {"b": 0.25, "<eos>": 0.75},
          ("b",): {"a": 0.5, "<eos>": 0.5}}
_tp = lambda w, c: _table.get(c, {}).get(w, 0.0)  # noqa: E731
_lp = sentence_log2probs(["a", "b", "a"], 2, _tp)
assert np.allclose(_lp, [-1.0, -2.0, -1.0, math.log2(0.75)]), _lp
assert sentence_log2probs([], 2, _tp) == [-math.inf], "empty sentence: only P(<eos> | <s>)"
assert sentence_log2probs(["b", "c"], 2, _tp)[1] == -math.inf
# against the library: the sum equals the model's sentence log-probability
_rng_h = np.random.default_rng(303)
_words_h = [f"w{i}" for i in range(5)]
_corpus_h = [list(_rng_h.choice(_words_h, size=int(_rng_h.integers(1, 7)))) for _ in range(50)]
for _n in (1, 2, 3, 4):
    _lm = NgramLM(_n, smoothing="add-k", k=0.5).fit(_corpus_h)
    for _s in _corpus_h[:5] + [["w0", "w4", "w4", "w1", "w0", "w2"]]:
        _mine = sentence_log2probs(_s, _n, _lm.prob)
        assert np.allclose(_mine, _lm.score([_s], base=2)), (_n, _s)
# bad inputs
for _bad in (0, -2):
    try:
        sentence_log2probs(["a"], _bad, _uniform)
    except ValueError:
        pass
    else:
        raise AssertionError(f"n={_bad} should raise ValueError")
for _bad_p in (1.5, -0.1, float("nan")):
    try:
        sentence_log2probs(["a"], 2, lambda w, c, _v=_bad_p: _v)
    except ValueError:
        pass
    else:
        raise AssertionError(f"prob returning {_bad_p} should raise ValueError")
assert isinstance(sentence_log2probs(["the", "dog"], 2, _uniform), list)
print("sentence_log2probs: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_sparsity", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. A real corpus, and the problem with unseen n-grams
#
# Now a real corpus: the Penn Treebank (PTB) language-modelling split when it is in your data directory
# (`rnnlm.data` knows where), otherwise the kit's **embedded corpus**, English-like sentences drawn
# from a small hidden Markov model that ships with the library. In fast mode only part of it is used.

# %% nbgrader={"grade": false, "grade_id": "nb01_load_corpus", "locked": true, "schema_version": 3, "solution": false, "task": false}
CORPUS = "ptb" if data.available("ptb") else "embedded"
splits = data.load_corpus(CORPUS, fast=FAST)
train, valid, test = splits["train"], splits["valid"], splits["test"]
n_train_tokens = sum(len(s) + 1 for s in train)
word_counts = Counter(w for s in train for w in s)
print(f"corpus: {CORPUS}   train {len(train):,} sentences, {n_train_tokens:,} tokens (with <eos>)   "
      f"valid {len(valid):,}   test {len(test):,} sentences")
print(f"{len(word_counts):,} word types; a training sentence:", " ".join(train[1]))

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_zipf", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Words are extremely unevenly used. Sort the word types by count and plot count against rank on
# log-log axes. For natural text the points fall close to a straight line of slope about $-1$:
# **Zipf's law**, $f(r) \propto 1/r$. A few words are everywhere; most types are rare. (PTB follows it
# well. Its makers replaced every word outside the 10,000 most frequent by `<unk>`, which is why
# `<unk>` is among the top tokens and why few types occur only once. The embedded corpus, a few hundred
# words drawn from a small grammar, follows the law only roughly.)

# %%
plots.zipf_plot(word_counts, title=f"Zipf's law on {CORPUS} (train)")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_unseen", "locked": true, "schema_version": 3, "solution": false, "task": false}
# If single words are that sparse, longer n-grams are far worse. How many of the n-grams in the *test*
# text never occur in the training text? Each of those gets probability **zero** from the MLE model.

# %%
try:
    for n in (1, 2, 3, 4):  # with your count_ngrams of exercise 1
        seen, test_counts = count_ngrams(train, n), count_ngrams(test, n)
        total = sum(test_counts.values())
        unseen = sum(c for g, c in test_counts.items() if g not in seen)
        print(f"n={n}: {unseen / total:6.1%} of the {total:,} test {n}-grams never occur in train")
except NotImplementedError:
    print("exercise 1 (count_ngrams) is not done yet: this cell counts with it")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_zero_prob", "locked": true, "schema_version": 3, "solution": false, "task": false}
# One unseen n-gram is enough: the chain rule multiplies it into the sentence's probability, which
# becomes 0, its log-probability $-\infty$, and any average of log-probabilities over the test set
# (the perplexity of section 7) becomes infinite. The unsmoothed model has learned the training text
# by heart and has no opinion on anything else. Here is the first test sentence that an MLE trigram
# model rules out, with the word at which it happens:

# %%
mle3 = NgramLM(3, smoothing="mle").fit(train)
for sentence in test:
    log2p = mle3.score([sentence], base=2)  # one log2-probability per word and for <eos>
    if np.isneginf(log2p).any():
        t = int(np.argmax(np.isneginf(log2p)))
        tokens = [BOS, BOS] + sentence + [EOS]
        print(" ".join(sentence))
        print(f"P({tokens[t + 2]!r} | {tokens[t]!r} {tokens[t + 1]!r}) = 0, so P(sentence) = 0 "
              f"and its log2-probability is {log2p.sum()}")
        break


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_smoothing", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. Smoothing: taking a little probability from the seen to give to the unseen
#
# **Add-k smoothing** pretends that every n-gram was seen $k$ more times than it was ($k = 1$ is
# Laplace's add-one). With $V$ the number of tokens the model can predict (the word types plus `<eos>`;
# never `<s>`), and $c(h) = \sum_{w'} c(h, w')$ as before:
#
# $$P_{\text{add-}k}(w \mid h) \;=\; \frac{c(h, w) + k}{c(h) + k\,V}.$$
#
# (The library's models also reserve a token `<unk>` for words never seen in training, and count it
# in $V$; PTB already has `<unk>` as an ordinary word.)
#
# The $kV$ in the denominator keeps $\sum_w P(w \mid h) = 1$. For a history never seen, every word gets
# $1/V$. With $k = 0$ it is the MLE again.
#
# ### Exercise 4 (2 points): `add_k_prob`
#
# Write `add_k_prob(counts, word, context, vocab_size, k=1.0)`, with `counts` and `context` as in
# exercise 2 and `vocab_size` $= V$. Raise a `ValueError` if $k$ is negative or NaN (`k < 0` is false
# for NaN, so test `not k >= 0` or use `math.isnan`), if $V < 1$, or (only possible with $k = 0$) when
# the denominator is zero.

# %% nbgrader={"grade": false, "grade_id": "nb01_add_k_prob", "locked": false, "schema_version": 3, "solution": true, "task": false}
def add_k_prob(
    counts: dict[tuple[str, ...], int], word: str, context: tuple[str, ...], vocab_size: int, k: float = 1.0
) -> float:
    """Add-k smoothed P(word | context) = (c(context, word) + k) / (c(context) + k * vocab_size).

    counts: n-gram counts as returned by count_ngrams(sentences, n).
    word: the token to predict; context: the n - 1 previous tokens (a tuple).
    vocab_size: V, the number of tokens the model can predict (word types plus "<eos>").
    k: the pseudo-count added to every n-gram, k >= 0.
    Returns a float in [0, 1]. Raises ValueError if k < 0 or k is NaN, vocab_size < 1, or the
    denominator is 0.
    """
    ### BEGIN SOLUTION
    if not k >= 0:
        raise ValueError(f"k must be >= 0, got {k!r}")
    if vocab_size < 1:
        raise ValueError(f"vocab_size must be >= 1, got {vocab_size!r}")
    context = tuple(context)
    history = sum(c for gram, c in counts.items() if gram[:-1] == context)
    denominator = history + k * vocab_size
    if denominator == 0:
        raise ValueError(f"the context {context!r} was never seen and k = 0: P(word | context) is 0/0")
    return (counts.get(context + (word,), 0) + k) / denominator
    ### END SOLUTION


# %%
rnnlm.check("nb01_add_k_prob")

# %% nbgrader={"grade": true, "grade_id": "nb01_add_k_prob_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks on the toy bigram table: V = 7 (the, dog, cat, is, cute, barks, <eos>).
_c2 = Counter({("<s>", "the"): 3, ("the", "dog"): 2, ("the", "cat"): 1, ("dog", "is"): 1, ("cat", "is"): 1,
               ("is", "cute"): 2, ("cute", "<eos>"): 2, ("dog", "barks"): 1, ("barks", "<eos>"): 1})
_vocab = ["the", "dog", "cat", "is", "cute", "barks", "<eos>"]
_V = len(_vocab)
_p = add_k_prob(_c2, "dog", ("the",), _V, k=1.0)
assert isinstance(_p, float), f"add_k_prob should return a float, got {type(_p).__name__}"
assert math.isclose(_p, 3 / 10), f"P_add-1(dog | the) = (2 + 1) / (3 + 7) = 0.3, got {_p}"
for _k in (1.0, 0.1, 2.5):
    for _h in [("the",), ("is",), ("unicorn",)]:
        _s = sum(add_k_prob(_c2, _w, _h, _V, k=_k) for _w in _vocab)
        assert not _s > 1 + 1e-9, (f"k={_k}: P(. | {_h[0]}) sums to {_s:.4f} > 1: "
                                   "the denominator needs k once per vocabulary entry (k * V)")
        assert math.isclose(_s, 1.0), f"k={_k}: P(. | {_h[0]}) sums to {_s:.4f} over the vocabulary, not 1"
assert add_k_prob(_c2, "cat", ("dog",), _V, k=0.5) > 0, "smoothing gives unseen bigrams a probability above 0"
assert math.isclose(add_k_prob(_c2, "dog", ("unicorn",), _V, k=1.0), 1 / _V), "an unseen context gives 1/V"
assert math.isclose(add_k_prob(_c2, "dog", ("the",), _V, k=0.0), 2 / 3), "with k = 0 it is the MLE"
try:
    add_k_prob(_c2, "dog", ("the",), _V, k=-1.0)
except ValueError:
    pass
else:
    raise AssertionError("a negative k should raise ValueError")
try:
    add_k_prob(_c2, "dog", ("the",), _V, k=float("nan"))
except ValueError:
    pass
else:
    raise AssertionError("k = NaN should raise ValueError (NaN < 0 is False: test 'not k >= 0')")
print("add_k_prob: visible checks passed")

### BEGIN HIDDEN TESTS
assert add_k_prob(_c2, "dog", ("the",), _V) == add_k_prob(_c2, "dog", ("the",), _V, k=1.0), "k defaults to 1"
assert math.isclose(add_k_prob(_c2, "cat", ("dog",), _V, k=0.5), 0.5 / (2 + 3.5))
assert math.isclose(add_k_prob(_c2, "cute", ("is",), 100, k=0.01), 2.01 / 3.0)
# a large k flattens everything towards 1/V
assert math.isclose(add_k_prob(_c2, "dog", ("the",), _V, k=1e9), 1 / _V, rel_tol=1e-6)
# trigram table
_c3 = Counter({("<s>", "<s>", "the"): 3, ("<s>", "the", "dog"): 2, ("<s>", "the", "cat"): 1})
assert math.isclose(add_k_prob(_c3, "dog", ("<s>", "the"), 10, k=2.0), 4 / 23)
# against the library's add-k model on a random corpus (V = word types + <eos>)
_rng_h = np.random.default_rng(404)
_words_h = [f"w{i}" for i in range(6)]
_corpus_h = [list(_rng_h.choice(_words_h, size=int(_rng_h.integers(1, 8)))) for _ in range(80)]
for _n in (1, 2, 3):
    _counts_h = Counter()
    for _s in _corpus_h:
        _pad = ["<s>"] * (_n - 1) + _s + ["<eos>"]
        _counts_h.update(tuple(_pad[i : i + _n]) for i in range(len(_pad) - _n + 1))
    _lm = NgramLM(_n, smoothing="add-k", k=0.3).fit(_corpus_h)
    for _gram in list(_counts_h)[:30] + [("<s>",) * (_n - 1) + ("<eos>",)]:
        _expect = _lm.prob(_gram[-1], _gram[:-1])
        _got = add_k_prob(_counts_h, _gram[-1], _gram[:-1], _lm.V, k=0.3)
        assert math.isclose(_got, _expect, rel_tol=1e-9), (_n, _gram, _got, _expect)
# bad inputs
for _args in [dict(k=-0.5), dict(k=float("nan"))]:
    try:
        add_k_prob(_c2, "dog", ("the",), _V, **_args)
    except ValueError:
        pass
    else:
        raise AssertionError(f"{_args} should raise ValueError")
for _bad_V in (0, -3):
    try:
        add_k_prob(_c2, "dog", ("the",), _bad_V)
    except ValueError:
        pass
    else:
        raise AssertionError(f"vocab_size={_bad_V} should raise ValueError")
try:
    add_k_prob(_c2, "dog", ("unicorn",), _V, k=0.0)
except ValueError:
    pass
else:
    raise AssertionError("k = 0 and an unseen context is 0/0: raise ValueError")
print("add_k_prob: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_add_k_mass", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Add-one is simple but crude. With a large vocabulary the $kV$ pseudo-counts swamp the real ones:
# after a common word, most of the probability goes to the many words that never followed it.
# The library's `NgramLM` implements all four smoothings; here is how much probability the bigram
# models leave for the unseen words after a frequent history.

# %%
history = (next(w for w, _ in word_counts.most_common() if w.isalpha()),)  # the most frequent word
mle2 = NgramLM(2, smoothing="mle").fit(train)
never_seen = mle2.distribution(history) == 0  # (V,) mask over mle2.vocab
print(f"history {history[0]!r}: {never_seen.sum():,} of the V = {mle2.V:,} tokens never follow it in train")
for k in (1.0, 0.1, 0.01):
    addk = NgramLM(2, smoothing="add-k", k=k).fit(train)
    mass = addk.distribution(history)[never_seen].sum()
    print(f"add-k, k={k:<5}: {mass:6.1%} of P(. | {history[0]!r}) goes to tokens never seen after it")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_interp_kn", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Interpolation** (Jelinek–Mercer) mixes the estimates of every order, so that a trigram never seen
# still gets the bigram's and the unigram's opinion:
#
# $$P_{\text{interp}}(w \mid u, v) = \lambda_3\, P_{\text{MLE}}(w \mid u, v)
# + \lambda_2\, P_{\text{MLE}}(w \mid v) + \lambda_1\, P_{\text{MLE}}(w),
# \qquad \lambda_1 + \lambda_2 + \lambda_3 = 1,$$
#
# with the weights $\lambda$ tuned on held-out text, not on the training text (there the longest
# order always looks best).
#
# **Kneser–Ney** goes further in two ways. It subtracts a fixed *discount* $D$ (about 0.75) from every
# seen count and hands the freed mass to the lower order, which is **absolute discounting**. And the
# lower order is not "how often does $w$ occur" but "after how many *different* words does $w$ occur":
# the **continuation probability**. The textbook example: *Francisco* is frequent, but nearly always
# after *San*, so as a guess for a new history it deserves little probability, while a word that
# follows many different words deserves more. Kneser–Ney (in its modified form, with three discounts)
# has long been the strongest n-gram smoothing.
#
# Below, the same history under every smoothing: the five likeliest next tokens.

# %%
# a frequent two-word history made of ordinary words
context = next(g for g, _ in NgramLM(2, smoothing="mle").fit(train).most_common(2, top=100)
               if all(w.isalpha() and w.islower() for w in g))
for smoothing in ("mle", "add-k", "interpolated", "kneser-ney"):
    lm = NgramLM(3, smoothing=smoothing).fit(train)
    p = lm.distribution(context)  # (V,), in the order of lm.vocab
    top = np.argsort(-p)[:5]
    shown = ", ".join(f"{lm.vocab[i]} {p[i]:.3f}" for i in top)
    print(f"{smoothing:>13}  P(. | {' '.join(context)}):  {shown}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_generate", "locked": true, "schema_version": 3, "solution": false, "task": false}
# A trigram model can also *write*: draw the first word from $P(\cdot \mid \texttt{<s>}\,\texttt{<s>})$,
# then the next from its history, until `<eos>`. Locally the text looks fine; beyond two words it has no
# memory at all.

# %%
kn3 = NgramLM(3, smoothing="kneser-ney").fit(train)
for _ in range(5):
    print("-", " ".join(kn3.generate(rng=rng)))


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_perplexity", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 7. Perplexity
#
# To compare models we measure how well they predict text they were not trained on. Over a test set
# with $N$ predicted tokens (every word plus one `<eos>` per sentence), the average number of bits per
# token is the **cross-entropy** $J = -\frac{1}{N} \sum_t \log_2 P(w_t \mid h_t)$, and the
# **perplexity** is
#
# $$\text{PP} \;=\; 2^{J} \;=\; 2^{-\frac{1}{N} \sum_t \log_2 P(w_t \mid h_t)}
# \;=\; \Big(\prod_t P(w_t \mid h_t)\Big)^{-1/N}.$$
#
# Since $\log_2 x = \ln x / \ln 2$, the same number is $e^{-\frac{1}{N}\sum_t \ln P(w_t \mid h_t)}$: bits
# with base 2 or nats with base $e$ give the same perplexity. Perplexity is an effective branching
# factor: a model that spreads its probability evenly over $V$ tokens has perplexity exactly $V$, and a
# perplexity of 150 means the model is, on average, as unsure as if it chose among 150 equally likely
# words. Lower is better; an unseen token with probability 0 makes it infinite.
#
# ### Exercise 5 (2 points): `perplexity_from_log2probs`
#
# Write `perplexity_from_log2probs(log2probs)`: given the per-token log2-probabilities of a text (for
# example all the lists from `sentence_log2probs`, joined), return its perplexity as a float. A `-inf`
# among them gives `inf`. Raise a `ValueError` for an empty input, a NaN, or a log-probability above 0
# (a probability above one).

# %% nbgrader={"grade": false, "grade_id": "nb01_perplexity_from_log2probs", "locked": false, "schema_version": 3, "solution": true, "task": false}
def perplexity_from_log2probs(log2probs) -> float:
    """Perplexity 2 ** (-mean(log2probs)) of a text, from its per-token log2-probabilities.

    log2probs: a sequence (list or 1-d array) of log2 P(token | history), one per predicted token.
    Returns a float >= 1 (inf if any probability was 0).
    Raises ValueError if log2probs is empty, holds a NaN, or holds a value above 0.
    """
    ### BEGIN SOLUTION
    values = np.asarray(log2probs, dtype=float).ravel()
    if values.size == 0:
        raise ValueError("perplexity of an empty text is undefined")
    if np.isnan(values).any():
        raise ValueError("log2probs holds a NaN")
    if (values > 1e-12).any():
        raise ValueError(f"a log-probability above 0 (a probability above one): {values.max()!r}")
    return float(2.0 ** (-values.mean()))
    ### END SOLUTION


# %%
rnnlm.check("nb01_perplexity_from_log2probs")

# %% nbgrader={"grade": true, "grade_id": "nb01_perplexity_from_log2probs_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks: uniform models, certainty, the nats identity, zero probabilities.
for _V in (2, 7, 10_000):
    _pp = perplexity_from_log2probs([-math.log2(_V)] * 25)
    assert isinstance(_pp, float), f"return a float, got {type(_pp).__name__}"
    assert not math.isclose(_pp, 1 / _V), "got 1/V: perplexity is 2 to the MINUS mean log2-probability"
    assert math.isclose(_pp, _V), f"a uniform model over {_V} tokens has perplexity {_V}, got {_pp}"
assert math.isclose(perplexity_from_log2probs([0.0, 0.0, 0.0]), 1.0), "a sure model has perplexity 1"
_probs = np.array([0.5, 0.25, 0.125, 0.9, 0.01])
_pp = perplexity_from_log2probs(np.log2(_probs))
assert not math.isclose(_pp, 2.0 ** (-np.log2(_probs).sum())), "average over tokens: divide the sum by N"
assert math.isclose(_pp, math.exp(-np.log(_probs).mean())), "2 ** bits per token = e ** nats per token"
assert perplexity_from_log2probs([-1.0, -math.inf]) == math.inf, "a zero probability: infinite perplexity"
try:
    perplexity_from_log2probs([])
except ValueError:
    pass
else:
    raise AssertionError("an empty input should raise ValueError")
print("perplexity_from_log2probs: visible checks passed")

### BEGIN HIDDEN TESTS
_rng_h = np.random.default_rng(505)
for _ in range(5):
    _p_h = _rng_h.uniform(0.001, 1.0, size=int(_rng_h.integers(1, 50)))
    _expect = float(np.prod(_p_h) ** (-1 / len(_p_h)))
    assert math.isclose(perplexity_from_log2probs(list(np.log2(_p_h))), _expect, rel_tol=1e-9)
    assert math.isclose(perplexity_from_log2probs(np.log2(_p_h)), _expect, rel_tol=1e-9)
assert math.isclose(perplexity_from_log2probs((-3.0,)), 8.0)
assert math.isclose(perplexity_from_log2probs([-1.0, -3.0]), 4.0)
assert perplexity_from_log2probs([-math.inf] * 3) == math.inf
# the same number as the library's perplexity from natural logs
from rnnlm.ngram import perplexity_from_logprobs as _ppl_nats

_ln = np.log(_rng_h.uniform(0.01, 1.0, size=30))
assert math.isclose(perplexity_from_log2probs(_ln / math.log(2)), _ppl_nats(_ln), rel_tol=1e-9)
for _bad in ([0.5], [-1.0, 2.0], [float("nan")], [-1.0, float("nan")]):
    try:
        perplexity_from_log2probs(_bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"{_bad} should raise ValueError")
try:
    perplexity_from_log2probs(np.array([]))
except ValueError:
    pass
else:
    raise AssertionError("an empty array should raise ValueError")
print("perplexity_from_log2probs: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_ppl_vs_n", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Now the library measures train and test perplexity for every smoothing and order. Watch three
# things: the training perplexity of the unsmoothed and the Kneser-Ney models falls as $n$ grows (longer
# histories fit the training text better), while add-one's can *rise* (its $V$ pseudo-counts per history
# weigh more as the histories get sparser); the unsmoothed test perplexity is infinite as soon as
# $n \ge 2$; and for the smoothed
# models the test perplexity stops improving, or gets worse, at some order: the counts of long n-grams
# are too sparse to trust.
#
# (In fast mode with PTB the training text is small, so many test words never occur in it; the library
# scores them as PTB's own `<unk>` token, a frequent word, which flatters the test perplexity of the
# low orders. Full-size PTB has a closed vocabulary of 10,000 words and no such effect.)

# %%
ORDERS = [1, 2, 3, 4, 5]
MODELS = {  # label -> how to build the model of order n
    "mle": lambda n: NgramLM(n, smoothing="mle"),
    "add-1": lambda n: NgramLM(n, smoothing="add-k", k=1.0),
    "interpolated": lambda n: NgramLM(n, smoothing="interpolated"),
    "kneser-ney": lambda n: NgramLM(n, smoothing="kneser-ney"),
}
train_sample = train[: len(test)]  # a training subset as large as the test set
train_pp = {name: [] for name in MODELS}
test_pp = {name: [] for name in MODELS}
start = time.perf_counter()
for name, make in MODELS.items():
    for n in ORDERS:
        lm = make(n).fit(train)
        if name == "interpolated":
            lm.tune_lambdas(valid)  # the weights are fitted on held-out text
        train_pp[name].append(lm.perplexity(train_sample))
        test_pp[name].append(lm.perplexity(test))
print(f"{len(MODELS) * len(ORDERS)} models in {time.perf_counter() - start:.1f} s; test perplexity:")
print("order        " + "".join(f"{n:>9}" for n in ORDERS))
for name in MODELS:
    print(f"{name:>12} " + "".join(f"{p:9.1f}" for p in test_pp[name]))
references = {"Kneser-Ney 5-gram (Mikolov 2012)": 141.2} if CORPUS == "ptb" and not FAST else None
floor = embedded_perplexity_floor("test", fast=FAST) if CORPUS == "embedded" else None
plots.perplexity_by_order_plot(ORDERS, train_pp, test_pp, floor=floor, references=references,
                               title=f"Train (dashed) and test (solid) perplexity on {CORPUS}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_cost", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 8. The price of counting: n-grams and memory
#
# An n-gram model *is* its count tables, so its size is the number of distinct n-grams it stores. How
# does that grow? There are $V^n$ possible n-grams, which is astronomical, but a corpus of $N$ tokens
# contains at most $N$ distinct ones of each order. The library's `report()` gives, for a fitted model,
# the number of distinct n-grams of each order and the bytes its tables take.

# %%
COST_ORDERS = [1, 2, 3, 4, 5]
distinct, memory = [], []
for n in COST_ORDERS:
    lm = NgramLM(n, smoothing="kneser-ney").fit(train)
    rows = lm.report()  # one row per order m <= n: {"order", "ngrams", "bytes"}
    distinct.append(rows[-1]["ngrams"])
    memory.append(lm.nbytes)  # all of the model's tables
print(f"{'order':>5} {'n-grams':>10} {'MiB':>8}    (the 5-gram model's report)")
for row in rows:
    print(f"{row['order']:>5} {row['ngrams']:>10,} {row['bytes'] / 2**20:>8.2f}")
plots.ngram_growth_by_order_plot(COST_ORDERS, distinct, memory, tokens=n_train_tokens, vocab_size=lm.V,
                                 title=f"{CORPUS} train: {n_train_tokens:,} tokens, Kneser-Ney models")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_cost_size", "locked": true, "schema_version": 3, "solution": false, "task": false}
# And as the corpus grows? Fit the same models on larger and larger parts of the training text.
# Unigrams saturate (there are only so many words), but the number of distinct trigrams and 4-grams
# keeps growing almost in proportion to the text: nearly every new sentence brings new ones. So the
# memory of a high-order model grows with the data, without end. Extrapolate to the billions of words
# that make a good n-gram model, and the tables need many gigabytes. A recurrent network, by contrast,
# has a fixed number of parameters however much text it reads.

# %%
fractions = [1 / 16, 1 / 8, 1 / 4, 1 / 2, 1] if FAST else [1 / 64, 1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1]
SIZE_ORDERS = [1, 2, 3, 4]
sizes = []
distinct_by_order = {n: [] for n in SIZE_ORDERS}
memory_by_order = {n: [] for n in SIZE_ORDERS}
for f in fractions:
    part = train[: max(1, round(len(train) * f))]
    sizes.append(sum(len(s) + 1 for s in part))
    for n in SIZE_ORDERS:
        lm = NgramLM(n, smoothing="kneser-ney").fit(part)
        distinct_by_order[n].append(lm.report()[-1]["ngrams"])
        memory_by_order[n].append(lm.nbytes)
plots.ngram_growth_by_size_plot(sizes, distinct_by_order, memory_by_order,
                                title=f"{CORPUS}: growing the training text")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_floor", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 9. How low can perplexity go?
#
# For real text nobody knows the true probability of a sentence, so nobody knows the best possible
# perplexity. The kit's embedded corpus is different: it was *generated* by a known model (a hidden
# Markov model over word classes), so the exact probability of every test sentence, and hence the
# lowest perplexity any model can reach on it (up to the luck of the sample), is known. Let us see how
# close n-gram models come.

# %%
emb = embedded_splits(fast=FAST)
floor = embedded_perplexity_floor("test", fast=FAST)
labels, emb_train_pp, emb_test_pp = [], [], []
for n in (1, 2, 3, 4):
    lm = NgramLM(n, smoothing="kneser-ney").fit(emb["train"])
    labels.append(f"{n}-gram KN")
    emb_train_pp.append(lm.perplexity(emb["train"][: len(emb["test"])]))
    emb_test_pp.append(lm.perplexity(emb["test"]))
print(f"floor (true model) on the embedded test split: {floor:.2f}")
plots.perplexity_floor_plot(labels, emb_test_pp, floor, train_perplexities=emb_train_pp,
                            title="Kneser-Ney n-grams against the embedded corpus's floor")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_written_question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 6 (3 points, graded by hand): what the measurements say
#
# Answer in a few sentences each, using your plots and numbers from sections 7 to 9:
#
# 1. Why does the training perplexity of the unsmoothed and Kneser–Ney models keep falling as $n$ grows
#    while the test perplexity does not (and why can add-one's training perplexity rise instead)? Why is
#    the unsmoothed test perplexity infinite, and why is add-k worse than Kneser–Ney at high $n$?
# 2. From section 8: roughly how would the memory of a 5-gram model grow if the training corpus were
#    1000 times larger? What does that mean for the largest practical $n$?
# 3. In section 9 the training perplexity of a high-order model can fall *below* the floor. Why is
#    that not a contradiction, and what does it tell you about the model?
#
# Write your answer in the cell below.

# %% [markdown] nbgrader={"grade": true, "grade_id": "nb01_written_answer", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# 1. A longer history fits the training text more closely: at high $n$ most histories were seen once,
#    so the model nearly memorises what followed them and training perplexity falls toward 1 (add-one
#    is the exception: its $V$ pseudo-counts swamp the one or two real counts of a sparse history, so
#    even on the training text it spreads the mass thinly and its perplexity rises with $n$). On new
#    text those long n-grams are mostly unseen; the MLE gives them probability 0, a single zero makes
#    the log-probability $-\infty$ and the perplexity infinite. Add-k gives every unseen n-gram the
#    same pseudo-count, which for a large $V$ moves most of the mass of a sparse history to junk, so it
#    degrades as histories get sparser; Kneser–Ney discounts a little from each seen count and backs
#    off to lower orders whose continuation counts are reliable, so it never does worse than the lower
#    orders.
# 2. The number of distinct high-order n-grams grows roughly linearly with the corpus (nearly every
#    sentence brings new ones), so 1000 times the text means roughly 1000 times the memory: from the
#    measured tens of MB to tens of GB. Memory (and data sparsity) caps $n$ at about 4–5 in practice.
# 3. The floor is an average over *new* sentences of the true model. On its own training data a model
#    can do better than the truth by memorising the sample; this is overfitting, and only test
#    perplexity measures how well the model generalises.

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb01_summary", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Summary
#
# - The chain rule writes $P(\text{sentence})$ as a product of next-word predictions; the Markov assumption
#   cuts the history to $n-1$ words; padding with `<s>` and `<eos>` makes the first words and the end
#   of the sentence predictions like any other.
# - MLE probabilities are count ratios $c(h, w)/c(h)$; they give unseen n-grams probability 0 and
#   unseen text infinite perplexity.
# - Smoothing moves probability to the unseen: add-k crudely, interpolation and Kneser–Ney by leaning
#   on lower orders. Kneser–Ney is the strongest.
# - Perplexity $2^{J}$ (bits) $= e^{J \ln 2}$ (nats) is the effective number of choices per token.
# - The count tables grow with $n$ and almost linearly with the corpus, which caps $n$ in practice and
#   makes n-gram models large. The next notebooks replace the tables with a recurrent network whose
#   size does not depend on the amount of text and whose history is not cut at $n-1$ words.
