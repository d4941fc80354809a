"""The PyTorch RNN LM mirrors the NumPy reference: same numbers, same gradients, weights copy both ways."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnlm.rnn_torch import PARAM_NAMES, RNNLM

V, D, H, B, T = 23, 5, 7, 3, 6


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def random_params(seed: int, *, scale: float = 0.5) -> dict[str, np.ndarray]:
    """Random float64 parameters in the NumPy layout (biases non-zero, so their gradients matter)."""
    rng = np.random.default_rng(seed)
    shapes = {"L": (V, D), "W_hx": (H, D), "W_hh": (H, H), "b_h": (H,), "W_S": (V, H), "b_S": (V,)}
    return {k: rng.normal(0.0, scale, size=s) for k, s in shapes.items()}


def random_batch(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, V, size=(B, T))
    y = rng.integers(0, V, size=(B, T))
    h0 = rng.normal(0.0, 0.5, size=(B, H))
    mask = rng.random((B, T)) < 0.7
    mask[0, 0] = True
    return x, y, h0, mask


def torch_loss_and_grads(model: RNNLM, x, y, h0, mask, path: str):
    model.zero_grad(set_to_none=True)
    loss, h_last = model.loss(torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(h0),
                              torch.from_numpy(mask), path=path)
    loss.backward()
    grads = {k: getattr(model, k).grad.detach().numpy().copy() for k in PARAM_NAMES}
    return loss.item(), grads, h_last.detach().numpy()


def numpy_model(params: dict[str, np.ndarray], activation: str):
    from rnnlm import rnn_numpy

    return rnn_numpy.RNNLM.from_params(params, activation)


# --------------------------------------------------------------------------- NumPy agreement


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_numpy_explicit_and_fast_paths_agree_on_loss_and_every_gradient(activation):
    params = random_params(1)
    x, y, h0, mask = random_batch(2)
    ref = numpy_model(params, activation)
    ref_loss, ref_grads, ref_h = ref.loss(x, y, h0=h0.copy(), mask=mask)

    model = RNNLM.from_numpy_params(params, activation, device="cpu")
    assert model.L.dtype == torch.float64
    paths = ["explicit", "fast"] if activation != "sigmoid" else ["explicit"]
    for path in paths:
        loss, grads, h_last = torch_loss_and_grads(model, x, y, h0, mask, path)
        assert loss == pytest.approx(float(ref_loss), rel=1e-10, abs=1e-10), path
        np.testing.assert_allclose(h_last, ref_h, rtol=1e-10, atol=1e-10, err_msg=path)
        for name in PARAM_NAMES:
            np.testing.assert_allclose(grads[name], ref_grads[name], rtol=1e-10, atol=1e-10,
                                       err_msg=f"{path} path, gradient of {name}")


def test_numpy_agreement_without_mask_and_h0():
    params = random_params(3)
    x, y, _, _ = random_batch(4)
    ref_loss, ref_grads, _ = numpy_model(params, "tanh").loss(x, y)
    model = RNNLM.from_numpy_params(params, "tanh", device="cpu")
    loss, _ = model.loss(torch.from_numpy(x), torch.from_numpy(y))
    loss.backward()
    assert loss.item() == pytest.approx(float(ref_loss), rel=1e-10)
    np.testing.assert_allclose(model.W_hh.grad.numpy(), ref_grads["W_hh"], rtol=1e-10, atol=1e-10)


# --------------------------------------------------------------------------- the two torch paths


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_explicit_and_fast_paths_agree(activation):
    model = RNNLM.from_numpy_params(random_params(5), activation, device="cpu")
    x, y, h0, mask = random_batch(6)
    le, ge, he = torch_loss_and_grads(model, x, y, h0, mask, "explicit")
    lf, gf, hf = torch_loss_and_grads(model, x, y, h0, mask, "fast")
    assert lf == pytest.approx(le, rel=1e-12)
    np.testing.assert_allclose(hf, he, rtol=1e-12, atol=1e-12)
    for name in PARAM_NAMES:
        np.testing.assert_allclose(gf[name], ge[name], rtol=1e-10, atol=1e-12, err_msg=name)


def test_fast_path_gradients_land_on_the_named_parameters_only():
    model = RNNLM(V, D, H, device="cpu", seed=0, dtype=torch.float64)
    x, y, _, _ = random_batch(7)
    loss, _ = model.loss(torch.from_numpy(x), torch.from_numpy(y), path="fast")
    loss.backward()
    names = [n for n, _ in model.named_parameters()]
    assert sorted(names) == sorted(PARAM_NAMES)
    for n, p in model.named_parameters():
        assert p.grad is not None and torch.count_nonzero(p.grad) > 0, n


def test_sigmoid_fast_path_is_refused_and_auto_falls_back():
    with pytest.raises(ValueError, match="sigmoid"):
        RNNLM(V, D, H, "sigmoid", path="fast", device="cpu")
    model = RNNLM(V, D, H, "sigmoid", device="cpu", seed=0, dtype=torch.float64)
    x, _, _, _ = random_batch(8)
    with pytest.raises(ValueError, match="explicit"):
        model(torch.from_numpy(x), path="fast")
    auto, _ = model(torch.from_numpy(x))
    explicit, _ = model(torch.from_numpy(x), path="explicit")
    torch.testing.assert_close(auto, explicit, rtol=0, atol=0)


def test_forward_shapes_and_state_carry():
    model = RNNLM(V, D, H, device="cpu", seed=0, dtype=torch.float64)
    x, _, _, _ = random_batch(9)
    xt = torch.from_numpy(x)
    scores, h_last = model(xt)
    assert scores.shape == (B, T, V) and h_last.shape == (B, H)
    # running the sequence in two halves with the state carried gives the same scores
    s1, h1 = model(xt[:, :2])
    s2, h2 = model(xt[:, 2:], h1)
    torch.testing.assert_close(torch.cat([s1, s2], dim=1), scores)
    torch.testing.assert_close(h2, h_last)


# --------------------------------------------------------------------------- weights both ways


def test_weights_round_trip_numpy_torch_numpy_exactly():
    params = random_params(10)
    model = RNNLM.from_numpy_params(params, "tanh", device="cpu")
    back = model.numpy_params()
    assert set(back) == set(PARAM_NAMES)
    for k in PARAM_NAMES:
        assert back[k].dtype == np.float64
        np.testing.assert_array_equal(back[k], params[k])
        assert not np.shares_memory(back[k], params[k])


def test_round_trip_through_the_numpy_reference():
    ref = numpy_model(random_params(11), "relu")
    model = RNNLM(V, D, H, "relu", device="cpu", seed=3, dtype=torch.float64)
    model.load_numpy_params(ref.params)
    for k in PARAM_NAMES:
        np.testing.assert_array_equal(model.numpy_params()[k], ref.params[k])


def test_float32_model_gives_float32_arrays():
    model = RNNLM(V, D, H, device="cpu", seed=0)
    arrays = model.numpy_params()
    assert all(a.dtype == np.float32 for a in arrays.values())
    again = RNNLM.from_numpy_params(arrays, device="cpu")
    assert again.L.dtype == torch.float32
    for k in PARAM_NAMES:
        np.testing.assert_array_equal(again.numpy_params()[k], arrays[k])


def test_load_numpy_params_checks_names_and_shapes():
    model = RNNLM(V, D, H, device="cpu", seed=0)
    params = random_params(12)
    bad = dict(params, W_hh=np.zeros((H, H + 1)))
    with pytest.raises(ValueError, match=r"W_hh must have shape \(7, 7\), got \(7, 8\)"):
        model.load_numpy_params(bad)
    with pytest.raises(ValueError, match="b_S"):
        model.load_numpy_params({k: v for k, v in params.items() if k != "b_S"})
    with pytest.raises(TypeError, match="float"):
        model.load_numpy_params(dict(params, b_h=np.zeros(H, dtype=np.int64)))


# --------------------------------------------------------------------------- options


def test_weight_tying_shares_one_tensor_and_sums_both_gradients():
    with pytest.raises(ValueError, match="D=5, H=7"):
        RNNLM(V, D, H, tie_weights=True, device="cpu")
    tied = RNNLM(V, H, H, tie_weights=True, device="cpu", seed=0, dtype=torch.float64)
    assert tied.W_S is tied.L
    assert tied.num_parameters() == RNNLM(V, H, H, device="cpu").num_parameters() - V * H
    params = tied.numpy_params()
    untied = RNNLM.from_numpy_params(params, device="cpu")
    x, y, _, _ = random_batch(13)
    for m in (tied, untied):
        loss, _ = m.loss(torch.from_numpy(x), torch.from_numpy(y))
        loss.backward()
    torch.testing.assert_close(tied.L.grad, untied.L.grad + untied.W_S.grad)
    with pytest.raises(ValueError, match="ties"):
        tied.load_numpy_params(dict(params, W_S=params["W_S"] + 1.0))


def test_dropout_is_off_in_eval_mode_and_seeded_in_training():
    params = random_params(14)
    plain = RNNLM.from_numpy_params(params, device="cpu")
    drop = RNNLM.from_numpy_params(params, device="cpu", dropout=0.5)
    x = torch.from_numpy(random_batch(15)[0])
    drop.eval()
    torch.testing.assert_close(drop(x)[0], plain(x)[0], rtol=0, atol=0)
    drop.train()
    torch.manual_seed(0)
    a = drop(x)[0]
    torch.manual_seed(0)
    b = drop(x)[0]
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.allclose(a, plain(x)[0])


def test_seed_reproduces_initial_weights():
    a = RNNLM(V, D, H, device="cpu", seed=42).numpy_params()
    b = RNNLM(V, D, H, device="cpu", seed=42).numpy_params()
    c = RNNLM(V, D, H, device="cpu", seed=43).numpy_params()
    for k in ("L", "W_hx", "W_hh", "W_S"):
        np.testing.assert_array_equal(a[k], b[k])
        assert not np.array_equal(a[k], c[k])
    bound = 1 / np.sqrt(H)
    assert np.abs(a["W_hh"]).max() <= bound and np.abs(a["L"]).max() <= 0.1


def test_sampling_is_seeded_and_temperature_sharpens():
    model = RNNLM.from_numpy_params(random_params(16, scale=1.5), device="cpu")
    s1 = model.sample(30, start_ids=[1, 2], rng=7)
    assert s1.shape == (30,) and s1.dtype == torch.int64
    assert int(s1.min()) >= 0 and int(s1.max()) < V
    torch.testing.assert_close(model.sample(30, start_ids=[1, 2], rng=7), s1)
    assert not torch.equal(model.sample(30, start_ids=[1, 2], rng=8), s1)
    # near-zero temperature is greedy decoding
    greedy = []
    scores, h = model(torch.tensor([[1, 2]]))
    for _ in range(10):
        nxt = int(scores[0, -1].argmax())
        greedy.append(nxt)
        scores, h = model(torch.tensor([[nxt]]), h)
    assert model.sample(10, start_ids=[1, 2], temperature=1e-4, rng=0).tolist() == greedy
    # a batch of prompts gives one row each; continuing from a state needs no prompt
    batch = model.sample(5, start_ids=np.array([[1, 2], [3, 4]]), rng=1)
    assert batch.shape == (2, 5)
    assert model.sample(4, h0=torch.zeros(H, dtype=torch.float64), rng=1).shape == (4,)
    # eos stops early
    eos = int(s1[3])
    cut = model.sample(30, start_ids=[1, 2], rng=7, eos_id=eos)
    assert int(cut[-1]) == eos and len(cut) <= 4 and eos not in cut[:-1].tolist()
    with pytest.raises(ValueError, match="temperature"):
        model.sample(3, start_ids=[1], temperature=0)
    with pytest.raises(ValueError, match="start_ids"):
        model.sample(3)


# --------------------------------------------------------------------------- validation


def test_inputs_are_checked():
    model = RNNLM(V, D, H, device="cpu", seed=0)
    with pytest.raises(ValueError, match=r"\[0, 23\)"):
        model(torch.tensor([[0, 23]]))
    with pytest.raises(TypeError, match="integer"):
        model(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"2-D \(B, T\)"):
        model(torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match=r"h0 must have shape"):
        model(torch.tensor([[1, 2]]), torch.zeros(2, H))
    with pytest.raises(ValueError, match="activation"):
        RNNLM(V, D, H, "softsign", device="cpu")
    with pytest.raises(ValueError, match="no positions"):
        model.loss(torch.tensor([[1, 2]]), torch.tensor([[2, 3]]), mask=torch.zeros(1, 2, dtype=torch.bool))


# --------------------------------------------------------------------------- devices


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_cuda_matches_cpu_and_the_numpy_reference(activation):
    params = random_params(17)
    x, y, h0, mask = random_batch(18)
    ref_loss, ref_grads, _ = numpy_model(params, activation).loss(x, y, h0=h0.copy(), mask=mask)
    cpu = RNNLM.from_numpy_params(params, activation, device="cpu")
    gpu = RNNLM.from_numpy_params(params, activation, device="cuda")
    assert gpu.L.is_cuda
    lc, gc, _ = torch_loss_and_grads(cpu, x, y, h0, mask, "explicit")
    for path in ("explicit", "fast"):
        gpu.zero_grad(set_to_none=True)
        loss, _ = gpu.loss(torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(h0),
                           torch.from_numpy(mask), path=path)
        loss.backward()
        assert loss.item() == pytest.approx(lc, rel=1e-9)
        assert loss.item() == pytest.approx(float(ref_loss), rel=1e-9)
        for k in PARAM_NAMES:
            np.testing.assert_allclose(getattr(gpu, k).grad.cpu().numpy(), gc[k], rtol=1e-7, atol=1e-9)
            np.testing.assert_allclose(getattr(gpu, k).grad.cpu().numpy(), ref_grads[k], rtol=1e-7, atol=1e-9,
                                       err_msg=f"{path} path on CUDA against NumPy, gradient of {k}")
    assert gpu.numpy_params()["L"].dtype == np.float64
