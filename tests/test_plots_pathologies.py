"""rnnlm.plots.pathologies (notebook 04, gradient pathologies): each figure on tiny made-up inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from figure_checks import legend as _legend
from figure_checks import renders as _renders

from rnnlm import pathologies as P
from rnnlm import plots

NAMES = ("gradient_norm_distance_plot", "error_surface_plot", "layer_gradients_plot", "name_recall_plot",
         "adding_curves_plot")


def test_nb04_functions_are_exported() -> None:
    for name in NAMES:
        assert name in plots.__all__ and name in plots.pathologies.__all__
        assert getattr(plots, name) is getattr(plots.pathologies, name)


def test_gradient_norm_distance_plot_draws_norm_and_bound_per_panel() -> None:
    W = P.with_spectral_norm(np.random.default_rng(0).standard_normal((4, 4)), 2.0)
    u = np.random.default_rng(1).standard_normal((10, 4)) * 0.1
    g = P.gradient_norms_by_distance(W, u, "relu")
    norm = np.array([1.0, 0.5, 0.0, math.inf])  # a zero and an overflow: edge markers
    fig = plots.gradient_norm_distance_plot(
        {"relu": {"beta_W = 2": g}, "made up": {"a": (norm, 2.0 ** np.arange(4))}},
        critical={"relu": 1.0}, title="t")
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    assert ax.get_title() == "relu" and ax.get_yscale() == "log"
    solid, dashed = ax.get_lines()[:2]
    np.testing.assert_allclose(solid.get_ydata(), g.norm[g.norm > 0])
    assert dashed.get_linestyle() == "--"
    assert any("critical beta_W = 1" in t.get_text() for t in ax.texts)
    assert fig._suptitle.get_text() == "t"
    markers = [line for line in fig.axes[1].get_lines() if line.get_linestyle() == "None"]
    assert len(markers) == 2  # one on the top edge (inf), one on the bottom (0)
    _renders(fig)
    one = plots.gradient_norm_distance_plot({"relu": {"a": g}}, title="alone")
    assert one.axes[0].get_title() == "alone" and one._suptitle is None  # one panel: the title is its own
    with pytest.raises(ValueError, match="non-empty"):
        plots.gradient_norm_distance_plot({})
    with pytest.raises(TypeError, match=".norm and .bound"):
        plots.gradient_norm_distance_plot({"x": {"a": 3.0}})
    with pytest.raises(ValueError, match="NaN"):
        plots.gradient_norm_distance_plot({"x": {"a": ([1.0, math.nan], [1.0, 1.0])}})


def test_error_surface_plot_draws_paths_and_notes_the_one_that_left() -> None:
    ws, bs = np.linspace(-1, 8, 12), np.linspace(-5, 2, 10)
    E = P.single_unit_error_surface(ws, bs)
    plain = P.single_unit_descent(iterations=60)
    clipped = P.single_unit_descent(iterations=60, clip=1.0)
    fig = plots.error_surface_plot(ws, bs, E, {"no clipping": plain, "clipped": clipped,
                                               "made up": ([0.0, 1.0], [0.0, 1.0], [0.1, 0.05])})
    ax, ax_loss, _colorbar = fig.axes
    assert _legend(ax) == ["no clipping", "clipped", "made up"]
    assert any("left the window: no clipping" in t.get_text() for t in ax.texts)
    assert len(ax_loss.get_lines()) == 3 and ax_loss.get_yscale() == "log"
    _renders(fig)
    _renders(plots.error_surface_plot(ws, bs, E))  # the surface alone
    with pytest.raises(ValueError, match="shape"):
        plots.error_surface_plot(ws, bs, E.T)
    with pytest.raises(TypeError, match="trajectories"):
        plots.error_surface_plot(ws, bs, E, {"x": 1.0})


def test_layer_gradients_plot_solid_first_layer_dashed_second() -> None:
    run = P.two_layer_gradient_magnitudes("sigmoid", iterations=20)
    fig = plots.layer_gradients_plot({"sigmoid": run, "relu": ([1e-3, 2e-3], [1e-3, 1e-3])})
    (ax,) = fig.axes
    assert _legend(ax) == ["sigmoid: layer 1 (W1)", "sigmoid: layer 2 (W2)", "relu: layer 1 (W1)",
                           "relu: layer 2 (W2)"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), run.layer1)
    assert ax.get_lines()[1].get_linestyle() == "--"
    _renders(fig)
    with pytest.raises(ValueError, match="> 0"):
        plots.layer_gradients_plot({"x": ([0.0], [1.0])})
    with pytest.raises(ValueError, match="match"):
        plots.layer_gradients_plot({"x": ([1.0], [1.0, 2.0])})


def test_name_recall_plot_lines_runs_and_chance() -> None:
    fig = plots.name_recall_plot([12, 20, 40], {"tanh RNN": [0.9, 0.5, 0.1]}, chance={"tanh RNN": 0.05})
    (ax,) = fig.axes
    assert _legend(ax) == ["tanh RNN", "chance"]
    _renders(fig)
    runs = [[1.0, 0.5, 0.1], [0.8, 0.3, 0.05]]
    fig = plots.name_recall_plot([12, 20, 40], {"tanh RNN": runs}, chance={"tanh RNN": 0.05})
    (ax,) = fig.axes
    assert _legend(ax) == ["tanh RNN (mean of 2 runs)", "chance"]
    mean = [line for line in ax.get_lines() if line.get_label() == "tanh RNN (mean of 2 runs)"][0]
    np.testing.assert_allclose(mean.get_ydata(), [0.9, 0.4, 0.075])
    assert sum(line.get_linestyle() == "None" for line in ax.get_lines()) == 2  # one row of dots per run
    _renders(fig)
    fig = plots.name_recall_plot([12, 20], [0.4, 0.3], chance=0.5)
    assert _legend(fig.axes[0]) == ["accuracy", "chance"]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        plots.name_recall_plot([12], [1.5])
    with pytest.raises(ValueError, match="match"):
        plots.name_recall_plot([12, 14], [0.5])
    with pytest.raises(ValueError, match="empty"):
        plots.name_recall_plot([12], {})


def test_adding_curves_plot_with_baseline() -> None:
    h = P.RegressionHistory(label="IRNN", step=[10, 20], test_mse=[0.2, 0.05])
    fig = plots.adding_curves_plot({"IRNN": h, "tanh RNN": ([10, 20], [0.17, 0.168])})
    (ax,) = fig.axes
    assert _legend(ax) == ["IRNN", "tanh RNN", "constant prediction (0.1667)"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0.2, 0.05])
    _renders(fig)
    with pytest.raises(ValueError, match="finite"):
        plots.adding_curves_plot({"x": ([1], [math.nan])})
    with pytest.raises(ValueError, match="non-empty"):
        plots.adding_curves_plot({})
