"""The learned correction of the shrinkage denoiser: what it starts from, how it handles sizes,
strips and noise levels, and that the shipped one beats the shrinkage it corrects."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ganmap.classical import denoiser
from ganmap.classical.denoiser import Denoiser, denoise_learned
from ganmap.classical.wiener import denoise
from ganmap.core.hub import BUNDLED
from ganmap.evaluation.metrics import psnr

SHIPPED = Denoiser.from_pretrained(BUNDLED / "denoiser")  # the pipeline's component


def noisy_copy(clean: torch.Tensor, sigma: float, seed: int = 1) -> torch.Tensor:
    noise = torch.randn(clean.shape, generator=torch.Generator().manual_seed(seed))
    return (clean + sigma * noise).clamp(0, 1)  # clipped, as the tasks clip it


def astronaut(side: int = 256) -> torch.Tensor:
    """scikit-image's astronaut (a photo no network here was trained on), (1, 3, side, side)."""
    from skimage.data import astronaut

    photo = torch.from_numpy(astronaut()).permute(2, 0, 1)[None].float() / 255
    return F.interpolate(photo, size=(side, side), mode="area")


def test_an_untrained_network_returns_the_shrinkage():
    """The last layer starts at zero: before training the output is the shrinkage's, exactly."""
    noisy = noisy_copy(astronaut(64), 0.1)
    expected = denoise(noisy, 0.1, stride=denoiser.STRIDE)
    with torch.no_grad():
        torch.testing.assert_close(Denoiser(width=8, depth=3)(noisy, 0.1), expected)


def test_an_untrained_network_returns_the_estimate_it_is_given():
    noisy = noisy_copy(astronaut(64), 0.1)
    estimate = torch.rand_like(noisy)
    with torch.no_grad():
        torch.testing.assert_close(Denoiser(width=8, depth=3)(noisy, 0.1, estimate), estimate)


@pytest.mark.parametrize("size", [(37, 51), (40, 33), (9, 9)])
def test_any_size_comes_back_at_its_size(size):
    noisy = torch.rand(2, 3, *size)
    with torch.no_grad():
        assert Denoiser(width=8, depth=3)(noisy, 0.1).shape == noisy.shape


@pytest.mark.parametrize("given", [False, True], ids=["shrinkage", "estimate given"])
def test_strips_give_the_one_pass_result(monkeypatch, given):
    """A photo split into strips with MARGIN px of context is the photo denoised whole."""
    noisy = noisy_copy(astronaut(96), 0.1)
    estimate = denoise(noisy, 0.1) if given else None
    whole = denoise_learned(noisy, 0.1, estimate, network=SHIPPED)
    monkeypatch.setattr(denoiser, "STRIP_PIXELS", 96 * 20)  # strips of 20 rows
    torch.testing.assert_close(
        denoise_learned(noisy, 0.1, estimate, network=SHIPPED), whole, atol=1e-5, rtol=0
    )


def test_noise_levels_it_was_not_trained_on_get_the_shrinkage():
    noisy = noisy_copy(astronaut(64), 0.5)
    assert not SHIPPED.min_sigma <= 0.5 <= SHIPPED.max_sigma
    torch.testing.assert_close(denoise_learned(noisy, 0.5, network=SHIPPED), denoise(noisy, 0.5))
    estimate = torch.rand_like(noisy)  # or the estimate given, as it is
    assert denoise_learned(noisy, 0.5, estimate, network=SHIPPED) is estimate


def test_settings_round_trip(tmp_path):
    model = Denoiser(width=8, depth=3, min_sigma=0.05, max_sigma=0.2)
    model.save_pretrained(tmp_path)
    loaded = Denoiser.from_pretrained(tmp_path)
    assert (loaded.width, loaded.depth, loaded.min_sigma, loaded.max_sigma) == (8, 3, 0.05, 0.2)
    torch.testing.assert_close(loaded.state_dict(), model.state_dict())


def test_bad_noise_levels_are_refused():
    with pytest.raises(ValueError, match="min_sigma < max_sigma"):
        Denoiser(min_sigma=0.3, max_sigma=0.1)


@pytest.mark.parametrize("sigma", [0.05, 0.1, 0.2])
def test_the_shipped_network_beats_the_shrinkage_on_a_photo_it_never_saw(sigma):
    """On the astronaut (not a training face), at levels across its range, the correction must
    add to the two full shrinkage stages (windows 1 px apart), not only to the coarse ones it
    starts from (the shipped one: +0.28, +0.83 and +2.11 dB at these levels)."""
    clean = astronaut()
    noisy = noisy_copy(clean, sigma)
    shrinkage = psnr(denoise(noisy, sigma), clean).item()
    learned = psnr(denoise_learned(noisy, sigma, network=SHIPPED), clean).item()
    assert learned > shrinkage + 0.1, f"{learned:.2f} dB against the shrinkage's {shrinkage:.2f}"


@pytest.mark.parametrize("sigma", [0.05, 0.1])
def test_the_shipped_network_improves_a_better_estimate_than_its_own(sigma):
    """Given the full shrinkage (windows 1 px apart) as the estimate instead of the coarse one
    it was trained on, its correction still adds to it (the shipped one: +0.51 and +1.00 dB)."""
    clean = astronaut()
    noisy = noisy_copy(clean, sigma)
    estimate = denoise(noisy, sigma)
    before = psnr(estimate, clean).item()
    after = psnr(denoise_learned(noisy, sigma, estimate, network=SHIPPED), clean).item()
    assert after > before + 0.25, f"{after:.2f} dB against the estimate's {before:.2f}"
