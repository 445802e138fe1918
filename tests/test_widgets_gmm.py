"""Chapter-3 widget: compute function over its whole slider grid, and the view."""

import itertools

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import course_utils as cu
from course_utils.widgets import gmm as wg

GRID = list(itertools.product(wg.T_VALUES, wg.K_VALUES))


@pytest.mark.parametrize("t,K", GRID)
def test_compute_over_slider_grid(t, K):
    d = wg.compute_gmm_field(t, K)
    for key in ("xbar", "arrows", "probe_weights", "factors", "grid_weights"):
        assert np.all(np.isfinite(d[key])), key
    n = wg.GRID_N**2
    assert d["x"].shape == d["xbar"].shape == (n, 2)
    assert d["probe_weights"].shape == (wg.N_PROBES, K)
    np.testing.assert_allclose(d["arrows"], d["xbar"] - d["x"])
    # weights are a probability vector per point
    np.testing.assert_allclose(d["probe_weights"].sum(1), 1.0, rtol=1e-13)
    np.testing.assert_allclose(d["grid_weights"].sum(1), 1.0, rtol=1e-13)
    # attention form == general eq. 8 for the low-rank mixture of K lines (fact 4)
    gmm = cu.GaussianMixture.low_rank(wg.line_bases(K))
    np.testing.assert_allclose(d["xbar"], cu.posterior_mean(gmm, d["x"], t), atol=1e-12)
    np.testing.assert_allclose(d["grid_weights"], cu.responsibilities(gmm, d["x"], t), atol=1e-12)
    # xbar is 1/(1+t^2) times a convex combination of projections: |xbar| <= |x| / (1 + t^2)
    assert d["max_shrink"] <= d["line_factor"] * (1 + 1e-12)
    assert d["line_factor"] == pytest.approx(1 / (1 + t * t))
    # contraction factors: in [0, 1), ordered like the eigenvalues, zero eigenvalue -> 0
    f = d["factors"]
    assert np.all((f >= 0) & (f < 1)) and np.all(np.diff(f) <= 0) and f[-1] == 0.0
    np.testing.assert_allclose(f, d["spectrum"] / (d["spectrum"] + t * t))
    # the probe closest to line k's angle puts its largest weight on k
    if K >= 2:
        for k, a in enumerate(d["angles"]):
            j = np.argmin(np.abs(np.angle(np.exp(2j * (d["probe_angles"] - a)))))
            assert d["probe_weights"][j].argmax() == k
    else:
        np.testing.assert_array_equal(d["probe_weights"], 1.0)
    assert 1 / K - 1e-12 <= d["mean_top_weight"] <= 1 + 1e-12


@pytest.mark.parametrize("K", [k for k in wg.K_VALUES if k >= 2])
def test_temperature_trend_over_t(K):
    # larger t = higher temperature 2 t^2 (1 + t^2): weights flatten towards 1/K (fact 7)
    tops = [wg.compute_gmm_field(t, K)["mean_top_weight"] for t in wg.T_VALUES]
    assert np.all(np.diff(tops) < 0)
    assert tops[-1] - 1 / K < 0.01
    assert tops[0] > 0.95


def test_bad_input():
    with pytest.raises(ValueError, match="t"):
        wg.compute_gmm_field(0.0, 3)
    with pytest.raises(ValueError, match="K"):
        wg.compute_gmm_field(1.0, 0)


def test_builder_and_redraw_change_summary():
    assert set(wg.WIDGETS) == {"gmm_denoiser"}
    w = wg.WIDGETS["gmm_denoiser"]()
    assert isinstance(w, cu.widgets.InteractiveFigure)
    n_axes = len(w.fig.axes)
    s1 = w.redraw(t=0.2, K=2)
    s2 = w.redraw(t=3.0, K=5)
    assert s1 != s2 and "K=5" in s2 and "t=3" in s2
    assert len(w.fig.axes) == n_axes  # artists updated in place, no new axes
    assert w.state["img"].get_array().shape == (wg.N_PROBES, 5)
    assert sum(ln.get_visible() for ln in w.state["lines"]) == 5
    box = w.widget()
    assert len(box.children) == 4  # two sliders, image, summary


def test_small_multiples():
    import matplotlib.pyplot as plt

    fig, lines = wg.plot_gmm_small_multiples(((0.3, 2), (2.0, 4)))
    assert len(lines) == 2 and all("K=" in s for s in lines)
    assert len(fig.axes) == 7  # 2 x (2 + 1) panels + one colour bar
    # the factor panel has one bar per eigenvalue and setting (the contraction factors)
    bars = [p for p in fig.axes[2].patches]
    assert len(bars) == 2 * len(wg.SPECTRUM)
    lam = np.array(wg.SPECTRUM)
    expected = np.concatenate([lam / (lam + t * t) for t in (0.3, 2.0)])
    np.testing.assert_allclose(sorted(b.get_height() for b in bars), sorted(expected))
    plt.close(fig)


def test_line_bases_are_unit_lines_at_the_documented_angles():
    # both 2-D line widgets (chapters 3 and 6) build their bases with _core.unit_lines
    from course_utils.widgets import vp as wvp
    from course_utils.widgets._core import unit_lines

    for K in (1, 2, 3, 4):
        for bases, first in ((wg.line_bases(K), np.pi / 8), (wvp.line_bases(K), 0.3)):
            assert len(bases) == K and all(u.shape == (2, 1) for u in bases)
            ang = np.array([np.arctan2(u[1, 0], u[0, 0]) for u in bases])
            np.testing.assert_allclose(ang, first + np.pi * np.arange(K) / K, atol=1e-12)
    np.testing.assert_allclose(unit_lines([0.0, np.pi / 2])[1], [[0.0], [1.0]], atol=1e-15)
