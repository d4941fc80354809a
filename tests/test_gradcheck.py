"""rnnlm.gradcheck: centred differences, relative errors, and reports that name the bad entry."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlm.gradcheck import (
    GradCheckResult,
    assert_gradients_ok,
    check_gradient,
    check_param_gradients,
    numeric_gradient,
    numeric_gradient_array,
    rel_error,
)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def test_numeric_gradient_matches_calculus_on_a_cubic(rng):
    x = rng.standard_normal((3, 4))
    c = rng.standard_normal((3, 4))
    grad = numeric_gradient(lambda z: np.sum(c * z**3), x)
    assert grad.shape == x.shape
    assert rel_error(grad, 3 * c * x**2) < 1e-8


def test_numeric_gradient_restores_x_even_when_f_raises(rng):
    x = rng.standard_normal(5)
    before = x.copy()
    numeric_gradient(lambda z: float(np.sum(np.sin(z))), x)
    assert np.array_equal(x, before)

    calls = []

    def flaky(z):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return float(z.sum())

    with pytest.raises(RuntimeError, match="boom"):
        numeric_gradient(flaky, x)
    assert np.array_equal(x, before)


def test_numeric_gradient_can_read_x_through_a_closure(rng):
    params = {"W": rng.standard_normal((2, 3))}
    v = rng.standard_normal(3)
    grad = numeric_gradient(lambda _: float(np.sum(np.tanh(params["W"] @ v))), params["W"])
    expected = np.outer(1 - np.tanh(params["W"] @ v) ** 2, v)
    assert rel_error(grad, expected) < 1e-8


def test_numeric_gradient_array_is_the_vector_jacobian_product(rng):
    A = rng.standard_normal((4, 3))
    x = rng.standard_normal(3)
    dout = rng.standard_normal(4)
    grad = numeric_gradient_array(lambda z: A @ z, x, dout)
    assert rel_error(grad, A.T @ dout) < 1e-8


def test_numeric_gradient_array_rejects_mismatched_dout(rng):
    x = rng.standard_normal(3)
    with pytest.raises(ValueError, match=r"f\(x\) has shape \(3,\) but dout has shape \(4,\)"):
        numeric_gradient_array(lambda z: 2 * z, x, np.ones(4))


@pytest.mark.parametrize("bad", [np.arange(4), [1.0, 2.0]])
def test_numeric_gradient_needs_a_float_array(bad):
    with pytest.raises(TypeError, match="array"):
        numeric_gradient(lambda z: float(np.sum(z)), bad)


def test_numeric_gradient_rejects_array_valued_f(rng):
    with pytest.raises(TypeError, match="numeric_gradient_array"):
        numeric_gradient(lambda z: z * 2, rng.standard_normal(3))


@pytest.mark.parametrize("h", [0.0, -1e-5, float("nan")])
def test_numeric_gradient_rejects_bad_step(rng, h):
    with pytest.raises(ValueError, match="step h"):
        numeric_gradient(lambda z: float(z.sum()), rng.standard_normal(2), h=h)


def test_rel_error_properties(rng):
    a = rng.standard_normal((3, 3))
    b = a * (1 + 1e-6)
    assert rel_error(a, a) == 0.0
    assert rel_error(a, b) == pytest.approx(rel_error(b, a))
    assert rel_error(a, b) == pytest.approx(1e-6, rel=1e-3)
    # entries that are zero up to rounding on both sides do not blow up the ratio
    assert rel_error(np.array([1e-14]), np.array([2e-14])) < 1e-5
    assert np.isnan(rel_error(np.array([np.nan]), np.array([1.0])))
    with pytest.raises(ValueError, match=r"\(2,\) and \(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))


def test_check_gradient_passes_a_correct_gradient(rng):
    x = rng.standard_normal((2, 3))
    result = check_gradient(lambda z: float(np.sum(np.exp(z))), x, np.exp(x), name="w")
    assert isinstance(result, GradCheckResult)
    assert result.ok and result.max_rel_error < 1e-8
    assert result.checked == x.size
    assert "w ok" in str(result)


def test_check_gradient_names_the_wrong_entry(rng):
    x = rng.standard_normal((3, 4))
    x[1, 2] = 1.5
    analytic = 2 * x
    analytic[1, 2] *= 1.03  # a planted mistake of 3 %
    result = check_gradient(lambda z: float(np.sum(z**2)), x, analytic, name="W_hh")
    assert not result.ok
    assert result.index == (1, 2)
    assert result.analytic_value == pytest.approx(analytic[1, 2])
    assert result.numeric_value == pytest.approx(2 * x[1, 2], rel=1e-8)
    assert result.max_rel_error == pytest.approx(0.03 / 1.03, rel=1e-4)
    text = str(result)
    assert "W_hh" in text and "(1, 2)" in text and "off by 2.9e-02" in text
    assert "FAILED" in repr(result) and "(1, 2)" in repr(result)


def test_auto_floor_tolerates_rounding_but_not_mistakes_in_tiny_entries(rng):
    """An entry far smaller than the rounding error of the difference quotient cannot be confirmed to
    1e-7 relative; the automatic floor judges it on an absolute scale instead, still catching bugs."""
    x = rng.standard_normal(6) + 2.0
    c = np.array([1.0, 2.0, 1e-9, 3.0, 1.0, 2.0])  # entry 2 has a gradient of about 1e-9

    def f(z):
        return float(np.sum(c * z**2))

    exact = 2 * c * x
    strict = check_gradient(f, x, exact, floor=1e-8)
    auto = check_gradient(f, x, exact)
    assert strict.index == (2,) and not strict.ok  # rounding noise looks like a relative error
    assert auto.ok, auto
    assert auto.floor > 1e-8
    wrong = exact.copy()
    wrong[2] += 1e-6  # tiny in absolute terms, yet a thousand times the entry itself
    caught = check_gradient(f, x, wrong)
    assert not caught.ok and caught.index == (2,)
    with pytest.raises(ValueError, match="floor"):
        check_gradient(f, x, exact, floor="tight")


def test_check_gradient_with_dout(rng):
    A = rng.standard_normal((4, 3))
    x = rng.standard_normal(3)
    dout = rng.standard_normal(4)
    assert check_gradient(lambda z: A @ z, x, A.T @ dout, dout=dout).ok
    assert not check_gradient(lambda z: A @ z, x, A.T @ dout + 1e-3, dout=dout).ok


def test_check_gradient_rejects_wrong_analytic_shape(rng):
    with pytest.raises(ValueError, match=r"must have the shape of x \(3,\), got \(3, 1\)"):
        check_gradient(lambda z: float(z.sum()), rng.standard_normal(3), np.ones((3, 1)))


def test_check_gradient_subset_is_seeded_and_finds_a_bad_entry(rng):
    x = rng.standard_normal((10, 10))
    analytic = np.cos(x)
    first = check_gradient(lambda z: float(np.sum(np.sin(z))), x, analytic, num_checks=7, rng=3)
    again = check_gradient(lambda z: float(np.sum(np.sin(z))), x, analytic, num_checks=7, rng=3)
    assert first.checked == 7 and first.ok
    assert first == again
    wrong = -analytic
    assert not check_gradient(lambda z: float(np.sum(np.sin(z))), x, wrong, num_checks=5, rng=0).ok
    with pytest.raises(ValueError, match="num_checks"):
        check_gradient(lambda z: float(z.sum()), x, analytic, num_checks=0)


def _two_layer(params, v, c):
    return float(np.sum(c * np.tanh(params["W"] @ v + params["b"])))


def test_check_param_gradients_reports_each_parameter(rng):
    params = {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal(3)}
    v, c = rng.standard_normal(4), rng.standard_normal(3)
    snapshot = {k: p.copy() for k, p in params.items()}
    da = c * (1 - np.tanh(params["W"] @ v + params["b"]) ** 2)
    good = {"W": np.outer(da, v), "b": da}
    results = check_param_gradients(lambda: _two_layer(params, v, c), params, good)
    assert list(results) == ["W", "b"]
    assert all(r.ok for r in results.values())
    assert_gradients_ok(results)
    for k in params:
        assert np.array_equal(params[k], snapshot[k])

    bad = {"W": good["W"], "b": 2 * da}  # b forgot nothing but counted twice
    results = check_param_gradients(lambda: _two_layer(params, v, c), params, bad)
    assert results["W"].ok and not results["b"].ok
    with pytest.raises(AssertionError, match=r"b is off by"):
        assert_gradients_ok(results)


def test_check_param_gradients_unknown_name(rng):
    params = {"W": rng.standard_normal(2)}
    with pytest.raises(KeyError, match="W_hh"):
        check_param_gradients(lambda: 0.0, params, {"W_hh": np.zeros(2)})
