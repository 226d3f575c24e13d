"""Helpers shared by the Gradient to GPT notebooks.

Modules, one concern each:

- ``runtime``   device choice, seeding, the fast-mode switch (``COURSE_FAST``), progress bars
- ``data``      dataset loaders that download, verify (sha256) and cache
- ``plotting``  one plot style, loss curves, decision boundaries, heatmaps, a live training chart;
                ``plotting.chNN`` holds the figures of notebook NN
- ``checks``    answer checks for exercises (friendly feedback, hints, solutions)
- ``exercises`` the exercises of each notebook, one module per notebook
- ``envcheck``  the environment report of notebook 00
- ``validation`` shared input checks that turn bad arguments into clear error messages

Model code lives in one module per topic: ``linear`` (01), ``perceptron`` (02), ``logistic``
(03), ``mlp`` (04, 05), ``training`` (06), ``optimizers`` (07), ``bpe`` and ``embeddings`` (08),
``attention`` (09), ``tokenizers`` and ``gpt`` (10, reused by 11), ``generation`` (11).
"""

from typing import Any

from course_utils import runtime
from course_utils.runtime import get_device, pick, seed_everything

__all__ = ["FAST", "get_device", "pick", "seed_everything"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # FAST (is fast mode on?) is read from COURSE_FAST when imported; see course_utils.runtime.
    if name == "FAST":
        return runtime.FAST
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
