"""Regularisation written out (notebook 06): L1 and L2 penalties, weight decay, dropout.

Conventions, the same in notebooks 06 and 07: the L2 penalty is ``lam * sum(w**2)`` (gradient
``2 * lam * w``) and the L1 penalty ``lam * sum(|w|)`` (gradient ``lam * sign(w)``). Weight decay
with rate ``wd`` shrinks the weights by ``(1 - lr * wd)`` each step; for plain gradient descent
that is the L2 penalty with ``lam = wd / 2``. Penalties and decay apply to weight matrices only,
never to biases.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "l1_penalty",
    "l1_penalty_gradient",
    "l2_penalty",
    "l2_penalty_gradient",
    "weight_decay_step",
    "dropout",
    "dropout_backward",
]


def l1_penalty(w: Any, lam: float) -> float:
    """``lam * sum(|w|)``."""
    return lam * float(np.abs(w).sum())


def l1_penalty_gradient(w: Any, lam: float) -> np.ndarray:
    """``lam * sign(w)`` (zero where ``w == 0``, as PyTorch's ``abs`` gradient)."""
    return lam * np.sign(w)


def l2_penalty(w: Any, lam: float) -> float:
    """``lam * sum(w**2)``."""
    return lam * float((np.asarray(w) ** 2).sum())


def l2_penalty_gradient(w: Any, lam: float) -> np.ndarray:
    """``2 * lam * w``."""
    return 2 * lam * np.asarray(w)


def weight_decay_step(w: Any, grad: Any, lr: float, weight_decay: float) -> np.ndarray:
    """One gradient-descent step with weight decay: ``(1 - lr * weight_decay) * w - lr * grad``.

    The same as ``w - lr * (grad + weight_decay * w)``: every step first shrinks the weights.
    """
    return (1 - lr * weight_decay) * np.asarray(w) - lr * np.asarray(grad)


def dropout(
    x: Any, p: float, rng: np.random.Generator, training: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Inverted dropout: zero each entry with probability ``p``, scale the rest by ``1/(1-p)``.

    Returns ``(out, mask)``; ``mask`` is True where an entry was kept. In inference mode
    (``training=False``) every entry is kept and nothing is scaled. The scaling keeps the expected
    value of every entry equal to the input, so the two modes agree on average.
    """
    if not 0 <= p < 1:
        raise ValueError(f"the dropout probability p must satisfy 0 <= p < 1, got {p}.")
    x = np.asarray(x, dtype=float)
    if not training:
        return x.copy(), np.ones(x.shape, dtype=bool)
    mask = rng.random(x.shape) >= p
    return np.where(mask, x / (1 - p), 0.0), mask


def dropout_backward(grad_out: Any, mask: np.ndarray, p: float) -> np.ndarray:
    """Gradient of :func:`dropout` (training mode): the kept entries pass ``grad / (1 - p)``."""
    return np.where(mask, np.asarray(grad_out) / (1 - p), 0.0)
