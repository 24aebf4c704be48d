"""Adding back the coarse residual: the observation's low frequencies, the GAN's high ones."""

from __future__ import annotations

import torch

from ganmap.refinement import add_coarse_residual


def test_a_constant_offset_is_corrected_completely():
    image = torch.full((1, 3, 64, 64), 0.3)
    assert torch.allclose(
        add_coarse_residual(image, image + 0.2, sigma=2.0), image + 0.2, atol=1e-6
    )


def test_a_tiny_sigma_returns_the_observation():
    gen = torch.Generator().manual_seed(0)
    image, observation = torch.rand(2, 1, 3, 64, 64, generator=gen)
    assert torch.allclose(
        add_coarse_residual(image, observation, sigma=0.01), observation, atol=1e-6
    )


def test_white_noise_is_mostly_left_out():
    image = torch.full((1, 3, 64, 64), 0.5)
    noise = 0.1 * torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    refined = add_coarse_residual(image, image + noise, sigma=2.0)
    assert (refined - image).std() < 0.25 * noise.std()
