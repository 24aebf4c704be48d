"""The pilot-steered Wiener filter: what shrinkage by a pilot's gains must do, on constructed images."""

import math

import pytest
import torch

from ganmap.classical import wiener
from ganmap.classical.wiener import (
    GROUP_TRANSFORMS,
    dct_matrix,
    denoise,
    hard_threshold,
    pilot_wiener,
    wavelet_matrix,
)
from ganmap.evaluation.metrics import psnr


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


def test_wavelet_matrix_has_unit_rows_and_the_mean_first():
    """White noise of sigma is sigma in every coefficient; the first coefficient is the
    window's brightness, as the DCT's is, which the first stage always keeps."""
    basis = wavelet_matrix(8)
    torch.testing.assert_close(basis.norm(dim=1), torch.ones(8), atol=1e-6, rtol=0)
    torch.testing.assert_close(basis[0], torch.full((8,), 8**-0.5), atol=1e-6, rtol=0)
    torch.testing.assert_close(dct_matrix(8)[0], basis[0], atol=1e-6, rtol=0)


@pytest.mark.parametrize("across", GROUP_TRANSFORMS)
def test_each_group_transform_is_orthonormal_with_the_mean_first(across):
    """So that white noise stays white across a group, and its first coefficient is the group's
    mean."""
    basis = GROUP_TRANSFORMS[across](16)
    torch.testing.assert_close(basis @ basis.T, torch.eye(16), atol=1e-5, rtol=0)
    torch.testing.assert_close(basis[0], torch.full((16,), 0.25), atol=1e-6, rtol=0)


@pytest.mark.parametrize("across", GROUP_TRANSFORMS)
@pytest.mark.parametrize("transform", ["dct", "bior1.5"])
@pytest.mark.parametrize("group", [1, 16])
def test_vanishing_noise_keeps_every_window_of_the_first_stage(transform, group, across):
    """A threshold far under every coefficient keeps them all: each window, and each group, is
    transformed and put back exactly."""
    clean = smooth_faces(count=2, side=27)
    restored = hard_threshold(
        clean, 1e-6, stride=3, group=group, transform=transform, across=across
    )
    torch.testing.assert_close(restored, clean, atol=1e-4, rtol=0)


def test_the_threshold_decides_how_much_of_the_noise_is_kept():
    """At 0 every coefficient stays: the noisy image comes back. Higher thresholds keep less of
    flat noise."""
    noisy = noisy_copy(smooth_faces(count=1, side=24), 0.1)
    kept = hard_threshold(noisy, 0.1, stride=4, group=16, across="haar", threshold=0.0)
    torch.testing.assert_close(kept, noisy.clamp(0, 1), atol=1e-4, rtol=0)
    flat = noisy_copy(torch.full((1, 3, 32, 32), 0.5), 0.1)
    left = [hard_threshold(flat, 0.1, threshold=t).std().item() for t in (1.0, 2.7, 3.0)]
    assert left[0] > left[1] > left[2], f"noise left at thresholds 1, 2.7, 3: {left}"


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
    monkeypatch.setattr(wiener, "STRIP_VALUES", 4000)  # a few window rows per strip
    torch.testing.assert_close(denoise(noisy, 0.1, stride=2), whole, atol=1e-5, rtol=0)


def repeating_pattern(side: int = 48) -> torch.Tensor:
    """Two images of one pattern that repeats every 6 px across and 5 px down: every window has
    many exact copies within 8 px, the case block matching is made for."""
    y, x = torch.meshgrid(torch.arange(float(side)), torch.arange(float(side)), indexing="ij")
    pattern = 0.5 + 0.3 * torch.sin(2 * math.pi * x / 6) * torch.cos(2 * math.pi * y / 5)
    return torch.stack(
        [pattern.expand(3, -1, -1), pattern * torch.tensor([[[1.0]], [[0.8]], [[0.6]]])]
    )


def test_grouping_similar_windows_beats_filtering_each_alone():
    clean = repeating_pattern()
    noisy = noisy_copy(clean, 0.1)
    pilot = hard_threshold(noisy, 0.1)
    alone = psnr(pilot_wiener(noisy, pilot, 0.1), clean)
    grouped = psnr(pilot_wiener(noisy, pilot, 0.1, stride=3, group=16), clean)
    assert (grouped > alone + 1).all(), f"grouped {grouped.tolist()} dB, alone {alone.tolist()}"


@pytest.mark.parametrize("across", GROUP_TRANSFORMS)
@pytest.mark.parametrize("transform", ["dct", "bior1.5"])
def test_grouping_similar_windows_helps_the_first_stage(transform, across):
    """Matched on the noisy image itself, as BM3D's first stage does."""
    clean = repeating_pattern()
    noisy = noisy_copy(clean, 0.1)
    alone = psnr(hard_threshold(noisy, 0.1, transform=transform), clean)
    grouped = psnr(
        hard_threshold(noisy, 0.1, stride=3, group=16, transform=transform, across=across), clean
    )
    assert (grouped > alone + 1).all(), f"grouped {grouped.tolist()} dB, alone {alone.tolist()}"


def test_block_matching_finds_a_windows_copies():
    """A window of noise copied 5 px down and 3 px left of itself, on a flat image: its group is
    itself, then its copy; a reference window in the flat part is grouped with itself first."""
    luminance = torch.zeros(1, 24, 24)
    luminance[0, 2:10, 6:14] = torch.rand(8, 8, generator=torch.Generator().manual_seed(0))
    luminance[0, 7:15, 3:11] = luminance[0, 2:10, 6:14].clone()
    tops, lefts = torch.tensor([2, 16]), torch.tensor([6, 16])
    corners = wiener._match(luminance, tops, lefts, patch=8, group=2, search=6)
    assert corners[0, 0].tolist() == [2 * 24 + 6, 7 * 24 + 3], "the window, then its copy"
    assert corners[0, 3, 0] == 16 * 24 + 16, "a flat window comes first in its own group"


def test_grouping_covers_every_pixel_of_a_flat_image():
    """In a flat image every window is as near as every other; each still joins its own group,
    so no pixel is left without an estimate."""
    flat = torch.full((1, 3, 20, 21), 0.5)
    restored = pilot_wiener(flat, flat, 0.1, stride=3, group=16)
    torch.testing.assert_close(restored, flat, atol=1e-5, rtol=0)


def test_grouped_filtering_in_strips_changes_nothing(monkeypatch):
    clean = smooth_faces(count=2, side=37)
    noisy = noisy_copy(clean, 0.1)
    whole = pilot_wiener(noisy, clean, 0.1, stride=3, group=8, search=4)
    monkeypatch.setattr(wiener, "STRIP_VALUES", 4000)
    strips = pilot_wiener(noisy, clean, 0.1, stride=3, group=8, search=4)
    torch.testing.assert_close(strips, whole, atol=1e-5, rtol=0)


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
    with pytest.raises(ValueError, match="search radius"):
        pilot_wiener(image, image, 0.1, group=16, search=1)
    with pytest.raises(ValueError, match="'haar'.*dct"):
        hard_threshold(image, 0.1, transform="haar")
    with pytest.raises(ValueError, match="group transform 'bior1.5'"):
        hard_threshold(image, 0.1, group=4, across="bior1.5")
    with pytest.raises(ValueError, match="power of 2, got 12"):
        hard_threshold(image, 0.1, group=12, across="haar")
