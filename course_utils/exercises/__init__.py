"""Exercises, one module per notebook (``ch00``, ``ch01``, ...).

In a notebook::

    from course_utils.exercises import ch01
    ch01.mse.check(my_mse)   # instant feedback
    ch01.mse.hint()          # a nudge
    ch01.mse.solution()      # one correct answer

Every exercise's solution is run through its own check by ``tests/test_exercises.py``.
"""

from __future__ import annotations

import importlib
import pkgutil

from course_utils.checks import Exercise

__all__ = ["all_exercises"]


def all_exercises() -> dict[str, Exercise]:
    """Return every exercise of every chapter, keyed ``"chNN.name"``."""
    found: dict[str, Exercise] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for attr, value in vars(module).items():
            if isinstance(value, Exercise):
                found[f"{info.name}.{attr}"] = value
    return found
