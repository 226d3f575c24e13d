"""Tests of course_utils.perceptron: the rule, training, the trace, the bound, bad inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron
from sklearn.svm import SVC

from course_utils.perceptron import (
    PerceptronStep,
    describe_step,
    line_points,
    mistake_bound,
    perceptron_trace,
    perceptron_update,
    predict,
    state_after,
    step,
    train_perceptron,
    xor_data,
)


def separable_blobs(seed: int = 0, n: int = 80) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_blobs(n_samples=n, centers=[[-2, -1], [2, 1.5]], cluster_std=0.8, random_state=seed)
    svm = SVC(kernel="linear", C=1e6).fit(X, y)
    assert svm.score(X, y) == 1.0, "test data must be separable"
    return X, y


# ---------------------------------------------------------------- step and predict


def test_step_is_one_at_zero_and_above():
    assert step(0.0) == 1
    assert step(-1e-12) == 0
    assert step(3) == 1
    np.testing.assert_array_equal(step([-2.0, 0.0, 0.5]), [0, 1, 1])


def test_predict_matches_formula_and_single_point():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    w, b = rng.normal(size=3), 0.3
    np.testing.assert_array_equal(predict(X, w, b), (X @ w + b >= 0).astype(int))
    assert predict(X[0], w, b) == int(X[0] @ w + b >= 0)
    assert isinstance(predict(X[0], w, b), int)


# ---------------------------------------------------------------- the update rule


def test_update_moves_only_on_mistakes():
    w, b = np.array([3.0, 4.0]), -10.0
    # (1, 1): score -3, predicted 0; label 1 -> add
    w1, b1 = perceptron_update([1.0, 1.0], 1, w, b, lr=0.1)
    np.testing.assert_allclose(w1, [3.1, 4.1])
    assert b1 == pytest.approx(-9.9)
    # (3, 2): score 7, predicted 1; label 0 -> subtract
    w2, b2 = perceptron_update([3.0, 2.0], 0, w, b, lr=0.1)
    np.testing.assert_allclose(w2, [2.7, 3.8])
    assert b2 == pytest.approx(-10.1)
    # correct points: nothing changes
    for x, label in (([1.0, 1.0], 0), ([3.0, 2.0], 1)):
        w3, b3 = perceptron_update(x, label, w, b, lr=0.1)
        np.testing.assert_array_equal(w3, w)
        assert b3 == b
    np.testing.assert_array_equal(w, [3.0, 4.0])  # input untouched


def test_update_raises_the_score_of_the_point_by_lr_times_norm():
    rng = np.random.default_rng(1)
    for _ in range(20):
        x, w, b, lr = rng.normal(size=2), rng.normal(size=2), rng.normal(), rng.uniform(0.01, 1)
        label = 1 - predict(x, w, b)  # force a mistake
        w_new, b_new = perceptron_update(x, label, w, b, lr=lr)
        change = (x @ w_new + b_new) - (x @ w + b)
        sign = 1 if label == 1 else -1
        assert change == pytest.approx(sign * lr * (x @ x + 1))


# ---------------------------------------------------------------- training against scikit-learn


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_training_matches_sklearn_perceptron_epoch_for_epoch(seed):
    """sklearn's Perceptron (eta0 = lr, no shuffling) applies the same rule in the same order."""
    rng = np.random.default_rng(seed)
    X, y = make_blobs(n_samples=60, centers=2, cluster_std=2.5, random_state=seed)
    w0, b0 = rng.normal(size=2), float(rng.normal())
    for epochs in (1, 3, 7):
        ours = train_perceptron(X, y, lr=0.5, max_epochs=epochs, w0=w0, b0=b0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ref = Perceptron(eta0=0.5, shuffle=False, max_iter=ours.epochs, tol=None)
            ref.fit(X, y, coef_init=w0[None, :], intercept_init=[b0])
        np.testing.assert_allclose(ours.w, ref.coef_[0], atol=1e-10)
        assert ours.b == pytest.approx(ref.intercept_[0], abs=1e-10)


def test_converges_on_separable_data():
    X, y = separable_blobs()
    res = train_perceptron(X, y, lr=0.1, max_epochs=1000)
    assert res.converged
    assert res.errors_after_epoch[-1] == 0
    np.testing.assert_array_equal(predict(X, res.w, res.b), y)
    assert res.n_updates == sum(res.mistakes_per_epoch) == len(res.lines)
    assert res.epochs == len(res.mistakes_per_epoch) == len(res.epoch_lines)
    np.testing.assert_array_equal(res.lines[-1][0], res.w)


def test_stops_at_max_epochs_on_xor():
    X, y = xor_data()
    res = train_perceptron(X, y, lr=1.0, max_epochs=50)
    assert not res.converged
    assert res.epochs == 50
    assert min(res.mistakes_per_epoch) > 0
    assert min(res.errors_after_epoch) > 0


def test_noisy_xor_never_fully_right():
    X, y = xor_data(30, noise=0.1, rng=np.random.default_rng(0))
    res = train_perceptron(X, y, lr=0.1, max_epochs=30, rng=np.random.default_rng(1))
    assert not res.converged
    assert min(res.errors_after_epoch) > 0


@pytest.mark.parametrize("seed", range(5))
def test_mistake_bound_holds(seed):
    X, y = separable_blobs(seed)
    svm = SVC(kernel="linear", C=1e6).fit(X, y)
    radius, gamma, bound = mistake_bound(X, y, svm.coef_[0], svm.intercept_[0])
    assert radius == pytest.approx(np.sqrt(np.max(np.sum(X**2, axis=1) + 1)))
    assert gamma > 0
    for order_seed in range(3):
        for lr in (0.01, 1.0):
            res = train_perceptron(
                X, y, lr=lr, max_epochs=10_000, rng=np.random.default_rng(order_seed)
            )
            assert res.converged
            assert res.n_updates <= bound


def test_learning_rate_only_scales_weights_from_zero():
    X, y = separable_blobs(3)
    a = train_perceptron(X, y, lr=0.1, max_epochs=500)
    b = train_perceptron(X, y, lr=2.0, max_epochs=500)
    assert a.n_updates == b.n_updates
    np.testing.assert_allclose(b.w, 20 * a.w)
    assert b.b == pytest.approx(20 * a.b)


def test_mistake_bound_rejects_a_non_separating_line():
    X, y = separable_blobs()
    with pytest.raises(ValueError, match="does not separate"):
        mistake_bound(X, y, [1.0, 0.0], 100.0)
    with pytest.raises(ValueError, match="not a line"):
        mistake_bound(X, y, [0.0, 0.0], 0.0)


# ---------------------------------------------------------------- the step-through trace


def test_trace_is_consistent_with_training_and_the_rule():
    X, y = separable_blobs(4, n=30)
    w0, b0 = np.array([0.5, -1.0]), 0.5
    trace = perceptron_trace(X, y, lr=0.2, max_epochs=100, w0=w0, b0=b0)
    res = train_perceptron(X, y, lr=0.2, max_epochs=100, w0=w0, b0=b0)
    w_end, b_end = state_after(trace, len(trace))
    np.testing.assert_array_equal(w_end, res.w)
    assert b_end == res.b
    w_start, b_start = state_after(trace, 0)
    np.testing.assert_array_equal(w_start, w0)
    assert b_start == b0
    for k, s in enumerate(trace, start=1):
        assert isinstance(s, PerceptronStep)
        assert s.step == k
        assert s.prediction == predict(s.x, s.w_before, s.b_before)
        w_ref, b_ref = perceptron_update(s.x, s.label, s.w_before, s.b_before, lr=0.2)
        np.testing.assert_allclose(s.w_after, w_ref)
        assert s.b_after == pytest.approx(b_ref)
        if not s.updated:
            np.testing.assert_array_equal(s.w_after, s.w_before)
        if k > 1:
            np.testing.assert_array_equal(s.w_before, trace[k - 2].w_after)
    assert len(trace) == res.epochs * len(X)


def test_trace_with_rng_visits_every_point_once_per_epoch():
    X, y = xor_data(3, noise=0.05, rng=np.random.default_rng(0))
    trace = perceptron_trace(X, y, max_epochs=4, rng=np.random.default_rng(5))
    for e in range(1, 5):
        visited = sorted(s.index for s in trace if s.epoch == e)
        assert visited == list(range(len(X)))


def test_describe_step_says_what_happened():
    X, y = np.array([[1.0, 1.0], [3.0, 2.0]]), np.array([1, 1])
    trace = perceptron_trace(X, y, lr=0.1, max_epochs=1, w0=[3.0, 4.0], b0=-10.0)
    first, second = trace
    text = describe_step(first, lr=0.1)
    assert "wrong" in text and "w +=" in text and "b += 0.1" in text and "3.10" in text
    assert "nothing changes" in describe_step(second)


def test_line_points_lie_on_the_line():
    for w, b in (([1.0, 2.0], -3.0), ([2.0, 0.0], 1.0)):
        p1, p2 = line_points(w, b)
        for p in (p1, p2):
            assert np.dot(w, p) + b == pytest.approx(0.0)
    assert line_points([0.0, 0.0], 1.0) is None


# ---------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: predict([[1.0, 2.0]], [1.0], 0.0), ValueError),
        (lambda: predict("abc", [1.0], 0.0), TypeError),
        (lambda: predict([[np.nan, 1.0]], [1.0, 1.0], 0.0), ValueError),
        (lambda: predict([[1.0, 1.0]], [1.0, 1.0], "b"), TypeError),
        (lambda: perceptron_update([1.0, 1.0], 2, [0.0, 0.0], 0.0), ValueError),
        (lambda: perceptron_update([1.0, 1.0], 1, [0.0, 0.0], 0.0, lr=0.0), ValueError),
        (lambda: perceptron_update([[1.0, 1.0]], 1, [0.0, 0.0], 0.0), ValueError),
        (lambda: train_perceptron([[1.0, 2.0]], [0, 1]), ValueError),
        (lambda: train_perceptron([[1.0, 2.0]], [0.5]), ValueError),
        (lambda: train_perceptron([[1.0, 2.0]], [1], max_epochs=0), ValueError),
        (lambda: train_perceptron([[1.0, 2.0]], [1], max_epochs=2.5), TypeError),
        (lambda: train_perceptron([[1.0, 2.0]], [1], w0=[1.0]), ValueError),
        (lambda: train_perceptron([[1.0, 2.0]], [1], rng=42), TypeError),
        (lambda: train_perceptron(None, [1]), TypeError),
        (lambda: state_after([], 1), ValueError),
        (lambda: state_after([], 0), ValueError),
        (lambda: state_after("trace", 0), TypeError),
        (lambda: describe_step("step"), TypeError),
        (lambda: xor_data(0), ValueError),
        (lambda: xor_data(2, noise=0.1), TypeError),
        (lambda: xor_data(2, noise=-1.0), ValueError),
    ],
)
def test_bad_inputs_raise_clear_errors(call, error):
    with pytest.raises(error):
        call()
