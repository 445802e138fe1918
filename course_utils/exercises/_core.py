"""Self-check helpers for the exercises: say whether an answer is right, never what it is."""

from __future__ import annotations

import numpy as np


class Verdict:
    """Result of a self-check: truthy when correct; prints a one-line message."""

    def __init__(self, ok: bool, message: str):
        self.ok = bool(ok)
        self.message = message

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return ("Correct: " if self.ok else "Not yet: ") + self.message


def close_enough(answer, expected, *, rtol=1e-6, atol=1e-9, name="answer", hint="") -> Verdict:
    """Compare a numerical answer with the expected value without revealing the latter."""
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return Verdict(False, f"{name} should be a number or an array of numbers.")
    e = np.asarray(expected, dtype=float)
    if a.shape != e.shape:
        return Verdict(False, f"{name} should have shape {e.shape}, got {a.shape}.")
    if not np.all(np.isfinite(a)):
        return Verdict(False, f"{name} contains NaN or inf.")
    if np.allclose(a, e, rtol=rtol, atol=atol):
        return Verdict(True, f"{name} matches.")
    return Verdict(False, f"{name} does not match yet. {hint}".strip())
