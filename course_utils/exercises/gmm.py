"""Self-checks for the chapter-3 exercises (the Gaussian-mixture denoiser and attention form).

Each ``check_*`` returns a ``Verdict``: truthy when the answer is right, with a message that
never reveals the expected value. ``None`` (the notebook's placeholder) gives "Not yet".
"""

from __future__ import annotations

import numpy as np

from ._core import Verdict, close_enough

# Exercise 1: contraction factors of a single Gaussian (chapter 3, eq. 9)
EX1_EIGENVALUES = (9.0, 4.0, 1.0, 0.0)
EX1_T = 2.0
EX1_SHRINK = 1000.0  # part 2: repetitions that shrink ||x - mu|| by this factor at worst

# Exercise 3: the unequal-weight, unequal-rank correction (chapter 3, Going further B)
EX3_WEIGHTS = (0.5, 0.3, 0.2)
EX3_RANKS = (1, 2, 4)
EX3_T = 0.5

# Exercise 4: when is the unweighted attention form (source eq. 13, simplified) exact?
CONDITIONS = {
    "a": "all mixture weights pi_k are equal",
    "b": "all ranks P_k are equal",
    "c": "each covariance is U_k U_k^T with U_k having orthonormal columns",
    "d": "the subspaces are mutually orthogonal (U_j^T U_k = 0 for j != k)",
    "e": "all means mu_k are zero",
    "f": "the number of components is at most the dimension (K <= D)",
    "g": "the noise level is small (t < 1)",
}
_EXACT = frozenset("abce")


def _none(answer, what):
    if answer is None:
        return Verdict(False, f"replace None with {what}.")
    return None


def check_contraction_factors(answer) -> Verdict:
    """Exercise 1: the factors lambda_i / (lambda_i + t^2) for EX1_EIGENVALUES at t = EX1_T."""
    v = _none(answer, f"a list of {len(EX1_EIGENVALUES)} numbers, one per eigenvalue")
    if v is not None:
        return v
    lam = np.array(EX1_EIGENVALUES)
    expected = lam / (lam + EX1_T**2)
    return close_enough(answer, expected, rtol=1e-6, atol=1e-9, name="factors",
                        hint="Each factor is the variance of the signal over the variance of "
                             "signal plus noise in that direction.")


def check_repetitions(answer) -> Verdict:
    """Exercise 1, part 2: the smallest whole number n of fixed-t repetitions with
    f_max^n <= 1 / EX1_SHRINK, where f_max is the largest factor (chapter 3, eq. 9)."""
    v = _none(answer, "a whole number of repetitions")
    if v is not None:
        return v
    try:
        a = float(answer)
    except (TypeError, ValueError):
        return Verdict(False, "the number of repetitions should be a number.")
    if not np.isfinite(a) or a != int(a):
        return Verdict(False, "give a whole number of repetitions.")
    lam = np.array(EX1_EIGENVALUES)
    f_max = (lam / (lam + EX1_T**2)).max()
    n = int(a)
    if n >= 1 and f_max**n <= 1 / EX1_SHRINK < f_max ** (n - 1):
        return Verdict(True, "the smallest number of repetitions that is enough.")
    if n >= 1 and f_max**n <= 1 / EX1_SHRINK:
        return Verdict(False, "enough, but not the smallest number.")
    return Verdict(False, "not enough yet: the worst case is the direction with the largest "
                          "factor, shrunk by that factor at every repetition.")


def check_smw_coefficients(answer) -> Verdict:
    """Exercise 2: a function t -> (a, b) with (U U^T + t^2 I)^{-1} = a I + b U U^T.

    Checked at several t against a dense inverse for a random orthonormal U (D=5, P=2).
    """
    v = _none(answer, "a function of t returning the pair (a, b)")
    if v is not None:
        return v
    if not callable(answer):
        return Verdict(False, "the answer should be a function of t returning (a, b).")
    rng = np.random.default_rng(2024)
    u, _ = np.linalg.qr(rng.standard_normal((5, 2)))
    uu = u @ u.T
    for t in (0.3, 1.0, 2.5):
        try:
            a, b = (float(z) for z in answer(t))
        except Exception as exc:  # the reader's code failing is a "not yet", not a crash
            return Verdict(False, f"calling your function at t={t} failed ({exc!r}).")
        inv = np.linalg.inv(uu + t * t * np.eye(5))
        if not np.allclose(a * np.eye(5) + b * uu, inv, rtol=1e-8, atol=1e-10):
            return Verdict(False, f"(a, b) at t={t} does not give the inverse. Try the identity "
                                  "on U U^T (eigenvalue 1) and on its complement (eigenvalue 0).")
    return Verdict(True, "(a, b) gives the inverse at every t tested.")


def check_rank_correction(answer) -> Verdict:
    """Exercise 3: the K logit offsets (beyond ||U_k^T x||^2 / (2 t^2 (1 + t^2))) for
    EX3_WEIGHTS, EX3_RANKS at t = EX3_T. Any common additive constant is accepted."""
    v = _none(answer, f"a list of {len(EX3_RANKS)} numbers, one offset per component")
    if v is not None:
        return v
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return Verdict(False, "offsets should be a list of numbers.")
    p = np.array(EX3_RANKS, dtype=float)
    expected = np.log(EX3_WEIGHTS) + 0.5 * p * np.log(EX3_T**2 / (1 + EX3_T**2))
    if a.shape != expected.shape:
        return Verdict(False, f"offsets should have shape {expected.shape}, got {a.shape}.")
    if not np.all(np.isfinite(a)):
        return Verdict(False, "offsets contain NaN or inf.")
    # softmax ignores a common shift: compare after removing the mean
    return close_enough(a - a.mean(), expected - expected.mean(), rtol=1e-6, atol=1e-8,
                        name="offsets (up to a common constant)",
                        hint="Collect what the weight pi_k and the determinant contribute.")


def check_attention_conditions(answer) -> Verdict:
    """Exercise 4: the set of letters of CONDITIONS that together make the unweighted form
    softmax_k(||U_k^T x_t||^2 / (2 t^2 (1 + t^2))) exact (needed, and no more)."""
    v = _none(answer, "a set of letters such as {'a', 'b'}")
    if v is not None:
        return v
    try:
        chosen = frozenset(str(c).strip().lower() for c in answer)
    except TypeError:
        return Verdict(False, "give an iterable of letters, e.g. {'a', 'b'}.")
    unknown = chosen - set(CONDITIONS)
    if unknown:
        return Verdict(False, f"unknown letters {sorted(unknown)}; "
                              f"choose from {sorted(CONDITIONS)}.")
    if chosen == _EXACT:
        return Verdict(True, "exactly the needed conditions.")
    missing, extra = len(_EXACT - chosen), len(chosen - _EXACT)
    return Verdict(False, f"{missing} needed condition(s) missing and {extra} unnecessary one(s) "
                          "included. Test a candidate numerically: break it and see if the "
                          "weights change.")
