"""The NumPy reference RNN language model: pure forward/backward functions, the model, a trainer.

Shapes use B batch, T time, D embedding (input), H hidden, V vocabulary.

Parameters (float64 by default; :mod:`rnnlm.rnn_torch` uses the same names, shapes and layout)::

    L     (V, D)   word embeddings: row i is the vector of token id i
    W_hx  (H, D)   input-to-hidden  (torch.nn.RNN: weight_ih_l0)
    W_hh  (H, H)   hidden-to-hidden (torch.nn.RNN: weight_hh_l0)
    b_h   (H,)     hidden bias      (torch.nn.RNN: bias_ih_l0 + bias_hh_l0)
    W_S   (V, H)   hidden-to-scores (torch.nn.Linear(H, V).weight)
    b_S   (V,)     score bias       (torch.nn.Linear(H, V).bias)

Batches are row vectors, so the lecture's column-vector equations
``h_t = f(W_hh h_{t-1} + W_hx x_t)``, ``y_hat_t = softmax(W_S h_t)`` read, for a batch::

    x_t      = L[ids[:, t]]                                   (B, D)
    h_t      = f(h_{t-1} @ W_hh.T + x_t @ W_hx.T + b_h)       (B, H)
    scores_t = h_t @ W_S.T + b_S                              (B, V)
    y_hat_t  = softmax(scores_t)                              (B, V)

Every layer is a pair ``*_forward(...) -> (out, cache)`` and ``*_backward(dout, cache) -> grads``;
the functions keep no state. :class:`RNNLM` chains them, and :func:`train_numpy` trains it with
truncated backpropagation through time: the last hidden state of one chunk is the (constant) initial
state of the next, so the forward computation is exact while gradients stop at chunk boundaries.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnlm._exercise import exercise
from rnnlm.data import batchify, bptt_batches
from rnnlm.history import EpochRecord, History

__all__ = [
    "ACTIVATIONS",
    "PARAM_NAMES",
    "PARAM_SHAPES",
    "Activation",
    "RNNLM",
    "bits_to_nats",
    "clip_grad_norm",
    "embedding_backward",
    "embedding_forward",
    "get_activation",
    "log_softmax",
    "nats_to_bits",
    "perplexity_from_bits",
    "perplexity_from_loss",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "softmax",
    "temporal_affine_backward",
    "temporal_affine_forward",
    "temporal_softmax_loss",
    "train_numpy",
]

PARAM_NAMES: tuple[str, ...] = ("L", "W_hx", "W_hh", "b_h", "W_S", "b_S")
#: The letters naming each parameter's axes.
PARAM_SHAPES: dict[str, str] = {"L": "VD", "W_hx": "HD", "W_hh": "HH", "b_h": "H", "W_S": "VH", "b_S": "V"}


# --------------------------------------------------------------------------------------------------
# Input checks: one call binds the dimension letters (B, T, D, H, V) across its arguments, so a
# mismatch names the array, the expected shape in letters and numbers, and where the number came from.
# --------------------------------------------------------------------------------------------------


class _Shapes:
    def __init__(self, where: str) -> None:
        self.where = where
        self.dims: dict[str, tuple[int, str]] = {}

    def shape(self, name: str, arr: np.ndarray, letters: str) -> np.ndarray:
        spec = ", ".join(letters)
        if arr.ndim != len(letters):
            raise ValueError(
                f"{self.where}: {name} must be {len(letters)}-D with shape ({spec}), got shape {arr.shape}"
            )
        for letter, size in zip(letters, arr.shape, strict=True):
            if letter in self.dims and self.dims[letter][0] != size:
                expected = tuple(
                    self.dims[c][0] if c in self.dims else s for c, s in zip(letters, arr.shape, strict=True)
                )
                value, source = self.dims[letter]
                raise ValueError(
                    f"{self.where}: {name} must have shape ({spec}) = {expected}, got {arr.shape} "
                    f"({letter} = {value} from {source})"
                )
            self.dims.setdefault(letter, (size, name))
        return arr

    def floats(self, name: str, a: object, letters: str, *, finite: bool = False) -> np.ndarray:
        arr = np.asarray(a)
        if not np.issubdtype(arr.dtype, np.floating):
            raise TypeError(
                f"{self.where}: {name} must be a floating-point array (float64 by default), "
                f"got dtype {arr.dtype}"
            )
        self.shape(name, arr, letters)
        if finite and not np.isfinite(arr).all():
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
            raise ValueError(f"{self.where}: {name} contains {arr[bad]} at {bad}; expected finite values")
        return arr

    def ids(
        self, name: str, a: object, letters: str, vocab: int, where: np.ndarray | None = None
    ) -> np.ndarray:
        arr = np.asarray(a)
        if arr.dtype.kind not in "iu":
            raise TypeError(
                f"{self.where}: {name} must be an integer array of token ids, got dtype {arr.dtype}"
            )
        self.shape(name, arr, letters)
        bad = (arr < 0) | (arr >= vocab)
        if where is not None:
            bad &= where
        if bad.any():
            pos = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"{self.where}: {name} contains token id {int(arr[pos])} at {pos}, "
                f"outside the vocabulary [0, V={vocab})"
            )
        return arr


def _mask(where: str, mask: object, shape: tuple[int, ...]) -> np.ndarray:
    """A boolean (B, T) mask from ``None`` (all positions), a bool array or a 0/1 array."""
    if mask is None:
        return np.ones(shape, dtype=bool)
    m = np.asarray(mask)
    if m.shape != shape:
        raise ValueError(f"{where}: mask must have shape (B, T) = {shape}, got {m.shape}")
    if m.dtype != bool:
        if m.dtype.kind not in "iuf" or not np.isin(m, (0, 1)).all():
            raise ValueError(f"{where}: mask must be boolean or hold only 0 and 1, got dtype {m.dtype}")
        m = m.astype(bool)
    return m


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"seed must be an int, a numpy.random.Generator or None, got {type(seed).__name__}")
    return np.random.default_rng(seed)


def _positive_int(where: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _positive_float(where: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: {name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{where}: {name} must be a positive finite number, got {value!r}")
    return float(value)


# --------------------------------------------------------------------------------------------------
# Activations: f, and f' written through the output h = f(a), which is all the backward pass keeps.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activation:
    """A nonlinearity ``h = f(a)`` with its derivative expressed through the output: ``f'(a) = df(h)``."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # = 1 / (1 + exp(-a)), without overflow


def _relu(a: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0.0)


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", np.tanh, lambda h: 1.0 - h * h),
    "sigmoid": Activation("sigmoid", _sigmoid, lambda h: h * (1.0 - h)),
    "relu": Activation("relu", _relu, lambda h: (h > 0).astype(h.dtype)),
}


def get_activation(activation: str | Activation) -> Activation:
    """The :class:`Activation` named ``activation`` (one of ``ACTIVATIONS``), or ``activation`` itself."""
    if isinstance(activation, Activation):
        return activation
    try:
        return ACTIVATIONS[activation]
    except (KeyError, TypeError):
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}") from None


# --------------------------------------------------------------------------------------------------
# Embedding lookup
# --------------------------------------------------------------------------------------------------


@exercise("nb02_embedding_forward")
def embedding_forward(ids: np.ndarray, L: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Look up word vectors: ``x[b, t] = L[ids[b, t]]``.

    ids (B, T) integer token ids in [0, V); L (V, D) float. Returns x (B, T, D) and the cache.
    """
    s = _Shapes("embedding_forward")
    L = s.floats("L", L, "VD")
    ids = s.ids("ids", ids, "BT", L.shape[0])
    return L[ids], (ids, L.shape, L.dtype)


@exercise("nb03_embedding_backward")
def embedding_backward(dx: np.ndarray, cache: tuple) -> np.ndarray:
    """Gradient of the lookup: dx (B, T, D) -> dL (V, D).

    A token that occurs several times receives the sum of its gradients (``np.add.at``, which, unlike
    ``dL[ids] += dx``, accumulates repeated indices).
    """
    ids, shape, dtype = cache
    dx = _Shapes("embedding_backward").floats("dx", dx, "BTD")
    if dx.shape != ids.shape + (shape[1],):
        raise ValueError(f"embedding_backward: dx must have shape {ids.shape + (shape[1],)}, got {dx.shape}")
    dL = np.zeros(shape, dtype=dtype)
    np.add.at(dL, ids, dx)
    return dL


# --------------------------------------------------------------------------------------------------
# The recurrence
# --------------------------------------------------------------------------------------------------


@exercise("nb02_rnn_step_forward")
def rnn_step_forward(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    W_hx: np.ndarray,
    W_hh: np.ndarray,
    b_h: np.ndarray,
    activation: str | Activation = "tanh",
) -> tuple[np.ndarray, tuple]:
    """One time step: ``h_t = f(h_prev @ W_hh.T + x_t @ W_hx.T + b_h)``.

    x_t (B, D), h_prev (B, H), W_hx (H, D), W_hh (H, H), b_h (H,). Returns h_t (B, H) and the cache
    ``(x_t, h_prev, W_hx, W_hh, h_t, activation)``.
    """
    s = _Shapes("rnn_step_forward")
    W_hh = s.floats("W_hh", W_hh, "HH")
    W_hx = s.floats("W_hx", W_hx, "HD")
    b_h = s.floats("b_h", b_h, "H")
    x_t = s.floats("x_t", x_t, "BD")
    h_prev = s.floats("h_prev", h_prev, "BH")
    act = get_activation(activation)
    h_t = act.f(h_prev @ W_hh.T + x_t @ W_hx.T + b_h)
    return h_t, (x_t, h_prev, W_hx, W_hh, h_t, act)


@exercise("nb03_rnn_step_backward")
def rnn_step_backward(
    dh_t: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backward of one step. dh_t (B, H) is the gradient of the loss with respect to h_t.

    Returns ``(dx_t (B, D), dh_prev (B, H), dW_hx (H, D), dW_hh (H, H), db_h (H,))``.
    """
    x_t, h_prev, W_hx, W_hh, h_t, act = cache
    dh_t = np.asarray(dh_t)
    if dh_t.shape != h_t.shape:
        raise ValueError(
            f"rnn_step_backward: dh_t must have the shape of h_t (B, H) = {h_t.shape}, got {dh_t.shape}"
        )
    da = dh_t * act.df(h_t)  # gradient with respect to the pre-activation, (B, H)
    return da @ W_hx, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


@exercise("nb02_rnn_forward")
def rnn_forward(
    x: np.ndarray,
    h0: np.ndarray,
    W_hx: np.ndarray,
    W_hh: np.ndarray,
    b_h: np.ndarray,
    activation: str | Activation = "tanh",
) -> tuple[np.ndarray, list]:
    """Run the recurrence over a sequence, the same weights at every step.

    x (B, T, D), h0 (B, H), W_hx (H, D), W_hh (H, H), b_h (H,). Returns every hidden state
    h (B, T, H) (``h[:, t]`` is h_{t+1} in the lecture's 1-based time; ``h[:, -1]`` is the final state)
    and the cache, the list of the T step caches.
    """
    s = _Shapes("rnn_forward")
    W_hh = s.floats("W_hh", W_hh, "HH")
    W_hx = s.floats("W_hx", W_hx, "HD")
    b_h = s.floats("b_h", b_h, "H")
    x = s.floats("x", x, "BTD", finite=True)
    h_prev = s.floats("h0", h0, "BH", finite=True)
    B, T, _ = x.shape
    if T == 0:
        raise ValueError("rnn_forward: x has no time steps (T = 0)")
    h = np.empty((B, T, W_hh.shape[0]), dtype=np.result_type(x, h_prev, W_hh, W_hx, b_h))
    caches = []
    for t in range(T):
        h_prev, step_cache = rnn_step_forward(x[:, t], h_prev, W_hx, W_hh, b_h, activation)
        h[:, t] = h_prev
        caches.append(step_cache)
    return h, caches


@exercise("nb03_rnn_backward")
def rnn_backward(
    dh: np.ndarray, cache: list, dh_final: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backpropagation through time.

    dh (B, T, H) is the gradient of the loss with respect to every hidden state (from the output
    layer); dh_final (B, H), optional, is an extra gradient on the final state ``h[:, -1]`` (for
    example from a later chunk, or a sequence classifier). At each step, going backwards, the
    gradient reaching h_t is its own ``dh[:, t]`` plus what flows back from h_{t+1}.

    Returns ``(dx (B, T, D), dh0 (B, H), dW_hx (H, D), dW_hh (H, H), db_h (H,))``; the weight
    gradients are sums over the time steps, since the weights are shared.
    """
    if not cache:
        raise ValueError("rnn_backward: empty cache; pass the cache that rnn_forward returned")
    x0, h00, W_hx, W_hh, _, _ = cache[0]
    B, T, D, H = x0.shape[0], len(cache), x0.shape[1], W_hh.shape[0]
    dh = np.asarray(dh)
    if dh.shape != (B, T, H):
        raise ValueError(f"rnn_backward: dh must have shape (B, T, H) = {(B, T, H)}, got {dh.shape}")
    if dh_final is None:
        dh_next = np.zeros((B, H), dtype=dh.dtype)
    else:
        dh_next = np.asarray(dh_final)
        if dh_next.shape != (B, H):
            raise ValueError(f"rnn_backward: dh_final must have shape (B, H) = {(B, H)}, got {dh_next.shape}")
    dx = np.zeros((B, T, D), dtype=np.result_type(dh, x0))
    dW_hx = np.zeros_like(W_hx, dtype=dx.dtype)
    dW_hh = np.zeros_like(W_hh, dtype=dx.dtype)
    db_h = np.zeros(H, dtype=dx.dtype)
    for t in reversed(range(T)):
        dx[:, t], dh_next, dWx, dWh, db = rnn_step_backward(dh[:, t] + dh_next, cache[t])
        dW_hx += dWx
        dW_hh += dWh
        db_h += db
    return dx, dh_next, dW_hx, dW_hh, db_h


# --------------------------------------------------------------------------------------------------
# Output layer and loss
# --------------------------------------------------------------------------------------------------


def temporal_affine_forward(h: np.ndarray, W_S: np.ndarray, b_S: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Scores at every step: ``scores = h @ W_S.T + b_S``.

    h (B, T, H), W_S (V, H), b_S (V,). Returns scores (B, T, V) and the cache.
    """
    s = _Shapes("temporal_affine_forward")
    W_S = s.floats("W_S", W_S, "VH")
    b_S = s.floats("b_S", b_S, "V")
    h = s.floats("h", h, "BTH")
    B, T, H = h.shape
    # One 2-D product (B*T, H) @ (H, V): NumPy's stacked 3-D matmul does not reach BLAS as reliably.
    scores = (h.reshape(B * T, H) @ W_S.T + b_S).reshape(B, T, W_S.shape[0])
    return scores, (h, W_S)


def temporal_affine_backward(dscores: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dscores (B, T, V) -> ``(dh (B, T, H), dW_S (V, H), db_S (V,))``."""
    h, W_S = cache
    B, T, H = h.shape
    V = W_S.shape[0]
    dscores = np.asarray(dscores)
    if dscores.shape != (B, T, V):
        raise ValueError(
            f"temporal_affine_backward: dscores must have shape (B, T, V) = {(B, T, V)}, got {dscores.shape}"
        )
    flat = dscores.reshape(B * T, V)
    return (flat @ W_S).reshape(B, T, H), flat.T @ h.reshape(B * T, H), flat.sum(axis=0)


def log_softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(softmax(scores))`` computed stably (shift by the max, then log-sum-exp); same shape."""
    scores = np.asarray(scores)
    if not np.issubdtype(scores.dtype, np.floating):
        raise TypeError(f"log_softmax: scores must be a floating-point array, got dtype {scores.dtype}")
    shifted = scores - scores.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@exercise("nb02_softmax")
def softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """Probabilities along ``axis`` (default the last, V): ``exp(s_i) / sum_j exp(s_j)``; same shape.

    Subtracting the maximum first leaves the result unchanged and keeps ``exp`` from overflowing.
    """
    scores = np.asarray(scores)
    if not np.issubdtype(scores.dtype, np.floating):
        raise TypeError(f"softmax: scores must be a floating-point array, got dtype {scores.dtype}")
    if not np.isfinite(scores).all():
        raise ValueError("softmax: scores contain NaN or inf; expected finite values")
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@exercise("nb02_temporal_softmax_loss")
def temporal_softmax_loss(
    scores: np.ndarray, y: np.ndarray, mask: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Mean cross-entropy (in nats) of the next-token predictions, and its gradient.

    scores (B, T, V) float; y (B, T) integer targets in [0, V); mask (B, T) bool or 0/1, or None for
    all positions. ``J = -(1/N) sum_{unmasked b,t} log softmax(scores[b, t])[y[b, t]]`` with N the
    number of unmasked positions. Targets at masked positions are ignored (they may be padding such
    as -1). Returns ``(J, dscores (B, T, V))``; dscores is zero at masked positions.
    """
    s = _Shapes("temporal_softmax_loss")
    scores = s.floats("scores", scores, "BTV", finite=True)
    B, T, V = scores.shape
    m = _mask("temporal_softmax_loss", mask, (B, T))
    y = s.ids("y", y, "BT", V, where=m)
    n = int(m.sum())
    if n == 0:
        raise ValueError("temporal_softmax_loss: the mask selects no position; nothing to average")
    y_safe = np.where(m, y, 0)
    logp = log_softmax(scores)
    nll = -np.take_along_axis(logp, y_safe[..., None], axis=-1)[..., 0]
    loss = float(nll[m].sum() / n)
    dscores = np.exp(logp)
    b, t = np.indices((B, T))
    dscores[b, t, y_safe] -= 1.0
    dscores *= m[..., None] / n
    return loss, dscores


# --------------------------------------------------------------------------------------------------
# Perplexity: 2 ** J_bits == exp(J_nats)
# --------------------------------------------------------------------------------------------------

LN2 = math.log(2.0)


def _losses(where: str, J: float | np.ndarray) -> np.ndarray:
    arr = np.asarray(J, dtype=np.float64)
    if np.isnan(arr).any():
        raise ValueError(f"{where}: loss is NaN")
    if (arr < 0).any():
        raise ValueError(f"{where}: a cross-entropy loss is never negative, got {J!r}")
    return arr


def _out(arr: np.ndarray) -> float | np.ndarray:
    return float(arr) if arr.ndim == 0 else arr


def nats_to_bits(J_nats: float | np.ndarray) -> float | np.ndarray:
    """Cross-entropy in bits (base-2 logarithm) from nats (natural logarithm): ``J / ln 2``."""
    return _out(_losses("nats_to_bits", J_nats) / LN2)


def bits_to_nats(J_bits: float | np.ndarray) -> float | np.ndarray:
    """Cross-entropy in nats from bits: ``J * ln 2``."""
    return _out(_losses("bits_to_nats", J_bits) * LN2)


@exercise("nb02_perplexity")
def perplexity_from_loss(J_nats: float | np.ndarray) -> float | np.ndarray:
    """Perplexity ``exp(J)`` of a mean cross-entropy ``J`` in nats (the loss this module returns)."""
    return _out(np.exp(_losses("perplexity_from_loss", J_nats)))


@exercise("nb02_perplexity")
def perplexity_from_bits(J_bits: float | np.ndarray) -> float | np.ndarray:
    """Perplexity ``2 ** J`` of a mean cross-entropy ``J`` in bits; equals ``perplexity_from_loss``
    of the same loss in nats."""
    return _out(np.power(2.0, _losses("perplexity_from_bits", J_bits)))


# --------------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------------


def _stream(where: str, stream: object, vocab: int) -> np.ndarray:
    arr = np.asarray(stream)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{where}: the token stream must be an integer array, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{where}: the token stream must be 1-D (N,), got shape {arr.shape}")
    return _Shapes(where).ids("stream", arr, "N", vocab)


def _padded_rows(stream: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split the (input, next token) pairs of a stream into ``B`` contiguous rows, padding the last.

    Returns x, y (B, N) int64 and mask (B, N) bool, so that every target ``stream[1:]`` is counted once.
    """
    pairs = len(stream) - 1
    B = min(batch_size, pairs)
    N = -(-pairs // B)
    x = np.zeros(B * N, dtype=np.int64)
    y = np.zeros(B * N, dtype=np.int64)
    mask = np.zeros(B * N, dtype=bool)
    x[:pairs], y[:pairs], mask[:pairs] = stream[:-1], stream[1:], True
    return x.reshape(B, N), y.reshape(B, N), mask.reshape(B, N)


class RNNLM:
    """A one-layer RNN language model in NumPy, with exact gradients.

    ``params`` is a dict of arrays ``L (V, D), W_hx (H, D), W_hh (H, H), b_h (H,), W_S (V, H), b_S (V,)``
    (see the module docstring); update it in place to train. ``seed`` is an int or a
    ``numpy.random.Generator``. With ``init_scale=None`` the weights are drawn as
    ``L ~ N(0, 1)``, ``W_hx ~ N(0, 1/D)``, ``W_hh ~ N(0, 1/H)``, and ``W_S ~ N(0, 0.01/H)`` small, so an
    untrained model predicts nearly uniformly (perplexity close to V); with ``init_scale=s`` every
    weight is uniform in ``[-s, s]``. Biases start at zero.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        hidden_dim: int,
        *,
        activation: str = "tanh",
        seed: int | np.random.Generator | None = None,
        init_scale: float | None = None,
        dtype: Any = np.float64,
    ) -> None:
        V = _positive_int("RNNLM", "vocab_size", vocab_size)
        D = _positive_int("RNNLM", "embed_dim", embed_dim)
        H = _positive_int("RNNLM", "hidden_dim", hidden_dim)
        self.activation = get_activation(activation).name
        if not np.issubdtype(np.dtype(dtype), np.floating):
            raise TypeError(f"RNNLM: dtype must be a floating-point type, got {dtype!r}")
        rng = _rng(seed)
        shapes = {"L": (V, D), "W_hx": (H, D), "W_hh": (H, H), "W_S": (V, H)}
        if init_scale is None:
            std = {"L": 1.0, "W_hx": D**-0.5, "W_hh": H**-0.5, "W_S": 0.1 * H**-0.5}
            weights = {k: rng.standard_normal(shapes[k]) * std[k] for k in shapes}
        else:
            s = _positive_float("RNNLM", "init_scale", init_scale)
            weights = {k: rng.uniform(-s, s, size=shapes[k]) for k in shapes}
        weights["b_h"] = np.zeros(H)
        weights["b_S"] = np.zeros(V)
        self.params: dict[str, np.ndarray] = {k: weights[k].astype(dtype) for k in PARAM_NAMES}

    @classmethod
    def from_params(cls, params: Mapping[str, np.ndarray], activation: str = "tanh") -> RNNLM:
        """A model holding copies of ``params`` (for example weights copied from the PyTorch mirror)."""
        missing = [k for k in PARAM_NAMES if k not in params]
        if missing:
            raise ValueError(f"RNNLM.from_params: missing parameters {missing}; expected {list(PARAM_NAMES)}")
        s = _Shapes("RNNLM.from_params")
        arrays = {k: np.array(s.floats(k, params[k], PARAM_SHAPES[k], finite=True)) for k in PARAM_NAMES}
        V, D = arrays["L"].shape
        model = cls(V, D, arrays["W_hh"].shape[0], activation=activation, seed=0)
        model.params = arrays
        return model

    # sizes ----------------------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return self.params["L"].shape[0]

    @property
    def embed_dim(self) -> int:
        return self.params["L"].shape[1]

    @property
    def hidden_dim(self) -> int:
        return self.params["W_hh"].shape[0]

    def num_parameters(self) -> int:
        """Number of scalar parameters."""
        return int(sum(p.size for p in self.params.values()))

    def __repr__(self) -> str:
        return (
            f"RNNLM(V={self.vocab_size}, D={self.embed_dim}, H={self.hidden_dim}, "
            f"activation={self.activation!r}, parameters={self.num_parameters()})"
        )

    def init_state(self, batch_size: int) -> np.ndarray:
        """The zero initial state h0 (B, H)."""
        B = _positive_int("RNNLM.init_state", "batch_size", batch_size)
        return np.zeros((B, self.hidden_dim), dtype=self.params["W_hh"].dtype)

    # forward / loss -------------------------------------------------------------------------------
    def _forward(self, where: str, x_ids: object, h0: object) -> tuple[np.ndarray, tuple]:
        p = self.params
        s = _Shapes(where)
        s.dims["V"] = (self.vocab_size, "the model")
        s.dims["H"] = (self.hidden_dim, "the model")
        x_ids = s.ids("x_ids", x_ids, "BT", self.vocab_size)
        h0 = self.init_state(x_ids.shape[0]) if h0 is None else s.floats("h0", h0, "BH", finite=True)
        x, c_emb = embedding_forward(x_ids, p["L"])
        h, c_rnn = rnn_forward(x, h0, p["W_hx"], p["W_hh"], p["b_h"], self.activation)
        scores, c_aff = temporal_affine_forward(h, p["W_S"], p["b_S"])
        return scores, (h, c_emb, c_rnn, c_aff)

    def forward(self, x_ids: np.ndarray, h0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Scores for every position and the final state, no gradients.

        x_ids (B, T) int, h0 (B, H) or None for zeros. Returns ``(scores (B, T, V), h_last (B, H))``.
        """
        scores, (h, *_) = self._forward("RNNLM.forward", x_ids, h0)
        return scores, h[:, -1].copy()

    def loss(
        self,
        x_ids: np.ndarray,
        y_ids: np.ndarray,
        h0: np.ndarray | None = None,
        mask: np.ndarray | None = None,
    ) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
        """Mean cross-entropy (nats) of predicting ``y_ids`` from ``x_ids``, its gradients, the last state.

        x_ids, y_ids (B, T) int (``y_ids`` is usually ``x_ids`` shifted by one token); h0 (B, H) or
        None for zeros; mask (B, T) or None. Returns ``(loss, grads, h_last (B, H))`` with ``grads``
        keyed like ``params``. For truncated BPTT pass the previous chunk's ``h_last`` as ``h0``: the
        forward pass continues exactly, and no gradient flows into ``h0`` (it is a constant here).
        """
        p = self.params
        scores, (h, c_emb, c_rnn, c_aff) = self._forward("RNNLM.loss", x_ids, h0)
        if np.shape(y_ids) != np.shape(x_ids):
            raise ValueError(
                f"RNNLM.loss: y_ids must have the shape of x_ids {np.shape(x_ids)}, got {np.shape(y_ids)}"
            )
        loss, dscores = temporal_softmax_loss(scores, y_ids, mask)
        dh, dW_S, db_S = temporal_affine_backward(dscores, c_aff)
        dx, _dh0, dW_hx, dW_hh, db_h = rnn_backward(dh, c_rnn)
        dL = embedding_backward(dx, c_emb)
        grads = {"L": dL, "W_hx": dW_hx, "W_hh": dW_hh, "b_h": db_h, "W_S": dW_S, "b_S": db_S}
        return loss, {k: grads[k].astype(p[k].dtype, copy=False) for k in PARAM_NAMES}, h[:, -1].copy()

    # sampling -------------------------------------------------------------------------------------
    def sample(
        self,
        n: int,
        *,
        start_ids: np.ndarray | None = None,
        h0: np.ndarray | None = None,
        rng: int | np.random.Generator | None = None,
        temperature: float = 1.0,
    ) -> np.ndarray:
        """Generate ``n`` token ids, each drawn from ``softmax(scores / temperature)`` and fed back in.

        ``start_ids`` (T0,) or (B, T0) is a prompt run through the model first (from ``h0``, else zeros);
        without it, ``h0`` (H,) or (B, H) must be given and the first token is drawn from its prediction.
        ``rng`` is a seed or a Generator: the same seed gives the same sample. Temperatures below 1
        sharpen the distribution, above 1 flatten it. Returns (n,) or (B, n) int64, matching the prompt.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"RNNLM.sample: n must be a non-negative integer, got {n!r}")
        temperature = _positive_float("RNNLM.sample", "temperature", temperature)
        gen = _rng(rng)
        if start_ids is None and h0 is None:
            raise ValueError("RNNLM.sample: give start_ids (a prompt) or h0 (a state to continue from)")
        single = (start_ids is not None and np.ndim(start_ids) == 1) or (
            start_ids is None and np.ndim(h0) == 1
        )
        if h0 is not None:
            h0 = np.asarray(h0)
            h0 = h0[None] if h0.ndim == 1 else h0
        if start_ids is not None:
            ids = np.asarray(start_ids)
            ids = ids[None] if ids.ndim == 1 else ids
            _, h = self.forward(ids, h0)
        else:
            h = _Shapes("RNNLM.sample").floats("h0", h0, "BH", finite=True)
            if h.shape[1] != self.hidden_dim:
                raise ValueError(
                    f"RNNLM.sample: h0 must have H = {self.hidden_dim} columns, got shape {h.shape}"
                )
        p = self.params
        out = np.zeros((h.shape[0], n), dtype=np.int64)
        for i in range(n):
            probs = softmax((h @ p["W_S"].T + p["b_S"]) / temperature)
            # inverse-CDF draw, one uniform number per row: the first index whose CDF exceeds u
            cdf = np.cumsum(probs, axis=1)
            u = gen.random(h.shape[0])[:, None] * cdf[:, -1:]
            tok = np.minimum((cdf <= u).sum(axis=1), self.vocab_size - 1)
            out[:, i] = tok
            h, _ = rnn_step_forward(p["L"][tok], h, p["W_hx"], p["W_hh"], p["b_h"], self.activation)
        return out[0] if single else out

    # evaluation -----------------------------------------------------------------------------------
    def perplexity(
        self,
        data: np.ndarray | Iterable[tuple[np.ndarray, ...]],
        *,
        batch_size: int = 16,
        seq_len: int = 64,
    ) -> float:
        """Perplexity ``exp(mean cross-entropy)`` on held-out data, carrying the state along.

        ``data`` is either a 1-D integer stream (N,) -- every ``stream[i+1]`` is predicted from what
        comes before it in its row, the stream being cut into ``batch_size`` contiguous rows (padding
        is masked out, so all N - 1 targets count) read in chunks of ``seq_len`` -- or an iterable of
        consecutive ``(x, y)`` or ``(x, y, mask)`` batches, each (B, T), such as ``rnnlm.data``'s
        ``bptt_batches``; the state is carried from batch to batch (reset if B changes).
        """
        where = "RNNLM.perplexity"
        if isinstance(data, np.ndarray) or (isinstance(data, list) and data and np.isscalar(data[0])):
            stream = _stream(where, data, self.vocab_size)
            if len(stream) < 2:
                raise ValueError(f"{where}: the stream needs at least 2 tokens, got {len(stream)}")
            B = _positive_int(where, "batch_size", batch_size)
            T = _positive_int(where, "seq_len", seq_len)
            x, y, m = _padded_rows(stream, B)
            batches: Iterable[tuple[np.ndarray, ...]] = (
                (x[:, i : i + T], y[:, i : i + T], m[:, i : i + T]) for i in range(0, x.shape[1], T)
            )
        else:
            batches = data  # type: ignore[assignment]
        total, count, h = 0.0, 0, None
        for batch in batches:
            if len(batch) not in (2, 3):
                raise ValueError(
                    f"{where}: each batch must be (x, y) or (x, y, mask), got {len(batch)} items"
                )
            xb, yb = batch[0], batch[1]
            if h is not None and h.shape[0] != np.shape(xb)[0]:
                h = None
            scores, h = self.forward(xb, h)
            mb = _mask(where, batch[2] if len(batch) == 3 else None, scores.shape[:2])
            if not mb.any():
                continue
            yb = _Shapes(where).ids("y", yb, "BT", self.vocab_size, where=mb)
            if yb.shape != scores.shape[:2]:
                raise ValueError(f"{where}: y must have the shape of x {scores.shape[:2]}, got {yb.shape}")
            logp = log_softmax(scores)
            nll = -np.take_along_axis(logp, np.where(mb, yb, 0)[..., None], axis=-1)[..., 0]
            total += float(nll[mb].sum())
            count += int(mb.sum())
        if count == 0:
            raise ValueError(f"{where}: no target tokens to evaluate")
        return float(np.exp(total / count))


# --------------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------------


# The one norm-clipping formula of the kit. It works on NumPy arrays and on torch tensors alike (any
# device; torch is never imported here), so the NumPy trainer (through clip_grad_norm, the exercise of
# notebook 03) and the PyTorch trainer (through rnnlm.pathologies) clip with the same code.


def _is_tensor(g: object) -> bool:
    """Whether ``g`` is a torch tensor (without importing torch: no tensor exists before it is)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(g, torch.Tensor)


def _squared_norm(g: Any) -> float:
    """Sum of the squared entries of one array or tensor, accumulated in float64 (float32 on MPS)."""
    if _is_tensor(g):
        torch = sys.modules["torch"]
        dtype = torch.float32 if g.device.type == "mps" else torch.float64
        return float(torch.sum(torch.square(g.detach().to(dtype))))
    return float(np.sum(np.square(g, dtype=np.float64)))


def _all_finite(g: Any) -> bool:
    if _is_tensor(g):
        return bool(sys.modules["torch"].isfinite(g.detach()).all())
    return bool(np.isfinite(g).all())


def _global_norm(where: str, grads: Mapping[Any, Any]) -> float:
    """``||g|| = sqrt(sum of all squared entries of all arrays)``; ``grads`` maps names to NumPy arrays
    or torch tensors. Raises ``ValueError`` naming the keys whose arrays hold NaN or inf."""
    norm = math.sqrt(sum(_squared_norm(g) for g in grads.values()))
    if not math.isfinite(norm):
        bad = [k for k, g in grads.items() if not _all_finite(g)]
        raise ValueError(f"{where}: gradient norm is {norm}; non-finite entries in {bad}")
    return norm


def _norm_clip_factor(where: str, grads: Mapping[Any, Any], max_norm: float) -> tuple[float, float]:
    """``(||g||, factor)``: the global norm (:func:`_global_norm`) and the factor ``max_norm / ||g||``
    when ``||g|| > max_norm``, else 1, that norm clipping multiplies every array by."""
    max_norm = _positive_float(where, "max_norm", max_norm)
    norm = _global_norm(where, grads)
    return norm, (max_norm / norm if norm > max_norm else 1.0)


def _clip_grad_norm(
    where: str, grads: Mapping[Any, Any], max_norm: float
) -> tuple[dict[Any, Any], float]:
    """:func:`clip_grad_norm` for NumPy arrays or torch tensors: new arrays, and the norm before."""
    norm, factor = _norm_clip_factor(where, grads, max_norm)
    return {k: g * factor for k, g in grads.items()}, norm


@exercise("nb03_clip_grad_norm")
def clip_grad_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> tuple[dict[str, np.ndarray], float]:
    """Global norm clipping: if ``||g|| = sqrt(sum of all squared entries of all arrays)`` exceeds
    ``max_norm``, scale every array by ``max_norm / ||g||`` (the direction is kept).

    Returns a new dict (the input is not modified) and the norm before clipping.
    Raises ``ValueError`` if a gradient holds NaN or inf.
    """
    return _clip_grad_norm("clip_grad_norm", grads, max_norm)


class _SGD:
    def step(self, params: dict[str, np.ndarray], grads: Mapping[str, np.ndarray], lr: float) -> None:
        for k, g in grads.items():
            params[k] -= lr * g


class _Adagrad:
    """Per-entry step ``lr / sqrt(sum of past squared gradients)``."""

    def __init__(self, eps: float = 1e-8) -> None:
        self.eps = eps
        self.acc: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: Mapping[str, np.ndarray], lr: float) -> None:
        for k, g in grads.items():
            acc = self.acc.setdefault(k, np.zeros_like(g))
            acc += g * g
            params[k] -= lr * g / (np.sqrt(acc) + self.eps)


_OPTIMIZERS: dict[str, Callable[[], Any]] = {"sgd": _SGD, "adagrad": _Adagrad}


def train_numpy(
    model: RNNLM,
    train_stream: np.ndarray,
    valid_stream: np.ndarray,
    *,
    batch_size: int = 20,
    seq_len: int = 20,
    epochs: int = 5,
    lr: float = 1.0,
    optimizer: str = "sgd",
    clip_norm: float | None = 5.0,
    lr_decay: float = 0.5,
    min_improvement: float = 0.003,
    seed: int | np.random.Generator | None = 0,
    progress: bool = True,
    max_batches: int | None = None,
) -> History:
    """Train ``model`` in place with truncated BPTT and return the :class:`rnnlm.history.History`.

    The training stream (N,) is cut into ``batch_size`` contiguous rows read ``seq_len`` tokens at a
    time; each chunk starts from the previous chunk's last state (forward exact, gradient truncated).
    Each epoch starts at a random offset in ``[0, seq_len)`` drawn from ``seed``. Updates use the mean
    loss of a chunk, global-norm clipping to ``clip_norm`` (None: no clipping), and ``optimizer``
    ``"sgd"`` or ``"adagrad"``. After each epoch the valid perplexity is measured; when it improves on
    the best so far by less than ``min_improvement`` (relative), the learning rate is multiplied by
    ``lr_decay``. ``max_batches`` caps the chunks per epoch (for quick runs).

    The history has one row per epoch (train and valid perplexity, learning rate, seconds, tokens/s,
    mean pre-clipping gradient norm), ``stop_reason="epochs"`` and ``device="cpu"``; it is the same
    record :func:`rnnlm.train.train` returns. The model keeps its last weights (not the best epoch's).
    """
    where = "train_numpy"
    if not isinstance(model, RNNLM):
        raise TypeError(f"{where}: model must be an RNNLM, got {type(model).__name__}")
    train = _stream(where, train_stream, model.vocab_size)
    valid = _stream(where, valid_stream, model.vocab_size)
    B = _positive_int(where, "batch_size", batch_size)
    T = _positive_int(where, "seq_len", seq_len)
    E = _positive_int(where, "epochs", epochs)
    lr = _positive_float(where, "lr", lr)
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"{where}: optimizer must be one of {sorted(_OPTIMIZERS)}, got {optimizer!r}")
    if clip_norm is not None:
        clip_norm = _positive_float(where, "clip_norm", clip_norm)
    if not 0 < lr_decay <= 1:
        raise ValueError(f"{where}: lr_decay must be in (0, 1], got {lr_decay!r}")
    if max_batches is not None:
        max_batches = _positive_int(where, "max_batches", max_batches)
    if (len(train) - (T - 1)) // B < 2:  # every row, after a random offset < T, holds >= 2 tokens
        raise ValueError(
            f"{where}: the training stream has {len(train)} tokens; batch_size={B} rows need at least "
            f"{2 * B + T - 1} tokens"
        )
    if len(valid) < 2:
        raise ValueError(f"{where}: the validation stream needs at least 2 tokens, got {len(valid)}")

    from tqdm.auto import tqdm

    rng = _rng(seed)
    opt = _OPTIMIZERS[optimizer]()
    history = History(device="cpu")
    for epoch in range(1, E + 1):
        start = time.perf_counter()
        offset = int(rng.integers(T))
        windows = list(bptt_batches(batchify(train[offset:], B), T))[:max_batches]
        h = model.init_state(B)
        nll, tokens, norms = 0.0, 0, []
        bar = tqdm(windows, desc=f"epoch {epoch}/{E}", disable=not progress, leave=False)
        for k, (x, y) in enumerate(bar):
            loss, grads, h = model.loss(x, y, h0=h)
            if not math.isfinite(loss):
                raise ValueError(f"{where}: loss became {loss} in epoch {epoch}; lower lr or set clip_norm")
            if clip_norm is not None:
                grads, norm = clip_grad_norm(grads, clip_norm)
            else:
                norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
            opt.step(model.params, grads, lr)
            nll += loss * x.size
            tokens += x.size
            norms.append(norm)
            if progress and k % 10 == 0:
                bar.set_postfix(ppl=f"{math.exp(nll / tokens):.1f}", lr=f"{lr:.3g}")
        bar.close()
        train_s = time.perf_counter() - start
        valid_ppl = model.perplexity(valid, batch_size=B, seq_len=max(T, 64))
        best = history.best_valid_perplexity
        record = EpochRecord(
            epoch=epoch,
            train_perplexity=math.exp(nll / tokens),
            valid_perplexity=valid_ppl,
            learning_rate=lr,
            seconds=time.perf_counter() - start,
            tokens=tokens,
            tokens_per_second=tokens / train_s if train_s > 0 else 0.0,
            grad_norm=float(np.mean(norms)),
            improved=valid_ppl < best,
        )
        history.append(record)
        if progress:
            tqdm.write(
                f"epoch {epoch}/{E}: train ppl {record.train_perplexity:.2f}, valid ppl {valid_ppl:.2f}, "
                f"lr {lr:.3g}, {record.seconds:.1f} s"
            )
        if math.isfinite(best) and valid_ppl > best * (1.0 - min_improvement):
            lr *= lr_decay
    history.stop_reason = "epochs"
    return history
