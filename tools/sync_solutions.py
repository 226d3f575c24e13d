"""Write each exercise's folded solution cell from its one source, ``Exercise.solution``.

    python tools/sync_solutions.py                       # every notebook
    python tools/sync_solutions.py notebooks/03_*.ipynb  # some of them
    python tools/sync_solutions.py --check               # only report; exit 1 if any differ

An exercise's check cell is the first code cell that calls ``chNN.<name>.check(NAME)`` (with a
plain name, when there are several calls, as in notebook 00 which also shows wrong answers). Its
solution cell is the next markdown cell tagged ``solution`` (or holding
``<summary>Solution``) before the next exercise's check cell; when there is none, one is inserted
right after the check cell. The cell becomes::

    <details><summary>Solution</summary>

    ```python
    <Exercise.solution, explanations as comments>
    ```
    </details>

tagged ``solution``. Anything else the old cell held (prose of the next section) is kept in a
new markdown cell after it.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_TAG = "solution"
_DETAILS = re.compile(r"<details>\s*<summary>\s*Solution.*?</details>", re.S)


@dataclass(frozen=True)
class CheckCall:
    """``chNN.<exercise>.check(<argument>)`` in code cell ``index``."""

    index: int
    chapter: str
    exercise: str
    argument: str | None  # the name passed, None when it is an expression

    @property
    def key(self) -> str:
        return f"{self.chapter}.{self.exercise}"


def _check_calls_in(source: str) -> list[tuple[str, str, str | None]]:
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        func = getattr(node, "func", None)
        if not (
            isinstance(node, ast.Call)
            and isinstance(func, ast.Attribute)
            and func.attr == "check"
            and isinstance(func.value, ast.Attribute)
            and isinstance(func.value.value, ast.Name)
            and re.fullmatch(r"ch\d\d", func.value.value.id)
        ):
            continue
        arg = node.args[0] if node.args else None
        found.append(
            (func.value.value.id, func.value.attr, arg.id if isinstance(arg, ast.Name) else None)
        )
    return found


def exercise_checks(nb: Any) -> list[CheckCall]:
    """The check cell of each exercise of the notebook, in notebook order."""
    calls = [
        CheckCall(i, ch, ex, arg)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for ch, ex, arg in _check_calls_in(cell.source)
    ]
    chosen: dict[str, CheckCall] = {}
    for call in calls:
        first = chosen.get(call.key)
        if first is None or (first.argument is None and call.argument is not None):
            chosen[call.key] = call
    return sorted(chosen.values(), key=lambda c: c.index)


def is_solution_cell(cell: Any) -> bool:
    return cell.cell_type == "markdown" and (
        SOLUTION_TAG in cell.metadata.get("tags", []) or "<summary>Solution" in cell.source
    )


def solution_markdown(code: str) -> str:
    """The folded solution cell's source for the solution ``code``."""
    return (
        f"<details><summary>Solution</summary>\n\n```python\n{code.strip(chr(10))}\n```\n</details>"
    )


def solution_code(key: str) -> str:
    chapter, name = key.split(".")
    module = importlib.import_module(f"course_utils.exercises.{chapter}")
    exercise = getattr(module, name, None)
    if exercise is None or not hasattr(exercise, "solution_code"):
        raise LookupError(f"course_utils.exercises.{chapter} has no exercise {name!r}.")
    return exercise.solution_code


def _find_solution_cell(nb: Any, call: CheckCall, stop: int) -> int | None:
    for i in range(call.index + 1, stop):
        if is_solution_cell(nb.cells[i]):
            return i
    return None


def _leftover(source: str) -> str:
    """What a solution cell holds besides its ``<details>`` block."""
    return _DETAILS.sub("", source, count=1).strip("\n")


def sync(nb: Any) -> list[str]:
    """Rewrite the notebook's solution cells in place; return the keys of those that changed."""
    changed = []
    checks = exercise_checks(nb)
    for n, call in enumerate(reversed(checks)):  # from the end: inserts keep earlier indices
        following = checks[len(checks) - n :]
        stop = following[0].index if following else len(nb.cells)
        wanted = solution_markdown(solution_code(call.key))
        where = _find_solution_cell(nb, call, stop)
        if where is None:
            cell = nbformat.v4.new_markdown_cell(wanted, metadata={"tags": [SOLUTION_TAG]})
            nb.cells.insert(call.index + 1, cell)
            changed.append(call.key)
            continue
        cell = nb.cells[where]
        tags = cell.metadata.get("tags", [])
        if cell.source == wanted and SOLUTION_TAG in tags:
            continue
        rest = _leftover(cell.source) if _DETAILS.search(cell.source) else ""
        cell.source = wanted
        if SOLUTION_TAG not in tags:
            cell.metadata["tags"] = [*tags, SOLUTION_TAG]
        if rest:
            nb.cells.insert(where + 1, nbformat.v4.new_markdown_cell(rest))
        changed.append(call.key)
    return sorted(changed)


def differences(path: Path) -> list[str]:
    """The exercises whose solution cell in ``path`` is not generated from their solution."""
    return sync(nbformat.read(path, as_version=4))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 listing notebooks whose solution cells differ",
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"No such notebook: {', '.join(map(str, missing))}")
        return 2
    stale = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        changed = sync(nb)
        if not changed:
            continue
        stale += 1
        if args.check:
            print(f"{path}: {len(changed)} solution cell(s) differ: {', '.join(changed)}")
        else:
            nbformat.write(nb, path)
            print(f"{path}: rewrote {len(changed)} solution cell(s): {', '.join(changed)}")
    if args.check and stale:
        print(f"{stale} notebook(s) out of date: run python tools/sync_solutions.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
