"""Activation functions and their derivatives in NumPy, and vanishing gradients (notebook 06).

:data:`ACTIVATION_NAMES` lists sigmoid, tanh, ReLU, leaky ReLU, ELU and GELU; :func:`activation`
and :func:`activation_derivative` write each one out, and :func:`depth_gradient_norms` measures
how the gradient shrinks through a deep stack of one of them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import erf

from course_utils.logistic import sigmoid

__all__ = ["ACTIVATION_NAMES", "activation", "activation_derivative", "depth_gradient_norms"]

ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu")
"""The activations of notebook 06, in the order it draws them."""

LEAKY_SLOPE = 0.01
"""Slope of leaky ReLU for negative inputs (PyTorch's default)."""

ELU_ALPHA = 1.0
"""ELU's saturation value for very negative inputs is ``-ELU_ALPHA`` (PyTorch's default)."""


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + erf(z / math.sqrt(2.0)))


_FUNCTIONS = {
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
    "elu": lambda z: np.where(z > 0, z, ELU_ALPHA * np.expm1(np.minimum(z, 0.0))),
    "gelu": lambda z: z * _normal_cdf(z),
}

_DERIVATIVES = {
    "sigmoid": lambda z: sigmoid(z) * (1.0 - sigmoid(z)),
    "tanh": lambda z: 1.0 - np.tanh(z) ** 2,
    "relu": lambda z: (z > 0).astype(float),
    "leaky_relu": lambda z: np.where(z > 0, 1.0, LEAKY_SLOPE),
    "elu": lambda z: np.where(z > 0, 1.0, ELU_ALPHA * np.exp(np.minimum(z, 0.0))),
    "gelu": lambda z: _normal_cdf(z) + z * np.exp(-0.5 * z**2) / math.sqrt(2.0 * math.pi),
}


def _key(name: Any) -> str:
    if name not in _FUNCTIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(_FUNCTIONS)}.")
    return name


def activation(name: str, z: Any) -> np.ndarray:
    """Apply the activation ``name`` (see :data:`ACTIVATION_NAMES`) to ``z``.

    GELU is the exact one, ``z * Phi(z)`` with ``Phi`` the standard normal CDF.
    """
    return _FUNCTIONS[_key(name)](np.asarray(z, dtype=float))


def activation_derivative(name: str, z: Any) -> np.ndarray:
    """The derivative of :func:`activation` ``name`` at ``z``.

    At ``z = 0`` the kinked functions use their left-hand slope, as PyTorch does (ReLU: 0).
    """
    return _DERIVATIVES[_key(name)](np.asarray(z, dtype=float))


def depth_gradient_norms(
    activation: str, *, depth: int = 20, width: int = 64, n: int = 256, seed: int = 0
) -> np.ndarray:
    """Gradient norm of every layer's weights in a deep ``make_mlp`` stack, first layer first.

    The stack has ``depth`` hidden layers of ``width`` units, weights drawn with He (Kaiming)
    initialisation, standard deviation ``sqrt(2 / fan_in)``, and zero biases; the loss is the mean
    squared error against random targets on random standard-normal inputs. When the first layers'
    norms are far below the last ones', the gradients vanish.
    """
    import torch

    from course_utils.training import make_mlp, weight_matrices

    torch.manual_seed(int(seed))
    model = make_mlp(width, [width] * depth, 1, activation=_key(activation))
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, torch.nn.Linear):
                torch.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                layer.bias.zero_()
    X, y = torch.randn(n, width), torch.randn(n, 1)
    torch.nn.functional.mse_loss(model(X), y).backward()
    return np.array([float(w.grad.norm()) for w in weight_matrices(model)])
