"""Every exercise of every notebook: its solution passes, and odd answers never raise."""

import numpy as np
import pytest

from course_utils.checks import Exercise
from course_utils.exercises import all_exercises

EXERCISES = all_exercises()


def test_every_notebook_module_defines_exercises():
    assert EXERCISES, "no exercises found"
    assert all(isinstance(e, Exercise) for e in EXERCISES.values())


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_solution_passes_its_own_check(key):
    ex = EXERCISES[key]
    assert ex.feedback(ex.run_solution()).ok, ex.feedback(ex.run_solution()).message


ODD_ANSWERS = [None, ..., np.nan, np.ones((7, 3)), "text", lambda *a, **k: None, {"a": 1}]


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_odd_answers_get_feedback_not_exceptions(key):
    ex = EXERCISES[key]
    for odd in ODD_ANSWERS:
        fb = ex.feedback(odd)
        assert not fb.ok, f"{key} accepted {odd!r}"
        assert isinstance(fb.message, str) and fb.message


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_exercise_has_hint(key):
    assert EXERCISES[key].hints, f"{key} has no hint"


def test_a_class_whose_init_fails_is_told_what_failed():
    from course_utils.exercises import ch06

    class Dropout:  # a learner's class with the wrong signature
        def __init__(self, p):
            self.p = p

    fb = ch06.dropout_layer.feedback(Dropout)
    assert not fb.ok and "unexpected keyword argument 'seed'" in fb.message
