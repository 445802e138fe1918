"""Noise schedules (chapter 2, eq. 5): VE/VP coefficients, grids, VP facts (notes sec. 5 F16)."""

from __future__ import annotations

import numpy as np
import pytest

import course_utils as cu

EPS = np.finfo(float).eps


def test_ve_coefficients():
    t = np.array([0.0, 0.3, 2.0, 1e6])
    s = cu.VE(T=3.0)
    np.testing.assert_array_equal(s.alpha(t), np.ones(4))
    np.testing.assert_array_equal(s.sigma(t), t)
    assert s.T == 3.0 and s.t_max == np.inf
    assert repr(s) == "VE(T=3)"


def test_vp_coefficients_and_unit_variance():
    """F16: alpha_t^2 + sigma_t^2 = 1, alpha_0 = 1, alpha_1 = 0 (so x_1 = g exactly)."""
    s = cu.VP()
    t = np.linspace(0, 1, 101)
    np.testing.assert_allclose(s.alpha(t) ** 2 + s.sigma(t) ** 2, 1.0, rtol=0, atol=4 * EPS)
    assert s.alpha(0.0) == 1.0 and s.alpha(1.0) == 0.0 and s.sigma(1.0) == 1.0
    assert s.T == 1.0 and s.t_max == 1.0 and repr(s) == "VP()"


def test_vp_alpha_relative_accuracy_near_one():
    """sqrt((1-t)(1+t)) keeps full relative accuracy as t -> 1, where sqrt(1 - t^2) loses
    digits; reference in extended precision (1 - t is exact in float64 by Sterbenz)."""
    t = 1.0 - np.logspace(-15, -1, 15)
    ref = np.sqrt((1 - t.astype(np.longdouble)) * (1 + t.astype(np.longdouble)))
    rel = np.abs(cu.VP().alpha(t) - ref) / ref
    assert rel.max() < 4 * EPS


@pytest.mark.parametrize("schedule", [cu.VE(T=2.5), cu.VP()])
def test_uniform_grid(schedule):
    L = 7
    ts = schedule.grid(L)
    np.testing.assert_allclose(ts, schedule.T * np.arange(L + 1) / L, rtol=2 * EPS)
    assert ts[0] == 0.0 and ts[-1] == schedule.T and ts.shape == (L + 1,)


@pytest.mark.parametrize("schedule", [cu.VE(T=5.0), cu.VP()])
@pytest.mark.parametrize("rate", [0.01, 1.0, 4.0, 30.0, 200.0])
def test_exponential_grid(schedule, rate):
    """t_l = C1 (exp(C2 l) - 1) with C2 = rate / L and t_L = T: exact endpoints, strictly
    increasing, increments growing geometrically by exp(C2), and denser than uniform at
    small t."""
    L = 20
    ts = schedule.grid(L, kind="exponential", rate=rate)
    assert ts[0] == 0.0 and ts[-1] == schedule.T
    steps = np.diff(ts)
    assert np.all(steps > 0)
    # consecutive increments of C1 (e^{C2 l} - 1) have ratio e^{C2} exactly (up to rounding)
    np.testing.assert_allclose(steps[1:] / steps[:-1], np.exp(rate / L), rtol=1e-9)
    assert np.all(ts[1:-1] < schedule.grid(L)[1:-1])
    # closed form for a moderate rate
    if rate <= 30:
        l = np.arange(L + 1)
        ref = schedule.T * np.expm1(rate * l / L) / np.expm1(rate)
        np.testing.assert_allclose(ts, ref, rtol=1e-12)


def test_exponential_grid_small_rate_tends_to_uniform():
    """As rate -> 0 the exponential grid becomes the uniform one, with error O(rate)."""
    ts = cu.VE(T=1.0).grid(10, kind="exponential", rate=1e-6)
    np.testing.assert_allclose(ts, cu.VE(T=1.0).grid(10), atol=1e-6)


def test_check_t_accepts_range_and_arrays():
    arr = cu.VP().check_t([0.0, 0.5, 1.0])
    np.testing.assert_array_equal(arr, [0.0, 0.5, 1.0])
    assert cu.VE().check_t(1e6).shape == ()
    assert cu.VE().check_t(1e-100) == 1e-100


def test_equality_and_hash():
    assert cu.VE(2.0) == cu.VE(2.0) and cu.VE(2.0) != cu.VE(1.0)
    assert cu.VP() == cu.VP() and cu.VP() != cu.VE(1.0)
    assert len({cu.VE(2.0), cu.VE(2.0), cu.VP()}) == 2
    assert isinstance(cu.VE(), cu.Schedule)
