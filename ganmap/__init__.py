"""ganmap: image restoration with a learned generative prior (Yeh, Lim et al., ICASSP 2018).

A DCGAN trained on faces is the prior; restoring an image finds the latent z whose G(z), seen
through the corruption operator A, matches the observation, with the discriminator as regulariser
(Eq. 3 of the paper), and returns G(z) post-processed per task. The layers and what each may
import: docs/layout.md.
"""

from ganmap.base.images import ImageError
from ganmap.base.weights import WeightsError
from ganmap.classical.denoiser import Denoiser
from ganmap.classical.levels import estimate_levels, estimate_noise_sigma
from ganmap.core.models import Discriminator, Encoder, Generator
from ganmap.core.pipeline import RestorationOutput, corrupt
from ganmap.core.settings import GENERIC, PAPER, Settings
from ganmap.operators import (
    REGISTRY,
    TASKS,
    Colorization,
    Denoising,
    Gaussian,
    Inpainting,
    Quantization,
    Rounding,
    SuperResolution,
    Task,
    at_its_own_level,
    at_level,
    get_task,
)
from ganmap.photo.detection import DetectionConfig, Detectors
from ganmap.photo.pipeline import (
    NoFaceError,
    PhotoRestorationOutput,
    RestorationPipeline,
    RestoredFace,
    corrupt_photo,
)

__version__ = "0.1.0"


def pipeline(path_or_repo_id: str | None = None, **kwargs) -> RestorationPipeline:
    """Shortcut for `RestorationPipeline.from_pretrained(path_or_repo_id, **kwargs)`."""
    return RestorationPipeline.from_pretrained(path_or_repo_id, **kwargs)


__all__ = [
    "GENERIC",
    "PAPER",
    "REGISTRY",
    "TASKS",
    "Colorization",
    "Denoiser",
    "Denoising",
    "DetectionConfig",
    "Detectors",
    "Discriminator",
    "Encoder",
    "Gaussian",
    "Generator",
    "ImageError",
    "Inpainting",
    "NoFaceError",
    "PhotoRestorationOutput",
    "Quantization",
    "RestorationOutput",
    "RestorationPipeline",
    "RestoredFace",
    "Rounding",
    "Settings",
    "SuperResolution",
    "Task",
    "WeightsError",
    "at_its_own_level",
    "at_level",
    "corrupt",
    "corrupt_photo",
    "estimate_levels",
    "estimate_noise_sigma",
    "get_task",
    "pipeline",
]
