"""Figures of notebook 05 (from NumPy to PyTorch).

- :func:`draw_graph`: the computation graph of a :class:`course_utils.autograd.Value`, with each
  value's data and gradient.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt

__all__ = ["draw_graph"]


def _parents(node: Any) -> tuple:
    return tuple(getattr(node, "_prev", ()))


def _layout(root: Any) -> tuple[dict[int, Any], dict[int, tuple[float, float]], dict]:
    """Every node of the graph, its (x, y), and the columns: x grows with the distance from the
    inputs, the nodes of one column are stacked around y = 0."""
    depth: dict[int, int] = {}
    nodes: dict[int, Any] = {}

    def place(node: Any) -> int:
        key = id(node)
        if key not in depth:
            nodes[key] = node
            depth[key] = 1 + max((place(p) for p in _parents(node)), default=-1)
        return depth[key]

    place(root)
    columns: dict[int, list[int]] = {}
    for key in sorted(nodes, key=lambda k: depth[k]):
        columns.setdefault(depth[key], []).append(key)
    position = {}
    for d, keys in columns.items():
        for i, key in enumerate(keys):
            position[key] = (2.0 * d, (len(keys) - 1) / 2 - i)
    return nodes, position, columns


def _draw_node(
    ax: Any, node: Any, xy: tuple[float, float], parents: list[tuple[float, float]]
) -> None:
    """A value's box, the circle of the operation that made it, and arrows from its inputs."""
    x, y = xy
    op = getattr(node, "_op", "")
    for px, py in parents:
        target = (x - 0.75, y) if op else (x, y)
        ax.annotate(
            "",
            xy=target,
            xytext=(px + 0.55, py),
            arrowprops={"arrowstyle": "->", "color": "0.5", "lw": 1},
        )
    if op:
        ax.annotate(
            "",
            xy=(x - 0.55, y),
            xytext=(x - 0.75, y),
            arrowprops={"arrowstyle": "->", "color": "0.5", "lw": 1},
        )
        ax.text(
            x - 0.75,
            y,
            op,
            ha="center",
            va="center",
            fontsize=9,
            zorder=3,
            bbox={"boxstyle": "circle,pad=0.3", "fc": "#fde0c5", "ec": "#ff7f0e"},
        )
    label = getattr(node, "label", "")
    text = (f"{label}\n" if label else "") + f"data {node.data:.4g}\ngrad {node.grad:.4g}"
    ax.text(
        x,
        y,
        text,
        ha="center",
        va="center",
        fontsize=8,
        zorder=3,
        bbox={"boxstyle": "round,pad=0.35", "fc": "#dbe9f6", "ec": "#1f77b4"},
    )


def draw_graph(root: Any, *, ax: Any | None = None, title: str | None = None) -> Any:
    """Draw the graph that produced ``root``: inputs on the left, ``root`` on the right.

    Every value is a box showing its label (if any), ``data`` and ``grad``; the operation that
    made it (``+``, ``*``, ``tanh``, ...) is written in a circle just before it. Works with any
    object that has ``data``, ``grad``, ``_prev`` and ``_op`` (the notebook's ``Value`` or the
    package's). Returns the matplotlib axes.
    """
    nodes, position, columns = _layout(root)
    tallest = max(len(keys) for keys in columns.values())
    if ax is None:
        _, ax = plt.subplots(figsize=(2.6 * (len(columns) + 1), 1.1 * tallest + 1.5))
    for key, node in nodes.items():
        _draw_node(ax, node, position[key], [position[id(p)] for p in _parents(node)])
    ax.set_xlim(-0.9, 2.0 * max(columns) + 0.9)
    ax.set_ylim(-tallest / 2 - 0.2, tallest / 2 + 0.2)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
