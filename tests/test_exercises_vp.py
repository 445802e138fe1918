"""Tests for the chapter 6 exercise checks (course_utils.exercises.vp)."""

import numpy as np

import course_utils as cu
from course_utils.exercises import vp as ex


def test_vp_covariance_check():
    right = 0.64 * np.array([[2.0, 0], [0, 0.5]]) + 0.36 * np.eye(2)
    assert ex.check_vp_covariance(right)
    assert not ex.check_vp_covariance(np.eye(2))
    assert not ex.check_vp_covariance(None)
    assert not ex.check_vp_covariance("two")
    # Cov(x) = I stays I (source-notes fact 16)
    assert np.allclose(ex.vp_covariance(np.eye(3), 0.37), np.eye(3))


def test_ddim_coefficients_check():
    assert ex.check_ddim_coefficients((0.75, 0.35))
    assert not ex.check_ddim_coefficients((0.35, 0.75))
    assert not ex.check_ddim_coefficients(None)
    # agrees with the library's ddim_step: x_s = a x_t + b xbar
    a, b = ex.ddim_coefficients(0.8, 0.6)
    x, xb = np.array([1.0, 2.0]), np.array([-0.5, 0.3])
    assert np.allclose(cu.ddim_step(x, xb, 0.8, 0.6, cu.VP()), a * x + b * xb)


def test_vp_output_std_check_and_fact_12():
    # source-notes fact 12: lambda = 0.3, L = 10, 100, 1000 -> 0.480, 0.540, 0.5468
    got = [ex.vp_output_std(0.3, L) for L in (10, 100, 1000)]
    assert np.allclose(got, [0.480, 0.540, 0.5468], atol=6e-4)
    assert ex.vp_output_std(0.3, 1) == 0.0  # one step from t=1 returns E[x] = 0
    # L = 2 by hand: 0.5 * alpha(0.5) lam / (alpha^2 lam + 0.25)
    a = np.sqrt(0.75)
    assert ex.check_vp_output_std(0.5 * a * 0.3 / (0.75 * 0.3 + 0.25))
    assert not ex.check_vp_output_std(np.sqrt(0.3))
    assert not ex.check_vp_output_std(None)


def test_vp_output_std_monte_carlo():
    rng = np.random.default_rng(0)
    gmm = cu.GaussianMixture([1.0], [[0.0]], [[[0.3]]])
    x0 = rng.standard_normal((20000, 1))
    out = cu.sample(gmm.denoiser(cu.VP()), cu.VP(), x0, L=10)
    exact = ex.vp_output_std(0.3, 10)
    # the output is exactly linear in x0 (same draws), so this is tight
    assert np.allclose(out[:, 0], exact * x0[:, 0], atol=1e-12)


def test_ve_start_kl_check():
    lam = np.array([1.0, 2.0, 3.0, 4.0])
    r = lam / 4.0
    assert ex.check_ve_start_kl(0.5 * np.sum(r - np.log1p(r)))
    assert not ex.check_ve_start_kl(0.5 * np.sum(r))
    assert not ex.check_ve_start_kl(None)


def test_ve_start_kl_worked_value():
    """Chapter 6, exercise 4: eigenvalues 1..4, T = 2 give 1/2 sum(r - log(1 + r)) = 0.3093 nats
    (the value the worked solution states); 0.4078, an earlier misprint, is rejected."""
    assert ex.check_ve_start_kl(0.3093, eigenvalues=(1.0, 2.0, 3.0, 4.0), T=2.0)
    assert not ex.check_ve_start_kl(0.4078, eigenvalues=(1.0, 2.0, 3.0, 4.0), T=2.0)
    # doubling the eigenvalues and T^2 together leaves the KL unchanged; doubling T halves each r
    assert ex.check_ve_start_kl(0.3093, eigenvalues=(2.0, 4.0, 6.0, 8.0), T=2.0 * np.sqrt(2.0))
    assert ex.check_ve_start_kl(0.092577, eigenvalues=(2.0, 4.0, 6.0, 8.0), T=4.0)
