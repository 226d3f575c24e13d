"""course_utils.widgets: the live view stays, the saved text form becomes one sentence."""

from __future__ import annotations

import ipywidgets as widgets

from course_utils.widgets import LIVE_NOTE, LiveWidget


def test_bundle_keeps_the_widget_view_and_replaces_the_text_form():
    slider = widgets.FloatSlider(value=1.0)
    box = widgets.VBox([slider])
    bundle = LiveWidget(box)._repr_mimebundle_()
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == box.model_id
    assert bundle["text/plain"] == LIVE_NOTE
    assert "children" not in bundle["text/plain"]


def test_interactive_widget_gets_a_custom_note():
    shown = LiveWidget(widgets.interactive(lambda x=1.0: x, x=(0.0, 2.0)), note="runs live")
    assert shown._repr_mimebundle_()["text/plain"] == "runs live"
    assert repr(shown) == "runs live"


def test_draw_graph_shows_every_value_and_operation():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_utils.autograd import Value
    from course_utils.plotting.ch05 import draw_graph

    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + a).tanh()
    out.backward()
    ax = draw_graph(out, title="graph")
    texts = [t.get_text() for t in ax.texts]
    assert sum("data" in t for t in texts) == 5  # a, b, a*b, a*b + a, tanh
    assert {"*", "+", "tanh"} <= set(texts)
    assert any(t.startswith("a\n") and "grad" in t for t in texts)
    plt.close("all")
