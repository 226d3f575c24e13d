"""Build the course website: a static HTML book of every notebook with its stored outputs.

    python3 course.py site                 # into build/site/ (open build/site/index.html)
    python3 course.py site --out DIR

Nothing is executed: the notebooks are rendered as committed (outputs of a full run) by Sphinx
with MyST-NB and the settings in site/conf.py. The pages come in course order (00, 01, ...) with
navigation, search, maths typeset by a local MathJax, syntax-highlighted code and the plots.
Each page starts with a box saying how to run that notebook locally, with a download link.

Widgets need a running kernel. Their saved views have no state, so each one is replaced on the
site by a note that points at the static picture the notebook shows next to it.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = ROOT / "site"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = (
    '<p class="widget-note"><em>Interactive widget: it runs live in JupyterLab '
    "(<code>python3 course.py lab</code>). Next to it, the page shows what it draws at "
    "its default settings.</em></p>"
)


def course_notebooks() -> list[Path]:
    """Every notebook of the course, in course order."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def title_of(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if match:
                return match.group(1).strip()
    return fallback


def run_box(name: str) -> nbformat.NotebookNode:
    """The markdown cell that says how to run this notebook locally."""
    return nbformat.v4.new_markdown_cell(
        ":::{admonition} Run this notebook yourself\n:class: tip\n"
        f"Download {{download}}`{name} <{name}>`, or get the whole course and run "
        f"`python3 course.py lab`, then open `notebooks/{name}`. The outputs below come from a "
        "full run; `COURSE_FAST=1` gives a quick, smaller run.\n:::"
    )


def prepare(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The copy of a notebook the site renders: run box after the intro, widget notes."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            if WIDGET_MIME in out.get("data", {}):
                out = nbformat.v4.new_output("display_data", data={"text/html": WIDGET_NOTE})
            outputs.append(out)
        cell.outputs = outputs
    at = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0
    nb.cells.insert(at, run_box(name))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"site-{i:03d}"
    return nb


def index_page(entries: list[tuple[str, str]]) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    intro = readme.split("---", 1)[-1].split("\n## ", 1)[0].strip()
    rows = "\n".join(f"- [{title}]({stem}.ipynb)" for stem, title in entries)
    toc = "\n".join(stem for stem, _ in entries)
    return f"""# Gradient to GPT

{intro}

Run the course on your own machine: `python3 course.py lab` (see the README). These pages show
each notebook with the outputs of a full run; nothing here needs a kernel.

{rows}

```{{toctree}}
:maxdepth: 1
:caption: Notebooks
:hidden:

{toc}
```
"""


def stage(src_dir: Path, notebooks: list[Path]) -> None:
    """Write the Sphinx source folder: index.md and a prepared copy of every notebook."""
    if src_dir.exists():
        shutil.rmtree(src_dir)
    src_dir.mkdir(parents=True)
    entries = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        nbformat.write(prepare(nb, path.name), src_dir / path.name)
        entries.append((path.stem, title_of(nb, path.stem)))
    (src_dir / "index.md").write_text(index_page(entries), encoding="utf-8")


def build(out: Path, notebooks: list[Path] | None = None, jobs: str = "auto") -> Path:
    """Build the site into ``out``/html and return that folder."""
    notebooks = notebooks or course_notebooks()
    src_dir, html = out / "src", out / "html"
    stage(src_dir, notebooks)
    if html.exists():
        shutil.rmtree(html)
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-q",
        "-j",
        jobs,
        "-c",
        str(CONF_DIR),
        "-d",
        str(out / "doctrees"),
        str(src_dir),
        str(html),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"sphinx failed:\n{result.stdout}\n{result.stderr}")
    if result.stderr.strip():
        print(result.stderr.strip(), file=sys.stderr)
    return html


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course.py site", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "build" / "site",
        help="folder to build in (default: build/site; pages in OUT/html)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    html = build(args.out.resolve())
    print(
        f"[site] built {len(course_notebooks())} notebook pages in "
        f"{time.perf_counter() - start:.0f} s: open {html / 'index.html'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
