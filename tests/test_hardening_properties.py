"""Mixtures that cannot go stale, and a property sweep over inputs (issue 9).

* A GaussianMixture keeps private, read-only copies of its parameters: changing them in place
  (or rebinding them) raises, and changing the arrays it was built from changes nothing.
* Hypothesis sweeps random valid mixtures (full and low rank), shapes, dtypes (float32,
  float64, integers), layouts (Fortran order, strided views, read-only) and checks the
  denoiser, weights, score and log density against a plain reference (one dense solve per
  component, no eigendecomposition, no Woodbury form), and that no input is modified.

Tolerance of the sweep: inputs are O(1)-O(10), t in [0.1, 10], covariances with eigenvalues
in [0.05, ~10]; the noised covariances then have condition numbers below ~1e4 and both
sides lose at most ~cond * eps ~ 1e-12 relative. 1e-9 relative to the scale of each
quantity is a margin of 1000 over that, and far below any modelling error (a dropped
factor, a wrong sign or a stale factor moves results by O(1)).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import course_utils as cu

TOL = 1e-9


# -- read-only parameters -----------------------------------------------------------------------
@pytest.fixture(params=["full", "low"])
def mixture(request):
    rng = np.random.default_rng(0)
    if request.param == "full":
        a = rng.standard_normal((2, 3, 3))
        return cu.GaussianMixture([0.4, 0.6], rng.standard_normal((2, 3)),
                                  a @ a.transpose(0, 2, 1) + np.eye(3))
    bases = [np.linalg.qr(rng.standard_normal((3, p)))[0] for p in (1, 2)]
    return cu.GaussianMixture.low_rank(bases, weights=[0.4, 0.6],
                                       means=rng.standard_normal((2, 3)), variances=[[2.0],
                                                                                     [1.0, 3.0]])


def test_parameters_cannot_be_changed_in_place(mixture):
    g = mixture
    for arr in [g.weights, g.means, g.ranks] + [a for comp in g.components() for a in comp]:
        assert not arr.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        g.weights[0] = 0.9
    with pytest.raises(ValueError, match="read-only"):
        g.means[0, 0] += 12.0
    with pytest.raises(ValueError, match="read-only"):
        g.components()[0][1][0, 0] = 1.0  # the factor (basis) of a component
    with pytest.raises(ValueError, match="read-only"):
        g.components()[1][2][0] = 5.0  # its eigenvalues
    for name in ("weights", "means", "ranks", "K", "D"):
        with pytest.raises(AttributeError):
            setattr(g, name, getattr(g, name))
    # the arrays are views of read-only private copies: they cannot be unlocked either
    for arr in (g.weights, g.means, g.components()[0][1]):
        with pytest.raises(ValueError, match="cannot set WRITEABLE flag"):
            arr.flags.writeable = True


def test_mixture_does_not_share_memory_with_its_inputs():
    w = np.array([0.4, 0.6])
    mu = np.zeros((2, 2))
    covs = np.stack([np.eye(2), 2 * np.eye(2)])
    g = cu.GaussianMixture(w, mu, covs)
    x = np.array([[1.0, -1.0], [3.0, 0.5]])
    before = cu.posterior_mean(g, x, 0.7), cu.responsibilities(g, x, 0.7)
    w[:] = [0.9, 0.1]
    mu += 12.0
    covs *= 5.0
    np.testing.assert_array_equal(cu.posterior_mean(g, x, 0.7), before[0])
    np.testing.assert_array_equal(cu.responsibilities(g, x, 0.7), before[1])
    np.testing.assert_array_equal(g.weights, [0.4, 0.6])
    # covs is rebuilt on each access: writing to the copy changes nothing either
    c = g.covs
    c[:] = 0.0
    np.testing.assert_allclose(g.covs, np.stack([np.eye(2), 2 * np.eye(2)]), atol=1e-15)


def test_sample_and_posterior_use_the_same_parameters(mixture):
    """The audit's stale case: a fresh mixture from the public parameters agrees exactly."""
    g = mixture
    fresh = cu.GaussianMixture(g.weights, g.means, g.covs)
    x = np.random.default_rng(1).standard_normal((5, 3))
    np.testing.assert_allclose(cu.posterior_mean(fresh, x, 0.5), cu.posterior_mean(g, x, 0.5),
                               rtol=1e-12, atol=1e-12)
    a = g.sample(50, np.random.default_rng(2), return_labels=True)
    b = g.sample(50, np.random.default_rng(2), return_labels=True)
    np.testing.assert_array_equal(a[1], b[1])


# -- the property sweep ---------------------------------------------------------------------------
def plain_reference(weights, means, covs, x, t, schedule):
    """Weights, posterior mean, score and log density by one dense solve per component."""
    a = float(schedule.alpha(t))
    s2 = float(schedule.sigma(t)) ** 2
    n, d = x.shape
    logits, cmeans, cscores = [], [], []
    for pi, mu, sig in zip(weights, means, covs, strict=True):
        c = a * a * sig + s2 * np.eye(d)
        y = x - a * mu
        sol = np.linalg.solve(c, y.T).T  # C^{-1} y per row
        _, logdet = np.linalg.slogdet(c)
        logits.append(np.log(pi) - 0.5 * (np.einsum("ij,ij->i", y, sol) + logdet
                                           + d * np.log(2 * np.pi)))
        cmeans.append(mu + a * sol @ sig.T)
        cscores.append(-sol)
    lg = np.stack(logits, axis=1)
    top = lg.max(axis=1, keepdims=True)
    w = np.exp(lg - top)
    tot = w.sum(axis=1, keepdims=True)
    w /= tot
    mean = sum(w[:, [k]] * m for k, m in enumerate(cmeans))
    sc = sum(w[:, [k]] * s for k, s in enumerate(cscores))
    return w, mean, sc, (top + np.log(tot))[:, 0]


def layout(arr, kind):
    """The same values in another memory layout (or dtype)."""
    if kind == "fortran":
        return np.asfortranarray(arr)
    if kind == "strided":
        big = np.zeros((arr.shape[0], 2 * arr.shape[1]), dtype=arr.dtype)
        big[:, ::2] = arr
        return big[:, ::2]  # a non-contiguous view
    if kind == "readonly":
        out = arr.copy()
        out.flags.writeable = False
        return out
    return arr


@st.composite
def cases(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    K = draw(st.integers(1, 3))
    D = draw(st.integers(1, 4))
    low = draw(st.booleans()) and D > 1
    dtype = draw(st.sampled_from(["float64", "float32", "int"]))
    kind = draw(st.sampled_from(["c", "fortran", "strided", "readonly"]))
    schedule = draw(st.sampled_from([cu.VE(), cu.VP()]))
    t = draw(st.floats(0.1, 10.0))
    if schedule == cu.VP():
        t = min(t, 0.95)
    n = draw(st.integers(1, 5))
    w = rng.integers(1, 5, K).astype(float)
    w /= w.sum()
    if dtype == "int":
        means = rng.integers(-3, 4, (K, D))
        x = rng.integers(-6, 7, (n, D))
    else:
        means = (3 * rng.standard_normal((K, D))).astype(dtype)
        x = (3 * rng.standard_normal((n, D))).astype(dtype)
    if low:
        ranks = rng.integers(1, D, K)
        bases = [np.linalg.qr(rng.standard_normal((D, p)))[0] for p in ranks]
        variances = [rng.uniform(0.5, 3.0, p) for p in ranks]
        covs = np.stack([(b * v) @ b.T for b, v in zip(bases, variances, strict=True)])
        spec = ("low", bases, variances)
    else:
        if dtype == "int":
            f = rng.integers(-2, 3, (K, D, D))
            covs = f @ f.transpose(0, 2, 1) + np.eye(D, dtype=int)
        else:
            f = rng.standard_normal((K, D, D))
            covs = (f @ f.transpose(0, 2, 1) / D + 0.05 * np.eye(D)).astype(dtype)
        spec = ("full", None, None)
    return {"w": w, "means": means, "covs": covs, "x": x, "t": t, "schedule": schedule,
            "kind": kind, "spec": spec}


def _scale_rel(got, ref):
    return float(np.abs(np.asarray(got) - ref).max() / max(np.abs(ref).max(), 1.0))


@settings(max_examples=60, derandomize=True, deadline=None)
@given(case=cases())
def test_agrees_with_plain_reference_and_leaves_inputs_alone(case):
    kind, (structure, bases, variances) = case["kind"], case["spec"]
    means = layout(case["means"], kind)
    x = layout(case["x"], kind)
    covs = case["covs"] if kind != "readonly" else layout(case["covs"].reshape(
        case["covs"].shape[0], -1), kind).reshape(case["covs"].shape)
    snapshot = [np.array(v, copy=True) for v in (case["w"], means, covs, x)]
    if structure == "low":
        base_in = [layout(b, kind) for b in bases]
        base_snap = [b.copy() for b in base_in]
        g = cu.GaussianMixture.low_rank(base_in, weights=case["w"], means=means,
                                        variances=variances)
    else:
        g = cu.GaussianMixture(case["w"], means, covs)
    t, sch = case["t"], case["schedule"]
    ref_w, ref_m, ref_s, ref_lp = plain_reference(
        case["w"], np.asarray(case["means"], float), np.asarray(case["covs"], float),
        np.asarray(case["x"], float), t, sch)
    assert _scale_rel(cu.responsibilities(g, x, t, sch), ref_w) < TOL
    assert _scale_rel(cu.posterior_mean(g, x, t, sch), ref_m) < TOL
    assert _scale_rel(cu.score(g, x, t, sch), ref_s) < TOL
    assert _scale_rel(g.logpdf(x, t, sch), ref_lp) < TOL
    # the one-point form gives the first row
    assert _scale_rel(cu.posterior_mean(g, x[0], t, sch), ref_m[0:1]) < TOL
    # nothing the caller passed was modified
    for before, after in zip(snapshot, (case["w"], means, covs, x), strict=True):
        np.testing.assert_array_equal(after, before)
    if structure == "low":
        for before, after in zip(base_snap, base_in, strict=True):
            np.testing.assert_array_equal(after, before)
    # float32 results are float64 (the library computes in double precision)
    assert cu.posterior_mean(g, x, t, sch).dtype == np.float64


@settings(max_examples=30, derandomize=True, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), D=st.integers(1, 5),
       kind=st.sampled_from(["c", "fortran", "strided", "readonly"]),
       dtype=st.sampled_from(["float64", "float32"]))
def test_sampler_and_ddim_step_layouts(seed, n, D, kind, dtype):
    """The sampler and one DDIM step give the same result for every layout and leave x alone."""
    rng = np.random.default_rng(seed)
    x0 = (2 * rng.standard_normal((n, D))).astype(dtype)
    xb = (rng.standard_normal((n, D))).astype(dtype)
    x, xbar = layout(x0, kind), layout(xb, kind)
    snap = x.copy(), xbar.copy()
    ve = cu.VE(2.0)
    step = cu.ddim_step(x, xbar, 1.5, 0.5, ve)
    ref = (0.5 / 1.5) * x0.astype(float) + (1 - 0.5 / 1.5) * xb.astype(float)
    np.testing.assert_allclose(step, ref, rtol=4 * np.finfo(float).eps, atol=1e-15)
    out = cu.sample(lambda z, t: 0.5 * z, ve, x, L=4)
    ref_out = cu.sample(lambda z, t: 0.5 * z, ve, np.ascontiguousarray(x0, dtype=float), L=4)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(x, snap[0])
    np.testing.assert_array_equal(xbar, snap[1])
