"""A class-factored softmax output layer: words binned into classes by frequency (Mikolov et al. 2011).

A full softmax scores every one of the V words at every step: ``H * V`` multiply-adds per token, the
bulk of an RNN LM's work when V is large. Put every word ``w`` in exactly one class ``c(w)`` and
factor its probability::

    P(w | h) = P(c(w) | h) * P(w | c(w), h)

    P(c | h)    = softmax(h @ W_C.T + b_C)[c]                        a softmax over the C classes
    P(w | c, h) = exp(h @ W_S[w] + b_S[w]) / sum_{w' in c} exp(h @ W_S[w'] + b_S[w'])
                                                                    a softmax over the class's words

Training needs only the target's class, so a token costs ``H * (C + |c(w)|)`` multiply-adds instead
of ``H * V``; with C classes of equal unigram mass the expected class size is V / C and the cost
``H * (C + V / C)`` is smallest at ``C = sqrt(V)`` (:func:`output_layer_cost`).

Shapes use N tokens (the B * T positions of a batch, flattened: **every function here takes h as
(N, H) and targets as (N,)**), H hidden, V vocabulary, C classes. Parameters (float64 for checks;
rows are output units, the layout of ``W_S`` in :mod:`rnnlm.rnn_numpy` and ``torch.nn.Linear``)::

    W_C  (C, H)   hidden-to-class weights
    b_C  (C,)     class bias
    W_S  (V, H)   hidden-to-word weights: the full softmax's W_S; a token uses only its class's rows
    b_S  (V,)     word bias

The pieces:

- :func:`assign_frequency_classes` bins a vocabulary by unigram counts (equal mass of p, or of
  sqrt(p), the RNNLM toolkit's default) and :func:`frequency_classes` wraps the assignment in a
  :class:`WordClasses` (word -> (class, index in class));
- NumPy reference, float64 pure functions: :func:`class_softmax_forward` /
  :func:`class_softmax_backward` (and :func:`class_softmax_loss`, both at once), every gradient
  checked against :mod:`rnnlm.gradcheck`; :func:`class_log_prob` gives log P(w | h) of every word;
- PyTorch: :class:`ClassSoftmax` (the same parameters, batched over targets in different classes,
  any device) and :class:`FullSoftmax` with the same interface; :class:`rnnlm.rnn_torch.RNNLM`
  takes ``softmax="class"`` to use the factored layer;
- cost accounting: :func:`output_layer_cost` and :meth:`OutputLayerCost.summary`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from rnnlm._exercise import exercise
from rnnlm.rnn_numpy import _Shapes, log_softmax

__all__ = [
    "BINNINGS",
    "MERGE_WASTE",
    "METHODS",
    "ClassSoftmax",
    "ClassTables",
    "FullSoftmax",
    "OutputLayerCost",
    "WordClasses",
    "class_log_prob",
    "class_log_prob_torch",
    "class_nll",
    "class_softmax_backward",
    "class_softmax_forward",
    "class_softmax_loss",
    "assign_frequency_classes",
    "frequency_classes",
    "output_layer_cost",
]

#: How :func:`frequency_classes` weighs a word: its unigram probability p, or sqrt(p).
BINNINGS = ("sqrt", "mass")
#: How :class:`ClassSoftmax` batches tokens of different classes (see :func:`class_nll`).
METHODS = ("grouped", "merged", "padded")
#: The most multiply-adds ``method="merged"`` spends in vain to run two neighbouring classes' word
#: softmaxes as one block (about what a small kernel's fixed cost buys on a CPU core).
MERGE_WASTE = 2**20


# --------------------------------------------------------------------------------------------------
# Word classes
# --------------------------------------------------------------------------------------------------


def _int_array(where: str, name: str, a: object) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{where}: {name} must be an integer array, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _counts(where: str, counts: object) -> np.ndarray:
    """Counts (V,): a 1-D array of finite, non-negative numbers with a positive sum."""
    arr = np.asarray(counts)
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise TypeError(f"{where}: counts must be a numeric array (V,), got dtype {arr.dtype}")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{where}: counts must be a non-empty 1-D array (V,), got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{where}: counts contain NaN or inf at word {int(np.argmin(np.isfinite(arr)))}")
    if (arr < 0).any():
        w = int(np.argmax(arr < 0))
        raise ValueError(f"{where}: counts must be >= 0, got {arr[w]} for word {w}")
    if arr.sum() <= 0:
        raise ValueError(f"{where}: counts sum to 0; at least one word must occur")
    return arr


@dataclass(frozen=True, eq=False)
class WordClasses:
    """Every word of a vocabulary in exactly one of C classes, as integer arrays (int64, read-only).

    Attributes:
        word_class: (V,) the class c(w) of word w, in [0, C).
        word_index: (V,) the position of w among its class's words, in [0, |c(w)|).
        class_words: (V,) the words of class 0, then class 1, ...; inside a class by ascending id.
            ``class_words[class_offsets[c] + word_index[w]] == w`` for ``c = word_class[w]``.
        class_offsets: (C + 1,) where each class starts in ``class_words`` (last entry V).
        class_sizes: (C,) the number of words in each class (every class has at least one).
        counts: (V,) float64 unigram counts the classes were built from, or None.

    Build it with :func:`frequency_classes` (from counts) or :meth:`from_assignment` (from any
    ``word_class`` array); both give the same arrays for the same assignment.
    """

    word_class: np.ndarray
    word_index: np.ndarray
    class_words: np.ndarray
    class_offsets: np.ndarray
    class_sizes: np.ndarray
    counts: np.ndarray | None = None

    @classmethod
    def from_assignment(
        cls, word_class: Sequence[int] | np.ndarray, counts: np.ndarray | None = None
    ) -> WordClasses:
        """The class map of ``word_class`` (V,): the class of each word id, classes numbered
        0 .. C-1 with C = max + 1, each used at least once. ``counts`` (V,) is kept for
        :meth:`expected_class_size` and the cost summary."""
        where = "WordClasses.from_assignment"
        wc = _int_array(where, "word_class", word_class)
        if wc.ndim != 1 or wc.size == 0:
            raise ValueError(f"{where}: word_class must be a non-empty 1-D array (V,), got shape {wc.shape}")
        if wc.min() < 0:
            raise ValueError(f"{where}: class ids must be >= 0, got {int(wc.min())}")
        C = int(wc.max()) + 1
        sizes = np.bincount(wc, minlength=C)
        if (sizes == 0).any():
            empty = np.flatnonzero(sizes == 0)
            raise ValueError(
                f"{where}: every class 0..{C - 1} must hold at least one word; "
                f"class {int(empty[0])} is empty ({empty.size} empty classes)"
            )
        if counts is not None:
            counts = _counts(where, counts).astype(np.float64)
            if counts.shape != wc.shape:
                raise ValueError(f"{where}: counts must have shape (V,) = {wc.shape}, got {counts.shape}")
        class_words = np.argsort(wc, kind="stable")  # by class, then by word id
        offsets = np.zeros(C + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        position = np.empty_like(class_words)
        position[class_words] = np.arange(wc.size)
        word_index = position - offsets[wc]
        arrays = [wc.copy(), word_index, class_words.astype(np.int64), offsets, sizes.astype(np.int64)]
        if counts is not None:
            arrays.append(counts.copy())
        for a in arrays:
            a.flags.writeable = False
        return cls(*arrays)

    @property
    def vocab_size(self) -> int:
        """V, the number of words."""
        return int(self.word_class.size)

    @property
    def num_classes(self) -> int:
        """C, the number of classes."""
        return int(self.class_sizes.size)

    def words(self, c: int) -> np.ndarray:
        """The word ids of class ``c``, (|c|,), ascending."""
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c < self.num_classes:
            raise ValueError(f"class must be an int in [0, C={self.num_classes}), got {c!r}")
        return self.class_words[self.class_offsets[c] : self.class_offsets[c + 1]]

    def _probs(self, counts: object) -> np.ndarray:
        if counts is None:
            if self.counts is None:
                raise ValueError("these classes carry no counts; pass counts (V,) to weigh the words")
            counts = self.counts
        c = _counts("WordClasses", counts).astype(np.float64)
        if c.size != self.vocab_size:
            raise ValueError(f"counts must have shape (V,) = ({self.vocab_size},), got {c.shape}")
        return c / c.sum()

    def class_mass(self, counts: object = None) -> np.ndarray:
        """(C,) the unigram probability of each class, ``sum_{w in c} p(w)`` (``counts`` (V,), or the
        counts the classes were built from)."""
        return np.bincount(self.word_class, weights=self._probs(counts), minlength=self.num_classes)

    def expected_class_size(self, counts: object = None) -> float:
        """``E|c(w)|`` over the unigram distribution: the mean size of a token's class."""
        return float(self._probs(counts) @ self.class_sizes[self.word_class])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WordClasses) and np.array_equal(self.word_class, other.word_class)

    def __hash__(self) -> int:
        return hash(self.word_class.tobytes())

    def __repr__(self) -> str:
        s = self.class_sizes
        return f"WordClasses(V={self.vocab_size}, C={self.num_classes}, sizes {int(s.min())}..{int(s.max())})"


@exercise("nb05_frequency_classes")
def assign_frequency_classes(
    counts: Sequence[float] | np.ndarray, num_classes: int, method: str = "sqrt"
) -> np.ndarray:
    """The class of every word when the vocabulary of ``counts`` (V,) is binned into ``num_classes``
    (C) classes by frequency: an int64 array ``word_class`` (V,) with values in [0, C).

    The rule (the RNNLM toolkit's, made to fill every class): rank the words by count, descending
    (ties: the smaller word id first). Weigh each word by its unigram probability p = count / total
    (``method="mass"``) or by sqrt(p) (``method="sqrt"``, the toolkit's default: it weighs the
    frequent words less, so they share a few more classes, and cuts the long tail of rare words into
    many smaller ones, which lowers the expected class size), and let ``m_r`` be the share of the
    total weight held by the words ranked *before* rank r (``m_0 = 0``). The word at rank r goes to
    class ``floor(C * m_r)``: class c collects the words whose preceding weight lies in
    ``[c/C, (c+1)/C)``, so every class holds about 1/C of the weight. Two clamps keep every class
    non-empty: the class index grows by at most one from one word to the next (a word heavier than
    1/C is followed by single-word classes until the index catches up, as in the toolkit), and it
    never falls so far behind that the words left could not fill the classes left::

        c_0 = 0,   c_r = min(c_{r-1} + 1, max(floor(C * m_r), c_{r-1}, r - (V - C)), C - 1)

    The most frequent words therefore get the first (small) classes, rare words the last (large)
    ones. Integer counts with ``method="mass"`` use exact integer arithmetic. Raises ``ValueError``
    unless 1 <= C <= V, for negative, non-finite or all-zero counts, and for an unknown ``method``;
    ``TypeError`` for counts that are not numbers and a ``num_classes`` that is not an int.
    """
    where = "assign_frequency_classes"
    arr = _counts(where, counts)
    V = arr.size
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"{where}: num_classes must be an int, got {type(num_classes).__name__}")
    C = int(num_classes)
    if not 1 <= C <= V:
        raise ValueError(f"{where}: num_classes must be between 1 and V = {V}, got {C}")
    if method not in BINNINGS:
        raise ValueError(f"{where}: method must be one of {BINNINGS}, got {method!r}")
    order = np.argsort(-arr.astype(np.float64), kind="stable")  # ranks: most frequent first
    ranked = arr[order]
    if method == "mass" and ranked.dtype.kind in "iu":
        total = int(ranked.sum())
        before = np.concatenate(([0], np.cumsum(ranked[:-1], dtype=np.int64)))
        raw = (C * before) // total  # floor(C * m_r), exactly
    else:
        weight = ranked.astype(np.float64)
        weight = np.sqrt(weight / weight.sum()) if method == "sqrt" else weight
        before = np.concatenate(([0.0], np.cumsum(weight[:-1])))
        raw = np.floor(C * before / weight.sum()).astype(np.int64)
    raw = np.minimum(raw, C - 1)
    ranked_class = np.empty(V, dtype=np.int64)
    prev = -1
    for r, target in enumerate(raw.tolist()):  # a sequential rule; V steps of plain Python
        prev = min(prev + 1, max(target, prev, r - (V - C)), C - 1)
        ranked_class[r] = prev
    word_class = np.empty(V, dtype=np.int64)
    word_class[order] = ranked_class
    return word_class


def frequency_classes(
    counts: Sequence[float] | np.ndarray, num_classes: int, method: str = "sqrt"
) -> WordClasses:
    """Bin the words of ``counts`` (V,) into ``num_classes`` (C) classes by frequency: the
    :class:`WordClasses` of :func:`assign_frequency_classes` (whose docstring gives the rule), with
    the counts kept for :meth:`WordClasses.expected_class_size` and the cost summary."""
    word_class = np.asarray(assign_frequency_classes(counts, num_classes, method))
    kept = _counts("frequency_classes", counts).astype(np.float64)
    return WordClasses.from_assignment(word_class, counts=kept)


# --------------------------------------------------------------------------------------------------
# Cost accounting
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputLayerCost:
    """Multiply-adds per token of the output layer's forward pass (backward costs about twice as
    much again, for either layer, so the ratios hold for training too).

    ``full = H * V``; ``factored = H * (C + E|c(w)|)`` with the expected class size over the unigram
    distribution; ``speedup = full / factored``. For C classes of equal mass ``E|c| = V / C`` and the
    cost ``H * (C + V / C)`` is least at ``optimum_classes = sqrt(V)``: ``optimum = 2 H sqrt(V)``.
    """

    vocab_size: int
    hidden_dim: int
    num_classes: int
    expected_class_size: float
    full: float
    factored: float
    optimum_classes: float
    optimum: float

    @property
    def speedup(self) -> float:
        return self.full / self.factored

    def summary(self) -> str:
        """A few printable lines."""
        V, H, C = self.vocab_size, self.hidden_dim, self.num_classes
        return "\n".join([
            f"output layer, multiply-adds per token (forward), V={V}, H={H}:",
            f"  full softmax            H*V                = {self.full:,.0f}",
            f"  class softmax, C={C:<6} H*(C + E|c(w)|)    = {self.factored:,.0f}"
            f"   (E|c(w)| = {self.expected_class_size:.1f} words; {self.speedup:.1f}x fewer)",
            f"  equal-mass optimum      C = sqrt(V) = {self.optimum_classes:.0f}, 2*H*sqrt(V) = "
            f"{self.optimum:,.0f}   ({self.full / self.optimum:.1f}x fewer)",
        ])


def output_layer_cost(hidden_dim: int, classes: WordClasses, counts: object = None) -> OutputLayerCost:
    """The :class:`OutputLayerCost` of ``classes`` with H = ``hidden_dim``, the expected class size
    weighted by ``counts`` (V,) (default: the counts the classes were built from)."""
    if isinstance(hidden_dim, bool) or not isinstance(hidden_dim, (int, np.integer)) or hidden_dim < 1:
        raise ValueError(f"output_layer_cost: hidden_dim must be a positive int, got {hidden_dim!r}")
    if not isinstance(classes, WordClasses):
        raise TypeError(f"output_layer_cost: classes must be a WordClasses, got {type(classes).__name__}")
    H, V, C = int(hidden_dim), classes.vocab_size, classes.num_classes
    e = classes.expected_class_size(counts)
    return OutputLayerCost(V, H, C, e, float(H * V), H * (C + e), math.sqrt(V), 2.0 * H * math.sqrt(V))


# --------------------------------------------------------------------------------------------------
# NumPy reference: forward, backward, log-probabilities
# --------------------------------------------------------------------------------------------------


def _token_mask(where: str, mask: object, N: int) -> np.ndarray:
    """A boolean (N,) mask from None (every token), a bool array or a 0/1 array."""
    if mask is None:
        return np.ones(N, dtype=bool)
    m = np.asarray(mask)
    if m.shape != (N,):
        raise ValueError(f"{where}: mask must have shape (N,) = ({N},), got {m.shape}")
    if m.dtype != bool:
        if m.dtype.kind not in "iuf" or not np.isin(m, (0, 1)).all():
            raise ValueError(f"{where}: mask must be boolean or hold only 0 and 1, got dtype {m.dtype}")
        m = m.astype(bool)
    return m


def _check_classes(where: str, classes: object) -> WordClasses:
    if not isinstance(classes, WordClasses):
        raise TypeError(
            f"{where}: classes must be a WordClasses (from frequency_classes), got {type(classes).__name__}"
        )
    return classes


def _check_layer(where: str, h: object, W_C: object, b_C: object, W_S: object, b_S: object,
                 classes: WordClasses) -> tuple[_Shapes, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                np.ndarray]:
    s = _Shapes(where)
    s.dims["C"] = (classes.num_classes, "classes")
    s.dims["V"] = (classes.vocab_size, "classes")
    W_C = s.floats("W_C", W_C, "CH")
    b_C = s.floats("b_C", b_C, "C")
    W_S = s.floats("W_S", W_S, "VH")
    b_S = s.floats("b_S", b_S, "V")
    h = s.floats("h", h, "NH", finite=True)
    return s, h, W_C, b_C, W_S, b_S


@exercise("nb05_class_softmax_forward")
def class_softmax_forward(
    h: np.ndarray,
    y: np.ndarray,
    W_C: np.ndarray,
    b_C: np.ndarray,
    W_S: np.ndarray,
    b_S: np.ndarray,
    classes: WordClasses,
    mask: np.ndarray | None = None,
) -> tuple[float, tuple]:
    """Mean negative log-likelihood (nats) of the targets under the class-factored softmax.

    h (N, H) hidden states (one row per token: flatten a (B, T, H) batch first); y (N,) integer
    targets in [0, V); W_C (C, H), b_C (C,), W_S (V, H), b_S (V,); ``classes`` a :class:`WordClasses`
    with V words in C classes; mask (N,) bool or 0/1, or None for every token. ::

        J = -(1/n) sum_{unmasked i} [ log P(c(y_i) | h_i) + log P(y_i | c(y_i), h_i) ]

    with n >= 1 the number of unmasked tokens; targets at masked positions are ignored (they may be
    padding such as -1). Each token's word softmax runs over its class's words only (here the tokens
    are grouped by target class, one product per class present).

    Returns ``(J, cache)`` with ``cache = (h, y, mask, W_C, W_S, classes, p_class, p_word)``:
    ``mask`` the boolean (N,) mask (all True for None); ``p_class`` (N, C) the class softmax
    ``softmax(h @ W_C.T + b_C)`` of every token; ``p_word`` a list of N entries, for an unmasked
    token i the (|c(y_i)|,) word softmax over ``classes.words(c(y_i))`` (in that order; ``[1.0]``
    for a one-word class), None for a masked token.
    """
    where = "class_softmax_forward"
    classes = _check_classes(where, classes)
    s, h, W_C, b_C, W_S, b_S = _check_layer(where, h, W_C, b_C, W_S, b_S, classes)
    N = h.shape[0]
    m = _token_mask(where, mask, N)
    y = s.ids("y", y, "N", classes.vocab_size, where=m)
    n = int(m.sum())
    if n == 0:
        raise ValueError(f"{where}: the mask selects no token; nothing to average")
    y_safe = np.where(m, y, 0)
    cls = classes.word_class[y_safe]  # (N,) the target's class
    idx = classes.word_index[y_safe]  # (N,) its position in the class
    logp_c = log_softmax(h @ W_C.T + b_C)  # (N, C)
    nll = -logp_c[np.arange(N), cls]
    p_word: list[np.ndarray | None] = [None] * N
    live = np.flatnonzero(m)
    live = live[np.argsort(cls[live], kind="stable")]  # grouped by class
    starts = np.flatnonzero(np.diff(cls[live], prepend=-1))
    for tok in np.split(live, starts[1:]):
        words = classes.words(int(cls[tok[0]]))
        logp_w = log_softmax(h[tok] @ W_S[words].T + b_S[words])  # (n_c, |c|)
        nll[tok] -= logp_w[np.arange(tok.size), idx[tok]]
        for i, row in zip(tok.tolist(), np.exp(logp_w), strict=True):
            p_word[i] = row
    loss = float(nll[m].sum() / n)
    return loss, (h, y, m, W_C, W_S, classes, np.exp(logp_c), p_word)


@exercise("nb05_class_softmax_backward")
def class_softmax_backward(dloss: float, cache: tuple) -> dict[str, np.ndarray]:
    """Gradients of ``dloss * J`` (``dloss`` the upstream gradient, 1.0 for the loss itself), from
    the ``cache = (h, y, mask, W_C, W_S, classes, p_class, p_word)`` of :func:`class_softmax_forward`.

    With n unmasked tokens, each unmasked token i adds ``(dloss / n)`` times the gradient of its
    ``-log P(c(y_i) | h_i) - log P(y_i | c(y_i), h_i)``: the class softmax minus the one-hot of
    c(y_i) for the class scores, the word softmax minus the one-hot of y_i for the scores of its
    class's words. Returns ``{"h": (N, H), "W_C": (C, H), "b_C": (C,), "W_S": (V, H), "b_S": (V,)}``;
    rows of ``W_S``/``b_S`` of classes no target fell in, and rows ``h`` of masked tokens, are zero.
    """
    if isinstance(dloss, bool) or not isinstance(dloss, (int, float, np.integer, np.floating)):
        raise TypeError(f"class_softmax_backward: dloss must be a number, got {type(dloss).__name__}")
    if not isinstance(cache, tuple) or len(cache) != 8:
        raise ValueError(
            "class_softmax_backward: cache must be the 8-tuple (h, y, mask, W_C, W_S, classes, p_class, "
            "p_word) that class_softmax_forward returns"
        )
    h, y, m, W_C, W_S, classes, p_class, p_word = cache
    N = h.shape[0]
    m = np.asarray(m, dtype=bool)
    scale = float(dloss) / int(m.sum())
    y_safe = np.where(m, y, 0)
    cls = classes.word_class[y_safe]
    idx = classes.word_index[y_safe]
    dclass = np.array(p_class, dtype=np.result_type(h, p_class))  # class softmax minus the one-hot
    dclass[np.arange(N), cls] -= 1.0
    dclass *= (m * scale)[:, None]
    dh = dclass @ W_C
    dW_S = np.zeros_like(W_S, dtype=dh.dtype)
    db_S = np.zeros(W_S.shape[0], dtype=dh.dtype)
    live = np.flatnonzero(m)
    live = live[np.argsort(cls[live], kind="stable")]
    starts = np.flatnonzero(np.diff(cls[live], prepend=-1))
    for tok in np.split(live, starts[1:]):
        words = classes.words(int(cls[tok[0]]))
        dscores = np.stack([p_word[i] for i in tok.tolist()])  # (n_c, |c|) word softmax minus one-hot
        dscores[np.arange(tok.size), idx[tok]] -= 1.0
        dscores *= scale
        dW_S[words] = dscores.T @ h[tok]  # each class once: plain assignment
        db_S[words] = dscores.sum(axis=0)
        dh[tok] += dscores @ W_S[words]
    return {"h": dh, "W_C": dclass.T @ h, "b_C": dclass.sum(axis=0), "W_S": dW_S, "b_S": db_S}


def class_softmax_loss(
    h: np.ndarray,
    y: np.ndarray,
    W_C: np.ndarray,
    b_C: np.ndarray,
    W_S: np.ndarray,
    b_S: np.ndarray,
    classes: WordClasses,
    mask: np.ndarray | None = None,
) -> tuple[float, dict[str, np.ndarray]]:
    """:func:`class_softmax_forward` then :func:`class_softmax_backward`: ``(J, grads)`` with grads
    keyed ``h, W_C, b_C, W_S, b_S`` (shapes as the inputs)."""
    loss, cache = class_softmax_forward(h, y, W_C, b_C, W_S, b_S, classes, mask)
    return loss, class_softmax_backward(1.0, cache)


@exercise("nb05_class_softmax_forward")  # its entries at the targets give J: stubbed with the forward
def class_log_prob(
    h: np.ndarray,
    W_C: np.ndarray,
    b_C: np.ndarray,
    W_S: np.ndarray,
    b_S: np.ndarray,
    classes: WordClasses,
) -> np.ndarray:
    """``log P(w | h)`` of every word: h (N, H) -> (N, V); ``exp`` of every row sums to one.

    Costs a full ``h @ W_S.T`` (N * H * V): it is for evaluation and sampling, not for training.
    """
    where = "class_log_prob"
    classes = _check_classes(where, classes)
    _, h, W_C, b_C, W_S, b_S = _check_layer(where, h, W_C, b_C, W_S, b_S, classes)
    starts = classes.class_offsets[:-1]
    of_pos = classes.word_class[classes.class_words]  # (V,) the class at each class-order position
    logp_c = log_softmax(h @ W_C.T + b_C)  # (N, C)
    scores = (h @ W_S.T + b_S)[:, classes.class_words]  # (N, V), columns in class order
    peak = np.maximum.reduceat(scores, starts, axis=1)  # (N, C), per-class max for a stable sum
    lse = np.log(np.add.reduceat(np.exp(scores - peak[:, of_pos]), starts, axis=1)) + peak
    out = np.empty_like(scores)
    out[:, classes.class_words] = scores - lse[:, of_pos] + logp_c[:, of_pos]
    return out


# --------------------------------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------------------------------


def _resolve_device(device: str | torch.device | None) -> torch.device:
    """``None``/"auto" -> :func:`rnnlm.device`, else as given (checked): rnn_torch's rule."""
    from rnnlm.rnn_torch import _resolve_device as resolve  # rnn_torch imports this module

    return resolve(device)


class ClassTables(nn.Module):
    """A :class:`WordClasses` as index tensors on a device (buffers, so ``.to(device)`` moves them;
    not persistent: the class map itself travels in the owner's config). No parameters.

    Buffers: ``word_class`` (V,), ``word_index`` (V,), ``class_words`` (V,), ``class_of_pos`` (V,)
    (the class at each position of ``class_words``), ``class_position`` (V,) (its inverse: where
    each word sits in ``class_words``), ``class_sizes`` (C,), ``class_start`` (C,) (where each
    class begins in ``class_words``). ``contiguous`` is True when every class is a run of
    consecutive word ids in class order (``class_words`` is 0..V-1): ``W_S`` then splits into
    per-class views with no gather.
    """

    def __init__(self, classes: WordClasses, device: str | torch.device | None = None) -> None:
        super().__init__()
        self.classes = _check_classes("ClassTables", classes)
        dev = _resolve_device(device)

        def buf(name: str, arr: np.ndarray) -> None:
            self.register_buffer(name, torch.tensor(np.asarray(arr), dtype=torch.long, device=dev),
                                 persistent=False)

        buf("word_class", classes.word_class)
        buf("word_index", classes.word_index)
        buf("class_words", classes.class_words)
        buf("class_of_pos", classes.word_class[classes.class_words])
        buf("class_sizes", classes.class_sizes)
        buf("class_start", classes.class_offsets[:-1])
        position = np.empty_like(classes.class_words)
        position[classes.class_words] = np.arange(classes.vocab_size)
        buf("class_position", position)  # inverse of class_words: where word w sits in class order
        self.contiguous = bool(np.array_equal(classes.class_words, np.arange(classes.vocab_size)))
        self._padded: tuple[torch.Tensor, torch.Tensor] | None = None

    @property
    def vocab_size(self) -> int:
        return self.classes.vocab_size

    @property
    def num_classes(self) -> int:
        return self.classes.num_classes

    def padded(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(ids (C, S), valid (C, S))``: each class's words padded to the largest class size S
        (padding ids 0, ``valid`` False there), on the buffers' device; built on first use."""
        dev = self.word_class.device
        if self._padded is None or self._padded[0].device != dev:
            S = int(self.classes.class_sizes.max())
            C = self.num_classes
            offsets = self.classes.class_offsets
            col = np.arange(S)[None, :]
            valid = col < self.classes.class_sizes[:, None]
            pos = np.minimum(offsets[:-1, None] + col, offsets[1:, None] - 1)  # clamp into the class
            ids = np.where(valid, self.classes.class_words[pos], 0).reshape(C, S)
            self._padded = (torch.as_tensor(ids, device=dev), torch.as_tensor(valid, device=dev))
        return self._padded

    def extra_repr(self) -> str:
        return f"V={self.vocab_size}, C={self.num_classes}, contiguous={self.contiguous}"


class _RowPermutation(torch.autograd.Function):
    """``x[perm]`` for a permutation ``perm`` of x's rows, whose backward is the gather
    ``grad[inverse]``: no (V, H) zeros and scatter-add as ``index_select``'s backward makes."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, perm: torch.Tensor, inverse: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(inverse)
        return x.index_select(0, perm)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        (inverse,) = ctx.saved_tensors
        return grad.index_select(0, inverse), None, None


def _blocks(n_tok: list[int], n_words: list[int], starts: list[int], slack: float | None) -> list[tuple]:
    """Cut the live classes (in class order: token counts, sizes, first word position) into blocks
    ``(tokens, lo, hi, classes)``: the block's tokens are scored against word positions [lo, hi).
    ``slack=None``: one block per class. Otherwise a class joins the block before it while the
    scores the merge computes in vain (other classes' words, masked out) stay within ``slack``."""
    blocks: list[list[int]] = []
    work = 0
    for n, size, lo in zip(n_tok, n_words, starts, strict=True):
        if blocks and slack is not None:
            t, b_lo, _, k = blocks[-1]
            wasted = (t + n) * (lo + size - b_lo) - (work + n * size)
            if wasted <= slack:
                blocks[-1] = [t + n, b_lo, lo + size, k + 1]
                work += n * size
                continue
        blocks.append([n, lo, lo + size, 1])
        work = n * size
    return [tuple(b) for b in blocks]


def class_nll(
    h: torch.Tensor,
    targets: torch.Tensor,
    W_C: torch.Tensor,
    b_C: torch.Tensor,
    W_S: torch.Tensor,
    b_S: torch.Tensor,
    tables: ClassTables,
    *,
    method: str = "merged",
) -> torch.Tensor:
    """Per-token ``-log P(targets | h)`` (N,) under the class-factored softmax; differentiable.

    h (N, H); targets (N,) long in [0, V) (already checked); parameters as in the module doc;
    ``tables`` on the same device. The class term is one (N, H) x (H, C) product for all tokens.
    The word term batches tokens whose targets lie in different classes in one of three ways:

    - ``"grouped"``: sort the tokens by target class (one ``argsort``), ``split`` them and
      ``W_S``, ``b_S`` into per-class views and run one small softmax per class present: one loop
      over the classes present, never over tokens. ``W_S`` is put in class order by one row
      permutation (none when the classes are runs of consecutive ids), or, when the classes
      present hold under half the words, by gathering just their rows. One-word classes are
      skipped (``P(w | c) = 1``). Cost ``sum_c n_c * |c| * H`` plus a few small kernels per class.
    - ``"merged"`` (default): the same, but neighbouring classes share one block product whenever that
      wastes at most :data:`MERGE_WASTE` multiply-adds (the scores of the other classes' words,
      masked to -inf before the softmax): fewer, larger kernels for a little more arithmetic,
      which pays where a kernel's fixed cost is high (many classes, several CPU threads, a GPU).
    - ``"padded"``: pad every class to the largest class size S and gather each token's class rows,
      (N, S, H), then one batched product and a masked softmax: no loop at all, but N * S * H
      multiply-adds and memory, so it loses whenever the largest class is much larger than the
      typical one.

    ``bench/class_softmax.py`` times all three. (When no target needs a word softmax, every class
    of one word, ``W_S`` and ``b_S`` take no part and their ``.grad`` stays None.)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    cy = tables.word_class[targets]  # (N,) target classes
    nll = nn.functional.cross_entropy(nn.functional.linear(h, W_C, b_C), cy, reduction="none")
    wi = tables.word_index[targets]  # (N,) the target's position in its class
    if method == "padded":
        ids, valid = tables.padded()
        rows = ids[cy]  # (N, S) word ids of each token's class
        scores = torch.bmm(W_S[rows], h.unsqueeze(2)).squeeze(2) + b_S[rows]  # (N, S)
        scores = scores.masked_fill(~valid[cy], float("-inf"))
        return nll + nn.functional.cross_entropy(scores, wi, reduction="none")
    counts = torch.bincount(cy, minlength=tables.num_classes)  # tokens per class
    live = ((counts > 0) & (tables.class_sizes > 1)).nonzero().squeeze(1)  # classes needing a softmax
    sizes = tables.class_sizes[live]
    live_l, n_tok, n_words = torch.stack((live, counts[live], sizes)).tolist()  # the one host sync
    if not live_l:
        return nll  # every target alone in its class
    if 2 * sum(n_words) >= tables.vocab_size:  # most words live: every row of W_S, in class order
        if tables.contiguous:
            W, b = W_S, b_S
        else:
            perm = (tables.class_words, tables.class_position)
            W, b = _RowPermutation.apply(W_S, *perm), _RowPermutation.apply(b_S, *perm)
        start = tables.class_start  # (C,) the row of W where each class's words begin
        starts = tables.classes.class_offsets[live_l].tolist()
        row_class = tables.class_of_pos  # (rows of W,) the class of each row
    else:  # few classes live (C large, few tokens): gather just their rows, in class order
        is_live = torch.zeros_like(counts, dtype=torch.bool).index_fill_(0, live, True)
        keep = is_live[tables.class_of_pos]
        words = tables.class_words[keep]
        W, b = W_S.index_select(0, words), b_S.index_select(0, words)
        start = torch.zeros_like(counts).index_copy_(0, live, torch.cumsum(sizes, 0) - sizes)
        starts = np.concatenate(([0], np.cumsum(n_words[:-1]))).tolist()
        row_class = tables.class_of_pos[keep]
    blocks = _blocks(n_tok, n_words, starts, MERGE_WASTE / h.shape[1] if method == "merged" else None)
    segments, pick, at = [], [], 0  # W's rows cut into the blocks and the gaps between them
    for _, lo, hi, _ in blocks:
        if lo > at:
            segments.append(lo - at)
        pick.append(len(segments))
        segments.append(hi - lo)
        at = hi
    if at < W.shape[0]:
        segments.append(W.shape[0] - at)
    W_parts, b_parts = W.split(segments), b.split(segments)
    # tokens of live classes grouped by class (those of one-word classes sorted last, cut off)
    key = torch.where(tables.class_sizes[cy] > 1, cy, tables.num_classes)
    tok = torch.argsort(key, stable=True)[: sum(n_tok)]
    per_block = [t for t, _, _, _ in blocks]
    block_lo = torch.tensor([lo for _, lo, _, _ in blocks], device=h.device)
    block_lo = block_lo.repeat_interleave(torch.tensor(per_block, device=h.device), output_size=sum(n_tok))
    col = ((start[cy] + wi).index_select(0, tok) - block_lo).split(per_block)  # target column
    hs = h.index_select(0, tok).split(per_block)
    cls = cy.index_select(0, tok).split(per_block)
    word_nll = []
    for (_, lo, hi, k), j, hk, ck, yk in zip(blocks, pick, hs, cls, col, strict=True):
        scores = nn.functional.linear(hk, W_parts[j], b_parts[j])  # (tokens, hi - lo)
        if k > 1:  # a merged block: each token's softmax covers its own class's words only
            scores = scores.masked_fill(ck[:, None] != row_class[lo:hi][None, :], float("-inf"))
        word_nll.append(nn.functional.cross_entropy(scores, yk, reduction="none"))
    return nll.index_add(0, tok, torch.cat(word_nll).to(nll.dtype))


def class_log_prob_torch(
    h: torch.Tensor, W_C: torch.Tensor, b_C: torch.Tensor, W_S: torch.Tensor, b_S: torch.Tensor,
    tables: ClassTables,
) -> torch.Tensor:
    """``log P(w | h)`` of every word, (N, H) -> (N, V), as :func:`class_log_prob` (a full
    ``h @ W_S.T``: for evaluation and sampling)."""
    N = h.shape[0]
    logp_c = torch.log_softmax(nn.functional.linear(h, W_C, b_C), dim=-1)  # (N, C)
    scores = nn.functional.linear(h, W_S, b_S)  # (N, V)
    cls = tables.word_class.expand(N, -1)  # (N, V) the class of each column
    peak = torch.full((N, tables.num_classes), float("-inf"), device=h.device, dtype=scores.dtype)
    peak = peak.scatter_reduce(1, cls, scores.detach(), reduce="amax")  # per-class max (a constant)
    shifted = scores - peak.gather(1, cls)
    total = torch.zeros_like(peak).scatter_add(1, cls, shifted.exp())  # (N, C)
    return shifted - total.log().gather(1, cls) + logp_c.gather(1, cls)


def _check_h(where: str, h: Any, H: int, like: torch.Tensor) -> torch.Tensor:
    if isinstance(h, np.ndarray):
        h = torch.from_numpy(h)
    if not isinstance(h, torch.Tensor):
        raise TypeError(f"{where}: h must be a torch.Tensor (N, H), got {type(h).__name__}")
    if not h.is_floating_point():
        raise TypeError(f"{where}: h must be a floating-point tensor, got dtype {h.dtype}")
    if h.dim() != 2 or h.shape[1] != H:
        raise ValueError(f"{where}: h must have shape (N, H) with H = {H}, got {tuple(h.shape)}")
    if h.shape[0] == 0:
        raise ValueError(f"{where}: h holds no token (N = 0)")
    return h.to(device=like.device)


def _check_targets(where: str, targets: Any, N: int, V: int, mask: torch.Tensor | None,
                   device: torch.device) -> torch.Tensor:
    if isinstance(targets, np.ndarray):
        targets = torch.from_numpy(targets)
    if not isinstance(targets, torch.Tensor):
        raise TypeError(f"{where}: targets must be a torch.Tensor (N,) of ints, got {type(targets).__name__}")
    if targets.is_floating_point() or targets.is_complex() or targets.dtype == torch.bool:
        raise TypeError(f"{where}: targets must hold integer token ids, got dtype {targets.dtype}")
    if tuple(targets.shape) != (N,):
        raise ValueError(f"{where}: targets must have shape (N,) = ({N},), got {tuple(targets.shape)}")
    targets = targets.to(device=device, dtype=torch.long)
    if mask is not None:
        targets = torch.where(mask, targets, torch.zeros_like(targets))
    lo, hi = int(targets.min()), int(targets.max())
    if lo < 0 or hi >= V:
        raise ValueError(f"{where}: targets hold ids in [{lo}, {hi}], expected ids in [0, V={V})")
    return targets


def _check_mask(where: str, mask: Any, N: int, device: torch.device) -> torch.Tensor | None:
    if mask is None:
        return None
    if isinstance(mask, np.ndarray):
        mask = torch.from_numpy(mask)
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"{where}: mask must be a torch.Tensor (N,) or None, got {type(mask).__name__}")
    if tuple(mask.shape) != (N,):
        raise ValueError(f"{where}: mask must have shape (N,) = ({N},), got {tuple(mask.shape)}")
    if mask.dtype != torch.bool:
        if mask.is_complex() or not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError(f"{where}: mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}")
        mask = mask != 0
    mask = mask.to(device)
    if not bool(mask.any()):
        raise ValueError(f"{where}: the mask selects no token; the loss would be 0/0")
    return mask


def _masked_mean(nll: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if mask is None:
        return nll.mean()
    m = mask.to(nll.dtype)
    return (nll * m).sum() / m.sum()


class _OutputLayer(nn.Module):
    """What :class:`FullSoftmax` and :class:`ClassSoftmax` share: checks, parameters, copies."""

    _names: tuple[str, ...] = ()

    def _init_common(self, hidden_dim: int, vocab_size: int, init_range: float,
                     device: str | torch.device | None, dtype: torch.dtype) -> torch.device:
        where = type(self).__name__
        for name, v in (("hidden_dim", hidden_dim), ("vocab_size", vocab_size)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{where}: {name} must be a positive int, got {v!r}")
        if dtype not in (torch.float32, torch.float64):
            raise TypeError(f"{where}: dtype must be torch.float32 or torch.float64, got {dtype}")
        if isinstance(init_range, bool) or not isinstance(init_range, (int, float)) or not init_range > 0:
            raise ValueError(f"{where}: init_range must be a positive number, got {init_range!r}")
        self.hidden_dim, self.vocab_size = int(hidden_dim), int(vocab_size)
        self.init_range = float(init_range)
        return _resolve_device(device)

    def _reset(self, seed: int | None) -> None:
        gen = None
        if seed is not None:
            gen = torch.Generator(device="cpu")
            gen.manual_seed(int(seed))
        r = self.init_range
        with torch.no_grad():
            for name in self._names:
                p = getattr(self, name)
                if name.startswith("W_"):
                    p.copy_(torch.rand(p.shape, generator=gen, dtype=p.dtype) * (2 * r) - r)
                else:
                    p.zero_()

    @property
    def device(self) -> torch.device:
        return self.W_S.device

    def numpy_params(self) -> dict[str, np.ndarray]:
        """Copies of the parameters as NumPy arrays, keyed by name."""
        return {n: getattr(self, n).detach().cpu().numpy().copy() for n in self._names}

    def load_numpy_params(self, params: dict[str, np.ndarray]) -> None:
        """Copy NumPy arrays (the names and shapes of :func:`numpy_params`) into the parameters."""
        for n in self._names:
            if n not in params:
                raise ValueError(f"params is missing {n!r}; expected keys {self._names}")
            p, arr = getattr(self, n), np.asarray(params[n])
            if arr.shape != tuple(p.shape):
                raise ValueError(f"{n} must have shape {tuple(p.shape)}, got {arr.shape}")
            if not np.issubdtype(arr.dtype, np.floating) or not np.isfinite(arr).all():
                raise ValueError(f"{n} must be a finite float array")
        with torch.no_grad():
            for n in self._names:
                p = getattr(self, n)
                p.copy_(torch.as_tensor(np.asarray(params[n]), dtype=p.dtype, device=p.device))

    def _inputs(self, where: str, h: Any, targets: Any, mask: Any) -> tuple[torch.Tensor, torch.Tensor,
                                                                          torch.Tensor | None]:
        h = _check_h(where, h, self.hidden_dim, self.W_S)
        mask = _check_mask(where, mask, h.shape[0], h.device)
        return h, _check_targets(where, targets, h.shape[0], self.vocab_size, mask, h.device), mask

    def loss(self, h: Any, targets: Any, mask: Any = None) -> torch.Tensor:
        """Mean negative log-likelihood (nats) over the unmasked tokens: h (N, H), targets (N,) int,
        mask (N,) bool/0-1 or None. Returns a scalar tensor; call ``.backward()`` for gradients."""
        h, targets, mask = self._inputs(f"{type(self).__name__}.loss", h, targets, mask)
        return _masked_mean(self._nll(h, targets), mask)

    def forward(self, h: Any, targets: Any) -> torch.Tensor:
        """Per-token negative log-likelihood ``-log P(targets | h)``: h (N, H), targets (N,) -> (N,)."""
        h, targets, _ = self._inputs(f"{type(self).__name__}.forward", h, targets, None)
        return self._nll(h, targets)

    def log_prob(self, h: Any) -> torch.Tensor:
        """``log P(w | h)`` of every word: h (N, H) -> (N, V); every row's ``exp`` sums to one."""
        return self._log_prob(_check_h(f"{type(self).__name__}.log_prob", h, self.hidden_dim, self.W_S))

    def _nll(self, h: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _log_prob(self, h: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class FullSoftmax(_OutputLayer):
    """The ordinary output layer, ``softmax(h @ W_S.T + b_S)`` over all V words, with the interface
    of :class:`ClassSoftmax` (``loss(h, targets, mask=None)``, ``forward``, ``log_prob(h)``).

    Parameters ``W_S`` (V, H) uniform in ``[-init_range, init_range]``, ``b_S`` (V,) zero.
    """

    _names = ("W_S", "b_S")

    def __init__(
        self,
        hidden_dim: int,
        vocab_size: int,
        *,
        init_range: float = 0.1,
        seed: int | None = None,
        device: str | torch.device | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        dev = self._init_common(hidden_dim, vocab_size, init_range, device, dtype)
        self.W_S = nn.Parameter(torch.empty(self.vocab_size, self.hidden_dim, device=dev, dtype=dtype))
        self.b_S = nn.Parameter(torch.empty(self.vocab_size, device=dev, dtype=dtype))
        self._reset(seed)

    def _nll(self, h: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(nn.functional.linear(h, self.W_S, self.b_S), targets,
                                           reduction="none")

    def _log_prob(self, h: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(nn.functional.linear(h, self.W_S, self.b_S), dim=-1)

    def cost_summary(self) -> str:
        """The layer's multiply-adds per token, H * V."""
        V, H = self.vocab_size, self.hidden_dim
        return (f"output layer, multiply-adds per token (forward), V={V}, H={H}:\n"
                f"  full softmax            H*V                = {H * V:,}")

    def extra_repr(self) -> str:
        return f"H={self.hidden_dim}, V={self.vocab_size}"


class ClassSoftmax(_OutputLayer):
    """The class-factored softmax in PyTorch: the parameters of the NumPy reference, any device.

    Args:
        hidden_dim: H.
        classes: a :class:`WordClasses` (V words in C classes), e.g. ``frequency_classes(counts, 100)``.
        method: ``"merged"`` (default), ``"grouped"`` or ``"padded"``: how targets in different
            classes are batched (see :func:`class_nll`); all compute the same numbers.
        init_range: ``W_C`` and ``W_S`` start uniform in ``[-init_range, init_range]``; biases 0.
        seed: seed for the initial weights (``None``: torch's global generator).
        device: where the parameters live; ``None`` or ``"auto"`` picks :func:`rnnlm.device`.
        dtype: ``torch.float32`` (default) or ``torch.float64`` (for checks against NumPy).

    Parameters ``W_C`` (C, H), ``b_C`` (C,), ``W_S`` (V, H), ``b_S`` (V,); the class map lives in
    ``tables`` (a :class:`ClassTables`). ``loss(h, targets, mask=None)`` is the mean NLL over the
    unmasked tokens, ``forward(h, targets)`` the per-token NLL (N,), ``log_prob(h)`` (N, V).
    """

    _names = ("W_C", "b_C", "W_S", "b_S")

    def __init__(
        self,
        hidden_dim: int,
        classes: WordClasses,
        *,
        method: str = "merged",
        init_range: float = 0.1,
        seed: int | None = None,
        device: str | torch.device | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        classes = _check_classes("ClassSoftmax", classes)
        if method not in METHODS:
            raise ValueError(f"ClassSoftmax: method must be one of {METHODS}, got {method!r}")
        dev = self._init_common(hidden_dim, classes.vocab_size, init_range, device, dtype)
        self.method = method
        self.num_classes = classes.num_classes
        H, V, C = self.hidden_dim, self.vocab_size, self.num_classes
        self.W_C = nn.Parameter(torch.empty(C, H, device=dev, dtype=dtype))
        self.b_C = nn.Parameter(torch.empty(C, device=dev, dtype=dtype))
        self.W_S = nn.Parameter(torch.empty(V, H, device=dev, dtype=dtype))
        self.b_S = nn.Parameter(torch.empty(V, device=dev, dtype=dtype))
        self.tables = ClassTables(classes, dev)
        self._reset(seed)

    @property
    def classes(self) -> WordClasses:
        return self.tables.classes

    def _nll(self, h: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return class_nll(h, targets, self.W_C, self.b_C, self.W_S, self.b_S, self.tables, method=self.method)

    def _log_prob(self, h: torch.Tensor) -> torch.Tensor:
        return class_log_prob_torch(h, self.W_C, self.b_C, self.W_S, self.b_S, self.tables)

    def cost(self, counts: object = None) -> OutputLayerCost:
        """:func:`output_layer_cost` of this layer (``counts`` (V,): default the classes' own)."""
        return output_layer_cost(self.hidden_dim, self.classes, counts)

    def cost_summary(self, counts: object = None) -> str:
        """Printable multiply-adds per token: full softmax, this layer, the C = sqrt(V) optimum."""
        return self.cost(counts).summary()

    def extra_repr(self) -> str:
        return f"H={self.hidden_dim}, V={self.vocab_size}, C={self.num_classes}, method={self.method!r}"
