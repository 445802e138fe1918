"""What chapter 5 needs beyond the core sampler: step rules, the single-Gaussian analysis,
sample-quality metrics and the memorizing denoiser.

* Couplings (chapter 5, source eq. 17 and erratum 2): with one noise ``g`` shared by all t,
  E[x_s | x_t] = (s/t) x_t + (1 - s/t) xbar(t, x_t); with independent (Brownian) increments
  the coefficient s/t becomes s^2/t^2 (source notes, fact 15).
* The probability-flow ODE dx/dt = (x - xbar(t, x)) / t, whose explicit Euler step from
  t_l to t_{l-1} is the source's (1 - 1/l, 1/l) step (fact 10).
* A single Gaussian N(mu, Sigma): the VE sampler multiplies the eigen-coordinate i of
  x - mu by c_{l,L} = 1 - l T^2 / (lambda_i L^2 + l^2 T^2) at step l, and the product of the
  factors tends to sqrt(lambda_i / (lambda_i + T^2)), not to 0 (fact 11, erratum 7).
* Quality of samples from a mixture of subspaces: distance to the nearest subspace, the
  fraction of samples near each subspace and the energy per direction (fact 19).
* The memorizing denoiser of an empirical distribution (fact 20).

Samples are rows (n, D); bases are (D, P_k) matrices with orthonormal columns.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    as_float_array,
    as_like,
    as_points,
    check_bases,
    check_memory,
    check_scalar,
    check_spectrum,
)
from .mixtures import GaussianMixture
from .schedules import VE, check_schedule

__all__ = [
    "brownian_step",
    "component_fractions",
    "conditional_mean_gains",
    "coupled_conditional_mean",
    "direction_energy",
    "gaussian_coupled_mean",
    "lines_and_plane_mixture",
    "memorizing_denoiser",
    "nearest_subspace",
    "probability_flow_euler_step",
    "probability_flow_velocity",
    "subspace_distance",
    "ve_factor_limit",
    "ve_factor_product",
    "ve_output_variance",
    "ve_step_factors",
]

_COUPLINGS = ("shared", "brownian")


# -- couplings and step rules ----------------------------------------------------------------
def _check_s_t(s, t):
    t = check_scalar(t, "t", low=0, low_open=True)
    s = check_scalar(s, "s", low=0)
    if not s < t:
        raise ValueError(f"s must be smaller than t, got s={s} and t={t}")
    return s, t


def _check_coupling(coupling):
    if coupling not in _COUPLINGS:
        raise ValueError(f"coupling must be 'shared' or 'brownian', got {coupling!r}")
    return coupling


def _pair(x_t, xbar):
    x = as_float_array(x_t, "x_t", ndim=(1, 2))
    return x, as_like(xbar, "xbar", x, "x_t")


def coupled_conditional_mean(x_t, xbar, s, t, coupling="shared"):
    """E[x_s | x_t] from the denoiser output xbar = E[x | x_t] (chapter 5; source eq. 17).

    ``coupling="shared"``: x_s = x + s g with the same g as x_t = x + t g, so
    x_s = (s/t) x_t + (1 - s/t) x and E[x_s | x_t] = (s/t) x_t + (1 - s/t) xbar.
    ``coupling="brownian"``: x_t = x_s + sqrt(t^2 - s^2) g' with g' independent of x_s
    (same marginals), Cov(x_s, x_t) = Cov(x) + s^2 I, and the coefficient is s^2/t^2.
    """
    x, xb = _pair(x_t, xbar)
    s, t = _check_s_t(s, t)
    r = s / t if _check_coupling(coupling) == "shared" else (s / t) ** 2
    return r * x + (1.0 - r) * xb


def brownian_step(x_t, xbar, t, s):
    """The posterior-mean step under the Brownian coupling: (s^2/t^2) x_t + (1 - s^2/t^2) xbar.

    Chapter 5, erratum 2 (second part): it has the same marginals as the source's process but
    a different step, and iterating it shrinks the samples (see ``ve_output_variance``).
    """
    return coupled_conditional_mean(x_t, xbar, s, t, coupling="brownian")


def gaussian_coupled_mean(mean, cov, x_t, s, t, coupling="shared"):
    """E[x_s | x_t] for x ~ N(mean, cov), computed directly from the joint covariance.

    Cov(x_t) = Sigma + t^2 I and Cov(x_s, x_t) = Sigma + s t I (shared g) or Sigma + s^2 I
    (Brownian), so E[x_s | x_t] = mu + Cov(x_s, x_t) Cov(x_t)^{-1} (x_t - mu) (chapter 5, the
    check of the coupling formulas; source notes fact 15).
    """
    mu = as_float_array(mean, "mean", ndim=1)
    d = mu.shape[0]
    sig = as_float_array(cov, "cov", ndim=2)
    if sig.shape != (d, d):
        raise ValueError(f"cov must have shape {(d, d)}, got {sig.shape}")
    pts, single = as_points(x_t, "x_t", d)
    s, t = _check_s_t(s, t)
    cross = s * t if _check_coupling(coupling) == "shared" else s * s
    c_st = sig + cross * np.eye(d)
    c_tt = sig + t * t * np.eye(d)
    out = mu + np.linalg.solve(c_tt, (pts - mu).T).T @ c_st.T
    return out[0] if single else out


def probability_flow_velocity(x, xbar, t):
    """Right-hand side of the VE probability-flow ODE dx/dt = (x - xbar(t, x)) / t (fact 10)."""
    x, xb = _pair(x, xbar)
    t = check_scalar(t, "t", low=0, low_open=True)
    return (x - xb) / t


def probability_flow_euler_step(x, xbar, t, s):
    """One explicit Euler step of dx/dt = (x - xbar)/t from t back to s < t (chapter 5, fact 10).

    x_s = x_t - (t - s) (x_t - xbar) / t = (s/t) x_t + (1 - s/t) xbar: the source's step.
    """
    s, t = _check_s_t(s, t)
    return as_float_array(x, "x", ndim=(1, 2)) - (t - s) * probability_flow_velocity(x, xbar, t)


# -- the single-Gaussian analysis --------------------------------------------------------------
def ve_step_factors(lam, T, L):
    """Per-step factors c_{l,L} = 1 - l T^2 / (lambda L^2 + l^2 T^2), for l = 1..L.

    Chapter 5, source notes fact 11: for x ~ N(mu, Sigma) the VE step
    (1 - 1/l) x + (1/l) xbar(t_l, x) on t_l = T l / L multiplies the coordinate of x - mu along
    an eigenvector with eigenvalue lambda by this factor. Returns shape lam.shape + (L,);
    entry [..., l - 1] is step l. The factor is in (0, 1) for lambda > 0 and c_{1,L} = 0 when
    lambda = 0 (that direction is removed exactly at the last step).
    """
    lam = check_spectrum(lam, "lam", ndim=None)
    T = check_scalar(T, "T", low=0, low_open=True)
    L = check_scalar(L, "L", low=1, integer=True)
    check_memory(3 * L * max(lam.size, 1), "L")
    l = np.arange(1, L + 1, dtype=float)
    lam_ = lam[..., None]
    return 1.0 - l * T * T / (lam_ * L * L + l * l * T * T)


def ve_factor_product(lam, T, L):
    """prod_{l=1}^L c_{l,L}: what the whole VE sampler does to an eigen-coordinate (fact 11).

    ``L`` is one integer or a 1-D array of integers; the result has shape
    lam.shape (+ (len(L),) for an array L). It tends to ``ve_factor_limit`` as L grows.
    """
    lam = check_spectrum(lam, "lam", ndim=None)
    scalar_L = np.ndim(L) == 0
    Ls = [L] if scalar_L else list(np.asarray(L).ravel())
    out = np.empty(lam.shape + (len(Ls),))
    for j, Lj in enumerate(Ls):
        Lj = check_scalar(Lj if not isinstance(Lj, np.integer) else int(Lj), "L", low=1,
                          integer=True)
        out[..., j] = np.prod(ve_step_factors(lam, T, Lj), axis=-1)
    return out[..., 0] if scalar_L else out


def ve_factor_limit(lam, T):
    """lim_{L -> inf} prod_l c_{l,L} = sqrt(lambda / (lambda + T^2)) (chapter 5, fact 11).

    Derivation: log prod ~ -sum_l (T^2 l / L^2) / (lambda + (T l / L)^2)
    -> -int_0^T tau / (lambda + tau^2) d tau = -1/2 log((lambda + T^2) / lambda).
    """
    lam = check_spectrum(lam, "lam", ndim=None)
    T = check_scalar(T, "T", low=0, low_open=True)
    return np.sqrt(lam / (lam + T * T))


def ve_output_variance(lam, T, L, start="exact", coupling="shared"):
    """Variance of the VE sampler's output along an eigendirection of a single Gaussian.

    ``start="exact"``: x_T ~ N(mu, Sigma + T^2 I) (the true law of x_T), variance
    lambda + T^2 before the sampler. ``start="isotropic"``: the source's N(0, T^2 I) with
    mu = 0, variance T^2. The output variance is (prod of factors)^2 times that (chapter 5,
    fact 11). With ``coupling="brownian"`` the factors are those of ``brownian_step``,
    (lambda + t_{l-1}^2) / (lambda + t_l^2), whose product telescopes to lambda / (lambda + T^2)
    for every L.
    """
    lam = check_spectrum(lam, "lam", ndim=None)
    T = check_scalar(T, "T", low=0, low_open=True)
    if start not in ("exact", "isotropic"):
        raise ValueError(f"start must be 'exact' or 'isotropic', got {start!r}")
    if _check_coupling(coupling) == "shared":
        prod = ve_factor_product(lam, T, L)
    else:
        check_scalar(L, "L", low=1, integer=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            prod = np.where(lam > 0, lam / (lam + T * T), 0.0)
    v0 = lam + T * T if start == "exact" else np.full_like(lam, T * T)
    return prod**2 * v0


def conditional_mean_gains(lam, s, t):
    """Eigenvalues a_i = (s t + lambda_i) / (lambda_i + t^2) of the linear map x_t -> E[x_s|x_t].

    Chapter 5, source notes fact 14: for a Gaussian, one denoising step from t to s < t is
    linear in x_t - mu with these gains, all in (0, 1), so it lowers the differential entropy
    by -sum_i log a_i > 0.
    """
    lam = check_spectrum(lam, "lam", ndim=None)
    s, t = _check_s_t(s, t)
    return (s * t + lam) / (lam + t * t)


# -- quality metrics for a mixture of subspaces ------------------------------------------------
def _residuals(x, bases):
    """Distances ||(I - U_k U_k^T) x|| (n, K), the validated bases, the points (n, D), and
    whether x was one point.

    ``bases`` is a list of (D, P_k) orthonormal matrices, a (K, D, P) array or one (D, P) basis.
    """
    if isinstance(bases, np.ndarray) and bases.ndim == 2:
        bases = [bases]
    us = check_bases(bases)
    pts, single = as_points(x, "x", us[0].shape[0])
    # ||(I - U_k U_k^T) x|| from the residual itself (not sqrt(||x||^2 - ||U_k^T x||^2),
    # which loses half the digits to cancellation for points on the subspace)
    res = np.stack([np.linalg.norm(pts - (pts @ u) @ u.T, axis=1) for u in us], axis=1)
    return res, us, pts, single


def subspace_distance(x, bases):
    """Distance from each point to the nearest subspace span(U_k): min_k ||(I - U_k U_k^T) x||.

    Chapter 5: zero exactly when a sample lies on the support of a zero-mean low-rank mixture.
    """
    res, _, _, single = _residuals(x, bases)
    d = res.min(axis=1)
    return d[0] if single else d


def nearest_subspace(x, bases):
    """Index k of the nearest subspace for each point (ties go to the lowest k)."""
    res, _, _, single = _residuals(x, bases)
    k = res.argmin(axis=1)
    return k[0] if single else k


def component_fractions(x, bases):
    """Fraction of the points whose nearest subspace is k, shape (K,) (chapter 5, fact 19)."""
    res, us, _, _ = _residuals(x, bases)
    return np.bincount(res.argmin(axis=1), minlength=len(us)) / res.shape[0]


def direction_energy(x, bases, variances=None):
    """Mean of ||diag(v_k)^{-1/2} U_k^T x||^2 / P_k over the points nearest to subspace k.

    Chapter 5, fact 19: for exact samples of sum_k pi_k N(0, U_k diag(v_k) U_k^T) it is 1 for
    every k (each direction carries its own variance); below 1 means the samples are
    under-dispersed. ``variances`` default to ones (covariances U_k U_k^T). Components with
    no nearest point give NaN.
    """
    res, us, pts, _ = _residuals(x, bases)
    if variances is None:
        variances = [np.ones(u.shape[1]) for u in us]
    if len(variances) != len(us):
        raise ValueError(f"variances must have one entry per basis (K={len(us)})")
    lab = res.argmin(axis=1)
    out = np.full(len(us), np.nan)
    for k, u in enumerate(us):
        v = as_float_array(variances[k], f"variances[{k}]", ndim=1)
        if v.shape != (u.shape[1],) or np.any(v <= 0):
            raise ValueError(f"variances[{k}] must be {u.shape[1]} positive numbers")
        sel = pts[lab == k]
        if sel.shape[0]:
            out[k] = (((sel @ u) ** 2) / v).sum(axis=1).mean() / u.shape[1]
    return out


# -- the chapter's 3-D example -------------------------------------------------------------------
def lines_and_plane_mixture(seed: int = 4):
    """The 3-D mixture of two lines and a plane of the source's figure (chapter 5, figure F4).

    D = 3, K = 3, mu_k = 0, pi_k = 1/3; covariances 6 f_1 f_1^T, 6 f_2 f_2^T and 3 F F^T with
    f_1, f_2 (3, 1) and F (3, 2) standard normal, drawn in that order from
    ``np.random.default_rng(seed)``. (The source draws them with a JAX key, which numpy
    cannot reproduce: the subspaces differ, the construction does not.)

    Returns ``(gmm, bases, variances)``: the exact ``GaussianMixture`` (built from the full
    covariances) and, per component, an orthonormal basis of its support and the nonzero
    eigenvalues, so that covs[k] = U_k diag(v_k) U_k^T.
    """
    seed = check_scalar(seed, "seed", low=0, integer=True)
    rng = np.random.default_rng(seed)
    f1 = rng.standard_normal((3, 1))
    f2 = rng.standard_normal((3, 1))
    F = rng.standard_normal((3, 2))
    factors = [(np.sqrt(6.0) * f1), (np.sqrt(6.0) * f2), (np.sqrt(3.0) * F)]
    covs = np.stack([a @ a.T for a in factors])
    bases, variances = [], []
    for a in factors:
        u, sv, _ = np.linalg.svd(a, full_matrices=False)
        bases.append(u)
        variances.append(sv**2)
    gmm = GaussianMixture(np.full(3, 1.0 / 3.0), np.zeros((3, 3)), covs)
    return gmm, bases, variances


# -- memorization -----------------------------------------------------------------------------
_MEMORIZER_BLOCK = 2**20  # entries of one block of weights (points x training points)


def memorizing_denoiser(train, schedule=None):
    """Bayes-optimal denoiser of the empirical distribution of ``train`` (N, D) (fact 20).

    The empirical distribution is a mixture of N point masses (zero covariances), so
    E[x | x_t] = sum_i softmax_i(-||x_t - alpha_t x_i||^2 / (2 sigma_t^2)) x_i, a convex
    combination of training points: the same weighted mean as chapter 2's importance-sampling
    estimate ``course_utils.diffusion.mc_posterior_mean`` with the training set as the prior
    sample, computed here by ``course_utils.memorization.posterior_weights`` (chapter 7) in
    blocks of points. At t = 0 it returns the nearest training point; as
    t -> 0 the softmax becomes one-hot on it, so a sampler driven by this denoiser reproduces
    the training set. Returns a callable ``(x_t, t) -> xbar`` (scalar t).
    """
    tr = as_float_array(train, "train", ndim=2)
    if tr.shape[0] < 1:
        raise ValueError("train must hold at least one point")
    schedule = VE() if schedule is None else check_schedule(schedule)

    def memorizing(x_t, t):
        pts, single = as_points(x_t, "x_t", tr.shape[1])
        tt = float(schedule.check_t(t))
        if tr.shape[0] == 1:  # one point mass: the posterior is that point, whatever x_t
            out = np.repeat(tr, pts.shape[0], axis=0)
        elif schedule.sigma(tt) > 0:
            from .memorization import posterior_weights

            out = np.empty_like(pts)
            step = max(1, _MEMORIZER_BLOCK // tr.shape[0])  # rows of the (points, N) weights
            for i in range(0, pts.shape[0], step):  # blocks of points: memory O(block * N)
                out[i : i + step] = posterior_weights(tr, pts[i : i + step], tt, schedule) @ tr
        else:  # t = 0: x_t = alpha_0 x exactly, so x is the nearest scaled training point
            a = float(schedule.alpha(tt))
            d2 = ((pts[:, None, :] - a * tr[None]) ** 2).sum(axis=2)
            out = tr[d2.argmin(axis=1)]
        return out[0] if single else out

    memorizing.schedule = schedule
    return memorizing
