"""Quantization: A is the identity, the observation is rounded to a few levels per channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from ganmap.operators.base import Identity
from ganmap.operators.noise import Rounding


@dataclass(frozen=True)
class Quantization(Identity):
    """`levels` evenly spaced values per channel (0, 1/4, ..., 1 at 5); A = identity (the paper)."""

    name: ClassVar[str] = "quantization"
    levels: int = 5

    def __post_init__(self) -> None:
        Rounding(self.levels)  # checks the levels

    @property
    def noise(self) -> Rounding:  # type: ignore[override]
        return Rounding(self.levels)

    def project(
        self, image: torch.Tensor, observation: torch.Tensor, share: float = 1.0
    ) -> torch.Tensor:
        """Each pixel clipped into the central `share` of its quantization cell around y."""
        return self.noise.into_cells(image, observation, share)
