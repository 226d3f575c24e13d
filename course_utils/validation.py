"""Input checks shared by the course's modules: turn bad input into a clear error message.

Each function returns the cleaned value (a float array, a float, an int) or raises ``TypeError``
(wrong kind of value) or ``ValueError`` (right kind, wrong content or shape), naming the argument.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = [
    "as_float_array",
    "as_matrix",
    "as_vector",
    "as_number",
    "positive",
    "non_negative",
    "positive_int",
    "non_negative_int",
]


def as_float_array(value: Any, name: str, *, allow_inf: bool = False) -> np.ndarray:
    """Return ``value`` (number, list, NumPy array or torch tensor) as a float64 array.

    NaN is always rejected; infinity only when ``allow_inf`` is False.
    """
    if value is None or value is Ellipsis:
        raise TypeError(f"{name} is {value!r}; expected numbers (a number, list or NumPy array).")
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must hold numbers, got a string.")
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must hold numbers only ({exc}).") from exc
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN.")
    if not allow_inf and np.isinf(arr).any():
        raise ValueError(f"{name} contains infinity.")
    return arr


def as_matrix(value: Any, name: str = "X") -> np.ndarray:
    """A non-empty 2-D float array of shape ``(n_examples, n_features)``."""
    arr = as_float_array(value, name)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D with shape (n_examples, n_features), got shape {arr.shape}."
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}).")
    return arr


def as_vector(value: Any, name: str, length: int | None = None) -> np.ndarray:
    """A non-empty 1-D float array, of the given ``length`` when one is given."""
    arr = as_float_array(value, name)
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D, got shape {arr.shape}. (A column of shape (n, 1) "
            "can be flattened with .ravel().)"
        )
    if length is not None and arr.shape[0] != length:
        raise ValueError(f"{name} has length {arr.shape[0]}, expected {length}.")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty.")
    return arr


def as_number(value: Any, name: str) -> float:
    """A single finite real number (a one-element array is accepted)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.ndarray)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}.")
    arr = np.asarray(value, dtype=float)
    if arr.size != 1:
        raise ValueError(f"{name} must be a single number, got shape {arr.shape}.")
    number = float(arr.reshape(()))
    if not np.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}.")
    return number


def positive(value: Any, name: str) -> float:
    """A finite number greater than zero."""
    number = as_number(value, name)
    if number <= 0:
        raise ValueError(f"{name} must be positive, got {number}.")
    return number


def non_negative(value: Any, name: str) -> float:
    """A finite number, zero or greater."""
    number = as_number(value, name)
    if number < 0:
        raise ValueError(f"{name} must be zero or positive, got {number}.")
    return number


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}.")
    return int(value)


def positive_int(value: Any, name: str) -> int:
    """An integer of at least 1."""
    number = _as_int(value, name)
    if number < 1:
        raise ValueError(f"{name} must be at least 1, got {number}.")
    return number


def non_negative_int(value: Any, name: str) -> int:
    """An integer of at least 0."""
    number = _as_int(value, name)
    if number < 0:
        raise ValueError(f"{name} must be 0 or more, got {number}.")
    return number
