"""Linear algebra of the single-Gaussian denoiser and of low-rank covariances (chapter 3).

For x ~ N(mu, Sigma) with Sigma = V diag(lambda) V^T the Bayes-optimal VE denoiser is affine,

    xbar*(t, x_t) = mu + V diag(lambda_i / (lambda_i + t^2)) V^T (x_t - mu)     (source eq. 9),

so everything about it is a statement on the contraction factors lambda_i / (lambda_i + t^2).
This module computes those factors, the matrix, repeated application at a fixed t, power
iteration (for the comparison the source draws), and the Sherman-Morrison-Woodbury inverse and
determinant of U U^T + t^2 I used by the attention form (chapter 3, source eq. 13). The
per-direction gain of the whole VE sampler (a chapter-5 result previewed in chapter 3) is
``course_utils.sampler_analysis.ve_factor_product``.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    as_float_array,
    check_memory,
    check_orthonormal,
    check_psd,
    check_scalar,
    check_spectrum,
)


def eigen_contraction_factors(eigenvalues, t):
    """lambda_i / (lambda_i + t^2) for each eigenvalue (chapter 3, source eq. 9, as diag(...)).

    Each factor lies in [0, 1): zero eigenvalues give exactly 0 (those directions are removed),
    and the factors fall as t grows. Needs t > 0.
    """
    lam = check_spectrum(eigenvalues, ndim=(0, 1))
    t = check_scalar(t, "t", low=0, low_open=True)
    return lam / (lam + t * t)


def gaussian_denoiser_matrix(cov, t):
    """The matrix Sigma (Sigma + t^2 I)^{-1} = V diag(lambda / (lambda + t^2)) V^T (source eq. 9).

    Chapter 3: E[x | x_t] = Sigma (Sigma + t^2 I)^{-1} x_t for x ~ N(0, Sigma), x_t = x + t g.
    Chapter 4: the same matrix is the best *linear* denoiser of any zero-mean x with second
    moment Sigma (whatever its law), with error ``course_utils.pca.linear_mmse``; for a
    projection Sigma = V V^T it is V V^T / (1 + t^2), the source's eq. 14. The affine
    generalization to a nonzero mean and any alpha_t, sigma_t is
    ``course_utils.diffusion.affine_denoiser``. Built from ``eigh`` (no inverse is formed), so
    eigenvalues that are zero up to rounding give factors that are exactly 0. Needs t > 0.
    """
    lam, vecs = check_psd(cov, "cov")
    f = eigen_contraction_factors(lam, t)
    return (vecs * f) @ vecs.T


def gaussian_denoiser(x_t, mean, cov, t):
    """E[x | x_t] for x ~ N(mean, cov) and x_t = x + t g (chapter 3, eq. 9; K = 1 of eq. 8).

    Translate by -mean, contract each eigendirection by lambda / (lambda + t^2), translate back.
    ``x_t`` has shape (n, D) or (D,).
    """
    mu = as_float_array(mean, "mean", ndim=1)
    a = gaussian_denoiser_matrix(cov, t)
    if a.shape[0] != mu.shape[0]:
        raise ValueError(f"mean must have length D={a.shape[0]} (the size of cov), got {mu.shape}")
    x = as_float_array(x_t, "x_t", ndim=(1, 2))
    if x.shape[-1] != mu.shape[0]:
        raise ValueError(f"x_t must have {mu.shape[0]} columns, got shape {x.shape}")
    return mu + (x - mu) @ a.T


def iterate_fixed_t(denoiser, x, t, n):
    """Apply one denoiser n times at the same noise level: x_{j+1} = denoiser(x_j, t).

    Returns the path, shape (n + 1,) + x.shape, with path[0] = x. For a Gaussian the iterates
    converge to the mean geometrically at rate max_i lambda_i / (lambda_i + t^2) (chapter 3,
    fact 3). This is *not* the sampler of chapter 5, which changes t and mixes in x.
    """
    if not callable(denoiser):
        raise ValueError("denoiser must be a callable denoiser(x, t)")
    n = check_scalar(n, "n", low=0, integer=True)
    x = as_float_array(x, "x", ndim=(1, 2))
    check_memory((n + 1) * x.size, "n")
    path = np.empty((n + 1,) + x.shape)
    path[0] = x
    for j in range(n):
        out = denoiser(path[j], t)
        if np.shape(out) != x.shape:
            raise ValueError(f"denoiser returned shape {np.shape(out)}, expected {x.shape}")
        path[j + 1] = as_float_array(out, "denoiser output")
    return path


def power_iteration(matrix, x0, n):
    """Power iteration v_{j+1} = A v_j / ||A v_j||; returns the (n + 1, D) path of unit vectors.

    For symmetric A with a simple top eigenvalue (in absolute value) the direction converges
    to the top eigenvector (up to sign): a *subspace*, not a point (chapter 3, eq. 9 remark).
    """
    a = as_float_array(matrix, "matrix", ndim=2)
    if a.shape[0] != a.shape[1]:
        raise ValueError(f"matrix must be square, got shape {a.shape}")
    v = as_float_array(x0, "x0", ndim=1)
    if v.shape[0] != a.shape[0]:
        raise ValueError(f"x0 must have length {a.shape[0]}, got {v.shape[0]}")
    norm = np.linalg.norm(v)
    if norm == 0:
        raise ValueError("x0 must be non-zero")
    n = check_scalar(n, "n", low=0, integer=True)
    check_memory((n + 1) * v.shape[0], "n")
    path = np.empty((n + 1, v.shape[0]))
    path[0] = v / norm
    for j in range(n):
        w = a @ path[j]
        wn = np.linalg.norm(w)
        if wn == 0:
            raise ValueError("matrix maps an iterate to 0: x0 has no component outside its kernel")
        path[j + 1] = w / wn
    return path


def low_rank_inverse(basis, t):
    """(U U^T + t^2 I)^{-1} = t^{-2} (I - U U^T / (1 + t^2)) for orthonormal U (D, P).

    The Sherman-Morrison-Woodbury identity with A = t^2 I, C = I (chapter 3, eq. 13; fact 4).
    """
    u = check_orthonormal(basis, "basis")
    t = check_scalar(t, "t", low=0, low_open=True)
    d = u.shape[0]
    return (np.eye(d) - (u @ u.T) / (1.0 + t * t)) / (t * t)


def low_rank_logdet(D, P, t):
    """log det(U U^T + t^2 I) = P log(1 + t^2) + (D - P) log(t^2) for U in O(D, P) (fact 4).

    It depends on U only through P: components of equal rank have equal determinants, which
    is why they cancel from the attention weights.
    """
    D = check_scalar(D, "D", low=1, integer=True)
    P = check_scalar(P, "P", low=0, high=D, integer=True)
    t = check_scalar(t, "t", low=0, low_open=True)
    return P * np.log1p(t * t) + (D - P) * 2.0 * np.log(t)
