"""Tests for the chapter 7 exercise checks (course_utils.exercises.memorization)."""

import numpy as np

from course_utils.exercises import memorization as ex
from course_utils.pca import pca
from course_utils.schedules import VE


def test_false_positive_floor_check():
    assert ex.check_false_positive_floor((1 / 9, 0.1))
    assert ex.check_false_positive_floor([0.1111, 0.1])
    assert not ex.check_false_positive_floor((1 / 3, 0.1))
    assert not ex.check_false_positive_floor((1 / 9, 0.01))
    assert not ex.check_false_positive_floor(1 / 9)
    assert not ex.check_false_positive_floor(None)
    assert not ex.check_false_positive_floor("a ninth")
    assert ex.check_false_positive_floor((1 / 27, 0.05 ** (1 / 3)), p=3, target=0.05)
    # the threshold really gives that floor: Monte Carlo in p = 2
    rng = np.random.default_rng(0)
    from course_utils.memorization import memorization_ratio

    r = ex.threshold_for_floor(0.05, 2)
    m = memorization_ratio(rng.standard_normal((3000, 2)), rng.standard_normal((3000, 2)),
                           threshold=r)
    assert abs(m - 0.05) < 4 * np.sqrt(0.05 * 0.95 / 3000)


def test_memorizer_large_t_check():
    from course_utils.sampler_analysis import memorizing_denoiser as mem

    out = mem(ex.EXERCISE_TRAIN, VE())(np.array([0.3, -0.2]), 1e4)
    assert ex.check_memorizer_large_t(out)
    assert ex.check_memorizer_large_t([2.0, 1.0])
    assert not ex.check_memorizer_large_t([0.0, 1.0])  # the nearest point, not the limit
    assert not ex.check_memorizer_large_t([2.0, 1.0, 0.0])
    assert not ex.check_memorizer_large_t(None)


def test_recovered_projector_check():
    pts = ex.EXERCISE_POINTS
    assert pts.shape == (2, 6)
    q, _ = np.linalg.qr(pts.T)
    assert ex.check_recovered_projector(q @ q.T)
    # PCA with P = 4 from two points: its top-2 eigenvectors span exactly the points
    V = pca(pts, 4)
    assert ex.check_recovered_projector(V[:, :2] @ V[:, :2].T)
    assert not ex.check_recovered_projector(V @ V.T)  # the other two columns are arbitrary
    assert not ex.check_recovered_projector(np.eye(6))
    assert not ex.check_recovered_projector(None)


def test_two_point_memorizer_check():
    alpha, sigma = 0.8, 0.6
    l0 = -(0.5**2) / (2 * sigma**2)
    l2 = -((0.5 - 2 * alpha) ** 2) / (2 * sigma**2)
    w2 = 1 / (1 + np.exp(l0 - l2))
    assert abs(ex.two_point_memorizer() - 2 * w2) < 1e-12
    assert ex.check_two_point_memorizer(0.417)
    assert not ex.check_two_point_memorizer(0.5)
    assert not ex.check_two_point_memorizer(None)


def test_messages_do_not_reveal_answers():
    for verdict, answer in ((ex.check_false_positive_floor((0.5, 0.5)), "0.111"),
                            (ex.check_memorizer_large_t([0.0, 0.0]), "2.0"),
                            (ex.check_two_point_memorizer(1.0), "0.41")):
        assert not verdict and answer not in repr(verdict)
