"""Denoising: A is the identity, the observation carries Gaussian noise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ganmap.operators.base import Identity
from ganmap.operators.noise import Gaussian


@dataclass(frozen=True)
class Denoising(Identity):
    """Additive Gaussian noise of standard deviation `sigma`, then clipping to [0, 1]; A = identity.

    Added to another operator it lends it its noise: `SuperResolution() + Denoising(0.05)`."""

    name: ClassVar[str] = "denoising"
    sigma: float = 0.1

    def __post_init__(self) -> None:
        Gaussian(self.sigma)  # checks the level

    @property
    def noise(self) -> Gaussian:  # type: ignore[override]
        return Gaussian(self.sigma)
