"""Noise schedules x_t = alpha_t x + sigma_t g (chapter 2, eq. 5; chapter 6).

``VE``: alpha_t = 1, sigma_t = t (the source's eq. 2), defined for every t >= 0; ``T`` is only
the horizon the sampler starts from. ``VP``: alpha_t = sqrt(1 - t^2), sigma_t = t on [0, 1]
(the seed's VP schedule), so alpha_t^2 + sigma_t^2 = 1 and x_1 ~ N(0, I) exactly.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_memory, check_scalar

# Nonzero noise levels are kept where t^2 and the squared norms built from it stay normal floats.
T_TINY, T_HUGE = 1e-100, 1e100


class Schedule:
    """Base class: subclasses define ``alpha``, ``sigma``, ``T`` and ``t_max`` (largest valid t)."""

    name = "schedule"
    T: float
    t_max: float

    def alpha(self, t):
        raise NotImplementedError

    def sigma(self, t):
        raise NotImplementedError

    def check_t(self, t, name: str = "t") -> np.ndarray:
        """Validate a noise level (scalar or 1-D array) against this schedule's range."""
        arr = as_float_array(t, name, ndim=(0, 1))
        if np.any(arr < 0):
            raise ValueError(f"{name} must be >= 0, got min {arr.min():.6g}")
        positive = arr[arr > 0]
        if positive.size and (positive.min() < T_TINY or positive.max() > T_HUGE):
            raise ValueError(
                f"{name} must be 0 or between {T_TINY:g} and {T_HUGE:g} (so that t^2 neither "
                f"underflows nor overflows), got {positive.min():.6g}..{positive.max():.6g}"
            )
        if np.any(arr > self.t_max):
            raise ValueError(
                f"{name} must be <= {self.t_max:g} for the {self.name} schedule, "
                f"got max {arr.max():.6g}"
            )
        return arr

    def grid(self, L: int, kind: str = "uniform", rate: float = 4.0) -> np.ndarray:
        """Time grid t_0 = 0 < t_1 < ... < t_L = T (chapter 5; chapter 6 for ``exponential``).

        ``uniform``: t_l = T l / L (the source's grid). ``exponential``: t_l = C1 (exp(C2 l) - 1)
        with C2 = rate / L and C1 chosen so that t_L = T, which spends more steps at small t.
        """
        L = check_scalar(L, "L", low=1, integer=True)
        check_memory(3 * (L + 1), "L")  # l, the grid and a temporary
        l = np.arange(L + 1, dtype=float)
        if kind == "uniform":
            ts = self.T * l / L
        elif kind == "exponential":
            rate = check_scalar(rate, "rate", low=0, low_open=True)
            # T (e^{rate l/L} - 1) / (e^{rate} - 1), written so that a large rate cannot overflow
            ts = self.T * np.exp(rate * (l / L - 1.0)) * np.expm1(-rate * l / L) / np.expm1(-rate)
        else:
            raise ValueError(f"kind must be 'uniform' or 'exponential', got {kind!r}")
        ts[0], ts[-1] = 0.0, self.T
        if kind == "exponential" and np.any(np.diff(ts) <= 0):
            raise ValueError(
                f"rate={rate:g} is too large for L={L}: the first times underflow to 0 "
                "(the grid must be strictly increasing)"
            )
        return ts

    def __eq__(self, other):
        return type(self) is type(other) and self.T == other.T

    def __hash__(self):
        return hash((type(self).__name__, self.T))


class VE(Schedule):
    """Variance exploding: alpha_t = 1, sigma_t = t (source eq. 2)."""

    name = "VE"

    def __init__(self, T: float = 1.0):
        self.T = check_scalar(T, "T", low=0, low_open=True, high=T_HUGE)
        self.t_max = np.inf

    def alpha(self, t):
        return np.ones_like(np.asarray(t, dtype=float))

    def sigma(self, t):
        return np.asarray(t, dtype=float) * 1.0

    def __repr__(self):
        return f"VE(T={self.T:g})"


class VP(Schedule):
    """Variance preserving: alpha_t = sqrt(1 - t^2), sigma_t = t, T = 1 (the seed's VP schedule)."""

    name = "VP"

    def __init__(self):
        self.T = 1.0
        self.t_max = 1.0

    def alpha(self, t):
        t = np.asarray(t, dtype=float)
        # sqrt((1 - t)(1 + t)) keeps relative accuracy as t -> 1.
        return np.sqrt(np.clip((1.0 - t) * (1.0 + t), 0.0, None))

    def sigma(self, t):
        return np.asarray(t, dtype=float) * 1.0

    def __repr__(self):
        return "VP()"


def check_schedule(schedule, name: str = "schedule") -> Schedule:
    if not isinstance(schedule, Schedule):
        raise ValueError(f"{name} must be a Schedule such as VE() or VP(), got {schedule!r}")
    return schedule
