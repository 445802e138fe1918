"""Self-checks for the chapter-8 exercises (inference with a learned model).

Each ``check_*`` returns a ``Verdict``: truthy when the answer is right, with a message that
never reveals the expected value. ``None`` (the notebook's placeholder) gives "Not yet".
"""

from __future__ import annotations

import numpy as np

from ._core import Verdict, close_enough

# Exercise 1: the posterior weight of a component from y (chapter 8, eq. 8.4), in 1-D:
# prior 0.5 N(-1, 0.25) + 0.5 N(2, 1), measurement y = x + sigma_y w.
EX1_WEIGHTS = (0.5, 0.5)
EX1_MEANS = (-1.0, 2.0)
EX1_VARIANCES = (0.25, 1.0)
EX1_SIGMA_Y = 0.5
EX1_Y = 0.5

# Exercise 2: the DPS over-weighting factor in the 2-D example (chapter 8, section 4):
# Sigma = diag(1, 1/4), A = e_1^T, the book's VE schedule (alpha_t = 1, sigma_t = t).
EX2_LAMBDA = 1.0  # prior variance of the measured coordinate
EX2_T = 0.3
EX2_SIGMA_Y = 0.2

# Exercise 3: the coefficients guidance puts on each subspace (chapter 8, section 6).
EX3_GAMMA = 3.0
EX3_RESPONSIBILITIES = (0.2, 0.5, 0.3)  # unconditional softmax weights w_k(x_t)
EX3_CLASS = 0


def _none(answer, what):
    if answer is None:
        return Verdict(False, f"replace None with {what}.")
    return None


def _normal_logpdf(x, mean, var):
    return -0.5 * (np.log(2 * np.pi * var) + (x - mean) ** 2 / var)


def posterior_weight_exercise():
    """The posterior weight of the second component (mean 2) given y = EX1_Y."""
    logw = np.array([np.log(p) + _normal_logpdf(EX1_Y, m, v + EX1_SIGMA_Y**2)
                     for p, m, v in zip(EX1_WEIGHTS, EX1_MEANS, EX1_VARIANCES, strict=True)])
    w = np.exp(logw - logw.max())
    return float(w[1] / w.sum())


def check_posterior_weight(answer) -> Verdict:
    """Exercise 1: Pr[component 2 | y] for the prior 0.5 N(-1, 0.25) + 0.5 N(2, 1) and
    y = x + 0.5 w observed at y = 0.5."""
    v = _none(answer, "a number between 0 and 1")
    if v is not None:
        return v
    try:
        a = float(answer)
    except (TypeError, ValueError):
        return Verdict(False, "the weight should be a single number.")
    if not 0.0 <= a <= 1.0:
        return Verdict(False, "a posterior weight lies between 0 and 1.")
    return close_enough(a, posterior_weight_exercise(), rtol=1e-4, atol=1e-6,
                        name="posterior weight",
                        hint="Under component k, y is Gaussian with mean mu_k and variance "
                             "lambda_k + sigma_y^2; weigh pi_k by that density and normalize.")


def dps_overweighting_exercise():
    """1 + A C_t A^T / sigma_y^2 with C_t = lambda sigma^2 / (alpha^2 lambda + sigma^2) (VE)."""
    a2, s2 = 1.0, EX2_T**2
    c = EX2_LAMBDA * s2 / (a2 * EX2_LAMBDA + s2)
    return 1.0 + c / EX2_SIGMA_Y**2


def check_dps_overweighting(answer) -> Verdict:
    """Exercise 2: the factor (A C_t A^T + sigma_y^2) / sigma_y^2 by which DPS over-weights the
    measurement in the 2-D example at VE t = EX2_T, sigma_y = EX2_SIGMA_Y."""
    v = _none(answer, "a number (the ratio of the two innovation variances)")
    if v is not None:
        return v
    return close_enough(answer, dps_overweighting_exercise(), rtol=1e-4, atol=1e-8,
                        name="over-weighting factor",
                        hint="C_t is the variance of x_1 given x_t: lambda sigma^2 / "
                             "(alpha^2 lambda + sigma^2), with alpha = 1 and sigma = t in VE.")


def guidance_coefficients_exercise():
    """Coefficients (in units of c_t) on U_k U_k^T x_t of the guided denoiser."""
    w = np.array(EX3_RESPONSIBILITIES)
    coef = (1.0 - EX3_GAMMA) * w
    coef[EX3_CLASS] += EX3_GAMMA
    return coef


def check_guidance_coefficients(answer) -> Verdict:
    """Exercise 3: the coefficient of each U_k U_k^T x_t (in units of c_t) in the CFG denoiser
    with gamma = EX3_GAMMA, class EX3_CLASS, unconditional weights EX3_RESPONSIBILITIES."""
    v = _none(answer, f"a list of {len(EX3_RESPONSIBILITIES)} numbers, one per subspace")
    if v is not None:
        return v
    return close_enough(answer, guidance_coefficients_exercise(), rtol=1e-6, atol=1e-9,
                        name="coefficients",
                        hint="Write the unconditional denoiser as a weighted sum over k and "
                             "the conditional one as the term k = y alone, then combine.")
