"""Sphinx settings of the course website, built by `python3 course.py site` (tools/build_site.py).

The notebooks are rendered with their stored outputs (MyST-NB, no execution); maths is typeset by
a local copy of MathJax, so the site needs no network to build or to read.
"""

import importlib.util
from pathlib import Path

from sphinx.util.fileutil import copy_asset

project = "Gradient to GPT"
author = "the Gradient to GPT authors"
copyright = "the Gradient to GPT authors"

extensions = ["myst_nb"]
# MathJax 3 from the sphinx-mathjax-offline package, copied next to the pages.
_MATHJAX = Path(importlib.util.find_spec("sphinx-mathjax-offline").origin).parent / "static"
mathjax_path = "mathjax/tex-chtml.js"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "html_image"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # stored outputs of a full run, exactly as committed
nb_merge_streams = True
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]
# Notebooks use headings for teaching, not as a document outline: level jumps are fine.
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]

html_theme = "sphinx_book_theme"
html_title = "Gradient to GPT"
html_theme_options = {
    "home_page_in_toc": True,
    "use_download_button": False,  # each page has its own download link (run box)
    "show_toc_level": 2,
    "navigation_with_keys": True,
}
html_show_sourcelink = False
html_copy_source = False


def _copy_mathjax(app, exc):
    if exc is None:
        copy_asset(str(_MATHJAX / "mathjax"), str(Path(app.outdir) / "_static" / "mathjax"))


def setup(app):
    app.connect("build-finished", _copy_mathjax)
