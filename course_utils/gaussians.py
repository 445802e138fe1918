"""Closed forms for Gaussians used to measure how good a sampler's starting law is (chapter 6).

* ``gaussian_kl``: KL( N(mu0, cov0) || N(mu1, cov1) ) for any two non-degenerate Gaussians.
* ``ve_start_kl``: the special case KL( N(0, Sigma + T^2 I) || N(0, T^2 I) ), the price of
  starting the VE sampler from N(0, T^2 I) (source eq. 19) instead of the true law of x_T
  when the data are N(0, Sigma) (or any law with covariance Sigma, for the Gaussian part).
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_psd, check_scalar


def gaussian_kl(mu0, cov0, mu1, cov1) -> float:
    """KL( N(mu0, cov0) || N(mu1, cov1) ) in nats (chapter 6, the VE-start mismatch).

    KL = 1/2 [ tr(cov1^{-1} cov0) + (mu1 - mu0)^T cov1^{-1} (mu1 - mu0) - D
               + log det cov1 - log det cov0 ].
    Both covariances must be positive definite.
    """
    mu0 = as_float_array(mu0, "mu0", ndim=1)
    d = mu0.shape[0]
    mu1 = as_float_array(mu1, "mu1", ndim=1)
    if mu1.shape != (d,):
        raise ValueError(f"mu1 must have shape ({d},) like mu0, got {mu1.shape}")
    lam0, _ = check_psd(cov0, "cov0", d)
    lam1, vec1 = check_psd(cov1, "cov1", d)
    if lam0.min() <= 0:
        raise ValueError("cov0 must be positive definite (it has a zero eigenvalue)")
    if lam1.min() <= 0:
        raise ValueError("cov1 must be positive definite (it has a zero eigenvalue)")
    c0 = np.asarray(cov0, dtype=float)
    # cov1^{-1} through its eigendecomposition (computed once by check_psd).
    m = vec1.T @ c0 @ vec1  # cov0 in cov1's eigenbasis
    trace = float(np.sum(np.diag(m) / lam1))
    dm = vec1.T @ (mu1 - mu0)
    maha = float(np.sum(dm * dm / lam1))
    logdet = float(np.sum(np.log(lam1)) - np.sum(np.log(lam0)))
    return 0.5 * (trace + maha - d + logdet)


def ve_start_kl(eigenvalues, T) -> float:
    """KL( N(0, Sigma + T^2 I) || N(0, T^2 I) ) from the eigenvalues of Sigma (chapter 6).

    With r_i = lambda_i / T^2 the KL is 1/2 sum_i ( r_i - log(1 + r_i) ) >= 0: it grows with
    the total variance of the data relative to T^2, so with the dimension D.
    """
    lam = as_float_array(eigenvalues, "eigenvalues", ndim=1)
    if np.any(lam < 0):
        raise ValueError("eigenvalues must be >= 0 (a covariance spectrum)")
    T = check_scalar(T, "T", low=0, low_open=True)
    r = lam / (T * T)
    return float(0.5 * np.sum(r - np.log1p(r)))
