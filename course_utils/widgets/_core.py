"""The thin view shared by every widget: sliders, one figure updated in place, a summary line.

A widget is a pure *compute* function (slider values -> arrays and numbers, tested over its
slider grid) plus *setup*/*update* functions that draw those numbers. ``InteractiveFigure``
creates the figure once and, on every slider move, calls ``compute`` then ``update`` on the
same artists and re-renders that one figure to PNG: no new figure per move, so memory stays
flat through a whole lecture, and no pyplot figure manager is involved.
"""

from __future__ import annotations

import io
import time

import numpy as np


def unit_lines(angles) -> list[np.ndarray]:
    """One (2, 1) orthonormal basis [cos a, sin a]^T per angle: the lines of the 2-D mixtures
    (1/K) sum_k N(0, u_k u_k^T) that the chapter-3 and chapter-6 widgets draw (numpy only)."""
    return [np.array([[np.cos(a)], [np.sin(a)]]) for a in np.asarray(angles, dtype=float)]


def slider(description: str, values, value=None, fmt: str | None = None):
    """A slider over an explicit grid of values (what ``compute`` is tested on)."""
    import ipywidgets as w

    values = list(values)
    if value is None:
        value = values[len(values) // 2]
    if value not in values:
        raise ValueError(f"value must be one of the slider's values, got {value!r}")
    if fmt is None:
        options = [(f"{v:g}" if isinstance(v, (float, np.floating)) else str(v), v) for v in values]
    else:
        options = [(format(v, fmt), v) for v in values]
    return w.SelectionSlider(
        options=options,
        value=value,
        description=description,
        continuous_update=False,
        layout=w.Layout(width="420px"),
        style={"description_width": "initial"},
    )


def toggle(description: str, options, value=None):
    """A toggle-button choice (for example the schedule, VE or VP)."""
    import ipywidgets as w

    options = list(options)
    return w.ToggleButtons(
        options=options, value=options[0] if value is None else value, description=description
    )


def render_png(fig) -> bytes:
    """The figure as PNG bytes. Light compression: a few kB larger, a few ms faster per move
    (drawing the text of the axes is most of what remains)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def _lean_ticks(fig, nbins=5):
    """At most ``nbins`` labelled ticks on every default linear axis: drawing tick-label text
    is most of a redraw's cost, and a slider figure reads fine with fewer labels."""
    from matplotlib.ticker import AutoLocator, MaxNLocator

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if type(axis.get_major_locator()) is AutoLocator:
                axis.set_major_locator(MaxNLocator(nbins=nbins))


class InteractiveFigure:
    """Sliders + one in-place figure + a printed summary.

    Parameters
    ----------
    compute : callable(**values) -> dict
        Pure function of the slider values.
    setup : callable(fig, data) -> state
        Creates the axes and artists once.
    update : callable(state, data) -> None
        Changes the artists' data in place.
    controls : dict name -> ipywidgets control (``slider`` / ``toggle``)
    summary : callable(data) -> str
        One line of the numbers behind the figure.
    """

    def __init__(self, compute, setup, update, controls, summary, figsize=None):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.compute = compute
        self._update = update
        self.controls = dict(controls)
        self.summary = summary
        self.fig = Figure(figsize=figsize)
        FigureCanvasAgg(self.fig)
        self.data = compute(**self.values())
        self.state = setup(self.fig, self.data)
        _lean_ticks(self.fig)
        # Lay the figure out once, then freeze the layout: with a layout engine attached
        # (tight_layout, constrained) every savefig would draw the figure twice.
        self.fig.canvas.draw()
        self.fig.set_layout_engine(None)
        self.callback_seconds: list[float] = []
        self._image = None
        self._text = None
        for c in self.controls.values():
            c.observe(self._on_change, names="value")

    def values(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    def redraw(self, **values) -> str:
        """Compute and redraw for ``values`` (defaults: the controls' current values)."""
        start = time.perf_counter()
        vals = self.values()
        vals.update(values)
        self.data = self.compute(**vals)
        self._update(self.state, self.data)
        text = self.summary(self.data)
        if self._image is not None:
            self._image.value = render_png(self.fig)
            self._text.value = text
        self.callback_seconds.append(time.perf_counter() - start)
        return text

    def _on_change(self, change):
        self.redraw()

    def widget(self):
        import ipywidgets as w

        if self._image is None:
            self._image = w.Image(value=render_png(self.fig), format="png")
            self._text = w.Label(value=self.summary(self.data))
            self._text.add_class("course-summary")
        box = w.VBox([*self.controls.values(), self._image, self._text])
        box.add_class("course-widget")
        return box

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget())
