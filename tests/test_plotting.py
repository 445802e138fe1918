"""The course style (course_utils.plotting) and the shared widget view (widgets/_core.py)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import plotting  # noqa: E402
from course_utils.widgets import InteractiveFigure, slider, toggle  # noqa: E402


def test_projector_switch_enlarges_fonts_and_lines(monkeypatch):
    monkeypatch.delenv("COURSE_PROJECTOR", raising=False)
    base = plotting.style_params()
    big = plotting.style_params(projector=True)
    for key in ("font.size", "axes.titlesize", "lines.linewidth", "lines.markersize"):
        assert big[key] > base[key], key
    monkeypatch.setenv("COURSE_PROJECTOR", "1")
    assert plotting.style_params() == big
    monkeypatch.setenv("COURSE_PROJECTOR", "0")
    assert plotting.style_params() == base


def test_use_style_applies_the_palette():
    with matplotlib.rc_context():
        plotting.use_style(projector=False)
        colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
        assert [c.lower() for c in colors] == [c.lower() for c in plotting.CYCLE]
    assert plotting.component_colors(9)[7] == plotting.CYCLE[0]
    assert len(set(plotting.CYCLE)) == len(plotting.CYCLE)


def _demo():
    def compute(a, kind):
        x = np.linspace(0, 1, 50)
        return {"x": x, "y": a * x if kind == "line" else a * x**2}

    def setup(fig, data):
        ax = fig.add_subplot()
        (line,) = ax.plot(data["x"], data["y"])
        ax.set_ylim(0, 3)
        fig.tight_layout()
        return line

    def update(line, data):
        line.set_ydata(data["y"])

    controls = {"a": slider("a", [1.0, 2.0, 3.0], 1.0), "kind": toggle("kind", ["line", "square"])}
    return InteractiveFigure(compute, setup, update, controls,
                             lambda d: f"max y = {d['y'].max():.2f}")


def test_interactive_figure_redraws_in_place():
    fig = _demo()
    box = fig.widget()
    assert isinstance(box, ipywidgets.VBox)
    n_figs = len(plt.get_fignums())
    axes = list(fig.fig.axes)
    png_before = fig._image.value
    assert fig.redraw(a=3.0) == "max y = 3.00"
    assert fig._image.value != png_before  # the displayed PNG changed
    assert fig._text.value == "max y = 3.00"
    fig.controls["kind"].value = "square"  # a control change triggers a redraw
    assert fig._text.value.startswith("max y = 1.00")
    assert fig.fig.axes == axes and len(plt.get_fignums()) == n_figs  # no new axes or figures
    assert fig.fig.get_layout_engine() is None  # laid out once, then frozen
    assert len(fig.callback_seconds) == 2


def test_slider_rejects_a_value_off_its_grid():
    with pytest.raises(ValueError, match="value must be one of"):
        slider("t", [0.1, 0.2], 0.3)
