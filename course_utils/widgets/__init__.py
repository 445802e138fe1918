"""Interactive figures: pure compute functions (tested over their slider grids) + thin views.

Compute functions import only numpy; the views import matplotlib and ipywidgets when they
are built, so importing ``course_utils`` stays light.
"""

from ._core import InteractiveFigure, render_png, slider, toggle

__all__ = ["InteractiveFigure", "render_png", "slider", "toggle"]
