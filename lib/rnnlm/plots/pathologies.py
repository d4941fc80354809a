"""Figures of notebook 04 (gradient pathologies): gradient norm against distance with its bound,
the single-unit error surface with descent paths, per-layer gradient magnitudes of the two-layer
network, name-recall accuracy by distance, and adding-problem learning curves against the baseline.

Each function takes plain numbers (lists, dicts, arrays), or the small records of
:mod:`rnnlm.pathologies` read through their attributes (``.norm``/``.bound``, ``.w``/``.b``/``.loss``,
``.layer1``/``.layer2``, ``.step``/``.test_mse``), and returns a ``matplotlib.figure.Figure``; see
:mod:`rnnlm.plots` for the conventions all the figures share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from rnnlm.plots._draw import (
    as_float_array,
    as_number,
    check_same_length,
    edge_markers,
    note,
    style_axes,
)

__all__ = ["gradient_norm_distance_plot", "error_surface_plot", "layer_gradients_plot",
           "name_recall_plot", "adding_curves_plot"]


def _pair(value: Any, first: str, second: str, where: str) -> tuple[np.ndarray, np.ndarray]:
    """``(value.first, value.second)`` of a record, or the two items of a pair, as float arrays."""
    if hasattr(value, first) and hasattr(value, second):
        a, b = getattr(value, first), getattr(value, second)
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        a, b = value
    else:
        raise TypeError(f"{where} must have .{first} and .{second}, or be a pair ({first}, {second}); "
                        f"got {type(value).__name__}")
    a, b = as_float_array(a, f"{where} {first}"), as_float_array(b, f"{where} {second}")
    check_same_length(a, b, f"{where} {first}", f"{where} {second}")
    return a, b


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not value:
        raise ValueError(f"{name} must be a non-empty mapping label -> values")
    return value


def gradient_norm_distance_plot(
    panels: Mapping[str, Mapping[str, Any]],
    *,
    critical: Mapping[str, float] | None = None,
    title: str | None = None,
) -> Figure:
    """``||dh_T / dh_{T-d}||`` against the distance d, one panel per activation, with the bound.

    ``panels[panel][label]`` is one measured curve: a :class:`rnnlm.pathologies.GradientNorms`
    (its ``.norm`` and ``.bound``) or a pair ``(norm, bound)`` of arrays indexed by the distance
    d = 0, 1, ... The norm is drawn solid and the bound ``(beta_W beta_h)^d`` dashed in the same
    colour. Norms that overflowed (inf) are marked on the top edge, exact zeros on the bottom edge.
    ``critical[panel]``, when given, is the value of beta_W where the bound's rate is 1 (written in
    the panel's corner). With one panel, ``title`` is that panel's title; with several, the figure's.
    """
    panels = _mapping(panels, "panels")
    curves: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    finite: list[float] = []
    for panel, series in panels.items():
        series = _mapping(series, f"panels[{panel!r}]")
        curves[panel] = {}
        for label, value in series.items():
            norm, bound = _pair(value, "norm", "bound", f"panels[{panel!r}][{label!r}]")
            if np.any(np.isnan(norm)) or np.any(norm < 0):
                raise ValueError(f"panels[{panel!r}][{label!r}]: norms must be >= 0 (inf allowed), not NaN")
            curves[panel][str(label)] = (norm, bound)
            finite += [float(x) for x in norm if 0 < x < math.inf]
    low = max(min(finite) / 10, 1e-300) if finite else 1e-30
    high = max(finite) * 10 if finite else 1e30
    fig = Figure(figsize=(max(6.5, 4.2 * len(curves) + 0.6), 4.2), layout="constrained")
    axes = fig.subplots(1, len(curves), sharey=True, squeeze=False)[0]
    for ax, (panel, series) in zip(axes, curves.items(), strict=True):
        for i, (label, (norm, bound)) in enumerate(series.items()):
            d = np.arange(len(norm))
            ok = (norm > 0) & np.isfinite(norm)
            ax.semilogy(d[ok], norm[ok], color=f"C{i}", lw=1.8, label=label)
            shown = np.isfinite(bound) & (bound > 0) & (bound <= high * 1e3)
            ax.semilogy(d[shown], bound[shown], color=f"C{i}", lw=1.0, ls="--")
            if np.any(np.isinf(norm)):
                edge_markers(ax, d[np.isinf(norm)], high, marker="^", colour=f"C{i}", size=6)
            if np.any(norm == 0):
                edge_markers(ax, d[norm == 0], low, marker="v", colour=f"C{i}", size=6)
        if critical is not None and panel in critical:
            note(ax, 0.02, 0.02, f"critical beta_W = {as_number(critical[panel], 'critical'):g}")
        ax.set_ylim(low, high)
        one = len(curves) == 1 and title  # one panel: the title names it
        style_axes(ax, xlabel="distance d = T - k (steps)", title=title if one else panel, legend=True,
                   grid="both")
    axes[0].set_ylabel("||dh_T / dh_k||_2 (solid), bound (beta_W beta_h)^d (dashed)")
    if title and len(curves) > 1:
        fig.suptitle(title)
    return fig


def error_surface_plot(
    ws: Sequence[float] | np.ndarray,
    bs: Sequence[float] | np.ndarray,
    E: np.ndarray,
    trajectories: Mapping[str, Any] | None = None,
    *,
    title: str | None = None,
) -> Figure:
    """The single-unit error surface ``E[i, j]`` at ``(ws[j], bs[i])`` (log colour scale), with paths.

    ``trajectories[label]`` is a :class:`rnnlm.pathologies.Trajectory` (``.w``, ``.b``, ``.loss``)
    or a triple ``(w, b, loss)`` of arrays along the path. Left: the surface and each path (a circle
    at its start, a cross at its end; a path that leaves the window is cut at its edge, which a note
    says). Right: the error along each path, iteration by iteration.
    """
    ws, bs = as_float_array(ws, "ws"), as_float_array(bs, "bs")
    E = np.asarray(E, dtype=float)
    if E.shape != (bs.size, ws.size):
        raise ValueError(f"E must have shape (len(bs), len(ws)) = {(bs.size, ws.size)}, got {E.shape}")
    if ws.size < 2 or bs.size < 2 or not np.all(np.isfinite(E)) or np.any(E < 0):
        raise ValueError("need at least a 2 x 2 grid of finite errors >= 0")
    paths: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for label, value in (trajectories or {}).items():
        if all(hasattr(value, a) for a in ("w", "b", "loss")):
            w, b, loss = value.w, value.b, value.loss
        elif isinstance(value, Sequence) and len(value) == 3:
            w, b, loss = value
        else:
            raise TypeError(f"trajectories[{label!r}] must have .w, .b and .loss, or be (w, b, loss)")
        w, b, loss = (as_float_array(v, f"trajectories[{label!r}]") for v in (w, b, loss))
        check_same_length(w, b, "w", f"trajectories[{label!r}] b")
        check_same_length(w, loss, "w", f"trajectories[{label!r}] loss")
        paths[str(label)] = (w, b, loss)
    fig = Figure(figsize=(11.5 if paths else 6.5, 4.6), layout="constrained")
    if paths:
        ax, ax_loss = fig.subplots(1, 2, width_ratios=[1.25, 1])
    else:
        ax, ax_loss = fig.add_subplot(), None
    floor = max(float(E[E > 0].min()) if np.any(E > 0) else 1e-12, 1e-12)
    levels = np.linspace(math.log10(floor), math.log10(max(float(E.max()), floor * 10)), 30)
    filled = ax.contourf(ws, bs, np.log10(np.maximum(E, floor)), levels=levels, cmap="viridis")
    fig.colorbar(filled, ax=ax, label="log10 error")
    left = []
    for i, (label, (w, b, loss)) in enumerate(paths.items()):
        colour = ("black", "tab:red", "magenta", "tab:cyan", "white")[i % 5]
        inside = (w >= ws[0]) & (w <= ws[-1]) & (b >= bs[0]) & (b <= bs[-1])
        cut = int(np.argmin(inside)) if not inside.all() else len(w)
        if cut < len(w):
            left.append(label)
        end = max(cut, 1)
        ax.plot(w[:end], b[:end], color=colour, lw=1.4, marker=".", ms=3, label=label)
        ax.plot(w[0], b[0], "o", color=colour, mec="black", ms=7)
        if cut == len(w):
            ax.plot(w[-1], b[-1], "X", color=colour, mec="black", ms=8)
        if ax_loss is not None:
            ax_loss.semilogy(np.arange(len(loss)), np.maximum(loss, floor),
                             color=colour if colour != "white" else "gray", label=label)
    ax.set_xlim(ws[0], ws[-1])
    ax.set_ylim(bs[0], bs[-1])
    if left:
        note(ax, 0.02, 0.02, f"left the window: {', '.join(left)}", color="white")
    style_axes(ax, xlabel="w", ylabel="b", title=title or "Error surface of the single-unit RNN",
               legend=bool(paths))
    if ax_loss is not None:
        style_axes(ax_loss, xlabel="gradient descent iteration", ylabel="error (log scale)",
                   title="Error along each path", legend=True, grid="both")
    return fig


def layer_gradients_plot(
    runs: Mapping[str, Any],
    *,
    title: str | None = None,
) -> Figure:
    """Mean |gradient| of each hidden layer's weights over training, one colour per run (the lecture's
    sigmoid-against-ReLU figure): layer 1 solid, layer 2 dashed.

    ``runs[label]`` is a :class:`rnnlm.pathologies.LayerGradients` (``.layer1``, ``.layer2``) or a
    pair ``(layer1, layer2)`` of arrays, one value per iteration.
    """
    runs = _mapping(runs, "runs")
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for i, (label, value) in enumerate(runs.items()):
        g1, g2 = _pair(value, "layer1", "layer2", f"runs[{label!r}]")
        if np.any(~np.isfinite(g1)) or np.any(~np.isfinite(g2)) or np.any(g1 <= 0) or np.any(g2 <= 0):
            raise ValueError(f"runs[{label!r}]: gradient magnitudes must be finite and > 0")
        it = np.arange(1, len(g1) + 1)
        ax.semilogy(it, g1, color=f"C{i}", lw=1.4, label=f"{label}: layer 1 (W1)")
        ax.semilogy(it, g2, color=f"C{i}", lw=1.4, ls="--", label=f"{label}: layer 2 (W2)")
    style_axes(ax, xlabel="iteration", ylabel="mean |dL/dW| (log scale)",
               title=title or "Gradient magnitude per layer", legend=True, grid="both")
    return fig


def name_recall_plot(
    distances: Sequence[int] | np.ndarray,
    accuracy: Mapping[str, Any] | Sequence[float] | np.ndarray,
    *,
    chance: Mapping[str, float] | float | None = None,
    title: str | None = None,
) -> Figure:
    """Accuracy on the name-recall task against the distance between the name and its recall.

    ``accuracy[label]`` holds the accuracy at each of ``distances`` (a plain sequence is one line), or
    several runs of them, an array (runs, len(distances)): each run is drawn as faint dots and the
    line is their mean. ``chance`` draws a dotted line per label (a mapping), or one line (a number),
    at the accuracy of guessing.
    """
    d = as_float_array(distances, "distances")
    if d.size == 0:
        raise ValueError("distances is empty: nothing to plot")
    items = accuracy.items() if isinstance(accuracy, Mapping) else [("accuracy", accuracy)]
    if isinstance(accuracy, Mapping) and not accuracy:
        raise ValueError("accuracy is empty: give at least one series")
    fig = Figure(figsize=(7.0, 4.0), layout="constrained")
    ax = fig.add_subplot()
    for i, (label, values) in enumerate(items):
        try:
            runs = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"accuracy[{label!r}] must hold numbers") from exc
        runs = runs[None] if runs.ndim == 1 else runs
        if runs.ndim != 2 or runs.shape[1] != d.size or runs.shape[0] == 0:
            raise ValueError(f"accuracy[{label!r}] must hold {d.size} values (one per distance) or an array "
                             f"(runs, {d.size}); got shape {np.shape(values)}: the lengths must match")
        if np.any(~np.isfinite(runs)) or np.any((runs < 0) | (runs > 1)):
            raise ValueError(f"accuracy[{label!r}] must lie in [0, 1], got {runs.tolist()}")
        if runs.shape[0] > 1:
            for run in runs:
                ax.plot(d, run, "o", color=f"C{i}", alpha=0.3, ms=4)
            label = f"{label} (mean of {runs.shape[0]} runs)"
        ax.plot(d, runs.mean(axis=0), marker="o", color=f"C{i}", label=str(label))
        level = chance.get(str(label).split(" (mean of")[0]) if isinstance(chance, Mapping) else None
        if level is not None:
            ax.axhline(as_number(level, "chance"), color=f"C{i}", ls=":", lw=1.2, label="chance")
    if chance is not None and not isinstance(chance, Mapping):
        ax.axhline(as_number(chance, "chance"), color="gray", ls=":", lw=1.2, label="chance")
    ax.set_ylim(-0.02, 1.02)
    style_axes(ax, xlabel="distance between the name and its recall (tokens)", ylabel="accuracy",
               title=title or "Recalling a name across a distance", legend=True, grid="major")
    return fig


def adding_curves_plot(
    histories: Mapping[str, Any],
    *,
    baseline: float = 1.0 / 6.0,
    title: str | None = None,
) -> Figure:
    """Test MSE on the adding problem against training steps, one line per model, with the baseline.

    ``histories[label]`` is a :class:`rnnlm.pathologies.RegressionHistory` (``.step``,
    ``.test_mse``) or a pair ``(steps, test_mse)``. The dashed line is the best constant
    prediction's MSE (``baseline``, 1/6): only a curve below it has learnt anything.
    """
    histories = _mapping(histories, "histories")
    baseline = as_number(baseline, "baseline")
    fig = Figure(figsize=(7.0, 4.2), layout="constrained")
    ax = fig.add_subplot()
    values = [baseline]
    for i, (label, h) in enumerate(histories.items()):
        steps, mse = _pair(h, "step", "test_mse", f"histories[{label!r}]")
        if np.any(~np.isfinite(mse)) or np.any(mse <= 0):
            raise ValueError(f"histories[{label!r}]: test MSE must be finite and > 0")
        ax.semilogy(steps, mse, marker=".", color=f"C{i}", label=label)
        values += mse.tolist()
    ax.axhline(baseline, color="black", ls="--", lw=1.2, label=f"constant prediction ({baseline:.4f})")
    ax.set_ylim(min(values) / 1.5, max(values) * 1.5)
    style_axes(ax, xlabel="training step", ylabel="test MSE (log scale)",
               title=title or "The adding problem", legend=True, grid="both")
    return fig
