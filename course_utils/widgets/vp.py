"""Chapter 6 widget: VE against VP sampling of a 2-D mixture of K lines, at L steps.

Compute (numpy only): ``vp_sampler_view(schedule, grid, L, K)`` runs the sampler
with the seed's DDIM update and the exact low-rank denoiser on n = N_POINTS starting points and
returns the samples, their quality numbers and the sampler's mean squared norm along the path.
View: ``build_vp_sampler()`` (sliders L and K, toggles for the schedule and the grid).
"""

from __future__ import annotations

import numpy as np

from ..entropy import ve_start_kl
from ..sampler_analysis import (
    component_fractions,
    direction_energy,
    nearest_subspace,
    subspace_distance,
)
from ..sampling import initial_noise, sample
from ..schedules import VE, VP
from ._core import unit_lines

SCHEDULES = ("VE", "VP")
GRIDS = ("uniform", "exponential")
L_VALUES = (1, 2, 5, 10, 20, 50, 100, 200, 500)
K_VALUES = (1, 2, 3, 4)
D = 2
N_POINTS = 500
VE_T = 5.0  # VE horizon, as in chapter 5's sampler
SEED = 6


def line_bases(K):
    """K unit vectors (2, 1) at angles 0.3 + pi k / K: the data (1/K) sum_k N(0, u_k u_k^T)."""
    if K not in K_VALUES:
        raise ValueError(f"K must be one of {K_VALUES}, got {K!r}")
    return unit_lines(0.3 + np.pi * np.arange(K) / K)


def make_schedule(schedule):
    if schedule == "VE":
        return VE(VE_T)
    if schedule == "VP":
        return VP()
    raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")


def _fast_denoiser(bases, sched):
    """The low-rank attention denoiser without per-call validation (equals
    ``attention_denoiser(bases, x, t, sched)``; tested), so a slider move at L=500 stays fast."""
    ucat = np.concatenate(bases, axis=1)  # (D, K), rank-1 components

    def denoiser(x, t):
        a, s = float(sched.alpha(t)), float(sched.sigma(t))
        a2s2 = a * a + s * s
        z = x @ ucat
        logits = (a * a / (2 * s * s * a2s2)) * z * z
        logits -= logits.max(axis=1, keepdims=True)
        w = np.exp(logits)
        w /= w.sum(axis=1, keepdims=True)
        return (a / a2s2) * ((w * z) @ ucat.T)

    return denoiser


def vp_sampler_view(schedule="VP", grid="uniform", L=20, K=3):
    """Samples of the DDIM sampler for a 2-D mixture of K lines (chapter 6, the seed's DDIM update).

    Returns a dict with ``samples`` (n, 2), ``labels``, ``residual`` (mean distance to the
    nearest line), ``fractions`` (K,), ``energy`` (K,) (1 is right), ``times`` (L+1,),
    ``path_sq`` (L+1,) the mean of ||x_hat_t||^2 over the points at each grid time,
    ``true_sq`` (L+1,) the exact E||x_t||^2 = alpha_t^2 + D sigma_t^2 (E||x||^2 = 1), and
    ``start_kl`` = KL(N(0, Cov(x_T)) || start law), a lower bound on the KL of the law of
    x_T itself: 0 for VP.
    """
    if L not in L_VALUES:
        raise ValueError(f"L must be one of {L_VALUES}, got {L!r}")
    if grid not in GRIDS:
        raise ValueError(f"grid must be one of {GRIDS}, got {grid!r}")
    sched = make_schedule(schedule)
    bases = line_bases(K)
    ts = sched.grid(L, kind=grid)
    rng = np.random.default_rng(SEED)
    x0 = initial_noise(sched, N_POINTS, D, rng)

    denoiser = _fast_denoiser(bases, sched)

    out, path = sample(denoiser, sched, x0, grid=ts, return_path=True)
    cov = sum(u @ u.T for u in bases) / K  # Cov(x) of the mixture
    a, s = sched.alpha(ts), sched.sigma(ts)
    # x_T = alpha_T x + sigma_T g has covariance alpha_T^2 Cov + sigma_T^2 I; the KL of the
    # Gaussian with that covariance is a lower bound on the KL of the law of x_T.
    lam = np.linalg.eigvalsh(cov)
    if schedule == "VE":
        start_kl = ve_start_kl(lam, VE_T)
    else:
        start_kl = 0.0  # alpha_1 = 0: x_1 = g exactly
    return {
        "schedule": schedule,
        "grid": grid,
        "L": L,
        "K": K,
        "bases": bases,
        "samples": out,
        "labels": nearest_subspace(out, bases),
        "residual": float(subspace_distance(out, bases).mean()),
        "fractions": component_fractions(out, bases),
        "energy": direction_energy(out, bases),
        "times": ts,
        "path_sq": (path * path).sum(axis=2).mean(axis=1),
        "true_sq": a * a * 1.0 + D * s * s,
        "start_kl": float(start_kl),
    }


def summary(data) -> str:
    e = data["energy"]
    return (
        f"{data['schedule']} {data['grid']} L={data['L']} K={data['K']}: "
        f"residual {data['residual']:.2e}, energy {np.nanmean(e):.3f} "
        f"(min {np.nanmin(e):.3f}), fractions {np.round(data['fractions'], 2).tolist()}, "
        f"start KL {data['start_kl']:.4f}"
    )


# -- view ------------------------------------------------------------------------------------
def setup(fig, data):
    from ..plotting import PALETTE, component_colors

    ax_s, ax_p = fig.subplots(1, 2)
    cols = component_colors(max(K_VALUES))
    lines = []
    for k in range(max(K_VALUES)):
        (ln,) = ax_s.plot([], [], color=cols[k], lw=1.2, alpha=0.7,
                          label="data lines" if k == 0 else None)
        lines.append(ln)
    scat = ax_s.scatter(data["samples"][:, 0], data["samples"][:, 1], s=10,
                        color=PALETTE["black"], alpha=0.6, label="samples")
    ax_s.set(xlim=(-3.5, 3.5), ylim=(-3.5, 3.5), xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    ax_s.legend(loc="upper left", fontsize="x-small")
    (p_path,) = ax_p.plot([], [], "o-", ms=3, color=PALETTE["blue"],
                          label=r"sampler: mean $\|\hat x_t\|^2$")
    (p_true,) = ax_p.plot([], [], "--", color=PALETTE["orange"], label=r"exact $E\|x_t\|^2$")
    ax_p.set(yscale="log", xlabel="$t$", ylabel="squared norm", ylim=(0.05, 80))
    # fixed ticks, no minor ticks: tick layout is most of the redraw time
    from matplotlib.ticker import NullLocator

    ax_p.set_yticks([0.1, 1, 10])
    ax_p.yaxis.set_minor_locator(NullLocator())
    ax_s.set_xticks([-3, 0, 3])
    ax_s.set_yticks([-3, 0, 3])
    ax_p.legend(loc="upper left", fontsize="x-small")
    state = {"ax_s": ax_s, "ax_p": ax_p, "lines": lines, "scat": scat, "path": p_path,
             "true": p_true, "colors": cols}
    update(state, data)
    fig.tight_layout()
    return state


def update(state, data):
    cols = state["colors"]
    for k, ln in enumerate(state["lines"]):
        if k < data["K"]:
            u = data["bases"][k][:, 0] * 4
            ln.set_data([-u[0], u[0]], [-u[1], u[1]])
        else:
            ln.set_data([], [])
    state["scat"].set_offsets(data["samples"])
    state["scat"].set_color([cols[i] for i in data["labels"]])
    ts = data["times"]
    state["path"].set_data(ts, data["path_sq"])
    state["true"].set_data(ts, data["true_sq"])
    state["ax_p"].set_xlim(0, ts[-1])
    state["ax_s"].set_title(f"{data['schedule']}, {data['grid']} grid, L={data['L']}")
    state["ax_p"].set_title(f"mean energy {np.nanmean(data['energy']):.2f}, "
                            f"residual {data['residual']:.1e}")


def build_vp_sampler():
    """Sliders L and K, toggles schedule (VE/VP) and grid (uniform/exponential)."""
    from ._core import InteractiveFigure, slider, toggle

    controls = {
        "schedule": toggle("schedule", SCHEDULES, "VP"),
        "grid": toggle("grid", GRIDS, "uniform"),
        "L": slider("steps L", L_VALUES, 20),
        "K": slider("components K", K_VALUES, 3),
    }
    return InteractiveFigure(vp_sampler_view, setup, update, controls, summary, figsize=(9, 4))


WIDGETS = {"vp_sampler": build_vp_sampler}
