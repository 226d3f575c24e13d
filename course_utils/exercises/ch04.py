"""Exercises of notebook 04: neural networks and backpropagation in NumPy.

- :data:`forward_pass`: one forward pass through a 2-2-1 sigmoid network, by hand.
- :data:`output_error_term`: the output unit's error term ``(y - yhat) * yhat * (1 - yhat)``.
- :data:`backward_step`: one gradient-descent step for a one-hidden-layer sigmoid network.
- :data:`numerical_gradient`: central finite differences, the tool behind gradient checking.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.checks import Exercise

__all__ = ["forward_pass", "output_error_term", "backward_step", "numerical_gradient"]


def _sigmoid(z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


# --------------------------------------------------------------------------- forward pass

FORWARD_X = np.array([0.5, -1.0])
FORWARD_W1 = np.array(
    [[0.2, -0.4], [0.7, 0.1]]
)  # (n_in, n_hidden): row i holds the weights leaving input i
FORWARD_B1 = np.array([0.1, -0.1])
FORWARD_W2 = np.array([0.6, -0.3])
FORWARD_B2 = 0.05


def _forward_expected() -> float:
    a = _sigmoid(FORWARD_X @ FORWARD_W1 + FORWARD_B1)
    return float(_sigmoid(a @ FORWARD_W2 + FORWARD_B2))


forward_pass = Exercise(
    "One forward pass by hand",
    expected=_forward_expected,
    rtol=1e-4,
    atol=1e-6,
    hints=[
        "First the hidden layer: h = x @ W1 + b1 (two numbers), then a = sigmoid(h).",
        "Then the output: z = a @ W2 + b2 (one number), then y_hat = sigmoid(z).",
        "Row i of W1 holds the weights leaving input i, so x @ W1 gives one sum per hidden unit.",
    ],
    solution="""
import numpy as np

from course_utils.logistic import sigmoid  # the notebook's own sigmoid: nothing is redefined

x_ex = np.array([0.5, -1.0])
W1_ex = np.array([[0.2, -0.4],
                  [0.7, 0.1]])
b1_ex = np.array([0.1, -0.1])
W2_ex = np.array([0.6, -0.3])
b2_ex = 0.05

h_ex = x_ex @ W1_ex + b1_ex  # weighted sums of the hidden units: [-0.5, -0.4]
a_ex = sigmoid(h_ex)  # hidden activations: [0.3775, 0.4013]
z_ex = a_ex @ W2_ex + b2_ex  # weighted sum of the output unit: 0.1561
y_hat = float(sigmoid(z_ex))  # 0.5390
""",
    answer_name="y_hat",
)


# --------------------------------------------------------------------------- output error term


def _output_error_term_ref(y: Any, y_hat: Any) -> Any:
    y = np.asarray(y, dtype=float)
    y_hat = np.asarray(y_hat, dtype=float)
    return (y - y_hat) * y_hat * (1.0 - y_hat)


output_error_term = Exercise(
    "The output error term",
    reference=_output_error_term_ref,
    cases=[
        (1.0, 0.512),
        (0.0, 0.9),
        (1.0, 1.0),
        (np.array([1.0, 0.0, 1.0]), np.array([0.2, 0.4, 0.7])),
        (np.array([[0.0], [1.0]]), np.array([[0.5], [0.25]])),
    ],
    hints=[
        "The error term is (y - y_hat) times the derivative of the sigmoid at the output.",
        "Written with the output itself, the sigmoid's derivative is y_hat * (1 - y_hat).",
    ],
    solution="""
def output_error_term(y, y_hat):
    # (y - y_hat) times the sigmoid's derivative, written with the sigmoid's output
    return (y - y_hat) * y_hat * (1 - y_hat)
""",
    answer_name="output_error_term",
)


# --------------------------------------------------------------------------- backward step


def _backward_step_ref(x: Any, y: Any, w: Any, W: Any, lr: Any) -> dict[str, np.ndarray]:
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    W = np.asarray(W, dtype=float)
    a = _sigmoid(x @ w)  # hidden activations, (n_hidden,)
    y_hat = _sigmoid(a @ W)  # output, a number
    delta_out = (y - y_hat) * y_hat * (1 - y_hat)  # output error term
    delta_hidden = W * delta_out * a * (1 - a)  # hidden error terms, (n_hidden,)
    return {"w": w + lr * np.outer(x, delta_hidden), "W": W + lr * delta_out * a}


backward_step = Exercise(
    "One backward step",
    reference=_backward_step_ref,
    cases=[
        # the worked example of the notebook, with its one hidden unit
        (np.array([0.1, 0.3]), 1.0, np.array([[0.4], [-0.2]]), np.array([0.1]), 0.5),
        (
            np.array([1.0, -2.0, 0.5]),
            0.0,
            np.array([[0.1, -0.3], [0.2, 0.4], [-0.5, 0.25]]),
            np.array([0.7, -0.6]),
            0.1,
        ),
        (
            np.array([0.3, 0.8]),
            1.0,
            np.array([[0.5, -0.1, 0.2], [0.3, 0.6, -0.4]]),
            np.array([-0.2, 0.9, 0.4]),
            1.0,
        ),
    ],
    rtol=1e-6,
    atol=1e-10,
    hints=[
        "Forward first: a = sigmoid(x @ w), y_hat = sigmoid(a @ W).",
        "Output error term: delta_out = (y - y_hat) * y_hat * (1 - y_hat). "
        "Hidden error terms: delta_hidden = W * delta_out * a * (1 - a).",
        "Updates: W + lr * delta_out * a, and w + lr * np.outer(x, delta_hidden) "
        "(entry [i, j] is x[i] * delta_hidden[j]). Return {'w': ..., 'W': ...}.",
    ],
    solution="""
import numpy as np

from course_utils.logistic import sigmoid


def backward_step(x, y, w, W, lr):
    a = sigmoid(x @ w)                               # hidden activations
    y_hat = sigmoid(a @ W)                           # network output
    delta_out = (y - y_hat) * y_hat * (1 - y_hat)    # output error term
    delta_hidden = W * delta_out * a * (1 - a)       # one error term per hidden unit
    return {"w": w + lr * np.outer(x, delta_hidden),
            "W": W + lr * delta_out * a}
""",
    answer_name="backward_step",
)


# --------------------------------------------------------------------------- numerical gradient


class _Formula:
    """A test function that shows its formula in feedback (instead of a memory address)."""

    def __init__(self, fn: Any, formula: str) -> None:
        self.fn = fn
        self.formula = formula

    def __call__(self, w: np.ndarray) -> float:
        return self.fn(w)

    def __repr__(self) -> str:
        return f"<function {self.formula}>"


def _quadratic_value(w: np.ndarray) -> float:
    return float(np.sum((w - 1.0) ** 2))


def _wavy_value(w: np.ndarray) -> float:
    return float(np.sin(w[0]) * np.exp(w[1]) + w[0] ** 3)


def _steep_value(w: np.ndarray) -> float:
    # Strongly curved, every entry coupled to the others: a one-sided difference, or an entry
    # not put back before the next one is nudged, is off by far more than the tolerance.
    return float(np.cos(100.0 * np.sum(w)))


def _logistic_loss_value(w: np.ndarray) -> float:
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7]])
    y = np.array([1.0, 0.0, 1.0])
    p = _sigmoid(X @ w)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


_quadratic = _Formula(_quadratic_value, "sum((w - 1)**2)")
_wavy = _Formula(_wavy_value, "sin(w0)*exp(w1) + w0**3")
_logistic_loss = _Formula(_logistic_loss_value, "log-loss of 3 points")
_steep = _Formula(_steep_value, "cos(100 * sum(w))")


def _numerical_gradient_ref(f: Any, w: Any, eps: float = 1e-6) -> np.ndarray:
    w = np.array(w, dtype=float)
    grad = np.zeros_like(w)
    for i in np.ndindex(w.shape):
        old = w[i]
        w[i] = old + eps
        plus = f(w)
        w[i] = old - eps
        minus = f(w)
        w[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


numerical_gradient = Exercise(
    "A numerical gradient",
    reference=_numerical_gradient_ref,
    cases=[
        (_quadratic, np.array([0.0, 2.0, -1.0])),
        (_wavy, np.array([0.4, -0.3])),
        (_logistic_loss, np.array([0.2, -0.5])),
        (_quadratic, np.array([[0.5, 1.5], [3.0, -2.0]])),
        (_steep, np.array([0.0005, 0.0005, 0.0])),
    ],
    rtol=1e-5,
    atol=1e-7,
    hints=[
        "Loop over every entry i of w (np.ndindex(w.shape) also works for matrices).",
        "Nudge entry i up by eps and evaluate f, nudge it down by eps and evaluate f, put it back.",
        "The derivative is (f_plus - f_minus) / (2 * eps). Work on a float copy of w.",
    ],
    solution="""
import numpy as np

def numerical_gradient(f, w, eps=1e-6):
    w = np.array(w, dtype=float)          # a float copy: we change its entries in place
    grad = np.zeros_like(w)
    for i in np.ndindex(w.shape):
        old = w[i]
        w[i] = old + eps
        f_plus = f(w)
        w[i] = old - eps
        f_minus = f(w)
        w[i] = old                        # put the entry back
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
""",
    answer_name="numerical_gradient",
)
