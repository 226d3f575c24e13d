"""One plot style for the course and the pictures notebooks draw again and again.

- :func:`use_course_style` sets the shared look, based on seaborn (called on import).
- :func:`plot_loss_curves` draws training/validation losses per epoch or step.
- :func:`plot_decision_boundary` shades a classifier's regions over a 2-D data set.
- :func:`heatmap` draws a matrix with labelled rows and columns (attention, confusion, ...).
- :class:`LiveLossPlot` is a training chart that redraws in place from inside a loop.

The figures of a single notebook live next door, in ``course_utils.plotting.chNN``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

__all__ = [
    "COLORS",
    "use_course_style",
    "plot_loss_curves",
    "plot_decision_boundary",
    "heatmap",
    "LiveLossPlot",
]

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
"""The course palette: blue, red, green, orange, purple, brown, pink, grey."""


FIGURE_DPI = 80
"""Pixels per inch of every figure: the default 7-inch-wide figure is 560 pixels wide."""

PNG_COLORS = 256
"""Colours kept in a notebook's PNGs (a palette image is about a third of a full-colour one)."""


def use_course_style() -> None:
    """Apply the course's plot style: seaborn's white grid, the course palette, readable sizes.

    Figures are 7 x 4.2 inches at :data:`FIGURE_DPI` dots per inch. Inside Jupyter, figures are
    stored as palette PNGs of :data:`PNG_COLORS` colours (see :func:`_figure_png`), which keeps
    saved notebooks small.
    """
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette=COLORS,
        rc={
            "figure.figsize": (7.0, 4.2),
            "figure.dpi": FIGURE_DPI,
            "savefig.dpi": "figure",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "legend.fontsize": 10,
            "legend.frameon": False,
            "image.cmap": "viridis",
        },
    )
    _use_palette_pngs()


def _figure_png(fig: Any) -> bytes:
    """The PNG a notebook stores for ``fig``: tight box, the figure's dpi, a 256-colour palette.

    Plots are flat colours, anti-aliased edges and colour maps of at most 256 entries, so an
    adaptive palette (no dithering) looks the same and takes about a third of the bytes. Should
    the palette change a visible share of pixels (more than 0.1 % by more than 24 of 255 levels),
    the full-colour PNG is kept.
    """
    buf = io.BytesIO()
    fig.canvas.print_figure(
        buf,
        format="png",
        dpi=fig.dpi,
        bbox_inches="tight",
        facecolor=fig.get_facecolor(),
        edgecolor=fig.get_edgecolor(),
    )
    return compact_png(buf.getvalue())


def compact_png(full: bytes) -> bytes:
    """``full`` as a 256-colour palette PNG, unless that changes a visible share of its pixels
    (see :func:`_figure_png`) or saves nothing; then ``full`` unchanged."""
    from PIL import Image

    image = Image.open(io.BytesIO(full)).convert("RGB")
    palette = image.quantize(
        colors=PNG_COLORS, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE
    )
    error = np.abs(np.asarray(palette.convert("RGB"), dtype=int) - np.asarray(image, dtype=int))
    if np.mean(error.max(axis=2) > 24) > 0.001:
        return full
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue() if out.tell() < len(full) else full


def _use_palette_pngs() -> None:
    """Inside a Jupyter kernel, render figures with :func:`_figure_png` (elsewhere: nothing)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - plain Python without IPython
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return
    from matplotlib.figure import Figure

    if "inline" in mpl.get_backend():
        # Loading the inline backend registers its own PNG formatter; do it now, then replace it.
        import matplotlib_inline.backend_inline  # noqa: F401
    shell.display_formatter.formatters["image/png"].for_type(Figure, _figure_png)


use_course_style()


def _new_axes(ax: Any | None, figsize: tuple[float, float] | None = None) -> Any:
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_loss_curves(
    curves: Mapping[str, Sequence[float]],
    *,
    ax: Any | None = None,
    xlabel: str = "epoch",
    ylabel: str = "loss",
    title: str | None = None,
    logy: bool = False,
    x: Mapping[str, Sequence[float]] | None = None,
) -> Any:
    """Plot one line per named loss history, e.g. ``{"train": [...], "validation": [...]}``.

    ``x`` optionally gives each curve its own x values (for a validation loss measured every N
    steps). Returns the axes.
    """
    if not isinstance(curves, Mapping) or not curves:
        raise ValueError("curves must be a non-empty dict of name -> list of losses.")
    ax = _new_axes(ax)
    for name, values in curves.items():
        ys = np.asarray(values, dtype=float)
        if ys.ndim != 1:
            raise ValueError(f"curve {name!r} must be one-dimensional, got shape {ys.shape}.")
        xs = np.asarray(x[name], dtype=float) if x and name in x else np.arange(1, len(ys) + 1)
        if len(xs) != len(ys):
            raise ValueError(f"curve {name!r} has {len(ys)} values but {len(xs)} x positions.")
        _ = ax.plot(xs, ys, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def plot_decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    *,
    ax: Any | None = None,
    resolution: int = 200,
    margin: float = 0.5,
    title: str | None = None,
) -> Any:
    """Shade the class ``predict`` gives each point of a grid and scatter the data on top.

    ``predict`` maps an ``(n, 2)`` array to ``n`` class labels (or probabilities of class 1, which
    are shaded continuously). Returns the axes.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2) for a 2-D picture, got {X.shape}.")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}.")
    if not callable(predict):
        raise TypeError("predict must be a function from an (n, 2) array to labels.")
    if resolution < 2:
        raise ValueError("resolution must be at least 2.")
    ax = _new_axes(ax)
    x0 = np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, resolution)
    x1 = np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, resolution)
    g0, g1 = np.meshgrid(x0, x1)
    grid = np.column_stack([g0.ravel(), g1.ravel()])
    z = np.asarray(predict(grid), dtype=float).reshape(g0.shape)
    classes = np.unique(y)
    cmap = mpl.colors.ListedColormap([mpl.colors.to_rgba(c, 0.25) for c in COLORS[: len(classes)]])
    if np.all(np.isin(np.unique(z), classes)):
        levels = np.concatenate([[classes[0] - 0.5], classes + 0.5])
        ax.contourf(g0, g1, z, levels=levels, cmap=cmap)
    else:
        ax.contourf(g0, g1, z, levels=20, cmap="RdBu_r", alpha=0.35, vmin=0.0, vmax=1.0)
        ax.contour(g0, g1, z, levels=[0.5], colors="k", linewidths=1.5)
    for i, c in enumerate(classes):
        mask = y == c
        ax.scatter(
            X[mask, 0],
            X[mask, 1],
            s=18,
            color=COLORS[i % len(COLORS)],
            edgecolor="white",
            linewidth=0.4,
            label=f"class {c}",
        )
    ax.set_xlim(x0[0], x0[-1])
    ax.set_ylim(x1[0], x1[-1])
    ax.legend(loc="best")
    if title:
        ax.set_title(title)
    return ax


def _labelled_matrix(
    matrix: Any, row_labels: Sequence[str] | None, col_labels: Sequence[str] | None
) -> np.ndarray:
    """The matrix as a 2-D float array, with as many labels as it has rows and columns."""
    if hasattr(matrix, "detach"):
        matrix = matrix.detach().cpu().numpy()
    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2:
        raise ValueError(f"heatmap needs a 2-D matrix, got shape {m.shape}.")
    for labels, size, what in ((row_labels, m.shape[0], "row"), (col_labels, m.shape[1], "column")):
        if labels is not None and len(labels) != size:
            raise ValueError(f"{len(labels)} {what} labels for {size} {what}s.")
    return m


def _annotate_cells(ax: Any, m: np.ndarray, fmt: str) -> None:
    """Write each value in its cell, white on dark cells and black on light ones."""
    mid = np.nanmean(m)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            ax.text(
                j,
                i,
                fmt.format(m[i, j]),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if m[i, j] < mid else "black",
            )


def heatmap(
    matrix: Any,
    *,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    ax: Any | None = None,
    cmap: str = "viridis",
    annotate: bool = False,
    fmt: str = "{:.2f}",
    title: str | None = None,
    colorbar: bool = True,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Any:
    """Draw a 2-D matrix (NumPy array or tensor) with optional labels and values in the cells."""
    m = _labelled_matrix(matrix, row_labels, col_labels)
    ax = _new_axes(ax)
    image = ax.imshow(m, cmap=cmap, aspect="auto", vmin=vmin, vmax=vmax)
    ax.grid(False)
    if row_labels is not None:
        ax.set_yticks(range(m.shape[0]), labels=list(row_labels))
    if col_labels is not None:
        ax.set_xticks(range(m.shape[1]), labels=list(col_labels), rotation=45, ha="right")
    if annotate:
        _annotate_cells(ax, m, fmt)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if title:
        ax.set_title(title)
    return ax


class LiveLossPlot:
    """A loss chart that redraws in place while a loop trains.

    >>> live = LiveLossPlot(["train", "validation"])     # doctest: +SKIP
    >>> for step in range(steps):                          # doctest: +SKIP
    ...     live.update(step, train=loss)                  # any subset of the curves
    >>> live.close()                                       # final picture stays in the output

    In a notebook the figure is shown once and then updated through its display handle (no
    flicker, one output); outside a notebook nothing is drawn until :meth:`close`. Redraws are
    throttled to at most one every ``min_interval`` seconds so plotting never slows training.
    """

    def __init__(
        self,
        names: Sequence[str] = ("train", "validation"),
        *,
        xlabel: str = "step",
        ylabel: str = "loss",
        title: str | None = None,
        logy: bool = False,
        min_interval: float = 1.0,
        figsize: tuple[float, float] = (7.0, 3.8),
    ) -> None:
        names = list(names)
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ValueError("LiveLossPlot needs at least one curve name (a non-empty string).")
        if len(set(names)) != len(names):
            raise ValueError(f"curve names must be unique, got {names}.")
        if min_interval < 0:
            raise ValueError("min_interval must be non-negative.")
        self.names = names
        self.xs: dict[str, list[float]] = {n: [] for n in names}
        self.ys: dict[str, list[float]] = {n: [] for n in names}
        self.min_interval = min_interval
        self._last_draw = 0.0
        self.fig, self.ax = plt.subplots(figsize=figsize)
        plt.close(
            self.fig
        )  # we display it ourselves; keep the inline backend from showing it twice
        self.lines = {
            n: self.ax.plot([], [], label=n, marker="." if i else None)[0]
            for i, n in enumerate(names)
        }
        self.ax.set_xlabel(xlabel)
        self.ax.set_ylabel(ylabel)
        if logy:
            self.ax.set_yscale("log")
        if title:
            self.ax.set_title(title)
        self.ax.legend()
        self._handle = None
        try:
            from IPython import get_ipython
            from IPython.display import display

            if get_ipython() is not None and hasattr(get_ipython(), "kernel"):
                self._handle = display(self.fig, display_id=True)
        except ImportError:
            self._handle = None

    def update(self, x: float, **values: float) -> None:
        """Record ``values`` (curve name -> loss) at position ``x`` and redraw if due."""
        if not values:
            raise ValueError(
                "update() needs at least one curve value, e.g. update(step, train=1.2)."
            )
        for name, value in values.items():
            if name not in self.ys:
                raise KeyError(f"unknown curve {name!r}; this plot has {self.names}.")
            v = float(value)
            self.xs[name].append(float(x))
            self.ys[name].append(v)
        if time.monotonic() - self._last_draw >= self.min_interval:
            self.draw()

    def draw(self) -> None:
        """Redraw the chart now."""
        for name, line in self.lines.items():
            line.set_data(self.xs[name], self.ys[name])
        self.ax.relim()
        self.ax.autoscale_view()
        self._last_draw = time.monotonic()
        if self._handle is not None:
            self._handle.update(self.fig)

    def close(self) -> Any:
        """Draw the final state; return the figure. Outside a notebook the figure is shown."""
        self.draw()
        if self._handle is None:
            try:
                from IPython.display import display

                display(self.fig)
            except ImportError:  # pragma: no cover - plain Python without IPython
                pass
        return self.fig

    def history(self) -> dict[str, tuple[list[float], list[float]]]:
        """Return ``{name: (xs, ys)}`` of everything recorded so far."""
        return {n: (list(self.xs[n]), list(self.ys[n])) for n in self.names}
