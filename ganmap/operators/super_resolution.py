"""Super-resolution: a low-pass filter then decimation, by any real factor from 1 to 16."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
import torch.nn.functional as F

from ganmap.base.images import IMAGE_SIZE
from ganmap.operators.base import Task
from ganmap.operators.noise import EXACT, Noise

SR_KERNELS = ("box", "area", "bicubic")
MAX_SR_FACTOR = 16
PROJECTION_ROUNDS = 20  # alternating projections of `project` for the area and bicubic kernels


@dataclass(frozen=True)
class SuperResolution(Task):
    """Low resolution: a low-pass filter then decimation by `factor` (64 -> 16 at 4).

    `factor` is any real number in [1, 16]; the observation's side is round(64 / factor).
    `kernel` says how the low-resolution image was made:
    - "bicubic" (default): antialiased bicubic, PIL's Image.resize(..., Image.BICUBIC): what
      most software does to make an image smaller, so what a user's low-resolution image most
      likely is;
    - "area": exact area averaging, each low-resolution pixel the mean of the high-resolution
      area it covers, fractions of pixels included (OpenCV's INTER_AREA; "box" at whole factors);
    - "box": the paper's operator, the mean of each factor x factor block (for factors that do
      not divide 64, torch's adaptive average pooling).
    """

    name: ClassVar[str] = "super-resolution"
    factor: float = 4
    kernel: Literal["box", "area", "bicubic"] = "bicubic"
    noise: Noise = EXACT

    def __post_init__(self) -> None:
        factor = self.factor
        if isinstance(factor, bool) or not isinstance(factor, (int, float)):
            raise ValueError(f"super-resolution factor must be a number, got {factor!r}")
        if not 1 <= factor <= MAX_SR_FACTOR:
            raise ValueError(
                f"super-resolution factor must be in [1, {MAX_SR_FACTOR}], got {factor!r}"
            )
        if self.kernel not in SR_KERNELS:
            raise ValueError(
                f"super-resolution kernel must be one of {', '.join(SR_KERNELS)}, "
                f"got {self.kernel!r}"
            )

    @property
    def observation_side(self) -> int:
        return round(IMAGE_SIZE / self.factor)

    @property
    def _block(self) -> int | None:
        """The block side when the paper's box filter tiles the image exactly, else None."""
        side = self.observation_side
        return IMAGE_SIZE // side if self.kernel == "box" and IMAGE_SIZE % side == 0 else None

    @functools.cached_property
    def _weights(self) -> torch.Tensor:
        """The 1-D operator (side, 64), float64: A x = W x W^T on each channel (separable)."""
        side = self.observation_side
        if self.kernel == "bicubic":  # torch's antialiased bicubic is PIL's; read its weights off
            basis = torch.eye(IMAGE_SIZE, dtype=torch.float64).view(IMAGE_SIZE, 1, 1, IMAGE_SIZE)
            rows = F.interpolate(basis, size=(1, side), mode="bicubic", antialias=True)
            return rows.view(IMAGE_SIZE, side).T.contiguous()
        if self.kernel == "area":
            cuts = torch.arange(side + 1, dtype=torch.float64) * (IMAGE_SIZE / side)
            low, high = cuts[:-1], cuts[1:]
        else:  # adaptive average pooling's windows: [floor(i * 64 / s), ceil((i + 1) * 64 / s))
            index = torch.arange(side, dtype=torch.int64)
            low, high = (index * IMAGE_SIZE) // side, -((-(index + 1) * IMAGE_SIZE) // side)
        edges = torch.arange(IMAGE_SIZE + 1, dtype=torch.float64)
        overlap = (
            torch.minimum(high[:, None].double(), edges[None, 1:])
            - torch.maximum(low[:, None].double(), edges[None, :-1])
        ).clamp(min=0)
        return overlap / overlap.sum(1, keepdim=True)

    @functools.cached_property
    def _correction(self) -> torch.Tensor:
        """(W W^T)^-1 W, (side, 64): A^T (A A^T)^-1 r = C^T r C for a separable A."""
        weights = self._weights
        return torch.linalg.solve(weights @ weights.T, weights)

    def corrupt(
        self, clean: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        clean = self.forward(clean).clamp(0, 1)  # bicubic rings a little past [0, 1]
        return self.noise.sample(clean, generator)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        if self._block is not None:
            return F.avg_pool2d(image, self._block)
        weights = self._weights.to(image.device, image.dtype)
        return weights @ image @ weights.T

    def project(self, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        """The image nearest to `image` with A(x) = y, clipped to [0, 1], where y is exact: for
        whole blocks of the box filter, the block means replaced by the observed ones (exact);
        otherwise the least-squares correction x + A^T (A A^T)^-1 (y - A x), alternated with
        the clipping."""
        if self.noise is not EXACT:
            return image
        if self._block is not None:
            residual = F.interpolate(observation - self.forward(image), scale_factor=self._block)
            return (image + residual).clamp(0, 1)  # nearest upsampling: exact block means
        correction = self._correction.to(image.device, image.dtype)
        for _ in range(PROJECTION_ROUNDS):
            residual = observation - self.forward(image)
            image = (image + correction.T @ residual @ correction).clamp(0, 1)
        return image

    def estimate(self, observation: torch.Tensor) -> torch.Tensor:
        """Bicubic upsampling (at whole box factors its sample grid matches the decimation)."""
        if self._block is not None:
            upsampled = F.interpolate(observation, scale_factor=self._block, mode="bicubic")
        else:
            upsampled = F.interpolate(observation, size=IMAGE_SIZE, mode="bicubic")
        return upsampled.clamp(0, 1)
