"""Self-checks for the chapter 6 exercises (the variance-preserving schedule).

Each check computes the expected value from the chapter's formulas and compares it with the
reader's answer through ``close_enough``: it says whether the answer is right, never what it is.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, check_psd, check_scalar
from ..entropy import ve_start_kl
from ..schedules import VP
from ._core import Verdict, close_enough


def _missing(answer, what):
    if answer is None:
        return Verdict(False, f"replace None by your {what}.")
    return None


def vp_covariance(cov, t):
    """Cov(x_t) = alpha_t^2 Cov(x) + sigma_t^2 I under VP (chapter 6, the seed's VP schedule)."""
    lam, _ = check_psd(cov, "cov")
    c = np.asarray(cov, dtype=float)
    t = float(VP().check_t(t))
    return (1.0 - t * t) * c + t * t * np.eye(c.shape[0])


def check_vp_covariance(answer, cov=((2.0, 0.0), (0.0, 0.5)), t=0.6) -> Verdict:
    """Exercise 1: the covariance of x_t under VP for the given Cov(x) and t."""
    miss = _missing(answer, "covariance matrix (a D x D array)")
    if miss is not None:
        return miss
    return close_enough(answer, vp_covariance(cov, t), rtol=1e-6, atol=1e-9,
                        name="Cov(x_t)", hint="Use Cov(alpha x + sigma g) with g independent of x.")


def ddim_coefficients(t, s, schedule=None):
    """(sigma_s / sigma_t, alpha_s - (sigma_s / sigma_t) alpha_t): the DDIM weights on the
    current iterate and on the denoiser output (the seed's DDIM update)."""
    sched = VP() if schedule is None else schedule
    t = float(sched.check_t(t, "t"))
    s = float(sched.check_t(s, "s"))
    if not 0 <= s < t:
        raise ValueError(f"s must satisfy 0 <= s < t, got s={s}, t={t}")
    ratio = float(sched.sigma(s) / sched.sigma(t))
    return ratio, float(sched.alpha(s)) - ratio * float(sched.alpha(t))


def check_ddim_coefficients(answer, t=0.8, s=0.6) -> Verdict:
    """Exercise 2: the two VP DDIM coefficients (on x_hat_t, on xbar) for a step t -> s."""
    miss = _missing(answer, "pair (coefficient on x_hat_t, coefficient on the denoiser)")
    if miss is not None:
        return miss
    return close_enough(answer, np.array(ddim_coefficients(t, s)), rtol=1e-6, atol=1e-9,
                        name="the pair of coefficients",
                        hint="Order: (on the current iterate, on the denoiser output).")


def vp_output_std(lam, L):
    """Std of the VP sampler's output for 1-D data N(0, lam), start N(0, 1), grid t_l = l/L.

    The sampler is linear here: each step multiplies x_hat by
    a_l = r_l + (alpha_{l-1} - r_l alpha_l) alpha_l lam / (alpha_l^2 lam + sigma_l^2),
    r_l = sigma_{l-1} / sigma_l, so the output std is |prod_l a_l| (chapter 6, section 5).
    """
    lam = check_scalar(lam, "lam", low=0, low_open=True)
    L = check_scalar(L, "L", low=1, integer=True)
    sched = VP()
    ts = sched.grid(L)
    a, s = sched.alpha(ts), sched.sigma(ts)
    r = s[:-1] / s[1:]
    shrink = a[1:] * lam / (a[1:] ** 2 * lam + s[1:] ** 2)
    return float(abs(np.prod(r + (a[:-1] - r * a[1:]) * shrink)))


def check_vp_output_std(answer, lam=0.3, L=2) -> Verdict:
    """Exercise 3: the exact output std of the 1-D VP sampler with L steps."""
    miss = _missing(answer, "output standard deviation (a number)")
    if miss is not None:
        return miss
    return close_enough(answer, vp_output_std(lam, L), rtol=1e-4, atol=1e-6,
                        name="output std", hint="Follow x_hat through the L linear steps.")


def check_ve_start_kl(answer, eigenvalues=(1.0, 2.0, 3.0, 4.0), T=2.0) -> Verdict:
    """Exercise 4: KL( N(0, Sigma + T^2 I) || N(0, T^2 I) ) for Sigma with these eigenvalues."""
    miss = _missing(answer, "KL divergence in nats (a number)")
    if miss is not None:
        return miss
    lam = as_float_array(eigenvalues, "eigenvalues", ndim=1)
    return close_enough(answer, ve_start_kl(lam, T), rtol=1e-4, atol=1e-6,
                        name="KL", hint="Both laws are centred Gaussians; use natural logs.")
