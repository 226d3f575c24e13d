"""Exercises of notebook 03 (logistic regression, probabilities and cross-entropy).

- :data:`sigmoid`: write the sigmoid.
- :data:`softmax`: write a softmax that survives scores like 1000 and -1000.
- :data:`batch_cross_entropy`: the mean binary cross-entropy of a batch of three predictions.
- :data:`multiclass_cross_entropy`: the mean cross-entropy of three 3-class predictions.
- :data:`gradient_step`: one gradient-descent step of logistic regression on one point.
- :data:`train_logistic`: write the whole full-batch training loop.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils import logistic
from course_utils.checks import Exercise, Feedback, compare

__all__ = [
    "sigmoid",
    "softmax",
    "batch_cross_entropy",
    "multiclass_cross_entropy",
    "gradient_step",
    "train_logistic",
]


# --------------------------------------------------------------------------- 1. sigmoid


def _sigmoid_cases() -> list[tuple[object]]:
    return [
        (0.0,),
        (np.array([-2.0, -1.0, 0.0, 1.0, 2.0]),),
        (np.array([-30.0, 30.0]),),
        (np.random.default_rng(30).normal(scale=3, size=(4, 5)),),
    ]


sigmoid = Exercise(
    "Write the sigmoid",
    reference=logistic.sigmoid,
    cases=_sigmoid_cases,
    hints=[
        "σ(z) = 1 / (1 + e^(-z)); np.exp works element by element on arrays.",
        "return 1 / (1 + np.exp(-z))",
    ],
    solution="""
import numpy as np



def sigmoid_mine(z):
    # 1 / (1 + e^(-z)), element by element: np.exp works on numbers and arrays alike.
    return 1.0 / (1.0 + np.exp(-z))
""",
    answer_name="sigmoid_mine",
)


# --------------------------------------------------------------------------- 2. softmax


def _softmax_cases() -> list[tuple[np.ndarray]]:
    return [
        (np.array([1.0, 2.0, 3.0]),),
        (np.array([0.0, 0.0]),),
        (np.array([-5.0, 0.0, 5.0, 10.0]),),
        (np.array([1000.0, -1000.0]),),  # the naive formula gives NaN here
        (np.array([1000.0, 1000.0, 999.0]),),
    ]


softmax = Exercise(
    "Write a stable softmax",
    reference=logistic.softmax,
    cases=_softmax_cases,
    hints=[
        "Exponentiate, then divide by the sum of the exponentials.",
        "np.exp(1000) is infinity. Subtract z.max() from every score first: the result does not "
        "change, but the largest exponent becomes 0.",
    ],
    solution="""
import numpy as np



def softmax_mine(z):
    # Subtracting the largest score changes nothing (shift invariance) but keeps every
    # exponent at or below 0, so nothing overflows.
    e = np.exp(z - np.max(z))
    return e / e.sum()
""",
    answer_name="softmax_mine",
)


# --------------------------------------------------------------------------- 3. binary batch

BATCH_Y = np.array([1.0, 1.0, 0.0])
BATCH_P = np.array([0.9, 0.4, 0.3])

batch_cross_entropy = Exercise(
    "Cross-entropy of a small batch",
    expected=lambda: logistic.binary_cross_entropy(BATCH_Y, BATCH_P, reduction="mean"),
    atol=1e-4,
    rtol=0.0,
    hints=[
        "For each point take the probability the model gives its true label: 0.9, 0.4, and "
        "1 - 0.3 for the point labelled 0.",
        "Average -ln of those three numbers: (-ln 0.9 - ln 0.4 - ln 0.7) / 3.",
    ],
    solution="""
import numpy as np

# The probabilities of the actual labels are 0.9, 0.4 and 1 - 0.3 = 0.7.
labels_ex = np.array([1, 1, 0])
p_ex = np.array([0.9, 0.4, 0.3])
answer = -np.mean(labels_ex * np.log(p_ex) + (1 - labels_ex) * np.log(1 - p_ex))  # about 0.4594
""",
)


# --------------------------------------------------------------------------- 4. multi-class batch

MULTI_P = np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4], [0.2, 0.2, 0.6]])
MULTI_LABELS = np.array([0, 2, 2])

multiclass_cross_entropy = Exercise(
    "Cross-entropy of three 3-class predictions",
    expected=lambda: logistic.cross_entropy(MULTI_LABELS, MULTI_P, reduction="mean"),
    atol=1e-4,
    rtol=0.0,
    hints=[
        "With one-hot targets only the probability of the true class matters in each row.",
        "Row 0 has true class 0 (p = 0.7), rows 1 and 2 have true class 2 (p = 0.4 and 0.6). "
        "Average their -ln.",
    ],
    solution="""
import numpy as np

# Only the probability of the true class counts in each row: 0.7, 0.4 and 0.6.
P_ex = np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4], [0.2, 0.2, 0.6]])
classes_ex = np.array([0, 2, 2])
answer = -np.mean(np.log(P_ex[np.arange(3), classes_ex]))  # about 0.5946
""",
)


# --------------------------------------------------------------------------- 5. one gradient step

STEP_X = np.array([1.0, 2.0])
STEP_Y = 1
STEP_W = np.array([0.5, -0.5])
STEP_B = 0.0
STEP_LR = 0.1


def _gradient_step_expected() -> np.ndarray:
    w, b = logistic.logistic_update(STEP_X, STEP_Y, STEP_W, STEP_B, lr=STEP_LR)
    return np.append(w, b)


gradient_step = Exercise(
    "One gradient-descent step",
    expected=_gradient_step_expected,
    atol=1e-4,
    rtol=0.0,
    hints=[
        "First the prediction: z = 0.5·1 + (-0.5)·2 + 0 = -0.5, and ŷ = σ(-0.5).",
        "Then w ← w + α (y - ŷ) x and b ← b + α (y - ŷ), with α = 0.1 and y = 1.",
    ],
    solution="""
import numpy as np

x_ex, y_ex, w_ex, b_ex, lr_ex = np.array([1.0, 2.0]), 1, np.array([0.5, -0.5]), 0.0, 0.1
y_hat_ex = 1 / (1 + np.exp(-(x_ex @ w_ex + b_ex)))  # sigma(-0.5), about 0.3775
w_new = w_ex + lr_ex * (y_ex - y_hat_ex) * x_ex
b_new = b_ex + lr_ex * (y_ex - y_hat_ex)
answer = [w_new[0], w_new[1], b_new]  # about [0.5622, -0.3755, 0.0622]
""",
)


# --------------------------------------------------------------------------- 6. the whole loop


def _train_logistic_reference(X: np.ndarray, y: np.ndarray, lr: float, epochs: int) -> np.ndarray:
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        y_hat = logistic.sigmoid(X @ w + b)
        w, b = w - lr * (-(X.T @ (y - y_hat)) / len(y)), b - lr * (-np.mean(y - y_hat))
    return np.append(w, b)


def _train_logistic_cases() -> list[tuple[np.ndarray, np.ndarray, float, int]]:
    rng = np.random.default_rng(12)
    X = np.vstack([rng.normal(-1.0, 1.2, (20, 2)), rng.normal(1.0, 1.2, (20, 2))])
    y = np.repeat([0.0, 1.0], 20)
    return [(X, y, 0.5, 1), (X, y, 0.5, 200), (X[:, :1], y, 0.1, 50), (X, y, 0.5, 0)]


def _train_logistic_validator(fn: Any) -> Feedback:
    if not callable(fn):
        return Feedback(
            False,
            "Expected a function train_logistic(X, y, lr, epochs); pass the "
            "function itself, without brackets.",
        )
    for i, (X, y, lr, epochs) in enumerate(_train_logistic_cases(), start=1):
        try:
            got = fn(X.copy(), y.copy(), lr, epochs)
        except Exception as exc:  # noqa: BLE001 - learner errors become feedback
            return Feedback(False, f"test {i}: train_logistic raised {type(exc).__name__}: {exc}")
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return Feedback(
                False,
                f"test {i}: train_logistic should return a pair (w, b), but "
                f"it returned {type(got).__name__} {got!r:.60}.",
            )
        want = _train_logistic_reference(X, y, lr, epochs)
        for part, expected, name in ((got[0], want[:-1], "w"), (got[1], want[-1], "b")):
            fb = compare(part, expected, name=name, rtol=1e-6, atol=1e-9)
            if not fb.ok:
                return Feedback(
                    False,
                    f"test {i} ({X.shape[1]} features, lr={lr}, epochs={epochs}): {fb.message}",
                )
    return Feedback(True, f"train_logistic passed all {len(_train_logistic_cases())} tests.")


train_logistic = Exercise(
    "Write logistic regression's training loop",
    validator=_train_logistic_validator,
    hints=[
        "Start from w = np.zeros(X.shape[1]) and b = 0.0, and repeat `epochs` times.",
        "Each epoch: y_hat = sigmoid(X @ w + b) for all points; the gradients are "
        "-(X.T @ (y - y_hat)) / m for w and -np.mean(y - y_hat) for b.",
        "Step against them: w = w - lr * grad_w and b = b - lr * grad_b. Return (w, b).",
    ],
    solution="""
import numpy as np

from course_utils.logistic import sigmoid


def train_logistic(X, y, lr, epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        y_hat = sigmoid(X @ w + b)  # P(label 1) for every point
        grad_w = -(X.T @ (y - y_hat)) / len(y)  # the average of -(y - y_hat) x
        grad_b = -np.mean(y - y_hat)
        w, b = w - lr * grad_w, b - lr * grad_b  # one step downhill
    return w, b
""",
    answer_name="train_logistic",
)
