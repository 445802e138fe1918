# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
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
# # Chapter 2 — Diffusion, denoising and Tweedie's formula
#
# A diffusion model learns a distribution by learning to **undo noise**. We blur the data with
# more and more Gaussian noise until nothing of it is left, then learn the map that takes a noisy
# point back towards the data. This chapter makes the two halves precise: the *forward process*
# that adds the noise, and the *Bayes-optimal denoiser* $\bar x^*(t, x_t) = \mathbb E[x \mid x_t]$
# that removes it as well as anything can. Tweedie's formula links the two: the best denoiser is one
# gradient-ascent step on the log-density of the noisy data, so *learning to denoise is learning
# the score*.
#
# **Learning objectives.** After this chapter you can
# 1. write the forward process $x_t = x + t g$, say what $g$ is, and why one $g$ serves every $t$;
# 2. compute the density of a noised Gaussian mixture and describe how it spreads as $t$ grows;
# 3. show that the conditional mean minimises the mean-squared error, and measure by how much;
# 4. state, derive and numerically verify Tweedie's formula, in its plain and its
#    $\alpha_t / \sigma_t$ form, and rewrite it as noise prediction;
# 5. work the two-point example and explain why one big denoising step lands off the data.
#
# **Prerequisites.** Chapter 1 (entropy; why noise makes low-dimensional data measurable). Linear
# algebra, Gaussian densities, conditional expectation.
#
# **Source equations covered** (numbering of the seed text): (2) the noise model
# $x_t = x + t g$; (3) the denoiser as a conditional mean; (4) Tweedie's formula; (5)–(6) the
# general $\alpha_t, \sigma_t$ model and its Tweedie formula; (11) the denoising loss; and the
# book's two-point example behind "one big step is not enough".

# %%
import matplotlib.pyplot as plt
import numpy as np

import course_utils as cu
from course_utils import diffusion as df
from course_utils.exercises import tweedie as ex
from course_utils.plotting import PALETTE, use_style
from course_utils.widgets import tweedie as tw

use_style()
gmm = df.mixture_2d()  # the 2-D mixture of the source's figures (K = 3, D = 2)
print(gmm, "weights", gmm.weights.round(3), "means", gmm.means.tolist())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The forward process
#
# Let $x \in \mathbb R^D$ be a data point drawn from the data distribution $p$, and let
# $g \sim \mathcal N(0, I_D)$ be **standard Gaussian noise, independent of $x$**. The noisy
# version of $x$ at noise level $t \ge 0$ is
#
# $$x_t \doteq x + t\, g, \qquad t \in [0, T]. \tag{2}$$
#
# Two details matter later. First, $g$ is independent of $x$, so conditionally on $x$,
# $x_t \sim \mathcal N(x, t^2 I)$. Second, **one draw of $g$ is shared by every $t$**: the whole
# path $(x_t)_{t \ge 0}$ is the straight ray from $x$ in the direction $g$. Then
# $x_t - x_s = (t - s) g$ and, for $s \le t$,
# $\operatorname{Cov}(x_s, x_t) = \operatorname{Cov}(x) + s t\, I$. (Had we used independent
# Brownian increments, the marginals of each $x_t$ would be the same but the cross-covariance
# would be $\operatorname{Cov}(x) + s^2 I$; chapter 5's sampler depends on which coupling we use.)

# %%
rng = np.random.default_rng(42)
x100 = gmm.sample(100, rng)  # the source's figure F2: 100 samples, seed 42
T_F2 = (0.0, 1.0, 2.0, 3.0, 5.0, 10.0)
paths, g100 = df.forward_process(x100, T_F2, rng, return_noise=True)  # shape (6, 100, 2)

# one g for every t: (x_t - x) / t is the same vector for all t > 0
g_recovered = (paths[1:] - x100) / np.array(T_F2[1:])[:, None, None]
shared_err = np.abs(g_recovered - g100).max()
assert shared_err < 1e-12 and np.array_equal(paths[0], x100)
print("(x_t - x)/t equals the same g for all t:", shared_err < 1e-12)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Check of the coupling.** With $s = 1$, $t = 3$ the cross-covariance should be
# $\operatorname{Cov}(x) + 3 I$, not $\operatorname{Cov}(x) + I$. We estimate each entry of
# $\mathbb E[(x_s - m)(x_t - m)^\top]$ ($m = \mathbb E x$, known exactly) from 200 000 paths, with
# its Monte Carlo standard error (SE), and accept agreement within 4 SE.

# %%
m_x, cov_x = df.mixture_moments(gmm)
x_big = gmm.sample(200_000, np.random.default_rng(0))
x_s, x_t = df.forward_process(x_big, [1.0, 3.0], np.random.default_rng(1))
prod = ((x_s - m_x)[:, :, None] * (x_t - m_x)[:, None, :]).reshape(-1, 4)
cross_mc, cross_se = df.mean_and_se(prod)
shared_pred = (cov_x + 1.0 * 3.0 * np.eye(2)).ravel()
brownian_pred = (cov_x + 1.0**2 * np.eye(2)).ravel()
z_shared = np.abs(cross_mc - shared_pred) / cross_se
z_brown = np.abs(cross_mc - brownian_pred) / cross_se
assert z_shared.max() < 4  # 4 standard errors
assert z_brown.max() > 20  # the other coupling is rejected by far
print("Monte Carlo  Cov(x_1, x_3):", cross_mc.round(2), "+/-", cross_se.max().round(2))
print("shared g:    Cov(x) + 3 I: ", shared_pred.round(2), " max |z| =", z_shared.max().round(1))
print("independent: Cov(x) + 1 I: ", brownian_pred.round(2), " max |z| =", z_brown.max().round(0))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. What noise does to a density
#
# Our running example is the source's 2-D mixture of $K = 3$ Gaussians with equal weights,
# means $(-3,-3), (3,3), (0,3)$ and covariances $\Sigma_k = F_k F_k^\top$:
# an elongated tilted ellipse, a vertical one, and a thin diagonal one. If
# $x \sim \sum_k \pi_k \mathcal N(\mu_k, \Sigma_k)$ then, given the component, $x$ and $t g$ are
# independent Gaussians, so their sum is Gaussian with the covariances added:
#
# $$p_t(\xi) = \sum_{k=1}^K \pi_k\, \varphi(\xi;\ \mu_k,\ \Sigma_k + t^2 I).$$
#
# Noise adds $t^2$ to every eigenvalue: thin directions fatten first, then everything becomes one
# round blob of width about $t$.
#
# **Check.** The mass of $p_t$ inside the plotting window $[-8, 8]^2$, integrated on the
# $100 \times 100$ grid (trapezoid rule), must match the fraction of the 200 000 noised samples
# that land in the window (binomial SE; the grid error is negligible at this resolution).

# %%
x_ts = df.forward_process(x_big, T_F2, np.random.default_rng(2))
grids = {t: df.density_grid(gmm, t, lim=8.0, n=100) for t in T_F2}
xs = grids[0.0][0]
h = xs[1] - xs[0]
print("   t  mass(grid)  fraction(MC) +/- SE   peak p_t   share of mass where p_t > 0.01")
for t, xt in zip(T_F2, x_ts, strict=True):
    dens = grids[t][1]
    mass = np.trapezoid(np.trapezoid(dens, dx=h, axis=1), dx=h)
    frac, se = df.mean_and_se(np.all(np.abs(xt) <= 8.0, axis=1).astype(float))
    saturated = dens[dens > 0.01].sum() / dens.sum()
    assert abs(mass - frac) < 4 * se
    print(f"{t:4g}  {mass:10.4f}  {frac:12.4f} +/- {se:.4f}  {dens.max():8.4f}   {saturated:6.2f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Choice of colour scale.** The source draws every panel on one fixed scale, 0 to 0.01. The
# last column above shows what that does: at $t = 0$ the peak density is 0.14, fourteen times the
# top of the scale, and 88% of the probability mass sits in cells that would all be painted the
# same darkest blue, so the shapes of the three ellipses disappear into flat blobs. At $t = 10$ the
# peak is 0.0015, 15% of the scale, and the panel is nearly white. A fixed scale shows that the
# density *flattens*; it cannot show its *shape* at both ends. We therefore scale each panel to its
# own peak (0 to 1.3 × peak) and print the peak in the panel title, so both pieces of information
# survive.

# %%
fig, axes = plt.subplots(2, 3, figsize=(10.5, 7.2))
for ax, t, xt in zip(axes.ravel(), T_F2, paths, strict=True):
    dens = grids[t][1]
    ax.imshow(dens, origin="lower", extent=(-8, 8, -8, 8), cmap="Blues", vmin=0,
              vmax=1.3 * dens.max())
    ax.scatter(*xt.T, s=7, color=PALETTE["vermillion"], label="noisy samples $x_t$")
    ax.set(xlim=(-8, 8), ylim=(-8, 8), title=f"t = {t:g}  (peak {dens.max():.4f})",
           xlabel="$x_1$", ylabel="$x_2$")
    ax.set_aspect("equal")
    ax.grid(False)
axes[0, 0].legend(loc="lower right", fontsize=8)
fig.suptitle("Density $p_t$ of the noised mixture and 100 noisy samples (one g shared by all t)")
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The best denoiser is the conditional mean
#
# A *denoiser* is any function $\bar x(t, \cdot)$ that guesses $x$ from $x_t$. We score it by
# the mean-squared error $\mathbb E\,\|x - \bar x(t, x_t)\|^2$ (the loss (11) of the source). The
# best one is
#
# $$\bar x^*(t, \xi) \doteq \mathbb E[x \mid x_t = \xi]. \tag{3}$$
#
# *Why.* Write $\bar x^* = \bar x^*(t, x_t)$ and let $h(x_t)$ be any other estimator. The error
# $x - \bar x^*$ is **orthogonal** to every function $f(x_t)$:
# $\mathbb E[(x - \bar x^*)^\top f(x_t)] = \mathbb E\big[\mathbb E[x - \bar x^* \mid x_t]^\top f(x_t)\big] = 0$.
# Taking $f = \bar x^* - h$,
#
# $$\mathbb E\|x - h\|^2 = \mathbb E\|x - \bar x^*\|^2 + \mathbb E\|\bar x^* - h\|^2
# \;\ge\; \mathbb E\|x - \bar x^*\|^2 .$$
#
# For a Gaussian mixture, $\mathbb E[x \mid x_t]$ has a closed form (chapter 3 derives it):
# `cu.posterior_mean(gmm, x_t, t)`.
#
# **Check at $t = 2$.** We compare three estimators on 100 000 fresh pairs $(x, x_t)$: doing
# nothing ($x_t$ itself, whose MSE is exactly $D t^2 = 8$), the best *affine* estimator
# $m + C (C + t^2 I)^{-1}(x_t - m)$ (a matrix shrinkage towards the mean, built from the mean $m$
# and covariance $C$ of $x$), and the conditional mean. Differences are paired (same samples), so
# their SE is small.

# %%
t_mse = 2.0
rng = np.random.default_rng(3)
x_m = gmm.sample(100_000, rng)
x_mt = x_m + t_mse * rng.standard_normal(x_m.shape)
estimates = {
    "x_t itself": x_mt,
    "best affine": df.affine_denoiser(gmm, x_mt, t_mse),
    "E[x | x_t]": cu.posterior_mean(gmm, x_mt, t_mse),
}
sq_err = {name: ((est - x_m) ** 2).sum(axis=1) for name, est in estimates.items()}
best = sq_err["E[x | x_t]"]
print("estimator      MSE +/- SE        excess over E[x|x_t] +/- SE")
for name, err in sq_err.items():
    mse, se = df.mean_and_se(err)
    gap, gap_se = df.mean_and_se(err - best)
    print(f"{name:12s} {mse:7.3f} +/- {se:.3f}    {gap:7.3f} +/- {gap_se:.3f}")
    if name != "E[x | x_t]":
        assert gap > 4 * gap_se  # strictly worse, by more than 4 SE
mse_xt, se_xt = df.mean_and_se(sq_err["x_t itself"])
assert abs(mse_xt - 2 * t_mse**2) < 4 * se_xt  # E||t g||^2 = D t^2

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Orthogonality, measured.** The error $x - \bar x^*$ should be uncorrelated with any function of
# $x_t$; we try $x_{t,1}$, $x_{t,2}$ and $\tanh(x_{t,1})$, and the Pythagorean identity above for
# the affine estimator: the cross term $2(x-\bar x^*)^\top(\bar x^* - h)$ must average to zero.

# %%
resid = x_m - estimates["E[x | x_t]"]
tests = np.column_stack([
    resid * x_mt[:, :1], resid * x_mt[:, 1:], resid * np.tanh(x_mt[:, :1]),
    2 * (resid * (estimates["E[x | x_t]"] - estimates["best affine"])).sum(axis=1),
])
mean_t, se_t = df.mean_and_se(tests)
z_orth = np.abs(mean_t) / se_t
assert z_orth.max() < 4
print("E[(x - xbar*) f(x_t)] / SE for 7 test functions:", z_orth.round(1))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Tweedie's formula
#
# For the noise model (2) the conditional mean is a gradient step on the log-density of $x_t$:
#
# $$\mathbb E[x \mid x_t] = x_t + t^2\, \nabla_{x_t} \log p_t(x_t). \tag{4}$$
#
# *Derivation.* $p_t(\xi) = \int p(x)\, \varphi(\xi; x, t^2 I)\, dx$, and
# $\nabla_\xi \varphi(\xi; x, t^2 I) = \varphi(\xi; x, t^2 I)\,(x - \xi)/t^2$. Differentiating under
# the integral,
# $t^2 \nabla p_t(\xi) = \int (x - \xi)\, p(x) \varphi(\xi; x, t^2I)\, dx
# = p_t(\xi)\,(\mathbb E[x \mid x_t = \xi] - \xi)$, by Bayes' rule
# $p(x \mid x_t = \xi) = p(x)\varphi(\xi; x, t^2 I)/p_t(\xi)$. Divide by $p_t(\xi)$.
#
# So the denoiser moves $x_t$ along the **score** $\nabla \log p_t$, with step size $t^2$: the
# arrows in the next figure are (scaled) score vectors, and they point up the density of the
# *noisy* data.
#
# **Check 1 (the score).** We differentiate `gmm.logpdf(., t)` by central differences
# ($h = 10^{-4}$, error $O(h^2)$) and compare $x_t + t^2 \nabla \log p_t$ with the closed-form
# posterior mean at the 10 points of the source's figure F3 (seed 43), for six noise levels.

# %%
T_F3 = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
fields = {t: tw.tweedie_field(t, n=10) for t in T_F3}  # F3: 10 fresh samples, seed 43
for t in T_F3:
    pts = fields[t]["x_t"]
    fd_score = df.finite_difference_grad(lambda p, t=t: gmm.logpdf(p, t), pts, h=1e-4)
    via_tweedie = cu.tweedie(pts, fd_score, t)  # x_t + t^2 * score
    err = np.abs(via_tweedie - fields[t]["denoised"]).max()
    assert err < 1e-6 * (1 + t**2)  # finite-difference error, magnified by the step t^2
    print(f"t = {t:4g}: first point  x_t + t^2 grad log p_t = {via_tweedie[0].round(4)}, "
          f"E[x|x_t] = {fields[t]['denoised'][0].round(4)}, agree to 1e-6: {err < 1e-6 * (1 + t**2)}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Check 2 (the conditional mean itself).** The closed form could share a mistake with the
# log-density. An independent estimate of $\mathbb E[x \mid x_t]$ needs only samples of $x$:
# by Bayes, the posterior of $x$ given $x_t$ is the prior reweighted by the likelihood
# $\varphi(x_t; x, t^2 I)$. With prior samples $x^{(1)}, \dots, x^{(m)}$,
#
# $$\widehat{\mathbb E}[x \mid x_t] = \sum_i w_i\, x^{(i)}, \qquad
# w_i = \frac{\varphi(x_t; x^{(i)}, t^2 I)}{\sum_j \varphi(x_t; x^{(j)}, t^2 I)}$$
#
# (self-normalised importance sampling; SE by the delta method,
# $\sqrt{\sum_i w_i^2 (x^{(i)} - \widehat{\mathbb E})^2}$). With $m = 200\,000$ we accept
# agreement within 4 SE in every coordinate.

# %%
prior = gmm.sample(200_000, np.random.default_rng(7))
for t in (1.0, 2.0, 5.0):
    f = fields[t]
    mc_mean, mc_se, ess = df.mc_posterior_mean(prior, f["x_t"], t)
    z = np.abs(mc_mean - f["denoised"]) / mc_se
    assert z.max() < 4
    print(f"t = {t:g}: max |MC - closed form| / SE = {z.max():.1f} over 20 coordinates; "
          f"SE <= {mc_se.max():.3f}; effective sample size >= {ess.min():.0f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The source's figure F3, redrawn: 10 fresh samples (black crosses), their noisy versions $x_t$
# (vermillion) and the denoised points $\bar x^*(t, x_t)$ (green), with arrows $x_t \to \bar x^*$,
# that is, $t^2$ times the score. At small $t$ the arrows are short and point back to the sample's
# own component. As $t$ grows they point to the modes, and at $t = 10$ every arrow ends near the
# global mean $\mathbb E[x] = (0, 1)$: the noisy point says almost nothing about where $x$ was.

# %%
fig, axes = plt.subplots(2, 3, figsize=(10.5, 7.2))
for j, (ax, t) in enumerate(zip(axes.ravel(), T_F3, strict=True)):
    tw.draw_panel(ax, fields[t], legend=(j == 0))
    ax.set_title(f"t = {t:g}")
fig.suptitle(r"Noisy $x_t$ and the Bayes denoiser $\bar x^*(t, x_t)$; arrow = $t^2\,\nabla\log p_t(x_t)$")
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. The general form: $x_t = \alpha_t x + \sigma_t g$
#
# Other schedules scale the data as they add noise:
#
# $$x_t \doteq \alpha_t\, x + \sigma_t\, g, \qquad t \in [0, T], \tag{5}$$
#
# with $\sigma_t$ increasing and $\alpha_t$ non-increasing. The *variance-exploding* (VE) model (2)
# is $\alpha_t = 1, \sigma_t = t$; the *variance-preserving* (VP) model has $T = 1$,
# $\alpha_t = \sqrt{1 - t^2}$, $\sigma_t = t$ (chapter 6). Repeating the derivation with the
# likelihood $\varphi(\xi; \alpha_t x, \sigma_t^2 I)$ gives
#
# $$\mathbb E[x \mid x_t] = \frac{1}{\alpha_t}\Big(x_t + \sigma_t^2\, \nabla_{x_t} \log p_t(x_t)\Big),
# \qquad \alpha_t > 0. \tag{6}$$
#
# The gradient is taken **at the noisy point $x_t$**, and the formula needs $\alpha_t > 0$: at the
# VP endpoint $t = 1$, $x_1 = g$ carries no information about $x$, so $\mathbb E[x \mid x_1] = \mathbb E[x]$
# whatever $x_1$ is, and (6) would divide by zero.
#
# **Check (VP).** Finite-difference score of the VP-noised mixture density versus the closed-form
# posterior mean, at $t = 0.3, 0.6, 0.9, 0.99$; and a Monte Carlo check at $t = 0.6$.

# %%
vp = cu.VP()
x10 = fields[1.0]["x"]  # the F3 samples and their shared noise g (x_t at t = 1 is x + g)
g10 = fields[1.0]["x_t"] - x10
for t in (0.3, 0.6, 0.9, 0.99):
    pts = float(vp.alpha(t)) * x10 + t * g10
    fd_score = df.finite_difference_grad(lambda p, t=t: gmm.logpdf(p, t, vp), pts, h=1e-4)
    closed = cu.posterior_mean(gmm, pts, t, vp)
    err = np.abs(cu.tweedie(pts, fd_score, t, vp) - closed).max()
    tol = 1e-6 / float(vp.alpha(t))  # finite-difference error, magnified by 1/alpha_t
    assert err < tol
    print(f"VP t = {t:4g} (alpha = {float(vp.alpha(t)):.3f}): (x_t + sigma^2 score)/alpha "
          f"matches E[x|x_t]: {err < tol}")
pts = float(vp.alpha(0.6)) * x10 + 0.6 * g10
mc_mean, mc_se, _ = df.mc_posterior_mean(prior, pts, 0.6, vp)
z = np.abs(mc_mean - cu.posterior_mean(gmm, pts, 0.6, vp)) / mc_se
assert z.max() < 4
print(f"VP t = 0.6: Monte Carlo posterior mean agrees, max |z| = {z.max():.1f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# At $t = 1$ the closed form returns the global mean for any input, and Tweedie's formula refuses:

# %%
at_one = cu.posterior_mean(gmm, pts, 1.0, vp)
assert np.allclose(at_one, m_x, atol=1e-12)
print("E[x | x_1] for 10 different x_1:", np.unique(at_one.round(6), axis=0).tolist(),
      "= E[x] =", m_x.round(6).tolist())
try:
    cu.tweedie(pts, np.zeros_like(pts), 1.0, vp)
except ValueError as err:
    print("cu.tweedie at VP t = 1 ->", err)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Predicting the noise instead
#
# Given a denoiser $\bar x$, the noise it implies is read off (5):
#
# $$\bar g \doteq \frac{x_t - \alpha_t \bar x}{\sigma_t}, \qquad
# g - \bar g = \frac{\alpha_t}{\sigma_t}\,(\bar x - x),$$
#
# since $g = (x_t - \alpha_t x)/\sigma_t$. The second identity holds **sample by sample**, so
# $\mathbb E\|g - \bar g\|^2 = \frac{\alpha_t^2}{\sigma_t^2}\,\mathbb E\|x - \bar x\|^2$ for every
# denoiser: at a fixed $t$ both losses have the same minimiser. For the Bayes denoiser, Tweedie
# gives $\bar g = -\sigma_t \nabla \log p_t(x_t)$: predicting the noise is predicting the
# (scaled) score. Only when the losses are *averaged over t* does the factor
# $\alpha_t^2/\sigma_t^2$ matter: it reweights the noise levels (it is 8.0 at $t = 1/3$ and 0.02
# at $t = 0.99$ in VP).

# %%
t_n = 0.6
rng = np.random.default_rng(5)
x_n = gmm.sample(50_000, rng)
g_n = rng.standard_normal(x_n.shape)
x_nt = float(vp.alpha(t_n)) * x_n + t_n * g_n
a_n, s_n = float(vp.alpha(t_n)), t_n
for name, xbar in [("Bayes", cu.posterior_mean(gmm, x_nt, t_n, vp)),
                   ("best affine", df.affine_denoiser(gmm, x_nt, t_n, vp))]:
    gbar = (x_nt - a_n * xbar) / s_n
    assert np.allclose(g_n - gbar, a_n / s_n * (xbar - x_n), atol=1e-12)
    loss_x, loss_g = ((x_n - xbar) ** 2).sum(1).mean(), ((g_n - gbar) ** 2).sum(1).mean()
    assert abs(loss_g - a_n**2 / s_n**2 * loss_x) < 1e-10 * loss_g
    print(f"{name:11s}: E||x - xbar||^2 = {loss_x:.4f}, E||g - gbar||^2 = {loss_g:.4f}, "
          f"ratio = {loss_g / loss_x:.4f} = alpha^2/sigma^2 = {a_n**2 / s_n**2:.4f}")
gbar_bayes = (x_nt[:5] - a_n * cu.posterior_mean(gmm, x_nt[:5], t_n, vp)) / s_n
assert np.allclose(gbar_bayes, -s_n * cu.score(gmm, x_nt[:5], t_n, vp), atol=1e-10)
print("Bayes gbar = -sigma_t * score:", True)
weight = lambda t: (1 - t**2) / t**2  # alpha_t^2 / sigma_t^2 in VP  # noqa: E731
assert abs(weight(1 / 3) - 8.0) < 1e-12 and abs(weight(0.99) - 0.0203) < 1e-4
print(f"VP loss factor alpha^2/sigma^2: t = 1/3 -> {weight(1 / 3):.2f}, t = 0.99 -> {weight(0.99):.4f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. The two-point example, and why one big step is not enough
#
# Take the simplest possible data: $x$ is $-1$ or $+1$ with probability $1/2$ each ($D = 1$; a
# mixture of two Gaussians with zero variance). By Bayes,
#
# $$\Pr[x = +1 \mid x_t] = \frac{\varphi(x_t; 1, t^2)}{\varphi(x_t; 1, t^2) + \varphi(x_t; -1, t^2)}
# = \frac{1}{1 + e^{-2x_t/t^2}},$$
#
# so $\mathbb E[x \mid x_t] = 2\Pr[x = +1 \mid x_t] - 1$:
#
# $$\bar x^*(t, x_t) = \tanh\!\big(x_t / t^2\big).$$
#
# It is odd and increasing: a positive observation points to $+1$. (The book prints
# $\tanh(-x_t/t^2)$; see "Where the source errs" below.) Check against the general mixture
# formula with two zero-variance components, and against Tweedie with a finite-difference score:

# %%
two_point = cu.GaussianMixture([0.5, 0.5], [[-1.0], [1.0]], np.zeros((2, 1, 1)))
xi = np.linspace(-4, 4, 81)
for t in (0.3, 1.0, 3.0):
    via_gmm = cu.posterior_mean(two_point, xi[:, None], t)[:, 0]
    fd = df.finite_difference_grad(lambda p, t=t: two_point.logpdf(p, t), xi[:, None])[:, 0]
    err_gmm = np.abs(via_gmm - df.two_point_denoiser(xi, t)).max()
    err_tw = np.abs(xi + t**2 * fd - df.two_point_denoiser(xi, t)).max()
    tol_tw = 1e-6 * (1 + t**2)  # finite-difference error, magnified by the step t^2
    assert err_gmm < 1e-12 and err_tw < tol_tw
    print(f"t = {t}: tanh(x_t/t^2) = mixture formula: {err_gmm < 1e-12}, = Tweedie: {err_tw < tol_tw}; "
          f"at x_t = 0.5: {df.two_point_denoiser(0.5, t):.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **One big step.** The output $\bar x^*(t, x_t)$ is an *average* of $\pm 1$, so it is never in the
# data's support $\{-1, +1\}$; at large $t$ it is almost always near $0$ (and $\bar x^*(t, 0) = 0$
# exactly). Below: the MSE of the correct denoiser and of the book's sign, and the fraction of
# denoised outputs that land farther than $0.5$ from both data points, from 200 000 draws per $t$.
# The MSE of the constant guess $0$ is exactly 1: the wrong sign does worse than not looking at
# the data at all.

# %%
rng = np.random.default_rng(11)
x_tp = rng.choice([-1.0, 1.0], size=200_000)
g_tp = rng.standard_normal(x_tp.shape)
T_TP = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
off_fraction = []
print("    t   MSE tanh(+x_t/t^2)   MSE tanh(-x_t/t^2)   fraction with |xbar| < 0.5")
for t in T_TP:
    xt1 = x_tp + t * g_tp
    right, wrong = df.two_point_denoiser(xt1, t), df.two_point_denoiser(-xt1, t)
    mse_r, se_r = df.mean_and_se((right - x_tp) ** 2)
    mse_w, se_w = df.mean_and_se((wrong - x_tp) ** 2)
    off, off_se = df.mean_and_se(np.abs(right) < 0.5)
    off_fraction.append(off)
    assert abs(mse_r - ex.two_point_mmse(t)) < 4 * se_r  # MC agrees with quadrature
    assert mse_w > 1 > mse_r  # wrong sign: worse than guessing 0
    print(f"{t:5g}   {mse_r:8.4f} +/- {se_r:.4f}   {mse_w:8.4f} +/- {se_w:.4f}   "
          f"{off:8.3f} +/- {off_se:.3f}")
assert np.all(np.diff(off_fraction) > 0)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same happens in 2-D. As $t$ grows the denoised points of section 4 collapse towards
# $\mathbb E[x] = (0, 1)$, where the clean density is $e^{-21}$: a point no data sample would ever
# be. We count the denoised outputs whose clean log-density $\log p_0(\bar x^*)$ is below the 5%
# quantile of $\log p_0(x)$ over the data (so about 5% of real data would be counted).

# %%
x_q = x_big[:20_000]
g_q = np.random.default_rng(12).standard_normal(x_q.shape)
cutoff = np.quantile(gmm.logpdf(x_q), 0.05)
print(f"log p_0 at E[x] = {gmm.logpdf(m_x):.1f}; 5% quantile of log p_0 over the data = {cutoff:.2f}")
low_density = []
for t in (0.5, 1.0, 2.0, 5.0, 10.0):
    den = cu.posterior_mean(gmm, x_q + t * g_q, t)
    low_density.append(np.mean(gmm.logpdf(den) < cutoff))
    print(f"t = {t:4g}: fraction of denoised outputs in the data's 5% low-density tail = "
          f"{low_density[-1]:.3f}")
assert low_density[-1] > 0.5 and np.all(np.diff(low_density) > 0)

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
grid_1d = np.linspace(-4, 4, 401)
colors3 = (PALETTE["blue"], PALETTE["orange"], PALETTE["green"])
for t, c in zip((0.5, 1.0, 2.0), colors3, strict=True):
    ax1.plot(grid_1d, df.two_point_denoiser(grid_1d, t), color=c, label=f"t = {t:g}")
ax1.plot(grid_1d, df.two_point_denoiser(-grid_1d, 1.0), "--", color=PALETTE["vermillion"],
         label="book's sign, t = 1")
ax1.scatter([-1, 1], [-1, 1], color="black", zorder=3, label="data values ±1")
ax1.set(xlabel="$x_t$", ylabel=r"$\bar x^*(t, x_t)$", title="Two-point denoiser tanh($x_t/t^2$)")
ax1.legend(fontsize=8)
bins = np.linspace(-1, 1, 41)
for t, c in zip((0.5, 1.0, 3.0), colors3, strict=True):
    ax2.hist(df.two_point_denoiser(x_tp + t * g_tp, t), bins=bins, density=True, histtype="step",
             lw=1.8, color=c, label=f"t = {t:g}")
ax2.set(xlabel=r"denoised output $\bar x^*(t, x_t)$", ylabel="density",
        title="One denoising step: where the outputs land")
ax2.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# This is the book's motivation for *iterating*: far from the data (large $t$), one full step to
# the conditional mean is like one giant gradient step, which overshoots into the middle. Chapter 5
# takes many small steps instead, each one only partly trusting the denoiser.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Interactive: move the noise level
#
# The slider sets $t$. The heat map is $p_t$ (scaled to its own peak, printed in the title), the
# vermillion points are $x_t = x + t g$ for 30 fixed samples and one fixed $g$ (so each point
# slides along its ray), and the arrows go to $\bar x^*(t, x_t)$. The line under the figure reports
# the mean distance moved (which is $t^2$ times the mean score norm, by Tweedie), the mean score
# norm, and the MSE of the denoised points against the clean ones, next to that of $x_t$.

# %% tags=["nbval-ignore-output"]
widget = tw.build_tweedie()
widget

# %% [markdown]
# *Static version* (the same compute function at five values of $t$), for reading without a kernel:

# %%
fig, lines = tw.plot_static()
plt.show()
print("\n".join(lines))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Where the source errs
#
# > **Erratum 2: what is $g$?** The seed writes $x_t = x + t g$ at first use without saying what
# > $g$ is; only its recap reveals $g \sim \mathcal N(0, I)$. It must be standard Gaussian noise
# > **independent of $x$**, and one draw is **shared by all $t$**. The independence is what makes
# > $p_t$ the convolution of section 2; the sharing is what makes
# > $\operatorname{Cov}(x_1, x_3) = \operatorname{Cov}(x) + 3I$ (measured in section 1, where
# > the independent-increment value $\operatorname{Cov}(x) + I$ was rejected by more than 20 SE).
#
# > **Erratum 3: the dot.** The seed writes $\dot x_t \triangleq \alpha_t x + \sigma_t g$. A dot
# > over a variable means its time derivative, which here would be
# > $\dot\alpha_t x + \dot\sigma_t g$, a different thing. The definition is
# > $x_t \doteq \alpha_t x + \sigma_t g$.
#
# > **Erratum 4 / book B2: where the gradient is taken.** The seed (and the book) write
# > $\frac{1}{\alpha_t}(x_t + \sigma_t^2 \nabla \log p_t(x))$, with the score at the clean $x$.
# > It must be at $x_t$, and $\alpha_t > 0$ is needed (it fails at the VP endpoint $t = 1$, see
# > section 5). Evaluating the score at the wrong point gives a wrong denoiser:

# %%
t_e = 0.6
x_e = x_n[:2000]
xt_e = x_nt[:2000]
right = cu.tweedie(xt_e, cu.score(gmm, xt_e, t_e, vp), t_e, vp)
wrong = cu.tweedie(xt_e, cu.score(gmm, x_e, t_e, vp), t_e, vp)
mse_right = ((right - x_e) ** 2).sum(1).mean()
mse_wrong = ((wrong - x_e) ** 2).sum(1).mean()
assert np.allclose(right, cu.posterior_mean(gmm, xt_e, t_e, vp), atol=1e-10)
assert mse_wrong > 1.5 * mse_right
print(f"VP t = 0.6, 2000 samples: MSE with score at x_t = {mse_right:.3f}, "
      f"with score at x = {mse_wrong:.3f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# > **Book B1: the sign in the two-point example.** The book gives $\bar x^*(t, x_t) =
# > \tanh(-x_t/t^2)$. The posterior probability of $+1$ *increases* with $x_t$, so the mean is
# > $\tanh(+x_t/t^2)$: section 7 matched it to the mixture formula and to Tweedie to $10^{-12}$
# > and $10^{-6}$, and showed the book's sign has an MSE above 1 at every $t$, worse than the
# > constant guess $0$ (MSE exactly 1).
#
# > **Book B3: a lost logarithm.** The book's appendix restates Tweedie as
# > $x_t + t^2 \nabla p_t(x_t)$. Without the log the correction is multiplied by $p_t(x_t)$
# > (because $\nabla p_t = p_t \nabla \log p_t$), a number that depends on the units of $x$ and is
# > tiny here, so the "denoiser" barely moves:

# %%
t_b = 2.0
f_b = fields[t_b]
grad_p = np.exp(gmm.logpdf(f_b["x_t"], t_b))[:, None] * f_b["score"]  # grad p_t = p_t * score
no_log = f_b["x_t"] + t_b**2 * grad_p
moved_log = np.linalg.norm(f_b["denoised"] - f_b["x_t"], axis=1).mean()
moved_nolog = np.linalg.norm(no_log - f_b["x_t"], axis=1).mean()
mse_log = ((f_b["denoised"] - f_b["x"]) ** 2).sum(1).mean()
mse_nolog = ((no_log - f_b["x"]) ** 2).sum(1).mean()
assert moved_nolog < 0.05 * moved_log
print(f"t = 2, F3 points: mean step with log = {moved_log:.3f}, without log = {moved_nolog:.4f}; "
      f"MSE {mse_log:.2f} vs {mse_nolog:.2f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 10. Exercises
#
# **Exercise 1 (compute: Tweedie for a Gaussian).** Let $x \sim \mathcal N(m, s^2)$ in one
# dimension and $x_t = x + t g$. (a) What is the law of $x_t$, and its score
# $\frac{d}{d\xi}\log p_t(\xi)$? (b) Use Tweedie to get $\mathbb E[x \mid x_t]$, and check it
# against the Gaussian conditioning formula. (c) Give both numbers for
# $m = 1, s^2 = 4, t = 1.5, x_t = 3$.

# %%
print("Exercise 1 values:", ex.EX1)
my_score = None  # your answer here
my_mean = None  # your answer here
ex.check_gaussian_tweedie(my_mean, my_score)

# %% [markdown]
# <details><summary>Solution</summary>
#
# (a) $x_t$ is a sum of independent Gaussians: $x_t \sim \mathcal N(m, s^2 + t^2)$, so
# $\log p_t(\xi) = -\frac{(\xi - m)^2}{2(s^2 + t^2)} + \text{const}$ and the score is
# $-(\xi - m)/(s^2 + t^2)$.
# (b) Tweedie: $\mathbb E[x \mid x_t] = x_t - \frac{t^2}{s^2 + t^2}(x_t - m)
# = m + \frac{s^2}{s^2 + t^2}(x_t - m)$, which is the Gaussian conditioning formula
# $m + \operatorname{Cov}(x, x_t)\operatorname{Var}(x_t)^{-1}(x_t - m)$ with
# $\operatorname{Cov}(x, x_t) = s^2$. (c) The score is $-2/6.25 = -0.32$ and the mean is
# $1 + 4 \cdot 2 / 6.25 = 2.28$.
# </details>

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
p = ex.EX1
sol_score = -(p["x_t"] - p["m"]) / (p["s2"] + p["t"] ** 2)
sol_mean = p["x_t"] + p["t"] ** 2 * sol_score
ex.check_gaussian_tweedie(sol_mean, sol_score)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2 (compute: the two-point prior).** For $x$ uniform on $\{-1, +1\}$, compute
# $\Pr[x = +1 \mid x_t]$ and then $\bar x^*(t, x_t)$ at $t = 0.8$, $x_t = 0.5$, without using
# `df.two_point_denoiser`.

# %%
print("Exercise 2 values:", ex.EX2)
my_xbar = None  # your answer here
ex.check_two_point(my_xbar)

# %% [markdown]
# <details><summary>Solution</summary>
#
# The likelihood ratio is $\varphi(x_t; 1, t^2)/\varphi(x_t; -1, t^2) = e^{2x_t/t^2}$, so
# $\Pr[x = +1 \mid x_t] = 1/(1 + e^{-2x_t/t^2})$ and
# $\bar x^* = 2\Pr[x=+1 \mid x_t] - 1 = \tanh(x_t/t^2) = \tanh(0.78125) \approx 0.653$.
# </details>

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
p = ex.EX2
p_plus = 1.0 / (1.0 + np.exp(-2.0 * p["x_t"] / p["t"] ** 2))
ex.check_two_point(2.0 * p_plus - 1.0)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3 (prove, then compute: the MMSE).** (a) Prove that
# $\mathbb E[(x - \bar x^*)^\top f(x_t)] = 0$ for every (square-integrable) $f$, and deduce
# $\mathbb E\|x - h(x_t)\|^2 = \mathbb E\|x - \bar x^*\|^2 + \mathbb E\|\bar x^* - h(x_t)\|^2$.
# (b) Deduce that the minimum MSE equals $\mathbb E\|x\|^2 - \mathbb E\|\bar x^*\|^2$.
# (c) Estimate the minimum MSE of the two-point prior at $t = 1$ (Monte Carlo is fine if your
# error is below 0.005).

# %%
print("Exercise 3 values:", ex.EX3)
my_mmse = None  # your answer here
ex.check_two_point_mmse(my_mmse)

# %% [markdown]
# <details><summary>Solution</summary>
#
# (a) By the tower property, $\mathbb E[(x - \bar x^*)^\top f(x_t)]
# = \mathbb E\big[(\mathbb E[x \mid x_t] - \bar x^*)^\top f(x_t)\big] = 0$, because $f(x_t)$ is
# fixed once $x_t$ is known. Expand $x - h = (x - \bar x^*) + (\bar x^* - h)$; the cross term is
# $2\mathbb E[(x - \bar x^*)^\top f(x_t)]$ with $f = \bar x^* - h$, which is $0$.
# (b) Take $h = 0$: $\mathbb E\|x\|^2 = \text{MMSE} + \mathbb E\|\bar x^*\|^2$.
# (c) Here $\mathbb E x^2 = 1$, so $\text{MMSE} = 1 - \mathbb E\tanh^2(x_t)$ at $t = 1$. A Monte
# Carlo average over $200\,000$ draws gives about $0.45$ (SE about 0.002).
# </details>

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
rng = np.random.default_rng(21)
x3 = rng.choice([-1.0, 1.0], size=200_000)
xbar3 = np.tanh(x3 + rng.standard_normal(x3.shape))  # t = 1
est_mmse = 1.0 - np.mean(xbar3**2)
ex.check_two_point_mmse(est_mmse)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 4 (compute: noise prediction).** In the VP model at $t = 0.6$, a denoiser has
# mean-squared error $\mathbb E\|x - \bar x\|^2 = 0.2$. What is the mean-squared error of the
# noise prediction $\bar g = (x_t - \alpha_t \bar x)/\sigma_t$?

# %%
print("Exercise 4 values:", ex.EX4)
my_noise_mse = None  # your answer here
ex.check_noise_prediction_mse(my_noise_mse)

# %% [markdown]
# <details><summary>Solution</summary>
#
# $g - \bar g = \frac{\alpha_t}{\sigma_t}(\bar x - x)$ sample by sample, so the MSE is
# $\frac{\alpha_t^2}{\sigma_t^2} \cdot 0.2 = \frac{0.64}{0.36} \cdot 0.2 \approx 0.356$.
# </details>

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
p = ex.EX4
ex.check_noise_prediction_mse((1 - p["t"] ** 2) / p["t"] ** 2 * p["denoiser_mse"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * The forward process adds Gaussian noise $g \sim \mathcal N(0, I)$, independent of the data,
#   with one $g$ for all $t$; for a mixture, $p_t$ is the mixture with $t^2 I$ added to each
#   covariance, and it flattens into one round blob as $t$ grows.
# * The best denoiser in mean squared error is the conditional mean: its error is orthogonal to
#   every function of $x_t$, and it beat doing nothing and the best affine estimator by many
#   standard errors.
# * Tweedie's formula $\mathbb E[x \mid x_t] = x_t + t^2 \nabla \log p_t(x_t)$ (general:
#   $(x_t + \sigma_t^2 \nabla\log p_t(x_t))/\alpha_t$, for $\alpha_t > 0$) matched a
#   finite-difference score and an importance-sampling posterior mean. Predicting the noise is the
#   same problem up to the factor $\alpha_t^2/\sigma_t^2$.
# * For two points $\pm 1$, $\bar x^*(t, x_t) = \tanh(x_t / t^2)$ (not $\tanh(-x_t/t^2)$). Its
#   outputs are averages, off the data, and near $0$ at large $t$: one big step is not enough.
#
# **Next:** chapter 3 derives the closed-form Bayes denoiser of a Gaussian mixture used
# throughout this chapter, and finds an attention mechanism inside it.
