"""Going past the generator's range where the operator is the identity (denoising, quantization).

G(z*) is a face the generator can draw, never exactly the face observed. The residual y - G(z*)
holds what G missed plus the corruption; the corruption is white (noise, rounding error) while
what G missed is mostly coarse (shape, shading, identity). Adding back the residual low-passed by a
Gaussian of `sigma` pixels keeps the observation's coarse content and the GAN's fine content.
sigma -> 0 returns y itself, sigma -> infinity G(z*) shifted by the mean residual.
"""

from __future__ import annotations

import torch
from torchvision.transforms.functional import gaussian_blur


def add_coarse_residual(
    image: torch.Tensor, observation: torch.Tensor, sigma: float
) -> torch.Tensor:
    """image + Gaussian-low-pass(observation - image), clipped to [0, 1]; (N, C, H, W) each."""
    radius = max(1, int(3 * sigma + 0.5))
    residual = gaussian_blur(observation - image, kernel_size=2 * radius + 1, sigma=sigma)
    return (image + residual).clamp(0, 1)
