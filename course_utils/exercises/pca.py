"""Self-checks for the chapter 4 exercises (learning the denoiser is PCA).

Each ``check_*`` returns a ``Verdict`` saying whether the reader's answer is right, without
printing the expected value. The problem data are module constants, shown in the notebook.
"""

from __future__ import annotations

import numpy as np

from ..pca import linear_mmse, principal_angles, restricted_min_loss, shrinkage
from ._core import Verdict, close_enough

# Exercise 1: the conditional loss E_g ||x - c V V^T (x + t g)||^2 for one fixed x
# (chapter 4, section 2).
EX1_X = np.array([2.0, -1.0, 1.0])
EX1_V = np.array([[1.0, 0.0], [0.0, 1.0 / np.sqrt(2.0)], [0.0, 1.0 / np.sqrt(2.0)]])
EX1_T = 1.0

# Exercise 2: principal angles between span(U) and span(V) in R^4 (radians, ascending).
EX2_U = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
EX2_V = np.array(
    [
        [1.0 / np.sqrt(2.0), 0.0],
        [0.0, 0.5],
        [1.0 / np.sqrt(2.0), 0.0],
        [0.0, np.sqrt(3.0) / 2.0],
    ]
)

# Exercise 3: the minimum over V in O(D, P) of the denoising loss, for a second-moment matrix
# with these eigenvalues, rank P and noise level t.
EX3_EIGENVALUES = np.array([3.0, 2.0, 1.0, 0.5])
EX3_P = 2
EX3_T = 2.0

# Exercise 4: the MMSE of Sigma (Sigma + t^2 I)^{-1} and the best loss of c V V^T x_t (P = 3).
EX4_EIGENVALUES = np.array([4.0, 1.0, 0.25])
EX4_P = 3
EX4_T = 1.0


def _missing(answer, what):
    if answer is None:
        return Verdict(False, f"replace None with your {what}.")
    return None


def check_conditional_loss(answer) -> Verdict:
    """Exercise 1: E_g ||x - c V V^T (x + t g)||^2 for EX1_X, EX1_V, EX1_T (a number)."""
    miss = _missing(answer, "value of the noise-averaged loss (a number)")
    if miss is not None:
        return miss
    c = shrinkage(EX1_T)
    r = EX1_X - c * EX1_V @ (EX1_V.T @ EX1_X)
    expected = float(r @ r + c * c * EX1_T**2 * EX1_V.shape[1])
    return close_enough(
        answer, expected, rtol=1e-6, atol=1e-9, name="the loss",
        hint="Condition on x: the cross term has mean 0 and E||V V^T g||^2 = P.",
    )


def check_principal_angles(answer) -> Verdict:
    """Exercise 2: the two principal angles (radians, ascending) between EX2_U and EX2_V."""
    miss = _missing(answer, "two angles in radians, smallest first")
    if miss is not None:
        return miss
    expected = principal_angles(EX2_U, EX2_V)
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return Verdict(False, "the angles should be two numbers (radians).")
    if a.shape == expected.shape and np.allclose(np.sort(a), expected, atol=1e-3) and not \
            np.allclose(a, expected, atol=1e-3):
        return Verdict(False, "right values, but list them in ascending order.")
    if a.shape == expected.shape and np.allclose(np.radians(a), expected, atol=1e-3):
        return Verdict(False, "these look like degrees: give the angles in radians.")
    return close_enough(
        a, expected, rtol=0.0, atol=1e-3, name="the angle list",
        hint="The cosines are the singular values of U^T V.",
    )


def check_min_loss(answer) -> Verdict:
    """Exercise 3: min over V in O(D, P) of the loss, for EX3_EIGENVALUES, EX3_P, EX3_T."""
    miss = _missing(answer, "minimum value of the loss (a number)")
    if miss is not None:
        return miss
    expected = restricted_min_loss(EX3_EIGENVALUES, EX3_P, EX3_T)
    return close_enough(
        answer, expected, rtol=1e-6, atol=1e-9, name="the minimum",
        hint="Since c^2 - 2c < 0, the best V captures as much of E||V^T x||^2 as possible.",
    )


def check_mmse_gap(answer) -> Verdict:
    """Exercise 4: [MMSE of Sigma (Sigma + t^2 I)^-1, min loss of c V V^T x_t] for EX4_*."""
    miss = _missing(answer, "pair [MMSE, best loss of c V V^T x_t]")
    if miss is not None:
        return miss
    expected = np.array(
        [
            linear_mmse(EX4_EIGENVALUES, EX4_T),
            restricted_min_loss(EX4_EIGENVALUES, EX4_P, EX4_T),
        ]
    )
    return close_enough(
        answer, expected, rtol=1e-6, atol=1e-9, name="the pair [MMSE, restricted minimum]",
        hint="MMSE: sum of lambda t^2/(lambda + t^2). Restricted: (1-c)^2 sum(lambda) + c^2 t^2 P.",
    )
