"""Chapter-8 exercise self-checks: the right answer passes, wrong ones fail, None is handled;
each expected value is recomputed here from the library."""

import numpy as np
import pytest

import course_utils as cu
from course_utils import inference as inf
from course_utils.exercises import inference as ex


def test_posterior_weight():
    prior = cu.GaussianMixture(list(ex.EX1_WEIGHTS), np.array(ex.EX1_MEANS)[:, None],
                               np.array(ex.EX1_VARIANCES)[:, None, None])
    right = prior.condition(np.ones((1, 1)), [ex.EX1_Y], ex.EX1_SIGMA_Y).weights[1]
    assert right == pytest.approx(ex.posterior_weight_exercise(), abs=1e-12)
    assert ex.check_posterior_weight(right)
    assert ex.check_posterior_weight(float(f"{right:.6f}"))
    # common slips: forgetting the measurement noise, or the prior variance
    for var in (np.array(ex.EX1_VARIANCES), np.full(2, ex.EX1_SIGMA_Y**2)):
        logw = np.log(ex.EX1_WEIGHTS) - 0.5 * (np.log(var) + (ex.EX1_Y - np.array(ex.EX1_MEANS))
                                               ** 2 / var)
        w = np.exp(logw - logw.max())
        assert not ex.check_posterior_weight(w[1] / w.sum())
    assert not ex.check_posterior_weight(1 - right)
    assert not ex.check_posterior_weight(1.5)
    assert not ex.check_posterior_weight("half")
    v = ex.check_posterior_weight(None)
    assert not v and repr(v).startswith("Not yet")
    assert f"{right:.3f}" not in repr(ex.check_posterior_weight(0.0))


def test_dps_overweighting():
    # the ratio of the DPS gain to the exact gain on the measured coordinate, from the library
    t, s = ex.EX2_T, ex.EX2_SIGMA_Y
    gmm = cu.GaussianMixture([1.0], np.zeros((1, 2)), np.diag([ex.EX2_LAMBDA, 0.25])[None])
    C = inf.posterior_covariance(gmm, np.zeros(2), t, cu.VE())
    right = (C[0, 0] + s**2) / s**2
    assert right == pytest.approx(ex.dps_overweighting_exercise(), rel=1e-12)
    assert ex.check_dps_overweighting(right)
    assert not ex.check_dps_overweighting(1 + t**2 / s**2)  # C_t ~ t^2: the small-t guess
    assert not ex.check_dps_overweighting(1 + ex.EX2_LAMBDA / s**2)  # C_t ~ lambda
    assert not ex.check_dps_overweighting(None)
    assert f"{right:.2f}" not in repr(ex.check_dps_overweighting(1.0))


def test_guidance_coefficients():
    # against the guided denoiser of three orthogonal lines in D = 3 (VP, c_t = alpha_t)
    g, y = ex.EX3_GAMMA, ex.EX3_CLASS
    w = np.array(ex.EX3_RESPONSIBILITIES)
    right = (1 - g) * w
    right[y] += g
    np.testing.assert_allclose(right, ex.guidance_coefficients_exercise())
    assert ex.check_guidance_coefficients(right)
    assert ex.check_guidance_coefficients(list(right))
    wrong = g * np.eye(3)[y] + (1 - g) * (1 - np.eye(3)[y]) * w  # forgot (1-gamma) w_y
    assert not ex.check_guidance_coefficients(wrong)
    assert not ex.check_guidance_coefficients(right[:2])
    assert not ex.check_guidance_coefficients(None)
    # the formula is what the library's guided denoiser does
    bases = [np.eye(3)[:, [k]] for k in range(3)]
    gmm = cu.GaussianMixture.low_rank(bases)
    x = np.array([[0.3, -1.2, 0.8]])
    vp = cu.VP()
    wk = cu.responsibilities(gmm, x, 0.5, vp)[0]
    coef = (1 - g) * wk
    coef[y] += g
    np.testing.assert_allclose(inf.guided_denoiser(gmm, y, g, vp)(x, 0.5)[0],
                               np.sqrt(0.75) * coef * x[0], atol=1e-12)
