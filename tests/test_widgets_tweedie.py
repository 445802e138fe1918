"""Chapter-2 widget: compute function over its whole slider grid, and the view."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import course_utils as cu
from course_utils import diffusion as df
from course_utils.widgets import tweedie as tw

GMM = df.mixture_2d()


@pytest.mark.parametrize("t", tw.T_VALUES)
def test_compute_over_slider_grid(t):
    d = tw.tweedie_field(t)
    n = tw.N_POINTS
    for key in ("density", "x", "x_t", "denoised", "arrows", "score"):
        assert np.all(np.isfinite(d[key])), key
    assert d["density"].shape == (tw.GRID_N, tw.GRID_N) and np.all(d["density"] >= 0)
    assert d["x_t"].shape == d["denoised"].shape == (n, 2)
    # one shared g: x_t = x + t g with the same g at every t
    g = (d["x_t"] - d["x"]) / t
    g_ref = (tw.tweedie_field(1.0)["x_t"] - tw.tweedie_field(1.0)["x"])
    np.testing.assert_allclose(g, g_ref, atol=1e-12)
    # denoised is the Bayes denoiser, arrows = t^2 * score (Tweedie, eq. 4)
    np.testing.assert_allclose(d["denoised"], cu.posterior_mean(GMM, d["x_t"], t), atol=1e-12)
    np.testing.assert_allclose(d["arrows"], d["denoised"] - d["x_t"])
    np.testing.assert_allclose(d["arrows"], t * t * d["score"], atol=1e-10)
    assert d["mean_moved"] == pytest.approx(t * t * d["mean_score_norm"], rel=1e-10)
    # summary numbers are what they claim
    assert d["mse_noisy"] == pytest.approx(t * t * (g**2).sum(1).mean())
    assert d["peak"] == d["density"].max()
    assert 0 <= d["n_outside"] <= n
    # the denoised points stay in the convex hull region of the data means' box
    assert np.all(np.abs(d["denoised"]) < 12)


def test_trends_over_t():
    ds = [tw.tweedie_field(t) for t in tw.T_VALUES]
    peaks = [d["peak"] for d in ds]
    assert np.all(np.diff(peaks) < 0)  # noise flattens the density
    # the Bayes denoiser beats doing nothing once the noise is not tiny
    for d in ds:
        if d["t"] >= 0.5:
            assert d["mse_denoised"] < d["mse_noisy"]
    # at the largest t every denoised point is near the global mean E[x] = (0, 1)
    far = np.linalg.norm(ds[-1]["denoised"] - np.array([0.0, 1.0]), axis=1)
    near_small = np.linalg.norm(ds[0]["denoised"] - np.array([0.0, 1.0]), axis=1)
    assert far.mean() < 0.5 * near_small.mean()


def test_bad_input():
    with pytest.raises(ValueError, match="t"):
        tw.tweedie_field(0.0)
    with pytest.raises(ValueError, match="t"):
        tw.tweedie_field(float("nan"))


def test_builder_and_redraw():
    assert set(tw.WIDGETS) == {"tweedie"}
    w = tw.WIDGETS["tweedie"]()
    assert isinstance(w, tw.InteractiveFigure)
    n_axes = len(w.fig.axes)
    first = w.redraw(t=0.5)
    second = w.redraw(t=7.0)
    assert first != second and "t = 7" in second
    assert len(w.fig.axes) == n_axes  # artists updated in place, no new axes
    st = w.state
    np.testing.assert_allclose(st["noisy"].get_offsets(), tw.tweedie_field(7.0)["x_t"])
    np.testing.assert_allclose(st["img"].get_array(), tw.tweedie_field(7.0)["density"])
    np.testing.assert_allclose(st["arrows"].U, tw.tweedie_field(7.0)["arrows"][:, 0])
    assert "t = 7" in st["title"].get_text()
    box = w.widget()
    # the live view: the sliders, the figure as PNG, the summary line of the shown data
    assert box.children[-2] is w._image
    assert box.children[-1].value == w.summary(w.data)
    assert w._image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_static_fallback():
    import matplotlib.pyplot as plt

    fig, lines = tw.plot_static()
    assert len(fig.axes) == len(tw.STATIC_T) and len(lines) == len(tw.STATIC_T)
    assert all(line.startswith(f"t = {t:g}:") for line, t in zip(lines, tw.STATIC_T, strict=True))
    plt.close(fig)
