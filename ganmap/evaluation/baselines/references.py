"""The simple references a user would try first, one per task, and the first estimates they give.

- super-resolution: bicubic upsampling;
- inpainting: biharmonic filling of the hole (scikit-image);
- denoising: non-local means at the known noise level (scikit-image);
- colorization: the gray image itself, in three channels;
- quantization: a small Gaussian blur, which smooths the banding (a blur of width 0 is the
  quantized image itself, so the tuning decides whether blurring helps at all).

The iterative baselines start from `Task.estimate`: the mean-filled hole, the gray image, the
bicubic upsampling, or the observation itself.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ganmap.operators import Colorization, Denoising, Inpainting, SuperResolution, Task
from ganmap.operators.partners import classical


def _to_numpy(images: torch.Tensor) -> np.ndarray:
    return images.detach().cpu().double().permute(0, 2, 3, 1).numpy()


def _to_torch(images: list[np.ndarray], like: torch.Tensor) -> torch.Tensor:
    stacked = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2)
    return stacked.to(like.device, like.dtype).clamp(0, 1)


def bicubic(observation: torch.Tensor, task: SuperResolution) -> torch.Tensor:
    """Bicubic interpolation back to full size: the task's own first estimate."""
    return task.estimate(observation)


def gray(observation: torch.Tensor, task: Colorization) -> torch.Tensor:
    """The gray input as an RGB image (exact luma, no colour): the task's own first estimate."""
    return task.estimate(observation).clone()


def biharmonic(observation: torch.Tensor, task: Inpainting) -> torch.Tensor:
    """The smoothest fill of the hole that meets the known pixels (scikit-image's biharmonic):
    the task's own classical restoration."""
    return classical(task, observation)


def nl_means(observation: torch.Tensor, task: Denoising, *, h: float) -> torch.Tensor:
    """Non-local means with 5 x 5 patches in a 13 x 13 search window, told the noise sigma.

    `h` is the filtering strength in units of the noise sigma (scikit-image subtracts the expected
    noise from the patch distances when sigma is given, so h of about 1 is the natural scale).
    """
    from skimage.restoration import denoise_nl_means

    return _to_torch(
        [
            denoise_nl_means(
                image,
                h=h * task.sigma,
                sigma=task.sigma,
                patch_size=5,
                patch_distance=6,
                fast_mode=True,
                channel_axis=-1,
            )
            for image in _to_numpy(observation)
        ],
        observation,
    )


def blur(observation: torch.Tensor, task: Task, *, width: float) -> torch.Tensor:
    """Gaussian blur of standard deviation `width` pixels (reflecting borders); 0 changes nothing."""
    if width == 0:
        return observation.clone()
    radius = max(1, round(3 * width))
    offsets = torch.arange(-radius, radius + 1, dtype=observation.dtype, device=observation.device)
    kernel = torch.exp(-0.5 * (offsets / width) ** 2)
    kernel = kernel / kernel.sum()
    channels = observation.shape[1]
    padded = F.pad(observation, (radius, radius, radius, radius), mode="reflect")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1), groups=channels)
    return F.conv2d(rows, kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1), groups=channels)
