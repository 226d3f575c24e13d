"""Notebook 04's cells equal course_utils.mlp on shared inputs."""

from __future__ import annotations

import numpy as np

from tests.mirror_cases.compare import assert_same

Z = np.array([-30.0, -2.0, -1e-9, 0.0, 1e-9, 0.5, 3.0, 30.0])


def check_sigmoid_prime(nb, pkg):
    assert_same(nb(Z), pkg(Z))
    assert_same(nb(Z.reshape(2, 4)), pkg(Z.reshape(2, 4)))


def check_relu(nb, pkg):
    assert_same(nb(Z), pkg(Z))
    assert_same(nb([[-1.0, 2.0]]), pkg([[-1.0, 2.0]]))


def check_relu_prime(nb, pkg):
    assert_same(nb(Z), pkg(Z))
    assert_same(nb(np.array([0.0, -0.0, 1.0])), pkg(np.array([0.0, -0.0, 1.0])))


SETTINGS = [
    ({"activation": "sigmoid"}, 1),  # the defaults: sigmoid output, MSE, mean
    ({"activation": "relu", "loss": "bce"}, 1),
    ({"activation": "sigmoid", "loss": "bce", "reduction": "sum", "seed": 3}, 1),
    ({"activation": "relu", "output": "softmax", "loss": "cross_entropy", "seed": 5}, 3),
    (
        {"activation": "sigmoid", "output": "softmax", "loss": "cross_entropy", "reduction": "sum"},
        3,
    ),
    ({"activation": "relu", "loss": "mse", "reduction": "sum", "seed": 1}, 1),
]


def _batch(k, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(16, 2)) * 1.5
    labels = rng.integers(0, max(k, 2), size=16)
    Y = np.eye(k)[labels] if k > 1 else labels.reshape(-1, 1).astype(float)
    return X, Y


def check_numpy_mlp(nb, pkg):
    for kwargs, k in SETTINGS:
        sizes = [2, 5, 4, k]
        a, b = nb(sizes, **kwargs), pkg(sizes, **kwargs)
        assert_same(a.W, b.W, where="initial W")
        assert_same(a.b, b.b, where="initial b")
        X, Y = _batch(k)
        for step in range(4):  # forward, cost, backward and update, a few times
            assert_same(a.forward(X), b.forward(X), where=f"forward {step}")
            assert_same(a.cost(X, Y), b.cost(X, Y), where=f"cost {step}")
            ga, gb = a.backward(Y), b.backward(Y)
            assert_same(ga, gb, where=f"gradients {step}")
            a.update(*ga, lr=0.7)
            b.update(*gb, lr=0.7)
            assert_same(a.W + a.b, b.W + b.b, where=f"parameters after step {step}")
        assert_same(a.predict(X), b.predict(X), where="predict")
        # a saturated output: probabilities near 0 and 1 exercise the log(0) guard
        a.W[-1] *= 40
        b.W[-1] *= 40
        assert_same(a.cost(X, Y), b.cost(X, Y), where="saturated cost")


CASES = {
    "course_utils.mlp.sigmoid_prime": check_sigmoid_prime,
    "course_utils.mlp.relu": check_relu,
    "course_utils.mlp.relu_prime": check_relu_prime,
    "course_utils.mlp.NumpyMLP": check_numpy_mlp,
}
