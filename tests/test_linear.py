"""Tests for course_utils.linear and the chapter-3 facts (source-notes sec. 5, facts 3-7, 11).

The reference implementations below are deliberately naive (dense solves, slogdet, explicit
loops over components) and independent of course_utils' factored code paths.
"""

import numpy as np
import pytest

import course_utils as cu
from course_utils.linear import (
    eigen_contraction_factors,
    gaussian_denoiser,
    gaussian_denoiser_matrix,
    iterate_fixed_t,
    low_rank_inverse,
    low_rank_logdet,
    power_iteration,
)
from course_utils.sampler_analysis import ve_factor_product


def dense_gmm_denoiser(weights, means, covs, x, t):
    """Source eq. 8 written out: dense solves and slogdet, one component at a time."""
    n, d = x.shape
    logw = np.empty((n, len(weights)))
    comp = np.empty((len(weights), n, d))
    for k, (pi, mu, cov) in enumerate(zip(weights, means, covs, strict=True)):
        c = cov + t * t * np.eye(d)
        y = x - mu
        sol = np.linalg.solve(c, y.T).T
        logw[:, k] = np.log(pi) - 0.5 * (np.linalg.slogdet(c)[1] + (y * sol).sum(1))
        comp[k] = mu + sol @ cov.T  # Sigma (Sigma + t^2 I)^{-1} y, Sigma symmetric
    w = np.exp(logw - logw.max(1, keepdims=True))
    w /= w.sum(1, keepdims=True)
    return np.einsum("nk,knd->nd", w, comp), w


def random_basis(rng, d, p):
    q, _ = np.linalg.qr(rng.standard_normal((d, p)))
    return q


# ---- fact 3: the K = 1 eigen-contraction ------------------------------------------------


def test_contraction_factors_values_and_range():
    f = eigen_contraction_factors([4.0, 1.0, 0.25, 0.0], 1.0)
    np.testing.assert_allclose(f, [0.8, 0.5, 0.2, 0.0], rtol=1e-15)
    assert f[-1] == 0.0  # zero eigenvalue: removed exactly
    grid = eigen_contraction_factors(np.linspace(0, 10, 50), 0.3)
    assert np.all((grid >= 0) & (grid < 1)) and np.all(np.diff(grid) > 0)


def test_contraction_factors_decrease_in_t():
    ts = np.linspace(0.1, 5, 30)
    f = np.array([eigen_contraction_factors([2.0], t)[0] for t in ts])
    assert np.all(np.diff(f) < 0)


@pytest.mark.parametrize("bad", [dict(eigenvalues=[-1.0], t=1.0), dict(eigenvalues=[1.0], t=0.0)])
def test_contraction_factors_reject_bad_input(bad):
    with pytest.raises(ValueError, match="eigenvalues|t"):
        eigen_contraction_factors(**bad)


def test_denoiser_matrix_equals_inverse_form_and_gmm_k1():
    rng = np.random.default_rng(0)
    f = rng.standard_normal((5, 3))
    cov = f @ f.T  # rank 3 in D = 5
    mu = rng.standard_normal(5)
    t = 0.7
    a = gaussian_denoiser_matrix(cov, t)
    a_dense = cov @ np.linalg.inv(cov + t * t * np.eye(5))
    np.testing.assert_allclose(a, a_dense, atol=1e-12)
    x = rng.standard_normal((20, 5)) * 3
    gmm = cu.GaussianMixture([1.0], mu[None], cov[None])
    np.testing.assert_allclose(gaussian_denoiser(x, mu, cov, t), cu.posterior_mean(gmm, x, t),
                               atol=1e-12)


def test_zero_eigendirection_removed_and_contraction_inequality():
    rng = np.random.default_rng(1)
    cov = np.diag([3.0, 1.0, 0.0])
    mu = np.array([1.0, -2.0, 0.5])
    x = rng.standard_normal((200, 3)) * 4
    for t in (0.05, 0.5, 2.0, 20.0):
        out = gaussian_denoiser(x, mu, cov, t)
        np.testing.assert_array_equal(out[:, 2], mu[2])  # direction e3 has lambda = 0
        r_in = np.linalg.norm(x - mu, axis=1)
        r_out = np.linalg.norm(out - mu, axis=1)
        fmax = eigen_contraction_factors([3.0], t)[0]
        assert np.all(r_out <= fmax * r_in * (1 + 1e-12))
        assert np.all(r_out <= r_in)


def test_fixed_t_iteration_converges_geometrically_at_top_factor():
    cov = np.diag([4.0, 1.0, 0.25])
    mu = np.array([1.0, 2.0, -1.0])
    t = 1.0
    path = iterate_fixed_t(lambda z, s: gaussian_denoiser(z, mu, cov, s), mu + 1.0, t, 40)
    assert path.shape == (41, 3)
    err = np.linalg.norm(path - mu, axis=1)
    ratio = err[1:] / err[:-1]
    # ratio -> 0.8 with a correction of order (0.5/0.8)^(2n) ~ 5e-9 at n = 40; rounding of
    # mu + (small) adds ~1e-16 / err[-1] ~ 1e-12 relative
    assert abs(ratio[-1] - 0.8) < 1e-8
    assert np.all(ratio <= 0.8 + 1e-9)
    np.testing.assert_allclose(path[-1], mu, atol=1e-3)


def test_power_iteration_finds_top_eigenvector_not_a_point():
    cov = np.diag([4.0, 1.0, 0.25])
    path = power_iteration(cov, np.array([1.0, 1.0, 1.0]), 40)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 1.0, rtol=1e-14)
    # angle to e1 shrinks like (1/4)^n: after 40 steps below 1e-20 -> exactly aligned in fp
    assert abs(abs(path[-1, 0]) - 1.0) < 1e-14
    with pytest.raises(ValueError, match="x0"):
        power_iteration(cov, np.zeros(3), 3)
    with pytest.raises(ValueError, match="matrix"):
        power_iteration(np.ones((2, 3)), np.ones(3), 3)


def test_iterate_rejects_bad_input():
    with pytest.raises(ValueError, match="denoiser"):
        iterate_fixed_t(None, np.zeros(2), 1.0, 3)
    with pytest.raises(ValueError, match="n"):
        iterate_fixed_t(lambda z, s: z, np.zeros(2), 1.0, -1)


# ---- fact 11 (preview): the sampler is not the fixed-t map ---------------------------------


def test_sampler_gain_limit_and_known_values():
    lam = np.array([0.1, 0.5, 1.0, 2.0, 5.0, 10.0])
    limit = np.sqrt(lam / (lam + 1.0))
    np.testing.assert_allclose(limit, [0.30151, 0.57735, 0.70711, 0.81650, 0.91287, 0.95346],
                               atol=5e-6)
    g1000 = ve_factor_product(lam, 1.0, 1000)
    assert np.all(np.abs(g1000 - limit) < 1e-3)  # O(1/L) Riemann-sum error
    assert abs(g1000[0] - 0.30114) < 5e-5
    assert ve_factor_product(0.1, 1.0, 10) == pytest.approx(0.2665, abs=5e-5)  # under-dispersed
    # per-step factor matches the book's newer form 1 - l T^2 / (lambda L^2 + l^2 T^2)
    L, T, lm = 7, 2.0, 0.3
    ell = np.arange(1, L + 1)
    book = np.prod(1 - ell * T**2 / (lm * L**2 + ell**2 * T**2))
    assert ve_factor_product(lm, T, L) == pytest.approx(book, rel=1e-13)
    # lambda = 0 is zeroed at l = 1 exactly; the fixed-t map would instead decay like f^L
    assert ve_factor_product([0.0], 1.0, 50)[0] == 0.0


# ---- fact 4: SMW and determinants ---------------------------------------------------------


def test_smw_inverse_and_logdet():
    rng = np.random.default_rng(2)
    for d, p in ((6, 1), (6, 3), (9, 9)):
        u = random_basis(rng, d, p)
        for t in (0.1, 1.0, 4.0):
            c = u @ u.T + t * t * np.eye(d)
            inv = low_rank_inverse(u, t)
            np.testing.assert_allclose(inv @ c, np.eye(d), atol=1e-9 * max(1, t**-2))
            np.testing.assert_allclose((u @ u.T) @ inv, u @ u.T / (1 + t * t), atol=1e-12)
            assert low_rank_logdet(d, p, t) == pytest.approx(np.linalg.slogdet(c)[1], abs=1e-10)
    with pytest.raises(ValueError, match="basis"):
        low_rank_inverse(np.ones((3, 2)), 1.0)


# ---- facts 4-7: the attention form against the dense eq. 8 --------------------------------


def test_attention_form_equals_general_formula_equal_ranks():
    rng = np.random.default_rng(3)
    d, k, p = 8, 4, 2
    us = [random_basis(rng, d, p) for _ in range(k)]
    x = rng.standard_normal((50, d)) * 2
    covs = np.stack([u @ u.T for u in us])
    for t in (0.3, 1.0, 3.0):
        ref, w_ref = dense_gmm_denoiser(np.full(k, 1 / k), np.zeros((k, d)), covs, x, t)
        proj = np.stack([((x @ u) ** 2).sum(1) for u in us], 1)
        logits = proj / (2 * t * t * (1 + t * t))
        w = np.exp(logits - logits.max(1, keepdims=True))
        w /= w.sum(1, keepdims=True)
        np.testing.assert_allclose(w, w_ref, atol=1e-12)
        np.testing.assert_allclose(cu.attention_weights(us, x, t), w_ref, atol=1e-12)
        np.testing.assert_allclose(cu.attention_denoiser(us, x, t), ref, atol=1e-12)


def test_unequal_ranks_and_weights_correction_and_naive_formula_error():
    rng = np.random.default_rng(4)
    d = 6
    us = [random_basis(rng, d, p) for p in (1, 4)]
    pis = np.array([0.7, 0.3])
    x = rng.standard_normal((100, d)) * 2
    covs = np.stack([u @ u.T for u in us])
    t = 0.5
    ref, w_ref = dense_gmm_denoiser(pis, np.zeros((2, d)), covs, x, t)
    np.testing.assert_allclose(cu.attention_weights(us, x, t, weights=pis), w_ref, atol=1e-12)
    np.testing.assert_allclose(cu.attention_denoiser(us, x, t, weights=pis), ref, atol=1e-12)
    # fact 5 written out by hand
    proj = np.stack([((x @ u) ** 2).sum(1) for u in us], 1)
    logit = np.log(pis) + 0.5 * np.array([1, 4]) * np.log(t * t / (1 + t * t)) + proj / (
        2 * t * t * (1 + t * t))
    w = np.exp(logit - logit.max(1, keepdims=True))
    np.testing.assert_allclose(w / w.sum(1, keepdims=True), w_ref, atol=1e-12)
    # erratum 9: dropping the correction is badly wrong here
    naive = np.exp(proj / (2 * t * t * (1 + t * t)))
    naive /= naive.sum(1, keepdims=True)
    assert np.abs(naive - w_ref).max() > 0.3


def test_alpha_sigma_form_vp():
    rng = np.random.default_rng(5)
    d, k, p = 5, 3, 2
    us = [random_basis(rng, d, p) for _ in range(k)]
    gmm = cu.GaussianMixture.low_rank(us)
    x = rng.standard_normal((30, d))
    vp = cu.VP()
    for t in (0.2, 0.6, 0.95):
        a2 = 1 - t * t
        proj = np.stack([((x @ u) ** 2).sum(1) for u in us], 1)
        logits = a2 * proj / (2 * t * t)  # (1 - t^2) ||U^T x||^2 / (2 t^2) since a^2 + s^2 = 1
        w = np.exp(logits - logits.max(1, keepdims=True))
        w /= w.sum(1, keepdims=True)
        np.testing.assert_allclose(cu.responsibilities(gmm, x, t, vp), w, atol=1e-12)
        out = np.sqrt(a2) * sum(w[:, [j]] * (x @ u) @ u.T for j, u in enumerate(us))
        np.testing.assert_allclose(cu.posterior_mean(gmm, x, t, vp), out, atol=1e-12)


def test_temperature_limits():
    rng = np.random.default_rng(6)
    d, k = 4, 3
    us = [random_basis(rng, d, 1) for _ in range(k)]
    x = rng.standard_normal((40, d))
    proj = np.stack([((x @ u) ** 2).sum(1) for u in us], 1)
    t = 100.0
    w = cu.attention_weights(us, x, t)
    spread = (proj.max(1) - proj.min(1)) / (2 * t * t * (1 + t * t))
    assert np.all(np.abs(w - 1 / k).max(1) <= (np.expm1(spread) / k) + 1e-15)
    assert np.abs(cu.attention_denoiser(us, x, t)).max() < 10 / (1 + t * t)
    t = 0.02
    w = cu.attention_weights(us, x, t)
    top = np.sort(proj, 1)
    gap = (top[:, -1] - top[:, -2]) / (2 * t * t * (1 + t * t))
    ok = gap > 5  # generic points: the argmax wins with weight >= 1 - (K-1) e^{-gap}
    assert ok.mean() > 0.9
    assert np.all(w[ok, :].max(1) >= 1 - (k - 1) * np.exp(-gap[ok]) - 1e-15)
    np.testing.assert_array_equal(w[ok].argmax(1), proj[ok].argmax(1))
    # weights sum to 1 and ignore a common shift of the logits
    np.testing.assert_allclose(w.sum(1), 1.0, rtol=1e-14)
