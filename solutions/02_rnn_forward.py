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

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # 02 · The recurrent neural network language model: the forward pass
#
# Notebook 01 built language models from **counts**: to predict the next word it looked at the last
# $n-1$ words, and it needed one table entry for every n-gram ever seen. Its tables grew with $n$ and
# with the corpus, and anything further back than $n-1$ words was forgotten.
#
# A **recurrent neural network** (RNN) language model reads the text one word at a time and keeps a
# **hidden state** $h_t$, a vector that summarises everything read so far. At every step it updates the
# state with the same small set of weights and predicts a probability for every word of the vocabulary.
# Its memory does not depend on how long the text is or how much text it was trained on.
#
# In this notebook you will
#
# 1. draw the model and write its equations in the lecture's notation;
# 2. write the **embedding lookup** $x_t = L[w_t]$;
# 3. write **one step** of the recurrence $h_t = f(W_{hh} h_{t-1} + W_{hx} x_t + b_h)$ and see it as one
#    product with the concatenation $[W_{hh}\; W_{hx}]$;
# 4. run it over a **whole sequence**, with the same weights at every step;
# 5. turn scores into probabilities with the **softmax** $\hat y_t = \mathrm{softmax}(W_S h_t + b_S)$;
# 6. measure predictions with the **cross-entropy** loss, and turn it into **perplexity**, $2^J$ with $J$
#    in bits or $e^J$ with $J$ in nats;
# 7. check that an untrained model has a perplexity close to the vocabulary size $V$;
# 8. **measure** the memory of the RNN against the n-gram tables of notebook 01.
#
# Training (the backward pass) is the topic of notebook 03.
#
# | exercise | you write | points |
# | --- | --- | --- |
# | 1 | `embedding_forward(ids, L)` | 1 |
# | 2 | `rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h, activation)` | 2 |
# | 3 | `rnn_forward(x, h0, W_hx, W_hh, b_h, activation)` | 2 |
# | 4 | `softmax(scores, axis)` | 2 |
# | 5 | `temporal_softmax_loss(scores, y, mask)` | 3 |
# | 6 | `perplexity_from_loss(J_nats)` and `perplexity_from_bits(J_bits)` | 2 |
#
# **How to work.** In each answer cell, replace `raise NotImplementedError()` with your code; keep the
# function's name and parameters (they are those of the library `rnnlm.rnn_numpy`, which the later
# notebooks use). Then run the cell right below it, `rnnlm.check("nb02_embedding_forward")` for
# exercise 1: it runs the exercise's checks on your function and prints `PASSED`, or the first check
# that fails with a hint, without stopping the notebook. The test cell after it runs the same checks
# (they point at common mistakes), and more (hidden) tests run when your notebook is graded. Cells that
# use your functions say so when an exercise is not done yet; the rest of the notebook runs anyway.
# A warning your code prints (for example NumPy's `RuntimeWarning` when a correct answer gives `inf`)
# costs no points: the grader shows it in your feedback as a note. Only an error or a failed check does.
#
# *Fast mode.* With the environment variable `RNNLM_FAST=1` the notebook uses the small embedded corpus
# and runs in well under a minute; the grader always uses it. Without it, it uses the Penn Treebank when
# that is in your data directory (a few minutes).

# %% nbgrader={"grade": false, "grade_id": "nb02_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# %matplotlib inline
import math
import time

import numpy as np

import rnnlm
from rnnlm import data, plots
from rnnlm.embedded import embedded_splits
from rnnlm.ngram import NgramLM
from rnnlm.rnn_numpy import RNNLM, get_activation, temporal_affine_forward  # noqa: F401 (exercise 2)

FAST = rnnlm.fast_mode()
SEED = 0
rng = np.random.default_rng(SEED)
print(f"rnnlm {rnnlm.__version__}, fast mode: {FAST}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_model", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. The model
#
# The text is a sequence of token ids $w_1, w_2, \dots, w_T$ from a vocabulary of $V$ tokens (the words,
# `<unk>` for rare words, and `<eos>` at the end of each sentence). At each step $t$ the model
#
# 1. looks up the **word vector** of the current token, a row of the embedding matrix $L$:
#    $$x_t = L[w_t] \in \mathbb{R}^{D};$$
# 2. updates its **hidden state** from the previous state and the new word:
#    $$h_t = f\big(W_{hh}\, h_{t-1} + W_{hx}\, x_t + b_h\big) \in \mathbb{R}^{H},$$
#    with a nonlinearity $f$ applied to every entry (tanh here; sigmoid and ReLU also work) and a
#    start state $h_0$ (zeros, or the last state of the previous piece of text);
# 3. scores every token of the vocabulary and turns the scores into probabilities:
#    $$\hat y_t = \mathrm{softmax}\big(W_S\, h_t + b_S\big) \in \mathbb{R}^{V},
#    \qquad \hat y_{t,j} = P(w_{t+1} = j \mid w_1, \dots, w_t).$$
#
# | symbol | code | shape | what |
# | --- | --- | --- | --- |
# | $L$ | `L` | (V, D) | word vectors, one row per token |
# | $W_{hx}$ | `W_hx` | (H, D) | input to hidden |
# | $W_{hh}$ | `W_hh` | (H, H) | hidden to hidden: carries the past |
# | $b_h$ | `b_h` | (H,) | hidden bias |
# | $W_S$ | `W_S` | (V, H) | hidden to scores |
# | $b_S$ | `b_S` | (V,) | score bias |
#
# (The lecture writes the embedding matrix the other way round, $L \in \mathbb{R}^{d \times |V|}$ with
# the word vector $x_t = L[:, w_t]$ a *column*; the kit stores its transpose, (V, D), so that a word's
# vector is a row, `L[w_t]`, and looking up a whole batch of ids is one indexing operation `L[ids]`.
# The two hold the same numbers.)
#
# The crucial point: **the same** $L, W_{hx}, W_{hh}, b_h, W_S, b_S$ are used at every step. Unrolled in
# time, the network looks like this (the top row is what each $\hat y_t$ should give a high probability:
# the next word):

# %% nbgrader={"grade": false, "grade_id": "nb02_load_corpus", "locked": true, "schema_version": 3, "solution": false, "task": false}
CORPUS = "ptb" if data.available("ptb") and not FAST else "embedded"
splits = data.load_corpus(CORPUS, fast=FAST)
train, valid, test = splits["train"], splits["valid"], splits["test"]
vocab = data.Vocab.build(train)  # ids: <unk>, <eos>, then the words by frequency
V = len(vocab)
train_ids = data.to_stream(train, vocab)  # all sentences, each followed by <eos>: shape (N,)
valid_ids = data.to_stream(valid, vocab)
sentence = next(s for s in train if 4 <= len(s) <= 7)
print(f"corpus: {CORPUS}   V = {V:,} tokens   "
      f"train {len(train_ids):,} tokens   valid {len(valid_ids):,} tokens")
print("a sentence:", " ".join(sentence), "  ->  ids", vocab.encode(sentence + ["<eos>"]))

# %%
plots.rnn_unrolled_plot(sentence, title=f"The RNN language model reading a sentence of the {CORPUS} corpus")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_batches", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Batches and row vectors.** The lecture writes vectors as columns and one sequence at a time. In code
# we process $B$ sequences at once and store each vector as a **row**: `x_t` is a (B, D) array whose
# row $b$ is the lecture's $x_t$ for sequence $b$, `h_prev` is (B, H), and a whole sequence of inputs is
# a (B, T, D) array. The weights keep the lecture's shapes. For a column vector $v$, the product
# $W v$ written as a row is $v^\top W^\top$, so applying a weight matrix to every row of a batch is a
# matrix product with its transpose. In NumPy, `A @ B` multiplies matrices and `A.T` transposes; a
# vector of shape (H,) added to a (B, H) array is added to every row (broadcasting).
#
# Shapes use one set of letters: **B** batch, **T** time, **D** word-vector size, **H** hidden size,
# **V** vocabulary.
#
# **Inputs and targets.** A language model predicts each token from the ones before it. From a stream of
# ids, the inputs are the ids and the targets the same ids shifted by one:

# %%
x_ids, y_ids = train_ids[:-1], train_ids[1:]
for t in range(8):
    print(f"t={t + 1}: input {vocab.itos[x_ids[t]]!r:>12} -> target {vocab.itos[y_ids[t]]!r}")


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_ex1_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. Word vectors: the embedding lookup
#
# Each token id selects one row of $L$. (Equivalently, $x_t = L^\top e_{w_t}$ with the one-hot vector
# $e_{w_t}$, but nobody multiplies by a one-hot vector: indexing is the same and far cheaper.)
#
# ### Exercise 1 (1 point): `embedding_forward`
#
# Write `embedding_forward(ids, L)`: `ids` is a (B, T) integer array, `L` is (V, D); return `x` of shape
# (B, T, D) with `x[b, t] = L[ids[b, t]]`, together with a cache for the backward pass of notebook 03,
# the tuple `(ids, L.shape, L.dtype)`. NumPy can index with a whole array of ids at once.
#
# Raise a `ValueError` when an id is outside $[0, V)$: NumPy would read `L[-1]`, the last row, for an id
# of -1 without complaint, and a bug in the data would go unnoticed.

# %% nbgrader={"grade": false, "grade_id": "nb02_embedding_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def embedding_forward(ids, L):
    """Look up word vectors: x[b, t] = L[ids[b, t]].

    ids: (B, T) integer token ids in [0, V).
    L: (V, D) float, one row per token.
    Returns (x, cache): x (B, T, D), rows of L with the dtype of L; cache = (ids, L.shape, L.dtype).
    Raises ValueError if an id is outside [0, V).
    """
    ### BEGIN SOLUTION
    ids = np.asarray(ids)
    L = np.asarray(L)
    if ids.size and (ids.min() < 0 or ids.max() >= L.shape[0]):
        bad = ids[(ids < 0) | (ids >= L.shape[0])][0]
        raise ValueError(f"token id {bad} is outside the vocabulary [0, V={L.shape[0]})")
    return L[ids], (ids, L.shape, L.dtype)
    ### END SOLUTION


# %%
rnnlm.check("nb02_embedding_forward")

# %% nbgrader={"grade": true, "grade_id": "nb02_embedding_forward_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Visible checks: an L whose row i is (i, -i, i/2), so every looked-up vector names its id.
_V, _D = 6, 3
_L = np.arange(_V, dtype=float)[:, None] * np.array([1.0, -1.0, 0.5])
_L_before = _L.copy()
_ids = np.array([[0, 5, 2, 2], [1, 3, 4, 0]])
_out = embedding_forward(_ids, _L)
assert isinstance(_out, tuple) and len(_out) == 2, "return a pair (x, cache)"
_x = np.asarray(_out[0])
assert _x.shape == (2, 4, 3), f"x must have shape (B, T, D) = (2, 4, 3), got {_x.shape}"
assert np.array_equal(_x[..., 0], _ids) and np.array_equal(_x[..., 1], -_ids), (
    "row i of this L is (i, -i, i/2), so x[b, t] should be that row for i = ids[b, t]; "
    f"got x[..., 0] =\n{_x[..., 0]}\ninstead of the ids\n{_ids}")
assert np.array_equal(_L, _L_before), "embedding_forward must not modify L"
_x1 = np.asarray(embedding_forward(np.array([[4]]), _L)[0])
assert _x1.shape == (1, 1, 3) and np.allclose(_x1[0, 0], [4.0, -4.0, 2.0]), "B = T = 1 should work too"
for _bad in (-1, _V):
    try:
        embedding_forward(np.array([[0, _bad]]), _L)
    except ValueError:
        pass
    except IndexError:
        raise AssertionError(f"token id {_bad} gave an IndexError: check the ids, raise ValueError") from None
    else:
        raise AssertionError(f"token id {_bad} is outside [0, V={_V}): raise ValueError "
                             "(NumPy quietly reads the last row for -1)")
print("embedding_forward: visible checks passed")

### BEGIN HIDDEN TESTS
from rnnlm import rnn_numpy as _R

_rng_h = np.random.default_rng(201)
for _shape, _Vh, _Dh in [((3, 7), 11, 5), ((1, 1), 2, 1), ((4, 2), 50, 8)]:
    _Lh = _rng_h.standard_normal((_Vh, _Dh))
    _idh = _rng_h.integers(0, _Vh, size=_shape)
    _mine = np.asarray(embedding_forward(_idh, _Lh)[0])
    assert np.array_equal(_mine, _R.embedding_forward(_idh, _Lh)[0]), (_shape, _Vh, _Dh)
# int32 ids, float32 vectors: the vectors are rows of L, dtype included
_Lh = _rng_h.standard_normal((9, 4)).astype(np.float32)
_idh = np.array([[8, 0, 3]], dtype=np.int32)
_mine = np.asarray(embedding_forward(_idh, _Lh)[0])
assert _mine.dtype == np.float32 and np.array_equal(_mine, _Lh[[8, 0, 3]][None])
# repeated ids give the same vector; every id in range is fine
_idh = np.array([[0, 0, 8, 8]])
assert np.array_equal(np.asarray(embedding_forward(_idh, _Lh)[0])[0, 0], _Lh[0])
for _bad in (-3, 9, 100):
    try:
        embedding_forward(np.array([[1, 2], [3, _bad]]), _Lh)
    except ValueError:
        pass
    else:
        raise AssertionError(f"id {_bad} should raise ValueError")
print("embedding_forward: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_ex1_after", "locked": true, "schema_version": 3, "solution": false, "task": false}
# With random word vectors, the sentence above becomes a (1, T, D) array: one row of $L$ per token.
# (Training will move the vectors of words that behave alike close together.)

# %%
D_demo = 8
L_demo = rng.standard_normal((V, D_demo))
sentence_ids = vocab.encode(sentence + ["<eos>"])[None, :]  # (1, T)
try:
    x_demo, _ = embedding_forward(sentence_ids, L_demo)
    print(f"ids {sentence_ids.shape} -> x {np.shape(x_demo)}")
    print("x[0, 0] =", np.round(x_demo[0, 0], 3), f"= row {sentence_ids[0, 0]} of L ({sentence[0]!r})")
except NotImplementedError:
    print("embedding_forward is not written yet: finish exercise 1")
except Exception as exc:  # keep the notebook running whatever the answer does
    print(f"embedding_forward raised {type(exc).__name__}: {exc}")


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_ex2_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. One step of the recurrence
#
# $$h_t = f\big(W_{hh}\, h_{t-1} + W_{hx}\, x_t + b_h\big)$$
#
# The first term carries the past forward, the second brings in the new word. $f$ is applied to every
# entry; the library's activations have the names `"tanh"`, `"sigmoid"` and `"relu"`, and
# `get_activation(name)` (imported in the setup cell) returns an object `act` whose `act.f` is the
# function and `act.df` its derivative (for notebook 03).
#
# ### Exercise 2 (2 points): `rnn_step_forward`
#
# Write `rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h, activation="tanh")` for a batch: `x_t` is (B, D),
# `h_prev` is (B, H), the weights have the shapes of the table in section 1. Return `h_t`, shape (B, H),
# and the cache `(x_t, h_prev, W_hx, W_hh, h_t, act)` with `act = get_activation(activation)`.
# Mind the row-vector convention of section 1.

# %% nbgrader={"grade": false, "grade_id": "nb02_rnn_step_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h, activation="tanh"):
    """One time step of the RNN: h_t = f(W_hh h_{t-1} + W_hx x_t + b_h) for every row of the batch.

    x_t: (B, D) inputs at this step; h_prev: (B, H) previous hidden states.
    W_hx: (H, D); W_hh: (H, H); b_h: (H,).
    activation: "tanh", "sigmoid" or "relu" (or an object returned by get_activation).
    Returns (h_t, cache): h_t (B, H) and cache = (x_t, h_prev, W_hx, W_hh, h_t, act),
    where act = get_activation(activation).
    """
    ### BEGIN SOLUTION
    act = get_activation(activation)
    h_t = act.f(h_prev @ W_hh.T + x_t @ W_hx.T + b_h)
    return h_t, (x_t, h_prev, W_hx, W_hh, h_t, act)
    ### END SOLUTION


# %%
rnnlm.check("nb02_rnn_step_forward")

# %% nbgrader={"grade": true, "grade_id": "nb02_rnn_step_forward_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks on small fixed arrays (B = 2, D = 3, H = 4), compared with stored results.
_x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
_hp = np.linspace(0.8, -0.4, 8).reshape(2, 4)
_Wx = np.linspace(-0.5, 0.7, 12).reshape(4, 3)
_Wh = np.linspace(0.4, -0.6, 16).reshape(4, 4)
_b = np.array([0.1, -0.2, 0.3, 0.0])
_before = [a.copy() for a in (_x, _hp, _Wx, _Wh, _b)]
_out = rnn_step_forward(_x, _hp, _Wx, _Wh, _b)
assert isinstance(_out, tuple) and len(_out) == 2, "return a pair (h_t, cache)"
_h = np.asarray(_out[0])
assert _h.shape == (2, 4), f"h_t must have shape (B, H) = (2, 4), got {_h.shape}"
assert all(np.array_equal(a, c) for a, c in zip((_x, _hp, _Wx, _Wh, _b), _before)), (
    "rnn_step_forward must not modify its inputs")
_bias_only = np.asarray(rnn_step_forward(_x, _hp, np.zeros((4, 3)), np.zeros((4, 4)), _b)[0])
assert np.allclose(_bias_only, np.tile(np.tanh(_b), (2, 1))), (
    "with W_hx = W_hh = 0 every row of h_t should be tanh(b_h): is b_h added to every row, and tanh applied?")
_rows = np.vstack([np.asarray(rnn_step_forward(_x[i : i + 1], _hp[i : i + 1], _Wx, _Wh, _b)[0])
                   for i in (0, 1)])
assert np.allclose(_h, _rows), (
    "row b of h_t may depend only on row b of x_t and h_prev: the rows are separate sequences")
_expected = np.array([[0.9215903211, 0.1305919187, -0.4905592367, -0.9643745927],
                      [-0.5584991819, -0.1869525651, 0.7826967622, 0.9040153932]])
_wrong_Whh = np.array([[0.8073881486, 0.0854190405, -0.1471490285, -0.8281057038],
                       [-0.2801014976, 0.0393735738, 0.8231727353, 0.9040153932]])
assert not np.allclose(_h, _wrong_Whh, atol=1e-8), (
    "W_hh is applied transposed: with rows, the lecture's W_hh h_{t-1} needs the transpose of W_hh "
    "(section 1, 'Batches and row vectors')")
assert np.allclose(_h, _expected, atol=1e-8), f"h_t should be\n{_expected}\ngot\n{_h}"
_relu = np.asarray(rnn_step_forward(_x, _hp, _Wx, _Wh, _b, activation="relu")[0])
assert np.allclose(_relu, [[1.5994805195, 0.1313419913, 0.0, 0.0], [0.0, 0.0, 1.0522943723, 1.4937662338]],
                   atol=1e-8), f"activation='relu' gives the wrong h_t:\n{_relu}\n(use get_activation)"
_sig = np.asarray(rnn_step_forward(_x, _hp, _Wx, _Wh, _b, activation="sigmoid")[0])
assert np.allclose(_sig, [[0.8319457680, 0.5327883761, 0.3689331036, 0.1186857448],
                          [0.3473633141, 0.4528461728, 0.7412152382, 0.8166428908]],
                   atol=1e-8), f"activation='sigmoid' gives the wrong h_t:\n{_sig}"
print("rnn_step_forward: visible checks passed")

### BEGIN HIDDEN TESTS
from rnnlm import rnn_numpy as _R

_rng_h = np.random.default_rng(202)
for _B, _Dh, _Hh in [(3, 5, 7), (1, 1, 1), (4, 10, 2), (2, 6, 6)]:
    _xh = _rng_h.standard_normal((_B, _Dh))
    _hh = _rng_h.standard_normal((_B, _Hh))
    _Wxh = _rng_h.standard_normal((_Hh, _Dh)) * 0.5
    _Whh = _rng_h.standard_normal((_Hh, _Hh)) * 0.5
    _bh = _rng_h.standard_normal(_Hh) * 0.1
    for _act in ("tanh", "sigmoid", "relu"):
        _mine = np.asarray(rnn_step_forward(_xh, _hh, _Wxh, _Whh, _bh, _act)[0])
        _ref = _R.rnn_step_forward(_xh, _hh, _Wxh, _Whh, _bh, _act)[0]
        assert _mine.shape == _ref.shape, (_B, _Dh, _Hh, _act)
        assert np.allclose(_mine, _ref, rtol=1e-10, atol=1e-12), (_B, _Dh, _Hh, _act)
    # the default activation is tanh, and an Activation object works as well as its name
    assert np.allclose(rnn_step_forward(_xh, _hh, _Wxh, _Whh, _bh)[0],
                       _R.rnn_step_forward(_xh, _hh, _Wxh, _Whh, _bh)[0])
    _act_obj = get_activation("relu")
    assert np.allclose(rnn_step_forward(_xh, _hh, _Wxh, _Whh, _bh, _act_obj)[0],
                       _R.rnn_step_forward(_xh, _hh, _Wxh, _Whh, _bh, "relu")[0])
# a zero state and zero input give f(b_h)
_zero = np.asarray(rnn_step_forward(np.zeros((2, 3)), np.zeros((2, 4)), _Wx, _Wh, _b, "sigmoid")[0])
assert np.allclose(_zero, 1 / (1 + np.exp(-_b)))
# the cache holds h_t and what the backward pass needs
_hc, _cache = rnn_step_forward(_x, _hp, _Wx, _Wh, _b)
assert isinstance(_cache, tuple) and len(_cache) == 6, "the cache is (x_t, h_prev, W_hx, W_hh, h_t, act)"
assert np.allclose(_cache[4], _hc) and np.allclose(_cache[1], _hp) and np.allclose(_cache[0], _x)
print("rnn_step_forward: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_concat", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### The concatenation view: one matrix instead of two
#
# The two products in the step can be written as one. Stack the weights side by side and the vectors
# on top of each other:
#
# $$W_{hh}\, h_{t-1} + W_{hx}\, x_t \;=\; \big[\,W_{hh}\;\; W_{hx}\,\big]
# \begin{bmatrix} h_{t-1} \\ x_t \end{bmatrix},
# \qquad \big[\,W_{hh}\;\; W_{hx}\,\big] \in \mathbb{R}^{H \times (H + D)}.$$
#
# So an RNN cell is an ordinary one-layer network whose input is the previous state *and* the new
# word, side by side. (Fast implementations use the split the other way round: PyTorch's `nn.RNN` keeps
# `weight_ih` and `weight_hh` as two matrices, and cuDNN computes the input part $W_{hx} x_t$ for all
# steps of a sequence in one large product, since it does not depend on $h_{t-1}$; only $W_{hh} h_{t-1}$
# has to wait for the previous step.) The cell below checks the identity on your `rnn_step_forward`.

# %%
B_demo, H_demo = 3, 5
x_t = rng.standard_normal((B_demo, D_demo))
h_prev = rng.standard_normal((B_demo, H_demo))
W_hx = rng.standard_normal((H_demo, D_demo)) * 0.3
W_hh = rng.standard_normal((H_demo, H_demo)) * 0.3
b_h = np.zeros(H_demo)

W_cat = np.hstack([W_hh, W_hx])                # (H, H + D)
hx_cat = np.concatenate([h_prev, x_t], axis=1)  # (B, H + D): [h; x] as rows
h_cat = np.tanh(hx_cat @ W_cat.T + b_h)
print(f"[W_hh W_hx] has shape {W_cat.shape}, [h; x] has shape {hx_cat.shape}")
try:
    h_step, _ = rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h)
    print("your rnn_step_forward equals tanh([W_hh W_hx][h; x] + b_h):", np.allclose(h_step, h_cat))
except NotImplementedError:
    print("rnn_step_forward is not written yet: finish exercise 2")
except Exception as exc:
    print(f"rnn_step_forward raised {type(exc).__name__}: {exc}")


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_ex3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. The whole sequence: the same weights at every step
#
# Running the model over a sequence is a loop: start from $h_0$, and at each step feed the new input
# and the previous state to the step function. The weights do not change from step to step. This
# **weight sharing** is what lets the network read a sequence of any length with a fixed number of
# parameters, and apply at step 50 what it learned at step 3.
#
# ### Exercise 3 (2 points): `rnn_forward`
#
# Write `rnn_forward(x, h0, W_hx, W_hh, b_h, activation="tanh")`: `x` is (B, T, D) (the inputs of all
# steps), `h0` is (B, H). Return `h` of shape (B, T, H) holding **every** hidden state (`h[:, t]` is the
# state after reading `x[:, t]`; in the lecture's 1-based time it is $h_{t+1}$, and `h[:, -1]` is the
# final state), and the cache: the list of the T step caches. Use your `rnn_step_forward`.

# %% nbgrader={"grade": false, "grade_id": "nb02_rnn_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_forward(x, h0, W_hx, W_hh, b_h, activation="tanh"):
    """Run the recurrence over a sequence, with the same weights at every step.

    x: (B, T, D) inputs; h0: (B, H) initial hidden states.
    W_hx: (H, D); W_hh: (H, H); b_h: (H,); activation as in rnn_step_forward.
    Returns (h, caches): h (B, T, H), every hidden state (h[:, t] after reading x[:, t]),
    and caches, the list of the T caches returned by rnn_step_forward.
    """
    ### BEGIN SOLUTION
    B, T, _ = x.shape
    h = np.empty((B, T, W_hh.shape[0]), dtype=np.result_type(x, h0, W_hh, W_hx, b_h))
    caches = []
    state = h0
    for t in range(T):
        state, step_cache = rnn_step_forward(x[:, t], state, W_hx, W_hh, b_h, activation)
        h[:, t] = state
        caches.append(step_cache)
    return h, caches
    ### END SOLUTION


# %%
rnnlm.check("nb02_rnn_forward")

# %% nbgrader={"grade": true, "grade_id": "nb02_rnn_forward_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks: shapes, the first step, splitting the sequence, causality, stored values. They run
# your rnn_forward with the library's rnn_step_forward in place of yours (in the namespace your
# rnn_forward looks it up in, put back afterwards), so that a mistake in exercise 2 costs no points here.
# (A student bundle leaves the library's version out; there yours runs.)
from rnnlm import rnn_numpy

_ns = getattr(rnn_forward, "__globals__", globals())
_yours = _ns.get("rnn_step_forward")
if not getattr(rnn_numpy.rnn_step_forward, "__rnnlm_stub__", False):
    _ns["rnn_step_forward"] = rnn_numpy.rnn_step_forward
try:
    _x = np.sin(np.arange(30.0)).reshape(2, 5, 3)  # B = 2, T = 5, D = 3
    _h0 = np.linspace(-0.3, 0.3, 8).reshape(2, 4)   # H = 4
    _Wx = np.linspace(-0.5, 0.7, 12).reshape(4, 3)
    _Wh = np.linspace(0.4, -0.6, 16).reshape(4, 4)
    _b = np.array([0.1, -0.2, 0.3, 0.0])
    _before = [a.copy() for a in (_x, _h0, _Wx, _Wh, _b)]
    _out = rnn_forward(_x, _h0, _Wx, _Wh, _b)
    assert isinstance(_out, tuple) and len(_out) == 2, "return a pair (h, caches)"
    _h = np.asarray(_out[0])
    assert _h.shape != (2, 4), "that is only the last state: return every hidden state, shape (B, T, H)"
    assert _h.shape == (2, 5, 4), f"h must have shape (B, T, H) = (2, 5, 4), got {_h.shape}"
    assert len(_out[1]) == 5, f"the cache is the list of the T = 5 step caches, got {len(_out[1])} items"
    assert all(np.array_equal(a, c) for a, c in zip((_x, _h0, _Wx, _Wh, _b), _before)), (
        "rnn_forward must not modify its inputs")
    _first = np.asarray(_ns["rnn_step_forward"](_x[:, 0], _h0, _Wx, _Wh, _b)[0])  # the step rnn_forward uses
    assert np.allclose(_h[:, 0], _first), "h[:, 0] should be one step from h0 on the first input x[:, 0]"
    _a = np.asarray(rnn_forward(_x[:, :2], _h0, _Wx, _Wh, _b)[0])
    _rest = np.asarray(rnn_forward(_x[:, 2:], _a[:, -1], _Wx, _Wh, _b)[0])
    assert np.allclose(np.concatenate([_a, _rest], axis=1), _h), (
        "running x[:, :2], then x[:, 2:] from the last state, should give the same states as running x "
        "at once: is each new state fed back as h_prev of the next step?")
    _x2 = _x.copy()
    _x2[:, 3] += 1.0
    _h2 = np.asarray(rnn_forward(_x2, _h0, _Wx, _Wh, _b)[0])
    assert np.allclose(_h2[:, :3], _h[:, :3]), (
        "changing x at step 3 changed earlier states: h_t may only use the inputs up to t")
    assert not np.allclose(_h2[:, 3], _h[:, 3]), "changing x at step 3 should change the state at step 3"
    _expected_last = np.array([[-0.3116120688, 0.0184026709, 0.8207592043, 0.9051254748],
                               [0.0710438553, -0.4093908236, -0.1399965792, -0.5696232806]])
    assert np.allclose(_h[:, -1], _expected_last, atol=1e-8), (
        f"the final states should be\n{_expected_last}\ngot\n{_h[:, -1]}")
    _relu_last = np.asarray(rnn_forward(_x, _h0, _Wx, _Wh, _b, activation="relu")[0])[:, -1]
    assert (_relu_last >= 0).all(), (
        "activation='relu' must reach every step: pass it on to rnn_step_forward")
finally:
    _ns["rnn_step_forward"] = _yours
print("rnn_forward: visible checks passed")

### BEGIN HIDDEN TESTS
_ns["rnn_step_forward"] = rnn_numpy.rnn_step_forward
try:
    from rnnlm import rnn_numpy as _R

    _rng_h = np.random.default_rng(203)
    for _B, _T, _Dh, _Hh in [(3, 7, 5, 6), (1, 1, 2, 3), (2, 40, 4, 4), (5, 3, 1, 8)]:
        _xh = _rng_h.standard_normal((_B, _T, _Dh))
        _h0h = _rng_h.standard_normal((_B, _Hh)) * 0.5
        _Wxh = _rng_h.standard_normal((_Hh, _Dh)) * 0.5
        _Whh = _rng_h.standard_normal((_Hh, _Hh)) * 0.5
        _bh = _rng_h.standard_normal(_Hh) * 0.1
        for _act in ("tanh", "sigmoid", "relu"):
            _mine_h, _mine_c = rnn_forward(_xh, _h0h, _Wxh, _Whh, _bh, _act)
            _ref_h, _ = _R.rnn_forward(_xh, _h0h, _Wxh, _Whh, _bh, _act)
            _mine_h = np.asarray(_mine_h)
            assert _mine_h.shape == _ref_h.shape and np.allclose(_mine_h, _ref_h, rtol=1e-10, atol=1e-12), (
                _B, _T, _Dh, _Hh, _act)
            assert len(_mine_c) == _T
        assert np.allclose(rnn_forward(_xh, _h0h, _Wxh, _Whh, _bh)[0],
                           _R.rnn_forward(_xh, _h0h, _Wxh, _Whh, _bh)[0])
    # a zero start state and a nonzero one differ
    _xh = _rng_h.standard_normal((1, 4, 3))
    _ha = np.asarray(rnn_forward(_xh, np.zeros((1, 4)), _Wx, _Wh, _b)[0])
    _hb = np.asarray(rnn_forward(_xh, np.ones((1, 4)), _Wx, _Wh, _b)[0])
    assert not np.allclose(_ha[:, 0], _hb[:, 0]), "h0 must be used"
finally:
    _ns["rnn_step_forward"] = _yours
print("rnn_forward: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_ex3_after", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Here are the hidden states of the sentence from section 1, read by a network with random weights
# ($H = 32$). Each column is the state after one more token; each row is one hidden unit. Even untrained,
# the state changes with every word and carries something of the earlier ones through $W_{hh}$.

# %%
H_vis = 32
vis = RNNLM(V, D_demo, H_vis, seed=SEED).params  # random weights from the library's model
try:
    x_vis, _ = embedding_forward(sentence_ids, vis["L"])
    h_vis, _ = rnn_forward(x_vis, np.zeros((1, H_vis)), vis["W_hx"], vis["W_hh"], vis["b_h"])
    display(plots.hidden_states_plot(np.asarray(h_vis)[0], vocab.decode(sentence_ids[0]), vmax=1.0,
                                     title="Hidden states of an untrained RNN (tanh)"))
except NotImplementedError:
    print("finish exercises 1 to 3 to see the hidden states")
except Exception as exc:
    print(f"the forward pass raised {type(exc).__name__}: {exc}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_length", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Memory does not depend on the length of the text.** The model's parameters are the same arrays
# whatever $T$ is. What grows with $T$ is only the list of hidden states kept for training (notebook 03
# needs them for the backward pass); reading text to *predict* needs just the current state. An
# n-gram model, in contrast, must store a table entry for every n-gram it has seen.

# %%
model = RNNLM(V, 32, 64, seed=SEED)
param_bytes = sum(p.nbytes for p in model.params.values())
print(f"{'T':>7} {'parameters':>12} {'states h (B=1)':>15} {'forward time':>13}")
for T in (10, 100, 1_000, 10_000):
    ids = rng.integers(0, V, size=(1, T))
    try:
        start = time.perf_counter()
        x_T, _ = embedding_forward(ids, model.params["L"])
        p = model.params
        h_T, _ = rnn_forward(x_T, np.zeros((1, 64)), p["W_hx"], p["W_hh"], p["b_h"])
        seconds, states = time.perf_counter() - start, np.asarray(h_T).nbytes
        print(f"{T:>7,} {param_bytes:>10,} B {states:>13,} B {seconds * 1e3:>10.1f} ms")
    except NotImplementedError:
        print(f"{T:>7,} {param_bytes:>10,} B   (finish exercises 1 and 3 for the rest)")
    except Exception as exc:
        print(f"{T:>7,} {param_bytes:>10,} B   the forward pass raised {type(exc).__name__}: {exc}")


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_ex4_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. From scores to probabilities: the softmax
#
# The output layer gives every token of the vocabulary a score, $s_t = W_S h_t + b_S \in \mathbb{R}^V$
# (the library's `temporal_affine_forward` computes it for all steps at once). The **softmax** turns
# scores into a probability distribution:
#
# $$\hat y_{t,j} = \mathrm{softmax}(s_t)_j = \frac{e^{s_{t,j}}}{\sum_{k=1}^{V} e^{s_{t,k}}}.$$
#
# Every entry is positive and they sum to one; a higher score gets a higher probability. Adding the
# same number $c$ to every score changes nothing (the factor $e^c$ cancels). That is useful: $e^{1000}$
# overflows to `inf` in floating point, but after subtracting the largest score from all scores, the
# largest exponent is $e^0 = 1$ and nothing overflows.
#
# ### Exercise 4 (2 points): `softmax`
#
# Write `softmax(scores, axis=-1)`: the softmax of a float array along `axis` (by default the last one,
# the V axis of a (B, T, V) array of scores), same shape as `scores`. Make it stable for large scores.
# (`keepdims=True` in NumPy's `max` and `sum` keeps the shapes broadcastable.)

# %% nbgrader={"grade": false, "grade_id": "nb02_softmax", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax(scores, axis=-1):
    """Probabilities along `axis`: exp(s_i) / sum_j exp(s_j), computed without overflow.

    scores: a float array of any shape (for example (B, T, V)).
    axis: the axis along which the probabilities sum to one (default: the last).
    Returns an array of the same shape as scores.
    """
    ### BEGIN SOLUTION
    scores = np.asarray(scores, dtype=float)
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
    ### END SOLUTION


# %%
rnnlm.check("nb02_softmax")

# %% nbgrader={"grade": true, "grade_id": "nb02_softmax_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks: a stored value, sums to one along the right axis, shifts, large scores.
_p = np.asarray(softmax(np.array([1.0, 2.0, 3.0])))
assert _p.shape == (3,), f"softmax keeps the shape of scores: expected (3,), got {_p.shape}"
assert not np.allclose(_p, np.exp([1.0, 2.0, 3.0])), "divide the exponentials by their sum"
assert np.allclose(_p, [0.0900305732, 0.2447284711, 0.6652409558]), (
    f"softmax([1, 2, 3]) should be [0.0900, 0.2447, 0.6652], got {_p}")
_s = np.sin(np.arange(24.0)).reshape(2, 3, 4) * 3
_p = np.asarray(softmax(_s))
assert _p.shape == (2, 3, 4), f"softmax keeps the shape of scores: expected (2, 3, 4), got {_p.shape}"
assert (_p > 0).all(), "every probability of a softmax is positive"
assert not np.isclose(_p.sum(), 1.0), (
    "the whole array sums to one: normalise along the last axis only (one distribution per position)")
assert np.allclose(_p.sum(axis=-1), 1.0), (
    f"each distribution (last axis) must sum to one, got sums\n{_p.sum(axis=-1)}")
_p0 = np.asarray(softmax(_s, axis=0))
assert np.allclose(_p0.sum(axis=0), 1.0), "softmax(scores, axis=0) must sum to one along axis 0: use `axis`"
assert np.allclose(np.asarray(softmax(_s + 7.5)), _p), "adding a constant to all scores changes nothing"
assert np.allclose(np.asarray(softmax(np.zeros((2, 5)))), 0.2), "equal scores give the uniform distribution"
_big = np.asarray(softmax(np.array([1000.0, 1001.0, 1002.0])))
assert np.isfinite(_big).all(), "softmax([1000, 1001, 1002]) overflowed: subtract the largest score first"
assert np.allclose(_big, [0.0900305732, 0.2447284711, 0.6652409558]), (
    f"softmax([1000, 1001, 1002]) should equal softmax([0, 1, 2]), got {_big}")
print("softmax: visible checks passed")

### BEGIN HIDDEN TESTS
from rnnlm import rnn_numpy as _R

_rng_h = np.random.default_rng(204)
for _shape in [(7,), (3, 5), (2, 4, 6), (1, 1, 1), (3, 1, 9)]:
    _sh = _rng_h.standard_normal(_shape) * 4
    _orig = _sh.copy()
    assert np.allclose(np.asarray(softmax(_sh)), _R.softmax(_sh), rtol=1e-12, atol=1e-15), _shape
    for _ax in range(-len(_shape), len(_shape)):
        _mine = np.asarray(softmax(_sh, axis=_ax))
        assert np.allclose(_mine, _R.softmax(_sh, axis=_ax), rtol=1e-12, atol=1e-15), (_shape, _ax)
    assert np.array_equal(_sh, _orig), "softmax must not modify scores"
_sh = np.array([[-1000.0, -1001.0], [5000.0, 4000.0]])
assert np.allclose(np.asarray(softmax(_sh)), _R.softmax(_sh))
assert np.allclose(np.asarray(softmax(np.array([[0.0, 0.0, 800.0]]), axis=1)), [[0.0, 0.0, 1.0]])
print("softmax: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_ex4_after", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Here is the first prediction of an untrained model: $\hat y_1$ after reading the first word of the
# sentence. The library's `RNNLM` initialises $W_S$ with small weights, so all scores are close to zero
# and the distribution is close to uniform: no token stands out, and the correct next word gets about
# $1/V$.

# %%
with rnnlm.uses_exercises():  # runs your exercises in a student bundle
    scores_demo, _ = model.forward(sentence_ids)  # the library's model: scores (1, T, V)
    try:
        y_hat = np.asarray(softmax(scores_demo))
        print(f"scores {scores_demo.shape} -> y_hat {y_hat.shape}; the first rows sum to",
              np.round(y_hat.sum(-1)[0, :3], 12))
        display(plots.next_word_distribution_plot(
            y_hat[0, 0], vocab.itos, target=vocab.itos[sentence_ids[0, 1]],
            title=f"Untrained model: P(next token | {sentence[0]!r})"))
    except NotImplementedError:
        print("softmax is not written yet: finish exercise 4")
    except Exception as exc:
        print(f"softmax raised {type(exc).__name__}: {exc}")


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_ex5_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. Measuring predictions: the cross-entropy loss
#
# At step $t$ the right answer is the next token $w_{t+1}$; write it as a one-hot vector $y_t$. The
# **cross-entropy** between the truth and the prediction is
#
# $$J^{(t)} = -\sum_{j=1}^{V} y_{t,j} \log \hat y_{t,j} = -\log \hat y_{t,\,w_{t+1}},$$
#
# minus the log-probability the model gave to the token that really came. Over a text (or a batch) the
# loss is the average over all $N$ predicted positions, $J = \frac{1}{N}\sum_t J^{(t)}$. We use natural
# logarithms (**nats**), as training code does; section 7 converts to bits.
#
# Computing $\log \hat y$ directly from the scores is more stable than taking the log of the softmax:
# $\log \hat y_{t,j} = s_{t,j} - \max_k s_{t,k} - \log \sum_k e^{s_{t,k} - \max_k s_{t,k}}$, the
# **log-softmax**, never takes $\log 0$.
#
# **The gradient.** Training needs $\partial J / \partial s$, and for the softmax followed by the
# cross-entropy it is remarkably simple: at each position,
# $\partial J^{(t)} / \partial s_t = \hat y_t - y_t$ (predicted minus true distribution). With the average
# over $N$ positions, every position's gradient is divided by $N$.
#
# **Masks.** Sequences in a batch can have different lengths; the shorter ones are padded, and the padded
# positions must not count. A boolean `mask` of shape (B, T) says which positions count (`True`); the
# targets at masked-out positions may be anything, even -1, and must be ignored. $N$ is then the number of
# positions that count.
#
# ### Exercise 5 (3 points): `temporal_softmax_loss`
#
# Write `temporal_softmax_loss(scores, y, mask=None)`: `scores` is (B, T, V), `y` is (B, T) integer
# targets, `mask` is (B, T) boolean (or 0/1), or `None` for "every position counts". Return the mean
# cross-entropy $J$ in nats (a float) and `dscores`, the gradient of $J$ with respect to `scores` (B, T, V),
# zero at masked positions. Raise a `ValueError` when the mask selects no position.
# (`np.take_along_axis` or indexing with `np.arange` picks one entry per position.)

# %% nbgrader={"grade": false, "grade_id": "nb02_temporal_softmax_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def temporal_softmax_loss(scores, y, mask=None):
    """Mean cross-entropy (in nats) of the next-token predictions at every position, and its gradient.

    scores: (B, T, V) float scores; y: (B, T) integer targets in [0, V).
    mask: (B, T) bool or 0/1 (True/1: the position counts), or None for all positions.
    J = -(1/N) * sum over counted (b, t) of log softmax(scores[b, t])[y[b, t]], N = counted positions.
    Targets at masked positions are ignored (they may be padding such as -1).
    Returns (J, dscores): J a float, dscores (B, T, V) = dJ/dscores, zero at masked positions.
    Raises ValueError if the mask selects no position.
    """
    ### BEGIN SOLUTION
    scores = np.asarray(scores, dtype=float)
    B, T, V = scores.shape
    m = np.ones((B, T), dtype=bool) if mask is None else np.asarray(mask).astype(bool)
    n = int(m.sum())
    if n == 0:
        raise ValueError("the mask selects no position: nothing to average")
    targets = np.where(m, np.asarray(y), 0)
    shifted = scores - scores.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
    loss = float(-picked[m].sum() / n)
    dscores = np.exp(log_probs)
    b, t = np.indices((B, T))
    dscores[b, t, targets] -= 1.0
    dscores *= m[..., None] / n
    return loss, dscores
    ### END SOLUTION


# %%
rnnlm.check("nb02_temporal_softmax_loss")

# %% nbgrader={"grade": true, "grade_id": "nb02_temporal_softmax_loss_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Visible checks: uniform scores, sure predictions, a stored value, the gradient, masks.
_y = np.array([[0, 1, 2], [3, 4, 0]])  # B = 2, T = 3, V = 5
_out = temporal_softmax_loss(np.zeros((2, 3, 5)), _y)
assert isinstance(_out, tuple) and len(_out) == 2, "return a pair (J, dscores)"
assert np.size(_out[0]) == 1, f"J is one number, the mean over all positions; got shape {np.shape(_out[0])}"
_J = float(np.asarray(_out[0]).reshape(()))
assert not math.isclose(_J, math.log2(5)), "that is log2(V): the loss is in nats, use the natural logarithm"
assert not math.isclose(_J, 6 * math.log(5)), "that is the sum over the B * T = 6 positions: take the mean"
assert not math.isclose(_J, 3 * math.log(5)) and not math.isclose(_J, 2 * math.log(5)), (
    "average over all positions of all sequences (divide by N = B * T without a mask)")
assert math.isclose(_J, math.log(5)), (
    f"uniform scores give every token 1/V, so J = log V = {math.log(5):.6f}; got {_J}")
assert np.shape(_out[1]) == (2, 3, 5), (
    f"dscores must have the shape of scores (B, T, V) = (2, 3, 5), got {np.shape(_out[1])}")
_sure = np.full((2, 3, 5), -30.0)
np.put_along_axis(_sure, _y[..., None], 30.0, axis=-1)
_J_sure = float(temporal_softmax_loss(_sure, _y)[0])
assert 0 <= _J_sure < 1e-20, f"a confident, correct prediction should cost (almost) nothing, got {_J_sure}"
_s = np.sin(np.arange(30.0)).reshape(2, 3, 5) * 2
_J, _ds = temporal_softmax_loss(_s, _y)
assert math.isclose(float(_J), 3.3028707439940153, rel_tol=1e-9), f"J should be 3.3028707440 here, got {_J}"
_J_big = float(temporal_softmax_loss(_s + 1000.0, _y)[0])
assert math.isclose(_J_big, 3.3028707439940153, rel_tol=1e-9), (
    f"adding 1000 to every score must not change J (got {_J_big}): compute the log-softmax stably")
_ds = np.asarray(_ds)
assert np.allclose(_ds.sum(axis=-1), 0.0), (
    "at each position the gradient sums to zero over V (y_hat - y_t sums to 1 - 1)")
# along a few random directions d, dscores must give the slope of J: sum(dscores * d) equals
# (J(scores + e d) - J(scores - e d)) / (2 e) for a small e
_rd = np.random.default_rng(7)
for _ in range(3):
    _d = _rd.standard_normal(_s.shape)
    _slope = (float(temporal_softmax_loss(_s + 1e-5 * _d, _y)[0])
              - float(temporal_softmax_loss(_s - 1e-5 * _d, _y)[0])) / 2e-5
    _err = abs(float(np.sum(_ds * _d)) - _slope) / max(abs(_slope), 1e-8)
    assert _err < 1e-6, (f"dscores disagrees with the slope of J along a random direction (relative error "
                         f"{_err:.1e}): at each position it is (softmax(scores) - one_hot(y)) / N")
_m = np.array([[True, True, False], [True, False, True]])
_y_pad = np.where(_m, _y, -1)  # padding targets at the masked positions
_Jm, _dsm = temporal_softmax_loss(_s, _y_pad, _m)
assert not math.isclose(float(_Jm), 3.0095043025049417 * 4 / 6), (
    "with a mask, divide by the number of positions that count (here N = 4), not by B * T")
assert math.isclose(float(_Jm), 3.0095043025049417, rel_tol=1e-9), f"with this mask J = 3.0095043, not {_Jm}"
assert np.all(np.asarray(_dsm)[~_m] == 0), "dscores must be zero at masked positions"
_J01 = float(temporal_softmax_loss(_s, _y_pad, _m.astype(int))[0])
assert math.isclose(_J01, float(_Jm)), "a 0/1 integer mask must work like the boolean one"
print("temporal_softmax_loss: visible checks passed")

### BEGIN HIDDEN TESTS
from rnnlm import rnn_numpy as _R

_rng_h = np.random.default_rng(205)
for _B, _T, _Vh in [(3, 4, 7), (1, 1, 2), (2, 9, 30), (4, 2, 1)]:
    _sh = _rng_h.standard_normal((_B, _T, _Vh)) * 3
    _yh = _rng_h.integers(0, _Vh, size=(_B, _T))
    _Jh, _dh = temporal_softmax_loss(_sh, _yh)
    _Jr, _dr = _R.temporal_softmax_loss(_sh, _yh)
    assert math.isclose(float(_Jh), _Jr, rel_tol=1e-10, abs_tol=1e-12), (_B, _T, _Vh)
    assert np.allclose(np.asarray(_dh), _dr, rtol=1e-9, atol=1e-14), (_B, _T, _Vh)
    _mh = _rng_h.random((_B, _T)) < 0.6
    _mh.flat[0] = True
    _yp = np.where(_mh, _yh, -1)
    _Jh, _dh = temporal_softmax_loss(_sh, _yp, _mh)
    _Jr, _dr = _R.temporal_softmax_loss(_sh, _yp, _mh)
    assert math.isclose(float(_Jh), _Jr, rel_tol=1e-10, abs_tol=1e-12), ("mask", _B, _T, _Vh)
    assert np.allclose(np.asarray(_dh), _dr, rtol=1e-9, atol=1e-14), ("mask", _B, _T, _Vh)
    # an all-True mask is the same as no mask
    assert math.isclose(float(temporal_softmax_loss(_sh, _yh, np.ones((_B, _T), bool))[0]),
                        float(temporal_softmax_loss(_sh, _yh)[0]), rel_tol=1e-12)
# int32 targets, extreme scores
_sh = np.array([[[800.0, -800.0, 0.0], [-700.0, 700.0, 1.0]]])
_yh = np.array([[1, 0]], dtype=np.int32)
_Jh, _dh = temporal_softmax_loss(_sh, _yh)
_Jr, _dr = _R.temporal_softmax_loss(_sh, _yh)
assert math.isfinite(float(_Jh)) and math.isclose(float(_Jh), _Jr, rel_tol=1e-12)
assert np.allclose(np.asarray(_dh), _dr)
# the inputs are left alone
_sh = _rng_h.standard_normal((2, 3, 4))
_orig = _sh.copy()
temporal_softmax_loss(_sh, np.zeros((2, 3), int))
assert np.array_equal(_sh, _orig), "temporal_softmax_loss must not modify scores"
try:
    temporal_softmax_loss(_sh, np.zeros((2, 3), int), np.zeros((2, 3), bool))
except ValueError:
    pass
else:
    raise AssertionError("a mask that selects no position should raise ValueError")
print("temporal_softmax_loss: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_ex5_after", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Your functions now make up the whole forward pass of the language model. The cell below chains them
# on a batch of the training text and compares the loss with the library's: `RNNLM.forward` (the
# library's versions of the same functions, chained) followed by its `temporal_softmax_loss`. (In a
# student bundle the library's model runs *your* functions, so there the two agree by construction and
# the comparison checks only that the chain is wired up; with the full kit it is an independent check.)
#
# $$\text{ids} \xrightarrow{\;L\;} x \xrightarrow{\;W_{hx}, W_{hh}\;} h \xrightarrow{\;W_S\;} s
# \xrightarrow{\text{softmax, cross-entropy}} J.$$

# %%
with rnnlm.uses_exercises():  # runs your exercises in a student bundle
    B_batch, T_batch = 4, 20
    rows = data.batchify(train_ids, B_batch)  # (B, N // B): B contiguous pieces of the text
    xb, yb = rows[:, :T_batch], rows[:, 1 : T_batch + 1]
    scores_lib, _ = model.forward(xb)
    J_lib = float(rnnlm.rnn_numpy.temporal_softmax_loss(scores_lib, yb)[0])
    p = model.params
    try:
        xe, _ = embedding_forward(xb, p["L"])
        hb, _ = rnn_forward(xe, np.zeros((B_batch, model.hidden_dim)), p["W_hx"], p["W_hh"], p["b_h"])
        sb, _ = temporal_affine_forward(np.asarray(hb), p["W_S"], p["b_S"])
        J_mine, _ = temporal_softmax_loss(sb, yb)
        print(f"your forward pass: J = {float(J_mine):.6f} nats;  the library's: J = {J_lib:.6f} nats")
        print("equal:", math.isclose(float(J_mine), J_lib, rel_tol=1e-9))
    except NotImplementedError:
        print(f"the library's: J = {J_lib:.6f} nats; finish exercises 1, 3 and 5 to compare yours")
    except Exception as exc:
        print(f"your forward pass raised {type(exc).__name__}: {exc}")


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_ex6_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 7. Perplexity
#
# As in notebook 01, we report the **perplexity**: with the cross-entropy $J$ measured in **bits** (base-2
# logarithms),
#
# $$\text{PP} = 2^{J}.$$
#
# Since $\log_2 x = \ln x / \ln 2$, a loss in **nats** $J_{\text{nats}} = J_{\text{bits}} \ln 2$ gives the same
# number as $e^{J_{\text{nats}}}$. Perplexity is an effective number of choices: a model that spreads its
# probability evenly over the $V$ tokens has $J = \log V$ and perplexity exactly $V$.
#
# ### Exercise 6 (2 points): `perplexity_from_loss` and `perplexity_from_bits`
#
# Write both: `perplexity_from_loss(J_nats)` for a loss in nats (what `temporal_softmax_loss` returns) and
# `perplexity_from_bits(J_bits)` for a loss in bits. Each takes a number or an array of losses: return a
# `float` for a number and an array of the same shape for an array. A cross-entropy is never negative:
# raise a `ValueError` for a negative loss or a NaN.

# %% nbgrader={"grade": false, "grade_id": "nb02_perplexity", "locked": false, "schema_version": 3, "solution": true, "task": false}
def perplexity_from_loss(J_nats):
    """Perplexity exp(J) of a mean cross-entropy J in nats (natural logarithm).

    J_nats: a number or an array of losses, each >= 0.
    Returns a float for a number, an array of the same shape for an array.
    Raises ValueError if a loss is negative or NaN.
    """
    ### BEGIN SOLUTION
    J = np.asarray(J_nats, dtype=float)
    if np.isnan(J).any() or (J < 0).any():
        raise ValueError(f"a cross-entropy is a number >= 0, got {J_nats!r}")
    out = np.exp(J)
    return float(out) if out.ndim == 0 else out
    ### END SOLUTION


def perplexity_from_bits(J_bits):
    """Perplexity 2 ** J of a mean cross-entropy J in bits (base-2 logarithm).

    J_bits: a number or an array of losses, each >= 0.
    Returns a float for a number, an array of the same shape for an array.
    Raises ValueError if a loss is negative or NaN.
    """
    ### BEGIN SOLUTION
    J = np.asarray(J_bits, dtype=float)
    if np.isnan(J).any() or (J < 0).any():
        raise ValueError(f"a cross-entropy is a number >= 0, got {J_bits!r}")
    out = np.power(2.0, J)
    return float(out) if out.ndim == 0 else out
    ### END SOLUTION


# %%
rnnlm.check("nb02_perplexity")

# %% nbgrader={"grade": true, "grade_id": "nb02_perplexity_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks: uniform models, certainty, bits against nats, negative losses.
for _V in (2, 10, 10_000):
    _pp = perplexity_from_loss(math.log(_V))
    assert isinstance(_pp, float), f"return a float for a single loss, got {type(_pp).__name__}"
    assert not math.isclose(_pp, 2 ** math.log(_V)), "perplexity_from_loss gets J in nats: the base is e"
    assert math.isclose(_pp, _V), f"uniform over V = {_V} tokens (J = log V nats): perplexity V, not {_pp}"
    _pb = perplexity_from_bits(math.log2(_V))
    assert isinstance(_pb, float), f"return a float for a single loss, got {type(_pb).__name__}"
    assert not math.isclose(_pb, math.exp(math.log2(_V))), "perplexity_from_bits gets J in bits: base 2"
    assert math.isclose(_pb, _V), f"uniform over V = {_V} tokens (J = log2 V bits): perplexity V, not {_pb}"
assert perplexity_from_loss(0.0) == 1.0 and perplexity_from_bits(0.0) == 1.0, (
    "J = 0 (always sure and right) gives perplexity 1")
for _J in (0.3, 2.0, 5.7):
    assert math.isclose(perplexity_from_bits(_J / math.log(2)), perplexity_from_loss(_J)), (
        "the same loss in bits (J_nats / ln 2) and in nats must give the same perplexity")
for _f in (perplexity_from_loss, perplexity_from_bits):
    try:
        _f(-0.5)
    except ValueError:
        pass
    else:
        raise AssertionError(f"{_f.__name__}(-0.5) should raise ValueError: a loss is never negative")
print("perplexity: visible checks passed")

### BEGIN HIDDEN TESTS
from rnnlm import rnn_numpy as _R

_rng_h = np.random.default_rng(206)
for _shape in [(5,), (2, 3)]:
    _Jh = _rng_h.uniform(0, 8, size=_shape)
    _a = perplexity_from_loss(_Jh)
    _b = perplexity_from_bits(_Jh)
    assert isinstance(_a, np.ndarray) and _a.shape == _shape, "an array of losses gives an array"
    assert isinstance(_b, np.ndarray) and _b.shape == _shape
    assert np.allclose(_a, _R.perplexity_from_loss(_Jh)) and np.allclose(_b, _R.perplexity_from_bits(_Jh))
    _flat = np.array(_Jh.ravel())
    assert np.allclose(perplexity_from_loss(_flat), np.exp(_flat)), "a 1-d array of losses"
assert math.isclose(perplexity_from_loss(1.0), math.e) and math.isclose(perplexity_from_bits(3.0), 8.0)
assert math.isclose(perplexity_from_loss(np.float64(2.5)), math.exp(2.5))
assert perplexity_from_loss(math.inf) == math.inf and perplexity_from_bits(math.inf) == math.inf
for _f in (perplexity_from_loss, perplexity_from_bits):
    for _bad in (float("nan"), -1e-3, np.array([0.5, -1.0]), np.array([1.0, float("nan")])):
        try:
            _f(_bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{_f.__name__}({_bad!r}) should raise ValueError")
print("perplexity: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_untrained", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### An untrained model: perplexity close to V
#
# Before training, a model knows nothing, so the best it can honestly do is to spread its probability
# evenly: perplexity $V$. The library's `RNNLM` starts with small output weights $W_S$, so its scores are
# all close to zero and its predictions close to uniform. Let us measure it on the validation text.

# %%
with rnnlm.uses_exercises():  # runs your exercises in a student bundle
    EVAL_TOKENS = 20_000  # enough held-out text for a stable average
    ppl_untrained = model.perplexity(valid_ids[:EVAL_TOKENS])  # the library: exp(mean loss in nats)
    J_nats = math.log(ppl_untrained)
    J_bits = J_nats / math.log(2)
    print(f"untrained {model}")
    print(f"validation loss J = {J_nats:.4f} nats = {J_bits:.4f} bits per token;  "
          f"log V = {math.log(V):.4f} nats")
    try:
        print(f"perplexity e^J = {perplexity_from_loss(J_nats):.2f},  "
              f"2^J = {perplexity_from_bits(J_bits):.2f},  V = {V:,}")
    except NotImplementedError:
        print("finish exercise 6 to turn the loss into a perplexity")
    except Exception as exc:
        print(f"your perplexity functions raised {type(exc).__name__}: {exc}")
    for n in (1, 3):
        lm = NgramLM(n, smoothing="kneser-ney").fit(train)
        print(f"for comparison, notebook 01's Kneser-Ney {n}-gram: validation perplexity "
              f"{lm.perplexity(valid):.1f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_untrained_sweep", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Is "close to $V$" a coincidence of this vocabulary? Shrink the vocabulary (keep the $V$ most frequent
# tokens, the rest become `<unk>`) and measure again, for the library's default initialisation and for
# weights drawn uniformly from $[-0.3, 0.3]$. With larger random output weights the scores spread out,
# the untrained model is *confidently wrong*, and its perplexity rises above $V$: a reason why output
# layers are initialised small.

# %%
with rnnlm.uses_exercises():  # runs your exercises in a student bundle
    vocab_sizes = sorted({v for v in (10, 30, 100, 300, 1_000, 3_000) if v < V} | {V})
    untrained = {"default init (small $W_S$)": [], "uniform init in [-0.3, 0.3]": []}
    for v in vocab_sizes:
        valid_v = data.to_stream(valid, data.Vocab.build(train, max_size=v))[:EVAL_TOKENS]
        default, uniform = RNNLM(v, 32, 64, seed=SEED), RNNLM(v, 32, 64, seed=SEED, init_scale=0.3)
        untrained["default init (small $W_S$)"].append(default.perplexity(valid_v))
        untrained["uniform init in [-0.3, 0.3]"].append(uniform.perplexity(valid_v))
    for v, a, b in zip(vocab_sizes, *untrained.values()):
        print(f"V = {v:>6,}:  perplexity {a:9.1f} (default)   {b:9.1f} (uniform 0.3)")
    display(plots.untrained_perplexity_plot(vocab_sizes, untrained,
                                            title=f"Untrained RNNs on {CORPUS} (validation text)"))

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_memory", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 8. Memory: count tables against one set of weights
#
# Notebook 01 measured how an n-gram model's count tables grow: with the order $n$, and almost in
# proportion to the corpus. An RNN language model has the same parameters however long its history is
# and however much text it is trained on: $VD + HD + H^2 + H + VH + V$ numbers, which depend only on the
# vocabulary and the chosen sizes $D, H$.
#
# Let us measure both, in bytes: `NgramLM.report()` lists the bytes of each order's tables, and the RNN's
# parameters are arrays whose `nbytes` we add up (float64, 8 bytes a number). On the embedded corpus the
# text is generated, so we use its full-size training split even in fast mode; counting is quick.

# %%
big = embedded_splits(fast=False)["train"] if CORPUS == "embedded" else train
big_tokens = sum(len(s) + 1 for s in big)
RNN_SIZES = {"RNN, D = H = 100": (100, 100), "RNN, D = H = 300": (300, 300)}


def rnn_param_bytes(vocab_size, D, H):
    # measured: the nbytes of every parameter array of a freshly built model
    return sum(p.nbytes for p in RNNLM(vocab_size, D, H, seed=SEED).params.values())


def ngram_table_bytes(n, sentences):
    rows = NgramLM(n, smoothing="kneser-ney").fit(sentences).report()  # one row per order m <= n
    return sum(row["bytes"] for row in rows)


MEM_ORDERS = [1, 2, 3, 4, 5]
ngram_bytes = [ngram_table_bytes(n, big) for n in MEM_ORDERS]
V_big = len(data.Vocab.build(big))
rnn_bytes = {label: rnn_param_bytes(V_big, D, H) for label, (D, H) in RNN_SIZES.items()}
print(f"{CORPUS} training text: {big_tokens:,} tokens, V = {V_big:,}")
print(f"{'n':>3} {'n-gram tables (MiB)':>20}")
for n, b in zip(MEM_ORDERS, ngram_bytes):
    print(f"{n:>3} {b / 2**20:>20.2f}")
for label, b in rnn_bytes.items():
    print(f"{label}: {b / 2**20:.2f} MiB, for any n and any length of history")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_memory_size", "locked": true, "schema_version": 3, "solution": false, "task": false}
# And as the corpus grows: fit the count tables on larger and larger parts of the text, and build an
# RNN for the vocabulary of each part. The vocabulary grows at first and then stops (PTB's is closed
# at 10,000 words, the embedded corpus has a few hundred), so the RNN's size levels off; the tables of
# the higher orders keep growing with the text.

# %%
fractions = [1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1]
SIZE_ORDERS = [2, 3, 5]
sizes, ngram_by_size = [], {n: [] for n in SIZE_ORDERS}
rnn_by_size = {label: [] for label in RNN_SIZES}
start = time.perf_counter()
for f in fractions:
    part = big[: max(1, round(len(big) * f))]
    sizes.append(sum(len(s) + 1 for s in part))
    for n in SIZE_ORDERS:
        ngram_by_size[n].append(ngram_table_bytes(n, part))
    V_part = len(data.Vocab.build(part))
    for label, (D, H) in RNN_SIZES.items():
        rnn_by_size[label].append(rnn_param_bytes(V_part, D, H))
print(f"{len(fractions) * len(SIZE_ORDERS)} n-gram models in {time.perf_counter() - start:.1f} s")
growth = ngram_by_size[5][-1] / ngram_by_size[5][0]
print(f"{sizes[-1] / sizes[0]:.0f} times more text: the 5-gram tables grow {growth:.1f} times, "
      f"the smaller RNN {rnn_by_size['RNN, D = H = 100'][-1] / rnn_by_size['RNN, D = H = 100'][0]:.2f} times")
plots.ngram_vs_rnn_memory_plot(MEM_ORDERS, ngram_bytes, rnn_bytes, sizes=sizes,
                               ngram_bytes_by_size=ngram_by_size, rnn_bytes_by_size=rnn_by_size,
                               ngram_label="Kneser-Ney count tables",
                               title=f"Memory on {CORPUS}: n-gram tables against RNN parameters")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_memory_after", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Two cautions when you read these plots. Fewer bytes do not make a better model by themselves: the RNN
# still has to be *trained* (notebook 03) before its predictions beat the counts. And the RNN pays in
# computation instead of memory: every prediction multiplies by $W_S$, $V \times H$ numbers, which is why
# notebook 05 splits the softmax into word classes. But the main point stands: the RNN's memory is set
# by $V$, $D$ and $H$, not by $n$, not by the length of the history, and not by the size of the corpus.

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb02_summary", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Summary
#
# - An RNN language model reads one token at a time: $x_t = L[w_t]$,
#   $h_t = f(W_{hh} h_{t-1} + W_{hx} x_t + b_h)$, $\hat y_t = \mathrm{softmax}(W_S h_t + b_S)$.
# - The same weights serve every step, so the model reads sequences of any length with a fixed number
#   of parameters; its state $h_t$ can carry information from any distance, not only $n-1$ words.
# - $W_{hh} h + W_{hx} x = [W_{hh}\; W_{hx}][h; x]$: an RNN cell is one layer fed with the previous state and
#   the new word side by side.
# - In code, batches are rows: a (B, T, D) input gives (B, T, H) states and (B, T, V) scores.
# - The softmax turns scores into probabilities (subtract the maximum first); the cross-entropy is
#   $-\log$ of the probability of the true next token, averaged over the positions that count; its
#   gradient with respect to the scores is $(\hat y - y)/N$.
# - Perplexity $= 2^{J}$ with $J$ in bits $= e^{J}$ with $J$ in nats. An untrained model with small
#   output weights predicts nearly uniformly: perplexity close to $V$.
# - n-gram tables grow with $n$ and with the corpus; the RNN's parameters depend only on $V$, $D$ and $H$.
#
# Next, notebook 03: backpropagation through time, to train these weights.
