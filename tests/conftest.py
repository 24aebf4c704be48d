"""Shared fixtures: a tiny DCGAN whose outputs really depend on z, so restorations can be checked
against known answers in seconds on a CPU."""

from __future__ import annotations

import pytest
import torch

from ganmap import Discriminator, Generator, RestorationPipeline
from ganmap.core.models import to_unit

torch.set_num_threads(1)  # the suite runs beside other work on small machines


def calibrated_generator(width: int = 8, seed: int = 0) -> Generator:
    """A random-init generator whose outputs spread over [0, 1] and depend on z, as a trained G's.

    At DCGAN initialisation the running statistics are (0, 1) while the activations are tiny, so in
    eval mode G(z) is almost constant: a larger last layer and recalibrated statistics fix that.
    """
    torch.manual_seed(seed)
    generator = Generator(width=width)
    with torch.no_grad():
        generator.net[-2].weight.mul_(25)
    generator.recalibrate_batchnorm(batches=1)
    return generator


def make_tiny_pipeline() -> RestorationPipeline:
    torch.manual_seed(1)
    return RestorationPipeline(calibrated_generator(), Discriminator(width=8))


@pytest.fixture(scope="session")
def tiny_pipeline() -> RestorationPipeline:
    """A pipeline of 8-channel networks: every real code path, solved in milliseconds."""
    return make_tiny_pipeline()


@pytest.fixture(scope="session")
def reachable_face(tiny_pipeline) -> torch.Tensor:
    """An image the generator produces exactly, G(z0), as (3, 64, 64) in [0, 1]."""
    z0 = torch.rand(
        1, tiny_pipeline.generator.latent_dim, generator=torch.Generator().manual_seed(7)
    )
    with torch.no_grad():
        return to_unit(tiny_pipeline.generator(z0 * 1.6 - 0.8))[0].clamp(0, 1)
