"""Focused tests for the plausible bugs a mutation run let through (issue 9).

Each test names the mutation it kills; each was checked by applying the mutation by hand and
watching the test fail. Thresholds are tested at their boundary: just inside is accepted,
just outside is refused. Tolerances come from the math (exact values, rounding bounds or
the size of the next term of an expansion), never from round numbers.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from scipy.special import gammaln

import course_utils as cu
from course_utils._validation import check_orthonormal, check_psd, check_weights
from course_utils.diffusion import affine_denoiser, mixture_moments

E = importlib.import_module("course_utils.entropy")
EPS = np.finfo(float).eps
LN2 = np.log(2.0)


# -- gaussian_kl in base 2 (mutation: gaussian_entropy(cov_p) without base) ---------------
def _kl_reference(mp, sp, mq, sq):
    """KL(N(mp, sp) || N(mq, sq)) in nats by the textbook formula with numpy.linalg."""
    d = mp.size
    sq_inv = np.linalg.inv(sq)
    dm = mq - mp
    _, ld_q = np.linalg.slogdet(sq)
    _, ld_p = np.linalg.slogdet(sp)
    return 0.5 * (np.trace(sq_inv @ sp) + dm @ sq_inv @ dm - d + ld_q - ld_p)


@pytest.mark.parametrize("base", [np.e, 2.0, 10.0])
def test_gaussian_kl_in_every_base(base):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 3))
    sp, sq = a @ a.T + 0.5 * np.eye(3), b @ b.T + 0.5 * np.eye(3)
    mp, mq = rng.standard_normal((2, 3))
    ref = _kl_reference(mp, sp, mq, sq) / np.log(base)
    got = E.gaussian_kl(mp, sp, mq, sq, base=base)
    # both sides are sums of O(10) terms of size O(10) (log dets, traces): a few hundred
    # eps of absolute rounding
    assert abs(got - ref) < 500 * EPS * 10
    # h(p) (about 4.9 nats here) is in the same unit as CE: without the base the base-2
    # result would be off by h(p) (1/ln 2 - 1), about 2.2
    assert abs(E.gaussian_kl(mp, sp, mq, sq, base=2) * LN2 - E.gaussian_kl(mp, sp, mq, sq)) \
        < 500 * EPS * 10


def test_gaussian_kl_is_zero_for_equal_laws_in_base_2():
    s = np.array([[2.0, 0.3], [0.3, 1.0]])
    m = np.array([1.0, -2.0])
    assert abs(E.gaussian_kl(m, s, m, s, base=2)) < 100 * EPS


# -- check_orthonormal tolerance 1e-8 (mutation: 1e-2) -------------------------------------
def _basis_off_by(delta):
    """A (3, 2) basis whose U^T U - I has the single entry delta (column 0 has norm^2 1+delta)."""
    u = np.eye(3)[:, :2].copy()
    u[0, 0] = np.sqrt(1.0 + delta)
    return u


def test_check_orthonormal_boundary():
    inside, outside = _basis_off_by(0.9e-8), _basis_off_by(1.1e-8)
    check_orthonormal(inside, "U")
    with pytest.raises(ValueError, match="U must have orthonormal columns"):
        check_orthonormal(outside, "U")
    # the public constructors use it: a basis off by 1.1e-8 (or 1 %) is refused
    cu.GaussianMixture.low_rank([inside])
    for bad in (outside, _basis_off_by(1e-2)):
        with pytest.raises(ValueError, match=r"bases\[0\] must have orthonormal columns"):
            cu.GaussianMixture.low_rank([bad])
    with pytest.raises(ValueError, match="basis must have orthonormal columns"):
        cu.low_rank_inverse(outside, 1.0)


# -- check_weights tolerance 1e-8 (mutation: 1e-2) ------------------------------------------
def test_check_weights_boundary():
    check_weights([0.5, 0.5 + 0.9e-8], "w")
    check_weights([0.5, 0.5 - 0.9e-8], "w")
    for bad in ([0.5, 0.5 + 1.1e-8], [0.5, 0.5 - 1.1e-8], [0.5, 0.505]):
        with pytest.raises(ValueError, match="w must sum to 1"):
            check_weights(bad, "w")
    with pytest.raises(ValueError, match="weights must sum to 1"):
        cu.GaussianMixture([0.5, 0.505], np.zeros((2, 1)), np.ones((2, 1, 1)))
    with pytest.raises(ValueError, match="p must sum to 1"):
        E.plugin_bias_expansion([0.5, 0.505], 10)
    # entropy() has its own check with the same threshold
    assert E.entropy([0.5, 0.5 + 0.9e-8]) == pytest.approx(1.0, abs=1e-7)
    with pytest.raises(ValueError, match="p must sum to 1"):
        E.entropy([0.5, 0.5 + 1.1e-8])


# -- check_psd: rounding-level eigenvalues set to 0 (mutation: lam < tol -> lam < 0) -------
def test_check_psd_zeroes_positive_rounding_noise_and_keeps_real_eigenvalues():
    tol = 2 * EPS  # D * eps * max|lambda| for D = 2, max = 1
    lam, _ = check_psd(np.diag([1.0, 0.9 * tol]), "c")
    assert lam.min() == 0.0  # a positive eigenvalue at rounding level is an exact zero
    lam, _ = check_psd(np.diag([1.0, 1.1 * tol]), "c")
    assert lam.min() == 1.1 * tol  # just above: kept as it is
    # through the public functions: a covariance diag(1, 1e-17) is singular
    assert cu.GaussianMixture([1.0], np.zeros((1, 2)), np.diag([1.0, 1e-17])[None])._degenerate[0]
    assert E.gaussian_entropy(np.diag([1.0, 1e-17])) == -np.inf
    assert np.isfinite(E.gaussian_entropy(np.diag([1.0, 1e-15])))


def test_check_psd_negative_boundary():
    # negative eigenvalues are rounding noise down to -max(tol, 1e-10 * max|C|)
    lam, _ = check_psd(np.diag([1.0, -0.9e-10]), "c")
    assert lam.min() == 0.0
    with pytest.raises(ValueError, match="c must be positive semi-definite"):
        check_psd(np.diag([1.0, -1.1e-10]), "c")


# -- mixture_moments with unequal weights (mutation: weights ignored) -----------------------
def _unequal_mixture():
    """D = 2, weights (0.2, 0.8), means (0, 0) and (10, -5), covariances diag(1, 2), diag(4, 3)."""
    covs = np.stack([np.diag([1.0, 2.0]), np.diag([4.0, 3.0])])
    return cu.GaussianMixture([0.2, 0.8], [[0.0, 0.0], [10.0, -5.0]], covs)


def test_mixture_moments_unequal_weights_exact():
    m, c = mixture_moments(_unequal_mixture())
    # mean 0.8 (10, -5) = (8, -4); E[x x^T] = 0.2 diag(1, 2) + 0.8 (diag(4, 3) + mu mu^T)
    second = 0.2 * np.diag([1.0, 2.0]) + 0.8 * (np.diag([4.0, 3.0]) + np.outer([10, -5], [10, -5]))
    np.testing.assert_allclose(m, [8.0, -4.0], rtol=0, atol=4 * EPS * 10)
    np.testing.assert_allclose(c, second - np.outer([8.0, -4.0], [8.0, -4.0]), rtol=0,
                               atol=8 * EPS * 100)
    # the numbers themselves: Var x_1 = 0.2 + 0.8 * 104 - 64 = 19.4, Cov = -0.8 * 50 + 32 = -8
    np.testing.assert_allclose(c, [[19.4, -8.0], [-8.0, 0.4 + 0.8 * 28 - 16]], atol=1e-12)


def test_affine_denoiser_unequal_weights():
    g = _unequal_mixture()
    m, c = np.array([8.0, -4.0]), np.array([[19.4, -8.0], [-8.0, 6.8]])
    t = 1.5
    x = np.array([[1.0, 2.0], [9.0, -6.0]])
    ref = m + (x - m) @ np.linalg.solve(c + t * t * np.eye(2), c).T
    np.testing.assert_allclose(affine_denoiser(g, x, t), ref, rtol=0, atol=100 * EPS * 20)


# -- plugin_bias_expansion: the 1/n^2 term and its sign --------------------------------------
def test_plugin_bias_expansion_value():
    # p = (1/2, 1/4, 1/4), n = 10: -(3 - 1)/20 + (1 - (2 + 4 + 4))/1200 = -0.1 - 0.0075 nats
    got = E.plugin_bias_expansion([0.5, 0.25, 0.25], 10, base=np.e)
    assert got == pytest.approx(-0.1075, rel=4 * EPS)
    assert E.plugin_bias_expansion([0.5, 0.25, 0.25], 10) == pytest.approx(-0.1075 / LN2,
                                                                             rel=4 * EPS)


def _exact_plugin_bias(p, n):
    """E[H_plugin] - H in nats for m = 3 symbols, by summing over all (n+1)(n+2)/2 outcomes."""
    c1, c2 = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    ok = c1 + c2 <= n
    c = np.stack([c1[ok], c2[ok], n - c1[ok] - c2[ok]], axis=1).astype(float)
    logpmf = gammaln(n + 1) - gammaln(c + 1).sum(axis=1) + (c * np.log(p)).sum(axis=1)
    return float(np.exp(logpmf) @ E.entropy_from_counts(c, base=np.e)) - E.entropy(p, np.e)


@pytest.mark.parametrize("n", [200, 400])
def test_plugin_bias_expansion_against_exact_expectation(n):
    """Harris's expansion E[H_hat] - H = -(m-1)/(2n) + (1 - S1)/(12 n^2) + (S1 - S2)/(12 n^3)
    + O(n^-4), S_k = sum_j p_j^-k: the two-term value misses the exact bias by about the third
    term (within 20 %: its own O(1/n) correction), the one-term value by the second term."""
    p = np.array([0.5, 0.3, 0.2])
    exact = _exact_plugin_bias(p, n)
    two = E.plugin_bias_expansion(p, n, base=np.e)
    one = E.miller_madow_bias(3, n, base=np.e)
    third = ((1 / p).sum() - (1 / p**2).sum()) / (12.0 * n**3)
    assert abs(exact - two) < 1.2 * abs(third)
    assert abs(exact - one) > 20 * abs(third)  # the second term matters at this n
