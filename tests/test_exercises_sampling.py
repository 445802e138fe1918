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


def test_steps_to_limit_check():
    """Chapter 5, exercise 2: the smallest L with prod c_(l,L) >= 0.99 sqrt(lam/(lam+T^2))."""
    from course_utils.sampler_analysis import ve_factor_limit, ve_factor_product

    want = ex.steps_to_fraction_of_limit(0.1, 1.0, 0.99)
    lim = ve_factor_limit(0.1, 1.0)
    prods = ve_factor_product(np.array([0.1]), 1.0, np.array([want - 1, want]))[0]
    assert prods[0] < 0.99 * lim <= prods[1]  # the answer is the first L over the line
    assert want == 123
    assert ex.check_steps_to_limit(want) and ex.check_steps_to_limit(float(want))
    assert not ex.check_steps_to_limit(want - 1) and not ex.check_steps_to_limit(want + 1)
    assert "too few" in ex.check_steps_to_limit(10).message
    assert not ex.check_steps_to_limit(None) and not ex.check_steps_to_limit(122.5)
    assert not ex.check_steps_to_limit("many")
