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
# # Chapter 2: Diffusion, denoising and Tweedie's formula
#
# A diffusion model learns a distribution by learning to **undo noise**. The *forward process*
# blurs the data with more and more Gaussian noise; the *Bayes-optimal denoiser*
# $\bar x^*(t,x_t)=\mathbb E[x\mid x_t]$ removes it as well as anything can. Tweedie's formula
# links the two: the best denoiser is one gradient step on the log-density of the noisy data, so
# *learning to denoise is learning the score*.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(2 min)* Say: [chapter 1](01_entropy.ipynb) showed noise raises entropy and a denoising step
# lowers it; today we find the best denoiser. Ask the room: "If you see a blurred photo, what is
# your best single guess of the original?" (the average of all photos that could have produced
# it: the conditional mean.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Learning objectives.** After this chapter you can
# 1. write the forward process $x_t=x+tg$ and say why one $g$ serves every $t$;
# 2. describe how noise spreads the density of a Gaussian mixture;
# 3. show that the conditional mean minimises the mean-squared error;
# 4. derive and check Tweedie's formula, plain and in $\alpha_t,\sigma_t$ form, and as noise prediction;
# 5. explain with the two-point example why one big denoising step lands off the data.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(1 min)* Read the objectives; objective 5 motivates the iterative sampler of [chapter 5](05_sampling.ipynb).

# %% [markdown] slideshow={"slide_type": "skip"}
# **Prerequisites.** [Chapter 1](01_entropy.ipynb) (entropy; why noise makes low-dimensional data
# measurable). Linear algebra, Gaussian densities, conditional expectation.
#
# **Source equations covered** (numbering of the source text): (2) the noise model
# $x_t = x + t g$; (3) the denoiser as a conditional mean; (4) Tweedie's formula; (5)–(6) the
# general $\alpha_t, \sigma_t$ model and its Tweedie formula; (11) the denoising loss; and the
# book's two-point example behind "one big step is not enough".
#
# **Notation.** $\varphi(\xi;m,C)$ is the density of $\mathcal N(m,C)$ at $\xi$; $D$ is the
# dimension; SE means Monte Carlo standard error.

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import numpy as np

import course_utils as cu
from course_utils import diffusion as df
from course_utils.exercises import tweedie as ex
from course_utils.plotting import PALETTE, use_style
from course_utils.widgets import tweedie as tw

use_style()
gmm = df.mixture_2d()  # the running 2-D mixture (K = 3, D = 2)
print(gmm, "weights", gmm.weights.round(3), "means", gmm.means.tolist())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The forward process
#
# A data point $x\in\mathbb R^D$ from the data distribution $p$, and **standard Gaussian noise
# $g\sim\mathcal N(0,I_D)$, independent of $x$**:
#
# $$x_t \doteq x + t\, g, \qquad t \in [0, T]. \tag{2}$$
#
# Given $x$, $x_t\sim\mathcal N(x,t^2I)$. **One draw of $g$ serves every $t$**: the path
# $(x_t)_{t\ge0}$ is a straight ray from $x$, and $\operatorname{Cov}(x_s,x_t)=\operatorname{Cov}(x)+st\,I$
# for $s\le t$.

# %%
rng = np.random.default_rng(42)
x100 = gmm.sample(100, rng)  # 100 samples, seed 42
T_PATHS = (0.0, 1.0, 2.0, 3.0, 5.0, 10.0)
paths, g100 = df.forward_process(x100, T_PATHS, rng, return_noise=True)  # shape (6, 100, 2)

# one g for every t: (x_t - x) / t is the same vector for all t > 0
g_recovered = (paths[1:] - x100) / np.array(T_PATHS[1:])[:, None, None]
shared_err = np.abs(g_recovered - g100).max()
assert shared_err < 1e-12 and np.array_equal(paths[0], x100)
print(f"(x_t - x)/t over t = 1..10 and 100 samples: largest deviation from g = {shared_err:.0e} "
      "(below 1e-12)")

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Say: independence makes p_t a convolution; sharing g fixes how the noise levels are
# coupled. Ask: "With independent increments (Brownian motion), what would Cov(x_1, x_3) be?"
# (Cov(x) + I instead of Cov(x) + 3I: same marginals, different coupling. [Chapter 5](05_sampling.ipynb)'s sampler
# depends on which one we use.)

# %% [markdown] slideshow={"slide_type": "skip"}
# **Check of the coupling.** With $s = 1$, $t = 3$ the cross-covariance should be
# $\operatorname{Cov}(x) + 3 I$, not the $\operatorname{Cov}(x) + I$ of independent (Brownian)
# increments. We estimate each entry of $\mathbb E[(x_s - m)(x_t - m)^\top]$ ($m = \mathbb E x$,
# known exactly) from 200 000 paths, with its SE, and accept agreement within 4 SE.

# %% slideshow={"slide_type": "skip"}
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
# For the 2-D mixture of $K=3$ Gaussians (means $(-3,-3),(3,3),(0,3)$), given the component,
# $x$ and $tg$ are independent Gaussians, so the covariances add:
#
# $$p_t(\xi) = \sum_{k=1}^K \pi_k\, \varphi(\xi;\ \mu_k,\ \Sigma_k + t^2 I).$$
#
# Thin directions fatten first; then everything becomes one round blob of width about $t$.

# %%
grids = {t: df.density_grid(gmm, t, lim=8.0, n=100) for t in T_PATHS}
fig, axes = plt.subplots(1, 3, figsize=(9.0, 3.1), layout="constrained")
for ax, t in zip(axes, (0.0, 2.0, 10.0), strict=True):
    dens = grids[t][1]
    xt = paths[T_PATHS.index(t)]
    ax.imshow(dens, origin="lower", extent=(-8, 8, -8, 8), cmap="Blues", vmin=0,
              vmax=1.3 * dens.max())
    ax.scatter(*xt.T, s=6, color=PALETTE["vermillion"], label="noisy samples $x_t$")
    ax.set(xlim=(-8, 8), ylim=(-8, 8), xlabel="$x_1$")
    ax.set_title(f"t = {t:g} (peak {dens.max():.4f})", fontsize="small")
    ax.set_aspect("equal")
    ax.grid(False)
axes[0].set_ylabel("$x_2$")
axes[0].legend(loc="lower right", fontsize="x-small")
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# *(4 min)* Say: each panel is scaled to its own peak (printed in the title); the peak drops
# from 0.14 to 0.0015. Ask: "At which t can you no longer tell there were three components?"
# (somewhere around t = 3 to 5: the blob becomes round.)

# %% [markdown] slideshow={"slide_type": "skip"}
# **Check.** The mass of $p_t$ inside the plotting window $[-8, 8]^2$, integrated on the
# $100 \times 100$ grid (trapezoid rule), must match the fraction of the 200 000 noised samples
# that land in the window (binomial SE; the grid error is negligible at this resolution).
#
# **Choice of colour scale.** One fixed scale for every panel, 0 to 0.01, would fail at both ends
# (last column below): at $t = 0$ the peak density is 0.14, fourteen times the top of the scale,
# and 88% of the probability mass would sit in cells painted the same darkest blue, hiding the
# shapes of the three ellipses. At $t = 10$ the peak is 0.0015 and the panel would be nearly
# white. So each panel is scaled to its own peak (0 to 1.3 × peak), printed in its title.

# %% slideshow={"slide_type": "skip"}
x_ts = df.forward_process(x_big, T_PATHS, np.random.default_rng(2))
xs = grids[0.0][0]
dx = xs[1] - xs[0]
print("   t  mass(grid)  fraction(MC) +/- SE   peak p_t   share of mass where p_t > 0.01")
for t, xt in zip(T_PATHS, x_ts, strict=True):
    dens = grids[t][1]
    mass = np.trapezoid(np.trapezoid(dens, dx=dx, axis=1), dx=dx)
    frac, se = df.mean_and_se(np.all(np.abs(xt) <= 8.0, axis=1).astype(float))
    saturated = dens[dens > 0.01].sum() / dens.sum()
    assert abs(mass - frac) < 4 * se
    print(f"{t:4g}  {mass:10.4f}  {frac:12.4f} +/- {se:.4f}  {dens.max():8.4f}   {saturated:6.2f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The best denoiser is the conditional mean
#
# Score a denoiser by $\mathbb E\|x-\bar x(t,x_t)\|^2$ (the loss (11) of the source). The best is
#
# $$\bar x^*(t, \xi) \doteq \mathbb E[x \mid x_t = \xi]. \tag{3}$$
#
# *Why:* its error is orthogonal to every function $f(x_t)$, since
# $\mathbb E[(x-\bar x^*)^\top f(x_t)]=\mathbb E\big[\mathbb E[x-\bar x^*\mid x_t]^\top f(x_t)\big]=0$.
# So for any other estimator $\tilde x(x_t)$, taking $f=\bar x^*-\tilde x$:
# $\mathbb E\|x-\tilde x\|^2=\mathbb E\|x-\bar x^*\|^2+\mathbb E\|\bar x^*-\tilde x\|^2$.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(4 min)* Derive the Pythagorean identity on the board. Ask: "What is the MSE of doing
# nothing, x_t itself?" (exactly D t^2 = 8 at t = 2.) For a Gaussian mixture the conditional mean
# has a closed form ([chapter 3](03_gmm_denoiser.ipynb)): `cu.posterior_mean(gmm, x_t, t)`.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Check at $t=2$** on 100 000 fresh pairs $(x,x_t)$: doing nothing, the best *affine* estimator
# $m+C(C+t^2I)^{-1}(x_t-m)$ (from the mean $m$ and covariance $C$ of $x$), and the conditional mean.
# Differences are paired (same samples), so their SE is small.

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

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Ask: "Why does the affine estimator lose?" (the mixture is not Gaussian: the best
# denoiser is nonlinear, it picks the component first.) The gaps are many standard errors wide.

# %% [markdown] slideshow={"slide_type": "skip"}
# **Orthogonality, measured.** The error $x - \bar x^*$ should be uncorrelated with any function of
# $x_t$; we try $x_{t,1}$, $x_{t,2}$ and $\tanh(x_{t,1})$, and the Pythagorean identity above for
# the affine estimator: the cross term $2(x-\bar x^*)^\top(\bar x^* - \tilde x)$ must average to
# zero.

# %% slideshow={"slide_type": "skip"}
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
# $$\mathbb E[x \mid x_t] = x_t + t^2\, \nabla_{x_t} \log p_t(x_t). \tag{4}$$
#
# *Derivation.* $p_t(\xi)=\int p(x)\varphi(\xi;x,t^2I)\,dx$ and
# $\nabla_\xi\varphi(\xi;x,t^2I)=\varphi(\xi;x,t^2I)\,(x-\xi)/t^2$, so
# $t^2\nabla p_t(\xi)=\int(x-\xi)\,p(x)\varphi(\xi;x,t^2I)\,dx=p_t(\xi)\big(\mathbb E[x\mid x_t=\xi]-\xi\big)$
# by Bayes' rule. Divide by $p_t(\xi)$.
#
# The denoiser moves $x_t$ along the **score** $\nabla\log p_t$ with step $t^2$, up the density of
# the *noisy* data.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(5 min)* Derive it on the board; the only tools are differentiating under the integral and
# Bayes' rule. Ask: "Why is this useful?" (a model that predicts the score gives a denoiser, and
# the other way round: learning to denoise is learning the score.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Two checks.** (1) A finite-difference score of `gmm.logpdf(., t)` (step $\delta=10^{-4}$, error
# $O(\delta^2)$) plugged into (4), against the closed-form posterior mean, at 10 points and six noise
# levels. (2) With no formula at all: $\mathbb E[x\mid x_t]$ by self-normalised importance sampling
# from 200 000 samples of $x$, weights $\varphi(x_t;x^{(i)},t^2I)$.

# %%
T_ARROWS = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
fields = {t: tw.tweedie_field(t, n=10) for t in T_ARROWS}  # 10 fresh samples, seed 43
worst = 0.0
for t in T_ARROWS:
    pts = fields[t]["x_t"]
    fd_score = df.finite_difference_grad(lambda p, t=t: gmm.logpdf(p, t), pts, h=1e-4)
    via_tweedie = cu.tweedie(pts, fd_score, t)  # x_t + t^2 * score
    err = np.abs(via_tweedie - fields[t]["denoised"]).max()
    assert err < 1e-6 * (1 + t**2)  # finite-difference error, magnified by the step t^2
    worst = max(worst, err / (1 + t**2))
prior = gmm.sample(200_000, np.random.default_rng(7))
z_mc = []
for t in (1.0, 2.0, 5.0):
    f = fields[t]
    mc_mean, mc_se, ess = df.mc_posterior_mean(prior, f["x_t"], t)
    z = np.abs(mc_mean - f["denoised"]) / mc_se
    assert z.max() < 4
    z_mc.append(z.max())
print("(1) x_t + t^2 * finite-difference score vs E[x|x_t]: largest gap / (1 + t^2) below "
      "1e-6 at all six t (asserted)")
print(f"(2) importance sampling vs E[x|x_t] at t = 1, 2, 5: largest gap "
      f"{np.round(z_mc, 1).tolist()} SE (accepted below 4)")

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Say: check (2) shares nothing with the closed form, so a wrong derivation would show.
# Ask: "Why does the finite-difference tolerance grow like t^2?" (the score error is multiplied by
# the step t^2.)

# %% [markdown] slideshow={"slide_type": "skip"}
# The self-normalised importance-sampling estimate is
# $\widehat{\mathbb E}[x\mid x_t]=\sum_iw_ix^{(i)}$ with
# $w_i=\varphi(x_t;x^{(i)},t^2I)/\sum_j\varphi(x_t;x^{(j)},t^2I)$, and its SE by the delta method
# is $\sqrt{\sum_iw_i^2(x^{(i)}-\widehat{\mathbb E})^2}$ per coordinate. The first point at each
# noise level, in detail:

# %% slideshow={"slide_type": "skip"}
for t in T_ARROWS:
    pts = fields[t]["x_t"]
    fd_score = df.finite_difference_grad(lambda p, t=t: gmm.logpdf(p, t), pts[:1], h=1e-4)
    print(f"t = {t:4g}: x_t + t^2 grad log p_t = {cu.tweedie(pts[:1], fd_score, t)[0].round(4)}, "
          f"E[x|x_t] = {fields[t]['denoised'][0].round(4)}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The key figure.** 10 clean samples (crosses), their noisy versions $x_t$ (vermillion), and
# arrows to $\bar x^*(t,x_t)$ (green), that is, $t^2$ times the score. Small $t$: short arrows
# back to the sample's own component. Larger $t$: arrows towards the modes, and at $t=10$ the
# outputs gather around the global mean $\mathbb E[x]=(0,1)$, spread along the line of modes.

# %%
fig, axes = plt.subplots(1, 3, figsize=(9.6, 3.5), layout="constrained")
for j, (ax, t) in enumerate(zip(axes, (0.5, 2.0, 10.0), strict=True)):
    tw.draw_panel(ax, fields[t], legend=(j == 0))
    ax.set_title(f"t = {t:g}", fontsize="small")
    if j > 0:
        ax.set_ylabel("")
plt.show()
x_q = x_big[:20_000]
g_q = np.random.default_rng(12).standard_normal(x_q.shape)
den10 = cu.posterior_mean(gmm, x_q + 10.0 * g_q, 10.0)
dist10 = np.linalg.norm(den10 - m_x, axis=1)
top10 = cu.responsibilities(gmm, x_q + 10.0 * g_q, 10.0).max(axis=1).mean()
assert np.median(dist10) > 0.5 and top10 > 1 / 3 + 0.05  # contracted, not collapsed
print(f"t = 10, 20 000 noisy points: distance of E[x|x_t] to E[x]: median {np.median(dist10):.2f}, "
      f"90% quantile {np.quantile(dist10, 0.9):.2f}; mean top posterior weight {top10:.2f} "
      f"(1/3 if x_t said nothing)")

# %% [markdown] slideshow={"slide_type": "notes"}
# *(4 min)* Walk through the three panels. Ask: "At t = 10, does the noisy point still carry
# information?" (a little: the top component weight averages 0.46, not 1/3, and the outputs
# spread along the line through the modes, median distance about 1 from the mean, some much
# farther.) Compare the arrow lengths with t^2 times the score.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. The general form: $x_t = \alpha_t x + \sigma_t g$
#
# $$x_t \doteq \alpha_t\, x + \sigma_t\, g \tag{5}$$
#
# with $\sigma_t$ increasing and $\alpha_t$ non-increasing: VE is $\alpha_t=1,\sigma_t=t$; VP
# ([chapter 6](06_vp.ipynb)) has $\alpha_t=\sqrt{1-t^2}$, $\sigma_t=t$. The same derivation gives
#
# $$\mathbb E[x \mid x_t] = \frac{1}{\alpha_t}\Big(x_t + \sigma_t^2\, \nabla_{x_t} \log p_t(x_t)\Big),
# \qquad \alpha_t > 0. \tag{6}$$
#
# The score is taken **at $x_t$**. At the VP endpoint $t=1$, $x_1=g$ says nothing about $x$.

# %%
vp = cu.VP()
x10 = fields[1.0]["x"]  # the 10 samples and their shared noise g (x_t at t = 1 is x + g)
g10 = fields[1.0]["x_t"] - x10
vp_gaps = []
for t in (0.3, 0.6, 0.9, 0.99):
    pts = float(vp.alpha(t)) * x10 + t * g10
    fd_score = df.finite_difference_grad(lambda p, t=t: gmm.logpdf(p, t, vp), pts, h=1e-4)
    closed = cu.posterior_mean(gmm, pts, t, vp)
    err = np.abs(cu.tweedie(pts, fd_score, t, vp) - closed).max()
    tol = 1e-6 / float(vp.alpha(t))  # finite-difference error, magnified by 1/alpha_t
    assert err < tol
    vp_gaps.append(err * float(vp.alpha(t)))
pts = float(vp.alpha(0.6)) * x10 + 0.6 * g10
mc_mean, mc_se, _ = df.mc_posterior_mean(prior, pts, 0.6, vp)
z = np.abs(mc_mean - cu.posterior_mean(gmm, pts, 0.6, vp)) / mc_se
assert z.max() < 4
print(f"VP, t = 0.3, 0.6, 0.9, 0.99: (x_t + sigma^2 * FD score)/alpha matches E[x|x_t] within "
      f"1e-6/alpha (asserted); importance sampling at t = 0.6: largest gap {z.max():.1f} SE")

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Say: scaling the data by alpha_t just rescales the answer. Ask: "What is
# E[x | x_1] in VP?" (E[x], for every x_1: the formula would divide by alpha_1 = 0.)

# %% [markdown] slideshow={"slide_type": "skip"}
# At $t = 1$ the closed form returns the global mean for any input, and Tweedie's formula refuses:

# %% slideshow={"slide_type": "skip"}
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
# A denoiser $\bar x$ implies a noise estimate, read off (5):
#
# $$\bar g \doteq \frac{x_t - \alpha_t \bar x}{\sigma_t}, \qquad
# g - \bar g = \frac{\alpha_t}{\sigma_t}\,(\bar x - x)\quad\text{(sample by sample)}.$$
#
# So $\mathbb E\|g-\bar g\|^2=\frac{\alpha_t^2}{\sigma_t^2}\mathbb E\|x-\bar x\|^2$: at a fixed $t$
# both losses have the same minimiser, and for the Bayes denoiser $\bar g=-\sigma_t\nabla\log p_t(x_t)$.

# %%
t_n = 0.5
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
    print(f"VP t = {t_n}, {name:11s}: E||x - xbar||^2 = {loss_x:.4f}, E||g - gbar||^2 = "
          f"{loss_g:.4f}, ratio {loss_g / loss_x:.4f} = alpha^2/sigma^2 = {a_n**2 / s_n**2:.4f}")
gbar_bayes = (x_nt[:5] - a_n * cu.posterior_mean(gmm, x_nt[:5], t_n, vp)) / s_n
score_gap = np.abs(gbar_bayes + s_n * cu.score(gmm, x_nt[:5], t_n, vp)).max()
assert score_gap < 1e-10

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Ask: "If the two losses have the same minimiser, why does the choice matter in
# practice?" (averaged over t, the factor alpha^2/sigma^2 reweights the noise levels: 8.0 at
# t = 1/3 and 0.02 at t = 0.99 in VP.)

# %% slideshow={"slide_type": "skip"}
print(f"Bayes denoiser: (x_t - alpha xbar)/sigma equals -sigma * score to {1e-10:.0e} (asserted); "
      f"first point: gbar = {gbar_bayes[0].round(4)}, "
      f"-sigma * score = {(-s_n * cu.score(gmm, x_nt[:1], t_n, vp))[0].round(4)}")
weight = lambda t: (1 - t**2) / t**2  # alpha_t^2 / sigma_t^2 in VP  # noqa: E731
assert abs(weight(1 / 3) - 8.0) < 1e-12 and abs(weight(0.99) - 0.0203) < 1e-4
print(f"VP loss factor alpha^2/sigma^2: t = 1/3 -> {weight(1 / 3):.2f}, t = 0.99 -> {weight(0.99):.4f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. The two-point example: one big step is not enough
#
# $x=\pm1$ with probability $\frac12$ each ($D=1$). By Bayes,
# $\Pr[x=+1\mid x_t]=1/(1+e^{-2x_t/t^2})$, and $\mathbb E[x\mid x_t]=2\Pr[x=+1\mid x_t]-1$:
#
# $$\bar x^*(t, x_t) = \tanh\!\big(x_t / t^2\big).$$
#
# Odd and increasing: a positive observation points to $+1$ (the book prints $\tanh(-x_t/t^2)$).
# Its output is an *average* of $\pm1$, never in the data's support $\{-1,+1\}$.

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
print("tanh(x_t/t^2) equals the mixture formula (to 1e-12) and Tweedie with a finite-difference "
      "score (to 1e-6 (1 + t^2)) at t = 0.3, 1, 3 on 81 points (asserted)")

# %% [markdown] slideshow={"slide_type": "notes"}
# *(4 min)* Derive the posterior on the board: the likelihood ratio is exp(2 x_t / t^2). Ask:
# "Where does the denoiser send x_t = 0?" (to 0, exactly between the two data points: a value
# the data never take.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Left: the denoiser at three noise levels (and the book's sign, dashed). Right: where one step
# lands, from 200 000 draws: at large $t$ the outputs pile up near 0, off the data.

# %%
rng = np.random.default_rng(11)
x_tp = rng.choice([-1.0, 1.0], size=200_000)
g_tp = rng.standard_normal(x_tp.shape)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.0, 3.3), layout="constrained")
grid_1d = np.linspace(-4, 4, 401)
colors3 = (PALETTE["blue"], PALETTE["orange"], PALETTE["green"])
for t, c in zip((0.5, 1.0, 2.0), colors3, strict=True):
    ax1.plot(grid_1d, df.two_point_denoiser(grid_1d, t), color=c, label=f"t = {t:g}")
ax1.plot(grid_1d, df.two_point_denoiser(-grid_1d, 1.0), "--", color=PALETTE["vermillion"],
         label="book's sign, t = 1")
ax1.scatter([-1, 1], [-1, 1], color="black", zorder=3, label="data values ±1")
ax1.set(xlabel="$x_t$", ylabel=r"$\bar x^*(t, x_t)$")
ax1.set_title(r"Two-point denoiser $\tanh(x_t/t^2)$")
ax1.legend(fontsize="x-small")
bins = np.linspace(-1, 1, 41)
for t, c in zip((0.5, 1.0, 3.0), colors3, strict=True):
    ax2.hist(df.two_point_denoiser(x_tp + t * g_tp, t), bins=bins, density=True, histtype="step",
             lw=1.8, color=c, label=f"t = {t:g}")
ax2.set(xlabel=r"denoised output $\bar x^*(t, x_t)$", ylabel="density")
ax2.set_title("One denoising step: where the outputs land")
ax2.legend(fontsize="x-small")
plt.show()
off1, _ = df.mean_and_se(np.abs(df.two_point_denoiser(x_tp + 3.0 * g_tp, 3.0)) < 0.5)
print(f"t = 3: {off1:.1%} of outputs land within 0.5 of 0, farther than 0.5 from both data points")

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Say: far from the data, one full step to the conditional mean is one giant gradient
# step that overshoots into the middle. Ask: "How would you fix this?" (many small steps, each
# trusting the denoiser only partly: [chapter 5](05_sampling.ipynb).)

# %% [markdown] slideshow={"slide_type": "skip"}
# **The numbers.** The MSE of the correct denoiser and of the book's sign, and the fraction of
# outputs that land farther than $0.5$ from both data points. The MSE of the constant guess $0$
# is exactly 1: the wrong sign does worse than not looking at the data at all.

# %% slideshow={"slide_type": "skip"}
T_TP = (0.25, 0.5, 2.0, 5.0, 10.0)
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Interactive: move the noise level
#
# Heat map $p_t$; vermillion $x_t=x+tg$ for 30 samples and one fixed $g$ (each slides along its
# ray as $t$ moves); arrows to $\bar x^*(t,x_t)$. Below: distance moved, score norm, MSE.

# %% [markdown] slideshow={"slide_type": "skip"}
# The slider below is live in JupyterLab with a running kernel; the static panel after it shows
# the same compute function at $t = 0.5$, $2$ and $5$.

# %% slideshow={"slide_type": "skip"} tags=["nbval-ignore-output"]
widget = tw.build_tweedie()
widget

# %%
fig, lines = tw.plot_static()
plt.show()
print("\n".join(lines))

# %% [markdown] slideshow={"slide_type": "notes"}
# *(4 min)* Move t live if a kernel is up. The line under the figure gives the mean distance
# moved (t^2 times the mean score norm), the mean score norm, and the MSE of the denoised points
# next to that of x_t. Ask: "The mean distance moved grows with t, the mean
# score norm shrinks: how can both hold?" (distance moved = t^2 times the score norm.) Point at
# the MSE: denoising helps more and more as t grows (3.37 against 8.34 at t = 2).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Where the source errs
#
# - $g$ is not defined at first use: it must be $\mathcal N(0,I)$, independent of $x$, shared by all $t$.
# - $\dot x_t\triangleq\alpha_tx+\sigma_tg$: the dot would mean a time derivative; it is $x_t\doteq\dots$
# - In (6) the score is evaluated at the clean $x$: it must be at $x_t$ (and needs $\alpha_t>0$).
# - The book's two-point denoiser has the wrong sign, $\tanh(-x_t/t^2)$.
# - The book's appendix drops the log: $x_t+t^2\nabla p_t(x_t)$.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(2 min)* One line each; the boxes below carry the numbers. Ask: "Which of these would a unit
# test catch?" (the sign, the missing log and the score at x all change the output; the first
# two are about definitions.)

# %% [markdown] slideshow={"slide_type": "skip"}
# > **What is $g$?** The source writes $x_t = x + t g$ at first use without saying what $g$ is;
# > only its recap reveals $g \sim \mathcal N(0, I)$. It must be standard Gaussian noise
# > **independent of $x$**, and one draw is **shared by all $t$**. The independence is what makes
# > $p_t$ the convolution of section 2; the sharing is what makes
# > $\operatorname{Cov}(x_1, x_3) = \operatorname{Cov}(x) + 3I$ (measured in section 1, where
# > the independent-increment value $\operatorname{Cov}(x) + I$ was rejected by more than 20 SE).
#
# > **The dot.** The source writes $\dot x_t \triangleq \alpha_t x + \sigma_t g$. A dot over a
# > variable means its time derivative, which here would be $\dot\alpha_t x + \dot\sigma_t g$, a
# > different thing. The definition is $x_t \doteq \alpha_t x + \sigma_t g$.
#
# > **Where the score is taken.** The source (and the book) write
# > $\frac{1}{\alpha_t}(x_t + \sigma_t^2 \nabla \log p_t(x))$, with the score at the clean $x$.
# > It must be at $x_t$, and $\alpha_t > 0$ is needed (it fails at the VP endpoint $t = 1$, see
# > section 5). Evaluating the score at the wrong point gives a wrong denoiser:

# %% slideshow={"slide_type": "skip"}
t_e = t_n
x_e = x_n[:2000]
xt_e = x_nt[:2000]
right = cu.tweedie(xt_e, cu.score(gmm, xt_e, t_e, vp), t_e, vp)
wrong = cu.tweedie(xt_e, cu.score(gmm, x_e, t_e, vp), t_e, vp)
mse_right = ((right - x_e) ** 2).sum(1).mean()
mse_wrong = ((wrong - x_e) ** 2).sum(1).mean()
assert np.allclose(right, cu.posterior_mean(gmm, xt_e, t_e, vp), atol=1e-10)
assert mse_wrong > 1.5 * mse_right
print(f"VP t = {t_e}, 2000 samples: MSE with score at x_t = {mse_right:.3f}, "
      f"with score at x = {mse_wrong:.3f}")

# %% [markdown] slideshow={"slide_type": "skip"}
# > **The sign in the two-point example.** The book gives $\bar x^*(t, x_t) = \tanh(-x_t/t^2)$.
# > The posterior probability of $+1$ *increases* with $x_t$, so the mean is $\tanh(+x_t/t^2)$:
# > section 7 matched it to the mixture formula and to Tweedie, and its table shows the book's
# > sign has an MSE above 1 at every $t$, worse than the constant guess $0$ (MSE exactly 1).
#
# > **A lost logarithm.** The book's appendix restates Tweedie as $x_t + t^2 \nabla p_t(x_t)$.
# > Without the log the correction is multiplied by $p_t(x_t)$ (because
# > $\nabla p_t = p_t \nabla \log p_t$), a number that depends on the units of $x$ and is tiny
# > here, so the "denoiser" barely moves:

# %% slideshow={"slide_type": "skip"}
t_b = 2.0
f_b = fields[t_b]
grad_p = np.exp(gmm.logpdf(f_b["x_t"], t_b))[:, None] * f_b["score"]  # grad p_t = p_t * score
no_log = f_b["x_t"] + t_b**2 * grad_p
moved_log = np.linalg.norm(f_b["denoised"] - f_b["x_t"], axis=1).mean()
moved_nolog = np.linalg.norm(no_log - f_b["x_t"], axis=1).mean()
mse_log = ((f_b["denoised"] - f_b["x"]) ** 2).sum(1).mean()
mse_nolog = ((no_log - f_b["x"]) ** 2).sum(1).mean()
assert moved_nolog < 0.05 * moved_log
print(f"t = 2, 10 points: mean step with log = {moved_log:.3f}, without log = {moved_nolog:.4f}; "
      f"MSE {mse_log:.2f} vs {mse_nolog:.2f}")

# %% [markdown] slideshow={"slide_type": "skip"}
# ## 10. Exercises
#
# **Exercise 1 (compute: Tweedie for a Gaussian).** Let $x \sim \mathcal N(m, s^2)$ in one
# dimension and $x_t = x + t g$. (a) What is the law of $x_t$, and its score
# $\frac{d}{d\xi}\log p_t(\xi)$? (b) Use Tweedie to get $\mathbb E[x \mid x_t]$, and check it
# against the Gaussian conditioning formula. (c) Give both numbers for
# $m = 1, s^2 = 4, t = 1.5, x_t = 3$.

# %% slideshow={"slide_type": "skip"}
print("Exercise 1 values:", ex.EX1)
my_score = None  # your answer here
my_mean = None  # your answer here
ex.check_gaussian_tweedie(my_mean, my_score)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
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
#
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
p = ex.EX1
sol_score = -(p["x_t"] - p["m"]) / (p["s2"] + p["t"] ** 2)
sol_mean = p["x_t"] + p["t"] ** 2 * sol_score
assert ex.check_gaussian_tweedie(sol_mean, sol_score), "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 2 (compute: the two-point prior).** For $x$ uniform on $\{-1, +1\}$, compute
# $\Pr[x = +1 \mid x_t]$ and then $\bar x^*(t, x_t)$ at $t = 0.8$, $x_t = 0.5$, without using
# `df.two_point_denoiser`.

# %% slideshow={"slide_type": "skip"}
print("Exercise 2 values:", ex.EX2)
my_xbar = None  # your answer here
ex.check_two_point(my_xbar)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# The likelihood ratio is $\varphi(x_t; 1, t^2)/\varphi(x_t; -1, t^2) = e^{2x_t/t^2}$, so
# $\Pr[x = +1 \mid x_t] = 1/(1 + e^{-2x_t/t^2})$ and
# $\bar x^* = 2\Pr[x=+1 \mid x_t] - 1 = \tanh(x_t/t^2) = \tanh(0.78125) \approx 0.653$.
#
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
p = ex.EX2
p_plus = 1.0 / (1.0 + np.exp(-2.0 * p["x_t"] / p["t"] ** 2))
assert ex.check_two_point(2.0 * p_plus - 1.0), "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 3 (prove, then compute: the MMSE).** (a) Prove that
# $\mathbb E[(x - \bar x^*)^\top f(x_t)] = 0$ for every (square-integrable) $f$, and deduce
# $\mathbb E\|x - \tilde x(x_t)\|^2 = \mathbb E\|x - \bar x^*\|^2 + \mathbb E\|\bar x^* - \tilde x(x_t)\|^2$.
# (b) Deduce that the minimum MSE equals $\mathbb E\|x\|^2 - \mathbb E\|\bar x^*\|^2$.
# (c) Estimate the minimum MSE of the two-point prior at $t = 1$ (Monte Carlo is fine if your
# error is below 0.005).

# %% slideshow={"slide_type": "skip"}
print("Exercise 3 values:", ex.EX3)
my_mmse = None  # your answer here
ex.check_two_point_mmse(my_mmse)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# (a) By the tower property, $\mathbb E[(x - \bar x^*)^\top f(x_t)]
# = \mathbb E\big[(\mathbb E[x \mid x_t] - \bar x^*)^\top f(x_t)\big] = 0$, because $f(x_t)$ is
# fixed once $x_t$ is known. Expand $x - \tilde x = (x - \bar x^*) + (\bar x^* - \tilde x)$; the
# cross term is $2\mathbb E[(x - \bar x^*)^\top f(x_t)]$ with $f = \bar x^* - \tilde x$, which is $0$.
# (b) Take $\tilde x = 0$: $\mathbb E\|x\|^2 = \text{MMSE} + \mathbb E\|\bar x^*\|^2$.
# (c) Here $\mathbb E x^2 = 1$, so $\text{MMSE} = 1 - \mathbb E\tanh^2(x_t)$ at $t = 1$. A Monte
# Carlo average over $200\,000$ draws gives about $0.45$ (SE about 0.002).
#
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
rng = np.random.default_rng(21)
x3 = rng.choice([-1.0, 1.0], size=200_000)
xbar3 = np.tanh(x3 + rng.standard_normal(x3.shape))  # t = 1
est_mmse = 1.0 - np.mean(xbar3**2)
assert ex.check_two_point_mmse(est_mmse), "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 4 (compute: noise prediction).** In the VP model at $t = 0.6$, a denoiser has
# mean-squared error $\mathbb E\|x - \bar x\|^2 = 0.2$. What is the mean-squared error of the
# noise prediction $\bar g = (x_t - \alpha_t \bar x)/\sigma_t$?

# %% slideshow={"slide_type": "skip"}
print("Exercise 4 values:", ex.EX4)
my_noise_mse = None  # your answer here
ex.check_noise_prediction_mse(my_noise_mse)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# $g - \bar g = \frac{\alpha_t}{\sigma_t}(\bar x - x)$ sample by sample, so the MSE is
# $\frac{\alpha_t^2}{\sigma_t^2} \cdot 0.2 = \frac{0.64}{0.36} \cdot 0.2 \approx 0.356$.
#
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
p = ex.EX4
assert ex.check_noise_prediction_mse((1 - p["t"] ** 2) / p["t"] ** 2 * p["denoiser_mse"]), \
    "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * Forward process: $x_t=x+tg$, $g\sim\mathcal N(0,I)$ independent of $x$, one $g$ for all $t$;
#   for a mixture, $p_t$ adds $t^2I$ to each covariance.
# * The best denoiser in mean squared error is $\mathbb E[x\mid x_t]$: its error is orthogonal to
#   every function of $x_t$.
# * Tweedie: $\mathbb E[x\mid x_t]=x_t+t^2\nabla\log p_t(x_t)$; in general
#   $(x_t+\sigma_t^2\nabla\log p_t(x_t))/\alpha_t$. Noise prediction is the same problem, scaled by
#   $\alpha_t^2/\sigma_t^2$.
# * Two points $\pm1$: $\bar x^*=\tanh(x_t/t^2)$; its outputs are averages, off the data.
#
# **Next: [chapter 3](03_gmm_denoiser.ipynb)** derives the closed-form denoiser of a Gaussian
# mixture used here, and finds an attention-like formula inside it.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(2 min)* Recap. Ask: "Which object would you train a network to output: the denoiser, the
# noise or the score?" (any of the three: they are the same up to known factors.)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ## Going further A: one big step in 2-D
#
# The two-point lesson holds for the running mixture. As $t$ grows the denoised points collapse
# towards $\mathbb E[x] = (0, 1)$, where the clean density is tiny: a point no data sample would
# ever be. We count the denoised outputs whose clean log-density $\log p_0(\bar x^*)$ is below the
# 5% quantile of $\log p_0(x)$ over the data (so about 5% of real data would be counted).

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
cutoff = np.quantile(gmm.logpdf(x_q), 0.05)
print(f"log p_0 at E[x] = {gmm.logpdf(m_x):.1f}; 5% quantile of log p_0 over the data = {cutoff:.2f}")
low_density = []
for t in (0.5, 1.0, 2.0, 5.0, 10.0):
    den = cu.posterior_mean(gmm, x_q + t * g_q, t)
    low_density.append(np.mean(gmm.logpdf(den) < cutoff))
    print(f"t = {t:4g}: fraction of denoised outputs in the data's 5% low-density tail = "
          f"{low_density[-1]:.3f}")
assert low_density[-1] > 0.5 and np.all(np.diff(low_density) > 0)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ## Going further B: the denoising arrows at six noise levels
#
# The key figure of section 4 at all six noise levels, for the same 10 samples and one shared $g$.

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
fig, axes = plt.subplots(2, 3, figsize=(10.0, 6.8), layout="constrained")
for j, (ax, t) in enumerate(zip(axes.ravel(), T_ARROWS, strict=True)):
    tw.draw_panel(ax, fields[t], legend=(j == 0))
    ax.set_title(f"t = {t:g}")
plt.show()
