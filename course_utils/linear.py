"""Linear regression from scratch in NumPy (notebook 01).

Everything a linear model needs, one small function each:

- data preparation: :func:`train_val_split`, :func:`zscore_fit`, :func:`zscore_apply`,
  :func:`add_bias_column`, :func:`init_weights`;
- the model and its loss: :func:`predict`, :func:`mse`, :func:`mse_gradient`;
- training: :func:`gradient_descent` (full batch, returns loss histories),
  :func:`max_stable_learning_rate`, :func:`epochs_to_reach`;
- the exact answer: :func:`normal_equation`.

Its picture, :func:`course_utils.plotting.ch01.plot_gd_run`, lives in the plotting package.

Conventions: ``X`` is an ``(n, d)`` array of features, one row per example. After
:func:`add_bias_column` it has ``d + 1`` columns, the first one all ones, so the weight vector
``w`` of length ``d + 1`` holds the bias in ``w[0]`` and the prediction is simply ``X @ w``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from course_utils.validation import as_matrix as _as_matrix
from course_utils.validation import as_vector as _as_vector
from course_utils.validation import non_negative_int as _non_negative_int
from course_utils.validation import positive as _positive_number
from course_utils.validation import positive_int as _positive_int

__all__ = [
    "GDResult",
    "train_val_split",
    "zscore_fit",
    "zscore_apply",
    "add_bias_column",
    "init_weights",
    "predict",
    "mse",
    "mse_gradient",
    "gradient_descent",
    "normal_equation",
    "max_stable_learning_rate",
    "epochs_to_reach",
]


# --------------------------------------------------------------------------- data preparation


def train_val_split(
    X: Any, y: Any, *, val_fraction: float = 0.2, seed: int = 42
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the rows with a fixed seed and cut them into training and validation parts.

    The rows are reordered by ``np.random.RandomState(seed).permutation(n)``; the first
    ``n - round(n * val_fraction)`` go to training, the rest to validation. ``RandomState`` is
    used on purpose: NumPy promises that its stream never changes, so the same seed gives the same
    split on every machine and every NumPy version.

    Returns ``X_train, X_val, y_train, y_val``. For California Housing (20,640 rows) the shapes
    are (16512, 8) and (4128, 8).
    """
    X = _as_matrix(X)
    y = _as_vector(y, "y", X.shape[0])
    if not 0.0 < float(val_fraction) < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1 (exclusive), got {val_fraction}.")
    seed = _non_negative_int(seed, "seed")  # RandomState itself refuses seeds of 2**32 and more
    n = X.shape[0]
    n_val = int(round(n * float(val_fraction)))
    if n_val == 0 or n_val == n:
        raise ValueError(f"With {n} rows and val_fraction={val_fraction}, one part would be empty.")
    order = np.random.RandomState(seed).permutation(n)
    train, val = order[: n - n_val], order[n - n_val :]
    return X[train], X[val], y[train], y[val]


def zscore_fit(X: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return the per-column mean and standard deviation of ``X`` (fit on training data only).

    Raises ``ValueError`` if a column is constant: it cannot be scaled (its standard deviation is
    zero) and carries no information, so drop it instead.
    """
    X = _as_matrix(X)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    constant = np.flatnonzero(std == 0)
    if constant.size:
        raise ValueError(f"column(s) {constant.tolist()} are constant: remove them first.")
    return mean, std


def zscore_apply(X: Any, mean: Any, std: Any) -> np.ndarray:
    """Scale ``X`` column by column: ``(X - mean) / std``, with statistics from :func:`zscore_fit`.

    Use the training set's ``mean`` and ``std`` for the training *and* the validation data, so
    that no information from the validation set leaks into training.
    """
    X = _as_matrix(X)
    d = X.shape[1]
    mean = _as_vector(mean, "mean", d)
    std = _as_vector(std, "std", d)
    if np.any(std <= 0):
        raise ValueError("std must be positive in every column.")
    return (X - mean) / std


def add_bias_column(X: Any) -> np.ndarray:
    """Put a column of ones in front of ``X``: shape (n, d) becomes (n, d + 1).

    With it the bias becomes an ordinary weight, ``w[0]``, and ``X @ w`` is the whole model.
    """
    X = _as_matrix(X)
    return np.hstack([np.ones((X.shape[0], 1)), X])


def init_weights(
    n_weights: int, *, scale: float = 0.01, rng: np.random.Generator | int | None = 42
) -> np.ndarray:
    """Return ``n_weights`` small random numbers drawn from a normal distribution N(0, scale²).

    ``rng`` is a NumPy ``Generator`` or an integer seed.
    """
    n_weights = _positive_int(n_weights, "n_weights")
    scale = _positive_number(scale, "scale")
    if isinstance(rng, (str, bytes, float)):
        raise TypeError("rng must be a numpy Generator or an integer seed.")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    return rng.normal(0.0, scale, size=n_weights)


# --------------------------------------------------------------------------- model and loss


def predict(Xb: Any, w: Any) -> np.ndarray:
    """Predictions of the linear model: ``Xb @ w`` (``Xb`` already has its bias column)."""
    Xb = _as_matrix(Xb, "Xb")
    w = _as_vector(w, "w")
    if w.shape[0] != Xb.shape[1]:
        raise ValueError(f"{w.shape[0]} weights for {Xb.shape[1]} columns: forget add_bias_column?")
    return Xb @ w


def mse(y_pred: Any, y: Any) -> float:
    """Mean squared error: the average of ``(y_pred - y) ** 2``."""
    y = _as_vector(y, "y")
    y_pred = _as_vector(y_pred, "y_pred", y.shape[0])
    return float(np.mean((y_pred - y) ** 2))


def mse_gradient(Xb: Any, y: Any, w: Any) -> np.ndarray:
    """Gradient of ``mse(Xb @ w, y)`` with respect to ``w``: ``(2 / n) * Xb.T @ (Xb @ w - y)``."""
    Xb = _as_matrix(Xb, "Xb")
    y = _as_vector(y, "y", Xb.shape[0])
    residual = predict(Xb, w) - y
    return (2.0 / Xb.shape[0]) * (Xb.T @ residual)


# --------------------------------------------------------------------------- training


@dataclass
class GDResult:
    """What :func:`gradient_descent` returns.

    ``train_loss[k]`` and ``val_loss[k]`` are the losses after ``k`` epochs, so index 0 holds the
    loss of the initial weights and a run of ``E`` epochs has ``E + 1`` entries (fewer if it
    diverged and stopped early). ``val_loss`` is empty when no validation data was given.
    """

    w: np.ndarray
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    diverged: bool = False
    lr: float = 0.0

    @property
    def epochs_run(self) -> int:
        """How many updates were made."""
        return len(self.train_loss) - 1


def gradient_descent(
    Xb: Any,
    y: Any,
    *,
    lr: float,
    epochs: int,
    w0: Any = None,
    Xb_val: Any = None,
    y_val: Any = None,
    seed: int = 42,
    divergence_factor: float = 1e3,
) -> GDResult:
    """Full-batch gradient descent on the mean squared error.

    Each epoch computes the gradient on the whole training set and takes one step
    ``w <- w - lr * gradient``. The losses are recorded before the first step and after every
    step. ``w0`` defaults to :func:`init_weights` with ``seed``.

    The run stops early and sets ``diverged=True`` when the training loss stops being finite or
    grows above ``divergence_factor`` times its starting value: the learning rate is too large.
    """
    Xb = _as_matrix(Xb, "Xb")
    y = _as_vector(y, "y", Xb.shape[0])
    lr = _positive_number(lr, "lr")
    epochs = _non_negative_int(epochs, "epochs")
    divergence_factor = float(divergence_factor)
    if (Xb_val is None) != (y_val is None):
        raise ValueError("Give both Xb_val and y_val, or neither.")
    has_val = Xb_val is not None
    if has_val:
        Xb_val = _as_matrix(Xb_val, "Xb_val")
        y_val = _as_vector(y_val, "y_val", Xb_val.shape[0])
    w = init_weights(Xb.shape[1], rng=seed) if w0 is None else _as_vector(w0, "w0", Xb.shape[1])
    w = w.copy()
    n = Xb.shape[0]

    result = GDResult(w=w, lr=lr)
    limit = np.inf
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs + 1):
            # The residuals of the current weights give both their loss and the gradient.
            residual = Xb @ w - y
            loss = float(np.mean(residual**2))
            result.train_loss.append(loss)
            if has_val:
                result.val_loss.append(float(np.mean((Xb_val @ w - y_val) ** 2)))
            if epoch == 0:
                limit = divergence_factor * max(loss, 1e-12)
            elif not np.isfinite(loss) or loss > limit:
                result.diverged = True
                break
            if epoch == epochs:
                break
            w = w - lr * (2.0 / n) * (Xb.T @ residual)
    result.w = w
    return result


def normal_equation(Xb: Any, y: Any) -> np.ndarray:
    """The exact least-squares weights: solve ``(Xb.T @ Xb) w = Xb.T @ y``.

    Raises ``ValueError`` when ``Xb.T @ Xb`` is singular (duplicated or constant columns, or
    fewer rows than columns); ``np.linalg.lstsq`` handles those cases.
    """
    Xb = _as_matrix(Xb, "Xb")
    y = _as_vector(y, "y", Xb.shape[0])
    gram = Xb.T @ Xb
    if Xb.shape[0] < Xb.shape[1] or np.linalg.matrix_rank(gram) < Xb.shape[1]:
        raise ValueError(
            "Xb.T @ Xb is singular (repeated columns or too few rows); use np.linalg.lstsq instead."
        )
    return np.linalg.solve(gram, Xb.T @ y)


def max_stable_learning_rate(Xb: Any) -> float:
    """The learning rate above which full-batch gradient descent on the MSE diverges.

    The MSE is a bowl whose steepest curvature is the largest eigenvalue ``L`` of its Hessian
    ``(2 / n) Xb.T @ Xb``. A step ``lr`` shrinks the error along that direction by the factor
    ``|1 - lr * L|``, which is below 1 only when ``lr < 2 / L``.
    """
    Xb = _as_matrix(Xb, "Xb")
    hessian = (2.0 / Xb.shape[0]) * (Xb.T @ Xb)
    return float(2.0 / np.linalg.eigvalsh(hessian).max())


def epochs_to_reach(history: Any, target: float) -> int | None:
    """The first epoch at which a loss history is at or below ``target`` (None if never)."""
    losses = np.asarray(history, dtype=float)
    if losses.ndim != 1:
        raise ValueError(f"history must be a 1-D sequence of losses, got shape {losses.shape}.")
    hits = np.flatnonzero(losses <= float(target))
    return int(hits[0]) if hits.size else None
