"""Tests for course_utils.training (chapter 6): the one-for-all-t low-rank denoiser, trained."""

import numpy as np
import pytest

import course_utils as cu
from course_utils import training as tr
from course_utils.pca import (
    principal_angles,
    random_orthonormal,
    riemannian_gradient,
    stiefel_retract,
)
from course_utils.sampler_analysis import component_fractions, direction_energy, subspace_distance

VP = cu.VP()


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(0)
    true = [random_orthonormal(10, 2, rng) for _ in range(3)]
    gmm = cu.GaussianMixture.low_rank(true)
    return true, gmm, gmm.sample(4000, rng)


def test_trained_model_is_the_attention_denoiser(setup):
    # the forward pass that training differentiates is cu.attention_denoiser (equal weights
    # and ranks), itself the exact posterior mean of the mixture, with one t per point
    true, gmm, x = setup
    rng = np.random.default_rng(1)
    t = rng.uniform(0.05, 1.0, 40)
    y = VP.alpha(t)[:, None] * x[:40] + t[:, None] * rng.standard_normal((40, 10))
    c, b, _, _ = tr._coefficients(t, VP, 40)
    ours = tr._forward(true, y, c, b)[0]
    assert np.abs(ours - cu.attention_denoiser(true, y, t, VP)).max() < 1e-12
    assert np.abs(ours - cu.posterior_mean(gmm, y, t, VP)).max() < 1e-12


def test_gradient_matches_finite_differences(setup):
    true, _, x = setup
    rng = np.random.default_rng(2)
    us = [random_orthonormal(10, 2, rng) for _ in range(3)]
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
    u = random_orthonormal(8, 3, rng)
    grad = rng.standard_normal((8, 3))
    xi = riemannian_gradient(u, grad)
    sym = u.T @ xi
    assert np.abs(sym + sym.T).max() < 1e-12  # tangent: U^T xi skew-symmetric
    v = stiefel_retract(u, -0.3 * xi)
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
    u = random_orthonormal(6, 2, rng)
    gmm = cu.GaussianMixture.low_rank([u])
    x = gmm.sample(3000, rng) + 0.05 * rng.standard_normal((3000, 6))
    res = tr.train_lowrank_denoiser(x, 1, 2, VP, rng, steps=300)
    assert principal_angles(res["bases"][0], u).max() < np.radians(3)


def test_principal_angles_and_matching():
    rng = np.random.default_rng(5)
    a = random_orthonormal(5, 2, rng)
    assert np.allclose(principal_angles(a, a), 0, atol=1e-7)
    e = np.eye(4)
    ang = principal_angles(e[:, :2], np.stack([e[:, 0], (e[:, 1] + e[:, 2]) / np.sqrt(2)], 1))
    assert np.allclose(ang, [0, np.pi / 4], atol=1e-7)
    bs = [random_orthonormal(6, 2, rng) for _ in range(3)]
    perm, angles = tr.match_subspaces([bs[2], bs[0], bs[1]], bs)
    assert list(perm) == [1, 2, 0] and angles.max() < 1e-5


def test_subspace_statistics_on_exact_data(setup):
    # the chapter-5 metrics that chapter 6 reports, on exact samples of the training mixture
    true, gmm, x = setup
    assert subspace_distance(x, true).max() < 1e-10
    fractions = component_fractions(x, true)
    assert np.all(np.abs(fractions - 1 / 3) < 0.03)  # SE sqrt(2/9/4000) = 0.0075
    assert np.all(np.abs(direction_energy(x, true) - 1) < 0.1)  # SE sqrt(2/(2*1333)) = 0.027


def test_time_weights_and_validation(setup):
    true, _, x = setup
    t = np.array([0.5, 0.8])
    assert np.allclose(tr.time_weights(t, VP, "alpha_over_sigma"), np.sqrt(1 - t**2) / t)
    assert np.allclose(tr.time_weights(t, VP), 1)
    with pytest.raises(ValueError, match="weighting"):
        tr.time_weights(t, VP, "snr")
    with pytest.raises(ValueError, match="t must be > 0"):
        tr.loss_and_grad(true, x[:2], 0.0, np.zeros((2, 10)), VP)
    with pytest.raises(ValueError, match="bases"):
        tr.loss_and_grad([np.ones((10, 2))], x[:2], 0.5, np.zeros((2, 10)), VP)
    with pytest.raises(ValueError, match="same number of columns"):
        tr.loss_and_grad([true[0], true[1][:, :1]], x[:2], 0.5, np.zeros((2, 10)), VP)
    with pytest.raises(ValueError, match="rng"):
        tr.train_lowrank_denoiser(x, 3, 2, VP, rng=0)
    with pytest.raises(ValueError, match="t_max"):
        tr.train_lowrank_denoiser(x, 3, 2, VP, np.random.default_rng(0), t_max=1.5)
    with pytest.raises(ValueError, match="P"):
        tr.train_lowrank_denoiser(x[:, :3], 1, 4, VP, np.random.default_rng(0))
