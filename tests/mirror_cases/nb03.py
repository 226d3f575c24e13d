"""Notebook 03's cells equal course_utils.logistic on shared inputs."""

from __future__ import annotations

import numpy as np

from tests.mirror_cases.compare import assert_same


def check_sigmoid(nb, pkg):
    z = np.array([-1000.0, -30.0, -2.5, -1e-9, 0.0, 1e-9, 0.7, 30.0, 1000.0])
    assert_same(nb(z), pkg(z))
    assert_same(nb(z.reshape(3, 3)), pkg(z.reshape(3, 3)))
    for value in (-3.0, 0.0, 2.0):
        assert_same(nb(value), pkg(value))
        assert isinstance(nb(value), float)


def _scores():
    rng = np.random.default_rng(2)
    return [np.array([2.0, 1.0, 0.1]), np.array([1000.0, -1000.0]), rng.normal(size=(4, 5)) * 3]


def check_softmax(nb, pkg):
    for z in _scores():
        assert_same(nb(z), pkg(z))
        assert_same(nb(z, axis=0), pkg(z, axis=0))


def check_log_softmax(nb, pkg):
    for z in _scores():
        assert_same(nb(z), pkg(z))
        assert_same(nb(z, axis=0), pkg(z, axis=0))


def check_one_hot(nb, pkg):
    labels = np.array([2, 0, 1, 2, 3])
    assert_same(nb(labels), pkg(labels))
    assert_same(nb(labels, num_classes=6), pkg(labels, num_classes=6))
    assert_same(nb([1, 1]), pkg([1, 1]))


def _problem(k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(10 * k, 2)) + np.repeat(rng.normal(scale=2.0, size=(k, 2)), 10, axis=0)
    labels = np.repeat(np.arange(k), 10)
    return X, labels


def check_softmax_regression_gradients(nb, pkg):
    X, labels = _problem()
    rng = np.random.default_rng(1)
    W, b = rng.normal(size=(2, 3)), rng.normal(size=3)
    assert_same(nb(X, labels, W, b), pkg(X, labels, W, b))
    assert_same(nb(X, labels, W, b, l2=0.3), pkg(X, labels, W, b, l2=0.3))
    onehot = np.eye(3)[labels]
    assert_same(nb(X, onehot, W, b), pkg(X, onehot, W, b))


def check_train_softmax_regression(nb, pkg):
    X, labels = _problem(k=4, seed=3)
    for kwargs in (
        {"lr": 0.5, "epochs": 40},
        {"num_classes": 5, "lr": 0.2, "epochs": 15, "l2": 0.1},
        {"epochs": 3},
    ):
        seen_nb, seen_pkg = [], []
        a = nb(X, labels, callback=lambda e, loss, seen=seen_nb: seen.append((e, loss)), **kwargs)
        b = pkg(X, labels, callback=lambda e, loss, seen=seen_pkg: seen.append((e, loss)), **kwargs)
        assert_same(
            {"W": a.W, "b": a.b, "losses": a.losses, "calls": seen_nb},
            {"W": b.W, "b": b.b, "losses": b.losses, "calls": seen_pkg},
        )
    a, b = nb(X, labels, lr=0.3, epochs=5), pkg(X, labels, lr=0.3, epochs=5)  # no callback
    assert_same(a.losses, b.losses)


CASES = {
    "course_utils.logistic.sigmoid": check_sigmoid,
    "course_utils.logistic.softmax": check_softmax,
    "course_utils.logistic.log_softmax": check_log_softmax,
    "course_utils.logistic.one_hot": check_one_hot,
    "course_utils.logistic.softmax_regression_gradients": check_softmax_regression_gradients,
    "course_utils.logistic.train_softmax_regression": check_train_softmax_regression,
}
