"""Build the student edition: an nbgrader course directory made from the notebooks as they are.

    python3 course.py student                     # every notebook, into build/student/
    python3 course.py student --out DIR           # somewhere else
    python3 course.py student notebooks/03_*.ipynb --no-release

For every notebook ``notebooks/NN_topic.ipynb`` it writes the nbgrader assignment
``source/NN_topic/``:

- every exercise cell (a code cell ending in ``chNN.name.check(answer)``) becomes an nbgrader
  answer cell: the reference solution sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``,
  so that ``nbgrader generate_assignment`` gives students a ``# YOUR CODE HERE`` stub. Inside a
  ``def``/``class`` skeleton only the body is replaced, so the signature stays;
- right after it comes one graded, locked test cell that runs the course's own answer check
  (1 point for a value, 2 for a function or class);
- the folded solution cells (tag ``solution``) and every output are removed;
- next to the notebook lies a copy of ``course_utils`` whose solution sources are withheld:
  ``.check()`` and ``.hint()`` work as before, ``.solution()`` says the answers stay with the
  teacher. nbgrader copies it into the release, and ``autograde`` puts the teacher's copy back
  over whatever a student submits.

Then ``nbgrader generate_assignment`` makes ``release/`` (skip it with ``--no-release``). See
docs/TEACHING.md for running a class with it.
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "course_utils"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
CODE_STUB = "...  # YOUR CODE HERE"
WITHHELD = "# The solutions stay with the teacher in the student edition."
CHECK_LINE = re.compile(
    r"^(?P<module>ch\d\d)\.(?P<exercise>\w+)\.check\((?P<name>[A-Za-z_]\w*)\)\s*$"
)
SOLUTION_CALL = re.compile(r"^\s*#\s*ch\d\d\.\w+\.solution\(\)")
PLACEHOLDER = re.compile(r"(^|[\s=(\[,])\.\.\.(\s|#|$|[)\],])")
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)

NBGRADER_CONFIG = '''\
"""nbgrader settings of the course (made by `python3 course.py student`)."""

c = get_config()  # noqa: F821 - provided by nbgrader
c.CourseDirectory.course_id = "gradient-to-gpt"
# Students see the course's own placeholder, so a cell runs and the check explains what is missing.
c.ClearSolutions.code_stub = {{"python": {stub!r}}}
# Training notebooks run whole while grading: give each cell time (fast mode: COURSE_FAST=1).
c.Execute.timeout = 1800
'''


@dataclass
class ExerciseCell:
    """One exercise found in a notebook."""

    index: int  # of the exercise code cell
    module: str  # "ch03"
    exercise: str  # "sigmoid"
    name: str  # the name passed to .check(), e.g. "sigmoid_mine"
    solution_index: int | None  # of the folded solution cell, if any


def find_exercises(nb: nbformat.NotebookNode) -> list[ExerciseCell]:
    """Every code cell whose check line passes a name it defines with a ``...`` placeholder."""
    found: list[ExerciseCell] = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        for j, line in enumerate(lines):
            match = CHECK_LINE.match(line)
            if match and any(PLACEHOLDER.search(_code_part(x)) for x in lines[:j]):
                sol = None
                for k in range(i + 1, len(nb.cells)):
                    nxt = nb.cells[k]
                    if "solution" in nxt.metadata.get("tags", []):
                        sol = k
                        break
                    if nxt.cell_type == "code":
                        break
                found.append(
                    ExerciseCell(i, match["module"], match["exercise"], match["name"], sol)
                )
                break
    return found


def _code_part(line: str) -> str:
    """A line without its comment (a rough cut, enough for placeholder lines)."""
    return line.split("#", 1)[0] if "#" in line else line


def _exercise_object(ex: ExerciseCell):
    module = importlib.import_module(f"course_utils.exercises.{ex.module}")
    return getattr(module, ex.exercise)


def _defined_names(code: str) -> dict[str, ast.stmt]:
    names: dict[str, ast.stmt] = {}
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names[sub.id] = node
    return names


def solution_code(nb: nbformat.NotebookNode, ex: ExerciseCell) -> str:
    """The reference solution for ``ex``: the notebook's folded solution, else the Exercise's.

    Either way the code defines the name the check cell passes.
    """
    if ex.solution_index is not None:
        blocks = PYTHON_BLOCK.findall(nb.cells[ex.solution_index].source)
        code = "\n".join(b.strip("\n") for b in blocks)
        if blocks and ex.name in _defined_names(code):
            return code
    exercise = _exercise_object(ex)
    code, defined = exercise.solution_code, _defined_names(exercise.solution_code)
    if ex.name not in defined:
        if isinstance(defined.get(exercise.answer_name), (ast.FunctionDef, ast.ClassDef)):
            return re.sub(
                rf"^(def|class)(\s+){exercise.answer_name}\b", rf"\1\2{ex.name}", code, flags=re.M
            )
        code += f"\n{ex.name} = {exercise.answer_name}"
    return code


def answer_cell_source(source: str, ex: ExerciseCell, solution: str) -> str:
    """The exercise cell with ``solution`` between nbgrader's markers.

    A ``def``/``class`` skeleton whose body is the placeholder keeps its header and gets the
    solution's body; otherwise the placeholder line stays (so the name always exists) and the
    whole solution follows it between the markers.
    """
    lines = source.splitlines()
    check_at = next(i for i, line in enumerate(lines) if CHECK_LINE.match(line))
    work, tail = lines[:check_at], [x for x in lines[check_at:] if not SOLUTION_CALL.match(x)]
    first = next(i for i, line in enumerate(work) if PLACEHOLDER.search(_code_part(line)))
    header = re.compile(rf"^(def|class)\s+{re.escape(ex.name)}\b")
    node = _defined_names(solution).get(ex.name)
    head_at = next((i for i in range(first, -1, -1) if header.match(work[i])), None)
    sol_lines = solution.splitlines()
    if (
        head_at is not None
        and isinstance(node, (ast.FunctionDef, ast.ClassDef))
        and all(
            not x.strip() or x.startswith((" ", "\t")) or x.startswith(("#", ")"))
            for x in work[head_at + 1 : first + 1]
        )
    ):
        body_start = node.body[0].lineno - 1
        if node.body[0].lineno == node.lineno:  # a one-line def: no body to place
            return _general(work, tail, first, sol_lines)
        prelude = sol_lines[: _first_line(node) - 1]
        indent = re.match(r"\s*", sol_lines[body_start])[0]
        new = work[:head_at] + prelude + sol_lines[_first_line(node) - 1 : body_start]
        new += [indent + BEGIN, *sol_lines[body_start : node.end_lineno], indent + END]
        new += sol_lines[node.end_lineno :]
        rest = work[first + 1 :]
        return "\n".join(new + rest + tail).rstrip() + "\n"
    return _general(work, tail, first, sol_lines)


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno] + [d.lineno for d in decorators])


def _general(work: list[str], tail: list[str], first: int, sol_lines: list[str]) -> str:
    new = work[: first + 1] + [BEGIN, *sol_lines, END] + work[first + 1 :]
    return "\n".join(new + tail).rstrip() + "\n"


def points_for(nb: nbformat.NotebookNode, ex: ExerciseCell, solution: str) -> int:
    """2 points when the answer is a function or class the student writes, else 1."""
    node = _defined_names(solution).get(ex.name)
    return 2 if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else 1


def test_cell_source(ex: ExerciseCell, title: str, points: int) -> str:
    return (
        f"# Graded check ({points} point{'s' if points > 1 else ''}): {title}. "
        "Run it to see whether your answer passes.\n"
        f"_result = {ex.module}.{ex.exercise}.feedback({ex.name})\n"
        "assert _result.ok, _result.message\n"
    )


def _meta(grade_id: str, *, solution: bool, grade: bool, points: int = 0) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return meta


def make_source_notebook(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int, int]:
    """The nbgrader source version of a course notebook: (notebook, exercises, points)."""
    nb = copy.deepcopy(nb)
    exercises = find_exercises(nb)
    replace: dict[int, list] = {}
    drop = {ex.solution_index for ex in exercises if ex.solution_index is not None}
    drop |= {i for i, c in enumerate(nb.cells) if "solution" in c.metadata.get("tags", [])}
    total = 0
    for ex in exercises:
        solution = solution_code(nb, ex)
        points = points_for(nb, ex, solution)
        total += points
        cell = nb.cells[ex.index]
        answer = nbformat.v4.new_code_cell(answer_cell_source(cell.source, ex, solution))
        grade_id = f"{ex.module}-{ex.exercise}".replace("_", "-")
        answer.metadata["nbgrader"] = _meta(f"{grade_id}-answer", solution=True, grade=False)
        title = _exercise_object(ex).title
        test = nbformat.v4.new_code_cell(test_cell_source(ex, title, points))
        test.metadata["nbgrader"] = _meta(
            f"{grade_id}-test", solution=False, grade=True, points=points
        )
        replace[ex.index] = [answer, test]
    cells = []
    for i, cell in enumerate(nb.cells):
        if i in drop:
            continue
        for new in replace.get(i, [cell]):
            if new.cell_type == "code":
                new.outputs, new.execution_count = [], None
            cells.append(new)
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):  # fresh ids: the split cells must not share one
        cell["id"] = f"cell-{i:03d}"
    return nb, len(exercises), total


def withhold_solutions(src: Path, dst: Path) -> None:
    """Copy the package ``src`` to ``dst`` with every Exercise solution source withheld."""
    shutil.copytree(
        src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    for path in sorted((dst / "exercises").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line.encode("utf-8")))
        raw = text.encode("utf-8")
        spans = []
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "solution":
                        v = kw.value
                        spans.append(
                            (
                                offsets[v.lineno - 1] + v.col_offset,
                                offsets[v.end_lineno - 1] + v.end_col_offset,
                            )
                        )
        for start, end in sorted(spans, reverse=True):
            raw = raw[:start] + repr(WITHHELD).encode() + raw[end:]
        path.write_text(raw.decode("utf-8"), encoding="utf-8")
    checks = dst / "checks.py"
    text = checks.read_text(encoding="utf-8").replace(
        "or .solution() to see one way to do it", "or ask your teacher"
    )
    checks.write_text(
        text
        + f'''

# Student edition: the answer keys stay with the teacher.
def _solution_withheld(self) -> None:
    """Say that the solutions are not part of this edition."""
    print({WITHHELD!r}[2:], "Try .hint() for a nudge, or ask your teacher.")


Exercise.solution = _solution_withheld
''',
        encoding="utf-8",
    )


def build(out: Path, notebooks: list[Path], release: bool = True) -> list[dict]:
    """Write the course directory ``out``; return one summary row per notebook."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(stub=CODE_STUB))
    rows = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        source_nb, n_ex, points = make_source_notebook(nb)
        folder = out / "source" / path.stem
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        nbformat.write(source_nb, folder / path.name)
        withhold_solutions(PACKAGE, folder / "course_utils")
        rows.append({"assignment": path.stem, "exercises": n_ex, "points": points})
    if release:  # one nbgrader run for every assignment in source/ (it starts slowly)
        generate_assignment(out, "*")
    return rows


def nbgrader(course_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``python -m nbgrader ARGS`` in the course directory."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    env = dict(os.environ)  # nbgrader runs `alembic` from PATH: find the one next to Python
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    result = subprocess.run(cmd, cwd=course_dir, capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed:\n{result.stdout}\n{result.stderr}")
    return result


def generate_assignment(course_dir: Path, assignment: str) -> None:
    nbgrader(course_dir, "generate_assignment", assignment, "--force")


def fill_in(
    release_nb: nbformat.NotebookNode, source_nb: nbformat.NotebookNode
) -> nbformat.NotebookNode:
    """A release notebook with every answer cell replaced by the reference solution."""
    by_id = {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in source_nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    filled = copy.deepcopy(release_nb)
    for cell in filled.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            src = by_id[meta["grade_id"]].source.splitlines()
            cell.source = "\n".join(x for x in src if x.strip() not in (BEGIN, END))
    return filled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course.py student", description=__doc__.split("\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="notebooks to include (default: every notebook)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "build" / "student",
        help="course directory to write (default: build/student)",
    )
    parser.add_argument(
        "--no-release",
        action="store_true",
        help="write source/ only; skip nbgrader generate_assignment",
    )
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    rows = build(args.out.resolve(), [p.resolve() for p in notebooks], not args.no_release)
    for row in rows:
        print(f"{row['assignment']:<32} {row['exercises']:>2} exercises  {row['points']:>3} points")
    made = "source/ (teacher) and release/ (students)" if not args.no_release else "source/"
    print(f"[student] wrote {made} in {args.out}; see docs/TEACHING.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
