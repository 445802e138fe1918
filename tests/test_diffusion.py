"""Chapter 2 library (course_utils/diffusion.py): forward process, densities, two-point
denoiser, Monte Carlo posterior mean, finite differences, affine baseline."""

import numpy as np
import pytest

import course_utils as cu
from course_utils import diffusion as df

GMM = df.mixture_2d()


def test_mixture_2d_matches_source_parameters():
    # source-notes sec. 3, F2: Sigma_k = F_k F_k^T
    expected = np.array([[[4.25, 1.25], [1.25, 0.5]], [[0.25, 0.0], [0.0, 4.0]],
                         [[1.64, -1.6], [-1.6, 1.64]]])
    np.testing.assert_allclose(GMM.covs, expected, atol=1e-12)
    np.testing.assert_allclose(GMM.means, [[-3, -3], [3, 3], [0, 3]])
    np.testing.assert_allclose(GMM.weights, [1 / 3] * 3)


def test_forward_process_shares_one_g():
    rng = np.random.default_rng(0)
    x = GMM.sample(50, rng)
    ts = [0.0, 0.5, 2.0, 10.0]
    paths, g = df.forward_process(x, ts, rng, return_noise=True)
    assert paths.shape == (4, 50, 2)
    np.testing.assert_array_equal(paths[0], x)
    for t, xt in zip(ts[1:], paths[1:], strict=True):
        np.testing.assert_allclose((xt - x) / t, g, atol=1e-12)
    # a given g is used as is, and a single point keeps its shape
    again = df.forward_process(x, ts, g=g)
    np.testing.assert_array_equal(again, paths)
    single = df.forward_process(x[0], ts, g=g[0])
    np.testing.assert_array_equal(single, paths[:, 0])


def test_forward_process_vp_and_noise_law():
    rng = np.random.default_rng(1)
    x = np.zeros((40_000, 2))
    xt = df.forward_process(x, [0.6], rng, schedule=cu.VP())[0]
    # x = 0 so x_t = sigma g: mean 0, variance t^2 per coordinate (SE-based tolerance)
    m, se = df.mean_and_se(xt)
    assert np.all(np.abs(m) < 4 * se)
    var = xt.var(axis=0)
    assert np.all(np.abs(var - 0.36) < 4 * 0.36 * np.sqrt(2 / 40_000))
    # VP scales the data: x = 1 gives alpha * 1 + sigma g
    ones = df.forward_process(np.ones((3, 2)), [0.6], g=np.zeros((3, 2)), schedule=cu.VP())
    np.testing.assert_allclose(ones, 0.8)


def test_forward_process_cross_covariance_is_shared_noise():
    # Cov(x_s, x_t) = Cov(x) + s t I for shared g (source-notes fact 15), MC within 4 SE
    rng = np.random.default_rng(2)
    x = GMM.sample(100_000, rng)
    xs, xt = df.forward_process(x, [1.0, 3.0], rng)
    m, c = df.mixture_moments(GMM)
    prod = ((xs - m)[:, :, None] * (xt - m)[:, None, :]).reshape(-1, 4)
    est, se = df.mean_and_se(prod)
    assert np.all(np.abs(est - (c + 3 * np.eye(2)).ravel()) < 4 * se)
    assert np.any(np.abs(est - (c + np.eye(2)).ravel()) > 20 * se)


def test_forward_process_bad_input():
    x = np.zeros((3, 2))
    with pytest.raises(ValueError, match="rng"):
        df.forward_process(x, [1.0])
    with pytest.raises(ValueError, match="g"):
        df.forward_process(x, [1.0], g=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="ts"):
        df.forward_process(x, [-1.0], np.random.default_rng(0))
    with pytest.raises(ValueError, match="ts"):
        df.forward_process(x, [1.5], np.random.default_rng(0), schedule=cu.VP())
    with pytest.raises(ValueError, match="rng"):
        df.forward_process(x, [1.0], rng=42)


def test_mixture_moments_against_samples():
    m, c = df.mixture_moments(GMM)
    np.testing.assert_allclose(m, [0.0, 1.0], atol=1e-12)
    x = GMM.sample(200_000, np.random.default_rng(3))
    n = x.shape[0]
    # each sample moment is a mean of n i.i.d. terms: within 4 of its standard errors
    se_mean = x.std(0, ddof=1) / np.sqrt(n)
    assert np.all(np.abs(x.mean(0) - m) < 4 * se_mean)
    y = x - x.mean(0)
    prods = y[:, :, None] * y[:, None, :]  # (n, D, D) terms of the sample covariance
    se_cov = prods.std(0, ddof=1) / np.sqrt(n)
    assert np.all(np.abs(np.cov(x.T) - c) < 4 * se_cov)


@pytest.mark.parametrize("t", [0.0, 1.0, 3.0, 10.0])
def test_density_grid(t):
    xs, dens = df.density_grid(GMM, t, lim=8.0, n=60)
    assert xs.shape == (60,) and dens.shape == (60, 60)
    assert np.all(dens >= 0) and np.all(np.isfinite(dens))
    # rows are the vertical coordinate: dens[i, j] = p_t(xs[j], xs[i])
    i, j = 17, 41
    assert dens[i, j] == pytest.approx(np.exp(GMM.logpdf(np.array([xs[j], xs[i]]), t)))
    # integrates to the mass inside the window, which is < 1 and = 1 for a wide window
    h = xs[1] - xs[0]
    mass = np.trapezoid(np.trapezoid(dens, dx=h, axis=1), dx=h)
    assert 0 < mass <= 1 + 1e-6
    xs_w, dens_w = df.density_grid(GMM, t, lim=14.0 + 6.0 * t, n=400)
    hw = xs_w[1] - xs_w[0]
    assert np.trapezoid(np.trapezoid(dens_w, dx=hw, axis=1), dx=hw) == pytest.approx(1, abs=1e-4)


def test_density_grid_bad_input():
    with pytest.raises(ValueError, match="2-dimensional"):
        df.density_grid(cu.GaussianMixture([1.0], [[0.0]], [[[1.0]]]), 1.0)
    with pytest.raises(ValueError, match="gmm"):
        df.density_grid("not a mixture", 1.0)
    with pytest.raises(ValueError, match="lim"):
        df.density_grid(GMM, 1.0, lim=-1)
    with pytest.raises(ValueError, match="n"):
        df.density_grid(GMM, 1.0, n=1)
    with pytest.raises(ValueError, match="t"):
        df.density_grid(GMM, -1.0)


@pytest.mark.parametrize("t", [0.2, 0.7, 1.0, 3.0, 10.0])
def test_two_point_denoiser_is_bayes(t):
    xi = np.linspace(-5, 5, 101)
    # the general mixture formula with two zero-variance components (source-notes fact 9)
    two = cu.GaussianMixture([0.5, 0.5], [[-1.0], [1.0]], np.zeros((2, 1, 1)))
    np.testing.assert_allclose(df.two_point_denoiser(xi, t),
                               cu.posterior_mean(two, xi[:, None], t)[:, 0], atol=1e-12)
    # direct Bayes: 2 Pr[x=+1 | x_t] - 1 with Gaussian likelihoods
    like_p = np.exp(-((xi - 1) ** 2) / (2 * t * t))
    like_m = np.exp(-((xi + 1) ** 2) / (2 * t * t))
    np.testing.assert_allclose(df.two_point_denoiser(xi, t),
                               (like_p - like_m) / (like_p + like_m), atol=1e-12)
    # odd, increasing (positive observation -> towards +1: the book's sign is wrong), 0 at 0
    out = df.two_point_denoiser(xi, t)
    np.testing.assert_allclose(out, -out[::-1], atol=1e-15)
    assert np.all(np.diff(out) >= 0) and df.two_point_denoiser(0.0, t) == 0.0
    assert df.two_point_denoiser(0.5, t) > 0


def test_two_point_small_t_and_errors():
    assert df.two_point_denoiser(0.3, 0.05) == pytest.approx(1.0)
    assert df.two_point_denoiser(-0.3, 0.05) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="t"):
        df.two_point_denoiser(0.5, 0.0)
    with pytest.raises(ValueError, match="x_t"):
        df.two_point_denoiser([np.nan], 1.0)


def test_two_point_mse_of_both_signs():
    rng = np.random.default_rng(4)
    x = rng.choice([-1.0, 1.0], 100_000)
    xt = x + 1.0 * rng.standard_normal(x.shape)
    right, se_r = df.mean_and_se((df.two_point_denoiser(xt, 1.0) - x) ** 2)
    wrong, se_w = df.mean_and_se((df.two_point_denoiser(-xt, 1.0) - x) ** 2)
    assert right + 4 * se_r < 1.0 < wrong - 4 * se_w  # the constant 0 has MSE exactly 1


@pytest.mark.parametrize("t", [1.0, 2.0, 5.0])
def test_mc_posterior_mean_agrees_with_closed_form(t):
    prior = GMM.sample(100_000, np.random.default_rng(5))
    rng = np.random.default_rng(6)
    q = GMM.sample(8, rng) + t * rng.standard_normal((8, 2))
    mean, se, ess = df.mc_posterior_mean(prior, q, t)
    assert mean.shape == se.shape == (8, 2) and ess.shape == (8,)
    assert np.all(ess > 100) and np.all(ess <= 100_000 + 1e-6)
    z = np.abs(mean - cu.posterior_mean(GMM, q, t)) / se
    assert z.max() < 4.5  # 16 coordinates, each within ~4 SE


def test_mc_posterior_mean_se_is_calibrated():
    # Gaussian prior N(0, 1), t = 1: posterior N(x_t / 2, 1/2). Over 200 independent repeats,
    # the z-scores against the exact mean should have standard deviation close to 1.
    rng = np.random.default_rng(7)
    zs = []
    for _ in range(200):
        prior = rng.standard_normal((2000, 1))
        mean, se, _ = df.mc_posterior_mean(prior, np.array([[1.0]]), 1.0)
        zs.append((mean[0, 0] - 0.5) / se[0, 0])
    zs = np.array(zs)
    assert 0.8 < zs.std() < 1.25 and abs(zs.mean()) < 0.3


def test_mc_posterior_mean_vp_and_blocks():
    vp = cu.VP()
    prior = GMM.sample(50_000, np.random.default_rng(8))
    q = np.array([[1.0, 2.0], [-2.0, -1.0], [0.0, 0.5]])
    full = df.mc_posterior_mean(prior, q, 0.6, vp)
    blocked = df.mc_posterior_mean(prior, q, 0.6, vp, block=50_000)  # one query per block
    for a, b in zip(full, blocked, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    z = np.abs(full[0] - cu.posterior_mean(GMM, q, 0.6, vp)) / full[1]
    assert z.max() < 4.5
    single = df.mc_posterior_mean(prior, q[0], 0.6, vp)
    np.testing.assert_allclose(single[0], full[0][0], rtol=1e-10)


def test_mc_posterior_mean_bad_input():
    prior = np.zeros((10, 2))
    with pytest.raises(ValueError, match="t"):
        df.mc_posterior_mean(prior, np.zeros(2), 0.0)
    with pytest.raises(ValueError, match="x_t"):
        df.mc_posterior_mean(prior, np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="prior_samples"):
        df.mc_posterior_mean(np.zeros((1, 2)), np.zeros(2), 1.0)


@pytest.mark.parametrize("t", [0.5, 2.0, 10.0])
def test_finite_difference_tweedie_fact1(t):
    # fact 1: x + t^2 grad log p_t(x) (central differences) = closed-form E[x | x_t]
    rng = np.random.default_rng(9)
    q = GMM.sample(20, rng) + t * rng.standard_normal((20, 2))
    fd = df.finite_difference_grad(lambda p: GMM.logpdf(p, t), q)
    np.testing.assert_allclose(q + t * t * fd, cu.posterior_mean(GMM, q, t),
                               atol=1e-6 * (1 + t * t))


@pytest.mark.parametrize("t", [0.3, 0.6, 0.9])
def test_finite_difference_tweedie_vp_fact2(t):
    vp = cu.VP()
    rng = np.random.default_rng(10)
    q = float(vp.alpha(t)) * GMM.sample(20, rng) + t * rng.standard_normal((20, 2))
    fd = df.finite_difference_grad(lambda p: GMM.logpdf(p, t, vp), q)
    np.testing.assert_allclose(cu.tweedie(q, fd, t, vp), cu.posterior_mean(GMM, q, t, vp),
                               atol=1e-6 / float(vp.alpha(t)))


def test_finite_difference_grad_quadratic_and_errors():
    a = np.array([[2.0, 0.5], [0.5, 1.0]])
    f = lambda p: 0.5 * np.einsum("ni,ij,nj->n", p, a, p)  # noqa: E731
    pts = np.random.default_rng(11).standard_normal((5, 2))
    np.testing.assert_allclose(df.finite_difference_grad(f, pts), pts @ a, atol=1e-8)
    np.testing.assert_allclose(df.finite_difference_grad(f, pts[0]), pts[0] @ a, atol=1e-8)
    with pytest.raises(ValueError, match="f"):
        df.finite_difference_grad("f", pts)
    with pytest.raises(ValueError, match="h"):
        df.finite_difference_grad(f, pts, h=0.0)


def test_affine_denoiser():
    # Gaussian prior (K = 1): the best affine estimator is the Bayes denoiser, VE and VP
    cov = np.array([[2.0, 0.3], [0.3, 0.5]])
    one = cu.GaussianMixture([1.0], [[1.0, -2.0]], cov[None])
    q = np.random.default_rng(12).standard_normal((10, 2)) * 3
    for t, sched in [(0.7, None), (2.0, cu.VE()), (0.6, cu.VP())]:
        np.testing.assert_allclose(df.affine_denoiser(one, q, t, sched),
                                   cu.posterior_mean(one, q, t, sched), atol=1e-12)
    # for the mixture it is worse than the Bayes denoiser in MSE (MC, paired, > 4 SE)
    rng = np.random.default_rng(13)
    x = GMM.sample(50_000, rng)
    xt = x + 2.0 * rng.standard_normal(x.shape)
    e_aff = ((df.affine_denoiser(GMM, xt, 2.0) - x) ** 2).sum(1)
    e_bay = ((cu.posterior_mean(GMM, xt, 2.0) - x) ** 2).sum(1)
    gap, se = df.mean_and_se(e_aff - e_bay)
    assert gap > 4 * se
    # and better than x_t itself, whose MSE is D t^2 = 8
    assert e_aff.mean() < 8.0


def test_mean_and_se():
    m, se = df.mean_and_se([1.0, 2.0, 3.0, 4.0])
    assert m == 2.5 and se == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2)
    m2, se2 = df.mean_and_se(np.arange(6.0).reshape(3, 2))
    np.testing.assert_allclose(m2, [2.0, 3.0])
    with pytest.raises(ValueError, match="values"):
        df.mean_and_se([1.0])
    with pytest.raises(ValueError, match="gmm"):
        df.mixture_moments(None)
