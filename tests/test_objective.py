"""The objective is Eq. 3 of the paper, finite even where D is certain."""

from __future__ import annotations

import math

import torch

from ganmap.core.objective import objective
from ganmap.operators import Denoising, SuperResolution


def test_objective_equals_eq_3_on_a_hand_computed_case():
    image = torch.full((1, 3, 64, 64), 0.25)
    observation = torch.full((1, 3, 16, 16), 0.5)  # |0.5 - 0.25| on 3 x 16 x 16 elements
    d = 0.8  # D(G(z)), as a logit
    logit = torch.tensor([math.log(d / (1 - d))])
    lam, nz = 0.1, 100
    log_pz = nz * math.log(1 / 2)  # uniform on [-1, 1]^nz
    expected = 0.25 * 3 * 16 * 16 + lam * (math.log(1 - d) - math.log(d) + log_pz)
    value = objective(observation, SuperResolution(factor=4), image, logit, lam, nz)
    assert torch.allclose(value, torch.tensor([expected], dtype=torch.float32)), (value, expected)


def test_objective_is_finite_and_differentiable_when_d_is_certain():
    logit = torch.tensor([-200.0, 200.0], requires_grad=True)  # D = 0 and D = 1 in float32
    image = torch.zeros(2, 3, 64, 64)
    value = objective(image, Denoising(), image, logit, 1.0, 100)
    value.sum().backward()
    assert torch.isfinite(value).all() and torch.isfinite(logit.grad).all()


def test_objective_is_per_image():
    image = torch.rand(4, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    logit = torch.randn(4, generator=torch.Generator().manual_seed(1))
    together = objective(image.flip(1), Denoising(), image, logit, 0.5, 100)
    alone = torch.cat(
        [
            objective(
                image[i : i + 1].flip(1), Denoising(), image[i : i + 1], logit[i : i + 1], 0.5, 100
            )
            for i in range(4)
        ]
    )
    assert torch.allclose(together, alone), "lambda and the data term must not depend on the batch"
