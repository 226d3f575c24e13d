"""Exercises of notebook 01 (linear regression).

- :data:`mse`: write the mean squared error.
- :data:`scale_validation`: z-score a validation set with the *training* statistics.
- :data:`mse_gradient`: write the gradient of the MSE with respect to the weights.
- :data:`learning_rate`: pick a learning rate that converges within :data:`LR_TASK_EPOCHS`
  epochs on the small problem :func:`lr_task` (many answers are right).
- :data:`gradient_descent`: write the whole training loop.
"""

from __future__ import annotations

import numbers

import numpy as np

from course_utils import linear
from course_utils.checks import Exercise, Feedback

__all__ = [
    "mse",
    "scale_validation",
    "mse_gradient",
    "learning_rate",
    "gradient_descent",
    "lr_task",
    "LR_TASK_EPOCHS",
]


# --------------------------------------------------------------------------- 1. the MSE


def _mse_reference(y_pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((np.asarray(y_pred, float) - np.asarray(y, float)) ** 2))


def _mse_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(1)
    return [
        (np.array([3.0, 5.0]), np.array([3.0, 5.0])),  # perfect: 0
        (np.array([2.0, -2.0]), np.array([0.0, 0.0])),  # errors cancel if not squared
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
    solution="""
import numpy as np


def your_mse(y_pred, y):
    # Subtract to get the errors, square each one, and average. NumPy does all three on whole
    # arrays at once, so no loop is needed.
    return np.mean((y_pred - y) ** 2)
""",
    answer_name="your_mse",
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
    solution="""
import numpy as np



def your_scale_validation(X_train, X_val):
    # axis=0 averages down the rows: one mean and one standard deviation per column. The
    # subtraction and division then apply them to every row of X_val (broadcasting, section 8).
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    return (X_val - mean) / std
""",
    answer_name="your_scale_validation",
)


# --------------------------------------------------------------------------- 3. the gradient


def _gradient_reference(Xb: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    return linear.mse_gradient(Xb, y, w)


def _gradient_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(3)
    cases = [
        (
            np.array([[1.0, 2.0], [1.0, -1.0], [1.0, 0.5]]),
            np.array([1.0, 0.0, 2.0]),
            np.array([0.5, -0.25]),
        )
    ]
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
    solution="""
import numpy as np



def your_mse_gradient(Xb, y, w):
    # A common slip is to forget the factor 2 (it comes from differentiating the square), or to
    # compute Xb @ residual, which fails because the shapes do not fit: the gradient needs Xb.T.
    residual = Xb @ w - y  # one error per example
    return 2 / len(y) * Xb.T @ residual  # one slope per weight
""",
    answer_name="your_mse_gradient",
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
        return Feedback(
            False,
            f"the answer should be one number such as 0.05, but it is a {type(answer).__name__}.",
        )
    lr = float(answer)
    if not np.isfinite(lr) or lr <= 0:
        return Feedback(False, f"a learning rate must be a positive finite number, got {lr}.")
    Xb, y = lr_task()
    optimum = linear.mse(Xb @ linear.normal_equation(Xb, y), y)
    target = 1.01 * optimum
    limit = linear.max_stable_learning_rate(Xb)
    run = linear.gradient_descent(Xb, y, lr=lr, epochs=LR_TASK_EPOCHS)
    if run.diverged:
        return Feedback(
            False,
            f"with lr = {lr:g} the loss blew up after {run.epochs_run} "
            "epochs: the steps overshoot the bottom of the bowl. Try a "
            "smaller value.",
        )
    if lr >= limit:
        return Feedback(
            False,
            f"lr = {lr:g} is above the stability limit of this problem "
            f"({limit:.3f}): the loss may dip at first, but it grows again "
            "later. Try a smaller value.",
        )
    final = run.train_loss[-1]
    if final > target:
        gap = 100 * (final / optimum - 1)
        advice = (
            "try a larger value"
            if lr < limit / 2
            else "this rate is close to the stability limit, so the loss bounces from side to "
            "side and settles slowly; try a somewhat smaller value"
        )
        return Feedback(
            False,
            f"after {LR_TASK_EPOCHS} epochs with lr = {lr:g} the training MSE "
            f"is {final:.4f}, still {gap:.1f} % above the best possible "
            f"{optimum:.4f}: {advice}.",
        )
    reached = linear.epochs_to_reach(run.train_loss, target)
    return Feedback(
        True,
        f"lr = {lr:g} gets within 1 % of the best possible MSE ({optimum:.4f}) "
        f"after {reached} epochs, inside the budget of {LR_TASK_EPOCHS}.",
    )


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
    solution="""
from course_utils import linear
from course_utils.exercises import ch01

Xb_task, y_task = ch01.lr_task()
w_task = linear.normal_equation(Xb_task, y_task)
task_target = 1.01 * linear.mse(Xb_task @ w_task, y_task)

# Sweep rates spaced by about 3 and keep the first that arrives in time: 0.1 is too slow here,
# 1.0 diverges and 0.3 arrives. linear.max_stable_learning_rate(Xb_task) is about 0.49, and
# rates from about 0.24 to 0.46 pass. The flattest direction of this problem is 10 times flatter
# than the steepest, which is why the window is fairly narrow.
for task_rate in [0.01, 0.03, 0.1, 0.3, 1.0]:
    task_run = linear.gradient_descent(Xb_task, y_task, lr=task_rate,
                                       epochs=ch01.LR_TASK_EPOCHS)
    if not task_run.diverged and task_run.train_loss[-1] <= task_target:
        break

your_learning_rate = task_rate
""",
    answer_name="your_learning_rate",
)


# --------------------------------------------------------------------------- 5. the whole loop


def _gd_reference(
    Xb: np.ndarray, y: np.ndarray, w0: np.ndarray, lr: float, epochs: int
) -> np.ndarray:
    w = np.asarray(w0, dtype=float).copy()
    for _ in range(epochs):
        w = w - lr * 2 / len(y) * Xb.T @ (Xb @ w - y)
    return w


def _gd_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float, int]]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    Xb = np.hstack([np.ones((40, 1)), X])
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + rng.normal(0, 0.1, 40)
    return [
        (Xb, y, np.zeros(4), 0.1, 1),  # one step
        (Xb, y, np.zeros(4), 0.1, 50),  # many steps
        (Xb, y, rng.normal(size=4), 0.02, 30),
        (Xb[:5, :2], y[:5], np.array([0.5, -0.5]), 0.3, 0),  # no step at all
    ]


gradient_descent = Exercise(
    "Write gradient descent",
    reference=_gd_reference,
    cases=_gd_cases,
    hints=[
        "Copy w0 first (w = w0.copy()), so the caller's array is not changed.",
        "Repeat `epochs` times: gradient = 2 / n * Xb.T @ (Xb @ w - y), then w = w - lr * gradient.",
        "Return the final weights, an array of the same shape as w0.",
    ],
    solution="""
def your_gradient_descent(Xb, y, w0, lr, epochs):
    w = w0.copy()  # work on a copy: the caller's weights stay as they were
    for _ in range(epochs):
        gradient = 2 / len(y) * Xb.T @ (Xb @ w - y)  # the slope of the MSE at w
        w = w - lr * gradient  # one step downhill
    return w
""",
    answer_name="your_gradient_descent",
)
