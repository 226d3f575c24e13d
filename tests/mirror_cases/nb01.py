"""Notebook 01's linear-regression cells equal course_utils.linear on shared inputs."""

from __future__ import annotations

import numpy as np

from tests.mirror_cases.compare import assert_same


def _data(n=60, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * [1.0, 5.0, 0.2][:d] + [0.0, 2.0, -1.0][:d]
    y = X @ np.array([1.5, -0.3, 2.0])[:d] + 0.7 + rng.normal(0, 0.1, n)
    return X, y


def _with_bias(X):
    return np.hstack([np.ones((len(X), 1)), X])


def check_mse(nb, pkg):
    rng = np.random.default_rng(1)
    for a, b in [
        (np.array([1.0, 2.0, 4.0]), np.array([0.5, 2.0, 3.0])),
        (rng.normal(size=20), rng.normal(size=20)),
    ]:
        assert_same(nb(a, b), pkg(a, b))


def check_train_val_split(nb, pkg):
    X, y = _data(n=23)
    for fraction, seed in [(0.2, 42), (0.3, 7), (0.5, 0)]:
        assert_same(
            nb(X, y, val_fraction=fraction, seed=seed), pkg(X, y, val_fraction=fraction, seed=seed)
        )
    assert_same(nb(X, y), pkg(X, y))  # the defaults too


def check_zscore_fit(nb, pkg):
    X, _ = _data()
    assert_same(nb(X), pkg(X))


def check_zscore_apply(nb, pkg):
    X, _ = _data()
    mean, std = np.array([0.5, -1.0, 2.0]), np.array([2.0, 0.5, 3.0])
    assert_same(nb(X, mean, std), pkg(X, mean, std))


def check_add_bias_column(nb, pkg):
    for X in (_data(n=7)[0], _data(n=3, d=2)[0]):
        assert_same(nb(X), pkg(X))


def check_init_weights(nb, pkg):
    assert_same(nb(9), pkg(9))
    assert_same(nb(5, scale=0.3, rng=3), pkg(5, scale=0.3, rng=3))
    assert_same(nb(4, rng=np.random.default_rng(8)), pkg(4, rng=np.random.default_rng(8)))


def check_predict(nb, pkg):
    X, _ = _data()
    Xb, w = _with_bias(X), np.array([0.3, -1.0, 0.5, 2.0])
    assert_same(nb(Xb, w), pkg(Xb, w))


def check_mse_gradient(nb, pkg):
    X, y = _data()
    Xb = _with_bias(X)
    for w in (np.zeros(4), np.array([0.3, -1.0, 0.5, 2.0])):
        assert_same(nb(Xb, y, w), pkg(Xb, y, w))


def _same_run(a, b):
    assert_same(
        {"w": a.w, "train": a.train_loss, "val": a.val_loss, "diverged": a.diverged, "lr": a.lr},
        {"w": b.w, "train": b.train_loss, "val": b.val_loss, "diverged": b.diverged, "lr": b.lr},
    )


def check_gradient_descent(nb, pkg):
    X, y = _data()
    Xb = _with_bias((X - X.mean(0)) / X.std(0))
    Xv, yv = Xb[:15], y[:15]
    w0 = np.array([0.1, -0.2, 0.05, 0.0])
    runs = [
        {"lr": 0.1, "epochs": 30, "w0": w0, "Xb_val": Xv, "y_val": yv},  # converges
        {"lr": 0.05, "epochs": 3},  # default start, no validation data
        {"lr": 0.1, "epochs": 0, "w0": w0},  # no step at all
        {"lr": 2.5, "epochs": 200, "w0": w0, "Xb_val": Xv, "y_val": yv},  # diverges and stops
        {"lr": 0.9, "epochs": 40, "w0": w0, "divergence_factor": 5.0},  # a tighter stop rule
    ]
    for kwargs in runs:
        a, b = nb(Xb, y, **kwargs), pkg(Xb, y, **kwargs)
        _same_run(a, b)
    assert pkg(Xb, y, **runs[3]).diverged and not pkg(Xb, y, **runs[0]).diverged


def check_normal_equation(nb, pkg):
    X, y = _data()
    Xb = _with_bias(X)
    assert_same(nb(Xb, y), pkg(Xb, y))


def check_max_stable_learning_rate(nb, pkg):
    X, _ = _data()
    for Xb in (_with_bias(X), _with_bias(X[:, :2] * 10)):
        assert_same(nb(Xb), pkg(Xb))


CASES = {
    "course_utils.linear.mse": check_mse,
    "course_utils.linear.train_val_split": check_train_val_split,
    "course_utils.linear.zscore_fit": check_zscore_fit,
    "course_utils.linear.zscore_apply": check_zscore_apply,
    "course_utils.linear.add_bias_column": check_add_bias_column,
    "course_utils.linear.init_weights": check_init_weights,
    "course_utils.linear.predict": check_predict,
    "course_utils.linear.mse_gradient": check_mse_gradient,
    "course_utils.linear.gradient_descent": check_gradient_descent,
    "course_utils.linear.normal_equation": check_normal_equation,
    "course_utils.linear.max_stable_learning_rate": check_max_stable_learning_rate,
}
