"""Figures of notebook 04 (neural networks and backpropagation).

- :func:`draw_network`: a fully connected network as circles and lines.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["draw_network"]


def _unit_positions(shown: list[int]) -> list[np.ndarray]:
    """(x, y) of every drawn unit: layer i at x = i, its units centred on y = 0."""
    positions = []
    for li, n in enumerate(shown):
        ys = np.linspace(-(n - 1) / 2, (n - 1) / 2, n) if n > 1 else np.zeros(1)
        positions.append(np.column_stack([np.full(n, float(li)), ys]))
    return positions


def _draw_weights(ax: Any, positions: list[np.ndarray]) -> None:
    """One grey line per weight between the drawn units of neighbouring layers."""
    for left, right in zip(positions[:-1], positions[1:]):
        for x0, y0 in left:
            for x1, y1 in right:
                ax.plot([x0, x1], [y0, y1], color="0.6", lw=0.7, zorder=1)


def draw_network(
    layer_sizes: Sequence[int],
    *,
    ax: Any | None = None,
    labels: Sequence[str] | None = None,
    title: str | None = None,
    max_units: int = 10,
) -> Any:
    """Draw a fully connected network as circles (units) and lines (weights).

    ``labels`` names each layer (default: input, hidden 1, ..., output). Layers wider than
    ``max_units`` are drawn with ``max_units`` circles and a note saying so ("8 of 32 units drawn").
    Returns the matplotlib axes.
    """
    sizes = list(layer_sizes)
    if len(sizes) < 2 or any(
        isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in sizes
    ):
        raise ValueError(f"layer_sizes must be at least two positive integers, got {sizes}.")
    if labels is None:
        labels = ["input"] + [f"hidden {i}" for i in range(1, len(sizes) - 1)] + ["output"]
    if len(labels) != len(sizes):
        raise ValueError(f"{len(labels)} labels for {len(sizes)} layers.")
    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 * len(sizes) + 1, 3.2))
    shown = [min(n, max_units) for n in sizes]
    tallest = max(shown)
    colors = ["#2ca02c"] + ["#1f77b4"] * (len(sizes) - 2) + ["#d62728"]
    positions = _unit_positions(shown)
    _draw_weights(ax, positions)
    size = 320.0 if tallest <= 5 else 160.0
    for li, pts in enumerate(positions):
        # scatter markers stay round whatever the axes' aspect ratio
        ax.scatter(pts[:, 0], pts[:, 1], s=size, color=colors[li], zorder=2)
        note = (
            labels[li]
            if sizes[li] <= max_units
            else f"{labels[li]}\n{shown[li]} of {sizes[li]} units\ndrawn"
        )
        ax.text(
            li,
            -tallest / 2 - 0.2,
            note,
            ha="center",
            va="top",
            fontsize=9 if sizes[li] <= max_units else 8,
        )
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-tallest / 2 - 1.3, tallest / 2 + 0.3)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
