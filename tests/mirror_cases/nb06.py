"""Notebook 06's written-out training loop, penalties, dropout and gradient-descent variants
equal the package's."""

from __future__ import annotations

import numpy as np
import torch

from tests.mirror_cases.compare import assert_same


def _curve(n=24, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 1))
    y = np.sin(3 * x) + 0.1 * rng.normal(size=(n, 1))
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


def _model(seed=0, dropout=0.0, n_out=1):
    from course_utils.training import make_mlp

    torch.manual_seed(seed)
    return make_mlp(1, [8, 8], n_out, activation="tanh", dropout=dropout)


def _twin_models(**kwargs):
    a = _model(**kwargs)
    b = _model(**kwargs)
    b.load_state_dict(a.state_dict())
    return a, b


def check_train_epoch(ours, theirs):
    from torch.nn import functional as F

    X, y = _curve()
    for opt_name, kwargs in (
        ("sgd", {"l1": 0.01, "l2": 0.02, "weight_decay": 0.5}),
        ("adam", {"weight_decay": 0.3}),
        ("sgd", {}),
    ):
        models = _twin_models(dropout=0.2)
        make = torch.optim.SGD if opt_name == "sgd" else torch.optim.Adam
        for fn, model in zip((ours, theirs), models):
            opt = make(model.parameters(), lr=0.05)
            gen = torch.Generator().manual_seed(1)
            torch.manual_seed(5)
            for _ in range(3):
                fn(model, opt, F.mse_loss, X, y, batch_size=7, generator=gen, lr=0.05, **kwargs)
        assert_same(models[0].state_dict(), models[1].state_dict(), atol=1e-6)


def check_fit(ours, theirs):
    X, y = _curve()
    Xv, yv = _curve(seed=1)
    settings = [
        {"epochs": 12, "lr": 0.05, "optimizer": "sgd", "batch_size": 5, "l1": 0.01, "l2": 0.01},
        {"epochs": 60, "lr": 0.05, "patience": 3, "weight_decay": 0.1},
        {"epochs": 8, "lr": 0.02},
    ]
    for kwargs in settings:
        models = _twin_models()
        runs = [fn(m, X, y, Xv, yv, **kwargs) for fn, m in zip((ours, theirs), models)]
        assert_same(runs[0], runs[1], atol=1e-6)
        assert_same(models[0].state_dict(), models[1].state_dict(), atol=1e-6)
    assert runs[0]["stopped_epoch"] == 8
    labels = torch.tensor([0, 1, 2, 1] * 6)
    models = _twin_models(n_out=3)
    runs = [
        fn(m, X, labels, X, labels, loss="cross_entropy", epochs=40, lr=0.05, patience=2)
        for fn, m in zip((ours, theirs), models)
    ]
    assert_same(runs[0], runs[1], atol=1e-6)
    assert runs[1]["stopped_epoch"] < 40 and runs[1]["best_epoch"] > 1


def check_penalty_gradient(ours, theirs):
    for w in (np.array([[1.5, -0.2], [0.0, 3.0]]), np.array([-2.0, 0.5, 0.0]), 0.7):
        for lam in (0.1, 0.0, 2.5):
            assert_same(ours(w, lam), theirs(w, lam))


def check_dropout(ours, theirs):
    x = np.arange(-12.0, 12.0).reshape(4, 6)
    for p in (0.0, 0.3, 0.75):
        for training in (True, False):
            assert_same(
                ours(x, p, np.random.default_rng(2), training),
                theirs(x, p, np.random.default_rng(2), training),
            )


def _regression(n=60, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, X @ np.array([1.0, -2.0, 0.5])[:d] + 0.3 + 0.1 * rng.normal(size=n)


def check_minibatch_gd(ours, theirs):
    X, y = _regression()
    for kwargs in (
        {"batch_size": 60, "epochs": 4, "lr": 0.1},
        {"batch_size": 7, "epochs": 3, "lr": 0.05, "seed": 3},
        {"batch_size": 1, "epochs": 3, "lr": 0.01, "schedule": lambda e: 0.02 / (1 + e)},
    ):
        a, b = ours(X, y, **kwargs), theirs(X, y, **kwargs)
        assert a.keys() == b.keys()
        for key in ("loss", "steps", "lr", "w", "b"):
            assert_same(a[key], b[key], atol=1e-12, where=key)
        assert a["seconds"][0] == 0 and np.all(np.diff(a["seconds"]) >= 0)
        assert a["seconds"].shape == b["seconds"].shape


def check_schedule(ours, theirs):
    for epoch in range(0, 25, 3):
        assert_same(ours(0.3, epoch), theirs(0.3, epoch))
    name = theirs.__name__
    extra = {
        "step_decay": {"drop": 0.3, "every": 4},
        "exponential_decay": {"gamma": 0.7},
        "inverse_time_decay": {"k": 0.25},
    }[name]
    for epoch in (0, 1, 5, 9):
        assert_same(ours(0.2, epoch, **extra), theirs(0.2, epoch, **extra))


def check_momentum(ours, theirs):
    grads = np.random.default_rng(0).normal(size=(9, 2))
    for beta in (0.0, 0.5, 0.9):
        assert_same(ours(grads, beta), theirs(grads, beta), atol=1e-12)
        assert_same(ours(grads[:, 0], beta), theirs(grads[:, 0], beta), atol=1e-12)


CASES = {
    "course_utils.training.train_epoch": check_train_epoch,
    "course_utils.training.fit": check_fit,
    "course_utils.regularization.l1_penalty_gradient": check_penalty_gradient,
    "course_utils.regularization.l2_penalty_gradient": check_penalty_gradient,
    "course_utils.regularization.dropout": check_dropout,
    "course_utils.descent.minibatch_gd": check_minibatch_gd,
    "course_utils.descent.step_decay": check_schedule,
    "course_utils.descent.exponential_decay": check_schedule,
    "course_utils.descent.inverse_time_decay": check_schedule,
    "course_utils.descent.momentum_recursive": check_momentum,
    "course_utils.descent.momentum_explicit": check_momentum,
}

SURVIVING_MUTANTS = {
    (
        "course_utils.descent.momentum_recursive",
        "constant",
    ): "np.zeros_like(g[1]) has the same shape as np.zeros_like(g[0]): the same zero start",
}
