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

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # 03 · Backpropagation through time
#
# Notebook 02 ran the recurrent network forward: every step reads a word vector $x_t$ and the previous
# state $h_{t-1}$, and predicts the next word. Now we **train** it. Training needs the gradient of the
# loss with respect to every weight, and because the same weights are used at every time step, the
# gradient has to be carried backwards through all the steps: **backpropagation through time** (BPTT).
#
# In this notebook you will
#
# 1. derive the chain rule through time, and see it drawn on the unrolled network;
# 2. write a **numeric gradient**, the tool that tells you whether a backward pass is right;
# 3. write the backward pass of **one step**, then of **a whole sequence**, then of the **embedding lookup**,
#    checking each against finite differences;
# 4. cut long texts into chunks: **truncated BPTT**, and measure what it costs;
# 5. **clip** gradients, train a small RNN language model on real text, follow its loss and perplexity,
#    and let it **write** at several temperatures;
# 6. run the **same model in PyTorch** (on a GPU when there is one), check that autograd computes the
#    same gradients as your NumPy code, and measure the difference in speed.
#
# | exercise | you write | points |
# | --- | --- | --- |
# | 1 | `numeric_gradient(f, x, h=1e-5)` | 2 |
# | 2 | `rnn_step_backward(dh_t, cache)` | 3 |
# | 3 | `rnn_backward(dh, cache, dh_final=None)` | 3 |
# | 4 | `embedding_backward(dx, cache)` | 2 |
# | 5 | `clip_grad_norm(grads, max_norm)` | 2 |
# | 6 | a written answer (section 7) | 2 |
#
# **How to work.** In each answer cell, replace `raise NotImplementedError()` with your code; keep the
# function's name and parameters (they are those of the library `rnnlm.rnn_numpy`). Then run the cell
# right below it, `rnnlm.check("nb03_rnn_step_backward")` for exercise 2: it runs the exercise's checks
# and prints `PASSED`, or the first check that fails with a hint, without stopping the notebook. The
# checks compare your gradients with finite differences and say *which* output is off, by how much, and
# where. The test cell after it runs the same checks, and more (hidden) tests run when your notebook is
# graded. The training and PyTorch sections use the library: with the full kit they run even before you
# finish an exercise; in a student bundle the library runs your own functions, so finish exercises 2-5
# first.
# A warning your code prints (for example NumPy's `RuntimeWarning` when a correct answer gives `inf`)
# costs no points: the grader shows it in your feedback as a note. Only an error or a failed check does.
#
# *Fast mode.* With the environment variable `RNNLM_FAST=1` the corpus, the model and the training shrink
# so that the whole notebook runs in well under a minute; the grader always uses it. Without it, expect a
# few minutes (most of it training).

# %% nbgrader={"grade": false, "grade_id": "nb03_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# %matplotlib inline
import math
import time

import numpy as np

import rnnlm
from rnnlm import data, plots, rnn_numpy
from rnnlm.gradcheck import check_gradient, check_param_gradients, rel_error
from rnnlm.rnn_numpy import RNNLM, embedding_forward, rnn_forward, rnn_step_forward  # notebook 02

FAST = rnnlm.fast_mode()
SEED = 0
rng = np.random.default_rng(SEED)
print(f"rnnlm {rnnlm.__version__}, fast mode: {FAST}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_chain_rule", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. The chain rule through time
#
# In the lecture's notation (column vectors), one step of the network and its loss are
#
# $$a_t = W_{hh}\,h_{t-1} + W_{hx}\,x_t + b_h, \qquad h_t = f(a_t), \qquad
# s_t = W_S\,h_t + b_S, \qquad \hat y_t = \operatorname{softmax}(s_t),$$
#
# $$J_t = -\log \hat y_{t,\,w_{t+1}}, \qquad J = \frac{1}{T}\sum_{t=1}^{T} J_t ,$$
#
# where $x_t = L_{w_t}$ is the embedding of the word at position $t$, $f$ is tanh (or sigmoid, or ReLU),
# and $J_t$ is the cross-entropy of predicting the next word $w_{t+1}$.
#
# **Shared weights add up.** Unrolled over $T$ steps (figure below), the network is a deep feed-forward
# network whose layers all use the *same* $W_{hh}$, $W_{hx}$, $b_h$. Think of each step as having its own copy
# $W_{hh}^{(t)}$; the gradient with respect to the shared matrix is the **sum over the copies**:
# $\frac{\partial J}{\partial W_{hh}} = \sum_t \frac{\partial J}{\partial W_{hh}^{(t)}}$.
#
# **One loss, all its paths.** The loss $J_t$ depends on $W_{hh}$ through $h_t$, which depends on it
# directly and through $h_{t-1}$, which depends on it directly and through $h_{t-2}$, and so on. The chain
# rule sums over all these paths:
#
# $$\frac{\partial J_t}{\partial W_{hh}} \;=\; \sum_{k=1}^{t}\;
# \frac{\partial J_t}{\partial h_t}\,
# \Bigg(\prod_{j=k+1}^{t} \frac{\partial h_j}{\partial h_{j-1}}\Bigg)\,
# \frac{\partial^{+} h_k}{\partial W_{hh}},
# \qquad
# \frac{\partial h_j}{\partial h_{j-1}} = \operatorname{diag}\big(f'(a_j)\big)\,W_{hh},$$
#
# where $\partial^{+}$ is the "immediate" derivative of step $k$, with $h_{k-1}$ held fixed. The product
# of Jacobians is what makes gradients vanish or explode over long distances (notebook 04).
#
# **Computing it backwards.** Evaluating every path separately costs $O(T^2)$ steps. BPTT reorders the
# sums: walk backwards once, carrying $\delta_t = \partial J / \partial h_t$, the gradient of the *total*
# loss with respect to $h_t$ (through $J_t$ and through every later loss):
#
# $$\delta_T = W_S^\top\,\delta s_T, \qquad
# \delta_t = W_S^\top\,\delta s_t + W_{hh}^\top\big(f'(a_{t+1}) \odot \delta_{t+1}\big),
# \qquad \delta s_t = \frac{1}{T}\big(\hat y_t - e_{w_{t+1}}\big),$$
#
# and at each step, with $\delta a_t = f'(a_t) \odot \delta_t$ (the gradient at the pre-activation),
#
# $$\frac{\partial J}{\partial W_{hh}} = \sum_t \delta a_t\, h_{t-1}^\top, \quad
# \frac{\partial J}{\partial W_{hx}} = \sum_t \delta a_t\, x_t^\top, \quad
# \frac{\partial J}{\partial b_h} = \sum_t \delta a_t, \quad
# \frac{\partial J}{\partial x_t} = W_{hx}^\top \delta a_t, \quad
# \frac{\partial J}{\partial L_w} = \sum_{t:\,w_t = w} \frac{\partial J}{\partial x_t}.$$
#
# The derivative $f'(a_t)$ is written through the output $h_t$, which the forward pass keeps:
# $1 - h_t^2$ for tanh, $h_t(1 - h_t)$ for the sigmoid, $[h_t > 0]$ for ReLU. One backward step therefore
# mirrors one forward step: it receives the gradient for its output $h_t$ and returns the gradients for
# its inputs $x_t$ and $h_{t-1}$ and for the weights, which are then summed over the steps. In the figure,
# black arrows are the forward pass, red dashed arrows the gradients.

# %%
plots.unrolled_graph_plot(4, title="Forward (black) and backward (red): the RNN unrolled over four steps")


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_numeric", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. Numeric gradients: how to know a backward pass is right
#
# A backward pass is many lines of index-heavy code, and a wrong one still runs, still returns arrays of
# the right shapes, and may even let the loss go down a little. The reliable test is to compare it with a
# **finite-difference** estimate. For a scalar function $f$ of an array $x$, change one entry at a time:
#
# $$\frac{\partial f}{\partial x_i} \;\approx\; \frac{f(x + h\,e_i) - f(x - h\,e_i)}{2h}.$$
#
# This **centred** difference has an error of order $h^2$ (the one-sided
# $\big(f(x + h e_i) - f(x)\big)/h$ only of order $h$). In float64 with $h = 10^{-5}$ a correct analytic
# gradient typically agrees to a **relative error** $|a - n| / \max(|a|, |n|)$ of $10^{-8}$ or better;
# above $10^{-4}$ there is almost certainly a bug. (This is why the NumPy reference code works in
# float64: in float32 the rounding error of $f$, divided by $h$, would swamp the comparison.)
#
# Each entry costs two evaluations of $f$, so we check small models only; what is right for a tiny model
# is right for a large one.
#
# ### Exercise 1 (2 points): `numeric_gradient`
#
# Write `numeric_gradient(f, x, h=1e-5)`: `f` takes the array `x` and returns a scalar; return an array
# of `x`'s shape with the centred difference for every entry. Change `x` **in place**, one entry at a time,
# and put the original value back afterwards, so that `x` is unchanged when you return (also when `f`
# raises: put the value back in a `finally:` block), and so that an `f` that reads `x` through a closure
# (as in `lambda _: model.loss(...)` with `x` a parameter inside the model) sees the change.
# `np.ndindex(*x.shape)` walks over every index of an array of any shape.

# %% nbgrader={"grade": false, "grade_id": "nb03_numeric_gradient", "locked": false, "schema_version": 3, "solution": true, "task": false}
def numeric_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of a scalar function f at x.

    f: a function of x returning a scalar (a float or a 0-d array).
    x: a float array of any shape, perturbed in place one entry at a time and restored (also
       when f raises).
    h: the step.
    Returns an array of x.shape: grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h).
    """
    ### BEGIN SOLUTION
    grad = np.zeros(x.shape, dtype=np.float64)
    for ix in np.ndindex(*x.shape):
        old = x[ix].copy()
        try:
            x[ix] = old + h
            f_plus = float(f(x))
            x[ix] = old - h
            f_minus = float(f(x))
        finally:
            x[ix] = old  # restore, also when f raises
        grad[ix] = (f_plus - f_minus) / (2.0 * h)
    return grad
    ### END SOLUTION


# %%
rnnlm.check("nb03_numeric_gradient")

# %% nbgrader={"grade": true, "grade_id": "nb03_numeric_gradient_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks: functions whose gradients are known in closed form.
_x = np.array([[0.3, -1.2, 2.0], [0.5, 1.1, -0.7]])
_x_before = _x.copy()
_g = numeric_gradient(lambda v: np.sum(v**2), _x)
assert isinstance(_g, np.ndarray), f"numeric_gradient should return a NumPy array, got {type(_g).__name__}"
assert _g.shape == _x.shape, f"the gradient must have the shape of x {_x.shape}, got {_g.shape}"
assert np.array_equal(_x, _x_before), "x must be unchanged afterwards: put each entry's old value back"
_ONE_SIDED = ": an error of order h is the one-sided difference's; use the centred (f(x+h) - f(x-h)) / 2h"
_e2 = rel_error(_g, 2 * _x)
assert _e2 < 1e-8, (
    f"d/dx sum(x**2) = 2x, but your gradient is off by {_e2:.1e}"
    + (_ONE_SIDED if 1e-8 <= _e2 < 1e-3 else ": perturb one entry at a time, by +h and by -h, and divide "
       "the difference by 2h"))
_e3 = rel_error(numeric_gradient(lambda v: np.sum(v**3), _x), 3 * _x**2)
assert _e3 < 1e-7, f"d/dx sum(x**3) = 3x**2, but your gradient is off by {_e3:.1e}" + (
    _ONE_SIDED if 1e-7 <= _e3 < 1e-3 else "")
# f may ignore its argument and read x through a closure: then only an in-place change is seen
_W = np.array([[1.0, -2.0], [0.5, 3.0]])
_g = numeric_gradient(lambda _unused: np.sum(np.sin(_W)), _W)
assert np.abs(_g).max() > 0, (
    "f read x through a closure and saw no change: perturb x itself in place (x[ix] = ...), not a copy")
assert rel_error(_g, np.cos(_W)) < 1e-8, f"d/dx sum(sin(x)) = cos(x); off by {rel_error(_g, np.cos(_W)):.1e}"
# any number of dimensions
_x3 = np.random.default_rng(1).standard_normal((2, 3, 2))
_c3 = np.random.default_rng(2).standard_normal((2, 3, 2))
_g = numeric_gradient(lambda v: np.sum(_c3 * v), _x3)
assert _g.shape == (2, 3, 2) and rel_error(_g, _c3) < 1e-8, (
    "a 3-d x: walk over every index (np.ndindex(*x.shape)), not only over rows")
_xf = np.array([3.0, -1.0])
def _fails_once_moved(v):
    if v[0] != 3.0:
        raise ArithmeticError("f failed")
    return float(np.sum(v))
try:
    numeric_gradient(_fails_once_moved, _xf)
except ArithmeticError:
    pass
assert np.array_equal(_xf, [3.0, -1.0]), (
    "f raised and x was left perturbed: put the original value back in a finally: block")
print("numeric_gradient: visible checks passed")

### BEGIN HIDDEN TESTS
from rnnlm import gradcheck as _gc

_rng_h = np.random.default_rng(303)
for _shape in [(5,), (3, 4), (2, 2, 3)]:
    _xh = _rng_h.standard_normal(_shape)
    _ch = _rng_h.standard_normal(_shape)
    _fh = lambda v, _c=_ch: float(np.sum(np.tanh(v) * _c) + np.sum(v**2) ** 0.5)  # noqa: E731
    _expect = _gc.numeric_gradient(_fh, _xh.copy())
    assert rel_error(numeric_gradient(_fh, _xh), _expect) < 1e-8, _shape
# the step h is used: the centred difference of x**3 is exactly 3x**2 + h**2
_xh = np.array([1.0, -2.0, 0.5])
_cube = lambda v: np.sum(v**3)  # noqa: E731
assert np.allclose(numeric_gradient(_cube, _xh, h=0.1), 3 * _xh**2 + 0.01, rtol=1e-9, atol=1e-9)
assert np.allclose(numeric_gradient(_cube, _xh, 0.1), 3 * _xh**2 + 0.01, rtol=1e-9, atol=1e-9)
# two calls of f per entry
_calls = []
def _counting(v):
    _calls.append(1)
    return float(np.sum(v))
numeric_gradient(_counting, np.zeros((3, 4)))
assert len(_calls) == 24, f"expected 2 calls of f per entry (24), got {len(_calls)}"
# x restored even when f raises
_xr = np.array([1.0, 2.0])
def _raises(v):
    raise RuntimeError("boom")
try:
    numeric_gradient(_raises, _xr)
except RuntimeError:
    pass
assert np.array_equal(_xr, [1.0, 2.0]), "restore x also when f raises (try/finally)"
# 0-d f values and a single entry
assert np.allclose(numeric_gradient(lambda v: np.asarray(np.sum(v * 2.0)), np.ones(1)), [2.0])
print("numeric_gradient: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_numeric_after", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The library `rnnlm.gradcheck` wraps the same idea: `check_gradient(f, x, analytic)` compares an
# analytic gradient with centred differences and names the **worst entry**; `check_param_gradients` does
# it for every array of a parameter dictionary. Below, $f(W) = \sum_i \tanh\big((Wv)_i\big)$, whose gradient
# is $\big(1 - \tanh^2(Wv)\big)\,v^\top$; then the same gradient with one entry 3 % off.

# %%
v = rng.standard_normal(4)
W = rng.standard_normal((3, 4))
f = lambda W_: np.tanh(W_ @ v).sum()  # noqa: E731
right = (1 - np.tanh(W @ v) ** 2)[:, None] * v[None, :]
wrong = right.copy()
wrong[1, 2] *= 1.03
print(check_gradient(f, W, right, name="W"))
print(check_gradient(f, W, wrong, name="W"))
try:
    print(f"your numeric_gradient against the analytic gradient: relative error "
          f"{rel_error(numeric_gradient(f, W), right):.1e}")
except NotImplementedError:
    print("numeric_gradient is not written yet: finish exercise 1 to compare")
except Exception as exc:  # keep the notebook running whatever the answer does
    print(f"numeric_gradient raised {type(exc).__name__}: {exc}")


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_step_backward", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. Backward through one step
#
# The code works with **batches of row vectors**, as in notebook 02: with $B$ sequences at once,
# `x_t` is (B, D), `h_prev` is (B, H), and one step computes
#
# ```python
# a_t = h_prev @ W_hh.T + x_t @ W_hx.T + b_h      # (B, H)
# h_t = f(a_t)                                    # (B, H)
# ```
#
# The column-vector formulas of section 1 translate with two rules. A product with a weight matrix in
# the forward pass becomes, backwards, a product with the same matrix on the *other side* (the shapes
# tell you which: a gradient for `x_t` must come out (B, D)). A weight's gradient pairs every row of the
# upstream gradient with the matching row of the weight's input and **sums over the batch**, as the
# weights are shared by all $B$ sequences; so does the bias.
#
# `rnn_step_forward` (notebook 02, imported from the library above) returns `h_t` and a cache, the tuple
# `(x_t, h_prev, W_hx, W_hh, h_t, act)`. `act` is the activation: `act.name` is `"tanh"`, `"sigmoid"` or
# `"relu"`, and `act.df(h_t)` returns $f'(a_t)$ computed from the output $h_t$ (for tanh, $1 - h_t^2$).
#
# ### Exercise 2 (3 points): `rnn_step_backward`
#
# Write `rnn_step_backward(dh_t, cache)`. `dh_t` (B, H) is the gradient of the loss with respect to
# $h_t$. Return the tuple `(dx_t, dh_prev, dW_hx, dW_hh, db_h)` of gradients with respect to `x_t` (B, D),
# `h_prev` (B, H), `W_hx` (H, D), `W_hh` (H, H) and `b_h` (H,). Use the activation in the cache (the
# checks try all three), and do not modify the cache's arrays.

# %% nbgrader={"grade": false, "grade_id": "nb03_rnn_step_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_step_backward(dh_t: np.ndarray, cache: tuple):
    """Backward of one step h_t = f(h_prev @ W_hh.T + x_t @ W_hx.T + b_h).

    dh_t: (B, H) gradient of the loss with respect to h_t.
    cache: (x_t, h_prev, W_hx, W_hh, h_t, act) from rnn_step_forward; act.df(h_t) is f'(a_t).
    Returns (dx_t (B, D), dh_prev (B, H), dW_hx (H, D), dW_hh (H, H), db_h (H,)).
    """
    ### BEGIN SOLUTION
    x_t, h_prev, W_hx, W_hh, h_t, act = cache
    da = dh_t * act.df(h_t)  # (B, H): the gradient at the pre-activation a_t
    dx_t = da @ W_hx
    dh_prev = da @ W_hh
    dW_hx = da.T @ x_t
    dW_hh = da.T @ h_prev
    db_h = da.sum(axis=0)
    return dx_t, dh_prev, dW_hx, dW_hh, db_h
    ### END SOLUTION


# %%
rnnlm.check("nb03_rnn_step_backward")

# %% nbgrader={"grade": true, "grade_id": "nb03_rnn_step_backward_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Visible checks: your gradients against finite differences of rnn_step_forward (the library's
# forward step from notebook 02), output by output, for a linear step and for each activation.
_NAMES = ("dx_t", "dh_prev", "dW_hx", "dW_hh", "db_h")
_LETTERS = ("(B, D)", "(B, H)", "(H, D)", "(H, H)", "(H,)")
_LINEAR = rnn_numpy.Activation("linear", lambda a: a, np.ones_like)  # f(a) = a, f'(a) = 1

def _check_step(activation, seed=0, B=3, D=4, H=5):
    r = np.random.default_rng(seed)
    x_t, h_prev = r.standard_normal((B, D)), r.standard_normal((B, H))
    W_hx, W_hh = 0.5 * r.standard_normal((H, D)), 0.5 * r.standard_normal((H, H))
    b_h, dh_t = 0.1 * r.standard_normal(H), r.standard_normal((B, H))
    _, cache = rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h, activation)
    out = rnn_step_backward(dh_t, cache)
    assert isinstance(out, tuple) and len(out) == 5, (
        f"rnn_step_backward should return a tuple of 5 arrays {_NAMES}, got "
        f"{type(out).__name__}{'' if not isinstance(out, tuple) else f' of length {len(out)}'}")
    inputs = (x_t, h_prev, W_hx, W_hh, b_h)
    for name, letters, g, x in zip(_NAMES, _LETTERS, out, inputs):
        g = np.asarray(g)
        hint = ""
        if name == "db_h" and g.shape == (B, H):
            hint = ": the bias is shared by the whole batch, so sum its gradient over the batch"
        elif g.shape == x.shape[::-1] and x.ndim == 2:
            hint = ": transposed?"
        assert g.shape == x.shape, f"{name} must have shape {letters} = {x.shape}, got {g.shape}{hint}"
    step = lambda _x: rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h, activation)[0]  # noqa: E731
    results = {name: check_gradient(step, x, np.asarray(g, dtype=float), dout=dh_t, name=name)
               for name, g, x in zip(_NAMES, out, inputs)}
    if not results["dW_hh"].ok and check_gradient(step, W_hh, np.asarray(out[3]).T, dout=dh_t).ok:
        raise AssertionError("dW_hh is transposed: entry (i, j) belongs to unit i of a_t and unit j of "
                             "h_prev (W_hh is square, so the shape alone does not catch this)")
    return results

def _failures(results):
    return "\n  ".join(r.message() for r in results.values() if not r.ok)

_HINTS = {
    "dx_t": "x_t reaches a_t through W_hx: multiply by W_hx on the side that gives (B, D)",
    "dh_prev": "h_prev reaches a_t through W_hh: multiply by W_hh on the side that matches the forward "
               "product h_prev @ W_hh.T (W_hh is square, so a wrong side still has the right shape)",
    "dW_hx": "pair the gradient at a_t with x_t and sum over the batch",
    "dW_hh": "pair the gradient at a_t with h_prev (not h_t) and sum over the batch",
    "db_h": "the bias gradient is the gradient at a_t summed over the batch",
}
_lin = _check_step(_LINEAR)
_bad = [n for n, r in _lin.items() if not r.ok]
if len(_bad) == len(_NAMES):
    _hint = ("\nhint: all five are off, so their common factor, the gradient at a_t, is probably wrong: "
             "it is dh_t times f'(a_t), with f' from the cache's activation (act.df(h_t); here f'(a) = 1)")
else:
    _hint = "\nhints:\n  " + "\n  ".join(f"{n}: {_HINTS[n]}" for n in _bad)
assert not _bad, "wrong even for a linear step f(a) = a:\n  " + _failures(_lin) + _hint
_tanh = _check_step("tanh")
assert all(r.ok for r in _tanh.values()), (
    "right for a linear step but not through tanh:\n  " + _failures(_tanh)
    + "\nhint: multiply the incoming gradient by f'(a_t) (act.df(h_t) from the cache) before anything else")
for _act in ("sigmoid", "relu"):
    _res = _check_step(_act, seed=1)
    assert all(r.ok for r in _res.values()), (
        f"right for tanh but not for {_act}:\n  " + _failures(_res)
        + "\nhint: use the cache's activation, act.df(h_t), rather than writing tanh's 1 - h**2")
for _r in _tanh.values():
    print(_r)
print("rnn_step_backward: visible checks passed")

### BEGIN HIDDEN TESTS
_rng_h = np.random.default_rng(404)
for _act in ("tanh", "sigmoid", "relu"):
    for (_B, _D, _H) in [(1, 1, 1), (2, 7, 3), (6, 3, 8)]:
        _xt, _hp = _rng_h.standard_normal((_B, _D)), _rng_h.standard_normal((_B, _H))
        _Wx, _Wh = _rng_h.standard_normal((_H, _D)), _rng_h.standard_normal((_H, _H))
        _bh, _dh = _rng_h.standard_normal(_H), _rng_h.standard_normal((_B, _H))
        _, _cache = rnn_step_forward(_xt, _hp, _Wx, _Wh, _bh, _act)
        _copies = [np.copy(c) for c in _cache[:5]]
        _mine = rnn_step_backward(_dh.copy(), _cache)
        _ref = rnn_numpy.rnn_step_backward(_dh, _cache)
        for _n, _a, _b in zip(_NAMES, _mine, _ref):
            assert np.asarray(_a).shape == _b.shape, (_act, _n)
            assert np.allclose(_a, _b, rtol=1e-10, atol=1e-12), (_act, (_B, _D, _H), _n)
        for _c, _orig in zip(_cache[:5], _copies):
            assert np.array_equal(_c, _orig), "rnn_step_backward must not modify the cache"
# a zero upstream gradient gives zero gradients everywhere
_, _cache = rnn_step_forward(np.ones((2, 3)), np.ones((2, 4)), np.ones((4, 3)), np.eye(4), np.zeros(4))
assert all(np.allclose(g, 0) for g in rnn_step_backward(np.zeros((2, 4)), _cache))
# a full check of every entry on a larger step, relu with some dead units
_res = _check_step("relu", seed=7, B=4, D=6, H=9)
assert all(r.ok for r in _res.values()), _failures(_res)
print("rnn_step_backward: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_step_after", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Your step backward, entry by entry against finite differences, for each activation (the cell waits for
# exercise 2). Every bar should sit far below the tolerance line.

# %%
def step_check(backward, activation, seed=0, B=3, D=4, H=5):
    # worst relative error of each gradient of `backward` for one random step
    r = np.random.default_rng(seed)
    x_t, h_prev = r.standard_normal((B, D)), r.standard_normal((B, H))
    W_hx, W_hh, b_h = r.standard_normal((H, D)), r.standard_normal((H, H)), r.standard_normal(H)
    dh_t = r.standard_normal((B, H))
    _, cache = rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h, activation)
    grads = backward(dh_t, cache)
    step = lambda _x: rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h, activation)[0]  # noqa: E731
    names = ("x_t", "h_prev", "W_hx", "W_hh", "b_h")
    arrays = (x_t, h_prev, W_hx, W_hh, b_h)
    return {n: check_gradient(step, x, g, dout=dh_t, name=n).max_rel_error
            for n, x, g in zip(names, arrays, grads)}

try:
    errors = {act: step_check(rnn_step_backward, act) for act in ("tanh", "sigmoid", "relu")}
    display(plots.gradient_check_plot(errors, title="Your rnn_step_backward against finite differences"))
except NotImplementedError:
    print("rnn_step_backward is not written yet: finish exercise 2 to see its check")
except Exception as exc:  # keep the notebook running whatever the answer does
    print(f"rnn_step_backward raised {type(exc).__name__}: {exc}")


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_sequence_backward", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. Backward through the whole sequence
#
# `rnn_forward(x, h0, W_hx, W_hh, b_h)` (notebook 02) runs the step over $T$ positions and returns all the
# hidden states `h` (B, T, H), where `h[:, t]` is the state after reading `x[:, t]`, and its cache: the
# list of the $T$ step caches.
#
# Going backwards, the gradient that reaches `h[:, t]` has two sources: its own `dh[:, t]`, from the
# output layer at that position, and what flows back from the next step through $h_{t+1}$ (the
# `dh_prev` that step $t+1$ returns). That is the recursion for $\delta_t$ of section 1. The weight
# gradients of the steps are summed, since the weights are shared; `dx[:, t]` is each step's own.
#
# ### Exercise 3 (3 points): `rnn_backward`
#
# Write `rnn_backward(dh, cache, dh_final=None)`. `dh` (B, T, H) is the gradient of the loss with
# respect to every hidden state, from the output layer. `dh_final` (B, H), when given, is an *extra*
# gradient on the final state `h[:, -1]` (for example from a later chunk of text, or from a classifier
# that reads the last state). Return `(dx (B, T, D), dh0 (B, H), dW_hx (H, D), dW_hh (H, H), db_h (H,))`,
# `dh0` being the gradient with respect to the initial state. Use your `rnn_step_backward`; loop over the
# steps backwards.

# %% nbgrader={"grade": false, "grade_id": "nb03_rnn_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_backward(dh: np.ndarray, cache: list, dh_final: np.ndarray | None = None):
    """Backpropagation through time over a sequence.

    dh: (B, T, H) gradient of the loss with respect to every hidden state h[:, t].
    cache: the list of T step caches that rnn_forward returned.
    dh_final: optional (B, H) extra gradient on the final state h[:, -1].
    Returns (dx (B, T, D), dh0 (B, H), dW_hx (H, D), dW_hh (H, H), db_h (H,)); the weight
    gradients are summed over the time steps.
    """
    ### BEGIN SOLUTION
    B, T, H = dh.shape
    D = cache[0][0].shape[1]
    dh_next = np.zeros((B, H)) if dh_final is None else np.asarray(dh_final, dtype=float)
    dx = np.zeros((B, T, D))
    dW_hx, dW_hh, db_h = np.zeros((H, D)), np.zeros((H, H)), np.zeros(H)
    for t in reversed(range(T)):
        dx[:, t], dh_next, step_dW_hx, step_dW_hh, step_db_h = rnn_step_backward(dh[:, t] + dh_next, cache[t])
        dW_hx += step_dW_hx
        dW_hh += step_dW_hh
        db_h += step_db_h
    return dx, dh_next, dW_hx, dW_hh, db_h
    ### END SOLUTION


# %%
rnnlm.check("nb03_rnn_backward")

# %% nbgrader={"grade": true, "grade_id": "nb03_rnn_backward_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Visible checks. They run your rnn_backward with the library's rnn_step_backward in place of yours
# (in the namespace your rnn_backward looks it up in, and put back afterwards), so that a mistake in
# exercise 2 costs no points here and a right answer here shows as right, in rnnlm.check too.
# (A student bundle leaves the library's version out; there yours runs.)
_ns = getattr(rnn_backward, "__globals__", globals())
_yours = _ns.get("rnn_step_backward")
if not getattr(rnn_numpy.rnn_step_backward, "__rnnlm_stub__", False):
    _ns["rnn_step_backward"] = rnn_numpy.rnn_step_backward
_SEQ_NAMES = ("dx", "dh0", "dW_hx", "dW_hh", "db_h")
_SEQ_LETTERS = ("(B, T, D)", "(B, H)", "(H, D)", "(H, H)", "(H,)")

def _failures(results):
    return "\n  ".join(r.message() for r in results.values() if not r.ok)

def _check_sequence(T, with_final=False, activation="tanh", seed=0, B=2, D=3, H=4):
    r = np.random.default_rng(seed)
    x, h0 = r.standard_normal((B, T, D)), r.standard_normal((B, H))
    W_hx, W_hh = 0.6 * r.standard_normal((H, D)), 0.6 * r.standard_normal((H, H))
    b_h = 0.1 * r.standard_normal(H)
    dh, dh_final = r.standard_normal((B, T, H)), r.standard_normal((B, H))
    _, cache = rnn_forward(x, h0, W_hx, W_hh, b_h, activation)
    out = rnn_backward(dh, cache, dh_final) if with_final else rnn_backward(dh, cache)
    assert isinstance(out, tuple) and len(out) == 5, (
        f"rnn_backward should return a tuple of 5 arrays {_SEQ_NAMES}, got {type(out).__name__}")
    inputs = (x, h0, W_hx, W_hh, b_h)
    for name, letters, g, a in zip(_SEQ_NAMES, _SEQ_LETTERS, out, inputs):
        assert np.shape(g) == a.shape, f"{name} must have shape {letters} = {a.shape}, got {np.shape(g)}"

    def total(_x):  # the scalar whose gradient rnn_backward returns
        h = rnn_forward(x, h0, W_hx, W_hh, b_h, activation)[0]
        return np.sum(h * dh) + (np.sum(h[:, -1] * dh_final) if with_final else 0.0)

    return {n: check_gradient(total, a, np.asarray(g, dtype=float), name=n)
            for n, g, a in zip(_SEQ_NAMES, out, inputs)}

try:
    _one = _check_sequence(T=1)
    assert all(r.ok for r in _one.values()), (
        "wrong already for a single step (T = 1):\n  " + _failures(_one)
        + "\nhint: with T = 1 the result is one call of rnn_step_backward(dh[:, 0], cache[0])")
    _many = _check_sequence(T=5)
    _bad = [n for n, r in _many.items() if not r.ok]
    _hint = ("the weight gradients must be summed over all steps (+=), since every step uses the same weights"
             if set(_bad) <= {"dW_hx", "dW_hh", "db_h"} else
             "at each step, going backwards, the gradient reaching h[:, t] is dh[:, t] PLUS the dh_prev "
             "returned by step t + 1; start from the last step")
    assert not _bad, "right for T = 1 but not for T = 5:\n  " + _failures(_many) + "\nhint: " + _hint
    _final = _check_sequence(T=4, with_final=True, seed=1)
    assert all(r.ok for r in _final.values()), (
        "right without dh_final but not with it:\n  " + _failures(_final)
        + "\nhint: dh_final is an extra gradient on the last state h[:, -1]: start the backward loop from it "
        "instead of from zeros")
    _relu = _check_sequence(T=4, activation="relu", seed=2)
    assert all(r.ok for r in _relu.values()), "wrong with activation='relu':\n  " + _failures(_relu)
finally:
    _ns["rnn_step_backward"] = _yours
for _r in _many.values():
    print(_r)
print("rnn_backward: visible checks passed")

### BEGIN HIDDEN TESTS
_ns["rnn_step_backward"] = rnn_numpy.rnn_step_backward
try:
    _rng_h = np.random.default_rng(505)
    for _act in ("tanh", "sigmoid", "relu"):
        for (_B, _T, _D, _H) in [(1, 1, 2, 3), (3, 7, 4, 5), (2, 12, 3, 2)]:
            _x, _h0 = _rng_h.standard_normal((_B, _T, _D)), _rng_h.standard_normal((_B, _H))
            _Wx, _Wh = _rng_h.standard_normal((_H, _D)), _rng_h.standard_normal((_H, _H))
            _bh = _rng_h.standard_normal(_H)
            _dh, _dhf = _rng_h.standard_normal((_B, _T, _H)), _rng_h.standard_normal((_B, _H))
            _, _cache = rnn_forward(_x, _h0, _Wx, _Wh, _bh, _act)
            for _extra in (None, _dhf):
                _dh_copy = _dh.copy()
                if _extra is None:
                    _mine = rnn_backward(_dh_copy, _cache)
                else:
                    _mine = rnn_backward(_dh_copy, _cache, _extra)
                _ref = rnn_numpy.rnn_backward(_dh, _cache, _extra)
                assert np.array_equal(_dh_copy, _dh), "rnn_backward must not modify dh"
                for _n, _a, _b in zip(_SEQ_NAMES, _mine, _ref):
                    _case = (_act, (_B, _T, _D, _H), _extra is None, _n)
                    assert np.allclose(_a, _b, rtol=1e-9, atol=1e-12), _case
    # keyword use, as the library calls it
    _mine = rnn_backward(dh=_dh, cache=_cache, dh_final=_dhf)
    assert np.allclose(_mine[1], rnn_numpy.rnn_backward(_dh, _cache, _dhf)[1])
    _long = _check_sequence(T=9, with_final=True, seed=9, B=3, D=2, H=5)
    assert all(r.ok for r in _long.values()), _failures(_long)
finally:
    _ns["rnn_step_backward"] = _yours
print("rnn_backward: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_flow", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **How far back does a gradient reach?** Put a gradient on the *last* state only (a loss at step $T$)
# and follow its size back through the steps: at each step it is multiplied by
# $\partial h_t / \partial h_{t-1} = \operatorname{diag}(f'(a_t))\,W_{hh}$. Below, with the library's step
# backward, for recurrent matrices whose singular values all equal $s$ (a scaled random orthogonal
# matrix). With $s < 1$ (and $|f'| \le 1$) the gradient shrinks geometrically: the loss at step $T$ hardly
# tells the early steps anything. With large $s$ it can grow instead. Notebook 04 is about exactly this.

# %%
with rnnlm.uses_exercises():  # runs your exercises in a student bundle
    def gradient_flow(s, T=40, B=1, D=8, H=32, seed=SEED):
        # ||dJ_T / dh_t|| for t = 1..T, for an RNN whose W_hh has all singular values equal to s
        r = np.random.default_rng(seed)
        x = r.standard_normal((B, T, D))
        W_hx = r.standard_normal((H, D)) / np.sqrt(D)
        W_hh = s * np.linalg.qr(r.standard_normal((H, H)))[0]
        h, cache = rnn_forward(x, np.zeros((B, H)), W_hx, W_hh, np.zeros(H))
        dh_t = r.standard_normal((B, H))  # the gradient of the last loss at h_T
        norms = [np.linalg.norm(dh_t)]
        for t in reversed(range(1, T)):
            _, dh_t, *_ = rnn_numpy.rnn_step_backward(dh_t, cache[t])  # now the gradient at the state before
            norms.append(np.linalg.norm(dh_t))
        return norms[::-1]

    display(plots.gradient_flow_plot({f"s = {s}": gradient_flow(s) for s in (0.5, 1.0, 2.0, 4.0)},
                                     truncate=10,
                                     title="The gradient of the last loss, back through 40 steps (tanh RNN)"))


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_embedding", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. Backward through the embedding lookup
#
# The first layer is a lookup: `x[b, t] = L[ids[b, t]]`. Its gradient with respect to the embedding matrix
# $L$ (V, D) sends each `dx[b, t]` back to the row of the token that was looked up, and every other row
# gets zero. A token that occurs several times in the batch gets the **sum** of all its gradients
# ($\partial J / \partial L_w = \sum_{t:\,w_t = w} \partial J / \partial x_t$).
#
# Careful: NumPy's fancy-index assignment `dL[ids] += dx` does **not** accumulate repeated indices (each
# repeated row is written once, with one of the values). `np.add.at(array, indices, values)` does.
#
# ### Exercise 4 (2 points): `embedding_backward`
#
# Write `embedding_backward(dx, cache)`: `dx` (B, T, D) is the gradient with respect to the looked-up
# vectors and `cache` is what `embedding_forward(ids, L)` returned, the tuple `(ids, L.shape, L.dtype)`.
# Return `dL`, an array of shape `L.shape` and dtype `L.dtype`.

# %% nbgrader={"grade": false, "grade_id": "nb03_embedding_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def embedding_backward(dx: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of the lookup x[b, t] = L[ids[b, t]] with respect to L.

    dx: (B, T, D) gradient with respect to the looked-up vectors.
    cache: (ids (B, T), L.shape (V, D), L.dtype) from embedding_forward.
    Returns dL (V, D): row w is the sum of dx[b, t] over the positions where ids[b, t] == w.
    """
    ### BEGIN SOLUTION
    ids, shape, dtype = cache
    dL = np.zeros(shape, dtype=dtype)
    np.add.at(dL, ids, dx)
    return dL
    ### END SOLUTION


# %%
rnnlm.check("nb03_embedding_backward")

# %% nbgrader={"grade": true, "grade_id": "nb03_embedding_backward_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks: finite differences of the lookup, with repeated tokens and unused rows.
_L = np.random.default_rng(3).standard_normal((7, 3))
_ids = np.array([[1, 4, 1, 1], [0, 4, 6, 2]])  # token 1 three times, token 4 twice, 3 and 5 never
_dx = np.random.default_rng(4).standard_normal((2, 4, 3))
_, _cache = embedding_forward(_ids, _L)
_dL = embedding_backward(_dx, _cache)
assert isinstance(_dL, np.ndarray), f"embedding_backward should return an array, got {type(_dL).__name__}"
assert _dL.shape == _L.shape, f"dL must have the shape of L (V, D) = {_L.shape}, got {_dL.shape}"
assert _dL.dtype == _L.dtype, f"dL must have L's dtype {_L.dtype}, got {_dL.dtype}"
assert np.all(_dL[[3, 5]] == 0), "rows of tokens that do not occur in ids must be zero"
_res = check_gradient(lambda _x: embedding_forward(_ids, _L)[0], _L, _dL, dout=_dx, name="dL")
if not _res.ok:
    _row = _res.index[0]
    _count = int(np.sum(_ids == _row))
    raise AssertionError(
        _res.message() + (f"\nhint: token {_row} occurs {_count} times: its row must be the SUM of all its "
                          "gradients; dL[ids] += dx keeps only one of them (np.add.at accumulates)"
                          if _count > 1 else "\nhint: row w of dL collects dx[b, t] where ids[b, t] == w"))
print(_res)
print("embedding_backward: visible checks passed")

### BEGIN HIDDEN TESTS
_rng_h = np.random.default_rng(606)
for (_V, _D, _B, _T) in [(5, 2, 1, 1), (50, 8, 4, 9), (3, 4, 6, 5)]:
    _Lh = _rng_h.standard_normal((_V, _D))
    _idh = _rng_h.integers(0, _V, (_B, _T))
    _dxh = _rng_h.standard_normal((_B, _T, _D))
    _, _ch = embedding_forward(_idh, _Lh)
    _dxh_copy = _dxh.copy()
    _expect = rnn_numpy.embedding_backward(_dxh, _ch)
    assert np.allclose(embedding_backward(_dxh_copy, _ch), _expect, rtol=1e-12)
    assert np.array_equal(_dxh_copy, _dxh), "embedding_backward must not modify dx"
# every position the same token
_, _ch = embedding_forward(np.full((3, 4), 2), np.zeros((4, 2)))
_got = embedding_backward(np.ones((3, 4, 2)), _ch)
assert np.allclose(_got[2], [12.0, 12.0]) and np.allclose(_got[[0, 1, 3]], 0)
# float32 stays float32
_, _ch = embedding_forward(np.array([[0, 0]]), np.zeros((2, 3), dtype=np.float32))
assert embedding_backward(np.ones((1, 2, 3), dtype=np.float32), _ch).dtype == np.float32
print("embedding_backward: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_whole_model", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. The whole model, checked
#
# The library's `RNNLM` chains the pieces: embedding, recurrence, output layer (`temporal_affine_*`),
# softmax cross-entropy (notebook 02), and their backward passes in reverse order.
# `RNNLM.loss(x_ids, y_ids)` returns the mean loss, the gradient of every parameter and the last state.
# `check_param_gradients` checks every parameter of a tiny model at once. Then we plant a classic bug,
# a transposed `W_hh` gradient, to see what a failed check says.

# %%
with rnnlm.uses_exercises():  # runs your exercises in a student bundle
    tiny = RNNLM(vocab_size=11, embed_dim=4, hidden_dim=6, seed=SEED)
    x_ids, y_ids = rng.integers(0, 11, (3, 5)), rng.integers(0, 11, (3, 5))
    loss, grads, _ = tiny.loss(x_ids, y_ids)
    objective = lambda: tiny.loss(x_ids, y_ids)[0]  # noqa: E731  (reads the parameters in place)
    results = check_param_gradients(objective, tiny.params, grads)
    for r in results.values():
        print(r)
    planted = check_param_gradients(objective, tiny.params, dict(grads, W_hh=grads["W_hh"].T), names=["W_hh"])
    print(planted["W_hh"])
    errors = {name: r.max_rel_error for name, r in results.items()}
    errors["W_hh (transposed)"] = planted["W_hh"].max_rel_error
    display(plots.gradient_check_plot(errors,
                                      title="Every gradient of the library's RNNLM, and one planted bug"))


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_whole_model_yours", "locked": true, "schema_version": 3, "solution": false, "task": false}
# And with **your** backward passes in the chain (the library's forward and output layer around them).
# This is the whole of BPTT for a language model; it waits for exercises 2 to 4.

# %%
def loss_and_grads(model, x_ids, y_ids):
    # the model's loss, with the recurrent and embedding backward passes of exercises 2 to 4
    p = model.params
    x, c_emb = embedding_forward(x_ids, p["L"])
    h, c_rnn = rnn_forward(x, model.init_state(x_ids.shape[0]), p["W_hx"], p["W_hh"], p["b_h"])
    scores, c_aff = rnn_numpy.temporal_affine_forward(h, p["W_S"], p["b_S"])
    loss, dscores = rnn_numpy.temporal_softmax_loss(scores, y_ids)
    dh, dW_S, db_S = rnn_numpy.temporal_affine_backward(dscores, c_aff)
    dx, _dh0, dW_hx, dW_hh, db_h = rnn_backward(dh, c_rnn)  # yours
    dL = embedding_backward(dx, c_emb)  # yours
    return loss, {"L": dL, "W_hx": dW_hx, "W_hh": dW_hh, "b_h": db_h, "W_S": dW_S, "b_S": db_S}

try:
    my_loss, my_grads = loss_and_grads(tiny, x_ids, y_ids)
    for r in check_param_gradients(objective, tiny.params, my_grads).values():
        print(r)
except NotImplementedError:
    print("not all of rnn_step_backward, rnn_backward and embedding_backward are written yet")
except Exception as exc:  # keep the notebook running whatever the answers do
    print(f"your backward pass raised {type(exc).__name__}: {exc}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_tbptt", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 7. Truncated BPTT
#
# A corpus is one long stream of tokens. Backpropagating through all of it at once would need the cache
# of every step (memory grows with the text) and would update the weights once per pass over the data.
# **Truncated BPTT** cuts the stream into **chunks of $k$ steps**:
#
# - the **forward** pass is exact: each chunk starts from the last hidden state of the previous chunk
#   (the state is *carried*), so the network still reads the text as one sequence;
# - the **backward** pass stops at the chunk's first step: the carried state is treated as a constant,
#   so no gradient flows into the previous chunk. Each chunk gives one update.
#
# In the picture, the forward arrows still cross the chunk boundaries; the backward ones do not.

# %%
plots.unrolled_graph_plot(6, truncate=3, title="Truncated BPTT with chunks of k = 3 steps")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_corpus", "locked": true, "schema_version": 3, "solution": false, "task": false}
# To measure what truncation costs, and then to train, we need text. The cell below takes Tiny
# Shakespeare when it is in your data directory (else the Penn Treebank) and reads it **character by
# character**: the model is the same as for words, but with about 60 symbols instead of 10,000 words, so
# the output layer is cheap enough for NumPy to train in seconds. With neither corpus (and so when your
# notebook is graded) it reads the kit's embedded corpus **word by word**, a vocabulary of a few hundred
# words. Each line of text ends with the token `<eos>`.

# %% nbgrader={"grade": false, "grade_id": "nb03_load_corpus", "locked": true, "schema_version": 3, "solution": false, "task": false}
CORPUS = next((name for name in ("tinyshakespeare", "ptb") if data.available(name)), "embedded")
LEVEL = "word" if CORPUS == "embedded" else "char"
splits = data.load_corpus(CORPUS, fast=FAST, level=LEVEL)
vocab = data.Vocab.build(splits["train"])  # <unk>, <eos>, then the symbols by frequency
V = len(vocab)
cap = 64_000 if FAST else 2_000_000  # tokens per split: a few hundred training steps in fast mode
train_stream, valid_stream, test_stream = (data.to_stream(splits[s], vocab)[:cap] for s in data.SPLITS)

def decode(ids):
    # token ids -> text (a new line for every <eos>)
    tokens = ["\n" if t == vocab.eos_token else t for t in vocab.decode(np.asarray(ids))]
    return "".join(tokens) if LEVEL == "char" else " ".join(tokens).replace(" \n ", "\n")

print(f"corpus {CORPUS} ({LEVEL} level): V = {V}; train {len(train_stream):,}, valid {len(valid_stream):,}, "
      f"test {len(test_stream):,} tokens")
print(decode(train_stream[:300]))


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_truncation_cost", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Take 4 rows of 48 tokens and compute the gradient twice: with full BPTT over all 48 steps, and with
# chunks of $k$ steps, carrying the state, each chunk's gradient weighted by its share of the positions.
# The summed **losses agree** for every $k$ (the forward pass is exact); the gradients of the recurrent
# weights and embeddings do not, except at $k = 48$. The output layer's gradients ($W_S$, $b_S$) are exact
# for every $k$: they never pass through time.

# %%
with rnnlm.uses_exercises():  # runs your exercises in a student bundle
    def truncated_gradients(model, x, y, k):
        # (loss, grads) of a (B, T) batch computed in chunks of k steps, the state carried between chunks
        T = x.shape[1]
        h, total, acc = None, 0.0, {}
        for i in range(0, T, k):
            loss, g, h = model.loss(x[:, i : i + k], y[:, i : i + k], h0=h)  # h: this chunk's last state
            share = x[:, i : i + k].shape[1] / T
            total += share * loss
            acc = {n: acc.get(n, 0.0) + share * g[n] for n in g}
        return total, acc

    def truncation_errors(model, x, y, lengths, names=("W_hh", "W_hx", "L")):
        full_loss, full, _ = model.loss(x, y)
        errors = {n: [] for n in names}
        for k in lengths:
            loss, g = truncated_gradients(model, x, y, k)
            assert abs(loss - full_loss) < 1e-9 * full_loss, "the forward pass should be exact"
            for n in names:
                errors[n].append(float(np.linalg.norm(g[n] - full[n]) / np.linalg.norm(full[n])))
        return errors

    B_probe, T_probe = 4, 48
    probe_rows = data.batchify(train_stream[: B_probe * (T_probe + 1)], B_probe)  # (4, 49)
    x_probe, y_probe = probe_rows[:, :-1], probe_rows[:, 1:]
    LENGTHS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 48]
    fresh = RNNLM(V, 32, 64, seed=SEED)
    fresh_errors = truncation_errors(fresh, x_probe, y_probe, LENGTHS)
    output_layer = truncation_errors(fresh, x_probe, y_probe, LENGTHS, names=("W_S", "b_S"))
    print("relative error ||g_k - g|| / ||g|| of W_hh:", ", ".join(f"k={k}: {e:.2f}"
                                                              for k, e in zip(LENGTHS, fresh_errors["W_hh"])))
    print(f"W_S and b_S: at most {max(max(v) for v in output_layer.values()):.0e} for every k (rounding)")
    display(plots.truncation_error_plot(LENGTHS, fresh_errors,
                                        title="Truncated against full BPTT (an untrained model)"))


# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_written_question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Exercise 6 (2 points, graded by hand): what truncation gives up
#
# Answer in a few sentences, using the two figures of this section and the gradient-flow figure of
# section 4:
#
# 1. Truncated BPTT computes the forward pass exactly but not the gradient. Which dependencies can a
#    model trained with chunks of $k$ steps still *use* when it predicts, and which can it hardly *learn*?
# 2. Why does the truncation error shrink as $k$ grows, and why would it shrink faster for a network whose
#    gradients vanish quickly? What do you pay for a larger $k$?
#
# Write your answer in the cell below.

# %% [markdown] nbgrader={"grade": true, "grade_id": "nb03_written_answer", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# 1. The state is carried across chunks, so at prediction time the hidden state can hold information
#    from any distance, and it is used. But no gradient crosses a chunk boundary, so the weights are never
#    told how a choice made more than $k$ steps before a loss affected it: dependencies longer than
#    about $k$ steps get no direct learning signal. Shorter ones (within a chunk) are learned as with full
#    BPTT. (Long dependencies may still be picked up indirectly, if they help at short range too.)
# 2. The truncated gradient drops exactly the paths of the chain rule that span more than the distance to
#    the chunk start, i.e. the terms with products of more than about $k$ Jacobians
#    $\mathrm{diag}(f'(a_j))\,W_{hh}$. Every larger $k$ keeps more of them. When gradients vanish, those
#    long products are tiny anyway, so dropping them changes little and the error falls quickly with $k$.
#    A larger $k$ costs memory (caches of $k$ steps per row), fewer updates per pass over the data, and, if
#    gradients explode, larger and less stable gradients (hence clipping, next section).

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_clipping", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 8. Clipping, and training on real text
#
# When the Jacobian products grow instead of shrinking (the $s = 4$ curve of section 4), one chunk can
# produce an enormous gradient, and one step of gradient descent then throws the weights far away: the
# loss jumps, or becomes NaN. **Gradient norm clipping** (Pascanu, Mikolov and Bengio, 2013) caps the
# step: treat all the gradient arrays together as one vector $g$, and if its length $\|g\|$ exceeds a
# threshold, shrink it to that length without changing its direction:
#
# $$g \;\leftarrow\; g \cdot \frac{\text{max\_norm}}{\|g\|} \quad\text{if } \|g\| > \text{max\_norm}.$$
#
# ### Exercise 5 (2 points): `clip_grad_norm`
#
# Write `clip_grad_norm(grads, max_norm)`: `grads` is a dict name -> array (like `RNNLM.loss` returns).
# $\|g\|$ is the **global** norm, the square root of the sum of the squares of *all* entries of *all*
# arrays. Return a pair: a **new** dict with the (possibly) scaled arrays, leaving the input dict and its
# arrays unchanged, and the norm **before** clipping, as a float. Raise a `ValueError` if a gradient holds
# NaN or infinity (the norm is then not finite) or if `max_norm` is not a positive number.

# %% nbgrader={"grade": false, "grade_id": "nb03_clip_grad_norm", "locked": false, "schema_version": 3, "solution": true, "task": false}
def clip_grad_norm(grads: dict, max_norm: float) -> tuple[dict, float]:
    """Global norm clipping: scale every array by max_norm / ||g|| when ||g|| > max_norm.

    grads: dict name -> array. ||g|| = sqrt(sum of the squares of all entries of all arrays).
    Returns (a new dict of clipped arrays, ||g|| before clipping as a float); the input is unchanged.
    Raises ValueError if the norm is not finite (NaN or inf in a gradient) or max_norm is not > 0.
    """
    ### BEGIN SOLUTION
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.integer, np.floating)):
        raise ValueError(f"max_norm must be a positive number, got {max_norm!r}")
    if not (math.isfinite(max_norm) and max_norm > 0):
        raise ValueError(f"max_norm must be a positive number, got {max_norm!r}")
    norm = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads.values()))
    if not math.isfinite(norm):
        raise ValueError(f"the gradient norm is {norm}: a gradient holds NaN or inf")
    scale = max_norm / norm if norm > max_norm else 1.0
    return {name: g * scale for name, g in grads.items()}, norm
    ### END SOLUTION


# %%
rnnlm.check("nb03_clip_grad_norm")

# %% nbgrader={"grade": true, "grade_id": "nb03_clip_grad_norm_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks with hand-made gradients whose norms are easy: sqrt(3^2 + 4^2) = 5.
_grads = {"W": np.array([[3.0, 0.0]]), "b": np.array([4.0])}
_before = {k: v.copy() for k, v in _grads.items()}
_out = clip_grad_norm(_grads, 1.0)
assert isinstance(_out, tuple) and len(_out) == 2, "return a pair: (clipped dict, norm before clipping)"
_clipped, _norm = _out
assert isinstance(_clipped, dict) and set(_clipped) == {"W", "b"}, "return a dict with the same keys"
assert isinstance(_norm, float), f"the norm should be a float, got {type(_norm).__name__}"
assert not math.isclose(_norm, 4.0), (
    "the norm is the GLOBAL norm of all arrays together (5 here), not the largest array's")
assert math.isclose(_norm, 5.0), f"the global norm of these gradients is sqrt(3^2 + 4^2) = 5, got {_norm}"
assert all(np.array_equal(_grads[k], _before[k]) for k in _grads), (
    "the input gradients were changed: build new arrays (g * scale), do not scale in place")
assert not np.allclose(_clipped["W"], [[1.0, 0.0]]), (
    "each array was clipped by its own norm: scale ALL arrays by the same factor max_norm / global norm")
assert np.allclose(_clipped["W"], [[0.6, 0.0]]) and np.allclose(_clipped["b"], [0.8]), (
    f"with max_norm = 1 every array should be scaled by 1/5, got {_clipped}")
_same, _n = clip_grad_norm(_grads, 10.0)
_unchanged = np.allclose(_same["W"], _grads["W"]) and np.allclose(_same["b"], _grads["b"])
assert math.isclose(_n, 5.0) and _unchanged, (
    "below the threshold the gradients must not change (clip only when the norm exceeds max_norm)")
try:
    clip_grad_norm({"W": np.array([1.0, np.nan])}, 1.0)
except ValueError:
    pass
else:
    raise AssertionError("a NaN in a gradient should raise ValueError")
print("clip_grad_norm: visible checks passed")

### BEGIN HIDDEN TESTS
_rng_h = np.random.default_rng(707)
for _scale in (0.01, 1.0, 100.0):
    _gh = {k: _scale * _rng_h.standard_normal(s) for k, s in [("L", (5, 3)), ("W_hh", (4, 4)), ("b_h", (4,))]}
    for _mx in (0.5, 5.0, 1e6):
        _mine, _mn = clip_grad_norm(_gh, _mx)
        _ref, _rn = rnn_numpy.clip_grad_norm(_gh, _mx)
        assert math.isclose(_mn, _rn, rel_tol=1e-12), (_scale, _mx)
        assert set(_mine) == set(_ref)
        for _k in _ref:
            assert np.allclose(_mine[_k], _ref[_k], rtol=1e-12, atol=0), (_scale, _mx, _k)
        _after = math.sqrt(sum(float(np.sum(v * v)) for v in _mine.values()))
        assert _after <= _mx * (1 + 1e-9)
# exactly at the threshold: unchanged
_gh = {"a": np.array([3.0, 4.0])}
assert np.allclose(clip_grad_norm(_gh, 5.0)[0]["a"], [3.0, 4.0])
# a new dict is returned (the caller's dict is not reused)
_res_h = clip_grad_norm(_gh, 1.0)[0]
assert _res_h is not _gh and np.allclose(_gh["a"], [3.0, 4.0])
# zero gradients stay zero (no division by zero)
_z, _zn = clip_grad_norm({"a": np.zeros(3)}, 1.0)
assert _zn == 0.0 and np.all(_z["a"] == 0)
# infinities and bad thresholds
for _bad_g in ({"a": np.array([np.inf])}, {"a": np.array([1.0]), "b": np.array([-np.inf, 0.0])}):
    try:
        clip_grad_norm(_bad_g, 1.0)
    except ValueError:
        pass
    else:
        raise AssertionError(f"{_bad_g} should raise ValueError")
for _bad_m in (0.0, -1.0, float("nan")):
    try:
        clip_grad_norm({"a": np.ones(2)}, _bad_m)
    except ValueError:
        pass
    else:
        raise AssertionError(f"max_norm={_bad_m} should raise ValueError")
print("clip_grad_norm: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_loop", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **The training loop, written out.** The stream is cut into $B$ contiguous rows (`data.batchify`), read
# $T$ steps at a time (`data.bptt_batches`); the last state of one chunk is the initial state of the next.
# Each chunk: loss and gradients, clip, one step of gradient descent. (It calls
# `rnn_numpy.clip_grad_norm`: with the full kit the library's own, whatever your exercise 5 does; in a
# student bundle that is your exercise 5.)

# %%
with rnnlm.uses_exercises():  # runs your exercises in a student bundle
    B, T = 32, 32  # rows, steps per chunk (the truncation length)
    D, H = (32, 64) if FAST else (48, 128)  # embedding and hidden sizes
    LR, CLIP = 1.0, 5.0
    demo = RNNLM(V, D, H, seed=SEED)
    h = demo.init_state(B)  # zeros (B, H)
    for step, (x, y) in enumerate(data.bptt_batches(data.batchify(train_stream, B), T)):
        loss, grads, h = demo.loss(x, y, h0=h)  # from the carried state; h is now this chunk's last state
        grads, norm = rnn_numpy.clip_grad_norm(grads, CLIP)
        for name, g in grads.items():
            demo.params[name] -= LR * g
        if step % 5 == 0:
            print(f"step {step:3d}: loss {loss:.3f} nats/token, perplexity {math.exp(loss):6.2f}, "
                  f"gradient norm {norm:.2f}{' (clipped)' if norm > CLIP else ''}")
        if step == 25:
            break

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
# `rnnlm.rnn_numpy.train_numpy` is that loop with epochs around it: each epoch starts at a random offset
# in the text, measures the validation perplexity at its end, and halves the learning rate when the
# validation perplexity stops improving. We train a fresh model and follow the **loss** (mean
# cross-entropy, nats per token) and the **perplexity** $= e^{J}$ on the training and validation text. Two
# references: the uniform model ($V$) and a unigram model (the symbols' frequencies, no context at all).

# %%
with rnnlm.uses_exercises():  # runs your exercises in a student bundle
    EPOCHS = 5 if FAST else 10
    model = RNNLM(V, D, H, seed=SEED)
    print(model)
    history = rnn_numpy.train_numpy(model, train_stream, valid_stream, batch_size=B, seq_len=T, epochs=EPOCHS,
                                    lr=LR, optimizer="sgd", clip_norm=CLIP, seed=SEED, progress=not FAST)
    numpy_seconds = history.total_seconds
    numpy_test_ppl = model.perplexity(test_stream, batch_size=B, seq_len=64)
    counts = np.bincount(train_stream, minlength=V) + 1.0  # add-one unigram model
    unigram_ppl = float(np.exp(-np.mean(np.log(counts[valid_stream[1:]] / counts.sum()))))
    REFERENCES = {f"uniform (V = {V})": V, "unigram": unigram_ppl}
    print(f"{EPOCHS} epochs in {numpy_seconds:.1f} s; test perplexity {numpy_test_ppl:.2f} "
          f"(unigram {unigram_ppl:.2f}, uniform {V})")
    display(plots.training_curves_plot({"NumPy RNN": history}, references=REFERENCES,
                               title=f"Training a {H}-unit RNN on {CORPUS} with truncated BPTT (T = {T})"))

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_truncation_trained", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Back to truncation, with the trained model: how far from the full gradient are truncated gradients
# now? Training tends to shape the recurrence so that most of what matters is short-range, but the
# error falls only gradually with $k$: truncation is an approximation, not a free lunch.

# %%
with rnnlm.uses_exercises():  # runs your exercises in a student bundle
    trained_errors = truncation_errors(model, x_probe, y_probe, LENGTHS, names=("W_hh",))
    display(plots.truncation_error_plot(LENGTHS, {"W_hh, untrained": fresh_errors["W_hh"],
                                          "W_hh, trained": trained_errors["W_hh"]},
                                title="Truncated against full BPTT, before and after training"))

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_sampling", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 9. Letting the model write
#
# To generate, feed the model a prompt, draw the next symbol from its prediction $\hat y_t$, feed that
# symbol back in, and repeat. The **temperature** $\tau$ reshapes the prediction before drawing:
# $\operatorname{softmax}(s_t / \tau)$. Low temperatures sharpen it towards the single likeliest symbol
# (safe, repetitive text); high temperatures flatten it towards uniform (creative, then random). First the
# distribution after the prompt at three temperatures, then samples.

# %%
PROMPTS = {"tinyshakespeare": list("ROMEO:") + [vocab.eos_token], "ptb": list("the company said ")}
prompt = PROMPTS.get(CORPUS, splits["valid"][0][:3])
prompt_ids = vocab.encode(prompt)
scores, _ = model.forward(prompt_ids[None])  # (1, T0, V): the prediction after the prompt is the last
plots.temperature_plot(scores[0, -1], [0.5, 1.0, 2.0], labels=vocab.itos, top=12,
                       title=f"The next symbol after {decode(prompt_ids)!r}")

# %%
N_SAMPLE = 200 if FAST else 500
for temperature in (0.3, 0.7, 1.0, 1.5):
    ids = model.sample(N_SAMPLE, start_ids=prompt_ids, rng=SEED, temperature=temperature)
    print(f"----- temperature {temperature} -----")
    print(decode(prompt_ids) + decode(ids))

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_torch", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 10. The same model in PyTorch
#
# `rnnlm.rnn_torch.RNNLM` is the same network with the same parameter names and layout (`L`, `W_hx`, `W_hh`,
# `b_h`, `W_S`, `b_S`), so weights copy both ways. Its gradients come from **autograd**, which records the
# forward computation and runs the chain rule backwards, the BPTT of this notebook done automatically.
# It has two forward paths: `"explicit"`, a Python loop over time that reads like the NumPy code, and
# `"fast"`, PyTorch's fused `nn.RNN` (cuDNN on an NVIDIA GPU). `rnnlm.device()` picks a GPU when there is
# one (CUDA, then Apple's MPS), else the CPU.
#
# First, **agreement**: copy the trained NumPy weights into PyTorch (float64, so that the comparison is
# meaningful), compute the loss and gradients of one batch both ways, and compare, gradient by gradient.

# %%
import warnings

import torch

from rnnlm import rnn_torch
from rnnlm.train import TrainConfig, evaluate, train, train_step

with rnnlm.uses_exercises():  # runs your exercises in a student bundle
    # cuDNN remarks that the fast path's weights are separate tensors (they are: the model's own L, W_hx, ...)
    warnings.filterwarnings("ignore", message="RNN module weights are not part of single contiguous chunk")
    DEVICE = rnnlm.device()
    print(f"torch {torch.__version__}, device: {DEVICE}")

    x, y = next(data.bptt_batches(data.batchify(valid_stream, 8), 24))  # one batch (8, 24)
    np_loss, np_grads, _ = model.loss(x, y)
    setups = [("explicit loop, cpu", "cpu", "explicit"), ("nn.RNN, cpu", "cpu", "fast")]
    if DEVICE.type != "cpu":
        setups.append((f"nn.RNN, {DEVICE}", DEVICE, "fast"))
    agreement = {}
    for label, dev, path in setups:
        dtype = torch.float32 if torch.device(dev).type == "mps" else torch.float64  # MPS has no float64
        tm = rnn_torch.RNNLM.from_numpy_params(model.params, device=dev, dtype=dtype, path=path)
        t_loss, _ = tm.loss(torch.from_numpy(x), torch.from_numpy(y))
        t_loss.backward()  # autograd: BPTT done for us
        agreement[label] = {name: rel_error(getattr(tm, name).grad.cpu().double().numpy(), np_grads[name])
                            for name in rnn_torch.PARAM_NAMES}
        print(f"{label:<20} loss {t_loss.item():.12f} (NumPy {np_loss:.12f}); "
              f"worst gradient relative error {max(agreement[label].values()):.1e}")
    display(plots.gradient_check_plot(agreement,
                                      title="PyTorch autograd against the NumPy backward pass (float64)"))

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_speed", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Speed.** The time of one training step (forward, backward, clipping, update) on the same batch, as
# training tokens per second, for NumPy and for PyTorch's two paths (float32, the usual training
# precision; NumPy in float32 as well, for a fair comparison), on the CPU and, when there is one, on the
# GPU. Timings depend on the machine, so only the ratios measured here, side by side, mean anything.
# For a small model everything is dominated by the per-step overhead of the Python loop over time;
# the fused `nn.RNN` and a GPU pay off as the model grows.

# %%
with rnnlm.uses_exercises():  # runs your exercises in a student bundle
    REPEATS = 5 if FAST else 20

    def tokens_per_second(step, tokens, device="cpu"):
        # throughput of the fastest of REPEATS steps: the one least disturbed by other work on the machine
        sync = torch.cuda.synchronize if torch.device(device).type == "cuda" else (lambda: None)
        step()  # warm-up: first-call costs (memory, cuDNN plans) are not what we measure
        sync()
        best = math.inf
        for _ in range(REPEATS):
            start = time.perf_counter()
            step()
            sync()
            best = min(best, time.perf_counter() - start)
        return tokens / best

    def numpy_step(m, x, y):
        def step():
            _, grads, _ = m.loss(x, y)
            grads, _ = rnn_numpy.clip_grad_norm(grads, CLIP)
            for name, g in grads.items():
                m.params[name] -= 0.01 * g
        return step

    def torch_step(params, x, y, device, path):
        tm = rnn_torch.RNNLM.from_numpy_params(params, device=device, dtype=torch.float32, path=path)
        opt = torch.optim.SGD(tm.parameters(), lr=0.01)
        xt, yt = torch.from_numpy(x).to(tm.device), torch.from_numpy(y).to(tm.device)
        return lambda: train_step(tm, opt, xt, yt, None, clip=CLIP)

    speed = {}
    for H_s, B_s in [(H, B), (256, 64)]:
        x_s, y_s = rng.integers(0, V, (B_s, T)), rng.integers(0, V, (B_s, T))
        m64 = RNNLM(V, D, H_s, seed=SEED)
        m32 = RNNLM(V, D, H_s, seed=SEED, dtype=np.float32)
        runs = {"NumPy float64": tokens_per_second(numpy_step(m64, x_s, y_s), B_s * T),
                "NumPy float32": tokens_per_second(numpy_step(m32, x_s, y_s), B_s * T)}
        torch_setups = [("cpu", "explicit"), ("cpu", "fast")]
        if DEVICE.type != "cpu":
            torch_setups.append((DEVICE, "fast"))
        for dev, path in torch_setups:
            label = f"torch {path}, {dev}"
            runs[label] = tokens_per_second(torch_step(m32.params, x_s, y_s, dev, path), B_s * T, dev)
        speed[(H_s, B_s)] = runs
        display(plots.speed_plot(list(runs), list(runs.values()),
                                 title=f"One training step, H = {H_s}, B = {B_s}, T = {T}"))

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_torch_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Finally, train the PyTorch model with the kit's training loop `rnnlm.train.train`, on `DEVICE`: the same
# initial weights as the NumPy model (copied), the same data, truncation length, plain SGD, learning rate
# and clipping. The curves should nearly coincide (the NumPy trainer starts each epoch at a random offset
# and decays the learning rate with a slightly different rule); the printed times are the speed difference
# over a whole training run, evaluation included.

# %%
with rnnlm.uses_exercises():  # runs your exercises in a student bundle
    torch_model = rnn_torch.RNNLM.from_numpy_params(RNNLM(V, D, H, seed=SEED).params, device=DEVICE,
                                                    dtype=torch.float32)
    config = TrainConfig(epochs=EPOCHS, batch_size=B, seq_len=T, optimizer="sgd", lr=LR, clip=CLIP,
                         lr_decay=0.5, decay_threshold=0.003, restore_best_on_decay=False, patience=EPOCHS,
                         eval_batch_size=B, seed=SEED, progress=not FAST)
    torch_history = train(torch_model, train_stream, valid_stream, config)
    torch_test_ppl = evaluate(torch_model, test_stream, batch_size=B, seq_len=64)
    print(f"NumPy:   {numpy_seconds:6.1f} s for {EPOCHS} epochs, test perplexity {numpy_test_ppl:.2f}")
    print(f"PyTorch: {torch_history.total_seconds:6.1f} s for {len(torch_history)} epochs on {DEVICE}, "
          f"test perplexity {torch_test_ppl:.2f} "
          f"({numpy_seconds / torch_history.total_seconds:.1f}x the speed, "
          "evaluation included)")
    display(plots.training_curves_plot({"NumPy": history, f"PyTorch ({DEVICE})": torch_history},
                                       references=REFERENCES,
                                       title="The same model, trained in NumPy and in PyTorch"))

# %%
ids = torch_model.sample(N_SAMPLE, start_ids=prompt_ids, rng=SEED, temperature=0.7)
print(decode(prompt_ids) + decode(ids.numpy()))

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb03_summary", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Summary
#
# - The gradient of a shared weight is the sum over the time steps; the chain rule through time multiplies
#   the Jacobians $\operatorname{diag}(f'(a_t))\,W_{hh}$ of every step between a loss and the step it looks at.
# - BPTT computes all of it in one backward sweep: at each step the gradient reaching $h_t$ is its own plus
#   what flows back from $h_{t+1}$; one step's backward mirrors its forward.
# - Finite differences (centred, float64, relative error) are how you know a backward pass is right.
# - Truncated BPTT carries the state forward exactly but stops gradients at chunk boundaries; clipping the
#   global gradient norm keeps exploding gradients from wrecking a step.
# - PyTorch's autograd computes the same gradients as the hand-written backward pass, and runs the same
#   model faster, on a GPU when there is one.
