"""Finite-difference gradient checks.

A backward pass is trusted once it agrees with centred differences,
``df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / 2h``, whose error shrinks like ``h**2``. In float64 with
``h = 1e-5`` a correct analytic gradient agrees to a relative error of about ``1e-8`` or better; an
error above ``1e-4`` almost always means a bug (a missing term, a transpose, a sum over the wrong axis).

The perturbing functions change ``x`` **in place** and restore it afterwards (also when ``f`` raises),
so ``f`` may close over ``x`` (for example a parameter inside a dict) instead of taking it as argument.

Main entry points:

- :func:`numeric_gradient` for a scalar ``f``; :func:`numeric_gradient_array` for an array-valued
  ``f`` and an upstream gradient ``dout`` (the gradient of ``sum(f(x) * dout)``);
- :func:`rel_error`, the worst element-wise relative error of two arrays;
- :func:`check_gradient`, which returns a :class:`GradCheckResult` naming the worst entry;
- :func:`check_param_gradients`, the same for every array of a parameter dict, so a notebook can say
  "W_hh is off by 3e-2 at (1, 4)".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from rnnlm._exercise import exercise

__all__ = [
    "GradCheckResult",
    "assert_gradients_ok",
    "check_gradient",
    "check_param_gradients",
    "numeric_gradient",
    "numeric_gradient_array",
    "rel_error",
]

#: Relative error below which a float64 gradient counts as correct.
DEFAULT_TOL = 1e-7
#: Denominator floor of :func:`rel_error`, so entries that are (numerically) zero on both sides pass.
DEFAULT_FLOOR = 1e-8
#: Safety factor on the rounding error of a difference quotient, ``eps * |f| / h`` (see check_gradient).
NOISE_FACTOR = 10.0


def _perturbable(x: object, name: str = "x") -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"{name} must be a NumPy array that can be perturbed in place, got {type(x).__name__}"
        )
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"{name} must be a floating-point array (float64 for meaningful checks), got dtype {x.dtype}"
        )
    if not x.flags.writeable:
        raise ValueError(f"{name} must be writeable: it is perturbed in place and restored")
    return x


def _check_step(h: float) -> float:
    if not isinstance(h, (int, float, np.floating)) or not np.isfinite(h) or h <= 0:
        raise ValueError(f"step h must be a positive finite number, got {h!r}")
    return float(h)


def _scalar(value: object) -> float:
    arr = np.asarray(value)
    if arr.ndim != 0 and arr.size != 1:
        raise TypeError(
            f"f must return a scalar, got an array of shape {arr.shape}; "
            "use numeric_gradient_array(f, x, dout) for array-valued functions"
        )
    return float(arr.reshape(()))


def _all_indices(shape: tuple[int, ...]) -> Iterable[tuple[int, ...]]:
    return np.ndindex(*shape)


Objective = Callable[[], tuple[float, float]]


def _centred(
    g: Objective, x: np.ndarray, indices: Iterable[tuple[int, ...]], h: float
) -> tuple[dict[tuple[int, ...], float], float]:
    """Centred differences of ``g()`` (which reads ``x``) at ``indices``; restores ``x``.

    ``g`` returns ``(value, magnitude)``, the magnitude being the size of the terms whose rounding
    errors the value carries. Returns the differences and the largest magnitude seen.
    """
    out: dict[tuple[int, ...], float] = {}
    size = 0.0
    for ix in indices:
        old = x[ix].copy()
        try:
            x[ix] = old + h
            f_plus, m_plus = g()
            x[ix] = old - h
            f_minus, m_minus = g()
        finally:
            x[ix] = old
        out[ix] = (f_plus - f_minus) / (2.0 * h)
        size = max(size, m_plus, m_minus)
    return out, size


def _scalar_objective(f: Callable[[np.ndarray], object], x: np.ndarray) -> Objective:
    def g() -> tuple[float, float]:
        value = _scalar(f(x))
        return value, abs(value)

    return g


@exercise("nb03_numeric_gradient")
def numeric_gradient(f: Callable[[np.ndarray], object], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of a scalar function ``f`` at ``x``.

    ``x`` (any shape, floating dtype) is perturbed one entry at a time, in place, and restored.
    Returns an array of ``x.shape``: ``grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h)``.
    Costs ``2 * x.size`` calls of ``f``.
    """
    x = _perturbable(x)
    h = _check_step(h)
    grad = np.zeros(x.shape, dtype=np.float64)
    values, _ = _centred(_scalar_objective(f, x), x, _all_indices(x.shape), h)
    for ix, v in values.items():
        grad[ix] = v
    return grad


def _array_objective(f: Callable[[np.ndarray], object], x: np.ndarray, dout: np.ndarray) -> Objective:
    def g() -> tuple[float, float]:
        out = np.asarray(f(x))
        if out.shape != dout.shape:
            raise ValueError(f"f(x) has shape {out.shape} but dout has shape {dout.shape}; they must match")
        terms = out * dout
        return float(np.sum(terms)), float(np.sum(np.abs(terms)))

    return g


@exercise("nb03_numeric_gradient")  # with dout = 1 it is numeric_gradient: stubbed in bundles too
def numeric_gradient_array(
    f: Callable[[np.ndarray], object], x: np.ndarray, dout: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Centred-difference gradient of ``sum(f(x) * dout)`` with respect to ``x``.

    This is what a backward pass returns for ``x`` when handed the upstream gradient ``dout``
    (``dout`` has the shape of ``f(x)``). Returns an array of ``x.shape``; ``x`` is restored.
    """
    x = _perturbable(x)
    h = _check_step(h)
    dout = np.asarray(dout, dtype=np.float64)
    grad = np.zeros(x.shape, dtype=np.float64)
    values, _ = _centred(_array_objective(f, x, dout), x, _all_indices(x.shape), h)
    for ix, v in values.items():
        grad[ix] = v
    return grad


def _elementwise_rel(a: np.ndarray, b: np.ndarray, floor: float) -> np.ndarray:
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    return np.abs(a - b) / scale


def rel_error(a: object, b: object, floor: float = DEFAULT_FLOOR) -> float:
    """Worst element-wise relative error ``|a - b| / max(|a|, |b|, floor)`` of two same-shape arrays.

    ``floor`` keeps entries that are zero on both sides (up to rounding) from dividing by zero.
    NaN anywhere gives ``nan``, which fails every ``< tol`` comparison.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs two arrays of the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    if np.isnan(a).any() or np.isnan(b).any():
        return float("nan")
    return float(np.max(_elementwise_rel(a, b, floor)))


@dataclass(frozen=True)
class GradCheckResult:
    """Outcome of comparing an analytic gradient with finite differences.

    ``max_rel_error`` is the worst element-wise relative error
    ``|analytic - numeric| / max(|analytic|, |numeric|, floor)``, found at ``index`` where the analytic
    gradient is ``analytic_value`` and the numeric one ``numeric_value``; ``ok`` is
    ``max_rel_error < tol``. ``checked`` entries of an array of ``shape`` were compared.
    """

    name: str
    max_rel_error: float
    index: tuple[int, ...]
    analytic_value: float
    numeric_value: float
    tol: float = DEFAULT_TOL
    checked: int = 0
    shape: tuple[int, ...] = ()
    floor: float = DEFAULT_FLOOR

    @property
    def ok(self) -> bool:
        return bool(self.max_rel_error < self.tol)

    def message(self) -> str:
        """One line, e.g. ``W_hh is off by 3.2e-02 at (1, 4): analytic 0.1234, numeric 0.1567``."""
        where = self.index if len(self.index) != 1 else f"({self.index[0]})"
        if self.ok:
            return (
                f"{self.name} ok: max relative error {self.max_rel_error:.1e} < {self.tol:.0e} "
                f"over {self.checked} entries"
            )
        return (
            f"{self.name} is off by {self.max_rel_error:.1e} at {where}: analytic {self.analytic_value:.6g}, "
            f"numeric {self.numeric_value:.6g} (tolerance {self.tol:.0e})"
        )

    def __str__(self) -> str:
        return self.message()

    def __repr__(self) -> str:
        return (
            f"GradCheckResult({self.name}: max_rel_error={self.max_rel_error:.2e} at {self.index}, "
            f"analytic={self.analytic_value:.6g}, numeric={self.numeric_value:.6g}, "
            f"{'ok' if self.ok else 'FAILED'})"
        )


def _choose_indices(
    shape: tuple[int, ...], num_checks: int | None, rng: np.random.Generator | int | None
) -> list[tuple[int, ...]]:
    size = int(np.prod(shape, dtype=np.int64))
    if num_checks is not None and (
        isinstance(num_checks, bool) or not isinstance(num_checks, (int, np.integer)) or num_checks < 1
    ):
        raise ValueError(f"num_checks must be a positive integer or None, got {num_checks!r}")
    if num_checks is None or num_checks >= size:
        return list(_all_indices(shape))
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    flat = gen.choice(size, size=int(num_checks), replace=False)
    return [tuple(int(i) for i in np.unravel_index(k, shape)) for k in np.sort(flat)]


def _check_floor(floor: float | str) -> float | None:
    if isinstance(floor, str):
        if floor != "auto":
            raise ValueError(f"floor must be a positive number or 'auto', got {floor!r}")
        return None
    if isinstance(floor, bool) or not isinstance(floor, (int, float, np.floating)) or not floor > 0:
        raise ValueError(f"floor must be a positive number or 'auto', got {floor!r}")
    return float(floor)


def _compare(
    name: str,
    analytic: np.ndarray,
    numeric: dict[tuple[int, ...], float],
    tol: float,
    floor: float,
) -> GradCheckResult:
    idx = list(numeric)
    if not idx:
        return GradCheckResult(name, 0.0, (), 0.0, 0.0, tol, 0, analytic.shape, floor)
    a = np.array([analytic[ix] for ix in idx], dtype=np.float64)
    n = np.array([numeric[ix] for ix in idx], dtype=np.float64)
    bad = ~np.isfinite(a) | ~np.isfinite(n)
    with np.errstate(invalid="ignore"):
        errs = _elementwise_rel(a, n, floor)
    errs[bad] = np.inf
    k = int(np.argmax(errs))
    worst = float(errs[k]) if not bad[k] else float("nan")
    return GradCheckResult(
        name, worst, idx[k], float(a[k]), float(n[k]), tol, len(idx), analytic.shape, floor
    )


def check_gradient(
    f: Callable[[np.ndarray], object],
    x: np.ndarray,
    analytic: object,
    *,
    dout: object = None,
    h: float = 1e-5,
    name: str = "x",
    tol: float = DEFAULT_TOL,
    floor: float | str = "auto",
    num_checks: int | None = None,
    rng: np.random.Generator | int | None = None,
) -> GradCheckResult:
    """Compare ``analytic`` (shape of ``x``) with the centred-difference gradient of ``f`` at ``x``.

    ``f`` returns a scalar, or, when ``dout`` is given, an array of ``dout``'s shape (the checked
    quantity is then ``sum(f(x) * dout)``). ``num_checks`` checks only that many random entries
    (chosen with ``rng``), for large arrays. Returns the worst entry as a :class:`GradCheckResult`.

    Rounding limits what centred differences can resolve: the quotient carries an absolute error of
    about ``eps * |f| / h`` (eps = 2.2e-16), so an entry much smaller than that over ``tol`` cannot be
    confirmed to relative accuracy ``tol``. ``floor="auto"`` therefore uses
    ``floor = max(1e-8, 10 * eps * |f| / (h * tol))`` in the relative error's denominator (with
    ``|f|`` the largest size of the summed terms seen): large entries are held to ``tol`` relative,
    entries below the floor to about ten times the rounding error, absolute. Pass a number to fix it.
    """
    x = _perturbable(x, name)
    h = _check_step(h)
    fixed_floor = _check_floor(floor)
    analytic = np.asarray(analytic)
    if analytic.shape != x.shape:
        raise ValueError(
            f"analytic gradient for {name} must have the shape of {name} {x.shape}, got {analytic.shape}"
        )
    if dout is None:
        g = _scalar_objective(f, x)
    else:
        g = _array_objective(f, x, np.asarray(dout, dtype=np.float64))
    indices = _choose_indices(x.shape, num_checks, rng)
    numeric, size = _centred(g, x, indices, h)
    if fixed_floor is None:
        eps = float(np.finfo(np.float64).eps)
        fixed_floor = max(DEFAULT_FLOOR, NOISE_FACTOR * eps * size / (h * tol))
    return _compare(name, analytic, numeric, tol, fixed_floor)


def check_param_gradients(
    f: Callable[[], object],
    params: Mapping[str, np.ndarray],
    grads: Mapping[str, object],
    *,
    names: Iterable[str] | None = None,
    h: float = 1e-5,
    tol: float = DEFAULT_TOL,
    floor: float | str = "auto",
    num_checks: int | None = None,
    rng: np.random.Generator | int | None = None,
) -> dict[str, GradCheckResult]:
    """Check every parameter array of a scalar function of a parameter dict.

    ``f()`` takes no argument and reads ``params`` (which are perturbed in place and restored);
    ``grads[name]`` is the analytic gradient of ``params[name]``. ``names`` restricts the check
    (default: every key of ``grads``). Tolerances as in :func:`check_gradient`. Returns
    ``{name: GradCheckResult}`` in that order; :func:`assert_gradients_ok` turns failures into one
    readable error.
    """
    if names is None:
        names = list(grads)
    results: dict[str, GradCheckResult] = {}
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    for name in names:
        if name not in params:
            raise KeyError(f"no parameter {name!r}; parameters are {sorted(params)}")
        if name not in grads:
            raise KeyError(f"no gradient for parameter {name!r}; gradients are {sorted(grads)}")
        results[name] = check_gradient(
            lambda _x: f(),
            params[name],
            grads[name],
            h=h,
            name=name,
            tol=tol,
            floor=floor,
            num_checks=num_checks,
            rng=gen,
        )
    return results


def assert_gradients_ok(results: GradCheckResult | Mapping[str, GradCheckResult]) -> None:
    """Raise ``AssertionError`` listing every failed check (one line each); silent when all pass."""
    items = [results] if isinstance(results, GradCheckResult) else list(results.values())
    failed = [r.message() for r in items if not r.ok]
    if failed:
        raise AssertionError("gradient check failed:\n  " + "\n  ".join(failed))
