"""Tests for course_utils.memorization (chapter 7)."""

import numpy as np
import pytest

import course_utils.memorization as M
from course_utils.memorization import (
    bias_variance_terms,
    collapse_time_prediction,
    collapse_times,
    denoising_mse,
    disjoint_halves_discrepancy,
    false_positive_floor,
    memorization_ratio,
    nearest_neighbours,
    posterior_weights,
)
from course_utils.sampler_analysis import memorizing_denoiser
from course_utils.sampling import sample
from course_utils.schedules import VE, VP


@pytest.fixture
def train():
    return np.random.default_rng(0).standard_normal((20, 8))


# -- the memorizing denoiser -------------------------------------------------------------------
@pytest.mark.parametrize("schedule, t", [(VP(), 0.4), (VP(), 0.05), (VE(), 0.7), (VE(), 3.0)])
def test_weights_match_library_memorizer(train, schedule, t):
    x = np.random.default_rng(1).standard_normal((30, 8))
    w = posterior_weights(train, x, t, schedule)
    assert w.shape == (30, 20)
    assert np.allclose(w.sum(axis=1), 1.0, atol=1e-12) and np.all(w >= 0)
    assert np.allclose(w @ train, memorizing_denoiser(train, schedule)(x, t), atol=1e-12)


def test_weights_limits(train):
    x = np.random.default_rng(2).standard_normal((5, 8))
    # VP t = 1: alpha = 0, uniform weights, the training mean
    assert np.allclose(posterior_weights(train, x, 1.0, VP()) @ train, train.mean(axis=0),
                       atol=1e-14)
    # small t: one-hot on the nearest scaled training point, no NaN despite logits ~ -1e5
    near = float(VP().alpha(1e-3)) * train[3] + 1e-3 * x[0]
    w = posterior_weights(train, near, 1e-3, VP())
    assert np.all(np.isfinite(w)) and w[3] == 1.0
    w_far = posterior_weights(train, x, 0.01, VP())
    assert np.all(np.isfinite(w_far)) and np.allclose(w_far.max(axis=1), 1.0)
    # VE large t: tends to the mean
    assert np.allclose(posterior_weights(train, x, 1e4, VE()) @ train, train.mean(axis=0),
                       atol=1e-6)


def test_weights_validation(train):
    with pytest.raises(ValueError, match="sigma_t > 0"):
        posterior_weights(train, train[:2], 0.0, VP())
    with pytest.raises(ValueError, match="columns"):
        posterior_weights(train, np.zeros((2, 3)), 0.5, VP())
    with pytest.raises(ValueError, match="schedule"):
        posterior_weights(train, train[:2], 0.5, "VP")


@pytest.mark.parametrize("schedule, t", [(VP(), 0.4), (VP(), 0.9), (VE(), 1.5)])
def test_bias_variance_identity(train, schedule, t):
    rng = np.random.default_rng(3)
    x_t = float(schedule.alpha(t)) * train[rng.integers(0, 20, 200)] + t * rng.standard_normal(
        (200, 8))
    f = np.tanh(x_t) + 0.3
    lhs, var, bias = bias_variance_terms(train, x_t, f, t, schedule)
    assert np.abs(lhs - (var + bias)).max() < 1e-10 * lhs.max()
    assert np.all(bias >= 0) and np.all(var >= -1e-12)
    # the memorizer's own output has zero bias
    xbar = posterior_weights(train, x_t, t, schedule) @ train
    _, _, b0 = bias_variance_terms(train, x_t, xbar, t, schedule)
    assert b0.max() < 1e-20
    # one point in, scalars out; lhs is the weighted mean of squared distances (direct form)
    l1, v1, b1 = bias_variance_terms(train, x_t[0], f[0], t, schedule)
    w0 = posterior_weights(train, x_t[0], t, schedule)
    assert np.isclose(l1, (w0 * ((train - f[0]) ** 2).sum(axis=1)).sum(), rtol=1e-12)
    assert np.isclose(l1, v1 + b1, rtol=1e-12)


def test_bias_variance_validation(train):
    with pytest.raises(ValueError, match="f must have the shape"):
        bias_variance_terms(train, train[:3], train[:2], 0.5, VP())


def test_memorizer_beats_everything_on_its_own_loss(train):
    """Averaged over x_t drawn from the empirical law, L_N(f) - L_N(xbar*) = E||f - xbar*||^2."""
    rng = np.random.default_rng(4)
    idx = rng.integers(0, 20, size=4000)
    g = rng.standard_normal((4000, 8))
    t = 0.5
    x_t = float(VP().alpha(t)) * train[idx] + t * g
    xbar = posterior_weights(train, x_t, t, VP()) @ train
    f = 0.9 * xbar + 0.1  # a perturbation of the memorizer
    loss = lambda out: ((train[idx] - out) ** 2).sum(axis=1)  # noqa: E731
    diff = loss(f) - loss(xbar)
    excess = ((f - xbar) ** 2).sum(axis=1)
    assert diff.mean() > 0
    assert abs(diff.mean() - excess.mean()) < 5 * diff.std() / np.sqrt(4000)


def test_denoising_mse():
    x = np.random.default_rng(5).standard_normal((50, 4))
    g = np.random.default_rng(6).standard_normal((50, 4))
    t = 0.3
    a = float(VP().alpha(t))
    ident = lambda y, s: y / a  # noqa: E731
    expected = np.mean((t * g / a) ** 2)
    assert np.isclose(denoising_mse(ident, x, t, VP(), g), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="shape of x"):
        denoising_mse(ident, x, t, VP(), g[:10])
    with pytest.raises(ValueError, match="denoiser returned shape"):
        denoising_mse(lambda y, s: y[:3], x, t, VP(), g)
    with pytest.raises(ValueError, match="callable"):
        denoising_mse(None, x, t, VP(), g)


# -- nearest neighbours and the ratio test ----------------------------------------------------
def _brute(samples, train):
    d = np.sqrt(((samples[:, None, :] - train[None]) ** 2).sum(axis=2))
    order = np.argsort(d, axis=1, kind="stable")
    return order[:, 0], np.take_along_axis(d, order[:, :2], axis=1)


@pytest.mark.parametrize("block", [None, 7])
def test_nearest_neighbours_match_brute_force(monkeypatch, block):
    if block is not None:
        monkeypatch.setattr(M, "_BLOCK_ELEMENTS", block * 300)  # several blocks
    rng = np.random.default_rng(7)
    train = rng.standard_normal((300, 5))
    samples = np.concatenate([rng.standard_normal((40, 5)), train[:5]])
    idx, d1, d2 = nearest_neighbours(samples, train)
    bi, bd = _brute(samples, train)
    assert np.array_equal(idx, bi)
    assert np.allclose(d1, bd[:, 0], rtol=1e-12, atol=0) and np.allclose(d2, bd[:, 1], rtol=1e-12)
    assert np.all(d1[-5:] == 0.0)  # samples equal to training points: exactly 0


def test_nearest_neighbours_large_offset_exact():
    # far from the origin the GEMM form loses digits; the direct re-measure does not
    rng = np.random.default_rng(8)
    train = 1e4 + rng.standard_normal((50, 3))
    idx, d1, _ = nearest_neighbours(train[:10].copy(), train)
    assert np.array_equal(idx, np.arange(10)) and np.all(d1 == 0.0)


def test_ratio_exact_cases():
    train = np.array([[0.0], [3.0], [10.0]])
    # a training point: d1 = 0 < d2 / 3, flagged
    assert memorization_ratio(np.array([[3.0]]), train) == 1.0
    # equidistant from two training points: never flagged, even at threshold 1
    assert memorization_ratio(np.array([[1.5]]), train, threshold=1.0) == 0.0
    # d1 / d2 equal to the threshold: not flagged (strict inequality)
    assert memorization_ratio(np.array([[1.0]]), train, threshold=0.5) == 0.0
    assert memorization_ratio(np.array([[0.99]]), train, threshold=0.5) == 1.0
    # duplicated training points: d1 = d2 = 0, not flagged
    dup = np.array([[0.0], [0.0], [5.0]])
    assert memorization_ratio(np.array([[0.0]]), dup) == 0.0
    ratio, flags = memorization_ratio(np.array([[3.0], [1.5], [9.9]]), train, return_flags=True)
    assert flags.tolist() == [True, False, True] and np.isclose(ratio, 2 / 3)


def test_ratio_validation():
    tr = np.zeros((3, 2)) + np.arange(3)[:, None]
    with pytest.raises(ValueError, match="at least 2"):
        memorization_ratio(np.zeros((1, 2)), tr[:1])
    with pytest.raises(ValueError, match="same number of columns"):
        memorization_ratio(np.zeros((1, 3)), tr)
    with pytest.raises(ValueError, match="2-D"):
        memorization_ratio(np.zeros(2), tr)
    with pytest.raises(ValueError, match="threshold"):
        memorization_ratio(tr, tr, threshold=0.0)
    with pytest.raises(ValueError, match="threshold"):
        memorization_ratio(tr, tr, threshold=1.5)
    with pytest.raises(ValueError, match="finite"):
        memorization_ratio(np.full((1, 2), np.nan), tr)
    with pytest.raises(ValueError, match="at least one"):
        memorization_ratio(np.zeros((0, 2)), tr)


@pytest.mark.parametrize("p", [1, 2, 3])
def test_false_positive_floor_monte_carlo(p):
    rng = np.random.default_rng(10 + p)
    ref, fresh = rng.standard_normal((3000, p)), rng.standard_normal((3000, p))
    floor = false_positive_floor(p)
    assert floor == pytest.approx(3.0**-p)
    se = np.sqrt(floor * (1 - floor) / 3000)
    assert abs(memorization_ratio(fresh, ref) - floor) < 4 * se


def test_floor_validation():
    assert false_positive_floor(2, threshold=0.5) == 0.25
    with pytest.raises(ValueError, match="p"):
        false_positive_floor(0)


def test_memorizer_samples_are_copies_and_true_samples_are_not():
    """MemRatio >= 0.95 for a memorizer's samples, <= 0.05 for fresh samples (n = 200)."""
    rng = np.random.default_rng(12)
    train = rng.standard_normal((100, 8))
    x0 = rng.standard_normal((200, 8))
    mem = lambda x, t: posterior_weights(train, x, t, VP()) @ train  # noqa: E731
    out = sample(mem, VP(), x0, L=50)
    assert memorization_ratio(out, train) >= 0.95
    assert memorization_ratio(rng.standard_normal((200, 8)), train) <= 0.05


# -- disjoint halves and the collapse time ----------------------------------------------------
def test_disjoint_halves_discrepancy():
    a = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 2.0]])
    b = a + np.array([[0.0, 5.0], [0.5, 0.0], [0.0, 0.0]])
    # relative errors 1, 0.5, 0: median 0.5
    assert disjoint_halves_discrepancy(a, b) == pytest.approx(0.5)
    assert disjoint_halves_discrepancy(a, a) == 0.0
    with pytest.raises(ValueError, match="zero row"):
        disjoint_halves_discrepancy(np.zeros((1, 2)), np.ones((1, 2)))
    with pytest.raises(ValueError, match="shape of x_a"):
        disjoint_halves_discrepancy(a, b[:2])


def test_collapse_time_prediction():
    assert collapse_time_prediction(100, 2) == pytest.approx(0.1, rel=1e-12)
    assert collapse_time_prediction(1000, 3) == pytest.approx(0.1, rel=1e-12)
    # general v: sigma^2 / alpha^2 = v / (N^(2/d) - 1) with VP alpha^2 = 1 - t^2
    tc = collapse_time_prediction(50, 4, v=2.5)
    assert tc**2 / (1 - tc**2) == pytest.approx(2.5 / (50 ** (2 / 4) - 1), rel=1e-12)
    with pytest.raises(ValueError, match="N"):
        collapse_time_prediction(1, 2)
    with pytest.raises(ValueError, match="d"):
        collapse_time_prediction(10, 0)


def test_collapse_times_against_prediction():
    """Median collapse time / N^(-1/d) in [0.95, 1.5] (asymptotic estimate, early at small d)."""
    for d, N in ((8, 100), (2, 1000)):
        pts = np.random.default_rng(d + N).standard_normal((N, d))
        starts = np.random.default_rng(1).standard_normal((100, d))
        tc = collapse_times(pts, starts, VP(), L=200)
        assert tc.shape == (100,) and np.all((tc >= 0) & (tc <= 1))
        ratio = np.median(tc) / collapse_time_prediction(N, d)
        assert 0.95 <= ratio <= 1.5


def test_collapse_times_validation():
    with pytest.raises(ValueError, match="at least 2"):
        collapse_times(np.zeros((1, 2)), np.zeros((3, 2)), VP(), 10)
    with pytest.raises(ValueError, match="level"):
        collapse_times(np.eye(2), np.zeros((3, 2)), VP(), 10, level=0)


# -- the chapter's experiments in small ---------------------------------------------------------
def _subspace_mixture(D, K, P, seed):
    from course_utils.pca import random_orthonormal

    q = random_orthonormal(D, K * P, np.random.default_rng(seed))
    return [q[:, k * P:(k + 1) * P] for k in range(K)]


def test_memorizer_beats_truth_on_train_loses_on_test():
    """Chapter 7, section 2: K = 3 orthogonal subspaces, D = 32, P = 3, noiseless, N = 50."""
    from course_utils import GaussianMixture, attention_denoiser

    us = _subspace_mixture(32, 3, 3, 1)
    law = GaussianMixture.low_rank(us)
    rng = np.random.default_rng(2)
    train, test = law.sample(50, rng), law.sample(500, rng)
    g_tr, g_te = rng.standard_normal(train.shape), rng.standard_normal(test.shape)
    mem = lambda x, t: posterior_weights(train, x, t, VP()) @ train  # noqa: E731
    true = lambda x, t: attention_denoiser(us, x, t, VP())  # noqa: E731
    for t in (0.1, 0.3):
        assert denoising_mse(mem, train, t, VP(), g_tr) < denoising_mse(true, train, t, VP(), g_tr)
        assert denoising_mse(mem, test, t, VP(), g_te) > 2 * denoising_mse(true, test, t, VP(),
                                                                           g_te)


def test_disjoint_halves_pca_agrees_memorizer_does_not():
    """Section 8: at N = 64 per half PCA agrees (< 0.1), the memorizer does not (> 0.4)."""
    from course_utils.pca import pca, random_orthonormal

    U = random_orthonormal(32, 4, np.random.default_rng(11))
    rng = np.random.default_rng(264)
    data = rng.standard_normal((128, 4)) @ U.T + 0.05 * rng.standard_normal((128, 32))
    x0 = np.random.default_rng(12).standard_normal((60, 32))
    outs = {"mem": [], "pca": []}
    for half in (data[:64], data[64:]):
        V = pca(half, 4)
        outs["mem"].append(sample(lambda x, t, h=half: posterior_weights(h, x, t, VP()) @ h,
                                  VP(), x0, L=30))
        outs["pca"].append(sample(lambda x, t, V=V: float(VP().alpha(t)) * (x @ V) @ V.T,
                                  VP(), x0, L=30))
    assert disjoint_halves_discrepancy(*outs["pca"]) < 0.1
    assert disjoint_halves_discrepancy(*outs["mem"]) > 0.4


def test_excess_training_loss_of_the_true_denoiser():
    """Going further (Buchanan et al.): Delta_gen(t) ~ D s^2 / (1 + SNR_t s^2) with
    SNR = alpha^2 / sigma^2, K well-separated N(mu_k, I_D); rtol 0.05 for t <= 0.5 at D = 30."""
    from course_utils import GaussianMixture

    rng = np.random.default_rng(1)
    D, K = 30, 4
    mus = rng.standard_normal((K, D))
    mus *= np.sqrt(D) / np.linalg.norm(mus, axis=1, keepdims=True)
    law = GaussianMixture(np.full(K, 1 / K), mus, np.stack([np.eye(D)] * K))
    train = law.sample(100, rng)
    rep = np.repeat(train, 30, axis=0)
    mem = lambda x, t: posterior_weights(train, x, t, VP()) @ train  # noqa: E731
    for t in (0.1, 0.3, 0.5):
        g = rng.standard_normal(rep.shape)
        excess = D * (denoising_mse(law.denoiser(VP()), rep, t, VP(), g)
                      - denoising_mse(mem, rep, t, VP(), g))
        assert excess == pytest.approx(D * t * t, rel=0.05)  # 1/(1 + SNR) = t^2 in VP
    # a memorizer of M < N of the points: excess D (1 - M/N) by the formula, which is low at
    # D = 30; test only its ordering in M and that the formula underestimates
    g = rng.standard_normal(rep.shape)
    full = denoising_mse(mem, rep, 0.3, VP(), g)
    pmem = [D * (denoising_mse(lambda x, t, m=M: posterior_weights(train[:m], x, t, VP())
                               @ train[:m], rep, 0.3, VP(), g) - full) for M in (25, 50, 75)]
    assert pmem[0] > pmem[1] > pmem[2] > 0
    assert all(p > D * (1 - M / 100) for p, M in zip(pmem, (25, 50, 75), strict=True))
