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
# # Chapter 4: Learning the denoiser is PCA
#
# In practice we have samples, not the law: the denoiser must be **learned** by minimizing the
# mean-squared denoising error over a family. The source takes the simplest family that contains
# the exact answer for a low-rank Gaussian, and finds that training it is PCA. Today:
# * the loss of that family, with the noise term the source drops;
# * why its minimizer is PCA at every noise level, and learning it by gradient steps;
# * what the family misses when the data are not so special.

# %% [markdown] slideshow={"slide_type": "notes"}
# Link to chapter 3: there we wrote the best denoiser down from the law. Ask: "if all you have
# is 2000 data points, what would you do to get a denoiser?" Someone will say "train a network":
# today the network is the smallest one that can be exactly right. *(3 min)*

# %% [markdown] slideshow={"slide_type": "skip"}
# [Chapters 2](02_tweedie.ipynb) and [3](03_gmm_denoiser.ipynb) assumed we *know* the data
# distribution and wrote its Bayes-optimal denoiser down. This chapter checks the source's claim
# "learning the denoiser is PCA" with numbers, keeps the noise term the source drops, learns the
# subspace by gradient steps on pairs of clean and noised samples, and asks what is lost when the
# data do not have the special structure the family assumes.
#
# **Learning objectives.** After this chapter you can
# 1. write the denoising loss of $\bar x(t,x_t)=\frac{1}{1+t^2}VV^\top x_t$ in closed form, noise
#    term included, and check it by Monte Carlo with a standard error;
# 2. explain why its minimizer is the top-$P$ eigenbasis of $\mathbb E[xx^\top]$ for *every* $t$;
# 3. learn $V$ by gradient steps on the Stiefel manifold and measure the result against PCA with
#    principal angles;
# 4. compare the minimum with the MMSE, and quantify what the family $cVV^\top$ misses when the
#    covariance is not a projection;
# 5. say precisely what "probabilistic PCA" means in the source, and what it does not mean.
#
# **Prerequisites.** [Chapter 2](02_tweedie.ipynb) (the noise model $x_t=x+tg$, the denoiser as a
# conditional mean), [chapter 3](03_gmm_denoiser.ipynb) (the Gaussian denoiser
# $\Sigma(\Sigma+t^2I)^{-1}$, low-rank mixtures and the Sherman–Morrison–Woodbury form
# $UU^\top(UU^\top+t^2I)^{-1}=\frac{1}{1+t^2}UU^\top$).
#
# **Source equations covered.** Eq. 11–12 (the denoising loss and its minimization over a
# family), eq. 14 (the parameterized denoiser), eq. 15 (its loss), eq. 16 (the maximization
# problem, "probabilistic PCA"), and eq. 9 again for covariances that are not projections.

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import numpy as np

import course_utils as cu
from course_utils.exercises import pca as ex
from course_utils.linear import gaussian_denoiser_matrix
from course_utils.pca import (
    denoising_loss,
    denoising_loss_from_moment,
    expected_denoising_loss,
    learn_subspace,
    linear_mmse,
    pca,
    principal_angles,
    random_orthonormal,
    restricted_min_loss,
    second_moment,
    shrinkage,
)
from course_utils.plotting import PALETTE, component_colors, use_style
from course_utils.widgets.pca import (
    N_WIDGET,
    STATIC_VALUES,
    build_pca_learning,
    compute_pca_learning,
    draw_small_multiples,
    step_size,
    summary_pca_learning,
)

_ = use_style()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The model and the family of denoisers
#
# Data $x\sim\mathcal N(0,UU^\top)$, $U\in O(D,P)$ (orthonormal columns): the low-rank mixture of
# [chapter 3](03_gmm_denoiser.ipynb) with $K=1$. Its Bayes denoiser is
# $\frac{1}{1+t^2}UU^\top x_t$. Replace the unknown $U$ by a parameter (source eq. 14):
#
# $$\bar x(t,x_t)=c\,VV^\top x_t,\qquad c=\frac{1}{1+t^2},\qquad V\in O(D,P).$$
#
# Learning the denoiser means choosing $V$.

# %% [markdown] slideshow={"slide_type": "skip"}
# The data live on the $P$-dimensional subspace spanned by $U$, with unit variance in every
# direction of it. With $x_t=x+tg$, $g\sim\mathcal N(0,I)$ independent of $x$, chapter 3 gives the
# Bayes-optimal denoiser $\bar x^*(t,x_t)=UU^\top(UU^\top+t^2I)^{-1}x_t=\frac{1}{1+t^2}UU^\top x_t$.
# First a check that the family contains the exact answer: at $V=U$ it agrees with the general
# mixture denoiser of chapter 3.

# %%
D, P = 10, 3
U = random_orthonormal(D, P, np.random.default_rng(0))
gmm = cu.GaussianMixture.low_rank([U])
x_t = 2.0 * np.random.default_rng(1).standard_normal((200, D))
worst = 0.0
for t in (0.5, 1.0, 2.0):
    ours = shrinkage(t) * (x_t @ U) @ U.T
    worst = max(worst, np.abs(ours - cu.posterior_mean(gmm, x_t, t)).max())
assert worst < 1e-12, worst  # two exact formulas: agreement to rounding
print(f"D={D}, P={P}, t = 0.5, 1, 2: c U U^T x_t equals the chapter-3 denoiser to "
      f"{max(worst, 1e-17):.0e} (< 1e-12)")

# %% [markdown] slideshow={"slide_type": "notes"}
# The family has one matrix parameter with orthonormal columns, and the shrinkage c is fixed by
# t. Ask: "is the family too small or too large?" (it contains the right answer for this data,
# and nothing else it could need here). *(4 min)*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The loss, with the noise kept
#
# $$f_t(V)=\mathbb E_{x,g}\big\|x-c\,VV^\top(x+tg)\big\|_2^2
#   =\mathbb E\|x\|^2+(c^2-2c)\,\mathbb E\|V^\top x\|^2+c^2t^2P .$$
#
# Condition on $x$: the cross term with $g$ has mean 0, and
# $\mathbb E_g\|ctVV^\top g\|^2=c^2t^2\operatorname{tr}(VV^\top)=c^2t^2P$. The source's eq. 15 has
# the first two terms only.

# %% [markdown] slideshow={"slide_type": "skip"}
# **The derivation in full.** Write the error as $a+b$ with $a=x-cVV^\top x$ (depends on $x$ only)
# and $b=-ct\,VV^\top g$. Then $\|a+b\|^2=\|a\|^2+2\langle a,b\rangle+\|b\|^2$, and
# * $\mathbb E_g\langle a,b\rangle=-ct\,\langle a,VV^\top\mathbb E[g]\rangle=0$;
# * $\mathbb E_g\|b\|^2=c^2t^2\,\mathbb E\,g^\top VV^\top g=c^2t^2\operatorname{tr}(VV^\top)=c^2t^2P$
#   (using $V^\top V=I_P$).
#
# With $V^\top V=I$, $\|VV^\top x\|^2=\|V^\top x\|^2$ and $\langle x,VV^\top x\rangle=\|V^\top x\|^2$,
# so $\|a\|^2=\|x-cVV^\top x\|^2=\|x\|^2+(c^2-2c)\|V^\top x\|^2$. That gives the boxed formula.
#
# **Check 1: the algebra, per sample.** For any orthonormal $V$ the two forms of
# $\|x-cVV^\top x\|^2$ agree to rounding.

# %% slideshow={"slide_type": "skip"}
X = np.random.default_rng(2).standard_normal((20000, P)) @ U.T  # samples of N(0, U U^T), rows
V_rand = random_orthonormal(D, P, np.random.default_rng(3))
worst = 0.0
for t in (0.5, 1.0, 2.0):
    c = shrinkage(t)
    lhs = np.sum((X - c * (X @ V_rand) @ V_rand.T) ** 2, axis=1)
    rhs = np.sum(X**2, axis=1) + (c * c - 2 * c) * np.sum((X @ V_rand) ** 2, axis=1)
    worst = max(worst, np.abs(lhs - rhs).max())
assert worst < 1e-11
print(f"||x - c V V^T x||^2 = ||x||^2 + (c^2 - 2c) ||V^T x||^2 on 20000 samples: largest "
      f"difference {max(worst, 1e-17):.0e}")

# %% [markdown] slideshow={"slide_type": "skip"}
# **Check 2: the noise term, by Monte Carlo.** `denoising_loss` draws a fresh $g$ for every
# sample and averages $\|x-cVV^\top(x+tg)\|^2$; `expected_denoising_loss` is the boxed formula
# on the same samples (exact in $g$). They must agree within a few standard errors of the Monte
# Carlo average, while the source's noise-free formula is off by exactly $c^2t^2P$.

# %%
rows = []
for t in (0.5, 1.0, 2.0):
    mc, se = denoising_loss(V_rand, X, t, np.random.default_rng(4), return_se=True)
    exact = expected_denoising_loss(V_rand, X, t)
    c = shrinkage(t)
    source = exact - c * c * t * t * P  # eq. 15: the noise term c^2 t^2 P is missing
    assert abs(mc - exact) < 4 * se  # fixed seed; 4 standard errors of the MC mean
    assert abs(mc - source) > 10 * se  # the dropped term is far outside the MC error
    rows.append(f"t={t}: Monte Carlo {mc:.4f} +- {se:.4f}, formula {exact:.4f}, "
                f"source eq. 15 {source:.4f}")
print("\n".join(rows))

# %% [markdown] slideshow={"slide_type": "notes"}
# Derive on the board: split the error into the part that depends on x and the part that
# depends on g; the cross term vanishes in expectation, the noise part is a trace. Ask: "does
# the dropped term change which V is best?" (no: it does not depend on V; but it changes the
# value, and only the full value equals the MMSE). *(6 min)*

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The closed form against Monte Carlo, for all $t$
#
# Dots: Monte Carlo ($\pm2$ standard errors); solid: the formula; dashed: source eq. 15.

# %%
ts = np.linspace(0.05, 3.0, 60)
t_mc = np.array([0.25, 0.5, 1.0, 1.5, 2.0, 3.0])
fig, ax = plt.subplots(figsize=(7, 3.5))
for V_, name, col in ((U, "V = U", PALETTE["blue"]), (V_rand, "random V", PALETTE["orange"])):
    M_X = second_moment(X)  # same numbers as expected_denoising_loss, from X^T X / n
    exact = np.array([denoising_loss_from_moment(V_, M_X, t) for t in ts])
    source = exact - np.array([shrinkage(t) ** 2 * t * t * P for t in ts])
    ax.plot(ts, exact, color=col, label=f"{name}: with the noise term")
    ax.plot(ts, source, color=col, ls="--", label=f"{name}: source eq. 15")
    est = [denoising_loss(V_, X, t, np.random.default_rng(5), return_se=True) for t in t_mc]
    ax.errorbar(t_mc, [m for m, _ in est], yerr=[2 * s for _, s in est], fmt="o", color=col,
                ms=4, capsize=3)
ax.plot(ts, P * ts**2 / (1 + ts**2), color=PALETTE["black"], ls=":", label=r"MMSE $Pt^2/(1+t^2)$")
ax.set_xlabel("noise level $t$")
ax.set_ylabel(r"$\mathbb{E}\,\|x-cVV^\top x_t\|^2$")
ax.set_title(r"Denoising loss of $cVV^\top x_t$: Monte Carlo (dots) and closed form")
ax.legend(fontsize="x-small", loc="lower right")
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# The dots sit on the solid lines, not on the dashed ones. At V = U the solid blue line is the
# dotted MMSE (section 5 shows why). Ask: "why does the random V's loss go *down* at large t?"
# (c goes to 0, so the denoiser outputs almost 0 and the loss tends to E||x||^2 = P from
# either side). *(4 min)*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The minimizer is PCA, for every $t$
#
# Only the middle term depends on $V$, and $c^2-2c=-\frac{1+2t^2}{(1+t^2)^2}<0$. So minimizing
# $f_t$ is **maximizing** $\mathbb E\|V^\top x\|^2=\operatorname{tr}(V^\top MV)$, $M=\mathbb E[xx^\top]$
# (source eq. 16): the top-$P$ eigenspace of the **second moment** (Ky Fan). The noise changes
# the scale of the problem, never its argmin.

# %% [markdown] slideshow={"slide_type": "skip"}
# The last term depends on $V$ only through $P$, which is fixed. Note the matrix: the second
# moment $\mathbb E[xx^\top]$, not the covariance; they coincide here because $\mathbb E[x]=0$.
#
# A picture in $D=2$, $P=1$: $V=(\cos\theta,\sin\theta)^\top$ is a line through the origin and the
# loss is a function of the angle $\theta$ alone. Left: the projection model ($M=uu^\top$, $u$ at
# $30^\circ$); right: a full-rank $M$ with eigenvalues 1 and 0.3. Each curve is one $t$; the
# markers are the minima.

# %%
phi = np.radians(30.0)
u = np.array([np.cos(phi), np.sin(phi)])
w = np.array([-np.sin(phi), np.cos(phi)])
moments = {"projection: $M = uu^\\top$": np.outer(u, u),
           "full rank: eigenvalues 1 and 0.3": np.outer(u, u) + 0.3 * np.outer(w, w)}
thetas = np.radians(np.arange(0.0, 180.0, 0.5))
lines = np.stack([np.cos(thetas), np.sin(thetas)], axis=1)[:, :, None]  # (n, 2, 1) bases
t_land = (0.25, 0.5, 1.0, 2.0)
argmins = []
fig, axes = plt.subplots(1, 2, figsize=(7.2, 3.4), sharey=True)
for ax, (name, M) in zip(axes, moments.items(), strict=True):
    for t, col in zip(t_land, component_colors(len(t_land)), strict=True):
        f = np.array([denoising_loss_from_moment(Vl, M, t) for Vl in lines])
        k = int(np.argmin(f))
        assert abs(thetas[k] - phi) <= np.radians(0.5)  # argmin at the top eigenvector (grid step)
        argmins.append(round(float(np.degrees(thetas[k])), 1))
        ax.plot(np.degrees(thetas), f, color=col, label=f"t = {t}")
        ax.plot(np.degrees(thetas[k]), f[k], "o", color=col)
    ax.axvline(30.0, color=PALETTE["black"], ls=":", lw=1, label="top eigenvector")
    ax.set_xlabel(r"angle $\theta$ of $V$ (degrees)")
    ax.set_title(name, fontsize="small")
axes[0].set_ylabel(r"loss $f_t(V)$")
axes[0].set_ylim(0, 1.9)  # room for the legend above the curves
axes[0].legend(fontsize="x-small", loc="upper left", ncol=2)
fig.tight_layout()
plt.show()
print(f"argmin over the angle grid, both panels, t = {t_land}: {sorted(set(argmins))} degrees")

# %% [markdown] slideshow={"slide_type": "notes"}
# Each colour is a noise level; the curves differ in height and depth but all bottom out at 30
# degrees, the top eigenvector, in both panels. Ask: "what would change if the data had a
# non-zero mean?" (the second moment is no longer the covariance: see the errata). *(4 min)*

# %% [markdown] slideshow={"slide_type": "skip"}
# The same in $D=10$ from samples: `pca(X, P)` (top-$P$ eigenvectors of $X^\top X/n$) finds the
# data subspace (principal angles to $U$ are zero: the samples lie exactly in it), and no random
# orthonormal $V$ beats it at any $t$.

# %% slideshow={"slide_type": "skip"}
V_pca = pca(X, P)
ang = np.degrees(principal_angles(U, V_pca))
assert ang.max() < 1e-6
rng = np.random.default_rng(6)
others = [random_orthonormal(D, P, rng) for _ in range(300)]
M_X = second_moment(X)
for t in (0.25, 1.0, 3.0):
    best = expected_denoising_loss(V_pca, X, t)
    assert abs(best - denoising_loss_from_moment(V_pca, M_X, t)) < 1e-10  # two exact routes
    worst_gap = min(denoising_loss_from_moment(V_, M_X, t) for V_ in others) - best
    assert worst_gap > 0
    print(f"t = {t}: loss at PCA {best:.4f}; best of 300 random V is higher by {worst_gap:.4f}")
print(f"largest principal angle between pca(X, P) and U below 1e-6 degrees: {ang.max() < 1e-6}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Learning $V$ by gradient steps
#
# What is observed: clean samples $x_i$; we noise them, $y_i=x_i+tg_i$, and the loss compares
# $cVV^\top y_i$ with the **clean** $x_i$: training needs the pairs $(x_i,y_i)$. Mini-batch
# gradient $G=-\frac{2c}{B}(R^\top YV+Y^\top RV)$, $R=X_B-cYVV^\top$; project on the tangent space
# of $O(D,P)$, step, and retract with QR. Progress: **principal angles** to the PCA basis.

# %% [markdown] slideshow={"slide_type": "skip"}
# In detail:
# * **mini-batch gradient.** For rows $x_i$ and $y_i=x_i+tg_i$ ($i=1..B$), the loss
#   $\frac1B\sum_i\|x_i-cVV^\top y_i\|^2$ has Euclidean gradient
#   $-\frac{2c}{B}\big(R^\top YV+Y^\top RV\big)$, with residuals $R=X_B-cYVV^\top$;
# * **stay orthonormal.** $V$ lives on the Stiefel manifold $O(D,P)$. We project the gradient
#   $G$ on its tangent space, $G-V\,\mathrm{sym}(V^\top G)$ with $\mathrm{sym}(A)=\frac12(A+A^\top)$
#   the symmetric part of a square matrix, take a step, and map back with a QR factorization
#   (signs fixed so that $\mathrm{diag}(R)>0$): a *retraction*;
# * **step size.** The expected gradient is proportional to $2c-c^2$, which shrinks as $t$
#   grows, so we divide the step by it; it also decays like $1/(1+k/10)$ so the gradient noise
#   averages out.
#
# The **principal angles** $\theta_i$ between the learned $V$ and the PCA basis have cosines equal
# to the singular values of $V_{\rm pca}^\top V$; all zero means the same subspace.
# (`principal_angles` takes small angles from their sines, where $\arccos$ is inaccurate.) A
# denoiser trained only on noisy samples, with no clean targets, is a different problem: this
# loss cannot even be evaluated without $x_i$.

# %%
D_L, P_L, t_L = 20, 3, 1.0
U_L = random_orthonormal(D_L, P_L, np.random.default_rng(7))
X_L = np.random.default_rng(8).standard_normal((2000, P_L)) @ U_L.T
V_learned, hist = learn_subspace(X_L, P_L, t_L, steps=200, lr=step_size(t_L), batch=128,
                                 decay=10, rng=np.random.default_rng(9), return_history=True)
ang0, ang1 = np.degrees(hist["angles"][0]), np.degrees(hist["angles"][-1])
loss_pca = expected_denoising_loss(pca(X_L, P_L), X_L, t_L)
assert np.allclose(V_learned.T @ V_learned, np.eye(P_L), atol=1e-12)
assert ang0.max() > 45 and ang1.max() < 5  # from a random start to within a few degrees
assert hist["loss"][-1] - loss_pca < 0.01 * (hist["loss"][0] - loss_pca)
print(f"D={D_L}, P={P_L}, t={t_L}, 2000 clean samples: principal angles to PCA "
      f"{np.round(ang0, 1)} deg at step 0 -> {np.round(ang1, 1)} deg at step 200")
print(f"loss: start {hist['loss'][0]:.3f}, end {hist['loss'][-1]:.4f}, PCA minimum {loss_pca:.4f}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Say clearly what the data are: clean samples, noised by us; the target is the clean sample.
# The two engineering points are the retraction (QR keeps V orthonormal) and the step size
# divided by 2c - c^2. Ask: "why measure angles rather than the distance between V matrices?"
# (V is defined up to a rotation of its columns; the angles depend only on the subspace).
# *(5 min)*

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Noisier inputs, slower learning
#
# Three noise levels ($D=20$, $P=3$, $n=2000$, same start): all runs head for the PCA subspace,
# but the larger $t$, the noisier each gradient and the larger the angle left after 150 steps.

# %%
fig, axes = plt.subplots(1, 2, figsize=(7.2, 3.3))
for t, col in zip((0.25, 1.0, 3.0), component_colors(3), strict=True):
    d = compute_pca_learning(t, 3)
    excess = np.maximum(d["loss"] - d["loss_min"], 1e-12)
    axes[0].semilogy(d["step"], excess, color=col, label=f"t = {t}")
    axes[1].semilogy(d["step"], np.nanmax(d["angles_deg"], axis=1), color=col, label=f"t = {t}")
    assert d["max_final_deg"] < 10
    print(f"t = {t}: largest angle after {d['step'][-1]} steps {d['max_final_deg']:.2f} deg; "
          f"excess loss {excess[-1]:.1e}")
axes[0].set_ylabel("loss minus PCA minimum")
axes[1].set_ylabel("largest principal angle (deg)")
axes[0].set_title("excess loss")
axes[1].set_title("distance to the PCA subspace")
for ax in axes:
    ax.set_xlabel("gradient step")
    ax.legend(fontsize="x-small")
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# Both panels fall fast and then level off: the decaying step averages the gradient noise, and
# the level it reaches grows with t. Ask: "with unlimited data and steps, would t matter?" (no:
# the minimizer is the same for every t; only the speed changes). *(3 min)*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. The minimum is the MMSE, when the covariance is a projection
#
# At $V=U$ and $x\sim\mathcal N(0,UU^\top)$, $\mathbb E\|x\|^2=\mathbb E\|U^\top x\|^2=P$, so
#
# $$f_t(U)=P\big[(1-c)^2+c^2t^2\big]=\frac{Pt^2}{1+t^2},$$
#
# the Bayes MMSE $\sum_i\lambda_it^2/(\lambda_i+t^2)$ for $P$ unit eigenvalues
# ([chapter 3](03_gmm_denoiser.ipynb)). Learning the family is *Bayes-optimal* here.

# %%
lam_proj = np.r_[np.ones(P), np.zeros(D - P)]
rows = []
for t in (0.25, 1.0, 3.0):
    fam = restricted_min_loss(lam_proj, P, t)
    mmse = linear_mmse(lam_proj, t)
    closed = P * t * t / (1 + t * t)
    sample = expected_denoising_loss(V_pca, X, t)
    assert abs(fam - closed) < 1e-12 and abs(mmse - closed) < 1e-12
    # the sample loss differs only through mean||x||^2: standard error (1-c)^2 sqrt(2P/n)
    c = shrinkage(t)
    assert abs(sample - closed) < 4 * (1 - c) ** 2 * np.sqrt(2 * P / X.shape[0])
    rows.append(f"t={t}: min of family {fam:.4f} = MMSE {mmse:.4f} = Pt^2/(1+t^2); "
                f"sample loss at PCA {sample:.4f}")
print("\n".join(rows))

# %% [markdown] slideshow={"slide_type": "notes"}
# Do the algebra on the board: (1 - c)^2 + c^2 t^2 = t^2/(1 + t^2). The sample loss at the PCA
# basis differs from the formula only because the sample mean of ||x||^2 is not exactly P.
# Ask: "is that a coincidence of unit eigenvalues?" (yes: next slide). *(4 min)*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. When the eigenvalues are not 1
#
# $\Sigma=Q\operatorname{diag}(\lambda)Q^\top$. The best linear denoiser $\Sigma(\Sigma+t^2I)^{-1}$
# shrinks direction $i$ by $\frac{\lambda_i}{\lambda_i+t^2}$, **a factor per direction**; the family
# shrinks every kept direction by the **same** $c$. Its best member is still the top-$P$
# eigenbasis, with loss $\sum_i\lambda_i+(c^2-2c)\sum_{i\le P}\lambda_i+c^2t^2P$ (section 3 never
# used unit eigenvalues).

# %% [markdown] slideshow={"slide_type": "skip"}
# The Bayes denoiser of a Gaussian $x$, and the best *linear* denoiser for any zero-mean $x$, is
# $\Sigma(\Sigma+t^2I)^{-1}$ (source eq. 9), with error $\sum_i\lambda_it^2/(\lambda_i+t^2)$. The gap
# between that and the family's minimum is the price of the family. Example:
# $\lambda=(4,1,0.25)$ in $D=6$, $P=3$, at $t=0.5$, by Monte Carlo and by the two formulas.

# %% slideshow={"slide_type": "skip"}
lam = np.array([4.0, 1.0, 0.25, 0.0, 0.0, 0.0])
Q = random_orthonormal(6, 6, np.random.default_rng(10))
Sigma = (Q * lam) @ Q.T
n_mc = 100000
rng = np.random.default_rng(11)
X6 = (rng.standard_normal((n_mc, 6)) * np.sqrt(lam)) @ Q.T
t = 0.5
Xt6 = X6 + t * rng.standard_normal((n_mc, 6))
err_opt = np.sum((X6 - Xt6 @ gaussian_denoiser_matrix(Sigma, t).T) ** 2, axis=1)
V3 = Q[:, :3]
err_fam = np.sum((X6 - shrinkage(t) * (Xt6 @ V3) @ V3.T) ** 2, axis=1)
for err, formula, name in ((err_opt, linear_mmse(lam, t), "Sigma (Sigma + t^2 I)^-1"),
                           (err_fam, restricted_min_loss(lam, 3, t), "best c V V^T (P = 3)")):
    se = err.std(ddof=1) / np.sqrt(n_mc)
    assert abs(err.mean() - formula) < 4 * se  # fixed seed; 4 standard errors
    print(f"t = {t}, {name:>26}: Monte Carlo {err.mean():.4f} +- {se:.4f}, formula {formula:.4f}")

# %%
ts = np.geomspace(0.05, 10, 80)
fig, axes = plt.subplots(1, 2, figsize=(7.2, 3.3), sharey=True)
for ax, spec, title in ((axes[0], lam, r"$\lambda=(4,\,1,\,0.25)$, $P=3$"),
                        (axes[1], np.r_[np.ones(3), np.zeros(3)], r"$\lambda=(1,\,1,\,1)$, $P=3$")):
    ax.semilogx(ts, [linear_mmse(spec, t) for t in ts], color=PALETTE["blue"],
                label=r"MMSE $\sum_i\lambda_it^2/(\lambda_i+t^2)$")
    ax.semilogx(ts, [restricted_min_loss(spec, 3, t) for t in ts], color=PALETTE["vermillion"],
                ls="--", label=r"best $cVV^\top x_t$")
    ax.set_xlabel("noise level $t$")
    ax.set_title(title, fontsize="small")
axes[0].set_ylabel("mean-squared error")
axes[0].legend(fontsize="x-small")
fig.tight_layout()
plt.show()
gaps = np.array([restricted_min_loss(lam, 3, t) - linear_mmse(lam, t) for t in ts])
assert np.all(gaps >= -1e-12) and gaps.max() > 0.5
print(f"lambda = (4, 1, 0.25): largest gap over t in [0.05, 10] {gaps.max():.3f} at "
      f"t = {ts[int(np.argmax(gaps))]:.2f}; for unit eigenvalues the curves coincide")

# %% [markdown] slideshow={"slide_type": "notes"}
# Left: the family (dashed) loses to the MMSE at almost every t; the curves touch only where the
# common factor c happens to suit the spectrum. Right: unit eigenvalues, the curves coincide.
# Ask: "what is the smallest change to the family that would close the gap?" (leave it open:
# Exercise 4). *(4 min)*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Interactive: learning curves against $t$ and $P$
#
# 2000 clean samples of $\mathcal N(0,UU^\top)$ in $D=20$; $V$ from a random start, 150 Stiefel
# steps. Loss on these samples divided by $P$ (so every $P$ shares one scale), and each
# principal angle to PCA. Move $t$ and $P$.

# %% slideshow={"slide_type": "skip"} tags=["nbval-ignore-output"]
widget = build_pca_learning()
widget

# %% [markdown] slideshow={"slide_type": "skip"}
# **Static version** (no kernel needed): three slider settings (top: loss divided by $P$;
# bottom: principal angles). The loss is averaged exactly over the noise but over the 2000 **training samples**, so
# its minimum (dashed, "PCA minimum") is the sample value $(1-c)^2\,\overline{\|x\|^2}+c^2t^2P$,
# not the population MMSE (dotted). They differ by sampling error in $\overline{\|x\|^2}$, which the
# factor $(1-c)^2$ weights most at large $t$: at $t=3$ the learned loss ends below the MMSE line
# because these samples have a mean squared norm slightly below $P$, not because it beats the
# Bayes denoiser. The cell checks that the gap is within four standard errors.

# %%
fig = plt.figure(figsize=(7.2, 4.2))
datas = draw_small_multiples(fig, STATIC_VALUES)
plt.show()
for d in datas:
    assert d["loss"][-1] >= d["loss_min"] - 1e-10 and d["max_final_deg"] < 15
    c = shrinkage(d["t"])
    assert abs(d["loss_min"] - d["mmse"]) < 4 * (1 - c) ** 2 * np.sqrt(2 * d["P"] / N_WIDGET)
print("largest angle after 150 steps: " + ", ".join(
    f"{d['max_final_deg']:.1f} deg (t={d['t']:g}, P={d['P']})" for d in datas))

# %% [markdown] slideshow={"slide_type": "skip"}
# The full numbers behind the panels:

# %% slideshow={"slide_type": "skip"}
for d in datas:
    print(summary_pca_learning(d))

# %% [markdown] slideshow={"slide_type": "notes"}
# Live in JupyterLab: start at t = 1, P = 3; raise t to 3 and watch the angles stall higher
# (noisier gradients), then lower it to 0.1. Change P and point out that the angle count follows
# P. If someone notices the loss dipping under the MMSE at t = 3: it is the loss on these 2000
# samples, whose mean squared norm is a little below P (sampling error). Ask: "does more noise
# change *where* the learning goes, or only how fast?" *(5 min)*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Where the source errs
#
# * Eq. 15 applies the denoiser to $x$, not $x_t$: the loss loses $c^2t^2P$ (same argmin,
#   wrong value); and "$\min_V\ldots=$" equates a number with a function of $V$.
# * "Exactly the probabilistic PCA problem": it is PCA of the **second moment**, not
#   Tipping–Bishop's PPCA (covariance, mean removed); they agree only for zero-mean data.
# * The book's cross term has coefficient $-\frac{t}{1+t^2}$; it is $-\frac{2t}{1+t^2}$ (harmless: mean 0).

# %% [markdown] slideshow={"slide_type": "skip"}
# > **The noise disappears from the loss (eq. 15), and a minimum is equated with a function.**
# > The source writes
# > $\min_V\mathbb E\|x-\frac{1}{1+t^2}VV^\top x\|^2=\mathbb E\|x\|^2+(c^2-2c)\,\mathbb E\|V^\top x\|^2$.
# > (i) The denoiser is applied to $x_t$, not $x$: the correct loss is
# > $\mathbb E\|x-cVV^\top x_t\|^2$, which adds $c^2t^2P$ (section 2). The argmin is the same,
# > since the added term does not depend on $V$, but the values differ, and only the corrected
# > value equals the MMSE. (ii) The left side is a number (a minimum), the right side a function
# > of $V$; what is meant is "the objective equals …, hence
# > $\arg\min_V f_t=\arg\max_V\mathbb E\|V^\top x\|^2$". The book has the same slip. The source's
# > algebra for $\|x-cVV^\top x\|^2$ itself is right (check 1 above).

# %% slideshow={"slide_type": "skip"}
t = 1.0
true_min = expected_denoising_loss(U, X, t)
source_value = true_min - shrinkage(t) ** 2 * t * t * P
mc, se = denoising_loss(U, X, t, np.random.default_rng(12), return_se=True)
assert abs(mc - true_min) < 4 * se and abs(mc - source_value) > 10 * se
print(f"at V = U, t = 1: Monte Carlo loss {mc:.4f} +- {se:.4f}; corrected formula {true_min:.4f}; "
      f"source eq. 15 {source_value:.4f}; MMSE {P * t * t / (1 + t * t):.4f}")

# %% [markdown] slideshow={"slide_type": "skip"}
# > **"Exactly the probabilistic PCA problem".** The problem of eq. 16,
# > $\max_{V\in O(D,P)}\mathbb E\|V^\top x\|^2$, is what the book *calls* probabilistic PCA: the
# > top-$P$ eigenvectors of the **second-moment** matrix $\mathbb E[xx^\top]$. It is not the
# > probabilistic PCA of Tipping and Bishop (1999), a latent-variable model
# > $x=Wz+\mu+\varepsilon$ fitted by maximum likelihood, whose subspace is that of the top
# > eigenvectors of the **covariance** (mean removed), with a noise variance estimated from the
# > discarded eigenvalues. The two agree only for zero-mean data. Moreover: the maximizer does
# > not depend on $t$ (section 3), and $\frac{1}{1+t^2}VV^\top x_t$ is the Bayes-optimal denoiser
# > only when the covariance is a projection (section 6). A numerical demonstration with data
# > that have a mean is in Going further.
#
# > **In the book's derivation: the cross term's coefficient.** Expanding
# > $\|x-cVV^\top(x+tg)\|^2$, the book writes the cross term as
# > $-\frac{t}{1+t^2}\,\mathbb E\langle x-cVV^\top x,\,VV^\top g\rangle$; the coefficient is
# > $-\frac{2t}{1+t^2}=-2ct$. Harmless: the expectation is 0 either way. Checked in Going further.

# %% [markdown] slideshow={"slide_type": "notes"}
# Three lines. The first is the one that changes a number you would compute (the value of the
# loss); the second is a naming issue that bites with non-centred data. Ask: "which PCA would a
# denoiser with an offset term learn?" (the covariance one: the offset absorbs the mean).
# *(3 min)*

# %% [markdown] slideshow={"slide_type": "skip"}
# ## 9. Exercises
#
# **Exercise 1 (compute).** For $x=(2,-1,1)^\top$, $V$ with columns $(1,0,0)^\top$ and
# $(0,\tfrac{1}{\sqrt2},\tfrac{1}{\sqrt2})^\top$, and $t=1$, compute the noise-averaged loss
# $\mathbb E_g\|x-cVV^\top(x+tg)\|^2$ by hand.

# %% slideshow={"slide_type": "skip"}
my_answer = None  # your answer here (a number)
ex.check_conditional_loss(my_answer)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# $c=\tfrac12$, $V^\top x=(2,0)^\top$, so $VV^\top x=(2,0,0)^\top$ and
# $x-cVV^\top x=(1,-1,1)^\top$ with squared norm 3. The noise adds $c^2t^2P=\tfrac14\cdot2=\tfrac12$:
# the loss is $3.5$.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
assert ex.check_conditional_loss(expected_denoising_loss(ex.EX1_V, ex.EX1_X[None], ex.EX1_T)), \
    "worked solution disagrees"
assert ex.check_conditional_loss(3.5), "the value in the worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 2 (compute).** In $\mathbb R^4$ let $\mathcal U=\mathrm{span}(e_1,e_2)$ and
# $\mathcal V=\mathrm{span}\big(\tfrac{1}{\sqrt2}(e_1+e_3),\ \tfrac12 e_2+\tfrac{\sqrt3}{2}e_4\big)$.
# Give the two principal angles between them, in radians, smallest first.

# %% slideshow={"slide_type": "skip"}
my_angles = None  # your answer here, e.g. [0.1, 0.2]
ex.check_principal_angles(my_angles)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# Both bases are orthonormal, and $U^\top V=\begin{pmatrix}1/\sqrt2&0\\0&1/2\end{pmatrix}$ is
# already diagonal: the cosines are $1/\sqrt2$ and $1/2$, so the angles are $\pi/4$ and $\pi/3$.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
assert ex.check_principal_angles(principal_angles(ex.EX2_U, ex.EX2_V)), "worked solution disagrees"
assert ex.check_principal_angles([np.pi / 4, np.pi / 3]), "the value in the worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 3 (prove, then compute).** (a) Show that for every $t\ge0$ the minimizers of
# $f_t(V)$ over $O(D,P)$ are the bases of a top-$P$ eigenspace of $M=\mathbb E[xx^\top]$.
# (b) For $M$ with eigenvalues $(3,2,1,0.5)$, $P=2$ and $t=2$, give $\min_V f_t(V)$.

# %% slideshow={"slide_type": "skip"}
my_min = None  # your answer here (a number)
ex.check_min_loss(my_min)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# (a) By section 2, $f_t(V)=\operatorname{tr}M+(c^2-2c)\operatorname{tr}(V^\top MV)+c^2t^2P$ and
# $c^2-2c=-c(2-c)<0$ because $0<c\le1$. So minimizing $f_t$ is maximizing
# $\operatorname{tr}(V^\top MV)$, independently of $t$. Write $M=\sum_i\lambda_iq_iq_i^\top$
# ($\lambda_1\ge\dots\ge\lambda_D$); then $\operatorname{tr}(V^\top MV)=\sum_i\lambda_i w_i$ with
# $w_i=\|V^\top q_i\|^2\in[0,1]$ and $\sum_iw_i=P$. This linear function of $w$ is largest when
# the weight sits on the $P$ largest $\lambda_i$ (Ky Fan), i.e. when $\mathrm{span}(V)$ is a
# top-$P$ eigenspace; the maximum is $\lambda_1+\dots+\lambda_P$.
#
# (b) $c=1/5$, $c^2-2c=-0.36$, so $f=6.5-0.36\cdot5+0.04\cdot4\cdot2=5.02$.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
M3 = np.diag(ex.EX3_EIGENVALUES)
assert ex.check_min_loss(denoising_loss_from_moment(np.eye(4)[:, :ex.EX3_P], M3, ex.EX3_T)), \
    "worked solution disagrees"
assert ex.check_min_loss(5.02), "the value in the worked solution disagrees"

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 4 (compute, interpret).** For $x\sim\mathcal N(0,\Sigma)$ with eigenvalues
# $(4,1,0.25)$ and $t=1$: give the pair [MMSE of $\Sigma(\Sigma+t^2I)^{-1}x_t$, smallest loss of
# $cVV^\top x_t$ with $P=3$]. Which single change to the family would close the gap?

# %% slideshow={"slide_type": "skip"}
my_pair = None  # your answer here, [mmse, restricted minimum]
ex.check_mmse_gap(my_pair)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# <details><summary>Solution</summary>
#
# MMSE: $\frac45+\frac12+\frac{0.25}{1.25}=1.5$. Family ($P=3$ keeps all three directions):
# $(1-c)^2\sum\lambda_i+c^2t^2P=\frac14\cdot5.25+\frac14\cdot3=2.0625$. The gap closes if each
# kept direction gets its own factor $\lambda_i/(\lambda_i+t^2)$ instead of the common $c$, i.e.
# the family $V\operatorname{diag}(s)V^\top$ with learnable $s$: that is eq. 9.
# </details>

# %% jupyter={"source_hidden": true} slideshow={"slide_type": "skip"} tags=["solution", "hide-input"]
lam4 = ex.EX4_EIGENVALUES
assert ex.check_mmse_gap([np.sum(lam4 * ex.EX4_T**2 / (lam4 + ex.EX4_T**2)),
                          denoising_loss_from_moment(np.eye(3), np.diag(lam4), ex.EX4_T)]), \
    "worked solution disagrees"
assert ex.check_mmse_gap([1.5, 2.0625]), "the values in the worked solution disagree"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * The family $\frac{1}{1+t^2}VV^\top x_t$ contains the exact denoiser of $\mathcal N(0,UU^\top)$;
#   its loss is $\mathbb E\|x\|^2+(c^2-2c)\mathbb E\|V^\top x\|^2+c^2t^2P$ (the source drops the last term).
# * $c^2-2c<0$: training it is PCA of the **second moment**, the same answer at every $t$.
# * Stiefel gradient steps on pairs (clean $x$, noised $x_t$) reach the PCA subspace; principal
#   angles measure how close.
# * Projection covariance: the minimum is the MMSE $Pt^2/(1+t^2)$; otherwise the common $c$ loses.
#
# **Next:** [chapter 5](05_sampling.ipynb) calls a denoiser many times, walking from pure noise
# down to the data.

# %% [markdown] slideshow={"slide_type": "notes"}
# Recap the four lines with their figures. The honest caveat for "learning is PCA": it holds for
# this family, whose shrinkage is fixed and whose targets are clean samples. Ask: "what would a
# family need to learn data with unequal variances?" (a factor per direction, Exercise 4).
# *(2 min)*

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ## Going further: second-moment PCA against covariance PCA
#
# A demonstration with data that have a mean: $x\sim\mathcal N(\mu,\,uu^\top)$ with $\mu\perp u$.
# The second-moment PCA (what the denoising loss asks for, since $cVV^\top$ has no offset) picks
# the direction of $\mu$; covariance PCA (Tipping–Bishop's subspace) picks $u$. The loss agrees
# with the former.

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
rng = np.random.default_rng(13)
e = np.eye(D)
mu, u1 = 2.0 * e[:, 0], e[:, 1:2]
X_mu = mu + rng.standard_normal((20000, 1)) @ u1.T
V_second = pca(X_mu, 1)  # top eigenvector of E[x x^T] (the book's "PPCA", eq. 16)
V_cov = pca(X_mu - X_mu.mean(axis=0), 1)  # top eigenvector of the covariance (Tipping-Bishop)
between = float(np.degrees(principal_angles(V_second, V_cov))[0])
losses = [expected_denoising_loss(V_, X_mu, 1.0) for V_ in (V_second, V_cov)]
assert between > 85 and losses[0] < losses[1]
print(f"angle between second-moment PCA and covariance PCA: {between:.1f} deg")
print(f"denoising loss at t = 1: second-moment basis {losses[0]:.3f}, covariance basis {losses[1]:.3f}")

# %% [markdown] slideshow={"slide_type": "skip"} tags=["going-further"]
# ## Going further: the cross term's coefficient
#
# The per-sample decomposition of $\|x-cVV^\top(x+tg)\|^2$ holds to rounding with the cross-term
# coefficient $2ct=\frac{2t}{1+t^2}$ and not with the book's $\frac{t}{1+t^2}$, while the Monte
# Carlo mean of the cross term is within a few standard errors of 0.

# %% slideshow={"slide_type": "skip"} tags=["going-further"]
t, c = 1.0, shrinkage(1.0)
g = np.random.default_rng(14).standard_normal(X.shape)
total = np.sum((X - c * ((X + t * g) @ V_rand) @ V_rand.T) ** 2, axis=1)
a = X - c * (X @ V_rand) @ V_rand.T
inner = np.sum(a * ((g @ V_rand) @ V_rand.T), axis=1)
quad = np.sum((g @ V_rand) ** 2, axis=1)
resid_right = np.abs(total - (np.sum(a**2, axis=1) - 2 * c * t * inner + c * c * t * t * quad)).max()
resid_book = np.abs(total - (np.sum(a**2, axis=1) - c * t * inner + c * c * t * t * quad)).max()
cross = -2 * c * t * inner
se = cross.std(ddof=1) / np.sqrt(cross.size)
assert resid_right < 1e-10 and resid_book > 0.1 and abs(cross.mean()) < 4 * se
print(f"per-sample identity with 2t/(1+t^2): largest error {max(resid_right, 1e-17):.0e}; "
      f"with t/(1+t^2): largest error {resid_book:.2f}")
print(f"mean of the cross term: {cross.mean():.4f} +- {se:.4f} (zero within 4 standard errors)")
