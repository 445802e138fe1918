"""The forward (noising) process and Monte Carlo checks of the denoiser (chapter 2).

* ``forward_process``: x_t = alpha_t x + sigma_t g for several t with ONE noise draw g shared by
  every t (source eq. 2; VE: x_t = x + t g; erratum 2: g ~ N(0, I), independent of x).
* ``mixture_2d``: the 2-D, three-component mixture of the source's figures F2/F3.
* ``density_grid``: p_t on a square grid, for heat maps.
* ``two_point_denoiser``: E[x | x_t] = tanh(x_t / t^2) for x uniform on {-1, +1} (VE; the book
  prints tanh(-x_t / t^2), with the wrong sign).
* ``mc_posterior_mean``: E[x | x_t] by self-normalised importance sampling from prior samples,
  with its standard error: an independent check of the closed form and of Tweedie (eq. 4).
* ``finite_difference_grad``: central differences, for an independent check of the score.
* ``mixture_moments`` / ``affine_denoiser``: the best affine estimator of x from x_t, a baseline
  that the Bayes denoiser (eq. 3) must beat in mean squared error.
* ``mean_and_se``: a Monte Carlo mean and its standard error.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, as_points, check_memory, check_rng, check_scalar
from .mixtures import GaussianMixture, check_mixture
from .schedules import VE, check_schedule

__all__ = [
    "affine_denoiser",
    "density_grid",
    "finite_difference_grad",
    "forward_process",
    "mc_posterior_mean",
    "mean_and_se",
    "mixture_2d",
    "mixture_moments",
    "two_point_denoiser",
]


def forward_process(x, ts, rng=None, schedule=None, g=None, return_noise=False):
    """Noised copies x_t = alpha_t x + sigma_t g for every t in ``ts`` (chapter 2, eqs. 2 and 5).

    One standard normal ``g`` (shape of ``x``, independent of ``x``) is drawn from ``rng`` (or
    passed in) and shared by all t, so each point moves along a straight ray as t grows (VE).
    Returns an array of shape (len(ts), n, D) (or (len(ts), D) for a single point), and ``g``
    too with ``return_noise=True``.
    """
    pts, single = as_points(x, "x", np.shape(x)[-1] if np.ndim(x) in (1, 2) else 1)
    schedule = VE() if schedule is None else check_schedule(schedule)
    tt = schedule.check_t(ts, "ts")
    tt = np.atleast_1d(tt)
    check_memory(tt.size * pts.size, "ts")
    if g is None:
        if rng is None:
            raise ValueError("rng must be given (a numpy.random.Generator) when g is not")
        g = check_rng(rng).standard_normal(pts.shape)
    else:
        g = as_float_array(g, "g", ndim=(1, 2)).reshape(-1, pts.shape[1])
        if g.shape != pts.shape:
            raise ValueError(f"g must have the shape of x {pts.shape}, got {g.shape}")
    a = schedule.alpha(tt)[:, None, None]
    s = schedule.sigma(tt)[:, None, None]
    out = a * pts[None] + s * g[None]
    if single:
        out, g = out[:, 0], g[0]
    return (out, g) if return_noise else out


def mixture_2d() -> GaussianMixture:
    """The 2-D mixture of the source's figures F2/F3 (chapter 2).

    K = 3, weights 1/3, means (-3, -3), (3, 3), (0, 3), Sigma_k = F_k F_k^T with
    F_1 = [[2, .5], [.5, .5]], F_2 = [[.5, 0], [0, 2]], F_3 = [[1, -.8], [-.8, 1]].
    """
    f = np.array(
        [
            [[2.0, 0.5], [0.5, 0.5]],
            [[0.5, 0.0], [0.0, 2.0]],
            [[1.0, -0.8], [-0.8, 1.0]],
        ]
    )
    covs = f @ np.transpose(f, (0, 2, 1))
    means = np.array([[-3.0, -3.0], [3.0, 3.0], [0.0, 3.0]])
    return GaussianMixture(np.full(3, 1.0 / 3.0), means, covs)


def density_grid(gmm, t, lim=8.0, n=100, schedule=None):
    """The density p_t of x_t on an n x n grid over [-lim, lim]^2 (chapter 2, figure F2).

    Returns ``(xs, dens)``: the grid coordinates (n,) and ``dens[i, j] = p_t((xs[j], xs[i]))``
    (rows are the vertical coordinate), ready for ``imshow(dens, origin="lower")``.
    """
    check_mixture(gmm)
    if gmm.D != 2:
        raise ValueError(f"gmm must be 2-dimensional for a density grid, got D={gmm.D}")
    lim = check_scalar(lim, "lim", low=0, low_open=True)
    n = check_scalar(n, "n", low=2, integer=True)
    check_memory(8 * n * n, "n")  # grid points, coordinates and densities
    check_scalar(t, "t", low=0)
    xs = np.linspace(-lim, lim, n)
    gx, gy = np.meshgrid(xs, xs)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    dens = np.exp(gmm.logpdf(pts, t, schedule)).reshape(n, n)
    return xs, dens


def two_point_denoiser(x_t, t):
    """E[x | x_t] = tanh(x_t / t^2) for x uniform on {-1, +1} and x_t = x + t g (VE, t > 0).

    By Bayes, Pr[x = +1 | x_t] = phi(x_t; 1, t^2) / (phi(x_t; 1, t^2) + phi(x_t; -1, t^2))
    = sigmoid(2 x_t / t^2), so the mean is 2 sigmoid(2 x_t / t^2) - 1 = tanh(x_t / t^2).
    (The book's tanh(-x_t / t^2) has the wrong sign: source-notes B1.)
    """
    x = as_float_array(x_t, "x_t")
    t = check_scalar(t, "t", low=0, low_open=True)
    t2 = t * t
    if t2 < np.finfo(float).tiny:  # t^2 underflows (t < 1.5e-154): divide by t twice
        with np.errstate(over="ignore"):
            return np.tanh(x / t / t)
    return np.tanh(x / t2)


def mc_posterior_mean(prior_samples, x_t, t, schedule=None, block=2**22):
    """Monte Carlo estimate of E[x | x_t] by self-normalised importance sampling.

    With x_i ~ p (``prior_samples``, shape (m, D)) as proposal, the posterior weight of x_i
    given x_t is proportional to the likelihood phi(x_t; alpha_t x_i, sigma_t^2 I) (chapter 2,
    eq. 3 by Bayes). Returns ``(mean, se, ess)`` for each row of ``x_t``: the weighted mean
    (n, D), its delta-method standard error sqrt(sum_i w_i^2 (x_i - mean)^2) (n, D) and the
    effective sample size 1 / sum_i w_i^2 (n,). Needs t > 0.
    """
    xs = as_float_array(prior_samples, "prior_samples", ndim=2)
    m, d = xs.shape
    if m < 2:
        raise ValueError(f"prior_samples must have at least 2 rows, got {m}")
    pts, single = as_points(x_t, "x_t", d)
    block = check_scalar(block, "block", low=1, integer=True)
    schedule = VE() if schedule is None else check_schedule(schedule)
    tt = float(schedule.check_t(t))
    if tt <= 0:
        raise ValueError("t must be > 0 for importance weights (at t = 0, x = x_t)")
    a, s2 = float(schedule.alpha(tt)), float(schedule.sigma(tt)) ** 2
    n = pts.shape[0]
    mean, se, ess = np.empty((n, d)), np.empty((n, d)), np.empty(n)
    ax = a * xs
    ax2 = (ax * ax).sum(axis=1)
    step = max(1, block // m)
    for i0 in range(0, n, step):
        q = pts[i0 : i0 + step]
        sq = (q * q).sum(axis=1)[:, None] - 2.0 * q @ ax.T + ax2[None, :]
        logw = -0.5 * sq / s2
        logw -= logw.max(axis=1, keepdims=True)
        w = np.exp(logw)
        w /= w.sum(axis=1, keepdims=True)
        mu = w @ xs
        w2 = w * w
        var = w2 @ (xs * xs) - 2.0 * mu * (w2 @ xs) + mu * mu * w2.sum(axis=1, keepdims=True)
        mean[i0 : i0 + step] = mu
        se[i0 : i0 + step] = np.sqrt(np.maximum(var, 0.0))
        ess[i0 : i0 + step] = 1.0 / w2.sum(axis=1)
    if single:
        return mean[0], se[0], ess[0]
    return mean, se, ess


def finite_difference_grad(f, x, h=1e-4):
    """Central-difference gradient of a scalar function ``f`` of points (n, D) -> (n,).

    Each coordinate d uses (f(x + h e_d) - f(x - h e_d)) / (2 h); error O(h^2) plus rounding
    O(eps |f| / h). All 2 D shifted copies go to ``f`` in one call.
    """
    if not callable(f):
        raise ValueError("f must be a callable f(points) -> values")
    pts, single = as_points(x, "x", np.shape(x)[-1] if np.ndim(x) in (1, 2) else 1)
    h = check_scalar(h, "h", low=0, low_open=True)
    n, d = pts.shape
    shifts = h * np.eye(d)
    stacked = np.concatenate([pts[None] + shifts[:, None], pts[None] - shifts[:, None]])
    vals = f(stacked.reshape(-1, d))
    if np.size(vals) != 2 * d * n:
        raise ValueError(
            f"f must return one value per point: called on {2 * d * n} points of shape "
            f"({2 * d * n}, {d}), it returned shape {np.shape(vals)}"
        )
    vals = as_float_array(vals, "f(points)").reshape(2, d, n)
    grad = ((vals[0] - vals[1]) / (2.0 * h)).T
    return grad[0] if single else grad


def mixture_moments(gmm):
    """Mean (D,) and covariance (D, D) of a Gaussian mixture: sum pi_k (Sigma_k + mu_k mu_k^T)
    - m m^T."""
    check_mixture(gmm)
    m = gmm.weights @ gmm.means
    second = np.einsum("k,kij->ij", gmm.weights, gmm.covs) + np.einsum(
        "k,ki,kj->ij", gmm.weights, gmm.means, gmm.means
    )
    return m, second - np.outer(m, m)


def affine_denoiser(gmm, x_t, t, schedule=None):
    """The best affine estimator of x from x_t (chapter 2, a baseline for eq. 3).

    With m, C the mean and covariance of x: m + alpha C (alpha^2 C + sigma^2 I)^{-1}
    (x_t - alpha m). It equals the Bayes denoiser when x is Gaussian (K = 1) and is beaten by it
    otherwise. For VE (alpha = 1, sigma = t) and m = 0 its matrix is
    ``course_utils.linear.gaussian_denoiser_matrix(C, t)`` (source eq. 9; chapter 4's best
    linear denoiser); this function adds the mean, any schedule, and takes C from the mixture.
    """
    m, c = mixture_moments(gmm)
    pts, single = as_points(x_t, "x_t", gmm.D)
    schedule = VE() if schedule is None else check_schedule(schedule)
    tt = float(schedule.check_t(t))
    a, s2 = float(schedule.alpha(tt)), float(schedule.sigma(tt)) ** 2
    gain = a * c @ np.linalg.inv(a * a * c + s2 * np.eye(gmm.D))
    out = m + (pts - a * m) @ gain.T
    return out[0] if single else out


def mean_and_se(values, axis=0):
    """Monte Carlo mean of ``values`` along ``axis`` and its standard error s / sqrt(n)."""
    v = as_float_array(values, "values")
    if v.ndim == 0:
        raise ValueError("values must be an array (at least 2 entries), got a scalar")
    axis = check_scalar(axis, "axis", low=-v.ndim, high=v.ndim - 1, integer=True)
    if v.shape[axis] < 2:
        raise ValueError("values must have at least 2 entries along axis")
    n = v.shape[axis]
    return v.mean(axis=axis), v.std(axis=axis, ddof=1) / np.sqrt(n)
