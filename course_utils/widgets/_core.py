"""The thin view shared by every widget: sliders, one figure updated in place, a summary line.

A widget is a pure *compute* function (slider values -> arrays and numbers, tested over its
slider grid) plus *setup*/*update* functions that draw those numbers. ``InteractiveFigure``
creates the figure once and, on every slider move, calls ``compute`` then ``update`` on the
same artists and re-renders that one figure to PNG: no new figure per move, so memory stays
flat through a whole lecture, and no pyplot figure manager is involved.

Sliders follow the hand where the machine allows it: when the widget is first shown, one
redraw is timed, and if it takes less than ``CONTINUOUS_BELOW_S`` the sliders update the
figure while they are dragged (``continuous_update``); otherwise, on release. ``make bench``
prints each widget's redraw times and the choice.
"""

from __future__ import annotations

import io
import time

import numpy as np

# A redraw faster than this (compute + draw + PNG, in the kernel) keeps up with a dragged
# slider: the figure then updates while dragging; slower widgets update on release.
CONTINUOUS_BELOW_S = 0.06
# What viewers without a live kernel show for the widget (GitHub, a notebook opened before Run
# All, the static book) instead of the ``VBox(children=(...`` repr of the controls.
WIDGET_TEXT = ("Interactive figure: run this cell in JupyterLab to use the sliders; "
               "the static panel below shows representative settings.")


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
    # at the figure's own dpi (whatever savefig.dpi says), so the pixel size is known in advance
    fig.savefig(buf, format="png", dpi=fig.dpi, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def encode_png(rgba) -> bytes:
    """PNG bytes of an (h, w, 4) uint8 RGBA buffer, with the same light compression."""
    from PIL import Image

    rgba = np.asarray(rgba)
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="png", compress_level=1)
    return buf.getvalue()


def _static_children(ax):
    """The parts of an axes that only change with its limits: its frame and both axes (the
    ticks, tick labels, grid and axis labels: most of the text, so most of a draw's cost)."""
    return {id(ax.patch), id(ax.xaxis), id(ax.yaxis)}


def _dynamic_artists(fig) -> list:
    """Everything a slider move may change, in the order a full draw paints it: within each
    axes (axes in drawing order) every child but the frame and the two axes (lines,
    collections, patches, images, spines, texts, titles, legends), sorted by zorder; then the
    figure's own texts and legends."""
    out = []
    for ax in sorted(fig.axes, key=lambda a: a.get_zorder()):
        static = _static_children(ax)
        kids = [a for a in ax.get_children() if id(a) not in static]
        out.extend(sorted(kids, key=lambda a: a.get_zorder()))
    top = [a for a in fig.get_children() if a is not fig.patch and a not in fig.axes]
    out.extend(sorted(top, key=lambda a: a.get_zorder()))
    return out


def _background_key(fig) -> tuple:
    """What the cached background depends on: per axes its place, limits, scales, tick
    positions and label texts. Equal keys mean the static parts would draw the same pixels."""
    key = [fig.bbox.bounds]
    for ax in fig.axes:
        key.append((ax.get_visible(), ax.axison, tuple(ax.get_position().bounds),
                    ax.get_xlim(), ax.get_ylim(), ax.get_xscale(), ax.get_yscale(),
                    tuple(ax.xaxis.get_majorticklocs()), tuple(ax.yaxis.get_majorticklocs()),
                    ax.get_xlabel(), ax.get_ylabel(), id(ax.xaxis.get_major_formatter()),
                    id(ax.yaxis.get_major_formatter())))
    return tuple(key)


def png_width(png: bytes) -> int:
    """Pixel width of a PNG (from its IHDR header)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("png must be PNG bytes")
    return int.from_bytes(png[16:20], "big")


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
    continuous_update : bool or None
        Redraw while a slider is dragged (True) or on release (False). None (default): decide
        from the time of one redraw when the widget is first shown (``CONTINUOUS_BELOW_S``).
    """

    def __init__(self, compute, setup, update, controls, summary, figsize=None,
                 continuous_update=None):
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
        self.continuous_update = continuous_update
        self._image = None
        self._text = None
        # A slider move usually changes the data, not the axes: the frame, ticks and labels
        # are drawn once into a cached background and each move paints only the artists on
        # top (blitting). Any change of limits, ticks or labels redraws the background.
        # 3-D axes draw their panes from the view, so they always get a full draw.
        self.blit = all(getattr(ax, "name", "") != "3d" for ax in self.fig.axes)
        self._background = None
        self._background_key = None
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
            self._image.value = self.render()
            self._text.value = text
        self.callback_seconds.append(time.perf_counter() - start)
        return text

    def render(self) -> bytes:
        """The figure as PNG bytes: the same pixels as ``render_png(self.fig)``, faster when
        the static background can be reused (``blit``)."""
        if not self.blit:
            return render_png(self.fig)
        canvas = self.fig.canvas
        dynamic = _dynamic_artists(self.fig)
        key = _background_key(self.fig)
        if key != self._background_key:
            animated = [a.get_animated() for a in dynamic]
            for a in dynamic:
                a.set_animated(True)
            try:
                canvas.draw()  # the static parts only
            finally:
                for a, was in zip(dynamic, animated, strict=True):
                    a.set_animated(was)
            self._background = canvas.copy_from_bbox(self.fig.bbox)
            self._background_key = key
        else:
            canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        for a in dynamic:
            a.draw(renderer)
        return encode_png(canvas.buffer_rgba())

    def _on_change(self, change):
        self.redraw()

    def widget(self):
        import ipywidgets as w

        if self._image is None:
            # full redraws (compute + draw + PNG), timed in CPU seconds (what the machine can
            # do, not how busy it is this instant): the faster of two decides continuous updates
            times = []
            for _ in range(2):
                start = time.process_time()
                self.data = self.compute(**self.values())
                self._update(self.state, self.data)
                png = self.render()
                times.append(time.process_time() - start)
            self.first_redraw_seconds = min(times)
            if self.continuous_update is None:
                self.continuous_update = self.first_redraw_seconds < CONTINUOUS_BELOW_S
            for c in self.controls.values():
                if hasattr(c, "continuous_update"):
                    c.continuous_update = bool(self.continuous_update)
            # shown at its own pixel size (a flex box would otherwise stretch it to the width of
            # the output area, blurring it), narrower only on a narrow screen
            self._image = w.Image(value=png, format="png", layout=w.Layout(
                width=f"{png_width(png)}px", max_width="100%", height="auto"))
            self._text = w.Label(value=self.summary(self.data))
            self._text.add_class("course-summary")
        box = w.VBox([*self.controls.values(), self._image, self._text])
        box.add_class("course-widget")
        return box

    def _repr_mimebundle_(self, **kwargs):
        """The live view for JupyterLab, and a readable sentence as the text fallback."""
        bundle = self.widget()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):  # (data, metadata)
            bundle = bundle[0]
        bundle = dict(bundle or {})
        bundle["text/plain"] = WIDGET_TEXT
        return bundle
