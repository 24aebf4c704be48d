"""Total-variation regularised restoration with each task's own operator, by Chambolle-Pock.

The problem is  min_x 0.5 ||A x - y||^2 + weight * TV(x)  over images in [0, 1], with the
isotropic TV of each channel (the sum over pixels of the length of the forward-difference
gradient). Chambolle and Pock's primal-dual algorithm (JMIV 2011) solves it for any linear A
with nothing but A and its adjoint: both the gradient and A go into the linear map K = [grad; A],
whose dual variables have closed-form proximal steps, and the box [0, 1] is the primal constraint.
For quantization that box is narrowed to the quantization cells (the values that round to y),
which scores better than [0, 1] alone. ||grad||^2 <= 8 and ||A||^2 <= 1 give ||K||^2 <= 9, so the
step sizes need tau * sigma * 9 < 1; a large primal step (tau = 1, sigma just under 1/9) carries
information into a 32 x 32 hole several times faster than equal steps. The iterations stop once
no image of the batch moves any more (RMS step under TOLERANCE), which saves most of the time at
about the score of all ITERATIONS. The measurements are in docs/experiments/baselines.md.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganmap.operators import Rounding, Task

ITERATIONS = 400
TOLERANCE, CHECK_EVERY = 1e-4, 10
PRIMAL_STEP, DUAL_STEP = 1.0, 0.99 / 9


def gradient(image: torch.Tensor) -> torch.Tensor:
    """Forward differences (N, C, H, W) -> (N, C, 2, H, W), zero across the far borders."""
    across = F.pad(image[..., :, 1:] - image[..., :, :-1], (0, 1))
    down = F.pad(image[..., 1:, :] - image[..., :-1, :], (0, 0, 0, 1))
    return torch.stack((across, down), dim=2)


def divergence(field: torch.Tensor) -> torch.Tensor:
    """Minus the adjoint of `gradient`: (N, C, 2, H, W) -> (N, C, H, W)."""
    across, down = field[:, :, 0, :, :-1], field[:, :, 1, :-1, :]
    return (
        F.pad(across, (0, 1))
        - F.pad(across, (1, 0))
        + F.pad(down, (0, 0, 0, 1))
        - F.pad(down, (0, 0, 1, 0))
    )


def total_variation(
    observation: torch.Tensor, task: Task, *, weight: float, iterations: int = ITERATIONS
) -> torch.Tensor:
    """TV restoration of a batch of observations; `weight` trades smoothness for data fit."""
    if weight <= 0:
        raise ValueError(f"the TV weight must be positive, got {weight!r}")
    image = task.estimate(observation).clone()
    project = (
        (lambda x: task.project(x, observation))
        if isinstance(task.noise, Rounding)  # y pins each pixel to a cell: project onto it
        else (lambda x: x.clamp(0, 1))
    )
    dual_gradient = torch.zeros_like(gradient(image))
    dual_data = torch.zeros_like(observation)
    extrapolated = image
    for iteration in range(1, iterations + 1):
        dual_gradient = dual_gradient + DUAL_STEP * gradient(extrapolated)
        length = dual_gradient.norm(dim=2, keepdim=True)
        dual_gradient = dual_gradient / (length / weight).clamp(min=1)
        dual_data = (dual_data + DUAL_STEP * (task.forward(extrapolated) - observation)) / (
            1 + DUAL_STEP
        )
        previous = image
        image = project(image - PRIMAL_STEP * (task.adjoint(dual_data) - divergence(dual_gradient)))
        extrapolated = 2 * image - previous
        if iteration % CHECK_EVERY == 0:
            change = (image - previous).square().mean(dim=(1, 2, 3)).sqrt().max()
            if change < TOLERANCE:
                break
    return image
