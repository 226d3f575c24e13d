"""Expected results per machine: one source, the README table and the notebooks' cells."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import expected_results as er  # noqa: E402

DATA = er.load()


def synthetic_data() -> dict:
    return {
        "MACHINES": {"cpu": "laptop CPU", "apple": "Apple silicon", "cuda": "CUDA GPU"},
        "MEASURED_ON": {"box": "a test box"},
        "NOTEBOOKS": {
            "98_toy": {
                "does": "trains a toy",
                "apple": None,
                "cuda": None,
                "cpu": {
                    "on": "box",
                    "full": "3 min",
                    "fast": None,
                    "figures": "validation loss 1.23",
                },
            },
            "99_other": {
                "does": "trains another toy",
                "cpu": None,
                "apple": None,
                "cuda": {"on": "box", "full": "9 s", "fast": "2 s", "figures": "acc 90%"},
            },
        },
    }


def synthetic_notebook() -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# 98 · Toy\n\nWhat you will learn."),
            nbformat.v4.new_code_cell("import numpy as np"),
            nbformat.v4.new_markdown_cell("## 1. Section"),
        ]
    )


def test_cell_goes_after_the_intro_and_says_what_was_not_measured():
    nb, data = synthetic_notebook(), synthetic_data()
    assert er.update_notebook(nb, "98_toy", data)
    cell = nb.cells[1]
    assert cell.cell_type == "markdown" and cell.metadata.tags == [er.TAG]
    assert nb.cells[0].source.startswith("# 98") and nb.cells[2].source == "import numpy as np"
    rows = {
        line.split("|")[1].strip(): line
        for line in cell.source.splitlines()
        if line.startswith("| ") and "---" not in line
    }
    assert "3 min" in rows["laptop CPU"] and "validation loss 1.23" in rows["laptop CPU"]
    assert "a test box" in rows["laptop CPU"]
    assert rows["laptop CPU"].count(er.NOT_MEASURED) == 1  # the fast-mode time
    assert rows["Apple silicon"].count(er.NOT_MEASURED) == 4
    assert rows["CUDA GPU"].count(er.NOT_MEASURED) == 4
    nbformat.validate(nb)


def test_cell_update_is_idempotent_and_follows_the_source():
    nb, data = synthetic_notebook(), synthetic_data()
    er.update_notebook(nb, "98_toy", data)
    assert not er.update_notebook(nb, "98_toy", data)
    assert len(nb.cells) == 4
    data["NOTEBOOKS"]["98_toy"]["cpu"]["figures"] = "validation loss 1.11"
    assert er.update_notebook(nb, "98_toy", data)
    tagged = [c for c in nb.cells if er.TAG in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "1.11" in tagged[0].source and "1.23" not in tagged[0].source


def test_readme_table_lists_measured_rows_and_names_the_gaps():
    data = synthetic_data()
    text = "intro\n" + er.BEGIN + "\nold table\n" + er.END + "\nafter\n"
    new = er.update_readme(text, data)
    assert new.startswith("intro\n") and new.endswith(er.END + "\nafter\n")
    assert "old table" not in new and "validation loss 1.23" in new and "acc 90%" in new
    assert "Not measured: laptop CPU (99); Apple silicon (all notebooks); CUDA GPU (98)." in new
    assert er.update_readme(new, data) == new


def test_readme_and_teaching_guide_agree_with_the_source():
    for doc in er.DOCS:
        text = doc.read_text(encoding="utf-8")
        assert er.update_readme(text, DATA, er._notebooks_from(doc)) == text, (
            f"{doc.name}: the expected-results table is out of date: run "
            "python3 tools/expected_results.py --readme"
        )


def test_the_tables_link_to_notebooks_that_exist_from_where_each_document_lies():
    import re

    for doc in er.DOCS:
        text = doc.read_text(encoding="utf-8")
        table = text.split(er.BEGIN, 1)[1].split(er.END, 1)[0]
        links = re.findall(r"\]\(([^)]+\.ipynb)\)", table)
        assert links, f"{doc.name}: no notebook links in the table"
        for link in links:
            assert (doc.parent / link).is_file(), f"{doc.name}: broken link {link}"


def test_source_names_real_notebooks_and_machines():
    assert DATA["NOTEBOOKS"]
    for name, entry in DATA["NOTEBOOKS"].items():
        assert (ROOT / "notebooks" / f"{name}.ipynb").exists(), name
        assert set(DATA["MACHINES"]) <= set(entry), f"{name}: say each machine, None if unmeasured"
        measured = [entry[k] for k in DATA["MACHINES"] if entry[k]]
        assert measured, f"{name}: nothing measured"
        for m in measured:
            assert m["on"] in DATA["MEASURED_ON"]
            assert all("|" not in str(v) for v in m.values())


def test_notebook_cells_that_exist_agree_with_the_source():
    for name in DATA["NOTEBOOKS"]:
        nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        if any(er.TAG in c.metadata.get("tags", []) for c in nb.cells):
            assert not er.update_notebook(nb, name, DATA), (
                f"{name}: run python3 tools/expected_results.py --notebooks"
            )


def test_key_figures_must_be_printed_by_the_stored_run():
    nb = synthetic_notebook()
    nb.cells[1].outputs = [
        nbformat.v4.new_output("stream", text="validation loss 1.23 after 2,000 steps\n")
    ]
    assert er.unprinted_figures(nb, "validation loss 1.23 after 2,000 steps") == []
    # A figure from an older run, or a number only the markdown states, is reported.
    assert er.unprinted_figures(nb, "loss 1.24 in 41 s; 1.2 at first") == ["1.24", "41", "1.2"]


def test_every_laptop_cpu_key_figure_is_printed_by_its_notebook():
    for name, entry in DATA["NOTEBOOKS"].items():
        figures = (entry.get(er.STORED_RUN_MACHINE) or {}).get("figures")
        if figures:
            nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
            assert er.unprinted_figures(nb, figures) == [], name
