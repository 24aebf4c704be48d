"""PSNR and SSIM exactly as the evaluation protocol defines them (docs/evaluation-protocol.md).

Both take a restored and a clean image, floats in [0, 1] with data range 1.0, as either
- numpy arrays laid out (H, W, C) or (H, W) for one image, (N, H, W, C) for a batch; or
- torch tensors laid out (C, H, W) for one image, (N, C, H, W) for a batch,
and return a float for one image or a numpy array of N floats for a batch: the protocol averages
per-image figures, so a batch is never pooled into one number here.

SSIM is Wang et al. 2004 with an 11 x 11 Gaussian window (sigma 1.5, truncated at 3.5 sigma),
K1 = 0.01, K2 = 0.03, population (not sample) covariances, computed per channel, averaged over
the pixels at least 5 from the border, then over the channels: the same arithmetic as
`skimage.metrics.structural_similarity(..., channel_axis=-1, gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=1.0)`, written with scipy so that the metrics need no
optional dependency.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

DATA_RANGE = 1.0
SSIM_SIGMA = 1.5
SSIM_TRUNCATE = 3.5  # scikit-image's: an 11 x 11 window at sigma 1.5
SSIM_K1, SSIM_K2 = 0.01, 0.03

Image = np.ndarray | torch.Tensor


def _as_batch(image: Image) -> tuple[np.ndarray, bool]:
    """The image(s) as float64 (N, H, W, C) and whether a batch was given."""
    if isinstance(image, torch.Tensor):
        if image.dim() not in (3, 4):
            raise ValueError(
                f"expected a (C, H, W) or (N, C, H, W) tensor, got {tuple(image.shape)}"
            )
        batch = image.dim() == 4
        array = image.detach().cpu().double().numpy()
        array = np.moveaxis(array if batch else array[None], 1, -1)
        return array, batch
    array = np.asarray(image, dtype=np.float64)
    if array.ndim not in (2, 3, 4):
        raise ValueError(f"expected an (H, W), (H, W, C) or (N, H, W, C) array, got {array.shape}")
    batch = array.ndim == 4
    if array.ndim == 2:
        array = array[..., None]
    return (array if batch else array[None]), batch


def _pair(restored: Image, clean: Image) -> tuple[np.ndarray, np.ndarray, bool]:
    restored_array, batch = _as_batch(restored)
    clean_array, _ = _as_batch(clean)
    if restored_array.shape != clean_array.shape:
        raise ValueError(
            f"restored and clean images differ in shape: {tuple(restored.shape)} vs "
            f"{tuple(clean.shape)}"
        )
    return restored_array, clean_array, batch


def _per_image(values: np.ndarray, batch: bool) -> float | np.ndarray:
    return values if batch else float(values[0])


def psnr(restored: Image, clean: Image) -> float | np.ndarray:
    """Peak signal-to-noise ratio in dB (data range 1.0); infinite for identical images."""
    restored_array, clean_array, batch = _pair(restored, clean)
    mse = ((restored_array - clean_array) ** 2).mean(axis=(1, 2, 3))
    with np.errstate(divide="ignore"):
        return _per_image(10 * np.log10(DATA_RANGE**2 / mse), batch)


def _ssim_channel(x: np.ndarray, y: np.ndarray) -> float:
    """Mean SSIM of one (H, W) channel pair, border of half a window left out."""

    def blur(image: np.ndarray) -> np.ndarray:
        return gaussian_filter(image, SSIM_SIGMA, mode="reflect", truncate=SSIM_TRUNCATE)

    mean_x, mean_y = blur(x), blur(y)
    var_x = blur(x * x) - mean_x**2
    var_y = blur(y * y) - mean_y**2
    cov = blur(x * y) - mean_x * mean_y
    c1, c2 = (SSIM_K1 * DATA_RANGE) ** 2, (SSIM_K2 * DATA_RANGE) ** 2
    ssim_map = ((2 * mean_x * mean_y + c1) * (2 * cov + c2)) / (
        (mean_x**2 + mean_y**2 + c1) * (var_x + var_y + c2)
    )
    pad = int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5)
    return float(ssim_map[pad:-pad, pad:-pad].mean())


def ssim(restored: Image, clean: Image) -> float | np.ndarray:
    """Structural similarity (Wang et al. 2004) per channel, then averaged over channels."""
    restored_array, clean_array, batch = _pair(restored, clean)
    values = np.array(
        [
            np.mean([_ssim_channel(r[..., c], k[..., c]) for c in range(r.shape[-1])])
            for r, k in zip(restored_array, clean_array, strict=True)
        ]
    )
    return _per_image(values, batch)
