"""Fitting a mixture of subspaces to data: K-subspaces (chapter 7).

For the mixture-of-low-rank-Gaussians family restricted to a *hard* assignment
k(i) = argmax_k ||U_k^T x_i|| made on the clean point, the finite-sample denoising loss at any
noise level is (chapter 7, same algebra as chapter 4's PCA loss)

    L_N = (1/N) sum_i ||x_i||^2 - rho (2 - rho) (1/N) sum_i max_k ||U_k^T x_i||^2 + c^2 sigma^2 P,

with c = alpha / (alpha^2 + sigma^2) and rho = c alpha = alpha^2 / (alpha^2 + sigma^2). Since
rho (2 - rho) > 0, minimizing it at any t is the K-subspaces problem
max sum_i max_k ||U_k^T x_i||^2, solved here by alternating assignment and refitting each U_k
as the top-P eigenvectors of its cluster's scatter X_k^T X_k (``fit_subspaces``). The learned
bases plug into ``course_utils.denoisers.attention_denoiser`` (or ``GaussianMixture.low_rank``).

Bases are (D, P) matrices with orthonormal columns; samples are rows.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, as_points, check_bases, check_rng, check_scalar
from .schedules import check_schedule

__all__ = [
    "fit_subspaces",
    "hard_assignment_loss",
    "kss_objective",
    "projection_distance",
    "rho",
    "subspace_error",
]


def _projections(x, us):
    """||U_k^T x_i||^2 for every point and basis, (n, K), from one GEMM onto [U_1 .. U_K]."""
    z = x @ np.concatenate(us, axis=1)
    z2 = z * z
    ranks = np.cumsum([0] + [u.shape[1] for u in us])
    return np.stack([z2[:, ranks[k] : ranks[k + 1]].sum(axis=1) for k in range(len(us))],
                    axis=1)


def kss_objective(x, bases):
    """(1/N) sum_i max_k ||U_k^T x_i||^2, the K-subspaces objective (chapter 7)."""
    us = check_bases(bases)
    pts, _ = as_points(x, "x", us[0].shape[0])
    return float(_projections(pts, us).max(axis=1).mean())


def rho(t, schedule):
    """rho_t = c_t alpha_t = alpha^2 / (alpha^2 + sigma^2) (chapter 7; VP: rho = 1 - t^2)."""
    schedule = check_schedule(schedule)
    tt = float(schedule.check_t(t))
    a, s = float(schedule.alpha(tt)), float(schedule.sigma(tt))
    return a * a / (a * a + s * s)


def hard_assignment_loss(bases, x, t, schedule):
    """Expected loss (1/N) sum_i E_g ||x_i - c U_k(i) U_k(i)^T (alpha x_i + sigma g)||^2 of the
    hard-assignment denoiser, k(i) = argmax_k ||U_k^T x_i||, in closed form (chapter 7):
    mean ||x||^2 - rho (2 - rho) mean max_k ||U_k^T x||^2 + c^2 sigma^2 P. Equal ranks P."""
    us = check_bases(bases)
    P = us[0].shape[1]
    if any(u.shape[1] != P for u in us):
        raise ValueError("bases must all have the same rank P")
    pts, _ = as_points(x, "x", us[0].shape[0])
    schedule = check_schedule(schedule)
    tt = float(schedule.check_t(t))
    a, s = float(schedule.alpha(tt)), float(schedule.sigma(tt))
    c = a / (a * a + s * s)
    r = c * a
    best = _projections(pts, us).max(axis=1)
    return float(np.mean((pts * pts).sum(axis=1)) - r * (2 - r) * best.mean() + c * c * s * s * P)


def _aligned_span(x, unit, i, m, P):
    """Top-P eigenvectors of the scatter of point i and the m - 1 points most aligned with it
    (largest |cos|); with fewer than P independent points the remaining columns are
    eigenvectors of eigenvalue 0 (orthonormal, arbitrary)."""
    near = np.argsort(-np.abs(unit @ unit[i]), kind="stable")[:m]
    pts = x[near]
    return _top_eigvecs(pts.T @ pts, P)


def _residuals_sq(x, us):
    """min_k ||x - U_k U_k^T x||^2 for each point (||x||^2 with no bases)."""
    x2 = (x * x).sum(axis=1)
    if not us:
        return x2
    return np.maximum(x2 - _projections(x, us).max(axis=1), 0.0)


def _span_init(x, K, P, rng):
    """K starting bases, each the span of a few data points that likely share a subspace.

    Seeds are drawn one per basis, the first uniformly and each next one with probability
    proportional to its squared distance to the bases chosen so far (as k-means++ does for
    centres); basis k is fitted to its seed and the points most aligned with it (2P points in
    all, fewer when the data are few: at least P, at most N/K)."""
    n = x.shape[0]
    norms = np.linalg.norm(x, axis=1)
    unit = x / np.where(norms > 0, norms, 1.0)[:, None]
    m = max(P, min(2 * P, n // K))
    us = []
    for _ in range(K):
        resid = _residuals_sq(x, us)
        total = resid.sum()
        i = rng.integers(n) if not us or total <= 0 else rng.choice(n, p=resid / total)
        us.append(_aligned_span(x, unit, i, min(m, n), P))
    return us


def _top_eigvecs(scatter, P):
    lam, vec = np.linalg.eigh(scatter)
    return vec[:, ::-1][:, :P]


def fit_subspaces(x, K, P, rng, n_iter=30, restarts=10):
    """K-subspaces: K bases U_k (D, P) maximizing sum_i max_k ||U_k^T x_i||^2 (chapter 7).

    Each restart starts from spans of data points (``_span_init``) and alternates (at most
    ``n_iter`` times, stopping when the assignment no longer changes) between assigning each
    point to argmax_k ||U_k^T x_i|| and refitting U_k as the top-P eigenvectors of the scatter
    X_k^T X_k of its points (``eigh`` of the D x D matrix). An emptied cluster restarts at
    the point the other bases explain worst. The restart with the largest objective is kept.

    Returns a dict with ``bases`` (list of K (D, P) orthonormal matrices), ``labels`` (n,),
    ``objective`` (the mean of max_k ||U_k^T x_i||^2 at the returned bases) and
    ``restart_objectives`` (K-subspaces is not convex: restarts land in different optima).
    """
    pts = as_float_array(x, "x", ndim=2)
    n, D = pts.shape
    K = check_scalar(K, "K", low=1, integer=True)
    P = check_scalar(P, "P", low=1, high=D, integer=True)
    n_iter = check_scalar(n_iter, "n_iter", low=1, integer=True)
    restarts = check_scalar(restarts, "restarts", low=1, integer=True)
    check_rng(rng)
    if n < 1:
        raise ValueError("x must hold at least one point")
    best = None
    objectives = []
    for _ in range(restarts):
        us = _span_init(pts, K, P, rng)
        labels = None
        for _ in range(n_iter):
            new = _projections(pts, us).argmax(axis=1)
            if labels is not None and np.array_equal(new, labels):
                break
            labels = new
            for k in range(K):
                xk = pts[labels == k]
                if xk.shape[0] > 0:
                    us[k] = _top_eigvecs(xk.T @ xk, P)
            for k in np.flatnonzero(np.bincount(labels, minlength=K) == 0):
                # an empty cluster restarts at the point the other bases explain worst
                others = [u for j, u in enumerate(us) if j != k]
                worst = int(np.argmax(_residuals_sq(pts, others)))
                norms = np.linalg.norm(pts, axis=1)
                unit = pts / np.where(norms > 0, norms, 1.0)[:, None]
                us[k] = _aligned_span(pts, unit, worst, P, P)
        proj = _projections(pts, us)
        obj = float(proj.max(axis=1).mean())
        objectives.append(obj)
        if best is None or obj > best["objective"]:
            best = {"bases": [u.copy() for u in us], "labels": proj.argmax(axis=1),
                    "objective": obj}
    best["restart_objectives"] = np.array(objectives)
    return best


def projection_distance(U, V):
    """||U U^T - V V^T||_F / sqrt(p + q) for orthonormal U (D, p), V (D, q): 0 for equal spans,
    1 for orthogonal ones; for p = q it is the root-mean-square sine of the principal angles
    (chapter 7, the subspace error)."""
    u, v = check_bases([U], "U")[0], check_bases([V], "V", np.shape(U)[0])[0]
    p, q = u.shape[1], v.shape[1]
    # ||UU^T - VV^T||_F^2 = ||(I - VV^T) U||_F^2 + ||(I - UU^T) V||_F^2, from the residuals
    # themselves: p + q - 2 ||U^T V||_F^2 would lose half the digits near 0 to cancellation
    res_u = u - v @ (v.T @ u)
    res_v = v - u @ (u.T @ v)
    return float(np.sqrt((np.sum(res_u**2) + np.sum(res_v**2)) / (p + q)))


def subspace_error(learned, true):
    """Mean projection distance between learned and true subspaces after the best pairing
    (``course_utils.training.match_subspaces``): 0 when every subspace is recovered
    (chapter 7). Both lists must have the same K (at most 7)."""
    from .training import match_subspaces

    lu, tu = check_bases(learned, "learned"), check_bases(true, "true")
    perm, _ = match_subspaces(lu, tu)
    return float(np.mean([projection_distance(lu[perm[k]], tu[k]) for k in range(len(tu))]))
