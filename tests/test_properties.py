"""Property-based invariants of the Bayes denoiser (hypothesis, derandomized, few examples).

Each example draws a small mixture from a seed, so hypothesis explores shapes, noise levels
and random instances. Tolerances: every quantity is computed to ~1e-15 relative in the
logits and means of this size (D, K <= 4, t in [0.05, 20], data of scale ~3), and the
transformed problem (rotation, permutation, translation) changes only the rounding, so
1e-9 relative to the scale of the inputs is a wide, safe margin.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import course_utils as cu

FAST = settings(max_examples=20, derandomize=True, deadline=None)
TOL = 1e-9

seeds = st.integers(0, 2**32 - 1)
dims = st.integers(1, 4)
counts = st.integers(1, 4)
noise = st.floats(0.05, 20.0)
schedules = st.sampled_from([cu.VE(), cu.VP()])


def vp_safe(schedule, t):
    return min(t, 0.99) if schedule == cu.VP() else t


def full_mixture(rng, K, D):
    a = rng.standard_normal((K, D, D))
    covs = a @ a.transpose(0, 2, 1) / D + 0.05 * np.eye(D)
    w = rng.uniform(0.2, 1.0, K)
    return cu.GaussianMixture(w / w.sum(), 3 * rng.standard_normal((K, D)), covs)


def low_rank_mixture(rng, K, D):
    ranks = rng.integers(1, D + 1, K)
    bases = [np.linalg.qr(rng.standard_normal((D, p)))[0] for p in ranks]
    w = rng.uniform(0.2, 1.0, K)
    return cu.GaussianMixture.low_rank(bases, weights=w / w.sum(),
                                       means=rng.standard_normal((K, D)))


def points(rng, gmm, t, schedule, n=6):
    a = float(schedule.alpha(t))
    return a * gmm.sample(n, rng) + t * rng.standard_normal((n, gmm.D))


@FAST
@given(seed=seeds, K=counts, D=dims, t=noise, schedule=schedules, low=st.booleans())
def test_weights_are_probabilities(seed, K, D, t, schedule, low):
    rng = np.random.default_rng(seed)
    t = vp_safe(schedule, t)
    g = (low_rank_mixture if low else full_mixture)(rng, K, D)
    w = cu.responsibilities(g, points(rng, g, t, schedule), t, schedule)
    assert np.all(w >= 0) and np.all(w <= 1)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=K * np.finfo(float).eps)


@FAST
@given(seed=seeds, K=st.integers(2, 4), D=dims, t=noise, schedule=schedules)
def test_permuting_components(seed, K, D, t, schedule):
    """Reordering the components leaves xhat unchanged and permutes the weights."""
    rng = np.random.default_rng(seed)
    t = vp_safe(schedule, t)
    g = full_mixture(rng, K, D)
    perm = rng.permutation(K)
    gp = cu.GaussianMixture(g.weights[perm], g.means[perm], g.covs[perm])
    x = points(rng, g, t, schedule)
    scale = 1 + np.abs(x).max() + np.abs(g.means).max()
    np.testing.assert_allclose(cu.posterior_mean(gp, x, t, schedule),
                               cu.posterior_mean(g, x, t, schedule), atol=TOL * scale)
    np.testing.assert_allclose(cu.responsibilities(gp, x, t, schedule),
                               cu.responsibilities(g, x, t, schedule)[:, perm], atol=TOL)


@FAST
@given(seed=seeds, K=counts, D=st.integers(2, 4), t=noise, schedule=schedules,
       low=st.booleans())
def test_orthogonal_equivariance(seed, K, D, t, schedule, low):
    """Rotating means, covariances (bases) and x by Q rotates xhat by Q; weights unchanged."""
    rng = np.random.default_rng(seed)
    t = vp_safe(schedule, t)
    q = np.linalg.qr(rng.standard_normal((D, D)))[0]
    if low:
        g = low_rank_mixture(rng, K, D)
        gq = cu.GaussianMixture.low_rank([q @ b for _, b, _ in g.components()],
                                         weights=g.weights, means=g.means @ q.T)
    else:
        g = full_mixture(rng, K, D)
        gq = cu.GaussianMixture(g.weights, g.means @ q.T, q @ g.covs @ q.T)
    x = points(rng, g, t, schedule)
    scale = 1 + np.abs(x).max() + np.abs(g.means).max()
    np.testing.assert_allclose(cu.posterior_mean(gq, x @ q.T, t, schedule),
                               cu.posterior_mean(g, x, t, schedule) @ q.T, atol=TOL * scale)
    np.testing.assert_allclose(cu.responsibilities(gq, x @ q.T, t, schedule),
                               cu.responsibilities(g, x, t, schedule), atol=TOL)


@FAST
@given(seed=seeds, K=counts, D=dims, t=noise, low=st.booleans(),
       shift=st.floats(-50, 50))
def test_translation_equivariance_ve(seed, K, D, t, low, shift):
    """VE: shifting the data by c (means + c) and x_t by c shifts xhat by c."""
    rng = np.random.default_rng(seed)
    g = (low_rank_mixture if low else full_mixture)(rng, K, D)
    c = shift * rng.standard_normal(D)
    if low:
        gc = cu.GaussianMixture.low_rank([b for _, b, _ in g.components()],
                                         weights=g.weights, means=g.means + c)
    else:
        gc = cu.GaussianMixture(g.weights, g.means + c, g.covs)
    x = points(rng, g, t, cu.VE())
    scale = 1 + np.abs(x).max() + np.abs(g.means).max() + np.abs(c).max()
    np.testing.assert_allclose(cu.posterior_mean(gc, x + c, t), cu.posterior_mean(g, x, t) + c,
                               atol=TOL * scale)


@FAST
@given(seed=seeds, K=counts, D=dims)
def test_limit_t_to_infinity(seed, K, D):
    """t -> inf (VE): weights -> pi and xhat -> E[x]. At t = 1e6 with x_t = x + t g the
    deviations are O(|x|/t + lambda/t) = O(1e-5): assert 1e-3 relative to the data scale."""
    rng = np.random.default_rng(seed)
    g = full_mixture(rng, K, D)
    t = 1e6
    x = points(rng, g, t, cu.VE())
    scale = 1 + np.abs(g.means).max() + np.abs(g.covs).max()
    np.testing.assert_allclose(cu.responsibilities(g, x, t), np.broadcast_to(g.weights, (6, K)),
                               atol=1e-3)
    np.testing.assert_allclose(cu.posterior_mean(g, x, t),
                               np.broadcast_to(g.weights @ g.means, x.shape), atol=1e-3 * scale)


@FAST
@given(seed=seeds, K=counts, D=dims)
def test_limit_t_to_zero_full(seed, K, D):
    """t -> 0 with nonsingular covariances (VE): xhat(t, x) -> x, with
    |xhat - x| = O(t^2 |Sigma^{-1}| |x - mu|) ~ 1e-12 x 20 x 10 at t = 1e-6."""
    rng = np.random.default_rng(seed)
    g = full_mixture(rng, K, D)
    x = rng.standard_normal((6, D)) * 3
    np.testing.assert_allclose(cu.posterior_mean(g, x, 1e-6), x, atol=1e-8)
    np.testing.assert_array_equal(cu.posterior_mean(g, x, 0.0), x)


@FAST
@given(seed=seeds, K=st.integers(2, 4), D=st.integers(2, 5))
def test_limit_t_to_zero_low_rank(seed, K, D):
    """t -> 0+ for zero-mean equal-weight subspaces: one-hot at the nearest subspace and
    xhat -> its projection (relative error t^2/(1+t^2) = 1e-8 at t = 1e-4); assume a clear
    nearest subspace (residual gap > 1e-3, so the logit gap > 1e-3/(2 t^2) = 5e4)."""
    rng = np.random.default_rng(seed)
    ranks = rng.integers(1, D, K)
    bases = [np.linalg.qr(rng.standard_normal((D, p)))[0] for p in ranks]
    g = cu.GaussianMixture.low_rank(bases)
    x = rng.standard_normal(D)
    resid = np.array([np.sum((x - u @ (u.T @ x)) ** 2) for u in bases])
    order = np.sort(resid)
    assume(order[1] - order[0] > 1e-3)
    k = resid.argmin()
    t = 1e-4
    w = cu.responsibilities(g, x, t)
    np.testing.assert_allclose(w, np.eye(K)[k], atol=1e-12)
    proj = bases[k] @ (bases[k].T @ x)
    np.testing.assert_allclose(cu.posterior_mean(g, x, t), proj, atol=2 * t * t * np.abs(x).max())
