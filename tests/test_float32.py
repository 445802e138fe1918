"""The float32 option of posterior_mean / responsibilities / gmm.denoiser (issue: "a float32
option if it helps"; it halves the cost of the large matrix products).

Tolerance: the products run in single precision (unit roundoff 6e-8) over D-term sums, so a
relative error of a few 1e-6 is expected at D = 64; 1e-4 leaves a wide margin while still
failing if float32 leaked into the log-sum-exp or the output (errors of 1e-3 and more).
"""

from __future__ import annotations

import numpy as np
import pytest

import course_utils as cu


def mixtures(rng, D=64, K=8):
    a = rng.standard_normal((K, D, D)) / np.sqrt(D)
    full = cu.GaussianMixture(np.full(K, 1 / K), rng.standard_normal((K, D)),
                              a @ a.transpose(0, 2, 1) + 0.1 * np.eye(D))
    bases = [np.linalg.qr(rng.standard_normal((D, 1 + k % 4)))[0] for k in range(K)]
    low = cu.GaussianMixture.low_rank(bases, means=rng.standard_normal((K, D)))
    return {"full": full, "low_rank": low}


@pytest.mark.parametrize("kind", ["full", "low_rank"])
@pytest.mark.parametrize("schedule", [cu.VE(), cu.VP()], ids=["VE", "VP"])
def test_float32_matches_float64(kind, schedule):
    rng = np.random.default_rng(5)
    g = mixtures(rng)[kind]
    x = g.sample(2000, rng)
    for t in ([0.01, 0.1, 0.5, 1.0, 10.0, 100.0] if schedule == cu.VE() else [0.05, 0.5, 0.99]):
        xt = float(schedule.alpha(t)) * x + t * rng.standard_normal(x.shape)
        m64 = cu.posterior_mean(g, xt, t, schedule)
        m32 = cu.posterior_mean(g, xt, t, schedule, dtype=np.float32)
        assert m32.dtype == np.float64
        assert np.abs(m32 - m64).max() <= 1e-4 * np.abs(m64).max(), t
        w64 = cu.responsibilities(g, xt, t, schedule)
        w32 = cu.responsibilities(g, xt, t, schedule, dtype="float32")
        assert np.abs(w32 - w64).max() <= 1e-4, t
        np.testing.assert_allclose(w32.sum(axis=1), 1.0, rtol=1e-12)
        # per-point noise levels take the other path through the code
        tp = np.full(x.shape[0], t)
        mp = cu.posterior_mean(g, xt, tp, schedule, dtype=np.float32)
        assert np.abs(mp - m64).max() <= 1e-4 * np.abs(m64).max(), t
    den = g.denoiser(schedule, dtype=np.float32)
    np.testing.assert_allclose(den(xt, 0.5), cu.posterior_mean(g, xt, 0.5, schedule),
                               atol=1e-4 * np.abs(xt).max())


def test_float32_rejects_other_dtypes():
    g = mixtures(np.random.default_rng(0), D=4, K=2)["full"]
    with pytest.raises(ValueError, match="dtype must be"):
        cu.posterior_mean(g, np.zeros(4), 1.0, dtype=np.float16)
    with pytest.raises(ValueError, match="dtype must be"):
        cu.responsibilities(g, np.zeros(4), 1.0, dtype=int)
