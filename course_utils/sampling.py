"""Iterative denoising: the DDIM-form sampler for any schedule (chapters 5 and 6).

One step from t to s < t (the seed's DDIM update):
    x_s = (sigma_s / sigma_t) x_t + (alpha_s - (sigma_s / sigma_t) alpha_t) xbar(t, x_t).
On the uniform VE grid t_l = T l / L this is exactly (1 - 1/l) x + (1/l) xbar (source eq. 17).
The sampler takes any callable ``denoiser(x, t)``, so exact and learned denoisers plug in alike.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, as_like, check_memory, check_rng, check_scalar
from .schedules import check_schedule


def ddim_step(x_t, xbar, t, s, schedule):
    """One denoising step from noise level t down to s < t (the seed's DDIM update; chapter 6).

    ``x_t`` is (n, D) or (D,) and ``xbar`` (the denoiser output) must have exactly its shape:
    no broadcasting of, e.g., (5, 2) with (2,). ``t`` and ``s`` are scalars.
    """
    schedule = check_schedule(schedule)
    x = as_float_array(x_t, "x_t", ndim=(1, 2))
    xb = as_like(xbar, "xbar", x, "x_t")
    for value, label in ((t, "t"), (s, "s")):
        if np.ndim(value) != 0:
            raise ValueError(
                f"{label} must be a real number (one noise level for the step), got shape "
                f"{np.shape(value)}"
            )
    t = check_scalar(schedule.check_t(t, "t"), "t")
    s = check_scalar(schedule.check_t(s, "s"), "s")
    if not s < t:
        raise ValueError(f"s must be smaller than t, got s={s} and t={t}")
    ratio = float(schedule.sigma(s) / schedule.sigma(t))
    return ratio * x + (float(schedule.alpha(s)) - ratio * float(schedule.alpha(t))) * xb


def check_grid(grid, schedule, name="grid"):
    """A strictly increasing time grid t_0 >= 0 < ... < t_L inside the schedule's range."""
    ts = as_float_array(grid, name, ndim=1)
    if ts.size < 2:
        raise ValueError(f"{name} must have at least 2 times (t_0 < t_1), got {ts.size}")
    if np.any(np.diff(ts) <= 0):
        raise ValueError(f"{name} must be strictly increasing (t_0 < t_1 < ... < t_L)")
    schedule.check_t(ts, name)
    if ts[-1] <= 0:
        raise ValueError(f"{name} must end at a positive time")
    return ts


def initial_noise(schedule, n, D, rng):
    """Start of the sampler: sigma_T g with g ~ N(0, I) (VE: N(0, T^2 I); VP: N(0, I))."""
    schedule = check_schedule(schedule)
    check_rng(rng)
    n = check_scalar(n, "n", low=1, integer=True)
    D = check_scalar(D, "D", low=1, integer=True)
    check_memory(n * D, "n * D")
    return float(schedule.sigma(schedule.T)) * rng.standard_normal((n, D))


def sample(denoiser, schedule, x_init, L=None, grid=None, return_path=False):
    """Run the iterative denoiser from t_L down to t_0 (chapter 5, source eq. 17; chapter 6,
    the seed's DDIM update).

    Parameters
    ----------
    denoiser : callable(x, t) -> xbar of the same shape
    schedule : VE(T) or VP()
    x_init : (n, D) or (D,) starting points at t_L
    L : number of steps; the grid is ``schedule.grid(L)`` unless ``grid`` is given
    grid : optional times t_0 < t_1 < ... < t_L
    return_path : False, True (all L+1 iterates), or a sequence of step indices l to keep

    Returns x_hat at t_0, and with ``return_path`` also an array ``path`` with
    ``path[j]`` the iterate at t_{l_j} (for True, ``path[l]`` is the iterate at t_l).
    """
    if not callable(denoiser):
        raise ValueError("denoiser must be a callable denoiser(x, t)")
    schedule = check_schedule(schedule)
    if grid is None:
        if L is None:
            raise ValueError("L must be given (number of steps, >= 1) when grid is not")
        L = check_scalar(L, "L", low=1, integer=True)
        check_memory(4 * (L + 1), "L")  # the grid, its alphas and sigmas
        ts = schedule.grid(L)
    else:
        ts = check_grid(grid, schedule)
        if L is not None and check_scalar(L, "L", low=1, integer=True) != ts.size - 1:
            raise ValueError(f"L must equal len(grid) - 1 = {ts.size - 1}, got {L}")
    L = ts.size - 1
    x = as_float_array(x_init, "x_init", ndim=(1, 2)).copy()
    alphas, sigmas = schedule.alpha(ts), schedule.sigma(ts)

    if return_path is True:
        keep = list(range(L + 1))
    elif return_path is False or return_path is None:
        keep = None
    elif isinstance(return_path, (str, bytes)) or not np.all(
        [isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
         for v in np.atleast_1d(np.asarray(return_path, dtype=object)).tolist()]
    ):
        raise ValueError(
            "return_path must be True, False or a sequence of step indices l in 0..L, "
            f"got {return_path!r}"
        )
    else:
        # integer-valued floats (e.g. from np.linspace) are accepted as step indices
        keep = [
            check_scalar(
                int(v) if isinstance(v, float) and v.is_integer() else v,
                "return_path entry", low=0, high=L, integer=True,
            )
            for v in np.atleast_1d(return_path).tolist()
        ]
    if keep is not None:
        check_memory(len(keep) * x.size, "return_path")
    wanted = set(keep or ())
    saved = {L: x.copy()} if L in wanted else {}
    for l in range(L, 0, -1):
        xbar = denoiser(x, ts[l])
        if np.shape(xbar) != x.shape:
            raise ValueError(f"denoiser returned shape {np.shape(xbar)}, expected {x.shape}")
        if np.iscomplexobj(xbar):
            raise TypeError(f"denoiser returned complex values at t = {ts[l]:.6g}")
        xbar = np.asarray(xbar, dtype=float)
        if not np.all(np.isfinite(xbar)):
            raise ValueError(f"denoiser returned NaN or inf at t = {ts[l]:.6g}")
        ratio = sigmas[l - 1] / sigmas[l]
        # out of place: a denoiser may return (a view of) its input
        x = ratio * x + (alphas[l - 1] - ratio * alphas[l]) * xbar
        if l - 1 in wanted:
            saved[l - 1] = x.copy()
    if keep is None:
        return x
    if not keep:
        return x, np.empty((0,) + x.shape)
    return x, np.stack([saved[l] for l in keep])
