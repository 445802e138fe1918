"""Chapter 7 widget: compute over the whole slider grid, builder, redraw and static panel."""

import itertools

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from course_utils.memorization import nearest_neighbours  # noqa: E402
from course_utils.sampler_analysis import subspace_distance  # noqa: E402
from course_utils.widgets import memorization as W  # noqa: E402

GRID = list(itertools.product(W.N_VALUES, W.T_VALUES))


@pytest.mark.parametrize("N, t", GRID)
def test_compute_over_grid(N, t):
    d = W.compute_memorization(N, t)
    assert d["train"].shape == (N, 2)
    assert d["mem"].shape == d["learned"].shape == (W.N_SAMPLES, 2)
    for key in ("mem", "learned", "ratio_mem", "ratio_learned", "ts"):
        assert np.all(np.isfinite(d[key]))
    assert d["ts"].shape == d["ratio_mem"].shape == (len(W.T_VALUES),)
    assert np.all(np.diff(d["ts"]) < 0)  # from the largest t down to t_1
    for key in ("mem_ratio", "learned_ratio", "final_mem", "final_learned", "floor"):
        assert 0.0 <= d[key] <= 1.0
    assert abs(d["t"] - t) < 5e-3 * t  # the slider shows 3 significant digits
    # the memorizer predicts convex combinations of training points: inside their box
    lo, hi = d["train"].min(axis=0), d["train"].max(axis=0)
    assert np.all(d["mem"] >= lo - 1e-12) and np.all(d["mem"] <= hi + 1e-12)
    # final samples: the memorizer's are training points, the learned lines' lie on the lines
    assert d["final_mem"] >= 0.95
    if t == W.T_VALUES[W.FINAL]:
        _, d1, _ = nearest_neighbours(d["mem"], d["train"])
        assert np.median(d1) < 1e-6
        dist = subspace_distance(d["learned"], d["bases"])
        assert np.median(dist) < 1e-6 and dist.max() < 0.01
    # the learned model copies no more than fresh data do (3 standard errors at n = 200)
    se = np.sqrt(0.25 / W.N_SAMPLES)
    assert d["final_learned"] <= d["floor"] + 3 * se + 0.05
    assert d["subspace_error"] < (0.5 if N < 6 else 0.1)


def test_memorizer_commits_as_t_falls():
    d = W.compute_memorization(50)
    # near t = 1 the predictions sit near the training mean; at t_1 they are copies
    assert d["ratio_mem"][0] < 0.5 and d["ratio_mem"][-1] >= 0.95


def test_compute_is_pure_and_returns_copies():
    a = W.compute_memorization(25)
    a["mem"][:] = 0.0
    a["ratio_mem"][:] = -1.0
    b = W.compute_memorization(25)
    assert np.abs(b["mem"]).max() > 0 and b["ratio_mem"].min() >= 0
    W._run.cache_clear()
    c = W.compute_memorization(25)
    np.testing.assert_array_equal(b["mem"], c["mem"])
    np.testing.assert_array_equal(b["learned"], c["learned"])


def test_compute_validation():
    with pytest.raises(ValueError, match="N must be"):
        W.compute_memorization(2)
    with pytest.raises(ValueError, match="N must be"):
        W.compute_memorization(10.0)
    with pytest.raises(ValueError, match="t must be one of"):
        W.compute_memorization(25, 0.5)
    with pytest.raises(ValueError, match="t must be one of"):
        W.compute_memorization(25, "late")


def test_builder_and_redraw_change_summary():
    assert set(W.WIDGETS) == {"memorization"}
    fig = W.WIDGETS["memorization"]()
    n_axes = len(fig.fig.axes)
    s1 = fig.redraw(N=6, t=W.T_VALUES[0])
    s2 = fig.redraw(N=400, t=W.T_VALUES[-1])
    assert s1 != s2 and "N = 400" in s2
    assert len(fig.fig.axes) == n_axes == 3  # artists updated in place
    assert fig.state["mem"].get_offsets().shape == (W.N_SAMPLES, 2)
    assert fig.state["mem_train"].get_offsets().shape == (400, 2)
    assert fig.fig.get_layout_engine() is None
    box = fig.widget()
    # the live view: the sliders, the figure as PNG, the summary line of the shown data
    assert box.children[-2] is fig._image
    assert box.children[-1].value == fig.summary(fig.data)
    assert fig._image.value[:8] == b"\x89PNG\r\n\x1a\n"
    fig.redraw(N=12, t=W.T_VALUES[3])
    assert fig._text.value.startswith("N = 12")


def test_small_multiples():
    from matplotlib.figure import Figure

    f = Figure()
    datas = W.draw_small_multiples(f)
    assert len(datas) == len(W.STATIC_VALUES) and len(f.axes) == 2 * len(W.STATIC_VALUES)
    assert [d["N"] for d in datas] == [v[0] for v in W.STATIC_VALUES]
