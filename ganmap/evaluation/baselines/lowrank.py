"""Low-rank restoration by truncated nuclear norm regularisation (Hu et al., PAMI 2013).

Each colour channel is a 64 x 64 matrix. The truncated nuclear norm ||X||_r is the sum of the
singular values of X except the `rank` largest: unlike the nuclear norm it does not penalise the
dominant structure of the image, only the tail of small singular values. The problem is
    min_X 0.5 ||A X - y||^2 + weight * sum over channels ||X_c||_r ,
solved by proximal gradient with unit step (||A|| <= 1): a gradient step on the data term, then
partial singular value thresholding, which shrinks all singular values but the `rank` largest and is
the exact proximal map of the truncated nuclear norm (Oh et al., PAMI 2016). For inpainting the
gradient step puts the observed pixels back, so this is matrix completion with the known entries
kept, as in Hu et al.
"""

from __future__ import annotations

import torch

from ganmap.operators import Task

ITERATIONS = 100
# Singular values spared, fixed for all tasks (the weight is the one parameter tuned per task):
# rank 1 beats 2 at inpainting, ties elsewhere (docs/experiments/baselines.md).
RANK = 1


def shrink_tail(matrices: torch.Tensor, threshold: float, rank: int) -> torch.Tensor:
    """Soft-threshold the singular values of a batch of matrices, sparing the `rank` largest."""
    left, values, right = torch.linalg.svd(matrices, full_matrices=False)
    values = torch.cat((values[..., :rank], (values[..., rank:] - threshold).clamp(min=0)), dim=-1)
    return left @ (values.unsqueeze(-1) * right)


def truncated_nuclear_norm(
    observation: torch.Tensor,
    task: Task,
    *,
    weight: float,
    rank: int = RANK,
    iterations: int = ITERATIONS,
) -> torch.Tensor:
    """TNNR restoration of a batch of observations; `weight` is the threshold on the tail."""
    image = task.estimate(observation).clone()
    for _ in range(iterations):
        image = image - task.adjoint(task.forward(image) - observation)
        image = shrink_tail(image, weight, rank)
    return image.clamp(0, 1)
