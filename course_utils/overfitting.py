"""Capacity, overfitting and early stopping: the data and polynomial experiments of notebook 06.

- :func:`make_noisy_curve` (a 1-D regression problem around :func:`true_curve`) and
  :func:`make_sparse_regression` (only a few of many inputs matter).
- :func:`polynomial_features`, :func:`fit_polynomial` (least squares with an optional L2
  penalty, closed form), :func:`predict_polynomial` and :func:`complexity_curve`.
- :func:`first_upturn`: the epoch early stopping keeps, given a validation history.

The mean squared error and the train/validation split are notebook 01's
(:func:`course_utils.linear.mse`, :func:`course_utils.linear.train_val_split`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from course_utils.linear import mse

__all__ = [
    "true_curve",
    "make_noisy_curve",
    "make_sparse_regression",
    "polynomial_features",
    "fit_polynomial",
    "predict_polynomial",
    "complexity_curve",
    "first_upturn",
]


def true_curve(x: Any) -> np.ndarray:
    """The noise-free function behind :func:`make_noisy_curve`: ``sin(3x) + 0.5x``."""
    x = np.asarray(x, dtype=float)
    return np.sin(3.0 * x) + 0.5 * x


def make_noisy_curve(n: int, *, noise: float = 0.3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points ``x`` uniform on ``[-1, 1]`` and ``y = sin(3x) + 0.5x + noise``.

    ``noise`` is the standard deviation of the Gaussian noise. Returns ``(x, y)``, both 1-D.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=n)
    return x, true_curve(x) + noise * rng.normal(size=n)


def make_sparse_regression(
    n: int, n_features: int, n_useful: int, *, noise: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A linear problem where only the first ``n_useful`` of ``n_features`` inputs matter.

    Returns ``(X, y, w_true)``; ``w_true`` is zero after its first ``n_useful`` entries.
    """
    if not 0 < n_useful <= n_features:
        raise ValueError(f"need 0 < n_useful <= n_features, got {n_useful} and {n_features}.")
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    w_true = np.zeros(n_features)
    w_true[:n_useful] = rng.choice([-1.0, 1.0], size=n_useful) * rng.uniform(1.0, 2.0, n_useful)
    return X, X @ w_true + noise * rng.normal(size=n), w_true


def polynomial_features(x: Any, degree: int) -> np.ndarray:
    """The columns ``1, x, x**2, ..., x**degree`` of a 1-D input, shape ``(n, degree + 1)``."""
    return np.asarray(x, dtype=float)[:, None] ** np.arange(degree + 1)


def fit_polynomial(x: Any, y: Any, degree: int, lam: float = 0.0) -> np.ndarray:
    """Coefficients ``c_0..c_degree`` minimising ``sum (y - poly(x))**2 + lam * sum_{j>=1} c_j**2``.

    The constant ``c_0`` is not penalised (as scikit-learn's ``Ridge`` leaves its intercept alone).
    Solved as a stacked least-squares problem, which stays accurate for high degrees.
    """
    X = polynomial_features(x, degree)
    y = np.asarray(y, dtype=float)
    if y.shape != (X.shape[0],) or not lam >= 0 or not np.isfinite(X).all() & np.isfinite(y).all():
        raise ValueError(
            f"x and y must be finite 1-D arrays of the same length and lam >= 0; got "
            f"shapes {X.shape[:1]} and {y.shape}, lam={lam}."
        )
    A = np.vstack([X, math.sqrt(lam) * np.eye(degree + 1)[1:]])
    b = np.concatenate([y, np.zeros(degree)])
    return np.linalg.lstsq(A, b, rcond=None)[0]


def predict_polynomial(coefficients: Any, x: Any) -> np.ndarray:
    """Evaluate the polynomial with ``coefficients`` (constant first) at ``x``."""
    c = np.asarray(coefficients, dtype=float)
    return polynomial_features(x, len(c) - 1) @ c


def complexity_curve(
    x_train: Any, y_train: Any, x_val: Any, y_val: Any, degrees: Sequence[int], lam: float = 0.0
) -> dict[str, np.ndarray]:
    """Fit one polynomial per degree; return ``{"degree", "train", "validation"}`` MSE arrays."""
    train, val = [], []
    for d in degrees:
        c = fit_polynomial(x_train, y_train, d, lam)
        train.append(mse(predict_polynomial(c, x_train), y_train))
        val.append(mse(predict_polynomial(c, x_val), y_val))
    return {"degree": np.array(degrees), "train": np.array(train), "validation": np.array(val)}


def first_upturn(values: Any, patience: int = 1) -> int:
    """Index of the lowest value seen before ``patience`` values in a row fail to beat it.

    This is where early stopping with that patience stops and which epoch it keeps (0-based).
    """
    best, since = 0, 0
    for i in range(1, len(values)):
        if values[i] < values[best]:
            best, since = i, 0
        else:
            since += 1
            if since >= patience:
                break
    return best
