"""Figures of notebook 01 (n-gram counts): Zipf's law, how count tables grow, perplexity, its floor.

Each function takes plain numbers (lists, dicts, arrays) and returns a ``matplotlib.figure.Figure``;
see :mod:`rnnlm.plots` for the conventions all the figures share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from rnnlm.data import format_bytes
from rnnlm.plots._draw import (
    as_float_array,
    as_number,
    bytes_axis,
    check_same_length,
    edge_markers,
    label_bars,
    note,
    style_axes,
)

__all__ = ["zipf_plot", "ngram_growth_by_order_plot", "ngram_growth_by_size_plot", "perplexity_by_order_plot",
           "perplexity_floor_plot"]


def zipf_plot(
    counts: Mapping[str, int] | Sequence[int],
    *,
    label_top: int = 5,
    title: str | None = None,
) -> Figure:
    """Rank-frequency plot of word counts on log-log axes, with Zipf's law ``f(r) = C / r`` beside it.

    ``counts`` is a mapping word -> count (the most frequent ``label_top`` words are written next
    to their points) or a plain sequence of counts. Counts of zero are left out: they have no place
    on a log axis. The figure has one axes with two lines: the data (its legend gives the slope of
    a least-squares line through it, in log-log), then the ``C/r`` reference with ``C`` fitted to
    the data (the geometric mean of ``f(r) * r``).
    """
    if isinstance(counts, Mapping):
        items = sorted(((int(c), str(w)) for w, c in counts.items() if c > 0), reverse=True)
        freqs = np.array([c for c, _ in items], dtype=float)
        words = [w for _, w in items]
    else:
        freqs = np.sort(as_float_array(counts, "counts"))[::-1]
        freqs = freqs[freqs > 0]
        words = []
    if freqs.size == 0:
        raise ValueError("zipf_plot needs at least one positive count, got none")
    if np.any(~np.isfinite(freqs)):
        raise ValueError("counts must be finite")
    ranks = np.arange(1, freqs.size + 1, dtype=float)

    log_r, log_f = np.log(ranks), np.log(freqs)
    # Zipf's law with its constant fitted to the data: log C = mean(log f + log r)
    zipf_c = float(np.exp(np.mean(log_f + log_r)))
    slope = float(np.polyfit(log_r, log_f, 1)[0]) if freqs.size > 1 else float("nan")

    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.add_subplot()
    ax.loglog(
        ranks,
        freqs,
        marker=".",
        linestyle="-",
        markersize=3,
        label=f"observed ({freqs.size:,} types, slope {slope:.2f})",
    )
    ax.loglog(
        ranks, zipf_c / ranks, linestyle="--", color="grey", label=r"Zipf: $f(r) \propto 1/r$ (slope $-1$)"
    )
    for r, (f, w) in enumerate(zip(freqs[:label_top], words[:label_top], strict=False), start=1):
        ax.annotate(w, (r, f), textcoords="offset points", xytext=(5, 3), fontsize=8)
    singletons = int(np.sum(freqs == 1))
    note(ax, 0.02, 0.03, f"{singletons:,} of {freqs.size:,} types occur once")
    ax.legend(loc="upper right")
    style_axes(ax, xlabel="rank r (1 = most frequent word)", ylabel="count f(r)",
               title=title or "Rank-frequency of words (log-log)", grid="major")
    return fig


def ngram_growth_by_order_plot(
    orders: Sequence[int],
    distinct: Sequence[int],
    memory_bytes: Sequence[float],
    *,
    tokens: int | None = None,
    vocab_size: int | None = None,
    title: str | None = None,
) -> Figure:
    """How the count table grows with the order n, on one corpus.

    Left axes: the number of distinct n-grams of each order (log scale), with two ceilings when
    given: ``tokens`` (a corpus of N tokens has at most N n-gram positions) and ``vocab_size ** n``
    (every possible n-gram). Right axes: the measured memory of a model of each order (which
    stores all orders up to n), as bars.
    """
    n = as_float_array(orders, "orders")
    d = as_float_array(distinct, "distinct")
    m = as_float_array(memory_bytes, "memory_bytes")
    check_same_length(n, d, "orders", "distinct")
    check_same_length(n, m, "orders", "memory_bytes")
    if n.size == 0:
        raise ValueError("orders is empty: nothing to plot")

    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_count, ax_mem = fig.subplots(1, 2)

    ax_count.semilogy(n, d, marker="o", label="distinct n-grams seen")
    if tokens is not None:
        ax_count.axhline(
            tokens, color="black", linestyle="--", linewidth=1, label=f"tokens in corpus ({tokens:,})"
        )
    if vocab_size is not None:
        possible = np.array([float(vocab_size) ** k for k in n])
        ax_count.semilogy(
            n, possible, linestyle=":", color="grey", marker="x", label=f"possible: V^n (V={vocab_size:,})"
        )
    ax_count.set_xticks(n)
    style_axes(ax_count, xlabel="order n", ylabel="number of distinct n-grams",
               title="Distinct n-grams of order n", legend=True, grid="major")

    divisor, unit = bytes_axis(m)
    bars = ax_mem.bar(n, m / divisor, color="tab:orange", width=0.6)
    label_bars(ax_mem, bars, [format_bytes(raw) for raw in m])
    ax_mem.set_xticks(n)
    style_axes(ax_mem, xlabel="order n of the model (stores orders 1..n)", ylabel=f"memory ({unit})",
               title="Measured memory of the count tables", grid="y")
    if title:
        fig.suptitle(title)
    return fig


def ngram_growth_by_size_plot(
    sizes: Sequence[int],
    distinct_by_order: Mapping[int, Sequence[int]],
    memory_by_order: Mapping[int, Sequence[float]],
    *,
    title: str | None = None,
) -> Figure:
    """How the count tables grow with the corpus size, one line per order.

    ``sizes`` are corpus sizes in tokens; ``distinct_by_order[n][i]`` is the number of distinct
    n-grams in the first ``sizes[i]`` tokens and ``memory_by_order[n][i]`` the measured memory of an
    order-n model fitted on them. Left axes (log-log): distinct n-grams, with the line "one new
    n-gram per token" as the ceiling. Right axes: memory against corpus size.
    """
    x = as_float_array(sizes, "sizes")
    if x.size == 0:
        raise ValueError("sizes is empty: nothing to plot")
    if not distinct_by_order:
        raise ValueError("distinct_by_order is empty: give at least one order")

    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_count, ax_mem = fig.subplots(1, 2)

    for order in sorted(distinct_by_order):
        d = as_float_array(distinct_by_order[order], f"distinct_by_order[{order}]")
        check_same_length(x, d, "sizes", f"distinct_by_order[{order}]")
        ax_count.loglog(x, d, marker="o", label=f"n = {order}")
    ax_count.loglog(x, x, color="black", linestyle="--", linewidth=1, label="= number of tokens")
    style_axes(ax_count, xlabel="corpus size (tokens)", ylabel="distinct n-grams",
               title="Distinct n-grams as the corpus grows", legend=True, grid="major")

    all_mem = [as_float_array(memory_by_order[o], f"memory_by_order[{o}]") for o in sorted(memory_by_order)]
    divisor, unit = bytes_axis(np.concatenate(all_mem) if all_mem else np.zeros(0))
    for order, m in zip(sorted(memory_by_order), all_mem, strict=True):
        check_same_length(x, m, "sizes", f"memory_by_order[{order}]")
        ax_mem.plot(x, m / divisor, marker="o", label=f"order-{order} model")
    style_axes(ax_mem, xlabel="corpus size (tokens)", ylabel=f"memory ({unit})",
               title="Measured memory as the corpus grows", legend=bool(memory_by_order), grid="major")
    if title:
        fig.suptitle(title)
    return fig


def perplexity_by_order_plot(
    orders: Sequence[int],
    train: Mapping[str, Sequence[float]],
    test: Mapping[str, Sequence[float]],
    *,
    floor: float | None = None,
    references: Mapping[str, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Train (dashed) and test (solid) perplexity against the order n, one colour per smoothing.

    ``train`` and ``test`` map a smoothing name to one perplexity per order. Infinite perplexities
    (an unsmoothed model that meets an unseen n-gram) cannot sit on a log axis: they are drawn as
    upward triangles on the top edge and marked "inf". ``floor`` draws the lowest perplexity any
    model can reach (known for a generated corpus); ``references`` draws labelled horizontal lines,
    for example published results.
    """
    n = as_float_array(orders, "orders")
    if n.size == 0:
        raise ValueError("orders is empty: nothing to plot")
    names = list(dict.fromkeys([*train, *test]))
    if not names:
        raise ValueError("give at least one series in train or test")
    series: list[tuple[str, str, np.ndarray]] = []
    for split, table in (("train", train), ("test", test)):
        for name, values in table.items():
            v = as_float_array(values, f"{split}[{name!r}]")
            check_same_length(n, v, "orders", f"{split}[{name!r}]")
            if np.any(np.isnan(v)) or np.any(v[np.isfinite(v)] < 1):
                raise ValueError(f"{split}[{name!r}] holds a perplexity below 1 or NaN: {v.tolist()}")
            series.append((split, name, v))

    finite = [float(x) for _, _, v in series for x in v if math.isfinite(x)]
    extra = [floor] if floor is not None else []
    extra += list(references.values()) if references else []
    finite += [float(x) for x in extra]
    top = max(finite) * 2.0 if finite else 10.0
    bottom = min(finite) / 1.5 if finite else 1.0

    fig = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = fig.add_subplot()
    colours = {name: f"C{i}" for i, name in enumerate(names)}
    marked_inf = False
    for split, name, v in series:
        style = "--" if split == "train" else "-"
        ok = np.isfinite(v)
        ax.semilogy(
            n[ok],
            v[ok],
            linestyle=style,
            marker="o" if split == "test" else ".",
            color=colours[name],
            label=f"{name} ({split})",
        )
        if np.any(~ok):
            edge_markers(ax, n[~ok], top, marker="^", colour=colours[name], size=9)
            marked_inf = True
    if marked_inf:
        note(ax, 0.01, 0.97, "▲ on the top edge = infinite perplexity", va="top")
    if floor is not None:
        ax.axhline(
            floor, color="black", linewidth=1.5, linestyle=":", label=f"floor (true model): {floor:.1f}"
        )
    for i, (label, value) in enumerate((references or {}).items()):
        ax.axhline(value, color="grey", linewidth=1, linestyle=(0, (4, 2 + i)), label=f"{label}: {value:g}")
    ax.set_ylim(bottom, top * 1.15)
    ax.set_xticks(n)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    style_axes(ax, xlabel="order n", ylabel="perplexity (log scale)",
               title=title or "Perplexity against the order n: train (dashed) and test (solid)", grid="both")
    return fig


def perplexity_floor_plot(
    labels: Sequence[str],
    perplexities: Sequence[float],
    floor: float,
    *,
    train_perplexities: Sequence[float] | None = None,
    title: str | None = None,
) -> Figure:
    """Models' test perplexities as bars, with the corpus's perplexity floor drawn across them.

    ``floor`` is the perplexity of the process that generated the text (no model can beat it on
    average, up to sampling noise in a finite test set). With ``train_perplexities`` a second, paler
    bar per model shows the training perplexity, which can drop below the floor: that gap is
    overfitting. Infinite perplexities are drawn as a bar to the top edge marked "inf".
    """
    p = as_float_array(perplexities, "perplexities")
    if len(labels) != len(p):
        raise ValueError(f"perplexities has {len(p)} values but labels has {len(labels)}; they must match")
    if p.size == 0:
        raise ValueError("no models to plot")
    floor = as_number(floor, "floor")
    if not (math.isfinite(floor) and floor >= 1):
        raise ValueError(f"floor must be a finite perplexity >= 1, got {floor!r}")
    tr = None
    if train_perplexities is not None:
        tr = as_float_array(train_perplexities, "train_perplexities")
        if len(tr) != len(p):
            raise ValueError(f"train_perplexities has {len(tr)} values but labels has {len(labels)}")

    finite = [x for x in np.concatenate([p, tr if tr is not None else np.zeros(0)]) if math.isfinite(x)]
    top = max([*finite, floor]) * 1.25

    fig = Figure(figsize=(max(6.0, 1.1 * len(p) + 4.0), 4.2), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(p), dtype=float)
    width = 0.38 if tr is not None else 0.6
    offset = width / 2 if tr is not None else 0.0
    if tr is not None:
        ax.bar(
            x - offset, np.where(np.isfinite(tr), tr, top), width, color="tab:blue", alpha=0.35, label="train"
        )
    bars = ax.bar(x + offset, np.where(np.isfinite(p), p, top), width, color="tab:blue", label="test")
    label_bars(ax, bars, [f"{value:.1f}" if math.isfinite(value) else "inf" for value in p],
               tops=[min(rect.get_height(), top) for rect in bars])
    ax.axhline(floor, color="black", linestyle=":", linewidth=1.8, label=f"floor (true model): {floor:.2f}")
    ax.set_ylim(0, top * 1.08)
    ax.set_xticks(x, list(labels))
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    style_axes(ax, ylabel="perplexity", title=title or "How close do the models get to the floor?", grid="y")
    return fig
