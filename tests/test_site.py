"""The course website (tools/build_site.py, `python3 course.py site`): built once, then checked."""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_site  # noqa: E402

NOTEBOOKS = build_site.course_notebooks()
TEX_IN_DOLLARS = re.compile(r"(?<![\\$])\$(?!\$)[^$\n]*[\\^_{}][^$\n]*\$")
TAG = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("myst_nb", reason="Sphinx and MyST-NB come with `python3 course.py test`")
    return build_site.build(tmp_path_factory.mktemp("site"))


def _page(site: Path, name: str) -> str:
    return (site / name).read_text(encoding="utf-8")


def _visible_text(html: str, code: bool = False) -> str:
    """Page text without scripts, maths that MathJax typesets, and code (unless ``code``)."""
    hidden = "script|style" if code else "script|style|pre|code"
    html = re.sub(rf"<({hidden})\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<(span|div) class="math[^"]*">.*?</\1>', " ", html, flags=re.S)
    return TAG.sub(" ", html)


def test_every_notebook_has_a_page_in_course_order(site):
    index = _page(site, "index.html")
    nav = re.search(r'<nav class="[^"]*bd-docs-nav.*?</nav>', index, re.S).group(0)
    linked = [h for h in re.findall(r'href="([^"#]+\.html)"', nav) if h != "index.html"]
    assert linked == [f"{p.stem}.html" for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        title = build_site.title_of(nbformat.read(path, as_version=4), path.stem)
        html = _page(site, f"{path.stem}.html")
        assert f"<title>{title}" in html.replace("&#183;", "·")
        assert re.search(rf'href="[^"]*_downloads/[^"]+/{path.name}"', html), "no download link"
        assert "python3 course.py lab" in " ".join(_visible_text(html, code=True).split())


def test_no_broken_internal_link_or_missing_image(site):
    pages = sorted(site.glob("*.html"))
    ids = {p.name: set(re.findall(r'\sid="([^"]+)"', _page(site, p.name))) for p in pages}
    broken = []
    for page in pages:
        html = _page(site, page.name)
        for url in re.findall(r'\s(?:href|src)="([^"]+)"', html):
            parts = urlsplit(url)
            if parts.scheme or url.startswith(("//", "mailto:")):
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if not target.is_file() or target.stat().st_size == 0:
                broken.append(f"{page.name}: {url}")
            elif (
                parts.fragment
                and target.suffix == ".html"
                and target.name in ids
                and target.name not in {"genindex.html", "search.html"}
            ):
                if unquote(parts.fragment) not in ids[target.name]:
                    broken.append(f"{page.name}: {url} (no such anchor)")
    assert not broken, broken[:10]


def test_plots_and_offline_assets(site):
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        n_images = sum(
            1
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.get("outputs", [])
            if {"image/png", "image/jpeg", "image/svg+xml"} & set(o.get("data", {}))
        )
        html = _page(site, f"{path.stem}.html")
        assert len(re.findall(r'<img [^>]*src="_images/', html)) >= n_images
        assets = re.findall(r"<script\b[^>]*>", html) + re.findall(r"<link\b[^>]*>", html)
        for tag in assets:
            if "<script" in tag or "stylesheet" in tag or "preload" in tag:
                assert not re.search(r'(src|href)="(https?:)?//', tag), f"{path.stem}: {tag}"
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()


def test_maths_is_left_to_mathjax_and_no_raw_dollars(site):
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        html = _page(site, f"{path.stem}.html")
        has_maths = any(
            c.cell_type == "markdown" and "$" in c.source.replace("\\$", "") for c in nb.cells
        )
        if has_maths:
            assert '<span class="math notranslate nohighlight">' in html
            assert "_static/mathjax/tex-chtml.js" in html
        raw = TEX_IN_DOLLARS.findall(_visible_text(html))
        assert not raw, f"{path.stem}: raw maths left: {raw[:3]}"


def test_widget_cells_show_their_static_picture(site):
    seen = 0
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        n_widgets = sum(
            1
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.get("outputs", [])
            if build_site.WIDGET_MIME in o.get("data", {})
        )
        html = _page(site, f"{path.stem}.html")
        assert "children=(" not in html  # no text fallback of a widget without its state
        cells = html.split('<div class="cell docutils container')
        with_note = [i for i, cell in enumerate(cells) if 'class="widget-note"' in cell]
        assert len(with_note) == n_widgets
        for i in with_note:  # a static picture (plot or text) in its cell or a neighbour
            near = cells[i - 1 : i + 2]
            assert any("<img " in c or "output stream" in c for c in near), path.stem
        seen += n_widgets
    assert seen > 0


def test_search_index(site):
    assert (site / "search.html").is_file()
    index = _page(site, "searchindex.js")
    for path in NOTEBOOKS:
        assert f'"{path.stem}"' in index


# ------------------------------------------------------------------ in a real browser

PROBE = """<!doctype html><meta charset="utf-8"><title>probe</title>
<pre id="result">pending</pre><iframe id="frame" style="width:1280px;height:900px"></iframe>
<script>
const pages = new URLSearchParams(location.search).get("pages").split(",");
const frame = document.getElementById("frame");
const sleep = ms => new Promise(r => setTimeout(r, ms));
async function probe(page) {
  await new Promise(r => { frame.onload = r; frame.src = page; });
  const w = frame.contentWindow, d = frame.contentDocument;
  for (let i = 0; i < 200 && !(w.MathJax && w.MathJax.startup && w.MathJax.startup.promise); i++)
    await sleep(50);
  if (w.MathJax) await w.MathJax.startup.promise;
  const imgs = [...d.querySelectorAll("img")].filter(i => i.getAttribute("src").includes("_images/"));
  const widths = await Promise.all(imgs.slice(0, 3).map(i => new Promise(r => {
    const x = new Image(); x.onload = () => r(x.naturalWidth); x.onerror = () => r(0); x.src = i.src;
  })));
  return {title: d.title, h1: (d.querySelector("h1") || {}).textContent, images: imgs.length,
          widths, typeset: d.querySelectorAll("mjx-container").length,
          errors: d.querySelectorAll("mjx-merror").length,
          spans: d.querySelectorAll("span.math").length};
}
(async () => {
  const out = {};
  for (const p of pages) out[p] = await probe(p);
  document.getElementById("result").textContent = JSON.stringify(out);
})();
</script>"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(
    _chromium() is None, reason="no Chromium here (.ci/run installs it: apt-get install chromium)"
)
def test_pages_render_in_headless_chromium(site, tmp_path):
    with_both = [
        p
        for p in NOTEBOOKS
        if "<img " in _page(site, f"{p.stem}.html")
        and 'span class="math' in _page(site, f"{p.stem}.html")
    ]
    assert with_both
    chosen = sorted({with_both[0], with_both[len(with_both) // 2], with_both[-1]})
    pages = [f"{p.stem}.html" for p in chosen]
    (site / "_probe.html").write_text(PROBE, encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/_probe.html?pages={','.join(pages)}"
    try:
        result = subprocess.run(
            [
                _chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-dev-shm-usage",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--virtual-time-budget=60000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=240,
        )
    finally:
        server.shutdown()
    match = re.search(r'<pre id="result">(.*?)</pre>', result.stdout, re.S)
    assert match and match.group(1) != "pending", result.stderr[-2000:]
    found = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    for path, page in zip(chosen, pages):
        got = found[page]
        title = build_site.title_of(nbformat.read(path, as_version=4), path.stem)
        assert got["title"].startswith(title) and title in got["h1"], got
        assert got["images"] > 0 and all(w > 100 for w in got["widths"]), got  # plots loaded
        assert got["typeset"] >= got["spans"] > 0 and got["errors"] == 0, got  # maths typeset
