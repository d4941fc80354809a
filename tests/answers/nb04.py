"""Answers to notebook 04 (gradient pathologies), written from the student notebook alone.

Exercises: ``jacobian_product_norms`` (1), ``clip_grad_value`` (2), ``identity_init`` (3) and
``adding_problem`` (4). ``LITERAL`` answers loop plainly (one factor at a time with an SVD, boolean
masks, a diagonal filled entry by entry, one sequence at a time); ``IDIOMATIC`` ones use
``itertools.accumulate`` with a batched norm, ``np.minimum``/``np.maximum``, ``np.diag`` with
``numbers.Integral`` and ``np.put_along_axis``; ``WRONG`` holds the mistakes the text and its checks
warn about.
"""

LITERAL = {
    "nb04_jacobian_product_norms": r'''
import numpy as np


def jacobian_product_norms(jacobians: np.ndarray) -> np.ndarray:
    """norms[d] = ||J_T @ ... @ J_{T-d+1}||_2, the product grown by one earlier factor at a time."""
    if jacobians.ndim != 3:
        raise ValueError(f"jacobians must be 3-D (T, H, H), got {jacobians.ndim} dimensions")
    T, H, H2 = jacobians.shape
    if H != H2:
        raise ValueError(f"each Jacobian must be square, got ({H}, {H2})")
    if T == 0:
        raise ValueError("no Jacobians (T = 0)")
    norms = np.zeros(T + 1)
    norms[0] = 1.0
    product = np.identity(H)
    for d in range(1, T + 1):
        J_t = jacobians[T - d]  # J_{T-d+1}: jacobians[t - 1] is J_t
        product = product @ J_t  # the latest Jacobian stays on the left
        singular_values = np.linalg.svd(product, compute_uv=False)
        norms[d] = singular_values[0]
    return norms
''',
    "nb04_clip_grad_value": r'''
import math

import numpy as np


def clip_grad_value(grads: dict, clip_value: float) -> tuple[dict, float]:
    """Clamp every entry to [-c, c] in copies; report the largest |entry| seen before."""
    if not clip_value > 0 or math.isinf(clip_value) or math.isnan(clip_value):
        raise ValueError(f"clip_value must be positive and finite, got {clip_value}")
    largest = 0.0
    clipped = {}
    for name in grads:
        g = grads[name]
        if np.isnan(g).any() or np.isinf(g).any():
            raise ValueError(f"gradient {name} is not finite")
        if g.size > 0 and float(np.abs(g).max()) > largest:
            largest = float(np.abs(g).max())
        out = g.copy()
        out[out > clip_value] = clip_value
        out[out < -clip_value] = -clip_value
        clipped[name] = out
    return clipped, largest
''',
    "nb04_identity_init": r'''
import math

import numpy as np


def identity_init(H: int, scale: float = 1.0) -> np.ndarray:
    """A fresh float64 (H, H) matrix with scale on the diagonal."""
    if type(H) is not int or H < 1:
        raise ValueError(f"H must be a positive int, got {H!r}")
    if not scale > 0 or not math.isfinite(scale):
        raise ValueError(f"scale must be positive and finite, got {scale!r}")
    W = np.zeros((H, H), dtype=np.float64)
    for i in range(H):
        W[i, i] = scale
    return W
''',
    "nb04_adding_problem": r'''
import numpy as np


def adding_problem(n: int, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One sequence at a time: T uniform numbers, a mark in each half, the sum of the marked two."""
    if not isinstance(n, int) or not isinstance(T, int):
        raise ValueError(f"n and T must be ints, got {n!r} and {T!r}")
    if n < 1:
        raise ValueError(f"need at least one sequence, got n = {n}")
    if T < 2:
        raise ValueError(f"need T >= 2 (one mark in each half), got T = {T}")
    inputs = np.zeros((n, T, 2), dtype=np.float64)
    targets = np.zeros(n, dtype=np.float64)
    half = T // 2
    for i in range(n):
        inputs[i, :, 0] = rng.random(T)
        first = int(rng.integers(0, half))
        second = int(rng.integers(half, T))
        inputs[i, first, 1] = 1.0
        inputs[i, second, 1] = 1.0
        targets[i] = inputs[i, first, 0] + inputs[i, second, 0]
    return inputs, targets
''',
}

IDIOMATIC = {
    "nb04_jacobian_product_norms": r'''
from itertools import accumulate

import numpy as np


def jacobian_product_norms(jacobians: np.ndarray) -> np.ndarray:
    """Every partial product at once (accumulate over the Jacobians read backwards), then one
    batched spectral norm."""
    J = np.asarray(jacobians, dtype=float)
    if J.ndim != 3 or J.shape[-1] != J.shape[-2] or len(J) == 0:
        raise ValueError(f"expected jacobians of shape (T, H, H) with T >= 1, got {J.shape}")
    chains = accumulate(J[::-1], lambda left, factor: left @ factor, initial=np.eye(J.shape[-1]))
    return np.linalg.norm(np.stack(list(chains)), ord=2, axis=(1, 2))
''',
    "nb04_clip_grad_value": r'''
import numpy as np


def clip_grad_value(grads: dict, clip_value: float) -> tuple[dict, float]:
    """np.minimum/np.maximum into new arrays; the largest |entry| from one generator."""
    c = float(clip_value)
    if not (np.isfinite(c) and c > 0):
        raise ValueError(f"clip_value must be a positive finite number, got {clip_value!r}")
    if not all(np.isfinite(g).all() for g in grads.values()):
        raise ValueError("a gradient holds NaN or inf")
    largest = max((float(np.max(np.abs(g), initial=0.0)) for g in grads.values()), default=0.0)
    return {k: np.minimum(np.maximum(g, -c), c) for k, g in grads.items()}, largest
''',
    "nb04_identity_init": r'''
import numbers

import numpy as np


def identity_init(H: int, scale: float = 1.0) -> np.ndarray:
    """np.diag of a vector of scales."""
    if isinstance(H, bool) or not isinstance(H, numbers.Integral) or H <= 0:
        raise ValueError(f"H must be a positive integer, got {H!r}")
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    return np.diag(np.full(int(H), float(scale)))
''',
    "nb04_adding_problem": r'''
import numpy as np


def adding_problem(n: int, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised: uniform numbers, both marks drawn at once (low and high per half), targets by a
    masked sum."""
    for name, value, least in (("n", n, 1), ("T", T, 2)):
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
    numbers = rng.uniform(0.0, 1.0, size=(n, T))
    half = T // 2
    positions = rng.integers(low=[0, half], high=[half, T], size=(n, 2))
    marks = np.zeros((n, T))
    np.put_along_axis(marks, positions, 1.0, axis=1)
    return np.stack([numbers, marks], axis=-1), (numbers * marks).sum(axis=1)
''',
}

WRONG = {
    # the product built in the reverse order: each earlier Jacobian multiplied on the left
    "nb04_jacobian_product_norms": (r'''
import numpy as np


def jacobian_product_norms(jacobians: np.ndarray) -> np.ndarray:
    J = np.asarray(jacobians)
    if J.ndim != 3 or J.shape[1] != J.shape[2] or J.shape[0] == 0:
        raise ValueError(f"bad shape {J.shape}")
    T, H = J.shape[0], J.shape[1]
    norms = [1.0]
    product = np.eye(H)
    for d in range(1, T + 1):
        product = J[T - d] @ product
        norms.append(np.linalg.norm(product, ord=2))
    return np.array(norms)
''', "the latest Jacobian goes on the left"),
    # clamped from above only
    "nb04_clip_grad_value": (r'''
import math

import numpy as np


def clip_grad_value(grads: dict, clip_value: float) -> tuple[dict, float]:
    if not (math.isfinite(clip_value) and clip_value > 0):
        raise ValueError("bad clip_value")
    for g in grads.values():
        if not np.isfinite(g).all():
            raise ValueError("non-finite gradient")
    largest = max(float(np.abs(g).max()) for g in grads.values())
    return {k: np.minimum(g, clip_value) for k, g in grads.items()}, largest
''', "clamp from below too"),
    # the scale forgotten
    "nb04_identity_init": (r'''
import math

import numpy as np


def identity_init(H: int, scale: float = 1.0) -> np.ndarray:
    if not isinstance(H, int) or H < 1:
        raise ValueError("H must be a positive int")
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError("scale must be positive")
    return np.eye(H)
''', "must be 0.5 on the diagonal"),
    # both marks drawn from the whole sequence
    "nb04_adding_problem": (r'''
import numpy as np


def adding_problem(n: int, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(n, int) or not isinstance(T, int) or n < 1 or T < 2:
        raise ValueError("need n >= 1 and T >= 2")
    inputs = np.zeros((n, T, 2))
    inputs[:, :, 0] = rng.random((n, T))
    for i in range(n):
        marked = rng.choice(T, size=2, replace=False)
        inputs[i, marked, 1] = 1.0
    targets = (inputs[:, :, 0] * inputs[:, :, 1]).sum(axis=1)
    return inputs, targets
''', "one mark in each half"),
}
