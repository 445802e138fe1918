"""Self-checks for the chapter 2 exercises (Tweedie's formula, the two-point prior, MMSE).

Each ``check_*`` returns a ``Verdict``: truthy when the answer is right, with a message that
never reveals the expected value. ``None`` (no answer yet) gives a friendly "Not yet".
"""

from __future__ import annotations

import numpy as np

from ._core import Verdict, close_enough

# Exercise 1: a 1-D Gaussian prior x ~ N(m, s2), observed x_t = x + t g.
EX1 = {"m": 1.0, "s2": 4.0, "t": 1.5, "x_t": 3.0}
# Exercise 2: the two-point prior x uniform on {-1, +1}.
EX2 = {"t": 0.8, "x_t": 0.5}
# Exercise 3: the minimum mean-squared error of the two-point prior at this t.
EX3 = {"t": 1.0, "atol": 5e-3}
# Exercise 4: noise prediction in VP at this t, for a denoiser with this mean-squared error.
EX4 = {"t": 0.6, "denoiser_mse": 0.2}


def _missing(*answers) -> Verdict | None:
    if any(a is None for a in answers):
        return Verdict(False, "no answer yet: replace None with your number.")
    return None


def _ex1_expected():
    m, s2, t, xt = EX1["m"], EX1["s2"], EX1["t"], EX1["x_t"]
    var_t = s2 + t * t  # x_t ~ N(m, s2 + t^2)
    score = -(xt - m) / var_t
    return m + s2 / var_t * (xt - m), score


def check_gaussian_tweedie(posterior_mean, score) -> Verdict:
    """Exercise 1: for x ~ N(m, s2) and x_t = x + t g, the score of p_t at x_t and E[x | x_t]
    (values in ``EX1``). The two must also satisfy Tweedie's formula (chapter 2, eq. 4)."""
    missing = _missing(posterior_mean, score)
    if missing is not None:
        return missing
    mean_exp, score_exp = _ex1_expected()
    v_score = close_enough(score, score_exp, rtol=1e-4, atol=1e-6, name="score",
                           hint="x_t is Gaussian too: what are its mean and variance?")
    if not v_score:
        return v_score
    v_mean = close_enough(posterior_mean, mean_exp, rtol=1e-4, atol=1e-6, name="posterior mean",
                          hint="Try Tweedie: x_t + t^2 * score.")
    if not v_mean:
        return v_mean
    return Verdict(True, "score and posterior mean match, and they satisfy Tweedie's formula.")


def two_point_expected():
    """The value checked in exercise 2 (used by the tests; the notebook never prints it)."""
    return float(np.tanh(EX2["x_t"] / EX2["t"] ** 2))


def check_two_point(answer) -> Verdict:
    """Exercise 2: E[x | x_t] for x uniform on {-1, +1} at the t and x_t of ``EX2``."""
    missing = _missing(answer)
    if missing is not None:
        return missing
    wrong_sign = close_enough(answer, -two_point_expected(), rtol=1e-4, atol=1e-6)
    if wrong_sign:
        return Verdict(False, "the sign is off: should a positive x_t point to +1 or to -1?")
    return close_enough(answer, two_point_expected(), rtol=1e-4, atol=1e-6, name="E[x | x_t]",
                        hint="Compute Pr[x = +1 | x_t] by Bayes first.")


def two_point_mmse(t, n_nodes=80):
    """E[(x - tanh(x_t / t^2))^2] for x uniform on {-1, +1}, by Gauss-Hermite quadrature.

    By symmetry condition on x = +1: x_t = 1 + t g with g ~ N(0, 1).
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_nodes)
    weights = weights / weights.sum()
    return float(weights @ (1.0 - np.tanh((1.0 + t * nodes) / (t * t))) ** 2)


def check_two_point_mmse(answer) -> Verdict:
    """Exercise 3: the minimum mean-squared error of the two-point prior at ``EX3['t']``
    (accepted within ``EX3['atol']``, so a Monte Carlo estimate with ~1e5 samples passes)."""
    missing = _missing(answer)
    if missing is not None:
        return missing
    return close_enough(answer, two_point_mmse(EX3["t"]), rtol=0.0, atol=EX3["atol"],
                        name="MMSE",
                        hint="It equals 1 - E[xbar^2] by orthogonality; check your Monte Carlo "
                        "error is below 0.005.")


def check_noise_prediction_mse(answer) -> Verdict:
    """Exercise 4: E||g - gbar||^2 in VP at ``EX4['t']`` for a denoiser with mean-squared
    error ``EX4['denoiser_mse']`` (chapter 2, noise prediction)."""
    missing = _missing(answer)
    if missing is not None:
        return missing
    t = EX4["t"]
    alpha2, sigma2 = 1.0 - t * t, t * t
    expected = alpha2 / sigma2 * EX4["denoiser_mse"]
    inverse = sigma2 / alpha2 * EX4["denoiser_mse"]
    if close_enough(answer, inverse, rtol=1e-4):
        return Verdict(False, "the factor is upside down: write g - gbar in terms of x - xbar.")
    return close_enough(answer, expected, rtol=1e-4, atol=1e-8, name="noise-prediction MSE",
                        hint="Use g = (x_t - alpha x) / sigma.")


__all__ = [
    "EX1",
    "EX2",
    "EX3",
    "EX4",
    "check_gaussian_tweedie",
    "check_noise_prediction_mse",
    "check_two_point",
    "check_two_point_mmse",
    "two_point_expected",
    "two_point_mmse",
]
