"""Chapter 2 widget: the noised density p_t, noisy samples x_t and Tweedie arrows x_t -> E[x|x_t].

``tweedie_field(t)`` is the pure compute function (numpy only), tested over ``T_VALUES``.
``build_tweedie()`` returns the ``InteractiveFigure``; ``plot_static()`` draws the small-multiples
fallback from the same compute function. The points are clean
samples of the 2-D mixture (``course_utils.diffusion.mixture_2d``) and ONE noise draw g shared by
every t, so as t moves each x_t = x + t g slides along its own ray (chapter 2, eq. 2).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..denoisers import posterior_mean, score_from_denoiser
from ..diffusion import density_grid, mixture_2d
from ..plotting import PALETTE, SEQUENTIAL_CMAP
from ._core import InteractiveFigure, slider

T_VALUES = (0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0)  # slider grid
T_DEFAULT = 2.0
STATIC_T = (0.5, 2.0, 5.0)  # small multiples of the static fallback (three readable panels)
N_POINTS = 30
SEED = 43
LIM = 8.0
GRID_N = 100
# Colour scale per panel: 0 .. 1.3 x the peak of p_t, so the darkest blue never hides the
# markers. A fixed scale cannot serve t = 0.1 (peak 0.13) and t = 10 (peak 0.0015) at once.
_VMAX_FACTOR = 1.3


@lru_cache(maxsize=8)
def _clean_and_noise(n: int, seed: int):
    """Clean samples x and one shared noise draw g (read-only arrays, cached per (n, seed))."""
    rng = np.random.default_rng(seed)
    x = mixture_2d().sample(n, rng)
    g = rng.standard_normal(x.shape)
    x.flags.writeable = False
    g.flags.writeable = False
    return x, g


@lru_cache(maxsize=1)
def _mixture():
    return mixture_2d()


def tweedie_field(t, n=N_POINTS, seed=SEED, lim=LIM, grid_n=GRID_N):
    """Everything the chapter 2 widget shows at noise level t > 0 (VE, x_t = x + t g).

    Returns a dict with the grid ``xs`` and ``density`` (p_t on it), the clean points ``x``,
    noisy points ``x_t``, Bayes denoised points ``denoised`` = E[x | x_t] (source eq. 8),
    ``arrows`` = denoised - x_t = t^2 * score (Tweedie, eq. 4), ``score``, and the summary numbers
    ``mean_moved`` (mean arrow length), ``mean_score_norm``, ``mse_denoised`` and ``mse_noisy``
    (mean squared distance to the clean x), ``peak`` (max of the density grid) and ``n_outside``
    (noisy points outside the plotted window).
    """
    t = float(t)
    if not np.isfinite(t) or t <= 0:
        raise ValueError(f"t must be a positive number, got {t}")
    gmm = _mixture()
    x, g = _clean_and_noise(int(n), int(seed))
    x_t = x + t * g
    den = posterior_mean(gmm, x_t, t)
    sc = score_from_denoiser(x_t, den, t)
    xs, dens = density_grid(gmm, t, lim, grid_n)
    arrows = den - x_t
    return {
        "t": t,
        "xs": xs,
        "lim": float(lim),
        "density": dens,
        "x": x,
        "x_t": x_t,
        "denoised": den,
        "arrows": arrows,
        "score": sc,
        "mean_moved": float(np.linalg.norm(arrows, axis=1).mean()),
        "mean_score_norm": float(np.linalg.norm(sc, axis=1).mean()),
        "mse_denoised": float(((den - x) ** 2).sum(axis=1).mean()),
        "mse_noisy": float(((x_t - x) ** 2).sum(axis=1).mean()),
        "peak": float(dens.max()),
        "n_outside": int(np.any(np.abs(x_t) > lim, axis=1).sum()),
    }


def summary(data) -> str:
    """One rounded line of the numbers behind a panel."""
    return (
        f"t = {data['t']:g}: moved {data['mean_moved']:.2f}, "
        f"|score| {data['mean_score_norm']:.3f}, "
        f"MSE denoised {data['mse_denoised']:.2f} (noisy {data['mse_noisy']:.2f}), "
        f"peak p_t {data['peak']:.4f}, {data['n_outside']}/{len(data['x'])} x_t off-window"
    )


def draw_panel(ax, data, legend=True):
    """Draw one panel (density heat map, clean/noisy/denoised points, arrows); return artists."""
    lim = data["lim"]
    img = ax.imshow(
        data["density"],
        origin="lower",
        extent=(-lim, lim, -lim, lim),
        cmap=SEQUENTIAL_CMAP,
        vmin=0.0,
        vmax=_VMAX_FACTOR * data["peak"],
        interpolation="nearest",
    )
    clean = ax.scatter(*data["x"].T, s=14, marker="x", color=PALETTE["black"], lw=0.8,
                       label="clean x", zorder=3)
    noisy = ax.scatter(*data["x_t"].T, s=16, color=PALETTE["vermillion"], label="noisy $x_t$",
                       zorder=4)
    den = ax.scatter(*data["denoised"].T, s=22, color=PALETTE["green"], edgecolor="white",
                     lw=0.5, label=r"$\bar x^*(t, x_t)$", zorder=5)
    arrows = ax.quiver(
        data["x_t"][:, 0], data["x_t"][:, 1], data["arrows"][:, 0], data["arrows"][:, 1],
        angles="xy", scale_units="xy", scale=1.0, width=0.006, headwidth=4.0, headlength=5.0,
        headaxislength=4.5, color=PALETTE["black"], alpha=0.8, zorder=6,
    )
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ticks = np.linspace(-lim, lim, 5)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_aspect("equal")
    ax.grid(False)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    title = ax.set_title(_title(data))
    if legend:
        ax.legend(loc="lower right", fontsize="x-small", framealpha=0.85)
    return {"ax": ax, "img": img, "clean": clean, "noisy": noisy, "den": den,
            "arrows": arrows, "title": title}


def _title(data):
    return f"t = {data['t']:g}   (peak density {data['peak']:.4f})"


def setup(fig, data):
    """Create the single axes of the widget and its artists (called once)."""
    ax = fig.add_subplot(1, 1, 1)
    state = draw_panel(ax, data)
    # fixed margins, not tight_layout: a layout engine makes every savefig draw the figure twice
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.1, top=0.93)
    return state


def update(state, data):
    """Move the artists to the new t in place (no new axes or figures)."""
    state["img"].set_array(data["density"])
    state["img"].set_clim(0.0, _VMAX_FACTOR * data["peak"])
    state["noisy"].set_offsets(data["x_t"])
    state["den"].set_offsets(data["denoised"])
    state["arrows"].set_offsets(data["x_t"])
    state["arrows"].set_UVC(data["arrows"][:, 0], data["arrows"][:, 1])
    state["title"].set_text(_title(data))


def build_tweedie(t=T_DEFAULT):
    """The chapter 2 widget: slider over ``T_VALUES``; returns an ``InteractiveFigure``."""
    return InteractiveFigure(
        compute=lambda t: tweedie_field(t),
        setup=setup,
        update=update,
        controls={"t": slider("noise level t", T_VALUES, t)},
        summary=summary,
        figsize=(5.6, 5.4),
    )


def plot_static(ts=STATIC_T):
    """Small-multiples fallback at the given t values (one row); returns (fig, summary lines)."""
    import matplotlib.pyplot as plt

    datas = [tweedie_field(t) for t in ts]
    fig, axes = plt.subplots(1, len(ts), figsize=(3.4 * len(ts), 3.7), squeeze=False,
                             layout="constrained")
    for j, (ax, data) in enumerate(zip(axes[0], datas, strict=True)):
        draw_panel(ax, data, legend=(j == 0))
        ax.set_title(f"t = {data['t']:g} (peak $p_t$ {data['peak']:.4f})", fontsize="small")
        if j > 0:
            ax.set_ylabel("")
    return fig, [summary(d) for d in datas]


WIDGETS = {"tweedie": build_tweedie}
