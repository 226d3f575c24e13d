"""Figures of notebook 03 (logistic regression).

- :func:`plot_logistic_snapshot`: the picture of the "move the weights, watch the loss" widget.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from course_utils.logistic import logistic_snapshot, sigmoid
from course_utils.plotting import COLORS

__all__ = ["plot_logistic_snapshot"]


def plot_logistic_snapshot(
    X: Any,
    y: Any,
    w: Any,
    b: float,
    *,
    axes: Any | None = None,
    highlight: int | None = None,
    margin: float = 1.0,
) -> Any:
    """Two panels: probabilities shaded over the plane with the 0.5 line, and per-point losses.

    ``highlight`` marks one point (the one the learner moves). Returns the two axes.
    """
    snap = logistic_snapshot(X, y, w, b)  # checks X, y, w and b
    X_arr, w_arr = np.asarray(X, dtype=float), np.asarray(w, dtype=float)
    bias = np.asarray(b, dtype=float).item()
    if X_arr.shape[1] != 2:
        raise ValueError(f"Pictures need 2-D points, got {X_arr.shape[1]} features.")
    y_arr = np.asarray(y).astype(int)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10.5, 4.2), gridspec_kw={"width_ratios": [1.1, 1]})
    ax_plane, ax_bar = axes
    lo = X_arr.min(axis=0) - margin
    hi = X_arr.max(axis=0) + margin
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 150), np.linspace(lo[1], hi[1], 150))
    prob = sigmoid(w_arr[0] * g1 + w_arr[1] * g2 + bias)
    shade = ax_plane.contourf(
        g1, g2, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.45, vmin=0, vmax=1
    )
    if 0 < prob.min() < 0.5 < prob.max():
        ax_plane.contour(g1, g2, prob, levels=[0.5], colors="black", linewidths=1.8)
    for label, marker in ((0, "o"), (1, "s")):
        mask = y_arr == label
        ax_plane.scatter(
            X_arr[mask, 0],
            X_arr[mask, 1],
            s=60,
            marker=marker,
            color=COLORS[label],
            edgecolor="white",
            linewidth=0.8,
            label=f"label {label}",
            zorder=3,
        )
    for i, (px, py) in enumerate(X_arr):
        ax_plane.annotate(str(i), (px, py), textcoords="offset points", xytext=(6, 5), fontsize=8)
    if highlight is not None:
        ax_plane.scatter(
            [X_arr[highlight, 0]],
            [X_arr[highlight, 1]],
            s=300,
            facecolor="none",
            edgecolor="#ff7f0e",
            linewidth=2.5,
            zorder=4,
            label="movable point",
        )
    ax_plane.set_xlim(lo[0], hi[0])
    ax_plane.set_ylim(lo[1], hi[1])
    ax_plane.set_xlabel("$x_1$")
    ax_plane.set_ylabel("$x_2$")
    ax_plane.set_title(f"P(label 1) = σ({w_arr[0]:.2f}·x1 + {w_arr[1]:.2f}·x2 + {bias:.2f})")
    ax_plane.legend(loc="lower left", fontsize=8)
    ax_plane.figure.colorbar(shade, ax=ax_plane, fraction=0.046, pad=0.03, label="P(label 1)")
    colors = [COLORS[int(lbl)] for lbl in y_arr]
    idx = np.arange(len(y_arr))
    ax_bar.bar(idx, snap["loss"], color=colors, alpha=0.85)
    for i, (loss, pt) in enumerate(zip(snap["loss"], snap["p_true"])):
        ax_bar.text(i, loss, f"{pt:.2f}", ha="center", va="bottom", fontsize=8)
    ax_bar.set_xticks(idx)
    ax_bar.set_xlabel("point (number above a bar: probability given to its true label)")
    ax_bar.set_ylabel("log-loss  $-\\ln p_{true}$")
    ax_bar.set_title(f"mean loss {snap['mean_loss']:.3f}, accuracy {snap['accuracy']:.0%}")
    ax_bar.set_ylim(0, max(1.0, float(snap["loss"].max()) * 1.15))
    return axes
