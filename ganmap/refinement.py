"""Going past the generator's range: after z, let G's intermediate features move too.

G(z*) is a face the generator can draw, never exactly the face observed: on validation faces the
best z reconstructs a clean face to only about 21.3 dB, which caps every task. Intermediate-layer
optimisation (Daras et al., ICML 2021) starts from the features h(z*) that G's first two blocks
(z -> 4 x 4 -> 8 x 8) make from z*, and moves them so that the image the rest of G draws from them
fits the observation. The later blocks stay G's own, so the result is still drawn with the
generator's textures and details; the pull `weight * ||h - h(z*)||^2` and the small number of steps
keep the features near those of a face, so that noise and rounding are not drawn too.

The fit is squared error, the likelihood of the Gaussian noise of denoising, rather than the L1 of
Eq. 3. On validation faces the refinement adds 0.1 (colorization) to 8.0 dB (denoising, where
G(z*) alone is far from the noisy face); the README has the table and what else was tried.
"""

from __future__ import annotations

import torch

from .models import Generator, to_unit
from .observations import Observations
from .solver import autocast

FEATURE_LAYER = 6  # generator.net[:6] ends with the ReLU of the 8 x 8 block: (N, 256, 8, 8)


def refine_features(
    generator: Generator,
    observed: Observations,
    latents: torch.Tensor,
    *,
    owners: torch.Tensor | None = None,
    steps: int,
    weight: float,
    step_size: float = 0.03,
    precision: str = "float32",
) -> torch.Tensor:
    """The images (M, 3, 64, 64) in [0, 1] drawn from G's 8 x 8 features of `latents` (M, nz)
    after `steps` Adam steps on ||task.residual(x, y)||^2 (||A(x) - y||^2 for most tasks) +
    weight * ||h - h(z)||^2 per image, latent m fitting observation owners[m] (default: m) with
    its task (each image independent of the others: Adam's update is element-wise)."""
    head, tail = generator.net[:FEATURE_LAYER], generator.net[FEATURE_LAYER:]
    with torch.no_grad():
        anchor = head(latents.view(len(latents), -1, 1, 1))
    features = anchor.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([features], lr=step_size)
    for _ in range(steps):
        with torch.enable_grad():  # callers may hold no_grad
            with autocast(latents.device, precision):
                drawn = tail(features)
            residuals = observed.map(
                lambda task, y, x: task.residual(x, y).square().flatten(1).sum(1),
                to_unit(drawn.float()),
                owners=owners,
            )
            misfit = residuals.sum()
            loss = misfit + weight * (features - anchor).square().sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # images are independent: each h gets its own image's gradient
        optimizer.step()
    with torch.no_grad():
        return to_unit(tail(features)).clamp(0, 1)
