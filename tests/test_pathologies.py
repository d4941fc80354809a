"""rnnlm.pathologies: Jacobians against autograd and finite differences, the norm bound, clipping for
NumPy and torch alike, the single-unit cliff, the long-range tasks, initialisations, the regressor."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnnlm import pathologies as P
from rnnlm import rnn_numpy
from rnnlm.data import Vocab

ACTS = ("sigmoid", "tanh", "relu")
H, T = 6, 9


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _problem(seed: int, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((H, H)) * scale / math.sqrt(H)
    u = rng.standard_normal((T, H))
    h0 = rng.standard_normal(H) * 0.5
    return W, u, h0


def _torch_step(act: str):
    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[act]


# ------------------------------------------------------------------------------------------------- 1


@pytest.mark.parametrize("act", ACTS)
def test_jacobian_products_match_torch_autograd(act):
    W, u, h0 = _problem(1, scale=1.5)
    h, _ = P.recurrence(W, u, act, h0)
    J = P.step_jacobians(W, u, act, h0)
    Wt, ut = torch.from_numpy(W), torch.from_numpy(u)
    f = _torch_step(act)
    products = P.jacobian_products(J)
    for k in (0, 3, T - 1, T):

        def h_T(h_k: torch.Tensor, k: int = k) -> torch.Tensor:
            for t in range(k, T):
                h_k = f(h_k @ Wt.T + ut[t])
            return h_k

        auto = torch.autograd.functional.jacobian(h_T, torch.from_numpy(h[k])).numpy()
        np.testing.assert_allclose(P.jacobian_product(J, T, k), auto, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(products[T - k], auto, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("act", ACTS)
def test_jacobian_product_matches_finite_differences(act):
    W, u, h0 = _problem(2, scale=1.2)
    h, _ = P.recurrence(W, u, act, h0)
    J = P.step_jacobians(W, u, act, h0)
    k, t, eps = 2, 7, 1e-6
    numeric = np.empty((H, H))
    for j in range(H):
        e = np.zeros(H)
        e[j] = eps
        plus = P.recurrence(W, u[k:t], act, h[k] + e)[0][-1]
        minus = P.recurrence(W, u[k:t], act, h[k] - e)[0][-1]
        numeric[:, j] = (plus - minus) / (2 * eps)  # column j: d h_t / d h_k[j]
    np.testing.assert_allclose(P.jacobian_product(J, t, k), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("act", ACTS)
def test_step_jacobian_is_diag_fprime_times_W_and_backprop_is_row_times_J(act):
    W, u, h0 = _problem(3)
    h, z = P.recurrence(W, u, act, h0)
    t = 4
    fprime = rnn_numpy.get_activation(act).df(h[t])
    J = P.step_jacobian(W, z[t - 1], act)
    np.testing.assert_allclose(J, np.diag(fprime) @ W, rtol=1e-12)
    np.testing.assert_allclose(P.step_jacobians(W, u, act, h0)[t - 1], J, rtol=1e-12)
    # the kit's backward step: dL/dh_{t-1} = dL/dh_t @ J_t, the row convention of the docstring
    dh = np.random.default_rng(0).standard_normal((1, H))
    _, cache = rnn_numpy.rnn_step_forward(
        np.zeros((1, 1)), h[t - 1][None], np.zeros((H, 1)), W, u[t - 1], act
    )
    _, dh_prev, *_ = rnn_numpy.rnn_step_backward(dh, cache)
    np.testing.assert_allclose(dh_prev, dh @ J, rtol=1e-12)


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("beta", [0.5, 1.0, 3.0, 6.0])
def test_measured_norms_respect_the_bound_at_every_distance(act, beta):
    rng = np.random.default_rng(4)
    W = P.with_spectral_norm(rng.standard_normal((H, H)), beta)
    u = rng.standard_normal((40, H))
    g = P.gradient_norms_by_distance(W, u, act)
    assert g.beta_W == pytest.approx(beta) and g.beta_h == P.DERIVATIVE_BOUNDS[act]
    assert g.rate == pytest.approx(beta * g.beta_h)
    np.testing.assert_array_equal(g.distance, np.arange(41))
    assert g.norm[0] == pytest.approx(1.0) and g.bound[0] == 1.0
    np.testing.assert_allclose(g.bound, (beta * g.beta_h) ** np.arange(41), rtol=1e-12)
    assert np.all(g.norm <= g.bound * (1 + 1e-10)), np.flatnonzero(g.norm > g.bound)


def test_norms_vanish_when_beta_W_beta_h_is_below_one_and_the_bound_is_tight_for_relu_identity():
    rng = np.random.default_rng(5)
    W = P.with_spectral_norm(rng.standard_normal((H, H)), 3.0)  # 3 * 1/4 < 1 for sigmoid
    g = P.gradient_norms_by_distance(W, rng.standard_normal((60, H)), "sigmoid")
    assert g.norm[-1] < 1e-6 and g.bound[-1] == pytest.approx(0.75**60)
    # relu with W = I and positive drives: every J_t is I, norm 1 = bound
    g = P.gradient_norms_by_distance(np.eye(H), np.abs(rng.standard_normal((30, H))) + 0.1, "relu")
    np.testing.assert_allclose(g.norm, 1.0)
    np.testing.assert_allclose(g.bound, 1.0)


def test_an_overflowing_product_gives_an_infinite_norm_without_warnings():
    c = 1e10  # sigmoid states stay at 0.5 (the drives cancel c * h), every J_t is c/4 I
    with np.errstate(all="raise"):
        g = P.gradient_norms_by_distance(np.eye(3) * c, np.full((40, 3), -c / 2), "sigmoid", np.full(3, 0.5))
    assert g.norm[1] == pytest.approx(c / 4) and g.norm[10] == pytest.approx((c / 4) ** 10)
    assert math.isinf(g.norm[-1]) and math.isinf(g.bound[-1])


def test_spectral_norm_and_rescaling():
    A = np.diag([3.0, -5.0, 1.0])
    assert P.spectral_norm(A) == pytest.approx(5.0)
    assert P.spectral_norm(P.with_spectral_norm(A, 0.5)) == pytest.approx(0.5)
    assert [P.derivative_bound(a) for a in ACTS] == [0.25, 1.0, 1.0]


# ------------------------------------------------------------------------------------------------- 2


def _random_grads(rng: np.random.Generator) -> dict[str, np.ndarray]:
    shapes = [(int(rng.integers(1, 5)), int(rng.integers(1, 5))), (int(rng.integers(1, 7)),), ()]
    return {f"g{i}": rng.standard_normal(s) * 10 ** rng.uniform(-3, 3) for i, s in enumerate(shapes)}


def _norm(grads) -> float:
    return math.sqrt(sum(float(np.sum(np.asarray(g, dtype=np.float64) ** 2)) for g in grads.values()))


def _as_torch(grads):
    return {k: torch.as_tensor(v) for k, v in grads.items()}


def _as_numpy(grads):
    return {k: v.numpy() if isinstance(v, torch.Tensor) else v for k, v in grads.items()}


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_norm_clipping_property_over_random_gradients(kind):
    rng = np.random.default_rng(6)
    for _ in range(200):
        grads = _random_grads(rng)
        before = {k: v.copy() for k, v in grads.items()}
        norm = _norm(grads)
        threshold = norm * 10 ** rng.uniform(-2, 2)
        given = _as_torch(grads) if kind == "torch" else grads
        clipped, got = P.clip_grad_norm(given, threshold)
        assert all(isinstance(v, torch.Tensor) == (kind == "torch") for v in clipped.values())
        clipped = _as_numpy(clipped)
        assert got == pytest.approx(norm, rel=1e-12)
        assert _norm(clipped) == pytest.approx(min(norm, threshold), rel=1e-10)
        factor = min(1.0, threshold / norm)
        for k in grads:  # the same direction: every array scaled by one positive factor
            np.testing.assert_allclose(clipped[k], grads[k] * factor, rtol=1e-12)
            np.testing.assert_array_equal(grads[k], before[k])  # the input is not modified


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_value_clipping_property_over_random_gradients(kind):
    rng = np.random.default_rng(7)
    for _ in range(200):
        grads = _random_grads(rng)
        before = {k: v.copy() for k, v in grads.items()}
        largest = max(float(np.max(np.abs(v))) for v in grads.values())
        c = largest * rng.uniform(0.05, 1.5)
        given = _as_torch(grads) if kind == "torch" else grads
        clipped, got = P.clip_grad_value(given, c)
        clipped = _as_numpy(clipped)
        assert got == pytest.approx(largest)
        for k in grads:
            assert np.all(np.abs(clipped[k]) <= c)
            inside = np.abs(grads[k]) <= c
            np.testing.assert_array_equal(clipped[k][inside], grads[k][inside])  # entries within: kept
            np.testing.assert_array_equal(clipped[k][~inside], np.sign(grads[k][~inside]) * c)
            np.testing.assert_array_equal(grads[k], before[k])


def _model_with_grads(seed: int, scale: float) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    model[2].bias.requires_grad_(False)  # a parameter without a gradient is skipped
    (model(torch.randn(5, 4)).pow(2).sum() * scale).backward()
    return model


def test_in_place_clipping_of_a_models_gradients_agrees_with_the_dict_version_and_with_torch():
    for seed, scale in [(0, 1e-3), (1, 1.0), (2, 1e3)]:
        model = _model_with_grads(seed, scale)
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        norm = _norm(_as_numpy(grads))
        expected, _ = P.clip_grad_norm(grads, 1.0)
        got = P.clip_grad_norm_(model.parameters(), 1.0)
        assert got == pytest.approx(norm, rel=1e-6)
        for n, p in model.named_parameters():
            if p.grad is not None:
                np.testing.assert_allclose(p.grad.numpy(), expected[n].numpy(), rtol=1e-6)
        twin = _model_with_grads(seed, scale)  # torch's own clip, which train.train_step calls today
        assert float(torch.nn.utils.clip_grad_norm_(twin.parameters(), 1.0)) == pytest.approx(got, rel=1e-5)
        for p, q in zip(model.parameters(), twin.parameters(), strict=True):
            if p.grad is not None:
                np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-7)

        model = _model_with_grads(seed, scale)
        expected, largest = P.clip_grad_value(
            {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}, 0.01
        )
        assert P.clip_grad_value_(model, 0.01) == pytest.approx(largest)
        for n, p in model.named_parameters():
            if p.grad is not None:
                assert float(p.grad.abs().max()) <= 0.01
                np.testing.assert_allclose(p.grad.numpy(), expected[n].numpy(), rtol=1e-6)


def test_pathologies_norm_clip_is_the_kits_one_function():
    assert P.clip_grad_norm is rnn_numpy.clip_grad_norm
    assert P.clip_grad_norm.__rnnlm_exercise__ == "nb03_clip_grad_norm"
    assert P.clip_grad_norm_.__rnnlm_exercise__ == "nb03_clip_grad_norm"  # stubbed with the exercise
    # the unmarked twin the trainers call clips the same way
    model = _model_with_grads(3, 100.0)
    twin = _model_with_grads(3, 100.0)
    assert P._clip_grad_norm_(model, 0.5) == P.clip_grad_norm_(twin, 0.5)


def test_clipping_rejects_non_finite_gradients_and_bad_thresholds():
    bad = {"W": np.ones(3), "b": np.array([1.0, np.nan])}
    for clip in (P.clip_grad_norm, P.clip_grad_value):
        with pytest.raises(ValueError, match=r"non-finite entries in \['b'\]"):
            clip(bad, 1.0)
        with pytest.raises(ValueError, match=r"non-finite entries in \['b'\]"):
            clip(_as_torch(bad), 1.0)
        for threshold in (0.0, -1.0, math.inf, math.nan):
            with pytest.raises(ValueError):
                clip({"W": np.ones(2)}, threshold)
    model = _model_with_grads(0, 1.0)
    model[0].weight.grad[0, 0] = math.inf
    for clip_ in (P.clip_grad_norm_, P.clip_grad_value_):
        with pytest.raises(ValueError, match=r"non-finite entries in \['0.weight'\]"):
            clip_(model, 1.0)
    with pytest.raises(TypeError, match="dict of gradients"):
        P.clip_grad_norm_({"W": torch.ones(2)}, 1.0)
    with pytest.raises(TypeError, match="torch tensor"):
        P.clip_grad_value_([np.ones(2)], 1.0)
    assert P.clip_grad_norm_(torch.nn.Linear(2, 2), 1.0) == 0.0  # no gradients yet: nothing to clip


# ------------------------------------------------------------------------------------------------- 3


def test_single_unit_gradient_matches_finite_differences():
    rng = np.random.default_rng(8)
    points = [(1.0, 0.0), (-2.0, 1.5), (5.1, -2.5), (4.5, -2.3)] + [
        tuple(v) for v in rng.uniform([-3, -4], [8, 3], size=(8, 2))
    ]
    eps = 1e-6
    for w, b in points:
        E, dw, db = P.single_unit_gradient(w, b)
        assert E == pytest.approx(P.single_unit_loss(w, b), rel=1e-14)
        num_w = (P.single_unit_loss(w + eps, b) - P.single_unit_loss(w - eps, b)) / (2 * eps)
        num_b = (P.single_unit_loss(w, b + eps) - P.single_unit_loss(w, b - eps)) / (2 * eps)
        scale = max(1e-6, abs(dw), abs(db))
        assert abs(dw - num_w) / scale < 1e-5 and abs(db - num_b) / scale < 1e-5, (w, b, dw, num_w, db, num_b)


def test_single_unit_forward_loss_and_surface_broadcast_over_grids():
    x = P.single_unit_forward(2.0, -1.0, steps=3)
    s = rnn_numpy.ACTIVATIONS["sigmoid"].f
    assert x.shape == (4,) and x[0] == 0.5 and x[1] == pytest.approx(2.0 * s(0.5) - 1.0)
    ws, bs = np.linspace(-1, 8, 7), np.linspace(-5, 2, 5)
    E = P.single_unit_error_surface(ws, bs)
    assert E.shape == (5, 7) and np.all((E >= 0) & (E <= 0.7**2 + 1e-12))
    assert E[3, 2] == pytest.approx(P.single_unit_loss(ws[2], bs[3]))
    Eg, dw, db = P.single_unit_gradient(ws[None, :], bs[:, None])
    assert Eg.shape == dw.shape == db.shape == (5, 7)
    assert dw[1, 4] == pytest.approx(P.single_unit_gradient(ws[4], bs[1])[1])


def test_the_unclipped_descent_flies_off_the_cliff_and_the_clipped_one_stays():
    plain = P.single_unit_descent()
    clipped = P.single_unit_descent(clip=1.0)
    lr = P.SINGLE_UNIT_LR
    assert np.isfinite(plain.params).all() and np.isfinite(clipped.params).all()
    jump = int(np.argmax(plain.step_sizes))
    assert plain.grad_norm[jump] > 1000 and plain.step_sizes[jump] > 50  # the wall hurls it away
    assert np.abs(plain.params[-1]).max() > 50 and plain.loss[-1] == pytest.approx(0.09, abs=1e-3)
    assert np.all(clipped.step_sizes <= lr * 1.0 * (1 + 1e-12))  # no step longer than lr * clip
    assert np.abs(clipped.params).max() <= max(abs(v) for v in P.SINGLE_UNIT_START) + 1e-9
    assert clipped.grad_norm.max() > 1000  # it met the same wall
    assert clipped.loss.min() < plain.loss[0] / 2
    first = int(np.argmax(plain.grad_norm > 1.0))  # identical paths until clipping first acts
    np.testing.assert_array_equal(plain.params[: first + 1], clipped.params[: first + 1])


# ------------------------------------------------------------------------------------------------- 4


def test_adding_problem_data():
    x, y = P.adding_problem(500, 21, rng=3)
    assert x.shape == (500, 21, 2) and y.shape == (500,)
    assert np.all((x[:, :, 0] >= 0) & (x[:, :, 0] < 1))
    assert set(np.unique(x[:, :, 1])) == {0.0, 1.0}
    assert np.all(x[:, :10, 1].sum(axis=1) == 1) and np.all(x[:, 10:, 1].sum(axis=1) == 1)
    np.testing.assert_allclose(y, (x[:, :, 0] * x[:, :, 1]).sum(axis=1))
    x2, y2 = P.adding_problem(500, 21, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(x, x2)
    xs, _ = P.adding_problem(50, 2, rng=0)
    assert np.all(xs[:, :, 1] == 1)  # T = 2: one mark in each one-step half


def test_adding_baseline_matches_monte_carlo():
    _, y = P.adding_problem(200_000, 4, rng=9)
    assert P.adding_baseline_mse() == pytest.approx(1 / 6) == P.ADDING_BASELINE_MSE
    assert y.mean() == pytest.approx(1.0, abs=0.005)  # the best constant
    assert np.mean((y - 1.0) ** 2) == pytest.approx(P.adding_baseline_mse(), abs=0.002)
    assert np.mean((y - y.mean()) ** 2) == pytest.approx(P.adding_baseline_mse(), abs=0.002)


@pytest.fixture(scope="module")
def vocab() -> Vocab:
    from rnnlm.embedded import embedded_splits

    return Vocab.build(embedded_splits(fast=True)["train"])


@pytest.mark.parametrize("distance", [P.NAME_TASK_MIN_DISTANCE, 14, 15, 20, 57])
def test_name_task_answers_are_correct_by_construction(vocab, distance):
    task = P.name_recall_task(40, distance, vocab=vocab, rng=distance)
    L = distance + 1
    assert task.ids.shape == (40, L) and task.distance == distance and task.answer_position == L - 1
    eos = vocab.eos_id
    name_set = set(task.names.tolist())
    for i in range(40):
        ids = task.ids[i]
        words = vocab.decode(ids)
        A, B = ids[0], ids[4]
        assert task.answer[i] == A == ids[-1] and task.distractor[i] == B == ids[-4] and A != B
        assert {int(A), int(B)} <= name_set
        assert words[1:4] == ["walked", "in", "<eos>"] and words[5:9] == ["walked", "in", "again", "<eos>"]
        assert words[-3:-1] == ["smiled", "at"]
        filler = ids[9:-4]
        assert A not in filler and B not in filler  # only the introduction tells who A is
        assert len(filler) == 0 or filler[-1] == eos
        assert vocab.unk_id not in ids
    assert task.inputs.shape == task.targets.shape == (40, L - 1)
    np.testing.assert_array_equal(task.targets[:, -1], task.answer)
    assert task.decode(0).split()[-1] == vocab.itos[task.answer[0]]


def test_name_task_accuracy_reads_the_prediction_at_the_answer(vocab):
    task = P.name_recall_task(30, 20, vocab=vocab, rng=1)
    N, V = 30, len(vocab)
    scores = np.zeros((N, task.answer_position, V))
    rows = np.arange(N)
    scores[rows, -1, task.answer] = 2.0
    assert P.name_recall_accuracy(scores, task) == 1.0
    assert P.name_recall_accuracy(torch.from_numpy(scores), task, among="pair") == 1.0
    scores[rows, -1, task.distractor] = 3.0
    assert P.name_recall_accuracy(scores, task, among="pair") == 0.0
    assert P.name_recall_accuracy(scores, task, among="names") == 0.0
    scores[rows, -1, task.distractor] = 0.0
    scores[rows, -1, vocab.eos_id] = 5.0  # the answer wins among the names, a non-name overall
    assert P.name_recall_accuracy(scores, task, among="names") == 1.0
    assert P.name_recall_accuracy(scores, task, among="vocab") == 0.0
    model = rnn_numpy.RNNLM(V, 8, 8, seed=0)
    acc = P.name_recall_accuracy(model, task, among="pair")
    scores_np, _ = model.forward(task.inputs)
    assert acc == P.name_recall_accuracy(scores_np, task, among="pair") and 0.0 <= acc <= 1.0
    from rnnlm import rnn_torch

    tmodel = rnn_torch.RNNLM(V, 8, 8, seed=0, device="cpu")
    assert 0.0 <= P.name_recall_accuracy(tmodel, task, among="names") <= 1.0


def test_name_task_rejects_impossible_distances_and_foreign_vocabularies(vocab):
    for d in (0, P.NAME_TASK_MIN_DISTANCE - 1, P.NAME_TASK_MIN_DISTANCE + 1):
        with pytest.raises(ValueError, match="distance must be"):
            P.name_recall_task(2, d, vocab=vocab)
    with pytest.raises(ValueError, match="lacks the template"):
        P.name_recall_task(2, 20, vocab=Vocab(["<unk>", "<eos>", "alice", "bob"]))
    with pytest.raises(ValueError, match="positive integer"):
        P.name_recall_task(0, 20, vocab=vocab)
    task = P.name_recall_task(3, 20, vocab=vocab, rng=0)
    with pytest.raises(ValueError, match="among"):
        P.name_recall_accuracy(np.zeros((3, 20, len(vocab))), task, among="best")
    with pytest.raises(ValueError, match="shape"):
        P.name_recall_accuracy(np.zeros((3, 20, 5)), task)


# ------------------------------------------------------------------------------------------------- 5


def test_initialisations():
    Q = P.orthogonal_init(50, rng=0)
    np.testing.assert_allclose(Q @ Q.T, np.eye(50), atol=1e-12)
    np.testing.assert_allclose(Q.T @ Q, np.eye(50), atol=1e-12)
    Q2 = P.orthogonal_init(50, gain=0.5, rng=0)
    np.testing.assert_allclose(Q2, 0.5 * Q)
    np.testing.assert_allclose(np.linalg.svd(Q2, compute_uv=False), 0.5)
    np.testing.assert_array_equal(P.identity_init(7), np.eye(7))
    np.testing.assert_array_equal(P.recurrent_init("identity", 4, scale=0.9), 0.9 * np.eye(4))
    G = P.gaussian_init(200, scale=1.5, rng=1)
    assert G.std() == pytest.approx(1.5 / math.sqrt(200), rel=0.03)
    radius = np.abs(np.linalg.eigvals(G)).max()
    assert radius == pytest.approx(1.5, rel=0.1)  # circular law: eigenvalues fill the disc of radius scale
    assert P.spectral_norm(G) == pytest.approx(3.0, rel=0.1)  # largest singular value near 2 * scale
    np.testing.assert_array_equal(P.gaussian_init(5, rng=3), P.recurrent_init("gaussian", 5, rng=3))
    np.testing.assert_array_equal(P.orthogonal_init(5, rng=3), P.recurrent_init("orthogonal", 5, rng=3))
    assert not np.array_equal(P.gaussian_init(5, rng=3), P.gaussian_init(5, rng=4))
    with pytest.raises(ValueError, match="kind"):
        P.recurrent_init("xavier", 4)
    for init in (P.gaussian_init, P.orthogonal_init, P.identity_init):
        with pytest.raises(ValueError, match="positive integer"):
            init(0)
        with pytest.raises(ValueError, match="positive"):
            init(3, -1.0)


# ------------------------------------------------------------------------------------------------- 6


def test_adding_rnn_shapes_protocol_and_device():
    model = P.AddingRNN(8, "tanh", "orthogonal", seed=0, device="cpu")
    assert {n for n, _ in model.named_parameters()} == {"W_hx", "W_hh", "b_h", "W_S", "b_S"}
    W_hh = model.W_hh.detach().double().numpy()
    np.testing.assert_allclose(W_hh @ W_hh.T, np.eye(8), atol=1e-6)
    x, y = P.adding_problem(5, 7, rng=0)
    y_hat, h = model(x)
    assert y_hat.shape == (5,) and h.shape == (5, 8) and y_hat.device == model.device
    loss, state = model.loss(torch.from_numpy(x), torch.from_numpy(y), None)
    assert loss.dim() == 0 and state.shape == (5, 8)
    # the fast path computes the kit's recurrence
    hs, _ = P.recurrence(model.W_hh.detach().double().numpy(),
                         x[0] @ model.W_hx.detach().double().numpy().T, "tanh")
    np.testing.assert_allclose(h[0].detach().double().numpy(), hs[-1], rtol=1e-5, atol=1e-6)
    irnn = P.AddingRNN(8, "relu", "identity", seed=0)
    np.testing.assert_array_equal(irnn.W_hh.detach().numpy(), np.eye(8))
    with pytest.raises(ValueError, match="shape"):
        model(np.zeros((5, 7, 3)))
    with pytest.raises(ValueError, match="targets"):
        model.loss(x, y[:3])
    with pytest.raises(ValueError, match="activation"):
        P.AddingRNN(8, "sigmoid")
    with pytest.raises(ValueError, match="init"):
        P.AddingRNN(8, init="xavier")
    with pytest.raises(ValueError, match="positive integer"):
        P.AddingRNN(0)


def test_a_tiny_training_run_lowers_the_loss():
    model = P.AddingRNN(16, "relu", "identity", seed=0, device="cpu")
    x, y = P.adding_problem(300, 8, rng=np.random.default_rng([0, 1]))  # train_adding's test set
    before = P.evaluate_adding(model, x, y)
    history = P.train_adding(model, T=8, steps=300, batch_size=32, lr=3e-3, n_test=300, eval_every=100)
    assert history.step == [100, 200, 300] and history.stop_reason == "steps"
    assert history.final_test_mse == pytest.approx(P.evaluate_adding(model, x, y), rel=1e-5)
    assert history.final_test_mse < 0.5 * before and history.final_test_mse < P.ADDING_BASELINE_MSE
    assert history.train_mse[-1] < history.train_mse[0]
    assert all(math.isfinite(g) and g > 0 for g in history.grad_norm)
    assert history.settings["activation"] == "relu" and history.device == "cpu"
    value = P.train_adding(P.AddingRNN(8, seed=0), T=6, steps=20, clip=0.1, clip_kind="value", eval_every=10)
    assert len(value.test_mse) == 2 and all(map(math.isfinite, value.test_mse))


def test_the_experiment_gives_both_models_one_budget():
    out = P.adding_problem_experiment(fast=True, steps=30, eval_every=10, progress=False, device="cpu")
    assert list(out) == ["IRNN", "tanh RNN"]
    irnn, tanh = out["IRNN"].settings, out["tanh RNN"].settings
    assert (irnn["activation"], irnn["init"], tanh["activation"], tanh["init"]) == (
        "relu", "identity", "tanh", "orthogonal")
    for key in ("T", "steps", "batch_size", "lr", "optimizer", "clip", "clip_kind", "seed", "hidden_dim"):
        assert irnn[key] == tanh[key], key
    assert all(len(h.test_mse) == 3 for h in out.values())


def test_training_rejects_bad_settings():
    model = P.AddingRNN(4, seed=0)
    for kwargs in ({"steps": 0}, {"batch_size": -1}, {"lr": 0.0}, {"clip": -1.0}, {"clip_kind": "max"},
                   {"T": 0}):
        with pytest.raises(ValueError):
            P.train_adding(model, **kwargs)
    with pytest.raises(TypeError, match="AddingRNN"):
        P.train_adding(torch.nn.Linear(2, 1))


# ------------------------------------------------------------------------------------------------- 7


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: P.recurrence(np.eye(3), np.zeros((4, 2))), ValueError),
        (lambda: P.recurrence(np.eye(3), np.zeros((0, 3))), ValueError),
        (lambda: P.recurrence(np.ones((2, 3)), np.zeros((4, 3))), ValueError),
        (lambda: P.recurrence(np.eye(3), np.zeros((4, 3)), "softplus"), ValueError),
        (lambda: P.recurrence(np.eye(3), np.zeros((4, 3)), h0=np.zeros(2)), ValueError),
        (lambda: P.recurrence(np.eye(3), np.full((4, 3), np.nan)), ValueError),
        (lambda: P.recurrence(np.eye(3, dtype=int), np.zeros((4, 3))), TypeError),
        (lambda: P.step_jacobian(np.eye(3), np.zeros(2)), ValueError),
        (lambda: P.jacobian_product(np.zeros((4, 3, 3)), 2, 3), ValueError),
        (lambda: P.jacobian_product(np.zeros((4, 3, 3)), 5, 0), ValueError),
        (lambda: P.jacobian_product(np.zeros((4, 3, 3)), 2.0, 0), TypeError),
        (lambda: P.jacobian_products(np.zeros((4, 3, 2))), ValueError),
        (lambda: P.spectral_norm(np.zeros(3)), ValueError),
        (lambda: P.with_spectral_norm(np.zeros((2, 2)), 1.0), ValueError),
        (lambda: P.with_spectral_norm(np.eye(2), 0.0), ValueError),
        (lambda: P.derivative_bound("softplus"), ValueError),
        (lambda: P.single_unit_loss(1.0, 0.0, steps=0), ValueError),
        (lambda: P.single_unit_loss(np.ones(3), np.ones(2)), ValueError),
        (lambda: P.single_unit_loss(math.nan, 0.0), ValueError),
        (lambda: P.single_unit_error_surface(np.ones((2, 2)), np.ones(3)), ValueError),
        (lambda: P.single_unit_descent(lr=0.0), ValueError),
        (lambda: P.single_unit_descent(iterations=0), ValueError),
        (lambda: P.single_unit_descent(clip=0.0), ValueError),
        (lambda: P.single_unit_descent((1.0,)), ValueError),
        (lambda: P.adding_problem(0, 10), ValueError),
        (lambda: P.adding_problem(3, 1), ValueError),
        (lambda: P.adding_problem(3, 10, rng="seed"), TypeError),
        (lambda: P.clip_grad_value([np.ones(2)], 1.0), TypeError),
    ],
)
def test_bad_inputs_raise(call, error):
    with pytest.raises(error):
        call()


# ------------------------------------------------------------------------------------------------- 8


def test_spiral_data_shapes_classes_and_seed():
    X, y = P.spiral_data(40, 3, rng=0)
    assert X.shape == (120, 2) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [40, 40, 40])
    assert np.all(np.linalg.norm(X, axis=1) <= 1 + 1e-12)  # radii in [0, 1]
    np.testing.assert_array_equal(X, P.spiral_data(40, 3, rng=np.random.default_rng(0))[0])
    assert not np.array_equal(X, P.spiral_data(40, 3, rng=1)[0])
    with pytest.raises(ValueError, match="positive integer"):
        P.spiral_data(0)


@pytest.mark.parametrize("act", ACTS)
def test_two_layer_gradients_match_finite_differences(act):
    from rnnlm.gradcheck import check_param_gradients

    rng = np.random.default_rng(10)
    X, y = P.spiral_data(5, 3, rng=rng)
    params = {"W1": rng.standard_normal((4, 2)), "b1": rng.standard_normal(4) * 0.1,
              "W2": rng.standard_normal((4, 4)) * 0.5, "b2": rng.standard_normal(4) * 0.1,
              "W3": rng.standard_normal((3, 4)), "b3": np.zeros(3)}
    loss, grads, scores = P._two_layer_loss(params, X, y, act, 0.01)
    assert scores.shape == (15, 3) and math.isfinite(loss)
    results = check_param_gradients(lambda: P._two_layer_loss(params, X, y, act, 0.01)[0], params, grads)
    assert all(r.ok for r in results.values()), [r.message() for r in results.values() if not r.ok]


def test_two_layer_sigmoid_network_gets_far_smaller_gradients_than_relu():
    sig = P.two_layer_gradient_magnitudes("sigmoid", iterations=600)
    relu = P.two_layer_gradient_magnitudes("relu", iterations=600)
    for r in (sig, relu):
        assert r.mean_abs.shape == (600, 2) and r.loss.shape == (600,)
        np.testing.assert_array_equal(r.iteration, np.arange(1, 601))
        np.testing.assert_array_equal(r.layer1, r.mean_abs[:, 0])
        assert np.all(r.mean_abs > 0) and r.loss[-1] < r.loss[0] and 0 <= r.accuracy <= 1
    # backprop through a sigmoid multiplies by at most 1/4 at each layer: both layers starve
    for layer in (0, 1):
        assert np.median(relu.mean_abs[:, layer]) > 4 * np.median(sig.mean_abs[:, layer]), layer
    assert sig.loss[-1] > 0.95 * math.log(3) and relu.loss[-1] < 0.8  # chance level against learning
    assert relu.accuracy > sig.accuracy + 0.05
    again = P.two_layer_gradient_magnitudes("sigmoid", iterations=600)
    np.testing.assert_array_equal(again.mean_abs, sig.mean_abs)  # seeded
    with pytest.raises(ValueError, match="activation"):
        P.two_layer_gradient_magnitudes("softplus")
    with pytest.raises(ValueError, match="reg"):
        P.two_layer_gradient_magnitudes(reg=-1.0)


def test_jacobian_product_norms_are_the_norms_of_the_products():
    W, u, h0 = _problem(11, scale=1.3)
    J = P.step_jacobians(W, u, "tanh", h0)
    before = J.copy()
    norms = P.jacobian_product_norms(J)
    np.testing.assert_array_equal(J, before)
    assert norms.shape == (T + 1,) and norms.dtype == np.float64 and norms[0] == 1.0
    expected = [np.linalg.norm(P.jacobian_product(J, T, T - d), ord=2) for d in range(T + 1)]
    np.testing.assert_allclose(norms, expected, rtol=1e-12)
    # the order matters: J_2 @ J_1 = A @ B has norm 1, the reversed product B @ A is 0
    A, B = np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[0.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(P.jacobian_product_norms(np.stack([B, A])), [1.0, 1.0, 1.0])
    for bad in (np.zeros((3, 2)), np.zeros((0, 2, 2)), np.zeros((3, 2, 3))):
        with pytest.raises(ValueError):
            P.jacobian_product_norms(bad)


def test_exercised_functions_are_marked_and_models_use_unmarked_twins(monkeypatch):
    marks = {P.jacobian_product_norms: "nb04_jacobian_product_norms", P.jacobian_products:
             "nb04_jacobian_product_norms", P.jacobian_product: "nb04_jacobian_product_norms",
             P.clip_grad_value: "nb04_clip_grad_value", P.clip_grad_value_: "nb04_clip_grad_value",
             P.identity_init: "nb04_identity_init", P.adding_problem: "nb04_adding_problem"}
    for func, grade_id in marks.items():
        assert func.__rnnlm_exercise__ == grade_id, func.__name__

    def stubbed(*args, **kwargs):
        raise NotImplementedError("a stub")

    # with the exercises stubbed (as in a student bundle), the models and the trainer still run
    for name in ("identity_init", "adding_problem", "clip_grad_value", "clip_grad_value_"):
        monkeypatch.setattr(P, name, stubbed)
    model = P.AddingRNN(4, "relu", "identity", seed=0)
    np.testing.assert_array_equal(model.W_hh.detach().numpy(), np.eye(4))
    P.train_adding(model, T=4, steps=2, n_test=4, eval_every=1, clip=0.5, clip_kind="value")
    with pytest.raises(NotImplementedError):  # recurrent_init("identity") is the student's exercise
        P.recurrent_init("identity", 3)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
def test_on_cuda_the_adding_rnn_trains_and_clipping_matches_the_cpu():
    """The PyTorch parts of notebook 04 on a GPU (``make gpu-check`` runs this)."""
    cpu = P.AddingRNN(16, "relu", "identity", seed=0, device="cpu", dtype=torch.float64)
    gpu = P.AddingRNN(16, "relu", "identity", seed=0, device="cuda", dtype=torch.float64)
    x, y = P.adding_problem(64, 8, rng=0)
    for model in (cpu, gpu):
        model.zero_grad(set_to_none=True)
        loss, _ = model.loss(torch.from_numpy(x), torch.from_numpy(y), None)
        loss.backward()
    norms = [P.clip_grad_norm_(m, 1e-3) for m in (cpu, gpu)]
    assert norms[1] == pytest.approx(norms[0], rel=1e-9)
    for (name, p_cpu), (_, p_gpu) in zip(cpu.named_parameters(), gpu.named_parameters(), strict=True):
        np.testing.assert_allclose(p_gpu.grad.cpu().numpy(), p_cpu.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)
    history = P.train_adding(gpu, T=8, steps=200, batch_size=32, lr=3e-3, n_test=200, eval_every=100)
    assert history.final_test_mse < P.ADDING_BASELINE_MSE
