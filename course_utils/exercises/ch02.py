"""Exercises of notebook 02 (the perceptron).

- :data:`step_outputs`: read four points against a line by hand (one sits exactly on it).
- :data:`predict`: write the vectorised prediction ``step(X @ w + b)``.
- :data:`one_update`: apply the update rule once, by hand.
- :data:`update`: write the update rule as a function that returns ``(new_w, new_b)``.
- :data:`train`: write the whole perceptron algorithm (epochs until every point is right).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils import perceptron
from course_utils.checks import Exercise, Feedback, compare

__all__ = ["step_outputs", "predict", "one_update", "update", "train"]


# --------------------------------------------------------------------------- 1. step outputs by hand

STEP_LINE = (np.array([2.0, 1.0]), -4.0)  # the line 2·x1 + x2 - 4 = 0
STEP_POINTS = np.array([[1.0, 1.0], [2.0, 0.0], [3.0, 1.0], [0.0, 3.0]])

step_outputs = Exercise(
    "Predict the step outputs",
    expected=lambda: perceptron.predict(STEP_POINTS, *STEP_LINE).astype(float),
    hints=[
        "For each point compute the score 2·x1 + x2 - 4, then apply the step: 1 if the score is "
        ">= 0, else 0.",
        "The point (2, 0) has score exactly 0. The step function used here says 1 for a score "
        "of 0.",
    ],
    solution="""
# scores: 2*1 + 1 - 4 = -1,  2*2 + 0 - 4 = 0,  2*3 + 1 - 4 = 3,  2*0 + 3 - 4 = -1
answer = [0, 1, 1, 0]
""",
)


# --------------------------------------------------------------------------- 2. predict


def _predict_reference(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return perceptron.predict(X, w, b)


def _predict_cases() -> list[tuple[np.ndarray, np.ndarray, float]]:
    rng = np.random.default_rng(20)
    return [
        (STEP_POINTS.copy(), STEP_LINE[0].copy(), STEP_LINE[1]),  # includes a score of exactly 0
        (np.array([[0.0, 0.0], [5.0, -1.0]]), np.array([-1.0, 2.0]), 0.5),
        (rng.normal(size=(30, 2)), rng.normal(size=2), float(rng.normal())),
        (rng.normal(size=(10, 3)), rng.normal(size=3), -0.2),  # works for any number of features
    ]


predict = Exercise(
    "Write the perceptron's prediction",
    reference=_predict_reference,
    cases=_predict_cases,
    hints=[
        "X @ w + b gives one score per row of X, with no loop.",
        "Turn the scores into 0/1 with (scores >= 0).astype(int): a score of exactly 0 counts as 1.",
    ],
    solution="""
import numpy as np



def predict_mine(X, w, b):
    # X @ w gives one score per row; comparing with 0 gives booleans; .astype(int) turns them
    # into 1 and 0. A score of exactly 0 counts as 1.
    return (X @ w + b >= 0).astype(int)
""",
    answer_name="predict_mine",
)


# --------------------------------------------------------------------------- 3. one update by hand

ONE_UPDATE_START = (np.array([3.0, 4.0]), -10.0)
ONE_UPDATE_POINT = (np.array([1.0, 1.0]), 1)
ONE_UPDATE_LR = 0.1


def _one_update_expected() -> np.ndarray:
    w, b = perceptron.perceptron_update(*ONE_UPDATE_POINT, *ONE_UPDATE_START, lr=ONE_UPDATE_LR)
    return np.append(w, b)


one_update = Exercise(
    "Apply one update by hand",
    expected=_one_update_expected,
    atol=1e-6,
    hints=[
        "First decide whether the point is misclassified: score = 3·1 + 4·1 - 10.",
        "The score is negative, so the line says 0 but the label is 1: add α·(p, q) to the "
        "weights and α to the bias.",
    ],
    solution="""
# score 3 + 4 - 10 = -3 < 0: predicted 0, label 1, so the line moves towards the point
answer = [3 + 0.1 * 1, 4 + 0.1 * 1, -10 + 0.1]   # [3.1, 4.1, -9.9]
""",
)


# --------------------------------------------------------------------------- 4. the update rule


def _update_cases() -> list[tuple[np.ndarray, int, np.ndarray, float, float]]:
    return [
        (np.array([1.0, 1.0]), 1, np.array([3.0, 4.0]), -10.0, 0.1),  # label 1, predicted 0
        (np.array([3.0, 2.0]), 0, np.array([3.0, 4.0]), -10.0, 0.1),  # label 0, predicted 1
        (np.array([3.0, 2.0]), 1, np.array([3.0, 4.0]), -10.0, 0.1),  # right: nothing changes
        (np.array([2.0, 0.0]), 0, np.array([2.0, 1.0]), -4.0, 0.5),  # on the line: predicted 1
        (np.array([-1.0, 0.5, 2.0]), 1, np.array([0.2, -0.4, -0.3]), 0.1, 0.05),  # 3 features
    ]


def _update_validator(fn: Any) -> Feedback:
    if not callable(fn):
        return Feedback(
            False,
            "Expected a function update(x, y, w, b, lr); pass the function "
            "itself, without brackets.",
        )
    for i, (x, y, w, b, lr) in enumerate(_update_cases(), start=1):
        x_in, w_in = x.copy(), w.copy()
        try:
            got = fn(x_in, y, w_in, b, lr)
        except Exception as exc:  # noqa: BLE001 - learner errors become feedback
            return Feedback(False, f"test {i}: update raised {type(exc).__name__}: {exc}")
        if not np.array_equal(w_in, w):
            return Feedback(
                False,
                f"test {i}: your function changed the w it was given (an "
                "in-place `w += ...`). Build a new array: w = w + ...",
            )
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return Feedback(
                False,
                f"test {i}: update should return a pair (new_w, new_b), "
                f"but it returned {type(got).__name__} {got!r:.60}.",
            )
        want_w, want_b = perceptron.perceptron_update(x, y, w, b, lr=lr)
        for part, want, name in ((got[0], want_w, "new_w"), (got[1], want_b, "new_b")):
            fb = compare(part, want, name=name)
            if not fb.ok:
                case = f"x={x.tolist()}, y={y}, w={w.tolist()}, b={b}, lr={lr}"
                return Feedback(False, f"test {i} ({case}): {fb.message}")
    return Feedback(True, f"update passed all {len(_update_cases())} tests.")


update = Exercise(
    "Write the perceptron update rule",
    validator=_update_validator,
    hints=[
        "Start with the prediction: y_hat = 1 if x @ w + b >= 0 else 0.",
        "The difference y - y_hat is +1, -1 or 0; multiply it by lr to get the step for the "
        "bias, and by lr * x for the weights.",
    ],
    solution="""
import numpy as np



def update(x, y, w, b, lr):
    y_hat = 1 if x @ w + b >= 0 else 0
    error = y - y_hat  # +1: move towards x, -1: move away, 0: leave the line alone
    # Return new arrays: `w += lr * error * x` would change the caller's array in place.
    return w + lr * error * x, b + lr * error
""",
    answer_name="update",
)


# --------------------------------------------------------------------------- 5. the whole algorithm


def _train_reference(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, lr: float, max_epochs: int
) -> tuple[np.ndarray, float, int]:
    w = np.asarray(w, dtype=float).copy()
    for epoch in range(1, max_epochs + 1):
        for x_i, y_i in zip(X, y):
            error = y_i - (1 if x_i @ w + b >= 0 else 0)
            w, b = w + lr * error * x_i, b + lr * error
        if np.all((X @ w + b >= 0).astype(int) == y):
            return w, b, epoch
    return w, b, max_epochs


def _train_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float, float, int]]:
    rng = np.random.default_rng(8)
    X_sep = np.vstack([rng.normal([1.0, 3.0], 0.6, (15, 2)), rng.normal([3.0, 1.0], 0.6, (15, 2))])
    y_sep = np.repeat([0, 1], 15)
    X_xor, y_xor = perceptron.xor_data()
    return [
        (X_sep, y_sep, np.array([-1.0, 0.5]), 0.5, 0.1, 100),  # separable: stops early
        (X_sep, y_sep, np.zeros(2), 0.0, 1.0, 100),
        (X_xor, y_xor, np.zeros(2), 0.0, 0.1, 7),  # XOR: runs all its epochs
        (X_sep[:4], np.array([1, 1, 1, 1]), np.zeros(2), 0.0, 0.1, 5),  # right at once: 1 epoch
    ]


def _train_validator(fn: Any) -> Feedback:
    if not callable(fn):
        return Feedback(
            False,
            "Expected a function train(X, y, w, b, lr, max_epochs); pass the "
            "function itself, without brackets.",
        )
    for i, (X, y, w, b, lr, max_epochs) in enumerate(_train_cases(), start=1):
        w_in = w.copy()
        try:
            got = fn(X.copy(), y.copy(), w_in, b, lr, max_epochs)
        except Exception as exc:  # noqa: BLE001 - learner errors become feedback
            return Feedback(False, f"test {i}: train raised {type(exc).__name__}: {exc}")
        if not np.array_equal(w_in, w):
            return Feedback(
                False,
                f"test {i}: your function changed the w it was given; start with w = w.copy().",
            )
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return Feedback(
                False,
                f"test {i}: train should return (w, b, epochs), but it "
                f"returned {type(got).__name__} {got!r:.60}.",
            )
        want = _train_reference(X, y, w, b, lr, max_epochs)
        for part, expected, name in zip(got, want, ("w", "b", "epochs")):
            fb = compare(part, expected, name=name)
            if not fb.ok:
                tip = (
                    " Check when the loop stops: after an epoch in which every point is right."
                    if name == "epochs"
                    else " Check the update for each point: error = y_i - prediction, then "
                    "w + lr * error * x_i and b + lr * error (with lr, and in this order: "
                    "target minus prediction)."
                )
                return Feedback(
                    False, f"test {i} (lr={lr}, max_epochs={max_epochs}): {fb.message}{tip}"
                )
    return Feedback(True, f"train passed all {len(_train_cases())} tests.")


train = Exercise(
    "Write the perceptron algorithm",
    validator=_train_validator,
    hints=[
        "Two loops: `for epoch in range(1, max_epochs + 1):` and inside it "
        "`for x_i, y_i in zip(X, y):`.",
        "Inside, apply your update rule to (x_i, y_i). After the inner loop, check every point: "
        "np.all((X @ w + b >= 0).astype(int) == y).",
        "If every point is right, return (w, b, epoch); after the last epoch return "
        "(w, b, max_epochs).",
    ],
    solution="""
import numpy as np


def train(X, y, w, b, lr, max_epochs):
    w = w.copy()  # leave the caller's weights alone
    for epoch in range(1, max_epochs + 1):
        for x_i, y_i in zip(X, y):  # one epoch: visit every point once
            error = y_i - (1 if x_i @ w + b >= 0 else 0)  # +1, -1 or 0
            w, b = w + lr * error * x_i, b + lr * error
        if np.all((X @ w + b >= 0).astype(int) == y):  # every point right: stop
            return w, b, epoch
    return w, b, max_epochs
""",
    answer_name="train",
)
