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
# # Chapter 5: Iterative denoising
#
# A denoiser is not yet a *generator*: fed pure noise, one call returns a blurred average of the
# data, not a sample. Today:
# * why one big step fails, and the step rule that many small steps follow;
# * why a chain of conditional means ends with samples;
# * what the sampler does exactly to a Gaussian, and how to judge its samples.

# %% [markdown] slideshow={"slide_type": "notes"}
# Start from where chapters 2-4 left us: we have the best denoiser. Ask the room: "you have the
# perfect denoiser and a box of Gaussian noise; how do you make a new data point?" Collect
# answers (one call? many calls?); the lecture tests both. *(3 min)*

# %% [markdown] slideshow={"slide_type": "skip"}
# [Chapters 2](02_tweedie.ipynb) to [4](04_pca.ipynb) built the Bayes-optimal denoiser
# $\bar x^*(t,x_t)=\mathbb E[x\mid x_t]$ and showed how to learn it. This chapter turns the
# denoiser into a sampler by calling it many times on a decreasing ladder of noise levels,
# derives the source's step rule from the way the noise is coupled across $t$, and then measures
# what the sampler really does: where its samples land, how spread out they are, and what changes
# with the number of steps $L$ and the horizon $T$.
#
# **Learning objectives.** After this chapter you can
# 1. explain, with a measurement, why one big denoising step from large $t$ lands off the data;
# 2. derive the step $(1-\frac1\ell)\hat x+\frac1\ell\bar x^*$ from the shared-noise coupling,
#    and say why a chain of conditional means produces samples;
# 3. read the same step as an Euler step of the probability-flow ODE;
# 4. compute what the sampler does to a single Gaussian: the per-step factors $c_{\ell,L}$,
#    their product and its limit $\sqrt{\lambda/(\lambda+T^2)}$, and why that is not a
#    contraction to the mean;
# 5. judge samples by their distance to the support, component fractions and per-direction
#    energy.
#
# **Prerequisites.** [Chapter 2](02_tweedie.ipynb) (the process $x_t=x+tg$, the denoiser as a
# conditional mean), [chapter 3](03_gmm_denoiser.ipynb) (the mixture denoiser, eq. 8, and its
# single-Gaussian form, eq. 9: contract each eigendirection by $\lambda_i/(\lambda_i+t^2)$).
#
# **Source equations covered.** Eq. (2) (the noise model), eq. (17) (the denoising iteration),
# eqs. (18)–(19) (the start $x_T/T\to g$, $x_T\approx\mathcal N(0,T^2I)$) and the recap's grid
# $t_\ell=T\ell/L$. (Equation numbers count the seed's displayed equations in order; eq. (19)
# is the one the seed itself cites as "(19)".)

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import numpy as np

import course_utils as cu
from course_utils import sampler_analysis as sa
from course_utils.exercises import sampling as ex
from course_utils.plotting import PALETTE, component_colors, use_style
from course_utils.widgets.sampling import (
    AXIS_LIMITS,
    build_sampler_widget,
    draw_support,
    sampler_quality,
    summary_line,
)

_ = use_style()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The running example: two lines and a plane in 3-D
#
# $D=3$, $K=3$ components with weights $1/3$ and zero means: two lines (rank-1 covariances
# $6ff^\top$) and a plane ($3FF^\top$), $f,F$ standard normal. Each component $k$ lives on a
# subspace of dimension $P_k$ ($1,1,2$) with orthonormal basis $U_k$ and variances $v_k$:
# $\Sigma_k=U_k\,\mathrm{diag}(v_k)\,U_k^\top$.

# %% [markdown] slideshow={"slide_type": "skip"}
# This is the source's three-dimensional mixture (its figure of the VE sampler). The source
# draws $f,F$ with a JAX random key, which numpy cannot reproduce, so we draw them from
# `np.random.default_rng(4)`: same construction, different lines and plane. The support is the
# union of the three subspaces $\mathrm{span}(U_k)$.

# %%
gmm, bases, variances = sa.lines_and_plane_mixture(4)
colors3 = [PALETTE["orange"], PALETTE["green"], PALETTE["purple"]]
names3 = ["line 1", "line 2", "plane"]
rebuilt = np.stack([(u * v) @ u.T for u, v in zip(bases, variances, strict=True)])
assert np.allclose(rebuilt, gmm.covs, atol=1e-10)
print("variances v_k: " + "; ".join(f"{name} {np.round(v, 2)}"
                                    for name, v in zip(names3, variances, strict=True)))

# %% [markdown] slideshow={"slide_type": "notes"}
# Show the set-up only; the picture comes with the trajectories in section 5. Say that the
# support is a union of subspaces (the "low-dimensional structure" of the course) and that the
# lines are long (variance about 19) while the plane is elongated too. *(2 min)*

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Three numbers judge a cloud of samples $\hat x_1,\dots,\hat x_n$
#
# * **distance to the support**, $\min_k\|(I-U_kU_k^\top)\hat x\|$ (0 on the data);
# * **component fractions**: the share of samples nearest to subspace $k$ (target $1/3$);
# * **per-direction energy**: over the samples nearest to subspace $k$, the mean of
#   $\|\mathrm{diag}(v_k)^{-1/2}U_k^\top\hat x\|^2/P_k$: 1 for exact samples, below 1 if squeezed.

# %%
n_ref = 3000
x_ref = gmm.sample(n_ref, np.random.default_rng(0))
d_ref = sa.subspace_distance(x_ref, bases)
fr_ref = sa.component_fractions(x_ref, bases)
en_ref = sa.direction_energy(x_ref, bases, variances)
assert d_ref.max() < 1e-9
assert np.all(np.abs(fr_ref - 1 / 3) < 4 * np.sqrt(2 / 9 / n_ref))  # 4 binomial SE
assert np.all(np.abs(en_ref - 1) < 4 * np.sqrt(2 / (n_ref / 3)))  # 4 SE of a chi^2 mean
print(f"exact samples (n={n_ref}): max distance {max(d_ref.max(), 1e-16):.0e}, fractions "
      f"{np.round(fr_ref, 3)}, energy {np.round(en_ref, 3)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# The check is the calibration of the yardstick: exact samples score 0, 1/3 and 1 within Monte
# Carlo error. Ask: "a sampler that returns the origin every time: what are its three numbers?"
# (distance 0, fractions undefined/arbitrary, energy 0: so no single number suffices). *(2 min)*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Why one big step is not enough
#
# $\bar x^*(t,x_t)$ is a *conditional mean*. At large $t$, $x_t$ says little about the component,
# so the output averages the projections onto all three subspaces: a point between them, close to
# the origin. We noise exact samples, denoise **once**, and compare with 50 small steps.

# %% [markdown] slideshow={"slide_type": "skip"}
# [Chapter 2](02_tweedie.ipynb) showed the one-dimensional version: for $x=\pm1$,
# $\bar x^*(t,0)=0$ is not a possible value of $x$. Absolute distances to the support shrink at
# large $t$ simply because the one-step output collapses toward the origin, so we measure the
# distance **relative to the output's norm**, and the energy ratio
# $\mathbb E\|\bar x^*\|^2/\mathbb E\|x\|^2$. The 50 small steps are the sampler of the next
# section, run from the same noisy points.

# %% slideshow={"slide_type": "skip"}
t_list = np.array([0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0])
rng = np.random.default_rng(1)
x0 = gmm.sample(600, rng)
g0 = rng.standard_normal(x0.shape)
rows = []
for t in t_list:
    x_t = x0 + t * g0
    one = cu.posterior_mean(gmm, x_t, t)
    many = cu.sample(gmm.denoiser(cu.VE(t)), cu.VE(t), x_t, 50)
    dist1, dist50 = sa.subspace_distance(one, bases), sa.subspace_distance(many, bases)
    rows.append((dist1.mean(), np.mean(dist1 / np.linalg.norm(one, axis=1)),
                 (one**2).sum(1).mean() / (x0**2).sum(1).mean(), dist50.mean(),
                 np.mean(dist50 / np.linalg.norm(many, axis=1)),
                 (many**2).sum(1).mean() / (x0**2).sum(1).mean()))
rows = np.array(rows)
print("   t | one step: mean dist, relative dist, energy ratio | 50 steps: mean dist, energy ratio")
for t, r in zip(t_list, rows, strict=True):
    print(f"{t:5.2f} | {r[0]:8.3f} {r[1]:10.3f} {r[2]:10.3f}           | {r[3]:8.4f} {r[5]:8.3f}")
# one step from large t is far off the support, relative to its own size ...
assert rows[-2, 1] > 10 * rows[0, 1]
# ... and collapsed (energy ratio near 0), while 50 small steps land on the support
assert rows[-1, 2] < 0.1 and np.all(rows[:, 3] < 0.05) and np.all(rows[:, 4] < 0.05)

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.2, 3.3))
ax1.semilogx(t_list, rows[:, 1], "o-", color=PALETTE["vermillion"], label="one step")
ax1.semilogx(t_list, rows[:, 4], "^-", color=PALETTE["blue"], label="50 small steps")
ax1.set(xlabel="noise level $t$", ylabel="distance to support / norm",
        title="Off the data, relative to size")
ax1.legend(fontsize="x-small")
ax2.semilogx(t_list, rows[:, 2], "o-", color=PALETTE["vermillion"], label="one step")
ax2.semilogx(t_list, rows[:, 5], "^-", color=PALETTE["blue"], label="50 small steps")
ax2.axhline(1, color="black", ls="--", lw=1, label="data")
ax2.set(xlabel="noise level $t$", ylabel=r"$\mathbb{E}\|\mathrm{output}\|^2 / \mathbb{E}\|x\|^2$",
        title="Collapse toward the mean")
ax2.legend(fontsize="x-small")
fig.tight_layout()
plt.show()
print(f"t=5: one step is {rows[-2, 1]:.2f} of its norm off the support and keeps "
      f"{rows[-2, 2]:.2f} of the energy; 50 steps: {rows[-2, 4]:.1e} and {rows[-2, 5]:.2f}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Left: relative distance; one step from t = 5 lands a sizeable fraction of its own length off
# every subspace, 50 steps land on them. Right: one step keeps almost none of the energy: it
# returns roughly the mean. Ask: "why is the conditional mean the *best* denoiser and still a
# bad sample?" (best in squared error means averaging over the uncertainty; averages of points
# on different lines are on none of them). *(5 min)*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The VE sampler, derived from the coupling
#
# One $g\sim\mathcal N(0,I)$ shared by every $t$: $x_s=x+sg=\frac st x_t+(1-\frac st)x$, so
#
# $$\mathbb E[x_s\mid x_t]=\tfrac st\,x_t+\big(1-\tfrac st\big)\,\bar x^*(t,x_t).$$
#
# On $t_\ell=T\ell/L$, $s/t=(\ell-1)/\ell$; from $\hat x_{t_L}\sim\mathcal N(0,T^2I)$, eq. 17:
#
# $$\hat x_{t_{\ell-1}}=\big(1-\tfrac1\ell\big)\hat x_{t_\ell}+\tfrac1\ell\,\bar x^*(t_\ell,\hat x_{t_\ell}).$$

# %% [markdown] slideshow={"slide_type": "skip"}
# The sampler replaces $x_t$ by the current iterate and walks down the grid, $\ell=L,\dots,1$.
#
# **Check from the joint covariance.** For $x\sim\mathcal N(\mu,\Sigma)$,
# $\mathrm{Cov}(x_s,x_t)=\Sigma+st\,I$ and $\mathrm{Cov}(x_t)=\Sigma+t^2I$, so
# $\mathbb E[x_s|x_t]=\mu+(\Sigma+stI)(\Sigma+t^2I)^{-1}(x_t-\mu)$. This must equal the
# formula above with the [chapter 3](03_gmm_denoiser.ipynb) denoiser.

# %%
rng = np.random.default_rng(2)
a_mat = rng.standard_normal((3, 3))
Sigma = a_mat @ a_mat.T
mu = np.array([1.0, -0.5, 2.0])
single = cu.GaussianMixture([1.0], mu[None], Sigma[None])
x_t = mu + rng.standard_normal((5, 3)) * 2.0
s, t = 0.6, 1.5
xbar = cu.posterior_mean(single, x_t, t)
from_formula = sa.coupled_conditional_mean(x_t, xbar, s, t, "shared")
from_joint = sa.gaussian_coupled_mean(mu, Sigma, x_t, s, t, "shared")
err = np.abs(from_formula - from_joint).max()
assert err < 1e-10
print(f"Gaussian, s={s}, t={t}: step formula vs joint-covariance conditional mean, "
      f"largest difference {max(err, 1e-16):.0e} (< 1e-10)")

# %% [markdown] slideshow={"slide_type": "notes"}
# Derive on the board: write x_s in terms of x_t and x (one line, because g is shared), take
# the conditional mean. Then plug the uniform grid. Ask: "what did we use about g that a
# different noising process might not give us?" (that the same g appears at every t: the
# coupling; the source never says it, see the errata). *(5 min)*

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Why a chain of conditional means ends with samples
#
# The step keeps the mean of $x_s$ given $x_t$ and drops its spread. Under the shared coupling
# that spread is small:
#
# $$\mathrm{Var}(x_s\mid x_t)=\big(1-\tfrac st\big)^2\,\mathrm{Cov}(x\mid x_t),\qquad
#   \mathbb E\,\mathrm{tr}\,\mathrm{Var}(x_s\mid x_t)\le (t-s)^2D=h^2D .$$
#
# Each step loses $O(h^2)$, $L$ steps $O(Lh^2)=O(DT^2/L)\to0$.

# %% [markdown] slideshow={"slide_type": "skip"}
# The identity holds because $x_s=\frac st x_t+(1-\frac st)x$: given $x_t$, only $x$ is random.
# The bound uses $\mathbb E\,\mathrm{tr}\,\mathrm{Cov}(x\mid x_t)=\mathrm{mmse}(t)\le Dt^2$ (the
# noisy point $x_t$ itself is an estimator of $x$ with error $Dt^2$, and the conditional mean does
# at least as well). So a deterministic chain that replaces $x_s$ by its conditional mean makes an
# error of variance at most $Dh^2$ per step, with $h=T/L$. Summing over the $L$ steps is a
# heuristic (errors also propagate through later steps), but it shows why the discrepancy
# vanishes as $L$ grows, and section 6 measures the rate exactly for a Gaussian. The check below
# uses the Gaussian of the previous cell, where $\mathrm{Var}(x_s\mid x_t)$ is also available
# from the joint covariance as $(\Sigma+s^2I)-(\Sigma+stI)(\Sigma+t^2I)^{-1}(\Sigma+stI)$.

# %%
cov_t_inv = np.linalg.inv(Sigma + t * t * np.eye(3))
var_joint = (Sigma + s * s * np.eye(3)) - (Sigma + s * t * np.eye(3)) @ cov_t_inv @ (
    Sigma + s * t * np.eye(3))
cov_x_given_t = Sigma - Sigma @ cov_t_inv @ Sigma
err_var = np.abs(var_joint - (1 - s / t) ** 2 * cov_x_given_t).max()
assert err_var < 1e-10 and np.trace(var_joint) <= 3 * (t - s) ** 2
print(f"Var(x_s|x_t) = (1-s/t)^2 Cov(x|x_t) to {max(err_var, 1e-16):.0e}; its trace "
      f"{np.trace(var_joint):.4f} <= D h^2 = {3 * (t - s) ** 2:.4f}")

# %% [markdown] slideshow={"slide_type": "notes"}
# This answers the puzzle of slide 1: a deterministic map can turn noise into samples because at
# each small step there is almost nothing random left to throw away. The bound mmse(t) <= D t^2
# is one line: x_t itself is an estimator with that error. Ask: "which step loses the most?"
# (the relative factor (1 - s/t)^2 = 1/l^2 is largest at the last steps, but there Cov(x|x_t)
# is small). *(4 min)*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The same step is an Euler step of the probability-flow ODE
#
# Along a path, $\dot x_t=g=(x_t-x)/t$. Averaging over the paths through $x_t$ gives the velocity
# field $v(t,x)=\frac{x-\bar x^*(t,x)}{t}$; the ODE $\frac{dx}{dt}=v(t,x)$ **moves $p_t$ to
# $p_s$** because $v$ carries the same probability flux as the paths. One Euler step backward by
# $h=T/L$ from $t_\ell$: $x-\frac{h}{t_\ell}(x-\bar x^*)=(1-\frac1\ell)x+\frac1\ell\bar x^*$.

# %% [markdown] slideshow={"slide_type": "skip"}
# **The one-line justification.** The density $p_t$ of $x_t$ obeys the continuity equation
# $\partial_tp_t+\nabla\cdot(p_t\,v)=0$ with $v(t,x)=\mathbb E[\dot x_t\mid x_t=x]$: the flux
# through a point is the density times the *average* velocity of the paths passing there.
# So the deterministic flow of $v$ has the same marginals $p_t$ as the noising process, and
# running it backward from $x_T\sim p_T$ ends with $x_0\sim p_0$, the data.
#
# For a single Gaussian the ODE is solvable: along an eigendirection $\dot z=z\,t/(\lambda+t^2)$,
# so $z(t)\propto\sqrt{\lambda+t^2}$ and the exact flow from $T$ to 0 multiplies by
# $\sqrt{\lambda/(\lambda+T^2)}$; it carries the variance $\lambda+T^2$ to $\lambda$, as it must.
# Remember that number: it reappears in section 6.

# %%
rng = np.random.default_rng(4)
xs_, xb_ = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
T, L = 5.0, 8
ts = cu.VE(T).grid(L)
max_err = 0.0
for l in range(1, L + 1):
    euler = sa.probability_flow_euler_step(xs_, xb_, ts[l], ts[l - 1])
    rule = (1 - 1 / l) * xs_ + xb_ / l
    ddim = cu.ddim_step(xs_, xb_, ts[l], ts[l - 1], cu.VE(T))
    max_err = max(max_err, np.abs(euler - rule).max(), np.abs(ddim - rule).max())
assert max_err < 1e-12
print(f"Euler step = (1-1/l, 1/l) step = the library's ddim_step on all {L} steps: "
      f"largest difference {max(max_err, 1e-17):.0e} (< 1e-12)")

# %% [markdown] slideshow={"slide_type": "notes"}
# Two derivations of one formula: a conditional mean (section 3) and an Euler step (here). The
# ODE view says why the limit L -> infinity is exact in distribution: the flow transports p_T to
# p_0. Ask: "if Euler is first order, what error do we expect at finite L?" (O(1/L): section 6
# makes it exact). *(3 min)*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Trajectories on the 3-D mixture
#
# $T=5$, $L=500$, 100 iterates from $\mathcal N(0,T^2I)$, shown at $t=5,2,1,0.5,0.25,0$. Lines and
# plane drawn as the support; iterates in blue.

# %% [markdown] slideshow={"slide_type": "skip"}
# These are the source's settings for its figure: $t_\ell=T\ell/L$, snapshots at
# $\ell=500,200,100,50,25,0$. We start from $\mathcal N(0,T^2I)$ as the text prescribes. (The
# source's plotting script instead starts from noised data $x+Tg$, which is the exact law of
# $x_T$ but needs data to generate data; section 7 compares the two starts.)

# %%
T, L = 5.0, 500
snap = [500, 200, 100, 50, 25, 0]
x_start = cu.initial_noise(cu.VE(T), 100, 3, np.random.default_rng(7))
x_final, path = cu.sample(gmm.denoiser(cu.VE(T)), cu.VE(T), x_start, L, return_path=snap)
traj = np.array([(np.sqrt((p**2).sum(1).mean()), sa.subspace_distance(p, bases).mean())
                 for p in path])
assert sa.subspace_distance(x_final, bases).mean() < 1e-3
assert np.all(np.diff(traj[:, 0]) < 0)  # the cloud shrinks at every snapshot

fig = plt.figure(figsize=(7.2, 3.6))
for j, (l, p) in enumerate(zip(snap, path, strict=True)):
    ax = fig.add_subplot(2, 3, j + 1, projection="3d")
    draw_support(ax, bases, variances)
    ax.scatter(p[:, 0], p[:, 1], p[:, 2], s=3, color=PALETTE["blue"], depthshade=False,
               axlim_clip=True)
    ax.set(xlim=AXIS_LIMITS[0], ylim=AXIS_LIMITS[1], zlim=AXIS_LIMITS[2],
           xticks=[-6, 0, 6], yticks=[-6, 0, 6], zticks=[-3, 0, 3])
    ax.tick_params(labelsize="x-small", pad=0)
    ax.view_init(elev=30, azim=30)
    ax.set_title(rf"$t={T * l / L:g}$", fontsize="small", pad=0)
fig.subplots_adjust(left=0, right=1, bottom=0, top=0.93, wspace=0, hspace=0.22)
plt.show()
print("rms norm " + ", ".join(f"{v:.2f}" for v in traj[:, 0]) + " | mean distance to support "
      + ", ".join(f"{v:.3f}" for v in traj[:, 1]))

# %% [markdown] slideshow={"slide_type": "notes"}
# Read the six panels in order: first the whole cloud shrinks (t = 5 to 1), only then do the
# points pick a line or the plane and snap onto it (t below 1). The source remarks that most of
# the early iterations "only contract": chapter 6 spends fewer steps there. Ask: "at which t
# does a point decide its component?" *(3 min)*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. A single Gaussian, exactly: the sampler is not a contraction
#
# For $x\sim\mathcal N(\mu,\Sigma)$ the denoiser multiplies eigen-coordinate $i$ of $x_t-\mu$ by
# $\lambda_i/(\lambda_i+t^2)$, so step $\ell$ multiplies it by
# $c_{\ell,L}=\big(1-\frac1\ell\big)+\frac1\ell\,\frac{\lambda_i}{\lambda_i+t_\ell^2}\in(0,1)$, and
#
# $$\log\prod_\ell c_{\ell,L}\approx-\sum_\ell\frac{T^2\ell/L^2}{\lambda+(T\ell/L)^2}
# \;\longrightarrow\;-\int_0^T\frac{\tau\,d\tau}{\lambda+\tau^2},
# \qquad\prod_\ell c_{\ell,L}\to\sqrt{\frac{\lambda}{\lambda+T^2}}.$$

# %% [markdown] slideshow={"slide_type": "skip"}
# Each factor is $1-O(1/L)$ for $\ell$ of order $L$, so $\log(1-u)=-u+O(u^2)$ and the sum is a
# Riemann sum over $\tau=T\ell/L$; the integral is $\tfrac12\log\frac{\lambda+T^2}{\lambda}$. The
# limit is the exact flow of section 4. First a check that these factors are what the library's
# sampler does ($\lambda=0.1,1,4$, $T=1.5$, $L=40$):

# %%
lam3 = np.array([0.1, 1.0, 4.0])
T, L = 1.5, 40
single3 = cu.GaussianMixture([1.0], np.zeros((1, 3)), np.diag(lam3)[None])
z0 = np.array([[1.0, -2.0, 0.5]])
out = cu.sample(single3.denoiser(cu.VE(T)), cu.VE(T), z0, L)
pred = z0 * sa.ve_factor_product(lam3, T, L)
assert np.allclose(out, pred, rtol=1e-10)
manual = np.prod([(1 - 1 / l) + (1 / l) * lam3 / (lam3 + (T * l / L) ** 2) for l in range(1, L + 1)],
                 axis=0)
assert np.allclose(manual, sa.ve_factor_product(lam3, T, L), rtol=1e-12)
print("sampler output", np.round(out[0], 5), "= start times the factor products",
      np.round(pred[0], 5))

# %% [markdown] slideshow={"slide_type": "notes"}
# This is the key derivation of the lecture: do the Riemann sum on the board. Stress the
# surprise: every factor is below 1, yet the product does not go to 0 as L grows: the factors
# approach 1 as fast as their number grows. Ask: "the source says the iterates converge to the
# mean; does this formula agree?" *(5 min)*

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The product levels off at $\sqrt{a/(a+1)}$, not at 0 ($T=1$, $\lambda=a$)

# %%
a_vals = np.array([0.1, 0.5, 1.0, 2.0, 5.0, 10.0])
L_axis = np.arange(1, 1001)
prods = sa.ve_factor_product(a_vals, 1.0, L_axis)
limits = sa.ve_factor_limit(a_vals, 1.0)
expected_limits = np.array([0.30151, 0.57735, 0.70711, 0.81650, 0.91287, 0.95346])
assert np.allclose(limits, expected_limits, atol=5e-6)
assert abs(prods[0, 999] - 0.30114) < 5e-6 and np.all(np.abs(prods[:, 999] - limits) <= 4e-4)
assert abs(prods[0, 9] - 0.2665) < 5e-5

fig, ax = plt.subplots(figsize=(7, 3.4))
for a, p, lim, c in zip(a_vals, prods, limits, component_colors(6), strict=True):
    ax.semilogx(L_axis, p, color=c, label=f"a = {a:g}")
    ax.axhline(lim, color=c, ls=":", lw=1)
ax.set(xlabel="number of steps $L$", ylabel=r"$\prod_{\ell=1}^{L} c_{\ell,L}$", ylim=(0, 1),
       title=r"Product of step factors ($T=1$); dotted: $\sqrt{a/(a+1)}$")
ax.legend(ncol=3, loc="lower right", fontsize="x-small")
plt.show()
print("limits sqrt(a/(a+1)):", np.round(limits, 5), "| at L=1000:", np.round(prods[:, 999], 5))

# %% [markdown] slideshow={"slide_type": "notes"}
# This is the source's newer figure ("not a contraction mapping"). Point to a = 0.1: the product
# creeps up to 0.30 slowly (0.2665 at L = 10). Ask: "which directions need the most steps?"
# (thin ones, small a). *(3 min)*

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What the sampler does instead: carry $\mathcal N(\mu,\Sigma+T^2I)$ to $\mathcal N(\mu,\Sigma)$
#
# Repeating one fixed-$t$ denoiser contracts to the mean. The sampler started from the exact
# $\mathcal N(\mu,\Sigma+T^2I)$ has output variance $(\prod_\ell c_{\ell,L})^2(\lambda_i+T^2)\to
# \lambda_i$: for finite $L$ it is **under-dispersed**. Monte Carlo, $\lambda=0.2,1,3$, $T=2$:

# %%
lam_mc, T = np.array([0.2, 1.0, 3.0]), 2.0
gauss_mc = cu.GaussianMixture([1.0], np.zeros((1, 3)), np.diag(lam_mc)[None])
rng = np.random.default_rng(8)
n_mc = 4000
x_T_exact = rng.standard_normal((n_mc, 3)) * np.sqrt(lam_mc + T**2)
lines = []
for L in (2, 10, 100):
    out = cu.sample(gauss_mc.denoiser(cu.VE(T)), cu.VE(T), x_T_exact, L)
    theory = sa.ve_output_variance(lam_mc, T, L, start="exact")
    # relative SE of a sample variance of n Gaussian values is sqrt(2/n) = 0.022
    assert np.allclose(out.var(axis=0), theory, rtol=4 * np.sqrt(2 / n_mc))
    assert np.all(theory < lam_mc)
    lines.append(f"L={L:3d}: theory {np.round(theory, 3)}, Monte Carlo {np.round(out.var(axis=0), 3)}")
repeat = (lam_mc / (lam_mc + T**2)) ** 50
assert np.all(repeat < 1e-15)
print("output variance (target [0.2 1. 3.])\n" + "\n".join(lines))
print("50 calls of the fixed-t denoiser at t = T shrink by",
      ", ".join(f"{v:.0e}" for v in repeat), "-> 0")

# %% [markdown] slideshow={"slide_type": "notes"}
# Contrast the two maps: one denoiser applied 50 times sends everything to the mean (below 1e-18 in
# every direction, printed), the sampler keeps almost all of the variance and gets more of it
# right as L grows. Ask: "why does keeping most of the iterate at every step matter?" *(3 min)*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Sample quality against the number of steps
#
# The 3-D mixture, $T=5$, 400 samples per setting, two starts: the source's $\mathcal N(0,T^2I)$,
# and the exact law of $x_T$ (noised fresh data $x+Tg$).

# %% slideshow={"slide_type": "skip"}
T = 5.0
L_grid = [1, 2, 5, 10, 20, 50, 100, 200, 500]
n_q = 400
rng = np.random.default_rng(9)
starts = {"N(0, T^2 I)": cu.initial_noise(cu.VE(T), n_q, 3, rng),
          "exact x + T g": gmm.sample(n_q, rng) + T * rng.standard_normal((n_q, 3))}
quality = {}
for name, x_init in starts.items():
    q = []
    for L in L_grid:
        out = cu.sample(gmm.denoiser(cu.VE(T)), cu.VE(T), x_init, L)
        fr = sa.component_fractions(out, bases)
        q.append((sa.subspace_distance(out, bases).mean(), np.abs(fr - 1 / 3).max(),
                  np.nanmean(sa.direction_energy(out, bases, variances))))
    quality[name] = np.array(q)
    print(name)
    for L, (dist, frd, en) in zip(L_grid, quality[name], strict=True):
        print(f"  L={L:3d}: mean distance {dist:.4f}, max |fraction - 1/3| {frd:.3f}, "
              f"mean energy {en:.3f}")
qn, qe = quality["N(0, T^2 I)"], quality["exact x + T g"]
assert qn[-1, 0] < 1e-3 and qn[0, 0] > 100 * qn[-1, 0]
# the exact start reaches the right energy (SE of a mean of ~400 chi^2 values ~ 0.07) ...
assert abs(qe[-1, 2] - 1) < 0.2
# ... the isotropic start cannot: along a line with variance v it misses the factor T^2/(v+T^2)
assert qn[-1, 2] < qe[-1, 2] - 0.2

# %%
fig, axes = plt.subplots(1, 3, figsize=(7.2, 3.0))
labels = {"N(0, T^2 I)": r"start $\mathcal{N}(0,T^2I)$", "exact x + T g": r"start $x+Tg$"}
for (name, q), c in zip(quality.items(), [PALETTE["blue"], PALETTE["vermillion"]], strict=True):
    axes[0].loglog(L_grid, np.maximum(q[:, 0], 1e-6), "o-", ms=3, color=c, label=labels[name])
    axes[1].semilogx(L_grid, q[:, 1], "o-", ms=3, color=c, label=labels[name])
    axes[2].semilogx(L_grid, q[:, 2], "o-", ms=3, color=c, label=labels[name])
axes[2].axhline(1, color="black", ls="--", lw=1, label="exact samples")
axes[0].set(xlabel="steps $L$", ylabel="mean distance (floor 1e-6)", title="to the support")
axes[1].set(xlabel="steps $L$", ylabel=r"max$_k$ |fraction$_k$ $-$ 1/3|", title="balance")
axes[2].set(xlabel="steps $L$", ylabel="mean energy", title="energy", ylim=(0, 1.3))
axes[2].legend(fontsize="x-small", loc="lower right")
fig.tight_layout()
plt.show()
print(f"L=500: mean energy {qn[-1, 2]:.2f} from N(0, T^2 I), {qe[-1, 2]:.2f} from x + T g")

# %% [markdown] slideshow={"slide_type": "notes"}
# Left: both starts land on the support once L is in the tens. Middle: balance is fine
# throughout. Right: the difference: from N(0, T^2 I) the energy stalls below 1 even at L = 500,
# because the start lacks the data's own variance and the sampler carries that deficit to the
# output. Ask: "what would fix it without knowing the data?" (a larger T, or chapter 6). *(4 min)*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Interactive: steps $L$ and horizon $T$
#
# The exact sampler on 300 points of the 3-D mixture, from one fixed draw of $\mathcal N(0,T^2I)$:
# the samples over the support, with the quality numbers. Move $L$ and $T$.

# %% slideshow={"slide_type": "skip"} tags=["nbval-ignore-output"]
widget = build_sampler_widget()
widget

# %% [markdown] slideshow={"slide_type": "skip"}
# **Static version** (no kernel needed): the widget at five settings. The builder runs all 36
# slider settings once up front, so that a slider move only redraws the figure.

# %%
settings = [(1, 5), (10, 5), (500, 5), (500, 1), (500, 10)]
fig = plt.figure(figsize=(7.2, 2.5))
for j, (L, T) in enumerate(settings):
    d = sampler_quality(L, T)
    ax = fig.add_subplot(1, len(settings), j + 1, projection="3d")
    draw_support(ax, bases, variances)
    ax.scatter(*d["samples"].T, s=2, color=PALETTE["blue"], depthshade=False, axlim_clip=True)
    ax.set(xlim=AXIS_LIMITS[0], ylim=AXIS_LIMITS[1], zlim=AXIS_LIMITS[2],
           xticks=[-6, 0, 6], yticks=[-6, 0, 6], zticks=[-3, 0, 3])
    ax.set_xlabel("x", fontsize="x-small", labelpad=-12)
    ax.set_ylabel("y", fontsize="x-small", labelpad=-12)
    ax.set_zlabel("z", fontsize="x-small", labelpad=-12)
    ax.tick_params(labelsize="xx-small", pad=-4)
    ax.view_init(elev=30, azim=30)
    ax.set_title(f"L={L}, T={T}\nenergy {np.mean(d['energy']):.2f}", fontsize="x-small", pad=0)
fig.subplots_adjust(left=0, right=1, bottom=0.02, top=0.86, wspace=0.05)
plt.show()
print(" | ".join(f"L={L}, T={T}: distance {sampler_quality(L, T)['mean_distance']:.3f}, "
                 f"energy {np.mean(sampler_quality(L, T)['energy']):.2f}" for L, T in settings))

# %% [markdown] slideshow={"slide_type": "skip"}
# The full numbers behind the panels:

# %% slideshow={"slide_type": "skip"}
for L, T in settings:
    print(summary_line(sampler_quality(L, T)))

# %% [markdown] slideshow={"slide_type": "notes"}
# Live in JupyterLab: start at L = 20, T = 5; go to L = 1 (one big step: everything near the
# origin), then L = 500; then vary T at L = 500 and watch the energy: T = 1 leaves the long
# lines short (the start lacks their variance), T = 10 nearly fixes it. Ask the room to predict
# each move before making it. In the deck, the static strip shows five settings. *(4 min)*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Where the source errs
#
# * It never says that one $g$ serves all $t$; the step rule depends on it (Exercise 4).
# * "The iterates converge to the mean": true for one repeated denoiser, false for the sampler.
# * Eq. (17) comes without its grid $t_\ell=T\ell/L$, its start, or its scope (VE only).
# * "$x_T\approx\mathcal N(0,T^2I)$" needs $T\to\infty$; at finite $T$ the output lacks variance.

# %% [markdown] slideshow={"slide_type": "skip"}
# > **The coupling is never stated.** The source writes $x_t=x+tg$ without saying that one $g$
# > serves all $t$. The step rule depends on it: the marginals of $x_t$ do not fix the joint law
# > of $(x_s,x_t)$, and another coupling with the same marginals gives another conditional mean
# > and another sampler (Exercise 4, and Going further below).
#
# > **"The iterates converge to the mean $\mu$"** (also in the book's older text). True for
# > repeating one fixed-$t$ denoiser, false for the sampler: its factor product tends to
# > $\sqrt{\lambda/(\lambda+T^2)}\ne0$ (section 6: 0.30151 for $\lambda=0.1$, $T=1$; 0.30114 at
# > $L=1000$). The book's newer text says so itself.
#
# > **The iteration comes without its grid, start, or scope.** Eq. (17) needs $t_\ell=T\ell/L$
# > (given only in the recap) and a start $\hat x_{t_L}$; it is VE-specific. On any other grid the
# > weights are $(t_{\ell-1}/t_\ell,\,1-t_{\ell-1}/t_\ell)$. Below: using the
# > $(1-\frac1\ell,\frac1\ell)$ weights on an exponential grid gives the wrong output variance
# > for a single Gaussian, while the general weights recover it.
#
# > **"$x_T/T\to g$", so "$x_T\approx\mathcal N(0,T^2I)$".** The limit needs $T\to\infty$; at
# > finite $T$ the start lacks the data's variance, and the sampler carries the deficit to the
# > output: variance $\lambda T^2/(\lambda+T^2)$ instead of $\lambda$ as $L\to\infty$. In the 3-D
# > example (line variances about 19) $T=5$ leaves the lines with about two thirds of their
# > energy (section 7, widget; a single Gaussian of variance 19 would keep $25/44=57\%$). The book
# > itself says $x_{t_L}$ "never converges to any distribution".

# %% slideshow={"slide_type": "skip"}
lam_e, T, L = 1.0, 3.0, 60
ts_exp = cu.VE(T).grid(L, kind="exponential")
z_wrong, z_right = 1.0, 1.0
for l in range(L, 0, -1):
    gain = lam_e / (lam_e + ts_exp[l] ** 2)
    z_wrong = (1 - 1 / l) * z_wrong + (1 / l) * gain * z_wrong
    r = ts_exp[l - 1] / ts_exp[l]
    z_right = r * z_right + (1 - r) * gain * z_right
var_wrong, var_right = z_wrong**2 * (lam_e + T**2), z_right**2 * (lam_e + T**2)
assert abs(var_right - lam_e) < 0.05 and abs(var_wrong - lam_e) > 0.3
print(f"exponential grid, exact start, lambda = 1: output variance with 1/l weights "
      f"{var_wrong:.3f}, with t_(l-1)/t_l weights {var_right:.3f}")
iso = sa.ve_output_variance(np.array([1.0, 19.0]), 5.0, 100000, start="isotropic")
assert np.allclose(iso, np.array([1.0, 19.0]) * 25 / (np.array([1.0, 19.0]) + 25), rtol=1e-3)
print(f"start N(0, 25 I), L -> inf: output variance {np.round(iso, 2)} for lambda = [1, 19]")

# %% [markdown] slideshow={"slide_type": "notes"}
# One line each. The first and last matter most: the first because the whole derivation of
# section 3 rests on it, the last because it is what the energy panel of section 7 showed. Ask:
# "which of these does chapter 6 fix?" (the last: the VP start is exact). *(3 min)*

# %% [markdown] slideshow={"slide_type": "skip"}
# ## 10. Exercises
#
# **Exercise 1 (derive).** Show that for $x\sim\mathcal N(\mu,\Sigma)$ the step factor of section 6,
# $c_{\ell,L}=(1-\frac1\ell)+\frac1\ell\frac{\lambda}{\lambda+t_\ell^2}$ with $t_\ell=T\ell/L$,
# can be written over one denominator as $1-\dfrac{\text{(something)}}{\lambda L^2+\ell^2T^2}$;
# find the numerator, and implement $c$ as a function `c(lam, T, L, l)`.

# %% slideshow={"slide_type": "skip"}
my_c = None  # your function c(lam, T, L, l) here
ex.check_step_factor(my_c)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# $1-c_{\ell,L}=\frac1\ell\big(1-\frac{\lambda}{\lambda+t_\ell^2}\big)=\frac1\ell\,
# \frac{t_\ell^2}{\lambda+t_\ell^2}=\frac1\ell\,\frac{T^2\ell^2/L^2}{\lambda+T^2\ell^2/L^2}
# =\frac{\ell T^2}{\lambda L^2+\ell^2T^2}$: the numerator is $\ell T^2$.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
def c_solution(lam, T, L, l):
    return 1 - l * T**2 / (lam * L**2 + l**2 * T**2)


assert ex.check_step_factor(c_solution), "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 2 (compute).** The product $\prod_\ell c_{\ell,L}$ increases with $L$ toward its
# limit. For $\lambda=0.1$ and $T=1$, what is the smallest $L$ at which it reaches $99\%$ of its
# limit? (`sa.ve_factor_product(np.array([lam]), T, L_array)` evaluates the product for many $L$
# at once.)

# %% slideshow={"slide_type": "skip"}
my_L = None  # your number of steps here
ex.check_steps_to_limit(my_L)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# Evaluate the product for $L=1,\dots,1000$, compare with $0.99\sqrt{0.1/1.1}$ and take the first
# $L$ that reaches it: $L=123$. Thin directions converge slowly: for $\lambda=1$ the same
# criterion needs only $L=32$.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
L_try = np.arange(1, 1001)
prod_try = sa.ve_factor_product(np.array([0.1]), 1.0, L_try)[0]
L_sol = int(L_try[np.argmax(prod_try >= 0.99 * sa.ve_factor_limit(0.1, 1.0))])
assert L_sol == 123 and ex.check_steps_to_limit(L_sol), "worked solution disagrees"
assert ex.steps_to_fraction_of_limit(1.0, 1.0, 0.99) == 32

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 3 (the last step).** Give the weights (on the iterate, on the denoiser output) of
# the step $\ell=1$, and explain why a direction with $\lambda=0$ is removed exactly there.

# %% slideshow={"slide_type": "skip"}
my_weights = None  # (weight on x_hat, weight on the denoiser output)
ex.check_last_step(my_weights)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# $(1-\frac11,\frac11)=(0,1)$: the last step returns $\bar x^*(t_1,\hat x_{t_1})$. In the
# single-Gaussian picture $c_{1,L}=\lambda/(\lambda+t_1^2)$, which is 0 for $\lambda=0$: the
# denoiser has no component outside the support, and nothing of the iterate is kept.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
assert ex.check_last_step((0.0, 1.0)), "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 4 (prove).** Another coupling with the same marginals: *independent increments*,
# $x_t=x_s+\sqrt{t^2-s^2}\,g'$ with $g'$ independent of $x_s$ (a Brownian motion run in time
# $t^2$). (a) Find the coefficient of $x_t$ in $\mathbb E[x_s|x_t]$ (the rest is a multiple of
# $\bar x^*$) as a function `coef(s, t)`. (b) Prove that the deterministic chain
# $\hat x\leftarrow\mathbb E[x_s|x_t=\hat x]$ built on it, for $x\sim\mathcal N(0,\lambda)$ started
# exactly from $\mathcal N(0,\lambda+T^2)$, has an output variance that does not depend on $L$,
# and give it for $\lambda=1$, $T=2$, $L=10$.

# %% slideshow={"slide_type": "skip"}
my_coef = None  # your function coef(s, t)
my_variance = None  # your number
print(ex.check_brownian_coefficient(my_coef))
print(ex.check_brownian_variance(my_variance))

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# (a) $\mathrm{Cov}(x_s,x_t)=\mathrm{Var}(x_s)=\Sigma+s^2I$ and $\mathrm{Var}(x_t)=\Sigma+t^2I$.
# Writing $\mathbb E[x_s|x_t]=\mu+(\Sigma+s^2I)(\Sigma+t^2I)^{-1}(x_t-\mu)$ and
# $\Sigma+s^2I=\frac{s^2}{t^2}(\Sigma+t^2I)+(1-\frac{s^2}{t^2})\Sigma$ gives
# $\frac{s^2}{t^2}x_t+(1-\frac{s^2}{t^2})\bar x^*$: `coef = (s/t)**2`.
# (b) Each step multiplies by $\frac{\lambda+s^2}{\lambda+t^2}$; the product over the grid
# telescopes to $\frac{\lambda+t_0^2}{\lambda+t_L^2}=\frac{\lambda}{\lambda+T^2}$. The output
# variance is $\big(\frac{\lambda}{\lambda+T^2}\big)^2(\lambda+T^2)=\frac{\lambda^2}{\lambda+T^2}
# =0.2$.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
assert ex.check_brownian_coefficient(lambda s, t: (s / t) ** 2), "worked solution disagrees"
assert ex.check_brownian_variance(1.0**2 / (1.0 + 2.0**2)), "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * One denoiser call from large $t$ returns a conditional mean: collapsed, off the support.
# * Shared noise: $\mathbb E[x_s|x_t]=\frac st x_t+(1-\frac st)\bar x^*$, the $(1-\frac1\ell,\frac1\ell)$
#   step, an Euler step of the probability-flow ODE; each step drops only $O(h^2)$ of variance.
# * For a Gaussian, $\prod_\ell c_{\ell,L}\to\sqrt{\lambda/(\lambda+T^2)}$: not a contraction; finite
#   $L$ under-disperses, and the start $\mathcal N(0,T^2I)$ loses $T^2/(\lambda+T^2)$.
# * Judge samples by distance to the support, component balance and per-direction energy.
#
# **Next:** [chapter 6](06_vp.ipynb) makes the start exact (the VP schedule) and generalizes the step
# to DDIM.

# %% [markdown] slideshow={"slide_type": "notes"}
# Recap the four lines, each with the figure behind it. Mention the optional sections below
# (another coupling; entropy of one step; a 10-dimensional run; memorization, treated fully in
# chapter 7). Ask: "which of today's results needed the denoiser to be exact?" *(2 min)*

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ## Going further: another coupling, another step
#
# The marginals $x_t\sim x+t\,\mathcal N(0,I)$ do not fix the step; the joint law does. With
# *independent increments* (Exercise 4), $x_t=x_s+\sqrt{t^2-s^2}\,g'$, every $x_t$ has the same
# law but $\mathrm{Cov}(x_s,x_t)=\Sigma+s^2I$, and
#
# $$\mathbb E[x_s\mid x_t]=\tfrac{s^2}{t^2}\,x_t+\big(1-\tfrac{s^2}{t^2}\big)\,\bar x^*(t,x_t).$$
#
# A Monte Carlo check in one dimension ($x\sim\mathcal N(0,1)$, $s=1$, $t=2$): the regression
# slope of $x_s$ on $x_t$ is $(\lambda+st)/(\lambda+t^2)=0.6$ for the shared noise and
# $(\lambda+s^2)/(\lambda+t^2)=0.4$ for independent increments.

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
lam1, s, t, n = 1.0, 1.0, 2.0, 200_000
rng = np.random.default_rng(3)
x = rng.standard_normal(n) * np.sqrt(lam1)
g, g2 = rng.standard_normal(n), rng.standard_normal(n)
pairs = {"shared": (x + s * g, x + t * g),
         "brownian": (x + s * g, x + s * g + np.sqrt(t * t - s * s) * g2)}
theory = {"shared": (lam1 + s * t) / (lam1 + t * t), "brownian": (lam1 + s * s) / (lam1 + t * t)}
for name, (x_s, x_tt) in pairs.items():
    slope = x_s @ x_tt / (x_tt @ x_tt)
    se = np.sqrt((x_s - slope * x_tt).var() / (x_tt @ x_tt))  # SE of a regression slope
    assert abs(slope - theory[name]) < 5 * se
    print(f"{name:8s}: slope {slope:.3f} (theory {theory[name]:.3f}, SE {se:.4f})")
for coupling in ("shared", "brownian"):
    ok = np.allclose(sa.coupled_conditional_mean(x_t, xbar, 0.6, 1.5, coupling),
                     sa.gaussian_coupled_mean(mu, Sigma, x_t, 0.6, 1.5, coupling), atol=1e-10)
    assert ok
print("both coefficient formulas agree with their joint covariances (to 1e-10)")

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# What would a sampler built on the Brownian conditional mean do? For a single Gaussian each step
# multiplies an eigen-coordinate by $\frac{s^2}{t^2}+(1-\frac{s^2}{t^2})\frac{\lambda}
# {\lambda+t^2}=\frac{\lambda+s^2}{\lambda+t^2}$, and the product **telescopes** to
# $\lambda/(\lambda+T^2)$ for every $L$. Started from the exact law $\mathcal N(0,\lambda+T^2)$,
# the output variance is $\lambda^2/(\lambda+T^2)<\lambda$ however many steps we take. Here
# $\mathrm{Var}(x_s\mid x_t)=(t^2-s^2)(\Sigma+s^2I)(\Sigma+t^2I)^{-1}$ is of order $h$ per step,
# not $h^2$: a
# deterministic chain of conditional means cannot follow independent increments (a correct
# sampler for that coupling has to inject fresh noise at every step). The shared coupling is what
# lets a *deterministic* sampler work.

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
lam_b, T_b = np.array([0.5, 1.0, 2.0]), 2.0
for L in (1, 10, 1000):
    ts = cu.VE(T_b).grid(L)
    z = np.ones(3)
    for l in range(L, 0, -1):
        z = sa.brownian_step(z, lam_b / (lam_b + ts[l] ** 2) * z, ts[l], ts[l - 1])
    var_out = z**2 * (lam_b + T_b**2)
    assert np.allclose(var_out, lam_b**2 / (lam_b + T_b**2), rtol=1e-10)
    print(f"L={L:4d}: Brownian-chain output variance {np.round(var_out, 4)} (lambda = {lam_b})")

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ## Going further: one step lowers the entropy (Gaussian case)
#
# The map $x_t\mapsto\mathbb E[x_s|x_t]$ is linear with gains $a_i=\frac{st+\lambda_i}{\lambda_i+t^2}
# =\frac st+(1-\frac st)\frac{\lambda_i}{\lambda_i+t^2}\in(0,1)$, so
# $h(\mathbb E[x_s|x_t])-h(x_t)=\sum_i\log a_i<0$ for every $0<s<t$, with no further conditions.
# The output is also narrower than the true $x_s$, by $\lambda_i(t-s)^2/(\lambda_i+t^2)$ per
# direction: the price of replacing a random variable by its conditional mean (the
# $\mathrm{Var}(x_s\mid x_t)$ of section 3). [Chapter 1](01_entropy.ipynb) has the other half:
# noising raises the entropy.

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
s, t = 0.5, 1.0
a_gain = sa.conditional_mean_gains(lam_mc, s, t)
A = np.diag(a_gain)
cov_t = np.diag(lam_mc + t * t)
dh = 0.5 * (np.linalg.slogdet(A @ cov_t @ A.T)[1] - np.linalg.slogdet(cov_t)[1])
assert np.isclose(dh, np.log(a_gain).sum()) and dh < 0
shortfall = lam_mc + s * s - np.diag(A @ cov_t @ A.T)
assert np.allclose(shortfall, lam_mc * (t - s) ** 2 / (lam_mc + t * t))
print(f"entropy change of one step (s={s}, t={t}, lambda={lam_mc}): {dh:.4f} nats; variance "
      f"shortfall {np.round(shortfall, 4)}")

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ## Going further: a ten-dimensional run
#
# $D=10$, $K=3$ subspaces of dimension $P=2$ with covariances $U_kU_k^\top$, $T=5$, $L=500$,
# start $\mathcal N(0,25I)$: the samples land on the subspaces (distance below $0.01$) with
# balanced fractions. The single-Gaussian analysis suggests an energy of about $25/26=0.96$
# (unit variance along each direction, a start that lacks it): for one Gaussian of variance 1
# this is the exact limit as $L\to\infty$, and finite $L$ lowers it a little further (first line
# below). With 600 samples the standard error of each
# measured energy is about $0.07$, so this run is consistent with $25/26$ but **cannot tell it
# from 1**; the exact single-Gaussian value is the precise statement.

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
var_1 = sa.ve_output_variance(np.array([1.0]), 5.0, np.array([500, 100_000]),
                              start="isotropic").ravel()
assert abs(var_1[-1] - 25 / 26) < 1e-3 and var_1[0] < var_1[-1]
print(f"one Gaussian of variance 1, start N(0, 25 I): output variance {var_1[0]:.4f} at L=500, "
      f"{var_1[-1]:.4f} at L=1e5 (25/26 = {25 / 26:.4f})")
rng = np.random.default_rng(19)
bases10 = [np.linalg.qr(rng.standard_normal((10, 2)))[0] for _ in range(3)]
gmm10 = cu.GaussianMixture.low_rank(bases10)
n10 = 600
out10 = cu.sample(gmm10.denoiser(cu.VE(5.0)), cu.VE(5.0),
                  cu.initial_noise(cu.VE(5.0), n10, 10, rng), 500)
d10 = sa.subspace_distance(out10, bases10)
fr10 = sa.component_fractions(out10, bases10)
en10 = sa.direction_energy(out10, bases10)
se10 = np.sqrt(2 / (2 * n10 / 3))  # SE of a mean of ~2 n/3 chi^2_1 values
assert d10.max() < 0.01
assert np.all(np.abs(fr10 - 1 / 3) < 4 * np.sqrt(2 / 9 / n10))
assert np.all(np.abs(en10 - 25 / 26) < 4 * se10)
print(f"D=10: max distance {d10.max():.4f}, fractions {np.round(fr10, 2)}, energies "
      f"{np.round(en10, 2)} (standard error {se10:.2f} each)")

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ## Going further: memorization
#
# *[Chapter 7](07_memorization.ipynb) treats memorization fully, with figures and learned
# denoisers; this is the one-paragraph version.*
#
# Train a denoiser on $N$ points $x_1,\dots,x_N$ by minimizing the empirical loss
# $\frac1N\sum_i\mathbb E_g\|\bar x(t,x_i+tg)-x_i\|^2$. Its exact minimizer **over all functions**
# is the posterior mean for the empirical distribution (a mixture of point masses at the $x_i$):
# $\bar x(t,x)=\sum_i\mathrm{softmax}_i\big(-\|x-x_i\|^2/(2t^2)\big)\,x_i$, a convex combination of
# training points that becomes the nearest training point as $t\to0$. A sampler run with it
# returns training points, not new data. Check with 20 training points, $T=5$, $L=200$:

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
rng = np.random.default_rng(20)
train = gmm.sample(20, rng)
x_init = cu.initial_noise(cu.VE(5.0), 200, 3, rng)
mem = cu.sample(sa.memorizing_denoiser(train), cu.VE(5.0), x_init, 200)
exact = cu.sample(gmm.denoiser(cu.VE(5.0)), cu.VE(5.0), x_init, 200)


def dist_to_train(x):
    return np.sqrt(((x[:, None, :] - train[None]) ** 2).sum(-1)).min(1)


d_mem, d_exact = dist_to_train(mem), dist_to_train(exact)
# at the last noise level t_1 = 0.025 the softmax is one-hot unless two training points are
# about t_1 apart (two of these 20 are 0.024 apart), so nearly every output is a training point
assert np.mean(d_mem < 1e-2) > 0.9 and np.median(d_exact) > 100 * np.median(d_mem)
n_distinct = len(np.unique(np.round(mem, 2), axis=0))
print(f"empirical-loss minimizer: {np.mean(d_mem < 1e-2):.2f} of the outputs within 0.01 of a "
      f"training point, about {n_distinct} distinct outputs from 20 training points")
print(f"exact denoiser of the data distribution: median distance to a training point "
      f"{np.median(d_exact):.2f}")
