"""Operators that compose: an operator with the noise of denoising is one operator, which the
solver, the classical start, the consistency step and the photo workflow all take."""

from __future__ import annotations

import pytest
import skimage.data
import torch
import torch.nn.functional as F

import ganmap
from ganmap import Colorization, Denoising, Gaussian, SuperResolution, get_task
from ganmap.base.images import to_tensor
from ganmap.evaluation.metrics import psnr
from ganmap.operators import partners
from ganmap.photo import behaviour

SMALL_AND_NOISY = SuperResolution(factor=2) + Denoising(sigma=0.05)


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def smooth_faces(count: int = 2) -> torch.Tensor:
    """Images a classical restoration can do something with: smooth, in [0.2, 0.8]."""
    noise = torch.rand(count, 3, 8, 8, generator=seeded(3)) * 0.6 + 0.2
    return F.interpolate(noise, size=64, mode="bicubic").clamp(0, 1)


def test_an_operator_plus_denoising_carries_the_noise():
    assert SuperResolution(factor=2, noise=Gaussian(0.05)) == SMALL_AND_NOISY
    assert SMALL_AND_NOISY.noise_sigma == 0.05 and SMALL_AND_NOISY.name == "super-resolution"
    assert SMALL_AND_NOISY.label == "super-resolution+denoising"
    assert Denoising(0.05) + SuperResolution(factor=2) == SMALL_AND_NOISY, "either order"
    assert get_task("colorization+denoising") == Colorization(noise=Gaussian(0.1))
    assert get_task(SMALL_AND_NOISY.label).noise_sigma == 0.1, "a name takes the paper's sigma"


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: SMALL_AND_NOISY + Denoising(0.1), "noisy already"),
        (lambda: SuperResolution() + Colorization(), "composes with noise"),
        (lambda: get_task("super-resolution+deblurring"), "unknown task"),
    ],
)
def test_what_does_not_compose_is_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_the_observation_is_the_small_image_with_noise_on_it():
    clean = smooth_faces()
    observed = SMALL_AND_NOISY.corrupt(clean, seeded())
    exact = SMALL_AND_NOISY.noiseless().corrupt(clean)
    assert observed.shape == (2, 3, 32, 32)
    assert (observed - exact).std().item() == pytest.approx(0.05, rel=0.1)


def test_its_classical_restoration_and_consistency_work_from_the_denoised_observation():
    """Denoised first, the classical restoration is nearer the clean face than the exact
    operator's restoration of the noisy observation, and agrees with the denoised one."""
    clean = smooth_faces()
    observed = SMALL_AND_NOISY.corrupt(clean, seeded())
    exact = SMALL_AND_NOISY.noiseless()
    noisy_way = exact.project(exact.estimate(observed), observed)
    ours = partners.classical(SMALL_AND_NOISY, observed)
    assert psnr(ours, clean).mean() > psnr(noisy_way, clean).mean() + 1
    consistent = partners.consistent(SMALL_AND_NOISY, clean, observed)
    assert psnr(consistent, clean).mean() > psnr(noisy_way, clean).mean() + 1


def test_a_composite_restores_end_to_end_through_the_face_pipeline(tiny_pipeline):
    observed = ganmap.corrupt(smooth_faces(1)[0], SMALL_AND_NOISY, seed=1)
    assert observed.size == (32, 32)
    out = tiny_pipeline(observed, SMALL_AND_NOISY, iterations=5, restarts=2, progress=False)
    assert out.image.size == (64, 64)
    named = tiny_pipeline(
        observed, "super-resolution+denoising", iterations=5, restarts=2, progress=False
    )
    assert named.image.size == (64, 64)


def test_a_composite_restores_a_whole_photo(tiny_pipeline):
    """The astronaut, 2x smaller and noisy: her face is found in the photo denoised and
    enlarged, restored as a face of its size with its noise, and the photo comes back 2x."""
    clean = to_tensor(skimage.data.astronaut()[::2, ::2].copy())  # 256 x 256
    observed, mask = ganmap.corrupt_photo(clean, SMALL_AND_NOISY, seed=0)
    assert mask is None and observed.size == (128, 128)
    out = tiny_pipeline.restore_photo(
        observed, SMALL_AND_NOISY, iterations=3, restarts=2, progress=False
    )
    assert out.image.size == (256, 256) and len(out.faces) == 1
    face_side = out.faces[0].observation.size[0]
    assert face_side < 64, "a face under 64 px in the small photo is super-resolved"
    noisy = to_tensor(observed)
    enlarged = F.interpolate(noisy[None], size=(256, 256), mode="bicubic")[0].clamp(0, 1)
    background = behaviour.restore_classically(SMALL_AND_NOISY, noisy)
    assert psnr(background, clean) > psnr(enlarged, clean) + 0.5, "denoised, then enlarged"
    assert psnr(to_tensor(out.image), clean) > psnr(enlarged, clean) + 0.5


def test_a_composites_noise_is_set_and_read_like_denoisings():
    assert ganmap.at_level("super-resolution+denoising", 0.03) == SuperResolution(
        noise=Gaussian(0.03)
    )
    clean = smooth_faces(1)[0]
    noisy = Gaussian(0.05).sample(clean[None], seeded())[0]
    task, found = ganmap.at_its_own_level(Colorization() + Denoising(0.2), noisy)
    assert task.noise.sigma == pytest.approx(0.05, rel=0.2) and "σ =" in found
    assert isinstance(task, Colorization), "the operator stays, its noise is the photo's"


def test_a_noisy_inpainting_photo_is_noisy_around_its_holes():
    clean = to_tensor(skimage.data.astronaut()[::2, ::2].copy())
    exact, mask = ganmap.corrupt_photo(clean, "inpainting", seed=0)
    noisy, same_mask = ganmap.corrupt_photo(clean, "inpainting+denoising", seed=0)
    assert to_tensor(same_mask).equal(to_tensor(mask)), "the same holes"
    known = to_tensor(mask)[0] < 0.5
    difference = (to_tensor(noisy) - to_tensor(exact))[:, known]
    assert difference.std().item() == pytest.approx(0.1, rel=0.25), "the paper's sigma, clipped"
