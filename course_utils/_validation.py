"""Input validation shared by every public function (one small validator, clear messages).

Every check raises ``ValueError`` naming the argument and what was expected, so that a
reader who passes the wrong thing learns what to pass instead.
"""

from __future__ import annotations

import os

import numpy as np


def _refuse_complex(value, name: str) -> None:
    """Complex numbers would lose their imaginary part silently in a float conversion."""
    try:
        is_complex = np.iscomplexobj(value)
    except (TypeError, ValueError):  # ragged or non-numeric: the conversion will say so
        return
    if is_complex:
        raise TypeError(
            f"{name} must hold real numbers, got complex values (pass z.real explicitly if "
            "the imaginary part is meant to be dropped)"
        )


def as_float_array(value, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Return ``value`` as a float64 array, checking its number of dimensions and finiteness.

    Complex input raises TypeError (a float conversion would drop the imaginary part).
    """
    if isinstance(value, np.ndarray) and value.dtype == object:
        raise ValueError(f"{name} must be an array of real numbers, got an object array")
    _refuse_complex(value, name)
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of real numbers ({exc})") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join("a scalar" if d == 0 else f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got an array of shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers (found NaN or inf)")
    return arr


def as_points(x, name: str, dim: int) -> tuple[np.ndarray, bool]:
    """Points as rows: accept shape (n, D) or a single point (D,).

    Returns the (n, D) array and whether the input was a single point, so the caller can
    give the result back in the shape it received.
    """
    arr = as_float_array(x, name, ndim=(1, 2))
    single = arr.ndim == 1
    pts = arr[None, :] if single else arr
    if pts.shape[1] != dim:
        raise ValueError(
            f"{name} must have {dim} columns (one row per point, D={dim}), got shape {arr.shape}"
        )
    return pts, single


def check_scalar(value, name: str, *, low=None, high=None, low_open=False, integer=False):
    """A finite real (or integer) number in [low, high] (``low_open`` makes it (low, high])."""
    if integer:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {value!r}")
        value = int(value)
    else:
        _refuse_complex(value, name)
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a real number, got {value!r}") from None
        if not np.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value <= low if low_open else value < low):
        op = ">" if low_open else ">="
        raise ValueError(f"{name} must be {op} {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_weights(weights, name: str = "weights", k: int | None = None) -> np.ndarray:
    """Mixture weights: 1-D, non-negative, summing to 1 (to 1e-8)."""
    w = as_float_array(weights, name, ndim=1)
    if k is not None and w.shape[0] != k:
        raise ValueError(f"{name} must have {k} entries (one per component), got {w.shape[0]}")
    if w.size == 0:
        raise ValueError(f"{name} must have at least one entry")
    if np.any(w < 0):
        raise ValueError(f"{name} must be non-negative, got min {w.min():.3g}")
    total = w.sum()
    if abs(total - 1.0) > 1e-8:
        raise ValueError(f"{name} must sum to 1, got sum {total:.12g}")
    return w


def check_psd(cov, name: str = "cov", dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A symmetric positive semi-definite matrix; returns its eigenvalues and eigenvectors.

    Eigenvalues below ``D * eps * max|lambda|`` (rounding noise) are set to exactly 0, so that
    directions the covariance does not have are removed exactly (chapter 3, eq. 9).
    """
    c = as_float_array(cov, name, ndim=2)
    if c.shape[0] != c.shape[1] or (dim is not None and c.shape[0] != dim):
        want = f"({dim}, {dim})" if dim is not None else "square"
        raise ValueError(f"{name} must be {want}, got shape {c.shape}")
    scale = max(np.abs(c).max(), np.finfo(float).tiny)
    # Entries near the ends of the float range (|c| ~ 1e308 overflows in c + c^T): work on
    # c / 2^e, an exact rescaling, and scale the eigenvalues back. Ordinary matrices are
    # left untouched (bit for bit).
    shift = 0
    if scale > 1e150 or scale < 1e-150:
        shift = int(np.frexp(scale)[1])
        c = np.ldexp(c, -shift)
        scale = np.abs(c).max()
    asym = np.abs(c - c.T).max()
    if asym > 1e-8 * scale:
        raise ValueError(
            f"{name} must be symmetric (max |C - C^T| = {np.ldexp(asym, shift):.3g})"
        )
    lam, vecs = np.linalg.eigh(0.5 * (c + c.T))
    tol = c.shape[0] * np.finfo(float).eps * max(np.abs(lam).max(), np.finfo(float).tiny)
    if lam.min() < -max(tol, 1e-10 * scale):
        raise ValueError(
            f"{name} must be positive semi-definite, got an eigenvalue "
            f"{np.ldexp(lam.min(), shift):.3g} < 0"
        )
    lam = np.where(lam < tol, 0.0, lam)
    if shift:
        lam = np.ldexp(lam, shift)
        if not np.all(np.isfinite(lam)):
            raise ValueError(f"{name} has an eigenvalue beyond the float range (~1.8e308)")
    return lam, vecs


def check_orthonormal(basis, name: str = "basis", dim: int | None = None) -> np.ndarray:
    """A (D, P) matrix with orthonormal columns (U^T U = I to 1e-8), 1 <= P <= D."""
    u = as_float_array(basis, name, ndim=2)
    d, p = u.shape
    if dim is not None and d != dim:
        raise ValueError(f"{name} must have {dim} rows (D={dim}), got shape {u.shape}")
    if p < 1 or p > d:
        raise ValueError(f"{name} must have between 1 and D={d} columns, got {p}")
    err = np.abs(u.T @ u - np.eye(p)).max()
    if err > 1e-8:
        raise ValueError(f"{name} must have orthonormal columns (max |U^T U - I| = {err:.3g})")
    return u


def check_rng(rng, name: str = "rng") -> np.random.Generator:
    """A ``numpy.random.Generator`` (all randomness in the course flows through one of these)."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"{name} must be a numpy.random.Generator, e.g. np.random.default_rng(0), "
            f"got {type(rng).__name__}"
        )
    return rng


def check_bases(bases, name: str = "bases", dim: int | None = None) -> list[np.ndarray]:
    """A non-empty list (or (K, D, P) array) of (D, P_k) matrices with orthonormal columns.

    ``dim`` fixes D; by default it is taken from the first basis. Returns the list of arrays.
    """
    if isinstance(bases, np.ndarray) and bases.ndim == 3:
        bases = list(bases)
    if not isinstance(bases, (list, tuple)) or len(bases) == 0:
        raise ValueError(f"{name} must be a non-empty list of (D, P_k) orthonormal matrices")
    if dim is None:
        dim = np.asarray(bases[0]).shape[0]
    return [check_orthonormal(u, f"{name}[{i}]", dim) for i, u in enumerate(bases)]


def check_spectrum(values, name: str = "eigenvalues", ndim=1) -> np.ndarray:
    """Eigenvalues of a covariance: a non-empty float array of numbers >= 0 (``ndim`` as in
    ``as_float_array``; None allows any shape)."""
    lam = as_float_array(values, name, ndim=ndim)
    if lam.size == 0:
        raise ValueError(f"{name} must have at least one entry")
    if np.any(lam < 0):
        raise ValueError(f"{name} must be >= 0 (a covariance spectrum), got min {lam.min():.3g}")
    return lam


def as_like(value, name: str, like: np.ndarray, like_name: str) -> np.ndarray:
    """``value`` as a float array with exactly the shape of ``like`` (e.g. a score or a
    denoiser output next to the points x_t it belongs to)."""
    arr = as_float_array(value, name)
    if arr.shape != like.shape:
        raise ValueError(f"{name} must have the shape of {like_name} {like.shape}, got {arr.shape}")
    return arr


def _machine_memory() -> int | None:
    """Physical memory of this machine in bytes (None where the OS does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(n_elements, name: str, itemsize: int = 8) -> None:
    """Refuse, before allocating, an array of ``n_elements`` that the machine cannot hold.

    ``n_elements`` may be a Python int of any size (computed from the arguments, not from
    an allocation). The message names the argument that sets the size.
    """
    need = int(n_elements) * int(itemsize)
    have = _machine_memory()
    if have is not None and need > have:
        raise ValueError(
            f"{name} asks for an array of {need / 2**30:.3g} GiB, more than this machine's "
            f"{have / 2**30:.3g} GiB of memory: use a smaller {name}"
        )
