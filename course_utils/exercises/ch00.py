"""Exercises of notebook 00: two warm-ups that show how answer checks work."""

from __future__ import annotations

import numpy as np

from course_utils.checks import Exercise


def _fahrenheit(celsius):
    return np.asarray(celsius, dtype=float) * 9 / 5 + 32


average = Exercise(
    "average of 2, 4 and 9",
    expected=5.0,
    hints=("Add the three numbers and divide by how many there are.",),
    solution="answer = (2 + 4 + 9) / 3",
)

to_fahrenheit = Exercise(
    "Celsius to Fahrenheit",
    reference=_fahrenheit,
    cases=[(0.0,), (100.0,), (-40.0,), (np.array([12.5, 37.0]),)],
    hints=(
        "The formula is F = C × 9/5 + 32.",
        "Your function receives the Celsius value as its only argument and must `return` F.",
    ),
    solution="def answer(celsius):\n    return celsius * 9 / 5 + 32",
)
