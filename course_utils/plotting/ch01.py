"""Figures of notebook 01 (linear regression).

- :func:`plot_gd_run`: run gradient descent and draw its training and validation loss; the
  notebook's learning-rate widget redraws it on every slider move.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from course_utils.linear import GDResult, gradient_descent

__all__ = ["plot_gd_run"]


def plot_gd_run(
    Xb: Any,
    y: Any,
    Xb_val: Any,
    y_val: Any,
    *,
    lr: float,
    epochs: int,
    optimum: float | None = None,
    seed: int = 42,
    ax: Any = None,
) -> tuple[Any, GDResult]:
    """Run :func:`gradient_descent` and draw its training and validation loss per epoch.

    The notebook's learning-rate widget calls this on every slider move. ``optimum`` (the best
    possible validation MSE) is drawn as a dashed line. The y axis is logarithmic so that slow
    progress and divergence both stay visible. Returns ``(ax, result)``.
    """
    result = gradient_descent(Xb, y, lr=lr, epochs=epochs, Xb_val=Xb_val, y_val=y_val, seed=seed)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 4.0))
    epochs_axis = np.arange(len(result.train_loss))
    _ = ax.plot(epochs_axis, result.train_loss, label="training")
    _ = ax.plot(epochs_axis, result.val_loss, label="validation", linestyle="--")
    if optimum is not None:
        ax.axhline(
            float(optimum),
            color="black",
            linewidth=1,
            linestyle=":",
            label=f"best possible validation MSE ({optimum:.3f})",
        )
    ax.set_yscale("log")
    ax.set_xlim(0, max(int(epochs), 1))
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE (log scale)")
    if result.diverged:
        title = f"lr = {lr:.3g}: diverged after {result.epochs_run} epochs"
    else:
        title = (
            f"lr = {lr:.3g}, {epochs} epochs: training {result.train_loss[-1]:.3f}, "
            f"validation {result.val_loss[-1]:.3f}"
        )
    ax.set_title(title)
    ax.legend(loc="upper right")
    return ax, result
