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
