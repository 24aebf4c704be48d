"""Filling missing pixels smoothly from around them, without a face model."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

#: Holes up to this many pixels are filled biharmonically, larger ones by push-pull: scikit-image's
#: biharmonic fill solves one sparse system per hole, whose time grows faster than the hole.
MAX_BIHARMONIC_PIXELS = 200_000


def fill_missing(image: torch.Tensor, missing: torch.Tensor) -> torch.Tensor:
    """`image` (C, H, W) with the pixels where `missing` (H, W) is True filled smoothly from
    around them, so that a hole neither reads as an edge to a detector nor leaves a flat patch
    under a restoration. The biharmonic fill (the smoothest surface through the pixels around
    the hole) continues a face's shading into it, so the detector finds far more faces behind
    holes than in a push-pull fill. Holes too large for it get the push-pull fill (averages over
    ever coarser grids, interpolated back)."""
    known = (~missing.bool()).to(image.dtype)[None]
    if not known.any():
        raise ValueError("every pixel is marked missing: nothing is observed to fill from")
    if missing.sum() > MAX_BIHARMONIC_PIXELS:
        return _push_pull(image * known, known)
    from skimage.restoration import inpaint_biharmonic

    pixels = image.permute(1, 2, 0).double().numpy()
    filled = inpaint_biharmonic(pixels, missing.bool().numpy(), channel_axis=-1)
    return torch.from_numpy(filled).permute(2, 0, 1).to(image.dtype).clamp(0, 1)


def _push_pull(weighted: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Fill by recursion: `weighted` is the image times its confidence `weight` in [0, 1]."""
    if bool((weight > 0.999).all()) or min(weight.shape[-2:]) <= 1:
        return weighted / weight.clamp_min(1e-8)
    pool = functools.partial(F.avg_pool2d, kernel_size=2, ceil_mode=True)
    coarse = _push_pull(pool(weighted[None])[0], pool(weight[None])[0])
    up = F.interpolate(coarse[None], size=weight.shape[-2:], mode="bilinear")[0]
    return weighted + (1 - weight) * up
