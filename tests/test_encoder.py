"""The optional encoder: saved and loaded with the pipeline, and its guess starts the solver."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ganmap
from ganmap import RestorationPipeline
from ganmap.core.models import Encoder


def oracle_encoder(z0: torch.Tensor) -> Encoder:
    """An encoder that answers z0 whatever it sees: zero weights, bias atanh(z0) before the tanh."""
    encoder = Encoder(latent_dim=z0.numel(), width=4)
    head = encoder.net[-3]
    with torch.no_grad():
        head.weight.zero_()
        head.bias.copy_(torch.atanh(z0.clamp(-0.999, 0.999)))
    return encoder


def psnr(image, clean: torch.Tensor) -> float:
    restored = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255).permute(2, 0, 1)
    return float(-10 * torch.log10(((restored - clean) ** 2).mean()))


@pytest.mark.parametrize("name", ["super-resolution", "colorization", "inpainting"])
def test_the_encoders_guess_is_where_the_solver_starts(tiny_pipeline, name):
    z0 = (
        torch.rand(tiny_pipeline.generator.latent_dim, generator=torch.Generator().manual_seed(3))
        * 1.6
        - 0.8
    )
    with torch.no_grad():
        target = ganmap.core.models.to_unit(tiny_pipeline.generator(z0[None]))[0].clamp(0, 1)
    pipe = RestorationPipeline(
        tiny_pipeline.generator, tiny_pipeline.discriminator, oracle_encoder(z0)
    )
    observation = ganmap.corrupt(target, name)
    settings = dict(iterations=1, restarts=2, lam=0.0, step_size=1e-6, blend=False, progress=False)
    with_encoder = pipe(observation, name, **settings)
    without = pipe(observation, name, encoder_start=False, **settings)
    assert psnr(with_encoder.candidates[0], target) > 40, "restart 0 must start at E's answer"
    assert psnr(without.candidates[0], target) < 20


def test_the_encoder_travels_with_the_pipeline(tiny_pipeline, tmp_path):
    encoder = oracle_encoder(torch.full((tiny_pipeline.generator.latent_dim,), 0.5))
    RestorationPipeline(
        tiny_pipeline.generator, tiny_pipeline.discriminator, encoder
    ).save_pretrained(tmp_path)
    loaded = RestorationPipeline.from_pretrained(tmp_path)
    assert loaded.encoder is not None
    guess = loaded.encoder(torch.zeros(1, 3, 64, 64))
    assert torch.allclose(guess, torch.full_like(guess, 0.5), atol=1e-3), "weights round trip"
    assert math.isclose(float(guess.mean()), 0.5, abs_tol=1e-3)
