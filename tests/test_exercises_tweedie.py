"""Chapter-2 exercise checks: right answers pass, wrong ones fail, None fails politely."""

import numpy as np
import pytest

from course_utils import diffusion as df
from course_utils.exercises import tweedie as ex


def test_ex1_gaussian_tweedie():
    p = ex.EX1
    var_t = p["s2"] + p["t"] ** 2
    score = -(p["x_t"] - p["m"]) / var_t
    mean = p["m"] + p["s2"] / var_t * (p["x_t"] - p["m"])
    assert mean == pytest.approx(p["x_t"] + p["t"] ** 2 * score)  # Tweedie holds
    assert ex.check_gaussian_tweedie(mean, score)
    assert not ex.check_gaussian_tweedie(mean, -score)
    assert not ex.check_gaussian_tweedie(p["x_t"], score)  # did not denoise
    v = ex.check_gaussian_tweedie(None, None)
    assert not v and repr(v).startswith("Not yet")
    assert not ex.check_gaussian_tweedie("abc", score)


def test_ex2_two_point():
    p = ex.EX2
    right = float(df.two_point_denoiser(p["x_t"], p["t"]))
    assert ex.two_point_expected() == pytest.approx(right)
    assert ex.check_two_point(right)
    wrong_sign = ex.check_two_point(-right)
    assert not wrong_sign and "sign" in repr(wrong_sign)
    assert not ex.check_two_point(right + 0.01)
    assert not ex.check_two_point(None)
    # the verdict never shows the expected number
    assert f"{right:.3f}" not in repr(ex.check_two_point(0.1))


def test_ex3_mmse_quadrature_matches_monte_carlo():
    rng = np.random.default_rng(0)
    for t in (0.5, 1.0, 2.0):
        x = rng.choice([-1.0, 1.0], 200_000)
        err = (df.two_point_denoiser(x + t * rng.standard_normal(x.shape), t) - x) ** 2
        m, se = df.mean_and_se(err)
        assert abs(m - ex.two_point_mmse(t)) < 4 * se
    # orthogonality: MMSE = 1 - E[xbar^2]
    x = rng.choice([-1.0, 1.0], 200_000)
    xbar = df.two_point_denoiser(x + rng.standard_normal(x.shape), 1.0)
    assert ex.check_two_point_mmse(1.0 - np.mean(xbar**2))
    assert not ex.check_two_point_mmse(1.0 - np.mean(xbar**2) + 0.02)
    assert not ex.check_two_point_mmse(1.0)  # the MSE of guessing 0
    assert not ex.check_two_point_mmse(None)


def test_ex4_noise_prediction():
    p = ex.EX4
    right = (1 - p["t"] ** 2) / p["t"] ** 2 * p["denoiser_mse"]
    assert ex.check_noise_prediction_mse(right)
    upside = ex.check_noise_prediction_mse(p["t"] ** 2 / (1 - p["t"] ** 2) * p["denoiser_mse"])
    assert not upside and "upside down" in repr(upside)
    assert not ex.check_noise_prediction_mse(p["denoiser_mse"])
    assert not ex.check_noise_prediction_mse(None)
