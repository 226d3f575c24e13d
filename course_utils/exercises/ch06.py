"""Exercises of notebook 06: training neural networks well.

- :data:`l2_gradient`: the gradient of the loss plus an L2 penalty.
- :data:`inverted_dropout`: apply a given dropout mask and rescale by ``1/(1-p)``.
- :data:`early_stopping_epoch`: the epoch early stopping keeps, from a validation history.
- :data:`momentum_velocity`: the momentum velocity as an exponentially weighted sum.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.checks import Exercise
from course_utils.overfitting import first_upturn

__all__ = ["l2_gradient", "inverted_dropout", "early_stopping_epoch", "momentum_velocity"]


# --------------------------------------------------------------------------- L2 gradient


def _l2_gradient_ref(grad: Any, w: Any, lam: float) -> np.ndarray:
    return np.asarray(grad, dtype=float) + 2.0 * lam * np.asarray(w, dtype=float)


l2_gradient = Exercise(
    "The gradient with an L2 penalty",
    reference=_l2_gradient_ref,
    cases=[
        (np.array([0.5, -1.0, 0.0]), np.array([2.0, 1.0, -3.0]), 0.1),
        (np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([[1.0, -1.0], [0.5, 0.0]]), 0.01),
        (np.zeros(4), np.array([1.0, 2.0, 3.0, 4.0]), 0.5),
        (np.array([1.0, 1.0]), np.array([5.0, -5.0]), 0.0),
    ],
    hints=[
        "The penalised loss is loss + lam * sum(w**2). Differentiate the penalty term by term.",
        "The derivative of lam * w_i**2 with respect to w_i is 2 * lam * w_i.",
        "Return grad + 2 * lam * w (same shape as w).",
    ],
    solution='''
def l2_gradient(grad, w, lam):
    # gradient of the data loss plus the gradient of lam * sum(w**2)
    return grad + 2 * lam * w
''',
    answer_name="l2_gradient",
)


# --------------------------------------------------------------------------- inverted dropout


def _inverted_dropout_ref(x: Any, mask: Any, p: float) -> np.ndarray:
    return np.asarray(x, dtype=float) * np.asarray(mask, dtype=float) / (1.0 - p)


inverted_dropout = Exercise(
    "Inverted dropout with a given mask",
    reference=_inverted_dropout_ref,
    cases=[
        (np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 0, 1, 1]), 0.25),
        (np.array([[0.5, -1.0], [2.0, 3.0]]), np.array([[0, 1], [1, 0]]), 0.5),
        (np.array([1.0, -1.0, 2.0]), np.array([True, True, True]), 0.0),
        (np.array([4.0, 4.0, 4.0, 4.0, 4.0]), np.array([0, 0, 1, 0, 0]), 0.8),
    ],
    hints=[
        "The mask holds 1 (or True) for units that stay on and 0 for units that are switched off.",
        "Multiply x by the mask, then divide by the probability of staying on, 1 - p.",
    ],
    solution='''
def inverted_dropout(x, mask, p):
    # switch off the masked units, scale the survivors so the expected value stays x
    return x * mask / (1 - p)
''',
    answer_name="inverted_dropout",
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
    ],
    hints=[
        "Walk through the losses in order, remembering the best loss so far and its epoch.",
        "Count the epochs since the last improvement; when that count reaches patience, stop "
        "(later epochs are never looked at).",
        "Epochs are numbered from 1: the first loss belongs to epoch 1. Return the best epoch.",
    ],
    solution='''
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
''',
    answer_name="early_stopping_epoch",
)


# --------------------------------------------------------------------------- momentum


def _momentum_velocity_ref(grads: Any, beta: float) -> Any:
    g = np.asarray(grads, dtype=float)
    t = g.shape[0] - 1
    weights = beta ** np.arange(t, -1, -1)       # oldest gradient gets beta**t
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
        "The newest gradient grads[-1] has weight 1, the one before beta, the one before beta**2 ...",
        "For T gradients, the weights from oldest to newest are beta**(T-1), ..., beta, 1.",
        "Sum weight * gradient over the steps (a loop, or np.tensordot(weights, grads, axes=1)).",
    ],
    solution='''
def momentum_velocity(grads, beta):
    T = len(grads)
    velocity = 0
    for k in range(T):                 # k steps ago
        velocity = velocity + beta**k * grads[T - 1 - k]
    return velocity
''',
    answer_name="momentum_velocity",
)
