"""Figures of notebook 02 (the perceptron).

- :func:`plot_perceptron_state`: the points, the line ``w·x + b = 0`` and its positive side, with
  the mistakes ringed.
- :func:`plot_progression`: the lines a training run went through, oldest palest.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from course_utils.perceptron import line_points, step
from course_utils.plotting import COLORS
from course_utils.validation import as_matrix, as_number, as_vector

__all__ = ["plot_perceptron_state", "plot_progression"]


def _points_and_labels(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X_arr = as_matrix(X)
    if X_arr.shape[1] != 2:
        raise ValueError(f"Pictures need 2-D points, got {X_arr.shape[1]} features.")
    y_arr = as_vector(y, "y", X_arr.shape[0])
    if not np.all((y_arr == 0) | (y_arr == 1)):
        raise ValueError(f"y must contain only the labels 0 and 1, got {np.unique(y_arr)}.")
    return X_arr, y_arr.astype(int)


def _scatter_classes(ax: Any, X: np.ndarray, y: np.ndarray) -> None:
    for label, marker in ((0, "o"), (1, "s")):
        mask = y == label
        ax.scatter(
            X[mask, 0],
            X[mask, 1],
            s=36,
            marker=marker,
            color=COLORS[label],
            edgecolor="white",
            linewidth=0.6,
            label=f"label {label}",
            zorder=3,
        )


def plot_perceptron_state(
    X: Any,
    y: Any,
    w: Any,
    b: float,
    *,
    ax: Any | None = None,
    highlight: int | None = None,
    previous: tuple[Any, float] | None = None,
    title: str | None = None,
    margin: float = 0.5,
) -> Any:
    """Draw 2-D points, the line ``w·x + b = 0`` and its positive side; ring the mistakes.

    ``highlight`` is the index of one point to circle (the point being visited); ``previous`` is
    an earlier ``(w, b)`` drawn as a dashed grey line (where the line was before an update).
    Returns the axes.
    """
    X_arr, y_arr = _points_and_labels(X, y)
    w_arr = as_vector(w, "w", 2)
    bias = as_number(b, "b")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.4))
    lo = X_arr.min(axis=0) - margin
    hi = X_arr.max(axis=0) + margin
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    side = step(w_arr[0] * g1 + w_arr[1] * g2 + bias)
    if np.any(w_arr != 0):
        ax.contourf(
            g1, g2, side, levels=[-0.5, 0.5, 1.5], colors=["#1f77b4", "#d62728"], alpha=0.10
        )
    _scatter_classes(ax, X_arr, y_arr)
    wrong = step(X_arr @ w_arr + bias) != y_arr
    if wrong.any():
        ax.scatter(
            X_arr[wrong, 0],
            X_arr[wrong, 1],
            s=140,
            facecolor="none",
            edgecolor="black",
            linewidth=1.0,
            label="misclassified",
            zorder=2,
        )
    if previous is not None:
        old = line_points(*previous)
        if old is not None:
            ax.axline(
                old[0], old[1], color="grey", linestyle="--", linewidth=1.5, label="line before"
            )
    pts = line_points(w_arr, bias)
    if pts is not None:
        ax.axline(pts[0], pts[1], color="black", linewidth=2, label="line now")
    if highlight is not None:
        ax.scatter(
            [X_arr[highlight, 0]],
            [X_arr[highlight, 1]],
            s=320,
            facecolor="none",
            edgecolor="#ff7f0e",
            linewidth=2.5,
            label="visited now",
            zorder=4,
        )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="best", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def plot_progression(
    X: Any,
    y: Any,
    lines: list[tuple[np.ndarray, float]],
    *,
    ax: Any | None = None,
    title: str | None = None,
    margin: float = 0.5,
    max_dotted: int = 40,
) -> Any:
    """Draw the data, the intermediate lines dotted (oldest palest) and the last one solid.

    ``lines`` is a list of ``(w, b)``, e.g. ``PerceptronResult.lines``. When there are more than
    ``max_dotted`` intermediate lines, evenly spaced ones are drawn. Returns the axes.
    """
    X_arr, y_arr = _points_and_labels(X, y)
    if not lines:
        raise ValueError("lines is empty: there is nothing to draw.")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.4))
    lo = X_arr.min(axis=0) - margin
    hi = X_arr.max(axis=0) + margin
    middle = lines[:-1]
    if len(middle) > max_dotted:
        keep = np.unique(np.linspace(0, len(middle) - 1, max_dotted).round().astype(int))
        middle = [middle[i] for i in keep]
    for i, (w, b) in enumerate(middle):
        pts = line_points(w, b)
        if pts is not None:
            ax.axline(
                pts[0],
                pts[1],
                color="grey",
                linestyle=":",
                linewidth=1.2,
                alpha=0.25 + 0.65 * (i + 1) / len(middle),
            )
    _scatter_classes(ax, X_arr, y_arr)
    w_last, b_last = lines[-1]
    pts = line_points(w_last, b_last)
    if pts is not None:
        ax.axline(pts[0], pts[1], color="black", linewidth=2.2, label="final line")
    if middle:
        ax.plot([], [], color="grey", linestyle=":", label="earlier lines")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="best", fontsize=8)
    if title:
        ax.set_title(title)
    return ax
