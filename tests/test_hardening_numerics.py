"""Accuracy at the ends of the float range (issue 9), against an extended-precision reference.

Reference: numpy longdouble (64-bit mantissa, eps 1.1e-19, exponent range to ~1e4932 on
x86-64 Linux), the straightforward per-component formulas with the residual off a low-rank
basis computed directly. The schedule's alpha_t and sigma_t and the library's
eigen-factorization are taken as exact inputs (they are what both sides share); everything
else, including y = x_t - alpha mu_k, is recomputed. Where longdouble is no wider than double
(some platforms) the accuracy tests are skipped with that reason.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import course_utils as cu

LD = np.longdouble
EXTENDED = np.finfo(LD).eps < 1e-18
needs_extended = pytest.mark.skipif(not EXTENDED, reason="longdouble is plain double here")


def reference(gmm, x, t, schedule):
    """(responsibilities, posterior mean, score) in extended precision."""
    a = LD(float(schedule.alpha(t)))
    s2 = LD(float(schedule.sigma(t))) ** 2
    x = np.asarray(x, dtype=LD)
    logits, means, scores = [], [], []
    for (mu, basis, lam), pi in zip(gmm.components(), gmm.weights, strict=True):
        mu, u, lam = mu.astype(LD), basis.astype(LD), lam.astype(LD)
        low = u.shape[1] < gmm.D
        y = x - a * mu
        z = y @ u
        d = a * a * lam + s2
        r = y - z @ u.T
        maha = (z * z / d).sum(1) + ((r * r).sum(1) / s2 if low else 0)
        logdet = np.log(d).sum() + (gmm.D - u.shape[1]) * np.log(s2)
        logits.append(np.log(LD(pi)) - (maha + logdet) / 2)
        means.append(mu + (z * (a * lam / d)) @ u.T)
        scores.append(-((z / d) @ u.T) - (r / s2 if low else 0))
    lg = np.stack(logits, 1)
    w = np.exp(lg - lg.max(1, keepdims=True))
    w /= w.sum(1, keepdims=True)
    mean = sum(w[:, [k]] * m for k, m in enumerate(means))
    sc = sum(w[:, [k]] * s for k, s in enumerate(scores))
    return w, mean, sc


def rel_rows(got, ref):
    """Largest over rows of max|got - ref| / max|ref| (norm-wise relative error per point)."""
    ref = np.asarray(ref, dtype=LD)
    err = np.abs(np.asarray(got, dtype=LD) - ref).max(axis=1) / np.abs(ref).max(axis=1)
    return float(err.max())


def make_mixture(kind, D, mu_scale, seed):
    rng = np.random.default_rng(seed)
    K = 3
    w = rng.uniform(0.5, 1.5, K)
    means = mu_scale * rng.standard_normal((K, D))
    if kind == "full":
        a = rng.standard_normal((K, D, D))
        covs = a @ a.transpose(0, 2, 1) / D + 0.1 * np.eye(D)
        return cu.GaussianMixture(w / w.sum(), means, covs)
    bases = [np.linalg.qr(rng.standard_normal((D, max(1, D // 4))))[0] for _ in range(K)]
    return cu.GaussianMixture.low_rank(bases, weights=w / w.sum(), means=means)


# -- the score to 1e-8 relative down to t = 1e-8 (it returned exactly 0 for N(mu, I)) ----------
@needs_extended
@pytest.mark.parametrize("D", [4, 64])
@pytest.mark.parametrize("kind", ["full", "low"])
@pytest.mark.parametrize("mu_scale", [0.0, 1.0, 1e4])
@pytest.mark.parametrize("t", [1e-8, 1e-6, 1e-4, 1e-2, 1.0, 1e2, 1e4, 1e8])
def test_score_accurate_against_longdouble(D, kind, mu_scale, t):
    """Observed <= 2e-15 (full) and <= 5e-12 (low rank); 1e-8 is the issue's requirement."""
    g = make_mixture(kind, D, mu_scale, seed=D)
    rng = np.random.default_rng(1)
    x = g.sample(12, rng) + t * rng.standard_normal((12, D))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = cu.score(g, x, t)
    _, _, s_ref = reference(g, x, t, cu.VE())
    assert rel_rows(s, s_ref) < 1e-8


@needs_extended
@pytest.mark.parametrize("t", [1e-8, 1e-4, 0.3, 0.999])
@pytest.mark.parametrize("kind", ["full", "low"])
def test_score_accurate_vp(t, kind):
    g = make_mixture(kind, 16, 3.0, seed=7)
    vp = cu.VP()
    rng = np.random.default_rng(2)
    x = float(vp.alpha(t)) * g.sample(12, rng) + t * rng.standard_normal((12, 16))
    _, _, s_ref = reference(g, x, t, vp)
    assert rel_rows(cu.score(g, x, t, vp), s_ref) < 1e-8


def test_score_of_one_standard_normal_at_tiny_t_is_minus_x_over_1_plus_t2():
    """The audit's case: one N(mu, I) in D = 4; score = -(x - mu) / (1 + t^2) exactly in math.
    At t = 1e-8 the Tweedie form returned 0; the result must match to a few eps."""
    for mu in (np.zeros(4), np.full(4, 1e4)):
        g = cu.GaussianMixture([1.0], mu[None], np.eye(4)[None])
        x = mu + np.array([0.5, -1.0, 2.0, 0.25])
        for t in (1e-8, 1e-6, 1.0, 1e6):
            ref = -(x - mu) / (1 + t * t)
            np.testing.assert_allclose(cu.score(g, x, t), ref, rtol=8 * np.finfo(float).eps)


# -- |x_t| up to 1e300: finite and right, or a clear error --------------------------------------
@needs_extended
@pytest.mark.parametrize("kind", ["full", "low"])
@pytest.mark.parametrize("scale", [1e150, 1e154, 1e200, 1e300])
@pytest.mark.parametrize("t", [1e-8, 1.0])
def test_huge_x_t_against_longdouble(kind, scale, t):
    """posterior_mean and low-rank responsibilities were all-NaN from |x_t| ~ 1e154. Here the
    Mahalanobis terms are ~|x_t|^2 and differ between components by O(1) of themselves, so
    the weights are decided far above rounding (in float64 and in the reference)."""
    g = make_mixture(kind, 4, 1.0, seed=3)
    rng = np.random.default_rng(4)
    x = scale * rng.standard_normal((6, 4))
    w_ref, m_ref, s_ref = reference(g, x, t, cu.VE())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = cu.responsibilities(g, x, t)
        m = cu.posterior_mean(g, x, t)
    # weights: absolute (they are one-hot here up to rounding of huge logit gaps)
    assert float(np.abs(w - w_ref.astype(float)).max()) < 1e-12
    assert rel_rows(m, m_ref) < 1e-12
    s_ref_max = float(np.abs(s_ref).max())
    if s_ref_max < np.finfo(float).max:
        assert rel_rows(cu.score(g, x, t), s_ref) < 1e-12
    else:  # the true score is beyond the float range: a clear error, never inf
        with pytest.raises(ValueError, match="x_t is too large for this noise level"):
            cu.score(g, x, t)


@pytest.mark.parametrize("kind", ["full", "low"])
@pytest.mark.parametrize("scale", [1e150, 1e300])
def test_noise_dominated_far_points(kind, scale):
    """t = 1e100, |x_t| = 1e150..1e300: the Mahalanobis terms are ~|x|^2 / t^2 (up to 1e400)
    while what differs between components is ~|x| |mu| / t^2 and lambda |x|^2 / t^4, at most
    ~1e-50 of them: weights = pi (all log-determinants agree to 1e-200), xhat =
    sum pi_k (mu_k + Sigma_k x / t^2) and score = -x / t^2, each to relative 1e-50. The
    difference of the direct terms gave noise; the excess form (|x|^2 / t^2 never formed)
    gives these."""
    g = make_mixture(kind, 4, 1.0, seed=3)
    x = scale * np.random.default_rng(4).standard_normal((3, 4))
    t = 1e100
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = cu.responsibilities(g, x, t)
        m = cu.posterior_mean(g, x, t)
        s = cu.score(g, x, t)
    eps = np.finfo(float).eps
    # the logits carry 1/2 log det ~ D |log t^2| = 1840: rounding ~ eps times that
    rtol = 4 * eps * g.D * abs(np.log(t * t))
    np.testing.assert_allclose(w, np.broadcast_to(g.weights, w.shape), rtol=rtol)
    # E[x | x_t, k] = mu_k + Sigma_k (Sigma_k + t^2 I)^{-1} (x - mu_k) = mu_k + Sigma_k x / t^2
    # up to relative 1e-50 (the second part is ~1e100 for |x| = 1e300)
    ref = g.weights @ g.means + x @ np.einsum("k,kij->ij", g.weights, g.covs) / (t * t)
    np.testing.assert_allclose(m, ref, rtol=0, atol=rtol * np.abs(ref).max())
    np.testing.assert_allclose(s, -x / (t * t), rtol=0, atol=8 * eps * np.abs(x).max() / t**2)


def test_unresolvable_weights_are_refused():
    """Two mirror-image components and a point at 1e200 on the mirror plane at t = 1: both
    Mahalanobis terms are ~1e400 (relative rounding ~1e384) and what decides the weights is
    their difference; the library cannot certify it, so it says so instead of guessing."""
    g = cu.GaussianMixture([0.5, 0.5], [[1.0, 0.0], [-1.0, 0.0]],
                           np.stack([np.diag([1.0, 4.0]), np.diag([2.0, 4.0])]))
    with pytest.raises(ValueError, match="responsibilities cannot be computed reliably"):
        cu.responsibilities(g, [[3.0, 1e200]], 1.0)


def test_huge_x_t_mixed_with_ordinary_rows_and_per_point_t():
    """The careful path handles only the rows that need it; ordinary rows are unchanged."""
    g = make_mixture("low", 4, 1.0, seed=3)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 4))
    t = np.array([0.5, 1.0, 2.0, 0.1, 1.0])
    base_m = cu.posterior_mean(g, x, t)
    base_w = cu.responsibilities(g, x, t)
    xx = x.copy()
    xx[2] *= 1e250
    m = cu.posterior_mean(g, xx, t)
    w = cu.responsibilities(g, xx, t)
    keep = [0, 1, 3, 4]
    np.testing.assert_array_equal(m[keep], base_m[keep])
    np.testing.assert_array_equal(w[keep], base_w[keep])
    assert np.all(np.isfinite(m)) and np.all(np.isfinite(w))
    if EXTENDED:
        w_ref, m_ref, _ = reference(g, xx[2:3], 2.0, cu.VE())
        assert rel_rows(m[2:3], m_ref) < 1e-12
        assert float(np.abs(w[2] - w_ref[0].astype(float)).max()) < 1e-12


def test_logpdf_far_away_is_finite_or_refused():
    g = make_mixture("low", 4, 1.0, seed=3)
    # |r|^2 / t^2 ~ 1e300 / 1e-16: log p ~ -1e316 is below the float range
    with pytest.raises(ValueError, match="log density is below the float range"):
        g.logpdf(np.full((1, 4), 1e150), 1e-8)
    # 1e140: |r|^2 / t^2 ~ 1e296 is representable (the direct path would square 1e148 / t)
    val = g.logpdf(np.full((1, 4), 1e140), 1e-8)
    assert np.isfinite(val[0]) and -1e298 < val[0] < -1e294
    val = g.logpdf(np.full(4, 1e100), 1.0)  # -|y|^2 / (2 (1 + t^2)) ~ -1e200: finite
    assert np.isfinite(val) and val < -1e199


@pytest.mark.parametrize("kind", ["full", "low"])
def test_vp_endpoint_far_points_weights_are_the_prior(kind):
    """VP at t = 1: alpha = 0, every component is N(0, I), so w = pi and xhat = E[x] exactly,
    whatever x_t. For |x_t| ~ 5e7 the direct Mahalanobis terms (~1e15, rounding ~0.1) used to
    move the weights by ~10 %; such rows are now recomputed in the excess form (exact here)."""
    g = make_mixture(kind, 30, 1.0, seed=9)
    x = 1e7 * np.random.default_rng(9).standard_normal((4, 30))
    vp = cu.VP()
    eps = np.finfo(float).eps
    for w in (cu.responsibilities(g, x, 1.0, vp),):
        np.testing.assert_allclose(w, np.broadcast_to(g.weights, w.shape), rtol=16 * eps)
    np.testing.assert_allclose(cu.posterior_mean(g, x, 1.0, vp),
                               np.broadcast_to(g.weights @ g.means, x.shape),
                               rtol=0, atol=16 * eps * np.abs(g.means).max())
    # -V diag(1/d) V^T x: a rotation there and back, a few eps |x| sqrt(D) of rounding
    np.testing.assert_allclose(cu.score(g, x, 1.0, vp), -x, rtol=0,
                               atol=4 * eps * np.sqrt(30) * np.abs(x).max())
