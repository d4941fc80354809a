"""rnnlm.metrics: BIO decoding and encoding, and span precision/recall/F1 under the exact, binary and
proportional match rules, checked against examples worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnlm.metrics import (
    BIO_TAGS,
    MATCH_RULES,
    PRF,
    binary_prf,
    bio_to_spans,
    exact_prf,
    proportional_prf,
    span_prf,
    spans_to_bio,
    tag_prf,
)


def _tags(text: str) -> list[str]:
    return text.split()


# ------------------------------------------------------------------------------------------------- decoding


def test_tag_set_and_rules():
    assert BIO_TAGS == ("O", "B", "I")
    assert MATCH_RULES == ("exact", "binary", "proportional")


@pytest.mark.parametrize(
    ("tags", "spans"),
    [
        ("B I I O", [(0, 3)]),  # B opens at 0, I I continue, O closes at 3
        ("I I O", [(0, 2)]),  # an I at the start opens a span
        ("O I O", [(1, 2)]),  # an I after O opens a span
        ("O I I I", [(1, 4)]),  # consecutive I after O: one span, closed by the end of the sentence
        ("B B", [(0, 1), (1, 2)]),  # a second B closes the first span and opens another
        ("B I B I I O B", [(0, 2), (2, 5), (6, 7)]),
        ("O O O", []),
        ("I", [(0, 1)]),
    ],
)
def test_bio_to_spans(tags, spans):
    assert bio_to_spans(_tags(tags)) == spans


def test_bio_to_spans_empty_sentence():
    assert bio_to_spans([]) == []
    assert bio_to_spans(np.array([], dtype=np.int64)) == []


def test_bio_to_spans_ints_strings_and_numpy_agree():
    text = _tags("O B I O I I B B")  # spans (1, 3), (4, 6), (6, 7), (7, 8)
    ids = [BIO_TAGS.index(t) for t in text]
    assert ids == [0, 1, 2, 0, 2, 2, 1, 1]
    expected = [(1, 3), (4, 6), (6, 7), (7, 8)]
    assert bio_to_spans(text) == expected
    assert bio_to_spans(tuple(text)) == expected
    assert bio_to_spans(ids) == expected
    assert bio_to_spans(np.array(ids)) == expected
    assert bio_to_spans(np.array(ids, dtype=np.int8)) == expected
    assert bio_to_spans(np.array(text)) == expected  # np.str_ elements
    spans = bio_to_spans(np.array(ids))
    assert all(type(x) is int for span in spans for x in span)


def test_bio_to_spans_bad_tag_names_position_and_value():
    with pytest.raises(
        ValueError, match=r"^bio_to_spans: tag 3 at position 5 is not one of O, B, I \(or 0, 1, 2\)$"
    ):
        bio_to_spans([0, 1, 2, 0, 1, 3])
    with pytest.raises(ValueError, match=r"tag 3 at position 5"):  # a NumPy integer is shown as a plain int
        bio_to_spans(np.array([0, 1, 2, 0, 1, 3]))
    with pytest.raises(ValueError, match=r"tag 'b' at position 1"):
        bio_to_spans(["O", "b"])
    with pytest.raises(ValueError, match=r"tag -1 at position 0"):
        bio_to_spans([-1])
    with pytest.raises(ValueError, match=r"tag 1.0 at position 0"):
        bio_to_spans([1.0])
    with pytest.raises(ValueError, match=r"tag True at position 0"):
        bio_to_spans([True])
    with pytest.raises(ValueError, match=r"tag 'B-DSE' at position 2"):
        bio_to_spans(["O", "B", "B-DSE"])


def test_bio_to_spans_bad_container():
    with pytest.raises(TypeError, match="string"):
        bio_to_spans("BIO")
    with pytest.raises(ValueError, match=r"1-D .*\(2, 2\)"):
        bio_to_spans(np.zeros((2, 2), dtype=int))
    with pytest.raises(TypeError, match="sequence"):
        bio_to_spans(7)


# ------------------------------------------------------------------------------------------------- encoding


def test_spans_to_bio():
    assert spans_to_bio([(1, 3), (5, 6)], 7) == _tags("O B I O O B O")
    assert spans_to_bio([(2, 3), (0, 2)], 3) == _tags("B I B")  # any order; touching spans stay apart
    assert spans_to_bio([], 3) == _tags("O O O")
    assert spans_to_bio([], 0) == []
    assert spans_to_bio(np.array([[0, 2]]), 2) == _tags("B I")


def test_spans_to_bio_round_trips():
    tags = _tags("B I O B B I I O I")
    spans = bio_to_spans(tags)
    assert spans == [(0, 2), (3, 4), (4, 7), (8, 9)]
    # the round trip gives the tags back, except that an I opening a span becomes a B
    assert spans_to_bio(spans, len(tags)) == _tags("B I O B B I I O B")
    assert bio_to_spans(spans_to_bio(spans, len(tags))) == spans
    rng = np.random.default_rng(7)
    for _ in range(50):
        tags = rng.integers(0, 3, size=int(rng.integers(0, 15))).tolist()
        spans = bio_to_spans(tags)
        assert bio_to_spans(spans_to_bio(spans, len(tags))) == spans


@pytest.mark.parametrize(
    ("spans", "length", "error", "message"),
    [
        ([(0, 4)], 3, ValueError, r"ends past the sentence's 3 tokens"),
        ([(-1, 1)], 3, ValueError, r"0 <= start < end"),
        ([(2, 2)], 3, ValueError, r"0 <= start < end"),
        ([(2, 1)], 3, ValueError, r"0 <= start < end"),
        ([(0, 2), (1, 3)], 3, ValueError, r"\(0, 2\) and \(1, 3\) overlap"),
        ([(0, 1, 2)], 3, TypeError, r"\(start, end\) pair"),
        ([(0.0, 1.0)], 3, TypeError, r"two ints"),
        ([(0, 1)], -1, ValueError, r"length must be >= 0"),
        ([(0, 1)], 2.0, TypeError, r"length must be an int"),
    ],
)
def test_spans_to_bio_validates(spans, length, error, message):
    with pytest.raises(error, match=message):
        spans_to_bio(spans, length)


# ------------------------------------------------------------------------------------------------- PRF


def test_prf_str_and_validation():
    assert str(PRF(0.612, 0.55, 0.579)) == "P 61.2 R 55.0 F1 57.9"
    assert str(PRF(1, 0, 0)) == "P 100.0 R 0.0 F1 0.0"
    assert isinstance(PRF(1, 0, 0).precision, float)
    with pytest.raises(ValueError, match=r"recall must be in \[0, 1\]"):
        PRF(0.5, 1.5, 0.5)
    with pytest.raises(ValueError, match=r"f1 must be in \[0, 1\]"):
        PRF(0.5, 0.5, math.nan)
    with pytest.raises(TypeError, match="precision must be a float"):
        PRF("0.5", 0.5, 0.5)
    with pytest.raises(AttributeError):  # frozen
        PRF(0.5, 0.5, 0.5).f1 = 1.0  # type: ignore[misc]


# ------------------------------------------------------------------------------------------------- the rules

# Sentence 0 (12 tokens), the module docstring's example:
#   position   0 1 2 3 4 5 6 7 8 9 10 11
#   true       B I O O B I I O O B O  O     (0, 2) (4, 7) (9, 10)
#   predicted  B I O O O B I I I O O  B     (0, 2) (5, 9) (11, 12)
# (0, 2) exact; (5, 9) overlaps (4, 7) in tokens 5, 6; (11, 12) spurious; (9, 10) missed.
# Sentence 1 (6 tokens): one predicted span over two true spans.
#   position   0 1 2 3 4 5
#   true       B I O B I O                  (0, 2) (3, 5)
#   predicted  O B I I O O                  (1, 4): token 1 in (0, 2), token 3 in (3, 5), token 2 in neither
# Corpus: |P| = 3 + 1 = 4 predicted spans, |T| = 3 + 2 = 5 true spans.
TRUE_TAGS = [_tags("B I O O B I I O O B O O"), _tags("B I O B I O")]
PRED_TAGS = [_tags("B I O O O B I I I O O B"), _tags("O B I I O O")]
TRUE = [[(0, 2), (4, 7), (9, 10)], [(0, 2), (3, 5)]]
PRED = [[(0, 2), (5, 9), (11, 12)], [(1, 4)]]


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r)


def _assert_prf(got: PRF, p: float, r: float, f1: float) -> None:
    assert got.precision == pytest.approx(p, abs=1e-12)
    assert got.recall == pytest.approx(r, abs=1e-12)
    assert got.f1 == pytest.approx(f1, abs=1e-12)


def test_example_decodes():
    assert [bio_to_spans(s) for s in TRUE_TAGS] == TRUE
    assert [bio_to_spans(s) for s in PRED_TAGS] == PRED


def test_exact():
    # predicted matched exactly: (0, 2) of sentence 0 only -> P = 1/4
    # true matched exactly: (0, 2) of sentence 0 only -> R = 1/5
    # F1 = 2 (1/4)(1/5) / (1/4 + 1/5) = (1/10) / (9/20) = 2/9
    assert _f1(1 / 4, 1 / 5) == pytest.approx(2 / 9)
    _assert_prf(exact_prf(TRUE, PRED), 1 / 4, 1 / 5, 2 / 9)
    _assert_prf(span_prf(TRUE, PRED, "exact"), 1 / 4, 1 / 5, 2 / 9)


def test_binary():
    # predicted spans overlapping a true span: (0, 2), (5, 9) [sentence 0], (1, 4) [sentence 1]; not (11, 12)
    #   -> P = 3/4
    # true spans overlapped: (0, 2), (4, 7) [sentence 0], (0, 2) and (3, 5) [sentence 1, both by (1, 4)];
    #   not (9, 10) -> R = 4/5
    # F1 = 2 (3/4)(4/5) / (3/4 + 4/5) = (6/5) / (31/20) = 24/31
    assert _f1(3 / 4, 4 / 5) == pytest.approx(24 / 31)
    _assert_prf(binary_prf(TRUE, PRED), 3 / 4, 4 / 5, 24 / 31)
    _assert_prf(span_prf(TRUE, PRED, "binary"), 3 / 4, 4 / 5, 24 / 31)


def test_proportional():
    # precision, |p ∩ T_s| / |p| per predicted span:
    #   (0, 2): 2/2 = 1; (5, 9): tokens 5, 6 of 5..8 -> 2/4; (11, 12): 0/1; (1, 4): tokens 1 and 3 -> 2/3
    #   P = (1 + 1/2 + 0 + 2/3) / 4 = (13/6) / 4 = 13/24
    # recall, |t ∩ P_s| / |t| per true span:
    #   sentence 0: (0, 2): 2/2; (4, 7): tokens 5, 6 of 4..6 -> 2/3; (9, 10): 0/1
    #   sentence 1: (0, 2): token 1 -> 1/2; (3, 5): token 3 -> 1/2
    #   R = (1 + 2/3 + 0 + 1/2 + 1/2) / 5 = (8/3) / 5 = 8/15
    # F1 = 2 (13/24)(8/15) / (13/24 + 8/15) = (26/45) / (129/120) = 208/387
    assert _f1(13 / 24, 8 / 15) == pytest.approx(208 / 387)
    _assert_prf(proportional_prf(TRUE, PRED), 13 / 24, 8 / 15, 208 / 387)
    _assert_prf(span_prf(TRUE, PRED, "proportional"), 13 / 24, 8 / 15, 208 / 387)
    _assert_prf(span_prf(TRUE, PRED), 13 / 24, 8 / 15, 208 / 387)  # the default rule


def test_docstring_example_sentence():
    # sentence 0 alone: exact 1/3, 1/3; binary 2/3, 2/3; proportional P = (1 + 1/2 + 0)/3 = 1/2,
    # R = (1 + 2/3 + 0)/3 = 5/9, F1 = (5/9) / (19/18) = 10/19
    got = tag_prf(TRUE_TAGS[:1], PRED_TAGS[:1])
    _assert_prf(got["exact"], 1 / 3, 1 / 3, 1 / 3)
    _assert_prf(got["binary"], 2 / 3, 2 / 3, 2 / 3)
    _assert_prf(got["proportional"], 1 / 2, 5 / 9, 10 / 19)
    assert str(got["proportional"]) == "P 50.0 R 55.6 F1 52.6"


def test_tag_prf_matches_span_prf():
    got = tag_prf(TRUE_TAGS, PRED_TAGS)
    assert list(got) == ["exact", "binary", "proportional"]
    for rule in MATCH_RULES:
        assert got[rule] == span_prf(TRUE, PRED, rule)
    ids = [[BIO_TAGS.index(t) for t in s] for s in PRED_TAGS]
    assert tag_prf(TRUE_TAGS, [np.array(s) for s in ids]) == got  # ids or strings, either side


def test_proportional_union_of_touching_true_spans():
    # true (0, 2), (2, 4) touch; predicted (1, 3) is covered by their union: tokens 1, 2 -> P = 2/2 = 1
    # recall: (0, 2) has token 1 -> 1/2; (2, 4) has token 2 -> 1/2; R = (1/2 + 1/2) / 2 = 1/2; F1 = 2/3
    _assert_prf(proportional_prf([[(0, 2), (2, 4)]], [[(1, 3)]]), 1, 1 / 2, 2 / 3)
    # binary: (1, 3) overlaps a true span -> P = 1; both true spans are hit -> R = 1
    _assert_prf(binary_prf([[(0, 2), (2, 4)]], [[(1, 3)]]), 1, 1, 1)
    # exact: nothing matches
    _assert_prf(exact_prf([[(0, 2), (2, 4)]], [[(1, 3)]]), 0, 0, 0)


def test_overlap_does_not_cross_sentences():
    # (0, 2) predicted in sentence 1 does not match (0, 2) true in sentence 0: P = R = 0, F1 = 0
    for rule in MATCH_RULES:
        _assert_prf(span_prf([[(0, 2)], []], [[], [(0, 2)]], rule), 0, 0, 0)


# ------------------------------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize("rule", MATCH_RULES)
def test_nothing_predicted_has_precision_one(rule):
    # no predicted span: P = 1 (no false positive); 0 of 2 true spans found: R = 0; F1 = 2*1*0/(1+0) = 0
    _assert_prf(span_prf([[(0, 2)], [(1, 3)]], [[], []], rule), 1, 0, 0)


@pytest.mark.parametrize("rule", MATCH_RULES)
def test_nothing_to_find_has_recall_one(rule):
    # no true span: R = 1; the one predicted span is spurious: P = 0/1 = 0; F1 = 0
    _assert_prf(span_prf([[], []], [[(0, 1)], []], rule), 0, 1, 0)
    # nothing true, nothing predicted: P = R = F1 = 1; likewise for an empty corpus
    _assert_prf(span_prf([[], []], [[], []], rule), 1, 1, 1)
    _assert_prf(span_prf([], [], rule), 1, 1, 1)


@pytest.mark.parametrize("rule", MATCH_RULES)
def test_f1_zero_when_precision_and_recall_are_zero(rule):
    # one true span (0, 2), one predicted (3, 5), disjoint: P = 0/1, R = 0/1, P + R = 0 -> F1 = 0
    _assert_prf(span_prf([[(0, 2)]], [[(3, 5)]], rule), 0, 0, 0)


# ------------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("func", [span_prf, exact_prf, binary_prf, proportional_prf])
def test_sentence_counts_must_match(func):
    with pytest.raises(ValueError, match=r"true_spans has 2 sentences but pred_spans has 1"):
        func([[(0, 1)], []], [[]])


def test_bad_rule_lists_the_rules():
    with pytest.raises(ValueError, match=r"rule must be one of exact, binary, proportional, got 'overlap'"):
        span_prf([[]], [[]], "overlap")
    with pytest.raises(ValueError, match=r"one of exact, binary, proportional"):
        span_prf([[]], [[]], None)  # type: ignore[arg-type]


def test_bad_spans():
    with pytest.raises(
        ValueError, match=r"pred_spans sentence 1: span 0 = \(3, 3\) must have 0 <= start < end"
    ):
        span_prf([[], []], [[], [(3, 3)]])
    with pytest.raises(TypeError, match=r"true_spans sentence 0: span 0 must be a \(start, end\) pair"):
        span_prf([[5]], [[]])
    with pytest.raises(TypeError, match=r"true_spans must be a sequence"):
        span_prf(None, [[]])  # type: ignore[arg-type]


def test_tag_prf_errors():
    with pytest.raises(ValueError, match=r"true_tags has 2 sentences but pred_tags has 1"):
        tag_prf(TRUE_TAGS, PRED_TAGS[:1])
    with pytest.raises(ValueError, match=r"sentence 1 has 6 true tags but 5 predicted tags"):
        tag_prf(TRUE_TAGS, [PRED_TAGS[0], PRED_TAGS[1][:5]])
    with pytest.raises(ValueError, match=r"pred_tags sentence 1: tag 'X' at position 2"):
        tag_prf(TRUE_TAGS, [PRED_TAGS[0], _tags("O B X I O O")])


# ------------------------------------------------------------------------------------------------- properties


def _random_corpus(rng: np.random.Generator) -> tuple[list[list[int]], list[list[int]]]:
    n = int(rng.integers(0, 5))
    lengths = rng.integers(0, 13, size=n)
    # skewed towards O so that spans are short and sentences have several
    weights = np.array([0.5, 0.25, 0.25])
    true = [rng.choice(3, size=int(k), p=weights).tolist() for k in lengths]
    pred = [rng.choice(3, size=int(k), p=weights).tolist() for k in lengths]
    return true, pred


def _proportional_by_tokens(true: list[list[tuple[int, int]]], pred: list[list[tuple[int, int]]]) -> PRF:
    """The proportional rule straight from its definition, with sets of token positions."""
    p_sum = r_sum = 0.0
    n_p = n_t = 0
    for t_sent, p_sent in zip(true, pred, strict=True):
        t_tokens = {i for s, e in t_sent for i in range(s, e)}
        p_tokens = {i for s, e in p_sent for i in range(s, e)}
        p_sum += sum(len(set(range(s, e)) & t_tokens) / (e - s) for s, e in p_sent)
        r_sum += sum(len(set(range(s, e)) & p_tokens) / (e - s) for s, e in t_sent)
        n_p += len(p_sent)
        n_t += len(t_sent)
    p = p_sum / n_p if n_p else 1.0
    r = r_sum / n_t if n_t else 1.0
    return PRF(p, r, 2 * p * r / (p + r) if p + r else 0.0)


def test_exact_le_proportional_le_binary_on_random_corpora():
    rng = np.random.default_rng(20140601)
    eps = 1e-12
    for _ in range(200):
        true_tags, pred_tags = _random_corpus(rng)
        got = tag_prf(true_tags, pred_tags)
        ex, pr, bi = got["exact"], got["proportional"], got["binary"]
        for field in ("precision", "recall", "f1"):
            a, b, c = getattr(ex, field), getattr(pr, field), getattr(bi, field)
            assert a <= b + eps and b <= c + eps, (field, true_tags, pred_tags, got)
        true = [bio_to_spans(s) for s in true_tags]
        pred = [bio_to_spans(s) for s in pred_tags]
        ref = _proportional_by_tokens(true, pred)
        _assert_prf(pr, ref.precision, ref.recall, ref.f1)
        # perfect predictions score 1 under every rule
        for rule in MATCH_RULES:
            assert span_prf(true, true, rule) == PRF(1.0, 1.0, 1.0)
