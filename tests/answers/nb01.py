"""Answers to notebook 01 (counting n-grams), written from the student notebook's text alone.

Every answer cell of ``notebooks/01_ngram_counts.ipynb`` is answered twice (``LITERAL``: loops, one
step at a time; ``IDIOMATIC``: comprehensions, ``zip``, ``Counter``, numpy) and once wrongly
(``WRONG``: a typical mistake the text warns about, with a piece of the hint the visible check prints).

Readings of the text that had to be chosen (the text is silent or loose there):

- ``count_ngrams``: "Raise a ValueError when n is not an integer of at least 1" / docstring "not an
  int >= 1": both answers reject ``bool`` and ``float`` (also ``2.0``); the literal one accepts only
  ``int``, the idiomatic one any ``numbers.Integral`` (numpy integers too). The input sentences are
  never modified.
- ``mle_prob``: a context of the wrong length is not checked (the text says it has n - 1 tokens).
- ``sentence_log2probs``: only ``n < 1`` is checked (the text does not ask for an int check); a
  ``prob`` that returns a non-number raises whatever the comparison raises (TypeError).
- ``add_k_prob``: the text only says "k < 0": the literal answer lets a NaN ``k`` through (NaN
  result), the idiomatic one raises ValueError for it (``Fraction(nan)``).
- ``perplexity_from_log2probs``: the errors are checked on the whole input before a ``-inf`` gives
  ``inf``; a perplexity too large for a float gives ``inf`` instead of an OverflowError.
"""

LITERAL = {
    "nb01_count_ngrams": r'''
from collections import Counter

from rnnlm.ngram import BOS, EOS


def count_ngrams(sentences: list[list[str]], n: int) -> Counter:
    """Count the n-grams of a corpus: n - 1 BOS on the left and one EOS on the right of each sentence."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    counts = Counter()
    for sentence in sentences:
        tokens = []
        for _ in range(n - 1):
            tokens.append(BOS)
        for word in sentence:
            tokens.append(word)
        tokens.append(EOS)
        for start in range(len(tokens) - n + 1):
            gram = tuple(tokens[start:start + n])
            counts[gram] += 1
    return counts
''',
    "nb01_mle_prob": r'''
def mle_prob(counts: dict[tuple[str, ...], int], word: str, context: tuple[str, ...]) -> float:
    """Maximum-likelihood P(word | context) = c(context + (word,)) / c(context)."""
    history_count = 0
    for gram, count in counts.items():
        if gram[:len(context)] == context:
            history_count += count
    if history_count == 0:
        raise ValueError(f"the context {context!r} never occurs as a history: the MLE is 0/0")
    gram_count = counts.get(context + (word,), 0)
    return gram_count / history_count
''',
    "nb01_sentence_log2probs": r'''
import math

from rnnlm.ngram import BOS, EOS


def sentence_log2probs(sentence: list[str], n: int, prob) -> list[float]:
    """log2 P(token | its n - 1 previous tokens) for every word of the sentence and for EOS."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n!r}")
    tokens = [BOS] * (n - 1) + list(sentence) + [EOS]
    result = []
    for position in range(n - 1, len(tokens)):
        word = tokens[position]
        context = tuple(tokens[position - (n - 1):position])
        p = prob(word, context)
        if math.isnan(p) or p < 0 or p > 1:
            raise ValueError(f"prob({word!r}, {context!r}) returned {p!r}, not a probability")
        if p == 0:
            result.append(-math.inf)
        else:
            result.append(math.log2(p))
    return result
''',
    "nb01_add_k_prob": r'''
def add_k_prob(
    counts: dict[tuple[str, ...], int], word: str, context: tuple[str, ...], vocab_size: int, k: float = 1.0
) -> float:
    """Add-k smoothed P(word | context) = (c(context, word) + k) / (c(context) + k * vocab_size)."""
    if k != k or k < 0:  # k != k only for NaN
        raise ValueError(f"k must be >= 0, got {k!r}")
    if vocab_size < 1:
        raise ValueError(f"vocab_size must be >= 1, got {vocab_size!r}")
    history_count = 0
    for gram, count in counts.items():
        if gram[:len(context)] == context:
            history_count += count
    gram_count = counts.get(context + (word,), 0)
    denominator = history_count + k * vocab_size
    if denominator == 0:
        raise ValueError(f"the context {context!r} was never seen and k = 0: the estimate is 0/0")
    return float((gram_count + k) / denominator)
''',
    "nb01_perplexity_from_log2probs": r'''
import math


def perplexity_from_log2probs(log2probs) -> float:
    """Perplexity 2 ** (-mean(log2probs)) of a text, from its per-token log2-probabilities."""
    total = 0.0
    number = 0
    for value in log2probs:
        value = float(value)
        if math.isnan(value):
            raise ValueError("a log2-probability is NaN")
        if value > 0:
            raise ValueError(f"a log2-probability is above 0 (a probability above one): {value}")
        total += value
        number += 1
    if number == 0:
        raise ValueError("no log2-probabilities: the perplexity of an empty text is undefined")
    cross_entropy = -total / number
    try:
        return 2.0 ** cross_entropy
    except OverflowError:
        return math.inf
''',
}

IDIOMATIC = {
    "nb01_count_ngrams": r'''
import numbers
from collections import Counter

from rnnlm.ngram import BOS, EOS


def count_ngrams(sentences: list[list[str]], n: int) -> Counter:
    """Count the n-grams of every sentence, each padded on its own (zip of n shifted copies)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    n = int(n)

    def grams(sentence):
        padded = (BOS,) * (n - 1) + tuple(sentence) + (EOS,)
        return zip(*(padded[i:] for i in range(n)))

    return Counter(gram for sentence in sentences for gram in grams(sentence))
''',
    "nb01_mle_prob": r'''
def mle_prob(counts: dict[tuple[str, ...], int], word: str, context: tuple[str, ...]) -> float:
    """P_MLE(word | context): the share of the n-grams starting with the context that end on word."""
    context = tuple(context)
    followers = {gram[len(context)]: c for gram, c in counts.items()
                 if len(gram) > len(context) and gram[:len(context)] == context}
    total = sum(followers.values())
    if not total:
        raise ValueError(f"context {context!r} never occurs as a history (0/0)")
    return float(followers.get(word, 0)) / total
''',
    "nb01_sentence_log2probs": r'''
import numpy as np

from rnnlm.ngram import BOS, EOS


def sentence_log2probs(sentence: list[str], n: int, prob) -> list[float]:
    """Chain rule with an order-n Markov history: log2 P of each word and of the final EOS."""
    if n < 1:
        raise ValueError(f"order n must be at least 1, not {n}")
    padded = (BOS,) * (n - 1) + tuple(sentence) + (EOS,)
    probs = np.array([prob(padded[t], padded[t - n + 1:t]) for t in range(n - 1, len(padded))],
                     dtype=float)
    if not np.all((probs >= 0) & (probs <= 1)):  # NaN fails both comparisons
        raise ValueError(f"prob returned values that are not probabilities: {probs}")
    with np.errstate(divide="ignore"):
        return np.log2(probs).tolist()
''',
    "nb01_add_k_prob": r'''
from fractions import Fraction


def add_k_prob(
    counts: dict[tuple[str, ...], int], word: str, context: tuple[str, ...], vocab_size: int, k: float = 1.0
) -> float:
    """(c(h, w) + k) / (c(h) + k V), computed exactly with fractions, then rounded once to a float."""
    if k < 0 or vocab_size < 1:
        raise ValueError(f"need k >= 0 and vocab_size >= 1, got k={k!r}, vocab_size={vocab_size!r}")
    context = tuple(context)
    c_h = sum(c for gram, c in counts.items() if gram[:-1] == context)
    k = Fraction(float(k))  # NaN raises ValueError here, inf OverflowError
    denominator = c_h + k * vocab_size
    if denominator == 0:
        raise ValueError("zero denominator: unseen context with k = 0")
    return float((counts.get((*context, word), 0) + k) / denominator)
''',
    "nb01_perplexity_from_log2probs": r'''
import numpy as np


def perplexity_from_log2probs(log2probs) -> float:
    """2 ** cross-entropy in bits, with numpy (a -inf gives inf)."""
    bits = np.asarray(log2probs, dtype=float)
    if bits.size == 0:
        raise ValueError("empty input")
    if np.isnan(bits).any():
        raise ValueError("NaN among the log2-probabilities")
    if (bits > 0).any():
        raise ValueError("a log2-probability above 0 is a probability above one")
    with np.errstate(over="ignore"):
        return np.exp2(-bits.mean())  # a numpy float64, which is a float
''',
}

WRONG = {
    # The text: "Count each sentence on its own: no n-gram may run across the end of one sentence".
    "nb01_count_ngrams": (r'''
from collections import Counter

from rnnlm.ngram import BOS, EOS


def count_ngrams(sentences: list[list[str]], n: int) -> Counter:
    """Pads every sentence but counts the windows of the whole corpus joined together."""
    if not isinstance(n, int) or n < 1:
        raise ValueError("n must be an integer >= 1")
    tokens = []
    for sentence in sentences:
        tokens += [BOS] * (n - 1) + list(sentence) + [EOS]
    counts = Counter()
    for start in range(len(tokens) - n + 1):
        counts[tuple(tokens[start:start + n])] += 1
    return counts
''', "run from one sentence into the next"),
    # c(h) is how often h occurs as a history, not how many different words follow it.
    "nb01_mle_prob": (r'''
def mle_prob(counts: dict[tuple[str, ...], int], word: str, context: tuple[str, ...]) -> float:
    """Divides by the number of distinct followers of the context."""
    followers = 0
    for gram in counts:
        if gram[:len(context)] == context:
            followers += 1
    if followers == 0:
        raise ValueError("unseen context")
    return counts.get(context + (word,), 0) / followers
''', "not by the number of different words that follow it"),
    # The text: predict the L words "then <eos>": this one forgets the <eos>.
    "nb01_sentence_log2probs": (r'''
import math

from rnnlm.ngram import BOS


def sentence_log2probs(sentence: list[str], n: int, prob) -> list[float]:
    """Scores the words but not the end of the sentence."""
    if n < 1:
        raise ValueError("n must be >= 1")
    tokens = [BOS] * (n - 1) + list(sentence)
    result = []
    for position in range(n - 1, len(tokens)):
        p = prob(tokens[position], tuple(tokens[position - n + 1:position]))
        if math.isnan(p) or p < 0 or p > 1:
            raise ValueError("not a probability")
        result.append(-math.inf if p == 0 else math.log2(p))
    return result
''', "predict '<eos>' after the last word too"),
    # Add-one's denominator c(h) + V kept for any k: the kV of the text becomes V.
    "nb01_add_k_prob": (r'''
def add_k_prob(
    counts: dict[tuple[str, ...], int], word: str, context: tuple[str, ...], vocab_size: int, k: float = 1.0
) -> float:
    """Uses c(h) + V as the denominator instead of c(h) + k * V."""
    if k < 0 or vocab_size < 1:
        raise ValueError("need k >= 0 and vocab_size >= 1")
    history_count = 0
    for gram, count in counts.items():
        if gram[:len(context)] == context:
            history_count += count
    return float((counts.get(context + (word,), 0) + k) / (history_count + vocab_size))
''', "over the vocabulary, not 1"),
    # Perplexity is 2 to the MINUS mean log2-probability; this one drops the minus.
    "nb01_perplexity_from_log2probs": (r'''
import math


def perplexity_from_log2probs(log2probs) -> float:
    """Forgets the minus sign: 2 ** mean(log2probs)."""
    values = [float(v) for v in log2probs]
    if not values:
        raise ValueError("empty input")
    if any(math.isnan(v) or v > 0 for v in values):
        raise ValueError("NaN or a log2-probability above 0")
    return 2.0 ** (sum(values) / len(values))
''', "got 1/V: perplexity is 2 to the MINUS"),
}
