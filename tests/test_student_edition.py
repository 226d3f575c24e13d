"""The nbgrader student edition (tools/student_edition.py, `python3 course.py student`)."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import student_edition as se  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def student_view(source: str) -> str:
    """What nbgrader's ClearSolutions makes of an answer cell: the stub, indented like BEGIN."""
    out, skipping = [], False
    for line in source.splitlines():
        if line.strip() == se.BEGIN:
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + x for x in se.CODE_STUB.split("\n")]
            skipping = True
        elif line.strip() == se.END:
            skipping = False
        elif not skipping:
            out.append(line)
    return "\n".join(out)


def synthetic_notebook() -> nbformat.NotebookNode:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    solution = md("<details><summary>Solution</summary>\n\n```python\n{}\n```\n</details>")
    cells = [
        md("# 99 · A test notebook\n\nIntro."),
        code("import numpy as np\nfrom course_utils.exercises import ch00, ch03"),
        code(
            "answer = ...  # a number\n\nch03.batch_cross_entropy.check(answer)\n"
            "# ch03.batch_cross_entropy.hint()       # a nudge\n"
            "# ch03.batch_cross_entropy.solution()   # one correct answer"
        ),
        solution,
        code(
            "def sigmoid_mine(z):\n    ...  # your code here\n\n\nch03.sigmoid.check(sigmoid_mine)"
        ),
        md(
            "<details><summary>Solution</summary>\n\n```python\ndef sigmoid_mine(z):\n"
            "    return 1 / (1 + np.exp(-z))\n```\n</details>"
        ),
        code(
            "def to_fahrenheit(celsius):\n    ...  # your code here\n\n\n"
            "ch00.to_fahrenheit.check(to_fahrenheit)"
        ),  # no solution cell: the Exercise's
        code("# NBVAL_CHECK_OUTPUT\nch00.average.check((2 + 4 + 9) / 2)"),  # a demonstration
        code("print('hello')", outputs=[nbformat.v4.new_output("stream", text="hello\n")]),
    ]
    cells[3].source = cells[3].source.format(
        "answer = -(np.log(0.9) + np.log(0.4) + np.log(0.7)) / 3"
    )
    for i in (3, 5):
        cells[i].metadata["tags"] = ["solution"]
    return nbformat.v4.new_notebook(cells=cells)


def test_source_notebook_of_a_synthetic_notebook():
    nb, n_exercises, points = se.make_source_notebook(synthetic_notebook())
    assert (n_exercises, points) == (3, 1 + 2 + 2)
    sources = [c.source for c in nb.cells]
    assert not any("<details>" in s for s in sources), "solution cells must be removed"
    assert not any(".solution()" in s for s in sources)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert len({c.id for c in nb.cells}) == len(nb.cells)
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert [c.metadata.nbgrader.points for c in graded] == [1, 2, 2]
    assert len(answers) == 3 and all(c.metadata.nbgrader.locked for c in graded)
    # Each test cell comes right after its answer cell and runs the course's check.
    for test in graded:
        before = nb.cells[nb.cells.index(test) - 1]
        assert before.metadata.nbgrader.solution
        assert ".feedback(" in test.source and "assert _result.ok" in test.source
    # The def skeleton keeps its header outside the markers; the value keeps its placeholder.
    value, func, fallback = (c.source for c in answers)
    assert value.index("answer = ...") < value.index(se.BEGIN) < value.index("np.log(0.9)")
    assert func.startswith("def sigmoid_mine(z):\n    " + se.BEGIN)
    assert fallback.startswith("def to_fahrenheit(celsius):\n    " + se.BEGIN)
    assert "# NBVAL_CHECK_OUTPUT\nch00.average.check((2 + 4 + 9) / 2)" in sources  # stays


def _grade(nb: nbformat.NotebookNode, transform) -> list[bool]:
    """Run the setup, answer and test cells (answer cells through ``transform``)."""
    namespace: dict = {}
    results = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "NBVAL_CHECK_OUTPUT" in cell.source:
            continue  # the demonstration prints a failed check on purpose
        meta = cell.metadata.get("nbgrader", {})
        src = transform(cell.source) if meta.get("solution") else cell.source
        try:
            exec(compile(src, "<cell>", "exec"), namespace)
            passed = True
        except AssertionError:
            passed = False
        if meta.get("grade"):
            results.append(passed)
    return results


def test_student_stubs_fail_and_reference_solutions_pass(capsys):
    nb, _, _ = se.make_source_notebook(synthetic_notebook())
    assert _grade(nb, student_view) == [False, False, False]
    out = capsys.readouterr().out
    assert "Traceback" not in out and out.count("❌") == 3
    filled = "\n".join
    assert (
        _grade(
            nb, lambda s: filled(x for x in s.splitlines() if x.strip() not in (se.BEGIN, se.END))
        )
        == [True] * 3
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_becomes_a_valid_source(path):
    original = nbformat.read(path, as_version=4)
    exercises = se.find_exercises(original)
    nb, n_exercises, points = se.make_source_notebook(original)
    assert n_exercises == len(exercises)
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(answers) == len(tests) == n_exercises
    assert sum(c.metadata.nbgrader.points for c in tests) == points
    for ex, answer in zip(exercises, answers):
        assert answer.source.count(se.BEGIN) == answer.source.count(se.END) == 1
        ast.parse(answer.source)  # the teacher's version
        student = student_view(answer.source)
        ast.parse(student)  # and the student's stub both compile
        assert "YOUR CODE HERE" in student
        names = se._defined_names(se.solution_code(original, ex))
        assert ex.name in names, f"the solution of {ex.exercise} does not define {ex.name}"
    assert not any("solution" in c.metadata.get("tags", []) for c in nb.cells)
    nbformat.validate(nb)


def test_withheld_package_keeps_checks_and_hints(tmp_path):
    se.withhold_solutions(ROOT / "course_utils", tmp_path / "course_utils")
    for path in (tmp_path / "course_utils" / "exercises").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            for kw in getattr(node, "keywords", []):
                if kw.arg == "solution":
                    assert isinstance(kw.value, ast.Constant) and kw.value.value == se.WITHHELD
    probe = (
        "from course_utils.exercises import ch03\n"
        "import course_utils, sys\n"
        "assert course_utils.__file__.startswith(sys.argv[1]), course_utils.__file__\n"
        "ch03.sigmoid.check(None)\n"
        "ch03.sigmoid.hint()\n"
        "ch03.sigmoid.solution()\n"
        "import importlib, pkgutil, course_utils.exercises as pkg\n"
        "from course_utils.checks import Exercise\n"
        "mods = [importlib.import_module(f'{pkg.__name__}.{m.name}')\n"
        "        for m in pkgutil.iter_modules(pkg.__path__)]\n"
        "exs = [e for m in mods for e in vars(m).values() if isinstance(e, Exercise)]\n"
        f"assert exs and all(e.solution_code == {se.WITHHELD!r} for e in exs)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "❌" in result.stdout and "Hint 1/" in result.stdout
    assert "stay with the teacher" in result.stdout and "def " not in result.stdout
    assert ".solution()" not in result.stdout  # the failed check no longer points at it


# ------------------------------------------------------------------ nbgrader itself


# nbgrader runs whole notebooks: by default the welcome notebook (a value and a function
# exercise); COURSE_GRADE_NOTEBOOKS="*" grades every notebook (minutes).
GRADED = sorted((ROOT / "notebooks").glob(os.environ.get("COURSE_GRADE_NOTEBOOKS", "00_*.ipynb")))


@pytest.fixture(scope="module")
def course_dir(tmp_path_factory):
    pytest.importorskip("nbgrader", reason="nbgrader is installed by `python3 course.py test`")
    out = tmp_path_factory.mktemp("course")
    rows = se.build(out, GRADED, release=True)  # runs nbgrader generate_assignment
    for row in rows:
        name = row["assignment"]
        for student, fill in (("untouched", False), ("reference", True)):
            dst = out / "submitted" / student / name
            shutil.copytree(out / "release" / name, dst)
            if fill:
                release_nb = nbformat.read(dst / f"{name}.ipynb", as_version=4)
                source_nb = nbformat.read(out / "source" / name / f"{name}.ipynb", as_version=4)
                nbformat.write(se.fill_in(release_nb, source_nb), dst / f"{name}.ipynb")
        with pytest.MonkeyPatch.context() as mp:  # grading runs whole notebooks: fast mode
            mp.setenv("COURSE_FAST", os.environ.get("COURSE_FAST", "1"))
            result = se.nbgrader(out, "autograde", name, "--create", "--force", check=False)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out, rows


def test_release_has_stubs_and_no_solutions(course_dir):
    out, rows = course_dir
    for row in rows:
        name = row["assignment"]
        release = nbformat.read(out / "release" / name / f"{name}.ipynb", as_version=4)
        text = "\n".join(c.source for c in release.cells)
        assert text.count("# YOUR CODE HERE") == row["exercises"] > 0
        assert se.BEGIN not in text and "<summary>Solution" not in text
        assert all(not c.get("outputs") for c in release.cells if c.cell_type == "code")
        checks = (out / "release" / name / "course_utils" / "checks.py").read_text()
        assert "_solution_withheld" in checks


def test_autograde_scores_zero_untouched_and_full_with_solutions(course_dir):
    from nbgrader.api import Gradebook

    out, rows = course_dir
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gradebook:
        for row in rows:
            untouched = gradebook.find_submission(row["assignment"], "untouched")
            reference = gradebook.find_submission(row["assignment"], "reference")
            assert untouched.max_score == reference.max_score == row["points"] > 0
            assert untouched.score == 0
            assert reference.score == row["points"]


def test_course_commands_and_teaching_tools_stamp(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("course_entry_teach", ROOT / "course.py")
    course = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(course)
    assert {"student", "site"} <= set(course.COMMANDS) <= set(course.__doc__.split())
    assert {"test", "student", "site"} == course.NEEDS_TEACH_TOOLS
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    calls = []
    monkeypatch.setattr(
        course.subprocess,
        "run",
        lambda cmd, **kw: calls.append(cmd) or subprocess.CompletedProcess(cmd, 0),
    )
    course.ensure_teach_tools(python, locked=True)  # installs once...
    assert len(calls) == 1 and "-r" in calls[0] and str(course.TEACH_REQUIREMENTS) in calls[0]
    assert str(course.CONSTRAINTS) in calls[0]
    course.ensure_teach_tools(python, locked=True)  # ...and remembers it
    assert len(calls) == 1
    course.ensure_teach_tools(python, locked=False)  # another mode installs again
    assert len(calls) == 2 and str(course.CONSTRAINTS) not in calls[1]
