"""The figures of notebook 12 (course_utils.plotting.ch12) draw the numbers they are given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.plotting import ch12  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_rope_offsets_draws_one_line_per_position():
    ax = ch12.plot_rope_offsets([0, 1, 2], {"a": [1.0, 2.0, 3.0], "b": [1.0, 2.0, 3.5]})
    assert [list(line.get_ydata()) for line in ax.get_lines()] == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.5]]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_activations_and_cache_memory():
    x = np.linspace(-1, 1, 5)
    ax = ch12.plot_activations(x, {"id": x, "sq": x**2})
    assert np.allclose(ax.get_lines()[1].get_ydata(), x**2)
    ax = ch12.plot_cache_memory([4, 2, 1], [8.0, 4.0, 2.0], n_head=4)
    assert [p.get_height() for p in ax.patches] == [8.0, 4.0, 2.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4 (MHA)", "2", "1 (MQA)"]


def test_generation_speed_and_ablation():
    ax = ch12.plot_generation_speed(
        [8, 16], {"cache": [100.0, 90.0], "none": [80.0, 40.0]}, context=16
    )
    assert list(ax.get_lines()[1].get_ydata()) == [80.0, 40.0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    ax.figure.canvas.draw()  # tick labels are plain numbers, not powers of 2 or 10
    assert [t.get_text() for t in ax.get_xticklabels()] == ["8", "16"]
    assert "50" in [t.get_text() for t in ax.get_yticklabels()]
    ax = ch12.plot_ablation({"base": [2.0, 2.2], "new": [1.9, 2.1]}, baseline="base")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["base", "new"]
    ys = [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]
    assert any(y.shape == (2,) and np.allclose(y, [2.1, 2.0]) for y in ys)  # the two means
    assert any(y.shape == (2,) and np.allclose(y, [2.1, 2.1]) for y in ys)  # the baseline line


def test_plot_newton_schulz_draws_the_map_and_both_spectra():
    fig = ch12.plot_newton_schulz(
        [0.01, 0.1, 1.0], [0.5, 0.9, 1.0], [1.0, 0.1, 0.01], [1.1, 0.9, 0.7]
    )
    left, right = fig.axes
    assert list(left.get_lines()[0].get_ydata()) == [0.5, 0.9, 1.0]
    assert list(left.get_lines()[1].get_ydata()) == [0.01, 0.1, 1.0]  # the diagonal
    assert left.get_xscale() == "log" and right.get_yscale() == "log"
    assert [list(line.get_ydata()) for line in right.get_lines()] == [
        [1.0, 0.1, 0.01],
        [1.1, 0.9, 0.7],
    ]
    plt.close(fig)
