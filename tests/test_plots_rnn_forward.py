"""rnnlm.plots.rnn_forward (notebook 02): each figure has the axes, lines and labels it promises."""

from __future__ import annotations

import numpy as np
import pytest
from figure_checks import renders as _renders
from matplotlib.figure import Figure

from rnnlm import plots


def test_notebook_02_plots_are_exported() -> None:
    for name in ("rnn_unrolled_plot", "hidden_states_plot", "next_word_distribution_plot",
                 "untrained_perplexity_plot", "ngram_vs_rnn_memory_plot"):
        assert name in plots.__all__ and callable(getattr(plots, name))
        assert name in plots.rnn_forward.__all__ and getattr(plots, name) is getattr(plots.rnn_forward, name)


# -- rnn_unrolled_plot ---------------------------------------------------------------------------


def test_rnn_unrolled_plot_draws_one_column_per_word_and_h0() -> None:
    words = ["the", "dog", "is", "cute"]
    fig = plots.rnn_unrolled_plot(words)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.patches) == 3 * len(words) + 1  # x_t, h_t, y_hat_t per step, and h_0
    texts = [t.get_text() for t in ax.texts]
    for w in words:
        assert w in texts
    assert "<eos>" in texts  # the default target after the last word
    for label in ("$h_0$", "$x_{1}$", "$h_{4}$", "$\\hat y_{4}$", "$W_{hx}$", "$W_S$", "$L$"):
        assert label in texts, label
    assert texts.count("$W_{hh}$") == len(words)  # h_0 -> h_1, ..., h_3 -> h_4
    _renders(fig)


def test_rnn_unrolled_plot_targets_and_bad_input() -> None:
    fig = plots.rnn_unrolled_plot(["a", "b"], targets=["<unk>", "<eos>"], title="two steps")
    (ax,) = fig.axes
    assert ax.get_title() == "two steps"
    texts = [t.get_text() for t in ax.texts]
    assert "<unk>" in texts and texts.count("<eos>") == 1  # the given targets, not the default ones
    with pytest.raises(ValueError, match="targets"):
        plots.rnn_unrolled_plot(["a", "b"], targets=["b"])
    with pytest.raises(ValueError, match="1 to 12"):
        plots.rnn_unrolled_plot([])
    with pytest.raises(TypeError, match="split"):
        plots.rnn_unrolled_plot("the dog")


# -- hidden_states_plot --------------------------------------------------------------------------


def test_hidden_states_plot_shows_units_by_time_symmetric_colours() -> None:
    h = np.tanh(np.linspace(-3, 2, 5 * 7).reshape(5, 7))  # T = 5, H = 7
    tokens = ["a", "b", "c", "d", "<eos>"]
    fig = plots.hidden_states_plot(h, tokens)
    ax = fig.axes[0]
    (image,) = ax.get_images()
    np.testing.assert_allclose(image.get_array(), h.T)
    lo, hi = image.get_clim()
    assert lo == -hi and hi == pytest.approx(np.abs(h).max())
    assert [t.get_text() for t in ax.get_xticklabels()] == tokens
    assert "7" in ax.get_ylabel()
    _renders(fig)
    fig = plots.hidden_states_plot(h, tokens, vmax=1.0)
    assert fig.axes[0].get_images()[0].get_clim() == (-1.0, 1.0)


def test_hidden_states_plot_checks_its_input() -> None:
    with pytest.raises(ValueError, match=r"\(T, H\)"):
        plots.hidden_states_plot(np.zeros((2, 3, 4)), ["a", "b"])
    with pytest.raises(ValueError, match="one token per row"):
        plots.hidden_states_plot(np.zeros((3, 4)), ["a", "b"])
    with pytest.raises(ValueError, match="NaN"):
        plots.hidden_states_plot(np.array([[np.nan, 0.0]]), ["a"])


# -- next_word_distribution_plot -----------------------------------------------------------------


def test_next_word_distribution_plot_sorts_bars_and_marks_target() -> None:
    vocab = ["a", "b", "c", "d", "e"]
    probs = np.array([0.1, 0.4, 0.05, 0.3, 0.15])
    fig = plots.next_word_distribution_plot(probs, vocab, top=3, target="d")
    (ax,) = fig.axes
    heights = [p.get_height() for p in ax.patches]
    assert heights == [0.4, 0.3, 0.15]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["b", "d", "e"]
    colours = [p.get_facecolor() for p in ax.patches]
    assert colours[1] != colours[0]  # the target's bar stands out
    (uniform,) = ax.get_lines()
    assert list(uniform.get_ydata()) == [0.2, 0.2]
    assert any("rank 2 of 5" in t.get_text() for t in ax.texts)
    _renders(fig)
    # a target outside the top bars is still reported
    fig = plots.next_word_distribution_plot(probs, vocab, top=2, target="c")
    assert any("rank 5 of 5" in t.get_text() for t in fig.axes[0].texts)


def test_next_word_distribution_plot_checks_its_input() -> None:
    with pytest.raises(ValueError, match="distribution"):
        plots.next_word_distribution_plot([0.5, 0.6], ["a", "b"])
    with pytest.raises(ValueError, match="vocab"):
        plots.next_word_distribution_plot([0.5, 0.5], ["a"])
    with pytest.raises(ValueError, match="not in vocab"):
        plots.next_word_distribution_plot([0.5, 0.5], ["a", "b"], target="z")
    with pytest.raises(ValueError, match="top"):
        plots.next_word_distribution_plot([0.5, 0.5], ["a", "b"], top=0)


# -- untrained_perplexity_plot -------------------------------------------------------------------


def test_untrained_perplexity_plot_has_series_and_identity_line() -> None:
    sizes = [10, 100, 1000]
    fig = plots.untrained_perplexity_plot(sizes, {"small W_S": [10.2, 101, 1003], "large": [15, 180, 2500]})
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    lines = ax.get_lines()
    assert len(lines) == 3
    assert list(lines[0].get_ydata()) == [10.2, 101, 1003]
    assert list(lines[-1].get_xdata()) == list(lines[-1].get_ydata()) == sizes  # perplexity = V
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["small W_S", "large"] and "= V" in labels[2]
    _renders(fig)


def test_untrained_perplexity_plot_checks_its_input() -> None:
    with pytest.raises(ValueError, match="perplexities\\['a'\\]"):
        plots.untrained_perplexity_plot([10, 100], {"a": [10]})
    with pytest.raises(ValueError, match="below 1"):
        plots.untrained_perplexity_plot([10], {"a": [0.5]})
    with pytest.raises(ValueError, match="empty"):
        plots.untrained_perplexity_plot([10], {})


# -- ngram_vs_rnn_memory_plot --------------------------------------------------------------------


def test_ngram_vs_rnn_memory_plot_by_order_and_by_size() -> None:
    rnn = {"RNN H=50": 300_000.0, "RNN H=200": 1_500_000.0}
    fig = plots.ngram_vs_rnn_memory_plot(
        [1, 2, 3], [3_000, 120_000, 2_500_000], rnn,
        sizes=[1_000, 10_000, 100_000],
        ngram_bytes_by_size={3: [50_000, 400_000, 2_500_000], 2: [20_000, 60_000, 120_000]},
        rnn_bytes_by_size={"RNN H=50": [290_000, 299_000, 300_000]},
        title="memory",
    )
    left, right = fig.axes
    assert left.get_yscale() == "log"
    assert "MiB" in left.get_ylabel()
    (ngram, *rnn_lines) = left.get_lines()
    np.testing.assert_allclose(ngram.get_ydata(), np.array([3_000, 120_000, 2_500_000]) / 2**20)
    assert sorted(line.get_ydata()[0] * 2**20 for line in rnn_lines) == sorted(rnn.values())
    legend = [t.get_text() for t in left.get_legend().get_texts()]
    assert any(text.startswith("RNN H=50") for text in legend)
    assert right.get_xscale() == "log" and right.get_yscale() == "log"
    labels = [line.get_label() for line in right.get_lines()]
    assert labels == ["2-gram tables", "3-gram tables", "RNN H=50"]  # orders sorted, then the RNNs
    assert right.get_lines()[-1].get_linestyle() == "--"
    assert fig._suptitle is not None and fig._suptitle.get_text() == "memory"
    _renders(fig)


def test_ngram_vs_rnn_memory_plot_without_sizes_and_bad_input() -> None:
    fig = plots.ngram_vs_rnn_memory_plot([1, 2], [100, 2_000], {"RNN": 500.0})
    assert len(fig.axes) == 1
    assert "bytes" in fig.axes[0].get_ylabel() or "KiB" in fig.axes[0].get_ylabel()
    _renders(fig)
    with pytest.raises(ValueError, match="ngram_bytes"):
        plots.ngram_vs_rnn_memory_plot([1, 2], [100], {"RNN": 1.0})
    with pytest.raises(ValueError, match="rnn_bytes"):
        plots.ngram_vs_rnn_memory_plot([1], [100], {})
    with pytest.raises(ValueError, match="need sizes"):
        plots.ngram_vs_rnn_memory_plot([1], [100], {"RNN": 1.0}, ngram_bytes_by_size={1: [1]})
    with pytest.raises(ValueError, match=r"ngram_bytes_by_size\[2\]"):
        plots.ngram_vs_rnn_memory_plot([1], [100], {"RNN": 1.0}, sizes=[10, 20], ngram_bytes_by_size={2: [1]})
