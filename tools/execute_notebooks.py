"""Re-run notebooks in full mode and save them with their outputs (for authors).

    python3 course.py execute                      # every notebook
    python3 course.py execute notebooks/01_*.ipynb # some of them
    COURSE_FAST=1 python3 course.py execute ...    # a quick trial run (do not commit its outputs)

After running, noisy metadata is removed: saved widget state (which GitHub cannot render without
its ``state`` key) and per-cell execution timings. Outputs and execution counts are kept.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


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
        if (out.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev.get("name") == out.get("name")):
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
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    clean(nb)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"No such notebook: {', '.join(map(str, missing))}")
        return 2
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
