"""One denoiser for all noise levels: learning the bases of a low-rank mixture denoiser (chapter 6).

The family (source eq. 13 in its alpha/sigma form, chapter 6): for orthonormal U_k (D, P),

    xbar_U(t, x_t) = c_t sum_k softmax_k( b_t ||U_k^T x_t||^2 ) U_k U_k^T x_t,
    c_t = alpha_t / (alpha_t^2 + sigma_t^2),
    b_t = alpha_t^2 / (2 sigma_t^2 (alpha_t^2 + sigma_t^2)).

This is ``course_utils.attention_denoiser`` with equal weights and ranks (the exact posterior
mean when the data are (1/K) sum_k N(0, U_k U_k^T)); this module adds its training. The same
parameters U_1..U_K serve every t; only the known scalars c_t and b_t change with t.
With K = 1 this is c_t V V^T x_t (source eq. 14, the PCA family). Training minimizes the loss
averaged over t (the seed's training objective for all t),

    E_{t, x, g} [ w_t || xbar_U(t, alpha_t x + sigma_t g) - x ||^2 ],

with t drawn uniformly from [t_min, t_max] (the source does not say how t is drawn; the book
uses a uniform t) and optional weights w_t (1, or alpha_t / sigma_t as in the book). The
gradient is computed in closed form with numpy and the bases stay orthonormal by Riemannian
gradient steps on the Stiefel manifold with a QR retraction.

The subspace metrics used to judge the result live with the sampler analysis of chapter 5
(``subspace_distance``, ``component_fractions``, ``direction_energy``), principal angles and
the Stiefel steps with chapter 4 (``course_utils.pca``).
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    as_float_array,
    as_like,
    as_points,
    check_bases,
    check_memory,
    check_rng,
    check_scalar,
)
from .mixtures import _softmax
from .pca import principal_angles, random_orthonormal, riemannian_gradient, stiefel_retract
from .schedules import check_schedule

WEIGHTINGS = ("uniform", "alpha_over_sigma")


def _check_bases(bases, name="bases"):
    """Orthonormal bases of one common rank P (the family of this chapter)."""
    us = check_bases(bases, name)
    if len({u.shape[1] for u in us}) != 1:
        raise ValueError(f"{name} must all have the same number of columns P")
    return us


def _coefficients(t, schedule, n):
    """Per-point c_t, b_t as (n,) arrays for t a scalar or (n,) array with sigma_t > 0."""
    tt = schedule.check_t(t, "t")
    if tt.ndim == 1 and tt.shape[0] != n:
        raise ValueError(f"t must be a scalar or have one entry per point ({n}), got {tt.shape}")
    tt = np.broadcast_to(tt, (n,))
    a, s = schedule.alpha(tt), schedule.sigma(tt)
    if np.any(s <= 0):
        raise ValueError("t must be > 0 (sigma_t > 0) for the low-rank denoiser")
    a2s2 = a * a + s * s
    return a / a2s2, a * a / (2 * s * s * a2s2), a, s


def time_weights(t, schedule, weighting="uniform"):
    """Loss weights w_t: ``uniform`` (1) or ``alpha_over_sigma`` (alpha_t / sigma_t, the book's)."""
    schedule = check_schedule(schedule)
    tt = schedule.check_t(t, "t")
    if weighting == "uniform":
        return np.ones_like(tt)
    if weighting == "alpha_over_sigma":
        s = schedule.sigma(tt)
        if np.any(s <= 0):
            raise ValueError("t must be > 0 for the alpha/sigma weighting")
        return schedule.alpha(tt) / s
    raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")


def _forward(us, y, c, b):
    """The denoiser and its intermediates (for the gradient); f equals
    ``attention_denoiser(us, y, t, schedule)`` (tested)."""
    z = [y @ u for u in us]  # (n, P) each
    logits = np.stack([(zk * zk).sum(axis=1) for zk in z], axis=1) * b[:, None]
    w = _softmax(logits)
    proj = [zk @ u.T for zk, u in zip(z, us, strict=True)]  # U_k U_k^T y
    f = c[:, None] * sum(w[:, k : k + 1] * proj[k] for k in range(len(us)))
    return f, z, w, proj


def loss_and_grad(bases, x, t, g, schedule, weights=None):
    """Minibatch loss mean_i w_i ||xbar_U(t_i, alpha x_i + sigma g_i) - x_i||^2 and its
    Euclidean gradient with respect to each U_k (list of (D, P) arrays) (chapter 6, the seed's
    training objective for all t).

    With r = f - x and G = 2 w r / n, the gradient for U_k is
    G^T (c w_k Z_k) + Y^T (c w_k G U_k) + Y^T (2 b h_k Z_k), where Z_k = Y U_k and
    h_k = c w_k (<G, U_k Z_k> - sum_j w_j <G, U_j Z_j>) is the softmax term.
    """
    us = _check_bases(bases)
    schedule = check_schedule(schedule)
    x, _ = as_points(x, "x", us[0].shape[0])
    n = x.shape[0]
    g = as_like(g, "g", x, "x")
    c, b, a, s = _coefficients(t, schedule, n)
    wt = np.ones(n) if weights is None else np.broadcast_to(
        as_float_array(weights, "weights", ndim=(0, 1)), (n,)
    )
    y = a[:, None] * x + s[:, None] * g
    f, z, w, proj = _forward(us, y, c, b)
    r = f - x
    loss = float(np.mean(wt * (r * r).sum(axis=1)))
    G = (2.0 / n) * wt[:, None] * r
    gp = np.stack([(G * p).sum(axis=1) for p in proj], axis=1)  # <G_i, U_k Z_ik>
    h = c[:, None] * w * (gp - (w * gp).sum(axis=1, keepdims=True))
    grads = []
    for k, u in enumerate(us):
        cw = (c * w[:, k])[:, None]
        soft = (2 * b * h[:, k])[:, None] * z[k]
        grads.append(G.T @ (cw * z[k]) + y.T @ (cw * (G @ u)) + y.T @ soft)
    return loss, grads


def train_lowrank_denoiser(data, K, P, schedule, rng, steps=400, batch=256, lr=0.5, decay=0.1,
                           t_min=0.02, t_max=None, weighting="uniform", init=None):
    """Learn U_1..U_K of ``attention_denoiser`` (equal weights and ranks) from clean samples,
    one set for all t (chapter 6).

    Each step draws a minibatch of ``data`` rows, t ~ Uniform[t_min, t_max] per point and fresh
    noise g, then takes a Riemannian gradient step on every U_k; the step size decays
    geometrically from ``lr`` to ``lr * decay`` over the run. The loss is not convex: from a
    random start the run can stop in a local minimum (two bases sharing one subspace).
    Returns a dict with ``bases`` (list of (D, P)), ``losses`` (per step) and ``init``.
    """
    schedule = check_schedule(schedule)
    data = as_float_array(data, "data", ndim=2)
    n_data, D = data.shape
    K = check_scalar(K, "K", low=1, integer=True)
    P = check_scalar(P, "P", low=1, high=D, integer=True)
    steps = check_scalar(steps, "steps", low=1, integer=True)
    batch = check_scalar(batch, "batch", low=1, integer=True)
    check_memory(steps, "steps")
    check_memory(batch * D * (3 * K + 4), "batch")
    lr = check_scalar(lr, "lr", low=0, low_open=True)
    decay = check_scalar(decay, "decay", low=0, low_open=True, high=1)
    t_max = schedule.T if t_max is None else t_max
    t_min = check_scalar(t_min, "t_min", low=0, low_open=True)
    t_max = check_scalar(t_max, "t_max", low=t_min, low_open=True, high=schedule.t_max)
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")
    check_rng(rng)
    if init is None:
        us = [random_orthonormal(D, P, rng) for _ in range(K)]
    else:
        us = [u.copy() for u in _check_bases(init, "init")]
    if len(us) != K or us[0].shape != (D, P):
        raise ValueError(f"init must be K={K} matrices of shape ({D}, {P})")
    start = [u.copy() for u in us]
    losses = np.empty(steps)
    for i in range(steps):
        idx = rng.integers(0, n_data, size=batch)
        t = rng.uniform(t_min, t_max, size=batch)
        g = rng.standard_normal((batch, D))
        w = time_weights(t, schedule, weighting)
        losses[i], grads = loss_and_grad(us, data[idx], t, g, schedule, w)
        step = lr * decay ** (i / steps)
        us = [stiefel_retract(u, -step * riemannian_gradient(u, gr))
              for u, gr in zip(us, grads, strict=True)]
    return {"bases": us, "losses": losses, "init": start}


def match_subspaces(learned, true):
    """Pair each true subspace with a learned one (best permutation, smallest largest angle).

    Returns ``(perm, angles)``: ``learned[perm[k]]`` is matched to ``true[k]`` and ``angles[k]``
    is the largest principal angle of that pair, in degrees. K must be small (K! permutations).
    """
    from itertools import permutations

    lu, tu = _check_bases(learned, "learned"), _check_bases(true, "true")
    if len(lu) != len(tu):
        raise ValueError(f"learned and true must have the same K, got {len(lu)} and {len(tu)}")
    K = len(tu)
    if K > 7:
        raise ValueError("match_subspaces tries all K! pairings; K must be <= 7")
    worst = np.array([[principal_angles(lu[i], tu[k])[-1] for k in range(K)] for i in range(K)])
    best = min(permutations(range(K)), key=lambda p: max(worst[p[k], k] for k in range(K)))
    angles = np.degrees([worst[best[k], k] for k in range(K)])
    return np.array(best), angles
