"""Figures of notebook 07 (optimizers).

- :func:`plot_race`: a surface's contours with every optimizer's path on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from course_utils.optimizers import SURFACES, Surface
from course_utils.plotting import COLORS

__all__ = ["plot_race"]


def plot_race(
    surface: str | Surface,
    paths: Mapping[str, np.ndarray],
    *,
    ax: Any | None = None,
    title: str | None = None,
) -> Any:
    """Draw the surface's contours with every optimizer's path on top; return the axes."""
    if not isinstance(surface, Surface) and surface not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}; choose from {sorted(SURFACES)}.")
    surf = surface if isinstance(surface, Surface) else SURFACES[surface]
    if not isinstance(paths, Mapping) or not paths:
        raise ValueError("paths must be a non-empty dict of name -> (n, 2) array.")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    gx, gy = np.meshgrid(np.linspace(*surf.xlim, 300), np.linspace(*surf.ylim, 300))
    z = surf(gx, gy)
    if surf.log_levels:
        levels = np.logspace(-1, 3.5, 16)
    else:
        levels = np.geomspace(0.02, float(z.max()), 15)
    ax.contour(gx, gy, z, levels=levels, colors="grey", linewidths=0.6, alpha=0.7)
    ax.contourf(gx, gy, z, levels=levels, cmap="Greys", alpha=0.15)
    for i, (name, path) in enumerate(paths.items()):
        path = np.asarray(path, dtype=float)  # (n, 2), as optimize_path returns it
        color = COLORS[i % len(COLORS)]
        _ = ax.plot(
            path[:, 0],
            path[:, 1],
            "-o",
            color=color,
            markersize=2,
            linewidth=1.3,
            label=f"{name}: loss {float(surf(*path[-1])):.2g}",
        )
    _ = ax.plot(*surf.start, "ks", markersize=6)
    _ = ax.plot(*surf.minimum, "k*", markersize=12)
    ax.set_xlim(*surf.xlim)
    ax.set_ylim(*surf.ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.grid(False)
    ax.set_title(title or surf.name)
    ax.legend(loc="lower right", fontsize=8, frameon=True)
    return ax
