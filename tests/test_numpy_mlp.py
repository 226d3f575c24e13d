"""course_utils.mlp.NumpyMLP (notebook 04's network) against torch autograd and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.mlp import NumpyMLP

SETTINGS = [
    ("sigmoid", "sigmoid", "mse", "mean"),
    ("relu", "sigmoid", "bce", "mean"),
    ("sigmoid", "sigmoid", "bce", "sum"),
    ("relu", "softmax", "cross_entropy", "mean"),
    ("sigmoid", "softmax", "cross_entropy", "sum"),
]


def _data(output, m=12, n_in=3, k=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n_in))
    labels = rng.integers(0, k if output == "softmax" else 2, size=m)
    Y = np.eye(k)[labels] if output == "softmax" else labels.reshape(-1, 1).astype(float)
    return X, Y


def _torch_cost(net, X, Y):
    Ws = [torch.tensor(W, requires_grad=True) for W in net.W]
    bs = [torch.tensor(b, requires_grad=True) for b in net.b]
    act = torch.relu if net.f.__name__ == "relu" else torch.sigmoid
    A = torch.tensor(X)
    for k, (W, b) in enumerate(zip(Ws, bs)):
        Z = A @ W + b
        if k < len(Ws) - 1:
            A = act(Z)
        else:
            A = torch.softmax(Z, dim=1) if net.output == "softmax" else torch.sigmoid(Z)
    Yt = torch.tensor(Y)
    m = len(X) if net.reduction == "mean" else 1
    if net.loss == "mse":
        cost = 0.5 * ((Yt - A) ** 2).sum() / m
    elif net.loss == "cross_entropy":
        cost = -(Yt * torch.log(A)).sum() / m
    else:
        cost = -(Yt * torch.log(A) + (1 - Yt) * torch.log(1 - A)).sum() / m
    cost.backward()
    return cost.item(), [W.grad.numpy() for W in Ws], [b.grad.numpy() for b in bs]


@pytest.mark.parametrize("activation, output, loss, reduction", SETTINGS)
def test_cost_and_gradients_equal_torch_autograd(activation, output, loss, reduction):
    k = 4 if output == "softmax" else 1
    net = NumpyMLP(
        [3, 5, 6, k], activation=activation, output=output, loss=loss, reduction=reduction, seed=2
    )
    for b in net.b:  # non-zero biases: a generic point
        b += np.random.default_rng(7).normal(0, 0.3, size=b.shape)
    X, Y = _data(output)
    cost = net.cost(X, Y)
    gW, gb = net.backward(Y)
    t_cost, t_gW, t_gb = _torch_cost(net, X, Y)
    assert cost == pytest.approx(t_cost, rel=1e-10)
    for a, b in zip(gW + gb, t_gW + t_gb):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12)


def test_gradients_equal_finite_differences():
    net = NumpyMLP([2, 4, 3], activation="relu", output="softmax", loss="cross_entropy", seed=1)
    X, Y = _data("softmax", n_in=2, k=3)
    net.cost(X, Y)
    gW, _ = net.backward(Y)
    eps, W = 1e-6, net.W[0]
    for idx in np.ndindex(W.shape):
        old = W[idx]
        W[idx] = old + eps
        plus = net.cost(X, Y)
        W[idx] = old - eps
        minus = net.cost(X, Y)
        W[idx] = old
        assert gW[0][idx] == pytest.approx((plus - minus) / (2 * eps), abs=1e-7)


def test_training_lowers_the_cost_and_predicts_labels():
    X, Y = _data("softmax", m=60, n_in=2, k=3, seed=4)
    X = X + 2.5 * np.eye(3)[Y.argmax(axis=1)][:, :2]  # separate the classes a little
    net = NumpyMLP([2, 8, 3], activation="relu", output="softmax", loss="cross_entropy", seed=0)
    before = net.cost(X, Y)
    for _ in range(200):
        net.cost(X, Y)
        net.update(*net.backward(Y), lr=0.5)
    assert net.cost(X, Y) < 0.5 * before
    assert net.predict(X).shape == (60,) and set(net.predict(X)) <= {0, 1, 2}
    binary = NumpyMLP([2, 3, 1], seed=0)
    assert set(binary.predict(X)) <= {0, 1}


def test_initial_weights_follow_he_and_xavier_scales():
    relu_net = NumpyMLP([400, 300, 1], activation="relu", seed=0)
    sigmoid_net = NumpyMLP([400, 300, 1], activation="sigmoid", seed=0)
    assert relu_net.W[0].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert sigmoid_net.W[0].std() == pytest.approx(np.sqrt(1 / 400), rel=0.02)
    assert all((b == 0).all() for b in relu_net.b)
