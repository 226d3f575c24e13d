"""The seaborn figures of notebooks 06 and 08 draw what they are given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from course_utils.plotting.ch06 import weight_distributions  # noqa: E402
from course_utils.plotting.ch08 import similarity_heatmap  # noqa: E402


def test_weight_distributions_draws_one_histogram_per_penalty():
    rng = np.random.default_rng(0)
    ax = weight_distributions(
        {"L1": np.r_[np.zeros(80), rng.normal(size=20)], "L2": rng.normal(size=100)}
    )
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["L1", "L2"] and ax.get_xlabel() == "weight"
    plt.close("all")


def test_similarity_heatmap_shows_the_cosine_matrix():
    vectors = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    ax, sims = similarity_heatmap(["a", "b", "c"], vectors)
    assert np.allclose(sims, [[1, 2**-0.5, 0], [2**-0.5, 1, 2**-0.5], [0, 2**-0.5, 1]])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    shown = ax.collections[0].get_array().reshape(3, 3)
    assert np.allclose(shown, sims)
    plt.close("all")
