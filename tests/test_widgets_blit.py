"""Blitting in the shared widget view (course_utils/widgets/_core.py): a slider move that keeps
the axes repaints only the data over a cached background. These tests hold it to the pixels of
a full draw, for every widget of every chapter, over its slider grid in two orders, and check
that a change of limits, ticks or labels is never served a stale background."""

from __future__ import annotations

import importlib
import io
import itertools
import pkgutil

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from PIL import Image  # noqa: E402

import course_utils.widgets as widgets_pkg  # noqa: E402
from course_utils.plotting import use_style  # noqa: E402
from course_utils.widgets._core import (  # noqa: E402
    InteractiveFigure,
    render_png,
    slider,
)

# A blitted frame may differ from a full draw only where a data artist below the axis
# (zorder < 0.5, e.g. an image) meets a tick mark on the spine: a few pixels at most.
MAX_DIFFERING_FRACTION = 1e-4


def _builders():
    out = []
    for info in pkgutil.iter_modules(widgets_pkg.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"course_utils.widgets.{info.name}")
        out.extend((f"{info.name}.{name}", b) for name, b in getattr(mod, "WIDGETS", {}).items())
    return out


BUILDERS = _builders()


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png))).astype(int)


def _grid(fig):
    return {k: [v for _, v in c.options] if isinstance(c.options[0], tuple) else list(c.options)
            for k, c in fig.controls.items()}


def test_every_chapter_widget_is_checked():
    assert len(BUILDERS) >= 8


@pytest.mark.parametrize("name,builder", BUILDERS, ids=[n for n, _ in BUILDERS])
def test_blitted_frames_equal_full_draws_over_the_slider_grid(name, builder):
    use_style()
    fig = builder()
    fig.widget()
    grid = _grid(fig)
    combos = list(itertools.product(*grid.values()))
    rng = np.random.default_rng(0)
    order = combos[:20] + [combos[i] for i in rng.permutation(len(combos))[:20]]
    for combo in order:
        fig.redraw(**dict(zip(grid, combo, strict=True)))
        blit = _pixels(fig._image.value)
        full = _pixels(render_png(fig.fig))
        assert blit.shape == full.shape
        differing = np.abs(blit - full).max(axis=-1) > 0
        assert differing.mean() <= MAX_DIFFERING_FRACTION, (
            f"{name} at {dict(zip(grid, combo, strict=True))}: {differing.sum()} pixels differ "
            "from a full draw")


def _toy(update_limits):
    """A one-axes widget whose update moves a line and, optionally, the y-limits."""

    def compute(a):
        x = np.linspace(0, 1, 50)
        return {"a": a, "x": x, "y": a * x}

    def setup(fig, data):
        ax = fig.subplots()
        (line,) = ax.plot(data["x"], data["y"])
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        return {"ax": ax, "line": line}

    def update(state, data):
        state["line"].set_data(data["x"], data["y"])
        if update_limits:
            state["ax"].set_ylim(0, max(1.0, 2 * data["a"]))

    return InteractiveFigure(compute, setup, update, {"a": slider("a", [0.25, 0.5, 2.0, 4.0])},
                             lambda d: f"a = {d['a']}", figsize=(3, 2))


def test_background_is_reused_when_the_axes_stay_and_redrawn_when_they_change():
    use_style()
    fixed = _toy(update_limits=False)
    fixed.widget()
    key = fixed._background_key
    fixed.redraw(a=0.5)
    assert fixed._background_key == key  # same axes: the cached background serves
    moving = _toy(update_limits=True)
    moving.widget()
    for a in (4.0, 0.25, 2.0):  # from the initial a = 2.0 (limits 0..4): 0..8, 0..1, 0..4
        before = moving._background_key
        moving.redraw(a=a)
        assert moving._background_key != before  # new limits: a new background
        assert np.array_equal(_pixels(moving._image.value), _pixels(render_png(moving.fig)))


def test_a_stale_background_would_be_caught(monkeypatch):
    """The equality check above can fail: if the key missed a change of limits, the old
    background would be served and the frame would no longer match a full draw."""
    from course_utils.widgets import _core

    use_style()
    w = _toy(update_limits=False)
    w.widget()
    old_key = w._background_key
    w.state["ax"].set_ylim(0, 20.0)  # the axes change behind the key's back
    monkeypatch.setattr(_core, "_background_key", lambda fig: old_key)
    stale = _pixels(w.render())
    monkeypatch.undo()
    assert not np.array_equal(stale, _pixels(render_png(w.fig)))
    assert np.array_equal(_pixels(w.render()), _pixels(render_png(w.fig)))  # real key: right


def test_three_d_axes_are_always_drawn_in_full():
    use_style()

    def setup(fig, data):
        ax = fig.add_subplot(projection="3d")
        return {"pts": ax.scatter([0, data["a"]], [0, 1], [0, 1])}

    w = InteractiveFigure(lambda a: {"a": a}, setup, lambda s, d: None,
                          {"a": slider("a", [0.0, 1.0])}, lambda d: "", figsize=(3, 3))
    assert w.blit is False
