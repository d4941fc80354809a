"""Vectorised n-gram language models: MLE, add-k, Jelinek-Mercer interpolation, modified Kneser-Ney.

Conventions
-----------
*Padding.* Every sentence ``w_1 ... w_T`` is padded with ``order - 1`` start symbols ``<s>`` on the
left and one end symbol ``<eos>`` on the right. The model predicts ``w_1 ... w_T`` and ``<eos>``
(``T + 1`` predictions per sentence); ``<s>`` is only ever context, never predicted. Perplexity and
:meth:`NgramLM.score` therefore count the ``<eos>`` predictions and not the ``<s>`` padding:
``perplexity = exp(-(1/N) sum_i log P(w_i | h_i))`` with ``N = sum_s (T_s + 1)``. The symbols are
the kit's special tokens, defined once in :mod:`rnnlm.data` (``BOS``, ``EOS``, ``UNK``): ``<eos>``
is the same end token the RNN vocabularies (``rnnlm.data.Vocab``) put after every sentence, where
many textbooks and ARPA files write ``</s>``.

*Contexts.* A context is the list of preceding words, oldest first. It may be shorter than
``order - 1`` words: a shorter context means the start of a sentence, so it is padded with ``<s>``
on the left (``prob("dog", ["the"])`` in a trigram model is ``P(dog | <s> the)``). Contexts may
also spell the padding out (``["<s>", "the"]``). A context longer than ``order - 1`` is an error.

*Vocabulary.* ``vocab`` (size V) is the sorted set of training words plus ``<eos>`` and ``<unk>``;
``distribution(context)`` returns a (V,) array in that order and sums to one (``<s>`` is not in
it). Words never seen in training are scored as ``<unk>``. When the training data contains
``<unk>`` (as PTB does) it is an ordinary word with its own counts. When it does not, ``<unk>`` is
still a vocabulary type with zero count: it gets the smoothing's share of mass (add-k's ``k``,
interpolation's uniform component, Kneser-Ney's uniform base distribution), so every smoothed
distribution still sums to one, while under MLE it has probability zero and a test set with an
unseen word has infinite perplexity (returned as ``inf``, without warnings).

*Smoothings* (``V`` vocabulary size, ``c`` raw counts of predicted n-grams, ``h`` the context):

- ``"mle"``: ``P(w|h) = c(h w) / c(h .)``. For a context never seen in training the ratio is 0/0;
  the model then uses the longest suffix of the context that was seen (ultimately the unigram
  relative frequency), so every distribution sums to one.
- ``"add-k"`` (``"laplace"`` is add-k with ``k = 1``): ``P(w|h) = (c(h w) + k) / (c(h .) + k V)``.
- ``"interpolated"`` (Jelinek-Mercer): ``P(w|h) = sum_{m=0..n} lambda_m P_m(w|h)`` with ``P_0 = 1/V``
  and ``P_m`` the order-m MLE (for an unseen order-m context, ``P_m = P_{m-1}``). ``lambdas`` has
  ``order + 1`` non-negative weights summing to one (uniform first, highest order last);
  :meth:`NgramLM.tune_lambdas` fits them by EM on held-out sentences.
- ``"kneser-ney"``: interpolated *modified* Kneser-Ney (Chen and Goodman 1999; SRILM's
  ``-kndiscount -interpolate``)::

      P_m(w|h) = (max(a(h w) - D_m(a(h w)), 0) + gamma(h) P_{m-1}(w|h')) / a(h .)
      gamma(h) = D_m1 N_1(h .) + D_m2 N_2(h .) + D_m3+ N_3+(h .)

  with ``P_0 = 1/V`` and ``P_m = P_{m-1}`` for an unseen context. ``a`` is the raw count at the
  highest order and for n-grams that start with ``<s>`` (nothing precedes them), and the
  continuation count ``N_1+(. h w)`` (number of distinct left extensions) otherwise. Three
  discounts per order come from the count-of-counts ``n_1..n_4`` of ``a`` at that order::

      Y = n_1 / (n_1 + 2 n_2),  D_1 = 1 - 2 Y n_2/n_1,  D_2 = 2 - 3 Y n_3/n_2,  D_3+ = 3 - 4 Y n_4/n_3

  A discount whose formula is undefined or outside ``[0, r]`` (tiny corpora) falls back to
  ``(0.5, 1.0, 1.5)[r-1]``; ``discounts=`` sets them explicitly. Sentence starts are modelled
  as with a single ``<s>``: n-grams that start with two ``<s>`` repeat the counts of the one-``<s>``
  n-gram an order lower, so they are left out of the count-of-counts and, as contexts, pass the
  lower order through (``P_m = P_{m-1}``), as SRILM and KenLM do. With this, PTB test
  perplexities are 148.3 (3-gram) and 141.2 (5-gram), Mikolov's SRILM numbers.

*Storage.* Words are integer ids (``<s>`` has id ``V``; radix ``R = V + 1``). The n-grams of order m
are a sorted int64 array of keys ``key(w_1..w_m) = index_{m-1}(w_2..w_m) * R + w_1``, where
``index_{m-1}`` is the position of the suffix in the order m-1 table (order 1 is dense: the index
is the word id), so keys never overflow whatever the order. Counting is ``np.unique``; lookups are
``np.searchsorted``; continuation counts and context totals are ``np.bincount``. No Python dicts
hold n-grams. :meth:`NgramLM.report` gives the number of n-grams and bytes per order.

Shapes in docstrings: V vocabulary size, N number of scored tokens.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import numbers
import time
from collections.abc import Iterable, Sequence

import numpy as np

from rnnlm._exercise import exercise
from rnnlm.data import BOS, EOS, UNK  # the kit's special tokens: "<s>", "<eos>", "<unk>"

#: accepted smoothing names ("laplace" is add-k with k = 1)
SMOOTHINGS = ("mle", "add-k", "laplace", "interpolated", "kneser-ney")

_FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)


class NotFittedError(RuntimeError):
    """Raised when a model is queried before :meth:`NgramLM.fit`."""


# ----------------------------------------------------------------------------------------------
# small, pure helpers (also what notebook 01 teaches)
# ----------------------------------------------------------------------------------------------


@exercise("nb01_count_ngrams")  # with ngrams, exercise 1 in one line: stubbed in bundle 01
def pad_sentence(sentence: Sequence[str], order: int) -> list[str]:
    """``order - 1`` times ``<s>``, the sentence, then ``<eos>``: the tokens one sentence contributes."""
    order = _check_order(order)
    return [BOS] * (order - 1) + list(sentence) + [EOS]


@exercise("nb01_count_ngrams")
def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """All contiguous n-grams of ``tokens`` (``len(tokens) - n + 1`` tuples; none if too short)."""
    n = _check_order(n, what="n")
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def modified_kn_discounts(count_of_counts: Sequence[int]) -> tuple[float, float, float]:
    """Modified Kneser-Ney discounts ``(D1, D2, D3+)`` from the count-of-counts ``(n1, n2, n3, n4)``.

    ``Y = n1/(n1 + 2 n2)``, ``D1 = 1 - 2Y n2/n1``, ``D2 = 2 - 3Y n3/n2``, ``D3+ = 3 - 4Y n4/n3``
    (Chen and Goodman 1999). A discount that is undefined (a zero count-of-counts) or outside
    ``[0, r]`` for ``D_r`` is replaced by ``(0.5, 1.0, 1.5)[r-1]``.
    """
    if len(count_of_counts) < 4:
        raise ValueError(f"count_of_counts needs (n1, n2, n3, n4), got {len(count_of_counts)} values")
    n1, n2, n3, n4 = (float(x) for x in count_of_counts[:4])
    if min(n1, n2, n3, n4) < 0:
        raise ValueError(f"count-of-counts must be non-negative, got {tuple(count_of_counts[:4])}")
    out = []
    for r, (num, den) in enumerate(((n2, n1), (n3, n2), (n4, n3)), start=1):
        d = math.nan
        if n1 + 2 * n2 > 0 and den > 0:
            y = n1 / (n1 + 2 * n2)
            d = r - (r + 1) * y * num / den
        if not (0.0 <= d <= r):  # also catches nan
            d = _FALLBACK_DISCOUNTS[r - 1]
        out.append(d)
    return out[0], out[1], out[2]


@exercise("nb01_perplexity_from_log2probs")  # the same number from natural logs: stubbed in bundle 01
def perplexity_from_logprobs(logprobs: np.ndarray) -> float:
    """``exp(-mean(logprobs))`` for natural-log probabilities of shape (N,); ``inf`` if one is ``-inf``."""
    return _perplexity_from_logprobs(logprobs)


def _perplexity_from_logprobs(logprobs: np.ndarray) -> float:
    """:func:`perplexity_from_logprobs`, for the models' own use (a student bundle stubs the public one)."""
    lp = np.asarray(logprobs, dtype=np.float64)
    if lp.ndim != 1 or lp.size == 0:
        raise ValueError(f"logprobs must be a non-empty 1-D array, got shape {lp.shape}")
    if np.isnan(lp).any() or (lp > 0).any():
        raise ValueError("logprobs must be log-probabilities (<= 0, not NaN)")
    with np.errstate(over="ignore"):
        return float(np.exp(-lp.mean()))


# ----------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------


def _check_order(order: object, what: str = "order") -> int:
    if isinstance(order, bool) or not isinstance(order, numbers.Integral):
        raise TypeError(f"{what} must be an int >= 1, got {type(order).__name__} {order!r}")
    if order < 1:
        raise ValueError(f"{what} must be >= 1, got {order}")
    return int(order)


def _check_sentences(sentences: object, what: str = "sentences") -> list[Sequence[str]]:
    if isinstance(sentences, (str, bytes)) or not isinstance(sentences, Iterable):
        raise TypeError(f"{what} must be a list of token lists, got {type(sentences).__name__}")
    sents = list(sentences)
    for i, s in enumerate(sents):
        if isinstance(s, (str, bytes)) or not isinstance(s, Sequence):
            raise TypeError(
                f"{what}[{i}] must be a list of tokens (str), got {type(s).__name__} {s!r:.60}; "
                "split sentences into words first"
            )
    return sents


def _check_rng(rng: object) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")


def _gather(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``values[idx]`` where ``idx >= 0``, else 0 (idx -1 marks 'not stored')."""
    if values.size == 0:
        return np.zeros(idx.shape, dtype=values.dtype)
    return np.where(idx >= 0, values[idx], 0)


# ----------------------------------------------------------------------------------------------
# the model
# ----------------------------------------------------------------------------------------------


class NgramLM:
    """An n-gram language model of order ``order`` (see the module docstring for the conventions).

    ``NgramLM(3, "kneser-ney").fit(sentences)``; then :meth:`prob`, :meth:`logprob`,
    :meth:`distribution` (V,), :meth:`score` (N,), :meth:`perplexity`, :meth:`generate`,
    :meth:`count`, :meth:`report`.

    Parameters
    ----------
    order : int >= 1
        n of the n-gram (1 unigram, 2 bigram, ...).
    smoothing : str
        One of ``SMOOTHINGS``: "mle", "add-k", "laplace", "interpolated", "kneser-ney".
    k : float > 0, add-k only (default 1.0).
    lambdas : ``order + 1`` weights summing to one, "interpolated" only: uniform, unigram, ...,
        order-n MLE. Default: 0.01 for the uniform part, the rest proportional to 1, 2, ..., n.
    discounts : "kneser-ney" only: ``(D1, D2, D3+)`` for every order, or one such triple per order
        (``order`` rows, unigram first), with ``0 <= D_r <= r``. Default: from count-of-counts.
    """

    def __init__(
        self,
        order: int,
        smoothing: str = "kneser-ney",
        *,
        k: float | None = None,
        lambdas: Sequence[float] | None = None,
        discounts: Sequence[float] | Sequence[Sequence[float]] | None = None,
    ) -> None:
        self.order = _check_order(order)
        if not isinstance(smoothing, str):
            raise TypeError(f"smoothing must be a str, one of {', '.join(SMOOTHINGS)}; got {smoothing!r}")
        name = smoothing.strip().lower()
        if name not in SMOOTHINGS:
            raise ValueError(f"unknown smoothing {smoothing!r}; valid names are: {', '.join(SMOOTHINGS)}")
        if name == "laplace":
            if k is not None and k != 1:
                raise ValueError(f"'laplace' is add-k with k=1, got k={k}; use smoothing='add-k'")
            name, k = "add-k", 1.0
        self.smoothing = name

        if k is not None and name != "add-k":
            raise ValueError(f"k is a parameter of 'add-k' smoothing, not of {name!r}")
        if name == "add-k":
            k = 1.0 if k is None else k
            if isinstance(k, bool) or not isinstance(k, numbers.Real):
                raise TypeError(f"k must be a positive number, got {type(k).__name__} {k!r}")
            if not (math.isfinite(k) and k > 0):
                raise ValueError(f"k must be a finite number > 0, got {k}")
            self.k: float | None = float(k)
        else:
            self.k = None

        if lambdas is not None and name != "interpolated":
            raise ValueError(f"lambdas are a parameter of 'interpolated' smoothing, not of {name!r}")
        self.lambdas: np.ndarray | None = None
        if name == "interpolated":
            if lambdas is None:
                w = np.arange(1, self.order + 1, dtype=np.float64)
                lambdas = np.concatenate([[0.01], 0.99 * w / w.sum()])
            self.lambdas = self._check_lambdas(lambdas)

        if discounts is not None and name != "kneser-ney":
            raise ValueError(f"discounts are a parameter of 'kneser-ney' smoothing, not of {name!r}")
        self._fixed_discounts = None if discounts is None else self._check_discounts(discounts)
        #: (order, 3) discounts (D1, D2, D3+) per order, unigram first; set by fit for kneser-ney
        self.discounts: np.ndarray | None = None
        self._fitted = False

    # -- parameter checks ------------------------------------------------------------------------

    def _check_lambdas(self, lambdas: Sequence[float]) -> np.ndarray:
        lam = np.asarray(lambdas, dtype=np.float64)
        if lam.shape != (self.order + 1,):
            raise ValueError(
                f"lambdas needs order+1 = {self.order + 1} weights (uniform, unigram, ..., "
                f"{self.order}-gram), got shape {lam.shape}"
            )
        if not np.isfinite(lam).all() or (lam < 0).any() or abs(lam.sum() - 1.0) > 1e-9:
            raise ValueError(f"lambdas must be non-negative and sum to 1, got {lam.tolist()}")
        return lam

    def _check_discounts(self, discounts: object) -> np.ndarray:
        d = np.asarray(discounts, dtype=np.float64)
        if d.shape == (3,):
            d = np.tile(d, (self.order, 1))
        if d.shape != (self.order, 3):
            raise ValueError(
                f"discounts must be (D1, D2, D3+) or one such triple per order, shape (3,) or "
                f"({self.order}, 3); got shape {d.shape}"
            )
        bounds = np.array([1.0, 2.0, 3.0])
        if not np.isfinite(d).all() or (d < 0).any() or (d > bounds).any():
            raise ValueError(f"discounts need 0 <= D1 <= 1, 0 <= D2 <= 2, 0 <= D3+ <= 3; got {d.tolist()}")
        return d

    def _require_fit(self) -> None:
        if not self._fitted:
            raise NotFittedError("this NgramLM is not fitted yet: call fit(sentences) first")

    # -- vocabulary and encoding -----------------------------------------------------------------

    @property
    def vocab(self) -> list[str]:
        """The V words the model predicts, in the order of :meth:`distribution` (includes ``<eos>``)."""
        self._require_fit()
        return list(self._vocab)

    @property
    def V(self) -> int:
        """Vocabulary size (``len(vocab)``)."""
        self._require_fit()
        return len(self._vocab)

    def word_id(self, word: str) -> int:
        """The index of ``word`` in :attr:`vocab` (unseen words give the id of ``<unk>``)."""
        self._require_fit()
        if not isinstance(word, str):
            raise TypeError(f"word must be a str, got {type(word).__name__} {word!r}")
        if word == BOS:
            raise ValueError(f"{BOS!r} is padding, not in the vocabulary")
        return self._index.get(word, self._unk)

    def _encode(self, sents: list[Sequence[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Padded id stream (P,), positions of predicted tokens (N,), positions needed as context."""
        n, index, unk = self.order, self._index, self._unk
        lens = np.fromiter((len(s) for s in sents), dtype=np.int64, count=len(sents))
        total = int(lens.sum())
        try:
            tokens = itertools.chain.from_iterable(sents)
            flat = np.fromiter(map(index.get, tokens, itertools.repeat(-1)), dtype=np.int64, count=total)
        except TypeError as exc:
            raise TypeError(f"tokens must be hashable str, got an unhashable token ({exc})") from None
        unseen = flat < 0
        if unseen.any():  # words not in the vocabulary: check they are strings, not padding symbols
            bad = {w for s in sents for w in s if w not in index}
            for w in bad:
                if not isinstance(w, str):
                    raise TypeError(f"tokens must be str, got {type(w).__name__} {w!r}")
            if BOS in bad:
                raise ValueError(f"sentences must not contain {BOS!r}: the model pads sentences itself")
            flat[unseen] = unk
        if (flat == self._eos).any():
            raise ValueError(f"sentences must not contain {EOS!r}: the model adds it to every sentence")
        seg = lens + n  # (n-1) <s>, the words, <eos>
        starts = np.concatenate([[0], np.cumsum(seg)[:-1]])
        stream = np.full(int(seg.sum()), self._bos, dtype=np.int64)
        word_pos = np.repeat(starts + n - 1 - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
        word_pos += np.arange(total)
        stream[word_pos] = flat
        eos_pos = starts + n - 1 + lens
        stream[eos_pos] = self._eos
        is_pred = stream != self._bos
        pred = np.flatnonzero(is_pred)
        if n == 1:
            return stream, pred, pred
        is_pred[starts + n - 2] = True  # the last <s> of each sentence is a context too
        return stream, pred, np.flatnonzero(is_pred)

    # -- fitting ---------------------------------------------------------------------------------

    def fit(self, sentences: Iterable[Sequence[str]]) -> NgramLM:
        """Count the n-grams of ``sentences`` (a list of token lists) and set up the smoothing."""
        sents = _check_sentences(sentences)
        if not sents:
            raise ValueError("cannot fit an n-gram model on an empty corpus (no sentences)")
        words: set = set()
        try:
            for s in sents:
                words.update(s)
        except TypeError as exc:
            raise TypeError(f"tokens must be str, got an unhashable token ({exc})") from None
        if not words:
            raise ValueError(f"cannot fit an n-gram model on an empty corpus ({len(sents)} empty sentences)")
        for w in words:
            if not isinstance(w, str):
                raise TypeError(f"tokens must be str, got {type(w).__name__} {w!r}")
        for sym in (BOS, EOS):
            if sym in words:
                raise ValueError(f"sentences must not contain {sym!r}: the model pads sentences itself")
        self._vocab = sorted(words | {EOS, UNK})
        self._index = {w: i for i, w in enumerate(self._vocab)}
        self._unk, self._eos, self._bos = self._index[UNK], self._index[EOS], len(self._vocab)
        self._R = len(self._vocab) + 1
        self._fitted = True  # encoding needs the vocabulary
        try:
            self._count_all(sents)
        except BaseException:
            self._fitted = False
            raise
        return self

    def _count_all(self, sents: list[Sequence[str]]) -> None:
        n, R = self.order, self._R
        stream, pred, keep = self._encode(sents)
        self.n_train_tokens = int(pred.size)
        is_pred = np.zeros(stream.size, dtype=bool)
        is_pred[pred] = True

        # order 1: dense table indexed by word id (the <s> row never has a count)
        keys: list[np.ndarray | None] = [None, None]
        counts: list[np.ndarray] = [np.zeros(0, np.int64), np.bincount(stream[pred], minlength=R)]
        prefix: list[np.ndarray] = [np.zeros(0, np.int64), np.zeros(R, dtype=np.int64)]
        idx_prev = np.full(stream.size, -1, dtype=np.int64)
        idx_prev[keep] = stream[keep]
        for m in range(2, n + 1):
            pos = keep if m < n else pred
            key = idx_prev[pos] * R + stream[pos - m + 1]
            uniq, inv = np.unique(key, return_inverse=True)
            inv = inv.ravel()
            c = np.bincount(inv[is_pred[pos]], minlength=uniq.size)
            pre = np.full(uniq.size, -1, dtype=np.int64)
            pre[inv] = idx_prev[pos - 1]  # the (m-1)-gram ending one step earlier; -1 for all-<s> rows
            idx = np.full(stream.size, -1, dtype=np.int64)
            idx[pos] = inv
            keys.append(uniq)
            counts.append(c)
            prefix.append(pre)
            idx_prev = idx
        self._keys, self._count = keys, counts

        # context totals (raw): index m-1 holds, per order m-1 n-gram h, sum_w c(h w)
        n_rows = [0] + [R] + [k.size for k in keys[2:]]
        self._ctx_count = [np.array([counts[1].sum()], dtype=np.int64)]
        for m in range(2, n + 1 if self.smoothing != "kneser-ney" else 1):  # Kneser-Ney uses its own
            live = counts[m] > 0
            self._ctx_count.append(
                np.bincount(prefix[m][live], weights=counts[m][live], minlength=n_rows[m - 1]).astype(
                    np.int64
                )
            )

        if self.smoothing == "kneser-ney":
            self._fit_kneser_ney(counts, prefix, n_rows)

    def _fit_kneser_ney(self, counts: list[np.ndarray], prefix: list[np.ndarray], n_rows: list[int]) -> None:
        n, R = self.order, self._R
        adj: list[np.ndarray] = [np.zeros(0, np.int64)] * (n + 1)
        adj[n] = counts[n]
        for m in range(n - 1, 0, -1):
            live = counts[m + 1] > 0
            suffix = self._keys[m + 1][live] // R
            a = np.bincount(suffix, minlength=n_rows[m])
            if m >= 2:  # n-grams that start with <s> keep their raw counts
                starts_bos = (self._keys[m] % R) == self._bos
                a = np.where(starts_bos, counts[m], a)
            adj[m] = a
        # Rows that start with two <s> only repeat, with the same counts, the row one order down
        # that starts with a single <s> (sentence starts are padded with order-1 <s>). They are
        # left out of the count-of-counts, and as contexts they pass the lower order through, so
        # a sentence start is modelled as with a single <s> (as SRILM and KenLM do).
        first = [np.zeros(0, np.int64), np.arange(R)] + [k % R for k in self._keys[2:]]
        double_bos = [np.zeros(0, bool), np.zeros(R, bool)]
        for m in range(2, n + 1):
            second = first[m - 1][self._keys[m] // R]
            double_bos.append((first[m] == self._bos) & (second == self._bos))
        disc = np.zeros((n, 3))
        for m in range(1, n + 1):
            a = adj[m]
            coc = np.bincount(a[(a > 0) & ~double_bos[m]], minlength=5)[1:5]
            disc[m - 1] = modified_kn_discounts(coc)
        if self._fixed_discounts is not None:
            disc = self._fixed_discounts.copy()
        self.discounts = disc
        self._adj = adj
        # per order m: discount lookup table by min(a, 3); context totals and gamma numerators
        self._dtab = [np.zeros(4)] + [np.concatenate([[0.0], disc[m - 1]]) for m in range(1, n + 1)]
        self._ctx_adj: list[np.ndarray] = []
        self._ctx_gamma: list[np.ndarray] = []
        for m in range(1, n + 1):
            a = adj[m]
            live = a > 0
            d = self._dtab[m][np.minimum(a[live], 3)]
            if m == 1:
                self._ctx_adj.append(np.array([a.sum()], dtype=np.float64))
                self._ctx_gamma.append(np.array([d.sum()]))
            else:
                pre = prefix[m][live]
                tot = np.bincount(pre, weights=a[live], minlength=n_rows[m - 1])
                tot[double_bos[m - 1]] = 0.0  # unseen-context rule: P_m = P_{m-1}
                self._ctx_adj.append(tot)
                self._ctx_gamma.append(np.bincount(pre, weights=d, minlength=n_rows[m - 1]))

    # -- lookups ---------------------------------------------------------------------------------

    def _lookup(self, m: int, base: np.ndarray, first: np.ndarray | int) -> np.ndarray:
        """Row of the order-m n-gram (first word, then the (m-1)-gram at row ``base``); -1 if absent."""
        table = self._keys[m]
        out = np.full(np.shape(base), -1, dtype=np.int64)
        if table.size == 0:
            return out
        ok = np.flatnonzero(base >= 0)
        key = base[ok] * self._R + (first[ok] if np.ndim(first) else first)
        order = np.argsort(key)  # sorted needles make searchsorted about twice as fast
        key = key[order]
        pos = np.minimum(np.searchsorted(table, key), table.size - 1)
        hit = table[pos] == key
        out[ok[order[hit]]] = pos[hit]
        return out

    def _rows_for_stream(self, stream: np.ndarray, pred: np.ndarray, keep: np.ndarray):
        """Per order m, the row of the m-gram ending at each predicted token and of its context."""
        n = self.order
        idx = np.full(stream.size, -1, dtype=np.int64)
        idx[keep] = stream[keep]
        entries = [np.zeros(0, np.int64), idx[pred]]
        ctxs = [np.zeros(pred.size, dtype=np.int64)]
        for m in range(2, n + 1):
            ctxs.append(idx[pred - 1])
            pos = keep if m < n else pred
            new = np.full(stream.size, -1, dtype=np.int64)
            new[pos] = self._lookup(m, idx[pos], stream[pos - m + 1])
            idx = new
            entries.append(idx[pred])
        return entries, ctxs

    def _context_ids(self, context: Sequence[str] | None) -> np.ndarray:
        """The context as ``order - 1`` ids, left-padded with ``<s>``."""
        if context is None:
            context = ()
        if isinstance(context, (str, bytes)) or not isinstance(context, Sequence):
            raise TypeError(
                "context must be a list of words (oldest first), "
                f"got {type(context).__name__} {context!r:.60}"
            )
        if len(context) > self.order - 1:
            raise ValueError(
                f"context has {len(context)} words but a {self.order}-gram model uses at most "
                f"order-1 = {self.order - 1}: {list(context)!r:.80}"
            )
        ids = []
        for w in context:
            if not isinstance(w, str):
                raise TypeError(f"context words must be str, got {type(w).__name__} {w!r}")
            if w == BOS:
                if ids and ids[-1] != self._bos:
                    raise ValueError(
                        f"{BOS!r} may only appear at the start of a context, got {list(context)}"
                    )
                ids.append(self._bos)
            else:
                ids.append(self._index.get(w, self._unk))
        ids = [self._bos] * (self.order - 1 - len(ids)) + ids
        return np.asarray(ids, dtype=np.int64)

    def _rows_for_context(self, ctx: np.ndarray, words: np.ndarray):
        """Rows of (context, w) for each candidate id in ``words`` (W,), per order."""
        n = self.order
        W = words.size
        entries = [np.zeros(0, np.int64), words.astype(np.int64)]
        ctxs = [np.zeros(W, dtype=np.int64)]
        c_row = np.array([ctx[-1]]) if n >= 2 else None
        for m in range(2, n + 1):
            if m > 2:  # context of length m-1: ctx[-(m-1)] then the length m-2 context
                c_row = self._lookup(m - 1, c_row, ctx[-(m - 1)])
            ctxs.append(np.broadcast_to(c_row, (W,)))
            entries.append(self._lookup(m, entries[-1], ctx[-(m - 1)]))
        return entries, ctxs

    # -- probabilities ---------------------------------------------------------------------------

    def _probs(self, entries: list[np.ndarray], ctxs: list[np.ndarray], components: bool = False):
        """P(w | h) for rows given per order; (N,) — or (N, order+1) per-order MLEs if ``components``."""
        n, V, sm = self.order, len(self._vocab), self.smoothing
        N = entries[1].size
        if sm == "add-k":
            c = _gather(self._count[n], entries[n]).astype(np.float64)
            tot = _gather(self._ctx_count[n - 1], ctxs[n - 1]).astype(np.float64)
            return (c + self.k) / (tot + self.k * V)
        p = np.full(N, 1.0 / V)
        comps = [p]
        with np.errstate(divide="ignore", invalid="ignore"):
            for m in range(1, n + 1):
                h, e = ctxs[m - 1], entries[m]
                if sm == "kneser-ney":
                    tot = _gather(self._ctx_adj[m - 1], h)
                    a = _gather(self._adj[m], e)
                    d = self._dtab[m][np.minimum(a, 3)]
                    gam = _gather(self._ctx_gamma[m - 1], h)
                    p = np.where(tot > 0, (np.maximum(a - d, 0.0) + gam * p) / tot, p)
                else:
                    tot = _gather(self._ctx_count[m - 1], h)
                    c = _gather(self._count[m], e)
                    p = np.where(tot > 0, c / tot, p)
                    comps.append(p)
        if sm == "interpolated":
            stacked = np.stack(comps, axis=1)
            return stacked if components else stacked @ self.lambdas
        return p

    def prob(self, word: str, context: Sequence[str] | None = ()) -> float:
        """P(word | context); ``context`` is the preceding words, oldest first (see module docstring)."""
        self._require_fit()
        if not isinstance(word, str):
            raise TypeError(f"word must be a str, got {type(word).__name__} {word!r}")
        if word == BOS:
            raise ValueError(f"{BOS!r} is padding and is never predicted; ask for a word or {EOS!r}")
        ctx = self._context_ids(context)
        wid = np.array([self._index.get(word, self._unk)], dtype=np.int64)
        return float(self._probs(*self._rows_for_context(ctx, wid))[0])

    def logprob(self, word: str, context: Sequence[str] | None = (), *, base: float = math.e) -> float:
        """log P(word | context), natural log by default; ``base=2`` gives bits. ``-inf`` for zero."""
        b = _check_base(base)
        p = self.prob(word, context)
        return -math.inf if p == 0.0 else math.log(p) / b

    def distribution(self, context: Sequence[str] | None = ()) -> np.ndarray:
        """P(w | context) for every w in :attr:`vocab`: float64 array of shape (V,), summing to one."""
        self._require_fit()
        ctx = self._context_ids(context)
        return self._probs(*self._rows_for_context(ctx, np.arange(len(self._vocab))))

    def score(self, sentences: Iterable[Sequence[str]], *, base: float = math.e) -> np.ndarray:
        """Log-probability of every predicted token (words and ``<eos>``, not ``<s>``), shape (N,).

        ``N = sum(len(s) + 1)``, in sentence order. Natural log unless ``base`` (e.g. 2 for bits).
        Zero-probability tokens (MLE, unseen n-grams) give ``-inf``.
        """
        self._require_fit()
        b = _check_base(base)
        sents = _check_sentences(sentences)
        if not sents:
            return np.zeros(0)
        stream, pred, keep = self._encode(sents)
        p = self._probs(*self._rows_for_stream(stream, pred, keep))
        with np.errstate(divide="ignore"):
            lp = np.log(p)
        return lp / b if b != 1.0 else lp

    def perplexity(self, sentences: Iterable[Sequence[str]]) -> float:
        """``exp(-mean log P)`` over all predicted tokens incl. ``<eos>``; ``inf`` if one has P = 0."""
        lp = self.score(sentences)
        if lp.size == 0:
            raise ValueError("cannot compute the perplexity of an empty test set (no sentences)")
        return _perplexity_from_logprobs(lp)

    def cross_entropy(self, sentences: Iterable[Sequence[str]], *, base: float = 2.0) -> float:
        """Mean negative log-probability per token (bits by default); ``perplexity = base ** H``."""
        lp = self.score(sentences, base=base)
        if lp.size == 0:
            raise ValueError("cannot compute the cross-entropy of an empty test set (no sentences)")
        return float(-lp.mean())

    # -- interpolation weights -------------------------------------------------------------------

    def tune_lambdas(
        self, heldout: Iterable[Sequence[str]], *, max_iter: int = 200, tol: float = 1e-7
    ) -> np.ndarray:
        """Fit the interpolation weights by EM on held-out sentences; sets and returns ``lambdas`` (order+1,).

        Each EM step cannot lower the held-out likelihood; it stops when no weight moves more
        than ``tol``.
        """
        self._require_fit()
        if self.smoothing != "interpolated":
            raise ValueError(
                f"tune_lambdas needs smoothing='interpolated', this model uses {self.smoothing!r}"
            )
        if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
            raise ValueError(f"max_iter must be an int >= 1, got {max_iter!r}")
        sents = _check_sentences(heldout, "heldout")
        if not sents:
            raise ValueError("cannot tune lambdas on an empty held-out set")
        stream, pred, keep = self._encode(sents)
        comps = self._probs(*self._rows_for_stream(stream, pred, keep), components=True)  # (N, n+1)
        lam = np.full(self.order + 1, 1.0 / (self.order + 1))
        for _ in range(max_iter):
            weighted = comps * lam
            post = weighted / weighted.sum(axis=1, keepdims=True)
            new = post.mean(axis=0)
            done = np.abs(new - lam).max() < tol
            lam = new
            if done:
                break
        self.lambdas = lam / lam.sum()
        return self.lambdas.copy()

    # -- sampling --------------------------------------------------------------------------------

    def generate(
        self,
        max_len: int = 30,
        rng: np.random.Generator | int | None = None,
        *,
        context: Sequence[str] | None = (),
    ) -> list[str]:
        """Sample one sentence: words drawn from P(w | last order-1 words) until ``<eos>`` or ``max_len``.

        ``rng`` is a ``numpy.random.Generator`` or an int seed (same seed, same sentence); ``context``
        starts the sentence (its words are not returned). Returns the words, without ``<eos>``.
        """
        self._require_fit()
        if isinstance(max_len, bool) or not isinstance(max_len, numbers.Integral) or max_len < 0:
            raise ValueError(f"max_len must be an int >= 0, got {max_len!r}")
        gen = _check_rng(rng)
        ctx = [int(i) for i in self._context_ids(context)]  # order-1 ids; [] for a unigram model
        out: list[str] = []
        all_words = np.arange(len(self._vocab))
        for _ in range(int(max_len)):
            p = self._probs(*self._rows_for_context(np.asarray(ctx, dtype=np.int64), all_words))
            cdf = np.cumsum(p)
            w = int(np.searchsorted(cdf, gen.random() * cdf[-1], side="right"))
            w = min(w, len(self._vocab) - 1)
            if w == self._eos:
                break
            out.append(self._vocab[w])
            if ctx:
                ctx = ctx[1:] + [w]
        return out

    # -- counts and memory -----------------------------------------------------------------------

    def _row_of(self, ids: Sequence[int]) -> int:
        row = int(ids[-1])
        for j in range(2, len(ids) + 1):
            row = int(self._lookup(j, np.array([row]), int(ids[-j]))[0])
            if row < 0:
                return -1
        return row

    def count(self, ngram: Sequence[str]) -> int:
        """How often ``ngram`` (1 to order words; may start with ``<s>``) was predicted in training."""
        self._require_fit()
        if isinstance(ngram, (str, bytes)) or not isinstance(ngram, Sequence):
            raise TypeError(f"ngram must be a sequence of words, got {type(ngram).__name__} {ngram!r:.60}")
        if not 1 <= len(ngram) <= self.order:
            raise ValueError(f"ngram must have 1 to {self.order} words, got {len(ngram)}")
        for w in ngram:
            if not isinstance(w, str):
                raise TypeError(f"ngram words must be str, got {type(w).__name__} {w!r}")
        ids = [self._bos if w == BOS else self._index.get(w, -1) for w in ngram]
        if -1 in ids:
            return 0
        row = self._row_of(ids)
        return 0 if row < 0 else int(self._count[len(ngram)][row])

    def _decode(self, m: int, row: int) -> tuple[str, ...]:
        words = []
        while m >= 2:
            key = int(self._keys[m][row])
            words.append(key % self._R)
            row, m = key // self._R, m - 1
        words.append(row)
        return tuple(BOS if i == self._bos else self._vocab[i] for i in words)

    def most_common(self, n: int, top: int = 10) -> list[tuple[tuple[str, ...], int]]:
        """The ``top`` most frequent n-grams of order ``n`` with their counts, most frequent first."""
        self._require_fit()
        n = _check_order(n, what="n")
        if n > self.order:
            raise ValueError(f"n must be <= order = {self.order}, got {n}")
        c = self._count[n]
        rows = np.argsort(-c, kind="stable")[:top]
        return [(self._decode(n, int(r)), int(c[r])) for r in rows if c[r] > 0]

    def report(self) -> list[dict]:
        """Memory per order: a list of ``{"order": m, "ngrams": int, "bytes": int}`` rows, unigram first.

        ``ngrams`` counts the distinct order-m n-grams seen in training; ``bytes`` is the ``nbytes``
        of every array indexed by them (keys, counts, context totals, Kneser-Ney statistics).
        """
        self._require_fit()
        rows = []
        for m in range(1, self.order + 1):
            arrays = [self._count[m], self._keys[m]]
            if self.smoothing == "kneser-ney":
                arrays += [self._adj[m], self._ctx_adj[m - 1], self._ctx_gamma[m - 1]]
            else:
                arrays.append(self._ctx_count[m - 1])
            unique = {id(a): a for a in arrays if a is not None}  # adj and count may be one array
            rows.append(
                {
                    "order": m,
                    "ngrams": int(np.count_nonzero(self._count[m])),
                    "bytes": int(sum(a.nbytes for a in unique.values())),
                }
            )
        return rows

    @property
    def nbytes(self) -> int:
        """Bytes taken by all count arrays (the sum of :meth:`report`'s ``bytes``)."""
        return sum(r["bytes"] for r in self.report())

    def __repr__(self) -> str:
        extra = f", k={self.k}" if self.k is not None else ""
        state = f"V={len(self._vocab)}" if self._fitted else "not fitted"
        return f"NgramLM(order={self.order}, smoothing={self.smoothing!r}{extra}; {state})"


def _check_base(base: object) -> float:
    if isinstance(base, bool) or not isinstance(base, numbers.Real):
        raise TypeError(f"base must be a number > 1 (e.g. math.e or 2), got {type(base).__name__}")
    if not (math.isfinite(base) and base > 1):
        raise ValueError(f"base must be a finite number > 1 (e.g. math.e or 2), got {base}")
    return math.log(base)


# ----------------------------------------------------------------------------------------------
# command line: rnnlm ngram
# ----------------------------------------------------------------------------------------------


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``rnnlm ngram``: build an n-gram model on one file and report its perplexity on another."""
    p = subparsers.add_parser(
        "ngram",
        help="train an n-gram LM and report test perplexity",
        description="Train an n-gram language model on --train and print its perplexity on --test, "
        "the stored n-grams per order and their bytes. Files: one whitespace-tokenised sentence per line.",
    )
    p.add_argument("--train", required=True, help="training text file")
    p.add_argument("--test", required=True, help="test text file")
    p.add_argument("--order", type=int, default=3, help="n of the n-gram (default 3)")
    p.add_argument(
        "--smoothing", default="kneser-ney", help=f"one of {', '.join(SMOOTHINGS)} (default kneser-ney)"
    )
    p.add_argument("--k", type=float, default=None, help="k of add-k smoothing (default 1)")
    p.add_argument("--heldout", default=None, help="held-out file to tune the lambdas of 'interpolated'")
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    p.set_defaults(func=_cli_ngram)


def _cli_ngram(args: argparse.Namespace) -> int:
    from rnnlm.data import read_sentences

    t_start = time.perf_counter()
    model = NgramLM(args.order, args.smoothing, k=args.k)  # checks the options before reading files
    train = read_sentences(args.train)
    test = read_sentences(args.test)
    heldout = read_sentences(args.heldout) if args.heldout else None
    if heldout is not None and model.smoothing != "interpolated":
        raise ValueError(
            f"--heldout tunes the lambdas of 'interpolated' smoothing, not of {model.smoothing!r}"
        )
    t0 = time.perf_counter()
    model.fit(train)
    build_s = time.perf_counter() - t0
    if heldout is not None:
        model.tune_lambdas(heldout)
    t0 = time.perf_counter()
    lp = model.score(test)
    score_s = time.perf_counter() - t0
    if lp.size == 0:
        raise ValueError(f"the test file {args.test} has no sentences")
    ppl = _perplexity_from_logprobs(lp)
    zero = int(np.count_nonzero(np.isneginf(lp)))
    seconds = time.perf_counter() - t_start
    rows = model.report()
    tps = lp.size / score_s if score_s > 0 else math.inf

    name = model.smoothing + (f" (k={model.k:g})" if model.k is not None else "")
    print(
        f"{model.order}-gram {name}: V = {model.V}, "
        f"train {model.n_train_tokens} tokens, test {lp.size} tokens"
    )
    if math.isinf(ppl):
        print(
            f"perplexity: inf ({zero} of {lp.size} test tokens have probability zero; use a smoothed model)"
        )
    else:
        print(f"perplexity: {ppl:.2f}")
    if model.discounts is not None:
        print(
            "discounts (D1, D2, D3+) per order: "
            + "; ".join(
                f"{m}: " + ", ".join(f"{d:.3f}" for d in row)
                for m, row in enumerate(model.discounts, start=1)
            )
        )
    if model.lambdas is not None:
        print("lambdas (uniform, 1..n): " + ", ".join(f"{x:.3f}" for x in model.lambdas))
    print(f"{'order':>5} {'n-grams':>12} {'MiB':>9}")
    for r in rows:
        print(f"{r['order']:>5} {r['ngrams']:>12,} {r['bytes'] / 2**20:>9.2f}")
    total_ng, total_b = sum(r["ngrams"] for r in rows), sum(r["bytes"] for r in rows)
    print(f"{'all':>5} {total_ng:>12,} {total_b / 2**20:>9.2f}")
    print(f"build {build_s:.2f} s, score {score_s:.3f} s ({tps:,.0f} tokens/s), total {seconds:.2f} s")
    if args.json:
        out = {
            "perplexity": None if math.isinf(ppl) else ppl,
            "order": model.order,
            "smoothing": model.smoothing,
            "k": model.k,
            "vocab_size": model.V,
            "ngrams": total_ng,
            "ngrams_per_order": [r["ngrams"] for r in rows],
            "bytes": total_b,
            "bytes_per_order": [r["bytes"] for r in rows],
            "train_tokens": model.n_train_tokens,
            "test_tokens": int(lp.size),
            "zero_probability_tokens": zero,
            "build_seconds": build_s,
            "score_seconds": score_s,
            "tokens_per_second": None if math.isinf(tps) else tps,
            "seconds": seconds,
        }
        if model.discounts is not None:
            out["discounts"] = model.discounts.tolist()
        if model.lambdas is not None:
            out["lambdas"] = model.lambdas.tolist()
        print(json.dumps(out))
    return 0


__all__ = [
    "BOS",
    "EOS",
    "SMOOTHINGS",
    "UNK",
    "NgramLM",
    "NotFittedError",
    "modified_kn_discounts",
    "ngrams",
    "pad_sentence",
    "perplexity_from_logprobs",
    "register_cli",
]
