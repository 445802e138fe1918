"""One figure style for every chapter, with a projector switch for lectures.

``use_style()`` is called once at the top of each notebook. ``use_style(projector=True)``
(or the environment variable ``COURSE_PROJECTOR=1``) makes fonts and lines large enough to
read from the back of a lecture hall. Colours are the Okabe-Ito palette, which stays
distinguishable under the common forms of colour blindness.

Font sizes: the style sets one absolute size, ``font.size``; every other text size (titles,
axis labels, ticks, legends) is relative ("large", "medium", "small"), and so is any size a
notebook or widget passes (``fontsize="small"``). The projector switch changes ``font.size``
only, so every text in every figure grows with it.

Sharpness: figures keep their on-screen size (``figure.dpi`` CSS pixels per inch), but in a
notebook the PNG is stored with twice as many pixels per side (the inline backend's "retina"
format, with the display size in the output's width/height metadata). On a 2x (HiDPI) screen
at 100% zoom, or a slide enlarged 1.5x on a 1080p projector, no pixel is stretched.
"""

from __future__ import annotations

import os

# Okabe & Ito (2008), "Color Universal Design".
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
CYCLE = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow")]
SEQUENTIAL_CMAP = "Blues"  # density heat maps (the source's F2/F3 use Blues)
DIVERGING_CMAP = "PuOr"

# Pixels per inch of a figure on screen. The text repr of a figure ("<Figure size 480x256
# with 1 Axes>"), which the notebooks store and nbval compares, depends on it.
SCREEN_DPI = 80
# Stored pixels per displayed pixel of a notebook figure (see the module docstring).
PIXEL_DENSITY = 2
BASE_FONT_SIZE = 10.0
PROJECTOR_FONT_SIZE = 16.0

_BASE = {
    "figure.dpi": SCREEN_DPI,
    # savefig at screen density: the widget views render their PNGs with savefig
    "savefig.dpi": SCREEN_DPI,
    "figure.figsize": (7.0, 4.0),
    "font.size": BASE_FONT_SIZE,
    # every other size relative to font.size (matplotlib: small = 0.833, large = 1.2)
    "axes.titlesize": "large",
    "axes.labelsize": "medium",
    "xtick.labelsize": "medium",
    "ytick.labelsize": "medium",
    "legend.fontsize": "small",
    "legend.title_fontsize": "medium",
    "figure.titlesize": "large",
    "lines.linewidth": 1.6,
    "lines.markersize": 5,
    "axes.grid": True,
    # grid and ticks under the data (zorder 0.5): also what lets a widget cache its axes as a
    # background and paint only the data on top, pixel for pixel like a full draw
    "axes.axisbelow": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.cmap": SEQUENTIAL_CMAP,
}
_PROJECTOR = {
    "font.size": PROJECTOR_FONT_SIZE,
    "lines.linewidth": 3.0,
    "lines.markersize": 9,
}


def style_params(projector: bool | None = None) -> dict:
    """The rcParams of the course style (pure: returns a dict, changes nothing)."""
    if projector is None:
        projector = os.environ.get("COURSE_PROJECTOR", "0") not in ("", "0", "false", "no")
    params = dict(_BASE)
    if projector:
        params.update(_PROJECTOR)
    from cycler import cycler

    params["axes.prop_cycle"] = cycler(color=CYCLE)
    return params


def use_style(projector: bool | None = None) -> dict:
    """Apply the course style to matplotlib; ``projector=True`` for lecture-hall sizes.

    In a Jupyter kernel it also switches the inline backend to high-density PNGs
    (``PIXEL_DENSITY`` stored pixels per displayed pixel, see the module docstring).
    """
    import matplotlib as mpl

    params = style_params(projector)
    mpl.rcParams.update(params)
    _use_dense_inline_png()
    return params


def _use_dense_inline_png() -> bool:
    """Inside a Jupyter kernel, store inline figures as "retina" PNGs; True if it did."""
    import sys

    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return False
    from matplotlib_inline.config import InlineBackend

    # setting the trait re-registers the figure formatters (print_figure_kwargs kept)
    InlineBackend.instance(parent=shell).figure_formats = {"retina"}
    return True


def component_colors(k: int) -> list[str]:
    """``k`` distinguishable colours for mixture components (cycled past 7)."""
    return [CYCLE[i % len(CYCLE)] for i in range(k)]
