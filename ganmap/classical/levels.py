"""How strongly a user's own photo is corrupted: the task's parameter to restore it with.

The paper corrupts with fixed parameters (noise of sigma 0.1, 5 levels per channel); a user's
photo has its own, and restoring it with the paper's is restoring the wrong corruption.

Noise (`estimate_noise_sigma`). A camera's noise is mostly below 0.1, and denoising at too high
a sigma smooths a face to plastic. It is estimated as Donoho and Johnstone do (1994): the median
absolute value of the finest diagonal wavelet details, which hold almost only noise in a photo,
over 0.6745 (the median of |N(0, 1)|). Haar's details, of 2 x 2 blocks, with every block that
holds a clipped value (0 or 1) left out: clipping removes noise there, and counting those blocks
reads too low a sigma on photos with dark or white backgrounds. How close the estimate comes is
in docs/experiments/denoising.md.

Levels (`estimate_levels`). A posterized photo holds few values per channel, evenly spaced as
an image editor's posterize makes them (round(v * (k - 1)) / (k - 1)); restored with 5 cells
where it has 3, every value is kept within half a cell too narrow, and the photo stays
posterized. The levels are the fewest evenly spaced ones that hold every value of the photo.
"""

from __future__ import annotations

import torch

from ganmap.base.images import ImageLike, to_tensor

#: The least sigma returned: a clean photo is denoised as barely noisy, not refused.
MIN_SIGMA = 0.005

#: The most levels per channel read from a photo: more are not posterization one can see.
MAX_LEVELS = 32

#: The median of |N(0, 1)|: the median absolute detail over this is sigma for Gaussian noise.
GAUSSIAN_MAD = 0.6745


def estimate_noise_sigma(image: ImageLike) -> float:
    """The standard deviation of white noise in `image` (a photo as `ganmap.base.images` reads it:
    PIL, array, tensor (C, H, W) in [0, 1] or path), at least MIN_SIGMA."""
    pixels = to_tensor(image)
    even = pixels[:, : pixels.shape[1] // 2 * 2, : pixels.shape[2] // 2 * 2]
    corners = torch.stack(
        [even[:, 0::2, 0::2], even[:, 0::2, 1::2], even[:, 1::2, 0::2], even[:, 1::2, 1::2]]
    )
    top_left, top_right, bottom_left, bottom_right = corners
    details = (top_left - top_right - bottom_left + bottom_right) / 2
    unclipped = ((corners > 0) & (corners < 1)).all(0)
    if not unclipped.any():  # all black or white: no noise that can be seen
        return MIN_SIGMA
    sigma = details[unclipped].abs().median().item() / GAUSSIAN_MAD
    return max(sigma, MIN_SIGMA)


def estimate_levels(image: ImageLike) -> int | None:
    """The number of evenly spaced levels per channel that `image` (as for
    `estimate_noise_sigma`) was posterized to, or None if its 8-bit values lie on no such grid of
    up to MAX_LEVELS (a photo not posterized, or saved lossily since)."""
    counts = torch.bincount(
        (to_tensor(image) * 255).round().to(torch.uint8).flatten(), minlength=256
    )
    values = counts.nonzero().flatten()
    for levels in range(2, MAX_LEVELS + 1):
        grid = (torch.arange(levels) * 255 / (levels - 1)).round().long()
        if torch.isin(values, grid).all():
            return levels
    return None
