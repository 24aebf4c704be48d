"""End to end on a tiny model: an image that G can produce exactly is restored for every task."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ganmap
from ganmap import TASKS


def psnr(image, clean: torch.Tensor) -> float:
    restored = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255).permute(2, 0, 1)
    return float(-10 * torch.log10(((restored - clean) ** 2).mean()))


@pytest.mark.parametrize("name", TASKS)
def test_an_image_in_the_range_of_g_is_recovered(tiny_pipeline, reachable_face, name):
    """The search over z alone (no feature refinement, which would also fit some noise)."""
    observation = ganmap.corrupt(reachable_face, name, seed=1)
    out = tiny_pipeline(
        observation, name, lam=0.0, iterations=200, restarts=4, step_size=0.05, progress=False,
        refine_steps=0,
    )  # fmt: skip
    random_sample = tiny_pipeline.generate(1, seed=5)[0]
    assert psnr(random_sample, reachable_face) < 15, "the tiny G must depend on z for this test"
    assert psnr(out.image, reachable_face) > 30, f"{name}: G(z0) was not recovered"


def test_result_fields_and_ordering(tiny_pipeline, reachable_face):
    steps = []
    out = tiny_pipeline(
        ganmap.corrupt(reachable_face, "denoising"),
        "denoising",
        iterations=5,
        restarts=3,
        progress=False,
        callback=lambda step, total, loss: steps.append((step, total)),
    )
    assert out.image.size == (64, 64) and out.image.mode == "RGB"
    assert len(out.candidates) == 3 and out.losses == sorted(out.losses)
    assert len(out.history) == 5 and all(
        a >= b for a, b in zip(out.history, out.history[1:], strict=False)
    )
    assert steps == [(i, 5) for i in range(1, 6)]


def test_same_seed_same_result_other_seed_other_start(tiny_pipeline, reachable_face):
    observation = ganmap.corrupt(reachable_face, "colorization")

    def run(seed: int):
        return tiny_pipeline(
            observation, "colorization", iterations=3, restarts=2, seed=seed, progress=False
        )

    assert run(4).losses == run(4).losses
    assert run(4).losses != run(5).losses


def test_a_list_restores_a_batch(tiny_pipeline, reachable_face):
    observation = ganmap.corrupt(reachable_face, "super-resolution")
    out = tiny_pipeline(
        [observation, observation], "super-resolution", iterations=3, restarts=2, progress=False
    )
    assert len(out.image) == 2 and out.image[0].size == (64, 64) and len(out.candidates[1]) == 2


def test_other_sizes_are_centre_cropped_and_given_back_at_their_framing(tiny_pipeline):
    wide = np.full((80, 120, 3), 128, dtype=np.uint8)
    out = tiny_pipeline(wide, "denoising", iterations=2, restarts=1, progress=False)
    assert out.image.size == (64, 64) and out.framed.size == (120, 80)
    low = tiny_pipeline(
        np.zeros((20, 20, 3), np.uint8),
        "super-resolution",
        iterations=2,
        restarts=1,
        progress=False,
    )
    assert low.observation.size == (16, 16) and low.framed.size == (80, 80)


def test_inpainting_keeps_observed_pixels_and_takes_a_drawn_mask(tiny_pipeline, reachable_face):
    mask = np.zeros((64, 64), dtype=bool)
    mask[5:20, 30:60] = True
    observation = ganmap.corrupt(reachable_face, "inpainting")
    out = tiny_pipeline(
        observation, "inpainting", mask=mask, iterations=3, restarts=2, progress=False
    )
    restored, given = np.asarray(out.image), np.asarray(observation)
    assert np.array_equal(restored[~mask], given[~mask]), "blending must keep the observed pixels"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(task="deblurring"), "unknown task"),
        (dict(lam=float("nan")), "lam"),
        (dict(lam=-1.0), "lam"),
        (dict(iterations=0), "iterations"),
        (dict(restarts=0), "restarts"),
        (dict(restarts=10**6), "restarts"),
        (dict(seed=-1), "seed"),
        (dict(mask=np.zeros((10, 10), bool)), "mask"),
        (dict(mask=np.zeros((64, 64), bool)), "no pixel"),
        (dict(task="denoising", mask=np.ones((64, 64), bool)), "only used for inpainting"),
        (dict(settings="fastest"), "settings"),
        (dict(step_sise=0.1), "unknown setting"),
        (dict(refine_steps=-1), "refine_steps"),
        (dict(refine_steps=2.5), "refine_steps"),
        (dict(refine_weight=float("inf")), "refine_weight"),
        (dict(refine_weight=-0.1), "refine_weight"),
    ],
)
def test_bad_parameters_get_a_clear_error(tiny_pipeline, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tiny_pipeline(np.zeros((64, 64, 3), np.uint8), **kwargs, progress=False)


@pytest.mark.parametrize("seed", [-5, 2**63, 2**70, 1.5, True])
def test_corrupt_refuses_seeds_torch_cannot_take(reachable_face, seed):
    with pytest.raises(ValueError, match="seed must be an integer"):
        ganmap.corrupt(reachable_face, "denoising", seed=seed)


@pytest.mark.parametrize("name", TASKS)
def test_the_papers_method_stays_available_unchanged(tiny_pipeline, name):
    """settings="paper" is Eq. 3 as published: random starts, no refinement past G's range, no
    data consistency, Poisson blending only; the defaults may add to it, never change it."""
    paper = tiny_pipeline.defaults(name, "paper")
    assert (paper.lam, paper.iterations, paper.restarts) == (0.003, 1000, 64)
    assert paper.refine_steps == 0 and not paper.data_consistency and not paper.encoder_start
    assert paper.blend
