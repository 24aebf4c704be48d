"""The faces' colours spread over a gray photo, stopping at its edges (after Levin, Lischinski and
Weiss, 2004, "Colorization using optimization").

The model colours one 64 x 64 frame per face, and nothing else in a gray photo has a colour to
go by. Put back as they were, the frames showed as coloured squares in the gray photo, with the
generator's guesses (rainbow fringes, an orange wall) in their corners. Here the photo's chroma is
found all at once, as the field that
- agrees with each face's chroma where the model is surest of it: fully in the middle of the
  frame, less and less towards its edges (`TRUSTED_DEPTH`);
- changes little between neighbouring pixels of similar gray, and freely across an edge of the
  gray photo (`EDGE`), so that a colour fills the region it lies in and stops at its outline;
- fades to gray over about a face's width where no face pins it.
It is a weighted least-squares problem, solved by conjugate gradients on a grid where the
smallest face's frame keeps its 64 px (colour is smoother than detail, and the solve then takes
under a second).

The faces' frames score better than pasted as they were (the generator's colours, smoothed where
its guesses scatter; docs/experiments/photo-benchmark.md), and a face's colour also reaches the
hair, neck and wall around it, with no square left to see.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ganmap.base.images import IMAGE_SIZE
from ganmap.photo.alignment import FaceFrame, add_from_frame

#: Aligned pixels from the frame's edge over which the trust in the model's colour rises from
#: none to full (so full only in the middle 16 x 16); chosen by measurement, with DATA_WEIGHT.
TRUSTED_DEPTH = 24
#: How strongly a trusted pixel holds its face's colour against its neighbours' pull (each
#: neighbour pulls with at most 1). Lower smooths the colours more; chosen by measurement.
DATA_WEIGHT = 0.5
#: A step in the gray photo of this size weakens the pull between two neighbours to exp(-1/2).
EDGE = 0.1
MAX_CELLS = 512 * 512  # the grid the chroma is solved on: bounds the time on large photos
ITERATIONS = 50  # conjugate-gradient steps per grid
COARSEST = 16  # cells on the shorter side of the coarsest grid


def trust(frames: Sequence[FaceFrame], height: int, width: int) -> torch.Tensor:
    """(1, height, width) in [0, 1]: how sure the model is of the colour at each photo pixel,
    1 in the middle of a face's frame, falling to 0 at its edges (smoothstep)."""
    centres = torch.arange(IMAGE_SIZE) + 0.5
    depth = (torch.minimum(centres, IMAGE_SIZE - centres) / TRUSTED_DEPTH).clamp(max=1)
    ramp = depth * depth * (3 - 2 * depth)
    aligned = torch.minimum(ramp[:, None], ramp[None, :])[None]
    trusted = torch.zeros(1, height, width)
    for frame in frames:
        trusted = add_from_frame(trusted, aligned, frame)
    return trusted.clamp(max=1)


def spread_chroma(
    chroma: torch.Tensor, gray: torch.Tensor, frames: Sequence[FaceFrame]
) -> torch.Tensor:
    """`chroma` (C, H, W), the restored photo's colour with the faces pasted in, spread from the
    faces' `frames` over the gray photo `gray` (1, H, W); all zero without a face."""
    if not frames:
        return torch.zeros_like(chroma)
    _, height, width = gray.shape
    scales = [frame.scale for frame in frames]
    step = max(1.0, min(scales), math.sqrt(height * width / MAX_CELLS))
    size = (max(2, round(height / step)), max(2, round(width / step)))

    def coarse(image: torch.Tensor) -> torch.Tensor:
        return F.interpolate(image[None], size=size, mode="area")[0]

    trusted = trust(frames, height, width)
    weight = coarse(trusted)
    target = coarse(chroma * trusted) / weight.clamp_min(1e-6)  # zero where nothing is trusted
    reach = IMAGE_SIZE * sum(scales) / len(scales) / step  # a face's width, in grid cells
    spread = _least_squares(target, DATA_WEIGHT * weight, coarse(gray.float()), reach)
    return F.interpolate(spread[None], size=(height, width), mode="bilinear")[0]


def _least_squares(
    target: torch.Tensor, weight: torch.Tensor, gray: torch.Tensor, reach: float
) -> torch.Tensor:
    """The x (C, h, w) minimising sum weight (x - target)^2 + sum over neighbours p, q of
    pull_pq (x_p - x_q)^2 + sum x^2 / reach^2, where pull_pq = exp(-(gray_p - gray_q)^2 /
    (2 EDGE^2)): the linear system A x = weight * target, by conjugate gradients preconditioned
    with A's diagonal, each channel on its own. Each step carries colour one cell further, so the
    steps start from the same problem solved on a grid half as fine (where a cell holds four, so
    its weight and its fading count four times), enlarged: colour then reaches as far as the pull
    carries it whatever the grid's size."""
    height, width = gray.shape[1:]
    if min(height, width) >= 2 * COARSEST:
        half = functools.partial(F.avg_pool2d, kernel_size=2, ceil_mode=True)
        coarse_weight = half(weight)
        coarse_target = half(weight * target) / coarse_weight.clamp_min(1e-12)
        coarse = _least_squares(coarse_target, 4 * coarse_weight, half(gray), reach / 2)
        x = F.interpolate(coarse[None], size=(height, width), mode="bilinear")[0]
    else:
        x = target
    down = torch.exp(-(gray[:, 1:] - gray[:, :-1]).square() / (2 * EDGE**2))
    across = torch.exp(-(gray[:, :, 1:] - gray[:, :, :-1]).square() / (2 * EDGE**2))
    diagonal = weight + 1 / reach**2 + F.pad(down, (0, 0, 1, 0)) + F.pad(down, (0, 0, 0, 1))
    diagonal = diagonal + F.pad(across, (1, 0)) + F.pad(across, (0, 1))

    def system(x: torch.Tensor) -> torch.Tensor:
        pulled = diagonal * x
        pulled[:, 1:] -= down * x[:, :-1]
        pulled[:, :-1] -= down * x[:, 1:]
        pulled[:, :, 1:] -= across * x[:, :, :-1]
        pulled[:, :, :-1] -= across * x[:, :, 1:]
        return pulled

    def dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return (a * b).sum((1, 2), keepdim=True)

    residual = weight * target - system(x)
    preconditioned = residual / diagonal
    direction, product = preconditioned, dot(residual, preconditioned)
    for _ in range(ITERATIONS):
        applied = system(direction)
        length = product / dot(direction, applied).clamp_min(1e-20)
        x = x + length * direction
        residual = residual - length * applied
        preconditioned = residual / diagonal
        product, previous = dot(residual, preconditioned), product
        direction = preconditioned + product / previous.clamp_min(1e-30) * direction
    return x
