"""Gaussian mixtures x ~ sum_k pi_k N(mu_k, Sigma_k) (chapter 3, source eq. 7).

Every component is stored factored, Sigma_k = V_k diag(lambda_k) V_k^T with V_k a (D, r_k)
matrix of orthonormal columns:

* a full covariance is eigendecomposed once (r_k = D, zero eigenvalues kept as exact zeros);
* a low-rank component U_k U_k^T (``GaussianMixture.low_rank``) keeps its basis (r_k = P_k).

For any noise level the noised covariance alpha^2 Sigma_k + sigma^2 I has eigenvalues
alpha^2 lambda + sigma^2 in the same basis (and sigma^2 on the complement of a low-rank basis,
the Woodbury form), so no matrix is factorized per t: every t is a diagonal rescaling.
All K bases sit side by side in one (D, R) matrix, so one matrix product projects a block of
points onto every component at once.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    as_float_array,
    as_points,
    check_memory,
    check_orthonormal,
    check_psd,
    check_rng,
    check_scalar,
    check_weights,
)
from .schedules import VE, check_schedule

_LOG_2PI = float(np.log(2.0 * np.pi))
_BLOCK_ELEMENTS = 2**18  # points x columns per block (at least 256 points: GEMMs need rows)
_CANCELLATION = 1e-2  # recompute a Woodbury residual that kept less than ~2 digits
_NEAR_SUBSPACE = 1e-6  # careful path: |r|^2 / |y|^2 below this loses > 3 digits of r


class GaussianMixture:
    """A Gaussian mixture with weights (K,), means (K, D) and covariances (K, D, D).

    Samples are rows: ``sample(n, rng)`` returns an (n, D) array.
    """

    def __init__(self, weights, means, covs):
        means = as_float_array(means, "means", ndim=2)
        k, d = means.shape
        if k < 1 or d < 1:
            raise ValueError(f"means must have shape (K, D) with K, D >= 1, got {means.shape}")
        weights = check_weights(weights, "weights", k)
        covs = as_float_array(covs, "covs", ndim=3)
        if covs.shape != (k, d, d):
            raise ValueError(f"covs must have shape (K, D, D) = {(k, d, d)}, got {covs.shape}")
        lams, bases = [], []
        for i in range(k):
            lam, vec = check_psd(covs[i], f"covs[{i}]", d)
            lams.append(lam)
            bases.append(vec)
        self._build(weights, means, bases, lams)

    @classmethod
    def low_rank(cls, bases, weights=None, means=None, variances=None):
        """The mixture sum_k pi_k N(mu_k, U_k diag(v_k) U_k^T) with orthonormal U_k (D, P_k).

        Ranks P_k may differ. ``means`` default to 0, ``weights`` to uniform 1/K and
        ``variances`` (one positive array of length P_k per component) to ones, giving the
        source's covariances U_k U_k^T (chapter 3, eq. 13).
        """
        if isinstance(bases, np.ndarray) and bases.ndim == 3:
            bases = list(bases)
        if not isinstance(bases, (list, tuple)) or len(bases) == 0:
            raise ValueError("bases must be a non-empty list of (D, P_k) orthonormal matrices")
        d = np.asarray(bases[0]).shape[0] if np.asarray(bases[0]).ndim == 2 else None
        us = [check_orthonormal(u, f"bases[{i}]", d) for i, u in enumerate(bases)]
        d = us[0].shape[0]
        k = len(us)
        weights = np.full(k, 1.0 / k) if weights is None else check_weights(weights, "weights", k)
        if means is None:
            means = np.zeros((k, d))
        else:
            means = as_float_array(means, "means", ndim=2)
            if means.shape != (k, d):
                raise ValueError(f"means must have shape (K, D) = {(k, d)}, got {means.shape}")
        if variances is None:
            lams = [np.ones(u.shape[1]) for u in us]
        else:
            if len(variances) != k:
                raise ValueError(f"variances must have one entry per component (K={k})")
            lams = []
            for i, (v, u) in enumerate(zip(variances, us, strict=True)):
                v = as_float_array(v, f"variances[{i}]", ndim=1)
                if v.shape != (u.shape[1],) or np.any(v <= 0):
                    raise ValueError(
                        f"variances[{i}] must be {u.shape[1]} positive numbers, got {v}"
                    )
                lams.append(v)
        self = cls.__new__(cls)
        self._build(weights, means, us, lams)
        return self

    # -- construction -------------------------------------------------------------------
    def _build(self, weights, means, bases, lams):
        # Every array is a private copy made read-only: the factors below are computed once
        # from them, so changing a parameter in place would leave them stale (a new mixture
        # is the way to change a parameter).
        self._weights = _frozen(weights)
        self._means = _frozen(means)
        self._K, self._D = self._means.shape
        self._bases = [_frozen(b) for b in bases]
        self._lams = [_frozen(v) for v in lams]
        self._ranks = _frozen([b.shape[1] for b in self._bases], dtype=int)
        ranks = self._ranks
        self._V = _frozen(np.concatenate(self._bases, axis=1))  # (D, R)
        self._lam = _frozen(np.concatenate(self._lams))  # (R,)
        self._offsets = np.concatenate([[0], np.cumsum(ranks)[:-1]])
        self._col_comp = np.repeat(np.arange(self._K), ranks)
        self._low_rank = ranks < self._D  # components with a complement (Woodbury term)
        self._equal_ranks = bool(np.all(ranks == ranks[0]))
        # v^T mu for each column, with mu the mean of that column's own component
        self._Vmu = np.einsum("dr,rd->r", self._V, self._means[self._col_comp])
        self._mu_sq = np.einsum("kd,kd->k", self._means, self._means)
        with np.errstate(divide="ignore"):
            self._log_pi = np.log(self._weights)
        self._degenerate = np.array([np.any(v == 0) for v in self._lams]) | self._low_rank
        # smallest eigenvalue of any covariance (0 if one is singular or low-rank) and the
        # largest |mean| entry: they bound the Mahalanobis terms (see _overflow_rows)
        self._lam_min = 0.0 if np.any(self._degenerate) else float(self._lam.min())
        self._mu_max = float(np.abs(self._means).max())
        for arr in (self._offsets, self._col_comp, self._low_rank, self._Vmu, self._mu_sq,
                    self._log_pi, self._degenerate):
            arr.flags.writeable = False

    # -- public properties --------------------------------------------------------------
    @property
    def weights(self) -> np.ndarray:
        """Mixture weights pi (K,) (read-only)."""
        return self._weights

    @property
    def means(self) -> np.ndarray:
        """Component means (K, D) (read-only)."""
        return self._means

    @property
    def ranks(self) -> np.ndarray:
        """Rank r_k of each covariance factor (K,): D for a full component (read-only)."""
        return self._ranks

    @property
    def K(self) -> int:
        """Number of components."""
        return self._K

    @property
    def D(self) -> int:
        """Dimension."""
        return self._D

    @property
    def covs(self) -> np.ndarray:
        """Covariances (K, D, D), rebuilt from the factors."""
        return np.stack([(b * v) @ b.T for b, v in zip(self._bases, self._lams, strict=True)])

    def components(self):
        """List of (mean, basis V_k (D, r_k), eigenvalues lambda_k (r_k,)) per component."""
        return [(self.means[i], self._bases[i], self._lams[i]) for i in range(self.K)]

    def __repr__(self):
        kind = "low-rank" if np.all(self._low_rank) else "full"
        return f"GaussianMixture(K={self.K}, D={self.D}, {kind})"

    # -- sampling -----------------------------------------------------------------------
    def sample(self, n, rng, return_labels=False):
        """n samples as rows (n, D); ``rng`` is a ``numpy.random.Generator``."""
        n = check_scalar(n, "n", low=0, integer=True)
        check_rng(rng)
        check_memory(n * (self.D + 1), "n")
        labels = rng.choice(self.K, size=n, p=self.weights)
        x = np.empty((n, self.D))
        for k in range(self.K):
            idx = np.flatnonzero(labels == k)
            g = rng.standard_normal((idx.size, self.ranks[k]))
            x[idx] = self.means[k] + (g * np.sqrt(self._lams[k])) @ self._bases[k].T
        return (x, labels) if return_labels else x

    # -- densities ----------------------------------------------------------------------
    def noised(self, schedule, t) -> GaussianMixture:
        """The mixture law of x_t = alpha_t x + sigma_t g: means alpha mu_k, covariances
        alpha^2 Sigma_k + sigma^2 I (chapter 2; source eq. 8's denominators)."""
        schedule = check_schedule(schedule)
        t = check_scalar(schedule.check_t(t), "t")
        a, s = float(schedule.alpha(t)), float(schedule.sigma(t))
        covs = a * a * self.covs + s * s * np.eye(self.D)
        return GaussianMixture(self.weights, a * self.means, covs)

    def component_logpdf(self, x, t=0.0, schedule=None):
        """log(pi_k phi(x; alpha mu_k, alpha^2 Sigma_k + sigma^2 I)) per point and k: (n, K)."""
        pts, single = as_points(x, "x", self.D)
        a, s2 = self._alpha_sigma2(t, schedule, pts.shape[0])
        self._check_nondegenerate(s2, "logpdf")
        risky = self._overflow_rows(pts, a, s2)
        if np.any(risky):  # |x| huge for this noise level: per-row scaled terms
            out = np.empty((pts.shape[0], self.K))
            out[~risky] = self._logits(pts[~risky], *_rows(a, s2, ~risky))
            ar, sr = _rows(a, s2, risky)
            n_r = int(risky.sum())
            base, maha, e, _, _ = self._careful_terms(
                pts[risky], np.broadcast_to(np.reshape(ar, (-1, 1)), (n_r, 1)),
                np.broadcast_to(np.reshape(sr, (-1, 1)), (n_r, 1)))
            with np.errstate(over="ignore"):
                out[risky] = base - 0.5 * np.ldexp(maha, 2 * e[:, None])
            if np.any(np.isinf(out[risky]) & np.isfinite(self._log_pi)):
                raise ValueError(
                    "x is too far from the mixture for this noise level: its log density "
                    "is below the float range (~ -1.8e308)"
                )
        else:
            out = self._logits(pts, a, s2)
        out = out - 0.5 * self.D * _LOG_2PI
        return out[0] if single else out

    def logpdf(self, x, t=0.0, schedule=None):
        """log p_t(x), the log density of x_t (t = 0: of x itself), by log-sum-exp."""
        c = np.atleast_2d(self.component_logpdf(x, t, schedule))
        m = c.max(axis=1, keepdims=True)
        out = (m + np.log(np.exp(c - m).sum(axis=1, keepdims=True)))[:, 0]
        return out[0] if np.ndim(x) == 1 else out

    def denoiser(self, schedule=None, dtype=np.float64):
        """The exact Bayes-optimal denoiser as a callable ``(x_t, t) -> E[x | x_t]``
        (``dtype=np.float32``: faster single-precision products, see ``posterior_mean``)."""
        from .denoisers import posterior_mean

        schedule = VE() if schedule is None else check_schedule(schedule)

        def bayes_denoiser(x_t, t):
            return posterior_mean(self, x_t, t, schedule, dtype=dtype)

        bayes_denoiser.schedule = schedule
        return bayes_denoiser

    def condition(self, A, y, noise_std) -> GaussianMixture:
        """The posterior mixture of x given one measurement y = A x + noise_std * w,
        w ~ N(0, I) (chapter 8): weights, means and covariances in closed form.

        ``A`` has shape (m, D), ``y`` shape (m,), ``noise_std`` > 0. See
        ``course_utils.inference.condition_mixture``, which implements it.
        """
        from .inference import condition_mixture

        return condition_mixture(self, A, y, noise_std)

    # -- the computational core ---------------------------------------------------------
    def _alpha_sigma2(self, t, schedule, n):
        schedule = VE() if schedule is None else check_schedule(schedule)
        t = schedule.check_t(t)
        if t.ndim == 1 and t.shape[0] != n:
            raise ValueError(f"t must be a scalar or have one entry per point ({n}), got {t.shape}")
        a = schedule.alpha(t)
        s2 = schedule.sigma(t) ** 2
        return a, s2

    def _check_nondegenerate(self, s2, what):
        if np.any(np.asarray(s2) == 0) and np.any(self._degenerate):
            raise ValueError(
                f"{what} at t = 0 is undefined for a mixture with singular (low-rank) "
                "covariances: the density is degenerate. Use t > 0."
            )

    def _block_size(self):
        return max(256, _BLOCK_ELEMENTS // max(self._V.shape[1], self.D))

    def _logits(self, x, a, s2, out_mean=None, dtype=np.float64):
        """Log of pi_k phi(x; a mu_k, a^2 Sigma_k + s2 I) up to -D/2 log(2 pi), shape (n, K).

        With ``out_mean`` (n, D) given, also writes the posterior mean E[x_0 | x_t = x] there
        (source eq. 8 in its alpha/sigma form). ``a`` and ``s2`` are scalars or (n,) arrays.
        ``dtype=np.float32`` runs the two large matrix products (and the work on their
        (n, R) results) in single precision, about twice as fast; everything else, and the
        results, stay float64.
        """
        n = x.shape[0]
        logits = np.empty((n, self.K))
        per_point = np.ndim(a) == 1 or np.ndim(s2) == 1
        if per_point:
            a = np.broadcast_to(np.asarray(a, float), (n,))
            s2 = np.broadcast_to(np.asarray(s2, float), (n,))
            prep = None
        else:
            a, s2 = float(a), float(s2)
            prep = self._prepare(a, s2, want_mean=out_mean is not None, dtype=dtype)
        step = self._block_size()
        for i0 in range(0, n, step):
            sl = slice(i0, min(n, i0 + step))
            ab = a[sl, None] if per_point else a
            sb = s2[sl, None] if per_point else s2
            self._block(x[sl], ab, sb, logits[sl], None if out_mean is None else out_mean[sl],
                        prep, dtype)
        return logits

    def _reduce(self, cols):
        """Sum an (m, R) array over each component's columns -> (m, K)."""
        if self._equal_ranks:
            return cols.reshape(cols.shape[0], self.K, self.ranks[0]).sum(axis=2)
        return np.add.reduceat(cols, self._offsets, axis=1)

    def _logdet(self, d, s2):
        """log det(a^2 Sigma_k + s2 I) from the noised eigenvalues d: (1, K) or (m, K)."""
        logdet = self._reduce(np.log(np.atleast_2d(d)))
        if np.any(self._low_rank):
            # off a low-rank basis the noised covariance is s2 I (0 for full components)
            logdet = logdet + (self.D - self.ranks) * np.log(s2)
        return logdet

    def _prepare(self, a, s2, want_mean, dtype=np.float64):
        """Fold one noise level into the stacked basis (scalar a, s2): O(D R), once per call.

        With d = a^2 lambda + s2 the noised eigenvalues, the scaled coordinates
        zs = (x - a mu_k)^T v / sqrt(d) = x^T (v / sqrt(d)) - a v^T mu_k / sqrt(d) come out of
        one GEMM, and the posterior-mean coefficient a lambda / d on z becomes
        a lambda / sqrt(d) on zs, folded into the output matrix.
        """
        d = (a * a) * self._lam + s2
        sqrt_d = np.sqrt(d)
        prep = {
            "Vs": (self._V / sqrt_d).astype(dtype, copy=False),
            "bias": (-a * self._Vmu / sqrt_d).astype(dtype, copy=False),
            "sqrt_d": sqrt_d,
            "logdet": self._logdet(d, s2),
        }
        if want_mean:
            prep["Vout"] = (((a * self._lam) / sqrt_d)[:, None] * self._V.T).astype(dtype,
                                                                               copy=False)
        return prep

    def _block(self, xb, a, s2, logits_out, mean_out, prep, dtype=np.float64):
        # Scaled coordinates zs of y_k = x - a mu_k in component k's eigenbasis, divided by
        # sqrt(a^2 lambda + s2), for every k at once: one GEMM onto the K bases side by side.
        xg = xb if dtype == np.float64 else xb.astype(dtype)  # the GEMM operand
        if prep is not None:  # one noise level for the block: scalings live in the matrices
            zs = xg @ prep["Vs"]
            zs += prep["bias"]
            sqrt_d, logdet, row_coef = prep["sqrt_d"], prep["logdet"], None
        else:  # one noise level per point
            d = (a * a) * self._lam + s2  # (m, R)
            sqrt_d = np.sqrt(d)
            zs = ((xg @ self._V.astype(dtype, copy=False) - a * self._Vmu) / sqrt_d).astype(
                dtype, copy=False)
            logdet = self._logdet(d, s2)
            row_coef = (a * self._lam) / sqrt_d
        zs2 = zs * zs
        maha = self._reduce(zs2).astype(np.float64)  # (m, K): sum over bases of (v^T y)^2 / d
        if np.any(self._low_rank):
            # Woodbury: off a low-rank basis the noised covariance is s2 I (s2 > 0 here,
            # since t = 0 is refused for degenerate mixtures), so it adds ||residual||^2 / s2
            # to the Mahalanobis term.
            lr = np.flatnonzero(self._low_rank)
            maha[:, lr] += self._residual_sq(xb, a, zs, zs2 * (sqrt_d * sqrt_d), sqrt_d, lr) / s2
        logits_out[...] = self._log_pi - 0.5 * (logdet + maha)
        if mean_out is None:
            return
        w = _softmax(logits_out)
        wg = w.astype(zs.dtype, copy=False)
        # E[x | x_t, k] = mu_k + V_k diag(a lambda / d) V_k^T (x_t - a mu_k), weighted by w_k
        if self._equal_ranks:
            m = zs.shape[0]
            zw = (zs.reshape(m, self.K, -1) * wg[:, :, None]).reshape(m, -1)
        else:
            zw = zs * wg[:, self._col_comp]
        np.matmul(w, self.means, out=mean_out)
        if row_coef is None:
            mean_out += zw @ prep["Vout"]
        else:
            mean_out += (zw * row_coef.astype(zw.dtype, copy=False)) @ self._V.T.astype(
                zw.dtype, copy=False)

    def _residual_sq(self, xb, a, zs, z2, sqrt_d, lr):
        """||y_k - U_k U_k^T y_k||^2 with y_k = x - a mu_k, for the low-rank components lr.

        ``z2`` holds the squared unscaled coordinates (v^T y_k)^2. Computed as
        ||y_k||^2 - ||U_k^T y_k||^2 (no extra GEMM). That difference cancels when x_t lies
        close to a subspace (small t): where it keeps less than about two of its digits
        (below 1/100 of the terms it came from), the residual is recomputed directly.
        """
        x2 = np.einsum("md,md->m", xb, xb)[:, None]
        xmu = xb @ self.means[lr].T  # (m, K_lr)
        amu2 = (a * a) * self._mu_sq[lr]
        resid = (x2 - 2 * a * xmu + amu2) - self._reduce(z2)[:, lr]
        lost = resid < _CANCELLATION * (x2 + amu2)
        for j in np.flatnonzero(lost.any(axis=0)):
            k = lr[j]
            rows = np.flatnonzero(lost[:, j])
            cols = slice(self._offsets[k], self._offsets[k] + self.ranks[k])
            ak = a[rows] if np.ndim(a) == 2 else a
            sd = sqrt_d[rows, cols] if np.ndim(sqrt_d) == 2 else sqrt_d[cols]
            r = xb[rows] - ak * self.means[k] - (zs[rows, cols] * sd) @ self._bases[k].T
            resid[rows, j] = np.einsum("md,md->m", r, r)
        return resid


    # -- the careful path: component by component, overflow-free -------------------------
    def _overflow_rows(self, x, a, s2):
        """Rows whose squares or Mahalanobis terms might overflow in ``_logits`` (|x_t| huge
        for the noise level): a bound D (max|x| + a max|mu|)^2 / min(1, a^2 lambda_min + s2)
        above 1e300. O(n D), once per call; ordinary rows never qualify."""
        dmin = np.minimum(np.asarray(a * a * self._lam_min + s2, dtype=float), 1.0)
        with np.errstate(over="ignore", divide="ignore"):
            limit = np.sqrt(1e300 / self.D * dmin)
        if x.size:  # one cheap global test first (no temporary the size of x)
            top = max(float(x.max()), -float(x.min())) + float(np.max(np.abs(a))) * self._mu_max
            if top <= float(np.min(limit)):
                return np.zeros(x.shape[0], dtype=bool)
        bound = np.abs(x).max(axis=1) + np.abs(a) * self._mu_max
        return np.broadcast_to(bound > limit, (x.shape[0],))

    def _unreliable_rows(self, logits):
        """Rows of fast-path logits (n, K) whose weights rounding may have decided: a runner-up
        within 80 nats of the winner while the logits carry a rounding error (a few D eps
        of their size) above 1e-3. O(n K); never true for ordinary inputs (|logits| ~ D)."""
        tol = 8 * self.D * np.finfo(float).eps
        if self.K == 1 or logits.size == 0:
            return np.zeros(logits.shape[0], dtype=bool)
        top = logits.max(axis=1, keepdims=True)
        # a contested k has |logit_k| <= |top| + err + 80, so err <= tol (2 |top| + 80) / (1 -
        # tol): when that is below 1e-3 for every row (ordinary inputs) nothing is contested
        if 1.01 * tol * (2.0 * float(np.abs(top).max()) + 80.0) <= 1e-3:
            return np.zeros(logits.shape[0], dtype=bool)
        with np.errstate(invalid="ignore"):
            err = tol * (np.abs(logits) + np.abs(top))
            close = (top - logits < err + 80.0) & (err > 1e-3) & (logits < top)
        return close.any(axis=1)

    def _careful_terms(self, x, a, s2):
        """Per-component terms from y_k = x - a mu_k formed directly (no cancellation in
        x^T v - a mu^T v), each row scaled by 2^-e (exact) so that no square overflows.

        Returns ``(base, maha, e, parts, excess)``: base[i, k] = log pi_k - 1/2 log det(noised
        cov_k), maha[i, k] the Mahalanobis term of the scaled row (the true one is
        4^e maha), and ``parts[k] = (z, r)``: the scaled coordinates V_k^T y_k / 2^e and,
        for a low-rank component, the scaled residual off its basis (else None).
        ``excess = (q, q_err)``: maha - |x|^2 / s2 written without |x|^2 / s2,
        q = (a^2 |mu|^2 - 2 a x^T mu) / s2 - sum_i c_i z_i^2 with c = a^2 lambda / (s2 d), and a
        bound on its rounding error; it is the accurate form when the noise dominates (the
        terms that differ between components are small, and |x|^2 / s2, common to all, is
        never formed). ``a`` and ``s2`` are (n, 1) columns; s2 > 0.
        """
        big = np.maximum(np.abs(x).max(axis=1), np.abs(a[:, 0]) * self._mu_max)
        e = np.maximum(np.frexp(big)[1], 0)[:, None]  # 2^e > every |entry| of every y_k
        xs, as_ = np.ldexp(x, -e), np.ldexp(a, -e)
        n = x.shape[0]
        base = np.empty((n, self.K))
        maha = np.empty((n, self.K))
        q = np.empty((n, self.K))
        q_err = np.empty((n, self.K))
        x_norm = np.sqrt(np.einsum("id,id->i", xs, xs))
        parts = []
        for k, (mu, v, lam) in enumerate(self.components()):
            y = xs - as_ * mu
            z = y @ v
            d = (a * a) * lam + s2  # (n, r_k)
            maha[:, k] = np.einsum("ir,ir->i", z, z / d)
            logdet = np.log(d).sum(axis=1)
            mu_norm = float(np.sqrt(mu @ mu))
            shrink = np.einsum("ir,ir->i", z * z, (a * a) * lam / d) / s2[:, 0]
            lin = (as_[:, 0] * (as_[:, 0] * mu_norm * mu_norm)) / s2[:, 0]
            q[:, k] = lin - 2.0 * as_[:, 0] * (xs @ mu) / s2[:, 0] - shrink
            q_err[:, k] = lin + 2.0 * np.abs(as_[:, 0]) * x_norm * mu_norm / s2[:, 0] + shrink
            r = None
            if self._low_rank[k]:
                r = y - z @ v.T
                r2 = np.einsum("id,id->i", r, r)
                # Close to the subspace (small t) r is a small difference of large terms and
                # carries an error ~ eps |y|: redo those rows in extended precision from the
                # exact inputs (the score's r / s2 is then accurate to ~1e-11, not ~1e-8).
                near = r2 < _NEAR_SUBSPACE * np.einsum("id,id->i", y, y)
                if np.any(near):
                    ld = np.longdouble
                    y_ld = xs[near].astype(ld) - as_[near].astype(ld) * mu.astype(ld)
                    r_ld = y_ld - (y_ld @ v.astype(ld)) @ v.T.astype(ld)
                    r[near] = r_ld
                    r2[near] = np.einsum("id,id->i", r_ld, r_ld)
                maha[:, k] += r2 / s2[:, 0]
                logdet += (self.D - self.ranks[k]) * np.log(s2[:, 0])
            base[:, k] = self._log_pi[k] - 0.5 * logdet
            parts.append((z, r))
        return base, maha, e[:, 0], parts, (q, q_err)

    def _careful(self, x, a, s2, want="weights"):
        """Responsibilities (``want="weights"``), the posterior mean (``"mean"``) or the score
        grad log p_t (``"score"``) by the careful path: sum_k w_k of the per-component
        E[x | x_t, k] = mu_k + V diag(a lambda / d) z, or of the per-component score
        -(V diag(1/d) z + r / s2) (chapter 2, eq. 6; chapter 3, eq. 8), each computed from
        y_k = x - a mu_k. Raises ValueError if a result is beyond the float range."""
        n = x.shape[0]
        a = np.broadcast_to(np.asarray(a, float).reshape(-1, 1), (n, 1))
        s2 = np.broadcast_to(np.asarray(s2, float).reshape(-1, 1), (n, 1))
        base, maha, e, parts, (q, q_err) = self._careful_terms(x, a, s2)
        # Rounding error of the (scaled) Mahalanobis terms, a few D eps of them, directly or
        # in the excess form; each row uses the form with the smaller error.
        tol = 8 * self.D * np.finfo(float).eps
        excess = (q_err.max(axis=1) < maha.max(axis=1))[:, None]
        m = np.where(excess, q, maha)
        m_err = np.where(excess, q_err, maha) * tol
        # softmax of base - 4^e m / 2: subtract the row minimum of m before scaling back,
        # so that 4^e may overflow to inf without making inf - inf
        best = m.argmin(axis=1)
        gap = m - m[np.arange(n), best][:, None]  # scaled: the true gap is 4^e gap
        # where the rounding error reaches the gaps that decide the weights (80 nats),
        # float64 cannot resolve them
        err = m_err + m_err[np.arange(n), best][:, None]
        with np.errstate(under="ignore"):
            unit = np.ldexp(1.0, -2 * e)[:, None]  # 1 in the scaled units
        contested = (gap < err + 80.0 * unit) & (err > 1e-3 * unit)
        contested[np.arange(n), best] = False
        with np.errstate(over="ignore"):
            gap = np.ldexp(gap, 2 * e[:, None])
        if np.any(contested):
            raise ValueError(
                "x_t is too far from the mixture for this noise level (|x_t| / sigma_t ~ "
                f"{float(np.ldexp(np.sqrt(maha.max()), int(e.max()))):.3g}): the "
                "responsibilities cannot be computed reliably in float64: the differences "
                "that decide them are below the rounding error of the terms they come from"
            )
        w = _softmax(base - 0.5 * gap)
        if want == "weights":
            return w
        out = np.zeros((n, self.D))
        for k, ((z, r), (_, v, lam)) in enumerate(zip(parts, self.components(), strict=True)):
            d = (a * a) * lam + s2
            if want == "mean":
                term = (z * (a * lam / d)) @ v.T
            else:
                term = -((z / d) @ v.T)
                if r is not None:
                    term -= r / s2
            out += w[:, k : k + 1] * term
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.ldexp(out, e[:, None])
            if want == "mean":
                out += w @ self.means
        if not np.all(np.isfinite(out)):
            raise ValueError(
                f"x_t is too large for this noise level: the {want} "
                "exceeds the float range (~1.8e308)"
            )
        return out


def check_mixture(gmm, name: str = "gmm") -> GaussianMixture:
    """A ``GaussianMixture`` (the argument every mixture function takes)."""
    if not isinstance(gmm, GaussianMixture):
        raise ValueError(f"{name} must be a GaussianMixture, got {type(gmm).__name__}")
    return gmm


def _rows(a, s2, mask):
    """a and s2 restricted to the rows in ``mask`` (scalars stay scalars)."""
    pick = (lambda v: v[mask]) if np.ndim(a) == 1 or np.ndim(s2) == 1 else (lambda v: v)
    n = mask.shape[0]
    if np.ndim(a) == 1 or np.ndim(s2) == 1:
        a, s2 = np.broadcast_to(a, (n,)), np.broadcast_to(s2, (n,))
    return pick(a), pick(s2)


def _frozen(values, dtype=float) -> np.ndarray:
    """A read-only private copy, handed out as a view of a read-only base so that its
    ``flags.writeable`` cannot simply be switched back on."""
    arr = np.array(values, dtype=dtype)
    arr.flags.writeable = False
    return arr.view()


def _softmax(logits):
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    e /= e.sum(axis=1, keepdims=True)
    return e
