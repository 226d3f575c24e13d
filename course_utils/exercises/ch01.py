"""Exercises of notebook 01 (linear regression).

- :data:`mse`: write the mean squared error.
- :data:`scale_validation`: z-score a validation set with the *training* statistics.
- :data:`mse_gradient`: write the gradient of the MSE with respect to the weights.
- :data:`learning_rate`: pick a learning rate that converges within :data:`LR_TASK_EPOCHS`
  epochs on the small problem :func:`lr_task` (many answers are right).
"""

from __future__ import annotations

import numbers

import numpy as np

from course_utils import linear
from course_utils.checks import Exercise, Feedback

__all__ = ["mse", "scale_validation", "mse_gradient", "learning_rate", "lr_task",
           "LR_TASK_EPOCHS"]


# --------------------------------------------------------------------------- 1. the MSE


def _mse_reference(y_pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((np.asarray(y_pred, float) - np.asarray(y, float)) ** 2))


def _mse_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(1)
    return [
        (np.array([3.0, 5.0]), np.array([3.0, 5.0])),          # perfect: 0
        (np.array([2.0, -2.0]), np.array([0.0, 0.0])),          # errors cancel if not squared
        (np.array([1.0, 2.0, 3.0, 10.0]), np.array([1.5, 2.0, 2.0, 4.0])),
        (rng.normal(size=50), rng.normal(size=50)),
    ]


mse = Exercise(
    "Write the MSE",
    reference=_mse_reference,
    cases=_mse_cases,
    hints=[
        "Subtract, square, average: three NumPy operations, no loop needed.",
        "np.mean((y_pred - y) ** 2)",
    ],
    solution='''
import numpy as np

def mse(y_pred, y):
    """Mean squared error between predictions and targets."""
    return np.mean((y_pred - y) ** 2)

answer = mse
''',
)


# --------------------------------------------------------------------------- 2. scaling


def _scale_validation_reference(X_train: np.ndarray, X_val: np.ndarray) -> np.ndarray:
    mean, std = linear.zscore_fit(X_train)
    return linear.zscore_apply(X_val, mean, std)


def _scale_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(2)
    # The validation data deliberately has other means and spreads than the training data, so
    # scaling it with its own statistics gives a different (wrong) answer.
    X_train = rng.normal([3.0, 30.0, 1000.0], [2.0, 12.0, 1100.0], size=(40, 3))
    X_val = rng.normal([4.0, 25.0, 1500.0], [1.0, 8.0, 600.0], size=(10, 3))
    small_train = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]])
    small_val = np.array([[3.0, 20.0], [7.0, 0.0]])
    return [(small_train, small_val), (X_train, X_val)]


scale_validation = Exercise(
    "Scale the validation set with training statistics",
    reference=_scale_validation_reference,
    cases=_scale_cases,
    hints=[
        "Compute the mean and standard deviation of each column of X_train (axis=0).",
        "Then return (X_val - mean) / std with those training numbers, not X_val's own.",
    ],
    solution='''
import numpy as np

def scale_validation(X_train, X_val):
    """z-score X_val using the column means and standard deviations of X_train."""
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    return (X_val - mean) / std

answer = scale_validation
''',
)


# --------------------------------------------------------------------------- 3. the gradient


def _gradient_reference(Xb: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    return linear.mse_gradient(Xb, y, w)


def _gradient_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(3)
    cases = [(np.array([[1.0, 2.0], [1.0, -1.0], [1.0, 0.5]]), np.array([1.0, 0.0, 2.0]),
              np.array([0.5, -0.25]))]
    for n, d in [(20, 4), (7, 9)]:
        Xb = linear.add_bias_column(rng.normal(size=(n, d - 1)))
        cases.append((Xb, rng.normal(size=n), rng.normal(size=d)))
    return cases


mse_gradient = Exercise(
    "Write the gradient of the MSE",
    reference=_gradient_reference,
    cases=_gradient_cases,
    hints=[
        "Start from the residuals r = Xb @ w - y (one number per example).",
        "Each weight's derivative is 2/n times the sum of r times its column: that is Xb.T @ r.",
        "return 2 / len(y) * Xb.T @ (Xb @ w - y)",
    ],
    solution='''
import numpy as np

def mse_gradient(Xb, y, w):
    """Gradient of mean((Xb @ w - y) ** 2) with respect to w."""
    residual = Xb @ w - y
    return 2 / len(y) * Xb.T @ residual

answer = mse_gradient
''',
)


# --------------------------------------------------------------------------- 4. learning rate

LR_TASK_EPOCHS = 30
"""The epoch budget of the learning-rate exercise."""


def lr_task() -> tuple[np.ndarray, np.ndarray]:
    """The small regression problem of the learning-rate exercise: ``(Xb, y)``.

    200 examples, three correlated z-scored features and the bias column (so ``Xb`` has shape
    (200, 4)); the same arrays on every call.
    """
    rng = np.random.default_rng(2024)
    mixing = np.array([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.3, 0.3, 0.9]])
    X = rng.normal(size=(200, 3)) @ mixing.T
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    Xb = linear.add_bias_column(X)
    y = Xb @ np.array([1.5, 2.0, -1.0, 0.5]) + rng.normal(0.0, 0.5, size=200)
    return Xb, y


def _validate_learning_rate(answer: object) -> Feedback:
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return Feedback(False, f"the answer should be one number such as 0.05, but it is a "
                               f"{type(answer).__name__}.")
    lr = float(answer)
    if not np.isfinite(lr) or lr <= 0:
        return Feedback(False, f"a learning rate must be a positive finite number, got {lr}.")
    Xb, y = lr_task()
    optimum = linear.mse(Xb @ linear.normal_equation(Xb, y), y)
    target = 1.01 * optimum
    limit = linear.max_stable_learning_rate(Xb)
    run = linear.gradient_descent(Xb, y, lr=lr, epochs=LR_TASK_EPOCHS)
    if run.diverged:
        return Feedback(False, f"with lr = {lr:g} the loss blew up after {run.epochs_run} "
                               "epochs: the steps overshoot the bottom of the bowl. Try a "
                               "smaller value.")
    if lr >= limit:
        return Feedback(False, f"lr = {lr:g} is above the stability limit of this problem "
                               f"({limit:.3f}): the loss may dip at first, but it grows again "
                               "later. Try a smaller value.")
    final = run.train_loss[-1]
    if final > target:
        gap = 100 * (final / optimum - 1)
        advice = ("try a larger value" if lr < limit / 2 else
                  "this rate is close to the stability limit, so the loss bounces from side to "
                  "side and settles slowly; try a somewhat smaller value")
        return Feedback(False, f"after {LR_TASK_EPOCHS} epochs with lr = {lr:g} the training MSE "
                               f"is {final:.4f}, still {gap:.1f} % above the best possible "
                               f"{optimum:.4f}: {advice}.")
    reached = linear.epochs_to_reach(run.train_loss, target)
    return Feedback(True, f"lr = {lr:g} gets within 1 % of the best possible MSE ({optimum:.4f}) "
                          f"after {reached} epochs, inside the budget of {LR_TASK_EPOCHS}.")


learning_rate = Exercise(
    "Pick a learning rate",
    validator=_validate_learning_rate,
    hints=[
        "Try a few values spread over orders of magnitude: 0.01, 0.03, 0.1, 0.3, 1.",
        "Run linear.gradient_descent(Xb, y, lr=..., epochs=ch01.LR_TASK_EPOCHS) for each and "
        "compare run.train_loss[-1] with 1.01 times the MSE of linear.normal_equation(Xb, y).",
        "linear.max_stable_learning_rate(Xb) tells you where divergence starts; the best rates "
        "sit somewhat below it.",
    ],
    solution='''
from course_utils import linear
from course_utils.exercises import ch01

Xb, y = ch01.lr_task()
w_best = linear.normal_equation(Xb, y)
target = 1.01 * linear.mse(Xb @ w_best, y)

# Sweep learning rates from small to large and keep the first that gets there in time.
for lr in [0.01, 0.03, 0.1, 0.3, 1.0]:
    run = linear.gradient_descent(Xb, y, lr=lr, epochs=ch01.LR_TASK_EPOCHS)
    if not run.diverged and run.train_loss[-1] <= target:
        break

answer = lr
''',
)
