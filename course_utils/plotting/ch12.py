"""Figures of notebook 12 (a modern GPT).

- :func:`plot_rope_offsets`: a query-key score against the offset, at several absolute positions;
- :func:`plot_activations`: GELU, SiLU and ReLU side by side;
- :func:`plot_cache_memory`: KV-cache size against the number of key/value heads;
- :func:`plot_generation_speed`: tokens per second with and without a KV cache;
- :func:`plot_ablation`: validation loss of each variant, every seed and the mean;
- :func:`plot_newton_schulz`: what Muon's iteration does to singular values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from course_utils.plotting import COLORS

__all__ = [
    "plot_rope_offsets",
    "plot_activations",
    "plot_cache_memory",
    "plot_generation_speed",
    "plot_ablation",
    "plot_newton_schulz",
]


def _axes(ax: Any | None, figsize: tuple[float, float]) -> Any:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_rope_offsets(
    offsets: Sequence[int], scores: Mapping[str, Sequence[float]], *, ax: Any | None = None
) -> Any:
    """One line per absolute query position: score of the same query and key at each offset."""
    ax = _axes(ax, (6.5, 3.6))
    for i, (label, values) in enumerate(scores.items()):
        ax.plot(offsets, values, color=COLORS[i % len(COLORS)], lw=2.5 - 0.5 * i, label=label)
    ax.set_xlabel("offset: query position minus key position")
    ax.set_ylabel("score q·k after RoPE")
    ax.legend(fontsize=9)
    return ax


def plot_activations(
    x: np.ndarray, curves: Mapping[str, np.ndarray], *, ax: Any | None = None
) -> Any:
    """Draw activation functions on a shared axis."""
    ax = _axes(ax, (5.5, 3.4))
    for i, (label, y) in enumerate(curves.items()):
        ax.plot(x, y, color=COLORS[i % len(COLORS)], label=label)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel("input")
    ax.set_ylabel("output")
    ax.legend()
    return ax


def plot_cache_memory(
    kv_heads: Sequence[int], mebibytes: Sequence[float], *, n_head: int, ax: Any | None = None
) -> Any:
    """Bars of KV-cache size (MiB) for each number of key/value heads."""
    ax = _axes(ax, (5.5, 3.4))
    labels = [f"{k}" + (" (MHA)" if k == n_head else " (MQA)" if k == 1 else "") for k in kv_heads]
    bars = ax.bar(labels, mebibytes, color=COLORS[0])
    ax.bar_label(bars, fmt="%.1f MiB", fontsize=9)
    ax.set_xlabel("key/value heads")
    ax.set_ylabel("KV cache (MiB)")
    return ax


def plot_generation_speed(
    lengths: Sequence[int],
    speeds: Mapping[str, Sequence[float]],
    *,
    context: int,
    ax: Any | None = None,
) -> Any:
    """Tokens per second against the number of generated tokens, one line per method."""
    ax = _axes(ax, (6.5, 3.8))
    for i, (label, values) in enumerate(speeds.items()):
        ax.plot(lengths, values, "o-", color=COLORS[i % len(COLORS)], label=label)
    ax.axvline(context, color="0.5", ls="--", lw=1)
    ax.text(context, ax.get_ylim()[1] * 0.95, " context full", va="top", fontsize=9, color="0.4")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    # Plain numbers on both log axes ("256", "200") rather than powers ("2^8", "2 x 10^2").
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.set_xticks(list(lengths))
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("tokens generated (from a one-token prompt)")
    ax.set_ylabel("tokens per second")
    ax.legend()
    return ax


def plot_ablation(
    results: Mapping[str, Sequence[float]], *, baseline: str, ax: Any | None = None
) -> Any:
    """Every seed's validation loss (dots) and the mean (bar) of each variant (seaborn)."""
    import pandas as pd
    import seaborn as sns

    rows = [{"variant": name, "val loss": v} for name, values in results.items() for v in values]
    frame = pd.DataFrame(rows)
    ax = _axes(ax, (7.5, 3.8))
    sns.pointplot(
        data=frame,
        x="variant",
        y="val loss",
        errorbar=("pi", 100),
        color=COLORS[0],
        linestyle="none",
        markers="D",
        capsize=0.2,
        ax=ax,
    )
    sns.stripplot(
        data=frame,
        x="variant",
        y="val loss",
        color=COLORS[1],
        size=5,
        alpha=0.7,
        jitter=0.08,
        ax=ax,
    )
    ax.axhline(float(np.mean(results[baseline])), color="0.5", ls="--", lw=1)
    ax.set_xlabel("")
    ax.set_ylabel("validation loss")
    ax.tick_params(axis="x", rotation=20)
    return ax


def plot_newton_schulz(
    sigma: Sequence[float],
    mapped: Sequence[float],
    before: Sequence[float],
    after: Sequence[float],
) -> Any:
    """Left: the iteration's map of one (normalised) singular value. Right: the singular values
    of a gradient matrix before (normalised) and after, largest first."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    left.plot(sigma, mapped, color=COLORS[0], lw=2, label="after 5 steps")
    left.plot(sigma, sigma, color="0.6", ls="--", lw=1, label="unchanged")
    left.set_xscale("log")
    left.set_xlabel("singular value / Frobenius norm")
    left.set_ylabel("singular value after")
    left.legend(fontsize=9)
    rank = np.arange(1, len(before) + 1)
    right.semilogy(rank, before, color=COLORS[1], lw=2, label="gradient (normalised)")
    right.semilogy(rank, after, color=COLORS[0], lw=2, label="after Newton-Schulz")
    right.set_xlabel("rank of the singular value")
    right.set_ylabel("singular value")
    right.legend(fontsize=9)
    fig.tight_layout()
    return fig
