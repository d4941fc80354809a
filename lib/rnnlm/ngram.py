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

*ARPA files.* :meth:`NgramLM.to_arpa` writes the backoff form of a model (``rnnlm ngram ... --arpa
FILE`` too) and :meth:`NgramLM.from_arpa` reads one back into a model with the same scoring API
(``smoothing == "arpa"``: ``P(w|h) = p(h w)`` if listed, else ``bow(h) P(w|h')``). A standard reader
(KenLM, SRILM) computes from the file the kit's probability for every context. Names: the kit's
``<eos>`` is ARPA's ``</s>``, ``<unk>`` is ``<unk>``; the kit's ``order - 1`` start symbols are the
single ``<s>`` an ARPA reader puts before a sentence (the same probabilities: the kit models a
sentence start as with one ``<s>``, see Kneser-Ney above; under MLE, add-k and interpolation the
counts after several ``<s>`` are those after one), so KenLM's ``score(sentence, bos=True, eos=True)``
scores the tokens :meth:`NgramLM.score` does. log10 values are written with 7 decimals (probabilities
within about 2e-7, relative); a zero is written ``-99`` (KenLM rejects ``-inf`` backoff weights),
which :meth:`~NgramLM.from_arpa` reads as zero and KenLM and SRILM as 1e-99. Per smoothing:

- ``"kneser-ney"``: exact, the size of the count tables. Listed: the n-grams with ``a > 0``, with
  ``P_m(w|h)``; ``bow(h) = gamma(h) / a(h .)``.
- ``"mle"``: the n-grams seen in training with ``c(h w) / c(h .)``; every seen context has
  ``bow = 0``, an unseen one backs off (the longest-seen-suffix rule). Exact for the kit's reader;
  KenLM and SRILM give ``1e-99`` times the lower order where the kit gives 0 (perplexity ``inf``).
- ``"add-k"``: exact, the size of the count tables. The highest order lists the seen n-grams with
  ``(c + k) / (c(h .) + k V)`` and ``bow(h) = k V / (c(h .) + k V)``; every lower-order n-gram and
  unigram gives ``1/V`` (an unseen context's add-k value), except those that start with ``<s>``
  (sentence starts), which hold add-k of their own order.
- ``"interpolated"``: exact, but large from order 3. The kit moves an unseen context's weight onto
  the next lower MLE, which a backoff (a rescaled lower order) cannot express, so under every seen
  context ``g`` each word seen after the last word of ``g`` gets its own line (with the kit's value
  for a context whose longest seen suffix is ``g``); ``bow = lambda_0 + lambda_1`` for one-word
  contexts, 1 above; a word never seen as a context (``<eos>``, an absent ``<unk>``) lists every
  word. Order 2 is about the size of the counts, but order 3 on PTB would need 136 million n-grams:
  :meth:`~NgramLM.to_arpa` raises ``ValueError`` beyond ``max_ngrams`` (default 5 million).

Shapes in docstrings: V vocabulary size, N number of scored tokens.
"""

from __future__ import annotations

import argparse
import array
import gc
import itertools
import json
import math
import numbers
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnnlm._exercise import exercise
from rnnlm.data import BOS, EOS, UNK  # the kit's special tokens: "<s>", "<eos>", "<unk>"

#: accepted smoothing names ("laplace" is add-k with k = 1)
SMOOTHINGS = ("mle", "add-k", "laplace", "interpolated", "kneser-ney")

_FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)

#: ARPA spellings of the sentence markers and the unknown word (the kit's ``<s>``, ``<eos>``, ``<unk>``)
ARPA_BOS, ARPA_EOS, ARPA_UNK = "<s>", "</s>", "<unk>"
#: log10 of zero in an ARPA file (SRILM's spelling; KenLM rejects ``-inf`` backoff weights)
ARPA_ZERO = -99.0
#: :meth:`NgramLM.to_arpa` refuses to write more n-grams than this unless told otherwise
ARPA_MAX_NGRAMS = 5_000_000


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


def _gather(values: np.ndarray, idx: np.ndarray, default: float = 0) -> np.ndarray:
    """``values[idx]`` where ``idx >= 0``, else ``default`` (idx -1 marks 'not stored')."""
    if values.size == 0:
        return np.full(idx.shape, default, dtype=np.result_type(values.dtype, type(default)))
    return np.where(idx >= 0, values[idx], default)


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

    def _require_counts(self, what: str) -> None:
        if self.smoothing == "arpa":
            raise ValueError(f"{what} needs counts; this model was read from an ARPA file, which holds none")

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
        if self.smoothing == "arpa":
            raise ValueError(
                "a model read from an ARPA file holds probabilities, not counts: it cannot be fitted"
            )
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
        # the context tables for scoring end in one "not stored" element (0) that row -1 reads, so
        # lookups need no masking; _ctx_adj and _ctx_gamma are views of them without it
        self._kn_tot = [np.append(t, 0.0) for t in self._ctx_adj]
        self._kn_gam = [np.append(g, 0.0) for g in self._ctx_gamma]
        self._ctx_adj = [t[:-1] for t in self._kn_tot]
        self._ctx_gamma = [g[:-1] for g in self._kn_gam]

    # -- lookups ---------------------------------------------------------------------------------

    def _lookup(self, m: int, base: np.ndarray, first: np.ndarray | int) -> np.ndarray:
        """Row of the order-m n-gram (first word, then the (m-1)-gram at row ``base``); -1 if absent."""
        out = np.full(np.shape(base), -1, dtype=np.int64)
        where, rows = self._find(m, base, first)
        out[where] = rows
        return out

    def _find(self, m: int, base: np.ndarray, first: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
        """The order-m n-grams (first word, then the (m-1)-gram at row ``base``, both (L,)) that are stored.

        Returns ``(where, rows)``: the positions in ``base`` found, and their rows, in increasing row
        order (so that reading per-row tables at ``rows`` walks them forward: few cache misses).
        """
        table = self._keys[m]
        if table.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        ok = np.flatnonzero(base >= 0)
        if ok.size == np.size(base):
            key = base * self._R + first
        else:
            key = base[ok] * self._R + (first[ok] if np.ndim(first) else first)
        # sorted needles make searchsorted about twice as fast; when the key and its position fit
        # in 63 bits together, one sort of (key, position) is three times faster than an argsort
        bits = max(int(key.size - 1).bit_length(), 1)
        if (int(self._keys[m - 1].size if m > 2 else self._R) * self._R) >> (63 - bits) == 0:
            packed = np.sort((key << bits) | np.arange(key.size))
            order, key = packed & ((1 << bits) - 1), packed >> bits
        else:
            order = np.argsort(key)
            key = key[order]
        pos = np.minimum(np.searchsorted(table, key), table.size - 1)
        hit = table[pos] == key
        where = order[hit] if ok.size == np.size(base) else ok[order[hit]]
        return where, pos[hit]

    def _stream_probs(self, stream: np.ndarray, pred: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """P of every predicted token (N,), Kneser-Ney and ARPA models: :meth:`_probs` fused with lookups.

        The same arithmetic as :meth:`_probs` (bit for bit), but every per-row table is read in row
        order right after the lookup that finds the rows, instead of later in token order: the
        tables of a large model do not fit in the CPU caches, and reading them forward saves
        about a fifth of the scoring time. The context tables end in one "not stored" element
        (Kneser-Ney: 0, 0; ARPA: bow 1), read by rows that were not found.
        """
        n, V = self.order, len(self._vocab)
        kn = self.smoothing == "kneser-ney"
        # per order m and row: the value as a context (KN: a(h .) and gamma(h); ARPA: bow(h))
        ctx = list(zip(self._kn_tot, self._kn_gam, strict=True)) if kn else [(b,) for b in self._bw]

        def entry(m: int, where: np.ndarray, rows: np.ndarray, size: int) -> np.ndarray:
            """The value of each order-m n-gram as a prediction: max(a - D, 0) (KN) or p (NaN: unlisted)."""
            if not kn:
                ev = np.full(size, np.nan)
                ev[where] = self._bp[m][rows]
                return ev
            a = np.zeros(size, dtype=np.int64)
            a[where] = self._adj[m][rows]
            return np.maximum(a - self._dtab[m][np.minimum(a, 3)], 0.0)

        words = stream[pred]
        p = entry(1, np.arange(pred.size), words, pred.size)
        if kn:
            p = (p + self._kn_gam[0][0] * np.full(pred.size, 1.0 / V)) / self._kn_tot[0][0]
        if n == 1:
            return p
        K = keep.size
        at_pred = np.searchsorted(keep, pred)  # index in keep of each predicted position
        at_prev = at_pred - 1  # ... and of the position before it: the end of its context
        cur = stream[keep]  # the row of the order-1 n-gram ending at each keep position
        cval = [c[cur] for c in ctx[1]]  # its value(s) as a context
        with np.errstate(divide="ignore", invalid="ignore"):
            for m in range(2, n + 1):
                top = m == n
                base = cur[at_pred] if top else cur
                where, rows = self._find(m, base, stream[(pred if top else keep) - m + 1])
                ev = entry(m, where, rows, base.size)
                if not top:
                    ev = ev[at_pred]
                cv = [c[at_prev] for c in cval]  # the context: the (m-1)-gram one position earlier
                if kn:  # (max(a - D, 0) + gamma p) / a(h .)
                    p = np.where(cv[0] > 0, (ev + cv[1] * p) / cv[0], p)
                else:  # listed ? p(h w) : bow(h) P(w | h')
                    p = np.where(np.isnan(ev), cv[0] * p, ev)
                if not top:
                    cur = np.full(K, -1, dtype=np.int64)
                    cur[where] = rows
                    cval = []
                    for table in ctx[m]:
                        c = np.full(K, table[-1])
                        c[where] = table[rows]
                        cval.append(c)
        return p

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

    def _probs(
        self,
        entries: list[np.ndarray],
        ctxs: list[np.ndarray],
        components: bool = False,
        upto: int | None = None,
    ):
        """P(w | h) for rows given per order; (N,) — or (N, order+1) per-order MLEs if ``components``.

        ``upto`` (default ``order``) evaluates the model as if its order were ``upto``: the value the
        model uses when every context longer than ``upto - 1`` words is unseen (interpolation then
        puts the weights of the higher orders on the order-``upto`` MLE); add-k gives its formula with
        order-``upto`` counts. :meth:`to_arpa` writes these lower-order values.
        """
        n, V, sm = self.order if upto is None else upto, len(self._vocab), self.smoothing
        N = entries[1].size
        if sm == "arpa":
            return self._backoff_probs(entries, ctxs, n)
        if sm == "add-k":
            c = _gather(self._count[n], entries[n]).astype(np.float64)
            tot = _gather(self._ctx_count[n - 1], ctxs[n - 1]).astype(np.float64)
            return (c + self.k) / (tot + self.k * V)
        p = np.full(N, 1.0 / V)
        comps = [p]
        with np.errstate(divide="ignore", invalid="ignore"):
            for m in range(1, n + 1):
                h, e = ctxs[m - 1], entries[m]
                if sm == "kneser-ney":  # (max(a - D, 0) + gamma p) / a(h .), as in the module docstring
                    tot = self._kn_tot[m - 1][h]  # row -1 reads the last element, 0
                    a = _gather(self._adj[m], e)
                    num = np.maximum(a - self._dtab[m][np.minimum(a, 3)], 0.0)
                    p = np.where(tot > 0, (num + self._kn_gam[m - 1][h] * p) / tot, p)
                else:
                    tot = _gather(self._ctx_count[m - 1], h)
                    c = _gather(self._count[m], e)
                    p = np.where(tot > 0, c / tot, p)
                    comps.append(p)
        if sm == "interpolated":
            stacked = np.stack(comps, axis=1)
            if components:
                return stacked
            lam = self.lambdas
            if n < self.order:  # unseen higher-order contexts: their weights go to the order-n MLE
                lam = np.concatenate([lam[:n], [lam[n:].sum()]])
            return stacked @ lam
        return p

    def _backoff_probs(self, entries: list[np.ndarray], ctxs: list[np.ndarray], n: int) -> np.ndarray:
        """Backoff probabilities of a model read from an ARPA file, (N,).

        ``P(w | h) = p(h w)`` if the n-gram ``h w`` is listed, else ``bow(h) P(w | h')`` with ``h'``
        the context without its oldest word and ``bow(h) = 1`` for an unlisted context.
        """
        p = self._bp[1][entries[1]]
        for m in range(2, n + 1):
            listed = _gather(self._bp[m], entries[m], np.nan)  # NaN: not listed
            bow = _gather(self._bw[m - 1], ctxs[m - 1], 1.0)
            p = np.where(np.isnan(listed), bow * p, listed)
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
        if self.smoothing in ("kneser-ney", "arpa"):
            p = self._stream_probs(stream, pred, keep)
        else:
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
        self._require_counts("count")
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
        self._require_counts("most_common")
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
        if self.smoothing == "arpa":  # listed n-grams; bytes of keys, probabilities, backoff weights
            for m in range(1, self.order + 1):
                listed = int(np.count_nonzero(~np.isnan(self._bp[m]))) - (1 if m == 1 else 0)  # not <s>
                arrays = [a for a in (self._keys[m], self._bp[m], self._bw[m]) if a is not None]
                rows.append({"order": m, "ngrams": listed, "bytes": int(sum(a.nbytes for a in arrays))})
            return rows
        for m in range(1, self.order + 1):
            arrays = [self._count[m], self._keys[m]]
            if self.smoothing == "kneser-ney":
                arrays += [self._adj[m], self._kn_tot[m - 1], self._kn_gam[m - 1]]
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

    # -- ARPA files ------------------------------------------------------------------------------

    def _arpa_names(self) -> np.ndarray:
        """ARPA spelling of every id, (V + 1,) strings: the vocabulary, then ``<s>`` (id V)."""
        names = []
        for w in self._vocab:
            if w == EOS:
                names.append(ARPA_EOS)
                continue
            if w == ARPA_EOS:
                raise ValueError(
                    f"the vocabulary has a word spelled {ARPA_EOS!r}, the ARPA end-of-sentence marker "
                    f"the kit writes for {EOS!r}: the two cannot be told apart in an ARPA file"
                )
            if not w or any(c.isspace() for c in w):
                raise ValueError(f"an ARPA file cannot hold the word {w!r}: words are non-empty, no spaces")
            names.append(w)
        names.append(ARPA_BOS)
        return np.array(names, dtype=np.dtypes.StringDType())

    def _arpa_tables(self, max_ngrams: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per order m (unigram first): ARPA text of each n-gram (L_m,), log10 P (L_m,), log10 bow (L_m,).

        A NaN backoff weight means none is written (1, the n-gram is no context of a listed one).
        """
        n, R, V, bos, sm = self.order, self._R, len(self._vocab), self._bos, self.smoothing
        names = self._arpa_names()
        keys = self._keys
        first: list[np.ndarray] = [np.zeros(0, np.int64), np.arange(R)]
        first += [keys[m] % R for m in range(2, n + 1)]
        suffix: list[np.ndarray] = [np.zeros(0, np.int64), np.zeros(0, np.int64)]
        suffix += [keys[m] // R for m in range(2, n + 1)]
        double_bos = [np.zeros(0, bool), np.zeros(R, bool)]
        for m in range(2, n + 1):
            double_bos.append((first[m] == bos) & (first[m - 1][suffix[m]] == bos))
        # the words of every stored n-gram, built from the suffix: text_m = first word + text_{m-1}
        texts = [np.zeros(0, dtype=names.dtype), names]
        for m in range(2, n + 1):
            texts.append(np.strings.add(np.strings.add(names[first[m]], " "), texts[m - 1][suffix[m]]))

        if sm == "arpa":  # a model read from a file: write what it holds
            out = []
            for m in range(1, n + 1):
                rows = np.flatnonzero(~np.isnan(self._bp[m]))
                with np.errstate(divide="ignore"):
                    lp = np.log10(self._bp[m][rows])
                    bw = np.log10(self._bw[m][rows]) if m < n else np.full(rows.size, np.nan)
                bw[bw == 0] = np.nan
                out.append((texts[m][rows], lp, bw))
            return out

        # the first m-1 words of every stored m-gram, as a row of order m-1 (its context)
        prefix = [np.zeros(0, np.int64), np.zeros(0, np.int64)]
        if n >= 2:
            prefix.append(first[2])
        for m in range(3, n + 1):
            prefix.append(self._lookup(m - 1, prefix[m - 1][suffix[m]], first[m]))

        if sm == "interpolated":
            return self._arpa_interpolated(max_ngrams, names, texts, first, suffix, double_bos)

        out = []
        total = 0
        for m in range(1, n + 1):
            if m == 1:
                rows = np.arange(R)  # every word, and <s>
                h = np.zeros(R, dtype=np.int64)
            else:
                cnt = self._adj[m] if sm == "kneser-ney" else self._count[m]
                rows = np.flatnonzero((cnt > 0) & ~double_bos[m])
                h = prefix[m][rows]
            total += rows.size
            if total > max_ngrams:
                raise ValueError(f"the ARPA file would hold more than max_ngrams={max_ngrams:,} n-grams")
            entries, ctxs = self._chains(m, h, rows=rows)
            starts_bos = first[m][rows] == bos
            if sm == "add-k" and m < n:
                # below the highest order only sentence starts ("<s> ...") are full-context values;
                # every other lower-order n-gram is a backoff target and gives the uniform 1/V
                p = np.full(rows.size, 1.0 / V)
                if starts_bos.any():
                    sub = [e[starts_bos] if e.size else e for e in entries], [c[starts_bos] for c in ctxs]
                    p[starts_bos] = self._probs(*sub, upto=m)
            else:
                p = self._probs(entries, ctxs, upto=m)
            if m == 1:
                p[bos] = 0.0  # <s> is never predicted (written as -99)
            bw = np.full(rows.size, np.nan)
            if m < n:
                with np.errstate(divide="ignore", invalid="ignore"):
                    if sm == "kneser-ney":
                        tot = self._ctx_adj[m][rows]
                        ok = tot > 0
                        bw[ok] = self._ctx_gamma[m][rows][ok] / tot[ok]
                    elif sm == "mle":
                        bw[self._ctx_count[m][rows] > 0] = 0.0  # a seen context never backs off
                    else:  # add-k
                        c = self._ctx_count[m][rows].astype(np.float64)
                        ok = (c > 0) & ((m == n - 1) | starts_bos)
                        bw[ok] = self.k * V / (c[ok] + self.k * V)
            with np.errstate(divide="ignore"):
                out.append((texts[m][rows], np.log10(p), np.log10(bw)))
        return out

    def _arpa_interpolated(
        self,
        max_ngrams: int,
        names: np.ndarray,
        texts: list[np.ndarray],
        first: list[np.ndarray],
        suffix: list[np.ndarray],
        double_bos: list[np.ndarray],
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The exact backoff form of Jelinek-Mercer interpolation (see :meth:`to_arpa`)."""
        n, R, V, bos = self.order, self._R, len(self._vocab), self._bos
        lam = self.lambdas
        low = float(lam[0] + lam[1])  # weight of (uniform + unigram) once every higher MLE is zero
        # bigram successors of every word, as CSR: succ_w[succ_ptr[x]:succ_ptr[x+1]]
        live2 = self._count[2] > 0 if n >= 2 else np.zeros(0, bool)
        succ_x = first[2][live2] if n >= 2 else np.zeros(0, np.int64)
        succ_w = suffix[2][live2] if n >= 2 else np.zeros(0, np.int64)
        o = np.argsort(succ_x, kind="stable")
        succ_x, succ_w = succ_x[o], succ_w[o]
        n_succ = np.bincount(succ_x, minlength=R)
        succ_ptr = np.concatenate([[0], np.cumsum(n_succ)])
        last = [np.zeros(0, np.int64), np.arange(R)]
        for m in range(2, n + 1):
            last.append(last[m - 1][suffix[m]])
        unseen = np.flatnonzero(self._ctx_count[1][:V] == 0) if n >= 2 else np.zeros(0, np.int64)
        # contexts g of order m-1 seen in training: (g w) for every bigram successor w of g's last word
        ctx_rows = [np.zeros(0, np.int64), np.zeros(0, np.int64)]
        for m in range(2, n + 1):
            ctx_rows.append(np.flatnonzero((self._ctx_count[m - 1] > 0) & ~double_bos[m - 1]))
        sizes = [R] + [int(n_succ[last[m - 1][ctx_rows[m]]].sum()) for m in range(2, n + 1)]
        if n >= 2:
            sizes[1] += unseen.size * V
        if sum(sizes) > max_ngrams:
            raise ValueError(
                f"'interpolated' (Jelinek-Mercer) smoothing of order {n} has no compact backoff form: the "
                "kit gives an unseen context's weight to the next lower order's MLE, so an exact ARPA file "
                "lists, under every seen context, every word seen after its last word: "
                f"{sum(sizes):,} n-grams here (per order {', '.join(f'{s:,}' for s in sizes)}), more than "
                f"max_ngrams={max_ngrams:,}. Write a 'kneser-ney', 'add-k' or 'mle' model, an interpolated "
                "model of order <= 2, or raise max_ngrams"
            )
        out = []
        rows = np.arange(R)
        entries, ctxs = self._chains(1, np.zeros(R, np.int64), rows=rows)
        if n == 1:
            p = self._probs(entries, ctxs)
        else:
            comps = self._probs(entries, ctxs, components=True, upto=1)  # (R, 2)
            p = comps @ lam[:2] / low if low > 0 else np.full(R, 1.0 / V)
        p[bos] = 0.0
        bw = np.full(R, np.nan)
        if n >= 2:
            bw[self._ctx_count[1] > 0] = low
        with np.errstate(divide="ignore"):
            out.append((texts[1], np.log10(p), np.log10(bw)))
        for m in range(2, n + 1):
            g = ctx_rows[m]
            cnt = n_succ[last[m - 1][g]]
            h = np.repeat(g, cnt)
            start = np.repeat(succ_ptr[last[m - 1][g]] - np.cumsum(cnt) + cnt, cnt)
            w = succ_w[start + np.arange(h.size)]
            if m == 2 and unseen.size:  # a never-seen context word (<eos>, an absent <unk>): every word
                h = np.concatenate([h, np.repeat(unseen, V)])
                w = np.concatenate([w, np.tile(np.arange(V), unseen.size)])
            entries, ctxs = self._chains(m, h, w=w)
            p = self._probs(entries, ctxs, upto=m)
            text = np.strings.add(np.strings.add(texts[m - 1][h], " "), names[w])
            with np.errstate(divide="ignore"):
                out.append((text, np.log10(p), np.full(h.size, np.nan)))
        return out

    def _chains(
        self, m: int, h: np.ndarray, *, w: np.ndarray | None = None, rows: np.ndarray | None = None
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Rows per order (as :meth:`_rows_for_stream`) of order-m n-grams ``(h, w)``, L of them.

        ``h`` (L,) is the context's row at order m-1 (ignored for m = 1). Give either the predicted
        words ``w`` (L,) or, for stored n-grams, their ``rows`` (L,) at order m (no lookups needed).
        """
        R = self._R
        L = h.size
        ctxs: list[np.ndarray] = [np.zeros(L, dtype=np.int64)] * m
        if m >= 2:
            ctxs[m - 1] = h
        for j in range(m - 1, 1, -1):
            ctxs[j - 1] = self._keys[j][ctxs[j]] // R
        entries: list[np.ndarray] = [np.zeros(0, np.int64)] * (m + 1)
        if rows is not None:
            entries[m] = rows
            for j in range(m, 1, -1):
                entries[j - 1] = self._keys[j][entries[j]] // R
        else:
            assert w is not None
            entries[1] = w
            for j in range(2, m + 1):
                firstw = ctxs[j - 1] if j == 2 else self._keys[j - 1][ctxs[j - 1]] % R
                entries[j] = self._lookup(j, entries[j - 1], firstw)
        return entries, ctxs

    def to_arpa(self, path: str | Path, *, max_ngrams: int = ARPA_MAX_NGRAMS) -> list[int]:
        """Write the model as an ARPA backoff file; returns the number of n-grams written per order.

        A standard reader (KenLM, SRILM) computes from the file the model's probabilities, to the
        7 decimals of the log10 values written, for every context: the kit's ``<eos>`` is written
        ``</s>``, its ``<s>`` padding a single ``<s>`` (so ``score(sentence, bos=True, eos=True)``
        of KenLM scores the tokens :meth:`score` does), unseen words go to ``<unk>``. See the module
        docstring ("ARPA files") for how each smoothing maps. A probability or backoff weight of
        zero is written ``-99`` (KenLM rejects ``-inf`` backoff weights; :meth:`from_arpa` reads
        ``-99`` back as zero, KenLM and SRILM as 1e-99).

        Raises ``ValueError`` when the file would list more than ``max_ngrams`` n-grams (only an
        interpolated model of order >= 3 comes near that: its exact backoff form is large) or when a
        word cannot be written (spaces, or a word spelled ``</s>``). The file is written atomically.
        """
        self._require_fit()
        if isinstance(max_ngrams, bool) or not isinstance(max_ngrams, numbers.Integral) or max_ngrams < 1:
            raise ValueError(f"max_ngrams must be an int >= 1, got {max_ngrams!r}")
        path = Path(path)
        tables = self._arpa_tables(int(max_ngrams))
        counts = [int(t[0].size) for t in tables]
        what = self.smoothing + (f" k={self.k:g}" if self.k is not None else "")
        if self.lambdas is not None:
            what += " lambdas=" + ",".join(f"{x:.6g}" for x in self.lambdas)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            with tmp.open("w", encoding="utf-8", newline="\n") as fh:
                fh.write(f"# {self.order}-gram {what}, written by rnnlm.ngram (kit {EOS} is {ARPA_EOS})\n")
                fh.write("\n\\data\\\n")
                for m, c in enumerate(counts, start=1):
                    fh.write(f"ngram {m}={c}\n")
                for m, (text, lp, bw) in enumerate(tables, start=1):
                    fh.write(f"\n\\{m}-grams:\n")
                    lp = np.where(lp < ARPA_ZERO, ARPA_ZERO, lp) + 0.0  # -inf -> -99, and no "-0.0"
                    bw = np.where(bw < ARPA_ZERO, ARPA_ZERO, bw) + 0.0
                    chunk = 1 << 16
                    for i in range(0, text.size, chunk):
                        t, a, b = text[i : i + chunk].tolist(), lp[i : i + chunk].tolist(), bw[i : i + chunk]
                        if np.isnan(b).all():
                            fh.write("".join([f"{x:.7f}\t{s}\n" for x, s in zip(a, t, strict=True)]))
                        else:
                            fh.write(
                                "".join(
                                    [
                                        f"{x:.7f}\t{s}\n" if y != y else f"{x:.7f}\t{s}\t{y:.7f}\n"
                                        for x, s, y in zip(a, t, b.tolist(), strict=True)
                                    ]
                                )
                            )
                fh.write("\n\\end\\\n")
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return counts

    @classmethod
    def from_arpa(cls, path: str | Path) -> NgramLM:
        """Read an ARPA backoff file into a model with the kit's scoring API.

        The result has ``smoothing == "arpa"`` and answers :meth:`prob`, :meth:`logprob`,
        :meth:`distribution`, :meth:`score`, :meth:`perplexity`, :meth:`cross_entropy`,
        :meth:`generate`, :meth:`report` and :meth:`to_arpa` with the standard backoff rule
        (``P(w|h) = p(h w)`` if listed, else ``bow(h) P(w|h')``), using the kit's conventions:
        ``</s>`` is read as ``<eos>``, ``<s>`` as the start padding, words outside the file's
        vocabulary as ``<unk>`` (with probability zero if the file has no ``<unk>``), and log10
        values of ``-99`` or below as zero. It holds no counts (:meth:`count` and :meth:`fit` raise).

        Raises ``ValueError`` naming the file and line for a malformed file (no ``\\data\\``, header
        counts that disagree with a section, a missing ``\\end\\``, a non-numeric or positive log
        probability, an n-gram with the wrong number of words for its section, a word missing from
        the 1-grams, a duplicate n-gram) and for a file without ``<s>`` or ``</s>``.
        """
        path = Path(path)
        sections = _read_arpa(path)
        order = len(sections)
        model = cls.__new__(cls)
        model.order, model.smoothing, model.k, model.lambdas = order, "arpa", None, None
        model._fixed_discounts, model.discounts = None, None
        model.n_train_tokens = None
        model._build_from_arpa(path, sections)
        model._fitted = True
        return model

    def _build_from_arpa(self, path: Path, sections: list[_ArpaSection]) -> None:
        """Set the vocabulary and the backoff tables from the parsed sections of ``path``."""
        uni = sections[0]
        words = uni.words
        kit = [EOS if w == ARPA_EOS else w for w in words if w != ARPA_BOS]
        if UNK not in uni.index:
            kit.append(UNK)
        self._vocab = sorted(kit)
        self._index = {w: i for i, w in enumerate(self._vocab)}
        V = len(self._vocab)
        self._unk, self._eos, self._bos, self._R = self._index[UNK], self._index[EOS], V, V + 1
        R, n = self._R, self.order
        # position in the 1-grams section -> kit id (<s> has id V)
        to_id = np.array([V if w == ARPA_BOS else self._index[EOS if w == ARPA_EOS else w] for w in words])

        grams = [np.zeros((0, 0), np.int64)]
        grams += [to_id[np.array(s.ids, dtype=np.int64)].reshape(-1, m) for m, s in enumerate(sections, 1)]
        probs = [np.zeros(0)] + [_arpa_factor(np.array(s.logp, dtype=np.float64)) for s in sections]
        bows = [np.zeros(0)] + [_arpa_factor(np.array(s.bow, dtype=np.float64)) for s in sections]
        # probabilities (NaN: not listed) and backoff weights per row, with a last "not stored"
        # element that row -1 reads (NaN, 1): see _stream_probs
        bp1, bw1 = np.full(R + 1, np.nan), np.ones(R + 1)
        bp1[grams[1][:, 0]], bw1[grams[1][:, 0]] = probs[1], bows[1]
        if UNK not in uni.index:
            bp1[self._unk] = 0.0
        self._keys = [None, None] + [np.zeros(0, np.int64)] * (n - 1)
        self._bp = [np.zeros(0), bp1] + [np.zeros(0)] * (n - 1)
        self._bw = [np.zeros(0), bw1] + [np.zeros(0)] * (n - 1)
        m = 2
        while m <= n:
            g = grams[m]
            row = g[:, m - 1]  # the row of each n-gram's suffix (all words but the first)
            for j in range(2, m):
                row = self._lookup(j, row, g[:, m - j])
            missing = row < 0
            if missing.any():
                # a suffix the file does not list (m >= 3; words are checked): it is made present,
                # as "not listed" (it backs off), and its order is built again. This is SRILM's
                # reading of such a file; the kit's own files list every suffix.
                new = np.unique(g[missing, 1:], axis=0)
                grams[m - 1] = np.concatenate([grams[m - 1], new])
                probs[m - 1] = np.concatenate([probs[m - 1], np.full(len(new), np.nan)])
                bows[m - 1] = np.concatenate([bows[m - 1], np.ones(len(new))])
                m -= 1
                continue
            key = row * R + g[:, 0]
            o = np.argsort(key, kind="stable")
            key = key[o]
            dup = np.flatnonzero(key[1:] == key[:-1])
            if dup.size:  # added suffixes are never duplicates: both are lines of the file
                sec = sections[m - 1]
                a, b = int(o[dup[0]]), int(o[dup[0] + 1])
                text = " ".join(words[i] for i in sec.ids[b * m : (b + 1) * m])
                raise ValueError(
                    f"{path}: line {sec.lines[b]}: duplicate {m}-gram {text!r} (first on line {sec.lines[a]})"
                )
            self._keys[m] = key
            self._bp[m] = np.append(probs[m][o], np.nan)
            self._bw[m] = np.append(bows[m][o], 1.0)
            m += 1

    def __repr__(self) -> str:
        extra = f", k={self.k}" if self.k is not None else ""
        state = f"V={len(self._vocab)}" if self._fitted else "not fitted"
        return f"NgramLM(order={self.order}, smoothing={self.smoothing!r}{extra}; {state})"


# ----------------------------------------------------------------------------------------------
# ARPA reading
# ----------------------------------------------------------------------------------------------

_ARPA_COUNT_LINE = re.compile(r"ngram\s+(\d+)\s*=\s*(\d+)")
_ARPA_SECTION_LINE = re.compile(r"\\(\d+)-grams:")


@dataclass
class _ArpaSection:
    """One ``\\m-grams:`` section as read: L entries, their line numbers, words as 1-gram positions."""

    order: int
    start: int  # line of the section header
    logp: array.array = field(default_factory=lambda: array.array("d"))  # (L,) log10 P
    bow: array.array = field(default_factory=lambda: array.array("d"))  # (L,) log10 bow, 0 if absent
    lines: array.array = field(default_factory=lambda: array.array("q"))  # (L,)
    ids: array.array = field(default_factory=lambda: array.array("q"))  # (L * order,) 1-gram positions
    words: list[str] = field(default_factory=list)  # 1-grams only: the words in file order
    index: dict[str, int] = field(default_factory=dict)  # 1-grams only: word -> position


def _arpa_factor(log10: np.ndarray) -> np.ndarray:
    """``10 ** log10``, with ``-99`` and below (the ARPA spelling of log 0) read as zero."""
    x = np.asarray(log10, dtype=np.float64)
    with np.errstate(over="ignore"):
        return np.where(x <= ARPA_ZERO, 0.0, np.power(10.0, x))


def _read_arpa(path: Path) -> list[_ArpaSection]:
    """Parse and check the structure of an ARPA file; every error names the file and the line."""
    enabled = gc.isenabled()
    gc.disable()  # millions of short-lived lists: the cyclic collector would only slow parsing down
    try:
        return _read_arpa_sections(path)
    finally:
        if enabled:
            gc.enable()


def _read_arpa_sections(path: Path) -> list[_ArpaSection]:
    """:func:`_read_arpa`'s parser."""

    def error(line: int, msg: str) -> ValueError:
        return ValueError(f"{path}: line {line}: {msg}")

    declared: list[tuple[int, int]] = []  # (count, line of "ngram m=count") per order
    sections: list[_ArpaSection] = []
    sec: _ArpaSection | None = None
    state = "before"  # before \data\, "header", "body", "end"
    ln = 0
    index: dict[str, int] = {}  # 1-gram word -> position
    batch: list[str] = []  # n-gram lines not parsed yet, and their line numbers
    batch_ln: list[int] = []
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise FileNotFoundError(f"cannot read the ARPA file {path}: {exc.strerror or exc}") from None
    with fh:
        try:
            for ln, raw in enumerate(fh, start=1):
                line = raw.strip()
                if state == "body" and line and line[0] != "\\":  # an n-gram line: the hot path
                    batch.append(line)
                    batch_ln.append(ln)
                    if len(batch) >= 1 << 16:
                        _parse_arpa_lines(path, sec, batch, batch_ln, index)
                        batch, batch_ln = [], []
                    continue
                if not line:
                    continue
                if state == "before":
                    if line == "\\data\\":
                        state = "header"
                    continue
                if state == "header":
                    mt = _ARPA_COUNT_LINE.fullmatch(line)
                    if mt:
                        if int(mt[1]) != len(declared) + 1:
                            raise error(ln, f"expected 'ngram {len(declared) + 1}=COUNT', got {line!r:.60}")
                        declared.append((int(mt[2]), ln))
                        continue
                    if line[0] != "\\":
                        raise error(ln, f"expected 'ngram N=COUNT' in the \\data\\ header, got {line!r:.60}")
                    if not declared:
                        raise error(ln, "the \\data\\ header declares no n-grams (no 'ngram 1=COUNT' line)")
                    state = "body"
                # a section marker: first close the section that ends here
                if sec is not None:
                    _parse_arpa_lines(path, sec, batch, batch_ln, index)
                    batch, batch_ln = [], []
                    _close_arpa_section(path, sec, declared, ln)
                if line == "\\end\\":
                    if len(sections) < len(declared):
                        raise error(
                            ln,
                            f"\\end\\ comes before the \\{len(sections) + 1}-grams section that the header "
                            f"declares (line {declared[len(sections)][1]})",
                        )
                    state = "end"
                    break
                mt = _ARPA_SECTION_LINE.fullmatch(line)
                want = len(sections) + 1
                if not mt or int(mt[1]) != want or want > len(declared):
                    expect = f"\\{want}-grams:" if want <= len(declared) else "\\end\\"
                    raise error(ln, f"expected {expect}, got {line!r:.60}")
                sec = _ArpaSection(order=want, start=ln)
                if want == 1:
                    sec.index = index
                sections.append(sec)
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: line {ln + 1}: not UTF-8 text ({exc.reason})") from None
    if state == "before":
        raise ValueError(f"{path}: line {ln}: no \\data\\ line up to the end of the file: not an ARPA file")
    if state != "end":
        inside = f" (inside the \\{sec.order}-grams section of line {sec.start})" if sec is not None else ""
        raise ValueError(f"{path}: line {ln}: the file ends without \\end\\{inside}")
    return sections


def _parse_arpa_lines(
    path: Path, sec: _ArpaSection, lines: list[str], line_numbers: list[int], index: dict[str, int]
) -> None:
    """Add the n-gram lines (L of them, at ``line_numbers``) to ``sec``; errors name the line."""
    if not lines:
        return
    m = sec.order
    parts = [x.split() for x in lines]
    fields = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    bad = np.flatnonzero((fields != m + 1) & (fields != m + 2))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{path}: line {line_numbers[i]}: a line of the \\{m}-grams section is a log10 probability, "
            f"{m} word(s) and an optional backoff weight; this one has {fields[i]} fields: {lines[i]!r:.80}"
        )
    has_bow = fields == m + 2
    try:
        logp = np.array(list(map(float, [q[0] for q in parts])))
        bow = np.zeros(len(parts))
        if has_bow.any():
            bow[has_bow] = list(map(float, [q[m + 1] for q in parts if len(q) == m + 2]))
    except ValueError:
        for i, q in enumerate(parts):
            at = f"{path}: line {line_numbers[i]}"
            if not _is_number(q[0]):
                msg = f"{at}: the log10 probability {q[0]!r} is not a number: {lines[i]!r:.80}"
                raise ValueError(msg) from None
            if len(q) == m + 2 and not _is_number(q[m + 1]):
                raise ValueError(
                    f"{at}: the backoff weight {q[m + 1]!r} is not a number (a line of the \\{m}-grams "
                    f"section is a log10 probability, {m} word(s) and an optional backoff weight; "
                    f"is this a {m + 1}-gram?): {lines[i]!r:.80}"
                ) from None
        raise
    bad = np.flatnonzero(~(logp <= 0.0))  # also NaN
    if bad.size:
        i = int(bad[0])
        at = f"{path}: line {line_numbers[i]}"
        raise ValueError(f"{at}: the log10 probability {parts[i][0]} is not <= 0: {lines[i]!r:.80}")
    bad = np.flatnonzero(np.isnan(bow) | (bow == math.inf))
    if bad.size:
        i = int(bad[0])
        at = f"{path}: line {line_numbers[i]}"
        raise ValueError(f"{at}: the backoff weight {parts[i][-1]} is not finite: {lines[i]!r:.80}")
    if m == 1:
        done = len(sec.lines)  # entries of earlier batches
        for i, q in enumerate(parts):
            w = q[1]
            if w in index:
                j = index[w]
                first = sec.lines[j] if j < done else line_numbers[j - done]
                at = f"{path}: line {line_numbers[i]}"
                raise ValueError(f"{at}: duplicate 1-gram {w!r} (first on line {first})")
            index[w] = len(sec.words)
            sec.words.append(w)
    else:
        words = itertools.chain.from_iterable([q[1 : m + 1] for q in parts])
        sec.ids.extend(map(index.get, words, itertools.repeat(-1)))
    sec.logp.extend(logp.tolist())
    sec.bow.extend(bow.tolist())
    sec.lines.extend(line_numbers)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _close_arpa_section(path: Path, sec: _ArpaSection, declared: list[tuple[int, int]], ln: int) -> None:
    """Check a section that ends at line ``ln``: its count, its words, the sentence markers."""
    want, at = declared[sec.order - 1]
    got = len(sec.logp)
    if got != want:
        raise ValueError(
            f"{path}: line {ln}: the \\{sec.order}-grams section (line {sec.start}) has {got:,} entries, "
            f"but the \\data\\ header says ngram {sec.order}={want} (line {at})"
        )
    m = sec.order
    if m == 1:
        for sym in (ARPA_BOS, ARPA_EOS):
            if sym not in sec.index:
                raise ValueError(
                    f"{path}: line {sec.start}: the \\1-grams section has no {sym!r}, a sentence marker "
                    "every ARPA model needs"
                )
        if EOS in sec.index:
            raise ValueError(
                f"{path}: line {sec.lines[sec.index[EOS]]}: the word {EOS!r} is the kit's name for "
                f"{ARPA_EOS!r}, which this file also has: the two cannot be told apart"
            )
        sec.ids = array.array("q", range(got))
        return
    ids = np.array(sec.ids, dtype=np.int64)
    bad = np.flatnonzero(ids < 0)
    if bad.size:
        i = int(bad[0])
        line = sec.lines[i // m]
        with path.open(encoding="utf-8") as fh:
            text = next(itertools.islice(fh, line - 1, None)).split()
        raise ValueError(
            f"{path}: line {line}: the word {text[1 + i % m]!r} of this {m}-gram is not in the \\1-grams "
            "section"
        )


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
    p.add_argument(
        "--arpa",
        default=None,
        metavar="FILE",
        help="also write the trained model as an ARPA backoff file (read by KenLM, SRILM, NgramLM.from_arpa)",
    )
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
    arpa_counts = model.to_arpa(args.arpa) if args.arpa else None
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
    if arpa_counts is not None:
        per_order = ", ".join(f"{c:,}" for c in arpa_counts)
        print(f"ARPA file {args.arpa}: {sum(arpa_counts):,} n-grams (per order {per_order})")
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
        if arpa_counts is not None:
            out["arpa"] = str(args.arpa)
            out["arpa_ngrams_per_order"] = arpa_counts
        print(json.dumps(out))
    return 0


__all__ = [
    "BOS",
    "EOS",
    "SMOOTHINGS",
    "UNK",
    "ARPA_BOS",
    "ARPA_EOS",
    "ARPA_MAX_NGRAMS",
    "ARPA_UNK",
    "ARPA_ZERO",
    "NgramLM",
    "NotFittedError",
    "modified_kn_discounts",
    "ngrams",
    "pad_sentence",
    "perplexity_from_logprobs",
    "register_cli",
]
