"""Tests for the chapter 6 widget (course_utils.widgets.vp): compute over the whole slider grid."""

import itertools

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import course_utils as cu  # noqa: E402
from course_utils.widgets import vp as w  # noqa: E402

GRID = list(itertools.product(w.SCHEDULES, w.GRIDS, w.L_VALUES, w.K_VALUES))


@pytest.mark.parametrize("schedule,grid,L,K", GRID)
def test_compute_over_slider_grid(schedule, grid, L, K):
    d = w.vp_sampler_view(schedule, grid, L, K)
    n = w.N_POINTS
    assert d["samples"].shape == (n, w.D) and np.all(np.isfinite(d["samples"]))
    assert d["times"].shape == (L + 1,) and d["times"][0] == 0
    assert np.all(np.diff(d["times"]) > 0)
    assert np.all(np.isfinite(d["path_sq"])) and np.all(np.isfinite(d["true_sq"]))
    assert d["fractions"].sum() == pytest.approx(1.0)
    assert np.isfinite(d["residual"]) and d["residual"] >= 0
    assert d["start_kl"] >= 0
    if schedule == "VP":
        assert d["start_kl"] == 0.0  # x_1 ~ N(0, I) exactly
        # exact start: the mean squared norm at t=1 is D (=2) up to Monte Carlo error
        assert abs(d["path_sq"][-1] - 2.0) < 4 * 2.0 / np.sqrt(n)  # Var(chi2_2)=4, SE=2/sqrt(n)
    if L == 1 and schedule == "VP":
        # one step from t=1 returns the denoiser at t=1: E[x] = 0
        assert np.abs(d["samples"]).max() < 1e-12
    if L >= 2:
        # every line receives points
        assert np.all(d["fractions"] > 0)
    summary = w.summary(d)
    assert f"L={L}" in summary and schedule in summary


def test_many_steps_reach_the_lines():
    for schedule in w.SCHEDULES:
        d = w.vp_sampler_view(schedule, "uniform", 500, 3)
        assert d["residual"] < 1e-3
        # fractions 1/3 within 4 SE (SE = sqrt(2/9/500) = 0.021)
        assert np.all(np.abs(d["fractions"] - 1 / 3) < 0.09)
        # energy per line: the mean of chi^2_1 (variance 2) over the n_k points on line k, so
        # SE = sqrt(2 / n_k); the sampler's under-dispersion at L = 500 is at most 7% (chapter 5)
        se = np.sqrt(2.0 / (d["fractions"] * 500))
        assert np.all(np.abs(d["energy"] - 1) < 0.07 + 3 * se)
    # more steps: more energy (less under-dispersion), common random numbers
    e = [np.nanmean(w.vp_sampler_view("VP", "uniform", L, 3)["energy"]) for L in (5, 50, 500)]
    assert e[0] < e[1] < e[2]


def test_fast_denoiser_equals_library():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 2))
    for K in w.K_VALUES:
        b = w.line_bases(K)
        for sched in (cu.VE(w.VE_T), cu.VP()):
            for t in (0.01, 0.3, 1.0):
                fast = w._fast_denoiser(b, sched)(x, t)
                assert np.abs(fast - cu.attention_denoiser(b, x, t, sched)).max() < 1e-12


def test_invalid_inputs():
    with pytest.raises(ValueError, match="L"):
        w.vp_sampler_view("VP", "uniform", 7, 3)
    with pytest.raises(ValueError, match="K"):
        w.vp_sampler_view("VP", "uniform", 10, 9)
    with pytest.raises(ValueError, match="schedule"):
        w.vp_sampler_view("VX", "uniform", 10, 3)
    with pytest.raises(ValueError, match="grid"):
        w.vp_sampler_view("VP", "log", 10, 3)


def test_builder_and_redraw():
    assert set(w.WIDGETS) == {"vp_sampler"}
    fig = w.WIDGETS["vp_sampler"]()
    first = fig.redraw()
    second = fig.redraw(schedule="VE", L=100, K=2)
    assert first != second and "VE" in second and "K=2" in second
    n_axes = len(fig.fig.axes)
    fig.redraw(L=500, K=4, grid="exponential")
    assert len(fig.fig.axes) == n_axes  # artists updated in place, no new axes
    box = fig.widget()
    assert box.children[-2] is fig._image and fig._image.value[:4] == b"\x89PNG"
