"""The author tool that stores notebooks: what it strips and what it keeps."""

from pathlib import Path

import nbformat
from conftest import load_script

TOOL = Path(__file__).resolve().parents[1] / "tools" / "execute_notebooks.py"
execute_notebooks = load_script("tools/execute_notebooks.py")


def test_clean_strips_noise_and_keeps_outputs():
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    code = nbformat.v4.new_code_cell("print(1)", execution_count=3)
    code.metadata["execution"] = {"iopub.status.busy": "2026-01-01"}
    code.outputs = [
        nbformat.v4.new_output(
            "stream", name="stdout", text="train:  10%|#\rtrain: 100%|##|\nok\n"
        ),
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


# ------------------------------------------------------------------ notebook metadata
# JupyterLab, on opening a notebook, sets kernelspec to {name, display_name, language} of the
# kernel's spec and language_info to the kernel's report, and marks the notebook modified unless
# both equal what is stored (JSONExt.deepEqual). These tests hold the stored metadata to that.


def _what_jupyterlab_writes() -> tuple[dict, dict]:
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    kernelspec = {"name": "python3", "display_name": spec.display_name, "language": spec.language}
    return kernelspec, execute_notebooks.kernel_language_info()


def _stale_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python", "version": "3.12.3"}
    nb.metadata["jupytext"] = {"formats": "ipynb,py"}
    nb.metadata["authors"] = ["kept"]
    nb.cells = [
        nbformat.v4.new_code_cell(
            "print(1)", execution_count=1, outputs=[nbformat.v4.new_output("stream", text="1\n")]
        )
    ]
    return nb


def test_set_metadata_writes_the_course_kernel_and_drops_noise():
    nb = _stale_notebook()
    info = {"name": "python", "version": "3.11.7", "mimetype": "text/x-python"}
    assert execute_notebooks.set_metadata(nb, info) is True
    assert nb.metadata["kernelspec"] == execute_notebooks.KERNELSPEC
    assert nb.metadata["language_info"] == info
    assert "jupytext" not in nb.metadata and nb.metadata["authors"] == ["kept"]
    assert execute_notebooks.set_metadata(nb, info) is False  # already right: nothing to write


def test_course_kernelspec_is_what_jupyterlab_writes():
    kernelspec, info = _what_jupyterlab_writes()
    assert execute_notebooks.KERNELSPEC == kernelspec
    import platform

    assert info["name"] == "python" and info["version"] == platform.python_version()


def test_metadata_only_fixes_stored_notebooks_without_running_them(tmp_path, capsys):
    stale, fine = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    nbformat.write(_stale_notebook(), stale)
    assert execute_notebooks.main(["--metadata-only", str(stale)]) == 0
    kernelspec, info = _what_jupyterlab_writes()
    nb = nbformat.read(stale, as_version=4)
    assert nb.metadata["kernelspec"] == kernelspec and nb.metadata["language_info"] == info
    assert nb.cells[0].outputs[0]["text"] == "1\n" and nb.cells[0].execution_count == 1
    fine.write_bytes(stale.read_bytes())
    before = fine.stat().st_mtime_ns
    assert execute_notebooks.normalize_metadata([fine], info) == []  # untouched when right
    assert fine.stat().st_mtime_ns == before
    assert "metadata fixed in 1 of 1" in capsys.readouterr().out


def test_executed_notebook_has_metadata_jupyterlab_leaves_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "text")
    path = tmp_path / "run.ipynb"
    nbformat.write(_stale_notebook(), path)
    execute_notebooks.execute(path, timeout=120)
    nb = nbformat.read(path, as_version=4)
    kernelspec, info = _what_jupyterlab_writes()
    assert nb.metadata["kernelspec"] == kernelspec
    assert nb.metadata["language_info"] == info
    assert "jupytext" not in nb.metadata


def test_normalize_metadata_script(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "a.ipynb"
    nbformat.write(_stale_notebook(), path)
    tool = TOOL.parent / "normalize_metadata.py"
    result = subprocess.run([sys.executable, str(tool), str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert nbformat.read(path, as_version=4).metadata["kernelspec"] == execute_notebooks.KERNELSPEC


def test_stored_notebooks_share_the_course_kernel_metadata():
    """Every notebook names the course kernel as JupyterLab does and records one language_info.

    (Which Python that is depends on the environment that executed them, so it is not fixed
    here; `python3 course.py execute --metadata-only` makes them agree.)
    """
    notebooks = sorted((TOOL.parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    metadata = {p.name: nbformat.read(p, as_version=4).metadata for p in notebooks}
    wrong_spec = [
        n for n, m in metadata.items() if m.get("kernelspec") != execute_notebooks.KERNELSPEC
    ]
    noisy = [n for n, m in metadata.items() if set(m) & set(execute_notebooks.NOISE_KEYS)]
    infos = {n: m.get("language_info") for n, m in metadata.items()}
    first = next(iter(infos.values()))
    other_info = [n for n, info in infos.items() if info != first or not info.get("version")]
    assert not (wrong_spec or noisy or other_info), (
        f"kernelspec differs: {wrong_spec}; leftover metadata: {noisy}; language_info differs from "
        f"the first notebook's: {other_info}. Run python3 course.py execute --metadata-only"
    )
