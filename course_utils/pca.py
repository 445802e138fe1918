"""Learning the K=1 low-rank denoiser is PCA (chapter 4; source eqs. 14-16).

The source parameterizes the denoiser of x_t = x + t g as

    xbar(t, x_t) = c V V^T x_t,   c = 1 / (1 + t^2),   V in O(D, P)       (source eq. 14)

and trains V by the denoising loss E ||x - c V V^T x_t||^2 (source eq. 12). Conditioning on x
(the cross term has mean 0 and E ||V V^T g||^2 = P) gives, for orthonormal V,

    E ||x - c V V^T x_t||^2 = E ||x||^2 + (c^2 - 2c) E ||V^T x||^2 + c^2 t^2 P     (fact 8)

(the source's eq. 15 writes x for x_t and loses the last term, erratum 11). Because
c^2 - 2c < 0 for every t >= 0, minimizing over V means maximizing E ||V^T x||^2: the top-P
eigenvectors of the second-moment matrix E[x x^T] (source eq. 16, the book's "probabilistic
PCA", erratum 12), whatever t is.

Conventions: samples are rows, X has shape (n, D); bases have shape (D, P) with orthonormal
columns. Numpy only. Randomness only through an explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    as_float_array,
    check_memory,
    check_orthonormal,
    check_psd,
    check_rng,
    check_scalar,
    check_spectrum,
)

__all__ = [
    "denoising_loss",
    "denoising_loss_from_moment",
    "expected_denoising_loss",
    "learn_subspace",
    "linear_mmse",
    "pca",
    "principal_angles",
    "random_orthonormal",
    "restricted_min_loss",
    "riemannian_gradient",
    "second_moment",
    "shrinkage",
    "stiefel_retract",
]


# -- small helpers ------------------------------------------------------------------------
def _check_samples(X, name="X"):
    x = as_float_array(X, name, ndim=2)
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"{name} must have shape (n, D) with n, D >= 1, got {x.shape}")
    return x


def _check_t(t):
    return check_scalar(t, "t", low=0.0)


def _check_p(p, d):
    p = check_scalar(p, "p", low=1, integer=True)
    if p > d:
        raise ValueError(f"p must be <= D = {d} (a basis of p orthonormal columns in R^D), got {p}")
    return p


def _check_basis(V, d, name="V"):
    return check_orthonormal(V, name, d)


def _fix_signs(V):
    """Make the largest-magnitude entry of each column positive (a deterministic convention)."""
    idx = np.argmax(np.abs(V), axis=0)
    signs = np.sign(V[idx, np.arange(V.shape[1])])
    signs[signs == 0] = 1.0
    return V * signs


def _qr_retract(A):
    """Orthonormal basis of span(A) by QR, with diag(R) >= 0 so the map is unique and smooth."""
    Q, R = np.linalg.qr(A)
    d = np.sign(np.diag(R))
    d[d == 0] = 1.0
    return Q * d


def riemannian_gradient(V, G):
    """Project a Euclidean gradient G (D, p) on the tangent space of the Stiefel manifold at V:
    G - V sym(V^T G), sym(A) = (A + A^T) / 2 (chapters 4 and 6: learning orthonormal bases)."""
    S = V.T @ G
    return G - V @ (0.5 * (S + S.T))


def stiefel_retract(V, step):
    """QR retraction: the orthonormal factor of V + step, with diag(R) >= 0 (chapters 4, 6)."""
    return _qr_retract(V + step)


_GRAM_BLOCK = 256  # rows per block of X^T X


def _gram(x):
    """X^T X summed over blocks of rows.

    Small blocks stay in cache and below OpenBLAS's threading threshold: on a loaded 2-core
    machine one threaded (2000 x 20)^T (2000 x 20) product took ~10 ms of spinning threads,
    the blocked sum ~0.05 ms.
    """
    out = np.zeros((x.shape[1], x.shape[1]))
    for i in range(0, x.shape[0], _GRAM_BLOCK):
        b = x[i : i + _GRAM_BLOCK]
        out += b.T @ b
    return 0.5 * (out + out.T)


def shrinkage(t):
    """The source's scalar c = 1 / (1 + t^2) of the denoiser c V V^T x_t (chapter 4, eq. 14)."""
    t = _check_t(t)
    return 1.0 / (1.0 + t * t)


def random_orthonormal(D, p, rng):
    """A (D, p) matrix with orthonormal columns, uniformly distributed (QR of a Gaussian)."""
    D = check_scalar(D, "D", low=1, integer=True)
    p = _check_p(p, D)
    rng = check_rng(rng)
    return _qr_retract(rng.standard_normal((D, p)))


# -- PCA of the second moment ---------------------------------------------------------------
def second_moment(X):
    """The empirical second-moment matrix X^T X / n (not the covariance: no centring).

    This is the matrix E[x x^T] whose top eigenvectors solve source eq. 16 (chapter 4).
    """
    x = _check_samples(X)
    return _gram(x) / x.shape[0]


def pca(X, p, return_eigenvalues=False):
    """Top-p orthonormal eigenbasis (D, p) of the second-moment matrix X^T X / n.

    Chapter 4, source eq. 16: the maximizer of (1/n) sum_i ||V^T x_i||^2 over V in O(D, p).
    This is *uncentred* PCA, matching the source (E[x x^T], not the covariance). Columns are
    ordered by decreasing eigenvalue; the sign of each column is fixed so that its entry of
    largest magnitude is positive. With ``return_eigenvalues`` also returns all D eigenvalues
    in decreasing order.
    """
    x = _check_samples(X)
    p = _check_p(p, x.shape[1])
    lam, vecs = np.linalg.eigh(_gram(x) / x.shape[0])
    order = np.argsort(lam)[::-1]
    lam, vecs = lam[order], vecs[:, order]
    V = _fix_signs(vecs[:, :p])
    if return_eigenvalues:
        return V, np.maximum(lam, 0.0)
    return V


def principal_angles(U, V):
    """Principal angles (radians, ascending) between span(U) and span(V).

    ``U`` (D, p) and ``V`` (D, q) must have orthonormal columns; min(p, q) angles are returned.
    Cosines are the singular values of U^T V (clipped to [0, 1]); because arccos is
    ill-conditioned near 0, angles below pi/4 are taken from the sines instead, the singular
    values of (I - U U^T) V (Bjorck & Golub 1973; Knyazev & Argentati 2002). Chapter 4.
    """
    u = as_float_array(U, "U", ndim=2)
    u = check_orthonormal(u, "U")
    v = check_orthonormal(V, "V", u.shape[0])
    return _angles(u, v)


def _angles(u, v):
    """principal_angles without validation (used inside the learning loop)."""
    if v.shape[1] > u.shape[1]:
        u, v = v, u  # v has the fewer columns: min(p, q) angles
    uv = u.T @ v
    cos = np.clip(np.linalg.svd(uv, compute_uv=False), 0.0, 1.0)  # descending
    theta_cos = np.arccos(cos)  # ascending
    sin = np.clip(np.linalg.svd(v - u @ uv, compute_uv=False), 0.0, 1.0)[::-1]
    theta_sin = np.arcsin(sin)  # ascending
    return np.where(cos**2 >= 0.5, theta_sin, theta_cos)


# -- the denoising loss ---------------------------------------------------------------------
def _per_sample_exact(V, x, c, t):
    """||x - c V V^T x||^2 + c^2 t^2 P for each row (the conditional loss, fact 8)."""
    r = x - c * (x @ V) @ V.T
    return np.einsum("ij,ij->i", r, r) + c * c * t * t * V.shape[1]


def denoising_loss(V, X, t, rng, return_se=False):
    """Monte Carlo estimate of E ||x - c V V^T (x + t g)||^2, c = 1/(1+t^2) (source eq. 12/15).

    One fresh noise vector g ~ N(0, I) is drawn from ``rng`` for each row of ``X``; the result
    is the average over rows (chapter 4). With ``return_se`` also returns the standard error
    of that average (sample standard deviation / sqrt(n)).
    """
    x = _check_samples(X)
    V = _check_basis(V, x.shape[1])
    t = _check_t(t)
    rng = check_rng(rng)
    c = 1.0 / (1.0 + t * t)
    x_t = x + t * rng.standard_normal(x.shape)
    r = x - c * (x_t @ V) @ V.T
    per = np.einsum("ij,ij->i", r, r)
    mean = float(per.mean())
    if not return_se:
        return mean
    se = float(per.std(ddof=1) / np.sqrt(per.size)) if per.size > 1 else float("nan")
    return mean, se


def expected_denoising_loss(V, X, t):
    """The loss averaged exactly over the noise, for the rows of X (chapter 4, fact 8):

        mean_i ||x_i - c V V^T x_i||^2 + c^2 t^2 P,   c = 1 / (1 + t^2).

    Equal to mean_i ||x_i||^2 + (c^2 - 2c) mean_i ||V^T x_i||^2 + c^2 t^2 P for orthonormal V.
    """
    x = _check_samples(X)
    V = _check_basis(V, x.shape[1])
    t = _check_t(t)
    c = 1.0 / (1.0 + t * t)
    return float(_per_sample_exact(V, x, c, t).mean())


def denoising_loss_from_moment(V, M, t):
    """The population loss from the second moment M = E[x x^T] (chapter 4, fact 8):

        tr(M) + (c^2 - 2c) tr(V^T M V) + c^2 t^2 P.
    """
    M = as_float_array(M, "M", ndim=2)
    if M.shape[0] != M.shape[1]:
        raise ValueError(f"M must be a square (D, D) matrix, got shape {M.shape}")
    if np.abs(M - M.T).max() > 1e-8 * max(np.abs(M).max(), 1.0):
        raise ValueError("M must be symmetric")
    # a second-moment matrix E[x x^T] is positive semi-definite (a negative eigenvalue
    # would make the "loss" negative)
    check_psd(M, "M")
    V = _check_basis(V, M.shape[0])
    t = _check_t(t)
    c = 1.0 / (1.0 + t * t)
    captured = np.trace(V.T @ M @ V)
    return float(np.trace(M) + (c * c - 2 * c) * captured + c * c * t * t * V.shape[1])


# -- Bayes-optimal linear denoising for non-unit eigenvalues --------------------------------
def linear_mmse(eigenvalues, t):
    """MMSE of the optimal linear denoiser: sum_i lambda_i t^2 / (lambda_i + t^2) (fact 8).

    The denoiser is ``course_utils.linear.gaussian_denoiser_matrix(Sigma, t)``, i.e.
    Sigma (Sigma + t^2 I)^{-1}, for zero-mean x with second moment Sigma (eigenvalues lambda_i).

    For x ~ N(0, Sigma) this is the Bayes MMSE. For a projection covariance (P eigenvalues 1,
    the rest 0) it is P t^2 / (1 + t^2).
    """
    lam = check_spectrum(eigenvalues)
    t = _check_t(t)
    with np.errstate(over="ignore", under="ignore"):
        t2 = t * t
    if not np.isfinite(t2):
        # t^2 overflows (t > 1.3e154): lambda t^2 / (lambda + t^2) = lambda / (1 + lambda / t^2)
        return float((lam / (1.0 + lam / t / t)).sum())
    with np.errstate(invalid="ignore", over="ignore"):
        terms = np.where(lam + t2 > 0, lam * t2 / np.where(lam + t2 > 0, lam + t2, 1.0), 0.0)
        if not np.all(np.isfinite(terms)):  # lambda t^2 overflows: same rewriting
            terms = lam / (1.0 + lam / t2)
    return float(terms.sum())


def restricted_min_loss(eigenvalues, p, t):
    """min over V in O(D, p) of the loss of c V V^T x_t (chapter 4): attained at the top-p
    eigenvectors of E[x x^T]; equals sum(lambda) + (c^2 - 2c) (sum of the p largest) + c^2 t^2 p.
    """
    lam = np.sort(check_spectrum(eigenvalues))[::-1]
    p = _check_p(p, lam.size)
    t = _check_t(t)
    c = 1.0 / (1.0 + t * t)
    return float(lam.sum() + (c * c - 2 * c) * lam[:p].sum() + c * c * t * t * p)


# -- learning V on the Stiefel manifold ---------------------------------------------------
def _batch_gradient(V, xb, y, c):
    """Euclidean gradient in V of (1/B) sum_i ||x_i - c V V^T y_i||^2 (rows x_i, y_i = x_i + t g_i).

    With residuals R = X_b - c Y V V^T it is -(2c/B) (R^T Y V + Y^T R V).
    """
    yv = y @ V  # (B, p)
    r = xb - c * yv @ V.T  # residuals (B, D)
    return (-2.0 * c / xb.shape[0]) * (r.T @ yv + y.T @ (r @ V))


def learn_subspace(
    X,
    p,
    t,
    steps=200,
    lr=0.2,
    batch=64,
    rng=None,
    V0=None,
    return_history=False,
    reference=None,
    decay=None,
):
    """Learn V in O(D, p) by minimizing the denoising loss on noisy samples (chapter 4).

    Each step draws ``batch`` rows of X (with replacement) and fresh noise g, forms
    x_t = x + t g, and takes the Euclidean gradient of the mini-batch loss
    (1/B) sum ||x - c V V^T x_t||^2, which is -(2c/B) (R^T Y V + Y^T R V) with residuals
    R = X_b - c Y V V^T and Y the noisy rows. The gradient is projected on the tangent space of
    the Stiefel manifold, G - V sym(V^T G), and the step V - lr_k G is mapped back to
    orthonormal columns by a QR retraction with diag(R) >= 0. The step size is
    lr_k = lr / (1 + k / decay) (Robbins-Monro decay, so the noise averages out); ``decay=None``
    keeps it constant.

    ``V0`` (D, p) orthonormal starts the run; by default a random orthonormal V from ``rng``.
    ``return_history`` adds a dict with, for steps 0..steps, the exact noise-averaged loss on X
    (``expected_denoising_loss``, computed from X^T X / n) and the principal angles (radians)
    to ``reference`` (default: ``pca(X, p)``).
    """
    x = _check_samples(X)
    n, D = x.shape
    p = _check_p(p, D)
    t = _check_t(t)
    steps = check_scalar(steps, "steps", low=0, integer=True)
    batch = check_scalar(batch, "batch", low=1, integer=True)
    check_memory(batch * D * 4, "batch")
    if return_history:
        check_memory((steps + 1) * (p + 1), "steps")
    lr = check_scalar(lr, "lr", low=0.0, low_open=True)
    if decay is not None:
        decay = check_scalar(decay, "decay", low=0.0, low_open=True)
    rng = check_rng(rng)
    if V0 is None:
        V = random_orthonormal(D, p, rng)
    else:
        V = _check_basis(V0, D, "V0").copy()
        if V.shape[1] != p:
            raise ValueError(f"V0 must have p = {p} columns, got {V.shape[1]}")
    c = 1.0 / (1.0 + t * t)
    if return_history:
        ref = pca(x, p) if reference is None else _check_basis(reference, D, "reference")
        M = _gram(x) / n
        const = float(np.trace(M)) + c * c * t * t * p
        losses = np.empty(steps + 1)
        angles = np.empty((steps + 1, min(p, ref.shape[1])))

        def record(k, V):
            losses[k] = const + (c * c - 2 * c) * np.einsum("dp,dp->", V, M @ V)
            angles[k] = _angles(ref, V)

        record(0, V)
    for k in range(steps):
        idx = rng.integers(0, n, size=batch)
        xb = x[idx]
        y = xb + t * rng.standard_normal((batch, D))
        G = riemannian_gradient(V, _batch_gradient(V, xb, y, c))
        step = lr if decay is None else lr / (1.0 + k / decay)
        V = stiefel_retract(V, -step * G)
        if return_history:
            record(k + 1, V)
    if not return_history:
        return V
    history = {"step": np.arange(steps + 1), "loss": losses, "angles": angles, "reference": ref}
    return V, history
