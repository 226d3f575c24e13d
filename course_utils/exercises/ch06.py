"""Exercises of notebook 06: training neural networks well.

- :data:`penalised_regression`: gradient descent on linear regression with L1 and L2 penalties.
- :data:`dropout_layer`: a dropout layer with forward, backward and an inference mode.
- :data:`early_stopping_epoch`: the epoch early stopping keeps, from a validation history.
- :data:`momentum_velocity`: the momentum velocity as an exponentially weighted sum.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.checks import Exercise, Feedback
from course_utils.overfitting import first_upturn

__all__ = ["penalised_regression", "dropout_layer", "early_stopping_epoch", "momentum_velocity"]


# --------------------------------------------------------------------------- penalised regression


def _penalised_regression_ref(
    X: Any, y: Any, l1: float, l2: float, lr: float, steps: int
) -> np.ndarray:
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        grad = 2 * X.T @ (X @ w - y) / len(y) + l1 * np.sign(w) + 2 * l2 * w
        w = w - lr * grad
    return w


def _regression_cases() -> list[tuple]:
    rng = np.random.default_rng(6)
    X = rng.normal(size=(40, 5))
    y = X @ np.array([2.0, -1.0, 0.0, 0.0, 0.5]) + 0.1 * rng.normal(size=40)
    return [
        (X, y, 0.0, 0.0, 0.1, 50),
        (X, y, 0.1, 0.0, 0.1, 50),
        (X, y, 0.0, 0.5, 0.1, 50),
        (X, y, 0.2, 0.3, 0.05, 80),
        (X[:, :2], y, 0.0, 0.0, 0.1, 1),
    ]


penalised_regression = Exercise(
    "Gradient descent with L1 and L2 penalties",
    reference=_penalised_regression_ref,
    cases=_regression_cases,
    hints=[
        "Start from w = np.zeros(number of features) and repeat `steps` times: compute the "
        "gradient of the whole penalised loss, then step w = w - lr * grad.",
        "The mean squared error mean((X @ w - y)**2) has the gradient 2 * X.T @ (X @ w - y) / n.",
        "Add the penalties' gradients: l1 * np.sign(w) and 2 * l2 * w.",
    ],
    solution="""
import numpy as np

def penalised_regression(X, y, l1, l2, lr, steps):
    w = np.zeros(X.shape[1])                      # start from zero weights
    for _ in range(steps):
        data_grad = 2 * X.T @ (X @ w - y) / len(y)  # gradient of the mean squared error
        penalty_grad = l1 * np.sign(w) + 2 * l2 * w  # L1 pulls by a constant, L2 by 2*lam*w
        w = w - lr * (data_grad + penalty_grad)
    return w
""",
    answer_name="penalised_regression",
)


# --------------------------------------------------------------------------- a dropout layer


def _check_dropout_layer(layer_class: Any) -> Feedback:
    p, x = 0.25, np.full((200, 50), 2.0)
    upstream = np.random.default_rng(1).normal(size=x.shape)
    if not isinstance(layer_class, type):
        return Feedback(
            False,
            "Pass the class itself (Dropout, no brackets), not an instance of it "
            f"({type(layer_class).__name__}(...)): the check creates its own layers.",
        )
    try:
        layer = layer_class(p, seed=0)
    except TypeError as exc:
        return Feedback(
            False,
            f"Dropout(0.25, seed=0) could not be created (TypeError: {exc}). Is the class "
            "still the `...` placeholder, or does __init__ take other arguments? Write "
            "__init__(self, p, seed=0), forward(self, x, training=True) and "
            "backward(self, grad).",
        )
    given = x.copy()
    out = np.asarray(layer.forward(given, training=True), dtype=float)
    if not np.array_equal(given, x):
        return Feedback(
            False,
            "forward() changed the x it was given (in place, e.g. x *= mask): compute a new "
            "array (x * mask / (1 - p)) so the layer's input stays as it was.",
        )
    if out.shape != x.shape:
        return Feedback(
            False, f"forward() in training mode returned shape {out.shape}, expected {x.shape}."
        )
    kept = out != 0
    if not np.allclose(out[kept], 2.0 / (1 - p)):
        return Feedback(
            False,
            "in training mode every kept entry must be x / (1 - p): for x = 2 "
            f"and p = {p}, {2 / (1 - p):.4f}.",
        )
    if not 0.2 < 1 - kept.mean() < 0.3:
        return Feedback(
            False,
            f"about p = {p} of the entries should be switched off in training "
            f"mode; yours switched off {1 - kept.mean():.1%}.",
        )
    grad = np.asarray(layer.backward(upstream), dtype=float)
    if grad.shape != x.shape or not np.allclose(grad, upstream * kept / (1 - p)):
        return Feedback(
            False,
            "backward(grad) must pass grad / (1 - p) through exactly the entries "
            "the last forward() kept, and 0 elsewhere.",
        )
    same = np.asarray(layer.forward(x.copy(), training=False), dtype=float)
    if not np.array_equal(same, x) or not np.allclose(layer.backward(upstream), upstream):
        return Feedback(
            False,
            "in inference mode (training=False) forward() must return x "
            "unchanged and backward() the gradient unchanged.",
        )
    return Feedback(True, "forward and backward agree in training and inference mode.")


dropout_layer = Exercise(
    "A dropout layer, forward and backward",
    validator=_check_dropout_layer,
    hints=[
        "In forward, draw mask = rng.random(x.shape) >= p (True: keep) and store it on self; "
        "backward needs the same mask.",
        "Training mode: out = x * mask / (1 - p); backward: grad * mask / (1 - p).",
        "Inference mode: keep everything (a mask of ones and no scaling), so forward returns x "
        "and backward returns grad.",
    ],
    solution="""
import numpy as np

class Dropout:
    def __init__(self, p, seed=0):
        self.p = p
        self.rng = np.random.default_rng(seed)

    def forward(self, x, training=True):
        if not training:                       # inference: every unit takes part, no scaling
            self.scale = np.ones_like(x)
            return x
        keep = self.rng.random(x.shape) >= self.p
        self.scale = keep / (1 - self.p)       # 0 for dropped units, 1/(1-p) for kept ones
        return x * self.scale

    def backward(self, grad):
        return grad * self.scale               # out = x * scale, so d out / d x = scale
""",
    answer_name="Dropout",
)


# --------------------------------------------------------------------------- early stopping


def _early_stopping_ref(val_losses: Any, patience: int) -> int:
    # Epochs count from 1; first_upturn gives the 0-based index of the kept evaluation.
    return first_upturn(val_losses, patience) + 1


early_stopping_epoch = Exercise(
    "The epoch early stopping keeps",
    reference=_early_stopping_ref,
    cases=[
        ([1.0, 0.8, 0.7, 0.75, 0.8, 0.9], 2),
        ([1.0, 0.8, 0.7, 0.75, 0.65, 0.9, 0.95, 1.0], 2),
        ([1.0, 0.8, 0.7, 0.75, 0.65, 0.9, 0.95, 1.0], 1),
        ([0.5, 0.6, 0.7], 5),
        ([3.0, 2.0, 1.0, 0.5], 1),
        ([0.9, 0.8, 0.85, 0.86, 0.87, 0.5], 3),
        ([1.0, 0.5, 0.5, 0.6], 2),  # a tie is no improvement
        ([1.0, 0.5, 0.8, 0.7, 0.9], 2),  # 0.7 beats the epoch before it, not the best
    ],
    hints=[
        "Walk through the losses in order, remembering the best loss so far and its epoch.",
        "Count the epochs since the last improvement; when that count reaches patience, stop "
        "(later epochs are never looked at).",
        "Epochs are numbered from 1: the first loss belongs to epoch 1. Return the best epoch.",
    ],
    solution="""
def early_stopping_epoch(val_losses, patience):
    best_epoch, best_loss, waited = 1, val_losses[0], 0
    for epoch, loss in enumerate(val_losses[1:], start=2):
        if loss < best_loss:
            best_epoch, best_loss, waited = epoch, loss, 0
        else:
            waited += 1
            if waited >= patience:
                break                     # stop training: later epochs never happen
    return best_epoch
""",
    answer_name="early_stopping_epoch",
)


# --------------------------------------------------------------------------- momentum


def _momentum_velocity_ref(grads: Any, beta: float) -> Any:
    g = np.asarray(grads, dtype=float)
    t = g.shape[0] - 1
    weights = beta ** np.arange(t, -1, -1)  # oldest gradient gets beta**t
    return np.tensordot(weights, g, axes=1)


momentum_velocity = Exercise(
    "Momentum as a weighted sum",
    reference=_momentum_velocity_ref,
    cases=[
        (np.array([1.0, 1.0, 1.0]), 0.9),
        (np.array([2.0, -1.0, 0.5, 3.0]), 0.5),
        (np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), 0.9),
        (np.array([4.0]), 0.99),
        (np.array([1.0, 2.0, 3.0]), 0.0),
    ],
    hints=[
        "The newest gradient grads[-1] has weight 1, the one before beta, the next beta**2, ...",
        "For T gradients, the weights from oldest to newest are beta**(T-1), ..., beta, 1.",
        "Sum weight * gradient over the steps (a loop, or np.tensordot(weights, grads, axes=1)).",
    ],
    solution="""
def momentum_velocity(grads, beta):
    T = len(grads)
    velocity = 0
    for k in range(T):                 # k steps ago
        velocity = velocity + beta**k * grads[T - 1 - k]
    return velocity
""",
    answer_name="momentum_velocity",
)
