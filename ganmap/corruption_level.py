"""How strongly a user's own photo is corrupted: the task's parameter to restore it with.

The paper corrupts with fixed parameters (noise of sigma 0.1, 5 levels per channel); a user's
photo has its own, and restoring it with the paper's is restoring the wrong corruption.

Noise (`estimate_noise_sigma`). A camera's noise is mostly below 0.1, and denoising at too high
a sigma smooths a face to plastic (scikit-image's astronaut with noise of 0.03: 34.0 dB restored
at 0.1, 38.0 at 0.03). It is estimated as Donoho and Johnstone do (1994): the median absolute
value of the finest diagonal wavelet details, which hold almost only noise in a photo, over
0.6745 (the median of |N(0, 1)|). Haar's details, of 2 x 2 blocks, with every block that holds
a clipped value (0 or 1) left out: clipping removes noise there, and counting those blocks put
the estimate of sigma 0.1 as low as 0.072 on photos with dark or white backgrounds. On the 55
photos of the two photo sets (seeds 0 and 1) and the astronaut, with noise added as the tasks
add it: sigma 0.1 is read as 0.091-0.103 (mean 0.098), 0.03 as 0.029-0.041, 0.01 as
0.010-0.020, and the clean photos as at most 0.012.

Levels (`estimate_levels`). A posterized photo holds few values per channel, evenly spaced as
an image editor's posterize makes them (round(v * (k - 1)) / (k - 1)); restored with 5 cells
where it has 3, every value is kept within half a cell too narrow, and the photo stays
posterized. The levels are the fewest evenly spaced ones that hold every value of the photo.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from .images import ImageLike, to_tensor
from .tasks import Denoising, Quantization, Task, get_task

#: The least sigma returned: a clean photo is denoised as barely noisy, not refused.
MIN_SIGMA = 0.005

#: The most levels per channel read from a photo: more are not posterization one can see.
MAX_LEVELS = 32

#: The median of |N(0, 1)|: the median absolute detail over this is sigma for Gaussian noise.
GAUSSIAN_MAD = 0.6745


def estimate_noise_sigma(image: ImageLike) -> float:
    """The standard deviation of white noise in `image` (a photo as `ganmap.images` reads it:
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


def at_level(task: str | Task, level: float) -> Task:
    """`task` with its corruption at `level`: the noise sigma for denoising, the levels per
    channel (a whole number) for quantization; a task without a level as it is. The task checks
    the value (sigma 0 or 1 level: ValueError)."""
    task = get_task(task)
    if isinstance(task, Denoising):
        return replace(task, sigma=level)
    if isinstance(task, Quantization):
        return replace(task, levels=round(level))
    return task


def at_its_own_level(task: str | Task, photo: ImageLike) -> tuple[Task, str]:
    """`task` at `photo`'s own level, and what was found, as a sentence for the user: denoising
    at its estimated noise sigma, quantization at its levels (unchanged where it holds none);
    other tasks as they are, with an empty sentence."""
    task = get_task(task)
    if isinstance(task, Denoising):
        sigma = estimate_noise_sigma(photo)
        return at_level(task, sigma), f"Its noise level was estimated at σ = {sigma:.3f}."
    if isinstance(task, Quantization):
        levels = estimate_levels(photo)
        if levels is None:
            return task, (
                f"Its values lie on no evenly spaced levels: restored as {task.levels} per channel."
            )
        return at_level(task, levels), f"It holds {levels} levels per channel."
    return task, ""
