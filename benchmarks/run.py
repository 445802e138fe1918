"""`make bench`: speed of course_utils measured against baselines, side by side, in one process.

Run with OPENBLAS_NUM_THREADS=1 (the Makefile sets it) so that ratios are single-thread CPU-time
ratios, which move far less than wall-clock times on a shared machine. Each timing is the best
of 3 interleaved rounds of ``time.process_time()``. Nothing here is a test: targets are printed
with PASS/MISS so a reader sees where the library stands; timed assertions would be flaky.

    python benchmarks/run.py            # everything (several minutes)
    python benchmarks/run.py --quick    # smaller sizes, a minute or so
    python benchmarks/run.py --only widgets
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import os
import pkgutil
import sys
import time

import numpy as np

import course_utils as cu

ROUNDS = 3


def best_of(fns, rounds=ROUNDS):
    """Interleave the callables ``rounds`` times; return the best CPU time of each."""
    best = [np.inf] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            t0 = time.process_time()
            fn()
            best[i] = min(best[i], time.process_time() - t0)
    return best


def verdict(ok):
    return "PASS" if ok else "MISS"


def random_mixture(rng, K, D, rank=None):
    means = rng.standard_normal((K, D))
    if rank is None:
        a = rng.standard_normal((K, D, D)) / np.sqrt(D)
        covs = a @ a.transpose(0, 2, 1) + 0.1 * np.eye(D)
        return cu.GaussianMixture(np.full(K, 1 / K), means, covs)
    bases = [np.linalg.qr(rng.standard_normal((D, rank)))[0] for _ in range(K)]
    return cu.GaussianMixture.low_rank(bases, means=means)


# --- baselines -----------------------------------------------------------------------------
def scipy_loop_posterior_mean(gmm, x, t):
    """The textbook transcription: a Python loop over points and components with scipy's pdf."""
    from scipy.stats import multivariate_normal

    covs = gmm.covs
    out = np.empty_like(x)
    eye = np.eye(gmm.D)
    for i, xi in enumerate(x):
        w = np.empty(gmm.K)
        m = np.empty((gmm.K, gmm.D))
        for k in range(gmm.K):
            c = covs[k] + t * t * eye
            w[k] = gmm.weights[k] * multivariate_normal.pdf(xi, gmm.means[k], c)
            m[k] = gmm.means[k] + covs[k] @ np.linalg.solve(c, xi - gmm.means[k])
        out[i] = (w / w.sum()) @ m
    return out


def scipy_vectorized_posterior_mean(gmm, x, t):
    """Per component: scipy logpdf over all points + a Cholesky solve; log-sum-exp weights."""
    from scipy.linalg import cho_factor, cho_solve
    from scipy.stats import multivariate_normal

    covs = gmm.covs
    eye = np.eye(gmm.D)
    logw = np.empty((x.shape[0], gmm.K))
    comp = []
    for k in range(gmm.K):
        c = covs[k] + t * t * eye
        logw[:, k] = np.log(gmm.weights[k]) + multivariate_normal(gmm.means[k], c).logpdf(x)
        fac = cho_factor(c, lower=True)
        comp.append(gmm.means[k] + (covs[k] @ cho_solve(fac, (x - gmm.means[k]).T)).T)
    logw -= logw.max(axis=1, keepdims=True)
    w = np.exp(logw)
    w /= w.sum(axis=1, keepdims=True)
    return sum(w[:, k : k + 1] * comp[k] for k in range(gmm.K))


def sklearn_model(gmm, t):
    from scipy.linalg import cholesky, solve_triangular
    from sklearn.mixture import GaussianMixture as SkGMM

    covs = gmm.covs + t * t * np.eye(gmm.D)
    sk = SkGMM(n_components=gmm.K, covariance_type="full")
    sk.weights_ = gmm.weights.copy()
    sk.means_ = gmm.means.copy()
    sk.covariances_ = covs
    prec = np.empty_like(covs)
    for k in range(gmm.K):
        low = cholesky(covs[k], lower=True)
        prec[k] = solve_triangular(low, np.eye(gmm.D), lower=True).T
    sk.precisions_cholesky_ = prec
    sk.converged_ = True
    sk.n_iter_ = 0
    sk.lower_bound_ = 0.0
    return sk


def gemm_only(gmm, x):
    """The matrix products posterior_mean performs, with the same shapes and blocks."""
    V = gmm._V
    step = gmm._block_size()
    z = None
    for i0 in range(0, x.shape[0], step):
        z = x[i0 : i0 + step] @ V
        _ = z @ V.T
    return z


def gemm_flops(gmm, n):
    return 2 * 2 * n * gmm.D * gmm._V.shape[1]


# --- sections ------------------------------------------------------------------------------
def bench_denoiser(quick):
    print("\n## posterior_mean and responsibilities (full covariances), t = 1")
    cases = [(10**5, 10, 64), (10**4, 50, 256)]
    if quick:
        cases = [(2 * 10**4, 10, 64), (2 * 10**3, 50, 256)]
    rows, rows32 = [], []
    for n, K, D in cases:
        rng = np.random.default_rng(0)
        gmm = random_mixture(rng, K, D)
        x = gmm.sample(n, rng) + rng.standard_normal((n, D))
        t = 1.0
        sk = sklearn_model(gmm, t)
        ours_pm, scipy_vec, ours_w, skl, gem, pm32, w32 = best_of([
            lambda: cu.posterior_mean(gmm, x, t),
            lambda: scipy_vectorized_posterior_mean(gmm, x, t),
            lambda: cu.responsibilities(gmm, x, t),
            lambda: sk.predict_proba(x),
            lambda: gemm_only(gmm, x),
            lambda: cu.posterior_mean(gmm, x, t, dtype=np.float32),
            lambda: cu.responsibilities(gmm, x, t, dtype=np.float32),
        ])
        # the plain loop is far slower: time it on a slice and scale per point
        m = 200 if not quick else 50
        (loop,) = best_of([lambda: scipy_loop_posterior_mean(gmm, x[:m], t)], rounds=1)
        loop *= n / m
        err = np.abs(cu.posterior_mean(gmm, x[:500], t)
                     - scipy_vectorized_posterior_mean(gmm, x[:500], t)).max()
        werr = np.abs(cu.responsibilities(gmm, x[:500], t) - sk.predict_proba(x[:500])).max()
        gflops = gemm_flops(gmm, n) / ours_pm / 1e9
        err32 = np.abs(cu.posterior_mean(gmm, x[:500], t, dtype=np.float32)
                       - cu.posterior_mean(gmm, x[:500], t)).max()
        rows.append((n, K, D, ours_pm, scipy_vec, loop, ours_w, skl, gem, gflops, err, werr))
        rows32.append((n, K, D, pm32, scipy_vec, w32, skl, err32))
    print(f"{'N':>7} {'K':>3} {'D':>4} | {'ours s':>7} {'scipy-vec':>9} {'loop(est)':>10} |"
          f" {'weights':>7} {'sklearn':>7} | {'GEMM s':>7} {'GFLOP/s':>7} | max|diff|")
    for n, K, D, o, sv, lp, ow, sk_, g, gf, err, werr in rows:
        print(f"{n:>7} {K:>3} {D:>4} | {o:7.3f} {sv:9.3f} {lp:10.1f} | {ow:7.3f} {sk_:7.3f} |"
              f" {g:7.3f} {gf:7.1f} | {max(err, werr):.1e}")
    for n, K, D, o, sv, lp, ow, sk_, g, _gf, _err, _werr in rows:
        r1, r2, r3, r4 = sv / o, sk_ / ow, o / g, lp / o
        print(f"N={n} K={K} D={D}: vs scipy-vectorized {r1:.2f}x [{verdict(r1 >= 3)} >= 3x]; "
              f"weights vs scikit-learn {r2:.2f}x [{verdict(r2 >= 1.5)} >= 1.5x]; "
              f"time / GEMM-only {r3:.2f} [{verdict(r3 <= 1.5)} <= 1.5]; vs loop {r4:.0f}x")
    print("float32 option (dtype=np.float32: the large products in single precision):")
    for n, K, D, p32, sv, w32, sk_, err32 in rows32:
        r1, r2 = sv / p32, sk_ / w32
        print(f"N={n} K={K} D={D}: posterior_mean {p32:.3f} s, vs scipy-vectorized {r1:.2f}x "
              f"[{verdict(r1 >= 3)} >= 3x]; weights {w32:.3f} s, vs scikit-learn {r2:.2f}x "
              f"[{verdict(r2 >= 1.5)} >= 1.5x]; max|diff| to float64 {err32:.1e}")


def bench_low_rank(quick):
    print("\n## low-rank (Woodbury) vs the same mixture as full covariances, D = 256, K = 10")
    n = 10**4 if not quick else 2 * 10**3
    for P in (2, 4, 8):
        rng = np.random.default_rng(P)
        lr = random_mixture(rng, 10, 256, rank=P)
        full = cu.GaussianMixture(lr.weights, lr.means, lr.covs)
        x = lr.sample(n, rng) + 0.5 * rng.standard_normal((n, 256))
        t_lr, t_full = best_of([lambda: cu.posterior_mean(lr, x, 0.5),
                                lambda: cu.posterior_mean(full, x, 0.5)])
        err = np.abs(cu.posterior_mean(lr, x[:200], 0.5)
                     - cu.posterior_mean(full, x[:200], 0.5)).max()
        r = t_full / t_lr
        print(f"P={P}: low-rank {t_lr:.4f} s, full {t_full:.3f} s -> {r:.0f}x "
              f"[{verdict(r >= 20)} >= 20x], max|diff| {err:.1e}")


def bench_sampler(quick):
    print("\n## sampler: N = 1e4, L = 1000, K = 10, D = 64 (full covariances), VP")
    n, L = (10**4, 1000) if not quick else (2 * 10**3, 200)
    rng = np.random.default_rng(1)
    gmm = random_mixture(rng, 10, 64)
    x0 = cu.initial_noise(cu.VP(), n, 64, rng)
    den = gmm.denoiser(cu.VP())
    (one,) = best_of([lambda: den(x0, 0.5)])
    t0 = time.process_time()
    cu.sample(den, cu.VP(), x0, L)
    total = time.process_time() - t0
    ratio = total / L / one
    print(f"N={n}, L={L}: {total:.1f} s CPU, {1e3 * total / L:.1f} ms per step; one denoiser "
          f"call {1e3 * one:.1f} ms -> step / call = {ratio:.2f} "
          f"[{verdict(ratio <= 1.15)} <= 1.15]")


def widget_modules():
    import course_utils.widgets as w

    for info in pkgutil.iter_modules(w.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"course_utils.widgets.{info.name}")
        yield info.name, getattr(mod, "WIDGETS", {})


def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def bench_widgets(quick):
    import matplotlib

    from course_utils.plotting import use_style
    from course_utils.widgets._core import CONTINUOUS_BELOW_S

    matplotlib.use("Agg")
    params = use_style()  # as every notebook does: the readers' figure size and dpi
    print("\n## widgets: in-kernel redraw over each slider grid (compute + draw + PNG), CPU time")
    print(f"course style: figure.dpi {params.get('figure.dpi')}; "
          f"targets: median < 50 ms, p95 < 100 ms CPU, RSS growth < 5 MB over 300 moves; "
          f"sliders update while dragged when a redraw takes < {1e3 * CONTINUOUS_BELOW_S:.0f} ms")
    print(f"{'widget':<28} {'moves':>5} {'median ms':>9} {'p95 ms':>7} {'max ms':>7} "
          f"{'wall med':>8} {'growth MB':>9}  {'sliders':<14} verdict")
    for modname, widgets in widget_modules():
        for name, builder in widgets.items():
            fig = builder()
            fig.widget()  # build the image/label so each move renders the PNG as in a notebook
            grids = {k: [v for _, v in c.options] if hasattr(c, "options") and c.options and
                     isinstance(c.options[0], tuple) else list(getattr(c, "options", [c.value]))
                     for k, c in fig.controls.items()}
            combos = list(itertools.product(*grids.values()))
            if len(combos) > 120:
                step = len(combos) // 120 + 1
                combos = combos[::step]
            cpu, wall = [], []
            for combo in combos:
                t0, w0 = time.process_time(), time.perf_counter()
                fig.redraw(**dict(zip(grids, combo, strict=True)))
                cpu.append(time.process_time() - t0)
                wall.append(time.perf_counter() - w0)
            moves = 300 if not quick else 60
            cycle = itertools.cycle(combos)
            for _ in range(20):  # warm up caches before measuring memory
                fig.redraw(**dict(zip(grids, next(cycle), strict=True)))
            before = rss_mb()
            for _ in range(moves):
                fig.redraw(**dict(zip(grids, next(cycle), strict=True)))
            growth = rss_mb() - before
            med, p95, top = (1e3 * np.median(cpu), 1e3 * np.percentile(cpu, 95),
                             1e3 * np.max(cpu))
            ok = med < 50 and p95 < 100 and growth < 5
            mode = "while dragged" if fig.continuous_update else "on release"
            print(f"{modname + '.' + name:<28} {len(cpu):>5} {med:9.1f} {p95:7.1f} {top:7.1f} "
                  f"{1e3 * np.median(wall):8.1f} {growth:9.1f}  {mode:<14} [{verdict(ok)}]")


def bench_notebooks():
    import subprocess

    print("\n## notebooks: fresh-kernel execution time (target < 15 s each)")
    root = os.path.join(os.path.dirname(__file__), "..", "notebooks")
    for nb in sorted(f for f in os.listdir(root) if f[:2].isdigit() and f.endswith(".ipynb")):
        t0 = time.perf_counter()
        res = subprocess.run(
            [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
             "--stdout", "--ExecutePreprocessor.timeout=120", os.path.join(root, nb)],
            capture_output=True, timeout=300)
        dt = time.perf_counter() - t0
        status = "ok" if res.returncode == 0 else "FAILED"
        ok = verdict(dt < 15 and status == "ok")
        print(f"{nb:<28} {dt:6.1f} s wall (incl. kernel start) [{ok}] {status}")


SECTIONS = {
    "denoiser": bench_denoiser,
    "lowrank": bench_low_rank,
    "sampler": bench_sampler,
    "widgets": bench_widgets,
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    ap.add_argument("--only", choices=[*SECTIONS, "notebooks"], action="append")
    args = ap.parse_args(argv)
    print(f"numpy {np.__version__}; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}; "
          f"best of {ROUNDS} interleaved rounds, CPU time (process_time)")
    n = 2048
    a = np.random.default_rng(0).standard_normal((n, n))
    (tg,) = best_of([lambda: a @ a])
    print(f"roofline: float64 GEMM {n}^3 at {2 * n**3 / tg / 1e9:.1f} GFLOP/s")
    for name in args.only or [*SECTIONS, "notebooks"]:
        if name == "notebooks":
            bench_notebooks()
        else:
            SECTIONS[name](args.quick)


if __name__ == "__main__":
    main()
