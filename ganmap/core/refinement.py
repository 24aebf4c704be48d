"""Going past the generator's range: after z, let G's intermediate features move too.

G(z*) is a face the generator can draw, never exactly the face observed, which caps every task.
Intermediate-layer optimisation (Daras et al., ICML 2021) starts from the features h(z*) that G's
first two blocks (z -> 4 x 4 -> 8 x 8) make from z*, and moves them so that the image the rest of
G draws from them fits the observation. The later blocks stay G's own, so the result is still
drawn with the generator's textures and details; the pull `weight * ||h - h(z*)||^2` and the small
number of steps keep the features near those of a face, so that noise and rounding are not drawn
too.

The fit is squared error, the likelihood of the Gaussian noise of denoising, rather than the L1 of
Eq. 3. What the refinement adds per task, and what else was tried, is in
docs/experiments/settings-tuning.md.
"""

from __future__ import annotations

import torch

from ganmap.core.models import Generator, to_unit
from ganmap.core.observations import Observations
from ganmap.core.solver import autocast

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
    its task. Each image's rows must be consecutive; they meet G on their own (see
    `ganmap.core.observations`) and Adam's update is element-wise, so images are independent."""
    head, tail = generator.net[:FEATURE_LAYER], generator.net[FEATURE_LAYER:]
    owners = torch.arange(len(latents)) if owners is None else owners.cpu()
    images, sizes = (t.tolist() for t in torch.unique_consecutive(owners, return_counts=True))
    with torch.no_grad():
        anchors = [head(z.view(len(z), -1, 1, 1)) for z in latents.split(sizes)]
    # a parameter per image: each image's optimiser arithmetic has the shape it has alone
    features = [anchor.clone().requires_grad_(True) for anchor in anchors]
    optimizer = torch.optim.Adam(features, lr=step_size)
    for _ in range(steps):
        with torch.enable_grad():  # callers may hold no_grad
            loss = sum(
                misfit(observed, image, draw(tail, h, precision))
                + weight * (h - anchor).square().sum()
                for image, h, anchor in zip(images, features, anchors, strict=True)
            )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # images are independent: each h gets its own image's gradient
        optimizer.step()
    with torch.no_grad():
        return torch.cat([draw(tail, h, "float32").clamp(0, 1) for h in features])


def misfit(observed: Observations, image: int, drawn: torch.Tensor) -> torch.Tensor:
    """||task.residual(x, y)||^2 summed over the rows `drawn` of one image."""
    return observed.map(
        lambda task, y, x: task.residual(x, y).square().flatten(1).sum(1),
        drawn,
        owners=torch.full((len(drawn),), image),
    ).sum()


def draw(tail: torch.nn.Module, features: torch.Tensor, precision: str) -> torch.Tensor:
    """The images in [0, 1] that G's last blocks draw from one image's `features`, on their own
    (see `ganmap.core.observations`)."""
    with autocast(features.device, precision):
        return to_unit(tail(features).float())
