"""Answer checks for exercises: friendly feedback instead of tracebacks.

Three layers, from low to high:

- :func:`compare` returns a :class:`Feedback` (``ok`` plus a message) for a learner's value
  against an expected one: scalars, sequences, NumPy arrays, torch tensors, dicts, strings, bools.
  ``None``, a leftover ``...``, a wrong type, a wrong shape, NaN or infinity each get their own
  explanation.
- :func:`check` and :func:`check_function` print that feedback and return ``True``/``False``.
  ``check_function`` calls the learner's function on several inputs and compares each result with
  a reference implementation; an exception inside the learner's code is reported in one line.
- :class:`Exercise` bundles a check with hints and a solution the learner can reveal.
  Each notebook's exercises live in ``course_utils.exercises.chNN``.
"""

from __future__ import annotations

import contextlib
import copy
import numbers
import random
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Feedback", "compare", "check", "check_function", "Exercise"]

PASS_MARK = "✅"
FAIL_MARK = "❌"


@dataclass(frozen=True)
class Feedback:
    """The result of a check: whether it passed and what to tell the learner."""

    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def show(self) -> Feedback:
        """Print the message with a pass/fail mark and return this feedback (truthy when ok)."""
        print(f"{PASS_MARK if self.ok else FAIL_MARK} {self.message}")
        return self

    def _ipython_display_(self) -> None:
        """Show nothing when a check is a cell's last line: the message is already printed."""


def _to_numpy(value: Any) -> Any:
    """Turn tensors and sequences into NumPy arrays; leave anything else alone."""
    if hasattr(value, "detach") and hasattr(
        value, "cpu"
    ):  # a torch tensor, without importing torch
        return value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)):
        try:
            return np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return value
    return value


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"a {type(value).__name__} of shape {tuple(value.shape)}"
    kind = type(value).__name__
    return f"{'an' if kind[0].lower() in 'aeiou' else 'a'} {kind}"


def _fmt(x: Any) -> str:
    if isinstance(x, (float, np.floating)):
        if float(x).is_integer() and abs(x) < 1e15:  # counts: every digit, not 1.07447e+07
            return f"{int(x):,}"
        return f"{float(x):.6g}"
    return repr(x)


def _wrong(name: str, answer: Any, expected: Any, show_expected: bool) -> Feedback:
    shown = f" (expected {expected!r})" if show_expected else ""
    return Feedback(False, f"{name} is {answer!r}, which is not right{shown}.")


def _compare_mapping(answer: Any, expected: Mapping, name: str, **opts: Any) -> Feedback:
    if not isinstance(answer, Mapping):
        return Feedback(False, f"{name} should be a dict, but it is {_describe(answer)}.")
    missing = [k for k in expected if k not in answer]
    if missing:
        return Feedback(False, f"{name} is missing the key(s) {missing}.")
    for key, exp in expected.items():
        fb = compare(answer[key], exp, name=f"{name}[{key!r}]", **opts)
        if not fb.ok:
            return fb
    return Feedback(True, f"{name} is correct.")


def _compare_exact(answer: Any, expected: Any, name: str, show_expected: bool) -> Feedback:
    """Strings and bools: the same type (any bool for a bool) and equal."""
    both_bool = isinstance(expected, (bool, np.bool_)) and isinstance(answer, (bool, np.bool_))
    if type(answer) is not type(expected) and not both_bool:
        return Feedback(
            False, f"{name} should be a {type(expected).__name__}, but it is {_describe(answer)}."
        )
    if answer == expected:
        return Feedback(True, f"{name} is correct.")
    return _wrong(name, answer, expected, show_expected)


def _numeric_array(answer: Any, name: str) -> np.ndarray | Feedback:
    """The answer as a numeric array, or the feedback saying why it is not one."""
    ans = _to_numpy(answer)
    if isinstance(ans, (list, tuple)) and ans and all(hasattr(a, "shape") for a in ans):
        shapes = [tuple(a.shape) for a in ans]  # arrays or tensors of different shapes
        return Feedback(
            False,
            f"{name} is a {type(ans).__name__} of {len(ans)} items whose shapes differ: "
            f"{shapes if len(shapes) <= 6 else shapes[:6] + ['...']}.",
        )
    if isinstance(ans, (str, bytes)) or not isinstance(ans, (numbers.Number, np.ndarray)):
        return Feedback(
            False, f"{name} should be a number or an array, but it is {_describe(answer)}."
        )
    arr = np.asarray(ans)
    if arr.dtype != np.bool_ and not np.issubdtype(arr.dtype, np.number):
        return Feedback(False, f"{name} should hold numbers, but its dtype is {arr.dtype}.")
    return arr


def _fit_shape(ans: np.ndarray, exp: np.ndarray, name: str) -> np.ndarray | Feedback:
    """The answer in the expected shape (a lone number may be reshaped), or shape feedback."""
    if ans.shape == exp.shape:
        return ans
    if ans.size == exp.size == 1:
        return ans.reshape(exp.shape)
    tip = ""
    if ans.shape[::-1] == exp.shape and ans.ndim == 2:
        tip = " It looks transposed: check the order of a matrix product or use .T."
    elif ans.ndim == exp.ndim > 2 and sorted(ans.shape) == sorted(exp.shape):
        tip = (
            " The same sizes in another order: axes may need swapping (transpose or permute), "
            "which a reshape or view cannot do."
        )
    elif ans.size == exp.size:
        tip = " It has the right number of entries: a reshape or squeeze may be missing."
    return Feedback(
        False, f"{name} has shape {ans.shape}, but the expected shape is {exp.shape}.{tip}"
    )


def _non_finite(ans: np.ndarray, exp: np.ndarray, name: str) -> Feedback | None:
    """Feedback when the answer has NaN or infinity where the expected value has none."""
    n_nan = int(np.isnan(ans).sum())
    if n_nan and not np.isnan(exp).any():
        where = "" if ans.size == 1 else f" ({n_nan} of {ans.size} entries)"
        return Feedback(
            False,
            f"{name} contains NaN{where}. Look for 0/0, inf - inf, the "
            "log or square root of a negative number, or a value that "
            "blew up earlier (in training: a learning rate too large).",
        )
    if np.isinf(ans).any() and not np.isinf(exp).any():
        return Feedback(
            False,
            f"{name} contains infinity: a value overflowed. Look for exp() of a large number, "
            "the log of 0 (log(sigmoid(x)) or log(softmax(x)) for very negative x: logsigmoid and "
            "log_softmax compute these safely), division by zero, or divergence.",
        )
    return None


def _compare_numeric(
    answer: Any, exp: Any, name: str, rtol: float, atol: float, show_expected: bool
) -> Feedback:
    ans = _numeric_array(answer, name)
    if isinstance(ans, Feedback):
        return ans
    if np.asarray(exp).dtype == bool and ans.dtype != bool:
        return Feedback(
            False,
            f"{name} should hold True/False values (dtype bool), but its dtype is {ans.dtype}: "
            "a mask is used with ~mask and masked_fill, which need booleans. Build it as bool "
            "(dtype=torch.bool) or compare (== 1).",
        )
    exp_arr = np.asarray(exp, dtype=float)
    ans = _fit_shape(ans, exp_arr, name)
    if isinstance(ans, Feedback):
        return ans
    ans_f = ans.astype(float)
    problem = _non_finite(ans_f, exp_arr, name)
    if problem is not None:
        return problem
    if np.allclose(ans_f, exp_arr, rtol=rtol, atol=atol, equal_nan=True):
        return Feedback(True, f"{name} is correct.")
    if ans_f.size == 1:
        want = exp_arr.item()
        if show_expected:
            shown = f", expected {'' if float(want).is_integer() else 'about '}{_fmt(want)}"
        else:
            shown = ", which is not right"
        return Feedback(False, f"{name} is {_fmt(ans_f.item())}{shown}.")
    bad = ~np.isclose(ans_f, exp_arr, rtol=rtol, atol=atol, equal_nan=True)
    worst = float(np.nanmax(np.abs(ans_f - exp_arr)))
    return Feedback(
        False,
        f"{name} has the right shape {ans_f.shape}, but {int(bad.sum())} of "
        f"{bad.size} entries differ from the expected values (largest "
        f"difference {worst:.3g}).",
    )


def _compare_equal(answer: Any, expected: Any, name: str, show_expected: bool) -> Feedback:
    """Any other object: plain equality."""
    try:
        equal = bool(answer == expected)
    except Exception:  # noqa: BLE001 - objects with odd __eq__ must not crash a check
        equal = False
    if equal:
        return Feedback(True, f"{name} is correct.")
    return _wrong(name, answer, expected, show_expected)


def compare(
    answer: Any,
    expected: Any,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    name: str = "your answer",
    show_expected: bool = True,
) -> Feedback:
    """Compare ``answer`` with ``expected`` and explain any difference.

    Numbers and arrays are compared with ``np.allclose(answer, expected, rtol, atol)``; strings,
    bools and other objects with ``==``. ``show_expected=False`` keeps the expected value out of
    the message (for exercises where it would give the answer away).
    """
    if rtol < 0 or atol < 0:
        raise ValueError("rtol and atol must be non-negative.")
    if answer is None:
        return Feedback(
            False, f"{name} is None. Did you forget a `return`, or to assign the result?"
        )
    if answer is Ellipsis:
        return Feedback(False, f"{name} is still the `...` placeholder: replace it with your code.")
    if isinstance(expected, Mapping):
        return _compare_mapping(
            answer, expected, name, rtol=rtol, atol=atol, show_expected=show_expected
        )
    if isinstance(expected, (str, bool, np.bool_)):
        return _compare_exact(answer, expected, name, show_expected)
    exp = _to_numpy(expected)
    if isinstance(exp, (numbers.Number, np.ndarray)):
        return _compare_numeric(answer, exp, name, rtol, atol, show_expected)
    return _compare_equal(answer, expected, name, show_expected)


def check(
    answer: Any,
    expected: Any,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    name: str = "your answer",
    show_expected: bool = True,
) -> Feedback:
    """Print friendly feedback on ``answer`` against ``expected``.

    Returns the :class:`Feedback`, which is truthy when the answer matches (``if check(...):``).
    """
    return compare(
        answer, expected, rtol=rtol, atol=atol, name=name, show_expected=show_expected
    ).show()


def _short(args: Sequence[Any]) -> str:
    parts = []
    for a in args:
        if isinstance(a, np.ndarray) or (hasattr(a, "shape") and hasattr(a, "dtype")):
            parts.append(f"<{type(a).__name__} shape {tuple(a.shape)}>")
        else:
            text = repr(a)
            parts.append(text if len(text) <= 40 else text[:37] + "...")
    return ", ".join(parts)


def compare_function(
    fn: Any,
    reference: Callable[..., Any],
    cases: Sequence[Sequence[Any]],
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    name: str | None = None,
) -> Feedback:
    """Call ``fn(*case)`` and ``reference(*case)`` for each case and compare the results."""
    if not callable(reference):
        raise TypeError("reference must be a function.")
    if not cases:
        raise ValueError("compare_function needs at least one test case.")
    if fn is None or fn is Ellipsis:
        return Feedback(False, "Your function is missing: define it and pass it in (no brackets).")
    if not callable(fn):
        return Feedback(
            False,
            f"Expected a function, but got {_describe(fn)}. Pass the function "
            "itself, e.g. check(my_func), not my_func(...).",
        )
    label = name or getattr(fn, "__name__", "your function")
    for i, case in enumerate(cases, start=1):
        args = tuple(case)
        # Each side gets its own copy: a function that changes its inputs in place can neither
        # change the expected answer nor damage the stored cases for the next check.
        want = reference(*_fresh(args))
        given = _fresh(args)
        try:
            got = fn(*given)
        except Exception as exc:  # noqa: BLE001 - any learner error becomes feedback
            return Feedback(False, f"{label}({_short(args)}) raised {type(exc).__name__}: {exc}")
        fb = compare(got, want, rtol=rtol, atol=atol, name=f"{label}({_short(args)})")
        if not fb.ok:
            return Feedback(False, f"test {i} of {len(cases)}: {fb.message}")
        for k, (original, after) in enumerate(zip(args, given), start=1):
            if _changed(original, after):
                return Feedback(
                    False,
                    f"test {i} of {len(cases)}: the result is right, but {label} changed its "
                    f"argument {k} ({_short([original])}) in place. Work on a copy (`w.copy()` "
                    "for an array, `w.clone()` for a tensor, `list(items)` for a list) so the "
                    "caller's data stays as it was.",
                )
    return Feedback(True, f"{label} passed all {len(cases)} tests.")


def _changed(original: Any, after: Any) -> bool:
    """Whether a function changed an argument in place (values, shape, or a tensor's
    ``requires_grad``/``grad``); False for objects it cannot compare."""
    try:
        if isinstance(original, np.ndarray) and isinstance(after, np.ndarray):
            return original.shape != after.shape or not np.array_equal(
                original, after, equal_nan=original.dtype.kind in "fc"
            )
        torch = sys.modules.get("torch")  # not loaded: no argument can be a tensor
        if torch is not None and isinstance(original, torch.Tensor):
            if original.shape != after.shape or original.requires_grad != after.requires_grad:
                return True
            if original.grad is None and after.grad is not None:
                return True
            a, b = original.detach(), after.detach()
            same = torch.equal(a, b) or (
                a.is_floating_point()
                and bool(
                    torch.equal(a.isnan(), b.isnan())
                    and torch.equal(a.nan_to_num(), b.nan_to_num())
                )
            )
            return not same
        if isinstance(original, (list, dict, set)):
            return bool(original != after)
    except Exception:  # noqa: BLE001 - e.g. lists of arrays: cannot tell, so do not accuse
        return False
    return False


def _fresh(args: tuple) -> tuple:
    """Deep copies of a test case's arguments (objects that cannot be copied are passed as is)."""
    out = []
    for a in args:
        try:
            out.append(copy.deepcopy(a))
        except Exception:  # noqa: BLE001 - e.g. generators, open files: nothing to protect
            out.append(a)
    return tuple(out)


@contextlib.contextmanager
def _random_state_kept() -> Iterator[None]:
    """Run a check without touching the learner's random streams.

    Checks seed and draw random numbers of their own. Without this, a later cell of the notebook
    would draw different numbers depending on whether (and how far) the check ran: results would
    change once the learner solves an exercise. NumPy's, Python's and (when loaded) PyTorch's CPU
    generator continue afterwards as if no check had run.
    """
    np_state, py_state = np.random.get_state(), random.getstate()
    torch = sys.modules.get("torch")
    torch_state = torch.random.get_rng_state() if torch is not None else None
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
        if torch_state is not None:
            torch.random.set_rng_state(torch_state)


def check_function(
    fn: Any,
    reference: Callable[..., Any],
    cases: Sequence[Sequence[Any]],
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    name: str | None = None,
) -> Feedback:
    """Print feedback from :func:`compare_function`; the result is truthy when every case matches."""
    return compare_function(fn, reference, cases, rtol=rtol, atol=atol, name=name).show()


def _display_code(code: str, title: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        if get_ipython() is not None:
            display(Markdown(f"**{title}**\n\n```python\n{code}\n```"))
            return
    except ImportError:
        pass
    print(f"{title}\n{code}")


class Exercise:
    """One exercise: how to check it, hints, and a solution the learner may reveal.

    Give exactly one way to check an answer:

    - ``expected``: the right value (or a zero-argument function that computes it), compared with
      :func:`compare`;
    - ``reference`` and ``cases``: the answer is a function, compared with ``reference`` on every
      case by :func:`compare_function` (``cases`` may be a zero-argument function too);
    - ``validator``: a function ``answer -> Feedback`` for answers with many right values (for
      example "a learning rate that converges in 100 epochs").

    ``solution`` is self-contained Python source that defines ``answer_name``; the test suite runs
    every solution through its own check. In a notebook: ``ex.check(my_answer)``, ``ex.hint()``,
    ``ex.solution()``.
    """

    def __init__(
        self,
        title: str,
        *,
        expected: Any = None,
        reference: Callable[..., Any] | None = None,
        cases: Sequence[Sequence[Any]] | Callable[[], Sequence[Sequence[Any]]] | None = None,
        validator: Callable[[Any], Feedback] | None = None,
        hints: Sequence[str] = (),
        solution: str,
        answer_name: str = "answer",
        rtol: float = 1e-5,
        atol: float = 1e-8,
        show_expected: bool = False,
    ) -> None:
        if not isinstance(title, str) or not title:
            raise ValueError("An exercise needs a non-empty title.")
        ways = sum(x is not None for x in (expected, reference, validator))
        if ways != 1:
            raise ValueError(
                f"Exercise {title!r} needs exactly one of expected, reference or validator."
            )
        if reference is not None and cases is None:
            raise ValueError(f"Exercise {title!r} has a reference but no test cases.")
        if not isinstance(solution, str) or not solution.strip():
            raise ValueError(f"Exercise {title!r} needs a solution (Python source).")
        self.title = title
        self.expected = expected
        self.reference = reference
        self.cases = cases
        self.validator = validator
        self.hints = tuple(hints)
        self.solution_code = solution.strip("\n")
        self.answer_name = answer_name
        self.rtol = rtol
        self.atol = atol
        self.show_expected = show_expected
        self._hints_shown = 0

    def __repr__(self) -> str:
        return f"Exercise({self.title!r})"

    def feedback(self, answer: Any) -> Feedback:
        """Return the :class:`Feedback` for ``answer`` without printing it."""
        with _random_state_kept():
            return self._feedback(answer)

    def _feedback(self, answer: Any) -> Feedback:
        try:
            if self.validator is not None:
                if answer is None or answer is Ellipsis:
                    return compare(answer, 0.0)  # the shared None / placeholder message
                return self.validator(answer)
            if self.reference is not None:
                cases = self.cases() if callable(self.cases) else self.cases
                return compare_function(
                    answer, self.reference, cases, rtol=self.rtol, atol=self.atol
                )
            expected = self.expected() if callable(self.expected) else self.expected
            return compare(
                answer, expected, rtol=self.rtol, atol=self.atol, show_expected=self.show_expected
            )
        except Exception as exc:  # noqa: BLE001 - the learner sees a message, never a traceback
            return Feedback(
                False,
                f"Your answer could not be checked ({type(exc).__name__}: {exc}). If that "
                "error comes from your own code (a method of your class, a function it calls), "
                "fix it there; otherwise check the answer's type and shape.",
            )

    def check(self, answer: Any) -> Feedback:
        """Print whether ``answer`` is right (and why not); the result is truthy when it is."""
        result = self.feedback(answer)
        fb = Feedback(result.ok, f"{self.title}: {result.message}")
        fb.show()
        if not fb.ok and self._hints_shown == 0:
            print("   Stuck? Call .hint() for a hint, or .solution() to see one way to do it.")
        return fb

    def hint(self) -> None:
        """Print the next hint (the last one again once all have been shown)."""
        if not self.hints:
            print("No hints for this one: try .solution().")
            return
        index = min(self._hints_shown, len(self.hints) - 1)
        self._hints_shown = index + 1
        print(f"Hint {index + 1}/{len(self.hints)}: {self.hints[index]}")

    def solution(self) -> None:
        """Show one correct solution."""
        _display_code(self.solution_code, f"Solution: {self.title}")

    def run_solution(self) -> Any:
        """Execute the solution source and return the value it defines (used by the tests)."""
        namespace: dict[str, Any] = {}
        exec(compile(self.solution_code, f"<solution {self.title}>", "exec"), namespace)
        if self.answer_name not in namespace:
            raise KeyError(f"The solution of {self.title!r} does not define {self.answer_name!r}.")
        return namespace[self.answer_name]
