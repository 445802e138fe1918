"""One figure style for every chapter, with a projector switch for lectures.

``use_style()`` is called once at the top of each notebook. ``use_style(projector=True)``
(or the environment variable ``COURSE_PROJECTOR=1``) makes fonts and lines large enough to
read from the back of a lecture hall. Colours are the Okabe-Ito palette, which stays
distinguishable under the common forms of colour blindness.
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

_BASE = {
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "figure.figsize": (7.0, 4.0),
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "lines.linewidth": 1.6,
    "lines.markersize": 5,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.cmap": SEQUENTIAL_CMAP,
}
_PROJECTOR = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.figsize": (10.0, 5.6),
    "font.size": 16,
    "axes.titlesize": 18,
    "axes.labelsize": 16,
    "legend.fontsize": 14,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
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
    """Apply the course style to matplotlib; ``projector=True`` for lecture-hall sizes."""
    import matplotlib as mpl

    params = style_params(projector)
    mpl.rcParams.update(params)
    return params


def component_colors(k: int) -> list[str]:
    """``k`` distinguishable colours for mixture components (cycled past 7)."""
    return [CYCLE[i % len(CYCLE)] for i in range(k)]
