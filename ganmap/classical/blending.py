"""Poisson blending (Pérez, Gangnet and Blake, 2003) of a generated image into an observed one.

Inside the missing region the result keeps the *gradients* of the generated image while its
boundary values come from the observed pixels around the hole, so colour and brightness offsets
between G(z) and the photo vanish at the seam (the post-processing of the paper, section 3.2).

The discrete problem is a sparse linear system over the missing pixels (the 4-neighbour Laplacian),
factorised once per mask and solved for every channel and image as right-hand sides at once.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
import torch

OFFSETS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def poisson_blend(
    source: torch.Tensor, target: torch.Tensor, missing: torch.Tensor
) -> torch.Tensor:
    """Blend `source` into `target` where `missing` is True.

    Args:
        source: (N, C, H, W) the generated images whose gradients fill the hole.
        target: (N, C, H, W) the observed images; their values outside the hole are kept.
        missing: (H, W) bool, True where the pixel is to be filled.

    Returns (N, C, H, W): `target` outside the hole, the Poisson solution inside, clipped to [0, 1].
    """
    missing_np = missing.cpu().numpy().astype(bool)
    height, width = missing_np.shape
    rows, cols = np.nonzero(missing_np)
    if rows.size == 0:
        return target.clone()
    index = -np.ones((height, width), dtype=np.int64)
    index[rows, cols] = np.arange(rows.size)

    src = source.detach().cpu().double().numpy().reshape(-1, height, width)  # (N*C, H, W)
    tgt = target.detach().cpu().double().numpy().reshape(-1, height, width)
    degree = np.zeros(rows.size)
    rhs = np.zeros((rows.size, src.shape[0]))
    entries_i, entries_j = [], []
    for dr, dc in OFFSETS:
        r, c = rows + dr, cols + dc
        inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
        p, r, c = np.nonzero(inside)[0], r[inside], c[inside]
        degree[p] += 1
        rhs[p] += (src[:, rows[p], cols[p]] - src[:, r, c]).T  # the guidance: source gradients
        neighbour = index[r, c]
        in_hole = neighbour >= 0
        entries_i.append(p[in_hole])
        entries_j.append(neighbour[in_hole])
        rhs[p[~in_hole]] += tgt[
            :, r[~in_hole], c[~in_hole]
        ].T  # Dirichlet boundary: observed pixels
    i, j = np.concatenate(entries_i), np.concatenate(entries_j)
    laplacian = scipy.sparse.csc_matrix(
        (
            np.concatenate([degree, -np.ones(i.size)]),
            (np.r_[np.arange(rows.size), i], np.r_[np.arange(rows.size), j]),
        ),
        shape=(rows.size, rows.size),
    )
    solution = scipy.sparse.linalg.splu(laplacian).solve(rhs)  # (pixels, N*C)

    blended = tgt.copy()
    blended[:, rows, cols] = solution.T
    out = torch.from_numpy(blended.reshape(target.shape)).to(target.dtype)
    return out.clamp(0, 1).to(target.device)
