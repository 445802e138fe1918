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
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # Chapter 3 — The Bayes-optimal denoiser of a Gaussian mixture
#
# Chapter 2 defined the best denoiser, $\bar x^*(t,x_t)=\mathbb E[x\mid x_t]$, but computed it
# only in small examples. Gaussian mixtures are a useful family for which it has a **closed form**.
# The formula is worth knowing for three reasons. It is exact, so it is the yardstick for every
# learned denoiser in later chapters. It has a clear geometry: with one component it is an affine
# map that contracts each eigendirection of the covariance by its own factor. And for mixtures of
# low-dimensional subspaces it becomes a **softmax-weighted sum of projections**, the formula the
# source compares with attention in transformers. We derive it, check it numerically, and say
# precisely where the comparison with attention holds and where it stops.
#
# **Learning objectives.** After this chapter you can
# 1. derive the mixture denoiser (eq. 8) by conditioning on the component label and averaging,
#    and check it by Monte Carlo;
# 2. read the one-component denoiser as "subtract the mean, contract each eigendirection by
#    $\lambda_i/(\lambda_i+t^2)$, add the mean back", and compute its contraction rate;
# 3. explain why applying one denoiser over and over converges to a point, how this differs from
#    power iteration, and why the sampler of chapter 5 behaves differently;
# 4. derive the attention form of the low-rank mixture denoiser (Sherman–Morrison–Woodbury,
#    determinants, softmax), the correction needed for unequal weights and ranks, and its
#    limits as $t\to0$ and $t\to\infty$;
# 5. compare it honestly with transformer attention.
#
# **Prerequisites.** Chapter 2 (the noise model $x_t=x+tg$, the denoiser as a conditional mean,
# Tweedie's formula). Linear algebra: eigendecompositions and the Gaussian conditioning formula.
#
# **Source equations covered.** Eq. (7) (the mixture), eq. (8) (its denoiser), eq. (9) (one
# component, eigen form), eq. (10) (the joint Gaussian of $(x,x_t)$ given the label) and eq. (13)
# (zero means and low-rank covariances $U_kU_k^\top$, the "attention" form). Eq. (14) appears as
# the special case $K=1$ and is the subject of chapter 4.

# %%
import matplotlib.pyplot as plt
import numpy as np

import course_utils as cu
from course_utils import linear as lin
from course_utils.exercises import gmm as ex
from course_utils.plotting import PALETTE, component_colors, use_style
from course_utils.sampler_analysis import ve_factor_product
from course_utils.widgets import gmm as wg

use_style()
print("course_utils", cu.__version__)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The model and its noisy version
#
# The data follow a Gaussian mixture (source eq. 7):
#
# $$x\sim\sum_{k=1}^K\pi_k\,\mathcal N(\mu_k,\Sigma_k),\qquad \pi_k\ge0,\ \sum_k\pi_k=1.$$
#
# Write $y\in\{1,\dots,K\}$ for the hidden **label**, with $\Pr[y=k]=\pi_k$ and
# $x\mid y=k\sim\mathcal N(\mu_k,\Sigma_k)$. The noisy observation is $x_t=x+tg$ with
# $g\sim\mathcal N(0,I)$ independent of $(x,y)$. Given the label, $x_t$ is a sum of two
# independent Gaussians, so $x_t\mid y=k\sim\mathcal N(\mu_k,\Sigma_k+t^2I)$, and unconditionally
# $x_t\sim\sum_k\pi_k\mathcal N(\mu_k,\Sigma_k+t^2I)$: noise widens every component by $t^2$ in
# every direction.
#
# Our running 2-D example is the three-component mixture of the source's figures (source-notes
# F2): means $(-3,-3),(3,3),(0,3)$, equal weights.

# %%
F = [np.array([[2.0, 0.5], [0.5, 0.5]]), np.array([[0.5, 0.0], [0.0, 2.0]]),
     np.array([[1.0, -0.8], [-0.8, 1.0]])]
means2 = np.array([[-3.0, -3.0], [3.0, 3.0], [0.0, 3.0]])
covs2 = np.stack([f @ f.T for f in F])
pis2 = np.full(3, 1 / 3)
gmm2 = cu.GaussianMixture(pis2, means2, covs2)
print(gmm2, "| covariances:", [np.round(c, 2).tolist() for c in covs2])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Deriving the denoiser by conditioning on the label
#
# **Step 1: the law given the label.** Given $y$, the pair $(x,x_t)$ is jointly Gaussian,
# because it is a linear image of the Gaussian vector $(x,g)$. Its means are $\mu_y$ and
# $\mu_y$. Its covariances are $\mathrm{Cov}(x)=\Sigma_y$,
# $\mathrm{Cov}(x,x_t)=\mathrm{Cov}(x,x+tg)=\Sigma_y$ and $\mathrm{Cov}(x_t)=\Sigma_y+t^2I$:
#
# $$\begin{bmatrix}x\\x_t\end{bmatrix}\Big|\,y\ \sim\ \mathcal N\!\left(\begin{bmatrix}\mu_y\\\mu_y\end{bmatrix},
# \begin{bmatrix}\Sigma_y&\Sigma_y\\\Sigma_y&\Sigma_y+t^2I\end{bmatrix}\right).\tag{10}$$
#
# This is a statement *conditional on the label*: a step in the derivation, not a model of its
# own (see the box on erratum 8). The Gaussian conditioning formula
# $\mathbb E[a\mid b]=\mu_a+\Sigma_{ab}\Sigma_{bb}^{-1}(b-\mu_b)$ then gives
#
# $$\mathbb E[x\mid x_t,y]=\mu_y+\Sigma_y(\Sigma_y+t^2I)^{-1}(x_t-\mu_y).$$
#
# **Step 2: the label given $x_t$.** By Bayes' rule,
# $\Pr[y=k\mid x_t]=\pi_k\varphi(x_t;\mu_k,\Sigma_k+t^2I)\big/\sum_i\pi_i\varphi(x_t;\mu_i,\Sigma_i+t^2I)$,
# where $\varphi$ is the Gaussian density.
#
# **Step 3: average over the label** (law of iterated expectation,
# $\mathbb E[x\mid x_t]=\mathbb E\big[\mathbb E[x\mid x_t,y]\mid x_t\big]$):
#
# $$\bar x^*(t,x_t)=\sum_{k=1}^K\underbrace{\frac{\pi_k\varphi(x_t;\mu_k,\Sigma_k+t^2I)}{\sum_i\pi_i\varphi(x_t;\mu_i,\Sigma_i+t^2I)}}_{w_k(x_t)}
# \big(\mu_k+\Sigma_k(\Sigma_k+t^2I)^{-1}(x_t-\mu_k)\big).\tag{8}$$
#
# So the denoiser is a weighted average of $K$ linear (affine) denoisers, one per component,
# weighted by how plausible each component is for the observed $x_t$.
#
# **Check of eq. (10).** We draw $n$ pairs $(x,x_t)$ from component 1 and compare their
# empirical $4\times4$ covariance with the block matrix. For Gaussian data the standard error of
# an empirical covariance entry $C_{ij}$ is $\sqrt{(C_{ii}C_{jj}+C_{ij}^2)/n}$; we allow 5 of them.

# %%
rng = np.random.default_rng(0)
t, n = 1.0, 200_000
x = means2[0] + rng.standard_normal((n, 2)) @ F[0].T  # x | y = 1 ~ N(mu_1, F F^T)
xt = x + t * rng.standard_normal((n, 2))
emp = np.cov(np.hstack([x, xt]).T)
S = covs2[0]
block = np.block([[S, S], [S, S + t**2 * np.eye(2)]])
se = np.sqrt((np.outer(np.diag(block), np.diag(block)) + block**2) / n)
z = np.abs(emp - block) / se
assert z.max() < 5, z.max()
print("eq. (10) block:\n", np.round(block, 2))
print(f"largest |empirical - block| = {np.abs(emp - block).max():.3f} "
      f"(below 5 standard errors: {z.max() < 5})")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Check of eq. (8), two ways.** First against an independent, deliberately plain
# implementation (dense solves and log-determinants, one component at a time); the two must agree
# to rounding. Then against Monte Carlo, with no formula at all. For a fixed query point $\xi$,
# $\mathbb E[x\mid x_t=\xi]=\mathbb E_x[x\,\varphi(\xi;x,t^2I)]/\mathbb E_x[\varphi(\xi;x,t^2I)]$
# (Bayes' rule with $x$ drawn from the data). We estimate both expectations from $n$ data samples
# (self-normalised importance sampling). Its standard error is
# $\sqrt{\sum_i w_i^2(x_i-\hat m)^2}\big/\sum_i w_i$ per coordinate, and we allow 4 of them.

# %%
def dense_eq8(weights, means, covs, x_t, t):
    """Source eq. 8 written out plainly (dense solves, slogdet), for checking only."""
    d = x_t.shape[1]
    logw, comps = [], []
    for pi, mu, cov in zip(weights, means, covs, strict=True):
        c = cov + t**2 * np.eye(d)
        sol = np.linalg.solve(c, (x_t - mu).T).T  # (Sigma + t^2 I)^{-1} (x_t - mu)
        logw.append(np.log(pi) - 0.5 * (np.linalg.slogdet(c)[1] + ((x_t - mu) * sol).sum(1)))
        comps.append(mu + sol @ cov)  # cov symmetric
    logw = np.array(logw).T
    w = np.exp(logw - logw.max(1, keepdims=True))
    w /= w.sum(1, keepdims=True)
    return np.einsum("nk,knd->nd", w, np.array(comps)), w


xi = np.array([[0.0, 0.0], [2.0, 3.5], [-1.0, 2.0], [-4.0, -1.0]])
t = 1.0
xbar = cu.posterior_mean(gmm2, xi, t)
ref, w_ref = dense_eq8(pis2, means2, covs2, xi, t)
assert np.abs(xbar - ref).max() < 1e-12
assert np.abs(cu.responsibilities(gmm2, xi, t) - w_ref).max() < 1e-12

rng = np.random.default_rng(1)
xs = gmm2.sample(400_000, rng)
for q, m in zip(xi, xbar, strict=True):
    lw = -((xs - q) ** 2).sum(1) / (2 * t**2)
    w = np.exp(lw - lw.max())
    est = (w[:, None] * xs).sum(0) / w.sum()
    se = np.sqrt((w[:, None] ** 2 * (xs - est) ** 2).sum(0)) / w.sum()
    assert np.all(np.abs(est - m) < 4 * se), (q, est, m, se)
    print(f"xi = {q}: formula {np.round(m, 3)}  Monte Carlo {np.round(est, 3)}  "
          f"(within 4 SE: True)")
print("library == plain eq. (8) to 1e-12: True")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The figure shows the three ingredients for a few noisy points at $t=1.5$. The coloured dots
# are the per-component estimates $\mathbb E[x\mid x_t,y=k]$, drawn larger when the weight
# $w_k(x_t)$ is larger. The black star is their weighted average $\bar x^*(t,x_t)$. Points near one
# component are pulled by that component alone. Points between components land in between, which
# can be off the data.

# %%
t = 1.5
rng = np.random.default_rng(2)
pts = np.array([[-5.0, -1.0], [1.5, -2.0], [4.5, 1.0], [-2.5, 4.5], [1.0, 5.5], [0.5, 1.0]])
w = cu.responsibilities(gmm2, pts, t)
per_comp = np.stack([m + (pts - m) @ lin.gaussian_denoiser_matrix(c, t).T
                     for m, c in zip(means2, covs2, strict=True)], 1)  # (n, K, 2)
xbar = cu.posterior_mean(gmm2, pts, t)
assert np.allclose(np.einsum("nk,nkd->nd", w, per_comp), xbar, atol=1e-12)  # eq. 8 = average
cols = component_colors(3)
data = gmm2.sample(600, rng, return_labels=True)
fig, ax = plt.subplots(figsize=(6.4, 5.2))
ax.scatter(data[0][:, 0], data[0][:, 1], s=5, c=[cols[k] for k in data[1]], alpha=0.25)
for i, p in enumerate(pts):
    ax.annotate("", xbar[i], p, arrowprops=dict(arrowstyle="->", color="0.3", lw=1.2))
    for k in range(3):
        ax.plot(*per_comp[i, k], "o", color=cols[k], ms=3 + 12 * w[i, k], mec="k", mew=0.5)
    ax.plot(*p, "s", color=PALETTE["black"], mfc="white", ms=6)
ax.plot(*xbar.T, "*", color="k", ms=12, label=r"$\bar x^*(t,x_t)$")
ax.plot([], [], "s", color="k", mfc="white", label="$x_t$")
for k in range(3):
    ax.plot([], [], "o", color=cols[k], label=fr"$\mathbb{{E}}[x|x_t,y={k + 1}]$")
ax.set_aspect("equal")
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
ax.set_title("Eq. (8): a weighted average of K linear denoisers (t = 1.5)")
ax.legend(loc="lower right", fontsize=8)
plt.show()
print("weights w_k(x_t) per point:", np.round(w, 2).tolist())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. One component: translate, contract, translate back
#
# With $K=1$ the weights are all 1 and eq. (8) is affine. Write $\Sigma=V\Lambda V^\top$ with
# orthonormal eigenvectors $V$ and eigenvalues $\lambda_1\ge\dots\ge\lambda_D\ge0$. Then
# $\Sigma(\Sigma+t^2I)^{-1}=V\Lambda V^\top\,V(\Lambda+t^2I)^{-1}V^\top$, so
#
# $$\bar x^*(t,x_t)=\mu+V\,\mathrm{diag}\Big(\frac{\lambda_1}{\lambda_1+t^2},\dots,\frac{\lambda_D}{\lambda_D+t^2}\Big)V^\top(x_t-\mu).\tag{9}$$
#
# The middle factor is a **diagonal matrix** (erratum 5). In words:
# 1. translate by $-\mu$ (subtract the mean; erratum 6);
# 2. in the eigenbasis, multiply coordinate $i$ by $f_i=\lambda_i/(\lambda_i+t^2)\in[0,1)$, the
#    share of signal in the variance of that coordinate. Directions with $\lambda_i=0$ get
#    $f_i=0$ and are removed **exactly**; directions with $\lambda_i\gg t^2$ are almost kept;
# 3. translate back by $+\mu$.
#
# Since every $f_i<1$, the map is a **contraction** towards the mean:
# $\|\bar x^*(t,x_t)-\mu\|\le f_{\max}\|x_t-\mu\|\le\|x_t-\mu\|$ with $f_{\max}=\max_i f_i$.
# (The source alludes to this inequality without stating it.)

# %%
rng = np.random.default_rng(3)
Q = np.linalg.qr(rng.standard_normal((3, 3)))[0]
lam3 = np.array([3.0, 1.0, 0.0])  # rank 2 in D = 3
Sigma3 = (Q * lam3) @ Q.T
mu3 = np.array([1.0, -2.0, 0.5])
t = 0.8
f = lin.eigen_contraction_factors(lam3, t)
A_eig = (Q * f) @ Q.T  # V diag(f) V^T
A_inv = Sigma3 @ np.linalg.inv(Sigma3 + t**2 * np.eye(3))  # Sigma (Sigma + t^2 I)^{-1}
gmm1 = cu.GaussianMixture([1.0], mu3[None], Sigma3[None])
xt3 = mu3 + 3 * rng.standard_normal((1000, 3))
assert np.abs(A_eig - A_inv).max() < 1e-12
assert np.abs(cu.posterior_mean(gmm1, xt3, t) - (mu3 + (xt3 - mu3) @ A_eig.T)).max() < 1e-12
out = lin.gaussian_denoiser(xt3, mu3, Sigma3, t)
along_null = np.abs((out - mu3) @ Q[:, 2]).max()  # component along the lambda = 0 direction
ratio = np.linalg.norm(out - mu3, axis=1) / np.linalg.norm(xt3 - mu3, axis=1)
assert along_null < 1e-12 and ratio.max() <= f.max() * (1 + 1e-12)
print("factors lambda/(lambda+t^2):", np.round(f, 4).tolist())
print("eq. (9) eigen form == Sigma (Sigma+t^2 I)^-1 == library K=1 denoiser: True")
print(f"largest output component along the lambda=0 direction: below 1e-12: {along_null < 1e-12}")
print(f"contraction: max ||xbar-mu||/||x_t-mu|| = {ratio.max():.4f} <= f_max = {f.max():.4f}")
# exactly zero when the null direction is a coordinate axis (eigh returns e_3 exactly)
assert np.all(lin.gaussian_denoiser(xt3, mu3, np.diag(lam3), t)[:, 2] == mu3[2])

# %% [markdown] slideshow={"slide_type": "subslide"}
# The three steps on a 2-D Gaussian ($\lambda=(4,\,0.25)$, $t=1$, so $f=(0.8,\,0.2)$). Noisy points
# $x_t\sim\mathcal N(\mu,\Sigma+t^2I)$ are centred, shrunk much more across the long axis than
# along it, and moved back. The denoised cloud is *narrower* than the data (dashed ellipse):
# a conditional mean averages the uncertainty away.

# %%
th = np.deg2rad(30)
V2 = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
lam2 = np.array([4.0, 0.25])
Sig2, mu2 = (V2 * lam2) @ V2.T, np.array([2.0, 1.0])
t = 1.0
f2 = lin.eigen_contraction_factors(lam2, t)
rng = np.random.default_rng(4)
xt2 = mu2 + rng.standard_normal((300, 2)) @ np.linalg.cholesky(Sig2 + t**2 * np.eye(2)).T
centred = xt2 - mu2
shrunk = centred @ (V2 * f2) @ V2.T
final = mu2 + shrunk
assert np.allclose(final, cu.posterior_mean(cu.GaussianMixture([1.0], mu2[None], Sig2[None]),
                                            xt2, t), atol=1e-12)
ang = np.linspace(0, 2 * np.pi, 200)
ell = (V2 * (2 * np.sqrt(lam2))) @ np.array([np.cos(ang), np.sin(ang)])  # 2-sd data ellipse
fig, axes = plt.subplots(1, 3, figsize=(11.5, 3.5), sharex=True, sharey=True, layout="constrained")
panels = [(centred, np.zeros(2), PALETTE["sky"], r"1. translate by $-\mu$: $x_t-\mu$"),
          (shrunk, np.zeros(2), PALETTE["blue"],
           r"2. contract: $V\,\mathrm{diag}(f)\,V^\top(x_t-\mu)$"),
          (final, mu2, PALETTE["green"], r"3. translate back: $\bar x^*=\mu+\dots$")]
for ax, (pts_, c, col, title) in zip(axes, panels, strict=True):
    if ax is axes[2]:
        ax.scatter(*xt2.T, s=5, color="0.75", label="$x_t$ (noisy)")
    ax.scatter(*pts_.T, s=6, color=col, alpha=0.7)
    ax.plot(*(c[:, None] + ell), "--", color=PALETTE["black"], lw=1,
            label="data: 2-sd ellipse of $\\Sigma$")
    for i in range(2):
        tip = c + 2 * np.sqrt(lam2[i]) * V2[:, i]
        ax.annotate("", tip, c, arrowprops=dict(arrowstyle="->", color=PALETTE["vermillion"], lw=1.5))
        ax.annotate(f"$v_{i + 1}$: f={f2[i]:.1f}", tip, textcoords="offset points",
                    xytext=(4, 4 if i == 0 else -14), fontsize=9, color=PALETTE["vermillion"],
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8))
    ax.set_title(title, fontsize=10)
    ax.set_aspect("equal")
    ax.set_xlabel("coordinate 1")
axes[2].legend(loc="lower right", fontsize=8)
axes[0].set_ylabel("coordinate 2")
fig.suptitle("The one-component denoiser, eq. (9) ($\\lambda = 4, 0.25$; $t = 1$)")
plt.show()
sd_in, sd_out = np.std(centred @ V2, axis=0), np.std(shrunk @ V2, axis=0)
print("std along (v1, v2): before", np.round(sd_in, 2).tolist(), "after", np.round(sd_out, 2).tolist(),
      "| ratio", np.round(sd_out / sd_in, 3).tolist(), "= f", np.round(f2, 3).tolist())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Apply it again and again: a point, not a subspace
#
# What happens if we feed the output back in, $x^{(n+1)}=\bar x^*(t,x^{(n)})$ at a **fixed** $t$?
# In the eigenbasis, coordinate $i$ of $x^{(n)}-\mu$ is multiplied by $f_i^n$. All factors are
# below 1, so the iterates converge to the **mean** $\mu$, a single point, geometrically at
# rate $f_{\max}=\lambda_1/(\lambda_1+t^2)$:
# $\|x^{(n)}-\mu\|\le f_{\max}^n\|x^{(0)}-\mu\|$, and the ratio of successive errors tends to
# $f_{\max}$.
#
# The source contrasts this with **power iteration**, $v\leftarrow\Sigma v/\|\Sigma v\|$. It
# converges to the top eigenvector $\pm v_1$, i.e. to a **subspace** (a line), at rate
# $\lambda_2/\lambda_1$. The difference is only the normalisation. The denoiser's iterates are
# $A^n(x-\mu)$ with $A=V\mathrm{diag}(f)V^\top$, so their *direction* is power iteration on $A$ and
# also lines up with $v_1$ (at rate $f_2/f_1$). Their *length* goes to 0. The figure shows both, and
# the rate is checked.

# %%
lam_p = np.array([4.0, 1.0])
Sig_p = (V2 * lam_p) @ V2.T
mu_p = np.array([1.0, 0.5])
t = 1.0
fp = lin.eigen_contraction_factors(lam_p, t)  # (0.8, 0.5)
den = cu.GaussianMixture([1.0], mu_p[None], Sig_p[None]).denoiser()
starts = mu_p + np.array([[3.0, 2.5], [-3.0, 1.5], [2.0, -3.0], [-2.0, -2.5]])
path = lin.iterate_fixed_t(den, starts, t, 40)  # (41, 4, 2)
err = np.linalg.norm(path - mu_p, axis=2)  # (41, 4)
rate = err[-1] / err[-2]
slope = np.polyfit(np.arange(20, 41), np.log(err[20:, 0]), 1)[0]
assert np.all(np.abs(rate - fp.max()) < 1e-6)  # correction ~ (f2/f1)^(2n) ~ 1e-8
assert np.all(err[1:] <= fp.max() * err[:-1] * (1 + 1e-9))
assert abs(np.exp(slope) - fp.max()) < 1e-6
pw = np.stack([lin.power_iteration(Sig_p, s - mu_p, 40) for s in starts], 1)  # (41, 4, 2)


def angle_to_v1(v):  # degrees between v and the line span(v1); arctan2 stays accurate near 0
    return np.degrees(np.arctan2(np.abs(v @ V2[:, 1]), np.abs(v @ V2[:, 0])))


ang_pw = angle_to_v1(pw)
ang_dn = angle_to_v1(path - mu_p)
# tan(angle) scales by f2/f1 each step (at n = 20: the v2 part ~ 0.5^20 still >> rounding)
dir_rate = np.tan(np.radians(ang_dn[20])) / np.tan(np.radians(ang_dn[19]))
assert np.all(np.abs(dir_rate - fp[1] / fp[0]) < 1e-6)
print(f"error ratio at n=40: {np.round(rate, 6).tolist()}  (f_max = {fp.max():.6f})")
print(f"fitted rate exp(slope) = {np.exp(slope):.6f}; distance to mu after 40 steps "
      f"{err[-1].max():.1e} <= 0.8^40 * max start distance = {0.8**40 * err[0].max():.1e}")
print(f"denoiser direction: tan(angle to v1) shrinks by {dir_rate[0]:.4f} = f2/f1 per step")
print(f"power iteration: angle to v1 after 10 steps {ang_pw[10].max():.4f} deg; its iterates "
      f"keep unit length, so they converge to the line through ±v1, not to a point")

# %%
fig, axes = plt.subplots(1, 3, figsize=(12.5, 4.0))
cols = component_colors(4)
ax = axes[0]
for j in range(4):
    ax.plot(*path[:, j].T, "o-", ms=3, lw=1, color=cols[j])
ax.plot(*mu_p, "*", ms=14, color="k", label=r"mean $\mu$")
ax.axline(mu_p, mu_p + V2[:, 0], color="0.6", ls=":", label=r"$\mu+\mathrm{span}(v_1)$")
ax.set_aspect("equal")
ax.set_title(f"fixed-t denoiser iterates (t = {t:g})\nconverge to the point $\\mu$")
ax.legend(loc="lower right", fontsize=8)
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
ax = axes[1]
ax.plot(np.cos(ang), np.sin(ang), color="0.8", lw=1)
for j in range(4):
    ax.plot(*pw[:12, j].T, "o-", ms=3, lw=1, color=cols[j])
ax.axline((0, 0), V2[:, 0], color="0.6", ls=":", label=r"span$(v_1)$")
ax.set_aspect("equal")
ax.set_title("power iteration $v\\leftarrow\\Sigma v/\\|\\Sigma v\\|$\nconverges to the line $\\pm v_1$")
ax.legend(loc="lower right", fontsize=8)
ax.set_xlabel("$v_1$-plane, coordinate 1")
ax = axes[2]
nn = np.arange(41)
ax.semilogy(nn, err[:, 0], color=PALETTE["blue"], label=r"denoiser: $\|x^{(n)}-\mu\|$")
ax.semilogy(nn, err[0, 0] * fp.max() ** nn, "--", color=PALETTE["blue"], lw=1,
            label=r"$f_{\max}^n$, $f_{\max}=0.8$")
ax.semilogy(nn, ang_dn[:, 0], color=PALETTE["orange"],
            label="denoiser: angle to $v_1$ (deg)")
ax.semilogy(nn, ang_pw[:, 0], color=PALETTE["green"],
            label="power it.: angle to $v_1$ (deg)")
ax.set_ylim(1e-12, 1e2)
ax.set_xlabel("iteration n")
ax.set_title("distance shrinks at rate 0.8;\ndirections align at rates 0.625 and 0.25")
ax.legend(fontsize=7, loc="upper right")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **This is not the sampler (preview of chapter 5).** The source says "the iterates converge to
# the mean". That is true of the fixed-$t$ repetition above, but the sampler of chapter 5 does
# something else (erratum 7 / B8). It lowers $t$ along $t_\ell=T\ell/L$ and keeps part of the
# current point: $\hat x\leftarrow(1-\tfrac1\ell)\hat x+\tfrac1\ell\bar x^*(t_\ell,\hat x)$. For one
# Gaussian, coordinate $i$ of $\hat x-\mu$ is then multiplied by
# $c_\ell=(1-\tfrac1\ell)+\tfrac1\ell\tfrac{\lambda_i}{\lambda_i+t_\ell^2}$ at step $\ell$. The
# product $\prod_{\ell=1}^L c_\ell$ tends to $\sqrt{\lambda_i/(\lambda_i+T^2)}$, **not** to 0.
# That is exactly the factor that turns a start of spread $\sqrt{\lambda_i+T^2}$ into spread
# $\sqrt{\lambda_i}$: the sampler keeps the data's variance instead of collapsing it. The gap to
# the limit is a Riemann-sum error of order $1/L$; we check it is below $1/L$.

# %%
T = 1.0
lams = np.array([0.1, 1.0, 10.0])
limit = np.sqrt(lams / (lams + T**2))
fixed = lin.eigen_contraction_factors(lams, T)
print(" lambda | fixed-t map f^L, L=1000 | sampler gain L=10   L=100  L=1000 | limit sqrt(l/(l+T^2))")
for i, lm in enumerate(lams):
    g = [float(ve_factor_product(lm, T, L)) for L in (10, 100, 1000)]
    assert abs(g[2] - limit[i]) < 1 / 1000
    print(f" {lm:6.1f} | {fixed[i] ** 1000:23.1e} | {g[0]:17.4f} {g[1]:7.4f} {g[2]:7.4f} | {limit[i]:.4f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Mixtures of subspaces: the attention form
#
# Take zero means, equal weights and low-rank covariances (source eq. 13):
# $x\sim\frac1K\sum_k\mathcal N(0,U_kU_k^\top)$, with each $U_k\in O(D,P)$ a $D\times P$ matrix with
# orthonormal columns. Each component is spread uniformly over a $P$-dimensional subspace, with
# unit variance along each of its directions. Three facts turn eq. (8) into something simple.
#
# **Inverse (Sherman–Morrison–Woodbury).** $U_kU_k^\top$ is the projection onto the subspace, with
# eigenvalue 1 there and 0 on the complement. So $U_kU_k^\top+t^2I$ has eigenvalues $1+t^2$ and $t^2$,
# and
# $$(U_kU_k^\top+t^2I)^{-1}=\frac1{t^2}\Big(I-\frac{1}{1+t^2}U_kU_k^\top\Big),\qquad
# U_kU_k^\top(U_kU_k^\top+t^2I)^{-1}=\frac{1}{1+t^2}U_kU_k^\top.$$
#
# **Determinant.** $\det(U_kU_k^\top+t^2I)=(1+t^2)^P\,t^{2(D-P)}$. It depends on $U_k$ only through
# its rank $P$, so it is the same for all $k$ when the ranks are equal. Mutual orthogonality of the
# subspaces is *not* needed.
#
# **Weights.** In $\log\varphi(x_t;0,U_kU_k^\top+t^2I)$ the quadratic form is
# $x_t^\top(\cdot)^{-1}x_t=\|x_t\|^2/t^2-\|U_k^\top x_t\|^2/(t^2(1+t^2))$. The first term and the
# determinant are common to all $k$ and cancel in the normalised weights:
#
# $$w_k(x_t)=\mathrm{softmax}_k\Big(\frac{\|U_k^\top x_t\|^2}{2t^2(1+t^2)}\Big),\qquad
# \bar x^*(t,x_t)=\frac1{1+t^2}\sum_{k=1}^K w_k(x_t)\,U_kU_k^\top x_t.$$
#
# Each subspace "scores" $x_t$ by the energy of its projection. A softmax with temperature
# $2t^2(1+t^2)$ turns the scores into weights, and the output is the weighted sum of the
# projections, shrunk by $1/(1+t^2)$. With $K=1$ this is eq. (14), $\frac1{1+t^2}UU^\top x_t$, the
# starting point of chapter 4. We check each step on $D=10$, $K=4$, $P=2$ against the dense
# eq. (8) above.

# %%
D, K, P = 10, 4, 2
rng = np.random.default_rng(5)
U = [np.linalg.qr(rng.standard_normal((D, P)))[0] for _ in range(K)]  # random, not orthogonal
gmm_lr = cu.GaussianMixture.low_rank(U)
xq = 1.5 * rng.standard_normal((200, D))
for t in (0.3, 1.0, 3.0):
    C = U[0] @ U[0].T + t**2 * np.eye(D)
    assert np.abs(lin.low_rank_inverse(U[0], t) @ C - np.eye(D)).max() < 1e-10 * max(1, t**-2)
    assert abs(lin.low_rank_logdet(D, P, t) - np.linalg.slogdet(C)[1]) < 1e-10
    proj = np.stack([((xq @ u) ** 2).sum(1) for u in U], 1)  # ||U_k^T x_t||^2
    logits = proj / (2 * t**2 * (1 + t**2))
    w_att = np.exp(logits - logits.max(1, keepdims=True))
    w_att /= w_att.sum(1, keepdims=True)
    out_att = sum(w_att[:, [k]] * (xq @ U[k]) @ U[k].T for k in range(K)) / (1 + t**2)
    ref, w_ref = dense_eq8(np.full(K, 1 / K), np.zeros((K, D)), np.stack([u @ u.T for u in U]),
                           xq, t)
    assert np.abs(w_att - w_ref).max() < 1e-12 and np.abs(out_att - ref).max() < 1e-12
    assert np.abs(cu.attention_denoiser(U, xq, t) - ref).max() < 1e-12
    print(f"t={t}: SMW inverse and det OK; softmax weights and attention output == dense eq. (8) "
          f"to 1e-12: True")
print("max |U_j^T U_k| between different subspaces:",
      round(max(np.abs(U[j].T @ U[k]).max() for j in range(K) for k in range(K) if j != k), 2),
      "(not orthogonal, and still exact)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The attention map.** Below, 30 samples from each of the 4 subspaces are noised with the same
# $g$ at three noise levels. Each row of a panel is one point $x_t$, sorted by its true component.
# Each column is one component $k$. The colour is the weight $w_k(x_t)$. At small $t$ the map is
# block-diagonal: each point attends to its own subspace. At large $t$ the temperature
# $2t^2(1+t^2)$ is high and every point spreads its attention evenly, $w_k\approx1/K$.

# %%
rng = np.random.default_rng(6)
xs_lr, ys_lr = gmm_lr.sample(120, rng, return_labels=True)
order = np.argsort(ys_lr, kind="stable")
xs_lr, ys_lr = xs_lr[order], ys_lr[order]
g = rng.standard_normal(xs_lr.shape)
fig, axes = plt.subplots(1, 3, figsize=(11.0, 4.2), sharey=True)
for ax, t in zip(axes, (0.3, 1.0, 3.0), strict=True):
    W = cu.attention_weights(U, xs_lr + t * g, t)
    im = ax.imshow(W, aspect="auto", vmin=0, vmax=1, cmap="Blues", interpolation="nearest",
                   extent=(0.5, K + 0.5, len(W), 0))
    ax.set_xticks(range(1, K + 1))
    ax.set_xlabel("component k (key)")
    ax.set_title(f"t = {t:g}: temperature {2 * t**2 * (1 + t**2):.2f}")
    ax.grid(False)
    acc = (W.argmax(1) == ys_lr).mean()
    print(f"t={t}: top weight on the true component for {acc:.0%} of points; "
          f"mean top weight {W.max(1).mean():.3f} (1/K = {1 / K})")
axes[0].set_ylabel("point $x_t$ (sorted by true component)")
fig.colorbar(im, ax=axes.tolist(), label="weight $w_k(x_t)$", fraction=0.03, pad=0.02)
fig.suptitle("Attention map of the low-rank mixture denoiser: points x components")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Unequal weights and unequal ranks
#
# Redo the computation keeping $\pi_k$ and letting the ranks $P_k$ differ. The determinant no
# longer cancels: $-\frac12\log\det=-\frac{P_k}2\log(1+t^2)-(D-P_k)\log t$. Dropping what is common
# to all $k$, the logit of component $k$ is
#
# $$\log\pi_k+\frac{P_k}{2}\log\frac{t^2}{1+t^2}+\frac{\|U_k^\top x_t\|^2}{2t^2(1+t^2)}.$$
#
# The middle term is negative and proportional to $P_k$. It penalises high-rank components, whose
# density is spread over more dimensions. The last term favours them, since a random vector has
# more energy in a larger subspace. The source's eq. (13) drops both the $\log\pi_k$ and the rank
# term (erratum 9). Below is how wrong that is for ranks $(1,2,4)$ and weights $(0.5,0.3,0.2)$.

# %%
ranks, pis_u = (1, 2, 4), np.array([0.5, 0.3, 0.2])
rng = np.random.default_rng(7)
U_u = [np.linalg.qr(rng.standard_normal((D, p)))[0] for p in ranks]
gmm_u = cu.GaussianMixture.low_rank(U_u, weights=pis_u)
xs_u = gmm_u.sample(2000, rng)
g_u = rng.standard_normal(xs_u.shape)
ts_u = np.array([0.1, 0.2, 0.5, 1.0, 2.0, 5.0])
naive_err, naive_den = [], []
for t in ts_u:
    xt_u = xs_u + t * g_u
    w_true = cu.responsibilities(gmm_u, xt_u, t)  # eq. (8), general code path
    proj = np.stack([((xt_u @ u) ** 2).sum(1) for u in U_u], 1)
    logit = np.log(pis_u) + 0.5 * np.array(ranks) * np.log(t**2 / (1 + t**2)) \
        + proj / (2 * t**2 * (1 + t**2))
    w_fix = np.exp(logit - logit.max(1, keepdims=True))
    w_fix /= w_fix.sum(1, keepdims=True)
    assert np.abs(w_fix - w_true).max() < 1e-12  # the corrected form is exact
    assert np.abs(cu.attention_weights(U_u, xt_u, t, weights=pis_u) - w_true).max() < 1e-12
    z = proj / (2 * t**2 * (1 + t**2))  # source eq. (13) as printed: no log pi_k, no rank term
    w_naive = np.exp(z - z.max(1, keepdims=True))
    w_naive /= w_naive.sum(1, keepdims=True)
    x_true = cu.posterior_mean(gmm_u, xt_u, t)
    x_naive = sum(w_naive[:, [k]] * (xt_u @ u) @ u.T for k, u in enumerate(U_u)) / (1 + t**2)
    naive_err.append(np.abs(w_naive - w_true).sum(1).mean() / 2)
    naive_den.append(np.linalg.norm(x_naive - x_true, axis=1).mean()
                     / np.linalg.norm(x_true, axis=1).mean())
naive_err, naive_den = np.array(naive_err), np.array(naive_den)
assert naive_err.max() > 0.25  # far from a rounding effect
print("t                          :", ts_u.tolist())
print("mean total-variation error :", np.round(naive_err, 3).tolist())
print("relative denoiser error    :", np.round(naive_den, 3).tolist())
fig, ax = plt.subplots(figsize=(6.2, 3.6))
ax.semilogx(ts_u, naive_err, "o-", label="weights: mean TV distance to the truth")
ax.semilogx(ts_u, naive_den, "s-", label="output: mean error / mean norm")
ax.set_xlabel("noise level t")
ax.set_ylabel("error of the unweighted formula")
ax.set_ylim(0, 1)
ax.set_title("Erratum 9: eq. (13) without the log pi_k and rank terms\n(ranks 1, 2, 4; weights 0.5, 0.3, 0.2)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Other schedules, and the two temperature limits
#
# For a general process $x_t=\alpha_tx+\sigma_tg$ the same computation gives weights
# $\mathrm{softmax}_k\big(\alpha_t^2\|U_k^\top x_t\|^2/(2\sigma_t^2(\alpha_t^2+\sigma_t^2))\big)$
# (plus the corrections above) and components $\frac{\alpha_t}{\alpha_t^2+\sigma_t^2}U_kU_k^\top x_t$.
# For VP ($\alpha_t^2+\sigma_t^2=1$) these become $\alpha_tU_kU_k^\top x_t$ and
# $(1-t^2)\|U_k^\top x_t\|^2/(2t^2)$.
#
# **Limits.** As $t\to\infty$ the temperature grows without bound. The weights tend to $1/K$ and the output
# $\to0$ (the mean of the data). If the logits span a range $\Delta$, each weight lies in
# $[e^{-\Delta}/K,e^{\Delta}/K]$. As $t\to0^+$ the temperature vanishes. For a generic $x_t$ the
# weights become one-hot on $\arg\max_k\|U_k^\top x_t\|$, and the output is the projection onto that
# subspace. If the winner leads by a logit margin $m$, its weight is at least
# $1-(K-1)e^{-m}$. Softmax ignores a common shift of all logits, which is why common terms could
# be dropped above.

# %%
vp = cu.VP()
for t in (0.2, 0.6, 0.95):
    a = np.sqrt(1 - t**2)
    proj = np.stack([((xq @ u) ** 2).sum(1) for u in U], 1)
    z = (1 - t**2) * proj / (2 * t**2)
    w_vp = np.exp(z - z.max(1, keepdims=True))
    w_vp /= w_vp.sum(1, keepdims=True)
    out_vp = a * sum(w_vp[:, [k]] * (xq @ U[k]) @ U[k].T for k in range(K))
    assert np.abs(cu.responsibilities(gmm_lr, xq, t, vp) - w_vp).max() < 1e-12
    assert np.abs(cu.posterior_mean(gmm_lr, xq, t, vp) - out_vp).max() < 1e-12
print("VP attention form == general eq. (8) in alpha/sigma form (t = 0.2, 0.6, 0.95): True")

proj = np.stack([((xq @ u) ** 2).sum(1) for u in U], 1)
t = 30.0
w_hot = cu.attention_weights(U, xq, t)
spread = (proj.max(1) - proj.min(1)) / (2 * t**2 * (1 + t**2))
assert np.all(np.abs(w_hot - 1 / K).max(1) <= np.expm1(spread) / K + 1e-15)
assert np.all(np.linalg.norm(cu.attention_denoiser(U, xq, t), axis=1)
              <= np.linalg.norm(xq, axis=1) / (1 + t**2) * (1 + 1e-12))
print(f"t={t:g}: max |w_k - 1/K| = {np.abs(w_hot - 1 / K).max():.1e} (bound {np.expm1(spread).max() / K:.1e}); "
      f"max |xbar| = {np.linalg.norm(cu.attention_denoiser(U, xq, t), axis=1).max():.4f}")
t = 0.05
w_cold = cu.attention_weights(U, xq, t)
top2 = np.sort(proj, 1)[:, -2:]
margin = (top2[:, 1] - top2[:, 0]) / (2 * t**2 * (1 + t**2))
clear = margin > 5
assert np.all(w_cold[clear].argmax(1) == proj[clear].argmax(1))
assert np.all(w_cold[clear].max(1) >= 1 - (K - 1) * np.exp(-margin[clear]))
shifted = cu.attention_weights(U, xq, t)  # shift invariance, checked on the logits directly
lg = cu.attention_logits(U, xq, t)
e = np.exp(lg + 123.0 - (lg + 123.0).max(1, keepdims=True))
assert np.allclose(e / e.sum(1, keepdims=True), shifted, atol=1e-14)
print(f"t={t:g}: {clear.mean():.0%} of points have margin > 5; for them the top weight is on "
      f"argmax ||U_k^T x|| and >= 1-(K-1)e^(-margin): True; mean top weight {w_cold.max(1).mean():.3f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Is this attention? An honest comparison
#
# The source calls this form "similar to the attention mechanism". Here is what matches and what
# does not (erratum 10).
#
# | | low-rank mixture denoiser | transformer self-attention |
# |---|---|---|
# | query | the noisy vector $x_t$ | $q_i=W_Qz_i$ for token $i$ |
# | keys | the $K$ subspaces $U_k$ (fixed parameters) | $k_j=W_Kz_j$, one per **token** |
# | score | $\|U_k^\top x_t\|^2/(2t^2(1+t^2))$, quadratic in $x_t$ | $q_i^\top k_j/\sqrt{d}$, bilinear |
# | softmax over | the $K$ **components** | the $N$ **tokens** of the sequence |
# | values | $U_kU_k^\top x_t/(1+t^2)$, which depend on the query | $v_j=W_Vz_j$, from the other tokens |
# | what mixes | nothing across data points: each $x_t$ is denoised alone | information flows between tokens |
#
# The formula has the *shape* of attention, a softmax-weighted sum of values. Its softmax, though, runs
# over mixture components (think of them as "heads" or memory slots), for **one** vector at a time. In
# a transformer the softmax runs over the other tokens. The book's own derivation of
# transformer-like attention (its chapter 4, from a compression objective) has a softmax over tokens
# inside each head. Here it says only that the two are similar. The code below makes the
# difference concrete. Changing one point does not change the denoised value of any other point.
# In token attention it changes every output.

# %%
def softmax_rows(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


t = 0.7
q = xq[:6]  # six "tokens"
scores = np.stack([((q @ u) ** 2).sum(1) for u in U], 1) / (2 * t**2 * (1 + t**2))  # (6, K)
values = np.stack([(q @ u) @ u.T for u in U], 1) / (1 + t**2)  # (6, K, D): one value per key
as_attention = np.einsum("nk,nkd->nd", softmax_rows(scores), values)
assert np.abs(as_attention - cu.posterior_mean(gmm_lr, q, t)).max() < 1e-12

rng = np.random.default_rng(8)
Wq, Wk, Wv = (rng.standard_normal((D, D)) / np.sqrt(D) for _ in range(3))


def token_attention(z):  # one head of self-attention: softmax over the N tokens
    return softmax_rows((z @ Wq) @ (z @ Wk).T / np.sqrt(D)) @ (z @ Wv)


q2 = q.copy()
q2[0] += 2.0  # change token 0 only
same_gmm = np.array_equal(cu.posterior_mean(gmm_lr, q, t)[1:], cu.posterior_mean(gmm_lr, q2, t)[1:])
moved = np.abs(token_attention(q)[1:] - token_attention(q2)[1:]).max()
assert same_gmm and moved > 1e-3
print("denoiser == softmax over K components of (query x_t, keys U_k, values U_k U_k^T x_t/(1+t^2)): True")
print(f"change point 0: mixture denoiser outputs of points 1-5 unchanged: {same_gmm}; "
      f"token attention outputs of tokens 1-5 move by up to {moved:.2f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Interactive: noise level and number of subspaces
#
# The widget uses $K$ lines through the origin in the plane, at equal angles, as a mixture
# $\frac1K\sum_k\mathcal N(0,u_ku_k^\top)$. The panels are:
# * **left**: the denoising field. Each arrow goes from a grid point $x_t$ to $\bar x^*(t,x_t)$
#   (black dot), coloured by the line with the largest weight;
# * **middle**: the contraction factors $\lambda_i/(\lambda_i+t^2)$ of a single Gaussian with
#   eigenvalues $4,1,\frac14,\frac1{16},0$. A line of the mixture is the case $\lambda=1$ along it and
#   $\lambda=0$ across it;
# * **right**: the attention map, with weights $w_k$ for points at distance 2 in every direction
#   (rows) and each line (columns). The circles mark each line's own angle.
#
# Things to try: small $t$ (points snap onto the nearest line, one-hot weights), large $t$ (short
# hops towards 0, uniform weights), and larger $K$ (narrower stripes in the attention map).

# %% tags=["nbval-ignore-output"]
widget = wg.build_gmm_widget()
widget

# %% [markdown]
# Static version (what the sliders show, at four settings), with the numbers behind each panel:

# %%
fig, lines = wg.plot_gmm_small_multiples(((0.2, 3), (0.75, 3), (3.0, 3), (0.75, 5)))
plt.show()
print("\n".join(lines))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Where the source errs
#
# > **Erratum 5: the factors are a diagonal matrix, not a column vector.** Eq. (9) typesets
# > $\lambda_i/(\lambda_i+t^2)$ as a column between $V$ and $V^\top$. Read literally,
# > $V\,(D\times1)\,V^\top$ does not even multiply. The correct middle factor is
# > $\mathrm{diag}(\lambda_1/(\lambda_1+t^2),\dots,\lambda_D/(\lambda_D+t^2))$.

# %%
fcol = lin.eigen_contraction_factors(lam3, 0.8)[:, None]  # the column vector as printed
try:
    Q @ fcol @ Q.T
    literal = "multiplies"
except ValueError:
    literal = "ValueError: shapes do not match"
assert literal.startswith("ValueError")
assert np.abs(Q @ np.diag(fcol[:, 0]) @ Q.T - A_eig).max() < 1e-12
print(f"V @ column @ V^T -> {literal}; V @ diag(f) @ V^T == Sigma (Sigma + t^2 I)^-1: True")

# %% [markdown]
# > **Erratum 6: translate by $-\mu$.** The source says the first step translates $x_t$ "by $\mu$";
# > it must subtract $\mu$. Translating by $+\mu$ gives $\mu+A(x_t+\mu)$. That is off by $2A\mu$, and
# > it is no longer a contraction towards $\mu$.

# %%
wrong = mu3 + (xt3 + mu3) @ A_eig.T
right = lin.gaussian_denoiser(xt3, mu3, Sigma3, 0.8)
gap = np.linalg.norm(wrong - right, axis=1)
assert np.allclose(gap, np.linalg.norm(2 * A_eig @ mu3))
print(f"'+mu' version is off by |2 A mu| = {gap[0]:.4f} for every point")

# %% [markdown]
# > **Erratum 7 / B8: "the iterates converge to the mean μ".** This is true only for repeating the
# > denoiser at a fixed $t$ (section 4: rate $\lambda_1/(\lambda_1+t^2)$). The sampler of chapter 5
# > changes $t$ and keeps part of the current iterate. Its per-direction gain tends to
# > $\sqrt{\lambda_i/(\lambda_i+T^2)}\neq0$ (section 4, last table), so it preserves spread
# > instead of collapsing to $\mu$. The source also omits the contraction inequality it refers to;
# > it is stated and checked in section 3. The book's newer revision retracts the claim.

# %%
gain_1000 = float(ve_factor_product(1.0, 1.0, 1000))
print(f"lambda=1, T=1, L=1000: fixed-t map {0.5**1000:.1e} vs sampler {gain_1000:.4f} "
      f"(limit {np.sqrt(0.5):.4f})")

# %% [markdown]
# > **Erratum 8: the joint Gaussian (eq. 10) is conditional on the label.** The source presents
# > the block matrix as "a GMM model with parameters" that we are not given. In fact it is the law
# > of $(x,x_t)$ **given $y$**, the step that yields $\mathbb E[x\mid x_t,y]$ and hence eq. (8)
# > (section 2). It says nothing about learning. Without conditioning, $(x,x_t)$ is not Gaussian
# > at all. Below, the excess kurtosis of $x_t$ along $(1,1)/\sqrt2$ is about 0 given $y$ (Gaussian)
# > but clearly negative without $y$ (bimodal). The standard error of a sample excess kurtosis
# > is about $\sqrt{24/n}$. (Also lost in the seed: the star on $\bar x^*$ and the bar on
# > $\bar x_\theta$.)

# %%
rng = np.random.default_rng(9)
n = 200_000
dirn = np.array([1.0, 1.0]) / np.sqrt(2)


def excess_kurtosis(v):
    v = v - v.mean()
    return (v**4).mean() / (v**2).mean() ** 2 - 3


xm = gmm2.sample(n, rng)
k_mix = excess_kurtosis((xm + 1.0 * rng.standard_normal((n, 2))) @ dirn)
x1 = means2[0] + rng.standard_normal((n, 2)) @ F[0].T
k_one = excess_kurtosis((x1 + 1.0 * rng.standard_normal((n, 2))) @ dirn)
se_k = np.sqrt(24 / n)
assert abs(k_one) < 4 * se_k and k_mix < -10 * se_k
print(f"excess kurtosis of x_t along (1,1)/sqrt2: given y=1 {k_one:.3f}, unconditional {k_mix:.3f} "
      f"(standard error {se_k:.3f})")

# %% [markdown]
# > **Erratum 9: eq. (13) silently drops $\pi_k$ and needs equal ranks.** The attention form
# > $\mathrm{softmax}_k(\|U_k^\top x_t\|^2/(2t^2(1+t^2)))$ is exact only for equal weights,
# > orthonormal $U_k$ (unit variances), equal ranks $P$ and zero means. The source states none of
# > these, and it stops at a ratio of Gaussian densities without the simplification that makes the
# > form look like attention (section 5). With unequal ranks $(1,2,4)$ and weights $(0.5,0.3,0.2)$
# > the unweighted weights are off by a total-variation distance of up to 0.31, and the
# > denoised outputs by up to 49% (section 5 figure). The exact logits add
# > $\log\pi_k+\frac{P_k}2\log\frac{t^2}{1+t^2}$.
#
# > **Erratum 10: "this functional form is similar to attention … conducts denoising" is an
# > interpretation.** The softmax here is over $K$ components for one vector. In a transformer it
# > is over tokens, and information moves between them. Section 6 shows numerically that the mixture
# > denoiser treats every point on its own while token attention does not. The book itself claims
# > only a similarity.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Exercises
#
# **Exercise 1 (compute).** A Gaussian has covariance eigenvalues
# $\lambda=(9,4,1,0)$. At $t=2$, what are the four contraction factors of its denoiser? How
# many fixed-$t$ repetitions shrink $\|x-\mu\|$ by a factor 1000 at worst?

# %%
my_factors = None  # your answer here: a list of 4 numbers
print(ex.check_contraction_factors(my_factors))

# %% [markdown]
# <details><summary>Solution</summary>
#
# $f_i=\lambda_i/(\lambda_i+4)$: $9/13,\ 4/8,\ 1/5,\ 0$. The slowest direction shrinks by
# $9/13$ per step, so $n\ge\log(1000)/\log(13/9)\approx18.8$: 19 repetitions.
#
# </details>

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
lam_ex = np.array(ex.EX1_EIGENVALUES)
sol_factors = lam_ex / (lam_ex + ex.EX1_T**2)
print(ex.check_contraction_factors(sol_factors))
print("repetitions needed:", int(np.ceil(np.log(1000) / np.log(1 / sol_factors.max()))))

# %% [markdown]
# **Exercise 2 (derive).** For $U\in O(D,P)$ show that $(UU^\top+t^2I)^{-1}=aI+bUU^\top$ and find
# $a$ and $b$ as functions of $t$ (Sherman–Morrison–Woodbury, or eigenvalues). Enter a
# function `t -> (a, b)`.

# %%
my_smw = None  # your answer here, e.g. lambda t: (..., ...)
print(ex.check_smw_coefficients(my_smw))

# %% [markdown]
# <details><summary>Solution</summary>
#
# $UU^\top$ is a projection, so $UU^\top+t^2I$ has eigenvalue $1+t^2$ on its range and $t^2$ on
# the complement. Its inverse has eigenvalues $1/(1+t^2)$ and $1/t^2$. Writing it as $aI+bUU^\top$
# gives $a=1/t^2$ (complement) and $a+b=1/(1+t^2)$ (range), so
# $b=\frac1{1+t^2}-\frac1{t^2}=-\frac{1}{t^2(1+t^2)}$. Equivalently, Woodbury with $A=t^2I$, $C=I$:
# $t^{-2}I-t^{-4}U(I+t^{-2}I)^{-1}U^\top$.
#
# </details>

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
print(ex.check_smw_coefficients(lambda t: (1 / t**2, -1 / (t**2 * (1 + t**2)))))

# %% [markdown]
# **Exercise 3 (derive).** For the zero-mean mixture with weights $\pi=(0.5,0.3,0.2)$ and
# orthonormal bases of ranks $P=(1,2,4)$ at $t=0.5$, the logits are
# $c_k+\|U_k^\top x_t\|^2/(2t^2(1+t^2))$. Derive the offsets $c_k$ (any common constant may be
# added) and enter them as a list.

# %%
my_offsets = None  # your answer here: a list of 3 numbers
print(ex.check_rank_correction(my_offsets))

# %% [markdown]
# <details><summary>Solution</summary>
#
# $\log\big(\pi_k\varphi(x_t;0,U_kU_k^\top+t^2I)\big)=\log\pi_k-\frac D2\log2\pi-\frac12\log\det(\cdot)
# -\frac{\|x_t\|^2}{2t^2}+\frac{\|U_k^\top x_t\|^2}{2t^2(1+t^2)}$. With
# $\log\det=P_k\log(1+t^2)+(D-P_k)\log t^2$, the $k$-dependent constant is
# $\log\pi_k-\frac{P_k}2\log(1+t^2)+\frac{P_k}{2}\log t^2=\log\pi_k+\frac{P_k}2\log\frac{t^2}{1+t^2}$.
#
# </details>

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
t_ex = ex.EX3_T
print(ex.check_rank_correction(np.log(ex.EX3_WEIGHTS)
                               + 0.5 * np.array(ex.EX3_RANKS) * np.log(t_ex**2 / (1 + t_ex**2))))

# %% [markdown]
# **Exercise 4 (prove, then test).** Which of these conditions are *needed* for the unweighted
# attention form $\frac1{1+t^2}\sum_k\mathrm{softmax}_k\big(\|U_k^\top x_t\|^2/(2t^2(1+t^2))\big)U_kU_k^\top x_t$
# to equal eq. (8)? Choose exactly the needed ones, then break each one numerically to confirm.

# %%
for letter, text in ex.CONDITIONS.items():
    print(f"({letter}) {text}")
my_conditions = None  # your answer here, e.g. {"a", "d"}
print(ex.check_attention_conditions(my_conditions))

# %% [markdown]
# <details><summary>Solution</summary>
#
# Needed: (a) equal weights, or else $\log\pi_k$ stays in the logits; (b) equal ranks, or else the
# determinant term stays; (c) covariances $U_kU_k^\top$ with orthonormal $U_k$, or else neither SMW
# in this form nor the projection values hold; (e) zero means, or else the scores involve
# $x_t-\mu_k$ and the values gain $\mu_k$. Not needed: (d) mutual orthogonality (section 5 used
# overlapping subspaces), (f) $K\le D$, (g) small $t$ (the identity holds for every $t>0$).
#
# </details>

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
print(ex.check_attention_conditions({"a", "b", "c", "e"}))
U7 = [np.linalg.qr(np.random.default_rng(10 + k).standard_normal((D, 1)))[0] for k in range(12)]
x7 = xq[:50]
z7 = np.stack([((x7 @ u) ** 2).sum(1) for u in U7], 1) / (2 * 0.5**2 * 1.25)
print("K = 12 > D = 10 lines, t = 0.5: unweighted form still exact:",
      np.abs(softmax_rows(z7) - cu.responsibilities(cu.GaussianMixture.low_rank(U7), x7, 0.5)).max() < 1e-12)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * Conditioning on the label makes $(x,x_t)$ jointly Gaussian (eq. 10). The mixture denoiser
#   (eq. 8) is then the posterior-weighted average of $K$ affine denoisers. We checked it against a
#   plain implementation and against Monte Carlo.
# * With one component it subtracts the mean, multiplies each eigendirection by
#   $\lambda_i/(\lambda_i+t^2)$ (a diagonal matrix) and adds the mean back. Directions with
#   $\lambda_i=0$ are removed exactly, and the map contracts towards $\mu$.
# * Repeating it at a fixed $t$ converges to the point $\mu$ at rate $\max_i\lambda_i/(\lambda_i+t^2)$.
#   Power iteration converges to a line instead. The chapter-5 sampler is a different map, whose gains
#   tend to $\sqrt{\lambda_i/(\lambda_i+T^2)}$.
# * For zero-mean subspace mixtures with equal weights and ranks, the denoiser is
#   $\frac1{1+t^2}\sum_k\mathrm{softmax}_k(\|U_k^\top x_t\|^2/(2t^2(1+t^2)))U_kU_k^\top x_t$, exactly.
#   Otherwise add $\log\pi_k+\frac{P_k}2\log\frac{t^2}{1+t^2}$ to the logits. Large $t$ flattens the
#   weights, and small $t$ makes them one-hot.
# * It looks like attention, but its softmax runs over components for a single vector, not over tokens.
#
# **Next: chapter 4.** If the data come from one unknown subspace, learning the denoiser
# $\frac1{1+t^2}VV^\top x_t$ by minimising the denoising loss is PCA.
