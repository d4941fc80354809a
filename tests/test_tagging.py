"""RNN taggers: gradient checks of the NumPy reference, padding, NumPy/torch agreement, the torch model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnlm import tagging as tg
from rnnlm.gradcheck import assert_gradients_ok, check_gradient, check_param_gradients, rel_error
from rnnlm.rnn_numpy import rnn_forward
from rnnlm.tagging import RNNTagger

pytestmark = pytest.mark.usefixtures("one_torch_thread")

B, T, D, H, K, V = 3, 5, 4, 3, 3, 11
LENGTHS = np.array([5, 3, 1])
WEIGHTS = np.array([0.3, 1.0, 2.0])
CONFIGS = [("uni", 1), ("uni", 2), ("uni", 3), ("bi", 1), ("deep", 1), ("deep", 2), ("deep", 3)]


def padded_batch(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """ids (B, T) in [1, V) with pad id 0 after each length, labels (B, T) in [0, K) everywhere."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, V, size=(B, T))
    ids[~(np.arange(T)[None, :] < LENGTHS[:, None])] = 0
    return ids, rng.integers(0, K, size=(B, T))


def direction(rng: np.random.Generator, n_in: int, n_hidden: int = H) -> dict[str, np.ndarray]:
    return {
        "W_hx": rng.normal(0, 0.5, (n_hidden, n_in)),
        "W_hh": rng.normal(0, 0.5, (n_hidden, n_hidden)),
        "b_h": rng.normal(0, 0.5, n_hidden),
    }


def deep_layer(rng: np.random.Generator, n_below: int, n_hidden: int = H) -> dict[str, np.ndarray]:
    p = {}
    for d in ("f", "b"):
        p[f"W_{d}"] = rng.normal(0, 0.5, (n_hidden, n_below))
        p[f"V_{d}"] = rng.normal(0, 0.5, (n_hidden, n_below))
        p[f"W_hh_{d}"] = rng.normal(0, 0.5, (n_hidden, n_hidden))
        p[f"b_h_{d}"] = rng.normal(0, 0.5, n_hidden)
    return p


def real_mask() -> np.ndarray:
    return np.arange(T)[None, :] < LENGTHS[:, None]


# ------------------------------------------------------------------------------------------- reversal


def test_reverse_padded_reverses_real_steps_and_keeps_padding():
    x = np.arange(B * T).reshape(B, T)
    out = tg.reverse_padded(x, LENGTHS)
    np.testing.assert_array_equal(out, [[4, 3, 2, 1, 0], [7, 6, 5, 8, 9], [10, 11, 12, 13, 14]])
    states = np.random.default_rng(0).normal(size=(B, T, 2))
    rev = tg.reverse_padded(states, LENGTHS)
    np.testing.assert_array_equal(tg.reverse_padded(rev, LENGTHS), states)  # its own inverse
    for b, n in enumerate(LENGTHS):
        np.testing.assert_array_equal(rev[b, :n], states[b, :n][::-1])
        np.testing.assert_array_equal(rev[b, n:], states[b, n:])
    np.testing.assert_array_equal(tg.reverse_padded(x, np.full(B, T)), x[:, ::-1])


@pytest.mark.parametrize("lengths", [[5, 3, 0], [5, 6, 1], [5, 3], [[5, 3, 1]]])
def test_reverse_padded_rejects_bad_lengths(lengths):
    with pytest.raises(ValueError, match="lengths"):
        tg.reverse_padded(np.zeros((B, T)), np.array(lengths))
    with pytest.raises(TypeError, match="integer"):
        tg.reverse_padded(np.zeros((B, T)), np.array([5.0, 3.0, 1.0]))


# ------------------------------------------------------------------------------------ bidirectional


def test_birnn_matches_each_sentence_run_alone():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(B, T, D))
    pf, pb = direction(rng, D), direction(rng, D)
    h, _ = tg.birnn_forward(x, LENGTHS, pf, pb)
    assert h.shape == (B, T, 2 * H)
    np.testing.assert_array_equal(h[~real_mask()], 0.0)
    for b, n in enumerate(LENGTHS):
        xb = x[b : b + 1, :n]
        hf, _ = rnn_forward(xb, np.zeros((1, H)), **pf)
        hb, _ = rnn_forward(xb[:, ::-1], np.zeros((1, H)), **pb)
        np.testing.assert_allclose(h[b, :n, :H], hf[0], rtol=0, atol=1e-14)
        np.testing.assert_allclose(h[b, :n, H:], hb[0, ::-1], rtol=0, atol=1e-14)


def test_birnn_gradients():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(B, T, D))
    pf, pb = direction(rng, D), direction(rng, D)
    dout = rng.normal(size=(B, T, 2 * H))  # also on padding: those states are constant zeros
    _, cache = tg.birnn_forward(x, LENGTHS, pf, pb)
    dx, gf, gb = tg.birnn_backward(dout, cache)
    np.testing.assert_array_equal(dx[~real_mask()], 0.0)

    def f(_: np.ndarray) -> np.ndarray:
        return tg.birnn_forward(x, LENGTHS, pf, pb)[0]

    results = [check_gradient(f, x, dx, dout=dout, name="x")]
    for tag, p, g in (("f", pf, gf), ("b", pb, gb)):
        results += [check_gradient(f, p[k], g[k], dout=dout, name=f"{k}_{tag}") for k in p]
    for r in results:
        assert_gradients_ok(r)
        assert r.max_rel_error <= 1e-7


def test_deep_layer_is_a_birnn_over_both_directions_below():
    rng = np.random.default_rng(3)
    below = rng.normal(size=(B, T, 2 * 2)) * real_mask()[..., None]
    p = deep_layer(rng, 2)
    h, _ = tg.deep_birnn_layer_forward(below, LENGTHS, p)
    pf, pb = (
        {"W_hx": np.concatenate([p[f"W_{d}"], p[f"V_{d}"]], 1), "W_hh": p[f"W_hh_{d}"], "b_h": p[f"b_h_{d}"]}
        for d in ("f", "b")
    )
    np.testing.assert_array_equal(h, tg.birnn_forward(below, LENGTHS, pf, pb)[0])
    # eq. 3 by hand at the first forward step: hf_0 = f(W_f hf_below_0 + V_f hb_below_0 + b)
    first = np.tanh(below[:, 0, :2] @ p["W_f"].T + below[:, 0, 2:] @ p["V_f"].T + p["b_h_f"])
    np.testing.assert_allclose(h[:, 0, :H], first, rtol=0, atol=1e-15)


def test_deep_layer_gradients():
    rng = np.random.default_rng(4)
    below = rng.normal(size=(B, T, 2 * 2))  # H' = 2 below, H = 3 here
    p = deep_layer(rng, 2)
    dout = rng.normal(size=(B, T, 2 * H))
    _, cache = tg.deep_birnn_layer_forward(below, LENGTHS, p)
    d_below, grads = tg.deep_birnn_layer_backward(dout, cache)
    assert list(grads) == list(p)
    np.testing.assert_array_equal(d_below[~real_mask()], 0.0)

    def f(_: np.ndarray) -> np.ndarray:
        return tg.deep_birnn_layer_forward(below, LENGTHS, p)[0]

    results = [check_gradient(f, below, d_below, dout=dout, name="h_below")]
    results += [check_gradient(f, p[k], grads[k], dout=dout, name=k) for k in p]
    for r in results:
        assert_gradients_ok(r)
        assert r.max_rel_error <= 1e-7


def test_deep_birnn_stack_gradients():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(B, T, D))
    pf, pb = direction(rng, D), direction(rng, D)
    layers = [{f"{k}_{d}": v for d, p in (("f", pf), ("b", pb)) for k, v in p.items()}, deep_layer(rng, H)]
    dout = rng.normal(size=(B, T, 2 * H))
    h, cache = tg.deep_birnn_forward(x, LENGTHS, layers)
    dx, grads = tg.deep_birnn_backward(dout, cache)
    assert [list(g) for g in grads] == [list(p) for p in layers]

    def f(_: np.ndarray) -> np.ndarray:
        return tg.deep_birnn_forward(x, LENGTHS, layers)[0]

    assert_gradients_ok(check_gradient(f, x, dx, dout=dout, name="x"))
    for i, (p, g) in enumerate(zip(layers, grads, strict=True)):
        assert_gradients_ok({k: check_gradient(f, p[k], g[k], dout=dout, name=f"{k}_l{i}") for k in p})


# ----------------------------------------------------------------------------------------------- loss


def test_tagging_loss_matches_torch_cross_entropy_and_its_gradient():
    rng = np.random.default_rng(6)
    scores = rng.normal(size=(B, T, K))
    labels = rng.integers(0, K, size=(B, T))
    labels[0, 1] = labels[2, 4] = -100
    for w in (None, WEIGHTS):
        loss, dscores = tg.tagging_loss(scores, labels, w)
        ref = torch.nn.functional.cross_entropy(
            torch.from_numpy(scores).reshape(-1, K),
            torch.from_numpy(labels).reshape(-1),
            weight=None if w is None else torch.from_numpy(w),
            ignore_index=-100,
        )
        assert rel_error(loss, ref.item()) < 1e-13
        np.testing.assert_array_equal(dscores[labels == -100], 0.0)
        r = check_gradient(lambda s, w=w: tg.tagging_loss(s, labels, w)[0], scores, dscores, name="scores")
        assert_gradients_ok(r)


def test_tagging_loss_rejects_bad_inputs():
    scores = np.zeros((B, T, K))
    labels = np.zeros((B, T), dtype=np.int64)
    with pytest.raises(ValueError, match=r"label id in \[0, K = 3\)"):
        tg.tagging_loss(scores, np.full((B, T), 3))
    with pytest.raises(ValueError, match="nothing to average"):
        tg.tagging_loss(scores, np.full((B, T), -100))
    with pytest.raises(ValueError, match="shape"):
        tg.tagging_loss(scores, labels[:, :2])
    with pytest.raises(TypeError, match="integer"):
        tg.tagging_loss(scores, labels.astype(float))
    with pytest.raises(ValueError, match="label_weights"):
        tg.tagging_loss(scores, labels, np.ones(2))
    with pytest.raises(ValueError, match="label_weights"):
        tg.tagging_loss(scores, labels, np.array([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match="sum to 0"):
        tg.tagging_loss(scores, labels, np.array([0.0, 1.0, 1.0]))


# ------------------------------------------------------------------------------------- whole model


@pytest.mark.parametrize(("kind", "layers"), [("uni", 1), ("uni", 2), ("bi", 1), ("deep", 2), ("deep", 3)])
def test_whole_model_gradients(kind, layers):
    ids, labels = padded_batch(7)
    p = tg.init_tagger_params(V, K, embed_dim=D, hidden=H, kind=kind, layers=layers, seed=8, scale=0.5)
    loss, grads = tg.tagger_loss_and_grads(p, ids, LENGTHS, labels, kind, layers, WEIGHTS)
    assert list(grads) == list(p) and np.isfinite(loss)
    results = check_param_gradients(
        lambda: tg.tagger_loss_and_grads(p, ids, LENGTHS, labels, kind, layers, WEIGHTS)[0], p, grads
    )
    assert_gradients_ok(results)
    assert max(r.max_rel_error for r in results.values()) <= 1e-7


@pytest.mark.parametrize(("kind", "layers"), [("uni", 2), ("bi", 1), ("deep", 3)])
def test_padding_changes_nothing(kind, layers):
    ids, labels = padded_batch(9)
    p = tg.init_tagger_params(V, K, embed_dim=D, hidden=H, kind=kind, layers=layers, seed=10, scale=0.5)
    loss, grads = tg.tagger_loss_and_grads(p, ids, LENGTHS, labels, kind, layers, WEIGHTS)
    pad = ~real_mask()
    ids2, labels2 = ids.copy(), labels.copy()
    ids2[pad] = np.random.default_rng(11).integers(0, V, size=pad.sum())
    labels2[pad] = (labels2[pad] + 1) % K
    loss2, grads2 = tg.tagger_loss_and_grads(p, ids2, LENGTHS, labels2, kind, layers, WEIGHTS)
    assert loss2 == loss
    for k in p:
        np.testing.assert_array_equal(grads2[k], grads[k], err_msg=k)
    # ... and it equals the mean over the sentences run one at a time, without any padding
    w_sum, total = 0.0, 0.0
    for b, n in enumerate(LENGTHS):
        one = (ids[b : b + 1, :n], [n], labels[b : b + 1, :n])
        lb, _ = tg.tagger_loss_and_grads(p, *one, kind, layers, WEIGHTS)
        wb = WEIGHTS[labels[b, :n]].sum()
        total, w_sum = total + lb * wb, w_sum + wb
    assert rel_error(loss, total / w_sum) < 1e-13


def test_numpy_tagger_rejects_bad_inputs():
    ids, labels = padded_batch(12)
    p = tg.init_tagger_params(V, K, embed_dim=D, hidden=H, kind="bi", seed=0)
    with pytest.raises(ValueError, match="kind must be one of"):
        tg.tagger_loss_and_grads(p, ids, LENGTHS, labels, kind="lstm")
    with pytest.raises(ValueError, match="layers must be >= 1"):
        tg.tagger_loss_and_grads(p, ids, LENGTHS, labels, kind="deep", layers=0)
    with pytest.raises(ValueError, match="kind='deep'"):
        tg.tagger_loss_and_grads(p, ids, LENGTHS, labels, kind="bi", layers=2)
    with pytest.raises(ValueError, match=r"missing \['W_hx_l0'"):
        tg.tagger_loss_and_grads(p, ids, LENGTHS, labels, kind="uni")
    with pytest.raises(ValueError, match="lengths"):
        tg.tagger_loss_and_grads(p, ids, [5, 3, 6], labels, kind="bi")
    with pytest.raises(ValueError, match="vocabulary"):
        tg.tagger_loss_and_grads(p, ids + V, LENGTHS, labels, kind="bi")
    with pytest.raises(ValueError, match="label id"):
        tg.tagger_loss_and_grads(p, ids, LENGTHS, labels + K, kind="bi")
    with pytest.raises(ValueError, match="shape of ids"):
        tg.tagger_loss_and_grads(p, ids, LENGTHS, labels[:, :3], kind="bi")
    with pytest.raises(ValueError, match="W_hx"):
        tg.birnn_forward(np.zeros((B, T, D + 1)), LENGTHS, direction(np.random.default_rng(0), D),
                         direction(np.random.default_rng(1), D))


def test_matched_hidden_is_the_budget_optimum():
    for kind, layers in (("uni", 1), ("uni", 3), ("bi", 1), ("deep", 2), ("deep", 4)):
        for budget in (1, 500, 12_345, 200_000):
            got = tg.matched_hidden(kind, layers, budget, 1000, 50, 3)
            counts = {h: tg.count_parameters(kind, layers, h, 1000, 50, 3) for h in range(1, 600)}
            best = min(counts, key=lambda h: (abs(counts[h] - budget), h))
            assert abs(got - best) <= 1
            assert abs(counts[got] - budget) == abs(counts[best] - budget)
    with_emb = tg.matched_hidden("bi", 1, 60_000, 1000, 50, 3, include_embeddings=True)
    assert with_emb < tg.matched_hidden("bi", 1, 60_000, 1000, 50, 3)
    for kind, layers in (("uni", 2), ("bi", 1), ("deep", 3)):
        model = RNNTagger(13, 4, embed_dim=5, hidden=6, kind=kind, layers=layers, device="cpu")
        assert model.n_parameters(embeddings=False) == tg.count_parameters(kind, layers, 6, 13, 5, 4)
        assert model.n_parameters() == tg.count_parameters(kind, layers, 6, 13, 5, 4, include_embeddings=True)


# ------------------------------------------------------------------------------------------- PyTorch


def torch_model(kind: str, layers: int, **kwargs) -> RNNTagger:
    return RNNTagger(V, K, embed_dim=D, hidden=H, kind=kind, layers=layers, device="cpu", dtype=torch.float64,
                     **kwargs)


@pytest.mark.parametrize(("kind", "layers"), CONFIGS)
def test_torch_matches_numpy(kind, layers):
    ids, labels = padded_batch(13)
    labels[1, 0] = -100
    p = tg.init_tagger_params(V, K, embed_dim=D, hidden=H, kind=kind, layers=layers, seed=14, scale=0.5)
    loss, grads = tg.tagger_loss_and_grads(p, ids, LENGTHS, labels, kind, layers, WEIGHTS)
    model = torch_model(kind, layers, label_weights=WEIGHTS)
    model.load_numpy_params(p)
    assert list(model.state_dict()) == list(p)
    t_loss, state, n = model.loss(torch.from_numpy(ids), torch.from_numpy(labels))
    assert state is None and n == int(LENGTHS.sum()) - 1
    t_loss.backward()
    assert rel_error(t_loss.item(), loss) < 1e-10
    for k in p:
        assert rel_error(getattr(model, k).grad.numpy(), grads[k]) < 1e-10, k
    scores = tg.tagger_scores(p, ids, LENGTHS, kind, layers)
    assert rel_error(model(torch.from_numpy(ids)).detach().numpy(), scores) < 1e-10
    back = model.to_numpy_params()
    for k in p:
        np.testing.assert_array_equal(back[k], p[k])


def test_deep_with_one_layer_is_bi():
    ids, labels = padded_batch(15)
    bi, deep = torch_model("bi", 1, seed=3), torch_model("deep", 1, seed=3)
    assert bi.param_names == deep.param_names
    x = torch.from_numpy(ids)
    torch.testing.assert_close(bi(x), deep(x), rtol=0, atol=0)
    p = bi.to_numpy_params()
    a = tg.tagger_loss_and_grads(p, ids, LENGTHS, labels, "bi", 1)
    b = tg.tagger_loss_and_grads(p, ids, LENGTHS, labels, "deep", 1)
    assert a[0] == b[0]


def test_torch_padding_labels_are_ignored_and_eval_is_deterministic():
    ids, labels = padded_batch(16)
    model = torch_model("deep", 2, seed=0, dropout=0.5)
    model.eval()
    x = torch.from_numpy(ids)
    torch.testing.assert_close(model(x), model(x), rtol=0, atol=0)
    labels2 = labels.copy()
    labels2[~real_mask()] = 99  # even out of range: padding labels are never read
    a, _, n = model.loss(x, torch.from_numpy(labels))
    b, _, n2 = model.loss(x, torch.from_numpy(labels2))
    assert a.item() == b.item() and n == n2 == int(LENGTHS.sum())
    model.train()
    torch.manual_seed(0)
    assert not torch.equal(model(x), model(x))  # dropout acts in training mode only
    tags = model.predict(x)
    assert model.training and tags.dtype == torch.long
    np.testing.assert_array_equal(tags.numpy()[~real_mask()], -100)
    model.eval()
    np.testing.assert_array_equal(tags.numpy()[real_mask()], model(x).argmax(-1).numpy()[real_mask()])


def test_torch_rejects_bad_inputs():
    model = torch_model("bi", 1)
    ids, labels = padded_batch(17)
    x, y = torch.from_numpy(ids), torch.from_numpy(labels)
    gap = ids.copy()
    gap[1, 1] = 0  # a pad id before the real token at t = 2
    with pytest.raises(ValueError, match="before a real token"):
        model(torch.from_numpy(gap))
    with pytest.raises(ValueError, match="all padding"):
        model(torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="2-D"):
        model(x[0])
    with pytest.raises(TypeError, match="integer"):
        model(x.double())
    with pytest.raises(ValueError, match=r"\[0, V = 11\)"):
        model(x + V)
    with pytest.raises(ValueError, match="shape of ids"):
        model.loss(x, y[:, :2])
    with pytest.raises(ValueError, match=r"label id in \[0, K = 3\)"):
        model.loss(x, torch.full_like(y, 3))
    with pytest.raises(ValueError, match="no labelled token"):
        model.loss(x, torch.full_like(y, -100))
    with pytest.raises(ValueError, match="kind must be one of"):
        RNNTagger(V, embed_dim=D, hidden=H, kind="gru", device="cpu")
    with pytest.raises(ValueError, match="layers must be >= 1"):
        RNNTagger(V, embed_dim=D, hidden=H, kind="deep", layers=0, device="cpu")
    with pytest.raises(ValueError, match="kind='deep'"):
        RNNTagger(V, embed_dim=D, hidden=H, kind="bi", layers=2, device="cpu")
    with pytest.raises(ValueError, match="label_weights"):
        RNNTagger(V, embed_dim=D, hidden=H, label_weights=[1.0, 1.0], device="cpu")
    with pytest.raises(ValueError, match="pad_id"):
        RNNTagger(V, embed_dim=D, hidden=H, pad_id=V, device="cpu")
    with pytest.raises(ValueError, match="dropout"):
        RNNTagger(V, embed_dim=D, hidden=H, dropout=1.0, device="cpu")
    with pytest.raises(ValueError, match="activation"):
        RNNTagger(V, embed_dim=D, hidden=H, activation="gelu", device="cpu")
    p = model.to_numpy_params()
    with pytest.raises(ValueError, match="W_S must have shape"):
        model.load_numpy_params({**p, "W_S": np.zeros((K, H))})
    with pytest.raises(ValueError, match="unexpected"):
        model.load_numpy_params({**p, "W_hx_l0": np.zeros((H, D))})


def test_load_embeddings_copies_exactly_the_shared_words():
    model = RNNTagger(5, embed_dim=3, hidden=2, seed=0, device="cpu")
    before = model.L.detach().clone()
    lm_L = np.arange(12, dtype=np.float32).reshape(4, 3)
    n = model.load_embeddings(lm_L, ["<pad>", "the", "movie", "bland", "!"], ["<unk>", "!", "the", "plot"])
    assert n == 2
    after = model.L.detach()
    torch.testing.assert_close(after[1], torch.tensor([6.0, 7.0, 8.0]))  # "the" = lm row 2
    torch.testing.assert_close(after[4], torch.tensor([3.0, 4.0, 5.0]))  # "!" = lm row 1
    torch.testing.assert_close(after[[0, 2, 3]], before[[0, 2, 3]], rtol=0, atol=0)
    assert model.L.requires_grad
    assert model.load_embeddings(torch.from_numpy(lm_L), ["a"] * 5, ["b"] * 4, freeze=True) == 0
    assert not model.L.requires_grad
    with pytest.raises(ValueError, match="D = 4 columns"):
        model.load_embeddings(np.zeros((4, 4)), ["a"] * 5, ["b"] * 4)
    with pytest.raises(ValueError, match="tagger_itos has 4 words"):
        model.load_embeddings(lm_L, ["a"] * 4, ["b"] * 4)


def test_the_kit_training_step_accepts_the_tagger():
    from rnnlm.train import train_step

    ids, labels = padded_batch(18)
    model = RNNTagger(V, K, embed_dim=D, hidden=H, kind="deep", layers=2, seed=0, device="cpu", dropout=0.1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    step = train_step(model, opt, torch.from_numpy(ids), torch.from_numpy(labels), clip=1.0)
    assert step.state is None and step.tokens == int(LENGTHS.sum()) and np.isfinite(step.loss)


def toy_batch(rng: np.random.Generator, n: int, t_max: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """Sentences of 4..t_max tokens in [1, 7); the label of token t is (token t+1) % 3, 0 for the last."""
    lengths = rng.integers(4, t_max + 1, size=n)
    ids = rng.integers(1, 7, size=(n, t_max))
    labels = np.zeros((n, t_max), dtype=np.int64)
    labels[:, :-1] = ids[:, 1:] % 3
    pad = np.arange(t_max)[None, :] >= lengths[:, None]
    ids[pad] = 0
    labels[np.arange(n), lengths - 1] = 0
    labels[pad] = -100
    return torch.from_numpy(ids), torch.from_numpy(labels)


def test_bidirectional_tagger_learns_what_a_unidirectional_one_cannot():
    rng = np.random.default_rng(0)
    train_x, train_y = toy_batch(rng, 64)
    test_x, test_y = toy_batch(rng, 200)
    accuracy = {}
    for kind in ("uni", "bi"):
        model = RNNTagger(7, 3, embed_dim=8, hidden=16, kind=kind, seed=0, device="cpu")
        opt = torch.optim.Adam(model.parameters(), lr=0.03)
        for _ in range(100):
            loss, _, _ = model.loss(train_x, train_y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        tags = model.predict(test_x)
        real = test_y != -100
        accuracy[kind] = float((tags[real] == test_y[real]).double().mean())
    assert accuracy["bi"] > 0.9, accuracy
    assert accuracy["bi"] > accuracy["uni"] + 0.3, accuracy


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    ids, labels = padded_batch(19)
    cpu = torch_model("deep", 2, seed=0, label_weights=WEIGHTS)
    gpu = RNNTagger(V, K, embed_dim=D, hidden=H, kind="deep", layers=2, device="cuda", dtype=torch.float64,
                    label_weights=WEIGHTS)
    gpu.load_numpy_params(cpu.to_numpy_params())
    a, _, _ = cpu.loss(torch.from_numpy(ids), torch.from_numpy(labels))
    b, _, _ = gpu.loss(torch.from_numpy(ids).cuda(), torch.from_numpy(labels))
    assert rel_error(a.item(), b.item()) < 1e-10
    assert gpu.predict(torch.from_numpy(ids)).device.type == "cpu"
