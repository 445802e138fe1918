"""Self-checks for the chapter 1 exercises (entropy, plug-in bias, h(x_t), coding rate, KL).

Each check computes the expected value with ``course_utils.entropy`` and compares it with the
reader's answer through ``close_enough``, so it says "right" or "not yet" without printing it.
"""

from __future__ import annotations

import numpy as np

from ..entropy import coding_rate, gaussian_entropy_t_derivative, gaussian_kl, miller_madow_bias
from ..entropy import entropy as _entropy
from ._core import Verdict, close_enough

# Exercise 1: a dyadic distribution on five symbols.
EX1_P = np.array([0.5, 0.25, 0.125, 0.0625, 0.0625])
# Exercise 2: plug-in bias for m equally likely symbols and n samples (bits).
EX2_M, EX2_N = 16, 200
# Exercise 3: derivative of h(x_t) for a Gaussian with these eigenvalues, at this t (nats).
EX3_EIGENVALUES = np.array([2.0, 1.0, 0.0])
EX3_T = 0.5
# Exercise 4: coding rate of three points in the plane (rows), nats.
EX4_X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
EX4_EPS = 0.5
# Exercise 5: KL(N(0, 1) || N(1, 4)) in nats.
EX5_P = (np.zeros(1), np.eye(1))
EX5_Q = (np.ones(1), 4.0 * np.eye(1))


def _check(answer, expected, what: str, **kwargs) -> Verdict:
    if answer is None:
        return Verdict(False, f"replace None with your {what}.")
    return close_enough(answer, expected, **kwargs)


def check_entropy_bits(answer) -> Verdict:
    """Exercise 1: H of p = (1/2, 1/4, 1/8, 1/16, 1/16) in bits."""
    return _check(
        answer,
        _entropy(EX1_P, base=2),
        "entropy in bits",
        rtol=1e-4,
        name="H in bits",
        hint="Each symbol contributes p_j * log2(1/p_j); log2(1/p_j) is an integer here.",
    )


def check_plugin_bias(answer) -> Verdict:
    """Exercise 2: leading bias E[H_hat] - H (bits) of the plug-in entropy, m = 16, n = 200."""
    return _check(
        answer,
        miller_madow_bias(EX2_M, EX2_N, base=2),
        "predicted bias in bits",
        rtol=0.02,
        name="bias",
        hint="Mind the sign (the plug-in estimate is too small) and the unit (bits, not nats).",
    )


def check_entropy_derivative(answer) -> Verdict:
    """Exercise 3: dh(x_t)/dt in nats at t = 1/2 for eigenvalues (2, 1, 0)."""
    return _check(
        answer,
        gaussian_entropy_t_derivative(EX3_EIGENVALUES, EX3_T),
        "derivative dh/dt",
        rtol=1e-4,
        name="dh/dt",
        hint="Differentiate 1/2 log(lambda_i + t^2) for each direction and add.",
    )


def check_coding_rate(answer) -> Verdict:
    """Exercise 4: R_eps(X) in nats for the three points EX4_X at eps = 1/2."""
    return _check(
        answer,
        coding_rate(EX4_X, EX4_EPS),
        "coding rate in nats",
        rtol=1e-4,
        name="R_eps",
        hint="Here D = 2 and N = 3; find the eigenvalues of X^T X first.",
    )


def check_gaussian_kl(answer) -> Verdict:
    """Exercise 5: KL(N(0, 1) || N(1, 4)) in nats."""
    return _check(
        answer,
        gaussian_kl(*EX5_P, *EX5_Q),
        "KL divergence in nats",
        rtol=1e-4,
        name="KL",
        hint="KL = cross-entropy minus h(p); both have closed forms for Gaussians.",
    )


CHECKS = {
    "entropy_bits": check_entropy_bits,
    "plugin_bias": check_plugin_bias,
    "entropy_derivative": check_entropy_derivative,
    "coding_rate": check_coding_rate,
    "gaussian_kl": check_gaussian_kl,
}
