"""Chapter 8 widget: posterior sampling (exact against DPS) and guidance, on one 2-D mixture.

Model: three overlapping classes in D = 2, x ~ sum_k pi_k N(mu_k, Sigma_k) (``MODEL``), VP
schedule, DDIM with L = ``L_STEPS`` from the same ``N_POINTS`` starting points.

* Slider ``sigma_y``: the measurement y = x_1 + sigma_y w with y = ``Y_OBS``. The exact
  conditional denoiser (the posterior mixture's own denoiser) against DPS; the posterior
  weights against the fractions of samples per class.
* Slider ``gamma``: classifier-free guidance towards class 0, (1 - gamma) E[x|x_t] +
  gamma E[x|x_t, class 0], against exact draws of class 0.

``compute_inference_view(sigma_y, gamma)`` is pure (its sampler runs are cached per slider
value, so a move only looks them up) and tested over the whole slider grid; ``setup_view`` /
``update_view`` draw it in place; ``build_inference_widget`` wires the sliders;
``plot_inference_small_multiples`` is the static fallback.
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np

from .._validation import check_scalar
from ..denoisers import responsibilities
from ..inference import conditional_denoiser, dps_denoiser, guided_denoiser
from ..mixtures import GaussianMixture
from ..sampling import sample
from ..schedules import VP

SIGMA_Y_VALUES = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
GAMMA_VALUES = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 7.0)
SIGMA_Y_DEFAULT, GAMMA_DEFAULT = 0.1, 3.0
Y_OBS = 0.3  # the observed first coordinate
N_POINTS = 400
L_STEPS = 100
SEED = 0
CLASS = 0  # the class guidance asks for
T_LABEL = 0.02  # samples are labelled by the responsibilities at this small t
DIVERGED = 100.0  # a run whose largest |coordinate| exceeds this has blown up
EXTENT = 3.5


def _rotation(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s], [s, c]])


def model() -> GaussianMixture:
    """The 2-D three-class mixture of the widget (elongated, overlapping classes)."""
    means = np.array([[-1.2, -0.6], [1.2, -0.4], [0.2, 1.3]])
    covs = np.stack([_rotation(a) @ np.diag([0.5, 0.05]) @ _rotation(a).T
                     for a in (0.9, -0.6, 0.1)])
    return GaussianMixture([0.3, 0.3, 0.4], means, covs)


MODEL = model()
A_OBS = np.array([[1.0, 0.0]])


def _start():
    return np.random.default_rng(SEED).standard_normal((N_POINTS, 2))


def _labels(x):
    return responsibilities(MODEL, x, T_LABEL, VP()).argmax(axis=1)


@cache
def _posterior_runs(sigma_y):
    """Exact-DDIM and DPS-DDIM samples, direct posterior draws, posterior weights."""
    vp = VP()
    y = np.array([Y_OBS])
    post = MODEL.condition(A_OBS, y, sigma_y)
    g0 = _start()
    exact = sample(conditional_denoiser(MODEL, A_OBS, y, sigma_y, vp), vp, g0, L=L_STEPS)
    dps = sample(dps_denoiser(MODEL, A_OBS, y, sigma_y, vp), vp, g0, L=L_STEPS)
    direct = post.sample(N_POINTS, np.random.default_rng(SEED + 1))
    return post.weights.copy(), direct, exact, dps


@cache
def _guided_run(gamma):
    vp = VP()
    return sample(guided_denoiser(MODEL, CLASS, gamma, vp), vp, _start(), L=L_STEPS)


@lru_cache(maxsize=1)
def _class_draws():
    """Exact draws of the requested class (its component alone)."""
    rng = np.random.default_rng(SEED + 2)
    mu, V, lam = MODEL.components()[CLASS]
    return mu + (rng.standard_normal((N_POINTS, lam.size)) * np.sqrt(lam)) @ V.T


def _fractions(x):
    return np.bincount(_labels(x), minlength=MODEL.K) / x.shape[0]


def compute_inference_view(sigma_y, gamma):
    """Everything the chapter-8 widget shows for measurement noise ``sigma_y`` and guidance
    weight ``gamma`` (both from their slider grids or any positive / real value).

    Returns a dict: the samples ``exact`` / ``dps`` / ``direct`` (N_POINTS, 2) for the
    measurement x_1 = Y_OBS, ``post_weights`` and the class fractions ``frac_exact`` /
    ``frac_dps`` / ``frac_direct``, total variances, ``dps_diverged`` (True when DPS blew up;
    ``dps_shown`` is then clipped to the plot), the guided samples ``guided``, exact class
    draws ``class_draws``, the fraction of guided samples labelled as the class and their mean
    class probability, and their total variance.
    """
    sigma_y = check_scalar(sigma_y, "sigma_y", low=0, low_open=True)
    gamma = check_scalar(gamma, "gamma")
    weights, direct, exact, dps = _posterior_runs(float(sigma_y))
    guided = _guided_run(float(gamma))
    diverged = bool(np.abs(dps).max() > DIVERGED)
    r = responsibilities(MODEL, guided, T_LABEL, VP())
    cls = _class_draws()
    return {
        "sigma_y": float(sigma_y),
        "gamma": float(gamma),
        "y": Y_OBS,
        "means": MODEL.means,
        "post_weights": weights,
        "direct": direct,
        "exact": exact,
        "dps": dps,
        "dps_shown": np.clip(dps, -EXTENT, EXTENT),
        "dps_diverged": diverged,
        "frac_direct": _fractions(direct),
        "frac_exact": _fractions(exact),
        "frac_dps": np.full(MODEL.K, np.nan) if diverged else _fractions(dps),
        "var_direct": float(direct.var(axis=0).sum()),
        "var_exact": float(exact.var(axis=0).sum()),
        "var_dps": float("inf") if diverged else float(dps.var(axis=0).sum()),
        "guided": guided,
        "class_draws": cls,
        "class_fraction": float(np.mean(r.argmax(axis=1) == CLASS)),
        "class_prob": float(r[:, CLASS].mean()),
        "var_guided": float(guided.var(axis=0).sum()),
        "var_class": float(cls.var(axis=0).sum()),
    }


def _fmt(v):
    return "/".join(f"{x:.2f}" for x in v)


def summary(d) -> str:
    """One line of the numbers behind the figure (rounded, so it is stable)."""
    dps = ("DPS diverged" if d["dps_diverged"] else
           f"DPS {_fmt(d['frac_dps'])} (var {d['var_dps']:.3f})")
    return (f"sigma_y={d['sigma_y']:g}: posterior weights {_fmt(d['post_weights'])}, exact DDIM "
            f"{_fmt(d['frac_exact'])} (var {d['var_exact']:.3f}), {dps}; gamma={d['gamma']:g}: "
            f"class {CLASS} fraction {d['class_fraction']:.2f}, mean p(class|x) "
            f"{d['class_prob']:.2f}, var {d['var_guided']:.3f} (class law {d['var_class']:.3f})")


# ---- view -----------------------------------------------------------------------------------


def setup_view(fig, data):
    """Create the three panels once: posterior samples, class weights, guided samples."""
    from ..plotting import PALETTE, component_colors

    ax_p, ax_w, ax_g = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.0, 0.8, 1.0]})
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.15, top=0.86, wspace=0.3)
    band = ax_p.axvspan(Y_OBS - 2 * data["sigma_y"], Y_OBS + 2 * data["sigma_y"],
                        color=PALETTE["yellow"], alpha=0.3, lw=0, label=r"$y\pm2\sigma_y$")
    ex = ax_p.scatter(*data["exact"].T, s=5, color=PALETTE["blue"], alpha=0.6,
                      label="exact DDIM")
    dp = ax_p.scatter(*data["dps_shown"].T, s=5, color=PALETTE["vermillion"], alpha=0.6,
                      label="DPS")
    for ax in (ax_p, ax_g):
        ax.scatter(*data["means"].T, marker="+", s=60, color=PALETTE["black"], zorder=3)
        ax.set_xlim(-EXTENT, EXTENT)
        ax.set_ylim(-EXTENT, EXTENT)
        ax.set_aspect("equal")
        ax.set_xticks([-2, 0, 2])
        ax.set_yticks([-2, 0, 2])
        ax.set_xlabel("x1")
    ax_p.set_ylabel("x2")
    title_p = ax_p.set_title("")

    pos = np.arange(MODEL.K)
    colors = component_colors(3)
    bars = []
    for j, (key, lab) in enumerate((("post_weights", "posterior"), ("frac_exact", "exact DDIM"),
                                    ("frac_dps", "DPS"))):
        vals = np.nan_to_num(data[key])
        bars.append(ax_w.bar(pos + (j - 1) * 0.27, vals, width=0.27, color=colors[j], label=lab))
    ax_w.set_xticks(pos, [f"class {k}" for k in pos])
    ax_w.set_ylim(0, 1.05)
    ax_w.set_ylabel("weight / fraction of samples")
    ax_w.legend(fontsize="x-small", loc="upper left", handlelength=1.0)
    title_w = ax_w.set_title("")

    ax_g.scatter(*data["class_draws"].T, s=4, color=PALETTE["black"], alpha=0.15,
                 label=f"class {CLASS} (exact)")
    gd = ax_g.scatter(*data["guided"].T, s=5, color=PALETTE["green"], alpha=0.6, label="guided")
    title_g = ax_g.set_title("")
    state = dict(band=band, ex=ex, dp=dp, bars=bars, gd=gd, titles=(title_p, title_w, title_g))
    update_view(state, data)
    return state


def update_view(state, data):
    """Change the artists in place for new data (no new axes or figures)."""
    lo, hi = Y_OBS - 2 * data["sigma_y"], Y_OBS + 2 * data["sigma_y"]
    band = state["band"]
    if hasattr(band, "set_width"):  # matplotlib >= 3.9: a Rectangle
        band.set_x(lo)
        band.set_width(hi - lo)
    else:  # older: a Polygon
        band.set_xy([[lo, 0], [lo, 1], [hi, 1], [hi, 0], [lo, 0]])
    state["ex"].set_offsets(data["exact"])
    state["dp"].set_offsets(data["dps_shown"])
    for rects, key in zip(state["bars"], ("post_weights", "frac_exact", "frac_dps"), strict=True):
        for rect, v in zip(rects, np.nan_to_num(data[key]), strict=True):
            rect.set_height(v)
    state["gd"].set_offsets(data["guided"])
    tp, tw, tg = state["titles"]
    tp.set_text(f"blue exact, red DPS; sigma_y = {data['sigma_y']:g}"
                + (" (DPS diverged)" if data["dps_diverged"] else ""))
    tw.set_text(f"class weights given x1 = {Y_OBS:g}")
    tg.set_text(f"green guided to class {CLASS}, gamma = {data['gamma']:g}")


def build_inference_widget(sigma_y=SIGMA_Y_DEFAULT, gamma=GAMMA_DEFAULT):
    """Sliders sigma_y (measurement noise) and gamma (guidance weight)."""
    from ._core import InteractiveFigure, slider

    controls = {
        "sigma_y": slider("measurement noise sigma_y", SIGMA_Y_VALUES, sigma_y),
        "gamma": slider("guidance gamma", GAMMA_VALUES, gamma),
    }
    return InteractiveFigure(compute_inference_view, setup_view, update_view, controls, summary,
                             figsize=(10.5, 3.7))


WIDGETS = {"inference": build_inference_widget}


def plot_inference_small_multiples(sigmas=(0.05, 0.2, 1.0), gammas=(1.0, 3.0, 7.0)):
    """Static fallback: top row, exact and DPS samples at each sigma_y; bottom row, guided
    samples at each gamma. Returns the figure and one summary line per column."""
    import matplotlib.pyplot as plt

    from ..plotting import PALETTE

    n = len(sigmas)
    if len(gammas) != n:
        raise ValueError("sigmas and gammas must have the same length (one column each)")
    fig, axes = plt.subplots(2, n, figsize=(2.2 * n + 0.4, 3.7), sharex=True, sharey=True,
                             layout="constrained")
    axes = np.asarray(axes).reshape(2, n)
    lines = []
    for j, (sy, gm) in enumerate(zip(sigmas, gammas, strict=True)):
        d = compute_inference_view(sy, gm)
        lines.append(summary(d))
        ax = axes[0, j]
        ax.axvspan(Y_OBS - 2 * sy, Y_OBS + 2 * sy, color=PALETTE["yellow"], alpha=0.3, lw=0)
        ax.scatter(*d["exact"].T, s=3, color=PALETTE["blue"], alpha=0.5, label="exact")
        ax.scatter(*d["dps_shown"].T, s=3, color=PALETTE["vermillion"], alpha=0.7, label="DPS")
        ax.set_title(f"$\\sigma_y$ = {sy:g}" + (" (DPS diverged)" if d["dps_diverged"] else ""),
                     fontsize="small")
        ax = axes[1, j]
        ax.scatter(*d["class_draws"].T, s=3, color=PALETTE["black"], alpha=0.15,
                   label=f"class {CLASS}")
        ax.scatter(*d["guided"].T, s=3, color=PALETTE["green"], alpha=0.5, label="guided")
        ax.set_title(f"$\\gamma$ = {gm:g}", fontsize="small")
        for ax in axes[:, j]:
            ax.scatter(*d["means"].T, marker="+", s=40, color=PALETTE["black"])
            ax.set_xlim(-EXTENT, EXTENT)
            ax.set_ylim(-EXTENT, EXTENT)
            ax.set_aspect("equal")
        axes[1, j].set_xlabel("$x_1$")
    axes[0, 0].set_ylabel("$x_2$ (posterior)")
    axes[1, 0].set_ylabel("$x_2$ (guidance)")
    axes[0, 0].legend(fontsize="x-small", markerscale=2, loc="lower left")
    axes[1, 0].legend(fontsize="x-small", markerscale=2, loc="lower left")
    return fig, lines
