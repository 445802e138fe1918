"""Inference with a learned model: conditioning a Gaussian mixture on a linear measurement,
conditional and guided denoisers (chapter 8).

Measurement model (chapter 8, section 1): y = A x + sigma_y w with A (m, D), w ~ N(0, I_m).

* ``condition_gaussian`` / ``condition_mixture`` / ``MixtureConditioner``: the exact posterior.
  For a prior sum_k pi_k N(mu_k, Sigma_k) it is again a Gaussian mixture (chapter 8, eq. 8.4):
  pi~_k ~ pi_k N(y; A mu_k, S_k) with S_k = A Sigma_k A^T + sigma_y^2 I,
  mu~_k = mu_k + G_k (y - A mu_k), Sigma~_k = Sigma_k - G_k A Sigma_k, G_k = Sigma_k A^T S_k^{-1}.
  Every component is handled in its own eigenbasis Sigma_k = V_k diag(lambda_k) V_k^T
  (lambda_k > 0 only: a low-rank component never leaves its subspace), through the r_k x r_k
  matrix M_k = I + Lambda^{1/2} B_k^T B_k Lambda^{1/2} / sigma_y^2, B_k = A V_k (the Woodbury /
  low-rank form, eq. 8.5): Sigma~_k = V_k Lambda^{1/2} M_k^{-1} Lambda^{1/2} V_k^T and
  log det S_k = m log sigma_y^2 + log det M_k.
* Conditional denoisers ``denoiser(x, t)`` that ``course_utils.sampling.sample`` accepts:
  ``conditional_denoiser`` (the posterior mixture's own denoiser, exact),
  ``kalman_conditional_denoiser`` (the same function as a Kalman update per component,
  eq. 8.6), ``dps_denoiser`` (diffusion posterior sampling, eq. 8.7, which drops
  A Cov[x|x_t] A^T from the innovation covariance), ``class_conditional_denoiser`` and
  ``guided_denoiser`` / ``cfg_denoiser`` (classifier-free guidance, eq. 8.8).
* Exact checks: ``posterior_covariance`` (Cov[x | x_t], the Jacobian identity eq. 8.3),
  ``measurement_log_likelihood`` (log p(y | x_t), eq. 8.2), ``guided_log_density`` (the tilted
  density CFG denoises), the affine maps of the Gaussian case and ``sampler_affine_map``
  (a DDIM run with an affine denoiser is an affine map of its start: moments propagate exactly).
* ``empirical_posterior_weights`` / ``empirical_posterior_mean``: the memorizer's posterior,
  a mixture of point masses at the training points.

Samples are rows; the schedules are ``VE()`` / ``VP()`` of ``course_utils.schedules``.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, as_points, check_scalar
from .denoisers import responsibilities
from .mixtures import GaussianMixture, _softmax, check_mixture
from .sampling import check_grid
from .schedules import VE, check_schedule

__all__ = [
    "MixtureConditioner",
    "cfg_denoiser",
    "class_conditional_denoiser",
    "component_posterior_means",
    "condition_gaussian",
    "condition_mixture",
    "conditional_denoiser",
    "dps_affine",
    "dps_denoiser",
    "empirical_posterior_mean",
    "empirical_posterior_weights",
    "gaussian_denoiser_affine",
    "guided_denoiser",
    "guided_log_density",
    "kalman_conditional_denoiser",
    "measurement_log_likelihood",
    "posterior_covariance",
    "sampler_affine_map",
]

_LOG_2PI = float(np.log(2.0 * np.pi))


# -- validation ---------------------------------------------------------------------------------
def _one_measurement(A, y, noise_std, D):
    """Validated (A (m, D), y (m,), noise_std > 0) for a single measurement y = A x + noise."""
    A = _check_operator(A, D)
    yy, single = _check_measurements(y, A.shape[0])
    if not single:
        raise ValueError(f"y must be one measurement of shape ({A.shape[0]},)")
    return A, yy[0], _check_noise_std(noise_std)


def _check_operator(A, D):
    A = as_float_array(A, "A", ndim=2)
    if A.shape[0] < 1 or A.shape[1] != D:
        raise ValueError(f"A must have shape (m, D) with m >= 1 and D = {D}, got {A.shape}")
    return A


def _check_noise_std(noise_std):
    return check_scalar(noise_std, "noise_std", low=0, low_open=True)


def _check_measurements(y, m, name="y"):
    """One measurement (m,) or a batch (n, m): returns (n, m) and whether it was one."""
    arr = as_float_array(y, name, ndim=(1, 2))
    single = arr.ndim == 1
    arr2 = arr[None, :] if single else arr
    if arr2.shape[1] != m:
        raise ValueError(f"{name} must have {m} entries (one per row of A), got shape {arr.shape}")
    return arr2, single


def _scalar_t(schedule, t):
    t = check_scalar(schedule.check_t(t), "t")
    return t, float(schedule.alpha(t)), float(schedule.sigma(t))


# -- the linear-Gaussian update of one component, in its own eigenbasis --------------------------
class _Update:
    """Conditioning N(mean, V diag(lam) V^T) on y = A x + sigma_y w, with B = A V given.

    Only columns with lam > 0 are used. With Bs = B Lambda^{1/2} = W diag(beta) Q^T (SVD;
    Q completed to an r x r orthogonal matrix, beta padded with zeros) and s2 = sigma_y^2:
    M = I + Bs^T Bs / s2 = Q diag(1 + beta^2 / s2) Q^T, so that
    S = Bs Bs^T + s2 I has log det S = m log s2 + sum log(1 + beta^2 / s2);
    z = M^{-1} Bs^T r / s2 = Q diag(beta / (s2 + beta^2)) W^T r (r = y - A mean), posterior
    mean = mean + V Lambda^{1/2} z; r^T S^{-1} r = ||r - W W^T r||^2 / s2 +
    sum (W^T r)^2 / (s2 + beta^2); posterior covariance V Lambda^{1/2} M^{-1} Lambda^{1/2} V^T
    with M^{-1} = Q diag(s2 / (s2 + beta^2)) Q^T. Every factor stays bounded however small
    s2 is (no I + huge matrix is inverted).
    """

    def __init__(self, V, lam, B, s2):
        keep = lam > 0
        self.V = V[:, keep]
        self.sqrt_lam = np.sqrt(lam[keep])
        self.s2 = s2
        self.m = B.shape[0]
        r = self.sqrt_lam.size
        Bs = B[:, keep] * self.sqrt_lam
        if r == 0:
            self.W, self.beta, self.Q = np.zeros((self.m, 0)), np.zeros(0), np.zeros((0, 0))
        else:
            W, beta, Qt = np.linalg.svd(Bs, full_matrices=True)
            q = beta.size
            self.W, self.beta, self.Q = W[:, :q], beta, Qt.T  # Q: (r, r), first q columns paired
        self.logdet_S = self.m * np.log(s2) + float(np.log1p(self.beta**2 / s2).sum())

    def apply(self, resid):
        """resid = y - A mean (n, m) -> (log N(y; A mean, S) (n,), mean shift (n, D))."""
        c = resid @ self.W  # (n, q)
        e = resid - c @ self.W.T  # the part of the residual that no coefficient can explain
        d = self.s2 + self.beta**2
        maha = np.einsum("nm,nm->n", e, e) / self.s2 + (c * c / d).sum(axis=1)
        loglik = -0.5 * (self.m * _LOG_2PI + self.logdet_S + maha)
        z = (c * (self.beta / d)) @ self.Q[:, : self.beta.size].T  # (n, r)
        return loglik, (z * self.sqrt_lam) @ self.V.T

    def posterior_factors(self):
        """Posterior covariance as (orthonormal basis (D, r'), positive variances (r',))."""
        r = self.sqrt_lam.size
        if r == 0:
            return self.V, np.zeros(0)
        rho = np.ones(r)
        rho[: self.beta.size] = self.s2 / (self.s2 + self.beta**2)
        F = self.sqrt_lam[:, None] * self.Q * np.sqrt(rho)  # covariance in V coords = F F^T
        Wf, sv, _ = np.linalg.svd(F)
        keep = sv > r * np.finfo(float).eps * max(sv.max(), np.finfo(float).tiny)
        return self.V @ Wf[:, keep], sv[keep] ** 2


# -- exact posterior of a Gaussian and of a Gaussian mixture --------------------------------------
def condition_gaussian(mean, cov, A, y, noise_std):
    """Posterior N(mu_{x|y}, Sigma_{x|y}) of x ~ N(mean, cov) given y = A x + noise_std w
    (chapter 8, eq. 8.4 with K = 1): S = A Sigma A^T + s^2 I, mu + Sigma A^T S^{-1} (y - A mu),
    Sigma - Sigma A^T S^{-1} A Sigma. Returns (mean (D,), cov (D, D))."""
    mu = as_float_array(mean, "mean", ndim=1)
    D = mu.shape[0]
    sig = as_float_array(cov, "cov", ndim=2)
    if sig.shape != (D, D):
        raise ValueError(f"cov must have shape {(D, D)}, got {sig.shape}")
    A, y0, s = _one_measurement(A, y, noise_std, D)
    S = A @ sig @ A.T + s * s * np.eye(A.shape[0])
    G = np.linalg.solve(S, A @ sig).T  # Sigma A^T S^{-1} (S, Sigma symmetric)
    post_mean = mu + G @ (y0 - A @ mu)
    post_cov = sig - G @ A @ sig
    return post_mean, 0.5 * (post_cov + post_cov.T)


class MixtureConditioner:
    """Everything about p(x | y) for a Gaussian-mixture prior that does not depend on y,
    computed once per (A, noise_std) (chapter 8, eqs. 8.4-8.5); then ``weights``, ``means``,
    ``mean`` and ``mixture`` for one measurement or a batch of them (rows)."""

    def __init__(self, gmm, A, noise_std):
        self.gmm = check_mixture(gmm)
        self.A = _check_operator(A, gmm.D)
        self.noise_std = _check_noise_std(noise_std)
        s2 = self.noise_std**2
        self._updates = [_Update(V, lam, self.A @ V, s2) for _, V, lam in gmm.components()]
        with np.errstate(divide="ignore"):
            self._log_pi = np.log(gmm.weights)
        self._A_mu = gmm.means @ self.A.T  # (K, m)

    def _evidence_and_shifts(self, Y):
        Y, single = _check_measurements(Y, self.A.shape[0])
        n, K = Y.shape[0], self.gmm.K
        logev = np.empty((n, K))
        shifts = np.empty((n, K, self.gmm.D))
        for k, up in enumerate(self._updates):
            logev[:, k], shifts[:, k] = up.apply(Y - self._A_mu[k])
        return logev, shifts, single

    def log_evidence(self, Y):
        """log pi_k + log N(y; A mu_k, S_k) per measurement and component: (n, K) or (K,)."""
        logev, _, single = self._evidence_and_shifts(Y)
        out = logev + self._log_pi
        return out[0] if single else out

    def weights(self, Y):
        """Posterior component weights pi~_k (softmax of ``log_evidence``): (n, K) or (K,)."""
        logev, _, single = self._evidence_and_shifts(Y)
        w = _softmax(logev + self._log_pi)
        return w[0] if single else w

    def means(self, Y):
        """Posterior component means mu~_k = mu_k + G_k (y - A mu_k): (n, K, D) or (K, D)."""
        _, shifts, single = self._evidence_and_shifts(Y)
        out = self.gmm.means + shifts
        return out[0] if single else out

    def mean(self, Y):
        """The posterior mean E[x | y] = sum_k pi~_k mu~_k: (n, D) or (D,)."""
        logev, shifts, single = self._evidence_and_shifts(Y)
        w = _softmax(logev + self._log_pi)
        out = np.einsum("nk,nkd->nd", w, self.gmm.means + shifts)
        return out[0] if single else out

    def covariances(self):
        """Posterior component covariances Sigma~_k (K, D, D); they do not depend on y."""
        out = []
        for up in self._updates:
            V, nu = up.posterior_factors()
            out.append((V * nu) @ V.T)
        return np.stack(out)

    def mixture(self, y) -> GaussianMixture:
        """The posterior p(x | y) as a ``GaussianMixture`` (one measurement y of shape (m,))."""
        yy, single = _check_measurements(y, self.A.shape[0])
        if not single:
            raise ValueError(f"y must be one measurement of shape ({self.A.shape[0]},)")
        logev, shifts, _ = self._evidence_and_shifts(yy)
        w = _softmax(logev + self._log_pi)[0]
        means = self.gmm.means + shifts[0]
        factors = [up.posterior_factors() for up in self._updates]
        if all(nu.size > 0 for _, nu in factors):
            return GaussianMixture.low_rank([V for V, _ in factors], w, means,
                                            [nu for _, nu in factors])
        # a point-mass component (no positive variance) stays a point mass: full constructor
        covs = np.stack([(V * nu) @ V.T for V, nu in factors])
        return GaussianMixture(w, means, covs)


def condition_mixture(gmm, A, y, noise_std) -> GaussianMixture:
    """The posterior mixture of x ~ gmm given y = A x + noise_std w, w ~ N(0, I_m) (chapter 8,
    eq. 8.4; low-rank components by eq. 8.5, their posterior stays in their subspace).

    ``A`` (m, D), ``y`` (m,), ``noise_std`` > 0. Weights by log-sum-exp; rank-deficient
    components are conditioned in their own eigenbasis (zero eigenvalues dropped).
    """
    return MixtureConditioner(gmm, A, noise_std).mixture(y)


# -- per-component posteriors given x_t ---------------------------------------------------------
def _component_gains(gmm, a, s2):
    """Per component: (basis V (D, r), mean gain a lam / d, covariance c = lam s2 / d), with
    d = a^2 lam + s2 (Cov[x | x_t, k] = V diag(c) V^T, zero off the basis)."""
    out = []
    for _, V, lam in gmm.components():
        d = a * a * lam + s2
        out.append((V, a * lam / d, lam * s2 / d))
    return out


def _component_means(gmm, pts, a, gains):
    """E[x | x_t, k] = mu_k + V_k diag(a lam / d) V_k^T (x_t - a mu_k) for every k: (n, K, D).

    The coordinates on all K bases come from one product with the stacked basis (D, R)."""
    g = np.concatenate([gk for _, gk, _ in gains])  # (R,)
    z = (pts @ gmm._V - a * gmm._Vmu) * g  # (n, R): gain times (x_t - a mu_k)^T v
    out = np.empty((pts.shape[0], gmm.K, gmm.D))
    for k, (V, _, _) in enumerate(gains):
        o = gmm._offsets[k]
        out[:, k] = gmm.means[k] + z[:, o : o + V.shape[1]] @ V.T
    return out


def component_posterior_means(gmm, x_t, t, schedule=None):
    """E[x | x_t, component k] for every k, shape (n, K, D) or (K, D) (chapter 3, eq. 8 before
    the weighting; chapter 8 uses them for the Kalman form and for guidance). Needs t > 0."""
    gmm = check_mixture(gmm)
    schedule = VE() if schedule is None else check_schedule(schedule)
    pts, single = as_points(x_t, "x_t", gmm.D)
    _, a, s = _scalar_t(schedule, t)
    if s <= 0:
        raise ValueError("t must be > 0 (at t = 0, x = x_t)")
    out = _component_means(gmm, pts, a, _component_gains(gmm, a, s * s))
    return out[0] if single else out


def posterior_covariance(gmm, x_t, t, schedule=None):
    """Cov[x | x_t] for a Gaussian mixture, shape (n, D, D) or (D, D) (chapter 8, eq. 8.3: the
    Jacobian of E[x | x_t] is (alpha_t / sigma_t^2) times this matrix). Law of total
    covariance: sum_k r_k (C_k + m_k m_k^T) - xbar xbar^T. Needs t > 0."""
    gmm = check_mixture(gmm)
    schedule = VE() if schedule is None else check_schedule(schedule)
    pts, single = as_points(x_t, "x_t", gmm.D)
    _, a, s = _scalar_t(schedule, t)
    if s <= 0:
        raise ValueError("t must be > 0 for Cov[x | x_t]")
    gains = _component_gains(gmm, a, s * s)
    r = responsibilities(gmm, pts, t, schedule)
    mk = _component_means(gmm, pts, a, gains)
    xbar = np.einsum("nk,nkd->nd", r, mk)
    cov = np.einsum("nk,nkd,nke->nde", r, mk, mk) - np.einsum("nd,ne->nde", xbar, xbar)
    for k, (V, _, c) in enumerate(gains):
        cov += r[:, k, None, None] * ((V * c) @ V.T)
    cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
    return cov[0] if single else cov


def _cov_times(gmm, r, mk, xbar, gains, v):
    """Cov[x | x_t] v per point without forming D x D matrices: (n, D). Law of total
    covariance: sum_k r_k (C_k v + m_k (m_k . v)) - xbar (xbar . v)."""
    out = np.einsum("nk,nkd,nk->nd", r, mk, np.einsum("nkd,nd->nk", mk, v))
    out -= xbar * np.einsum("nd,nd->n", xbar, v)[:, None]
    c = np.concatenate([ck for _, _, ck in gains])  # (R,)
    out += ((v @ gmm._V) * c * r[:, gmm._col_comp]) @ gmm._V.T
    return out


def _kalman_terms(gmm, updates_B, A, y, s2, pts, a, s2_t, schedule, t):
    """log r_k(x_t) + log N(y; A m_k, A C_k A^T + s2 I) (n, K) and the updated means (n, K, D)."""
    gains = _component_gains(gmm, a, s2_t)
    mk = _component_means(gmm, pts, a, gains)
    r = responsibilities(gmm, pts, t, schedule)
    with np.errstate(divide="ignore"):
        logits = np.log(r)
    upd = np.empty_like(mk)
    for k, ((V, _, c), B) in enumerate(zip(gains, updates_B, strict=True)):
        u = _Update(V, c, B, s2)
        ll, shift = u.apply(y - mk[:, k] @ A.T)
        logits[:, k] += ll
        upd[:, k] = mk[:, k] + shift
    return logits, upd


def measurement_log_likelihood(gmm, A, y, noise_std, x_t, t, schedule=None):
    """log p(y | x_t) = log sum_k r_k(x_t) N(y; A m_k, A C_k A^T + sigma_y^2 I) (chapter 8,
    eq. 8.2; m_k, C_k: component k's posterior mean and covariance given x_t). Shape (n,) or
    a scalar. Needs t > 0."""
    gmm = check_mixture(gmm)
    A, y0, s = _one_measurement(A, y, noise_std, gmm.D)
    schedule = VE() if schedule is None else check_schedule(schedule)
    pts, single = as_points(x_t, "x_t", gmm.D)
    _, a, st = _scalar_t(schedule, t)
    if st <= 0:
        raise ValueError("t must be > 0 for log p(y | x_t)")
    Bs = [A @ V for _, V, _ in gmm.components()]
    logits, _ = _kalman_terms(gmm, Bs, A, y0, s * s, pts, a, st * st, schedule, t)
    mx = logits.max(axis=1, keepdims=True)
    out = (mx + np.log(np.exp(logits - mx).sum(axis=1, keepdims=True)))[:, 0]
    return out[0] if single else out


# -- conditional denoisers (callables denoiser(x, t) for course_utils.sampling.sample) -----------
def _wrap(fn, schedule, name):
    fn.schedule = schedule
    fn.__name__ = name
    return fn


def conditional_denoiser(gmm, A, y, noise_std, schedule=None):
    """The exact conditional denoiser E[x | x_t, y] (chapter 8, eq. 8.6): since x_t and y are
    independent given x, it is the ordinary denoiser of the posterior mixture p(x | y)."""
    schedule = VE() if schedule is None else check_schedule(schedule)
    post = condition_mixture(gmm, A, y, noise_std)
    return _wrap(post.denoiser(schedule), schedule, "conditional_denoiser")


def kalman_conditional_denoiser(gmm, A, y, noise_std, schedule=None):
    """E[x | x_t, y] in Kalman form (chapter 8, eq. 8.6, second line): per component k, the
    posterior m_k, C_k given x_t is updated with y, m_k + C_k A^T (A C_k A^T + s^2 I)^{-1}
    (y - A m_k), and re-weighted by r_k(x_t) N(y; A m_k, A C_k A^T + s^2 I). Equal to
    ``conditional_denoiser``; computed from the prior only."""
    gmm = check_mixture(gmm)
    A, y0, s = _one_measurement(A, y, noise_std, gmm.D)
    schedule = VE() if schedule is None else check_schedule(schedule)
    Bs = [A @ V for _, V, _ in gmm.components()]

    def kalman(x_t, t):
        pts, one = as_points(x_t, "x_t", gmm.D)
        tt, a, st = _scalar_t(schedule, t)
        if st <= 0:
            return pts[0].copy() if one else pts.copy()
        logits, upd = _kalman_terms(gmm, Bs, A, y0, s * s, pts, a, st * st, schedule, tt)
        out = np.einsum("nk,nkd->nd", _softmax(logits), upd)
        return out[0] if one else out

    return _wrap(kalman, schedule, "kalman_conditional_denoiser")


def dps_denoiser(gmm, A, y, noise_std, schedule=None):
    """Diffusion posterior sampling's denoiser (chapter 8, eq. 8.7):
    xbar + (sigma_t^2 / alpha_t) J^T A^T (y - A xbar) / sigma_y^2 = xbar + C_t A^T (y - A xbar)
    / sigma_y^2, with xbar = E[x | x_t] and C_t = Cov[x | x_t] (the Jacobian identity). The
    second form stays finite as alpha_t -> 0 (VP, t -> 1). Compared with the exact Kalman
    update it drops A C_t A^T from the innovation covariance."""
    gmm = check_mixture(gmm)
    A, y0, s = _one_measurement(A, y, noise_std, gmm.D)
    schedule = VE() if schedule is None else check_schedule(schedule)

    def dps(x_t, t):
        pts, one = as_points(x_t, "x_t", gmm.D)
        tt, a, st = _scalar_t(schedule, t)
        if st <= 0:
            return pts[0].copy() if one else pts.copy()
        gains = _component_gains(gmm, a, st * st)
        r = responsibilities(gmm, pts, tt, schedule)
        mk = _component_means(gmm, pts, a, gains)
        xbar = np.einsum("nk,nkd->nd", r, mk)
        v = ((y0 - xbar @ A.T) @ A) / (s * s)
        out = xbar + _cov_times(gmm, r, mk, xbar, gains, v)
        return out[0] if one else out

    return _wrap(dps, schedule, "dps_denoiser")


def _check_label(label, K, n=None):
    lab = np.asarray(label)
    if lab.ndim > 1 or not np.issubdtype(lab.dtype, np.integer):
        raise ValueError(f"label must be an integer or a 1-D array of integers, got {label!r}")
    if np.any(lab < 0) or np.any(lab >= K):
        raise ValueError(f"label must lie in 0..{K - 1} (one class per component), got {label!r}")
    if lab.ndim == 1 and n is not None and lab.shape[0] != n:
        raise ValueError(f"label must have one entry per point ({n}), got {lab.shape[0]}")
    return lab


def _labelled_component_means(gmm, label, schedule, x_t, t):
    """(points, single, labels, t, m) with m (n, K, D) the per-component posterior means
    E[x | x_t, component k]; m is None at sigma_t = 0, where x_t is x itself."""
    pts, one = as_points(x_t, "x_t", gmm.D)
    lab = _check_label(label, gmm.K, pts.shape[0])
    tt, a, st = _scalar_t(schedule, t)
    if st <= 0:
        return pts, one, lab, tt, None
    return pts, one, lab, tt, _component_means(gmm, pts, a, _component_gains(gmm, a, st * st))


def _of_label(mk, lab):
    """The mean of each point's own component: mk[:, label] (one label) or mk[i, label_i]."""
    return mk[:, int(lab)] if lab.ndim == 0 else mk[np.arange(mk.shape[0]), lab]


def class_conditional_denoiser(gmm, label, schedule=None):
    """E[x | x_t, class = label] for a mixture whose class is its component (chapter 8,
    section 6): the denoiser of component ``label`` alone. ``label`` is an int or one int per
    point."""
    gmm = check_mixture(gmm)
    lab0 = _check_label(label, gmm.K)
    schedule = VE() if schedule is None else check_schedule(schedule)

    def cond(x_t, t):
        pts, one, lab, _, mk = _labelled_component_means(gmm, lab0, schedule, x_t, t)
        if mk is None:  # sigma_t = 0: x_t is x
            return pts[0].copy() if one else pts.copy()
        out = _of_label(mk, lab)
        return out[0] if one else out

    return _wrap(cond, schedule, "class_conditional_denoiser")


def cfg_denoiser(uncond, cond, gamma):
    """Classifier-free guidance (chapter 8, eq. 8.8): (1 - gamma) uncond(x, t) + gamma cond(x, t).
    gamma = 0 is unconditional, 1 the exact conditional, > 1 guidance (Ho & Salimans' w is
    gamma - 1)."""
    if not (callable(uncond) and callable(cond)):
        raise ValueError("uncond and cond must be callables denoiser(x, t)")
    g = check_scalar(gamma, "gamma")

    def guided(x_t, t):
        return (1.0 - g) * np.asarray(uncond(x_t, t)) + g * np.asarray(cond(x_t, t))

    guided.gamma = g
    return _wrap(guided, getattr(cond, "schedule", None), "cfg_denoiser")


def guided_denoiser(gmm, label, gamma, schedule=None):
    """The CFG denoiser of a mixture whose class is its component (chapter 8, eq. 8.8):
    (1 - gamma) E[x | x_t] + gamma E[x | x_t, class = label]. Equal to ``cfg_denoiser`` of
    ``gmm.denoiser`` and ``class_conditional_denoiser``, computed in one pass (both terms use
    the same per-component means). ``label``: an int or one int per point."""
    gmm = check_mixture(gmm)
    lab0 = _check_label(label, gmm.K)
    g = check_scalar(gamma, "gamma")
    schedule = VE() if schedule is None else check_schedule(schedule)

    def guided(x_t, t):
        pts, one, lab, tt, mk = _labelled_component_means(gmm, lab0, schedule, x_t, t)
        if mk is None:  # sigma_t = 0: x_t is x
            return pts[0].copy() if one else pts.copy()
        uncond = np.einsum("nk,nkd->nd", responsibilities(gmm, pts, tt, schedule), mk)
        out = (1.0 - g) * uncond + g * _of_label(mk, lab)
        return out[0] if one else out

    guided.gamma = g
    return _wrap(guided, schedule, "guided_denoiser")


def guided_log_density(gmm, label, gamma, x_t, t, schedule=None):
    """log of the tilted density p_t(x)^{1 - gamma} p_t(x | label)^gamma (unnormalized) that the
    CFG denoiser denoises at noise level t (chapter 8, eq. 8.9): the guided denoiser equals
    (x_t + sigma_t^2 grad log of this) / alpha_t. Shape (n,) or a scalar; needs t > 0."""
    gmm = check_mixture(gmm)
    lab = int(_check_label(label, gmm.K))
    g = check_scalar(gamma, "gamma")
    comp = gmm.component_logpdf(x_t, t, schedule)
    comp2 = np.atleast_2d(comp)
    mx = comp2.max(axis=1, keepdims=True)
    log_p = (mx + np.log(np.exp(comp2 - mx).sum(axis=1, keepdims=True)))[:, 0]
    with np.errstate(divide="ignore"):
        log_cond = comp2[:, lab] - np.log(gmm.weights[lab])
    out = (1.0 - g) * log_p + g * log_cond
    return out[0] if np.ndim(comp) == 1 else out


# -- the Gaussian case as affine maps, and exact moments of a DDIM run ---------------------------
def _gaussian_parts(mean, cov):
    mu = as_float_array(mean, "mean", ndim=1)
    D = mu.shape[0]
    sig = as_float_array(cov, "cov", ndim=2)
    if sig.shape != (D, D):
        raise ValueError(f"cov must have shape {(D, D)}, got {sig.shape}")
    return mu, sig, D


def gaussian_denoiser_affine(mean, cov, t, schedule=None):
    """E[x | x_t] = M x_t + b for x ~ N(mean, cov) (chapter 2): M = alpha Sigma (alpha^2 Sigma
    + sigma^2 I)^{-1}, b = mu - alpha M mu. Returns (M (D, D), b (D,)); needs t > 0."""
    mu, sig, D = _gaussian_parts(mean, cov)
    schedule = VE() if schedule is None else check_schedule(schedule)
    _, a, s = _scalar_t(schedule, t)
    if s <= 0:
        raise ValueError("t must be > 0")
    M = np.linalg.solve(a * a * sig + s * s * np.eye(D), a * sig).T
    return M, mu - a * (M @ mu)


def dps_affine(mean, cov, A, y, noise_std, t, schedule=None):
    """The DPS denoiser of a Gaussian prior as an affine map (chapter 8, eq. 8.7):
    xbar + C_t A^T (y - A xbar) / sigma_y^2 with C_t = Sigma - alpha M Sigma. Returns (M, b)."""
    mu, sig, D = _gaussian_parts(mean, cov)
    A, y0, s_y = _one_measurement(A, y, noise_std, D)
    schedule = VE() if schedule is None else check_schedule(schedule)
    M, b = gaussian_denoiser_affine(mu, sig, t, schedule)
    a = float(schedule.alpha(t))
    C = sig - a * (M @ sig)
    C = 0.5 * (C + C.T)
    Kg = C @ A.T / s_y**2
    F = np.eye(D) - Kg @ A
    return F @ M, F @ b + Kg @ y0


def sampler_affine_map(affine, schedule, L=None, grid=None):
    """The DDIM run (``course_utils.sampling.sample``) with an affine denoiser xbar = M_t x + b_t
    is an affine map of its start: x_0 = F x_T + c. ``affine(t)`` returns (M_t, b_t). Returns
    (F, c); the output law from x_T ~ N(m, P) is N(F m + c, F P F^T) exactly (chapter 8,
    the 2-D DPS example and the guided 1-D example)."""
    if not callable(affine):
        raise ValueError("affine must be a callable t -> (M, b)")
    schedule = check_schedule(schedule)
    if grid is None:
        if L is None:
            raise ValueError("L must be given when grid is not")
        ts = schedule.grid(L)
    else:
        ts = check_grid(grid, schedule)
    alphas, sigmas = schedule.alpha(ts), schedule.sigma(ts)
    F, c = None, None
    for l in range(ts.size - 1, 0, -1):
        M, b = affine(ts[l])
        M, b = np.atleast_2d(M), np.atleast_1d(b)
        if F is None:
            F, c = np.eye(M.shape[0]), np.zeros(M.shape[0])
        ratio = sigmas[l - 1] / sigmas[l]
        w = alphas[l - 1] - ratio * alphas[l]
        step = ratio * np.eye(M.shape[0]) + w * M
        F, c = step @ F, step @ c + w * b
    return F, c


# -- the memorizer's posterior ------------------------------------------------------------------
def empirical_posterior_weights(train, A, Y, noise_std):
    """Posterior weights of the training points for the empirical prior (1/N) sum_i delta_{x_i}
    given y = A x + noise_std w (chapter 8, section 7): softmax_i(-||y - A x_i||^2 /
    (2 noise_std^2)), by log-sum-exp. ``Y`` (m,) or (n, m); returns (N,) or (n, N)."""
    tr = as_float_array(train, "train", ndim=2)
    if tr.shape[0] < 1:
        raise ValueError("train must hold at least one point")
    A = _check_operator(A, tr.shape[1])
    Yb, single = _check_measurements(Y, A.shape[0], "Y")
    s = _check_noise_std(noise_std)
    Ax = tr @ A.T  # (N, m)
    d2 = (np.einsum("nm,nm->n", Yb, Yb)[:, None] - 2.0 * Yb @ Ax.T
          + np.einsum("im,im->i", Ax, Ax)[None, :])
    w = _softmax(-0.5 * np.maximum(d2, 0.0) / (s * s))
    return w[0] if single else w


def empirical_posterior_mean(train, A, Y, noise_std):
    """E[x | y] under the empirical prior: the weighted mean of the training points."""
    w = empirical_posterior_weights(train, A, Y, noise_std)
    return w @ as_float_array(train, "train", ndim=2)
