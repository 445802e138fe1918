"""Chapter 7 widget: the memorizing denoiser against a learned mixture of lines, as N and t move.

Data: K = 3 lines through the origin in D = 2 (``unit_lines``), x = u_k z + 0.08 g with
z ~ N(0, 1), N training points. Two denoisers drive the same VP DDIM sampler (L = 50 steps on
the exponential grid, the same 200 starting points): the memorizing denoiser of the N points,
and the attention denoiser of K lines fitted to them by K-subspaces. The sliders choose N and
a time t of the sampler grid; the panels show what each denoiser predicts at t,
xbar(t, x_t) along the trajectories (at t = t_1 this is the final sample), over the training
points, and the memorization ratio of those predictions against t. Fresh data also pass the
1/3 test now and then (locally the noisy lines are between one- and two-dimensional): the
summary prints that floor too.

``compute_memorization`` is pure (numpy only); each N is run once (``functools.lru_cache``)
and every t of the grid is read from the stored trajectories.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..denoisers import attention_denoiser
from ..memorization import memorization_ratio, posterior_weights
from ..sampling import sample
from ..schedules import VP
from ..subspaces import fit_subspaces, subspace_error
from ._core import unit_lines

N_VALUES = (3, 6, 12, 25, 50, 100, 200, 400)
L_WIDGET = 50
T_STEPS = (45, 40, 35, 30, 25, 20, 15, 10, 5, 1)  # grid indices l of the t slider
ANGLES = (0.3, 1.35, 2.45)  # the K = 3 lines (radians)
NOISE = 0.08  # off-line noise of the training data
N_SAMPLES = 200
DATA_SEED = 17
SAMPLER_SEED = 18
FIT_SEED = 19
FRESH_SEED = 20
FINAL = len(T_STEPS) - 1  # position of l = 1 (the final samples) in T_STEPS
LIM = 3.2


def true_lines():
    """The K = 3 orthonormal (2, 1) bases of the widget's lines."""
    return unit_lines(ANGLES)


def widget_data(N, seed):
    """N points x = u_k z + NOISE g, k uniform on the 3 lines (a fixed ``seed`` per N)."""
    rng = np.random.default_rng(seed)
    us = true_lines()
    k = rng.integers(0, len(us), size=N)
    z = rng.standard_normal(N)
    dirs = np.concatenate(us, axis=1).T[k]  # (N, 2)
    return dirs * z[:, None] + NOISE * rng.standard_normal((N, 2))


def _check_N(N):
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 3:
        raise ValueError(f"N must be an integer >= 3, got {N!r}")
    return int(N)


def _check_t(t):
    """Position j of the slider time t in T_VALUES."""
    try:
        t = float(t)
    except (TypeError, ValueError):
        t = np.nan
    hits = [j for j, v in enumerate(T_VALUES) if abs(v - t) <= 1e-9]
    if not hits:
        raise ValueError(f"t must be one of the slider times {T_VALUES}, got {t!r}")
    return hits[0]


def sampler_grid():
    """The sampler's times t_0 = 0 < t_1 < ... < t_L = 1: VP, exponential grid (most steps at
    small t, so the last prediction is made at t_1 ~ 1.5e-3, where the memorizer has committed)."""
    return VP().grid(L_WIDGET, kind="exponential")


T_TIMES = tuple(float(sampler_grid()[l]) for l in T_STEPS)  # exact grid times of the slider
T_VALUES = tuple(float(f"{v:.3g}") for v in T_TIMES)  # as shown on the slider
STATIC_VALUES = ((6, T_VALUES[FINAL]), (50, T_VALUES[5]), (400, T_VALUES[FINAL]))


@lru_cache(maxsize=16)
def _run(N):
    vp = VP()
    train = widget_data(N, DATA_SEED + N)
    fit = fit_subspaces(train, len(ANGLES), 1, np.random.default_rng(FIT_SEED), restarts=10)
    bases = fit["bases"]
    ts = sampler_grid()
    wanted = {float(ts[l]): j for j, l in enumerate(T_STEPS)}

    def recording(den, store):
        def wrapped(x, t):
            out = den(x, t)
            j = wanted.get(float(t))
            if j is not None:
                store[j] = out.copy()
            return out

        return wrapped

    def memorizer(x, t):
        return posterior_weights(train, x, t, vp) @ train

    def learned(x, t):
        return attention_denoiser(bases, x, t, vp)

    x0 = np.random.default_rng(SAMPLER_SEED).standard_normal((N_SAMPLES, 2))
    preds = {}
    for name, den in (("memorizer", memorizer), ("learned", learned)):
        store = np.empty((len(T_STEPS), N_SAMPLES, 2))
        final = sample(recording(den, store), vp, x0, grid=ts)
        # the last step returns xbar(t_1, x_1) itself (sigma_0 = 0, alpha_0 = 1)
        assert np.array_equal(final, store[FINAL])
        preds[name] = store
    ratios = {name: np.array([memorization_ratio(p, train) for p in preds[name]])
              for name in preds}
    fresh = widget_data(N_SAMPLES, FRESH_SEED)
    floor = memorization_ratio(fresh, train)
    err = subspace_error(bases, true_lines())
    return train, bases, preds, ratios, floor, err


def compute_memorization(N=25, t=None):
    """Slider values -> arrays and numbers (chapter 7 widget).

    Returns a dict with ``train`` (N, 2), ``mem`` and ``learned`` (N_SAMPLES, 2) the two
    denoisers' predictions xbar(t, x_t) at the sampler time t, ``ts`` (L,) the grid times 1/L..1
    with ``ratio_mem`` / ``ratio_learned`` (L,) the memorization ratios of the predictions at
    each, ``mem_ratio`` / ``learned_ratio`` those at t, ``final_mem`` / ``final_learned`` at
    t = 1/L (the samples), ``floor`` (fresh data's ratio), ``bases`` (fitted lines),
    ``subspace_error`` and the inputs.
    """
    N = _check_N(N)
    j = FINAL if t is None else _check_t(t)
    train, bases, preds, ratios, floor, err = _run(N)
    return {
        "N": N,
        "t": T_TIMES[j],
        "train": train.copy(),
        "mem": preds["memorizer"][j].copy(),
        "learned": preds["learned"][j].copy(),
        "ts": np.array(T_TIMES),
        "ratio_mem": ratios["memorizer"].copy(),
        "ratio_learned": ratios["learned"].copy(),
        "mem_ratio": float(ratios["memorizer"][j]),
        "learned_ratio": float(ratios["learned"][j]),
        "final_mem": float(ratios["memorizer"][FINAL]),
        "final_learned": float(ratios["learned"][FINAL]),
        "floor": float(floor),
        "bases": [b.copy() for b in bases],
        "subspace_error": float(err),
    }


def summary_memorization(data) -> str:
    return (
        f"N = {data['N']}, t = {data['t']:.3g}: memorization ratio of the predictions "
        f"memorizer {data['mem_ratio']:.2f}, learned lines {data['learned_ratio']:.2f}; "
        f"final samples {data['final_mem']:.2f} vs {data['final_learned']:.2f} "
        f"(fresh data {data['floor']:.2f}); line error {data['subspace_error']:.3f}"
    )


# -- view -----------------------------------------------------------------------------------
def _line_xy(u):
    return [-LIM * 1.5 * u[0, 0], LIM * 1.5 * u[0, 0]], [-LIM * 1.5 * u[1, 0], LIM * 1.5 * u[1, 0]]


def _draw(axes, data, legend=True):
    from matplotlib.ticker import FixedFormatter

    from ..plotting import PALETTE

    ax_m, ax_l, ax_r = axes
    arts = {"axes": axes}
    for ax, key, title, color in ((ax_m, "mem", "memorizer", PALETTE["vermillion"]),
                                  (ax_l, "learned", "learned lines (K-subspaces)",
                                   PALETTE["blue"])):
        arts[key + "_train"] = ax.scatter(data["train"][:, 0], data["train"][:, 1], s=30,
                                          facecolors="none", edgecolors="0.35", lw=0.8,
                                          label="training points", zorder=2)
        arts[key] = ax.scatter(data[key][:, 0], data[key][:, 1], s=8, alpha=0.7, color=color,
                               lw=0, label=r"prediction $\bar x(t, x_t)$", zorder=3)
        ax.set(xlim=(-LIM, LIM), ylim=(-LIM, LIM), aspect="equal", xlabel="$x_1$",
               xticks=[-2, 0, 2], yticks=[-2, 0, 2])
        ax.set_title(title)
    ax_m.set_ylabel("$x_2$")
    ax_l.tick_params(labelleft=False)  # few tick labels: their text is most of a redraw
    arts["lines"] = []
    for u in data["bases"]:
        (ln,) = ax_l.plot(*_line_xy(u), color=PALETTE["green"], lw=1.0, alpha=0.8)
        arts["lines"].append(ln)
    (arts["curve_mem"],) = ax_r.plot(np.log10(data["ts"]), data["ratio_mem"],
                                     color=PALETTE["vermillion"], marker="o", ms=3,
                                     label="memorizer")
    (arts["curve_learned"],) = ax_r.plot(np.log10(data["ts"]), data["ratio_learned"],
                                         color=PALETTE["blue"], marker="o", ms=3,
                                         label="learned lines")
    arts["floor"] = ax_r.axhline(data["floor"], color=PALETTE["black"], ls=":", lw=1.2,
                                 label="fresh data")
    arts["now"] = ax_r.axvline(np.log10(data["t"]), color=PALETTE["orange"], lw=1.2)
    # log10 t on a linear axis, labelled in t (a log-scale axis costs ~20% of a redraw)
    ax_r.set(xlim=(-3, 0), ylim=(-0.03, 1.03), xlabel="sampler time t (log scale)",
             ylabel="memorization ratio", yticks=[0, 0.5, 1], xticks=[-3, -2, -1, 0])
    ax_r.xaxis.set_major_formatter(FixedFormatter(["0.001", "0.01", "0.1", "1"]))
    if legend:  # circles: training points; dots: predictions (said in the chapter's text)
        ax_r.legend(loc="center right", fontsize="small")
    _update(arts, data)
    return arts


def _update(arts, data):
    arts["mem_train"].set_offsets(data["train"])
    arts["learned_train"].set_offsets(data["train"])
    arts["mem"].set_offsets(data["mem"])
    arts["learned"].set_offsets(data["learned"])
    for ln, u in zip(arts["lines"], data["bases"], strict=True):
        ln.set_data(*_line_xy(u))
    arts["curve_mem"].set_ydata(data["ratio_mem"])
    arts["curve_learned"].set_ydata(data["ratio_learned"])
    arts["floor"].set_ydata([data["floor"]] * 2)
    arts["now"].set_xdata([np.log10(data["t"])] * 2)


def setup_memorization(fig, data):
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.1]})
    state = _draw(axes, data)
    fig.tight_layout()
    fig.set_layout_engine(None)
    return state


def update_memorization(state, data):
    _update(state, data)


def draw_small_multiples(fig, values=STATIC_VALUES):
    """Static fallback: one column per (N, t), the memorizer's predictions on top and the
    learned lines' below, each panel titled with its memorization ratio at that t.

    Returns the list of data dicts drawn."""
    from ..plotting import PALETTE

    axes = fig.subplots(2, len(values), squeeze=False)
    datas = []
    for j, (N, t) in enumerate(values):
        data = compute_memorization(N, t)
        for i, (key, name, color) in enumerate((("mem", "memorizer", PALETTE["vermillion"]),
                                                 ("learned", "learned", PALETTE["blue"]))):
            ax = axes[i, j]
            ax.scatter(data["train"][:, 0], data["train"][:, 1], s=22, facecolors="none",
                       edgecolors="0.35", lw=0.7, zorder=2)
            ax.scatter(data[key][:, 0], data[key][:, 1], s=6, alpha=0.7, color=color, lw=0,
                       zorder=3)
            if key == "learned":
                for u in data["bases"]:
                    ax.plot(*_line_xy(u), color=PALETTE["green"], lw=0.8, alpha=0.8)
            ratio = data["mem_ratio"] if key == "mem" else data["learned_ratio"]
            ax.set(xlim=(-LIM, LIM), ylim=(-LIM, LIM), aspect="equal", xticks=[], yticks=[])
            ax.set_title(f"{name}, N={N}, t={data['t']:.2g}\nratio {ratio:.2f}",
                         fontsize="small")
        datas.append(data)
    fig.tight_layout()
    return datas


def precompute_grid():
    """Run every N of the slider grid once (both samplers, all t stored)."""
    for N in N_VALUES:
        _run(int(N))


def build_memorization(precompute=True):
    """The widget (sliders N and t); with ``precompute`` every N is run up front so that a
    slider move only redraws."""
    from ._core import InteractiveFigure, slider

    if precompute:
        precompute_grid()
    return InteractiveFigure(
        compute=compute_memorization,
        setup=setup_memorization,
        update=update_memorization,
        controls={
            "N": slider("training points N", N_VALUES, value=25),
            "t": slider("sampler time t", T_VALUES, value=T_VALUES[FINAL]),
        },
        summary=summary_memorization,
        figsize=(12.0, 4.0),
    )


WIDGETS = {"memorization": build_memorization}
