"""The figures of single notebooks (course_utils.plotting.chNN): they draw what they compute."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402

from course_utils import linear, optimizers  # noqa: E402
from course_utils.perceptron import train_perceptron  # noqa: E402
from course_utils.plotting.ch01 import plot_gd_run  # noqa: E402
from course_utils.plotting.ch02 import plot_perceptron_state, plot_progression  # noqa: E402
from course_utils.plotting.ch03 import plot_logistic_snapshot  # noqa: E402
from course_utils.plotting.ch04 import draw_network  # noqa: E402
from course_utils.plotting.ch07 import plot_race  # noqa: E402
from course_utils.plotting.ch10 import plot_ladder  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_algorithm_modules_do_not_import_matplotlib():
    import subprocess
    import sys

    code = (
        "import sys\nimport course_utils.linear, course_utils.perceptron, "
        "course_utils.logistic, course_utils.mlp, course_utils.optimizers\n"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- 01


def test_plot_gd_run_draws_the_histories():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)) * [1.0, 2.0, 0.5, 3.0] + [0.0, 5.0, -2.0, 1.0]
    y = X @ np.array([1.0, -0.5, 2.0, 0.25]) + 3.0 + rng.normal(0.0, 0.3, size=300)
    mean, std = linear.zscore_fit(X)
    Xb = linear.add_bias_column(linear.zscore_apply(X, mean, std))
    fig, ax = plt.subplots()
    ax_out, run = plot_gd_run(
        Xb[:200], y[:200], Xb[200:], y[200:], lr=0.1, epochs=30, optimum=0.1, ax=ax
    )
    assert ax_out is ax
    train_line, val_line = ax.get_lines()[:2]
    assert np.allclose(train_line.get_ydata(), run.train_loss)
    assert np.allclose(val_line.get_ydata(), run.val_loss)
    assert len(run.train_loss) == 31
    assert "lr = 0.1" in ax.get_title()
    _, bad = plot_gd_run(Xb[:200], y[:200], Xb[200:], y[200:], lr=50.0, epochs=30)
    assert bad.diverged and "diverged" in plt.gca().get_title()


# ---------------------------------------------------------------- 02


def test_perceptron_pictures_draw():
    X, y = make_blobs(n_samples=20, centers=[[-2, -1], [2, 1.5]], cluster_std=0.8, random_state=0)
    res = train_perceptron(X, y, lr=0.1)
    ax = plot_perceptron_state(
        X, y, res.w, res.b, highlight=0, title="t", previous=([1.0, 0.0], 0.0)
    )
    assert ax.get_title() == "t"
    assert any(c.get_label() == "label 1" for c in ax.collections)
    ax = plot_progression(X, y, res.lines, max_dotted=3)
    assert any(line.get_label() == "final line" for line in ax.lines)


@pytest.mark.parametrize(
    "call",
    [
        lambda: plot_perceptron_state(np.ones((3, 3)), [0, 1, 0], [1, 1, 1], 0.0),
        lambda: plot_perceptron_state(np.ones((3, 2)), [0, 2, 0], [1, 1], 0.0),
        lambda: plot_progression(np.ones((3, 2)), [0, 1, 0], []),
    ],
)
def test_perceptron_pictures_refuse_bad_input(call):
    with pytest.raises(ValueError):
        call()


# ---------------------------------------------------------------- 03


def test_snapshot_picture_draws():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, -1.0]])
    axes = plot_logistic_snapshot(X, [0, 1, 1], [1.0, 2.0], -0.5, highlight=2)
    assert "mean loss" in axes[1].get_title()
    assert len(axes[1].patches) == 3  # one loss bar per point
    with pytest.raises(ValueError, match="2-D points"):
        plot_logistic_snapshot(np.ones((3, 3)), [0, 1, 1], [1.0, 2.0, 0.0], 0.0)


# ---------------------------------------------------------------- 04


def test_draw_network():
    ax = draw_network([2, 3, 12, 1], title="net")
    assert ax.get_title() == "net"
    assert [len(c.get_offsets()) for c in ax.collections] == [2, 3, 10, 1]
    assert any("12 units" in t.get_text() for t in ax.texts)
    with pytest.raises(ValueError, match="labels"):
        draw_network([2, 3, 1], labels=["a", "b"])
    with pytest.raises(ValueError, match="positive integers"):
        draw_network([2])


# ---------------------------------------------------------------- 07


def test_plot_race_draws_one_line_per_optimizer():
    paths = optimizers.race("bowl", 20)
    ax = plot_race("bowl", paths)
    labels = [line.get_label() for line in ax.get_lines()]
    assert sum(any(label.startswith(n + ":") for n in paths) for label in labels) == len(paths)


def test_plot_race_refuses_bad_input():
    with pytest.raises(ValueError):
        plot_race("bowl", {})
    with pytest.raises(ValueError, match="unknown surface"):
        plot_race("saddle", {"SGD": np.zeros((2, 2))})


# ---------------------------------------------------------------- 10


def test_plot_ladder_draws_one_bar_per_rung_and_one_curve_per_trained_rung():
    import pandas as pd

    table = pd.DataFrame(
        {
            "rung": ["uniform", "bigram counts", "one head", "LSTM"],
            "kind": ["counts", "counts", "transformer pieces", "LSTM"],
            "validation loss": [4.17, 2.48, 2.3, 2.0],
        }
    )
    curves = {
        "one head": [{"step": 0, "val": 4.2}, {"step": 10, "val": 2.3}],
        "LSTM": [{"step": 0, "val": 4.2}, {"step": 10, "val": 2.0}],
    }
    fig = plot_ladder(table, curves)
    bars, lines = fig.axes[:2]
    heights = sorted(round(p.get_width(), 2) for p in bars.patches if p.get_width() > 0)
    assert heights == [2.0, 2.3, 2.48, 4.17]
    assert [line.get_label() for line in lines.get_lines()] == ["one head", "LSTM"]
    assert list(lines.get_lines()[1].get_ydata()) == [4.2, 2.0]
