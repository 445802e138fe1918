"""Self-checks for the chapter 5 exercises (iterative denoising, the VE sampler).

Each check returns a ``Verdict`` that says whether the answer is right without revealing the
expected value. ``None`` (the notebook's placeholder) gives "Not yet" without an error.
"""

from __future__ import annotations

import numpy as np

from ..sampler_analysis import ve_factor_limit, ve_factor_product, ve_step_factors
from ._core import Verdict, close_enough

# Points at which a reader's function is compared with the true formula.
_FACTOR_CASES = ((0.5, 1.0, 10, 3), (2.0, 5.0, 50, 1), (0.1, 2.0, 7, 7), (3.0, 0.5, 4, 2))
_COUPLING_CASES = ((0.5, 1.0), (1.0, 3.0), (0.2, 0.3), (2.0, 5.0))

LIMIT_LAM, LIMIT_T = 2.0, 3.0
STEPS_LAM, STEPS_T, STEPS_FRACTION = 0.1, 1.0, 0.99
BROWNIAN_LAM, BROWNIAN_T, BROWNIAN_L = 1.0, 2.0, 10


def _call(fn, args, name):
    try:
        return float(fn(*args)), None
    except Exception as exc:  # the reader's code: report, never crash the notebook
        return None, Verdict(False, f"{name} raised {type(exc).__name__}: {exc}")


def check_step_factor(fn) -> Verdict:
    """Exercise 1: ``fn(lam, T, L, l)`` must return the VE step factor c_{l,L} (chapter 5,
    section 6)."""
    if fn is None:
        return Verdict(False, "write a function c(lam, T, L, l) and pass it in.")
    if not callable(fn):
        return Verdict(False, "pass a function c(lam, T, L, l), not a value.")
    for lam, T, L, l in _FACTOR_CASES:
        got, err = _call(fn, (lam, T, L, l), "your function")
        if err is not None:
            return err
        want = float(ve_step_factors(lam, T, L)[l - 1])
        if not close_enough(got, want, rtol=1e-8, atol=1e-10):
            return Verdict(
                False,
                f"c(lam={lam}, T={T}, L={L}, l={l}) does not match. Hint: at t_l the denoiser "
                "multiplies the coordinate by lam/(lam + t_l^2); mix it with the identity.",
            )
    return Verdict(True, f"your c_(l,L) matches at {len(_FACTOR_CASES)} test points.")


def check_factor_limit(answer) -> Verdict:
    """Exercise 2: the limit of prod_l c_{l,L} as L -> inf for lam = 2, T = 3."""
    if answer is None:
        return Verdict(False, "enter a number for the limit (lam = 2, T = 3).")
    return close_enough(
        answer,
        float(ve_factor_limit(LIMIT_LAM, LIMIT_T)),
        rtol=1e-4,
        atol=1e-6,
        name="the limit",
        hint="Take logs and turn the sum over l into an integral over tau = T l / L.",
    )


def steps_to_fraction_of_limit(lam, T, fraction, L_max=1_000_000):
    """Smallest L with prod_l c_(l,L) >= fraction * sqrt(lam / (lam + T^2)) (chapter 5,
    section 6). The product increases with L, so a doubling search followed by bisection
    needs only O(log L) products. Raises ValueError if L_max is not enough."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1), got {fraction!r}")
    target = fraction * float(ve_factor_limit(lam, T))

    def reached(L):
        return float(ve_factor_product(float(lam), float(T), int(L))) >= target

    hi = 1
    while not reached(hi):
        if hi >= L_max:
            raise ValueError(f"no L <= L_max={L_max} reaches the fraction {fraction}")
        hi = min(2 * hi, int(L_max))
    lo = hi // 2  # reached(lo) is False (or lo == 0)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if reached(mid):
            hi = mid
        else:
            lo = mid
    return int(hi)


def check_steps_to_limit(answer) -> Verdict:
    """Exercise 2: the smallest L whose factor product reaches 99% of its limit
    (lam = 0.1, T = 1)."""
    if answer is None:
        return Verdict(False, "enter a whole number of steps L (lam = 0.1, T = 1).")
    try:
        a = float(answer)
    except (TypeError, ValueError):
        return Verdict(False, "the number of steps should be a whole number.")
    if not np.isfinite(a) or a != round(a):
        return Verdict(False, "the number of steps should be a whole number.")
    want = steps_to_fraction_of_limit(STEPS_LAM, STEPS_T, STEPS_FRACTION)
    if int(a) == want:
        return Verdict(True, "the number of steps matches.")
    if int(a) > want:
        return Verdict(False, "too many: a smaller L already reaches 99% of the limit.")
    return Verdict(False, "too few: at that L the product is still below 99% of the limit.")


def check_last_step(answer) -> Verdict:
    """Exercise 3: the weights (on the iterate, on the denoiser output) of the l = 1 step."""
    if answer is None:
        return Verdict(False, "enter a pair (weight on x_hat, weight on the denoiser output).")
    return close_enough(
        answer,
        np.array([0.0, 1.0]),
        atol=1e-12,
        name="the pair of weights",
        hint="Put l = 1 into (1 - 1/l, 1/l), or s = t_0 = 0 into (s/t, 1 - s/t).",
    )


def check_brownian_coefficient(fn) -> Verdict:
    """Exercise 4a: ``fn(s, t)`` = coefficient of x_t in E[x_s | x_t], Brownian coupling."""
    if fn is None:
        return Verdict(False, "write a function coef(s, t) and pass it in.")
    if not callable(fn):
        return Verdict(False, "pass a function coef(s, t), not a value.")
    for s, t in _COUPLING_CASES:
        got, err = _call(fn, (s, t), "your function")
        if err is not None:
            return err
        if not close_enough(got, (s / t) ** 2, rtol=1e-8, atol=1e-12):
            if close_enough(got, s / t, rtol=1e-8, atol=1e-12):
                return Verdict(False, "that is the shared-noise coefficient; the increments "
                                      "are independent here, so Cov(x_s, x_t) changes.")
            return Verdict(False, f"coef(s={s}, t={t}) does not match. Hint: compute "
                                  "Cov(x_s, x_t) and Var(x_t) for the Brownian coupling.")
    return Verdict(True, f"your coefficient matches at {len(_COUPLING_CASES)} test points.")


def check_brownian_variance(answer) -> Verdict:
    """Exercise 4b: output variance of the Brownian posterior-mean chain, 1-D N(0, lam),
    started exactly from N(0, lam + T^2), with lam = 1, T = 2, L = 10."""
    if answer is None:
        return Verdict(False, "enter the output variance (lam = 1, T = 2, L = 10).")
    lam, T = BROWNIAN_LAM, BROWNIAN_T
    return close_enough(
        answer,
        lam * lam / (lam + T * T),
        rtol=1e-6,
        atol=1e-9,
        name="the variance",
        hint="Write each step's factor as a ratio; the product telescopes.",
    )
