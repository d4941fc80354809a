"""rnnlm.rnn_numpy: every backward against finite differences, properties of the model, bad inputs."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

from rnnlm import _exercise
from rnnlm import rnn_numpy as R
from rnnlm.gradcheck import (
    assert_gradients_ok,
    check_gradient,
    check_param_gradients,
)
from rnnlm.history import History
from rnnlm.rnn_numpy import RNNLM

TOL = 1e-7
ACTS = ("tanh", "sigmoid", "relu")
B, T, D, H, V = 3, 4, 5, 6, 7


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


def _weights(rng, scale=0.5):
    return {
        "W_hx": rng.standard_normal((H, D)) * scale,
        "W_hh": rng.standard_normal((H, H)) * scale,
        "b_h": rng.standard_normal(H) * 0.1,
    }


def _preacts(step_caches, b_h):
    """Pre-activations a_t of every step, rebuilt from the step caches (x_t, h_prev, W_hx, W_hh, ...)."""
    return np.stack([hp @ Whh.T + xt @ Whx.T + b_h for xt, hp, Whx, Whh, *_ in step_caches])


def _kink_free(make, margin=1e-2, tries=200):
    """Draw inputs with ``make(rng) -> (inputs, preactivations)`` until no pre-activation lies within
    ``margin`` of ReLU's kink at 0, so a step of 1e-5 never crosses it."""
    for seed in range(tries):
        inputs, a = make(np.random.default_rng(seed))
        if np.min(np.abs(a)) > margin:
            return inputs
    raise AssertionError("could not draw kink-free inputs")


# ---------------------------------------------------------------------------------------------
# Gradient checks of every backward
# ---------------------------------------------------------------------------------------------


def test_embedding_backward_accumulates_repeated_ids(rng):
    L = rng.standard_normal((V, D))
    # ids repeat within and across rows; rows 3, 4 and 6 of L are unused
    ids = np.array([[0, 2, 2, 5], [5, 5, 1, 0], [2, 0, 1, 1]])
    x, cache = R.embedding_forward(ids, L)
    assert x.shape == (B, T, D)
    assert np.array_equal(x[1, 2], L[1])
    dx = rng.standard_normal(x.shape)
    dL = R.embedding_backward(dx, cache)
    result = check_gradient(lambda W: R.embedding_forward(ids, W)[0], L, dL, dout=dx, name="L")
    assert result.ok, result
    assert np.all(dL[[3, 4, 6]] == 0)


@pytest.mark.parametrize("act", ACTS)
def test_rnn_step_backward(act):
    def make(r):
        w = _weights(r)
        x, hp = r.standard_normal((B, D)), r.standard_normal((B, H))
        return (w, x, hp), hp @ w["W_hh"].T + x @ w["W_hx"].T + w["b_h"]

    w, x, h_prev = _kink_free(make)
    h, cache = R.rnn_step_forward(x, h_prev, w["W_hx"], w["W_hh"], w["b_h"], act)
    dh = np.random.default_rng(1).standard_normal(h.shape)
    dx, dh_prev, dW_hx, dW_hh, db_h = R.rnn_step_backward(dh, cache)

    def f(_):
        return R.rnn_step_forward(x, h_prev, w["W_hx"], w["W_hh"], w["b_h"], act)[0]

    for name, arr, grad in [
        ("x_t", x, dx),
        ("h_prev", h_prev, dh_prev),
        ("W_hx", w["W_hx"], dW_hx),
        ("W_hh", w["W_hh"], dW_hh),
        ("b_h", w["b_h"], db_h),
    ]:
        result = check_gradient(f, arr, grad, dout=dh, name=name)
        assert result.max_rel_error < TOL, result


def _sequence_inputs(act):
    def make(r):
        w = _weights(r)
        x, h0 = r.standard_normal((B, T, D)), r.standard_normal((B, H))
        _, cache = R.rnn_forward(x, h0, w["W_hx"], w["W_hh"], w["b_h"], act)
        return (w, x, h0), _preacts(cache, w["b_h"])

    return _kink_free(make)


@pytest.mark.parametrize("act", ACTS)
def test_rnn_backward_including_h0_and_final_state(act):
    w, x, h0 = _sequence_inputs(act)
    r = np.random.default_rng(7)
    h, cache = R.rnn_forward(x, h0, w["W_hx"], w["W_hh"], w["b_h"], act)
    assert h.shape == (B, T, H)
    dh = r.standard_normal(h.shape)
    dfinal = r.standard_normal((B, H))
    grads = R.rnn_backward(dh, cache, dh_final=dfinal)

    def objective(_):
        hs = R.rnn_forward(x, h0, w["W_hx"], w["W_hh"], w["b_h"], act)[0]
        return float(np.sum(hs * dh) + np.sum(hs[:, -1] * dfinal))

    arrays = {"x": x, "h0": h0, "W_hx": w["W_hx"], "W_hh": w["W_hh"], "b_h": w["b_h"]}
    results = {
        name: check_gradient(objective, arr, g, name=name)
        for (name, arr), g in zip(arrays.items(), grads, strict=True)
    }
    for result in results.values():
        assert result.max_rel_error < TOL, result

    # without dh_final the final-state term is gone: the gradient changes exactly by backprop of dfinal
    plain = R.rnn_backward(dh, cache)
    only_final = R.rnn_backward(np.zeros_like(dh), cache, dh_final=dfinal)
    for g_all, g_plain, g_final in zip(grads, plain, only_final, strict=True):
        assert np.allclose(g_all, g_plain + g_final, rtol=1e-12, atol=1e-14)


def test_rnn_backward_gradient_reaches_h0_through_every_step(rng):
    """dh0 is nonzero even when only the last output has a gradient (it flows back T steps)."""
    w = _weights(rng)
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((B, H))
    h, cache = R.rnn_forward(x, h0, **w)
    dh = np.zeros_like(h)
    dh[:, -1] = 1.0
    _, dh0, *_ = R.rnn_backward(dh, cache)
    assert np.abs(dh0).min() > 0


def test_temporal_affine_backward(rng):
    h = rng.standard_normal((B, T, H))
    W_S, b_S = rng.standard_normal((V, H)), rng.standard_normal(V)
    scores, cache = R.temporal_affine_forward(h, W_S, b_S)
    assert scores.shape == (B, T, V)
    dscores = rng.standard_normal(scores.shape)
    dh, dW_S, db_S = R.temporal_affine_backward(dscores, cache)
    for name, arr, grad in [("h", h, dh), ("W_S", W_S, dW_S), ("b_S", b_S, db_S)]:
        result = check_gradient(
            lambda _: R.temporal_affine_forward(h, W_S, b_S)[0], arr, grad, dout=dscores, name=name
        )
        assert result.max_rel_error < TOL, result


@pytest.mark.parametrize("with_mask", [False, True])
def test_temporal_softmax_loss_gradient(rng, with_mask):
    scores = rng.standard_normal((B, T, V)) * 2
    y = rng.integers(0, V, size=(B, T))
    mask = None
    if with_mask:
        mask = rng.random((B, T)) < 0.6
        mask[0, 0], mask[0, 1] = True, False
        y[~mask] = -1  # padding ids at masked positions are ignored
    loss, dscores = R.temporal_softmax_loss(scores, y, mask)
    result = check_gradient(lambda s: R.temporal_softmax_loss(s, y, mask)[0], scores, dscores, name="scores")
    assert result.max_rel_error < TOL, result
    if with_mask:
        assert np.all(dscores[~mask] == 0)


@pytest.mark.parametrize("act", ACTS)
def test_rnnlm_loss_gradients_all_parameters(act):
    """Whole-model check, with a carried (nonzero) h0 and a mask, for every activation."""

    def make(r):
        model = RNNLM(V, D, H, activation=act, seed=r, init_scale=0.5)
        model.params["b_h"] += r.standard_normal(H) * 0.1
        model.params["b_S"] += r.standard_normal(V) * 0.1
        x, y = r.integers(0, V, (B, T)), r.integers(0, V, (B, T))
        h0 = r.standard_normal((B, H)) * 0.5
        emb, _ = R.embedding_forward(x, model.params["L"])
        p = model.params
        _, cache = R.rnn_forward(emb, h0, p["W_hx"], p["W_hh"], p["b_h"], act)
        return (model, x, y, h0), _preacts(cache, p["b_h"])

    model, x, y, h0 = _kink_free(make)
    mask = np.ones((B, T), dtype=bool)
    mask[1, 2:] = False
    loss, grads, h_last = model.loss(x, y, h0=h0, mask=mask)
    assert set(grads) == set(model.params)
    assert all(grads[k].shape == model.params[k].shape for k in grads)
    assert h_last.shape == (B, H)
    results = check_param_gradients(
        lambda: model.loss(x, y, h0=h0, mask=mask)[0], model.params, grads, tol=TOL
    )
    assert_gradients_ok(results)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------


def test_softmax_properties(rng):
    s = rng.standard_normal((B, T, V)) * 5
    p = R.softmax(s)
    assert np.all(p > 0)
    assert np.allclose(p.sum(axis=-1), 1.0)
    assert np.allclose(R.softmax(s + 123.0), p)  # shift invariance
    assert np.allclose(np.log(p), R.log_softmax(s))
    big = R.softmax(np.array([[1000.0, 1000.0, -1000.0]]))  # no overflow
    assert np.allclose(big, [[0.5, 0.5, 0.0]])
    q = R.softmax(s, axis=0)
    assert np.allclose(q.sum(axis=0), 1.0)


def test_uniform_scores_cost_log_v(rng):
    y = rng.integers(0, V, (B, T))
    for const in (0.0, 3.7):
        loss, dscores = R.temporal_softmax_loss(np.full((B, T, V), const), y)
        assert loss == pytest.approx(math.log(V))
        assert R.perplexity_from_loss(loss) == pytest.approx(V)
        assert np.allclose(dscores.sum(axis=-1), 0.0)


def test_masked_positions_do_not_contribute(rng):
    scores = rng.standard_normal((B, T, V))
    y = rng.integers(0, V, (B, T))
    mask = rng.random((B, T)) < 0.5
    mask[0, 0] = True
    loss, _ = R.temporal_softmax_loss(scores, y, mask)
    # the same loss from only the kept positions, laid out as one row
    kept, _ = R.temporal_softmax_loss(scores[mask][None], y[mask][None])
    assert loss == pytest.approx(kept, rel=1e-12)
    # changing scores or targets where the mask is off changes nothing
    scores2, y2 = scores.copy(), y.copy()
    scores2[~mask] = rng.standard_normal(((~mask).sum(), V)) * 10
    y2[~mask] = (y2[~mask] + 1) % V
    assert R.temporal_softmax_loss(scores2, y2, mask)[0] == pytest.approx(loss, rel=1e-12)
    # a 0/1 integer mask means the same as a bool mask
    assert R.temporal_softmax_loss(scores, y, mask.astype(int))[0] == pytest.approx(loss, rel=1e-12)


def test_loss_is_mean_negative_log_probability_of_targets(rng):
    scores = rng.standard_normal((B, T, V))
    y = rng.integers(0, V, (B, T))
    p = R.softmax(scores)
    nll = -np.log(np.take_along_axis(p, y[..., None], axis=-1))
    assert R.temporal_softmax_loss(scores, y)[0] == pytest.approx(nll.mean(), rel=1e-12)


def test_perplexity_in_bits_and_nats_agree(rng):
    J = rng.random(5) * 6
    assert np.allclose(R.perplexity_from_bits(R.nats_to_bits(J)), R.perplexity_from_loss(J))
    assert np.allclose(2.0 ** R.nats_to_bits(J), np.exp(J))
    assert np.allclose(R.bits_to_nats(R.nats_to_bits(J)), J)
    assert R.perplexity_from_bits(math.log2(V)) == pytest.approx(V)
    assert isinstance(R.perplexity_from_loss(1.0), float)
    with pytest.raises(ValueError, match="never negative"):
        R.perplexity_from_loss(-0.1)
    with pytest.raises(ValueError, match="NaN"):
        R.perplexity_from_loss(float("nan"))


def test_untrained_model_perplexity_is_near_v(rng):
    vocab = 50
    model = RNNLM(vocab, 8, 16, seed=0)
    stream = rng.integers(0, vocab, 2000)
    ppl = model.perplexity(stream, batch_size=4, seq_len=25)
    assert 0.97 * vocab < ppl < 1.05 * vocab


def test_activation_outputs_and_derivatives(rng):
    a = np.linspace(-30, 30, 61) + 0.05  # no point at ReLU's kink
    for name in ACTS:
        act = R.get_activation(name)
        result = check_gradient(act.f, a, act.df(act.f(a)), dout=np.ones_like(a), name=name)
        assert result.max_rel_error < TOL, result
    sig = R.get_activation("sigmoid").f(np.array([-1000.0, 0.0, 1000.0]))
    assert np.allclose(sig, [0.0, 0.5, 1.0]) and np.all(np.isfinite(sig))
    with pytest.raises(ValueError, match=r"\['relu', 'sigmoid', 'tanh'\]"):
        R.get_activation("softplus")


def test_rnn_forward_split_in_two_equals_one_pass(rng):
    w = _weights(rng)
    x, h0 = rng.standard_normal((B, 6, D)), rng.standard_normal((B, H))
    full, _ = R.rnn_forward(x, h0, **w)
    first, _ = R.rnn_forward(x[:, :2], h0, **w)
    second, _ = R.rnn_forward(x[:, 2:], first[:, -1], **w)
    assert np.allclose(np.concatenate([first, second], axis=1), full, rtol=0, atol=1e-14)


def test_truncated_bptt_carry_equals_one_long_forward_pass(rng):
    model = RNNLM(V, D, H, seed=3, init_scale=0.5)
    chunks, L = 3, 5
    seq = rng.integers(0, V, (B, chunks * L + 1))
    x, y = seq[:, :-1], seq[:, 1:]
    full_loss, _, full_h = model.loss(x, y)
    h, losses = None, []
    for k in range(chunks):
        loss, _, h = model.loss(x[:, k * L : (k + 1) * L], y[:, k * L : (k + 1) * L], h0=h)
        losses.append(loss)
    assert np.mean(losses) == pytest.approx(full_loss, rel=1e-12)
    assert np.allclose(h, full_h, rtol=0, atol=1e-14)
    # forward-only evaluation with carried state, in any chunk size, sees the same stream
    stream = np.concatenate([seq[0], seq[1], seq[2]])
    one_pass = model.loss(stream[None, :-1], stream[None, 1:])[0]
    for seq_len in (1, 4, 100):
        assert model.perplexity(stream, batch_size=1, seq_len=seq_len) == pytest.approx(math.exp(one_pass))
    batches = [(x[:, k * L : (k + 1) * L], y[:, k * L : (k + 1) * L]) for k in range(chunks)]
    assert model.perplexity(batches) == pytest.approx(math.exp(full_loss), rel=1e-12)


def test_perplexity_of_a_stream_counts_every_target_once(rng):
    """Cutting a stream into rows (last one padded and masked) scores all N - 1 targets."""
    model = RNNLM(V, D, H, seed=4, init_scale=0.5)
    stream = rng.integers(0, V, 23)  # 22 targets, not a multiple of 4 rows
    rows_nll = 0.0
    x, y, m = R._padded_rows(stream, 4)
    assert m.sum() == 22
    scores, _ = model.forward(x)
    logp = R.log_softmax(scores)
    rows_nll = -np.take_along_axis(logp, y[..., None], axis=-1)[..., 0][m].sum()
    assert model.perplexity(stream, batch_size=4, seq_len=3) == pytest.approx(math.exp(rows_nll / 22))


def test_rnn_layout_matches_torch_nn_rnn(rng):
    torch = pytest.importorskip("torch")
    for act in ("tanh", "relu"):
        w = _weights(rng)
        x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((B, H))
        ours, _ = R.rnn_forward(x, h0, w["W_hx"], w["W_hh"], w["b_h"], act)
        rnn = torch.nn.RNN(D, H, nonlinearity=act, batch_first=True).double()
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(torch.from_numpy(w["W_hx"]))
            rnn.weight_hh_l0.copy_(torch.from_numpy(w["W_hh"]))
            rnn.bias_ih_l0.copy_(torch.from_numpy(w["b_h"]))
            rnn.bias_hh_l0.zero_()
            theirs, _ = rnn(torch.from_numpy(x), torch.from_numpy(h0)[None])
        assert np.allclose(ours, theirs.numpy(), rtol=0, atol=1e-12), act


def test_from_params_round_trip(rng):
    model = RNNLM(V, D, H, activation="sigmoid", seed=5)
    copy = RNNLM.from_params({k: v.copy() for k, v in model.params.items()}, activation="sigmoid")
    x = rng.integers(0, V, (B, T))
    assert np.array_equal(copy.forward(x)[0], model.forward(x)[0])
    bad = dict(model.params)
    bad["W_hh"] = np.zeros((H, H + 1))
    with pytest.raises(ValueError, match="W_hh"):
        RNNLM.from_params(bad)
    with pytest.raises(ValueError, match="missing parameters"):
        RNNLM.from_params({"L": model.params["L"]})


# ---------------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------------


def test_sampling_is_deterministic_from_a_seed():
    model = RNNLM(V, D, H, seed=0, init_scale=0.5)
    a = model.sample(30, start_ids=np.array([1, 2]), rng=11)
    b = model.sample(30, start_ids=np.array([1, 2]), rng=np.random.default_rng(11))
    c = model.sample(30, start_ids=np.array([1, 2]), rng=12)
    assert a.shape == (30,) and a.dtype == np.int64
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() < V
    batch = model.sample(5, start_ids=np.array([[1], [2], [3]]), rng=0)
    assert batch.shape == (3, 5)
    from_state = model.sample(4, h0=np.zeros(H), rng=0)
    assert from_state.shape == (4,)


def test_low_temperature_sampling_is_greedy_decoding():
    model = RNNLM(V, D, H, seed=2, init_scale=1.0)
    prompt = [3]
    sampled = model.sample(8, start_ids=np.array(prompt), rng=0, temperature=1e-8)
    ids = list(prompt)
    for _ in range(8):  # greedy decode by re-running the whole prefix
        scores, _ = model.forward(np.array([ids]))
        ids.append(int(np.argmax(scores[0, -1])))
    assert sampled.tolist() == ids[len(prompt) :]


@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
def test_sample_frequencies_follow_tempered_softmax(temperature):
    model = RNNLM(V, D, H, seed=1, init_scale=1.0)
    h0 = np.random.default_rng(0).standard_normal(H) * 0.5
    draws = model.sample(1, h0=np.tile(h0, (20000, 1)), rng=5, temperature=temperature)[:, 0]
    p = R.softmax((h0 @ model.params["W_S"].T + model.params["b_S"]) / temperature)
    freq = np.bincount(draws, minlength=V) / len(draws)
    # five standard errors of a binomial proportion
    assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / len(draws)) + 1e-4)


@pytest.mark.parametrize("temperature", [0.0, -1.0, float("nan"), float("inf")])
def test_sample_rejects_bad_temperature(temperature):
    model = RNNLM(V, D, H, seed=0)
    with pytest.raises(ValueError, match="temperature"):
        model.sample(3, start_ids=np.array([1]), temperature=temperature, rng=0)


def test_sample_needs_a_prompt_or_state():
    model = RNNLM(V, D, H, seed=0)
    with pytest.raises(ValueError, match="start_ids"):
        model.sample(3, rng=0)
    with pytest.raises(ValueError, match="n must be"):
        model.sample(-1, start_ids=np.array([0]), rng=0)
    with pytest.raises(ValueError, match="out"):
        model.sample(3, start_ids=np.array([V]), rng=0)


# ---------------------------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------------------------


def test_step_shape_errors_name_expected_and_got(rng):
    w = _weights(rng)
    x = rng.standard_normal((B, D))
    with pytest.raises(ValueError, match=r"h_prev must have shape \(B, H\) = \(3, 6\), got \(3, 5\)"):
        R.rnn_step_forward(x, rng.standard_normal((B, H - 1)), **w)
    with pytest.raises(ValueError, match=r"x_t must be 2-D with shape \(B, D\), got shape \(5,\)"):
        R.rnn_step_forward(rng.standard_normal(D), rng.standard_normal((B, H)), **w)
    with pytest.raises(ValueError, match=r"W_hx must have shape \(H, D\).*H = 6 from W_hh"):
        R.rnn_step_forward(x, rng.standard_normal((B, H)), w["W_hx"][:-1], w["W_hh"], w["b_h"])
    with pytest.raises(TypeError, match="W_hh must be a floating-point array.*int64"):
        R.rnn_step_forward(
            x, rng.standard_normal((B, H)), w["W_hx"], np.zeros((H, H), dtype=np.int64), w["b_h"]
        )
    h, cache = R.rnn_step_forward(x, rng.standard_normal((B, H)), **w)
    with pytest.raises(ValueError, match=r"dh_t must have the shape of h_t"):
        R.rnn_step_backward(np.zeros((B, H + 1)), cache)


def test_sequence_errors(rng):
    w = _weights(rng)
    h0 = rng.standard_normal((B, H))
    with pytest.raises(ValueError, match=r"x must be 3-D with shape \(B, T, D\)"):
        R.rnn_forward(rng.standard_normal((B, D)), h0, **w)
    x = rng.standard_normal((B, T, D))
    x[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match=r"x contains nan at \(1, 2, 3\)"):
        R.rnn_forward(x, h0, **w)
    h, cache = R.rnn_forward(rng.standard_normal((B, T, D)), h0, **w)
    with pytest.raises(ValueError, match=r"dh must have shape \(B, T, H\) = \(3, 4, 6\), got \(3, 3, 6\)"):
        R.rnn_backward(h[:, 1:], cache)
    with pytest.raises(ValueError, match=r"dh_final must have shape \(B, H\)"):
        R.rnn_backward(h, cache, dh_final=np.zeros(H))
    with pytest.raises(ValueError, match="activation must be one of"):
        R.rnn_forward(rng.standard_normal((B, T, D)), h0, **w, activation="gelu")


def test_id_errors(rng):
    L = rng.standard_normal((V, D))
    with pytest.raises(ValueError, match=r"token id 7 at \(1, 0\), outside the vocabulary \[0, V=7\)"):
        R.embedding_forward(np.array([[0, 1], [7, 2]]), L)
    with pytest.raises(ValueError, match="token id -1"):
        R.embedding_forward(np.array([[0, -1]]), L)
    with pytest.raises(TypeError, match="integer array of token ids, got dtype float64"):
        R.embedding_forward(np.array([[0.0, 1.0]]), L)
    scores = rng.standard_normal((B, T, V))
    y = rng.integers(0, V, (B, T))
    y[2, 3] = V + 4
    with pytest.raises(ValueError, match=r"y contains token id 11 at \(2, 3\)"):
        R.temporal_softmax_loss(scores, y)


def test_loss_errors(rng):
    scores = rng.standard_normal((B, T, V))
    y = rng.integers(0, V, (B, T))
    with pytest.raises(ValueError, match="mask selects no position"):
        R.temporal_softmax_loss(scores, y, np.zeros((B, T), dtype=bool))
    with pytest.raises(ValueError, match=r"mask must have shape \(B, T\) = \(3, 4\)"):
        R.temporal_softmax_loss(scores, y, np.ones((B, T + 1), dtype=bool))
    with pytest.raises(ValueError, match="mask must be boolean or hold only 0 and 1"):
        R.temporal_softmax_loss(scores, y, np.full((B, T), 0.5))
    bad = scores.copy()
    bad[0, 1, 2] = np.inf
    with pytest.raises(ValueError, match=r"scores contains inf at \(0, 1, 2\)"):
        R.temporal_softmax_loss(bad, y)
    with pytest.raises(ValueError, match=r"y must have shape \(B, T\) = \(3, 4\), got \(3, 3\)"):
        R.temporal_softmax_loss(scores, y[:, :3])


def test_model_errors(rng):
    model = RNNLM(V, D, H, seed=0)
    x = rng.integers(0, V, (B, T))
    with pytest.raises(ValueError, match=r"y_ids must have the shape of x_ids \(3, 4\), got \(3, 5\)"):
        model.loss(x, rng.integers(0, V, (B, T + 1)))
    with pytest.raises(ValueError, match=r"RNNLM.loss: h0 must have shape \(B, H\) = \(3, 6\), got \(2, 6\)"):
        model.loss(x, x, h0=np.zeros((2, H)))
    with pytest.raises(ValueError, match="hidden_dim must be a positive integer"):
        RNNLM(V, D, 0)
    with pytest.raises(ValueError, match="activation must be one of"):
        RNNLM(V, D, H, activation="elu")
    with pytest.raises(ValueError, match="init_scale"):
        RNNLM(V, D, H, init_scale=-1.0)


def test_exercises_are_registered():
    expected = {
        "nb02_rnn_step_forward",
        "nb02_rnn_forward",
        "nb02_temporal_softmax_loss",
        "nb03_rnn_step_backward",
        "nb03_rnn_backward",
    }
    assert expected <= set(_exercise.EXERCISES)
    assert _exercise.EXERCISES["nb03_rnn_backward"] == ("rnnlm.rnn_numpy:rnn_backward",)
    assert R.rnn_step_forward.__rnnlm_exercise__ == "nb02_rnn_step_forward"


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------


def _markov_stream(n, vocab, seed):
    """Each token has two equally likely successors (which may coincide): at most 1 bit per token."""
    r = np.random.default_rng(seed)
    succ = np.stack([r.permutation(vocab), r.permutation(vocab)], axis=1)
    out = np.zeros(n, dtype=np.int64)
    coins = r.integers(0, 2, n)
    for i in range(1, n):
        out[i] = succ[out[i - 1], coins[i]]
    return out


def _unigram_ppl(train, valid, vocab):
    p = (np.bincount(train, minlength=vocab) + 1.0) / (len(train) + vocab)
    return float(np.exp(-np.mean(np.log(p[valid]))))


def test_clip_grad_norm(rng):
    grads = {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal(5)}
    norm = math.sqrt(sum(float(np.sum(g**2)) for g in grads.values()))
    clipped, got = R.clip_grad_norm(grads, norm / 4)
    assert got == pytest.approx(norm)
    assert math.sqrt(sum(float(np.sum(g**2)) for g in clipped.values())) == pytest.approx(norm / 4)
    assert np.allclose(clipped["a"] * 4, grads["a"])  # direction kept, input untouched
    same, _ = R.clip_grad_norm(grads, norm * 2)
    assert all(np.array_equal(same[k], grads[k]) for k in grads)
    with pytest.raises(ValueError, match="max_norm"):
        R.clip_grad_norm(grads, 0.0)
    grads["b"][1] = np.nan
    with pytest.raises(ValueError, match=r"non-finite entries in \['b'\]"):
        R.clip_grad_norm(grads, 1.0)


@pytest.mark.parametrize("optimizer,lr", [("sgd", 1.0), ("adagrad", 0.1)])
def test_training_learns_a_markov_source(optimizer, lr):
    vocab = 12
    data = _markov_stream(6000, vocab, seed=0)
    train, valid = data[:5000], data[5000:]
    model = RNNLM(vocab, 8, 24, seed=0)
    hist = R.train_numpy(
        model,
        train,
        valid,
        batch_size=10,
        seq_len=10,
        epochs=4,
        lr=lr,
        optimizer=optimizer,
        clip_norm=5.0,
        progress=False,
    )
    assert isinstance(hist, History) and len(hist) == 4 and hist.epoch == [1, 2, 3, 4]
    assert len(hist.train_perplexity) == 4 and len(hist.learning_rate) == 4
    assert hist.stop_reason == "epochs" and hist.device == "cpu"
    assert all(t == hist.tokens[0] > 0 for t in hist.tokens) and hist.total_seconds > 0
    assert all(g > 0 and math.isfinite(g) for g in hist.grad_norm)
    assert hist.overall_tokens_per_second > 0
    unigram = _unigram_ppl(train, valid, vocab)
    assert unigram > 10
    # the source's own perplexity is at most 2 (two successors per token, sometimes the same one);
    # a model that learnt the transitions gets close to it, far below the unigram model
    assert hist.valid_perplexity[-1] < 2.5 < 0.25 * unigram
    assert hist.valid_perplexity[-1] < hist.valid_perplexity[0]
    assert hist.best_valid_perplexity == min(hist.valid_perplexity)
    assert hist.best_epoch == 1 + int(np.argmin(hist.valid_perplexity)) and hist.improved[0]


def test_training_is_reproducible_and_decays_lr_on_plateau():
    data = _markov_stream(1500, 6, seed=1)
    runs = []
    for _ in range(2):
        model = RNNLM(6, 4, 8, seed=0)
        # min_improvement=1 asks for an impossible 100 % improvement: the lr halves after every epoch
        hist = R.train_numpy(
            model,
            data[:1200],
            data[1200:],
            batch_size=4,
            seq_len=8,
            epochs=3,
            lr=0.5,
            min_improvement=1.0,
            seed=9,
            progress=False,
        )
        runs.append((hist, model))
    (h1, m1), (h2, m2) = runs
    assert h1.learning_rate == [0.5, 0.5, 0.25]  # the lr of each epoch; the first epoch sets the best
    assert h1.valid_perplexity == h2.valid_perplexity and h1.train_perplexity == h2.train_perplexity
    assert h1.grad_norm == h2.grad_norm
    assert all(np.array_equal(m1.params[k], m2.params[k]) for k in m1.params)


def test_train_numpy_rejects_bad_arguments():
    model = RNNLM(6, 4, 8, seed=0)
    data = np.arange(200) % 6
    with pytest.raises(ValueError, match="optimizer must be one of"):
        R.train_numpy(model, data, data, optimizer="adam", progress=False)
    with pytest.raises(ValueError, match="lr must be a positive"):
        R.train_numpy(model, data, data, lr=0.0, progress=False)
    with pytest.raises(ValueError, match="at least"):
        R.train_numpy(model, data[:20], data, batch_size=10, seq_len=20, progress=False)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        R.train_numpy(model, data + 1, data, progress=False)
    with pytest.raises(TypeError, match="integer array"):
        R.train_numpy(model, data.astype(float), data, progress=False)


def _data_dir() -> Path | None:
    root = os.environ.get("RNNLM_DATA")
    return Path(root) if root else None


@pytest.mark.corpus
def test_training_on_tinyshakespeare_characters_beats_unigram():
    root = _data_dir()
    path = root / "tinyshakespeare" / "input.txt" if root else None
    if path is None or not path.is_file():
        pytest.skip("needs $RNNLM_DATA/tinyshakespeare/input.txt (set RNNLM_DATA to the data directory)")
    text = path.read_text(encoding="utf-8")
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = np.array([index[c] for c in text[:40_000]], dtype=np.int64)
    train, valid = ids[:32_000], ids[32_000:]
    model = RNNLM(len(chars), 16, 64, seed=0)
    hist = R.train_numpy(model, train, valid, batch_size=32, seq_len=25, epochs=1, lr=1.0, progress=False)
    unigram = _unigram_ppl(train, valid, len(chars))
    assert hist.valid_perplexity[-1] < 0.75 * unigram
