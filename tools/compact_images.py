"""Store the figures of saved notebooks as palette PNGs, without running them again.

    python tools/compact_images.py                       # every notebook
    python tools/compact_images.py notebooks/09_*.ipynb  # some of them

Each stored ``image/png`` output goes through :func:`course_utils.plotting.compact_png`, the same
step a fresh run applies to every figure (a 256-colour palette where it looks the same).
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_utils.plotting import compact_png  # noqa: E402


def compact(path: Path) -> tuple[int, int]:
    """Re-encode the notebook's PNG outputs in place; return its size before and after."""
    before = path.stat().st_size
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data:
                png = compact_png(base64.b64decode(data["image/png"]))
                data["image/png"] = base64.b64encode(png).decode("ascii")
    nbformat.write(nb, path)
    return before, path.stat().st_size


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        before, after = compact(path)
        print(f"{path.name}: {before / 1e6:.2f} MB -> {after / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
