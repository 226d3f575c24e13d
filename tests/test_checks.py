import numpy as np
import pytest
import torch

from course_utils.checks import (
    Exercise,
    Feedback,
    check,
    check_function,
    compare,
    compare_function,
)


def test_correct_values_pass():
    assert compare(1.0 + 1e-9, 1.0).ok
    assert compare([1, 2, 3], np.array([1.0, 2.0, 3.0])).ok
    assert compare(torch.tensor([0.5, 0.25]), [0.5, 0.25]).ok
    assert compare(np.float32(0.1), 0.1, rtol=1e-6).ok
    assert compare("cat", "cat").ok
    assert compare(True, True).ok
    assert compare({"a": 1.0, "b": [1, 2]}, {"a": 1.0, "b": [1, 2]}).ok
    assert compare(np.array([[2.0]]), 2.0).ok  # one-element arrays count as scalars


@pytest.mark.parametrize(
    ("answer", "expected", "phrase"),
    [
        (None, 1.0, "None"),
        (..., 1.0, "placeholder"),
        (np.nan, 1.0, "NaN"),
        (np.array([1.0, np.inf]), np.array([1.0, 2.0]), "infinity"),
        (np.ones((3, 2)), np.ones((2, 3)), "transposed"),
        (np.ones(6), np.ones((2, 3)), "reshape"),
        (np.ones((1, 2, 3, 4)), np.ones((1, 3, 2, 4)), "transpose or permute"),  # heads, time
        (np.array([1.0, np.inf]), np.array([1.0, 2.0]), "logsigmoid"),
        (np.ones((2, 2)), np.ones((2, 2), dtype=bool), "dtype bool"),  # a float mask
        (np.ones(4), np.ones(3), "shape (4,)"),
        ("4.8", 4.8, "number or an array"),
        (2.0, 1.0, "is 2"),
        (np.array([1.0, 2.5]), np.array([1.0, 2.0]), "1 of 2 entries"),
        ("dog", "cat", "not right"),
        (1, True, "should be a bool"),
        ([1, 2], {"a": 1}, "should be a dict"),
        ({"b": 1}, {"a": 1}, "missing"),
        (np.array(["a", "b"]), np.array([1.0, 2.0]), "dtype"),
    ],
)
def test_wrong_answers_get_a_specific_message(answer, expected, phrase):
    fb = compare(answer, expected)
    assert not fb.ok
    assert phrase in fb.message


def test_show_expected_can_hide_the_answer():
    assert "4.8" not in compare(1.0, 4.8, show_expected=False).message
    assert "4.8" in compare(1.0, 4.8).message


def test_tolerance_is_respected():
    assert compare(1.01, 1.0, rtol=0.02).ok
    assert not compare(1.01, 1.0, rtol=1e-3).ok
    with pytest.raises(ValueError):
        compare(1.0, 1.0, rtol=-1)


def test_check_prints_feedback(capsys):
    assert check(3, 3)
    assert not check(None, 3)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out


def square(x):
    return x**2


def test_compare_function_reports_first_failure_and_exceptions():
    cases = [(np.array([1.0, 2.0]),), (np.array([-3.0]),)]
    assert compare_function(lambda x: x * x, square, cases).ok
    bad = compare_function(lambda x: x * np.abs(x), square, cases)  # wrong for negatives only
    assert not bad.ok and "test 2 of 2" in bad.message
    boom = compare_function(lambda x: 1 / 0, square, cases)
    assert not boom.ok and "ZeroDivisionError" in boom.message
    assert "function itself" in compare_function(4, square, cases).message
    assert "missing" in compare_function(None, square, cases).message


def test_compare_function_does_not_let_learner_mutate_inputs():
    x = np.array([1.0, 2.0])

    def mutating(a):
        a *= 10
        return a**2 / 100

    fb = compare_function(mutating, square, [(x,)])
    assert not fb.ok and "changed its argument 1" in fb.message and "copy" in fb.message
    assert np.array_equal(x, [1.0, 2.0])


def test_compare_function_protects_lists_and_tensors_and_the_expected_answer():
    cases = [([1, 3, 2],), ([5, 4],)]

    def shrink_then_first(items):  # wrong, and it shrinks its input to match its answer
        items[:] = items[:1]
        return items[0]

    fb = compare_function(shrink_then_first, max, cases)
    assert not fb.ok and "test 1 of 2" in fb.message
    assert cases == [([1, 3, 2],), ([5, 4],)], "the stored cases stay intact"

    t = torch.tensor([1.0, 2.0, 4.0])

    def halve_in_place(v):  # right answer, computed by changing the input: told so
        return v.div_(2)

    fb = compare_function(halve_in_place, lambda v: v / 2, [(t,)])
    assert not fb.ok and "the result is right" in fb.message and "clone()" in fb.message
    assert torch.equal(t, torch.tensor([1.0, 2.0, 4.0]))

    def track_gradient(v):  # switching on requires_grad changes the caller's tensor too
        v.requires_grad_(True)
        return v.detach() / 2

    assert "in place" in compare_function(track_gradient, lambda v: v / 2, [(t,)]).message
    nan_input = torch.tensor([float("nan"), 1.0])
    assert compare_function(lambda v: v * 1, lambda v: v * 1, [(nan_input,)]).ok


def test_compare_function_needs_cases_and_reference():
    with pytest.raises(ValueError):
        compare_function(square, square, [])
    with pytest.raises(TypeError):
        compare_function(square, 3, [(1,)])
    assert check_function(square, square, [(2.0,)]).ok


def make_exercise(**kwargs):
    base = dict(hints=("multiply by itself",), solution="def answer(x):\n    return x * x\n")
    base.update(kwargs)
    return Exercise("square", **base)


def test_exercise_with_reference_hint_and_solution(capsys):
    ex = make_exercise(reference=square, cases=[(2.0,), (np.arange(3.0),)])
    assert ex.check(ex.run_solution())
    assert not ex.check(lambda x: x + x)
    ex.hint()
    ex.hint()  # repeats the last hint rather than failing
    ex.solution()
    out = capsys.readouterr().out
    assert "Hint 1/1" in out and "return x * x" in out and ".hint()" in out


def test_exercise_with_expected_value_and_lazy_expected():
    ex = Exercise("value", expected=lambda: 4.8, solution="answer = 4.8")
    assert ex.check(4.8) and not ex.check(5.0)
    assert "4.8" not in ex.feedback(5.0).message  # exercises hide the answer by default


def test_exercise_with_validator():
    ex = Exercise(
        "positive",
        validator=lambda a: Feedback(a > 0, "positive" if a > 0 else "must be positive"),
        solution="answer = 1",
    )
    assert ex.check(2) and not ex.check(-1)
    assert "None" in ex.feedback(None).message


def test_exercise_never_raises_on_strange_answers():
    ex = Exercise(
        "strange",
        validator=lambda a: Feedback(a["key"] > 0, "ok"),
        solution="answer = {'key': 1}",
    )
    fb = ex.feedback(42)  # validator itself raises TypeError
    assert not fb.ok and "could not be checked" in fb.message


def test_exercise_definition_errors():
    with pytest.raises(ValueError, match="exactly one"):
        Exercise("x", solution="answer = 1")
    with pytest.raises(ValueError, match="exactly one"):
        Exercise("x", expected=1, validator=lambda a: Feedback(True, ""), solution="answer = 1")
    with pytest.raises(ValueError, match="no test cases"):
        Exercise("x", reference=square, solution="answer = 1")
    with pytest.raises(ValueError, match="solution"):
        Exercise("x", expected=1, solution="  ")
    with pytest.raises(KeyError):
        Exercise("x", expected=1, solution="other = 1").run_solution()


def test_a_check_leaves_the_learners_random_streams_alone():
    def noisy_validator(answer):  # seeds and draws, as some checks do
        torch.manual_seed(0)
        np.random.seed(0)
        torch.randn(5)
        np.random.rand(5)
        return Feedback(answer == 1, "ok")

    ex = Exercise("noisy", validator=noisy_validator, solution="answer = 1")
    torch.manual_seed(123)
    np.random.seed(123)
    want_torch, want_np = torch.randn(3), np.random.rand(3)
    torch.manual_seed(123)
    np.random.seed(123)
    ex.feedback(1)
    assert torch.equal(torch.randn(3), want_torch)
    assert np.array_equal(np.random.rand(3), want_np)
