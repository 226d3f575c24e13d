"""The perceptron: a line, a step function and a rule that moves the line on mistakes.

Notebook 02 builds these pieces up one at a time; later notebooks and the tests reuse them.

- :func:`step` and :func:`predict` turn scores ``w·x + b`` into labels 0 and 1.
- :func:`perceptron_update` applies the update rule to one point.
- :func:`perceptron_trace` records every visit of every point, one :class:`PerceptronStep` each;
  :func:`state_after` reads the weights after any number of steps (the step-through widget uses
  both) and :func:`describe_step` says in words what one step did.
- :func:`train_perceptron` runs the rule until every point is right or the epochs run out.
- :func:`pocket_perceptron` keeps the best line met so far, for data no line separates.
- :func:`mistake_bound` computes the convergence guarantee ``(R / γ)²`` for separable data.
- :func:`xor_data` makes the classic data set that no line can separate.
- :func:`line_points` gives two points of a line for drawing; the pictures themselves are in
  :mod:`course_utils.plotting.ch02`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from course_utils.validation import as_float_array as _as_float_array
from course_utils.validation import as_matrix as _as_points
from course_utils.validation import as_number as _as_scalar
from course_utils.validation import positive as _positive
from course_utils.validation import positive_int as _positive_int

__all__ = [
    "step",
    "predict",
    "perceptron_update",
    "PerceptronStep",
    "perceptron_trace",
    "state_after",
    "describe_step",
    "PerceptronResult",
    "train_perceptron",
    "pocket_perceptron",
    "mistake_bound",
    "xor_data",
    "line_points",
]


def _as_labels(y: Any, n: int, name: str = "y") -> np.ndarray:
    arr = _as_float_array(y, name)
    if arr.shape != (n,) or not np.all((arr == 0) | (arr == 1)):
        raise ValueError(f"{name} must hold one label, 0 or 1, per point: shape ({n},).")
    return arr.astype(int)


def _as_weights(w: Any, d: int, name: str = "w") -> np.ndarray:
    arr = _as_float_array(w, name)
    if arr.shape != (d,):
        raise ValueError(f"{name} must have shape ({d},), one weight per feature, got {arr.shape}.")
    return arr


# --------------------------------------------------------------------------------------------
# Prediction and the update rule
# --------------------------------------------------------------------------------------------


def step(z: Any) -> Any:
    """The step activation: 1 where ``z >= 0``, else 0 (a point on the line counts as positive).

    Accepts a number or an array; returns an int or an int array of the same shape.
    """
    arr = _as_float_array(z, "z")
    out = (arr >= 0).astype(int)
    return int(out) if out.ndim == 0 else out


def predict(X: Any, w: Any, b: Any) -> Any:
    """Labels ``step(X @ w + b)`` for points ``X`` of shape ``(n, d)`` (or one point ``(d,)``)."""
    X_arr = _as_float_array(X, "X")
    single = X_arr.ndim == 1
    X_arr = _as_points(X_arr[None, :] if single else X_arr)
    w_arr = _as_weights(w, X_arr.shape[1])
    bias = _as_scalar(b, "b")
    labels = step(X_arr @ w_arr + bias)
    return int(labels[0]) if single else labels


def perceptron_update(x: Any, y: Any, w: Any, b: Any, lr: float = 0.1) -> tuple[np.ndarray, float]:
    """Apply the perceptron rule for one point ``x`` with label ``y`` (0 or 1).

    - predicted 0 but labelled 1: ``w + lr * x`` and ``b + lr`` (the line moves towards the point);
    - predicted 1 but labelled 0: ``w - lr * x`` and ``b - lr`` (the line moves away from it);
    - classified correctly: ``w`` and ``b`` are returned unchanged.

    Both cases are ``w + lr * (y - ŷ) * x`` and ``b + lr * (y - ŷ)``. Returns new ``(w, b)``;
    the inputs are never modified.
    """
    x_arr = _as_float_array(x, "x")
    if x_arr.ndim != 1 or x_arr.size == 0:
        raise ValueError(f"x must be one point of shape (d,), got shape {x_arr.shape}.")
    label = _as_labels(np.atleast_1d(_as_scalar(y, "y")), 1)[0]
    w_arr = _as_weights(w, x_arr.size)
    bias = _as_scalar(b, "b")
    rate = _positive(lr, "lr")
    error = label - step(float(x_arr @ w_arr + bias))  # +1, -1 or 0
    return w_arr + rate * error * x_arr, bias + rate * error


@dataclass(frozen=True)
class PerceptronStep:
    """One visit of one point during training (the widget of notebook 02 steps through these)."""

    step: int  # 1, 2, 3, ... over the whole run
    epoch: int  # 1, 2, 3, ...
    index: int  # which point of X was visited
    x: np.ndarray
    label: int
    prediction: int  # what the line said before the update
    w_before: np.ndarray
    b_before: float
    w_after: np.ndarray
    b_after: float

    @property
    def updated(self) -> bool:
        """True when the point was misclassified, so the line moved."""
        return self.prediction != self.label


def _start(X: np.ndarray, w0: Any, b0: Any) -> tuple[np.ndarray, float]:
    w = np.zeros(X.shape[1]) if w0 is None else _as_weights(w0, X.shape[1], "w0")
    return w.copy(), _as_scalar(b0, "b0")


def perceptron_trace(
    X: Any,
    y: Any,
    *,
    lr: float = 0.1,
    max_epochs: int = 100,
    w0: Any = None,
    b0: float = 0.0,
    rng: np.random.Generator | None = None,
) -> list[PerceptronStep]:
    """Run the perceptron and record every point visit.

    An epoch visits every point once, in order (or in a fresh random order per epoch when ``rng``
    is given). Training stops at the end of the first epoch after which every point is classified
    correctly, or after ``max_epochs`` epochs. ``w0`` and ``b0`` are the starting line (zeros by
    default).
    """
    X_arr = _as_points(X)
    y_arr = _as_labels(y, X_arr.shape[0])
    rate = _positive(lr, "lr")
    epochs = _positive_int(max_epochs, "max_epochs")
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator (np.random.default_rng(seed)).")
    w, b = _start(X_arr, w0, b0)
    records: list[PerceptronStep] = []
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(X_arr)) if rng is not None else range(len(X_arr))
        for i in order:
            i = int(i)
            pred = int(X_arr[i] @ w + b >= 0)
            error = y_arr[i] - pred
            w_new, b_new = w + rate * error * X_arr[i], b + rate * error
            records.append(
                PerceptronStep(
                    len(records) + 1,
                    epoch,
                    i,
                    X_arr[i].copy(),
                    int(y_arr[i]),
                    pred,
                    w.copy(),
                    float(b),
                    w_new.copy(),
                    float(b_new),
                )
            )
            w, b = w_new, b_new
        if np.all(step(X_arr @ w + b) == y_arr):
            break
    return records


def state_after(
    trace: list[PerceptronStep], k: int, *, w0: Any = None, b0: float = 0.0
) -> tuple[np.ndarray, float]:
    """The weights and bias after the first ``k`` steps of ``trace`` (``k = 0``: the start).

    ``w0``/``b0`` are only needed for ``k = 0`` on an empty trace; otherwise the start is read from
    the first step.
    """
    if not isinstance(trace, list) or not all(isinstance(s, PerceptronStep) for s in trace):
        raise TypeError("trace must be the list returned by perceptron_trace().")
    if not 0 <= k <= len(trace):
        raise ValueError(f"k must be between 0 and {len(trace)} (the number of steps), got {k}.")
    if k == 0:
        if trace:
            return trace[0].w_before.copy(), trace[0].b_before
        if w0 is None:
            raise ValueError("The trace is empty: pass w0 (and b0) to say where it started.")
        return _as_float_array(w0, "w0").copy(), _as_scalar(b0, "b0")
    last = trace[k - 1]
    return last.w_after.copy(), last.b_after


def _fmt_vec(v: np.ndarray) -> str:
    return "(" + ", ".join(f"{float(x):.2f}" for x in v) + ")"


def describe_step(s: PerceptronStep, lr: float | None = None) -> str:
    """One sentence on what a step did: which point, what the line said, how it moved."""
    if not isinstance(s, PerceptronStep):
        raise TypeError(f"describe_step needs a PerceptronStep, got {type(s).__name__}.")
    head = (
        f"Step {s.step} (epoch {s.epoch}): point #{s.index} at {_fmt_vec(s.x)} has label "
        f"{s.label}; the line predicts {s.prediction}"
    )
    if not s.updated:
        return head + ", which is right, so nothing changes."
    sign = "+" if s.label == 1 else "-"
    rate = f"{lr:g}" if lr is not None else "α"
    return (
        head + f", which is wrong, so w {sign}= {rate}·{_fmt_vec(s.x)} and b {sign}= {rate}. "
        f"New w = {_fmt_vec(s.w_after)}, b = {s.b_after:.2f}."
    )


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


@dataclass
class PerceptronResult:
    """What :func:`train_perceptron` returns."""

    w: np.ndarray
    b: float
    converged: bool  # True when every point is classified correctly
    epochs: int  # epochs run
    n_updates: int  # mistakes met (each moved the line once)
    mistakes_per_epoch: list[int] = field(default_factory=list)  # updates during each epoch
    errors_after_epoch: list[int] = field(default_factory=list)  # misclassified at each epoch end
    lines: list[tuple[np.ndarray, float]] = field(default_factory=list)  # (w, b) after each update
    epoch_lines: list[tuple[np.ndarray, float]] = field(default_factory=list)  # at each epoch end


def train_perceptron(
    X: Any,
    y: Any,
    *,
    lr: float = 0.1,
    max_epochs: int = 100,
    w0: Any = None,
    b0: float = 0.0,
    rng: np.random.Generator | None = None,
) -> PerceptronResult:
    """Train a perceptron until every point is right or ``max_epochs`` epochs have run.

    Same arguments as :func:`perceptron_trace` (it is built on it). Returns a
    :class:`PerceptronResult` with the final line and the history needed for plots.
    """
    X_arr = _as_points(X)
    y_arr = _as_labels(y, X_arr.shape[0])
    trace = perceptron_trace(X_arr, y_arr, lr=lr, max_epochs=max_epochs, w0=w0, b0=b0, rng=rng)
    w, b = state_after(trace, len(trace))
    n_epochs = trace[-1].epoch
    mistakes = [0] * n_epochs
    errors_after: list[int] = []
    epoch_lines: list[tuple[np.ndarray, float]] = []
    lines: list[tuple[np.ndarray, float]] = []
    for s in trace:
        if s.updated:
            mistakes[s.epoch - 1] += 1
            lines.append((s.w_after.copy(), s.b_after))
    n = len(X_arr)
    for e in range(1, n_epochs + 1):
        w_e, b_e = trace[e * n - 1].w_after, trace[e * n - 1].b_after
        epoch_lines.append((w_e.copy(), b_e))
        errors_after.append(int(np.sum(step(X_arr @ w_e + b_e) != y_arr)))
    return PerceptronResult(
        w=w,
        b=b,
        converged=errors_after[-1] == 0,
        epochs=n_epochs,
        n_updates=sum(mistakes),
        mistakes_per_epoch=mistakes,
        errors_after_epoch=errors_after,
        lines=lines,
        epoch_lines=epoch_lines,
    )


def pocket_perceptron(
    X: Any,
    y: Any,
    *,
    lr: float = 0.1,
    epochs: int = 50,
    w0: Any = None,
    b0: float = 0.0,
) -> tuple[np.ndarray, float, list[int], list[int]]:
    """The perceptron rule with a pocket: keep the best line met so far.

    On data that no line separates the plain rule never settles, and the line it stops with is
    whatever the last mistake made of it. The pocket algorithm runs the same rule, visiting the
    points in order for ``epochs`` epochs, but after every update it counts the training mistakes
    of the new line and keeps that line "in the pocket" when it makes fewer mistakes than the
    line already there. Returns ``(w, b, pocket_mistakes, current_mistakes)``: the pocketed line,
    and after each epoch the mistakes of the pocketed line and of the line the rule is at.
    """
    X = _as_points(X)
    y = _as_labels(y, X.shape[0])
    lr = _positive(lr, "lr")
    epochs = _positive_int(epochs, "epochs")
    w0 = None if w0 is None else _as_weights(w0, X.shape[1], "w0")
    b0 = _as_scalar(b0, "b0")
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=float)
    b = float(b0)
    best_w, best_b = w.copy(), b
    best_errors = int(np.sum(step(X @ w + b) != y))
    pocket_mistakes, current_mistakes = [], []
    for _ in range(epochs):
        for x_i, y_i in zip(X, y):
            error = y_i - step(x_i @ w + b)  # +1, -1 or 0
            if error != 0:  # a mistake moves the line ...
                w, b = w + lr * error * x_i, b + lr * error
                errors = int(np.sum(step(X @ w + b) != y))
                if errors < best_errors:  # ... and a better line goes into the pocket
                    best_w, best_b, best_errors = w.copy(), b, errors
        pocket_mistakes.append(best_errors)
        current_mistakes.append(int(np.sum(step(X @ w + b) != y)))
    return best_w, best_b, pocket_mistakes, current_mistakes


def mistake_bound(X: Any, y: Any, u: Any, c: float) -> tuple[float, float, float]:
    """The perceptron convergence guarantee for data that the line ``u·x + c = 0`` separates.

    Each point is extended to ``(x, 1)`` so the bias becomes a weight. With
    ``R = max ‖(x, 1)‖`` and the margin ``γ = min ± (u·x + c) / ‖(u, c)‖`` (sign + for label 1,
    - for label 0), a perceptron started at zero makes at most ``(R / γ)²`` updates, whatever the
    learning rate and the order of the points. Returns ``(R, γ, (R / γ)²)``.

    Raises ValueError when ``(u, c)`` does not separate the data (``γ <= 0``).
    """
    X_arr = _as_points(X)
    y_arr = _as_labels(y, X_arr.shape[0])
    u_arr = _as_weights(u, X_arr.shape[1], "u")
    bias = _as_scalar(c, "c")
    norm = float(np.sqrt(u_arr @ u_arr + bias**2))
    if norm == 0:
        raise ValueError("u and c are all zero: that is not a line.")
    signs = np.where(y_arr == 1, 1.0, -1.0)
    gamma = float(np.min(signs * (X_arr @ u_arr + bias)) / norm)
    if gamma <= 0:
        raise ValueError(f"The line u·x + c = 0 does not separate the data (margin {gamma:.3g}).")
    radius = float(np.sqrt(np.max(np.sum(X_arr**2, axis=1) + 1.0)))
    return radius, gamma, (radius / gamma) ** 2


def xor_data(
    n_per_corner: int = 1, *, noise: float = 0.0, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The XOR pattern: label 1 at corners (0, 1) and (1, 0), label 0 at (0, 0) and (1, 1).

    ``n_per_corner`` points per corner, jittered by Gaussian ``noise`` (needs ``rng`` when
    ``noise > 0``). With the defaults it returns the four corners. No line separates these labels.
    """
    count = _positive_int(n_per_corner, "n_per_corner")
    spread = _as_scalar(noise, "noise")
    if spread < 0:
        raise ValueError(f"noise must be non-negative, got {spread}.")
    if spread > 0 and not isinstance(rng, np.random.Generator):
        raise TypeError("noise > 0 needs rng=np.random.default_rng(seed).")
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0])
    X = np.repeat(corners, count, axis=0)
    y = np.repeat(labels, count)
    if spread > 0:
        X = X + rng.normal(0.0, spread, size=X.shape)
    return X, y


# --------------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------------


def line_points(w: Any, b: float) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Two points on the line ``w[0]·x1 + w[1]·x2 + b = 0`` (for ``ax.axline``), or None.

    None means ``w`` is zero, so there is no line (every point gets the same label).
    """
    w_arr = _as_weights(w, 2)
    bias = _as_scalar(b, "b")
    w1, w2 = float(w_arr[0]), float(w_arr[1])
    if abs(w2) > 1e-12:
        return (0.0, -bias / w2), (1.0, -(w1 + bias) / w2)
    if abs(w1) > 1e-12:
        return (-bias / w1, 0.0), (-bias / w1, 1.0)
    return None
