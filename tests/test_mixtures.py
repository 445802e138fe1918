"""GaussianMixture (chapter 3, source eq. 7): construction, sampling, densities, noised law."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

import course_utils as cu
from course_utils.pca import random_orthonormal


def random_mixture(rng, K=3, D=4, spread=3.0):
    means = spread * rng.standard_normal((K, D))
    a = rng.standard_normal((K, D, D))
    covs = a @ a.transpose(0, 2, 1) / D + 0.1 * np.eye(D)
    w = rng.uniform(0.5, 1.5, K)
    return cu.GaussianMixture(w / w.sum(), means, covs)



def mixture_moments(gmm):
    """Mean and covariance of a mixture: sum pi (Sigma_k + mu_k mu_k^T) - m m^T."""
    m = gmm.weights @ gmm.means
    outer = np.einsum("ki,kj->kij", gmm.means, gmm.means)
    second = np.einsum("k,kij->ij", gmm.weights, gmm.covs + outer)
    return m, second - np.outer(m, m)


def assert_moments(x, mean, cov, n_se=4.0):
    """Sample mean and covariance within n_se standard errors (SE from the sample itself)."""
    n = x.shape[0]
    se_mean = x.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(x.mean(axis=0) - mean) < n_se * se_mean)
    c = x - x.mean(axis=0)
    prod = c[:, :, None] * c[:, None, :]
    se_cov = prod.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(prod.mean(axis=0) - cov) < n_se * se_cov + 1e-12)


def test_attributes_and_covs_roundtrip():
    rng = np.random.default_rng(1)
    g = random_mixture(rng)
    assert (g.K, g.D) == (3, 4)
    a = rng.standard_normal((3, 4, 4))
    covs = a @ a.transpose(0, 2, 1)
    g2 = cu.GaussianMixture(g.weights, g.means, covs)
    # eigh backward error: |C - V diag(l) V^T| <~ D eps |C|
    np.testing.assert_allclose(g2.covs, covs, atol=1e-13 * np.abs(covs).max())
    assert "K=3, D=4, full" in repr(g2)
    mean, basis, lam = g2.components()[1]
    np.testing.assert_array_equal(mean, g.means[1])
    assert basis.shape == (4, 4) and lam.shape == (4,)


def test_low_rank_construction_defaults_and_covs():
    rng = np.random.default_rng(2)
    bases = [random_orthonormal(6, p, rng) for p in [1, 2, 3]]
    g = cu.GaussianMixture.low_rank(bases)
    np.testing.assert_array_equal(g.weights, np.full(3, 1 / 3))
    np.testing.assert_array_equal(g.means, np.zeros((3, 6)))
    np.testing.assert_array_equal(g.ranks, [1, 2, 3])
    for u, c in zip(bases, g.covs, strict=True):
        np.testing.assert_allclose(c, u @ u.T, atol=1e-15)
    assert "low-rank" in repr(g)
    # a (K, D, P) array of bases is accepted too, and variances scale each direction
    arr = np.stack([random_orthonormal(5, p, rng) for p in [2, 2]])
    g2 = cu.GaussianMixture.low_rank(arr, variances=[[1.0, 4.0], [2.0, 3.0]])
    u = arr[0]
    np.testing.assert_allclose(g2.covs[0], u @ np.diag([1.0, 4.0]) @ u.T, atol=1e-14)


def test_sample_moments_and_labels():
    """Sample mean/cov of the mixture and label frequencies within 4 standard errors."""
    rng = np.random.default_rng(3)
    g = random_mixture(rng, K=3, D=2)
    n = 40_000
    x, y = g.sample(n, np.random.default_rng(4), return_labels=True)
    assert x.shape == (n, 2) and y.shape == (n,)
    freq = np.bincount(y, minlength=3) / n
    se = np.sqrt(g.weights * (1 - g.weights) / n)  # binomial standard error
    assert np.all(np.abs(freq - g.weights) < 4 * se)
    for k in range(3):  # per-component moments
        assert_moments(x[y == k], g.means[k], g.covs[k])
    assert_moments(x, *mixture_moments(g))


def test_sample_is_deterministic_and_handles_n0():
    g = random_mixture(np.random.default_rng(5))
    a = g.sample(10, np.random.default_rng(7))
    b = g.sample(10, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert g.sample(0, np.random.default_rng(0)).shape == (0, 4)


def test_low_rank_samples_lie_in_their_subspace():
    rng = np.random.default_rng(6)
    bases = [random_orthonormal(8, p, rng) for p in [2, 3]]
    means = rng.standard_normal((2, 8))
    g = cu.GaussianMixture.low_rank(bases, means=means)
    x, y = g.sample(500, rng, return_labels=True)
    for k, u in enumerate(bases):
        r = (x[y == k] - means[k]) - (x[y == k] - means[k]) @ u @ u.T
        assert np.abs(r).max() < 1e-14 * 10  # rounding of one (P x D) product


@pytest.mark.parametrize("t", [0.0, 0.3, 2.0])
def test_logpdf_matches_scipy(t):
    """log p_t(x) = logsumexp_k [log pi_k + log N(x; mu_k, Sigma_k + t^2 I)] (VE)."""
    rng = np.random.default_rng(8)
    g = random_mixture(rng)
    x = g.sample(20, rng) + t * rng.standard_normal((20, 4))
    comp = np.stack(
        [np.log(w) + multivariate_normal(m, c + t * t * np.eye(4)).logpdf(x)
         for w, m, c in zip(g.weights, g.means, g.covs, strict=True)], axis=1)
    np.testing.assert_allclose(g.component_logpdf(x, t), comp, rtol=1e-11)
    np.testing.assert_allclose(g.logpdf(x, t), logsumexp(comp, axis=1), rtol=1e-11)
    assert np.ndim(g.logpdf(x[0], t)) == 0
    assert g.component_logpdf(x[0], t).shape == (3,)


@pytest.mark.parametrize("schedule,t", [(cu.VE(), 0.7), (cu.VP(), 0.6), (cu.VP(), 1.0)])
def test_noised_is_the_law_of_x_t(schedule, t):
    """noised(schedule, t): means alpha mu_k, covs alpha^2 Sigma_k + sigma^2 I; its logpdf
    equals logpdf(x, t, schedule); Monte Carlo moments of alpha x + sigma g agree."""
    rng = np.random.default_rng(9)
    g = random_mixture(rng, K=2, D=3)
    a, s = float(schedule.alpha(t)), float(schedule.sigma(t))
    gt = g.noised(schedule, t)
    np.testing.assert_allclose(gt.means, a * g.means, rtol=1e-15)
    np.testing.assert_allclose(gt.covs, a * a * g.covs + s * s * np.eye(3), atol=1e-13)
    np.testing.assert_array_equal(gt.weights, g.weights)
    xt = a * g.sample(30_000, rng) + s * rng.standard_normal((30_000, 3))
    assert_moments(xt, *mixture_moments(gt))
    np.testing.assert_allclose(gt.logpdf(xt[:50]), g.logpdf(xt[:50], t, schedule), rtol=1e-10)


def test_vp_endpoint_is_standard_normal_and_identity_cov_is_preserved():
    """F16: x_1 ~ N(0, I) exactly under VP; if Cov(x) = I (one Gaussian) then Cov(x_t) = I."""
    rng = np.random.default_rng(10)
    g = random_mixture(rng, K=3, D=3)
    g1 = g.noised(cu.VP(), 1.0)
    np.testing.assert_array_equal(g1.means, 0.0)
    np.testing.assert_allclose(g1.covs, np.stack([np.eye(3)] * 3), atol=1e-15)
    iso = cu.GaussianMixture([1.0], np.zeros((1, 3)), np.eye(3)[None])
    for t in [0.1, 0.5, 0.9]:
        np.testing.assert_allclose(iso.noised(cu.VP(), t).covs[0], np.eye(3), atol=4e-16)


def test_low_rank_logpdf_matches_full_covariance_version():
    """The Woodbury form of a low-rank component equals the dense formula for t > 0."""
    rng = np.random.default_rng(11)
    bases = [random_orthonormal(6, p, rng) for p in [1, 2, 4]]
    means = rng.standard_normal((3, 6))
    g = cu.GaussianMixture.low_rank(bases, weights=[0.2, 0.3, 0.5], means=means)
    x = rng.standard_normal((15, 6))
    for t, sch in [(0.05, cu.VE()), (1.0, cu.VE()), (0.5, cu.VP())]:
        dense = g.noised(sch, t)  # full covariances alpha^2 U U^T + sigma^2 I
        np.testing.assert_allclose(g.logpdf(x, t, sch), dense.logpdf(x), rtol=1e-10)


def test_denoiser_callable_matches_posterior_mean():
    rng = np.random.default_rng(12)
    g = random_mixture(rng)
    x = rng.standard_normal((5, 4))
    den = g.denoiser(cu.VP())
    assert den.schedule == cu.VP()
    np.testing.assert_array_equal(den(x, 0.4), cu.posterior_mean(g, x, 0.4, cu.VP()))
    assert g.denoiser().schedule == cu.VE()
