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

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # 04 · Vanishing and exploding gradients
#
# Notebook 03 carried the gradient backwards through time: from a loss at step $t$ back to step $k$
# the chain rule multiplies $t - k$ Jacobians, one per step, and they all contain the **same** matrix
# $W_{hh}$. This notebook is about what that product does over long distances, why a plain RNN
# therefore struggles to learn that a word depends on one read long before, and two remedies.
#
# In this notebook you will
#
# 1. see what multiplying by the same matrix again and again does;
# 2. write the **norms of the Jacobian products** $\partial h_T / \partial h_k$ for every distance, and
#    derive their bound $(\beta_W \beta_h)^{T-k}$;
# 3. measure them for sigmoid, tanh and ReLU networks whose $W_{hh}$ is scaled below and above the
#    critical value, against the bound: gradients **vanish** or **explode** exponentially;
# 4. watch a small RNN fail to recall a name ("Jane walked in ... John walked in ... Jane said hi to
#    ___") as the distance grows;
# 5. reproduce the lecture's two-layer network: the **sigmoid** starves its first layer of gradient,
#    **ReLU** does not;
# 6. meet the **cliff** of an exploding gradient on the error surface of a one-unit RNN, and see
#    **clipping** keep a step from flying off it; write element-wise clipping;
# 7. initialise $W_{hh}$ with the **identity** (the IRNN) and compare it with tanh and randomly
#    initialised ReLU RNNs on the **adding problem**, a task that needs memory over 100 steps.
#
# | exercise | you write | points |
# | --- | --- | --- |
# | 1 | `jacobian_product_norms(jacobians)` | 3 |
# | 2 | `clip_grad_value(grads, clip_value)` | 2 |
# | 3 | `identity_init(H, scale=1.0)` | 1 |
# | 4 | `adding_problem(n, T, rng)` | 3 |
#
# **How to work.** In each answer cell, replace `raise NotImplementedError()` with your code; keep the
# function's name and parameters (they are those of the library `rnnlm.pathologies`). Then run the cell
# right below it, `rnnlm.check("nb04_identity_init")` for exercise 3: it runs the exercise's visible
# checks and prints `PASSED`, or the first check that fails with a hint, without stopping the notebook.
# The test cell after it runs the same checks, and more (hidden) tests run when your notebook is
# graded. The demonstrations use the library: with the full kit they run even before you finish an
# exercise; in a student bundle the library runs your own functions, and a cell that needs an
# unfinished one says so and lets the notebook run on.
# A warning your code prints costs no points: the grader shows it in your feedback as a note.
#
# *Fast mode.* With the environment variable `RNNLM_FAST=1` the experiments shrink so that the whole
# notebook runs in well under a minute; the grader always uses it. Without it, expect five to ten
# minutes on a laptop CPU, most of it the name task (section 4) and the adding problem (section 8),
# which then trains on sequences of 100 steps.

# %% nbgrader={"grade": false, "grade_id": "nb04_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# %matplotlib inline
import math
import time

import numpy as np
import torch

import rnnlm
from rnnlm import data, pathologies, plots, rnn_numpy, rnn_torch
from rnnlm.embedded import embedded_splits
from rnnlm.pathologies import (
    derivative_bound,
    gaussian_init,
    orthogonal_init,
    recurrence,
    single_unit_gradient,
    single_unit_loss,
    step_jacobians,
    with_spectral_norm,
)

FAST = rnnlm.fast_mode()
SEED = 0
rng = np.random.default_rng(SEED)
torch.set_num_threads(1)  # the models here are tiny: one thread is fastest, and leaves the others free
DEVICE = rnnlm.device()
print(f"rnnlm {rnnlm.__version__}, fast mode: {FAST}, device: {DEVICE}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_same_matrix", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. The same matrix at every step
#
# Strip the recurrence of its input and its nonlinearity: $h_t = W h_{t-1}$, so $h_t = W^t h_0$. Write
# $h_0$ in the eigenvectors of $W$, $h_0 = \sum_i c_i v_i$; then $W^t h_0 = \sum_i c_i \lambda_i^t v_i$. Each
# component is multiplied by its eigenvalue once per step, so after many steps the state is dominated by
# the largest $|\lambda_i|$, the **spectral radius** $\rho(W)$: it shrinks to zero exponentially when
# $\rho < 1$ and grows without bound when $\rho > 1$. Backpropagation through time multiplies by the
# transposed matrices instead, and the same thing happens to the gradient. Below, one random matrix
# rescaled to three spectral radii, and the length of $W^t v$.

# %%
W_rand = gaussian_init(8, rng=SEED)
radius = np.abs(np.linalg.eigvals(W_rand)).max()
v = rng.standard_normal(8)
for rho in (0.9, 1.0, 1.1):
    W_rho = W_rand * (rho / radius)
    lengths = {t: np.linalg.norm(np.linalg.matrix_power(W_rho, t) @ v) for t in (1, 10, 50, 100)}
    print(f"spectral radius {rho}: " + ", ".join(f"||W^{t} v|| = {n:.3g}" for t, n in lengths.items()))

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_jacobians", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. The Jacobian chain and its bound
#
# With the input, the bias and a nonlinearity $f$ back in, one step is
# $z_t = W_{hh} h_{t-1} + W_{hx} x_t + b_h$, $h_t = f(z_t)$ (column vectors, as in the lecture). Its
# Jacobian, the matrix of $\partial h_t[i] / \partial h_{t-1}[j]$, is
#
# $$J_t \;=\; \frac{\partial h_t}{\partial h_{t-1}} \;=\; \operatorname{diag}\big(f'(z_t)\big)\, W_{hh},
# \qquad J_t[i, j] = f'(z_t[i])\, W_{hh}[i, j] = \frac{\partial h_t[i]}{\partial h_{t-1}[j]},$$
#
# and the gradient from a loss at step $T$ reaches the state $h_k$ through the product
#
# $$\frac{\partial h_T}{\partial h_k} \;=\; J_T\, J_{T-1} \cdots J_{k+1} \qquad (T - k \text{ factors, the latest on the left}).$$
#
# (The kit's code works with row vectors and the layout of notebook 03; a gradient row vector then flows
# back one step as `dh_prev = dh @ J_t`, which is what `rnn_step_backward` computes. The Jacobians
# themselves are the same matrices.)
#
# **The bound.** The spectral norm $\|A\|_2$, the largest singular value of $A$, is how much $A$ can
# stretch a vector, and $\|AB\|_2 \le \|A\|_2 \|B\|_2$. Let $\beta_W = \|W_{hh}\|_2$ and let $\beta_h$ bound
# $|f'|$: $\beta_h = 1/4$ for the sigmoid (its derivative peaks at $z = 0$), $1$ for tanh and for ReLU.
# Then $\|\operatorname{diag}(f'(z_t))\|_2 \le \beta_h$, every $\|J_t\|_2 \le \beta_W \beta_h$, and
#
# $$\Big\|\frac{\partial h_T}{\partial h_k}\Big\|_2 \;\le\; (\beta_W\, \beta_h)^{T-k}.$$
#
# When $\beta_W \beta_h < 1$ the long-range gradient **vanishes** exponentially with the distance, whatever
# the inputs: $\beta_W < 1/\beta_h$ (4 for the sigmoid, 1 for tanh and ReLU) is *sufficient*. When
# $\beta_W \beta_h > 1$ the bound allows it to **explode**; that is *necessary*, not sufficient: the
# derivatives $f'$ along the way may still make the product small (Pascanu, Mikolov and Bengio, 2013).
#
# `rnnlm.pathologies.step_jacobians(W_hh, inputs, activation)` runs the recurrence on given input drives
# $u_t = W_{hx} x_t + b_h$ (an array (T, H), one row per step) and returns every step's Jacobian in one
# array (T, H, H): `jacobians[t - 1]` is $J_t$.
#
# ### Exercise 1 (3 points): `jacobian_product_norms`
#
# Write `jacobian_product_norms(jacobians)`. `jacobians` is a NumPy float array of shape (T, H, H) with
# T ≥ 1: `jacobians[t - 1]` is $J_t$, with the layout above, `jacobians[t - 1][i, j]` $= \partial h_t[i] /
# \partial h_{t-1}[j]$. Return a NumPy float array `norms` of shape (T + 1,) where `norms[d]` is the
# spectral norm of $\partial h_T / \partial h_{T-d} = J_T J_{T-1} \cdots J_{T-d+1}$ for every distance
# d = 0, 1, ..., T; `norms[0]` belongs to the empty product, the identity, and is 1. The spectral norm
# is `np.linalg.norm(A, ord=2)` (not the default, which is the Frobenius norm). (Each product is the one
# before times one more factor, so T matrix products suffice.) Do not modify `jacobians`. Raise a `ValueError` if `jacobians` is not 3-dimensional, if its last two
# dimensions differ, or if T = 0.

# %% nbgrader={"grade": false, "grade_id": "nb04_jacobian_product_norms", "locked": false, "schema_version": 3, "solution": true, "task": false}
def jacobian_product_norms(jacobians: np.ndarray) -> np.ndarray:
    """Spectral norms of dh_T / dh_{T-d} = J_T @ J_{T-1} @ ... @ J_{T-d+1} for d = 0..T.

    jacobians: (T, H, H) float array, jacobians[t - 1] = J_t = dh_t / dh_{t-1} (output index first).
    Returns a float array (T + 1,); entry 0 (the identity) is 1. jacobians is not modified.
    Raises ValueError unless jacobians has shape (T, H, H) with T >= 1.
    """
    ### BEGIN SOLUTION
    J = np.asarray(jacobians)
    if J.ndim != 3 or J.shape[1] != J.shape[2] or J.shape[0] == 0:
        raise ValueError(f"jacobians must have shape (T, H, H) with T >= 1, got {J.shape}")
    T, H = J.shape[0], J.shape[1]
    norms = np.ones(T + 1)
    product = np.eye(H)
    for d in range(1, T + 1):
        product = product @ J[T - d]  # dh_T/dh_{T-d} = (dh_T/dh_{T-d+1}) @ J_{T-d+1}
        norms[d] = np.linalg.norm(product, ord=2)
    return norms
    ### END SOLUTION


# %%
rnnlm.check("nb04_jacobian_product_norms")

# %% nbgrader={"grade": true, "grade_id": "nb04_jacobian_product_norms_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Visible checks: products whose norms are known, then finite differences of the recurrence itself.
_Q = orthogonal_init(4, rng=1)
_J = np.stack([0.5 * _Q, 2.0 * _Q.T, 3.0 * np.eye(4)])  # J_1, J_2, J_3: every singular value is the factor
_J_before = _J.copy()
_out = jacobian_product_norms(_J)
assert isinstance(_out, np.ndarray), f"return a NumPy array, got {type(_out).__name__}"
assert _out.shape == (4,), (
    f"for T = 3 steps return T + 1 = 4 norms (distances 0, 1, 2, 3), got shape {_out.shape}"
    + ("; include d = 0, the identity, whose norm is 1" if _out.shape == (3,) else ""))
assert np.array_equal(_J, _J_before), "jacobians was modified: build the products in a new array"
assert math.isclose(_out[0], 1.0), f"norms[0] is the norm of the identity (no step at all), 1; got {_out[0]}"
assert not np.allclose(_out, [2.0, 6.0, 12.0, 6.0]), (
    "that is the Frobenius norm (np.linalg.norm's default): use the spectral norm, np.linalg.norm(A, ord=2)")
assert not np.allclose(_out[1], 0.5), (
    "norms[1] must be ||J_T|| = ||jacobians[-1]||: the distances count back from the last step")
assert np.allclose(_out, [1.0, 3.0, 6.0, 3.0]), (
    f"with J_t = c_t times an orthogonal matrix, ||J_3 J_2 ... || is the product of the c_t: expected "
    f"[1, 3, 6, 3], got {np.round(_out, 6).tolist()}")
_A, _B = np.array([[3.0, 0.0], [0.0, 0.0]]), np.array([[0.0, 2.0], [0.0, 0.0]])
_ordered = jacobian_product_norms(np.stack([_B, _A]))  # J_1 = B, J_2 = A: dh_2/dh_0 = A @ B, norm 6
assert not np.allclose(_ordered[2], 0.0), (
    "dh_T/dh_0 = J_2 @ J_1 here has norm 6, but you returned 0, the norm of J_1 @ J_2: the latest "
    "Jacobian goes on the left, so each new (earlier) factor joins the product on the right")
assert np.allclose(_ordered, [1.0, 3.0, 6.0]), f"expected [1, 3, 6], got {np.round(_ordered, 6).tolist()}"
# against finite differences: d h_T / d h_k, column by column, straight from the recurrence
_r = np.random.default_rng(4)
_W = with_spectral_norm(_r.standard_normal((5, 5)), 1.5)
_u = 0.5 * _r.standard_normal((8, 5))
_h, _ = recurrence(_W, _u, "tanh")
_norms = np.asarray(jacobian_product_norms(step_jacobians(_W, _u, "tanh")))
for _k in (0, 3, 7):
    _fd = np.empty((5, 5))
    for _j in range(5):
        _e = np.zeros(5)
        _e[_j] = 1e-6
        _plus = recurrence(_W, _u[_k:], "tanh", _h[_k] + _e)[0][-1]
        _minus = recurrence(_W, _u[_k:], "tanh", _h[_k] - _e)[0][-1]
        _fd[:, _j] = (_plus - _minus) / 2e-6
    _want = np.linalg.norm(_fd, ord=2)
    assert abs(_norms[8 - _k] - _want) <= 1e-6 * max(1.0, _want), (
        f"at distance {8 - _k} (T = 8, k = {_k}) finite differences of the recurrence give "
        f"||dh_T/dh_k|| = {_want:.6f}, your norms[{8 - _k}] = {_norms[8 - _k]:.6f}")
try:
    jacobian_product_norms(np.ones((3, 3)))
except ValueError:
    pass
else:
    raise AssertionError("a 2-D array (not (T, H, H)) should raise ValueError")
print("jacobian_product_norms: visible checks passed")

### BEGIN HIDDEN TESTS
_rng_h = np.random.default_rng(404)
for (_T, _H) in [(1, 1), (1, 3), (7, 5), (30, 3), (12, 8)]:
    _Jh = _rng_h.standard_normal((_T, _H, _H)) * 0.7
    _copy = _Jh.copy()
    _mine = np.asarray(jacobian_product_norms(_Jh), dtype=float)
    _ref = pathologies.jacobian_product_norms(_copy)
    assert np.array_equal(_Jh, _copy), "jacobians must not be modified"
    assert _mine.shape == _ref.shape, (_T, _H, _mine.shape)
    assert np.allclose(_mine, _ref, rtol=1e-9, atol=1e-300), (_T, _H)
# Jacobians of real recurrences, every activation, vanishing and exploding
for _act, _beta in [("sigmoid", 2.0), ("sigmoid", 8.0), ("tanh", 0.5), ("tanh", 3.0), ("relu", 2.5)]:
    _Wh = with_spectral_norm(_rng_h.standard_normal((6, 6)), _beta)
    _Jh = step_jacobians(_Wh, 0.3 * _rng_h.standard_normal((40, 6)), _act)
    _mine = np.asarray(jacobian_product_norms(_Jh), dtype=float)
    _ref = pathologies.jacobian_product_norms(_Jh)
    assert np.allclose(_mine, _ref, rtol=1e-8, atol=1e-300), (_act, _beta)
    _rate = pathologies.spectral_norm(_Wh) * derivative_bound(_act)
    assert np.all(_mine <= _rate ** np.arange(41) * (1 + 1e-9))
for _bad in (np.zeros((0, 2, 2)), np.zeros((3, 2, 3)), np.zeros(4), np.zeros((2, 2, 2, 2))):
    try:
        jacobian_product_norms(_bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"shape {_bad.shape} should raise ValueError")
print("jacobian_product_norms: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_measured", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. Measured: vanishing below the critical value, exploding above it
#
# `pathologies.gradient_norms_by_distance(W_hh, inputs, activation)` runs the recurrence, takes the step
# Jacobians and returns their product norms (through `jacobian_product_norms`: with the full kit the
# library's own, whatever your exercise 1 does; in a student bundle, yours) beside the bound
# $(\beta_W \beta_h)^d$. We take one random orthogonal matrix, so that *every* singular value of
# $\beta_W Q$ is $\beta_W$, scale it below, at and above the critical value $1/\beta_h$ for each
# activation, and feed 60 steps of small random drives.

# %%
with rnnlm.uses_exercises():  # runs your exercise 1 in a student bundle
    H_DEMO, T_DEMO = 32, 60
    Q = orthogonal_init(H_DEMO, rng=SEED)
    drives = 0.1 * rng.standard_normal((T_DEMO, H_DEMO))
    SCALES = {"sigmoid": (2.0, 4.0, 8.0), "tanh": (0.5, 1.0, 2.0), "relu": (0.5, 1.0, 2.0)}
    measured = {act: {f"beta_W = {b:g}": pathologies.gradient_norms_by_distance(b * Q, drives, act)
                      for b in betas} for act, betas in SCALES.items()}
    for act, curves in measured.items():
        print(f"{act:8s} (beta_h = {derivative_bound(act):g}): " + "; ".join(
            f"{label}: ||dh_T/dh_(T-{T_DEMO})|| = {g.norm[-1]:.1e} (bound {g.bound[-1]:.1e})"
            for label, g in curves.items()))
    display(plots.gradient_norm_distance_plot(
        measured, critical={act: 1 / derivative_bound(act) for act in SCALES},
        title=f"||dh_T / dh_k|| against the distance, {H_DEMO} units, W_hh = beta_W x orthogonal"))

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_measured_after", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Every solid curve stays under its dashed bound. Below the critical value the norm falls
# exponentially, faster than the bound since $|f'|$ is mostly below its maximum; at the critical value
# the bound is flat but the norm still decays (the states move away from where $f'$ peaks); above
# it the norm can grow exponentially, here for every activation, though far more slowly than the
# bound. A gradient that reaches step $k$ through $\partial h_T / \partial h_k$ is a sum of such
# terms, one per distance: the long-range ones are either negligible or dominate everything.

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_names", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. Why it matters: "Jane walked in ... Jane said hi to ___"
#
# The lecture's example: *"Jane walked into the room. John walked in too. It was late in the day.
# Jane said hi to ___"*. To fill the gap a model must carry *John* across every word in between, and to
# *learn* to do so it needs the gradient of that prediction to reach the step where it read the name.
#
# `pathologies.name_recall_task(n, distance)` builds such examples from the kit's embedded corpus:
# `A walked in <eos> B walked in again <eos> <filler sentences> B smiled at A`, two different names A and
# B, filler sentences of the corpus that mention neither, and the answer A `distance` tokens after its
# first mention. For each distance we train a fresh small tanh RNN (`rnnlm.rnn_torch.RNNLM`, the model
# of notebook 03) with the same budget, its loss the cross-entropy of the answer alone (a mask), and
# count how often it puts A first among the 20 names on new examples. Chance is 1/20.

# %%
vocab = data.Vocab.build(embedded_splits()["train"])
example = pathologies.name_recall_task(1, 24, vocab=vocab, rng=SEED)
print(f"distance {example.distance}: {example.decode(0)}")

BATCH, N_TEST = 32, 500
STEPS = 300 if FAST else 1000  # training steps per run
DISTANCES = (12, 16, 24, 40) if FAST else (12, 16, 24, 32, 48, 64)
RUNS = 1 if FAST else 4  # independent runs (seeds) per distance


def recall_accuracy(distance, steps, seed=SEED):
    # a fresh tanh RNN trained on the task at one distance; its accuracy on new examples
    gen = np.random.default_rng([seed, distance])
    task = pathologies.name_recall_task(BATCH * steps, distance, vocab=vocab, rng=gen, pool_size=1000)
    test = pathologies.name_recall_task(N_TEST, distance, vocab=vocab, rng=gen, pool_size=1000)
    model = rnn_torch.RNNLM(len(vocab), 32, 64, "tanh", init_range=0.5, seed=seed, device=DEVICE)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    answer_only = torch.zeros((BATCH, distance), dtype=torch.bool, device=DEVICE)
    answer_only[:, -1] = True  # the loss of the last prediction, the name, alone
    for s in range(steps):
        rows = slice(s * BATCH, (s + 1) * BATCH)
        x = torch.from_numpy(task.inputs[rows]).to(DEVICE)
        y = torch.from_numpy(task.targets[rows]).to(DEVICE)
        loss, _ = model.loss(x, y, mask=answer_only)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    return pathologies.name_recall_accuracy(model, test, among="names"), len(test.names)


start = time.perf_counter()
recall = np.empty((RUNS, len(DISTANCES)))  # recall[run, i]: the accuracy of run `run` at DISTANCES[i]
for i, distance in enumerate(DISTANCES):
    for run in range(RUNS):
        recall[run, i], n_names = recall_accuracy(distance, STEPS, seed=SEED + run)
    print(f"distance {distance:2d}: accuracy {np.round(recall[:, i], 2).tolist()}")
print(f"{recall.size} models of {STEPS} steps in {time.perf_counter() - start:.1f} s")
plots.name_recall_plot(DISTANCES, {"tanh RNN": recall}, chance={"tanh RNN": 1 / n_names},
                       title=f"Recalling a name: fresh small RNNs, {STEPS} training steps each")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_names_after", "locked": true, "schema_version": 3, "solution": false, "task": false}
# With no filler at all (distance 12) the network learns the task easily; every few extra tokens make it
# harder, and beyond a few dozen the same budget mostly leaves it at chance. A run either escapes the
# plateau of "any name will do" within its budget or does not, so single runs are noisy (fast mode shows
# one per distance; the full run four, and their mean). Nothing about the *forward* pass stops
# the model from carrying the name: it has the capacity. What fails is learning: the only signal that
# tells the weights to keep A is the gradient of the answer's loss, and it reaches the step that read A
# through the product of section 3.

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_two_layer", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. Not only through time: sigmoid against ReLU in a two-layer network
#
# The same product appears in any deep network: the gradient reaching a layer has been multiplied by
# the Jacobian of every layer above it, each with its $\operatorname{diag}(f')$. The lecture shows it on a
# small network with two hidden layers trained on a 2-D spiral (three classes no linear model separates),
# with the lecture's settings: weights from $N(0, 0.1^2)$, learning rate 0.1, a little L2 penalty.
# `pathologies.two_layer_gradient_magnitudes(activation)` trains it by full-batch gradient descent and
# records, at every iteration, the mean $|\partial L / \partial W|$ of the first hidden layer's weights
# $W_1$ and of the second's $W_2$. On its way down from the output the gradient crosses one
# $\operatorname{diag}(f')$ to reach $W_2$ and two to reach $W_1$: each at most $1/4$ for the sigmoid,
# 0 or 1 for ReLU.

# %%
ITERATIONS = 1500 if FAST else 10_000
layer_runs = {act: pathologies.two_layer_gradient_magnitudes(act, iterations=ITERATIONS, seed=SEED)
              for act in ("sigmoid", "relu")}
for act, run in layer_runs.items():
    print(f"{act:8s}: over the first 1000 iterations, median mean |dL/dW| of layer 1 "
          f"{np.median(run.layer1[:1000]):.1e}, of layer 2 {np.median(run.layer2[:1000]):.1e}; loss at "
          f"iteration 1000 {run.loss[999]:.2f} (chance: log 3 = {math.log(3):.2f}); after {ITERATIONS}: "
          f"loss {run.loss[-1]:.2f}, training accuracy {run.accuracy:.2f}")
plots.layer_gradients_plot(layer_runs, title="Two hidden layers on a spiral: sigmoid against ReLU")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_two_layer_after", "locked": true, "schema_version": 3, "solution": false, "task": false}
# At the start the sigmoid network's gradients are about ten times smaller than the ReLU network's, in
# both layers, and for the first couple of thousand iterations its loss stays at chance level,
# $\log 3$: the signal that would move its weights has been divided by four or more at each layer it
# crossed. The ReLU network learns at once; once it fits the spiral its gradients shrink, as there is
# little left to learn. (In the full run you can watch the sigmoid network leave its plateau at last,
# in bursts of larger gradients, and still end far behind.) Stack more layers, or more time steps, and
# the sigmoid's factor compounds: $(1/4)^{\text{depth}}$ at best.
#
# (Which of the two layers gets the larger *per-entry* gradient depends on more than the depth: an
# entry of $\partial L / \partial W_1$ sums the gradient times the inputs $x$, which are centred on 0,
# one of $W_2$ times the sigmoid outputs, all positive. Compare each layer across the two networks.)

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_cliff", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. Exploding gradients: the cliff, and clipping
#
# Pascanu, Mikolov and Bengio (2013) study the smallest possible RNN: one unit,
# $x_t = w\,\sigma(x_{t-1}) + b$, from $x_0 = 0.5$ for 50 steps, with the error
# $E = (\sigma(x_{50}) - 0.7)^2$. For most $(w, b)$ the unit settles to a fixed point and the error
# changes smoothly with the parameters. But where a small change of $(w, b)$ switches which fixed point
# the unit settles to, $E$ jumps: the error surface has a **cliff**, a wall along which the gradient is
# enormous (the product of 50 Jacobians, each $w\,\sigma'$, explodes there). The surface, from
# `pathologies.single_unit_error_surface`:

# %%
ws_wide, bs_wide = np.linspace(-1.0, 8.0, 181), np.linspace(-5.0, 2.0, 141)
E_wide = pathologies.single_unit_error_surface(ws_wide, bs_wide)
plots.error_surface_plot(ws_wide, bs_wide, E_wide, title="The single-unit RNN: a valley beside a cliff")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_descent", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Plain gradient descent from a point just beside the cliff, `pathologies.single_unit_descent()`: it walks
# down the valley towards the edge, where the error is lowest, until one step lands on the wall. There
# the gradient's norm is in the thousands, and the next step throws $(w, b)$ far away, onto a plateau it
# never leaves. The lecture's remedy is **norm clipping** (notebook 03's exercise 5): when
# $\|g\| > c$, use $g \cdot c / \|g\|$. The direction is kept, only the step is shortened, so no step is
# longer than the learning rate times $c$.

# %%
plain = pathologies.single_unit_descent(iterations=80)
norm_clipped = pathologies.single_unit_descent(iterations=80, clip=1.0)
jump = int(np.argmax(plain.step_sizes))
print(f"no clipping: at iteration {jump} the gradient norm is {plain.grad_norm[jump]:.0f}, the step "
      f"{plain.step_sizes[jump]:.0f} long, to (w, b) = ({plain.w[jump + 1]:.0f}, {plain.b[jump + 1]:.0f}); "
      f"final error {plain.loss[-1]:.3f}")
print(f"norm clipped at 1: the longest step is {norm_clipped.step_sizes.max():.3f}, it stays beside the "
      f"cliff (|w|, |b| <= {np.abs(norm_clipped.params).max():.2f}); "
      f"lowest error {norm_clipped.loss.min():.4f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_value_clipping", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Clipping by value** is the other common recipe (`torch.nn.utils.clip_grad_value_`): clamp every
# entry of every gradient to $[-c, c]$ on its own. It bounds each step too (by $c\sqrt{n}$ times the
# learning rate for $n$ parameters), but as soon as one entry is clamped and another is not, it also
# **changes the direction** of the step.
#
# ### Exercise 2 (2 points): `clip_grad_value`
#
# Write `clip_grad_value(grads, clip_value)`. `grads` is a dict name -> NumPy float array (any number of
# dimensions), like the gradients of notebook 03; `clip_value` is the threshold $c$. Return a pair:
#
# - a **new** dict with the same keys, each array replaced by a new one of the same shape in which
#   every entry above $c$ is $c$, every entry below $-c$ is $-c$, and every entry in $[-c, c]$ is
#   unchanged; leave the input dict and its arrays unchanged;
# - the largest absolute value of any entry of any array **before** clipping, as a float.
#
# Raise a `ValueError` if an array holds NaN or infinity, or if `clip_value` is not a positive finite
# number (0, a negative number, infinity and NaN are not). `np.clip(g, -c, c)` clamps an array.

# %% nbgrader={"grade": false, "grade_id": "nb04_clip_grad_value", "locked": false, "schema_version": 3, "solution": true, "task": false}
def clip_grad_value(grads: dict, clip_value: float) -> tuple[dict, float]:
    """Element-wise clipping: every entry of every array clamped to [-clip_value, clip_value].

    grads: dict name -> float array (any shape). clip_value: c > 0, finite.
    Returns (a new dict of new clipped arrays, the largest |entry| before clipping as a float);
    the input is unchanged. Raises ValueError for NaN or inf in a gradient, or a bad clip_value.
    """
    ### BEGIN SOLUTION
    if not (math.isfinite(clip_value) and clip_value > 0):
        raise ValueError(f"clip_value must be a positive finite number, got {clip_value!r}")
    largest = 0.0
    for name, g in grads.items():
        if not np.all(np.isfinite(g)):
            raise ValueError(f"the gradient {name!r} holds NaN or inf")
        if np.size(g):
            largest = max(largest, float(np.max(np.abs(g))))
    return {name: np.clip(g, -clip_value, clip_value) for name, g in grads.items()}, largest
    ### END SOLUTION


# %%
rnnlm.check("nb04_clip_grad_value")

# %% nbgrader={"grade": true, "grade_id": "nb04_clip_grad_value_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks with hand-made gradients.
_grads = {"W": np.array([[3.0, -0.5], [-4.0, 0.2]]), "b": np.array([0.1, 5.0])}
_before = {k: v.copy() for k, v in _grads.items()}
_out = clip_grad_value(_grads, 1.0)
assert isinstance(_out, tuple) and len(_out) == 2, "return a pair: (clipped dict, largest |entry| before)"
_clipped, _largest = _out
assert isinstance(_clipped, dict) and set(_clipped) == {"W", "b"}, "return a dict with the same keys"
assert _clipped is not _grads, "return a new dict, not the input dict"
assert all(np.array_equal(_grads[k], _before[k]) for k in _grads), (
    "the input gradients were changed: clip into new arrays (np.clip(g, -c, c) makes one), not in place")
assert all(np.shape(_clipped[k]) == _grads[k].shape for k in _grads), "each clipped array keeps its shape"
_W, _b = np.asarray(_clipped["W"]), np.asarray(_clipped["b"])
_norm = math.sqrt(sum(float(np.sum(v**2)) for v in _before.values()))
assert not (np.allclose(_b, _before["b"] / _norm) or np.allclose(_b, _before["b"] / 5.0)), (
    "every entry was scaled by one factor (that is norm clipping): clamp each entry on its own instead")
assert not np.allclose(_W, [[1.0, -1.0], [-1.0, 1.0]]), (
    "entries inside [-c, c] (-0.5, 0.2, 0.1) must stay as they are; only larger ones are clamped")
assert not np.allclose(_W, [[1.0, -0.5], [-4.0, 0.2]]), "clamp from below too: entries below -c become -c"
assert np.allclose(_W, [[1.0, -0.5], [-1.0, 0.2]]) and np.allclose(_b, [0.1, 1.0]), (
    f"with c = 1 expected W = [[1, -0.5], [-1, 0.2]] and b = [0.1, 1], got {_W.tolist()} and {_b.tolist()}")
assert isinstance(_largest, float), f"the largest |entry| should be a float, got {type(_largest).__name__}"
assert not math.isclose(_largest, 1.0), "return the largest |entry| BEFORE clipping (5 here), not after"
assert not math.isclose(_largest, 3.0), (
    "the largest |entry| is taken over absolute values (|-4| > 3) and over all arrays (5 in b)")
assert math.isclose(_largest, 5.0), f"the largest |entry| of these gradients is 5, got {_largest}"
_same, _ = clip_grad_value(_grads, 10.0)
assert all(np.array_equal(_same[k], _grads[k]) for k in _grads), "below the threshold nothing changes"
for _bad_g, _bad_c, _what in [({"W": np.array([1.0, np.nan])}, 1.0, "a NaN in a gradient"),
                              ({"W": np.array([1.0])}, 0.0, "clip_value = 0")]:
    try:
        clip_grad_value(_bad_g, _bad_c)
    except ValueError:
        pass
    else:
        raise AssertionError(f"{_what} should raise ValueError")
print("clip_grad_value: visible checks passed")

### BEGIN HIDDEN TESTS
_rng_h = np.random.default_rng(505)
for _ in range(20):
    _gh = {k: _rng_h.standard_normal(s) * 10 ** _rng_h.uniform(-2, 2)
           for k, s in [("L", (5, 3)), ("W_hh", (4, 4)), ("b_h", (4,)), ("T", (2, 3, 2))]}
    _copies = {k: v.copy() for k, v in _gh.items()}
    _c = 10 ** _rng_h.uniform(-2, 2)
    _mine, _ml = clip_grad_value(_gh, _c)
    _ref, _rl = pathologies.clip_grad_value(_copies, _c)
    assert math.isclose(_ml, _rl, rel_tol=1e-12), (_ml, _rl)
    assert set(_mine) == set(_ref)
    for _k in _ref:
        assert np.asarray(_mine[_k]).shape == _ref[_k].shape, _k
        assert np.array_equal(np.asarray(_mine[_k]), _ref[_k]), _k
        assert np.array_equal(_gh[_k], _copies[_k]), "the input must not change"
# exactly at the threshold: kept; a new dict even when nothing is clipped
_gh = {"a": np.array([-2.0, 2.0, 0.0])}
_res, _l = clip_grad_value(_gh, 2.0)
assert _res is not _gh and np.array_equal(np.asarray(_res["a"]), [-2.0, 2.0, 0.0]) and _l == 2.0
_res, _l = clip_grad_value(_gh, 2)  # an int threshold
assert np.array_equal(np.asarray(_res["a"]), [-2.0, 2.0, 0.0]) and _l == 2.0
for _bad_g in ({"a": np.array([np.inf])}, {"a": np.array([1.0]), "b": np.array([[0.0, -np.inf]])},
               {"a": np.array([[np.nan]])}):
    try:
        clip_grad_value(_bad_g, 1.0)
    except ValueError:
        pass
    else:
        raise AssertionError(f"{_bad_g} should raise ValueError")
for _bad_c in (0.0, -1.0, float("inf"), float("nan"), -0.5):
    try:
        clip_grad_value({"a": np.ones(2)}, _bad_c)
    except ValueError:
        pass
    else:
        raise AssertionError(f"clip_value={_bad_c} should raise ValueError")
print("clip_grad_value: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_clipping_compared", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The two recipes on one gradient, then gradient descent on the single unit with your value clipping
# (the cell waits for exercise 2), beside the plain and the norm-clipped paths, in a window around the
# start: the unclipped path leaves it when it is thrown off the cliff.

# %%
with rnnlm.uses_exercises():  # runs your exercise 2
    g = {"w": np.array([3.0]), "b": np.array([0.1])}
    by_value, _ = clip_grad_value(g, 1.0)
    by_norm, _ = rnn_numpy.clip_grad_norm(g, 1.0)  # notebook 03's norm clipping
    print(f"gradient      (w, b) = ({g['w'][0]:.3f}, {g['b'][0]:.3f})")
    print(f"value-clipped (w, b) = ({by_value['w'][0]:.3f}, {by_value['b'][0]:.3f})   direction changed")
    print(f"norm-clipped  (w, b) = ({by_norm['w'][0]:.3f}, {by_norm['b'][0]:.3f})   direction kept")

    def value_clipped_descent(start, lr, iterations, clip_value):
        # plain gradient descent on the single unit, every gradient clipped by your clip_grad_value
        params = [np.array(start, dtype=float)]
        losses = []
        for _ in range(iterations):
            E, dw, db = single_unit_gradient(*params[-1])
            losses.append(E)
            clipped, _ = clip_grad_value({"w": np.array([dw]), "b": np.array([db])}, clip_value)
            params.append(params[-1] - lr * np.array([clipped["w"][0], clipped["b"][0]]))
        losses.append(single_unit_loss(*params[-1]))
        path = np.array(params)
        return path[:, 0], path[:, 1], np.array(losses)

    value_path = value_clipped_descent(pathologies.SINGLE_UNIT_START, pathologies.SINGLE_UNIT_LR, 80, 1.0)
    farthest = max(np.abs(value_path[0]).max(), np.abs(value_path[1]).max())
    print(f"value clipped at 1: stays beside the cliff (|w|, |b| <= {farthest:.2f}); "
          f"lowest error {value_path[2].min():.4f}")
    ws_zoom, bs_zoom = np.linspace(4.6, 5.3, 141), np.linspace(-2.8, -2.3, 101)
    display(plots.error_surface_plot(
        ws_zoom, bs_zoom, pathologies.single_unit_error_surface(ws_zoom, bs_zoom),
        {"no clipping": plain, "norm clipped at 1": norm_clipped, "value clipped at 1 (yours)": value_path},
        title="Beside the cliff: plain, norm-clipped and value-clipped descent"))

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_clipping_after", "locked": true, "schema_version": 3, "solution": false, "task": false}
# All three paths coincide until the first gradient larger than the threshold. Then the plain one is
# gone, while both clipped ones hop back and forth across the edge of the cliff, close to the lowest
# errors of the valley. Clipping does not remove the cliff; it only keeps one huge gradient from
# undoing everything learnt before. Here, with two parameters, one of them dominating, the two recipes
# nearly agree; in a network with millions of parameters value clipping bends the direction of every
# large step, which is why norm clipping is the usual choice for RNNs.

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_irnn", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 7. The other remedy: start where gradients neither vanish nor explode
#
# Clipping treats the exploding side only. For the vanishing side, look again at the bound: with ReLU
# units ($\beta_h = 1$, and $f' = 1$ wherever a unit is active) and $W_{hh} = I$, every Jacobian is
# $\operatorname{diag}(f'(z_t))$, a diagonal of zeros and ones. As long as a unit stays active, the
# gradient passes through it unchanged, over any distance. Le, Jaitly and Hinton (2015) call an RNN of
# ReLU units whose recurrent matrix starts as the identity (and biases at zero) an **IRNN**: at the
# start of training it copies its state forward and adds the input, and learning only has to move it
# away from there.
#
# ### Exercise 3 (1 point): `identity_init`
#
# Write `identity_init(H, scale=1.0)`: return a new (H, H) NumPy array of dtype float64 holding `scale`
# on its diagonal and 0 everywhere else, `scale` times the identity matrix (a fresh array at every call,
# which the caller may change). Raise a `ValueError` if `H` is not a positive `int` (0, -3 and 2.5 are
# not), or if `scale` is not a positive finite number.

# %% nbgrader={"grade": false, "grade_id": "nb04_identity_init", "locked": false, "schema_version": 3, "solution": true, "task": false}
def identity_init(H: int, scale: float = 1.0) -> np.ndarray:
    """scale * I: an (H, H) float64 array with scale on the diagonal, zeros elsewhere (a new array).

    Raises ValueError unless H is a positive int and scale a positive finite number.
    """
    ### BEGIN SOLUTION
    if isinstance(H, bool) or not isinstance(H, int) or H < 1:
        raise ValueError(f"H must be a positive int, got {H!r}")
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    return scale * np.eye(H, dtype=np.float64)
    ### END SOLUTION


# %%
rnnlm.check("nb04_identity_init")

# %% nbgrader={"grade": true, "grade_id": "nb04_identity_init_test", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Visible checks.
_I = identity_init(3)
assert isinstance(_I, np.ndarray), f"return a NumPy array, got {type(_I).__name__}"
assert _I.shape == (3, 3), f"identity_init(3) must have shape (3, 3), got {_I.shape}"
assert _I.dtype == np.float64, f"the dtype must be float64, got {_I.dtype}"
assert np.array_equal(_I, np.eye(3)), f"identity_init(3) must be the 3 x 3 identity, got {_I}"
_S = identity_init(4, 0.5)
assert np.array_equal(_S, 0.5 * np.eye(4)), f"identity_init(4, 0.5) must be 0.5 on the diagonal, got {_S}"
assert np.array_equal(identity_init(2, scale=2.0), 2.0 * np.eye(2)), "the scale may be passed by name"
_first = identity_init(2)
_first[0, 1] = 7.0
assert identity_init(2)[0, 1] == 0.0, (
    "return a new array at every call (changing one must not change the next)")
for _args, _what in [((0,), "H = 0"), ((2.5,), "H = 2.5"), ((3, 0.0), "scale = 0")]:
    try:
        identity_init(*_args)
    except ValueError:
        pass
    else:
        raise AssertionError(f"{_what} should raise ValueError")
print("identity_init: visible checks passed")

### BEGIN HIDDEN TESTS
for _H, _sc in [(1, 1.0), (7, 1.0), (50, 0.01), (5, 3), (2, 1e-6)]:
    _mine = identity_init(_H, _sc)
    assert isinstance(_mine, np.ndarray) and _mine.dtype == np.float64 and _mine.shape == (_H, _H)
    assert np.array_equal(_mine, pathologies.identity_init(_H, _sc)), (_H, _sc)
    assert _mine.flags.writeable
assert np.array_equal(identity_init(6), np.eye(6))
for _args in [(-3,), (0, 1.0), (2.5,), (3, -1.0), (3, float("inf")), (3, float("nan")), (4, -0.1)]:
    try:
        identity_init(*_args)
    except ValueError:
        pass
    else:
        raise AssertionError(f"identity_init{_args} should raise ValueError")
print("identity_init: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_irnn_norms", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The gradient norms of section 3 for three starting points of a 32-unit RNN, on the same small drives
# (the cell waits for exercise 3): ReLU with $W_{hh}$ = your `identity_init`, ReLU with a random
# Gaussian $W_{hh}$ (entries $N(0, 1/H)$, `pathologies.gaussian_init`), and tanh with a random orthogonal
# $W_{hh}$.

# %%
with rnnlm.uses_exercises():  # runs your exercises 1 and 3 in a student bundle
    starts = {
        "ReLU, identity (IRNN)": ("relu", identity_init(H_DEMO)),
        "ReLU, Gaussian N(0, 1/H)": ("relu", gaussian_init(H_DEMO, rng=SEED)),
        "tanh, orthogonal": ("tanh", orthogonal_init(H_DEMO, rng=SEED)),
    }
    at_start = {label: pathologies.gradient_norms_by_distance(W, drives, act)
                for label, (act, W) in starts.items()}
    for label, g in at_start.items():
        print(f"{label:26s}: beta_W = {g.beta_W:.2f}, ||dh_T/dh_(T-{T_DEMO})|| = {g.norm[-1]:.2e}")
    display(plots.gradient_norm_distance_plot({"at initialisation": at_start},
                                              title="Where training starts: the long-range gradient"))

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_adding", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 8. The adding problem
#
# A task that can only be solved with long-range memory (Hochreiter and Schmidhuber 1997; the IRNN
# paper's first benchmark). Each input sequence has $T$ steps of two numbers: the first a random number
# in $[0, 1)$, the second a **mark**, 0 except at exactly two steps, one in each half of the sequence.
# The target is the **sum of the two marked numbers**. The model reads the whole sequence and answers
# once, from its last state; it is scored by the mean squared error. The two marked numbers are
# independent and uniform, so their sum has mean 1 and variance $2 \cdot \frac{1}{12} = \frac{1}{6}$:
# always answering 1 gives an MSE of $1/6 \approx 0.167$, the **baseline**, and only a model below it has
# learnt anything. To get there it must remember the first marked number for at least $T/2$ steps.
#
# ### Exercise 4 (3 points): `adding_problem`
#
# Write `adding_problem(n, T, rng)`, the data generator. `n` ≥ 1 is the number of sequences, `T` ≥ 2
# their length, `rng` a `numpy.random.Generator`: draw every random number from it (so that two
# generators made with the same seed give the same data). Return a pair `(inputs, targets)`:
#
# - `inputs`, a float64 array of shape (n, T, 2). Channel 0, `inputs[:, :, 0]`, holds numbers drawn
#   independently and uniformly from $[0, 1)$ (`rng.random`). Channel 1, `inputs[:, :, 1]`, is 0
#   everywhere except for exactly two entries 1.0 in each sequence: one at a position drawn uniformly from
#   the first half, $0 \le t <$ `T // 2`, and, independently, one at a position drawn uniformly from the
#   second half, `T // 2` $\le t < T$ (for T = 7 the halves are steps 0-2 and 3-6);
# - `targets`, a float64 array of shape (n,): for each sequence, the sum of its two channel-0 numbers at
#   the marked positions.
#
# Raise a `ValueError` if `n` or `T` is not an `int`, or if `n` < 1 or `T` < 2. (`rng.integers(low, high,
# size)` draws integers from `[low, high)`.)

# %% nbgrader={"grade": false, "grade_id": "nb04_adding_problem", "locked": false, "schema_version": 3, "solution": true, "task": false}
def adding_problem(n: int, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n sequences of the adding problem, each T steps of (uniform number, mark).

    Returns (inputs (n, T, 2) float64, targets (n,) float64): one mark in [0, T // 2), one in
    [T // 2, T); the target is the sum of the two marked numbers. Every draw comes from rng.
    Raises ValueError unless n >= 1 and T >= 2 are ints.
    """
    ### BEGIN SOLUTION
    for name, value, least in (("n", n, 1), ("T", T, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
    inputs = np.zeros((n, T, 2))
    inputs[:, :, 0] = rng.random((n, T))
    first = rng.integers(0, T // 2, size=n)
    second = rng.integers(T // 2, T, size=n)
    rows = np.arange(n)
    inputs[rows, first, 1] = 1.0
    inputs[rows, second, 1] = 1.0
    return inputs, inputs[rows, first, 0] + inputs[rows, second, 0]
    ### END SOLUTION


# %%
rnnlm.check("nb04_adding_problem")

# %% nbgrader={"grade": true, "grade_id": "nb04_adding_problem_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Visible checks: shapes, the marks, the targets, the seed, and the distributions (on many samples).
_out = adding_problem(50, 7, np.random.default_rng(1))
assert isinstance(_out, tuple) and len(_out) == 2, "return a pair (inputs, targets)"
_x, _y = (np.asarray(a) for a in _out)
assert _x.shape == (50, 7, 2), f"inputs must have shape (n, T, 2) = (50, 7, 2), got {_x.shape}"
assert _y.shape == (50,), f"targets must have shape (n,) = (50,), got {_y.shape}"
assert _x.dtype == np.float64 and _y.dtype == np.float64, f"both must be float64, got {_x.dtype}, {_y.dtype}"
_values, _marks = _x[:, :, 0], _x[:, :, 1]
assert np.all((_values >= 0) & (_values < 1)) and np.unique(_values).size > 300, (
    "channel 0 must hold uniform numbers from [0, 1), a new one at every step of every sequence")
assert np.all((_marks == 0) | (_marks == 1)), "channel 1 holds marks: only 0 and 1"
assert np.all(_marks.sum(axis=1) == 2), "every sequence has exactly two marks (two 1s in channel 1)"
assert np.all(_marks[:, :3].sum(axis=1) == 1) and np.all(_marks[:, 3:].sum(axis=1) == 1), (
    "one mark in each half: for T = 7 one among steps 0-2 (t < T // 2) and one among steps 3-6")
assert not np.allclose(_y, _marks.sum(axis=1)), "the target is the sum of the marked NUMBERS (channel 0)"
assert np.allclose(_y, (_values * _marks).sum(axis=1)), "the target is the sum of the two marked numbers"
_again = adding_problem(50, 7, np.random.default_rng(1))
assert np.array_equal(_again[0], _x) and np.array_equal(_again[1], _y), (
    "the same seed must give the same data: draw every random number from rng (not np.random)")
assert not np.array_equal(adding_problem(50, 7, np.random.default_rng(2))[0], _x), "another seed, other data"
_xb, _yb = adding_problem(20_000, 10, np.random.default_rng(3))
_first, _second = np.argmax(_xb[:, :5, 1], axis=1), 5 + np.argmax(_xb[:, 5:, 1], axis=1)
for _pos, _half in ((_first, "first"), (_second, "second")):
    _counts = np.bincount(_pos, minlength=10)[:5] if _half == "first" else np.bincount(_pos, minlength=10)[5:]
    assert np.all(np.abs(_counts - 4000) < 400), (
        f"the {_half} mark should sit at each position of its half about equally often (about 4000 "
        f"times in 20000 sequences), got {_counts.tolist()}: draw it uniformly from the whole half")
assert 0.1 < np.mean(_second - _first == 5) < 0.3, (
    "the two marks should be drawn independently (here the second is always 5 steps after the first)")
assert abs(_xb[:, :, 0].mean() - 0.5) < 0.01 and abs(_xb[:, :, 0].var() - 1 / 12) < 0.005, (
    "channel 0 should be uniform on [0, 1) (mean 1/2, variance 1/12)")
for _args, _what in [((5, 1), "T = 1"), ((0, 5), "n = 0")]:
    try:
        adding_problem(*_args, np.random.default_rng(0))
    except ValueError:
        pass
    else:
        raise AssertionError(f"{_what} should raise ValueError")
print("adding_problem: visible checks passed")

### BEGIN HIDDEN TESTS
for _n, _T in [(1, 2), (3, 3), (40, 2), (25, 101), (10, 8)]:
    _xh, _yh = (np.asarray(a) for a in adding_problem(_n, _T, np.random.default_rng(_n * 100 + _T)))
    assert _xh.shape == (_n, _T, 2) and _yh.shape == (_n,) and _xh.dtype == _yh.dtype == np.float64, (_n, _T)
    _h = _T // 2
    assert np.all(_xh[:, :_h, 1].sum(axis=1) == 1) and np.all(_xh[:, _h:, 1].sum(axis=1) == 1), (_n, _T)
    assert set(np.unique(_xh[:, :, 1])) <= {0.0, 1.0}
    assert np.all((_xh[:, :, 0] >= 0) & (_xh[:, :, 0] < 1))
    assert np.allclose(_yh, (_xh[:, :, 0] * _xh[:, :, 1]).sum(axis=1)), (_n, _T)
_xh, _ = adding_problem(50, 2, np.random.default_rng(9))
assert np.all(_xh[:, :, 1] == 1), "T = 2: the marks are at steps 0 and 1"
# T odd: the second half is the longer one, [T // 2, T)
_xh, _yh = adding_problem(30_000, 5, np.random.default_rng(10))
_c1 = np.bincount(np.argmax(_xh[:, :2, 1], axis=1), minlength=2)
_c2 = np.bincount(np.argmax(_xh[:, 2:, 1], axis=1), minlength=3)
assert np.all(np.abs(_c1 - 15_000) < 900) and np.all(np.abs(_c2 - 10_000) < 800), (_c1, _c2)
# independence of the two positions (joint frequencies near the product of the marginals)
_joint = np.bincount(np.argmax(_xh[:, :2, 1], axis=1) * 3 + np.argmax(_xh[:, 2:, 1], axis=1), minlength=6)
assert np.all(np.abs(_joint - 5000) < 600), _joint
# the baseline: targets have mean 1 and variance 1/6
assert abs(_yh.mean() - 1.0) < 0.01 and abs(_yh.var() - 1 / 6) < 0.006
# reproducible, and drawing from the generator given (not from a global one)
_g1, _g2 = np.random.default_rng(77), np.random.default_rng(77)
_a = adding_problem(20, 9, _g1)
_b = adding_problem(20, 9, _g2)
assert np.array_equal(_a[0], _b[0]) and np.array_equal(_a[1], _b[1])
_c = adding_problem(20, 9, _g1)  # the generator moved on: new data
assert not np.array_equal(_a[0], _c[0])
for _args in [(5, 1), (5, 0), (0, 5), (-2, 5), (2.0, 5), (3, 4.5)]:
    try:
        adding_problem(*_args, np.random.default_rng(0))
    except ValueError:
        pass
    else:
        raise AssertionError(f"adding_problem{_args} should raise ValueError")
print("adding_problem: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_adding_data", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Your generator at work (the cell waits for exercise 4): one short sequence, and the baseline measured
# on many.

# %%
with rnnlm.uses_exercises():  # runs your exercise 4
    x_show, y_show = adding_problem(1, 10, np.random.default_rng(SEED))
    print("numbers:", np.round(x_show[0, :, 0], 2))
    print("marks:  ", x_show[0, :, 1].astype(int))
    print(f"target:  {y_show[0]:.4f}")
    _, y_many = adding_problem(100_000, 10, np.random.default_rng(SEED))
    print(f"100,000 targets: mean {y_many.mean():.4f}, MSE of always answering their mean "
          f"{np.mean((y_many - y_many.mean()) ** 2):.4f} (the baseline, 1/6 = {1 / 6:.4f})")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_adding_experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **IRNN against tanh and a randomly initialised ReLU RNN.** `pathologies.adding_problem_experiment()`
# trains an IRNN and a tanh RNN (orthogonal $W_{hh}$, the best plain start for tanh) of 100 units on
# sequences of $T = 100$ steps under one budget: Adam with learning rate $3 \cdot 10^{-4}$, norm clipping at
# 1, batches of 32 fresh sequences, 6000 steps, the same data and the same read-out. (The library's
# models and trainer use the library's own generator and initialisation, whatever your exercises do.)
# We add a third RNN, ReLU units with a random Gaussian $W_{hh}$ (entries $N(0, 1/H)$), under the same
# budget. In fast mode everything shrinks to $T = 30$, 32 units and 300 steps, a few seconds: enough to
# see the curves start, not the long-range result; the full run takes a few minutes.

# %%
start = time.perf_counter()
adding_runs = pathologies.adding_problem_experiment(device=DEVICE, progress=not FAST)
budget = adding_runs["IRNN"].settings
relu_random = pathologies.AddingRNN(budget["hidden_dim"], "relu", "gaussian", seed=budget["seed"],
                                    device=DEVICE)
try:
    adding_runs["ReLU RNN, Gaussian init"] = pathologies.train_adding(
        relu_random, T=budget["T"], steps=budget["steps"], batch_size=budget["batch_size"],
        lr=budget["lr"], clip=budget["clip"], n_test=budget["n_test"], eval_every=adding_runs["IRNN"].step[0],
        seed=budget["seed"], max_seconds=None if FAST else 240.0, label="ReLU RNN, Gaussian init",
        progress=not FAST)
except ValueError as exc:  # a diverging run: train_adding stops at a non-finite loss
    print(f"the randomly initialised ReLU RNN diverged: {exc}")
print(f"T = {budget['T']}, H = {budget['hidden_dim']}, {budget['steps']} steps; "
      f"{time.perf_counter() - start:.0f} s in all")
for label, run in adding_runs.items():
    tenth = [step for step, mse in zip(run.step, run.test_mse) if mse < run.baseline_mse / 10]
    print(f"{label:24s}: test MSE {run.final_test_mse:.4f} at the end, best {run.best_test_mse:.4f} "
          f"(baseline {run.baseline_mse:.4f}), below a tenth of it "
          + (f"from step {tenth[0]}" if tenth else "never") + f"; {run.total_seconds:.0f} s of training")
plots.adding_curves_plot(adding_runs, baseline=pathologies.ADDING_BASELINE_MSE,
                         title=f"The adding problem, T = {budget['T']}: test MSE during training")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb04_adding_after", "locked": true, "schema_version": 3, "solution": false, "task": false}
# In the full run the tanh RNN never leaves the baseline: it learns to answer 1, the mean, and nothing
# reaches back 50 steps to tell it more. The IRNN falls below a tenth of the baseline within the first
# thousand steps and keeps going. The random ReLU RNN is the instructive third: $N(0, 1/H)$ entries put
# the spectral radius of $W_{hh}$ near 1 too (the circular law), so it starts near the edge rather than
# far inside the vanishing region, and on this seed it learns as well, more slowly and less steadily.
# The identity is the one start that sits on the edge by construction, for every size and seed, with
# no eigenvalue above 1 to explode and every active unit passing its gradient on unchanged.
# (In fast mode, 300 steps on $T = 30$, the IRNN has just begun to move below the baseline while the
# other two sit on it.)
#
# ## Summary
#
# - Backpropagation through time multiplies one Jacobian $\operatorname{diag}(f'(z_t))\,W_{hh}$ per step,
#   so the long-range gradient $\partial h_T / \partial h_k$ is bounded by $(\beta_W \beta_h)^{T-k}$:
#   it vanishes exponentially when $\beta_W \beta_h < 1$ and can explode when it is above 1.
# - Vanishing gradients make long-range dependencies hard to *learn* (the name task), and a sigmoid
#   ($\beta_h = 1/4$) starves the lower layers of any deep network; ReLU does not.
# - Exploding gradients show as cliffs on the error surface; clipping the gradient's norm keeps one step
#   from throwing the parameters off them. Clipping by value bounds the step too, but bends its direction.
# - Starting ReLU RNNs at $W_{hh} = I$ (the IRNN) lets the gradient pass unchanged at first; on the adding
#   problem it learns what a tanh RNN with the same budget cannot.
