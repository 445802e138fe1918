"""Tests for the chapter 1 self-checks: right answers pass, wrong ones fail, None fails gently."""

import numpy as np
import pytest

from course_utils.exercises import entropy as X

RIGHT = {
    "entropy_bits": 1.875,  # 1/2*1 + 1/4*2 + 1/8*3 + 2 * 1/16*4
    "plugin_bias": -15 / (2 * 200 * np.log(2)),  # -(m-1)/(2 n ln 2) bits
    "entropy_derivative": 0.5 / 2.25 + 0.5 / 1.25 + 0.5 / 0.25,  # sum t/(lambda + t^2)
    "coding_rate": 0.5 * np.log(33.0),  # eigenvalues 3, 1 of X^T X; c = 8/3
    "gaussian_kl": np.log(2.0) + 2.0 / 8.0 - 0.5,
}
WRONG = {
    "entropy_bits": 2.0,
    "plugin_bias": 15 / (2 * 200 * np.log(2)),  # wrong sign
    "entropy_derivative": 0.5 / 2.25 + 0.5 / 1.25,  # forgot the empty direction
    "coding_rate": np.log(33.0),  # forgot the 1/2
    "gaussian_kl": np.log(2.0) + 1.0 / 8.0 - 0.5,  # forgot the mean term
}


@pytest.mark.parametrize("name", sorted(X.CHECKS))
def test_check(name):
    check = X.CHECKS[name]
    ok = check(RIGHT[name])
    assert ok and repr(ok).startswith("Correct")
    bad = check(WRONG[name])
    assert not bad and repr(bad).startswith("Not yet")
    none = check(None)
    assert not none and "None" in repr(none)
    assert not check("not a number")
    # the message never reveals the expected value
    assert f"{RIGHT[name]:.3f}" not in repr(bad)
