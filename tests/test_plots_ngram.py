"""rnnlm.plots.ngram (notebook 01): each function returns a Figure with the axes and lines it promises."""

from __future__ import annotations

import math

import numpy as np
import pytest
from figure_checks import renders as _renders
from matplotlib.figure import Figure

from rnnlm import plots


def test_notebook_01_plots_are_exported_from_their_module() -> None:
    for name in ("zipf_plot", "ngram_growth_by_order_plot", "ngram_growth_by_size_plot",
                 "perplexity_by_order_plot", "perplexity_floor_plot"):
        assert name in plots.__all__ and name in plots.ngram.__all__
        assert getattr(plots, name) is getattr(plots.ngram, name)


# ------------------------------------------------------------------------------------------------
# Notebook 01
# ------------------------------------------------------------------------------------------------


def test_zipf_plot_from_mapping_is_log_log_with_reference_line() -> None:
    counts = {"the": 100, "dog": 50, "cat": 33, "is": 25, "zero": 0}
    fig = plots.zipf_plot(counts)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    data, reference = ax.get_lines()
    # zero counts are dropped; ranks start at 1, counts are sorted from the most frequent
    np.testing.assert_array_equal(data.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(data.get_ydata(), [100, 50, 33, 25])
    ref = np.asarray(reference.get_ydata())
    np.testing.assert_allclose(ref * np.arange(1, 5), ref[0])  # proportional to 1/r
    # with the constant fitted to the data: it passes through their geometric mean
    np.testing.assert_allclose(np.exp(np.mean(np.log(ref))), np.exp(np.mean(np.log([100, 50, 33, 25]))))
    assert "the" in [t.get_text() for t in ax.texts]
    _renders(fig)


def test_zipf_plot_from_sequence_and_bad_input() -> None:
    fig = plots.zipf_plot([1, 5, 2, 2])
    (ax,) = fig.axes
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [5, 2, 2, 1])
    with pytest.raises(ValueError, match="positive count"):
        plots.zipf_plot({"a": 0})
    with pytest.raises(TypeError):
        plots.zipf_plot(["a", "b"])  # type: ignore[list-item]


def test_ngram_growth_by_order_plot_has_counts_and_memory_panels() -> None:
    fig = plots.ngram_growth_by_order_plot(
        [1, 2, 3], [10, 40, 60], [1000, 5000, 2_000_000], tokens=80, vocab_size=10
    )
    assert isinstance(fig, Figure)
    ax_count, ax_mem = fig.axes
    assert ax_count.get_yscale() == "log"
    ydata = [list(line.get_ydata()) for line in ax_count.get_lines()]
    assert [10, 40, 60] in ydata
    assert [10.0, 100.0, 1000.0] in ydata  # V ** n
    assert any(list(line.get_ydata()) == [80, 80] for line in ax_count.get_lines())  # the token ceiling
    assert len(ax_mem.patches) == 3
    assert "MiB" in ax_mem.get_ylabel()
    _renders(fig)


def test_ngram_growth_by_order_plot_checks_lengths() -> None:
    with pytest.raises(ValueError, match="distinct"):
        plots.ngram_growth_by_order_plot([1, 2], [1], [1, 2])
    with pytest.raises(ValueError, match="memory_bytes"):
        plots.ngram_growth_by_order_plot([1, 2], [1, 2], [1])
    with pytest.raises(ValueError, match="empty"):
        plots.ngram_growth_by_order_plot([], [], [])


def test_ngram_growth_by_size_plot_one_line_per_order() -> None:
    sizes = [100, 1000, 10000]
    fig = plots.ngram_growth_by_size_plot(
        sizes, {1: [50, 200, 400], 2: [90, 700, 5000]}, {1: [10, 20, 30], 2: [100, 900, 8000]}
    )
    ax_count, ax_mem = fig.axes
    assert ax_count.get_xscale() == "log" and ax_count.get_yscale() == "log"
    assert len(ax_count.get_lines()) == 3  # two orders plus the "one per token" ceiling
    assert len(ax_mem.get_lines()) == 2
    labels = [t.get_text() for t in ax_count.get_legend().get_texts()]
    assert "n = 1" in labels and "n = 2" in labels
    _renders(fig)
    with pytest.raises(ValueError, match="distinct_by_order\\[2\\]"):
        plots.ngram_growth_by_size_plot(sizes, {2: [1, 2]}, {2: [1, 2, 3]})


def test_perplexity_by_order_plot_train_dashed_test_solid_and_infinity() -> None:
    orders = [1, 2, 3]
    train = {"mle": [50.0, 10.0, 3.0], "add-k": [55.0, 30.0, 40.0]}
    test = {"mle": [60.0, math.inf, math.inf], "add-k": [62.0, 45.0, 70.0]}
    fig = plots.perplexity_by_order_plot(orders, train, test, floor=20.0, references={"paper": 30.0})
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    labelled = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert labelled["mle (train)"].get_linestyle() == "--"
    assert labelled["mle (test)"].get_linestyle() == "-"
    # the finite part of the unsmoothed test curve is only the unigram point
    np.testing.assert_array_equal(labelled["mle (test)"].get_ydata(), [60.0])
    assert any(label.startswith("floor") for label in labelled)
    assert any(label.startswith("paper") for label in labelled)
    # infinite points are marked on the top edge, above every finite value
    markers = [line for line in ax.get_lines() if line.get_marker() == "^"]
    assert len(markers) == 1 and len(markers[0].get_xdata()) == 2
    assert markers[0].get_ydata()[0] > 70.0
    _renders(fig)


def test_perplexity_by_order_plot_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="below 1"):
        plots.perplexity_by_order_plot([1], {"a": [0.5]}, {})
    with pytest.raises(ValueError, match="test\\['a'\\]"):
        plots.perplexity_by_order_plot([1, 2], {}, {"a": [3.0]})
    with pytest.raises(ValueError, match="at least one series"):
        plots.perplexity_by_order_plot([1], {}, {})


def test_perplexity_floor_plot_draws_bars_and_floor() -> None:
    fig = plots.perplexity_floor_plot(
        ["1-gram", "2-gram", "3-gram"], [40.0, 20.0, math.inf], 12.5, train_perplexities=[39.0, 15.0, 9.0]
    )
    (ax,) = fig.axes
    assert len(ax.patches) == 6  # train and test bar per model
    floor_lines = [line for line in ax.get_lines() if line.get_label().startswith("floor")]
    assert len(floor_lines) == 1 and floor_lines[0].get_ydata()[0] == pytest.approx(12.5)
    assert "inf" in [t.get_text() for t in ax.texts]
    _renders(fig)


def test_perplexity_floor_plot_checks_inputs() -> None:
    with pytest.raises(ValueError, match="labels"):
        plots.perplexity_floor_plot(["a"], [1.0, 2.0], 1.5)
    with pytest.raises(ValueError, match="floor"):
        plots.perplexity_floor_plot(["a"], [2.0], math.inf)
    with pytest.raises(TypeError, match="floor"):
        plots.perplexity_floor_plot(["a"], [2.0], "low")  # type: ignore[arg-type]
