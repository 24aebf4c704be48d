"""ganmap: image restoration with a learned generative prior (Yeh, Lim et al., ICASSP 2018).

A DCGAN trained on faces is the prior; restoring an image finds the latent z whose G(z), seen
through the corruption operator A, matches the observation, with the discriminator as regulariser
(Eq. 3 of the paper), and returns G(z) post-processed per task.
"""

from .images import ImageError
from .models import Discriminator, Generator, WeightsError
from .photo import NoFaceError, PhotoRestorationOutput, RestoredFace, corrupt_photo
from .restoration import RestorationOutput, RestorationPipeline, corrupt
from .settings import GENERIC, PAPER, Settings
from .tasks import TASKS, Colorization, Denoising, Inpainting, Quantization, SuperResolution, Task

__version__ = "0.1.0"


def pipeline(path_or_repo_id: str | None = None, **kwargs) -> RestorationPipeline:
    """Shortcut for `RestorationPipeline.from_pretrained(path_or_repo_id, **kwargs)`."""
    return RestorationPipeline.from_pretrained(path_or_repo_id, **kwargs)


__all__ = [
    "TASKS",
    "GENERIC",
    "PAPER",
    "Colorization",
    "Denoising",
    "Discriminator",
    "Generator",
    "ImageError",
    "Inpainting",
    "NoFaceError",
    "PhotoRestorationOutput",
    "Quantization",
    "RestorationOutput",
    "RestorationPipeline",
    "RestoredFace",
    "Settings",
    "SuperResolution",
    "Task",
    "WeightsError",
    "corrupt",
    "corrupt_photo",
    "pipeline",
]
