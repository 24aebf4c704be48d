"""BM3D-style shrinkage corrected by a small network trained on the training frames.

The GAN restores a face; a noisy photo's final result also needs a denoiser without a face
model, whose errors differ from the Wiener filter's (`ganmap.photo.behaviour.consistent_photo`).
Shrinkage in DCT windows (`ganmap.classical.wiener.denoise`) errs like the Wiener filter, and
CBM3D's licence keeps it out of the package, so this network learns what the shrinkage gets
wrong: it sees the noisy image and the shrinkage's result, and adds a correction to the latter.
Its last layer starts at zero, so training starts from the shrinkage rather than from scratch,
which is far slower to train. As in FFDNet (Zhang et al., 2018) the images are folded into 2 x 2
sub-images, a quarter of the positions and of the work for the same reach, and a map of the
noise level rides along as one more channel, so that one set of weights serves every level it
was trained on. It is trained with the noise clipped to [0, 1] as the tasks clip it, on frames
shrunk down to faces 16 px wide, smoothly and sharply (`training/train_denoiser.py`); its
measurements are in docs/experiments/denoising.md.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

from ganmap.base.weights import HubModel, set_sizes
from ganmap.classical.wiener import denoise

FOLD = 2  # sub-images per side
STRIDE = 2  # the shrinkage's windows 2 px apart: 4x faster, and the network makes up the loss
STRIP_PIXELS = 1_000_000  # a larger photo goes through in strips: bounds the activations' memory
MARGIN = 32  # px of context above and below a strip: more than the network's reach (24 px)


class Denoiser(nn.Module, HubModel):
    """noisy image (N, 3, H, W) in [0, 1] and its noise sigma -> denoised image, same shape."""

    def __init__(
        self,
        width: int = 64,
        depth: int = 12,
        channels: int = 3,
        min_sigma: float = 0.025,
        max_sigma: float = 0.25,
    ):
        super().__init__()
        set_sizes(self, width=width, depth=depth, channels=channels)
        if not 0 < min_sigma < max_sigma:
            raise ValueError(f"need 0 < min_sigma < max_sigma, got {min_sigma}, {max_sigma}")
        self.min_sigma, self.max_sigma = min_sigma, max_sigma  # the levels it was trained on
        folded = channels * FOLD**2
        layers: list[nn.Module] = [nn.Conv2d(2 * folded + 1, width, 3, padding=1), nn.ReLU(True)]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(width, width, 3, padding=1), nn.ReLU(True)]
        layers.append(nn.Conv2d(width, folded, 3, padding=1))
        for layer in layers[:-1:2]:  # He's initialisation: the signal keeps its scale in depth
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
        nn.init.zeros_(layers[-1].weight)  # starts as the shrinkage alone
        nn.init.zeros_(layers[-1].bias)
        self.net = nn.Sequential(*layers)

    def forward(
        self, noisy: torch.Tensor, sigma: float, estimate: torch.Tensor | None = None
    ) -> torch.Tensor:
        """`noisy` denoised as `estimate` (the same shape; by default the shrinkage, as in
        training) plus the network's correction of it. Given a better estimate than the
        shrinkage, such as a Wiener filter's result, the correction still helps: see
        `ganmap.photo.behaviour.consistent_photo`."""
        height, width = noisy.shape[-2:]
        pad = functools.partial(F.pad, pad=(0, width % FOLD, 0, height % FOLD), mode="replicate")
        padded = pad(noisy)
        if estimate is None:
            with torch.no_grad():
                estimate = denoise(padded, sigma, stride=STRIDE)
        else:
            estimate = pad(estimate)
        folded = [F.pixel_unshuffle(image, FOLD) for image in (padded, estimate)]
        level = torch.full_like(folded[0][:, :1], sigma)
        correction = F.pixel_shuffle(self.net(torch.cat([*folded, level], 1)), FOLD)
        return (estimate + correction)[..., :height, :width]


@torch.no_grad()
def denoise_learned(
    noisy: torch.Tensor,
    sigma: float,
    estimate: torch.Tensor | None = None,
    *,
    network: Denoiser | None,
) -> torch.Tensor:
    """`noisy` (N, 3, H, W) in [0, 1] denoised by `network` (`Denoiser.forward`: `estimate`
    corrected, by default the shrinkage), in strips of about STRIP_PIXELS. Without a network,
    or at a noise level outside the ones it was trained on, where its correction is untested:
    `estimate` as it is, or the shrinkage (`ganmap.classical.wiener.denoise`)."""
    model = network
    if model is None or not model.min_sigma <= sigma <= model.max_sigma:
        return denoise(noisy, sigma) if estimate is None else estimate
    height, width = noisy.shape[-2:]
    rows = max(FOLD, STRIP_PIXELS // width // FOLD * FOLD)  # even, so the folding stays in phase
    strips = []
    for top in range(0, height, rows):
        start, stop = max(0, top - MARGIN), min(height, top + rows + MARGIN)
        part = None if estimate is None else estimate[..., start:stop, :]
        denoised = model(noisy[..., start:stop, :], sigma, part)
        strips.append(denoised[..., top - start : top - start + rows, :])
    return torch.cat(strips, -2).clamp(0, 1)
