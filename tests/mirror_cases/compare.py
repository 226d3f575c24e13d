"""``assert_same``: one equality check for numbers, arrays, tensors and containers of them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch


def _as_array(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        x = x.double() if x.is_floating_point() else x
        return x.numpy()
    return np.asarray(x)


def assert_same(
    a: Any, b: Any, *, atol: float = 1e-10, rtol: float = 1e-7, where: str = ""
) -> None:
    """Assert that ``a`` (notebook) and ``b`` (package) hold the same values.

    Numbers, NumPy arrays and tensors compare by shape and value (NaN equals NaN); lists, tuples
    and dicts compare element by element; anything else compares with ``==``.
    """
    label = where or "value"
    if isinstance(a, dict) or isinstance(b, dict):
        assert isinstance(a, dict) and isinstance(b, dict), f"{label}: one side is not a dict"
        assert a.keys() == b.keys(), f"{label}: keys differ: {sorted(a)} vs {sorted(b)}"
        for key in a:
            assert_same(a[key], b[key], atol=atol, rtol=rtol, where=f"{label}[{key!r}]")
        return
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        assert len(a) == len(b), f"{label}: lengths differ ({len(a)} vs {len(b)})"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, atol=atol, rtol=rtol, where=f"{label}[{i}]")
        return
    numeric = (int, float, complex, np.number, np.ndarray, torch.Tensor, bool, np.bool_)
    if isinstance(a, numeric) and isinstance(b, numeric):
        x, y = _as_array(a), _as_array(b)
        assert x.shape == y.shape, f"{label}: shapes differ ({x.shape} vs {y.shape})"
        if x.dtype.kind in "fc" or y.dtype.kind in "fc":
            ok = np.allclose(x, y, atol=atol, rtol=rtol, equal_nan=True)
            if not ok:
                with np.errstate(invalid="ignore"):  # inf - inf where a mutant overflowed
                    diff = (
                        np.nanmax(np.abs(x.astype(complex) - y.astype(complex)))
                        if x.size
                        else math.nan
                    )
                raise AssertionError(f"{label}: values differ (largest difference {diff:.3g})")
        else:
            assert np.array_equal(x, y), f"{label}: values differ"
        return
    assert a == b, f"{label}: {a!r} != {b!r}"
