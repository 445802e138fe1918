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
# # Chapter 1 — Entropy: how complex is a distribution?
#
# Learning a distribution means finding a short description of it: a way to generate, or to
# encode, its samples with few bits. The yardstick for "few bits" is **entropy**. This chapter
# builds it from the ground up: discrete entropy in bits, how to estimate it from samples (and
# how not to), differential entropy for continuous data, the Gaussian closed form, and the
# surprise that makes the rest of the course necessary: data that lie near a low-dimensional
# subspace have differential entropy $-\infty$. Two repairs follow, and they turn out to be the
# same thing: the **lossy coding rate** $R_\epsilon$, and the entropy of the data after adding
# Gaussian noise, $h(x_t)$ with $x_t = x + t g$. Adding noise raises entropy; removing it
# (denoising, chapters 2–6) lowers it.
#
# **Learning objectives.** After this chapter you can
# 1. compute discrete entropy in bits, state its basic properties, and estimate it from samples
#    without the classic mistakes (summing over samples; ignoring the plug-in bias);
# 2. relate differential entropy to the entropy of a quantized variable, and compute the entropy
#    of a Gaussian in closed form;
# 3. explain why low-dimensional data have $h=-\infty$ and how the lossy coding rate
#    $R_\epsilon$ repairs this, computing $R_\epsilon$ stably;
# 4. show that $R_\epsilon$ is exactly the entropy that Gaussian noise of level
#    $t=\epsilon/\sqrt D$ adds to a Gaussian model, and that $h(x_t)$ increases with $t$;
# 5. distinguish entropy, cross-entropy and coding rate.
#
# **Prerequisites.** Linear algebra (eigenvalues, determinants, SVD) and basic probability
# (expectation, the law of large numbers, Gaussian densities). No earlier chapter.
#
# **Source equations covered.** Eq. (1), the entropy $H(x) = \mathbb E[\log 1/p(x)]$; the
# paragraph on the "two approaches" (reduce entropy gradually, or search for a code with a lower
# coding rate); eq. (2), the noise model $x_t = x + t g$, used here only to measure entropy.
# From the book the seed follows (Buchanan, Pai, Wang, Ma, ch. 3, and its appendix B) we add the
# differential and Gaussian entropy, the lossy coding rate $R_\epsilon$ (book §3.3) and the
# growth of $h(x_t)$ with $t$.

# %%
import matplotlib.pyplot as plt
import numpy as np

import course_utils as cu
from course_utils.entropy import (
    coding_rate,
    entropy,
    gaussian_cross_entropy,
    gaussian_entropy,
    gaussian_entropy_t,
    gaussian_entropy_t_derivative,
    gaussian_kl,
    miller_madow_bias,
    mixture_entropy_bounds,
    mixture_entropy_mc,
    plugin_bias_expansion,
    plugin_bias_mc,
    quantized_entropy,
    quantized_probabilities,
    sample_entropy_estimate,
    sum_over_samples,
)
from course_utils.exercises import entropy as ex
from course_utils.plotting import PALETTE, component_colors, use_style
from course_utils.widgets import entropy as went

use_style()
LN2 = np.log(2.0)
print("course_utils", cu.__version__)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Discrete entropy, in bits
#
# Let $x$ be a discrete random variable taking $m$ **distinct values** $a_1,\dots,a_m$ with
# probabilities $p_j = \Pr[x = a_j]$. Its entropy is
#
# $$H(x) \doteq \mathbb E\big[\log_2 \tfrac{1}{p(x)}\big] = -\sum_{j=1}^{m} p_j \log_2 p_j
# \quad\text{bits},\qquad 0\log 0 \doteq 0. \tag{1}$$
#
# $\log_2(1/p_j)$ is the length of the ideal codeword for $a_j$: rare values get long codes,
# frequent ones short codes, and $H$ is the average length. (With natural logs the unit is the
# *nat*; 1 nat $= 1/\ln 2 \approx 1.4427$ bits.) Three properties we check below:
#
# * $H \ge 0$, with equality iff one value has probability 1;
# * $H \le \log_2 m$, with equality iff $p$ is uniform (so the uniform law on $m$ points has
#   $\log_2 m$ bits);
# * independent variables add: $H(x, y) = H(x) + H(y)$.

# %%
coin, die = np.array([0.5, 0.5]), np.full(6, 1 / 6)
loaded = np.array([0.35, 0.25, 0.15, 0.1, 0.1, 0.05])
H_coin, H_die, H_loaded = entropy(coin), entropy(die), entropy(loaded)
assert abs(H_coin - 1.0) < 1e-12 and abs(H_die - np.log2(6)) < 1e-12  # uniform: log2 m
assert 0.0 < H_loaded < np.log2(6)  # strictly between 0 and the uniform maximum
assert entropy([1.0, 0.0, 0.0]) == 0.0  # deterministic: 0 bits
H_joint = entropy(np.outer(coin, loaded))  # joint table of an independent pair
assert abs(H_joint - (H_coin + H_loaded)) < 1e-12
print(f"fair coin {H_coin:.4f} bits | fair die {H_die:.4f} = log2 6 | loaded die {H_loaded:.4f}")
print(f"coin and loaded die together: {H_joint:.4f} = {H_coin:.4f} + {H_loaded:.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# For two values with probabilities $q$ and $1-q$ the entropy is the *binary entropy*
# $H_2(q)$: 0 bits at $q\in\{0,1\}$ (no surprise), 1 bit at $q=1/2$.

# %%
qs = np.linspace(0.0, 1.0, 201)
H2 = np.array([entropy([q, 1 - q]) for q in qs])
assert abs(H2.max() - 1.0) < 1e-12 and abs(qs[H2.argmax()] - 0.5) < 1e-12
assert np.allclose(H2, H2[::-1])  # symmetric in q <-> 1 - q
fig, ax = plt.subplots(figsize=(6.0, 3.4))
ax.plot(qs, H2, color=PALETTE["blue"], label=r"$H_2(q)=-q\log_2q-(1-q)\log_2(1-q)$")
for q, c in [(0.5, "vermillion"), (0.1, "green")]:
    ax.plot(q, entropy([q, 1 - q]), "o", color=PALETTE[c])
    ax.annotate(f"q={q}: {entropy([q, 1 - q]):.3f} bits", (q, entropy([q, 1 - q])),
                textcoords="offset points", xytext=(8, -14))
ax.set_xlabel("probability q of the first value")
ax.set_ylabel("entropy (bits)")
ax.set_title("Binary entropy: most uncertain at q = 1/2")
ax.legend(loc="lower center")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Summing over data points is not the entropy
#
# The seed writes eq. (1) as a sum over "$N$ data points $x_i \sim p$":
# $-\sum_{i=1}^N p(x_i)\log p(x_i)$. Read literally, with $x_1,\dots,x_N$ the **samples**, this
# is not an entropy. A value drawn twice is counted twice, and the weights $p(x_i)$ do not sum
# to 1: their sum is about $N\sum_j p_j^2$, so the whole expression grows like
# $N\cdot\sum_j\big(-p_j^2\log_2 p_j\big)$. In eq. (1) the sum runs over the $m$ **distinct
# values**. What *does* use the samples correctly is the **sample estimate**
#
# $$\hat H_N = -\frac1N\sum_{i=1}^N \log_2 p(x_i) \;\xrightarrow[N\to\infty]{}\; H(x),$$
#
# an average of the codeword lengths of the samples, which converges by the law of large
# numbers with standard error $\operatorname{std}(\log_2 p(x))/\sqrt N$.

# %%
rng = np.random.default_rng(1)
Ns = np.array([10, 30, 100, 300, 1000, 3000, 10000])
draws = rng.choice(loaded.size, size=Ns.max(), p=loaded)  # one stream; use its first N draws
per_sample = -(loaded**2 * np.log2(loaded)).sum()  # E[-p(x) log2 p(x)]
rows = []
for N in Ns:
    px = loaded[draws[:N]]
    wrong = sum_over_samples(px)
    est, se = sample_entropy_estimate(np.log(px), base=2, return_stderr=True)
    rows.append((N, wrong, px.sum(), est, se))
    assert abs(est - H_loaded) < 4 * se  # the estimate is within 4 standard errors of H
rows = np.array(rows)
assert np.all(np.diff(rows[:, 1]) > 0) and rows[-1, 1] > 1000 * H_loaded  # grows with N
assert abs(rows[-1, 1] / Ns[-1] - per_sample) < 0.05 * per_sample  # ~ N * E[-p log p]
print(f"true H = {H_loaded:.4f} bits")
print("     N | sum over samples | sum of p(x_i) | -1/N sum log2 p(x_i) +- s.e.")
for N, wrong, wsum, est, se in rows:
    print(f"{int(N):6d} | {wrong:16.2f} | {wsum:13.2f} | {est:.4f} +- {se:.4f}")

# %%
fig, (a1, a2) = plt.subplots(1, 2, figsize=(10.0, 3.6))
a1.loglog(Ns, rows[:, 1], "o-", color=PALETTE["vermillion"], label=r"$-\sum_i p(x_i)\log_2 p(x_i)$")
a1.loglog(Ns, rows[:, 2], "s--", color=PALETTE["orange"], label=r"$\sum_i p(x_i)$ (should be 1)")
a1.axhline(H_loaded, color=PALETTE["blue"], label=f"H = {H_loaded:.3f} bits")
a1.set_xlabel("number of samples N")
a1.set_ylabel("value")
a1.set_title("Summing over samples grows like N")
a1.legend()
a2.errorbar(Ns, rows[:, 3], yerr=2 * rows[:, 4], fmt="o", color=PALETTE["green"], capsize=3,
            label=r"$-\frac{1}{N}\sum_i\log_2 p(x_i)$ $\pm$ 2 s.e.")
a2.axhline(H_loaded, color=PALETTE["blue"], label="H")
a2.set_xscale("log")
a2.set_xlabel("number of samples N")
a2.set_ylabel("bits")
a2.set_title("The sample estimate converges to H")
a2.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Plug-in estimation and its bias
#
# The sample estimate needs the true $p$. When we only have samples, the natural estimate
# replaces $p_j$ by the empirical frequency $\hat p_j = c_j/N$ (with $c_j$ the count of value
# $a_j$): the **plug-in** entropy $\hat H = -\sum_j \hat p_j\log_2\hat p_j$. It is biased low:
# a finite sample looks more predictable than the source, because unseen values and chance
# coincidences concentrate the frequencies. A second-order Taylor expansion of $-q\log q$
# around $p_j$, with $\operatorname{Var}(\hat p_j) = p_j(1-p_j)/N$, gives the Miller–Madow bias
#
# $$\mathbb E[\hat H] - H \approx -\frac{m-1}{2N\ln 2}\ \text{bits}
# \qquad\big(\text{next term } \tfrac{1-\sum_j 1/p_j}{12N^2\ln 2}\big).$$
#
# We measure the bias by Monte Carlo (4000 data sets per $N$, one vectorized multinomial draw)
# for $m=16$ values, and compare.

# %%
p16 = np.r_[np.full(8, 0.08), np.full(8, 0.045)]
p16 = p16 / p16.sum()
N_bias = np.array([20, 50, 100, 200, 500, 1000, 5000])
rng = np.random.default_rng(2)
bias = np.array([plugin_bias_mc(p16, N, 4000, rng) for N in N_bias])  # (mean, s.e.)
mm = np.array([miller_madow_bias(16, N) for N in N_bias])
two = np.array([plugin_bias_expansion(p16, N) for N in N_bias])
assert np.all(bias[:, 0] < 0)  # always too low
ok = N_bias >= 10 * 16  # the expansion is asymptotic: check it where N >> m
# tolerance: 4 Monte Carlo standard errors + the size of the neglected second-order term
assert np.all(np.abs(bias[ok, 0] - mm[ok]) < 4 * bias[ok, 1] + np.abs(two[ok] - mm[ok]))
print("    N | plug-in bias (MC) +- s.e. | Miller-Madow -(m-1)/(2N ln2)")
for N, (b, se), m_ in zip(N_bias, bias, mm, strict=True):
    print(f"{N:5d} | {b:+.4f} +- {se:.4f}       | {m_:+.4f}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.errorbar(N_bias, -bias[:, 0], yerr=2 * bias[:, 1], fmt="o", color=PALETTE["vermillion"],
            capsize=3, label="Monte Carlo, 4000 data sets per N ($\\pm$2 s.e.)")
Nf = np.logspace(np.log10(15), np.log10(8000), 100)
ax.loglog(Nf, (16 - 1) / (2 * Nf * LN2), color=PALETTE["blue"], label=r"$(m-1)/(2N\ln 2)$, m = 16")
ax.set_xlabel("sample size N")
ax.set_ylabel(r"$H - \mathbb{E}[\hat H]$ (bits)")
ax.set_title("The plug-in entropy is too small by about (m-1)/(2N ln 2)")
ax.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Differential entropy and quantization
#
# For a continuous $x\in\mathbb R^D$ with density $p$ the analogue of (1) is the
# **differential entropy** $h(x) = -\int p(x)\log p(x)\,dx$. It is not a number of bits: it can
# be negative, and it shifts under scaling, $h(ax) = h(x) + D\log|a|$. Its meaning comes from
# quantization. Cut space into cubes of side $\Delta$ and let $x^\Delta$ be the cube containing
# $x$; cube $j$ has probability $P_j\approx p(c_j)\Delta^D$, so
#
# $$H(x^\Delta) = -\sum_j P_j\log P_j \approx h(x) - D\log\Delta
# \quad\Longleftrightarrow\quad H(x^\Delta) + D\log\Delta \;\xrightarrow[\Delta\to0]{}\; h(x).$$
#
# The bits needed to describe $x$ to precision $\Delta$ are $h(x)$ plus $D\log(1/\Delta)$: the
# second term grows without bound, the first is what distinguishes one distribution from another.
#
# **How fast?** $P_j/\Delta$ is the density of $x+u$ at the cube centre, where
# $u\sim\mathrm{Unif}[-\Delta/2,\Delta/2]^D$ is independent of $x$. For smooth densities the sum
# over centres equals the integral to high accuracy, so $H(x^\Delta)+D\log\Delta\approx h(x+u)$,
# which lies **above** $h(x)$ (adding independent noise raises entropy, §8) and, in 1-D with
# $x\sim\mathcal N(0,1)$, **below** $\tfrac12\log\big(2\pi e(1+\Delta^2/12)\big)$ (a Gaussian has
# the largest entropy for its variance). So
# $0 < H(x^\Delta)+\log\Delta-h \le \tfrac12\log(1+\Delta^2/12)\approx\Delta^2/24$ nats.
# We compute the cell masses $P_j$ exactly (Gauss–Legendre in each cell) and check this. (The
# bound is nearly attained: for a Gaussian, $x+u$ is itself very nearly Gaussian.)

# %%
def std_normal_pdf(x):
    return np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)


h_std = 0.5 * np.log(2 * np.pi * np.e)  # h of N(0, 1) in nats
cells = np.array([1.0, 0.5, 0.25, 0.1, 0.05])
quant_err = []
for d in cells:
    masses, edges = quantized_probabilities(std_normal_pdf, d, -12.0, 12.0)
    H_d = entropy(masses / masses.sum(), base=np.e)
    err = H_d + np.log(d) - h_std
    assert 0 < err <= 0.5 * np.log1p(d * d / 12) + 1e-8  # the bound derived above
    quant_err.append(err)
    print(f"cell {d:5.2f}: H(quantized) = {H_d:.4f} nats, H + log(cell) = {H_d + np.log(d):.5f},"
          f" error {err:.3e} (bound {0.5 * np.log1p(d * d / 12):.3e})")
print(f"h(N(0,1)) = {h_std:.5f} nats = {h_std / LN2:.4f} bits")
quant_err = np.array(quant_err)

# %% [markdown] slideshow={"slide_type": "subslide"}
# In practice we only have samples, so $H(x^\Delta)$ is itself a plug-in estimate, biased low by
# about (number of occupied cells $-1$)$/(2N)$ nats (§3). Shrinking $\Delta$ removes the
# quantization error but multiplies the occupied cells: the total error is smallest at an
# intermediate $\Delta$. With $N = 1000$ samples of $\mathcal N(0,1)$:

# %%
rng = np.random.default_rng(3)
x1 = rng.standard_normal(1000)
cells_mc = np.logspace(-3, np.log10(2.0), 25)
h_from_samples = np.array([quantized_entropy(x1, d) + np.log(d) for d in cells_mc])
occupied = np.array([np.unique(np.floor(x1 / d)).size for d in cells_mc])
best = cells_mc[np.argmin(np.abs(h_from_samples - h_std))]
# at the smallest cell most samples sit alone: the estimate drifts towards log(N) + log(cell)
assert h_from_samples[0] < h_std - 1.0 and occupied[0] > 0.8 * x1.size
assert 0.05 < best < 1.0
print(f"h = {h_std:.3f} nats; best cell side on this sample ~ {best:.2f}; at cell 0.001 the "
      f"estimate is {h_from_samples[0]:.3f} nats ({occupied[0]} cells for 1000 samples)")

# %%
fig, (a1, a2) = plt.subplots(1, 2, figsize=(10.0, 3.7))
d_show = 0.5
masses, edges = quantized_probabilities(std_normal_pdf, d_show, -4.0, 4.0)
xs = np.linspace(-4, 4, 400)
a1.stairs(masses / d_show, edges, color=PALETTE["orange"], fill=True, alpha=0.5,
          label=rf"$P_j/\Delta$, $\Delta$ = {d_show}")
a1.plot(xs, std_normal_pdf(xs), color=PALETTE["blue"], label="density p(x)")
a1.set_xlabel("x")
a1.set_ylabel("density")
a1.set_title("Quantizing x: one probability per cell")
a1.legend()
a2.loglog(cells, quant_err, "o", color=PALETTE["blue"], label="exact cell masses")
big_cells = cells_mc[cells_mc > 0.02]
a2.loglog(big_cells, big_cells**2 / 24, color=PALETTE["blue"], lw=1, label=r"$\Delta^2/24$")
a2.loglog(cells_mc, np.abs(h_from_samples - h_std), "s-", ms=3, color=PALETTE["vermillion"],
          label="from N = 1000 samples (plug-in)")
a2.loglog(cells_mc, (occupied - 1) / (2 * x1.size), ":", color=PALETTE["vermillion"],
          label="(occupied cells - 1)/(2N)")
a2.set_xlabel(r"cell side $\Delta$")
a2.set_ylabel(r"$|H(x^\Delta)+\log\Delta-h|$ (nats)")
a2.set_title("Quantization error vs estimation bias")
a2.set_ylim(1e-7, 5.0)
a2.legend(fontsize=8, loc="lower left")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. The entropy of a Gaussian
#
# For $x\sim\mathcal N(\mu,\Sigma)$ in $\mathbb R^D$ with $\Sigma$ invertible,
# $-\log\phi(x) = \tfrac D2\log 2\pi + \tfrac12\log\det\Sigma + \tfrac12(x-\mu)^\top\Sigma^{-1}(x-\mu)$
# and the last term has mean $\tfrac12\operatorname{tr}(\Sigma^{-1}\Sigma) = D/2$. Hence
#
# $$h(x) = \frac D2\big(1+\log 2\pi\big) + \frac12\log\det\Sigma
# = \frac D2\big(1+\log 2\pi\big) + \frac12\sum_{i=1}^D\log\lambda_i ,$$
#
# with $\lambda_i$ the eigenvalues of $\Sigma$. We compute it from the eigenvalues (a sum of
# logarithms never overflows, a determinant in high dimension does) and check it against the
# Monte Carlo estimate $-\frac1n\sum_i\log\phi(x_i)$ with `GaussianMixture.logpdf` ($K=1$).

# %%
Sigma = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, 0.3], [0.0, 0.3, 0.5]])
gauss = cu.GaussianMixture([1.0], np.zeros((1, 3)), Sigma[None])
xg = gauss.sample(20000, np.random.default_rng(4))
h_mc, se_mc = sample_entropy_estimate(gauss.logpdf(xg), return_stderr=True)
h_closed = gaussian_entropy(Sigma)
h_eig = gaussian_entropy(eigenvalues=np.linalg.eigvalsh(Sigma))
assert abs(h_closed - h_eig) < 1e-12
assert abs(h_mc - h_closed) < 4 * se_mc  # 4 Monte Carlo standard errors
print(f"closed form h = {h_closed:.4f} nats | Monte Carlo {h_mc:.4f} +- {se_mc:.4f} (n = 20000)")
big = np.full(2000, 1e-3)  # det(Sigma) = 1e-6000 underflows to 0; the log-sum does not
print(f"D = 2000, all eigenvalues 1e-3: det underflows to {np.prod(big)}, "
      f"h = {gaussian_entropy(eigenvalues=big):.2f} nats")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Low-dimensional data: $h = -\infty$
#
# The seed expects real data to be "nearly low-dimensional" and concludes that their entropy
# "should be small". The formula of §5 says more: if one eigenvalue $\lambda_D\to0$ then
# $h = \text{const} + \tfrac12\log\lambda_D\to-\infty$. A distribution supported on a
# $P$-dimensional subspace ($P<D$) has **no density** in $\mathbb R^D$, and its differential
# entropy is $-\infty$ whatever it looks like inside the subspace. Two different
# low-dimensional distributions cannot be told apart by $h$, and a quantized description costs
# $H(x^\Delta)\approx P\log(1/\Delta)$, not $D\log(1/\Delta)$, which $h - D\log\Delta$ cannot
# express. Noise repairs this: with $x_t = x+tg$, $g\sim\mathcal N(0,I)$ independent of $x$,
# a Gaussian $x$ gives $x_t\sim\mathcal N(\mu,\Sigma+t^2I)$ and
#
# $$h(x_t) = \frac D2\big(1+\log 2\pi\big) + \frac12\sum_{i=1}^D\log(\lambda_i+t^2)
# \;\approx\; (D-P)\log t + \text{const}\quad (t\to0,\ \text{rank } P).$$
#
# It is finite for every $t>0$ and tends to $-\infty$ with slope $D-P$ in $\log t$: **the
# speed of the divergence counts the missing dimensions**.

# %%
D6, P6 = 5, 2
lam_low = np.r_[np.ones(P6), np.zeros(D6 - P6)]
small = np.logspace(-8, 0, 9)
h_shrink = [gaussian_entropy(eigenvalues=np.r_[np.ones(D6 - 1), s]) for s in small]
assert np.all(np.diff(h_shrink) > 0) and gaussian_entropy(eigenvalues=lam_low) == -np.inf
slope = (gaussian_entropy_t(lam_low, 1e-3) - gaussian_entropy_t(lam_low, 1e-4)) / np.log(10)
assert abs(slope - (D6 - P6)) < 1e-5
print("smallest eigenvalue -> h:",
      ", ".join(f"{s:.0e}: {h:.2f}" for s, h in zip(small[::2], h_shrink[::2], strict=True)))
print(f"rank {P6} in D = {D6}: h(x_t) = {gaussian_entropy(eigenvalues=lam_low)} at t = 0; "
      f"slope of h(x_t) in log t near t = 0: {slope:.4f} (D - P = {D6 - P6})")

# %%
tt = np.logspace(-4, 1, 200)
fig, (a1, a2) = plt.subplots(1, 2, figsize=(10.0, 3.7))
a1.semilogx(small, h_shrink, "o-", color=PALETTE["blue"])
a1.set_xlabel(r"smallest eigenvalue $\lambda_D$ (others 1), D = 5")
a1.set_ylabel("h (nats)")
a1.set_title(r"Flattening a Gaussian sends $h \to -\infty$")
for P, c in zip(range(D6 + 1), component_colors(D6 + 1), strict=True):
    lam = np.r_[np.ones(P), np.zeros(D6 - P)]
    a2.semilogx(tt, gaussian_entropy_t(lam, tt), color=c, label=f"P = {P}, slope {D6 - P}")
a2.set_xlabel("noise level t")
a2.set_ylabel(r"$h(x_t)$ (nats)")
a2.set_title("Rank-P data in D = 5: h(x_t) ~ (D-P) log t")
a2.legend(fontsize=8, ncols=2)
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. The lossy coding rate $R_\epsilon$
#
# If we only need the data up to an error $\epsilon$, the infinite cost disappears. For $N$
# samples in $\mathbb R^D$, stacked **as rows** of $X\in\mathbb R^{N\times D}$ (the book stacks
# them as columns, $X^\top$ here), the book's coding rate of a Gaussian model is
#
# $$R_\epsilon(X) = \frac12\log\det\Big(I_D + \frac{D}{N\epsilon^2}X^\top X\Big)
# = \frac12\log\det\Big(I_N + \frac{D}{N\epsilon^2}XX^\top\Big)
# = \frac12\sum_i\log\Big(1+\frac{D\,s_i^2}{N\epsilon^2}\Big)\ \text{nats},$$
#
# where $s_i$ are the singular values of $X$ (the middle form is
# $\log\det(I+AB)=\log\det(I+BA)$). It counts the $\epsilon$-balls needed to cover the data
# (book §3.3). The last form is the stable one: no $D\times D$ or $N\times N$ determinant.
#
# **The link to noise.** Take the Gaussian model $x\sim\mathcal N(0,X^\top X/N)$ (eigenvalues
# $s_i^2/N$) and noise $w = t g$ with $t = \epsilon/\sqrt D$, so $\mathbb E\|w\|^2=\epsilon^2$.
# By §6, $h(x+w) - h(w) = \tfrac12\sum_i\log\frac{s_i^2/N+t^2}{t^2} = R_\epsilon(X)$: **the
# coding rate is exactly the entropy that VE noise of level $t=\epsilon/\sqrt D$ adds**. We check
# all of it on $N=200$ points near a 3-dimensional subspace of $\mathbb R^{10}$. (The project's
# source notes record the same three-way agreement, at 18.0649 nats, for a matrix of their own;
# the value depends on $X$, the agreement does not.)

# %%
rng = np.random.default_rng(6)
N7, D7, P7, eps = 200, 10, 3, 0.1
U7 = np.linalg.qr(rng.standard_normal((D7, P7)))[0]
X7 = rng.standard_normal((N7, P7)) * np.array([3.0, 2.0, 1.0]) @ U7.T
X7 = X7 + 0.05 * rng.standard_normal((N7, D7))
R_svd = coding_rate(X7, eps)
R_D = coding_rate(X7, eps, method="D")  # log det of the 10 x 10 matrix
R_N = coding_rate(X7, eps, method="N")  # log det of the 200 x 200 matrix
t7 = eps / np.sqrt(D7)
R_h = (gaussian_entropy(X7.T @ X7 / N7 + t7**2 * np.eye(D7))
       - gaussian_entropy(t7**2 * np.eye(D7)))  # h(x + w) - h(w)
for other in (R_D, R_N, R_h):
    assert abs(other - R_svd) < 1e-9 * R_svd  # identities: agreement to rounding
print(f"R_eps(X), eps = {eps}: SVD {R_svd:.4f} | D-side logdet {R_D:.4f} | N-side logdet "
      f"{R_N:.4f} | h(x+w) - h(w) at t = eps/sqrt(D) = {t7:.4f}: {R_h:.4f} nats")

# %% [markdown] slideshow={"slide_type": "subslide"}
# As $\epsilon\to0$, $R_\epsilon$ grows like $P\log(1/\epsilon)$ for rank-$P$ data: finite at
# every $\epsilon>0$, and its growth rate counts the **intrinsic** dimension, where $h$ was just
# $-\infty$. It decreases in $\epsilon$ and vanishes as $\epsilon\to\infty$.

# %%
eps_grid = np.logspace(-4, 2, 61)
fig, ax = plt.subplots(figsize=(6.8, 3.8))
for P, c in zip((1, 2, 3), component_colors(3), strict=True):
    Xp = rng.standard_normal((N7, P)) @ np.linalg.qr(rng.standard_normal((D7, P)))[0].T
    R = coding_rate(Xp, eps_grid)
    s_fit = (R[0] - R[10]) / np.log(eps_grid[10] / eps_grid[0])  # slope over eps in [1e-4, 1e-3]
    assert abs(s_fit - P) < 1e-3 and np.all(np.diff(R) < 0)
    ax.semilogx(eps_grid, R, color=c, label=f"rank P = {P}: slope {s_fit:.3f} per log(1/eps)")
ax.set_xlabel(r"distortion $\epsilon$")
ax.set_ylabel(r"$R_\epsilon(X)$ (nats)")
ax.set_title(r"Coding rate of N = 200 points in $\mathbb{R}^{10}$: growth counts P")
ax.legend()
plt.show()

# %% [markdown]
# **The source's "two approaches".** The seed names two ways to learn a distribution:
# (1) start from a high-entropy Gaussian and transform it gradually towards the data *by
# reducing entropy*, and (2) search a family of distributions with explicit codes for one with a
# *lower coding rate*. The identity above shows they measure the same quantity from two sides:
# approach (2) minimizes $R_\epsilon$, and $R_\epsilon$ is the entropy that noise of level
# $\epsilon/\sqrt D$ adds to the data. Approach (1) is what diffusion models do, by running the
# noising process of the next section backwards (chapters 2–6).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Adding noise raises entropy
#
# **Gaussian, closed form.** Differentiating the formula of §6,
#
# $$\frac{d}{dt}h(x_t) = \sum_{i=1}^D\frac{t}{\lambda_i+t^2} > 0\quad(t>0),\qquad
# t\,\frac{d}{dt}h(x_t) = \sum_{i=1}^D\frac{t^2}{\lambda_i+t^2}\in(0,D).$$
#
# The second form counts the directions in which the noise dominates ($\lambda_i\ll t^2$
# contributes about 1, $\lambda_i\gg t^2$ about 0): it tends to $D-P$ as $t\to0$ and to $D$ as
# $t\to\infty$. We check the derivative against central finite differences.

# %%
lam8 = np.array([4.0, 1.0, 0.25, 0.0, 0.0])
t8 = np.array([0.05, 0.3, 1.0, 3.0])
step = 1e-6
fd = (gaussian_entropy_t(lam8, t8 + step) - gaussian_entropy_t(lam8, t8 - step)) / (2 * step)
dh = gaussian_entropy_t_derivative(lam8, t8)
assert np.all(dh > 0) and np.allclose(dh, fd, rtol=1e-7)  # FD error ~ step^2 + rounding/step
for t, a, b in zip(t8, dh, fd, strict=True):
    print(f"t = {t:4.2f}: dh/dt = {a:.6f} (formula) vs {b:.6f} (finite difference); "
          f"t dh/dt = {t * a:.3f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **A Gaussian mixture, Monte Carlo.** For the 2-D, three-component mixture of the book's
# diffusion figures there is no closed form. We estimate
# $h(x_t)\approx-\frac1n\sum_i\log p_t(x_i+tg_i)$ with `GaussianMixture.logpdf(x, t)`, using
# **common random numbers**: the same $x_i$ and $g_i$ for every $t$, so that the differences
# $h(x_{t'})-h(x_t)$ are estimated with much smaller error than the values (paired standard
# errors). Two bounds bracket the truth: conditioning on the component label $y$ lowers entropy
# and knowing it saves at most $H(y)$, so $h(x_t\mid y)\le h(x_t)\le h(x_t\mid y)+H(y)$; and a
# Gaussian with the same covariance has the largest entropy, $h(x_t)\le h_{\rm Gauss}$.

# %%
F = np.array([[[2.0, 0.5], [0.5, 0.5]], [[0.5, 0.0], [0.0, 2.0]], [[1.0, -0.8], [-0.8, 1.0]]])
mix = cu.GaussianMixture(np.full(3, 1 / 3), [[-3.0, -3.0], [3.0, 3.0], [0.0, 3.0]],
                         F @ F.transpose(0, 2, 1))
t_mix = np.array([0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0])
mc = mixture_entropy_mc(mix, t_mix, 20000, np.random.default_rng(9))
bounds = [mixture_entropy_bounds(mix, t) for t in t_mix]
lower = np.array([b["lower"] for b in bounds])
upper = np.array([min(b["upper_label"], b["upper_gauss"]) for b in bounds])
assert np.all(mc["diff"] > 4 * mc["diff_stderr"])  # increasing: each step > 4 paired s.e.
assert np.all(mc["diff_stderr"] < mc["stderr"][1:])  # common random numbers pay off
assert np.all((lower - 4 * mc["stderr"] < mc["h"]) & (mc["h"] < upper + 4 * mc["stderr"]))
print("    t | h(x_t) MC +- s.e. | lower  | upper  | increase to next t +- paired s.e.")
for j, t in enumerate(t_mix):
    inc = (f"{mc['diff'][j]:+.3f} +- {mc['diff_stderr'][j]:.3f}" if j < t_mix.size - 1 else "")
    print(f"{t:5.2f} | {mc['h'][j]:.3f} +- {mc['stderr'][j]:.3f} | {lower[j]:.3f} | "
          f"{upper[j]:.3f} | {inc}")

# %%
fig, (a1, a2) = plt.subplots(1, 2, figsize=(10.0, 3.8))
tf = np.linspace(0, 3, 200)
for lam, c, name in [(np.array([4.0, 1.0]), "blue", "full rank"),
                     (np.array([4.0, 0.0]), "vermillion", "rank 1")]:
    a1.plot(tf[1:], gaussian_entropy_t(lam, tf[1:]), color=PALETTE[c],
            label=rf"$h(x_t)$, $\lambda$ = {lam.tolist()} ({name})")
    a1.plot(tf[1:], gaussian_entropy_t_derivative(lam, tf[1:]), "--", color=PALETTE[c],
            label=r"$dh/dt=\sum_i t/(\lambda_i+t^2)$")
a1.set_ylim(-4, 6)
a1.set_xlabel("t")
a1.set_ylabel("nats (per unit t for the derivative)")
a1.set_title("Gaussian in 2-D: h(x_t) and its derivative")
a1.legend(fontsize=8)
a2.fill_between(t_mix, lower, upper, color=PALETTE["sky"], alpha=0.35, label="bounds")
a2.errorbar(t_mix, mc["h"], yerr=2 * mc["stderr"], fmt="o-", color=PALETTE["blue"], capsize=3,
            label=r"Monte Carlo $\pm$ 2 s.e. (n = 20000)")
a2.set_xlabel("t")
a2.set_ylabel(r"$h(x_t)$ (nats)")
a2.set_title("Three-component mixture: entropy rises with t")
a2.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Interactive: entropy of $x_t$ for data of intrinsic dimension $P$
#
# The data are Gaussian in $D=8$ dimensions with $P$ non-zero eigenvalues $4,2,1,\tfrac12,\dots$
# and $D-P$ zero ones. Left: $h(x_t)$ against $t$ (log scale), the entropy of the noise alone
# $h(tg)$ (dashed), the tangent at the slider's $t$ (its slope in $\log t$ is $t\,dh/dt$) and
# the gap between the two curves, which is $R_\epsilon$ at $\epsilon=t\sqrt D$ (§7). Right: the
# per-direction entropies $\tfrac12\log(2\pi e(\lambda_i+t^2))$, which add up to $h(x_t)$; the
# dashed line is the noise-only level. Move $t$ down and watch the empty (orange) directions sink
# with the noise while the data directions stay put; move $P$ and watch the small-$t$ slope
# change to $D-P$.

# %% tags=["nbval-ignore-output"]
widget = went.build_entropy_widget()
widget

# %% [markdown]
# Without a running kernel, the same panels at $t = 0.03, 0.3, 3$ for $P=2$:

# %%
fig, lines = went.plot_small_multiples(went.STATIC_SETTINGS)
for line in lines:
    print(line)
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 10. Where the source errs
#
# <div class="alert alert-warning">
#
# **Erratum 1 — the entropy sum runs over values, not samples.** The seed writes
# $H = -\sum_{i=1}^N p(x_i)\log p(x_i)$ for "$N$ data points $x_i\sim p$" (and calls the
# distribution "$p(x_i)$"). In the book the sum runs over the $N$ distinct values (tokens) of a
# discrete variable. Over samples it double-counts repeated values and its weights do not sum to
# 1; it grows like $N$. The estimate built from samples is $-\frac1N\sum_i\log_2 p(x_i)$. §2
# showed it numerically; in one line:
#
# </div>

# %%
px = loaded[draws[:10000]]
print(f"N = 10000: sum over samples {sum_over_samples(px):.1f} bits | weights sum to "
      f"{px.sum():.1f} | sample estimate {sample_entropy_estimate(np.log(px), base=2):.4f} | "
      f"H = {H_loaded:.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# <div class="alert alert-warning">
#
# **Erratum 13 — coding rate is not "i.e. entropy".** The seed's heading "Minimizing coding
# rate (i.e. entropy)" merges three quantities. *Entropy* $h(p)$ is the cost of the best code for
# $p$. A learned model $q$ gives a code of average length the **cross-entropy**
# $\mathrm{CE}(p\|q) = -\mathbb E_p[\log q(x)] = h(p) + \mathrm{KL}(p\|q)\ \ge h(p)$, with
# equality iff $q=p$ (the information inequality). And the *lossy coding rate* $R_\epsilon$ of
# §7 is finite where $h=-\infty$; the seed also omits that caveat, so "their entropy should be
# small" needs the lossy rescue of §§6–7. For two Gaussians, closed form against Monte Carlo:
#
# </div>

# %%
mp, Sp = np.zeros(2), np.array([[1.0, 0.5], [0.5, 1.0]])
mq, Sq = np.array([1.0, 0.0]), np.diag([2.0, 0.5])
p_model = cu.GaussianMixture([1.0], mp[None], Sp[None])
q_model = cu.GaussianMixture([1.0], mq[None], Sq[None])
xp = p_model.sample(20000, np.random.default_rng(13))
ce_mc, ce_se = sample_entropy_estimate(q_model.logpdf(xp), return_stderr=True)
ce = gaussian_cross_entropy(mp, Sp, mq, Sq)
kl = gaussian_kl(mp, Sp, mq, Sq)
h_p = gaussian_entropy(Sp)
assert abs(ce_mc - ce) < 4 * ce_se and kl > 0 and abs(ce - (h_p + kl)) < 1e-12
assert abs(gaussian_cross_entropy(mp, Sp, mp, Sp) - h_p) < 1e-12  # q = p: no gap
print(f"h(p) = {h_p:.4f} | CE(p||q) = {ce:.4f} (Monte Carlo {ce_mc:.4f} +- {ce_se:.4f}) | "
      f"gap = KL(p||q) = {kl:.4f} nats")

# %% [markdown] slideshow={"slide_type": "subslide"}
# <div class="alert alert-warning">
#
# **Book erratum B6 — the uniform law on $N$ points has $\log_2 N$ bits.** The book's §3.3 prints
# its entropy as $\frac1N\log_2N$. Each of the $N$ terms of (1) is $\frac1N\log_2N$; there are
# $N$ of them:
#
# </div>

# %%
for n_pts in (2, 16, 1024):
    h_u = entropy(np.full(n_pts, 1 / n_pts))
    assert abs(h_u - np.log2(n_pts)) < 1e-9
    print(f"N = {n_pts:5d}: H = {h_u:.4f} bits = log2 N; the printed (1/N) log2 N would be "
          f"{np.log2(n_pts) / n_pts:.4f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 11. Exercises
#
# Each exercise has a self-check: replace `None` by your answer and run the cell. The check
# says whether you are right without telling you the value.
#
# **Exercise 1 (compute).** Find the entropy, in bits, of
# $p = (\tfrac12, \tfrac14, \tfrac18, \tfrac1{16}, \tfrac1{16})$.

# %%
my_answer = None  # your answer here (a number, in bits)
ex.check_entropy_bits(my_answer)

# %% [markdown]
# <details><summary>Solution</summary>
#
# $\log_2(1/p_j) = 1, 2, 3, 4, 4$, so $H = \tfrac12\cdot1+\tfrac14\cdot2+\tfrac18\cdot3
# +2\cdot\tfrac1{16}\cdot4 = 1.875$ bits. For a dyadic distribution the ideal codeword lengths
# are integers, and a prefix code (0, 10, 110, 1110, 1111) attains $H$ exactly.
# </details>

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
ex.check_entropy_bits(entropy(ex.EX1_P))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2 (estimate).** You draw $n=200$ samples from the uniform law on $m=16$ values and
# compute the plug-in entropy. Predict its bias $\mathbb E[\hat H]-H$ in **bits** to leading
# order (mind the sign).

# %%
my_answer = None  # your answer here (bits; negative if the estimate is too small)
ex.check_plugin_bias(my_answer)

# %% [markdown]
# <details><summary>Solution</summary>
#
# Miller–Madow: $\mathbb E[\hat H]-H\approx-(m-1)/(2n)$ nats $=-15/(400\ln 2)\approx-0.054$
# bits. The cell below also measures it by Monte Carlo; the small remaining difference is the
# next term, $(1-\sum_j1/p_j)/(12n^2\ln2) = -255/(480000\ln 2)\approx-0.0008$ bits.
# </details>

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
pred = -(16 - 1) / (2 * 200 * LN2)
b, se = plugin_bias_mc(np.full(16, 1 / 16), 200, 4000, np.random.default_rng(22))
two_terms = plugin_bias_expansion(np.full(16, 1 / 16), 200)
print(f"predicted {pred:.4f} bits (with the 1/n^2 term {two_terms:.4f}); "
      f"Monte Carlo {b:.4f} +- {se:.4f}")
ex.check_plugin_bias(pred)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3 (derive and prove).** (a) For $x\sim\mathcal N(0,\Sigma)$ with eigenvalues
# $(2, 1, 0)$ and $x_t = x+tg$, compute $\frac{d}{dt}h(x_t)$ in nats at $t=\tfrac12$.
# (b) Prove that $h(x_t)$ is strictly increasing in $t>0$ for every Gaussian, and that
# $t\,\frac{d}{dt}h(x_t)\to D-\operatorname{rank}\Sigma$ as $t\to0$.

# %%
my_answer = None  # your answer to (a), in nats per unit t
ex.check_entropy_derivative(my_answer)

# %% [markdown]
# <details><summary>Solution</summary>
#
# $x_t\sim\mathcal N(0,\Sigma+t^2I)$ and $\Sigma+t^2I$ has eigenvalues $\lambda_i+t^2$ (same
# eigenvectors), so $h(x_t)=\tfrac D2(1+\log2\pi)+\tfrac12\sum_i\log(\lambda_i+t^2)$ and
# $\frac{d}{dt}h = \sum_i\frac{t}{\lambda_i+t^2}$.
# (a) $\frac{0.5}{2.25}+\frac{0.5}{1.25}+\frac{0.5}{0.25} = 0.2222+0.4+2 = 2.6222$ nats.
# (b) Each term is positive for $t>0$ because $\lambda_i\ge0$, so the derivative is positive and
# $h$ is strictly increasing. $t\frac{dh}{dt} = \sum_i\frac{t^2}{\lambda_i+t^2}$: terms with
# $\lambda_i=0$ equal 1, terms with $\lambda_i>0$ tend to 0, so the limit is the number of zero
# eigenvalues, $D-\operatorname{rank}\Sigma$. (For a general density this is de Bruijn's
# identity $\frac{d}{dt}h(x_t) = t\,J(x_t)$ with $J$ the Fisher information; for the Gaussian
# $J=\operatorname{tr}((\Sigma+t^2I)^{-1})$.)
# </details>

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
ex.check_entropy_derivative(sum(0.5 / (lam + 0.25) for lam in (2.0, 1.0, 0.0)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 4 (compute).** Three points in the plane are the rows of
# $X = \begin{bmatrix}1&0\\0&1\\1&1\end{bmatrix}$. Compute $R_\epsilon(X)$ in nats for
# $\epsilon=\tfrac12$ (here $D=2$, $N=3$). A closed form exists.

# %%
my_answer = None  # your answer here (nats)
ex.check_coding_rate(my_answer)

# %% [markdown]
# <details><summary>Solution</summary>
#
# $X^\top X=\begin{bmatrix}2&1\\1&2\end{bmatrix}$ has eigenvalues 3 and 1, and
# $\frac{D}{N\epsilon^2}=\frac{2}{3/4}=\frac83$. So
# $R_\epsilon = \tfrac12\big[\log(1+8)+\log(1+\tfrac83)\big] = \tfrac12\log 33\approx1.7483$ nats.
# </details>

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
print(f"1/2 log 33 = {0.5 * np.log(33):.4f}; library: {coding_rate(ex.EX4_X, ex.EX4_EPS):.4f}")
ex.check_coding_rate(0.5 * np.log(33.0))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 5 (cross-entropy).** Data come from $p=\mathcal N(0,1)$ but are coded with a code
# built for $q=\mathcal N(1,4)$ (variance 4). How many extra nats per sample does this cost, that
# is, what is $\mathrm{KL}(p\|q)$?

# %%
my_answer = None  # your answer here (nats)
ex.check_gaussian_kl(my_answer)

# %% [markdown]
# <details><summary>Solution</summary>
#
# $\mathrm{CE}(p\|q) = \tfrac12\log(2\pi\cdot4)+\frac{\mathbb E_p[(x-1)^2]}{2\cdot4}
# = \tfrac12\log(8\pi)+\tfrac{1+1}{8}$ and $h(p)=\tfrac12\log(2\pi e)$, so
# $\mathrm{KL} = \log2+\tfrac14-\tfrac12\approx0.4431$ nats.
# </details>

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true} slideshow={"slide_type": "skip"}
ex.check_gaussian_kl(np.log(2.0) + 0.25 - 0.5)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * Entropy $H=-\sum_j p_j\log_2p_j$ sums over the **distinct values** of $x$; from samples, use
#   $-\frac1N\sum_i\log_2p(x_i)$ (known $p$) or the plug-in estimate, which is too small by about
#   $(m-1)/(2N\ln2)$ bits.
# * Differential entropy is what remains of $H(x^\Delta)$ after removing $D\log(1/\Delta)$; for a
#   Gaussian, $h=\tfrac D2(1+\log2\pi)+\tfrac12\log\det\Sigma$.
# * Low-dimensional data have $h=-\infty$. Adding noise, $x_t=x+tg$, makes $h(x_t)$ finite and
#   increasing in $t$, with $h(x_t)\approx(D-P)\log t$ as $t\to0$.
# * The lossy coding rate $R_\epsilon(X)=\tfrac12\log\det(I+\tfrac D{N\epsilon^2}X^\top X)$ is
#   finite, grows like $P\log(1/\epsilon)$, and equals the entropy that noise of level
#   $t=\epsilon/\sqrt D$ adds to a Gaussian model.
# * Coding with a model $q$ costs the cross-entropy $h(p)+\mathrm{KL}(p\|q)$, not $h(p)$.
#
# **Next: chapter 2 (`02_tweedie`).** If noise raises entropy, removing it should lower it. The
# best way to remove noise is the Bayes-optimal denoiser $\mathbb E[x\mid x_t]$, and Tweedie's
# formula links it to the score of the noisy density.
