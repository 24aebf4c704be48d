"""CBM3D (Dabov et al. 2007), the colour version of BM3D, from the `bm3d` package: the classical
reference for denoising, and for quantization with the quantization error taken as noise.

Not tuned: CBM3D is told the noise level the task implies, the task's sigma (0.1 by default) or,
for quantization, the standard deviation of a uniform error over one level, step / sqrt(12)
(0.25 / sqrt(12) at 5 levels). `bm3d` is free for non-commercial use only, so it is an evaluation
extra (`pip install ganmap[eval]`), never a dependency of the package itself.
"""

from __future__ import annotations

import torch

from ganmap.operators import Task


def cbm3d(observation: torch.Tensor, task: Task) -> torch.Tensor:
    """Each image of `observation` (N, 3, H, W) in [0, 1], any size, denoised by CBM3D at the
    task's `noise_sigma` (a noisy task: denoising, quantization)."""
    from bm3d import bm3d_rgb

    sigma = task.noise_sigma
    if sigma is None:
        raise ValueError(f"CBM3D is a denoiser: {task.name} has no noise level to give it")
    images = observation.detach().cpu().double().permute(0, 2, 3, 1).numpy()
    restored = torch.stack([torch.from_numpy(bm3d_rgb(image, sigma)) for image in images])
    return restored.permute(0, 3, 1, 2).to(observation.device, observation.dtype).clamp(0, 1)
