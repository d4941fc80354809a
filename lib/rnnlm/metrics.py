"""Span metrics for BIO tagging of opinion expressions.

Irsoy and Cardie (2014, "Opinion Mining with Deep Recurrent Neural Networks") tag every token of a
sentence ``B`` (begins an opinion expression), ``I`` (inside one) or ``O`` (outside), and score the
tagger on the *spans* the tags decode to, not on the tags: an expression found with one word too
many is neither simply right nor simply wrong. Following Johansson and Moschitti they report three
match rules, from strictest to most lenient. Spans are half-open token offsets ``(start, end)``;
``|s|`` is a span's length in tokens; P is the corpus's predicted spans, T its true spans.

- **exact**: a predicted span counts when a true span of its sentence has the same ``(start, end)``;
  precision = matched predicted spans / ``|P|``, recall = matched true spans / ``|T|``.
- **binary overlap**: a predicted span counts when it shares a token with some true span of its
  sentence; a true span counts (for recall) when some predicted span shares a token with it.
- **proportional overlap**: every span counts for the fraction of its tokens that are covered by
  the other side's spans of its sentence::

      precision = (1 / |P|) * sum over predicted p of |p ∩ T_s| / |p|    T_s: union of the true spans
      recall    = (1 / |T|) * sum over true t of |t ∩ P_s| / |t|         P_s: union of the predicted

  so a predicted span that overlaps two true spans gets credit for both overlaps.

Sums run over the whole corpus (micro averages). Precision is 1 when nothing is predicted and recall
is 1 when there is nothing to find (no error was made); F1 = 2PR / (P + R), and 0 when P + R = 0.
For every corpus exact <= proportional <= binary, for precision, recall and F1 alike.

**Worked example**, one sentence of 12 tokens::

    position   0 1 2 3 4 5 6 7 8 9 10 11
    true       B I O O B I I O O B O  O     spans (0, 2) (4, 7) (9, 10)
    predicted  B I O O O B I I I O O  B     spans (0, 2) (5, 9) (11, 12)

(0, 2) is found exactly, (5, 9) overlaps (4, 7) in tokens 5 and 6, (11, 12) is spurious and (9, 10)
is missed. exact: P = 1/3, R = 1/3. binary: P = 2/3 ((0, 2) and (5, 9) overlap), R = 2/3 ((0, 2) and
(4, 7) are hit). proportional: P = (2/2 + 2/4 + 0/1) / 3 = 1/2, R = (2/2 + 2/3 + 0/1) / 3 = 5/9,
F1 = 2 (1/2)(5/9) / (1/2 + 5/9) = 10/19 = 0.526.

:func:`bio_to_spans` decodes one sentence's tags (strings ``"O"``, ``"B"``, ``"I"`` or their ids
0, 1, 2 in :data:`BIO_TAGS`), :func:`spans_to_bio` encodes spans back; :func:`span_prf` scores a
corpus of spans under one rule (:func:`exact_prf`, :func:`binary_prf`, :func:`proportional_prf` name
each rule), and :func:`tag_prf` scores tag sequences under all three.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rnnlm._exercise import exercise

__all__ = [
    "BIO_TAGS",
    "MATCH_RULES",
    "PRF",
    "binary_prf",
    "bio_to_spans",
    "exact_prf",
    "proportional_prf",
    "span_prf",
    "spans_to_bio",
    "tag_prf",
]

#: The tag set; a tag's id is its index: O = 0, B = 1, I = 2.
BIO_TAGS: tuple[str, ...] = ("O", "B", "I")

#: The match rules of :func:`span_prf`, strictest first.
MATCH_RULES: tuple[str, ...] = ("exact", "binary", "proportional")

_O, _B, _I = 0, 1, 2

Span = tuple[int, int]


# --------------------------------------------------------------------------------------------------
# Tags and spans
# --------------------------------------------------------------------------------------------------


@exercise("nb06_bio_to_spans")
def bio_to_spans(tags: Sequence[str] | Sequence[int] | np.ndarray) -> list[tuple[int, int]]:
    """Decode one sentence's BIO tags into spans.

    tags (T,): strings ``"O"``, ``"B"``, ``"I"`` or their ids 0, 1, 2 (a list, a tuple or a 1-D NumPy
    array). Returns the spans as half-open token offsets ``(start, end)``, in order; ``[]`` for an
    empty sentence. ``B`` opens a span, ``I`` continues the open one, and an ``I`` with no span open
    (at the start, or after ``O``) opens one (the lenient rule); ``O`` closes the open span. Raises
    ``ValueError`` naming the position and the value of a tag outside the tag set.
    """
    return _bio_to_spans(tags, "bio_to_spans")


def _bio_to_spans(tags: object, where: str) -> list[Span]:
    """:func:`bio_to_spans`, for the library's own use; ``where`` starts every error message."""
    ids = _tag_ids(tags, where)
    spans: list[Span] = []
    start: int | None = None
    for pos, tag in enumerate(ids):
        if tag == _O:
            if start is not None:
                spans.append((start, pos))
                start = None
        elif tag == _B or start is None:  # B, or an I with no span open: a new span
            if start is not None:
                spans.append((start, pos))
            start = pos
        # else: an I inside the open span continues it
    if start is not None:
        spans.append((start, len(ids)))
    return spans


def _tag_ids(tags: object, where: str) -> list[int]:
    """The tags of one sentence as ids 0, 1, 2, validated."""
    if isinstance(tags, (str, bytes)):
        raise TypeError(f"{where}: tags must be a sequence of tags, got the string {tags!r} (use list(...))")
    if isinstance(tags, np.ndarray):
        if tags.ndim != 1:
            raise ValueError(f"{where}: tags must be a 1-D array (T,), got shape {tags.shape}")
    elif not isinstance(tags, Sequence):
        raise TypeError(f"{where}: tags must be a sequence or a 1-D NumPy array, got {type(tags).__name__}")
    ids = []
    for pos, tag in enumerate(tags):
        tag_id = _tag_id(tag)
        if tag_id is None:
            shown = int(tag) if isinstance(tag, np.integer) else tag
            raise ValueError(
                f"{where}: tag {shown!r} at position {pos} is not one of "
                f"{', '.join(BIO_TAGS)} (or {', '.join(str(i) for i in range(len(BIO_TAGS)))})"
            )
        ids.append(tag_id)
    return ids


def _tag_id(tag: object) -> int | None:
    """The id of one tag, or None if it is not a tag."""
    if isinstance(tag, str):  # np.str_ too
        return BIO_TAGS.index(tag) if tag in BIO_TAGS else None
    if isinstance(tag, (bool, np.bool_)) or not isinstance(tag, (int, np.integer)):
        return None
    return int(tag) if 0 <= tag < len(BIO_TAGS) else None


def spans_to_bio(spans: Sequence[tuple[int, int]], length: int) -> list[str]:
    """Encode spans as one sentence's BIO tags, the inverse of :func:`bio_to_spans`.

    spans: ``(start, end)`` pairs, half-open, in any order, with ``0 <= start < end <= length`` and no
    two overlapping (touching is fine: ``(0, 2), (2, 3)`` gives ``B I B``); length: the number of
    tokens T. Returns T tag strings. Raises ``ValueError`` for a span outside the sentence, an empty
    or reversed span, or overlapping spans.
    """
    if isinstance(length, (bool, np.bool_)) or not isinstance(length, (int, np.integer)):
        raise TypeError(f"spans_to_bio: length must be an int, got {type(length).__name__}")
    length = int(length)
    if length < 0:
        raise ValueError(f"spans_to_bio: length must be >= 0, got {length}")
    checked = _check_sentence(spans, "spans_to_bio: spans")
    tags = ["O"] * length
    previous: Span | None = None
    for start, end in sorted(checked):
        if end > length:
            raise ValueError(f"spans_to_bio: span {(start, end)} ends past the sentence's {length} tokens")
        if previous is not None and start < previous[1]:
            raise ValueError(f"spans_to_bio: spans {previous} and {(start, end)} overlap")
        tags[start] = "B"
        tags[start + 1 : end] = ["I"] * (end - start - 1)
        previous = (start, end)
    return tags


# --------------------------------------------------------------------------------------------------
# Precision, recall, F1
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1, floats in [0, 1]; ``str`` gives percents: ``P 61.2 R 55.0 F1 57.9``."""

    precision: float
    recall: float
    f1: float

    def __post_init__(self) -> None:
        for name in ("precision", "recall", "f1"):
            value = getattr(self, name)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
                raise TypeError(f"PRF: {name} must be a float, got {type(value).__name__}")
            if not 0.0 <= value <= 1.0:  # also catches nan
                raise ValueError(f"PRF: {name} must be in [0, 1], got {value!r}")
            object.__setattr__(self, name, float(value))

    def __str__(self) -> str:
        return f"P {100 * self.precision:.1f} R {100 * self.recall:.1f} F1 {100 * self.f1:.1f}"


def span_prf(
    true_spans: Sequence[Sequence[tuple[int, int]]],
    pred_spans: Sequence[Sequence[tuple[int, int]]],
    rule: str = "proportional",
) -> PRF:
    """Corpus precision, recall and F1 of predicted spans against true spans under one match rule.

    true_spans, pred_spans: one list of ``(start, end)`` spans per sentence (N sentences each, the same
    N), half-open token offsets with ``0 <= start < end``; rule: one of :data:`MATCH_RULES`
    (``"exact"``, ``"binary"``, ``"proportional"``; the module docstring defines them). Counts run
    over the whole corpus. Precision is 1 when nothing is predicted, recall is 1 when there is
    nothing to find; F1 is 0 when precision and recall are both 0. Raises ``ValueError`` for an
    unknown rule or different sentence counts.
    """
    try:
        impl = _RULES[rule]
    except (KeyError, TypeError):
        raise ValueError(f"span_prf: rule must be one of {', '.join(MATCH_RULES)}, got {rule!r}") from None
    return impl(true_spans, pred_spans, "span_prf")


def exact_prf(
    true_spans: Sequence[Sequence[tuple[int, int]]], pred_spans: Sequence[Sequence[tuple[int, int]]]
) -> PRF:
    """:func:`span_prf` with ``rule="exact"``: a span counts when the other side has the same span."""
    return _exact_prf(true_spans, pred_spans, "exact_prf")


def binary_prf(
    true_spans: Sequence[Sequence[tuple[int, int]]], pred_spans: Sequence[Sequence[tuple[int, int]]]
) -> PRF:
    """:func:`span_prf` with ``rule="binary"``: a span counts when it overlaps a span of the other side."""
    return _binary_prf(true_spans, pred_spans, "binary_prf")


@exercise("nb06_proportional_prf")
def proportional_prf(
    true_spans: Sequence[Sequence[tuple[int, int]]], pred_spans: Sequence[Sequence[tuple[int, int]]]
) -> PRF:
    """:func:`span_prf` with ``rule="proportional"``: a span counts for the fraction of it that is covered.

    true_spans, pred_spans: one list of ``(start, end)`` spans per sentence, N sentences each.
    Precision is the mean over all predicted spans p of ``|p ∩ T_s| / |p|``, ``T_s`` the union of the
    true spans of p's sentence; recall the mean over all true spans t of ``|t ∩ P_s| / |t|``.
    Precision is 1 when nothing is predicted, recall 1 when there is nothing to find.
    """
    return _proportional_prf(true_spans, pred_spans, "proportional_prf")


def _exact_prf(true_spans: object, pred_spans: object, where: str = "exact_prf") -> PRF:
    """:func:`exact_prf`, for the library's own use (a student bundle may stub the public one)."""
    true, pred = _check_corpus(true_spans, pred_spans, where)
    p_hits = r_hits = 0
    for t_sent, p_sent in zip(true, pred, strict=True):
        t_set, p_set = set(t_sent), set(p_sent)
        p_hits += sum(span in t_set for span in p_sent)
        r_hits += sum(span in p_set for span in t_sent)
    return _prf(p_hits, _count(pred), r_hits, _count(true))


def _binary_prf(true_spans: object, pred_spans: object, where: str = "binary_prf") -> PRF:
    """:func:`binary_prf`, for the library's own use (a student bundle may stub the public one)."""
    true, pred = _check_corpus(true_spans, pred_spans, where)
    p_hits = r_hits = 0
    for t_sent, p_sent in zip(true, pred, strict=True):
        p_hits += sum(any(_overlap(p, t) > 0 for t in t_sent) for p in p_sent)
        r_hits += sum(any(_overlap(t, p) > 0 for p in p_sent) for t in t_sent)
    return _prf(p_hits, _count(pred), r_hits, _count(true))


def _proportional_prf(true_spans: object, pred_spans: object, where: str = "proportional_prf") -> PRF:
    """:func:`proportional_prf`, for the library's own use (a student bundle may stub the public one)."""
    true, pred = _check_corpus(true_spans, pred_spans, where)
    p_sum = r_sum = 0.0
    for t_sent, p_sent in zip(true, pred, strict=True):
        t_union, p_union = _union(t_sent), _union(p_sent)
        p_sum += sum(_covered(p, t_union) / (p[1] - p[0]) for p in p_sent)
        r_sum += sum(_covered(t, p_union) / (t[1] - t[0]) for t in t_sent)
    return _prf(p_sum, _count(pred), r_sum, _count(true))


_RULES: dict[str, Callable[[object, object, str], PRF]] = {
    "exact": _exact_prf,
    "binary": _binary_prf,
    "proportional": _proportional_prf,
}


def tag_prf(true_tags: Sequence[Sequence], pred_tags: Sequence[Sequence]) -> dict[str, PRF]:
    """Decode true and predicted BIO tags and score the spans under every rule.

    true_tags, pred_tags: one tag sequence per sentence (N each, the same N), sentence i having the
    same length T_i on both sides; tags as :func:`bio_to_spans` takes them. Returns
    ``{"exact": PRF, "binary": PRF, "proportional": PRF}``. Raises ``ValueError`` for different
    sentence counts, a sentence whose two tag sequences differ in length, or a bad tag.
    """
    true_list = _sentences(true_tags, "tag_prf: true_tags")
    pred_list = _sentences(pred_tags, "tag_prf: pred_tags")
    if len(true_list) != len(pred_list):
        raise ValueError(
            f"tag_prf: true_tags has {len(true_list)} sentences but pred_tags has {len(pred_list)}"
        )
    true_spans, pred_spans = [], []
    for i, (t_tags, p_tags) in enumerate(zip(true_list, pred_list, strict=True)):
        t_spans = _bio_to_spans(t_tags, f"tag_prf: true_tags sentence {i}")
        p_spans = _bio_to_spans(p_tags, f"tag_prf: pred_tags sentence {i}")
        if len(t_tags) != len(p_tags):
            raise ValueError(
                f"tag_prf: sentence {i} has {len(t_tags)} true tags but {len(p_tags)} predicted tags"
            )
        true_spans.append(t_spans)
        pred_spans.append(p_spans)
    return {rule: impl(true_spans, pred_spans, "tag_prf") for rule, impl in _RULES.items()}


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def _prf(p_num: float, p_den: int, r_num: float, r_den: int) -> PRF:
    """PRF from the credited and total counts; an empty denominator gives 1 (nothing was wrong)."""
    precision = min(1.0, p_num / p_den) if p_den else 1.0
    recall = min(1.0, r_num / r_den) if r_den else 1.0
    total = precision + recall
    f1 = min(1.0, 2 * precision * recall / total) if total > 0 else 0.0
    return PRF(precision, recall, f1)


def _count(corpus: list[list[Span]]) -> int:
    return sum(len(sent) for sent in corpus)


def _overlap(a: Span, b: Span) -> int:
    """The number of tokens two half-open spans share."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _union(spans: list[Span]) -> list[Span]:
    """The union of spans as sorted, disjoint, non-touching spans."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _covered(span: Span, union: list[Span]) -> int:
    """The number of tokens of ``span`` inside ``union`` (disjoint spans, from :func:`_union`)."""
    return sum(_overlap(span, u) for u in union)


def _sentences(corpus: object, what: str) -> list:
    """A corpus as a list of its sentences (a sequence, or an array whose first axis is sentences)."""
    if isinstance(corpus, (str, bytes)) or not isinstance(corpus, (Sequence, np.ndarray)):
        raise TypeError(f"{what} must be a sequence with one entry per sentence, got {type(corpus).__name__}")
    return list(corpus)


def _check_corpus(
    true_spans: object, pred_spans: object, where: str
) -> tuple[list[list[Span]], list[list[Span]]]:
    """Both corpora as lists of lists of ``(start, end)`` int tuples, validated, with the same length."""
    true_list = _sentences(true_spans, f"{where}: true_spans")
    pred_list = _sentences(pred_spans, f"{where}: pred_spans")
    if len(true_list) != len(pred_list):
        raise ValueError(
            f"{where}: true_spans has {len(true_list)} sentences but pred_spans has {len(pred_list)}"
        )
    true = [_check_sentence(sent, f"{where}: true_spans sentence {i}") for i, sent in enumerate(true_list)]
    pred = [_check_sentence(sent, f"{where}: pred_spans sentence {i}") for i, sent in enumerate(pred_list)]
    return true, pred


def _check_sentence(spans: object, what: str) -> list[Span]:
    """One sentence's spans as ``(start, end)`` int tuples with ``0 <= start < end``."""
    if isinstance(spans, (str, bytes)) or not isinstance(spans, (Sequence, np.ndarray)):
        raise TypeError(f"{what} must be a sequence of (start, end) spans, got {type(spans).__name__}")
    out = []
    for k, span in enumerate(spans):
        if isinstance(span, (str, bytes)) or not isinstance(span, (Sequence, np.ndarray)) or len(span) != 2:
            raise TypeError(f"{what}: span {k} must be a (start, end) pair, got {span!r}")
        try:
            if any(isinstance(x, (bool, np.bool_)) for x in span):
                raise TypeError
            start, end = operator.index(span[0]), operator.index(span[1])
        except TypeError:
            raise TypeError(f"{what}: span {k} must hold two ints, got {span!r}") from None
        if not 0 <= start < end:
            raise ValueError(f"{what}: span {k} = {(start, end)} must have 0 <= start < end")
        out.append((start, end))
    return out
