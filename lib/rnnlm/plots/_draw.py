"""Drawing helpers shared by the figures of notebooks 01-04 (not part of the public API).

Argument checks that name the offending argument, the byte unit of a memory axis, arrows for the
diagrams, notes and markers on the axes, the usual axes styling, and the colours the figures share.
Human-readable byte sizes come from :func:`rnnlm.data.format_bytes`, the kit's one formatter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: Colours of RNN series and of n-gram series, where one figure shows both kinds side by side.
RNN_COLOURS = ("tab:blue", "tab:green", "tab:purple", "tab:cyan")
NGRAM_COLOURS = ("tab:orange", "tab:red", "tab:brown", "tab:pink", "tab:olive", "tab:gray")

#: Arrow styles of the diagrams: ``"weight"`` carries a shared weight matrix (notebook 02), the others
#: are the forward computation, the gradients flowing back, and a gradient cut by truncation (notebook 03).
ARROWS: dict[str, dict[str, object]] = {
    "weight": {"color": "dimgray", "lw": 1.2},
    "forward": {"color": "black", "linestyle": "-", "lw": 1.3},
    "backward": {"color": "tab:red", "linestyle": "--", "lw": 1.3},
    "cut": {"color": "lightgray", "linestyle": "--", "lw": 1.3},
}

#: Grid styles for :func:`style_axes`: ``"both"`` for log axes (minor lines too), ``"x"``/``"y"`` for bars.
GRIDS: dict[str, dict[str, object]] = {
    "major": {"which": "major", "alpha": 0.3},
    "both": {"which": "both", "alpha": 0.25},
    "x": {"axis": "x", "alpha": 0.3},
    "y": {"axis": "y", "alpha": 0.3},
}

# ------------------------------------------------------------------------------------------------
# Argument checks
# ------------------------------------------------------------------------------------------------


def as_float_array(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    """``values`` as a 1-d float array; raises ``ValueError``/``TypeError`` naming ``name``."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a sequence of numbers, got {type(values).__name__}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def check_same_length(x: np.ndarray, y: np.ndarray, x_name: str, y_name: str) -> None:
    if len(x) != len(y):
        raise ValueError(f"{y_name} has {len(y)} values but {x_name} has {len(x)}; they must match")


def as_number(value: object, name: str) -> float:
    """``float(value)``; a ``TypeError`` naming ``name`` when it is not a number."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number, got {type(value).__name__}") from exc


def positive_int(value: object, name: str, *, maximum: int | None = None) -> int:
    """``value`` as an int >= 1 (and <= ``maximum``); bools and floats are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value!r}")
    return int(value)


def named_series(values: Mapping[str, Sequence[float]] | Sequence[float] | np.ndarray, name: str,
                 default_label: str) -> dict[str, np.ndarray]:
    """One or several named 1-d series: a plain sequence becomes ``{default_label: values}``."""
    if isinstance(values, Mapping):
        if not values:
            raise ValueError(f"{name} is empty: give at least one series")
        return {str(k): as_float_array(v, f"{name}[{k!r}]") for k, v in values.items()}
    return {default_label: as_float_array(values, name)}


# ------------------------------------------------------------------------------------------------
# Units
# ------------------------------------------------------------------------------------------------


def bytes_axis(values: np.ndarray) -> tuple[float, str]:
    """A (divisor, unit) pair that makes ``values`` (sizes in bytes) readable on an axis."""
    top = float(np.nanmax(values)) if values.size else 0.0
    for divisor, unit in ((1024**3, "GiB"), (1024**2, "MiB"), (1024, "KiB")):
        if top >= divisor:
            return float(divisor), unit
    return 1.0, "bytes"


# ------------------------------------------------------------------------------------------------
# Arrows, notes, markers, axes styling
# ------------------------------------------------------------------------------------------------


def arrow(ax, src: tuple[float, float], dst: tuple[float, float], kind: str, *, gid: str | None = None,
          shrink: float = 0) -> None:
    """An arrow of style ``ARROWS[kind]`` from ``src`` to ``dst``, ``shrink`` points short of both ends."""
    props = {"arrowstyle": "-|>", "shrinkA": shrink, "shrinkB": shrink, **ARROWS[kind]}
    ax.annotate("", xy=dst, xytext=src, gid=gid, arrowprops=props)


def note(ax, x: float, y: float, text: str, **kwargs: object) -> None:
    """A small grey remark at ``(x, y)`` in axes coordinates (0..1)."""
    ax.text(x, y, text, **{"transform": ax.transAxes, "fontsize": 8, "color": "dimgray", **kwargs})


def edge_markers(ax, x: np.ndarray, edge: float, *, marker: str, colour: str, size: float) -> None:
    """Markers at ``x`` on the edge ``y = edge``, for values a log axis cannot show (inf, 0)."""
    ax.plot(x, np.full(len(x), edge), linestyle="none", marker=marker, markersize=size, color=colour,
            clip_on=False)


def label_bars(ax, bars, texts: Sequence[str], *, tops: Sequence[float] | None = None) -> None:
    """Write ``texts[i]`` just above bar i (at ``tops[i]`` if given, else at the bar's height)."""
    heights = [r.get_height() for r in bars] if tops is None else tops
    for rect, text, height in zip(bars, texts, heights, strict=True):
        ax.annotate(text, (rect.get_x() + rect.get_width() / 2, height), ha="center", va="bottom",
                    fontsize=8)


def style_axes(ax, *, xlabel: str | None = None, ylabel: str | None = None, title: str | None = None,
               legend: bool = False, grid: str | None = None) -> None:
    """The finishing touches most figures share: labels, title, a small legend, a light grid."""
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    if legend:
        ax.legend(fontsize=8)
    if grid is not None:
        ax.grid(True, **GRIDS[grid])
