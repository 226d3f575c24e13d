"""Every notebook cell that mirrors a package definition is proved equal to it.

A code cell whose first line is ``# mirror: course_utils.mod.name`` defines ``name`` for the
learner to read. This test runs all mirror cells of a notebook, in order, in one namespace
(pre-filled with ``np``, ``math``, ``torch``, ``nn`` and ``F``), and hands the notebook's object
and the package's to the case registered in ``tests/mirror_cases/nbNN.py``. So the code a learner
reads and the code the tests prove cannot drift apart.

To show that a case would notice a change, each mirrored definition is also mutated (one
operator, comparison or constant flipped) and the case must then fail.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

ROOT = Path(__file__).resolve().parents[1]
# Case modules import their comparison helper as `tests.mirror_cases.compare` (or `mirror_cases...`).
for _path in (str(ROOT), str(ROOT / "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)
NOTEBOOKS = ROOT / "notebooks"
CASES_DIR = Path(__file__).resolve().parent / "mirror_cases"
MARK = re.compile(r"^#\s*mirror:\s*(course_utils(?:\.\w+)+)\s*$")
KINDS = ("operator", "comparison", "constant")


@dataclass(frozen=True)
class MirrorCell:
    notebook: str  # "nb01"
    index: int  # cell index in the notebook
    target: str  # "course_utils.linear.mse"
    source: str

    @property
    def name(self) -> str:
        return self.target.rsplit(".", 1)[1]


def _nb_key(path: Path) -> str:
    return "nb" + path.name[:2]


def find_mirror_cells(paths: list[Path] | None = None) -> list[MirrorCell]:
    cells = []
    for path in paths or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            match = MARK.match(cell.source.lstrip().splitlines()[0])
            if match:
                cells.append(MirrorCell(_nb_key(path), i, match.group(1), cell.source))
    return cells


def fresh_namespace() -> dict[str, Any]:
    return {"np": np, "math": math, "torch": torch, "nn": nn, "F": F, "__name__": "mirror"}


def run_cells(cells: list[MirrorCell], replace: dict[int, ast.Module] | None = None) -> dict:
    """Execute mirror cells in order; return {cell index: the object the cell defines}."""
    ns, defined = fresh_namespace(), {}
    for cell in cells:
        tree = (replace or {}).get(cell.index) or ast.parse(cell.source)
        exec(compile(tree, f"<{cell.notebook} cell {cell.index}>", "exec"), ns)  # noqa: S102
        assert cell.name in ns, f"{cell.notebook} cell {cell.index} does not define {cell.name!r}"
        defined[cell.index] = ns[cell.name]
    return defined


def package_object(target: str) -> Any:
    module, name = target.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def load_cases(notebook: str) -> tuple[dict, dict]:
    path = CASES_DIR / f"{notebook}.py"
    if not path.exists():
        return {}, {}
    spec = importlib.util.spec_from_file_location(f"mirror_cases_{notebook}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, "CASES", {}), getattr(module, "SURVIVING_MUTANTS", {})


# --- mutation: flip the first operator, comparison or constant inside the mirrored definition ---

_SWAP_OP = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.Pow: ast.Mult,
    ast.MatMult: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.Add,
}
_SWAP_CMP = {
    ast.Lt: ast.GtE,
    ast.LtE: ast.Gt,
    ast.Gt: ast.LtE,
    ast.GtE: ast.Lt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
}


def _definition(tree: ast.Module, name: str) -> ast.AST | None:
    for node in tree.body:
        if (
            isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
            and node.name == name
        ):
            return node
    return None


def _body_nodes(definition: ast.AST):
    """Nodes of the definition's body in source order, docstrings and decorators left out."""
    body = list(definition.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    for stmt in body:
        yield from sorted(
            ast.walk(stmt), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))
        )


def mutate(source: str, name: str, kind: str) -> ast.Module | None:
    """Return the cell's AST with one change of the given kind, or None if there is nothing to change."""
    tree = ast.parse(source)
    definition = _definition(tree, name)
    if definition is None:
        return None
    for node in _body_nodes(definition):
        if (
            kind == "operator"
            and isinstance(node, (ast.BinOp, ast.AugAssign))
            and type(node.op) in _SWAP_OP
        ):
            node.op = _SWAP_OP[type(node.op)]()
            return tree
        if (
            kind == "comparison"
            and isinstance(node, ast.Compare)
            and type(node.ops[0]) in _SWAP_CMP
        ):
            node.ops[0] = _SWAP_CMP[type(node.ops[0])]()
            return tree
        if (
            kind == "constant"
            and isinstance(node, ast.Constant)
            and not isinstance(node.value, bool)
            and isinstance(node.value, (int, float))
            and (node.value == 0 or abs(node.value) >= 1e-4)
        ):
            node.value = node.value + 1 if node.value in (0, 1) else node.value * 2
            return tree
    return None


# --- the tests ---

MIRRORS = find_mirror_cells()


def _id(cell: MirrorCell) -> str:
    return f"{cell.notebook}-{cell.target}"


@pytest.mark.parametrize("cell", MIRRORS, ids=_id)
def test_mirror_equals_package(cell: MirrorCell):
    cases, _ = load_cases(cell.notebook)
    assert cell.target in cases, (
        f"{cell.notebook} cell {cell.index} mirrors {cell.target}, but tests/mirror_cases/"
        f"{cell.notebook}.py has no case for it"
    )
    same_notebook = [c for c in MIRRORS if c.notebook == cell.notebook]
    notebook_obj = run_cells(same_notebook)[cell.index]
    cases[cell.target](notebook_obj, package_object(cell.target))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cell", MIRRORS, ids=_id)
def test_a_changed_mirror_is_caught(cell: MirrorCell, kind: str):
    cases, surviving = load_cases(cell.notebook)
    if cell.target not in cases:
        pytest.skip("no case (reported by test_mirror_equals_package)")
    if (cell.target, kind) in surviving:
        pytest.skip(f"equivalent mutant: {surviving[(cell.target, kind)]}")
    mutant = mutate(cell.source, cell.name, kind)
    if mutant is None:
        pytest.skip(f"no {kind} to change in {cell.name}")
    same_notebook = [c for c in MIRRORS if c.notebook == cell.notebook]
    try:
        changed = run_cells(same_notebook, replace={cell.index: mutant})[cell.index]
        cases[cell.target](changed, package_object(cell.target))
    except Exception:  # noqa: BLE001 - any failure means the change was noticed
        return
    pytest.fail(
        f"changing one {kind} in {cell.target} ({cell.notebook} cell {cell.index}) went "
        f"unnoticed: strengthen its case in tests/mirror_cases/{cell.notebook}.py"
    )


def test_every_case_has_a_mirror_cell():
    targets = {(c.notebook, c.target) for c in MIRRORS}
    for path in sorted(CASES_DIR.glob("nb[0-9][0-9].py")):
        cases, surviving = load_cases(path.stem)
        for target in cases:
            assert (path.stem, target) in targets, (
                f"tests/mirror_cases/{path.name} has a case for {target}, but no cell of notebook "
                f"{path.stem[2:]} starts with '# mirror: {target}'"
            )
        for target, kind in surviving:
            assert target in cases and kind in KINDS, f"{path.name}: stale SURVIVING_MUTANTS entry"


# --- the machinery itself, on a synthetic notebook ---


def _synthetic(tmp_path: Path, body: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 99 · Test"),
        nbformat.v4.new_code_cell("x = 1  # not a mirror"),
        nbformat.v4.new_code_cell(body),
    ]
    path = tmp_path / "99_synthetic.ipynb"
    nbformat.write(nb, path)
    return path


def test_machinery_finds_runs_and_mutates(tmp_path):
    from course_utils.linear import mse

    source = (
        "# mirror: course_utils.linear.mse\n"
        "def mse(y_pred, y):\n"
        '    """Mean squared error."""\n'
        "    return np.mean((np.asarray(y_pred) - np.asarray(y)) ** 2)\n"
    )
    cells = find_mirror_cells([_synthetic(tmp_path, source)])
    assert [(c.notebook, c.index, c.target) for c in cells] == [
        ("nb99", 2, "course_utils.linear.mse")
    ]
    ours = run_cells(cells)[2]
    a, b = np.array([1.0, 2.0, 4.0]), np.array([0.5, 2.0, 3.0])
    assert ours(a, b) == pytest.approx(mse(a, b))
    for kind, expect_change in (("operator", True), ("comparison", False), ("constant", True)):
        mutant = mutate(source, "mse", kind)
        assert (mutant is not None) == expect_change
        if mutant is not None:
            changed = run_cells(cells, replace={2: mutant})[2]
            assert changed(a, b) != pytest.approx(mse(a, b)), kind


def test_assert_same_catches_differences():
    from tests.mirror_cases.compare import assert_same

    assert_same({"w": torch.ones(2), "b": [1.0, np.float64(2.0)]}, {"w": np.ones(2), "b": [1, 2.0]})
    assert_same(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))
    for a, b in (
        (np.ones(3), np.ones((3, 1))),
        (np.ones(3), np.ones(3) + 1e-6),
        ([1, 2], [1]),
        ({"a": 1}, {"b": 1}),
        ("x", "y"),
    ):
        with pytest.raises(AssertionError):
            assert_same(a, b)
