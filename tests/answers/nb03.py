"""Answers to notebook 03 (backpropagation through time), written from the student notebook alone.

Exercises: ``numeric_gradient`` (1), ``rnn_step_backward`` (2), ``rnn_backward`` (3),
``embedding_backward`` (4) and ``clip_grad_norm`` (5); exercise 6 is a written answer, graded by hand.
``LITERAL`` answers loop plainly (every index, every batch row, backwards over time, every token);
``IDIOMATIC`` ones use ``np.nditer`` with ``try/finally``, ``einsum``, a stacked inline BPTT,
``np.bincount`` and a generator of norms; ``WRONG`` holds the mistakes the text and its checks warn about.
"""

LITERAL = {
    "nb03_numeric_gradient": r'''
import numpy as np


def numeric_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of a scalar function f at x, one entry of x at a time (in place)."""
    grad = np.zeros(x.shape)
    for ix in np.ndindex(*x.shape):
        old = x[ix]
        try:
            x[ix] = old + h
            f_plus = float(f(x))
            x[ix] = old - h
            f_minus = float(f(x))
        finally:
            x[ix] = old  # put the original value back, also when f raises
        grad[ix] = (f_plus - f_minus) / (2 * h)
    return grad
''',
    "nb03_rnn_step_backward": r'''
import numpy as np


def rnn_step_backward(dh_t: np.ndarray, cache: tuple):
    """Backward of one step h_t = f(h_prev @ W_hh.T + x_t @ W_hx.T + b_h)."""
    x_t, h_prev, W_hx, W_hh, h_t, act = cache
    da = dh_t * act.df(h_t)  # gradient at the pre-activation a_t, (B, H)
    dx_t = da @ W_hx  # (B, H) @ (H, D) -> (B, D)
    dh_prev = da @ W_hh  # (B, H) @ (H, H) -> (B, H)
    dW_hx = np.zeros(W_hx.shape, dtype=da.dtype)
    dW_hh = np.zeros(W_hh.shape, dtype=da.dtype)
    db_h = np.zeros(W_hh.shape[0], dtype=da.dtype)
    for b in range(da.shape[0]):  # the weights are shared by the batch: sum over its rows
        dW_hx += np.outer(da[b], x_t[b])
        dW_hh += np.outer(da[b], h_prev[b])
        db_h += da[b]
    return dx_t, dh_prev, dW_hx, dW_hh, db_h
''',
    "nb03_rnn_backward": r'''
import numpy as np


def rnn_backward(dh: np.ndarray, cache: list, dh_final: np.ndarray | None = None):
    """BPTT: walk backwards over the step caches, carrying the gradient of the next state."""
    B, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((B, T, D), dtype=dh.dtype)
    dW_hx = np.zeros(cache[0][2].shape, dtype=dh.dtype)
    dW_hh = np.zeros(cache[0][3].shape, dtype=dh.dtype)
    db_h = np.zeros(H, dtype=dh.dtype)
    dnext = np.zeros((B, H), dtype=dh.dtype) if dh_final is None else np.array(dh_final, dtype=dh.dtype)
    for t in reversed(range(T)):
        dx_t, dnext, dW_hx_t, dW_hh_t, db_h_t = rnn_step_backward(dh[:, t] + dnext, cache[t])
        dx[:, t] = dx_t
        dW_hx += dW_hx_t
        dW_hh += dW_hh_t
        db_h += db_h_t
    return dx, dnext, dW_hx, dW_hh, db_h
''',
    "nb03_embedding_backward": r'''
import numpy as np


def embedding_backward(dx: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of x[b, t] = L[ids[b, t]] with respect to L: each dx[b, t] added to its token's row."""
    ids, shape, dtype = cache
    dL = np.zeros(shape, dtype=dtype)
    for index in np.ndindex(*ids.shape):
        dL[ids[index]] += dx[index]
    return dL
''',
    "nb03_clip_grad_norm": r'''
import math
import numbers

import numpy as np


def clip_grad_norm(grads: dict, max_norm: float) -> tuple[dict, float]:
    """Global norm clipping into a new dict; returns (clipped grads, norm before clipping)."""
    if not isinstance(max_norm, numbers.Real) or not max_norm > 0:
        raise ValueError(f"max_norm must be a positive number, got {max_norm!r}")
    total = 0.0
    for g in grads.values():
        total += float(np.sum(np.asarray(g, dtype=np.float64) ** 2))
    norm = math.sqrt(total)
    if not math.isfinite(norm):
        raise ValueError(f"the gradient norm is not finite ({norm}): NaN or inf in a gradient")
    scale = float(max_norm) / norm if norm > max_norm else 1.0
    clipped = {}
    for name, g in grads.items():
        clipped[name] = g * scale if scale != 1.0 else np.array(g, copy=True)
    return clipped, norm
''',
}

IDIOMATIC = {
    "nb03_numeric_gradient": r'''
import numpy as np


def numeric_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred differences, writing through an nditer; x is restored even if f raises."""
    grad = np.zeros_like(x, dtype=float)
    with np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]]) as it:
        for entry in it:
            old = entry.copy()
            try:
                entry[...] = old + h
                up = f(x)
                entry[...] = old - h
                down = f(x)
            finally:
                entry[...] = old
            grad[it.multi_index] = (up - down) / (2 * h)
    return grad
''',
    "nb03_rnn_step_backward": r'''
import numpy as np


def rnn_step_backward(dh_t: np.ndarray, cache: tuple):
    """One step backwards with einsum: every gradient from the one at the pre-activation."""
    x_t, h_prev, W_hx, W_hh, h_t, act = cache
    da = np.multiply(dh_t, act.df(h_t))
    return (
        np.einsum("bh,hd->bd", da, W_hx),
        np.einsum("bh,hk->bk", da, W_hh),
        np.einsum("bh,bd->hd", da, x_t),
        np.einsum("bh,bk->hk", da, h_prev),
        np.einsum("bh->h", da),
    )
''',
    "nb03_rnn_backward": r'''
import numpy as np


def rnn_backward(dh: np.ndarray, cache: list, dh_final: np.ndarray | None = None):
    """BPTT with the step inlined: the recursion for the pre-activation gradients, then every
    weight gradient at once over (batch, time)."""
    x = np.stack([c[0] for c in cache], axis=1)  # (B, T, D)
    h_prev = np.stack([c[1] for c in cache], axis=1)  # (B, T, H)
    W_hx, W_hh = cache[0][2], cache[0][3]
    da = np.empty_like(dh, dtype=np.result_type(dh, W_hh))
    carry = 0.0 if dh_final is None else dh_final
    for t in range(len(cache) - 1, -1, -1):
        *_, h_t, act = cache[t]
        da[:, t] = (dh[:, t] + carry) * act.df(h_t)
        carry = da[:, t] @ W_hh
    dh0 = np.broadcast_to(carry, h_prev[:, 0].shape).copy()
    return (da @ W_hx, dh0, np.einsum("bth,btd->hd", da, x), np.einsum("bth,btk->hk", da, h_prev),
            da.sum(axis=(0, 1)))
''',
    "nb03_embedding_backward": r'''
import numpy as np


def embedding_backward(dx: np.ndarray, cache: tuple) -> np.ndarray:
    """One bincount over (token, column) pairs sums the gradients of repeated tokens."""
    ids, (V, D), dtype = cache
    flat = (np.asarray(ids).reshape(-1, 1) * D + np.arange(D)).ravel()
    sums = np.bincount(flat, weights=np.asarray(dx).reshape(-1), minlength=V * D)
    return sums.reshape(V, D).astype(dtype, copy=False)
''',
    "nb03_clip_grad_norm": r'''
import math

import numpy as np


def clip_grad_norm(grads: dict, max_norm: float) -> tuple[dict, float]:
    """Global norm from a generator of per-array norms; unclipped arrays are passed through as they are."""
    try:
        if isinstance(max_norm, (str, bytes)):
            raise TypeError
        limit = float(max_norm)
    except (TypeError, ValueError):
        raise ValueError(f"max_norm must be a positive number, got {max_norm!r}") from None
    if not limit > 0:
        raise ValueError(f"max_norm must be a positive number, got {max_norm!r}")
    norm = math.hypot(*(float(np.linalg.norm(g)) for g in grads.values()))
    if not math.isfinite(norm):
        raise ValueError(f"the gradient norm is not finite ({norm})")
    if norm <= limit:
        return dict(grads), norm
    scale = limit / norm
    return {name: np.multiply(g, scale) for name, g in grads.items()}, norm
''',
}

WRONG = {
    "nb03_numeric_gradient": (
        r'''
import numpy as np


def numeric_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """One-sided difference (f(x + h e_i) - f(x)) / h: error of order h."""
    grad = np.zeros(x.shape)
    f0 = float(f(x))
    for ix in np.ndindex(*x.shape):
        old = x[ix]
        x[ix] = old + h
        grad[ix] = (float(f(x)) - f0) / h
        x[ix] = old
    return grad
''',
        "the one-sided difference",
    ),
    "nb03_rnn_step_backward": (
        r'''
import numpy as np


def rnn_step_backward(dh_t: np.ndarray, cache: tuple):
    """Forgets f'(a_t): treats the incoming gradient as the gradient at the pre-activation."""
    x_t, h_prev, W_hx, W_hh, h_t, act = cache
    da = dh_t
    return da @ W_hx, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)
''',
        "right for a linear step but not through tanh",
    ),
    "nb03_rnn_backward": (
        r'''
import numpy as np


def rnn_backward(dh: np.ndarray, cache: list, dh_final: np.ndarray | None = None):
    """Does not carry dh_prev back: each step only sees its own dh[:, t]."""
    B, T, H = dh.shape
    dx = np.zeros((B, T, cache[0][0].shape[1]))
    dW_hx, dW_hh, db_h = np.zeros(cache[0][2].shape), np.zeros(cache[0][3].shape), np.zeros(H)
    dh0 = np.zeros((B, H))
    for t in reversed(range(T)):
        dh_t = dh[:, t] + (dh_final if dh_final is not None and t == T - 1 else 0.0)
        dx[:, t], dh0, dW_hx_t, dW_hh_t, db_h_t = rnn_step_backward(dh_t, cache[t])
        dW_hx += dW_hx_t
        dW_hh += dW_hh_t
        db_h += db_h_t
    return dx, dh0, dW_hx, dW_hh, db_h
''',
        "PLUS the dh_prev",
    ),
    "nb03_embedding_backward": (
        r'''
import numpy as np


def embedding_backward(dx: np.ndarray, cache: tuple) -> np.ndarray:
    """Fancy-index accumulation: repeated ids keep only one of their gradients."""
    ids, shape, dtype = cache
    dL = np.zeros(shape, dtype=dtype)
    dL[ids] += dx
    return dL
''',
        "dL[ids] += dx keeps only one of them",
    ),
    "nb03_clip_grad_norm": (
        r'''
import math

import numpy as np


def clip_grad_norm(grads: dict, max_norm: float) -> tuple[dict, float]:
    """Reports the global norm but clips every array by its own norm."""
    if not max_norm > 0:
        raise ValueError("max_norm must be positive")
    norm = math.sqrt(sum(float(np.sum(g**2)) for g in grads.values()))
    if not math.isfinite(norm):
        raise ValueError("the gradient norm is not finite")
    clipped = {}
    for name, g in grads.items():
        own = float(np.linalg.norm(g))
        clipped[name] = g * (max_norm / own) if own > max_norm else g.copy()
    return clipped, norm
''',
        "each array was clipped by its own norm",
    ),
}
