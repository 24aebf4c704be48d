"""The noise level and the levels of a photo given as it is (`ganmap.classical.levels`)."""

from __future__ import annotations

import pytest
import torch

from ganmap import ImageError
from ganmap.base.images import to_pil
from ganmap.classical.levels import MIN_SIGMA, estimate_levels, estimate_noise_sigma
from ganmap.evaluation.photo_sets import canvas
from ganmap.operators import Denoising, Quantization, at_its_own_level


def smooth_photo() -> torch.Tensor:
    return canvas(120, 160, torch.Generator().manual_seed(0))


@pytest.mark.parametrize("sigma", [0.01, 0.03, 0.1])
def test_the_noise_added_is_read_back(sigma):
    noisy = Denoising(sigma).corrupt(smooth_photo()[None], torch.Generator().manual_seed(1))[0]
    assert estimate_noise_sigma(noisy) == pytest.approx(sigma, rel=0.1)


def test_clipped_noise_is_not_taken_for_less_noise():
    """Half the photo black: there the noise is clipped to [0, 1] and that half left out."""
    photo = smooth_photo()
    photo[:, :, :80] = 0
    noisy = Denoising(0.1).corrupt(photo[None], torch.Generator().manual_seed(1))[0]
    assert estimate_noise_sigma(noisy) == pytest.approx(0.1, rel=0.1)


def test_a_clean_photo_reads_as_barely_noisy():
    assert estimate_noise_sigma(smooth_photo()) == MIN_SIGMA, "a smooth photo has no noise"
    assert estimate_noise_sigma(torch.zeros(3, 8, 8)) == MIN_SIGMA, "all black"
    Denoising(sigma=estimate_noise_sigma(smooth_photo()))  # a valid task


def test_photos_come_as_the_pipeline_takes_them(tmp_path):
    """PIL images, arrays and paths read as the tensor does; a bad one is an ImageError."""
    noisy = Denoising(0.05).corrupt(smooth_photo()[None], torch.Generator().manual_seed(1))[0]
    sigma = estimate_noise_sigma(noisy)
    to_pil(noisy).save(tmp_path / "noisy.png")
    for given in (to_pil(noisy), tmp_path / "noisy.png", noisy.permute(1, 2, 0).numpy()):
        assert estimate_noise_sigma(given) == pytest.approx(sigma, abs=0.003)
    with pytest.raises(ImageError, match="too small"):
        estimate_noise_sigma(torch.rand(3, 1, 5))


@pytest.mark.parametrize("levels", [2, 3, 5, 8, 16])
def test_a_posterized_photo_reads_as_its_levels(levels, tmp_path):
    posterized = Quantization(levels=levels).corrupt(smooth_photo()[None])[0]
    to_pil(posterized).save(tmp_path / "posterized.png")
    assert estimate_levels(tmp_path / "posterized.png") == levels


def test_a_photo_not_posterized_has_no_levels():
    noisy = Denoising(0.02).corrupt(smooth_photo()[None], torch.Generator().manual_seed(1))[0]
    assert estimate_levels(noisy) is None


def test_a_task_at_the_photos_own_level_says_what_it_found():
    noisy = Denoising(0.05).corrupt(smooth_photo()[None], torch.Generator().manual_seed(1))[0]
    task, found = at_its_own_level("denoising", noisy)
    assert task.sigma == pytest.approx(0.05, rel=0.1) and "σ = 0.05" in found
    posterized = Quantization(levels=3).corrupt(smooth_photo()[None])[0]
    assert at_its_own_level("quantization", posterized) == (
        Quantization(levels=3),
        "It holds 3 levels per channel.",
    )
    task, found = at_its_own_level(Quantization(levels=7), noisy)
    assert task == Quantization(levels=7) and "no evenly spaced levels" in found, "kept as given"
    assert at_its_own_level("inpainting", noisy)[1] == "", "other tasks as they are"
