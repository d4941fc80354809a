"""rnnlm.plots.class_softmax (notebook 05, class-based softmax): each figure on tiny made-up inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from figure_checks import legend as _legend
from figure_checks import renders as _renders

from rnnlm import plots

NAMES = ("class_sizes_plot", "class_tradeoff_plot")


def test_nb05_functions_are_exported() -> None:
    for name in NAMES:
        assert name in plots.__all__ and name in plots.class_softmax.__all__
        assert getattr(plots, name) is getattr(plots.class_softmax, name)


def test_class_sizes_plot_one_line_per_binning_on_a_log_axis() -> None:
    fig = plots.class_sizes_plot({"sqrt": [2, 5, 9, 20], "mass": np.array([1, 3, 8, 30, 60])})
    (ax,) = fig.axes
    assert ax.get_yscale() == "log" and ax.get_title() == "Words per class"
    assert _legend(ax) == ["sqrt", "mass"]
    sqrt, mass = ax.get_lines()
    np.testing.assert_array_equal(sqrt.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(mass.get_ydata(), [1, 3, 8, 30, 60])
    assert sqrt.get_drawstyle() == "steps-mid" and sqrt.get_marker() == "o"
    (text,) = [t.get_text() for t in ax.texts]
    assert "sqrt: 4 classes, 36 words; largest 20 (class 3), smallest 2 (class 0)" in text
    assert "mass: 5 classes, 102 words; largest 60 (class 4), smallest 1 (class 0)" in text
    lo, hi = ax.get_ylim()
    assert lo < 1 and hi > 60
    _renders(fig)
    many = plots.class_sizes_plot({"mass": list(range(1, 101))}, title="t")
    assert many.axes[0].get_title() == "t" and many.axes[0].get_lines()[0].get_marker() == "None"


def test_class_sizes_plot_refuses_bad_sizes() -> None:
    with pytest.raises(ValueError, match="non-empty mapping"):
        plots.class_sizes_plot({})
    with pytest.raises(ValueError, match="non-empty mapping"):
        plots.class_sizes_plot([1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"sizes\['a'\] is empty"):
        plots.class_sizes_plot({"a": []})
    with pytest.raises(ValueError, match=r"sizes\['a'\]\[1\] must be an int >= 1, got 0"):
        plots.class_sizes_plot({"a": [3, 0]})
    with pytest.raises(ValueError, match=r"sizes\['a'\]\[0\] must be an int >= 1, got 2.5"):
        plots.class_sizes_plot({"a": [2.5]})
    with pytest.raises(TypeError, match=r"sizes\['a'\] must be a sequence of ints, got int"):
        plots.class_sizes_plot({"a": 5})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="got str"):
        plots.class_sizes_plot({"a": "123"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="one-dimensional"):
        plots.class_sizes_plot({"a": [[1, 2]]})  # type: ignore[list-item]


def test_class_tradeoff_plot_two_panels_references_and_sqrt_v() -> None:
    refs = {"full softmax": (138.0, 60.0), "adaptive softmax": (141.0, 6.0)}
    fig = plots.class_tradeoff_plot([100, 10, 30, 300], [150.0, 140.0, 145.0, 160.0], [5.0, 20.0, 8.0, 9.0],
                                    references=refs, sqrt_v=31.6, seconds_label="seconds per step")
    ax_ppl, ax_sec = fig.axes
    assert ax_ppl.get_shared_x_axes().joined(ax_ppl, ax_sec)
    assert ax_ppl.get_xscale() == ax_sec.get_xscale() == "log"
    assert ax_sec.get_yscale() == "linear"  # 60 / 5 < 30
    assert ax_sec.get_ylabel() == "seconds per step (lower is better)"
    assert fig._suptitle.get_text() == "Class-based softmax: speed against perplexity"
    assert _legend(ax_ppl) == ["class-based softmax", "full softmax: 138", "adaptive softmax: 141",
                               "C = sqrt(V) = 31.6"]
    assert _legend(ax_sec) == ["class-based softmax", "full softmax: 60 s", "adaptive softmax: 6 s",
                               "C = sqrt(V) = 31.6"]
    curve, full, adaptive, root = ax_ppl.get_lines()
    np.testing.assert_array_equal(curve.get_xdata(), [10, 30, 100, 300])  # drawn in order of C
    np.testing.assert_array_equal(curve.get_ydata(), [140.0, 145.0, 150.0, 160.0])
    np.testing.assert_array_equal(ax_sec.get_lines()[0].get_ydata(), [20.0, 8.0, 5.0, 9.0])
    assert full.get_linestyle() == "--" and list(full.get_ydata()) == [138.0, 138.0]
    assert list(ax_sec.get_lines()[2].get_ydata()) == [6.0, 6.0]
    for ax in (ax_ppl, ax_sec):
        line = ax.get_lines()[-1]
        assert line.get_linestyle() == ":" and list(line.get_xdata()) == [31.6, 31.6]
    assert [t.get_text() for t in ax_ppl.get_xticklabels()] == ["10", "30", "100", "300"]
    assert any(t.get_text() == "fastest: C = 100 (5 s)" for t in ax_sec.texts)
    lo, hi = ax_ppl.get_xlim()
    assert lo < 10 and hi > 300
    _renders(fig)


def test_class_tradeoff_plot_alone_with_a_log_time_axis() -> None:
    fig = plots.class_tradeoff_plot([1, 1000], [120.0, 130.0], [100.0, 2.0], title="t")
    ax_ppl, ax_sec = fig.axes
    assert len(ax_ppl.get_lines()) == len(ax_sec.get_lines()) == 1  # no references, no sqrt(V) line
    assert _legend(ax_sec) == ["class-based softmax"]
    assert ax_sec.get_yscale() == "log" and ax_sec.get_ylabel() == "seconds per epoch (lower is better)"
    assert fig._suptitle.get_text() == "t"
    _renders(fig)


def test_class_tradeoff_plot_refuses_bad_inputs() -> None:
    ok = ([10, 100], [140.0, 150.0], [5.0, 6.0])
    with pytest.raises(ValueError, match="perplexity has 1 values but classes has 2"):
        plots.class_tradeoff_plot([10, 100], [140.0], [5.0, 6.0])
    with pytest.raises(ValueError, match="seconds has 3 values but classes has 2"):
        plots.class_tradeoff_plot([10, 100], [140.0, 150.0], [5.0, 6.0, 7.0])
    with pytest.raises(ValueError, match="classes is empty"):
        plots.class_tradeoff_plot([], [], [])
    with pytest.raises(ValueError, match=r"classes\[1\] must be an int >= 1, got 0"):
        plots.class_tradeoff_plot([10, 0], *ok[1:])
    with pytest.raises(ValueError, match=r"classes\[0\] must be an int >= 1, got 10.0"):
        plots.class_tradeoff_plot([10.0, 100], *ok[1:])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="classes must be a sequence of ints"):
        plots.class_tradeoff_plot("ab", *ok[1:])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="perplexity must be positive finite"):
        plots.class_tradeoff_plot(ok[0], [140.0, math.nan], ok[2])
    with pytest.raises(ValueError, match="seconds must be positive finite"):
        plots.class_tradeoff_plot(ok[0], ok[1], [5.0, -1.0])
    with pytest.raises(TypeError, match="perplexity must be a sequence of numbers"):
        plots.class_tradeoff_plot(ok[0], ["a", "b"], ok[2])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"references\['x'\] must be a pair"):
        plots.class_tradeoff_plot(*ok, references={"x": 3.0})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="references must be a mapping"):
        plots.class_tradeoff_plot(*ok, references=[(1.0, 2.0)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"references\['x'\] perplexity must be a positive finite"):
        plots.class_tradeoff_plot(*ok, references={"x": (0.0, 1.0)})
    with pytest.raises(TypeError, match=r"references\['x'\] seconds must be a number"):
        plots.class_tradeoff_plot(*ok, references={"x": (1.0, None)})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="sqrt_v must be a positive finite number"):
        plots.class_tradeoff_plot(*ok, sqrt_v=-1.0)
    with pytest.raises(TypeError, match="sqrt_v must be a number"):
        plots.class_tradeoff_plot(*ok, sqrt_v="big")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="seconds_label must be a non-empty str"):
        plots.class_tradeoff_plot(*ok, seconds_label=3)  # type: ignore[arg-type]
