"""Answers to notebook 02 (the RNN language model's forward pass), written from the student notebook alone.

Exercises: ``embedding_forward`` (1), ``rnn_step_forward`` (2), ``rnn_forward`` (3), ``softmax`` (4),
``temporal_softmax_loss`` (5), ``perplexity_from_loss`` and ``perplexity_from_bits`` (6, one cell).
``LITERAL`` answers loop over batch, time and rows; ``IDIOMATIC`` answers are vectorised (``np.take``,
the concatenated weight matrix, log-sum-exp, ``np.take_along_axis``, ``np.ndim``-based dispatch).
``WRONG`` holds the typical mistake of each exercise that its text or visible checks warn about.
"""

LITERAL = {
    "nb02_embedding_forward": r'''
import numpy as np


def embedding_forward(ids, L):
    """Look up word vectors row by row: x[b, t] = L[ids[b, t]]; cache = (ids, L.shape, L.dtype)."""
    V, D = L.shape
    B, T = ids.shape
    x = np.zeros((B, T, D), dtype=L.dtype)
    for b in range(B):
        for t in range(T):
            i = int(ids[b, t])
            if i < 0 or i >= V:
                raise ValueError(f"token id {i} at position ({b}, {t}) is outside [0, {V})")
            x[b, t] = L[i]
    cache = (ids, L.shape, L.dtype)
    return x, cache
''',
    "nb02_rnn_step_forward": r'''
import numpy as np

from rnnlm.rnn_numpy import get_activation


def rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h, activation="tanh"):
    """One step, one row of the batch at a time: h_t[b] = f(W_hh h_prev[b] + W_hx x_t[b] + b_h)."""
    act = get_activation(activation)
    rows = []
    for b in range(x_t.shape[0]):
        a = W_hh @ h_prev[b] + W_hx @ x_t[b] + b_h  # the lecture's column-vector formula
        rows.append(act.f(a))
    h_t = np.array(rows).reshape(x_t.shape[0], W_hh.shape[0])
    cache = (x_t, h_prev, W_hx, W_hh, h_t, act)
    return h_t, cache
''',
    "nb02_rnn_forward": r'''
import numpy as np


def rnn_forward(x, h0, W_hx, W_hh, b_h, activation="tanh"):
    """Loop over time with rnn_step_forward; h[:, t] is the state after x[:, t]; caches: one per step."""
    B, T, _ = x.shape
    H = h0.shape[1]
    h = np.zeros((B, T, H), dtype=np.result_type(x, h0, W_hx, W_hh, b_h))
    caches = []
    h_prev = h0
    for t in range(T):
        h_t, cache = rnn_step_forward(x[:, t], h_prev, W_hx, W_hh, b_h, activation)
        h[:, t] = h_t
        caches.append(cache)
        h_prev = h_t
    return h, caches
''',
    "nb02_softmax": r'''
import numpy as np


def softmax(scores, axis=-1):
    """Softmax along `axis`, one distribution (row) at a time, with the row's maximum subtracted first."""
    scores = np.asarray(scores)
    moved = np.moveaxis(scores, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    out = np.empty(rows.shape, dtype=np.result_type(scores, np.float16))
    for i in range(rows.shape[0]):
        e = np.exp(rows[i] - rows[i].max())
        out[i] = e / e.sum()
    return np.moveaxis(out.reshape(moved.shape), -1, axis)
''',
    "nb02_temporal_softmax_loss": r'''
import math

import numpy as np


def temporal_softmax_loss(scores, y, mask=None):
    """Mean cross-entropy in nats over the counted positions, and dJ/dscores, one position at a time."""
    B, T, V = scores.shape
    if mask is None:
        counts = np.ones((B, T), dtype=bool)
    else:
        counts = np.asarray(mask).astype(bool)
    N = int(counts.sum())
    if N == 0:
        raise ValueError("the mask selects no position")
    total = 0.0
    dscores = np.zeros(scores.shape, dtype=float)
    for b in range(B):
        for t in range(T):
            if not counts[b, t]:
                continue
            s = scores[b, t]
            shifted = s - s.max()
            log_sum = math.log(np.exp(shifted).sum())
            target = int(y[b, t])
            total += -(shifted[target] - log_sum)
            p = np.exp(shifted - log_sum)
            p[target] -= 1.0
            dscores[b, t] = p / N
    J = total / N
    return float(J), dscores
''',
    "nb02_perplexity": r'''
import math
import numbers

import numpy as np


def perplexity_from_loss(J_nats):
    """e ** J for a loss J in nats: a float for a number, an array of the same shape for an array."""
    if isinstance(J_nats, numbers.Real):
        J = float(J_nats)
        if math.isnan(J) or J < 0:
            raise ValueError(f"a cross-entropy is never negative or NaN, got {J}")
        return math.exp(J)
    J = np.asarray(J_nats, dtype=float)
    out = np.empty(J.shape, dtype=float)
    for index in np.ndindex(J.shape):
        value = float(J[index])
        if math.isnan(value) or value < 0:
            raise ValueError(f"a cross-entropy is never negative or NaN, got {value} at {index}")
        out[index] = math.exp(value)
    return out


def perplexity_from_bits(J_bits):
    """2 ** J for a loss J in bits: a float for a number, an array of the same shape for an array."""
    if isinstance(J_bits, numbers.Real):
        J = float(J_bits)
        if math.isnan(J) or J < 0:
            raise ValueError(f"a cross-entropy is never negative or NaN, got {J}")
        return 2.0 ** J
    J = np.asarray(J_bits, dtype=float)
    out = np.empty(J.shape, dtype=float)
    for index in np.ndindex(J.shape):
        value = float(J[index])
        if math.isnan(value) or value < 0:
            raise ValueError(f"a cross-entropy is never negative or NaN, got {value} at {index}")
        out[index] = 2.0 ** value
    return out
''',
}

IDIOMATIC = {
    "nb02_embedding_forward": r'''
import numpy as np


def embedding_forward(ids, L):
    """All lookups at once with np.take, after checking that every id lies in [0, V)."""
    ids_arr = np.asarray(ids)
    bad = (ids_arr < 0) | (ids_arr >= L.shape[0])
    if bad.any():
        raise ValueError(f"token ids {np.unique(ids_arr[bad]).tolist()} are outside [0, {L.shape[0]})")
    x = np.take(L, ids_arr, axis=0)
    return x, (ids, L.shape, L.dtype)
''',
    "nb02_rnn_step_forward": r'''
import numpy as np

from rnnlm.rnn_numpy import get_activation


def rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h, activation="tanh"):
    """The concatenation view: h_t = f([h_prev, x_t] @ [W_hh W_hx].T + b_h) for the whole batch."""
    act = get_activation(activation)
    W_cat = np.concatenate([W_hh, W_hx], axis=1)  # (H, H + D)
    hx = np.concatenate([h_prev, x_t], axis=1)  # (B, H + D)
    h_t = act.f(np.einsum("bk,hk->bh", hx, W_cat) + b_h)
    return h_t, (x_t, h_prev, W_hx, W_hh, h_t, act)
''',
    "nb02_rnn_forward": r'''
import numpy as np


def rnn_forward(x, h0, W_hx, W_hh, b_h, activation="tanh"):
    """Feed each state back into rnn_step_forward; stack the states along the time axis."""
    states, caches = [], []
    h_t = h0
    for x_t in np.moveaxis(x, 1, 0):  # x[:, 0], x[:, 1], ...
        h_t, cache = rnn_step_forward(x_t, h_t, W_hx, W_hh, b_h, activation=activation)
        states.append(h_t)
        caches.append(cache)
    return np.stack(states, axis=1), caches
''',
    "nb02_softmax": r'''
import numpy as np


def softmax(scores, axis=-1):
    """exp(s - logsumexp(s)) along `axis`, with the log-sum-exp computed after shifting by the max."""
    s = np.asarray(scores)
    m = np.max(s, axis=axis, keepdims=True)
    log_z = m + np.log(np.sum(np.exp(s - m), axis=axis, keepdims=True))
    return np.exp(s - log_z)
''',
    "nb02_temporal_softmax_loss": r'''
import numpy as np


def temporal_softmax_loss(scores, y, mask=None):
    """Vectorised: log-softmax with log-sum-exp, np.take_along_axis for the targets, masked mean."""
    scores = np.asarray(scores)
    y = np.asarray(y)
    m = np.ones(y.shape, dtype=bool) if mask is None else np.asarray(mask) != 0
    N = np.count_nonzero(m)
    if N == 0:
        raise ValueError("mask selects no position: the mean loss is undefined")
    safe_y = np.where(m, y, 0)[..., None]  # ignored targets (padding such as -1) become a valid index
    shifted = scores - scores.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_p, safe_y, axis=-1)[..., 0]
    J = -picked[m].sum() / N
    grad = np.exp(log_p)
    np.put_along_axis(grad, safe_y, np.take_along_axis(grad, safe_y, axis=-1) - 1.0, axis=-1)
    dscores = np.where(m[..., None], grad / N, 0.0)
    return float(J), dscores
''',
    "nb02_perplexity": r'''
import numpy as np


def _checked(J):
    J = np.asarray(J, dtype=float)
    if np.isnan(J).any() or (J < 0).any():
        raise ValueError("a cross-entropy is never negative or NaN")
    return J


def perplexity_from_loss(J_nats):
    """exp(J): J in nats; float for a scalar, array of the same shape otherwise."""
    J = _checked(J_nats)
    out = np.exp(J)
    return float(out) if np.ndim(J_nats) == 0 else out


def perplexity_from_bits(J_bits):
    """exp2(J): J in bits; float for a scalar, array of the same shape otherwise."""
    J = _checked(J_bits)
    out = np.exp2(J)
    return float(out) if np.ndim(J_bits) == 0 else out
''',
}

WRONG = {
    # the range check is forgotten: -1 quietly reads the last row of L
    "nb02_embedding_forward": (r'''
import numpy as np


def embedding_forward(ids, L):
    """Fancy indexing without checking the ids."""
    return L[ids], (ids, L.shape, L.dtype)
''', "NumPy quietly reads the last row"),
    # the row-vector convention is applied to W_hx but W_hh is not transposed
    "nb02_rnn_step_forward": (r'''
import numpy as np

from rnnlm.rnn_numpy import get_activation


def rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h, activation="tanh"):
    """W_hh applied without its transpose."""
    act = get_activation(activation)
    h_t = act.f(h_prev @ W_hh + x_t @ W_hx.T + b_h)
    return h_t, (x_t, h_prev, W_hx, W_hh, h_t, act)
''', "W_hh is applied transposed"),
    # only the final hidden state is returned
    "nb02_rnn_forward": (r'''
def rnn_forward(x, h0, W_hx, W_hh, b_h, activation="tanh"):
    """Returns only the last state."""
    h_t, caches = h0, []
    for t in range(x.shape[1]):
        h_t, cache = rnn_step_forward(x[:, t], h_t, W_hx, W_hh, b_h, activation)
        caches.append(cache)
    return h_t, caches
''', "that is only the last state"),
    # no maximum subtracted: exp(1000) overflows
    "nb02_softmax": (r'''
import numpy as np


def softmax(scores, axis=-1):
    """Unstable softmax."""
    e = np.exp(scores)
    return e / e.sum(axis=axis, keepdims=True)
''', "subtract the largest score first"),
    # the mask is applied but the mean divides by B * T instead of the counted positions
    "nb02_temporal_softmax_loss": (r'''
import numpy as np


def temporal_softmax_loss(scores, y, mask=None):
    """Masked sum divided by B * T."""
    B, T, V = scores.shape
    m = np.ones((B, T), dtype=bool) if mask is None else np.asarray(mask).astype(bool)
    if not m.any():
        raise ValueError("the mask selects no position")
    N = B * T
    safe_y = np.where(m, y, 0)
    shifted = scores - scores.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    b, t = np.indices((B, T))
    J = -(log_p[b, t, safe_y] * m).sum() / N
    d = np.exp(log_p)
    d[b, t, safe_y] -= 1.0
    d *= m[..., None] / N
    return float(J), d
''', "divide by the number of positions that count"),
    # base 2 for a loss in nats
    "nb02_perplexity": (r'''
import math

import numpy as np


def perplexity_from_loss(J_nats):
    """2 ** J although J is in nats."""
    if np.ndim(J_nats) == 0:
        if math.isnan(J_nats) or J_nats < 0:
            raise ValueError("negative or NaN loss")
        return float(2.0 ** J_nats)
    J = np.asarray(J_nats, dtype=float)
    if np.isnan(J).any() or (J < 0).any():
        raise ValueError("negative or NaN loss")
    return 2.0 ** J


def perplexity_from_bits(J_bits):
    """2 ** J."""
    if np.ndim(J_bits) == 0:
        if math.isnan(J_bits) or J_bits < 0:
            raise ValueError("negative or NaN loss")
        return float(2.0 ** J_bits)
    J = np.asarray(J_bits, dtype=float)
    if np.isnan(J).any() or (J < 0).any():
        raise ValueError("negative or NaN loss")
    return 2.0 ** J
''', "the base is e"),
}
