"""rnnlm.plots.bptt (notebook 03, backpropagation through time): each figure on tiny made-up inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from figure_checks import renders as _renders
from matplotlib.text import Annotation

from rnnlm import plots


def _arrows(ax, gid: str) -> list[Annotation]:
    return [t for t in ax.texts if isinstance(t, Annotation) and t.get_gid() == gid]


def test_nb03_functions_are_exported() -> None:
    for name in ("unrolled_graph_plot", "gradient_flow_plot", "truncation_error_plot", "gradient_check_plot",
                 "training_curves_plot", "temperature_plot", "speed_plot"):
        assert name in plots.__all__
        assert callable(getattr(plots, name))
        assert name in plots.bptt.__all__ and getattr(plots, name) is getattr(plots.bptt, name)


# -- unrolled graph ----------------------------------------------------------------------------


def test_unrolled_graph_plot_draws_forward_and_backward_arrows() -> None:
    fig = plots.unrolled_graph_plot(4)
    (ax,) = fig.axes
    # per step: x->h, h_{t-1}->h, h->y_hat, y_hat->J forward; J->y_hat, y_hat->h, h->h_{t-1} backward
    assert len(_arrows(ax, "forward")) == 16
    assert len(_arrows(ax, "backward")) == 12
    assert _arrows(ax, "cut") == []
    nodes = [t.get_text() for t in ax.texts if t.get_gid() == "node"]
    assert "$h_0$" in nodes and "$x_{4}$" in nodes and "$J_{4}$" in nodes
    assert len(nodes) == 1 + 4 * 4
    _renders(fig)


def test_unrolled_graph_plot_truncation_cuts_backward_arrows_at_chunk_boundaries() -> None:
    fig = plots.unrolled_graph_plot(6, truncate=2)
    (ax,) = fig.axes
    # chunks {1,2} {3,4} {5,6}: the backward arrows h_3 -> h_2 and h_5 -> h_4 are cut
    assert len(_arrows(ax, "cut")) == 2
    assert len(_arrows(ax, "backward")) == 3 * 6 - 2
    assert len(_arrows(ax, "forward")) == 4 * 6  # the forward state still crosses the boundaries
    assert sum(t.get_text().startswith("chunk") for t in ax.texts) == 3
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("truncation" in text for text in legend)
    _renders(fig)
    # no cut when one chunk covers the sequence; forward only on request
    fig = plots.unrolled_graph_plot(3, truncate=3, show_backward=False)
    assert _arrows(fig.axes[0], "cut") == [] and _arrows(fig.axes[0], "backward") == []


def test_unrolled_graph_plot_checks_arguments() -> None:
    with pytest.raises(ValueError, match="steps"):
        plots.unrolled_graph_plot(0)
    with pytest.raises(ValueError, match="steps"):
        plots.unrolled_graph_plot(2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="truncate must be at most steps = 3"):
        plots.unrolled_graph_plot(3, truncate=4)


# -- gradient flow and truncation ---------------------------------------------------------------


def test_gradient_flow_plot_log_scale_skips_zeros_and_shades_window() -> None:
    fig = plots.gradient_flow_plot([1e-6, 0.0, 1e-3, 1.0], truncate=2)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [1, 3, 4])  # the zero at t = 2 is left out
    np.testing.assert_array_equal(line.get_ydata(), [1e-6, 1e-3, 1.0])
    assert len(ax.patches) == 1  # the truncation window
    _renders(fig)


def test_gradient_flow_plot_several_series_and_bad_input() -> None:
    fig = plots.gradient_flow_plot({"W_hh x 0.5": [0.1, 0.3, 1.0], "W_hh x 2": [30.0, 5.0, 1.0]})
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["W_hh x 0.5", "W_hh x 2"]
    with pytest.raises(ValueError, match="norms"):
        plots.gradient_flow_plot([1.0, -1.0])
    with pytest.raises(ValueError, match="empty"):
        plots.gradient_flow_plot({})


def test_truncation_error_plot_marks_exact_zeros_on_the_bottom_edge() -> None:
    errors = {"W_hh": [0.5, 0.1, 0.01, 0.0], "W_hx": [0.3, 0.05, 0.0, 0.0]}
    fig = plots.truncation_error_plot([1, 2, 4, 8], errors)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    by_label = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(by_label["W_hh"].get_xdata(), [1, 2, 4])
    markers = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert sorted(len(m.get_xdata()) for m in markers) == [1, 2]
    assert all(m.get_ydata()[0] < 0.01 for m in markers)
    _renders(fig)
    with pytest.raises(ValueError, match="errors\\['W_hh'\\]"):
        plots.truncation_error_plot([1, 2], {"W_hh": [0.1]})
    with pytest.raises(ValueError, match="finite"):
        plots.truncation_error_plot([1], [math.nan])


# -- gradient checks ----------------------------------------------------------------------------


def test_gradient_check_plot_colours_bars_by_tolerance() -> None:
    fig = plots.gradient_check_plot({"W_hh": 3e-2, "W_hx": 1e-10, "b_h": 0.0}, tol=1e-7)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    bars = ax.patches
    assert len(bars) == 3
    colours = [tuple(np.round(b.get_facecolor()[:3], 3)) for b in bars]
    assert colours[0] != colours[1] and colours[1] == colours[2]  # red above, green below
    assert bars[0].get_height() == pytest.approx(3e-2)
    assert bars[2].get_height() == pytest.approx(1e-17)  # zero drawn at the floor ...
    assert "0" in [t.get_text() for t in ax.texts]  # ... and labelled
    tol_lines = [line for line in ax.get_lines() if line.get_label().startswith("tolerance")]
    assert tol_lines and tol_lines[0].get_ydata()[0] == pytest.approx(1e-7)
    _renders(fig)


def test_gradient_check_plot_grouped_series_and_bad_input() -> None:
    fig = plots.gradient_check_plot(
        {"explicit": {"W_hh": 1e-12, "W_S": 1e-13}, "nn.RNN": {"W_hh": 2e-12, "W_S": math.nan}}
    )
    (ax,) = fig.axes
    assert len(ax.patches) == 4
    assert "nan" in [t.get_text() for t in ax.texts]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "explicit" in labels and "nn.RNN" in labels
    _renders(fig)
    with pytest.raises(ValueError, match="non-empty"):
        plots.gradient_check_plot({})
    with pytest.raises(ValueError, match="negative"):
        plots.gradient_check_plot({"W": -1.0})
    with pytest.raises(ValueError, match="mixture"):
        plots.gradient_check_plot({"a": 1.0, "b": {"W": 1.0}})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="tol"):
        plots.gradient_check_plot({"W": 1.0}, tol=0)


# -- training, sampling, speed ------------------------------------------------------------------


def _history(train: list[float], valid: list[float]):
    """A made-up rnnlm.history.History with these perplexities, one row per epoch."""
    from rnnlm.history import EpochRecord, History

    return History([
        EpochRecord(epoch=e, train_perplexity=t, valid_perplexity=v, learning_rate=1.0, seconds=0.1,
                    tokens=100, tokens_per_second=1000.0, grad_norm=1.0)
        for e, (t, v) in enumerate(zip(train, valid, strict=True), start=1)
    ])


def test_training_curves_plot_loss_is_log_of_perplexity() -> None:
    runs = {
        "numpy": _history([20.0, 10.0, 8.0], [15.0, 11.0, 10.0]),
        "torch": _history([16.0, 11.0], [14.0, 10.5]),
    }
    fig = plots.training_curves_plot(runs, references={"uniform (V = 60)": 60.0})
    ax_loss, ax_ppl = fig.axes[:2]
    assert ax_ppl.get_yscale() == "log"
    loss_lines = {line.get_label(): line for line in ax_loss.get_lines()}
    np.testing.assert_allclose(loss_lines["numpy (train)"].get_ydata(), np.log([20.0, 10.0, 8.0]))
    np.testing.assert_allclose(loss_lines["torch (valid)"].get_ydata(), np.log([14.0, 10.5]))
    assert loss_lines["numpy (train)"].get_linestyle() == "--"
    assert loss_lines["torch (valid)"].get_linestyle() == "-"
    np.testing.assert_array_equal(loss_lines["torch (valid)"].get_xdata(), [1, 2])
    ppl_labels = [line.get_label() for line in ax_ppl.get_lines()]
    assert any(label.startswith("uniform") for label in ppl_labels)
    _renders(fig)


def test_training_curves_plot_takes_what_both_trainers_return_and_rejects_bad_input() -> None:
    from rnnlm.history import History
    from rnnlm.rnn_numpy import RNNLM, train_numpy

    stream = np.arange(400) % 5
    history = train_numpy(RNNLM(5, 4, 6, seed=0), stream[:300], stream[300:], batch_size=4, seq_len=8,
                          epochs=2, progress=False)
    assert isinstance(history, History)
    plots.training_curves_plot({"numpy": history})
    with pytest.raises(TypeError, match="History"):
        plots.training_curves_plot({"a": {"train_ppl": [9.0], "valid_ppl": [8.0]}})
    with pytest.raises(ValueError, match="no epochs"):
        plots.training_curves_plot({"a": History()})
    with pytest.raises(ValueError, match="perplexities >= 1"):
        plots.training_curves_plot({"a": _history([0.5], [2.0])})
    with pytest.raises(ValueError, match="non-empty"):
        plots.training_curves_plot({})


def test_temperature_plot_sharpens_and_flattens() -> None:
    scores = np.array([2.0, 1.0, 0.0, -1.0])
    fig = plots.temperature_plot(scores, [0.5, 1.0, 2.0], labels=["a", " ", "c", "d"], top=3)
    (ax,) = fig.axes
    assert len(ax.patches) == 9  # 3 tokens x 3 temperatures
    heights = np.array([p.get_height() for p in ax.patches]).reshape(3, 3)  # temperature, token
    assert heights[0, 0] > heights[1, 0] > heights[2, 0]  # the best token loses mass as T grows
    p1 = np.exp(scores) / np.exp(scores).sum()
    np.testing.assert_allclose(heights[1], p1[:3])
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["a", "␣", "c"]  # a space is shown visibly
    _renders(fig)
    with pytest.raises(ValueError, match="temperatures"):
        plots.temperature_plot(scores, [0.0])
    with pytest.raises(ValueError, match="labels"):
        plots.temperature_plot(scores, [1.0], labels=["a"])


def test_speed_plot_marks_ratios_to_the_baseline() -> None:
    fig = plots.speed_plot(["numpy", "torch cpu", "torch cuda"], [1000.0, 4000.0, 100000.0], baseline=0)
    (ax,) = fig.axes
    assert len(ax.patches) == 3
    texts = [t.get_text() for t in ax.texts]
    assert any("×4" in t for t in texts) and any("×100" in t for t in texts)
    assert ax.get_xscale() == "log"  # more than 30 times apart
    _renders(fig)
    fig = plots.speed_plot(["a", "b"], [10.0, 20.0], baseline=1)
    assert fig.axes[0].get_xscale() == "linear"
    assert any("×0.5" in t.get_text() for t in fig.axes[0].texts)
    with pytest.raises(ValueError, match="baseline"):
        plots.speed_plot(["a"], [1.0], baseline=1)
    with pytest.raises(ValueError, match="positive"):
        plots.speed_plot(["a"], [0.0])
    with pytest.raises(ValueError, match="labels"):
        plots.speed_plot(["a", "b"], [1.0])
