"""The Bayes-optimal denoiser E[x | x_t], Tweedie's formula and the attention form.

* ``posterior_mean``: source eq. 8 (chapter 3) in its general alpha/sigma form,
  sum_k w_k(x_t) (mu_k + alpha Sigma_k (alpha^2 Sigma_k + sigma^2 I)^{-1} (x_t - alpha mu_k)).
* ``responsibilities``: the weights w_k(x_t) = Pr[y = k | x_t] (the "attention" weights).
* ``score``: grad log p_t(x_t), computed from the posterior mean by Tweedie (chapter 2,
  eqs. 4 and 6): score = (alpha E[x|x_t] - x_t) / sigma^2.
* ``attention_weights`` / ``attention_denoiser``: the closed form for a low-rank mixture
  (chapter 3, eq. 13 simplified): softmax_k of ||U_k^T x_t||^2 / (2 t^2 (1 + t^2)) in VE.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, as_like, as_points, check_bases, check_weights
from .mixtures import _rows, _softmax, check_mixture
from .schedules import VE, check_schedule


def _check_dtype(dtype):
    if dtype not in (np.float64, np.float32, "float64", "float32"):
        raise ValueError(f"dtype must be numpy.float64 or numpy.float32, got {dtype!r}")
    return np.dtype(dtype).type


def posterior_mean(gmm, x_t, t, schedule=None, dtype=np.float64):
    """Bayes-optimal denoiser E[x | x_t] for a Gaussian mixture (chapter 3, source eq. 8).

    ``x_t`` has shape (n, D) or (D,); ``t`` is a scalar or one value per point. At t = 0 the
    result is x_t itself (no noise, nothing to remove). ``dtype=np.float32`` runs the large
    matrix products in single precision (about twice as fast at D >= 64, relative error about
    1e-5 for moderate t); the result is float64 either way.
    """
    gmm = check_mixture(gmm)
    dtype = _check_dtype(dtype)
    pts, single = as_points(x_t, "x_t", gmm.D)
    a, s2 = gmm._alpha_sigma2(t, schedule, pts.shape[0])
    out = pts.copy()
    noisy = np.broadcast_to(np.asarray(s2) > 0, (pts.shape[0],))
    risky = gmm._overflow_rows(pts, a, s2) & noisy  # |x_t| huge for the noise level
    fast = noisy & ~risky
    if np.all(fast):
        logits = gmm._logits(pts, a, s2, out_mean=out, dtype=dtype)
        risky = risky | gmm._unreliable_rows(logits)
    elif np.any(fast):
        sub = np.empty((int(fast.sum()), gmm.D))
        logits = gmm._logits(pts[fast], *_rows(a, s2, fast), out_mean=sub, dtype=dtype)
        out[fast] = sub
        risky = risky.copy()
        risky[np.flatnonzero(fast)[gmm._unreliable_rows(logits)]] = True
    if np.any(risky):
        out[risky] = gmm._careful(pts[risky], *_rows(a, s2, risky), want="mean")
    return out[0] if single else out


def responsibilities(gmm, x_t, t, schedule=None, dtype=np.float64):
    """Posterior weights Pr[y = k | x_t] over the K components, shape (n, K) or (K,).

    These are the softmax weights of source eq. 8: w_k proportional to
    pi_k phi(x_t; alpha mu_k, alpha^2 Sigma_k + sigma^2 I), computed by log-sum-exp.
    ``dtype`` as in ``posterior_mean``.
    """
    gmm = check_mixture(gmm)
    dtype = _check_dtype(dtype)
    pts, single = as_points(x_t, "x_t", gmm.D)
    a, s2 = gmm._alpha_sigma2(t, schedule, pts.shape[0])
    gmm._check_nondegenerate(s2, "responsibilities")
    risky = gmm._overflow_rows(pts, a, s2)  # |x_t| huge for the noise level
    if not np.any(risky):
        logits = gmm._logits(pts, a, s2, dtype=dtype)
        w = _softmax(logits)
        risky = gmm._unreliable_rows(logits)  # weights rounding may have decided: redo
    else:
        w = np.empty((pts.shape[0], gmm.K))
        fast = np.flatnonzero(~risky)
        if fast.size:
            logits = gmm._logits(pts[fast], *_rows(a, s2, ~risky), dtype=dtype)
            w[fast] = _softmax(logits)
            risky = risky.copy()
            risky[fast[gmm._unreliable_rows(logits)]] = True
    if np.any(risky):
        w[risky] = gmm._careful(pts[risky], *_rows(a, s2, risky), want="weights")
    return w[0] if single else w


def score(gmm, x_t, t, schedule=None):
    """The score grad_{x_t} log p_t(x_t) of the noised mixture, for t > 0.

    Equal to (alpha_t E[x|x_t] - x_t) / sigma_t^2 (Tweedie, chapter 2, eq. 6 rearranged), but
    computed from the per-component scores, sum_k w_k(x_t) (-(alpha^2 Sigma_k + sigma^2 I)^{-1}
    (x_t - alpha mu_k)), with x_t - alpha mu_k formed directly: the Tweedie difference
    cancels catastrophically at small t (at t = 1e-8 it returned 0 for N(mu, I)), this form
    stays accurate from t = 1e-100 to 1e100 and for means far from 0.
    """
    gmm = check_mixture(gmm)
    schedule = VE() if schedule is None else check_schedule(schedule)
    pts, single = as_points(x_t, "x_t", gmm.D)
    a, s2 = gmm._alpha_sigma2(t, schedule, pts.shape[0])
    if np.any(np.asarray(s2) == 0):
        raise ValueError("t must be > 0 for the score: at t = 0 it may not exist")
    out = gmm._careful(pts, a, s2, want="score")
    return out[0] if single else out


def _alpha_sigma_cols(t, schedule, x):
    """alpha and sigma as scalars, or as (n, 1) columns for one t per row of the (n, D) ``x``."""
    schedule = VE() if schedule is None else check_schedule(schedule)
    tt = schedule.check_t(t)
    n = x.shape[0] if x.ndim == 2 else 1
    if tt.ndim == 1 and tt.shape[0] != n:
        raise ValueError(f"t must be a scalar or have one entry per point ({n}), got {tt.shape}")
    a, s = schedule.alpha(tt), schedule.sigma(tt)
    if tt.ndim == 1:
        a, s = (a[:, None], s[:, None]) if x.ndim == 2 else (a[0], s[0])
    return a, s, schedule


def tweedie(x_t, score, t, schedule=None):
    """Tweedie's formula E[x | x_t] = (x_t + sigma_t^2 score) / alpha_t (chapter 2, eqs. 4, 6).

    In VE this is x_t + t^2 score. Needs alpha_t > 0 (it fails at the VP endpoint t = 1).
    """
    x = as_float_array(x_t, "x_t", ndim=(1, 2))
    sc = as_like(score, "score", x, "x_t")
    a, s, _ = _alpha_sigma_cols(t, schedule, x)
    if np.any(a <= 0):
        raise ValueError("t must give alpha_t > 0 for Tweedie's formula (VP: t < 1)")
    return (x + s * s * sc) / a


def score_from_denoiser(x_t, xhat, t, schedule=None):
    """Invert Tweedie: score = (alpha_t xhat - x_t) / sigma_t^2, for sigma_t > 0."""
    x = as_float_array(x_t, "x_t", ndim=(1, 2))
    xh = as_like(xhat, "xhat", x, "x_t")
    a, s, _ = _alpha_sigma_cols(t, schedule, x)
    if np.any(s <= 0):
        raise ValueError("t must be > 0 (sigma_t > 0) to recover a score from a denoiser")
    return (a * xh - x) / (s * s)


def attention_logits(bases, x_t, t, schedule=None, weights=None):
    """Logits of the low-rank attention form (chapter 3, eq. 13 simplified), shape (n, K).

    For x ~ sum_k pi_k N(0, U_k U_k^T) with orthonormal U_k (D, P_k):
    log pi_k + (P_k / 2) log(sigma^2 / (alpha^2 + sigma^2))
    + alpha^2 ||U_k^T x_t||^2 / (2 sigma^2 (alpha^2 + sigma^2)).
    With equal weights and ranks only the last term varies: in VE it is
    ||U_k^T x_t||^2 / (2 t^2 (1 + t^2)), a softmax at temperature 2 t^2 (1 + t^2).
    """
    us = check_bases(bases)
    pts, _ = as_points(x_t, "x_t", us[0].shape[0])
    k = len(us)
    w = np.full(k, 1.0 / k) if weights is None else check_weights(weights, "weights", k)
    a, s, _ = _alpha_sigma_cols(t, schedule, pts)
    if np.any(s <= 0):
        raise ValueError("t must be > 0 for the attention weights")
    a2, s2 = a * a, s * s
    proj = np.stack([((pts @ u) ** 2).sum(axis=1) for u in us], axis=1)  # ||U_k^T x||^2
    ranks = np.array([u.shape[1] for u in us])
    with np.errstate(divide="ignore"):
        logw = np.log(w)
    # alpha^2 / (alpha^2 + sigma^2) * |U^T x|^2 / (2 sigma^2): no product of two t^2 factors,
    # which would overflow at t ~ 1e77
    return logw + 0.5 * ranks * np.log(s2 / (a2 + s2)) + (a2 / (a2 + s2)) * (proj / (2 * s2))


def attention_weights(bases, x_t, t, schedule=None, weights=None):
    """softmax_k of ``attention_logits``: equals ``responsibilities`` of the low-rank mixture."""
    single = np.ndim(x_t) == 1
    w = _softmax(attention_logits(bases, x_t, t, schedule, weights))
    return w[0] if single else w


def attention_denoiser(bases, x_t, t, schedule=None, weights=None):
    """The attention form of the low-rank denoiser (chapter 3, eq. 13 simplified):
    alpha / (alpha^2 + sigma^2) sum_k w_k(x_t) U_k U_k^T x_t  (VE: 1/(1+t^2) sum_k ...)."""
    us = check_bases(bases)
    pts, single = as_points(x_t, "x_t", us[0].shape[0])
    w = _softmax(attention_logits(us, pts, t, schedule, weights))
    a, s, _ = _alpha_sigma_cols(t, schedule, pts)
    out = np.zeros_like(pts)
    for k, u in enumerate(us):
        out += w[:, k : k + 1] * ((pts @ u) @ u.T)
    out *= a / (a * a + s * s)
    return out[0] if single else out
