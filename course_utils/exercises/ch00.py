"""Exercises of notebook 00: warm-ups that show how answer checks work."""

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
    solution="def to_fahrenheit(celsius):\n    return celsius * 9 / 5 + 32",
    answer_name="to_fahrenheit",
)


def _largest(numbers):
    return float(max(numbers))


largest = Exercise(
    "the largest number, found with a loop",
    reference=_largest,
    cases=[
        ([3.0, 9.0, 2.0],),
        ([-5.0, -2.0, -7.0],),
        ([4.5],),
        ([1.0, 8.0, 8.0, 3.0],),
        ([2.0, 1.0, 0.5],),
        ([1.0, 2.0, 3.0],),  # the largest last: a loop that stops one early misses it
    ],
    hints=(
        "Keep the largest number seen so far in a variable; start with the first number.",
        "Loop over the numbers; whenever one is bigger than the best so far, remember it instead.",
        "Start with `best = numbers[0]`, not with 0: all the numbers may be negative.",
    ),
    solution=(
        "def largest(numbers):\n"
        "    best = numbers[0]  # the largest seen so far\n"
        "    for x in numbers[1:]:\n"
        "        if x > best:  # a new record: remember it\n"
        "            best = x\n"
        "    return best\n"
    ),
    answer_name="largest",
)
