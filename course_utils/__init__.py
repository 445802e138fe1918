"""course_utils: the mathematics of *Compression via Denoising*, as a small numpy package.

Samples are rows (shape (n, D)); bases are (D, P). Importing this package loads numpy only:
plotting and widget modules import matplotlib and ipywidgets when they are used.
"""

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
from .diffusion import (  # chapter 2, module course_utils.diffusion
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
from .entropy import (  # chapter 1; like pca, the function entropy(p) hides the module name
    coding_rate,
    entropy,
    gaussian_cross_entropy,
    gaussian_entropy,
    gaussian_entropy_t,
    gaussian_entropy_t_derivative,
    miller_madow_bias,
    mixture_entropy_mc,
    plugin_entropy,
    quantized_entropy,
    sample_entropy_estimate,
)
from .gaussians import gaussian_kl, ve_start_kl  # chapter 6
from .linear import (  # chapter 3, module course_utils.linear
    eigen_contraction_factors,
    gaussian_denoiser,
    gaussian_denoiser_matrix,
    iterate_fixed_t,
    low_rank_inverse,
    low_rank_logdet,
    power_iteration,
    ve_sampler_gain,
)
from .mixtures import GaussianMixture
from .pca import (  # chapter 4; note: cu.pca is the function (use course_utils.pca.X imports)
    denoising_loss,
    denoising_loss_from_moment,
    expected_denoising_loss,
    learn_subspace,
    linear_mmse,
    optimal_linear_denoiser,
    pca,
    principal_angles,
    random_orthonormal,
    restricted_min_loss,
    second_moment,
    shrinkage,
)
from .sampler_analysis import (  # chapter 5
    brownian_step,
    component_fractions,
    coupled_conditional_mean,
    direction_energy,
    memorizing_denoiser,
    probability_flow_euler_step,
    subspace_distance,
    ve_factor_limit,
    ve_factor_product,
    ve_step_factors,
)
from .sampling import ddim_step, initial_noise, sample
from .schedules import VE, VP, Schedule
from .training import lowrank_denoiser, train_lowrank_denoiser  # chapter 6

__version__ = "0.1.0"

__all__ = [
    "VE",
    "VP",
    "GaussianMixture",
    "Schedule",
    "attention_denoiser",
    "attention_logits",
    "attention_weights",
    "ddim_step",
    "initial_noise",
    "posterior_mean",
    "responsibilities",
    "sample",
    "score",
    "score_from_denoiser",
    "tweedie",
]
__all__ += [  # chapter 4 (course_utils/pca.py)
    "denoising_loss",
    "denoising_loss_from_moment",
    "expected_denoising_loss",
    "learn_subspace",
    "linear_mmse",
    "optimal_linear_denoiser",
    "pca",
    "principal_angles",
    "random_orthonormal",
    "restricted_min_loss",
    "second_moment",
    "shrinkage",
]
__all__ += [  # chapter 6 (course_utils/gaussians.py, course_utils/training.py)
    "gaussian_kl",
    "lowrank_denoiser",
    "train_lowrank_denoiser",
    "ve_start_kl",
]
__all__ += [  # chapter 1 (course_utils/entropy.py)
    "coding_rate",
    "entropy",
    "gaussian_cross_entropy",
    "gaussian_entropy",
    "gaussian_entropy_t",
    "gaussian_entropy_t_derivative",
    "miller_madow_bias",
    "mixture_entropy_mc",
    "plugin_entropy",
    "quantized_entropy",
    "sample_entropy_estimate",
]
__all__ += [  # chapter 2 (course_utils/diffusion.py)
    "affine_denoiser",
    "density_grid",
    "finite_difference_grad",
    "forward_process",
    "mc_posterior_mean",
    "mean_and_se",
    "mixture_2d",
    "mixture_moments",
    "two_point_denoiser",
]
__all__ += [  # chapter 3 (course_utils/linear.py)
    "eigen_contraction_factors",
    "gaussian_denoiser",
    "gaussian_denoiser_matrix",
    "iterate_fixed_t",
    "low_rank_inverse",
    "low_rank_logdet",
    "power_iteration",
    "ve_sampler_gain",
]
__all__ += [  # chapter 5 (course_utils/sampler_analysis.py)
    "brownian_step",
    "component_fractions",
    "coupled_conditional_mean",
    "direction_energy",
    "memorizing_denoiser",
    "probability_flow_euler_step",
    "subspace_distance",
    "ve_factor_limit",
    "ve_factor_product",
    "ve_step_factors",
]
