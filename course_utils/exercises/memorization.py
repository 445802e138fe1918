"""Self-checks for the chapter 7 exercises (memorization and generalization).

Each check computes the expected value from the chapter's formulas and compares it with the
reader's answer: it says whether the answer is right, never what it is.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_scalar
from ..memorization import false_positive_floor, posterior_weights
from ..schedules import VP
from ._core import Verdict, close_enough

# Exercise 2: three training points in the plane
EXERCISE_TRAIN = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, -1.0]])
EXERCISE_TRAIN.setflags(write=False)


def _exercise_points():
    """Exercise 3: two noiseless points of a fixed 4-dimensional subspace of R^6."""
    rng = np.random.default_rng(70)
    basis, _ = np.linalg.qr(rng.standard_normal((6, 4)))
    pts = rng.standard_normal((2, 4)) @ basis.T
    pts.setflags(write=False)
    return pts


EXERCISE_POINTS = _exercise_points()


def _missing(answer, what):
    if answer is None:
        return Verdict(False, f"replace None by your {what}.")
    return None


def threshold_for_floor(floor, p):
    """The threshold r with r^p = ``floor``: the ratio test that flags a fraction ``floor`` of
    fresh samples in intrinsic dimension p (chapter 7, exercise 1)."""
    floor = check_scalar(floor, "floor", low=0, low_open=True, high=1)
    p = check_scalar(p, "p", low=0, low_open=True)
    return floor ** (1.0 / p)


def check_false_positive_floor(answer, p=2, target=0.01) -> Verdict:
    """Exercise 1: the pair (floor of the 1/3 test, threshold whose floor is ``target``) in
    intrinsic dimension p."""
    miss = _missing(answer, "pair (floor at threshold 1/3, threshold for a 1% floor)")
    if miss is not None:
        return miss
    expected = np.array([false_positive_floor(p), threshold_for_floor(target, p)])
    return close_enough(answer, expected, rtol=1e-3, atol=1e-4, name="the pair",
                        hint="What is the law of (d1/d2)^p for a uniform scatter?")


def check_memorizer_large_t(answer, train=None) -> Verdict:
    """Exercise 2: the VE memorizer's output as t -> infinity (a vector of length D)."""
    miss = _missing(answer, "vector (one entry per coordinate)")
    if miss is not None:
        return miss
    tr = EXERCISE_TRAIN if train is None else np.asarray(train, dtype=float)
    # the limit of the softmax weights at large t (all logits -> 0)
    return close_enough(answer, tr.mean(axis=0), rtol=1e-6, atol=1e-6,
                        name="the limit",
                        hint="What do all the logits tend to as t grows, for fixed x_t?")


def recovered_projector(points):
    """Orthogonal projector onto span(points) (points as rows): what PCA certainly recovers
    from fewer noiseless points than the subspace's dimension (chapter 7, exercise 3)."""
    pts = np.asarray(points, dtype=float)
    u, sv, _ = np.linalg.svd(pts.T, full_matrices=False)
    q = u[:, sv > 1e-10 * sv.max()]
    return q @ q.T


def check_recovered_projector(answer, points=None) -> Verdict:
    """Exercise 3: the D x D projector onto the part of the subspace PCA recovers."""
    miss = _missing(answer, "projector (a 6 x 6 matrix)")
    if miss is not None:
        return miss
    pts = EXERCISE_POINTS if points is None else points
    return close_enough(answer, recovered_projector(pts), rtol=1e-6, atol=1e-8,
                        name="the projector",
                        hint="Which directions does M = (1/N) sum x x^T actually see?")


def two_point_memorizer(x_t=0.5, t=0.6, points=(0.0, 2.0)):
    """The VP memorizer of 1-D training points at x_t (chapter 7, exercise 4)."""
    pts = np.asarray(points, dtype=float).reshape(-1, 1)
    t = check_scalar(t, "t", low=0, low_open=True, high=1)
    w = posterior_weights(pts, np.array([float(x_t)]), t, VP())
    return float(w @ pts[:, 0])


def check_two_point_memorizer(answer, x_t=0.5, t=0.6) -> Verdict:
    """Exercise 4: the memorizer of {0, 2} at x_t under VP."""
    miss = _missing(answer, "number")
    if miss is not None:
        return miss
    return close_enough(answer, two_point_memorizer(x_t, t), rtol=2e-3, atol=1e-4,
                        name="the memorizer's output",
                        hint="Two logits: the weight of the second point is a logistic function "
                             "of their difference.")
