"""Figures of notebook 03 (backpropagation through time): the unrolled graph forward and backward,
gradient flow, truncation error, gradient checks, training curves, sampling temperature, speed.

Each function takes plain numbers (lists, dicts, arrays), or training histories
(:class:`rnnlm.history.History`), and returns a ``matplotlib.figure.Figure``; see :mod:`rnnlm.plots`
for the conventions all the figures share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from rnnlm.history import History
from rnnlm.plots._draw import (
    arrow,
    as_float_array,
    as_number,
    check_same_length,
    edge_markers,
    label_bars,
    named_series,
    note,
    positive_int,
    style_axes,
)

__all__ = ["unrolled_graph_plot", "gradient_flow_plot", "truncation_error_plot", "gradient_check_plot",
           "training_curves_plot", "temperature_plot", "speed_plot"]


def unrolled_graph_plot(
    steps: int = 4,
    *,
    truncate: int | None = None,
    show_backward: bool = True,
    title: str | None = None,
) -> Figure:
    """The RNN language model unrolled over ``steps`` time steps, forward and backward.

    Nodes ``x_t`` (input), ``h_t`` (hidden state, with the initial ``h_0``), ``y_hat_t`` (prediction)
    and ``J_t`` (the loss at step t). Black arrows are the forward computation, the same weights at
    every step (labelled on the first); with ``show_backward`` red dashed arrows show where gradients
    flow: from each loss down to its hidden state, then back along the chain of hidden states.
    ``truncate=k`` cuts the sequence into chunks of k steps (shaded): the forward arrows still cross
    the chunk boundaries (the state is carried), the backward arrow across each boundary is cut
    (grey, marked with a cross). Arrows carry the gids ``"forward"``, ``"backward"`` and ``"cut"``.
    """
    T = positive_int(steps, "steps", maximum=16)
    if truncate is not None:
        truncate = positive_int(truncate, "truncate")
        if truncate > T:
            raise ValueError(f"truncate must be at most steps = {T}, got {truncate}")
    dx = 2.0
    rows = {"x": 0.0, "h": 1.5, "y": 3.0, "J": 4.3}
    fig = Figure(figsize=(1.5 + 1.45 * (T + 1), 4.6), layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_xlim(-0.9, T * dx + 0.9)
    ax.set_ylim(-0.7, 5.0)

    def node(t: int, row: str, text: str, colour: str) -> None:
        ax.text(t * dx, rows[row], text, ha="center", va="center", fontsize=12, gid="node",
                bbox={"boxstyle": "round,pad=0.35", "facecolor": colour, "edgecolor": "dimgray"})

    def link(src: tuple[float, float], dst: tuple[float, float], kind: str) -> None:
        arrow(ax, src, dst, kind, gid=kind, shrink=14)

    boundaries: list[int] = []  # a boundary b sits between steps b and b + 1
    if truncate is not None:
        boundaries = list(range(truncate, T, truncate))
        starts = [0, *boundaries]
        for i, s in enumerate(starts):
            end = min(s + truncate, T)
            ax.axvspan((s + 0.5) * dx, (end + 0.5) * dx - 0.02, color=f"C{i % 2}", alpha=0.07, lw=0)
            ax.text((s + end + 1) / 2 * dx, -0.55, f"chunk {i + 1}", ha="center", fontsize=9, color="dimgray")
        for b in boundaries:
            ax.axvline((b + 0.5) * dx, color="gray", linestyle=":", lw=1)

    node(0, "h", "$h_0$", "whitesmoke")
    for t in range(1, T + 1):
        node(t, "x", f"$x_{{{t}}}$", "lightyellow")
        node(t, "h", f"$h_{{{t}}}$", "aliceblue")
        node(t, "y", f"$\\hat y_{{{t}}}$", "honeydew")
        node(t, "J", f"$J_{{{t}}}$", "mistyrose")
        X = t * dx
        link((X, rows["x"]), (X, rows["h"]), "forward")
        link(((t - 1) * dx, rows["h"]), (X, rows["h"]), "forward")
        link((X, rows["h"]), (X, rows["y"]), "forward")
        link((X, rows["y"]), (X, rows["J"]), "forward")
        if show_backward:
            off = 0.32
            link((X + off, rows["J"]), (X + off, rows["y"]), "backward")
            link((X + off, rows["y"]), (X + off, rows["h"]), "backward")
            kind = "cut" if (t - 1) in boundaries else "backward"
            link((X, rows["h"] - 0.42), ((t - 1) * dx, rows["h"] - 0.42), kind)
            if kind == "cut":
                ax.text((t - 0.5) * dx, rows["h"] - 0.42, "✗", ha="center", va="center", fontsize=14,
                        color="tab:gray", gid="cut_mark")
    # the shared weights, written once on the first step
    ax.text(dx - 0.1, (rows["x"] + rows["h"]) / 2, "$W_{hx}$", fontsize=9, va="center", ha="right")
    ax.text(0.5 * dx, rows["h"] + 0.18, "$W_{hh}$", fontsize=9, ha="center")
    ax.text(dx - 0.1, (rows["h"] + rows["y"]) / 2, "$W_S$", fontsize=9, va="center", ha="right")
    if show_backward:
        ax.text(0.5 * dx, rows["h"] - 0.78, "$\\partial h_t / \\partial h_{t-1}$", fontsize=9,
                ha="center", color="tab:red")

    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="black", label="forward (same weights at every step)")]
    if show_backward:
        handles.append(Line2D([], [], color="tab:red", linestyle="--", label="backward: gradients"))
    if boundaries and show_backward:
        handles.append(Line2D([], [], color="lightgray", linestyle="--",
                              label=f"cut by truncation (k = {truncate})"))
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False,
              bbox_to_anchor=(0.0, 1.02), ncols=len(handles))
    ax.set_title(title or f"The RNN unrolled over {T} steps", pad=16)
    return fig


def gradient_flow_plot(
    norms: Mapping[str, Sequence[float]] | Sequence[float] | np.ndarray,
    *,
    truncate: int | None = None,
    title: str | None = None,
) -> Figure:
    """How large the gradient of one loss is at every earlier hidden state, on a log scale.

    ``norms[t - 1]`` is ``||dJ_T / dh_t||`` for ``t = 1..T`` (the loss at the last step, flowing
    back); a mapping draws one line per label (for example per scale of ``W_hh``). Zeros cannot sit on
    a log axis and are left out. ``truncate=k`` shades the last k steps: as far back as truncated
    BPTT with chunks of k steps lets the gradient of the last loss reach, at best.
    """
    series = named_series(norms, "norms", "||dJ_T / dh_t||")
    fig = Figure(figsize=(7.0, 4.0), layout="constrained")
    ax = fig.add_subplot()
    longest = 0
    for label, v in series.items():
        if v.size == 0:
            raise ValueError(f"norms[{label!r}] is empty")
        if np.any(np.isnan(v)) or np.any(v < 0):
            raise ValueError(f"norms[{label!r}] must hold norms >= 0 (no NaN), got {v.tolist()}")
        t = np.arange(1, v.size + 1)
        shown = v > 0
        ax.semilogy(t[shown], v[shown], marker="o", markersize=3, label=label)
        longest = max(longest, v.size)
    if truncate is not None:
        k = positive_int(truncate, "truncate")
        ax.axvspan(max(longest - k, 0) + 0.5, longest + 0.5, color="tab:green", alpha=0.12,
                   label=f"last {k} steps (truncated BPTT, k = {k})")
    style_axes(ax, xlabel="time step t (the loss is at the last step)",
               ylabel=r"$\|\partial J_T / \partial h_t\|$ (log scale)",
               title=title or "The gradient of the last loss, flowing back through time",
               legend=True, grid="both")
    return fig


def truncation_error_plot(
    lengths: Sequence[int],
    errors: Mapping[str, Sequence[float]] | Sequence[float] | np.ndarray,
    *,
    title: str | None = None,
) -> Figure:
    """Relative error of truncated-BPTT gradients against the full gradient, per truncation length.

    ``errors[name][i]`` is the relative error of the truncated gradient of parameter ``name`` with
    chunks of ``lengths[i]`` steps (a plain sequence is one unnamed line). Exact zeros (the full
    length) cannot sit on a log axis: they are drawn on the bottom edge as downward triangles.
    """
    k = as_float_array(lengths, "lengths")
    if k.size == 0:
        raise ValueError("lengths is empty: nothing to plot")
    series = named_series(errors, "errors", "relative error")
    positive: list[float] = []
    for name, v in series.items():
        check_same_length(k, v, "lengths", f"errors[{name!r}]")
        if np.any(~np.isfinite(v)) or np.any(v < 0):
            raise ValueError(f"errors[{name!r}] must hold finite errors >= 0, got {v.tolist()}")
        positive += [float(x) for x in v if x > 0]
    bottom = min(positive) / 10 if positive else 1e-16
    fig = Figure(figsize=(7.0, 4.0), layout="constrained")
    ax = fig.add_subplot()
    for i, (name, v) in enumerate(series.items()):
        nz = v > 0
        ax.semilogy(k[nz], v[nz], marker="o", color=f"C{i}", label=name)
        if np.any(~nz):
            edge_markers(ax, k[~nz], bottom, marker="v", colour=f"C{i}", size=8)
    if any(np.any(v == 0) for v in series.values()):
        note(ax, 0.99, 0.03, "▼ on the bottom edge = exact (error 0)", ha="right")
    ax.set_ylim(bottom=bottom * 0.8)
    style_axes(ax, xlabel="truncation length k (steps per chunk)",
               ylabel="relative error of the gradient (log scale)",
               title=title or "Truncated BPTT: how far from the full gradient?", legend=True, grid="both")
    return fig


def gradient_check_plot(
    errors: Mapping[str, float] | Mapping[str, Mapping[str, float]],
    *,
    tol: float = 1e-7,
    title: str | None = None,
) -> Figure:
    """Relative errors of gradient checks as bars on a log scale, with the tolerance across them.

    ``errors`` maps a parameter name to its worst relative error (one series: a bar is green when
    below ``tol``, red above), or a series name to such a mapping (grouped bars, one colour per
    series; for example NumPy against two PyTorch paths). Exact zeros are drawn at 1e-17 and marked
    "0"; NaN or inf reach the top edge, marked "nan" or "inf".
    """
    if not isinstance(errors, Mapping) or not errors:
        raise ValueError("errors must be a non-empty mapping name -> relative error")
    grouped = all(isinstance(v, Mapping) for v in errors.values())
    if not grouped and any(isinstance(v, Mapping) for v in errors.values()):
        raise ValueError("errors must map names to numbers, or series names to mappings, not a mixture")
    table: dict[str, dict[str, float]] = {}
    for series, values in (errors.items() if grouped else [("", errors)]):
        row: dict[str, float] = {}
        for name, value in values.items():  # type: ignore[union-attr]
            try:
                row[str(name)] = float(value)
            except (TypeError, ValueError) as exc:
                got = type(value).__name__
                raise TypeError(f"the error of {name!r} must be a number, got {got}") from exc
            if row[str(name)] < 0:
                raise ValueError(f"the error of {name!r} is negative ({value}); relative errors are >= 0")
        table[str(series)] = row
    tol = as_number(tol, "tol")
    if not (math.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    names = list(dict.fromkeys(n for row in table.values() for n in row))
    zero = 1e-17
    finite = [v for row in table.values() for v in row.values() if math.isfinite(v) and v > 0]
    top = max([*finite, tol]) * 100
    zeros = [zero] if any(v == 0 for row in table.values() for v in row.values()) else []
    bottom = min([*finite, tol, *zeros]) / 10

    fig_width = min(11.0, max(5.5, 0.6 * len(names) * max(1, len(table)) + 3.0))
    fig = Figure(figsize=(fig_width, 4.0), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(names), dtype=float)
    width = 0.8 / len(table)
    for i, (series, row) in enumerate(table.items()):
        pos = x - 0.4 + width * (i + 0.5)
        raw = np.array([row.get(n, np.nan) for n in names])
        present = np.array([n in row for n in names])
        heights = np.where(np.isfinite(raw), np.maximum(raw, zero), top)
        if grouped:
            colours: list[str] | str = f"C{i}"
        else:
            colours = ["tab:green" if (math.isfinite(v) and v < tol) else "tab:red" for v in raw]
        bars = ax.bar(pos[present], heights[present], width * 0.9, color=colours if grouped
                      else [c for c, p in zip(colours, present, strict=True) if p],
                      label=series if grouped else None)
        for rect, value in zip(bars, raw[present], strict=True):
            if value == 0 or not math.isfinite(value):
                label_bars(ax, [rect], ["0" if value == 0 else ("nan" if math.isnan(value) else "inf")])
    ax.axhline(tol, color="black", linestyle="--", linewidth=1, label=f"tolerance {tol:.0e}")
    ax.set_yscale("log")
    ax.set_ylim(bottom, top * 3)
    ax.set_xticks(x, names)
    ax.legend(fontsize=8, loc="upper left")
    style_axes(ax, ylabel="max relative error (log scale)",
               title=title or "Gradient check: analytic against numeric", grid="y")
    return fig


def training_curves_plot(
    runs: Mapping[str, History],
    *,
    references: Mapping[str, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Loss and perplexity per epoch: training (dashed) and validation (solid), one colour per run.

    ``runs`` maps a label to an :class:`rnnlm.history.History`, what both
    ``rnnlm.rnn_numpy.train_numpy`` and ``rnnlm.train.train`` return; its ``train_perplexity`` and
    ``valid_perplexity`` columns are drawn against its ``epoch`` numbers. Left: the mean
    cross-entropy ``ln(perplexity)`` in nats per token (bits on the right-hand axis); right: the
    perplexity, on a log scale. ``references`` draws labelled horizontal perplexities (for example
    the uniform model's V).
    """
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError("runs must be a non-empty mapping label -> rnnlm.history.History")
    curves: list[tuple[int, str, str, np.ndarray, np.ndarray]] = []
    for i, (label, history) in enumerate(runs.items()):
        if not isinstance(history, History):
            raise TypeError(
                f"runs[{label!r}] must be an rnnlm.history.History (as train_numpy and train return), "
                f"got {type(history).__name__}"
            )
        if len(history) == 0:
            raise ValueError(f"runs[{label!r}] has no epochs")
        epochs = np.asarray(history.epoch, dtype=int)
        for split in ("train", "valid"):
            column = f"{split}_perplexity"
            v = as_float_array(getattr(history, column), f"runs[{label!r}].{column}")
            if np.any(~np.isfinite(v)) or np.any(v < 1):
                raise ValueError(
                    f"runs[{label!r}].{column} must hold finite perplexities >= 1, got {v.tolist()}"
                )
            curves.append((i, str(label), split, epochs, v))

    fig = Figure(figsize=(10.5, 4.0), layout="constrained")
    ax_loss, ax_ppl = fig.subplots(1, 2)
    for i, label, split, epochs, v in curves:
        style = {"color": f"C{i}", "linestyle": "--" if split == "train" else "-",
                 "marker": "." if split == "train" else "o", "label": f"{label} ({split})"}
        ax_loss.plot(epochs, np.log(v), **style)
        ax_ppl.semilogy(epochs, v, **style)
    for j, (name, value) in enumerate((references or {}).items()):
        value = float(value)
        if not (math.isfinite(value) and value >= 1):
            raise ValueError(f"references[{name!r}] must be a finite perplexity >= 1, got {value!r}")
        ls = (0, (4, 2 + j))
        ax_ppl.axhline(value, color="gray", linewidth=1, linestyle=ls, label=f"{name}: {value:.4g}")
        ax_loss.axhline(math.log(value), color="gray", linewidth=1, linestyle=ls)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy J (nats per token)")
    ax_loss.secondary_yaxis("right", functions=(lambda j: j / math.log(2), lambda b: b * math.log(2))
                            ).set_ylabel("bits per token")
    ax_loss.set_title("Loss")
    ax_ppl.set_xlabel("epoch")
    ax_ppl.set_ylabel("perplexity = exp(J) (log scale)")
    ax_ppl.set_title("Perplexity")
    from matplotlib import ticker

    ax_ppl.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax_ppl.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _pos: f"{value:g}"))
    ax_ppl.yaxis.set_minor_formatter(ticker.NullFormatter())
    for ax in (ax_loss, ax_ppl):
        ax.grid(True, which="both", alpha=0.25)
        ax.xaxis.get_major_locator().set_params(integer=True)
    ax_ppl.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    if title:
        fig.suptitle(title)
    return fig


def temperature_plot(
    scores: Sequence[float] | np.ndarray,
    temperatures: Sequence[float],
    *,
    labels: Sequence[str] | None = None,
    top: int = 10,
    title: str | None = None,
) -> Figure:
    """The next-token distribution ``softmax(scores / temperature)`` at several temperatures.

    ``scores`` (V,) are a model's unnormalised scores for one position, ``labels`` the V token
    strings (default: the ids). The ``top`` highest-scoring tokens are shown as grouped bars, one
    colour per temperature; the legend gives the probability mass they hold together. Low
    temperatures pile the mass on the best token (greedy decoding as T -> 0); high ones flatten it
    towards uniform.
    """
    s = as_float_array(scores, "scores")
    if s.size == 0 or np.any(~np.isfinite(s)):
        raise ValueError("scores must be a non-empty array of finite numbers")
    temps = as_float_array(temperatures, "temperatures")
    if temps.size == 0 or np.any(~np.isfinite(temps)) or np.any(temps <= 0):
        raise ValueError(f"temperatures must be positive numbers, got {temps.tolist()}")
    if labels is not None and len(labels) != s.size:
        raise ValueError(f"labels has {len(labels)} entries but scores has {s.size}; they must match")
    k = min(positive_int(top, "top"), s.size)
    order = np.argsort(-s, kind="stable")[:k]
    names = [repr(str(labels[i]))[1:-1] if labels is not None else str(i) for i in order]
    names = [n if n.strip() else "␣" for n in names]

    fig = Figure(figsize=(min(11.0, max(6.0, 0.45 * k * max(1, temps.size / 2) + 3.0)), 4.0),
                 layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(k, dtype=float)
    width = 0.8 / temps.size
    for i, temp in enumerate(temps):
        z = s / temp
        p = np.exp(z - z.max())
        p /= p.sum()
        ax.bar(x - 0.4 + width * (i + 0.5), p[order], width * 0.92, color=f"C{i}",
               label=f"T = {temp:g} (top {k}: {p[order].sum():.0%})")
    ax.set_xticks(x, names)
    ax.set_ylim(0, 1.0)
    style_axes(ax, xlabel=f"the {k} highest-scoring next tokens", ylabel="probability",
               title=title or "Sampling temperature: softmax(scores / T)", legend=True, grid="y")
    return fig


def speed_plot(
    labels: Sequence[str],
    tokens_per_second: Sequence[float],
    *,
    baseline: int = 0,
    title: str | None = None,
) -> Figure:
    """Training throughput as horizontal bars, each marked with its ratio to ``labels[baseline]``.

    ``tokens_per_second[i]`` is the throughput of setup ``labels[i]`` measured in the same run
    (timings on one machine are only comparable as ratios). The axis is logarithmic when the
    fastest is more than 30 times the slowest.
    """
    v = as_float_array(tokens_per_second, "tokens_per_second")
    if len(labels) != v.size:
        raise ValueError(
            f"tokens_per_second has {v.size} values but labels has {len(labels)}; they must match"
        )
    if v.size == 0:
        raise ValueError("no setups to plot")
    if np.any(~np.isfinite(v)) or np.any(v <= 0):
        raise ValueError(f"tokens_per_second must be positive finite numbers, got {v.tolist()}")
    is_index = not isinstance(baseline, bool) and isinstance(baseline, (int, np.integer))
    if not is_index or not 0 <= baseline < v.size:
        raise ValueError(f"baseline must be an index into labels (0..{v.size - 1}), got {baseline!r}")

    fig = Figure(figsize=(7.5, 0.55 * v.size + 1.6), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(v.size)[::-1]
    colours = ["tab:gray" if i == baseline else f"C{i}" for i in range(v.size)]
    bars = ax.barh(y, v, color=colours)
    for rect, value in zip(bars, v, strict=True):
        ratio = value / v[baseline]
        centre = (rect.get_width(), rect.get_y() + rect.get_height() / 2)
        ax.annotate(f"{value:,.0f}/s  (×{ratio:.3g})", centre, xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=8)
    if v.max() / v.min() > 30:
        ax.set_xscale("log")
        ax.set_xlim(v.min() / 2, v.max() * 20)
    else:
        ax.set_xlim(0, v.max() * 1.45)
    ax.set_yticks(y, list(labels))
    style_axes(ax, xlabel="training tokens per second (higher is better)",
               title=title or f"Speed, relative to {labels[baseline]}", grid="x")
    return fig
