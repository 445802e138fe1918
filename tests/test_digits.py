"""Tests for course_utils.digits (the 8x8 digits thread, chapters 7 and 8)."""

import numpy as np
import pytest

from course_utils.digits import (
    DigitsSplit,
    digit_classifier,
    fit_class_mixture,
    fit_gaussian,
    gaussian_factors,
    load_digits_split,
    show_digits,
)
from course_utils.mixtures import GaussianMixture


@pytest.fixture(scope="module")
def split():
    return load_digits_split()


def test_split_sizes_and_types(split):
    assert isinstance(split, DigitsSplit)
    assert split.x_train.shape == (1257, 64)
    assert split.x_test.shape == (540, 64)
    assert split.y_train.shape == (1257,) and split.y_test.shape == (540,)
    assert split.mean_image.shape == (64,)
    assert not split.x_train.flags.writeable
    assert "1257" in repr(split)


def test_stratified(split):
    tr = np.bincount(split.y_train, minlength=10) / split.y_train.size
    te = np.bincount(split.y_test, minlength=10) / split.y_test.size
    # stratification: class proportions agree to within one image per class
    assert np.abs(tr - te).max() < 2.0 / split.y_test.size


def test_no_duplicates_between_or_within(split):
    tr = split.x_train + split.mean_image
    te = split.x_test + split.mean_image
    d2 = ((te[:, None, :] - tr[None]) ** 2).sum(axis=2)
    assert d2.min() > 0
    assert np.unique(np.round(tr * 16).astype(int), axis=0).shape[0] == tr.shape[0]


def test_scaling_and_centring(split):
    raw_tr = split.x_train + split.mean_image
    raw_te = split.x_test + split.mean_image
    assert np.allclose(split.x_train.mean(axis=0), 0.0, atol=1e-12)
    for raw in (raw_tr, raw_te):
        assert raw.min() >= -1e-12 and raw.max() <= 1 + 1e-12
        assert np.allclose(raw * 16, np.round(raw * 16), atol=1e-9)  # k / 16 exactly
    # the mean of the raw training images, not of all images
    assert abs(split.mean_image.max() - raw_tr.mean(axis=0).max()) < 1e-12


def test_other_seed_changes_split():
    a, b = load_digits_split(seed=0), load_digits_split(seed=1)
    assert not np.array_equal(a.y_train, b.y_train)
    assert load_digits_split(test_size=0.5).x_test.shape[0] == 899


def test_split_validation():
    with pytest.raises(ValueError, match="test_size"):
        load_digits_split(test_size=1.5)
    with pytest.raises(ValueError, match="seed"):
        load_digits_split(seed=-1)


def test_class_mixture_weights_means_floors(split):
    gmm = fit_class_mixture(split.x_train, split.y_train, rank=8)
    assert isinstance(gmm, GaussianMixture) and gmm.K == 10 and gmm.D == 64
    freq = np.bincount(split.y_train) / split.y_train.size
    assert np.allclose(gmm.weights, freq, atol=1e-14)
    for k in range(10):
        assert np.allclose(gmm.means[k], split.x_train[split.y_train == k].mean(axis=0))
    floors = []
    for _mu, basis, var in gmm.components():
        assert basis.shape == (64, 64)  # top-8 part plus the floor: a full-rank covariance
        assert np.all(var[8:] == var[-1])
        assert np.all(var[:8] >= var[8])
        floors.append(var[-1])
    floors = np.array(floors)
    assert floors.min() > 0.006 and floors.max() < 0.015


def test_floor_is_mean_of_discarded_eigenvalues():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 6)) * np.array([3.0, 2.0, 1.0, 0.5, 0.4, 0.3])
    mu, v, var, s2 = gaussian_factors(x, rank=2)
    c = np.cov(x.T, bias=True)
    lam, vec = np.linalg.eigh(c)
    assert abs(s2 - lam[:4].mean()) < 1e-12
    assert np.allclose(var[:2], lam[::-1][:2])
    # the covariance keeps the top-2 part and puts s2 on the complement
    top = vec[:, -2:]
    expected = (top * lam[-2:]) @ top.T + s2 * (np.eye(6) - top @ top.T)
    assert np.allclose((v * var) @ v.T, expected, atol=1e-12)
    # full rank: the covariance itself
    _, v2, var2, s0 = gaussian_factors(x, rank=None)
    assert s0 == 0.0 and np.allclose((v2 * var2) @ v2.T, c, atol=1e-12)
    # no floor: rank-2
    _, v3, var3, _ = gaussian_factors(x, rank=2, floor=False)
    assert v3.shape == (6, 2)


def test_no_floor_and_full_variants(split):
    lr = fit_class_mixture(split.x_train, split.y_train, rank=8, floor=False)
    assert all(b.shape == (64, 8) for _, b, _ in lr.components())
    full = fit_class_mixture(split.x_train, split.y_train, rank=None)
    k0 = split.x_train[split.y_train == 0]
    c0 = np.cov(k0.T, bias=True)
    assert np.allclose(full.covs[0], c0, atol=1e-10)
    # zero-variance pixels (always blank in class 0) are dropped from the basis
    assert full.components()[0][1].shape[1] < 64


def test_single_gaussian(split):
    g = fit_gaussian(split.x_train)
    assert g.K == 1
    assert np.allclose(g.means[0], 0.0, atol=1e-12)
    assert np.allclose(g.covs[0], np.cov(split.x_train.T, bias=True), atol=1e-10)
    tot = np.trace(np.cov(split.x_train.T, bias=True))
    assert 4.5 < tot < 4.9


def test_fit_validation():
    x = np.random.default_rng(1).standard_normal((10, 4))
    with pytest.raises(ValueError, match="labels"):
        fit_class_mixture(x, np.zeros(9, int))
    with pytest.raises(ValueError, match="integers"):
        fit_class_mixture(x, np.zeros(10))
    with pytest.raises(ValueError, match="at least 2"):
        fit_class_mixture(x, np.r_[np.zeros(9, int), 1])
    with pytest.raises(ValueError, match="rank"):
        gaussian_factors(x, rank=5)
    with pytest.raises(ValueError, match="floor"):
        gaussian_factors(x, rank=2, floor="yes")
    with pytest.raises(ValueError, match="no variance"):
        gaussian_factors(np.ones((5, 3)))


def test_classifier_accuracy(split):
    clf = digit_classifier(split.x_train, split.y_train)
    acc = clf.score(split.x_test, split.y_test)
    assert 0.955 <= acc <= 0.985


def test_show_digits(split):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axs = plt.subplots(1, 3)
    ims = show_digits(axs, split.x_train[:3], split.mean_image, titles=["a", "b", "c"])
    assert len(ims) == 3
    arr = ims[0].get_array()
    assert arr.shape == (8, 8)
    assert np.allclose(np.asarray(arr).ravel(), split.x_train[0] + split.mean_image)
    with pytest.raises(ValueError, match="one axis per image"):
        show_digits(axs, split.x_train[:2])
    with pytest.raises(ValueError, match="64 columns"):
        show_digits(axs[0], np.zeros(10))
    plt.close(fig)


def test_held_out_denoising_ordering(split):
    """Chapter 7: at t = 0.2 the class mixture beats the single Gaussian, which beats the
    memorizer, on held-out digits; the memorizer is near 0 on its own training digits."""
    from course_utils.memorization import denoising_mse, posterior_weights
    from course_utils.schedules import VP

    vp = VP()
    g = np.random.default_rng(0).standard_normal(split.x_test.shape)
    mix = fit_class_mixture(split.x_train, split.y_train, rank=8).denoiser(vp)
    single = fit_gaussian(split.x_train).denoiser(vp)
    xtr = split.x_train

    def mem(x, t):
        return posterior_weights(xtr, x, t, vp) @ xtr

    m = [denoising_mse(f, split.x_test, 0.2, vp, g) for f in (mix, single, mem)]
    assert m[0] < m[1] < m[2]
    assert 0.0120 < m[0] < 0.0140 and 0.0145 < m[1] < 0.0155
    g_tr = np.random.default_rng(1).standard_normal(xtr.shape)
    assert denoising_mse(mem, xtr, 0.1, vp, g_tr) < 1e-6
