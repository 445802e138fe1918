"""Chapter 8: exact posterior of a Gaussian mixture, conditional / DPS / guided denoisers.

Tolerances: closed-form identities 1e-10, central differences (h = 1e-5) 1e-6, Monte Carlo
fractions +-0.05 at n = 2000, DDIM variance deficit rtol 0.1 at L = 100, the 2-D example
propagated exactly through the affine maps to 1e-12.
"""

import numpy as np
import pytest

import course_utils as cu
from course_utils import inference as inf
from course_utils.pca import random_orthonormal
from course_utils.sampler_analysis import nearest_subspace

VP = cu.VP()
LOG2PI = np.log(2 * np.pi)


def mvn_logpdf(y, mean, cov):
    L = np.linalg.cholesky(cov)
    z = np.linalg.solve(L, y - mean)
    return -0.5 * (len(y) * LOG2PI + 2 * np.log(np.diag(L)).sum() + z @ z)


def floored_mixture(D=10, K=3, P=2, floor=0.05, seed=0):
    rng = np.random.default_rng(seed)
    bases = [random_orthonormal(D, P, rng) for _ in range(K)]
    means = 0.5 * rng.standard_normal((K, D))
    covs = np.stack([u @ u.T + floor * np.eye(D) for u in bases])
    w = rng.dirichlet(np.ones(K) * 3)
    return cu.GaussianMixture(w, means, covs), rng


def dense_posterior(gmm, A, y, s):
    """Posterior mixture from the dense formulas (weights, means, covariances)."""
    logw, means, covs = [], [], []
    for pi, mu, sig in zip(gmm.weights, gmm.means, gmm.covs, strict=True):
        S = A @ sig @ A.T + s * s * np.eye(A.shape[0])
        G = sig @ A.T @ np.linalg.inv(S)
        logw.append(np.log(pi) + mvn_logpdf(y, A @ mu, S))
        means.append(mu + G @ (y - A @ mu))
        covs.append(sig - G @ A @ sig)
    logw = np.array(logw)
    w = np.exp(logw - logw.max())
    return w / w.sum(), np.array(means), np.array(covs)


# -- the exact posterior --------------------------------------------------------------------------
def test_condition_gaussian_is_schur_complement_of_joint():
    rng = np.random.default_rng(0)
    D, m, s = 5, 2, 0.3
    R = rng.standard_normal((D, D))
    sig, mu = R @ R.T / D, rng.standard_normal(D)
    A = rng.standard_normal((m, D))
    y = rng.standard_normal(m)
    # joint covariance of (x, y): [[S, S A^T], [A S, A S A^T + s^2 I]]
    Sxy = sig @ A.T
    Syy = A @ sig @ A.T + s * s * np.eye(m)
    mean_ref = mu + Sxy @ np.linalg.solve(Syy, y - A @ mu)
    cov_ref = sig - Sxy @ np.linalg.solve(Syy, Sxy.T)
    pm, pc = inf.condition_gaussian(mu, sig, A, y, s)
    np.testing.assert_allclose(pm, mean_ref, atol=1e-10)
    np.testing.assert_allclose(pc, cov_ref, atol=1e-10)


@pytest.mark.parametrize("kind", ["full", "low_rank", "rank_deficient"])
def test_condition_mixture_matches_dense_formulas(kind):
    rng = np.random.default_rng(1)
    D, K, P, m, s = 6, 3, 2, 3, 0.2
    bases = [random_orthonormal(D, P, rng) for _ in range(K)]
    means = 0.5 * rng.standard_normal((K, D))
    if kind == "full":
        gmm, _ = floored_mixture(D, K, P, 0.1, seed=2)
    elif kind == "low_rank":
        gmm = cu.GaussianMixture.low_rank(bases, [0.2, 0.5, 0.3], means, [[1.0, 0.5]] * K)
    else:  # full constructor with singular covariances (exact zero eigenvalues)
        gmm = cu.GaussianMixture([0.2, 0.5, 0.3], means, [u @ u.T for u in bases])
    A = rng.standard_normal((m, D))
    y = A @ gmm.sample(1, rng)[0] + s * rng.standard_normal(m)
    post = gmm.condition(A, y, s)
    w, mu, cov = dense_posterior(gmm, A, y, s)
    np.testing.assert_allclose(post.weights, w, atol=1e-10)
    np.testing.assert_allclose(post.means, mu, atol=1e-10)
    np.testing.assert_allclose(post.covs, cov, atol=1e-10)
    assert isinstance(post, cu.GaussianMixture)
    if kind != "full":
        # the posterior of a rank-P component stays in its P-dimensional subspace
        assert list(post.ranks) == [P] * K


def test_low_rank_closed_form():
    rng = np.random.default_rng(3)
    D, P, m, s = 6, 2, 3, 0.2
    U = random_orthonormal(D, P, rng)
    A = rng.standard_normal((m, D))
    B = A @ U
    post = cu.GaussianMixture.low_rank([U]).condition(A, rng.standard_normal(m), s)
    ref = U @ np.linalg.inv(np.eye(P) + B.T @ B / s**2) @ U.T
    np.testing.assert_allclose(post.covs[0], ref, atol=1e-12)
    # the posterior basis spans the same subspace as U
    np.testing.assert_allclose(U @ U.T @ post._bases[0], post._bases[0], atol=1e-12)


def test_conditioner_batch_equals_one_at_a_time():
    gmm, rng = floored_mixture()
    A = rng.standard_normal((4, gmm.D))
    Y = rng.standard_normal((7, 4))
    c = inf.MixtureConditioner(gmm, A, 0.3)
    W, M, mean = c.weights(Y), c.means(Y), c.mean(Y)
    for i in range(7):
        post = gmm.condition(A, Y[i], 0.3)
        np.testing.assert_allclose(W[i], post.weights, atol=1e-12)
        np.testing.assert_allclose(M[i], post.means, atol=1e-12)
        np.testing.assert_allclose(mean[i], post.weights @ post.means, atol=1e-12)
    np.testing.assert_allclose(c.covariances(), gmm.condition(A, Y[0], 0.3).covs, atol=1e-12)
    np.testing.assert_allclose(np.exp(c.log_evidence(Y[0])).sum(),
                               np.exp(c.log_evidence(Y[:1])).sum(), rtol=1e-12)


def test_posterior_weights_against_importance_sampling():
    # weights and mean of p(x | y) by self-normalized importance sampling from the prior
    rng = np.random.default_rng(5)
    D, K, P, s = 6, 3, 2, 0.2
    gmm, _ = floored_mixture(D, K, P, 0.1, seed=5)
    A = rng.standard_normal((2, D))
    x0, _ = gmm.sample(1, rng, return_labels=True)
    y = A @ x0[0] + s * rng.standard_normal(2)
    post = gmm.condition(A, y, s)
    xs, labels = gmm.sample(400_000, rng, return_labels=True)
    logw = -0.5 * ((xs @ A.T - y) ** 2).sum(axis=1) / s**2
    w = np.exp(logw - logw.max())
    w /= w.sum()
    ess = 1 / (w**2).sum()
    mc_weights = np.bincount(labels, weights=w, minlength=K)
    se = np.sqrt(post.weights * (1 - post.weights) / ess)
    assert np.all(np.abs(mc_weights - post.weights) <= 5 * se + 1e-3)
    mc_mean = w @ xs
    sd = np.sqrt(np.einsum("kdd->d", post.covs * post.weights[:, None, None]) / D)
    assert np.abs(mc_mean - post.weights @ post.means).max() < 5 * sd.max() / np.sqrt(ess) + 1e-3


def test_condition_is_stable_far_away_and_with_tiny_noise():
    gmm, rng = floored_mixture()
    A = np.eye(gmm.D)[:3]
    y = np.array([1e3, -1e3, 5e2])  # log-weights ~ -1e6: naive exp underflows
    post = gmm.condition(A, y, 0.01)
    assert np.all(np.isfinite(post.weights)) and abs(post.weights.sum() - 1) < 1e-12
    assert np.all(np.isfinite(post.means))
    post = gmm.condition(A, A @ gmm.means[0], 1e-8)
    assert np.all(np.isfinite(post.covs)) and post.weights.argmax() >= 0
    # the measured coordinates are pinned to y (up to the noise level)
    np.testing.assert_allclose(post.means[:, :3], np.tile(A @ gmm.means[0], (gmm.K, 1)),
                               atol=1e-6)


def test_point_mass_component_stays_a_point_mass():
    mu = np.array([[1.0, 0.0], [0.0, 2.0]])
    gmm = cu.GaussianMixture([0.5, 0.5], mu, [np.zeros((2, 2)), np.eye(2)])
    post = gmm.condition(np.array([[1.0, 0.0]]), [0.9], 0.1)
    np.testing.assert_allclose(post.means[0], mu[0], atol=1e-14)
    np.testing.assert_allclose(post.covs[0], 0.0, atol=1e-14)
    w, m_ref, c_ref = dense_posterior(gmm, np.array([[1.0, 0.0]]), np.array([0.9]), 0.1)
    np.testing.assert_allclose(post.weights, w, atol=1e-12)
    np.testing.assert_allclose(post.covs[1], c_ref[1], atol=1e-12)


@pytest.mark.parametrize(
    "args,match",
    [
        ((np.ones((2, 5)), np.zeros(2), 0.1), "A must have shape"),
        ((np.ones(10), np.zeros(1), 0.1), "A must be 2-D"),
        ((np.ones((2, 10)), np.zeros(3), 0.1), "y must have 2 entries"),
        ((np.ones((2, 10)), np.array([0.0, np.nan]), 0.1), "y must contain only finite"),
        ((np.ones((2, 10)), np.zeros(2), 0.0), "noise_std must be > 0"),
        ((np.ones((2, 10)), np.zeros(2), -1.0), "noise_std must be > 0"),
        ((np.full((2, 10), np.inf), np.zeros(2), 0.1), "A must contain only finite"),
    ],
)
def test_condition_errors(args, match):
    gmm, _ = floored_mixture()
    with pytest.raises(ValueError, match=match):
        gmm.condition(*args)


def test_other_errors():
    gmm, _ = floored_mixture()
    A = np.ones((2, 10))
    with pytest.raises(ValueError, match="gmm must be a GaussianMixture"):
        inf.condition_mixture("gmm", A, np.zeros(2), 0.1)
    with pytest.raises(ValueError, match="one measurement"):
        gmm.condition(A, np.zeros((3, 2)), 0.1)
    with pytest.raises(ValueError, match="label must lie in"):
        inf.guided_denoiser(gmm, 5, 2.0, VP)
    with pytest.raises(ValueError, match="label must be an integer"):
        inf.class_conditional_denoiser(gmm, 1.5, VP)
    with pytest.raises(ValueError, match="gamma must be"):
        inf.guided_denoiser(gmm, 0, np.nan, VP)
    with pytest.raises(ValueError, match="one entry per point"):
        inf.guided_denoiser(gmm, [0, 1], 2.0, VP)(np.zeros((3, 10)), 0.5)
    with pytest.raises(ValueError, match="callables"):
        inf.cfg_denoiser(None, None, 1.0)
    with pytest.raises(ValueError, match="noise_std"):
        inf.empirical_posterior_weights(np.zeros((3, 10)), A, np.zeros(2), 0.0)


# -- conditional denoisers ------------------------------------------------------------------------
def test_kalman_form_equals_posterior_mixture_denoiser():
    gmm, rng = floored_mixture(D=10, K=3, P=2, floor=0.05)
    A = rng.standard_normal((4, 10))
    y = A @ gmm.sample(1, rng)[0] + 0.3 * rng.standard_normal(4)
    exact = inf.conditional_denoiser(gmm, A, y, 0.3, VP)
    kalman = inf.kalman_conditional_denoiser(gmm, A, y, 0.3, VP)
    x = 2 * rng.standard_normal((40, 10))
    for t in (0.05, 0.45, 0.9, 1.0):
        np.testing.assert_allclose(kalman(x, t), exact(x, t), atol=1e-10)
    np.testing.assert_allclose(kalman(x[0], 0.45), exact(x[:1], 0.45)[0], atol=1e-10)
    # at t = 0 both return the input (nothing to denoise)
    np.testing.assert_allclose(kalman(x, 0.0), x)


def test_conditional_denoiser_is_conditioning_of_joint_gaussian():
    rng = np.random.default_rng(7)
    D, m, s, t = 4, 2, 0.3, 0.6
    R = rng.standard_normal((D, D))
    sig, mu = R @ R.T / D + 0.1 * np.eye(D), rng.standard_normal(D)
    A = rng.standard_normal((m, D))
    y = rng.standard_normal(m)
    a = np.sqrt(1 - t * t)
    # joint covariance of (x, x_t, y)
    C = np.block([[sig, a * sig, sig @ A.T],
                  [a * sig, a * a * sig + t * t * np.eye(D), a * sig @ A.T],
                  [A @ sig, a * A @ sig, A @ sig @ A.T + s * s * np.eye(m)]])
    m_all = np.concatenate([mu, a * mu, A @ mu])
    x_t = rng.standard_normal(D)
    obs = np.concatenate([x_t, y])
    ref = mu + C[:D, D:] @ np.linalg.solve(C[D:, D:], obs - m_all[D:])
    gmm = cu.GaussianMixture([1.0], mu[None], sig[None])
    np.testing.assert_allclose(inf.conditional_denoiser(gmm, A, y, s, VP)(x_t, t), ref,
                               atol=1e-10)


def test_decomposition_and_jacobian_by_central_differences():
    gmm, rng = floored_mixture(D=6, K=3, P=2, floor=0.1, seed=11)
    A = rng.standard_normal((2, 6))
    y = A @ gmm.sample(1, rng)[0] + 0.3 * rng.standard_normal(2)
    t, h = 0.5, 1e-5
    a = np.sqrt(1 - t * t)
    x = rng.standard_normal(6)
    E = np.eye(6)

    def loglik(z):
        return inf.measurement_log_likelihood(gmm, A, y, 0.3, z, t, VP)

    grad = np.array([(loglik(x + h * e) - loglik(x - h * e)) / (2 * h) for e in E])
    lhs = inf.conditional_denoiser(gmm, A, y, 0.3, VP)(x, t)
    rhs = cu.posterior_mean(gmm, x, t, VP) + t * t / a * grad
    np.testing.assert_allclose(lhs, rhs, atol=1e-6)
    J = np.array([(cu.posterior_mean(gmm, x + h * e, t, VP)
                   - cu.posterior_mean(gmm, x - h * e, t, VP)) / (2 * h) for e in E]).T
    C = inf.posterior_covariance(gmm, x, t, VP)
    np.testing.assert_allclose(J, a / t**2 * C, atol=1e-6)
    np.testing.assert_allclose(J, J.T, atol=1e-6)
    # log p(y | x_t) at t -> the VP end point is the prior evidence log p(y)
    p_y = np.log(np.exp(inf.MixtureConditioner(gmm, A, 0.3).log_evidence(y)).sum())
    np.testing.assert_allclose(inf.measurement_log_likelihood(gmm, A, y, 0.3, x, 1.0, VP), p_y,
                               atol=1e-10)


def test_posterior_covariance_of_a_gaussian_is_C_t():
    rng = np.random.default_rng(2)
    R = rng.standard_normal((3, 3))
    sig = R @ R.T
    gmm = cu.GaussianMixture([1.0], np.zeros((1, 3)), sig[None])
    t = 0.4
    a = np.sqrt(1 - t * t)
    ref = t * t * sig @ np.linalg.inv(a * a * sig + t * t * np.eye(3))
    np.testing.assert_allclose(inf.posterior_covariance(gmm, rng.standard_normal((2, 3)), t, VP),
                               np.stack([ref, ref]), atol=1e-12)


def test_dps_formula_and_its_finite_end_point():
    gmm, rng = floored_mixture(seed=4)
    A = rng.standard_normal((3, gmm.D))
    y = rng.standard_normal(3)
    s = 0.2
    dps = inf.dps_denoiser(gmm, A, y, s, VP)
    x = rng.standard_normal((5, gmm.D))
    for t in (0.1, 0.5, 0.99):
        xb = cu.posterior_mean(gmm, x, t, VP)
        C = inf.posterior_covariance(gmm, x, t, VP)
        ref = xb + np.einsum("nde,ne->nd", C, (y - xb @ A.T) @ A) / s**2
        np.testing.assert_allclose(dps(x, t), ref, atol=1e-10)
    # VP t = 1 (alpha = 0): xbar = E[x], C = Cov[x]; sigma^2/alpha would be 0 * inf
    mean = gmm.weights @ gmm.means
    cov = np.einsum("k,kde->de", gmm.weights, gmm.covs + np.einsum("kd,ke->kde", gmm.means,
                                                                   gmm.means))
    cov -= np.outer(mean, mean)
    ref = mean + cov @ A.T @ (y - A @ mean) / s**2
    np.testing.assert_allclose(dps(x, 1.0), np.tile(ref, (5, 1)), atol=1e-10)


def test_dps_drops_the_innovation_term_for_a_gaussian():
    # Gaussian prior: exact = xbar + C A^T (A C A^T + s^2)^{-1} r, DPS = xbar + C A^T r / s^2
    rng = np.random.default_rng(8)
    sig = np.diag([1.0, 0.25])
    A = np.array([[1.0, 0.0]])
    gmm = cu.GaussianMixture([1.0], np.zeros((1, 2)), sig[None])
    x = rng.standard_normal((4, 2))
    t, s, y = 0.7, 0.1, np.array([0.7])
    a = np.sqrt(1 - t * t)
    C = t * t * sig @ np.linalg.inv(a * a * sig + t * t * np.eye(2))
    xb = cu.posterior_mean(gmm, x, t, VP)
    r = y - xb @ A.T
    exact = xb + r @ np.linalg.solve(A @ C @ A.T + s * s, A @ C)
    dps = xb + r @ (A @ C) / s**2
    np.testing.assert_allclose(inf.conditional_denoiser(gmm, A, y, s, VP)(x, t), exact,
                               atol=1e-12)
    np.testing.assert_allclose(inf.dps_denoiser(gmm, A, y, s, VP)(x, t), dps, atol=1e-12)


# -- the 2-D example, propagated exactly through the affine maps ----------------------------------
SIG2 = np.diag([1.0, 0.25])
A2 = np.array([[1.0, 0.0]])


@pytest.mark.parametrize(
    "sy,post,exact,dps",
    [(0.1, (0.69307, 0.00990), (0.69307, 0.00914), (0.7063, None)),
     (0.5, (0.56, 0.20), (0.56, 0.1943), (0.899, 0.0185))],
)
def test_two_d_example_numbers(sy, post, exact, dps):
    pm, pc = inf.condition_gaussian(np.zeros(2), SIG2, A2, [0.7], sy)
    assert round(pm[0], 5) == pytest.approx(post[0]) and round(pc[0, 0], 5) == pytest.approx(
        post[1], abs=1e-5)
    F, c = inf.sampler_affine_map(lambda t: inf.gaussian_denoiser_affine(pm, pc, t, VP), VP,
                                  L=100)
    assert c[0] == pytest.approx(exact[0], abs=1e-5)
    assert (F @ F.T)[0, 0] == pytest.approx(exact[1], abs=1e-4)
    Fd, cd = inf.sampler_affine_map(
        lambda t: inf.dps_affine(np.zeros(2), SIG2, A2, [0.7], sy, t, VP), VP, L=100)
    var_dps = (Fd @ Fd.T)[0, 0]
    assert cd[0] == pytest.approx(dps[0], abs=1e-3)
    if dps[1] is None:  # total collapse: variance ~ 1e-76
        assert var_dps < 1e-70
    else:
        assert var_dps == pytest.approx(dps[1], abs=1e-4)


@pytest.mark.parametrize("sy", [0.1, 0.5])
def test_samplers_are_the_affine_maps(sy):
    rng = np.random.default_rng(9)
    gmm = cu.GaussianMixture([1.0], np.zeros((1, 2)), SIG2[None])
    X = rng.standard_normal((6, 2))
    pm, pc = inf.condition_gaussian(np.zeros(2), SIG2, A2, [0.7], sy)
    F, c = inf.sampler_affine_map(lambda t: inf.gaussian_denoiser_affine(pm, pc, t, VP), VP,
                                  L=100)
    out = cu.sample(inf.conditional_denoiser(gmm, A2, [0.7], sy, VP), VP, X, L=100)
    np.testing.assert_allclose(out, X @ F.T + c, atol=1e-12)
    Fd, cd = inf.sampler_affine_map(
        lambda t: inf.dps_affine(np.zeros(2), SIG2, A2, [0.7], sy, t, VP), VP, L=100)
    out = cu.sample(inf.dps_denoiser(gmm, A2, [0.7], sy, VP), VP, X, L=100)
    np.testing.assert_allclose(out, X @ Fd.T + cd, atol=1e-12)
    # and with a grid given explicitly
    F2, c2 = inf.sampler_affine_map(lambda t: inf.gaussian_denoiser_affine(pm, pc, t, VP), VP,
                                    grid=VP.grid(100))
    np.testing.assert_allclose(F2, F, atol=1e-15)


def test_ddim_variance_deficit_shrinks_with_L():
    pm, pc = inf.condition_gaussian(np.zeros(2), SIG2, A2, [0.7], 0.1)
    ratios = []
    for L in (100, 400, 1600):
        F, _ = inf.sampler_affine_map(lambda t: inf.gaussian_denoiser_affine(pm, pc, t, VP), VP,
                                      L=L)
        ratios.append((F @ F.T)[0, 0] / pc[0, 0])
    np.testing.assert_allclose(ratios, [0.923, 0.980, 0.995], atol=2e-3)


# -- sampling the posterior of a mixture of subspaces ----------------------------------------------
def inpainting_setup(m=3, seed=1):
    rng = np.random.default_rng(seed)
    D, K, P = 32, 3, 4
    bases = [random_orthonormal(D, P, rng) for _ in range(K)]
    gmm = cu.GaussianMixture.low_rank(bases)
    x_star = gmm.sample(1, rng)[0]
    A = np.eye(D)[:m]
    y = A @ x_star + 0.05 * rng.standard_normal(m)
    return gmm, bases, A, y, rng


def test_exact_ddim_samples_the_posterior_and_dps_does_not():
    gmm, bases, A, y, rng = inpainting_setup()
    post = gmm.condition(A, y, 0.05)
    n = 2000
    direct = post.sample(n, rng)
    g0 = rng.standard_normal((n, 32))
    exact = cu.sample(inf.conditional_denoiser(gmm, A, y, 0.05, VP), VP, g0, L=100)
    frac = [np.bincount(nearest_subspace(s, bases), minlength=3) / n for s in (direct, exact)]
    assert np.abs(frac[0] - frac[1]).max() < 0.05
    # posterior mean and total variance (DDIM deficit: rtol 0.1 at L = 100)
    true_mean = post.weights @ post.means
    true_var = np.trace(np.einsum("k,kde->de", post.weights,
                                  post.covs + np.einsum("kd,ke->kde", post.means, post.means))
                        - np.outer(true_mean, true_mean))
    assert np.linalg.norm(exact.mean(0) - true_mean) < 0.2
    assert exact.var(0).sum() == pytest.approx(true_var, rel=0.1)
    # measurement residual: about sigma_y (less: the last step is a posterior mean)
    resid = np.sqrt(((exact @ A.T - y) ** 2).mean())
    assert 0.02 < resid < 0.07
    dps = cu.sample(inf.dps_denoiser(gmm, A, y, 0.05, VP), VP, g0, L=100)
    frac_dps = np.bincount(nearest_subspace(dps, bases), minlength=3) / n
    assert np.abs(frac_dps - frac[0]).max() > 0.15  # wrong mixture weights
    assert dps.var(0).sum() < 0.85 * true_var  # lost posterior variance


# -- guidance -------------------------------------------------------------------------------------
def test_guided_denoiser_special_cases_and_composition():
    gmm, rng = floored_mixture(seed=6)
    x = rng.standard_normal((20, gmm.D))
    t = 0.4
    uncond = gmm.denoiser(VP)
    cond = inf.class_conditional_denoiser(gmm, 1, VP)
    np.testing.assert_allclose(inf.guided_denoiser(gmm, 1, 0.0, VP)(x, t), uncond(x, t),
                               atol=1e-12)
    np.testing.assert_allclose(inf.guided_denoiser(gmm, 1, 1.0, VP)(x, t), cond(x, t),
                               atol=1e-12)
    np.testing.assert_allclose(inf.guided_denoiser(gmm, 1, 3.0, VP)(x, t),
                               inf.cfg_denoiser(uncond, cond, 3.0)(x, t), atol=1e-12)
    # the class-conditional denoiser is component 1's own denoiser
    one = cu.GaussianMixture([1.0], gmm.means[1:2], gmm.covs[1:2])
    np.testing.assert_allclose(cond(x, t), cu.posterior_mean(one, x, t, VP), atol=1e-12)
    # one label per point
    labels = np.arange(20) % gmm.K
    per = inf.guided_denoiser(gmm, labels, 3.0, VP)(x, t)
    for k in range(gmm.K):
        np.testing.assert_allclose(per[labels == k],
                                   inf.guided_denoiser(gmm, k, 3.0, VP)(x[labels == k], t),
                                   atol=1e-12)
    comp = inf.component_posterior_means(gmm, x, t, VP)
    np.testing.assert_allclose(comp[:, 1], cond(x, t), atol=1e-12)


def test_guided_denoiser_is_tweedie_of_tilted_density():
    gmm, rng = floored_mixture(D=6, K=3, P=2, floor=0.1, seed=12)
    t, h, gamma = 0.5, 1e-5, 3.0
    a = np.sqrt(1 - t * t)
    x = rng.standard_normal(6)

    def logq(z):
        return inf.guided_log_density(gmm, 2, gamma, z, t, VP)

    grad = np.array([(logq(x + h * e) - logq(x - h * e)) / (2 * h) for e in np.eye(6)])
    np.testing.assert_allclose(inf.guided_denoiser(gmm, 2, gamma, VP)(x, t),
                               (x + t * t * grad) / a, atol=1e-6)


def test_guidance_coefficients_on_orthogonal_subspaces():
    # c_t ([gamma + (1 - gamma) w_y] U_y U_y^T + (1 - gamma) sum_{k != y} w_k U_k U_k^T) x_t
    rng = np.random.default_rng(3)
    D, K, P, y, gamma, t = 16, 3, 2, 0, 3.0, 0.6
    Q = random_orthonormal(D, K * P, rng)
    bases = [Q[:, k * P:(k + 1) * P] for k in range(K)]
    gmm = cu.GaussianMixture.low_rank(bases)
    x = rng.standard_normal((10, D))
    w = cu.responsibilities(gmm, x, t, VP)
    c = np.sqrt(1 - t * t)  # VP: c_t = alpha_t
    coef = (1 - gamma) * w
    coef[:, y] += gamma
    ref = c * sum(coef[:, k:k + 1] * (x @ u) @ u.T for k, u in enumerate(bases))
    np.testing.assert_allclose(inf.guided_denoiser(gmm, y, gamma, VP)(x, t), ref, atol=1e-12)
    assert np.all((coef[:, y] >= 1 - 1e-12) & (coef[:, y] <= gamma + 1e-12))
    assert np.all(coef[:, 1:] <= 0)


@pytest.mark.parametrize("gamma,L,mean,var", [(3.0, 100, 1.500, 0.0152), (3.0, 2000, 1.500, 0.0156),
                                              (1.0, 2000, 1.0, 0.2496)])
def test_cfg_ddim_is_not_the_tilted_law(gamma, L, mean, var):
    def affine(t):
        Mu, bu = inf.gaussian_denoiser_affine([0.0], [[1.0]], t, VP)
        Mc, bc = inf.gaussian_denoiser_affine([1.0], [[0.25]], t, VP)
        return (1 - gamma) * Mu + gamma * Mc, (1 - gamma) * bu + gamma * bc

    F, c = inf.sampler_affine_map(affine, VP, L=L)
    assert c[0] == pytest.approx(mean, abs=5e-4)
    assert (F @ F.T)[0, 0] == pytest.approx(var, abs=5e-5)
    # the tilted law N(0,1)^(1-gamma) N(1,0.25)^gamma
    prec = (1 - gamma) + gamma / 0.25
    if gamma == 3.0:
        assert (1 / prec, gamma * 4 / prec) == pytest.approx((0.1, 1.2))
        assert abs(c[0] - 1.2) > 0.25


def test_cfg_on_orthogonal_subspaces_stays_on_the_subspace_and_inflates():
    rng = np.random.default_rng(3)
    D, K, P = 16, 3, 2
    Q = random_orthonormal(D, K * P, rng)
    bases = [Q[:, k * P:(k + 1) * P] for k in range(K)]
    gmm = cu.GaussianMixture.low_rank(bases)
    g0 = rng.standard_normal((1000, D))
    energy, on = [], []
    for gamma in (0.0, 1.0, 3.0, 7.0):
        s = cu.sample(inf.guided_denoiser(gmm, 0, gamma, VP), VP, g0, L=200)
        on.append(np.mean(nearest_subspace(s, bases) == 0))
        energy.append(((s @ bases[0]) ** 2).sum(1).mean() / P)
    assert abs(on[0] - 1 / 3) < 0.05 and min(on[1:]) == 1.0
    assert energy[1] == pytest.approx(0.95, abs=0.1)
    assert energy[1] < energy[2] < energy[3] and energy[3] > 3.0


# -- the memorizer's posterior --------------------------------------------------------------------
def test_empirical_posterior():
    rng = np.random.default_rng(4)
    train = rng.standard_normal((50, 5))
    A = rng.standard_normal((2, 5))
    Y = rng.standard_normal((3, 2))
    w = inf.empirical_posterior_weights(train, A, Y, 0.5)
    logw = -0.5 * ((Y[:, None, :] - (train @ A.T)[None]) ** 2).sum(-1) / 0.25
    ref = np.exp(logw - logw.max(1, keepdims=True))
    np.testing.assert_allclose(w, ref / ref.sum(1, keepdims=True), atol=1e-12)
    np.testing.assert_allclose(inf.empirical_posterior_mean(train, A, Y, 0.5), w @ train,
                               atol=1e-12)
    # tiny noise: one-hot on the nearest training point, no NaN
    w = inf.empirical_posterior_weights(train, A, train[7] @ A.T, 1e-6)
    assert w.argmax() == 7 and w.max() == pytest.approx(1.0)


# -- the digits thread (orderings that held on several splits) -------------------------------------
@pytest.fixture(scope="module")
def digits():
    from course_utils import digits as dg

    return dg, dg.load_digits_split()


def test_digits_inpainting_ordering(digits):
    dg, sp = digits
    A = np.eye(64)[:32]
    Y = sp.x_test @ A.T + 0.02 * np.random.default_rng(1).standard_normal((540, 32))

    def hidden_mse(mean):
        return ((mean[:, 32:] - sp.x_test[:, 32:]) ** 2).mean()

    mix = dg.fit_class_mixture(sp.x_train, sp.y_train, 8)
    c = inf.MixtureConditioner(mix, A, 0.02)
    mse_mix = hidden_mse(c.mean(Y))
    mse_single = hidden_mse(inf.MixtureConditioner(dg.fit_gaussian(sp.x_train), A, 0.02).mean(Y))
    mse_mem = hidden_mse(inf.empirical_posterior_mean(sp.x_train, A, Y, 0.02))
    assert mse_mix < mse_single < mse_mem
    assert 0.035 < mse_mix < 0.045
    assert (c.weights(Y).argmax(1) == sp.y_test).mean() > 0.85


def test_digits_cfg_accuracy_and_confidence(digits):
    dg, sp = digits
    mix = dg.fit_class_mixture(sp.x_train, sp.y_train, 8)
    clf = dg.digit_classifier(sp.x_train, sp.y_train)
    labels = np.repeat(np.arange(10), 10)
    g0 = np.random.default_rng(0).standard_normal((100, 64))
    acc, conf = [], []
    for gamma in (0.0, 1.0, 3.0):
        s = cu.sample(inf.guided_denoiser(mix, labels, gamma, VP), VP, g0, L=100)
        p = clf.predict_proba(s)
        acc.append((p.argmax(1) == labels).mean())
        conf.append(p[np.arange(100), labels].mean())
    assert acc[0] < 0.3 and acc[1] >= 0.95
    assert conf[0] < conf[1] < conf[2]


def test_single_measurement_functions_refuse_a_batch_of_y():
    """A batch of measurements where one is expected is refused, never silently cut to y[0]."""
    A = np.eye(2)
    batch = np.zeros((3, 2))
    with pytest.raises(ValueError, match="one measurement"):
        inf.dps_affine(np.zeros(2), np.eye(2), A, batch, 0.1, 0.5, VP)
    with pytest.raises(ValueError, match="one measurement"):
        inf.condition_gaussian(np.zeros(2), np.eye(2), A, batch, 0.1)
