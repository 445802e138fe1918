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
from .mixtures import GaussianMixture
from .sampling import ddim_step, initial_noise, sample
from .schedules import VE, VP, Schedule

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
