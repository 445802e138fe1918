"""Chapter-8 widget: compute function over its whole slider grid, and the view."""

import itertools

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import course_utils as cu
from course_utils import inference as inf
from course_utils.widgets import inference as wi

GRID = list(itertools.product(wi.SIGMA_Y_VALUES, wi.GAMMA_VALUES))
N = wi.N_POINTS


@pytest.mark.parametrize("sigma_y,gamma", GRID)
def test_compute_over_slider_grid(sigma_y, gamma):
    d = wi.compute_inference_view(sigma_y, gamma)
    for key in ("exact", "direct", "guided", "class_draws", "dps_shown", "post_weights",
                "frac_exact", "frac_direct"):
        assert np.all(np.isfinite(d[key])), key
    for key in ("exact", "direct", "dps", "guided", "class_draws"):
        assert d[key].shape == (N, 2), key
    # the posterior weights are those of the exact posterior mixture
    post = wi.MODEL.condition(wi.A_OBS, [wi.Y_OBS], sigma_y)
    np.testing.assert_allclose(d["post_weights"], post.weights, atol=1e-12)
    for key in ("post_weights", "frac_exact", "frac_direct"):
        assert d[key].sum() == pytest.approx(1.0)
    # the exact sampler reproduces the posterior's class weights (SE ~ 0.025 at n = 400,
    # labels by responsibility at small t blur the classes a little)
    assert np.abs(d["frac_exact"] - d["post_weights"]).max() < 0.08
    assert np.abs(d["frac_direct"] - d["post_weights"]).max() < 0.08
    # ... and its samples sit in the measured band x_1 = y +- 4 sigma_y (plus sampler slack)
    assert np.mean(np.abs(d["exact"][:, 0] - wi.Y_OBS) < 4 * sigma_y + 0.05) > 0.97
    # DPS: either diverged (flagged, clipped for display) or a valid fraction vector
    if d["dps_diverged"]:
        assert np.abs(d["dps"]).max() > wi.DIVERGED and np.all(np.isnan(d["frac_dps"]))
        assert np.abs(d["dps_shown"]).max() <= wi.EXTENT
    else:
        assert d["frac_dps"].sum() == pytest.approx(1.0)
    # guidance: gamma = 0 is the unconditional law, gamma >= 1 lands in the class
    if gamma == 0.0:
        assert abs(d["class_fraction"] - wi.MODEL.weights[wi.CLASS]) < 0.08
    if gamma >= 1.0:
        assert d["class_fraction"] > 0.97
    assert 0.0 <= d["class_prob"] <= 1.0
    assert isinstance(wi.summary(d), str) and f"sigma_y={sigma_y:g}" in wi.summary(d)


def test_chapter_claims_over_the_grid():
    # DPS breaks down for small sigma_y (diverges or loses most of the variance) and is
    # close to exact only for sigma_y of order one
    small = wi.compute_inference_view(0.02, 1.0)
    assert small["dps_diverged"]
    mid = wi.compute_inference_view(0.2, 1.0)
    assert not mid["dps_diverged"] and np.abs(mid["frac_dps"] - mid["post_weights"]).max() > 0.1
    big = wi.compute_inference_view(1.0, 1.0)
    assert not big["dps_diverged"]
    assert np.abs(big["frac_dps"] - big["post_weights"]).max() < 0.15
    # guidance: class probability rises with gamma, and the samples leave the class law
    probs = [wi.compute_inference_view(0.1, g)["class_prob"] for g in wi.GAMMA_VALUES]
    assert np.all(np.diff(probs) >= -1e-9)
    d1, d7 = wi.compute_inference_view(0.1, 1.0), wi.compute_inference_view(0.1, 7.0)
    dist = [np.linalg.norm(d["guided"].mean(0) - wi.MODEL.means[wi.CLASS]) for d in (d1, d7)]
    assert dist[0] < 0.15 < 0.5 < dist[1]


def test_runs_use_the_library_samplers():
    d = wi.compute_inference_view(0.2, 3.0)
    g0 = np.random.default_rng(wi.SEED).standard_normal((N, 2))
    vp = cu.VP()
    ref = cu.sample(inf.guided_denoiser(wi.MODEL, wi.CLASS, 3.0, vp), vp, g0, L=wi.L_STEPS)
    np.testing.assert_array_equal(d["guided"], ref)
    ref = cu.sample(inf.conditional_denoiser(wi.MODEL, wi.A_OBS, [wi.Y_OBS], 0.2, vp), vp, g0,
                    L=wi.L_STEPS)
    np.testing.assert_array_equal(d["exact"], ref)


def test_bad_input():
    with pytest.raises(ValueError, match="sigma_y"):
        wi.compute_inference_view(0.0, 1.0)
    with pytest.raises(ValueError, match="gamma"):
        wi.compute_inference_view(0.1, "x")
    with pytest.raises(ValueError, match="same length"):
        wi.plot_inference_small_multiples((0.1,), (1.0, 2.0))


def test_builder_and_redraw_change_summary():
    assert set(wi.WIDGETS) == {"inference"}
    w = wi.WIDGETS["inference"]()
    assert isinstance(w, cu.widgets.InteractiveFigure)
    n_axes = len(w.fig.axes)
    s1 = w.redraw(sigma_y=0.05, gamma=1.0)
    s2 = w.redraw(sigma_y=0.5, gamma=7.0)
    assert s1 != s2 and "sigma_y=0.5" in s2 and "gamma=7" in s2
    assert len(w.fig.axes) == n_axes  # artists updated in place
    np.testing.assert_array_equal(w.state["gd"].get_offsets(), w.data["guided"])
    heights = [r.get_height() for r in w.state["bars"][0]]
    np.testing.assert_allclose(heights, w.data["post_weights"])
    box = w.widget()
    assert len(box.children) == 4  # two sliders, image, summary


def test_small_multiples():
    import matplotlib.pyplot as plt

    fig, lines = wi.plot_inference_small_multiples((0.05, 1.0), (1.0, 7.0))
    assert len(lines) == 2 and "gamma=7" in lines[1]
    assert len(fig.axes) == 4
    plt.close(fig)
