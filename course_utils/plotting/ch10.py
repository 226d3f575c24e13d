"""Figures of notebook 10 (building and training a GPT).

- :func:`plot_ladder`: the ladder of models, best validation loss per rung (seaborn bars) next to
  the validation curves of the trained rungs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from course_utils.plotting import COLORS

__all__ = ["plot_ladder"]


def plot_ladder(
    table: pd.DataFrame,
    curves: Mapping[str, Sequence[dict[str, float]]],
    *,
    title: str = "what each piece buys",
) -> Any:
    """Bars of ``table["validation loss"]`` per ``table["rung"]`` (coloured by ``table["kind"]``)
    and, on the right, validation loss against step for every rung in ``curves`` (a list of
    ``{"step": ..., "val": ...}`` per rung). Returns the figure."""
    fig, (bars, lines) = plt.subplots(
        1, 2, figsize=(14, 4.8), gridspec_kw={"width_ratios": [1, 1.1]}
    )
    palette = {kind: COLORS[i] for i, kind in enumerate(dict.fromkeys(table["kind"]))}
    sns.barplot(
        data=table, y="rung", x="validation loss", hue="kind", palette=palette, dodge=False, ax=bars
    )
    for container in bars.containers:
        bars.bar_label(container, fmt="%.2f", padding=3, fontsize=9)
    bars.set_xlim(0, table["validation loss"].max() * 1.12)
    bars.set_ylabel("")
    bars.set_title("best validation loss (nats per character)")
    bars.legend(loc="lower right", frameon=True)
    for i, (name, history) in enumerate(curves.items()):
        steps = [h["step"] for h in history]
        _ = lines.plot(
            steps,
            [h["val"] for h in history],
            "o-",
            ms=3,
            label=name,
            color=COLORS[i % len(COLORS)],
        )
    lines.set_xlabel("training step")
    lines.set_ylabel("validation loss")
    lines.set_ylim(top=min(4.5, lines.get_ylim()[1]))
    lines.set_title("validation loss while training, same budget for every rung")
    lines.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
