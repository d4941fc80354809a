"""rnnlm.plots._draw and the package: shared helpers, one byte formatter, and what the package exports."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest
from matplotlib.figure import Figure

from rnnlm import data, plots
from rnnlm.plots import _draw, bptt, ngram, rnn_forward


def test_package_exports_exactly_the_functions_of_its_modules() -> None:
    # every topic module of the package (one per notebook), found rather than listed
    modules = [
        importlib.import_module(f"rnnlm.plots.{info.name}")
        for info in pkgutil.iter_modules(plots.__path__)
        if not info.name.startswith("_")
    ]
    assert {ngram, rnn_forward, bptt} <= set(modules)
    names = [name for module in modules for name in module.__all__]
    assert sorted(plots.__all__) == sorted(names) and len(set(names)) == len(names)
    for module in modules:
        for name in module.__all__:
            assert getattr(plots, name) is getattr(module, name)
            assert getattr(module, name).__module__ == module.__name__


def test_the_plots_format_bytes_with_rnnlm_data() -> None:
    # one formatter in the kit: the plots label memory with rnnlm.data's, not a copy of their own
    assert ngram.format_bytes is data.format_bytes
    assert rnn_forward.format_bytes is data.format_bytes
    assert "format_bytes" in data.__all__
    fig = plots.ngram_vs_rnn_memory_plot([1, 2], [1536, 3 * 1024**2], {"RNN": 2048})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert data.format_bytes(1536) in texts and data.format_bytes(3 * 1024**2) in texts
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "RNN: 2.0 KiB" in legend


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 B"), (100, "100 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"),
     (1.5 * 1024**2, "1.5 MiB"), (3 * 1024**3, "3.0 GiB"), (2 * 1024**4, "2.0 TiB"), (-2048, "-2.0 KiB")],
)
def test_format_bytes(n: float, text: str) -> None:
    assert data.format_bytes(n) == text


def test_bytes_axis_picks_the_unit_of_the_largest_value() -> None:
    assert _draw.bytes_axis(np.array([10.0, 900.0])) == (1.0, "bytes")
    assert _draw.bytes_axis(np.array([10.0, 2048.0])) == (1024.0, "KiB")
    assert _draw.bytes_axis(np.array([5 * 1024.0**2])) == (1024.0**2, "MiB")
    assert _draw.bytes_axis(np.array([1024.0**3, np.nan])) == (1024.0**3, "GiB")
    assert _draw.bytes_axis(np.zeros(0)) == (1.0, "bytes")


def test_argument_checks_name_the_argument() -> None:
    np.testing.assert_array_equal(_draw.as_float_array([1, 2], "xs"), [1.0, 2.0])
    with pytest.raises(ValueError, match="xs must be one-dimensional"):
        _draw.as_float_array([[1.0]], "xs")
    with pytest.raises(TypeError, match="xs must be a sequence of numbers"):
        _draw.as_float_array(["a"], "xs")
    with pytest.raises(ValueError, match="ys has 1 values but xs has 2"):
        _draw.check_same_length(np.zeros(2), np.zeros(1), "xs", "ys")
    assert _draw.as_number("2.5", "tol") == 2.5
    with pytest.raises(TypeError, match="tol must be a number, got NoneType"):
        _draw.as_number(None, "tol")
    assert _draw.positive_int(np.int64(3), "k") == 3
    for bad in (0, True, 2.0):
        with pytest.raises(ValueError, match="k must be an int >= 1"):
            _draw.positive_int(bad, "k")
    with pytest.raises(ValueError, match="k must be at most 4"):
        _draw.positive_int(5, "k", maximum=4)
    assert list(_draw.named_series([1.0, 2.0], "norms", "norm")) == ["norm"]
    assert list(_draw.named_series({"a": [1.0], "b": [2.0]}, "norms", "norm")) == ["a", "b"]
    with pytest.raises(ValueError, match="norms is empty"):
        _draw.named_series({}, "norms", "norm")


def test_drawing_helpers() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    _draw.arrow(ax, (0, 0), (1, 1), "backward", gid="g", shrink=3)
    (a,) = ax.texts
    assert a.get_gid() == "g" and a.arrow_patch.get_linestyle() == "--"
    bars = ax.bar([0, 1], [2.0, 5.0], label="bars")
    _draw.label_bars(ax, bars, ["two", "five"], tops=[2.0, 4.0])
    assert [t.get_text() for t in ax.texts[1:]] == ["two", "five"]
    assert ax.texts[2].xy == (1.0, 4.0)
    _draw.edge_markers(ax, np.array([0.0, 1.0]), 6.0, marker="^", colour="C1", size=9)
    (line,) = ax.get_lines()
    assert list(line.get_ydata()) == [6.0, 6.0] and not line.get_clip_on()
    _draw.note(ax, 0.5, 0.5, "hello", ha="right")
    assert ax.texts[-1].get_transform() == ax.transAxes and ax.texts[-1].get_ha() == "right"
    _draw.style_axes(ax, xlabel="x", ylabel="y", title="t", legend=True, grid="y")
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("x", "y", "t")
    assert ax.get_legend() is not None
    with pytest.raises(KeyError):
        _draw.style_axes(ax, grid="sideways")
