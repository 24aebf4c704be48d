"""The objective of Eq. 3, one value per image:

    f(z) = ||y - A(G(z))||_1 + lambda * (log(1 - D(G(z))) - log D(G(z)) + log p_Z(z))

Written with the discriminator's logit l (D = sigmoid(l)), the prior bracket is exact and finite:
log(1 - sigmoid(l)) - log sigmoid(l) = -l, so no log(0) can occur however sure D is. With p_Z
uniform on [-1, 1]^nz, log p_Z(z) = -nz log 2 inside the box (where the solver keeps z): a constant
that moves no minimiser, kept so that the value is Eq. 3 itself.

lambda is per image: the data term is the L1 norm (a sum over the observation's elements) of one
image, so lambda trades one logit unit against one unit of summed absolute error, whatever the
batch size or number of restarts.
"""

from __future__ import annotations

import math

import torch

from ganmap.operators import Task


def data_term(observation: torch.Tensor, task: Task, image: torch.Tensor) -> torch.Tensor:
    """||y - A(x)||_1 per image, x in [0, 1]."""
    return (observation - task.forward(image)).abs().flatten(1).sum(1)


def prior_term(logit: torch.Tensor, latent_dim: int) -> torch.Tensor:
    """log(1 - D) - log D + log p_Z(z) with D = sigmoid(logit), per image."""
    return -logit - latent_dim * math.log(2.0)


def objective(
    observation: torch.Tensor,
    task: Task,
    image: torch.Tensor,
    logit: torch.Tensor,
    lam: float,
    latent_dim: int,
) -> torch.Tensor:
    """Eq. 3 per image, given G(z) mapped to [0, 1] (`image`) and D's logit on it."""
    return data_term(observation, task, image) + lam * prior_term(logit, latent_dim)
