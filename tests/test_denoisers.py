"""The Bayes-optimal denoiser, Tweedie and the attention form (chapters 2-3; source eqs. 4-13).

Library facts of /work/shared/reference/source-notes.md sec. 5: F1-F7, F16, F17, and Monte
Carlo checks of Bayes optimality.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp, softmax
from scipy.stats import multivariate_normal

import course_utils as cu
from course_utils.pca import random_orthonormal

EPS = np.finfo(float).eps
VE = cu.VE()


# -- helpers ---------------------------------------------------------------------------
def random_mixture(rng, K=3, D=4, spread=2.0, ridge=0.1):
    means = spread * rng.standard_normal((K, D))
    a = rng.standard_normal((K, D, D))
    covs = a @ a.transpose(0, 2, 1) / D + ridge * np.eye(D)
    w = rng.uniform(0.5, 1.5, K)
    return cu.GaussianMixture(w / w.sum(), means, covs)



def brute_force(weights, means, covs, x, t, schedule=VE):
    """Straightforward reference: a loop over points and components with scipy's Gaussian
    log-density and an explicit solve (source eq. 8, alpha/sigma form)."""
    x = np.atleast_2d(x)
    ts = np.broadcast_to(np.asarray(t, float), (x.shape[0],))
    D = x.shape[1]
    W, M = [], []
    for xi, ti in zip(x, ts, strict=True):
        a, s = float(schedule.alpha(ti)), float(schedule.sigma(ti))
        logs, comps = [], []
        for pi, mu, cov in zip(weights, means, covs, strict=True):
            c = a * a * cov + s * s * np.eye(D)
            logs.append(np.log(pi) + multivariate_normal(a * mu, c).logpdf(xi))
            comps.append(mu + a * cov @ np.linalg.solve(c, xi - a * mu))
        w = softmax(np.array(logs))
        W.append(w)
        M.append(w @ np.array(comps))
    return np.array(W), np.array(M)


def log_pt(gmm, x, t, schedule=VE):
    """log p_t(x) by logsumexp over scipy component log-densities (independent of the library)."""
    a, s = float(schedule.alpha(t)), float(schedule.sigma(t))
    D = gmm.D
    parts = zip(gmm.weights, gmm.means, gmm.covs, strict=True)
    return logsumexp([np.log(pi) + multivariate_normal(a * mu, a * a * c + s * s * np.eye(D))
                      .logpdf(x) for pi, mu, c in parts], axis=0)


def fd_grad(f, x, h):
    """Central differences of a scalar function of one point, with a Richardson estimate
    of their truncation error: |D_h - D_2h| / 3 (the error is c h^2 + O(h^4))."""
    def central(hh):
        e = np.eye(x.size) * hh
        return np.array([(f(x + ei) - f(x - ei)) / (2 * hh) for ei in e])
    g1, g2 = central(h), central(2 * h)
    return g1, np.abs(g1 - g2) / 3


# -- brute-force references ---------------------------------------------------------------
CASES = ["full", "low_rank", "mixed_ranks", "singular_full"]


def make_case(name, rng, D=5):
    if name == "full":
        return random_mixture(rng, K=3, D=D)
    if name == "low_rank":
        return cu.GaussianMixture.low_rank([random_orthonormal(D, p, rng) for p in [2, 2, 2]],
                                           means=rng.standard_normal((3, D)))
    if name == "mixed_ranks":
        return cu.GaussianMixture.low_rank(
            [random_orthonormal(D, p, rng) for p in [1, 3, D]], weights=[0.2, 0.5, 0.3],
            means=rng.standard_normal((3, D)),
            variances=[[2.0], [0.5, 1.0, 3.0], np.linspace(0.2, 2, D)])
    # a full covariance with exact zero eigenvalues next to a regular one
    u = random_orthonormal(D, D, rng)
    sing = (u[:, :2] * [1.5, 0.7]) @ u[:, :2].T
    return cu.GaussianMixture([0.5, 0.5], rng.standard_normal((2, D)), np.stack([sing, np.eye(D)]))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("schedule,t", [(cu.VE(), 0.4), (cu.VE(), 3.0), (cu.VP(), 0.5),
                                        (cu.VP(), 0.95)])
def test_matches_brute_force(case, schedule, t):
    """posterior_mean and responsibilities against the explicit formula. Both are O(cond) eps
    accurate: cond(alpha^2 Sigma + sigma^2 I) <= (alpha^2 lambda_max + sigma^2)/sigma^2 < 1e3
    here, so 1e-10 leaves a wide margin."""
    rng = np.random.default_rng(abs(hash((case, t))) % 2**32)
    g = make_case(case, rng)
    x = float(schedule.alpha(t)) * g.sample(8, rng) + t * rng.standard_normal((8, g.D))
    w_ref, m_ref = brute_force(g.weights, g.means, g.covs, x, t, schedule)
    np.testing.assert_allclose(cu.responsibilities(g, x, t, schedule), w_ref, atol=1e-10)
    np.testing.assert_allclose(cu.posterior_mean(g, x, t, schedule), m_ref,
                               atol=1e-10 * np.abs(m_ref).max())


@pytest.mark.parametrize("case", CASES)
def test_per_point_t_and_single_point(case):
    """A t array gives each point its own noise level; a (D,) input returns (D,)."""
    rng = np.random.default_rng(21)
    g = make_case(case, rng)
    x = rng.standard_normal((6, g.D)) * 2
    ts = np.array([0.1, 0.5, 1.0, 0.05, 0.3, 0.9])
    for sch in [cu.VE(), cu.VP()]:
        w_ref, m_ref = brute_force(g.weights, g.means, g.covs, x, ts, sch)
        np.testing.assert_allclose(cu.posterior_mean(g, x, ts, sch), m_ref, atol=1e-10)
        np.testing.assert_allclose(cu.responsibilities(g, x, ts, sch), w_ref, atol=1e-10)
        # a scalar t equals the same value repeated per point (the scalar path folds the
        # noise level into the matrices, so the two agree to rounding, not bit for bit)
        np.testing.assert_allclose(cu.posterior_mean(g, x, 0.5, sch),
                                   cu.posterior_mean(g, x, np.full(6, 0.5), sch),
                                   rtol=1e-12, atol=1e-14)
    m1 = cu.posterior_mean(g, x[2], 0.7)
    assert m1.shape == (g.D,)
    np.testing.assert_allclose(m1, cu.posterior_mean(g, x[2:3], 0.7)[0], rtol=1e-14)
    assert cu.responsibilities(g, x[2], 0.7).shape == (g.K,)
    assert cu.score(g, x[2], 0.7).shape == (g.D,)


def test_t_zero_returns_the_point_exactly():
    rng = np.random.default_rng(22)
    for case in CASES:
        g = make_case(case, rng)
        x = rng.standard_normal((4, g.D))
        np.testing.assert_array_equal(cu.posterior_mean(g, x, 0.0), x)
        np.testing.assert_array_equal(cu.posterior_mean(g, x, 0.0, cu.VP()), x)
        # mixed: zeros in a per-point t array return those points, the others are denoised
        ts = np.array([0.0, 0.5, 0.0, 1.0])
        out = cu.posterior_mean(g, x, ts)
        np.testing.assert_array_equal(out[[0, 2]], x[[0, 2]])
        np.testing.assert_allclose(out[[1, 3]], cu.posterior_mean(g, x[[1, 3]], ts[[1, 3]]),
                                   rtol=1e-14)


# -- F1, F2: Tweedie -----------------------------------------------------------------------
def test_f1_gmm_denoiser_equals_ve_tweedie_with_fd_gradient():
    """F1: xhat(t, x) = x + t^2 grad log p_t(x) (D=10, K=3), gradient by central differences
    of logsumexp log p_t. Tolerance: t^2 (3 x Richardson truncation estimate + rounding
    eps |log p| / h), i.e. derived from the finite-difference error, not tuned."""
    rng = np.random.default_rng(31)
    g = random_mixture(rng, K=3, D=10)
    t, h = 0.8, 1e-4
    for x in g.sample(3, rng) + t * rng.standard_normal((3, 10)):
        grad, trunc = fd_grad(lambda y: log_pt(g, y, t), x, h)
        tol = t * t * (3 * trunc + 10 * EPS * abs(log_pt(g, x, t)) / h)
        err = np.abs(cu.posterior_mean(g, x, t) - (x + t * t * grad))
        assert np.all(err <= tol), (err, tol)
        assert err.max() < 1e-7


@pytest.mark.parametrize("t", [0.3, 0.7, 0.95])
def test_f2_vp_tweedie_with_fd_gradient_and_round_trip(t):
    """F2: xhat = (x_t + sigma_t^2 grad log p_t(x_t)) / alpha_t under VP, with p_t the mixture
    of N(alpha mu_k, alpha^2 Sigma_k + sigma^2 I); tolerance as in F1 (divided by alpha)."""
    rng = np.random.default_rng(32)
    g = random_mixture(rng, K=3, D=6)
    vp, h = cu.VP(), 1e-4
    a, s = float(vp.alpha(t)), t
    x = a * g.sample(3, rng) + s * rng.standard_normal((3, 6))
    xhat = cu.posterior_mean(g, x, t, vp)
    for xi, mi in zip(x, xhat, strict=True):
        grad, trunc = fd_grad(lambda y: log_pt(g, y, t, vp), xi, h)
        tol = s * s * (3 * trunc + 10 * EPS * abs(log_pt(g, xi, t, vp)) / h) / a
        assert np.all(np.abs(mi - (xi + s * s * grad) / a) <= tol)
    # library tweedie applied to the library score gives back the denoiser, and the
    # round trip tweedie(score_from_denoiser(xhat)) == xhat (exact algebra, rounding only)
    sc = cu.score(g, x, t, vp)
    np.testing.assert_allclose(cu.tweedie(x, sc, t, vp), xhat, rtol=1e-12, atol=1e-12)
    # score() sums per-component scores; the Tweedie difference (a xhat - x) / s^2 agrees up
    # to rounding: a few eps times the row's scale (|x|, a |xhat|, a |mu_k|) over s^2
    scale = np.abs(x).max(1) + a * np.maximum(np.abs(xhat).max(1), np.abs(g.means).max())
    tweedie_err = 8 * EPS * scale[:, None] / (s * s)
    assert np.all(np.abs(cu.score_from_denoiser(x, xhat, t, vp) - sc) <= tweedie_err)
    back = cu.tweedie(x, cu.score_from_denoiser(x, xhat, t, vp), t, vp)
    np.testing.assert_allclose(back, xhat, rtol=1e-12, atol=1e-12)
    s_back = cu.score_from_denoiser(x, cu.tweedie(x, sc, t, vp), t, vp)
    np.testing.assert_allclose(s_back, sc, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("schedule,t", [(cu.VE(), 0.5), (cu.VE(), 4.0), (cu.VP(), 0.6)])
def test_score_is_gradient_of_noised_logpdf(schedule, t):
    """score == grad of gmm.noised(schedule, t).logpdf, by central differences."""
    rng = np.random.default_rng(33)
    g = random_mixture(rng, K=2, D=4)
    gt = g.noised(schedule, t)
    x = gt.sample(4, rng)
    sc = cu.score(g, x, t, schedule)
    for xi, si in zip(x, sc, strict=True):
        grad, trunc = fd_grad(gt.logpdf, xi, 1e-4)
        tol = 3 * trunc + 10 * EPS * abs(gt.logpdf(xi)) / 1e-4
        assert np.all(np.abs(si - grad) <= tol)


def test_tweedie_ve_and_per_point_t():
    """VE: tweedie = x + t^2 score; per-point t broadcasts row-wise."""
    rng = np.random.default_rng(34)
    x, s = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    ts = np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(cu.tweedie(x, s, ts), x + ts[:, None] ** 2 * s, rtol=1e-15)
    np.testing.assert_allclose(cu.tweedie(x[0], s[0], 0.5), x[0] + 0.25 * s[0], rtol=1e-15)


# -- F3: K = 1 --------------------------------------------------------------------------
def single_gaussian(rng, lam, D):
    v = random_orthonormal(D, D, rng)
    mu = rng.standard_normal(D)
    return v, mu, cu.GaussianMixture([1.0], mu[None], ((v * lam) @ v.T)[None])


def test_f3_eigen_contraction_form():
    """F3: mu + V diag(lambda/(lambda+t^2)) V^T (x-mu) == mu + Sigma (Sigma+t^2 I)^{-1} (x-mu);
    the norm of x - mu never grows; zero-eigenvalue directions map to 0 (to rounding)."""
    rng = np.random.default_rng(41)
    D = 6
    lam = np.array([3.0, 1.0, 0.5, 0.1, 0.0, 0.0])
    v, mu, g = single_gaussian(rng, lam, D)
    sigma = (v * lam) @ v.T
    x = mu + 3 * rng.standard_normal((50, D))
    for t in [0.05, 0.5, 2.0]:
        eig = mu + ((x - mu) @ v * (lam / (lam + t * t))) @ v.T
        solve = mu + np.linalg.solve(sigma + t * t * np.eye(D), (x - mu).T).T @ sigma.T
        out = cu.posterior_mean(g, x, t)
        # cond(Sigma + t^2 I) <= (3 + t^2)/t^2 ~ 1.2e3 at t = 0.05: error <~ cond * eps * |x|
        np.testing.assert_allclose(eig, solve, atol=1e-11)
        np.testing.assert_allclose(out, eig, atol=1e-11)
        shrink = np.linalg.norm(out - mu, axis=1) / np.linalg.norm(x - mu, axis=1)
        assert np.all(shrink <= 1 + 4 * EPS)
        null = v[:, 4:] @ rng.standard_normal((2, 5))  # x - mu in the null space
        assert np.abs(cu.posterior_mean(g, mu + null.T, t) - mu).max() < 1e-14 * 10


def test_f3_zero_eigen_directions_exact_with_library_basis():
    """With the basis the library factorized, the null directions are removed exactly:
    their coefficient lambda/(lambda+t^2) is exactly 0 (check_psd zeroes rounding noise)."""
    g = cu.GaussianMixture([1.0], np.zeros((1, 3)), np.diag([2.0, 1.0, 0.0])[None])
    _, basis, lam = g.components()[0]
    assert np.sum(lam == 0.0) == 1
    x = np.array([[0.0, 0.0, 5.0], [1.0, 2.0, 3.0]])
    out = cu.posterior_mean(g, x, 0.5)
    np.testing.assert_array_equal(out[:, 2], 0.0)
    np.testing.assert_allclose(out[1, :2], [2 / 2.25, 2 * 1 / 1.25], rtol=1e-15)


def test_f3_repeated_denoising_converges_to_mean_at_predicted_rate():
    """[D] Iterating x <- xhat(t, x) at fixed t contracts x - mu by rho = max lambda/(lambda+t^2)
    per step once the top direction dominates: the next direction (factor 1/2) decays
    relatively like (0.5/rho)^n = 0.75^n, so after 30 steps the step ratio matches rho to
    ~(c2/c1)^2 0.75^60 ~ 3e-8 (c2/c1)^2; 1e-5 allows |c2/c1| up to ~20. (Many more steps
    would hit rounding: |x - mu| ~ rho^n against eps |mu|.)"""
    rng = np.random.default_rng(42)
    lam = np.array([2.0, 1.0, 0.5, 0.0])
    _, mu, g = single_gaussian(rng, lam, 4)
    t = 1.0
    rho = 2.0 / 3.0
    x = mu + rng.standard_normal(4)
    norms = []
    for _ in range(31):
        x = cu.posterior_mean(g, x, t)
        norms.append(np.linalg.norm(x - mu))
    ratio = norms[-1] / norms[-2]
    assert abs(ratio - rho) < 1e-5
    assert norms[-1] < norms[0] * rho**29  # converges to mu


# -- F4, F5, F6, F7: low-rank mixtures and the attention form ----------------------------
def test_f4_woodbury_identities_and_determinant():
    """The library's Woodbury inverse and log-determinant (chapter 3, fact 4) against a dense
    inverse and slogdet of U U^T + t^2 I. Tolerances: the matrix has condition number
    (1 + t^2) / t^2, so a dense inverse is good to ~D eps cond / t^2 entrywise; log dets are
    sums of D logs, good to ~D eps max|log|."""
    rng = np.random.default_rng(51)
    D, P = 7, 3
    u = random_orthonormal(D, P, rng)
    uu = u @ u.T
    for t in [0.1, 1.0, 5.0]:
        m = uu + t * t * np.eye(D)
        cond = (1 + t * t) / (t * t)
        inv = cu.low_rank_inverse(u, t)
        np.testing.assert_allclose(inv, np.linalg.inv(m), rtol=0,
                                   atol=16 * D * EPS * cond / t**2)
        np.testing.assert_allclose(inv @ m, np.eye(D), rtol=0, atol=16 * D * EPS * cond)
        sign, logdet = np.linalg.slogdet(m)
        assert sign == 1
        lib = cu.low_rank_logdet(D, P, t)
        assert abs(lib - logdet) < 16 * D * EPS * max(1.0, abs(np.log(t * t)), np.log1p(t * t))
    # the mixture's own logdet (through its log density) uses the same identity: a
    # one-component low-rank mixture at x = 0 has log p = -(D log 2 pi + logdet) / 2
    g = cu.GaussianMixture.low_rank([u])
    for t in [0.1, 1.0, 5.0]:
        want = -0.5 * (D * np.log(2 * np.pi) + cu.low_rank_logdet(D, P, t))
        assert abs(g.logpdf(np.zeros(D), t) - want) < 16 * D * EPS * abs(want)


@pytest.mark.parametrize("t", [0.2, 0.7, 2.0])
def test_f4_attention_form_equals_general_denoiser(t):
    """F4: for (1/K) sum N(0, U_k U_k^T) with equal P, the general denoiser equals
    1/(1+t^2) sum_k softmax_k(||U_k^T x||^2 / (2 t^2 (1+t^2))) U_k U_k^T x, weights included,
    to ~1e-12 (the two codes differ only by rounding)."""
    rng = np.random.default_rng(52)
    D, K, P = 10, 4, 3
    bases = [random_orthonormal(D, P, rng) for _ in range(K)]
    g = cu.GaussianMixture.low_rank(bases)
    x = g.sample(200, rng) + t * rng.standard_normal((200, D))
    proj = np.stack([((x @ u) ** 2).sum(1) for u in bases], 1)
    w = softmax(proj / (2 * t * t * (1 + t * t)), axis=1)
    xhat = sum(w[:, [k]] * (x @ u @ u.T) for k, u in enumerate(bases)) / (1 + t * t)
    np.testing.assert_allclose(cu.responsibilities(g, x, t), w, atol=1e-12)
    np.testing.assert_allclose(cu.posterior_mean(g, x, t), xhat, atol=1e-12)
    np.testing.assert_allclose(cu.attention_weights(bases, x, t), w, atol=1e-12)
    np.testing.assert_allclose(cu.attention_denoiser(bases, x, t), xhat, atol=1e-12)
    # the brute-force dense formula agrees as well
    w_ref, m_ref = brute_force(g.weights, g.means, g.covs, x[:5], t)
    np.testing.assert_allclose(w[:5], w_ref, atol=1e-10)
    np.testing.assert_allclose(xhat[:5], m_ref, atol=1e-10)


def test_f5_unequal_ranks_and_weights():
    """F5: log w_k = log pi_k + (P_k/2) log(t^2/(1+t^2)) + ||U_k^T x||^2/(2 t^2 (1+t^2)) + c."""
    rng = np.random.default_rng(53)
    D, ranks, pis = 9, [1, 2, 4], np.array([0.5, 0.3, 0.2])
    bases = [random_orthonormal(D, p, rng) for p in ranks]
    g = cu.GaussianMixture.low_rank(bases, weights=pis)
    for t in [0.3, 1.0, 3.0]:
        x = g.sample(100, rng) + t * rng.standard_normal((100, D))
        proj = np.stack([((x @ u) ** 2).sum(1) for u in bases], 1)
        logw = (np.log(pis) + 0.5 * np.array(ranks) * np.log(t * t / (1 + t * t))
                + proj / (2 * t * t * (1 + t * t)))
        w = softmax(logw, axis=1)
        np.testing.assert_allclose(cu.responsibilities(g, x, t), w, atol=1e-12)
        np.testing.assert_allclose(cu.attention_weights(bases, x, t, weights=pis), w, atol=1e-12)
        np.testing.assert_allclose(cu.attention_logits(bases, x, t, weights=pis), logw,
                                   rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(cu.attention_denoiser(bases, x, t, weights=pis),
                                   cu.posterior_mean(g, x, t), atol=1e-12)


@pytest.mark.parametrize("t", [0.1, 0.5, 0.9, 1.0])
def test_f6_low_rank_vp_form(t):
    """F6: general alpha/sigma: weights softmax(alpha^2 ||U^T x||^2 / (2 s^2 (a^2+s^2))),
    components alpha/(a^2+s^2) U U^T x; for VP alpha U U^T x and (1-t^2)||U^T x||^2/(2t^2)."""
    rng = np.random.default_rng(54)
    D, K, P = 8, 3, 2
    bases = [random_orthonormal(D, P, rng) for _ in range(K)]
    g = cu.GaussianMixture.low_rank(bases)
    vp = cu.VP()
    a = float(vp.alpha(t))
    x = a * g.sample(100, rng) + t * rng.standard_normal((100, D))
    proj = np.stack([((x @ u) ** 2).sum(1) for u in bases], 1)
    w = softmax((1 - t * t) * proj / (2 * t * t), axis=1)
    xhat = a * sum(w[:, [k]] * (x @ u @ u.T) for k, u in enumerate(bases))
    np.testing.assert_allclose(cu.responsibilities(g, x, t, vp), w, atol=1e-12)
    np.testing.assert_allclose(cu.posterior_mean(g, x, t, vp), xhat, atol=1e-12)
    np.testing.assert_allclose(cu.attention_denoiser(bases, x, t, vp), xhat, atol=1e-12)


def test_f7_temperature_limits():
    """F7: t -> inf: weights -> 1/K and xhat -> 0 (|xhat| <= |x|/(1+t^2) exactly, a convex
    combination of shrunk projections); t -> 0+: one-hot at argmax ||U_k^T x|| and xhat ->
    that projection, with relative error t^2/(1+t^2); weights always sum to 1."""
    rng = np.random.default_rng(55)
    D, K, P = 12, 4, 3
    bases = [random_orthonormal(D, P, rng) for _ in range(K)]
    g = cu.GaussianMixture.low_rank(bases)
    x = rng.standard_normal((300, D))
    t = 1e4
    xt = t * x
    w = cu.responsibilities(g, xt, t)
    # logit spread ~ ||U^T x_t||^2/(2 t^4) ~ |x|^2/(2 t^2) ~ 1e-7
    np.testing.assert_allclose(w, 1 / K, atol=1e-6)
    xhat = cu.posterior_mean(g, xt, t)
    assert np.all(np.linalg.norm(xhat, axis=1)
                  <= np.linalg.norm(xt, axis=1) / (1 + t * t) * (1 + 1e-12))
    t = 1e-3
    proj = np.stack([((x @ u) ** 2).sum(1) for u in bases], 1)
    top = np.sort(proj, axis=1)
    clear = top[:, -1] - top[:, -2] > 1e-3  # gap / (2 t^2) > 500: the softmax is one-hot
    k = proj.argmax(1)
    w = cu.responsibilities(g, x, t)
    np.testing.assert_allclose(w[clear], np.eye(K)[k[clear]], atol=1e-100)
    xhat = cu.posterior_mean(g, x, t)
    target = np.stack([x[i] @ bases[k[i]] @ bases[k[i]].T for i in range(len(x))])
    np.testing.assert_allclose(xhat[clear], target[clear], rtol=0, atol=2 * t * t * np.abs(x).max())
    for tt in [1e-3, 1.0, 1e4]:
        np.testing.assert_allclose(cu.responsibilities(g, x, tt).sum(1), 1.0, atol=4 * EPS)


def test_f16_vp_endpoint_returns_data_mean():
    """F16: under VP, xhat(1, .) = E[x] = sum pi_k mu_k for every input."""
    rng = np.random.default_rng(56)
    for g in [random_mixture(rng), make_case("mixed_ranks", rng, D=4)]:
        x = 5 * rng.standard_normal((10, g.D))
        np.testing.assert_allclose(cu.posterior_mean(g, x, 1.0, cu.VP()),
                                   np.broadcast_to(g.weights @ g.means, x.shape), atol=1e-15 * 10)
        np.testing.assert_allclose(cu.responsibilities(g, x, 1.0, cu.VP()),
                                   np.broadcast_to(g.weights, (10, g.K)), atol=1e-15)


# -- Monte Carlo: Bayes optimality, F17 --------------------------------------------------------
def draw(g, n, t, schedule, rng):
    a, s = float(schedule.alpha(t)), float(schedule.sigma(t))
    x = g.sample(n, rng)
    noise = rng.standard_normal(x.shape)
    return x, noise, a * x + s * noise


def cross_cov_z(r, f):
    """Cross-covariance of residual r and features f, in units of its standard error."""
    n = r.shape[0]
    prod = (r - r.mean(0))[:, :, None] * (f - f.mean(0))[:, None, :]
    return prod.mean(0) / (prod.std(0) / np.sqrt(n))


def paired_gain_z(loss_a, loss_b):
    """Mean of loss_a - loss_b in units of its standard error (paired samples)."""
    d = loss_a - loss_b
    return d.mean() / (d.std() / np.sqrt(d.size))


@pytest.mark.parametrize("schedule,t", [(cu.VE(), 0.8), (cu.VP(), 0.6)])
def test_bayes_optimality_monte_carlo(schedule, t):
    """E[x | x_t] is the L2 projection: its residual is uncorrelated with x_t and with fixed
    functions of x_t (each entry within 4 SE of 0: with 2 x 18 entries the chance of a false
    failure is < 36 x 6.3e-5 = 2e-3 for a fixed seed; it is deterministic anyway), and its MSE
    beats the best linear denoiser (least squares on independent data) and the denoiser of a
    perturbed mixture by more than 4 SE of the paired difference."""
    rng = np.random.default_rng(61)
    g = random_mixture(rng, K=3, D=2, spread=2.0)
    n = 20_000
    x, _, xt = draw(g, n, t, schedule, rng)
    xhat = cu.posterior_mean(g, xt, t, schedule)
    r = x - xhat
    feats = np.column_stack([xt, np.tanh(xt), xt**2, np.sin(3 * xt)])
    z = cross_cov_z(r, feats)
    assert np.abs(z).max() < 4, z
    mse = ((x - xhat) ** 2).sum(1)
    # best affine denoiser fitted on independent data
    x2, _, xt2 = draw(g, n, t, schedule, rng)
    design = np.column_stack([xt2, np.ones(n)])
    coef, *_ = np.linalg.lstsq(design, x2, rcond=None)
    lin = np.column_stack([xt, np.ones(n)]) @ coef
    assert paired_gain_z(((x - lin) ** 2).sum(1), mse) > 4
    # the denoiser of a wrong mixture (means shifted by 0.3)
    wrong = cu.GaussianMixture(g.weights, g.means + 0.3, g.covs)
    bad = cu.posterior_mean(wrong, xt, t, schedule)
    assert paired_gain_z(((x - bad) ** 2).sum(1), mse) > 4
    # and a linear denoiser's residual IS detectably correlated with nonlinear features
    assert np.abs(cross_cov_z(x - lin, feats)).max() > 4


@pytest.mark.parametrize("schedule,t", [(cu.VE(), 0.5), (cu.VP(), 0.4), (cu.VP(), 0.9)])
def test_f17_noise_prediction_equivalence(schedule, t):
    """F17: gbar = x_t/sigma - (alpha/sigma) xbar satisfies g - gbar = (alpha/sigma)(xbar - x)
    pointwise, so the Monte Carlo losses satisfy E|g - gbar|^2 = (alpha/sigma)^2 E|x - xbar|^2;
    gbar = -sigma * score; and gbar is the Bayes noise predictor: its residual is
    uncorrelated with x_t (within 4 SE) and it beats the prior-free guess x_t / sigma."""
    rng = np.random.default_rng(62)
    g = random_mixture(rng, K=3, D=2)
    a, s = float(schedule.alpha(t)), float(schedule.sigma(t))
    n = 20_000
    x, noise, xt = draw(g, n, t, schedule, rng)
    xbar = cu.posterior_mean(g, xt, t, schedule)
    gbar = xt / s - (a / s) * xbar
    np.testing.assert_allclose(noise - gbar, (a / s) * (xbar - x), atol=1e-12 * (1 + a / s))
    np.testing.assert_allclose(gbar, -s * cu.score(g, xt, t, schedule), atol=1e-12)
    loss_g = ((noise - gbar) ** 2).sum(1)
    loss_x = ((x - xbar) ** 2).sum(1)
    assert abs(loss_g.mean() - (a / s) ** 2 * loss_x.mean()) < 1e-10 * loss_g.mean()
    assert np.abs(cross_cov_z(noise - gbar, np.column_stack([xt, np.tanh(xt)]))).max() < 4
    naive = ((noise - xt / s) ** 2).sum(1)  # predicting g from x_t alone, ignoring the prior
    assert paired_gain_z(naive, loss_g) > 4
