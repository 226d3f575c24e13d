"""Re-run notebooks in full mode and save them with their outputs (for authors).

    python3 course.py execute                      # every notebook
    python3 course.py execute notebooks/01_*.ipynb # some of them
    COURSE_FAST=1 python3 course.py execute ...    # a quick trial run (do not commit its outputs)
    python3 course.py execute --metadata-only      # fix notebook metadata only, run nothing

After running, noisy metadata is removed: saved widget state (which GitHub cannot render without
its ``state`` key) and per-cell execution timings. Outputs and execution counts are kept.

The notebook metadata is written the way JupyterLab writes it when it opens a notebook, so that
opening one does not mark it modified: JupyterLab replaces ``kernelspec`` with
``{name, display_name, language}`` of the kernel's spec and ``language_info`` with the kernel's
own report, and counts the notebook changed unless both are equal, key for key, to what is stored.
So every notebook gets the course kernel's ``kernelspec`` and the ``language_info`` the course
kernel reports, including its Python version: leaving the version out (or shortening it to 3.11)
would make JupyterLab rewrite it, and mark the notebook modified, on every machine. Notebooks
executed together therefore record the same Python, that of the environment that ran them.
``--metadata-only`` asks the course kernel for its ``language_info`` (it starts the kernel once,
runs no cell) and rewrites only the notebooks whose metadata differs.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
KERNEL_NAME = "python3"
# What JupyterLab writes for the ipykernel "python3" kernel (name, display_name and language of
# its kernel spec; a test checks it against the installed spec).
KERNELSPEC = {"name": KERNEL_NAME, "display_name": "Python 3 (ipykernel)", "language": "python"}
# Notebook-level keys other tools leave behind; JupyterLab neither needs nor writes them.
NOISE_KEYS = ("widgets", "jupytext", "interpreter", "vscode")


def kernel_language_info(kernel_name: str = KERNEL_NAME) -> dict:
    """``language_info`` as the course kernel reports it (starts the kernel, runs nothing)."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name=kernel_name)
    try:
        reply = client.kernel_info(reply=True, timeout=60)
        return dict(reply["content"]["language_info"])
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def set_metadata(nb: nbformat.NotebookNode, language_info: dict) -> bool:
    """Give ``nb`` the course kernelspec and ``language_info``; return whether anything changed."""
    before = nbformat.from_dict(dict(nb.metadata))
    for key in NOISE_KEYS:
        nb.metadata.pop(key, None)
    nb.metadata["kernelspec"] = nbformat.from_dict(dict(KERNELSPEC))
    nb.metadata["language_info"] = nbformat.from_dict(dict(language_info))
    return nb.metadata != before


def clean(nb: nbformat.NotebookNode) -> None:
    """Strip widget state and execution timing; keep outputs and counts.

    Markdown cells that hold a folded solution get the ``solution`` tag, so a student edition can
    drop them (see the README).
    """
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        if cell.cell_type == "markdown" and "<summary>Solution" in cell.source:
            tags = cell.metadata.setdefault("tags", [])
            if "solution" not in tags:
                tags.append("solution")
        if cell.cell_type == "code":
            cell.outputs = _merge_streams(cell.get("outputs", []))
            for out in cell.outputs:
                out.get("metadata", {}).pop("application/vnd.jupyter.widget-view+json", None)
                if out.get("output_type") == "stream" and "\r" in out.get("text", ""):
                    out["text"] = _final_lines(out["text"])


def _merge_streams(outputs: list) -> list:
    """Join consecutive outputs of the same stream (a text progress bar arrives as many)."""
    merged: list = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (
            out.get("output_type") == "stream"
            and prev is not None
            and prev.get("output_type") == "stream"
            and prev.get("name") == out.get("name")
        ):
            prev["text"] = prev.get("text", "") + out.get("text", "")
        else:
            merged.append(out)
    return merged


def _final_lines(text: str) -> str:
    """Keep what a terminal would show: on each line, the text after the last carriage return."""
    return "\n".join(line.rstrip("\r").split("\r")[-1] for line in text.split("\n"))


def execute(path: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    clean(nb)
    set_metadata(nb, nb.metadata["language_info"])  # nbclient stored the kernel's own report
    nbformat.write(nb, path)
    return time.perf_counter() - start


def normalize_metadata(paths: list[Path], language_info: dict | None = None) -> list[Path]:
    """Fix the metadata of stored notebooks without running them; return those rewritten."""
    language_info = language_info or kernel_language_info()
    changed = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if set_metadata(nb, language_info):
            nbformat.write(nb, path)
            changed.append(path)
    return changed


def main(argv: list[str]) -> int:
    metadata_only = "--metadata-only" in argv
    argv = [a for a in argv if a != "--metadata-only"]
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"No such notebook: {', '.join(map(str, missing))}")
        return 2
    if metadata_only:
        changed = normalize_metadata(paths)
        print(
            f"metadata fixed in {len(changed)} of {len(paths)} notebook(s)"
            + "".join(f"\n  {p}" for p in changed)
        )
        return 0
    os.environ.setdefault("COURSE_FAST", "0")
    os.environ.setdefault("COURSE_PROGRESS", "text")  # stored outputs show finished text bars
    mode = "fast" if os.environ["COURSE_FAST"] == "1" else "full"
    for path in paths:
        print(f"executing {path.name} in {mode} mode ...", flush=True)
        seconds = execute(path.resolve(), timeout=int(os.environ.get("COURSE_CELL_TIMEOUT", 3600)))
        print(f"  done in {seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
