"""CBM3D (Dabov et al. 2007), the colour version of BM3D, from the `bm3d` package: the classical
reference for denoising, and for quantization with the quantization error taken as noise.

Not tuned: CBM3D is told the noise level the task implies, the task's sigma (0.1 by default) or,
for quantization, the standard deviation of a uniform error over one level, step / sqrt(12)
(0.25 / sqrt(12) at 5 levels). `bm3d` is free for non-commercial use only, so it is an evaluation
extra (`pip install ganmap[eval]`), never a dependency of the package itself.
"""

from __future__ import annotations

import math

import torch

from ..tasks import Denoising, Quantization


def noise_sigma(task: Denoising | Quantization) -> float:
    """The noise standard deviation a denoiser should assume for this task's observation."""
    if isinstance(task, Quantization):
        return 1 / ((task.levels - 1) * math.sqrt(12))
    return task.sigma


def cbm3d(observation: torch.Tensor, task: Denoising | Quantization) -> torch.Tensor:
    """Each image of `observation` (N, 3, H, W) in [0, 1], any size, denoised by CBM3D."""
    from bm3d import bm3d_rgb

    images = observation.detach().cpu().double().permute(0, 2, 3, 1).numpy()
    sigma = noise_sigma(task)
    restored = torch.stack([torch.from_numpy(bm3d_rgb(image, sigma)) for image in images])
    return restored.permute(0, 3, 1, 2).to(observation.device, observation.dtype).clamp(0, 1)
