"""RNN sequence taggers: unidirectional, bidirectional and deep bidirectional (notebook 06).

Every token of a sentence gets one of K labels, e.g. the BIO tags of opinion expressions
(O = 0, B = 1, I = 2) as in Irsoy & Cardie (2014), "Opinion Mining with Deep Recurrent Neural
Networks". Shapes use B batch, T time, D embedding (input), H hidden (per direction), K labels,
V vocabulary; vectors are rows, as in :mod:`rnnlm.rnn_numpy`.

**Models.** With ``x_t = L[ids[:, t]]`` and ``f`` the activation (tanh by default):

* ``"uni"``, L stacked unidirectional layers (layer 0 reads ``x``, layer i the states of layer i-1)::

      h^i_t = f(h^i_{t-1} @ W_hh_li.T + h^{i-1}_t @ W_hx_li.T + b_h_li)          (B, H)

* ``"bi"``, one bidirectional layer: a forward RNN reads the sentence left to right, a backward
  RNN (its own weights) right to left, and a token's state is both, concatenated::

      hf_t = f(hf_{t-1} @ W_hh_f.T + x_t @ W_hx_f.T + b_h_f)                     (B, H)
      hb_t = f(hb_{t+1} @ W_hh_b.T + x_t @ W_hx_b.T + b_h_b)                     (B, H)
      h_t  = [hf_t, hb_t]                                                        (B, 2H)

* ``"deep"``, L bidirectional layers (Irsoy & Cardie, eq. 3): layer 0 is the ``"bi"`` layer; in
  layer i >= 1 each direction reads *both* directions of the layer below at the same t, through
  two matrices, W for the forward states below and V for the backward states below::

      hf^i_t = f(W_f^i hf^{i-1}_t + V_f^i hb^{i-1}_t + W_hh_f^i hf^i_{t-1} + b_h_f^i)
      hb^i_t = f(W_b^i hf^{i-1}_t + V_b^i hb^{i-1}_t + W_hh_b^i hb^i_{t+1} + b_h_b^i)

  (column-vector form, as in the lecture). Since ``W hf + V hb = [W, V] [hf; hb]``, such a layer is
  a bidirectional layer over the concatenated states below with input matrices ``[W_f, V_f]`` and
  ``[W_b, V_b]``; the code keeps W and V as separate, named parameters. ``"deep"`` with L = 1 is
  ``"bi"``.

The scores and the loss are the same for all three: ``scores_t = h_t @ W_S.T + b_S`` (B, T, K) and
the weighted mean cross-entropy over labelled tokens (:func:`tagging_loss`).

**Parameters.** One flat dict (NumPy) or one set of module parameters (PyTorch) with the same names
and shapes, so weights copy both ways (:func:`tagger_param_shapes` lists them)::

    L                           (V, D)       embeddings
    uni,  layer i:   W_hx_li    (H, D or H)  input-to-hidden (layer 0 reads D, later layers H)
                     W_hh_li    (H, H)       hidden-to-hidden
                     b_h_li     (H,)
    bi/deep, layer 0 and direction d in {f, b}:
                     W_hx_d_l0  (H, D)
                     W_hh_d_l0  (H, H)
                     b_h_d_l0   (H,)
    deep, layer i >= 1, direction d:
                     W_d_li     (H, H)       from the forward states of layer i-1
                     V_d_li     (H, H)       from the backward states of layer i-1
                     W_hh_d_li  (H, H)
                     b_h_d_li   (H,)
    W_S                         (K, H or 2H) hidden-to-scores (2H for bi and deep)
    b_S                         (K,)

**Padding.** A batch holds sentences of different lengths: ``lengths`` (B,) with
``1 <= lengths[b] <= T``; positions ``t >= lengths[b]`` are padding, always at the end of a row.
The forward direction runs left to right, so padding comes after every real token and cannot
reach them; the backward direction runs over each row reversed *within its length*
(:func:`reverse_padded`), so it starts at the sentence's last real token and meets padding only
at the end, too. Hidden states at padding positions are set to zero (a constant), so they get no
gradient, and labels at padding positions are ignored: what padding holds changes neither the loss
nor any gradient. The PyTorch model finds the lengths from the ids, ``(ids != pad_id).sum(1)``.

The NumPy functions are float64 pure functions, ``*_forward(...) -> (out, cache)`` and
``*_backward(dout, cache) -> grads``, built on :func:`rnnlm.rnn_numpy.rnn_forward` and
:func:`rnnlm.rnn_numpy.rnn_backward` (the loss on :func:`rnnlm.rnn_numpy.temporal_softmax_loss`);
:class:`RNNTagger` is the PyTorch model, trained by the kit's loop (:func:`rnnlm.train.train_step`)
through ``loss(ids, labels, state)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from rnnlm._exercise import exercise
from rnnlm.rnn_numpy import (
    ACTIVATIONS,
    Activation,
    _Shapes,
    embedding_backward,
    embedding_forward,
    get_activation,
    rnn_backward,
    rnn_forward,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
)
from rnnlm.rnn_torch import _resolve_device

__all__ = [
    "IGNORE_INDEX",
    "KINDS",
    "RNNTagger",
    "birnn_backward",
    "birnn_forward",
    "birnn_states",
    "count_parameters",
    "deep_birnn_backward",
    "deep_birnn_forward",
    "deep_birnn_layer_backward",
    "deep_birnn_layer_forward",
    "deep_layer_states",
    "init_tagger_params",
    "matched_hidden",
    "reverse_padded",
    "tag_scores",
    "tagger_loss_and_grads",
    "tagger_param_shapes",
    "tagger_scores",
    "tagging_loss",
]

#: The label that marks a token without a target (padding, or a token left out of the loss).
IGNORE_INDEX = -100
#: The tagger architectures.
KINDS: tuple[str, ...] = ("uni", "bi", "deep")

_RNN_KEYS = ("W_hx", "W_hh", "b_h")
_BI_KEYS = ("W_hx_f", "W_hh_f", "b_h_f", "W_hx_b", "W_hh_b", "b_h_b")
_DEEP_KEYS = ("W_f", "V_f", "W_hh_f", "b_h_f", "W_b", "V_b", "W_hh_b", "b_h_b")


# --------------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------------


def _check_kind(where: str, kind: object, layers: object) -> tuple[str, int]:
    if kind not in KINDS:
        raise ValueError(f"{where}: kind must be one of {KINDS}, got {kind!r}")
    if isinstance(layers, bool) or not isinstance(layers, (int, np.integer)):
        raise TypeError(f"{where}: layers must be an int >= 1, got {type(layers).__name__}")
    if layers < 1:
        raise ValueError(f"{where}: layers must be >= 1, got {layers}")
    if kind == "bi" and layers != 1:
        raise ValueError(
            f"{where}: kind='bi' is one bidirectional layer (layers=1), got layers={layers}; "
            "use kind='deep' for a stack of bidirectional layers"
        )
    return str(kind), int(layers)


def _check_size(where: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} must be a positive int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{where}: {name} must be >= 1, got {value}")
    return int(value)


def _check_lengths(where: str, lengths: object, B: int, T: int) -> np.ndarray:
    """``lengths`` as an int64 array (B,) with every entry in [1, T]."""
    arr = np.asarray(lengths)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{where}: lengths must be an integer array (B,), got dtype {arr.dtype}")
    if arr.shape != (B,):
        raise ValueError(f"{where}: lengths must have shape (B,) = ({B},), got {arr.shape}")
    bad = (arr < 1) | (arr > T)
    if bad.any():
        b = int(np.argmax(bad))
        raise ValueError(
            f"{where}: lengths[{b}] = {int(arr[b])}; every length must be in [1, T = {T}] "
            "(a sentence has at least one real token)"
        )
    return arr.astype(np.int64)


def _check_keys(where: str, name: str, params: Mapping[str, Any], keys: Sequence[str]) -> None:
    if not isinstance(params, Mapping):
        raise TypeError(f"{where}: {name} must be a dict of arrays, got {type(params).__name__}")
    missing = [k for k in keys if k not in params]
    extra = sorted(k for k in params if k not in keys)
    if missing or extra:
        raise ValueError(
            f"{where}: {name} must have exactly the keys {list(keys)}; missing {missing}, unexpected {extra}"
        )


def _length_mask(lengths: np.ndarray, T: int) -> np.ndarray:
    """(B, T) bool: True at the real tokens ``t < lengths[b]``."""
    return np.arange(T)[None, :] < lengths[:, None]


def _reverse_index(lengths: np.ndarray, T: int) -> np.ndarray:
    """(B, T) int: ``lengths[b] - 1 - t`` for ``t < lengths[b]``, else ``t`` (padding stays)."""
    t = np.arange(T)[None, :]
    n = lengths[:, None]
    return np.where(t < n, n - 1 - t, t)


# --------------------------------------------------------------------------------------------------
# Padding-aware reversal
# --------------------------------------------------------------------------------------------------


def reverse_padded(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Reverse the first ``lengths[b]`` steps of every row; padding steps stay where they are.

    x (B, T, ...) any dtype (ids (B, T), states (B, T, H), ...), lengths (B,) ints in [1, T].
    Returns a new array of x's shape: ``out[b, t] = x[b, lengths[b] - 1 - t]`` for
    ``t < lengths[b]``, ``out[b, t] = x[b, t]`` otherwise. It is a permutation of each row and
    its own inverse, ``reverse_padded(reverse_padded(x, n), n) == x``; being a permutation, its
    backward pass is itself too.
    """
    arr = np.asarray(x)
    if arr.ndim < 2:
        raise ValueError(f"reverse_padded: x must be at least 2-D (B, T, ...), got shape {arr.shape}")
    B, T = arr.shape[:2]
    n = _check_lengths("reverse_padded", lengths, B, T)
    idx = _reverse_index(n, T).reshape((B, T) + (1,) * (arr.ndim - 2))
    return np.take_along_axis(arr, idx, axis=1)


# --------------------------------------------------------------------------------------------------
# One bidirectional layer
# --------------------------------------------------------------------------------------------------


def _direction_params(where: str, name: str, p: Mapping[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    _check_keys(where, name, p, _RNN_KEYS)
    return p["W_hx"], p["W_hh"], p["b_h"]


@exercise("nb06_birnn_states")  # its states are exercise nb06_birnn_states: stubbed with it
def birnn_forward(
    x: np.ndarray,
    lengths: np.ndarray,
    params_f: Mapping[str, np.ndarray],
    params_b: Mapping[str, np.ndarray],
    activation: str | Activation = "tanh",
) -> tuple[np.ndarray, tuple]:
    """One bidirectional RNN layer over padded sentences.

    x (B, T, D); lengths (B,) ints in [1, T]; ``params_f`` (forward direction, left to right) and
    ``params_b`` (backward direction, right to left) are dicts ``{"W_hx" (H, D), "W_hh" (H, H),
    "b_h" (H,)}``. The backward direction is :func:`rnnlm.rnn_numpy.rnn_forward` over
    ``reverse_padded(x, lengths)``, its states reversed back, so ``hb_t`` has read tokens
    ``t .. lengths[b] - 1``. Returns h (B, T, 2H) = ``[hf, hb]`` along the last axis, zero at
    padding positions, and the cache.
    """
    return _birnn_forward(x, lengths, params_f, params_b, activation, "birnn_forward")


@exercise("nb06_birnn_states")
def birnn_states(
    x: np.ndarray,
    lengths: np.ndarray,
    params_f: Mapping[str, np.ndarray],
    params_b: Mapping[str, np.ndarray],
    activation: str | Activation = "tanh",
) -> np.ndarray:
    """The states h (B, T, 2H) of one bidirectional RNN layer, ``[hf, hb]``, zero at padding.

    x (B, T, D); lengths (B,) ints in [1, T]; ``params_f``, ``params_b`` dicts ``{"W_hx" (H, D),
    "W_hh" (H, H), "b_h" (H,)}`` of the forward (left to right) and backward (right to left,
    within each row's length) directions. :func:`birnn_forward` without the cache.
    """
    return _birnn_forward(x, lengths, params_f, params_b, activation, "birnn_states")[0]


def _birnn_forward(
    x: np.ndarray,
    lengths: np.ndarray,
    params_f: Mapping[str, np.ndarray],
    params_b: Mapping[str, np.ndarray],
    activation: str | Activation = "tanh",
    where: str = "birnn_forward",
) -> tuple[np.ndarray, tuple]:
    """:func:`birnn_forward`, for the library's own use (a student bundle stubs the public one);
    ``where`` starts every error message."""
    W_hx_f, W_hh_f, b_h_f = _direction_params(where, "params_f", params_f)
    W_hx_b, W_hh_b, b_h_b = _direction_params(where, "params_b", params_b)
    s = _Shapes(where)
    x = s.floats("x", x, "BTD", finite=True)
    for suffix, (W_hx, W_hh, b_h) in (("f", (W_hx_f, W_hh_f, b_h_f)), ("b", (W_hx_b, W_hh_b, b_h_b))):
        s.floats(f"W_hh ({suffix})", W_hh, "HH")
        s.floats(f"W_hx ({suffix})", W_hx, "HD")
        s.floats(f"b_h ({suffix})", b_h, "H")
    B, T = x.shape[:2]
    H = np.shape(W_hh_f)[0]
    n = _check_lengths(where, lengths, B, T)
    mask = _length_mask(n, T)[..., None]
    h0 = np.zeros((B, H), dtype=x.dtype)
    hf, cache_f = rnn_forward(x, h0, W_hx_f, W_hh_f, b_h_f, activation)
    hb_rev, cache_b = rnn_forward(reverse_padded(x, n), h0, W_hx_b, W_hh_b, b_h_b, activation)
    h = np.concatenate([hf, reverse_padded(hb_rev, n)], axis=-1) * mask
    return h, (n, mask, H, cache_f, cache_b)


def birnn_backward(
    dh: np.ndarray, cache: tuple
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Backward of :func:`birnn_forward`: dh (B, T, 2H) -> ``(dx (B, T, D), grads_f, grads_b)``.

    ``grads_f`` and ``grads_b`` are dicts keyed like ``params_f`` and ``params_b``. The gradient at
    padding positions is dropped (their states are the constant zero), so ``dx`` is exactly zero
    there and the weight gradients hold real positions only.
    """
    n, mask, H, cache_f, cache_b = cache
    dh = np.asarray(dh)
    expected = mask.shape[:2] + (2 * H,)
    if dh.shape != expected:
        raise ValueError(f"birnn_backward: dh must have shape (B, T, 2H) = {expected}, got {dh.shape}")
    dh = dh * mask
    dx_f, _, dW_hx_f, dW_hh_f, db_h_f = rnn_backward(dh[..., :H], cache_f)
    dx_b_rev, _, dW_hx_b, dW_hh_b, db_h_b = rnn_backward(reverse_padded(dh[..., H:], n), cache_b)
    dx = dx_f + reverse_padded(dx_b_rev, n)
    grads_f = {"W_hx": dW_hx_f, "W_hh": dW_hh_f, "b_h": db_h_f}
    grads_b = {"W_hx": dW_hx_b, "W_hh": dW_hh_b, "b_h": db_h_b}
    return dx, grads_f, grads_b


# --------------------------------------------------------------------------------------------------
# Deep bidirectional layers
# --------------------------------------------------------------------------------------------------


@exercise("nb06_deep_layer_states")  # its states are exercise nb06_deep_layer_states: stubbed with it
def deep_birnn_layer_forward(
    h_below: np.ndarray,
    lengths: np.ndarray,
    params: Mapping[str, np.ndarray],
    activation: str | Activation = "tanh",
) -> tuple[np.ndarray, tuple]:
    """A deep bidirectional layer i >= 1 (Irsoy & Cardie, eq. 3) over the states of layer i-1.

    h_below (B, T, 2H') is ``[hf^{i-1}, hb^{i-1}]`` (the output of :func:`birnn_forward` or of this
    function); lengths (B,); ``params`` holds, for each direction d in {f, b}::

        W_d     (H, H')  from the forward states below,  hf^{i-1}_t
        V_d     (H, H')  from the backward states below, hb^{i-1}_t
        W_hh_d  (H, H)   from the direction's own previous state (t-1 for f, t+1 for b)
        b_h_d   (H,)

    so that ``hf^i_t = f(hf^{i-1}_t @ W_f.T + hb^{i-1}_t @ V_f.T + hf^i_{t-1} @ W_hh_f.T + b_h_f)``
    and ``hb^i_t = f(hf^{i-1}_t @ W_b.T + hb^{i-1}_t @ V_b.T + hb^i_{t+1} @ W_hh_b.T + b_h_b)``.
    It is :func:`birnn_forward` over ``h_below`` with ``W_hx_d = [W_d, V_d]`` (H, 2H'). Returns
    h (B, T, 2H) (zero at padding) and the cache.
    """
    return _deep_birnn_layer_forward(h_below, lengths, params, activation, "deep_birnn_layer_forward")


@exercise("nb06_deep_layer_states")
def deep_layer_states(
    h_below: np.ndarray,
    lengths: np.ndarray,
    params: Mapping[str, np.ndarray],
    activation: str | Activation = "tanh",
) -> np.ndarray:
    """The states h (B, T, 2H) of a deep bidirectional layer i >= 1 over h_below (B, T, 2H'),
    zero at padding: :func:`deep_birnn_layer_forward` (the parameters ``W_d``, ``V_d``,
    ``W_hh_d``, ``b_h_d`` for d in {f, b}) without the cache."""
    return _deep_birnn_layer_forward(h_below, lengths, params, activation, "deep_layer_states")[0]


def _deep_birnn_layer_forward(
    h_below: np.ndarray,
    lengths: np.ndarray,
    params: Mapping[str, np.ndarray],
    activation: str | Activation = "tanh",
    where: str = "deep_birnn_layer_forward",
) -> tuple[np.ndarray, tuple]:
    """:func:`deep_birnn_layer_forward`, for the library's own use (a student bundle stubs the
    public one); ``where`` starts every error message."""
    _check_keys(where, "params", params, _DEEP_KEYS)
    s = _Shapes(where)
    h_below = s.floats("h_below", h_below, "BTE", finite=True)
    if h_below.shape[2] % 2:
        raise ValueError(
            f"{where}: h_below must be [forward, backward] states (B, T, 2H'), got an odd last axis "
            f"{h_below.shape}"
        )
    s.dims["P"] = (h_below.shape[2] // 2, "h_below (half its last axis)")
    for d in ("f", "b"):
        s.floats(f"W_hh_{d}", params[f"W_hh_{d}"], "HH")
        s.floats(f"W_{d}", params[f"W_{d}"], "HP")
        s.floats(f"V_{d}", params[f"V_{d}"], "HP")
        s.floats(f"b_h_{d}", params[f"b_h_{d}"], "H")
    p_f, p_b = (
        {
            "W_hx": np.concatenate([params[f"W_{d}"], params[f"V_{d}"]], axis=1),
            "W_hh": params[f"W_hh_{d}"],
            "b_h": params[f"b_h_{d}"],
        }
        for d in ("f", "b")
    )
    h, cache = _birnn_forward(h_below, lengths, p_f, p_b, activation)
    return h, (s.dims["P"][0], cache)


def deep_birnn_layer_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Backward of :func:`deep_birnn_layer_forward`: dh (B, T, 2H) -> ``(dh_below (B, T, 2H'), grads)``,
    ``grads`` keyed like ``params`` (``W_f``, ``V_f``, ``W_hh_f``, ``b_h_f`` and the same for b)."""
    P, bi_cache = cache
    dh_below, g_f, g_b = birnn_backward(dh, bi_cache)
    grads: dict[str, np.ndarray] = {}
    for d, g in (("f", g_f), ("b", g_b)):
        grads[f"W_{d}"] = g["W_hx"][:, :P]
        grads[f"V_{d}"] = g["W_hx"][:, P:]
        grads[f"W_hh_{d}"] = g["W_hh"]
        grads[f"b_h_{d}"] = g["b_h"]
    return dh_below, {k: grads[k] for k in _DEEP_KEYS}


@exercise("nb06_birnn_states")  # with one layer it is birnn_forward: stubbed in bundle 06 too
def deep_birnn_forward(
    x: np.ndarray,
    lengths: np.ndarray,
    layer_params: Sequence[Mapping[str, np.ndarray]],
    activation: str | Activation = "tanh",
) -> tuple[np.ndarray, list]:
    """L deep bidirectional layers; layer 0 reads the embeddings x (B, T, D).

    ``layer_params[0]`` is the bidirectional layer ``{"W_hx_f", "W_hh_f", "b_h_f", "W_hx_b",
    "W_hh_b", "b_h_b"}`` (:func:`birnn_forward`'s two dicts, suffixed); ``layer_params[i]``, i >= 1,
    the dict of :func:`deep_birnn_layer_forward`. Returns the top layer's states h (B, T, 2H), zero
    at padding, and the cache (one entry per layer). With one layer it is :func:`birnn_forward`.
    """
    return _deep_birnn_forward(x, lengths, layer_params, activation)


def _deep_birnn_forward(
    x: np.ndarray,
    lengths: np.ndarray,
    layer_params: Sequence[Mapping[str, np.ndarray]],
    activation: str | Activation = "tanh",
) -> tuple[np.ndarray, list]:
    """:func:`deep_birnn_forward`, for the library's own use (a student bundle stubs the public one)."""
    where = "deep_birnn_forward"
    if isinstance(layer_params, Mapping) or not isinstance(layer_params, Sequence) or not layer_params:
        raise TypeError(f"{where}: layer_params must be a non-empty list of per-layer dicts")
    first = layer_params[0]
    _check_keys(where, "layer_params[0]", first, _BI_KEYS)
    p_f, p_b = ({k: first[f"{k}_{d}"] for k in _RNN_KEYS} for d in ("f", "b"))
    h, cache = _birnn_forward(x, lengths, p_f, p_b, activation)
    layer_caches: list = [cache]
    for p in layer_params[1:]:
        h, cache = _deep_birnn_layer_forward(h, lengths, p, activation)
        layer_caches.append(cache)
    return h, layer_caches


def deep_birnn_backward(dh: np.ndarray, cache: list) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    """Backward of :func:`deep_birnn_forward`: dh (B, T, 2H) -> ``(dx (B, T, D), layer_grads)``,
    ``layer_grads[i]`` keyed like ``layer_params[i]``."""
    grads: list[dict[str, np.ndarray]] = []
    for layer_cache in reversed(cache[1:]):
        dh, g = deep_birnn_layer_backward(dh, layer_cache)
        grads.append(g)
    dx, g_f, g_b = birnn_backward(dh, cache[0])
    grads.append({f"{k}_{d}": g[k] for d, g in (("f", g_f), ("b", g_b)) for k in _RNN_KEYS})
    return dx, grads[::-1]


def _uni_forward(
    x: np.ndarray, lengths: np.ndarray, layer_params: Sequence[Mapping[str, np.ndarray]], activation: Any
) -> tuple[np.ndarray, tuple]:
    """Stacked unidirectional layers (``{"W_hx", "W_hh", "b_h"}`` each): h (B, T, H), zero at padding."""
    B, T = x.shape[:2]
    mask = _length_mask(lengths, T)[..., None]
    caches = []
    h = x
    for p in layer_params:
        W_hx, W_hh, b_h = _direction_params("tagger", "a uni layer", p)
        h, c = rnn_forward(h, np.zeros((B, W_hh.shape[0]), dtype=x.dtype), W_hx, W_hh, b_h, activation)
        h = h * mask
        caches.append(c)
    return h, (mask, caches)


def _uni_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    mask, caches = cache
    grads = []
    for c in reversed(caches):
        dh, _, dW_hx, dW_hh, db_h = rnn_backward(dh * mask, c)
        grads.append({"W_hx": dW_hx, "W_hh": dW_hh, "b_h": db_h})
    return dh, grads[::-1]


# --------------------------------------------------------------------------------------------------
# Output layer and loss
# --------------------------------------------------------------------------------------------------


def tag_scores(h: np.ndarray, W_S: np.ndarray, b_S: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Tag scores ``h @ W_S.T + b_S``: h (B, T, H) (2H for bi/deep), W_S (K, H), b_S (K,) ->
    (scores (B, T, K), cache); the backward is :func:`rnnlm.rnn_numpy.temporal_affine_backward`."""
    return temporal_affine_forward(h, W_S, b_S)


def _check_label_weights(where: str, label_weights: object, K: int) -> np.ndarray | None:
    if label_weights is None:
        return None
    w = np.asarray(label_weights)
    if w.dtype.kind not in "iuf":
        raise TypeError(f"{where}: label_weights must be a float array (K,), got dtype {w.dtype}")
    if w.shape != (K,):
        raise ValueError(f"{where}: label_weights must have shape (K,) = ({K},), got {w.shape}")
    w = w.astype(np.float64)
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(f"{where}: label_weights must be finite and >= 0, got {w.tolist()}")
    return w


def _check_labels(where: str, labels: object, shape: tuple[int, int], K: int) -> np.ndarray:
    y = np.asarray(labels)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{where}: labels must be an integer array (B, T), got dtype {y.dtype}")
    if y.shape != shape:
        raise ValueError(f"{where}: labels must have shape (B, T) = {shape}, got {y.shape}")
    bad = (y != IGNORE_INDEX) & ((y < 0) | (y >= K))
    if bad.any():
        pos = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{where}: labels hold {int(y[pos])} at {pos}; expected a label id in [0, K = {K}) "
            f"or {IGNORE_INDEX} (ignored)"
        )
    return y


def tagging_loss(
    scores: np.ndarray, labels: np.ndarray, label_weights: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Weighted mean cross-entropy of the tag scores, and its gradient.

    scores (B, T, K) float; labels (B, T) ints in [0, K), or ``IGNORE_INDEX`` (-100) for tokens
    without a target (padding); label_weights (K,) floats >= 0 or None (all 1). With ``w_i`` the
    weight of token i's label and ``nll_i = -log softmax(scores_i)[y_i]``, over the labelled tokens::

        J = sum_i w_i nll_i / sum_i w_i

    the normalisation of ``torch.nn.functional.cross_entropy(weight=..., ignore_index=-100,
    reduction="mean")``. It is computed as ``sum_k (w_k n_k / sum_j w_j n_j) J_k``, with ``J_k`` the
    plain mean cross-entropy (:func:`rnnlm.rnn_numpy.temporal_softmax_loss`) over the ``n_k`` tokens
    labelled k. Returns ``(J, dscores (B, T, K))``, zero at ignored tokens. Raises
    ``ValueError`` when no token is labelled or their weights sum to zero.
    """
    where = "tagging_loss"
    s = _Shapes(where)
    scores = s.floats("scores", scores, "BTK", finite=True)
    B, T, K = scores.shape
    y = _check_labels(where, labels, (B, T), K)
    w = _check_label_weights(where, label_weights, K)
    m = y != IGNORE_INDEX
    if not m.any():
        raise ValueError(f"{where}: every label is {IGNORE_INDEX} (ignored); nothing to average")
    weights = np.ones(K) if w is None else w
    counts = np.bincount(y[m], minlength=K)  # labelled tokens of each label, (K,)
    total = float(weights @ counts)
    if total <= 0:
        raise ValueError(f"{where}: the labelled tokens' weights sum to 0; nothing to average")
    # J = sum_k (w_k n_k / total) J_k, J_k the plain mean cross-entropy over the n_k tokens labelled k
    # (temporal_softmax_loss with their mask); its gradient is the same combination of theirs.
    y_safe = np.where(m, y, 0)
    loss, dscores = 0.0, np.zeros_like(scores)
    for k in np.flatnonzero(counts * weights):
        share = weights[k] * counts[k] / total
        loss_k, dscores_k = temporal_softmax_loss(scores, y_safe, m & (y == k))
        loss += share * loss_k
        dscores += share * dscores_k
    return float(loss), dscores


# --------------------------------------------------------------------------------------------------
# The whole tagger in NumPy
# --------------------------------------------------------------------------------------------------


def tagger_param_shapes(
    kind: str, layers: int, vocab_size: int, embed_dim: int, hidden: int, n_labels: int
) -> dict[str, tuple[int, ...]]:
    """The parameter names and shapes of a tagger, in a fixed order (see the module docstring).

    ``hidden`` is H per direction; ``"bi"`` and ``"deep"`` output layers read 2H.
    """
    where = "tagger_param_shapes"
    kind, layers = _check_kind(where, kind, layers)
    V = _check_size(where, "vocab_size", vocab_size)
    D = _check_size(where, "embed_dim", embed_dim)
    H = _check_size(where, "hidden", hidden)
    K = _check_size(where, "n_labels", n_labels)
    shapes: dict[str, tuple[int, ...]] = {"L": (V, D)}
    if kind == "uni":
        for i in range(layers):
            shapes.update({f"W_hx_l{i}": (H, D if i == 0 else H), f"W_hh_l{i}": (H, H), f"b_h_l{i}": (H,)})
        out = H
    else:
        for d in ("f", "b"):
            shapes.update({f"W_hx_{d}_l0": (H, D), f"W_hh_{d}_l0": (H, H), f"b_h_{d}_l0": (H,)})
        for i in range(1, layers):
            for d in ("f", "b"):
                shapes.update({f"W_{d}_l{i}": (H, H), f"V_{d}_l{i}": (H, H)})
                shapes.update({f"W_hh_{d}_l{i}": (H, H), f"b_h_{d}_l{i}": (H,)})
        out = 2 * H
    shapes.update({"W_S": (K, out), "b_S": (K,)})
    return shapes


def count_parameters(
    kind: str,
    layers: int,
    hidden: int,
    vocab_size: int,
    embed_dim: int,
    n_labels: int,
    *,
    include_embeddings: bool = False,
) -> int:
    """Number of scalar parameters of a tagger; by default without the embeddings ``L`` (V x D),
    which every model of a comparison shares."""
    shapes = tagger_param_shapes(kind, layers, vocab_size, embed_dim, hidden, n_labels)
    return sum(math.prod(s) for name, s in shapes.items() if include_embeddings or name != "L")


def matched_hidden(
    kind: str,
    layers: int,
    budget: int,
    vocab_size: int,
    embed_dim: int,
    n_labels: int,
    *,
    include_embeddings: bool = False,
) -> int:
    """The hidden size H (>= 1) whose parameter count is closest to ``budget``.

    Counts exclude the embeddings by default (they are V x D in every model, so a matched budget
    compares the recurrent and output layers), as :func:`count_parameters`; pass
    ``include_embeddings=True`` to count them. Ties go to the smaller H. Used to compare
    architectures at the same number of parameters, as Irsoy & Cardie's results tables do.
    """
    where = "matched_hidden"
    budget = _check_size(where, "budget", budget)

    def count(H: int) -> int:
        return count_parameters(
            kind, layers, H, vocab_size, embed_dim, n_labels, include_embeddings=include_embeddings
        )

    # the count grows strictly with H: find the last H with count(H) <= budget by bisection
    lo, hi = 1, 2
    while count(hi) <= budget:
        lo, hi = hi, 2 * hi
    if count(lo) > budget:
        return 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if count(mid) <= budget else (lo, mid)
    return lo if budget - count(lo) <= count(hi) - budget else hi


def init_tagger_params(
    vocab_size: int,
    n_labels: int = 3,
    *,
    embed_dim: int,
    hidden: int,
    kind: str = "uni",
    layers: int = 1,
    seed: int | np.random.Generator | None = None,
    scale: float | None = None,
) -> dict[str, np.ndarray]:
    """Random float64 parameters for the NumPy tagger (names and shapes: :func:`tagger_param_shapes`).

    ``scale=None``: ``L ~ N(0, 1)``, every other matrix uniform in ``+-1/sqrt(fan_in)``, biases 0 (as
    :class:`RNNTagger`); ``scale=s``: every entry, biases included, ``N(0, s^2)`` (for gradient
    checks, where non-zero biases matter). ``seed`` is an int or a ``numpy.random.Generator``.
    """
    shapes = tagger_param_shapes(kind, layers, vocab_size, embed_dim, hidden, n_labels)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    params = {}
    for name, shape in shapes.items():
        if scale is not None:
            params[name] = rng.normal(0.0, float(scale), size=shape)
        elif name == "L":
            params[name] = rng.standard_normal(shape)
        elif len(shape) == 1:
            params[name] = np.zeros(shape)
        else:
            a = 1.0 / math.sqrt(shape[1])
            params[name] = rng.uniform(-a, a, size=shape)
    return params


def _layer_dicts(params: Mapping[str, np.ndarray], kind: str, layers: int) -> list[dict[str, np.ndarray]]:
    """The flat parameter dict split into per-layer dicts (suffix ``_li`` removed)."""
    if kind == "uni":
        return [{k: params[f"{k}_l{i}"] for k in _RNN_KEYS} for i in range(layers)]
    first = {k: params[f"{k}_l0"] for k in _BI_KEYS}
    return [first] + [{k: params[f"{k}_l{i}"] for k in _DEEP_KEYS} for i in range(1, layers)]


def _tagger_forward(
    where: str,
    params: Mapping[str, np.ndarray],
    ids: np.ndarray,
    lengths: np.ndarray,
    kind: str,
    layers: int,
    activation: str | Activation,
) -> tuple[np.ndarray, tuple]:
    kind, layers = _check_kind(where, kind, layers)
    _check_keys(where, "params", params, tuple(tagger_param_shapes(kind, layers, 1, 1, 1, 1)))
    s = _Shapes(where)
    L = s.floats("L", params["L"], "VD")
    ids = s.ids("ids", ids, "BT", L.shape[0])
    B, T = ids.shape
    n = _check_lengths(where, lengths, B, T)
    act = get_activation(activation)
    x, c_emb = embedding_forward(ids, L)
    layer_params = _layer_dicts(params, kind, layers)
    if kind == "uni":
        h, c_rnn = _uni_forward(x, n, layer_params, act)
    else:
        h, c_rnn = _deep_birnn_forward(x, n, layer_params, act)
    scores, c_out = tag_scores(h, params["W_S"], params["b_S"])
    return scores, (kind, layers, n, c_emb, c_rnn, c_out)


def tagger_scores(
    params: Mapping[str, np.ndarray],
    ids: np.ndarray,
    lengths: np.ndarray,
    kind: str = "uni",
    layers: int = 1,
    activation: str | Activation = "tanh",
) -> np.ndarray:
    """Tag scores (B, T, K) of the NumPy tagger for ids (B, T) and lengths (B,) (no gradients).

    ``params`` is the flat dict of :func:`tagger_param_shapes`. Scores at padding positions are
    ``b_S`` (their states are zero).
    """
    scores, _ = _tagger_forward("tagger_scores", params, ids, lengths, kind, layers, activation)
    return scores


def tagger_loss_and_grads(
    params: Mapping[str, np.ndarray],
    ids: np.ndarray,
    lengths: np.ndarray,
    labels: np.ndarray,
    kind: str = "uni",
    layers: int = 1,
    label_weights: np.ndarray | None = None,
    activation: str | Activation = "tanh",
) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and exact gradients of the whole NumPy tagger: embeddings, RNN layers, scores, loss.

    params: the flat dict of :func:`tagger_param_shapes` for ``kind`` and ``layers``; ids (B, T)
    ints in [0, V); lengths (B,) in [1, T]; labels (B, T) ints in [0, K) or -100. Labels at padding
    positions (``t >= lengths[b]``) are ignored whatever they hold. label_weights (K,) as in
    :func:`tagging_loss`. Returns ``(loss, grads)``, ``grads`` with the keys of ``params``.
    """
    where = "tagger_loss_and_grads"
    scores, (kind, layers, n, c_emb, c_rnn, c_out) = _tagger_forward(
        where, params, ids, lengths, kind, layers, activation
    )
    B, T, K = scores.shape
    y = np.asarray(labels)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{where}: labels must be an integer array (B, T), got dtype {y.dtype}")
    if y.shape != (B, T):
        raise ValueError(f"{where}: labels must have the shape of ids (B, T) = {(B, T)}, got {y.shape}")
    y = _check_labels(where, np.where(_length_mask(n, T), y, IGNORE_INDEX), (B, T), K)
    loss, dscores = tagging_loss(scores, y, label_weights)
    dh, dW_S, db_S = temporal_affine_backward(dscores, c_out)
    if kind == "uni":
        dx, layer_grads = _uni_backward(dh, c_rnn)
    else:
        dx, layer_grads = deep_birnn_backward(dh, c_rnn)
    grads = {"L": embedding_backward(dx, c_emb), "W_S": dW_S, "b_S": db_S}
    for i, g in enumerate(layer_grads):
        grads.update({f"{k}_l{i}": v for k, v in g.items()})
    return loss, {k: grads[k] for k in params}


# --------------------------------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------------------------------

_TORCH_ACT = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}


def _int_tensor(where: str, name: str, value: Any, what: str) -> torch.Tensor:
    """``value`` (a tensor or NumPy array of integers) as a tensor; TypeError for anything else."""
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    if not isinstance(value, torch.Tensor):
        raise TypeError(
            f"{where}: {name} must be a torch.Tensor or numpy array of ints, got {type(value).__name__}"
        )
    if value.is_floating_point() or value.is_complex() or value.dtype == torch.bool:
        raise TypeError(f"{where}: {name} must hold integer {what}, got dtype {value.dtype}")
    return value


class RNNTagger(nn.Module):
    """RNN sequence tagger (``"uni"``, ``"bi"`` or ``"deep"``) with the NumPy reference's parameters.

    Every parameter is a direct attribute named as in :func:`tagger_param_shapes`, so
    ``state_dict()`` keys are the NumPy dict keys and :meth:`to_numpy_params` /
    :meth:`load_numpy_params` copy weights both ways. The recurrence is an explicit loop over time,
    vectorised over the batch; the backward direction runs over the rows reversed within their
    lengths (a gather, as :func:`reverse_padded`).

    Args:
        vocab_size: V, the number of word types (the ``vocab_size`` attribute, which the kit's
            training loop uses to check the ids).
        n_labels: K, the number of tags (3 for BIO).
        embed_dim: D, the embedding size.
        hidden: H, the hidden size per direction.
        kind: ``"uni"`` (``layers`` stacked unidirectional layers), ``"bi"`` (one bidirectional
            layer, ``layers=1``) or ``"deep"`` (``layers`` deep bidirectional layers; 1 is ``"bi"``).
        layers: the number of layers, >= 1.
        activation: ``"tanh"``, ``"sigmoid"`` or ``"relu"``.
        dropout: probability of zeroing an embedding unit and a top hidden-state unit, in training
            mode only (default 0).
        label_weights: (K,) floats >= 0, the cross-entropy weight of each gold label (e.g. below 1
            for O to favour recall of opinion spans), or None for equal weights.
        pad_id: the token id of padding; it may appear only at the end of a row.
        seed: seed for the initial weights (``L ~ N(0, 1)``, matrices uniform in
            ``+-1/sqrt(fan_in)``, biases 0); None uses torch's global generator.
        device: where the parameters live (None or ``"auto"``: :func:`rnnlm.device`).
        dtype: ``torch.float32`` (default) or ``torch.float64`` (for checks against NumPy).
    """

    def __init__(
        self,
        vocab_size: int,
        n_labels: int = 3,
        *,
        embed_dim: int,
        hidden: int,
        kind: str = "uni",
        layers: int = 1,
        activation: str = "tanh",
        dropout: float = 0.0,
        label_weights: Sequence[float] | np.ndarray | torch.Tensor | None = None,
        pad_id: int = 0,
        seed: int | None = None,
        device: str | torch.device | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        where = "RNNTagger"
        kind, layers = _check_kind(where, kind, layers)
        shapes = tagger_param_shapes(kind, layers, vocab_size, embed_dim, hidden, n_labels)
        if activation not in _TORCH_ACT:
            raise ValueError(f"{where}: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"{where}: dropout must be a number in [0, 1), got {dropout!r}")
        if isinstance(pad_id, bool) or not isinstance(pad_id, (int, np.integer)):
            raise TypeError(f"{where}: pad_id must be an int, got {type(pad_id).__name__}")
        if not 0 <= pad_id < vocab_size:
            raise ValueError(f"{where}: pad_id must be a token id in [0, V = {vocab_size}), got {pad_id}")
        if dtype not in (torch.float32, torch.float64):
            raise TypeError(f"{where}: dtype must be torch.float32 or torch.float64, got {dtype}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"{where}: seed must be an int or None, got {type(seed).__name__}")
        dev = _resolve_device(device)
        if isinstance(label_weights, torch.Tensor):
            label_weights = label_weights.detach().cpu().numpy()
        w = _check_label_weights(where, label_weights, int(n_labels))
        if w is not None and not w.sum() > 0:
            raise ValueError(f"{where}: label_weights must not all be 0, got {w.tolist()}")

        self.vocab_size, self.n_labels = int(vocab_size), int(n_labels)
        self.embed_dim, self.hidden = int(embed_dim), int(hidden)
        self.kind, self.layers, self.activation = kind, layers, activation
        self.dropout, self.pad_id = float(dropout), int(pad_id)
        self.param_names: tuple[str, ...] = tuple(shapes)
        self._shapes = shapes
        for name, shape in shapes.items():
            self.register_parameter(name, nn.Parameter(torch.empty(shape, device=dev, dtype=dtype)))
        # not in state_dict: the state dict holds exactly the NumPy parameters (config() has these)
        self.register_buffer(
            "label_weights",
            None if w is None else torch.as_tensor(w, dtype=dtype, device=dev),
            persistent=False,
        )
        self.reset_parameters(seed)

    # ------------------------------------------------------------------ parameters

    def reset_parameters(self, seed: int | None = None) -> None:
        """Re-draw the weights: ``L ~ N(0, 1)``, matrices uniform in ``+-1/sqrt(fan_in)``, biases 0."""
        gen = None
        if seed is not None:
            gen = torch.Generator(device="cpu")
            gen.manual_seed(int(seed))
        with torch.no_grad():
            for name in self.param_names:
                p = getattr(self, name)
                if name == "L":
                    value = torch.randn(p.shape, generator=gen, dtype=p.dtype)
                elif p.dim() == 1:
                    value = torch.zeros(p.shape, dtype=p.dtype)
                else:
                    a = 1.0 / math.sqrt(p.shape[1])
                    value = torch.rand(p.shape, generator=gen, dtype=p.dtype) * (2 * a) - a
                p.copy_(value)

    def to_numpy_params(self) -> dict[str, np.ndarray]:
        """Copies of the parameters as NumPy arrays (the model's float type), keyed as the NumPy tagger."""
        return {name: getattr(self, name).detach().cpu().numpy().copy() for name in self.param_names}

    def load_numpy_params(self, params: Mapping[str, np.ndarray]) -> None:
        """Copy NumPy arrays (the keys and shapes of :func:`tagger_param_shapes`) into the parameters."""
        where = "RNNTagger.load_numpy_params"
        _check_keys(where, "params", params, self.param_names)
        for name in self.param_names:
            arr = np.asarray(params[name])
            if not np.issubdtype(arr.dtype, np.floating):
                raise TypeError(f"{where}: {name} must be a float array, got dtype {arr.dtype}")
            if arr.shape != self._shapes[name]:
                raise ValueError(f"{where}: {name} must have shape {self._shapes[name]}, got {arr.shape}")
            if not np.isfinite(arr).all():
                raise ValueError(f"{where}: {name} contains NaN or inf")
        with torch.no_grad():
            for name in self.param_names:
                p = getattr(self, name)
                p.copy_(torch.as_tensor(np.asarray(params[name]), dtype=p.dtype, device=p.device))

    def n_parameters(self, *, embeddings: bool = True) -> int:
        """Number of scalar parameters (``embeddings=False`` leaves out ``L``, as :func:`matched_hidden`)."""
        return sum(p.numel() for name, p in self.named_parameters() if embeddings or name != "L")

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture (plain Python types)."""
        w = self.label_weights
        return {
            "vocab_size": self.vocab_size,
            "n_labels": self.n_labels,
            "embed_dim": self.embed_dim,
            "hidden": self.hidden,
            "kind": self.kind,
            "layers": self.layers,
            "activation": self.activation,
            "dropout": self.dropout,
            "label_weights": None if w is None else [float(v) for v in w.cpu()],
            "pad_id": self.pad_id,
        }

    @property
    def device(self) -> torch.device:
        """The device the parameters live on."""
        return self.L.device

    def extra_repr(self) -> str:
        return (
            f"kind={self.kind!r}, layers={self.layers}, V={self.vocab_size}, D={self.embed_dim}, "
            f"H={self.hidden}, K={self.n_labels}, parameters={self.n_parameters()}"
        )

    @torch.no_grad()
    def load_embeddings(
        self,
        L: np.ndarray | torch.Tensor,
        tagger_itos: Sequence[str],
        lm_itos: Sequence[str],
        *,
        freeze: bool = False,
    ) -> int:
        """Copy the rows of ``L`` (V_lm, D), e.g. a language model's embeddings, for the words both
        vocabularies hold; the tagger's other rows keep their values.

        ``tagger_itos`` (V strings) and ``lm_itos`` (V_lm strings) name the rows of the tagger's and
        of ``L``'s embeddings. ``freeze=True`` stops the whole embedding matrix from training
        (``L.requires_grad = False``), ``freeze=False`` lets it train. Returns the number of rows
        copied. Raises ``ValueError`` if D or a vocabulary's size does not match.
        """
        where = "RNNTagger.load_embeddings"
        src = L.detach().cpu() if isinstance(L, torch.Tensor) else torch.as_tensor(np.asarray(L))
        if not src.is_floating_point() or src.dim() != 2:
            raise ValueError(
                f"{where}: L must be a 2-D float array (V_lm, D), got {src.dtype} of shape {tuple(src.shape)}"
            )
        if src.shape[1] != self.embed_dim:
            raise ValueError(
                f"{where}: L has D = {src.shape[1]} columns, but the tagger's embeddings have "
                f"D = {self.embed_dim}"
            )
        vocabularies = (("tagger_itos", tagger_itos, self.vocab_size), ("lm_itos", lm_itos, src.shape[0]))
        for name, itos, size in vocabularies:
            if isinstance(itos, str) or not isinstance(itos, Sequence):
                raise TypeError(f"{where}: {name} must be a sequence of str, got {type(itos).__name__}")
            if len(itos) != size:
                raise ValueError(
                    f"{where}: {name} has {len(itos)} words, expected {size} (the rows of its matrix)"
                )
        lm_index: dict[str, int] = {}
        for j, word in enumerate(lm_itos):
            lm_index.setdefault(word, j)
        pairs = [(i, lm_index[w]) for i, w in enumerate(tagger_itos) if w in lm_index]
        if pairs:
            dst_rows = torch.tensor([i for i, _ in pairs], dtype=torch.long)
            src_rows = torch.tensor([j for _, j in pairs], dtype=torch.long)
            self.L[dst_rows.to(self.device)] = src[src_rows].to(device=self.device, dtype=self.L.dtype)
        self.L.requires_grad_(not freeze)
        return len(pairs)

    # ------------------------------------------------------------------ forward

    def _check_ids(self, ids: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """ids (B, T) -> (ids as long on the model's device, lengths (B,)); checks padding."""
        where = "RNNTagger"
        ids = _int_tensor(where, "ids", ids, "token ids")
        if ids.dim() != 2 or ids.numel() == 0:
            raise ValueError(
                f"{where}: ids must be a non-empty 2-D (B, T) array, got shape {tuple(ids.shape)}"
            )
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0 or hi >= self.vocab_size:
            raise ValueError(
                f"{where}: ids hold token ids in [{lo}, {hi}], expected ids in [0, V = {self.vocab_size})"
            )
        ids = ids.to(device=self.device, dtype=torch.long)
        real = ids != self.pad_id
        lengths = real.sum(dim=1)
        if bool((lengths == 0).any()):
            b = int(torch.nonzero(lengths == 0)[0, 0])
            raise ValueError(
                f"{where}: row {b} of ids is all padding (pad_id = {self.pad_id}); every row needs a token"
            )
        gap = real[:, 1:] & ~real[:, :-1]  # a real token right after a pad
        if bool(gap.any()):
            b, t = (int(v) for v in torch.nonzero(gap)[0])
            raise ValueError(
                f"{where}: ids row {b} has the pad id {self.pad_id} at t = {t} before a real token at "
                f"t = {t + 1}; padding must come only at the end of a row"
            )
        return ids, lengths

    def _drop(self, x: torch.Tensor) -> torch.Tensor:
        if self.dropout > 0 and self.training:
            return nn.functional.dropout(x, p=self.dropout, training=True)
        return x

    def _run(self, inputs: torch.Tensor, W_hh: torch.Tensor, rev: torch.Tensor | None) -> torch.Tensor:
        """The recurrence ``h_t = f(inputs_t + h_{t-1} @ W_hh.T)`` over (B, T, H) input terms (the
        input projection and bias, computed for all t at once); ``rev`` (B, T, H) gather indices run it
        right to left within each row's length. Returns the states (B, T, H)."""
        if rev is not None:
            inputs = torch.gather(inputs, 1, rev)
        f = _TORCH_ACT[self.activation]
        B, T, H = inputs.shape
        h = inputs.new_zeros(B, H)
        states = []
        for t in range(T):
            h = f(h @ W_hh.T + inputs[:, t])
            states.append(h)
        hs = torch.stack(states, dim=1)
        return torch.gather(hs, 1, rev) if rev is not None else hs

    def hidden_states(self, ids: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the RNN layers: ids (B, T) -> (top states (B, T, H or 2H), zero at padding, before
        dropout; real-token mask (B, T) bool)."""
        ids, lengths = self._check_ids(ids)
        B, T = ids.shape
        t = torch.arange(T, device=self.device)[None, :]
        n = lengths[:, None]
        mask = t < n
        keep = mask[..., None].to(self.L.dtype)
        rev = torch.where(mask, n - 1 - t, t)[..., None].expand(B, T, self.hidden)
        h = self._drop(self.L[ids])  # (B, T, D)
        p = dict(self.named_parameters())
        if self.kind == "uni":
            for i in range(self.layers):
                pre = h @ p[f"W_hx_l{i}"].T + p[f"b_h_l{i}"]
                h = self._run(pre, p[f"W_hh_l{i}"], None) * keep
            return h, mask
        for i in range(self.layers):
            outs = []
            for d, r in (("f", None), ("b", rev)):
                if i == 0:
                    pre = h @ p[f"W_hx_{d}_l0"].T + p[f"b_h_{d}_l0"]
                else:
                    below_f, below_b = h[..., : self.hidden], h[..., self.hidden :]
                    pre = below_f @ p[f"W_{d}_l{i}"].T + below_b @ p[f"V_{d}_l{i}"].T + p[f"b_h_{d}_l{i}"]
                outs.append(self._run(pre, p[f"W_hh_{d}_l{i}"], r))
            h = torch.cat(outs, dim=-1) * keep
        return h, mask

    def forward(self, ids: Any) -> torch.Tensor:
        """ids (B, T) int (padding ``pad_id`` only at the end of a row) -> tag scores (B, T, K).

        Scores at padding positions are ``b_S`` (their states are zero); the loss ignores them.
        """
        h, _ = self.hidden_states(ids)
        return nn.functional.linear(self._drop(h), self.W_S, self.b_S)

    def _labels(self, labels: Any, mask: torch.Tensor) -> torch.Tensor:
        where = "RNNTagger.loss"
        labels = _int_tensor(where, "labels", labels, "label ids")
        if tuple(labels.shape) != tuple(mask.shape):
            raise ValueError(
                f"{where}: labels must have the shape of ids (B, T) = {tuple(mask.shape)}, "
                f"got {tuple(labels.shape)}"
            )
        y = torch.where(mask, labels.to(device=self.device, dtype=torch.long), IGNORE_INDEX)
        bad = (y != IGNORE_INDEX) & ((y < 0) | (y >= self.n_labels))
        if bool(bad.any()):
            b, t = (int(v) for v in torch.nonzero(bad)[0])
            raise ValueError(
                f"{where}: labels hold {int(y[b, t])} at ({b}, {t}); expected a label id in "
                f"[0, K = {self.n_labels}) or {IGNORE_INDEX} (ignored)"
            )
        return y

    def loss(self, ids: Any, labels: Any, state: Any = None) -> tuple[torch.Tensor, None, int]:
        """Weighted mean cross-entropy over the labelled tokens: the kit's training-loop protocol.

        ids, labels (B, T) ints; labels in [0, K) or -100 (ignored); labels at padding positions are
        ignored whatever they hold. ``state`` is accepted for the protocol and unused (every batch
        starts from zero states). Returns ``(loss, None, n_tokens)``: the scalar loss tensor
        (``F.cross_entropy`` with ``weight=label_weights``, ``ignore_index=-100``, mean over the
        weights, as :func:`tagging_loss`), no state to carry, the number of labelled tokens.
        """
        h, mask = self.hidden_states(ids)
        scores = nn.functional.linear(self._drop(h), self.W_S, self.b_S)
        y = self._labels(labels, mask)
        n_tokens = int((y != IGNORE_INDEX).sum())
        if n_tokens == 0:
            raise ValueError(f"RNNTagger.loss: no labelled token (every label is {IGNORE_INDEX} or padding)")
        w = self.label_weights
        if w is not None and not float(w[y[y != IGNORE_INDEX]].sum()) > 0:
            raise ValueError("RNNTagger.loss: the labelled tokens' label_weights sum to 0")
        loss = nn.functional.cross_entropy(
            scores.reshape(-1, self.n_labels), y.reshape(-1), weight=w, ignore_index=IGNORE_INDEX
        )
        return loss, None, n_tokens

    @torch.no_grad()
    def predict(self, ids: Any) -> torch.Tensor:
        """The highest-scoring tag of every token: ids (B, T) -> (B, T) int64 on the CPU, with
        ``IGNORE_INDEX`` (-100) at padding positions. Runs in eval mode (no dropout); the mode is
        restored."""
        was_training = self.training
        self.eval()
        try:
            h, mask = self.hidden_states(ids)
            tags = nn.functional.linear(h, self.W_S, self.b_S).argmax(dim=-1)
            return torch.where(mask, tags, IGNORE_INDEX).cpu()
        finally:
            self.train(was_training)
