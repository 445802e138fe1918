"""Tests for course_utils.subspaces (K-subspaces and the hard-assignment loss, chapter 7)."""

import numpy as np
import pytest

from course_utils import GaussianMixture, attention_denoiser
from course_utils.pca import principal_angles, random_orthonormal
from course_utils.schedules import VE, VP
from course_utils.subspaces import (
    fit_subspaces,
    hard_assignment_loss,
    kss_objective,
    projection_distance,
    rho,
    subspace_error,
)


def _bases(D, K, P, seed, orthogonal=False):
    rng = np.random.default_rng(seed)
    if orthogonal:
        q = random_orthonormal(D, K * P, rng)
        return [q[:, k * P:(k + 1) * P] for k in range(K)]
    return [random_orthonormal(D, P, rng) for _ in range(K)]


def _data(bases, n, seed, noise=0.0):
    rng = np.random.default_rng(seed)
    x = GaussianMixture.low_rank(bases).sample(n, rng)
    return x + noise * rng.standard_normal(x.shape)


def test_rho():
    assert rho(0.6, VP()) == pytest.approx(1 - 0.36, rel=1e-12)
    assert rho(2.0, VE()) == pytest.approx(1 / 5, rel=1e-12)
    # rho (2 - rho) = alpha^2 (alpha^2 + 2 sigma^2) / (alpha^2 + sigma^2)^2
    t = 0.35
    a, s = np.sqrt(1 - t * t), t
    r = rho(t, VP())
    assert r * (2 - r) == pytest.approx(a**2 * (a**2 + 2 * s**2) / (a**2 + s**2) ** 2, rel=1e-12)


def test_hard_assignment_loss_deterministic_part():
    """With g = 0 the per-sample loss is ||x||^2 - rho (2 - rho) max_k ||U_k^T x||^2 exactly."""
    us = _bases(16, 3, 2, 0)
    x = _data(us, 100, 1, noise=0.1)
    t = 0.35
    a, s = float(VP().alpha(t)), t
    c = a / (a * a + s * s)
    k = np.stack([((x @ u) ** 2).sum(axis=1) for u in us], axis=1).argmax(axis=1)
    proj = np.stack([(x @ u) @ u.T for u in us])[k, np.arange(100)]
    det = ((x - c * a * proj) ** 2).sum(axis=1).mean()
    closed = hard_assignment_loss(us, x, t, VP()) - c * c * s * s * 2
    assert abs(det - closed) < 1e-10 * det


@pytest.mark.parametrize("schedule, t", [(VP(), 0.35), (VE(), 0.8)])
def test_hard_assignment_loss_monte_carlo(schedule, t):
    us = _bases(16, 3, 2, 2)
    x = _data(us, 50, 3, noise=0.1)
    a, s = float(schedule.alpha(t)), t
    c = a / (a * a + s * s)
    k = np.stack([((x @ u) ** 2).sum(axis=1) for u in us], axis=1).argmax(axis=1)
    g = np.random.default_rng(4).standard_normal((400, 50, 16))
    y = a * x + s * g
    proj = np.einsum("nde,mne->mnd", np.stack([u @ u.T for u in us])[k], y)
    per = ((x - c * proj) ** 2).sum(axis=2).mean(axis=1)  # one loss per noise draw
    mc, se = per.mean(), per.std() / np.sqrt(per.size)
    assert abs(mc - hard_assignment_loss(us, x, t, schedule)) < 5 * se


def test_hard_loss_k1_is_the_pca_loss():
    V = _bases(10, 1, 3, 5)
    x = _data(V, 40, 6, noise=0.2)
    t = 0.5
    a, s = float(VP().alpha(t)), t
    c, r = a / (a * a + s * s), a * a / (a * a + s * s)
    M = x.T @ x / 40
    expected = np.trace(M) - r * (2 - r) * np.trace(V[0].T @ M @ V[0]) + c * c * s * s * 3
    assert hard_assignment_loss(V, x, t, VP()) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="same rank"):
        hard_assignment_loss([V[0], V[0][:, :2]], x, t, VP())


def test_soft_loss_tends_to_hard_loss():
    """The attention denoiser's loss tends to the K-subspaces loss as t -> 0."""
    us = _bases(16, 3, 2, 3)
    x = _data(us, 200, 3, noise=0.1)
    g = np.random.default_rng(7).standard_normal((10, 200, 16))
    gaps = []
    for t in (0.6, 0.03):
        a = float(VP().alpha(t))
        soft = np.mean([((x - attention_denoiser(us, a * x + t * gi, t, VP())) ** 2).sum(1).mean()
                        for gi in g])
        hard = hard_assignment_loss(us, x, t, VP())
        gaps.append((soft - hard) / hard)
    assert gaps[0] > 0.1 and abs(gaps[1]) < 0.01


def test_fit_recovers_noiseless_subspaces():
    us = _bases(20, 3, 3, 8)
    x = _data(us, 200, 9)
    fit = fit_subspaces(x, 3, 3, np.random.default_rng(0))
    assert subspace_error(fit["bases"], us) < 1e-8
    # the true bases explain all of the energy: the fitted objective reaches mean ||x||^2
    assert fit["objective"] == pytest.approx(np.mean((x**2).sum(axis=1)), rel=1e-10)
    assert fit["objective"] == pytest.approx(kss_objective(x, fit["bases"]), rel=1e-12)
    assert fit["restart_objectives"].shape == (10,)
    assert fit["objective"] == fit["restart_objectives"].max()
    for u in fit["bases"]:
        assert np.allclose(u.T @ u, np.eye(3), atol=1e-12)
    # labels: the argmax assignment at the returned bases
    proj = np.stack([((x @ u) ** 2).sum(axis=1) for u in fit["bases"]], axis=1)
    assert np.array_equal(fit["labels"], proj.argmax(axis=1))
    # usable by the mixture and the attention denoiser
    GaussianMixture.low_rank(fit["bases"])
    assert attention_denoiser(fit["bases"], x[:4], 0.3, VP()).shape == (4, 20)


def test_fit_noisy_error_shrinks_with_N():
    us = _bases(32, 3, 3, 7, orthogonal=True)
    errs = []
    for N in (50, 1000):
        x = _data(us, N, 100 + N, noise=0.05)
        errs.append(subspace_error(fit_subspaces(x, 3, 3, np.random.default_rng(0))["bases"], us))
    assert errs[1] < 0.03 and errs[1] < errs[0] < 0.2


def test_fit_is_seeded_and_handles_degenerate_cases():
    us = _bases(8, 2, 2, 11)
    x = _data(us, 30, 12, noise=0.01)
    f1 = fit_subspaces(x, 2, 2, np.random.default_rng(3))
    f2 = fit_subspaces(x, 2, 2, np.random.default_rng(3))
    assert all(np.array_equal(a, b) for a, b in zip(f1["bases"], f2["bases"], strict=True))
    # more subspaces than the data have, and fewer points than K * P: still orthonormal bases
    f3 = fit_subspaces(x[:3], 4, 2, np.random.default_rng(0), restarts=3)
    assert len(f3["bases"]) == 4
    for u in f3["bases"]:
        assert np.allclose(u.T @ u, np.eye(2), atol=1e-10)


def test_fit_validation():
    x = np.random.default_rng(0).standard_normal((10, 4))
    with pytest.raises(ValueError, match="P"):
        fit_subspaces(x, 2, 5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="K"):
        fit_subspaces(x, 0, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng"):
        fit_subspaces(x, 2, 2, 0)
    with pytest.raises(ValueError, match="restarts"):
        fit_subspaces(x, 2, 2, np.random.default_rng(0), restarts=0)
    with pytest.raises(ValueError, match="2-D"):
        fit_subspaces(x[0], 2, 2, np.random.default_rng(0))


def test_projection_distance():
    U = random_orthonormal(12, 3, np.random.default_rng(1))
    assert projection_distance(U, U) < 1e-15
    q = random_orthonormal(12, 6, np.random.default_rng(2))
    assert projection_distance(q[:, :3], q[:, 3:]) == pytest.approx(1.0, rel=1e-12)
    V = random_orthonormal(12, 3, np.random.default_rng(3))
    sines = np.sin(principal_angles(U, V))
    assert projection_distance(U, V) == pytest.approx(np.sqrt(np.mean(sines**2)), rel=1e-10)
    # against the definition ||UU^T - VV^T||_F / sqrt(p + q), unequal ranks too
    W = V[:, :2]
    direct = np.linalg.norm(U @ U.T - W @ W.T) / np.sqrt(5)
    assert projection_distance(U, W) == pytest.approx(direct, rel=1e-10)
    # a tiny rotation is measured accurately (no cancellation)
    eps = 1e-9
    R = np.eye(12)
    R[0, 0] = R[1, 1] = np.cos(eps)
    R[0, 1], R[1, 0] = -np.sin(eps), np.sin(eps)
    E = np.eye(12)[:, [0, 2, 3]]
    assert projection_distance(E, R @ E) == pytest.approx(eps / np.sqrt(3), rel=1e-6)


def test_subspace_error_matches_any_order():
    us = _bases(10, 3, 2, 4)
    assert subspace_error([us[2], us[0], us[1]], us) < 1e-14
    other = _bases(10, 3, 2, 5)
    assert 0.3 < subspace_error(other, us) <= 1.0
    with pytest.raises(ValueError, match="same K"):
        subspace_error(us[:2], us)


@pytest.mark.parametrize("N", [4, 5, 10])
def test_pca_recovers_the_span_from_N_ge_P_noiseless_points(N):
    """Chapter 7, section 4: ||V V^T - U U^T||_F / sqrt(2P) ~ 0 from N >= P points."""
    from course_utils.pca import pca

    U = random_orthonormal(32, 4, np.random.default_rng(4))
    x = np.random.default_rng(N).standard_normal((N, 4)) @ U.T
    assert projection_distance(pca(x, 4), U) < 1e-12
