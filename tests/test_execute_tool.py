"""The author tool that stores notebooks: what it strips and what it keeps."""

import importlib.util
from pathlib import Path

import nbformat

TOOL = Path(__file__).resolve().parents[1] / "tools" / "execute_notebooks.py"
spec = importlib.util.spec_from_file_location("execute_notebooks", TOOL)
execute_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(execute_notebooks)


def test_clean_strips_noise_and_keeps_outputs():
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    code = nbformat.v4.new_code_cell("print(1)", execution_count=3)
    code.metadata["execution"] = {"iopub.status.busy": "2026-01-01"}
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="train:  10%|#\rtrain: 100%|##|\nok\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "fig"}),
    ]
    solution = nbformat.v4.new_markdown_cell("<details><summary>Solution</summary>x</details>")
    nb.cells = [code, solution]
    execute_notebooks.clean(nb)
    assert "widgets" not in nb.metadata
    assert "execution" not in code.metadata and code.execution_count == 3
    assert code.outputs[0]["text"] == "train: 100%|##|\nok\n"
    assert code.outputs[1]["data"]["text/plain"] == "fig"
    assert solution.metadata["tags"] == ["solution"]
    execute_notebooks.clean(nb)  # idempotent
    assert solution.metadata["tags"] == ["solution"]


def test_progress_bar_split_over_several_outputs_keeps_only_its_final_state():
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("train()", execution_count=1)
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="\rsteps:   0%|  | 0/9"),
        nbformat.v4.new_output("stream", name="stdout", text="\rsteps:  50%|# | 4/9"),
        nbformat.v4.new_output("stream", name="stdout", text="\rsteps: 100%|##| 9/9\n"),
        nbformat.v4.new_output("stream", name="stderr", text="careful\n"),
        nbformat.v4.new_output("stream", name="stdout", text="done\n"),
    ]
    nb.cells = [code]
    execute_notebooks.clean(nb)
    assert [o["text"] for o in code.outputs] == ["steps: 100%|##| 9/9\n", "careful\n", "done\n"]


def test_missing_notebook_is_reported(capsys):
    assert execute_notebooks.main(["notebooks/99_missing.ipynb"]) == 2
    assert "No such notebook" in capsys.readouterr().out
