"""Feature refinement: after the search over z, G's 8 x 8 features move so that the image fits the
observation beyond the generator's range, pulled back towards the features of z."""

from __future__ import annotations

import pytest
import torch

from ganmap import TASKS
from ganmap.core.models import to_unit
from ganmap.core.observations import Observations
from ganmap.core.refinement import refine_features


@pytest.fixture(scope="module")
def latent(tiny_pipeline) -> torch.Tensor:
    nz = tiny_pipeline.generator.latent_dim
    return torch.rand(2, nz, generator=torch.Generator().manual_seed(3)) * 2 - 1


def drawn(pipe, latent) -> torch.Tensor:
    with torch.no_grad():
        return to_unit(pipe.generator(latent)).clamp(0, 1)


def misfit(task, image, observation) -> torch.Tensor:
    return (task.forward(image) - observation).square().flatten(1).sum(1)


def test_no_steps_return_the_generators_own_image(tiny_pipeline, latent):
    task = TASKS["denoising"]
    image = drawn(tiny_pipeline, latent)
    refined = refine_features(
        tiny_pipeline.generator, Observations(task, image), latent, steps=0, weight=0.01
    )
    assert torch.allclose(refined, image, atol=1e-6)


@pytest.mark.parametrize("task_name", list(TASKS))
def test_refinement_fits_an_image_outside_the_generators_range_better(
    tiny_pipeline, latent, task_name
):
    task = TASKS[task_name]
    image = drawn(tiny_pipeline, latent)
    target = (image + 0.15 * torch.sin(torch.arange(64.0) / 3)).clamp(0, 1)  # G cannot draw it
    observation = task.corrupt(target, torch.Generator().manual_seed(0))
    refined = refine_features(
        tiny_pipeline.generator, Observations(task, observation), latent, steps=30, weight=0.0
    )
    before, after = misfit(task, image, observation), misfit(task, refined, observation)
    assert (after < 0.9 * before).all(), (
        f"{task_name}: misfit {before.tolist()} -> {after.tolist()}"
    )
    assert refined.min() >= 0 and refined.max() <= 1


def test_a_strong_pull_keeps_the_generators_image(tiny_pipeline, latent):
    task = TASKS["denoising"]
    image = drawn(tiny_pipeline, latent)
    observation = 1 - image
    free, held = (
        refine_features(
            tiny_pipeline.generator, Observations(task, observation), latent, steps=20, weight=w
        )
        for w in (0.0, 1e4)
    )
    assert (held - image).abs().mean() < 0.1 * (free - image).abs().mean()


def test_each_image_is_refined_independently_of_the_batch(tiny_pipeline, latent):
    task = TASKS["super-resolution"]
    observation = task.corrupt(1 - drawn(tiny_pipeline, latent))
    together = refine_features(
        tiny_pipeline.generator, Observations(task, observation), latent, steps=10, weight=0.01
    )
    alone = refine_features(
        tiny_pipeline.generator,
        Observations(task, observation[1:]),
        latent[1:],
        steps=10,
        weight=0.01,
    )
    assert torch.allclose(together[1:], alone, atol=1e-5)
