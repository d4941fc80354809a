"""Figures of notebook 05 (class-based softmax for large vocabularies): the number of words in each
class for each way of binning the vocabulary, and the lecture's speed-perplexity trade-off against
the number of classes C, with the full (or any other) softmax as reference lines and the C = sqrt(V)
optimum marked.

Each function takes plain numbers (lists, dicts, arrays; a :class:`rnnlm.class_softmax.WordClasses`
gives its ``.class_sizes``) and returns a ``matplotlib.figure.Figure``; see :mod:`rnnlm.plots` for
the conventions all the figures share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullFormatter

from rnnlm.plots._draw import (
    as_float_array,
    as_number,
    check_same_length,
    note,
    positive_int,
    style_axes,
)

__all__ = ["class_sizes_plot", "class_tradeoff_plot"]

#: Beyond this many classes a size curve is drawn without markers (they would merge into a bar).
_MAX_MARKERS = 60
#: Beyond this many distinct C the trade-off's x axis keeps the log axis's own ticks.
_MAX_TICKS = 12


def _positive_ints(values: Any, name: str) -> np.ndarray:
    """``values`` (a non-empty sequence of ints >= 1) as an int64 array; errors name ``name``."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be a sequence of ints, got {type(values).__name__}")
    if np.ndim(values) != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {np.shape(values)}")
    if len(values) == 0:
        raise ValueError(f"{name} is empty: give at least one value")
    return np.array([positive_int(v, f"{name}[{i}]") for i, v in enumerate(values)], dtype=np.int64)


def _positive_finite(values: np.ndarray, name: str) -> None:
    if np.any(~np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f"{name} must be positive finite numbers, got {values.tolist()}")


def _positive_number(value: object, name: str) -> float:
    number = as_number(value, name)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return number


def class_sizes_plot(
    sizes: Mapping[str, Sequence[int]],
    *,
    title: str | None = None,
) -> Figure:
    """The number of words in each class, class index 0..C-1 on x, size on a log y axis.

    ``sizes[label]`` holds the class sizes of one binning method (e.g. ``"sqrt"``, ``"mass"``: what
    ``frequency_classes(...).class_sizes`` gives), one positive int per class, classes in order of
    frequency: the frequent words sit in the first, small classes, the long tail of rare words in
    the last, large ones. One step line per label (with markers while there are few classes); a note
    gives each label's number of classes and words, and its largest and smallest class.
    """
    if not isinstance(sizes, Mapping) or not sizes:
        raise ValueError("sizes must be a non-empty mapping label -> class sizes")
    series = {str(label): _positive_ints(values, f"sizes[{label!r}]") for label, values in sizes.items()}
    fig = Figure(figsize=(7.5, 4.4), layout="constrained")
    ax = fig.add_subplot()
    lines = []
    for i, (label, n) in enumerate(series.items()):
        x = np.arange(n.size)
        ax.step(x, n, where="mid", color=f"C{i}", lw=1.5, marker="o" if n.size <= _MAX_MARKERS else None,
                ms=3.5, label=label)
        big, small = int(np.argmax(n)), int(np.argmin(n))
        lines.append(f"{label}: {n.size} classes, {int(n.sum()):,} words; largest {int(n[big]):,} "
                     f"(class {big}), smallest {int(n[small]):,} (class {small})")
    every = np.concatenate(list(series.values()))
    ax.set_yscale("log")
    ax.set_ylim(every.min() / 1.6, every.max() * 1.6)
    ax.set_xlim(-0.5, max(n.size for n in series.values()) - 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    note(ax, 0.02, 0.98, "\n".join(lines), va="top")
    style_axes(ax, xlabel="class index c (most frequent words first)",
               ylabel="words in the class (log scale)", title=title or "Words per class", grid="both")
    ax.legend(fontsize=8, loc="lower right")  # the note holds the top left, where the small classes are
    return fig


def class_tradeoff_plot(
    classes: Sequence[int],
    perplexity: Sequence[float],
    seconds: Sequence[float],
    *,
    references: Mapping[str, tuple[float, float]] | None = None,
    sqrt_v: float | None = None,
    seconds_label: str = "seconds per epoch",
    title: str | None = None,
) -> Figure:
    """The speed-perplexity trade-off of the class-based softmax against the number of classes C.

    Two panels side by side, sharing a log x axis of C: left, ``perplexity[i]`` of the model trained
    with ``classes[i]`` classes; right, its ``seconds[i]`` (per epoch, or per step: ``seconds_label``
    names the unit). The runs are drawn in order of C whatever order they come in.
    ``references[label] = (perplexity, seconds)`` (e.g. ``"full softmax"``, ``"adaptive softmax"``)
    is drawn as a horizontal dashed line on both panels, its value in the legend. ``sqrt_v`` (the
    square root of the vocabulary size) marks the C = sqrt(V) optimum of the cost ``H (C + V / C)``
    with a vertical dotted line on both panels. The seconds axis is logarithmic when the slowest
    time is more than 30 times the fastest; a note names the fastest C.
    """
    c = _positive_ints(classes, "classes")
    ppl, sec = as_float_array(perplexity, "perplexity"), as_float_array(seconds, "seconds")
    check_same_length(c, ppl, "classes", "perplexity")
    check_same_length(c, sec, "classes", "seconds")
    _positive_finite(ppl, "perplexity")
    _positive_finite(sec, "seconds")
    if not isinstance(seconds_label, str) or not seconds_label:
        raise TypeError(f"seconds_label must be a non-empty str, got {seconds_label!r}")
    if references is not None and not isinstance(references, Mapping):
        raise TypeError(f"references must be a mapping label -> (perplexity, seconds), "
                        f"got {type(references).__name__}")
    refs: dict[str, tuple[float, float]] = {}
    for label, value in (references or {}).items():
        pair = isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, (str, bytes))
        if not pair or len(value) != 2:
            raise TypeError(f"references[{label!r}] must be a pair (perplexity, seconds), got {value!r}")
        refs[str(label)] = (_positive_number(value[0], f"references[{label!r}] perplexity"),
                            _positive_number(value[1], f"references[{label!r}] seconds"))
    root = None if sqrt_v is None else _positive_number(sqrt_v, "sqrt_v")

    order = np.argsort(c, kind="stable")
    c, ppl, sec = c[order], ppl[order], sec[order]
    fig = Figure(figsize=(11.0, 4.3), layout="constrained")
    ax_ppl, ax_sec = fig.subplots(1, 2, sharex=True)
    ax_ppl.plot(c, ppl, marker="o", color="C0", lw=1.6, label="class-based softmax")
    ax_sec.plot(c, sec, marker="o", color="C0", lw=1.6, label="class-based softmax")
    for i, (label, (ref_ppl, ref_sec)) in enumerate(refs.items()):
        style = {"color": f"C{i + 1}", "ls": "--", "lw": 1.2}
        ax_ppl.axhline(ref_ppl, label=f"{label}: {ref_ppl:.4g}", **style)
        ax_sec.axhline(ref_sec, label=f"{label}: {ref_sec:.3g} s", **style)
    if root is not None:
        for ax in (ax_ppl, ax_sec):
            ax.axvline(root, color="black", ls=":", lw=1.2, label=f"C = sqrt(V) = {root:.4g}")

    xs = [float(c.min()), float(c.max())] + ([root] if root is not None else [])
    for ax in (ax_ppl, ax_sec):
        ax.set_xscale("log")
    ax_ppl.set_xlim(min(xs) / 1.5, max(xs) * 1.5)
    distinct = np.unique(c)
    if distinct.size <= _MAX_TICKS:
        for ax in (ax_ppl, ax_sec):
            ax.set_xticks(distinct, [str(v) for v in distinct])
            ax.xaxis.set_minor_formatter(NullFormatter())
    times = np.concatenate([sec, [s for _, s in refs.values()]])
    if times.max() / times.min() > 30:
        ax_sec.set_yscale("log")
    fastest = int(np.argmin(sec))
    note(ax_sec, 0.02, 0.02, f"fastest: C = {c[fastest]} ({sec[fastest]:.3g} s)")
    xlabel = "number of classes C (log scale)"
    style_axes(ax_ppl, xlabel=xlabel, ylabel="perplexity (lower is better)", title="Perplexity",
               legend=True, grid="both")
    style_axes(ax_sec, xlabel=xlabel, ylabel=f"{seconds_label} (lower is better)", title="Speed",
               legend=True, grid="both")
    fig.suptitle(title or "Class-based softmax: speed against perplexity")
    return fig
