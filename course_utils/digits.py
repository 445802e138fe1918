"""The real-data thread: scikit-learn's 8x8 handwritten digits (chapters 7 and 8).

* ``load_digits_split``: the 1797 images of ``sklearn.datasets.load_digits`` (no download: the
  data ship with scikit-learn), divided by 16 so pixels lie in [0, 1], minus the *training*
  mean image, split into a stratified training and test set.
* ``fit_class_mixture``: one Gaussian per class, pi_k = class frequency, mu_k = class mean,
  Sigma_k = V_k diag(e_1..e_P, s_k^2, .., s_k^2) V_k^T: the top-P eigenpairs of the class
  covariance plus an isotropic floor s_k^2 (the mean of the discarded eigenvalues, the
  probabilistic-PCA estimate) on the complement. Built with ``GaussianMixture.low_rank`` so
  the denoiser keeps its factored (one GEMM per call) form.
* ``fit_gaussian``: the same recipe with one component (a single Gaussian, the Wiener model).
* ``digit_classifier``: a logistic regression trained on the training digits, an independent
  judge of what generated digits look like.
* ``show_digits``: draw images (mean image added back) on a row of axes.

scikit-learn is imported inside the functions that need it, never at module import.
Images are rows of length 64 (pixel (r, c) is entry 8 r + c).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import as_float_array, check_scalar
from .mixtures import GaussianMixture

__all__ = [
    "DigitsSplit",
    "digit_classifier",
    "fit_class_mixture",
    "fit_gaussian",
    "gaussian_factors",
    "load_digits_split",
    "show_digits",
]

IMAGE_SHAPE = (8, 8)
D_DIGITS = 64


@dataclass(frozen=True, eq=False)
class DigitsSplit:
    """Scaled, centred digits: ``x_*`` (n, 64) with pixel / 16 - ``mean_image``; ``y_*`` labels
    0..9; ``mean_image`` (64,) is the mean of the training images (add it back to display)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean_image: np.ndarray

    def __repr__(self):
        return (f"DigitsSplit(n_train={self.x_train.shape[0]}, n_test={self.x_test.shape[0]}, "
                f"D={self.x_train.shape[1]})")


def load_digits_split(test_size=0.3, seed=0) -> DigitsSplit:
    """The 8x8 digits, scaled to [0, 1] and centred by the training mean, split in two.

    The split is ``sklearn.model_selection.train_test_split(test_size=test_size,
    random_state=seed, stratify=labels)``: 1257 training and 540 test images at the defaults,
    each class in the same proportion in both. Arrays are read-only.
    """
    test_size = check_scalar(test_size, "test_size", low=0, low_open=True, high=1)
    if test_size >= 1:
        raise ValueError(f"test_size must be < 1, got {test_size}")
    seed = check_scalar(seed, "seed", low=0, integer=True)
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = np.asarray(data.data, dtype=float) / 16.0
    y = np.asarray(data.target, dtype=int)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y
    )
    mean = x_tr.mean(axis=0)
    arrays = [x_tr - mean, y_tr, x_te - mean, y_te, mean]
    for a in arrays:
        a.setflags(write=False)
    return DigitsSplit(*arrays)


def _check_rank(rank, d):
    if rank is None:
        return d
    return check_scalar(rank, "rank", low=1, high=d, integer=True)


def gaussian_factors(x, rank=None, floor=True):
    """Mean, orthonormal basis and variances of the rank-``rank`` Gaussian fitted to ``x``.

    The covariance is the maximum-likelihood one, (1/n) sum_i (x_i - mu)(x_i - mu)^T, with
    eigenvalues e_1 >= .. >= e_D (clipped at 0). Kept: the top ``rank`` eigenpairs and, with
    ``floor``, the floor s^2 = mean(e_{rank+1}, .., e_D) on every discarded direction
    (probabilistic PCA); ``rank=None`` keeps the full covariance. Directions of zero variance
    are dropped from the basis (the Gaussian is degenerate there), so the returned variances are
    all positive and ``GaussianMixture.low_rank`` accepts them.

    Returns ``(mean (D,), basis (D, r), variances (r,), s2)`` with ``s2`` the floor (0 without).
    """
    x = as_float_array(x, "x", ndim=2)
    n, d = x.shape
    if n < 2:
        raise ValueError(f"x must hold at least 2 points to fit a covariance, got {n}")
    rank = _check_rank(rank, d)
    if not isinstance(floor, (bool, np.bool_)):
        raise ValueError(f"floor must be True or False, got {floor!r}")
    mu = x.mean(axis=0)
    xc = x - mu
    lam, vec = np.linalg.eigh(xc.T @ xc / n)
    lam, vec = np.clip(lam[::-1], 0.0, None), vec[:, ::-1]  # decreasing, >= 0
    tol = d * np.finfo(float).eps * max(lam[0], np.finfo(float).tiny)
    var = lam.copy()
    s2 = 0.0
    if rank < d:
        if floor:
            s2 = float(lam[rank:].mean())
            var[rank:] = s2
        else:
            var[rank:] = 0.0
    keep = var > tol
    if not np.any(keep):
        raise ValueError("x has no variance: all points are equal")
    return mu, vec[:, keep], var[keep], s2


def _check_labels(labels, n):
    y = np.asarray(labels)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"labels must be 1-D with one entry per row of x ({n}), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be integers, got dtype {y.dtype}")
    return y


def fit_class_mixture(x, labels, rank=8, floor=True) -> GaussianMixture:
    """One Gaussian per class (chapter 7, the digits model): a ``GaussianMixture`` with
    component k for the k-th smallest label.

    pi_k = class frequency, mu_k = class mean, covariance = top-``rank`` eigenpairs of the class
    covariance plus, with ``floor``, the isotropic floor s_k^2 = mean of the discarded
    eigenvalues on the complement (``gaussian_factors``). ``rank=None``: full class covariance.
    Every class needs at least two points.
    """
    x = as_float_array(x, "x", ndim=2)
    y = _check_labels(labels, x.shape[0])
    classes, counts = np.unique(y, return_counts=True)
    if np.any(counts < 2):
        raise ValueError("every class must have at least 2 points to fit a covariance")
    means, bases, variances = [], [], []
    for k in classes:
        mu, v, var, _ = gaussian_factors(x[y == k], rank, floor)
        means.append(mu)
        bases.append(v)
        variances.append(var)
    weights = counts / counts.sum()
    return GaussianMixture.low_rank(bases, weights, np.array(means), variances)


def fit_gaussian(x, rank=None, floor=True) -> GaussianMixture:
    """A single Gaussian fitted to ``x`` (one-component ``GaussianMixture``; same recipe as
    ``fit_class_mixture``). With ``rank=None`` its denoiser is the Wiener filter."""
    mu, v, var, _ = gaussian_factors(x, rank, floor)
    return GaussianMixture.low_rank([v], np.ones(1), mu[None], [var])


def digit_classifier(x_train, y_train):
    """A fitted ``sklearn.linear_model.LogisticRegression(max_iter=5000)``: an independent
    judge of generated digits (about 0.97 accuracy on the default test split)."""
    x = as_float_array(x_train, "x_train", ndim=2)
    y = _check_labels(y_train, x.shape[0])
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=5000).fit(x, y)


def show_digits(axes, images, mean_image=None, titles=None, cmap="gray_r"):
    """Draw each image (row of length 64) as 8x8 on the matching axis, ink dark on white.

    ``mean_image`` (64,) is added back first (the split's images are centred); the grey scale
    is fixed to [0, 1], the range of the raw pixels / 16. Returns the list of AxesImages.
    """
    imgs = as_float_array(images, "images", ndim=(1, 2))
    imgs = imgs[None] if imgs.ndim == 1 else imgs
    if imgs.shape[1] != D_DIGITS:
        raise ValueError(f"images must have {D_DIGITS} columns (8x8 pixels), got {imgs.shape}")
    if mean_image is not None:
        imgs = imgs + as_float_array(mean_image, "mean_image", ndim=1)
    axs = list(np.ravel(axes)) if isinstance(axes, (list, tuple, np.ndarray)) else [axes]
    if len(axs) != imgs.shape[0]:
        raise ValueError(f"need one axis per image: {len(axs)} axes for {imgs.shape[0]} images")
    if titles is not None and len(titles) != len(axs):
        raise ValueError(f"titles must have one entry per image ({len(axs)})")
    out = []
    for i, ax in enumerate(axs):
        out.append(ax.imshow(imgs[i].reshape(IMAGE_SHAPE), cmap=cmap, vmin=0.0, vmax=1.0,
                             interpolation="nearest"))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        if titles is not None:
            ax.set_title(titles[i], fontsize="small")
    return out
