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
# Chapters 2 to 4 built the Bayes-optimal denoiser $\bar x^*(t,x_t)=\mathbb E[x\mid x_t]$ and
# showed how to learn it. A denoiser is not yet a *generator*, though: fed pure noise, one call
# returns a blurred average of the data, not a sample. This chapter turns the denoiser into a
# sampler by calling it many times on a decreasing ladder of noise levels, derives the
# source's step rule from the way the noise is coupled across $t$, and then measures what the
# sampler really does: where its samples land, how spread out they are, and what changes with
# the number of steps $L$ and the horizon $T$.
#
# **Learning objectives.** After this chapter you can
# 1. explain, with a measurement, why one big denoising step from large $t$ lands off the data;
# 2. derive the step $(1-\frac1\ell)\hat x+\frac1\ell\bar x^*$ from the shared-noise coupling,
#    and say what an independent-increment (Brownian) coupling would give instead;
# 3. read the same step as an Euler step of the probability-flow ODE;
# 4. compute what the sampler does to a single Gaussian: the per-step factors $c_{\ell,L}$,
#    their product and its limit $\sqrt{\lambda/(\lambda+T^2)}$, and why that is not a
#    contraction to the mean;
# 5. judge samples by their distance to the support, component fractions and per-direction
#    energy, and recognise memorization.
#
# **Prerequisites.** Chapter 2 (the process $x_t=x+tg$, the denoiser as a conditional mean),
# chapter 3 (the mixture denoiser, eq. 8, and its single-Gaussian form, eq. 9: contract
# each eigendirection by $\lambda_i/(\lambda_i+t^2)$).
#
# **Source equations covered.** Eq. (2) (the noise model), eq. (17) (the denoising iteration),
# eqs. (18)–(19) (the start $x_T/T\to g$, $x_T\approx\mathcal N(0,T^2I)$) and the recap's grid
# $t_\ell=T\ell/L$. (Equation numbers count the seed's displayed equations in order; eq. (19)
# is the one the seed itself cites as "(19)".)

# %%
import matplotlib.pyplot as plt
import numpy as np

import course_utils as cu
from course_utils import sampler_analysis as sa
from course_utils.exercises import sampling as ex
from course_utils.plotting import PALETTE, component_colors, use_style
from course_utils.widgets.sampling import (
    AXIS_LIMITS,
    build_sampler_widget,
    sampler_quality,
    summary_line,
)

_ = use_style()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The running example: two lines and a plane in 3-D
#
# We use the source's three-dimensional mixture (its figure of the VE sampler): $D=3$, $K=3$,
# zero means, weights $1/3$, two rank-1 covariances $6ff^\top$ and one rank-2 covariance
# $3FF^\top$, with $f\in\mathbb R^{3\times1}$ and $F\in\mathbb R^{3\times2}$ standard normal.
# The source draws $f,F$ with a JAX random key, which numpy cannot reproduce, so we draw them
# from `np.random.default_rng(4)`: same construction, different lines and plane. The support
# is the union of three subspaces $\mathrm{span}(U_k)$; we keep an orthonormal basis $U_k$ of
# each and its nonzero eigenvalues $v_k$, so $\Sigma_k=U_k\,\mathrm{diag}(v_k)\,U_k^\top$.

# %%
gmm, bases, variances = sa.lines_and_plane_mixture(4)
colors3 = [PALETTE["orange"], PALETTE["green"], PALETTE["purple"]]
names3 = ["line 1", "line 2", "plane"]
rebuilt = np.stack([(u * v) @ u.T for u, v in zip(bases, variances, strict=True)])
assert np.allclose(rebuilt, gmm.covs, atol=1e-10)
for name, v in zip(names3, variances, strict=True):
    print(f"{name}: eigenvalues {np.round(v, 2)}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Three numbers will judge a cloud of samples $\hat x_1,\dots,\hat x_n$ throughout:
#
# * **distance to the support**, $\min_k\|(I-U_kU_k^\top)\hat x\|$ (0 on the data's support);
# * **component fractions**: the share of samples whose nearest subspace is $k$ (target $1/3$);
# * **per-direction energy**: among the samples nearest to subspace $k$, the mean of
#   $\|\mathrm{diag}(v_k)^{-1/2}U_k^\top\hat x\|^2/P_k$. Exact samples give 1; below 1 means
#   the samples are squeezed toward the origin (under-dispersed).
#
# On exact samples from the mixture the three numbers are what they should be, within Monte
# Carlo error:

# %%
n_ref = 3000
x_ref = gmm.sample(n_ref, np.random.default_rng(0))
d_ref = sa.subspace_distance(x_ref, bases)
fr_ref = sa.component_fractions(x_ref, bases)
en_ref = sa.direction_energy(x_ref, bases, variances)
assert d_ref.max() < 1e-9
assert np.all(np.abs(fr_ref - 1 / 3) < 4 * np.sqrt(2 / 9 / n_ref))  # 4 binomial SE
assert np.all(np.abs(en_ref - 1) < 4 * np.sqrt(2 / (n_ref / 3)))  # 4 SE of a chi^2 mean
print("max distance below 1e-9:", bool(d_ref.max() < 1e-9), "| fractions", np.round(fr_ref, 3),
      "| energy", np.round(en_ref, 3))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Why one big step is not enough
#
# The denoiser returns a *conditional mean*. When $t$ is large, $x_t$ says little about which
# component produced it, so $\bar x^*(t,x_t)$ averages the projections onto all three
# subspaces: a point between them, which no subspace contains, and much closer to the origin
# than the data. (Chapter 2 showed the one-dimensional version: for $x=\pm1$,
# $\bar x^*(t,0)=0$ is not a possible value of $x$.)
#
# We noise exact samples to $x_t=x+tg$, apply the denoiser **once**, and measure the output.
# Absolute distances shrink at large $t$ simply because the output collapses to the origin,
# so we also report the distance relative to the output's norm, and the energy ratio
# $\mathbb E\|\bar x^*\|^2/\mathbb E\|x\|^2$. For contrast, the same noisy points are also
# run through 50 small steps from $t$ down to 0 (the sampler of the next section).

# %%
t_list = np.array([0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0])
rng = np.random.default_rng(1)
x0 = gmm.sample(600, rng)
g0 = rng.standard_normal(x0.shape)
rows = []
for t in t_list:
    x_t = x0 + t * g0
    one = cu.posterior_mean(gmm, x_t, t)
    many = cu.sample(gmm.denoiser(cu.VE(t)), cu.VE(t), x_t, 50)
    dist1 = sa.subspace_distance(one, bases)
    rows.append((dist1.mean(), np.mean(dist1 / np.linalg.norm(one, axis=1)),
                 (one**2).sum(1).mean() / (x0**2).sum(1).mean(),
                 sa.subspace_distance(many, bases).mean()))
rows = np.array(rows)
print("   t | one step: mean dist, relative dist, energy ratio | 50 steps: mean dist")
for t, r in zip(t_list, rows, strict=True):
    print(f"{t:5.2f} | {r[0]:8.3f} {r[1]:10.3f} {r[2]:10.3f}           | {r[3]:8.4f}")
# one step from large t is far off the support, relative to its own size ...
assert rows[-2, 1] > 10 * rows[0, 1]
# ... and collapsed (energy ratio near 0), while 50 small steps land on the support
assert rows[-1, 2] < 0.1 and np.all(rows[:, 3] < 0.05)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
axes[0].semilogx(t_list, rows[:, 0], "o-", label="one step: mean distance")
axes[0].semilogx(t_list, rows[:, 1], "s-", label="one step: distance / norm")
axes[0].semilogx(t_list, rows[:, 3], "^-", label="50 steps: mean distance")
axes[0].set(xlabel="noise level $t$", ylabel="distance to nearest subspace",
            title="Where the denoised points land")
axes[0].legend()
axes[1].semilogx(t_list, rows[:, 2], "o-", color=PALETTE["vermillion"])
axes[1].axhline(1, color="black", ls="--", lw=1, label="data")
axes[1].set(xlabel="noise level $t$", ylabel=r"$\mathbb{E}\|\bar x^*\|^2 / \mathbb{E}\|x\|^2$",
            title="One step collapses toward the mean")
axes[1].legend()
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The VE sampler, derived from the coupling
#
# The source's process is $x_t=x+tg$ with **one** $g\sim\mathcal N(0,I)$, independent of $x$,
# shared by every $t$. For $s<t$ this gives $x_s=x+sg=\frac st x_t+(1-\frac st)x$, so
#
# $$\mathbb E[x_s\mid x_t]=\tfrac st\,x_t+\big(1-\tfrac st\big)\,\bar x^*(t,x_t).$$
#
# Replacing $x_{t}$ by the current iterate and walking down the grid $t_\ell=T\ell/L$
# ($s/t=(\ell-1)/\ell$) gives the source's iteration (eq. 17)
#
# $$\hat x_{t_{\ell-1}}=\big(1-\tfrac1\ell\big)\hat x_{t_\ell}+\tfrac1\ell\,
# \bar x^*(t_\ell,\hat x_{t_\ell}),\qquad \ell=L,\dots,1,\qquad
# \hat x_{t_L}\sim\mathcal N(0,T^2I).$$
#
# At $\ell=1$ the weights are $(0,1)$: the last step *is* a denoiser call.
#
# **Check from the joint covariance.** For $x\sim\mathcal N(\mu,\Sigma)$,
# $\mathrm{Cov}(x_s,x_t)=\Sigma+st\,I$ and $\mathrm{Cov}(x_t)=\Sigma+t^2I$, so
# $\mathbb E[x_s|x_t]=\mu+(\Sigma+stI)(\Sigma+t^2I)^{-1}(x_t-\mu)$. This must equal the
# formula above with the chapter-3 denoiser.

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
print("shared coupling: formula and joint covariance agree to 1e-10:", bool(err < 1e-10))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Another coupling, another step (source erratum 2, second part).** The marginals
# $x_t\sim x+t\,\mathcal N(0,I)$ do not fix the step; the joint law does. With *independent
# increments* instead, $x_t=x_s+\sqrt{t^2-s^2}\,g'$ with $g'$ independent of $x_s$ (a Brownian
# motion run in time $t^2$), every $x_t$ has the same law but $\mathrm{Cov}(x_s,x_t)=\Sigma+s^2I$,
# and
#
# $$\mathbb E[x_s\mid x_t]=\tfrac{s^2}{t^2}\,x_t+\big(1-\tfrac{s^2}{t^2}\big)\,\bar x^*(t,x_t).$$
#
# A Monte Carlo check in one dimension ($x\sim\mathcal N(0,1)$, $s=1$, $t=2$): the regression
# slope of $x_s$ on $x_t$ is $(\lambda+st)/(\lambda+t^2)=0.6$ for the shared noise and
# $(\lambda+s^2)/(\lambda+t^2)=0.4$ for independent increments.

# %%
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
print("both coefficient formulas agree with their joint covariances")

# %% [markdown] slideshow={"slide_type": "subslide"}
# What would a sampler built on the Brownian posterior mean do? For a single Gaussian each
# step multiplies an eigen-coordinate by $\frac{s^2}{t^2}+(1-\frac{s^2}{t^2})\frac{\lambda}
# {\lambda+t^2}=\frac{\lambda+s^2}{\lambda+t^2}$, and the product **telescopes** to
# $\lambda/(\lambda+T^2)$ for every $L$. Started from the exact law $\mathcal N(0,\lambda+T^2)$,
# the output variance is $\lambda^2/(\lambda+T^2)<\lambda$ however many steps we take: a
# deterministic chain of conditional means cannot follow independent increments (a correct
# sampler for that coupling has to inject fresh noise at every step). The shared coupling is
# what lets a *deterministic* sampler work.

# %%
lam_b, T_b = np.array([0.5, 1.0, 2.0]), 2.0
for L in (1, 10, 1000):
    ts = cu.VE(T_b).grid(L)
    z = np.ones(3)
    for l in range(L, 0, -1):
        z = sa.brownian_step(z, lam_b / (lam_b + ts[l] ** 2) * z, ts[l], ts[l - 1])
    var_out = z**2 * (lam_b + T_b**2)
    assert np.allclose(var_out, lam_b**2 / (lam_b + T_b**2), rtol=1e-10)
    print(f"L={L:4d}: Brownian-chain output variance {np.round(var_out, 4)} (lambda = {lam_b})")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The same step is an Euler step of the probability-flow ODE
#
# Differentiate $x_t=x+tg$ in $t$ with $g=(x_t-x)/t$: $\dot x_t=g=(x_t-x)/t$. Averaging $x$
# given $x_t$ gives the **probability-flow ODE**
#
# $$\frac{dx}{dt}=\frac{x-\bar x^*(t,x)}{t}.$$
#
# One explicit Euler step backward from $t_\ell$ by $h=T/L$:
# $x-\frac{h}{t_\ell}(x-\bar x^*)=(1-\frac1\ell)x+\frac1\ell\bar x^*$, exactly the source's
# step. For a single Gaussian the ODE is solvable: along an eigendirection
# $\dot z=z\,t/(\lambda+t^2)$, so $z(t)\propto\sqrt{\lambda+t^2}$ and the exact flow from $T$ to
# 0 multiplies by $\sqrt{\lambda/(\lambda+T^2)}$. Remember that number: it reappears in §6.

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
print(f"Euler step = (1-1/l, 1/l) step = core ddim_step on all {L} steps (to 1e-12):",
      bool(max_err < 1e-12))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Trajectories on the 3-D mixture
#
# The source's figure: $T=5$, $L=500$, $t_\ell=T\ell/L$, 100 iterates, snapshots at
# $\ell=500,200,100,50,25,0$, i.e. $t=5,2,1,0.5,0.25,0$. We start from
# $\mathcal N(0,T^2I)$ as the text prescribes. (The source's plotting script instead starts
# from noised data $x+Tg$, which is the exact law of $x_T$ but needs data to generate data; §8
# compares the two starts.) Colours: data by component, iterates in blue.

# %%
T, L = 5.0, 500
snap = [500, 200, 100, 50, 25, 0]
data_plot, lab_plot = gmm.sample(300, np.random.default_rng(6), return_labels=True)
x_start = cu.initial_noise(cu.VE(T), 100, 3, np.random.default_rng(7))
x_final, path = cu.sample(gmm.denoiser(cu.VE(T)), cu.VE(T), x_start, L, return_path=snap)
for l, p in zip(snap, path, strict=True):
    print(f"l={l:3d}, t={T * l / L:4.2f}: rms norm {np.sqrt((p**2).sum(1).mean()):6.3f}, "
          f"mean distance to nearest subspace {sa.subspace_distance(p, bases).mean():.3f}")
assert sa.subspace_distance(x_final, bases).mean() < 1e-3

# %%
fig = plt.figure(figsize=(12, 7.4))
for j, (l, p) in enumerate(zip(snap, path, strict=True)):
    ax = fig.add_subplot(2, 3, j + 1, projection="3d")
    for k in range(3):
        d = data_plot[lab_plot == k]
        ax.scatter(d[:, 0], d[:, 1], d[:, 2], s=3, color=colors3[k], alpha=0.5,
                   depthshade=False, axlim_clip=True, label=f"data: {names3[k]}")
    ax.scatter(p[:, 0], p[:, 1], p[:, 2], s=7, color=PALETTE["blue"], depthshade=False,
               axlim_clip=True, label="iterates")
    ax.set(xlim=AXIS_LIMITS[0], ylim=AXIS_LIMITS[1], zlim=AXIS_LIMITS[2],
           xlabel="x", ylabel="y", zlabel="z")
    ax.view_init(elev=30, azim=30)
    ax.set_title(rf"$\ell={l}$, $t_\ell={T * l / L:g}$")
    if j == 0:
        ax.legend(loc="upper left", fontsize=7)
fig.suptitle("VE sampler, T = 5, L = 500, start N(0, T^2 I): shrink globally, then snap onto "
             "the lines and the plane")
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. A single Gaussian, exactly: the sampler is not a contraction
#
# Take $x\sim\mathcal N(\mu,\Sigma)$ with $\Sigma=V\Lambda V^\top$. The denoiser multiplies the
# eigen-coordinate $i$ of $x_t-\mu$ by $\lambda_i/(\lambda_i+t^2)$ (chapter 3), so step $\ell$
# of the sampler multiplies it by
#
# $$c_{\ell,L}=\Big(1-\frac1\ell\Big)+\frac1\ell\,\frac{\lambda_i}{\lambda_i+t_\ell^2}
# =1-\frac{\ell T^2}{\lambda_iL^2+\ell^2T^2}\in(0,1)\quad(\lambda_i>0),$$
#
# and the whole sampler by $\prod_{\ell=1}^Lc_{\ell,L}$. Taking logs and turning the sum into
# an integral over $\tau=T\ell/L$,
#
# $$\log\prod_\ell c_{\ell,L}\approx-\sum_\ell\frac{T^2\ell/L^2}{\lambda+(T\ell/L)^2}
# \;\longrightarrow\;-\int_0^T\frac{\tau\,d\tau}{\lambda+\tau^2}
# =-\tfrac12\log\frac{\lambda+T^2}{\lambda},
# \qquad\prod_\ell c_{\ell,L}\to\sqrt{\frac{\lambda}{\lambda+T^2}}.$$
#
# First a check that these factors are what the core sampler does:

# %%
lam3 = np.array([0.1, 1.0, 4.0])
T, L = 1.5, 40
single3 = cu.GaussianMixture([1.0], np.zeros((1, 3)), np.diag(lam3)[None])
z0 = np.array([[1.0, -2.0, 0.5]])
out = cu.sample(single3.denoiser(cu.VE(T)), cu.VE(T), z0, L)
pred = z0 * sa.ve_factor_product(lam3, T, L)
assert np.allclose(out, pred, rtol=1e-10)
print("sampler output", np.round(out[0], 5), "= factor products times start", np.round(pred[0], 5))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The source's newer text plots the product against $L$ for $T=1$ and $\lambda=a\in\{0.1,0.5,
# 1,2,5,10\}$ (its figure "not a contraction mapping"). The curves level off at
# $\sqrt{a/(a+1)}$, not at 0:

# %%
a_vals = np.array([0.1, 0.5, 1.0, 2.0, 5.0, 10.0])
L_axis = np.arange(1, 1001)
prods = sa.ve_factor_product(a_vals, 1.0, L_axis)
limits = sa.ve_factor_limit(a_vals, 1.0)
expected_limits = np.array([0.30151, 0.57735, 0.70711, 0.81650, 0.91287, 0.95346])
assert np.allclose(limits, expected_limits, atol=5e-6)
assert abs(prods[0, 999] - 0.30114) < 5e-6 and np.all(np.abs(prods[:, 999] - limits) <= 4e-4)
assert abs(prods[0, 9] - 0.2665) < 5e-5
print("limits sqrt(a/(a+1)):", np.round(limits, 5))
print("products at L=1000:  ", np.round(prods[:, 999], 5))
print(f"a=0.1: product at L=10 is {prods[0, 9]:.4f}, {limits[0] - prods[0, 9]:.4f} below the limit")

fig, ax = plt.subplots(figsize=(7.5, 4))
for a, p, lim, c in zip(a_vals, prods, limits, component_colors(6), strict=True):
    ax.semilogx(L_axis, p, color=c, label=f"a = {a:g}")
    ax.axhline(lim, color=c, ls=":", lw=1)
ax.set(xlabel="number of steps $L$", ylabel=r"$\prod_{\ell=1}^{L} c_{\ell,L}$", ylim=(0, 1),
       title=r"Product of step factors ($T=1$): tends to $\sqrt{a/(a+1)}$ (dotted), not 0")
ax.legend(ncol=3, loc="lower right")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Why it must be so.** Applying one fixed-$t$ denoiser over and over *does* contract to the
# mean, at rate $\max_i\lambda_i/(\lambda_i+t^2)$ per call (chapter 3). The sampler is a
# different map: it keeps most of the iterate at every step, and its job is to carry the law
# of $x_T$ onto the law of $x$, not to find a point. With the exact start
# $\hat x_T\sim\mathcal N(\mu,\Sigma+T^2I)$ the output variance along direction $i$ is
# $(\prod_\ell c_{\ell,L})^2(\lambda_i+T^2)\to\lambda_i$: the output covariance tends to
# $\Sigma$. For finite $L$ the product is below its limit, so the output is
# **under-dispersed**. A Monte Carlo check with the core sampler ($\lambda=0.2,1,3$, $T=2$):

# %%
lam_mc, T = np.array([0.2, 1.0, 3.0]), 2.0
gauss_mc = cu.GaussianMixture([1.0], np.zeros((1, 3)), np.diag(lam_mc)[None])
rng = np.random.default_rng(8)
n_mc = 4000
x_T_exact = rng.standard_normal((n_mc, 3)) * np.sqrt(lam_mc + T**2)
print("lambda            ", lam_mc)
for L in (2, 10, 100):
    out = cu.sample(gauss_mc.denoiser(cu.VE(T)), cu.VE(T), x_T_exact, L)
    theory = sa.ve_output_variance(lam_mc, T, L, start="exact")
    # relative SE of a sample variance of n Gaussian values is sqrt(2/n) = 0.022
    assert np.allclose(out.var(axis=0), theory, rtol=4 * np.sqrt(2 / n_mc))
    assert np.all(theory < lam_mc)
    print(f"L={L:3d}: var theory {np.round(theory, 3)}, Monte Carlo {np.round(out.var(axis=0), 3)}")
repeat = (lam_mc / (lam_mc + T**2)) ** 50
print("50 calls of the fixed-t denoiser at t = T shrink by",
      ", ".join(f"{v:.1e}" for v in repeat), "-> 0")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **One step lowers the entropy (Gaussian case).** The map $x_t\mapsto\mathbb E[x_s|x_t]$ is
# linear with gains $a_i=\frac{st+\lambda_i}{\lambda_i+t^2}=\frac st+(1-\frac st)
# \frac{\lambda_i}{\lambda_i+t^2}\in(0,1)$, so $h(\mathbb E[x_s|x_t])-h(x_t)=\sum_i\log a_i<0$
# for every $0<s<t$, with no further conditions. The output is also narrower than the true
# $x_s$, by $\lambda_i(t-s)^2/(\lambda_i+t^2)$ per direction: the price of replacing a random
# variable by its conditional mean.

# %%
s, t = 0.5, 1.0
a_gain = sa.conditional_mean_gains(lam_mc, s, t)
A = np.diag(a_gain)
cov_t = np.diag(lam_mc + t * t)
dh = 0.5 * (np.linalg.slogdet(A @ cov_t @ A.T)[1] - np.linalg.slogdet(cov_t)[1])
assert np.isclose(dh, np.log(a_gain).sum()) and dh < 0
shortfall = lam_mc + s * s - np.diag(A @ cov_t @ A.T)
assert np.allclose(shortfall, lam_mc * (t - s) ** 2 / (lam_mc + t * t))
print(f"entropy change of one step (s={s}, t={t}): {dh:.4f} nats; variance shortfall "
      f"{np.round(shortfall, 4)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Sample quality against the number of steps
#
# Back to the 3-D mixture, $T=5$, $n=400$ samples per setting, for the two starts: the source's
# $\mathcal N(0,T^2I)$ and the exact law of $x_T$ (noised fresh data $x+Tg$).

# %%
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
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
for (name, q), c in zip(quality.items(), [PALETTE["blue"], PALETTE["vermillion"]], strict=True):
    axes[0].loglog(L_grid, np.maximum(q[:, 0], 1e-6), "o-", color=c, label=f"start {name}")
    axes[1].semilogx(L_grid, q[:, 1], "o-", color=c, label=f"start {name}")
    axes[2].semilogx(L_grid, q[:, 2], "o-", color=c, label=f"start {name}")
axes[2].axhline(1, color="black", ls="--", lw=1, label="exact samples")
axes[0].set(xlabel="steps $L$", ylabel="mean distance (floored at 1e-6)",
            title="Distance to nearest subspace")
axes[1].set(xlabel="steps $L$", ylabel=r"max$_k$ |fraction$_k$ - 1/3|",
            title="Component balance")
axes[2].set(xlabel="steps $L$", ylabel="mean energy", title="Per-direction energy", ylim=(0, 1.3))
for ax in axes:
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# The source notes' reference run (fact 19): $D=10$, $K=3$ subspaces of dimension $P=2$ with
# covariances $U_kU_k^\top$, $T=5$, $L=500$, start $\mathcal N(0,25I)$: residual $\le0.01$,
# balanced fractions, energies about $0.93$–$0.96$. The single-Gaussian analysis predicts the
# energy: the start lacks the data variance 1 on top of $T^2=25$, giving $25/26=0.96$.

# %%
rng = np.random.default_rng(19)
bases10 = [np.linalg.qr(rng.standard_normal((10, 2)))[0] for _ in range(3)]
gmm10 = cu.GaussianMixture.low_rank(bases10)
n10 = 600
out10 = cu.sample(gmm10.denoiser(cu.VE(5.0)), cu.VE(5.0),
                  cu.initial_noise(cu.VE(5.0), n10, 10, rng), 500)
d10 = sa.subspace_distance(out10, bases10)
fr10 = sa.component_fractions(out10, bases10)
en10 = sa.direction_energy(out10, bases10)
assert d10.max() < 0.01
assert np.all(np.abs(fr10 - 1 / 3) < 4 * np.sqrt(2 / 9 / n10))
assert np.all(np.abs(en10 - 25 / 26) < 4 * np.sqrt(2 / (2 * n10 / 3)))  # 4 SE
print(f"max distance {d10.max():.4f}, fractions {np.round(fr10, 2)}, energies "
      f"{np.round(en10, 2)} (single-Gaussian prediction {25 / 26:.3f})")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Memorization
#
# A denoiser learned perfectly from $N$ training points learns the *empirical* distribution: a
# mixture of point masses. Its Bayes-optimal denoiser is
# $\bar x(t,x)=\sum_i\mathrm{softmax}_i\big(-\|x-x_i\|^2/(2t^2)\big)\,x_i$, a convex combination
# of training points that becomes the nearest training point as $t\to0$. The sampler then
# reproduces the training set instead of generating new data.

# %%
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
print(f"memorizing denoiser: {np.mean(d_mem < 1e-2):.2f} of the outputs within 0.01 of a "
      f"training point, about {n_distinct} distinct outputs from 20 training points")
print(f"exact denoiser: median distance to a training point {np.median(d_exact):.2f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Interactive: steps $L$ and horizon $T$
#
# The widget runs the exact sampler on 300 points of the 3-D mixture from one fixed draw of
# $\mathcal N(0,T^2I)$ and shows the samples with the quality numbers. An $L=500$ run is 500
# denoiser calls (about 40–70 ms on the shared 2-core machine) and drawing the 3-D figure
# takes about as long again, which can exceed the 100 ms budget for one move. So the builder
# runs all 36 slider settings once up front (under a second) and a move only redraws: about
# 40 ms on an idle machine, 70 ms with the machine shared by several users.

# %% tags=["nbval-ignore-output"]
widget = build_sampler_widget()
widget

# %%
# Static version of the widget (what the sliders show, at representative settings)
settings = [(1, 5), (10, 5), (500, 5), (500, 1), (500, 10)]
fig = plt.figure(figsize=(14, 3.4))
for j, (L, T) in enumerate(settings):
    d = sampler_quality(L, T)
    ax = fig.add_subplot(1, len(settings), j + 1, projection="3d")
    ax.scatter(*d["data"].T, s=2, c=[colors3[k] for k in d["labels"]], alpha=0.4,
               depthshade=False, axlim_clip=True)
    ax.scatter(*d["samples"].T, s=4, color=PALETTE["blue"], depthshade=False, axlim_clip=True)
    ax.set(xlim=AXIS_LIMITS[0], ylim=AXIS_LIMITS[1], zlim=AXIS_LIMITS[2],
           xticks=[-6, 0, 6], yticks=[-6, 0, 6], zticks=[-3, 0, 3])
    ax.view_init(elev=30, azim=30)
    ax.set_title(f"L={L}, T={T}\nenergy {np.mean(d['energy']):.2f}", fontsize=9)
    print(summary_line(d))
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 10. Where the source errs
#
# > **Erratum 2 (second part): the coupling is never stated.** The source writes
# > $x_t=x+tg$ without saying that one $g$ serves all $t$. The step rule depends on it: with
# > shared noise the coefficient on $x_t$ in $\mathbb E[x_s|x_t]$ is $s/t$; with independent
# > increments (same marginals) it is $s^2/t^2$ (§3: Monte Carlo slopes 0.6 vs 0.4), and a
# > deterministic chain built on the latter shrinks every direction by $\lambda/(\lambda+T^2)$
# > whatever $L$ is.
#
# > **Erratum 7 (and the book's B8): "the iterates converge to the mean $\mu$".** True for
# > repeating one fixed-$t$ denoiser, false for the sampler: its factor product tends to
# > $\sqrt{\lambda/(\lambda+T^2)}\ne0$ (§6: 0.30151 for $\lambda=0.1$, $T=1$; 0.30114 at
# > $L=1000$). The book's newer text says so itself.
#
# > **Erratum 14: the iteration comes without its grid, start, or scope.** Eq. (17) needs
# > $t_\ell=T\ell/L$ (given only in the recap) and a start $\hat x_{t_L}$; it is VE-specific.
# > On any other grid the weights are $(t_{\ell-1}/t_\ell,\,1-t_{\ell-1}/t_\ell)$. Below: using
# > the $(1-\frac1\ell,\frac1\ell)$ weights on an exponential grid gives the wrong output
# > variance for a single Gaussian, while the general weights recover it.
#
# > **Erratum 15: "$x_T/T\to g$", so "$x_T\approx\mathcal N(0,T^2I)$".** The limit needs
# > $T\to\infty$; at finite $T$ the start lacks the data's variance, and the sampler carries the
# > deficit to the output: variance $\lambda T^2/(\lambda+T^2)$ instead of $\lambda$ as
# > $L\to\infty$. In the 3-D example (line variances about 19) $T=5$ leaves the lines with
# > about two thirds of their energy (§7, widget; a single Gaussian of variance 19 would keep
# > $25/44=57\%$). The book itself says $x_{t_L}$ "never converges to
# > any distribution".

# %%
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 11. Exercises
#
# **Exercise 1 (derive).** Show that for $x\sim\mathcal N(\mu,\Sigma)$ step $\ell$ multiplies the
# eigen-coordinate with eigenvalue $\lambda$ by $c_{\ell,L}=1-\frac{\ell T^2}{\lambda L^2+
# \ell^2T^2}$, and implement it as a function `c(lam, T, L, l)`.

# %%
my_c = None  # your function c(lam, T, L, l) here
print(ex.check_step_factor(my_c))

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
# Solution: (1 - 1/l) + (1/l) lam / (lam + t_l^2) with t_l = T l / L; put over one denominator.
def c_solution(lam, T, L, l):
    t_l = T * l / L
    return (1 - 1 / l) + (1 / l) * lam / (lam + t_l**2)


print(ex.check_step_factor(c_solution))

# %% [markdown]
# **Exercise 2 (compute a limit).** For $\lambda=2$ and $T=3$, what is
# $\lim_{L\to\infty}\prod_{\ell=1}^Lc_{\ell,L}$?
#
# <details><summary>Solution</summary>
#
# $\log\prod_\ell c_{\ell,L}=\sum_\ell\log\big(1-\frac{T^2\ell/L^2}{\lambda+(T\ell/L)^2}\big)$.
# Each term is $O(1/L)$, so $\log(1-u)=-u+O(u^2)$ and the sum is a Riemann sum:
# $-\int_0^T\frac{\tau}{\lambda+\tau^2}d\tau=-\frac12\log\frac{\lambda+T^2}{\lambda}$. The
# limit is $\sqrt{\lambda/(\lambda+T^2)}=\sqrt{2/11}\approx0.4264$.
# </details>

# %%
my_limit = None  # your number here
print(ex.check_factor_limit(my_limit))

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
print(ex.check_factor_limit(np.sqrt(2 / 11)))

# %% [markdown]
# **Exercise 3 (the last step).** Give the weights (on the iterate, on the denoiser output) of
# the step $\ell=1$, and explain why a direction with $\lambda=0$ is removed exactly there.
#
# <details><summary>Solution</summary>
#
# $(1-\frac11,\frac11)=(0,1)$: the last step returns $\bar x^*(t_1,\hat x_{t_1})$. In the
# single-Gaussian picture $c_{1,L}=\lambda/(\lambda+t_1^2)$, which is 0 for $\lambda=0$: the
# denoiser has no component outside the support, and nothing of the iterate is kept.
# </details>

# %%
my_weights = None  # (weight on x_hat, weight on the denoiser output)
print(ex.check_last_step(my_weights))

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
print(ex.check_last_step((0.0, 1.0)))

# %% [markdown]
# **Exercise 4 (prove).** (a) For the Brownian coupling $x_t=x_s+\sqrt{t^2-s^2}\,g'$, find the
# coefficient of $x_t$ in $\mathbb E[x_s|x_t]$ as a function `coef(s, t)`. (b) Prove that the
# deterministic chain $\hat x\leftarrow\mathbb E[x_s|x_t=\hat x]$ built on it, for
# $x\sim\mathcal N(0,\lambda)$ started exactly from $\mathcal N(0,\lambda+T^2)$, has output
# variance independent of $L$, and give it for $\lambda=1$, $T=2$, $L=10$.
#
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

# %%
my_coef = None  # your function coef(s, t)
my_variance = None  # your number
print(ex.check_brownian_coefficient(my_coef))
print(ex.check_brownian_variance(my_variance))

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
print(ex.check_brownian_coefficient(lambda s, t: (s / t) ** 2))
print(ex.check_brownian_variance(1.0**2 / (1.0 + 2.0**2)))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * One denoiser call from large $t$ returns a conditional mean: a collapsed point between the
#   components, off the support. Many small steps are needed.
# * With one noise $g$ shared by all $t$, $\mathbb E[x_s|x_t]=\frac st x_t+(1-\frac st)\bar x^*$;
#   on $t_\ell=T\ell/L$ this is the source's $(1-\frac1\ell,\frac1\ell)$ step, which is also
#   the Euler step of $dx/dt=(x-\bar x^*)/t$. Independent increments would give $s^2/t^2$ and
#   a sampler that shrinks.
# * For a Gaussian the sampler multiplies each eigen-coordinate by $\prod_\ell c_{\ell,L}\to
#   \sqrt{\lambda/(\lambda+T^2)}$: not a contraction to the mean but a map that carries
#   $\mathcal N(\mu,\Sigma+T^2I)$ to $\mathcal N(\mu,\Sigma)$ as $L\to\infty$; finite $L$
#   under-disperses, and the start $\mathcal N(0,T^2I)$ loses the factor $T^2/(\lambda+T^2)$.
# * Quality is measurable: distance to the support, component balance, per-direction energy.
#   A perfect denoiser of the *training set* only reproduces the training set.
#
# **Next:** chapter 6 replaces the exploding variance by the variance-preserving schedule,
# whose start $\mathcal N(0,I)$ is exact, and generalizes the step to DDIM.
