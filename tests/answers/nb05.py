"""Answers to notebook 05 (class-based softmax), written from the student notebook alone.

Exercises: ``assign_frequency_classes`` (1), ``class_softmax_forward`` (2) and
``class_softmax_backward`` (3). ``LITERAL`` answers loop plainly (a stable argsort and a running sum
of the weights, one token and one softmax at a time, gradients added token by token);
``IDIOMATIC`` ones rank with ``np.lexsort``, take the shares from ``np.cumsum`` and run the clamps
through ``itertools.accumulate``, compute log-sum-exp softmaxes with the tokens grouped by class,
and gather the gradients with ``np.add.at``/``np.bincount`` over the flattened word scores;
``WRONG`` holds the mistakes the text and its checks warn about.
"""

LITERAL = {
    "nb05_frequency_classes": r'''
import math

import numpy as np


def assign_frequency_classes(counts: np.ndarray, num_classes: int, method: str = "sqrt") -> np.ndarray:
    """Rank by count (ties by id), a running share of the weight, the clamped class rank by rank."""
    c = np.array(counts, dtype=np.float64)  # a copy: counts itself is never touched
    V = c.shape[0]
    if method != "sqrt" and method != "mass":
        raise ValueError(f"method must be 'sqrt' or 'mass', got {method!r}")
    if not 1 <= num_classes <= V:
        raise ValueError(f"num_classes must be between 1 and V = {V}, got {num_classes}")
    total_count = 0.0
    for w in range(V):
        if c[w] < 0:
            raise ValueError(f"count of word {w} is negative: {c[w]}")
        total_count += c[w]
    if total_count == 0:
        raise ValueError("all counts are 0")
    C = int(num_classes)

    # rank: most frequent first, equal counts by the smaller id (a stable sort keeps id order)
    order = np.argsort(-c, kind="stable")

    # weights in rank order
    weights = []
    for r in range(V):
        p = c[order[r]] / total_count
        if method == "sqrt":
            weights.append(math.sqrt(p))
        else:
            weights.append(p)
    total_weight = 0.0
    for x in weights:
        total_weight += x

    word_class = np.zeros(V, dtype=np.int64)
    before = 0.0  # the weight of the words ranked before r
    previous = 0
    for r in range(V):
        m_r = before / total_weight
        if r == 0:
            c_r = 0
        else:
            c_r = math.floor(C * m_r)
            c_r = max(c_r, previous, r - (V - C))
            c_r = min(previous + 1, c_r, C - 1)
        word_class[order[r]] = c_r
        previous = c_r
        before += weights[r]
    return word_class
''',
    "nb05_class_softmax_forward": r'''
import math

import numpy as np


def class_softmax_forward(h, y, W_C, b_C, W_S, b_S, classes, mask=None):
    """One token at a time: the class softmax of every token, the word softmax of those that count."""
    N = h.shape[0]
    C = W_C.shape[0]
    if mask is None:
        mask_bool = np.ones(N, dtype=bool)
    else:
        mask_bool = np.zeros(N, dtype=bool)
        for i in range(N):
            mask_bool[i] = bool(mask[i])
    n = 0
    for i in range(N):
        if mask_bool[i]:
            n += 1
    if n == 0:
        raise ValueError("the mask selects no token")

    p_class = np.zeros((N, C))
    p_word = []
    total = 0.0
    for i in range(N):
        # class softmax, stable
        scores = h[i] @ W_C.T + b_C
        scores = scores - np.max(scores)
        e = np.exp(scores)
        p_class[i] = e / np.sum(e)
        if not mask_bool[i]:
            p_word.append(None)
            continue
        target = int(y[i])
        c = int(classes.word_class[target])
        words = classes.words(c)
        # word softmax over the target's class only, stable
        word_scores = h[i] @ W_S[words].T + b_S[words]
        word_scores = word_scores - np.max(word_scores)
        ew = np.exp(word_scores)
        pw = ew / np.sum(ew)
        p_word.append(pw)
        position = int(classes.word_index[target])
        total += -math.log(p_class[i, c]) - math.log(pw[position])
    J = total / n
    cache = (h, y, mask_bool, W_C, W_S, classes, p_class, p_word)
    return float(J), cache
''',
    "nb05_class_softmax_backward": r'''
import numpy as np


def class_softmax_backward(dloss, cache):
    """Token by token: probabilities minus one-hot, twice, into copies; weight dloss / n."""
    h, y, mask, W_C, W_S, classes, p_class, p_word = cache
    N, H = h.shape
    C = W_C.shape[0]
    V = W_S.shape[0]
    grads = {"h": np.zeros((N, H)), "W_C": np.zeros((C, H)), "b_C": np.zeros(C),
             "W_S": np.zeros((V, H)), "b_S": np.zeros(V)}
    n = 0
    for i in range(N):
        if mask[i]:
            n += 1
    weight = dloss / n
    for i in range(N):
        if not mask[i]:
            continue
        target = int(y[i])
        c = int(classes.word_class[target])
        # class scores
        ds_class = p_class[i].copy()
        ds_class[c] -= 1.0
        ds_class = ds_class * weight
        grads["W_C"] += np.outer(ds_class, h[i])
        grads["b_C"] += ds_class
        grads["h"][i] += ds_class @ W_C
        # word scores of the target's class
        words = classes.words(c)
        ds_word = np.array(p_word[i], dtype=float)  # a copy
        ds_word[int(classes.word_index[target])] -= 1.0
        ds_word = ds_word * weight
        for k in range(len(words)):
            w = int(words[k])
            grads["W_S"][w] += ds_word[k] * h[i]
            grads["b_S"][w] += ds_word[k]
            grads["h"][i] += ds_word[k] * W_S[w]
    return grads
''',
}

IDIOMATIC = {
    "nb05_frequency_classes": r'''
from itertools import accumulate

import numpy as np


def assign_frequency_classes(counts: np.ndarray, num_classes: int, method: str = "sqrt") -> np.ndarray:
    """np.lexsort for the ranks, np.cumsum for the shares (sqrt(count) has the shares of sqrt(p)),
    the clamped recurrence through itertools.accumulate."""
    weigh = {"sqrt": np.sqrt, "mass": lambda x: x}
    if method not in weigh:
        raise ValueError(f"unknown method {method!r}: use 'sqrt' or 'mass'")
    c = np.asarray(counts, dtype=float)
    V = c.size
    if not (1 <= num_classes <= V):
        raise ValueError(f"num_classes = {num_classes} is not in [1, {V}]")
    if np.any(c < 0) or not np.any(c > 0):
        raise ValueError("counts must be >= 0 and not all 0")
    C = int(num_classes)
    ids = np.arange(V)
    order = np.lexsort((ids, -c))  # last key first: by -count, then by id
    w = weigh[method](c[order])
    m = np.concatenate(([0.0], np.cumsum(w)[:-1])) / w.sum()
    floor_or_catch_up = np.maximum(np.floor(C * m).astype(np.int64), ids - (V - C))
    by_rank = accumulate(floor_or_catch_up[1:].tolist(),
                         lambda prev, t: min(prev + 1, max(t, prev), C - 1), initial=0)
    word_class = np.empty(V, dtype=np.intp)
    word_class[order] = list(by_rank)
    return word_class
''',
    "nb05_class_softmax_forward": r'''
import numpy as np


def _log_softmax(scores):
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def class_softmax_forward(h, y, W_C, b_C, W_S, b_S, classes, mask=None):
    """Log-sum-exp softmaxes: all class scores in one product, the word scores one class at a time
    for the counted tokens of that class."""
    N = len(h)
    keep = np.ones(N, dtype=bool) if mask is None else np.asarray(mask) != 0
    selected = np.flatnonzero(keep)
    if selected.size == 0:
        raise ValueError("mask selects no token: the mean would be 0/0")
    log_p_class = _log_softmax(h @ W_C.T + b_C)
    targets = np.asarray(y)[selected]
    target_class = classes.word_class[targets]
    nll = -log_p_class[selected, target_class].sum()
    p_word = [None] * N
    for c in np.unique(target_class):
        rows = selected[target_class == c]
        words = classes.words(int(c))
        log_p = _log_softmax(h[rows] @ W_S[words].T + b_S[words])
        at = classes.word_index[np.asarray(y)[rows]]
        nll -= log_p[np.arange(rows.size), at].sum()
        for i, probs in zip(rows, np.exp(log_p), strict=True):
            p_word[i] = probs
    return float(nll / selected.size), (h, y, keep, W_C, W_S, classes, np.exp(log_p_class), p_word)
''',
    "nb05_class_softmax_backward": r'''
import numpy as np


def class_softmax_backward(dloss, cache):
    """Vectorised: one matrix of class-score gradients, the word-score gradients of all selected
    tokens flattened into one vector and scattered with np.add.at / np.bincount."""
    h, y, mask, W_C, W_S, classes, p_class, p_word = cache
    sel = np.flatnonzero(np.asarray(mask).astype(bool))
    scale = dloss / sel.size
    tc = classes.word_class[np.asarray(y)[sel]]

    ds_class = np.zeros(p_class.shape)
    ds_class[sel] = p_class[sel]
    ds_class[sel, tc] -= 1.0
    ds_class *= scale

    sizes = classes.class_sizes[tc]
    token = np.repeat(sel, sizes)
    words = np.concatenate([classes.words(int(c)) for c in tc])
    ds_word = np.concatenate([np.asarray(p_word[i], dtype=float) for i in sel])  # a new array
    starts = np.cumsum(sizes) - sizes
    ds_word[starts + classes.word_index[np.asarray(y)[sel]]] -= 1.0
    ds_word *= scale

    V, H = W_S.shape
    dW_S = np.zeros((V, H))
    np.add.at(dW_S, words, ds_word[:, None] * h[token])
    dh = ds_class @ W_C
    np.add.at(dh, token, ds_word[:, None] * W_S[words])
    return {"h": dh, "W_C": ds_class.T @ h, "b_C": ds_class.sum(axis=0),
            "W_S": dW_S, "b_S": np.bincount(words, weights=ds_word, minlength=V).astype(float)}
''',
}

WRONG = {
    # without the "at most one class more per rank" clamp: a heavy word makes the classes jump
    "nb05_frequency_classes": (r'''
import math

import numpy as np


def assign_frequency_classes(counts: np.ndarray, num_classes: int, method: str = "sqrt") -> np.ndarray:
    c = np.asarray(counts, dtype=float)
    V = c.size
    if method not in ("sqrt", "mass"):
        raise ValueError("bad method")
    if not 1 <= num_classes <= V:
        raise ValueError("bad num_classes")
    if (c < 0).any() or c.sum() == 0:
        raise ValueError("bad counts")
    C = int(num_classes)
    order = np.argsort(-c, kind="stable")
    p = c[order] / c.sum()
    w = np.sqrt(p) if method == "sqrt" else p
    word_class = np.zeros(V, dtype=int)
    before, previous = 0.0, 0
    for r in range(V):
        m_r = before / w.sum()
        c_r = min(max(math.floor(C * m_r), previous, r - (V - C)), C - 1)
        word_class[order[r]] = c_r
        previous = c_r
        before += w[r]
    return word_class
''', "the class may grow by at most one"),
    # softmaxes without subtracting the row's maximum: exp overflows on large scores
    "nb05_class_softmax_forward": (r'''
import math

import numpy as np


def class_softmax_forward(h, y, W_C, b_C, W_S, b_S, classes, mask=None):
    N = h.shape[0]
    mask = np.ones(N, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    n = int(mask.sum())
    if n == 0:
        raise ValueError("the mask selects no token")
    e = np.exp(h @ W_C.T + b_C)
    p_class = e / e.sum(axis=1, keepdims=True)
    p_word = []
    total = 0.0
    for i in range(N):
        if not mask[i]:
            p_word.append(None)
            continue
        c = int(classes.word_class[y[i]])
        words = classes.words(c)
        ew = np.exp(h[i] @ W_S[words].T + b_S[words])
        pw = ew / ew.sum()
        p_word.append(pw)
        total += -math.log(p_class[i, c]) - math.log(pw[classes.word_index[y[i]]])
    return total / n, (h, y, mask, W_C, W_S, classes, p_class, p_word)
''', "subtract each row's maximum before exp"),
    # the one-hot subtracted from p_class in place: the cache changes on every call
    "nb05_class_softmax_backward": (r'''
import numpy as np


def class_softmax_backward(dloss, cache):
    h, y, mask, W_C, W_S, classes, p_class, p_word = cache
    N, H = h.shape
    V = W_S.shape[0]
    n = int(np.sum(mask))
    grads = {"h": np.zeros((N, H)), "W_C": np.zeros(W_C.shape), "b_C": np.zeros(W_C.shape[0]),
             "W_S": np.zeros((V, H)), "b_S": np.zeros(V)}
    for i in range(N):
        if not mask[i]:
            continue
        c = int(classes.word_class[y[i]])
        ds_class = p_class[i]  # a view: the next line changes the cache
        ds_class[c] -= 1.0
        grads["W_C"] += dloss / n * np.outer(ds_class, h[i])
        grads["b_C"] += dloss / n * ds_class
        grads["h"][i] += dloss / n * ds_class @ W_C
        words = classes.words(c)
        ds_word = p_word[i].copy()
        ds_word[classes.word_index[y[i]]] -= 1.0
        grads["W_S"][words] += dloss / n * np.outer(ds_word, h[i])
        grads["b_S"][words] += dloss / n * ds_word
        grads["h"][i] += dloss / n * ds_word @ W_S[words]
    return grads
''', "p_class in the cache was modified"),
}
