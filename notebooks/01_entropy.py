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
# # Chapter 1: Entropy, or how complex is a distribution?
#
# Learning a distribution means finding a short description of it. The yardstick for "short" is
# **entropy**. We build it up (bits, differential entropy, the Gaussian closed form) and meet the
# surprise that drives the course: data near a low-dimensional subspace have entropy $-\infty$.
# The repair is to add Gaussian noise, $x_t=x+tg$: noise raises entropy, and a denoising step
# lowers it again ([chapters 2](02_tweedie.ipynb) to 6).

# %% [markdown] slideshow={"slide_type": "notes"}
# *(2 min)* Say: compression and generation are the same problem, and entropy is the currency.
# Ask the room: "How many bits does it take to describe one pixel of a photo? One photo?" (far
# fewer than the raw size: the distribution has structure.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Learning objectives.** After this chapter you can
# 1. compute discrete entropy in bits and estimate it from samples correctly;
# 2. relate differential entropy to quantization and compute a Gaussian's entropy;
# 3. explain why low-dimensional data have $h=-\infty$ and how noise, or the lossy coding rate
#    $R_\epsilon$, repairs this;
# 4. show that noise raises $h(x_t)$ and that one denoising step lowers it (Gaussian case).

# %% [markdown] slideshow={"slide_type": "notes"}
# *(1 min)* Read the objectives; say that objective 4 is the bridge to the rest of the course.

# %% [markdown] slideshow={"slide_type": "skip"}
# **Prerequisites.** Linear algebra (eigenvalues, determinants, SVD) and basic probability
# (expectation, the law of large numbers, Gaussian densities). No earlier chapter.
#
# **Source equations covered.** Eq. (1), the entropy $H(x) = \mathbb E[\log 1/p(x)]$; the
# paragraph on the "two approaches" (reduce entropy gradually, or search for a code with a lower
# coding rate); eq. (2), the noise model $x_t = x + t g$, used here to measure entropy. From the
# book the source follows (Buchanan, Pai, Wang, Ma, ch. 3, and its appendix B) we add the
# differential and Gaussian entropy, the lossy coding rate $R_\epsilon$ (book §3.3), the growth
# of $h(x_t)$ with $t$ and the entropy drop of one denoising step. Cross-entropy, the plug-in
# estimator's bias and entropy estimates for mixtures are in the "Going further" sections after
# the summary.

# %% slideshow={"slide_type": "skip"}
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
# For $x$ taking $m$ **distinct values** $a_1,\dots,a_m$ with probabilities $p_j=\Pr[x=a_j]$:
#
# $$H(x) \doteq \mathbb E\big[\log_2 \tfrac{1}{p(x)}\big] = -\sum_{j=1}^{m} p_j \log_2 p_j
# \ \text{bits},\qquad 0\log 0 \doteq 0. \tag{1}$$
#
# $\log_2(1/p_j)$ is the ideal codeword length of $a_j$; $H$ is the average length. Properties:
# $0\le H\le\log_2 m$ (equality: one sure value; uniform law), and independent variables add.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(4 min)* Say: rare values get long codewords, frequent ones short codewords. Ask: "How many
# bits for a fair die?" (log2 6 = 2.585: more than 2, fewer than 3, and a code over blocks of
# throws gets there.) With natural logs the unit is the nat; 1 nat = 1.4427 bits.

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
# Two values with probabilities $q$ and $1-q$: the *binary entropy* $H_2(q)$, 0 bits at
# $q\in\{0,1\}$ (no surprise), 1 bit at $q=1/2$.

# %%
qs = np.linspace(0.0, 1.0, 201)
H2 = np.array([entropy([q, 1 - q]) for q in qs])
assert abs(H2.max() - 1.0) < 1e-12 and abs(qs[H2.argmax()] - 0.5) < 1e-12
assert np.allclose(H2, H2[::-1])  # symmetric in q <-> 1 - q
fig, ax = plt.subplots(figsize=(6.0, 3.2))
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

# %% [markdown] slideshow={"slide_type": "notes"}
# *(2 min)* Ask: "A coin that lands heads 90% of the time: is 0.469 bits per throw achievable?"
# (yes, coding long blocks of throws.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Summing over samples is not the entropy
#
# The source writes eq. (1) as $-\sum_{i=1}^N p(x_i)\log p(x_i)$ over "$N$ data points
# $x_i\sim p$". Over **samples** this double-counts repeated values and grows like $N$. The
# estimate that uses samples correctly is the average codeword length
#
# $$\hat H_N = -\frac1N\sum_{i=1}^N \log_2 p(x_i) \;\xrightarrow[N\to\infty]{}\; H(x).$$

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
fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.0, 3.0), layout="constrained")
a1.loglog(Ns, rows[:, 1], "o-", color=PALETTE["vermillion"], label=r"$-\sum_i p(x_i)\log_2 p(x_i)$")
a1.axhline(H_loaded, color=PALETTE["blue"], label=f"H = {H_loaded:.3f} bits")
a1.set_xlabel("number of samples N")
a1.set_ylabel("bits")
a1.set_title("Summing over samples grows like N")
a1.legend(fontsize="small")
a2.errorbar(Ns, rows[:, 3], yerr=2 * rows[:, 4], fmt="o", color=PALETTE["green"], capsize=3,
            label=r"$-\frac{1}{N}\sum_i\log_2 p(x_i)$ $\pm$ 2 s.e.")
a2.axhline(H_loaded, color=PALETTE["blue"], label="H")
a2.set_xscale("log")
a2.set_xlabel("number of samples N")
a2.set_ylabel("bits")
a2.set_title("The sample estimate converges to H")
a2.legend(fontsize="small")
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# *(4 min)* Say: in eq. (1) the sum runs over the m distinct values. Over samples, the weights
# p(x_i) add up to about N sum_j p_j^2, not 1, so the total grows like N. Ask: "What is the
# standard error of the sample estimate?" (std(log2 p(x))/sqrt(N), by the law of large numbers.)
# The right tool when p is unknown (plug-in frequencies) is in Going further A.

# %% [markdown] slideshow={"slide_type": "skip"}
# The numbers behind the figure. The weights $p(x_i)$ of the sum over samples add up to about
# $N\sum_jp_j^2$ (third column), so the sum grows like $N\sum_j\big(-p_j^2\log_2p_j\big)$; the
# sample estimate converges with standard error $\operatorname{std}(\log_2p(x))/\sqrt N$.

# %% slideshow={"slide_type": "skip"}
print(f"true H = {H_loaded:.4f} bits")
print("     N | sum over samples | sum of p(x_i) | -1/N sum log2 p(x_i) +- s.e.")
for N, wrong, wsum, est, se in rows:
    print(f"{int(N):6d} | {wrong:16.2f} | {wsum:13.2f} | {est:.4f} +- {se:.4f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Differential entropy and quantization
#
# For $x\in\mathbb R^D$ with density $p$: $h(x)=-\int p\log p\,dx$ (nats; can be negative). Cut
# space into cubes of side $\Delta$; cube $j$ has probability $P_j$, and $P_j\approx p(c_j)\Delta^D$
# at its centre $c_j$ (midpoint rule). Then
#
# $$H(x^\Delta) = -\sum_j P_j\log P_j \approx h(x) - D\log\Delta ,$$
#
# so describing $x$ to precision $\Delta$ costs $h(x)+D\log(1/\Delta)$ nats: $h$ is the part
# that tells distributions apart.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Say: the D log(1/Delta) term is the same for every distribution; h is what is left.
# Ask: "Why can h be negative?" (a narrow density needs fewer bits than a unit cube's worth at the
# same precision: h(ax) = h(x) + D log|a|.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Check** on $\mathcal N(0,1)$, with the cell masses $P_j$ computed exactly: the error
# $H(x^\Delta)+\log\Delta-h$ is positive and below $\frac12\log(1+\Delta^2/12)\approx\Delta^2/24$.

# %%
def std_normal_pdf(x):
    return np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)


h_std = 0.5 * np.log(2 * np.pi * np.e)  # h of N(0, 1) in nats
cells = np.array([1.0, 0.5, 0.25, 0.1, 0.05])
quant_err, quant_rows = [], []
for d in cells:
    masses, edges = quantized_probabilities(std_normal_pdf, d, -12.0, 12.0)
    H_d = entropy(masses / masses.sum(), base=np.e)
    err = H_d + np.log(d) - h_std
    assert 0 < err <= 0.5 * np.log1p(d * d / 12) + 1e-8  # the bound derived below
    quant_err.append(err)
    quant_rows.append(f"cell {d:5.2f}: H(quantized) = {H_d:.4f} nats, H + log(cell) = "
                      f"{H_d + np.log(d):.5f}, error {err:.3e} (bound {0.5 * np.log1p(d * d / 12):.3e})")
quant_err = np.array(quant_err)
fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.0, 3.0), layout="constrained")
d_show = 0.5
masses, edges = quantized_probabilities(std_normal_pdf, d_show, -4.0, 4.0)
xs = np.linspace(-4, 4, 400)
a1.stairs(masses / d_show, edges, color=PALETTE["orange"], fill=True, alpha=0.5,
          label=rf"$P_j/\Delta$, $\Delta$ = {d_show}")
a1.plot(xs, std_normal_pdf(xs), color=PALETTE["blue"], label="density p(x)")
a1.set_xlabel("x")
a1.set_ylabel("density")
a1.set_title("Quantizing N(0, 1): one mass per cell")
a1.legend(fontsize="small")
a2.loglog(cells, quant_err, "o", color=PALETTE["blue"], label="exact cell masses")
a2.loglog(cells, 0.5 * np.log1p(cells**2 / 12), color=PALETTE["black"], lw=1,
          label=r"bound $\frac{1}{2}\log(1+\Delta^2/12)$")
a2.set_xlabel(r"cell side $\Delta$")
a2.set_ylabel(r"$H(x^\Delta)+\log\Delta-h$ (nats)")
a2.set_title(r"The error vanishes like $\Delta^2/24$")
a2.legend(fontsize="small")
plt.show()
print(f"h(N(0,1)) = {h_std:.5f} nats; H(x^Delta) + log Delta - h = {quant_err[0]:.2e} at "
      f"Delta = 1 and {quant_err[-1]:.2e} at Delta = 0.05")

# %% [markdown] slideshow={"slide_type": "notes"}
# *(2 min)* Left: one mass per cell, P_j/Delta tracks the density. Right: the error is tiny and
# positive. Ask: "Why positive?" (P_j/Delta^D is the density of x plus uniform noise in a cell,
# and adding noise raises entropy: section 7.)

# %% [markdown] slideshow={"slide_type": "skip"}
# **How fast, and why positive?** The approximation above is the midpoint rule: it replaces
# $P_j$ by $p(c_j)\Delta^D$ and the sum $-\sum_jP_j\log(P_j/\Delta^D)$ by the integral
# $-\int p\log p$. Exactly, $P_j/\Delta^D$ is the density at $c_j$ of $x+u$, where
# $u\sim\mathrm{Unif}[-\Delta/2,\Delta/2]^D$ is independent of $x$, and $x+u$ has a density that
# is constant over each cell up to a smooth correction. So
# $H(x^\Delta)+D\log\Delta\approx h(x+u)$, which lies **above** $h(x)$ (adding independent noise
# raises entropy, section 7), and, in 1-D with $x\sim\mathcal N(0,1)$, **below**
# $\tfrac12\log\big(2\pi e(1+\Delta^2/12)\big)$ (a Gaussian has the largest entropy for its
# variance). So $0 < H(x^\Delta)+\log\Delta-h \le \tfrac12\log(1+\Delta^2/12)\approx\Delta^2/24$
# nats, which the cell above asserts with the cell masses $P_j$ computed exactly (Gauss–Legendre
# in each cell). The bound is nearly attained: for a Gaussian, $x+u$ is itself very nearly
# Gaussian. Estimating $H(x^\Delta)$ from samples adds a second error (Going further B).

# %% slideshow={"slide_type": "skip"}
print("\n".join(quant_rows))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The entropy of a Gaussian
#
# Write $\varphi(x;\mu,\Sigma)$ for the density of $\mathcal N(\mu,\Sigma)$ in $\mathbb R^D$.
# $-\log\varphi = \tfrac D2\log 2\pi + \tfrac12\log\det\Sigma + \tfrac12(x-\mu)^\top\Sigma^{-1}(x-\mu)$,
# and the last term has mean $D/2$. Hence, with $\lambda_i$ the eigenvalues of $\Sigma$,
#
# $$h(x) = \frac D2\big(1+\log 2\pi\big) + \frac12\sum_{i=1}^D\log\lambda_i .$$
#
# Computed as a sum of logs (a determinant in high dimension underflows) and checked by Monte Carlo.

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

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Derive the D/2: E[(x-mu)^T Sigma^{-1} (x-mu)] = tr(Sigma^{-1} Sigma) = D. Ask: "What
# happens to h when one eigenvalue goes to 0?" (it goes to minus infinity: next slide.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Low-dimensional data: $h=-\infty$, and noise repairs it
#
# If $\lambda_D\to0$ then $h\to-\infty$: data on a $P$-dimensional subspace ($P<D$) have no
# density and $h=-\infty$, whatever they look like inside it. Add noise, $x_t=x+tg$ with
# $g\sim\mathcal N(0,I)$ independent of $x$, so $x_t\sim\mathcal N(\mu,\Sigma+t^2I)$:
#
# $$h(x_t) = \frac D2\big(1+\log 2\pi\big) + \frac12\sum_{i=1}^D\log(\lambda_i+t^2)
# \;\approx\; (D-P)\log t + \text{const}\quad (t\to0).$$
#
# Finite for $t>0$; the slope in $\log t$ **counts the missing dimensions**.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Say: the source expects real data to be "nearly low-dimensional" with "small"
# entropy; the formula says the entropy is not small but minus infinity, and says nothing about
# what the data look like inside the subspace. Ask: "Two different distributions on the same
# plane in R^3: can h tell them apart?" (no, both are minus infinity.)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Left: flattening one direction of a Gaussian. Right: $h(x_t)$ for rank-$P$ data in $D=5$; the
# slope at small $t$ is $D-P$.

# %%
D6, P6 = 5, 2
lam_low = np.r_[np.ones(P6), np.zeros(D6 - P6)]
small = np.logspace(-8, 0, 9)
h_shrink = [gaussian_entropy(eigenvalues=np.r_[np.ones(D6 - 1), s]) for s in small]
assert np.all(np.diff(h_shrink) > 0) and gaussian_entropy(eigenvalues=lam_low) == -np.inf
slope = (gaussian_entropy_t(lam_low, 1e-3) - gaussian_entropy_t(lam_low, 1e-4)) / np.log(10)
assert abs(slope - (D6 - P6)) < 1e-5
tt = np.logspace(-4, 1, 200)
fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.0, 3.0), layout="constrained")
a1.semilogx(small, h_shrink, "o-", color=PALETTE["blue"])
a1.set_xlabel(r"smallest eigenvalue $\lambda_D$ (others 1)")
a1.set_ylabel("h (nats)")
a1.set_title(r"Flattening a Gaussian in D = 5: $h \to -\infty$")
for P, c in zip(range(D6 + 1), component_colors(D6 + 1), strict=True):
    lam = np.r_[np.ones(P), np.zeros(D6 - P)]
    a2.semilogx(tt, gaussian_entropy_t(lam, tt), color=c, label=f"P = {P}: slope {D6 - P}")
a2.set_xlabel("noise level t")
a2.set_ylabel(r"$h(x_t)$ (nats)")
a2.set_title(r"Rank P in D = 5: $h(x_t)\approx(D-P)\log t$")
a2.legend(fontsize="x-small", ncols=2)
plt.show()
print(f"rank {P6} in D = {D6}: h = {gaussian_entropy(eigenvalues=lam_low)} at t = 0; "
      f"slope of h(x_t) in log t near t = 0: {slope:.4f} (D - P = {D6 - P6})")

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Say: noise fixes the divergence, and the slope in log t reads off D - P. Ask: "Which
# curve is full-rank data?" (P = 5: slope 0, h(x_t) stays finite as t goes to 0.)

# %% [markdown] slideshow={"slide_type": "skip"}
# A quantized description of rank-$P$ data costs $H(x^\Delta)\approx P\log(1/\Delta)$, not
# $D\log(1/\Delta)$, which $h-D\log\Delta$ cannot express. The printed values of $h$ as the
# smallest eigenvalue shrinks:

# %% slideshow={"slide_type": "skip"}
print("smallest eigenvalue -> h:",
      ", ".join(f"{s:.0e}: {h:.2f}" for s, h in zip(small[::2], h_shrink[::2], strict=True)))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. The lossy coding rate $R_\epsilon$
#
# For $N$ samples stacked as rows of $X\in\mathbb R^{N\times D}$, with singular values $s_i$, the
# book's coding rate (number of $\epsilon$-balls to cover the data, §3.3) is
#
# $$R_\epsilon(X) = \frac12\log\det\Big(I_D + \frac{D}{N\epsilon^2}X^\top X\Big)
# = \frac12\sum_i\log\Big(1+\frac{D\,s_i^2}{N\epsilon^2}\Big)\ \text{nats}.$$
#
# **Link to noise.** For the Gaussian model $x\sim\mathcal N(0,X^\top X/N)$ and $w=tg$ with
# $t=\epsilon/\sqrt D$: $R_\epsilon(X)=h(x+w)-h(w)$, the entropy the noise adds. For any other
# $x$ with that second moment it is an **upper bound** (the Gaussian has maximum entropy).

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
       - gaussian_entropy(t7**2 * np.eye(D7)))  # h(x + w) - h(w), Gaussian model
for other in (R_D, R_N, R_h):
    assert abs(other - R_svd) < 1e-9 * R_svd  # identities: agreement to rounding
# the empirical law of the same rows (x uniform on the N rows): h(x + w) <= h(w) + log N
assert np.log(N7) < R_svd
print(f"N = {N7} points in R^{D7}, eps = {eps}: R_eps = {R_svd:.4f} nats (SVD) = {R_D:.4f} "
      f"(D x D logdet) = {R_N:.4f} (N x N logdet) = h(x+w) - h(w) = {R_h:.4f} (Gaussian model)")
print(f"x uniform on the same {N7} rows: h(x+w) - h(w) <= log {N7} = {np.log(N7):.4f} nats")

# %% [markdown] slideshow={"slide_type": "notes"}
# *(4 min)* Say: the middle form uses log det(I + AB) = log det(I + BA); the sum over singular
# values is the stable one. Ask: "If the data are not Gaussian, is R_eps still the entropy the
# noise adds?" (no: it is an upper bound. The printed example: 200 points taken as an empirical
# law gain at most log 200 = 5.30 nats, far below R_eps.)

# %% [markdown] slideshow={"slide_type": "skip"}
# Why the identity: with eigenvalues $s_i^2/N$ of the model covariance, section 5 gives
# $h(x+w)-h(w)=\tfrac12\sum_i\log\frac{s_i^2/N+t^2}{t^2}$, which is $R_\epsilon(X)$ at
# $t=\epsilon/\sqrt D$ (so $\mathbb E\|w\|^2=\epsilon^2$). Why the bound: for any $x$ independent
# of $w$ with $\mathbb E[xx^\top]=X^\top X/N$, the covariance of $x+w$ is at most
# $X^\top X/N+t^2I$ (in the positive semidefinite order), and among all laws with a given
# covariance the Gaussian has the largest entropy. For the empirical law of the rows the gap is
# far from the bound: knowing which row was drawn saves at most $\log N$ nats, so
# $h(x+w)\le h(w)+\log N$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# As $\epsilon\to0$, $R_\epsilon$ grows like $P\log(1/\epsilon)$ for rank-$P$ data: finite, and its
# growth rate counts the **intrinsic** dimension, where $h$ was just $-\infty$.

# %%
eps_grid = np.logspace(-4, 2, 61)
fig, ax = plt.subplots(figsize=(6.4, 3.4))
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

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Ask: "Where does R_eps go as eps grows?" (to 0: one ball covers everything.) Point
# out that the slopes are 1, 2, 3: the intrinsic dimension, visible where h gave no information.

# %% [markdown] slideshow={"slide_type": "skip"}
# **The source's "two approaches".** The source names two ways to learn a distribution:
# (1) start from a high-entropy Gaussian and transform it gradually towards the data *by
# reducing entropy*, and (2) search a family of distributions with explicit codes for one with a
# *lower coding rate*. The identity above shows they measure the same quantity from two sides:
# approach (2) minimizes $R_\epsilon$, and $R_\epsilon$ is the entropy that noise of level
# $\epsilon/\sqrt D$ adds to a Gaussian model of the data. Approach (1) is what diffusion models
# do, by running the noising process backwards, one denoising step at a time (next section and
# [chapters 2](02_tweedie.ipynb) to 6).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Noise raises entropy; a denoising step lowers it
#
# Gaussian data: $\frac{d}{dt}h(x_t)=\sum_i\frac{t}{\lambda_i+t^2}>0$. One denoising step from $t$
# down to $s<t$, $\hat x_s=\frac st x_t+(1-\frac st)\,\mathbb E[x\mid x_t]$ (the sampler of
# [chapter 5](05_sampling.ipynb)), is linear with eigenvalues
#
# $$a_i=\frac{st+\lambda_i}{\lambda_i+t^2}\in(0,1),\qquad h(\hat x_s)-h(x_t)=\sum_i\log a_i<0,$$
#
# for every $0<s<t$: no other condition. It even lands a little below $h(x_s)$.

# %%
lam8 = np.array([4.0, 1.0, 0.25, 0.0, 0.0])
t8 = np.array([0.05, 0.3, 1.0, 3.0])
step = 1e-6
fd = (gaussian_entropy_t(lam8, t8 + step) - gaussian_entropy_t(lam8, t8 - step)) / (2 * step)
dh = gaussian_entropy_t_derivative(lam8, t8)
assert np.all(dh > 0) and np.allclose(dh, fd, rtol=1e-7)  # FD error ~ step^2 + rounding/step
Q8 = np.linalg.qr(np.random.default_rng(8).standard_normal((5, 5)))[0]
gmm8 = cu.GaussianMixture([1.0], np.zeros((1, 5)), ((Q8 * lam8) @ Q8.T)[None])


def denoise_step_matrix(t, s):
    """The matrix of x_t -> (s/t) x_t + (1 - s/t) E[x | x_t], from the library's denoiser."""
    eye = np.eye(5)
    return (s / t) * eye + (1 - s / t) * cu.posterior_mean(gmm8, eye, t)


drops = []
for t in (0.3, 1.0, 3.0):
    s = t / 2
    A8 = denoise_step_matrix(t, s)
    a = (s * t + lam8) / (lam8 + t**2)
    assert np.allclose(np.sort(np.linalg.eigvalsh((A8 + A8.T) / 2)), np.sort(a), atol=1e-12)
    h_t = gaussian_entropy_t(lam8, t)
    h_step = gaussian_entropy(A8 @ ((Q8 * (lam8 + t**2)) @ Q8.T) @ A8.T)
    assert abs(h_step - (h_t + np.log(a).sum())) < 1e-9
    assert h_step < gaussian_entropy_t(lam8, s) < h_t
    drops.append(f"t={t:g} -> s={s:g}: {h_t:.3f} -> {h_step:.3f} "
                 f"(h(x_s) = {gaussian_entropy_t(lam8, s):.3f})")
print(f"dh/dt at t = {t8.tolist()}: {np.round(dh, 4).tolist()} (finite differences agree to 1e-7)")
print("one denoising step, lambda = (4, 1, 1/4, 0, 0), nats: " + "; ".join(drops))

# %% [markdown] slideshow={"slide_type": "notes"}
# *(5 min)* Derive a_i on the board: in eigen-coordinate i the step multiplies by
# s/t + (1 - s/t) lambda_i/(lambda_i + t^2) = (st + lambda_i)/(lambda_i + t^2) < 1 since s < t.
# Ask: "Why does the step land *below* h(x_s)?" (its variance (st + lambda)^2/(lambda + t^2) falls
# short of lambda + s^2 by lambda (t - s)^2/(lambda + t^2): a conditional mean removes a little
# too much.) This is the engine of the whole course: noise up, denoise down.

# %% [markdown] slideshow={"slide_type": "subslide"}
# The figure: $h(x_t)$ rises with $t$ (left); each arrow is one denoising step $t\to t/2$ and ends
# just below the curve. The slope $dh/dt$ (right, its own axis) is positive everywhere.

# %%
tf = np.linspace(0.05, 3.0, 200)
lam_fig = np.array([4.0, 1.0])
fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.0, 3.3), layout="constrained")
for lam, c, name in [(lam_fig, "blue", r"$\lambda=(4,1)$"),
                     (np.array([4.0, 0.0]), "vermillion", r"$\lambda=(4,0)$, rank 1")]:
    a1.plot(tf, gaussian_entropy_t(lam, tf), color=PALETTE[c], label=name)
    a2.semilogy(tf, gaussian_entropy_t_derivative(lam, tf), color=PALETTE[c], label=name)
Q2 = np.eye(2)
for t in (0.8, 1.6, 2.8):
    s = t / 2
    a = (s * t + lam_fig) / (lam_fig + t**2)
    h_after = gaussian_entropy_t(lam_fig, t) + np.log(a).sum()
    a1.annotate("", (s, h_after), (t, gaussian_entropy_t(lam_fig, t)),
                arrowprops=dict(arrowstyle="->", color=PALETTE["green"], lw=1.5))
    a1.plot(s, h_after, "o", color=PALETTE["green"], ms=4)
a1.plot([], [], color=PALETTE["green"], label=r"one step $t\to t/2$")
a1.set_xlabel("noise level t")
a1.set_ylabel(r"$h(x_t)$ (nats)")
a1.set_title("Entropy of $x_t$ in 2-D")
a1.legend(fontsize="small")
a2.set_xlabel("noise level t")
a2.set_ylabel(r"$dh/dt$ (nats per unit t)")
a2.set_title(r"$dh/dt=\sum_i t/(\lambda_i+t^2)>0$")
a2.legend(fontsize="small")
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# *(3 min)* Ask: "Why does the rank-1 curve's slope blow up like 1/t at small t?" (one empty
# direction: t dh/dt tends to D - P = 1.) A general-density version of dh/dt > 0 is de Bruijn's
# identity; Going further C checks the increase for a Gaussian mixture by Monte Carlo.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Interactive: entropy of $x_t$ for data of intrinsic dimension $P$
#
# Gaussian data in $D=8$ with $P$ non-zero eigenvalues $4,2,1,\tfrac12,\dots$. Left: $h(x_t)$
# against $t$, the noise alone $h(tg)$ (dashed), and the tangent at the chosen $t$ (slope
# $t\,dh/dt$ in $\log t$). Bars: the per-direction entropies $\tfrac12\log(2\pi e(\lambda_i+t^2))$,
# which add up to $h(x_t)$; orange bars are empty directions. Lower $t$: the empty directions
# sink with the noise. Raise $P$: the small-$t$ slope drops to $D-P$.

# %% [markdown] slideshow={"slide_type": "skip"}
# The sliders below are live in JupyterLab with a running kernel. The static panel after them
# shows three settings: $t=0.03$ and $t=0.3$ at $P=2$, and $t=0.03$ at $P=5$.

# %% slideshow={"slide_type": "skip"} tags=["nbval-ignore-output"]
widget = went.build_entropy_widget()
widget

# %%
fig, lines = went.plot_small_multiples(went.STATIC_SETTINGS)
plt.show()
for line in lines:
    print(line)

# %% [markdown] slideshow={"slide_type": "notes"}
# *(4 min)* Compare settings 1 and 3: at the same t, P = 5 has three empty directions instead of
# six, so the slope is 3 instead of 6. Ask: "Which bars change when t goes from 0.03 to 0.3?"
# (the empty ones, which follow the noise; the data directions barely move.) The gap between the
# curves is R_eps at eps = t sqrt(D).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Where the source errs
#
# - Eq. (1) as a sum over **samples** is not the entropy: it runs over distinct values (section 2).
# - "Coding rate (i.e. entropy)" merges entropy, cross-entropy and the lossy coding rate.
# - The book prints the entropy of the uniform law on $N$ points as $\frac1N\log_2N$; it is $\log_2N$.
# - The book's "denoising lowers entropy" theorem states an upper bound on $s$ where (as we read its
#   proof) a lower bound follows; the Gaussian result of section 7 needs no condition.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(2 min)* One line each; the boxes below carry the numbers. Ask: "What does it cost to code
# data from p with a model q?" (the cross-entropy h(p) + KL(p||q), not h(p).)

# %% [markdown] slideshow={"slide_type": "skip"}
# <div class="alert alert-warning">
#
# **The entropy sum runs over values, not samples.** The source writes
# $H = -\sum_{i=1}^N p(x_i)\log p(x_i)$ for "$N$ data points $x_i\sim p$" (and calls the
# distribution "$p(x_i)$"). In the book the sum runs over the distinct values (tokens) of a
# discrete variable. Over samples it double-counts repeated values, its weights do not sum to 1,
# and it grows like $N$. The estimate built from samples is $-\frac1N\sum_i\log_2 p(x_i)$:
#
# </div>

# %% slideshow={"slide_type": "skip"}
px = loaded[draws[:10000]]
print(f"N = 10000: sum over samples {sum_over_samples(px):.1f} bits | weights sum to "
      f"{px.sum():.1f} | sample estimate {sample_entropy_estimate(np.log(px), base=2):.4f} | "
      f"H = {H_loaded:.4f}")

# %% [markdown] slideshow={"slide_type": "skip"}
# <div class="alert alert-warning">
#
# **Coding rate is not "i.e. entropy".** The source's heading "Minimizing coding rate (i.e.
# entropy)" merges three quantities. *Entropy* $h(p)$ is the cost of the best code for $p$. A
# learned model $q$ gives a code of average length the **cross-entropy**
# $\mathrm{CE}(p\|q) = -\mathbb E_p[\log q(x)] = h(p) + \mathrm{KL}(p\|q)\ \ge h(p)$, with equality
# iff $q=p$. And the *lossy coding rate* $R_\epsilon$ of section 6 is finite where $h=-\infty$; the
# source omits that caveat, so "their entropy should be small" needs the repair of sections 5-6.
# For two Gaussians, closed form against Monte Carlo:
#
# </div>

# %% slideshow={"slide_type": "skip"}
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

# %% [markdown] slideshow={"slide_type": "skip"}
# <div class="alert alert-warning">
#
# **The uniform law on $N$ points has $\log_2 N$ bits.** The book's §3.3 prints its entropy as
# $\frac1N\log_2N$. Each of the $N$ terms of (1) is $\frac1N\log_2N$, and there are $N$ of them:
#
# </div>

# %% slideshow={"slide_type": "skip"}
for n_pts in (2, 16, 1024):
    h_u = entropy(np.full(n_pts, 1 / n_pts))
    assert abs(h_u - np.log2(n_pts)) < 1e-9
    print(f"N = {n_pts:5d}: H = {h_u:.4f} bits = log2 N; the printed (1/N) log2 N would be "
          f"{np.log2(n_pts) / n_pts:.4f}")

# %% [markdown] slideshow={"slide_type": "skip"}
# <div class="alert alert-warning">
#
# **The condition in the book's "denoising lowers entropy" theorem.** For data of radius $R$ the
# book's appendix requires $s$ *below* $t\,\frac{R^2/D-2t^2}{R^2/D-t^2}$. As we read the proof, its
# key inequality instead needs $(1-\frac st)(\frac{R^2}{Dt^2}-1)\le1$, which for $t<R/\sqrt{2D}$
# means $s$ *at least* that value (for $R^2/D=1$, $t=\frac12$: $s\ge\frac13$, where the book
# states $s\le\frac13$). For Gaussian data, section 7 shows the drop for every $0<s<t$.
#
# </div>

# %% [markdown] slideshow={"slide_type": "skip"}
# ## 10. Exercises
#
# Each exercise has a self-check: replace `None` by your answer and run the cell. The check
# says whether you are right without telling you the value.
#
# **Exercise 1 (compute).** Find the entropy, in bits, of
# $p = (\tfrac12, \tfrac14, \tfrac18, \tfrac1{16}, \tfrac1{16})$.

# %% slideshow={"slide_type": "skip"}
my_answer = None  # your answer here (a number, in bits)
ex.check_entropy_bits(my_answer)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# $\log_2(1/p_j) = 1, 2, 3, 4, 4$, so $H = \tfrac12\cdot1+\tfrac14\cdot2+\tfrac18\cdot3
# +2\cdot\tfrac1{16}\cdot4 = 1.875$ bits. For a dyadic distribution the ideal codeword lengths
# are integers, and a prefix code (0, 10, 110, 1110, 1111) attains $H$ exactly.
#
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
assert ex.check_entropy_bits(entropy(ex.EX1_P)), "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 2 (estimate).** You draw $n=200$ samples from the uniform law on $m=16$ values and
# compute the plug-in entropy (Going further A). Predict its bias $\mathbb E[\hat H]-H$ in
# **bits** to leading order (mind the sign).

# %% slideshow={"slide_type": "skip"}
my_answer = None  # your answer here (bits; negative if the estimate is too small)
ex.check_plugin_bias(my_answer)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# Miller–Madow: $\mathbb E[\hat H]-H\approx-(m-1)/(2n)$ nats $=-15/(400\ln 2)\approx-0.054$
# bits. A Monte Carlo measurement (4000 data sets, hidden cell below) agrees within its standard
# error plus the next term, $(1-\sum_j1/p_j)/(12n^2\ln2) = -255/(480000\ln 2)\approx-0.0008$ bits.
#
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
pred = -(16 - 1) / (2 * 200 * LN2)
b_mc, se_mc2 = plugin_bias_mc(np.full(16, 1 / 16), 200, 4000, np.random.default_rng(22))
two_terms = plugin_bias_expansion(np.full(16, 1 / 16), 200)
assert abs(b_mc - pred) < 4 * se_mc2 + abs(two_terms - pred), "Monte Carlo disagrees"
assert ex.check_plugin_bias(pred), "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 3 (derive and prove).** (a) For $x\sim\mathcal N(0,\Sigma)$ with eigenvalues
# $(2, 1, 0)$ and $x_t = x+tg$, compute $\frac{d}{dt}h(x_t)$ in nats at $t=\tfrac12$.
# (b) Prove that $h(x_t)$ is strictly increasing in $t>0$ for every Gaussian, and that
# $t\,\frac{d}{dt}h(x_t)\to D-\operatorname{rank}\Sigma$ as $t\to0$.

# %% slideshow={"slide_type": "skip"}
my_answer = None  # your answer to (a), in nats per unit t
ex.check_entropy_derivative(my_answer)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
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
#
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
assert ex.check_entropy_derivative(sum(0.5 / (lam + 0.25) for lam in (2.0, 1.0, 0.0))), \
    "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 4 (compute).** Three points in the plane are the rows of
# $X = \begin{bmatrix}1&0\\0&1\\1&1\end{bmatrix}$. Compute $R_\epsilon(X)$ in nats for
# $\epsilon=\tfrac12$ (here $D=2$, $N=3$). A closed form exists.

# %% slideshow={"slide_type": "skip"}
my_answer = None  # your answer here (nats)
ex.check_coding_rate(my_answer)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# $X^\top X=\begin{bmatrix}2&1\\1&2\end{bmatrix}$ has eigenvalues 3 and 1, and
# $\frac{D}{N\epsilon^2}=\frac{2}{3/4}=\frac83$. So
# $R_\epsilon = \tfrac12\big[\log(1+8)+\log(1+\tfrac83)\big] = \tfrac12\log 33\approx1.7483$ nats.
#
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
assert abs(coding_rate(ex.EX4_X, ex.EX4_EPS) - 0.5 * np.log(33.0)) < 1e-12, "library disagrees"
assert ex.check_coding_rate(0.5 * np.log(33.0)), "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 5 (cross-entropy).** Data come from $p=\mathcal N(0,1)$ but are coded with a code
# built for $q=\mathcal N(1,4)$ (variance 4). How many extra nats per sample does this cost, that
# is, what is $\mathrm{KL}(p\|q)$?

# %% slideshow={"slide_type": "skip"}
my_answer = None  # your answer here (nats)
ex.check_gaussian_kl(my_answer)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# $\mathrm{CE}(p\|q) = \tfrac12\log(2\pi\cdot4)+\frac{\mathbb E_p[(x-1)^2]}{2\cdot4}
# = \tfrac12\log(8\pi)+\tfrac{1+1}{8}$ and $h(p)=\tfrac12\log(2\pi e)$, so
# $\mathrm{KL} = \log2+\tfrac14-\tfrac12\approx0.4431$ nats.
#
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
assert ex.check_gaussian_kl(np.log(2.0) + 0.25 - 0.5), "worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * $H=-\sum_jp_j\log_2p_j$ sums over **distinct values**; from samples, $-\frac1N\sum_i\log_2p(x_i)$.
# * $h$ is what remains of $H(x^\Delta)$ after $D\log(1/\Delta)$; Gaussian: $\tfrac D2(1+\log2\pi)+\tfrac12\sum_i\log\lambda_i$.
# * Low-dimensional data have $h=-\infty$; $h(x_t)$ is finite, increasing, $\approx(D-P)\log t$ as $t\to0$.
# * $R_\epsilon$ grows like $P\log(1/\epsilon)$; it is the entropy noise adds to a Gaussian model
#   (an upper bound for other data).
# * One denoising step $t\to s$ lowers a Gaussian's entropy by $-\sum_i\log\frac{st+\lambda_i}{\lambda_i+t^2}$.
#
# **Next: [chapter 2](02_tweedie.ipynb).** The best denoiser $\mathbb E[x\mid x_t]$, and
# Tweedie's formula linking it to the score of the noisy density.

# %% [markdown] slideshow={"slide_type": "notes"}
# *(2 min)* Recap. Ask: "If denoising lowers entropy, what is the best denoiser?" (the conditional
# mean: [chapter 2](02_tweedie.ipynb).)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ## Going further A: plug-in estimation and its bias
#
# The sample estimate of section 2 needs the true $p$. With samples only, the natural estimate
# replaces $p_j$ by the empirical frequency $\hat p_j = c_j/N$ ($c_j$ the count of value $a_j$):
# the **plug-in** entropy $\hat H = -\sum_j \hat p_j\log_2\hat p_j$. It is biased low: a finite
# sample looks more predictable than the source, because unseen values and chance coincidences
# concentrate the frequencies. A second-order Taylor expansion of $-q\log q$ around $p_j$, with
# $\operatorname{Var}(\hat p_j) = p_j(1-p_j)/N$, gives the Miller–Madow bias
#
# $$\mathbb E[\hat H] - H \approx -\frac{m-1}{2N\ln 2}\ \text{bits}
# \qquad\big(\text{next term } \tfrac{1-\sum_j 1/p_j}{12N^2\ln 2}\big).$$
#
# We measure the bias by Monte Carlo (4000 data sets per $N$, one vectorized multinomial draw)
# for $m=16$ values, and compare.

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
p16 = np.r_[np.full(8, 0.08), np.full(8, 0.045)]
p16 = p16 / p16.sum()
N_bias = np.array([20, 50, 100, 300, 500, 1000, 5000])
rng = np.random.default_rng(2)
bias = np.array([plugin_bias_mc(p16, N, 4000, rng) for N in N_bias])  # (mean, s.e.)
mm = np.array([miller_madow_bias(16, N) for N in N_bias])
two = np.array([plugin_bias_expansion(p16, N) for N in N_bias])
assert np.all(bias[:, 0] < 0)  # always too low
ok = N_bias >= 10 * 16  # the expansion is asymptotic: check it where N >> m
# tolerance: 4 Monte Carlo standard errors + the size of the neglected second-order term
assert np.all(np.abs(bias[ok, 0] - mm[ok]) < 4 * bias[ok, 1] + np.abs(two[ok] - mm[ok]))
fig, ax = plt.subplots(figsize=(6.5, 3.6))
ax.errorbar(N_bias, -bias[:, 0], yerr=2 * bias[:, 1], fmt="o", color=PALETTE["vermillion"],
            capsize=3, label="Monte Carlo, 4000 data sets per N ($\\pm$2 s.e.)")
Nf = np.logspace(np.log10(15), np.log10(8000), 100)
ax.loglog(Nf, (16 - 1) / (2 * Nf * LN2), color=PALETTE["blue"], label=r"$(m-1)/(2N\ln 2)$, m = 16")
ax.set_xlabel("sample size N")
ax.set_ylabel(r"$H - \mathbb{E}[\hat H]$ (bits)")
ax.set_title(r"The plug-in entropy is too small by about $(m-1)/(2N\ln 2)$")
ax.legend()
plt.show()
print("    N | plug-in bias (MC) +- s.e. | Miller-Madow -(m-1)/(2N ln2)")
for N, (b, se), m_ in zip(N_bias, bias, mm, strict=True):
    print(f"{N:5d} | {b:+.4f} +- {se:.4f}       | {m_:+.4f}")

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ## Going further B: quantizing samples
#
# With samples only, $H(x^\Delta)$ is itself a plug-in estimate, and by Going further A it is too
# small by about $(\text{occupied cells}-1)/(2N)$ nats. That approximation holds only when $N$ is
# much larger than the number of occupied cells. For small cells most samples sit alone, the
# plug-in entropy saturates at about $\log N$, and the true error is several times larger
# than $(\text{occupied}-1)/(2N)$, which can never exceed $\tfrac12$. Shrinking $\Delta$ removes the quantization error but
# multiplies the occupied cells, so the total error is smallest at an intermediate $\Delta$. With
# $N = 1000$ samples of $\mathcal N(0,1)$:

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
rng = np.random.default_rng(3)
x1 = rng.standard_normal(1000)
cells_mc = np.logspace(-3, np.log10(2.0), 25)
h_from_samples = np.array([quantized_entropy(x1, d) + np.log(d) for d in cells_mc])
occupied = np.array([np.unique(np.floor(x1 / d)).size for d in cells_mc])
best = cells_mc[np.argmin(np.abs(h_from_samples - h_std))]
mm_line = (occupied - 1) / (2 * x1.size)
# at the smallest cell most samples sit alone: the estimate drifts towards log(N) + log(cell)
assert h_from_samples[0] < h_std - 1.0 and occupied[0] > 0.8 * x1.size
assert np.abs(h_from_samples[0] - h_std) > 3 * mm_line[0]  # the bias line fails here
assert 0.05 < best < 1.0
fig, ax = plt.subplots(figsize=(6.5, 3.6))
ax.loglog(cells_mc, np.abs(h_from_samples - h_std), "s-", ms=3, color=PALETTE["vermillion"],
          label="error from N = 1000 samples (plug-in)")
ax.loglog(cells_mc, mm_line, ":", color=PALETTE["vermillion"],
          label="(occupied cells - 1)/(2N): valid only for N >> cells")
ax.loglog(cells, quant_err, "o", color=PALETTE["blue"], label="exact cell masses (section 3)")
ax.set_xlabel(r"cell side $\Delta$")
ax.set_ylabel(r"$|H(x^\Delta)+\log\Delta-h|$ (nats)")
ax.set_title("Quantization error vs estimation error")
ax.set_ylim(1e-5, 20.0)
ax.legend(fontsize="small", loc="lower left")
plt.show()
print(f"h = {h_std:.3f} nats; best cell side on this sample ~ {best:.2f}; at cell 0.001 the "
      f"estimate is {h_from_samples[0]:.3f} nats ({occupied[0]} cells for 1000 samples), an error "
      f"of {abs(h_from_samples[0] - h_std):.2f} nats against (occupied - 1)/(2N) = {mm_line[0]:.2f}")

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ## Going further C: noise raises the entropy of a mixture (Monte Carlo)
#
# For the 2-D, three-component mixture of [chapter 3](03_gmm_denoiser.ipynb) there is no closed
# form. We estimate $h(x_t)\approx-\frac1n\sum_i\log p_t(x_i+tg_i)$ with
# `GaussianMixture.logpdf(x, t)`, using **common random numbers**: the same $x_i$ and $g_i$ for
# every $t$, so that the differences $h(x_{t'})-h(x_t)$ are estimated with much smaller error than
# the values (paired standard errors). Two bounds bracket the truth: conditioning on the component
# label $y$ lowers entropy and knowing it saves at most $H(y)$, so
# $h(x_t\mid y)\le h(x_t)\le h(x_t\mid y)+H(y)$; and a Gaussian with the same covariance has the
# largest entropy, $h(x_t)\le h_{\rm Gauss}$.

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
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
fig, ax = plt.subplots(figsize=(6.5, 3.6))
ax.fill_between(t_mix, lower, upper, color=PALETTE["sky"], alpha=0.35, label="bounds")
ax.errorbar(t_mix, mc["h"], yerr=2 * mc["stderr"], fmt="o-", color=PALETTE["blue"], capsize=3,
            label=r"Monte Carlo $\pm$ 2 s.e. (n = 20000)")
ax.set_xlabel("t")
ax.set_ylabel(r"$h(x_t)$ (nats)")
ax.set_title("Three-component mixture: entropy rises with t")
ax.legend()
plt.show()
print("    t | h(x_t) MC +- s.e. | lower  | upper  | increase to next t +- paired s.e.")
for j, t in enumerate(t_mix):
    inc = (f"{mc['diff'][j]:+.3f} +- {mc['diff_stderr'][j]:.3f}" if j < t_mix.size - 1 else "")
    print(f"{t:5.2f} | {mc['h'][j]:.3f} +- {mc['stderr'][j]:.3f} | {lower[j]:.3f} | "
          f"{upper[j]:.3f} | {inc}")
