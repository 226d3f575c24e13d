"""Exercises of notebook 03 (logistic regression, probabilities and cross-entropy).

- :data:`sigmoid`: write the sigmoid.
- :data:`softmax`: write a softmax that survives scores like 1000 and -1000.
- :data:`batch_cross_entropy`: the mean binary cross-entropy of a batch of three predictions.
- :data:`multiclass_cross_entropy`: the mean cross-entropy of three 3-class predictions.
- :data:`gradient_step`: one gradient-descent step of logistic regression on one point.
"""

from __future__ import annotations

import numpy as np

from course_utils import logistic
from course_utils.checks import Exercise

__all__ = ["sigmoid", "softmax", "batch_cross_entropy", "multiclass_cross_entropy",
           "gradient_step"]


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
    solution='''
import numpy as np

def sigmoid(z):
    """1 / (1 + e^(-z)), element by element."""
    return 1.0 / (1.0 + np.exp(-z))

answer = sigmoid
''',
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
    solution='''
import numpy as np

def softmax(z):
    """Softmax of a 1-D array of scores, safe for very large or very negative scores."""
    e = np.exp(z - np.max(z))
    return e / e.sum()

answer = softmax
''',
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

y = np.array([1, 1, 0])
p = np.array([0.9, 0.4, 0.3])
answer = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))   # about 0.4594
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

P = np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4], [0.2, 0.2, 0.6]])
labels = np.array([0, 2, 2])
answer = -np.mean(np.log(P[np.arange(3), labels]))   # about 0.5946
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

x, y, w, b, lr = np.array([1.0, 2.0]), 1, np.array([0.5, -0.5]), 0.0, 0.1
y_hat = 1 / (1 + np.exp(-(x @ w + b)))     # sigma(-0.5), about 0.3775
w_new = w + lr * (y - y_hat) * x
b_new = b + lr * (y - y_hat)
answer = [w_new[0], w_new[1], b_new]        # about [0.5622, -0.3755, 0.0622]
""",
)
