"""Inpainting: missing pixels. A is the element-wise mask."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch

from ganmap.base.images import IMAGE_SIZE
from ganmap.operators.base import Task
from ganmap.operators.noise import EXACT, Noise


def centre_hole(size: int = IMAGE_SIZE, side: int = 32) -> torch.Tensor:
    """The paper's inpainting mask: True on the centre side x side square (the missing pixels)."""
    missing = torch.zeros(size, size, dtype=torch.bool)
    start = (size - side) // 2
    missing[start : start + side, start : start + side] = True
    return missing


@dataclass(frozen=True, eq=False)  # a tensor field: compare masks with torch.equal
class Inpainting(Task):
    """Missing pixels, `missing` (64, 64) bool, True where missing; A keeps the others."""

    name: ClassVar[str] = "inpainting"
    takes_mask: ClassVar[bool] = True
    missing: torch.Tensor = field(default_factory=centre_hole)
    noise: Noise = EXACT

    def __post_init__(self) -> None:
        missing = torch.as_tensor(self.missing)
        if missing.shape != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(
                f"the inpainting mask must be {IMAGE_SIZE} x {IMAGE_SIZE} (True where a pixel is "
                f"missing), got shape {tuple(missing.shape)}"
            )
        missing = missing.bool()
        if not missing.any():
            raise ValueError("the inpainting mask marks no pixel as missing: nothing to restore")
        if missing.all():
            raise ValueError(
                "the inpainting mask marks every pixel as missing: nothing is observed"
            )
        object.__setattr__(self, "missing", missing)

    @property
    def known(self) -> torch.Tensor:
        return (~self.missing).float()

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return image * self.known.to(image.device)  # the hole is 0 (any value would do)

    def observe(self, image: torch.Tensor) -> torch.Tensor:
        """The photo with its hole, the hole's pixels (whatever they hold) set to 0."""
        return self.forward(super().observe(image)[None])[0]

    def with_mask(self, missing: torch.Tensor) -> Task:
        return Inpainting(missing=missing, noise=self.noise)

    def project(self, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        """The observed pixels as observed, where they are exact."""
        if self.noise is not EXACT:
            return image
        known = self.known.to(image.device)
        return observation * known + image * (1 - known)

    def estimate(self, observation: torch.Tensor) -> torch.Tensor:
        """The hole filled with each channel's mean over the known pixels."""
        known = self.known.to(observation.device)
        means = (observation * known).sum(dim=(2, 3), keepdim=True) / known.sum()
        return observation * known + means.expand_as(observation) * (1 - known)
