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

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb05_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # 05 · Class-based softmax for large vocabularies
#
# The RNN language model of notebooks 02 and 03 ends every step with $\hat y_t = \operatorname{softmax}(W_S h_t)$:
# a score for **every** word of the vocabulary. With the lecture's sizes, a hidden state of
# $D_h = 1000$ units and a vocabulary of $V = 100{,}000$ words, $W_S$ is a $100{,}000 \times 1000$ matrix:
# $10^8$ multiply-adds per word of text, fifty times the recurrence's $W_{hh} h_{t-1} + W_{hx} x_t$, and as
# much again for its gradient. The output layer is where the time goes.
#
# The remedy of Mikolov et al. (2011, "Extensions of recurrent neural network language model") is to
# put every word in one of $C$ **classes** and factor its probability:
#
# $$P(w \mid h) \;=\; P\big(c(w) \mid h\big)\; P\big(w \mid c(w), h\big),$$
#
# a softmax over the $C$ classes and a softmax over the words of one class only. Training needs only the
# target's class, so a word costs $D_h (C + |c(w)|)$ multiply-adds instead of $D_h V$.
#
# In this notebook you will
#
# 1. count what the full softmax costs;
# 2. sort the words by frequency and cut them into classes, the most frequent words in the first,
#    smallest classes (**exercise 1**);
# 3. write the class-factored softmax's loss (**exercise 2**) and its gradients (**exercise 3**),
#    checked against finite differences;
# 4. meet the same layer in PyTorch, batched over targets of different classes, and time it against
#    the full softmax and PyTorch's own adaptive softmax;
# 5. measure the lecture's trade-off: more classes give a better perplexity but cost more time.
#
# | exercise | you write | points |
# | --- | --- | --- |
# | 1 | `assign_frequency_classes(counts, num_classes, method="sqrt")` | 3 |
# | 2 | `class_softmax_forward(h, y, W_C, b_C, W_S, b_S, classes, mask=None)` | 3 |
# | 3 | `class_softmax_backward(dloss, cache)` | 4 |
#
# **How to work.** In each answer cell, replace `raise NotImplementedError()` with your code; keep the
# function's name and parameters (they are those of the library `rnnlm.class_softmax`). Then run the
# cell right below it, `rnnlm.check("nb05_frequency_classes")` for exercise 1: it runs the exercise's
# visible checks and prints `PASSED`, or the first check that fails with a hint, without stopping the
# notebook. The test cell after it runs the same checks, and more (hidden) tests run when your
# notebook is graded. The demonstrations use the library: with the full kit they run even before you
# finish an exercise; in a student bundle the library runs your own functions, and a cell that needs an
# unfinished one says so and lets the notebook run on.
# A warning your code prints costs no points: the grader shows it in your feedback as a note.
#
# *Fast mode.* With the environment variable `RNNLM_FAST=1` the experiments shrink so that the whole
# notebook runs in well under a minute; the grader always uses it. Without it, expect ten to twenty
# minutes on a laptop CPU, nearly all of it the trade-off of section 6, which then trains a language
# model on the Penn Treebank for every number of classes.

# %% nbgrader={"grade": false, "grade_id": "nb05_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# %matplotlib inline
import math
import time

import numpy as np
import torch

import rnnlm
from rnnlm import class_softmax as cs
from rnnlm import data, gradcheck, plots, rnn_numpy, rnn_torch, train
from rnnlm.class_softmax import ClassSoftmax, FullSoftmax, WordClasses, output_layer_cost

FAST = rnnlm.fast_mode()
SEED = 0
rng = np.random.default_rng(SEED)
torch.set_num_threads(1)  # one thread: timings that compare like with like, and the other cores free
DEVICE = rnnlm.device()
print(f"rnnlm {rnnlm.__version__}, fast mode: {FAST}, device: {DEVICE}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb05_cost", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. What the full softmax costs
#
# Per word of text, the recurrence $h_t = f(W_{hh} h_{t-1} + W_{hx} x_t + b_h)$ costs $D_h (D_h + D)$
# multiply-adds and the scores $W_S h_t$ cost $D_h V$. Below, the two for the Penn Treebank's sizes
# (the model of notebook 03 at full size) and for the lecture's, and the factored layer's cost
# $D_h (C + V / C)$ when the $C$ classes hold $V / C$ words each. That sum is smallest when its two terms are
# equal, at $C = \sqrt{V}$, where it is $2 D_h \sqrt V$.

# %%
for name, H, V in [("Penn Treebank, H = 200", 200, 10_000), ("the lecture, H = 1000", 1000, 100_000)]:
    C = round(math.sqrt(V))
    print(f"{name}, V = {V:,}: recurrence {H * (H + H):,}, full softmax {H * V:,}, "
          f"{C} classes of {V // C} words {H * (C + V // C):,} multiply-adds per word "
          f"({V / (C + V // C):.0f}x fewer)")

# the time of one output layer's scores for a batch of 700 words (20 sequences of 35)
for V in (10_000, 100_000) if not FAST else (10_000,):
    h_batch, W_big = torch.randn(700, 200), torch.randn(V, 200)
    start = time.perf_counter()
    for _ in range(3):
        h_batch @ W_big.T
    print(f"V = {V:,}: scores of 700 words in {(time.perf_counter() - start) / 3 * 1000:.1f} ms "
          f"(one thread, forward only)")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb05_corpus", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. Words by frequency
#
# Word frequencies follow Zipf's law (notebook 01): a few words are very frequent and most are rare.
# The classes use that. Sort the vocabulary by count and cut it so that every class holds about the
# same share of the text: the most frequent words then get the first classes, each of a few words,
# and the rare words share the last, large ones. A token of text then usually falls in a small class,
# and its word softmax is cheap.
#
# We use the Penn Treebank when it is on this machine (`rnnlm data fetch ptb`; in fast mode its first
# 2000 sentences per split), the kit's embedded corpus otherwise (whose vocabulary is too small for the
# speed-ups to show, but everything runs the same).

# %%
CORPUS = "ptb" if data.available("ptb") else "embedded"
splits = data.load_corpus(CORPUS)
vocab = data.Vocab.build(splits["train"])
streams = {split: data.to_stream(sentences, vocab) for split, sentences in splits.items()}
V = len(vocab)
counts = np.bincount(streams["train"], minlength=V)  # (V,) how often each word id occurs in train
top = np.argsort(-counts, kind="stable")[:8]
print(f"corpus {CORPUS}: {len(streams['train']):,} training tokens, V = {V:,}")
print("most frequent:", ", ".join(f"{vocab.itos[w]} ({counts[w] / counts.sum():.1%})" for w in top))
print(f"words seen once: {(counts == 1).sum():,} of {V:,}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb05_binning", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 1 (3 points): `assign_frequency_classes`
#
# Write `assign_frequency_classes(counts, num_classes, method="sqrt")`. `counts` is a 1-D NumPy array of
# shape (V,), integers or floats: `counts[w]` is how often word id `w` occurs (≥ 0, and not all 0). Return a
# NumPy integer array `word_class` of shape (V,) where `word_class[w]` is the class of word `w`, a
# number in 0, 1, ..., C − 1 with C = `num_classes`. The rule, the one of Mikolov's RNNLM toolkit:
#
# 1. **Rank** the words by count, most frequent first; words with equal counts in order of their id
#    (the smaller id first). Rank r = 0 is the most frequent word.
# 2. **Weigh** each word: by its unigram probability $p = $ count / total count with `method="mass"`,
#    by $\sqrt p$ with `method="sqrt"` (the toolkit's default: it evens out the class sizes).
# 3. Let $m_r$ be the share of the total weight held by the words ranked **before** rank r (so $m_0 = 0$),
#    and give the word of rank r the class $\lfloor C\, m_r \rfloor$: class c collects the words whose
#    preceding weight lies in $[c/C, (c+1)/C)$, about $1/C$ of the weight each.
# 4. Two clamps keep every class non-empty: from one rank to the next the class grows by **at most
#    one** (a word heavier than $1/C$ is followed by one-word classes until the index catches up), and it
#    never falls so far behind that the words left could not fill the classes left. In one formula,
#    with $c_r$ the class of the word of rank r:
#
# $$c_0 = 0, \qquad c_r = \min\Big(c_{r-1} + 1,\ \max\big(\lfloor C\, m_r \rfloor,\ c_{r-1},\ r - (V - C)\big),\ C - 1\Big).$$
#
# For example, counts `[10, 40, 20, 30]` with C = 2 and `method="mass"` rank the words 1, 3, 2, 0 with
# $m_r$ = 0, 0.4, 0.7, 0.9, so $\lfloor 2 m_r \rfloor$ = 0, 0, 1, 1 and `word_class` is `[1, 0, 1, 0]`.
# (The tests use counts for which no $C\, m_r$ lies within $10^{-9}$ of a whole number other than 0, so the
# order in which you add up the weights does not matter.) Do not modify `counts`. Raise a `ValueError`
# if `num_classes` is not between 1 and V, if `method` is neither `"sqrt"` nor `"mass"`, or if a count
# is negative or all counts are 0.

# %% nbgrader={"grade": false, "grade_id": "nb05_frequency_classes", "locked": false, "schema_version": 3, "solution": true, "task": false}
def assign_frequency_classes(counts: np.ndarray, num_classes: int, method: str = "sqrt") -> np.ndarray:
    """The class of every word: an integer array (V,) with values in [0, num_classes).

    counts: (V,) non-negative counts, not all zero. method: "sqrt" (weigh words by sqrt(p)) or
    "mass" (by p). Words are ranked by count (ties: smaller id first); the word of rank r goes to
    c_r = min(c_{r-1} + 1, max(floor(C m_r), c_{r-1}, r - (V - C)), C - 1), c_0 = 0, with m_r the
    share of the weight ranked before it. Raises ValueError for a bad num_classes, method or counts.
    """
    ### BEGIN SOLUTION
    counts = np.asarray(counts)
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError(f"counts must be a non-empty 1-D array (V,), got shape {counts.shape}")
    V, C = counts.size, int(num_classes)
    if not 1 <= C <= V:
        raise ValueError(f"num_classes must be between 1 and V = {V}, got {num_classes}")
    if method not in ("sqrt", "mass"):
        raise ValueError(f"method must be 'sqrt' or 'mass', got {method!r}")
    if (counts < 0).any() or counts.sum() <= 0:
        raise ValueError("counts must be >= 0 and not all 0")
    order = np.argsort(-counts.astype(float), kind="stable")  # rank r -> word id (unsigned counts too)
    weight = counts[order].astype(float) / counts.sum()
    if method == "sqrt":
        weight = np.sqrt(weight)
    before = np.concatenate(([0.0], np.cumsum(weight)[:-1])) / weight.sum()  # m_r
    word_class = np.empty(V, dtype=np.int64)
    c = 0
    for r in range(V):
        if r > 0:
            c = min(c + 1, max(math.floor(C * before[r]), c, r - (V - C)), C - 1)
        word_class[order[r]] = c
    return word_class
    ### END SOLUTION


# %%
rnnlm.check("nb05_frequency_classes")

# %% nbgrader={"grade": true, "grade_id": "nb05_frequency_classes_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Visible checks: the worked example, the clamps, ties, both weightings and the errors.
_wc = assign_frequency_classes(np.array([10, 40, 20, 30]), 2, "mass")
assert isinstance(_wc, np.ndarray) and _wc.shape == (4,), (
    f"return a NumPy array of shape (V,) = (4,), got {type(_wc).__name__} {getattr(_wc, 'shape', '')}")
assert np.issubdtype(_wc.dtype, np.integer), f"classes are integers, got dtype {_wc.dtype}"
assert not np.array_equal(_wc, [0, 1, 0, 1]), (
    "the most frequent words get the FIRST classes: rank the words by count, descending")
assert np.array_equal(_wc, [1, 0, 1, 0]), (
    f"counts [10, 40, 20, 30], C = 2, mass: m_r = 0, 0.4, 0.7, 0.9 in rank order (words 1, 3, 2, 0), so "
    f"classes floor(2 m_r) = 0, 0, 1, 1, i.e. word_class [1, 0, 1, 0]; got {_wc.tolist()}")
_wc = np.asarray(assign_frequency_classes(np.array([97, 1, 1, 1]), 3, "mass"))
assert _wc.tolist() != [0, 2, 2, 2], (
    "class 1 is empty: the class may grow by at most one from one rank to the next (c_{r-1} + 1)")
assert _wc.tolist() == [0, 1, 2, 2], f"counts [97, 1, 1, 1], C = 3: expected [0, 1, 2, 2], got {_wc.tolist()}"
_wc = np.asarray(assign_frequency_classes(np.array([1, 1000, 1, 1]), 4, "mass"))
assert _wc.tolist() == [1, 0, 2, 3], (
    f"counts [1, 1000, 1, 1], C = V = 4: one word per class, the frequent word 1 first and the equal "
    f"counts in order of their ids: expected [1, 0, 2, 3], got {_wc.tolist()}")
_sq = np.asarray(assign_frequency_classes(np.array([60.0, 20.0, 10.0, 5.0, 3.0, 2.0]), 2, "sqrt"))
_ms = np.asarray(assign_frequency_classes(np.array([60.0, 20.0, 10.0, 5.0, 3.0, 2.0]), 2, "mass"))
assert _ms.tolist() == [0, 1, 1, 1, 1, 1], f"mass: word 0 alone holds 60% of the counts: got {_ms.tolist()}"
assert _sq.tolist() != _ms.tolist(), "method='sqrt' weighs each word by sqrt(count / total), not by its count"
assert _sq.tolist() == [0, 0, 1, 1, 1, 1], (
    f"sqrt(p) weighs the frequent words less, so class 0 takes words 0 and 1: expected [0, 0, 1, 1, 1, 1], "
    f"got {_sq.tolist()}")
_c = np.array([5, 3, 8, 1, 4])
_c_before = _c.copy()
assign_frequency_classes(_c, 2)
assert np.array_equal(_c, _c_before), "counts was modified: sort a copy (or just the order)"
for _bad_args in [(np.array([3, 2, 1]), 0), (np.array([3, 2, 1]), 4), (np.array([3, -1, 1]), 2),
                  (np.array([0, 0, 0]), 2)]:
    try:
        assign_frequency_classes(*_bad_args)
    except ValueError:
        pass
    else:
        raise AssertionError(f"assign_frequency_classes{_bad_args} should raise ValueError")
try:
    assign_frequency_classes(np.array([3, 2, 1]), 2, "log")
except ValueError:
    pass
else:
    raise AssertionError("method='log' should raise ValueError (only 'sqrt' and 'mass')")
print("assign_frequency_classes: visible checks passed")

### BEGIN HIDDEN TESTS
def _no_boundary(counts, C, method):
    # True when no C * m_r (r >= 1) lies within 1e-9 of a whole number, as the exercise promises
    w = np.sort(np.asarray(counts, dtype=float))[::-1]
    w = w / w.sum()
    w = np.sqrt(w) if method == "sqrt" else w
    m = np.cumsum(w)[:-1] / w.sum()
    x = C * m
    return bool(np.all(np.abs(x - np.round(x)) > 1e-9))


_rng_h = np.random.default_rng(505)
_tried = 0
for _trial in range(200):
    _Vh = int(_rng_h.integers(1, 400))
    _kind = _trial % 3
    if _kind == 0:  # Zipf-like integer counts
        _ch = np.maximum(1, (1e5 / np.arange(1, _Vh + 1) ** _rng_h.uniform(0.6, 1.4))).astype(np.int64)
        _rng_h.shuffle(_ch)
    elif _kind == 1:  # float counts with zeros
        _ch = _rng_h.exponential(5.0, _Vh) * (_rng_h.random(_Vh) > 0.2)
        if _ch.sum() == 0:
            _ch[0] = 1.0
    else:  # small integers with many ties
        _ch = _rng_h.integers(0, 5, _Vh)
        _ch[int(_rng_h.integers(_Vh))] += 1
    _Ch = int(_rng_h.integers(1, _Vh + 1))
    for _method in ("sqrt", "mass"):
        if not _no_boundary(_ch, _Ch, _method):
            continue
        _tried += 1
        _mine = np.asarray(assign_frequency_classes(_ch.copy(), _Ch, _method))
        _ref = cs.assign_frequency_classes(_ch, _Ch, _method)
        assert _mine.shape == _ref.shape and np.array_equal(_mine, _ref), (_Vh, _Ch, _method)
        assert np.array_equal(np.bincount(_mine, minlength=_Ch) > 0, np.ones(_Ch, bool)), "a class is empty"
assert _tried > 100, _tried
# a vocabulary of realistic size: 10,000 Zipf-like float counts, 100 classes
_zipf = 1e6 / np.arange(1, 10_001) ** 1.1 * np.exp(0.05 * _rng_h.standard_normal(10_000))
_rng_h.shuffle(_zipf)
for _method in ("sqrt", "mass"):
    if _no_boundary(_zipf, 100, _method):
        assert np.array_equal(np.asarray(assign_frequency_classes(_zipf.copy(), 100, _method)),
                              cs.assign_frequency_classes(_zipf, 100, _method)), _method
print("assign_frequency_classes: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb05_classes_look", "locked": true, "schema_version": 3, "solution": false, "task": false}
# `cs.frequency_classes(counts, C, method)` wraps your assignment in a `WordClasses`: for every word its
# class and its position in the class (`word_class`, `word_index`), the words of each class
# (`classes.words(c)`) and the class sizes. Below, 100 classes (fewer for a small vocabulary) of the
# corpus, by both weightings. With `"mass"` the first classes are single words (*the*, `<eos>`, ...) and
# the last ones hold thousands of rare words; `"sqrt"` weighs the frequent words less, so they share a
# few more classes, and cuts the long tail of rare words into many smaller ones. What matters for speed
# is the size of the class a *token* falls in, $E|c(w)|$, averaged over the text: smaller with `"sqrt"`.

# %%
N_CLASSES = min(100, V)
with rnnlm.uses_exercises():  # runs your exercise 1 in a student bundle
    by_method = {method: cs.frequency_classes(counts, N_CLASSES, method) for method in ("sqrt", "mass")}
    for method, classes in by_method.items():
        first = ", ".join(vocab.itos[w] for w in classes.words(0)[:5])
        print(f"{method:4s}: class sizes {classes.class_sizes.min()}..{classes.class_sizes.max()}, "
              f"E|c(w)| = {classes.expected_class_size():.1f} words; class 0: {first}")
    display(plots.class_sizes_plot({m: c.class_sizes for m, c in by_method.items()},
                                   title=f"{N_CLASSES} classes of the {CORPUS} vocabulary (V = {V:,})"))
    print(output_layer_cost(200, by_method["sqrt"]).summary())

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb05_forward", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. The factored probability
#
# Each class gets a row of a new matrix $W_C$ (C, H) and a bias $b_C$; each word keeps its row of $W_S$
# (V, H) and its bias $b_S$, but its scores are only ever compared with those of its own class. For a hidden
# state $h$ (a row, as in the kit's code):
#
# $$P(c \mid h) = \operatorname{softmax}(h W_C^\top + b_C)[c], \qquad
#   P(w \mid c, h) = \frac{\exp(h \cdot W_S[w] + b_S[w])}{\sum_{w' \in c} \exp(h \cdot W_S[w'] + b_S[w'])}.$$
#
# Every $P(\cdot \mid c, h)$ sums to one over its class and $P(\cdot \mid h)$ over the classes, so
# $P(w \mid h) = P(c(w) \mid h)\, P(w \mid c(w), h)$ sums to one over the whole vocabulary. The loss of a
# token is $-\log P(c(y) \mid h) - \log P(y \mid c(y), h)$: one softmax over C classes and one over
# $|c(y)|$ words.
#
# ### Exercise 2 (3 points): `class_softmax_forward`
#
# Write `class_softmax_forward(h, y, W_C, b_C, W_S, b_S, classes, mask=None)`. The inputs: `h` (N, H), the
# hidden states of N tokens, one per row (float); `y` (N,), the integer target of each token, a word id;
# `W_C` (C, H) and `b_C` (C,); `W_S` (V, H) and `b_S` (V,); `classes`, a `WordClasses` with V words in C
# classes, of which you need `classes.word_class` (V,) (the class of each word),
# `classes.word_index` (V,) (the position of each word among its class's words) and `classes.words(c)`
# (the word ids of class c, an array (|c|,), ascending; `classes.word_index[w]` is where `w` stands in
# `classes.words(classes.word_class[w])`); and `mask`, None (every token counts) or an array (N,) of
# booleans (or 0/1) saying which tokens count. Return `(J, cache)`:
#
# - `J`, a float: the mean over the n ≥ 1 tokens that count of $-\log P(c(y_i) \mid h_i) - \log P(y_i \mid c(y_i), h_i)$,
#   in nats (natural logarithms). The targets of tokens that do not count are ignored: they may be
#   anything, such as −1.
# - `cache`, the tuple `(h, y, mask, W_C, W_S, classes, p_class, p_word)`: `h`, `y`, `W_C`, `W_S` and `classes`
#   as given; `mask` as a NumPy boolean array (N,) (all `True` when `mask` is None); `p_class` the array
#   (N, C) of the class probabilities $P(\cdot \mid h_i)$ of every token (every row, whether it counts or
#   not); `p_word` a list of N entries, entry i the array (|c(y_i)|,) of the word probabilities
#   $P(\cdot \mid c(y_i), h_i)$ over `classes.words(c(y_i))`, in that order, for a token that counts, and
#   `None` for one that does not.
#
# Compute the softmaxes stably (subtract each row's maximum before `exp`, as in notebook 02). Raise a
# `ValueError` if the mask selects no token.

# %% nbgrader={"grade": false, "grade_id": "nb05_class_softmax_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def class_softmax_forward(h, y, W_C, b_C, W_S, b_S, classes, mask=None):
    """Mean -log P(y_i | h_i) under the class-factored softmax over the tokens mask selects.

    h (N, H), y (N,) ints, W_C (C, H), b_C (C,), W_S (V, H), b_S (V,), classes a WordClasses,
    mask (N,) bool/0-1 or None. Returns (J, cache), cache = (h, y, mask, W_C, W_S, classes,
    p_class (N, C), p_word: list of N arrays (|c(y_i)|,), None where the mask is False).
    """
    ### BEGIN SOLUTION
    N = h.shape[0]
    m = np.ones(N, dtype=bool) if mask is None else np.asarray(mask).astype(bool)
    if not m.any():
        raise ValueError("the mask selects no token")
    scores = h @ W_C.T + b_C
    scores = scores - scores.max(axis=1, keepdims=True)
    p_class = np.exp(scores)
    p_class /= p_class.sum(axis=1, keepdims=True)
    p_word = [None] * N
    total = 0.0
    for i in np.flatnonzero(m):
        c = classes.word_class[y[i]]
        words = classes.words(c)
        s = h[i] @ W_S[words].T + b_S[words]
        p = np.exp(s - s.max())
        p /= p.sum()
        p_word[i] = p
        total -= math.log(p_class[i, c]) + math.log(p[classes.word_index[y[i]]])
    return total / m.sum(), (h, y, m, W_C, W_S, classes, p_class, p_word)
    ### END SOLUTION


# %%
rnnlm.check("nb05_class_softmax_forward")

# %% nbgrader={"grade": true, "grade_id": "nb05_class_softmax_forward_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Visible checks: a token worked by hand, the cache, the mask, one class (the full softmax) and the error.
_classes = WordClasses.from_assignment([0, 0, 1, 1, 1])  # words 0, 1 in class 0; words 2, 3, 4 in class 1
_h1 = np.array([[1.0, 0.0]])
_W_C1, _b_C1 = np.array([[0.0, 0.0], [math.log(3.0), 0.0]]), np.zeros(2)  # P(class 1 | h) = 3/4
_W_S1, _b_S1 = np.zeros((5, 2)), np.array([0.0, 0.0, math.log(2.0), 0.0, 0.0])  # P(word 2 | class 1) = 2/4
_J, _cache = class_softmax_forward(_h1, np.array([2]), _W_C1, _b_C1, _W_S1, _b_S1, _classes)
_want = -math.log(0.75) - math.log(0.5)
assert not math.isclose(float(_J), -math.log(0.75), rel_tol=1e-9), (
    "J holds only -log P(class | h): add -log P(word | class, h)")
assert not math.isclose(float(_J), -math.log(0.75 * 2 / 6), rel_tol=1e-9), (
    "the word softmax runs over the words of the target's class only, not over the whole vocabulary")
assert math.isclose(float(_J), _want, rel_tol=1e-9), (
    f"P(class 1 | h) = 3/4 and P(word 2 | class 1, h) = 2/4, so J = -log(3/4) - log(1/2) = {_want:.6f}; "
    f"got {float(_J):.6f}")
assert isinstance(_cache, tuple) and len(_cache) == 8, (
    "cache must be the tuple (h, y, mask, W_C, W_S, classes, p_class, p_word)")
_p_class, _p_word = _cache[6], _cache[7]
assert np.allclose(_p_class, [[0.25, 0.75]]), f"p_class is P(. | h) for every token, (N, C); got {_p_class}"
assert len(_p_word) == 1 and np.allclose(_p_word[0], [0.5, 0.25, 0.25]), (
    f"p_word[0] is P(. | class 1, h) over classes.words(1) = [2, 3, 4]: [0.5, 0.25, 0.25]; got {_p_word}")
# a random batch against the probabilities written out in full
_r = np.random.default_rng(5)
_N, _H, _V = 7, 3, 9
_classes = WordClasses.from_assignment([2, 0, 1, 1, 0, 2, 2, 1, 0])
_h, _y = _r.standard_normal((_N, _H)), _r.integers(0, _V, _N)
_W_C, _b_C = _r.standard_normal((3, _H)), _r.standard_normal(3)
_W_S, _b_S = _r.standard_normal((_V, _H)), _r.standard_normal(_V)
_J, _cache = class_softmax_forward(_h, _y, _W_C, _b_C, _W_S, _b_S, _classes)
_nll = []
for _i in range(_N):
    _pc = np.exp(_h[_i] @ _W_C.T + _b_C)
    _pc /= _pc.sum()
    _words = _classes.words(int(_classes.word_class[_y[_i]]))
    _pw = np.exp(_h[_i] @ _W_S[_words].T + _b_S[_words])
    _pw /= _pw.sum()
    _nll.append(-math.log(_pc[_classes.word_class[_y[_i]]]) - math.log(_pw[list(_words).index(_y[_i])]))
    assert np.allclose(_cache[6][_i], _pc), f"p_class[{_i}] must be P(. | h_{_i}) over the C classes"
    assert np.allclose(_cache[7][_i], _pw), f"p_word[{_i}] must be P(. | c(y_{_i}), h_{_i}) over its class"
assert math.isclose(float(_J), float(np.mean(_nll)), rel_tol=1e-9), (
    f"J must be the MEAN over the tokens of -log P(class) - log P(word | class): {np.mean(_nll):.6f}, "
    f"got {float(_J):.6f}")
# the mask: tokens that do not count are ignored, their targets may be -1
_mask = np.array([True, False, True, True, False, True, True])
_y_masked = np.where(_mask, _y, -1)
_Jm, _cache_m = class_softmax_forward(_h, _y_masked, _W_C, _b_C, _W_S, _b_S, _classes, _mask)
assert math.isclose(float(_Jm), float(np.mean(np.array(_nll)[_mask])), rel_tol=1e-9), (
    "with a mask, J is the mean over the tokens the mask selects only (divide by their number)")
assert _cache_m[7][1] is None and _cache_m[7][4] is None, "p_word holds None for the tokens that do not count"
assert np.array_equal(np.asarray(_cache_m[2]), _mask), "cache's mask is the boolean mask (N,)"
_, _cache_all = class_softmax_forward(_h, _y, _W_C, _b_C, _W_S, _b_S, _classes)
assert np.array_equal(np.asarray(_cache_all[2]), np.ones(_N, bool)), (
    "with mask=None the cache's mask is all True")
# one class: the full softmax of notebook 02
_one = WordClasses.from_assignment(np.zeros(_V, dtype=int))
_J1, _ = class_softmax_forward(_h, _y, _W_C[:1], _b_C[:1], _W_S, _b_S, _one)
_full = rnn_numpy.temporal_softmax_loss((_h @ _W_S.T + _b_S)[None], _y[None])[0]
assert math.isclose(float(_J1), float(_full), rel_tol=1e-9), (
    f"with one class P(c | h) = 1 and the loss is the full softmax's, {float(_full):.6f}; "
    f"got {float(_J1):.6f}")
# large scores: a constant added to every score changes no probability, but overflows a plain exp
_Jbig, _ = class_softmax_forward(_h, _y, _W_C, _b_C + 1000.0, _W_S, _b_S + 1000.0, _classes)
assert math.isfinite(float(_Jbig)) and math.isclose(float(_Jbig), float(_J), rel_tol=1e-9), (
    "scores near 1000 overflow exp: subtract each row's maximum before exp (the probabilities do not change)")
try:
    class_softmax_forward(_h, _y, _W_C, _b_C, _W_S, _b_S, _classes, np.zeros(_N, bool))
except ValueError:
    pass
else:
    raise AssertionError("a mask that selects no token should raise ValueError (J would be 0/0)")
print("class_softmax_forward: visible checks passed")

### BEGIN HIDDEN TESTS
_rng_h = np.random.default_rng(5050)
for (_N, _H, _V, _C) in [(1, 1, 1, 1), (5, 2, 6, 3), (40, 4, 30, 6), (64, 8, 50, 50), (23, 3, 12, 1)]:
    _counts_h = _rng_h.integers(1, 100, _V)
    _cl = (cs.frequency_classes(_counts_h, _C, "sqrt") if _C < _V
           else WordClasses.from_assignment(np.arange(_V)))
    _h = _rng_h.standard_normal((_N, _H))
    _y = _rng_h.integers(0, _V, _N)
    _W_C, _b_C = _rng_h.standard_normal((_cl.num_classes, _H)), _rng_h.standard_normal(_cl.num_classes)
    _W_S, _b_S = _rng_h.standard_normal((_V, _H)), _rng_h.standard_normal(_V)
    for _mask in (None, _rng_h.random(_N) < 0.6, (_rng_h.random(_N) < 0.5).astype(int)):
        if _mask is not None and not np.asarray(_mask).any():
            continue
        _yy = _y if _mask is None else np.where(np.asarray(_mask).astype(bool), _y, -1)
        _J, _cache = class_softmax_forward(_h.copy(), _yy.copy(), _W_C, _b_C, _W_S, _b_S, _cl, _mask)
        _Jr, _cr = cs.class_softmax_forward(_h, _yy, _W_C, _b_C, _W_S, _b_S, _cl, _mask)
        assert math.isclose(float(_J), _Jr, rel_tol=1e-9, abs_tol=1e-12), (_N, _V, _C)
        assert np.array_equal(np.asarray(_cache[2]).astype(bool), _cr[2])
        assert np.allclose(_cache[6], _cr[6], rtol=1e-9, atol=1e-12)
        assert len(_cache[7]) == _N
        for _a, _b in zip(_cache[7], _cr[7], strict=True):
            assert (_a is None) == (_b is None)
            if _b is not None:
                assert np.allclose(_a, _b, rtol=1e-9, atol=1e-12)
# probabilities sum to one over the vocabulary: exp(-J) of every word of a one-token batch
_cl = cs.frequency_classes(_rng_h.integers(1, 50, 20), 4)
_h1 = _rng_h.standard_normal((1, 3))
_W_C, _b_C = _rng_h.standard_normal((4, 3)), _rng_h.standard_normal(4)
_W_S, _b_S = _rng_h.standard_normal((20, 3)), _rng_h.standard_normal(20)
_total = sum(math.exp(-float(class_softmax_forward(_h1, np.array([_w]), _W_C, _b_C, _W_S, _b_S, _cl)[0]))
             for _w in range(20))
assert math.isclose(_total, 1.0, rel_tol=1e-9), _total
print("class_softmax_forward: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb05_sums", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **It is a distribution.** For evaluation and sampling we need $P(w \mid h)$ of *every* word, which costs a
# full $h W_S^\top$ again; `cs.class_log_prob` computes all of them. Each row sums to one, and with a single
# class the factored layer *is* the full softmax.

# %%
with rnnlm.uses_exercises():
    _demo_classes = cs.frequency_classes(counts, N_CLASSES)
    H_DEMO = 16
    h_demo = rng.standard_normal((5, H_DEMO))
    layer_params = {"W_C": 0.3 * rng.standard_normal((N_CLASSES, H_DEMO)), "b_C": np.zeros(N_CLASSES),
                    "W_S": 0.3 * rng.standard_normal((V, H_DEMO)), "b_S": np.zeros(V)}
    logp = cs.class_log_prob(h_demo, *layer_params.values(), _demo_classes)
    print("rows of exp(log P(w | h)) sum to", np.round(np.exp(logp).sum(axis=1), 12))
    y_demo = rng.choice(V, size=5, p=counts / counts.sum())
    J_demo, _ = class_softmax_forward(h_demo, y_demo, *layer_params.values(), _demo_classes)
    print(f"J from exercise 2: {J_demo:.6f}; from log P(w | h) of every word: "
          f"{-logp[np.arange(5), y_demo].mean():.6f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb05_backward", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. Its gradients
#
# The loss of one token is the sum of two softmax cross-entropies, so its gradient is the familiar
# "probabilities minus one-hot" twice (notebook 03). With $s^C = h W_C^\top + b_C$ the class scores and $s^W$
# the scores $h \cdot W_S[w] + b_S[w]$ of the words $w$ of the target's class,
#
# $$\frac{\partial J_i}{\partial s^C} = P(\cdot \mid h_i) - \mathbf 1_{c(y_i)}, \qquad
#   \frac{\partial J_i}{\partial s^W} = P(\cdot \mid c(y_i), h_i) - \mathbf 1_{y_i},$$
#
# and the parameters and $h$ collect these through the products that made the scores: $s^C$ through
# $W_C$, $b_C$ and $h$, $s^W$ through the rows of $W_S$ and $b_S$ of that class's words, and $h$ again. Words of
# other classes get no gradient from token i: their rows of $W_S$ are untouched, which is where the time
# is saved.
#
# ### Exercise 3 (4 points): `class_softmax_backward`
#
# Write `class_softmax_backward(dloss, cache)`. `cache` is the tuple `(h, y, mask, W_C, W_S, classes, p_class, p_word)`
# that exercise 2 describes (the tests build it with the library's forward, so your exercise 3 is
# tested on its own); `dloss` is a number, the gradient of the final objective with respect to J (1.0
# for J itself). Return a dict with the gradients of `dloss * J`: `"h"` (N, H), `"W_C"` (C, H), `"b_C"` (C,),
# `"W_S"` (V, H), `"b_S"` (V,), each a float array of that shape. Only the tokens the mask selects contribute,
# each with weight `dloss / n` (n the number of them): the rows of `"h"` of the other tokens are 0, and
# so are the rows of `"W_S"` and entries of `"b_S"` of the words of every class that no selected token's
# target belongs to. Do not modify anything in `cache`.

# %% nbgrader={"grade": false, "grade_id": "nb05_class_softmax_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def class_softmax_backward(dloss, cache):
    """Gradients of dloss * J, from the cache of class_softmax_forward.

    cache = (h, y, mask, W_C, W_S, classes, p_class, p_word). Returns a dict with "h" (N, H),
    "W_C" (C, H), "b_C" (C,), "W_S" (V, H), "b_S" (V,). The cache is not modified.
    """
    ### BEGIN SOLUTION
    h, y, mask, W_C, W_S, classes, p_class, p_word = cache
    mask = np.asarray(mask, dtype=bool)
    scale = dloss / mask.sum()
    grads = {"h": np.zeros_like(h, dtype=float), "W_C": np.zeros_like(W_C, dtype=float),
             "b_C": np.zeros(W_C.shape[0]), "W_S": np.zeros_like(W_S, dtype=float),
             "b_S": np.zeros(W_S.shape[0])}
    for i in np.flatnonzero(mask):
        c = classes.word_class[y[i]]
        ds_class = p_class[i].copy()
        ds_class[c] -= 1.0
        ds_class *= scale
        words = classes.words(c)
        ds_word = p_word[i].copy()
        ds_word[classes.word_index[y[i]]] -= 1.0
        ds_word *= scale
        grads["W_C"] += np.outer(ds_class, h[i])
        grads["b_C"] += ds_class
        grads["W_S"][words] += np.outer(ds_word, h[i])
        grads["b_S"][words] += ds_word
        grads["h"][i] = ds_class @ W_C + ds_word @ W_S[words]
    return grads
    ### END SOLUTION


# %%
rnnlm.check("nb05_class_softmax_backward")

# %% nbgrader={"grade": true, "grade_id": "nb05_class_softmax_backward_test", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Visible checks: keys and shapes, the hand-worked token, finite differences, the mask, dloss, the cache.
_classes = WordClasses.from_assignment([0, 0, 1, 1, 1])
_h1 = np.array([[1.0, 0.0]])
_W_C1, _b_C1 = np.array([[0.0, 0.0], [math.log(3.0), 0.0]]), np.zeros(2)
_W_S1, _b_S1 = np.zeros((5, 2)), np.array([0.0, 0.0, math.log(2.0), 0.0, 0.0])
_, _cache1 = cs.class_softmax_forward(_h1, np.array([2]), _W_C1, _b_C1, _W_S1, _b_S1, _classes)
_g = class_softmax_backward(1.0, _cache1)
assert isinstance(_g, dict) and set(_g) == {"h", "W_C", "b_C", "W_S", "b_S"}, (
    f"return a dict with keys h, W_C, b_C, W_S, b_S; got {sorted(_g) if isinstance(_g, dict) else type(_g)}")
for _k, _shape in {"h": (1, 2), "W_C": (2, 2), "b_C": (2,), "W_S": (5, 2), "b_S": (5,)}.items():
    assert np.shape(_g[_k]) == _shape, f"grads[{_k!r}] must have shape {_shape}, got {np.shape(_g[_k])}"
assert not np.allclose(_g["b_C"], [0.25, 0.75]), "subtract the one-hot of the target's class from P(. | h)"
assert np.allclose(_g["b_C"], [0.25, -0.25]), (
    f"dJ/db_C = P(. | h) - one-hot(c(y)) = [1/4, 3/4] - [0, 1]; got {np.round(_g['b_C'], 6).tolist()}")
assert np.allclose(_g["b_S"], [0.0, 0.0, -0.5, 0.25, 0.25]), (
    "dJ/db_S = P(. | class 1, h) - one-hot(y) on the words of the target's class (2, 3, 4), 0 elsewhere: "
    f"[0, 0, -1/2, 1/4, 1/4]; got {np.round(_g['b_S'], 6).tolist()}")
# finite differences on a random batch with a mask
_r = np.random.default_rng(7)
_N, _H, _V = 6, 3, 8
_classes = WordClasses.from_assignment([1, 0, 2, 1, 0, 2, 2, 1])
_p = {"h": _r.standard_normal((_N, _H)), "W_C": _r.standard_normal((3, _H)), "b_C": _r.standard_normal(3),
      "W_S": _r.standard_normal((_V, _H)), "b_S": _r.standard_normal(_V)}
_mask = np.array([True, True, False, True, True, False])
_y = np.where(_mask, _r.integers(0, _V, _N), -1)


def _loss_of(name):
    def f(x):
        q = dict(_p, **{name: x})
        J, _ = cs.class_softmax_forward(q["h"], _y, q["W_C"], q["b_C"], q["W_S"], q["b_S"], _classes, _mask)
        return J
    return f


_, _cache = cs.class_softmax_forward(_p["h"], _y, _p["W_C"], _p["b_C"], _p["W_S"], _p["b_S"], _classes, _mask)
_g = class_softmax_backward(1.0, _cache)
assert np.allclose(np.asarray(_g["h"])[~_mask], 0.0), "rows of grads['h'] of tokens outside the mask are 0"
for _k in ("b_C", "W_C", "b_S", "W_S", "h"):
    _num = gradcheck.numeric_gradient(_loss_of(_k), _p[_k].copy())
    _err = gradcheck.rel_error(np.asarray(_g[_k], dtype=float), _num)
    assert not (_k == "h" and np.allclose(np.asarray(_g[_k]) * 2, _num, atol=1e-6)), (
        "grads['h'] is half what it should be: h gets gradient from the class scores AND from the word "
        "scores")
    assert _err < 1e-7, f"grads[{_k!r}] disagrees with finite differences: relative error {_err:.1e}"
_g3 = class_softmax_backward(3.0, _cache)
assert np.allclose(np.asarray(_g3["W_S"]), 3.0 * np.asarray(_g["W_S"])), "every gradient scales with dloss"
# the cache is not modified
_p_class_before = _cache[6].copy()
_p_word_before = [None if _a is None else _a.copy() for _a in _cache[7]]
class_softmax_backward(1.0, _cache)
assert np.array_equal(_cache[6], _p_class_before), (
    "p_class in the cache was modified: subtract the one-hot from a copy (p_class.copy())")
assert all(_a is None or np.array_equal(_a, _b) for _a, _b in zip(_cache[7], _p_word_before, strict=True)), (
    "p_word in the cache was modified: subtract the one-hot from a copy")
print("class_softmax_backward: visible checks passed")

### BEGIN HIDDEN TESTS
_rng_h = np.random.default_rng(50505)
for (_N, _H, _V, _C) in [(1, 1, 1, 1), (1, 2, 5, 2), (9, 3, 10, 4), (50, 5, 40, 7), (30, 4, 20, 20),
                         (12, 2, 9, 1)]:
    _cl = (WordClasses.from_assignment(np.arange(_V)) if _C == _V
           else cs.frequency_classes(_rng_h.integers(1, 80, _V), _C, "mass"))
    _p = {"h": _rng_h.standard_normal((_N, _H)), "W_C": _rng_h.standard_normal((_cl.num_classes, _H)),
          "b_C": _rng_h.standard_normal(_cl.num_classes), "W_S": _rng_h.standard_normal((_V, _H)),
          "b_S": _rng_h.standard_normal(_V)}
    for _mask in (None, _rng_h.random(_N) < 0.5, (_rng_h.random(_N) < 0.7).astype(int)):
        if _mask is not None and not np.asarray(_mask).any():
            continue
        _y = _rng_h.integers(0, _V, _N)
        if _mask is not None:
            _y = np.where(np.asarray(_mask).astype(bool), _y, -1)
        for _dloss in (1.0, -0.7, 2):
            _, _cache = cs.class_softmax_forward(_p["h"], _y, _p["W_C"], _p["b_C"], _p["W_S"], _p["b_S"], _cl,
                                                 _mask)
            _ref = cs.class_softmax_backward(_dloss, _cache)
            _mine = class_softmax_backward(_dloss, _cache)
            for _k in _ref:
                assert np.shape(_mine[_k]) == _ref[_k].shape, _k
                _got = np.asarray(_mine[_k], dtype=float)
                assert np.allclose(_got, _ref[_k], rtol=1e-9, atol=1e-12), (_k, _N, _C)
print("class_softmax_backward: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb05_torch", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. The same layer in PyTorch, and its speed
#
# `cs.ClassSoftmax(H, classes)` holds `W_C`, `b_C`, `W_S`, `b_S` in the same layout, so NumPy weights copy
# in (`load_numpy_params`) and its loss agrees with your exercise 2 to rounding. It is batched without a
# Python loop over tokens: it sorts a batch's tokens by target class, runs one small softmax per class
# present (neighbouring small classes merged into one product), and runs on a GPU. `cs.FullSoftmax` has
# the same interface with the full softmax. PyTorch's own `nn.AdaptiveLogSoftmaxWithLoss` (Grave et al.,
# 2017) is a relative: a head softmax over the frequent words and a few clusters of rare words, whose
# smaller hidden projections save more time on a GPU.
#
# Below: the output layer alone, forward and backward for a batch of 700 tokens (20 sequences of 35), on
# one CPU thread, for the class softmax with several C, the full softmax and the adaptive softmax.
# (`python bench/class_softmax.py` does this at V = 10,000 with more repetitions.)

# %%
with rnnlm.uses_exercises():
    torch_classes = cs.frequency_classes(counts, N_CLASSES)
    torch_layer = ClassSoftmax(H_DEMO, torch_classes, device="cpu", dtype=torch.float64)
    torch_layer.load_numpy_params(layer_params)
    J_torch = torch_layer.loss(torch.from_numpy(h_demo), torch.from_numpy(y_demo)).item()
    J_numpy, _ = class_softmax_forward(h_demo, y_demo, *layer_params.values(), torch_classes)
    print(f"PyTorch ClassSoftmax {J_torch:.12f}, your NumPy forward {J_numpy:.12f}")

# %%
H_TIME, N_TIME = 200, 700
REPEATS = 3 if FAST else 10
token_ids = torch.from_numpy(rng.choice(V, size=N_TIME, p=counts / counts.sum()))
h_time = torch.randn(N_TIME, H_TIME)


def time_layer(layer, repeats=REPEATS):
    # median seconds of one forward + backward of the layer's loss on the batch
    h_in = h_time.clone().requires_grad_(True)
    seconds = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        layer.loss(h_in, token_ids).backward()
        seconds.append(time.perf_counter() - start)
    return float(np.median(seconds[1:]))


class AdaptiveLayer(torch.nn.Module):
    # nn.AdaptiveLogSoftmaxWithLoss behind the interface of the kit's layers: layer.loss(h, targets)
    def __init__(self, hidden_dim, vocab_size, frequency_order):
        super().__init__()
        cutoffs = [c for c in (vocab_size // 20, vocab_size // 4) if 0 < c < vocab_size]
        self.inner = torch.nn.AdaptiveLogSoftmaxWithLoss(hidden_dim, vocab_size, cutoffs or [vocab_size - 1],
                                                         div_value=4.0)
        rank = torch.empty(vocab_size, dtype=torch.long)
        rank[torch.from_numpy(frequency_order)] = torch.arange(vocab_size)
        self.register_buffer("rank", rank)  # the adaptive softmax wants frequent words first

    def loss(self, h, targets):
        return self.inner(h, self.rank[targets]).loss


frequency_order = np.argsort(-counts, kind="stable")
speed = {"full softmax": time_layer(FullSoftmax(H_TIME, V, device="cpu", seed=SEED)),
         "adaptive softmax": time_layer(AdaptiveLayer(H_TIME, V, frequency_order))}
CLASS_COUNTS = [c for c in (10, 50, 100, 200, 1000) if c <= V]
with rnnlm.uses_exercises():
    for C in CLASS_COUNTS:
        layer = ClassSoftmax(H_TIME, cs.frequency_classes(counts, C), device="cpu", seed=SEED)
        speed[f"class softmax, C = {C}"] = time_layer(layer)
for name, seconds in speed.items():
    print(f"{name:24s} {seconds * 1000:8.2f} ms   {speed['full softmax'] / seconds:5.1f}x the full speed")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb05_tradeoff", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. The trade-off: classes against perplexity
#
# The factored model is a different model, not an approximation that gets exact: a word now competes
# with its class-mates only, and the class decision can be wrong. With few classes (large ones) it is
# close to the full softmax but slow; with many (small ones) it is fast but must learn a harder class
# decision. Below we train the RNN language model of notebook 03 (`rnn_torch.RNNLM`, the kit's training
# loop `train.train`) once for each C, with the same size, budget and seed, beside the full softmax and
# the adaptive softmax of section 5 (on the same recurrence, its output weights untied), and report
# perplexity and seconds per epoch. In fast mode the models and the budget are small, so the
# numbers only hint at the trend; the README's table has the full-size runs on the Penn Treebank
# (H = 200, `rnnlm train --corpus ptb --softmax class --classes 100`).

# %%
HIDDEN = 48 if FAST else 200
CONFIG = train.TrainConfig(epochs=1 if FAST else 4, seed=SEED, progress=not FAST)
TRADEOFF_CLASSES = [c for c in ((10, 50, 200) if FAST else (10, 50, 100, 200, 500, 1000)) if c < V]


def train_language_model(**output_layer):
    # one RNN LM (tanh, H units, tied embeddings) trained under CONFIG; its history and test perplexity
    model = rnn_torch.RNNLM(V, HIDDEN, HIDDEN, "tanh", dropout=0.0 if FAST else 0.4, tie_weights=True,
                            seed=SEED, device=DEVICE, **output_layer)
    history = train.train(model, streams["train"], streams["valid"], CONFIG)
    return history, train.evaluate(model, streams["test"])


class AdaptiveRNNLM(torch.nn.Module):
    # the same RNN (its embeddings and recurrence) under PyTorch's adaptive softmax, for reference
    def __init__(self):
        super().__init__()
        self.rnn = rnn_torch.RNNLM(V, HIDDEN, HIDDEN, "tanh", dropout=0.0 if FAST else 0.4, seed=SEED,
                                   device=DEVICE)  # its W_S and b_S stay unused (no gradient)
        self.output_layer = AdaptiveLayer(HIDDEN, V, frequency_order).to(DEVICE)
        self.vocab_size = V

    def loss(self, x_ids, y_ids, h0=None):
        hs, h_last = self.rnn.hidden_states(x_ids, h0)
        hs = torch.nn.functional.dropout(hs, self.rnn.dropout, self.training)
        return self.output_layer.loss(hs.reshape(-1, HIDDEN), y_ids.reshape(-1)), h_last


runs = {}
start = time.perf_counter()
runs["full softmax"] = train_language_model()
adaptive_model = AdaptiveRNNLM()
runs["adaptive softmax"] = (train.train(adaptive_model, streams["train"], streams["valid"], CONFIG),
                            train.evaluate(adaptive_model, streams["test"]))
with rnnlm.uses_exercises():
    for C in TRADEOFF_CLASSES:
        runs[C] = train_language_model(softmax="class", classes=C, counts=counts)
print(f"{len(runs)} models, {time.perf_counter() - start:.0f} s in all (H = {HIDDEN}, {CORPUS}, "
      f"{CONFIG.epochs} epoch{'s' * (CONFIG.epochs > 1)} each)")
print(f"{'output layer':>16s} {'valid ppl':>10s} {'test ppl':>9s} {'s / epoch':>10s} {'speed-up':>9s}")
full_seconds = float(np.mean(runs["full softmax"][0].seconds))
for name, (history, test_ppl) in runs.items():
    label = name if isinstance(name, str) else f"C = {name}"
    seconds = float(np.mean(history.seconds))
    print(f"{label:>16s} {history.best_valid_perplexity:10.1f} {test_ppl:9.1f} {seconds:10.2f} "
          f"{full_seconds / seconds:8.1f}x")

# %%
class_runs = [C for C in runs if not isinstance(C, str)]
if class_runs:
    display(plots.class_tradeoff_plot(
        class_runs, [runs[C][1] for C in class_runs],
        [float(np.mean(runs[C][0].seconds)) for C in class_runs],
        references={name: (runs[name][1], float(np.mean(runs[name][0].seconds)))
                    for name in ("full softmax", "adaptive softmax")}, sqrt_v=math.sqrt(V),
        title=f"Class softmax on {CORPUS} (H = {HIDDEN}): test perplexity and time against the classes"))

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb05_summary", "locked": true, "schema_version": 3, "solution": false, "task": false}
# On the full Penn Treebank with H = 200 (the README's table) the class softmax with 100 classes trains
# several times faster per epoch than the full softmax and ends a few points of perplexity behind it, the
# trade-off Mikolov et al. report (136 with 100 classes against 123 for the full softmax, their Table 3).
# The time saved grows with the vocabulary: at the lecture's V = 100,000 the full softmax costs 100,000
# multiply-adds per hidden unit and word, the best class layer about 630.
#
# ## Summary
#
# - The full softmax costs $D_h V$ multiply-adds per word and dominates an RNN language model's time when $V$
#   is large.
# - Sorting the words by frequency and cutting them into classes of about equal weight puts the frequent
#   words in small classes; $P(w \mid h) = P(c(w) \mid h)\, P(w \mid c(w), h)$ then costs $D_h (C + |c(w)|)$, least
#   near $C = \sqrt V$.
# - Its gradients are two "softmax minus one-hot" terms; the words of other classes get none.
# - More classes make the layer faster but the model worse; the full softmax stays the most accurate.
