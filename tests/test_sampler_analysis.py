"""Tests for course_utils.sampler_analysis (chapter 5: the VE sampler and its analysis)."""

import numpy as np
import pytest

import course_utils as cu
from course_utils import sampler_analysis as sa

A_VALUES = np.array([0.1, 0.5, 1.0, 2.0, 5.0, 10.0])


def _single_gaussian(lam):
    """N(0, diag(lam)) as a one-component GaussianMixture."""
    lam = np.asarray(lam, float)
    return cu.GaussianMixture([1.0], np.zeros((1, lam.size)), np.diag(lam)[None])


# -- step factors (fact 11) -----------------------------------------------------------------
def test_step_factor_is_mix_of_identity_and_denoiser_gain():
    lam, T, L = np.array([0.0, 0.3, 2.0]), 2.0, 7
    c = sa.ve_step_factors(lam, T, L)
    l = np.arange(1, L + 1)
    t = T * l / L
    expected = (1 - 1 / l) + (1 / l) * lam[:, None] / (lam[:, None] + t**2)
    np.testing.assert_allclose(c, expected, rtol=1e-13, atol=1e-15)
    assert c.shape == (3, L)
    assert c[0, 0] == 0.0  # a lambda = 0 direction is removed exactly at l = 1
    assert np.all((c[1:] > 0) & (c[1:] < 1))


def test_step_factors_match_the_core_sampler_on_a_single_gaussian():
    """The product of factors is exactly what cu.sample does to each eigen-coordinate."""
    lam = np.array([0.1, 1.0, 4.0])
    T, L = 1.5, 40
    gmm = _single_gaussian(lam)
    schedule = cu.VE(T)
    x0 = np.array([[1.0, -2.0, 0.5], [0.3, 0.7, -1.1]])
    out = cu.sample(gmm.denoiser(schedule), schedule, x0, L)
    np.testing.assert_allclose(out, x0 * sa.ve_factor_product(lam, T, L), rtol=1e-10)


def test_factor_product_values_of_fact_11():
    np.testing.assert_allclose(
        sa.ve_factor_limit(A_VALUES, 1.0),
        [0.30151, 0.57735, 0.70711, 0.81650, 0.91287, 0.95346],
        atol=5e-6,
    )
    p1000 = sa.ve_factor_product(A_VALUES, 1.0, 1000)
    assert abs(p1000[0] - 0.30114) < 5e-6
    assert np.all(np.abs(p1000 - sa.ve_factor_limit(A_VALUES, 1.0)) <= 4e-4)
    # the source notes' "0.2665 at L = 10" is the product itself; the gap is 0.0350
    assert abs(sa.ve_factor_product(0.1, 1.0, 10) - 0.2665) < 5e-5


def test_factor_product_vector_L_and_convergence():
    Ls = np.arange(1, 201)
    P = sa.ve_factor_product(A_VALUES, 1.0, Ls)
    assert P.shape == (6, 200)
    np.testing.assert_allclose(P[:, 49], sa.ve_factor_product(A_VALUES, 1.0, 50), rtol=1e-14)
    gap = np.abs(P - sa.ve_factor_limit(A_VALUES, 1.0)[:, None])
    assert np.all(gap[:, -1] < gap[:, 9])  # closer at L = 200 than at L = 10
    assert np.all(P[:, -1] > 0.29)  # never near 0: not a contraction to the mean


def test_limit_is_the_exact_probability_flow_map():
    """The ODE dz/dt = z t / (lam + t^2) has solution z ~ sqrt(lam + t^2): factor from T to 0."""
    lam, T = 0.7, 3.0
    assert np.isclose(sa.ve_factor_limit(lam, T), np.sqrt(lam) / np.sqrt(lam + T * T))
    assert abs(sa.ve_factor_product(lam, T, 20000) - sa.ve_factor_limit(lam, T)) < 1e-4


def test_output_variance_exact_start_monte_carlo():
    """Sampler from the exact law of x_T: variance (prod)^2 (lam + T^2), -> lam as L grows."""
    lam = np.array([0.2, 1.0, 3.0])
    T, L, n = 2.0, 30, 4000
    gmm = _single_gaussian(lam)
    rng = np.random.default_rng(11)
    x_T = rng.standard_normal((n, 3)) * np.sqrt(lam + T * T)
    out = cu.sample(gmm.denoiser(cu.VE(T)), cu.VE(T), x_T, L)
    want = sa.ve_output_variance(lam, T, L, start="exact")
    # variance of a sample variance of n Gaussians: relative SE sqrt(2/n) ~ 0.022; allow 4 SE
    np.testing.assert_allclose(out.var(axis=0), want, rtol=4 * np.sqrt(2 / n))
    assert np.all(want < lam)  # finite L under-disperses
    np.testing.assert_allclose(sa.ve_output_variance(lam, T, 5000), lam, rtol=2e-3)
    iso = sa.ve_output_variance(lam, T, 5000, start="isotropic")
    np.testing.assert_allclose(iso, lam * T * T / (lam + T * T), rtol=2e-3)


def test_brownian_chain_variance_telescopes():
    lam, T = np.array([0.5, 2.0]), 1.5
    for L in (1, 3, 17):
        ts = cu.VE(T).grid(L)
        z = np.ones(2)
        for l in range(L, 0, -1):
            xbar = lam / (lam + ts[l] ** 2) * z
            z = sa.brownian_step(z, xbar, ts[l], ts[l - 1])
        np.testing.assert_allclose(z, lam / (lam + T * T), rtol=1e-12)
        np.testing.assert_allclose(
            sa.ve_output_variance(lam, T, L, coupling="brownian"), lam**2 / (lam + T * T)
        )


# -- couplings (fact 15) and the probability-flow ODE (fact 10) -----------------------------------
@pytest.mark.parametrize("coupling", ["shared", "brownian"])
def test_coupled_mean_matches_joint_covariance(coupling):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 3))
    cov = a @ a.T
    mu = np.array([0.5, -1.0, 2.0])
    gmm = cu.GaussianMixture([1.0], mu[None], cov[None])
    x_t = rng.standard_normal((5, 3)) * 2
    s, t = 0.7, 1.9
    xbar = cu.posterior_mean(gmm, x_t, t)
    lhs = sa.coupled_conditional_mean(x_t, xbar, s, t, coupling)
    rhs = sa.gaussian_coupled_mean(mu, cov, x_t, s, t, coupling)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-12)


def test_couplings_differ_and_monte_carlo_slopes():
    """1-D, x ~ N(0, lam): the library's E[x_s | x_t] (coupled_conditional_mean applied to the
    library's posterior mean) is linear in x_t; its slope must match the regression slope of
    simulated x_s on x_t, (lam + s t)/(lam + t^2) for the shared g (x_s, x_t from
    forward_process with one g) and (lam + s^2)/(lam + t^2) for Brownian increments, within
    4 standard errors of the regression slope."""
    lam, s, t, n = 1.0, 1.0, 2.0, 200_000
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, 1)) * np.sqrt(lam)
    paths = cu.forward_process(x, [s, t], rng)  # one g shared by both times
    shared = (paths[0, :, 0], paths[1, :, 0])
    xs = shared[0]
    brown = (xs, xs + np.sqrt(t * t - s * s) * rng.standard_normal(n))
    gmm = cu.GaussianMixture([1.0], np.zeros((1, 1)), np.full((1, 1, 1), lam))
    probe = np.array([[1.0]])  # E[x_s | x_t] is linear through 0: its value at 1 is the slope
    for (x_s, x_t), coupling in ((shared, "shared"), (brown, "brownian")):
        lib = sa.coupled_conditional_mean(probe, cu.posterior_mean(gmm, probe, t), s, t,
                                          coupling)[0, 0]
        slope = np.dot(x_s, x_t) / np.dot(x_t, x_t)
        resid = x_s - slope * x_t
        se = np.sqrt(resid.var() / np.dot(x_t, x_t))
        assert abs(slope - lib) < 4 * se
    # the two coefficients on x_t differ (0.5 vs 0.25 here), so the assertion can fail
    xb = np.zeros(1)
    assert sa.coupled_conditional_mean(np.ones(1), xb, s, t)[0] == pytest.approx(0.5)
    assert sa.coupled_conditional_mean(np.ones(1), xb, s, t, "brownian")[0] == pytest.approx(0.25)


def test_euler_step_equals_ddim_and_one_over_l_rule():
    rng = np.random.default_rng(2)
    x, xbar = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    T, L = 5.0, 8
    ts = cu.VE(T).grid(L)
    for l in range(1, L + 1):
        e = sa.probability_flow_euler_step(x, xbar, ts[l], ts[l - 1])
        np.testing.assert_allclose(e, (1 - 1 / l) * x + xbar / l, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(e, cu.ddim_step(x, xbar, ts[l], ts[l - 1], cu.VE(T)),
                                   rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(sa.probability_flow_euler_step(x, xbar, ts[1], 0.0), xbar)
    np.testing.assert_allclose(sa.probability_flow_velocity(x, xbar, 2.0), (x - xbar) / 2)


def test_conditional_mean_gains_and_entropy_drop():
    lam = np.array([0.0, 0.5, 2.0])
    s, t = 0.4, 1.3
    a = sa.conditional_mean_gains(lam, s, t)
    cov = np.diag(lam)
    A = (cov + s * t * np.eye(3)) @ np.linalg.inv(cov + t * t * np.eye(3))
    np.testing.assert_allclose(np.sort(np.linalg.eigvals(A).real), np.sort(a), rtol=1e-12)
    assert np.all((a > 0) & (a < 1))
    cov_t = cov + t * t * np.eye(3)
    cov_out = A @ cov_t @ A.T
    dh = 0.5 * (np.linalg.slogdet(cov_out)[1] - np.linalg.slogdet(cov_t)[1])
    assert dh == pytest.approx(np.log(a).sum(), rel=1e-10)
    # variance shortfall against the true x_s: lam (t - s)^2 / (lam + t^2)
    np.testing.assert_allclose(lam + s * s - np.diag(cov_out), lam * (t - s) ** 2 / (lam + t * t),
                               atol=1e-12)


# -- quality metrics -----------------------------------------------------------------------------
def test_subspace_distance_and_nearest():
    e = np.eye(3)
    bases = [e[:, :1], e[:, 1:3]]
    x = np.array([[2.0, 0, 0], [0, 1, 1], [1.0, 2.0, 0], [3.0, 0, 4.0]])
    d = sa.subspace_distance(x, bases)
    np.testing.assert_allclose(d, [0, 0, 1.0, 3.0])
    np.testing.assert_array_equal(sa.nearest_subspace(x, bases), [0, 1, 1, 1])
    np.testing.assert_allclose(sa.component_fractions(x, bases), [0.25, 0.75])
    assert sa.subspace_distance(np.array([0.0, 3.0, 4.0]), e[:, :1]) == pytest.approx(5.0)


def test_metrics_on_exact_data_samples():
    gmm, bases, variances = sa.lines_and_plane_mixture(4)
    n = 3000
    x = gmm.sample(n, np.random.default_rng(0))
    assert sa.subspace_distance(x, bases).max() < 1e-9
    fr = sa.component_fractions(x, bases)
    # binomial SE sqrt(p(1-p)/n) ~ 0.0086; allow 4 SE
    assert np.all(np.abs(fr - 1 / 3) < 4 * np.sqrt(2 / 9 / n))
    en = sa.direction_energy(x, bases, variances)
    # each energy is a mean of ~1000 chi^2_P/P variables: SE sqrt(2/(P n/3)) <= 0.045
    assert np.all(np.abs(en - 1) < 4 * np.sqrt(2 / (n / 3)))


def test_direction_energy_empty_component_is_nan_and_default_variances():
    e = np.eye(2)
    en = sa.direction_energy(np.array([[2.0, 0.0]]), [e[:, :1], e[:, 1:]])
    assert en[0] == pytest.approx(4.0) and np.isnan(en[1])


def test_lines_and_plane_mixture_structure():
    gmm, bases, variances = sa.lines_and_plane_mixture(4)
    assert [u.shape[1] for u in bases] == [1, 1, 2]
    rebuilt = np.stack([(u * v) @ u.T for u, v in zip(bases, variances, strict=True)])
    np.testing.assert_allclose(gmm.covs, rebuilt, atol=1e-10)
    rng = np.random.default_rng(4)
    f1 = rng.standard_normal((3, 1))
    np.testing.assert_allclose(gmm.covs[0], 6 * f1 @ f1.T, atol=1e-10)


def test_fact_19_ve_sampler_statistics():
    """D = 10, K = 3, P = 2, covariances U_k U_k^T, VE T = 5, L = 500, start N(0, 25 I)."""
    rng = np.random.default_rng(19)
    bases = [np.linalg.qr(rng.standard_normal((10, 2)))[0] for _ in range(3)]
    gmm = cu.GaussianMixture.low_rank(bases)
    T, L, n = 5.0, 500, 600
    x0 = cu.initial_noise(cu.VE(T), n, 10, rng)
    out = cu.sample(gmm.denoiser(cu.VE(T)), cu.VE(T), x0, L)
    assert sa.subspace_distance(out, bases).max() < 0.01
    fr = sa.component_fractions(out, bases)
    assert np.all(np.abs(fr - 1 / 3) < 4 * np.sqrt(2 / 9 / n))
    en = sa.direction_energy(out, bases)
    # expected about T^2/(1 + T^2) = 0.96 (start misses the data variance); SE ~ 0.07 per k
    assert np.all(np.abs(en - 25 / 26) < 4 * np.sqrt(2 / (2 * n / 3)))


# -- memorization (fact 20) -----------------------------------------------------------------------
def test_memorizing_denoiser_is_posterior_mean_of_point_masses():
    rng = np.random.default_rng(8)
    train = rng.standard_normal((6, 2))
    gmm = cu.GaussianMixture(np.full(6, 1 / 6), train, np.zeros((6, 2, 2)))
    x = rng.standard_normal((5, 2)) * 2
    for schedule, t in ((cu.VE(), 0.8), (cu.VP(), 0.6)):
        den = sa.memorizing_denoiser(train, schedule)
        np.testing.assert_allclose(den(x, t), cu.posterior_mean(gmm, x, t, schedule),
                                   rtol=1e-9, atol=1e-12)


def test_memorizing_denoiser_small_t_and_sampler_reproduce_training_points():
    rng = np.random.default_rng(9)
    train = rng.standard_normal((10, 3))
    den = sa.memorizing_denoiser(train)
    x = rng.standard_normal((50, 3))
    nearest = train[((x[:, None, :] - train[None]) ** 2).sum(-1).argmin(1)]
    np.testing.assert_array_equal(den(x, 0.0), nearest)
    np.testing.assert_allclose(den(x, 1e-3), nearest, atol=1e-8)
    out = cu.sample(den, cu.VE(3.0), cu.initial_noise(cu.VE(3.0), 50, 3, rng), 100)
    dist = np.sqrt(((out[:, None, :] - train[None]) ** 2).sum(-1)).min(1)
    assert dist.max() < 1e-6


# -- validation -----------------------------------------------------------------------------------
def test_bad_inputs_raise_value_error_naming_the_argument():
    with pytest.raises(ValueError, match="lam"):
        sa.ve_step_factors(-1.0, 1.0, 3)
    with pytest.raises(ValueError, match="T"):
        sa.ve_factor_limit(1.0, 0.0)
    with pytest.raises(ValueError, match="L"):
        sa.ve_factor_product(1.0, 1.0, 0)
    with pytest.raises(ValueError, match="s must be smaller"):
        sa.coupled_conditional_mean(np.ones(2), np.ones(2), 2.0, 1.0)
    with pytest.raises(ValueError, match="coupling"):
        sa.coupled_conditional_mean(np.ones(2), np.ones(2), 0.5, 1.0, "ito")
    with pytest.raises(ValueError, match="xbar"):
        sa.brownian_step(np.ones(2), np.ones(3), 1.0, 0.5)
    with pytest.raises(ValueError, match="start"):
        sa.ve_output_variance(1.0, 1.0, 3, start="data")
    with pytest.raises(ValueError, match="bases"):
        sa.subspace_distance(np.ones((2, 3)), [])
    with pytest.raises(ValueError, match="x"):
        sa.subspace_distance(np.ones((2, 4)), [np.eye(3)[:, :1]])
    with pytest.raises(ValueError, match="train"):
        sa.memorizing_denoiser(np.ones(3))
    with pytest.raises(ValueError, match="cov"):
        sa.gaussian_coupled_mean(np.zeros(2), np.eye(3), np.ones(2), 0.5, 1.0)


def test_factor_product_equals_chapter_3_step_form():
    """Chapter 3 writes the VE step as (1 - 1/l) + (1/l) lambda / (lambda + t_l^2); the
    product of those factors is ``ve_factor_product`` (chapter 5's form)."""
    lam = np.array([0.0, 0.1, 1.0, 7.5])
    for T, L in ((1.0, 1), (2.0, 13), (5.0, 500)):
        ell = np.arange(1, L + 1)
        t2 = (T * ell / L) ** 2
        c = (1 - 1 / ell) + (lam[:, None] / (lam[:, None] + t2)) / ell
        np.testing.assert_allclose(sa.ve_factor_product(lam, T, L), np.prod(c, axis=1),
                                   rtol=1e-12, atol=1e-15)
