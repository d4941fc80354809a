"""Figures of notebook 02 (the RNN language model, forward): the unrolled network, hidden states,
one prediction, untrained perplexity, and memory of n-gram tables against RNN parameters.

Each function takes plain numbers (lists, dicts, arrays) and returns a ``matplotlib.figure.Figure``;
see :mod:`rnnlm.plots` for the conventions all the figures share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from rnnlm.data import format_bytes
from rnnlm.plots._draw import (
    NGRAM_COLOURS,
    RNN_COLOURS,
    arrow,
    as_float_array,
    bytes_axis,
    check_same_length,
    style_axes,
)

__all__ = ["rnn_unrolled_plot", "hidden_states_plot", "next_word_distribution_plot",
           "untrained_perplexity_plot", "ngram_vs_rnn_memory_plot"]


def rnn_unrolled_plot(
    words: Sequence[str],
    *,
    targets: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """The RNN language model unrolled over a few words, in the lecture's notation.

    One column per time step t = 1..T: the word w_t at the bottom, its vector ``x_t = L[w_t]``, the
    hidden state ``h_t`` (a circle), the prediction ``y_hat_t`` and, on top, the token it should give
    a high probability (``targets[t-1]``; by default the next word, and ``<eos>`` after the last).
    Arrows carry the shared weights: ``L`` (lookup), ``W_hx`` (up into ``h_t``), ``W_hh`` (from
    ``h_{t-1}``, starting at ``h_0`` on the left) and ``W_S`` (up to the softmax). The axes hold
    ``3 T + 1`` patches (x, h, y_hat per step and h_0) and one text per word and per target.
    """
    from matplotlib.patches import Circle, FancyBboxPatch

    if isinstance(words, str):
        raise TypeError("words must be a sequence of tokens (a list of str), not one str: split it first")
    words = [str(w) for w in words]
    if not 1 <= len(words) <= 12:
        raise ValueError(f"rnn_unrolled_plot draws 1 to 12 steps, got {len(words)} words")
    if targets is None:
        targets = words[1:] + ["<eos>"]
    targets = [str(w) for w in targets]
    if len(targets) != len(words):
        raise ValueError(f"targets has {len(targets)} tokens but words has {len(words)}; they must match")

    T = len(words)
    dx = 1.7
    y_word, y_x, y_h, y_y, y_target = 0.0, 1.0, 2.35, 3.7, 4.55
    box_w, box_h, r = 0.9, 0.5, 0.33
    fig = Figure(figsize=(1.45 * (T + 1) + 0.6, 4.6), layout="constrained")
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.axis("off")

    def box(cx: float, cy: float, label: str, colour: str) -> None:
        ax.add_patch(
            FancyBboxPatch(
                (cx - box_w / 2, cy - box_h / 2),
                box_w,
                box_h,
                boxstyle="round,pad=0.04",
                facecolor=colour,
                edgecolor="black",
                lw=1,
            )
        )
        ax.text(cx, cy, label, ha="center", va="center", fontsize=11)

    def weight(x0: float, y0: float, x1: float, y1: float, label: str, *, side: str = "right") -> None:
        arrow(ax, (x0, y0), (x1, y1), "weight")
        if label:
            mx, my = (x0 + x1) / 2, (y0 + y1) / 2
            if side == "right":
                ax.text(mx + 0.07, my, label, ha="left", va="center", fontsize=8, color="tab:red")
            else:
                ax.text(mx, my + 0.08, label, ha="center", va="bottom", fontsize=8, color="tab:red")

    ax.add_patch(Circle((0.0, y_h), r, facecolor="white", edgecolor="black", linestyle="--", lw=1))
    ax.text(0.0, y_h, "$h_0$", ha="center", va="center", fontsize=11)
    for t in range(1, T + 1):
        cx = dx * t
        ax.text(cx, y_word, words[t - 1], ha="center", va="center", fontsize=10, fontweight="bold")
        box(cx, y_x, f"$x_{{{t}}}$", "#dbe9f6")
        ax.add_patch(Circle((cx, y_h), r, facecolor="#fde0c5", edgecolor="black", lw=1))
        ax.text(cx, y_h, f"$h_{{{t}}}$", ha="center", va="center", fontsize=11)
        box(cx, y_y, f"$\\hat y_{{{t}}}$", "#d9f0d3")
        ax.text(cx, y_target, targets[t - 1], ha="center", va="center", fontsize=10, color="tab:green")
        first = t == 1
        weight(cx, y_word + 0.18, cx, y_x - box_h / 2 - 0.04, "$L$" if first else "")
        weight(cx, y_x + box_h / 2 + 0.04, cx, y_h - r, "$W_{hx}$" if first else "")
        weight(cx, y_h + r, cx, y_y - box_h / 2 - 0.04, "$W_S$" if first else "")
        weight(cx - dx + r, y_h, cx - r, y_h, "$W_{hh}$", side="top")
    ax.text(
        dx * (T + 1) / 2,
        y_word - 0.55,
        r"the same $L$, $W_{hx}$, $W_{hh}$, $W_S$ at every step;  "
        r"$h_t = f(W_{hh} h_{t-1} + W_{hx} x_t + b_h)$,  $\hat y_t = \mathrm{softmax}(W_S h_t + b_S)$",
        ha="center",
        va="center",
        fontsize=8,
        color="dimgray",
    )
    ax.set_xlim(-0.6, dx * T + 0.8)
    ax.set_ylim(y_word - 0.8, y_target + 0.35)
    ax.set_title(title or "An RNN language model, unrolled in time")
    return fig


def hidden_states_plot(
    h: np.ndarray,
    tokens: Sequence[str],
    *,
    vmax: float | None = None,
    title: str | None = None,
) -> Figure:
    """The hidden states of one sequence as a heat map: one column per token, one row per unit.

    ``h`` has shape (T, H): ``h[t]`` is the state after reading ``tokens[t]``. Colours are symmetric
    around zero (``vmax`` defaults to the largest ``|h|``, at least 1e-12), so a tanh network's
    saturated units show as deep red or blue. The image holds ``h.T``, shape (H, T).
    """
    arr = np.asarray(h, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"h must have shape (T, H), got shape {arr.shape}")
    T, H = arr.shape
    if T == 0 or H == 0:
        raise ValueError(f"h is empty (shape {arr.shape}): nothing to plot")
    if isinstance(tokens, str) or len(tokens) != T:
        got = "a str" if isinstance(tokens, str) else f"{len(tokens)} tokens"
        raise ValueError(f"tokens must list one token per row of h (T = {T}), got {got}")
    if not np.isfinite(arr).all():
        raise ValueError("h holds NaN or inf")
    top = float(vmax) if vmax is not None else max(float(np.abs(arr).max()), 1e-12)
    if not top > 0:
        raise ValueError(f"vmax must be positive, got {vmax!r}")

    fig = Figure(figsize=(max(5.0, 0.45 * T + 2.5), max(3.0, min(0.12 * H + 1.6, 7.0))), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(arr.T, aspect="auto", cmap="RdBu_r", vmin=-top, vmax=top, interpolation="nearest")
    ax.set_xticks(np.arange(T), [str(t) for t in tokens], rotation=60, ha="right", fontsize=8)
    ax.set_xlabel("token read at step t")
    ax.set_ylabel(f"hidden unit (H = {H})")
    fig.colorbar(image, ax=ax, label="$h_t$")
    ax.set_title(title or "Hidden state $h_t$ along the sequence")
    return fig


def next_word_distribution_plot(
    probs: Sequence[float] | np.ndarray,
    vocab: Sequence[str],
    *,
    top: int = 15,
    target: str | None = None,
    title: str | None = None,
) -> Figure:
    """One prediction ``y_hat_t``: the ``top`` likeliest tokens as bars, with the uniform ``1/V`` line.

    ``probs`` (V,) must be a distribution (non-negative, summing to one within 1e-6); ``vocab[i]``
    names entry i. With ``target`` (a token of ``vocab``) its bar is drawn in orange when it is
    among the ``top``, and a note gives its probability and rank either way.
    """
    p = as_float_array(probs, "probs")
    if isinstance(vocab, str) or len(vocab) != len(p):
        raise ValueError(f"vocab must name each of the {len(p)} entries of probs")
    if p.size == 0:
        raise ValueError("probs is empty")
    if np.any(~np.isfinite(p)) or np.any(p < 0) or abs(float(p.sum()) - 1.0) > 1e-6:
        raise ValueError(f"probs must be a probability distribution (>= 0, sum 1); it sums to {p.sum()!r}")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive int, got {top!r}")
    order = np.argsort(-p, kind="stable")[: int(top)]
    labels = [str(vocab[i]) for i in order]
    V = len(p)

    fig = Figure(figsize=(max(5.0, 0.38 * len(order) + 2.5), 3.8), layout="constrained")
    ax = fig.add_subplot()
    colours = ["tab:orange" if target is not None and label == target else "tab:blue" for label in labels]
    ax.bar(np.arange(len(order)), p[order], color=colours)
    ax.axhline(1.0 / V, color="black", linestyle="--", linewidth=1, label=f"uniform 1/V (V = {V:,})")
    ax.set_xticks(np.arange(len(order)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("probability")
    if target is not None:
        where = [i for i, w in enumerate(vocab) if w == target]
        if not where:
            raise ValueError(f"target {target!r} is not in vocab")
        i = where[0]
        rank = int(np.sum(p > p[i])) + 1
        ax.text(
            0.98,
            0.95,
            f"target {target!r}: p = {p[i]:.4f}, rank {rank:,} of {V:,}",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
        )
    ax.legend(fontsize=8, loc="center right")
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title(title or r"A prediction $\hat y_t$: the likeliest next tokens")
    return fig


def untrained_perplexity_plot(
    vocab_sizes: Sequence[int],
    perplexities: Mapping[str, Sequence[float]],
    *,
    title: str | None = None,
) -> Figure:
    """Perplexity of untrained models against the vocabulary size V (log-log), with the line PP = V.

    ``perplexities[label][i]`` is the measured perplexity of a model over ``vocab_sizes[i]`` tokens.
    A model that predicts uniformly has perplexity exactly V; small random output weights keep an
    untrained RNN close to that line, large ones push it above. Lines: one per series, then PP = V.
    """
    V = as_float_array(vocab_sizes, "vocab_sizes")
    if V.size == 0:
        raise ValueError("vocab_sizes is empty: nothing to plot")
    if np.any(V < 1):
        raise ValueError(f"vocabulary sizes must be >= 1, got {V.tolist()}")
    if not perplexities:
        raise ValueError("perplexities is empty: give at least one series")
    fig = Figure(figsize=(6.0, 4.4), layout="constrained")
    ax = fig.add_subplot()
    for label, values in perplexities.items():
        v = as_float_array(values, f"perplexities[{label!r}]")
        check_same_length(V, v, "vocab_sizes", f"perplexities[{label!r}]")
        if np.any(np.isnan(v)) or np.any(v < 1):
            raise ValueError(f"perplexities[{label!r}] holds a value below 1 or NaN: {v.tolist()}")
        ax.loglog(V, v, marker="o", label=str(label))
    ax.loglog(V, V, color="black", linestyle="--", linewidth=1, label="uniform guess: perplexity = V")
    style_axes(ax, xlabel="vocabulary size V", ylabel="perplexity (held-out text)",
               title=title or "Untrained models: perplexity close to V", legend=True, grid="both")
    return fig


def ngram_vs_rnn_memory_plot(
    orders: Sequence[int],
    ngram_bytes: Sequence[float],
    rnn_bytes: Mapping[str, float],
    *,
    sizes: Sequence[int] | None = None,
    ngram_bytes_by_size: Mapping[int, Sequence[float]] | None = None,
    rnn_bytes_by_size: Mapping[str, Sequence[float]] | None = None,
    ngram_label: str = "n-gram count tables",
    title: str | None = None,
) -> Figure:
    """Memory of n-gram count tables against the parameters of RNN language models.

    Left axes: ``ngram_bytes[i]``, the measured memory of an order ``orders[i]`` model, against n
    (log scale), with one horizontal line per RNN (``rnn_bytes``: label -> parameter bytes), which
    does not depend on n. With ``sizes`` (corpus sizes in tokens), a right axes (log-log) shows the
    memory as the corpus grows: ``ngram_bytes_by_size[n]`` one line per order, and
    ``rnn_bytes_by_size[label]`` one dashed line per RNN (its size changes only with V).
    ``ngram_label`` names the n-gram line of the left axes.
    """
    n = as_float_array(orders, "orders")
    m = as_float_array(ngram_bytes, "ngram_bytes")
    check_same_length(n, m, "orders", "ngram_bytes")
    if n.size == 0:
        raise ValueError("orders is empty: nothing to plot")
    if not rnn_bytes:
        raise ValueError("rnn_bytes is empty: give at least one RNN (label -> parameter bytes)")
    if sizes is None and (ngram_bytes_by_size or rnn_bytes_by_size):
        raise ValueError("ngram_bytes_by_size and rnn_bytes_by_size need sizes (the corpus sizes)")
    rnn = {str(k): float(v) for k, v in rnn_bytes.items()}
    everything = [m, np.array(list(rnn.values()))]
    by_size: list[tuple[str, np.ndarray, bool]] = []
    x = None
    if sizes is not None:
        x = as_float_array(sizes, "sizes")
        if x.size == 0:
            raise ValueError("sizes is empty: nothing to plot")
        for order in sorted(ngram_bytes_by_size or {}):
            v = as_float_array(ngram_bytes_by_size[order], f"ngram_bytes_by_size[{order}]")
            check_same_length(x, v, "sizes", f"ngram_bytes_by_size[{order}]")
            by_size.append((f"{order}-gram tables", v, False))
        for label, values in (rnn_bytes_by_size or {}).items():
            v = as_float_array(values, f"rnn_bytes_by_size[{label!r}]")
            check_same_length(x, v, "sizes", f"rnn_bytes_by_size[{label!r}]")
            by_size.append((str(label), v, True))
        everything += [v for _, v, _ in by_size]
    divisor, unit = bytes_axis(np.concatenate(everything))

    fig = Figure(figsize=(10 if x is not None else 5.5, 4.2), layout="constrained")
    axes = fig.subplots(1, 2) if x is not None else [fig.add_subplot()]
    ax = axes[0]
    ax.semilogy(n, m / divisor, marker="o", color="tab:orange", label=ngram_label)
    for raw, xi in zip(m, n, strict=True):
        ax.annotate(format_bytes(raw), (xi, raw / divisor), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=7)
    for i, (label, value) in enumerate(rnn.items()):
        ax.axhline(value / divisor, color=RNN_COLOURS[i % len(RNN_COLOURS)], linestyle="--", linewidth=1.3,
                   label=f"{label}: {format_bytes(value)}")
    ax.margins(x=0.08, y=0.12)  # room for the labels above the points
    ax.set_xticks(n)
    style_axes(ax, xlabel="order n of the n-gram model", ylabel=f"memory ({unit}, log scale)",
               title="Against the order n", legend=True, grid="both")
    if x is not None:
        ax2 = axes[1]
        j = k = 0
        for label, v, is_rnn in by_size:
            if is_rnn:
                ax2.loglog(x, v / divisor, marker="s", linestyle="--", label=label,
                           color=RNN_COLOURS[k % len(RNN_COLOURS)])
                k += 1
            else:
                ax2.loglog(x, v / divisor, marker="o", label=label,
                           color=NGRAM_COLOURS[j % len(NGRAM_COLOURS)])
                j += 1
        style_axes(ax2, xlabel="training text (tokens)", ylabel=f"memory ({unit})",
                   title="Against the size of the corpus", legend=bool(by_size), grid="both")
    if title:
        fig.suptitle(title)
    return fig
