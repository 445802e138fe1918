"""Chapter 3 widget: the Gaussian-mixture denoiser as a field, its contraction factors, and
its weights as an attention map.

Model (chapter 3, eq. 13 simplified): x ~ (1/K) sum_k N(0, u_k u_k^T) in D = 2, with K unit
vectors u_k at equal angles, i.e. K lines through the origin. Its VE denoiser is

    xbar*(t, x_t) = 1/(1 + t^2) sum_k softmax_k(<u_k, x_t>^2 / (2 t^2 (1 + t^2))) u_k u_k^T x_t.

``compute_gmm_field(t, K)`` is pure numpy (tested over the whole slider grid); ``setup_view`` /
``update_view`` draw it into one figure that is updated in place; ``build_gmm_widget`` wires
the sliders; ``plot_gmm_small_multiples`` is the static fallback for a saved notebook.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_scalar
from ..denoisers import attention_denoiser, attention_weights
from ..linear import eigen_contraction_factors
from ._core import unit_lines

T_VALUES = (0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
K_VALUES = (1, 2, 3, 4, 5, 6)
T_DEFAULT, K_DEFAULT = 0.5, 3
EXTENT = 3.0  # the field is drawn on [-EXTENT, EXTENT]^2
GRID_N = 11  # arrows per side
N_PROBES = 90  # directions of the attention map (angles in [0, 180) degrees)
PROBE_RADIUS = 2.0
FIRST_ANGLE = np.pi / 8  # angle of line 1; line k sits at FIRST_ANGLE + pi k / K
SPECTRUM = (4.0, 1.0, 0.25, 0.0625, 0.0)  # single-Gaussian eigenvalues for the factor bars


def line_angles(K):
    """Angles (radians, in [0, pi)) of the K lines: pi/8 + pi k / K."""
    K = check_scalar(K, "K", low=1, integer=True)
    return np.mod(FIRST_ANGLE + np.pi * np.arange(K) / K, np.pi)


def line_bases(K):
    """The K orthonormal bases u_k (2, 1) of the lines, as a list (for attention_* calls)."""
    return unit_lines(line_angles(K))


def _grid():
    g = np.linspace(-EXTENT, EXTENT, GRID_N)
    gx, gy = np.meshgrid(g, g)
    return np.column_stack([gx.ravel(), gy.ravel()])


def _probes():
    phi = np.pi * np.arange(N_PROBES) / N_PROBES
    return phi, PROBE_RADIUS * np.column_stack([np.cos(phi), np.sin(phi)])


def compute_gmm_field(t, K):
    """Everything the chapter-3 widget shows, for noise level ``t`` and ``K`` lines.

    Returns a dict with the grid points ``x`` (GRID_N^2, 2), the denoised points ``xbar`` and
    arrows ``arrows = xbar - x``, the winning component per grid point, the attention weights
    ``probe_weights`` (N_PROBES, K) of points at radius PROBE_RADIUS and angle ``probe_angles``,
    the single-Gaussian contraction factors for ``spectrum``, and summary numbers.
    """
    t = check_scalar(t, "t", low=0, low_open=True)
    K = check_scalar(K, "K", low=1, integer=True)
    bases = line_bases(K)
    x = _grid()
    xbar = attention_denoiser(bases, x, t)
    w_grid = attention_weights(bases, x, t)
    phi, probes = _probes()
    w_probe = attention_weights(bases, probes, t)
    spectrum = np.array(SPECTRUM)
    factors = eigen_contraction_factors(spectrum, t)
    r_in = np.linalg.norm(x, axis=1)
    r_out = np.linalg.norm(xbar, axis=1)
    moving = r_in > 0
    top = w_probe.max(axis=1)
    ent = -(w_probe * np.log(np.where(w_probe > 0, w_probe, 1.0))).sum(axis=1)
    return {
        "t": t,
        "K": K,
        "angles": line_angles(K),
        "x": x,
        "xbar": xbar,
        "arrows": xbar - x,
        "winner": w_grid.argmax(axis=1),
        "grid_weights": w_grid,
        "probe_angles": phi,
        "probe_weights": w_probe,
        "spectrum": spectrum,
        "factors": factors,
        "line_factor": 1.0 / (1.0 + t * t),
        "max_shrink": float((r_out[moving] / r_in[moving]).max()),
        "mean_top_weight": float(top.mean()),
        "mean_entropy": float(ent.mean()),
    }


def summary(data) -> str:
    """One line of the numbers behind the figure (rounded, so it is stable)."""
    f = "/".join(f"{v:.2f}" for v in data["factors"])
    return (
        f"t={data['t']:g}, K={data['K']}: 1/(1+t^2)={data['line_factor']:.3f}, "
        f"max|xbar|/|x|={data['max_shrink']:.3f}, top weight {data['mean_top_weight']:.3f}, "
        f"factors {f}"
    )


# ---- view -----------------------------------------------------------------------------------


def _cmap():
    from matplotlib.colors import ListedColormap

    from ..plotting import component_colors

    return ListedColormap(component_colors(max(K_VALUES)))


def setup_view(fig, data):
    """Create the three panels once: field (quiver), factor bars, attention map."""
    from ..plotting import PALETTE, component_colors

    kmax = max(K_VALUES)
    colors = component_colors(kmax)
    ax_f, ax_b, ax_a = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.15, 1.0, 0.9]})
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.14, top=0.85, wspace=0.32)

    lines = []
    for k in range(kmax):
        (ln,) = ax_f.plot([], [], color=colors[k], lw=2.5, alpha=0.55, label=f"line {k + 1}")
        lines.append(ln)
    x = data["x"]
    quiv = ax_f.quiver(
        x[:, 0], x[:, 1], data["arrows"][:, 0], data["arrows"][:, 1], data["winner"],
        cmap=_cmap(), clim=(-0.5, kmax - 0.5), angles="xy", scale_units="xy", scale=1,
        width=0.006,
    )
    dots = ax_f.scatter(data["xbar"][:, 0], data["xbar"][:, 1], s=6, color=PALETTE["black"],
                        zorder=3)
    ax_f.set_xlim(-EXTENT - 0.3, EXTENT + 0.3)
    ax_f.set_ylim(-EXTENT - 0.3, EXTENT + 0.3)
    ax_f.set_aspect("equal")
    ax_f.set_xticks([-2, 0, 2])  # few ticks: tick labels dominate the redraw time
    ax_f.set_yticks([-2, 0, 2])
    ax_f.set_xlabel("$x_{t,1}$")
    ax_f.set_ylabel("$x_{t,2}$")
    title_f = ax_f.set_title("")

    pos = np.arange(len(data["spectrum"]))
    bars = ax_b.bar(pos, data["factors"], color=PALETTE["blue"], width=0.6)
    ax_b.set_xticks(pos, [f"{v:g}" for v in data["spectrum"]])
    ax_b.set_ylim(0, 1.05)
    ax_b.set_yticks([0, 0.5, 1])
    ax_b.set_xlabel(r"eigenvalue $\lambda_i$ of $\Sigma$")
    ax_b.set_ylabel(r"factor $\lambda_i/(\lambda_i+t^2)$")
    title_b = ax_b.set_title("")
    bar_text = [ax_b.text(p, 0.0, "", ha="center", va="bottom", fontsize="small") for p in pos]

    img = ax_a.imshow(
        data["probe_weights"], aspect="auto", origin="upper", vmin=0.0, vmax=1.0,
        cmap="Blues", interpolation="nearest",
        extent=(0.5, data["K"] + 0.5, 180.0, 0.0),
    )
    peaks = ax_a.scatter([], [], marker="o", s=30, facecolors="none",
                         edgecolors=PALETTE["vermillion"], linewidths=1.5,
                         label="line angle")
    ax_a.set_xlabel("component $k$ (key); white 0, dark 1")
    ax_a.set_yticks([0, 45, 90, 135, 180])
    ax_a.grid(False)
    ax_a.set_ylabel(r"direction of $x_t$ (deg); o = line angle")
    title_a = ax_a.set_title("")
    state = dict(lines=lines, quiv=quiv, dots=dots, bars=bars, bar_text=bar_text, img=img,
                 peaks=peaks, ax_a=ax_a, titles=(title_f, title_b, title_a))
    update_view(state, data)
    return state


def update_view(state, data):
    """Change the artists in place for new data (no new axes or figures)."""
    K = data["K"]
    for k, ln in enumerate(state["lines"]):
        if k < K:
            a = data["angles"][k]
            r = EXTENT * 1.4
            ln.set_data([-r * np.cos(a), r * np.cos(a)], [-r * np.sin(a), r * np.sin(a)])
            ln.set_visible(True)
        else:
            ln.set_visible(False)
    arr = data["arrows"]
    state["quiv"].set_UVC(arr[:, 0], arr[:, 1], data["winner"])
    state["dots"].set_offsets(data["xbar"])
    for b, tx, f in zip(state["bars"], state["bar_text"], data["factors"], strict=True):
        b.set_height(f)
        tx.set_position((b.get_x() + b.get_width() / 2, f + 0.01))
        tx.set_text(f"{f:.2f}")
    state["img"].set_data(data["probe_weights"])
    state["img"].set_extent((0.5, K + 0.5, 180.0, 0.0))
    # the key axis always spans the slider's largest K, so moving K keeps the axes (a move then
    # repaints only the data); columns past K stay empty
    state["ax_a"].set_xlim(0.5, max(K_VALUES) + 0.5)
    state["ax_a"].set_xticks(np.arange(1, max(K_VALUES) + 1))
    state["peaks"].set_offsets(np.column_stack([np.arange(1, K + 1),
                                                np.degrees(data["angles"])]))
    tf, tb, ta = state["titles"]
    tf.set_text(f"field $x_t\\to\\bar x^*$ (dot), t = {data['t']:g}")
    tb.set_text(f"single-Gaussian factors, t = {data['t']:g}")
    ta.set_text(f"weights at |x_t| = {PROBE_RADIUS:g}, K = {K}")


def build_gmm_widget(t=T_DEFAULT, K=K_DEFAULT):
    """Sliders t and K over the denoising field, factor bars and attention map."""
    from ._core import InteractiveFigure, slider

    controls = {
        "t": slider("noise level t", T_VALUES, t),
        "K": slider("number of lines K", K_VALUES, K),
    }
    return InteractiveFigure(compute_gmm_field, setup_view, update_view, controls, summary,
                             figsize=(10.5, 3.7))


WIDGETS = {"gmm_denoiser": build_gmm_widget}


def _fraction(v):
    """Tick label of an eigenvalue: 4, 1, 1/4, 1/16, 0."""
    return f"1/{1 / v:g}" if 0 < v < 1 else f"{v:g}"


def _static_arrow_mask():
    """Every other grid point (a 6 x 6 grid that avoids the origin): an uncluttered field."""
    idx = np.arange(GRID_N)
    keep = (idx % 2 == 0)
    return (keep[:, None] & keep[None, :]).ravel()


def plot_gmm_small_multiples(settings=((0.2, 3), (0.75, 3), (2.0, 3))):
    """Static fallback with the widget's three panels: the field at each (t, K) (top row, one
    panel per setting, arrows with visible heads on a coarser grid), the attention map of each
    setting (bottom row), and the single-Gaussian contraction factors at every t of the
    settings (top right, grouped bars).

    Returns the figure and one summary line per setting (from the same compute function).
    """
    import matplotlib.pyplot as plt

    from ..plotting import CYCLE, component_colors

    n = len(settings)
    kmax = max(K_VALUES)
    colors = component_colors(kmax)
    fig, axes = plt.subplots(2, n + 1, figsize=(2.45 * (n + 1), 4.2),
                             gridspec_kw={"height_ratios": [1.0, 0.75]}, layout="constrained")
    axes = np.asarray(axes).reshape(2, n + 1)
    keep = _static_arrow_mask()
    lines, datas = [], []
    for j, (t, K) in enumerate(settings):
        d = compute_gmm_field(t, K)
        datas.append(d)
        lines.append(summary(d))
        ax = axes[0, j]
        for k, a in enumerate(d["angles"]):
            r = EXTENT * 1.4
            ax.plot([-r * np.cos(a), r * np.cos(a)], [-r * np.sin(a), r * np.sin(a)],
                    color=colors[k], lw=2.0, alpha=0.5)
        x, arr = d["x"][keep], d["arrows"][keep]
        ax.quiver(x[:, 0], x[:, 1], arr[:, 0], arr[:, 1], d["winner"][keep],
                  cmap=_cmap(), clim=(-0.5, kmax - 0.5), angles="xy", scale_units="xy",
                  scale=1, width=0.012, headwidth=3.5, headlength=4.0, headaxislength=3.5)
        ax.set_xlim(-EXTENT - 0.4, EXTENT + 0.4)
        ax.set_ylim(-EXTENT - 0.4, EXTENT + 0.4)
        ax.set_aspect("equal")
        ax.set_xticks([-2, 0, 2])
        ax.set_yticks([-2, 0, 2])
        ax.set_title(f"t = {t:g}, K = {K}")
        if j == 0:
            ax.set_ylabel("$x_{t,2}$")
        ax = axes[1, j]
        im = ax.imshow(d["probe_weights"], aspect="auto", vmin=0, vmax=1, cmap="Blues",
                       interpolation="nearest", extent=(0.5, K + 0.5, 180.0, 0.0))
        ax.scatter(np.arange(1, K + 1), np.degrees(d["angles"]), marker="o", s=25,
                   facecolors="none", edgecolors="#D55E00", linewidths=1.3)
        ax.set_xticks(np.arange(1, K + 1))
        ax.set_yticks([0, 90, 180])
        ax.set_xlabel("component $k$")
        ax.grid(False)
        ax.set_title(f"top weight {d['mean_top_weight']:.2f}", fontsize="small")
        if j == 0:
            ax.set_ylabel("angle of $x_t$ (deg)")
    ax = axes[0, n]
    pos = np.arange(len(SPECTRUM))
    width = 0.8 / n
    for j, d in enumerate(datas):
        ax.bar(pos + (j - (n - 1) / 2) * width, d["factors"], width=width,
               color=CYCLE[j % len(CYCLE)], label=f"t = {d['t']:g}")
    ax.set_xticks(pos, [_fraction(v) for v in SPECTRUM], fontsize="x-small", rotation=45)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(r"eigenvalue $\lambda_i$")
    ax.set_ylabel(r"$\lambda_i/(\lambda_i+t^2)$")
    ax.set_title("factors")
    handles, labels = ax.get_legend_handles_labels()
    fig.colorbar(im, ax=axes[1, :n].tolist(), label="weight $w_k(x_t)$", fraction=0.04, pad=0.02)
    axes[1, n].axis("off")  # the free slot under the factor bars holds their legend
    axes[1, n].legend(handles, labels, loc="center", fontsize="small", title="factor bars")
    return fig, lines
