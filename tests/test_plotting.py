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
    for key in ("font.size", "lines.linewidth", "lines.markersize"):
        assert big[key] > base[key], key
    monkeypatch.setenv("COURSE_PROJECTOR", "1")
    assert plotting.style_params() == big
    monkeypatch.setenv("COURSE_PROJECTOR", "0")
    assert plotting.style_params() == base


@pytest.mark.parametrize("projector", [False, True])
def test_font_size_is_the_only_absolute_text_size(projector):
    """Every other text size of the style is relative, so the switch reaches all of them."""
    params = plotting.style_params(projector)
    sizes = {k: v for k, v in params.items() if k.endswith(("size", "fontsize"))
             and k not in ("figure.figsize", "lines.markersize")}
    assert isinstance(params["font.size"], float)
    assert len(sizes) >= 7, sorted(sizes)
    assert all(isinstance(v, str) for k, v in sizes.items() if k != "font.size"), sizes


def _drawn_text_sizes(projector):
    with matplotlib.rc_context():
        plotting.use_style(projector=projector)
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1], label="a line")
        ax.set_title("title")
        ax.set_xlabel("x")
        legend = ax.legend()
        note = ax.text(0.5, 0.5, "note", fontsize="small")  # as notebooks and widgets write
        fig.suptitle("suptitle")
        fig.canvas.draw()
        sizes = {"title": ax.title.get_fontsize(), "label": ax.xaxis.label.get_fontsize(),
                 "tick": ax.get_xticklabels()[0].get_fontsize(),
                 "legend": legend.get_texts()[0].get_fontsize(),
                 "small text": note.get_fontsize(), "suptitle": fig._suptitle.get_fontsize()}
        plt.close(fig)
    return sizes


def test_projector_scales_every_text_of_a_figure_alike():
    base, big = _drawn_text_sizes(False), _drawn_text_sizes(True)
    ratio = plotting.PROJECTOR_FONT_SIZE / plotting.BASE_FONT_SIZE
    for key in base:
        assert big[key] == pytest.approx(ratio * base[key], rel=1e-6), key
    assert base["small text"] < base["label"] < base["title"]


def test_dense_inline_png_only_inside_a_kernel():
    assert plotting._use_dense_inline_png() is False  # plain Python: nothing to configure


@pytest.mark.slow
def test_notebook_figures_store_twice_the_pixels_of_their_display_size():
    """In a real kernel: the PNG has 2x the pixels of the display size in its metadata, and
    the figure's text repr (which nbval compares) still uses the screen dpi."""
    import base64
    import struct

    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\n"
        "from course_utils.plotting import use_style\n"
        "use_style(projector=False)\n"
        "fig, ax = plt.subplots(figsize=(6.0, 3.0))\n"
        "ax.plot([0, 1], [0, 1])\n"
        "plt.show()")]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (out,) = [o for o in nb.cells[0].outputs if "image/png" in o.get("data", {})]
    png = base64.b64decode(out["data"]["image/png"])
    width, height = struct.unpack(">II", png[16:24])
    shown = out["metadata"]["image/png"]
    assert plotting.PIXEL_DENSITY == 2
    assert abs(width - 2 * shown["width"]) <= 1 and abs(height - 2 * shown["height"]) <= 1
    # tight bounding box: a bit smaller than 6x3 inches at the screen dpi, never larger
    assert 0.6 * 6 * plotting.SCREEN_DPI < shown["width"] <= 6 * plotting.SCREEN_DPI
    assert out["data"]["text/plain"] == "<Figure size 480x240 with 1 Axes>"


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
