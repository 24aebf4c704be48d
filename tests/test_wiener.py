"""The pilot-steered Wiener filter: what shrinkage by a pilot's gains must do, on constructed images."""

import pytest
import torch

from ganmap.metrics import psnr
from ganmap.wiener import dct_matrix, pilot_wiener


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


def test_bad_arguments_are_named():
    image = torch.rand(1, 3, 16, 16)
    with pytest.raises(ValueError, match="differ"):
        pilot_wiener(image, image[:, :1], 0.1)
    with pytest.raises(ValueError, match="sigma"):
        pilot_wiener(image, image, 0.0)
    with pytest.raises(ValueError, match="sides of at least 8"):
        pilot_wiener(image[..., :4, :4], image[..., :4, :4], 0.1)
