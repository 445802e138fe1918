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
# # Chapter 3: The Bayes-optimal denoiser of a Gaussian mixture
#
# [Chapter 2](02_tweedie.ipynb) defined the best denoiser, $\bar x^*(t,x_t)=\mathbb E[x\mid x_t]$.
# For Gaussian mixtures it has a **closed form**: exact (the yardstick for every learned
# denoiser later), geometric (one component contracts each eigendirection by its own factor), and,
# for mixtures of subspaces, a **softmax-weighted sum of projections**, the formula the source
# compares with attention.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(2 min)* Say: last time the best denoiser was a conditional mean we could only estimate; today
# we get it in closed form for a family rich enough to matter. Ask the room: "Which data
# distribution would make E[x | x_t] easy to compute?" (Gaussian: linear regression.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Learning objectives.** After this chapter you can
# 1. derive the mixture denoiser (eq. 8) by conditioning on the label, and check it by Monte Carlo;
# 2. read one component as "subtract the mean, contract each eigendirection by
#    $\lambda_i/(\lambda_i+t^2)$, add the mean back";
# 3. explain why repeating one denoiser converges to a point, unlike power iteration;
# 4. derive the attention form for mixtures of subspaces and say where the analogy stops.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(1 min)* Read the four objectives; say that objective 4 is where the source overreaches and
# we will be precise about it.

# %% [markdown] slideshow={"slide_type": "skip"}
# **Prerequisites.** [Chapter 2](02_tweedie.ipynb) (the noise model $x_t=x+tg$, the denoiser as a
# conditional mean, Tweedie's formula). Linear algebra: eigendecompositions and the Gaussian
# conditioning formula.
#
# **Source equations covered.** Eq. (7) (the mixture), eq. (8) (its denoiser), eq. (9) (one
# component, eigen form), eq. (10) (the joint Gaussian of $(x,x_t)$ given the label) and eq. (13)
# (zero means and low-rank covariances $U_kU_k^\top$, the "attention" form). Eq. (14) appears as
# the special case $K=1$ and is the subject of [chapter 4](04_pca.ipynb).

# %% slideshow={"slide_type": "skip"}
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
# Data from a Gaussian mixture (source eq. 7), with a hidden **label** $y$, $\Pr[y=k]=\pi_k$:
#
# $$x\sim\sum_{k=1}^K\pi_k\,\mathcal N(\mu_k,\Sigma_k),\qquad
# x_t=x+tg\ \sim\ \sum_{k=1}^K\pi_k\,\mathcal N(\mu_k,\Sigma_k+t^2I).$$
#
# Noise widens every component by $t^2$ in every direction. Running example in 2-D: three
# components, means $(-3,-3),(3,3),(0,3)$, equal weights.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(2 min)* Say: given the label, $x_t$ is a sum of two independent Gaussians, hence the
# $\Sigma_k+t^2I$. Ask: "What happens to the mixture as t grows?" (components merge into one
# blob; the labels become hard to tell apart.)

# %% [markdown] slideshow={"slide_type": "skip"}
# In detail: $x\mid y=k\sim\mathcal N(\mu_k,\Sigma_k)$ and the noise $g\sim\mathcal N(0,I)$ is
# independent of $(x,y)$, so $x_t\mid y=k\sim\mathcal N(\mu_k,\Sigma_k+t^2I)$. The running
# example's covariances are $F_kF_k^\top$ for three fixed $2\times2$ matrices $F_k$:

# %% slideshow={"slide_type": "skip"}
F = [np.array([[2.0, 0.5], [0.5, 0.5]]), np.array([[0.5, 0.0], [0.0, 2.0]]),
     np.array([[1.0, -0.8], [-0.8, 1.0]])]
means2 = np.array([[-3.0, -3.0], [3.0, 3.0], [0.0, 3.0]])
covs2 = np.stack([f @ f.T for f in F])
pis2 = np.full(3, 1 / 3)
gmm2 = cu.GaussianMixture(pis2, means2, covs2)
print(gmm2, "| covariances:", [np.round(c, 2).tolist() for c in covs2])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Deriving the denoiser: condition on the label
#
# **Step 1.** Given $y$, $(x,x_t)$ is a linear image of the Gaussian $(x,g)$, hence jointly Gaussian:
#
# $$\begin{bmatrix}x\\x_t\end{bmatrix}\Big|\,y\ \sim\ \mathcal N\!\left(\begin{bmatrix}\mu_y\\\mu_y\end{bmatrix},
# \begin{bmatrix}\Sigma_y&\Sigma_y\\\Sigma_y&\Sigma_y+t^2I\end{bmatrix}\right)\tag{10}$$
#
# and Gaussian conditioning, $\mathbb E[a\mid b]=\mu_a+\Sigma_{ab}\Sigma_{bb}^{-1}(b-\mu_b)$, gives
#
# $$\mathbb E[x\mid x_t,y]=\mu_y+\Sigma_y(\Sigma_y+t^2I)^{-1}(x_t-\mu_y).$$

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Derive the covariance blocks on the board: Cov(x, x + tg) = Sigma because g is
# independent. Stress that eq. (10) holds *given the label*; without it (x, x_t) is not Gaussian.
# Ask: "Why is E[x | x_t, y] linear in x_t?" (jointly Gaussian.)

# %% [markdown] slideshow={"slide_type": "skip"}
# **Check of eq. (10).** We draw $n$ pairs $(x,x_t)$ from component 1 and compare their
# empirical $4\times4$ covariance with the block matrix. For Gaussian data the standard error of
# an empirical covariance entry $C_{ij}$ is $\sqrt{(C_{ii}C_{jj}+C_{ij}^2)/n}$; we allow 5 of them.

# %% slideshow={"slide_type": "skip"}
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
print(f"largest |empirical - block| = {np.abs(emp - block).max():.3f}, "
      f"i.e. {z.max():.1f} standard errors (allowed: 5)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Step 2 (Bayes).** With $\varphi(\,\cdot\,;m,C)$ the Gaussian density, the label's posterior is
# $w_k(x_t)=\Pr[y=k\mid x_t]\propto\pi_k\,\varphi(x_t;\mu_k,\Sigma_k+t^2I)$.
#
# **Step 3 (average over the label).** $\mathbb E[x\mid x_t]=\mathbb E\big[\mathbb E[x\mid x_t,y]\mid x_t\big]$:
#
# $$\bar x^*(t,x_t)=\sum_{k=1}^K w_k(x_t)\,\big(\mu_k+\Sigma_k(\Sigma_k+t^2I)^{-1}(x_t-\mu_k)\big).\tag{8}$$
#
# A weighted average of $K$ affine denoisers, weighted by how plausible each component is.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Say: the weights are a softmax of log-densities; this is where "attention" will come
# from. Ask: "Where does the denoiser put a point halfway between two components?" (in between,
# possibly off the data.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Check of eq. (8).** Against a plain implementation (dense solves, one component at a time) and
# against Monte Carlo with no formula at all: $\mathbb E[x\mid x_t=\xi]=\mathbb E_x[x\,\varphi(\xi;x,t^2I)]/\mathbb E_x[\varphi(\xi;x,t^2I)]$,
# estimated from $n=400\,000$ data samples. Printed: formula, estimate, and their gap in standard errors.

# %% slideshow={"slide_type": "skip"}
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


# %%
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
    print(f"xi = {q}: formula {np.round(m, 3)}, Monte Carlo {np.round(est, 3)}, "
          f"gap {np.abs(est - m).max() / se[np.argmax(np.abs(est - m))]:.1f} SE")
print("library vs plain eq. (8): agree to 1e-12 (asserted)")

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Say: the Monte Carlo check uses no formula, only samples of x and Bayes' rule, so it
# would catch a wrong derivation. Gaps under 4 standard errors are what chance allows. Ask: "Why
# does self-normalised importance sampling work here?" (the likelihood of xi given x is known.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The key figure** ($t=1.5$): coloured dots are the per-component estimates
# $\mathbb E[x\mid x_t,y=k]$, larger when $w_k(x_t)$ is larger; the star is their weighted average.
# Between components the output lands in between, possibly off the data.

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
fig, ax = plt.subplots(figsize=(6.6, 4.0))
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
ax.set_title("Eq. (8): a weighted average of K affine denoisers (t = 1.5)")
ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize="small")
plt.show()

# %% slideshow={"slide_type": "skip"}
print("weights w_k(x_t) per point:", np.round(w, 2).tolist())

# %% [markdown] slideshow={"slide_type": "notes"}
# *(4 min)* Walk through two points: the one at (-5, -1) is pulled by component 1 alone; the one
# at (0.5, 1) splits its weight and lands between components. Ask: "Is the star a plausible data
# point?" (not always: a conditional mean averages, it does not sample.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. One component: translate, contract, translate back
#
# With $K=1$ and $\Sigma=V\Lambda V^\top$ (eigenvalues $\lambda_1\ge\dots\ge\lambda_D\ge0$):
#
# $$\bar x^*(t,x_t)=\mu+V\,\mathrm{diag}\Big(\frac{\lambda_1}{\lambda_1+t^2},\dots,\frac{\lambda_D}{\lambda_D+t^2}\Big)V^\top(x_t-\mu).\tag{9}$$
#
# Subtract $\mu$; multiply eigen-coordinate $i$ by $f_i=\lambda_i/(\lambda_i+t^2)\in[0,1)$, the
# share of signal in that direction's variance; add $\mu$ back. Directions with $\lambda_i=0$ are
# removed exactly, and $\|\bar x^*-\mu\|\le f_{\max}\|x_t-\mu\|$: a **contraction** towards $\mu$.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(4 min)* Derive: Sigma (Sigma + t^2 I)^{-1} = V Lambda (Lambda + t^2 I)^{-1} V^T, diagonal in
# the eigenbasis. Ask: "What does the denoiser do to a direction with no data variance?" (removes
# it exactly.) "And with variance much larger than t^2?" (keeps it almost unchanged.)

# %% [markdown] slideshow={"slide_type": "skip"}
# The middle factor is a **diagonal matrix** (the source prints a column vector; see "Where the
# source errs"), and the first step subtracts $\mu$ (the source says "translate by $\mu$"). The
# contraction inequality, which the source alludes to without stating, follows because every
# $f_i<1$. The check below uses a rank-2 covariance in $D=3$.

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
# exactly zero when the null direction is a coordinate axis (eigh returns e_3 exactly)
assert np.all(lin.gaussian_denoiser(xt3, mu3, np.diag(lam3), t)[:, 2] == mu3[2])
print(f"t = {t}: factors f = {np.round(f, 4).tolist()}; over 1000 points "
      f"max ||xbar-mu||/||x_t-mu|| = {ratio.max():.4f} <= f_max = {f.max():.4f}")

# %% slideshow={"slide_type": "skip"}
print("eq. (9) eigen form, Sigma (Sigma + t^2 I)^-1 and the library's K = 1 denoiser agree to "
      "1e-12; the output's component along the lambda = 0 direction is below 1e-12 (asserted)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The three steps on a 2-D Gaussian ($\lambda=(4,\,0.25)$, $t=1$, so $f=(0.8,\,0.2)$). The
# denoised cloud is *narrower* than the data (dashed ellipse): a conditional mean averages the
# uncertainty away.

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
fig, axes = plt.subplots(1, 3, figsize=(10.0, 3.6), sharex=True, sharey=True, layout="constrained")
panels = [(centred, np.zeros(2), PALETTE["sky"], r"1. $x_t-\mu$"),
          (shrunk, np.zeros(2), PALETTE["blue"], r"2. $V\,\mathrm{diag}(f)\,V^\top(x_t-\mu)$"),
          (final, mu2, PALETTE["green"], r"3. $\bar x^*=\mu+\dots$")]
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
                    xytext=(4, 4 if i == 0 else -14), fontsize="small", color=PALETTE["vermillion"],
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8))
    ax.set_title(title)
    ax.set_aspect("equal")
    ax.set_xlabel("coordinate 1")
axes[2].legend(loc="lower right", fontsize="x-small")
axes[0].set_ylabel("coordinate 2")
plt.show()
sd_in, sd_out = np.std(centred @ V2, axis=0), np.std(shrunk @ V2, axis=0)
assert np.allclose(sd_out / sd_in, f2)
print("std along (v1, v2): before", np.round(sd_in, 2).tolist(), "after", np.round(sd_out, 2).tolist(),
      "| ratio", np.round(sd_out / sd_in, 3).tolist(), "= f", np.round(f2, 3).tolist())

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Point at panel 2: the long axis keeps 80%, the short axis 20%. Ask: "Is the denoised
# cloud a sample from the data distribution?" (no: its spread along v_i is f_i times the noisy
# spread, smaller than the data's. Sampling needs the iterative scheme of [chapter 5](05_sampling.ipynb).)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Apply it again and again: a point, not a line
#
# Feed the output back in at a **fixed** $t$: $x^{(n+1)}=\bar x^*(t,x^{(n)})$. Eigen-coordinate $i$
# of $x^{(n)}-\mu$ is multiplied by $f_i^n\to0$, so the iterates converge to the **point** $\mu$
# at rate $f_{\max}$. Power iteration $v\leftarrow\Sigma v/\|\Sigma v\|$ converges to the **line**
# $\pm v_1$ instead: the only difference is the normalisation.

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

fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.6), layout="constrained")
cols = component_colors(4)
ax = axes[0]
for j in range(4):
    ax.plot(*path[:, j].T, "o-", ms=3, lw=1, color=cols[j])
ax.plot(*mu_p, "*", ms=14, color="k", label=r"mean $\mu$")
ax.axline(mu_p, mu_p + V2[:, 0], color="0.6", ls=":", label=r"$\mu+\mathrm{span}(v_1)$")
ax.set_aspect("equal")
ax.set_title(f"denoiser repeated at t = {t:g}: a point")
ax.legend(loc="lower right", fontsize="small")
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
ax = axes[1]
ax.plot(np.cos(ang), np.sin(ang), color="0.8", lw=1)
for j in range(4):
    ax.plot(*pw[:12, j].T, "o-", ms=3, lw=1, color=cols[j])
ax.axline((0, 0), V2[:, 0], color="0.6", ls=":", label=r"span$(v_1)$")
ax.set_aspect("equal")
ax.set_title(r"power iteration $\Sigma v/\|\Sigma v\|$: a line")
ax.legend(loc="lower right", fontsize="small")
ax.set_xlabel("coordinate 1 of $v$")
ax.set_ylabel("coordinate 2 of $v$")
plt.show()
print(f"error ratio ||x(n)-mu|| / ||x(n-1)-mu|| at n = 40: {np.round(rate, 6).tolist()} "
      f"(f_max = {fp.max():.6f})")

# %% [markdown] slideshow={"slide_type": "notes"}
# *(4 min)* Say: same matrix, different normalisation, different limit. The denoiser's
# *direction* does align with v_1 (at rate f2/f1), but its length goes to 0. Ask: "So can
# repeated denoising generate data?" (no, it collapses to the mean; [chapter 5](05_sampling.ipynb) changes t and keeps
# part of the iterate, which fixes this.)

# %% [markdown] slideshow={"slide_type": "skip"}
# **Rates, one quantity per panel.** The distance $\|x^{(n)}-\mu\|$ shrinks like $f_{\max}^n$
# (left). The *angle* between the iterate and the line $v_1$ (right, in degrees) shrinks for both
# maps: for the denoiser $\tan(\text{angle})$ is multiplied by $f_2/f_1=0.625$ per step (its
# direction is power iteration on $A=V\mathrm{diag}(f)V^\top$), for power iteration on $\Sigma$ by
# $\lambda_2/\lambda_1=0.25$.

# %% slideshow={"slide_type": "skip"}
def angle_to_v1(v):  # degrees between v and the line span(v1); arctan2 stays accurate near 0
    return np.degrees(np.arctan2(np.abs(v @ V2[:, 1]), np.abs(v @ V2[:, 0])))


ang_pw = angle_to_v1(pw)
ang_dn = angle_to_v1(path - mu_p)
# tan(angle) scales by f2/f1 each step (at n = 20: the v2 part ~ 0.5^20 still >> rounding)
dir_rate = np.tan(np.radians(ang_dn[20])) / np.tan(np.radians(ang_dn[19]))
pw_rate = np.tan(np.radians(ang_pw[6])) / np.tan(np.radians(ang_pw[5]))
assert np.all(np.abs(dir_rate - fp[1] / fp[0]) < 1e-6)
assert np.all(np.abs(pw_rate - lam_p[1] / lam_p[0]) < 1e-6)
nn = np.arange(41)
fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.2), layout="constrained")
ax = axes[0]
ax.semilogy(nn, err[:, 0], color=PALETTE["blue"], label=r"$\|x^{(n)}-\mu\|$")
ax.semilogy(nn, err[0, 0] * fp.max() ** nn, "--", color=PALETTE["black"], lw=1,
            label=r"$\|x^{(0)}-\mu\|\,f_{\max}^n$")
ax.set_xlabel("iteration n")
ax.set_ylabel("distance to $\\mu$")
ax.set_title("denoiser: distance, rate 0.8")
ax.legend(fontsize="small")
ax = axes[1]
ax.semilogy(nn, ang_dn[:, 0], color=PALETTE["orange"], label="denoiser (rate 0.625)")
ax.semilogy(nn[:15], ang_pw[:15, 0], color=PALETTE["green"], label="power iteration (rate 0.25)")
ax.set_xlabel("iteration n")
ax.set_ylabel("angle to $v_1$ (degrees)")
ax.set_title("both directions align with $v_1$")
ax.legend(fontsize="small")
plt.show()
print(f"fitted rate exp(slope) = {np.exp(slope):.6f}; distance after 40 steps {err[-1].max():.1e} "
      f"<= 0.8^40 x largest start distance = {0.8**40 * err[0].max():.1e}")
print(f"tan(angle to v1) per step: denoiser {dir_rate[0]:.4f} (f2/f1 = {fp[1] / fp[0]:.4f}), "
      f"power iteration {pw_rate[0]:.4f} (lambda2/lambda1 = {lam_p[1] / lam_p[0]:.4f})")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Mixtures of subspaces: the attention form
#
# Zero means, equal weights, $\Sigma_k=U_kU_k^\top$ with $U_k$ a $D\times P$ matrix with orthonormal
# columns (source eq. 13): component $k$ is an isotropic Gaussian on a $P$-dimensional subspace.
# Then eq. (8) becomes
#
# $$w_k(x_t)=\mathrm{softmax}_k\Big(\frac{\|U_k^\top x_t\|^2}{2t^2(1+t^2)}\Big),\qquad
# \bar x^*(t,x_t)=\frac1{1+t^2}\sum_{k=1}^K w_k(x_t)\,U_kU_k^\top x_t.$$
#
# Score each subspace by the energy of the projection, softmax at temperature $2t^2(1+t^2)$,
# average the projections, shrink by $1/(1+t^2)$.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(5 min)* Derive on the board: (U U^T + t^2 I)^{-1} = (I - U U^T/(1+t^2))/t^2 (eigenvalues
# 1 + t^2 on the subspace, t^2 off it); the determinant depends only on the rank; the
# ||x_t||^2/t^2 term is common to all k and cancels in the softmax. Ask: "Did we need the
# subspaces to be orthogonal?" (no, only equal ranks.)

# %% [markdown] slideshow={"slide_type": "skip"}
# **The derivation in three facts.**
#
# *Inverse (Sherman–Morrison–Woodbury).* $U_kU_k^\top$ is the projection onto the subspace, with
# eigenvalue 1 there and 0 on the complement. So $U_kU_k^\top+t^2I$ has eigenvalues $1+t^2$ and
# $t^2$, and
#
# $$(U_kU_k^\top+t^2I)^{-1}=\frac1{t^2}\Big(I-\frac{1}{1+t^2}U_kU_k^\top\Big),\qquad
# U_kU_k^\top(U_kU_k^\top+t^2I)^{-1}=\frac{1}{1+t^2}U_kU_k^\top.$$
#
# *Determinant.* $\det(U_kU_k^\top+t^2I)=(1+t^2)^P\,t^{2(D-P)}$. It depends on $U_k$ only through
# its rank $P$, so it is the same for all $k$ when the ranks are equal. Mutual orthogonality of
# the subspaces is *not* needed.
#
# *Weights.* In $\log\varphi(x_t;0,U_kU_k^\top+t^2I)$ the quadratic form is
# $x_t^\top(\cdot)^{-1}x_t=\|x_t\|^2/t^2-\|U_k^\top x_t\|^2/(t^2(1+t^2))$. The first term and the
# determinant are common to all $k$ and cancel in the normalised weights, which leaves the softmax
# above. With $K=1$ the output is eq. (14), $\frac1{1+t^2}UU^\top x_t$, the starting point of
# [chapter 4](04_pca.ipynb).
#
# We check each step on $D=10$, $K=4$, $P=2$ (random subspaces, not orthogonal) against the dense
# eq. (8) above, which keeps every common term: that it agrees shows the dropped terms cancel.

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
overlap = max(np.abs(U[j].T @ U[k]).max() for j in range(K) for k in range(K) if j != k)
print(f"D={D}, K={K}, P={P}, t = 0.3, 1, 3: softmax weights and output agree with dense eq. (8) "
      f"to 1e-12 (asserted), although max |U_j^T U_k| = {overlap:.2f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The attention map.** 30 points from each of 4 subspaces, noised with the same $g$ at three
# noise levels. Rows: points $x_t$ sorted by true component; columns: components $k$; colour:
# $w_k(x_t)$. Small $t$: block-diagonal. Large $t$: high temperature, $w_k\approx1/K$.

# %%
rng = np.random.default_rng(6)
xs_lr, ys_lr = gmm_lr.sample(120, rng, return_labels=True)
order = np.argsort(ys_lr, kind="stable")
xs_lr, ys_lr = xs_lr[order], ys_lr[order]
g = rng.standard_normal(xs_lr.shape)
fig, axes = plt.subplots(1, 3, figsize=(9.0, 3.6), sharey=True, layout="constrained")
acc_lines = []
for ax, t in zip(axes, (0.3, 1.0, 3.0), strict=True):
    W = cu.attention_weights(U, xs_lr + t * g, t)
    im = ax.imshow(W, aspect="auto", vmin=0, vmax=1, cmap="Blues", interpolation="nearest",
                   extent=(0.5, K + 0.5, len(W), 0))
    ax.set_xticks(range(1, K + 1))
    ax.set_xlabel("component k (key)")
    ax.set_title(f"t = {t:g} (temperature {2 * t**2 * (1 + t**2):.2f})", fontsize="small")
    ax.grid(False)
    acc = (W.argmax(1) == ys_lr).mean()
    acc_lines.append(f"t={t:g}: top weight on the true component {acc:.0%}, "
                     f"mean top weight {W.max(1).mean():.2f}")
axes[0].set_ylabel("point $x_t$ (sorted)")
fig.colorbar(im, ax=axes.tolist(), label="weight $w_k(x_t)$", fraction=0.03, pad=0.02)
plt.show()
print("; ".join(acc_lines) + f" (1/K = {1 / K})")

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Say: each row is one query; the softmax runs over the 4 columns. Ask: "At t = 3,
# what does the denoiser output?" (nearly the same average of projections for everyone, shrunk by
# 1/10: close to the data mean 0.) Point out that small t gives one-hot weights: the output is
# the projection onto the best subspace.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Is this attention? An honest comparison
#
# | | mixture denoiser | transformer self-attention |
# |---|---|---|
# | query | the noisy vector $x_t$ | $W_Qz_i$ for token $i$ |
# | keys | the $K$ subspaces $U_k$ (parameters) | $W_Kz_j$, one per **token** |
# | softmax over | the $K$ **components** | the $N$ **tokens** |
# | values | $U_kU_k^\top x_t/(1+t^2)$ (from the query) | $W_Vz_j$ (from other tokens) |
# | mixing | none: each $x_t$ alone | between tokens |
#
# Same *shape*, a softmax-weighted sum of values; different softmax.

# %% [markdown] slideshow={"slide_type": "skip"}
# The source says this form is "similar to the attention mechanism". The score is quadratic in
# $x_t$, $\|U_k^\top x_t\|^2/(2t^2(1+t^2))$, where attention's $q_i^\top k_j/\sqrt d$ is bilinear.
# The softmax runs over mixture components (think of them as memory slots), for **one** vector at a
# time. The book's own derivation of transformer-like attention (its chapter 4, from a
# compression objective) has a softmax over tokens inside each head. Below, changing one point
# leaves the denoised value of every other point unchanged; in token attention it moves every
# output.

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
moved_gmm = np.abs(cu.posterior_mean(gmm_lr, q, t)[1:] - cu.posterior_mean(gmm_lr, q2, t)[1:]).max()
moved = np.abs(token_attention(q)[1:] - token_attention(q2)[1:]).max()
assert moved_gmm == 0.0 and moved > 1e-3
print(f"change point 0 by 2: outputs of points 1-5 move by {moved_gmm:.1f} (mixture denoiser) "
      f"and by up to {moved:.2f} (token attention)")

# %% [markdown] slideshow={"slide_type": "notes"}
# *(4 min)* Say: the analogy is about form, not function. Ask: "In the denoiser, what plays the
# role of the other tokens?" (nothing: the keys are fixed parameters, so there is no mixing
# between data points.) The check under the table makes this concrete.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Interactive: noise level and number of subspaces
#
# $K$ lines through 0: the field $x_t\to\bar x^*$, the weights $w_k$ by direction, one Gaussian's factors.

# %% [markdown] slideshow={"slide_type": "skip"}
# The sliders below are live in JupyterLab with a running kernel; the static panel after them
# shows the same three panels at three noise levels.

# %% slideshow={"slide_type": "skip"} tags=["nbval-ignore-output"]
widget = wg.build_gmm_widget()
widget

# %%
fig, lines = wg.plot_gmm_small_multiples(((0.2, 3), (0.75, 3), (2.0, 3)))
plt.show()
print("\n".join(lines))

# %% [markdown] slideshow={"slide_type": "notes"}
# *(4 min)* The mixture is (1/K) sum_k N(0, u_k u_k^T): K lines through the origin. Top row:
# arrows from x_t to the denoised point, coloured by the winning line; bottom row: the weights
# w_k of points at radius 2, by direction; right: the factors lambda_i/(lambda_i + t^2) of a
# single Gaussian. Run the sliders live if a kernel is up; otherwise use the static panel. Things to
# try: small t (points snap onto the nearest line, one-hot weights), large t (short hops to 0,
# weights 1/K), larger K (narrower stripes in the weight map). Ask: "Why do
# the arrows near a line at t = 0.2 barely move, while at t = 2 everything moves to the centre?"
# (factor 1/(1+t^2) along a line, 0.96 vs 0.2; and the weights flatten.) Point at the bars: the
# same factor law for a single Gaussian, direction by direction.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Where the source errs
#
# - Eq. (9) prints the factors as a column vector: they form a **diagonal matrix**.
# - "Translate by $\mu$" must be "translate by $-\mu$".
# - "The iterates converge to the mean": only at a fixed $t$; the sampler of [chapter 5](05_sampling.ipynb) keeps the spread.
# - Eq. (10) is the law of $(x,x_t)$ **given the label**, not a model of its own.
# - Eq. (13) drops $\log\pi_k$ and needs equal ranks.
# - "Similar to attention" is an interpretation (section 6).

# %% [markdown] slideshow={"slide_type": "notes"}
# *(2 min)* One line each; the boxes below carry the numbers for readers. Ask: "Which of these
# would change a number you compute?" (all but the last: a column vector does not even multiply,
# +mu is off by 2 A mu, the missing log pi_k changes the weights.)

# %% [markdown] slideshow={"slide_type": "skip"}
# > **The factors are a diagonal matrix, not a column vector.** Eq. (9) typesets
# > $\lambda_i/(\lambda_i+t^2)$ as a column between $V$ and $V^\top$. Read literally,
# > $V\,(D\times1)\,V^\top$ does not multiply. The middle factor is
# > $\mathrm{diag}(\lambda_1/(\lambda_1+t^2),\dots,\lambda_D/(\lambda_D+t^2))$.

# %% slideshow={"slide_type": "skip"}
fcol = lin.eigen_contraction_factors(lam3, 0.8)[:, None]  # the column vector as printed
try:
    Q @ fcol @ Q.T
    literal = "multiplies"
except ValueError:
    literal = "ValueError: shapes do not match"
assert literal.startswith("ValueError")
diag_gap = np.abs(Q @ np.diag(fcol[:, 0]) @ Q.T - A_eig).max()
assert diag_gap < 1e-12
print(f"V @ column @ V^T -> {literal}; V @ diag(f) @ V^T equals Sigma (Sigma + t^2 I)^-1 "
      "to 1e-12 (asserted)")

# %% [markdown] slideshow={"slide_type": "skip"}
# > **Translate by $-\mu$.** The source says the first step translates $x_t$ "by $\mu$"; it must
# > subtract $\mu$. Translating by $+\mu$ gives $\mu+A(x_t+\mu)$, off by $2A\mu$, and no longer a
# > contraction towards $\mu$.

# %% slideshow={"slide_type": "skip"}
wrong = mu3 + (xt3 + mu3) @ A_eig.T
right = lin.gaussian_denoiser(xt3, mu3, Sigma3, 0.8)
gap = np.linalg.norm(wrong - right, axis=1)
assert np.allclose(gap, np.linalg.norm(2 * A_eig @ mu3))
print(f"'+mu' version is off by |2 A mu| = {gap[0]:.4f} for every point")

# %% [markdown] slideshow={"slide_type": "skip"}
# > **"The iterates converge to the mean μ."** True only for repeating the denoiser at a fixed
# > $t$ (section 4, rate $\lambda_1/(\lambda_1+t^2)$). The sampler of
# > [chapter 5](05_sampling.ipynb) lowers $t$ and keeps part of the current iterate; its gain per
# > direction tends to $\sqrt{\lambda_i/(\lambda_i+T^2)}\neq0$ (Going further A), so it preserves
# > spread. The source also omits the contraction inequality it refers to (stated in section 3).
# > The book's newer revision retracts the claim.

# %% slideshow={"slide_type": "skip"}
gain_1000 = float(ve_factor_product(1.0, 1.0, 1000))
print(f"lambda=1, T=1, L=1000: fixed-t map {0.5**1000:.1e} vs sampler {gain_1000:.4f} "
      f"(limit {np.sqrt(0.5):.4f})")

# %% [markdown] slideshow={"slide_type": "skip"}
# > **The joint Gaussian (eq. 10) is conditional on the label.** The source presents the block
# > matrix as "a GMM model with parameters". It is the law of $(x,x_t)$ **given $y$**, the step
# > that yields $\mathbb E[x\mid x_t,y]$ and hence eq. (8). It says nothing about learning, and
# > without conditioning $(x,x_t)$ is not Gaussian. Below, the excess kurtosis of $x_t$ along
# > $(1,1)/\sqrt2$ is about 0 given $y$ (Gaussian) but clearly negative without $y$ (bimodal); the
# > standard error of a sample excess kurtosis is about $\sqrt{24/n}$.

# %% slideshow={"slide_type": "skip"}
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

# %% [markdown] slideshow={"slide_type": "skip"}
# > **Eq. (13) silently drops $\pi_k$ and needs equal ranks.** The attention form is exact only for
# > equal weights, covariances $U_kU_k^\top$ with orthonormal $U_k$, equal ranks and zero means; the
# > source states none of these. The exact logits add $\log\pi_k+\frac{P_k}2\log\frac{t^2}{1+t^2}$
# > (Going further B measures how far off the unweighted form is).
#
# > **"This functional form is similar to attention … conducts denoising" is an interpretation.**
# > The softmax here is over $K$ components for one vector; in a transformer it is over tokens,
# > and information moves between them (section 6). The book itself claims only a similarity.

# %% [markdown] slideshow={"slide_type": "skip"}
# ## 9. Exercises
#
# **Exercise 1 (compute).** A Gaussian has covariance eigenvalues $\lambda=(9,4,1,0)$. At $t=2$,
# what are the four contraction factors of its denoiser? How many fixed-$t$ repetitions shrink
# $\|x-\mu\|$ by a factor 1000 at worst (the smallest whole number that is enough)?

# %% slideshow={"slide_type": "skip"}
my_factors = None  # your answer here: a list of 4 numbers
my_repetitions = None  # your answer here: a whole number
print(ex.check_contraction_factors(my_factors))
print(ex.check_repetitions(my_repetitions))

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# $f_i=\lambda_i/(\lambda_i+4)$: $9/13,\ 4/8,\ 1/5,\ 0$. The slowest direction shrinks by
# $9/13$ per step, so $n\ge\log(1000)/\log(13/9)\approx18.8$: 19 repetitions.
#
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
lam_ex = np.array(ex.EX1_EIGENVALUES)
sol_factors = lam_ex / (lam_ex + ex.EX1_T**2)
sol_reps = int(np.ceil(np.log(ex.EX1_SHRINK) / np.log(1 / sol_factors.max())))
assert ex.check_contraction_factors(sol_factors), "worked solution disagrees"
assert ex.check_repetitions(sol_reps), "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 2 (derive).** For $U\in O(D,P)$ show that $(UU^\top+t^2I)^{-1}=aI+bUU^\top$ and find
# $a$ and $b$ as functions of $t$ (Sherman–Morrison–Woodbury, or eigenvalues). Enter a
# function `t -> (a, b)`.

# %% slideshow={"slide_type": "skip"}
my_smw = None  # your answer here, e.g. lambda t: (..., ...)
print(ex.check_smw_coefficients(my_smw))

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# $UU^\top$ is a projection, so $UU^\top+t^2I$ has eigenvalue $1+t^2$ on its range and $t^2$ on
# the complement. Its inverse has eigenvalues $1/(1+t^2)$ and $1/t^2$. Writing it as $aI+bUU^\top$
# gives $a=1/t^2$ (complement) and $a+b=1/(1+t^2)$ (range), so
# $b=\frac1{1+t^2}-\frac1{t^2}=-\frac{1}{t^2(1+t^2)}$. Equivalently, Woodbury with $A=t^2I$, $C=I$:
# $t^{-2}I-t^{-4}U(I+t^{-2}I)^{-1}U^\top$.
#
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
assert ex.check_smw_coefficients(lambda t: (1 / t**2, -1 / (t**2 * (1 + t**2)))), \
    "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 3 (derive).** For the zero-mean mixture with weights $\pi=(0.5,0.3,0.2)$ and
# orthonormal bases of ranks $P=(1,2,4)$ at $t=0.5$, the logits are
# $c_k+\|U_k^\top x_t\|^2/(2t^2(1+t^2))$. Derive the offsets $c_k$ (any common constant may be
# added) and enter them as a list.

# %% slideshow={"slide_type": "skip"}
my_offsets = None  # your answer here: a list of 3 numbers
print(ex.check_rank_correction(my_offsets))

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# $\log\big(\pi_k\varphi(x_t;0,U_kU_k^\top+t^2I)\big)=\log\pi_k-\frac D2\log2\pi-\frac12\log\det(\cdot)
# -\frac{\|x_t\|^2}{2t^2}+\frac{\|U_k^\top x_t\|^2}{2t^2(1+t^2)}$. With
# $\log\det=P_k\log(1+t^2)+(D-P_k)\log t^2$, the $k$-dependent constant is
# $\log\pi_k-\frac{P_k}2\log(1+t^2)+\frac{P_k}{2}\log t^2=\log\pi_k+\frac{P_k}2\log\frac{t^2}{1+t^2}$.
#
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
t_ex = ex.EX3_T
assert ex.check_rank_correction(np.log(ex.EX3_WEIGHTS) + 0.5 * np.array(ex.EX3_RANKS)
                                * np.log(t_ex**2 / (1 + t_ex**2))), "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 4 (prove, then test).** Which of these conditions are *needed* for the unweighted
# attention form $\frac1{1+t^2}\sum_k\mathrm{softmax}_k\big(\|U_k^\top x_t\|^2/(2t^2(1+t^2))\big)U_kU_k^\top x_t$
# to equal eq. (8)? Choose exactly the needed ones, then break each one numerically to confirm.

# %% slideshow={"slide_type": "skip"}
for letter, text in ex.CONDITIONS.items():
    print(f"({letter}) {text}")
my_conditions = None  # your answer here, e.g. {"a", "d"}
print(ex.check_attention_conditions(my_conditions))

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# Needed: (a) equal weights, or else $\log\pi_k$ stays in the logits; (b) equal ranks, or else the
# determinant term stays; (c) covariances $U_kU_k^\top$ with orthonormal $U_k$, or else neither SMW
# in this form nor the projection values hold; (e) zero means, or else the scores involve
# $x_t-\mu_k$ and the values gain $\mu_k$. Not needed: (d) mutual orthogonality, (f) $K\le D$,
# (g) small $t$ (the identity holds for every $t>0$). The hidden cell below breaks each condition
# in turn, starting from a mixture that meets all seven, and asserts that the unweighted weights
# move (by more than $10^{-3}$) exactly when a needed condition is broken and stay exact (to
# $10^{-12}$) otherwise.
#
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
assert ex.check_attention_conditions({"a", "b", "c", "e"}), "worked solution disagrees"


def unweighted_gap(bases, weights=None, means=None, scale=1.0, t=0.5, n=50):
    """max |softmax(||B_k^T x||^2 / (2 t^2 (1 + t^2))) - true weights| for the mixture with
    covariances B_k B_k^T, B_k = scale * bases[k] (the unweighted form uses B_k as its U_k)."""
    k_, d_ = len(bases), bases[0].shape[0]
    weights = np.full(k_, 1 / k_) if weights is None else np.asarray(weights)
    means = np.zeros((k_, d_)) if means is None else means
    b = [scale * u for u in bases]
    x_ = np.random.default_rng(11).standard_normal((n, d_)) * 1.5
    true_w = cu.responsibilities(cu.GaussianMixture(weights, means, np.stack([u @ u.T for u in b])),
                                 x_, t)
    z_ = np.stack([((x_ @ u) ** 2).sum(1) for u in b], 1) / (2 * t**2 * (1 + t**2))
    return np.abs(softmax_rows(z_) - true_w).max()


r4 = np.random.default_rng(10)
U_ok = [np.linalg.qr(np.eye(D)[:, 2 * k:2 * k + 2] + 0.0 * r4.standard_normal((D, 2)))[0]
        for k in range(3)]  # mutually orthogonal, rank 2, orthonormal
U_overlap = [np.linalg.qr(r4.standard_normal((D, 2)))[0] for _ in range(3)]
U_ranks = [np.linalg.qr(r4.standard_normal((D, p)))[0] for p in (1, 2, 4)]
U_many = [np.linalg.qr(r4.standard_normal((D, 1)))[0] for _ in range(12)]  # K = 12 > D
gaps = {
    "none broken": unweighted_gap(U_ok),
    "a": unweighted_gap(U_ok, weights=[0.6, 0.3, 0.1]),
    "b": unweighted_gap(U_ranks),
    "c": unweighted_gap(U_ok, scale=2.0),
    "d": unweighted_gap(U_overlap),
    "e": unweighted_gap(U_ok, means=r4.standard_normal((3, D))),
    "f": unweighted_gap(U_many),
    "g": unweighted_gap(U_ok, t=2.0),
}
assert gaps["none broken"] < 1e-12
assert all(gaps[c] > 1e-3 for c in "abce"), gaps
assert all(gaps[c] < 1e-12 for c in "dfg"), gaps

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * Given the label, $(x,x_t)$ is jointly Gaussian (eq. 10); the mixture denoiser (eq. 8) is the
#   posterior-weighted average of $K$ affine denoisers (checked against Monte Carlo).
# * One component: subtract $\mu$, multiply eigendirection $i$ by $\lambda_i/(\lambda_i+t^2)$, add $\mu$.
# * Repeating it at fixed $t$ converges to the point $\mu$; power iteration converges to a line.
# * Subspace mixtures (equal weights and ranks, zero means): $\frac1{1+t^2}\sum_k\mathrm{softmax}_k\big(\tfrac{\|U_k^\top x_t\|^2}{2t^2(1+t^2)}\big)U_kU_k^\top x_t$, exactly.
# * It has the shape of attention, but its softmax runs over components, for one vector at a time.
#
# **Next: [chapter 4](04_pca.ipynb).** Learning the denoiser $\frac1{1+t^2}VV^\top x_t$ of one
# unknown subspace from the denoising loss is PCA.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(2 min)* Recap the five bullets. Ask: "If you had to learn U_k from data, which loss would you
# minimise?" (the denoising loss: [chapter 4](04_pca.ipynb).)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ## Going further A: this is not the sampler
#
# The fixed-$t$ repetition of section 4 converges to $\mu$, but the sampler of
# [chapter 5](05_sampling.ipynb) does something else. It lowers $t$ along $t_\ell=T\ell/L$ and
# keeps part of the current point: $\hat x\leftarrow(1-\tfrac1\ell)\hat x+\tfrac1\ell\bar x^*(t_\ell,\hat x)$.
# For one Gaussian, coordinate $i$ of $\hat x-\mu$ is then multiplied by
# $c_\ell=(1-\tfrac1\ell)+\tfrac1\ell\tfrac{\lambda_i}{\lambda_i+t_\ell^2}$ at step $\ell$. The
# product $\prod_{\ell=1}^L c_\ell$ tends to $\sqrt{\lambda_i/(\lambda_i+T^2)}$, **not** to 0:
# exactly the factor that turns a start of spread $\sqrt{\lambda_i+T^2}$ into spread
# $\sqrt{\lambda_i}$. The gap to the limit is a Riemann-sum error of order $1/L$; we check it is
# below $1/L$.

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
T = 1.0
lams = np.array([0.1, 1.0, 10.0])
limit = np.sqrt(lams / (lams + T**2))
fixed = lin.eigen_contraction_factors(lams, T)
print(" lambda | fixed-t map f^L, L=1000 | sampler gain L=10   L=100  L=1000 | limit sqrt(l/(l+T^2))")
for i, lm in enumerate(lams):
    gl = [float(ve_factor_product(lm, T, L)) for L in (10, 100, 1000)]
    assert abs(gl[2] - limit[i]) < 1 / 1000
    print(f" {lm:6.1f} | {fixed[i] ** 1000:23.1e} | {gl[0]:17.4f} {gl[1]:7.4f} {gl[2]:7.4f} | {limit[i]:.4f}")

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ## Going further B: unequal weights and unequal ranks
#
# Keep $\pi_k$ and let the ranks $P_k$ differ. The determinant no longer cancels:
# $-\frac12\log\det=-\frac{P_k}2\log(1+t^2)-(D-P_k)\log t$. Dropping what is common to all $k$,
# the logit of component $k$ is
#
# $$\log\pi_k+\frac{P_k}{2}\log\frac{t^2}{1+t^2}+\frac{\|U_k^\top x_t\|^2}{2t^2(1+t^2)}.$$
#
# The middle term is negative and proportional to $P_k$: it penalises high-rank components, whose
# density is spread over more dimensions. The last term favours them, since a random vector has
# more energy in a larger subspace. The source's eq. (13) drops both the $\log\pi_k$ and the rank
# term. The figure shows how wrong that is for ranks $(1,2,4)$ and weights $(0.5,0.3,0.2)$.

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
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
    assert np.abs(softmax_rows(logit) - w_true).max() < 1e-12  # the corrected form is exact
    assert np.abs(cu.attention_weights(U_u, xt_u, t, weights=pis_u) - w_true).max() < 1e-12
    w_naive = softmax_rows(proj / (2 * t**2 * (1 + t**2)))  # eq. (13) as printed
    x_true = cu.posterior_mean(gmm_u, xt_u, t)
    x_naive = sum(w_naive[:, [k]] * (xt_u @ u) @ u.T for k, u in enumerate(U_u)) / (1 + t**2)
    naive_err.append(np.abs(w_naive - w_true).sum(1).mean() / 2)
    naive_den.append(np.linalg.norm(x_naive - x_true, axis=1).mean()
                     / np.linalg.norm(x_true, axis=1).mean())
naive_err, naive_den = np.array(naive_err), np.array(naive_den)
assert naive_err.max() > 0.25  # far from a rounding effect
fig, ax = plt.subplots(figsize=(6.2, 3.4))
ax.semilogx(ts_u, naive_err, "o-", label="weights: mean total-variation distance")
ax.semilogx(ts_u, naive_den, "s-", label="outputs: mean error / mean norm")
ax.set_xlabel("noise level t")
ax.set_ylabel("error of the unweighted form")
ax.set_ylim(0, 1)
ax.set_title(r"Eq. (13) without $\log\pi_k$ and the rank term (ranks 1, 2, 4)")
ax.legend(fontsize="small")
plt.show()
print("t                          :", ts_u.tolist())
print("mean total-variation error :", np.round(naive_err, 3).tolist())
print("relative denoiser error    :", np.round(naive_den, 3).tolist())

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ## Going further C: other schedules, and the two temperature limits
#
# For a general process $x_t=\alpha_tx+\sigma_tg$ the same computation gives weights
# $\mathrm{softmax}_k\big(\alpha_t^2\|U_k^\top x_t\|^2/(2\sigma_t^2(\alpha_t^2+\sigma_t^2))\big)$
# (plus the corrections above) and components $\frac{\alpha_t}{\alpha_t^2+\sigma_t^2}U_kU_k^\top x_t$.
# For VP ($\alpha_t^2+\sigma_t^2=1$) these become $\alpha_tU_kU_k^\top x_t$ and
# $(1-t^2)\|U_k^\top x_t\|^2/(2t^2)$.
#
# **Limits.** As $t\to\infty$ the temperature grows without bound: the weights tend to $1/K$ and
# the output to 0 (the mean of the data). If the logits span a range $\Delta$, each weight lies in
# $[e^{-\Delta}/K,e^{\Delta}/K]$. As $t\to0^+$ the temperature vanishes: for a generic $x_t$ the
# weights become one-hot on $\arg\max_k\|U_k^\top x_t\|$ and the output is the projection onto
# that subspace. If the winner leads by a logit margin $m$, its weight is at least
# $1-(K-1)e^{-m}$.

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
vp = cu.VP()
for t in (0.2, 0.6, 0.95):
    a = np.sqrt(1 - t**2)
    proj = np.stack([((xq @ u) ** 2).sum(1) for u in U], 1)
    w_vp = softmax_rows((1 - t**2) * proj / (2 * t**2))
    out_vp = a * sum(w_vp[:, [k]] * (xq @ U[k]) @ U[k].T for k in range(K))
    assert np.abs(cu.responsibilities(gmm_lr, xq, t, vp) - w_vp).max() < 1e-12
    assert np.abs(cu.posterior_mean(gmm_lr, xq, t, vp) - out_vp).max() < 1e-12
print("VP attention form agrees with the general eq. (8) in alpha/sigma form at t = 0.2, 0.6, 0.95 "
      "to 1e-12 (asserted)")

proj = np.stack([((xq @ u) ** 2).sum(1) for u in U], 1)
t = 30.0
w_hot = cu.attention_weights(U, xq, t)
spread = (proj.max(1) - proj.min(1)) / (2 * t**2 * (1 + t**2))
assert np.all(np.abs(w_hot - 1 / K).max(1) <= np.expm1(spread) / K + 1e-15)
xbar_hot = np.linalg.norm(cu.attention_denoiser(U, xq, t), axis=1)
assert np.all(xbar_hot <= np.linalg.norm(xq, axis=1) / (1 + t**2) * (1 + 1e-12))
print(f"t={t:g}: max |w_k - 1/K| = {np.abs(w_hot - 1 / K).max():.1e} "
      f"(bound {np.expm1(spread).max() / K:.1e}); max |xbar| = {xbar_hot.max():.4f}")
t = 0.05
w_cold = cu.attention_weights(U, xq, t)
top2 = np.sort(proj, 1)[:, -2:]
margin = (top2[:, 1] - top2[:, 0]) / (2 * t**2 * (1 + t**2))
clear = margin > 5
assert np.all(w_cold[clear].argmax(1) == proj[clear].argmax(1))
lower = 1 - (K - 1) * np.exp(-margin[clear])
assert np.all(w_cold[clear].max(1) >= lower)
print(f"t={t:g}: {clear.mean():.0%} of points have logit margin > 5; all of them put their top "
      f"weight on argmax ||U_k^T x|| (asserted), smallest top weight "
      f"{w_cold[clear].max(1).min():.4f} >= its bound {lower[np.argmin(w_cold[clear].max(1))]:.4f}")
