"""Every figure the notebooks show, as a function that returns the matplotlib ``Figure``.

The functions take plain numbers (lists, dicts, arrays) rather than models, so a notebook computes
what it wants to show and hands it over, and a test can call each function on a few made-up values.
Figures are built with ``matplotlib.figure.Figure`` directly, not through ``pyplot``: nothing is
shown twice in Jupyter (the returned figure is displayed once, as the cell's value), and nothing
accumulates in pyplot's list of open figures. Save one with ``fig.savefig("name.png")``.

Sections follow the notebooks: put a new notebook's figures under its own heading, in order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

__all__ = [
    "zipf_plot",
    "ngram_growth_by_order_plot",
    "ngram_growth_by_size_plot",
    "perplexity_by_order_plot",
    "perplexity_floor_plot",
]

# ------------------------------------------------------------------------------------------------
# Shared helpers
# ------------------------------------------------------------------------------------------------


def _as_float_array(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    """``values`` as a 1-d float array; raises ``ValueError``/``TypeError`` naming ``name``."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a sequence of numbers, got {type(values).__name__}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _check_same_length(x: np.ndarray, y: np.ndarray, x_name: str, y_name: str) -> None:
    if len(x) != len(y):
        raise ValueError(f"{y_name} has {len(y)} values but {x_name} has {len(x)}; they must match")


def _human_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def _bytes_axis(values: np.ndarray) -> tuple[float, str]:
    """A (divisor, unit) pair that makes ``values`` readable on an axis."""
    top = float(np.nanmax(values)) if values.size else 0.0
    for divisor, unit in ((1024**3, "GiB"), (1024**2, "MiB"), (1024, "KiB")):
        if top >= divisor:
            return float(divisor), unit
    return 1.0, "bytes"


# ------------------------------------------------------------------------------------------------
# Notebook 01: n-gram counts
# ------------------------------------------------------------------------------------------------


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
        freqs = np.sort(_as_float_array(counts, "counts"))[::-1]
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
    ax.set_xlabel("rank r (1 = most frequent word)")
    ax.set_ylabel("count f(r)")
    ax.set_title(title or "Rank-frequency of words (log-log)")
    ax.text(
        0.02,
        0.03,
        f"{singletons:,} of {freqs.size:,} types occur once",
        transform=ax.transAxes,
        fontsize=8,
        color="dimgray",
    )
    ax.legend(loc="upper right")
    ax.grid(True, which="major", alpha=0.3)
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
    n = _as_float_array(orders, "orders")
    d = _as_float_array(distinct, "distinct")
    m = _as_float_array(memory_bytes, "memory_bytes")
    _check_same_length(n, d, "orders", "distinct")
    _check_same_length(n, m, "orders", "memory_bytes")
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
    ax_count.set_xlabel("order n")
    ax_count.set_ylabel("number of distinct n-grams")
    ax_count.set_title("Distinct n-grams of order n")
    ax_count.legend(fontsize=8)
    ax_count.grid(True, alpha=0.3)

    divisor, unit = _bytes_axis(m)
    bars = ax_mem.bar(n, m / divisor, color="tab:orange", width=0.6)
    for rect, raw in zip(bars, m, strict=True):
        ax_mem.annotate(
            _human_bytes(raw),
            (rect.get_x() + rect.get_width() / 2, rect.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax_mem.set_xticks(n)
    ax_mem.set_xlabel("order n of the model (stores orders 1..n)")
    ax_mem.set_ylabel(f"memory ({unit})")
    ax_mem.set_title("Measured memory of the count tables")
    ax_mem.grid(True, axis="y", alpha=0.3)
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
    x = _as_float_array(sizes, "sizes")
    if x.size == 0:
        raise ValueError("sizes is empty: nothing to plot")
    if not distinct_by_order:
        raise ValueError("distinct_by_order is empty: give at least one order")

    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_count, ax_mem = fig.subplots(1, 2)

    for order in sorted(distinct_by_order):
        d = _as_float_array(distinct_by_order[order], f"distinct_by_order[{order}]")
        _check_same_length(x, d, "sizes", f"distinct_by_order[{order}]")
        ax_count.loglog(x, d, marker="o", label=f"n = {order}")
    ax_count.loglog(x, x, color="black", linestyle="--", linewidth=1, label="= number of tokens")
    ax_count.set_xlabel("corpus size (tokens)")
    ax_count.set_ylabel("distinct n-grams")
    ax_count.set_title("Distinct n-grams as the corpus grows")
    ax_count.legend(fontsize=8)
    ax_count.grid(True, which="major", alpha=0.3)

    all_mem = [_as_float_array(memory_by_order[o], f"memory_by_order[{o}]") for o in sorted(memory_by_order)]
    divisor, unit = _bytes_axis(np.concatenate(all_mem) if all_mem else np.zeros(0))
    for order, m in zip(sorted(memory_by_order), all_mem, strict=True):
        _check_same_length(x, m, "sizes", f"memory_by_order[{order}]")
        ax_mem.plot(x, m / divisor, marker="o", label=f"order-{order} model")
    ax_mem.set_xlabel("corpus size (tokens)")
    ax_mem.set_ylabel(f"memory ({unit})")
    ax_mem.set_title("Measured memory as the corpus grows")
    if memory_by_order:
        ax_mem.legend(fontsize=8)
    ax_mem.grid(True, alpha=0.3)
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
    n = _as_float_array(orders, "orders")
    if n.size == 0:
        raise ValueError("orders is empty: nothing to plot")
    names = list(dict.fromkeys([*train, *test]))
    if not names:
        raise ValueError("give at least one series in train or test")
    series: list[tuple[str, str, np.ndarray]] = []
    for split, table in (("train", train), ("test", test)):
        for name, values in table.items():
            v = _as_float_array(values, f"{split}[{name!r}]")
            _check_same_length(n, v, "orders", f"{split}[{name!r}]")
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
            ax.plot(
                n[~ok],
                np.full(int(np.sum(~ok)), top),
                linestyle="none",
                marker="^",
                markersize=9,
                color=colours[name],
                clip_on=False,
            )
            marked_inf = True
    if marked_inf:
        ax.text(
            0.01,
            0.97,
            "▲ on the top edge = infinite perplexity",
            transform=ax.transAxes,
            fontsize=8,
            va="top",
            color="dimgray",
        )
    if floor is not None:
        ax.axhline(
            floor, color="black", linewidth=1.5, linestyle=":", label=f"floor (true model): {floor:.1f}"
        )
    for i, (label, value) in enumerate((references or {}).items()):
        ax.axhline(value, color="grey", linewidth=1, linestyle=(0, (4, 2 + i)), label=f"{label}: {value:g}")
    ax.set_ylim(bottom, top * 1.15)
    ax.set_xticks(n)
    ax.set_xlabel("order n")
    ax.set_ylabel("perplexity (log scale)")
    ax.set_title(title or "Perplexity against the order n: train (dashed) and test (solid)")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(True, which="both", alpha=0.25)
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
    p = _as_float_array(perplexities, "perplexities")
    if len(labels) != len(p):
        raise ValueError(f"perplexities has {len(p)} values but labels has {len(labels)}; they must match")
    if p.size == 0:
        raise ValueError("no models to plot")
    try:
        floor = float(floor)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"floor must be a number, got {type(floor).__name__}") from exc
    if not (math.isfinite(floor) and floor >= 1):
        raise ValueError(f"floor must be a finite perplexity >= 1, got {floor!r}")
    tr = None
    if train_perplexities is not None:
        tr = _as_float_array(train_perplexities, "train_perplexities")
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
    for rect, value in zip(bars, p, strict=True):
        text = f"{value:.1f}" if math.isfinite(value) else "inf"
        ax.annotate(
            text,
            (rect.get_x() + rect.get_width() / 2, min(rect.get_height(), top)),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.axhline(floor, color="black", linestyle=":", linewidth=1.8, label=f"floor (true model): {floor:.2f}")
    ax.set_ylim(0, top * 1.08)
    ax.set_xticks(x, list(labels))
    ax.set_ylabel("perplexity")
    ax.set_title(title or "How close do the models get to the floor?")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(True, axis="y", alpha=0.3)
    return fig


# ------------------------------------------------------------------------------------------------
# Notebook 02: the RNN language model, forward
# ------------------------------------------------------------------------------------------------

__all__ += [
    "rnn_unrolled_plot",
    "hidden_states_plot",
    "next_word_distribution_plot",
    "untrained_perplexity_plot",
    "ngram_vs_rnn_memory_plot",
]


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
    arrow = dict(arrowstyle="-|>", color="dimgray", lw=1.2, shrinkA=0, shrinkB=0)

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
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=arrow)
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
    p = _as_float_array(probs, "probs")
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
    V = _as_float_array(vocab_sizes, "vocab_sizes")
    if V.size == 0:
        raise ValueError("vocab_sizes is empty: nothing to plot")
    if np.any(V < 1):
        raise ValueError(f"vocabulary sizes must be >= 1, got {V.tolist()}")
    if not perplexities:
        raise ValueError("perplexities is empty: give at least one series")
    fig = Figure(figsize=(6.0, 4.4), layout="constrained")
    ax = fig.add_subplot()
    for label, values in perplexities.items():
        v = _as_float_array(values, f"perplexities[{label!r}]")
        _check_same_length(V, v, "vocab_sizes", f"perplexities[{label!r}]")
        if np.any(np.isnan(v)) or np.any(v < 1):
            raise ValueError(f"perplexities[{label!r}] holds a value below 1 or NaN: {v.tolist()}")
        ax.loglog(V, v, marker="o", label=str(label))
    ax.loglog(V, V, color="black", linestyle="--", linewidth=1, label="uniform guess: perplexity = V")
    ax.set_xlabel("vocabulary size V")
    ax.set_ylabel("perplexity (held-out text)")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.25)
    ax.set_title(title or "Untrained models: perplexity close to V")
    return fig


_RNN_COLOURS = ("tab:blue", "tab:green", "tab:purple", "tab:cyan")
_NGRAM_COLOURS = ("tab:orange", "tab:red", "tab:brown", "tab:pink", "tab:olive", "tab:gray")


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
    n = _as_float_array(orders, "orders")
    m = _as_float_array(ngram_bytes, "ngram_bytes")
    _check_same_length(n, m, "orders", "ngram_bytes")
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
        x = _as_float_array(sizes, "sizes")
        if x.size == 0:
            raise ValueError("sizes is empty: nothing to plot")
        for order in sorted(ngram_bytes_by_size or {}):
            v = _as_float_array(ngram_bytes_by_size[order], f"ngram_bytes_by_size[{order}]")
            _check_same_length(x, v, "sizes", f"ngram_bytes_by_size[{order}]")
            by_size.append((f"{order}-gram tables", v, False))
        for label, values in (rnn_bytes_by_size or {}).items():
            v = _as_float_array(values, f"rnn_bytes_by_size[{label!r}]")
            _check_same_length(x, v, "sizes", f"rnn_bytes_by_size[{label!r}]")
            by_size.append((str(label), v, True))
        everything += [v for _, v, _ in by_size]
    divisor, unit = _bytes_axis(np.concatenate(everything))

    fig = Figure(figsize=(10 if x is not None else 5.5, 4.2), layout="constrained")
    axes = fig.subplots(1, 2) if x is not None else [fig.add_subplot()]
    ax = axes[0]
    ax.semilogy(n, m / divisor, marker="o", color="tab:orange", label=ngram_label)
    for raw, xi in zip(m, n, strict=True):
        ax.annotate(_human_bytes(raw), (xi, raw / divisor), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=7)
    for i, (label, value) in enumerate(rnn.items()):
        ax.axhline(value / divisor, color=_RNN_COLOURS[i % len(_RNN_COLOURS)], linestyle="--", linewidth=1.3,
                   label=f"{label}: {_human_bytes(value)}")
    ax.margins(x=0.08, y=0.12)  # room for the labels above the points
    ax.set_xticks(n)
    ax.set_xlabel("order n of the n-gram model")
    ax.set_ylabel(f"memory ({unit}, log scale)")
    ax.set_title("Against the order n")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.25)
    if x is not None:
        ax2 = axes[1]
        j = k = 0
        for label, v, is_rnn in by_size:
            if is_rnn:
                ax2.loglog(x, v / divisor, marker="s", linestyle="--", label=label,
                           color=_RNN_COLOURS[k % len(_RNN_COLOURS)])
                k += 1
            else:
                ax2.loglog(x, v / divisor, marker="o", label=label,
                           color=_NGRAM_COLOURS[j % len(_NGRAM_COLOURS)])
                j += 1
        ax2.set_xlabel("training text (tokens)")
        ax2.set_ylabel(f"memory ({unit})")
        ax2.set_title("Against the size of the corpus")
        if by_size:
            ax2.legend(fontsize=8)
        ax2.grid(True, which="both", alpha=0.25)
    if title:
        fig.suptitle(title)
    return fig


# ------------------------------------------------------------------------------------------------
# Notebook 03: backpropagation through time
# ------------------------------------------------------------------------------------------------

__all__ += [  # this section's figures
    "unrolled_graph_plot",
    "gradient_flow_plot",
    "truncation_error_plot",
    "gradient_check_plot",
    "training_curves_plot",
    "temperature_plot",
    "speed_plot",
]


def _nb03_int(value: object, name: str, *, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value!r}")
    return int(value)


def _nb03_series(values: Mapping[str, Sequence[float]] | Sequence[float] | np.ndarray, name: str,
            default_label: str) -> dict[str, np.ndarray]:
    """One or several named 1-d series: a plain sequence becomes ``{default_label: values}``."""
    if isinstance(values, Mapping):
        if not values:
            raise ValueError(f"{name} is empty: give at least one series")
        return {str(k): _as_float_array(v, f"{name}[{k!r}]") for k, v in values.items()}
    return {default_label: _as_float_array(values, name)}


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
    T = _nb03_int(steps, "steps", maximum=16)
    if truncate is not None:
        truncate = _nb03_int(truncate, "truncate")
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

    def arrow(src: tuple[float, float], dst: tuple[float, float], kind: str) -> None:
        style = {
            "forward": {"color": "black", "linestyle": "-", "lw": 1.3},
            "backward": {"color": "tab:red", "linestyle": "--", "lw": 1.3},
            "cut": {"color": "lightgray", "linestyle": "--", "lw": 1.3},
        }[kind]
        ax.annotate("", xy=dst, xytext=src, gid=kind,
                    arrowprops={"arrowstyle": "-|>", "shrinkA": 14, "shrinkB": 14, **style})

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
        arrow((X, rows["x"]), (X, rows["h"]), "forward")
        arrow(((t - 1) * dx, rows["h"]), (X, rows["h"]), "forward")
        arrow((X, rows["h"]), (X, rows["y"]), "forward")
        arrow((X, rows["y"]), (X, rows["J"]), "forward")
        if show_backward:
            off = 0.32
            arrow((X + off, rows["J"]), (X + off, rows["y"]), "backward")
            arrow((X + off, rows["y"]), (X + off, rows["h"]), "backward")
            kind = "cut" if (t - 1) in boundaries else "backward"
            src, dst = (X, rows["h"] - 0.42), ((t - 1) * dx, rows["h"] - 0.42)
            arrow(src, dst, kind)
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
    series = _nb03_series(norms, "norms", "||dJ_T / dh_t||")
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
        k = _nb03_int(truncate, "truncate")
        ax.axvspan(max(longest - k, 0) + 0.5, longest + 0.5, color="tab:green", alpha=0.12,
                   label=f"last {k} steps (truncated BPTT, k = {k})")
    ax.set_xlabel("time step t (the loss is at the last step)")
    ax.set_ylabel(r"$\|\partial J_T / \partial h_t\|$ (log scale)")
    ax.set_title(title or "The gradient of the last loss, flowing back through time")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.25)
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
    k = _as_float_array(lengths, "lengths")
    if k.size == 0:
        raise ValueError("lengths is empty: nothing to plot")
    series = _nb03_series(errors, "errors", "relative error")
    positive: list[float] = []
    for name, v in series.items():
        _check_same_length(k, v, "lengths", f"errors[{name!r}]")
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
            ax.plot(k[~nz], np.full(int(np.sum(~nz)), bottom), linestyle="none", marker="v", color=f"C{i}",
                    markersize=8, clip_on=False)
    if any(np.any(v == 0) for v in series.values()):
        ax.text(0.99, 0.03, "▼ on the bottom edge = exact (error 0)", transform=ax.transAxes,
                ha="right", fontsize=8, color="dimgray")
    ax.set_ylim(bottom=bottom * 0.8)
    ax.set_xlabel("truncation length k (steps per chunk)")
    ax.set_ylabel("relative error of the gradient (log scale)")
    ax.set_title(title or "Truncated BPTT: how far from the full gradient?")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.25)
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
    try:
        tol = float(tol)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"tol must be a number, got {type(tol).__name__}") from exc
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
                text = "0" if value == 0 else ("nan" if math.isnan(value) else "inf")
                ax.annotate(text, (rect.get_x() + rect.get_width() / 2, rect.get_height()), ha="center",
                            va="bottom", fontsize=8)
    ax.axhline(tol, color="black", linestyle="--", linewidth=1, label=f"tolerance {tol:.0e}")
    ax.set_yscale("log")
    ax.set_ylim(bottom, top * 3)
    ax.set_xticks(x, names)
    ax.set_ylabel("max relative error (log scale)")
    ax.set_title(title or "Gradient check: analytic against numeric")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, axis="y", which="major", alpha=0.3)
    return fig


def training_curves_plot(
    runs: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    references: Mapping[str, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Loss and perplexity per epoch: training (dashed) and validation (solid), one colour per run.

    ``runs`` maps a label to a record with ``"train_ppl"`` and/or ``"valid_ppl"``, one perplexity per
    epoch (``rnnlm.rnn_numpy.TrainHistory.as_dict()`` has both). Left: the mean cross-entropy
    ``ln(perplexity)`` in nats per token (bits on the right-hand axis); right: the perplexity, on a log
    scale. ``references`` draws labelled horizontal perplexities (for example the uniform model's V).
    """
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError("runs must be a non-empty mapping label -> {'train_ppl': [...], 'valid_ppl': [...]}")
    curves: list[tuple[int, str, str, np.ndarray]] = []
    for i, (label, record) in enumerate(runs.items()):
        if not isinstance(record, Mapping):
            raise TypeError(f"runs[{label!r}] must be a mapping with 'train_ppl' and/or 'valid_ppl'")
        found = [k for k in ("train_ppl", "valid_ppl") if k in record]
        if not found:
            raise ValueError(f"runs[{label!r}] has neither 'train_ppl' nor 'valid_ppl'")
        for key in found:
            v = _as_float_array(record[key], f"runs[{label!r}][{key!r}]")
            if v.size == 0 or np.any(~np.isfinite(v)) or np.any(v < 1):
                raise ValueError(
                    f"runs[{label!r}][{key!r}] must hold finite perplexities >= 1, got {v.tolist()}"
                )
            curves.append((i, str(label), key, v))

    fig = Figure(figsize=(10.5, 4.0), layout="constrained")
    ax_loss, ax_ppl = fig.subplots(1, 2)
    for i, label, key, v in curves:
        epochs = np.arange(1, v.size + 1)
        split = "train" if key == "train_ppl" else "valid"
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
    s = _as_float_array(scores, "scores")
    if s.size == 0 or np.any(~np.isfinite(s)):
        raise ValueError("scores must be a non-empty array of finite numbers")
    temps = _as_float_array(temperatures, "temperatures")
    if temps.size == 0 or np.any(~np.isfinite(temps)) or np.any(temps <= 0):
        raise ValueError(f"temperatures must be positive numbers, got {temps.tolist()}")
    if labels is not None and len(labels) != s.size:
        raise ValueError(f"labels has {len(labels)} entries but scores has {s.size}; they must match")
    k = min(_nb03_int(top, "top"), s.size)
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
    ax.set_xlabel(f"the {k} highest-scoring next tokens")
    ax.set_ylabel("probability")
    ax.set_title(title or "Sampling temperature: softmax(scores / T)")
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
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
    v = _as_float_array(tokens_per_second, "tokens_per_second")
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
    ax.set_xlabel("training tokens per second (higher is better)")
    ax.set_title(title or f"Speed, relative to {labels[baseline]}")
    ax.grid(True, axis="x", alpha=0.3)
    return fig
