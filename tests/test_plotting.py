import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_utils import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_loss_curves_draws_one_line_per_curve():
    ax = plotting.plot_loss_curves({"train": [3, 2, 1], "validation": [3.5, 2.5]}, logy=True)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["train", "validation"]
    assert np.array_equal(lines[0].get_xdata(), [1, 2, 3])
    assert ax.get_yscale() == "log"


def test_plot_loss_curves_with_own_x_positions():
    ax = plotting.plot_loss_curves({"val": [2.0, 1.0]}, x={"val": [0, 100]}, xlabel="step")
    assert np.array_equal(ax.get_lines()[0].get_xdata(), [0, 100])
    with pytest.raises(ValueError, match="x positions"):
        plotting.plot_loss_curves({"val": [2.0, 1.0]}, x={"val": [0]})


@pytest.mark.parametrize("bad", [{}, [1, 2], {"a": [[1, 2], [3, 4]]}])
def test_plot_loss_curves_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        plotting.plot_loss_curves(bad)


def test_decision_boundary_for_labels_and_probabilities():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    ax = plotting.plot_decision_boundary(lambda g: (g[:, 0] > 0).astype(int), X, y, resolution=20)
    assert len(ax.collections) >= 2  # filled regions and the scatter
    ax = plotting.plot_decision_boundary(lambda g: 1 / (1 + np.exp(-g[:, 0])), X, y, resolution=20)
    assert ax.get_legend() is not None


def test_decision_boundary_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plotting.plot_decision_boundary(lambda g: g[:, 0], np.ones((5, 3)), np.ones(5))
    with pytest.raises(ValueError, match="y must have shape"):
        plotting.plot_decision_boundary(lambda g: g[:, 0], np.ones((5, 2)), np.ones(4))
    with pytest.raises(TypeError):
        plotting.plot_decision_boundary("not a function", np.ones((5, 2)), np.ones(5))


def test_heatmap_accepts_tensors_and_checks_labels():
    ax = plotting.heatmap(
        torch.eye(3), row_labels=list("abc"), col_labels=list("xyz"), annotate=True
    )
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert len(ax.texts) == 9
    with pytest.raises(ValueError, match="2-D"):
        plotting.heatmap(np.ones(3))
    with pytest.raises(ValueError, match="row labels"):
        plotting.heatmap(np.ones((2, 2)), row_labels=["a"])


def test_live_loss_plot_records_and_redraws():
    live = plotting.LiveLossPlot(["train", "validation"], min_interval=0.0)
    for step in range(5):
        live.update(step, train=1.0 / (step + 1))
    live.update(4, validation=0.5)
    hist = live.history()
    assert hist["train"][1] == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    assert hist["validation"] == ([4.0], [0.5])
    fig = live.close()
    xdata = live.lines["train"].get_xdata()
    assert list(xdata) == [0, 1, 2, 3, 4] and fig is live.fig


def test_live_loss_plot_rejects_bad_input():
    with pytest.raises(ValueError):
        plotting.LiveLossPlot([])
    with pytest.raises(ValueError):
        plotting.LiveLossPlot(["a", "a"])
    live = plotting.LiveLossPlot(["train"])
    with pytest.raises(KeyError, match="unknown curve"):
        live.update(0, val=1.0)
    with pytest.raises(ValueError):
        live.update(0)


def test_course_style_is_seaborn_based_with_the_course_palette():
    import matplotlib as mpl

    mpl.rcParams.update(mpl.rcParamsDefault)
    plotting.use_course_style()
    assert mpl.rcParams["figure.dpi"] == plotting.FIGURE_DPI
    cycle = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    assert [mpl.colors.to_hex(c) for c in cycle] == plotting.COLORS
    assert mpl.rcParams["axes.grid"] and mpl.rcParams["axes.facecolor"] == "white"  # whitegrid


def _pixels(png: bytes) -> np.ndarray:
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def test_figure_png_is_a_smaller_palette_image_that_looks_the_same():
    import io

    from PIL import Image

    ax = plotting.plot_loss_curves(
        {
            "train": np.linspace(3, 1, 200) + np.sin(np.arange(200)),
            "validation": np.linspace(3.2, 1.4, 200),
        }
    )
    full = io.BytesIO()
    ax.figure.canvas.print_figure(full, format="png", dpi=ax.figure.dpi, bbox_inches="tight")
    small = plotting._figure_png(ax.figure)
    assert Image.open(io.BytesIO(small)).mode == "P"
    assert len(small) < 0.6 * len(full.getvalue())
    a, b = _pixels(small), _pixels(full.getvalue())
    assert a.shape == b.shape and np.mean(np.abs(a - b).max(axis=2) > 24) <= 0.001


def test_figure_png_keeps_full_colour_when_a_palette_would_show():
    import io

    from PIL import Image

    fig, ax = plt.subplots()
    ax.imshow(np.random.default_rng(0).random((60, 80, 3)))  # thousands of distinct colours
    png = plotting._figure_png(fig)
    assert Image.open(io.BytesIO(png)).mode in ("RGB", "RGBA")
