"""How much of each course_utils module is input checking: one row per module, then the total.

Usage: ``python tools/check_share.py [folder]`` (default: ``course_utils``, searched recursively).

Definitions (physical lines of each ``.py`` file):

- code lines: lines that are not blank, not only a comment, and not part of a docstring (the
  string that opens a module, class or function);
- check lines, a subset of the code lines:

  * an ``if`` (or ``elif``) statement whose body only raises: its condition line(s) and the
    ``raise`` line(s);
  * a standalone call to a validation helper: a statement that is only the call, its result
    unused (``_check_lr(lr)``). Validation helpers are the functions of
    ``course_utils.validation`` (called as ``validation.f`` or imported by name, under any alias)
    and every function whose name starts with ``_check`` or ``check_``. A call whose result the
    code goes on to use (``X = as_matrix(X)``: the conversion to an array the algorithm needs
    anyway) is code, not a check line;
  * in ``validation.py``, the whole body of a function whose name starts with ``_check`` or
    ``check_``.

The share is check lines / code lines. The course aims at 12 % or less per module: checks belong
at the learner's boundary (the functions a notebook calls), internal helpers trust their callers.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


def _validation_names(tree: ast.AST) -> set[str]:
    """Names bound to functions of course_utils.validation by ``from ... import`` in this file."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in (
            "course_utils.validation",
            "validation",
        ):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _is_check_name(name: str) -> bool:
    return name.startswith("_check") or name.startswith("check_")


def _is_helper_call(value: ast.AST, helpers: set[str]) -> bool:
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Name):
        return func.id in helpers or _is_check_name(func.id)
    if isinstance(func, ast.Attribute):
        if isinstance(func.value, ast.Name) and func.value.id == "validation":
            return True
        return _is_check_name(func.attr)
    return False


def check_lines(tree: ast.AST, is_validation_module: bool) -> set[int]:
    """Line numbers of the input checks in a parsed module (see the module docstring)."""
    helpers = _validation_names(tree)
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and all(isinstance(s, ast.Raise) for s in node.body):
            lines.update(range(node.lineno, node.body[-1].end_lineno + 1))
        elif isinstance(node, ast.Expr):
            if _is_helper_call(node.value, helpers):
                lines.update(range(node.lineno, node.end_lineno + 1))
        elif (
            is_validation_module and isinstance(node, ast.FunctionDef) and _is_check_name(node.name)
        ):
            lines.update(range(node.body[0].lineno, node.end_lineno + 1))
    return lines


def measure(path: Path) -> tuple[int, int]:
    """``(check lines, code lines)`` of one file."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    docs = _docstring_lines(tree)
    code = {
        i
        for i, text in enumerate(source.splitlines(), start=1)
        if text.strip() and not text.strip().startswith("#") and i not in docs
    }
    checks = check_lines(tree, path.name == "validation.py") & code
    return len(checks), len(code)


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else ROOT / "course_utils"
    rows = []
    for path in sorted(folder.rglob("*.py")):
        checks, code = measure(path)
        name = path.relative_to(folder.parent).with_suffix("").as_posix().replace("/", ".")
        rows.append((name, checks, code))
    rows.sort(key=lambda r: (-(r[1] / r[2]) if r[2] else 0.0, r[0]))
    width = max(len(r[0]) for r in rows)
    print(f"{'module':<{width}}  {'checks':>6}  {'code':>5}  share")
    for name, checks, code in rows:
        share = checks / code if code else 0.0
        print(f"{name:<{width}}  {checks:>6}  {code:>5}  {share:5.1%}")
    total_checks = sum(r[1] for r in rows)
    total_code = sum(r[2] for r in rows)
    share = total_checks / total_code
    print(f"{'total':<{width}}  {total_checks:>6}  {total_code:>5}  {share:5.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
