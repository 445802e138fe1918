"""Tests for the chapter 5 widget (course_utils.widgets.sampling) over its whole slider grid."""

import itertools

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from course_utils import sampler_analysis as sa  # noqa: E402
from course_utils.widgets import sampling as ws  # noqa: E402

GRID = list(itertools.product(ws.L_VALUES, ws.T_VALUES))


@pytest.fixture(scope="module")
def results():
    return {(L, T): ws.sampler_quality(L, T) for L, T in GRID}


def test_compute_over_the_whole_grid_is_finite_and_consistent(results):
    _, bases, _ = sa.lines_and_plane_mixture(4)
    for (_L, T), d in results.items():
        assert d["samples"].shape == (ws.N_POINTS, 3)
        assert np.all(np.isfinite(d["samples"]))
        assert np.isclose(d["fractions"].sum(), 1.0)
        assert np.all(np.isfinite(d["energy"]))  # every component gets samples on this grid
        assert d["max_distance"] >= d["mean_distance"] >= 0
        np.testing.assert_allclose(d["mean_distance"],
                                   sa.subspace_distance(d["samples"], bases).mean())
        # the start is T g for one fixed g ~ N(0, I): std within a few SE of T
        assert abs(d["start"].std() / T - 1) < 4 / np.sqrt(2 * d["start"].size)
        assert "L=" in ws.summary_line(d)


def test_invariants_more_steps_land_on_the_support(results):
    for T in ws.T_VALUES:
        # L = 500 puts the samples on the subspaces; the last step is x_bar(t_1, x), whose
        # weights are not quite one-hot near where subspaces meet, so the residual is small
        # but not 0 (observed max 0.023 at T = 10; mean < 3e-4)
        assert results[(500, T)]["mean_distance"] < 1e-3
        assert results[(500, T)]["max_distance"] < 0.05
        # one big step lands off the support at the larger horizons
        if T >= 2:
            assert results[(1, T)]["mean_distance"] > 10 * results[(500, T)]["mean_distance"]
    # energies are below 1 (start N(0, T^2 I) misses the data variance) and rise with T
    e = np.array([results[(500, T)]["energy"].mean() for T in ws.T_VALUES])
    assert np.all(e < 1.0) and np.all(np.diff(e) > 0)


def test_compute_is_deterministic_and_rejects_off_grid_values():
    a, b = ws.sampler_quality(20, 5), ws.sampler_quality(20, 5)
    np.testing.assert_array_equal(a["samples"], b["samples"])
    with pytest.raises(ValueError, match="L"):
        ws.sampler_quality(3, 5)
    with pytest.raises(ValueError, match="T"):
        ws.sampler_quality(20, 3)


def test_builder_and_redraw_change_the_summary():
    w = ws.WIDGETS["sampler"]()  # zero-argument builder (warms the cache)
    fig_id = id(w.fig)
    n_axes = len(w.fig.axes)
    s1 = w.redraw(L=1, T=5)
    s2 = w.redraw(L=500, T=5)
    assert s1 != s2
    assert id(w.fig) == fig_id and len(w.fig.axes) == n_axes  # updated in place
    w.widget()  # the ipywidgets view builds
    offsets = np.asarray(w.state["scatter"]._offsets3d[0])
    np.testing.assert_allclose(offsets, w.data["samples"][:, 0])


def test_precompute_fills_the_cache_with_the_same_results():
    ws._run.cache_clear()
    direct = ws.sampler_quality(50, 2)["samples"].copy()
    ws._run.cache_clear()
    ws.precompute()
    info = ws._run.cache_info()
    assert info.currsize == len(ws.L_VALUES) * len(ws.T_VALUES)
    np.testing.assert_array_equal(ws.sampler_quality(50, 2)["samples"], direct)
    assert ws._run.cache_info().hits == info.hits + 1


def test_support_drawing_is_clipped_to_the_axis_box():
    """Chapter 5 figures: lines and the plane are drawn inside the axis box only."""
    lim = ws.AXIS_LIMITS
    seg = ws._clip_polygon([[-10.0, 0.0, 0.0], [10.0, 0.0, 0.0]], lim)
    assert np.allclose(np.sort(np.unique(seg[:, 0])), [-6.0, 6.0])
    square = ws._clip_polygon([[-10, -10, 5], [10, -10, 5], [10, 10, -5], [-10, 10, -5]], lim)
    assert len(square) >= 3
    for axis, (lo, hi) in enumerate(lim):
        assert square[:, axis].min() >= lo - 1e-12 and square[:, axis].max() <= hi + 1e-12
    assert len(ws._clip_polygon([[10, 10, 10], [11, 10, 10], [11, 11, 10]], lim)) == 0
    import matplotlib.pyplot as plt

    fig = plt.figure()
    ax = fig.add_subplot(projection="3d")
    arts = ws.draw_support(ax)
    assert len(arts) == 3  # two lines and one plane patch
    plt.close(fig)
