"""Tests for course_utils.entropy (chapter 1): discrete and differential entropy, plug-in bias,
quantization, Gaussian entropy along the VE noise (fact 13), coding rate (fact 18), cross-entropy
and KL (erratum 13), the KL price of the VE start (chapter 6), Monte Carlo entropy of a noised
mixture."""

import importlib

import numpy as np
import pytest
from scipy import stats

import course_utils as cu

E = importlib.import_module("course_utils.entropy")  # the module; cu.entropy is H(p)

LOG2 = np.log(2.0)


# --- discrete entropy ------------------------------------------------------------------
def test_entropy_known_values():
    assert E.entropy([0.5, 0.5]) == pytest.approx(1.0)
    assert E.entropy([1.0, 0.0, 0.0]) == 0.0  # 0 log 0 = 0, deterministic -> 0
    assert E.entropy([0.5, 0.25, 0.125, 0.125]) == pytest.approx(1.75)
    assert E.entropy([0.5, 0.5], base=np.e) == pytest.approx(LOG2)


@pytest.mark.parametrize("n", [1, 2, 7, 64, 1000])
def test_uniform_is_log2_n_not_over_n(n):
    """Erratum B6: the uniform law on n points has log2 n bits (not (1/n) log2 n)."""
    h = E.entropy(np.full(n, 1.0 / n))
    assert h == pytest.approx(np.log2(n), abs=1e-12)
    if n > 1:
        assert abs(h - np.log2(n) / n) > 0.4


def test_entropy_matches_scipy_and_bounds():
    rng = np.random.default_rng(0)
    for m in (2, 5, 30):
        p = rng.dirichlet(np.ones(m))
        h = E.entropy(p)
        assert h == pytest.approx(stats.entropy(p, base=2), rel=1e-12)
        assert 0.0 <= h <= np.log2(m) + 1e-12


def test_entropy_additive_for_independent():
    p, q = np.array([0.2, 0.8]), np.array([0.1, 0.3, 0.6])
    assert E.entropy(np.outer(p, q)) == pytest.approx(E.entropy(p) + E.entropy(q), rel=1e-12)


@pytest.mark.parametrize(
    "bad, match",
    [([0.5, 0.6], "sum to 1"), ([1.2, -0.2], "non-negative"), ([], "at least one")],
)
def test_entropy_rejects_bad_p(bad, match):
    with pytest.raises(ValueError, match=match):
        E.entropy(bad)


def test_bad_base():
    with pytest.raises(ValueError, match="base"):
        E.entropy([1.0], base=1)
    with pytest.raises(ValueError, match="base"):
        E.entropy([1.0], base=-2)


# --- erratum 1: sum over samples versus the sample estimate ------------------------------
def test_sum_over_samples_is_not_entropy_but_sample_estimate_is():
    p = np.array([0.35, 0.25, 0.15, 0.1, 0.1, 0.05])
    h = E.entropy(p)
    rng = np.random.default_rng(1)
    x = rng.choice(p.size, size=20000, p=p)
    wrong = E.sum_over_samples(p[x])
    # grows like N * E[-p(x) log2 p(x)] = N * sum_j -p_j^2 log2 p_j, nowhere near H: the mean
    # of N i.i.d. values -p(x_i) log2 p(x_i), within 4 standard errors
    per_sample = -(p**2 * np.log2(p)).sum()
    terms = -p[x] * np.log2(p[x])
    assert abs(wrong / x.size - per_sample) < 4 * terms.std(ddof=1) / np.sqrt(x.size)
    assert wrong == pytest.approx(terms.sum(), rel=1e-12)
    assert wrong > 1000 * h
    est, se = E.sample_entropy_estimate(np.log(p[x]), base=2, return_stderr=True)
    assert abs(est - h) < 4 * se  # 4 standard errors


def test_sample_entropy_estimate_validation():
    with pytest.raises(ValueError, match="logp"):
        E.sample_entropy_estimate([0.1])
    with pytest.raises(ValueError, match="p_of_samples"):
        E.sum_over_samples([0.0, 0.5])


# --- plug-in entropy and its bias ----------------------------------------------------------
def test_plugin_entropy_1d_and_rows():
    assert E.plugin_entropy([3, 3, 7, 7]) == pytest.approx(1.0)
    assert E.plugin_entropy(np.array(["a", "b", "c", "d"])) == pytest.approx(2.0)
    rows = np.array([[0, 1], [0, 1], [1, 0], [2, 2]])  # three distinct rows: 1/2, 1/4, 1/4
    assert E.plugin_entropy(rows) == pytest.approx(1.5)
    assert E.plugin_entropy(rows.astype(float)) == pytest.approx(1.5)


def test_entropy_from_counts_vectorized():
    counts = np.array([[5, 5, 0], [1, 1, 2], [4, 0, 0]])
    out = E.entropy_from_counts(counts)
    np.testing.assert_allclose(out, [1.0, 1.5, 0.0], atol=1e-12)
    with pytest.raises(ValueError, match="positive total"):
        E.entropy_from_counts([0, 0])


@pytest.mark.parametrize("n", [200, 1000])
def test_plugin_bias_matches_miller_madow(n):
    """plugin_bias_mc against the expansion: within 4 standard errors plus the neglected
    third-order term (S1 - S2) / (12 n^3), S_k = sum p^-k (0.3 % of the bias at n = 200).
    The Monte Carlo resolves the leading term (|mm| > 25 SE), not the second one (0.4 SE):
    that is pinned exactly by test_plugin_bias_expansion_against_exact_expectation."""
    p = np.r_[np.full(8, 0.08), np.full(8, 0.045)]
    p /= p.sum()
    bias, se = E.plugin_bias_mc(p, n, 4000, np.random.default_rng(2))
    two_term = E.plugin_bias_expansion(p, n)
    mm = E.miller_madow_bias(16, n)
    third = abs((1 / p).sum() - (1 / p**2).sum()) / (12.0 * n**3) / LOG2
    assert abs(mm) > 25 * se
    assert abs(bias - two_term) < 4 * se + third


def test_miller_madow_formula():
    assert E.miller_madow_bias(16, 200, base=np.e) == pytest.approx(-15 / 400)
    assert E.miller_madow_bias(16, 200) == pytest.approx(-15 / 400 / LOG2)
    with pytest.raises(ValueError, match="n"):
        E.miller_madow_bias(4, 0)


# --- differential entropy and quantization ----------------------------------------------
def _std_normal_pdf(x):
    return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


@pytest.mark.parametrize("cell", [1.0, 0.5, 0.25, 0.1, 0.05])
def test_quantization_converges_to_h(cell):
    """H(x^Delta) + log Delta = h(x + dither) (up to ~1e-9): between h and h + log(1+D^2/12)/2."""
    masses, edges = E.quantized_probabilities(_std_normal_pdf, cell, -12, 12)
    assert masses.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.allclose(np.diff(edges), cell)
    h = 0.5 * np.log(2 * np.pi * np.e)
    err = E.entropy(masses / masses.sum(), base=np.e) + np.log(cell) - h
    assert 0 < err <= 0.5 * np.log1p(cell**2 / 12) + 1e-8


def test_quantized_entropy_from_samples():
    rng = np.random.default_rng(3)
    n, cell = 200_000, 0.25
    x = rng.standard_normal(n)
    h_hat = E.quantized_entropy(x, cell) + np.log(cell)
    h = 0.5 * np.log(2 * np.pi * np.e)
    # quantization error <= cell^2/24; plug-in bias ~ m/(2n) with m <~ 60 cells; MC ~ 1/sqrt(n)
    assert abs(h_hat - h) < cell**2 / 24 + 60 / (2 * n) + 4 * 0.7 / np.sqrt(n)
    # 2-D rows: cubes of side cell, add D log(cell)
    y = rng.standard_normal((n, 2))
    h2 = E.quantized_entropy(y, 0.5) + 2 * np.log(0.5)
    assert abs(h2 - 2 * h) < 2 * 0.25 / 24 + 500 / (2 * n) + 4 * 1.0 / np.sqrt(n)


# --- Gaussian entropy ----------------------------------------------------------------------
def test_gaussian_entropy_closed_form_and_scipy():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((4, 4))
    cov = a @ a.T + 0.3 * np.eye(4)
    h = E.gaussian_entropy(cov)
    assert h == pytest.approx(stats.multivariate_normal(cov=cov).entropy(), rel=1e-12)
    assert E.gaussian_entropy(eigenvalues=np.linalg.eigvalsh(cov)) == pytest.approx(h, rel=1e-12)
    assert E.gaussian_entropy(cov, base=2) == pytest.approx(h / LOG2, rel=1e-12)


def test_gaussian_entropy_monte_carlo():
    rng = np.random.default_rng(5)
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, 0.3], [0.0, 0.3, 0.5]])
    gmm = cu.GaussianMixture([1.0], np.zeros((1, 3)), cov[None])
    x = gmm.sample(20000, rng)
    est, se = E.sample_entropy_estimate(gmm.logpdf(x), return_stderr=True)
    assert abs(est - E.gaussian_entropy(cov)) < 4 * se


def test_gaussian_entropy_singular_is_minus_inf():
    assert E.gaussian_entropy(np.diag([1.0, 0.0])) == -np.inf
    assert E.gaussian_entropy(eigenvalues=[2.0, 0.0, 1.0]) == -np.inf
    with pytest.raises(ValueError, match="exactly one"):
        E.gaussian_entropy()
    with pytest.raises(ValueError, match="eigenvalues"):
        E.gaussian_entropy(eigenvalues=[1.0, -1.0])
    with pytest.raises(ValueError, match="cov"):
        E.gaussian_entropy(np.array([[1.0, 2.0], [2.0, 1.0]]))  # not PSD


def test_gaussian_entropy_large_dimension_no_overflow():
    lam = np.full(2000, 1e-3)  # det underflows to 0, the eigenvalue sum of logs does not
    assert np.isfinite(E.gaussian_entropy(eigenvalues=lam))


# --- entropy along the VE noise (fact 13) --------------------------------------------------
def test_gaussian_entropy_t_matches_cov_plus_t2():
    lam = np.array([3.0, 1.0, 0.2, 0.0])
    for t in (0.1, 0.7, 2.0):
        assert E.gaussian_entropy_t(lam, t) == pytest.approx(
            E.gaussian_entropy(np.diag(lam + t * t)), rel=1e-12
        )
    assert E.gaussian_entropy_t(lam, 0.0) == -np.inf


def test_derivative_matches_finite_differences_and_is_positive():
    lam = np.array([4.0, 1.0, 0.25, 0.0, 0.0])
    ts = np.array([0.05, 0.3, 1.0, 3.0])
    d = 1e-6
    fd = (E.gaussian_entropy_t(lam, ts + d) - E.gaussian_entropy_t(lam, ts - d)) / (2 * d)
    np.testing.assert_allclose(E.gaussian_entropy_t_derivative(lam, ts), fd, rtol=1e-7)
    assert np.all(E.gaussian_entropy_t_derivative(lam, ts) > 0)
    h = E.gaussian_entropy_t(lam, np.linspace(0.01, 5, 200))
    assert np.all(np.diff(h) > 0)


def test_low_rank_slope_is_codimension():
    """h(x_t) ~ (D - P) log t as t -> 0 for rank-P data in D dimensions."""
    lam = np.r_[np.ones(2), np.zeros(3)]
    slope = (E.gaussian_entropy_t(lam, 1e-3) - E.gaussian_entropy_t(lam, 1e-4)) / np.log(10)
    assert slope == pytest.approx(3.0, abs=1e-5)
    eff = 1e-4 * E.gaussian_entropy_t_derivative(lam, 1e-4)  # t dh/dt -> D - P
    assert eff == pytest.approx(3.0, abs=1e-7)


# --- coding rate (fact 18) ------------------------------------------------------------------
def _low_rank_data(seed=6, n=200, d=10, p=3):
    rng = np.random.default_rng(seed)
    u = np.linalg.qr(rng.standard_normal((d, p)))[0]
    return rng.standard_normal((n, p)) * np.array([3.0, 2.0, 1.0])[:p] @ u.T


def test_coding_rate_three_ways_and_entropy_identity():
    x = _low_rank_data()
    x = x + 0.05 * np.random.default_rng(7).standard_normal(x.shape)
    n, d = x.shape
    eps = 0.1
    r = E.coding_rate(x, eps)
    assert E.coding_rate(x, eps, method="D") == pytest.approx(r, rel=1e-10)
    assert E.coding_rate(x, eps, method="N") == pytest.approx(r, rel=1e-10)
    # entropy added by VE noise at t = eps / sqrt(D) to the Gaussian model N(0, X^T X / N)
    t2 = eps**2 / d
    gain = E.gaussian_entropy(x.T @ x / n + t2 * np.eye(d)) - E.gaussian_entropy(t2 * np.eye(d))
    assert gain == pytest.approx(r, rel=1e-10)
    lam = np.linalg.eigvalsh(x.T @ x / n)
    via_t = E.gaussian_entropy_t(np.clip(lam, 0, None), eps / np.sqrt(d)) - E.gaussian_entropy_t(
        np.zeros(d), eps / np.sqrt(d)
    )
    assert via_t == pytest.approx(r, rel=1e-9)


def test_coding_rate_small_example_and_monotone():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert E.coding_rate(x, 0.5) == pytest.approx(0.5 * np.log(33.0), rel=1e-12)
    eps = np.logspace(-3, 3, 50)
    r = E.coding_rate(_low_rank_data(), eps)
    assert np.all(np.diff(r) < 0) and r[-1] < 1e-4 and np.all(r > 0)
    assert E.coding_rate(x, 0.5, base=2) == pytest.approx(0.5 * np.log2(33.0))


def test_coding_rate_counts_intrinsic_dimension():
    """For rank-P data R_eps ~ P log(1/eps) as eps -> 0 (finite, unlike h = -inf)."""
    for p in (1, 2, 3):
        x = _low_rank_data(p=p)
        r1, r2 = E.coding_rate(x, np.array([1e-4, 1e-3]))
        assert (r1 - r2) / np.log(10) == pytest.approx(p, abs=1e-3)


def test_coding_rate_validation():
    with pytest.raises(ValueError, match="eps"):
        E.coding_rate(np.ones((3, 2)), 0.0)
    with pytest.raises(ValueError, match="X"):
        E.coding_rate(np.ones(3), 1.0)
    with pytest.raises(ValueError, match="method"):
        E.coding_rate(np.ones((3, 2)), 1.0, method="qr")


# --- cross-entropy and KL (erratum 13) ------------------------------------------------------
def test_cross_entropy_kl_gap_and_monte_carlo():
    mp, sp = np.zeros(2), np.array([[1.0, 0.5], [0.5, 1.0]])
    mq, sq = np.array([1.0, 0.0]), np.diag([2.0, 0.5])
    ce = E.gaussian_cross_entropy(mp, sp, mq, sq)
    kl = E.gaussian_kl(mp, sp, mq, sq)
    assert kl > 0 and ce == pytest.approx(E.gaussian_entropy(sp) + kl, rel=1e-12)
    assert E.gaussian_kl(mp, sp, mp, sp) == pytest.approx(0.0, abs=1e-12)
    p = cu.GaussianMixture([1.0], mp[None], sp[None])
    q = cu.GaussianMixture([1.0], mq[None], sq[None])
    x = p.sample(20000, np.random.default_rng(8))
    est, se = E.sample_entropy_estimate(q.logpdf(x), return_stderr=True)
    assert abs(est - ce) < 4 * se
    # 1-D closed form: KL(N(0,1) || N(1,4)) = log 2 + (1 + 1)/8 - 1/2
    one = E.gaussian_kl(np.zeros(1), np.eye(1), np.ones(1), 4 * np.eye(1))
    assert one == pytest.approx(np.log(2) + 0.25 - 0.5, rel=1e-12)
    with pytest.raises(ValueError, match="cov_q"):
        E.gaussian_cross_entropy(mp, sp, mq, np.diag([1.0, 0.0]))


def test_gaussian_kl_closed_form_and_monte_carlo():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((3, 3))
    c0 = a @ a.T + 0.5 * np.eye(3)
    c1 = np.diag([1.0, 2.0, 3.0])
    mu0, mu1 = np.array([0.1, -0.2, 0.3]), np.zeros(3)
    kl = E.gaussian_kl(mu0, c0, mu1, c1)
    assert E.gaussian_kl(mu0, c0, mu0, c0) == pytest.approx(0, abs=1e-12)
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
        general = E.gaussian_kl(np.zeros(5), np.diag(lam + T**2), np.zeros(5), T**2 * np.eye(5))
        assert E.ve_start_kl(lam, T) == pytest.approx(general, rel=1e-10)
    assert E.ve_start_kl(np.zeros(4), 1.0) == 0.0
    # grows with D for a spectrum that grows with D, falls with T
    assert E.ve_start_kl(np.arange(1.0, 21), 5) > E.ve_start_kl(np.arange(1.0, 11), 5)
    assert E.ve_start_kl(lam, 10) < E.ve_start_kl(lam, 5)
    with pytest.raises(ValueError, match="eigenvalues"):
        E.ve_start_kl([-1.0], 1.0)
    with pytest.raises(ValueError, match="cov_q"):
        E.gaussian_kl(np.zeros(2), np.eye(2), np.zeros(2), np.diag([1.0, 0.0]))
    with pytest.raises(ValueError, match="mean_q"):
        E.gaussian_kl(np.zeros(2), np.eye(2), np.zeros(3), np.eye(2))


# --- noised mixture (fact 13, Monte Carlo) --------------------------------------------------
def _book_mixture():
    covs = np.array(
        [[[4.25, 1.25], [1.25, 0.5]], [[0.25, 0.0], [0.0, 4.0]], [[1.64, -1.6], [-1.6, 1.64]]]
    )
    return cu.GaussianMixture(np.full(3, 1 / 3), [[-3, -3], [3, 3], [0, 3]], covs)


def test_mixture_entropy_increases_and_is_bracketed():
    gmm = _book_mixture()
    ts = np.array([0.0, 0.25, 0.5, 1.0, 2.0, 5.0])
    r = E.mixture_entropy_mc(gmm, ts, 20000, np.random.default_rng(9))
    assert np.all(r["diff"] > 4 * r["diff_stderr"])  # increasing, beyond 4 paired std errors
    for j, t in enumerate(ts):
        b = E.mixture_entropy_bounds(gmm, t)
        assert b["lower"] - 4 * r["stderr"][j] < r["h"][j]
        assert r["h"][j] < min(b["upper_label"], b["upper_gauss"]) + 4 * r["stderr"][j]


def test_mixture_entropy_single_gaussian_matches_closed_form():
    lam = np.array([2.0, 0.5])
    gmm = cu.GaussianMixture([1.0], np.zeros((1, 2)), np.diag(lam)[None])
    ts = np.array([0.5, 1.5])
    r = E.mixture_entropy_mc(gmm, ts, 20000, np.random.default_rng(10))
    exact = E.gaussian_entropy_t(lam, ts)
    assert np.all(np.abs(r["h"] - exact) < 4 * r["stderr"])
    assert np.all(np.abs(r["diff"] - np.diff(exact)) < 4 * r["diff_stderr"])


def test_mixture_bounds_low_rank_and_exactness():
    u = np.eye(3)[:, :1]
    gmm = cu.GaussianMixture.low_rank([u, np.eye(3)[:, 1:3]])
    b = E.mixture_entropy_bounds(gmm, 0.5)
    manual = 0.5 * (
        E.gaussian_entropy_t(np.array([1.0, 0.0, 0.0]), 0.5)
        + E.gaussian_entropy_t(np.array([1.0, 1.0, 0.0]), 0.5)
    )
    assert b["lower"] == pytest.approx(manual, rel=1e-12)
    assert b["upper_label"] == pytest.approx(manual + np.log(2), rel=1e-12)
    # one component: lower bound = upper Gaussian bound = h(x_t)
    one = cu.GaussianMixture([1.0], np.zeros((1, 2)), np.diag([1.0, 2.0])[None])
    b1 = E.mixture_entropy_bounds(one, 0.3)
    assert b1["lower"] == pytest.approx(b1["upper_gauss"], rel=1e-12)


def test_mixture_mc_validation():
    with pytest.raises(ValueError, match="gmm"):
        E.mixture_entropy_mc("not a mixture", [1.0], 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng"):
        E.mixture_entropy_mc(_book_mixture(), [1.0], 10, 0)


def test_public_exports():
    for name in (
        "coding_rate",
        "gaussian_entropy",
        "gaussian_entropy_t",
        "plugin_entropy",
        "sample_entropy_estimate",
        "mixture_entropy_mc",
        "quantized_entropy",
    ):
        assert getattr(cu, name) is getattr(E, name)
    assert cu.entropy is E.entropy  # the API: course_utils.entropy(p) is H(p)
