"""Tests for course_utils.training and course_utils.gaussians (chapter 6)."""

import numpy as np
import pytest

import course_utils as cu
from course_utils import training as tr
from course_utils.gaussians import gaussian_kl, ve_start_kl

VP = cu.VP()


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(0)
    true = tr.random_bases(10, 2, 3, rng)
    gmm = cu.GaussianMixture.low_rank(true)
    return true, gmm, gmm.sample(4000, rng)


def test_lowrank_denoiser_equals_library(setup):
    true, gmm, x = setup
    rng = np.random.default_rng(1)
    t = rng.uniform(0.05, 1.0, 40)
    y = VP.alpha(t)[:, None] * x[:40] + t[:, None] * rng.standard_normal((40, 10))
    ours = tr.lowrank_denoiser(true, y, t, VP)
    assert np.abs(ours - cu.attention_denoiser(true, y, t, VP)).max() < 1e-12
    assert np.abs(ours - cu.posterior_mean(gmm, y, t, VP)).max() < 1e-12
    # a single point and a scalar t keep the input shape
    assert tr.lowrank_denoiser(true, y[0], 0.5, VP).shape == (10,)


def test_gradient_matches_finite_differences(setup):
    true, _, x = setup
    rng = np.random.default_rng(2)
    us = tr.random_bases(10, 2, 3, rng)
    t = rng.uniform(0.05, 0.95, 30)
    g = rng.standard_normal((30, 10))
    w = tr.time_weights(t, VP, "alpha_over_sigma")
    _, grads = tr.loss_and_grad(us, x[:30], t, g, VP, w)
    c, b, a, s = tr._coefficients(t, VP, 30)
    y = a[:, None] * x[:30] + s[:, None] * g

    def loss(k, u):  # the loss as a function of an unconstrained U_k
        vs = list(us)
        vs[k] = u
        f = tr._forward(vs, y, c, b)[0]
        return np.mean(w * ((f - x[:30]) ** 2).sum(axis=1))

    h = 1e-6
    for k in range(3):
        e = rng.standard_normal((10, 2))
        fd = (loss(k, us[k] + h * e) - loss(k, us[k] - h * e)) / (2 * h)
        # central differences: error O(h^2) plus rounding ~ 1e-10 / h
        assert abs(fd - (grads[k] * e).sum()) < 1e-6 * max(1.0, abs(fd))


def test_retraction_stays_orthonormal():
    rng = np.random.default_rng(3)
    u = tr.random_bases(8, 3, 1, rng)[0]
    grad = rng.standard_normal((8, 3))
    xi = tr.riemannian_gradient(u, grad)
    sym = u.T @ xi
    assert np.abs(sym + sym.T).max() < 1e-12  # tangent: U^T xi skew-symmetric
    v = tr.stiefel_retract(u, -0.3 * xi)
    assert np.abs(v.T @ v - np.eye(3)).max() < 1e-12


def test_training_recovers_subspaces(setup):
    true, _, x = setup
    res = tr.train_lowrank_denoiser(x, 3, 2, VP, np.random.default_rng(1), steps=400)
    _, before = tr.match_subspaces(res["init"], true)
    _, after = tr.match_subspaces(res["bases"], true)
    assert before.min() > 30  # random start: far from every true subspace
    assert after.max() < 3.0  # degrees; SGD noise at the final step size is ~1 degree
    assert res["losses"][-50:].mean() < 0.8 * res["losses"][:50].mean()


def test_training_weighting_alpha_over_sigma(setup):
    true, _, x = setup
    res = tr.train_lowrank_denoiser(x, 3, 2, VP, np.random.default_rng(1), steps=400,
                                    weighting="alpha_over_sigma")
    assert tr.match_subspaces(res["bases"], true)[1].max() < 3.0


def test_training_k1_is_pca():
    # K = 1: the learned V spans the top-P eigenvectors of E[x x^T] (chapter 4).
    rng = np.random.default_rng(4)
    u = tr.random_bases(6, 2, 1, rng)[0]
    gmm = cu.GaussianMixture.low_rank([u])
    x = gmm.sample(3000, rng) + 0.05 * rng.standard_normal((3000, 6))
    res = tr.train_lowrank_denoiser(x, 1, 2, VP, rng, steps=300)
    assert tr.principal_angles(res["bases"][0], u).max() < np.radians(3)


def test_principal_angles_and_matching():
    rng = np.random.default_rng(5)
    a = tr.random_bases(5, 2, 1, rng)[0]
    assert np.allclose(tr.principal_angles(a, a), 0, atol=1e-7)
    e = np.eye(4)
    ang = tr.principal_angles(e[:, :2], np.stack([e[:, 0], (e[:, 1] + e[:, 2]) / np.sqrt(2)], 1))
    assert np.allclose(ang, [0, np.pi / 4], atol=1e-7)
    bs = tr.random_bases(6, 2, 3, rng)
    perm, angles = tr.match_subspaces([bs[2], bs[0], bs[1]], bs)
    assert list(perm) == [1, 2, 0] and angles.max() < 1e-5


def test_subspace_statistics_on_exact_data(setup):
    true, gmm, x = setup
    st = tr.subspace_statistics(true, x)
    assert st["residual"].max() < 1e-10
    assert np.all(np.abs(st["fractions"] - 1 / 3) < 0.03)  # SE sqrt(2/9/4000) = 0.0075
    assert np.all(np.abs(st["energy"] - 1) < 0.1)  # SE sqrt(2/(2*1333)) = 0.027, + overlap


def test_time_weights_and_validation(setup):
    true, _, x = setup
    t = np.array([0.5, 0.8])
    assert np.allclose(tr.time_weights(t, VP, "alpha_over_sigma"), np.sqrt(1 - t**2) / t)
    assert np.allclose(tr.time_weights(t, VP), 1)
    with pytest.raises(ValueError, match="weighting"):
        tr.time_weights(t, VP, "snr")
    with pytest.raises(ValueError, match="t"):
        tr.lowrank_denoiser(true, x[:2], 0.0, VP)
    with pytest.raises(ValueError, match="bases"):
        tr.lowrank_denoiser([np.ones((10, 2))], x[:2], 0.5, VP)
    with pytest.raises(ValueError, match="rng"):
        tr.train_lowrank_denoiser(x, 3, 2, VP, rng=0)
    with pytest.raises(ValueError, match="t_max"):
        tr.train_lowrank_denoiser(x, 3, 2, VP, np.random.default_rng(0), t_max=1.5)
    with pytest.raises(ValueError, match="P"):
        tr.random_bases(3, 4, 1, np.random.default_rng(0))


def test_gaussian_kl_closed_form_and_monte_carlo():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((3, 3))
    c0 = a @ a.T + 0.5 * np.eye(3)
    c1 = np.diag([1.0, 2.0, 3.0])
    mu0, mu1 = np.array([0.1, -0.2, 0.3]), np.zeros(3)
    kl = gaussian_kl(mu0, c0, mu1, c1)
    assert gaussian_kl(mu0, c0, mu0, c0) == pytest.approx(0, abs=1e-12)
    n = 200_000
    z = mu0 + rng.standard_normal((n, 3)) @ np.linalg.cholesky(c0).T

    def logpdf(z, mu, c):
        d = z - mu
        return -0.5 * (np.einsum("ni,ij,nj->n", d, np.linalg.inv(c), d)
                       + np.linalg.slogdet(2 * np.pi * c)[1])

    diff = logpdf(z, mu0, c0) - logpdf(z, mu1, c1)
    se = diff.std() / np.sqrt(n)
    assert abs(diff.mean() - kl) < 4 * se


def test_ve_start_kl_matches_general_kl():
    lam = np.arange(1.0, 6.0)
    for T in (0.5, 2.0, 10.0):
        general = gaussian_kl(np.zeros(5), np.diag(lam + T**2), np.zeros(5), T**2 * np.eye(5))
        assert ve_start_kl(lam, T) == pytest.approx(general, rel=1e-10)
    assert ve_start_kl(np.zeros(4), 1.0) == 0.0
    # grows with D for a spectrum that grows with D, falls with T
    assert ve_start_kl(np.arange(1.0, 21), 5) > ve_start_kl(np.arange(1.0, 11), 5)
    assert ve_start_kl(lam, 10) < ve_start_kl(lam, 5)
    with pytest.raises(ValueError, match="eigenvalues"):
        ve_start_kl([-1.0], 1.0)
    with pytest.raises(ValueError, match="cov1"):
        gaussian_kl(np.zeros(2), np.eye(2), np.zeros(2), np.diag([1.0, 0.0]))
    with pytest.raises(ValueError, match="mu1"):
        gaussian_kl(np.zeros(2), np.eye(2), np.zeros(3), np.eye(2))
