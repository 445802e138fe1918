"""Chapter-3 exercise self-checks: the right answer passes, wrong ones fail, None is handled."""

import numpy as np

from course_utils.exercises import gmm as ex


def test_contraction_factors():
    lam = np.array(ex.EX1_EIGENVALUES)
    right = lam / (lam + ex.EX1_T**2)
    assert ex.check_contraction_factors(right)
    assert ex.check_contraction_factors(list(right))
    assert not ex.check_contraction_factors(lam / (lam + ex.EX1_T))  # t instead of t^2
    assert not ex.check_contraction_factors(right[:-1])
    v = ex.check_contraction_factors(None)
    assert not v and repr(v).startswith("Not yet")
    # the message never shows the expected numbers
    assert f"{right[0]:.3f}" not in repr(ex.check_contraction_factors([0, 0, 0, 0]))


def test_repetitions():
    lam = np.array(ex.EX1_EIGENVALUES)
    f_max = (lam / (lam + ex.EX1_T**2)).max()
    n = int(np.ceil(np.log(ex.EX1_SHRINK) / np.log(1 / f_max)))
    assert f_max**n <= 1 / ex.EX1_SHRINK < f_max ** (n - 1)
    assert ex.check_repetitions(n)
    assert ex.check_repetitions(float(n))
    assert not ex.check_repetitions(n - 1)  # not enough
    assert not ex.check_repetitions(n + 1)  # enough, not the smallest
    assert not ex.check_repetitions(n + 0.5)
    assert not ex.check_repetitions("many")
    assert not ex.check_repetitions(None)
    assert str(n) not in repr(ex.check_repetitions(0))


def test_smw_coefficients():
    def right(t):
        return 1 / t**2, -1 / (t**2 * (1 + t**2))

    assert ex.check_smw_coefficients(right)
    assert not ex.check_smw_coefficients(lambda t: (1 / t**2, -1 / (1 + t**2)))
    assert not ex.check_smw_coefficients(lambda t: (1 / t**2, 0.0))
    assert not ex.check_smw_coefficients((1.0, 2.0))  # not a function
    assert not ex.check_smw_coefficients(lambda t: 1 / 0)  # reader's error -> Not yet
    assert not ex.check_smw_coefficients(None)


def test_rank_correction():
    t, p = ex.EX3_T, np.array(ex.EX3_RANKS)
    right = np.log(ex.EX3_WEIGHTS) + 0.5 * p * np.log(t**2 / (1 + t**2))
    assert ex.check_rank_correction(right)
    assert ex.check_rank_correction(right + 7.3)  # softmax ignores a common shift
    assert not ex.check_rank_correction(np.log(ex.EX3_WEIGHTS))  # rank term forgotten
    assert not ex.check_rank_correction(right * 2)
    assert not ex.check_rank_correction(
        np.log(ex.EX3_WEIGHTS) - 0.5 * p * np.log(t**2 / (1 + t**2)))  # wrong sign
    assert not ex.check_rank_correction([1.0, 2.0])
    assert not ex.check_rank_correction("abc")
    assert not ex.check_rank_correction(None)


def test_attention_conditions():
    assert ex.check_attention_conditions({"a", "b", "c", "e"})
    assert ex.check_attention_conditions(["A", "b ", "c", "e"])
    assert not ex.check_attention_conditions({"a", "b", "c"})  # means forgotten
    assert not ex.check_attention_conditions({"a", "b", "c", "d", "e"})  # orthogonality extra
    assert not ex.check_attention_conditions({"z"})
    assert not ex.check_attention_conditions(3)
    assert not ex.check_attention_conditions(None)


def test_conditions_match_the_mathematics():
    """Each listed necessary condition really matters, each extra one really does not."""
    import course_utils as cu

    rng = np.random.default_rng(0)
    d = 5

    def basis(p):
        return np.linalg.qr(rng.standard_normal((d, p)))[0]

    x = rng.standard_normal((50, d)) * 2
    t = 0.6

    def naive(us):
        proj = np.stack([((x @ u) ** 2).sum(1) for u in us], 1)
        z = proj / (2 * t * t * (1 + t * t))
        w = np.exp(z - z.max(1, keepdims=True))
        return w / w.sum(1, keepdims=True)

    us = [basis(2), basis(2), basis(2)]  # not mutually orthogonal (d), K <= D (f) irrelevant
    exact = cu.responsibilities(cu.GaussianMixture.low_rank(us), x, t)
    assert np.abs(naive(us) - exact).max() < 1e-12
    us6 = [basis(1) for _ in range(7)]  # K = 7 > D = 5 and t < 1: still exact
    assert np.abs(naive(us6) - cu.responsibilities(cu.GaussianMixture.low_rank(us6), x, t)).max() \
        < 1e-12
    # (a) unequal weights, (b) unequal ranks, (c) non-unit variances, (e) non-zero means break it
    broken = [
        cu.GaussianMixture.low_rank(us, weights=[0.6, 0.3, 0.1]),
        cu.GaussianMixture.low_rank([basis(1), basis(2), basis(3)]),
        cu.GaussianMixture.low_rank(us, variances=[np.full(2, 4.0)] * 3),
        cu.GaussianMixture.low_rank(us, means=rng.standard_normal((3, d))),
    ]
    for gmm, uu in zip(broken, [us, None, us, us], strict=True):
        bases = [b for _, b, _ in gmm.components()] if uu is None else uu
        assert np.abs(naive(bases) - cu.responsibilities(gmm, x, t)).max() > 0.05
