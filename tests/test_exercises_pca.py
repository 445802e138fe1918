"""Chapter 4 exercise self-checks: right answers pass, wrong ones fail, None fails politely."""

import numpy as np

from course_utils.exercises import pca as E
from course_utils.exercises._core import Verdict


def test_conditional_loss():
    # x = (2,-1,1), V V^T x = (2,0,0), c = 1/2: ||(1,-1,1)||^2 + c^2 t^2 P = 3 + 0.5
    assert E.check_conditional_loss(3.5)
    assert not E.check_conditional_loss(3.0)  # the source's formula without the noise term
    v = E.check_conditional_loss(None)
    assert isinstance(v, Verdict) and not v and "None" in repr(v)
    assert not E.check_conditional_loss("abc")


def test_principal_angles():
    assert E.check_principal_angles([np.pi / 4, np.pi / 3])
    assert not E.check_principal_angles([np.pi / 3, np.pi / 4])
    assert "ascending" in repr(E.check_principal_angles([np.pi / 3, np.pi / 4]))
    assert "degrees" in repr(E.check_principal_angles([45.0, 60.0]))
    assert not E.check_principal_angles([0.5, 1.0])
    assert not E.check_principal_angles([np.pi / 4])
    assert not E.check_principal_angles(None)


def test_min_loss():
    # sum 6.5 + (c^2 - 2c) * (3 + 2) + c^2 t^2 P with c = 0.2: 6.5 - 1.8 + 0.32
    assert E.check_min_loss(5.02)
    assert not E.check_min_loss(4.7)  # noise term dropped
    assert not E.check_min_loss(None)


def test_mmse_gap():
    assert E.check_mmse_gap([1.5, 2.0625])
    assert not E.check_mmse_gap([2.0625, 1.5])
    assert not E.check_mmse_gap(1.5)
    assert not E.check_mmse_gap(None)


def test_messages_do_not_reveal_answers():
    for v in (E.check_conditional_loss(0.0), E.check_min_loss(0.0), E.check_mmse_gap([0, 0])):
        text = repr(v)
        assert "3.5" not in text and "5.02" not in text and "2.0625" not in text
