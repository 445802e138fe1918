"""Memorization and generalization of a denoiser learned from N samples (chapter 7).

* ``posterior_weights``: the softmax weights w_i(x_t) of the memorizing (empirical) denoiser,
  the posterior probabilities that x_t came from training point x_i (log-sum-exp, stable).
* ``bias_variance_terms``: both sides of the identity
  sum_i w_i ||x_i - f||^2 = sum_i w_i ||x_i - xbar*||^2 + ||f - xbar*||^2, which makes the
  memorizer the exact minimizer of the finite-sample loss over all functions.
* ``denoising_mse``: the per-coordinate mean squared error of a denoiser at one t on a set of
  clean points (the finite-sample loss on training points, or a held-out loss).
* ``nearest_neighbours`` and ``memorization_ratio``: the nearest-neighbour ratio test
  d1/d2 < 1/3 (Yoon et al. 2023) with blocked GEMM distances.
* ``false_positive_floor``: r^p, the probability that a fresh sample from data of intrinsic
  dimension p passes the test by chance.
* ``disjoint_halves_discrepancy``: median ||x_A - x_B|| / ||x_A|| between the outputs of two
  models trained on disjoint halves and run from the same noise (Kadkhodaie et al. 2024).
* ``collapse_times`` and ``collapse_time_prediction``: when the memorizing sampler commits
  to one training point, measured, and sigma^2/alpha^2 = v / (N^(2/d) - 1) predicted
  (Biroli et al. 2024), i.e. t_C = N^(-1/d) in VP for unit-variance data.

Samples are rows (n, D). Schedules as in ``course_utils.schedules`` (VP in the chapter).
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, as_like, as_points, check_scalar
from .schedules import check_schedule

__all__ = [
    "bias_variance_terms",
    "collapse_time_prediction",
    "collapse_times",
    "denoising_mse",
    "disjoint_halves_discrepancy",
    "false_positive_floor",
    "memorization_ratio",
    "nearest_neighbours",
    "posterior_weights",
]

_BLOCK_ELEMENTS = 2**21  # samples x training points per block of squared distances
_CANDIDATES = 4  # nearest candidates re-measured exactly after the GEMM pass


def _check_train(train, min_points=1, name="train"):
    tr = as_float_array(train, name, ndim=2)
    if tr.shape[0] < min_points or tr.shape[1] < 1:
        raise ValueError(
            f"{name} must have shape (N, D) with at least {min_points} point(s), got {tr.shape}"
        )
    return tr


def _sq_distances(q, ref, ref_sq):
    """||q_i - ref_j||^2 for a block, by ||q||^2 - 2 q.ref + ||ref||^2 (one GEMM), clipped at 0."""
    d2 = q @ ref.T
    d2 *= -2.0
    d2 += (q * q).sum(axis=1)[:, None]
    d2 += ref_sq[None, :]
    np.maximum(d2, 0.0, out=d2)
    return d2


def posterior_weights(train, x_t, t, schedule):
    """Weights w_i(x_t) = softmax_i(-||x_t - alpha_t x_i||^2 / (2 sigma_t^2)), shape (n, N).

    Chapter 7: under the empirical law (1/N) sum_i delta_{x_i}, w_i(x_t) is the probability
    that the noisy point x_t came from training point x_i, and the memorizing denoiser is
    sum_i w_i x_i. Computed by log-sum-exp (the largest logit is subtracted before exp), so
    that the logits of order -10^4 met at small t give no NaN. Needs sigma_t > 0.
    """
    tr = _check_train(train)
    pts, single = as_points(x_t, "x_t", tr.shape[1])
    schedule = check_schedule(schedule)
    tt = float(schedule.check_t(t))
    s = float(schedule.sigma(tt))
    if s <= 0:
        raise ValueError("t must give sigma_t > 0 (at t = 0 the weights are one-hot)")
    a = float(schedule.alpha(tt))
    ax = a * tr
    logits = _sq_distances(pts, ax, (ax * ax).sum(axis=1))
    logits *= -0.5 / (s * s)
    logits -= logits.max(axis=1, keepdims=True)
    w = np.exp(logits)
    w /= w.sum(axis=1, keepdims=True)
    return w[0] if single else w


def bias_variance_terms(train, x_t, f, t, schedule):
    """Both sides of the bias-variance identity at each x_t (chapter 7).

    With w = ``posterior_weights`` and xbar* = sum_i w_i x_i, returns ``(lhs, variance,
    bias)``, each of shape (n,):  lhs = sum_i w_i ||x_i - f||^2, variance =
    sum_i w_i ||x_i - xbar*||^2 and bias = ||f - xbar*||^2, so that lhs = variance + bias for
    every candidate output f (n, D). Averaged over x_t this is
    L_N(f) = L_N(xbar*) + E||f - xbar*||^2: no function beats the memorizer on its own loss.
    """
    tr = _check_train(train)
    pts, single = as_points(x_t, "x_t", tr.shape[1])
    ff = as_like(f, "f", pts if not single else pts[0], "x_t")
    ff = np.atleast_2d(ff)
    w = np.atleast_2d(posterior_weights(tr, pts, t, schedule))
    xbar = w @ tr
    tr_sq = (tr * tr).sum(axis=1)
    lhs = _sq_distances(ff, tr, tr_sq)  # ||x_i - f||^2
    var = _sq_distances(xbar, tr, tr_sq)
    # direct differences for the n x N sums would be exact; the GEMM forms are accurate to
    # ~1e-15 relative here and keep memory at n x N
    lhs = (w * lhs).sum(axis=1)
    var = (w * var).sum(axis=1)
    bias = ((ff - xbar) ** 2).sum(axis=1)
    if single:
        return lhs[0], var[0], bias[0]
    return lhs, var, bias


def denoising_mse(denoiser, x, t, schedule, g):
    """Per-coordinate mean squared error (1/(n D)) sum_i ||x_i - denoiser(alpha x_i + sigma g_i,
    t)||^2 at one noise level t (chapter 7: the finite-sample loss on the training points, or
    the held-out loss on test points). ``g`` (n, D) is the noise, passed in so that models can
    be compared on the same draws."""
    if not callable(denoiser):
        raise ValueError("denoiser must be a callable denoiser(x_t, t)")
    pts = as_float_array(x, "x", ndim=2)
    noise = as_like(g, "g", pts, "x")
    schedule = check_schedule(schedule)
    tt = float(schedule.check_t(t))
    x_t = float(schedule.alpha(tt)) * pts + float(schedule.sigma(tt)) * noise
    out = np.asarray(denoiser(x_t, tt), dtype=float)
    if out.shape != pts.shape:
        raise ValueError(f"denoiser returned shape {out.shape}, expected {pts.shape}")
    return float(np.mean((out - pts) ** 2))


def _check_pair(samples, train):
    tr = _check_train(train, min_points=2)
    s = as_float_array(samples, "samples", ndim=2)
    if s.shape[1] != tr.shape[1]:
        raise ValueError(
            f"samples and train must have the same number of columns D, got {s.shape[1]} "
            f"and {tr.shape[1]}"
        )
    return s, tr


def nearest_neighbours(samples, train):
    """Index of each sample's nearest training point and the distances d1 <= d2 to its nearest
    and second-nearest training points: ``(index (n,), d1 (n,), d2 (n,))``.

    Candidates come from blocked squared distances ||s||^2 - 2 s.x + ||x||^2 (one GEMM per
    block, clipped at 0, ``np.partition`` for the smallest few); the few nearest candidates
    are then re-measured directly as ||s - x_j||, so a sample equal to a training point has
    d1 = 0 exactly and equal distances compare equal. Ties for the nearest go to the lower index.
    """
    s, tr = _check_pair(samples, train)
    n, m = s.shape[0], tr.shape[0]
    c = min(_CANDIDATES, m)
    tr_sq = (tr * tr).sum(axis=1)
    idx1 = np.empty(n, dtype=int)
    d1 = np.empty(n)
    d2 = np.empty(n)
    step = max(1, _BLOCK_ELEMENTS // m)
    for i0 in range(0, n, step):
        q = s[i0 : i0 + step]
        d2_approx = _sq_distances(q, tr, tr_sq)
        if c < m:
            cand = np.argpartition(d2_approx, c - 1, axis=1)[:, :c]
        else:
            cand = np.broadcast_to(np.arange(m), (q.shape[0], m))
        exact = np.sqrt(((q[:, None, :] - tr[cand]) ** 2).sum(axis=2))  # (b, c)
        # order by (distance, index): stable sort of the candidates sorted by index
        by_index = np.argsort(cand, axis=1)
        cand = np.take_along_axis(cand, by_index, axis=1)
        exact = np.take_along_axis(exact, by_index, axis=1)
        order = np.argsort(exact, axis=1, kind="stable")
        idx1[i0 : i0 + step] = np.take_along_axis(cand, order[:, :1], axis=1)[:, 0]
        two = np.take_along_axis(exact, order[:, :2], axis=1)
        d1[i0 : i0 + step] = two[:, 0]
        d2[i0 : i0 + step] = two[:, 1]
    return idx1, d1, d2


def memorization_ratio(samples, train, threshold=1 / 3, return_flags=False):
    """Fraction of samples flagged as copies: d1 < threshold * d2, strictly (chapter 7).

    d1 and d2 are the distances from a sample to its nearest and second-nearest training
    points (``nearest_neighbours``). Exact cases: a sample equal to a training point that has
    no duplicate is flagged (d1 = 0 < threshold * d2); a sample at equal distance from its two
    nearest points is never flagged (d1 = d2 and threshold <= 1); a sample on a duplicated
    training point is not flagged either (d1 = d2 = 0), so the test needs distinct training
    points. ``threshold`` in (0, 1]; ``return_flags`` also returns the boolean flags (n,).
    """
    threshold = check_scalar(threshold, "threshold", low=0, low_open=True, high=1)
    s, tr = _check_pair(samples, train)
    if s.shape[0] < 1:
        raise ValueError("samples must hold at least one point")
    _, d1, d2 = nearest_neighbours(s, tr)
    flags = d1 < threshold * d2
    ratio = float(flags.mean())
    return (ratio, flags) if return_flags else ratio


def false_positive_floor(p, threshold=1 / 3):
    """Pr[d1/d2 < threshold] = threshold^p for fresh samples from data that look locally like a
    Poisson process in intrinsic dimension p (chapter 7): (d1/d2)^p is uniform on (0, 1)."""
    p = check_scalar(p, "p", low=0, low_open=True)
    threshold = check_scalar(threshold, "threshold", low=0, low_open=True, high=1)
    return threshold**p


def disjoint_halves_discrepancy(x_a, x_b):
    """median_i ||x_A,i - x_B,i|| / ||x_A,i|| over paired outputs of two models run from the
    same initial noise (chapter 7, the disjoint-halves test). Rows of x_A must be nonzero."""
    a = as_float_array(x_a, "x_a", ndim=2)
    b = as_like(x_b, "x_b", a, "x_a")
    if a.shape[0] < 1:
        raise ValueError("x_a must hold at least one point")
    na = np.linalg.norm(a, axis=1)
    if np.any(na == 0):
        raise ValueError("x_a has a zero row: the relative discrepancy is undefined")
    return float(np.median(np.linalg.norm(a - b, axis=1) / na))


def collapse_time_prediction(N, d, v=1.0):
    """VP time t_C at which the memorizing sampler commits to one of N training points drawn
    from N(0, v I_d) (chapter 7; Biroli, Bonnaire, de Bortoli and Mezard 2024, d -> infinity):
    sigma^2 / alpha^2 = v / (N^(2/d) - 1), i.e. t_C^2 = v / (N^(2/d) - 1 + v); t_C = N^(-1/d)
    for v = 1."""
    N = check_scalar(N, "N", low=2, integer=True)
    d = check_scalar(d, "d", low=0, low_open=True)
    v = check_scalar(v, "v", low=0, low_open=True)
    r = np.expm1(2.0 * np.log(N) / d)  # N^(2/d) - 1
    return float(np.sqrt(v / (r + v)))


def collapse_times(train, x_init, schedule, L, level=0.5):
    """For each trajectory of the memorizing DDIM sampler (grid ``schedule.grid(L)``, started
    from ``x_init``), the largest grid time t_l at which max_i w_i(x_t) first exceeds
    ``level``: the time the trajectory commits to one training point (chapter 7).
    Returns an (n,) array (0 for a trajectory that never crosses ``level`` above t_1)."""
    tr = _check_train(train, min_points=2)
    schedule = check_schedule(schedule)
    L = check_scalar(L, "L", low=1, integer=True)
    level = check_scalar(level, "level", low=0, low_open=True, high=1)
    x = as_points(x_init, "x_init", tr.shape[1])[0].copy()
    ts = schedule.grid(L)
    alphas, sigmas = schedule.alpha(ts), schedule.sigma(ts)
    out = np.zeros(x.shape[0])
    done = np.zeros(x.shape[0], dtype=bool)
    for l in range(L, 0, -1):
        w = posterior_weights(tr, x, ts[l], schedule)
        new = ~done & (w.max(axis=1) > level)
        out[new] = ts[l]
        done |= new
        ratio = sigmas[l - 1] / sigmas[l]
        x = ratio * x + (alphas[l - 1] - ratio * alphas[l]) * (w @ tr)
    return out
