"""The pilot-steered Wiener filter: what shrinkage by a pilot's gains must do, on constructed images."""

import pytest
import torch

from ganmap import wiener
from ganmap.metrics import psnr
from ganmap.wiener import dct_matrix, denoise, hard_threshold, pilot_wiener


def smooth_faces(count: int = 4, channels: int = 3, side: int = 32) -> torch.Tensor:
    """Images with structure at every scale a face has: blobs and an edge, in [0.1, 0.9]."""
    rng = torch.Generator().manual_seed(0)
    y, x = torch.meshgrid(torch.linspace(-1, 1, side), torch.linspace(-1, 1, side), indexing="ij")
    images = []
    for _ in range(count):
        centre = torch.rand(2, generator=rng) - 0.5
        blob = torch.exp(-((x - centre[0]) ** 2 + (y - centre[1]) ** 2) * 8)
        edge = (x + 0.3 * y > centre[0]).float()
        tint = torch.rand(channels, 1, 1, generator=rng)
        images.append(0.1 + 0.8 * (0.6 * blob + 0.4 * edge) * (0.5 + 0.5 * tint))
    return torch.stack(images)


def noisy_copy(clean: torch.Tensor, sigma: float) -> torch.Tensor:
    noise = torch.randn(clean.shape, generator=torch.Generator().manual_seed(1))
    return clean + sigma * noise  # not clipped: the filter's model of the noise holds exactly


def test_dct_matrix_is_orthonormal():
    basis = dct_matrix(8)
    torch.testing.assert_close(basis @ basis.T, torch.eye(8), atol=1e-6, rtol=0)


@pytest.mark.parametrize("channels", [1, 3])
def test_the_clean_image_as_pilot_removes_most_of_the_noise(channels):
    clean = smooth_faces(channels=channels)
    noisy = noisy_copy(clean, 0.1)
    restored = pilot_wiener(noisy, clean, 0.1)
    gain = psnr(restored, clean).mean() - psnr(noisy.clamp(0, 1), clean).mean()
    assert gain > 8, f"an oracle pilot should gain well over 8 dB, gained {gain:.1f}"


def test_a_rough_pilot_still_helps():
    """A pilot far from the truth (the clean image blurred hard) still improves on the noise."""
    clean = smooth_faces()
    noisy = noisy_copy(clean, 0.1)
    rough = torch.nn.functional.avg_pool2d(clean, 5, 1, 2, count_include_pad=False)
    restored = pilot_wiener(noisy, rough, 0.1)
    assert psnr(restored, clean).mean() > psnr(noisy.clamp(0, 1), clean).mean() + 3


def test_vanishing_noise_keeps_the_observation():
    """When the noise is far below every coefficient of the pilot, every gain is ~1."""
    clean = smooth_faces()
    pilot = noisy_copy(clean, 0.05)  # a different image, with energy at every frequency
    torch.testing.assert_close(pilot_wiener(clean, pilot, 1e-6), clean, atol=1e-4, rtol=0)


def test_a_flat_pilot_flattens_the_noise():
    """A constant pilot has no detail: only each window's mean survives, the noise's detail goes."""
    noisy = noisy_copy(torch.full((2, 3, 24, 24), 0.5), 0.1)
    restored = pilot_wiener(noisy, torch.full_like(noisy, 0.5), 0.1)
    assert restored.std() < noisy.std() / 4


def test_hard_thresholding_leaves_only_the_mean_of_flat_noise():
    """On a flat image every coefficient but the mean is noise, almost all under 2.7 sigma."""
    noisy = noisy_copy(torch.full((2, 3, 24, 24), 0.5), 0.1)
    restored = hard_threshold(noisy, 0.1)
    assert restored.std() < noisy.std() / 5
    assert abs(restored.mean() - 0.5) < 0.01, "the brightness is kept"


def test_both_stages_beat_the_first_alone():
    clean = smooth_faces()
    noisy = noisy_copy(clean, 0.1)
    first, both = psnr(hard_threshold(noisy, 0.1), clean), psnr(denoise(noisy, 0.1), clean)
    assert both.mean() > first.mean() > psnr(noisy.clamp(0, 1), clean).mean() + 5


def test_windows_two_pixels_apart_cost_little():
    """The photos' stride: every pixel is still covered (the far edges too, on sides that the
    stride does not divide) and the result stays within 1 dB of filtering every window."""
    clean = smooth_faces(side=35)
    noisy = noisy_copy(clean, 0.1)
    every, apart = psnr(denoise(noisy, 0.1), clean), psnr(denoise(noisy, 0.1, stride=2), clean)
    assert (apart > every - 1).all(), f"{apart.tolist()} dB against {every.tolist()}"


def test_filtering_in_strips_changes_nothing(monkeypatch):
    """Large photos are filtered a few window rows at a time: the same result as all at once."""
    clean = smooth_faces(count=2, side=37)
    noisy = noisy_copy(clean, 0.1)
    whole = denoise(noisy, 0.1, stride=2)
    monkeypatch.setattr(wiener, "STRIP_WINDOWS", 40)  # a few window rows per strip
    torch.testing.assert_close(denoise(noisy, 0.1, stride=2), whole, atol=1e-5, rtol=0)


def test_bad_arguments_are_named():
    image = torch.rand(1, 3, 16, 16)
    with pytest.raises(ValueError, match="differ"):
        pilot_wiener(image, image[:, :1], 0.1)
    with pytest.raises(ValueError, match="sigma"):
        pilot_wiener(image, image, 0.0)
    with pytest.raises(ValueError, match="sides of at least 8"):
        pilot_wiener(image[..., :4, :4], image[..., :4, :4], 0.1)
    with pytest.raises(ValueError, match="stride"):
        hard_threshold(image, 0.1, stride=9)
