"""Fix the notebook-level metadata of stored notebooks without running them.

    python tools/normalize_metadata.py                       # every notebook
    python tools/normalize_metadata.py notebooks/10_*.ipynb  # some of them

The same as ``python3 course.py execute --metadata-only``: see tools/execute_notebooks.py for
what is written and why.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from execute_notebooks import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main(["--metadata-only", *sys.argv[1:]]))
