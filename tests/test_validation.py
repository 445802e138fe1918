"""One test per error message: bad input raises ValueError naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

import course_utils as cu
from course_utils._validation import (
    as_float_array,
    as_points,
    check_bases,
    check_orthonormal,
    check_psd,
    check_rng,
    check_scalar,
    check_weights,
)
from course_utils.sampling import check_grid

D = 3


@pytest.fixture
def gmm():
    rng = np.random.default_rng(0)
    covs = np.stack([np.eye(D), 2 * np.eye(D)])
    return cu.GaussianMixture([0.4, 0.6], rng.standard_normal((2, D)), covs)


@pytest.fixture
def low_rank():
    return cu.GaussianMixture.low_rank([np.eye(D)[:, :1], np.eye(D)[:, 1:3]])


def identity(x, t):
    return x


# -- the validators themselves ---------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_as_float_array_rejects_nan_inf(bad):
    with pytest.raises(ValueError, match="arr must contain only finite"):
        as_float_array([1.0, bad], "arr")


def test_as_float_array_rejects_non_numbers_and_wrong_ndim():
    with pytest.raises(ValueError, match="arr must be an array of real numbers"):
        as_float_array(["a", "b"], "arr")
    with pytest.raises(ValueError, match=r"arr must be 1-D or 2-D, got an array of shape \(\)"):
        as_float_array(1.0, "arr", ndim=(1, 2))


def test_as_points_columns():
    with pytest.raises(ValueError, match="pts must have 4 columns"):
        as_points(np.zeros((2, 3)), "pts", 4)
    pts, single = as_points(np.zeros(4), "pts", 4)
    assert pts.shape == (1, 4) and single


def test_check_scalar_messages():
    with pytest.raises(ValueError, match="n must be an integer"):
        check_scalar(2.5, "n", integer=True)
    with pytest.raises(ValueError, match="n must be an integer"):
        check_scalar(True, "n", integer=True)
    with pytest.raises(ValueError, match="x must be a real number"):
        check_scalar("x", "x")
    with pytest.raises(ValueError, match="x must be finite"):
        check_scalar(np.nan, "x")
    with pytest.raises(ValueError, match="x must be >= 0"):
        check_scalar(-1, "x", low=0)
    with pytest.raises(ValueError, match="x must be > 0"):
        check_scalar(0, "x", low=0, low_open=True)
    with pytest.raises(ValueError, match="x must be <= 1"):
        check_scalar(2, "x", high=1)


def test_check_weights_messages():
    with pytest.raises(ValueError, match="w must be non-negative"):
        check_weights([1.5, -0.5], "w")
    with pytest.raises(ValueError, match="w must sum to 1"):
        check_weights([0.5, 0.6], "w")
    with pytest.raises(ValueError, match="w must have 3 entries"):
        check_weights([0.5, 0.5], "w", 3)
    with pytest.raises(ValueError, match="w must have at least one entry"):
        check_weights([], "w")
    with pytest.raises(ValueError, match="w must be 1-D"):
        check_weights([[1.0]], "w")


def test_check_psd_messages():
    with pytest.raises(ValueError, match=r"c must be \(2, 2\)"):
        check_psd(np.eye(3), "c", 2)
    with pytest.raises(ValueError, match="c must be square"):
        check_psd(np.zeros((2, 3)), "c")
    with pytest.raises(ValueError, match="c must be symmetric"):
        check_psd([[1.0, 0.5], [0.0, 1.0]], "c")
    with pytest.raises(ValueError, match="c must be positive semi-definite"):
        check_psd([[1.0, 0.0], [0.0, -1e-3]], "c")
    # rounding noise below D eps max|lambda| is accepted and set to an exact zero
    lam, _ = check_psd([[1.0, 0.0], [0.0, -1e-17]], "c")
    assert lam.min() == 0.0


def test_check_orthonormal_messages():
    with pytest.raises(ValueError, match="U must have orthonormal columns"):
        check_orthonormal(np.ones((3, 2)), "U")
    with pytest.raises(ValueError, match="U must have 4 rows"):
        check_orthonormal(np.eye(3)[:, :2], "U", 4)
    with pytest.raises(ValueError, match="U must have between 1 and D=2 columns"):
        check_orthonormal(np.ones((2, 3)), "U")


# -- GaussianMixture -------------------------------------------------------------------
def test_mixture_shape_errors():
    with pytest.raises(ValueError, match="means must be 2-D"):
        cu.GaussianMixture([1.0], np.zeros(D), np.eye(D)[None])
    with pytest.raises(ValueError, match="means must have shape"):
        cu.GaussianMixture([], np.zeros((0, D)), np.zeros((0, D, D)))
    with pytest.raises(ValueError, match="weights must have 2 entries"):
        cu.GaussianMixture([1.0], np.zeros((2, D)), np.stack([np.eye(D)] * 2))
    with pytest.raises(ValueError, match=r"covs must have shape \(K, D, D\)"):
        cu.GaussianMixture([1.0], np.zeros((1, D)), np.eye(D + 1)[None])
    with pytest.raises(ValueError, match="covs must be 3-D"):
        cu.GaussianMixture([1.0], np.zeros((1, D)), np.eye(D))


def test_mixture_weight_errors():
    covs = np.stack([np.eye(D)] * 2)
    with pytest.raises(ValueError, match="weights must be non-negative"):
        cu.GaussianMixture([1.2, -0.2], np.zeros((2, D)), covs)
    with pytest.raises(ValueError, match="weights must sum to 1"):
        cu.GaussianMixture([0.3, 0.3], np.zeros((2, D)), covs)


def test_mixture_cov_errors():
    bad = np.eye(D)
    bad[0, 1] = 0.5
    with pytest.raises(ValueError, match=r"covs\[1\] must be symmetric"):
        cu.GaussianMixture([0.5, 0.5], np.zeros((2, D)), np.stack([np.eye(D), bad]))
    with pytest.raises(ValueError, match=r"covs\[0\] must be positive semi-definite"):
        cu.GaussianMixture([1.0], np.zeros((1, D)), -np.eye(D)[None])


def test_mixture_nan_errors():
    with pytest.raises(ValueError, match="means must contain only finite"):
        cu.GaussianMixture([1.0], [[np.nan, 0.0, 0.0]], np.eye(D)[None])
    with pytest.raises(ValueError, match="covs must contain only finite"):
        cu.GaussianMixture([1.0], np.zeros((1, D)), np.full((1, D, D), np.inf))


def test_low_rank_errors():
    e = np.eye(D)
    with pytest.raises(ValueError, match="bases must be a non-empty list"):
        cu.GaussianMixture.low_rank([])
    with pytest.raises(ValueError, match=r"bases\[1\] must have orthonormal columns"):
        cu.GaussianMixture.low_rank([e[:, :1], 2 * e[:, 1:2]])
    with pytest.raises(ValueError, match=r"bases\[1\] must have 3 rows"):
        cu.GaussianMixture.low_rank([e[:, :1], np.eye(2)[:, :1]])
    with pytest.raises(ValueError, match=r"bases\[0\] must be 2-D"):
        cu.GaussianMixture.low_rank([np.ones(3)])
    with pytest.raises(ValueError, match="weights must sum to 1"):
        cu.GaussianMixture.low_rank([e[:, :1], e[:, 1:2]], weights=[0.5, 0.6])
    with pytest.raises(ValueError, match=r"means must have shape \(K, D\)"):
        cu.GaussianMixture.low_rank([e[:, :1], e[:, 1:2]], means=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="variances must have one entry per component"):
        cu.GaussianMixture.low_rank([e[:, :1], e[:, 1:2]], variances=[[1.0]])
    with pytest.raises(ValueError, match=r"variances\[1\] must be 1 positive numbers"):
        cu.GaussianMixture.low_rank([e[:, :1], e[:, 1:2]], variances=[[1.0], [-1.0]])


def test_check_rng_is_the_one_rng_check():
    rng = np.random.default_rng(0)
    assert check_rng(rng) is rng
    with pytest.raises(ValueError, match="seed_rng must be a numpy.random.Generator.*got int"):
        check_rng(0, "seed_rng")
    # every public function with an rng argument goes through it (same message)
    from course_utils.pca import random_orthonormal

    for call in (lambda: cu.forward_process(np.zeros(2), [1.0], rng=1),
                 lambda: random_orthonormal(3, 2, rng=None),
                 lambda: cu.initial_noise(cu.VE(), 2, 2, rng=np.random.RandomState(0))):
        with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
            call()


def test_check_bases():
    e = np.eye(4)
    us = check_bases(np.stack([e[:, :2], e[:, 2:]]))  # a (K, D, P) array is accepted
    assert len(us) == 2 and us[1].shape == (4, 2)
    with pytest.raises(ValueError, match="bases must be a non-empty list"):
        check_bases([])
    with pytest.raises(ValueError, match=r"learned\[1\]"):
        check_bases([e[:, :2], np.ones((4, 2))], "learned")
    with pytest.raises(ValueError, match=r"bases\[0\]"):
        check_bases([e[:, :2]], dim=3)


def test_sample_errors(gmm):
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        gmm.sample(3, rng=0)
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        gmm.sample(3, rng=np.random.RandomState(0))
    with pytest.raises(ValueError, match="n must be >= 0"):
        gmm.sample(-1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n must be an integer"):
        gmm.sample(2.5, np.random.default_rng(0))


def test_noised_and_logpdf_errors(gmm, low_rank):
    with pytest.raises(ValueError, match="schedule must be a Schedule"):
        gmm.noised("VE", 1.0)
    with pytest.raises(ValueError, match="t must be >= 0"):
        gmm.noised(cu.VE(), -1.0)
    with pytest.raises(ValueError, match="t must be a real number"):
        gmm.noised(cu.VE(), [0.5, 1.0])
    with pytest.raises(ValueError, match="x must have 3 columns"):
        gmm.logpdf(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="logpdf at t = 0 is undefined.*Use t > 0"):
        low_rank.logpdf(np.zeros(D))
    with pytest.raises(ValueError, match="responsibilities at t = 0 is undefined.*Use t > 0"):
        cu.responsibilities(low_rank, np.zeros(D), 0.0)


# -- denoisers -------------------------------------------------------------------------
def test_every_mixture_argument_goes_through_check_mixture():
    import importlib

    from course_utils import diffusion
    from course_utils.mixtures import check_mixture

    entropy = importlib.import_module("course_utils.entropy")  # cu.entropy is the function H(p)

    with pytest.raises(ValueError, match="prior must be a GaussianMixture, got str"):
        check_mixture("x", "prior")
    for call in (lambda: diffusion.mixture_moments(None), lambda: diffusion.density_grid(None, 1.0),
                 lambda: entropy.mixture_entropy_bounds(None, 1.0),
                 lambda: entropy.mixture_entropy_mc(None, [1.0], 10, np.random.default_rng(0))):
        with pytest.raises(ValueError, match="gmm must be a GaussianMixture, got NoneType"):
            call()


@pytest.mark.parametrize("fn", [cu.posterior_mean, cu.responsibilities, cu.score])
def test_denoiser_input_errors(fn, gmm):
    x = np.zeros((4, D))
    with pytest.raises(ValueError, match="gmm must be a GaussianMixture"):
        fn("not a mixture", x, 1.0)
    with pytest.raises(ValueError, match="x_t must have 3 columns"):
        fn(gmm, np.zeros((4, D + 1)), 1.0)
    with pytest.raises(ValueError, match="x_t must be 1-D or 2-D"):
        fn(gmm, np.zeros((2, 2, D)), 1.0)
    with pytest.raises(ValueError, match="x_t must contain only finite"):
        fn(gmm, np.full((4, D), np.nan), 1.0)
    with pytest.raises(ValueError, match="t must be >= 0"):
        fn(gmm, x, -0.1)
    with pytest.raises(ValueError, match="t must be <= 1 for the VP schedule"):
        fn(gmm, x, 1.5, cu.VP())
    with pytest.raises(ValueError, match="t must contain only finite"):
        fn(gmm, x, np.inf)
    with pytest.raises(ValueError, match="t must be a scalar or have one entry per point"):
        fn(gmm, x, np.ones(3))
    with pytest.raises(ValueError, match="t must be a scalar or 1-D"):
        fn(gmm, x, np.ones((4, 1)))
    with pytest.raises(ValueError, match="schedule must be a Schedule"):
        fn(gmm, x, 0.5, "VP")
    with pytest.raises(ValueError, match="t must be 0 or between"):
        fn(gmm, x, 1e-200)


def test_score_needs_positive_t(gmm):
    with pytest.raises(ValueError, match="t must be > 0 for the score"):
        cu.score(gmm, np.zeros(D), 0.0)


def test_tweedie_errors():
    x = np.zeros((4, D))
    with pytest.raises(ValueError, match="score must have the shape of x_t"):
        cu.tweedie(x, np.zeros((4, D + 1)), 1.0)
    with pytest.raises(ValueError, match="t must give alpha_t > 0"):
        cu.tweedie(x, x, 1.0, cu.VP())
    with pytest.raises(ValueError, match="t must be a scalar or have one entry per point"):
        cu.tweedie(x, x, np.ones(2))
    with pytest.raises(ValueError, match="t must be a scalar or have one entry per point"):
        cu.tweedie(np.zeros(D), np.zeros(D), np.ones(D))  # (D,) is one point, not D of them
    with pytest.raises(ValueError, match="score must contain only finite"):
        cu.tweedie(x, np.full((4, D), np.nan), 1.0)


def test_score_from_denoiser_errors():
    x = np.zeros((4, D))
    with pytest.raises(ValueError, match="xhat must have the shape of x_t"):
        cu.score_from_denoiser(x, np.zeros(D), 1.0)
    with pytest.raises(ValueError, match=r"t must be > 0 \(sigma_t > 0\)"):
        cu.score_from_denoiser(x, x, 0.0)
    with pytest.raises(ValueError, match="x_t must contain only finite"):
        cu.score_from_denoiser(np.full((4, D), np.inf), x, 1.0)


@pytest.mark.parametrize("fn", [cu.attention_logits, cu.attention_weights, cu.attention_denoiser])
def test_attention_errors(fn):
    e = np.eye(D)
    bases = [e[:, :1], e[:, 1:2]]
    with pytest.raises(ValueError, match="bases must be a non-empty list"):
        fn([], np.zeros(D), 1.0)
    with pytest.raises(ValueError, match=r"bases\[0\] must have orthonormal columns"):
        fn([np.ones((D, 1)), e[:, 1:2]], np.zeros(D), 1.0)
    with pytest.raises(ValueError, match="x_t must have 3 columns"):
        fn(bases, np.zeros(D + 1), 1.0)
    with pytest.raises(ValueError, match="t must be > 0 for the attention weights"):
        fn(bases, np.zeros(D), 0.0)
    with pytest.raises(ValueError, match="weights must be non-negative"):
        fn(bases, np.zeros(D), 1.0, weights=[1.5, -0.5])
    with pytest.raises(ValueError, match="t must be a scalar or have one entry per point"):
        fn(bases, np.zeros((4, D)), np.ones(3))


# -- schedules -------------------------------------------------------------------------
def test_schedule_errors():
    with pytest.raises(ValueError, match="T must be > 0"):
        cu.VE(T=0.0)
    with pytest.raises(ValueError, match="T must be finite"):
        cu.VE(T=np.inf)
    with pytest.raises(ValueError, match="T must be <= 1e\\+100"):
        cu.VE(T=1e101)
    with pytest.raises(ValueError, match="L must be >= 1"):
        cu.VE().grid(0)
    with pytest.raises(ValueError, match="L must be an integer"):
        cu.VP().grid(2.5)
    with pytest.raises(ValueError, match="kind must be 'uniform' or 'exponential'"):
        cu.VE().grid(5, kind="log")
    with pytest.raises(ValueError, match="rate must be > 0"):
        cu.VE().grid(5, kind="exponential", rate=0.0)
    with pytest.raises(ValueError, match="rate=10000 is too large for L=10"):
        cu.VE().grid(10, kind="exponential", rate=1e4)
    with pytest.raises(ValueError, match="tt must be >= 0"):
        cu.VE().check_t([0.5, -0.5], "tt")
    with pytest.raises(ValueError, match="tt must be <= 1 for the VP schedule"):
        cu.VP().check_t(1.0 + 1e-9, "tt")
    with pytest.raises(ValueError, match="tt must be 0 or between 1e-100 and 1e\\+100"):
        cu.VE().check_t(1e120, "tt")


# -- sampling --------------------------------------------------------------------------
def test_sample_argument_errors():
    x0 = np.zeros((5, D))
    with pytest.raises(ValueError, match="denoiser must be a callable"):
        cu.sample(None, cu.VE(), x0, 5)
    with pytest.raises(ValueError, match="schedule must be a Schedule"):
        cu.sample(identity, "VE", x0, 5)
    with pytest.raises(ValueError, match="L must be >= 1"):
        cu.sample(identity, cu.VE(), x0, 0)
    with pytest.raises(ValueError, match="L must be an integer"):
        cu.sample(identity, cu.VE(), x0, 2.5)
    with pytest.raises(ValueError, match="L must be given"):
        cu.sample(identity, cu.VE(), x0)
    with pytest.raises(ValueError, match=r"L must equal len\(grid\) - 1 = 2"):
        cu.sample(identity, cu.VE(), x0, 3, grid=[0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="x_init must contain only finite"):
        cu.sample(identity, cu.VE(), np.full((5, D), np.nan), 5)
    with pytest.raises(ValueError, match="x_init must be 1-D or 2-D"):
        cu.sample(identity, cu.VE(), 1.0, 5)
    with pytest.raises(ValueError, match="return_path entry must be <= 5"):
        cu.sample(identity, cu.VE(), x0, 5, return_path=[0, 6])
    with pytest.raises(ValueError, match="return_path entry must be >= 0"):
        cu.sample(identity, cu.VE(), x0, 5, return_path=[-1])
    with pytest.raises(ValueError, match="return_path entry must be an integer"):
        cu.sample(identity, cu.VE(), x0, 5, return_path=[1.5])


def test_sample_bad_denoiser():
    x0 = np.zeros((5, D))
    with pytest.raises(ValueError, match=r"denoiser returned shape \(5, 2\), expected \(5, 3\)"):
        cu.sample(lambda x, t: x[:, :2], cu.VE(), x0, 3)
    with pytest.raises(ValueError, match="denoiser returned NaN or inf at t = 1"):
        cu.sample(lambda x, t: x * np.nan, cu.VE(), x0, 3)


@pytest.mark.parametrize(
    ("grid", "schedule", "message"),
    [
        ([0.0], cu.VE(), "grid must have at least 2 times"),
        ([0.0, 0.5, 0.5, 1.0], cu.VE(), "grid must be strictly increasing"),
        ([1.0, 0.5, 0.0], cu.VE(), "grid must be strictly increasing"),
        ([-0.5, 0.5, 1.0], cu.VE(), "grid must be >= 0"),
        ([0.0, 0.5, 1.2], cu.VP(), "grid must be <= 1 for the VP schedule"),
        ([[0.0, 1.0]], cu.VE(), "grid must be 1-D"),
        ([0.0, np.nan], cu.VE(), "grid must contain only finite"),
    ],
)
def test_bad_grid(grid, schedule, message):
    with pytest.raises(ValueError, match=message):
        check_grid(grid, schedule)
    with pytest.raises(ValueError, match=message):
        cu.sample(identity, schedule, np.zeros((2, D)), grid=grid)


def test_initial_noise_and_ddim_step_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        cu.initial_noise(cu.VE(), 3, D, rng=42)
    with pytest.raises(ValueError, match="n must be >= 1"):
        cu.initial_noise(cu.VE(), 0, D, rng)
    with pytest.raises(ValueError, match="D must be an integer"):
        cu.initial_noise(cu.VE(), 3, 2.0, rng)
    with pytest.raises(ValueError, match="s must be smaller than t"):
        cu.ddim_step(np.zeros(D), np.zeros(D), 0.5, 0.5, cu.VE())
    with pytest.raises(ValueError, match="s must be >= 0"):
        cu.ddim_step(np.zeros(D), np.zeros(D), 0.5, -0.1, cu.VE())
    with pytest.raises(ValueError, match="t must be <= 1 for the VP schedule"):
        cu.ddim_step(np.zeros(D), np.zeros(D), 1.1, 0.5, cu.VP())
    with pytest.raises(ValueError, match="t must be a real number"):
        cu.ddim_step(np.zeros(D), np.zeros(D), [0.5, 0.6], 0.1, cu.VE())


def test_check_spectrum():
    from course_utils._validation import check_spectrum

    np.testing.assert_array_equal(check_spectrum([0.0, 2.0]), [0.0, 2.0])
    with pytest.raises(ValueError, match="eigenvalues must be >= 0"):
        check_spectrum([1.0, -0.5])
    with pytest.raises(ValueError, match="lam must have at least one entry"):
        check_spectrum([], "lam")
    with pytest.raises(ValueError, match="eigenvalues must be 1-D"):
        check_spectrum(np.ones((2, 2)))
    # the chapters' eigenvalue arguments all go through it
    from course_utils.pca import linear_mmse
    from course_utils.sampler_analysis import ve_factor_limit

    for call in (lambda: linear_mmse([-1.0], 1.0), lambda: cu.ve_start_kl([-1.0], 1.0),
                 lambda: cu.eigen_contraction_factors(-1.0, 1.0),
                 lambda: ve_factor_limit(np.array([[1.0, -1.0]]), 1.0)):
        with pytest.raises(ValueError, match="must be >= 0 \\(a covariance spectrum\\)"):
            call()
