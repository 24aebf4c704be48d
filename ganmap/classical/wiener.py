"""Shrinkage in DCT windows: BM3D's two stages, and the GAN's face as the pilot of the second.

Where the noise is white and its level known, the best linear shrinkage of a transform coefficient
y_k = x_k + n_k is x_k^2 / (x_k^2 + sigma^2) * y_k. The clean x_k is unknown; BM3D's second stage
(Dabov et al., 2007) takes it from a pilot estimate, its own first stage, which keeps only the
coefficients above 2.7 sigma. Here the pilot of a face is the generator's restoration: it knows
where a face has structure (eyes, mouth, the face's outline) and where it is flat, which a patch
method must guess from the noise. The filter then keeps the observed detail wherever the pilot
says there is signal, rather than the generator's own drawing of it, and averages the noise away
elsewhere. A whole photo, where no face model reaches, gets both stages (`denoise`).

Transform: windows `patch` px square, `stride` px apart, in an orthonormal opponent colour space
(so that white noise stays white, with the same sigma, in each channel). With `group` > 1, each
window is stacked with the `group` - 1 windows within `search` px whose pilot looks most like it
(BM3D's block matching), and the stack gets a 3-D transform: a face's two eyes, or the stripes of
a collar, then share one set of coefficients, where the signal adds up and the noise does not.
Each window's own transform is the DCT, or for the first stage BM3D's biorthogonal wavelet
(`wavelet_matrix`); across the group, the DCT, or for the first stage BM3D's Haar wavelet. The
windows are put back with BM3D's weights, which trust the groups that kept least of the noise.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

#: Luminance, red-blue and green-magenta axes, each of unit length: an orthonormal basis.
OPPONENT = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, -1.0], [1.0, -2.0, 1.0]])
OPPONENT = OPPONENT / OPPONENT.norm(dim=1, keepdim=True)
HARD_THRESHOLD = 2.7  # BM3D's first stage keeps the coefficients above 2.7 sigma
#: BM3D's grouping for a Wiener step: windows 3 px apart, each stacked with the 15 most similar
#: within 8 px: better and faster than each window alone (docs/experiments/denoising.md).
GROUPED = dict(stride=3, group=16, search=8)


def dct_matrix(size: int) -> torch.Tensor:
    """The orthonormal DCT-II matrix: rows are the basis vectors, so its inverse is its transpose."""
    k = torch.arange(size, dtype=torch.float32)
    basis = torch.cos(math.pi * (2 * k[None] + 1) * k[:, None] / (2 * size)) * math.sqrt(2 / size)
    basis[0] /= math.sqrt(2)
    return basis


def wavelet_matrix(size: int, wavelet: str = "bior1.5") -> torch.Tensor:
    """The full periodic wavelet transform of `size` points (a power of 2) as a matrix whose
    rows are scaled to unit length, so that white noise of sigma is sigma in every coefficient
    and one threshold serves them all. Cohen-Daubechies-Feauveau's bior1.5 wavelet is what BM3D
    transforms its first stage's windows with. As a photo's first stage (`hard_threshold`,
    grouped) it makes a better pilot half than the DCT's windows for the Wiener step that
    follows (`ganmap.photo.behaviour.consistent_photo`)."""
    import pywt

    levels = int(math.log2(size))
    with warnings.catch_warnings():  # pywt warns that 3 levels of 8 points all wrap around:
        warnings.simplefilter("ignore")  # periodic is what is meant
        columns = [
            np.concatenate(pywt.wavedec(unit, wavelet, mode="periodization", level=levels))
            for unit in np.eye(size)
        ]
    matrix = torch.tensor(np.array(columns).T, dtype=torch.float32)
    return matrix / matrix.norm(dim=1, keepdim=True)


#: The 1-D transform of a window's rows and columns, by name: its rows, the basis vectors.
WINDOW_TRANSFORMS = {"dct": dct_matrix, "bior1.5": wavelet_matrix}
#: The 1-D transform across a group of windows, by name. Haar (orthonormal, for a group of a
#: power of 2) is BM3D's own.
GROUP_TRANSFORMS = {"dct": dct_matrix, "haar": functools.partial(wavelet_matrix, wavelet="haar")}


def pilot_wiener(
    noisy: torch.Tensor,
    pilot: torch.Tensor,
    sigma: float,
    *,
    patch: int = 8,
    stride: int = 1,
    group: int = 1,
    search: int = 8,
) -> torch.Tensor:
    """`noisy` (N, C, H, W) with white noise of standard deviation `sigma`, shrunk coefficient by
    coefficient by the Wiener gains that the `pilot` (same shape) implies; C is 1 or 3,
    H, W >= patch. A `stride` above 1 (windows that far apart) saves time; a `group` above 1
    stacks each window with the most similar ones in the pilot (see the module's docstring)."""

    def wiener(coefficients: torch.Tensor, pilot_c: torch.Tensor):
        gain = pilot_c.square() / (pilot_c.square() + sigma**2)
        return gain * coefficients, gain.square()

    return _shrink(noisy, pilot, sigma, wiener, patch, stride, group, search, "dct")


def hard_threshold(
    noisy: torch.Tensor,
    sigma: float,
    *,
    patch: int = 8,
    stride: int = 1,
    group: int = 1,
    search: int = 8,
    transform: Literal["dct", "bior1.5"] = "dct",
    across: Literal["dct", "haar"] = "dct",
    threshold: float = HARD_THRESHOLD,
) -> torch.Tensor:
    """BM3D's first stage: in each window, or each `group` of similar windows matched on the
    noisy image itself, the coefficients under `threshold` sigma set to zero (the luminance mean
    always kept). `transform`: the windows' own transform (`WINDOW_TRANSFORMS`); `across`: the
    transform across a group (`GROUP_TRANSFORMS`)."""

    def shrink(coefficients: torch.Tensor, _: torch.Tensor):
        keep = coefficients.abs() > threshold * sigma
        keep[:, 0, :, 0, 0] = True  # the window's brightness: never noise alone
        return coefficients * keep, keep.float()

    return _shrink(noisy, noisy, sigma, shrink, patch, stride, group, search, transform, across)


def denoise(noisy: torch.Tensor, sigma: float, *, stride: int = 1) -> torch.Tensor:
    """Both stages: the hard-thresholded image is the pilot of the Wiener filter."""
    pilot = hard_threshold(noisy, sigma, stride=stride)
    return pilot_wiener(noisy, pilot, sigma, stride=stride)


#: A rule takes the coefficients of the noisy and of the pilot's windows, each
#: (N, C, windows, group, patch^2), and returns the shrunk ones and how much of each it kept.
Rule = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
STRIP_VALUES = 8_000_000  # window values transformed at once: bounds the memory on large photos


def _shrink(
    noisy: torch.Tensor,
    pilot: torch.Tensor,
    sigma: float,
    rule: Rule,
    patch: int,
    stride: int,
    group: int,
    search: int,
    transform: str,
    across: str = "dct",
) -> torch.Tensor:
    """Each group's 3-D coefficients of `noisy` shrunk by `rule` (the windows' own `transform`,
    then `across` the group); windows put back weighted by
    1 / the sum of what their group kept (BM3D's aggregation). Done in strips of window rows, so
    that a large photo never holds all its groups at once."""
    if noisy.shape != pilot.shape:
        raise ValueError(f"noisy {tuple(noisy.shape)} and pilot {tuple(pilot.shape)} differ")
    if not sigma > 0:
        raise ValueError(f"the noise level sigma must be > 0, got {sigma!r}")
    n, channels, height, width = noisy.shape
    if channels not in (1, 3) or min(height, width) < patch:
        raise ValueError(
            f"expected 1 or 3 channels and sides of at least {patch}, got {tuple(noisy.shape)}"
        )
    if not 1 <= stride <= patch:
        raise ValueError(f"stride must be from 1 to the patch side {patch}, got {stride!r}")
    if not isinstance(group, int) or group < 1 or (2 * search + 1) ** 2 < group:
        least = math.ceil((math.sqrt(max(group, 1)) - 1) / 2)
        raise ValueError(
            f"a group of {group!r} windows needs a search radius of at least {least}, "
            f"got {search!r} (the group is 1 or more windows)"
        )
    if transform not in WINDOW_TRANSFORMS:
        raise ValueError(
            f"unknown window transform {transform!r}: one of {list(WINDOW_TRANSFORMS)}"
        )
    if across not in GROUP_TRANSFORMS:
        raise ValueError(f"unknown group transform {across!r}: one of {list(GROUP_TRANSFORMS)}")
    if across == "haar" and group & (group - 1):
        raise ValueError(f"the Haar transform across a group needs a power of 2, got {group!r}")
    colour = OPPONENT.to(noisy) if channels == 3 else torch.eye(1).to(noisy)
    own_pilot = pilot is noisy  # the first stage: its windows are transformed once, not twice
    noisy = torch.einsum("dc,nchw->ndhw", colour, noisy)
    pilot = noisy if own_pilot else torch.einsum("dc,nchw->ndhw", colour, pilot)
    rows = WINDOW_TRANSFORMS[transform](patch)
    square = torch.kron(rows, rows).to(noisy)
    stack = GROUP_TRANSFORMS[across](group).to(noisy) if group > 1 else None
    square_inverse = square.T if transform == "dct" else torch.linalg.inv(square)

    def transform_3d(windows: torch.Tensor, inverse: bool = False) -> torch.Tensor:
        """The 3-D transform of (..., group, patch^2) stacks: the window's 2-D transform as one
        matrix on its flattened pixels (faster than two small products), then across the group."""
        flat = windows @ (square_inverse.T if inverse else square.T)
        return flat if stack is None else (stack.T if inverse else stack) @ flat

    tops, lefts = (_corners(side, patch, stride).to(noisy.device) for side in (height, width))
    step = torch.arange(patch, device=noisy.device)
    inside = (step[:, None] * width + step).flatten()
    total = torch.zeros(n, channels, height * width).to(noisy)
    norm = torch.zeros(n, 1, height * width).to(noisy)
    values, references = noisy.flatten(2), pilot.flatten(2)
    per_strip = max(1, STRIP_VALUES // (n * channels * len(lefts) * group * patch * patch))
    for strip in tops.split(per_strip):
        if group > 1:
            corners = _match(pilot[:, 0], strip, lefts, patch, group, search)
        else:
            corners = (strip[:, None] * width + lefts).flatten().expand(n, -1)[..., None]
        windows = corners.shape[1]
        pixels = (corners[..., None] + inside).flatten(1)  # (N, windows * group * patch^2)
        every = pixels[:, None].expand(-1, channels, -1)
        shape = (n, channels, windows, group, patch * patch)
        coefficients = transform_3d(values.gather(2, every).view(shape))
        pilot_c = (
            coefficients if own_pilot else transform_3d(references.gather(2, every).view(shape))
        )
        shrunk, kept = rule(coefficients, pilot_c)
        weight = 1 / kept.sum(dim=(1, 3, 4)).clamp_min(1e-8)  # (N, windows)
        weighted = transform_3d(shrunk, inverse=True) * weight[:, None, :, None, None]
        total.scatter_add_(2, every, weighted.flatten(2))
        spread = weight[:, :, None].expand(-1, -1, group * patch * patch).flatten(1)
        norm.scatter_add_(2, pixels[:, None], spread[:, None])
    image = (total / norm).view(n, channels, height, width)
    return torch.einsum("dc,ndhw->nchw", colour, image).clamp(0, 1)


def _corners(side: int, patch: int, stride: int) -> torch.Tensor:
    """The first pixel of each window along a side: every `stride` px, and the last window flush
    with the far edge, so that every pixel is covered."""
    first = torch.arange(0, side - patch + 1, stride)
    return first if first[-1] == side - patch else torch.cat([first, torch.tensor([side - patch])])


def _match(
    luminance: torch.Tensor,
    tops: torch.Tensor,
    lefts: torch.Tensor,
    patch: int,
    group: int,
    search: int,
) -> torch.Tensor:
    """(N, windows, group): the flat index of the first pixel of each reference window's `group`
    nearest windows by squared distance in `luminance` (N, H, W), among those at most `search` px
    away in each direction, itself first. At each shift, the squared difference is summed along
    each row by a running sum, then over each window's rows: the same sums whatever the strip,
    so that filtering in strips changes nothing."""
    n, height, width = luminance.shape
    shifts = torch.arange(-search, search + 1, device=luminance.device)
    padded = F.pad(luminance, (search,) * 4)
    first, last = int(tops[0]), int(tops[-1]) + patch
    reference = luminance[:, None, first:last]
    rows = tops - first
    left_out = (lefts + shifts[:, None] < 0) | (lefts + shifts[:, None] > width - patch)
    by_row = []  # per vertical shift: (N, horizontal shifts, windows rows, windows across)
    for dy in shifts.tolist():
        band = padded[:, search + first + dy : search + last + dy]
        shifted = torch.stack([band[:, :, dx : dx + width] for dx in range(len(shifts))], 1)
        running = F.pad((reference - shifted).square().cumsum(-1), (1, 0))  # row by row
        rowwise = running[..., lefts + patch] - running[..., lefts]  # (N, shifts, rows, windows)
        box = rowwise[:, :, rows[:, None] + torch.arange(patch).to(rows)].sum(-2)
        out = (tops + dy < 0) | (tops + dy > height - patch)
        by_row.append(box.masked_fill(out[:, None] | left_out[:, None], math.inf))
    distances = torch.cat(by_row, 1).flatten(2)  # (N, shifts^2, windows)
    distances[:, len(distances[0]) // 2] = -1  # no shift: the window itself, first even in a
    # flat region, where other windows are as near, so that every pixel is covered
    nearest = distances.topk(group, dim=1, largest=False).indices
    dy, dx = shifts[nearest // len(shifts)], shifts[nearest % len(shifts)]  # (N, group, windows)
    corners = (tops[:, None] * width + lefts).flatten()
    return (corners + dy * width + dx).transpose(1, 2)
