"""Tests for the chapter 1 widget (course_utils.widgets.entropy) over its whole slider grid."""

import matplotlib

matplotlib.use("Agg")

import importlib

import numpy as np
import pytest

from course_utils.widgets import entropy as W

E = importlib.import_module("course_utils.entropy")  # the module; cu.entropy is H(p)


@pytest.mark.parametrize("P", W.P_VALUES)
def test_compute_over_grid(P):
    d = W.D_WIDGET
    for t in W.T_VALUES:
        out = W.entropy_profile(t, P)
        for key in ("h", "dh_dt", "eff_dim", "rate", "h_noise"):
            assert np.isfinite(out[key]), key
        assert np.all(np.isfinite(out["h_curve"])) and np.all(np.isfinite(out["per_direction"]))
        lam = W.spectrum(P)
        assert np.count_nonzero(lam) == P
        # per-direction entropies add up to h(x_t); the curve is the closed form
        assert out["per_direction"].sum() == pytest.approx(out["h"], rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(out["h_curve"], E.gaussian_entropy_t(lam, W.T_GRID))
        # entropy rises with t; t dh/dt counts noise-dominated directions: between D-P and D
        assert out["dh_dt"] > 0 and np.all(np.diff(out["h_curve"]) > 0)
        assert d - P - 1e-12 <= out["eff_dim"] <= d + 1e-12
        # the gap to the noise-only entropy is the coding rate at eps = t sqrt(D) (fact 18)
        assert out["rate"] >= -1e-12
        if P == 0:
            assert out["rate"] == pytest.approx(0.0, abs=1e-12)
        x = np.diag(np.sqrt(d * lam))  # N = D rows, so X^T X / N = diag(lam)
        assert E.coding_rate(x, out["eps"]) == pytest.approx(out["rate"], rel=1e-9, abs=1e-12)


def test_small_t_slope_is_codimension():
    for P in W.P_VALUES:
        out = W.entropy_profile(W.T_VALUES[0], P)
        assert out["eff_dim"] == pytest.approx(W.D_WIDGET - P, abs=0.01)


def test_bad_inputs():
    with pytest.raises(ValueError, match="t"):
        W.entropy_profile(0.0, 2)
    with pytest.raises(ValueError, match="P"):
        W.entropy_profile(0.1, 9)


def test_builder_and_redraw_changes_summary():
    assert set(W.WIDGETS) == {"entropy_profile"}
    for builder in W.WIDGETS.values():
        w = builder()
        w.widget()  # renders the PNG path as in a live kernel
        s1 = w.redraw(t=0.1, P=2)
        s2 = w.redraw(t=1.0, P=5)
        assert s1 != s2 and "P=5" in s2
        bars = w.state["bars"]
        assert len(bars) == W.D_WIDGET
        # bars are updated in place: their tops are the per-direction entropies
        tops = np.array([b.get_y() + b.get_height() for b in bars])
        np.testing.assert_allclose(tops, w.data["per_direction"])
        assert len(w.fig.axes) == 2
        assert w.callback_seconds[-1] < 2.0  # generous bound for a loaded CI machine


def test_static_fallback_shows_each_setting():
    import matplotlib.pyplot as plt

    settings = ((0.03, 2), (0.3, 2), (0.03, 5))
    fig, lines = W.plot_small_multiples(settings)
    assert len(lines) == 3 and "P=5" in lines[2] and "t=0.3" in lines[1]
    assert len(fig.axes) == 1 + len(settings)  # one curve panel + one bar panel per setting
    for ax, (t, P) in zip(fig.axes[1:], settings, strict=True):
        d = W.entropy_profile(t, P)
        tops = np.array([b.get_y() + b.get_height() for b in ax.patches])
        np.testing.assert_allclose(tops, d["per_direction"])
        assert f"P = {P}" in ax.get_title()
    # one h(x_t) curve per distinct P, plus the noise-alone line
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert sum("P = " in s for s in labels) == 2 and any("noise alone" in s for s in labels)
    plt.close(fig)
