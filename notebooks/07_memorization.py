# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # Chapter 7: Learning from finitely many samples: memorization and generalization
#
# A real model sees a **finite training set** $x^{(1)},\dots,x^{(N)}$, and the best denoiser for
# that finite-sample loss is a **memorizer**: it can only hand back its training points. What
# makes a learned denoiser produce *new* samples is a restricted family (PCA, a mixture of
# subspaces). We end on real data: scikit-learn's 8x8 handwritten digits.
#
# **Learning objectives.** After this chapter you can
# 1. derive the exact minimizer of the finite-sample loss (the memorizer) and its limits in $t$;
# 2. explain why it beats the true denoiser on training data, loses on new data, and copies;
# 3. show why PCA and K-subspaces cannot copy, and produce new, cleaner points;
# 4. measure memorization (ratio test, floor $3^{-p}$) and generalization as $N$ grows;
# 5. fit a low-rank Gaussian per class to real digits and compare it with the memorizer.

# %% [markdown] slideshow={"slide_type": "notes"}
# Open with the question: "if the optimal denoiser is what we train for, what happens when the
# data are 50 points instead of a distribution?" Let the room guess before the answer (it
# copies). Run through the objectives; stress that this chapter goes past the source. *(2 min)*

# %% [markdown] slideshow={"slide_type": "skip"}
# Every denoiser so far was either given in closed form or learned from as many fresh samples
# as we liked; here the data are a fixed set of $N$ points, and that changes the answer to
# "what is the best denoiser?" completely.
#
# **Prerequisites.** Chapter 3 (the mixture denoiser and its attention form), chapter 4 (the
# denoising loss and PCA), chapters 5-6 (the DDIM sampler, the VP schedule, learning one
# denoiser for all $t$).
#
# **Source equations covered.** The source stops at "Inference with a learnt model (TBC)". We
# use its denoising loss (eqs. 11-12) with the empirical distribution in place of $p$, its
# parameterized denoisers (eq. 14, PCA; eq. 13, the attention form of a mixture of subspaces)
# and the book's remark that the empirical distribution is a mixture with zero covariances
# whose optimal denoiser regenerates training points.

# %%
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, NullFormatter
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from course_utils import GaussianMixture, attention_denoiser
from course_utils.digits import (
    digit_classifier,
    fit_class_mixture,
    fit_gaussian,
    load_digits_split,
    show_digits,
)
from course_utils.exercises import memorization as ex
from course_utils.memorization import (
    bias_variance_terms,
    collapse_time_prediction,
    collapse_times,
    denoising_mse,
    disjoint_halves_discrepancy,
    false_positive_floor,
    memorization_ratio,
    nearest_neighbours,
    posterior_weights,
)
from course_utils.pca import pca, random_orthonormal
from course_utils.plotting import PALETTE, use_style
from course_utils.sampler_analysis import memorizing_denoiser, subspace_distance
from course_utils.sampling import sample
from course_utils.schedules import VE, VP
from course_utils.subspaces import (
    fit_subspaces,
    hard_assignment_loss,
    projection_distance,
    rho,
    subspace_error,
)
from course_utils.widgets import memorization as wmem

use_style()
threadpool_limits(1)  # the matrices here are small: one BLAS thread is faster than two
vp = VP()


def memorizer(train):
    """The memorizing denoiser sum_i w_i(x_t) x_i of ``train`` under VP (section 1)."""
    return memorizing_denoiser(train, vp)


def plain_log_ticks(axis, ticks=None):
    """Label a log axis with plain numbers (and no minor labels)."""
    if ticks is not None:
        axis.set_ticks(ticks)
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def lowrank_data(bases, n, rng, noise=0.0):
    """n points of (1/K) sum_k N(0, U_k U_k^T), plus isotropic noise of std ``noise``."""
    x = GaussianMixture.low_rank(bases).sample(n, rng)
    return x + noise * rng.standard_normal(x.shape)


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The finite-sample loss and its exact minimizer
#
# At one noise level, $L_N(f)=\frac1N\sum_i\mathbb E_g\|x^{(i)}-f(\alpha_tx^{(i)}+\sigma_tg)\|^2$
# is the loss for $p^X=\frac1N\sum_i\delta_{x^{(i)}}$, a mixture with zero covariances, whose
# Bayes denoiser is a softmax over training points:
#
# $$\bar x^\star(t,x_t)=\sum_i w_i(x_t)\,x^{(i)},\qquad
#   w=\mathrm{softmax}_i\Big(-\frac{\|x_t-\alpha_tx^{(i)}\|^2}{2\sigma_t^2}\Big).$$
#
# **Why nothing beats it.** Given $x_t$, the point behind it is $x^{(i)}$ with probability
# $w_i(x_t)$, and for every $f$:
# $\sum_iw_i\|x^{(i)}-f\|^2=\sum_iw_i\|x^{(i)}-\bar x^\star\|^2+\|f-\bar x^\star\|^2$,
# so $L_N(f)=L_N(\bar x^\star)+\mathbb E\|f-\bar x^\star\|^2$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Derive the identity on the board: expand the square around $\bar x^\star$; the cross term
# vanishes because $\sum_i w_i(x^{(i)}-\bar x^\star)=0$. Ask: "which assumptions did we use?"
# (only $\sigma_t>0$ and finite second moments; no model class). The code below checks the
# identity for an arbitrary $f$ at 500 noisy points. *(3 min)*

# %%
rng = np.random.default_rng(0)
train8 = rng.standard_normal((20, 8))  # D = 8, N = 20
idx = rng.integers(0, 20, size=500)
t = 0.4
x_t = float(vp.alpha(t)) * train8[idx] + t * rng.standard_normal((500, 8))
f_any = np.tanh(x_t) + 0.3  # any function of x_t
lhs, variance, bias = bias_variance_terms(train8, x_t, f_any, t, vp)
gap = np.abs(lhs - (variance + bias)).max()
assert gap < 1e-10 * lhs.max()
# the memorizer is the weighted mean of the training points with these weights
w8 = posterior_weights(train8, x_t, t, vp)
assert np.abs(memorizer(train8)(x_t, t) - w8 @ train8).max() < 1e-12
print(f"identity at 500 points: to 1e-10 (asserted); mean bias term of f {bias.mean():.3f} > 0")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Its limits in $t$.** $\bar x^\star$ is a convex combination of training points. At the VP
# end point $t=1$ ($\alpha=0$) every logit is the same and it returns the **training mean**. As
# $t\to0$ the softmax becomes one-hot on the nearest scaled point $\alpha_tx^{(i)}$. At small $t$
# the logits reach $-10^5$: the softmax must subtract its largest logit first (log-sum-exp), or
# every exponential underflows and it divides $0$ by $0$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Point at the two limits, then at the NaN count: every softmax in this course
# subtracts the maximum logit. Ask: "at $t=1$ the memorizer returns the mean; what does the
# *true* denoiser return there?" (also the mean: at $t=1$ no denoiser can do better). *(2 min)*

# %%
mem8 = memorizer(train8)
err_t1 = np.abs(mem8(x_t[:5], 1.0) - train8.mean(axis=0)).max()
j = 7
x_small = float(vp.alpha(1e-3)) * train8[j] + 1e-3 * rng.standard_normal(8)
err_small = np.abs(mem8(x_small, 1e-3) - train8[j]).max()
assert err_t1 < 1e-14 and err_small < 1e-12
# five of the noisy points of the check above, now read as inputs at t = 0.01
logits = -((x_t[:5, None, :] - float(vp.alpha(0.01)) * train8) ** 2).sum(axis=2) / (2 * 0.01**2)
with np.errstate(invalid="ignore"):
    naive = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
stable = posterior_weights(train8, x_t[:5], 0.01, vp)
assert np.isnan(naive).any() and np.all(np.isfinite(stable))
print("t = 1: the training mean to 1e-14 | t = 0.001: the nearest training point to 1e-12 "
      "(both asserted)")
print(f"t = 0.01: logits in [{logits.min():.0f}, {logits.max():.0f}]; rows with NaN: naive "
      f"softmax {np.isnan(naive).any(axis=1).sum()} of 5, log-sum-exp {np.isnan(stable).any(axis=1).sum()} of 5")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Better than the truth on training data, worse on new data
#
# Take data from a known mixture of $K=3$ orthogonal 3-dimensional subspaces in $D=32$
# (noiseless, $N=50$), so the **true** denoiser is known: the attention form of chapter 3.
# We compare the per-coordinate squared error of the memorizer and of the true denoiser on the
# training points and on 1000 fresh test points, at $t=0.1$ and $t=0.3$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Read the table row by row. Ask first: "can anything beat the Bayes denoiser?" On the training
# set, yes: there the points really come from the empirical law, and the memorizer is *its*
# Bayes denoiser. On test points it is several times worse. *(3 min)*

# %%
D, K, P = 32, 3, 3
Q = random_orthonormal(D, K * P, np.random.default_rng(1))
U_true = [Q[:, k * P:(k + 1) * P] for k in range(K)]  # mutually orthogonal subspaces


def oracle(x_t, t):
    return attention_denoiser(U_true, x_t, t, vp)


rng = np.random.default_rng(2)
train50 = lowrank_data(U_true, 50, rng)
test50 = lowrank_data(U_true, 1000, rng)
g_tr, g_te = rng.standard_normal(train50.shape), rng.standard_normal(test50.shape)
mem50 = memorizer(train50)
print("per-coordinate MSE     train: memorizer  true  |  test: memorizer  true")
for t in (0.1, 0.3):
    row = [denoising_mse(f, x, t, vp, g) for x, g in ((train50, g_tr), (test50, g_te))
           for f in (mem50, oracle)]
    assert row[0] < row[1] and row[2] > 2 * row[3]
    print(f"t = {t}:                     {row[0]:.4f}    {row[1]:.4f} |        "
          f"{row[2]:.4f}    {row[3]:.4f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Sampling with the memorizer regenerates training points
#
# Plug $\bar x^\star$ into the DDIM sampler of chapter 6. Left: 25 training points on three
# lines in the plane (circles) and the memorizer's samples (dots): every sample sits on a
# training point. Right: the same in $D=32$ with $N=1000$: the distance from each of 200 samples
# to its nearest training point, against that distance for fresh data.

# %% [markdown] slideshow={"slide_type": "notes"}
# The 2-D panel is the picture to remember. On the right, note the log scale: the samples are
# training points to the last digit (the softmax weights of the other points underflow at the
# last step, $t_1=0.02$). Ask: "which training points get copied?" (about uniformly: the
# printed count of distinct points hit matches a uniform draw). *(3 min)*

# %%
# the D = 32 experiment, used again in sections 6 and 9: noisy data near 3 subspaces
NOISE = 0.05


def subspace_set(N, seed):
    return lowrank_data(U_true, N, np.random.default_rng(seed), noise=NOISE)


x_init = np.random.default_rng(3).standard_normal((200, D))  # shared starting noise
L_SWEEP = 50
train1000 = subspace_set(1000, 1100)
samples_mem1000 = sample(memorizer(train1000), vp, x_init, L=L_SWEEP)
nn_idx, d1_mem, _ = nearest_neighbours(samples_mem1000, train1000)
_, d1_fresh, _ = nearest_neighbours(subspace_set(200, 7), train1000)
hit, n_s = np.unique(nn_idx).size, x_init.shape[0]
# distinct points among n uniform draws from N = 1000: mean and variance in closed form
expected_hit = 1000 * (1 - (1 - 1 / 1000) ** n_s)
var_hit = (1000 * 999 * (1 - 2 / 1000) ** n_s + 1000 * (1 - 1 / 1000) ** n_s
           - 1000**2 * (1 - 1 / 1000) ** (2 * n_s))
assert d1_mem.max() < 1e-5 and abs(hit - expected_hit) < 4 * np.sqrt(var_hit)

demo = wmem.compute_memorization(25)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.0, 3.4), gridspec_kw={"width_ratios": [1, 1.3]})
ax1.scatter(*demo["train"].T, s=40, facecolors="none", edgecolors="0.3", label="training points")
ax1.scatter(*demo["mem"].T, s=10, color=PALETTE["vermillion"], label="memorizer samples")
ax1.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xlabel="$x_1$", ylabel="$x_2$",
        title="D = 2, N = 25")
ax1.legend(loc="lower left", fontsize="small")
bins = np.linspace(-10, 1, 45)
ax2.hist(np.log10(np.maximum(d1_mem, 1e-10)), bins=bins, color=PALETTE["vermillion"],
         label="memorizer samples\n(0 drawn at $10^{-10}$)")
ax2.hist(np.log10(d1_fresh), bins=bins, color=PALETTE["blue"], label="fresh data")
ax2.set(xlabel=r"$\log_{10}$ distance to nearest training point", ylabel="count",
        title="D = 32, N = 1000")
ax2.legend(fontsize="small")
fig.tight_layout()
plt.show()
print("D = 32: every sample within 1e-5 of a training point (asserted); "
      f"distinct training points hit {hit} of 200 "
      f"(uniform draws: {expected_hit:.0f})")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Restricting the family, first: PCA
#
# Take chapter 4's family $\bar x_V=c_tVV^\top x_t$, $V\in O(D,P)$, with $c_t=\alpha_t/(\alpha_t^2+\sigma_t^2)$
# and $\rho_t=c_t\alpha_t$. Per sample,
# $\mathbb E_g\|x-c_tVV^\top x_t\|^2=\|x\|^2-\rho(2-\rho)\|V^\top x\|^2+c_t^2\sigma_t^2P$, so
#
# $$L_N(V)=\mathrm{tr}\,M-\rho(2-\rho)\,\mathrm{tr}(V^\top MV)+c_t^2\sigma_t^2P,\qquad
#   M=\tfrac1N\textstyle\sum_ix^{(i)}x^{(i)\top}.$$
#
# The data enter **only through $M$**: the minimizer is PCA of $M$ at every $t$, and no single
# training point can be stored. From $N\ge P$ noiseless points of a $P$-dimensional subspace,
# PCA recovers that subspace exactly.

# %% [markdown] slideshow={"slide_type": "notes"}
# Contrast with section 1: there the minimizer had $N\times D$ numbers to play with, here
# $D\times P$ and they see only second moments. Ask: "how many points do you need to pin down a
# $P$-dimensional subspace without noise?" ($P$ generic points). The check compares the
# formula with 20,000 noise draws and prints the recovery error for $N=4,5,10$. *(3 min)*

# %%
rng = np.random.default_rng(4)
U4 = random_orthonormal(32, 4, rng)
x_pca = lowrank_data([U4], 6, rng, noise=0.1)
V = random_orthonormal(32, 4, rng)
t = 0.5
a, s = float(vp.alpha(t)), t
c = a / (a * a + s * s)
r = c * a
g = rng.standard_normal((20_000, 32))
mc = [((x - c * ((a * x + s * g) @ V) @ V.T) ** 2).sum(axis=1) for x in x_pca]
formula = (x_pca**2).sum(axis=1) - r * (2 - r) * ((x_pca @ V) ** 2).sum(axis=1) + c * c * s * s * 4
se = np.array([m.std() for m in mc]) / np.sqrt(g.shape[0])
mc_mean = np.array([m.mean() for m in mc])
assert np.all(np.abs(mc_mean - formula) < 5 * se)
assert abs(hard_assignment_loss([V], x_pca, t, vp) - formula.mean()) < 1e-12
print(f"per-sample loss: formula vs 20,000 noise draws, largest gap "
      f"{np.abs(mc_mean - formula).max() / se.max():.1f} standard errors")
for N in (4, 5, 10):
    x_clean = lowrank_data([U4], N, rng)
    err = projection_distance(pca(x_clean, 4), U4)
    assert err < 1e-12
print("N = 4, 5, 10 noiseless points: ||V V^T - U U^T||_F / sqrt(2P) below 1e-12 (asserted)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Restricting the family, second: a mixture of subspaces
#
# In chapter 3's attention denoiser $c_t\sum_k\mathrm{softmax}_k(b_t\|U_k^\top x_t\|^2)\,U_kU_k^\top x_t$,
# replace the softmax by a **hard** choice $k(i)=\arg\max_k\|U_k^\top x^{(i)}\|$ made on the
# clean point. The algebra of section 4 gives
#
# $$L_N=\tfrac1N\textstyle\sum_i\|x^{(i)}\|^2-\rho(2-\rho)\,\tfrac1N\sum_i\max_k\|U_k^\top x^{(i)}\|^2+c_t^2\sigma_t^2P,$$
#
# so minimizing it at any $t$ is **K-subspaces** (alternate: assign each point to its best
# subspace, refit each $U_k$ by PCA of its points). As $t\to0$ the two losses meet.

# %% [markdown] slideshow={"slide_type": "notes"}
# The hard choice cheats at large $t$ (it looks at the clean point), so the limit is a small-$t$
# statement: the figure shows the relative gap between the two losses falling to nearly 0 at
# $t=0.03$. Ask: "why is $\rho(2-\rho)$ positive?" ($0<\rho\le1$). *(3 min)*

# %%
rng = np.random.default_rng(3)
U16 = [random_orthonormal(16, 2, rng) for _ in range(3)]
x16 = lowrank_data(U16, 200, rng, noise=0.1)
rho_a = rho(0.35, vp)
a, s = float(vp.alpha(0.35)), 0.35
assert abs(rho_a * (2 - rho_a) - a * a * (a * a + 2 * s * s) / (a * a + s * s) ** 2) < 1e-12
k_hard = np.stack([((x16 @ u) ** 2).sum(axis=1) for u in U16], axis=1).argmax(axis=1)
t_gap = np.array([0.6, 0.45, 0.3, 0.2, 0.1, 0.06, 0.03])
G = rng.standard_normal((20, 200, 16))  # 20 noise draws per point, shared by both losses
gaps = []
for t in t_gap:
    a, s = float(vp.alpha(t)), t
    soft, hard = [], []  # per (draw, point) losses
    for g in G:
        y = a * x16 + s * g
        soft.append(((x16 - attention_denoiser(U16, y, t, vp)) ** 2).sum(axis=1))
        proj = np.stack([(y @ u) @ u.T for u in U16])[k_hard, np.arange(200)]
        hard.append(((x16 - a / (a * a + s * s) * proj) ** 2).sum(axis=1))
    soft, hard = np.array(soft), np.array(hard)
    # the closed form against 4000 draws, within 5 standard errors (noise and points drawn)
    se = hard.std() / np.sqrt(hard.size)
    assert abs(hard.mean() - hard_assignment_loss(U16, x16, t, vp)) < 5 * se
    gaps.append((soft.mean() - hard.mean()) / hard.mean())
gaps = np.array(gaps)
assert gaps[-1] < 0.01 and gaps[0] > 0.1 and np.all(np.diff(gaps) < 0.01)

fig, ax = plt.subplots(figsize=(5.5, 2.7))
ax.semilogx(t_gap, gaps, "o-", color=PALETTE["blue"])
ax.axhline(0, color=PALETTE["black"], lw=0.8)
plain_log_ticks(ax.xaxis, [0.03, 0.1, 0.3, 0.6])
ax.set(xlabel="noise level t (VP, log scale)", ylabel="(soft - hard) / hard loss",
       title="the attention loss tends to the K-subspaces loss")
fig.tight_layout()
plt.show()
print("relative gap at t = " + ", ".join(f"{t:g}: {v:.4f}" for t, v in zip(t_gap, gaps, strict=True)))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. The learned model makes new points, cleaner than its data
#
# Back to the $D=32$ data (three 3-dimensional subspaces, each point off its subspace by noise
# of std $0.05$ per coordinate, i.e. about $0.05\sqrt{29}\approx0.27$ in norm). K-subspaces
# (10 restarts) on $N=300$ points gives $\hat U_k$; the attention denoiser with $\hat U_k$
# drives the same sampler from the same noise as the memorizer. Histogram: distance from each
# point to the nearest **true** subspace.

# %% [markdown] slideshow={"slide_type": "notes"}
# Three histograms: the training data sit at about 0.27 from the subspaces; the memorizer's
# samples are copies of them, so they sit there too; the learned model's samples are far
# closer. It has kept the subspaces and dropped the noise: lossy compression. Ask: "is a
# model that is *better* than its data suspicious?" (no: it is the point of a model). *(3 min)*

# %%
rows = {}  # the N sweep of section 9 reuses these runs


def run_sweep_row(N):
    """Learned (K-subspaces) vs memorizer vs oracle at training-set size N (D = 32)."""
    train = subspace_set(N, 100 + N) if N != 1000 else train1000
    fit = fit_subspaces(train, K, P, np.random.default_rng(0), n_iter=30, restarts=10)
    kss = fit["bases"]
    s_mem = samples_mem1000 if N == 1000 else sample(memorizer(train), vp, x_init, L=L_SWEEP)
    s_kss = sample(lambda x, t: attention_denoiser(kss, x, t, vp), vp, x_init, L=L_SWEEP)
    return {"train": train, "bases": kss, "mem": s_mem, "kss": s_kss}


rows[300] = run_sweep_row(300)
off = {name: subspace_distance(x, U_true) for name, x in
       (("training data", rows[300]["train"]), ("memorizer samples", rows[300]["mem"]),
        ("learned samples", rows[300]["kss"]))}
rms = {k: float(np.sqrt(np.mean(v**2))) for k, v in off.items()}
assert rms["learned samples"] < 0.3 * rms["training data"]
assert abs(rms["memorizer samples"] / rms["training data"] - 1) < 0.1

fig, ax = plt.subplots(figsize=(6.0, 3.2))
colors = [PALETTE["black"], PALETTE["vermillion"], PALETTE["blue"]]
for (name, v), col in zip(off.items(), colors, strict=True):
    ax.hist(v, bins=np.linspace(0, 0.45, 46), histtype="step", lw=2, color=col, label=name)
ax.set(xlabel="distance to the nearest true subspace", ylabel="count", title="N = 300, D = 32")
ax.legend(fontsize="small")
fig.tight_layout()
plt.show()
print("RMS distance to the true subspaces: " + ", ".join(f"{k} {v:.3f}" for k, v in rms.items()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Measuring memorization: the nearest-neighbour ratio test
#
# A sample $\hat x$ counts as **memorized** when its nearest training point is much closer than
# the second nearest: $d_1/d_2<1/3$. The *memorization ratio* is the fraction of samples
# flagged. Fresh samples from the true law are flagged too, by chance. If the data look locally
# like a uniform scatter in intrinsic dimension $p$, then $(d_1/d_2)^p$ is uniform on $(0,1)$
# and the **false-positive floor** is $\Pr[d_1/d_2<r]=r^p$. Report the ratio of held-out data
# next to every ratio of generated samples.

# %% [markdown] slideshow={"slide_type": "notes"}
# Derive the floor in one line: for a Poisson scatter the volumes of the balls out to the first
# and second neighbours are independent exponentials, so their ratio is uniform. Show the
# figure: measured floors follow $r^p$; in $p=1$ a third of honest samples look "copied"!
# Ask: "what would you conclude from a ratio of 0.1 on data with $p=2$?" *(3 min)*

# %%
rng = np.random.default_rng(8)
ps = np.arange(1, 5)
floor_measured, floor_se = [], []
for p in ps:
    ref, fresh = rng.standard_normal((2000, p)), rng.standard_normal((2000, p))
    m = memorization_ratio(fresh, ref)
    floor_measured.append(m)
    floor_se.append(np.sqrt(false_positive_floor(p) * (1 - false_positive_floor(p)) / 2000))
floor_measured, floor_se = np.array(floor_measured), np.array(floor_se)
floor_pred = np.array([false_positive_floor(p) for p in ps])
assert np.all(np.abs(floor_measured - floor_pred) < 4 * floor_se)

fig, ax = plt.subplots(figsize=(5.0, 3.0))
ax.semilogy(ps, floor_pred, "--", color=PALETTE["black"], label=r"$r^p$, $r=1/3$")
ax.errorbar(ps, floor_measured, yerr=2 * floor_se, fmt="o", color=PALETTE["blue"],
            label="fresh N(0, I_p) samples (±2 SE)")
ax.set(xlabel="intrinsic dimension p", ylabel="memorization ratio", xticks=ps,
       title="false-positive floor of the 1/3 test")
ax.legend(fontsize="small")
fig.tight_layout()
plt.show()
print("fresh-sample ratio for p = 1..4 (2000 points each): "
      + ", ".join(f"{m:.3f}" for m in floor_measured) + " (each within 4 SE of r^p)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Measuring generalization: the disjoint-halves test
#
# Train two models of one family on **disjoint** sets of $N$ points each, run both samplers
# from the **same** noise and report the median of $\|x_A-x_B\|/\|x_A\|$. Memorizers disagree,
# since each returns its own training points; a model that generalizes returns the same sample
# for both halves once $N$ is large. Data: one 4-dimensional subspace in $D=32$ plus noise
# $0.05$. Models: the memorizer, PCA of rank $P=4$ ($c_tVV^\top x_t$) and the full-covariance
# linear (Wiener) denoiser of the second-moment matrix.

# %% [markdown] slideshow={"slide_type": "notes"}
# The figure carries the message: PCA's discrepancy drops sharply once $N\approx2P$, the full-covariance model
# needs $N$ of the order of $D$ because it estimates all $D^2$ entries, and the memorizer never
# agrees. Ask: "what does the test say about a model that outputs a constant?" (perfect
# agreement, zero quality: agreement is necessary, not sufficient). *(3 min)*

# %%
def wiener(M):
    """The Bayes denoiser of N(0, M) under VP: V diag(a lam / (a^2 lam + s^2)) V^T x_t."""
    lam, vec = np.linalg.eigh(M)
    lam = np.clip(lam, 0.0, None)

    def den(x, t):
        a = float(vp.alpha(t))
        return ((x @ vec) * (a * lam / (a * a * lam + t * t))) @ vec.T

    return den


rng = np.random.default_rng(11)
U_one = random_orthonormal(32, 4, rng)
M_check, x_check = np.cov(rng.standard_normal((40, 32)).T), rng.standard_normal((5, 32))
bayes_check = GaussianMixture([1.0], np.zeros((1, 32)), [M_check]).denoiser(vp)
assert np.abs(wiener(M_check)(x_check, 0.3) - bayes_check(x_check, 0.3)).max() < 1e-10
x_halves = np.random.default_rng(12).standard_normal((100, 32))
N_halves = np.array([2, 4, 8, 16, 32, 64, 128, 512])
halves = {"memorizer": [], "PCA rank 4": [], "full-covariance Wiener": []}
mem_ratio_a = []
for N in N_halves:
    data = lowrank_data([U_one], 2 * N, np.random.default_rng(200 + N), noise=NOISE)
    outs = {name: [] for name in halves}
    for half in (data[:N], data[N:]):
        V = pca(half, 4)
        full = wiener(half.T @ half / N)
        outs["memorizer"].append(sample(memorizer(half), vp, x_halves, L=L_SWEEP))
        # chapter 4's c_t V V^T x_t; in VP c_t = alpha_t
        outs["PCA rank 4"].append(
            sample(lambda x, t, V=V: float(vp.alpha(t)) * (x @ V) @ V.T, vp, x_halves, L=L_SWEEP))
        outs["full-covariance Wiener"].append(sample(full, vp, x_halves, L=L_SWEEP))
    for name in halves:
        halves[name].append(disjoint_halves_discrepancy(*outs[name]))
    mem_ratio_a.append(memorization_ratio(outs["memorizer"][0], data[:N]))
halves = {k: np.array(v) for k, v in halves.items()}
big = N_halves >= 64
assert np.all(halves["PCA rank 4"][big] < 0.1) and np.all(halves["memorizer"] > 0.4)
assert min(mem_ratio_a) >= 0.95

fig, ax = plt.subplots(figsize=(6.0, 3.3))
for (name, v), col in zip(halves.items(), [PALETTE["vermillion"], PALETTE["blue"],
                                            PALETTE["green"]], strict=True):
    ax.loglog(N_halves, v, "o-", color=col, label=name)
ax.set(xlabel="training points per half N", ylabel=r"median $\|x_A-x_B\|/\|x_A\|$",
       title="two models, disjoint halves, same noise")
ax.legend(fontsize="small")
fig.tight_layout()
plt.show()

# %% slideshow={"slide_type": "skip"}
print("N      " + " ".join(f"{N:6d}" for N in N_halves))
for name, v in halves.items():
    print(f"{name[:9]:9s}" + " ".join(f"{x:6.3f}" for x in v))
print(f"memorization ratio of the memorizer (model A): min {min(mem_ratio_a):.2f} over N")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. As $N$ grows: memorizer, learned subspaces, oracle
#
# The $D=32$ experiment at $N=5\dots1000$: the memorizer, K-subspaces plugged into the
# attention denoiser ("learned"), and the true subspaces ("oracle"); 200 samples each from the
# same noise ($L=50$). Left: memorization ratios (fresh-data floor in grey). Middle: subspace
# error (mean $\|\hat U\hat U^\top-UU^\top\|_F/\sqrt{2P}$ after matching). Right: held-out MSE
# per coordinate at $t=0.3$ on 1000 test points, with the memorizer's training MSE dashed.

# %% [markdown] slideshow={"slide_type": "notes"}
# Left: the memorizer copies at every $N$; learned and oracle stay at the floor. Middle: the
# learned subspaces are poor below $N\approx50$ and then improve like $N^{-1/2}$. Right: the
# memorizer's training loss is always the lowest, its test loss approaches the oracle's only
# slowly; the learned model reaches the oracle from $N\approx50$. The table is in the notebook.
# *(4 min)*

# %%
N_sweep = [5, 10, 20, 50, 100, 300, 1000]
test32 = subspace_set(1000, 1)
g_test32 = np.random.default_rng(2).standard_normal(test32.shape)
samples_oracle = sample(oracle, vp, x_init, L=L_SWEEP)
table = []
for N in N_sweep:
    if N not in rows:
        rows[N] = run_sweep_row(N)
    rw = rows[N]
    train, kss = rw["train"], rw["bases"]
    learned = lambda x, t, kss=kss: attention_denoiser(kss, x, t, vp)  # noqa: E731
    mem = memorizer(train)
    g_train = np.random.default_rng(4).standard_normal(train.shape)
    table.append({
        "N": N,
        "ratio": [memorization_ratio(x, train) for x in
                  (rw["mem"], rw["kss"], samples_oracle, subspace_set(200, 5000 + N))],
        "err": subspace_error(kss, U_true),
        "off": [float(np.sqrt(np.mean(subspace_distance(x, U_true) ** 2)))
                for x in (rw["mem"], rw["kss"])],
        "test": [denoising_mse(f, test32, 0.3, vp, g_test32) for f in (mem, learned, oracle)],
        "train": [denoising_mse(f, train, 0.3, vp, g_train) for f in (mem, learned)],
    })
ratios = np.array([r["ratio"] for r in table])
errs = np.array([r["err"] for r in table])
tests = np.array([r["test"] for r in table])
trains = np.array([r["train"] for r in table])
offs = np.array([r["off"] for r in table])
# copies: >= 0.95; not copying: within 3 standard errors of the floor 3^-3 of p = 3 data
assert np.all(ratios[:, 0] >= 0.95)
assert np.all(ratios[:, 1:] <= 1 / 27 + 3 * np.sqrt(1 / 27 * (1 - 1 / 27) / 200))
assert np.all(tests[:, 0] > tests[:, 1]) and np.all(trains[:, 0] < trains[:, 1])
assert errs[0] > 0.5 and errs[-1] < 0.03 and np.all(np.diff(errs) < 0)
assert offs[-1, 1] < 0.05 and np.all(np.abs(offs[:, 0] - 0.27) < 0.03)

fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.4))
Ns = np.array(N_sweep)
for j, (name, col) in enumerate(zip(["memorizer", "learned", "oracle", "fresh data"],
                                    [PALETTE["vermillion"], PALETTE["blue"], PALETTE["green"],
                                     "0.6"], strict=True)):
    axes[0].semilogx(Ns, ratios[:, j], "o-", color=col, label=name, ms=4)
axes[0].set(xlabel="training points N", ylabel="memorization ratio", ylim=(-0.05, 1.05))
axes[0].legend(fontsize="small")
axes[1].loglog(Ns, errs, "o-", color=PALETTE["blue"], label="learned")
axes[1].loglog(Ns[3:], errs[-1] * np.sqrt(Ns[-1] / Ns[3:]), "--", color="0.5",
               label=r"$\propto N^{-1/2}$")
axes[1].set(xlabel="training points N", ylabel="subspace error")
plain_log_ticks(axes[1].yaxis)
axes[1].legend(fontsize="small")
for j, (name, col) in enumerate(zip(["memorizer", "learned", "oracle"],
                                    [PALETTE["vermillion"], PALETTE["blue"], PALETTE["green"]],
                                    strict=True)):
    axes[2].loglog(Ns, tests[:, j], "o-", color=col, label=f"{name}, test", ms=4)
axes[2].loglog(Ns, np.maximum(trains[:, 0], 1e-5), "--", color=PALETTE["vermillion"],
               label="memorizer, train")
axes[2].set(xlabel="training points N", ylabel="MSE per coordinate, t = 0.3")
axes[2].legend(fontsize="small")
fig.tight_layout()
plt.show()

# %% slideshow={"slide_type": "skip"}
print("   N | ratio mem / learned / oracle / fresh | subspace err | off-support RMS mem / learned"
      " | test MSE mem / learned / oracle | train MSE mem / learned")
for r in table:
    print(f"{r['N']:4d} |   " + " / ".join(f"{v:.3f}" for v in r["ratio"])
          + f"    |    {r['err']:.3f}     |   " + " / ".join(f"{v:.3f}" for v in r["off"])
          + "          | " + " / ".join(f"{v:.4f}" for v in r["test"])
          + "  | " + " / ".join(f"{v:.4f}" for v in r["train"]))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **A low memorization ratio alone is not generalization.** At $N\le20$ the learned model
# copies nothing (ratio at the floor), yet its subspaces are off (error 0.3 to 0.8, against
# about 0.01 at $N=1000$) and its test loss is two to five times the oracle's. Copying nothing
# is necessary; recovering the structure (small subspace error, held-out loss near the oracle,
# agreement between disjoint halves) is what generalization means.

# %% [markdown] slideshow={"slide_type": "notes"}
# Put the three printed $N=10$ numbers side by side: a ratio at the floor, a large subspace
# error, a test loss well above the oracle's. Ask: "which single number would you report?"
# (none: always a memorization number *and* a quality number). *(2 min)*

# %%
i10 = N_sweep.index(10)
print(f"N = 10: learned ratio {ratios[i10, 1]:.2f} (floor {ratios[i10, 3]:.2f}), subspace error "
      f"{errs[i10]:.2f}, test MSE {tests[i10, 1] / tests[i10, 2]:.1f}x the oracle's")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 10. Real data: the 8x8 digits
#
# scikit-learn ships 1797 handwritten digits of $8\times8$ pixels ($D=64$, no download). We
# divide by 16, subtract the training mean image, and split 70/30 stratified by class. The model
# is one **low-rank Gaussian per class**: weight = class frequency, mean = class mean,
# covariance = the top $P=8$ eigenpairs of the class covariance plus an **isotropic floor**
# $s_k^2$ (the mean of the discarded eigenvalues) on the other 56 directions. Baselines: one
# full-covariance Gaussian for all digits, and the memorizer of the 1257 training digits.

# %% [markdown] slideshow={"slide_type": "notes"}
# The model has about 10 x (64 + 8 x 64) numbers, fitted in milliseconds; the memorizer keeps
# all 1257 x 64 pixels. The floor matters: without it the small-$t$ denoiser projects onto an
# 8-dimensional affine subspace and cannot do better than the residual. The figure shows the
# held-out error against $t$. Ask: "where should the memorizer be worst?" (small $t$: it snaps
# every test digit to a training digit). *(3 min)*

# %%
split = load_digits_split()
x_tr, y_tr, x_te = split.x_train, split.y_train, split.x_test
mixture = fit_class_mixture(x_tr, y_tr, rank=8)
single = fit_gaussian(x_tr)
floors = np.array([var[-1] for _, _, var in mixture.components()])
models = {"class mixture, P = 8": mixture.denoiser(vp), "single Gaussian": single.denoiser(vp),
          "memorizer": memorizer(x_tr)}
t_digits = np.array([0.05, 0.1, 0.2, 0.4, 0.7])
g_digits = np.random.default_rng(21).standard_normal(x_te.shape)
g_train_digits = np.random.default_rng(22).standard_normal(x_tr.shape)
mse = {name: np.array([denoising_mse(f, x_te, t, vp, g_digits) for t in t_digits])
       for name, f in models.items()}
mse["memorizer, on training digits"] = np.array(
    [denoising_mse(models["memorizer"], x_tr, t, vp, g_train_digits) for t in t_digits])
mse["no denoising, x_t / alpha"] = t_digits**2 / (1 - t_digits**2) * np.mean(g_digits**2)
i02 = list(t_digits).index(0.2)
assert (mse["class mixture, P = 8"][i02] < mse["single Gaussian"][i02]
        < mse["memorizer"][i02])
assert mse["memorizer"][0] > mse["no denoising, x_t / alpha"][0]
assert np.all(mse["memorizer, on training digits"][:2] < 1e-4)

fig, ax = plt.subplots(figsize=(6.5, 3.5))
styles = [("o-", PALETTE["blue"]), ("s-", PALETTE["green"]), ("^-", PALETTE["vermillion"]),
          ("^--", PALETTE["vermillion"]), (":", PALETTE["black"])]
for (name, v), (st, col) in zip(mse.items(), styles, strict=True):
    ax.loglog(t_digits, np.maximum(v, 1e-6), st, color=col, label=name, ms=4)
ax.set(xlabel="noise level t (VP)", ylabel="MSE per pixel", ylim=(1e-4, 2),
       title="denoising digits (memorizer on its training digits: 0 at t ≤ 0.1)")
plain_log_ticks(ax.xaxis, t_digits)
ax.legend(fontsize="small", loc="upper left")
fig.tight_layout()
plt.show()
print(f"{x_tr.shape[0]} training / {x_te.shape[0]} test digits; floors s_k^2 in "
      f"[{floors.min():.4f}, {floors.max():.4f}]")

# %% slideshow={"slide_type": "skip"}
# without the floor the model is a pure rank-8 affine subspace per class: at small t its
# denoiser projects test digits onto it and keeps the off-subspace residual as error
no_floor = fit_class_mixture(x_tr, y_tr, rank=8, floor=False).denoiser(vp)
mse["P = 8 without floor"] = np.array([denoising_mse(no_floor, x_te, t, vp, g_digits)
                                       for t in t_digits])
assert mse["P = 8 without floor"][0] > 3 * mse["class mixture, P = 8"][0]
print("MSE per pixel at t =      " + " ".join(f"{t:8g}" for t in t_digits))
for name, v in mse.items():
    print(f"{name[:25]:25s} " + " ".join(f"{x:8.5f}" for x in v))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Samples.** The same 100 starting noises through the VP sampler ($L=50$) with the memorizer
# and with the class mixture. Rows: memorizer samples; the training digit nearest to each;
# mixture samples; the training digit nearest to each. The memorizer's samples *are* training
# digits; the mixture's are new digits. A logistic-regression classifier trained on the
# training digits (97% test accuracy) judges how digit-like the samples are.

# %% [markdown] slideshow={"slide_type": "notes"}
# Let the room look for differences between rows 1 and 2 (there are none) and between rows 3
# and 4 (same class, different strokes). The grey speckle in the mixture samples is the
# isotropic floor. Then the printed ratios: memorizer 1, mixture 0, held-out digits 0. *(3 min)*

# %%
x0_digits = np.random.default_rng(23).standard_normal((100, 64))
s_mem_d = sample(models["memorizer"], vp, x0_digits, L=L_SWEEP)
s_mix_d = sample(models["class mixture, P = 8"], vp, x0_digits, L=L_SWEEP)
nn_mem, d1_mem_d, _ = nearest_neighbours(s_mem_d, x_tr)
nn_mix, d1_mix_d, _ = nearest_neighbours(s_mix_d, x_tr)
ratio_digits = {"memorizer": memorization_ratio(s_mem_d, x_tr),
                "class mixture": memorization_ratio(s_mix_d, x_tr),
                "held-out digits": memorization_ratio(x_te, x_tr)}
assert ratio_digits["memorizer"] >= 0.95 and ratio_digits["class mixture"] <= 0.05
clf = digit_classifier(x_tr, y_tr)
accuracy = clf.score(x_te, split.y_test)
confidence = {name: float(clf.predict_proba(s).max(axis=1).mean())
              for name, s in (("memorizer", s_mem_d), ("class mixture", s_mix_d))}
assert 0.95 < accuracy and confidence["class mixture"] > 0.8
assert np.median(d1_mem_d) < 1e-6 and np.median(d1_mix_d) > 0.5

n_show = 10
fig, axes = plt.subplots(4, n_show, figsize=(7.0, 3.3))
panels = [s_mem_d[:n_show], x_tr[nn_mem[:n_show]], s_mix_d[:n_show], x_tr[nn_mix[:n_show]]]
labels = ["memorizer", "nearest train", "mixture", "nearest train"]
for row, imgs, lab in zip(axes, panels, labels, strict=True):
    show_digits(row, imgs, split.mean_image)
    row[0].set_ylabel(lab, fontsize="small", rotation=0, ha="right", va="center")
fig.suptitle("same starting noise in each column")
fig.subplots_adjust(left=0.17, right=0.99, top=0.9, bottom=0.02, wspace=0.08, hspace=0.08)
plt.show()
print("memorization ratio: " + ", ".join(f"{k} {v:.2f}" for k, v in ratio_digits.items()))
print("median distance to nearest training digit: memorizer 0 (to 1e-6, asserted), "
      f"mixture {np.median(d1_mix_d):.2f}, held-out digits "
      f"{np.median(nearest_neighbours(x_te, x_tr)[1]):.2f}")
print(f"classifier: test accuracy {accuracy:.3f}; mean confidence on samples: memorizer "
      f"{confidence['memorizer']:.2f}, mixture {confidence['class mixture']:.2f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 11. Interactive: training-set size and sampler time
#
# Three lines in the plane, $N$ noisy training points (circles). The memorizer and K fitted
# lines drive the same VP sampler from the same 200 noises; dots: each one's prediction
# $\bar x(t,x_t)$ at the chosen sampler time $t$ (the smallest $t$ gives the final samples).
# Watch the memorizer commit to training points as $t$ falls.

# %% [markdown] slideshow={"slide_type": "notes"}
# In the static panel (memorizer on top, learned lines below): left $N=6$, every sample a
# copy; middle $N=50$ at $t\approx0.07$, where the memorizer's predictions are still partly
# blends of training points (ratio about one half); right $N=400$, still copies, although 400
# points look like "a lot" in two dimensions. Ask: "at which $t$ does the memorizer commit, and why later for larger $N$?"
# (section Going further measures that time). *(3 min)*

# %% slideshow={"slide_type": "skip"} tags=["nbval-ignore-output"]
widget = wmem.build_memorization()
widget

# %%
fig = plt.figure(figsize=(6.0, 3.8))
static = wmem.draw_small_multiples(fig)
plt.show()
for d in static:
    assert d["final_mem"] >= 0.95 and d["final_learned"] < d["final_mem"] - 0.5
print("final ratios (memorizer / learned / fresh): " + " | ".join(
    f"N={d['N']} {d['final_mem']:.2f}/{d['final_learned']:.2f}/{d['floor']:.2f}"
    for d in static))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 12. Where the source errs
#
# > **The source stops at "Inference with a learnt model (TBC)".** It trains denoisers by the
# > loss (eqs. 11-12) without saying that, on a finite training set and over all functions, the
# > minimizer is the memorizer of section 1, whose samples are training points. Learned
# > denoisers generalize because their family is restricted (sections 4-6) or because their
# > training stops before it reaches that minimizer.
#
# > **"Minimizing coding rate (i.e. entropy)".** The empirical distribution $p^X$ has
# > differential entropy $-\infty$, lower than any model, so "smallest entropy" alone would pick
# > the memorizer. Entropy must be measured lossily (the coding rate at a distortion
# > $\epsilon$, chapter 1), which is finite for both and does not reward storing every
# > training point exactly.
#
# > **How $t$ is drawn in the loss for all $t$.** Whatever the weighting, at every $t$ the
# > finite-sample minimizer is the same memorizer (section 1), so no choice of weights prevents
# > memorization; see [chapter 6](06_vp.ipynb) for the loss over all $t$.

# %% [markdown] slideshow={"slide_type": "notes"}
# Keep this short: the first box is the chapter's thesis; the second links back to chapter 1's
# coding rate. *(2 min)*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 13. Exercises
#
# **Exercise 1 (compute).** Data of intrinsic dimension $p=2$. (a) What fraction of *fresh*
# samples does the ratio test flag at threshold $1/3$? (b) Which threshold $r$ would flag only
# 1% of fresh samples, and would that test still flag exact copies of training points?

# %% [markdown] slideshow={"slide_type": "notes"}
# Give five minutes for exercises 1 and 2 in pairs; exercises 3 and 4 are homework. *(4 min)*

# %% slideshow={"slide_type": "skip"}
my_pair = None  # your answer here: (floor at 1/3, threshold for a 1% floor)
ex.check_false_positive_floor(my_pair, p=2)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# (a) $(d_1/d_2)^p$ is uniform on $(0,1)$, so $\Pr[d_1/d_2<1/3]=\Pr[(d_1/d_2)^2<1/9]=1/9\approx
# 0.111$ (section 7 measures it). (b) $r^2=0.01$ gives $r=0.1$. A copy sits at $d_1\approx0$,
# so it passes any threshold: lowering $r$ removes false alarms (like $r^p$) and misses only
# near-copies.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
assert ex.check_false_positive_floor((false_positive_floor(2), 0.01**0.5), p=2), \
    "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 2 (compute, then prove).** Under **VE** ($\alpha_t=1$, $\sigma_t=t$), what does the
# memorizer of the training set below return as $t\to\infty$, whatever $x_t$ is? Prove it from
# the softmax.

# %% slideshow={"slide_type": "skip"}
train_ex = ex.EXERCISE_TRAIN  # three points in the plane
my_limit = None  # your answer here: a vector of length 2
ex.check_memorizer_large_t(my_limit)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# The logits are $-\|x_t-x^{(i)}\|^2/(2t^2)$. For fixed $x_t$ they all tend to 0 as
# $t\to\infty$, so the softmax tends to the uniform weights $1/N$ and $\bar x^\star$ to the
# **training mean**, here $(2, 1)$. The differences between logits are
# $O(\|x_t\|\,\|x^{(i)}-x^{(j)}\|/t^2)$, so the convergence is like $1/t^2$ for bounded $x_t$.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
mem_ve = memorizing_denoiser(train_ex, VE())
assert ex.check_memorizer_large_t(mem_ve(np.array([0.3, -0.2]), 1e4)), "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 3 (compute).** Two noiseless points $x^{(1)},x^{(2)}$ of a 4-dimensional subspace of
# $\mathbb R^6$ are given below, and you run PCA with $P=4$. Which part of the true subspace is
# certainly recovered? Give the $6\times6$ orthogonal projector onto it.

# %% slideshow={"slide_type": "skip"}
points_ex = ex.EXERCISE_POINTS  # shape (2, 6)
my_projector = None  # your answer here: a 6 x 6 matrix
ex.check_recovered_projector(my_projector)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# $M=\frac12(x^{(1)}x^{(1)\top}+x^{(2)}x^{(2)\top})$ has rank 2: its two nonzero eigenvectors
# span $\mathrm{span}\{x^{(1)},x^{(2)}\}$, which lies in the true subspace. The other two columns
# of the PCA basis are eigenvectors of eigenvalue 0, i.e. arbitrary directions orthogonal to the
# points. So exactly the span of the data is recovered: the projector is $QQ^\top$ with $Q$ an
# orthonormal basis of the two points (e.g. from a QR factorization). With $N<P$ the rest of the
# subspace is not identifiable.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
q_ex, _ = np.linalg.qr(points_ex.T)
assert ex.check_recovered_projector(q_ex @ q_ex.T), "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 4 (compute).** One-dimensional training set $\{0, 2\}$, VP at $t=0.6$, observed
# $x_t=0.5$. What does the memorizer return? (Hint: two points make the softmax a logistic
# function.)

# %% slideshow={"slide_type": "skip"}
my_output = None  # your answer here: a number
ex.check_two_point_memorizer(my_output)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# $\alpha=0.8$, $\sigma=0.6$. The logits are $-0.5^2/0.72\approx-0.347$ for $x=0$ and
# $-(0.5-1.6)^2/0.72\approx-1.681$ for $x=2$, so the weight of $2$ is
# $1/(1+e^{1.333})\approx0.209$ and $\bar x^\star\approx0.417$.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
w_two = posterior_weights(np.array([[0.0], [2.0]]), np.array([0.5]), 0.6, vp)
assert ex.check_two_point_memorizer(float(w_two @ np.array([0.0, 2.0]))), "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * On $N$ training points the denoising loss is minimized, over all functions and at every
#   $t$, by the **memorizer** $\sum_iw_i(x_t)x^{(i)}$ (bias-variance identity). It beats even the
#   true denoiser on training data, loses on new data, and its samples are training points.
# * Restricting the family makes the data enter through averages: PCA sees only $M$ and
#   recovers a subspace from $N\ge P$ points; a mixture of subspaces is fitted by K-subspaces,
#   the small-$t$ limit of the attention loss. Its samples are new and cleaner than its data.
# * Measure both sides: the ratio test $d_1/d_2<1/3$ (floor $3^{-p}$ on fresh data) for copying;
#   subspace error, held-out loss and disjoint-halves agreement for generalization. A low ratio
#   alone proves nothing.
# * On digits, a low-rank Gaussian per class with an isotropic floor denoises new digits better
#   than the memorizer and a single Gaussian, and samples new, recognizable digits.
#
# **Next.** [Chapter 8](08_inference.ipynb) uses such a learned model as a prior: denoising
# becomes inference (inpainting, class-conditional sampling).

# %% [markdown] slideshow={"slide_type": "notes"}
# Recap the four bullets; point ahead to chapter 8. *(2 min)*

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ## Going further
#
# ### Learning one denoiser for all $t$ from finite data
#
# [Chapter 6](06_vp.ipynb) trains the mixture-of-subspaces denoiser for all $t$ at once by
# Riemannian gradient steps (its section "Going further: one denoiser for all $t$"; the next
# one, "how denoiser errors become sampling errors", relates that loss to sample quality). On
# finite data the loss is not convex: started from the K-subspaces solution the training stays
# near it, while from a random start it can stall with two bases on one subspace. Here on
# $N=50$ points of the $D=32$ data, 200 steps from each start.

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
from course_utils.training import train_lowrank_denoiser  # noqa: E402

for N in (50,):
    train = rows[N]["train"]
    errs_gd = {}
    for start in ("random", "K-subspaces"):
        init = None if start == "random" else rows[N]["bases"]
        run = train_lowrank_denoiser(train, K, P, vp, np.random.default_rng(5), steps=200,
                                     batch=128, init=init)
        errs_gd[start] = subspace_error(run["bases"], U_true)
    kss_err = subspace_error(rows[N]["bases"], U_true)
    assert errs_gd["K-subspaces"] < 2 * kss_err + 0.02
    print(f"N = {N}: subspace error K-subspaces {kss_err:.3f} | gradient training from a random "
          f"start {errs_gd['random']:.3f}, from K-subspaces {errs_gd['K-subspaces']:.3f}")

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ### When does the memorizing sampler commit? The collapse time
#
# For training points drawn from $\mathcal N(0,vI_d)$, Biroli, Bonnaire, de Bortoli and Mézard
# (2024) predict, as $d\to\infty$ with $\log N/d$ fixed, that the trajectories of the exact
# empirical sampler commit to one training point once $\sigma_t^2/\alpha_t^2=v/(N^{2/d}-1)$;
# in VP with $v=1$ that is $t_C=N^{-1/d}$. We measure, over 100 trajectories ($L=200$), the
# first sampler time at which the largest softmax weight exceeds $1/2$, and take the median:
# it sits at or a little above the prediction (an asymptotic estimate, early at small $d$).
# For $t_C$ to stay near 0 as the dimension grows, $\log N$ must grow like $d$: the number of
# samples a memorizer needs to cover the space is exponential in the dimension.

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
for d in (2, 8):
    for N in (100, 1000):
        pts = np.random.default_rng(30 + d + N).standard_normal((N, d))
        starts = np.random.default_rng(31).standard_normal((100, d))
        measured = float(np.median(collapse_times(pts, starts, vp, L=200)))
        predicted = collapse_time_prediction(N, d)
        assert 0.95 <= measured / predicted <= 1.5
        print(f"d = {d}, N = {N:4d}: median collapse time {measured:.3f}, predicted "
              f"N^(-1/d) = {predicted:.3f}")

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ### How much worse is partial memorization? (Buchanan, Pai, Ma and De Bortoli, 2025)
#
# For $K$ well-separated components $\mathcal N(\mu_k,s^2I_D)$ and $N$ training points they
# compare, on the training loss, the generalizing model (the true mixture denoiser) with the
# memorizer of all $N$ points: the excess is $\Delta_{\rm gen}(t)\approx Ds^2/(1+\mathrm{SNR}_ts^2)$
# with $\mathrm{SNR}_t=\alpha_t^2/\sigma_t^2$, as long as the memorizer's own training loss is
# near 0. A memorizer of only $M<N$ of the points pays about $Ds^2(1-M/N)$ at every $t$ (an
# underestimate at moderate $D$, checked below). With uniform weight over $t$ in VP and
# $s^2=1$, $1/(1+\mathrm{SNR}_t)=t^2$ and the two excesses cross at
# $M^*/N=1-\int_0^1t^2\,dt=2/3$: a model that memorizes more than two thirds of its training
# set has a lower training loss than the true denoiser.

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
rng = np.random.default_rng(1)
D30, K30, N30 = 30, 4, 100
mus = rng.standard_normal((K30, D30))
mus *= np.sqrt(D30) / np.linalg.norm(mus, axis=1, keepdims=True)
iso = GaussianMixture(np.full(K30, 1 / K30), mus, np.stack([np.eye(D30)] * K30))
train30 = iso.sample(N30, rng)
mem30, true30 = memorizer(train30), iso.denoiser(vp)
rep = np.repeat(train30, 50, axis=0)
for t in (0.1, 0.3, 0.5):
    g = rng.standard_normal(rep.shape)
    excess = D30 * (denoising_mse(true30, rep, t, vp, g) - denoising_mse(mem30, rep, t, vp, g))
    predicted = D30 / (1 + (1 - t * t) / (t * t))
    assert abs(excess / predicted - 1) < 0.05
    print(f"t = {t}: excess training loss of the true denoiser {excess:.2f}, predicted "
          f"{predicted:.2f}")
g = rng.standard_normal(rep.shape)
full_loss = denoising_mse(mem30, rep, 0.3, vp, g)
pmem = {M: D30 * (denoising_mse(memorizer(train30[:M]), rep, 0.3, vp, g) - full_loss)
        for M in (25, 50, 75)}
assert pmem[25] > pmem[50] > pmem[75] > 0
assert all(pmem[M] > D30 * (1 - M / N30) for M in pmem)  # the formula is low here
print("partial memorizer at t = 0.3, excess (formula D(1 - M/N)): " + ", ".join(
    f"M = {M}: {v:.1f} ({D30 * (1 - M / N30):.1f})" for M, v in pmem.items()))
t_fine = np.linspace(0, 1, 100_001)
crossover = 1 - np.trapezoid(t_fine**2, t_fine)
assert abs(crossover - 2 / 3) < 1e-8
print(f"crossover M*/N = 1 - mean of t^2 = {crossover:.4f}")
