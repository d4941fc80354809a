"""Answers to notebook 06 (bidirectional and deep RNNs for opinion mining), from the student notebook alone.

Exercises: ``bio_to_spans`` (1), ``proportional_prf`` (2), ``birnn_states`` (3) and
``deep_layer_states`` (4). ``LITERAL`` answers loop plainly (one tag at a time with explicit type
checks and an open-span variable, token sets for the unions of spans, one row and one step at a time
for both directions, ``W`` and ``V`` applied separately in the deep layer); ``IDIOMATIC`` ones
validate NumPy arrays by dtype and other tags through ``functools.singledispatch`` and decode the
letters with a regular expression, measure overlaps by interval arithmetic over a broadcast matrix of
span pairs, run the whole batch at once with ``np.einsum`` over rows gathered in reverse within their
lengths (``np.take_along_axis``), and make a deep layer a call of ``birnn_states`` with
``[W, V]`` concatenated, as the text suggests; ``WRONG`` holds the mistakes the text and its checks
warn about.
"""

LITERAL = {
    "nb06_bio_to_spans": r'''
import numpy as np


def _tag_letter(tag):
    """"O", "B" or "I" for a valid tag; ValueError for anything else."""
    if isinstance(tag, (bool, np.bool_)):
        raise ValueError(f"{tag!r} is not a BIO tag (booleans are not ids)")
    if isinstance(tag, str):  # np.str_ is a subclass of str
        if tag == "O" or tag == "B" or tag == "I":
            return str(tag)
        raise ValueError(f"{tag!r} is not a BIO tag")
    if isinstance(tag, (int, np.integer)):
        if tag == 0:
            return "O"
        if tag == 1:
            return "B"
        if tag == 2:
            return "I"
        raise ValueError(f"{tag!r} is not a tag id (0, 1 or 2)")
    raise ValueError(f"{tag!r} of type {type(tag).__name__} is not a BIO tag")


def bio_to_spans(tags):
    """Left to right with the start of the open span (None when no span is open)."""
    spans = []
    open_start = None
    T = len(tags)
    for t in range(T):
        letter = _tag_letter(tags[t])
        if letter == "B":
            if open_start is not None:
                spans.append((open_start, t))
            open_start = t
        elif letter == "I":
            if open_start is None:
                open_start = t
        else:  # "O"
            if open_start is not None:
                spans.append((open_start, t))
                open_start = None
    if open_start is not None:
        spans.append((open_start, T))
    return spans
''',
    "nb06_proportional_prf": r'''
from rnnlm.metrics import PRF


def proportional_prf(true_spans, pred_spans):
    """Token sets for the union of each side of each sentence; fractions summed over the corpus."""
    if len(true_spans) != len(pred_spans):
        raise ValueError(f"{len(true_spans)} sentences of true spans but {len(pred_spans)} of predicted")
    precision_sum = 0.0
    n_pred = 0
    recall_sum = 0.0
    n_true = 0
    for i in range(len(true_spans)):
        true_tokens = set()
        for start, end in true_spans[i]:
            for k in range(start, end):
                true_tokens.add(k)
        pred_tokens = set()
        for start, end in pred_spans[i]:
            for k in range(start, end):
                pred_tokens.add(k)
        for start, end in pred_spans[i]:
            covered = 0
            for k in range(start, end):
                if k in true_tokens:
                    covered += 1
            precision_sum += covered / (end - start)
            n_pred += 1
        for start, end in true_spans[i]:
            covered = 0
            for k in range(start, end):
                if k in pred_tokens:
                    covered += 1
            recall_sum += covered / (end - start)
            n_true += 1
    if n_pred == 0:
        precision = 1.0
    else:
        precision = precision_sum / n_pred
    if n_true == 0:
        recall = 1.0
    else:
        recall = recall_sum / n_true
    if precision + recall == 0:
        f1 = 0.0
    else:
        f1 = 2 * precision * recall / (precision + recall)
    return PRF(precision, recall, f1)
''',
    "nb06_birnn_states": r'''
import numpy as np

from rnnlm import rnn_numpy


def birnn_states(x, lengths, params_f, params_b, activation="tanh"):
    """One row and one step at a time; only the real tokens are ever read or written."""
    f = rnn_numpy.get_activation(activation).f
    B, T, _ = x.shape
    H = params_f["W_hh"].shape[0]
    h = np.zeros((B, T, 2 * H))
    for b in range(B):
        n = int(lengths[b])
        # forward: t = 0 .. n - 1
        state = np.zeros(H)
        for t in range(n):
            state = f(x[b, t] @ params_f["W_hx"].T + state @ params_f["W_hh"].T + params_f["b_h"])
            h[b, t, :H] = state
        # backward: t = n - 1 .. 0, from a zero state at the last real token
        state = np.zeros(H)
        for t in range(n - 1, -1, -1):
            state = f(x[b, t] @ params_b["W_hx"].T + state @ params_b["W_hh"].T + params_b["b_h"])
            h[b, t, H:] = state
    return h
''',
    "nb06_deep_layer_states": r'''
import numpy as np

from rnnlm import rnn_numpy


def deep_layer_states(h_below, lengths, params, activation="tanh"):
    """The two formulas as written: a_t through W_d, c_t through V_d, one row and one step at a time."""
    f = rnn_numpy.get_activation(activation).f
    B, T, _ = h_below.shape
    Hp = params["W_f"].shape[1]  # H', the units per direction below
    H = params["W_hh_f"].shape[0]
    h = np.zeros((B, T, 2 * H))
    for b in range(B):
        n = int(lengths[b])
        state = np.zeros(H)
        for t in range(n):
            a = h_below[b, t, :Hp]
            c = h_below[b, t, Hp:]
            state = f(a @ params["W_f"].T + c @ params["V_f"].T + state @ params["W_hh_f"].T
                      + params["b_h_f"])
            h[b, t, :H] = state
        state = np.zeros(H)
        for t in range(n - 1, -1, -1):
            a = h_below[b, t, :Hp]
            c = h_below[b, t, Hp:]
            state = f(a @ params["W_b"].T + c @ params["V_b"].T + state @ params["W_hh_b"].T
                      + params["b_h_b"])
            h[b, t, H:] = state
    return h
''',
}

IDIOMATIC = {
    "nb06_bio_to_spans": r'''
import re
from functools import singledispatch

import numpy as np

_LETTERS = "OBI"
_SPAN = re.compile("[BI]I*")  # a B or an I with no span open, and the I's that continue it


@singledispatch
def _letter(tag):
    raise ValueError(f"{tag!r} ({type(tag).__name__}) is not a BIO tag")


@_letter.register(str)
def _(tag):
    if tag not in ("O", "B", "I"):
        raise ValueError(f"{tag!r} is not a BIO tag")
    return str(tag)


@_letter.register(int)
@_letter.register(np.integer)
def _(tag):
    if not 0 <= tag <= 2:
        raise ValueError(f"{tag!r} is not a tag id")
    return _LETTERS[int(tag)]


@_letter.register(bool)
@_letter.register(np.bool_)
def _(tag):
    raise ValueError(f"{tag!r} is a boolean, not a tag id")


def _letters(tags):
    if isinstance(tags, np.ndarray) and tags.dtype.kind in "iu":  # a whole array of ids at once
        if np.any((tags < 0) | (tags > 2)):
            raise ValueError(f"tag ids must be 0, 1 or 2, got {np.unique(tags).tolist()}")
        return "".join(np.array(list(_LETTERS))[tags.astype(np.intp)].tolist())
    if isinstance(tags, np.ndarray) and tags.dtype.kind == "U":  # a whole array of strings at once
        if not np.isin(tags, ["O", "B", "I"]).all():
            raise ValueError(f"tags must be 'O', 'B' or 'I', got {np.unique(tags).tolist()}")
        return "".join(tags.tolist())
    return "".join(map(_letter, tags))


def bio_to_spans(tags):
    """The tags as a string of letters; every maximal [BI]I* run from the left is a span."""
    return [(m.start(), m.end()) for m in _SPAN.finditer(_letters(tags))]
''',
    "nb06_proportional_prf": r'''
import numpy as np

from rnnlm.metrics import PRF


def _as_array(spans):
    return np.array([(s, e) for s, e in spans], dtype=np.int64).reshape(-1, 2)


def proportional_prf(true_spans, pred_spans):
    """Interval arithmetic: the overlaps of all (predicted, true) pairs of a sentence at once; the
    spans of one side do not overlap each other, so the overlap with their union is the row sum."""
    if len(true_spans) != len(pred_spans):
        raise ValueError(f"proportional_prf: {len(true_spans)} vs {len(pred_spans)} sentences")
    pred_fractions, true_fractions = [], []
    for true, pred in zip(true_spans, pred_spans):
        t, p = _as_array(true), _as_array(pred)
        overlap = np.clip(np.minimum(p[:, None, 1], t[None, :, 1]) - np.maximum(p[:, None, 0], t[None, :, 0]),
                          0, None)  # (|pred|, |true|) tokens shared
        pred_fractions.append(overlap.sum(axis=1) / (p[:, 1] - p[:, 0]))
        true_fractions.append(overlap.sum(axis=0) / (t[:, 1] - t[:, 0]))
    pf, tf = np.concatenate(pred_fractions), np.concatenate(true_fractions)
    precision = float(pf.mean()) if pf.size else 1.0
    recall = float(tf.mean()) if tf.size else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return PRF(precision=min(precision, 1.0), recall=min(recall, 1.0), f1=min(f1, 1.0))
''',
    "nb06_birnn_states": r'''
import numpy as np

from rnnlm import rnn_numpy


def _run(inputs, real, p, f):
    """The recurrence over the whole batch at once; states stay 0 wherever real is False."""
    B, T, _ = inputs.shape
    pre = np.einsum("btd,hd->bth", inputs, p["W_hx"]) + p["b_h"]
    h = np.zeros((B, p["W_hh"].shape[0]), dtype=pre.dtype)
    out = np.zeros_like(pre)
    for t in range(T):
        h = np.where(real[:, t, None], f(pre[:, t] + np.einsum("bk,hk->bh", h, p["W_hh"])), 0.0)
        out[:, t] = h
    return out


def birnn_states(x, lengths, params_f, params_b, activation="tanh"):
    """Forward over x as it is; backward over the rows gathered in reverse within their lengths,
    gathered back with the same (self-inverse) index."""
    f = rnn_numpy.get_activation(activation).f
    n = np.asarray(lengths)[:, None]
    steps = np.arange(x.shape[1])[None, :]
    real = steps < n  # (B, T)
    reverse = np.where(real, n - 1 - steps, steps)[:, :, None]  # (B, T, 1)
    hf = _run(x, real, params_f, f)
    hb = np.take_along_axis(_run(np.take_along_axis(x, reverse, axis=1), real, params_b, f), reverse, axis=1)
    return np.concatenate([hf, hb], axis=-1)
''',
    "nb06_deep_layer_states": r'''
import numpy as np


def deep_layer_states(h_below, lengths, params, activation="tanh"):
    """[a_t, c_t] @ [W, V].T: exercise 3 over h_below with W_hx = [W_d, V_d] for each direction."""

    def direction(d):
        return {"W_hx": np.concatenate([params[f"W_{d}"], params[f"V_{d}"]], axis=1),
                "W_hh": params[f"W_hh_{d}"], "b_h": params[f"b_h_{d}"]}

    return birnn_states(h_below, lengths, direction("f"), direction("b"), activation)  # noqa: F821
''',
}

WRONG = {
    # tags looked up in a dict: 1.0 and True hash like 1, so they pass as ids
    "nb06_bio_to_spans": (r'''
def bio_to_spans(tags):
    letter_of = {"O": "O", "B": "B", "I": "I", 0: "O", 1: "B", 2: "I"}
    spans = []
    start = None
    for t, tag in enumerate(tags):
        try:
            letter = letter_of[tag]
        except (KeyError, TypeError):
            raise ValueError(f"{tag!r} is not a tag") from None
        if letter == "B" or (letter == "I" and start is None):
            if start is not None:
                spans.append((start, t))
            start = t
        elif letter == "O" and start is not None:
            spans.append((start, t))
            start = None
    if start is not None:
        spans.append((start, len(tags)))
    return spans
''', "floats and booleans are not ids"),
    # precision and recall averaged sentence by sentence (macro) instead of over all the spans
    "nb06_proportional_prf": (r'''
from rnnlm.metrics import PRF


def proportional_prf(true_spans, pred_spans):
    if len(true_spans) != len(pred_spans):
        raise ValueError("different numbers of sentences")
    precisions, recalls = [], []
    for true, pred in zip(true_spans, pred_spans):
        true_tokens = {k for s, e in true for k in range(s, e)}
        pred_tokens = {k for s, e in pred for k in range(s, e)}
        if pred:
            precisions.append(sum(len(true_tokens & set(range(s, e))) / (e - s) for s, e in pred) / len(pred))
        if true:
            recalls.append(sum(len(pred_tokens & set(range(s, e))) / (e - s) for s, e in true) / len(true))
    precision = sum(precisions) / len(precisions) if precisions else 1.0
    recall = sum(recalls) / len(recalls) if recalls else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return PRF(precision, recall, f1)
''', "not a mean of per-sentence precisions"),
    # the backward RNN run over the whole padded row reversed: it starts in the padding
    "nb06_birnn_states": (r'''
import numpy as np

from rnnlm import rnn_numpy


def birnn_states(x, lengths, params_f, params_b, activation="tanh"):
    B, T, _ = x.shape
    H = params_f["W_hh"].shape[0]
    real = np.arange(T)[None, :] < np.asarray(lengths)[:, None]
    hf = rnn_numpy.rnn_forward(x, np.zeros((B, H)), params_f["W_hx"], params_f["W_hh"], params_f["b_h"],
                               activation)[0]
    hb = rnn_numpy.rnn_forward(x[:, ::-1].copy(), np.zeros((B, H)), params_b["W_hx"], params_b["W_hh"],
                               params_b["b_h"], activation)[0][:, ::-1]
    h = np.concatenate([hf, hb], axis=-1)
    h[~real] = 0.0
    return h
''', "starts at the LAST REAL token"),
    # W_d and V_d swapped: W_d applied to the backward states below, V_d to the forward ones
    "nb06_deep_layer_states": (r'''
import numpy as np

from rnnlm import rnn_numpy


def deep_layer_states(h_below, lengths, params, activation="tanh"):
    f = rnn_numpy.get_activation(activation).f
    B, T, _ = h_below.shape
    Hp = params["W_f"].shape[1]
    H = params["W_hh_f"].shape[0]
    h = np.zeros((B, T, 2 * H))
    for b in range(B):
        n = int(lengths[b])
        state = np.zeros(H)
        for t in range(n):
            a, c = h_below[b, t, :Hp], h_below[b, t, Hp:]
            state = f(c @ params["W_f"].T + a @ params["V_f"].T + state @ params["W_hh_f"].T
                      + params["b_h_f"])
            h[b, t, :H] = state
        state = np.zeros(H)
        for t in range(n - 1, -1, -1):
            a, c = h_below[b, t, :Hp], h_below[b, t, Hp:]
            state = f(c @ params["W_b"].T + a @ params["V_b"].T + state @ params["W_hh_b"].T
                      + params["b_h_b"])
            h[b, t, H:] = state
    return h
''', "W_f multiplies the FORWARD states below"),
}
