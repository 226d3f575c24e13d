"""Tests of course_utils.linear and the notebook-01 exercises against independent references."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from course_utils import linear
from course_utils.exercises import ch01


@pytest.fixture()
def problem() -> tuple[np.ndarray, np.ndarray]:
    """A small, well-conditioned regression problem with noise."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)) * [1.0, 2.0, 0.5, 3.0] + [0.0, 5.0, -2.0, 1.0]
    y = X @ np.array([1.0, -0.5, 2.0, 0.25]) + 3.0 + rng.normal(0.0, 0.3, size=300)
    return X, y


def _scaled(X: np.ndarray) -> np.ndarray:
    mean, std = linear.zscore_fit(X)
    return linear.add_bias_column(linear.zscore_apply(X, mean, std))


# --------------------------------------------------------------------------- model and loss


def test_predict_and_mse_match_plain_numpy(problem):
    X, y = problem
    Xb = linear.add_bias_column(X)
    w = np.arange(5, dtype=float)
    expected = w[0] + X @ w[1:]
    assert np.allclose(linear.predict(Xb, w), expected)
    assert linear.mse(expected, y) == pytest.approx(np.mean((expected - y) ** 2))
    assert linear.mse(y, y) == 0.0
    # squaring: errors of +2 and -2 do not cancel
    assert linear.mse(np.array([2.0, -2.0]), np.zeros(2)) == 4.0


def test_gradient_matches_central_finite_differences(problem):
    X, y = problem
    Xb = _scaled(X)
    w = np.random.default_rng(1).normal(size=Xb.shape[1])
    analytic = linear.mse_gradient(Xb, y, w)
    eps = 1e-6
    numeric = np.empty_like(w)
    for j in range(w.size):
        step = np.zeros_like(w)
        step[j] = eps
        numeric[j] = (linear.mse(Xb @ (w + step), y) - linear.mse(Xb @ (w - step), y)) / (2 * eps)
    assert np.allclose(analytic, numeric, rtol=1e-6, atol=1e-7)


def test_gradient_is_zero_at_the_least_squares_optimum(problem):
    X, y = problem
    Xb = _scaled(X)
    w_best = np.linalg.lstsq(Xb, y, rcond=None)[0]
    assert np.allclose(linear.mse_gradient(Xb, y, w_best), 0.0, atol=1e-10)


# --------------------------------------------------------------------------- optimum


def test_normal_equation_matches_lstsq_and_sklearn(problem):
    X, y = problem
    Xb = linear.add_bias_column(X)
    w = linear.normal_equation(Xb, y)
    assert np.allclose(w, np.linalg.lstsq(Xb, y, rcond=None)[0], rtol=1e-8, atol=1e-10)
    sk = LinearRegression().fit(X, y)
    assert np.isclose(w[0], sk.intercept_)
    assert np.allclose(w[1:], sk.coef_)


def test_gradient_descent_reaches_the_optimum(problem):
    X, y = problem
    Xb = _scaled(X)
    w_best = np.linalg.lstsq(Xb, y, rcond=None)[0]
    lr = 0.5 * linear.max_stable_learning_rate(Xb)
    run = linear.gradient_descent(Xb, y, lr=lr, epochs=500)
    assert not run.diverged
    assert np.allclose(run.w, w_best, atol=1e-6)
    assert run.train_loss[-1] == pytest.approx(linear.mse(Xb @ w_best, y), rel=1e-9)
    # the loss never goes up for a learning rate below the stability limit
    assert np.all(np.diff(run.train_loss) <= 1e-12)


def test_gradient_descent_matches_a_written_out_loop(problem):
    X, y = problem
    Xb = _scaled(X)
    w = linear.init_weights(Xb.shape[1], rng=7)
    run = linear.gradient_descent(Xb, y, lr=0.05, epochs=20, w0=w)
    for _ in range(20):
        w = w - 0.05 * 2 / len(y) * Xb.T @ (Xb @ w - y)
    assert np.allclose(run.w, w)
    assert len(run.train_loss) == 21 and run.epochs_run == 20
    assert run.val_loss == []


def test_gradient_descent_histories_and_validation(problem):
    X, y = problem
    Xb = _scaled(X)
    run = linear.gradient_descent(
        Xb[:200], y[:200], lr=0.1, epochs=50, Xb_val=Xb[200:], y_val=y[200:], seed=3
    )
    assert len(run.train_loss) == len(run.val_loss) == 51
    assert run.train_loss[0] == pytest.approx(
        linear.mse(Xb[:200] @ linear.init_weights(5, rng=3), y[:200])
    )
    assert run.val_loss[-1] == pytest.approx(linear.mse(Xb[200:] @ run.w, y[200:]))
    assert run.val_loss[-1] < run.val_loss[0]


def test_divergence_is_detected_just_above_the_stability_limit(problem):
    X, y = problem
    Xb = _scaled(X)
    limit = linear.max_stable_learning_rate(Xb)
    assert not linear.gradient_descent(Xb, y, lr=0.99 * limit, epochs=2000).diverged
    run = linear.gradient_descent(Xb, y, lr=1.05 * limit, epochs=2000)
    assert run.diverged
    assert run.epochs_run < 2000
    assert np.isfinite(run.train_loss[-2])
    with np.errstate(all="raise"):  # no overflow warnings leak out of a divergent run
        linear.gradient_descent(Xb, y, lr=100.0, epochs=100)


def test_max_stable_learning_rate_is_two_over_the_largest_curvature(problem):
    X, y = problem
    Xb = _scaled(X)
    hessian = 2 / len(y) * Xb.T @ Xb
    assert linear.max_stable_learning_rate(Xb) == pytest.approx(
        2 / np.linalg.eigvalsh(hessian).max()
    )


def test_epochs_to_reach():
    assert linear.epochs_to_reach([5.0, 3.0, 1.0, 0.5], 1.0) == 2
    assert linear.epochs_to_reach([5.0, 3.0], 1.0) is None
    assert linear.epochs_to_reach([0.1], 1.0) == 0


# --------------------------------------------------------------------------- data preparation


def test_split_shapes_and_determinism():
    X = np.arange(20640 * 8, dtype=float).reshape(20640, 8)
    y = np.arange(20640, dtype=float)
    X_tr, X_va, y_tr, y_va = linear.train_val_split(X, y, seed=42)
    assert X_tr.shape == (16512, 8) and X_va.shape == (4128, 8)
    assert y_tr.shape == (16512,) and y_va.shape == (4128,)
    again = linear.train_val_split(X, y, seed=42)
    assert np.array_equal(X_tr, again[0]) and np.array_equal(y_va, again[3])
    other = linear.train_val_split(X, y, seed=0)
    assert not np.array_equal(y_va, other[3])
    # rows stay together, and the parts are disjoint and cover everything
    assert np.array_equal(X_tr[:, 0] / 8, y_tr)
    assert np.array_equal(np.sort(np.concatenate([y_tr, y_va])), y)
    # the documented permutation
    order = np.random.RandomState(42).permutation(20640)
    assert np.array_equal(y_va, y[order[16512:]])


def test_zscore_properties(problem):
    X, _ = problem
    mean, std = linear.zscore_fit(X[:200])
    Z = linear.zscore_apply(X[:200], mean, std)
    assert np.allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    assert np.allclose(Z.std(axis=0), 1.0)
    # validation data uses the training statistics, so it is not exactly standardised
    Z_val = linear.zscore_apply(X[200:], mean, std)
    assert np.allclose(Z_val, (X[200:] - X[:200].mean(0)) / X[:200].std(0))
    assert not np.allclose(Z_val.mean(axis=0), 0.0, atol=1e-12)
    # the same as scikit-learn's StandardScaler
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X[:200])
    assert np.allclose(Z_val, scaler.transform(X[200:]))


def test_add_bias_column_and_init_weights():
    Xb = linear.add_bias_column(np.zeros((3, 2)))
    assert Xb.shape == (3, 3) and np.all(Xb[:, 0] == 1.0)
    w = linear.init_weights(9, scale=0.01, rng=42)
    assert w.shape == (9,) and np.abs(w).max() < 0.05
    assert np.array_equal(w, linear.init_weights(9, rng=42))
    assert np.array_equal(w, np.random.default_rng(42).normal(0, 0.01, 9))


# --------------------------------------------------------------------------- widget function


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: linear.predict(np.ones((3, 2)), np.ones(3)), ValueError, "forget add_bias"),
        (lambda: linear.predict(np.ones(3), np.ones(3)), ValueError, "2-D"),
        (lambda: linear.predict(None, np.ones(3)), TypeError, "None"),
        (lambda: linear.predict([["a", "b"]], np.ones(2)), TypeError, "numbers"),
        (lambda: linear.mse(np.ones(3), np.ones(4)), ValueError, "length"),
        (lambda: linear.mse(np.ones((3, 1)), np.ones(3)), ValueError, "ravel"),
        (lambda: linear.mse(np.array([1.0, np.nan]), np.ones(2)), ValueError, "NaN"),
        (
            lambda: linear.mse_gradient(np.ones((3, 2)), np.ones(4), np.ones(2)),
            ValueError,
            "length",
        ),
        (lambda: linear.zscore_fit(np.ones((4, 2))), ValueError, "constant"),
        (
            lambda: linear.zscore_apply(np.ones((4, 2)), np.zeros(3), np.ones(3)),
            ValueError,
            "length",
        ),
        (
            lambda: linear.zscore_apply(np.ones((4, 2)), np.zeros(2), np.zeros(2)),
            ValueError,
            "positive",
        ),
        (lambda: linear.train_val_split(np.ones((10, 2)), np.ones(9)), ValueError, "length"),
        (
            lambda: linear.train_val_split(np.ones((10, 2)), np.ones(10), val_fraction=1.5),
            ValueError,
            "between 0 and 1",
        ),
        (
            lambda: linear.train_val_split(np.ones((10, 2)), np.ones(10), seed=1.5),
            TypeError,
            "integer",
        ),
        (
            lambda: linear.train_val_split(np.ones((2, 2)), np.ones(2), val_fraction=0.1),
            ValueError,
            "empty",
        ),
        (
            lambda: linear.gradient_descent(np.ones((3, 2)), np.ones(3), lr=-0.1, epochs=5),
            ValueError,
            "positive",
        ),
        (
            lambda: linear.gradient_descent(np.ones((3, 2)), np.ones(3), lr="0.1", epochs=5),
            TypeError,
            "number",
        ),
        (
            lambda: linear.gradient_descent(np.ones((3, 2)), np.ones(3), lr=0.1, epochs=2.5),
            TypeError,
            "integer",
        ),
        (
            lambda: linear.gradient_descent(
                np.ones((3, 2)), np.ones(3), lr=0.1, epochs=5, Xb_val=np.ones((2, 2))
            ),
            ValueError,
            "both",
        ),
        (
            lambda: linear.gradient_descent(
                np.ones((3, 2)), np.ones(3), lr=0.1, epochs=5, w0=np.ones(3)
            ),
            ValueError,
            "length",
        ),
        (lambda: linear.normal_equation(np.ones((5, 2)), np.ones(5)), ValueError, "singular"),
        (lambda: linear.init_weights(0), ValueError, "at least 1"),
        (lambda: linear.init_weights(3, rng="seed"), TypeError, "Generator"),
        (lambda: linear.epochs_to_reach([[1.0]], 0.5), ValueError, "1-D"),
    ],
)
def test_bad_inputs_raise_clear_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()


# --------------------------------------------------------------------------- exercises


def test_exercise_references_agree_with_the_module():
    for Xb, y, w in ch01._gradient_cases():
        assert np.allclose(ch01._gradient_reference(Xb, y, w), 2 / len(y) * Xb.T @ (Xb @ w - y))
    for X_tr, X_va in ch01._scale_cases():
        own = (X_va - X_va.mean(0)) / X_va.std(0)
        right = ch01._scale_validation_reference(X_tr, X_va)
        assert not np.allclose(own, right)  # using the validation set's own statistics fails


def test_exercise_checks_accept_solutions_and_reject_common_mistakes():
    assert ch01.mse.feedback(ch01.mse.run_solution()).ok
    assert not ch01.mse.feedback(lambda p, y: np.mean(p - y)).ok  # no square
    assert not ch01.mse.feedback(lambda p, y: np.mean(np.abs(p - y))).ok  # absolute error
    assert not ch01.mse.feedback(lambda p, y: np.sum((p - y) ** 2)).ok  # sum, not mean
    assert ch01.mse_gradient.feedback(ch01.mse_gradient.run_solution()).ok
    assert not ch01.mse_gradient.feedback(lambda Xb, y, w: Xb.T @ (Xb @ w - y) / len(y)).ok
    assert ch01.scale_validation.feedback(ch01.scale_validation.run_solution()).ok
    assert not ch01.scale_validation.feedback(lambda a, b: (b - b.mean(0)) / b.std(0)).ok


def test_learning_rate_validator():
    Xb, _ = ch01.lr_task()
    limit = linear.max_stable_learning_rate(Xb)
    assert ch01.learning_rate.feedback(ch01.learning_rate.run_solution()).ok
    assert ch01.learning_rate.feedback(0.3).ok
    slow = ch01.learning_rate.feedback(0.01)
    assert not slow.ok and "larger" in slow.message
    blown = ch01.learning_rate.feedback(1.0)
    assert not blown.ok and "smaller" in blown.message
    assert not ch01.learning_rate.feedback(1.01 * limit).ok
    for bad in (None, ..., float("nan"), -0.1, "0.1", [0.1, 0.2], np.ones(3)):
        assert not ch01.learning_rate.feedback(bad).ok
    assert ch01.learning_rate.feedback(np.array([0.3])).ok
