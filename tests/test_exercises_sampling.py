"""Tests for the chapter 5 self-checks (course_utils.exercises.sampling)."""

import numpy as np

from course_utils.exercises import sampling as ex


def test_step_factor_check():
    right = lambda lam, T, L, l: 1 - l * T**2 / (lam * L**2 + l**2 * T**2)  # noqa: E731
    wrong = lambda lam, T, L, l: 1 - 1 / l  # noqa: E731
    assert ex.check_step_factor(right)
    assert not ex.check_step_factor(wrong)
    assert not ex.check_step_factor(None)
    assert not ex.check_step_factor(0.5)
    assert not ex.check_step_factor(lambda *a: 1 / 0)  # reader's error reported, not raised


def test_factor_limit_check():
    assert ex.check_factor_limit(np.sqrt(2 / 11))
    assert not ex.check_factor_limit(0.0)
    assert not ex.check_factor_limit(2 / 11)
    assert not ex.check_factor_limit(None)


def test_last_step_check():
    assert ex.check_last_step((0, 1))
    assert not ex.check_last_step((1, 0))
    assert not ex.check_last_step(None)
    assert "Not yet" in repr(ex.check_last_step([0.5]))


def test_brownian_checks():
    assert ex.check_brownian_coefficient(lambda s, t: (s / t) ** 2)
    v = ex.check_brownian_coefficient(lambda s, t: s / t)
    assert not v and "shared" in v.message
    assert not ex.check_brownian_coefficient(None)
    assert ex.check_brownian_variance(0.2)
    assert not ex.check_brownian_variance(1.0)
    assert not ex.check_brownian_variance(None)
