"""course_utils: the mathematics of *Compression via Denoising*, as a small numpy package.

Samples are rows (shape (n, D)); bases are (D, P) matrices with orthonormal columns. Importing
this package loads numpy only: plotting and widget modules import matplotlib and ipywidgets when
they are used.

Two names hide their module on purpose (the course's API): ``course_utils.entropy`` is the
function H(p) and ``course_utils.pca`` is the function pca(X, p). Import from those modules as
``from course_utils.entropy import ...`` and ``from course_utils.pca import ...``.
"""

# the Bayes denoiser, Tweedie, the attention form (core)
from .denoisers import (
    attention_denoiser,
    attention_logits,
    attention_weights,
    posterior_mean,
    responsibilities,
    score,
    score_from_denoiser,
    tweedie,
)

# the forward process and Monte Carlo checks of the denoiser (chapter 2)
from .diffusion import (
    affine_denoiser,
    density_grid,
    finite_difference_grad,
    forward_process,
    mc_posterior_mean,
    mean_and_se,
    mixture_2d,
    mixture_moments,
    two_point_denoiser,
)

# the 8x8 digits of scikit-learn, fitted per class (chapters 7-8; scikit-learn loaded on use)
from .digits import digit_classifier, fit_class_mixture, fit_gaussian, load_digits_split

# entropy, cross-entropy and KL (chapter 1; ve_start_kl: chapter 6)
from .entropy import (
    coding_rate,
    entropy,
    gaussian_cross_entropy,
    gaussian_entropy,
    gaussian_entropy_t,
    gaussian_entropy_t_derivative,
    gaussian_kl,
    miller_madow_bias,
    mixture_entropy_mc,
    plugin_entropy,
    quantized_entropy,
    sample_entropy_estimate,
    ve_start_kl,
)

# inference with a learned model: conditioning, DPS, guidance (chapter 8)
from .inference import (
    MixtureConditioner,
    cfg_denoiser,
    class_conditional_denoiser,
    condition_mixture,
    conditional_denoiser,
    dps_denoiser,
    guided_denoiser,
    kalman_conditional_denoiser,
    measurement_log_likelihood,
    posterior_covariance,
    sampler_affine_map,
)

# the single-Gaussian denoiser and low-rank linear algebra (chapter 3)
from .linear import (
    eigen_contraction_factors,
    gaussian_denoiser,
    gaussian_denoiser_matrix,
    iterate_fixed_t,
    low_rank_inverse,
    low_rank_logdet,
    power_iteration,
)

# memorization and its measurement (chapter 7)
from .memorization import (
    disjoint_halves_discrepancy,
    false_positive_floor,
    memorization_ratio,
    nearest_neighbours,
    posterior_weights,
)

# Gaussian mixtures (core)
from .mixtures import GaussianMixture

# learning the low-rank denoiser is PCA (chapter 4)
from .pca import (
    denoising_loss,
    denoising_loss_from_moment,
    expected_denoising_loss,
    learn_subspace,
    linear_mmse,
    pca,
    principal_angles,
    random_orthonormal,
    restricted_min_loss,
    riemannian_gradient,
    second_moment,
    shrinkage,
    stiefel_retract,
)

# sampler analysis and sample quality (chapter 5)
from .sampler_analysis import (
    brownian_step,
    component_fractions,
    coupled_conditional_mean,
    direction_energy,
    memorizing_denoiser,
    nearest_subspace,
    probability_flow_euler_step,
    subspace_distance,
    ve_factor_limit,
    ve_factor_product,
    ve_step_factors,
)

# the iterative sampler (core)
from .sampling import ddim_step, initial_noise, sample

# noise schedules alpha_t, sigma_t (core)
from .schedules import VE, VP, Schedule

# mixtures of subspaces fitted from data: K-subspaces (chapter 7)
from .subspaces import fit_subspaces, projection_distance, subspace_error

# one denoiser for all t: training (chapter 6)
from .training import match_subspaces, train_lowrank_denoiser

__version__ = "0.1.0"

__all__ = [
    # schedules
    "Schedule",
    "VE",
    "VP",
    # mixtures
    "GaussianMixture",
    # denoisers
    "attention_denoiser",
    "attention_logits",
    "attention_weights",
    "posterior_mean",
    "responsibilities",
    "score",
    "score_from_denoiser",
    "tweedie",
    # sampling
    "ddim_step",
    "initial_noise",
    "sample",
    # entropy
    "coding_rate",
    "entropy",
    "gaussian_cross_entropy",
    "gaussian_entropy",
    "gaussian_entropy_t",
    "gaussian_entropy_t_derivative",
    "gaussian_kl",
    "miller_madow_bias",
    "mixture_entropy_mc",
    "plugin_entropy",
    "quantized_entropy",
    "sample_entropy_estimate",
    "ve_start_kl",
    # diffusion
    "affine_denoiser",
    "density_grid",
    "finite_difference_grad",
    "forward_process",
    "mc_posterior_mean",
    "mean_and_se",
    "mixture_2d",
    "mixture_moments",
    "two_point_denoiser",
    # linear
    "eigen_contraction_factors",
    "gaussian_denoiser",
    "gaussian_denoiser_matrix",
    "iterate_fixed_t",
    "low_rank_inverse",
    "low_rank_logdet",
    "power_iteration",
    # pca
    "denoising_loss",
    "denoising_loss_from_moment",
    "expected_denoising_loss",
    "learn_subspace",
    "linear_mmse",
    "pca",
    "principal_angles",
    "random_orthonormal",
    "restricted_min_loss",
    "riemannian_gradient",
    "second_moment",
    "shrinkage",
    "stiefel_retract",
    # sampler analysis
    "brownian_step",
    "component_fractions",
    "coupled_conditional_mean",
    "direction_energy",
    "memorizing_denoiser",
    "nearest_subspace",
    "probability_flow_euler_step",
    "subspace_distance",
    "ve_factor_limit",
    "ve_factor_product",
    "ve_step_factors",
    # training
    "match_subspaces",
    "train_lowrank_denoiser",
    # memorization (chapter 7)
    "disjoint_halves_discrepancy",
    "false_positive_floor",
    "memorization_ratio",
    "nearest_neighbours",
    "posterior_weights",
    # subspaces (chapter 7)
    "fit_subspaces",
    "projection_distance",
    "subspace_error",
    # digits (chapters 7-8)
    "digit_classifier",
    "fit_class_mixture",
    "fit_gaussian",
    "load_digits_split",
    # inference (chapter 8)
    "MixtureConditioner",
    "cfg_denoiser",
    "class_conditional_denoiser",
    "condition_mixture",
    "conditional_denoiser",
    "dps_denoiser",
    "guided_denoiser",
    "kalman_conditional_denoiser",
    "measurement_log_likelihood",
    "posterior_covariance",
    "sampler_affine_map",
]
