"""Every notebook follows the course template and is stored cleanly (see docs/AUTHORING.md)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_notebooks_exist_and_are_numbered():
    assert NOTEBOOKS, "no notebooks found"
    for path in NOTEBOOKS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), f"bad name: {path.name}"


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_template_sections_are_present(notebook):
    path, nb = notebook
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    number = path.name[:2]
    assert nb.cells[0].cell_type == "markdown"
    assert nb.cells[0].source.startswith(f"# {number} "), "first cell must be the '# NN · Title'"
    for heading in ("Learning goals", "Prerequisites", "Summary", "Next"):
        assert heading in markdown, f"{path.name} lacks a '{heading}' part"


def test_stored_with_outputs_of_a_run_and_no_errors(notebook):
    path, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code), (
        f"{path.name} is not fully executed: run `python3 course.py execute {path}`"
    )
    for cell in code:
        for out in cell.outputs:
            assert out.output_type != "error", f"{path.name} has a stored error output"
            text = out.get("text", "")
            assert "Traceback" not in text, f"{path.name} has a stored traceback"


def test_no_widget_state_or_timing_metadata(notebook):
    path, nb = notebook
    assert "widgets" not in nb.metadata, (
        f"{path.name} stores widget state (GitHub cannot render it)"
    )
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    for cell in nb.cells:
        assert "execution" not in cell.metadata and "ExecuteTime" not in cell.metadata


# The text form a saved widget falls back to: `VBox(children=(...`, `interactive(children=(...`
WIDGET_REPR = re.compile(r"^\w+\(children=\(")


def test_saved_widgets_show_a_sentence_not_their_repr(notebook):
    path, nb = notebook
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            plain = out.get("data", {}).get("text/plain", "")
            assert not WIDGET_REPR.match(plain), (
                f"{path.name}: a widget's repr is stored ({plain[:40]}...); display it with "
                "course_utils.widgets.show_live"
            )


def test_exercises_have_folded_solutions(notebook):
    path, nb = notebook
    sources = [c.source for c in nb.cells]
    checks = sum(bool(re.search(r"\bch\d\d\.\w+\.check\(", s)) for s in sources)
    solutions = [
        c for c in nb.cells if c.cell_type == "markdown" and "<summary>Solution" in c.source
    ]
    assert checks >= 1, f"{path.name} has no exercise checks"
    assert solutions, f"{path.name} has no folded solution cells"
    for cell in solutions:
        assert "solution" in cell.metadata.get("tags", []), "solution cells must carry the tag"
