"""Device choice, seeding and the fast-mode switch.

Fast mode is one environment variable, ``COURSE_FAST``, read here and nowhere else. When it is
set to ``1`` the notebooks shrink epochs, iterations and model sizes (through :func:`pick`) so the
whole course runs in minutes under test; no topic is ever skipped.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

FAST_ENV_VAR = "COURSE_FAST"
DEVICE_ENV_VAR = "COURSE_DEVICE"
_VALID_DEVICES = ("cuda", "mps", "cpu")


_ON = ("1", "true", "yes", "on")
_OFF = ("0", "false", "no", "off")
# Each switch the course reads, with the values it accepts (unset is always allowed).
SWITCHES: dict[str, tuple[str, ...]] = {
    FAST_ENV_VAR: _ON + _OFF,
    "COURSE_PROGRESS": _ON + _OFF + ("text", "auto"),
    DEVICE_ENV_VAR: _VALID_DEVICES,
}


def switch_problems() -> list[str]:
    """One line per course switch set to a value the course does not understand (no exceptions).

    The environment report shows these, so a typo such as ``COURSE_FAST=maybe`` is reported
    with the values allowed instead of stopping the report.
    """
    problems = []
    for name, allowed in SWITCHES.items():
        value = os.environ.get(name, "").strip().lower()
        if value and value not in allowed:
            problems.append(
                f"{name}={os.environ[name]!r} is not understood; "
                f"allowed: {', '.join(allowed)} (or unset)"
            )
    return problems


def _env_flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in {"", *_OFF}:
        return False
    if value in _ON:
        return True
    raise ValueError(f"{name}={value!r} is not understood; use 1 (on) or 0 (off).")


def is_fast() -> bool:
    """Return True when fast mode is on (``COURSE_FAST=1``).

    A value that is neither on (1, true, yes, on) nor off (0, false, no, off, unset) raises
    ``ValueError`` naming the variable and the values allowed.
    """
    return _env_flag(FAST_ENV_VAR)


def __getattr__(name: str) -> Any:
    # ``FAST`` is read when a notebook imports it (``from course_utils import FAST``), not when
    # the package is imported, so a bad COURSE_FAST stops the notebook with a clear message but
    # never the environment report that explains it.
    if name == "FAST":
        return is_fast()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def pick(full: T, fast: T) -> T:
    """Return ``fast`` in fast mode and ``full`` otherwise.

    Use it for every size a notebook chooses, e.g. ``epochs = pick(full=2000, fast=50)``, so that
    fast mode shrinks the work but still runs every cell.
    """
    if full is None or fast is None:
        raise ValueError("pick() needs both a full and a fast value, got None.")
    if type(full) is not type(fast) and not (
        isinstance(full, (int, float)) and isinstance(fast, (int, float))
    ):
        raise TypeError(
            f"pick(full=..., fast=...) expects values of the same kind, got "
            f"{type(full).__name__} and {type(fast).__name__}."
        )
    return fast if is_fast() else full


def seed_everything(seed: int = 42) -> int:
    """Seed Python's, NumPy's and PyTorch's random generators (CPU and GPU) with ``seed``.

    Returns the seed so a notebook can print what it used.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}.")
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be between 0 and 2**32 - 1, got {seed}.")
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # NumPy-only notebooks still work without torch
        return seed
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed


def _mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def device_report() -> tuple[str, str]:
    """Return ``(device_name, reason)``: which device :func:`get_device` picks and why."""
    import torch

    forced = os.environ.get(DEVICE_ENV_VAR, "").strip().lower()
    if forced:
        if forced not in _VALID_DEVICES:
            raise ValueError(
                f"{DEVICE_ENV_VAR}={forced!r} is not a device; use one of {', '.join(_VALID_DEVICES)}."
            )
        if forced == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"{DEVICE_ENV_VAR}=cuda, but PyTorch sees no CUDA GPU here.")
        if forced == "mps" and not _mps_available():
            raise RuntimeError(f"{DEVICE_ENV_VAR}=mps, but Apple's MPS backend is not available.")
        return forced, f"chosen by the {DEVICE_ENV_VAR} environment variable"
    if torch.cuda.is_available():
        return "cuda", f"an NVIDIA GPU was found ({torch.cuda.get_device_name(0)})"
    if _mps_available():
        return "mps", "an Apple-silicon GPU was found (Metal Performance Shaders)"
    return "cpu", "no CUDA or MPS GPU was found, so the CPU is used (slower, smaller models)"


def get_device() -> Any:
    """Return the best ``torch.device``: CUDA, then Apple MPS, then CPU.

    Set ``COURSE_DEVICE`` to ``cuda``, ``mps`` or ``cpu`` to override the choice.
    """
    import torch

    name, _ = device_report()
    return torch.device(name)


def progress(iterable: Iterable[T] | None = None, **kwargs: Any) -> Any:
    """A tqdm progress bar that works in notebooks and terminals.

    ``COURSE_PROGRESS`` chooses the kind: unset or ``1`` gives tqdm's automatic choice (a widget in
    Jupyter), ``text`` a plain text bar on stdout (used when notebooks are executed to be saved,
    so the stored output shows the finished bar rather than an empty widget), ``0`` no bar at all
    (tqdm.auto ignores ``TQDM_DISABLE`` inside a kernel).
    """
    mode = _progress_mode()
    kwargs.setdefault("disable", mode == "off")
    kwargs.setdefault("mininterval", 0.5)
    if mode == "text":
        import sys

        from tqdm.std import tqdm as text_tqdm

        kwargs.setdefault("file", sys.stdout)
        kwargs.setdefault("ascii", True)
        return text_tqdm(iterable, **kwargs)
    from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs)


def _progress_mode() -> str:
    value = os.environ.get("COURSE_PROGRESS", "1").strip().lower()
    if value in {"0", "false", "no", "off"}:
        return "off"
    if value == "text":
        return "text"
    if value in {"", "1", "true", "yes", "on", "auto"}:
        return "auto"
    raise ValueError(f"COURSE_PROGRESS={value!r} is not understood; use 1, text or 0.")
