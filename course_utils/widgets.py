"""Show an ipywidgets control live, with a one-line text form for saved notebooks.

A saved notebook keeps no widget state, so JupyterLab and GitHub fall back to a widget's text
form (``VBox(children=(...``). :func:`show_live` displays the widget as usual in a running kernel
but replaces that text form with a sentence saying the widget runs live; the static picture next
to it shows its starting state.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LIVE_NOTE", "LiveWidget", "show_live"]

LIVE_NOTE = (
    "(Interactive widget: it runs live when you execute this notebook; the picture "
    "above shows its starting state.)"
)


class LiveWidget:
    """Wraps a widget: the live view in a kernel, ``note`` as the saved text form."""

    def __init__(self, widget: Any, note: str = LIVE_NOTE) -> None:
        self.widget = widget
        self.note = note

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/plain"] = self.note
        return bundle

    def __repr__(self) -> str:
        return self.note


def show_live(widget: Any, note: str = LIVE_NOTE) -> LiveWidget:
    """Display ``widget`` live; saved copies of the notebook show ``note`` instead of its repr."""
    from IPython.display import display

    shown = LiveWidget(widget, note)
    display(shown)
    return shown
