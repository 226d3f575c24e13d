"""Notebook 02's perceptron cells equal course_utils.perceptron on shared inputs."""

from __future__ import annotations

import numpy as np

from tests.mirror_cases.compare import assert_same


def check_step(nb, pkg):
    for z in (0.0, -0.5, 2.0, np.array([-1.0, 0.0, 1e-12, 3.0]), np.array([[0.5, -2.0]])):
        assert_same(nb(z), pkg(z))
    assert isinstance(nb(0.0), int) and nb(0.0) == 1


def check_predict(nb, pkg):
    X = np.array([[0.5, 1.0], [3.0, 0.5], [1.0, 2.0], [1.0, 3.5], [0.0, 0.0]])
    for w, b in [
        (np.array([2.0, 1.0]), -4.0),
        (np.array([-1.0, 0.5]), 0.5),
        (np.array([0.0, 1.0]), -1.0),
    ]:
        assert_same(nb(X, w, b), pkg(X, w, b))
        assert_same(nb(X[1], w, b), pkg(X[1], w, b))  # a single point


def check_perceptron_update(nb, pkg):
    cases = [
        (np.array([1.0, 1.0]), 1, np.array([3.0, 4.0]), -10.0, 0.1),  # label 1, predicted 0
        (np.array([3.0, 2.0]), 0, np.array([3.0, 4.0]), -10.0, 0.1),  # label 0, predicted 1
        (np.array([3.0, 2.0]), 1, np.array([3.0, 4.0]), -10.0, 0.3),  # right: no change
        (np.array([2.0, 0.0]), 0, np.array([2.0, 1.0]), -4.0, 0.5),  # on the line
        (np.array([-1.0, 0.5, 2.0]), 1, np.array([0.2, -0.4, -0.3]), 0.1, 0.05),
    ]
    for x, y, w, b, lr in cases:
        assert_same(nb(x, y, w, b, lr=lr), pkg(x, y, w, b, lr=lr))
    x, y, w, b = cases[0][:4]
    assert_same(nb(x, y, w, b), pkg(x, y, w, b))  # the default learning rate


def check_pocket_perceptron(nb, pkg):
    from course_utils.perceptron import xor_data

    X, y = xor_data(15, noise=0.2, rng=np.random.default_rng(0))
    runs = [
        {"lr": 0.1, "epochs": 12},
        {"lr": 0.3, "epochs": 8, "w0": np.array([0.4, -0.3]), "b0": 0.2},
        {"lr": 0.1, "epochs": 5, "w0": np.array([-1.0, 1.0]), "b0": -0.7},
    ]
    for kwargs in runs:
        assert_same(nb(X, y, **kwargs), pkg(X, y, **kwargs))
    Xs = np.array([[1.0, 3.0], [1.2, 2.5], [3.0, 1.0], [2.8, 0.6]])
    ys = np.array([0, 0, 1, 1])
    assert_same(
        nb(Xs, ys, epochs=10, w0=np.array([-1.0, 0.5]), b0=0.5),
        pkg(Xs, ys, epochs=10, w0=np.array([-1.0, 0.5]), b0=0.5),
    )


CASES = {
    "course_utils.perceptron.step": check_step,
    "course_utils.perceptron.predict": check_predict,
    "course_utils.perceptron.perceptron_update": check_perceptron_update,
    "course_utils.perceptron.pocket_perceptron": check_pocket_perceptron,
}
