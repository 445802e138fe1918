"""Entropy, differential entropy and the lossy coding rate (chapter 1).

* ``entropy``: discrete entropy H(x) = -sum_j p_j log p_j over the *distinct values* of x
  (source eq. 1, with the sum read correctly; erratum 1), in bits by default.
* ``sum_over_samples``: the misreading of eq. 1 as a sum over drawn samples (not an entropy),
  kept so that the notebook and the tests can show how it fails.
* ``sample_entropy_estimate``: the estimate -1/N sum_i log p(x_i) that *does* converge to H.
* ``plugin_entropy`` / ``entropy_from_counts`` / ``miller_madow_bias``: estimating H from
  empirical frequencies, and its leading bias -(m - 1) / (2 N) nats.
* ``quantized_entropy`` / ``quantized_probabilities``: H of a quantized continuous variable,
  with H(x^Delta) + D log Delta -> h(x) as the cell side Delta -> 0.
* ``gaussian_entropy``: h = D/2 (1 + log 2 pi) + 1/2 log det Sigma (-inf when singular).
* ``gaussian_entropy_t`` / ``gaussian_entropy_t_derivative``: h(x_t) of a Gaussian under the
  VE noise x_t = x + t g and its derivative sum_i t / (lambda_i + t^2) > 0.
* ``coding_rate``: R_eps(X) = 1/2 log det(I + D / (N eps^2) X^T X), samples as rows of X.
* ``gaussian_cross_entropy`` / ``gaussian_kl``: the cost of coding p with a code built for q.
* ``ve_start_kl``: the KL price of starting the VE sampler from N(0, T^2 I) (chapter 6).
* ``mixture_entropy_mc`` / ``mixture_entropy_bounds``: h(x_t) of a noised Gaussian mixture by
  Monte Carlo with common random numbers, and bounds that bracket it.

Natural logarithms (nats) are used inside; ``base`` converts the result (2: bits).
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    as_float_array,
    check_memory,
    check_psd,
    check_rng,
    check_scalar,
    check_spectrum,
    check_weights,
)
from .diffusion import mixture_moments
from .mixtures import check_mixture
from .schedules import VE, check_schedule

_LOG_2PI = float(np.log(2.0 * np.pi))


def _log_base(base) -> float:
    """ln(base) for converting nats to another unit; base must be > 0 and != 1."""
    b = check_scalar(base, "base", low=0, low_open=True)
    if b == 1.0:
        raise ValueError("base must be different from 1 (log base 1 is undefined)")
    return float(np.log(b))


def _log_lam_plus_t2(lam, tt):
    """log(lambda_i + t^2) as an (n_t, D) array, finite for every finite t > 0.

    Direct where lambda + t^2 is a normal float; otherwise logaddexp(log lambda, 2 log t),
    so that t^2 may overflow (t > 1.3e154) or underflow (t < 1.5e-154) without turning the
    result into inf or log 0. t = 0 with lambda = 0 gives -inf (a singular covariance).
    """
    t1 = tt.reshape(-1, 1)
    with np.errstate(over="ignore", under="ignore"):
        v = lam[None, :] + t1 * t1
    direct = np.isfinite(v) & (v >= np.finfo(float).tiny)
    with np.errstate(divide="ignore"):
        alt = np.logaddexp(np.log(lam)[None, :], 2.0 * np.log(t1))
        return np.where(direct, np.log(np.where(direct, v, 1.0)), alt)


def _sum_log1p_scaled(s2, ratio, e):
    """sum_i log(1 + ratio s2_i / e^2) for each e (1-D), without overflow or 0 * inf.

    Direct (log1p) where c = ratio / e^2 and c s2 are finite; otherwise from logarithms:
    log(1 + u) = log u + log1p(1/u) with log u = log ratio + log s2 - 2 log e.
    """
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        c = ratio / (e * e)
        cs = c[:, None] * s2[None, :]
    direct = np.isfinite(cs) & (np.isfinite(c)[:, None] | (s2[None, :] == 0))
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        logu = np.log(ratio) + np.log(s2)[None, :] - 2.0 * np.log(e)[:, None]
        alt = np.where(s2[None, :] > 0, logu + np.log1p(np.exp(-logu)), 0.0)
        terms = np.where(direct, np.log1p(np.where(direct, cs, 0.0)), alt)
    return terms.sum(axis=1)


def _scalar_or_array(value):
    arr = np.asarray(value, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


# ---------------------------------------------------------------------------------------
# Discrete entropy
# ---------------------------------------------------------------------------------------
def entropy(p, base=2):
    """Discrete entropy H = -sum_j p_j log p_j (chapter 1, source eq. 1), bits by default.

    ``p`` lists the probabilities of the *distinct* values of x (any shape; a joint table is
    fine). It must be non-negative and sum to 1 (to 1e-8). Terms with p_j = 0 contribute 0
    (the limit of q log q as q -> 0).
    """
    lb = _log_base(base)
    q = as_float_array(p, "p").ravel()
    if q.size == 0:
        raise ValueError("p must have at least one entry")
    if np.any(q < 0):
        raise ValueError(f"p must be non-negative, got min {q.min():.3g}")
    total = q.sum()
    if abs(total - 1.0) > 1e-8:
        raise ValueError(f"p must sum to 1, got sum {total:.12g}")
    nz = q[q > 0]
    return float(-(nz * np.log(nz)).sum() / lb)


def sum_over_samples(p_of_samples, base=2):
    """The source's eq. 1 read literally: -sum_{i=1}^N p(x_i) log p(x_i) over N *samples*.

    This is NOT an entropy (chapter 1, erratum 1): a value drawn twice is counted twice and the
    weights p(x_i) do not sum to 1, so the result grows roughly like N. Kept to demonstrate that.
    ``p_of_samples`` holds p(x_i) for each drawn sample, values in (0, 1].
    """
    lb = _log_base(base)
    q = as_float_array(p_of_samples, "p_of_samples", ndim=1)
    if np.any(q <= 0) or np.any(q > 1):
        raise ValueError("p_of_samples must be probabilities in (0, 1]")
    return float(-(q * np.log(q)).sum() / lb)


def sample_entropy_estimate(logp, base=np.e, return_stderr=False):
    """The sample estimate -1/N sum_i log p(x_i) of H or h (chapter 1, erratum 1).

    ``logp`` holds natural logs log p(x_i) of N samples x_i ~ p (a pmf for discrete x, a density
    for continuous x). By the law of large numbers the estimate tends to the entropy; its
    standard error is std(log p) / sqrt(N). Returns the estimate (and the standard error when
    ``return_stderr``), converted to ``base``.
    """
    lb = _log_base(base)
    lp = as_float_array(logp, "logp", ndim=1)
    if lp.size < 2:
        raise ValueError("logp must hold at least 2 values (one per sample)")
    est = float(-lp.mean() / lb)
    if not return_stderr:
        return est
    return est, float(lp.std(ddof=1) / np.sqrt(lp.size) / lb)


def entropy_from_counts(counts, base=2):
    """Plug-in entropy from counts: H of the empirical frequencies c_j / n (chapter 1).

    ``counts`` has shape (..., m): the last axis lists the counts of the m symbols, earlier axes
    are independent experiments (vectorized). Returns a float or an array of shape (...).
    """
    lb = _log_base(base)
    c = as_float_array(counts, "counts")
    if c.ndim == 0:
        raise ValueError("counts must have at least one axis (one entry per symbol)")
    if np.any(c < 0):
        raise ValueError("counts must be non-negative")
    n = c.sum(axis=-1)
    if np.any(n <= 0):
        raise ValueError("counts must have a positive total in every experiment")
    safe = np.where(c > 0, c, 1.0)
    clogc = (c * np.log(safe)).sum(axis=-1)
    return _scalar_or_array((np.log(n) - clogc / n) / lb)


def plugin_entropy(samples, base=2):
    """Plug-in (empirical-frequency) entropy of discrete samples (chapter 1).

    ``samples`` is 1-D (one symbol per entry, any sortable dtype) or 2-D (each *row* is one
    symbol, e.g. a quantized point). The estimate is biased low by about (m - 1) / (2 N) nats
    (``miller_madow_bias``).
    """
    try:
        arr = np.asarray(samples)
    except ValueError as exc:
        raise ValueError(f"samples must be a 1-D or 2-D array of symbols ({exc})") from None
    if arr.ndim not in (1, 2) or arr.shape[0] == 0:
        raise ValueError(f"samples must be a non-empty 1-D or 2-D array, got shape {arr.shape}")
    if arr.dtype == object:
        raise ValueError(
            "samples must be an array of numbers, booleans or strings (one dtype), got an "
            "object array"
        )
    if arr.dtype.kind in "fc":
        if not np.all(np.isfinite(arr)):
            raise ValueError("samples must not contain NaN or inf (NaN is not a symbol)")
        # -0.0 and 0.0 are one symbol: adding +0.0 turns every -0.0 into 0.0 (the row view
        # below compares bytes, which would tell them apart)
        arr = arr + arr.dtype.type(0)
    if arr.ndim == 2:
        if arr.shape[1] == 0:
            raise ValueError("samples must have at least one column")
        # Rows as symbols: view each row as one opaque item so unique sorts once.
        rows = np.ascontiguousarray(arr)
        key = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
        _, counts = np.unique(key, return_counts=True)
    else:
        _, counts = np.unique(arr, return_counts=True)
    return entropy_from_counts(counts, base)


def miller_madow_bias(m, n, base=2):
    """Leading bias of the plug-in entropy: E[H_hat] - H ~ -(m - 1) / (2 n) nats (chapter 1).

    ``m`` is the number of symbols with positive probability, ``n`` the sample size. The next
    term is (1 - sum_j 1/p_j) / (12 n^2), so the formula needs n well above m.
    """
    m = check_scalar(m, "m", low=1, integer=True)
    n = check_scalar(n, "n", low=1, integer=True)
    return -(m - 1) / (2.0 * n) / _log_base(base)


def plugin_bias_expansion(p, n, base=2):
    """Two terms of the plug-in bias: -(m - 1) / (2 n) + (1 - sum_j 1/p_j) / (12 n^2) nats.

    ``m`` counts the symbols of ``p`` with p_j > 0 (Harris 1975; chapter 1). The second term
    sizes the error of ``miller_madow_bias``.
    """
    q = check_weights(p, "p")
    n = check_scalar(n, "n", low=1, integer=True)
    nz = q[q > 0]
    b = -(nz.size - 1) / (2.0 * n) + (1.0 - (1.0 / nz).sum()) / (12.0 * n * n)
    return b / _log_base(base)


def plugin_bias_mc(p, n, reps, rng, base=2):
    """Monte Carlo bias of the plug-in entropy: mean of H_hat - H over ``reps`` data sets of
    size ``n`` drawn from ``p`` (vectorized with one multinomial draw). Returns (bias, stderr).
    """
    check_rng(rng)
    q = check_weights(p, "p")
    n = check_scalar(n, "n", low=1, integer=True)
    reps = check_scalar(reps, "reps", low=2, integer=True)
    check_memory(3 * reps * q.size, "reps")
    counts = rng.multinomial(n, q, size=reps)
    d = np.asarray(entropy_from_counts(counts, base)) - entropy(q, base)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(reps))


# ---------------------------------------------------------------------------------------
# Differential entropy and quantization
# ---------------------------------------------------------------------------------------
def quantized_entropy(samples, cell, base=np.e):
    """Plug-in entropy H(x^Delta) of samples quantized to cubes of side ``cell`` (chapter 1).

    ``samples`` is (n,) or (n, D); a point falls in the cube floor(x / cell). For small cells
    H(x^Delta) + D log(cell) approximates the differential entropy h(x) (same base), as long
    as the occupied cells stay few compared with n (plug-in bias, ``miller_madow_bias``).
    """
    x = as_float_array(samples, "samples", ndim=(1, 2))
    cell = check_scalar(cell, "cell", low=0, low_open=True)
    with np.errstate(over="ignore"):
        idx = np.floor(x / cell)
    if not np.all(np.isfinite(idx)):
        raise ValueError(
            f"cell={cell:g} is too small for samples as large as {np.abs(x).max():.3g}: "
            "samples / cell overflows"
        )
    # The cell indices stay floats (exact integers): an int64 cast would wrap around
    # beyond 9.2e18 (|x| / cell that large) and merge distinct cells.
    return plugin_entropy(idx, base)


def quantized_probabilities(pdf, cell, lo, hi, order=8):
    """Exact cell masses P_j = integral of a 1-D density over [j cell, (j + 1) cell) (chapter 1).

    Cells are aligned on multiples of ``cell`` (as in ``quantized_entropy``) and cover
    [lo, hi]; each mass is a Gauss-Legendre rule of ``order`` nodes, exact for smooth densities
    to rounding. ``pdf`` is a vectorized callable. Returns (masses (m,), edges (m + 1,)).
    """
    cell = check_scalar(cell, "cell", low=0, low_open=True)
    lo = check_scalar(lo, "lo")
    hi = check_scalar(hi, "hi")
    if hi <= lo:
        raise ValueError(f"hi must be > lo, got lo={lo}, hi={hi}")
    order = check_scalar(order, "order", low=1, integer=True)
    j0, j1 = int(np.floor(lo / cell)), int(np.ceil(hi / cell))
    edges = cell * np.arange(j0, j1 + 1, dtype=float)
    nodes, weights = np.polynomial.legendre.leggauss(order)
    mid = 0.5 * (edges[:-1] + edges[1:])
    pts = mid[:, None] + 0.5 * cell * nodes[None, :]
    vals = np.asarray(pdf(pts.ravel()), dtype=float).reshape(pts.shape)
    if not np.all(np.isfinite(vals)) or np.any(vals < 0):
        raise ValueError("pdf must return finite non-negative values")
    masses = 0.5 * cell * (vals * weights).sum(axis=1)
    return masses, edges


# ---------------------------------------------------------------------------------------
# Gaussian entropy, entropy along the VE noise, coding rate
# ---------------------------------------------------------------------------------------
def _eigenvalues(cov, eigenvalues):
    if (cov is None) == (eigenvalues is None):
        raise ValueError("give exactly one of cov and eigenvalues")
    if cov is not None:
        lam, _ = check_psd(cov, "cov")
        return lam
    return check_spectrum(eigenvalues)


def gaussian_entropy(cov=None, *, eigenvalues=None, base=np.e):
    """Differential entropy of N(mu, Sigma): D/2 (1 + log 2 pi) + 1/2 log det Sigma (chapter 1).

    Computed from the eigenvalues (sum of logs, no overflowing determinant). A singular
    covariance (an eigenvalue 0, or below D * machine-eps * max eigenvalue for ``cov``) gives
    -inf: the distribution lives on a lower-dimensional set.
    """
    lb = _log_base(base)
    lam = _eigenvalues(cov, eigenvalues)
    if np.any(lam == 0):
        return -np.inf
    d = lam.size
    return float((0.5 * d * (1.0 + _LOG_2PI) + 0.5 * np.log(lam).sum()) / lb)


def gaussian_entropy_t(eigenvalues, t, base=np.e):
    """h(x_t) for x ~ N(mu, Sigma) and x_t = x + t g (chapter 1; book's Gaussian example).

    h(x_t) = D/2 (1 + log 2 pi) + 1/2 sum_i log(lambda_i + t^2). ``t`` is a scalar or a 1-D
    array (vectorized); t = 0 with a zero eigenvalue gives -inf.
    """
    lb = _log_base(base)
    lam = _eigenvalues(None, eigenvalues)
    tt = as_float_array(t, "t", ndim=(0, 1))
    if np.any(tt < 0):
        raise ValueError("t must be >= 0")
    h = 0.5 * lam.size * (1.0 + _LOG_2PI) + 0.5 * _log_lam_plus_t2(lam, tt).sum(axis=1)
    h = h / lb
    return float(h[0]) if tt.ndim == 0 else h


def gaussian_entropy_t_derivative(eigenvalues, t, base=np.e):
    """d h(x_t) / dt = sum_i t / (lambda_i + t^2) > 0 for t > 0 (chapter 1, fact 13).

    Equals t times the Fisher information tr((Sigma + t^2 I)^{-1}) (de Bruijn). At t = 0 a zero
    eigenvalue gives +inf (the one-sided limit).
    """
    lb = _log_base(base)
    lam = _eigenvalues(None, eigenvalues)
    tt = as_float_array(t, "t", ndim=(0, 1))
    if np.any(tt < 0):
        raise ValueError("t must be >= 0")
    t1 = tt.reshape(-1, 1)
    with np.errstate(over="ignore", under="ignore"):
        den = lam[None, :] + t1**2
    direct = np.isfinite(den) & (den >= np.finfo(float).tiny)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # t / (lambda + t^2) where that is representable; else 1 / (t + lambda / t) (t^2
        # overflows or underflows); t = 0 with lambda = 0 is the +inf limit
        alt = np.where(t1 > 0, 1.0 / (t1 + lam[None, :] / np.where(t1 > 0, t1, 1.0)), np.inf)
        terms = np.where(direct, t1 / np.where(direct, den, 1.0), alt)
    d = terms.sum(axis=1) / lb
    return float(d[0]) if tt.ndim == 0 else d


def coding_rate(X, eps, base=np.e, method="svd"):
    """Lossy coding rate R_eps(X) = 1/2 log det(I_D + D / (N eps^2) X^T X) (chapter 1, fact 18).

    ``X`` is (N, D) with samples as ROWS (the book's X is D x N with samples as columns, so its
    X X^T is our X^T X). ``eps`` (> 0) is a scalar or a 1-D array. ``method``:

    * ``"svd"`` (default, stable): 1/2 sum_i log1p(D s_i^2 / (N eps^2)) over the singular values;
    * ``"D"``: log det of the D x D matrix; ``"N"``: of the N x N matrix I_N + c X X^T (the
      identity log det(I + AB) = log det(I + BA)).
    """
    lb = _log_base(base)
    x = as_float_array(X, "X", ndim=2)
    n, d = x.shape
    if n < 1 or d < 1:
        raise ValueError(f"X must have shape (N, D) with N, D >= 1, got {x.shape}")
    e = as_float_array(eps, "eps", ndim=(0, 1))
    if np.any(e <= 0):
        raise ValueError("eps must be > 0")
    if method not in ("svd", "D", "N"):
        raise ValueError(f"method must be 'svd', 'D' or 'N', got {method!r}")
    scalar = e.ndim == 0
    e = e.reshape(-1)
    if method == "svd":
        sv = np.linalg.svd(x, compute_uv=False)
        # singular values at rounding level are zeros of a rank-deficient X (numerical rank,
        # as in numpy.linalg.matrix_rank); at tiny eps they would otherwise count
        s2 = np.where(sv > max(n, d) * np.finfo(float).eps * sv.max(), sv, 0.0) ** 2
    else:
        # eigenvalues of the D x D or N x N Gram matrix (log det(I + c G) as a sum of
        # log1p, no determinant to overflow); those at the Gram matrix's rounding level
        # (size * eps * max) are zeros of a rank-deficient X, as above. Forming X^T X
        # squares the condition number: singular values below sqrt(eps) s_max are lost.
        gram = x.T @ x if method == "D" else x @ x.T
        s2 = np.linalg.eigvalsh(0.5 * (gram + gram.T))
        s2 = np.where(s2 > max(n, d) * np.finfo(float).eps * s2.max(), s2, 0.0)
    r = 0.5 * _sum_log1p_scaled(s2, d / n, e)
    r = r / lb
    return float(r[0]) if scalar else r


def gaussian_cross_entropy(mean_p, cov_p, mean_q, cov_q, base=np.e):
    """CE(p || q) = -E_p[log q(x)] for Gaussians p = N(mu_p, S_p), q = N(mu_q, S_q) (chapter 1).

    The average code length when data from p is coded with a code built for q (erratum 13):
    1/2 [D log 2 pi + log det S_q + tr(S_q^{-1} S_p) + (mu_p - mu_q)^T S_q^{-1} (mu_p - mu_q)].
    It is >= h(p), with equality iff q = p; the gap is ``gaussian_kl``. S_q must be invertible.
    """
    lb = _log_base(base)
    mp = as_float_array(mean_p, "mean_p", ndim=1)
    mq = as_float_array(mean_q, "mean_q", ndim=1)
    d = mp.size
    if mq.size != d:
        raise ValueError(f"mean_q must have {d} entries like mean_p, got {mq.size}")
    sp = as_float_array(cov_p, "cov_p", ndim=2)
    check_psd(sp, "cov_p", d)
    lq, vq = check_psd(cov_q, "cov_q", d)
    if np.any(lq == 0):
        raise ValueError("cov_q must be invertible (q must have a density)")
    tr = (np.einsum("di,de,ei->i", vq, sp, vq) / lq).sum()
    z = vq.T @ (mp - mq)
    ce = 0.5 * (d * _LOG_2PI + np.log(lq).sum() + tr + (z * z / lq).sum())
    return float(ce / lb)


def gaussian_kl(mean_p, cov_p, mean_q, cov_q, base=np.e):
    """KL(p || q) = CE(p || q) - h(p) >= 0 for two Gaussians (chapter 1, erratum 13)."""
    ce = gaussian_cross_entropy(mean_p, cov_p, mean_q, cov_q, base)
    return ce - gaussian_entropy(cov_p, base=base)


def ve_start_kl(eigenvalues, T, base=np.e) -> float:
    """KL( N(0, Sigma + T^2 I) || N(0, T^2 I) ) from the eigenvalues of Sigma (chapter 6).

    The special case of ``gaussian_kl`` that prices the VE sampler's start: the seed
    approximates x_T by N(0, T^2 I) (source eq. 19), while for data N(0, Sigma) (or the
    Gaussian part of any law with covariance Sigma) x_T ~ N(0, Sigma + T^2 I). With
    r_i = lambda_i / T^2 the KL is 1/2 sum_i ( r_i - log(1 + r_i) ) >= 0 (written with log1p,
    so it stays accurate for small r_i): it grows with the total variance of the data relative
    to T^2, so with the dimension D.
    """
    lam = check_spectrum(eigenvalues)
    T = check_scalar(T, "T", low=0, low_open=True)
    lb = _log_base(base)
    T2 = T * T
    with np.errstate(over="ignore", under="ignore"):
        # lambda / T^2, divided twice when T^2 under- or overflows
        r = lam / T2 if np.finfo(float).tiny <= T2 < np.inf else lam / T / T
    if not np.all(np.isfinite(r)):
        raise ValueError(
            f"T={T:g} is too small for eigenvalues up to {lam.max():.3g}: the KL exceeds "
            "the float range (~1.8e308)"
        )
    # r - log(1 + r): for small r a difference of nearly equal terms (relative error
    # ~ eps / r); there its series r^2/2 - r^3/3 + r^4/4 - ... (20 terms: error < r^21)
    small = r < 0.05
    rs = np.where(small, r, 0.0)
    series = np.zeros_like(r)
    for j in range(21, 1, -1):
        series = rs * (((-1) ** j) / j + series)
    series = rs * series
    terms = np.where(small, series, r - np.log1p(np.where(small, 0.0, r)))
    kl = 0.5 * np.sum(terms)
    if not np.isfinite(kl):
        raise ValueError(f"the KL for T={T:g} exceeds the float range (~1.8e308)")
    return float(kl / lb)


# ---------------------------------------------------------------------------------------
# Entropy of a noised Gaussian mixture
# ---------------------------------------------------------------------------------------
def mixture_entropy_mc(gmm, ts, n, rng, schedule=None, base=np.e):
    """h(x_t) of a Gaussian mixture at several t by Monte Carlo with common random numbers.

    One draw x_1..x_n ~ p and one noise g_1..g_n are shared by every t, and
    h(x_t) ~ -1/n sum_i log p_t(alpha_t x_i + sigma_t g_i) (chapter 1, fact 13). Sharing the
    draws makes the differences between consecutive t much less noisy than the values.

    Returns a dict with ``t``, ``h`` and ``stderr`` (one per t), ``diff`` = h[j+1] - h[j] and
    ``diff_stderr`` (the paired standard error of each difference).
    """
    check_mixture(gmm)
    check_rng(rng)
    schedule = VE() if schedule is None else check_schedule(schedule)
    lb = _log_base(base)
    tt = np.atleast_1d(schedule.check_t(ts, "ts"))
    n = check_scalar(n, "n", low=2, integer=True)
    check_memory(n * (2 * gmm.D + 2 * tt.size), "n")
    x = gmm.sample(n, rng)
    g = rng.standard_normal((n, gmm.D))
    a = np.asarray(schedule.alpha(tt), dtype=float)
    s = np.asarray(schedule.sigma(tt), dtype=float)
    nlp = np.empty((tt.size, n))
    for j in range(tt.size):  # a handful of noise levels; each one is vectorized over points
        nlp[j] = -gmm.logpdf(a[j] * x + s[j] * g, tt[j], schedule)
    nlp /= lb
    dif = np.diff(nlp, axis=0)
    return {
        "t": tt,
        "h": nlp.mean(axis=1),
        "stderr": nlp.std(axis=1, ddof=1) / np.sqrt(n),
        "diff": dif.mean(axis=1),
        "diff_stderr": dif.std(axis=1, ddof=1) / np.sqrt(n) if tt.size > 1 else np.zeros(0),
    }


def mixture_entropy_bounds(gmm, t, base=np.e):
    """Closed-form bounds on h(x_t) for x_t = x + t g with x a Gaussian mixture (chapter 1).

    * ``lower`` = h(x_t | y) = sum_k pi_k h(N(mu_k, Sigma_k + t^2 I)) (conditioning lowers h);
    * ``upper_label`` = h(x_t | y) + H(y) (knowing the label costs at most H(pi) more);
    * ``upper_gauss`` = h(N(., Cov(x) + t^2 I)) (the Gaussian maximizes h at fixed covariance).

    Returns a dict of floats (VE noise; t >= 0, and t > 0 if a component is singular).
    """
    check_mixture(gmm)
    t = check_scalar(t, "t", low=0)
    hk = np.array(
        [
            gaussian_entropy_t(lam_k, t, base) + _pad(gmm.D - lam_k.size, t, base)
            for _, _, lam_k in gmm.components()
        ]
    )
    w = gmm.weights
    lower = float(w @ hk) if np.all(np.isfinite(hk)) else -np.inf
    _, cov = mixture_moments(gmm)
    lam, _ = check_psd(cov, "mixture covariance")
    return {
        "lower": lower,
        "upper_label": lower + entropy(w, base),
        "upper_gauss": gaussian_entropy_t(lam, t, base),
    }


def _pad(k, t, base):
    """Entropy of the k directions a low-rank component lacks: k/2 (1 + log 2 pi t^2)."""
    if k == 0:
        return 0.0
    return gaussian_entropy_t(np.zeros(k), t, base)
