"""PSNR and SSIM follow the evaluation protocol: the same numbers as scikit-image's definitions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganmap.evaluation.metrics import psnr, ssim

skimage_metrics = pytest.importorskip("skimage.metrics")


def pair(seed: int, shape: tuple[int, ...] = (64, 64, 3)) -> tuple[np.ndarray, np.ndarray]:
    """A random clean image and a noisy, clipped copy of it, both HWC in [0, 1]."""
    rng = np.random.default_rng(seed)
    clean = rng.random(shape)
    return np.clip(clean + 0.1 * rng.standard_normal(shape), 0, 1), clean


def reference_ssim(restored: np.ndarray, clean: np.ndarray) -> float:
    return skimage_metrics.structural_similarity(
        restored,
        clean,
        channel_axis=-1,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=1.0,
    )


@pytest.mark.parametrize("seed", range(3))
def test_psnr_and_ssim_agree_with_scikit_image(seed):
    restored, clean = pair(seed)
    expected = skimage_metrics.peak_signal_noise_ratio(clean, restored, data_range=1.0)
    assert psnr(restored, clean) == pytest.approx(expected, abs=1e-9)
    assert ssim(restored, clean) == pytest.approx(reference_ssim(restored, clean), abs=1e-9), (
        "SSIM must be Wang et al.'s with the protocol's Gaussian window, per channel then averaged"
    )


def test_ssim_of_smooth_images_agrees_with_scikit_image():
    """Structured images, where the windowed statistics matter more than on white noise."""
    y, x = np.mgrid[0:64, 0:64] / 63
    clean = np.stack([x * y, np.sin(3 * x) ** 2, 0.5 + 0.4 * np.cos(5 * y)], axis=-1)
    restored = np.clip(clean + 0.05 * np.sin(20 * x)[..., None], 0, 1)
    assert ssim(restored, clean) == pytest.approx(reference_ssim(restored, clean), abs=1e-9)


def test_torch_tensors_chw_and_nchw_give_the_numpy_figures():
    images = [pair(seed) for seed in range(2)]
    restored = torch.from_numpy(np.stack([r for r, _ in images])).permute(0, 3, 1, 2)
    clean = torch.from_numpy(np.stack([c for _, c in images])).permute(0, 3, 1, 2)
    batch_psnr, batch_ssim = psnr(restored, clean), ssim(restored, clean)
    assert batch_psnr.shape == batch_ssim.shape == (2,), "one figure per image of a batch"
    for i, (r, c) in enumerate(images):
        assert batch_psnr[i] == pytest.approx(psnr(r, c), abs=1e-9)
        assert batch_ssim[i] == pytest.approx(ssim(r, c), abs=1e-9)
        assert psnr(restored[i], clean[i]) == pytest.approx(psnr(r, c), abs=1e-9)
        assert isinstance(ssim(restored[i].float(), clean[i].float()), float)


def test_gray_images_are_one_channel():
    restored, clean = pair(0, shape=(64, 64))
    expected = skimage_metrics.structural_similarity(
        restored, clean, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        data_range=1.0,
    )  # fmt: skip
    assert ssim(restored, clean) == pytest.approx(expected, abs=1e-9)


def test_identical_images_score_infinite_psnr_and_unit_ssim():
    _, clean = pair(0)
    assert psnr(clean, clean) == np.inf
    assert ssim(clean, clean) == pytest.approx(1.0)


def test_psnr_of_a_known_error():
    clean = np.zeros((8, 8, 3))
    assert psnr(clean + 0.1, clean) == pytest.approx(20.0), "MSE 0.01 at data range 1 is 20 dB"


def test_images_of_different_shapes_are_refused():
    with pytest.raises(ValueError, match="differ in shape"):
        psnr(np.zeros((64, 64, 3)), np.zeros((32, 32, 3)))
