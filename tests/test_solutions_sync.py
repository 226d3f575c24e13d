"""Each exercise's solution is written once (``Exercise.solution``); the notebooks show exactly it.

The folded solution cell after each exercise's check cell must be the one
``tools/sync_solutions.py`` generates, and the solution must define the name the check cell
passes without rebinding anything the notebook imported (a solution that redefines ``sigmoid``
would silently replace the library's function for the rest of the notebook).
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
sync_solutions = load_script("tools/sync_solutions.py")


def _parse(source: str) -> ast.Module:
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    return ast.parse("\n".join(lines))


def _imports(tree: ast.Module) -> dict[str, str]:
    """Top-level names bound by import statements, with what they import."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def _targets(node: ast.AST) -> set[str]:
    return {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def bound_names(tree: ast.Module) -> set[str]:
    """Names a module binds at top level (definitions, assignments, imports, loop variables)."""
    names: set[str] = set(_imports(tree))
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= _targets(target)
        elif isinstance(node, (ast.For, ast.With, ast.If, ast.While, ast.Try)):
            if isinstance(node, ast.For):
                names |= _targets(node.target)
            if isinstance(node, ast.With):
                names |= set().union(
                    *(_targets(i.optional_vars) for i in node.items if i.optional_vars is not None)
                )
            stack.extend(ast.iter_child_nodes(node))
    return names


def _cases() -> list[tuple[Path, object]]:
    return [
        (path, call)
        for path in NOTEBOOKS
        for call in sync_solutions.exercise_checks(nbformat.read(path, as_version=4))
    ]


CASES = _cases()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solution_cells_are_generated_from_the_exercises(path):
    stale = sync_solutions.differences(path)
    assert not stale, (
        f"{path.name}: the solution cells of {', '.join(stale)} differ from "
        f"Exercise.solution; run python tools/sync_solutions.py {path.relative_to(ROOT)}"
    )


def test_every_exercise_has_a_check_cell_in_its_notebook():
    from course_utils.exercises import all_exercises

    in_notebooks = {call.key for _, call in CASES}
    assert set(all_exercises()) <= in_notebooks, set(all_exercises()) - in_notebooks


@pytest.mark.parametrize(("path", "call"), CASES, ids=[c.key for _, c in CASES])
def test_solution_defines_the_checked_name(path, call):
    assert call.argument is not None, f"{path.name}: the check cell of {call.key} passes no name"
    solution = sync_solutions.solution_code(call.key)
    bound = bound_names(_parse(solution))
    assert call.argument in bound, (
        f"the solution of {call.key} must define {call.argument!r} (the name its check cell in "
        f"{path.name} passes); it defines {sorted(bound)}"
    )
    from course_utils.exercises import all_exercises

    namespace: dict = {}
    exec(compile(solution, f"<solution {call.key}>", "exec"), namespace)
    feedback = all_exercises()[call.key].feedback(namespace[call.argument])
    assert feedback.ok, f"{call.key}: {call.argument} from the solution fails its check: {feedback}"


@pytest.mark.parametrize(("path", "call"), CASES, ids=[c.key for _, c in CASES])
def test_solution_never_rebinds_a_notebook_import(path, call):
    nb = nbformat.read(path, as_version=4)
    imported: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            try:
                imported.update(_imports(_parse(cell.source)))
            except SyntaxError:
                continue
    tree = _parse(sync_solutions.solution_code(call.key))
    same_import = {n for n, what in _imports(tree).items() if imported.get(n) == what}
    clashes = sorted((bound_names(tree) & set(imported)) - same_import)
    assert not clashes, (
        f"the solution of {call.key} rebinds {clashes}, which {path.name} "
        "imported; give its own definitions other names"
    )
