"""Chapter 5 widget: the VE sampler on the 3-D mixture of two lines and a plane.

Sliders: the number of steps L and the horizon T. The compute function runs the exact
sampler (``course_utils.sample`` with the Bayes-optimal denoiser) from a fixed draw of
N(0, T^2 I) and returns the samples and the quality numbers of chapter 5: mean distance to
the nearest subspace, fraction of samples per component and energy per direction (1 is
right, below 1 is under-dispersed). Numpy only here; matplotlib and ipywidgets are imported
inside the view functions.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..sampler_analysis import (
    component_fractions,
    direction_energy,
    lines_and_plane_mixture,
    subspace_distance,
)
from ..sampling import initial_noise, sample
from ..schedules import VE

L_VALUES = (1, 2, 5, 10, 20, 50, 100, 200, 500)
T_VALUES = (1, 2, 5, 10)
N_POINTS = 300  # an L=500 run is 500 denoiser calls on 300 points
NOISE_SEED = 5
DATA_SEED = 6
AXIS_LIMITS = ((-6.0, 6.0), (-6.0, 6.0), (-3.0, 3.0))  # the source's figure F4
COMPONENT_NAMES = ("line 1", "line 2", "plane")

_CACHE: dict = {}


def _component_colors():
    from ..plotting import PALETTE

    return [PALETTE["orange"], PALETTE["green"], PALETTE["purple"]]


def _setting():
    """The mixture, its bases/variances, a fixed data sample and a fixed N(0, I) draw."""
    if not _CACHE:
        gmm, bases, variances = lines_and_plane_mixture(4)
        data, labels = gmm.sample(N_POINTS, np.random.default_rng(DATA_SEED), return_labels=True)
        g = initial_noise(VE(1.0), N_POINTS, gmm.D, np.random.default_rng(NOISE_SEED))
        _CACHE.update(gmm=gmm, bases=bases, variances=variances, data=data, labels=labels, g=g)
    return _CACHE


@lru_cache(maxsize=len(L_VALUES) * len(T_VALUES))
def _run(L: int, T: float) -> np.ndarray:
    """The sampler's output for one slider setting, memoized: a revisited setting costs only
    the redraw. The array is made read-only so the cached value cannot be altered."""
    st = _setting()
    schedule = VE(T)
    out = sample(st["gmm"].denoiser(schedule), schedule, T * st["g"], L)
    out.flags.writeable = False
    return out


def sampler_quality(L: int, T: float) -> dict:
    """Run the VE sampler with L steps from N(0, T^2 I) and measure the samples (chapter 5).

    Returns ``samples`` (n, 3), ``start`` (n, 3), ``mean_distance`` and ``max_distance`` to the
    nearest subspace, ``fractions`` (3,) and ``energy`` (3,) (see ``direction_energy``), plus
    the same numbers for exact data samples as ``data_energy`` for reference.
    """
    if L not in L_VALUES:
        raise ValueError(f"L must be one of {L_VALUES}, got {L!r}")
    if T not in T_VALUES:
        raise ValueError(f"T must be one of {T_VALUES}, got {T!r}")
    st = _setting()
    start = float(T) * st["g"]
    out = _run(L, float(T))
    dist = subspace_distance(out, st["bases"])
    return {
        "L": L,
        "T": float(T),
        "samples": out,
        "start": start,
        "data": st["data"],
        "labels": st["labels"],
        "mean_distance": float(dist.mean()),
        "max_distance": float(dist.max()),
        "fractions": component_fractions(out, st["bases"]),
        "energy": direction_energy(out, st["bases"], st["variances"]),
    }


def summary_line(d: dict) -> str:
    fr = ", ".join(f"{v:.2f}" for v in d["fractions"])
    en = ", ".join("nan" if not np.isfinite(v) else f"{v:.2f}" for v in d["energy"])
    return (
        f"L={d['L']:>3}, T={d['T']:g}: mean distance to nearest subspace {d['mean_distance']:.3f}; "
        f"fractions [{fr}]; energy [{en}]"
    )


def _clip_polygon(poly, limits):
    """Clip a planar 3-D polygon (m, 3) to the box ``limits`` (Sutherland-Hodgman, one face
    of the box at a time). Returns the clipped vertices (possibly empty)."""
    pts = [np.asarray(p, dtype=float) for p in poly]
    for axis, (lo, hi) in enumerate(limits):
        for bound, sign in ((lo, 1.0), (hi, -1.0)):
            out = []
            for j, cur in enumerate(pts):
                prev = pts[j - 1]
                cur_in = sign * (cur[axis] - bound) >= 0
                prev_in = sign * (prev[axis] - bound) >= 0
                if cur_in != prev_in:
                    w = (bound - prev[axis]) / (cur[axis] - prev[axis])
                    out.append(prev + w * (cur - prev))
                if cur_in:
                    out.append(cur)
            pts = out
            if not pts:
                return np.zeros((0, 3))
    return np.array(pts)


def draw_support(ax, bases=None, variances=None, alpha=0.18, limits=AXIS_LIMITS):
    """Draw the mixture's support on a 3-D axes, clipped to the axis box ``limits``: each line
    as a segment of +-2.5 standard deviations, the plane as a translucent parallelogram of +-2
    standard deviations along its two principal directions (chapter 5's figures)."""
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    st = _setting()
    bases = st["bases"] if bases is None else bases
    variances = st["variances"] if variances is None else variances
    comp = _component_colors()
    arts = []
    for k, (u, v) in enumerate(zip(bases, variances, strict=True)):
        half = np.asarray(u) * np.sqrt(np.asarray(v, dtype=float))
        if half.shape[1] == 1:
            # a degenerate polygon (there and back) clips to the segment inside the box
            seg = _clip_polygon([-2.5 * half[:, 0], 2.5 * half[:, 0]], limits)
            if len(seg):
                arts.extend(ax.plot(seg[:, 0], seg[:, 1], seg[:, 2], color=comp[k], lw=1.5,
                                    alpha=0.8))
        else:
            a, b = 2.0 * half[:, 0], 2.0 * half[:, 1]
            quad = _clip_polygon([a + b, a - b, -a - b, -a + b], limits)
            if len(quad) >= 3:
                patch = Poly3DCollection([quad], facecolor=comp[k], edgecolor=comp[k],
                                         alpha=alpha)
                arts.append(ax.add_collection3d(patch))
    return arts


def setup_view(fig, d):
    """One 3-D scatter of data (by component) and samples; the numbers go in the title.

    (A bar panel of fractions and energies doubled the render time, mostly text drawing, so
    the numbers are in the title and the summary line instead.)
    """
    from matplotlib.colors import to_rgba_array

    from ..plotting import PALETTE

    comp = _component_colors()
    ax = fig.add_subplot(1, 1, 1, projection="3d")
    data = d["data"]
    rgba = to_rgba_array(comp)[d["labels"]]
    rgba[:, 3] = 0.35
    # depthshade off: the colours stay those of the legend and each render is cheaper
    for k, name in enumerate(COMPONENT_NAMES):
        ax.scatter([], [], [], s=6, color=comp[k], label=f"data: {name}")
    ax.scatter(data[:, 0], data[:, 1], data[:, 2], s=3, c=rgba, depthshade=False,
               axlim_clip=True)
    draw_support(ax)
    x = d["samples"]
    sc = ax.scatter(x[:, 0], x[:, 1], x[:, 2], s=5, color=PALETTE["blue"], depthshade=False,
                    axlim_clip=True, label="samples")
    ax.set(xlim=AXIS_LIMITS[0], ylim=AXIS_LIMITS[1], zlim=AXIS_LIMITS[2],
           xlabel="x", ylabel="y", zlabel="z")
    # few tick labels: text drawing is most of the render time of a 3-D axes
    ax.set_xticks([-6, 0, 6])
    ax.set_yticks([-6, 0, 6])
    ax.set_zticks([-3, 0, 3])
    ax.view_init(elev=30, azim=30)
    ax.legend(loc="upper left", fontsize="x-small")
    title = ax.set_title("", fontsize="small")
    # fixed margins: tight_layout would re-run on every render and cost ~20 ms per move
    fig.subplots_adjust(left=0.0, right=0.95, bottom=0.04, top=0.84)
    state = {"scatter": sc, "title": title}
    update_view(state, d)
    return state


def update_view(state, d):
    x = d["samples"]
    sc = state["scatter"]
    sc.set_offsets(x[:, :2])
    sc.set_3d_properties(x[:, 2], "z", axlim_clip=True)
    fr = "/".join(f"{v:.2f}" for v in d["fractions"])
    en = "/".join("-" if not np.isfinite(v) else f"{v:.2f}" for v in d["energy"])
    state["title"].set_text(
        f"VE sampler, T={d['T']:g}, L={d['L']}: mean distance to support "
        f"{d['mean_distance']:.3f}\nfractions {fr} (target 1/3 each)\n"
        f"energy {en} (target 1 each)"
    )


def precompute():
    """Run the sampler once for every slider setting (36 runs, 3552 denoiser calls on 300
    points), so that a slider move only redraws."""
    for L in L_VALUES:
        for T in T_VALUES:
            _run(L, float(T))


def build_sampler_widget(L: int = 20, T: float = 5, warm: bool = True):
    """The chapter 5 widget: sliders L and T over ``L_VALUES`` and ``T_VALUES``.

    With ``warm`` (default) every setting is computed up front (``precompute``): a cold move
    to L = 500 costs 500 denoiser calls before the drawing; with the runs stored a move is a
    redraw only.
    """
    from ._core import InteractiveFigure, slider

    if warm:
        precompute()

    controls = {
        "L": slider("steps L", L_VALUES, L),
        "T": slider("horizon T", T_VALUES, T),
    }
    return InteractiveFigure(
        sampler_quality, setup_view, update_view, controls, summary_line, figsize=(5.6, 4.6)
    )


WIDGETS = {"sampler": build_sampler_widget}
