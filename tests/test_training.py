"""The pieces of notebook 06 against references: autograd, torch.optim, nn.Dropout, scikit-learn,
NumPy's least squares and learning-rate schedulers; plus their errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import LinearRegression, Ridge

from course_utils import activations as A
from course_utils import descent as D
from course_utils import linear as L
from course_utils import overfitting as O
from course_utils import regularization as R
from course_utils import training as T

# ------------------------------------------------------------------------------------ data


def test_noisy_curve_is_reproducible_and_centred_on_the_true_curve():
    x1, y1 = O.make_noisy_curve(500, noise=0.2, seed=3)
    x2, y2 = O.make_noisy_curve(500, noise=0.2, seed=3)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert x1.min() >= -1 and x1.max() <= 1
    residual = y1 - O.true_curve(x1)
    assert abs(residual.mean()) < 0.05 and abs(residual.std() - 0.2) < 0.03
    x0, y0 = O.make_noisy_curve(20, noise=0.0)
    assert np.allclose(y0, np.sin(3 * x0) + 0.5 * x0)


def test_train_val_split_partitions_the_data():
    X = np.arange(40.0).reshape(20, 2)
    y = np.arange(20.0)
    Xt, Xv, yt, yv = L.train_val_split(X, y, val_fraction=0.25, seed=1)
    assert Xt.shape == (15, 2) and Xv.shape == (5, 2)
    assert sorted(np.concatenate([yt, yv])) == list(y)
    assert np.array_equal(Xt[:, 0] / 2, yt) and np.array_equal(Xv[:, 0] / 2, yv)


def test_sparse_regression_has_only_useful_features():
    X, y, w = O.make_sparse_regression(300, 10, 3, noise=0.0, seed=0)
    assert X.shape == (300, 10) and np.count_nonzero(w) == 3 and np.all(w[3:] == 0)
    assert np.allclose(X @ w, y)


# ------------------------------------------------------------------------------------ polynomials


def test_fit_polynomial_matches_numpy_polyfit_without_penalty():
    x, y = O.make_noisy_curve(60, seed=0)
    for degree in (0, 1, 3, 7):
        ours = O.fit_polynomial(x, y, degree)
        ref = np.polyfit(x, y, degree)[::-1]  # polyfit lists the highest power first
        assert np.allclose(ours, ref, atol=1e-7)


@pytest.mark.parametrize("lam", [1e-4, 0.1, 5.0])
def test_fit_polynomial_with_penalty_matches_sklearn_ridge(lam):
    x, y = O.make_noisy_curve(40, seed=1)
    degree = 9
    ours = O.fit_polynomial(x, y, degree, lam)
    features = O.polynomial_features(x, degree)[:, 1:]
    ridge = Ridge(alpha=lam, fit_intercept=True, solver="svd").fit(features, y)
    assert np.allclose(ours[0], ridge.intercept_, atol=1e-6)
    assert np.allclose(ours[1:], ridge.coef_, atol=1e-6)


def test_complexity_curve_train_error_falls_with_degree():
    x, y = O.make_noisy_curve(30, seed=2)
    xv, yv = O.make_noisy_curve(300, seed=3)
    curve = O.complexity_curve(x, y, xv, yv, range(0, 12))
    assert np.all(np.diff(curve["train"]) <= 1e-10)  # nested models: never worse on train
    best = int(np.argmin(curve["validation"]))
    assert 2 <= curve["degree"][best] <= 10
    assert curve["validation"][-1] > curve["validation"][best]
    ref = LinearRegression().fit(x[:, None], y)
    assert np.isclose(curve["train"][1], L.mse(ref.predict(x[:, None]), y))


def test_first_upturn():
    assert O.first_upturn([5, 4, 3, 3.5, 2, 1], patience=1) == 2
    assert O.first_upturn([5, 4, 3, 3.5, 2, 1], patience=2) == 5
    assert O.first_upturn([1, 2, 3]) == 0


# ------------------------------------------------------------------------------------ penalties


def test_penalty_gradients_match_autograd():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 3))
    wt = torch.tensor(w, requires_grad=True)
    (0.3 * (wt**2).sum()).backward()
    assert np.allclose(R.l2_penalty_gradient(w, 0.3), wt.grad.numpy())
    assert np.isclose(R.l2_penalty(w, 0.3), 0.3 * (w**2).sum())
    wt = torch.tensor(w, requires_grad=True)
    (0.3 * wt.abs().sum()).backward()
    assert np.allclose(R.l1_penalty_gradient(w, 0.3), wt.grad.numpy())
    assert np.isclose(R.l1_penalty(w, 0.3), 0.3 * np.abs(w).sum())


@pytest.mark.parametrize("weight_decay", [0.0, 0.01, 0.5])
def test_weight_decay_step_matches_torch_sgd(weight_decay):
    rng = np.random.default_rng(1)
    w, grad = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    p = torch.nn.Parameter(torch.tensor(w))
    opt = torch.optim.SGD([p], lr=0.1, weight_decay=weight_decay)
    p.grad = torch.tensor(grad)
    opt.step()
    assert np.allclose(R.weight_decay_step(w, grad, 0.1, weight_decay), p.detach().numpy())


def test_weight_decay_equals_l2_penalty_with_half_the_rate():
    rng = np.random.default_rng(2)
    w, grad = rng.normal(size=6), rng.normal(size=6)
    via_penalty = w - 0.05 * (grad + R.l2_penalty_gradient(w, 0.02))
    assert np.allclose(R.weight_decay_step(w, grad, 0.05, 0.04), via_penalty)


def test_dropout_matches_nn_dropout_expectations():
    p = 0.3
    x = np.full((400, 500), 2.0)
    ours, mask = R.dropout(x, p, np.random.default_rng(0))
    torch.manual_seed(0)
    ref = torch.nn.Dropout(p).train()(torch.tensor(x)).numpy()
    for out in (ours, ref):
        kept = out != 0
        assert abs(1 - kept.mean() - p) < 0.01  # about p of the units are off
        assert np.allclose(out[kept], 2.0 / (1 - p))  # the rest are scaled by 1/(1-p)
        assert abs(out.mean() - 2.0) < 0.02  # so the expected value is unchanged
    assert np.array_equal(mask, ours != 0)
    out, mask = R.dropout(x, p, np.random.default_rng(0), training=False)
    assert np.array_equal(out, x) and mask.all()
    assert np.array_equal(torch.nn.Dropout(p).eval()(torch.tensor(x)).numpy(), x)
    with pytest.raises(ValueError, match="0 <= p < 1"):
        R.dropout(x, 1.0, np.random.default_rng(0))


def test_dropout_backward_matches_autograd_through_the_same_mask():
    rng = np.random.default_rng(3)
    x, upstream = rng.normal(size=(5, 7)), rng.normal(size=(5, 7))
    out, mask = R.dropout(x, 0.4, np.random.default_rng(1))
    xt = torch.tensor(x, requires_grad=True)
    (xt * torch.tensor(mask) / 0.6).backward(torch.tensor(upstream))
    assert np.allclose(out, (xt * torch.tensor(mask) / 0.6).detach().numpy())
    assert np.allclose(R.dropout_backward(upstream, mask, 0.4), xt.grad.numpy())


# ------------------------------------------------------------------------------------ activations

TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, A.LEAKY_SLOPE),
    "elu": lambda z: torch.nn.functional.elu(z, A.ELU_ALPHA),
    "gelu": torch.nn.functional.gelu,
}


@pytest.mark.parametrize("name", A.ACTIVATION_NAMES)
def test_activations_and_derivatives_match_autograd(name):
    z = np.concatenate([np.linspace(-6, 6, 97), [0.0, -1e-3, 1e-3, -30.0, 30.0]])
    zt = torch.tensor(z, requires_grad=True)
    out = TORCH_ACTIVATIONS[name](zt)
    out.sum().backward()
    assert np.allclose(A.activation(name, z), out.detach().numpy(), atol=1e-12)
    assert np.allclose(A.activation_derivative(name, z), zt.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("name", A.ACTIVATION_NAMES)
def test_make_mlp_uses_the_same_activation(name):
    torch.manual_seed(0)
    model = T.make_mlp(3, [5], 1, activation=name)
    assert isinstance(model[0], torch.nn.Linear) and len(model) == 3
    z = torch.linspace(-3, 3, 11)
    assert np.allclose(model[1](z).numpy(), A.activation(name, z.numpy()), atol=1e-6)


def test_make_mlp_places_dropout_and_shapes():
    model = T.make_mlp(4, [8, 6], 3, dropout=0.25)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert model[2].p == 0.25
    assert model(torch.zeros(7, 4)).shape == (7, 3)


def test_vanishing_gradients_with_sigmoid_not_relu():
    sig = A.depth_gradient_norms("sigmoid", depth=12)
    relu = A.depth_gradient_norms("relu", depth=12)
    assert sig.shape == (13,) and relu.shape == (13,)
    assert sig[0] / sig[-1] < 1e-3
    assert relu[0] / relu[-1] > 1e-2


# ------------------------------------------------------------------------------------ training loop


def _curve_data():
    x, y = O.make_noisy_curve(30, seed=1)
    xv, yv = O.make_noisy_curve(100, seed=2)
    return x[:, None], y, xv[:, None], yv


def test_train_model_lowers_the_loss_and_records_histories():
    torch.manual_seed(0)
    model = T.make_mlp(1, [32], activation="tanh")
    hist = T.train_model(model, *_curve_data(), epochs=60, lr=0.02)
    assert len(hist["train"]) == len(hist["validation"]) == len(hist["weight_norm"]) == 60
    assert hist["train"][-1] < 0.5 * hist["train"][0]
    assert hist["stopped_epoch"] == 60
    with torch.no_grad():
        xt = torch.tensor(_curve_data()[0], dtype=torch.float32)
        final = float(
            torch.nn.functional.mse_loss(model(xt)[:, 0], torch.tensor(_curve_data()[1]).float())
        )
    assert np.isclose(final, hist["train"][-1], rtol=1e-5)


def test_weight_decay_in_the_loop_is_adamw_on_weights_and_spares_biases():
    data = _curve_data()
    torch.manual_seed(0)
    ours, ref = T.make_mlp(1, [8], activation="tanh"), T.make_mlp(1, [8], activation="tanh")
    ref.load_state_dict(ours.state_dict())
    T.train_model(ours, *data, optimizer="adam", lr=0.01, epochs=5, weight_decay=0.3)
    weights = [p for p in ref.parameters() if p.ndim == 2]
    biases = [p for p in ref.parameters() if p.ndim == 1]
    opt = torch.optim.AdamW(
        [{"params": weights, "weight_decay": 0.3}, {"params": biases, "weight_decay": 0.0}], lr=0.01
    )
    X, y = (torch.tensor(a, dtype=torch.float32) for a in data[:2])
    for _ in range(5):
        opt.zero_grad()
        torch.nn.functional.mse_loss(ref(X), y[:, None]).backward()
        opt.step()
    for a, b in zip(ours.parameters(), ref.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_l2_penalty_in_the_loop_equals_sgd_weight_decay_on_weights():
    data = _curve_data()
    torch.manual_seed(0)
    a = T.make_mlp(1, [8], activation="tanh")
    b = T.make_mlp(1, [8], activation="tanh")
    b.load_state_dict(a.state_dict())
    # Penalty on weights only, so compare with weight decay on a model without biases to decay.
    for m in (a, b):
        for layer in m:
            if isinstance(layer, torch.nn.Linear):
                layer.bias.requires_grad_(False)
    ha = T.train_model(a, *data, optimizer="sgd", lr=0.05, epochs=5, l2=0.01)
    hb = T.train_model(b, *data, optimizer="sgd", lr=0.05, epochs=5, weight_decay=0.02)
    assert np.allclose(ha["train"], hb["train"], rtol=1e-5)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.allclose(pa, pb, atol=1e-6)


def test_penalties_shrink_weights_and_l1_makes_them_sparse():
    X, y, _ = O.make_sparse_regression(200, 12, 3, noise=0.3, seed=0)
    out = {}
    for name, kw in {"none": {}, "l1": {"l1": 0.05}, "l2": {"l2": 0.05}}.items():
        torch.manual_seed(0)
        model = torch.nn.Linear(12, 1)
        T.train_model(model, X, y, X, y, epochs=300, lr=0.05, optimizer="sgd", **kw)
        out[name] = model.weight.detach().numpy().ravel()
    assert np.linalg.norm(out["l2"]) < np.linalg.norm(out["none"])
    assert np.sum(np.abs(out["l1"][3:]) < 0.01) > np.sum(np.abs(out["l2"][3:]) < 0.01)


def test_early_stopping_stops_and_restores_the_best_weights():
    torch.manual_seed(0)
    model = T.make_mlp(1, [64, 64])
    data = _curve_data()
    hist = T.train_model(model, *data, epochs=400, lr=0.02, patience=20)
    assert hist["stopped_epoch"] == hist["best_epoch"] + 20 < 400
    assert hist["best_epoch"] == int(np.argmin(hist["validation"])) + 1
    with torch.no_grad():
        xv = torch.tensor(data[2], dtype=torch.float32)
        val = float(torch.nn.functional.mse_loss(model(xv)[:, 0], torch.tensor(data[3]).float()))
    assert np.isclose(val, min(hist["validation"]), rtol=1e-5)


def test_train_model_classification_losses():
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
    Xt, Xv, yt, yv = L.train_val_split(X, y.astype(float), val_fraction=0.5, seed=0)
    torch.manual_seed(0)
    hist = T.train_model(
        T.make_mlp(2, [16]), Xt, yt, Xv, yv, loss="bce", epochs=50, lr=0.05, batch_size=16
    )
    assert hist["validation"][-1] < 0.4
    hist = T.train_model(
        T.make_mlp(2, [16], 2),
        Xt,
        yt.astype(int),
        Xv,
        yv.astype(int),
        loss="cross_entropy",
        epochs=30,
        lr=0.05,
    )
    assert hist["validation"][-1] < hist["validation"][0]


# ------------------------------------------------------------------------------------ landscapes


def test_landscape_gradients_match_finite_differences():
    x = np.linspace(-5, 5, 21)
    eps = 1e-6
    assert np.allclose(
        D.bumpy_grad(x), (D.bumpy(x + eps) - D.bumpy(x - eps)) / (2 * eps), atol=1e-6
    )
    p = np.array([[0.3, -0.7], [1.2, 0.4]])
    num = np.zeros_like(p)
    for j in range(2):
        d = np.zeros(2)
        d[j] = eps
        num[:, j] = (D.saddle(p + d) - D.saddle(p - d)) / (2 * eps)
    assert np.allclose(D.saddle_grad(p), num, atol=1e-6)


def test_descend_finds_a_local_minimum_like_scipy():
    from scipy.optimize import minimize

    for start in (-4.0, 0.5, 3.0):
        end = D.descend(D.bumpy_grad, np.array([start]), lr=0.05, steps=2000)[-1]
        ref = minimize(lambda w: float(D.bumpy(w[0])), [start], method="BFGS").x
        assert np.allclose(end, ref, atol=1e-4)
    path = D.descend(D.saddle_grad, np.array([1.0, 0.0]), lr=0.1, steps=300)
    assert np.allclose(path[-1], [0.0, 0.0], atol=1e-6)  # exactly on the ridge: stuck
    path = D.descend(D.saddle_grad, np.array([1.0, 1e-6]), lr=0.1, steps=400)
    assert np.allclose(path[-1], [0.0, 1.0], atol=1e-4)  # a nudge: escapes to a minimum


# ------------------------------------------------------------------------------------ GD variants


def test_minibatch_gd_converges_to_least_squares():
    X, y, _ = O.make_sparse_regression(256, 4, 4, noise=0.1, seed=0)
    ref = LinearRegression().fit(X, y)
    for batch_size, lr in ((256, 0.1), (32, 0.05)):
        out = D.minibatch_gd(X, y, batch_size=batch_size, epochs=200, lr=lr)
        assert np.allclose(out["w"], ref.coef_, atol=2e-2)
        assert np.isclose(out["b"], ref.intercept_, atol=2e-2)
    out = D.minibatch_gd(X, y, batch_size=64, epochs=5, lr=0.01)
    assert list(out["steps"]) == [0, 4, 8, 12, 16, 20]
    assert out["loss"].shape == out["seconds"].shape == (6,)
    assert np.all(np.diff(out["seconds"]) >= 0)


def test_minibatch_gd_step_matches_autograd():
    X, y, _ = O.make_sparse_regression(50, 3, 3, seed=1)
    out = D.minibatch_gd(X, y, batch_size=50, epochs=1, lr=0.1)
    w = torch.zeros(3, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    loss = ((torch.tensor(X) @ w.double() + b.double() - torch.tensor(y)) ** 2).mean()
    loss.backward()
    assert np.allclose(out["w"], -0.1 * w.grad.numpy())
    assert np.isclose(out["b"], -0.1 * b.grad.item())


def test_schedules_match_torch_schedulers():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.4)
    step = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    for epoch in range(10):
        assert np.isclose(D.step_decay(0.4, epoch, drop=0.5, every=3), opt.param_groups[0]["lr"])
        opt.step()
        step.step()
    opt = torch.optim.SGD([p], lr=0.4)
    expo = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.8)
    for epoch in range(10):
        assert np.isclose(D.exponential_decay(0.4, epoch, gamma=0.8), opt.param_groups[0]["lr"])
        opt.step()
        expo.step()
    assert D.inverse_time_decay(1.0, 4, k=0.5) == pytest.approx(1 / 3)


def test_decay_helps_stochastic_gradient_descent():
    X, y, _ = O.make_sparse_regression(200, 5, 5, noise=0.5, seed=0)
    const = D.minibatch_gd(X, y, batch_size=1, epochs=30, lr=0.05, seed=1)
    decay = D.minibatch_gd(
        X,
        y,
        batch_size=1,
        epochs=30,
        lr=0.05,
        seed=1,
        schedule=lambda e: D.exponential_decay(0.05, e, gamma=0.8),
    )
    assert decay["loss"][-1] < const["loss"][-1]
    assert np.allclose(decay["lr"], 0.05 * 0.8 ** np.arange(30))


# ------------------------------------------------------------------------------------ momentum


def test_momentum_recursive_equals_explicit_and_torch_sgd():
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(12, 3))
    rec = D.momentum_recursive(grads, 0.9)
    exp = D.momentum_explicit(grads, 0.9)
    assert np.allclose(rec, exp)
    # torch.optim.SGD(momentum=beta) keeps the same velocity buffer and steps by -lr * v
    p = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    for t in range(12):
        before = p.detach().clone()
        p.grad = torch.tensor(grads[t])
        opt.step()
        assert np.allclose((before - p.detach()).numpy(), 0.1 * rec[t])
    assert np.allclose(D.momentum_explicit(np.ones(50), 0.9)[-1], (1 - 0.9**50) / 0.1)
    assert np.allclose(D.momentum_recursive(grads, 0.0), grads)


# ------------------------------------------------------------------------------------ bad input


def test_train_model_refuses_targets_that_would_be_truncated_or_broadcast():
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(ValueError, match="integer class labels"):
        T.train_model(
            T.make_mlp(2, [4], 3),
            X,
            [0, 0.5, 1, 2, 0, 1],
            X,
            [0, 1, 2, 0, 1, 2],
            loss="cross_entropy",
            epochs=1,
        )
    with pytest.raises(ValueError, match="integer class labels"):
        T.train_model(
            T.make_mlp(2, [4], 3),
            X,
            [0, 3, 1, 2, 0, 1],
            X,
            [0, 1, 2, 0, 1, 2],
            loss="cross_entropy",
            epochs=1,
        )
    with pytest.raises(ValueError, match="one target column per model output"):
        T.train_model(T.make_mlp(2, [4], 3), X, np.ones(6), X, np.ones(6), loss="mse", epochs=1)
    with pytest.raises(ValueError, match="between 0 and 1"):
        T.train_model(T.make_mlp(2, [4]), X, np.full(6, 2.0), X, np.ones(6), loss="bce", epochs=1)
    hist = T.train_model(T.make_mlp(2, [4], 3), X, np.ones((6, 3)), X, np.ones((6, 3)), epochs=2)
    assert len(hist["train"]) == 2
    hist = T.train_model(
        T.make_mlp(2, [4], 3),
        X,
        np.array([0.0, 1, 2, 0, 1, 2]),
        X,
        [0, 1, 2, 0, 1, 2],
        loss="cross_entropy",
        epochs=2,
    )
    assert len(hist["validation"]) == 2


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: O.make_sparse_regression(10, 3, 5), ValueError),
        (lambda: O.fit_polynomial([1.0, 2.0], [1.0], 1), ValueError),
        (lambda: O.fit_polynomial([1.0, 2.0], [1.0, 2.0], 1, lam=-1), ValueError),
        (lambda: O.fit_polynomial([1.0, np.nan], [1.0, 2.0], 1), ValueError),
        (lambda: A.activation("swish", [1.0]), ValueError),
        (lambda: T.make_mlp(2, [8], dropout=1.5), ValueError),
        (lambda: T.make_mlp(2, [8], activation="softsign"), ValueError),
        (lambda: T.train_model("model", [[1.0]], [1.0], [[1.0]], [1.0]), ValueError),
        (
            lambda: T.train_model(T.make_mlp(1, [2]), [[1.0]], [1.0], [[1.0]], [1.0], loss="l1"),
            ValueError,
        ),
        (
            lambda: T.train_model(
                T.make_mlp(1, [2]), [[1.0]], [1.0], [[1.0]], [1.0], optimizer="rmsprop"
            ),
            ValueError,
        ),
        (
            lambda: T.train_model(T.make_mlp(1, [2]), [[1.0], [2.0]], [1.0], [[1.0]], [1.0]),
            ValueError,
        ),
        (lambda: T.train_model(T.make_mlp(1, [2]), [[np.nan]], [1.0], [[1.0]], [1.0]), ValueError),
        (
            lambda: D.minibatch_gd(np.ones((4, 2)), np.ones(4), batch_size=5, epochs=1, lr=0.1),
            ValueError,
        ),
        (
            lambda: D.minibatch_gd(np.ones(4), np.ones(4), batch_size=1, epochs=1, lr=0.1),
            ValueError,
        ),
        (
            lambda: D.minibatch_gd(np.eye(4) * 100, np.ones(4), batch_size=4, epochs=200, lr=10.0),
            FloatingPointError,
        ),
    ],
)
def test_bad_input_raises_clear_errors(call, error):
    with np.errstate(all="ignore"), pytest.raises(error):
        call()
