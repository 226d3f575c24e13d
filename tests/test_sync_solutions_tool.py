"""tools/sync_solutions.py on small synthetic notebooks."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parents[1]
tool = load_script("tools/sync_solutions.py")

REAL_SOLUTION_CODE = tool.solution_code
SOLUTIONS = {
    "ch90.mean": "# the average: sum over count\nanswer = (2 + 4 + 9) / 3",
    "ch90.double": "def double_mine(x):\n    return 2 * x  # twice the input",
}


@pytest.fixture(autouse=True)
def fake_exercises(monkeypatch):
    monkeypatch.setattr(tool, "solution_code", lambda key: SOLUTIONS[key])


def _md(text, tags=None):
    return nbformat.v4.new_markdown_cell(text, metadata={"tags": tags} if tags else {})


def _notebook(tmp_path, *, stale_text="x = 1", extra_after_details=""):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _md("# Title"),
        nbformat.v4.new_code_cell("from course_utils.exercises import ch90"),
        nbformat.v4.new_code_cell("answer = ...\n\nch90.mean.check(answer)"),
        nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nch90.mean.check(7 / 2)"),  # a demo
        nbformat.v4.new_code_cell("ch90.mean.hint()"),
        _md(
            "<details><summary>Solution</summary>\n\n```python\n"
            + stale_text
            + "\n```\n</details>"
            + extra_after_details,
            tags=["solution"],
        ),
        nbformat.v4.new_code_cell(
            "def double_mine(x):\n    ...\n\n\nch90.double.check(double_mine)\n# ch90.double.hint()"
        ),
        _md("## Next section"),
    ]
    path = tmp_path / "90_demo.ipynb"
    nbformat.write(nb, path)
    return path


def test_finds_one_check_cell_per_exercise(tmp_path):
    nb = nbformat.read(_notebook(tmp_path), as_version=4)
    calls = tool.exercise_checks(nb)
    assert [(c.index, c.key, c.argument) for c in calls] == [
        (2, "ch90.mean", "answer"),
        (6, "ch90.double", "double_mine"),
    ]


def test_check_mode_lists_stale_notebooks_and_changes_nothing(tmp_path, capsys):
    path = _notebook(tmp_path)
    before = path.read_bytes()
    assert tool.main(["--check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "90_demo.ipynb: 2 solution cell(s) differ: ch90.double, ch90.mean" in out
    assert path.read_bytes() == before


def test_sync_rewrites_existing_cell_and_creates_missing_one(tmp_path, capsys):
    path = _notebook(tmp_path)
    assert tool.main([str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    sources = [c.source for c in nb.cells]
    assert sources[5] == (
        "<details><summary>Solution</summary>\n\n```python\n"
        + SOLUTIONS["ch90.mean"]
        + "\n```\n</details>"
    )
    assert nb.cells[5].metadata["tags"] == ["solution"]
    assert nb.cells[7].cell_type == "markdown" and nb.cells[7].metadata["tags"] == ["solution"]
    assert "return 2 * x  # twice the input" in nb.cells[7].source  # right after its check cell
    assert sources[8] == "## Next section"
    assert tool.main(["--check", str(path)]) == 0  # now in sync
    before = path.read_bytes()
    assert tool.main([str(path)]) == 0 and path.read_bytes() == before  # idempotent


def test_prose_sharing_the_solution_cell_is_kept_in_its_own_cell(tmp_path):
    path = _notebook(tmp_path, extra_after_details="\n\n### Exercise 2\n\nWrite `double_mine`.")
    tool.main([str(path)])
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[5].source.endswith("</details>")
    assert nb.cells[6].cell_type == "markdown"
    assert nb.cells[6].source == "### Exercise 2\n\nWrite `double_mine`."
    assert "solution" not in nb.cells[6].metadata.get("tags", [])


def test_untagged_details_cell_gets_the_tag(tmp_path):
    path = _notebook(tmp_path, stale_text=SOLUTIONS["ch90.mean"])
    nb = nbformat.read(path, as_version=4)
    nb.cells[5].metadata.pop("tags")
    assert tool.sync(nb) == ["ch90.double", "ch90.mean"]
    assert nb.cells[5].metadata["tags"] == ["solution"]


def test_real_exercise_lookup_and_unknown_name():
    assert "def " in REAL_SOLUTION_CODE("ch03.sigmoid")
    with pytest.raises(LookupError, match="no exercise"):
        REAL_SOLUTION_CODE("ch03.not_an_exercise")


def test_missing_notebook(capsys):
    assert tool.main(["notebooks/99_missing.ipynb"]) == 2
