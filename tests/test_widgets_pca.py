"""Chapter 4 widget: compute over the whole slider grid, builder and redraw (Agg)."""

import itertools

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from course_utils.widgets import pca as W  # noqa: E402

GRID = list(itertools.product(W.T_VALUES, W.P_VALUES))


@pytest.mark.parametrize("t, P", GRID)
def test_compute_over_grid(t, P):
    d = W.compute_pca_learning(t, P)
    n = W.STEPS + 1
    assert d["step"].shape == (n,) and d["loss"].shape == (n,)
    assert d["angles_deg"].shape == (n, W.P_MAX)
    assert np.all(np.isfinite(d["loss"])) and np.all(np.isfinite(d["angles_deg"][:, :P]))
    assert np.all(np.isnan(d["angles_deg"][:, P:])) and np.all(d["final_deg"][P:] == 0)
    assert np.all((d["angles_deg"][:, :P] >= 0) & (d["angles_deg"][:, :P] <= 90))
    # the PCA basis minimizes the exact loss on the data: no V does better
    assert np.all(d["loss"] >= d["loss_min"] - 1e-10)
    # learning works: most of the excess loss is gone, angles small at the end
    assert d["loss"][-1] - d["loss_min"] < 0.05 * (d["loss"][0] - d["loss_min"])
    assert d["max_final_deg"] < 15
    # x ~ N(0, U U^T) lies in span(U): sample PCA recovers U exactly
    assert d["pca_vs_truth_deg"] < 1e-5
    # minimum = (1-c)^2 mean||x||^2 + c^2 t^2 P, the MMSE P t^2/(1+t^2) up to the sampling
    # error of mean||x||^2 (standard error sqrt(2P/n)); 4 standard errors
    c = 1 / (1 + t * t)
    assert d["mmse"] == pytest.approx(P * t * t / (1 + t * t))
    assert abs(d["loss_min"] - d["mmse"]) < 4 * (1 - c) ** 2 * np.sqrt(2 * P / W.N_WIDGET)


def test_compute_is_pure_and_returns_copies():
    a = W.compute_pca_learning(1.0, 3)
    a["loss"][:] = 0.0
    a["angles_deg"][:] = 0.0
    b = W.compute_pca_learning(1.0, 3)
    assert b["loss"][0] > 0 and np.nanmax(b["angles_deg"]) > 1
    W._run.cache_clear()
    c = W.compute_pca_learning(1.0, 3)
    np.testing.assert_array_equal(b["loss"], c["loss"])
    np.testing.assert_array_equal(b["angles_deg"], c["angles_deg"])


def test_compute_validation():
    with pytest.raises(ValueError, match="P must be"):
        W.compute_pca_learning(1.0, 0)
    with pytest.raises(ValueError, match="t must be"):
        W.compute_pca_learning(-1.0, 2)


def test_builder_and_redraw_change_summary():
    assert set(W.WIDGETS) == {"pca_learning"}
    fig = W.WIDGETS["pca_learning"]()
    n_axes = len(fig.fig.axes)
    s1 = fig.redraw(t=0.25, P=2)
    s2 = fig.redraw(t=3.0, P=5)
    assert s1 != s2 and "P = 5" in s2
    assert len(fig.fig.axes) == n_axes == 3  # artists updated in place, no new axes
    heights = [b.get_height() for b in fig.state["bars"]]
    assert heights[4] > 0 and heights[5] == 0
    box = fig.widget()
    # the live view: the sliders, the figure as PNG, the summary line of the shown data
    assert box.children[-2] is fig._image
    assert box.children[-1].value == fig.summary(fig.data)
    assert fig._image.value[:8] == b"\x89PNG\r\n\x1a\n"
    fig.redraw(t=1.0, P=1)
    assert fig._text.value.startswith("t = 1, P = 1")


def test_precompute_fills_the_grid_cache_and_layout_engine_is_dropped():
    W._run.cache_clear()
    fig = W.build_pca_learning(precompute=False)
    # only the initial t, every P of the slider (the loss axis is shared across P at each t)
    assert W._run.cache_info().currsize == len(W.P_VALUES)
    assert fig.fig.get_layout_engine() is None  # no extra draw per PNG
    W.build_pca_learning()
    assert W._run.cache_info().currsize == len(GRID)


def test_small_multiples():
    from matplotlib.figure import Figure

    f = Figure()
    datas = W.draw_small_multiples(f)
    assert len(datas) == len(W.STATIC_VALUES) and len(f.axes) == 2 * len(W.STATIC_VALUES)


def test_axis_limits_depend_on_t_only_and_hold_every_curve():
    """Moving P keeps the axes (so a move repaints only the data); every curve stays inside."""
    for t in W.T_VALUES:
        datas = [W.compute_pca_learning(t, P) for P in W.P_VALUES]
        assert len({d["loss_per_dim_lim"] for d in datas}) == 1
        assert len({d["final_deg_lim"] for d in datas}) == 1
        for d in datas:
            lo, hi = d["loss_per_dim_lim"]
            per_dim = np.concatenate([d["loss"], [d["loss_min"], d["mmse"]]]) / d["P"]
            assert lo < per_dim.min() and per_dim.max() < hi
            assert d["max_final_deg"] < d["final_deg_lim"]
