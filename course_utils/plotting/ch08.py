"""Figures of notebook 08 (tokens and embeddings).

- :func:`similarity_heatmap`: a seaborn heatmap of the cosine similarity of every pair of words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from course_utils.embeddings import cosine_similarity

__all__ = ["similarity_heatmap"]


def similarity_heatmap(
    words: Sequence[str],
    vectors: Any,
    *,
    ax: Any | None = None,
    title: str = "cosine similarity of skip-gram vectors",
) -> tuple[Any, np.ndarray]:
    """Heatmap of ``cosine_similarity(vectors, vectors)``, one row and column per word.

    ``vectors`` holds one row per word, in the order of ``words``. Returns the axes and the matrix.
    """
    sims = cosine_similarity(vectors, vectors)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.5 * len(words) + 2.5, 0.45 * len(words) + 1.5))
    sns.heatmap(
        sims,
        xticklabels=list(words),
        yticklabels=list(words),
        cmap="rocket",
        vmin=-1 if sims.min() < 0 else 0,
        vmax=1,
        square=True,
        annot=len(words) <= 10,
        fmt=".2f",
        cbar_kws={"label": "cosine similarity"},
        ax=ax,
    )
    ax.set_title(title)
    return ax, sims
