"""The class-factored softmax: frequency-binned classes, exact gradients, a valid distribution, the
full softmax at C = 1, NumPy and PyTorch agreeing, and an RNN LM that trains with it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnnlm import class_softmax as cs
from rnnlm import rnn_numpy as rn
from rnnlm.class_softmax import ClassSoftmax, FullSoftmax, WordClasses, frequency_classes
from rnnlm.gradcheck import assert_gradients_ok, check_param_gradients
from rnnlm.rnn_torch import PARAM_NAMES, RNNLM

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def zipf_counts(V: int, seed: int = 0, exponent: float = 1.0) -> np.ndarray:
    """Zipf-like integer counts (V,) for shuffled word ids (so id order is not frequency order)."""
    counts = np.maximum(1, np.round(1e5 / np.arange(1, V + 1) ** exponent)).astype(np.int64)
    return np.random.default_rng(seed).permutation(counts)


def weights(counts: np.ndarray, method: str) -> np.ndarray:
    p = counts / counts.sum()
    w = np.sqrt(p) if method == "sqrt" else p
    return w / w.sum()


def layer_params(V: int, C: int, H: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"W_C": rng.normal(0, 0.7, (C, H)), "b_C": rng.normal(0, 0.3, C),
            "W_S": rng.normal(0, 0.7, (V, H)), "b_S": rng.normal(0, 0.3, V)}


# --------------------------------------------------------------------------- the classes


def test_the_binning_rule_on_small_examples():
    # mass: ranks 1 (0.4), 3 (0.3), 2 (0.2), 0 (0.1); mass before them 0, .4, .7, .9 -> floor(2 m)
    np.testing.assert_array_equal(frequency_classes([10, 40, 20, 30], 2, "mass").word_class, [1, 0, 1, 0])
    # equal counts cut exactly at the boundary (integer arithmetic for "mass", exact halves for "sqrt")
    for method in cs.BINNINGS:
        np.testing.assert_array_equal(frequency_classes([5, 5, 5, 5], 2, method).word_class, [0, 0, 1, 1])
    # a word heavier than 1/C is followed by one-word classes until the index catches up
    np.testing.assert_array_equal(frequency_classes([97, 1, 1, 1], 3, "mass").word_class, [0, 1, 2, 2])
    # the words left must fill the classes left: C = V gives one word per class whatever the counts
    np.testing.assert_array_equal(frequency_classes([1, 1000, 1, 1], 4, "mass").word_class, [1, 0, 2, 3])
    # sqrt(p) flattens the weights: fewer words in the frequent word's class than mass would give
    counts = [60, 10, 10, 10, 10]
    assert frequency_classes(counts, 2, "mass").class_sizes.tolist() == [1, 4]
    assert frequency_classes(counts, 2, "sqrt").class_sizes.tolist() == [2, 3]


@pytest.mark.parametrize("method", cs.BINNINGS)
def test_classes_hold_equal_weight_within_one_word(method):
    counts = np.random.default_rng(3).integers(50, 150, size=500)
    w = weights(counts, method)
    for C in (4, 10, 25):
        classes = frequency_classes(counts, C, method)
        mass = np.bincount(classes.word_class, weights=w, minlength=C)
        assert np.all(np.abs(mass - 1.0 / C) <= w.max() + 1e-12), (C, mass)
        assert classes.class_mass(counts) == pytest.approx(
            np.bincount(classes.word_class, weights=counts / counts.sum(), minlength=C))


@pytest.mark.parametrize("method", cs.BINNINGS)
def test_frequent_words_get_the_first_small_classes(method):
    counts = zipf_counts(2000, seed=1)
    classes = frequency_classes(counts, 30, method)
    by_rank = np.argsort(-counts, kind="stable")
    assert np.all(np.diff(classes.word_class[by_rank]) >= 0), "a rarer word sits in an earlier class"
    assert classes.word_class[by_rank[0]] == 0 and classes.word_class[by_rank[-1]] == 29
    sizes = classes.class_sizes
    assert sizes[0] == sizes.min() and sizes[:5].max() < sizes[-5:].min()
    assert classes.counts is not None and classes.counts.tolist() == counts.tolist()


def test_sqrt_binning_gives_smaller_classes_to_the_frequent_words_than_mass():
    counts = zipf_counts(5000, seed=2)
    mass, sqrt = (frequency_classes(counts, 70, m) for m in ("mass", "sqrt"))
    assert sqrt.class_sizes.max() < mass.class_sizes.max()
    assert sqrt.expected_class_size() < mass.expected_class_size()
    # equal-mass classes: the expected class size over the unigram distribution is close to V / C
    assert mass.expected_class_size() == pytest.approx(5000 / 70, rel=0.1)


@pytest.mark.parametrize("C", [1, 2, 7, 50, 200])
def test_every_word_is_mapped_once(C):
    counts = zipf_counts(200, seed=C)
    classes = frequency_classes(counts, C)
    V = 200
    assert classes.vocab_size == V and classes.num_classes == C
    assert sorted(classes.class_words.tolist()) == list(range(V))
    assert np.all(classes.class_sizes >= 1) and classes.class_sizes.sum() == V
    assert classes.class_offsets[0] == 0 and classes.class_offsets[-1] == V
    np.testing.assert_array_equal(np.diff(classes.class_offsets), classes.class_sizes)
    pos = classes.class_offsets[classes.word_class] + classes.word_index
    np.testing.assert_array_equal(classes.class_words[pos], np.arange(V))
    assert np.all(classes.word_index < classes.class_sizes[classes.word_class])
    for c in range(C):
        assert np.all(classes.word_class[classes.words(c)] == c)
    if C == 1:
        assert np.all(classes.word_class == 0)
    if C == V:
        assert np.all(classes.class_sizes == 1)
    assert WordClasses.from_assignment(classes.word_class) == classes
    with pytest.raises(ValueError):
        classes.word_class[0] = 1  # read-only


def test_bad_classes_raise_clear_errors():
    counts = [3, 2, 1]
    for C in (0, 4, -1):
        with pytest.raises(ValueError, match="between 1 and V = 3"):
            frequency_classes(counts, C)
    for C in (2.0, True, "2"):
        with pytest.raises(TypeError, match="num_classes must be an int"):
            frequency_classes(counts, C)
    with pytest.raises(ValueError, match="method"):
        frequency_classes(counts, 2, "log")
    with pytest.raises(ValueError, match=">= 0"):
        frequency_classes([3, -1, 1], 2)
    with pytest.raises(ValueError, match="NaN or inf"):
        frequency_classes([3.0, np.nan, 1.0], 2)
    with pytest.raises(ValueError, match="sum to 0"):
        frequency_classes([0, 0, 0], 2)
    with pytest.raises(ValueError, match="1-D"):
        frequency_classes([[1, 2], [3, 4]], 2)
    with pytest.raises(TypeError, match="numeric"):
        frequency_classes(["a", "b"], 1)
    with pytest.raises(ValueError, match="class 1 is empty"):
        WordClasses.from_assignment([0, 2, 2])
    with pytest.raises(TypeError, match="integer"):
        WordClasses.from_assignment([0.0, 1.0])
    with pytest.raises(ValueError, match="class must be an int"):
        frequency_classes(counts, 2).words(2)


# --------------------------------------------------------------------------- cost accounting


def test_cost_accounting():
    V, H = 10_000, 200
    uniform = np.ones(V, dtype=np.int64)
    cost = cs.output_layer_cost(H, frequency_classes(uniform, 100, "mass"))
    assert cost.full == H * V and cost.expected_class_size == pytest.approx(100)
    assert cost.factored == pytest.approx(H * (100 + 100)) == cost.optimum
    assert cost.optimum_classes == 100 and cost.speedup == pytest.approx(50)
    one = cs.output_layer_cost(H, frequency_classes(uniform, 1))
    assert one.factored == H * (1 + V)
    zipf = zipf_counts(V)
    layer = ClassSoftmax(H, frequency_classes(zipf, 100), device="cpu", seed=0)
    text = layer.cost_summary()
    c = layer.cost()
    assert c.factored == pytest.approx(H * (100 + c.expected_class_size))
    assert "2,000,000" in text and "sqrt(V) = 100" in text and f"{c.speedup:.1f}x" in text
    assert "2,000,000" in FullSoftmax(H, V, device="cpu").cost_summary()
    with pytest.raises(ValueError, match="carry no counts"):
        cs.output_layer_cost(H, WordClasses.from_assignment([0, 1, 1]))


# --------------------------------------------------------------------------- NumPy reference


def numpy_case(V: int, C: int, H: int, N: int, seed: int, masked: bool):
    rng = np.random.default_rng(seed)
    classes = frequency_classes(zipf_counts(V, seed), C)
    params = layer_params(V, C, H, seed)
    params["h"] = rng.normal(0, 1.0, (N, H))
    y = rng.integers(0, V, N)
    mask = None
    if masked:
        mask = rng.random(N) < 0.7
        mask[0] = True
        y = np.where(mask, y, -1)  # padding at masked positions is ignored
    return classes, params, y, mask


def np_loss(p, y, classes, mask=None):
    return cs.class_softmax_loss(p["h"], y, p["W_C"], p["b_C"], p["W_S"], p["b_S"], classes, mask)


@pytest.mark.parametrize(("C", "masked"), [(1, False), (3, True), (5, False), (12, True)])
def test_numpy_gradients_pass_the_numeric_check(C, masked):
    classes, p, y, mask = numpy_case(V=12, C=C, H=4, N=9, seed=C, masked=masked)
    _, grads = np_loss(p, y, classes, mask)

    def f():
        return cs.class_softmax_forward(p["h"], y, p["W_C"], p["b_C"], p["W_S"], p["b_S"], classes, mask)[0]

    assert_gradients_ok(check_param_gradients(f, p, grads, tol=1e-7))


def test_numpy_backward_scales_with_the_upstream_gradient():
    classes, p, y, mask = numpy_case(V=12, C=3, H=4, N=9, seed=0, masked=True)
    _, cache = cs.class_softmax_forward(p["h"], y, p["W_C"], p["b_C"], p["W_S"], p["b_S"], classes, mask)
    g1, g3 = cs.class_softmax_backward(1.0, cache), cs.class_softmax_backward(3.0, cache)
    for k in g1:
        np.testing.assert_allclose(g3[k], 3.0 * g1[k], rtol=1e-12, atol=1e-15)
    assert np.all(g1["h"][~mask] == 0)


def test_the_forward_cache_holds_what_notebook_05_documents():
    """cache = (h, y, mask, W_C, W_S, classes, p_class, p_word): every probability written out."""
    classes, p, y, mask = numpy_case(V=12, C=4, H=3, N=8, seed=3, masked=True)
    _, cache = cs.class_softmax_forward(p["h"], y, p["W_C"], p["b_C"], p["W_S"], p["b_S"], classes, mask)
    h, y_c, m, W_C, W_S, cl, p_class, p_word = cache
    assert h is p["h"] and y_c is y and W_C is p["W_C"] and W_S is p["W_S"] and cl is classes
    assert m.dtype == bool and np.array_equal(m, mask)
    assert p_class.shape == (8, 4) and len(p_word) == 8
    for i in range(8):
        scores = p["h"][i] @ p["W_C"].T + p["b_C"]
        np.testing.assert_allclose(p_class[i], np.exp(scores) / np.exp(scores).sum(), rtol=1e-12)
        if not mask[i]:
            assert p_word[i] is None
            continue
        words = classes.words(int(classes.word_class[y[i]]))
        s = p["h"][i] @ p["W_S"][words].T + p["b_S"][words]
        np.testing.assert_allclose(p_word[i], np.exp(s) / np.exp(s).sum(), rtol=1e-12)
    _, unmasked = cs.class_softmax_forward(p["h"], np.abs(y), p["W_C"], p["b_C"], p["W_S"], p["b_S"], classes)
    assert unmasked[2].all() and all(q is not None for q in unmasked[7])


def test_the_backward_leaves_the_cache_alone_and_rejects_another():
    classes, p, y, mask = numpy_case(V=12, C=3, H=4, N=9, seed=1, masked=True)
    _, cache = cs.class_softmax_forward(p["h"], y, p["W_C"], p["b_C"], p["W_S"], p["b_S"], classes, mask)
    before = (cache[6].copy(), [None if q is None else q.copy() for q in cache[7]])
    cs.class_softmax_backward(1.0, cache)
    np.testing.assert_array_equal(cache[6], before[0])
    assert all(a is b is None or np.array_equal(a, b) for a, b in zip(cache[7], before[1], strict=True))
    with pytest.raises(ValueError, match="8-tuple"):
        cs.class_softmax_backward(1.0, cache[:6])
    with pytest.raises(TypeError, match="dloss"):
        cs.class_softmax_backward("1", cache)


def test_frequency_classes_wraps_the_assignment():
    counts = zipf_counts(50, 2)
    for method in ("sqrt", "mass"):
        wc = cs.assign_frequency_classes(counts, 7, method)
        assert wc.dtype == np.int64 and wc.shape == (50,)
        assert frequency_classes(counts, 7, method) == WordClasses.from_assignment(wc)
    # sqrt(p) weighs the frequent words less: they share class 0, the tail gets its own classes
    counts = [60, 20, 10, 5, 3, 2]
    np.testing.assert_array_equal(cs.assign_frequency_classes(counts, 2, "sqrt"), [0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(cs.assign_frequency_classes(counts, 2, "mass"), [0, 1, 1, 1, 1, 1])


@pytest.mark.parametrize("C", [1, 4, 30])
def test_log_prob_is_a_distribution_and_gives_the_loss(C):
    classes, p, y, mask = numpy_case(V=30, C=C, H=5, N=11, seed=7, masked=True)
    lp = cs.class_log_prob(p["h"], p["W_C"], p["b_C"], p["W_S"], p["b_S"], classes)
    assert lp.shape == (11, 30)
    np.testing.assert_allclose(np.exp(lp).sum(axis=1), 1.0, rtol=1e-12)
    loss, _ = np_loss(p, y, classes, mask)
    assert loss == pytest.approx(-lp[np.flatnonzero(mask), y[mask]].mean(), rel=1e-12)


def test_one_class_is_exactly_the_full_softmax():
    classes, p, y, mask = numpy_case(V=20, C=1, H=6, N=8, seed=2, masked=True)
    loss, grads = np_loss(p, y, classes, mask)
    h3 = p["h"][None]  # (1, N, H): the full softmax's (B, T, H)
    scores, cache = rn.temporal_affine_forward(h3, p["W_S"], p["b_S"])
    full_loss, dscores = rn.temporal_softmax_loss(scores, y[None], mask[None])
    dh, dW_S, db_S = rn.temporal_affine_backward(dscores, cache)
    assert loss == pytest.approx(full_loss, rel=1e-14)
    np.testing.assert_allclose(grads["h"], dh[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads["W_S"], dW_S, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads["b_S"], db_S, rtol=1e-12, atol=1e-15)
    assert np.all(grads["W_C"] == 0) and np.all(grads["b_C"] == 0)  # log P(c | h) = 0 always
    lp = cs.class_log_prob(p["h"], p["W_C"], p["b_C"], p["W_S"], p["b_S"], classes)
    np.testing.assert_allclose(lp, rn.log_softmax(scores[0]), rtol=1e-12, atol=1e-13)


def test_one_word_per_class_is_the_class_softmax_alone():
    classes, p, y, _ = numpy_case(V=9, C=9, H=3, N=6, seed=4, masked=False)
    loss, grads = np_loss(p, y, classes)
    logp_c = rn.log_softmax(p["h"] @ p["W_C"].T + p["b_C"])
    assert loss == pytest.approx(-logp_c[np.arange(6), classes.word_class[y]].mean(), rel=1e-13)
    assert np.all(grads["W_S"] == 0) and np.all(grads["b_S"] == 0)


def test_numpy_inputs_are_checked():
    classes, p, y, _ = numpy_case(V=12, C=3, H=4, N=5, seed=0, masked=False)
    with pytest.raises(ValueError, match="token id 12"):
        np_loss(p, np.array([0, 1, 12, 3, 4]), classes)
    with pytest.raises(ValueError, match="W_C must have shape"):
        np_loss(dict(p, W_C=np.zeros((4, 4))), y, classes)
    with pytest.raises(ValueError, match=r"h must be 2-D with shape \(N, H\)"):
        np_loss(dict(p, h=p["h"][None]), y, classes)
    with pytest.raises(TypeError, match="integer array"):
        np_loss(p, y.astype(float), classes)
    with pytest.raises(ValueError, match="selects no token"):
        np_loss(p, y, classes, np.zeros(5, dtype=bool))
    with pytest.raises(ValueError, match=r"mask must have shape \(N,\)"):
        np_loss(p, y, classes, np.ones(4, dtype=bool))
    with pytest.raises(TypeError, match="WordClasses"):
        np_loss(p, y, classes.word_class)
    with pytest.raises(ValueError, match="contains"):
        np_loss(dict(p, h=np.full_like(p["h"], np.nan)), y, classes)


# --------------------------------------------------------------------------- PyTorch


def torch_layer(classes: WordClasses, p: dict[str, np.ndarray], method: str) -> ClassSoftmax:
    layer = ClassSoftmax(p["W_C"].shape[1], classes, method=method, device="cpu", dtype=torch.float64)
    layer.load_numpy_params(p)
    return layer


# (V, C, N): most classes present (W_S permuted), few classes present (rows gathered), C = 1 (ids
# in class order: W_S split with no gather) and C = V (no word softmax at all)
CASES = [(40, 6, 30), (40, 20, 3), (25, 1, 10), (15, 15, 12)]


@pytest.mark.parametrize("method", cs.METHODS)
@pytest.mark.parametrize(("V", "C", "N"), CASES)
def test_torch_agrees_with_numpy_on_loss_and_every_gradient(method, V, C, N):
    classes, p, y, mask = numpy_case(V=V, C=C, H=5, N=N, seed=V + C, masked=True)
    loss, grads = np_loss(p, y, classes, mask)
    layer = torch_layer(classes, p, method)
    h = torch.tensor(p["h"], requires_grad=True)
    out = layer.loss(h, torch.from_numpy(y), torch.from_numpy(mask))
    out.backward()
    assert abs(out.item() - loss) < 1e-10 * max(1.0, abs(loss))
    np.testing.assert_allclose(h.grad.numpy(), grads["h"], rtol=1e-10, atol=1e-12)
    for k in ("W_C", "b_C", "W_S", "b_S"):
        g = getattr(layer, k).grad  # None: unused (C = V, "grouped": no word softmax to compute)
        g = torch.zeros_like(getattr(layer, k)) if g is None else g
        np.testing.assert_allclose(g.numpy(), grads[k], rtol=1e-10, atol=1e-12, err_msg=k)
    lp = layer.log_prob(h).detach().numpy()
    np.testing.assert_allclose(lp, cs.class_log_prob(p["h"], p["W_C"], p["b_C"], p["W_S"], p["b_S"],
                                                     classes), rtol=1e-10, atol=1e-12)
    nll = layer(h, torch.from_numpy(np.where(mask, y, 0))).detach().numpy()
    np.testing.assert_allclose(nll[mask].mean(), loss, rtol=1e-10)


def test_torch_log_prob_rows_sum_to_one_in_float32():
    classes = frequency_classes(zipf_counts(300, seed=5), 17)
    layer = ClassSoftmax(8, classes, device="cpu", seed=0, init_range=2.0)
    h = torch.randn(13, 8, generator=torch.Generator().manual_seed(0)) * 5
    lp = layer.log_prob(h)
    assert lp.shape == (13, 300) and lp.dtype == torch.float32
    torch.testing.assert_close(lp.exp().sum(1), torch.ones(13), rtol=1e-5, atol=1e-5)
    y = torch.randint(0, 300, (13,), generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(layer(h, y), -lp[torch.arange(13), y], rtol=1e-5, atol=1e-4)


def test_one_class_torch_layer_equals_the_full_softmax_module():
    V, H, N = 50, 6, 20
    classes = frequency_classes(zipf_counts(V), 1)
    full = FullSoftmax(H, V, device="cpu", dtype=torch.float64, seed=3)
    layer = ClassSoftmax(H, classes, device="cpu", dtype=torch.float64, seed=3)
    layer.load_numpy_params(dict(layer.numpy_params(), **full.numpy_params()))
    h = torch.randn(N, H, dtype=torch.float64)
    y = torch.randint(0, V, (N,))
    torch.testing.assert_close(layer.loss(h, y), full.loss(h, y), rtol=1e-13, atol=0)
    torch.testing.assert_close(layer.log_prob(h), full.log_prob(h), rtol=1e-12, atol=1e-12)
    full.loss(h, y).backward()
    layer.loss(h, y).backward()
    torch.testing.assert_close(layer.W_S.grad, full.W_S.grad, rtol=1e-12, atol=1e-15)


def test_full_softmax_module_agrees_with_numpy():
    rng = np.random.default_rng(0)
    V, H, N = 30, 5, 9
    W_S, b_S, h = rng.normal(size=(V, H)), rng.normal(size=V), rng.normal(size=(N, H))
    y, mask = rng.integers(0, V, N), rng.random(N) < 0.6
    mask[0] = True
    full = FullSoftmax(H, V, device="cpu", dtype=torch.float64)
    full.load_numpy_params({"W_S": W_S, "b_S": b_S})
    scores, _ = rn.temporal_affine_forward(h[None], W_S, b_S)
    ref, _ = rn.temporal_softmax_loss(scores, y[None], mask[None])
    assert full.loss(torch.from_numpy(h), torch.from_numpy(y), torch.from_numpy(mask)).item() == \
        pytest.approx(ref, rel=1e-12)
    lp = full.log_prob(torch.from_numpy(h)).detach().numpy()
    np.testing.assert_allclose(np.exp(lp).sum(1), 1.0, rtol=1e-12)


def test_torch_inputs_are_checked():
    classes = frequency_classes([5, 4, 3, 2, 1], 2)
    layer = ClassSoftmax(3, classes, device="cpu")
    h, y = torch.zeros(4, 3), torch.tensor([0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"h must have shape \(N, H\) with H = 3"):
        layer.loss(torch.zeros(4, 2), y)
    with pytest.raises(TypeError, match="floating-point"):
        layer.loss(torch.zeros(4, 3, dtype=torch.long), y)
    with pytest.raises(ValueError, match=r"ids in \[0, 5\]"):
        layer.loss(h, torch.tensor([0, 1, 2, 5]))
    with pytest.raises(TypeError, match="integer token ids"):
        layer.loss(h, y.float())
    with pytest.raises(ValueError, match=r"targets must have shape \(N,\)"):
        layer.loss(h, y[:3])
    with pytest.raises(ValueError, match=r"mask must have shape \(N,\)"):
        layer.loss(h, y, torch.ones(3, dtype=torch.bool))
    with pytest.raises(ValueError, match="selects no token"):
        layer.loss(h, y, torch.zeros(4, dtype=torch.bool))
    # padding at masked positions is ignored, as in the NumPy reference
    assert torch.isfinite(layer.loss(h, torch.tensor([0, -100, 2, 3]), torch.tensor([1, 0, 1, 1])))
    with pytest.raises(ValueError, match="method"):
        ClassSoftmax(3, classes, method="loop", device="cpu")
    with pytest.raises(TypeError, match="WordClasses"):
        ClassSoftmax(3, [0, 1, 1, 0, 0], device="cpu")
    with pytest.raises(ValueError, match="hidden_dim"):
        ClassSoftmax(0, classes, device="cpu")


# --------------------------------------------------------------------------- the RNN LM


V_LM, D_LM, H_LM = 31, 5, 6


def class_model(**kw) -> RNNLM:
    counts = zipf_counts(V_LM, seed=11)
    return RNNLM(V_LM, D_LM, H_LM, softmax="class", classes=5, counts=counts, device="cpu",
                 dtype=torch.float64, seed=0, **kw)


def test_the_default_model_is_unchanged_and_the_class_model_adds_W_C_b_C():
    full = RNNLM(V_LM, D_LM, H_LM, device="cpu", seed=0)
    assert sorted(n for n, _ in full.named_parameters()) == sorted(PARAM_NAMES)
    assert "softmax" not in full.config() and full.word_classes is None
    model = class_model()
    assert sorted(n for n, _ in model.named_parameters()) == sorted((*PARAM_NAMES, "W_C", "b_C"))
    assert model.W_C.shape == (5, H_LM) and model.b_C.shape == (5,)
    # the weights a full model has are drawn first, the same for the same seed
    same = RNNLM(V_LM, D_LM, H_LM, device="cpu", dtype=torch.float64, seed=0)
    for k in PARAM_NAMES:
        torch.testing.assert_close(getattr(model, k), getattr(same, k), rtol=0, atol=0)
    again = RNNLM(**model.config(), device="cpu", dtype=torch.float64)
    assert again.word_classes == model.word_classes
    params = model.numpy_params()
    assert set(params) == {*PARAM_NAMES, "W_C", "b_C"}
    copy = RNNLM.from_numpy_params(params, device="cpu", softmax="class", classes=model.word_classes)
    for k in params:
        np.testing.assert_array_equal(copy.numpy_params()[k], params[k])


@pytest.mark.parametrize("tie", [False, True])
def test_the_class_model_loss_is_the_numpy_class_softmax_of_its_hidden_states(tie):
    D = H_LM if tie else D_LM
    counts = zipf_counts(V_LM, seed=11)
    model = RNNLM(V_LM, D, H_LM, softmax="class", classes=5, counts=counts, tie_weights=tie,
                  device="cpu", dtype=torch.float64, seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, V_LM, (3, 4)), rng.integers(0, V_LM, (3, 4))
    mask = rng.random((3, 4)) < 0.7
    mask[0, 0] = True
    loss, h_last = model.loss(torch.from_numpy(x), torch.from_numpy(y), mask=torch.from_numpy(mask))
    loss.backward()
    hs, _ = model.hidden_states(torch.from_numpy(x))
    p = model.numpy_params()
    ref, grads = cs.class_softmax_loss(hs.detach().numpy().reshape(-1, H_LM), y.reshape(-1), p["W_C"],
                                       p["b_C"], p["W_S"], p["b_S"], model.word_classes, mask.reshape(-1))
    assert loss.item() == pytest.approx(ref, rel=1e-12)
    for k in ("W_C", "b_C", "b_S") + (() if tie else ("W_S",)):
        np.testing.assert_allclose(getattr(model, k).grad.numpy(), grads[k], rtol=1e-10, atol=1e-13)
    # forward's scores are log-probabilities: every row a distribution
    scores, _ = model(torch.from_numpy(x))
    torch.testing.assert_close(scores.exp().sum(-1), torch.ones(3, 4, dtype=torch.float64))
    assert model.sample(5, start_ids=[1, 2], rng=0).shape == (5,)
    assert model.sample(4, h0=h_last.detach(), rng=0).shape == (3, 4)


def test_the_class_model_trains_through_the_kit_loop_and_checkpoints(tmp_path):
    from rnnlm.data import Vocab, load_corpus, to_stream
    from rnnlm.train import TrainConfig, evaluate, load_checkpoint, save_checkpoint, train

    splits = load_corpus("embedded", fast=True)
    vocab = Vocab.build(splits["train"])
    s = {k: to_stream(v, vocab) for k, v in splits.items()}
    counts = np.bincount(s["train"], minlength=len(vocab))
    model = RNNLM(len(vocab), 24, 24, softmax="class", classes=12, counts=counts, device="cpu", seed=0)
    before = evaluate(model, s["valid"])
    config = TrainConfig(epochs=2, batch_size=16, seq_len=20, lr=5e-3, progress=False, seed=0)
    history = train(model, s["train"], s["valid"], config)
    assert history.valid_perplexity[-1] < history.valid_perplexity[0] < 0.7 * before
    assert history.train_perplexity[-1] < history.train_perplexity[0]
    path = save_checkpoint(tmp_path / "class.pt", model, config=config, itos=vocab.itos)
    loaded = load_checkpoint(path, device="cpu").model
    assert loaded.softmax == "class" and loaded.word_classes == model.word_classes
    assert evaluate(loaded, s["valid"]) == pytest.approx(evaluate(model, s["valid"]), rel=1e-6)


def test_bad_softmax_options_raise():
    counts = zipf_counts(V_LM)
    with pytest.raises(ValueError, match="softmax must be one of"):
        RNNLM(V_LM, D_LM, H_LM, softmax="hierarchical", device="cpu")
    with pytest.raises(ValueError, match="needs classes"):
        RNNLM(V_LM, D_LM, H_LM, softmax="class", device="cpu")
    with pytest.raises(ValueError, match="needs counts"):
        RNNLM(V_LM, D_LM, H_LM, softmax="class", classes=4, device="cpu")
    with pytest.raises(ValueError, match=r"counts must have shape \(V,\)"):
        RNNLM(V_LM, D_LM, H_LM, softmax="class", classes=4, counts=counts[:-1], device="cpu")
    with pytest.raises(ValueError, match="between 1 and V"):
        RNNLM(V_LM, D_LM, H_LM, softmax="class", classes=V_LM + 1, counts=counts, device="cpu")
    with pytest.raises(ValueError, match="the full softmax takes neither"):
        RNNLM(V_LM, D_LM, H_LM, classes=4, counts=counts, device="cpu")
    with pytest.raises(ValueError, match="covers 3 words"):
        RNNLM(V_LM, D_LM, H_LM, softmax="class", classes=[0, 1, 1], device="cpu")
    with pytest.raises(ValueError, match="binning"):
        RNNLM(V_LM, D_LM, H_LM, softmax="class", classes=4, counts=counts, binning="log", device="cpu")


def test_perplexity_of_an_untrained_class_model_is_near_V():
    model = class_model()
    x = torch.randint(0, V_LM, (4, 10), generator=torch.Generator().manual_seed(0))
    loss, _ = model.loss(x[:, :-1], x[:, 1:])
    assert 0.5 * V_LM < math.exp(loss.item()) < 2 * V_LM
