"""Exercises of notebook 07: optimizers.

- :data:`adam_step`: one Adam update of a weight (or an array of weights), moments included.
- :data:`bias_correction`: Adam's bias-corrected first moment after ``t`` steps.
- :data:`adagrad_rates`: how Adagrad's effective learning rate shrinks as gradients pile up.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.checks import Exercise

__all__ = ["adam_step", "bias_correction", "adagrad_rates"]


# --------------------------------------------------------------------------- one Adam step


def _adam_step_ref(
    theta: Any,
    grad: Any,
    m: Any,
    v: Any,
    t: int,
    lr: float = 0.001,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> dict[str, np.ndarray]:
    theta, grad = np.asarray(theta, dtype=float), np.asarray(grad, dtype=float)
    m = beta1 * np.asarray(m, dtype=float) + (1 - beta1) * grad
    v = beta2 * np.asarray(v, dtype=float) + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return {"theta": theta - lr * m_hat / (np.sqrt(v_hat) + eps), "m": m, "v": v}


adam_step = Exercise(
    "One Adam step",
    reference=_adam_step_ref,
    cases=[
        (2.0, 1.5, 0.0, 0.0, 1, 0.1),
        (1.85, 1.4, 0.15, 0.00225, 2, 0.1),
        (
            np.array([0.5, -1.0, 3.0]),
            np.array([0.2, -4.0, 0.0]),
            np.array([0.1, -0.3, 0.05]),
            np.array([0.01, 0.2, 0.001]),
            7,
            0.01,
            0.8,
            0.99,
            1e-6,
        ),
        (
            np.array([[1.0, 2.0], [3.0, 4.0]]),
            np.array([[0.1, -0.1], [1e-3, 10.0]]),
            np.zeros((2, 2)),
            np.zeros((2, 2)),
            1,
        ),
    ],
    rtol=1e-7,
    atol=1e-10,
    hints=[
        "Update the moments first: m = beta1 * m + (1 - beta1) * grad and "
        "v = beta2 * v + (1 - beta2) * grad**2.",
        "Then correct them for their start at zero: m_hat = m / (1 - beta1**t), "
        "v_hat = v / (1 - beta2**t).",
        "Finally theta - lr * m_hat / (np.sqrt(v_hat) + eps). Return the new theta and the new "
        "(uncorrected) m and v: {'theta': ..., 'm': ..., 'v': ...}.",
    ],
    solution="""
import numpy as np

def adam_step(theta, grad, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad           # moving average of gradients
    v = beta2 * v + (1 - beta2) * grad**2        # moving average of squared gradients
    m_hat = m / (1 - beta1**t)                   # bias correction: both started at zero
    v_hat = v / (1 - beta2**t)
    theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return {"theta": theta, "m": m, "v": v}
""",
    answer_name="adam_step",
)


# --------------------------------------------------------------------------- bias correction


def _bias_correction_ref(grads: Any, beta1: float) -> np.ndarray:
    grads = np.asarray(grads, dtype=float)
    m, out = 0.0, []
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        out.append(m / (1 - beta1**t))
    return np.array(out)


bias_correction = Exercise(
    "Bias-corrected moving averages",
    reference=_bias_correction_ref,
    cases=[
        ([1.5, 1.4], 0.9),
        ([2.0, 2.0, 2.0, 2.0, 2.0], 0.9),
        ([1.0, -1.0, 0.5, 3.0, 0.0, 2.5], 0.5),
        (list(np.linspace(-2, 2, 30)), 0.99),
    ],
    rtol=1e-7,
    atol=1e-10,
    hints=[
        "Keep a running m that starts at 0 and loop over the gradients with t = 1, 2, 3, ...",
        "At each step: m = beta1 * m + (1 - beta1) * g, then store m / (1 - beta1**t).",
        "enumerate(grads, start=1) gives you t and g together. Return a NumPy array.",
    ],
    solution="""
import numpy as np

def bias_corrected_averages(grads, beta1):
    m, corrected = 0.0, []
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g           # the raw average, pulled towards its 0 start
        corrected.append(m / (1 - beta1**t))      # divide by the weight the average has so far
    return np.array(corrected)
""",
    answer_name="bias_corrected_averages",
)


# --------------------------------------------------------------------------- Adagrad's rate


def _adagrad_rates_ref(grads: Any, lr: float) -> np.ndarray:
    grads = np.asarray(grads, dtype=float)
    return lr / np.sqrt(np.cumsum(grads**2))


adagrad_rates = Exercise(
    "Adagrad's shrinking learning rate",
    reference=_adagrad_rates_ref,
    cases=[
        ([2.0, 2.0, 2.0, 2.0], 1.0),
        ([3.0, 4.0], 0.5),
        ([1.0, 0.1, 0.1, 0.1, 5.0, 0.1], 0.1),
        (list(np.linspace(0.5, 3.0, 50)), 0.01),
    ],
    rtol=1e-7,
    atol=1e-12,
    hints=[
        "Adagrad divides lr by the square root of the SUM of all squared gradients so far.",
        "np.cumsum(np.asarray(grads) ** 2) gives that running sum for every step at once.",
    ],
    solution="""
import numpy as np

def adagrad_rates(grads, lr):
    sum_sq = np.cumsum(np.asarray(grads, dtype=float) ** 2)   # s_t = g_1² + ... + g_t²
    return lr / np.sqrt(sum_sq)                               # the rate that multiplies g_t
""",
    answer_name="adagrad_rates",
)
