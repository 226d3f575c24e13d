"""Figures of notebook 06 (training neural networks well).

- :func:`weight_distributions`: seaborn histograms of learned weights, one colour per penalty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

__all__ = ["weight_distributions"]


def weight_distributions(
    weights: Mapping[str, Any],
    *,
    ax: Any | None = None,
    title: str = "distribution of the learned weights",
) -> Any:
    """Overlaid histograms of each named weight vector (one colour per name); return the axes."""
    frame = pd.DataFrame(
        [(name, float(w)) for name, ws in weights.items() for w in np.ravel(ws)],
        columns=["penalty", "weight"],
    )
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    sns.histplot(
        frame,
        x="weight",
        hue="penalty",
        bins=60,
        element="step",
        stat="count",
        common_bins=True,
        ax=ax,
    )
    ax.set_title(title)
    return ax
