"""Every figure the notebooks show, as a function that returns the matplotlib ``Figure``.

The functions take plain numbers (lists, dicts, arrays) rather than models, so a notebook computes
what it wants to show and hands it over, and a test can call each function on a few made-up values.
Figures are built with ``matplotlib.figure.Figure`` directly, not through ``pyplot``: nothing is
shown twice in Jupyter (the returned figure is displayed once, as the cell's value), nothing
accumulates in pyplot's list of open figures, and no backend is chosen or needed (this works the same
headless). Save one with ``fig.savefig("name.png")``.

One module per notebook, all re-exported here, so ``from rnnlm import plots; plots.zipf_plot(...)``:

- :mod:`rnnlm.plots.ngram`: notebook 01, n-gram counts (Zipf, table growth, perplexity, its floor);
- :mod:`rnnlm.plots.rnn_forward`: notebook 02, the RNN language model, forward;
- :mod:`rnnlm.plots.bptt`: notebook 03, backpropagation through time, training, sampling, speed;
- :mod:`rnnlm.plots.pathologies`: notebook 04, vanishing and exploding gradients, clipping, IRNN;
- :mod:`rnnlm.plots.class_softmax`: notebook 05, class-based softmax (class sizes, the speed-perplexity
  trade-off);
- :mod:`rnnlm.plots._draw`: helpers they share (argument checks, arrows, axes styling, colours).

A new notebook's figures go in a new module, re-exported below.
"""

from __future__ import annotations

from rnnlm.plots.bptt import (
    gradient_check_plot,
    gradient_flow_plot,
    speed_plot,
    temperature_plot,
    training_curves_plot,
    truncation_error_plot,
    unrolled_graph_plot,
)
from rnnlm.plots.class_softmax import (
    class_sizes_plot,
    class_tradeoff_plot,
)
from rnnlm.plots.ngram import (
    ngram_growth_by_order_plot,
    ngram_growth_by_size_plot,
    perplexity_by_order_plot,
    perplexity_floor_plot,
    zipf_plot,
)
from rnnlm.plots.pathologies import (
    adding_curves_plot,
    error_surface_plot,
    gradient_norm_distance_plot,
    layer_gradients_plot,
    name_recall_plot,
)
from rnnlm.plots.rnn_forward import (
    hidden_states_plot,
    next_word_distribution_plot,
    ngram_vs_rnn_memory_plot,
    rnn_unrolled_plot,
    untrained_perplexity_plot,
)

__all__ = [
    # notebook 01
    "zipf_plot",
    "ngram_growth_by_order_plot",
    "ngram_growth_by_size_plot",
    "perplexity_by_order_plot",
    "perplexity_floor_plot",
    # notebook 02
    "rnn_unrolled_plot",
    "hidden_states_plot",
    "next_word_distribution_plot",
    "untrained_perplexity_plot",
    "ngram_vs_rnn_memory_plot",
    # notebook 03
    "unrolled_graph_plot",
    "gradient_flow_plot",
    "truncation_error_plot",
    "gradient_check_plot",
    "training_curves_plot",
    "temperature_plot",
    "speed_plot",
    # notebook 04
    "gradient_norm_distance_plot",
    "name_recall_plot",
    "layer_gradients_plot",
    "error_surface_plot",
    "adding_curves_plot",
    # notebook 05
    "class_sizes_plot",
    "class_tradeoff_plot",
]
