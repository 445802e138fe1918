"""Chapter 1 widget: the entropy of x_t = x + t g for data of intrinsic dimension P in D dims.

``entropy_profile(t, P)`` is the pure compute function (numpy only): x ~ N(0, Sigma) in
D = 8 dimensions with P non-zero eigenvalues 4, 2, 1, 1/2, ... and D - P zero ones. It returns
the curve h(x_t) against t (closed form), the value, slope and "noise-dominated dimension count"
t dh/dt at the slider's t, the per-direction entropies 1/2 log(2 pi e (lambda_i + t^2)) whose sum
is h(x_t), and the coding rate R_eps at eps = t sqrt(D), which is the gap between h(x_t) and the
entropy of the noise t g alone (chapter 1, section 6).

``build_entropy_widget()`` wires it to sliders for t and P (matplotlib imported on use).
"""

from __future__ import annotations

import numpy as np

from ..entropy import gaussian_entropy_t, gaussian_entropy_t_derivative

D_WIDGET = 8
T_VALUES = tuple(float(v) for v in np.round(np.logspace(-2, 1, 31), 4))
P_VALUES = tuple(range(D_WIDGET + 1))
T_DEFAULT = float(T_VALUES[10])  # 0.1
P_DEFAULT = 2
T_GRID = np.logspace(-2.5, 1.5, 161)  # the curve's t axis (covers the slider range)

_HALF_LOG_2PIE = 0.5 * np.log(2.0 * np.pi * np.e)


def spectrum(P: int, D: int = D_WIDGET) -> np.ndarray:
    """Eigenvalues of the data covariance: 4, 2, 1, 1/2, ... for the first P, then zeros."""
    if isinstance(P, bool) or not isinstance(P, (int, np.integer)) or not 0 <= P <= D:
        raise ValueError(f"P must be an integer in [0, {D}], got {P!r}")
    lam = np.zeros(D)
    lam[:P] = 4.0 * 0.5 ** np.arange(P)
    return lam


def entropy_profile(t: float, P: int) -> dict:
    """Everything the widget shows for noise level ``t`` > 0 and intrinsic dimension ``P``.

    All entropies in nats (chapter 1: h(x_t) of a Gaussian, section 5; coding rate, section 6).
    """
    t = float(t)
    if not np.isfinite(t) or t <= 0:
        raise ValueError(f"t must be > 0, got {t}")
    lam = spectrum(P)
    d = lam.size
    h = gaussian_entropy_t(lam, t)
    dh = gaussian_entropy_t_derivative(lam, t)
    per_dir = _HALF_LOG_2PIE + 0.5 * np.log(lam + t * t)
    noise_level = _HALF_LOG_2PIE + np.log(t)  # entropy of one coordinate of t g
    h_noise = d * noise_level
    return {
        "t": t,
        "P": int(P),
        "D": d,
        "eigenvalues": lam,
        "t_grid": T_GRID,
        "h_curve": gaussian_entropy_t(lam, T_GRID),
        "h_noise_curve": d * (_HALF_LOG_2PIE + np.log(T_GRID)),
        "h": h,
        "dh_dt": dh,
        "eff_dim": t * dh,  # = sum_i t^2 / (lambda_i + t^2): directions swamped by noise
        "per_direction": per_dir,
        "noise_level": noise_level,
        "h_noise": h_noise,
        "rate": h - h_noise,  # R_eps(eps = t sqrt(D)) in nats
        "eps": t * np.sqrt(d),
    }


def summary(data: dict) -> str:
    return (
        f"P={data['P']}, t={data['t']:g}: h(x_t)={data['h']:.3f} nats, "
        f"dh/dt={data['dh_dt']:.3f}, t*dh/dt={data['eff_dim']:.2f} (-> D-P={data['D'] - data['P']}"
        f" as t->0), R_eps(eps={data['eps']:.3g})={data['rate']:.3f} nats"
    )


def _limits():
    lo = entropy_profile(T_GRID[0], 0)["h_curve"].min()
    hi = entropy_profile(T_GRID[0], D_WIDGET)["h_curve"].max()
    per_lo = _HALF_LOG_2PIE + np.log(T_VALUES[0])
    per_hi = _HALF_LOG_2PIE + 0.5 * np.log(4.0 + T_VALUES[-1] ** 2)
    return (lo - 2.0, hi + 2.0), (per_lo - 0.5, per_hi + 0.5)


def setup_view(fig, data):
    """Two panels: h(x_t) against t with the slider's point and tangent; per-direction bars."""
    from matplotlib.ticker import NullLocator

    from ..plotting import PALETTE

    (ylo, yhi), (plo, phi) = _limits()
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1.0]})
    (curve,) = ax1.plot([], [], color=PALETTE["blue"], label=r"$h(x_t)$, data + noise")
    (noise,) = ax1.plot(
        data["t_grid"],
        data["h_noise_curve"],
        "--",
        color=PALETTE["black"],
        lw=1.0,
        label=r"$h(t g)$, noise alone",
    )
    (tangent,) = ax1.plot([], [], color=PALETTE["vermillion"], lw=2.2, label="slope t dh/dt")
    (gap,) = ax1.plot(
        [],
        [],
        ":",
        color=PALETTE["green"],
        lw=3.0,
        label=r"gap $=R_\epsilon$, $\epsilon=t\sqrt{D}$",
    )
    (point,) = ax1.plot([], [], "o", color=PALETTE["vermillion"], ms=7)
    ax1.set_xscale("log")
    ax1.xaxis.set_minor_locator(NullLocator())  # fewer tick artists: faster redraws
    ax1.set_xlim(T_GRID[0], T_GRID[-1])
    ax1.set_ylim(ylo, yhi)
    ax1.set_xlabel("noise level t (log scale)")
    ax1.set_ylabel("differential entropy (nats)")
    ax1.legend(loc="lower right")
    idx = np.arange(1, data["D"] + 1)
    bars = ax2.bar(idx, np.zeros(data["D"]), color=PALETTE["blue"])
    level = ax2.axhline(0.0, color=PALETTE["black"], ls="--", lw=1.0, label="noise alone")
    ax2.set_ylim(plo, phi)
    ax2.set_xticks(idx)
    ax2.set_xlabel("eigen-direction i")
    ax2.set_ylabel(r"$\frac{1}{2}\log(2\pi e(\lambda_i+t^2))$ (nats)")
    ax2.legend(loc="upper right")
    state = {
        "ax1": ax1,
        "ax2": ax2,
        "curve": curve,
        "tangent": tangent,
        "gap": gap,
        "point": point,
        "bars": bars,
        "level": level,
        "noise": noise,
    }
    update_view(state, data)
    if getattr(fig, "get_layout_engine", lambda: None)() is None:
        # Fixed margins rather than tight_layout: tight_layout leaves a layout engine behind,
        # and with any engine every savefig draws the figure twice (doubling a redraw's cost).
        fig.subplots_adjust(left=0.075, right=0.985, bottom=0.14, top=0.9, wspace=0.28)
    return state


def update_view(state, data):
    from ..plotting import PALETTE

    t, h, slope = data["t"], data["h"], data["eff_dim"]
    state["curve"].set_data(data["t_grid"], data["h_curve"])
    s = t * np.array([1 / 4, 4])
    state["tangent"].set_data(s, h + slope * np.log(s / t))
    state["gap"].set_data([t, t], [data["h_noise"], h])
    state["point"].set_data([t], [h])
    state["ax1"].set_title(f"P={data['P']} of D={data['D']}: h(x_t)={h:.2f}, t dh/dt={slope:.2f}")
    for i, (bar, v) in enumerate(zip(state["bars"], data["per_direction"], strict=True)):
        bar.set_height(v - state["ax2"].get_ylim()[0])
        bar.set_y(state["ax2"].get_ylim()[0])
        bar.set_color(PALETTE["blue"] if data["eigenvalues"][i] > 0 else PALETTE["orange"])
    state["level"].set_ydata([data["noise_level"], data["noise_level"]])
    state["ax2"].set_title(f"t={t:g}: per direction (orange: $\\lambda_i=0$)")


STATIC_SETTINGS = ((0.03, 2), (0.3, 2), (0.03, 5))


def plot_small_multiples(settings=STATIC_SETTINGS):
    """The static fallback, in one row: h(x_t) against t for every P among ``settings``
    (with the point and tangent of each setting), then the per-direction entropies of each
    setting as bars (orange: the empty directions, lambda_i = 0).

    Returns (figure, list of one-line summaries), both from ``entropy_profile``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator

    from ..plotting import PALETTE

    settings = list(settings)
    n = len(settings)
    fig, axes = plt.subplots(1, n + 1, figsize=(2.6 * n + 3.6, 3.5), layout="constrained",
                             gridspec_kw={"width_ratios": [1.7] + [1.0] * n})
    (ylo, yhi), (plo, phi) = _limits()
    ps = sorted({P for _, P in settings})
    palette = [PALETTE[c] for c in ("green", "purple", "sky", "black")]  # not the bar colours
    colors = {P: palette[k % len(palette)] for k, P in enumerate(ps)}
    ax1 = axes[0]
    lines = []
    for P in ps:
        d = entropy_profile(settings[0][0], P)
        ax1.plot(d["t_grid"], d["h_curve"], color=colors[P], label=f"$h(x_t)$, P = {P}")
    ax1.plot(T_GRID, D_WIDGET * (_HALF_LOG_2PIE + np.log(T_GRID)), "--", color=PALETTE["black"],
             lw=1.0, label="$h(tg)$, noise alone")
    for j, (t, P) in enumerate(settings):
        d = entropy_profile(t, P)
        lines.append(summary(d))
        s = t * np.array([1 / 4, 4])
        ax1.plot(s, d["h"] + d["eff_dim"] * np.log(s / t), color=PALETTE["vermillion"], lw=2.0)
        ax1.plot([t], [d["h"]], "o", color=PALETTE["vermillion"], ms=6)
        ax1.annotate(f"{j + 1}", (t, d["h"]), textcoords="offset points", xytext=(-12, 4),
                     fontsize="small", color=PALETTE["vermillion"])
        ax = axes[j + 1]
        idx = np.arange(1, d["D"] + 1)
        cols = [PALETTE["blue"] if lam > 0 else PALETTE["orange"] for lam in d["eigenvalues"]]
        ax.bar(idx, d["per_direction"] - plo, bottom=plo, color=cols)
        ax.axhline(d["noise_level"], color=PALETTE["black"], ls="--", lw=1.0)
        ax.set_ylim(plo, phi)
        ax.set_xticks(idx[::2])
        ax.set_xlabel("eigen-direction i")
        ax.set_title(f"{j + 1}: t = {t:g}, P = {P}", fontsize="small")
        if j == 0:
            ax.set_ylabel(r"$\frac{1}{2}\log(2\pi e(\lambda_i+t^2))$ (nats)")
    ax1.set_xscale("log")
    ax1.xaxis.set_minor_locator(NullLocator())
    ax1.set_xlim(T_GRID[0], T_GRID[-1])
    ax1.set_ylim(ylo, yhi)
    ax1.set_xlabel("noise level t (log scale)")
    ax1.set_ylabel("entropy (nats)")
    ax1.set_title("slope $t\\,dh/dt$ at the points")
    ax1.legend(loc="lower right", fontsize="x-small")
    return fig, lines


def build_entropy_widget(t=T_DEFAULT, P=P_DEFAULT):
    """Sliders t and P over ``T_VALUES`` x ``P_VALUES``; one figure updated in place."""
    from ._core import InteractiveFigure, slider

    controls = {
        "t": slider("noise level t", T_VALUES, t),
        "P": slider("intrinsic dimension P", P_VALUES, P),
    }
    return InteractiveFigure(
        entropy_profile, setup_view, update_view, controls, summary, figsize=(9.5, 3.8)
    )


WIDGETS = {"entropy_profile": build_entropy_widget}
