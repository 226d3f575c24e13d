"""Logistic and softmax regression from scratch: probabilities, cross-entropy, gradients, training.

Notebook 03 derives every piece; notebook 04 and later reuse them.

- :func:`sigmoid`, :func:`sigmoid_derivative`: the squashing function and its slope.
- :func:`softmax` (stable: the largest score is subtracted first), :func:`naive_softmax` (the
  textbook formula, which overflows), :func:`log_softmax`, :func:`one_hot`.
- :func:`binary_cross_entropy`, :func:`binary_cross_entropy_with_logits`, :func:`cross_entropy`,
  :func:`cross_entropy_with_logits`: the log-losses.
- :func:`logistic_gradients`, :func:`logistic_update`, :func:`train_logistic_regression`:
  binary logistic regression by gradient descent.
- :func:`softmax_regression_gradients`, :func:`train_softmax_regression`: K classes.
- :func:`logistic_snapshot`: the logic of the notebook's "move the weights, watch the loss" widget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from course_utils.validation import as_float_array as _as_float_array
from course_utils.validation import as_matrix as _as_points
from course_utils.validation import as_number as _as_scalar
from course_utils.validation import non_negative as _non_negative
from course_utils.validation import positive as _positive
from course_utils.validation import positive_int as _positive_int

__all__ = [
    "sigmoid",
    "sigmoid_derivative",
    "softmax",
    "naive_softmax",
    "log_softmax",
    "one_hot",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "cross_entropy_with_logits",
    "predict_proba",
    "logistic_gradients",
    "logistic_update",
    "LogisticResult",
    "train_logistic_regression",
    "softmax_predict_proba",
    "softmax_regression_gradients",
    "SoftmaxResult",
    "train_softmax_regression",
    "logistic_snapshot",
]

_REDUCTIONS = ("mean", "sum", "none")


def _scores(z: Any) -> np.ndarray:
    arr = _as_float_array(z, "z", allow_inf=True)  # -inf is how attention masks a score
    if arr.ndim == 0:
        raise ValueError("softmax needs at least one score (a 1-D or higher array), got a scalar.")
    return arr


def _reduce(terms: np.ndarray, reduction: str) -> Any:
    if reduction == "mean":
        return float(np.mean(terms))
    if reduction == "sum":
        return float(np.sum(terms))
    return terms


def _check_reduction(reduction: Any) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}.")
    return reduction


def _binary_targets(y: Any, shape: tuple[int, ...]) -> np.ndarray:
    arr = _as_float_array(y, "y")
    if arr.shape != shape or np.any((arr < 0) | (arr > 1)):
        raise ValueError(f"y must hold one target in [0, 1] per prediction, shape {shape}.")
    return arr


# --------------------------------------------------------------------------------------------
# Sigmoid and softmax
# --------------------------------------------------------------------------------------------


def sigmoid(z: Any) -> Any:
    """The logistic function ``1 / (1 + e^(-z))``, computed without overflow for any ``z``.

    Limits: 0 as ``z → -∞``, exactly 0.5 at ``z = 0``, 1 as ``z → +∞``. For negative ``z`` it uses
    the equal form ``e^z / (1 + e^z)`` so ``e^(-z)`` is never formed for large ``-z``. Accepts a
    number or an array (±inf allowed); returns a float or an array of the same shape.
    """
    arr = _as_float_array(z, "z", allow_inf=True)
    e = np.exp(-np.abs(arr))  # always in (0, 1]: no overflow
    out = np.where(arr >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return float(out) if out.ndim == 0 else out


def sigmoid_derivative(z: Any) -> Any:
    """The slope of the sigmoid, ``σ'(z) = σ(z) (1 - σ(z))``; at most 0.25 (at ``z = 0``)."""
    s = sigmoid(z)
    return s * (1.0 - s)


def softmax(z: Any, axis: int = -1) -> np.ndarray:
    """Stable softmax along ``axis``: ``exp(z - max z) / sum(exp(z - max z))``.

    Subtracting the largest score changes nothing mathematically (softmax ignores a constant
    added to every score) but keeps every exponent <= 0, so ``exp`` never overflows: inputs like
    ``[1000, -1000]`` give ``[1, 0]`` instead of NaN. A score of ``-inf`` gets probability
    exactly 0 (that is how attention masks a position), but every slice needs a finite score.
    """
    arr = _scores(z)
    top = np.max(arr, axis=axis, keepdims=True)
    if np.isposinf(arr).any() or np.isneginf(top).any():
        raise ValueError(
            "z may hold -inf (a masked score) but not +inf, and every slice needs "
            "at least one finite score."
        )
    shifted = arr - top
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def naive_softmax(z: Any, axis: int = -1) -> np.ndarray:
    """The textbook softmax ``exp(z) / sum(exp(z))`` without the max trick (for demonstrations).

    It overflows for scores above about 709 (``exp(710)`` is infinity in float64) and returns NaN;
    NumPy's overflow warnings are silenced here so a notebook can show the NaN cleanly.
    """
    arr = _scores(z)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(arr)
        return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z: Any, axis: int = -1) -> np.ndarray:
    """``log(softmax(z))`` computed stably: ``z - max - log(sum(exp(z - max)))``."""
    arr = _scores(z)
    shifted = arr - np.max(arr, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def one_hot(labels: Any, num_classes: int | None = None) -> np.ndarray:
    """Turn integer class labels of shape ``(n,)`` into a 0/1 matrix of shape ``(n, K)``.

    Row ``i`` has a single 1, in column ``labels[i]``. ``num_classes`` defaults to
    ``max(labels) + 1``.
    """
    arr = _as_float_array(labels, "labels")
    if arr.ndim != 1:
        raise ValueError(f"labels must be 1-D, one class per example, got shape {arr.shape}.")
    if np.any(arr != np.round(arr)) or np.any(arr < 0):
        raise ValueError("labels must be class indices 0, 1, 2, ... (whole, non-negative).")
    ints = arr.astype(int)
    # max() of no labels raises: with no labels, num_classes must say how many classes there are
    k = int(ints.max()) + 1 if num_classes is None else _positive_int(num_classes, "num_classes")
    if ints.size and ints.max() >= k:
        raise ValueError(f"label {int(ints.max())} does not fit num_classes={k}.")
    out = np.zeros((ints.size, k))
    out[np.arange(ints.size), ints] = 1.0
    return out


# --------------------------------------------------------------------------------------------
# Cross-entropy (log-loss)
# --------------------------------------------------------------------------------------------


def binary_cross_entropy(y: Any, p: Any, reduction: str = "mean") -> Any:
    """Binary cross-entropy ``-[y ln p + (1 - y) ln(1 - p)]`` per example, then averaged or summed.

    ``p`` are predicted probabilities of class 1 (in [0, 1]); ``y`` the labels 0/1 (or soft
    targets in [0, 1]). ``reduction`` is ``"mean"`` (default), ``"sum"`` or ``"none"``. A
    confident wrong prediction (``p = 0`` for ``y = 1``) costs infinity: the loss is unbounded.
    """
    red = _check_reduction(reduction)
    probs = _as_float_array(p, "p")
    if np.any((probs < 0) | (probs > 1)):
        raise ValueError("p must hold probabilities between 0 and 1 (apply the sigmoid first).")
    targets = _binary_targets(y, probs.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(targets > 0, targets * np.log(probs), 0.0)
        neg = np.where(targets < 1, (1.0 - targets) * np.log1p(-probs), 0.0)
    return _reduce(-(pos + neg), red)


def binary_cross_entropy_with_logits(y: Any, z: Any, reduction: str = "mean") -> Any:
    """Binary cross-entropy of ``sigmoid(z)`` computed from the scores ``z`` directly.

    Uses ``ln(1 + e^z) - y z`` (with ``np.logaddexp``), which stays finite even for
    scores like ±1000 where ``sigmoid`` rounds to exactly 0 or 1.
    """
    red = _check_reduction(reduction)
    scores = _as_float_array(z, "z")
    targets = _binary_targets(y, scores.shape)
    return _reduce(np.logaddexp(0.0, scores) - targets * scores, red)


def _class_targets(targets: Any, n: int, k: int) -> np.ndarray:
    """Accept integer labels ``(n,)`` or a one-hot / probability matrix ``(n, k)``."""
    arr = _as_float_array(targets, "targets")
    if arr.ndim == 1:
        if arr.shape != (n,):
            raise ValueError(f"targets has {arr.shape[0]} labels for {n} predictions.")
        return one_hot(arr, k)
    if arr.shape != (n, k) or np.any(arr < 0) or not np.allclose(arr.sum(axis=1), 1.0):
        raise ValueError(f"targets must be labels ({n},) or one-hot rows ({n}, {k}) summing to 1.")
    return arr


def cross_entropy(targets: Any, probs: Any, reduction: str = "mean") -> Any:
    """Multi-class cross-entropy ``-Σ_k y_k ln p_k`` per example, then averaged or summed.

    ``probs`` has shape ``(n, K)`` with rows that sum to 1 (softmax outputs); ``targets`` are
    integer labels ``(n,)`` or one-hot rows ``(n, K)``. With one-hot targets only the probability
    of the true class counts: the loss of one example is ``-ln p_true``.
    """
    red = _check_reduction(reduction)
    P = _as_float_array(probs, "probs")
    if P.ndim != 2 or np.any((P < 0) | (P > 1)) or not np.allclose(P.sum(1), 1.0, atol=1e-6):
        raise ValueError("probs must be (n, K) rows of probabilities summing to 1 (use softmax).")
    Y = _class_targets(targets, *P.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = -np.sum(np.where(Y > 0, Y * np.log(P), 0.0), axis=1)
    return _reduce(terms, red)


def cross_entropy_with_logits(targets: Any, logits: Any, reduction: str = "mean") -> Any:
    """Multi-class cross-entropy of ``softmax(logits)``, computed stably with :func:`log_softmax`.

    The same quantity as ``torch.nn.functional.cross_entropy(logits, labels)``.
    """
    red = _check_reduction(reduction)
    Z = _as_float_array(logits, "logits")
    if Z.ndim != 2:
        raise ValueError(f"logits must have shape (n, K), got {Z.shape}.")
    Y = _class_targets(targets, *Z.shape)
    return _reduce(-np.sum(Y * log_softmax(Z, axis=1), axis=1), red)


# --------------------------------------------------------------------------------------------
# Binary logistic regression
# --------------------------------------------------------------------------------------------


def _model_inputs(X: Any, w: Any, b: Any) -> tuple[np.ndarray, np.ndarray, float]:
    X_arr = _as_points(X)
    w_arr = _as_float_array(w, "w")
    if w_arr.shape != (X_arr.shape[1],):
        raise ValueError(f"w must have one weight per feature, shape ({X_arr.shape[1]},).")
    return X_arr, w_arr, _as_scalar(b, "b")


def _labels01(y: Any, n: int) -> np.ndarray:
    arr = _as_float_array(y, "y")
    if arr.shape != (n,) or not np.all((arr == 0) | (arr == 1)):
        raise ValueError(f"y must hold one label, 0 or 1, per point: shape ({n},).")
    return arr


def predict_proba(X: Any, w: Any, b: float) -> np.ndarray:
    """``ŷ = σ(X @ w + b)``: the probability of class 1 for each row of ``X`` (shape ``(n, d)``)."""
    X_arr, w_arr, bias = _model_inputs(X, w, b)
    return sigmoid(X_arr @ w_arr + bias)


def logistic_gradients(
    X: Any, y: Any, w: Any, b: float, *, l2: float = 0.0
) -> tuple[np.ndarray, float]:
    """Gradient of the mean log-loss (plus ``l2/2 · ‖w‖²``) with respect to ``w`` and ``b``.

    Per example ``∂E/∂w_j = -(y - ŷ) x_j`` and ``∂E/∂b = -(y - ŷ)``; this returns their average
    over the rows of ``X``, plus ``l2 · w`` for the weights. The bias is not penalised.
    """
    X_arr, w_arr, bias = _model_inputs(X, w, b)
    y_arr = _labels01(y, X_arr.shape[0])
    penalty = _non_negative(l2, "l2")
    err = y_arr - sigmoid(X_arr @ w_arr + bias)
    grad_w = -(X_arr.T @ err) / len(y_arr) + penalty * w_arr
    grad_b = -float(np.mean(err))
    return grad_w, grad_b


def logistic_update(x: Any, y: Any, w: Any, b: float, lr: float = 0.1) -> tuple[np.ndarray, float]:
    """One gradient-descent step on one point: ``w + lr (y - ŷ) x`` and ``b + lr (y - ŷ)``.

    Unlike the perceptron rule it moves the line for every point, by an amount that grows with
    how wrong the probability ``ŷ`` is. Returns new ``(w, b)``.
    """
    x_arr = _as_float_array(x, "x")
    if x_arr.ndim != 1 or x_arr.size == 0:
        raise ValueError(f"x must be one point of shape (d,), got shape {x_arr.shape}.")
    X1, w_arr, bias = _model_inputs(x_arr[None, :], w, b)
    label = _labels01(np.atleast_1d(_as_scalar(y, "y")), 1)[0]
    rate = _positive(lr, "lr")
    err = label - float(sigmoid(X1[0] @ w_arr + bias))
    return w_arr + rate * err * x_arr, bias + rate * err


@dataclass
class LogisticResult:
    """What :func:`train_logistic_regression` returns."""

    w: np.ndarray
    b: float
    losses: list[float] = field(default_factory=list)  # mean log-loss before each epoch's step


def train_logistic_regression(
    X: Any,
    y: Any,
    *,
    lr: float = 0.1,
    epochs: int = 1000,
    w0: Any = None,
    b0: float = 0.0,
    l2: float = 0.0,
    callback: Callable[[int, float], None] | None = None,
) -> LogisticResult:
    """Full-batch gradient descent on the mean log-loss (plus ``l2/2 · ‖w‖²``).

    Each epoch computes ``ŷ`` for every point, records the loss, and steps
    ``w ← w - lr ∇_w E``, ``b ← b - lr ∂E/∂b``. ``l2 = 1 / (C n)`` gives the same optimum as
    scikit-learn's ``LogisticRegression(C=C)`` on ``n`` points. ``callback(epoch, loss)`` is
    called every epoch (for a live chart).
    """
    X_arr = _as_points(X)
    y_arr = _labels01(y, X_arr.shape[0])
    rate = _positive(lr, "lr")
    n_epochs = _positive_int(epochs, "epochs")
    penalty = _non_negative(l2, "l2")
    w = np.zeros(X_arr.shape[1]) if w0 is None else _model_inputs(X_arr, w0, b0)[1].copy()
    b = _as_scalar(b0, "b0")
    losses: list[float] = []
    for epoch in range(n_epochs):
        z = X_arr @ w + b
        loss = binary_cross_entropy_with_logits(y_arr, z) + 0.5 * penalty * float(w @ w)
        losses.append(loss)
        if callback is not None:
            callback(epoch, loss)
        err = y_arr - sigmoid(z)
        w = w - rate * (-(X_arr.T @ err) / len(y_arr) + penalty * w)
        b = b - rate * (-float(np.mean(err)))
    return LogisticResult(w=w, b=float(b), losses=losses)


# --------------------------------------------------------------------------------------------
# Softmax regression (K classes)
# --------------------------------------------------------------------------------------------


def _softmax_inputs(X: Any, W: Any, b: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X_arr = _as_points(X)
    W_arr = _as_float_array(W, "W")
    if W_arr.ndim != 2 or W_arr.shape[0] != X_arr.shape[1]:
        raise ValueError(f"W must have shape ({X_arr.shape[1]}, K), got {W_arr.shape}.")
    b_arr = _as_float_array(b, "b")
    if b_arr.shape != (W_arr.shape[1],):
        raise ValueError(f"b must have one bias per class, shape ({W_arr.shape[1]},).")
    return X_arr, W_arr, b_arr


def softmax_predict_proba(X: Any, W: Any, b: Any) -> np.ndarray:
    """Class probabilities ``softmax(X @ W + b)`` of shape ``(n, K)``."""
    X_arr, W_arr, b_arr = _softmax_inputs(X, W, b)
    return softmax(X_arr @ W_arr + b_arr, axis=1)


def softmax_regression_gradients(
    X: Any, targets: Any, W: Any, b: Any, *, l2: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of the mean cross-entropy (plus ``l2/2 · ‖W‖²``) for softmax regression.

    With ``P = softmax(X W + b)`` and one-hot targets ``Y``: ``∇_W = Xᵀ (P - Y) / n + l2 W`` and
    ``∇_b = mean over rows of (P - Y)``; the binary formula ``-(y - ŷ) x`` once per class.
    """
    X_arr, W_arr, b_arr = _softmax_inputs(X, W, b)
    Y = _class_targets(targets, X_arr.shape[0], W_arr.shape[1])
    penalty = _non_negative(l2, "l2")
    diff = softmax(X_arr @ W_arr + b_arr, axis=1) - Y
    return X_arr.T @ diff / len(X_arr) + penalty * W_arr, diff.mean(axis=0)


@dataclass
class SoftmaxResult:
    """What :func:`train_softmax_regression` returns."""

    W: np.ndarray  # (d, K)
    b: np.ndarray  # (K,)
    losses: list[float] = field(default_factory=list)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities for the rows of ``X``."""
        return softmax_predict_proba(X, self.W, self.b)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class for each row of ``X``."""
        return np.argmax(self.predict_proba(X), axis=1)


def train_softmax_regression(
    X: Any,
    labels: Any,
    *,
    num_classes: int | None = None,
    lr: float = 0.1,
    epochs: int = 1000,
    l2: float = 0.0,
    callback: Callable[[int, float], None] | None = None,
) -> SoftmaxResult:
    """Full-batch gradient descent for K-class softmax regression, starting from zeros.

    ``labels`` are integers 0 to K-1. ``l2 = 1 / (C n)`` matches scikit-learn's multinomial
    ``LogisticRegression(C=C)``. ``callback(epoch, loss)`` is called every epoch.
    """
    X_arr = _as_points(X)
    Y = one_hot(labels, num_classes)
    if Y.shape[0] != X_arr.shape[0]:
        raise ValueError(f"labels has {Y.shape[0]} entries for {X_arr.shape[0]} points.")
    rate = _positive(lr, "lr")
    n_epochs = _positive_int(epochs, "epochs")
    penalty = _non_negative(l2, "l2")
    k = Y.shape[1]
    W = np.zeros((X_arr.shape[1], k))
    b = np.zeros(k)
    losses: list[float] = []
    for epoch in range(n_epochs):
        Z = X_arr @ W + b
        loss = float(-np.mean(np.sum(Y * log_softmax(Z, axis=1), axis=1)))
        loss += 0.5 * penalty * float(np.sum(W**2))
        losses.append(loss)
        if callback is not None:
            callback(epoch, loss)
        diff = softmax(Z, axis=1) - Y
        W = W - rate * (X_arr.T @ diff / len(X_arr) + penalty * W)
        b = b - rate * diff.mean(axis=0)
    return SoftmaxResult(W=W, b=b, losses=losses)


# --------------------------------------------------------------------------------------------
# The widget of notebook 03
# --------------------------------------------------------------------------------------------


def logistic_snapshot(X: Any, y: Any, w: Any, b: float) -> dict[str, Any]:
    """Everything the "move the weights" widget shows for one setting of ``w`` and ``b``.

    Returns a dict with ``"p"`` (probability of class 1 per point), ``"p_true"`` (probability the
    model gives each point's actual label), ``"loss"`` (per-point log-loss ``-ln p_true``),
    ``"mean_loss"``, ``"predicted"`` (labels at the 0.5 threshold) and ``"accuracy"``.
    """
    X_arr, w_arr, bias = _model_inputs(X, w, b)
    y_arr = _labels01(y, X_arr.shape[0])
    z = X_arr @ w_arr + bias
    p = sigmoid(z)
    per_point = binary_cross_entropy_with_logits(y_arr, z, reduction="none")
    predicted = (p >= 0.5).astype(int)
    return {
        "p": p,
        "p_true": np.where(y_arr == 1, p, 1.0 - p),
        "loss": per_point,
        "mean_loss": float(per_point.mean()),
        "predicted": predicted,
        "accuracy": float(np.mean(predicted == y_arr)),
    }
