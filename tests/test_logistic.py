"""Tests of course_utils.logistic against SciPy, PyTorch, scikit-learn and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special
import torch
import torch.nn.functional as F
from sklearn.datasets import make_blobs, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from course_utils.logistic import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    cross_entropy_with_logits,
    log_softmax,
    logistic_gradients,
    logistic_snapshot,
    logistic_update,
    naive_softmax,
    one_hot,
    predict_proba,
    sigmoid,
    sigmoid_derivative,
    softmax,
    softmax_predict_proba,
    softmax_regression_gradients,
    train_logistic_regression,
    train_softmax_regression,
)

EXTREME = np.array([-1000.0, -745.0, -50.0, -1.0, 0.0, 1e-8, 1.0, 50.0, 745.0, 1000.0])


def binary_data(seed: int = 0, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=n,
        n_features=3,
        n_informative=2,
        n_redundant=0,
        flip_y=0.1,
        class_sep=0.8,
        random_state=seed,
    )
    return StandardScaler().fit_transform(X), y


def finite_difference(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


# ---------------------------------------------------------------- sigmoid


def test_sigmoid_matches_scipy_and_torch_without_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # overflow would raise
        ours = sigmoid(EXTREME)
    np.testing.assert_allclose(ours, scipy.special.expit(EXTREME), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(
        ours, torch.sigmoid(torch.tensor(EXTREME)).numpy(), rtol=1e-12, atol=1e-300
    )


def test_sigmoid_limits_and_symmetry():
    assert sigmoid(0) == 0.5
    assert sigmoid(-np.inf) == 0.0 and sigmoid(np.inf) == 1.0
    assert sigmoid(40) == pytest.approx(1.0) and sigmoid(-40) == pytest.approx(0.0, abs=1e-17)
    z = np.linspace(-30, 30, 101)
    np.testing.assert_allclose(sigmoid(-z), 1 - sigmoid(z), atol=1e-15)
    assert isinstance(sigmoid(1.0), float)


def test_sigmoid_derivative_matches_finite_differences_and_autograd():
    z = np.linspace(-8, 8, 41)
    fd = (sigmoid(z + 1e-6) - sigmoid(z - 1e-6)) / 2e-6
    np.testing.assert_allclose(sigmoid_derivative(z), fd, atol=1e-9)
    zt = torch.tensor(z, requires_grad=True)
    torch.sigmoid(zt).sum().backward()
    np.testing.assert_allclose(sigmoid_derivative(z), zt.grad.numpy(), atol=1e-15)
    assert sigmoid_derivative(0.0) == 0.25
    assert np.max(sigmoid_derivative(z)) <= 0.25


# ---------------------------------------------------------------- softmax


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_matches_scipy_and_torch(axis):
    z = np.random.default_rng(0).normal(scale=5, size=(6, 4))
    ours = softmax(z, axis=axis)
    np.testing.assert_allclose(ours, scipy.special.softmax(z, axis=axis), rtol=1e-12)
    np.testing.assert_allclose(ours, torch.softmax(torch.tensor(z), dim=axis).numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.sum(axis=axis), 1.0)


@pytest.mark.parametrize(
    "z",
    [
        [1000.0, -1000.0],
        [1000.0, 1000.0],
        [-1000.0, -1000.0, -999.0],
        [800.0, 0.0, -800.0],
        [1e-300, 0.0],
        [710.0, 709.0],
    ],
)
def test_softmax_extreme_inputs(z):
    z = np.array(z)
    with np.errstate(over="raise", invalid="raise"):
        ours = softmax(z)
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, scipy.special.softmax(z), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(ours, torch.softmax(torch.tensor(z), dim=0).numpy(), rtol=1e-12)
    np.testing.assert_allclose(log_softmax(z), torch.log_softmax(torch.tensor(z), dim=0).numpy())


def test_naive_softmax_overflows_where_the_stable_one_does_not():
    bad = naive_softmax([1000.0, -1000.0])
    assert np.isnan(bad[0]) and bad[1] == 0.0
    np.testing.assert_array_equal(softmax([1000.0, -1000.0]), [1.0, 0.0])
    z = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(naive_softmax(z), softmax(z))


def test_softmax_properties():
    z = np.array([2.0, -1.0, 0.5, 3.0])
    p = softmax(z)
    assert p.sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(np.argsort(p), np.argsort(z))  # order preserved
    np.testing.assert_allclose(softmax(z + 123.4), p)  # shift invariance
    # two classes: softmax([z, 0])[0] is the sigmoid
    for t in (-3.0, 0.0, 2.5):
        assert softmax([t, 0.0])[0] == pytest.approx(sigmoid(t))


def test_log_softmax_matches_torch():
    z = np.random.default_rng(1).normal(scale=10, size=(5, 3))
    np.testing.assert_allclose(
        log_softmax(z, axis=1), torch.log_softmax(torch.tensor(z), dim=1).numpy(), rtol=1e-12
    )


# ---------------------------------------------------------------- one-hot


def test_one_hot_matches_torch():
    labels = np.array([0, 2, 1, 2, 0])
    ours = one_hot(labels)
    ref = F.one_hot(torch.tensor(labels), num_classes=3).numpy()
    np.testing.assert_array_equal(ours, ref)
    assert one_hot(labels, num_classes=5).shape == (5, 5)
    assert one_hot([], num_classes=3).shape == (0, 3)


# ---------------------------------------------------------------- cross-entropy


def test_worked_example_is_about_4_8():
    y = np.array([1, 1, 0, 0])
    p = np.array([0.6, 0.2, 0.9, 0.3])  # probabilities of the true labels: 0.6, 0.2, 0.1, 0.7
    total = binary_cross_entropy(y, p, reduction="sum")
    expected = -(math.log(0.6) + math.log(0.2) + math.log(0.1) + math.log(0.7))
    assert total == pytest.approx(expected)
    assert round(total, 1) == 4.8


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_matches_torch(reduction):
    rng = np.random.default_rng(2)
    p = rng.uniform(0.001, 0.999, size=20)
    y = rng.integers(0, 2, size=20).astype(float)
    ours = binary_cross_entropy(y, p, reduction=reduction)
    ref = F.binary_cross_entropy(torch.tensor(p), torch.tensor(y), reduction=reduction).numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    z = rng.normal(scale=4, size=20)
    ours = binary_cross_entropy_with_logits(y, z, reduction=reduction)
    ref = F.binary_cross_entropy_with_logits(
        torch.tensor(z), torch.tensor(y), reduction=reduction
    ).numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_binary_cross_entropy_with_logits_extreme_scores():
    z = np.array([1000.0, -1000.0, 1000.0, -1000.0])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    ours = binary_cross_entropy_with_logits(y, z, reduction="none")
    ref = F.binary_cross_entropy_with_logits(torch.tensor(z), torch.tensor(y), reduction="none")
    np.testing.assert_allclose(ours, ref.numpy())
    np.testing.assert_allclose(ours, [0.0, 0.0, 1000.0, 1000.0])


def test_log_loss_behaviour():
    assert binary_cross_entropy([1, 0], [1.0, 0.0]) == 0.0  # perfect: zero loss
    losses = [binary_cross_entropy([1], [p]) for p in (0.5, 1e-3, 1e-6, 1e-12)]
    assert all(a < b for a, b in zip(losses, losses[1:]))  # grows without bound
    with np.errstate(divide="raise"):
        assert binary_cross_entropy([1], [0.0]) == np.inf
    assert binary_cross_entropy([0.3], [0.3]) == pytest.approx(
        -(0.3 * math.log(0.3) + 0.7 * math.log(0.7))
    )  # soft targets are allowed


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_torch(reduction):
    rng = np.random.default_rng(3)
    logits = rng.normal(scale=3, size=(8, 4))
    labels = rng.integers(0, 4, size=8)
    ref = F.cross_entropy(torch.tensor(logits), torch.tensor(labels), reduction=reduction).numpy()
    np.testing.assert_allclose(
        cross_entropy_with_logits(labels, logits, reduction), ref, rtol=1e-12
    )
    probs = softmax(logits, axis=1)
    np.testing.assert_allclose(cross_entropy(labels, probs, reduction), ref, rtol=1e-10)
    np.testing.assert_allclose(cross_entropy(one_hot(labels, 4), probs, reduction), ref, rtol=1e-10)
    ref_nll = F.nll_loss(
        torch.log(torch.tensor(probs)), torch.tensor(labels), reduction=reduction
    ).numpy()
    np.testing.assert_allclose(cross_entropy(labels, probs, reduction), ref_nll, rtol=1e-10)


def test_cross_entropy_with_two_classes_equals_binary():
    rng = np.random.default_rng(4)
    p = rng.uniform(0.01, 0.99, size=10)
    y = rng.integers(0, 2, size=10)
    probs = np.column_stack([1 - p, p])
    assert cross_entropy(y, probs) == pytest.approx(binary_cross_entropy(y, p))


def test_cross_entropy_extreme_logits_match_torch():
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    labels = np.array([1, 2])
    ref = F.cross_entropy(torch.tensor(logits), torch.tensor(labels)).item()
    assert cross_entropy_with_logits(labels, logits) == pytest.approx(ref)


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_logistic_gradients_match_finite_differences_and_autograd(l2):
    X, y = binary_data(1, n=40)
    rng = np.random.default_rng(5)
    w, b = rng.normal(size=3), 0.4

    def loss_w(w_):
        return binary_cross_entropy(y, predict_proba(X, w_, b)) + 0.5 * l2 * w_ @ w_

    def loss_b(b_):
        return binary_cross_entropy(y, predict_proba(X, w, b_[0])) + 0.5 * l2 * w @ w

    gw, gb = logistic_gradients(X, y, w, b, l2=l2)
    np.testing.assert_allclose(gw, finite_difference(loss_w, w), atol=1e-7)
    assert gb == pytest.approx(finite_difference(loss_b, np.array([b]))[0], abs=1e-7)

    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    z = torch.tensor(X) @ wt + bt
    loss = F.binary_cross_entropy_with_logits(z, torch.tensor(y, dtype=torch.float64))
    (loss + 0.5 * l2 * (wt @ wt)).backward()
    np.testing.assert_allclose(gw, wt.grad.numpy(), atol=1e-12)
    assert gb == pytest.approx(bt.grad.item(), abs=1e-12)


def test_per_example_gradient_is_minus_error_times_x():
    x, y, w, b = np.array([1.0, 2.0]), 1, np.array([0.5, -0.5]), 0.0
    y_hat = sigmoid(x @ w + b)
    gw, gb = logistic_gradients(x[None, :], [y], w, b)
    np.testing.assert_allclose(gw, -(y - y_hat) * x)
    assert gb == pytest.approx(-(y - y_hat))
    w_new, b_new = logistic_update(x, y, w, b, lr=0.1)
    np.testing.assert_allclose(w_new, w - 0.1 * gw)
    assert b_new == pytest.approx(b - 0.1 * gb)
    np.testing.assert_allclose(w_new, [0.5 + 0.1 * (1 - y_hat), -0.5 + 0.2 * (1 - y_hat)])


def test_softmax_regression_gradients_match_finite_differences_and_autograd():
    X, labels = make_blobs(n_samples=30, centers=3, n_features=2, random_state=0)
    rng = np.random.default_rng(6)
    W, b, l2 = rng.normal(size=(2, 3)), rng.normal(size=3), 0.1
    gW, gb = softmax_regression_gradients(X, labels, W, b, l2=l2)

    def loss_W(W_):
        return cross_entropy_with_logits(labels, X @ W_ + b) + 0.5 * l2 * np.sum(W_**2)

    def loss_b(b_):
        return cross_entropy_with_logits(labels, X @ W + b_) + 0.5 * l2 * np.sum(W**2)

    np.testing.assert_allclose(gW, finite_difference(loss_W, W), atol=1e-6)
    np.testing.assert_allclose(gb, finite_difference(loss_b, b), atol=1e-6)
    Wt = torch.tensor(W, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    loss = F.cross_entropy(torch.tensor(X) @ Wt + bt, torch.tensor(labels))
    (loss + 0.5 * l2 * (Wt**2).sum()).backward()
    np.testing.assert_allclose(gW, Wt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(gb, bt.grad.numpy(), atol=1e-12)


# ---------------------------------------------------------------- training against scikit-learn


@pytest.mark.parametrize("C", [1.0, 0.1, 1e6])
def test_logistic_regression_reaches_sklearn_optimum(C):
    X, y = binary_data(0)
    res = train_logistic_regression(X, y, lr=1.0, epochs=4000, l2=1.0 / (C * len(y)))
    ref = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(res.w, ref.coef_[0], atol=1e-5)
    assert res.b == pytest.approx(ref.intercept_[0], abs=1e-5)
    np.testing.assert_allclose(
        predict_proba(X, res.w, res.b), ref.predict_proba(X)[:, 1], atol=1e-6
    )
    assert all(a >= b - 1e-12 for a, b in zip(res.losses, res.losses[1:]))  # loss never rises


def test_unpenalised_fit_differs_from_sklearn_default_but_not_from_large_C():
    X, y = binary_data(0)
    res = train_logistic_regression(X, y, lr=1.0, epochs=4000)
    default = LogisticRegression().fit(X, y)
    large_c = LogisticRegression(C=1e6, tol=1e-10, max_iter=10_000).fit(X, y)
    assert np.linalg.norm(res.w) > np.linalg.norm(default.coef_[0])  # L2 shrinks the weights
    np.testing.assert_allclose(res.w, large_c.coef_[0], atol=1e-4)


def test_softmax_regression_matches_sklearn_multinomial():
    X, labels = make_blobs(n_samples=150, centers=3, cluster_std=2.0, random_state=1)
    X = StandardScaler().fit_transform(X)
    C = 1.0
    res = train_softmax_regression(X, labels, lr=1.0, epochs=3000, l2=1.0 / (C * len(X)))
    ref = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, labels)
    np.testing.assert_allclose(res.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    # zero start keeps each row of W summing to zero, like sklearn's penalised solution
    np.testing.assert_allclose(res.W.T, ref.coef_, atol=1e-4)
    np.testing.assert_array_equal(res.predict(X), ref.predict(X))
    np.testing.assert_allclose(softmax_predict_proba(X, res.W, res.b), res.predict_proba(X))


def test_training_callback_sees_every_epoch():
    X, y = binary_data(2, n=30)
    seen = []
    res = train_logistic_regression(X, y, lr=0.5, epochs=7, callback=lambda e, loss: seen.append(e))
    assert seen == list(range(7)) and len(res.losses) == 7


# ---------------------------------------------------------------- the widget's logic


def test_logistic_snapshot():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, -1.0]])
    y = np.array([0, 1, 1])
    w, b = np.array([1.0, 2.0]), -0.5
    snap = logistic_snapshot(X, y, w, b)
    p = sigmoid(X @ w + b)
    np.testing.assert_allclose(snap["p"], p)
    np.testing.assert_allclose(snap["p_true"], [1 - p[0], p[1], p[2]])
    np.testing.assert_allclose(snap["loss"], -np.log(snap["p_true"]))
    assert snap["mean_loss"] == pytest.approx(binary_cross_entropy(y, p))
    np.testing.assert_array_equal(snap["predicted"], [0, 1, 0])
    assert snap["accuracy"] == pytest.approx(2 / 3)
    # moving the misclassified point to the right side lowers its loss
    X2 = X.copy()
    X2[2] = [2.0, 1.0]
    assert logistic_snapshot(X2, y, w, b)["loss"][2] < snap["loss"][2]


# ---------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: sigmoid("x"), TypeError),
        (lambda: sigmoid(None), TypeError),
        (lambda: sigmoid([np.nan]), ValueError),
        (lambda: softmax(3.0), ValueError),
        (lambda: softmax([1.0, 2.0], axis=1), ValueError),
        (lambda: softmax([1.0, 2.0], axis=0.5), TypeError),
        (lambda: softmax([np.inf, 1.0]), ValueError),
        (lambda: one_hot([0, 1.5]), ValueError),
        (lambda: one_hot([0, -1]), ValueError),
        (lambda: one_hot([0, 3], num_classes=3), ValueError),
        (lambda: one_hot([[0, 1]]), ValueError),
        (lambda: one_hot([], None), ValueError),
        (lambda: binary_cross_entropy([1, 0], [0.5, 1.5]), ValueError),
        (lambda: binary_cross_entropy([1, 2], [0.5, 0.5]), ValueError),
        (lambda: binary_cross_entropy([1, 0, 1], [0.5, 0.5]), ValueError),
        (lambda: binary_cross_entropy([1], [0.5], reduction="avg"), ValueError),
        (lambda: cross_entropy([0, 1], [[0.5, 0.6], [0.5, 0.5]]), ValueError),
        (lambda: cross_entropy([0, 1], [0.5, 0.5]), ValueError),
        (lambda: cross_entropy([0, 1, 1], [[0.5, 0.5], [0.5, 0.5]]), ValueError),
        (lambda: cross_entropy([[1, 1], [0, 1]], [[0.5, 0.5], [0.5, 0.5]]), ValueError),
        (lambda: cross_entropy_with_logits([0, 5], [[1.0, 2.0], [0.0, 0.0]]), ValueError),
        (lambda: logistic_gradients([[1.0, 2.0]], [1], [1.0], 0.0), ValueError),
        (lambda: logistic_gradients([[1.0, 2.0]], [0.5], [1.0, 1.0], 0.0), ValueError),
        (lambda: logistic_gradients([[1.0, 2.0]], [1], [1.0, 1.0], 0.0, l2=-1.0), ValueError),
        (lambda: logistic_update([1.0, 2.0], 1, [1.0, 1.0], 0.0, lr=-0.1), ValueError),
        (lambda: logistic_update([1.0, 2.0], 1, [1.0, 1.0], [0.0, 1.0]), TypeError),
        (lambda: train_logistic_regression([[1.0, 2.0]], [1], epochs=0), ValueError),
        (lambda: train_logistic_regression([[1.0, 2.0]], [1], epochs=1.5), TypeError),
        (lambda: train_logistic_regression([[1.0, 2.0]], [1], callback=3), TypeError),
        (lambda: train_logistic_regression([1.0, 2.0], [1]), ValueError),
        (lambda: train_softmax_regression([[1.0, 2.0]], [0, 1]), ValueError),
        (lambda: softmax_predict_proba([[1.0, 2.0]], np.zeros((3, 2)), np.zeros(2)), ValueError),
        (lambda: softmax_predict_proba([[1.0, 2.0]], np.zeros((2, 2)), np.zeros(3)), ValueError),
        (lambda: logistic_snapshot([[1.0, 2.0]], [3], [1.0, 1.0], 0.0), ValueError),
    ],
)
def test_bad_inputs_raise_clear_errors(call, error):
    with pytest.raises(error):
        call()
