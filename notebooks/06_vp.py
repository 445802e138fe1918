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
# # Chapter 6: The variance-preserving schedule
#
# The sampler of chapter 5 starts from $\mathcal N(0, T^2 I)$ and hopes that this is close to
# the law of $x_T = x + T g$. In a few dimensions it is. In many dimensions, with data that
# spread much more in some directions than in others, it is not, and no finite $T$ fixes that
# for every dimension at once. The source's answer is to change the noising process so that
# its end point is *exactly* a standard Gaussian: the **variance-preserving** (VP) process.
# This chapter measures the problem, builds the VP process, derives its sampler (DDIM), compares
# it with the VE sampler on the same data, asks how many steps are enough, and finally trains
# **one** denoiser that serves every noise level.
#
# **Learning objectives.** After this chapter you can
# 1. measure how far $\mathcal N(0,T^2I)$ is from the law of $x_T$ (a KL divergence in closed
#    form) and explain why it grows with the dimension;
# 2. state the VP process and check its three defining facts ($\alpha_t^2+\sigma_t^2=1$,
#    $x_1\sim\mathcal N(0,I)$, $\bar x^*(1,\cdot)=\mathbb E[x]$);
# 3. write the DDIM update, show both of its coefficients are positive, and read it as
#    "predict the clean point, then re-noise it to the next level";
# 4. compare VE and VP sampling, and uniform and exponential grids, with numbers (distance to the
#    data subspaces, component fractions, per-direction energy);
# 5. train a single low-rank denoiser for all $t$ by minimizing the loss averaged over $t$, and
#    check that it recovers the data subspaces.
#
# **Prerequisites.** Chapters 2 (the $\alpha_t/\sigma_t$ process, Tweedie), 3 (the mixture
# denoiser and its attention form), 4 (learning a subspace by Stiefel gradient steps, principal
# angles) and 5 (the VE sampler).
#
# **Source equations covered.** Eq. (5) (the general process $x_t=\alpha_t x+\sigma_t g$),
# eq. (19) (the VE start $x_T\approx\mathcal N(0,T^2I)$), and three displays the seed does not
# number unambiguously, so we call them by name: the seed's VP schedule, the seed's DDIM update
# and the seed's training objective for all $t$ (one loss for every noise level).

# %%
import matplotlib.pyplot as plt
import numpy as np

import course_utils as cu
from course_utils import training as tr
from course_utils.entropy import gaussian_kl, ve_start_kl
from course_utils.exercises import vp as ex
from course_utils.pca import random_orthonormal
from course_utils.plotting import PALETTE, component_colors, use_style
from course_utils.sampler_analysis import component_fractions, direction_energy, subspace_distance
from course_utils.widgets import vp as wvp

use_style()
VP = cu.VP()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Why $\mathcal N(0,T^2I)$ is a poor stand-in for $x_T$
#
# Take data with covariance $\Sigma$ (eigenvalues $\lambda_1,\dots,\lambda_D$). Under VE,
# $x_T=x+Tg$ has covariance $\Sigma+T^2I$, while the sampler starts from $\mathcal N(0,T^2I)$.
# For the Gaussian part of the law, the mismatch is a KL divergence between two centred
# Gaussians, which diagonalize together. With $r_i=\lambda_i/T^2$:
#
# $$\mathrm{KL}\big(\mathcal N(0,\Sigma+T^2I)\,\big\|\,\mathcal N(0,T^2I)\big)
#   =\tfrac12\sum_{i=1}^D\big(r_i-\log(1+r_i)\big)\;\approx\;\tfrac14\sum_i\frac{\lambda_i^2}{T^4}.$$
#
# Every term is positive, so the KL **adds up over dimensions**. If the spectrum also grows with
# $D$ (say $\lambda_i=i$, an anisotropic cloud whose widest direction keeps widening), the sum
# grows like $D^3/T^4$. We check the closed form against the general Gaussian KL and against a
# Monte Carlo estimate $\mathbb E_p[\log p-\log q]$.

# %%
lam = np.arange(1.0, 6.0)  # D = 5, lambda_i = i
T = 2.0
closed = ve_start_kl(lam, T)
general = gaussian_kl(np.zeros(5), np.diag(lam + T**2), np.zeros(5), T**2 * np.eye(5))
assert abs(closed - general) < 1e-12 * max(1.0, general)

rng = np.random.default_rng(0)
n_mc = 40_000
p_law = cu.GaussianMixture([1.0], np.zeros((1, 5)), [np.diag(lam + T**2)])
q_law = cu.GaussianMixture([1.0], np.zeros((1, 5)), [T**2 * np.eye(5)])
z = p_law.sample(n_mc, rng)
log_ratio = p_law.logpdf(z) - q_law.logpdf(z)
mc, se = log_ratio.mean(), log_ratio.std() / np.sqrt(n_mc)
assert abs(mc - closed) < 4 * se  # 4 Monte Carlo standard errors
print(f"KL closed form {closed:.4f} | general formula {general:.4f} | "
      f"Monte Carlo {mc:.3f} +- {se:.3f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Now against the dimension, for several $T$: the anisotropic spectrum $\lambda_i=i$ (solid) and,
# for contrast, an isotropic unit spectrum (dashed). On the right, the smallest $T$ that keeps the
# KL below $0.01$ nats: it has to grow with $D$. The VP process removes the problem at the
# root: its end point $x_1$ is $\mathcal N(0,I)$ **exactly** (section 2), so the start costs
# KL $=0$ in every dimension.

# %%
Ds = np.array([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000])
Ts = [1.0, 5.0, 10.0, 50.0]
kl_aniso = np.array([[ve_start_kl(np.arange(1.0, d + 1), T) for d in Ds] for T in Ts])
kl_iso = np.array([[ve_start_kl(np.ones(d), T) for d in Ds] for T in Ts])
T_grid = np.logspace(-1, 4, 2001)


def smallest_T(spectrum, budget=0.01):
    """Smallest T on T_grid with KL <= budget (the KL falls monotonically in T)."""
    kl = np.array([ve_start_kl(spectrum, T) for T in T_grid])
    return T_grid[np.argmax(kl <= budget)]


T_needed = np.array([smallest_T(np.arange(1.0, d + 1)) for d in Ds])
T_needed_iso = np.array([smallest_T(np.ones(d)) for d in Ds])
assert np.all(np.diff(kl_aniso, axis=1) > 0) and np.all(np.diff(T_needed) > 0)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
for T, ka, ki, c in zip(Ts, kl_aniso, kl_iso, component_colors(4), strict=True):
    ax1.loglog(Ds, ka, "o-", color=c, ms=3, label=f"T={T:g}, $\\lambda_i=i$")
    ax1.loglog(Ds, ki, "--", color=c, label=f"T={T:g}, $\\lambda_i=1$")
ax1.axhline(0.01, color=PALETTE["black"], lw=0.8, ls=":")
ax1.set(xlabel="dimension D", ylabel="KL (nats)", title="VE start: KL(law of $x_T$ || N(0,T²I))",
        ylim=(1e-9, 1e8))
ax1.legend(fontsize=7, ncol=2)
ax2.loglog(Ds, T_needed, "o-", color=PALETTE["vermillion"], label=r"$\lambda_i=i$")
ax2.loglog(Ds, T_needed_iso, "s--", color=PALETTE["blue"], label=r"$\lambda_i=1$")
ax2.set(xlabel="dimension D", ylabel="smallest T", title="T needed for KL ≤ 0.01")
ax2.legend()
fig.tight_layout()
plt.show()
for d in (10, 100, 1000):
    i = list(Ds).index(d)
    print(f"D={d:4d}: KL at T=10 is {kl_aniso[2, i]:.3g} (lambda_i=i), {kl_iso[2, i]:.3g} "
          f"(lambda_i=1); T needed {T_needed[i]:.3g} and {T_needed_iso[i]:.3g}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The VP process
#
# The general process of eq. (5) is $x_t=\alpha_t x+\sigma_t g$, with $g\sim\mathcal N(0,I)$
# independent of $x$ (the source writes $\dot x_t$, a typo: see the errata). The seed's VP
# schedule takes $T=1$ and
#
# $$\alpha_t=\sqrt{1-t^2},\qquad \sigma_t=t,\qquad t\in[0,1].$$
#
# Three facts follow at once:
# * $\alpha_t^2+\sigma_t^2=1$, so $\mathrm{Cov}(x_t)=\alpha_t^2\,\mathrm{Cov}(x)+\sigma_t^2I$
#   **is $I$ for every $t$ if $\mathrm{Cov}(x)=I$**: the variance is preserved;
# * $\alpha_1=0$, so $x_1=g\sim\mathcal N(0,I)$ **exactly**, whatever the data;
# * at $t=1$, $x_1$ carries no information on $x$, so $\bar x^*(1,\cdot)=\mathbb E[x]$.
#
# We check each, the second moment with a non-Gaussian $x$ (uniform on $\{\pm1\}^4$, covariance
# $I$).

# %%
t_fine = np.linspace(0, 1, 1001)
assert np.abs(VP.alpha(t_fine) ** 2 + VP.sigma(t_fine) ** 2 - 1).max() < 1e-15
assert VP.alpha(1.0) == 0.0

rng = np.random.default_rng(1)
n_cov, t_c = 40_000, 0.6
x_pm = rng.choice([-1.0, 1.0], size=(n_cov, 4))
x_t = VP.alpha(t_c) * x_pm + VP.sigma(t_c) * rng.standard_normal((n_cov, 4))
cov_t = np.cov(x_t.T)
# each entry of a sample covariance of unit-variance coordinates has SE <= sqrt(2/n) = 0.007
assert np.abs(cov_t - np.eye(4)).max() < 5 * np.sqrt(2 / n_cov)
print("Cov(x_t) at t=0.6, Cov(x)=I:", np.round(cov_t, 2).tolist())

# A mixture with non-zero means: the denoiser at t = 1 returns E[x] for every input.
gmm_m = cu.GaussianMixture([0.2, 0.5, 0.3], [[2.0, 0.0], [-1.0, 1.0], [0.0, -3.0]],
                           [np.eye(2), np.diag([0.5, 2.0]), [[1.0, 0.3], [0.3, 0.4]]])
mean_x = gmm_m.weights @ gmm_m.means
xbar_1 = cu.posterior_mean(gmm_m, rng.standard_normal((5, 2)) * 3, 1.0, VP)
assert np.abs(xbar_1 - mean_x).max() < 1e-12
print("E[x] =", np.round(mean_x, 4).tolist(), "| denoiser at t=1 on 5 random inputs:",
      np.round(xbar_1, 4).tolist()[:2], "...")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The picture: VE adds noise on top of the data and the spread explodes; VP trades signal for
# noise, so a direction of variance $\lambda$ has variance $(1-t^2)\lambda+t^2$, moving from
# $\lambda$ to exactly $1$.

# %%
ts = np.linspace(0, 1, 201)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
ax1.plot(ts, VP.alpha(ts), color=PALETTE["blue"], label=r"VP $\alpha_t=\sqrt{1-t^2}$")
ax1.plot(ts, VP.sigma(ts), color=PALETTE["orange"], label=r"VP $\sigma_t=t$")
ax1.plot(ts, VP.alpha(ts) ** 2 + VP.sigma(ts) ** 2, ":", color=PALETTE["black"],
         label=r"$\alpha_t^2+\sigma_t^2$")
ax1.set(xlabel="t", ylabel="value", title="VP schedule")
ax1.legend()
for lam_i, c in zip([0.05, 0.3, 1.0, 4.0], component_colors(4), strict=True):
    ax2.plot(ts, np.sqrt((1 - ts**2) * lam_i + ts**2), color=c, label=f"VP, λ={lam_i:g}")
    ax2.plot(ts, np.sqrt(lam_i + ts**2), "--", color=c, alpha=0.6)
ax2.set(xlabel="t", ylabel="std of $x_t$ along the direction",
        title="VP (solid) vs VE (dashed): std of one direction")
ax2.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The mixture denoiser in $\alpha/\sigma$ form
#
# For $x\sim\sum_k\pi_k\mathcal N(\mu_k,\Sigma_k)$, the law of $x_t$ is
# $\sum_k\pi_k\mathcal N(\alpha_t\mu_k,\alpha_t^2\Sigma_k+\sigma_t^2I)$ and conditioning on the
# component label (chapter 3) gives
#
# $$\bar x^*(t,x_t)=\sum_k w_k(x_t)\Big(\mu_k+\alpha_t\Sigma_k(\alpha_t^2\Sigma_k+\sigma_t^2I)^{-1}
#   (x_t-\alpha_t\mu_k)\Big),\qquad
#   w_k\propto\pi_k\,\varphi(x_t;\alpha_t\mu_k,\alpha_t^2\Sigma_k+\sigma_t^2I).$$
#
# We code this formula directly (explicit inverses, a few points) and compare it with the library.

# %%
def mixture_denoiser_by_hand(gmm, x, a, s):
    """Eq. (8) in alpha/sigma form, with explicit inverses: reference code, not fast."""
    logw, comps = [], []
    for pi_k, mu, cov in zip(gmm.weights, gmm.means, gmm.covs, strict=True):
        c_t = a * a * cov + s * s * np.eye(gmm.D)
        inv = np.linalg.inv(c_t)
        d = x - a * mu
        logw.append(np.log(pi_k) - 0.5 * np.einsum("ni,ij,nj->n", d, inv, d)
                    - 0.5 * np.linalg.slogdet(2 * np.pi * c_t)[1])
        comps.append(mu + d @ (a * cov @ inv).T)
    logw = np.array(logw).T
    w = np.exp(logw - logw.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    return np.einsum("nk,knd->nd", w, np.array(comps))


x_probe = np.random.default_rng(2).standard_normal((6, 2)) * 2
for t in (0.1, 0.6, 0.95):
    by_hand = mixture_denoiser_by_hand(gmm_m, x_probe, VP.alpha(t), VP.sigma(t))
    err = np.abs(by_hand - cu.posterior_mean(gmm_m, x_probe, t, VP)).max()
    assert err < 1e-10
    print(f"t={t}: max |by hand - library| < 1e-10: {err < 1e-10}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Low-rank version.** For $x\sim\frac1K\sum_k\mathcal N(0,U_kU_k^\top)$ with $U_k\in O(D,P)$
# (orthonormal columns, the same $P$ for all $k$), the Woodbury identity turns this into an
# attention-like form. In general $\alpha/\sigma$ form the weights are
# $\mathrm{softmax}_k\big(\alpha_t^2\|U_k^\top x_t\|^2/(2\sigma_t^2(\alpha_t^2+\sigma_t^2))\big)$ and
# each component is $\frac{\alpha_t}{\alpha_t^2+\sigma_t^2}U_kU_k^\top x_t$. For VP,
# $\alpha_t^2+\sigma_t^2=1$:
#
# $$\bar x^*(t,x_t)=\alpha_t\sum_k\mathrm{softmax}_k\Big(\frac{(1-t^2)\,\|U_k^\top x_t\|^2}{2t^2}\Big)
#   U_kU_k^\top x_t .$$
#
# We use this data throughout the chapter: $D=10$, $K=3$ subspaces of dimension $P=2$.

# %%
D, K, P = 10, 3, 2
rng_bases = np.random.default_rng(2026)
bases = [random_orthonormal(D, P, rng_bases) for _ in range(K)]
gmm = cu.GaussianMixture.low_rank(bases)
x_data = gmm.sample(4000, np.random.default_rng(3))

rng = np.random.default_rng(4)
for t in (0.05, 0.5, 0.9, 1.0):
    a = VP.alpha(t)
    xt = a * x_data[:200] + t * rng.standard_normal((200, D))
    logits = np.stack([(1 - t**2) * ((xt @ u) ** 2).sum(1) / (2 * t**2) for u in bases], 1)
    w = np.exp(logits - logits.max(1, keepdims=True))
    w /= w.sum(1, keepdims=True)
    ours = a * sum(w[:, k:k + 1] * (xt @ u) @ u.T for k, u in enumerate(bases))
    err_pm = np.abs(ours - cu.posterior_mean(gmm, xt, t, VP)).max()
    err_w = np.abs(w - cu.responsibilities(gmm, xt, t, VP)).max()
    err_att = np.abs(ours - cu.attention_denoiser(bases, xt, t, VP)).max()
    assert max(err_pm, err_w, err_att) < 1e-10
    print(f"t={t}: weights and denoiser match posterior_mean, responsibilities and "
          f"attention_denoiser to 1e-10: {max(err_pm, err_w, err_att) < 1e-10}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The DDIM update and its positive coefficients
#
# On a grid $0=t_0<t_1<\dots<t_L=T$ the seed's DDIM update steps from $t=t_\ell$ to
# $s=t_{\ell-1}$:
#
# $$\hat x_s=\frac{\sigma_s}{\sigma_t}\,\hat x_t+\Big(\alpha_s-\frac{\sigma_s}{\sigma_t}\alpha_t\Big)
#   \bar x(t,\hat x_t).$$
#
# The source writes this formula without naming it: it is the **DDIM** sampler (Song et al.),
# run on the uniform grid $t_\ell=\ell/L$ from $\hat x_1\sim\mathcal N(0,I)$ for VP (or
# $\mathcal N(0,T^2I)$ for VE).
#
# **Re-noise the prediction.** Rewrite the step with the noise the current iterate implies,
# $\hat g=(\hat x_t-\alpha_t\bar x)/\sigma_t$: then $\hat x_s=\alpha_s\bar x+\sigma_s\hat g$.
# DDIM predicts the clean point, keeps the implied noise direction, and puts the two together at
# the next noise level, just as $x_s=\alpha_s x+\sigma_s g$ does with the true $x$ and $g$.
#
# **Positive coefficients.** The book remarks that a sampler should always put a positive weight
# on both the iterate and the denoiser. The first weight $\sigma_s/\sigma_t$ lies in $(0,1)$, except
# at the very last step ($s=0$), where it is exactly $0$ and the output is the denoiser alone
# (times $\alpha_0=1$). The second is
# positive iff $\alpha_s/\sigma_s>\alpha_t/\sigma_t$, i.e. the signal-to-noise ratio
# $\alpha_t/\sigma_t$ decreases in $t$, which holds for VE ($1/t$) and VP ($\sqrt{1-t^2}/t$).

# %%
def ddim_coefficients_on_grid(schedule, grid):
    a, s = schedule.alpha(grid), schedule.sigma(grid)
    ratio = s[:-1] / s[1:]
    return ratio, a[:-1] - ratio * a[1:]  # index l-1: the step t_l -> t_{l-1}


rows = []
for name, sched in [("VE T=5", cu.VE(5.0)), ("VP", VP)]:
    for kind in ("uniform", "exponential"):
        for L in (5, 50, 500):
            r, d = ddim_coefficients_on_grid(sched, sched.grid(L, kind=kind))
            assert np.all(r >= 0) and np.all(r < 1) and np.all(d > 0)
            rows.append(f"{name:6s} {kind:11s} L={L:3d}: iterate weight in [{r.min():.3f}, "
                        f"{r.max():.3f}], denoiser weight in [{d.min():.4f}, {d.max():.4f}]")
print("\n".join(rows))

# VE uniform grid: the weights are (1 - 1/l, 1/l) (source eq. 17)
r, d = ddim_coefficients_on_grid(cu.VE(5.0), cu.VE(5.0).grid(50))
ell = np.arange(1, 51)
assert np.allclose(r, 1 - 1 / ell, atol=1e-14) and np.allclose(d, 1 / ell, atol=1e-14)

# DDIM == re-noise the prediction, and the library's ddim_step agrees
rng = np.random.default_rng(5)
x_hat, x_bar = rng.standard_normal((100, D)), rng.standard_normal((100, D))
for t, s in [(1.0, 0.9), (0.7, 0.3), (0.2, 0.0)]:
    g_hat = (x_hat - VP.alpha(t) * x_bar) / VP.sigma(t)
    renoised = VP.alpha(s) * x_bar + VP.sigma(s) * g_hat
    assert np.abs(renoised - cu.ddim_step(x_hat, x_bar, t, s, VP)).max() < 1e-12
print("DDIM step == alpha_s xbar + sigma_s g_hat to 1e-12 at (t, s) = (1, .9), (.7, .3), (.2, 0)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The weights along a uniform grid of $L=20$ steps. VE starts with tiny denoiser weights
# ($1/\ell$); VP's first step from $t=1$ keeps only $\sigma_s=t_{L-1}$ times the iterate (its
# denoiser output there is $\mathbb E[x]$) and gives the denoiser more weight at each later step.

# %%
L_show = 20
fig, ax = plt.subplots(figsize=(7, 3.6))
for name, sched, c in [("VE T=5", cu.VE(5.0), PALETTE["orange"]), ("VP", VP, PALETTE["blue"])]:
    r, d = ddim_coefficients_on_grid(sched, sched.grid(L_show))
    ell = np.arange(1, L_show + 1)
    ax.plot(ell, r, "o-", color=c, ms=3, label=f"{name}: weight on $\\hat x_t$")
    ax.plot(ell, d, "s--", color=c, ms=3, label=f"{name}: weight on $\\bar x$")
ax.set(xlabel=r"step $\ell$ (from $t_\ell$ to $t_{\ell-1}$)", ylabel="coefficient",
       title=f"DDIM coefficients, uniform grid, L={L_show}")
ax.invert_xaxis()
ax.legend(fontsize=8)
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. One Gaussian, exactly: how the VP sampler under-disperses
#
# With 1-D data $x\sim\mathcal N(0,\lambda)$ the denoiser is linear,
# $\bar x^*(t,x_t)=\frac{\alpha_t\lambda}{\alpha_t^2\lambda+\sigma_t^2}x_t$, so each DDIM step
# multiplies the iterate by a number
# $a_\ell=r_\ell+(\alpha_{t_{\ell-1}}-r_\ell\alpha_{t_\ell})\frac{\alpha_{t_\ell}\lambda}{\alpha_{t_\ell}^2\lambda+\sigma_{t_\ell}^2}$,
# $r_\ell=\sigma_{t_{\ell-1}}/\sigma_{t_\ell}$. Starting from $\hat x_1\sim\mathcal N(0,1)$, the
# output std is $\prod_\ell a_\ell$ **exactly**. It should be $\sqrt\lambda$; with finitely many
# steps it is smaller. For $\lambda=0.3$: $0.480$ at $L=10$, $0.540$ at $L=100$, $0.5468$ at
# $L=1000$, limit $\sqrt{0.3}=0.5477$. A Monte Carlo run of the library's sampler confirms $L=10$.

# %%
lam1 = 0.3
Ls = [1, 2, 5, 10, 100, 1000]
stds = {L: ex.vp_output_std(lam1, L) for L in Ls}
assert abs(stds[10] - 0.480) < 5e-4 and abs(stds[100] - 0.540) < 5e-4
assert abs(stds[1000] - 0.5468) < 5e-5 and stds[1] == 0.0
print("exact output std:", {L: round(v, 4) for L, v in stds.items()},
      "| limit sqrt(0.3) =", round(np.sqrt(lam1), 4))

gmm_1d = cu.GaussianMixture([1.0], [[0.0]], [[[lam1]]])
n1 = 20_000
x_out = cu.sample(gmm_1d.denoiser(VP), VP, cu.initial_noise(VP, n1, 1, np.random.default_rng(6)),
                  L=10)
sd_mc = x_out.std()
se_sd = sd_mc / np.sqrt(2 * n1)  # standard error of a Gaussian sample std
assert abs(sd_mc - stds[10]) < 4 * se_sd
print(f"Monte Carlo (n={n1}), L=10: std {sd_mc:.3f} +- {se_sd:.3f} vs exact {stds[10]:.4f}")

# %%
L_axis = np.unique(np.round(np.logspace(0, 3, 40)).astype(int))
fig, ax = plt.subplots(figsize=(7, 3.6))
for lam_i, c in zip([0.1, 0.3, 1.0, 3.0], component_colors(4), strict=True):
    ax.semilogx(L_axis, [ex.vp_output_std(lam_i, L) / np.sqrt(lam_i) for L in L_axis],
                "o-", ms=2.5, color=c, label=f"λ={lam_i:g}")
ax.axhline(1.0, color=PALETTE["black"], lw=0.8, ls=":")
ax.set(xlabel="number of steps L", ylabel=r"output std / $\sqrt{\lambda}$",
       title="VP sampler on N(0, λ): output std relative to the truth", ylim=(0, 1.15))
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. VE against VP at equal $L$, on the same data
#
# Now the $D=10$, $K=3$, $P=2$ mixture, the exact low-rank denoiser, and the same standard
# normal draws for both samplers (VE starts at $5g$, $T=5$; VP at $g$). Three numbers per run:
# * **residual**: the distance of each sample to its nearest subspace (0 is on the data);
# * **fractions**: the share of samples per subspace (should be $1/3$ each);
# * **energy**: $\mathbb E\|U_k^\top\hat x\|^2/P$ over the samples nearest to $U_k$ (should be 1;
#   below 1 means under-dispersed samples).
#
# The same sweep covers uniform and exponential grids (section 7).

# %%
VE5 = cu.VE(5.0)
n_s = 2000
g0 = np.random.default_rng(7).standard_normal((n_s, D))
L_sweep = [2, 5, 10, 20, 50, 100, 200, 500]


def quality(x):
    """Chapter 5's sample-quality numbers for samples x against the true subspaces."""
    return {"residual": subspace_distance(x, bases), "fractions": component_fractions(x, bases),
            "energy": direction_energy(x, bases)}


sweep = {}
for name, sched in [("VE", VE5), ("VP", VP)]:
    def den(x, t, sched=sched):
        return cu.attention_denoiser(bases, x, t, sched)

    for kind in ("uniform", "exponential"):
        for L in L_sweep:
            out = cu.sample(den, sched, float(sched.sigma(sched.T)) * g0, grid=sched.grid(L, kind=kind))
            sweep[name, kind, L] = quality(out)


def fmt_res(r):
    return f"{r:.1e}" if r > 1e-10 else "<1e-10"


for name in ("VE", "VP"):
    for L in (5, 20, 100, 500):
        st = sweep[name, "uniform", L]
        print(f"{name} uniform L={L:3d}: residual mean {fmt_res(st['residual'].mean()):>7s} "
              f"max {fmt_res(st['residual'].max()):>7s} | fractions {np.round(st['fractions'], 2)} "
              f"| energy {np.round(st['energy'], 2)}")

st = sweep["VP", "uniform", 500]
# fractions: SE sqrt((1/3)(2/3)/2000) = 0.011; energies: SE 1/sqrt(667) = 0.039 per subspace
assert st["residual"].max() < 1e-3
assert np.all(np.abs(st["fractions"] - 1 / 3) < 0.05)
assert np.all(np.abs(st["energy"] - 1) < 0.12)
assert 0.35 < sweep["VP", "uniform", 5]["energy"].mean() < 0.65  # under-dispersion at L=5
st_ve = sweep["VE", "uniform", 500]
assert st_ve["residual"].mean() < 1e-2 and np.all(np.abs(st_ve["energy"] - 1) < 0.12)

# %% [markdown] slideshow={"slide_type": "subslide"}
# At equal $L$, VP is closer to the data than VE on both counts here: a smaller residual and
# more energy. With $L=5$, VP keeps only about half of the energy (the same under-dispersion as
# in section 5); with $L=500$ both are close to 1.
#
# ## 7. Uniform against exponential grids: how many steps are enough?
#
# The exponential grid $t_\ell=C_1(e^{C_2\ell}-1)$ (rate $C_2L=4$ here, `Schedule.grid(L,
# "exponential")`) puts more of its steps at small $t$, where the samples snap onto the
# subspaces. Below: residual and energy against $L$ for the four combinations.

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
styles = {("VE", "uniform"): (PALETTE["orange"], "o-"), ("VE", "exponential"): (PALETTE["orange"], "s--"),
          ("VP", "uniform"): (PALETTE["blue"], "o-"), ("VP", "exponential"): (PALETTE["blue"], "s--")}
enough = {}
for (name, kind), (c, ls) in styles.items():
    res = np.array([sweep[name, kind, L]["residual"].mean() for L in L_sweep])
    en = np.array([sweep[name, kind, L]["energy"].mean() for L in L_sweep])
    ax1.loglog(L_sweep, np.maximum(res, 1e-12), ls, color=c, ms=4, label=f"{name}, {kind}")
    ax2.semilogx(L_sweep, en, ls, color=c, ms=4, label=f"{name}, {kind}")
    ok = [L for L, r, e in zip(L_sweep, res, en, strict=True) if r < 1e-3 and e > 0.95]
    enough[name, kind] = ok[0] if ok else None
ax1.set(xlabel="steps L", ylabel="mean distance to nearest subspace",
        title="residual (clipped at 1e-12)")
ax2.axhline(1.0, color=PALETTE["black"], lw=0.8, ls=":")
ax2.set(xlabel="steps L", ylabel=r"mean energy $E\|U_k^\top \hat x\|^2/P$", title="energy (1 is right)")
ax1.legend(fontsize=8)
ax2.legend(fontsize=8)
fig.tight_layout()
plt.show()
for key, L in enough.items():
    print(f"{key[0]} {key[1]:11s}: smallest L with mean residual < 1e-3 and energy > 0.95: {L}")

# %% [markdown]
# "Enough" depends on what is measured. The exponential grid reaches the subspaces with far
# fewer steps (its last steps are tiny), but for VP it leaves fewer steps at large $t$ and loses
# energy there, so it needs *more* steps than the uniform grid for the energy to recover; for VE
# with $T=5$ it wins on both. On this data about 100 uniform VP steps are enough by both
# measures, VE needs 200 (exponential) to 500 (uniform), and a handful of steps never is.
#
# ## 8. Why the book's VP figure uses `linspace(0.999, 0.001, 501)`
#
# The book's code for its VP figure avoids both end points. Tweedie's formula
# $\bar x^*=(x_t+\sigma_t^2\nabla\log p_t(x_t))/\alpha_t$ divides by $\alpha_t$, which is $0$ at
# $t=1$: a score-based sampler cannot be evaluated there. Our denoiser is the posterior mean
# itself, which is perfectly defined at $t=1$ (it is $\mathbb E[x]$), so our grids run from $1$ to
# $0$ exactly. Cutting the grid costs a little at both ends: the start $\mathcal N(0,I)$ is no
# longer the exact law of $x_{0.999}$ (a small KL), and the output is $\hat x_{0.001}$, which
# still carries noise of size $0.001$ off the subspaces.

# %%
try:
    cu.tweedie(np.zeros((1, D)), np.zeros((1, D)), 1.0, VP)
except ValueError as err:
    print("tweedie at t=1:", err)
print("posterior mean at t=1 is E[x] = 0:",
      np.abs(cu.posterior_mean(gmm, g0[:5], 1.0, VP)).max() == 0.0)

cov_data = sum(u @ u.T for u in bases) / K
lam_data = np.linalg.eigvalsh(cov_data)
t_top = 0.999
kl_top = gaussian_kl(np.zeros(D), VP.alpha(t_top) ** 2 * cov_data + t_top**2 * np.eye(D),
                     np.zeros(D), np.eye(D))
book_grid = np.linspace(0.001, 0.999, 501)


def den_vp(x, t):
    return cu.attention_denoiser(bases, x, t, VP)


out_full = cu.sample(den_vp, VP, g0, L=500)
out_book = cu.sample(den_vp, VP, g0, grid=book_grid)
res_full = subspace_distance(out_full, bases).mean()
res_book = subspace_distance(out_book, bases).mean()
# the last iterate is x_hat at t=0.001: its off-subspace part has size about 0.001 sqrt(D-P)
assert res_book > 100 * max(res_full, 1e-12) and abs(res_book / (0.001 * np.sqrt(D - P)) - 1) < 0.3
print(f"KL(Gaussian part of x_0.999 || N(0,I)) = {kl_top:.2e} nats")
print(f"mean residual: grid [0, 1] {fmt_res(res_full)} | book grid [0.001, 0.999] "
      f"{res_book:.1e} (0.001 sqrt(D-P) = {0.001 * np.sqrt(D - P):.1e})")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. One denoiser for all $t$
#
# So far the denoiser was exact. In practice it is learned, and the seed's training objective
# for all $t$ trains **one** model for every noise level:
#
# $$\min_\theta\ \mathbb E_{t,x,g}\Big[w_t\,\big\|\bar x_\theta(t,\alpha_t x+\sigma_t g)-x\big\|^2\Big].$$
#
# The source does not say how $t$ is drawn. The book draws it **uniformly** on $[0,T]$ and
# mentions weights such as $w_t=\alpha_t/\sigma_t$; we use $t\sim\mathrm{Unif}[0.02,1]$ and compare
# $w_t=1$ with $w_t=\alpha_t/\sigma_t$. Because the Bayes denoiser minimizes the loss at *every*
# $t$ separately, it also minimizes any average over $t$: one model loses nothing if the family
# contains it.
#
# Our family is the low-rank attention form of section 3 with **learnable** bases: the same
# $U_1,\dots,U_K$ at every $t$, with $t$ entering only through the known scalars $\alpha_t$,
# $\sigma_t$. We take Riemannian gradient steps on the Stiefel manifold (chapter 4) with a QR
# retraction, on minibatches of 256 clean samples from `x_data` with fresh $t$ and $g$.

# %%
runs = {}
for weighting in ("uniform", "alpha_over_sigma"):
    runs[weighting] = tr.train_lowrank_denoiser(x_data, K, P, VP, np.random.default_rng(12),
                                                steps=400, weighting=weighting)
for weighting, run in runs.items():
    _, ang0 = tr.match_subspaces(run["init"], bases)
    _, ang1 = tr.match_subspaces(run["bases"], bases)
    assert ang0.min() > 30 and ang1.max() < 3.0
    print(f"w_t = {weighting:16s}: largest principal angle to the true subspaces "
          f"{np.round(ang0, 1)} deg at the start -> {np.round(ang1, 1)} deg after 400 steps")

# The loss is not convex: six more random starts per weighting, and how many recover all three.
for weighting in ("uniform", "alpha_over_sigma"):
    recovered = [tr.match_subspaces(tr.train_lowrank_denoiser(
        x_data, K, P, VP, np.random.default_rng(seed), steps=400, weighting=weighting)["bases"],
        bases)[1].max() < 3.0 for seed in range(20, 26)]
    print(f"w_t = {weighting:16s}: random starts recovering all subspaces (< 3 deg): "
          f"{sum(recovered)} of {len(recovered)}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Both weightings recover the subspaces from this start. Over other random starts some runs stop
# in a local minimum (typically two bases sharing one subspace); on this data the
# $\alpha_t/\sigma_t$ weighting, which stresses small $t$ where the subspaces are sharp, failed
# less often. This is a measurement on one data set, not a general rule.
#
# The learning curves, and the loss of the learned denoiser at each fixed $t$ compared with the
# exact (Bayes) denoiser, on a fixed evaluation set. The learned curve sits on the Bayes curve at
# every $t$: one set of parameters serves every noise level.

# %%
rng = np.random.default_rng(12)
x_ev = x_data[:1000]
g_ev = rng.standard_normal(x_ev.shape)
t_ev = np.linspace(0.05, 1.0, 20)


def loss_at(us, t):
    y = VP.alpha(t) * x_ev + t * g_ev
    return np.mean(((cu.attention_denoiser(us, y, t, VP) - x_ev) ** 2).sum(1))


bayes = np.array([loss_at(bases, t) for t in t_ev])
learned = np.array([loss_at(runs["uniform"]["bases"], t) for t in t_ev])
start = np.array([loss_at(runs["uniform"]["init"], t) for t in t_ev])
assert np.abs(learned - bayes).max() < 0.05 * bayes.max()

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
k_ma = 20
for (weighting, run), c in zip(runs.items(), [PALETTE["blue"], PALETTE["vermillion"]], strict=True):
    ma = np.convolve(run["losses"], np.ones(k_ma) / k_ma, mode="valid")
    ax1.plot(np.arange(k_ma, len(run["losses"]) + 1), ma, color=c, label=f"$w_t$ = {weighting}")
ax1.set(xlabel="gradient step", ylabel=f"minibatch loss ({k_ma}-step average)",
        title="training one denoiser for all t")
ax1.legend()
ax2.plot(t_ev, start, ":", color=PALETTE["black"], label="random start")
ax2.plot(t_ev, learned, "o-", ms=3, color=PALETTE["blue"], label="learned ($w_t=1$)")
ax2.plot(t_ev, bayes, "--", color=PALETTE["orange"], label="exact (Bayes)")
ax2.set(xlabel="t", ylabel=r"$E\|\bar x(t,x_t)-x\|^2$", title="loss at each fixed t")
ax2.legend()
fig.tight_layout()
plt.show()
print(f"largest gap learned - Bayes over t: {np.abs(learned - bayes).max():.3f} "
      f"(Bayes loss ranges {bayes.min():.3f} to {bayes.max():.3f})")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Sampling with the learned denoiser (VP, $L=200$, the same starting noise as section 6) gives
# samples that sit on the true subspaces, up to the learned bases' small angle error.

# %%
learned_bases = runs["uniform"]["bases"]
out_learned = cu.sample(lambda x, t: cu.attention_denoiser(learned_bases, x, t, VP), VP, g0, L=200)
st_l = quality(out_learned)
# off-subspace error of a sample of norm ~sqrt(2) with bases ~1 degree off: ~ 0.02-0.05
assert st_l["residual"].mean() < 0.1 and np.all(np.abs(st_l["fractions"] - 1 / 3) < 0.05)
print(f"learned denoiser, VP L=200: mean residual to the TRUE subspaces {st_l['residual'].mean():.3f}, "
      f"fractions {np.round(st_l['fractions'], 2)}, energy {np.round(st_l['energy'], 2)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 10. How denoiser errors become sampling errors
#
# The book quotes a convergence theorem (Li et al. 2024, simplified) for the VP sampler on an
# exponential grid:
# $\mathrm{TV}(x,\hat x)=\tilde O\big(\tfrac DL+\sqrt{\tfrac1L\sum_\ell w_\ell\,
# \mathbb E\|\bar x^*(t_\ell,x_{t_\ell})-\bar x(t_\ell,x_{t_\ell})\|^2}\big)$: a discretization term
# that falls like $1/L$ and a learning term. What weight $w_\ell$? The theorem is about **score**
# errors, and by Tweedie the score is $(\alpha_t\bar x-x_t)/\sigma_t^2$, so for any two denoisers
#
# $$\text{score error}=\frac{\alpha_t}{\sigma_t^2}\times\text{denoiser error}
#   \quad\Longrightarrow\quad
#   \|\text{score error}\|^2=\frac{\alpha_t^2}{\sigma_t^4}\,\|\text{denoiser error}\|^2 .$$
#
# So $w_\ell=\alpha^2/\sigma^4$ (the book's newer text), not $\alpha/\sigma^2$ (its Aug-2025
# text). We check the identity point by point with the random-start denoiser against the exact one.

# %%
rng = np.random.default_rng(13)
bad = runs["uniform"]["init"]
for t in (0.1, 0.5, 0.9):
    y = VP.alpha(t) * x_data[:300] + t * rng.standard_normal((300, D))
    d_exact, d_bad = cu.posterior_mean(gmm, y, t, VP), cu.attention_denoiser(bad, y, t, VP)
    s_err = cu.score_from_denoiser(y, d_exact, t, VP) - cu.score_from_denoiser(y, d_bad, t, VP)
    ratio = np.linalg.norm(s_err, axis=1) / np.linalg.norm(d_exact - d_bad, axis=1)
    a, s = VP.alpha(t), VP.sigma(t)
    assert np.abs(ratio / (a / s**2) - 1).max() < 1e-9
    print(f"t={t}: |score error| / |denoiser error| = {ratio.mean():.4f} = alpha/sigma^2 "
          f"({a / s**2:.4f}); squared weight alpha^2/sigma^4 = {a**2 / s**4:.2f}, "
          f"not alpha/sigma^2")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 11. Interactive: VE or VP, how many steps, how many components
#
# A 2-D mixture of $K$ lines (each $\mathcal N(0,u_ku_k^\top)$), the exact denoiser, 500 starting
# points. Left: the samples, coloured by their nearest line. Right: the sampler's mean squared norm
# along the path against the exact $\mathbb E\|x_t\|^2=\alpha_t^2+2\sigma_t^2$ (VE explodes to
# $1+2T^2$, VP stays near 1 to 2). Toggle the schedule and the grid; move $L$ (up to 500, one move
# well under 100 ms) and $K$. In two dimensions the VE start is nearly exact (the summary prints its
# KL), so the differences come from the steps, not the start.

# %% tags=["nbval-ignore-output"]
widget = wvp.build_vp_sampler()
widget

# %% [markdown]
# **Static version** (no kernel needed): VE and VP with $K=3$, uniform grid, at $L=5, 20, 200$.

# %%
cases = [(sch, L) for sch in ("VE", "VP") for L in (5, 20, 200)]
fig, axes = plt.subplots(2, 3, figsize=(10, 6.6), sharex=True, sharey=True)
cols = component_colors(3)
for ax, (sch, L) in zip(axes.ravel(), cases, strict=True):
    dat = wvp.vp_sampler_view(sch, "uniform", L, 3)
    for k, u in enumerate(dat["bases"]):
        ax.plot([-4 * u[0, 0], 4 * u[0, 0]], [-4 * u[1, 0], 4 * u[1, 0]], color=cols[k], lw=1, alpha=0.6)
    ax.scatter(dat["samples"][:, 0], dat["samples"][:, 1], s=5, alpha=0.6,
               c=[cols[i] for i in dat["labels"]])
    ax.set(xlim=(-3.5, 3.5), ylim=(-3.5, 3.5), aspect="equal",
           title=f"{sch}, L={L}: energy {np.nanmean(dat['energy']):.2f}")
    print(wvp.summary(dat))
for ax in axes[1]:
    ax.set_xlabel("$x_1$")
for ax in axes[:, 0]:
    ax.set_ylabel("$x_2$")
fig.suptitle("samples of the DDIM sampler, K=3 lines (colour: nearest line)")
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 12. Where the source errs
#
# > **Erratum 3: "$\dot x_t\triangleq\alpha_tx+\sigma_tg$".** The dot reads as a time derivative.
# > The definition is $x_t\doteq\alpha_tx+\sigma_tg$ ("is defined as"), with
# > $g\sim\mathcal N(0,I)$ independent of $x$; section 2 checks its consequences.
#
# > **Erratum 4: general Tweedie.** The source's eq. (6) evaluates the score at $x$; it must be
# > $\nabla_{x_t}\log p_t(x_t)$. The formula also divides by $\alpha_t$, which is 0 at the VP end
# > point: section 8 shows `tweedie` refusing $t=1$, why the book's grid stops at $0.999$, and that
# > the posterior-mean form needs no cut-off.
#
# > **Erratum 15: "$x_T/T\to g$", so $x_T\approx\mathcal N(0,T^2I)$.** The limit needs
# > $T\to\infty$, and at any fixed $T$ the error grows with the dimension: section 1 measures
# > KL $=\frac12\sum_i(\lambda_i/T^2-\log(1+\lambda_i/T^2))$, e.g. 5.8 nats at $D=100$, $T=10$ for
# > $\lambda_i=i$. The VP start has KL 0.
#
# > **Erratum 16: the VP/DDIM update.** The seed's VP schedule and DDIM update are right, but the source
# > does not name the DDIM sampler, gives no time grid (the book uses $t_\ell=\ell/L$) and no
# > start ($\hat x_1\sim\mathcal N(0,I)$). It also writes the VE mismatch with a broken subscript
# > ("$x{t\ell}$"): it means $x_{t_L}$. Section 4 states the grid and start and checks the step
# > against `ddim_step` and the re-noising form.
#
# > **Erratum 17: how is $t$ drawn in the training objective for all $t$?** The source does
# > not say. The book draws $t$ uniformly and allows weights $w_t$ (e.g. $\alpha_t/\sigma_t$).
# > Section 9 uses
# > $t\sim\mathrm{Unif}[0.02,1]$ and both weightings; both recover the subspaces.
#
# > **Erratum 18: missing theorems.** The source states neither of the book's entropy theorems
# > (diffusion raises $h(x_t)$; one denoising step lowers it) nor the sampler's TV bound, nor the
# > two-point example behind "one big step is not enough". Chapter 1 checks the entropy facts for
# > Gaussians, chapter 2 the two-point example, and section 10 the weight in the TV bound.
#
# > **Book erratum B5: the weight in the TV bound.** The Aug-2025 text weights the denoiser error
# > by $\alpha/\sigma^2$; since score error $=(\alpha/\sigma^2)\times$ denoiser error (checked to
# > $10^{-9}$ in section 10), the squared error carries $\alpha^2/\sigma^4$, as the newer text
# > writes. At $t=0.1$ the two differ by a factor of about 100.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 13. Exercises
#
# **Exercise 1 (compute, then prove).** Let $\mathrm{Cov}(x)=\mathrm{diag}(2,0.5)$. Under VP, what
# is $\mathrm{Cov}(x_t)$ at $t=0.6$? Then prove: if $\mathrm{Cov}(x)=I$ then
# $\mathrm{Cov}(x_t)=I$ for every $t\in[0,1]$.

# %%
my_cov = None  # your 2 x 2 answer here, e.g. np.array([[..., ...], [..., ...]])
ex.check_vp_covariance(my_cov)

# %% [markdown]
# <details><summary>Solution</summary>
#
# Since $g$ is independent of $x$, $\mathrm{Cov}(\alpha_tx+\sigma_tg)=\alpha_t^2\mathrm{Cov}(x)
# +\sigma_t^2I=(1-t^2)\,\mathrm{Cov}(x)+t^2I$. At $t=0.6$: $0.64\,\mathrm{diag}(2,0.5)+0.36\,I
# =\mathrm{diag}(1.64,0.68)$. If $\mathrm{Cov}(x)=I$ this is $(1-t^2+t^2)I=I$.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
ex.check_vp_covariance((1 - 0.6**2) * np.diag([2.0, 0.5]) + 0.6**2 * np.eye(2))

# %% [markdown]
# **Exercise 2 (compute, then prove).** For VP, give the two DDIM coefficients (on $\hat x_t$, on
# $\bar x$) for the step $t=0.8\to s=0.6$. Then prove that for VP both are positive for every
# $0<s<t\le1$.

# %%
my_coefficients = None  # your answer here: (coefficient on x_hat_t, coefficient on xbar)
ex.check_ddim_coefficients(my_coefficients)

# %% [markdown]
# <details><summary>Solution</summary>
#
# $\sigma_s/\sigma_t=0.6/0.8=0.75$ and $\alpha_s-0.75\,\alpha_t=0.8-0.75\cdot0.6=0.35$.
# In general $\sigma_s/\sigma_t=s/t>0$, and $\alpha_s-\frac st\alpha_t>0\iff\frac{\alpha_s}s>
# \frac{\alpha_t}t$, i.e. $\sqrt{1/s^2-1}>\sqrt{1/t^2-1}$, true because $1/t^2$ decreases in $t$.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
ex.check_ddim_coefficients((0.6 / 0.8, np.sqrt(1 - 0.36) - 0.75 * np.sqrt(1 - 0.64)))

# %% [markdown]
# **Exercise 3 (compute).** 1-D data $x\sim\mathcal N(0,0.3)$, VP sampler from $\hat x_1\sim
# \mathcal N(0,1)$. (a) What is the output for $L=1$? (b) What is the output std for $L=2$
# (grid $0,\tfrac12,1$)?

# %%
my_std_L2 = None  # your answer to (b) here
ex.check_vp_output_std(my_std_L2, lam=0.3, L=2)

# %% [markdown]
# <details><summary>Solution</summary>
#
# (a) One step from $t=1$ to $0$: the iterate weight is $\sigma_0/\sigma_1=0$ and the denoiser
# weight is $\alpha_0=1$, times $\bar x^*(1,\cdot)=\mathbb E[x]=0$. Every output is $0$: one big
# step lands on the mean.
# (b) From $1$ to $\tfrac12$: $\hat x_{1/2}=\tfrac12\hat x_1$ (the denoiser term is again 0).
# From $\tfrac12$ to $0$: $\hat x_0=\bar x^*(\tfrac12,\hat x_{1/2})=
# \frac{\alpha\lambda}{\alpha^2\lambda+\sigma^2}\hat x_{1/2}$ with $\alpha^2=\tfrac34$,
# $\sigma^2=\tfrac14$: the std is $\tfrac12\cdot\frac{0.866\cdot0.3}{0.475}\approx0.2735$,
# half of the true $\sqrt{0.3}\approx0.548$.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
a_half = np.sqrt(0.75)
ex.check_vp_output_std(0.5 * a_half * 0.3 / (0.75 * 0.3 + 0.25), lam=0.3, L=2)

# %% [markdown]
# **Exercise 4 (compute).** Data covariance with eigenvalues $1,2,3,4$ and $T=2$: what is
# $\mathrm{KL}(\mathcal N(0,\Sigma+T^2I)\,\|\,\mathcal N(0,T^2I))$ in nats? How does it change if
# you double every eigenvalue and $T$ together?

# %%
my_kl = None  # your answer here (nats)
ex.check_ve_start_kl(my_kl, eigenvalues=(1.0, 2.0, 3.0, 4.0), T=2.0)

# %% [markdown]
# <details><summary>Solution</summary>
#
# Both covariances are diagonal in the same basis, so
# $\mathrm{KL}=\frac12\sum_i\big(r_i-\log(1+r_i)\big)$ with $r_i=\lambda_i/4=0.25,0.5,0.75,1$:
# about $0.4078$ nats. The KL depends only on the ratios $\lambda_i/T^2$, so doubling both the
# eigenvalues and $T$ *lowers* it (each $r_i$ halves); doubling the eigenvalues and $T^2$ leaves
# it unchanged.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
r_sol = np.array([1.0, 2.0, 3.0, 4.0]) / 4.0
ex.check_ve_start_kl(0.5 * np.sum(r_sol - np.log1p(r_sol)))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * The VE start $\mathcal N(0,T^2I)$ misses the law of $x_T$ by a KL that **adds up over
#   dimensions** ($\frac12\sum_i(r_i-\log(1+r_i))$, $r_i=\lambda_i/T^2$); the $T$ needed to keep it
#   small grows with $D$.
# * VP ($\alpha_t=\sqrt{1-t^2}$, $\sigma_t=t$) has $\alpha_t^2+\sigma_t^2=1$, ends **exactly** at
#   $\mathcal N(0,I)$, preserves an identity covariance, and its denoiser at $t=1$ is $\mathbb E[x]$.
# * The mixture denoiser keeps its attention form; for VP the low-rank weights are
#   $\mathrm{softmax}_k((1-t^2)\|U_k^\top x_t\|^2/(2t^2))$ and the components $\alpha_tU_kU_k^\top x_t$.
# * DDIM = predict $\bar x$, re-noise with the implied $\hat g$; both coefficients are positive
#   because $\alpha_t/\sigma_t$ decreases.
# * With finite $L$ the sampler **under-disperses** (1-D: $0.480$ at $L=10$ vs $0.5477$);
#   VP beat VE at equal $L$ on our data, and how many steps suffice depends on the grid and on
#   the metric.
# * One denoiser trained on the loss averaged over uniform $t$ recovers the data subspaces
#   (principal angles $\approx1^\circ$) and matches the Bayes loss at every $t$; the loss is not
#   convex, so random starts can fail.
# * Score errors are denoiser errors times $\alpha_t/\sigma_t^2$, so the TV bound weighs squared
#   denoiser errors by $\alpha^2/\sigma^4$.
#
# **Next.** This is the last chapter on sampling. The book continues (its section 3.3) with lossy
# coding: the coding rate $R_\epsilon$ of chapter 1 is the entropy VE noise adds at
# $t=\epsilon/\sqrt D$, which links "compression" back to "denoising".
