"""Chapter 4 widget: learning the denoiser c V V^T x_t by gradient steps is PCA.

Sliders: the noise level t and the rank P. The data are n = 2000 samples of the K=1 low-rank
model x ~ N(0, U U^T) in D = 20 dimensions (U in O(D, P) fixed by P), and V in O(D, P) is
learned from pairs (x, x + t g) of clean samples and their noised versions by Stiefel
gradient steps (``course_utils.pca.learn_subspace``).
The view shows the learning curve (exact noise-averaged loss against the PCA minimum and the
MMSE P t^2/(1+t^2)), the principal angles to the PCA basis against the step, and the final
angles as bars.

``compute_pca_learning`` is pure (numpy only): a run depends only on (t, P) through fixed
seeds, so it is memoized with ``functools.lru_cache`` and returned as fresh copies.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..pca import (
    expected_denoising_loss,
    learn_subspace,
    linear_mmse,
    principal_angles,
    random_orthonormal,
)

T_VALUES = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0)
P_VALUES = (1, 2, 3, 4, 5, 6)
P_MAX = max(P_VALUES)
D_WIDGET = 20
N_WIDGET = 2000
STEPS = 150
LR = 0.3  # divided by 2c - c^2 in each run (see ``step_size``)
BATCH = 128
DECAY = 10.0
DATA_SEED = 4
LEARN_SEED = 40
STATIC_VALUES = ((0.25, 2), (1.0, 3), (3.0, 5))  # panels of the static fallback
ANGLE_FLOOR_DEG = 1e-2  # log-scale floor for the angle curves


def widget_data(P):
    """The data of the widget for rank P: (U (D, P), X (n, D)) with x ~ N(0, U U^T)."""
    rng = np.random.default_rng(DATA_SEED + 100 * int(P))
    U = random_orthonormal(D_WIDGET, int(P), rng)
    X = rng.standard_normal((N_WIDGET, int(P))) @ U.T
    return U, X


def step_size(t):
    """LR / (2c - c^2), c = 1/(1+t^2).

    The expected gradient of the loss is 2 (c^2 - 2c) E[x x^T] V (projected): its size shrinks
    like 2c - c^2 = (1 + 2t^2)/(1 + t^2)^2 as t grows. Dividing the step by it gives every t
    the same speed on average, so what differs between noise levels is only the gradient noise.
    """
    c = 1.0 / (1.0 + t * t)
    return LR / (2 * c - c * c)


@lru_cache(maxsize=64)
def _run(t, P):
    U, X = widget_data(P)
    V, hist = learn_subspace(
        X, P, t, steps=STEPS, lr=step_size(t), batch=BATCH, decay=DECAY,
        rng=np.random.default_rng(LEARN_SEED), return_history=True,
    )
    V_pca = hist["reference"]
    loss_min = expected_denoising_loss(V_pca, X, t)
    pca_vs_truth = float(np.degrees(principal_angles(U, V_pca)).max())
    return hist["step"], hist["loss"], np.degrees(hist["angles"]), loss_min, pca_vs_truth


def compute_pca_learning(t=1.0, P=3):
    """Learning run for noise level ``t`` and rank ``P`` (chapter 4): arrays and numbers only.

    Returns a dict with ``step`` (STEPS+1,), ``loss`` (exact noise-averaged loss on the data),
    ``angles_deg`` (STEPS+1, P_MAX) principal angles to the PCA basis in degrees (NaN past P),
    ``final_deg`` (P_MAX,) the final angles (0 past P), ``loss_min`` (the loss at the PCA
    basis), ``mmse`` (P t^2/(1+t^2)), ``pca_vs_truth_deg`` and the inputs.
    """
    t = float(t)
    P = int(P)
    if P < 1 or P > D_WIDGET:
        raise ValueError(f"P must be between 1 and D={D_WIDGET}, got {P}")
    if not np.isfinite(t) or t < 0:
        raise ValueError(f"t must be a finite number >= 0, got {t}")
    step, loss, ang, loss_min, pvt = _run(t, P)
    lo, hi, top = _panel_limits(t, P)
    angles = np.full((step.size, max(P_MAX, P)), np.nan)
    angles[:, :P] = ang
    final = np.zeros(max(P_MAX, P))
    final[:P] = ang[-1]
    return {
        "t": t,
        "P": P,
        "step": step.copy(),
        "loss": loss.copy(),
        "angles_deg": angles,
        "final_deg": final,
        "max_final_deg": float(ang[-1].max()),
        "loss_min": float(loss_min),
        "mmse": float(linear_mmse(np.ones(P), t)),
        "pca_vs_truth_deg": pvt,
        "loss_per_dim_lim": (lo, hi),
        "final_deg_lim": top,
    }


def _panel_limits(t, P):
    """Axis limits that depend on t only (over every P of the slider, and P itself): the loss
    divided by P, whose scale does not grow with P (the MMSE per dimension is t^2/(1+t^2)),
    and the final angles. Moving P then keeps the axes, so the widget redraws only the data."""
    los, his, tops = [], [], []
    for p in sorted({*P_VALUES, P}):
        _, loss, ang, loss_min, _ = _run(t, p)
        mmse = float(linear_mmse(np.ones(p), t))
        los.append(min(loss.min(), loss_min, mmse) / p)
        his.append(max(loss.max(), loss_min, mmse) / p)
        tops.append(float(ang[-1].max()))
    lo, hi = min(los), max(his)
    pad = 0.05 * (hi - lo) + 1e-9
    return lo - pad, hi + pad, max(1.0, 1.25 * max(tops))


def summary_pca_learning(data) -> str:
    return (
        f"t = {data['t']:g}, P = {data['P']}: loss after {data['step'][-1]} steps "
        f"{data['loss'][-1]:.3f} (PCA minimum {data['loss_min']:.3f}, MMSE {data['mmse']:.3f}); "
        f"largest principal angle to PCA {data['max_final_deg']:.2f} deg"
    )


# -- view -----------------------------------------------------------------------------------
def _draw(axes, data, legend=True, title=True):
    """Create the artists of one (loss, angles[, bars]) panel set; returns them in a dict."""
    from matplotlib.ticker import NullLocator

    from ..plotting import PALETTE, component_colors

    ax_loss, ax_ang = axes[0], axes[1]
    P = data["P"]
    (loss_line,) = ax_loss.plot(data["step"], data["loss"] / P, color=PALETTE["blue"],
                                label="loss of learned V")
    min_line = ax_loss.axhline(data["loss_min"] / P, color=PALETTE["black"], ls="--", lw=1.2,
                               label="PCA minimum (these samples)")
    mmse_line = ax_loss.axhline(data["mmse"] / P, color=PALETTE["vermillion"], ls=":", lw=1.6,
                                label=r"MMSE $t^2/(1+t^2)$ (population)")
    ax_loss.set_xlabel("gradient step")
    ax_loss.set_ylabel(r"$\mathbb{E}\,\|x-cVV^\top x_t\|^2\,/\,P$")
    colors = component_colors(P_MAX)
    angle_lines = []
    for j in range(P_MAX):
        (ln,) = ax_ang.plot(data["step"], np.maximum(data["angles_deg"][:, j], ANGLE_FLOOR_DEG),
                            color=colors[j], lw=1.2, label=f"angle {j + 1}")
        angle_lines.append(ln)
    ax_ang.set_yscale("log")
    ax_ang.set_ylim(ANGLE_FLOOR_DEG, 100)
    ax_ang.yaxis.set_minor_locator(NullLocator())  # minor log ticks cost ~20 ms per redraw
    ax_ang.set_xlabel("gradient step")
    ax_ang.set_ylabel("principal angles to PCA (deg)")
    if legend:
        ax_loss.legend(loc="upper right", fontsize="x-small")
    arts = {"loss": loss_line, "min": min_line, "mmse": mmse_line, "angles": angle_lines,
            "ax_loss": ax_loss, "ax_ang": ax_ang}
    if title:
        # Axes titles re-measure every tick label on each draw (slow); a text artist does not.
        arts["title"] = ax_loss.text(0.3, 0.55, "", transform=ax_loss.transAxes, fontsize="medium",
                                     fontweight="bold")
    _update_lines(arts, data)
    return arts


def _update_lines(arts, data):
    P = data["P"]
    arts["loss"].set_data(data["step"], data["loss"] / P)
    arts["min"].set_ydata([data["loss_min"] / P] * 2)
    arts["mmse"].set_ydata([data["mmse"] / P] * 2)
    for j, ln in enumerate(arts["angles"]):
        ln.set_data(data["step"], np.maximum(data["angles_deg"][:, j], ANGLE_FLOOR_DEG))
    arts["ax_loss"].set_ylim(*data["loss_per_dim_lim"])
    arts["ax_loss"].set_xlim(0, data["step"][-1])
    arts["ax_ang"].set_xlim(0, data["step"][-1])
    if "title" in arts:
        arts["title"].set_text(f"t = {data['t']:g}, P = {data['P']}")


def setup_pca_learning(fig, data):
    from ..plotting import component_colors

    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.2, 1.2, 0.8]})
    state = _draw(axes, data)
    ax_bar = axes[2]
    bars = ax_bar.bar(np.arange(1, P_MAX + 1), data["final_deg"][:P_MAX],
                      color=component_colors(P_MAX))
    ax_bar.set_xticks(np.arange(1, P_MAX + 1))
    ax_bar.set_xlabel("angle index")
    ax_bar.set_ylabel(f"angle after {STEPS} steps (deg)")
    state.update(bars=bars, ax_bar=ax_bar)
    fig.tight_layout()
    # tight_layout leaves a placeholder layout engine, which makes every savefig run an extra
    # (invisible) draw; the positions are fixed now, so drop the engine (~30% faster PNG).
    fig.set_layout_engine(None)
    update_pca_learning(state, data)
    return state


def update_pca_learning(state, data):
    _update_lines(state, data)
    for b, h in zip(state["bars"], data["final_deg"][:P_MAX], strict=True):
        b.set_height(h)
    state["ax_bar"].set_ylim(0, data["final_deg_lim"])



def draw_small_multiples(fig, values=STATIC_VALUES):
    """Static fallback: for each (t, P) a loss panel (top) and an angle panel (bottom).

    Returns the list of data dicts drawn (from ``compute_pca_learning``)."""
    axes = fig.subplots(2, len(values), squeeze=False)
    datas = []
    for j, (t, P) in enumerate(values):
        data = compute_pca_learning(t, P)
        arts = _draw(axes[:, j], data, legend=False)
        # each angle panel names its P curves (the bar chart does this in the widget)
        axes[1, j].legend(handles=arts["angles"][:P], labels=[str(i + 1) for i in range(P)],
                          title="angle", title_fontsize="xx-small", fontsize="xx-small", ncol=P,
                          loc="lower left", handlelength=1.0, columnspacing=0.6)
        if j == 0:
            handles = [arts["loss"], arts["min"], arts["mmse"]]
        else:
            axes[0, j].set_ylabel("")
            axes[1, j].set_ylabel("")
        datas.append(data)
    axes[0, 0].set_ylabel("loss / P")
    axes[1, 0].set_ylabel("angle to PCA (deg)")
    fig.legend(handles=handles, loc="upper center", ncol=3, fontsize="x-small", frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return datas


def precompute_grid():
    """Run every (t, P) of the slider grid once (about 0.5 s of CPU), filling the cache."""
    for t in T_VALUES:
        for P in P_VALUES:
            _run(float(t), int(P))


def build_pca_learning(precompute=True):
    """The widget. With ``precompute`` the whole slider grid is learned up front, so that a
    slider move only redraws (a cold move also runs 150 gradient steps, ~15 ms more)."""
    from ._core import InteractiveFigure, slider

    if precompute:
        precompute_grid()
    return InteractiveFigure(
        compute=compute_pca_learning,
        setup=setup_pca_learning,
        update=update_pca_learning,
        controls={
            "t": slider("noise level t", T_VALUES, value=1.0),
            "P": slider("rank P", P_VALUES, value=3),
        },
        summary=summary_pca_learning,
        figsize=(12.0, 3.8),
    )


WIDGETS = {"pca_learning": build_pca_learning}
