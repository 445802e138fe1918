"""One denoiser for all noise levels: learning the bases of a low-rank mixture denoiser (chapter 6).

The family (source eq. 13 in its alpha/sigma form, chapter 6): for orthonormal U_k (D, P),

    xbar_U(t, x_t) = c_t sum_k softmax_k( b_t ||U_k^T x_t||^2 ) U_k U_k^T x_t,
    c_t = alpha_t / (alpha_t^2 + sigma_t^2),
    b_t = alpha_t^2 / (2 sigma_t^2 (alpha_t^2 + sigma_t^2)).

The same parameters U_1..U_K serve every t; only the known scalars c_t and b_t change with t.
With K = 1 this is c_t V V^T x_t (source eq. 14, the PCA family). Training minimizes the loss
averaged over t (source eq. 23),

    E_{t, x, g} [ w_t || xbar_U(t, alpha_t x + sigma_t g) - x ||^2 ],

with t drawn uniformly from [t_min, t_max] (the source does not say how t is drawn; the book
uses a uniform t) and optional weights w_t (1, or alpha_t / sigma_t as in the book). The
gradient is computed in closed form with numpy and the bases stay orthonormal by Riemannian
gradient steps on the Stiefel manifold with a QR retraction.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, as_points, check_orthonormal, check_scalar
from .mixtures import _softmax
from .schedules import check_schedule

WEIGHTINGS = ("uniform", "alpha_over_sigma")


def _check_bases(bases):
    if isinstance(bases, np.ndarray) and bases.ndim == 3:
        bases = list(bases)
    if not isinstance(bases, (list, tuple)) or len(bases) == 0:
        raise ValueError("bases must be a non-empty list of (D, P) orthonormal matrices")
    d = np.asarray(bases[0]).shape[0]
    us = [check_orthonormal(u, f"bases[{i}]", d) for i, u in enumerate(bases)]
    if len({u.shape[1] for u in us}) != 1:
        raise ValueError("bases must all have the same number of columns P")
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


def lowrank_denoiser(bases, x_t, t, schedule):
    """xbar_U(t, x_t) = c_t sum_k softmax_k(b_t ||U_k^T x_t||^2) U_k U_k^T x_t (chapter 6).

    Equal weights and ranks; equals ``attention_denoiser`` (and the exact posterior mean when
    the data are (1/K) sum_k N(0, U_k U_k^T)). ``t`` is a scalar or one value per point.
    """
    us = _check_bases(bases)
    schedule = check_schedule(schedule)
    y, single = as_points(x_t, "x_t", us[0].shape[0])
    out = _forward(us, y, *_coefficients(t, schedule, y.shape[0])[:2])[0]
    return out[0] if single else out


def _forward(us, y, c, b):
    z = [y @ u for u in us]  # (n, P) each
    logits = np.stack([(zk * zk).sum(axis=1) for zk in z], axis=1) * b[:, None]
    w = _softmax(logits)
    proj = [zk @ u.T for zk, u in zip(z, us, strict=True)]  # U_k U_k^T y
    f = c[:, None] * sum(w[:, k : k + 1] * proj[k] for k in range(len(us)))
    return f, z, w, proj


def loss_and_grad(bases, x, t, g, schedule, weights=None):
    """Minibatch loss mean_i w_i ||xbar_U(t_i, alpha x_i + sigma g_i) - x_i||^2 and its
    Euclidean gradient with respect to each U_k (list of (D, P) arrays) (chapter 6, eq. 23).

    With r = f - x and G = 2 w r / n, the gradient for U_k is
    G^T (c w_k Z_k) + Y^T (c w_k G U_k) + Y^T (2 b h_k Z_k), where Z_k = Y U_k and
    h_k = c w_k (<G, U_k Z_k> - sum_j w_j <G, U_j Z_j>) is the softmax term.
    """
    us = _check_bases(bases)
    schedule = check_schedule(schedule)
    x, _ = as_points(x, "x", us[0].shape[0])
    n = x.shape[0]
    g = as_float_array(g, "g", ndim=2)
    if g.shape != x.shape:
        raise ValueError(f"g must have the shape of x {x.shape}, got {g.shape}")
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


def riemannian_gradient(u, grad):
    """Project a Euclidean gradient onto the tangent space of the Stiefel manifold at U."""
    sym = u.T @ grad
    return grad - u @ (0.5 * (sym + sym.T))


def stiefel_retract(u, step):
    """QR retraction: the orthonormal factor of U + step, with columns signed like U + step."""
    q, r = np.linalg.qr(u + step)
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    return q * signs


def random_bases(D, P, K, rng):
    """K random (D, P) matrices with orthonormal columns (QR of Gaussian matrices)."""
    D = check_scalar(D, "D", low=1, integer=True)
    P = check_scalar(P, "P", low=1, high=D, integer=True)
    K = check_scalar(K, "K", low=1, integer=True)
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator, e.g. np.random.default_rng(0)")
    return [stiefel_retract(np.zeros((D, P)), rng.standard_normal((D, P))) for _ in range(K)]


def train_lowrank_denoiser(data, K, P, schedule, rng, steps=400, batch=256, lr=0.5, decay=0.1,
                           t_min=0.02, t_max=None, weighting="uniform", init=None):
    """Learn U_1..U_K of ``lowrank_denoiser`` from clean samples, one set for all t (chapter 6).

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
    lr = check_scalar(lr, "lr", low=0, low_open=True)
    decay = check_scalar(decay, "decay", low=0, low_open=True, high=1)
    t_max = schedule.T if t_max is None else t_max
    t_min = check_scalar(t_min, "t_min", low=0, low_open=True)
    t_max = check_scalar(t_max, "t_max", low=t_min, low_open=True, high=schedule.t_max)
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator, e.g. np.random.default_rng(0)")
    us = random_bases(D, P, K, rng) if init is None else [u.copy() for u in _check_bases(init)]
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


def principal_angles(a, b):
    """Principal angles (radians, ascending) between span(a) and span(b), a and b orthonormal."""
    a = as_float_array(a, "a", ndim=2)
    b = as_float_array(b, "b", ndim=2)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must have the same number of rows, got {a.shape} and {b.shape}")
    cos = np.linalg.svd(a.T @ b, compute_uv=False)
    return np.sort(np.arccos(np.clip(cos, -1.0, 1.0)))


def match_subspaces(learned, true):
    """Pair each true subspace with a learned one (best permutation, smallest largest angle).

    Returns ``(perm, angles)``: ``learned[perm[k]]`` is matched to ``true[k]`` and ``angles[k]``
    is the largest principal angle of that pair, in degrees. K must be small (K! permutations).
    """
    from itertools import permutations

    lu, tu = _check_bases(learned), _check_bases(true)
    if len(lu) != len(tu):
        raise ValueError(f"learned and true must have the same K, got {len(lu)} and {len(tu)}")
    K = len(tu)
    if K > 7:
        raise ValueError("match_subspaces tries all K! pairings; K must be <= 7")
    worst = np.array([[principal_angles(lu[i], tu[k])[-1] for k in range(K)] for i in range(K)])
    best = min(permutations(range(K)), key=lambda p: max(worst[p[k], k] for k in range(K)))
    angles = np.degrees([worst[best[k], k] for k in range(K)])
    return np.array(best), angles


def subspace_statistics(bases, x):
    """How well samples sit on a union of subspaces (chapters 5-6, source-notes fact 19).

    Returns a dict: ``residual`` (n,) distance of each point to its nearest span(U_k),
    ``labels`` (n,) the index of that subspace, ``fractions`` (K,) the share of points per
    subspace and ``energy`` (K,) the per-direction energy E||U_k^T x||^2 / P over the points
    assigned to k (1 for the data (1/K) sum_k N(0, U_k U_k^T); NaN if no point is assigned).
    """
    us = _check_bases(bases)
    pts, _ = as_points(x, "x", us[0].shape[0])
    z = [pts @ u for u in us]
    proj = np.stack([(zk * zk).sum(axis=1) for zk in z], axis=1)  # ||U_k^T x||^2
    # distances computed from the residual vectors (no cancellation in ||x||^2 - ||U^T x||^2)
    dist = np.stack([np.linalg.norm(pts - zk @ u.T, axis=1)
                     for zk, u in zip(z, us, strict=True)], axis=1)
    labels = np.argmin(dist, axis=1)
    rows = np.arange(pts.shape[0])
    residual = dist[rows, labels]
    best = proj[rows, labels]
    K, P = len(us), us[0].shape[1]
    counts = np.bincount(labels, minlength=K)
    sums = np.bincount(labels, weights=best, minlength=K)
    with np.errstate(invalid="ignore", divide="ignore"):
        energy = np.where(counts > 0, sums / np.maximum(counts, 1) / P, np.nan)
    return {
        "residual": residual,
        "labels": labels,
        "fractions": counts / pts.shape[0],
        "energy": energy,
    }
