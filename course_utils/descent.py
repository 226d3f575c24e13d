"""Gradient descent and its variants (notebook 06).

- Landscapes: :func:`bumpy` (several local minima) and :func:`saddle` (a saddle point), with
  their gradients, and :func:`descend`, plain gradient descent on any function.
- :func:`minibatch_gd`: batch, stochastic and mini-batch gradient descent on linear regression,
  with an optional learning-rate schedule.
- Schedules: :func:`step_decay`, :func:`exponential_decay`, :func:`inverse_time_decay`.
- Momentum written recursively (:func:`momentum_recursive`) and as an explicit weighted sum
  (:func:`momentum_explicit`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "bumpy",
    "bumpy_grad",
    "saddle",
    "saddle_grad",
    "descend",
    "minibatch_gd",
    "step_decay",
    "exponential_decay",
    "inverse_time_decay",
    "momentum_recursive",
    "momentum_explicit",
]


# --- landscapes -----------------------------------------------------------------------------------


def bumpy(x: Any) -> np.ndarray:
    """A 1-D loss with several local minima: ``0.05 * x**2 + sin(2x) + 1``."""
    x = np.asarray(x, dtype=float)
    return 0.05 * x**2 + np.sin(2.0 * x) + 1.0


def bumpy_grad(x: Any) -> np.ndarray:
    """Derivative of :func:`bumpy`: ``0.1x + 2cos(2x)``."""
    x = np.asarray(x, dtype=float)
    return 0.1 * x + 2.0 * np.cos(2.0 * x)


def saddle(p: Any) -> np.ndarray:
    """``x**2 + y**4/4 - y**2/2``: a saddle point at (0, 0), minima at (0, +-1). ``p``: (..., 2)."""
    p = np.asarray(p, dtype=float)
    x, y = p[..., 0], p[..., 1]
    return x**2 + y**4 / 4.0 - y**2 / 2.0


def saddle_grad(p: Any) -> np.ndarray:
    """Gradient of :func:`saddle`: ``(2x, y**3 - y)``."""
    p = np.asarray(p, dtype=float)
    return np.stack([2.0 * p[..., 0], p[..., 1] ** 3 - p[..., 1]], axis=-1)


def descend(grad: Callable[[np.ndarray], Any], start: Any, *, lr: float, steps: int) -> np.ndarray:
    """Plain gradient descent ``w <- w - lr * grad(w)``; the path, shape ``(steps + 1, ...)``."""
    w = np.asarray(start, dtype=float)
    path = [w]
    for _ in range(steps):
        w = w - lr * np.asarray(grad(w))
        path.append(w)
    return np.array(path)


# --- learning-rate schedules ----------------------------------------------------------------------


def step_decay(lr0: float, epoch: int, *, drop: float = 0.5, every: int = 10) -> float:
    """``lr0 * drop ** (epoch // every)``: the rate falls by a factor every few epochs (StepLR)."""
    return lr0 * drop ** (epoch // every)


def exponential_decay(lr0: float, epoch: int, *, gamma: float = 0.9) -> float:
    """``lr0 * gamma ** epoch`` (PyTorch's ExponentialLR)."""
    return lr0 * gamma**epoch


def inverse_time_decay(lr0: float, epoch: int, *, k: float = 0.1) -> float:
    """``lr0 / (1 + k * epoch)``: a slow decay that never stops learning entirely."""
    return lr0 / (1 + k * epoch)


# --- batch, stochastic and mini-batch gradient descent --------------------------------------------


def minibatch_gd(
    X: Any,
    y: Any,
    *,
    batch_size: int,
    epochs: int,
    lr: float,
    schedule: Callable[[int], float] | None = None,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Linear regression ``y ~ X @ w + b`` by gradient descent on the mean squared error.

    ``batch_size = len(X)`` gives batch gradient descent, ``1`` stochastic gradient descent,
    anything between mini-batch gradient descent. Examples are shuffled every epoch.
    ``schedule(epoch)`` (epoch from 0) overrides ``lr`` with a decayed rate.

    Returns ``loss`` (full-data MSE before training and after each epoch, length ``epochs+1``),
    ``seconds`` (training time used up to each of those points, excluding the loss evaluation),
    ``steps`` (updates done up to each point), ``lr`` (rate used in each epoch) and ``w``, ``b``.
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    if X.ndim != 2 or y.shape != (len(X),) or not 1 <= batch_size <= len(X):
        raise ValueError(
            f"X must be (n, d), y (n,) and 1 <= batch_size <= n; got {X.shape}, "
            f"{y.shape} and batch_size={batch_size}."
        )
    rng = np.random.default_rng(seed)
    n, w, b = len(X), np.zeros(X.shape[1]), 0.0
    history = {"loss": [np.mean((X @ w + b - y) ** 2)], "seconds": [0.0], "steps": [0], "lr": []}
    for epoch in range(epochs):
        rate = schedule(epoch) if schedule else lr
        start = time.perf_counter()
        order = rng.permutation(n)
        for first in range(0, n, batch_size):
            idx = order[first : first + batch_size]
            error = X[idx] @ w + b - y[idx]
            w = w - rate * 2 * X[idx].T @ error / len(idx)
            b = b - rate * 2 * error.mean()
        history["seconds"].append(history["seconds"][-1] + time.perf_counter() - start)
        history["steps"].append(history["steps"][-1] + -(-n // batch_size))
        history["loss"].append(np.mean((X @ w + b - y) ** 2))
        history["lr"].append(rate)
    if not np.isfinite(history["loss"][-1]):
        raise FloatingPointError(f"gradient descent diverged: lower the learning rate ({lr}).")
    return {**{k: np.array(v) for k, v in history.items()}, "w": w, "b": np.float64(b)}


# --- momentum, two ways ---------------------------------------------------------------------------


def momentum_recursive(grads: Any, beta: float) -> np.ndarray:
    """Velocities ``v_t = beta * v_{t-1} + g_t`` (``v_0 = 0``) for a sequence of gradients.

    ``grads`` has shape ``(T, ...)``; the result has the same shape, one velocity per step. A
    momentum step moves by ``-lr * v_t``, as ``torch.optim.SGD(momentum=beta)`` does.
    """
    g = np.asarray(grads, dtype=float)
    v = np.zeros_like(g)
    current = np.zeros_like(g[0])
    for t in range(len(g)):
        current = beta * current + g[t]
        v[t] = current
    return v


def momentum_explicit(grads: Any, beta: float) -> np.ndarray:
    """The same velocities as an explicit sum: ``v_t = sum_{k=0}^{t} beta**k * g_{t-k}``.

    The gradient from ``k`` steps ago weighs ``beta**k``: an exponentially weighted sum.
    """
    g = np.asarray(grads, dtype=float)
    v = np.zeros_like(g)
    for t in range(len(g)):
        k = np.arange(t + 1)
        weights = (beta**k).reshape((-1,) + (1,) * (g.ndim - 1))
        v[t] = (weights * g[t - k]).sum(axis=0)
    return v
