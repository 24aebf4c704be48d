"""Luma and colour: the gray a colour image shows, and colour put on a given gray."""

from __future__ import annotations

import torch

LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601


def luma(image: torch.Tensor) -> torch.Tensor:
    """ITU-R 601 luma, (N, 3, H, W) -> (N, 1, H, W): the standard grayscale conversion."""
    weights = torch.tensor(LUMA_WEIGHTS, dtype=image.dtype, device=image.device)
    return torch.einsum("nchw,c->nhw", image, weights).unsqueeze(1)


def with_luma(image: torch.Tensor, gray: torch.Tensor) -> torch.Tensor:
    """`image`'s colour (3, H, W) on the luma `gray` (1, H, W): its chroma added to `gray`,
    scaled down where it would leave [0, 1], so that the luma stays exactly `gray`."""
    chroma = image - luma(image[None])[0]
    room = torch.where(chroma > 0, (1 - gray) / chroma, -gray / chroma.clamp(max=-1e-8))
    return gray + chroma * room.amin(0, keepdim=True).clamp(0, 1)
